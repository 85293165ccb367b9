/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The executor: runs a validated runbook step by step with SSM Automation's
 * semantics, journaling every attempt.
 *
 * Decisions (SSM's where it documents them):
 * - Templates are expanded per step right before it runs, so a step sees the
 *   outputs of every step that ran before it. global:DATE_TIME is
 *   "yyyy-MM-dd_HH.mm.ss" and global:DATE "yyyy-MM-dd" (SSM's "Automation
 *   system variables"), both UTC at expansion time; global:AWS_PARTITION comes
 *   from the region.
 * - Inputs are checked against the action's schema after templating, defaults
 *   applied; a String input also takes a number or boolean (YAML authors write
 *   `Count: 3`), an Integer or Boolean input also takes its exact text.
 *   Input problems are not retried: another attempt cannot fix them.
 * - Output selectors apply to what the action reported. A selector that
 *   matches nothing leaves that output absent (the step still succeeds, a
 *   warning is logged): a later step referencing it then fails with
 *   "unknown reference", which names the missing output. A value that cannot
 *   be converted to the declared Type fails the step.
 * - maxAttempts counts tries (default 1); between tries irx waits 1 s, 2 s,
 *   4 s, ... capped at 30 s (SSM does not document its back-off).
 *   timeoutSeconds applies to each attempt; a step whose last attempt ran out
 *   of time is TimedOut (SSM: "the step isn't considered to have timed out
 *   until all retries have been attempted").
 * - isCritical defaults to true, but to false when onFailure is Continue and
 *   isCritical is not written (SSM's shared step properties). A critical
 *   failure makes the execution Failed (TimedOut for a timeout) even when
 *   onFailure sends it on to another step; a non-critical one does not.
 * - aws:branch with no true choice and no Default goes on with the next step
 *   (SSM's aws:branch page); the step succeeds.
 * - Dry-run: every action runs with ctx->dry_run set; plugins must plan, not
 *   change, and the AWS client records mutating calls instead of sending
 *   them (planned_calls in the journal). aws:sleep does not wait.
 * - A bound on step executions (opts->max_step_executions) stops nextStep
 *   loops: the execution fails naming the transition that would exceed it.
 * - Cancellation (opts->cancel): the running step ends Cancelled when its
 *   action returns (sleeps are cut short), no further step starts, and the
 *   execution is Cancelled. onCancel is not supported.
 * - Secrets: inputs declared IRX_PARAM_SECRET, and runbook parameters that
 *   feed them, are journaled as "********"; their values are also replaced
 *   wherever they appear in journaled text, logs and failure messages.
 * - The exception gate (core/exceptions.h) runs before each attempt of a step
 *   whose action mutates and has IRX_PARAM_RESOURCE inputs, in dry-run too (tag
 *   reads are sent). Every check is journaled in step_start and step_end
 *   ("exceptions"). When every resource the step changes is exempt, the step
 *   ends "Skipped" with the exception in its message and no outputs: a later
 *   reference to one of its outputs fails with "unknown reference". Skipped
 *   steps go on like successful ones, are listed in the result and in
 *   {{ automation:SKIPPED_STEPS }} ("none" when none), for notifications.
 */
#include "executor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "error.h"
#include "exceptions.h"
#include "host.h"
#include "node.h"
#include "runbook.h"
#include "selector.h"
#include "template.h"
#include "util.h"

#ifndef IRX_VERSION
#define IRX_VERSION "0.0.0"
#endif

#define REDACTED "********"
#define BACKOFF_BASE_MS 1000LL
#define BACKOFF_MAX_MS 30000LL

struct exec {
	const struct irx_runbook *rb;
	struct json_object *params; /* borrowed */
	struct irx_actions *actions;
	const struct irx_exec_options *opts;
	struct irx_journal *journal;
	char id[IRX_EXECUTION_ID_LEN + 1];
	struct json_object *step_outputs;  /* owned: {step: {output: value}} */
	struct json_object *globals;	   /* owned: {"global:REGION": ..., ...} */
	struct json_object *secret_params; /* owned: {param: true} */
	char **secrets;			   /* owned: values to redact */
	size_t secret_count, secret_cap;
	struct irx_error *err;
	const struct irx_step_def *cur_step; /* the attempt running, for checkpoints */
	int cur_attempt;
	struct irx_exception_gate *gate;     /* owned; NULL with --ignore-exceptions */
	struct json_object *skipped;	     /* owned: what result->skipped_steps gets */
};

struct outcome {
	const char *status; /* "Success", "Failed", "TimedOut", "Cancelled", "Skipped" */
	char message[1024];
	char *next_step; /* owned: chosen by aws:branch */
	bool permanent;	 /* retrying cannot help (unknown action, bad inputs) */
};

/* ---- secrets ------------------------------------------------------------ */

static void add_secret(struct exec *x, const char *s)
{
	if (!s || !*s)
		return;
	for (size_t i = 0; i < x->secret_count; i++)
		if (strcmp(x->secrets[i], s) == 0)
			return;
	if (x->secret_count == x->secret_cap) {
		x->secret_cap = x->secret_cap ? x->secret_cap * 2 : 8;
		x->secrets = irx_xrealloc(x->secrets, x->secret_cap * sizeof(*x->secrets));
	}
	x->secrets[x->secret_count++] = irx_xstrdup(s);
}

/* Every string inside v becomes a secret. */
static void add_secret_value(struct exec *x, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		add_secret(x, json_object_get_string(v));
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			add_secret_value(x, json_object_array_get_idx(v, i));
		break;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			(void)key;
			add_secret_value(x, val);
		}
		break;
	}
	default:
		break;
	}
}

static char *redact_text(const struct exec *x, const char *s)
{
	size_t len = strlen(s) * (sizeof(REDACTED) - 1) + 16;
	char *buf = irx_xmalloc(len);

	irx_redact(s, (const char *const *)x->secrets, x->secret_count, buf, len);
	return buf;
}

/* A deep copy of v with every secret value replaced inside strings. Transferred. */
static struct json_object *redact_json(const struct exec *x, struct json_object *v)
{
	struct json_object *out = NULL;

	switch (json_object_get_type(v)) {
	case json_type_string: {
		char *r = redact_text(x, json_object_get_string(v));

		out = json_object_new_string(r);
		free(r);
		return out;
	}
	case json_type_array:
		out = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(out, redact_json(x, json_object_array_get_idx(v, i)));
		return out;
	case json_type_object:
		out = json_object_new_object();
		json_object_object_foreach(v, key, val)
		    json_object_object_add(out, key, redact_json(x, val));
		return out;
	default:
		return json_object_get(v);
	}
}

/* ---- templates ---------------------------------------------------------- */

static const char *partition_of(const char *region)
{
	if (strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	if (strncmp(region, "us-iso-", 7) == 0)
		return "aws-iso";
	if (strncmp(region, "us-isob-", 8) == 0)
		return "aws-iso-b";
	return "aws";
}

static void refresh_clock(struct exec *x)
{
	char buf[32] = "";
	time_t now = time(NULL);
	struct tm tm = {0};

	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d_%H.%M.%S", &tm);
	json_object_object_add(x->globals, "global:DATE_TIME", json_object_new_string(buf));
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	json_object_object_add(x->globals, "global:DATE", json_object_new_string(buf));
}

static struct json_object *lookup(void *ud, const char *name)
{
	struct exec *x = ud;
	struct json_object *v = NULL, *outs = NULL;
	const char *dot = NULL;
	char *step = NULL;

	if (json_object_object_get_ex(x->params, name, &v))
		return v;
	if (json_object_object_get_ex(x->globals, name, &v))
		return v;
	dot = strchr(name, '.');
	if (!dot)
		return NULL;
	step = irx_xstrndup(name, (size_t)(dot - name));
	if (json_object_object_get_ex(x->step_outputs, step, &outs))
		json_object_object_get_ex(outs, dot + 1, &v);
	free(step);
	return v;
}

/* ---- inputs ------------------------------------------------------------- */

static int parse_int_text(const char *s, int64_t *out)
{
	char *end = NULL;
	long long v = 0;

	if (!*s)
		return -1;
	v = strtoll(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/*
 * Converts v to an input of type t; returns a new reference, or NULL with a
 * description of what v is in `got`.
 */
static struct json_object *coerce_input(struct json_object *v, enum irx_param_type t)
{
	enum json_type jt = json_object_get_type(v);
	int64_t i = 0;

	switch (t) {
	case IRX_PARAM_STRING:
		if (jt == json_type_string)
			return json_object_get(v);
		if (jt == json_type_int || jt == json_type_double || jt == json_type_boolean)
			return json_object_new_string(json_object_get_string(v));
		return NULL;
	case IRX_PARAM_INTEGER:
		if (jt == json_type_int)
			return json_object_get(v);
		if (jt == json_type_string && parse_int_text(json_object_get_string(v), &i) == 0)
			return json_object_new_int64(i);
		return NULL;
	case IRX_PARAM_BOOLEAN:
		if (jt == json_type_boolean)
			return json_object_get(v);
		if (jt == json_type_string && strcmp(json_object_get_string(v), "true") == 0)
			return json_object_new_boolean(1);
		if (jt == json_type_string && strcmp(json_object_get_string(v), "false") == 0)
			return json_object_new_boolean(0);
		return NULL;
	case IRX_PARAM_STRING_LIST: {
		struct json_object *out = NULL;

		if (jt != json_type_array)
			return NULL;
		out = json_object_new_array();
		for (size_t k = 0; k < json_object_array_length(v); k++) {
			struct json_object *s =
			    coerce_input(json_object_array_get_idx(v, k), IRX_PARAM_STRING);

			if (!s) {
				json_object_put(out);
				return NULL;
			}
			json_object_array_add(out, s);
		}
		return out;
	}
	case IRX_PARAM_MAP_LIST:
		if (jt != json_type_array)
			return NULL;
		for (size_t k = 0; k < json_object_array_length(v); k++)
			if (!json_object_is_type(json_object_array_get_idx(v, k), json_type_object))
				return NULL;
		return json_object_get(v);
	case IRX_PARAM_STRING_MAP:
		return jt == json_type_object ? json_object_get(v) : NULL;
	case IRX_PARAM_ANY:
		return json_object_get(v);
	}
	return NULL;
}

static const char *json_kind(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_int:
		return "integer";
	case json_type_double:
		return "number";
	case json_type_string:
		return "string";
	case json_type_array:
		return "list";
	case json_type_object:
		return "map";
	}
	return "value";
}

static const char *type_name(enum irx_param_type t)
{
	return t == IRX_PARAM_ANY ? "any value" : irx_param_type_name(t);
}

/* A default written as text, converted to the parameter's type. NULL if it does not convert. */
static struct json_object *default_value(const struct irx_param *p)
{
	struct json_object *text = json_object_new_string(p->default_value);
	struct json_object *v = NULL;

	if (p->type == IRX_PARAM_STRING_LIST || p->type == IRX_PARAM_MAP_LIST ||
	    p->type == IRX_PARAM_STRING_MAP || p->type == IRX_PARAM_ANY) {
		struct json_object *parsed = json_tokener_parse(p->default_value);

		v = parsed ? coerce_input(parsed, p->type) : NULL;
		json_object_put(parsed);
		if (!v && p->type == IRX_PARAM_ANY)
			v = json_object_get(text);
	} else {
		v = coerce_input(text, p->type);
	}
	json_object_put(text);
	return v;
}

/*
 * Checks templated inputs against the schema, in place: values converted,
 * defaults added. Secret inputs' values are remembered for redaction.
 */
static int check_inputs(struct exec *x, const struct irx_action *a, const char *full_name,
			struct json_object *inputs, struct irx_error *err)
{
	json_object_object_foreach(inputs, key, val)
	{
		const struct irx_param *p = NULL;
		struct json_object *c = NULL;

		for (p = a->params; p && p->name; p++)
			if (strcmp(p->name, key) == 0)
				break;
		if (!p || !p->name) {
			if (a->flags & IRX_ACTION_OPEN_INPUTS)
				continue;
			irx_error_set(err, IRX_ERR_INVALID, "unknown input '%s' for action '%s'",
				      key, full_name);
			return -1;
		}
		if (p->flags & IRX_PARAM_SECRET)
			add_secret_value(x, val);
		c = coerce_input(val, p->type);
		if (!c) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "input '%s' of action '%s' must be of type %s, got a %s", key,
				      full_name, type_name(p->type), json_kind(val));
			return -1;
		}
		json_object_object_add(inputs, key, c);
	}
	for (const struct irx_param *p = a->params; p && p->name; p++) {
		struct json_object *d = NULL;

		if (json_object_object_get_ex(inputs, p->name, NULL))
			continue;
		if (p->default_value) {
			d = default_value(p);
			if (!d) {
				irx_error_set(
				    err, IRX_ERR_PLUGIN,
				    "action '%s' declares a default for '%s' that is not a %s",
				    full_name, p->name, type_name(p->type));
				return -1;
			}
			json_object_object_add(inputs, p->name, d);
		} else if (p->flags & IRX_PARAM_REQUIRED) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "missing required input '%s' for action '%s'", p->name,
				      full_name);
			return -1;
		}
	}
	return 0;
}

