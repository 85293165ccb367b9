/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws:branch, as SSM documents it: Choices are evaluated in order; the first
 * true choice names the next step; when none is true the step goes to Default,
 * and without Default the automation goes on with the next step in order
 * (SSM: "If no Default value is specified for a step, the automation processes
 * the next step in the runbook"). The step itself succeeds either way.
 *
 * A top-level choice has NextStep and one condition: Variable with one
 * comparison operator, or And / Or (a list of conditions) or Not (one
 * condition). Variable has already been templated by the executor, so it holds
 * the referenced value with its type. Type mismatches (NumericEquals on text
 * that is not a number, BooleanEquals on a list, ...) fail the step with a
 * message naming the choice: guessing would send an incident down the wrong
 * branch silently.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builtins.h"

#define BRANCH_MAX_DEPTH 16

enum op_kind {
	OP_STRING,
	OP_NUMERIC,
	OP_BOOLEAN,
};

struct op {
	const char *name;
	enum op_kind kind;
};

static const struct op ops[] = {
    {"StringEquals", OP_STRING},
    {"EqualsIgnoreCase", OP_STRING},
    {"StartsWith", OP_STRING},
    {"EndsWith", OP_STRING},
    {"Contains", OP_STRING},
    {"NumericEquals", OP_NUMERIC},
    {"NumericGreater", OP_NUMERIC},
    {"NumericLesser", OP_NUMERIC},
    {"NumericGreaterOrEquals", OP_NUMERIC},
    {"NumericLesserOrEquals", OP_NUMERIC},
    {"BooleanEquals", OP_BOOLEAN},
    {NULL, OP_STRING},
};

struct eval {
	const struct irx_context *ctx;
	char where[64]; /* "choice 2" for messages */
};

static int fail(struct eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct eval *ev, const char *fmt, ...)
{
	char msg[768] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev->ctx->host->fail(ev->ctx->call, "%s: %s", ev->where, msg);
	return -1;
}

static const char *kind_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_double:
	case json_type_int:
		return "number";
	case json_type_object:
		return "map";
	case json_type_array:
		return "list";
	case json_type_string:
		return "string";
	}
	return "value";
}

