/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx drill SCENARIO [--sim]: rehearse a containment on decoys (core/drill.h) and write a report
 * (JSON, JUnit XML, HTML); irx drill check SCENARIO...: validate scenarios; irx drill history:
 * past runs.
 *
 * --sim starts the local AWS simulator (tools/awssim) on a free port of 127.0.0.1 for the run:
 * the script is $IRX_AWSSIM, else found relative to the irx binary (../tools/awssim/awssim,
 * ../../tools/awssim/awssim from a build directory, ../share/irx/awssim/awssim installed), run
 * with /usr/bin/python3 (IRX_PYTHON overrides). Every AWS call then goes to it as the seeded
 * account 111111111111.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "actions.h"
#include "aws/client.h"
#include "cli.h"
#include "diag.h"
#include "drill.h"
#include "error.h"
#include "host.h"
#include "journal.h"
#include "plugins.h"
#include "util.h"

#define SIM_START_TIMEOUT_MS 30000

struct drill_options {
	struct irx_cli_common common;
	bool sim;
	const char *report_dir;
	const char *region;
	const char *profile;
	bool quiet;
};

static void usage(FILE *out)
{
	fputs(
	    "usage: irx drill SCENARIO [options]\n"
	    "       irx drill check SCENARIO...\n"
	    "       irx drill history [SCENARIO] [--limit N] [--output json]\n\n"
	    "Runs a drill scenario (a name in ./drills, IRX_DRILL_PATH or the installed drills,\n"
	    "or a file): creates the decoys (setup), runs the runbook against them, checks the\n"
	    "end state (assertions) and always removes the decoys (teardown). Writes\n"
	    "report.json, junit.xml and report.html; exits 0 when every assertion held.\n\n"
	    "  --sim                 run against the local simulator (tools/awssim; IRX_AWSSIM)\n"
	    "  --report-dir DIR      where the report goes (default: the state directory's\n"
	    "                        drills/reports/SCENARIO-TIME)\n"
	    "  --region REGION       AWS region (else the scenario's, AWS_REGION, the profile's)\n"
	    "  --profile NAME        AWS profile\n"
	    "  --state-dir DIR       journals and drill history (IRX_STATE_DIR, ...)\n"
	    "  --plugin-dir DIR      search DIR for plugins first (repeatable)\n"
	    "  -q, --quiet           no per-step progress\n"
	    "  -o, --output text|json\n",
	    out);
}

static void on_progress(void *ud, const char *phase, const char *name, const char *status,
			long long ms, const char *message)
{
	const struct drill_options *o = ud;

	if (o->quiet)
		return;
	fprintf(stderr, "  %s %-9s %-40s %-8s %6lld ms%s%s\n",
		!strcmp(status, "passed")    ? "ok"
		: !strcmp(status, "skipped") ? "--"
					     : "!!",
		phase, name, status, ms, message && *message ? "  " : "", message ? message : "");
}

static void on_step(void *ud, enum irx_step_event ev, const char *step, const char *action,
		    const char *status, long long ms, const char *message)
{
	const struct drill_options *o = ud;

	if (o->quiet || ev != IRX_STEP_FINISHED)
		return;
	fprintf(stderr, "     step    %-40s %-8s %6lld ms%s%s\n", step, status, ms,
		message && *message ? "  " : "", message ? message : "");
}

/* Plugin log lines: warnings and errors only, the drill's own progress says the rest. */
static void on_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	const struct drill_options *o = ud;

	if (!o->quiet && level >= IRX_LOG_WARN)
		irx_host_stderr_log(NULL, level, step, message);
}

/* --- the simulator ------------------------------------------------------------------------ */

struct sim {
	pid_t pid;
	char dir[PATH_MAX];
	char url[64];
};

