/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rollback: replays an execution's undo records in reverse order of
 * completion through each action's rollback function, as an execution of its
 * own (journal mode "rollback", parent_execution_id, steps "rollback:<step>").
 *
 * What gets rolled back, per step attempt of the original execution:
 * - the step_end's undo record; for an attempt without step_end (the run was
 *   interrupted) the last step_progress undo record of that attempt;
 * - an attempt with an undo record whose action has no rollback, or a
 *   mutating action without rollback that succeeded, is reported "cannot be
 *   undone" (step status Skipped);
 * - attempts without an undo record changed nothing that can be restored and
 *   are left out.
 * Each attempt is its own unit, so a failed first attempt's partial change is
 * undone after the retry's.
 */
#ifndef IRX_ROLLBACK_H
#define IRX_ROLLBACK_H

#include <signal.h>
#include <stdbool.h>

#include <json-c/json.h>

#include "executor.h"
#include "host.h"
#include "journal.h"

struct irx_actions;
struct irx_error;

struct irx_rollback_options {
	const char *state_dir;	     /* required */
	bool dry_run;		     /* plugins plan (ctx->dry_run); nothing changes */
	struct irx_actions *actions; /* borrowed: where the original actions are found */
	irx_progress_fn *progress;   /* may be NULL; step names are "rollback:<step>" */
	void *progress_ud;
	irx_log_fn *log; /* NULL: stderr, info and above */
	void *log_ud;
	irx_aws_call_fn *aws_call;	     /* NULL: plugins see host->aws_call == NULL */
	irx_aws_call_many_fn *aws_call_many; /* NULL: batches go one call at a time */
	irx_aws_call_in_fn *aws_call_in;     /* NULL: no call in another region */
	void *aws_ud;
	void (*sleep_ms)(void *ud, long long ms);
	void *sleep_ud;
	const volatile sig_atomic_t *cancel;
};

struct irx_rollback_result {
	char execution_id[IRX_EXECUTION_ID_LEN + 1]; /* the rollback's own */
	const char *status;			     /* "Success", "Failed", "Cancelled" (static) */
	/*
	 * One entry per unit, in the order rolled back: {StepName ("rollback:x"),
	 * RolledBackStep, Attempt, Action, StepStatus (Success | Failed | Skipped |
	 * Cancelled), Message, Restorable (false: cannot be undone)}. Owned.
	 */
	struct json_object *steps;
	/* Earlier rollbacks of the same execution (ids); owned. */
	struct json_object *previous_rollbacks;
	char failure_message[1024];
	char journal_path[4096];
};

/*
 * Rolls back execution_id. Returns 0 when the rollback ran (check
 * result->status), or -1 with err set when it could not start:
 * IRX_ERR_NOT_FOUND (no such execution), IRX_ERR_INVALID (still running, a
 * dry run, itself a rollback, no execution_start record), IRX_ERR_IO.
 */
int irx_rollback(const char *execution_id, const struct irx_rollback_options *opts,
		 struct irx_rollback_result *result, struct irx_error *err);
void irx_rollback_result_release(struct irx_rollback_result *result);

/*
 * How many units a rollback of execution_id would report (0: it changed nothing to undo), read
 * from its journal without running anything. Returns 0, or -1 with err set as irx_rollback
 * (IRX_ERR_NOT_FOUND, IRX_ERR_INVALID: a dry run, itself a rollback, no execution_start).
 */
int irx_rollback_pending(const char *state_dir, const char *execution_id,
			 struct irx_actions *actions, size_t *units, struct irx_error *err);

#endif
