/* SPDX-License-Identifier: Apache-2.0 */
/* Drill scenarios: loading and checking them, running them, their reports and history. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "actions.h"
#include "arn.h"
#include "aws/client.h"
#include "builtins.h"
#include "diag.h"
#include "drill.h"
#include "error.h"
#include "executor.h"
#include "journal.h"
#include "node.h"
#include "params.h"
#include "runbook.h"
#include "selector.h"
#include "template.h"
#include "util.h"

#define WAIT_DEFAULT_S 300
#define WAIT_MAX_S 3600
#define MAX_ASSIGN 128

/* --- loading ------------------------------------------------------------------------------ */

enum section {
	SEC_SETUP,
	SEC_RUNBOOK,
	SEC_ASSERT,
	SEC_TEARDOWN,
};

static const char *const section_names[] = {"setup", "runbook", "assertion", "teardown"};

/* The text of a scalar, or NULL with a diagnostic naming what it should be. */
static const char *want_str(struct irx_diags *d, const struct irx_node *n, const char *what)
{
	if (!n || n->kind != IRX_NODE_SCALAR || irx_node_is_null(n)) {
		irx_diags_add(d, n, "'%s' must be a string, not %s", what,
			      n ? irx_node_type_name(n) : "missing");
		return NULL;
	}
	return n->value;
}

static void check_keys(struct irx_diags *d, const struct irx_node *map, const char *const *allowed,
		       const char *where)
{
	for (size_t i = 0; i < map->count; i++) {
		const char *k = map->keys[i]->value;
		bool ok = false;

		for (size_t j = 0; allowed[j] && !ok; j++)
			ok = strcmp(allowed[j], k) == 0;
		if (!ok)
			irx_diags_add(d, map->keys[i], "unknown key '%s' in %s", k, where);
	}
}

struct ref_check {
	struct irx_diags *d;
	const struct irx_node *at;
	const struct irx_drill *drill;
	enum section sec;
	size_t setup_index; /* SEC_SETUP: the entry being checked */
	const char *where;
};

/* Is name the output "call.Output" of setup entry i? */
static bool is_output_of(const struct irx_drill_call *c, const char *name)
{
	size_t n = strlen(c->name);

	if (strncmp(name, c->name, n) != 0 || name[n] != '.')
		return false;
	for (size_t i = 0; i < c->output_count; i++)
		if (c->outputs[i].name && strcmp(c->outputs[i].name, name + n + 1) == 0)
			return true;
	return false;
}

static void on_ref(void *ud, const char *name, size_t offset)
{
	struct ref_check *rc = ud;
	size_t limit = rc->sec == SEC_SETUP ? rc->setup_index : rc->drill->setup_count;

	(void)offset;
	if (!strcmp(name, "global:ACCOUNT_ID") || !strcmp(name, "global:REGION") ||
	    !strcmp(name, "drill:RUN_ID"))
		return;
	if (rc->sec == SEC_ASSERT || rc->sec == SEC_TEARDOWN) {
		if (!strcmp(name, "runbook:EXECUTION_ID") || !strncmp(name, "runbook.", 8))
			return;
	}
	for (size_t i = 0; i < rc->drill->setup_count; i++) {
		const struct irx_drill_call *c = &rc->drill->setup[i];

		if (!c->name || !is_output_of(c, name))
			continue;
		if (i < limit)
			return;
		irx_diags_add(rc->d, rc->at, "%s refers to '%s', which setup '%s' captures later",
			      rc->where, name, c->name);
		return;
	}
	irx_diags_add(rc->d, rc->at,
		      "%s refers to '%s', which is not a setup output, global:ACCOUNT_ID, "
		      "global:REGION or drill:RUN_ID%s",
		      rc->where, name,
		      rc->sec == SEC_ASSERT || rc->sec == SEC_TEARDOWN
			  ? " (or runbook.STEP.OUTPUT, runbook:EXECUTION_ID)"
			  : "");
}

/* Checks every template in the scalars under n. */
static void check_templates(struct ref_check *rc, const struct irx_node *n)
{
	char msg[256] = "";
	size_t off = 0;

	if (!n)
		return;
	if (n->kind == IRX_NODE_SCALAR) {
		rc->at = n;
		if (irx_template_scan(n->value, on_ref, rc, msg, sizeof(msg), &off) < 0)
			irx_diags_add(rc->d, n, "%s: %s", rc->where, msg);
		return;
	}
	for (size_t i = 0; i < n->count; i++)
		check_templates(rc, n->items[i]);
}

static struct json_object *read_desired(struct irx_diags *d, const struct irx_node *n,
					const char *key, const char *where)
{
	struct json_object *arr = NULL;

	if (n->kind != IRX_NODE_SEQ || n->count == 0) {
		irx_diags_add(d, n, "'%s' in %s must list at least one value", key, where);
		return NULL;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < n->count; i++) {
		const struct irx_node *v = n->items[i];

		if (v->kind != IRX_NODE_SCALAR || irx_node_is_null(v)) {
			irx_diags_add(d, v, "'%s' in %s must hold strings, not %s", key, where,
				      irx_node_type_name(v));
			continue;
		}
		json_object_array_add(arr, json_object_new_string(v->value));
	}
	return arr;
}

static void read_outputs(struct irx_diags *d, const struct irx_node *n, struct irx_drill_call *c,
			 const char *where)
{
	static const char *const keys[] = {"name", "selector", NULL};

	if (n->kind != IRX_NODE_SEQ) {
		irx_diags_add(d, n, "'outputs' in %s must be a list, not %s", where,
			      irx_node_type_name(n));
		return;
	}
	c->outputs = irx_xcalloc(n->count ? n->count : 1, sizeof(*c->outputs));
	for (size_t i = 0; i < n->count; i++) {
		const struct irx_node *o = n->items[i], *v = NULL;
		struct irx_drill_output *out = &c->outputs[c->output_count];
		char msg[256] = "";
		size_t off = 0;

		if (o->kind != IRX_NODE_MAP) {
			irx_diags_add(d, o, "an output of %s must be a map, not %s", where,
				      irx_node_type_name(o));
			continue;
		}
		check_keys(d, o, keys, where);
		if (!(v = irx_node_get(o, "name")))
			irx_diags_add(d, o, "an output of %s is missing 'name'", where);
		else if ((out->name = want_str(d, v, "name")))
			for (size_t j = 0; j < c->output_count; j++)
				if (!strcmp(c->outputs[j].name, out->name))
					irx_diags_add(d, v, "output '%s' of %s is defined twice",
						      out->name, where);
		if (!(v = irx_node_get(o, "selector")))
			irx_diags_add(d, o, "output '%s' of %s is missing 'selector'",
				      out->name ? out->name : "?", where);
		else if ((out->selector = want_str(d, v, "selector")) &&
			 irx_selector_check(out->selector, msg, sizeof(msg), &off) < 0)
			irx_diags_add(d, v, "invalid selector '%s' in %s: %s", out->selector, where,
				      msg);
		if (out->name && out->selector)
			c->output_count++;
	}
}

static void read_selector(struct irx_diags *d, const struct irx_node *sel, struct irx_drill_call *c,
			  const char *where)
{
	char msg[256] = "";
	size_t off = 0;

	if (sel && (c->selector = want_str(d, sel, "selector")) &&
	    irx_selector_check(c->selector, msg, sizeof(msg), &off) < 0)
		irx_diags_add(d, sel, "invalid selector '%s' in %s: %s", c->selector, where, msg);
}

/* An assertion's check: its selector and one of desiredValues or containsValues. */
static void read_assertion_check(struct irx_diags *d, const struct irx_node *n,
				 struct irx_drill_call *c, const char *where)
{
	const struct irx_node *des = irx_node_get(n, "desiredValues");
	const struct irx_node *con = irx_node_get(n, "containsValues");

	read_selector(d, irx_node_get(n, "selector"), c, where);
	if (!des && !con)
		irx_diags_add(d, n, "%s is missing 'desiredValues' or 'containsValues'", where);
	if (des && con)
		irx_diags_add(d, con, "%s has both 'desiredValues' and 'containsValues': use one",
			      where);
	if (des)
		c->desired = read_desired(d, des, "desiredValues", where);
	if (con)
		c->contains = read_desired(d, con, "containsValues", where);
}