static char *find_awssim(void)
{
	static const char *const rel[] = {"../tools/awssim/awssim", "../../tools/awssim/awssim",
					  "../share/irx/awssim/awssim", NULL};
	const char *env = getenv("IRX_AWSSIM");
	char self[PATH_MAX] = "";
	ssize_t n = 0;
	char *slash = NULL;

	if (env && *env)
		return irx_xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')))
		*slash = '\0';
	for (size_t i = 0; rel[i]; i++) {
		char *p = irx_xasprintf("%s/%s", self, rel[i]);

		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

static void sim_stop(struct sim *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->dir[0]) {
		char *pf = irx_xasprintf("%s/port", s->dir);

		unlink(pf);
		free(pf);
		rmdir(s->dir);
		s->dir[0] = '\0';
	}
}

/* Starts awssim and points this process's AWS settings at it. Returns 0 or -1 (reported). */
static int sim_start(struct sim *s)
{
	const char *py = getenv("IRX_PYTHON");
	const char *tmp = getenv("TMPDIR");
	char *script = find_awssim(), *pf = NULL, *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (!script) {
		irx_cli_error("drill",
			      "--sim: cannot find the simulator (tools/awssim/awssim); set "
			      "IRX_AWSSIM to its path");
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "%s/irx-drill-sim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		irx_cli_error("drill", "--sim: cannot create a directory in '%s': %s",
			      tmp && *tmp ? tmp : "/tmp", strerror(errno));
		s->dir[0] = '\0';
		goto out;
	}
	pf = irx_xasprintf("%s/port", s->dir);
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0) {
		s->pid = 0;
		irx_cli_error("drill", "--sim: fork: %s", strerror(errno));
		goto out;
	}
	if (s->pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl(py && *py ? py : "/usr/bin/python3", "python3", script, "--port-file", pf,
		      (char *)NULL);
		_exit(127);
	}
	for (long long deadline = irx_now_ms() + SIM_START_TIMEOUT_MS; irx_now_ms() < deadline;) {
		/* the simulator renames the port file into place, newline-terminated */
		if (irx_read_file(pf, 64, &text, &len) == 0 && len > 0 && text[len - 1] == '\n') {
			snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", atoi(text));
			rc = 0;
			break;
		}
		free(text);
		text = NULL;
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			break;
		}
		usleep(50000);
	}
	if (rc < 0) {
		irx_cli_error("drill", "--sim: the simulator '%s' did not start", script);
		goto out;
	}
	setenv("AWS_ENDPOINT_URL", s->url, 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	if (!getenv("AWS_REGION"))
		setenv("AWS_REGION", "us-east-1", 1);
out:
	if (rc < 0)
		sim_stop(s);
	free(text);
	free(pf);
	free(script);
	return rc;
}

/* --- one drill ---------------------------------------------------------------------------- */

/* One drill of a scenario at a time (scheduled or by hand): a lock in the state directory. */
static int lock_scenario(const char *state_dir, const char *name, int *fd)
{
	char *dir = irx_xasprintf("%s/drills/locks", state_dir);
	char *path = irx_xasprintf("%s/%s.lock", dir, name);
	char *parent = irx_xasprintf("%s/drills", state_dir);
	int rc = -1;

	mkdir(state_dir, 0700);
	mkdir(parent, 0700);
	mkdir(dir, 0700);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		irx_cli_error("drill", "cannot open '%s': %s", path, strerror(errno));
	} else if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		irx_cli_error("drill", "a drill of '%s' is already running (%s)", name, path);
		close(*fd);
		*fd = -1;
	} else {
		rc = 0;
	}
	free(dir);
	free(path);
	free(parent);
	return rc;
}

static char *default_report_dir(const char *state_dir, struct json_object *report)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32] = "";

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	return irx_xasprintf("%s/drills/reports/%s-%s-%s", state_dir,
			     json_object_get_string(json_object_object_get(report, "scenario")),
			     stamp,
			     json_object_get_string(json_object_object_get(report, "run_id")));
}