/* The inputs as the journal keeps them: secret inputs replaced, secret text redacted. */
static struct json_object *journal_inputs(const struct exec *x, const struct irx_action *a,
					  struct json_object *inputs)
{
	struct json_object *out = redact_json(x, inputs);

	for (const struct irx_param *p = a->params; p && p->name; p++)
		if ((p->flags & IRX_PARAM_SECRET) && json_object_object_get_ex(out, p->name, NULL))
			json_object_object_add(out, p->name, json_object_new_string(REDACTED));
	return out;
}

/* ---- secret runbook parameters ------------------------------------------ */

struct ref_scan {
	struct exec *x;
};

static void mark_param_ref(void *ud, const char *name, size_t offset)
{
	struct ref_scan *r = ud;
	struct json_object *v = NULL;

	(void)offset;
	if (!irx_runbook_param(r->x->rb, name))
		return;
	json_object_object_add(r->x->secret_params, name, json_object_new_boolean(1));
	if (json_object_object_get_ex(r->x->params, name, &v))
		add_secret_value(r->x, v);
}

static void scan_node_refs(struct ref_scan *r, const struct irx_node *n)
{
	char msg[128] = "";
	size_t off = 0;

	if (!n)
		return;
	if (n->kind == IRX_NODE_SCALAR) {
		irx_template_scan(n->value, mark_param_ref, r, msg, sizeof(msg), &off);
		return;
	}
	for (size_t i = 0; i < n->count; i++)
		scan_node_refs(r, n->items[i]);
}

