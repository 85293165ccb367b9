/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx rollback's engine: reads an execution's journal, finds what each step
 * attempt changed (its undo record) and calls the action's rollback with it,
 * newest change first, journaling the rollback as an execution of its own.
 *
 * Decisions:
 * - Refused: an execution still running (its journal is locked), a dry run
 *   (it changed nothing), a rollback (undoing an undo is a new run).
 * - A second rollback of the same execution is allowed: plugins' rollbacks
 *   read live state and restore idempotently. It is warned about and the
 *   earlier rollbacks are named in execution_start (previous_rollbacks).
 * - A unit that fails does not stop the others: everything that can be
 *   restored is; the rollback ends Failed naming what could not be.
 * - Cancellation stops before the next unit; the rest are not attempted.
 * - ctx->execution_id is the rollback's id (what plugins tag with), the
 *   account, region and case id are the original execution's.
 */
#include "rollback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "error.h"
#include "host.h"
#include "util.h"

#ifndef IRX_VERSION
#define IRX_VERSION "0.0.0"
#endif

struct unit {
	const char *step;   /* borrowed from the records */
	const char *action; /* borrowed */
	long long attempt;
	struct json_object *end_undo;	   /* borrowed; NULL when none */
	struct json_object *progress_undo; /* borrowed; the last step_progress's */
	const char *status;		   /* step_end status; NULL when interrupted */
	bool ended;
	size_t order; /* completion: the step_end's index; interrupted ones last */
};

struct rb {
	const struct irx_rollback_options *opts;
	struct irx_journal *journal;
	struct irx_error *err;
	char id[IRX_EXECUTION_ID_LEN + 1];
	const char *cur_step; /* for checkpoints */
	const char *cur_action;
};

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static long long jint(struct json_object *o, const char *key, long long dflt)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : dflt;
}

static struct json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static bool has_undo(struct json_object *u)
{
	return json_object_is_type(u, json_type_object) && json_object_object_length(u) > 0;
}

static int jappend(struct rb *r, struct json_object *rec)
{
	int rc = irx_journal_append(r->journal, rec, r->err);

	json_object_put(rec);
	return rc;
}

/* ---- reading the original execution ------------------------------------- */

static struct unit *find_open(struct unit *u, size_t n, const char *step, long long attempt)
{
	for (size_t i = n; i-- > 0;)
		if (!u[i].ended && strcmp(u[i].step, step) == 0 && u[i].attempt == attempt)
			return &u[i];
	return NULL;
}

