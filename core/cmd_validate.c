/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx validate: loads and statically checks runbooks without running
 * anything. Every problem is printed as "file:line:col: message", all of them
 * at once and in document order, then one summary line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actions.h"
#include "cli.h"
#include "diag.h"
#include "host.h"
#include "plugins.h"
#include "runbook.h"
#include "util.h"

#define MAX_PLUGIN_DIRS 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: irx validate [--plugin-dir DIR]... [--output text|json] RUNBOOK...\n"
		"\n"
		"Checks runbooks (names on the runbook path, or file paths) without running\n"
		"them: structure, parameter declarations and defaults, unique step names,\n"
		"known actions and their inputs, template references, step targets, loops,\n"
		"output selectors. Each problem is printed as file:line:col: message.\n"
		"\n"
		"  --plugin-dir DIR   look for plugins in DIR first (repeatable)\n"
		"  --output json      print the problems as a JSON list on stdout\n"
		"\n"
		"Exit status: 0 all valid, 2 a runbook is invalid, 3 a runbook was not found.\n");
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

/* One file's diagnostics (load and validate) in document order; equal positions keep order. */
static void sort_diags(struct irx_diags *d)
{
	struct ordered *tmp = NULL;

	if (d->count < 2)
		return;
	tmp = irx_xcalloc(d->count, sizeof(*tmp));
	for (size_t i = 0; i < d->count; i++) {
		tmp[i].diag = d->items[i];
		tmp[i].seq = i;
	}
	qsort(tmp, d->count, sizeof(*tmp), cmp_ordered);
	for (size_t i = 0; i < d->count; i++)
		d->items[i] = tmp[i].diag;
	free(tmp);
}

static void add_json(struct json_object *list, const struct irx_diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(d->items[i].file));
		json_object_object_add(o, "line", json_object_new_int((int)d->items[i].line));
		json_object_object_add(o, "column", json_object_new_int((int)d->items[i].col));
		json_object_object_add(o, "message", json_object_new_string(d->items[i].message));
		json_object_array_add(list, o);
	}
}

int irx_cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"plugin-dir", required_argument, NULL, 'P'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct irx_cli_common common = {0};
	const char *dirs[MAX_PLUGIN_DIRS];
	char *dir_store = NULL;
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	struct json_object *list = NULL;
	size_t ndirs = 0, errors = 0, runbooks = 0;
	bool invalid = false, missing = false;
	int c = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "P:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (irx_cli_add_plugin_dir(&common, "validate", optarg) < 0)
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
		irx_cli_error("validate", "no runbook named; see 'irx validate --help'");
		return IRX_EXIT_INVALID;
	}
	ndirs = irx_cli_plugin_path(&common, dirs, MAX_PLUGIN_DIRS, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(false));
	actions = irx_actions_new(plugins);
	list = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		struct irx_diags diags = {0};
		struct irx_runbook *rb = NULL;
		char *path = irx_cli_find_runbook(argv[i]);

		runbooks++;
		if (!path) {
			irx_diags_add_at(&diags, argv[i], 0, 0, "no runbook '%s' (see 'irx list')",
					 argv[i]);
			missing = true;
		} else if ((rb = irx_runbook_load(path, &diags)) != NULL) {
			irx_runbook_validate(rb, actions, &diags);
		}
		if (path && diags.count)
			invalid = true;
		sort_diags(&diags);
		errors += diags.count;
		if (common.json)
			add_json(list, &diags);
		else
			irx_diags_print(&diags, stderr);
		irx_runbook_free(rb);
		irx_diags_release(&diags);
		free(path);
	}
	if (common.json)
		printf("%s\n", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	fprintf(stderr, "%zu error%s in %zu runbook%s\n", errors, errors == 1 ? "" : "s", runbooks,
		runbooks == 1 ? "" : "s");
	json_object_put(list);
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	free(dir_store);
	if (invalid)
		return IRX_EXIT_INVALID;
	return missing ? IRX_EXIT_NOT_FOUND : IRX_EXIT_OK;
}
