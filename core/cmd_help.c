/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char exit_codes[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  an execution ran and failed or timed out\n"
	"  2  invalid input: usage, runbook, parameters\n"
	"  3  not found: runbook, execution or plugin\n"
	"  4  a plugin was refused (the message says which file and why)\n"
	"  5  internal error: cannot write the journal, out of resources\n";

int irx_cmd_help(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "help") != 0) {
		for (const struct irx_command *c = irx_commands; c->name; c++)
			if (strcmp(c->name, argv[1]) == 0) {
				char *args[] = {argv[1], "--help", NULL};

				return c->fn(2, args);
			}
		fprintf(stderr, "irx help: no command '%s'\n", argv[1]);
		return IRX_EXIT_INVALID;
	}
	printf("usage: irx <command> [options] [arguments]\n\n"
	       "irx runs incident-response runbooks (SSM Automation documents, schemaVersion\n"
	       "'0.3') whose actions are built-in aws:* actions or plugins.\n\n"
	       "Commands:\n");
	for (const struct irx_command *c = irx_commands; c->name; c++)
		printf("  %-15s %s\n", c->name, c->summary);
	printf("\n'irx <command> --help' shows a command's options.\n\n"
	       "Environment: IRX_STATE_DIR (journals), IRX_PLUGIN_PATH, IRX_RUNBOOK_PATH\n"
	       "(colon-separated search paths).\n\n%s",
	       exit_codes);
	return IRX_EXIT_OK;
}
