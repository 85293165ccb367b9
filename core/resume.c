/* SPDX-License-Identifier: Apache-2.0 */
/* irx resume (resume.h): where an interrupted execution stands, and running the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actions.h"
#include "aws/client.h"
#include "diag.h"
#include "error.h"
#include "executor.h"
#include "journal.h"
#include "node.h"
#include "params.h"
#include "resume.h"
#include "runbook.h"
#include "util.h"

#define REDACTED "********"

#ifndef IRX_VERSION
#define IRX_VERSION "0.0.0"
#endif

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int get_attempt(struct json_object *rec)
{
	struct json_object *v = get(rec, "attempt");
	int n = json_object_is_type(v, json_type_int) ? json_object_get_int(v) : 1;

	return n < 1 ? 1 : n;
}

void irx_resume_release(struct irx_resume *r)
{
	if (!r)
		return;
	json_object_put(r->records);
	json_object_put(r->step_outputs);
	json_object_put(r->skipped);
	free(r->start_step);
	free(r->rerun_step);
	free(r->rerun_action);
	free(r->failure_message);
	memset(r, 0, sizeof(*r));
}

int irx_resume_load(const char *state_dir, const char *id, struct irx_resume *r,
		    struct irx_error *err)
{
	int running = 0, truncated = 0;
	const char *mode = NULL;

	memset(r, 0, sizeof(*r));
	if (!irx_execution_id_valid(id)) {
		irx_error_set(err, IRX_ERR_INVALID, "'%s' is not an execution id", id ? id : "");
		return -1;
	}
	snprintf(r->execution_id, sizeof(r->execution_id), "%s", id);
	running = irx_journal_running(state_dir, id, err);
	if (running < 0)
		return -1;
	if (running) {
		irx_error_set(err, IRX_ERR_INVALID, "execution %s is still running", id);
		return -1;
	}
	r->records = irx_journal_read(state_dir, id, &truncated, err);
	if (!r->records)
		return -1;
	for (size_t i = 0; i < json_object_array_length(r->records); i++) {
		struct json_object *rec = json_object_array_get_idx(r->records, i);
		const char *type = get_str(rec, "type");

		if (type && strcmp(type, "execution_start") == 0 && !r->start)
			r->start = rec;
		if (type && strcmp(type, "execution_end") == 0) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "execution %s already ended (%s): there is nothing to resume",
				      id,
				      get_str(rec, "status") ? get_str(rec, "status") : "unknown");
			goto fail;
		}
	}
	if (!r->start) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "execution %s has no execution_start record: it cannot be resumed",
			      id);
		goto fail;
	}
	mode = get_str(r->start, "mode");
	if (mode && strcmp(mode, "run") != 0) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "execution %s is a %s: run 'irx rollback' again instead", id, mode);
		goto fail;
	}
	r->runbook_name = get_str(r->start, "runbook");
	r->runbook_path = get_str(r->start, "runbook_path");
	return 0;
fail:
	irx_resume_release(r);
	return -1;
}

bool irx_resume_rerun_safe(struct irx_actions *actions, const char *action,
			   struct json_object *inputs)
{
	static const char *const pure[] = {"aws:sleep", "aws:branch",
					   "aws:waitForAwsResourceProperty",
					   "aws:assertAwsResourceProperty", NULL};
	struct irx_action_ref ref = {0};
	struct irx_error err = {0};
	bool mutating = true;

	for (size_t i = 0; pure[i]; i++)
		if (strcmp(action, pure[i]) == 0)
			return true;
	if (strcmp(action, "aws:executeAwsApi") == 0) {
		const char *svc = get_str(inputs, "Service"), *api = get_str(inputs, "Api");

		return svc && api && irx_aws_lookup(svc, api, NULL, NULL, &mutating, &err) == 0 &&
		       !mutating;
	}
	if (irx_actions_lookup(actions, action, &ref, &err) < 0)
		return false;
	return (ref.action->flags & IRX_ACTION_IDEMPOTENT) != 0;
}

static size_t step_at(const struct irx_runbook *rb, const char *name)
{
	for (size_t i = 0; name && i < rb->step_count; i++)
		if (strcmp(rb->steps[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

static bool critical(const struct irx_step_def *st)
{
	if (irx_node_get(st->node, "isCritical"))
		return st->is_critical;
	return st->on_failure != IRX_ON_FAILURE_CONTINUE;
}

/* A step execution's last step_end: what the executor made of it (its status and failure). */
static void apply_end(struct irx_resume *r, const struct irx_step_def *st, struct json_object *end)
{
	const char *status = get_str(end, "status");
	const char *msg = get_str(end, "message");

	if (!status || strcmp(status, "Success") == 0 || strcmp(status, "Skipped") == 0)
		return;
	if (strcmp(status, "Cancelled") == 0) {
		r->status = "Cancelled";
		free(r->failure_message);
		r->failure_message = irx_xasprintf("step '%s' was cancelled", st->name);
		return;
	}
	if (critical(st) && strcmp(r->status, "Success") == 0) {
		bool timed_out = strcmp(status, "TimedOut") == 0;

		r->status = timed_out ? "TimedOut" : "Failed";
		free(r->failure_message);
		r->failure_message = irx_xasprintf(
		    "step '%s' %s: %s", st->name, timed_out ? "timed out" : "failed",
		    msg					    ? msg
		    : get_str(get(end, "error"), "message") ? get_str(get(end, "error"), "message")
							    : "");
	}
}

