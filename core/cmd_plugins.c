/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx plugins [NAME]: the plugins on the plugin path with their version, ABI,
 * licence, actions (flags and parameter schemas); refused ones with the reason.
 *
 * Exit status: listing succeeds even when some file is refused (refusals go
 * to stderr, and into "refused" with --output json); asking for one NAME
 * exits IRX_EXIT_NOT_FOUND when no such plugin is on the path and
 * IRX_EXIT_PLUGIN when the loader refuses it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cli.h"
#include "error.h"
#include "host.h"
#include "plugins.h"

#define MAX_PLUGIN_DIRS 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: irx plugins [--plugin-dir DIR]... [--output text|json] [NAME]\n"
		"\n"
		"Lists every plugin on the plugin path: name, version, plugin ABI, licence,\n"
		"file, and each action with its flags and parameters. Files the loader\n"
		"refuses are named on stderr with the reason; the listing still succeeds.\n"
		"With NAME, shows that plugin only: exit 3 when it is not on the path, 4\n"
		"when it is refused.\n"
		"\n"
		"The plugin path: each --plugin-dir, then IRX_PLUGIN_PATH (colon-separated),\n"
		"then %s.\n",
		IRX_PLUGIN_DIR);
}

static const char *type_name(enum irx_param_type t)
{
	switch (t) {
	case IRX_PARAM_STRING:
		return "String";
	case IRX_PARAM_STRING_LIST:
		return "StringList";
	case IRX_PARAM_INTEGER:
		return "Integer";
	case IRX_PARAM_BOOLEAN:
		return "Boolean";
	case IRX_PARAM_MAP_LIST:
		return "MapList";
	case IRX_PARAM_STRING_MAP:
		return "StringMap";
	case IRX_PARAM_ANY:
		return "Any";
	}
	return "?";
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *plugin_json(const struct irx_loaded_plugin *lp)
{
	const struct irx_plugin *d = &lp->desc;
	struct json_object *o = json_object_new_object();
	struct json_object *actions = json_object_new_array();
	char abi[32];

	snprintf(abi, sizeof(abi), "%u.%u", (unsigned)d->abi_major, (unsigned)d->abi_minor);
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "version", json_object_new_string(d->version));
	json_object_object_add(o, "abi", json_object_new_string(abi));
	json_object_object_add(o, "license", str_or_null(d->license));
	json_object_object_add(o, "path", str_or_null(lp->path));
	for (const struct irx_action *a = d->actions; a->name; a++) {
		struct json_object *ja = json_object_new_object();
		struct json_object *params = json_object_new_array();
		char full[256];

		snprintf(full, sizeof(full), "%s:%s", d->name, a->name);
		json_object_object_add(ja, "name", json_object_new_string(full));
		json_object_object_add(ja, "summary", str_or_null(a->summary));
		json_object_object_add(ja, "mutates",
				       json_object_new_boolean(a->flags & IRX_ACTION_MUTATES));
		json_object_object_add(ja, "idempotent",
				       json_object_new_boolean(a->flags & IRX_ACTION_IDEMPOTENT));
		json_object_object_add(ja, "reversible",
				       json_object_new_boolean(a->rollback != NULL));
		for (const struct irx_param *p = a->params; p && p->name; p++) {
			struct json_object *jp = json_object_new_object();

			json_object_object_add(jp, "name", json_object_new_string(p->name));
			json_object_object_add(jp, "type",
					       json_object_new_string(type_name(p->type)));
			json_object_object_add(
			    jp, "required", json_object_new_boolean(p->flags & IRX_PARAM_REQUIRED));
			json_object_object_add(
			    jp, "secret", json_object_new_boolean(p->flags & IRX_PARAM_SECRET));
			json_object_object_add(jp, "default", str_or_null(p->default_value));
			json_object_object_add(jp, "help", str_or_null(p->help));
			json_object_array_add(params, jp);
		}
		json_object_object_add(ja, "parameters", params);
		json_object_array_add(actions, ja);
	}
	json_object_object_add(o, "actions", actions);
	return o;
}

