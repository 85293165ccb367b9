/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx schedule run: a foreground scheduler (for systemd or a container) that runs the drills the
 * configuration's `schedules:` name when their cron expressions come due, each as a child
 * `irx drill SCENARIO` process; at most one drill per scenario at a time (a fire while one runs
 * is skipped and logged; `irx drill` also holds a per-scenario lock against other schedulers and
 * hand runs); a run missed while the scheduler was down runs once at start (schedule.h).
 * SIGTERM / SIGINT: no new drill starts, running ones finish (their teardown matters), exit 0.
 *
 * irx schedule install --systemd|--cron [--dir DIR]: the same schedules as systemd timer and
 * service units (Persistent=true: missed runs once) or crontab lines, on stdout or into DIR.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "cron.h"
#include "diag.h"
#include "error.h"
#include "journal.h"
#include "schedule.h"
#include "util.h"

#define MAX_SCHEDULES 256

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct sched {
	const struct irx_config_schedule *cfg;
	struct irx_cron cron;
	char *scenario; /* absolute when it names a file */
	pid_t child;
	time_t started;
};

struct sched_options {
	const char *config;
	const char *state_dir;
	const char *dir;
	bool once;
	bool sim;
	bool systemd, cron;
	const char *const *extra; /* passed to irx drill */
};

static void usage(FILE *out)
{
	fputs("usage: irx schedule run [--config FILE] [--state-dir DIR] [--once] [--sim]\n"
	      "       irx schedule install --systemd|--cron [--dir DIR] [--config FILE]\n"
	      "       irx schedule list [--config FILE] [--state-dir DIR]\n\n"
	      "Runs the drills the configuration's 'schedules:' name when their cron expressions\n"
	      "come due: 'run' in the foreground (one drill per scenario at a time; a run missed\n"
	      "while it was down runs once at start; --once runs what is due now and exits);\n"
	      "'install' writes systemd timer and service units or crontab lines instead (stdout,\n"
	      "or files in --dir); 'list' shows each schedule's last and next run.\n",
	      out);
}

/* A scenario that names a file, made absolute (cron and systemd do not run in this directory);
 * a name on the drill path stays a name. */
static char *scenario_arg(const char *scenario, const struct irx_config *cfg)
{
	char buf[PATH_MAX] = "";

	if (!strchr(scenario, '/'))
		return irx_xstrdup(scenario);
	if (scenario[0] != '/' && cfg->path) {
		/* relative to the directory of the configuration file first */
		char *dir = irx_xstrdup(cfg->path), *slash = strrchr(dir, '/');
		char *p = NULL;

		if (slash) {
			*slash = '\0';
			p = irx_xasprintf("%s/%s", dir, scenario);
			if (realpath(p, buf)) {
				free(p);
				free(dir);
				return irx_xstrdup(buf);
			}
			free(p);
		}
		free(dir);
	}
	if (realpath(scenario, buf))
		return irx_xstrdup(buf);
	return irx_xstrdup(scenario);
}

static size_t load(const struct sched_options *o, struct irx_config **cfg, struct sched *s)
{
	struct irx_diags diags = {0};
	size_t n = 0;

	if (!(*cfg = irx_config_open(o->config, &diags))) {
		irx_diags_print(&diags, stderr);
		irx_cli_error("schedule", "the configuration is not valid");
		irx_diags_release(&diags);
		return (size_t)-1;
	}
	irx_diags_release(&diags);
	for (size_t i = 0; i < (*cfg)->schedule_count && n < MAX_SCHEDULES; i++) {
		const struct irx_config_schedule *c = &(*cfg)->schedules[i];
		char why[256] = "";

		if (!c->enabled)
			continue;
		if (irx_cron_parse(c->cron, &s[n].cron, why, sizeof(why)) < 0) {
			irx_cli_error("schedule", "schedule '%s': %s", c->name, why);
			continue;
		}
		s[n].cfg = c;
		s[n].scenario = scenario_arg(c->scenario, *cfg);
		n++;
	}
	return n;
}

static void release(struct sched *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].scenario);
}

static void stamp(time_t t, char buf[32])
{
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, 32, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M %Z", &tm);
}

