/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fleet journal: what `irx run --targets` set out to do and how far it got, so a fleet
 * killed at any instant can be resumed (`irx resume FLEET_ID`). One JSON object per line in
 * <state-dir>/fleets/<fleet-id>.jsonl, with the execution journal's guarantees (core/journal.h:
 * 0600 in a 0700 directory, fsync'd appends, the writer's flock while the fleet runs).
 *
 * A fleet id is "fleet-" and a UUID: never mistaken for an execution id.
 *
 * Records (field "type"):
 *   fleet_start  fleet_id, runbook, runbook_path, targets (every ARN, in order), assignments
 *                ({NAME: VALUE text} besides TargetArn; secret ones "********" as execution
 *                journals redact them), dry_run, region (the default), case_id,
 *                max_step_executions, concurrency, per_account, per_region, ignore_exceptions,
 *                exception_tag, exception_registry, profile, role_arn, external_id ("********"
 *                when one was given: `irx config show` does not show ExternalIds either; null
 *                when none), start_time, irx_version
 *   target_end   target, execution_id (null when none started), account, region, outcome
 *                (contained | skipped | failed), status, reason, duration_ms, end_time
 *   resume       the fleet continued (irx resume): resume_time, done (targets that had ended),
 *                resumed (interrupted executions continued), started (targets not started
 *                before), forced, irx_version
 *   resume_end   a resume stopped short of the fleet's end because executions are still
 *                interrupted (their re-run refused): interrupted (their targets), end_time
 *   fleet_end    targets, contained, skipped, failed, end_time, duration_ms (this process's)
 *   rollback     the fleet was rolled back (irx rollback FLEET_ID; dry runs are not recorded),
 *                also after fleet_end: start_time, end_time, rolled_back, nothing_to_undo,
 *                already_rolled_back, failed (counts), executions ([{target, execution_id
 *                (null when none started), rollback_execution_id (the rollback that ran, or
 *                the earlier one for already-rolled-back; else null),
 *                outcome (rolled-back | nothing-to-undo | already-rolled-back | failed),
 *                reason}], in the fleet's order), irx_version
 *
 * Which execution runs which target is in the executions' own journals: their execution_start
 * record names the fleet (fleet_id) and the target (parameters.TargetArn).
 */
#ifndef IRX_FLEET_JOURNAL_H
#define IRX_FLEET_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "fleet.h"
#include "journal.h"

struct irx_error;

#define IRX_FLEET_ID_PREFIX "fleet-"
#define IRX_FLEET_ID_LEN (6 + IRX_EXECUTION_ID_LEN)

/* Writes a new fleet id into buf. */
void irx_fleet_id_new(char buf[IRX_FLEET_ID_LEN + 1]);
/* True if s is a fleet id ("fleet-" and a lowercase UUID; also guards path building). */
int irx_fleet_id_valid(const char *s);

/* The fleets/ journals, for irx_journal_*_kind (core/journal.h). */
extern const struct irx_journal_kind irx_journal_kind_fleet;

/* ---- records (transferred) ------------------------------------------------------------------ */

/* fleet_start: assignments is the journal's {NAME: VALUE} (already redacted; borrowed). */
struct json_object *irx_fleet_record_start(const char *fleet_id, const struct irx_fleet_options *o,
					   const char *const *targets, size_t count,
					   struct json_object *assignments);
struct json_object *irx_fleet_record_target_end(const struct irx_fleet_result *r);
struct json_object *irx_fleet_record_resume(size_t done, size_t resumed, size_t started,
					    bool forced);
/* resume_end: the targets whose execution is still interrupted (borrowed). */
struct json_object *irx_fleet_record_resume_end(const char *const *interrupted, size_t count);
struct json_object *irx_fleet_record_end(const struct irx_fleet_result *results, size_t count,
					 long long duration_ms);
/* rollback: executions is the list described above (taken over); start_time borrowed. */
struct json_object *irx_fleet_record_rollback(const char *start_time,
					      struct json_object *executions);

/* ---- reading -------------------------------------------------------------------------------- */

struct irx_fleet_target_state {
	const char *arn;	 /* borrowed from the records */
	struct json_object *end; /* its target_end record (borrowed), NULL when none */
	/* filled by irx_fleet_state_find_executions: the execution whose journal names this fleet
	 * and target ("" when none started) */
	char execution_id[IRX_EXECUTION_ID_LEN + 1];
};

struct irx_fleet_state {
	char fleet_id[IRX_FLEET_ID_LEN + 1];
	struct json_object *records; /* owned */
	struct json_object *start;   /* the fleet_start record (in records) */
	struct json_object *end;     /* the fleet_end record, NULL when the fleet did not end */
	struct irx_fleet_target_state *targets; /* owned array, in the fleet's order */
	size_t target_count;
	unsigned resumes; /* resume records */
	struct json_object *rollback; /* the last rollback record (in records), NULL when none */
	unsigned rollbacks;	      /* rollback records */
};

/*
 * Checks a fleet journal's records (taken over, also on failure) and fills s. name is the
 * journal's path for messages. Returns 0, or -1 with err (IRX_ERR_PARSE) naming the line:
 * "fleet journal 'P' line 3: target 'arn:...' is not one of the fleet's targets".
 */
int irx_fleet_state_parse(const char *name, const char *fleet_id, struct json_object *records,
			  struct irx_fleet_state *s, struct irx_error *err);

/*
 * Reads and checks the fleet's journal (irx_journal_read_kind, then irx_fleet_state_parse).
 * IRX_ERR_NOT_FOUND: "no fleet 'fleet-...' in DIR"; IRX_ERR_INVALID: not a fleet id.
 */
int irx_fleet_state_read(const char *state_dir, const char *fleet_id, struct irx_fleet_state *s,
			 struct irx_error *err);

/*
 * Finds each target's execution: the execution journals whose execution_start names this
 * fleet. Returns 0 or -1 with err (the state directory cannot be read).
 */
int irx_fleet_state_find_executions(const char *state_dir, struct irx_fleet_state *s,
				    struct irx_error *err);

/* A target's recorded result (its target_end) into r (r->arn untouched; reason owned). */
void irx_fleet_result_from_record(struct json_object *target_end, struct irx_fleet_result *r);

/*
 * An execution's result from its own journal: 1 when it ended (r's execution_id, status,
 * outcome, reason and duration_ms filled; reason owned), 0 when it did not (interrupted), -1
 * with err when its journal cannot be read.
 */
int irx_fleet_execution_result(const char *state_dir, const char *execution_id,
			       struct irx_fleet_result *r, struct irx_error *err);

/* The static name irx uses for an execution status ("Success", ...); "Failed" if unknown. */
const char *irx_fleet_status_static(const char *status);

void irx_fleet_state_release(struct irx_fleet_state *s);

/*
 * Calls fn for every fleet in the state directory, newest first (by fleet_start's start_time,
 * else the id). A missing fleets/ directory lists nothing; an unreadable journal is listed
 * (irx_fleet_describe says why). Returns 0, or -1 with err set.
 */
int irx_fleet_list(const char *state_dir, void (*fn)(void *ud, const char *fleet_id), void *ud,
		   struct irx_error *err);

/*
 * What `irx show FLEET_ID` shows, from the fleet journal and, for targets without a
 * target_end, their executions' own journals. Transferred, or NULL with err set
 * (IRX_ERR_INVALID: not a fleet id; IRX_ERR_NOT_FOUND; IRX_ERR_PARSE: a damaged journal):
 *   FleetId, Runbook, RunbookPath, Status (Running: a process holds its journal; Interrupted:
 *   no fleet_end and nobody holds it; Ended), DryRun, StartTime, EndTime (null unless Ended),
 *   DurationMs (start to end, null unless Ended), Region, CaseId, Resumes ([resume_time]),
 *   Targets, Contained, Skipped, Failed, NotStarted, Interrupted, Running (counts),
 *   RolledBack (the last rollback: {StartTime, EndTime, RolledBack, NothingToUndo,
 *   AlreadyRolledBack, Failed}; null when none), Rollbacks (how many),
 *   Executions: [{TargetArn, Account, Region, AutomationExecutionId (null: none started),
 *   Outcome (contained | skipped | failed | not-started | interrupted | running),
 *   AutomationExecutionStatus, Reason, DurationMs, Rollback (null, or the last rollback's
 *   {AutomationExecutionId, Outcome, Reason})}].
 */
struct json_object *irx_fleet_describe(const char *state_dir, const char *fleet_id,
				       struct irx_error *err);

#endif
