/* SPDX-License-Identifier: Apache-2.0 */
/* The irx binary end to end: commands, exit statuses, journals, a crash mid-run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test.h"

static char irx_path[4096];
static char plugin_env[4200];
static char state_env[4200];
static char state_dir[4096];
static char work[4096];

/* Runs irx with args (NULL-terminated) in a fresh state dir per suite. */
static int irx(char **out, char **err, const char *first, ...)
{
	const char *argv[64] = {irx_path};
	const char *env[] = {plugin_env, state_env, "IRX_RUNBOOK_PATH=", NULL};
	size_t n = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return irx_test_run(argv, env, NULL, out, err);
}

/* Writes work/name; the returned path stays valid for the next seven calls. */
static const char *write_file(const char *name, const char *text)
{
	static char paths[8][4200];
	static unsigned next;
	char *path = paths[next++ % 8];

	snprintf(path, sizeof(paths[0]), "%s/%s", work, name);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, text), 0);
	return path;
}

static int setup(void)
{
	snprintf(irx_path, sizeof(irx_path), "%s", irx_test_build("irx"));
	snprintf(plugin_env, sizeof(plugin_env), "IRX_PLUGIN_PATH=%s",
		 irx_test_build("plugins"));
	snprintf(work, sizeof(work), "%s", irx_test_tmpdir());
	snprintf(state_dir, sizeof(state_dir), "%s/state", work);
	snprintf(state_env, sizeof(state_env), "IRX_STATE_DIR=%s", state_dir);
	return 0;
}

static const char good_runbook[] =
	"schemaVersion: '0.3'\n"
	"description: cli test\n"
	"parameters:\n"
	"  TargetArn:\n"
	"    type: String\n"
	"  StateFile:\n"
	"    type: String\n"
	"  Pause:\n"
	"    type: String\n"
	"    default: PT0S\n"
	"mainSteps:\n"
	"  - name: quarantine\n"
	"    action: demo:quarantine\n"
	"    inputs:\n"
	"      TargetArn: '{{ TargetArn }}'\n"
	"      StateFile: '{{ StateFile }}'\n"
	"  - name: pause\n"
	"    action: aws:sleep\n"
	"    inputs:\n"
	"      Duration: '{{ Pause }}'\n"
	"  - name: describe\n"
	"    action: demo:describeEntity\n"
	"    inputs:\n"
	"      TargetArn: '{{ TargetArn }}'\n"
	"      StateFile: '{{ StateFile }}'\n"
	"    outputs:\n"
	"      - Name: Quarantined\n"
	"        Selector: $.Quarantined\n"
	"        Type: Boolean\n"
	"outputs:\n"
	"  - describe.Quarantined\n";

#define ARN1 "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
#define ARN2 "arn:aws:ec2:eu-west-1:210987654321:instance/i-0fedcba9876543210"

static void test_help_and_version(void)
{
	char *out = NULL, *err = NULL;

	CU_ASSERT_EQUAL(irx(&out, &err, "help", NULL), 0);
	IRX_ASSERT_CONTAINS(out, "Exit status:");
	IRX_ASSERT_CONTAINS(out, "  4  a plugin was refused");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(&out, &err, "version", NULL), 0);
	IRX_ASSERT_CONTAINS(out, "irx 0.1.0 (plugin ABI 1.1)");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(&out, &err, "frobnicate", NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx: 'frobnicate' is not an irx command; see 'irx help'\n");
	free(out);
	free(err);
	for (const char *const *c = (const char *const[]){"run", "validate", "list", "describe",
							  "plugins", "show", "executions", NULL};
	     *c; c++) {
		CU_ASSERT_EQUAL(irx(&out, &err, *c, "--help", NULL), 0);
		IRX_ASSERT_CONTAINS(out, "usage: irx ");
		free(out);
		free(err);
	}
}

/* Parses the JSON result of `irx run -o json`. */
static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	CU_ASSERT_PTR_NOT_NULL(o);
	return o;
}

