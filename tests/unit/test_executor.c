/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The executor and the action registry, driven by inline runbooks and the
 * testkit plugin (compiled in below), with sleeping injected so retries and
 * aws:sleep are measured, not waited for.
 */
#define IRX_PLUGIN_STATIC testkit
#include "../plugins/testkit/testkit.c"

#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "actions.h"
#include "diag.h"
#include "error.h"
#include "executor.h"
#include "host.h"
#include "params.h"
#include "plugins.h"
#include "runbook.h"
#include "test.h"
#include "util.h"

static struct irx_plugins *plugins;
static struct irx_actions *actions;

static int suite_init(void)
{
	struct irx_error err = {0};

	plugins = irx_plugins_new(NULL, 0, irx_host_table(false));
	if (!irx_plugins_add_static(plugins, irx_plugin_entry_testkit, &err)) {
		fprintf(stderr, "testkit: %s\n", err.message);
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

/* ---- running a runbook -------------------------------------------------- */

#define MAX_EVENTS 64

struct xrun {
	int rc;
	struct irx_exec_result res;
	struct irx_error err;
	char *journal;		     /* the .jsonl text */
	struct json_object *records; /* parsed lines */
	long long delays[32];	     /* every sleep_ms call */
	int delay_count;
	char events[MAX_EVENTS][160]; /* "start step" / "end step Status message" */
	int event_count;
	char logs[2048];
	const char *cancel_at;
	volatile sig_atomic_t cancel;
};

struct xopts {
	const char *cancel_at; /* set the cancel flag when this step starts */
	bool cancel_now;
	bool dry_run;
	bool no_validate;
	unsigned max_steps;
	irx_aws_call_fn *aws_call;
};

static void record_sleep(void *ud, long long ms)
{
	struct xrun *r = ud;

	if (r->delay_count < 32)
		r->delays[r->delay_count++] = ms;
}

static void record_progress(void *ud, enum irx_step_event ev, const char *step, const char *action,
			    const char *status, long long duration_ms, const char *message)
{
	struct xrun *r = ud;

	(void)action;
	(void)duration_ms;
	if (r->event_count == MAX_EVENTS)
		return;
	if (ev == IRX_STEP_STARTED && r->cancel_at && strcmp(step, r->cancel_at) == 0)
		r->cancel = 1;
	if (ev == IRX_STEP_STARTED)
		snprintf(r->events[r->event_count++], 160, "start %s %s", step, status);
	else
		snprintf(r->events[r->event_count++], 160, "end %s %s%s%s", step, status,
			 message ? " " : "", message ? message : "");
}

static void record_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	struct xrun *r = ud;
	size_t n = strlen(r->logs);

	snprintf(r->logs + n, sizeof(r->logs) - n, "%d %s: %s\n", (int)level, step ? step : "-",
		 message);
}

static struct xrun *run_full(const char *yaml, const char *const *assign, size_t n,
			     const struct xopts *xo)
{
	struct xrun *r = irx_xcalloc(1, sizeof(*r));
	struct irx_diags diags = {0};
	struct irx_runbook *rb = irx_runbook_load_buffer("test.yaml", yaml, strlen(yaml), &diags);
	struct irx_exec_options o = {0};
	struct json_object *params = NULL;
	size_t len = 0;

	if (rb && !xo->no_validate)
		irx_runbook_validate(rb, actions, &diags);
	if (!rb || diags.count) {
		irx_diags_print(&diags, stderr);
		CU_FAIL_FATAL("runbook does not load/validate");
	}
	params = irx_params_bind(rb, assign, n, &diags);
	if (!params) {
		irx_diags_print(&diags, stderr);
		CU_FAIL_FATAL("parameters do not bind");
	}
	o.state_dir = irx_test_tmpdir();
	o.dry_run = xo->dry_run;
	o.account_id = "111122223333";
	o.region = "eu-west-1";
	o.case_id = "CASE-1";
	o.max_step_executions = xo->max_steps;
	o.progress = record_progress;
	o.progress_ud = r;
	o.sleep_ms = record_sleep;
	o.sleep_ud = r;
	o.log = record_log;
	o.log_ud = r;
	o.aws_call = xo->aws_call;
	r->cancel_at = xo->cancel_at;
	r->cancel = xo->cancel_now;
	o.cancel = &r->cancel;
	r->rc = irx_execute(rb, params, actions, &o, &r->res, &r->err);
	if (r->res.journal_path[0] &&
	    irx_read_file(r->res.journal_path, 1 << 24, &r->journal, &len) == 0) {
		char *line = r->journal, *nl = NULL;

		r->records = json_object_new_array();
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			json_object_array_add(r->records, json_tokener_parse(line));
			*nl = '\n';
			line = nl + 1;
		}
	}
	json_object_put(params);
	irx_runbook_free(rb);
	irx_diags_release(&diags);
	return r;
}

static struct xrun *run(const char *yaml, const char *const *assign, size_t n)
{
	struct xopts xo = {0};

	return run_full(yaml, assign, n, &xo);
}

static void xrun_free(struct xrun *r)
{
	irx_exec_result_release(&r->res);
	json_object_put(r->records);
	free(r->journal);
	free(r);
}

