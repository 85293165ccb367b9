/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rollback: run with the demo plugin (real state in a JSON file) and testkit,
 * roll back, check the state and the rollback's journal; journals written by
 * hand for an interrupted step, retried attempts and refusals; a static "rk"
 * plugin for actions that cannot be undone or whose rollback fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actions.h"
#include "diag.h"
#include "error.h"
#include "executor.h"
#include "host.h"
#include "journal.h"
#include "params.h"
#include "plugins.h"
#include "rollback.h"
#include "runbook.h"
#include "test.h"
#include "util.h"

const struct irx_plugin *irx_plugin_entry_demo(void);
const struct irx_plugin *irx_plugin_entry_testkit(void); /* test_executor.c */

/* rk: what rollback must cope with. */
static char rk_log[1024];

static int rk_burn(const struct irx_context *ctx, struct json_object *inputs,
		   struct irx_result *res)
{
	(void)ctx;
	(void)inputs;
	(void)res;
	return 0;
}

static int rk_record(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	(void)ctx;
	json_object_object_add(res->undo, "N",
			       json_object_get(json_object_object_get(inputs, "N")));
	return 0;
}

static int rk_record_rollback(const struct irx_context *ctx, struct json_object *undo,
			      struct irx_result *res)
{
	size_t n = strlen(rk_log);

	snprintf(rk_log + n, sizeof(rk_log) - n, "%s%s%s:%s", n ? " " : "",
		 ctx->dry_run ? "plan " : "", ctx->step_name,
		 json_object_get_string(json_object_object_get(undo, "N")));
	res->message = "restored";
	if (strcmp(json_object_get_string(json_object_object_get(undo, "N")), "bad") == 0)
		return ctx->host->fail(ctx->call, "cannot restore the console password of 'bob': "
						  "a deleted password cannot be recovered");
	return 0;
}

static const struct irx_param rk_params[] = {
    {"N", IRX_PARAM_STRING, 0, "x", "a marker"},
    {0},
};

static const struct irx_action rk_actions[] = {
    {"burn", "change without undo", IRX_ACTION_MUTATES, rk_params, rk_burn, NULL},
    {"record", "change with undo", IRX_ACTION_MUTATES, rk_params, rk_record, rk_record_rollback},
    {"noundo", "records undo, cannot roll back", IRX_ACTION_MUTATES, rk_params, rk_record, NULL},
    {"read", "reads", 0, rk_params, rk_burn, NULL},
    {0},
};

static const struct irx_plugin *rk_entry(void)
{
	static const struct irx_plugin desc = {IRX_PLUGIN_ABI_MAJOR,
					       IRX_PLUGIN_ABI_MINOR,
					       sizeof(struct irx_plugin),
					       "rk",
					       "1.0.0",
					       "Apache-2.0",
					       rk_actions,
					       NULL,
					       NULL};

	return &desc;
}

static struct irx_plugins *plugins;
static struct irx_actions *actions;

static int suite_init(void)
{
	struct irx_error err = {0};

	plugins = irx_plugins_new(NULL, 0, irx_host_table(false));
	if (!irx_plugins_add_static(plugins, irx_plugin_entry_demo, &err) ||
	    !irx_plugins_add_static(plugins, irx_plugin_entry_testkit, &err) ||
	    !irx_plugins_add_static(plugins, rk_entry, &err)) {
		fprintf(stderr, "plugins: %s\n", err.message);
		return 1;
	}
	actions = irx_actions_new(plugins);
	return 0;
}

static int suite_clean(void)
{
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	return 0;
}

/* ---- helpers --------------------------------------------------------------- */

static char logs[4096];

static void record_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	size_t n = strlen(logs);

	(void)ud;
	if (level >= IRX_LOG_INFO)
		snprintf(logs + n, sizeof(logs) - n, "%d %s: %s\n", (int)level, step ? step : "-",
			 message);
}

