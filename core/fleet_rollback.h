/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rolling back a fleet (`irx rollback FLEET_ID`): every execution of the fleet that changed
 * something is rolled back through the per-execution rollback (core/rollback.h), each as a
 * rollback execution with its own journal, on the fleet's workers (irx_fleet_each) within its
 * bounds and with each account reached as the fleet reached it (its journal's role_arn, else the
 * configuration's access path).
 *
 * Per target:
 * - no execution started, or its journal records no change: nothing to undo (no rollback runs);
 * - an earlier rollback of the execution ended Success (not a dry run): already rolled back,
 *   nothing runs: a second fleet rollback changes nothing, and a later containment of the same
 *   resources is not undone by rolling back the old fleet again (`irx rollback EXECUTION_ID`
 *   still rolls one back again, as it always does). An earlier rollback that failed is retried;
 * - otherwise rolled back, or failed (the rollback could not start or did not succeed).
 * An interrupted fleet (killed; no fleet_end) can be rolled back: its interrupted executions'
 * undo records were written before each change (step_progress). A fleet that still runs, or that
 * was a dry run, is refused.
 *
 * A rollback that is not a dry run is recorded in the fleet journal (its "rollback" record,
 * core/fleet_journal.h), which `irx show FLEET_ID` reads. The fleet journal is held (its flock)
 * meanwhile, so the fleet cannot be resumed while it is rolled back.
 */
#ifndef IRX_FLEET_ROLLBACK_H
#define IRX_FLEET_ROLLBACK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "fleet_journal.h"
#include "host.h"
#include "journal.h"

struct irx_actions;
struct irx_config;
struct irx_error;

enum irx_fleet_rb_outcome {
	IRX_FLEET_RB_ROLLED_BACK = 0,
	IRX_FLEET_RB_NOTHING = 1, /* nothing to undo */
	IRX_FLEET_RB_ALREADY = 2, /* already rolled back */
	IRX_FLEET_RB_FAILED = 3,
};

struct irx_fleet_rb_item {
	char *arn;				     /* owned */
	char execution_id[IRX_EXECUTION_ID_LEN + 1]; /* the fleet's; "" when none started */
	char rollback_id[IRX_EXECUTION_ID_LEN + 1];  /* the rollback's; "" when none ran */
	char previous_id[IRX_EXECUTION_ID_LEN + 1];  /* ALREADY: the earlier rollback */
	enum irx_fleet_rb_outcome outcome;
	const char *status; /* the rollback's status (static), NULL when none ran */
	char *reason;	    /* owned; NULL when rolled back completely */
	bool interrupted;   /* the fleet's execution did not end (killed) */
	long long duration_ms;
};

struct irx_fleet_rollback_options {
	const char *state_dir;	      /* required */
	bool dry_run;		      /* plugins plan; nothing changes, nothing is recorded */
	struct irx_actions *actions;  /* borrowed: where the executions' actions are found */
	const struct irx_config *cfg; /* accounts' roles; may be NULL */
	/* NULL: the fleet's (its journal's profile and role_arn); external_id must be given again
	 * when the fleet used one with its role_arn (its journal does not keep it) */
	const char *profile;
	const char *role_arn;
	const char *external_id;
	unsigned concurrency, per_account, per_region; /* 0: the fleet's */
	/* called once the plan is known, before anything runs (may be NULL) */
	void (*begin)(void *ud, const struct irx_fleet_rb_item *items, size_t count,
		      bool fleet_interrupted, size_t to_roll_back);
	/* called (serialised) as each target's rollback ends; may be NULL */
	void (*done)(void *ud, const struct irx_fleet_rb_item *it, size_t done, size_t total);
	void *ud;
	irx_log_fn *log; /* plugins' warnings and errors, each naming its target; NULL: stderr */
	void *log_ud;
	const volatile sig_atomic_t *cancel;
};

struct irx_fleet_rb_result {
	char fleet_id[IRX_FLEET_ID_LEN + 1];
	char *runbook;			 /* owned */
	bool fleet_interrupted;		 /* no fleet_end */
	struct irx_fleet_rb_item *items; /* owned, in the fleet's order */
	size_t count;
	size_t n[4]; /* per outcome */
	long long duration_ms;
};

/*
 * Rolls the fleet back. Returns 0 when every target was dealt with (check the outcomes), or -1
 * with err set: IRX_ERR_INVALID (not a fleet id, still running, a dry run, an ExternalId
 * needed), IRX_ERR_NOT_FOUND (no such fleet), IRX_ERR_PARSE (a damaged fleet journal); then
 * result->items is NULL, nothing ran. Also -1 (IRX_ERR_IO) when the rollback record could not be
 * appended: then every target was dealt with and result is filled.
 */
int irx_fleet_rollback(const char *fleet_id, const struct irx_fleet_rollback_options *o,
		       struct irx_fleet_rb_result *result, struct irx_error *err);
void irx_fleet_rb_result_release(struct irx_fleet_rb_result *r);

/* "rolled-back", "nothing-to-undo", "already-rolled-back", "failed". */
const char *irx_fleet_rb_outcome_name(enum irx_fleet_rb_outcome o);

/*
 * The result as JSON: {FleetId, Operation: "Rollback", Runbook, DryRun, Interrupted (the
 * fleet), Targets, RolledBack, NothingToUndo, AlreadyRolledBack, Failed, DurationMs,
 * Executions: [{TargetArn, AutomationExecutionId, RollbackExecutionId, Outcome,
 * AutomationExecutionStatus (the rollback's), Reason, Interrupted}]}. Transferred.
 */
struct json_object *irx_fleet_rb_summary(const struct irx_fleet_rb_result *r, bool dry_run);

#endif
