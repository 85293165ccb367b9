/* SPDX-License-Identifier: Apache-2.0 */
/* The ssm plugin (ssm:startAutomation) against the scripted fake AWS. */
#include <string.h>
#include <time.h>

#include "fake_aws.h"
#include "test.h"

const struct irx_plugin *irx_plugin_entry_ssm(void);

static const struct irx_action *start_action(void)
{
	return &irx_plugin_entry_ssm()->actions[0];
}

struct run {
	struct irx_result res;
	int rc;
};

static void run_release(struct run *r)
{
	json_object_put(r->res.outputs);
	json_object_put(r->res.undo);
	memset(r, 0, sizeof(*r));
}

/* Runs the action on ctx with inputs (JSON text), defaults applied as the engine would. */
static void run_ctx(const struct irx_context *ctx, const char *inputs, struct run *r)
{
	struct json_object *in = json_tokener_parse(inputs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	if (!json_object_object_get_ex(in, "WaitForCompletion", NULL))
		json_object_object_add(in, "WaitForCompletion", json_object_new_boolean(1));
	memset(r, 0, sizeof(*r));
	r->res.outputs = json_object_new_object();
	r->res.undo = json_object_new_object();
	r->rc = start_action()->execute(ctx, in, &r->res);
	json_object_put(in);
}

static void run_exec(struct fake_aws *f, const char *inputs, bool dry, struct run *r)
{
	run_ctx(fake_aws_context(f, "automate", dry), inputs, r);
}

static struct json_object *call_params(struct fake_aws *f, size_t i)
{
	return json_object_object_get(json_object_array_get_idx(fake_aws_calls(f), i), "params");
}

static const char *json_text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static const char *out_str(struct run *r, const char *key)
{
	return json_object_get_string(json_object_object_get(r->res.outputs, key));
}

#define EXEC_ID "6f1b2c3d-0000-4000-8000-00000000abcd"
#define DOC_AUTOMATION                                                                             \
	"{\"Document\":{\"Name\":\"AWS-StopEC2Instance\",\"DocumentType\":\"Automation\"}}"
#define STARTED "{\"AutomationExecutionId\":\"" EXEC_ID "\"}"
#define IN_PROGRESS                                                                                \
	"{\"AutomationExecution\":{\"AutomationExecutionId\":\"" EXEC_ID "\","                     \
	"\"AutomationExecutionStatus\":\"InProgress\",\"StepExecutions\":[{\"StepName\":"          \
	"\"stopInstances\",\"Action\":\"aws:changeInstanceState\",\"StepStatus\":"                 \
	"\"InProgress\"}]}}"
#define SUCCEEDED                                                                                  \
	"{\"AutomationExecution\":{\"AutomationExecutionId\":\"" EXEC_ID "\","                     \
	"\"AutomationExecutionStatus\":\"Success\",\"Outputs\":{\"stopInstances.State\":"          \
	"[\"stopped\"]},\"StepExecutions\":[{\"StepName\":\"stopInstances\",\"Action\":"           \
	"\"aws:changeInstanceState\",\"StepStatus\":\"Success\",\"StepExecutionId\":\"s-1\","      \
	"\"Inputs\":{\"DesiredState\":\"\\\"stopped\\\"\"},\"Outputs\":{\"State\":[\"stopped\"]}}" \
	"]}}"
#define FAILED                                                                                     \
	"{\"AutomationExecution\":{\"AutomationExecutionId\":\"" EXEC_ID "\","                     \
	"\"AutomationExecutionStatus\":\"Failed\",\"FailureMessage\":\"Step fails when it is "     \
	"Executing. Fail message:The instance is not in a state to be stopped\","                  \
	"\"StepExecutions\":[{\"StepName\":\"describe\",\"Action\":\"aws:executeAwsApi\","         \
	"\"StepStatus\":\"Success\"},{\"StepName\":\"stopInstances\",\"Action\":"                  \
	"\"aws:changeInstanceState\",\"StepStatus\":\"Failed\",\"FailureMessage\":"                \
	"\"IncorrectInstanceState: The instance 'i-1' is not in a state from which it can be "     \
	"stopped.\"},{\"StepName\":\"notify\",\"Action\":\"aws:executeAwsApi\",\"StepStatus\":"    \
	"\"Pending\"}]}}"

static struct fake_aws *scripted(void)
{
	struct fake_aws *f = fake_aws_new();

	fake_aws_reply(f, "ssm:DescribeDocument", DOC_AUTOMATION);
	fake_aws_reply(f, "ssm:StartAutomationExecution", STARTED);
	return f;
}

#define STOP_INPUTS                                                                                \
	"{\"DocumentName\":\"AWS-StopEC2Instance\",\"Parameters\":{\"InstanceId\":\"i-1\","        \
	"\"AutomationAssumeRole\":[\"arn:aws:iam::111111111111:role/ssm\"]}}"

static void test_start_and_wait(void)
{
	struct fake_aws *f = scripted();
	struct run r;

	fake_aws_reply(f, "ssm:GetAutomationExecution", IN_PROGRESS);
	fake_aws_reply(f, "ssm:GetAutomationExecution", IN_PROGRESS);
	fake_aws_reply(f, "ssm:GetAutomationExecution", SUCCEEDED);
	run_exec(f, STOP_INPUTS, false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:DescribeDocument,ssm:StartAutomationExecution,"
			       "ssm:GetAutomationExecution,ssm:GetAutomationExecution,"
			       "ssm:GetAutomationExecution");
	CU_ASSERT_STRING_EQUAL(json_text(call_params(f, 0)), "{\"Name\":\"AWS-StopEC2Instance\"}");
	/* scalars become one-element lists; tagged with the execution and the action */
	CU_ASSERT_STRING_EQUAL(
	    json_text(call_params(f, 1)),
	    "{\"DocumentName\":\"AWS-StopEC2Instance\",\"Parameters\":{\"InstanceId\":[\"i-1\"],"
	    "\"AutomationAssumeRole\":[\"arn:aws:iam::111111111111:role\\/ssm\"]},\"Tags\":[{"
	    "\"Key\":\"irx:execution-id\",\"Value\":\"00000000-0000-4000-8000-000000000001\"},{"
	    "\"Key\":\"irx:action\",\"Value\":\"ssm:startAutomation\"}]}");
	CU_ASSERT_STRING_EQUAL(json_text(call_params(f, 2)),
			       "{\"AutomationExecutionId\":\"" EXEC_ID "\"}");
	/* backoff: 2 s, then 4 s */
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 6000);
	CU_ASSERT_STRING_EQUAL(out_str(&r, "AutomationExecutionId"), EXEC_ID);
	CU_ASSERT_STRING_EQUAL(out_str(&r, "AutomationExecutionStatus"), "Success");
	CU_ASSERT_STRING_EQUAL(json_text(json_object_object_get(r.res.outputs, "Outputs")),
			       "{\"stopInstances.State\":[\"stopped\"]}");
	/* the step results SSM reports, without their inputs */
	CU_ASSERT_STRING_EQUAL(
	    json_text(json_object_object_get(r.res.outputs, "StepExecutions")),
	    "[{\"StepName\":\"stopInstances\",\"Action\":\"aws:changeInstanceState\","
	    "\"StepStatus\":\"Success\",\"StepExecutionId\":\"s-1\",\"Outputs\":{\"State\":["
	    "\"stopped\"]}}]");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "automation 'AWS-StopEC2Instance' (execution '" EXEC_ID
			       "') succeeded in account '111111111111' region 'us-east-1'");
	/* no rollback, but the journal says what ran */
	CU_ASSERT_PTR_NULL(start_action()->rollback);
	CU_ASSERT_TRUE(start_action()->flags & IRX_ACTION_MUTATES);
	CU_ASSERT_STRING_EQUAL(json_text(r.res.undo),
			       "{\"DocumentName\":\"AWS-StopEC2Instance\",\"Reversible\":false,"
			       "\"AutomationExecutionId\":\"" EXEC_ID "\"}");
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 2);
	IRX_ASSERT_CONTAINS(start_action()->summary, "cannot be undone");
	run_release(&r);
	fake_aws_free(f);
}