/* Runbook parameters that feed a secret input are secrets too. */
static void find_secret_params(struct exec *x)
{
	struct ref_scan r = {.x = x};

	for (size_t i = 0; i < x->rb->step_count; i++) {
		const struct irx_step_def *st = &x->rb->steps[i];
		struct irx_action_ref ref = {0};
		struct irx_error e = {0};

		if (!st->inputs || irx_actions_lookup(x->actions, st->action, &ref, &e) < 0)
			continue;
		for (const struct irx_param *p = ref.action->params; p && p->name; p++)
			if (p->flags & IRX_PARAM_SECRET)
				scan_node_refs(&r, irx_node_get(st->inputs, p->name));
	}
}

/* ---- outputs ------------------------------------------------------------ */

static struct json_object *coerce_output(struct json_object *v, enum irx_param_type t)
{
	if (t == IRX_PARAM_INTEGER && json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		if (d == (double)(int64_t)d)
			return json_object_new_int64((int64_t)d);
		return NULL;
	}
	/* SSM's String outputs of lists or maps would be unusable; refuse them. */
	return coerce_input(v, t);
}

/* Extracts declared outputs into *out (a new object). Fails on a type mismatch. */
static int extract_outputs(struct exec *x, const struct irx_step_def *st,
			   struct json_object *reported, struct irx_call *call,
			   struct json_object **out, struct irx_error *err)
{
	*out = json_object_new_object();
	for (size_t i = 0; i < st->output_count; i++) {
		const struct irx_output_decl *o = &st->outputs[i];
		struct irx_error se = {0};
		struct json_object *v = irx_selector_select(reported, o->selector, &se);
		struct json_object *c = NULL;

		if (!v) {
			if (se.code == IRX_ERR_NOT_FOUND) {
				irx_host_table(false)->log(
				    call, IRX_LOG_WARN,
				    "output '%s': selector '%s' matched nothing", o->name,
				    o->selector);
				continue;
			}
			irx_error_set(err, IRX_ERR_INVALID, "output '%s': %s", o->name, se.message);
			return -1;
		}
		c = coerce_output(v, o->type);
		if (!c) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "output '%s': selector '%s' found a %s, not of type %s",
				      o->name, o->selector, json_kind(v), type_name(o->type));
			json_object_put(v);
			return -1;
		}
		json_object_put(v);
		json_object_object_add(*out, o->name, c);
	}
	(void)x;
	return 0;
}

