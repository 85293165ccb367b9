/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading an SSM Automation document (schemaVersion '0.3') into the runbook
 * model. This file checks structure only: which keys exist where, and the type
 * of every value. What the values mean (targets, references, actions, default
 * values) is checked by irx_runbook_validate (validate.c).
 *
 * The keys are SSM's (the AWS user guide's "Data elements and parameters" and
 * "Properties shared by all actions", and AWS's own JSON schema for Automation
 * documents in amazon-ssm-document-language-service): anything else is an error
 * with its position, so a misspelt key ("onfailure") never silently does
 * nothing. `files` (attachment checksums, only used by aws:executeScript) is
 * accepted and its shape checked; irx does not use it.
 */
#include "runbook.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "diag.h"
#include "node.h"
#include "util.h"

static const char *const type_names[] = {
	[IRX_PARAM_STRING] = "String",	   [IRX_PARAM_STRING_LIST] = "StringList",
	[IRX_PARAM_INTEGER] = "Integer",   [IRX_PARAM_BOOLEAN] = "Boolean",
	[IRX_PARAM_MAP_LIST] = "MapList",  [IRX_PARAM_STRING_MAP] = "StringMap",
	[IRX_PARAM_ANY] = "Any",
};

enum irx_param_type irx_param_type_parse(const char *name)
{
	/* "Any" is for built-in schemas only: a runbook cannot declare it */
	for (int t = IRX_PARAM_STRING; name && t <= IRX_PARAM_STRING_MAP; t++)
		if (strcmp(type_names[t], name) == 0)
			return (enum irx_param_type)t;
	return 0;
}

const char *irx_param_type_name(enum irx_param_type type)
{
	if (type >= IRX_PARAM_STRING && type <= IRX_PARAM_ANY)
		return type_names[type];
	return "unknown";
}

const struct irx_step_def *irx_runbook_step(const struct irx_runbook *rb, const char *name)
{
	for (size_t i = 0; rb && name && i < rb->step_count; i++)
		if (rb->steps[i].name && strcmp(rb->steps[i].name, name) == 0)
			return &rb->steps[i];
	return NULL;
}

const struct irx_param_decl *irx_runbook_param(const struct irx_runbook *rb, const char *name)
{
	for (size_t i = 0; rb && name && i < rb->param_count; i++)
		if (strcmp(rb->params[i].name, name) == 0)
			return &rb->params[i];
	return NULL;
}

/* --- small checks ------------------------------------------------------- */

static bool is_kind(const struct irx_node *n, const char *type)
{
	return n && strcmp(irx_node_type_name(n), type) == 0;
}

static const char *article(const char *type)
{
	return strchr("aeiou", type[0]) ? "an" : "a";
}

/* Adds "'key' must be a <type>, got <actual>" unless n has that type. */
static bool expect(struct irx_diags *d, const char *key, const struct irx_node *n,
		   const char *type)
{
	if (is_kind(n, type))
		return true;
	irx_diags_add(d, n, "'%s' must be %s %s, got %s", key, article(type), type,
		      irx_node_type_name(n));
	return false;
}

/* A YAML integer (any core-schema spelling) into *out. */
static bool node_int(const struct irx_node *n, long long *out)
{
	struct json_object *j = NULL;
	bool ok = false;

	if (!is_kind(n, "integer"))
		return false;
	j = irx_node_to_json(n);
	if (j && json_object_is_type(j, json_type_int)) {
		*out = (long long)json_object_get_int64(j);
		ok = true;
	}
	json_object_put(j);
	return ok;
}

static bool expect_int(struct irx_diags *d, const char *key, const struct irx_node *n,
		       long long min, long long max, long long *out)
{
	if (!expect(d, key, n, "integer") || !node_int(n, out))
		return false;
	if (*out < min || *out > max) {
		if (max == LLONG_MAX || max == INT_MAX || max == LONG_MAX)
			irx_diags_add(d, n, "'%s' must be at least %lld, got %lld", key, min,
				      *out);
		else
			irx_diags_add(d, n, "'%s' must be between %lld and %lld, got %lld", key,
				      min, max, *out);
		return false;
	}
	return true;
}

/* SSM's schema takes a boolean or the strings "true" / "false" for isEnd and isCritical. */
static bool expect_bool(struct irx_diags *d, const char *key, const struct irx_node *n, bool *out)
{
	if (is_kind(n, "boolean") ||
	    (is_kind(n, "string") && (strcmp(n->value, "true") == 0 ||
				      strcmp(n->value, "false") == 0))) {
		*out = strcasecmp(n->value, "true") == 0;
		return true;
	}
	irx_diags_add(d, n, "'%s' must be a boolean, got %s", key, irx_node_type_name(n));
	return false;
}