/* The k-th (0-based) journal record of a type (and step, when given). */
static struct json_object *record(struct xrun *r, const char *type, const char *step, int k)
{
	for (size_t i = 0; r->records && i < json_object_array_length(r->records); i++) {
		struct json_object *rec = json_object_array_get_idx(r->records, i);
		const char *t = json_object_get_string(json_object_object_get(rec, "type"));
		const char *s = json_object_get_string(json_object_object_get(rec, "step"));

		if (strcmp(t, type) != 0 || (step && (!s || strcmp(s, step) != 0)))
			continue;
		if (k-- == 0)
			return rec;
	}
	return NULL;
}

static int count_records(struct xrun *r, const char *type, const char *step)
{
	int n = 0;

	while (record(r, type, step, n))
		n++;
	return n;
}

/* A string at a path of keys in a record, "" when absent. */
static const char *field(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *v = json_object_object_get(o, k1);

	if (k2)
		v = json_object_object_get(v, k2);
	return v ? json_object_get_string(v) : "";
}

static void assert_status(struct xrun *r, const char *want, const char *failure)
{
	CU_ASSERT_EQUAL(r->rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->res.status);
	if (strcmp(r->res.status, want) != 0 || strcmp(r->res.failure_message, failure) != 0)
		fprintf(stderr, "\n  status %s (want %s), failure '%s' (want '%s')\n",
			r->res.status, want, r->res.failure_message, failure);
	CU_ASSERT_STRING_EQUAL(r->res.status, want);
	CU_ASSERT_STRING_EQUAL(r->res.failure_message, failure);
	CU_ASSERT_STRING_EQUAL(field(record(r, "execution_end", NULL, 0), "status", NULL), want);
}

/* The steps that ran, in order, as "a b c". */
static void assert_steps(struct xrun *r, const char *want)
{
	char got[1024] = "";

	for (int i = 0; i < r->event_count; i++) {
		char name[128] = "";

		if (sscanf(r->events[i], "start %127s", name) == 1)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
				 got[0] ? " " : "", name);
	}
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  steps: '%s' (want '%s')\n", got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
}

#define HEAD "schemaVersion: '0.3'\n"

/* ---- tests -------------------------------------------------------------- */

static void test_outputs_flow_between_steps(void)
{
	const char *yaml =
	    HEAD "parameters:\n"
		 "  Name:\n    type: String\n"
		 "  Count:\n    type: Integer\n    default: 3\n"
		 "mainSteps:\n"
		 "- name: first\n  action: testkit:echo\n"
		 "  inputs:\n    Message: 'hello {{ Name }}'\n    Count: '{{ Count }}'\n"
		 "  outputs:\n"
		 "  - {Name: Msg, Selector: $.Message, Type: String}\n"
		 "  - {Name: Count, Selector: $.Count, Type: Integer}\n"
		 "  - {Name: List, Selector: $.Nested.List, Type: StringList}\n"
		 "  - {Name: Num, Selector: $.Nested.Number, Type: Integer}\n"
		 "  - {Name: Flag, Selector: $.Flag, Type: Boolean}\n"
		 "- name: second\n  action: testkit:echo\n"
		 "  inputs:\n    Message: '{{ first.Msg }} x{{ first.Count }}'\n"
		 "    Items: '{{ first.List }}'\n    Count: '{{ first.Num }}'\n"
		 "  outputs:\n"
		 "  - {Name: Out, Selector: $.Message, Type: String}\n"
		 "  - {Name: Items, Selector: $.Items, Type: StringList}\n"
		 "  - {Name: Second, Selector: '$.Items[1]', Type: String}\n"
		 "  - {Name: Count, Selector: $.Count, Type: Integer}\n"
		 "outputs:\n- second.Out\n- second.Items\n- first.Flag\n- second.Count\n";
	const char *assign[] = {"Name=world"};
	struct xrun *r = run(yaml, assign, 1);
	struct json_object *o = r->res.outputs;

	assert_status(r, "Success", "");
	assert_steps(r, "first second");
	CU_ASSERT_STRING_EQUAL(field(o, "second.Out", NULL), "hello world x3");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(json_object_object_get(o, "second.Items"),
					   JSON_C_TO_STRING_PLAIN),
	    "[\"first\",\"second\"]");
	CU_ASSERT_TRUE(
	    json_object_is_type(json_object_object_get(o, "first.Flag"), json_type_boolean));
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(o, "first.Flag")));
	CU_ASSERT_TRUE(
	    json_object_is_type(json_object_object_get(o, "second.Count"), json_type_int));
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(o, "second.Count")), 42);
	/* The journal: start, a start/end pair per step, end; defaults applied in inputs. */
	CU_ASSERT_EQUAL(json_object_array_length(r->records), 6);
	CU_ASSERT_STRING_EQUAL(field(record(r, "execution_start", NULL, 0), "runbook", NULL),
			       "test");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_start", "first", 0), "inputs", "Flag"),
			       "false");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_start", "first", 0), "inputs", "Count"), "3");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "second", 0), "outputs", "Second"),
			       "second");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "first", 0), "message", NULL), "echoed");
	CU_ASSERT_PTR_NULL(json_object_object_get(record(r, "step_end", "first", 0), "undo"));
	CU_ASSERT_PTR_NULL(json_object_object_get(record(r, "step_end", "first", 0), "error"));
	CU_ASSERT_STRING_EQUAL(r->events[0], "start first InProgress");
	CU_ASSERT_STRING_EQUAL(r->events[1], "end first Success echoed");
	xrun_free(r);
}

