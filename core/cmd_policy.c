/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx policy [--runbook NAME|FILE]... [--cloudformation]: the IAM policy of the member-account
 * role, from the AWS calls the plugins on the plugin path and the built-in actions declare
 * (irx_action.aws_calls), the calls the runbooks' aws:executeAwsApi /
 * aws:waitForAwsResourceProperty / aws:assertAwsResourceProperty steps name (every runbook
 * on the runbook path unless --runbook names some), and the engine's own exception-tag reads.
 * A refused plugin (exit 4) or a runbook that does not validate (exit 2) is an error: the
 * policy would miss its calls. An action that declares nothing, or a step whose call is
 * templated, is named on stderr as a warning and contributes nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "cli.h"
#include "diag.h"
#include "error.h"
#include "host.h"
#include "plugins.h"
#include "policy.h"
#include "runbook.h"
#include "util.h"

#define MAX_PLUGIN_DIRS 64
#define MAX_RUNBOOKS 256

static void usage(FILE *out)
{
	fprintf(out,
		"usage: irx policy [--plugin-dir DIR]... [--runbook NAME|FILE]... "
		"[--cloudformation]\n"
		"\n"
		"Prints the IAM policy the role irx assumes in member accounts needs, as IAM\n"
		"actions: the AWS calls every plugin on the plugin path and the built-in actions\n"
		"(aws:runCommand) declare, the calls the runbooks' aws:executeAwsApi,\n"
		"aws:waitForAwsResourceProperty and aws:assertAwsResourceProperty steps name,\n"
		"and the engine's exception-tag reads. A step whose Service or Api is a template\n"
		"is named as a warning: its call is known only at run time and is not granted.\n"
		"\n"
		"  --plugin-dir DIR   look for plugins in DIR first (repeatable)\n"
		"  --runbook NAME     only this runbook (a name on the runbook path or a file;\n"
		"                     repeatable); default: every runbook on the runbook path\n"
		"  --cloudformation   print the whole role as a CloudFormation template\n"
		"                     (tools/cloudformation/member-account-role.yaml)\n"
		"\n"
		"Exit status: 0 printed, 2 a runbook does not validate, 3 a runbook was not\n"
		"found or no plugin declares its calls, 4 a plugin was refused.\n");
}

struct gather {
	struct irx_policy policy;
	struct irx_actions *actions;
	char names[1024];
	char *runbooks; /* "aws-inventory, ec2-isolate": the runbooks read */
	size_t runbook_count;
	int failed;
	bool invalid; /* a runbook did not validate, or names an unknown call */
};

static void each(void *ud, const char *path, const struct irx_loaded_plugin *lp,
		 const struct irx_error *err)
{
	struct gather *g = ud;
	struct irx_error perr = {0};
	bool declared = false;
	size_t n = strlen(g->names);

	if (!lp) {
		irx_cli_error("policy", "%s", err ? err->message : path);
		g->failed = 1;
		return;
	}
	for (const struct irx_action *a = lp->desc.actions; a->name; a++) {
		if (a->aws_calls)
			declared = true;
		else
			irx_cli_error("policy",
				      "warning: action '%s:%s' does not declare its AWS calls; "
				      "nothing is granted for it",
				      lp->desc.name, a->name);
	}
	if (irx_policy_add_plugin(&g->policy, &lp->desc, &perr) < 0) {
		irx_cli_error("policy", "%s", perr.message);
		g->failed = 1;
		return;
	}
	if (declared)
		snprintf(g->names + n, sizeof(g->names) - n, "%s%s", n ? ", " : "", lp->desc.name);
}

/* "file:line:col: warning: message" */
static void print_warnings(const struct irx_diags *d)
{
	for (size_t i = 0; i < d->count; i++)
		fprintf(stderr, "%s:%u:%u: warning: %s\n", d->items[i].file, d->items[i].line,
			d->items[i].col, d->items[i].message);
}

/* Adds a runbook name to the header's list once. */
static void note_runbook(struct gather *g, const char *name)
{
	char *old = g->runbooks;
	size_t n = strlen(name);

	for (const char *s = old; s && *s;) {
		size_t k = strcspn(s, ",");

		if (k == n && strncmp(s, name, n) == 0)
			return;
		s += k;
		while (*s == ',' || *s == ' ')
			s++;
	}
	g->runbooks = old ? irx_xasprintf("%s, %s", old, name) : irx_xstrdup(name);
	g->runbook_count++;
	free(old);
}