/* Reports keys of map not in allowed (NULL-terminated); what names the map in messages. */
static void check_keys(struct irx_diags *d, const struct irx_node *map,
		       const char *const *allowed, const char *what)
{
	for (size_t i = 0; i < map->count; i++) {
		const char *key = map->keys[i]->value;
		const char *near = NULL;
		bool ok = false;

		for (size_t k = 0; allowed[k] && !ok; k++) {
			ok = strcmp(allowed[k], key) == 0;
			if (!ok && strcasecmp(allowed[k], key) == 0)
				near = allowed[k];
		}
		if (ok)
			continue;
		if (near)
			irx_diags_add(d, map->keys[i], "unknown key '%s' in %s (did you mean '%s'?)",
				      key, what, near);
		else
			irx_diags_add(d, map->keys[i], "unknown key '%s' in %s", key, what);
	}
}

/* Step and parameter names end up inside "{{ }}" and "step:NAME": keep them to that alphabet. */
static bool valid_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return n > 0 && n <= 128;
}

/* --- parameters --------------------------------------------------------- */

static const char *const param_keys[] = {
	"type",	    "description", "default",  "allowedValues", "allowedPattern",
	"displayType", "minItems",  "maxItems", "minChars",      "maxChars",
	NULL,
};

static void read_param(struct irx_diags *d, const struct irx_node *key,
		       const struct irx_node *n, struct irx_param_decl *p)
{
	const struct irx_node *v = NULL;
	char what[200] = "";
	long long num = 0, max_items = -1, max_chars = -1, min_chars = -1;

	p->name = key->value;
	p->node = n;
	p->description = "";
	p->min_items = p->max_items = -1;
	if (!valid_name(p->name))
		irx_diags_add(d, key,
			      "invalid parameter name '%s': use 1 to 128 letters, digits, '_' or '-'",
			      p->name);
	if (n->kind != IRX_NODE_MAP) {
		irx_diags_add(d, n, "parameter '%s' must be a map, got %s", p->name,
			      irx_node_type_name(n));
		return;
	}
	snprintf(what, sizeof(what), "parameter '%s'", p->name);
	check_keys(d, n, param_keys, what);
	v = irx_node_get(n, "type");
	if (!v)
		irx_diags_add(d, key, "missing 'type' in parameter '%s'", p->name);
	else if (expect(d, "type", v, "string") && !(p->type = irx_param_type_parse(v->value)))
		irx_diags_add(d, v,
			      "unknown type '%s' for parameter '%s' (use String, StringList, "
			      "Integer, Boolean, MapList or StringMap)",
			      v->value, p->name);
	if ((v = irx_node_get(n, "description")) && expect(d, "description", v, "string"))
		p->description = v->value;
	p->default_value = irx_node_get(n, "default");
	if ((v = irx_node_get(n, "allowedValues")) && expect(d, "allowedValues", v, "list")) {
		p->allowed_values = v;
		for (size_t i = 0; i < v->count; i++)
			if (v->items[i]->kind != IRX_NODE_SCALAR || irx_node_is_null(v->items[i]))
				irx_diags_add(d, v->items[i],
					      "allowed values of parameter '%s' must be scalars, "
					      "got %s",
					      p->name, irx_node_type_name(v->items[i]));
	}
	if ((v = irx_node_get(n, "allowedPattern")) && expect(d, "allowedPattern", v, "string"))
		p->allowed_pattern = v->value;
	if ((v = irx_node_get(n, "displayType")) && expect(d, "displayType", v, "string") &&
	    strcmp(v->value, "textfield") != 0 && strcmp(v->value, "textarea") != 0)
		irx_diags_add(d, v, "'displayType' must be textfield or textarea, got '%s'",
			      v->value);
	if ((v = irx_node_get(n, "minItems")) && expect_int(d, "minItems", v, 0, LONG_MAX, &num))
		p->min_items = (long)num;
	if ((v = irx_node_get(n, "maxItems")) &&
	    expect_int(d, "maxItems", v, 0, LONG_MAX, &max_items)) {
		p->max_items = (long)max_items;
		if (p->min_items > p->max_items)
			irx_diags_add(d, v, "'maxItems' %ld is less than 'minItems' %ld",
				      p->max_items, p->min_items);
	}
	/* minChars / maxChars have no field: params.c reads them from the node */
	if ((v = irx_node_get(n, "minChars")))
		expect_int(d, "minChars", v, 0, LONG_MAX, &min_chars);
	if ((v = irx_node_get(n, "maxChars")) &&
	    expect_int(d, "maxChars", v, 0, LONG_MAX, &max_chars) && min_chars > max_chars)
		irx_diags_add(d, v, "'maxChars' %lld is less than 'minChars' %lld", max_chars,
			      min_chars);
}