static void test_run_once_per_target(void)
{
	const char *rb = write_file("good.yaml", good_runbook);
	char state_file[4300], param[4400];
	char *out = NULL, *err = NULL;
	struct json_object *res = NULL;

	snprintf(state_file, sizeof(state_file), "%s/entities.json", work);
	snprintf(param, sizeof(param), "StateFile=%s", state_file);
	CU_ASSERT_EQUAL(irx(&out, &err, "run", rb, "-p", param, "--target", ARN1, "--target",
			    ARN2, "-o", "json", NULL),
			0);
	res = parse(out);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(res), 2);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *r = json_object_array_get_idx(res, i), *v = NULL;

		json_object_object_get_ex(r, "AutomationExecutionStatus", &v);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "Success");
		json_object_object_get_ex(r, "TargetArn", &v);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(v), i == 0 ? ARN1 : ARN2);
		json_object_object_get_ex(r, "Outputs", &v);
		CU_ASSERT_STRING_EQUAL(json_object_to_json_string(v),
				       "{ \"describe.Quarantined\": true }");
	}
	IRX_ASSERT_CONTAINS(err, "irx: running 'good' on " ARN1);
	json_object_put(res);
	free(out);
	free(err);

	/* the state the plugin changed */
	{
		char *text = NULL;
		char *argv_cat[] = {"/bin/cat", state_file, NULL};

		CU_ASSERT_EQUAL(irx_test_run((const char *const *)argv_cat, NULL, NULL, &text,
					     NULL),
				0);
		IRX_ASSERT_CONTAINS(text, ARN1);
		IRX_ASSERT_CONTAINS(text, ARN2);
		free(text);
	}

	/* the executions are listed, newest first, and show in the SSM shape */
	CU_ASSERT_EQUAL(irx(&out, &err, "executions", "-o", "json", NULL), 0);
	res = parse(out);
	{
		struct json_object *list = NULL, *first = NULL, *id = NULL;
		char idbuf[64] = "";
		char *sout = NULL, *serr = NULL;
		struct json_object *shown = NULL, *ae = NULL, *steps = NULL, *v = NULL;

		json_object_object_get_ex(res, "AutomationExecutionMetadataList", &list);
		CU_ASSERT_TRUE_FATAL(json_object_array_length(list) >= 2);
		first = json_object_array_get_idx(list, 0);
		json_object_object_get_ex(first, "AutomationExecutionId", &id);
		snprintf(idbuf, sizeof(idbuf), "%s", json_object_get_string(id));
		CU_ASSERT_EQUAL(irx(&sout, &serr, "show", idbuf, "--output", "json", NULL), 0);
		shown = parse(sout);
		json_object_object_get_ex(shown, "AutomationExecution", &ae);
		json_object_object_get_ex(ae, "AutomationExecutionStatus", &v);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "Success");
		json_object_object_get_ex(ae, "StepExecutions", &steps);
		CU_ASSERT_EQUAL(json_object_array_length(steps), 3);
		json_object_object_get_ex(json_object_array_get_idx(steps, 0), "StepName", &v);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "quarantine");
		json_object_put(shown);
		free(sout);
		free(serr);
		CU_ASSERT_EQUAL(irx(&sout, &serr, "show", idbuf, NULL), 0);
		IRX_ASSERT_CONTAINS(sout, "Status      Success");
		IRX_ASSERT_CONTAINS(sout, "demo:describeEntity");
		free(sout);
		free(serr);
	}
	json_object_put(res);
	free(out);
	free(err);
}

static void test_exit_statuses(void)
{
	const char *rb = write_file("good2.yaml", good_runbook);
	const char *bad = write_file("bad.yaml", "schemaVersion: '0.3'\n"
						 "mainSteps:\n"
						 "  - name: a\n"
						 "    action: aws:executeScript\n"
						 "  - name: a\n"
						 "    action: nosuch:thing\n");
	char *out = NULL, *err = NULL;

	/* a missing required parameter: invalid input, nothing runs */
	CU_ASSERT_EQUAL(irx(&out, &err, "run", rb, "--target", ARN1, NULL), 2);
	IRX_ASSERT_CONTAINS(err, "StateFile");
	free(out);
	free(err);
	/* an unknown parameter */
	CU_ASSERT_EQUAL(irx(&out, &err, "run", rb, "-p", "Nope=1", "--target", ARN1, NULL), 2);
	IRX_ASSERT_CONTAINS(err, "Nope");
	free(out);
	free(err);
	/* a target that is not an ARN */
	CU_ASSERT_EQUAL(irx(&out, &err, "run", rb, "-p", "StateFile=/dev/null", "--target",
			    "i-0abc", NULL),
			2);
	CU_ASSERT_STRING_EQUAL(err,
			       "irx run: target 'i-0abc' is not an ARN: arn must start with 'arn:'\n");
	free(out);
	free(err);
	/* no such runbook */
	CU_ASSERT_EQUAL(irx(&out, &err, "run", "no-such-runbook", NULL), 3);
	CU_ASSERT_STRING_EQUAL(err, "irx run: no runbook 'no-such-runbook' (see 'irx list')\n");
	free(out);
	free(err);
	/* an invalid runbook: every error at once, with positions, exit 2 */
	CU_ASSERT_EQUAL(irx(&out, &err, "validate", bad, NULL), 2);
	IRX_ASSERT_CONTAINS(err, ":4:13: action 'aws:executeScript' is not supported by irx");
	IRX_ASSERT_CONTAINS(err, ":5:11: duplicate step name 'a'");
	IRX_ASSERT_CONTAINS(err, ":6:13: unknown action 'nosuch:thing'");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(&out, &err, "run", bad, NULL), 2);
	IRX_ASSERT_CONTAINS(err, "is not valid; nothing was run");
	free(out);
	free(err);
	/* show: an unknown and a malformed id */
	CU_ASSERT_EQUAL(irx(&out, &err, "show", "00000000-0000-4000-8000-000000000000", NULL), 3);
	IRX_ASSERT_CONTAINS(err, "no execution '00000000-0000-4000-8000-000000000000'");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(&out, &err, "show", "../../etc/passwd", NULL), 2);
	free(out);
	free(err);
}

