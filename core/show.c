/* SPDX-License-Identifier: Apache-2.0 */
/* Text views of execution summaries for `irx show` and `irx executions`. */
#include "show.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static long long get_ms(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

/*
 * A copy safe to print: newlines and tabs become "\n" and "\t", other control
 * bytes (ESC included) "\xNN". Transferred.
 */
static char *clean(const char *s)
{
	size_t cap = 0, n = 0;
	char *out = NULL;

	if (!s)
		s = "";
	cap = strlen(s) * 4 + 1;
	out = irx_xmalloc(cap);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else if (*p == '\t') {
			out[n++] = '\\';
			out[n++] = 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p);
		} else {
			out[n++] = (char)*p;
		}
	}
	out[n] = '\0';
	return out;
}

static void put_clean(FILE *f, const char *s)
{
	char *c = clean(s);

	fputs(c, f);
	free(c);
}

void irx_show_duration(long long ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%lldms", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%lld.%llds", ms / 1000, ms % 1000 / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%lldm%02llds", ms / 60000, ms % 60000 / 1000);
	else
		snprintf(buf, len, "%lldh%02lldm", ms / 3600000, ms % 3600000 / 60000);
}

/* SSM's list of strings as one value: "a, b"; anything else as compact JSON. */
static char *joined(struct json_object *v)
{
	char *out = irx_xstrdup("");

	if (!json_object_is_type(v, json_type_array))
		return v ? irx_xstrdup(json_object_to_json_string_ext(
				   v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
			 : out;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s = json_object_is_type(e, json_type_string)
					? json_object_get_string(e)
					: json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN);
		char *next = irx_xasprintf("%s%s%s", out, i ? ", " : "", s);

		free(out);
		out = next;
	}
	return out;
}

static void field(FILE *f, const char *label, const char *value)
{
	fprintf(f, "%-12s", label);
	put_clean(f, value && *value ? value : "-");
	fputc('\n', f);
}

/* A "Name  value" block for a map of lists of strings (parameters, outputs). */
static void map_block(FILE *f, const char *title, struct json_object *map)
{
	size_t width = 0;

	if (!json_object_is_type(map, json_type_object) || json_object_object_length(map) == 0)
		return;
	fprintf(f, "\n%s\n", title);
	json_object_object_foreach(map, k1, v1)
	{
		(void)v1;
		if (strlen(k1) > width)
			width = strlen(k1);
	}
	json_object_object_foreach(map, key, val)
	{
		char *v = joined(val);
		char *k = clean(key);

		fprintf(f, "  %-*s  ", (int)width, k);
		put_clean(f, v);
		fputc('\n', f);
		free(k);
		free(v);
	}
}

static size_t max_width(struct json_object *rows, const char *key, size_t min)
{
	size_t width = min;

	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		char *c = clean(get_str(json_object_array_get_idx(rows, i), key));

		if (strlen(c) > width)
			width = strlen(c);
		free(c);
	}
	return width;
}

static void cell(FILE *f, const char *s, size_t width)
{
	char *c = clean(s && *s ? s : "-");

	fprintf(f, "%-*s  ", (int)width, c);
	free(c);
}

