/* SPDX-License-Identifier: Apache-2.0 */
/* irx: an incident-response runbook executor for AWS. Dispatches to core/cmd_*.c. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"

const struct irx_command irx_commands[] = {
	{"run", irx_cmd_run, "run a runbook against one or more targets"},
	{"validate", irx_cmd_validate, "check runbooks without running them"},
	{"list", irx_cmd_list, "list the runbooks on the runbook path"},
	{"describe", irx_cmd_describe, "show a runbook's parameters, steps and actions"},
	{"plugins", irx_cmd_plugins, "list plugins, their actions and parameters"},
	{"show", irx_cmd_show, "show one execution or fleet"},
	{"rollback", irx_cmd_rollback, "undo what an execution or a fleet changed, step by step"},
	{"resume", irx_cmd_resume, "continue an interrupted execution or fleet where it stopped"},
	{"executions", irx_cmd_executions, "list executions (or fleets)"},
	{"route", irx_cmd_route, "show which runbook an event would start, without running it"},
	{"config", irx_cmd_config, "check or show the configuration (irx.yaml)"},
	{"serve", irx_cmd_serve, "verify SNS messages over HTTP and run what they name"},
	{"drill", irx_cmd_drill, "rehearse a containment on decoys and report (JSON, JUnit, HTML)"},
	{"schedule", irx_cmd_schedule, "run scheduled drills, or install them for systemd or cron"},
	{"poll", irx_cmd_poll, "run what the events on an SQS queue name (many workers, one queue)"},
	{"lambda-runtime", irx_cmd_lambda_runtime, "serve AWS Lambda invocations (the 'bootstrap')"},
	{"policy", irx_cmd_policy, "print the member-account IAM policy the plugins and runbooks need"},
	{"version", irx_cmd_version, "print the version"},
	{"help", irx_cmd_help, "show help for irx or a command"},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "help";
	int rc = IRX_EXIT_INVALID;
	bool found = false;

	/* the bootstrap of a Lambda custom runtime: no subcommand */
	if (argc > 0 && (strcmp(argv[0], "bootstrap") == 0 ||
			 (strlen(argv[0]) > 10 && strcmp(strrchr(argv[0], '/') ? strrchr(argv[0], '/') : "",
							 "/bootstrap") == 0))) {
		name = "lambda-runtime";
		argc = 1;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	if (strcmp(name, "--version") == 0)
		name = "version";
	/* before any thread exists: libcurl's global set-up is not thread-safe */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fputs("irx: cannot initialise libcurl\n", stderr);
		return IRX_EXIT_INTERNAL;
	}
	for (const struct irx_command *c = irx_commands; c->name && !found; c++)
		if (strcmp(c->name, name) == 0) {
			found = true;
			rc = c->fn(argc > 1 ? argc - 1 : 1, argc > 1 ? argv + 1 : argv);
		}
	if (!found)
		fprintf(stderr, "irx: '%s' is not an irx command; see 'irx help'\n", name);
	curl_global_cleanup();
	return rc;
}
