/* SPDX-License-Identifier: Apache-2.0 */
/* Running the irx binary from a test suite (irx_cli_harness.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irx_cli_harness.h"
#include "test.h"

#define MAX_ARGS 60

void irx_cli_init(struct irx_cli *cli, const struct irx_sim *sim)
{
	memset(cli, 0, sizeof(*cli));
	cli->sim = sim;
	snprintf(cli->dir, sizeof(cli->dir), "%s", irx_test_tmpdir());
	irx_cli_use_state(cli, "state");
	irx_cli_use_plugins(cli, "plugins");
}

void irx_cli_use_state(struct irx_cli *cli, const char *name)
{
	snprintf(cli->state_dir, sizeof(cli->state_dir), "%s/%s", cli->dir, name);
}

void irx_cli_use_plugins(struct irx_cli *cli, const char *rel)
{
	snprintf(cli->plugin_path, sizeof(cli->plugin_path), "%s", irx_test_build(rel));
}

const char *irx_cli_path(const struct irx_cli *cli, const char *name)
{
	static char p[4][1024];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", cli->dir, name);
	return p[k];
}

const char *const *irx_cli_env(struct irx_cli *cli)
{
	const char *const *base = irx_sim_env(cli->sim);
	size_t n = 0;

	snprintf(cli->plugin_env, sizeof(cli->plugin_env), "IRX_PLUGIN_PATH=%s", cli->plugin_path);
	snprintf(cli->state_env, sizeof(cli->state_env), "IRX_STATE_DIR=%s", cli->state_dir);
	for (; base[n] && n < sizeof(cli->env) / sizeof(cli->env[0]) - 4; n++)
		cli->env[n] = base[n];
	cli->env[n++] = cli->plugin_env;
	cli->env[n++] = cli->state_env;
	/* empty: only ./runbooks and the installed directory, whatever the caller has set */
	cli->env[n++] = "IRX_RUNBOOK_PATH=";
	cli->env[n] = NULL;
	return cli->env;
}

int irx_cli_runv(struct irx_cli *cli, const char *const *args, char **out, char **err)
{
	const char *argv[MAX_ARGS + 2] = {0};
	char irx_path[4096] = "";
	size_t n = 0;
	int status = 0;

	snprintf(irx_path, sizeof(irx_path), "%s", irx_test_build("irx"));
	argv[n++] = irx_path;
	for (; args[n - 1]; n++) {
		if (n > MAX_ARGS) {
			CU_FAIL_FATAL("too many arguments for irx_cli_run");
		}
		argv[n] = args[n - 1];
	}
	status = irx_test_run(argv, irx_cli_env(cli), NULL, out, err);
	if (getenv("IRX_TEST_VERBOSE")) {
		fprintf(stderr, "\n$ irx");
		for (size_t i = 1; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, " -> %d\n%s%s", status, *out, *err);
	}
	return status;
}

int irx_cli_run(struct irx_cli *cli, char **out, char **err, ...)
{
	const char *args[MAX_ARGS + 1] = {0};
	size_t n = 0;
	va_list ap;

	va_start(ap, err);
	for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
		if (n == MAX_ARGS) {
			va_end(ap);
			CU_FAIL_FATAL("too many arguments for irx_cli_run");
		}
		args[n++] = a;
	}
	va_end(ap);
	return irx_cli_runv(cli, args, out, err);
}
