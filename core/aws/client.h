/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS client: one call = find the operation in the service models, resolve the endpoint,
 * serialize, sign (SigV4, injectable clock, clock skew corrected from the server's Date), send
 * (libcurl through aws/http.h, or an injected transport), parse, and retry in the SDKs'
 * "standard" mode. Credentials are resolved once through the chain (aws/credentials.h) and cached
 * until shortly before they expire; roles are assumed with sts:AssumeRole made through the
 * client itself, hop by hop for a role chain (a hub account's role, then the member account's),
 * and cached per chain prefix (+ external id and session tags for the last hop) until 5 minutes
 * before expiry: 1000 calls in one account assume each hop once.
 *
 *     struct irx_aws_client_options o = {.region = "us-east-1"};
 *     struct irx_aws_client *c = irx_aws_client_new(&o, &err);
 *     struct json_object *resp = NULL;
 *     if (irx_aws_call(c, NULL, "ec2", "DescribeInstances", params, &resp, &err) == 0)
 *             ... json_object_put(resp);
 *     irx_aws_client_free(c);
 *
 * Service names: irx's model ids ("ec2", "iam", "elasticloadbalancingv2", ...) and the boto3
 * client names SSM Automation uses in aws:executeAwsApi (`Service: elbv2`), case-insensitively.
 * Operation names: the API name ("DescribeInstances") or boto3's method name
 * ("describe_instances").
 *
 * Thread safety: one client may be used from several threads; credentials, the role cache and
 * the clock skew are guarded, and each thread's request goes through the shared transport
 * under a lock (concurrent requests: irx_aws_call_many).
 */
#ifndef IRX_AWS_CLIENT_H
#define IRX_AWS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/credentials.h"
#include "error.h"

struct json_object;
struct irx_exec_options;

/* --- transport (injectable; the default is libcurl through aws/http.h) ------------------- */

struct irx_aws_transport_request {
	const char *method;
	const char *url;
	const char *const *headers; /* "Name: value" lines, NULL-terminated */
	const char *body;	    /* may be NULL */
	size_t body_len;
	long connect_timeout_ms;
	long timeout_ms; /* whole request */
};

struct irx_aws_transport_header {
	char *name;  /* owned, lowercase */
	char *value; /* owned */
};

struct irx_aws_transport_response {
	long status;				  /* 0 when no response arrived */
	struct irx_aws_transport_header *headers; /* owned */
	size_t n_headers;
	char *body; /* owned, NUL-terminated */
	size_t body_len;
	bool failed;	/* no response: error says why */
	bool timed_out; /* ... because the request ran out of time */
	char error[256];
	long new_connections; /* connections this request opened */
};

/*
 * Sends n requests (concurrently when n > 1) and fills each response (zeroed by the caller).
 * Returns 0, or -1 when the transfers could not be started at all. reqs borrowed.
 */
typedef int irx_aws_transport_fn(void *ud, const struct irx_aws_transport_request *reqs,
				 struct irx_aws_transport_response *resps, size_t n);

/* Frees what a response owns; it is zeroed and may be reused. */
void irx_aws_transport_response_release(struct irx_aws_transport_response *r);

/* The default transport: libcurl with connection and TLS session reuse (aws/http.h). */
struct irx_aws_curl;
struct irx_aws_curl *irx_aws_curl_new(void);
void irx_aws_curl_free(struct irx_aws_curl *c);
int irx_aws_curl_perform(void *ud, const struct irx_aws_transport_request *reqs,
			 struct irx_aws_transport_response *resps, size_t n);

/* --- the client ----------------------------------------------------------------------------- */

struct irx_aws_client_options {
	const char *region;  /* NULL: AWS_REGION, AWS_DEFAULT_REGION, the profile's region */
	const char *profile; /* NULL: AWS_PROFILE, else "default" */
	/* explicit credentials (command line); all borrowed, copied */
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
	/* "NAME=value" list for the credential chain, NULL-terminated; NULL: the process's */
	const char *const *env;
	/* Injectable for tests. NULL clock: time(NULL). NULL sleep: nanosleep. */
	time_t (*clock)(void *ud);
	void *clock_ud;
	void (*sleep_ms)(void *ud, long long ms);
	void *sleep_ud;
	irx_aws_transport_fn *transport; /* NULL: libcurl */
	void *transport_ud;
	long connect_timeout_ms; /* 0: 3000 */
	long timeout_ms;	 /* per attempt; 0: 30000 */
	int max_attempts;	 /* 0: AWS_MAX_ATTEMPTS, else 3 (standard mode) */
};

struct irx_aws_client;

/*
 * Creates a client. Nothing is sent and no credential is looked up yet (the first call does
 * that); the region and the profile's endpoint_url are read now. Returns NULL with err set for
 * an unreadable shared config file or a bad AWS_MAX_ATTEMPTS / AWS_RETRY_MODE. A missing region
 * is not an error until a regional service is called.
 */
struct irx_aws_client *irx_aws_client_new(const struct irx_aws_client_options *o,
					  struct irx_error *err);
/* Wipes every secret the client holds (credentials, assumed roles) and frees it. NULL ok. */
void irx_aws_client_free(struct irx_aws_client *c);

/* Hands p (one malloc'd block) to the client: freed with it. For host_aws.c. */
void irx_aws_client_attach(struct irx_aws_client *c, void *p);

/* The client's region ("" when none was found). Borrowed. */
const char *irx_aws_client_region(const struct irx_aws_client *c);
/* Seconds added to the local clock when signing (learned from a server's Date). */
long irx_aws_client_clock_skew(const struct irx_aws_client *c);

/* The most roles one context's chain may hold (via_roles and role_arn). */
#define IRX_AWS_MAX_ROLE_CHAIN 5

/* A session tag for sts:AssumeRole (Tags.member.N.Key / Value). Borrowed. */
struct irx_aws_tag {
	const char *key;
	const char *value;
};

/*
 * Who and where a call runs as. Every member may be NULL / 0. All borrowed.
 *
 * A role chain: via_roles are assumed in order before role_arn, each with the credentials of
 * the one before it (the first with the client's own), and role_arn with the last one's. The
 * ExternalId and the session tags go only to the last hop (role_arn: the member account's role,
 * whose trust policy checks them); every hop gets the same RoleSessionName. AWS caps a chained
 * session at one hour, so hops after the first ask for at most 3600 DurationSeconds. via_roles
 * are ignored when role_arn is NULL.
 */
struct irx_aws_context {
	const char *region;	  /* NULL or "": the client's */
	const char *role_arn;	  /* assume this role first (NULL: the client's credentials) */
	const char *external_id;  /* sts:AssumeRole ExternalId, for role_arn only */
	const char *session_name; /* RoleSessionName; NULL: "irx" */
	long duration_seconds;	  /* DurationSeconds; 0: STS's default (1 hour) */
	long long deadline_ms;	  /* CLOCK_MONOTONIC ms; no attempt or backoff runs past it */
	const char *const *via_roles; /* role ARNs assumed before role_arn, in order */
	size_t via_count;
	const struct irx_aws_tag *tags; /* session tags for role_arn's AssumeRole */
	size_t tag_count;
};

/*
 * Calls service:operation with params (borrowed JSON object of the input members; NULL = {}).
 * On success *response is a new object (transferred) and 0 is returned. On failure -1 with err
 * set (first failure wins):
 * - IRX_ERR_NOT_FOUND: unknown service or operation;
 * - IRX_ERR_INVALID: params that do not fit the input shape, no region;
 * - IRX_ERR_CREDENTIALS: no or expired credentials, a refused AssumeRole (its AWS fields set;
 *   in a chain the message names the hop: "cannot assume role 'arn:aws:iam::444444444444:role/
 *   irx-hub' (hop 1 of 2): sts:AssumeRole failed: AccessDenied: ...");
 * - IRX_ERR_AWS: the service answered with an error (http_status, aws_code, aws_message,
 *   request_id set); after retries the message is "ec2:DescribeInstances failed after 3
 *   attempts: RequestLimitExceeded: Request limit exceeded. (request id ...)";
 * - IRX_ERR_NETWORK / IRX_ERR_TIMEOUT: no response (connection refused or dropped, timeout).
 */
int irx_aws_call(struct irx_aws_client *c, const struct irx_aws_context *ctx, const char *service,
		 const char *operation, struct json_object *params, struct json_object **response,
		 struct irx_error *err);

/* One call of a batch for irx_aws_call_many. */
struct irx_aws_batch_call {
	const char *service;
	const char *operation;
	struct json_object *params;   /* borrowed */
	struct json_object *response; /* out: transferred on success */
	struct irx_error error;	      /* out: set on failure */
};

/*
 * Runs n independent calls concurrently (one transport batch per round of attempts). Returns
 * the number that failed (each call's error says why).
 */
size_t irx_aws_call_many(struct irx_aws_client *c, const struct irx_aws_context *ctx,
			 struct irx_aws_batch_call *calls, size_t n);

/* --- names and models ------------------------------------------------------------------------ */

/*
 * Resolves a service name (irx id or boto3 client name) and an operation name (API or boto3
 * method name) to the model's canonical names (static storage). Returns 0, or -1 with err set
 * (IRX_ERR_NOT_FOUND: "unknown AWS service 'foo'", "unknown operation 'Foo' for service 'ec2'").
 * *mutating (may be NULL) gets whether the operation changes state (IRX_OP_F_MUTATING).
 */
int irx_aws_lookup(const char *service, const char *operation, const char **service_id,
		   const char **operation_name, bool *mutating, struct irx_error *err);

/*
 * For validation: checks one input member name of service:operation against the operation's
 * input shape. Returns 0 when it is a member, -1 with a message in msg otherwise (an unknown
 * service/operation, or "unknown parameter 'Foo' for ec2:DescribeInstances").
 */
int irx_aws_check_input(const char *service, const char *operation, const char *member, char *msg,
			size_t msg_len);

/*
 * Checks params against the input shape without sending anything (the serializer's checks:
 * unknown members, wrong JSON types, missing uri labels). Text where the shape wants a number
 * or boolean ("3", "true": what templates produce) is converted first, as for a call; with
 * coerced non-NULL, *coerced gets the parameters as they would be sent (transferred).
 * Returns 0, or -1 with err set.
 */
int irx_aws_check_params(const char *service, const char *operation, struct json_object *params,
			 struct json_object **coerced, struct irx_error *err);

/* --- the executor's host (host_aws.c) -------------------------------------------------------- */

/* What `irx run` knows about AWS from its command line. All borrowed; any may be NULL. */
struct irx_aws_cli_options {
	const char *region;   /* --region (the executor's region, from a target, wins per call) */
	const char *profile;  /* --profile */
	const char *role_arn; /* --role-arn / the runbook's assumeRole: every call runs as it */
	const char *external_id;  /* --external-id */
	const char *session_name; /* RoleSessionName, e.g. "irx-<execution id>"; NULL: "irx" */
	long duration_seconds;	  /* 0: STS's default */
	/* a role chain: assumed before role_arn (struct irx_aws_context says how) */
	const char *const *via_roles;
	size_t via_count;
	const struct irx_aws_tag *tags; /* session tags for role_arn */
	size_t tag_count;
};

/*
 * Creates a client for o and points eo->aws_call / eo->aws_ud at it: every plugin's and
 * built-in's AWS call then runs in eo->region (else the client's), as o->role_arn when set
 * (reached through o->via_roles), and
 * in dry-run (eo->dry_run) mutating operations are recorded in the step's planned_calls
 * ({service, operation, parameters}) instead of being sent, while read-only ones are sent.
 * Call after filling eo->region and eo->dry_run. *out is transferred: free it with
 * irx_aws_client_free after irx_execute returns. Returns 0, or -1 with err set.
 */
int irx_aws_setup_exec(struct irx_exec_options *eo, const struct irx_aws_cli_options *o,
		       struct irx_aws_client **out, struct irx_error *err);

/*
 * The same for an existing client (tests, several executions on one client): the host state
 * is owned by the client and freed with it. ctx members are copied (role chain and tags too).
 */
void irx_aws_attach_exec(struct irx_exec_options *eo, struct irx_aws_client *c,
			 const struct irx_aws_context *ctx);

#endif