/* Runs yaml with the assignments; returns the execution id (static buffer). */
static const char *run_yaml(const char *state, const char *yaml, const char *const *assign,
			    size_t n, bool dry_run)
{
	static char id[IRX_EXECUTION_ID_LEN + 1];
	struct irx_diags diags = {0};
	struct irx_runbook *rb = irx_runbook_load_buffer("rb.yaml", yaml, strlen(yaml), &diags);
	struct irx_exec_options o = {0};
	struct irx_exec_result res = {0};
	struct irx_error err = {0};
	struct json_object *params = NULL;

	if (rb)
		irx_runbook_validate(rb, actions, &diags);
	if (!rb || diags.count) {
		irx_diags_print(&diags, stderr);
		CU_FAIL_FATAL("runbook");
	}
	params = irx_params_bind(rb, assign, n, &diags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(params);
	o.state_dir = state;
	o.dry_run = dry_run;
	o.account_id = "111122223333";
	o.region = "eu-west-1";
	o.case_id = "CASE-7";
	o.log = record_log;
	CU_ASSERT_EQUAL(irx_execute(rb, params, actions, &o, &res, &err), 0);
	CU_ASSERT_STRING_EQUAL(res.status, "Success");
	snprintf(id, sizeof(id), "%s", res.execution_id);
	irx_exec_result_release(&res);
	json_object_put(params);
	irx_runbook_free(rb);
	irx_diags_release(&diags);
	return id;
}

static int rollback(const char *state, const char *id, bool dry_run,
		    struct irx_rollback_result *res, struct irx_error *err)
{
	struct irx_rollback_options o = {0};

	o.state_dir = state;
	o.dry_run = dry_run;
	o.actions = actions;
	o.log = record_log;
	return irx_rollback(id, &o, res, err);
}

static const char *sget(struct json_object *o, const char *key)
{
	struct json_object *v = json_object_object_get(o, key);

	return v ? json_object_get_string(v) : "(null)";
}

static struct json_object *read_records(const char *state, const char *id)
{
	struct irx_error err = {0};
	struct json_object *r = irx_journal_read(state, id, NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}

/* "type step status" of each record after execution_start, space-joined. */
static void assert_shape(struct json_object *recs, const char *want)
{
	char got[2048] = "";

	for (size_t i = 1; i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);
		size_t n = strlen(got);

		snprintf(got + n, sizeof(got) - n, "%s%s", n ? " | " : "", sget(r, "type"));
		if (json_object_object_get(r, "step")) {
			n = strlen(got);
			snprintf(got + n, sizeof(got) - n, " %s", sget(r, "step"));
		}
		if (json_object_object_get(r, "status")) {
			n = strlen(got);
			snprintf(got + n, sizeof(got) - n, " %s", sget(r, "status"));
		}
	}
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static char *read_text(const char *path)
{
	char *text = NULL;
	size_t len = 0;

	if (irx_read_file(path, 1 << 20, &text, &len) < 0)
		return irx_xstrdup("(missing)");
	return text;
}

/* Writes a journal by hand: one JSON record per line. */
static void write_journal(const char *state, const char *id, const char *const *lines)
{
	char *dir = irx_xasprintf("%s/executions", state);
	char *path = irx_xasprintf("%s/%s.jsonl", dir, id);
	char text[8192] = "";

	mkdir(state, 0700);
	mkdir(dir, 0700);
	for (size_t i = 0; lines[i]; i++) {
		size_t n = strlen(text);

		snprintf(text + n, sizeof(text) - n, "%s\n", lines[i]);
	}
	CU_ASSERT_EQUAL(irx_test_write(path, text), 0);
	chmod(path, 0600);
	free(path);
	free(dir);
}

#define START(id, extra)                                                                           \
	"{\"type\":\"execution_start\",\"execution_id\":\"" id "\",\"runbook\":\"hand\","          \
	"\"parameters\":{},\"dry_run\":false,\"account_id\":\"111122223333\",\"region\":"          \
	"\"eu-west-1\",\"case_id\":\"\",\"mode\":\"run\"" extra ",\"start_time\":"                 \
	"\"2026-11-27T10:00:00.000Z\"}"

/* ---- tests ------------------------------------------------------------------- */

static const char demo_yaml[] =
    "schemaVersion: '0.3'\n"
    "parameters:\n  TargetArn:\n    type: String\n  StateFile:\n    type: String\n"
    "mainSteps:\n"
    "- name: look\n  action: demo:describeEntity\n  inputs:\n"
    "    TargetArn: '{{ TargetArn }}'\n    StateFile: '{{ StateFile }}'\n"
    "- name: quarantine\n  action: demo:quarantine\n  inputs:\n"
    "    TargetArn: '{{ TargetArn }}'\n    StateFile: '{{ StateFile }}'\n"
    "- name: tag\n  action: demo:tagEntity\n  inputs:\n"
    "    TargetArn: '{{ TargetArn }}'\n    StateFile: '{{ StateFile }}'\n"
    "    Key: owner\n    Value: irx\n"
    "- name: kit\n  action: testkit:undo\n  inputs:\n    Resource: r-1\n";

#define ARN "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"

static void test_run_and_roll_back(void)
{
	const char *state = irx_test_tmpdir();
	char *file = irx_xasprintf("%s/demo.json", state);
	char *assign[2] = {irx_xstrdup("TargetArn=" ARN), irx_xasprintf("StateFile=%s", file)};
	char *before = NULL, *after = NULL;
	char id[IRX_EXECUTION_ID_LEN + 1] = "";
	struct irx_rollback_result res = {0};
	struct irx_error err = {0};
	struct json_object *recs = NULL, *start = NULL, *sum = NULL, *steps = NULL;

	/* the entity exists with a tag the run changes */
	CU_ASSERT_EQUAL_FATAL(irx_test_write(file, "{\"entities\":{\"" ARN
						   "\":{\"tags\":{\"owner\":\"team-a\"}}}}\n"),
			      0);
	before = read_text(file);
	snprintf(id, sizeof(id), "%s",
		 run_yaml(state, demo_yaml, (const char *const *)assign, 2, false));
	after = read_text(file);
	IRX_ASSERT_CONTAINS(after, "\"quarantined\":true");
	IRX_ASSERT_CONTAINS(after, "\"owner\":\"irx\"");
	free(after);

	CU_ASSERT_EQUAL_FATAL(rollback(state, id, false, &res, &err), 0);
	CU_ASSERT_STRING_EQUAL(res.status, "Success");
	CU_ASSERT_STRING_EQUAL(res.failure_message, "");
	CU_ASSERT_EQUAL(json_object_array_length(res.previous_rollbacks), 0);
	/* newest change first; the read step is not there */
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(res.steps), 3);
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 0), "StepName"),
			       "rollback:kit");
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 1), "StepName"),
			       "rollback:tag");
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 1), "Message"),
			       "tag restored");
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 2), "StepName"),
			       "rollback:quarantine");
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 2), "Message"),
			       "released '" ARN "'");
	/* state restored exactly (the file is rewritten pretty-printed: compare parsed) */
	after = read_text(file);
	{
		struct json_object *a = json_tokener_parse(before), *b = json_tokener_parse(after);

		CU_ASSERT_TRUE(json_object_equal(a, b));
		json_object_put(a);
		json_object_put(b);
	}

	/* the rollback's journal */
	recs = read_records(state, res.execution_id);
	start = json_object_array_get_idx(recs, 0);
	CU_ASSERT_STRING_EQUAL(sget(start, "mode"), "rollback");
	CU_ASSERT_STRING_EQUAL(sget(start, "parent_execution_id"), id);
	CU_ASSERT_STRING_EQUAL(sget(start, "case_id"), "CASE-7");
	CU_ASSERT_STRING_EQUAL(sget(start, "region"), "eu-west-1");
	assert_shape(recs, "step_start rollback:kit | step_end rollback:kit Success | "
			   "step_start rollback:tag | step_end rollback:tag Success | "
			   "step_start rollback:quarantine | step_end rollback:quarantine Success "
			   "| execution_end Success");
	CU_ASSERT_STRING_EQUAL(
	    sget(json_object_object_get(json_object_array_get_idx(recs, 2), "outputs"), "Restored"),
	    "open");
	CU_ASSERT_STRING_EQUAL(
	    sget(json_object_object_get(json_object_array_get_idx(recs, 4), "rolls_back"), "step"),
	    "tag");
	sum = irx_journal_summarise(recs);
	CU_ASSERT_STRING_EQUAL(sget(sum, "Operation"), "Rollback");
	CU_ASSERT_STRING_EQUAL(sget(sum, "ParentAutomationExecutionId"), id);
	CU_ASSERT_STRING_EQUAL(sget(sum, "AutomationExecutionStatus"), "Success");
	steps = json_object_object_get(sum, "StepExecutions");
	CU_ASSERT_EQUAL(json_object_array_length(steps), 3);
	json_object_put(sum);
	json_object_put(recs);
	irx_rollback_result_release(&res);

	/* a second rollback warns, names the first, and restores nothing new */
	logs[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(rollback(state, id, false, &res, &err), 0);
	CU_ASSERT_STRING_EQUAL(res.status, "Success");
	CU_ASSERT_EQUAL(json_object_array_length(res.previous_rollbacks), 1);
	IRX_ASSERT_CONTAINS(logs, "was already rolled back");
	free(after);
	after = read_text(file);
	{
		struct json_object *a = json_tokener_parse(before), *b = json_tokener_parse(after);

		CU_ASSERT_TRUE(json_object_equal(a, b));
		json_object_put(a);
		json_object_put(b);
	}
	recs = read_records(state, res.execution_id);
	CU_ASSERT_EQUAL(json_object_array_length(json_object_object_get(
			    json_object_array_get_idx(recs, 0), "previous_rollbacks")),
			1);
	json_object_put(recs);
	irx_rollback_result_release(&res);

	/* a rollback is not rolled back */
	{
		struct irx_rollback_result r2 = {0};
		struct irx_error e2 = {0};
		char rid[IRX_EXECUTION_ID_LEN + 1] = "";

		CU_ASSERT_EQUAL(rollback(state, id, true, &res, &err), 0);
		snprintf(rid, sizeof(rid), "%s", res.execution_id);
		irx_rollback_result_release(&res);
		CU_ASSERT_EQUAL(rollback(state, rid, false, &r2, &e2), -1);
		CU_ASSERT_EQUAL(e2.code, IRX_ERR_INVALID);
		IRX_ASSERT_CONTAINS(e2.message, "is itself a rollback (of '");
		irx_rollback_result_release(&r2);
	}
	free(before);
	free(after);
	free(assign[0]);
	free(assign[1]);
	free(file);
}