/* ---- journal ------------------------------------------------------------ */

static int jappend(struct exec *x, struct json_object *rec)
{
	int rc = irx_journal_append(x->journal, rec, x->err);

	json_object_put(rec);
	return rc;
}

static struct json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static struct json_object *error_json(const struct exec *x, const struct irx_error *e)
{
	struct json_object *o = NULL;
	char *msg = NULL;

	if (!e || e->code == IRX_OK)
		return NULL;
	o = json_object_new_object();
	msg = redact_text(x, e->message);
	json_object_object_add(o, "code", json_object_new_string(irx_status_name(e->code)));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "http_status",
			       e->http_status ? json_object_new_int(e->http_status) : NULL);
	json_object_object_add(o, "aws_code", str_or_null(e->aws_code));
	json_object_object_add(o, "aws_message", str_or_null(e->aws_message));
	json_object_object_add(o, "request_id", str_or_null(e->request_id));
	free(msg);
	return o;
}

static int journal_step_start(struct exec *x, const struct irx_step_def *st, int attempt,
			      struct json_object *inputs, struct json_object *exceptions,
			      const char *start)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "type", json_object_new_string("step_start"));
	json_object_object_add(r, "step", json_object_new_string(st->name));
	json_object_object_add(r, "action", json_object_new_string(st->action));
	json_object_object_add(r, "attempt", json_object_new_int(attempt));
	json_object_object_add(r, "inputs", inputs);
	if (exceptions)
		json_object_object_add(r, "exceptions", exceptions);
	json_object_object_add(r, "start_time", json_object_new_string(start));
	return jappend(x, r);
}

/* ---- one attempt -------------------------------------------------------- */

static void log_to_options(struct exec *x, struct irx_call *call)
{
	call->log = x->opts->log;
	call->log_ud = x->opts->log_ud;
	call->min_level = x->opts->log ? IRX_LOG_DEBUG : IRX_LOG_INFO;
}

/* host->checkpoint: a step_progress record with the undo record so far. */
static int journal_checkpoint(void *ud, struct irx_call *call, struct json_object *undo)
{
	struct exec *x = ud;
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "type", json_object_new_string("step_progress"));
	json_object_object_add(r, "step", json_object_new_string(x->cur_step->name));
	json_object_object_add(r, "action", json_object_new_string(x->cur_step->action));
	json_object_object_add(r, "attempt", json_object_new_int(x->cur_attempt));
	json_object_object_add(r, "undo", undo ? redact_json(x, undo) : NULL);
	if (jappend(x, r) < 0) {
		irx_error_set(&call->error, IRX_ERR_IO, "cannot journal the undo record: %s",
			      x->err->message);
		return -1;
	}
	return 0;
}

/* ---- the exception gate -------------------------------------------------- */

static void add_resource(struct json_object *list, struct json_object *v)
{
	if (json_object_is_type(v, json_type_string) && *json_object_get_string(v))
		json_object_array_add(list, json_object_get(v));
	else if (json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			add_resource(list, json_object_array_get_idx(v, i));
}

/*
 * Checks every resource input of a mutating action for an exception. Returns
 * true when each is exempt (the step is skipped, why in msg). *checks gets the
 * journal's list of checks (NULL when the gate does not apply). Warnings are
 * logged on the step's call.
 */
static bool exception_gate(struct exec *x, const struct irx_step_def *st,
			   const struct irx_action *a, struct json_object *inputs,
			   struct irx_call *call, struct json_object **checks, char *msg,
			   size_t msglen)
{
	struct json_object *resources = NULL;
	struct irx_call gc;
	size_t exempt = 0, n = 0;
	time_t now = x->opts->exception_now ? x->opts->exception_now : time(NULL);

	*checks = NULL;
	if (!x->gate || !(a->flags & IRX_ACTION_MUTATES))
		return false;
	resources = json_object_new_array();
	for (const struct irx_param *p = a->params; p && p->name; p++)
		if (p->flags & IRX_PARAM_RESOURCE)
			add_resource(resources, json_object_object_get(inputs, p->name));
	n = json_object_array_length(resources);
	if (n == 0) {
		json_object_put(resources);
		return false;
	}
	/* Its own call: a failed tag read must not fail the step. */
	irx_call_init(&gc);
	gc.step = call->step;
	gc.action = call->action;
	gc.dry_run = call->dry_run;
	gc.deadline_ms = call->deadline_ms;
	gc.aws_call = call->aws_call;
	gc.aws_ud = call->aws_ud;
	gc.cancel = call->cancel;
	gc.secrets = call->secrets;
	gc.secret_count = call->secret_count;
	gc.log = call->log;
	gc.log_ud = call->log_ud;
	gc.min_level = call->min_level;
	*checks = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct irx_exception_check c;
		const char *res = json_object_get_string(json_object_array_get_idx(resources, i));

		irx_exception_gate_check(x->gate, &gc, res, st->action, now, &c);
		json_object_array_add(*checks, irx_exception_check_json(&c));
		switch (c.status) {
		case IRX_EXCEPTION_EXEMPT:
			if (exempt++ == 0)
				snprintf(msg, msglen, "%s", c.message);
			break;
		case IRX_EXCEPTION_NONE:
			break;
		case IRX_EXCEPTION_NOT_COVERED:
			irx_host_table(false)->log(call, IRX_LOG_INFO, "%s", c.message);
			break;
		default:
			irx_host_table(false)->log(call, IRX_LOG_WARN, "%s", c.message);
			break;
		}
	}
	irx_call_release(&gc);
	json_object_put(resources);
	if (exempt && exempt < n) {
		irx_host_table(false)->log(
		    call, IRX_LOG_WARN,
		    "'%s' changes %zu resources and only %zu %s exempt: the step runs on all", st->name,
		    n, exempt, exempt == 1 ? "is" : "are");
		return false;
	}
	if (exempt && n > 1) {
		size_t len = strlen(msg);

		snprintf(msg + len, msglen - len, " (and %zu more resource%s)", n - 1,
			 n == 2 ? "" : "s");
	}
	return exempt > 0;
}

