/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The execution journal: one JSON object per line in
 * <state-dir>/executions/<execution-id>.jsonl (mode 0600), flushed and
 * fsync'd on every append, so a crash leaves every finished step readable.
 *
 * Records (field "type"):
 *   execution_start  execution_id, runbook, runbook_path, parameters (secrets
 *                    redacted), dry_run, account_id, region, case_id, mode
 *                    ("run" | "rollback"), parent_execution_id (rollback),
 *                    fleet_id (the fleet it is part of, core/fleet_journal.h;
 *                    null when none), start_time (ISO-8601 UTC), irx_version
 *   step_start       step, action, attempt, inputs (secrets redacted), start_time
 *   step_end         step, action, attempt, status (Success | Failed | TimedOut
 *                    | Skipped | Cancelled), outputs, undo (object or null),
 *                    message, error (null or {code, message, http_status,
 *                    aws_code, aws_message, request_id}), planned_calls (dry-run:
 *                    [{service, operation, parameters}]), start_time, end_time,
 *                    duration_ms
 *   step_progress    step, action, attempt, undo: the undo record so far, written by
 *                    host->checkpoint before each change (the last one before a crash
 *                    is what rollback gets)
 *   resume           an interrupted execution continued (irx resume): resume_time,
 *                    from_step (the step it starts at, null when none is left),
 *                    rerun_step (the interrupted step run again, or null), forced,
 *                    irx_version
 *   execution_end    status (Success | Failed | TimedOut | Cancelled),
 *                    outputs, failure_message, end_time, duration_ms
 */
#ifndef IRX_JOURNAL_H
#define IRX_JOURNAL_H

#include <stddef.h>

#include <json-c/json.h>

struct irx_error;

#define IRX_EXECUTION_ID_LEN 36 /* a UUID, as SSM uses */

/* Writes a new random (v4) UUID into buf. */
void irx_execution_id_new(char buf[IRX_EXECUTION_ID_LEN + 1]);
/* True if s looks like an execution id (also guards path building). */
int irx_execution_id_valid(const char *s);

/*
 * The state directory: explicit (--state-dir), else IRX_STATE_DIR, else
 * $XDG_STATE_HOME/irx, else $HOME/.local/state/irx. Returns a new string, or
 * NULL when there is no home directory to fall back to.
 */
char *irx_state_dir_resolve(const char *explicit_dir);

struct irx_journal;

/*
 * Creates the journal (and directories, mode 0700). Fails if it exists. The
 * journal holds an exclusive flock(2) on the file until irx_journal_close, so
 * readers can tell a running execution from an interrupted one.
 */
struct irx_journal *irx_journal_create(const char *state_dir, const char *execution_id,
				       struct irx_error *err);
/*
 * Opens an existing journal to append to it (irx resume), holding its flock like
 * irx_journal_create. A torn last line is cut off first. NULL with err set:
 * IRX_ERR_NOT_FOUND (no such journal), IRX_ERR_INVALID (a process still holds it).
 */
struct irx_journal *irx_journal_open_append(const char *state_dir, const char *execution_id,
					    struct irx_error *err);
/* Appends one record (borrowed) as a line; flush + fsync. Returns 0 or -1. */
int irx_journal_append(struct irx_journal *j, struct json_object *record, struct irx_error *err);
const char *irx_journal_path(const struct irx_journal *j);
void irx_journal_close(struct irx_journal *j);

/*
 * Reads an execution's records as a JSON array (transferred). A torn last line
 * (crash mid-write) is skipped and *truncated set to 1. NULL with err set
 * (IRX_ERR_NOT_FOUND for an unknown id).
 */
struct json_object *irx_journal_read(const char *state_dir, const char *execution_id,
				     int *truncated, struct irx_error *err);

/*
 * 1 if a process holds the execution's journal open for writing (its flock),
 * 0 if not (or there is no such journal), -1 with err set. Call it before
 * irx_journal_read: a run that ends in between is then seen as ended.
 */
int irx_journal_running(const char *state_dir, const char *execution_id, struct irx_error *err);

/*
 * Calls fn for every execution id in the state directory, newest first (by the
 * execution_start record's start_time, else the file's mtime). A missing
 * directory lists nothing.
 */
typedef void irx_journal_each_fn(void *ud, const char *execution_id);
int irx_journal_list(const char *state_dir, irx_journal_each_fn *fn, void *ud,
		     struct irx_error *err);

/*
 * The first record of an execution's journal (its execution_start, read from the first line
 * only: cheap on a state directory of many executions), or NULL when there is none (no such
 * journal, an empty one, a first line that is not a JSON object). Transferred.
 */
struct json_object *irx_journal_read_first(const char *state_dir, const char *execution_id);

/*
 * Other journals in the same format and with the same guarantees (0600 files in a 0700
 * <state-dir>/<dir>/, fsync'd appends, a torn last line cut off, the writer's flock): a kind
 * names the directory, the noun its messages use ("no fleet 'x' in DIR", "fleet x is still
 * running") and the check an id passes before it becomes a file name. The functions above are
 * these for irx_journal_kind_execution.
 */
struct irx_journal_kind {
	const char *dir;
	const char *noun;
	int (*valid)(const char *id);
};
extern const struct irx_journal_kind irx_journal_kind_execution;

struct irx_journal *irx_journal_create_kind(const struct irx_journal_kind *k,
					    const char *state_dir, const char *id,
					    struct irx_error *err);
struct irx_journal *irx_journal_open_append_kind(const struct irx_journal_kind *k,
						 const char *state_dir, const char *id,
						 struct irx_error *err);
struct json_object *irx_journal_read_kind(const struct irx_journal_kind *k, const char *state_dir,
					  const char *id, int *truncated, struct irx_error *err);
int irx_journal_running_kind(const struct irx_journal_kind *k, const char *state_dir,
			     const char *id, struct irx_error *err);

/*
 * Summarises an execution from its records, in the shape of
 * `aws ssm get-automation-execution`'s AutomationExecution: AutomationExecutionId,
 * DocumentName, AutomationExecutionStatus, ExecutionStartTime, ExecutionEndTime,
 * Parameters, Outputs, FailureMessage, Mode, StepExecutions[] (StepName, Action,
 * StepStatus, ExecutionStartTime, ExecutionEndTime, Inputs, Outputs,
 * FailureMessage, FailureDetails, Attempts). An execution without an
 * execution_end record is "InProgress" (or interrupted). Transferred.
 * Like SSM: Parameters and Outputs map names to lists of strings, step Inputs
 * map names to each value's JSON text. Unlike SSM: times are the journal's
 * ISO-8601 strings (as the AWS CLI v2 prints them), and irx adds, per step,
 * Attempts, DurationMs, Message (status Success/Skipped), Undo, PlannedCalls
 * and, per execution, ProgressCounters, Operation ("Run" | "Rollback"), DryRun,
 * DurationMs, AccountId, Region, CaseId, RunbookPath, IrxVersion when known.
 */
struct json_object *irx_journal_summarise(struct json_object *records);
/*
 * The same, knowing whether the execution still runs (irx_journal_running): an
 * execution without execution_end is "InProgress" when running, else
 * "Interrupted" (and so is the step it was in).
 */
struct json_object *irx_journal_summarise_state(struct json_object *records, int running);

#endif