/* A number from a JSON number or from text that is entirely a decimal number. */
static int as_number(struct json_object *v, double *out)
{
	const char *s = NULL;
	char *end = NULL;

	if (json_object_is_type(v, json_type_int)) {
		*out = (double)json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		*out = json_object_get_double(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (*s == '\0' || strchr(" \t\n", *s))
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(*out))
		return -1;
	/* strtod also reads hex and "inf"; SSM numbers are decimal. */
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789+-.eE", *p))
			return -1;
	return 0;
}

static int as_boolean(struct json_object *v, bool *out)
{
	const char *s = NULL;

	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

/* Text for a string comparison: strings as they are, numbers and booleans as SSM prints them. */
static const char *as_text(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return json_object_get_string(v);
	default:
		return NULL;
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static int compare(struct eval *ev, const struct op *op, struct json_object *var,
		   struct json_object *value, bool *result)
{
	if (op->kind == OP_NUMERIC) {
		double a = 0, b = 0;

		if (as_number(value, &b) < 0)
			return fail(ev, "%s needs a number, got the %s '%s'", op->name,
				    kind_name(value), json_object_get_string(value));
		if (as_number(var, &a) < 0)
			return fail(ev, "%s needs a numeric Variable, got the %s '%s'", op->name,
				    kind_name(var), json_object_get_string(var));
		if (strcmp(op->name, "NumericEquals") == 0)
			*result = a == b;
		else if (strcmp(op->name, "NumericGreater") == 0)
			*result = a > b;
		else if (strcmp(op->name, "NumericLesser") == 0)
			*result = a < b;
		else if (strcmp(op->name, "NumericGreaterOrEquals") == 0)
			*result = a >= b;
		else
			*result = a <= b;
		return 0;
	}
	if (op->kind == OP_BOOLEAN) {
		bool a = false, b = false;

		if (as_boolean(value, &b) < 0)
			return fail(ev, "%s needs true or false, got the %s '%s'", op->name,
				    kind_name(value), json_object_get_string(value));
		if (as_boolean(var, &a) < 0)
			return fail(ev, "%s needs a boolean Variable, got the %s '%s'", op->name,
				    kind_name(var), json_object_get_string(var));
		*result = a == b;
		return 0;
	}
	/* String operators. */
	{
		const char *b = as_text(value), *a = NULL;

		if (!b)
			return fail(ev, "%s needs a string, got a %s", op->name, kind_name(value));
		/* Contains on a list (a StringList output) tests membership. */
		if (strcmp(op->name, "Contains") == 0 &&
		    json_object_is_type(var, json_type_array)) {
			*result = false;
			for (size_t i = 0; i < json_object_array_length(var); i++) {
				const char *item = as_text(json_object_array_get_idx(var, i));

				if (item && strcmp(item, b) == 0)
					*result = true;
			}
			return 0;
		}
		a = as_text(var);
		if (!a)
			return fail(ev, "%s needs a string Variable, got a %s", op->name,
				    kind_name(var));
		if (strcmp(op->name, "StringEquals") == 0)
			*result = strcmp(a, b) == 0;
		else if (strcmp(op->name, "EqualsIgnoreCase") == 0)
			*result = strcasecmp(a, b) == 0;
		else if (strcmp(op->name, "StartsWith") == 0)
			*result = strncmp(a, b, strlen(b)) == 0;
		else if (strcmp(op->name, "EndsWith") == 0)
			*result = ends_with(a, b);
		else
			*result = strstr(a, b) != NULL;
		return 0;
	}
}

static int eval_condition(struct eval *ev, struct json_object *c, bool top, int depth,
			  bool *result);

static int eval_list(struct eval *ev, const char *name, struct json_object *list, int depth,
		     bool *result)
{
	size_t n = 0;
	bool is_and = strcmp(name, "And") == 0;

	if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0)
		return fail(ev, "%s needs a non-empty list of conditions", name);
	n = json_object_array_length(list);
	/* Evaluate all of them (no short cut) so a malformed condition is never hidden. */
	*result = is_and;
	for (size_t i = 0; i < n; i++) {
		bool r = false;

		if (eval_condition(ev, json_object_array_get_idx(list, i), false, depth + 1, &r) <
		    0)
			return -1;
		if (is_and)
			*result = *result && r;
		else
			*result = *result || r;
	}
	return 0;
}

static int eval_condition(struct eval *ev, struct json_object *c, bool top, int depth, bool *result)
{
	struct json_object *var = NULL, *v = NULL;
	const struct op *op = NULL;
	const char *logical = NULL;
	int nops = 0;

	if (depth > BRANCH_MAX_DEPTH)
		return fail(ev, "conditions nested deeper than %d", BRANCH_MAX_DEPTH);
	if (!json_object_is_type(c, json_type_object))
		return fail(ev, "a condition must be a map, got a %s", kind_name(c));
	json_object_object_foreach(c, key, val)
	{
		const struct op *o = NULL;

		(void)val;
		if (strcmp(key, "Variable") == 0)
			continue;
		if (strcmp(key, "NextStep") == 0) {
			if (!top)
				return fail(ev, "NextStep is only allowed on a top-level choice");
			continue;
		}
		if (strcmp(key, "And") == 0 || strcmp(key, "Or") == 0 || strcmp(key, "Not") == 0) {
			logical = key;
			nops++;
			continue;
		}
		for (o = ops; o->name; o++)
			if (strcmp(o->name, key) == 0)
				break;
		if (!o->name)
			return fail(ev, "unknown key '%s'", key);
		op = o;
		nops++;
	}
	if (nops != 1)
		return fail(ev, nops ? "more than one operator" : "no operator");
	if (logical) {
		struct json_object *arg = json_object_object_get(c, logical);

		if (json_object_object_get_ex(c, "Variable", NULL))
			return fail(ev, "Variable cannot be used with %s", logical);
		if (strcmp(logical, "Not") != 0)
			return eval_list(ev, logical, arg, depth, result);
		if (eval_condition(ev, arg, false, depth + 1, result) < 0)
			return -1;
		*result = !*result;
		return 0;
	}
	if (!json_object_object_get_ex(c, "Variable", &var))
		return fail(ev, "%s needs a Variable", op->name);
	v = json_object_object_get(c, op->name);
	return compare(ev, op, var, v, result);
}

int irx_builtin_branch(const struct irx_context *ctx, struct json_object *inputs,
		       struct irx_result *result)
{
	struct json_object *choices = json_object_object_get(inputs, "Choices");
	struct json_object *def = json_object_object_get(inputs, "Default");
	struct eval ev = {.ctx = ctx};
	size_t n = json_object_array_length(choices);

	if (n == 0) {
		snprintf(ev.where, sizeof(ev.where), "Choices");
		return fail(&ev, "at least one choice is required");
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(choices, i);
		struct json_object *next = json_object_object_get(c, "NextStep");
		bool r = false;

		snprintf(ev.where, sizeof(ev.where), "choice %zu", i + 1);
		if (!json_object_is_type(next, json_type_string) ||
		    *json_object_get_string(next) == '\0')
			return fail(&ev, "NextStep (a step name) is required");
		if (eval_condition(&ev, c, true, 0, &r) < 0)
			return -1;
		if (r) {
			result->next_step = json_object_get_string(next);
			return 0;
		}
	}
	if (def && json_object_is_type(def, json_type_string)) {
		result->next_step = json_object_get_string(def);
		result->message = "no choice matched: Default";
		return 0;
	}
	result->next_step = NULL;
	result->message = "no choice matched and no Default: next step";
	return 0;
}