/* A setup, assertion or teardown entry. */
static void read_call(struct irx_drill *drill, struct irx_diags *d, const struct irx_node *n,
		      enum section sec, size_t index, struct irx_drill_call *c)
{
	static const char *const setup_keys[] = {"name",	  "service",	    "api",
						 "params",	  "outputs",	    "selector",
						 "desiredValues", "timeoutSeconds", NULL};
	static const char *const assert_keys[] = {"name",	   "service",	     "api",
						  "params",	   "output",	     "selector",
						  "desiredValues", "containsValues", NULL};
	static const char *const teardown_keys[] = {
	    "name",	     "service",	       "api",	      "params", "selector",
	    "desiredValues", "timeoutSeconds", "allowErrors", NULL};
	const struct irx_node *v = NULL;
	char where[200] = "";
	const char *svc_id = NULL, *op = NULL;
	struct irx_error err = {0};
	bool api_ok = false;

	c->node = n;
	c->name = "";
	if (n->kind != IRX_NODE_MAP) {
		irx_diags_add(d, n, "%s entry %zu must be a map, not %s", section_names[sec],
			      index + 1, irx_node_type_name(n));
		return;
	}
	if ((v = irx_node_get(n, "name"))) {
		const char *name = want_str(d, v, "name");

		if (name && sec == SEC_SETUP) {
			bool bad = !*name;

			for (const char *p = name; *p; p++)
				bad =
				    bad || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					     (*p >= '0' && *p <= '9') || *p == '_' || *p == '-');
			if (bad)
				irx_diags_add(d, v,
					      "setup name '%s' must be letters, digits, '_' or '-'",
					      name);
			for (size_t i = 0; i < index && !bad; i++)
				if (drill->setup[i].name && !strcmp(drill->setup[i].name, name))
					irx_diags_add(d, v, "setup name '%s' is used twice", name);
		}
		if (name)
			c->name = name;
	} else if (sec == SEC_SETUP) {
		irx_diags_add(d, n, "setup entry %zu is missing 'name'", index + 1);
	}
	if (*c->name)
		snprintf(where, sizeof(where), "%s '%s'", section_names[sec], c->name);
	else
		snprintf(where, sizeof(where), "%s entry %zu", section_names[sec], index + 1);
	check_keys(d, n,
		   sec == SEC_SETUP    ? setup_keys
		   : sec == SEC_ASSERT ? assert_keys
				       : teardown_keys,
		   where);
	if (sec == SEC_ASSERT && (v = irx_node_get(n, "output"))) {
		/* a runbook output (STEP.OUTPUT) instead of an API call */
		const char *dot = NULL;

		if ((c->output = want_str(d, v, "output")) &&
		    (!(dot = strchr(c->output, '.')) || dot == c->output || !dot[1]))
			irx_diags_add(d, v, "'output' in %s must be STEP.OUTPUT, not '%s'", where,
				      c->output);
		if (irx_node_get(n, "service") || irx_node_get(n, "api") ||
		    irx_node_get(n, "params"))
			irx_diags_add(d, v,
				      "%s has 'output' and 'service', 'api' or 'params': it reads "
				      "a runbook output or calls an API, not both",
				      where);
		else {
			read_assertion_check(d, n, c, where);
			return;
		}
	}
	if (!(v = irx_node_get(n, "service")))
		irx_diags_add(d, n, "%s is missing 'service'", where);
	else
		c->service = want_str(d, v, "service");
	if (!(v = irx_node_get(n, "api")))
		irx_diags_add(d, n, "%s is missing 'api'", where);
	else
		c->api = want_str(d, v, "api");
	if (c->service && c->api) {
		if (irx_aws_lookup(c->service, c->api, &svc_id, &op, NULL, &err) < 0)
			irx_diags_add(d,
				      irx_node_get(n, strstr(err.message, "service") &&
							      !strstr(err.message, "operation")
							  ? "service"
							  : "api"),
				      "%s: %s", where, err.message);
		else
			api_ok = true;
	}
	if ((v = irx_node_get(n, "params"))) {
		if (irx_node_is_null(v)) {
			/* params: ~ is no params */
		} else if (v->kind != IRX_NODE_MAP) {
			irx_diags_add(d, v, "'params' in %s must be a map, not %s", where,
				      irx_node_type_name(v));
		} else {
			c->params = v;
			for (size_t i = 0; api_ok && i < v->count; i++) {
				char msg[256] = "";

				if (irx_aws_check_input(c->service, c->api, v->keys[i]->value, msg,
							sizeof(msg)) < 0)
					irx_diags_add(d, v->keys[i], "%s: %s", where, msg);
			}
		}
	}
	if (sec == SEC_SETUP && (v = irx_node_get(n, "outputs")))
		read_outputs(d, v, c, where);
	if (sec == SEC_ASSERT) {
		if (!irx_node_get(n, "selector"))
			irx_diags_add(d, n, "%s is missing 'selector'", where);
		read_assertion_check(d, n, c, where);
	} else if (sec != SEC_RUNBOOK) {
		const struct irx_node *sel = irx_node_get(n, "selector");
		const struct irx_node *des = irx_node_get(n, "desiredValues");

		if (!sel != !des)
			irx_diags_add(d, n, "%s: a wait needs both 'selector' and 'desiredValues'",
				      where);
		read_selector(d, sel, c, where);
		if (des)
			c->desired = read_desired(d, des, "desiredValues", where);
	}
	c->timeout_s = WAIT_DEFAULT_S;
	if (sec != SEC_ASSERT && (v = irx_node_get(n, "timeoutSeconds"))) {
		char *end = NULL;
		long long t = v->kind == IRX_NODE_SCALAR ? strtoll(v->value, &end, 10) : 0;

		if (v->kind != IRX_NODE_SCALAR || !end || *end || end == v->value || t < 1 ||
		    t > WAIT_MAX_S)
			irx_diags_add(d, v, "'timeoutSeconds' in %s must be 1-%d", where,
				      WAIT_MAX_S);
		else
			c->timeout_s = t;
		if (!c->selector)
			irx_diags_add(d, v, "'timeoutSeconds' in %s applies only to a wait", where);
	}
	if (sec == SEC_TEARDOWN && (v = irx_node_get(n, "allowErrors"))) {
		if (v->kind != IRX_NODE_SEQ) {
			irx_diags_add(d, v, "'allowErrors' in %s must be a list of error codes",
				      where);
		} else {
			c->allow_errors = irx_xcalloc(v->count + 1, sizeof(char *));
			for (size_t i = 0; i < v->count; i++) {
				const char *code = want_str(d, v->items[i], "allowErrors");

				if (code)
					c->allow_errors[c->allow_error_count++] = code;
			}
		}
	}
}

static void read_calls(struct irx_drill *drill, struct irx_diags *d, const struct irx_node *root,
		       enum section sec, struct irx_drill_call **out, size_t *count)
{
	const struct irx_node *n = irx_node_get(root, sec == SEC_SETUP	  ? "setup"
						      : sec == SEC_ASSERT ? "assertions"
									  : "teardown");

	*out = NULL;
	*count = 0;
	if (!n || irx_node_is_null(n))
		return;
	if (n->kind != IRX_NODE_SEQ) {
		irx_diags_add(d, n, "'%s' must be a list, not %s",
			      sec == SEC_SETUP	  ? "setup"
			      : sec == SEC_ASSERT ? "assertions"
						  : "teardown",
			      irx_node_type_name(n));
		return;
	}
	*out = irx_xcalloc(n->count ? n->count : 1, sizeof(**out));
	for (size_t i = 0; i < n->count; i++) {
		read_call(drill, d, n->items[i], sec, i, &(*out)[i]);
		(*count)++;
	}
}