static void test_dry_run_rollback(void)
{
	const char *state = irx_test_tmpdir();
	char *file = irx_xasprintf("%s/demo.json", state);
	char *assign[2] = {irx_xstrdup("TargetArn=" ARN), irx_xasprintf("StateFile=%s", file)};
	char id[IRX_EXECUTION_ID_LEN + 1] = "";
	struct irx_rollback_result res = {0};
	struct irx_error err = {0};
	struct json_object *recs = NULL;
	char *before = NULL, *after = NULL;

	snprintf(id, sizeof(id), "%s",
		 run_yaml(state, demo_yaml, (const char *const *)assign, 2, false));
	before = read_text(file);
	CU_ASSERT_EQUAL_FATAL(rollback(state, id, true, &res, &err), 0);
	CU_ASSERT_STRING_EQUAL(res.status, "Success");
	after = read_text(file);
	CU_ASSERT_STRING_EQUAL(before, after); /* nothing changed */
	IRX_ASSERT_CONTAINS(sget(json_object_array_get_idx(res.steps, 2), "Message"),
			    "would release '" ARN "' from quarantine in '");
	recs = read_records(state, res.execution_id);
	CU_ASSERT_TRUE(json_object_get_boolean(
	    json_object_object_get(json_object_array_get_idx(recs, 0), "dry_run")));
	json_object_put(recs);
	irx_rollback_result_release(&res);
	/* a dry-run rollback is not counted as a rollback */
	CU_ASSERT_EQUAL_FATAL(rollback(state, id, false, &res, &err), 0);
	CU_ASSERT_EQUAL(json_object_array_length(res.previous_rollbacks), 0);
	irx_rollback_result_release(&res);
	free(before);
	free(after);
	free(assign[0]);
	free(assign[1]);
	free(file);
}

