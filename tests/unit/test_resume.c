/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx resume: the irx binary is killed with SIGKILL in the middle of a step, then the
 * execution is resumed. Finished steps are not run again (their outputs feed later templates
 * from the journal), the interrupted step runs again only when that is safe (aws:sleep here;
 * testkit:slow is refused without --force), the journal is the same one with a "resume"
 * record, and the result equals an uninterrupted run's. Also: what cannot be resumed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "journal.h"
#include "test.h"
#include "util.h"

static char dir[512], state[600], plugin_env[4200], state_env[700];

/* The sleep step is what the kill interrupts; "first" and "last" are idempotent echoes, and
 * "last" uses first's output. */
static const char safe_rb[] = "schemaVersion: '0.3'\n"
			      "parameters:\n"
			      "  Name: {type: String}\n"
			      "mainSteps:\n"
			      "  - name: first\n"
			      "    action: testkit:echo\n"
			      "    inputs: {Message: '{{ Name }}-1'}\n"
			      "    outputs: [{Name: Msg, Selector: $.Message, Type: String}]\n"
			      "  - name: wait\n"
			      "    action: aws:sleep\n"
			      "    inputs: {Duration: PT4S}\n"
			      "  - name: last\n"
			      "    action: testkit:echo\n"
			      "    inputs: {Message: '{{ first.Msg }}-done'}\n"
			      "    outputs: [{Name: Msg, Selector: $.Message, Type: String}]\n"
			      "outputs: [first.Msg, last.Msg]\n";

static const char unsafe_rb[] = "schemaVersion: '0.3'\n"
				"mainSteps:\n"
				"  - name: first\n"
				"    action: testkit:echo\n"
				"    inputs: {Message: one}\n"
				"    outputs: [{Name: Msg, Selector: $.Message, Type: String}]\n"
				"  - name: slow\n"
				"    action: testkit:slow\n"
				"    inputs: {Millis: 4000}\n"
				"  - name: last\n"
				"    action: testkit:echo\n"
				"    inputs: {Message: '{{ first.Msg }}-two'}\n"
				"    outputs: [{Name: Msg, Selector: $.Message, Type: String}]\n"
				"outputs: [last.Msg]\n";

static const char *rb(const char *name)
{
	static char p[1024];

	snprintf(p, sizeof(p), "%s/%s.yaml", dir, name);
	return p;
}

static const char *const *env(void)
{
	static const char *e[8];

	e[0] = plugin_env;
	e[1] = state_env;
	e[2] = "IRX_RUNBOOK_PATH=";
	e[3] = "IRX_CONFIG";
	e[4] = NULL;
	return e;
}

static int irx(char **out, char **err, const char *a1, const char *a2, const char *a3,
	       const char *a4, const char *a5)
{
	const char *argv[8] = {irx_test_build("irx"), a1, a2, a3, a4, a5, NULL};

	return irx_test_run(argv, env(), NULL, out, err);
}

/* The only journal in the state directory that is not `skip` (static), or "". */
static const char *find_execution(const char *skip)
{
	static char id[64];
	char path[700];
	DIR *d = NULL;
	struct dirent *e = NULL;

	id[0] = '\0';
	snprintf(path, sizeof(path), "%s/executions", state);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n == 36 + 6 && strcmp(e->d_name + 36, ".jsonl") == 0 &&
		    (!skip || strncmp(e->d_name, skip, 36) != 0)) {
			memcpy(id, e->d_name, 36);
			id[36] = '\0';
		}
	}
	if (d)
		closedir(d);
	return id;
}

static struct json_object *records(const char *id)
{
	struct irx_error err = {0};
	int truncated = 0;
	struct json_object *r = irx_journal_read(state, id, &truncated, &err);

	CU_ASSERT_PTR_NOT_NULL(r);
	return r ? r : json_object_new_array();
}

/* Records of type (and step, when given) in the journal. */
static int count(struct json_object *recs, const char *type, const char *step)
{
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);

		if (strcmp(json_object_get_string(json_object_object_get(r, "type")), type) == 0 &&
		    (!step ||
		     strcmp(json_object_get_string(json_object_object_get(r, "step")) ?: "",
			    step) == 0))
			n++;
	}
	return n;
}