void irx_show_execution(FILE *f, struct json_object *summary)
{
	struct json_object *steps = get(summary, "StepExecutions");
	const char *runbook = get_str(summary, "DocumentName");
	const char *path = get_str(summary, "RunbookPath");
	char duration[32] = "";
	char *s = NULL;
	size_t wname = 0, waction = 0, wstatus = 0;

	field(f, "Execution", get_str(summary, "AutomationExecutionId"));
	s = path && *path ? irx_xasprintf("%s (%s)", runbook ? runbook : "-", path)
			  : irx_xstrdup(runbook ? runbook : "-");
	field(f, "Runbook", s);
	free(s);
	s = irx_xasprintf("%s%s", get_str(summary, "AutomationExecutionStatus"),
			  json_object_get_boolean(get(summary, "DryRun")) ? " (dry run)" : "");
	field(f, "Status", s);
	free(s);
	if (get_str(summary, "Operation") && strcmp(get_str(summary, "Operation"), "Run") != 0)
		field(f, "Operation", get_str(summary, "Operation"));
	if (get_str(summary, "ParentAutomationExecutionId"))
		field(f, "Parent", get_str(summary, "ParentAutomationExecutionId"));
	field(f, "Started", get_str(summary, "ExecutionStartTime"));
	field(f, "Ended", get_str(summary, "ExecutionEndTime"));
	irx_show_duration(get_ms(summary, "DurationMs"), duration, sizeof(duration));
	field(f, "Duration", duration);
	if (get_str(summary, "AccountId"))
		field(f, "Account", get_str(summary, "AccountId"));
	if (get_str(summary, "Region"))
		field(f, "Region", get_str(summary, "Region"));
	if (get_str(summary, "CaseId"))
		field(f, "Case", get_str(summary, "CaseId"));
	if (get_str(summary, "CurrentStepName"))
		field(f, "Current", get_str(summary, "CurrentStepName"));
	if (get_str(summary, "FailureMessage"))
		field(f, "Failure", get_str(summary, "FailureMessage"));
	for (size_t i = 0; json_object_is_type(get(summary, "Resumes"), json_type_array) &&
			   i < json_object_array_length(get(summary, "Resumes"));
	     i++) {
		/* irx resume continued it in this journal */
		struct json_object *r = json_object_array_get_idx(get(summary, "Resumes"), i);
		const char *from = get_str(r, "FromStep"), *rerun = get_str(r, "RerunStep");

		s = irx_xasprintf("%s at %s%s%s%s%s", get_str(r, "ResumeTime"),
				  from ? "step '" : "the end", from ? from : "", from ? "'" : "",
				  rerun ? " (the interrupted step run again)" : "",
				  json_object_get_boolean(get(r, "Forced")) ? " (forced)" : "");
		field(f, "Resumed", s);
		free(s);
	}
	map_block(f, "Parameters", get(summary, "Parameters"));

	fputs("\nSteps\n", f);
	if (!json_object_is_type(steps, json_type_array) || json_object_array_length(steps) == 0) {
		fputs("  (none)\n", f);
	} else {
		wname = max_width(steps, "StepName", 4);
		waction = max_width(steps, "Action", 6);
		wstatus = max_width(steps, "StepStatus", 6);
		fprintf(f, "  %-3s  %-*s  %-*s  %-*s  %-8s  %-8s  %s\n", "#", (int)wname, "STEP",
			(int)waction, "ACTION", (int)wstatus, "STATUS", "ATTEMPTS", "DURATION",
			"MESSAGE");
		for (size_t i = 0; i < json_object_array_length(steps); i++) {
			struct json_object *st = json_object_array_get_idx(steps, i);
			const char *msg = get_str(st, "FailureMessage");
			char attempts[24] = "-";
			long long n = get_ms(st, "Attempts");

			if (!msg)
				msg = get_str(st, "Message");
			if (n > 0)
				snprintf(attempts, sizeof(attempts), "%lld", n);
			irx_show_duration(get_ms(st, "DurationMs"), duration, sizeof(duration));
			fprintf(f, "  %-3zu  ", i + 1);
			cell(f, get_str(st, "StepName"), wname);
			cell(f, get_str(st, "Action"), waction);
			cell(f, get_str(st, "StepStatus"), wstatus);
			cell(f, attempts, 8);
			if (msg && *msg) {
				cell(f, duration, 8);
				put_clean(f, msg);
				fputc('\n', f);
			} else {
				fprintf(f, "%s\n", duration);
			}
		}
	}
	map_block(f, "Outputs", get(summary, "Outputs"));
}

struct json_object *irx_show_metadata(struct json_object *summary)
{
	static const char *const keys[] = {
		"AutomationExecutionId", "DocumentName", "AutomationExecutionStatus",
		"ExecutionStartTime", "ExecutionEndTime", "Outputs", "Mode",
		"ParentAutomationExecutionId", "CurrentStepName", "CurrentAction",
		"FailureMessage", "Operation", "DryRun", "DurationMs", "CaseId", NULL,
	};
	struct json_object *out = json_object_new_object();

