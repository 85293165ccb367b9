/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx describe RUNBOOK: what a responder needs before running it: the
 * description, the parameters (type, required or default, allowed values),
 * the steps with their actions and flow, and the runbook outputs.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actions.h"
#include "cli.h"
#include "diag.h"
#include "error.h"
#include "host.h"
#include "node.h"
#include "plugins.h"
#include "runbook.h"

#define MAX_PLUGIN_DIRS 64

static void usage(FILE *out)
{
	fprintf(out, "usage: irx describe [--plugin-dir DIR]... [--output text|json] RUNBOOK\n"
		     "\n"
		     "Shows a runbook's description, parameters (type, required or default,\n"
		     "allowed values), steps (action, onFailure, nextStep, outputs) and outputs.\n"
		     "RUNBOOK is a name on the runbook path or a file path.\n");
}

/* A parameter default or allowed value as one line of text. */
static char *node_text(const struct irx_node *n)
{
	struct json_object *j = NULL;
	char *s = NULL;

	if (n->kind == IRX_NODE_SCALAR && !irx_node_is_null(n))
		return strdup(n->value);
	j = irx_node_to_json(n);
	s = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return s;
}

/* How an action resolves: its summary, or why irx cannot run it. */
static const char *action_note(struct irx_actions *actions, const char *name, char *buf,
			       size_t len)
{
	struct irx_action_ref ref = {0};
	struct irx_error err = {0};

	if (!name)
		return "";
	if (irx_builtin_is_unsupported(name))
		return "not supported by irx";
	if (irx_actions_lookup(actions, name, &ref, &err) < 0) {
		snprintf(buf, len, "%s", err.code == IRX_ERR_INVALID ? "not supported by irx"
								       : err.message);
		return buf;
	}
	return ref.action->summary ? ref.action->summary : "";
}

static const char *on_failure_text(const struct irx_step_def *s, char *buf, size_t len)
{
	if (s->on_failure == IRX_ON_FAILURE_CONTINUE)
		return "Continue";
	if (s->on_failure == IRX_ON_FAILURE_STEP) {
		snprintf(buf, len, "step:%s", s->on_failure_step);
		return buf;
	}
	return "Abort";
}

static struct json_object *describe_json(const struct irx_runbook *rb,
					 struct irx_actions *actions)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char buf[1024] = "";

	json_object_object_add(o, "Name", json_object_new_string(rb->name));
	json_object_object_add(o, "Description", json_object_new_string(rb->description));
	json_object_object_add(o, "AssumeRole", rb->assume_role
							? json_object_new_string(rb->assume_role)
							: NULL);
	for (size_t i = 0; i < rb->param_count; i++) {
		const struct irx_param_decl *p = &rb->params[i];
		struct json_object *po = json_object_new_object();

		json_object_object_add(po, "Name", json_object_new_string(p->name));
		json_object_object_add(po, "Type",
				       json_object_new_string(irx_param_type_name(p->type)));
		json_object_object_add(po, "Description", json_object_new_string(p->description));
		json_object_object_add(po, "Required", json_object_new_boolean(!p->default_value));
		if (p->default_value)
			json_object_object_add(po, "Default", irx_node_to_json(p->default_value));
		if (p->allowed_values)
			json_object_object_add(po, "AllowedValues",
					       irx_node_to_json(p->allowed_values));
		if (p->allowed_pattern)
			json_object_object_add(po, "AllowedPattern",
					       json_object_new_string(p->allowed_pattern));
		if (p->min_items >= 0)
			json_object_object_add(po, "MinItems", json_object_new_int64(p->min_items));
		if (p->max_items >= 0)
			json_object_object_add(po, "MaxItems", json_object_new_int64(p->max_items));
		json_object_array_add(arr, po);
	}
	json_object_object_add(o, "Parameters", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < rb->step_count; i++) {
		const struct irx_step_def *s = &rb->steps[i];
		struct json_object *so = json_object_new_object(), *outs = json_object_new_array();

		json_object_object_add(so, "Name", s->name ? json_object_new_string(s->name) : NULL);
		json_object_object_add(so, "Action",
				       s->action ? json_object_new_string(s->action) : NULL);
		json_object_object_add(
			so, "ActionSummary",
			json_object_new_string(action_note(actions, s->action, buf, sizeof(buf))));
		json_object_object_add(so, "OnFailure",
				       json_object_new_string(on_failure_text(s, buf, sizeof(buf))));
		json_object_object_add(so, "NextStep",
				       s->next_step ? json_object_new_string(s->next_step) : NULL);
		json_object_object_add(so, "IsEnd", json_object_new_boolean(s->is_end));
		json_object_object_add(so, "IsCritical", json_object_new_boolean(s->is_critical));
		json_object_object_add(so, "MaxAttempts", json_object_new_int(s->max_attempts));
		json_object_object_add(so, "TimeoutSeconds",
				       json_object_new_int64(s->timeout_seconds));
		for (size_t k = 0; k < s->output_count; k++) {
			struct json_object *oo = json_object_new_object();
			const struct irx_output_decl *d = &s->outputs[k];

			json_object_object_add(oo, "Name",
					       d->name ? json_object_new_string(d->name) : NULL);
			json_object_object_add(
				oo, "Selector", d->selector ? json_object_new_string(d->selector) : NULL);
			json_object_object_add(oo, "Type",
					       json_object_new_string(irx_param_type_name(d->type)));
			json_object_array_add(outs, oo);
		}
		json_object_object_add(so, "Outputs", outs);
		json_object_array_add(arr, so);
	}
	json_object_object_add(o, "Steps", arr);
	arr = json_object_new_array();
	for (size_t i = 0; rb->outputs && i < rb->outputs->count; i++)
		json_object_array_add(arr, irx_node_to_json(rb->outputs->items[i]));
	json_object_object_add(o, "Outputs", arr);
	return o;
}

