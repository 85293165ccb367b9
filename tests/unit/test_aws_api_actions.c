/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws:executeAwsApi, aws:waitForAwsResourceProperty and aws:assertAwsResourceProperty: directly
 * with a fake AWS call (canned responses, recorded calls), and end to end through the executor
 * and the real client against the scripted server (aws_test_server.c), in dry-run and not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actions.h"
#include "aws/client.h"
#include "aws_test_server.h"
#include "builtins.h"
#include "diag.h"
#include "executor.h"
#include "host.h"
#include "params.h"
#include "runbook.h"
#include "test.h"
#include "util.h"

/* ---- a fake AWS call ------------------------------------------------------------------------- */

struct fake_aws {
	const char *const *responses; /* JSON texts, the last repeats; NULL entry: fail */
	size_t n;
	size_t calls;
	char last_service[64], last_op[64];
	char last_params[1024];
};

static int fake_aws_call(void *ud, struct irx_call *call, const char *service,
			 const char *operation, struct json_object *params,
			 struct json_object **response)
{
	struct fake_aws *f = ud;
	const char *r = f->responses[f->calls < f->n ? f->calls : f->n - 1];

	f->calls++;
	snprintf(f->last_service, sizeof(f->last_service), "%s", service);
	snprintf(f->last_op, sizeof(f->last_op), "%s", operation);
	snprintf(f->last_params, sizeof(f->last_params), "%s",
		 json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN));
	if (!r) {
		irx_error_set(&call->error, IRX_ERR_AWS,
			      "ec2:DescribeInstances failed: InvalidInstanceID.NotFound: The "
			      "instance ID 'i-9' does not exist (request id r-9)");
		return -1;
	}
	*response = json_tokener_parse(r);
	return 0;
}

struct sleeps {
	int count;
	long long ms[16];
};

static void record_sleep(void *ud, long long ms)
{
	struct sleeps *s = ud;

	if (s->count < 16)
		s->ms[s->count] = ms;
	s->count++;
}

struct logs {
	char text[4096];
};

static void record_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	struct logs *l = ud;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%d %s\n", (int)level, message);
}

struct env {
	struct fake_aws aws;
	struct sleeps sleeps;
	struct logs logs;
	struct irx_call call;
	struct irx_context ctx;
	struct irx_result res;
	struct json_object *inputs;
};

static void env_init(struct env *e, const char *const *responses, size_t n, const char *inputs,
		     bool with_aws, bool dry_run)
{
	memset(e, 0, sizeof(*e));
	e->aws.responses = responses;
	e->aws.n = n;
	irx_call_init(&e->call);
	e->call.step = "s";
	e->call.dry_run = dry_run;
	e->call.sleep_ms = record_sleep;
	e->call.sleep_ud = &e->sleeps;
	e->call.log = record_log;
	e->call.log_ud = &e->logs;
	e->call.min_level = IRX_LOG_DEBUG;
	if (with_aws) {
		e->call.aws_call = fake_aws_call;
		e->call.aws_ud = &e->aws;
	}
	e->ctx.size = sizeof(e->ctx);
	e->ctx.host = irx_host_table(with_aws);
	e->ctx.call = &e->call;
	e->ctx.execution_id = "00000000-0000-0000-0000-000000000000";
	e->ctx.step_name = "s";
	e->ctx.account_id = "";
	e->ctx.region = "";
	e->ctx.case_id = "";
	e->ctx.dry_run = dry_run;
	e->res.outputs = json_object_new_object();
	e->res.undo = json_object_new_object();
	e->inputs = json_tokener_parse(inputs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->inputs);
}

static void env_release(struct env *e)
{
	irx_call_release(&e->call);
	json_object_put(e->res.outputs);
	json_object_put(e->res.undo);
	json_object_put(e->inputs);
}

static const char *outputs_text(struct env *e)
{
	return json_object_to_json_string_ext(e->res.outputs, JSON_C_TO_STRING_PLAIN);
}

static const char running[] =
    "{\"Reservations\":[{\"Instances\":[{\"InstanceId\":\"i-1\",\"State\":{\"Name\":"
    "\"running\"},\"EbsOptimized\":false}]}]}";