/* Records a skipped step for the result and {{ automation:SKIPPED_STEPS }}. */
static void note_skipped(struct exec *x, const struct irx_step_def *st, const char *msg,
			 struct json_object *checks)
{
	struct json_object *o = json_object_new_object();
	struct json_object *text = NULL;
	const char *prev = NULL;
	char *joined = NULL;

	json_object_object_add(o, "step", json_object_new_string(st->name));
	json_object_object_add(o, "action", json_object_new_string(st->action));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "exceptions", json_object_get(checks));
	json_object_array_add(x->skipped, o);
	json_object_object_get_ex(x->globals, "automation:SKIPPED_STEPS", &text);
	prev = json_object_get_string(text);
	if (json_object_array_length(x->skipped) == 1)
		joined = irx_xasprintf("step '%s' (%s) %s", st->name, st->action, msg);
	else
		joined = irx_xasprintf("%s; step '%s' (%s) %s", prev, st->name, st->action, msg);
	json_object_object_add(x->globals, "automation:SKIPPED_STEPS",
			       json_object_new_string(joined));
	free(joined);
}

/*
 * Runs one attempt of st and journals it (step_start + step_end). Returns 0,
 * or -1 when the journal could not be written.
 */
static int attempt_once(struct exec *x, const struct irx_step_def *st,
			const struct irx_action_ref *ref, const struct irx_error *lookup_err,
			int attempt, struct outcome *out)
{
	struct irx_call call;
	struct irx_result res = {0};
	struct irx_context ctx = {0};
	struct json_object *raw = NULL, *inputs = NULL, *jinputs = NULL, *declared = NULL;
	struct json_object *rec = NULL, *checks = NULL;
	char start[32] = "", end[32] = "";
	char skip_msg[1024] = "";
	long long t0 = irx_now_ms(), t1 = 0;
	bool started = false, skip = false;
	int rc = -1, arc = 0;

	irx_call_init(&call);
	call.step = st->name;
	call.execution_id = x->id;
	call.action = st->action;
	call.aws_calls = ref ? ref->action->aws_calls : NULL; /* an undeclared call fails */
	call.dry_run = x->opts->dry_run;
	call.sleep_ms = x->opts->sleep_ms;
	call.sleep_ud = x->opts->sleep_ud;
	call.aws_call = x->opts->aws_call;
	call.aws_call_many = x->opts->aws_call_many;
	call.aws_call_in = x->opts->aws_call_in;
	call.aws_ud = x->opts->aws_ud;
	call.cancel = x->opts->cancel;
	call.checkpoint = journal_checkpoint;
	call.checkpoint_ud = x;
	x->cur_step = st;
	x->cur_attempt = attempt;
	log_to_options(x, &call);
	irx_iso8601_now(start);
	free(out->next_step);
	out->next_step = NULL;
	out->status = "Failed";
	out->message[0] = '\0';
	out->permanent = false;

	if (!ref) {
		call.error = *lookup_err;
		out->permanent = true;
		goto record;
	}
	refresh_clock(x);
	raw = st->inputs ? irx_node_to_json(st->inputs) : json_object_new_object();
	inputs = irx_template_expand(raw, lookup, x, &call.error);
	if (!inputs || check_inputs(x, ref->action, st->action, inputs, &call.error) < 0) {
		out->permanent = true;
		goto record;
	}
	/* Secrets are known now: the log and fail paths redact them. */
	call.secrets = (const char *const *)x->secrets;
	call.secret_count = x->secret_count;
	jinputs = journal_inputs(x, ref->action, inputs);
	if (st->timeout_seconds > 0)
		call.deadline_ms = t0 + st->timeout_seconds * 1000LL;
	skip = exception_gate(x, st, ref->action, inputs, &call, &checks, skip_msg,
			      sizeof(skip_msg));
	if (journal_step_start(x, st, attempt, json_object_get(jinputs),
			       checks ? redact_json(x, checks) : NULL, start) < 0)
		goto out;
	started = true;
	if (skip) {
		out->status = "Skipped";
		out->permanent = true;
		snprintf(out->message, sizeof(out->message), "%s", skip_msg);
		note_skipped(x, st, skip_msg, checks);
		goto record;
	}

	ctx.size = sizeof(ctx);
	ctx.host = irx_host_table(x->opts->aws_call != NULL);
	ctx.call = &call;
	ctx.execution_id = x->id;
	ctx.step_name = st->name;
	ctx.account_id = x->opts->account_id ? x->opts->account_id : "";
	ctx.region = x->opts->region ? x->opts->region : "";
	ctx.case_id = x->opts->case_id ? x->opts->case_id : "";
	ctx.dry_run = x->opts->dry_run;
	ctx.plugin_data = ref->plugin_data;
	if (st->timeout_seconds > 0)
		ctx.deadline_ms = t0 + st->timeout_seconds * 1000LL;
	call.deadline_ms = ctx.deadline_ms;
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();

	arc = ref->action->execute(&ctx, inputs, &res);
	t1 = irx_now_ms();
	if (irx_call_cancelled(&call)) {
		out->status = "Cancelled";
		out->permanent = true;
		irx_error_clear(&call.error);
		irx_error_set(&call.error, IRX_ERR_STEP, "step cancelled");
		goto record;
	}
	if (call.timed_out || (ctx.deadline_ms && t1 > ctx.deadline_ms)) {
		out->status = "TimedOut";
		irx_error_clear(&call.error);
		irx_error_set(&call.error, IRX_ERR_TIMEOUT, "step timed out after %ld second%s",
			      st->timeout_seconds, st->timeout_seconds == 1 ? "" : "s");
		goto record;
	}
	if (arc != 0 || call.error.code != IRX_OK) {
		irx_error_set(&call.error, IRX_ERR_STEP, "action '%s' failed without a message",
			      st->action);
		goto record;
	}
	if (extract_outputs(x, st, res.outputs, &call, &declared, &call.error) < 0)
		goto record;
	out->status = "Success";
	if (res.next_step)
		out->next_step = irx_xstrdup(res.next_step);
	if (res.message)
		snprintf(out->message, sizeof(out->message), "%s", res.message);
	json_object_object_add(x->step_outputs, st->name, json_object_get(declared));

record:
	if (!t1)
		t1 = irx_now_ms();
	irx_iso8601_now(end);
	if (call.error.code != IRX_OK && strcmp(out->status, "Success") != 0 && !skip) {
		char *m = redact_text(x, call.error.message);

		snprintf(out->message, sizeof(out->message), "%s", m);
		free(m);
	}
	if (!started) {
		if (journal_step_start(x, st, attempt, jinputs ? json_object_get(jinputs) : NULL,
				       NULL, start) < 0)
			goto out;
	}
	rec = json_object_new_object();
	json_object_object_add(rec, "type", json_object_new_string("step_end"));
	json_object_object_add(rec, "step", json_object_new_string(st->name));
	json_object_object_add(rec, "action", json_object_new_string(st->action));
	json_object_object_add(rec, "attempt", json_object_new_int(attempt));
	json_object_object_add(rec, "status", json_object_new_string(out->status));
	json_object_object_add(rec, "outputs",
			       declared ? redact_json(x, declared) : json_object_new_object());
	json_object_object_add(rec, "action_outputs",
			       res.outputs ? redact_json(x, res.outputs) : NULL);
	json_object_object_add(
	    rec, "undo",
	    res.undo && json_object_object_length(res.undo) > 0 ? redact_json(x, res.undo) : NULL);
	json_object_object_add(rec, "message", str_or_null(out->message));
	json_object_object_add(rec, "error",
			       strcmp(out->status, "Success") && !skip ? error_json(x, &call.error)
								       : NULL);
	if (checks)
		json_object_object_add(rec, "exceptions", redact_json(x, checks));
	if (x->opts->dry_run)
		json_object_object_add(rec, "planned_calls", redact_json(x, call.planned_calls));
	json_object_object_add(rec, "start_time", json_object_new_string(start));
	json_object_object_add(rec, "end_time", json_object_new_string(end));
	json_object_object_add(rec, "duration_ms", json_object_new_int64(t1 - t0));
	rc = jappend(x, rec);
out:
	json_object_put(raw);
	json_object_put(inputs);
	json_object_put(jinputs);
	json_object_put(declared);
	json_object_put(checks);
	json_object_put(res.outputs);
	json_object_put(res.undo);
	irx_call_release(&call);
	return rc;
}

