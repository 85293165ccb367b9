/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers the subcommands share: search paths, runbook lookup, output format, messages. */
#include "cli.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor.h"
#include "fleet.h"
#include "util.h"

#define MAX_RUNBOOK_DIRS 32

bool irx_cli_progress_tty(void)
{
	return isatty(STDERR_FILENO) == 1;
}

void irx_cli_progress(void *ud, enum irx_step_event ev, const char *step, const char *action, const char *status,
		      long long duration_ms, const char *message)
{
	const bool *tty = ud;

	if (ev == IRX_STEP_STARTED) {
		if (tty && *tty)
			fprintf(stderr, "  .. %-32s %-28s running", step, action);
		return;
	}
	if (tty && *tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "  %s %-32s %-28s %-9s %6lld ms%s%s\n",
		strcmp(status, "Success") == 0	 ? "ok"
		: strcmp(status, "Skipped") == 0 ? "--"
						 : "!!",
		step, action, status, duration_ms, message && *message ? "  " : "",
		message ? message : "");
}

void irx_cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "irx %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int irx_cli_parse_output(const char *value, bool *json)
{
	if (strcmp(value, "json") == 0)
		*json = true;
	else if (strcmp(value, "text") == 0)
		*json = false;
	else {
		fprintf(stderr, "irx: unknown output format '%s' (use 'text' or 'json')\n", value);
		return -1;
	}
	return 0;
}

/* Splits a colon-separated list into dirs (pointing into the copy stored in *store). */
static size_t split_path(char *copy, const char **dirs, size_t n, size_t max)
{
	char *save = NULL;

	for (char *tok = strtok_r(copy, ":", &save); tok && n < max;
	     tok = strtok_r(NULL, ":", &save))
		if (*tok)
			dirs[n++] = tok;
	return n;
}

int irx_cli_add_plugin_dir(struct irx_cli_common *c, const char *cmd, const char *dir)
{
	if (c->plugin_dir_count == sizeof(c->plugin_dirs) / sizeof(c->plugin_dirs[0])) {
		irx_cli_error(cmd, "too many --plugin-dir options");
		return -1;
	}
	c->plugin_dirs[c->plugin_dir_count++] = dir;
	return 0;
}

size_t irx_cli_plugin_path(const struct irx_cli_common *c, const char **dirs, size_t max,
			   char **store)
{
	const char *env = getenv("IRX_PLUGIN_PATH");
	size_t n = 0;

	*store = NULL;
	for (size_t i = 0; c && i < c->plugin_dir_count && n < max; i++)
		dirs[n++] = c->plugin_dirs[i];
	if (env && *env) {
		*store = irx_xstrdup(env);
		n = split_path(*store, dirs, n, max);
	}
	if (n < max)
		dirs[n++] = IRX_PLUGIN_DIR;
	return n;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_runbook_file(const char *name)
{
	return has_suffix(name, ".yaml") || has_suffix(name, ".yml") || has_suffix(name, ".json");
}

static size_t runbook_dirs(const char **dirs, size_t max, char **store)
{
	const char *env = getenv("IRX_RUNBOOK_PATH");
	size_t n = 0;

	*store = NULL;
	dirs[n++] = "runbooks";
	if (env && *env) {
		*store = irx_xstrdup(env);
		n = split_path(*store, dirs, n, max);
	}
	if (n < max)
		dirs[n++] = IRX_RUNBOOK_DIR;
	return n;
}

static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *irx_cli_find_runbook(const char *name_or_path)
{
	static const char *const exts[] = {".yaml", ".yml", ".json"};
	const char *dirs[MAX_RUNBOOK_DIRS];
	char *store = NULL, *found = NULL;
	size_t n = 0;

	if (strchr(name_or_path, '/') || is_runbook_file(name_or_path))
		return is_regular(name_or_path) ? irx_xstrdup(name_or_path) : NULL;
	n = runbook_dirs(dirs, MAX_RUNBOOK_DIRS, &store);
	for (size_t i = 0; i < n && !found; i++)
		for (size_t e = 0; e < sizeof(exts) / sizeof(exts[0]) && !found; e++) {
			char *p = irx_xasprintf("%s/%s%s", dirs[i], name_or_path, exts[e]);

			if (is_regular(p))
				found = p;
			else
				free(p);
		}
	free(store);
	return found;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void irx_cli_each_runbook(void (*fn)(void *ud, const char *name, const char *path), void *ud)
{
	const char *dirs[MAX_RUNBOOK_DIRS];
	char *store = NULL;
	char **seen = NULL;
	size_t n = runbook_dirs(dirs, MAX_RUNBOOK_DIRS, &store), nseen = 0;

	for (size_t i = 0; i < n; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de = NULL;
		char **names = NULL;
		size_t count = 0;

		if (!d)
			continue;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' && is_runbook_file(de->d_name)) {
				names = irx_xrealloc(names, (count + 1) * sizeof(*names));
				names[count++] = irx_xstrdup(de->d_name);
			}
		closedir(d);
		qsort(names, count, sizeof(*names), cmp_str);
		for (size_t k = 0; k < count; k++) {
			char *name = irx_xstrndup(names[k], strrchr(names[k], '.') - names[k]);
			char *path = irx_xasprintf("%s/%s", dirs[i], names[k]);
			bool shadowed = false;

			for (size_t s = 0; s < nseen && !shadowed; s++)
				shadowed = strcmp(seen[s], name) == 0;
			if (!shadowed && is_regular(path)) {
				fn(ud, name, path);
				seen = irx_xrealloc(seen, (nseen + 1) * sizeof(*seen));
				seen[nseen++] = name;
				name = NULL;
			}
			free(name);
			free(path);
			free(names[k]);
		}
		free(names);
	}
	for (size_t s = 0; s < nseen; s++)
		free(seen[s]);
	free(seen);
	free(store);
}

int irx_cli_parse_bound(const char *cmd, const char *option, const char *value, unsigned *out)
{
	char *end = NULL;
	long n = strtol(value, &end, 10);

	if (*end || end == value || n < 1 || n > IRX_FLEET_MAX_CONCURRENCY) {
		irx_cli_error(cmd, "--%s must be 1..%d, got '%s'", option, IRX_FLEET_MAX_CONCURRENCY,
			      value);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

void irx_cli_fleet_done(void *ud, const struct irx_fleet_result *r, size_t done, size_t total)
{
	(void)ud;
	fprintf(stderr, "irx: [%zu/%zu] %-9s %s %s %lld ms%s%s\n", done, total,
		irx_fleet_outcome_name(r->outcome), r->arn, r->execution_id[0] ? r->execution_id : "-",
		r->duration_ms, r->reason ? ": " : "", r->reason ? r->reason : "");
}

void irx_cli_fleet_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	(void)ud;
	fprintf(stderr, "irx: %s: %s: %s\n", level >= IRX_LOG_ERROR ? "error" : "warning",
		step ? step : "fleet", message);
}