/* The step after a finished step execution, by the executor's rules; NULL: the run ends. */
static const char *successor(const struct irx_runbook *rb, size_t idx, struct json_object *end,
			     bool *rerun)
{
	const struct irx_step_def *st = &rb->steps[idx];
	const char *status = get_str(end, "status");

	*rerun = false;
	if (strcmp(status, "Cancelled") == 0)
		return NULL;
	if (strcmp(status, "Success") == 0 || strcmp(status, "Skipped") == 0) {
		if (strcmp(st->action, "aws:branch") == 0 && strcmp(status, "Success") == 0) {
			*rerun = true; /* its choice is not journaled: ask it again */
			return st->name;
		}
		if (st->is_end)
			return NULL;
		if (st->next_step)
			return st->next_step;
	} else {
		if (st->on_failure == IRX_ON_FAILURE_ABORT)
			return NULL;
		if (st->on_failure == IRX_ON_FAILURE_STEP)
			return st->on_failure_step;
		if (st->is_end)
			return NULL;
		if (st->next_step)
			return st->next_step;
	}
	return idx + 1 < rb->step_count ? rb->steps[idx + 1].name : NULL;
}

int irx_resume_plan(struct irx_resume *r, const struct irx_runbook *rb, struct irx_actions *actions,
		    struct irx_error *err)
{
	struct json_object *open = NULL, *last_end = NULL;
	size_t last_idx = 0;

	r->step_outputs = json_object_new_object();
	r->skipped = json_object_new_array();
	r->status = "Success";
	r->failure_message = irx_xstrdup("");
	for (size_t i = 0; i < json_object_array_length(r->records); i++) {
		struct json_object *rec = json_object_array_get_idx(r->records, i);
		const char *type = get_str(rec, "type"), *step = get_str(rec, "step");
		size_t idx = 0;

		if (!type || (strcmp(type, "step_start") != 0 && strcmp(type, "step_end") != 0))
			continue;
		idx = step_at(rb, step);
		if (idx == (size_t)-1) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "step '%s' of the journal is not in runbook '%s': it changed "
				      "since the execution started",
				      step ? step : "", rb->name);
			return -1;
		}
		if (strcmp(type, "step_start") == 0) {
			if (get_attempt(rec) == 1) {
				/* a new step execution: the previous one is final */
				if (last_end)
					apply_end(r, &rb->steps[last_idx], last_end);
				last_end = NULL;
				r->executed++;
			}
			open = rec;
			continue;
		}
		open = NULL;
		last_end = rec;
		last_idx = idx;
		if (strcmp(get_str(rec, "status") ? get_str(rec, "status") : "", "Success") == 0) {
			json_object_object_add(r->step_outputs, step,
					       json_object_get(get(rec, "outputs")));
		} else if (strcmp(get_str(rec, "status") ? get_str(rec, "status") : "",
				  "Skipped") == 0) {
			struct json_object *sk = json_object_new_object();

			json_object_object_add(sk, "step", json_object_new_string(step));
			json_object_object_add(sk, "action",
					       json_object_new_string(rb->steps[idx].action));
			json_object_object_add(sk, "message", json_object_get(get(rec, "message")));
			json_object_object_add(sk, "exceptions",
					       json_object_get(get(rec, "exceptions")));
			json_object_array_add(r->skipped, sk);
		}
	}
	if (open) {
		/* the crash cut this step short */
		const char *step = get_str(open, "step");

		r->start_step = irx_xstrdup(step);
		r->rerun_step = irx_xstrdup(step);
		r->rerun_action = irx_xstrdup(rb->steps[step_at(rb, step)].action);
		r->rerun_safe =
		    irx_resume_rerun_safe(actions, r->rerun_action, get(open, "inputs"));
		return 0;
	}
	if (!last_end) {
		/* nothing had started */
		r->start_step = rb->step_count ? irx_xstrdup(rb->steps[0].name) : NULL;
		return 0;
	}
	{
		const struct irx_step_def *st = &rb->steps[last_idx];
		const char *status = get_str(last_end, "status") ? get_str(last_end, "status") : "";
		int max = st->max_attempts < 1 ? 1 : st->max_attempts;
		bool rerun = false;
		const char *next = NULL;

		if ((strcmp(status, "Failed") == 0 || strcmp(status, "TimedOut") == 0) &&
		    get_attempt(last_end) < max) {
			/* it was waiting to retry: retry it, as the execution would have */
			r->start_step = irx_xstrdup(st->name);
			r->executed--; /* the retry continues the same step execution */
			return 0;
		}
		apply_end(r, st, last_end);
		next = successor(rb, last_idx, last_end, &rerun);
		if (next && step_at(rb, next) == (size_t)-1) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "step '%s' goes to step '%s', which is not in runbook '%s'",
				      st->name, next, rb->name);
			return -1;
		}
		r->start_step = next ? irx_xstrdup(next) : NULL;
		if (rerun)
			r->executed--;
	}
	return 0;
}