static void test_interrupted_step_uses_progress_undo(void)
{
	const char *state = irx_test_tmpdir();
	char *file = irx_xasprintf("%s/demo.json", state);
	char *progress = irx_xasprintf(
	    "{\"type\":\"step_progress\",\"step\":\"quarantine\",\"action\":\"demo:quarantine\","
	    "\"attempt\":1,\"undo\":{\"StateFile\":\"%s\",\"TargetArn\":\"" ARN
	    "\",\"EntityExisted\":false}}",
	    file);
	const char *id = "11111111-1111-4111-8111-111111111111";
	const char *lines[] = {
	    START("11111111-1111-4111-8111-111111111111", ""),
	    "{\"type\":\"step_start\",\"step\":\"first\",\"action\":\"rk:record\",\"attempt\":1}",
	    "{\"type\":\"step_end\",\"step\":\"first\",\"action\":\"rk:record\",\"attempt\":1,"
	    "\"status\":\"Success\",\"undo\":{\"N\":\"1\"}}",
	    "{\"type\":\"step_start\",\"step\":\"quarantine\",\"action\":\"demo:quarantine\","
	    "\"attempt\":1}",
	    "{\"type\":\"step_progress\",\"step\":\"quarantine\",\"action\":\"demo:quarantine\","
	    "\"attempt\":1,\"undo\":{\"StateFile\":\"/nowhere\"}}",
	    progress,
	    NULL,
	};
	struct irx_rollback_result res = {0};
	struct irx_error err = {0};
	char *after = NULL;

	/* the crash came after the change */
	CU_ASSERT_EQUAL_FATAL(irx_test_write(file,
					     "{\"entities\":{\"" ARN
					     "\":{\"quarantined\":true,\"quarantinedBy\":\"x\"}}}"),
			      0);
	write_journal(state, id, lines);
	rk_log[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(rollback(state, id, false, &res, &err), 0);
	CU_ASSERT_STRING_EQUAL(res.status, "Success");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(res.steps), 2);
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 0), "RolledBackStep"),
			       "quarantine");
	CU_ASSERT_TRUE(json_object_get_boolean(
	    json_object_object_get(json_object_array_get_idx(res.steps, 0), "Interrupted")));
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 1), "RolledBackStep"),
			       "first");
	CU_ASSERT_STRING_EQUAL(rk_log, "rollback:first:1");
	after = read_text(file);
	{
		struct json_object *a = json_tokener_parse("{\"entities\":{}}");
		struct json_object *b = json_tokener_parse(after);

		CU_ASSERT_TRUE(json_object_equal(a, b));
		json_object_put(a);
		json_object_put(b);
	}
	irx_rollback_result_release(&res);
	free(after);
	free(progress);
	free(file);
}

