/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of the plugin ABI: struct irx_call (one step attempt, the
 * handle every host function takes) and the struct irx_host table lent to
 * plugins. Built-in actions are core code and may read struct irx_call
 * directly (sleeping, the deadline); plugins see it only as an opaque handle.
 */
#ifndef IRX_HOST_H
#define IRX_HOST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "error.h"
#include "irx/plugin.h"

/*
 * Where log lines go. step may be NULL (plugin init). message is already
 * formatted and has secrets replaced by "********". Borrowed strings.
 */
typedef void irx_log_fn(void *ud, enum irx_log_level level, const char *step, const char *message);

/*
 * The AWS call the AWS client provides (see irx_host.aws_call for the
 * contract). ud is the client's own pointer; call is the step attempt.
 */
typedef int irx_aws_call_fn(void *ud, struct irx_call *call, const char *service,
			    const char *operation, struct json_object *params,
			    struct json_object **response);

/* The batch form of irx_aws_call_fn (see irx_host.aws_call_many). */
typedef size_t irx_aws_call_many_fn(void *ud, struct irx_call *call, struct irx_aws_request *reqs,
				    size_t n);

/* irx_aws_call_fn in another region (see irx_host.aws_call_in). */
typedef int irx_aws_call_in_fn(void *ud, struct irx_call *call, const char *region,
			       const char *service, const char *operation,
			       struct json_object *params, struct json_object **response);

struct irx_call {
	struct irx_error error; /* why the attempt failed: first failure wins */
	const char *step;	/* borrowed; NULL outside a step */
	const char *execution_id; /* borrowed; NULL outside an execution */
	const char *action;	/* borrowed; "aws:sleep", "isolate:ec2Instance" */
	/* The action's declared AWS calls (irx_action.aws_calls, borrowed): a call not in
	 * the list fails without being sent. NULL = undeclared: any call (the built-ins). */
	const char *const *aws_calls;
	bool dry_run;
	long long deadline_ms; /* CLOCK_MONOTONIC ms; 0 = none */
	bool timed_out;	       /* set by an action that stopped at the deadline */
	/* Output: logging. NULL log = irx_host_stderr_log. */
	irx_log_fn *log;
	void *log_ud;
	enum irx_log_level min_level; /* lines below this are dropped */
	/* Sleeping (aws:sleep, backoff). NULL = nanosleep. */
	void (*sleep_ms)(void *ud, long long ms);
	void *sleep_ud;
	/* host->checkpoint: journals the undo record so far. NULL = not journaled. */
	int (*checkpoint)(void *ud, struct irx_call *call, struct json_object *undo);
	void *checkpoint_ud;
	/* Nonzero when the execution is being cancelled; NULL = never. Borrowed. */
	const volatile sig_atomic_t *cancel;
	/* Secret input values (borrowed) replaced by "********" in log and fail text. */
	const char *const *secrets;
	size_t secret_count;
	/* The AWS client; NULL until one exists (the host table's aws_call is NULL then). */
	irx_aws_call_fn *aws_call;
	irx_aws_call_many_fn *aws_call_many; /* NULL: the host sends a batch one by one */
	irx_aws_call_in_fn *aws_call_in;     /* NULL: no call in another region */
	void *aws_ud;
	/* Dry-run: [{service, operation, parameters}] the AWS client did not send. Owned. */
	struct json_object *planned_calls;
};

/*
 * 0 when the call's action may call service:operation (it declares it, or declares
 * nothing); otherwise -1 with msg set to "action 'isolate:ec2Instance' called ec2:Foo,
 * which it does not declare in aws_calls". Names are compared as the models spell
 * them (a boto3-style alias is resolved first).
 */
int irx_call_check_declared(const struct irx_call *call, const char *service,
			    const char *operation, char *msg, size_t len);

/* Zeroes call and sets its defaults (planned_calls = []). */
void irx_call_init(struct irx_call *call);
/* Puts planned_calls; the call can be initialised again. */
void irx_call_release(struct irx_call *call);

/*
 * The host table for an execution: with_aws selects the table whose aws_call
 * forwards to call->aws_call; without it aws_call is NULL, so a plugin can
 * tell there is no AWS client. Static storage.
 */
const struct irx_host *irx_host_table(bool with_aws);

/*
 * Sleeps ms through call->sleep_ms (or nanosleep). ms <= 0 returns at once; a
 * cancellation (a signal that sets *call->cancel) cuts the sleep short.
 */
void irx_call_sleep(struct irx_call *call, long long ms);
/* True once the execution is being cancelled. */
bool irx_call_cancelled(const struct irx_call *call);

/* The default log: "irx: <level>: <step>: <message>" on stderr. ud unused. */
void irx_host_stderr_log(void *ud, enum irx_log_level level, const char *step, const char *message);

/*
 * Copies text into buf (size len, always NUL-terminated) with every
 * occurrence of a secret replaced by "********". Secrets shorter than 4 bytes
 * are still replaced (a short token is still a token); empty ones are ignored.
 */
void irx_redact(const char *text, const char *const *secrets, size_t count, char *buf, size_t len);

#endif