static void test_failed_run_exit_1(void)
{
	const char *rb = write_file("fails.yaml", good_runbook);
	const char *corrupt = write_file("corrupt.json", "this is not json");
	char param[4400];
	char *out = NULL, *err = NULL;

	/* the demo plugin refuses a state file that is not JSON: the step and the run fail */
	snprintf(param, sizeof(param), "StateFile=%s", corrupt);
	CU_ASSERT_EQUAL(irx(&out, &err, "run", rb, "-p", param, "--target", ARN1, NULL), 1);
	IRX_ASSERT_CONTAINS(out, "\tFailed\t");
	IRX_ASSERT_CONTAINS(err, "!! quarantine");
	free(out);
	free(err);
}

static void test_bad_input_files(void)
{
	char *out = NULL, *err = NULL;
	char big[4300];
	int fd = -1;
	const char *bomb = write_file("bomb.yaml", "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
						   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
						   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
						   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
						   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
						   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
						   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n");
	const char *latin1 = write_file("latin1.yaml", "schemaVersion: '0.3'\n"
						       "description: caf\xe9\n");

	CU_ASSERT_EQUAL(irx(&out, &err, "validate", bomb, NULL), 2);
	IRX_ASSERT_CONTAINS(err, "too many nodes");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(&out, &err, "validate", latin1, NULL), 2);
	IRX_ASSERT_CONTAINS(err, "latin1.yaml:2:17: invalid UTF-8");
	free(out);
	free(err);

	/* a 50 MB runbook is refused without being read */
	snprintf(big, sizeof(big), "%s/big.yaml", work);
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, 50L * 1024 * 1024), 0);
	close(fd);
	CU_ASSERT_EQUAL(irx(&out, &err, "validate", big, NULL), 2);
	IRX_ASSERT_CONTAINS(err, "runbooks are limited to 4194304 bytes");
	free(out);
	free(err);
}