static void read_runbook(struct irx_drill *drill, struct irx_diags *d, const struct irx_node *root)
{
	static const char *const keys[] = {"name", "target", "targets", "parameters", NULL};
	const struct irx_node *n = irx_node_get(root, "runbook"), *v = NULL;

	drill->runbook_node = n;
	if (!n) {
		irx_diags_add(d, root, "scenario is missing 'runbook'");
		return;
	}
	if (n->kind == IRX_NODE_SCALAR) { /* runbook: NAME, no parameters or target */
		drill->runbook = want_str(d, n, "runbook");
		return;
	}
	if (n->kind != IRX_NODE_MAP) {
		irx_diags_add(d, n, "'runbook' must be a map, not %s", irx_node_type_name(n));
		return;
	}
	check_keys(d, n, keys, "'runbook'");
	if (!(v = irx_node_get(n, "name")))
		irx_diags_add(d, n, "'runbook' is missing 'name'");
	else
		drill->runbook = want_str(d, v, "name");
	if (irx_node_get(n, "target") && irx_node_get(n, "targets"))
		irx_diags_add(d, irx_node_get(n, "targets"),
			      "'runbook' has both 'target' and 'targets': use one");
	if ((v = irx_node_get(n, "target"))) {
		const char *t = want_str(d, v, "target");

		if (t) {
			drill->targets = irx_xcalloc(1, sizeof(char *));
			drill->targets[drill->target_count++] = t;
		}
	} else if ((v = irx_node_get(n, "targets"))) {
		if (v->kind != IRX_NODE_SEQ || v->count == 0) {
			irx_diags_add(d, v, "'targets' must list at least one target");
		} else {
			drill->targets = irx_xcalloc(v->count, sizeof(char *));
			for (size_t i = 0; i < v->count; i++) {
				const char *t = want_str(d, v->items[i], "targets");

				if (t)
					drill->targets[drill->target_count++] = t;
			}
		}
	}
	if ((v = irx_node_get(n, "parameters")) && !irx_node_is_null(v)) {
		if (v->kind != IRX_NODE_MAP)
			irx_diags_add(d, v, "'parameters' must be a map, not %s",
				      irx_node_type_name(v));
		else
			drill->parameters = v;
		if (v->kind == IRX_NODE_MAP)
			for (size_t i = 0; i < v->count; i++)
				if (!strcmp(v->keys[i]->value, "TargetArn") && drill->target_count)
					irx_diags_add(
					    d, v->keys[i],
					    "'TargetArn' is bound by 'target': do not set "
					    "it in 'parameters' too");
	}
}

/* Every template of the scenario refers to something that exists by then. */
static void check_references(struct irx_drill *drill, struct irx_diags *d)
{
	struct ref_check rc = {.d = d, .drill = drill};
	char where[200] = "";

	for (size_t i = 0; i < drill->setup_count; i++) {
		rc.sec = SEC_SETUP;
		rc.setup_index = i;
		snprintf(where, sizeof(where), "setup '%s'", drill->setup[i].name);
		rc.where = where;
		check_templates(&rc, drill->setup[i].params);
		rc.setup_index = i + 1; /* a wait may check what its own call captured */
		check_templates(&rc, irx_node_get(drill->setup[i].node, "desiredValues"));
	}
	rc.sec = SEC_RUNBOOK;
	rc.where = "'runbook'";
	if (drill->runbook_node && drill->runbook_node->kind == IRX_NODE_MAP) {
		check_templates(&rc, irx_node_get(drill->runbook_node, "target"));
		check_templates(&rc, irx_node_get(drill->runbook_node, "targets"));
		check_templates(&rc, drill->parameters);
	}
	for (int s = SEC_ASSERT; s <= SEC_TEARDOWN; s++) {
		struct irx_drill_call *calls =
		    s == SEC_ASSERT ? drill->assertions : drill->teardown;
		size_t n = s == SEC_ASSERT ? drill->assertion_count : drill->teardown_count;

		rc.sec = (enum section)s;
		for (size_t i = 0; i < n; i++) {
			if (*calls[i].name)
				snprintf(where, sizeof(where), "%s '%s'", section_names[s],
					 calls[i].name);
			else
				snprintf(where, sizeof(where), "%s entry %zu", section_names[s],
					 i + 1);
			rc.where = where;
			check_templates(&rc, calls[i].params);
			check_templates(&rc, irx_node_get(calls[i].node, "desiredValues"));
			check_templates(&rc, irx_node_get(calls[i].node, "containsValues"));
		}
	}
}

static char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	char *name = irx_xstrdup(b ? b + 1 : path);
	char *dot = strrchr(name, '.');

	if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json")))
		*dot = '\0';
	return name;
}

static struct irx_drill *drill_from_doc(struct irx_doc *doc, const char *path, struct irx_diags *d)
{
	static const char *const keys[] = {"name",    "description", "region",	 "setup",
					   "runbook", "assertions",  "teardown", NULL};
	struct irx_drill *drill = irx_xcalloc(1, sizeof(*drill));
	const struct irx_node *root = doc->root, *v = NULL;
	size_t before = d->count;

	drill->doc = doc;
	drill->path = irx_xstrdup(path);
	drill->description = "";
	if (!root || root->kind != IRX_NODE_MAP) {
		irx_diags_add_at(d, doc->file, root ? root->line : 1, root ? root->col : 1,
				 "a drill scenario must be a map with 'setup', 'runbook', "
				 "'assertions' and 'teardown'");
		irx_drill_free(drill);
		return NULL;
	}
	check_keys(d, root, keys, "the scenario");
	if ((v = irx_node_get(root, "name")) && want_str(d, v, "name"))
		drill->name = irx_xstrdup(v->value);
	else
		drill->name = base_name(path);
	if ((v = irx_node_get(root, "description")) && want_str(d, v, "description"))
		drill->description = v->value;
	if ((v = irx_node_get(root, "region")))
		drill->region = want_str(d, v, "region");
	read_calls(drill, d, root, SEC_SETUP, &drill->setup, &drill->setup_count);
	read_runbook(drill, d, root);
	read_calls(drill, d, root, SEC_ASSERT, &drill->assertions, &drill->assertion_count);
	read_calls(drill, d, root, SEC_TEARDOWN, &drill->teardown, &drill->teardown_count);
	if (!irx_node_get(root, "assertions") || drill->assertion_count == 0)
		irx_diags_add(
		    d, irx_node_get(root, "assertions") ? irx_node_get(root, "assertions") : root,
		    "a drill needs at least one assertion");
	check_references(drill, d);
	if (d->count > before) {
		irx_drill_free(drill);
		return NULL;
	}
	return drill;
}

struct irx_drill *irx_drill_load(const char *path, struct irx_diags *diags)
{
	struct irx_doc *doc = irx_doc_load_file(path, diags);

	return doc ? drill_from_doc(doc, path, diags) : NULL;
}

struct irx_drill *irx_drill_load_buffer(const char *name, const char *buf, size_t len,
					struct irx_diags *diags)
{
	struct irx_doc *doc = irx_doc_load_buffer(name, buf, len, diags);

	return doc ? drill_from_doc(doc, name, diags) : NULL;
}

static void calls_free(struct irx_drill_call *calls, size_t n)
{
	for (size_t i = 0; calls && i < n; i++) {
		free(calls[i].outputs);
		free(calls[i].allow_errors);
		json_object_put(calls[i].desired);
		json_object_put(calls[i].contains);
	}
	free(calls);
}

void irx_drill_free(struct irx_drill *d)
{
	if (!d)
		return;
	calls_free(d->setup, d->setup_count);
	calls_free(d->assertions, d->assertion_count);
	calls_free(d->teardown, d->teardown_count);
	free(d->targets);
	free(d->path);
	free(d->name);
	irx_doc_free(d->doc);
	free(d);
}

