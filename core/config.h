/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file, irx.yaml: accounts and the roles irx assumes in them, defaults,
 * exception settings, notification channels, routing rules and schedules. Loaded with the
 * YAML loader (node.h) and checked like a runbook: every problem is a "file:line:col:"
 * diagnostic, all reported at once. irx.example.yaml in the source tree shows every key.
 *
 * Secrets are never written in the file: a Slack webhook is named by an environment variable
 * or an SSM parameter, a webhook's signing secret likewise. ExternalIds are written (AWS does
 * not treat them as secrets) but redacted by irx_config_json(.., true), because irx also uses
 * one to check SNS messages.
 */
#ifndef IRX_CONFIG_H
#define IRX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "routing.h"

struct irx_diags;
struct irx_doc;
struct irx_error;
struct irx_aws_tag;
struct irx_aws_context;
struct irx_aws_cli_options;

#define IRX_CONFIG_MAX_ROLE_CHAIN 5

struct irx_config_tag {
	const char *key, *value;
};

struct irx_config_account {
	const char *id; /* 12 digits */
	const char *name;
	bool all_regions;
	const char **regions;
	size_t region_count;
	/* Role templates in chain order ({{account}}, {{partition}}): a role name or path/name
	 * ("irx-responder") or an ARN. Empty: the defaults' role. */
	const char **roles;
	size_t role_count;
	const char *external_id; /* NULL: the defaults' */
	struct irx_config_tag *session_tags;
	size_t session_tag_count;
	const struct irx_node *node;
};

enum irx_channel_type {
	IRX_CHANNEL_SNS = 1,
	IRX_CHANNEL_SLACK = 2,
	IRX_CHANNEL_WEBHOOK = 3,
};

struct irx_config_channel {
	const char *name;
	enum irx_channel_type type;
	const char *topic_arn;		       /* sns */
	const char *webhook_env, *webhook_ssm; /* slack: where the webhook URL is */
	const char *url, *url_env, *url_ssm;   /* webhook */
	const char *secret_env, *secret_ssm;   /* webhook: the HMAC key */
	const struct irx_node *node;
};

struct irx_config_schedule {
	const char *name;
	const char *cron;
	const char *scenario;
	bool enabled;
	const struct irx_node *node;
};

struct irx_config {
	char *path;	     /* owned; NULL for the built-in configuration */
	struct irx_doc *doc; /* owned; every const char * below points into it */
	/* defaults */
	const char *default_region;
	const char *case_id_prefix;
	const char *state_dir;
	const char **default_roles;
	size_t default_role_count;
	const char *default_external_id;
	/* exceptions */
	const char *exception_tag;	/* never NULL: IRX_EXCEPTION_DEFAULT_TAG by default */
	const char *exception_registry; /* a file or ssm:NAME, or NULL */
	/* events */
	const char *sns_external_id; /* what SNS entity messages must carry; NULL: per account */
	long long dedupe_window_s;
	bool default_rules;
	struct irx_config_account *accounts;
	size_t account_count;
	struct irx_config_channel *channels;
	size_t channel_count;
	struct irx_route_rule *rules; /* the file's rules, then the defaults when enabled */
	size_t rule_count;
	struct irx_config_schedule *schedules;
	size_t schedule_count;
	/* storage for the rules' NULL-terminated lists */
	const char ***lists;
	size_t list_count;
};

/*
 * Loads and checks a configuration. Returns NULL when the file cannot be read or parsed or has
 * any problem, with every problem in diags.
 */
struct irx_config *irx_config_load(const char *path, struct irx_diags *diags);
struct irx_config *irx_config_load_buffer(const char *name, const char *buf, size_t len,
					  struct irx_diags *diags);
/* The configuration in effect without a file: no accounts, the default rules. */
struct irx_config *irx_config_builtin(void);
void irx_config_free(struct irx_config *cfg);