/* A journaled parameter value as the text `irx run -p` would take. */
static char *value_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return irx_xstrdup(json_object_get_string(v));
	return irx_xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

struct json_object *irx_resume_params(const struct irx_resume *r, const struct irx_runbook *rb,
				      const char *const *overrides, size_t count,
				      struct irx_diags *diags)
{
	struct json_object *journaled = get(r->start, "parameters"), *out = NULL;
	size_t n = 0, cap = count + (size_t)json_object_object_length(journaled) + 1;
	const char **assign = irx_xcalloc(cap, sizeof(*assign));
	char **owned = irx_xcalloc(cap, sizeof(*owned));
	bool missing = false;

	json_object_object_foreach(journaled, key, val)
	{
		bool given = false;
		size_t klen = strlen(key);
		char *text = NULL;

		for (size_t i = 0; i < count && !given; i++)
			given = strncmp(overrides[i], key, klen) == 0 && overrides[i][klen] == '=';
		if (given)
			continue;
		if (json_object_is_type(val, json_type_string) &&
		    strcmp(json_object_get_string(val), REDACTED) == 0) {
			irx_diags_add(diags, NULL,
				      "parameter '%s' is a secret the journal does not keep: give "
				      "it again with --parameter %s=VALUE",
				      key, key);
			missing = true;
			continue;
		}
		text = value_text(val);
		owned[n] = irx_xasprintf("%s=%s", key, text);
		free(text);
		assign[n] = owned[n];
		n++;
	}
	for (size_t i = 0; i < count; i++)
		assign[n++] = overrides[i];
	if (!missing)
		out = irx_params_bind(rb, assign, n, diags);
	for (size_t i = 0; i < cap; i++)
		free(owned[i]);
	free(owned);
	free(assign);
	return out;
}

void irx_resume_exec_options(const struct irx_resume *r, struct irx_exec_options *eo)
{
	struct json_object *s = r->start;

	eo->dry_run = json_object_get_boolean(get(s, "dry_run"));
	eo->account_id = get_str(s, "account_id") ? get_str(s, "account_id") : "";
	eo->region = get_str(s, "region") ? get_str(s, "region") : "";
	eo->case_id = get_str(s, "case_id") ? get_str(s, "case_id") : "";
	eo->ignore_exceptions = json_object_get_boolean(get(s, "ignore_exceptions"));
	eo->exception_tag = get_str(s, "exception_tag");
	eo->exception_registry = get_str(s, "exception_registry");
}

int irx_resume_execute(struct irx_resume *r, const struct irx_runbook *rb,
		       struct json_object *params, struct irx_actions *actions,
		       struct irx_exec_options *eo, bool force, struct irx_exec_result *result,
		       struct irx_error *err)
{
	struct irx_exec_resume er = {0};
	struct json_object *rec = NULL;
	char now[32] = "";
	int rc = -1;

	memset(result, 0, sizeof(*result));
	result->status = "Failed";
	if (r->rerun_step && !r->rerun_safe && !force) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "step '%s' (%s) was interrupted and its action is not idempotent: "
			      "resuming would run it again; check what it did, then use --force",
			      r->rerun_step, r->rerun_action);
		return -1;
	}
	er.journal = irx_journal_open_append(eo->state_dir, r->execution_id, err);
	if (!er.journal)
		return -1;
	irx_iso8601_now(now);
	rec = json_object_new_object();
	json_object_object_add(rec, "type", json_object_new_string("resume"));
	json_object_object_add(rec, "resume_time", json_object_new_string(now));
	json_object_object_add(rec, "from_step",
			       r->start_step ? json_object_new_string(r->start_step) : NULL);
	json_object_object_add(rec, "rerun_step",
			       r->rerun_step ? json_object_new_string(r->rerun_step) : NULL);
	json_object_object_add(rec, "forced",
			       json_object_new_boolean(force && r->rerun_step && !r->rerun_safe));
	json_object_object_add(rec, "irx_version", json_object_new_string(IRX_VERSION));
	er.execution_id = r->execution_id;
	er.record = rec;
	er.step_outputs = r->step_outputs;
	er.skipped = r->skipped;
	er.start_step = r->start_step;
	er.executed = r->executed;
	er.status = r->status;
	er.failure_message = r->failure_message;
	eo->resume = &er;
	rc = irx_execute(rb, params, actions, eo, result, err);
	eo->resume = NULL;
	json_object_put(rec);
	return rc;
}