static void test_failed_step_surfaces(void)
{
	struct fake_aws *f = scripted();
	struct run r;

	fake_aws_reply(f, "ssm:GetAutomationExecution", FAILED);
	run_exec(f, STOP_INPUTS, false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "automation 'AWS-StopEC2Instance' (execution '" EXEC_ID
			       "') ended Failed: step 'stopInstances' (aws:changeInstanceState) "
			       "Failed: IncorrectInstanceState: The instance 'i-1' is not in a "
			       "state from which it can be stopped.");
	/* the results are still there for the journal */
	CU_ASSERT_STRING_EQUAL(out_str(&r, "AutomationExecutionStatus"), "Failed");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
				   json_object_array_get_idx(
				       json_object_object_get(r.res.outputs, "StepExecutions"), 1),
				   "StepStatus")),
			       "Failed");
	IRX_ASSERT_CONTAINS(out_str(&r, "FailureMessage"), "not in a state to be stopped");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	run_release(&r);
	fake_aws_free(f);
}

static void test_final_statuses(void)
{
	static const char *const bad[] = {"TimedOut", "Cancelled", "CompletedWithFailure"};

	for (size_t i = 0; i < 3; i++) {
		struct fake_aws *f = scripted();
		struct run r;
		char reply[512], want[512];

		/* no failed step: the execution's own failure message */
		snprintf(reply, sizeof(reply),
			 "{\"AutomationExecution\":{\"AutomationExecutionStatus\":\"%s\","
			 "\"FailureMessage\":\"it ended\",\"StepExecutions\":[]}}",
			 bad[i]);
		fake_aws_reply(f, "ssm:GetAutomationExecution", reply);
		run_exec(f, STOP_INPUTS, false, &r);
		CU_ASSERT_EQUAL(r.rc, -1);
		snprintf(want, sizeof(want),
			 "automation 'AWS-StopEC2Instance' (execution '" EXEC_ID
			 "') ended %s: it ended",
			 bad[i]);
		CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), want);
		run_release(&r);
		fake_aws_free(f);
	}
	{
		/* Pending and Waiting keep polling; CompletedWithSuccess is a success */
		struct fake_aws *f = scripted();
		struct run r;

		fake_aws_reply(
		    f, "ssm:GetAutomationExecution",
		    "{\"AutomationExecution\":{\"AutomationExecutionStatus\":\"Pending\"}}");
		fake_aws_reply(
		    f, "ssm:GetAutomationExecution",
		    "{\"AutomationExecution\":{\"AutomationExecutionStatus\":\"Waiting\"}}");
		fake_aws_reply(f, "ssm:GetAutomationExecution",
			       "{\"AutomationExecution\":{\"AutomationExecutionStatus\":"
			       "\"CompletedWithSuccess\"}}");
		run_exec(f, STOP_INPUTS, false, &r);
		CU_ASSERT_EQUAL(r.rc, 0);
		CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 6000);
		CU_ASSERT_STRING_EQUAL(out_str(&r, "AutomationExecutionStatus"),
				       "CompletedWithSuccess");
		CU_ASSERT_STRING_EQUAL(json_text(json_object_object_get(r.res.outputs, "Outputs")),
				       "{}");
		run_release(&r);
		fake_aws_free(f);
	}
}