static const char stopping[] =
    "{\"Reservations\":[{\"Instances\":[{\"InstanceId\":\"i-1\",\"State\":{\"Name\":"
    "\"stopping\"},\"EbsOptimized\":false}]}]}";
static const char stopped[] =
    "{\"Reservations\":[{\"Instances\":[{\"InstanceId\":\"i-1\",\"State\":{\"Name\":"
    "\"stopped\"},\"EbsOptimized\":false}]}]}";
static const char two[] =
    "{\"Reservations\":[{\"Instances\":[{\"State\":{\"Name\":\"stopped\"}},{\"State\":"
    "{\"Name\":\"running\"}}]}]}";

#define DESCRIBE "\"Service\":\"ec2\",\"Api\":\"DescribeInstances\",\"InstanceIds\":[\"i-1\"]"
#define STATE_SEL "\"PropertySelector\":\"$.Reservations[0].Instances[0].State.Name\""

/* ---- aws:executeAwsApi ------------------------------------------------------------------------
 */

static void test_execute(void)
{
	static const char *const r[] = {running};
	struct env e;

	env_init(&e, r, 1, "{" DESCRIBE "}", true, false);
	CU_ASSERT_EQUAL(irx_builtin_execute_aws_api(&e.ctx, e.inputs, &e.res), 0);
	CU_ASSERT_STRING_EQUAL(e.aws.last_service, "ec2");
	CU_ASSERT_STRING_EQUAL(e.aws.last_op, "DescribeInstances");
	/* the API gets its own parameters only */
	CU_ASSERT_STRING_EQUAL(e.aws.last_params, "{\"InstanceIds\":[\"i-1\"]}");
	CU_ASSERT_STRING_EQUAL(outputs_text(&e), running);
	env_release(&e);
}