static void test_globals(void)
{
	const char *yaml =
	    HEAD "mainSteps:\n"
		 "- name: g\n  action: testkit:echo\n  inputs:\n"
		 "    Message: '{{ global:ACCOUNT_ID }}|{{ global:REGION }}|"
		 "{{ automation:EXECUTION_ID }}|{{ global:DATE_TIME }}|{{ global:DATE }}|"
		 "{{ global:AWS_PARTITION }}'\n"
		 "  outputs:\n  - {Name: M, Selector: $.Message, Type: String}\n"
		 "outputs: [g.M]\n";
	struct xrun *r = run(yaml, NULL, 0);
	char want[256];
	regex_t re;
	const char *m = field(r->res.outputs, "g.M", NULL);

	assert_status(r, "Success", "");
	snprintf(want, sizeof(want),
		 "^111122223333\\|eu-west-1\\|%s\\|"
		 "[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}\\.[0-9]{2}\\.[0-9]{2}\\|"
		 "[0-9]{4}-[0-9]{2}-[0-9]{2}\\|aws$",
		 r->res.execution_id);
	CU_ASSERT_EQUAL_FATAL(regcomp(&re, want, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, m, 0, NULL, 0) != 0)
		fprintf(stderr, "\n  '%s' !~ %s\n", m, want);
	CU_ASSERT_EQUAL(regexec(&re, m, 0, NULL, 0), 0);
	regfree(&re);
	CU_ASSERT_TRUE(irx_execution_id_valid(r->res.execution_id));
	CU_ASSERT_STRING_EQUAL(field(record(r, "execution_start", NULL, 0), "execution_id", NULL),
			       r->res.execution_id);
	CU_ASSERT_STRING_EQUAL(field(record(r, "execution_start", NULL, 0), "case_id", NULL),
			       "CASE-1");
	xrun_free(r);
}

static void test_input_types(void)
{
	const char *yaml = HEAD "parameters:\n  S:\n    type: String\n"
				"mainSteps:\n"
				"- name: e\n  action: testkit:echo\n  inputs:\n"
				"    Message: 12\n    Count: '{{ S }}'\n    Flag: 'true'\n"
				"  outputs:\n  - {Name: C, Selector: $.Count, Type: Integer}\n"
				"  - {Name: M, Selector: $.Message, Type: String}\n"
				"  - {Name: F, Selector: $.Flag, Type: Boolean}\n"
				"outputs: [e.C, e.M, e.F]\n";
	const char *good[] = {"S=7"};
	const char *bad[] = {"S=seven"};
	/* The validator refuses these statically; the executor still converts at run time. */
	struct xopts xo = {.no_validate = true};
	struct xrun *r = run_full(yaml, good, 1, &xo);

	assert_status(r, "Success", "");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(r->res.outputs, "e.C")), 7);
	CU_ASSERT_STRING_EQUAL(field(r->res.outputs, "e.M", NULL), "12");
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(r->res.outputs, "e.F")));
	xrun_free(r);

	r = run_full(yaml, bad, 1, &xo);
	assert_status(r, "Failed",
		      "step 'e' failed: input 'Count' of action 'testkit:echo' must be of type "
		      "Integer, got a string");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "e", 0), "error", "code"), "invalid");
	xrun_free(r);
}

static void test_output_selectors(void)
{
	const char *missing =
	    HEAD "mainSteps:\n"
		 "- name: a\n  action: testkit:echo\n  inputs: {Message: hi}\n"
		 "  outputs:\n  - {Name: Gone, Selector: $.Nope, Type: String}\n"
		 "  - {Name: M, Selector: $.Message, Type: String}\n"
		 "- name: b\n  action: testkit:echo\n  inputs: {Message: '{{ a.Gone }}'}\n";
	const char *mismatch = HEAD "mainSteps:\n"
				    "- name: a\n  action: testkit:echo\n  inputs: {Message: hi}\n"
				    "  outputs:\n  - {Name: N, Selector: $.Nested, Type: String}\n";
	const char *fraction =
	    HEAD "mainSteps:\n"
		 "- name: a\n  action: testkit:echo\n  inputs: {Message: hi}\n"
		 "  outputs:\n  - {Name: N, Selector: $.Nested.Fraction, Type: Integer}\n";
	struct xrun *r = run(missing, NULL, 0);

	/* No match: the output is absent and the step succeeds; using it fails later. */
	assert_status(r, "Failed", "step 'b' failed: unknown reference '{{ a.Gone }}'");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "a", 0), "status", NULL), "Success");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "a", 0), "outputs", "M"), "hi");
	CU_ASSERT_PTR_NULL(json_object_object_get(
	    json_object_object_get(record(r, "step_end", "a", 0), "outputs"), "Gone"));
	IRX_ASSERT_CONTAINS(r->logs, "2 a: output 'Gone': selector '$.Nope' matched nothing");
	xrun_free(r);

	r = run(mismatch, NULL, 0);
	assert_status(r, "Failed",
		      "step 'a' failed: output 'N': selector '$.Nested' found a map, not of type "
		      "String");
	xrun_free(r);
	r = run(fraction, NULL, 0);
	assert_status(
	    r, "Failed",
	    "step 'a' failed: output 'N': selector '$.Nested.Fraction' found a number, not "
	    "of type Integer");
	xrun_free(r);
}