/* Every step attempt of the execution, in the order they started. *out transferred. */
static size_t collect_units(struct json_object *records, struct unit **out)
{
	size_t n = 0, count = json_object_array_length(records);
	struct unit *u = irx_xcalloc(count ? count : 1, sizeof(*u));

	for (size_t i = 0; i < count; i++) {
		struct json_object *rec = json_object_array_get_idx(records, i);
		const char *type = jstr(rec, "type");
		const char *step = jstr(rec, "step");
		long long attempt = jint(rec, "attempt", 1);
		struct unit *cur = NULL;

		if (!type || !step)
			continue;
		if (strcmp(type, "step_start") == 0) {
			cur = &u[n++];
			cur->step = step;
			cur->action = jstr(rec, "action");
			cur->attempt = attempt;
			continue;
		}
		cur = find_open(u, n, step, attempt);
		if (strcmp(type, "step_progress") == 0) {
			if (cur && has_undo(jget(rec, "undo")))
				cur->progress_undo = jget(rec, "undo");
		} else if (strcmp(type, "step_end") == 0) {
			if (!cur) {
				cur = &u[n++];
				cur->step = step;
				cur->attempt = attempt;
			}
			if (!cur->action)
				cur->action = jstr(rec, "action");
			cur->ended = true;
			cur->status = jstr(rec, "status");
			cur->end_undo = has_undo(jget(rec, "undo")) ? jget(rec, "undo") : NULL;
			cur->order = i;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!u[i].ended)
			u[i].order =
			    count + i; /* interrupted: it was the last to change anything */
	*out = u;
	return n;
}

static int newest_first(const void *a, const void *b)
{
	const struct unit *x = a, *y = b;

	return x->order < y->order ? 1 : x->order > y->order ? -1 : 0;
}

struct prev_scan {
	const char *state_dir;
	const char *parent;
	struct json_object *ids;
};

static void find_previous(void *ud, const char *id)
{
	struct prev_scan *p = ud;
	struct irx_error e = {0};
	struct json_object *recs = irx_journal_read(p->state_dir, id, NULL, &e);
	struct json_object *start = recs ? json_object_array_get_idx(recs, 0) : NULL;
	const char *mode = jstr(start, "mode"), *parent = jstr(start, "parent_execution_id");

	if (mode && strcmp(mode, "rollback") == 0 && parent && strcmp(parent, p->parent) == 0 &&
	    !json_object_get_boolean(jget(start, "dry_run")))
		json_object_array_add(p->ids, json_object_new_string(id));
	json_object_put(recs);
}

/* ---- one unit ------------------------------------------------------------ */

static int rb_checkpoint(void *ud, struct irx_call *call, struct json_object *undo)
{
	struct rb *r = ud;
	struct json_object *rec = json_object_new_object();

	json_object_object_add(rec, "type", json_object_new_string("step_progress"));
	json_object_object_add(rec, "step", json_object_new_string(r->cur_step));
	json_object_object_add(rec, "action", json_object_new_string(r->cur_action));
	json_object_object_add(rec, "attempt", json_object_new_int(1));
	json_object_object_add(rec, "undo", undo ? json_object_get(undo) : NULL);
	if (jappend(r, rec) < 0) {
		irx_error_set(&call->error, IRX_ERR_IO,
			      "cannot journal the rollback's progress: %s", r->err->message);
		return -1;
	}
	return 0;
}

static struct json_object *error_json(const struct irx_error *e)
{
	struct json_object *o = NULL;

	if (!e || e->code == IRX_OK)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "code", json_object_new_string(irx_status_name(e->code)));
	json_object_object_add(o, "message", json_object_new_string(e->message));
	json_object_object_add(o, "http_status",
			       e->http_status ? json_object_new_int(e->http_status) : NULL);
	json_object_object_add(o, "aws_code", str_or_null(e->aws_code));
	json_object_object_add(o, "aws_message", str_or_null(e->aws_message));
	json_object_object_add(o, "request_id", str_or_null(e->request_id));
	return o;
}

/*
 * Rolls back one unit (or reports it cannot be undone) and journals it.
 * status/message get the outcome. Returns 0, or -1 when the journal failed.
 */