static void add_runbook(struct gather *g, const char *path)
{
	struct irx_diags diags = {0}, warnings = {0};
	struct irx_runbook *rb = irx_runbook_load(path, &diags);

	if (rb)
		irx_runbook_validate(rb, g->actions, &diags);
	if (rb && !diags.count) {
		irx_policy_add_runbook(&g->policy, rb, &warnings, &diags);
		print_warnings(&warnings);
	}
	if (diags.count) {
		irx_diags_print(&diags, stderr);
		g->invalid = true;
	} else if (!rb) {
		irx_cli_error("policy", "cannot read runbook '%s'", path);
		g->invalid = true;
	} else {
		note_runbook(g, rb->name);
	}
	irx_runbook_free(rb);
	irx_diags_release(&warnings);
	irx_diags_release(&diags);
}

static void each_runbook(void *ud, const char *name, const char *path)
{
	(void)name;
	add_runbook(ud, path);
}

int irx_cmd_policy(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"plugin-dir", required_argument, NULL, 'P'},
	    {"runbook", required_argument, NULL, 'r'},
	    {"cloudformation", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct irx_cli_common common = {0};
	const char *dirs[MAX_PLUGIN_DIRS];
	const char *runbooks[MAX_RUNBOOKS];
	char *dir_store = NULL, *text = NULL;
	struct irx_plugins *plugins = NULL;
	struct gather g = {0};
	struct irx_error err = {0};
	bool cfn = false, missing = false;
	size_t ndirs = 0, nrunbooks = 0;
	int c = 0, rc = IRX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "P:r:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (irx_cli_add_plugin_dir(&common, "policy", optarg) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'r':
			if (nrunbooks == MAX_RUNBOOKS) {
				irx_cli_error("policy", "more than %d --runbook options",
					      MAX_RUNBOOKS);
				return IRX_EXIT_INVALID;
			}
			runbooks[nrunbooks++] = optarg;
			break;
		case 'c':
			cfn = true;
			break;
		case 'h':
			usage(stdout);
			return IRX_EXIT_OK;
		default:
			usage(stderr);
			return IRX_EXIT_INVALID;
		}
	}
	if (optind < argc) {
		irx_cli_error("policy", "unexpected argument '%s'", argv[optind]);
		return IRX_EXIT_INVALID;
	}
	irx_policy_init(&g.policy);
	ndirs = irx_cli_plugin_path(&common, dirs, MAX_PLUGIN_DIRS, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(false));
	irx_plugins_scan(plugins, each, &g);
	if (g.failed) {
		rc = IRX_EXIT_PLUGIN;
		goto out;
	}
	if (!g.names[0]) {
		irx_cli_error("policy", "no plugin on the plugin path declares its AWS calls");
		rc = IRX_EXIT_NOT_FOUND;
		goto out;
	}
	if (irx_policy_add_builtins(&g.policy, &err) < 0 ||
	    irx_policy_add_calls(&g.policy, irx_policy_engine_calls, &err) < 0) {
		irx_cli_error("policy", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	g.actions = irx_actions_new(plugins);
	for (size_t i = 0; i < nrunbooks; i++) {
		char *path = irx_cli_find_runbook(runbooks[i]);

		if (path)
			add_runbook(&g, path);
		else
			irx_cli_error("policy", "no runbook '%s' (see 'irx list')", runbooks[i]);
		missing |= !path;
		free(path);
	}
	if (!nrunbooks)
		irx_cli_each_runbook(each_runbook, &g);
	if (g.invalid || missing) {
		rc = g.invalid ? IRX_EXIT_INVALID : IRX_EXIT_NOT_FOUND;
		goto out;
	}
	if (!nrunbooks && !g.runbook_count)
		irx_cli_error("policy", "warning: no runbook on the runbook path; only the calls "
					"the plugins and built-in actions declare are granted");
	text = cfn ? irx_policy_cloudformation(&g.policy, g.names, g.runbooks)
		   : irx_policy_json(&g.policy);
	fputs(text, stdout);
out:
	free(text);
	free(g.runbooks);
	irx_actions_free(g.actions);
	irx_plugins_free(plugins);
	irx_policy_release(&g.policy);
	free(dir_store);
	return rc;
}