static void test_target_locations(void)
{
	struct fake_aws *f = scripted();
	const struct irx_context *ctx = fake_aws_context(f, "automate", false);
	struct irx_context c2 = *ctx;
	struct run r;

	c2.case_id = "CASE-42";
	fake_aws_reply(f, "ssm:GetAutomationExecution", SUCCEEDED);
	run_ctx(&c2,
		"{\"DocumentName\":\"AWS-StopEC2Instance\",\"DocumentVersion\":\"3\","
		"\"Parameters\":{\"InstanceId\":[\"i-1\",\"i-2\"],\"Force\":true,\"Count\":2},"
		"\"Accounts\":[\"222222222222\",\"333333333333\"],"
		"\"ExecutionRoleName\":\"IrxAutomationExecution\","
		"\"TargetLocationMaxConcurrency\":\"2\",\"TargetLocationMaxErrors\":\"10%\"}",
		&r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(json_text(call_params(f, 0)),
			       "{\"Name\":\"AWS-StopEC2Instance\",\"DocumentVersion\":\"3\"}");
	/* the regions default to the step's region */
	CU_ASSERT_STRING_EQUAL(
	    json_text(call_params(f, 1)),
	    "{\"DocumentName\":\"AWS-StopEC2Instance\",\"DocumentVersion\":\"3\",\"Parameters\":{"
	    "\"InstanceId\":[\"i-1\",\"i-2\"],\"Force\":[\"true\"],\"Count\":[\"2\"]},"
	    "\"TargetLocations\":[{\"Accounts\":[\"222222222222\",\"333333333333\"],\"Regions\":["
	    "\"us-east-1\"],\"ExecutionRoleName\":\"IrxAutomationExecution\","
	    "\"TargetLocationMaxConcurrency\":\"2\",\"TargetLocationMaxErrors\":\"10%\"}],"
	    "\"Tags\":[{\"Key\":\"irx:execution-id\",\"Value\":"
	    "\"00000000-0000-4000-8000-000000000001\"},{\"Key\":\"irx:case-id\",\"Value\":"
	    "\"CASE-42\"},{\"Key\":\"irx:action\",\"Value\":\"ssm:startAutomation\"}]}");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "automation 'AWS-StopEC2Instance' (execution '" EXEC_ID
			       "') succeeded in accounts 222222222222, 333333333333, regions "
			       "us-east-1, as role 'IrxAutomationExecution'");
	run_release(&r);
	fake_aws_free(f);

	/* Regions alone: the accounts default to the step's account */
	f = scripted();
	fake_aws_reply(f, "ssm:GetAutomationExecution", SUCCEEDED);
	run_exec(f,
		 "{\"DocumentName\":\"AWS-StopEC2Instance\",\"Regions\":[\"eu-west-1\","
		 "\"eu-central-1\"]}",
		 false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(
	    json_text(json_object_object_get(call_params(f, 1), "TargetLocations")),
	    "[{\"Accounts\":[\"111111111111\"],\"Regions\":[\"eu-west-1\",\"eu-central-1\"]}]");
	IRX_ASSERT_CONTAINS(r.res.message, "regions eu-west-1, eu-central-1, as role "
					   "'AWS-SystemsManager-AutomationExecutionRole'");
	run_release(&r);
	fake_aws_free(f);
}

static void test_dry_run(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	fake_aws_reply(f, "ssm:DescribeDocument", DOC_AUTOMATION);
	/* as the host in a dry run: the mutating call is recorded and answered with {} */
	fake_aws_reply(f, "ssm:StartAutomationExecution", "{}");
	run_exec(f, STOP_INPUTS, true, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:DescribeDocument,ssm:StartAutomationExecution");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 0);
	CU_ASSERT_STRING_EQUAL(json_text(r.res.undo), "{}");
	CU_ASSERT_STRING_EQUAL(
	    r.res.message,
	    "would start automation 'AWS-StopEC2Instance' in account '111111111111' region "
	    "'us-east-1' with parameters {\"InstanceId\":[\"i-1\"],\"AutomationAssumeRole\":["
	    "\"arn:aws:iam::111111111111:role\\/ssm\"]} and wait for it; an automation cannot be "
	    "undone");
	CU_ASSERT_STRING_EQUAL(out_str(&r, "AutomationExecutionStatus"), "NotStarted");
	run_release(&r);
	fake_aws_free(f);
}

static void test_not_automation_document(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	fake_aws_reply(f, "ssm:DescribeDocument",
		       "{\"Document\":{\"Name\":\"AWS-RunShellScript\",\"DocumentType\":"
		       "\"Command\"}}");
	run_exec(f, "{\"DocumentName\":\"AWS-RunShellScript\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "ssm:DescribeDocument");
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot start automation 'AWS-RunShellScript': it is a Command "
			       "document, not an Automation document");
	run_release(&r);
	fake_aws_free(f);

	/* a document that does not exist: SSM's error fails the step */
	f = fake_aws_new();
	fake_aws_error(f, "ssm:DescribeDocument", 400, "InvalidDocument",
		       "Document with name Nope does not exist.");
	run_exec(f, "{\"DocumentName\":\"Nope\"}", true, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "InvalidDocument: Document with name Nope does not exist. (HTTP 400, "
	    "request id fake-0001)");
	run_release(&r);
	fake_aws_free(f);
}

static void test_errors(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	fake_aws_reply(f, "ssm:DescribeDocument", DOC_AUTOMATION);
	fake_aws_error(f, "ssm:StartAutomationExecution", 400, "AccessDeniedException",
		       "User is not authorized to perform: ssm:StartAutomationExecution");
	run_exec(f, STOP_INPUTS, false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:DescribeDocument,ssm:StartAutomationExecution");
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "AccessDeniedException: User is not authorized to perform: "
			       "ssm:StartAutomationExecution (HTTP 400, request id fake-0001)");
	/* nothing started: the undo names the document only */
	CU_ASSERT_STRING_EQUAL(json_text(r.res.undo),
			       "{\"DocumentName\":\"AWS-StopEC2Instance\",\"Reversible\":false}");
	run_release(&r);
	fake_aws_free(f);

	/* a polling error fails the step with it */
	f = scripted();
	fake_aws_error(f, "ssm:GetAutomationExecution", 400, "ThrottlingException",
		       "Rate exceeded");
	run_exec(f, STOP_INPUTS, false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "ThrottlingException: Rate exceeded (HTTP 400, request id fake-0001)");
	run_release(&r);
	fake_aws_free(f);

	/* parameters SSM cannot take: nothing is called */
	f = scripted();
	run_exec(f,
		 "{\"DocumentName\":\"AWS-StopEC2Instance\",\"Parameters\":{\"InstanceId\":{"
		 "\"a\":1}}}",
		 false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "");
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot start automation 'AWS-StopEC2Instance': parameter "
			       "'InstanceId' must be a string or a list of strings");
	run_release(&r);
	fake_aws_free(f);

	f = scripted();
	run_exec(f, "{\"DocumentName\":\"x\",\"Parameters\":{\"L\":[\"a\",[\"b\"]]}}", false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot start automation 'x': parameter 'L' must be a string or a "
			       "list of strings");
	run_release(&r);
	fake_aws_free(f);

	/* no start response id: a clear failure, not a poll of "" */
	f = fake_aws_new();
	fake_aws_reply(f, "ssm:DescribeDocument", DOC_AUTOMATION);
	fake_aws_reply(f, "ssm:StartAutomationExecution", "{}");
	run_exec(f, STOP_INPUTS, false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "StartAutomationExecution of 'AWS-StopEC2Instance' returned no "
			       "AutomationExecutionId");
	run_release(&r);
	fake_aws_free(f);
}

static void test_no_wait(void)
{
	struct fake_aws *f = scripted();
	struct run r;

	run_exec(f, "{\"DocumentName\":\"AWS-StopEC2Instance\",\"WaitForCompletion\":false}", false,
		 &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:DescribeDocument,ssm:StartAutomationExecution");
	CU_ASSERT_STRING_EQUAL(out_str(&r, "AutomationExecutionId"), EXEC_ID);
	CU_ASSERT_STRING_EQUAL(out_str(&r, "AutomationExecutionStatus"), "InProgress");
	run_release(&r);
	fake_aws_free(f);
}

/* ---- cancellation and the deadline ------------------------------------------------------ */

static int sleeps_left;
static long long last_sleep_ms;

static int limited_sleep(struct irx_call *call, long long ms)
{
	(void)call;
	last_sleep_ms = ms;
	return sleeps_left-- > 0 ? 0 : -1;
}

static long long mono_ms(void)
{
	struct timespec ts = {0};

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_cancelled_stops_execution(void)
{
	struct fake_aws *f = scripted();
	const struct irx_context *ctx = fake_aws_context(f, "automate", false);
	struct irx_host host = *ctx->host;
	struct irx_context c2 = *ctx;
	struct run r;

	host.sleep = limited_sleep;
	c2.host = &host;
	sleeps_left = 1; /* the second sleep is cut short: cancelled */
	fake_aws_reply(f, "ssm:GetAutomationExecution", IN_PROGRESS);
	fake_aws_reply(f, "ssm:StopAutomationExecution", "{}");
	run_ctx(&c2, STOP_INPUTS, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:DescribeDocument,ssm:StartAutomationExecution,"
			       "ssm:GetAutomationExecution,ssm:GetAutomationExecution,"
			       "ssm:StopAutomationExecution");
	CU_ASSERT_STRING_EQUAL(json_text(call_params(f, 4)),
			       "{\"AutomationExecutionId\":\"" EXEC_ID "\",\"Type\":\"Cancel\"}");
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "stopped waiting for automation 'AWS-StopEC2Instance' (execution '" EXEC_ID
	    "'): the step was cancelled or ran out of time");
	CU_ASSERT_STRING_EQUAL(out_str(&r, "AutomationExecutionStatus"), "InProgress");
	run_release(&r);
	fake_aws_free(f);
}

static void test_deadline_stops_execution(void)
{
	struct fake_aws *f = scripted();
	const struct irx_context *ctx = fake_aws_context(f, "automate", false);
	struct irx_host host = *ctx->host;
	struct irx_context c2 = *ctx;
	struct run r;

	host.sleep = limited_sleep;
	c2.host = &host;
	sleeps_left = 100;
	/* 800 ms left: a reserve of 200 ms to stop; the fake's sleeps take no time, so the wait
	 * is cut to what is left before the reserve, polled once more, then stopped */
	c2.deadline_ms = mono_ms() + 800;
	fake_aws_reply(f, "ssm:GetAutomationExecution", IN_PROGRESS);
	fake_aws_reply(f, "ssm:StopAutomationExecution", "{}");
	run_ctx(&c2, STOP_INPUTS, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:DescribeDocument,ssm:StartAutomationExecution,"
			       "ssm:GetAutomationExecution,ssm:GetAutomationExecution,"
			       "ssm:StopAutomationExecution");
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "timed out waiting for automation 'AWS-StopEC2Instance' (execution '" EXEC_ID
	    "'); stopped it");
	/* two sleeps: the shortened wait, then past the deadline so the host marks it timed out */
	CU_ASSERT_EQUAL(sleeps_left, 98);
	CU_ASSERT_TRUE(last_sleep_ms > 0 && last_sleep_ms <= 801);
	run_release(&r);
	fake_aws_free(f);

	/* a failed stop is logged; the step still fails with the timeout */
	f = scripted();
	ctx = fake_aws_context(f, "automate", false);
	c2 = *ctx;
	c2.host = &host;
	sleeps_left = 100;
	c2.deadline_ms = mono_ms() - 1;
	fake_aws_reply(f, "ssm:GetAutomationExecution", IN_PROGRESS);
	fake_aws_error(f, "ssm:StopAutomationExecution", 400,
		       "InvalidAutomationStatusUpdateException", "the execution already ended");
	run_ctx(&c2, STOP_INPUTS, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:DescribeDocument,ssm:StartAutomationExecution,"
			       "ssm:GetAutomationExecution,ssm:StopAutomationExecution");
	IRX_ASSERT_CONTAINS(fake_aws_failure(f), "InvalidAutomationStatusUpdateException");
	run_release(&r);
	fake_aws_free(f);
}

static void test_schema(void)
{
	const struct irx_plugin *p = irx_plugin_entry_ssm();

	CU_ASSERT_STRING_EQUAL(p->name, "ssm");
	CU_ASSERT_STRING_EQUAL(p->actions[0].name, "startAutomation");
	CU_ASSERT_STRING_EQUAL(p->actions[0].params[0].name, "DocumentName");
	CU_ASSERT_TRUE(p->actions[0].params[0].flags & IRX_PARAM_REQUIRED);
	CU_ASSERT_PTR_NULL(p->actions[1].name);
}

static CU_TestInfo tests[] = {
    {"start, poll to Success, outputs and step results", test_start_and_wait},
    {"a failed automation names its failed step", test_failed_step_surfaces},
    {"final and non-final statuses", test_final_statuses},
    {"TargetLocations from Accounts and Regions", test_target_locations},
    {"dry run plans the start and waits for nothing", test_dry_run},
    {"only Automation documents", test_not_automation_document},
    {"AWS errors fail the step", test_errors},
    {"WaitForCompletion false", test_no_wait},
    {"cancelled: the execution is stopped", test_cancelled_stops_execution},
    {"deadline: stopped before it passes", test_deadline_stops_execution},
    {"schema", test_schema},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("plugin_ssm", tests, NULL, NULL)