static int roll_back_unit(struct rb *r, struct json_object *start_rec, const struct unit *u,
			  struct json_object *undo, const struct irx_action_ref *ref,
			  const struct irx_error *lookup_err, const char **status, char *message,
			  size_t msglen)
{
	const struct irx_rollback_options *o = r->opts;
	struct irx_call call;
	struct irx_context ctx = {0};
	struct irx_result res = {0};
	struct json_object *rec = NULL, *inputs = json_object_new_object();
	char *name = irx_xasprintf("rollback:%s", u->step);
	char start[32] = "", end[32] = "";
	long long t0 = irx_now_ms();
	int rc = -1, arc = 0;

	irx_call_init(&call);
	call.step = name;
	call.action = u->action;
	call.dry_run = o->dry_run;
	call.sleep_ms = o->sleep_ms;
	call.sleep_ud = o->sleep_ud;
	call.aws_call = o->aws_call;
	call.aws_call_many = o->aws_call_many;
	call.aws_call_in = o->aws_call_in;
	call.aws_ud = o->aws_ud;
	/* a rollback may call only what its action declares, as the run did */
	call.aws_calls = ref ? ref->action->aws_calls : NULL;
	call.execution_id = r->id;
	call.cancel = o->cancel;
	call.log = o->log;
	call.log_ud = o->log_ud;
	call.min_level = o->log ? IRX_LOG_DEBUG : IRX_LOG_INFO;
	call.checkpoint = rb_checkpoint;
	call.checkpoint_ud = r;
	r->cur_step = name;
	r->cur_action = u->action;
	irx_iso8601_now(start);
	*status = "Failed";
	message[0] = '\0';

	json_object_object_add(inputs, "step", json_object_new_string(u->step));
	json_object_object_add(inputs, "attempt", json_object_new_int64(u->attempt));
	json_object_object_add(inputs, "undo", undo ? json_object_get(undo) : NULL);
	json_object_object_add(inputs, "interrupted", json_object_new_boolean(!u->ended));
	rec = json_object_new_object();
	json_object_object_add(rec, "type", json_object_new_string("step_start"));
	json_object_object_add(rec, "step", json_object_new_string(name));
	json_object_object_add(rec, "action", json_object_new_string(u->action));
	json_object_object_add(rec, "attempt", json_object_new_int(1));
	json_object_object_add(rec, "inputs", json_object_get(inputs));
	json_object_object_add(rec, "start_time", json_object_new_string(start));
	if (jappend(r, rec) < 0)
		goto out;
	if (o->progress)
		o->progress(o->progress_ud, IRX_STEP_STARTED, name, u->action, "InProgress", 0,
			    NULL);

	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	if (!ref) {
		call.error = *lookup_err;
	} else if (!ref->action->rollback) {
		*status = "Skipped";
		snprintf(message, msglen, "cannot be undone: action '%s' has no rollback",
			 u->action);
	} else {
		ctx.size = sizeof(ctx);
		ctx.host = irx_host_table(o->aws_call != NULL);
		ctx.call = &call;
		ctx.execution_id = r->id;
		ctx.step_name = name;
		ctx.account_id = jstr(start_rec, "account_id") ? jstr(start_rec, "account_id") : "";
		ctx.region = jstr(start_rec, "region") ? jstr(start_rec, "region") : "";
		ctx.case_id = jstr(start_rec, "case_id") ? jstr(start_rec, "case_id") : "";
		ctx.dry_run = o->dry_run;
		ctx.plugin_data = ref->plugin_data;
		arc = ref->action->rollback(&ctx, undo, &res);
		if (irx_call_cancelled(&call)) {
			*status = "Cancelled";
			irx_error_clear(&call.error);
			irx_error_set(&call.error, IRX_ERR_STEP, "rollback cancelled");
		} else if (arc != 0 || call.error.code != IRX_OK) {
			irx_error_set(&call.error, IRX_ERR_STEP,
				      "rollback of action '%s' failed without a message",
				      u->action);
		} else {
			*status = "Success";
			if (res.message)
				snprintf(message, msglen, "%s", res.message);
		}
	}
	if (call.error.code != IRX_OK && strcmp(*status, "Success") != 0)
		snprintf(message, msglen, "%s", call.error.message);
	irx_iso8601_now(end);
	rec = json_object_new_object();
	json_object_object_add(rec, "type", json_object_new_string("step_end"));
	json_object_object_add(rec, "step", json_object_new_string(name));
	json_object_object_add(rec, "action", json_object_new_string(u->action));
	json_object_object_add(rec, "attempt", json_object_new_int(1));
	json_object_object_add(rec, "status", json_object_new_string(*status));
	json_object_object_add(rec, "outputs", json_object_get(res.outputs));
	/* what a rollback left to restore, if it reports it (a plugin may) */
	json_object_object_add(rec, "undo", has_undo(res.undo) ? json_object_get(res.undo) : NULL);
	json_object_object_add(rec, "message", str_or_null(message));
	json_object_object_add(rec, "error",
			       strcmp(*status, "Failed") == 0 || strcmp(*status, "Cancelled") == 0
				   ? error_json(&call.error)
				   : NULL);
	if (o->dry_run)
		json_object_object_add(rec, "planned_calls", json_object_get(call.planned_calls));
	json_object_object_add(rec, "rolls_back", json_object_get(inputs));
	json_object_object_add(rec, "start_time", json_object_new_string(start));
	json_object_object_add(rec, "end_time", json_object_new_string(end));
	json_object_object_add(rec, "duration_ms", json_object_new_int64(irx_now_ms() - t0));
	if (jappend(r, rec) < 0)
		goto out;
	if (o->progress)
		o->progress(o->progress_ud, IRX_STEP_FINISHED, name, u->action, *status,
			    irx_now_ms() - t0, message[0] ? message : NULL);
	rc = 0;
out:
	json_object_put(inputs);
	json_object_put(res.outputs);
	json_object_put(res.undo);
	irx_call_release(&call);
	free(name);
	return rc;
}