static const char *const failing_then_echo =
    HEAD "mainSteps:\n"
	 "- name: bad\n  action: testkit:fail\n  inputs: {Message: boom}\n%s"
	 "- name: after\n  action: testkit:echo\n  inputs: {Message: after}\n"
	 "- name: handler\n  action: testkit:echo\n  inputs: {Message: handled}\n";

static struct xrun *run_failing(const char *props)
{
	char yaml[2048];

	snprintf(yaml, sizeof(yaml), failing_then_echo, props);
	return run(yaml, NULL, 0);
}

static void test_on_failure(void)
{
	struct xrun *r = run_failing("");

	/* Abort (the default): nothing after runs. */
	assert_status(r, "Failed", "step 'bad' failed: boom");
	assert_steps(r, "bad");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "bad", 0), "error", "message"), "boom");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "bad", 0), "error", "code"), "step");
	CU_ASSERT_STRING_EQUAL(r->events[1], "end bad Failed boom");
	xrun_free(r);

	/* Continue: isCritical defaults to false, so the execution succeeds. */
	r = run_failing("  onFailure: Continue\n");
	assert_status(r, "Success", "");
	assert_steps(r, "bad after handler");
	xrun_free(r);

	/* Continue with isCritical written true: runs on, but the execution fails. */
	r = run_failing("  onFailure: Continue\n  isCritical: true\n");
	assert_status(r, "Failed", "step 'bad' failed: boom");
	assert_steps(r, "bad after handler");
	xrun_free(r);

	/* step:handler jumps; a critical failure still fails the execution. */
	r = run_failing("  onFailure: step:handler\n");
	assert_status(r, "Failed", "step 'bad' failed: boom");
	assert_steps(r, "bad handler");
	xrun_free(r);

	r = run_failing("  onFailure: step:handler\n  isCritical: false\n");
	assert_status(r, "Success", "");
	assert_steps(r, "bad handler");
	xrun_free(r);

	/* A non-critical step that aborts stops the run without failing it. */
	r = run_failing("  isCritical: false\n");
	assert_status(r, "Success", "");
	assert_steps(r, "bad");
	xrun_free(r);
}

static void test_next_step_and_is_end(void)
{
	const char *yaml = HEAD "mainSteps:\n"
				"- name: a\n  action: testkit:echo\n  inputs: {Message: a}\n"
				"  nextStep: c\n"
				"- name: b\n  action: testkit:echo\n  inputs: {Message: b}\n"
				"- name: c\n  action: testkit:echo\n  inputs: {Message: c}\n"
				"  isEnd: true\n"
				"- name: d\n  action: testkit:echo\n  inputs: {Message: d}\n";
	struct xrun *r = run(yaml, NULL, 0);

	assert_status(r, "Success", "");
	assert_steps(r, "a c");
	xrun_free(r);
}

static void test_branch_in_runbook(void)
{
	const char *yaml =
	    HEAD "parameters:\n  Kind:\n    type: String\n"
		 "mainSteps:\n"
		 "- name: choose\n  action: aws:branch\n  inputs:\n    Choices:\n"
		 "    - NextStep: ec2\n      Variable: '{{ Kind }}'\n"
		 "      StartsWith: 'arn:aws:ec2:'\n"
		 "    - NextStep: lambda\n      And:\n"
		 "      - Variable: '{{ Kind }}'\n        Contains: ':function:'\n"
		 "      - Not:\n          Variable: '{{ Kind }}'\n          EndsWith: ':skip'\n"
		 "%s"
		 "- name: fallthrough\n  action: testkit:echo\n  inputs: {Message: f}\n"
		 "  isEnd: true\n"
		 "- name: ec2\n  action: testkit:echo\n  inputs: {Message: ec2}\n"
		 "  isEnd: true\n"
		 "- name: lambda\n  action: testkit:echo\n  inputs: {Message: lambda}\n"
		 "  isEnd: true\n"
		 "- name: other\n  action: testkit:echo\n  inputs: {Message: other}\n";
	char buf[2048];
	struct {
		const char *kind, *dflt, *steps;
	} cases[] = {
	    {"Kind=arn:aws:ec2:eu-west-1:1:instance/i-1", "", "choose ec2"},
	    {"Kind=arn:aws:lambda:eu-west-1:1:function:f", "", "choose lambda"},
	    {"Kind=arn:aws:lambda:eu-west-1:1:function:skip", "    Default: other\n",
	     "choose other"},
	    /* No Default: SSM goes on with the next step. */
	    {"Kind=arn:aws:iam::1:role/r", "", "choose fallthrough"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *assign[] = {cases[i].kind};
		struct xrun *r = NULL;

		snprintf(buf, sizeof(buf), yaml, cases[i].dflt);
		r = run(buf, assign, 1);
		assert_status(r, "Success", "");
		assert_steps(r, cases[i].steps);
		xrun_free(r);
	}
}

static void test_branch_type_mismatch(void)
{
	const char *yaml =
	    HEAD "parameters:\n  N:\n    type: String\n"
		 "mainSteps:\n"
		 "- name: choose\n  action: aws:branch\n  inputs:\n    Choices:\n"
		 "    - NextStep: b\n      Variable: '{{ N }}'\n      NumericGreater: 3\n"
		 "- name: b\n  action: testkit:echo\n  inputs: {Message: b}\n";
	const char *assign[] = {"N=many"};
	struct xrun *r = run(yaml, assign, 1);

	assert_status(r, "Failed",
		      "step 'choose' failed: choice 1: NumericGreater needs a numeric Variable, "
		      "got the string 'many'");
	xrun_free(r);
}

static void test_retries_and_backoff(void)
{
	const char *yaml = HEAD "mainSteps:\n"
				"- name: f\n  action: testkit:flaky\n"
				"  inputs: {Key: %s, Failures: %d}\n  maxAttempts: %d\n"
				"  outputs:\n  - {Name: N, Selector: $.Attempts, Type: Integer}\n"
				"outputs: [f.N]\n";
	char buf[1024];
	struct xrun *r = NULL;

	snprintf(buf, sizeof(buf), yaml, "retry-ok", 2, 3);
	r = run(buf, NULL, 0);
	assert_status(r, "Success", "");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(r->res.outputs, "f.N")), 3);
	CU_ASSERT_EQUAL(count_records(r, "step_start", "f"), 3);
	CU_ASSERT_EQUAL(count_records(r, "step_end", "f"), 3);
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "f", 0), "status", NULL), "Failed");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "f", 0), "message", NULL),
			       "flaky failure 1 of 2");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "f", 2), "status", NULL), "Success");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "f", 2), "attempt", NULL), "3");
	CU_ASSERT_EQUAL(r->delay_count, 2);
	CU_ASSERT_EQUAL(r->delays[0], 1000);
	CU_ASSERT_EQUAL(r->delays[1], 2000);
	/* One progress start and one end for the whole step. */
	CU_ASSERT_EQUAL(r->event_count, 2);
	xrun_free(r);

	snprintf(buf, sizeof(buf), yaml, "retry-fail", 5, 2);
	r = run(buf, NULL, 0);
	assert_status(r, "Failed", "step 'f' failed: flaky failure 2 of 5");
	CU_ASSERT_EQUAL(count_records(r, "step_end", "f"), 2);
	CU_ASSERT_EQUAL(r->delay_count, 1);
	xrun_free(r);

	/* The back-off doubles up to 30 s. */
	snprintf(buf, sizeof(buf), yaml, "retry-cap", 100, 8);
	r = run(buf, NULL, 0);
	assert_status(r, "Failed", "step 'f' failed: flaky failure 8 of 100");
	CU_ASSERT_EQUAL_FATAL(r->delay_count, 7);
	{
		const long long want[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000};

		for (int i = 0; i < 7; i++)
			CU_ASSERT_EQUAL(r->delays[i], want[i]);
	}
	xrun_free(r);
}

