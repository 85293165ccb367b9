/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS credentials and the region, resolved in the order the AWS SDKs use:
 *
 *   1. explicit options (command line)
 *   2. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *      (AWS_CREDENTIAL_EXPIRATION optional)
 *   3. the profile (explicit, else AWS_PROFILE, else "default") in the shared files
 *      AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE (~/.aws/config):
 *      role_arn (+ source_profile or credential_source, external_id, role_session_name,
 *      duration_seconds), then static keys in the credentials file, then credential_process,
 *      then static keys in the config file (botocore's order)
 *   4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2)
 *      or AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
 *   5. EC2 instance metadata, IMDSv2 only (token first), unless AWS_EC2_METADATA_DISABLED;
 *      AWS_EC2_METADATA_SERVICE_ENDPOINT(_MODE) override the address
 *
 * AssumeRole itself needs the STS client, so it is a callback (irx_assume_role_fn); without
 * one the resolution stops and hands back the role description for the caller to perform.
 * Secrets are wiped (OPENSSL_cleanse) when released and never appear in error messages.
 */
#ifndef IRX_AWS_CREDENTIALS_H
#define IRX_AWS_CREDENTIALS_H

#include <stdbool.h>
#include <time.h>

#include "error.h"

struct irx_credentials {
	char *access_key_id;	 /* owned */
	char *secret_access_key; /* owned, wiped on release */
	char *session_token;	 /* owned, wiped on release; NULL for long-term keys */
	time_t expiration;	 /* 0: does not expire */
};

/* Copies the strings (token may be NULL) into c, releasing what c held. */
void irx_credentials_set(struct irx_credentials *c, const char *access_key_id,
			 const char *secret_access_key, const char *session_token,
			 time_t expiration);
void irx_credentials_copy(struct irx_credentials *dst, const struct irx_credentials *src);
/* Wipes and frees the strings; c is zeroed and may be reused. */
void irx_credentials_release(struct irx_credentials *c);
/* True when the credentials expire within margin_seconds of now (never for expiration 0). */
bool irx_credentials_expired(const struct irx_credentials *c, time_t now, long margin_seconds);

/* A role a profile asks to assume, resolved from the shared files. All strings owned. */
struct irx_assume_role {
	char *profile; /* the profile naming the role */
	char *role_arn;
	char *external_id;	 /* NULL: none */
	char *role_session_name; /* NULL: the caller chooses (e.g. "irx-<execution id>") */
	long duration_seconds;	 /* 0: STS's default */
	char *region; /* the profile's region (NULL: none), for the regional STS endpoint */
	struct irx_credentials source; /* the credentials to call sts:AssumeRole with */
};

void irx_assume_role_free(struct irx_assume_role *r);

/*
 * Performs sts:AssumeRole for role and fills out (with its expiration). Returns 0, or -1 with
 * err set. Implementations should cache per role until shortly before expiry.
 */
typedef int (*irx_assume_role_fn)(void *ctx, const struct irx_assume_role *role,
				  struct irx_credentials *out, struct irx_error *err);

struct irx_credentials_options {
	/* explicit credentials (command line); all borrowed */
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
	const char *profile;	/* --profile; NULL: AWS_PROFILE, else "default" */
	const char *const *env; /* "NAME=value" list, NULL-terminated; NULL: the process's */
	time_t now;		/* 0: time(NULL) */
	irx_assume_role_fn assume_role; /* NULL: hand the role back in the result */
	void *assume_role_ctx;
	long process_timeout_ms;  /* credential_process; 0: 60000 */
	long metadata_timeout_ms; /* container and IMDS, per request; 0: 1000 */
};

struct irx_credentials_resolved {
	struct irx_credentials creds;
	/* Where they came from, for messages: "environment", "profile 'dev' (credential_process)"
	 * ... (owned; never holds a secret). */
	char *source;
	/* Non-NULL when the profile names a role and no assume_role callback was given: creds is
	 * then empty and the caller assumes the role with role->source. Owned. */
	struct irx_assume_role *assume_role;
};

/*
 * Resolves credentials through the chain. Returns 0, or -1 with err set: IRX_ERR_CREDENTIALS
 * for no or expired credentials ("no AWS credentials: looked in ...", naming every place) and
 * for incomplete or contradictory configuration; IRX_ERR_IO / IRX_ERR_PARSE for an unreadable
 * or malformed shared file; IRX_ERR_TIMEOUT for a credential_process that overran.
 * out must be zeroed; release it with irx_credentials_resolved_release.
 */
int irx_credentials_resolve(const struct irx_credentials_options *o,
			    struct irx_credentials_resolved *out, struct irx_error *err);
void irx_credentials_resolved_release(struct irx_credentials_resolved *r);

/*
 * The region: explicit_region (--region), AWS_REGION, AWS_DEFAULT_REGION, then 'region' of the
 * profile (explicit, AWS_PROFILE, "default") in the config file. *out transferred. Returns 0,
 * or -1 with err set (IRX_ERR_INVALID "no AWS region: looked in ..." when none is set).
 */
int irx_region_resolve(const char *explicit_region, const char *profile, const char *const *env,
		       char **out, struct irx_error *err);

/* The shared config and credentials files, parsed, for one profile. */
struct irx_aws_config;

/*
 * Loads both shared files for profile (NULL: AWS_PROFILE, else "default"). Missing files are
 * empty. Returns 0, or -1 with err set (unreadable or malformed file).
 */
int irx_aws_config_load(const char *profile, const char *const *env, struct irx_aws_config **out,
			struct irx_error *err);
/* A key of the selected profile (credentials file first, then config), or NULL. Borrowed. */
const char *irx_aws_config_get(const struct irx_aws_config *c, const char *key);
const char *irx_aws_config_profile(const struct irx_aws_config *c);
/* The file paths used (borrowed; NULL when HOME is unknown and no override is set). */
const char *irx_aws_config_credentials_path(const struct irx_aws_config *c);
const char *irx_aws_config_config_path(const struct irx_aws_config *c);
void irx_aws_config_free(struct irx_aws_config *c);

/*
 * The container credentials URL from the environment: RELATIVE_URI appended to
 * http://169.254.170.2, else FULL_URI, which must be https or http to a loopback address,
 * 169.254.170.2 or 169.254.170.23 / fd00:ec2::23. Returns 1 with *url set (transferred),
 * 0 when not configured, -1 with err set for a refused URI.
 */
int irx_container_credentials_url(const char *const *env, char **url, struct irx_error *err);

#endif