/* ---- the rollback ---------------------------------------------------------- */

static int check_rollbackable(const char *id, struct json_object *start, struct irx_error *err)
{
	const char *mode = jstr(start, "mode");

	if (!start || !jstr(start, "type") || strcmp(jstr(start, "type"), "execution_start") != 0) {
		irx_error_set(
		    err, IRX_ERR_INVALID,
		    "execution '%s' has no execution_start record: its journal is damaged", id);
		return -1;
	}
	if (mode && strcmp(mode, "rollback") == 0) {
		irx_error_set(
		    err, IRX_ERR_INVALID,
		    "execution '%s' is itself a rollback (of '%s'); run the runbook "
		    "again instead",
		    id,
		    jstr(start, "parent_execution_id") ? jstr(start, "parent_execution_id") : "?");
		return -1;
	}
	if (json_object_get_boolean(jget(start, "dry_run"))) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "execution '%s' was a dry run: it changed nothing to roll back", id);
		return -1;
	}
	return 0;
}

/*
 * Whether a rollback reports unit u: it has an undo record, or its action changed something
 * nobody can restore (mutating, no rollback, succeeded or interrupted). ref/have/lerr get the
 * action's lookup.
 */
static bool unit_reported(struct irx_actions *actions, const struct unit *u,
			  struct json_object *undo, struct irx_action_ref *ref, bool *have,
			  struct irx_error *lerr)
{
	*have = irx_actions_lookup(actions, u->action, ref, lerr) == 0;
	if (undo)
		return true;
	return *have && !ref->action->rollback && (ref->action->flags & IRX_ACTION_MUTATES) &&
	       (!u->ended || (u->status && strcmp(u->status, "Success") == 0));
}

int irx_rollback_pending(const char *state_dir, const char *execution_id,
			 struct irx_actions *actions, size_t *units, struct irx_error *err)
{
	struct json_object *records = NULL;
	struct unit *u = NULL;
	size_t n = 0;

	*units = 0;
	if (!irx_execution_id_valid(execution_id)) {
		irx_error_set(err, IRX_ERR_NOT_FOUND, "no execution '%s'", execution_id);
		return -1;
	}
	records = irx_journal_read(state_dir, execution_id, NULL, err);
	if (!records)
		return -1;
	if (check_rollbackable(execution_id, json_object_array_get_idx(records, 0), err) < 0) {
		json_object_put(records);
		return -1;
	}
	n = collect_units(records, &u);
	for (size_t i = 0; i < n; i++) {
		struct irx_action_ref ref = {0};
		struct irx_error lerr = {0};
		bool have = false;

		if (u[i].action && unit_reported(actions, &u[i],
						 u[i].end_undo ? u[i].end_undo : u[i].progress_undo,
						 &ref, &have, &lerr))
			(*units)++;
	}
	free(u);
	json_object_put(records);
	return 0;
}

static void log_line(const struct irx_rollback_options *o, enum irx_log_level level,
		     const char *msg)
{
	if (o->log)
		o->log(o->log_ud, level, NULL, msg);
	else
		irx_host_stderr_log(NULL, level, NULL, msg);
}

