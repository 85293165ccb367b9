/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx plugin ABI.
 *
 * Adding a plugin in three steps:
 *
 *   1. Write plugins/foo/foo.c: describe each action (name, summary, flags,
 *      a {0}-terminated parameter schema, an execute function and, when the
 *      change can be undone, a rollback function) and export exactly one
 *      symbol with IRX_PLUGIN_DEFINE:
 *
 *          static const struct irx_param hello_params[] = {
 *              { "Name", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "who to greet" },
 *              { 0 }
 *          };
 *          static int hello(const struct irx_context *ctx,
 *                           struct json_object *inputs, struct irx_result *res)
 *          {
 *              const char *name = json_object_get_string(
 *                  json_object_object_get(inputs, "Name"));
 *              ctx->host->log(ctx->call, IRX_LOG_INFO, "hello, %s", name);
 *              json_object_object_add(res->outputs, "Greeting",
 *                                     json_object_new_string(name));
 *              return 0;
 *          }
 *          static const char *const hello_calls[] = { NULL }; // makes no AWS call
 *          static const struct irx_action actions[] = {
 *              { "hello", "greet someone", 0, hello_params, hello, NULL, hello_calls },
 *              { 0 }
 *          };
 *          IRX_PLUGIN_DEFINE("foo", "1.0.0", "Apache-2.0", actions, NULL, NULL)
 *
 *   2. Build it as foo.so (the file name must match the plugin name):
 *          cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags irx) \
 *             -o foo.so foo.c $(pkg-config --libs json-c)
 *      Inside the irx tree, `make` builds every plugins/<name>/ folder.
 *
 *   3. Put foo.so in a directory on the plugin path (--plugin-dir,
 *      IRX_PLUGIN_PATH, or the install location), writable only by its owner
 *      or root, and use the action as `foo:hello` in a runbook.
 *      `irx plugins` lists it; a plugin the loader refuses is named with the
 *      reason.
 *
 * <irx/plugin_util.h> has source-level helpers the shipped plugins use: JSON
 * accessors, AWS calls, paged lists, and a batch of independent changes that
 * keeps the undo record true.
 *
 * Rules of the ABI:
 * - Structs are append-only. A plugin built against an older minor version
 *   still loads: the host copies `size` bytes into a zeroed struct, and reads
 *   a 1.0 plugin's actions array with the 1.0 element size (struct irx_action
 *   grew aws_calls in 1.1).
 * - Plugins never link against irx; everything they need from the host comes
 *   through struct irx_host. Inputs, outputs and undo records are json-c
 *   objects (json-c's reference-counting rules apply).
 * - Strings in these structs are borrowed unless a comment says otherwise.
 */
#ifndef IRX_PLUGIN_H
#define IRX_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IRX_PLUGIN_ABI_MAJOR 1
#define IRX_PLUGIN_ABI_MINOR 1

/* The one symbol a plugin exports. */
#define IRX_PLUGIN_ENTRY_SYMBOL "irx_plugin_entry"

/* Parameter types: the SSM Automation parameter types. */
enum irx_param_type {
	IRX_PARAM_STRING = 1,
	IRX_PARAM_STRING_LIST = 2,
	IRX_PARAM_INTEGER = 3,
	IRX_PARAM_BOOLEAN = 4,
	IRX_PARAM_MAP_LIST = 5,
	IRX_PARAM_STRING_MAP = 6,
	IRX_PARAM_ANY = 7, /* any JSON value (built-ins only, e.g. API params) */
};

#define IRX_PARAM_REQUIRED (1u << 0)
#define IRX_PARAM_SECRET (1u << 1) /* redacted in the journal and logs */
/* The ARN (or id) of the resource a mutating action changes: the engine reads the
 * resource's exception tag before the step runs and skips the step when exempted. */
#define IRX_PARAM_RESOURCE (1u << 2)

struct irx_param {
	const char *name;
	enum irx_param_type type;
	uint32_t flags;
	const char *default_value; /* as text, converted to type; NULL = none */
	const char *help;
};

/* Action flags. */
#define IRX_ACTION_MUTATES (1u << 0)     /* changes AWS state: exceptions apply, dry-run skips */
#define IRX_ACTION_IDEMPOTENT (1u << 1)  /* safe to re-run after a crash */
#define IRX_ACTION_OPEN_INPUTS (1u << 2) /* accepts keys beyond params (built-ins only) */

enum irx_log_level {
	IRX_LOG_DEBUG = 0,
	IRX_LOG_INFO = 1,
	IRX_LOG_WARN = 2,
	IRX_LOG_ERROR = 3,
};

struct irx_call; /* opaque: one step execution, owned by the host */
struct irx_host;

/* One call of a batch sent with host->aws_call_many. */
struct irx_aws_request {
	const char *service;
	const char *operation;
	struct json_object *params;   /* borrowed */
	struct json_object *response; /* out: transferred on success, NULL on failure */
	int failed;                   /* out */
	char error[512];              /* out: "Code: message (HTTP n, request id x)" */
	/* in: AWS error codes that are answers, not failures, as for aws_call_expect
	   (NULL-terminated; NULL = none). out: the one it failed with, "" otherwise. */
	const char *const *expected;
	char expected_code[64];
};

/* What the host tells an action about the step it runs in. Borrowed. */
struct irx_context {
	uint32_t size; /* sizeof(struct irx_context) as the host built it */
	const struct irx_host *host;
	struct irx_call *call; /* pass back to every host function */
	const char *execution_id;
	const char *step_name;
	const char *account_id; /* "" when unknown */
	const char *region;     /* "" when unknown */
	const char *case_id;    /* "" when none */
	int dry_run;            /* nonzero: change nothing, describe what would change */
	void *plugin_data;      /* what the plugin's init returned */
	int64_t deadline_ms;    /* CLOCK_MONOTONIC ms the step must end by; 0 = none.
				   The host's AWS calls honour it; long loops should too. */
};

/*
 * What an action reports. The host creates both objects (empty JSON objects)
 * before calling execute or rollback and keeps ownership; the action adds keys.
 * - outputs: values step outputs select from (`$.Key`).
 * - undo: what rollback needs; written to the journal before the step ends.
 *   Record it as you go, so partial progress can be rolled back.
 * - next_step: only aws:branch sets it (borrowed from inputs).
 * - message: a short human summary ("already contained"); borrowed string
 *   with static storage or from inputs/outputs.
 */
struct irx_result {
	struct json_object *outputs;
	struct json_object *undo;
	const char *next_step;
	const char *message;
};

/*
 * execute/rollback return 0 on success, -1 on failure. On failure call
 * host->fail first (the first failure message wins); returning -1 without it
 * fails the step with a generic message naming the action.
 * inputs are borrowed, already templated, type-checked against params, with
 * defaults applied.
 */
typedef int irx_execute_fn(const struct irx_context *ctx, struct json_object *inputs,
			   struct irx_result *result);
typedef int irx_rollback_fn(const struct irx_context *ctx, struct json_object *undo,
			    struct irx_result *result);

struct irx_action {
	const char *name; /* "ec2Instance": used as `plugin:name` */
	const char *summary;
	uint32_t flags;
	const struct irx_param *params; /* {0}-terminated */
	irx_execute_fn *execute;        /* required */
	irx_rollback_fn *rollback;      /* NULL: cannot be undone */
	/*
	 * Added in 1.1. The AWS calls execute and rollback make: NULL-terminated
	 * "service:Operation" with irx's model names ("ec2:DescribeInstances",
	 * "elasticloadbalancingv2:DeregisterTargets"). The loader refuses an unknown
	 * name; the host fails any call the list does not name; `irx policy` builds
	 * the member-account role policy from the lists. NULL = undeclared (any
	 * call, and nothing in the generated policy).
	 */
	const char *const *aws_calls;
};

/*
 * The host function table. Append-only; check `size` before using a member
 * added after 1.0. Every function takes the call handle from irx_context.
 */
struct irx_host {
	uint32_t abi_major, abi_minor, size;

	void (*log)(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* Records why the step failed; returns -1 so `return host->fail(...)` reads well. */
	int (*fail)(struct irx_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

	/*
	 * Calls an AWS API in the step's account and region with its credentials.
	 * params: borrowed JSON object of the operation's input members.
	 * *response: transferred (caller puts it) on success.
	 * In dry-run a mutating operation is not sent; it is recorded as a planned
	 * call and *response is an empty object. Returns 0, or -1 with the step's
	 * error set (HTTP status, AWS code, message, request id).
	 * NULL when the host has no AWS client.
	 */
	int (*aws_call)(struct irx_call *call, const char *service, const char *operation,
			struct json_object *params, struct json_object **response);

	/*
	 * Journals the undo record as it stands (fsync'd), so a crash after the
	 * next change still leaves what rollback needs. Call it after adding to
	 * result->undo and before each change. undo: borrowed. Returns 0 or -1.
	 */
	int (*checkpoint)(struct irx_call *call, struct json_object *undo);

	/*
	 * Sleeps ms (waits between changes, polling). Returns 0, or -1 when the
	 * step's deadline passed or the execution is being cancelled: stop then.
	 */
	int (*sleep)(struct irx_call *call, long long ms);

	/*
	 * Like aws_call, for a call whose failure with one of the AWS error codes in
	 * `expected` (NULL-terminated, e.g. {"NoSuchEntity", NULL}) is an answer, not a
	 * failure ("this user has no console password"): then it returns 1, *response is
	 * NULL and the step's error stays unset. Any other outcome is aws_call's.
	 * Added after 1.0: use only when host->size covers it.
	 */
	int (*aws_call_expect)(struct irx_call *call, const char *service, const char *operation,
			       struct json_object *params, const char *const *expected,
			       struct json_object **response);

	/*
	 * Sends n independent calls concurrently (same rules as aws_call, dry-run
	 * included) and waits for all. Returns how many failed; each request says
	 * why, and the step's error is the first failure's. Use it for calls that do
	 * not depend on each other: a containment's round trips are its latency.
	 * Added after 1.0: use only when host->size covers it.
	 */
	size_t (*aws_call_many)(struct irx_call *call, struct irx_aws_request *reqs, size_t n);

	/*
	 * aws_call in another region of the step's account, with the step's
	 * credentials: for what AWS wants called in a destination region (a
	 * snapshot copied across regions is created by CopySnapshot there).
	 * Added after 1.0: use only when host->size covers it.
	 */
	int (*aws_call_in)(struct irx_call *call, const char *region, const char *service,
			   const char *operation, struct json_object *params,
			   struct json_object **response);
};

typedef int irx_plugin_init_fn(const struct irx_host *host, void **plugin_data);
typedef void irx_plugin_fini_fn(void *plugin_data);

struct irx_plugin {
	uint32_t abi_major, abi_minor, size;
	const char *name; /* must equal the file name without ".so" */
	const char *version;
	const char *license;
	const struct irx_action *actions; /* {0}-terminated, at least one */
	irx_plugin_init_fn *init;         /* optional */
	irx_plugin_fini_fn *fini;         /* optional */
};

typedef const struct irx_plugin *irx_plugin_entry_fn(void);

#if defined(IRX_PLUGIN_STATIC)
/* Linked into a test binary: the entry gets a unique, non-exported name. */
#define IRX_PLUGIN_ENTRY_NAME_(n) irx_plugin_entry_##n
#define IRX_PLUGIN_ENTRY_NAME(n) IRX_PLUGIN_ENTRY_NAME_(n)
#define IRX_PLUGIN_EXPORT
#define IRX_PLUGIN_FN IRX_PLUGIN_ENTRY_NAME(IRX_PLUGIN_STATIC)
#else
#define IRX_PLUGIN_EXPORT __attribute__((visibility("default")))
#define IRX_PLUGIN_FN irx_plugin_entry
#endif

#define IRX_PLUGIN_DEFINE(pname, pversion, plicense, pactions, pinit, pfini)          \
	IRX_PLUGIN_EXPORT const struct irx_plugin *IRX_PLUGIN_FN(void);               \
	IRX_PLUGIN_EXPORT const struct irx_plugin *IRX_PLUGIN_FN(void)                \
	{                                                                             \
		static const struct irx_plugin desc = {                               \
			IRX_PLUGIN_ABI_MAJOR, IRX_PLUGIN_ABI_MINOR,                   \
			sizeof(struct irx_plugin), (pname), (pversion), (plicense),  \
			(pactions), (pinit), (pfini)};                                \
		return &desc;                                                         \
	}

#ifdef __cplusplus
}
#endif
#endif /* IRX_PLUGIN_H */