static void test_input_errors_are_not_retried(void)
{
	const char *yaml =
	    HEAD "parameters:\n  S:\n    type: String\n"
		 "mainSteps:\n"
		 "- name: e\n  action: testkit:echo\n  inputs: {Message: x, Count: '{{ S }}'}\n"
		 "  maxAttempts: 4\n";
	const char *assign[] = {"S=x"};
	struct xopts xo = {.no_validate = true};
	struct xrun *r = run_full(yaml, assign, 1, &xo);

	CU_ASSERT_STRING_EQUAL(r->res.status, "Failed");
	CU_ASSERT_EQUAL(count_records(r, "step_end", "e"), 1);
	CU_ASSERT_EQUAL(r->delay_count, 0);
	xrun_free(r);
}

static void test_timeouts(void)
{
	const char *slow = HEAD "mainSteps:\n"
				"- name: slow\n  action: testkit:slow\n  inputs: {Millis: 1100}\n"
				"  timeoutSeconds: 1\n%s"
				"- name: next\n  action: testkit:echo\n  inputs: {Message: n}\n";
	const char *sleepy = HEAD "mainSteps:\n"
				  "- name: nap\n  action: aws:sleep\n  inputs: {Duration: PT10M}\n"
				  "  timeoutSeconds: 2\n";
	char buf[1024];
	struct xrun *r = NULL;

	snprintf(buf, sizeof(buf), slow, "");
	r = run(buf, NULL, 0);
	assert_status(r, "TimedOut", "step 'slow' timed out: step timed out after 1 second");
	assert_steps(r, "slow");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "slow", 0), "status", NULL), "TimedOut");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "slow", 0), "error", "code"), "timeout");
	xrun_free(r);

	/* SSM's example: a non-critical timeout that moves on does not change the status. */
	snprintf(buf, sizeof(buf), slow, "  isCritical: false\n  onFailure: step:next\n");
	r = run(buf, NULL, 0);
	assert_status(r, "Success", "");
	assert_steps(r, "slow next");
	xrun_free(r);

	/* aws:sleep stops at the deadline (the injected sleep records how long). */
	r = run(sleepy, NULL, 0);
	assert_status(r, "TimedOut", "step 'nap' timed out: step timed out after 2 seconds");
	CU_ASSERT_EQUAL_FATAL(r->delay_count, 1);
	CU_ASSERT_TRUE(r->delays[0] > 1900 && r->delays[0] <= 2000);
	xrun_free(r);
}