	for (size_t i = 0; keys[i]; i++) {
		struct json_object *v = get(summary, keys[i]);

		if (v)
			json_object_object_add(out, keys[i], json_object_get(v));
	}
	return out;
}

void irx_show_executions(FILE *f, struct json_object *list)
{
	size_t wrunbook = max_width(list, "DocumentName", 7);
	size_t wstatus = max_width(list, "AutomationExecutionStatus", 6);
	size_t wstart = max_width(list, "ExecutionStartTime", 7);

	fprintf(f, "%-36s  %-*s  %-*s  %-*s  %s\n", "EXECUTION", (int)wrunbook, "RUNBOOK",
		(int)wstatus, "STATUS", (int)wstart, "STARTED", "DURATION");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *m = json_object_array_get_idx(list, i);
		char duration[32] = "";

		irx_show_duration(get_ms(m, "DurationMs"), duration, sizeof(duration));
		cell(f, get_str(m, "AutomationExecutionId"), 36);
		cell(f, get_str(m, "DocumentName"), wrunbook);
		cell(f, get_str(m, "AutomationExecutionStatus"), wstatus);
		cell(f, get_str(m, "ExecutionStartTime"), wstart);
		fprintf(f, "%s\n", duration);
	}
}

/* ---- fleets ---------------------------------------------------------------------------------- */

static long long get_int(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

/* "8: 7 contained, 0 skipped by exception, 1 failed, 0 not started, 0 interrupted". */
static char *fleet_counts(struct json_object *fleet)
{
	char *s = irx_xasprintf(
	    "%lld: %lld contained, %lld skipped by exception, %lld failed, %lld not started, %lld "
	    "interrupted",
	    get_int(fleet, "Targets"), get_int(fleet, "Contained"), get_int(fleet, "Skipped"),
	    get_int(fleet, "Failed"), get_int(fleet, "NotStarted"), get_int(fleet, "Interrupted"));

	if (get_int(fleet, "Running")) {
		char *t = irx_xasprintf("%s, %lld running", s, get_int(fleet, "Running"));

		free(s);
		s = t;
	}
	return s;
}

/* The rollback column of a target: its rollback's id, else what the rollback found. */
static const char *rollback_cell(struct json_object *row)
{
	struct json_object *rb = get(row, "Rollback");

	if (!rb)
		return "-";
	return get_str(rb, "AutomationExecutionId") ? get_str(rb, "AutomationExecutionId")
						    : get_str(rb, "Outcome");
}

void irx_show_fleet(FILE *f, struct json_object *fleet)
{
	struct json_object *rows = get(fleet, "Executions"), *rb = get(fleet, "RolledBack");
	const char *runbook = get_str(fleet, "Runbook"), *path = get_str(fleet, "RunbookPath");
	const char *status = get_str(fleet, "Status");
	char duration[32] = "";
	char *s = NULL;
	size_t wout = 0, warn = 0, wrb = 0;

	field(f, "Fleet", get_str(fleet, "FleetId"));
	s = path && *path ? irx_xasprintf("%s (%s)", runbook ? runbook : "-", path)
			  : irx_xstrdup(runbook ? runbook : "-");
	field(f, "Runbook", s);
	free(s);
	s = irx_xasprintf("%s%s", status ? status : "-",
			  json_object_get_boolean(get(fleet, "DryRun")) ? " (dry run)" : "");
	field(f, "Status", s);
	free(s);
	field(f, "Started", get_str(fleet, "StartTime"));
	field(f, "Ended", get_str(fleet, "EndTime"));
	irx_show_duration(get(fleet, "DurationMs") ? get_ms(fleet, "DurationMs") : -1, duration,
			  sizeof(duration));
	field(f, "Duration", duration);
	if (get_str(fleet, "Region"))
		field(f, "Region", get_str(fleet, "Region"));
	if (get_str(fleet, "CaseId"))
		field(f, "Case", get_str(fleet, "CaseId"));
	for (size_t i = 0; i < json_object_array_length(get(fleet, "Resumes")); i++)
		field(f, "Resumed",
		      json_object_get_string(json_object_array_get_idx(get(fleet, "Resumes"), i)));
	if (rb) {
		s = irx_xasprintf("%s: %lld rolled back, %lld nothing to undo, %lld already rolled "
				  "back, %lld failed",
				  get_str(rb, "EndTime") ? get_str(rb, "EndTime") : "-",
				  get_int(rb, "RolledBack"), get_int(rb, "NothingToUndo"),
				  get_int(rb, "AlreadyRolledBack"), get_int(rb, "Failed"));
		field(f, "Rolled back", s);
		free(s);
	}
	s = fleet_counts(fleet);
	field(f, "Targets", s);
	free(s);

	fputs("\nTargets\n", f);
	wout = max_width(rows, "Outcome", 7);
	warn = max_width(rows, "TargetArn", 6);
	for (size_t i = 0; rb && i < json_object_array_length(rows); i++) {
		char *c = clean(rollback_cell(json_object_array_get_idx(rows, i)));

		if (strlen(c) > wrb)
			wrb = strlen(c);
		free(c);
	}
	if (rb && wrb < 8)
		wrb = 8;
	fprintf(f, "  %-*s  %-*s  %-36s  ", (int)wout, "OUTCOME", (int)warn, "TARGET", "EXECUTION");
	if (rb)
		fprintf(f, "%-*s  ", (int)wrb, "ROLLBACK");
	fputs("REASON\n", f);
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);

		fputs("  ", f);
		cell(f, get_str(row, "Outcome"), wout);
		cell(f, get_str(row, "TargetArn"), warn);
		cell(f, get_str(row, "AutomationExecutionId"), 36);
		if (rb)
			cell(f, rollback_cell(row), wrb);
		put_clean(f, get_str(row, "Reason") ? get_str(row, "Reason") : "-");
		fputc('\n', f);
	}
	for (size_t i = 0; rb && i < json_object_array_length(rows); i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);
		struct json_object *r = get(row, "Rollback");

		if (!get_str(r, "Reason") || strcmp(get_str(r, "Outcome"), "failed") != 0)
			continue;
		fputs("Rollback of ", f);
		put_clean(f, get_str(row, "TargetArn"));
		fputs(" failed: ", f);
		put_clean(f, get_str(r, "Reason"));
		fputc('\n', f);
	}
	if (status && strcmp(status, "Interrupted") == 0)
		fprintf(f,
			"\nThe fleet was interrupted (killed before it ended): 'irx resume %s'\n"
			"continues it (interrupted executions resumed, targets not started started);\n"
			"'irx rollback %s' releases what it contained instead.\n",
			get_str(fleet, "FleetId"), get_str(fleet, "FleetId"));
}

