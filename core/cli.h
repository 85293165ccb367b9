/* SPDX-License-Identifier: Apache-2.0 */
/* What the subcommands (core/cmd_*.c) share: exit codes, option helpers, lookups. */
#ifndef IRX_CLI_H
#define IRX_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "executor.h"

struct irx_plugins;
struct irx_host;

/* Exit statuses, documented in `irx help` and the README. Numbers never change. */
enum irx_exit {
	IRX_EXIT_OK = 0,        /* success */
	IRX_EXIT_FAILED = 1,    /* an execution ran and failed (or timed out) */
	IRX_EXIT_INVALID = 2,   /* invalid input: usage, runbook, parameters */
	IRX_EXIT_NOT_FOUND = 3, /* no such runbook, execution or plugin */
	IRX_EXIT_PLUGIN = 4,    /* a plugin was refused */
	IRX_EXIT_INTERNAL = 5,  /* cannot write the journal, out of resources */
};

typedef int irx_cmd_fn(int argc, char **argv);

struct irx_command {
	const char *name;
	irx_cmd_fn *fn;
	const char *summary;
};

/* The command table (core/main.c). */
extern const struct irx_command irx_commands[];

int irx_cmd_run(int argc, char **argv);
int irx_cmd_validate(int argc, char **argv);
int irx_cmd_list(int argc, char **argv);
int irx_cmd_describe(int argc, char **argv);
int irx_cmd_plugins(int argc, char **argv);
int irx_cmd_show(int argc, char **argv);
int irx_cmd_rollback(int argc, char **argv);
int irx_cmd_resume(int argc, char **argv);
int irx_cmd_executions(int argc, char **argv);
int irx_cmd_route(int argc, char **argv);
int irx_cmd_config(int argc, char **argv);
int irx_cmd_version(int argc, char **argv);
int irx_cmd_help(int argc, char **argv);
int irx_cmd_serve(int argc, char **argv);
int irx_cmd_policy(int argc, char **argv);
int irx_cmd_poll(int argc, char **argv);
int irx_cmd_lambda_runtime(int argc, char **argv);
int irx_cmd_drill(int argc, char **argv);
int irx_cmd_schedule(int argc, char **argv);

/* Options several commands share; filled by irx_cli_common_option. */
struct irx_cli_common {
	const char *state_dir;      /* --state-dir */
	const char *plugin_dirs[16]; /* --plugin-dir, repeatable */
	size_t plugin_dir_count;
	bool json;                  /* --output json */
};

/* Adds a --plugin-dir; -1 (message printed, naming cmd) when there are too many. */
int irx_cli_add_plugin_dir(struct irx_cli_common *c, const char *cmd, const char *dir);

/*
 * The plugin search path: --plugin-dir entries, IRX_PLUGIN_PATH (colon-
 * separated), then the install location. Fills dirs (strings owned by *store,
 * free it with free()); returns the count.
 */
size_t irx_cli_plugin_path(const struct irx_cli_common *c, const char **dirs, size_t max,
			   char **store);

/*
 * The runbook search path: ./runbooks, IRX_RUNBOOK_PATH (colon-separated), the
 * install location. Resolves a name ("ec2-isolate") or a path (contains '/' or
 * ends in .yaml/.yml/.json) to a file. Returns a new string or NULL.
 */
char *irx_cli_find_runbook(const char *name_or_path);
/* Calls fn(ud, name, path) for every runbook on the path; earlier entries shadow later ones. */
void irx_cli_each_runbook(void (*fn)(void *ud, const char *name, const char *path), void *ud);

/* "--output json|text" parsing; returns 0 or -1 (message printed). */
int irx_cli_parse_output(const char *value, bool *json);

/*
 * Step progress on stderr, for irx_exec_options.progress: one line per finished step
 * ("ok", "--" skipped, "!!" otherwise), with a "running" line updated in place when ud points
 * to a true bool (stderr is a terminal: see irx_cli_progress_tty).
 */
void irx_cli_progress(void *ud, enum irx_step_event ev, const char *step, const char *action, const char *status,
		      long long duration_ms, const char *message);
bool irx_cli_progress_tty(void);

/*
 * --concurrency / --per-account / --per-region of a fleet command: 1..IRX_FLEET_MAX_CONCURRENCY
 * into *out. Returns 0, or -1 with "irx <cmd>: --<option> must be 1..256, got 'x'" printed.
 */
int irx_cli_parse_bound(const char *cmd, const char *option, const char *value, unsigned *out);

struct irx_fleet_result;
/* A fleet's progress on stderr, for irx_fleet_options.done: one line per ended execution. */
void irx_cli_fleet_done(void *ud, const struct irx_fleet_result *r, size_t done, size_t total);
/* Plugins' warnings and errors during a fleet, for irx_fleet_options.log. */
void irx_cli_fleet_log(void *ud, enum irx_log_level level, const char *step, const char *message);

/* Prints "irx <cmd>: <message>" to stderr. */
void irx_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