static void test_loop_bound(void)
{
	const char *yaml = HEAD "mainSteps:\n"
				"- name: a\n  action: testkit:echo\n  inputs: {Message: a}\n"
				"- name: b\n  action: aws:branch\n  inputs:\n    Choices:\n"
				"    - NextStep: a\n      Variable: x\n      StringEquals: x\n"
				"- name: c\n  action: testkit:echo\n  inputs: {Message: c}\n";
	struct xopts xo = {.max_steps = 5};
	struct xrun *r = run_full(yaml, NULL, 0, &xo);

	assert_status(r, "Failed", "stopped after 5 step executions: 'a' -> 'b' loops");
	assert_steps(r, "a b a b a");
	xrun_free(r);
	xo.max_steps = 4;
	r = run_full(yaml, NULL, 0, &xo);
	assert_status(r, "Failed", "stopped after 4 step executions: 'b' -> 'a' loops");
	xrun_free(r);
}

static void test_cancel(void)
{
	const char *yaml = HEAD "mainSteps:\n"
				"- name: a\n  action: testkit:echo\n  inputs: {Message: a}\n"
				"- name: nap\n  action: aws:sleep\n  inputs: {Duration: PT1M}\n"
				"- name: c\n  action: testkit:echo\n  inputs: {Message: c}\n";
	const char *flaky =
	    HEAD "mainSteps:\n"
		 "- name: f\n  action: testkit:flaky\n  inputs: {Key: cancel, Failures: 9}\n"
		 "  maxAttempts: 5\n  onFailure: Continue\n"
		 "- name: c\n  action: testkit:echo\n  inputs: {Message: c}\n";
	struct xopts xo = {.cancel_at = "nap"};
	struct xrun *r = run_full(yaml, NULL, 0, &xo);

	assert_status(r, "Cancelled", "step 'nap' was cancelled");
	assert_steps(r, "a nap");
	CU_ASSERT_STRING_EQUAL(field(record(r, "step_end", "nap", 0), "status", NULL), "Cancelled");
	CU_ASSERT_STRING_EQUAL(r->events[3], "end nap Cancelled step cancelled");
	xrun_free(r);

	xo.cancel_at = NULL;
	xo.cancel_now = true;
	r = run_full(yaml, NULL, 0, &xo);
	assert_status(r, "Cancelled", "cancelled before step 'a'");
	assert_steps(r, "");
	CU_ASSERT_EQUAL(count_records(r, "step_start", NULL), 0);
	xrun_free(r);

	/* Cancelled while a step is failing: no further attempts, no onFailure. */
	xo.cancel_now = false;
	xo.cancel_at = "f";
	r = run_full(flaky, NULL, 0, &xo);
	assert_status(r, "Cancelled", "step 'f' was cancelled");
	assert_steps(r, "f");
	CU_ASSERT_EQUAL(count_records(r, "step_end", "f"), 1);
	xrun_free(r);
}

static void test_secrets_redacted(void)
{
	const char *yaml = HEAD "parameters:\n  Tok:\n    type: String\n"
				"  Fail:\n    type: Boolean\n    default: false\n"
				"mainSteps:\n"
				"- name: use\n  action: testkit:secret\n"
				"  inputs: {Token: '{{ Tok }}', User: alice, Fail: '{{ Fail }}'}\n"
				"  outputs:\n  - {Name: Echo, Selector: $.Echo, Type: String}\n"
				"outputs: [use.Echo]\n";
	const char *ok[] = {"Tok=s3cr3t-T0KEN"};
	const char *bad[] = {"Tok=s3cr3t-T0KEN", "Fail=true"};
	struct xrun *r = run(yaml, ok, 1);

	assert_status(r, "Success", "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->journal);
	CU_ASSERT_PTR_NULL(strstr(r->journal, "s3cr3t"));
	IRX_ASSERT_CONTAINS(r->journal, "\"Token\":\"********\"");
	IRX_ASSERT_CONTAINS(r->journal, "\"Tok\":\"********\"");
	IRX_ASSERT_CONTAINS(r->journal, "token is ********");
	/* The non-secret input is journaled as is. */
	IRX_ASSERT_CONTAINS(r->journal, "\"User\":\"alice\"");
	CU_ASSERT_PTR_NULL(strstr(r->logs, "s3cr3t"));
	IRX_ASSERT_CONTAINS(r->logs, "use: using token ********");
	/* What the caller gets back is redacted too. */
	CU_ASSERT_STRING_EQUAL(field(r->res.outputs, "use.Echo", NULL), "token is ********");
	xrun_free(r);

	r = run(yaml, bad, 2);
	assert_status(r, "Failed", "step 'use' failed: token ******** was refused");
	CU_ASSERT_PTR_NULL(strstr(r->journal, "s3cr3t"));
	IRX_ASSERT_CONTAINS(r->journal, "token ******** was refused");
	xrun_free(r);
}

static void test_dry_run(void)
{
	const char *yaml =
	    HEAD "mainSteps:\n"
		 "- name: change\n  action: testkit:undo\n  inputs: {Resource: sg-1}\n"
		 "  outputs:\n  - {Name: P, Selector: $.Planned, Type: Boolean}\n"
		 "- name: nap\n  action: aws:sleep\n  inputs: {Duration: PT5M}\n"
		 "outputs: [change.P]\n";
	struct xopts xo = {.dry_run = true};
	struct xrun *r = run_full(yaml, NULL, 0, &xo);
	struct json_object *end = NULL;

	assert_status(r, "Success", "");
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(r->res.outputs, "change.P")));
	end = record(r, "step_end", "change", 0);
	CU_ASSERT_PTR_NULL(json_object_object_get(end, "undo"));
	CU_ASSERT_STRING_EQUAL(field(end, "message", NULL), "would change the resource");
	CU_ASSERT_TRUE(
	    json_object_is_type(json_object_object_get(end, "planned_calls"), json_type_array));
	CU_ASSERT_STRING_EQUAL(field(record(r, "execution_start", NULL, 0), "dry_run", NULL),
			       "true");
	/* aws:sleep does not wait in a dry run. */
	CU_ASSERT_EQUAL(r->delay_count, 0);
	xrun_free(r);

	/* For real: the undo record reaches the journal. */
	r = run(yaml, NULL, 0);
	assert_status(r, "Success", "");
	end = record(r, "step_end", "change", 0);
	CU_ASSERT_STRING_EQUAL(field(end, "undo", "Resource"), "sg-1");
	CU_ASSERT_STRING_EQUAL(field(end, "undo", "Previous"), "open");
	CU_ASSERT_PTR_NULL(json_object_object_get(end, "planned_calls"));
	CU_ASSERT_EQUAL(r->delay_count, 1);
	CU_ASSERT_EQUAL(r->delays[0], 300000);
	CU_ASSERT_PTR_NULL(json_object_object_get(r->res.outputs, "change.P"));
	xrun_free(r);
}