static void test_execute_failure(void)
{
	static const char *const r[] = {NULL};
	struct env e;

	env_init(&e, r, 1, "{" DESCRIBE "}", true, false);
	CU_ASSERT_EQUAL(irx_builtin_execute_aws_api(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_STRING_EQUAL(e.call.error.message,
			       "ec2:DescribeInstances failed: InvalidInstanceID.NotFound: The "
			       "instance ID 'i-9' does not exist (request id r-9)");
	CU_ASSERT_EQUAL(json_object_object_length(e.res.outputs), 0);
	env_release(&e);
}

static void test_execute_without_client(void)
{
	struct env e;

	env_init(&e, NULL, 0, "{" DESCRIBE "}", false, false);
	CU_ASSERT_EQUAL(irx_builtin_execute_aws_api(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_STRING_EQUAL(e.call.error.message,
			       "cannot call ec2:DescribeInstances: no AWS client is configured");
	env_release(&e);
}

/* ---- aws:assertAwsResourceProperty --------------------------------------------------------- */

static void test_assert(void)
{
	static const char *const r[] = {running};
	struct env e;

	env_init(&e, r, 1,
		 "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[\"pending\",\"running\"]}", true,
		 false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), 0);
	CU_ASSERT_STRING_EQUAL(e.aws.last_params, "{\"InstanceIds\":[\"i-1\"]}");
	CU_ASSERT_STRING_EQUAL(outputs_text(&e), running);
	env_release(&e);

	env_init(&e, r, 1,
		 "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[\"stopped\",\"terminated\"]}",
		 true, false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_STRING_EQUAL(e.call.error.message,
			       "$.Reservations[0].Instances[0].State.Name is 'running', expected "
			       "one of: stopped, terminated");
	CU_ASSERT_EQUAL(e.aws.calls, 1);
	env_release(&e);
}

static void test_assert_values(void)
{
	static const char *const r[] = {running};
	static const char *const r2[] = {two};
	struct env e;

	/* booleans are True / False, as SSM writes them */
	env_init(&e, r, 1,
		 "{" DESCRIBE
		 ",\"PropertySelector\":\"$.Reservations[0].Instances[0].EbsOptimized\","
		 "\"DesiredValues\":[\"False\"]}",
		 true, false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), 0);
	env_release(&e);
	env_init(&e, r, 1,
		 "{" DESCRIBE
		 ",\"PropertySelector\":\"$.Reservations[0].Instances[0].EbsOptimized\","
		 "\"DesiredValues\":[\"True\"]}",
		 true, false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_STRING_EQUAL(e.call.error.message,
			       "$.Reservations[0].Instances[0].EbsOptimized is 'False', expected "
			       "one of: True");
	env_release(&e);
	/* a list matches only when every element does */
	env_init(&e, r2, 1,
		 "{" DESCRIBE ",\"PropertySelector\":\"$.Reservations[0].Instances[*].State.Name\","
		 "\"DesiredValues\":[\"stopped\"]}",
		 true, false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_STRING_EQUAL(e.call.error.message,
			       "$.Reservations[0].Instances[*].State.Name is "
			       "[\"stopped\",\"running\"], expected one of: stopped");
	env_release(&e);
	env_init(&e, r2, 1,
		 "{" DESCRIBE ",\"PropertySelector\":\"$.Reservations[0].Instances[*].State.Name\","
		 "\"DesiredValues\":[\"stopped\",\"running\"]}",
		 true, false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), 0);
	env_release(&e);
	/* absent */
	env_init(&e, r, 1,
		 "{" DESCRIBE ",\"PropertySelector\":\"$.Reservations[3].Instances[0].State.Name\","
		 "\"DesiredValues\":[\"running\"]}",
		 true, false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_STRING_EQUAL(e.call.error.message,
			       "$.Reservations[3].Instances[0].State.Name is not in the response, "
			       "expected one of: running");
	env_release(&e);
}

static void test_assert_bad_inputs(void)
{
	static const char *const r[] = {running};
	struct env e;

	env_init(&e, r, 1,
		 "{" DESCRIBE ",\"PropertySelector\":\"Reservations[0\","
		 "\"DesiredValues\":[\"running\"]}",
		 true, false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), -1);
	IRX_ASSERT_CONTAINS(e.call.error.message, "invalid PropertySelector 'Reservations[0': ");
	CU_ASSERT_EQUAL(e.aws.calls, 0);
	env_release(&e);
	env_init(&e, r, 1, "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[]}", true, false);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_STRING_EQUAL(e.call.error.message, "DesiredValues must list at least one value");
	CU_ASSERT_EQUAL(e.aws.calls, 0);
	env_release(&e);
}

static void test_assert_dry_run(void)
{
	static const char *const r[] = {running};
	struct env e;

	env_init(&e, r, 1, "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[\"stopped\"]}", true,
		 true);
	CU_ASSERT_EQUAL(irx_builtin_assert_aws_resource_property(&e.ctx, e.inputs, &e.res), 0);
	CU_ASSERT_STRING_EQUAL(e.res.message,
			       "dry run: the assertion does not hold now (see the log)");
	IRX_ASSERT_CONTAINS(e.logs.text, "2 dry run: the assertion does not hold now: "
					 "$.Reservations[0].Instances[0].State.Name is 'running', "
					 "expected one of: stopped\n");
	env_release(&e);
}

/* ---- aws:waitForAwsResourceProperty ---------------------------------------------------------- */

static void test_wait(void)
{
	static const char *const r[] = {running, stopping, stopping, stopped};
	struct env e;

	env_init(&e, r, 4, "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[\"stopped\"]}", true,
		 false);
	CU_ASSERT_EQUAL(irx_builtin_wait_for_aws_resource_property(&e.ctx, e.inputs, &e.res), 0);
	CU_ASSERT_EQUAL(e.aws.calls, 4);
	CU_ASSERT_EQUAL(e.sleeps.count, 3);
	CU_ASSERT_EQUAL(e.sleeps.ms[0], 1000);
	CU_ASSERT_EQUAL(e.sleeps.ms[1], 2000);
	CU_ASSERT_EQUAL(e.sleeps.ms[2], 4000);
	CU_ASSERT_STRING_EQUAL(outputs_text(&e), stopped);
	env_release(&e);
}

static void test_wait_backoff_cap(void)
{
	static const char *const r[] = {running, running, running, running,
					running, running, running, stopped};
	struct env e;

	env_init(&e, r, 8, "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[\"stopped\"]}", true,
		 false);
	CU_ASSERT_EQUAL(irx_builtin_wait_for_aws_resource_property(&e.ctx, e.inputs, &e.res), 0);
	CU_ASSERT_EQUAL(e.sleeps.count, 7);
	CU_ASSERT_EQUAL(e.sleeps.ms[4], 16000);
	CU_ASSERT_EQUAL(e.sleeps.ms[5], 30000);
	CU_ASSERT_EQUAL(e.sleeps.ms[6], 30000);
	env_release(&e);
}

static void test_wait_timeout(void)
{
	static const char *const r[] = {running};
	struct env e;

	env_init(&e, r, 1, "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[\"stopped\"]}", true,
		 false);
	/* injected sleeps do not advance the clock: 1 s and 2 s fit, 4 s does not */
	e.ctx.deadline_ms = irx_now_ms() + 3500;
	e.call.deadline_ms = e.ctx.deadline_ms;
	CU_ASSERT_EQUAL(irx_builtin_wait_for_aws_resource_property(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_TRUE(e.call.timed_out);
	CU_ASSERT_EQUAL(e.aws.calls, 3);
	/* the last sleep runs to the deadline (the fake clock stood still: about 3.5 s) */
	CU_ASSERT_EQUAL(e.sleeps.count, 3);
	CU_ASSERT_TRUE(e.sleeps.ms[2] > 3000 && e.sleeps.ms[2] <= 3500);
	CU_ASSERT_STRING_EQUAL(e.call.error.message,
			       "timed out after 3 calls waiting for "
			       "$.Reservations[0].Instances[0].State.Name to be one of: stopped "
			       "(last value 'running')");
	env_release(&e);
}

static void test_wait_api_error(void)
{
	static const char *const r[] = {running, NULL};
	struct env e;

	env_init(&e, r, 2, "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[\"stopped\"]}", true,
		 false);
	CU_ASSERT_EQUAL(irx_builtin_wait_for_aws_resource_property(&e.ctx, e.inputs, &e.res), -1);
	CU_ASSERT_EQUAL(e.aws.calls, 2);
	IRX_ASSERT_CONTAINS(e.call.error.message, "InvalidInstanceID.NotFound");
	env_release(&e);
}

static void test_wait_dry_run(void)
{
	static const char *const r[] = {running};
	struct env e;

	env_init(&e, r, 1, "{" DESCRIBE "," STATE_SEL ",\"DesiredValues\":[\"stopped\"]}", true,
		 true);
	CU_ASSERT_EQUAL(irx_builtin_wait_for_aws_resource_property(&e.ctx, e.inputs, &e.res), 0);
	CU_ASSERT_EQUAL(e.aws.calls, 1);
	CU_ASSERT_EQUAL(e.sleeps.count, 0);
	CU_ASSERT_STRING_EQUAL(e.res.message, "dry run: not waiting");
	IRX_ASSERT_CONTAINS(e.logs.text, "1 dry run: would wait for "
					 "$.Reservations[0].Instances[0].State.Name to be one of: "
					 "stopped (now 'running')\n");
	env_release(&e);
}

static void test_registered(void)
{
	struct irx_actions *a = irx_actions_new(NULL);
	struct irx_action_ref ref = {0};
	struct irx_error err = {0};

	CU_ASSERT_EQUAL(irx_actions_lookup(a, "aws:executeAwsApi", &ref, &err), 0);
	CU_ASSERT_TRUE(ref.action->flags & IRX_ACTION_OPEN_INPUTS);
	CU_ASSERT_EQUAL(irx_actions_lookup(a, "aws:waitForAwsResourceProperty", &ref, &err), 0);
	CU_ASSERT_STRING_EQUAL(ref.action->params[2].name, "PropertySelector");
	CU_ASSERT_EQUAL(ref.action->params[3].type, IRX_PARAM_STRING_LIST);
	CU_ASSERT_EQUAL(irx_actions_lookup(a, "aws:assertAwsResourceProperty", &ref, &err), 0);
	CU_ASSERT_FALSE(irx_builtin_is_unsupported("aws:executeAwsApi"));
	CU_ASSERT_TRUE(irx_builtin_is_unsupported("aws:executeScript"));
	irx_actions_free(a);
}

/* ---- end to end: executor + client + scripted server ------------------------------------------
 */

static const char ec2_running_xml[] =
    "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>r1</requestId><reservationSet><item><reservationId>r-1</reservationId>"
    "<instancesSet><item><instanceId>i-0abc</instanceId><instanceState><code>16</code>"
    "<name>running</name></instanceState><networkInterfaceSet><item><networkInterfaceId>"
    "eni-1</networkInterfaceId><groupSet><item><groupId>sg-1</groupId><groupName>a</groupName>"
    "</item></groupSet></item><item><networkInterfaceId>eni-2</networkInterfaceId><groupSet>"
    "<item><groupId>sg-2</groupId><groupName>b</groupName></item><item><groupId>sg-3</groupId>"
    "<groupName>c</groupName></item></groupSet></item></networkInterfaceSet></item>"
    "</instancesSet></item></reservationSet></DescribeInstancesResponse>";
static const char ec2_stopping_xml[] =
    "<StopInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r2"
    "</requestId><instancesSet><item><instanceId>i-0abc</instanceId><currentState><code>64"
    "</code><name>stopping</name></currentState><previousState><code>16</code><name>running"
    "</name></previousState></item></instancesSet></StopInstancesResponse>";

static const char runbook[] =
    "schemaVersion: '0.3'\n"
    "parameters:\n"
    "  InstanceId:\n"
    "    type: String\n"
    "mainSteps:\n"
    "  - name: describe\n"
    "    action: aws:executeAwsApi\n"
    "    inputs:\n"
    "      Service: ec2\n"
    "      Api: DescribeInstances\n"
    "      InstanceIds: ['{{ InstanceId }}']\n"
    "    outputs:\n"
    "      - Name: State\n"
    "        Selector: $.Reservations[0].Instances[0].State.Name\n"
    "        Type: String\n"
    "      - Name: Groups\n"
    "        Selector: $.Reservations[0].Instances[0].NetworkInterfaces[1].Groups\n"
    "        Type: MapList\n"
    "  - name: mustRun\n"
    "    action: aws:assertAwsResourceProperty\n"
    "    inputs:\n"
    "      Service: ec2\n"
    "      Api: DescribeInstances\n"
    "      InstanceIds: ['{{ InstanceId }}']\n"
    "      PropertySelector: $.Reservations[0].Instances[0].State.Name\n"
    "      DesiredValues: [pending, running]\n"
    "  - name: stop\n"
    "    action: aws:executeAwsApi\n"
    "    inputs:\n"
    "      Service: ec2\n"
    "      Api: StopInstances\n"
    "      InstanceIds: ['{{ InstanceId }}']\n"
    "    outputs:\n"
    "      - Name: Now\n"
    "        Selector: $.StoppingInstances[0].CurrentState.Name\n"
    "        Type: String\n"
    "outputs:\n"
    "  - describe.State\n"
    "  - describe.Groups\n"
    "  - stop.Now\n";

static void quiet_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
}

static int run_runbook(const char *url, bool dry_run, struct irx_exec_result *res, char **journal)
{
	static const char *const env[] = {"HOME=/nonexistent-irx-test",
					  "AWS_EC2_METADATA_DISABLED=true", NULL};
	struct irx_diags diags = {0};
	struct irx_runbook *rb =
	    irx_runbook_load_buffer("t.yaml", runbook, strlen(runbook), &diags);
	struct irx_actions *actions = irx_actions_new(NULL);
	struct irx_aws_client_options co = {0};
	struct irx_aws_client *c = NULL;
	struct irx_exec_options eo = {0};
	struct irx_error err = {0};
	struct json_object *params = NULL;
	const char *assign[] = {"InstanceId=i-0abc"};
	size_t len = 0;
	int rc = -1;

	setenv("AWS_ENDPOINT_URL", url, 1);
	if (rb)
		irx_runbook_validate(rb, actions, &diags);
	if (!rb || diags.count) {
		irx_diags_print(&diags, stderr);
		goto out;
	}
	params = irx_params_bind(rb, assign, 1, &diags);
	co.region = "us-east-1";
	co.access_key_id = "AKIDEXAMPLE";
	co.secret_access_key = "secret";
	co.env = env;
	c = irx_aws_client_new(&co, &err);
	if (!c || !params)
		goto out;
	eo.state_dir = irx_test_tmpdir();
	eo.dry_run = dry_run;
	eo.region = "us-east-1";
	eo.account_id = "111111111111";
	eo.log = quiet_log;
	irx_aws_attach_exec(&eo, c, NULL);
	rc = irx_execute(rb, params, actions, &eo, res, &err);
	if (rc == 0 && irx_read_file(res->journal_path, 1 << 24, journal, &len) < 0)
		rc = -1;
out:
	unsetenv("AWS_ENDPOINT_URL");
	irx_aws_client_free(c);
	json_object_put(params);
	irx_actions_free(actions);
	irx_runbook_free(rb);
	irx_diags_release(&diags);
	return rc;
}

static void test_end_to_end(void)
{
	static const struct irx_ts_step script[] = {
	    {IRX_TS_ANSWER, 200, NULL, ec2_running_xml},
	    {IRX_TS_ANSWER, 200, NULL, ec2_running_xml},
	    {IRX_TS_ANSWER, 200, NULL, ec2_stopping_xml},
	};
	struct irx_test_server srv;
	struct irx_exec_result res = {0};
	char *journal = NULL, *head = NULL, *body = NULL;

	CU_ASSERT_FATAL(irx_ts_start(&srv, script, 3) == 0);
	CU_ASSERT_EQUAL_FATAL(run_runbook(srv.url, false, &res, &journal), 0);
	CU_ASSERT_STRING_EQUAL(res.status, "Success");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(res.outputs, JSON_C_TO_STRING_PLAIN),
	    "{\"describe.State\":\"running\",\"describe.Groups\":[{\"GroupName\":\"b\","
	    "\"GroupId\":\"sg-2\"},{\"GroupName\":\"c\",\"GroupId\":\"sg-3\"}],"
	    "\"stop.Now\":\"stopping\"}");
	CU_ASSERT_EQUAL(irx_ts_requests(&srv), 3);
	CU_ASSERT_FATAL(irx_ts_request(&srv, 2, &head, &body) == 0);
	CU_ASSERT_STRING_EQUAL(body, "Action=StopInstances&Version=2016-11-15&InstanceId.1=i-0abc");
	free(head);
	free(body);
	free(journal);
	irx_exec_result_release(&res);
	irx_ts_stop(&srv);
}

static void test_end_to_end_dry_run(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 200, NULL, ec2_running_xml}};
	struct irx_test_server srv;
	struct irx_exec_result res = {0};
	char *journal = NULL;

	CU_ASSERT_FATAL(irx_ts_start(&srv, script, 1) == 0);
	CU_ASSERT_EQUAL_FATAL(run_runbook(srv.url, true, &res, &journal), 0);
	CU_ASSERT_STRING_EQUAL(res.status, "Success");
	/* the two reads were sent, StopInstances was planned */
	CU_ASSERT_EQUAL(irx_ts_requests(&srv), 2);
	IRX_ASSERT_CONTAINS(
	    journal, "\"planned_calls\":[{\"service\":\"ec2\",\"operation\":\"StopInstances\","
		     "\"parameters\":{\"InstanceIds\":[\"i-0abc\"]}}]");
	free(journal);
	irx_exec_result_release(&res);
	irx_ts_stop(&srv);
}

static CU_TestInfo tests[] = {
    {"executeAwsApi", test_execute},
    {"executeAwsApi failure", test_execute_failure},
    {"executeAwsApi without a client", test_execute_without_client},
    {"assert", test_assert},
    {"assert values", test_assert_values},
    {"assert bad inputs", test_assert_bad_inputs},
    {"assert dry-run", test_assert_dry_run},
    {"wait", test_wait},
    {"wait backoff cap", test_wait_backoff_cap},
    {"wait timeout", test_wait_timeout},
    {"wait api error", test_wait_api_error},
    {"wait dry-run", test_wait_dry_run},
    {"registered", test_registered},
    {"end to end", test_end_to_end},
    {"end to end dry-run", test_end_to_end_dry_run},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("aws_api_actions", tests, NULL, NULL)