/* --- running ------------------------------------------------------------------------------ */

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void iso_ms(long long ms, char buf[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

struct run {
	const struct irx_drill *d;
	const struct irx_drill_options *o;
	struct json_object *vars; /* template name -> value */
	struct json_object *steps;
	struct json_object *entities;
	struct irx_aws_context actx;
	long long t0; /* wall ms at the drill's start */
	char region[64];
	char account[16];
};

static struct json_object *lookup(void *ud, const char *name)
{
	return json_object_object_get(ud, name);
}

static void add_step(struct run *r, const char *phase, const char *name, const char *detail,
		     const char *status, const char *message, long long start, long long end)
{
	struct json_object *s = json_object_new_object();
	char a[32] = "", b[32] = "";

	iso_ms(start, a);
	iso_ms(end, b);
	json_object_object_add(s, "phase", json_object_new_string(phase));
	json_object_object_add(s, "name", json_object_new_string(name));
	json_object_object_add(s, "detail", json_object_new_string(detail ? detail : ""));
	json_object_object_add(s, "status", json_object_new_string(status));
	json_object_object_add(s, "message", json_object_new_string(message ? message : ""));
	json_object_object_add(s, "start_ms", json_object_new_int64(start - r->t0));
	json_object_object_add(s, "end_ms", json_object_new_int64(end - r->t0));
	json_object_object_add(s, "start_time", json_object_new_string(a));
	json_object_object_add(s, "end_time", json_object_new_string(b));
	json_object_array_add(r->steps, s);
	if (r->o->progress && strcmp(phase, "step") != 0)
		r->o->progress(r->o->progress_ud, phase, name, status, end - start, message);
}

/* The first reference in the call's params that has no value yet, or NULL. */
struct missing {
	struct json_object *vars;
	char name[256];
};

static void on_missing(void *ud, const char *name, size_t offset)
{
	struct missing *m = ud;

	(void)offset;
	if (!m->name[0] && !json_object_object_get_ex(m->vars, name, NULL))
		snprintf(m->name, sizeof(m->name), "%s", name);
}

static void find_missing(const struct irx_node *n, struct missing *m)
{
	char msg[64] = "";
	size_t off = 0;

	if (!n)
		return;
	if (n->kind == IRX_NODE_SCALAR) {
		irx_template_scan(n->value, on_missing, m, msg, sizeof(msg), &off);
		return;
	}
	for (size_t i = 0; i < n->count; i++)
		find_missing(n->items[i], m);
}

/* The call's params with templates expanded (transferred), or NULL with err set. */
static struct json_object *expand_params(struct run *r, const struct irx_drill_call *c,
					 struct irx_error *err)
{
	struct json_object *raw =
	    c->params ? irx_node_to_json(c->params) : json_object_new_object();
	struct json_object *out = irx_template_expand(raw, lookup, r->vars, err);

	json_object_put(raw);
	return out;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static char *call_detail(const struct irx_drill_call *c)
{
	if (c->output)
		return irx_xasprintf("output:%s", c->output);
	return irx_xasprintf("%s:%s", c->service, c->api);
}

/*
 * Calls c's API with params; for a wait (a selector), again every interval until the property
 * matches or c->timeout_s passes. Returns 0 with *resp (transferred), or -1 with *msg (new) and,
 * for an API error, err set.
 */
static int call_until(struct run *r, const struct irx_drill_call *c, struct json_object *params,
		      struct json_object **resp, char **msg, struct irx_error *err)
{
	long long deadline = irx_now_ms() + c->timeout_s * 1000;
	long long interval = r->o->wait_interval_ms > 0 ? r->o->wait_interval_ms : 2000;
	struct json_object *want = NULL;
	char shown[512] = "";
	int rc = -1;

	*resp = NULL;
	if (c->desired && !(want = irx_template_expand(c->desired, lookup, r->vars, err))) {
		*msg = irx_xasprintf("desiredValues: %s", err->message);
		return -1;
	}
	for (;;) {
		irx_error_clear(err);
		if (irx_aws_call(r->o->aws, &r->actx, c->service, c->api, params, resp, err) < 0) {
			*resp = NULL;
			*msg = irx_xstrdup(err->message);
			break;
		}
		if (!c->selector ||
		    irx_aws_property_matches(*resp, c->selector, want, shown, sizeof(shown))) {
			rc = 0;
			break;
		}
		json_object_put(*resp);
		*resp = NULL;
		if (irx_now_ms() + interval > deadline) {
			irx_error_clear(err);
			*msg = irx_xasprintf("%s is still %s after %lld s", c->selector, shown,
					     c->timeout_s);
			break;
		}
		sleep_ms(interval);
	}
	json_object_put(want);
	return rc;
}

/* One setup entry. Returns 0, or -1 (recorded). */
static int run_setup(struct run *r, const struct irx_drill_call *c)
{
	struct irx_error err = {0};
	struct json_object *params = NULL, *resp = NULL;
	long long start = wall_ms();
	char *detail = call_detail(c), *msg = NULL;
	int rc = -1;

	if (!(params = expand_params(r, c, &err))) {
		msg = irx_xstrdup(err.message);
		goto out;
	}
	if (call_until(r, c, params, &resp, &msg, &err) < 0)
		goto out;
	for (size_t i = 0; i < c->output_count; i++) {
		struct json_object *v = irx_selector_select(resp, c->outputs[i].selector, &err);
		char *key = irx_xasprintf("%s.%s", c->name, c->outputs[i].name);

		if (!v) {
			msg = irx_xasprintf("output '%s' (%s) is not in the %s response",
					    c->outputs[i].name, c->outputs[i].selector, detail);
			free(key);
			goto out;
		}
		json_object_object_add(r->vars, key, v);
		free(key);
	}
	rc = 0;
out:
	add_step(r, "setup", c->name, detail, rc == 0 ? "passed" : "failed", msg, start, wall_ms());
	json_object_put(params);
	json_object_put(resp);
	free(detail);
	free(msg);
	return rc;
}

/* "a, b, c" */
static void values_text(struct json_object *want, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < json_object_array_length(want) && o + 1 < len; k++) {
		int w = snprintf(buf + o, len - o, "%s%s", k ? ", " : "",
				 json_object_get_string(json_object_array_get_idx(want, k)));

		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/*
 * containsValues: 1 when the value sel selects in subject holds each of want (a list: among its
 * elements; anything else: is it), compared as desiredValues are. shown as for
 * irx_aws_property_matches.
 */
static int contains_all(struct json_object *subject, const char *sel, struct json_object *want,
			char *shown, size_t len)
{
	struct irx_error err = {0};
	struct json_object *v = irx_selector_select(subject, sel, &err);
	int ok = v != NULL;

	/* only for the value's text: the same wording as a desiredValues failure */
	irx_aws_property_matches(subject, sel, want, shown, len);
	for (size_t i = 0; ok && i < json_object_array_length(want); i++) {
		struct json_object *one = json_object_new_array();
		bool found = false;

		json_object_array_add(one, json_object_get(json_object_array_get_idx(want, i)));
		if (!json_object_is_type(v, json_type_array)) {
			char t[8] = "";

			found = irx_aws_property_matches(v, "$", one, t, sizeof(t));
		}
		for (size_t k = 0; !found && json_object_is_type(v, json_type_array) &&
				   k < json_object_array_length(v);
		     k++) {
			char t[8] = "";

			found = irx_aws_property_matches(json_object_array_get_idx(v, k), "$", one,
							 t, sizeof(t));
		}
		json_object_put(one);
		ok = found;
	}
	json_object_put(v);
	return ok;
}

static void run_assertion(struct run *r, const struct irx_drill_call *c, size_t i, bool *ok)
{
	struct irx_error err = {0};
	struct json_object *params = NULL, *resp = NULL, *want = NULL, *subject = NULL;
	long long start = wall_ms();
	char *detail = call_detail(c), *msg = NULL, *name = NULL, *what = NULL;
	char shown[1024] = "", wanted[1024] = "";
	const char *sel = c->selector ? c->selector : "$";

	name = *c->name ? irx_xstrdup(c->name) : irx_xasprintf("assertion %zu", i + 1);
	if (!(want = irx_template_expand(c->desired ? c->desired : c->contains, lookup, r->vars,
					 &err))) {
		msg = irx_xstrdup(err.message);
	} else if (c->output) {
		char *key = irx_xasprintf("runbook.%s", c->output);

		if (!json_object_object_get_ex(r->vars, key, &subject))
			msg = irx_xasprintf("the runbook has no output '%s' (not declared, or its "
					    "step did not run)",
					    c->output);
		what = c->selector ? irx_xasprintf("output '%s' at %s", c->output, c->selector)
				   : irx_xasprintf("output '%s'", c->output);
		free(key);
	} else if (!(params = expand_params(r, c, &err)) ||
		   irx_aws_call(r->o->aws, &r->actx, c->service, c->api, params, &resp, &err) < 0) {
		msg = irx_xstrdup(err.message);
	} else {
		subject = resp;
		what = irx_xstrdup(sel);
	}
	if (!msg && c->desired &&
	    !irx_aws_property_matches(subject, sel, want, shown, sizeof(shown))) {
		values_text(want, wanted, sizeof(wanted));
		msg = irx_xasprintf("%s is %s, expected one of: %s", what, shown, wanted);
	} else if (!msg && c->contains && !contains_all(subject, sel, want, shown, sizeof(shown))) {
		values_text(want, wanted, sizeof(wanted));
		msg = irx_xasprintf("%s is %s, expected to contain: %s", what, shown, wanted);
	}
	if (msg)
		*ok = false;
	add_step(r, "assert", name, detail, msg ? "failed" : "passed", msg, start, wall_ms());
	json_object_put(want);
	json_object_put(params);
	json_object_put(resp);
	free(detail);
	free(name);
	free(what);
	free(msg);
}

/* Teardown: every entry, last first; a failure is recorded and the next one runs. */
static void run_teardown(struct run *r, bool *clean)
{
	for (size_t k = r->d->teardown_count; k-- > 0;) {
		const struct irx_drill_call *c = &r->d->teardown[k];
		struct missing m = {.vars = r->vars};
		struct irx_error err = {0};
		struct json_object *params = NULL, *resp = NULL;
		long long start = wall_ms();
		char *detail = call_detail(c), *name = NULL, *msg = NULL;
		const char *status = "passed";

		name = *c->name ? irx_xstrdup(c->name) : irx_xasprintf("teardown %zu", k + 1);
		find_missing(c->params, &m);
		if (m.name[0]) {
			status = "skipped";
			msg = irx_xasprintf(
			    "not run: '%s' was never captured (its setup did not run)", m.name);
		} else if (!(params = expand_params(r, c, &err))) {
			status = "failed";
			msg = irx_xstrdup(err.message);
			*clean = false;
		} else if (call_until(r, c, params, &resp, &msg, &err) < 0) {
			bool allowed = false;

			for (size_t i = 0; i < c->allow_error_count && err.aws_code[0]; i++)
				allowed = allowed || !strcmp(c->allow_errors[i], err.aws_code);
			if (allowed) {
				free(msg);
				msg = irx_xasprintf("allowed error: %s", err.message);
			} else {
				status = "failed";
				*clean = false;
			}
		}
		add_step(r, "teardown", name, detail, status, msg, start, wall_ms());
		json_object_put(params);
		json_object_put(resp);
		free(detail);
		free(name);
		free(msg);
	}
}

static long long journal_ms(struct json_object *rec, const char *key)
{
	long long ms = -1;
	char msg[128] = "";
	struct json_object *v = json_object_object_get(rec, key);

	if (!v || irx_iso8601_timestamp_ms(json_object_get_string(v), &ms, msg, sizeof(msg)) < 0)
		return -1;
	return ms;
}

long long irx_drill_time_to_contain(struct json_object *records)
{
	long long start = -1, end = -1;
	bool success = false;

	for (size_t i = 0; i < json_object_array_length(records); i++) {
		struct json_object *rec = json_object_array_get_idx(records, i);
		const char *type = json_object_get_string(json_object_object_get(rec, "type"));
		const char *action = json_object_get_string(json_object_object_get(rec, "action"));
		const char *status = json_object_get_string(json_object_object_get(rec, "status"));

		if (!type)
			continue;
		if (!strcmp(type, "execution_start"))
			start = journal_ms(rec, "start_time");
		else if (!strcmp(type, "execution_end"))
			success = status && !strcmp(status, "Success");
		else if (!strcmp(type, "step_end") && status && !strcmp(status, "Success") &&
			 action && strncmp(action, "notify:", 7) != 0)
			end = journal_ms(rec, "end_time");
	}
	if (!success || start < 0 || end < start)
		return -1;
	return end - start;
}

/* The runbook's steps from the journal, into the timeline. */
static void add_journal_steps(struct run *r, const char *target, struct json_object *records)
{
	for (size_t i = 0; i < json_object_array_length(records); i++) {
		struct json_object *rec = json_object_array_get_idx(records, i);
		const char *type = json_object_get_string(json_object_object_get(rec, "type"));
		const char *status = json_object_get_string(json_object_object_get(rec, "status"));
		const char *msg = json_object_get_string(json_object_object_get(rec, "message"));
		long long a = journal_ms(rec, "start_time"), b = journal_ms(rec, "end_time");
		char *name = NULL;

		if (!type || strcmp(type, "step_end") != 0 || a < 0 || b < 0)
			continue;
		name = irx_xasprintf("%s: %s", target,
				     json_object_get_string(json_object_object_get(rec, "step")));
		add_step(r, "step", name,
			 json_object_get_string(json_object_object_get(rec, "action")),
			 status ? status : "", msg, a, b);
		free(name);
	}
}

/* "K=V" for a parameter value: strings as they are, anything else as JSON text. */
static char *assignment(const char *key, struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return irx_xasprintf("%s=%s", key, json_object_get_string(v));
	return irx_xasprintf("%s=%s", key,
			     json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* One execution of the runbook. Returns true when it ended Success. */
static bool run_execution(struct run *r, const struct irx_runbook *rb, struct json_object *params,
			  const char *target)
{
	struct irx_diags diags = {0};
	struct irx_exec_options eo = {0};
	struct irx_exec_result res = {0};
	struct irx_error err = {0};
	struct irx_aws_context ctx = {0};
	struct json_object *bound = NULL, *records = NULL, *ent = NULL;
	const char *assign[MAX_ASSIGN + 1] = {0};
	char *owned[MAX_ASSIGN + 1] = {0};
	size_t n = 0;
	struct irx_arn arn;
	bool have_arn = false, ok = false;
	long long start = wall_ms(), ttc = -1;
	char why[128] = "", *msg = NULL;
	const char *label = target ? target : rb->name;

	json_object_object_foreach(params, key, val)
	{
		if (n == MAX_ASSIGN)
			break;
		assign[n] = owned[n] = assignment(key, val);
		n++;
	}
	if (target) {
		have_arn = irx_arn_parse(target, &arn, why, sizeof(why)) == 0;
		assign[n] = owned[n] = irx_xasprintf("TargetArn=%s", target);
		n++;
	}
	if (!(bound = irx_params_bind(rb, assign, n, &diags))) {
		char *all = irx_xstrdup("parameters do not bind:");

		for (size_t i = 0; i < diags.count; i++) {
			char *next = irx_xasprintf("%s %s", all, diags.items[i].message);

			free(all);
			all = next;
		}
		msg = all;
		goto out;
	}
	eo.state_dir = r->o->state_dir;
	eo.region = have_arn && arn.region[0] ? arn.region : r->region;
	eo.account_id = have_arn && arn.account[0] ? arn.account : r->account;
	eo.case_id = "";
	eo.progress = r->o->step_progress;
	eo.progress_ud = r->o->step_progress_ud;
	eo.log = r->o->log;
	eo.log_ud = r->o->log_ud;
	ctx.region = eo.region;
	irx_aws_attach_exec(&eo, r->o->aws, &ctx);
	if (irx_execute(rb, bound, r->o->actions, &eo, &res, &err) < 0) {
		msg = irx_xstrdup(err.message);
		goto out;
	}
	ok = strcmp(res.status, "Success") == 0;
	if (!ok)
		msg = irx_xasprintf("%s: %s", res.status, res.failure_message);
	else
		msg = irx_xasprintf("execution %s", res.execution_id);
	json_object_object_add(r->vars, "runbook:EXECUTION_ID",
			       json_object_new_string(res.execution_id));
	json_object_object_foreach(res.outputs, okey, oval)
	{
		char *k = irx_xasprintf("runbook.%s", okey);

		json_object_object_add(r->vars, k, json_object_get(oval));
		/* a list's items one by one, for teardown calls that take one id: KEY.0, KEY.1 */
		for (size_t i = 0; json_object_is_type(oval, json_type_array) &&
				   i < json_object_array_length(oval);
		     i++) {
			char *ki = irx_xasprintf("%s.%zu", k, i);

			json_object_object_add(r->vars, ki,
					       json_object_get(json_object_array_get_idx(oval, i)));
			free(ki);
		}
		free(k);
	}
	irx_error_clear(&err);
	if ((records = irx_journal_read(r->o->state_dir, res.execution_id, NULL, &err)))
		ttc = irx_drill_time_to_contain(records);
out:
	add_step(r, "runbook", label, rb->name, ok ? "passed" : "failed", msg, start, wall_ms());
	if (records)
		add_journal_steps(r, label, records);
	ent = json_object_new_object();
	json_object_object_add(ent, "entity", json_object_new_string(label));
	json_object_object_add(ent, "execution_id",
			       res.execution_id[0] ? json_object_new_string(res.execution_id)
						   : NULL);
	json_object_object_add(ent, "status",
			       json_object_new_string(res.status ? res.status : "NotRun"));
	json_object_object_add(ent, "time_to_contain_ms",
			       ttc >= 0 ? json_object_new_int64(ttc) : NULL);
	json_object_array_add(r->entities, ent);
	json_object_put(records);
	json_object_put(bound);
	irx_exec_result_release(&res);
	irx_diags_release(&diags);
	for (size_t i = 0; i < n; i++)
		free(owned[i]);
	free(msg);
	return ok;
}

/* Loads the runbook and runs it once per target. Returns true when every execution succeeded. */
static bool run_runbook(struct run *r, char **failure)
{
	struct irx_diags diags = {0};
	struct irx_runbook *rb = NULL;
	struct json_object *raw = NULL, *params = NULL;
	struct irx_error err = {0};
	long long start = wall_ms();
	bool ok = true;

	rb = irx_runbook_load(r->o->runbook_path, &diags);
	if (rb)
		irx_runbook_validate(rb, r->o->actions, &diags);
	if (!rb || diags.count) {
		const struct irx_diag *first = diags.count ? &diags.items[0] : NULL;
		char *msg =
		    first ? irx_xasprintf("runbook '%s' is not valid: %s:%u:%u: %s",
					  r->o->runbook_path, first->file, first->line, first->col,
					  first->message)
			  : irx_xasprintf("runbook '%s' cannot be loaded", r->o->runbook_path);

		add_step(r, "runbook", r->d->runbook, "", "failed", msg, start, wall_ms());
		*failure = msg;
		ok = false;
		goto out;
	}
	raw = r->d->parameters ? irx_node_to_json(r->d->parameters) : json_object_new_object();
	if (!(params = irx_template_expand(raw, lookup, r->vars, &err))) {
		*failure = irx_xasprintf("runbook parameters: %s", err.message);
		add_step(r, "runbook", r->d->runbook, rb->name, "failed", *failure, start,
			 wall_ms());
		ok = false;
		goto out;
	}
	if (r->d->target_count == 0) {
		ok = run_execution(r, rb, params, NULL);
	} else {
		for (size_t i = 0; i < r->d->target_count; i++) {
			struct json_object *t = json_object_new_string(r->d->targets[i]);
			struct json_object *x = irx_template_expand(t, lookup, r->vars, &err);

			if (!x) {
				add_step(r, "runbook", r->d->targets[i], rb->name, "failed",
					 err.message, start, wall_ms());
				ok = false;
			} else if (!run_execution(r, rb, params, json_object_get_string(x))) {
				ok = false;
			}
			json_object_put(t);
			json_object_put(x);
		}
	}
	if (!ok && !*failure)
		*failure = irx_xstrdup("the runbook did not succeed");
out:
	json_object_put(raw);
	json_object_put(params);
	irx_runbook_free(rb);
	irx_diags_release(&diags);
	return ok;
}

static char *run_id_new(void)
{
	char id[IRX_EXECUTION_ID_LEN + 1] = "";

	irx_execution_id_new(id);
	return irx_xstrndup(id, 8);
}

int irx_drill_run(const struct irx_drill *d, const struct irx_drill_options *o,
		  struct json_object **report, struct irx_error *err)
{
	struct run r = {.d = d, .o = o};
	struct json_object *who = NULL, *rep = NULL;
	struct irx_error e = {0};
	bool setup_ok = true, runbook_ok = false, asserts_ok = true, clean = true;
	char *run_id = NULL, *failure = NULL;
	long long start = 0, slowest = -1;
	char a[32] = "", b[32] = "";

	*report = NULL;
	if (!o->aws || !o->actions || !o->runbook_path || !o->state_dir) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "a drill needs an AWS client, actions, the "
			      "runbook and a state directory");
		return -1;
	}
	r.vars = json_object_new_object();
	r.steps = json_object_new_array();
	r.entities = json_object_new_array();
	r.t0 = start = wall_ms();
	snprintf(r.region, sizeof(r.region), "%s",
		 d->region ? d->region : irx_aws_client_region(o->aws));
	r.actx.region = r.region;
	run_id = run_id_new();
	json_object_object_add(r.vars, "drill:RUN_ID", json_object_new_string(run_id));
	json_object_object_add(r.vars, "global:REGION", json_object_new_string(r.region));
	/* who we are: ARNs in the scenario need the account */
	if (irx_aws_call(o->aws, &r.actx, "sts", "GetCallerIdentity", NULL, &who, &e) < 0) {
		add_step(&r, "setup", "identity", "sts:GetCallerIdentity", "failed", e.message,
			 start, wall_ms());
		failure = irx_xasprintf("cannot tell which account this is: %s", e.message);
		setup_ok = false;
	} else {
		snprintf(r.account, sizeof(r.account), "%s",
			 json_object_get_string(json_object_object_get(who, "Account")));
		json_object_object_add(r.vars, "global:ACCOUNT_ID",
				       json_object_new_string(r.account));
	}
	for (size_t i = 0; setup_ok && i < d->setup_count; i++)
		if (run_setup(&r, &d->setup[i]) < 0) {
			setup_ok = false;
			failure = irx_xasprintf("setup '%s' failed", d->setup[i].name);
		}
	if (setup_ok) {
		runbook_ok = run_runbook(&r, &failure);
		for (size_t i = 0; i < d->assertion_count; i++)
			run_assertion(&r, &d->assertions[i], i, &asserts_ok);
		if (!asserts_ok && !failure)
			failure = irx_xstrdup("an assertion failed");
	} else {
		long long now = wall_ms();

		add_step(&r, "runbook", d->runbook, "", "skipped", "not run: the setup failed", now,
			 now);
		for (size_t i = 0; i < d->assertion_count; i++) {
			char *name = *d->assertions[i].name ? irx_xstrdup(d->assertions[i].name)
							    : irx_xasprintf("assertion %zu", i + 1);
			char *detail = call_detail(&d->assertions[i]);

			add_step(&r, "assert", name, detail, "skipped", "not run: the setup failed",
				 now, now);
			free(name);
			free(detail);
		}
	}
	run_teardown(&r, &clean);

	for (size_t i = 0; i < json_object_array_length(r.entities); i++) {
		struct json_object *t = json_object_object_get(
		    json_object_array_get_idx(r.entities, i), "time_to_contain_ms");

		if (t && json_object_get_int64(t) > slowest)
			slowest = json_object_get_int64(t);
	}
	rep = json_object_new_object();
	iso_ms(start, a);
	iso_ms(wall_ms(), b);
	json_object_object_add(rep, "scenario", json_object_new_string(d->name));
	json_object_object_add(rep, "description", json_object_new_string(d->description));
	json_object_object_add(rep, "path", json_object_new_string(d->path));
	json_object_object_add(rep, "runbook", json_object_new_string(d->runbook));
	json_object_object_add(rep, "mode", json_object_new_string(o->mode ? o->mode : "aws"));
	json_object_object_add(rep, "run_id", json_object_new_string(run_id));
	json_object_object_add(rep, "account_id", json_object_new_string(r.account));
	json_object_object_add(rep, "region", json_object_new_string(r.region));
	json_object_object_add(rep, "start_time", json_object_new_string(a));
	json_object_object_add(rep, "end_time", json_object_new_string(b));
	json_object_object_add(rep, "duration_ms", json_object_new_int64(wall_ms() - start));
	json_object_object_add(rep, "passed",
			       json_object_new_boolean(setup_ok && runbook_ok && asserts_ok));
	json_object_object_add(rep, "teardown_clean", json_object_new_boolean(clean));
	json_object_object_add(rep, "failure", failure ? json_object_new_string(failure) : NULL);
	json_object_object_add(rep, "time_to_contain_ms",
			       slowest >= 0 ? json_object_new_int64(slowest) : NULL);
	json_object_object_add(rep, "entities", r.entities);
	json_object_object_add(rep, "steps", r.steps);
	*report = rep;
	json_object_put(r.vars);
	json_object_put(who);
	free(run_id);
	free(failure);
	return 0;
}

/* --- reports ------------------------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = irx_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void printf_(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void printf_(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	s = irx_xvasprintf(fmt, ap);
	va_end(ap);
	puts_(b, s);
	free(s);
}

/* Length of a valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf && (s[1] & 0xc0) == 0x80)
		return 2;
	if (s[0] >= 0xe0 && s[0] <= 0xef && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))
			return 0; /* overlong, surrogate */
		if (s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
			return 0; /* U+FFFE, U+FFFF: not XML characters */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
	    (s[3] & 0xc0) == 0x80) {
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Text escaped for XML and HTML (both attribute values and content): & < > " ' as entities,
 * tab / newline kept (as &#10; / &#9; in attributes), other control characters and invalid
 * UTF-8 (not XML characters) as U+FFFD.
 */
static void put_esc(struct buf *b, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
			puts_(b, "\xef\xbf\xbd");
			p++;
			continue;
		}
		switch (*p) {
		case '&':
			puts_(b, "&amp;");
			break;
		case '<':
			puts_(b, "&lt;");
			break;
		case '>':
			puts_(b, "&gt;");
			break;
		case '"':
			puts_(b, "&quot;");
			break;
		case '\'':
			puts_(b, "&#39;");
			break;
		case '\n':
			puts_(b, attr ? "&#10;" : "\n");
			break;
		case '\t':
			puts_(b, attr ? "&#9;" : "\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				puts_(b, "\xef\xbf\xbd");
			else
				put(b, (const char *)p, n);
		}
		p += n;
	}
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = json_object_object_get(o, key);

	return v ? json_object_get_string(v) : "";
}

static long long jint(struct json_object *o, const char *key)
{
	return json_object_get_int64(json_object_object_get(o, key));
}

/* The timestamp without milliseconds and zone, as JUnit's schema wants it. */
static void junit_time(const char *iso, char out[32])
{
	snprintf(out, 32, "%.19s", iso);
}

char *irx_drill_report_junit(struct json_object *report)
{
	struct buf b = {0};
	struct json_object *steps = json_object_object_get(report, "steps");
	const char *scenario = jstr(report, "scenario");
	size_t tests = 0, failures = 0, skipped = 0;
	char ts[32] = "";

	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);
		const char *st = jstr(s, "status");

		if (!strcmp(jstr(s, "phase"), "step"))
			continue;
		tests++;
		failures += !strcmp(st, "failed");
		skipped += !strcmp(st, "skipped");
	}
	junit_time(jstr(report, "start_time"), ts);
	puts_(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"irx drill\"");
	printf_(&b, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
		tests, failures, skipped, (double)jint(report, "duration_ms") / 1000.0);
	puts_(&b, "  <testsuite name=\"drill.");
	put_esc(&b, scenario, true);
	printf_(&b,
		"\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\" "
		"timestamp=\"%s\">\n",
		tests, failures, skipped, (double)jint(report, "duration_ms") / 1000.0, ts);
	puts_(&b, "    <properties>\n");
	{
		static const char *const props[] = {"runbook", "mode", "account_id", "region",
						    "run_id",  "path", NULL};

		for (size_t i = 0; props[i]; i++) {
			printf_(&b, "      <property name=\"%s\" value=\"", props[i]);
			put_esc(&b, jstr(report, props[i]), true);
			puts_(&b, "\"/>\n");
		}
		printf_(&b, "      <property name=\"time_to_contain_ms\" value=\"%s\"/>\n",
			json_object_object_get(report, "time_to_contain_ms")
			    ? jstr(report, "time_to_contain_ms")
			    : "");
	}
	puts_(&b, "    </properties>\n");
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);
		const char *phase = jstr(s, "phase"), *st = jstr(s, "status");

		if (!strcmp(phase, "step"))
			continue;
		puts_(&b, "    <testcase classname=\"drill.");
		put_esc(&b, scenario, true);
		printf_(&b, ".%s\" name=\"", phase);
		put_esc(&b, jstr(s, "name"), true);
		if (*jstr(s, "detail")) {
			puts_(&b, " (");
			put_esc(&b, jstr(s, "detail"), true);
			puts_(&b, ")");
		}
		printf_(&b, "\" time=\"%.3f\"",
			(double)(jint(s, "end_ms") - jint(s, "start_ms")) / 1000.0);
		if (!strcmp(st, "passed")) {
			puts_(&b, "/>\n");
			continue;
		}
		if (!strcmp(st, "skipped")) {
			puts_(&b, ">\n      <skipped message=\"");
			put_esc(&b, jstr(s, "message"), true);
			puts_(&b, "\"/>\n    </testcase>\n");
			continue;
		}
		printf_(&b, ">\n      <failure type=\"%s\" message=\"",
			!strcmp(phase, "assert")     ? "AssertionFailed"
			: !strcmp(phase, "teardown") ? "TeardownFailed"
			: !strcmp(phase, "setup")    ? "SetupFailed"
						     : "RunbookFailed");
		put_esc(&b, jstr(s, "message"), true);
		puts_(&b, "\">");
		put_esc(&b, jstr(s, "message"), false);
		puts_(&b, "</failure>\n    </testcase>\n");
	}
	puts_(&b, "  </testsuite>\n</testsuites>\n");
	return b.p;
}

static const char *status_class(const char *st)
{
	if (!strcmp(st, "passed") || !strcmp(st, "Success"))
		return "ok";
	if (!strcmp(st, "skipped") || !strcmp(st, "Skipped"))
		return "skip";
	return "bad";
}

char *irx_drill_report_html(struct json_object *report)
{
	struct buf b = {0};
	struct json_object *steps = json_object_object_get(report, "steps");
	struct json_object *ents = json_object_object_get(report, "entities");
	long long total = jint(report, "duration_ms");
	bool passed = json_object_get_boolean(json_object_object_get(report, "passed"));

	if (total <= 0)
		total = 1;
	puts_(&b,
	      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>irx "
	      "drill: ");
	put_esc(&b, jstr(report, "scenario"), false);
	puts_(&b,
	      "</title>\n<style>\n"
	      "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\n"
	      "h1 .badge{font-size:.6em;padding:.2em .6em;border-radius:.3em;color:#fff;"
	      "vertical-align:middle}\n"
	      ".pass{background:#2e7d32}.fail{background:#c62828}\n"
	      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
	      "padding:.3em .6em;text-align:left;vertical-align:top}\n"
	      "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	      ".timeline td.bar{width:60%;position:relative;padding:0}\n"
	      ".timeline .b{position:absolute;top:25%;height:50%;min-width:2px;border-radius:2px}\n"
	      ".b.ok{background:#43a047}.b.bad{background:#e53935}.b.skip{background:#9e9e9e}\n"
	      "tr.step td:first-child{padding-left:1.6em;color:#555}\n"
	      "span.ok{color:#2e7d32}span.bad{color:#c62828}span.skip{color:#757575}\n"
	      ".msg{font-size:.85em;color:#555;max-width:40em;overflow-wrap:anywhere}\n"
	      "</style>\n</head>\n<body>\n<h1>Drill ");
	put_esc(&b, jstr(report, "scenario"), false);
	printf_(&b, " <span class=\"badge %s\">%s</span></h1>\n", passed ? "pass" : "fail",
		passed ? "PASSED" : "FAILED");
	puts_(&b, "<table class=\"summary\">\n<tr><th>runbook</th><td>");
	put_esc(&b, jstr(report, "runbook"), false);
	puts_(&b, "</td></tr>\n<tr><th>mode</th><td>");
	put_esc(&b, jstr(report, "mode"), false);
	puts_(&b, "</td></tr>\n<tr><th>account / region</th><td>");
	put_esc(&b, jstr(report, "account_id"), false);
	puts_(&b, " / ");
	put_esc(&b, jstr(report, "region"), false);
	puts_(&b, "</td></tr>\n<tr><th>started</th><td>");
	put_esc(&b, jstr(report, "start_time"), false);
	printf_(&b, "</td></tr>\n<tr><th>duration</th><td>%lld ms</td></tr>\n",
		jint(report, "duration_ms"));
	if (json_object_object_get(report, "failure")) {
		puts_(&b, "<tr><th>failure</th><td>");
		put_esc(&b, jstr(report, "failure"), false);
		puts_(&b, "</td></tr>\n");
	}
	printf_(&b, "<tr><th>teardown</th><td>%s</td></tr>\n</table>\n",
		json_object_get_boolean(json_object_object_get(report, "teardown_clean"))
		    ? "clean"
		    : "<span class=\"bad\">left something behind (see below)</span>");
	puts_(&b, "<h2>Time to contain</h2>\n<table class=\"ttc\">\n<tr><th>entity</th><th>"
		  "execution</th><th>status</th><th>time to contain</th></tr>\n");
	for (size_t i = 0; i < json_object_array_length(ents); i++) {
		struct json_object *e = json_object_array_get_idx(ents, i);

		puts_(&b, "<tr><td>");
		put_esc(&b, jstr(e, "entity"), false);
		puts_(&b, "</td><td>");
		put_esc(&b, jstr(e, "execution_id"), false);
		printf_(&b, "</td><td><span class=\"%s\">", status_class(jstr(e, "status")));
		put_esc(&b, jstr(e, "status"), false);
		if (json_object_object_get(e, "time_to_contain_ms"))
			printf_(&b, "</span></td><td class=\"num\">%lld ms</td></tr>\n",
				jint(e, "time_to_contain_ms"));
		else
			puts_(&b, "</span></td><td class=\"num\">-</td></tr>\n");
	}
	puts_(&b, "</table>\n<h2>Timeline</h2>\n<table class=\"timeline\">\n<tr><th>phase</th>"
		  "<th>step</th><th>status</th><th>start</th><th>duration</th><th>"
		  "timeline</th></tr>\n");
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);
		long long a = jint(s, "start_ms"), e = jint(s, "end_ms");
		const char *cls = status_class(jstr(s, "status"));
		double left = 100.0 * (double)a / (double)total;
		double width = 100.0 * (double)(e - a) / (double)total;

		if (left < 0)
			left = 0;
		if (left > 100)
			left = 100;
		if (width > 100 - left)
			width = 100 - left;
		printf_(&b, "<tr class=\"%s\"><td>",
			!strcmp(jstr(s, "phase"), "step") ? "step" : "");
		put_esc(&b, jstr(s, "phase"), false);
		puts_(&b, "</td><td>");
		put_esc(&b, jstr(s, "name"), false);
		if (*jstr(s, "detail")) {
			puts_(&b, " <small>");
			put_esc(&b, jstr(s, "detail"), false);
			puts_(&b, "</small>");
		}
		if (*jstr(s, "message")) {
			puts_(&b, "<div class=\"msg\">");
			put_esc(&b, jstr(s, "message"), false);
			puts_(&b, "</div>");
		}
		printf_(&b, "</td><td><span class=\"%s\">", cls);
		put_esc(&b, jstr(s, "status"), false);
		printf_(&b,
			"</span></td><td class=\"num\">+%lld ms</td><td class=\"num\">%lld ms</td>"
			"<td class=\"bar\"><div class=\"b %s\" style=\"left:%.2f%%;width:%.2f%%\" "
			"title=\"",
			a, e - a, cls, left, width);
		put_esc(&b, jstr(s, "start_time"), true);
		puts_(&b, " - ");
		put_esc(&b, jstr(s, "end_time"), true);
		puts_(&b, "\"></div></td></tr>\n");
	}
	puts_(&b, "</table>\n</body>\n</html>\n");
	return b.p;
}