int irx_rollback(const char *execution_id, const struct irx_rollback_options *opts,
		 struct irx_rollback_result *result, struct irx_error *err)
{
	struct rb r = {0};
	struct json_object *records = NULL, *start_rec = NULL, *rec = NULL;
	struct unit *units = NULL;
	struct prev_scan prev = {0};
	size_t n = 0, failed = 0;
	char start[32] = "", end[32] = "";
	char failure[1024] = "";
	const char *status = "Success";
	long long t0 = irx_now_ms();
	int running = 0, rc = -1;

	memset(result, 0, sizeof(*result));
	result->status = "Failed";
	result->steps = json_object_new_array();
	result->previous_rollbacks = json_object_new_array();
	r.opts = opts;
	r.err = err;
	if (!opts->state_dir) {
		irx_error_set(err, IRX_ERR_INVALID, "no state directory for the journal");
		return -1;
	}
	if (!irx_execution_id_valid(execution_id)) {
		irx_error_set(err, IRX_ERR_NOT_FOUND, "no execution '%s'", execution_id);
		return -1;
	}
	/* Before reading: a run that ends in between is then seen as ended. */
	running = irx_journal_running(opts->state_dir, execution_id, err);
	if (running < 0)
		return -1;
	if (running) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "execution '%s' is still running; roll it back once it has ended",
			      execution_id);
		return -1;
	}
	records = irx_journal_read(opts->state_dir, execution_id, NULL, err);
	if (!records)
		return -1;
	start_rec =
	    json_object_array_length(records) ? json_object_array_get_idx(records, 0) : NULL;
	if (check_rollbackable(execution_id, start_rec, err) < 0)
		goto out;

	prev.state_dir = opts->state_dir;
	prev.parent = execution_id;
	prev.ids = result->previous_rollbacks;
	if (irx_journal_list(opts->state_dir, find_previous, &prev, err) < 0)
		goto out;
	if (json_object_array_length(prev.ids) > 0) {
		char *m = irx_xasprintf(
		    "execution '%s' was already rolled back (by '%s'); rolling back again",
		    execution_id, json_object_get_string(json_object_array_get_idx(prev.ids, 0)));

		log_line(opts, IRX_LOG_WARN, m);
		free(m);
	}

	irx_execution_id_new(r.id);
	r.journal = irx_journal_create(opts->state_dir, r.id, err);
	if (!r.journal)
		goto out;
	memcpy(result->execution_id, r.id, sizeof(r.id));
	snprintf(result->journal_path, sizeof(result->journal_path), "%s",
		 irx_journal_path(r.journal));
	irx_iso8601_now(start);
	rec = json_object_new_object();
	json_object_object_add(rec, "type", json_object_new_string("execution_start"));
	json_object_object_add(rec, "execution_id", json_object_new_string(r.id));
	json_object_object_add(
	    rec, "runbook",
	    json_object_new_string(jstr(start_rec, "runbook") ? jstr(start_rec, "runbook") : ""));
	json_object_object_add(rec, "runbook_path", str_or_null(jstr(start_rec, "runbook_path")));
	json_object_object_add(rec, "parameters", json_object_new_object());
	json_object_object_add(rec, "dry_run", json_object_new_boolean(opts->dry_run));
	json_object_object_add(rec, "account_id",
			       json_object_new_string(jstr(start_rec, "account_id")
							  ? jstr(start_rec, "account_id")
							  : ""));
	json_object_object_add(
	    rec, "region",
	    json_object_new_string(jstr(start_rec, "region") ? jstr(start_rec, "region") : ""));
	json_object_object_add(
	    rec, "case_id",
	    json_object_new_string(jstr(start_rec, "case_id") ? jstr(start_rec, "case_id") : ""));
	json_object_object_add(rec, "mode", json_object_new_string("rollback"));
	json_object_object_add(rec, "parent_execution_id", json_object_new_string(execution_id));
	json_object_object_add(rec, "previous_rollbacks", json_object_get(prev.ids));
	json_object_object_add(rec, "start_time", json_object_new_string(start));
	json_object_object_add(rec, "irx_version", json_object_new_string(IRX_VERSION));
	if (jappend(&r, rec) < 0)
		goto out;

	n = collect_units(records, &units);
	qsort(units, n, sizeof(*units), newest_first);
	for (size_t i = 0; i < n; i++) {
		const struct unit *u = &units[i];
		struct json_object *undo = u->end_undo ? u->end_undo : u->progress_undo;
		struct irx_action_ref ref = {0};
		struct irx_error lerr = {0};
		bool have = false;
		const char *st = NULL;
		char message[1024] = "";
		struct json_object *o = NULL;

		if (!u->action || !unit_reported(opts->actions, u, undo, &ref, &have, &lerr))
			continue;
		if (opts->cancel && *opts->cancel) {
			status = "Cancelled";
			snprintf(failure, sizeof(failure),
				 "cancelled before rolling back step '%s'", u->step);
			break;
		}
		if (roll_back_unit(&r, start_rec, u, undo, have ? &ref : NULL, &lerr, &st, message,
				   sizeof(message)) < 0)
			goto out;
		o = json_object_new_object();
		{
			char *name = irx_xasprintf("rollback:%s", u->step);

			json_object_object_add(o, "StepName", json_object_new_string(name));
			free(name);
		}
		json_object_object_add(o, "RolledBackStep", json_object_new_string(u->step));
		json_object_object_add(o, "Attempt", json_object_new_int64(u->attempt));
		json_object_object_add(o, "Action", json_object_new_string(u->action));
		json_object_object_add(o, "StepStatus", json_object_new_string(st));
		json_object_object_add(o, "Message", str_or_null(message));
		json_object_object_add(o, "Restorable",
				       json_object_new_boolean(strcmp(st, "Skipped") != 0));
		json_object_object_add(o, "Interrupted", json_object_new_boolean(!u->ended));
		json_object_array_add(result->steps, o);
		if (strcmp(st, "Cancelled") == 0) {
			status = "Cancelled";
			snprintf(failure, sizeof(failure), "rollback of step '%s' was cancelled",
				 u->step);
			break;
		}
		if (strcmp(st, "Failed") == 0) {
			size_t len = strlen(failure);

			if (failed++ == 0)
				snprintf(failure, sizeof(failure),
					 "could not roll back step '%s': %s", u->step, message);
			else if (len < sizeof(failure))
				snprintf(failure + len, sizeof(failure) - len, "; step '%s': %s",
					 u->step, message);
			status = "Failed";
		}
	}

	irx_iso8601_now(end);
	rec = json_object_new_object();
	json_object_object_add(rec, "type", json_object_new_string("execution_end"));
	json_object_object_add(rec, "status", json_object_new_string(status));
	json_object_object_add(rec, "outputs", json_object_new_object());
	json_object_object_add(rec, "failure_message", str_or_null(failure));
	json_object_object_add(rec, "end_time", json_object_new_string(end));
	json_object_object_add(rec, "duration_ms", json_object_new_int64(irx_now_ms() - t0));
	if (jappend(&r, rec) < 0)
		goto out;
	result->status = status;
	snprintf(result->failure_message, sizeof(result->failure_message), "%s", failure);
	rc = 0;
out:
	if (rc < 0)
		snprintf(result->failure_message, sizeof(result->failure_message), "%s",
			 err->message);
	free(units);
	json_object_put(records);
	if (r.journal)
		irx_journal_close(r.journal);
	return rc;
}

void irx_rollback_result_release(struct irx_rollback_result *result)
{
	if (!result)
		return;
	json_object_put(result->steps);
	json_object_put(result->previous_rollbacks);
	result->steps = NULL;
	result->previous_rollbacks = NULL;
}