/* --- steps -------------------------------------------------------------- */

static const char *const step_keys[] = {
	"name",	     "action",	   "inputs",   "outputs",      "onFailure",
	"onCancel",  "nextStep",   "isEnd",    "isCritical",   "maxAttempts",
	"timeoutSeconds", "description", NULL,
};

static const char *const output_keys[] = {"Name", "Selector", "Type", NULL};

static void read_outputs(struct irx_diags *d, const struct irx_node *list,
			 struct irx_step_def *s, const char *step_label)
{
	s->outputs = irx_xcalloc(list->count, sizeof(*s->outputs));
	for (size_t i = 0; i < list->count; i++) {
		const struct irx_node *o = list->items[i], *v = NULL;
		struct irx_output_decl *out = &s->outputs[s->output_count];
		char what[256] = "";

		snprintf(what, sizeof(what), "output %zu of %s", i + 1, step_label);
		if (o->kind != IRX_NODE_MAP) {
			irx_diags_add(d, o, "%s must be a map, got %s", what,
				      irx_node_type_name(o));
			continue;
		}
		check_keys(d, o, output_keys, what);
		out->node = o;
		if (!(v = irx_node_get(o, "Name")))
			irx_diags_add(d, o, "missing 'Name' in %s", what);
		else if (expect(d, "Name", v, "string")) {
			out->name = v->value;
			if (!valid_name(out->name))
				irx_diags_add(d, v,
					      "invalid output name '%s': use 1 to 128 letters, "
					      "digits, '_' or '-'",
					      out->name);
		}
		if (!(v = irx_node_get(o, "Selector")))
			irx_diags_add(d, o, "missing 'Selector' in %s", what);
		else if (expect(d, "Selector", v, "string"))
			out->selector = v->value;
		if (!(v = irx_node_get(o, "Type")))
			irx_diags_add(d, o, "missing 'Type' in %s", what);
		else if (expect(d, "Type", v, "string") &&
			 !(out->type = irx_param_type_parse(v->value)))
			irx_diags_add(d, v,
				      "unknown output type '%s' (use String, StringList, Integer, "
				      "Boolean, MapList or StringMap)",
				      v->value);
		s->output_count++;
	}
}

/* "Abort", "Continue" (onFailure only) or "step:NAME". */
static void read_on_failure(struct irx_diags *d, const struct irx_node *v,
			    struct irx_step_def *s)
{
	if (!expect(d, "onFailure", v, "string"))
		return;
	if (strcmp(v->value, "Abort") == 0)
		s->on_failure = IRX_ON_FAILURE_ABORT;
	else if (strcmp(v->value, "Continue") == 0)
		s->on_failure = IRX_ON_FAILURE_CONTINUE;
	else if (strncmp(v->value, "step:", 5) == 0 && v->value[5]) {
		s->on_failure = IRX_ON_FAILURE_STEP;
		s->on_failure_step = v->value + 5;
	} else
		irx_diags_add(d, v, "'onFailure' must be Abort, Continue or step:NAME, got '%s'",
			      v->value);
}

static void read_step(struct irx_diags *d, const struct irx_node *n, size_t index,
		      struct irx_step_def *s)
{
	const struct irx_node *v = NULL;
	char label[200] = "";
	long long num = 0;
	bool crit_given = false;

	s->node = n;
	s->is_critical = true;
	s->max_attempts = 1;
	if (n->kind != IRX_NODE_MAP) {
		irx_diags_add(d, n, "step %zu must be a map, got %s", index + 1,
			      irx_node_type_name(n));
		return;
	}
	v = irx_node_get(n, "name");
	if (v && expect(d, "name", v, "string")) {
		s->name = v->value;
		if (!valid_name(s->name))
			irx_diags_add(d, v,
				      "invalid step name '%s': use 1 to 128 letters, digits, '_' "
				      "or '-'",
				      s->name);
	}
	if (s->name)
		snprintf(label, sizeof(label), "step '%s'", s->name);
	else
		snprintf(label, sizeof(label), "step %zu", index + 1);
	if (!v)
		irx_diags_add(d, n, "missing 'name' in %s", label);
	check_keys(d, n, step_keys, label);