static int mkdirs(const char *path, struct irx_error *err)
{
	char *p = irx_xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
		if (rc < 0)
			break;
	}
	if (rc == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
		rc = -1;
	if (rc < 0)
		irx_error_set(err, IRX_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
	free(p);
	return rc;
}

static int write_text(const char *dir, const char *file, const char *text, struct irx_error *err)
{
	char *path = irx_xasprintf("%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
		rc = -1;
	}
	free(path);
	return rc;
}

int irx_drill_report_write(struct json_object *report, const char *dir, struct irx_error *err)
{
	char *junit = NULL, *html = NULL;
	int rc = -1;

	if (mkdirs(dir, err) < 0)
		return -1;
	junit = irx_drill_report_junit(report);
	html = irx_drill_report_html(report);
	if (write_text(dir, "report.json",
		       json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE),
		       err) < 0 ||
	    write_text(dir, "junit.xml", junit, err) < 0 ||
	    write_text(dir, "report.html", html, err) < 0)
		goto out;
	rc = 0;
out:
	free(junit);
	free(html);
	return rc;
}

/* --- history ------------------------------------------------------------------------------ */

int irx_drill_history_append(const char *state_dir, struct json_object *report,
			     const char *report_dir, struct irx_error *err)
{
	char *dir = irx_xasprintf("%s/drills", state_dir);
	char *path = irx_xasprintf("%s/history.jsonl", dir);
	struct json_object *line = json_object_new_object();
	const char *text = NULL;
	int fd = -1, rc = -1;
	size_t len = 0;

	if (mkdirs(dir, err) < 0)
		goto out;
	json_object_object_add(line, "scenario", json_object_new_string(jstr(report, "scenario")));
	json_object_object_add(line, "path", json_object_new_string(jstr(report, "path")));
	json_object_object_add(line, "time", json_object_new_string(jstr(report, "start_time")));
	json_object_object_add(line, "mode", json_object_new_string(jstr(report, "mode")));
	json_object_object_add(line, "passed",
			       json_object_get(json_object_object_get(report, "passed")));
	json_object_object_add(line, "teardown_clean",
			       json_object_get(json_object_object_get(report, "teardown_clean")));
	json_object_object_add(
	    line, "time_to_contain_ms",
	    json_object_get(json_object_object_get(report, "time_to_contain_ms")));
	json_object_object_add(line, "duration_ms",
			       json_object_get(json_object_object_get(report, "duration_ms")));
	json_object_object_add(line, "report_dir",
			       report_dir ? json_object_new_string(report_dir) : NULL);
	text = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	{
		/* one write: concurrent drills append whole lines */
		char *withnl = irx_xasprintf("%s\n", text);
		ssize_t w = write(fd, withnl, len + 1);

		free(withnl);
		if (w != (ssize_t)(len + 1) || fsync(fd) < 0) {
			irx_error_set(err, IRX_ERR_IO, "cannot append to '%s': %s", path,
				      strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	json_object_put(line);
	free(dir);
	free(path);
	return rc;
}

struct json_object *irx_drill_history_read(const char *state_dir, const char *scenario,
					   struct irx_error *err)
{
	char *path = irx_xasprintf("%s/drills/history.jsonl", state_dir);
	struct json_object *arr = json_object_new_array();
	char *text = NULL, *save = NULL;
	size_t len = 0;

	if (irx_read_file(path, 64u * 1024 * 1024, &text, &len) < 0) {
		if (errno != ENOENT) {
			irx_error_set(err, IRX_ERR_IO, "cannot read '%s': %s", path,
				      strerror(errno));
			json_object_put(arr);
			arr = NULL;
		}
		goto out;
	}
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);

		if (!o || !json_object_is_type(o, json_type_object) ||
		    (scenario && strcmp(jstr(o, "scenario"), scenario) != 0)) {
			json_object_put(o); /* a torn line from a crash, or another scenario */
			continue;
		}
		json_object_array_add(arr, o);
	}
out:
	free(text);
	free(path);
	return arr;
}

/* --- finding scenarios ---------------------------------------------------------------------- */

static char *try_dir(const char *dir, const char *name)
{
	static const char *const exts[] = {".yaml", ".yml", NULL};

	for (size_t i = 0; exts[i]; i++) {
		char *p = irx_xasprintf("%s/%s%s", dir, name, exts[i]);

		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

char *irx_drill_find(const char *name_or_path)
{
	const char *env = getenv("IRX_DRILL_PATH");
	size_t n = strlen(name_or_path);
	char *found = NULL, *installed = NULL;
	const char *rb = IRX_RUNBOOK_DIR;
	size_t rl = strlen(rb);

	if (strchr(name_or_path, '/') || (n > 5 && !strcmp(name_or_path + n - 5, ".yaml")) ||
	    (n > 4 && !strcmp(name_or_path + n - 4, ".yml")))
		return irx_xstrdup(name_or_path);
	if ((found = try_dir("drills", name_or_path)))
		return found;
	if (env && *env) {
		char *copy = irx_xstrdup(env), *save = NULL;

		for (char *dir = strtok_r(copy, ":", &save); dir && !found;
		     dir = strtok_r(NULL, ":", &save))
			found = try_dir(dir, name_or_path);
		free(copy);
		if (found)
			return found;
	}
	/* installed beside the runbooks: <prefix>/share/irx/drills */
	if (rl >= 8 && !strcmp(rb + rl - 8, "runbooks"))
		installed = irx_xasprintf("%.*sdrills", (int)(rl - 8), rb);
	else
		installed = irx_xasprintf("%s/../drills", rb);
	found = try_dir(installed, name_or_path);
	free(installed);
	return found;
}