static void test_attempts_and_not_reversible(void)
{
	const char *state = irx_test_tmpdir();
	const char *id = "22222222-2222-4222-8222-222222222222";
	const char *lines[] = {
	    START("22222222-2222-4222-8222-222222222222", ""),
	    /* attempt 1 changed something and failed; attempt 2 finished the job */
	    "{\"type\":\"step_start\",\"step\":\"a\",\"action\":\"rk:record\",\"attempt\":1}",
	    "{\"type\":\"step_end\",\"step\":\"a\",\"action\":\"rk:record\",\"attempt\":1,"
	    "\"status\":\"Failed\",\"undo\":{\"N\":\"a1\"}}",
	    "{\"type\":\"step_start\",\"step\":\"a\",\"action\":\"rk:record\",\"attempt\":2}",
	    "{\"type\":\"step_end\",\"step\":\"a\",\"action\":\"rk:record\",\"attempt\":2,"
	    "\"status\":\"Success\",\"undo\":{\"N\":\"a2\"}}",
	    "{\"type\":\"step_start\",\"step\":\"burnt\",\"action\":\"rk:burn\",\"attempt\":1}",
	    "{\"type\":\"step_end\",\"step\":\"burnt\",\"action\":\"rk:burn\",\"attempt\":1,"
	    "\"status\":\"Success\",\"undo\":null}",
	    "{\"type\":\"step_start\",\"step\":\"kept\",\"action\":\"rk:noundo\",\"attempt\":1}",
	    "{\"type\":\"step_end\",\"step\":\"kept\",\"action\":\"rk:noundo\",\"attempt\":1,"
	    "\"status\":\"Success\",\"undo\":{\"N\":\"k\"}}",
	    "{\"type\":\"step_start\",\"step\":\"pw\",\"action\":\"rk:record\",\"attempt\":1}",
	    "{\"type\":\"step_end\",\"step\":\"pw\",\"action\":\"rk:record\",\"attempt\":1,"
	    "\"status\":\"Success\",\"undo\":{\"N\":\"bad\"}}",
	    "{\"type\":\"step_start\",\"step\":\"r\",\"action\":\"rk:read\",\"attempt\":1}",
	    "{\"type\":\"step_end\",\"step\":\"r\",\"action\":\"rk:read\",\"attempt\":1,"
	    "\"status\":\"Success\",\"undo\":null}",
	    "{\"type\":\"step_start\",\"step\":\"gone\",\"action\":\"nosuch:plugin\",\"attempt\":"
	    "1}",
	    "{\"type\":\"step_end\",\"step\":\"gone\",\"action\":\"nosuch:plugin\",\"attempt\":1,"
	    "\"status\":\"Success\",\"undo\":{\"X\":1}}",
	    "{\"type\":\"step_start\",\"step\":\"later\",\"action\":\"rk:record\",\"attempt\":1}",
	    "{\"type\":\"step_end\",\"step\":\"later\",\"action\":\"rk:record\",\"attempt\":1,"
	    "\"status\":\"Success\",\"undo\":{\"N\":\"z\"}}",
	    "{\"type\":\"execution_end\",\"status\":\"Success\"}",
	    NULL,
	};
	struct irx_rollback_result res = {0};
	struct irx_error err = {0};
	struct json_object *recs = NULL;
	char names[512] = "";

	write_journal(state, id, lines);
	rk_log[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(rollback(state, id, false, &res, &err), 0);
	CU_ASSERT_STRING_EQUAL(res.status, "Failed");
	/* every unit is tried even after a failure: newest first, a2 before a1 */
	CU_ASSERT_STRING_EQUAL(rk_log, "rollback:later:z rollback:pw:bad rollback:a:a2 "
				       "rollback:a:a1");
	for (size_t i = 0; i < json_object_array_length(res.steps); i++) {
		struct json_object *s = json_object_array_get_idx(res.steps, i);
		size_t n = strlen(names);

		snprintf(names + n, sizeof(names) - n, "%s%s=%s", n ? " " : "",
			 sget(s, "RolledBackStep"), sget(s, "StepStatus"));
	}
	CU_ASSERT_STRING_EQUAL(names, "later=Success gone=Failed pw=Failed kept=Skipped "
				      "burnt=Skipped a=Success a=Success");
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 3), "Message"),
			       "cannot be undone: action 'rk:noundo' has no rollback");
	CU_ASSERT_FALSE(json_object_get_boolean(
	    json_object_object_get(json_object_array_get_idx(res.steps, 4), "Restorable")));
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(res.steps, 1), "Message"),
			       "unknown action 'nosuch:plugin': no plugin 'nosuch' on the plugin "
			       "path (the plugin path is empty)");
	CU_ASSERT_STRING_EQUAL(
	    res.failure_message,
	    "could not roll back step 'gone': unknown action 'nosuch:plugin': no plugin 'nosuch' "
	    "on the plugin path (the plugin path is empty); step 'pw': cannot restore the console "
	    "password of 'bob': a deleted password cannot be recovered");
	recs = read_records(state, res.execution_id);
	CU_ASSERT_STRING_EQUAL(
	    sget(json_object_array_get_idx(recs, json_object_array_length(recs) - 1), "status"),
	    "Failed");
	json_object_put(recs);
	irx_rollback_result_release(&res);
}