/*
 * Starts `irx run RUNBOOK [-p ARG]` and kills it with SIGKILL once its journal shows step
 * `step` started. Returns the execution id (static), "" on failure.
 */
static const char *run_and_kill(const char *runbook, const char *param, const char *step,
				const char *prior)
{
	const char *argv[8] = {irx_test_build("irx"), "run", rb(runbook),
			       param ? "-p" : NULL,   param, NULL};
	const char *id = "";
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		for (const char *const *e = env(); *e; e++)
			if (strchr(*e, '='))
				putenv((char *)*e);
			else
				unsetenv(*e);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		struct json_object *recs = NULL;
		int started = 0;

		id = find_execution(prior);
		if (*id) {
			recs = records(id);
			started = count(recs, "step_start", step);
			json_object_put(recs);
		}
		if (started)
			break;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return id;
}

static int suite_init(void)
{
	snprintf(dir, sizeof(dir), "%s", irx_test_tmpdir());
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(state_env, sizeof(state_env), "IRX_STATE_DIR=%s", state);
	snprintf(plugin_env, sizeof(plugin_env), "IRX_PLUGIN_PATH=%s",
		 irx_test_build("tests/plugins"));
	if (irx_test_write(rb("safe"), safe_rb) < 0 || irx_test_write(rb("unsafe"), unsafe_rb) < 0)
		return -1;
	return 0;
}

static void test_resume_after_kill(void)
{
	char id[64], expect[256];
	char *out = NULL, *err = NULL, *ref_out = NULL, *ref_err = NULL;
	struct json_object *recs = NULL, *last = NULL, *ref = NULL, *res = NULL;
	int status = 0;

	snprintf(id, sizeof(id), "%s", run_and_kill("safe", "Name=alpha", "wait", NULL));
	CU_ASSERT_EQUAL_FATAL(strlen(id), 36);
	recs = records(id);
	CU_ASSERT_EQUAL(count(recs, "execution_end", NULL), 0);
	CU_ASSERT_EQUAL(count(recs, "step_end", "first"), 1);
	json_object_put(recs);

	/* irx show sees it interrupted */
	CU_ASSERT_EQUAL(irx(&out, &err, "show", id, NULL, NULL, NULL), 0);
	IRX_ASSERT_CONTAINS(out, "Interrupted");
	free(out);
	free(err);

	status = irx(&out, &err, "resume", id, "-o", "json", NULL);
	if (status != 0)
		fprintf(stderr, "\n  irx resume -> %d\n%s%s\n", status, out, err);
	CU_ASSERT_EQUAL(status, 0);
	snprintf(expect, sizeof(expect),
		 "irx: resuming execution %s of 'safe' at step 'wait' (the interrupted step runs "
		 "again)\n",
		 id);
	IRX_ASSERT_CONTAINS(err, expect);
	res = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(res, "AutomationExecutionId")), id);
	free(out);
	free(err);

	/* an uninterrupted run gives the same result */
	CU_ASSERT_EQUAL(irx(&ref_out, &ref_err, "run", rb("safe"), "-p", "Name=alpha", NULL), 0);
	free(ref_out);
	free(ref_err);
	ref = records(find_execution(id));
	last = json_object_array_get_idx(ref, json_object_array_length(ref) - 1);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(res, "AutomationExecutionStatus")),
	    "Success");
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string(json_object_object_get(res, "Outputs")),
			       json_object_to_json_string(json_object_object_get(last, "outputs")));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string(json_object_object_get(res, "Outputs")),
			       "{ \"first.Msg\": \"alpha-1\", \"last.Msg\": \"alpha-1-done\" }");

	/* one journal: first not repeated, wait run again, one resume record, ended Success */
	recs = records(id);
	CU_ASSERT_EQUAL(count(recs, "execution_start", NULL), 1);
	CU_ASSERT_EQUAL(count(recs, "resume", NULL), 1);
	CU_ASSERT_EQUAL(count(recs, "step_start", "first"), 1);
	CU_ASSERT_EQUAL(count(recs, "step_start", "wait"), 2);
	CU_ASSERT_EQUAL(count(recs, "step_end", "wait"), 1);
	CU_ASSERT_EQUAL(count(recs, "step_start", "last"), 1);
	CU_ASSERT_EQUAL(count(recs, "execution_end", NULL), 1);
	last = json_object_array_get_idx(recs, json_object_array_length(recs) - 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(last, "status")),
			       "Success");
	/* the same steps, statuses and end as the uninterrupted run, besides the cut-off one */
	CU_ASSERT_EQUAL(count(ref, "step_end", NULL), count(recs, "step_end", NULL));
	json_object_put(recs);
	json_object_put(ref);
	json_object_put(res);

	/* irx show: the resume and the interrupted attempt */
	CU_ASSERT_EQUAL(irx(&out, &err, "show", id, NULL, NULL, NULL), 0);
	IRX_ASSERT_CONTAINS(out, "at step 'wait' (the interrupted step run again)");
	IRX_ASSERT_CONTAINS(out, "Interrupted");
	IRX_ASSERT_CONTAINS(out, "Success");
	free(out);
	free(err);

	/* nothing left to resume */
	CU_ASSERT_EQUAL(irx(&out, &err, "resume", id, NULL, NULL, NULL), 2);
	snprintf(expect, sizeof(expect),
		 "irx resume: execution %s already ended (Success): there is nothing to resume\n",
		 id);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);
}

