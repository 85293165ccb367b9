/* SPDX-License-Identifier: Apache-2.0 */
/* irx: an incident-response runbook executor for AWS. Dispatches to core/cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct irx_command irx_commands[] = {
	{"run", irx_cmd_run, "run a runbook against one or more targets"},
	{"validate", irx_cmd_validate, "check runbooks without running them"},
	{"list", irx_cmd_list, "list the runbooks on the runbook path"},
	{"describe", irx_cmd_describe, "show a runbook's parameters, steps and actions"},
	{"plugins", irx_cmd_plugins, "list plugins, their actions and parameters"},
	{"show", irx_cmd_show, "show one execution"},
	{"executions", irx_cmd_executions, "list executions"},
	{"version", irx_cmd_version, "print the version"},
	{"help", irx_cmd_help, "show help for irx or a command"},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "help";

	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	if (strcmp(name, "--version") == 0)
		name = "version";
	for (const struct irx_command *c = irx_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c->fn(argc > 1 ? argc - 1 : 1, argc > 1 ? argv + 1 : argv);
	fprintf(stderr, "irx: '%s' is not an irx command; see 'irx help'\n", name);
	return IRX_EXIT_INVALID;
}