static int run_drill(const char *scenario, struct drill_options *o)
{
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct irx_drill *d = NULL;
	struct irx_drill_options dopts = {0};
	struct irx_aws_client_options copts = {0};
	struct irx_aws_client *aws = NULL;
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	struct json_object *report = NULL;
	struct sim sim = {0};
	const char *dirs[64];
	char *path = irx_drill_find(scenario), *rb_path = NULL, *state_dir = NULL;
	char *dir_store = NULL, *report_dir = NULL;
	size_t ndirs = 0;
	int rc = IRX_EXIT_INVALID, lock = -1;
	bool passed = false;

	if (!path) {
		irx_cli_error("drill",
			      "no drill scenario '%s' (looked in ./drills, IRX_DRILL_PATH "
			      "and the installed drills)",
			      scenario);
		rc = IRX_EXIT_NOT_FOUND;
		goto out;
	}
	if (!(d = irx_drill_load(path, &diags))) {
		irx_diags_print(&diags, stderr);
		fprintf(stderr, "irx drill: '%s' is not valid; nothing was run\n", path);
		goto out;
	}
	if (!(rb_path = irx_cli_find_runbook(d->runbook))) {
		irx_cli_error("drill", "no runbook '%s' (see 'irx list')", d->runbook);
		rc = IRX_EXIT_NOT_FOUND;
		goto out;
	}
	if (!(state_dir = irx_state_dir_resolve(o->common.state_dir))) {
		irx_cli_error("drill", "no state directory: set --state-dir or IRX_STATE_DIR");
		goto out;
	}
	if (lock_scenario(state_dir, d->name, &lock) < 0) {
		rc = IRX_EXIT_FAILED;
		goto out;
	}
	if (o->sim && sim_start(&sim) < 0) {
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	copts.region = o->region ? o->region : d->region;
	copts.profile = o->profile;
	if (!(aws = irx_aws_client_new(&copts, &err))) {
		irx_cli_error("drill", "%s", err.message);
		goto out;
	}
	ndirs = irx_cli_plugin_path(&o->common, dirs, 64, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(true));
	actions = irx_actions_new(plugins);
	dopts.aws = aws;
	dopts.actions = actions;
	dopts.runbook_path = rb_path;
	dopts.state_dir = state_dir;
	dopts.mode = o->sim ? "sim" : "aws";
	dopts.wait_interval_ms = o->sim ? 100 : 0; /* the simulator's state changes in ms */
	dopts.progress = on_progress;
	dopts.progress_ud = o;
	dopts.step_progress = on_step;
	dopts.step_progress_ud = o;
	dopts.log = on_log;
	dopts.log_ud = o;
	if (!o->quiet)
		fprintf(stderr, "irx: drill '%s' (runbook '%s') against %s\n", d->name, d->runbook,
			o->sim ? sim.url : "AWS");
	if (irx_drill_run(d, &dopts, &report, &err) < 0) {
		irx_cli_error("drill", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	passed = json_object_get_boolean(json_object_object_get(report, "passed"));
	report_dir =
	    o->report_dir ? irx_xstrdup(o->report_dir) : default_report_dir(state_dir, report);
	irx_error_clear(&err);
	if (irx_drill_report_write(report, report_dir, &err) < 0) {
		irx_cli_error("drill", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	irx_error_clear(&err);
	if (irx_drill_history_append(state_dir, report, report_dir, &err) < 0)
		irx_cli_error("drill", "the run is not in the history: %s", err.message);
	if (o->common.json) {
		json_object_object_add(report, "report_dir", json_object_new_string(report_dir));
		printf("%s\n",
		       json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		struct json_object *ttc = json_object_object_get(report, "time_to_contain_ms");
		struct json_object *fail = json_object_object_get(report, "failure");

		printf("%s\t%s\ttime-to-contain %s%s\t%s%s%s\n", d->name,
		       passed ? "PASSED" : "FAILED", ttc ? json_object_get_string(ttc) : "-",
		       ttc ? " ms" : "", report_dir, fail ? "\t" : "",
		       fail ? json_object_get_string(fail) : "");
	}
	if (!json_object_get_boolean(json_object_object_get(report, "teardown_clean")))
		fprintf(stderr, "irx drill: the teardown left decoys behind; see %s/report.html\n",
			report_dir);
	rc = passed ? IRX_EXIT_OK : IRX_EXIT_FAILED;
out:
	json_object_put(report);
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	irx_aws_client_free(aws);
	sim_stop(&sim);
	if (lock >= 0)
		close(lock);
	irx_drill_free(d);
	irx_diags_release(&diags);
	free(report_dir);
	free(dir_store);
	free(state_dir);
	free(rb_path);
	free(path);
	return rc;
}

/* irx drill check SCENARIO...: every problem of every file, exit 2 if any. */
static int check_drills(int argc, char **argv)
{
	int rc = IRX_EXIT_OK;

	if (argc < 1) {
		irx_cli_error("drill", "check: no scenario named");
		return IRX_EXIT_INVALID;
	}
	for (int i = 0; i < argc; i++) {
		struct irx_diags diags = {0};
		char *path = irx_drill_find(argv[i]);
		struct irx_drill *d = path ? irx_drill_load(path, &diags) : NULL;

		if (!path) {
			irx_cli_error("drill", "no drill scenario '%s'", argv[i]);
			rc = IRX_EXIT_NOT_FOUND > rc ? IRX_EXIT_NOT_FOUND : rc;
		} else if (!d) {
			irx_diags_print(&diags, stderr);
			rc = IRX_EXIT_INVALID > rc ? IRX_EXIT_INVALID : rc;
		} else {
			printf("%s\tok\t%s\n", path, d->runbook);
		}
		irx_drill_free(d);
		irx_diags_release(&diags);
		free(path);
	}
	return rc;
}

static int history(int argc, char **argv)
{
	enum { OPT_STATE = 256, OPT_LIMIT };
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct irx_error err = {0};
	struct json_object *h = NULL;
	const char *state = NULL, *scenario = NULL;
	char *state_dir = NULL, *end = NULL;
	bool json = false;
	long limit = 0;
	size_t n = 0, first = 0;
	int c = 0, rc = IRX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE:
			state = optarg;
			break;
		case OPT_LIMIT:
			limit = strtol(optarg, &end, 10);
			if (*end || limit < 1) {
				irx_cli_error(
				    "drill", "--limit must be a positive number, got '%s'", optarg);
				return IRX_EXIT_INVALID;
			}
			break;
		case 'o':
			if (irx_cli_parse_output(optarg, &json) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'h':
			usage(stdout);
			return IRX_EXIT_OK;
		default:
			usage(stderr);
			return IRX_EXIT_INVALID;
		}
	}
	if (optind < argc)
		scenario = argv[optind++];
	if (optind < argc) {
		irx_cli_error("drill", "history: unexpected argument '%s'", argv[optind]);
		return IRX_EXIT_INVALID;
	}
	if (!(state_dir = irx_state_dir_resolve(state))) {
		irx_cli_error("drill", "no state directory: set --state-dir or IRX_STATE_DIR");
		return IRX_EXIT_INVALID;
	}
	if (!(h = irx_drill_history_read(state_dir, scenario, &err))) {
		irx_cli_error("drill", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	n = json_object_array_length(h);
	first = limit > 0 && (size_t)limit < n ? n - (size_t)limit : 0;
	if (json) {
		struct json_object *out = json_object_new_array();

		for (size_t i = first; i < n; i++)
			json_object_array_add(out,
					      json_object_get(json_object_array_get_idx(h, i)));
		printf("%s\n", json_object_to_json_string_ext(
				   out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
		goto out;
	}
	printf("%-24s  %-28s  %-6s  %-4s  %16s\n", "TIME", "SCENARIO", "RESULT", "MODE",
	       "TIME-TO-CONTAIN");
	for (size_t i = first; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(h, i);
		struct json_object *ttc = json_object_object_get(e, "time_to_contain_ms");
		char t[32] = "-";

		if (ttc)
			snprintf(t, sizeof(t), "%lld ms", (long long)json_object_get_int64(ttc));
		printf("%-24s  %-28s  %-6s  %-4s  %16s\n",
		       json_object_get_string(json_object_object_get(e, "time")),
		       json_object_get_string(json_object_object_get(e, "scenario")),
		       json_object_get_boolean(json_object_object_get(e, "passed")) ? "pass"
										    : "FAIL",
		       json_object_get_string(json_object_object_get(e, "mode")), t);
	}
	if (n == 0)
		fprintf(stderr, "irx drill: no drills in the history yet%s%s\n",
			scenario ? " for " : "", scenario ? scenario : "");
out:
	json_object_put(h);
	free(state_dir);
	return rc;
}

int irx_cmd_drill(int argc, char **argv)
{
	enum { OPT_SIM = 256, OPT_REPORT, OPT_REGION, OPT_PROFILE, OPT_STATE, OPT_PLUGIN };
	static const struct option opts[] = {
	    {"sim", no_argument, NULL, OPT_SIM},
	    {"report-dir", required_argument, NULL, OPT_REPORT},
	    {"region", required_argument, NULL, OPT_REGION},
	    {"profile", required_argument, NULL, OPT_PROFILE},
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"plugin-dir", required_argument, NULL, OPT_PLUGIN},
	    {"quiet", no_argument, NULL, 'q'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct drill_options o = {0};
	int c = 0;

	if (argc > 1 && !strcmp(argv[1], "history"))
		return history(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "check"))
		return check_drills(argc - 2, argv + 2);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qo:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SIM:
			o.sim = true;
			break;
		case OPT_REPORT:
			o.report_dir = optarg;
			break;
		case OPT_REGION:
			o.region = optarg;
			break;
		case OPT_PROFILE:
			o.profile = optarg;
			break;
		case OPT_STATE:
			o.common.state_dir = optarg;
			break;
		case OPT_PLUGIN:
			if (irx_cli_add_plugin_dir(&o.common, "drill", optarg) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'o':
			if (irx_cli_parse_output(optarg, &o.common.json) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'h':
			usage(stdout);
			return IRX_EXIT_OK;
		default:
			usage(stderr);
			return IRX_EXIT_INVALID;
		}
	}
	if (optind >= argc) {
		irx_cli_error("drill", "no scenario named; see 'irx drill --help'");
		return IRX_EXIT_INVALID;
	}
	if (optind + 1 < argc) {
		irx_cli_error("drill", "unexpected argument '%s'", argv[optind + 1]);
		return IRX_EXIT_INVALID;
	}
	return run_drill(argv[optind], &o);
}