static void test_non_idempotent_step_refused(void)
{
	char id[64], expect[512];
	char *out = NULL, *err = NULL;
	struct json_object *recs = NULL;

	/* a new state directory keeps find_execution simple */
	snprintf(state, sizeof(state), "%s/state2", dir);
	snprintf(state_env, sizeof(state_env), "IRX_STATE_DIR=%s", state);
	snprintf(id, sizeof(id), "%s", run_and_kill("unsafe", NULL, "slow", NULL));
	CU_ASSERT_EQUAL_FATAL(strlen(id), 36);

	CU_ASSERT_EQUAL(irx(&out, &err, "resume", id, NULL, NULL, NULL), 2);
	snprintf(expect, sizeof(expect),
		 "irx resume: step 'slow' (testkit:slow) of execution %s was interrupted and its "
		 "action is not idempotent: resuming would run it again; check what it did, then "
		 "use --force\n",
		 id);
	CU_ASSERT_STRING_EQUAL(err, expect);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(err);
	recs = records(id);
	CU_ASSERT_EQUAL(count(recs, "resume", NULL), 0); /* the journal is untouched */
	json_object_put(recs);

	CU_ASSERT_EQUAL(irx(&out, &err, "resume", id, "--force", NULL, NULL), 0);
	snprintf(expect, sizeof(expect), "%s\tSuccess\tunsafe\n  last.Msg = one-two\n", id);
	CU_ASSERT_STRING_EQUAL(out, expect);
	IRX_ASSERT_CONTAINS(err, "(the interrupted step runs again: forced)");
	free(out);
	free(err);
	recs = records(id);
	CU_ASSERT_EQUAL(count(recs, "step_start", "first"), 1);
	CU_ASSERT_EQUAL(count(recs, "step_start", "slow"), 2);
	CU_ASSERT_EQUAL(count(recs, "execution_end", NULL), 1);
	json_object_put(recs);
	CU_ASSERT_EQUAL(irx(&out, &err, "show", id, NULL, NULL, NULL), 0);
	IRX_ASSERT_CONTAINS(out, "(the interrupted step run again) (forced)");
	free(out);
	free(err);
}

static void test_cannot_resume(void)
{
	char *out = NULL, *err = NULL;

	CU_ASSERT_EQUAL(
	    irx(&out, &err, "resume", "00000000-0000-4000-8000-000000000000", NULL, NULL, NULL), 3);
	IRX_ASSERT_CONTAINS(err, "irx resume: ");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(&out, &err, "resume", "nope", NULL, NULL, NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx resume: 'nope' is not an execution id\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(&out, &err, "resume", NULL, NULL, NULL, NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx resume: no execution id given; see 'irx resume --help'\n");
	free(out);
	free(err);
}

static CU_TestInfo tests[] = {
    {"after_kill", test_resume_after_kill},
    {"non_idempotent_refused", test_non_idempotent_step_refused},
    {"cannot_resume", test_cannot_resume},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("resume", tests, suite_init, NULL)