static long long backoff_ms(int failed_attempt)
{
	long long d = BACKOFF_BASE_MS;

	for (int i = 1; i < failed_attempt && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	return d > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d;
}

/* Runs a step with its retries. Returns 0, or -1 when the journal failed. */
static int run_step(struct exec *x, const struct irx_step_def *st, struct outcome *out)
{
	struct irx_action_ref ref = {0};
	struct irx_error lerr = {0};
	bool have = irx_actions_lookup(x->actions, st->action, &ref, &lerr) == 0;
	int max = st->max_attempts < 1 ? 1 : st->max_attempts;
	long long t0 = irx_now_ms();

	if (x->opts->progress)
		x->opts->progress(x->opts->progress_ud, IRX_STEP_STARTED, st->name, st->action,
				  "InProgress", 0, NULL);
	for (int attempt = 1; attempt <= max; attempt++) {
		if (attempt_once(x, st, have ? &ref : NULL, &lerr, attempt, out) < 0)
			return -1;
		if (strcmp(out->status, "Success") == 0 || out->permanent || attempt == max)
			break;
		{
			struct irx_call c;

			irx_call_init(&c);
			c.sleep_ms = x->opts->sleep_ms;
			c.sleep_ud = x->opts->sleep_ud;
			c.cancel = x->opts->cancel;
			irx_call_sleep(&c, backoff_ms(attempt));
			irx_call_release(&c);
			if (irx_call_cancelled(&c))
				break; /* the execution loop ends the run as Cancelled */
		}
	}
	if (x->opts->progress)
		x->opts->progress(x->opts->progress_ud, IRX_STEP_FINISHED, st->name, st->action,
				  out->status, irx_now_ms() - t0,
				  out->message[0] ? out->message : NULL);
	return 0;
}

/* ---- the execution ------------------------------------------------------ */

static bool step_is_critical(const struct irx_step_def *st)
{
	if (irx_node_get(st->node, "isCritical"))
		return st->is_critical;
	return st->on_failure != IRX_ON_FAILURE_CONTINUE;
}

static size_t step_index(const struct irx_runbook *rb, const char *name)
{
	for (size_t i = 0; i < rb->step_count; i++)
		if (strcmp(rb->steps[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

static struct json_object *redacted_params(const struct exec *x)
{
	struct json_object *out = json_object_new_object();

	json_object_object_foreach(x->params, key, val)
	{
		if (json_object_object_get_ex(x->secret_params, key, NULL))
			json_object_object_add(out, key, json_object_new_string(REDACTED));
		else
			json_object_object_add(out, key, redact_json(x, val));
	}
	return out;
}

static void exec_release(struct exec *x);

struct json_object *irx_exec_journal_params(const struct irx_runbook *rb,
					    struct irx_actions *actions, struct json_object *params)
{
	struct exec x = {0};
	struct json_object *out = NULL;

	x.rb = rb;
	x.actions = actions;
	x.params = params;
	x.secret_params = json_object_new_object();
	find_secret_params(&x);
	out = redacted_params(&x);
	exec_release(&x);
	return out;
}

static int journal_execution_start(struct exec *x, const char *start)
{
	struct json_object *r = json_object_new_object();
	const struct irx_exec_options *o = x->opts;

	json_object_object_add(r, "type", json_object_new_string("execution_start"));
	json_object_object_add(r, "execution_id", json_object_new_string(x->id));
	json_object_object_add(r, "runbook",
			       json_object_new_string(x->rb->name ? x->rb->name : ""));
	json_object_object_add(
	    r, "runbook_path",
	    x->rb->doc && x->rb->doc->file ? json_object_new_string(x->rb->doc->file) : NULL);
	json_object_object_add(r, "parameters", redacted_params(x));
	json_object_object_add(r, "dry_run", json_object_new_boolean(o->dry_run));
	json_object_object_add(r, "account_id",
			       json_object_new_string(o->account_id ? o->account_id : ""));
	json_object_object_add(r, "region", json_object_new_string(o->region ? o->region : ""));
	json_object_object_add(r, "case_id", json_object_new_string(o->case_id ? o->case_id : ""));
	json_object_object_add(r, "mode", json_object_new_string("run"));
	json_object_object_add(r, "parent_execution_id", NULL);
	json_object_object_add(r, "fleet_id", str_or_null(o->fleet_id));
	json_object_object_add(r, "ignore_exceptions", json_object_new_boolean(o->ignore_exceptions));
	json_object_object_add(
	    r, "exception_tag",
	    json_object_new_string(o->exception_tag && *o->exception_tag
				       ? o->exception_tag
				       : IRX_EXCEPTION_DEFAULT_TAG));
	json_object_object_add(r, "exception_registry",
			       str_or_null(o->ignore_exceptions ? NULL : o->exception_registry));
	json_object_object_add(r, "start_time", json_object_new_string(start));
	json_object_object_add(r, "irx_version", json_object_new_string(IRX_VERSION));
	return jappend(x, r);
}

static void collect_outputs(struct exec *x, struct json_object *outputs)
{
	const struct irx_node *seq = x->rb->outputs;

	for (size_t i = 0; seq && seq->kind == IRX_NODE_SEQ && i < seq->count; i++) {
		const char *name = irx_node_str(seq->items[i]);
		struct json_object *v = name ? lookup(x, name) : NULL;

		/* The caller prints these: secrets stay redacted there too. */
		if (v && strchr(name, '.'))
			json_object_object_add(outputs, name, redact_json(x, v));
	}
}

static void exec_release(struct exec *x)
{
	json_object_put(x->step_outputs);
	json_object_put(x->globals);
	json_object_put(x->secret_params);
	json_object_put(x->skipped);
	irx_exception_gate_free(x->gate);
	for (size_t i = 0; i < x->secret_count; i++) {
		/* Secrets do not outlive the execution in memory either. */
		memset(x->secrets[i], 0, strlen(x->secrets[i]));
		free(x->secrets[i]);
	}
	free(x->secrets);
	if (x->journal)
		irx_journal_close(x->journal);
}

int irx_execute(const struct irx_runbook *rb, struct json_object *params,
		struct irx_actions *actions, const struct irx_exec_options *opts,
		struct irx_exec_result *result, struct irx_error *err)
{
	struct exec x = {0};
	struct outcome out = {0};
	const char *status = "Success"; /* what the execution ends as, unless aborted */
	const char *prev = NULL;
	char start[32] = "", end[32] = "";
	char failure[1024] = "";
	unsigned max =
	    opts->max_step_executions ? opts->max_step_executions : IRX_DEFAULT_MAX_STEP_EXECUTIONS;
	unsigned executed = 0;
	long long t0 = irx_now_ms();
	size_t idx = 0;
	int rc = -1;
	struct json_object *rec = NULL;

	memset(result, 0, sizeof(*result));
	result->status = "Failed";
	result->outputs = json_object_new_object();
	if (!opts->state_dir) {
		irx_error_set(err, IRX_ERR_INVALID, "no state directory for the journal");
		return -1;
	}
	x.rb = rb;
	x.params = params;
	x.actions = actions;
	x.opts = opts;
	x.err = err;
	x.step_outputs = opts->resume ? json_object_get(opts->resume->step_outputs) : NULL;
	if (!x.step_outputs)
		x.step_outputs = json_object_new_object();
	x.globals = json_object_new_object();
	x.secret_params = json_object_new_object();
	if (opts->resume)
		snprintf(x.id, sizeof(x.id), "%s", opts->resume->execution_id);
	else
		irx_execution_id_new(x.id);
	json_object_object_add(x.globals, "global:ACCOUNT_ID",
			       json_object_new_string(opts->account_id ? opts->account_id : ""));
	json_object_object_add(x.globals, "global:REGION",
			       json_object_new_string(opts->region ? opts->region : ""));
	json_object_object_add(
	    x.globals, "global:AWS_PARTITION",
	    json_object_new_string(partition_of(opts->region ? opts->region : "")));
	json_object_object_add(x.globals, "automation:EXECUTION_ID", json_object_new_string(x.id));
	json_object_object_add(x.globals, "automation:SKIPPED_STEPS", json_object_new_string("none"));
	x.skipped = opts->resume && opts->resume->skipped ? json_object_get(opts->resume->skipped)
							 : json_object_new_array();
	result->skipped_steps = json_object_new_array();
	if (!opts->ignore_exceptions)
		x.gate = irx_exception_gate_new(opts->exception_tag, opts->exception_registry);
	find_secret_params(&x);

	x.journal = opts->resume ? opts->resume->journal
				 : irx_journal_create(opts->state_dir, x.id, err);
	if (!x.journal)
		goto out;
	memcpy(result->execution_id, x.id, sizeof(x.id));
	snprintf(result->journal_path, sizeof(result->journal_path), "%s",
		 irx_journal_path(x.journal));
	irx_iso8601_now(start);
	if (opts->resume) {
		const struct irx_exec_resume *r = opts->resume;

		if (jappend(&x, json_object_get(r->record)) < 0)
			goto out;
		executed = r->executed;
		idx = r->start_step ? step_index(rb, r->start_step) : rb->step_count;
		if (r->status && strcmp(r->status, "Success") != 0) {
			status = r->status;
			snprintf(failure, sizeof(failure), "%s",
				 r->failure_message ? r->failure_message : "");
		}
	} else if (journal_execution_start(&x, start) < 0) {
		goto out;
	}
	if (opts->ignore_exceptions) {
		struct irx_call c;

		irx_call_init(&c);
		log_to_options(&x, &c);
		irx_host_table(false)->log(&c, IRX_LOG_WARN,
					   "exceptions are ignored (--ignore-exceptions): exempted "
					   "resources are contained too");
		irx_call_release(&c);
	}

	while (idx < rb->step_count) {
		const struct irx_step_def *st = &rb->steps[idx];
		const char *goto_name = NULL;

		if (x.opts->cancel && *x.opts->cancel) {
			snprintf(failure, sizeof(failure), "cancelled before step '%s'", st->name);
			status = "Cancelled";
			break;
		}
		if (executed == max) {
			snprintf(failure, sizeof(failure),
				 "stopped after %u step executions: '%s' -> '%s' loops", max,
				 prev ? prev : st->name, st->name);
			status = "Failed";
			break;
		}
		executed++;
		if (run_step(&x, st, &out) < 0)
			goto out;
		prev = st->name;
		if (strcmp(out.status, "Cancelled") == 0 ||
		    (x.opts->cancel && *x.opts->cancel && strcmp(out.status, "Success") != 0)) {
			/* onCancel is not supported: a cancelled step ends the execution. */
			snprintf(failure, sizeof(failure), "step '%s' was cancelled", st->name);
			status = "Cancelled";
			break;
		}
		if (strcmp(out.status, "Success") == 0 || strcmp(out.status, "Skipped") == 0) {
			if (out.next_step)
				goto_name = out.next_step;
			else if (st->is_end)
				break;
			else if (st->next_step)
				goto_name = st->next_step;
		} else {
			bool critical = step_is_critical(st);

			if (critical && strcmp(status, "Success") == 0) {
				status = out.status;
				snprintf(failure, sizeof(failure), "step '%s' %s: %s", st->name,
					 strcmp(out.status, "TimedOut") == 0 ? "timed out"
									     : "failed",
					 out.message);
			}
			/* A non-critical step that aborts stops the run without failing it (SSM).
			 */
			if (st->on_failure == IRX_ON_FAILURE_ABORT)
				break;
			if (st->on_failure == IRX_ON_FAILURE_STEP)
				goto_name = st->on_failure_step;
			else if (st->is_end)
				break;
			else if (st->next_step)
				goto_name = st->next_step;
		}
		if (goto_name) {
			size_t next = step_index(rb, goto_name);

			if (next == (size_t)-1) {
				snprintf(failure, sizeof(failure),
					 "step '%s' goes to step '%s', which does not exist",
					 st->name, goto_name);
				status = "Failed";
				break;
			}
			idx = next;
		} else {
			idx++;
		}
	}

	collect_outputs(&x, result->outputs);
	json_object_put(result->skipped_steps);
	result->skipped_steps = json_object_get(x.skipped);
	irx_iso8601_now(end);
	{
		char *m = redact_text(&x, failure);

		snprintf(result->failure_message, sizeof(result->failure_message), "%s", m);
		free(m);
	}
	result->status = status;
	rec = json_object_new_object();
	json_object_object_add(rec, "type", json_object_new_string("execution_end"));
	json_object_object_add(rec, "status", json_object_new_string(status));
	json_object_object_add(rec, "outputs", json_object_get(result->outputs));
	json_object_object_add(rec, "failure_message", str_or_null(result->failure_message));
	json_object_object_add(rec, "end_time", json_object_new_string(end));
	json_object_object_add(rec, "duration_ms", json_object_new_int64(irx_now_ms() - t0));
	if (jappend(&x, rec) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		result->status = "Failed";
		snprintf(result->failure_message, sizeof(result->failure_message), "%s",
			 err && err->message[0] ? err->message : "the execution could not run");
	}
	free(out.next_step);
	exec_release(&x);
	return rc;
}

void irx_exec_result_release(struct irx_exec_result *result)
{
	if (!result)
		return;
	json_object_put(result->outputs);
	result->outputs = NULL;
	json_object_put(result->skipped_steps);
	result->skipped_steps = NULL;
}
