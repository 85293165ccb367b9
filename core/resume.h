/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx resume: continue an interrupted execution (a journal without execution_end that no
 * process holds) in the same journal. A "resume" record is appended, then the run goes on
 * where it stopped:
 * - finished steps are not run again; their outputs are restored from their step_end records
 *   for later templates, and a critical failure recorded before the crash still fails the run;
 * - the step the crash cut short (a step_start without its step_end) runs again only if that
 *   is safe: its action is IRX_ACTION_IDEMPOTENT, or a built-in that changes nothing
 *   (aws:sleep, aws:branch, aws:waitForAwsResourceProperty, aws:assertAwsResourceProperty,
 *   aws:executeAwsApi of a read-only operation). Otherwise the resume is refused unless forced;
 * - a step that had failed an attempt and was waiting to retry is retried, as the execution
 *   would have done; a finished aws:branch runs again (its choice is not journaled; it is pure).
 * The execution keeps its id, parameters (secret ones, redacted in the journal, must be given
 * again), account, region, case id, dry-run and exception settings.
 */
#ifndef IRX_RESUME_H
#define IRX_RESUME_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "executor.h"
#include "journal.h"

struct irx_actions;
struct irx_diags;
struct irx_error;
struct irx_runbook;

struct irx_resume {
	char execution_id[IRX_EXECUTION_ID_LEN + 1];
	struct json_object *records; /* owned: the journal */
	struct json_object *start;   /* the execution_start record (in records) */
	const char *runbook_name;    /* from start; borrowed */
	const char *runbook_path;    /* from start; NULL when not recorded */
	/* filled by irx_resume_plan */
	struct json_object *step_outputs; /* owned: {step: {output: value}} */
	struct json_object *skipped;	  /* owned: steps exceptions skipped */
	char *start_step;		  /* owned; NULL: no step is left */
	char *rerun_step;		  /* owned: the interrupted step, run again; NULL: none */
	char *rerun_action;		  /* owned */
	bool rerun_safe;		  /* false: refused unless forced */
	unsigned executed;
	const char *status;    /* static: "Success", "Failed", "TimedOut", "Cancelled" */
	char *failure_message; /* owned; "" when none */
};

/*
 * Reads the execution's journal and checks it can be resumed. Returns 0, or -1 with err set:
 * IRX_ERR_NOT_FOUND (no such execution), IRX_ERR_INVALID ("execution X is still running",
 * "execution X already ended (Success)", "execution X is a rollback: ...", no
 * execution_start).
 */
int irx_resume_load(const char *state_dir, const char *execution_id, struct irx_resume *r,
		    struct irx_error *err);

/*
 * Works out where the execution stands against its runbook (loaded and validated by the
 * caller). Returns 0, or -1 with err set when the journal names a step the runbook lacks
 * ("step 'x' of the journal is not in runbook 'y': it changed since").
 */
int irx_resume_plan(struct irx_resume *r, const struct irx_runbook *rb, struct irx_actions *actions,
		    struct irx_error *err);

/* True if re-running action (with the journaled step inputs, which may be NULL) is safe. */
bool irx_resume_rerun_safe(struct irx_actions *actions, const char *action,
			   struct json_object *inputs);

/*
 * The parameters again: the journaled values, with overrides ("NAME=VALUE") for the secret
 * ones the journal redacted. NULL with diags set when one is missing or invalid.
 */
struct json_object *irx_resume_params(const struct irx_resume *r, const struct irx_runbook *rb,
				      const char *const *overrides, size_t count,
				      struct irx_diags *diags);

/*
 * Fills eo's dry_run, account_id, region, case_id and exception settings from the journal
 * (strings borrowed from r). The caller sets state_dir, the AWS members and progress.
 */
void irx_resume_exec_options(const struct irx_resume *r, struct irx_exec_options *eo);

/*
 * Appends the resume record and runs the rest (irx_execute with eo->resume set). Refuses an
 * unsafe re-run unless force ("step 'x' (testkit:slow) was interrupted and its action is not
 * idempotent: resuming would run it again; check its effect, then use --force"). Returns as
 * irx_execute does.
 */
int irx_resume_execute(struct irx_resume *r, const struct irx_runbook *rb,
		       struct json_object *params, struct irx_actions *actions,
		       struct irx_exec_options *eo, bool force, struct irx_exec_result *result,
		       struct irx_error *err);

void irx_resume_release(struct irx_resume *r);

#endif