static void test_unknown_actions_at_run_time(void)
{
	const char *yaml = HEAD "mainSteps:\n"
				"- name: s\n  action: %s\n  inputs: {}\n  maxAttempts: 3\n";
	struct {
		const char *action, *failure;
	} cases[] = {
	    {"testkit:nope",
	     "step 's' failed: unknown action 'testkit:nope': plugin 'testkit' (built in) has "
	     "no action 'nope'"},
	    {"nope:x", "step 's' failed: unknown action 'nope:x': no plugin 'nope' on the plugin "
		       "path (the plugin path is empty)"},
	    {"aws:executeScript", "step 's' failed: action 'aws:executeScript' is not supported "
				  "by irx"},
	    {"aws:frobnicate", "step 's' failed: unknown action 'aws:frobnicate'"},
	};
	struct xopts xo = {.no_validate = true};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[512];
		struct xrun *r = NULL;

		snprintf(buf, sizeof(buf), yaml, cases[i].action);
		r = run_full(buf, NULL, 0, &xo);
		assert_status(r, "Failed", cases[i].failure);
		/* Not retried: another attempt cannot find it either. */
		CU_ASSERT_EQUAL(count_records(r, "step_end", "s"), 1);
		CU_ASSERT_PTR_NULL(
		    json_object_object_get(record(r, "step_start", "s", 0), "inputs"));
		xrun_free(r);
	}
}

static void test_silent_failure(void)
{
	const char *yaml = HEAD "mainSteps:\n- name: s\n  action: testkit:silent\n  inputs: {}\n";
	struct xrun *r = run(yaml, NULL, 0);

	assert_status(r, "Failed",
		      "step 's' failed: action 'testkit:silent' failed without a "
		      "message");
	xrun_free(r);
}

static int fake_aws_clean(void *ud, struct irx_call *call, const char *service,
			  const char *operation, struct json_object *p,
			  struct json_object **response)
{
	char buf[128];

	(void)ud;
	(void)call;
	(void)p;
	snprintf(buf, sizeof(buf), "%s:%s", service, operation);
	*response = json_object_new_object();
	json_object_object_add(*response, "Called", json_object_new_string(buf));
	return 0;
}

static void test_aws_call_slot(void)
{
	const char *yaml = HEAD "mainSteps:\n- name: c\n  action: testkit:calls\n  inputs: {}\n"
				"  outputs:\n  - {Name: Has, Selector: $.HasAws, Type: Boolean}\n"
				"  - {Name: Called, Selector: $.Response.Called, Type: String}\n"
				"outputs: [c.Has, c.Called]\n";
	struct xopts xo = {0};
	struct xrun *r = run_full(yaml, NULL, 0, &xo);

	assert_status(r, "Success", "");
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(r->res.outputs, "c.Has")));
	CU_ASSERT_PTR_NULL(json_object_object_get(r->res.outputs, "c.Called"));
	xrun_free(r);
	xo.aws_call = fake_aws_clean;
	r = run_full(yaml, NULL, 0, &xo);
	assert_status(r, "Success", "");
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(r->res.outputs, "c.Has")));
	CU_ASSERT_STRING_EQUAL(field(r->res.outputs, "c.Called", NULL), "sts:GetCallerIdentity");
	xrun_free(r);
}

static void test_journal_unwritable(void)
{
	const char *yaml = HEAD "mainSteps:\n- name: a\n  action: testkit:echo\n"
				"  inputs: {Message: a}\n";
	struct irx_diags diags = {0};
	struct irx_runbook *rb = irx_runbook_load_buffer("t.yaml", yaml, strlen(yaml), &diags);
	struct irx_exec_options o = {0};
	struct irx_exec_result res = {0};
	struct irx_error err = {0};
	struct json_object *params = json_object_new_object();
	char path[4096];

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	snprintf(path, sizeof(path), "%s/file", irx_test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, "not a directory\n"), 0);
	o.state_dir = path;
	CU_ASSERT_EQUAL(irx_execute(rb, params, actions, &o, &res, &err), -1);
	CU_ASSERT_NOT_EQUAL(err.code, IRX_OK);
	CU_ASSERT_STRING_EQUAL(res.status, "Failed");
	CU_ASSERT_STRING_EQUAL(res.failure_message, err.message);
	CU_ASSERT_PTR_NOT_NULL(res.outputs);
	irx_exec_result_release(&res);
	/* No state directory at all. */
	irx_error_clear(&err);
	o.state_dir = NULL;
	CU_ASSERT_EQUAL(irx_execute(rb, params, actions, &o, &res, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "no state directory for the journal");
	irx_exec_result_release(&res);
	json_object_put(params);
	irx_runbook_free(rb);
	irx_diags_release(&diags);
}