static void describe_text(const struct irx_runbook *rb, struct irx_actions *actions)
{
	char buf[1024] = "";

	printf("%s\n", rb->name);
	if (rb->description[0]) {
		size_t len = strlen(rb->description);

		printf("\n%s%s", rb->description,
		       len && rb->description[len - 1] == '\n' ? "" : "\n");
	}
	if (rb->assume_role)
		printf("\nAssume role: %s\n", rb->assume_role);
	printf("\nParameters:\n");
	if (rb->param_count == 0)
		printf("  (none)\n");
	else
		printf("  %-24s %-11s %-9s %s\n", "NAME", "TYPE", "REQUIRED", "DEFAULT / ALLOWED");
	for (size_t i = 0; i < rb->param_count; i++) {
		const struct irx_param_decl *p = &rb->params[i];
		char *def = p->default_value ? node_text(p->default_value) : NULL;

		bool any = def || p->allowed_values || p->allowed_pattern || p->min_items >= 0 ||
			   p->max_items >= 0;

		printf("  %-24s %-11s %-9s %s%s%s", p->name, irx_param_type_name(p->type),
		       p->default_value ? "no" : "yes", def ? "default: " : "",
		       def ? (def[0] ? def : "''") : "", any ? "" : "-");
		const char *sep = def ? "; " : "";

		if (p->allowed_values) {
			printf("%sallowed:", sep);
			sep = "; ";
			for (size_t k = 0; k < p->allowed_values->count; k++) {
				char *v = node_text(p->allowed_values->items[k]);

				printf("%s %s", k ? "," : "", v);
				free(v);
			}
		}
		if (p->allowed_pattern) {
			printf("%spattern: %s", sep, p->allowed_pattern);
			sep = "; ";
		}
		if (p->min_items >= 0) {
			printf("%smin items: %ld", sep, p->min_items);
			sep = "; ";
		}
		if (p->max_items >= 0)
			printf("%smax items: %ld", sep, p->max_items);
		printf("\n");
		if (p->description[0])
			printf("  %-24s %s\n", "", p->description);
		free(def);
	}
	printf("\nSteps:\n");
	for (size_t i = 0; i < rb->step_count; i++) {
		const struct irx_step_def *s = &rb->steps[i];
		const char *note = action_note(actions, s->action, buf, sizeof(buf));

		printf("  %zu. %s  %s%s%s%s\n", i + 1, s->name ? s->name : "?",
		       s->action ? s->action : "?", note[0] ? " (" : "", note, note[0] ? ")" : "");
		printf("     onFailure: %s", on_failure_text(s, buf, sizeof(buf)));
		if (s->next_step)
			printf("; nextStep: %s", s->next_step);
		if (s->is_end)
			printf("; isEnd");
		if (!s->is_critical)
			printf("; not critical");
		if (s->max_attempts > 1)
			printf("; maxAttempts: %d", s->max_attempts);
		if (s->timeout_seconds)
			printf("; timeoutSeconds: %ld", s->timeout_seconds);
		printf("\n");
		for (size_t k = 0; k < s->output_count; k++)
			printf("     output %s (%s) = %s\n", s->outputs[k].name ? s->outputs[k].name : "?",
			       irx_param_type_name(s->outputs[k].type),
			       s->outputs[k].selector ? s->outputs[k].selector : "?");
	}
	if (rb->outputs && rb->outputs->count) {
		printf("\nOutputs:\n");
		for (size_t i = 0; i < rb->outputs->count; i++)
			if (rb->outputs->items[i]->kind == IRX_NODE_SCALAR)
				printf("  %s\n", rb->outputs->items[i]->value);
	}
}

int irx_cmd_describe(int argc, char **argv)
{
	static const struct option opts[] = {
		{"plugin-dir", required_argument, NULL, 'P'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct irx_cli_common common = {0};
	const char *dirs[MAX_PLUGIN_DIRS];
	char *dir_store = NULL, *path = NULL;
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	struct irx_runbook *rb = NULL;
	struct irx_diags diags = {0};
	size_t ndirs = 0;
	int c = 0, rc = IRX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "P:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (irx_cli_add_plugin_dir(&common, "describe", optarg) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'o':
			if (irx_cli_parse_output(optarg, &common.json) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'h':
			usage(stdout);
			return IRX_EXIT_OK;
		default:
			usage(stderr);
			return IRX_EXIT_INVALID;
		}
	}
	if (optind >= argc) {
		irx_cli_error("describe", "no runbook named; see 'irx describe --help'");
		return IRX_EXIT_INVALID;
	}
	if (optind + 1 < argc) {
		irx_cli_error("describe", "unexpected argument '%s'", argv[optind + 1]);
		return IRX_EXIT_INVALID;
	}
	path = irx_cli_find_runbook(argv[optind]);
	if (!path) {
		irx_cli_error("describe", "no runbook '%s' (see 'irx list')", argv[optind]);
		return IRX_EXIT_NOT_FOUND;
	}
	rb = irx_runbook_load(path, &diags);
	if (!rb || diags.count) {
		/* a runbook whose structure is broken cannot be described faithfully */
		irx_diags_print(&diags, stderr);
		irx_cli_error("describe", "'%s' does not load; see 'irx validate %s'", path,
			      argv[optind]);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	ndirs = irx_cli_plugin_path(&common, dirs, MAX_PLUGIN_DIRS, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(false));
	actions = irx_actions_new(plugins);
	if (common.json) {
		struct json_object *o = describe_json(rb, actions);

		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		describe_text(rb, actions);
	}
out:
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	irx_runbook_free(rb);
	irx_diags_release(&diags);
	free(dir_store);
	free(path);
	return rc;
}