	if (!(v = irx_node_get(n, "action")))
		irx_diags_add(d, n, "missing 'action' in %s", label);
	else if (expect(d, "action", v, "string")) {
		const char *colon = strchr(v->value, ':');

		if (!colon || colon == v->value || !colon[1] || strchr(colon + 1, ':'))
			irx_diags_add(d, v, "action '%s' must be namespace:name (aws:sleep, "
					    "isolate:ec2Instance)",
				      v->value);
		else
			s->action = v->value;
	}
	if (!(v = irx_node_get(n, "inputs")))
		irx_diags_add(d, n, "missing 'inputs' in %s", label);
	else if (expect(d, "inputs", v, "map"))
		s->inputs = v;
	if ((v = irx_node_get(n, "outputs")) && expect(d, "outputs", v, "list"))
		read_outputs(d, v, s, label);
	if ((v = irx_node_get(n, "onFailure")))
		read_on_failure(d, v, s);
	if ((v = irx_node_get(n, "onCancel")) && expect(d, "onCancel", v, "string") &&
	    strcmp(v->value, "Abort") != 0 &&
	    !(strncmp(v->value, "step:", 5) == 0 && v->value[5]))
		irx_diags_add(d, v, "'onCancel' must be Abort or step:NAME, got '%s'", v->value);
	if ((v = irx_node_get(n, "nextStep")) && expect(d, "nextStep", v, "string"))
		s->next_step = v->value;
	if ((v = irx_node_get(n, "isEnd")))
		expect_bool(d, "isEnd", v, &s->is_end);
	if ((v = irx_node_get(n, "isCritical")))
		crit_given = expect_bool(d, "isCritical", v, &s->is_critical);
	/* SSM: isCritical defaults to false when onFailure is Continue */
	if (!crit_given && s->on_failure == IRX_ON_FAILURE_CONTINUE)
		s->is_critical = false;
	if ((v = irx_node_get(n, "maxAttempts")) &&
	    expect_int(d, "maxAttempts", v, 1, INT_MAX, &num))
		s->max_attempts = (int)num;
	if ((v = irx_node_get(n, "timeoutSeconds")) &&
	    expect_int(d, "timeoutSeconds", v, 1, LONG_MAX, &num))
		s->timeout_seconds = (long)num;
	if ((v = irx_node_get(n, "description")))
		expect(d, "description", v, "string");
}

/* --- the document ------------------------------------------------------- */

static const char *const top_keys[] = {
	"schemaVersion", "description", "assumeRole", "parameters",
	"mainSteps",	 "outputs",	"files",      NULL,
};

static void read_files(struct irx_diags *d, const struct irx_node *files)
{
	static const char *const file_keys[] = {"checksums", "size", NULL};

	for (size_t i = 0; i < files->count; i++) {
		const struct irx_node *f = files->items[i], *v = NULL;
		char what[300] = "";
		long long size = 0;

		snprintf(what, sizeof(what), "file '%s'", files->keys[i]->value);
		if (f->kind != IRX_NODE_MAP) {
			irx_diags_add(d, f, "%s must be a map, got %s", what,
				      irx_node_type_name(f));
			continue;
		}
		check_keys(d, f, file_keys, what);
		if (!(v = irx_node_get(f, "checksums")))
			irx_diags_add(d, files->keys[i], "missing 'checksums' in %s", what);
		else if (expect(d, "checksums", v, "map"))
			for (size_t k = 0; k < v->count; k++)
				expect(d, v->keys[k]->value, v->items[k], "string");
		if ((v = irx_node_get(f, "size")))
			expect_int(d, "size", v, 0, LLONG_MAX, &size);
	}
}

static void read_schema_version(struct irx_diags *d, const struct irx_node *v)
{
	/*
	 * SSM's "Version" type is a string, and AWS's own schema lists '0.3'. A plain
	 * 0.3 is a YAML float whose text is still exactly "0.3"; we accept it (the
	 * document clearly means it) but nothing else: 0.30 or "0.3 " are not it.
	 */
	if (v->kind == IRX_NODE_SCALAR && strcmp(v->value, "0.3") == 0 &&
	    (is_kind(v, "string") || is_kind(v, "number")))
		return;
	if (v->kind != IRX_NODE_SCALAR)
		irx_diags_add(d, v, "'schemaVersion' must be a string, got %s",
			      irx_node_type_name(v));
	else
		irx_diags_add(d, v,
			      "unsupported schemaVersion '%s': irx runs Automation runbooks, "
			      "schemaVersion '0.3'",
			      v->value);
}