static void test_registry(void)
{
	struct irx_action_ref ref;
	struct irx_error err = {0};
	struct irx_actions *bare = irx_actions_new(NULL);
	const struct irx_action *b = irx_builtin_actions();

	CU_ASSERT_STRING_EQUAL(b[0].name, "branch");
	CU_ASSERT_STRING_EQUAL(b[1].name, "sleep");
	CU_ASSERT_STRING_EQUAL(b[2].name, "executeAwsApi");
	CU_ASSERT_STRING_EQUAL(b[3].name, "waitForAwsResourceProperty");
	CU_ASSERT_STRING_EQUAL(b[4].name, "assertAwsResourceProperty");
	CU_ASSERT_STRING_EQUAL(b[5].name, "runCommand");
	CU_ASSERT_PTR_NULL(b[6].name);
	CU_ASSERT_EQUAL(irx_actions_lookup(bare, "aws:branch", &ref, &err), 0);
	CU_ASSERT_PTR_NULL(ref.plugin);
	CU_ASSERT_STRING_EQUAL(ref.action->params[0].name, "Choices");
	CU_ASSERT_EQUAL(ref.action->params[0].type, IRX_PARAM_MAP_LIST);
	CU_ASSERT_EQUAL(irx_actions_lookup(actions, "testkit:echo", &ref, &err), 0);
	CU_ASSERT_STRING_EQUAL(ref.plugin->name, "testkit");
	CU_ASSERT_PTR_NOT_NULL(ref.plugin_data);

	CU_ASSERT_EQUAL(irx_actions_lookup(bare, "testkit:echo", &ref, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "unknown action 'testkit:echo': no plugins are available");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_actions_lookup(bare, "aws:approve", &ref, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "action 'aws:approve' is not supported by irx");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_actions_lookup(bare, "aws:nope", &ref, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	{
		const char *bad[] = {"branch", ":x", "aws:", "a b:c", "aws:x:y", ""};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char want[128];

			irx_error_clear(&err);
			snprintf(want, sizeof(want),
				 "invalid action name '%s': expected 'namespace:name'", bad[i]);
			CU_ASSERT_EQUAL(irx_actions_lookup(bare, bad[i], &ref, &err), -1);
			CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
			CU_ASSERT_STRING_EQUAL(err.message, want);
		}
	}
	CU_ASSERT_TRUE(irx_builtin_is_unsupported("aws:executeScript"));
	CU_ASSERT_FALSE(irx_builtin_is_unsupported("aws:executeAwsApi"));
	CU_ASSERT_FALSE(irx_builtin_is_unsupported("aws:runCommand"));
	CU_ASSERT_FALSE(irx_builtin_is_unsupported("aws:branch"));
	CU_ASSERT_FALSE(irx_builtin_is_unsupported("aws:sleep"));
	CU_ASSERT_FALSE(irx_builtin_is_unsupported("aws:nope"));
	CU_ASSERT_FALSE(irx_builtin_is_unsupported("testkit:executeScript"));
	CU_ASSERT_FALSE(irx_builtin_is_unsupported(NULL));
	irx_actions_free(bare);
}

static void test_redact(void)
{
	const char *secrets[] = {"abc", "abcdef", ""};
	char buf[64];

	irx_redact("x abcdef y abc z", secrets, 3, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "x ******** y ******** z");
	irx_redact("abcabc", secrets, 1, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "****************");
	irx_redact("no secrets", secrets, 3, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "no secrets");
	/* Truncation keeps the buffer terminated and never shows part of a secret. */
	irx_redact("abc", secrets, 1, buf, 5);
	CU_ASSERT_STRING_EQUAL(buf, "****");
}

static CU_TestInfo tests[] = {
    {"outputs flow between steps", test_outputs_flow_between_steps},
    {"global and automation variables", test_globals},
    {"input types and defaults", test_input_types},
    {"output selectors: no match, type mismatch", test_output_selectors},
    {"onFailure and isCritical", test_on_failure},
    {"nextStep and isEnd", test_next_step_and_is_end},
    {"aws:branch in a runbook", test_branch_in_runbook},
    {"aws:branch type mismatch fails the step", test_branch_type_mismatch},
    {"maxAttempts and back-off", test_retries_and_backoff},
    {"input errors are not retried", test_input_errors_are_not_retried},
    {"timeoutSeconds", test_timeouts},
    {"step execution bound", test_loop_bound},
    {"cancellation", test_cancel},
    {"secrets redacted in the journal", test_secrets_redacted},
    {"dry run", test_dry_run},
    {"unknown actions at run time", test_unknown_actions_at_run_time},
    {"action failing without a message", test_silent_failure},
    {"aws_call slot", test_aws_call_slot},
    {"journal not writable", test_journal_unwritable},
    {"action registry", test_registry},
    {"redaction", test_redact},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("executor", tests, suite_init, suite_clean)
