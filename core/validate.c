/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static validation of a loaded runbook (irx_runbook_validate): everything
 * that can be known before a step runs, each problem at its position, all of
 * them at once, sorted into document order.
 *
 * "Earlier step" means earlier in document order. SSM's nextStep and
 * aws:branch can jump backwards, so document order is not always run order;
 * it is the rule SSM documents ("reference one or more outputs from an earlier
 * step") and the only one that can be checked without running: a reference to
 * a step further down the document is an error even if a jump would run that
 * step first.
 */
#include "runbook.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "actions.h"
#include "builtins.h"
#include "diag.h"
#include "error.h"
#include "node.h"
#include "params.h"
#include "selector.h"
#include "template.h"
#include "util.h"

#define NO_STEP SIZE_MAX

struct vctx {
	const struct irx_runbook *rb;
	struct irx_actions *actions;
	struct irx_diags *d;
};

/* SSM's system variables (automation-variables.md); the executor resolves each. */
static const char *const system_vars[] = {
	"global:ACCOUNT_ID", "global:REGION",	    "global:DATE",
	"global:DATE_TIME",  "global:AWS_PARTITION", "automation:EXECUTION_ID",
	"automation:SKIPPED_STEPS", NULL,
};

static bool is_kind(const struct irx_node *n, const char *type)
{
	return n && strcmp(irx_node_type_name(n), type) == 0;
}

/* Index of the first step named name, or NO_STEP. */
static size_t step_index(const struct irx_runbook *rb, const char *name)
{
	for (size_t i = 0; name && i < rb->step_count; i++)
		if (rb->steps[i].name && strcmp(rb->steps[i].name, name) == 0)
			return i;
	return NO_STEP;
}

static const struct irx_output_decl *step_output(const struct irx_step_def *s, const char *name)
{
	for (size_t i = 0; i < s->output_count; i++)
		if (s->outputs[i].name && strcmp(s->outputs[i].name, name) == 0)
			return &s->outputs[i];
	return NULL;
}

static bool is_system_var(const char *name)
{
	for (size_t i = 0; system_vars[i]; i++)
		if (strcmp(system_vars[i], name) == 0)
			return true;
	return false;
}

/* --- template references --------------------------------------------------- */

/*
 * Checks one reference found in a string at node `at`. limit: steps before this
 * index may be referenced; cur: the referring step's name (NULL: assumeRole).
 */
static void check_ref(struct vctx *v, const struct irx_node *at, const char *name, size_t limit,
		      const char *cur)
{
	const struct irx_runbook *rb = v->rb;
	const char *colon = strchr(name, ':'), *dot = strchr(name, '.');

	if (colon) {
		if (is_system_var(name))
			return;
		if (strncmp(name, "ssm:", 4) == 0)
			irx_diags_add(v->d, at,
				      "parameter store reference '{{ %s }}' is not supported by irx",
				      name);
		else
			irx_diags_add(v->d, at, "unknown variable '{{ %s }}'", name);
		return;
	}
	if (dot) {
		char *step = irx_xstrndup(name, (size_t)(dot - name));
		size_t idx = step_index(rb, step);

		if (idx == NO_STEP)
			irx_diags_add(v->d, at, "unknown step '%s' in '{{ %s }}'", step, name);
		else if (!cur)
			irx_diags_add(v->d, at, "assumeRole cannot use a step output ('{{ %s }}')",
				      name);
		else if (idx >= limit)
			irx_diags_add(v->d, at,
				      "'{{ %s }}' refers to step '%s', which is not before step "
				      "'%s'",
				      name, step, cur);
		else if (!step_output(&rb->steps[idx], dot + 1))
			irx_diags_add(v->d, at, "step '%s' has no output '%s' (in '{{ %s }}')",
				      step, dot + 1, name);
		free(step);
		return;
	}
	if (!irx_runbook_param(rb, name))
		irx_diags_add(v->d, at, "unknown parameter '%s' in '{{ %s }}'", name, name);
}

struct scan {
	struct vctx *v;
	const struct irx_node *at;
	size_t limit;
	const char *cur;
};

static void on_ref(void *ud, const char *name, size_t offset)
{
	struct scan *s = ud;

	(void)offset;
	check_ref(s->v, s->at, name, s->limit, s->cur);
}

/* Checks every reference in a string node. */
static void scan_string(struct vctx *v, const struct irx_node *n, size_t limit, const char *cur)
{
	struct scan s = {v, n, limit, cur};
	char err[256] = "";
	size_t off = 0;

	if (strstr(n->value, "{{") &&
	    irx_template_scan(n->value, on_ref, &s, err, sizeof(err), &off) < 0)
		irx_diags_add(v->d, n, "malformed template: %s", err);
}

static void scan_tree(struct vctx *v, const struct irx_node *n, size_t limit, const char *cur)
{
	if (!n)
		return;
	if (n->kind == IRX_NODE_SCALAR) {
		if (is_kind(n, "string"))
			scan_string(v, n, limit, cur);
		return;
	}
	for (size_t i = 0; i < n->count; i++)
		scan_tree(v, n->items[i], limit, cur);
}

/* The declared type of what a single reference names; 0 when unknown. */
static enum irx_param_type ref_type(struct vctx *v, const char *name, size_t limit)
{
	const char *dot = strchr(name, '.');
	const struct irx_param_decl *p = NULL;

	if (strchr(name, ':'))
		return is_system_var(name) ? IRX_PARAM_STRING : 0;
	if (dot) {
		char *step = irx_xstrndup(name, (size_t)(dot - name));
		size_t idx = step_index(v->rb, step);
		const struct irx_output_decl *o = NULL;

		free(step);
		if (idx == NO_STEP || idx >= limit)
			return 0;
		o = step_output(&v->rb->steps[idx], dot + 1);
		return o ? o->type : 0;
	}
	p = irx_runbook_param(v->rb, name);
	return p ? p->type : 0;
}

/* --- inputs against the action's schema ------------------------------------- */

static const char *node_kind_for(enum irx_param_type t)
{
	switch (t) {
	case IRX_PARAM_STRING:
		return "string";
	case IRX_PARAM_INTEGER:
		return "integer";
	case IRX_PARAM_BOOLEAN:
		return "boolean";
	case IRX_PARAM_STRING_LIST:
	case IRX_PARAM_MAP_LIST:
		return "list";
	case IRX_PARAM_STRING_MAP:
		return "map";
	case IRX_PARAM_ANY:
		break;
	}
	return NULL;
}

struct capture {
	size_t count, offset;
	char *name; /* the first reference, owned */
};

static void on_capture(void *ud, const char *name, size_t offset)
{
	struct capture *c = ud;

	if (c->count++ == 0) {
		c->name = irx_xstrdup(name);
		c->offset = offset;
	}
}

/* The name of the reference when s is exactly one "{{ ... }}" and nothing else. */
static char *single_ref(const char *s)
{
	struct capture c = {0};
	const char *close = strstr(s, "}}");

	if (strncmp(s, "{{", 2) != 0 || !close || close[2] != '\0' ||
	    irx_template_scan(s, on_capture, &c, NULL, 0, NULL) < 0 || c.count != 1) {
		free(c.name);
		return NULL;
	}
	return c.name;
}

/* A string node that is exactly one reference: its type decides. Returns true when it was one. */
static bool check_single_ref(struct vctx *v, const struct irx_node *val, enum irx_param_type want,
			     const char *what, size_t limit)
{
	char *name = is_kind(val, "string") ? single_ref(val->value) : NULL;
	enum irx_param_type got = 0;

	if (!name)
		return false;
	got = ref_type(v, name, limit);
	if (got && got != want && want != IRX_PARAM_ANY)
		irx_diags_add(v->d, val, "%s must be %s, but '{{ %s }}' is %s", what,
			      irx_param_type_name(want), name, irx_param_type_name(got));
	free(name);
	return true;
}

static void check_value(struct vctx *v, const struct irx_node *val, enum irx_param_type want,
			const char *what, size_t limit)
{
	const char *kind = node_kind_for(want);

	if (!kind || check_single_ref(v, val, want, what, limit))
		return;
	if (!is_kind(val, kind)) {
		irx_diags_add(v->d, val, "%s must be %s, got %s", what, irx_param_type_name(want),
			      irx_node_type_name(val));
		return;
	}
	if (want != IRX_PARAM_STRING_LIST && want != IRX_PARAM_MAP_LIST)
		return;
	for (size_t i = 0; i < val->count; i++) {
		const struct irx_node *it = val->items[i];
		const char *item_kind = want == IRX_PARAM_STRING_LIST ? "string" : "map";
		char item_what[300] = "";

		snprintf(item_what, sizeof(item_what), "item %zu of %s", i + 1, what);
		if (want == IRX_PARAM_STRING_LIST &&
		    check_single_ref(v, it, IRX_PARAM_STRING, item_what, limit))
			continue;
		if (!is_kind(it, item_kind))
			irx_diags_add(v->d, it, "%s must be a %s, got %s", item_what, item_kind,
				      irx_node_type_name(it));
	}
}

static const struct irx_param *find_param(const struct irx_action *a, const char *name)
{
	for (const struct irx_param *p = a->params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static void check_inputs(struct vctx *v, const struct irx_step_def *s, size_t index,
			 const struct irx_action *a)
{
	const struct irx_node *in = s->inputs;

	for (size_t i = 0; i < in->count; i++) {
		const char *key = in->keys[i]->value;
		const struct irx_param *p = find_param(a, key);
		char what[300] = "";

		if (!p) {
			const struct irx_param *near = NULL;

			if (a->flags & IRX_ACTION_OPEN_INPUTS)
				continue;
			for (const struct irx_param *q = a->params; q && q->name && !near; q++)
				if (strcasecmp(q->name, key) == 0)
					near = q;
			if (near)
				irx_diags_add(v->d, in->keys[i],
					      "unknown input '%s' for action '%s' (did you mean "
					      "'%s'?)",
					      key, s->action, near->name);
			else
				irx_diags_add(v->d, in->keys[i], "unknown input '%s' for action '%s'",
					      key, s->action);
			continue;
		}
		snprintf(what, sizeof(what), "input '%s'", key);
		check_value(v, in->items[i], p->type, what, index);
	}
	for (const struct irx_param *p = a->params; p && p->name; p++)
		if ((p->flags & IRX_PARAM_REQUIRED) && !p->default_value && !irx_node_get(in, p->name))
			irx_diags_add(v->d, in, "missing required input '%s' for action '%s'", p->name,
				      s->action);
}

/* --- targets ---------------------------------------------------------------- */

static void check_target(struct vctx *v, const struct irx_node *at, const char *target,
			 const char *key)
{
	/* a templated target is only known at run time; the executor checks it then */
	if (!strstr(target, "{{") && step_index(v->rb, target) == NO_STEP)
		irx_diags_add(v->d, at, "unknown step '%s' in '%s'", target, key);
}

/* --- aws:branch --------------------------------------------------------------- */

static const char *const string_ops[] = {"StringEquals", "EqualsIgnoreCase", "StartsWith",
					 "EndsWith", "Contains", NULL};
static const char *const numeric_ops[] = {"NumericEquals",	    "NumericGreater",
					  "NumericLesser",	    "NumericGreaterOrEquals",
					  "NumericLesserOrEquals", NULL};

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static bool has_template(const struct irx_node *n)
{
	return is_kind(n, "string") && strstr(n->value, "{{");
}

static void check_operand(struct vctx *v, const char *op, const struct irx_node *val)
{
	if (in_list(string_ops, op)) {
		if (!is_kind(val, "string"))
			irx_diags_add(v->d, val, "'%s' must be a string, got %s", op,
				      irx_node_type_name(val));
	} else if (in_list(numeric_ops, op)) {
		if (!is_kind(val, "integer") && !is_kind(val, "number") && !has_template(val))
			irx_diags_add(v->d, val, "'%s' must be a number, got %s", op,
				      irx_node_type_name(val));
	} else if (!is_kind(val, "boolean") && !has_template(val)) {
		irx_diags_add(v->d, val, "'%s' must be a boolean, got %s", op,
			      irx_node_type_name(val));
	}
}

static void check_choice(struct vctx *v, const struct irx_node *c, bool top)
{
	const struct irx_node *op_key = NULL, *op_val = NULL, *var = NULL;
	const char *op = NULL;
	size_t ops = 0;

	if (c->kind != IRX_NODE_MAP) {
		irx_diags_add(v->d, c, "a choice must be a map, got %s", irx_node_type_name(c));
		return;
	}
	for (size_t i = 0; i < c->count; i++) {
		const char *key = c->keys[i]->value;
		const struct irx_node *val = c->items[i];

		if (strcmp(key, "NextStep") == 0) {
			if (!top)
				irx_diags_add(v->d, c->keys[i],
					      "'NextStep' belongs in a top-level choice, not inside "
					      "And, Or or Not");
			else if (!is_kind(val, "string"))
				irx_diags_add(v->d, val, "'NextStep' must be a string, got %s",
					      irx_node_type_name(val));
			else
				check_target(v, val, val->value, "NextStep");
		} else if (strcmp(key, "Variable") == 0) {
			var = val;
			if (!is_kind(val, "string"))
				irx_diags_add(v->d, val, "'Variable' must be a string, got %s",
					      irx_node_type_name(val));
		} else if (in_list(string_ops, key) || in_list(numeric_ops, key) ||
			   strcmp(key, "BooleanEquals") == 0 || strcmp(key, "And") == 0 ||
			   strcmp(key, "Or") == 0 || strcmp(key, "Not") == 0) {
			if (ops++ == 0) {
				op = key;
				op_key = c->keys[i];
				op_val = val;
			} else
				irx_diags_add(v->d, c->keys[i],
					      "a choice takes exactly one operator, got '%s' and "
					      "'%s'",
					      op, key);
		} else {
			irx_diags_add(v->d, c->keys[i], "unknown key '%s' in choice", key);
		}
	}
	if (top && !irx_node_get(c, "NextStep"))
		irx_diags_add(v->d, c, "missing 'NextStep' in choice");
	if (!op) {
		irx_diags_add(v->d, c,
			      "a choice needs an operator: StringEquals, EqualsIgnoreCase, "
			      "StartsWith, EndsWith, Contains, NumericEquals, NumericGreater, "
			      "NumericLesser, NumericGreaterOrEquals, NumericLesserOrEquals, "
			      "BooleanEquals, And, Or or Not");
		return;
	}
	if (strcmp(op, "And") == 0 || strcmp(op, "Or") == 0) {
		if (var)
			irx_diags_add(v->d, op_key, "'Variable' cannot be used with '%s'", op);
		if (!is_kind(op_val, "list"))
			irx_diags_add(v->d, op_val, "'%s' must be a list of choices, got %s", op,
				      irx_node_type_name(op_val));
		else if (op_val->count == 0)
			irx_diags_add(v->d, op_val, "'%s' needs at least one choice", op);
		else
			for (size_t i = 0; i < op_val->count; i++)
				check_choice(v, op_val->items[i], false);
		return;
	}
	if (strcmp(op, "Not") == 0) {
		if (var)
			irx_diags_add(v->d, op_key, "'Variable' cannot be used with 'Not'");
		if (!is_kind(op_val, "map"))
			irx_diags_add(v->d, op_val, "'Not' must be a choice (a map), got %s",
				      irx_node_type_name(op_val));
		else
			check_choice(v, op_val, false);
		return;
	}
	if (!var)
		irx_diags_add(v->d, op_key, "'%s' needs a 'Variable' in the same choice", op);
	check_operand(v, op, op_val);
}

static void check_branch(struct vctx *v, const struct irx_step_def *s)
{
	const struct irx_node *choices = irx_node_get(s->inputs, "Choices");
	const struct irx_node *def = irx_node_get(s->inputs, "Default");

	/* a missing or mistyped Choices is reported by the schema check */
	if (is_kind(choices, "list")) {
		if (choices->count == 0)
			irx_diags_add(v->d, choices, "'Choices' needs at least one choice");
		for (size_t i = 0; i < choices->count; i++)
			if (choices->items[i]->kind == IRX_NODE_MAP)
				check_choice(v, choices->items[i], true);
	}
	if (is_kind(def, "string"))
		check_target(v, def, def->value, "Default");
}

/* aws:sleep: Duration or Timestamp, exactly one, and a literal one must parse. */
static void check_sleep(struct vctx *v, const struct irx_step_def *s)
{
	const struct irx_node *dur = irx_node_get(s->inputs, "Duration");
	const struct irx_node *ts = irx_node_get(s->inputs, "Timestamp");
	char err[256] = "";
	long long ms = 0;

	if (!dur && !ts)
		irx_diags_add(v->d, s->inputs, "aws:sleep needs 'Duration' or 'Timestamp'");
	else if (dur && ts)
		irx_diags_add(v->d, ts, "aws:sleep takes 'Duration' or 'Timestamp', not both");
	if (is_kind(dur, "string") && !has_template(dur) &&
	    irx_iso8601_duration_ms(dur->value, &ms, err, sizeof(err)) < 0)
		irx_diags_add(v->d, dur, "%s", err);
	if (is_kind(ts, "string") && !has_template(ts) &&
	    irx_iso8601_timestamp_ms(ts->value, &ms, err, sizeof(err)) < 0)
		irx_diags_add(v->d, ts, "%s", err);
}

/* --- one step ------------------------------------------------------------------- */

static void check_action(struct vctx *v, const struct irx_step_def *s, size_t index)
{
	const struct irx_node *at = irx_node_get(s->node, "action");
	struct irx_action_ref ref = {0};
	struct irx_error err = {0};

	if (!s->action)
		return;
	if (irx_builtin_is_unsupported(s->action)) {
		irx_diags_add(v->d, at, "action '%s' is not supported by irx", s->action);
		return;
	}
	if (irx_actions_lookup(v->actions, s->action, &ref, &err) < 0) {
		/* the registry's message names the action and why (unknown, refused plugin) */
		irx_diags_add(v->d, at, "%s", err.message);
		return;
	}
	if (!s->inputs)
		return;
	check_inputs(v, s, index, ref.action);
	if (strcmp(s->action, "aws:branch") == 0)
		check_branch(v, s);
	else if (strcmp(s->action, "aws:sleep") == 0)
		check_sleep(v, s);
}

static void check_step(struct vctx *v, size_t i)
{
	const struct irx_step_def *s = &v->rb->steps[i];
	const struct irx_node *n = NULL;
	size_t first = step_index(v->rb, s->name);

	if (s->node->kind != IRX_NODE_MAP)
		return;
	if (s->name && first != i)
		irx_diags_add(v->d, irx_node_get(s->node, "name"),
			      "duplicate step name '%s' (first at line %u)", s->name,
			      irx_node_get(v->rb->steps[first].node, "name")->line);
	check_action(v, s, i);
	scan_tree(v, s->inputs, i, s->name ? s->name : "?");
	if (s->next_step)
		check_target(v, irx_node_get(s->node, "nextStep"), s->next_step, "nextStep");
	if (s->on_failure_step)
		check_target(v, irx_node_get(s->node, "onFailure"), s->on_failure_step,
			     "onFailure");
	n = irx_node_get(s->node, "onCancel");
	if (is_kind(n, "string") && strncmp(n->value, "step:", 5) == 0 && n->value[5])
		check_target(v, n, n->value + 5, "onCancel");
	for (size_t k = 0; k < s->output_count; k++) {
		const struct irx_output_decl *o = &s->outputs[k];
		char err[256] = "";
		size_t off = 0;

		for (size_t j = 0; o->name && j < k; j++)
			if (s->outputs[j].name && strcmp(s->outputs[j].name, o->name) == 0) {
				irx_diags_add(v->d, irx_node_get(o->node, "Name"),
					      "duplicate output '%s' in step '%s'", o->name,
					      s->name ? s->name : "?");
				break;
			}
		if (o->selector && irx_selector_check(o->selector, err, sizeof(err), &off) < 0)
			irx_diags_add(v->d, irx_node_get(o->node, "Selector"),
				      "invalid selector '%s': %s", o->selector, err);
	}
}

static const char *step_name(const struct irx_runbook *rb, size_t i)
{
	return rb->steps[i].name ? rb->steps[i].name : "?";
}

/* --- loops ---------------------------------------------------------------------- */

/* The step that unconditionally runs after i; NO_STEP at an end or a branch. */
static size_t successor(const struct irx_runbook *rb, size_t i)
{
	const struct irx_step_def *s = &rb->steps[i];

	if (s->is_end || s->node->kind != IRX_NODE_MAP)
		return NO_STEP;
	if (s->action && strcmp(s->action, "aws:branch") == 0)
		return NO_STEP;
	if (s->next_step)
		return step_index(rb, s->next_step);
	return i + 1 < rb->step_count ? i + 1 : NO_STEP;
}

/*
 * Each step has at most one unconditional successor, so a loop with no
 * aws:branch and no isEnd in it can never be left (short of a failure).
 * SSM would run it until its step limit; we refuse it up front.
 */
static void check_loops(struct vctx *v)
{
	const struct irx_runbook *rb = v->rb;
	unsigned char *state = irx_xcalloc(rb->step_count ? rb->step_count : 1, 1);

	for (size_t start = 0; start < rb->step_count; start++) {
		size_t i = start, low = 0, pred = 0;
		char *text = NULL;

		while (i != NO_STEP && state[i] == 0) {
			state[i] = 1;
			i = successor(rb, i);
		}
		if (i != NO_STEP && state[i] == 1) {
			/* a new loop through i: find its first step in document order */
			size_t k = i;

			low = i;
			do {
				if (k < low)
					low = k;
				k = successor(rb, k);
			} while (k != i);
			k = low;
			text = irx_xasprintf("'%s'", step_name(rb, low));
			do {
				char *more = NULL;

				pred = k;
				k = successor(rb, k);
				more = irx_xasprintf("%s -> '%s'", text, step_name(rb, k));
				free(text);
				text = more;
			} while (k != low);
			/* the step closing the loop jumps back with nextStep: point there */
			irx_diags_add(v->d,
				      irx_node_get(rb->steps[pred].node, "nextStep")
					      ? irx_node_get(rb->steps[pred].node, "nextStep")
					      : rb->steps[pred].node,
				      "steps %s loop forever: no aws:branch or isEnd leaves the loop",
				      text);
			free(text);
		}
		for (i = start; i != NO_STEP && state[i] == 1; i = successor(rb, i))
			state[i] = 2;
	}
	free(state);
}

/* --- the whole runbook ---------------------------------------------------------------- */

static void check_params(struct vctx *v)
{
	for (size_t i = 0; i < v->rb->param_count; i++) {
		const struct irx_param_decl *p = &v->rb->params[i];
		const struct irx_node *pat = irx_node_get(p->node, "allowedPattern");
		char err[1024] = "";
		regex_t re;
		bool pattern_ok = true;

		if (p->allowed_pattern) {
			if (irx_param_pattern_compile(p->allowed_pattern, &re, err, sizeof(err)) < 0) {
				irx_diags_add(v->d, pat, "invalid allowedPattern '%s' for parameter "
							 "'%s': %s",
					      p->allowed_pattern, p->name, err);
				pattern_ok = false;
			} else
				regfree(&re);
		}
		if (p->allowed_values && p->type && p->type != IRX_PARAM_MAP_LIST &&
		    p->type != IRX_PARAM_STRING_MAP) {
			const char *want = p->type == IRX_PARAM_INTEGER	  ? "integer"
					   : p->type == IRX_PARAM_BOOLEAN ? "boolean"
									  : "string";

			for (size_t k = 0; k < p->allowed_values->count; k++) {
				const struct irx_node *it = p->allowed_values->items[k];

				if (it->kind == IRX_NODE_SCALAR && !irx_node_is_null(it) &&
				    !is_kind(it, want))
					irx_diags_add(v->d, it,
						      "allowed value '%s' of parameter '%s' must be "
						      "%s %s, got %s",
						      it->value, p->name,
						      want[0] == 'i' ? "an" : "a", want,
						      irx_node_type_name(it));
			}
		}
		if (p->default_value && p->type && pattern_ok) {
			struct json_object *val = irx_node_to_json(p->default_value);

			if (irx_param_check(p, val, err, sizeof(err)) < 0)
				irx_diags_add(v->d, p->default_value, "default of parameter '%s': %s",
					      p->name, err);
			json_object_put(val);
		}
	}
}

static void check_outputs(struct vctx *v)
{
	const struct irx_node *outs = v->rb->outputs;

	for (size_t i = 0; outs && i < outs->count; i++) {
		const struct irx_node *o = outs->items[i];
		const char *dot = is_kind(o, "string") ? strchr(o->value, '.') : NULL;
		char *step = NULL;
		size_t idx = 0;

		if (!dot || dot == o->value || !dot[1] || strchr(dot + 1, '.'))
			continue; /* reported by the loader */
		step = irx_xstrndup(o->value, (size_t)(dot - o->value));
		idx = step_index(v->rb, step);
		if (idx == NO_STEP)
			irx_diags_add(v->d, o, "runbook output '%s': unknown step '%s'", o->value,
				      step);
		else if (!step_output(&v->rb->steps[idx], dot + 1))
			irx_diags_add(v->d, o, "runbook output '%s': step '%s' has no output '%s'",
				      o->value, step, dot + 1);
		free(step);
	}
}

struct ordered {
	struct irx_diag diag;
	size_t seq;
};

static int cmp_ordered(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->diag.line != y->diag.line)
		return x->diag.line < y->diag.line ? -1 : 1;
	if (x->diag.col != y->diag.col)
		return x->diag.col < y->diag.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts diags[from..] by position, keeping the order of equal positions. */
static void sort_diags(struct irx_diags *d, size_t from)
{
	size_t n = d->count - from;
	struct ordered *tmp = NULL;

	if (n < 2)
		return;
	tmp = irx_xcalloc(n, sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		tmp[i].diag = d->items[from + i];
		tmp[i].seq = i;
	}
	qsort(tmp, n, sizeof(*tmp), cmp_ordered);
	for (size_t i = 0; i < n; i++)
		d->items[from + i] = tmp[i].diag;
	free(tmp);
}

size_t irx_runbook_validate(const struct irx_runbook *rb, struct irx_actions *actions,
			    struct irx_diags *diags)
{
	struct vctx v = {rb, actions, diags};
	size_t before = diags->count;

	check_params(&v);
	if (rb->assume_role)
		scan_tree(&v, irx_node_get(rb->doc->root, "assumeRole"), 0, NULL);
	for (size_t i = 0; i < rb->step_count; i++)
		check_step(&v, i);
	check_loops(&v);
	check_outputs(&v);
	sort_diags(diags, before);
	return diags->count - before;
}