/* Starts `irx drill SCENARIO` for s. Returns the child's pid or -1. */
static pid_t spawn(const struct sched *s, const struct sched_options *o, const char *state_dir)
{
	char self[PATH_MAX] = "";
	const char *argv[16] = {0};
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t n = 0;
	pid_t pid = 0;

	if (len <= 0)
		return -1;
	self[len] = '\0';
	argv[n++] = self;
	argv[n++] = "drill";
	argv[n++] = s->scenario;
	argv[n++] = "--quiet";
	argv[n++] = "--state-dir";
	argv[n++] = state_dir;
	if (o->sim)
		argv[n++] = "--sim";
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT,
		       SIG_IGN); /* a Ctrl-C stops the scheduler, not a drill mid-teardown */
		execv(self, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Reaps finished drills; true when any child still runs. */
static bool reap(struct sched *s, size_t n, bool block)
{
	bool running = false;

	for (size_t i = 0; i < n; i++) {
		int status = 0;
		pid_t r = 0;

		if (s[i].child <= 0)
			continue;
		r = waitpid(s[i].child, &status, block ? 0 : WNOHANG);
		if (r == s[i].child) {
			int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

			fprintf(stderr, "irx schedule: '%s': drill %s (exit %d, %lld s)\n",
				s[i].cfg->name,
				code == 0   ? "passed"
				: code == 1 ? "failed"
					    : "could not run",
				code, (long long)(time(NULL) - s[i].started));
			/* another schedule of the same scenario may have waited on it */
			for (size_t j = 0; j < n; j++)
				if (s[j].child == s[i].child)
					s[j].child = 0;
		} else if (r < 0 && errno == EINTR) {
			running = true;
		} else {
			running = true;
		}
	}
	return running;
}

static bool scenario_busy(const struct sched *s, size_t n, const char *scenario)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].child > 0 && !strcmp(s[i].scenario, scenario))
			return true;
	return false;
}

