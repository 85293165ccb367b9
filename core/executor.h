/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs a validated runbook: binds templates, runs each step's action with
 * retries and timeouts, extracts outputs, follows onFailure / nextStep /
 * isEnd / aws:branch, and journals every step.
 */
#ifndef IRX_EXECUTOR_H
#define IRX_EXECUTOR_H

#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "host.h"
#include "journal.h"

struct irx_actions;
struct irx_error;
struct irx_runbook;

#define IRX_DEFAULT_MAX_STEP_EXECUTIONS 1000

enum irx_step_event {
	IRX_STEP_STARTED = 1,
	IRX_STEP_FINISHED = 2,
};

/* Progress callback: status is "InProgress" for STARTED, else the step's final status. */
typedef void irx_progress_fn(void *ud, enum irx_step_event ev, const char *step,
			     const char *action, const char *status, long long duration_ms,
			     const char *message);

struct irx_exec_options {
	const char *state_dir;      /* required: where the journal goes */
	bool dry_run;
	const char *account_id;     /* for {{ global:ACCOUNT_ID }}; "" unknown */
	const char *region;         /* for {{ global:REGION }}; "" unknown */
	const char *case_id;        /* "" none */
	unsigned max_step_executions; /* 0: IRX_DEFAULT_MAX_STEP_EXECUTIONS */
	irx_progress_fn *progress;  /* may be NULL */
	void *progress_ud;
	/* Injectable for tests: sleeping (backoff, aws:sleep). NULL: nanosleep. */
	void (*sleep_ms)(void *ud, long long ms);
	void *sleep_ud;
	/* Where plugin and built-in log lines go (secrets already redacted). NULL: stderr,
	   info and above; a logger set here gets every level and filters itself. */
	irx_log_fn *log;
	void *log_ud;
	/* The AWS client's call (core/host.h). NULL: plugins see host->aws_call == NULL. */
	irx_aws_call_fn *aws_call;
	irx_aws_call_many_fn *aws_call_many; /* NULL: batches are sent one call at a time */
	irx_aws_call_in_fn *aws_call_in;     /* NULL: no call in another region */
	void *aws_ud;
	/* Set to nonzero (from a SIGINT handler, say) to cancel: the running step ends
	   Cancelled at its next check (sleeps are cut short), no further step starts, and
	   the execution ends Cancelled. NULL: cannot be cancelled. */
	const volatile sig_atomic_t *cancel;
	/* The exception gate (core/exceptions.h): before each step whose action mutates and has
	   an IRX_PARAM_RESOURCE input, the resource's exception tag is read live. */
	bool ignore_exceptions;	       /* --ignore-exceptions: no gate; journaled */
	const char *exception_tag;     /* NULL: IRX_EXCEPTION_DEFAULT_TAG */
	const char *exception_registry; /* NULL: none; a file, or "ssm:NAME" */
	time_t exception_now;	       /* tests: the time expiry is judged at; 0: now */
	/* Continue an interrupted execution instead of starting one (core/resume.h). NULL: new. */
	const struct irx_exec_resume *resume;
	/* The fleet this execution is part of (core/fleet_journal.h), written in execution_start so
	   a fleet killed at any instant still knows which execution ran which target. NULL: none. */
	const char *fleet_id;
};

/*
 * Where an interrupted execution stands (built by core/resume.c from its journal). The
 * execution keeps its id and journal: record is appended instead of execution_start, the
 * finished steps' outputs are restored, and the run goes on at start_step.
 */
struct irx_exec_resume {
	const char *execution_id;
	struct irx_journal *journal;	  /* open for append; taken over (closed) by irx_execute */
	struct json_object *record;	  /* the "resume" record; borrowed */
	struct json_object *step_outputs; /* {step: {output: value}} of finished steps; borrowed */
	struct json_object *skipped;	  /* what exceptions skipped so far (array); borrowed */
	const char *start_step;		  /* NULL: no step is left, the execution just ends */
	unsigned executed;		  /* step executions so far (for max_step_executions) */
	const char *status;		  /* "Success", or what a critical step failed with */
	const char *failure_message;	  /* "" when none */
};

struct irx_exec_result {
	char execution_id[IRX_EXECUTION_ID_LEN + 1];
	const char *status;               /* "Success", "Failed", "TimedOut", "Cancelled" (static) */
	struct json_object *outputs;      /* runbook outputs; owned, put by irx_exec_result_release */
	char failure_message[1024];
	char journal_path[4096];
	/* Steps an exception skipped: [{step, action, message, exceptions: [check...]}]; owned. */
	struct json_object *skipped_steps;
};

/*
 * Executes rb with bound parameters (borrowed, from irx_params_bind).
 * Returns 0 when the execution ran to an end (check result->status), or -1
 * with err set when it could not run at all (journal not writable, ...).
 */
int irx_execute(const struct irx_runbook *rb, struct json_object *params,
		struct irx_actions *actions, const struct irx_exec_options *opts,
		struct irx_exec_result *result, struct irx_error *err);
void irx_exec_result_release(struct irx_exec_result *result);

/*
 * params (borrowed: a JSON object of parameter values) as an execution journal of rb records
 * them: a parameter that feeds a secret input of an action becomes "********", and its value is
 * redacted wherever it appears in the others. Transferred.
 */
struct json_object *irx_exec_journal_params(const struct irx_runbook *rb,
					    struct irx_actions *actions, struct json_object *params);

#endif