static void plugin_text(const struct irx_loaded_plugin *lp, FILE *out)
{
	const struct irx_plugin *d = &lp->desc;

	fprintf(out, "%s %s (plugin ABI %u.%u, licence %s)\n", d->name, d->version,
		(unsigned)d->abi_major, (unsigned)d->abi_minor,
		d->license ? d->license : "unknown");
	fprintf(out, "  file: %s\n", lp->path ? lp->path : "(linked into irx)");
	for (const struct irx_action *a = d->actions; a->name; a++) {
		fprintf(out, "  %s:%s", d->name, a->name);
		if (a->summary)
			fprintf(out, ": %s", a->summary);
		fprintf(out, " [%s%s%s]\n", a->flags & IRX_ACTION_MUTATES ? "mutates" : "read-only",
			a->flags & IRX_ACTION_IDEMPOTENT ? ", idempotent" : "",
			a->rollback ? ", reversible" : "");
		for (const struct irx_param *p = a->params; p && p->name; p++) {
			fprintf(out, "    %s (%s", p->name, type_name(p->type));
			if (p->flags & IRX_PARAM_REQUIRED)
				fprintf(out, ", required");
			if (p->flags & IRX_PARAM_SECRET)
				fprintf(out, ", secret");
			if (p->default_value)
				fprintf(out, ", default \"%s\"", p->default_value);
			fprintf(out, ")%s%s\n", p->help ? ": " : "", p->help ? p->help : "");
		}
	}
}

struct listing {
	bool json;
	struct json_object *plugins, *refused; /* json mode */
	size_t shown;
};

static void each(void *ud, const char *path, const struct irx_loaded_plugin *lp,
		 const struct irx_error *err)
{
	struct listing *l = ud;

	if (!lp) {
		irx_cli_error("plugins", "%s", err ? err->message : "refused");
		if (l->json) {
			struct json_object *r = json_object_new_object();

			json_object_object_add(r, "path", json_object_new_string(path));
			json_object_object_add(r, "reason",
					       json_object_new_string(err ? err->message : ""));
			json_object_array_add(l->refused, r);
		}
		return;
	}
	if (l->json) {
		json_object_array_add(l->plugins, plugin_json(lp));
	} else {
		if (l->shown)
			putchar('\n');
		plugin_text(lp, stdout);
	}
	l->shown++;
}

static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
}

int irx_cmd_plugins(int argc, char **argv)
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
	struct listing l = {0};
	size_t ndirs = 0;
	int c = 0, rc = IRX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "P:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (irx_cli_add_plugin_dir(&common, "plugins", optarg) < 0)
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
	if (optind + 1 < argc) {
		irx_cli_error("plugins", "unexpected argument '%s'", argv[optind + 1]);
		return IRX_EXIT_INVALID;
	}
	/* A mistyped --plugin-dir would otherwise just list nothing from it. */
	for (size_t i = 0; i < common.plugin_dir_count; i++) {
		struct stat st;

		if (stat(common.plugin_dirs[i], &st) < 0)
			irx_cli_error("plugins", "warning: plugin directory '%s': %s",
				      common.plugin_dirs[i], strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			irx_cli_error("plugins", "warning: '%s' is not a directory",
				      common.plugin_dirs[i]);
	}
	ndirs = irx_cli_plugin_path(&common, dirs, MAX_PLUGIN_DIRS, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(false));

	if (optind < argc) {
		struct irx_error err = {0};
		const struct irx_loaded_plugin *lp = irx_plugins_load(plugins, argv[optind], &err);

		if (!lp) {
			irx_cli_error("plugins", "%s", err.message);
			rc = err.code == IRX_ERR_NOT_FOUND ? IRX_EXIT_NOT_FOUND
			     : err.code == IRX_ERR_INVALID ? IRX_EXIT_INVALID
							   : IRX_EXIT_PLUGIN;
			goto out;
		}
		if (common.json) {
			struct json_object *o = plugin_json(lp);

			print_json(o);
			json_object_put(o);
		} else {
			plugin_text(lp, stdout);
		}
		goto out;
	}

	l.json = common.json;
	if (l.json) {
		l.plugins = json_object_new_array();
		l.refused = json_object_new_array();
	}
	irx_plugins_scan(plugins, each, &l);
	if (l.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "plugins", l.plugins);
		json_object_object_add(o, "refused", l.refused);
		print_json(o);
		json_object_put(o);
	} else if (l.shown == 0) {
		fprintf(stderr, "irx plugins: no plugins on the plugin path\n");
	}
out:
	irx_plugins_free(plugins);
	free(dir_store);
	return rc;
}