static int run(const struct sched_options *o)
{
	struct irx_config *cfg = NULL;
	struct sched s[MAX_SCHEDULES];
	struct irx_error err = {0};
	struct json_object *state = NULL;
	char *state_dir = NULL;
	size_t n = 0;
	int rc = IRX_EXIT_OK;
	struct sigaction sa = {0};

	memset(s, 0, sizeof(s));
	if ((n = load(o, &cfg, s)) == (size_t)-1)
		return IRX_EXIT_INVALID;
	if (!(state_dir = irx_state_dir_resolve(o->state_dir ? o->state_dir : cfg->state_dir))) {
		irx_cli_error("schedule", "no state directory: set --state-dir or IRX_STATE_DIR");
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	mkdir(state_dir, 0700);
	if (!(state = irx_schedule_state_load(state_dir, &err))) {
		irx_cli_error("schedule", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	if (n == 0)
		fprintf(stderr, "irx schedule: no enabled schedules in the configuration\n");
	/* first sight of a schedule: from now on (nothing before was missed) */
	for (size_t i = 0; i < n; i++)
		if (irx_schedule_last(state, s[i].cfg->name) == 0)
			irx_schedule_set_last(state, s[i].cfg->name, s[i].scenario, time(NULL));
	if (irx_schedule_state_save(state_dir, state, &err) < 0) {
		irx_cli_error("schedule", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping) {
		time_t now = time(NULL), wake = now + 60;

		reap(s, n, false);
		for (size_t i = 0; i < n; i++) {
			time_t last = irx_schedule_last(state, s[i].cfg->name);
			time_t due = irx_schedule_due(&s[i].cron, last, now);
			char when[32] = "";

			if (due < 0)
				continue;
			if (due > now) {
				if (due < wake)
					wake = due;
				continue;
			}
			stamp(last, when);
			if (scenario_busy(s, n, s[i].scenario)) {
				fprintf(stderr,
					"irx schedule: '%s': skipped: a drill of '%s' is "
					"still running\n",
					s[i].cfg->name, s[i].scenario);
			} else if ((s[i].child = spawn(&s[i], o, state_dir)) < 0) {
				s[i].child = 0;
				irx_cli_error("schedule", "'%s': cannot start a drill: %s",
					      s[i].cfg->name, strerror(errno));
			} else {
				s[i].started = now;
				fprintf(
				    stderr, "irx schedule: '%s': drill '%s' started (pid %d)%s%s\n",
				    s[i].cfg->name, s[i].scenario, (int)s[i].child,
				    irx_cron_next(&s[i].cron, last) < now - 60 ? "; missed since "
									       : "",
				    irx_cron_next(&s[i].cron, last) < now - 60 ? when : "");
			}
			irx_schedule_set_last(state, s[i].cfg->name, s[i].scenario, now);
			if (irx_schedule_state_save(state_dir, state, &err) < 0) {
				irx_cli_error("schedule", "%s", err.message);
				irx_error_clear(&err);
			}
		}
		if (o->once)
			break;
		/* sleep in short slices: a finished child or a signal is noticed quickly */
		while (!stopping && time(NULL) < wake) {
			struct timespec ts = {.tv_sec = 1};

			nanosleep(&ts, NULL);
			reap(s, n, false);
		}
	}
	if (stopping)
		fprintf(stderr, "irx schedule: stopping; waiting for running drills\n");
	reap(s, n, true);
out:
	json_object_put(state);
	release(s, n);
	irx_config_free(cfg);
	free(state_dir);
	return rc;
}

static int list(const struct sched_options *o)
{
	struct irx_config *cfg = NULL;
	struct sched s[MAX_SCHEDULES];
	struct irx_error err = {0};
	struct json_object *state = NULL;
	char *state_dir = NULL;
	size_t n = 0;
	time_t now = time(NULL);

	memset(s, 0, sizeof(s));
	if ((n = load(o, &cfg, s)) == (size_t)-1)
		return IRX_EXIT_INVALID;
	state_dir = irx_state_dir_resolve(o->state_dir ? o->state_dir : cfg->state_dir);
	state = state_dir ? irx_schedule_state_load(state_dir, &err) : NULL;
	printf("%-24s  %-16s  %-22s  %-22s  %s\n", "NAME", "CRON", "LAST", "NEXT", "SCENARIO");
	for (size_t i = 0; i < n; i++) {
		time_t last = state ? irx_schedule_last(state, s[i].cfg->name) : 0;
		char a[32] = "", b[32] = "";

		stamp(last, a);
		stamp(irx_schedule_due(&s[i].cron, last, now), b);
		printf("%-24s  %-16s  %-22s  %-22s  %s\n", s[i].cfg->name, s[i].cfg->cron, a, b,
		       s[i].scenario);
	}
	json_object_put(state);
	release(s, n);
	irx_config_free(cfg);
	free(state_dir);
	return IRX_EXIT_OK;
}

/* Single quotes for sh (cron) and for systemd's ExecStart= (both accept '...'). */
static char *quote(const char *s)
{
	size_t n = 2;
	char *out = NULL, *p = NULL;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	out = p = irx_xmalloc(n + 1);
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}

/* "a-b_c" for unit names: anything else becomes '-'. */
static void unit_name(const char *name, char *out, size_t len)
{
	size_t i = 0;

	for (; name[i] && i + 1 < len; i++) {
		char c = name[i];

		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || c == '_' || c == '-'
			     ? c
			     : '-';
	}
	out[i] = '\0';
}

static int emit(const char *dir, const char *file, const char *text)
{
	char *path = NULL;
	FILE *f = NULL;
	int rc = 0;

	if (!dir) {
		printf("# --- %s\n%s\n", file, text);
		return 0;
	}
	path = irx_xasprintf("%s/%s", dir, file);
	if (!(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f) != 0) {
		irx_cli_error("schedule", "cannot write '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
		rc = -1;
	} else {
		fprintf(stderr, "irx schedule: wrote %s\n", path);
	}
	free(path);
	return rc;
}

static int install(const struct sched_options *o)
{
	struct irx_config *cfg = NULL;
	struct sched s[MAX_SCHEDULES];
	char self[PATH_MAX] = "";
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *state_dir = NULL, *qself = NULL, *qstate = NULL, *crontab = NULL;
	size_t n = 0;
	int rc = IRX_EXIT_OK;

	memset(s, 0, sizeof(s));
	if (len <= 0) {
		irx_cli_error("schedule", "cannot tell where the irx binary is");
		return IRX_EXIT_INTERNAL;
	}
	self[len] = '\0';
	if ((n = load(o, &cfg, s)) == (size_t)-1)
		return IRX_EXIT_INVALID;
	if (o->dir && mkdir(o->dir, 0755) < 0 && errno != EEXIST) {
		irx_cli_error("schedule", "cannot create '%s': %s", o->dir, strerror(errno));
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	state_dir = irx_state_dir_resolve(o->state_dir ? o->state_dir : cfg->state_dir);
	qself = quote(self);
	qstate = state_dir ? quote(state_dir) : NULL;
	crontab = irx_xstrdup("# irx scheduled drills (irx schedule install --cron)\n");
	for (size_t i = 0; i < n; i++) {
		char unit[256] = "", cal[2][1024];
		char *qscen = quote(s[i].scenario), *cmd = NULL, *t = NULL;
		size_t k = irx_schedule_oncalendar(&s[i].cron, cal);

		unit_name(s[i].cfg->name, unit, sizeof(unit));
		cmd = irx_xasprintf("%s drill %s --quiet%s%s%s", qself, qscen,
				    qstate ? " --state-dir " : "", qstate ? qstate : "",
				    o->sim ? " --sim" : "");
		if (o->cron) {
			/* '%' is a newline to cron: the command has none, scenario paths might */
			char *esc = irx_xstrdup(cmd);
			char *line = NULL;

			if (strchr(esc, '%')) {
				free(esc);
				irx_cli_error("schedule", "'%s': cron cannot run a path with '%%'",
					      s[i].cfg->name);
				rc = IRX_EXIT_INVALID;
				free(cmd);
				free(qscen);
				continue;
			}
			line = irx_xasprintf("%s# %s\n%s %s\n", crontab, s[i].cfg->name,
					     s[i].cfg->cron, esc);
			free(crontab);
			crontab = line;
			free(esc);
		} else {
			char *file = irx_xasprintf("irx-drill-%s.service", unit);

			t = irx_xasprintf(
			    "[Unit]\nDescription=irx drill '%s' (%s)\n"
			    "Wants=network-online.target\nAfter=network-online.target\n\n"
			    "[Service]\nType=oneshot\nExecStart=%s\n",
			    s[i].cfg->name, s[i].scenario, cmd);
			if (emit(o->dir, file, t) < 0)
				rc = IRX_EXIT_INTERNAL;
			free(t);
			free(file);
			file = irx_xasprintf("irx-drill-%s.timer", unit);
			t = irx_xasprintf(
			    "[Unit]\nDescription=irx drill '%s': cron '%s'\n\n[Timer]\n"
			    "OnCalendar=%s\n%s%s%s"
			    "Persistent=true\nUnit=irx-drill-%s.service\n\n"
			    "[Install]\nWantedBy=timers.target\n",
			    s[i].cfg->name, s[i].cfg->cron, cal[0], k > 1 ? "OnCalendar=" : "",
			    k > 1 ? cal[1] : "", k > 1 ? "\n" : "", unit);
			if (emit(o->dir, file, t) < 0)
				rc = IRX_EXIT_INTERNAL;
			free(t);
			free(file);
		}
		free(cmd);
		free(qscen);
	}
	if (o->cron && emit(o->dir, "irx-drills.crontab", crontab) < 0)
		rc = IRX_EXIT_INTERNAL;
	if (n == 0)
		fprintf(stderr, "irx schedule: no enabled schedules in the configuration\n");
out:
	free(crontab);
	free(qself);
	free(qstate);
	free(state_dir);
	release(s, n);
	irx_config_free(cfg);
	return rc;
}

int irx_cmd_schedule(int argc, char **argv)
{
	enum { OPT_STATE = 256, OPT_ONCE, OPT_SIM, OPT_SYSTEMD, OPT_CRON, OPT_DIR };
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"once", no_argument, NULL, OPT_ONCE},
	    {"sim", no_argument, NULL, OPT_SIM},
	    {"systemd", no_argument, NULL, OPT_SYSTEMD},
	    {"cron", no_argument, NULL, OPT_CRON},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sched_options o = {0};
	const char *verb = argc > 1 ? argv[1] : NULL;
	int c = 0;

	if (!verb || !strcmp(verb, "--help") || !strcmp(verb, "-h")) {
		usage(verb ? stdout : stderr);
		return verb ? IRX_EXIT_OK : IRX_EXIT_INVALID;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case OPT_STATE:
			o.state_dir = optarg;
			break;
		case OPT_ONCE:
			o.once = true;
			break;
		case OPT_SIM:
			o.sim = true;
			break;
		case OPT_SYSTEMD:
			o.systemd = true;
			break;
		case OPT_CRON:
			o.cron = true;
			break;
		case OPT_DIR:
			o.dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return IRX_EXIT_OK;
		default:
			usage(stderr);
			return IRX_EXIT_INVALID;
		}
	}
	if (optind < argc - 1) {
		irx_cli_error("schedule", "unexpected argument '%s'", argv[optind + 1]);
		return IRX_EXIT_INVALID;
	}
	if (!strcmp(verb, "run"))
		return run(&o);
	if (!strcmp(verb, "list"))
		return list(&o);
	if (!strcmp(verb, "install")) {
		if (o.systemd == o.cron) {
			irx_cli_error("schedule", "install: give one of --systemd or --cron");
			return IRX_EXIT_INVALID;
		}
		return install(&o);
	}
	irx_cli_error("schedule", "unknown subcommand '%s' (run, install or list)", verb);
	return IRX_EXIT_INVALID;
}