/*
 * The file to use: explicit (--config) if given, else IRX_CONFIG, ./irx.yaml,
 * $XDG_CONFIG_HOME/irx/config.yaml (else ~/.config/irx/config.yaml), /etc/irx/config.yaml:
 * the first that exists. An explicit or IRX_CONFIG path is returned even when missing (so
 * loading it reports the error). Returns a new string, or NULL when none exists.
 */
char *irx_config_find(const char *explicit_path);

/*
 * The configuration in effect: irx_config_find(explicit_path) loaded, or the built-in one when
 * no file exists. NULL when the file is missing or invalid (diags say why).
 */
struct irx_config *irx_config_open(const char *explicit_path, struct irx_diags *diags);

const struct irx_config_account *irx_config_account(const struct irx_config *cfg,
						    const char *account_id);
/*
 * The role chain for an account (the account's roles, else the defaults'), each expanded to
 * an ARN. Fills out (new strings) and returns the count; 0 when no role is configured.
 */
size_t irx_config_role_chain(const struct irx_config *cfg, const char *account_id,
			     const char *partition, char **out, size_t max);
/* The ExternalId for AssumeRole into account (the account's, else the defaults'), or NULL. */
const char *irx_config_external_id(const struct irx_config *cfg, const char *account_id);

/*
 * How irx reaches an account: the role chain (each template expanded for the account and
 * partition), the ExternalId and the session tags. ExternalId and tags go to the last hop's
 * AssumeRole (the member account's role); the roles before it are hops (a hub account's role).
 * Everything is owned: release with irx_config_access_release.
 */
struct irx_config_access {
	char **roles;		  /* role ARNs in chain order; the account's own role last */
	size_t role_count;	  /* 0: no role configured: the caller's own credentials */
	char *external_id;	  /* NULL: none */
	struct irx_aws_tag *tags; /* the account's session_tags; key and value owned */
	size_t tag_count;
};

/*
 * Fills out with the access path to account_id: the account's roles, else the defaults'; its
 * external_id, else the defaults'; its session_tags. partition (NULL or "": "aws") fills
 * {{partition}} and the ARN of a bare role name. cfg NULL: no roles. Returns 0, or -1 with err
 * set (IRX_ERR_INVALID: "'12345' is not an AWS account id (12 digits)", "'aws cn' is not an AWS
 * partition", "account 111111111111: role 2 of 2: <why>"); out is zeroed first and left empty
 * on failure.
 */
int irx_config_access(const struct irx_config *cfg, const char *account_id, const char *partition,
		      struct irx_config_access *out, struct irx_error *err);
void irx_config_access_release(struct irx_config_access *a);
/*
 * Points the role members of ctx / o (role_arn, via_roles, external_id, tags) at a, which must
 * outlive them; with no role configured they are cleared. Other members are left alone.
 */
void irx_config_access_context(const struct irx_config_access *a, struct irx_aws_context *ctx);
void irx_config_access_cli(const struct irx_config_access *a, struct irx_aws_cli_options *o);
/*
 * True if given is the ExternalId SNS entity messages must carry: events.external_id when set,
 * else the ExternalId configured for the entity's account. Compared in constant time.
 */
bool irx_config_sns_external_id_ok(const struct irx_config *cfg, const char *account_id,
				   const char *given);

/* The effective configuration as JSON; redact replaces ExternalIds and webhook paths. */
struct json_object *irx_config_json(const struct irx_config *cfg, bool redact);

/*
 * A cron expression: five fields (minute hour day-of-month month day-of-week) with *, lists,
 * ranges, steps, month and day names; or @hourly, @daily, @weekly, @monthly, @yearly,
 * @annually. Returns 0, or -1 with the reason ("minute '61' is out of range 0-59").
 */
int irx_cron_check(const char *expr, char *why, size_t whylen);
/* "90", "90s", "30m", "1h", "2d", "1h30m" into seconds. Returns 0 or -1. */
int irx_duration_parse(const char *s, long long *seconds);

#endif
