/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Formats execution summaries (irx_journal_summarise's AutomationExecution
 * objects) and fleets (irx_fleet_describe's) for people: `irx show` and
 * `irx executions`. Text written here is
 * stripped of control characters (messages can quote AWS responses and tags,
 * which an attacker may control), so escape sequences never reach a terminal.
 */
#ifndef IRX_SHOW_H
#define IRX_SHOW_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

/* "850ms", "2.3s", "4m05s", "1h02m"; "-" for a negative duration (unknown). */
void irx_show_duration(long long ms, char *buf, size_t len);

/* One execution (borrowed): a header, its parameters, one line per step, its outputs. */
void irx_show_execution(FILE *f, struct json_object *summary);

/*
 * The AutomationExecutionMetadata (as `aws ssm describe-automation-executions`
 * lists it) for a summary (borrowed). Transferred.
 */
struct json_object *irx_show_metadata(struct json_object *summary);

/* A table of metadata objects (a borrowed array): id, runbook, status, start, duration. */
void irx_show_executions(FILE *f, struct json_object *metadata_list);

/*
 * A fleet (irx_fleet_describe's object, borrowed): a header (runbook, status, times, resumes,
 * its last rollback, the counts), one line per target (outcome, ARN, execution, the rollback's
 * id or finding when it was rolled back, reason) and, for an interrupted fleet, what to do next.
 */
void irx_show_fleet(FILE *f, struct json_object *fleet);

/*
 * A table of fleets (irx_fleet_describe objects; one with FailureMessage could not be read):
 * id, runbook, status, start, duration, the counts.
 */
void irx_show_fleets(FILE *f, struct json_object *fleets);

#endif