static char *runbook_name(const char *file)
{
	const char *base = strrchr(file, '/');
	const char *dot = NULL;

	base = base ? base + 1 : file;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return irx_xstrdup(base);
	return irx_xstrndup(base, (size_t)(dot - base));
}

static struct irx_runbook *read_doc(struct irx_doc *doc, struct irx_diags *d)
{
	struct irx_runbook *rb = irx_xcalloc(1, sizeof(*rb));
	const struct irx_node *root = doc->root, *v = NULL;

	rb->doc = doc;
	rb->name = runbook_name(doc->file);
	rb->description = "";
	if (!root) {
		irx_diags_add_at(d, doc->file, 0, 0, "empty runbook: expected a map with "
						     "'schemaVersion' and 'mainSteps'");
		return rb;
	}
	if (root->kind != IRX_NODE_MAP) {
		irx_diags_add(d, root, "a runbook must be a map, got %s", irx_node_type_name(root));
		return rb;
	}
	check_keys(d, root, top_keys, "runbook");
	if (!(v = irx_node_get(root, "schemaVersion")))
		irx_diags_add(d, root, "missing 'schemaVersion' (irx runs schemaVersion '0.3')");
	else
		read_schema_version(d, v);
	if ((v = irx_node_get(root, "description")) && expect(d, "description", v, "string"))
		rb->description = v->value;
	if ((v = irx_node_get(root, "assumeRole")) && expect(d, "assumeRole", v, "string"))
		rb->assume_role = v->value;
	if ((v = irx_node_get(root, "parameters")) && expect(d, "parameters", v, "map")) {
		rb->params = irx_xcalloc(v->count, sizeof(*rb->params));
		rb->param_count = v->count;
		for (size_t i = 0; i < v->count; i++)
			read_param(d, v->keys[i], v->items[i], &rb->params[i]);
	}
	if (!(v = irx_node_get(root, "mainSteps")))
		irx_diags_add(d, root, "missing 'mainSteps'");
	else if (expect(d, "mainSteps", v, "list")) {
		if (v->count == 0)
			irx_diags_add(d, v, "'mainSteps' must have at least one step");
		rb->steps = irx_xcalloc(v->count, sizeof(*rb->steps));
		rb->step_count = v->count;
		for (size_t i = 0; i < v->count; i++)
			read_step(d, v->items[i], i, &rb->steps[i]);
	}
	if ((v = irx_node_get(root, "outputs")) && expect(d, "outputs", v, "list")) {
		rb->outputs = v;
		for (size_t i = 0; i < v->count; i++) {
			const struct irx_node *o = v->items[i];
			const char *dot = NULL;

			if (!is_kind(o, "string")) {
				irx_diags_add(d, o, "runbook outputs must be strings 'step.Output', "
						    "got %s",
					      irx_node_type_name(o));
				continue;
			}
			dot = strchr(o->value, '.');
			if (!dot || dot == o->value || !dot[1] || strchr(dot + 1, '.'))
				irx_diags_add(d, o, "runbook output '%s' must be 'step.Output'",
					      o->value);
		}
	}
	if ((v = irx_node_get(root, "files")) && expect(d, "files", v, "map"))
		read_files(d, v);
	return rb;
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

/* The checks above run key by key; report in document order (equal positions keep order). */
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

struct irx_runbook *irx_runbook_load(const char *path, struct irx_diags *diags)
{
	size_t before = diags->count;
	struct irx_doc *doc = irx_doc_load_file(path, diags);
	struct irx_runbook *rb = doc ? read_doc(doc, diags) : NULL;

	sort_diags(diags, before);
	return rb;
}

struct irx_runbook *irx_runbook_load_buffer(const char *name, const char *buf, size_t len,
					    struct irx_diags *diags)
{
	size_t before = diags->count;
	struct irx_doc *doc = irx_doc_load_buffer(name, buf, len, diags);
	struct irx_runbook *rb = doc ? read_doc(doc, diags) : NULL;

	sort_diags(diags, before);
	return rb;
}

void irx_runbook_free(struct irx_runbook *rb)
{
	if (!rb)
		return;
	for (size_t i = 0; i < rb->step_count; i++)
		free(rb->steps[i].outputs);
	free(rb->steps);
	free(rb->params);
	free(rb->name);
	irx_doc_free(rb->doc);
	free(rb);
}
