/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx policy [--cloudformation]: the IAM policy of the member-account role, from the AWS
 * calls the plugins on the plugin path declare (irx_action.aws_calls) plus the engine's own
 * exception-tag reads. A refused plugin is an error (the policy would miss its calls); an
 * action that declares nothing is named on stderr and contributes nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "host.h"
#include "plugins.h"
#include "policy.h"
#include "util.h"

#define MAX_PLUGIN_DIRS 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: irx policy [--plugin-dir DIR]... [--cloudformation]\n"
		"\n"
		"Prints the IAM policy the role irx assumes in member accounts needs: the AWS\n"
		"calls every plugin on the plugin path declares, as IAM actions, and the\n"
		"engine's exception-tag reads. --cloudformation prints the whole role as a\n"
		"CloudFormation template (tools/cloudformation/member-account-role.yaml).\n"
		"A plugin the loader refuses fails the command (exit 4).\n");
}

struct gather {
	struct irx_policy policy;
	char names[1024];
	int failed;
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

int irx_cmd_policy(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"plugin-dir", required_argument, NULL, 'P'},
	    {"cloudformation", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct irx_cli_common common = {0};
	const char *dirs[MAX_PLUGIN_DIRS];
	char *dir_store = NULL, *text = NULL;
	struct irx_plugins *plugins = NULL;
	struct gather g = {0};
	struct irx_error err = {0};
	bool cfn = false;
	size_t ndirs = 0;
	int c = 0, rc = IRX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "P:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (irx_cli_add_plugin_dir(&common, "policy", optarg) < 0)
				return IRX_EXIT_INVALID;
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
	if (irx_policy_add_calls(&g.policy, irx_policy_engine_calls, &err) < 0) {
		irx_cli_error("policy", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	text = cfn ? irx_policy_cloudformation(&g.policy, g.names) : irx_policy_json(&g.policy);
	fputs(text, stdout);
out:
	free(text);
	irx_plugins_free(plugins);
	irx_policy_release(&g.policy);
	free(dir_store);
	return rc;
}
