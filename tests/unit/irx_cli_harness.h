/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running the irx binary from a test suite against the simulator (sim_harness.h): the suite's
 * working directory (runbooks, targets files, configurations), the child's environment (the
 * simulator's irx_sim_env plus IRX_PLUGIN_PATH, IRX_STATE_DIR and an empty IRX_RUNBOOK_PATH) and
 * a runner taking the arguments as varargs or as an array.
 */
#ifndef IRX_CLI_HARNESS_H
#define IRX_CLI_HARNESS_H

#include "sim_harness.h"

/* One per suite (static storage); all of it is the suite's, the simulator is borrowed. */
struct irx_cli {
	const struct irx_sim *sim;
	char dir[512];		/* the suite's working directory (irx_test_tmpdir) */
	char state_dir[1024];	/* IRX_STATE_DIR: dir/state unless irx_cli_use_state */
	char plugin_path[4096]; /* IRX_PLUGIN_PATH: $IRX_TEST_BUILD/plugins unless
				   irx_cli_use_plugins */
	/* the child's environment, rebuilt by irx_cli_env */
	char state_env[1100], plugin_env[4200];
	const char *env[64];
};

/* A fresh working directory, the default state directory and plugins, talking to sim. */
void irx_cli_init(struct irx_cli *cli, const struct irx_sim *sim);

/* The state directory dir/name (a fresh one per scenario keeps listings simple). */
void irx_cli_use_state(struct irx_cli *cli, const char *name);

/* The plugin path $IRX_TEST_BUILD/rel ("plugins", or "tests/plugins" for testkit). */
void irx_cli_use_plugins(struct irx_cli *cli, const char *rel);

/* dir/name, in one of four static buffers (so a call may take four paths). */
const char *irx_cli_path(const struct irx_cli *cli, const char *name);

/* The child's environment for irx_test_run: valid until the next call for this cli. */
const char *const *irx_cli_env(struct irx_cli *cli);

/*
 * irx ARGS (NULL-terminated: at most 60) in the child's environment. Returns its exit status
 * (128+signal when killed); *out and *err are its stdout and stderr (caller frees).
 * IRX_TEST_VERBOSE=1 prints each command and what it wrote.
 */
int irx_cli_run(struct irx_cli *cli, char **out, char **err, ...);

/* The same with the arguments in a NULL-terminated array. */
int irx_cli_runv(struct irx_cli *cli, const char *const *args, char **out, char **err);

#endif