void irx_show_fleets(FILE *f, struct json_object *list)
{
	size_t wrunbook = max_width(list, "Runbook", 7);
	size_t wstatus = 11; /* "Interrupted" */
	size_t wstart = max_width(list, "StartTime", 7);

	fprintf(f, "%-42s  %-*s  %-*s  %-*s  %-8s  %s\n", "FLEET", (int)wrunbook, "RUNBOOK",
		(int)wstatus, "STATUS", (int)wstart, "STARTED", "DURATION", "TARGETS");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *m = json_object_array_get_idx(list, i);
		char duration[32] = "";
		char *counts = NULL;

		irx_show_duration(get(m, "DurationMs") ? get_ms(m, "DurationMs") : -1, duration,
				  sizeof(duration));
		cell(f, get_str(m, "FleetId"), 42);
		cell(f, get_str(m, "Runbook"), wrunbook);
		cell(f, get_str(m, "Status"), wstatus);
		cell(f, get_str(m, "StartTime"), wstart);
		cell(f, duration, 8);
		if (get_str(m, "FailureMessage")) {
			put_clean(f, get_str(m, "FailureMessage"));
		} else {
			counts = fleet_counts(m);
			put_clean(f, counts);
			if (get(m, "RolledBack"))
				fputs("; rolled back", f);
			if (json_object_get_boolean(get(m, "DryRun")))
				fputs(" (dry run)", f);
		}
		fputc('\n', f);
		free(counts);
	}
}