static void test_refusals(void)
{
	const char *state = irx_test_tmpdir();
	const char *dry = "33333333-3333-4333-8333-333333333333";
	const char *dry_lines[] = {
	    "{\"type\":\"execution_start\",\"execution_id\":\"33333333-3333-4333-8333-"
	    "333333333333\","
	    "\"dry_run\":true,\"mode\":\"run\"}",
	    NULL,
	};
	const char *bad_lines[] = {"{\"type\":\"step_start\",\"step\":\"a\"}", NULL};
	struct irx_rollback_result res = {0};
	struct irx_error err = {0};
	struct irx_journal *j = NULL;
	char running[IRX_EXECUTION_ID_LEN + 1] = "";

	write_journal(state, dry, dry_lines);
	CU_ASSERT_EQUAL(rollback(state, dry, false, &res, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "execution '33333333-3333-4333-8333-333333333333' was a "
			       "dry run: it changed nothing to roll back");
	irx_rollback_result_release(&res);

	irx_error_clear(&err);
	write_journal(state, "44444444-4444-4444-8444-444444444444", bad_lines);
	CU_ASSERT_EQUAL(rollback(state, "44444444-4444-4444-8444-444444444444", false, &res, &err),
			-1);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "execution '44444444-4444-4444-8444-444444444444' has no "
			       "execution_start record: its journal is damaged");
	irx_rollback_result_release(&res);

	irx_error_clear(&err);
	CU_ASSERT_EQUAL(rollback(state, "55555555-5555-4555-8555-555555555555", false, &res, &err),
			-1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	irx_rollback_result_release(&res);

	irx_error_clear(&err);
	CU_ASSERT_EQUAL(rollback(state, "../etc/passwd", false, &res, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	irx_rollback_result_release(&res);

	/* a journal held open by a running execution */
	irx_error_clear(&err);
	irx_execution_id_new(running);
	j = irx_journal_create(state, running, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(rollback(state, running, false, &res, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	IRX_ASSERT_CONTAINS(err.message, "is still running; roll it back once it has ended");
	irx_rollback_result_release(&res);
	irx_journal_close(j);
}

static void test_cli(void)
{
	const char *state = irx_test_tmpdir();
	char *sd = irx_xasprintf("--state-dir=%s", state);
	const char *id = "66666666-6666-4666-8666-666666666666";
	const char *lines[] = {START("66666666-6666-4666-8666-666666666666", ""), NULL};
	const char *argv[] = {irx_test_build("irx"), "rollback", id, sd, NULL};
	const char *argv_json[] = {irx_test_build("irx"), "rollback", id, sd, "-o", "json", NULL};
	const char *argv_none[] = {irx_test_build("irx"), "rollback",
				   "77777777-7777-4777-8777-777777777777", sd, NULL};
	const char *argv_dry[] = {irx_test_build("irx"), "rollback",
				  "33333333-3333-4333-8333-333333333333", sd, NULL};
	const char *dry_lines[] = {
	    "{\"type\":\"execution_start\",\"execution_id\":\"33333333-3333-4333-8333-"
	    "333333333333\","
	    "\"dry_run\":true,\"mode\":\"run\"}",
	    NULL,
	};
	char *out = NULL, *errs = NULL;

	write_journal(state, id, lines);
	write_journal(state, "33333333-3333-4333-8333-333333333333", dry_lines);
	CU_ASSERT_EQUAL(irx_test_run(argv, NULL, NULL, &out, &errs), 0);
	IRX_ASSERT_CONTAINS(out, "\tSuccess\trollback of 66666666-6666-4666-8666-666666666666\n");
	IRX_ASSERT_CONTAINS(out, "  nothing to roll back: no step recorded a change\n");
	free(out);
	free(errs);
	CU_ASSERT_EQUAL(irx_test_run(argv_json, NULL, NULL, &out, &errs), 0);
	IRX_ASSERT_CONTAINS(out, "\"Operation\":\"Rollback\"");
	IRX_ASSERT_CONTAINS(out, "\"PreviousRollbacks\":[");
	free(out);
	free(errs);
	CU_ASSERT_EQUAL(irx_test_run(argv_none, NULL, NULL, &out, &errs), 3);
	IRX_ASSERT_CONTAINS(errs,
			    "irx rollback: no execution '77777777-7777-4777-8777-777777777777'");
	free(out);
	free(errs);
	CU_ASSERT_EQUAL(irx_test_run(argv_dry, NULL, NULL, &out, &errs), 2);
	IRX_ASSERT_CONTAINS(errs, "was a dry run: it changed nothing to roll back");
	free(out);
	free(errs);
	free(sd);
}

static CU_TestInfo tests[] = {
    {"run, roll back, state restored, journal, second rollback", test_run_and_roll_back},
    {"dry-run rollback", test_dry_run_rollback},
    {"interrupted step: the last progress undo", test_interrupted_step_uses_progress_undo},
    {"attempts, not reversible, failures", test_attempts_and_not_reversible},
    {"refusals", test_refusals},
    {"irx rollback command", test_cli},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("rollback", tests, suite_init, suite_clean)