/* Waits until the newest journal in the state dir mentions `needle`. */
static int wait_for_journal(const char *needle, char *id, size_t idlen)
{
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/executions", state_dir);
	for (int i = 0; i < 500; i++) {
		DIR *d = opendir(dir);
		struct dirent *de = NULL;

		while (d && (de = readdir(d))) {
			char path[4500], *text = NULL;
			FILE *f = NULL;
			long len = 0;

			if (!strstr(de->d_name, ".jsonl"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			fseek(f, 0, SEEK_END);
			len = ftell(f);
			fseek(f, 0, SEEK_SET);
			text = calloc(1, (size_t)len + 1);
			if (fread(text, 1, (size_t)len, f) == (size_t)len && strstr(text, needle)) {
				snprintf(id, idlen, "%.*s", (int)strcspn(de->d_name, "."),
					 de->d_name);
				free(text);
				fclose(f);
				closedir(d);
				return 0;
			}
			free(text);
			fclose(f);
		}
		if (d)
			closedir(d);
		usleep(20000);
	}
	return -1;
}

/* kill -9 mid-run leaves a readable journal; irx show calls the execution interrupted. */
static void test_kill_9_mid_run(void)
{
	const char *rb = NULL;
	char param[4400], id[64] = "";
	char *out = NULL, *err = NULL;
	pid_t pid = 0;
	int status = 0;

	snprintf(state_dir, sizeof(state_dir), "%s/state-kill", work);
	snprintf(state_env, sizeof(state_env), "IRX_STATE_DIR=%s", state_dir);
	rb = write_file("slow.yaml", good_runbook);
	snprintf(param, sizeof(param), "StateFile=%s/kill.json", work);
	pid = fork();
	CU_ASSERT_TRUE_FATAL(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		putenv(plugin_env);
		putenv(state_env);
		execl(irx_path, irx_path, "run", rb, "-p", param, "-p", "Pause=PT1H", "--target",
		      ARN1, (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_EQUAL(wait_for_journal("\"step\":\"pause\"", id, sizeof(id)), 0);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	CU_ASSERT_EQUAL(irx(&out, &err, "show", id, "-o", "json", NULL), 0);
	{
		struct json_object *shown = parse(out), *ae = NULL, *steps = NULL, *v = NULL;

		json_object_object_get_ex(shown, "AutomationExecution", &ae);
		json_object_object_get_ex(ae, "AutomationExecutionStatus", &v);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "Interrupted");
		json_object_object_get_ex(ae, "FailureMessage", &v);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(v),
				       "execution interrupted during step 'pause'");
		json_object_object_get_ex(ae, "StepExecutions", &steps);
		CU_ASSERT_EQUAL_FATAL(json_object_array_length(steps), 2);
		json_object_object_get_ex(json_object_array_get_idx(steps, 0), "StepStatus", &v);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "Success");
		json_object_object_get_ex(json_object_array_get_idx(steps, 1), "StepStatus", &v);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "Interrupted");
		json_object_put(shown);
	}
	free(out);
	free(err);
	snprintf(state_dir, sizeof(state_dir), "%s/state", work);
	snprintf(state_env, sizeof(state_env), "IRX_STATE_DIR=%s", state_dir);
}

static void test_list_and_describe(void)
{
	char *out = NULL, *err = NULL;
	const char *argv[] = {irx_path, "list", NULL};
	char rbenv[4300];
	const char *env[] = {plugin_env, state_env, rbenv, NULL};

	snprintf(rbenv, sizeof(rbenv), "IRX_RUNBOOK_PATH=%s", work);
	write_file("listed.yaml", good_runbook);
	CU_ASSERT_EQUAL(irx_test_run(argv, env, NULL, &out, &err), 0);
	IRX_ASSERT_CONTAINS(out, "listed");
	IRX_ASSERT_CONTAINS(out, "cli test");
	free(out);
	free(err);
	{
		const char *dargv[] = {irx_path, "describe", "listed", NULL};

		CU_ASSERT_EQUAL(irx_test_run(dargv, env, NULL, &out, &err), 0);
		IRX_ASSERT_CONTAINS(out, "TargetArn");
		IRX_ASSERT_CONTAINS(out, "demo:quarantine");
		free(out);
		free(err);
	}
}

static void test_dry_run_changes_nothing(void)
{
	const char *rb = write_file("dry.yaml", good_runbook);
	char state_file[4300], param[4400];
	char *out = NULL, *err = NULL;
	struct stat st;

	snprintf(state_file, sizeof(state_file), "%s/dry-state.json", work);
	snprintf(param, sizeof(param), "StateFile=%s", state_file);
	CU_ASSERT_EQUAL(irx(&out, &err, "run", rb, "-p", param, "--target", ARN1, "--dry-run",
			    NULL),
			0);
	IRX_ASSERT_CONTAINS(err, "dry run: nothing will change");
	IRX_ASSERT_CONTAINS(err, "would quarantine");
	CU_ASSERT_EQUAL(stat(state_file, &st), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	free(out);
	free(err);
}

/* The README's runbook example is a real runbook: it validates with the shipped plugins. */
static void test_readme_example_validates(void)
{
	char *readme = NULL, *out = NULL, *err = NULL;
	const char *start = NULL, *end = NULL;
	char *example = NULL;
	const char *path = NULL;
	size_t len = 0;
	FILE *f = fopen(irx_test_src("README.md"), "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_TRUE_FATAL(getdelim(&readme, &len, '\0', f) > 0);
	fclose(f);
	start = strstr(readme, "```yaml\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(start);
	start += strlen("```yaml\n");
	end = strstr(start, "```\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	example = strndup(start, (size_t)(end - start));
	path = write_file("readme-example.yaml", example);
	CU_ASSERT_EQUAL(irx(&out, &err, "validate", path, NULL), 0);
	CU_ASSERT_STRING_EQUAL(err, "0 errors in 1 runbook\n");
	free(out);
	free(err);
	free(example);
	free(readme);
}

static CU_TestInfo tests[] = {
	{"help, version, unknown command", test_help_and_version},
	{"run once per target, executions, show", test_run_once_per_target},
	{"exit statuses for bad input", test_exit_statuses},
	{"a failed run exits 1", test_failed_run_exit_1},
	{"alias bomb, non-UTF-8, 50 MB runbook", test_bad_input_files},
	{"kill -9 mid-run leaves a readable journal", test_kill_9_mid_run},
	{"list and describe", test_list_and_describe},
	{"dry run changes nothing", test_dry_run_changes_nothing},
	{"the README's runbook example validates", test_readme_example_validates},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("cli", tests, setup, NULL)
