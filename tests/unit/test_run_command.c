/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws:runCommand with the scripted fake AWS (send, per-instance and by-target waits, failures,
 * dry run, cancellation and the deadline), and end to end against the simulator (tools/awssim):
 * aws:runCommand through the executor and the real client, and ssm:startAutomation of
 * AWS-StopEC2Instance, asserting that the simulator's instance ends stopped.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "actions.h"
#include "aws/client.h"
#include "builtins.h"
#include "diag.h"
#include "executor.h"
#include "fake_aws.h"
#include "host.h"
#include "params.h"
#include "runbook.h"
#include "test.h"
#include "util.h"

const struct irx_plugin *irx_plugin_entry_ssm(void);

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

static void run_ctx(const struct irx_context *ctx, const char *inputs, struct run *r)
{
	struct json_object *in = json_tokener_parse(inputs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	memset(r, 0, sizeof(*r));
	r->res.outputs = json_object_new_object();
	r->res.undo = json_object_new_object();
	r->rc = irx_builtin_run_command(ctx, in, &r->res);
	json_object_put(in);
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

#define CMD_ID "0b5f1c2e-1111-4000-8000-00000000c0de"
#define SENT "{\"Command\":{\"CommandId\":\"" CMD_ID "\",\"Status\":\"Pending\"}}"

/* GetCommandInvocation: i-1 is not there at first, then in progress, then done; i-2 done. */
static int invocation_handler(void *ud, struct fake_aws *f, struct json_object *params,
			      struct json_object **response)
{
	int *polls = ud;
	const char *iid = json_object_get_string(json_object_object_get(params, "InstanceId"));
	int n = strcmp(iid, "i-1") == 0 ? polls[0]++ : polls[1]++;
	bool i1_fails = polls[2] != 0;

	if (strcmp(iid, "i-1") == 0 && n == 0) {
		fake_aws_set_error(f, 400, "InvocationDoesNotExist", "");
		return -1;
	}
	if (strcmp(iid, "i-1") == 0 && n == 1) {
		*response = json_tokener_parse("{\"Status\":\"InProgress\",\"StatusDetails\":"
					       "\"InProgress\",\"ResponseCode\":-1}");
		return 0;
	}
	if (strcmp(iid, "i-1") == 0 && i1_fails) {
		*response = json_tokener_parse(
		    "{\"Status\":\"Failed\",\"StatusDetails\":\"Failed\",\"ResponseCode\":2,"
		    "\"StandardOutputContent\":\"\",\"StandardErrorContent\":\"insmod: ERROR: "
		    "could not insert module\\nsecond line\"}");
		return 0;
	}
	*response = json_tokener_parse(
	    strcmp(iid, "i-1") == 0 ? "{\"Status\":\"Success\",\"StatusDetails\":\"Success\","
				      "\"ResponseCode\":0,\"StandardOutputContent\":\"6.1.0\\n\","
				      "\"StandardErrorContent\":\"\"}"
				    : "{\"Status\":\"Success\",\"StatusDetails\":\"Success\","
				      "\"ResponseCode\":0,\"StandardOutputContent\":\"6.2.0\\n\"}");
	return 0;
}

#define TWO_INSTANCES                                                                              \
	"{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\",\"i-2\"],"              \
	"\"Parameters\":{\"commands\":[\"uname -r\"],\"executionTimeout\":600},"                   \
	"\"Comment\":\"irx memory capture\",\"TimeoutSeconds\":60,"                                \
	"\"OutputS3BucketName\":\"forensics\",\"OutputS3KeyPrefix\":\"case-1/\","                  \
	"\"CloudWatchOutputConfig\":{\"CloudWatchOutputEnabled\":true}}"

static void test_instances(void)
{
	struct fake_aws *f = fake_aws_new();
	int polls[3] = {0, 0, 0};
	struct run r;

	fake_aws_reply(f, "ssm:SendCommand", SENT);
	fake_aws_handle(f, "ssm:GetCommandInvocation", invocation_handler, polls);
	run_ctx(fake_aws_context(f, "capture", false), TWO_INSTANCES, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	/* round 1: i-1 not there yet, i-2 done; round 2: i-1 running; round 3: i-1 done */
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:SendCommand,ssm:GetCommandInvocation,ssm:GetCommandInvocation,"
			       "ssm:GetCommandInvocation,ssm:GetCommandInvocation");
	CU_ASSERT_STRING_EQUAL(
	    json_text(call_params(f, 0)),
	    "{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\",\"i-2\"],"
	    "\"Parameters\":{\"commands\":[\"uname -r\"],\"executionTimeout\":[\"600\"]},"
	    "\"Comment\":\"irx memory capture\",\"TimeoutSeconds\":60,\"OutputS3BucketName\":"
	    "\"forensics\",\"OutputS3KeyPrefix\":\"case-1\\/\",\"CloudWatchOutputConfig\":{"
	    "\"CloudWatchOutputEnabled\":true}}");
	CU_ASSERT_STRING_EQUAL(json_text(call_params(f, 1)),
			       "{\"CommandId\":\"" CMD_ID "\",\"InstanceId\":\"i-1\"}");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 3000);
	CU_ASSERT_STRING_EQUAL(out_str(&r, "CommandId"), CMD_ID);
	CU_ASSERT_STRING_EQUAL(out_str(&r, "Status"), "Success");
	CU_ASSERT_STRING_EQUAL(out_str(&r, "Output"), "6.1.0\n");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(r.res.outputs, "ResponseCode")),
			0);
	CU_ASSERT_STRING_EQUAL(
	    json_text(json_object_object_get(r.res.outputs, "Invocations")),
	    "[{\"InstanceId\":\"i-1\",\"Status\":\"Success\",\"StatusDetails\":\"Success\","
	    "\"ResponseCode\":0,\"StandardOutputContent\":\"6.1.0\\n\",\"StandardErrorContent\":"
	    "\"\"},{\"InstanceId\":\"i-2\",\"Status\":\"Success\",\"StatusDetails\":\"Success\","
	    "\"ResponseCode\":0,\"StandardOutputContent\":\"6.2.0\\n\",\"StandardErrorContent\":"
	    "\"\"}]");
	run_release(&r);
	fake_aws_free(f);
}

static void test_failed_invocation(void)
{
	struct fake_aws *f = fake_aws_new();
	int polls[3] = {0, 0, 1};
	struct run r;

	fake_aws_reply(f, "ssm:SendCommand", SENT);
	fake_aws_handle(f, "ssm:GetCommandInvocation", invocation_handler, polls);
	run_ctx(fake_aws_context(f, "capture", false), TWO_INSTANCES, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "command '" CMD_ID
			       "' (AWS-RunShellScript) did not succeed on 1 of 2 "
			       "instances: 'i-1' Failed (Failed, response code 2): insmod: ERROR: "
			       "could not insert module");
	CU_ASSERT_STRING_EQUAL(out_str(&r, "Status"), "Failed");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(r.res.outputs, "ResponseCode")),
			2);
	run_release(&r);
	fake_aws_free(f);
}

static void test_targets(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	fake_aws_reply(f, "ssm:SendCommand", SENT);
	fake_aws_reply(f, "ssm:ListCommands", "{\"Commands\":[{\"Status\":\"InProgress\"}]}");
	fake_aws_reply(f, "ssm:ListCommands", "{\"Commands\":[{\"Status\":\"Success\"}]}");
	fake_aws_reply(f, "ssm:ListCommandInvocations",
		       "{\"CommandInvocations\":[{\"InstanceId\":\"i-7\",\"Status\":\"Success\","
		       "\"StatusDetails\":\"Success\",\"CommandPlugins\":[{\"ResponseCode\":0,"
		       "\"Output\":\"seven\"}]}],\"NextToken\":\"p2\"}");
	fake_aws_reply(f, "ssm:ListCommandInvocations",
		       "{\"CommandInvocations\":[{\"InstanceId\":\"i-8\",\"Status\":\"Success\","
		       "\"StatusDetails\":\"Success\",\"CommandPlugins\":[{\"ResponseCode\":0,"
		       "\"Output\":\"eight\"}]}]}");
	run_ctx(fake_aws_context(f, "capture", false),
		"{\"DocumentName\":\"AWS-RunShellScript\",\"Targets\":[{\"Key\":\"tag:Role\","
		"\"Values\":[\"web\"]}],\"MaxConcurrency\":\"50%\",\"MaxErrors\":\"1\","
		"\"Parameters\":{\"commands\":\"id\"}}",
		&r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:SendCommand,ssm:ListCommands,ssm:ListCommands,"
			       "ssm:ListCommandInvocations,ssm:ListCommandInvocations");
	CU_ASSERT_STRING_EQUAL(json_text(call_params(f, 0)),
			       "{\"DocumentName\":\"AWS-RunShellScript\",\"Targets\":[{\"Key\":"
			       "\"tag:Role\",\"Values\":[\"web\"]}],\"Parameters\":{\"commands\":["
			       "\"id\"]},\"MaxConcurrency\":\"50%\",\"MaxErrors\":\"1\"}");
	CU_ASSERT_STRING_EQUAL(json_text(call_params(f, 4)),
			       "{\"CommandId\":\"" CMD_ID
			       "\",\"Details\":true,\"NextToken\":\"p2\"}");
	CU_ASSERT_STRING_EQUAL(out_str(&r, "Output"), "seven");
	CU_ASSERT_EQUAL(
	    json_object_array_length(json_object_object_get(r.res.outputs, "Invocations")), 2);
	run_release(&r);
	fake_aws_free(f);
}

/* Answers AWS may trim: no Commands for an unknown id, an invocation without CommandPlugins. */
static void test_targets_sparse_answers(void)
{
	struct fake_aws *f = fake_aws_new();
	const char *step = "{\"DocumentName\":\"AWS-RunShellScript\",\"Targets\":[{\"Key\":"
			   "\"tag:Role\",\"Values\":[\"web\"]}],\"Parameters\":{\"commands\":\"id\"}}";
	struct run r;

	fake_aws_reply(f, "ssm:SendCommand", SENT);
	fake_aws_reply(f, "ssm:ListCommands", "{\"Commands\":[]}");
	run_ctx(fake_aws_context(f, "capture", false), step, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "ssm:ListCommands does not list command '" CMD_ID "'");
	run_release(&r);
	fake_aws_free(f);

	f = fake_aws_new();
	fake_aws_reply(f, "ssm:SendCommand", SENT);
	fake_aws_reply(f, "ssm:ListCommands", "{\"Commands\":[{\"Status\":\"Success\"}]}");
	fake_aws_reply(f, "ssm:ListCommandInvocations",
		       "{\"CommandInvocations\":[{\"InstanceId\":\"i-7\",\"Status\":\"Success\","
		       "\"StatusDetails\":\"Success\"}]}");
	run_ctx(fake_aws_context(f, "capture", false), step, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(
	    json_object_array_length(json_object_object_get(r.res.outputs, "Invocations")), 1);
	run_release(&r);
	fake_aws_free(f);
}

static void test_dry_run(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	fake_aws_reply(f, "ssm:SendCommand", "{}");
	run_ctx(fake_aws_context(f, "capture", true), TWO_INSTANCES, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "ssm:SendCommand");
	CU_ASSERT_STRING_EQUAL(
	    r.res.message, "would send command 'AWS-RunShellScript' to i-1, i-2 and wait for it");
	CU_ASSERT_STRING_EQUAL(out_str(&r, "Status"), "NotSent");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	run_release(&r);
	fake_aws_free(f);
}

static void test_bad_inputs_and_errors(void)
{
	static const struct {
		const char *inputs, *want;
	} bad[] = {
	    {"{\"DocumentName\":\"AWS-RunShellScript\"}",
	     "aws:runCommand needs InstanceIds or Targets"},
	    {"{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[]}",
	     "aws:runCommand needs InstanceIds or Targets"},
	    {"{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\"],\"Targets\":[{"
	     "\"Key\":\"InstanceIds\",\"Values\":[\"i-2\"]}]}",
	     "aws:runCommand takes InstanceIds or Targets, not both"},
	    {"{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\"],\"Parameters\":{"
	     "\"commands\":[{\"a\":1}]}}",
	     "cannot send command 'AWS-RunShellScript': parameter 'commands' must be a string or "
	     "a list of strings"},
	    {"{\"DocumentName\":\"\",\"InstanceIds\":[\"i-1\"]}", "DocumentName must not be empty"},
	};
	struct fake_aws *f = NULL;
	struct run r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fake_aws_new();
		run_ctx(fake_aws_context(f, "capture", false), bad[i].inputs, &r);
		CU_ASSERT_EQUAL(r.rc, -1);
		CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "");
		CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), bad[i].want);
		run_release(&r);
		fake_aws_free(f);
	}
	f = fake_aws_new();
	fake_aws_error(f, "ssm:SendCommand", 400, "InvalidInstanceId",
		       "Instances [[i-1]] not in a valid state for account 111111111111");
	run_ctx(fake_aws_context(f, "capture", false),
		"{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\"]}", &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "InvalidInstanceId: Instances [[i-1]] not in a valid state for "
			       "account 111111111111 (HTTP 400, request id fake-0001)");
	run_release(&r);
	fake_aws_free(f);

	/* an error other than InvocationDoesNotExist fails the step */
	f = fake_aws_new();
	fake_aws_reply(f, "ssm:SendCommand", SENT);
	fake_aws_error(f, "ssm:GetCommandInvocation", 400, "AccessDeniedException", "denied");
	run_ctx(fake_aws_context(f, "capture", false),
		"{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\"]}", &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "AccessDeniedException: denied (HTTP 400, request id fake-0001)");
	run_release(&r);
	fake_aws_free(f);
}

static int sleeps_left;

static int limited_sleep(struct irx_call *call, long long ms)
{
	(void)call;
	(void)ms;
	return sleeps_left-- > 0 ? 0 : -1;
}

static void test_cancel_and_deadline(void)
{
	struct fake_aws *f = fake_aws_new();
	const struct irx_context *ctx = fake_aws_context(f, "capture", false);
	struct irx_host host = *ctx->host;
	struct irx_context c2 = *ctx;
	struct run r;

	host.sleep = limited_sleep;
	c2.host = &host;
	sleeps_left = 0;
	fake_aws_reply(f, "ssm:SendCommand", SENT);
	fake_aws_reply(f, "ssm:GetCommandInvocation", "{\"Status\":\"InProgress\"}");
	fake_aws_reply(f, "ssm:CancelCommand", "{}");
	run_ctx(&c2, "{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\"]}", &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:SendCommand,ssm:GetCommandInvocation,ssm:CancelCommand");
	CU_ASSERT_STRING_EQUAL(json_text(call_params(f, 2)), "{\"CommandId\":\"" CMD_ID "\"}");
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "stopped waiting for command '" CMD_ID "' (AWS-RunShellScript): the "
			       "step was cancelled or ran out of time");
	run_release(&r);
	fake_aws_free(f);

	f = fake_aws_new();
	ctx = fake_aws_context(f, "capture", false);
	c2 = *ctx;
	c2.host = &host;
	sleeps_left = 100;
	c2.deadline_ms = irx_now_ms() + 400;
	fake_aws_reply(f, "ssm:SendCommand", SENT);
	fake_aws_reply(f, "ssm:GetCommandInvocation", "{\"Status\":\"InProgress\"}");
	fake_aws_reply(f, "ssm:CancelCommand", "{}");
	run_ctx(&c2, "{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\"]}", &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ssm:SendCommand,ssm:GetCommandInvocation,ssm:GetCommandInvocation,"
			       "ssm:CancelCommand");
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "timed out waiting for command '" CMD_ID
						    "' (AWS-RunShellScript); cancelled it");
	CU_ASSERT_EQUAL(sleeps_left, 98);
	run_release(&r);
	fake_aws_free(f);
}

static void test_registered(void)
{
	struct irx_actions *a = irx_actions_new(NULL);
	struct irx_action_ref ref = {0};
	struct irx_error err = {0};

	CU_ASSERT_EQUAL(irx_actions_lookup(a, "aws:runCommand", &ref, &err), 0);
	CU_ASSERT_FALSE(irx_builtin_is_unsupported("aws:runCommand"));
	CU_ASSERT_TRUE(ref.action->flags & IRX_ACTION_MUTATES);
	CU_ASSERT_PTR_NULL(ref.action->rollback);
	CU_ASSERT_STRING_EQUAL(ref.action->params[0].name, "DocumentName");
	irx_actions_free(a);
}

/* ---- against the simulator ----------------------------------------------------------------- */

static pid_t sim_pid;
static char sim_url[64];

static int sim_start(void)
{
	char port_file[600] = "", script[4096] = "";
	char *text = NULL;
	size_t len = 0;

	snprintf(script, sizeof(script), "%s", irx_test_src("tools/awssim/awssim"));
	snprintf(port_file, sizeof(port_file), "%s/awssim-ssm.port", irx_test_tmpdir());
	unlink(port_file);
	fflush(NULL);
	sim_pid = fork();
	if (sim_pid < 0)
		return -1;
	if (sim_pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl("/usr/bin/python3", "python3", script, "--port-file", port_file,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600; i++) {
		if (irx_read_file(port_file, 64, &text, &len) == 0 && len > 0 &&
		    text[len - 1] == '\n') {
			snprintf(sim_url, sizeof(sim_url), "http://127.0.0.1:%d", atoi(text));
			free(text);
			return 0;
		}
		free(text);
		text = NULL;
		if (waitpid(sim_pid, NULL, WNOHANG) == sim_pid) {
			sim_pid = 0;
			return -1;
		}
		usleep(50000);
	}
	kill(sim_pid, SIGTERM);
	waitpid(sim_pid, NULL, 0);
	sim_pid = 0;
	return -1;
}

static void sim_stop(void)
{
	if (sim_pid > 0) {
		kill(sim_pid, SIGTERM);
		waitpid(sim_pid, NULL, 0);
	}
	sim_pid = 0;
}

/* The control endpoint; *out is the parsed answer (caller puts it). Returns the HTTP status. */
static long control(const char *method, const char *path, const char *body,
		    struct json_object **out)
{
	struct irx_aws_curl *c = irx_aws_curl_new();
	char *url = irx_xasprintf("%s%s", sim_url, path);
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct irx_aws_transport_request req = {method, url, headers, body, body ? strlen(body) : 0,
						0,	5000};
	struct irx_aws_transport_response resp = {0};
	long status = 0;

	irx_aws_curl_perform(c, &req, &resp, 1);
	status = resp.status;
	if (out)
		*out = resp.body ? json_tokener_parse(resp.body) : NULL;
	irx_aws_transport_response_release(&resp);
	irx_aws_curl_free(c);
	free(url);
	return status;
}

static struct json_object *at(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A running instance in a fresh simulator. Returns its id (free it). */
static char *seed_instance(void)
{
	static const char seed[] =
	    "{\"calls\":[{\"service\":\"ec2\",\"operation\":\"RunInstances\",\"params\":{"
	    "\"ImageId\":\"ami-0a1b2c3d4e5f60004\",\"MinCount\":1,\"MaxCount\":1,"
	    "\"InstanceType\":\"t3.micro\"}}]}";
	struct json_object *out = NULL, *inst = NULL;
	const char *id = NULL;
	char *ret = NULL;

	control("POST", "/__awssim/reset", "", NULL);
	if (control("POST", "/__awssim/seed", seed, &out) == 200 && out) {
		inst = json_object_array_get_idx(
		    at(json_object_array_get_idx(at(out, "results"), 0), "Instances"), 0);
		id = json_object_get_string(at(inst, "InstanceId"));
	}
	if (id)
		ret = irx_xstrdup(id);
	json_object_put(out);
	return ret;
}

/* The instance's state name in the simulator (buf), "" when not found. */
static void instance_state(const char *id, char *buf, size_t len)
{
	struct json_object *out = NULL;

	buf[0] = '\0';
	if (control("GET", "/__awssim/state?account=111111111111&service=ec2", NULL, &out) != 200)
		return;
	json_object_object_foreach(at(out, "state"), key, st)
	{
		struct json_object *inst = at(at(st, "instances"), id);

		(void)key;
		if (inst)
			snprintf(buf, len, "%s",
				 json_object_get_string(at(at(inst, "State"), "Name")));
	}
	json_object_put(out);
}

static const char *const test_env[] = {"HOME=/nonexistent-irx-test",
				       "AWS_EC2_METADATA_DISABLED=true", NULL};

static struct irx_aws_client *sim_client(void)
{
	struct irx_aws_client_options o = {0};
	struct irx_error err = {0};
	struct irx_aws_client *c = NULL;

	setenv("AWS_ENDPOINT_URL", sim_url, 1);
	o.region = "us-east-1";
	o.access_key_id = "AKIDEXAMPLE";
	o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	o.env = test_env;
	o.timeout_ms = 10000;
	c = irx_aws_client_new(&o, &err);
	if (!c)
		fprintf(stderr, "\n  client: %s\n", err.message);
	return c;
}

static void no_sleep(void *ud, long long ms)
{
	(void)ud;
	(void)ms;
}

/* The simulator's invocations progress in real time (about a second): wait, but briefly. */
static void short_sleep(void *ud, long long ms)
{
	struct timespec ts = {0, (ms > 50 ? 50 : ms) * 1000000L};

	(void)ud;
	nanosleep(&ts, NULL);
}

static void quiet_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	(void)ud;
	(void)level;
	(void)step;
	(void)message;
}

/* The instance is launched through the API (SSM manages it only with an instance profile). */
static const char run_runbook[] =
    "schemaVersion: '0.3'\n"
    "description: aws:runCommand against the simulator\n"
    "mainSteps:\n"
    "  - {name: role, action: 'aws:executeAwsApi', inputs: {Service: iam, Api: CreateRole,"
    " RoleName: ssm-role, AssumeRolePolicyDocument: '{\"Version\":\"2012-10-17\","
    "\"Statement\":[]}'}}\n"
    "  - {name: profile, action: 'aws:executeAwsApi', inputs: {Service: iam, Api:"
    " CreateInstanceProfile, InstanceProfileName: ssm-profile}}\n"
    "  - {name: add, action: 'aws:executeAwsApi', inputs: {Service: iam, Api:"
    " AddRoleToInstanceProfile, InstanceProfileName: ssm-profile, RoleName: ssm-role}}\n"
    "  - name: launch\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: ec2, Api: RunInstances, ImageId: ami-0a1b2c3d4e5f60004, MinCount: 1,"
    " MaxCount: 1, IamInstanceProfile: {Name: ssm-profile}}\n"
    "    outputs: [{Name: Id, Selector: '$.Instances[0].InstanceId', Type: String}]\n"
    "  - name: running\n"
    "    action: aws:waitForAwsResourceProperty\n"
    "    inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: ['{{ launch.Id }}'],"
    " PropertySelector: '$.Reservations[0].Instances[0].State.Name', DesiredValues: [running]}\n"
    "  - name: run\n"
    "    action: aws:runCommand\n"
    "    inputs:\n"
    "      DocumentName: AWS-RunShellScript\n"
    "      InstanceIds: ['{{ launch.Id }}']\n"
    "      Parameters: {commands: [uname -r, id]}\n"
    "      Comment: irx test\n"
    "    outputs:\n"
    "      - {Name: Out, Selector: $.Output, Type: String}\n"
    "      - {Name: Status, Selector: $.Status, Type: String}\n"
    "      - {Name: Code, Selector: $.ResponseCode, Type: Integer}\n"
    "outputs: [run.Out, run.Status, run.Code]\n";

static void test_sim_run_command(void)
{
	struct irx_diags diags = {0};
	struct irx_runbook *rb =
	    irx_runbook_load_buffer("rc.yaml", run_runbook, strlen(run_runbook), &diags);
	struct irx_actions *actions = irx_actions_new(NULL);
	struct irx_aws_client *c = NULL;
	struct irx_exec_options eo = {0};
	struct irx_exec_result res = {0};
	struct irx_error err = {0};
	struct json_object *params = NULL;

	CU_ASSERT_EQUAL(control("POST", "/__awssim/reset", "", NULL), 200);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	irx_runbook_validate(rb, actions, &diags);
	if (diags.count)
		irx_diags_print(&diags, stderr);
	CU_ASSERT_EQUAL(diags.count, 0);
	params = irx_params_bind(rb, NULL, 0, &diags);
	c = sim_client();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	eo.state_dir = irx_test_tmpdir();
	eo.region = "us-east-1";
	eo.account_id = "111111111111";
	eo.log = quiet_log;
	eo.sleep_ms = short_sleep;
	irx_aws_attach_exec(&eo, c, NULL);
	CU_ASSERT_EQUAL(irx_execute(rb, params, actions, &eo, &res, &err), 0);
	if (res.status && strcmp(res.status, "Success") != 0)
		fprintf(stderr, "\n  %s\n", res.failure_message);
	CU_ASSERT_STRING_EQUAL(res.status, "Success");
	CU_ASSERT_STRING_EQUAL(
	    json_text(res.outputs),
	    "{\"run.Out\":\"6.1.115-126.197.amzn2023.x86_64\\nuid=0(root) gid=0(root) "
	    "groups=0(root)\\n\",\"run.Status\":\"Success\",\"run.Code\":0}");
	irx_exec_result_release(&res);
	unsetenv("AWS_ENDPOINT_URL");
	irx_aws_client_free(c);
	json_object_put(params);
	irx_actions_free(actions);
	irx_runbook_free(rb);
	irx_diags_release(&diags);
}

/* ssm:startAutomation of AWS-StopEC2Instance: the simulator's instance ends stopped. */
static void test_sim_stop_instance_automation(void)
{
	const struct irx_action *start = &irx_plugin_entry_ssm()->actions[0];
	struct irx_aws_client *c = NULL;
	struct irx_exec_options eo = {0};
	struct irx_call call;
	struct irx_context ctx = {0};
	struct irx_result res = {0};
	struct json_object *in = NULL, *autos = NULL;
	char *id = seed_instance();
	char state[64] = "", inputs[512] = "";
	int rc = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	instance_state(id, state, sizeof(state));
	CU_ASSERT_STRING_EQUAL(state, "running");
	c = sim_client();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	irx_aws_attach_exec(&eo, c, NULL);
	irx_call_init(&call);
	call.step = "stop";
	call.execution_id = "00000000-0000-4000-8000-0000000000e2";
	call.action = "ssm:startAutomation";
	call.aws_call = eo.aws_call;
	call.aws_ud = eo.aws_ud;
	call.sleep_ms = no_sleep;
	call.log = quiet_log;
	ctx.size = sizeof(ctx);
	ctx.host = irx_host_table(true);
	ctx.call = &call;
	ctx.execution_id = call.execution_id;
	ctx.step_name = "stop";
	ctx.account_id = "111111111111";
	ctx.region = "us-east-1";
	ctx.case_id = "CASE-7";
	snprintf(inputs, sizeof(inputs),
		 "{\"DocumentName\":\"AWS-StopEC2Instance\",\"Parameters\":{\"InstanceId\":\"%s\"},"
		 "\"WaitForCompletion\":true}",
		 id);
	in = json_tokener_parse(inputs);
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	rc = start->execute(&ctx, in, &res);
	if (rc != 0)
		fprintf(stderr, "\n  %s\n", call.error.message);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
				   res.outputs, "AutomationExecutionStatus")),
			       "Success");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(
		json_object_array_get_idx(json_object_object_get(res.outputs, "StepExecutions"), 0),
		"StepName")),
	    "stopInstances");
	instance_state(id, state, sizeof(state));
	CU_ASSERT_STRING_EQUAL(state, "stopped");
	/* the simulator's record of the execution: SSM's parameter shape */
	CU_ASSERT_EQUAL(
	    control("GET", "/__awssim/state?account=111111111111&service=ssm", NULL, &autos), 200);
	json_object_object_foreach(at(autos, "state"), key, st)
	{
		struct json_object *ex =
		    at(at(st, "automations"), json_object_get_string(json_object_object_get(
						  res.outputs, "AutomationExecutionId")));

		(void)key;
		if (ex) {
			char want[128];

			snprintf(want, sizeof(want), "{\"InstanceId\":[\"%s\"]}", id);
			CU_ASSERT_STRING_EQUAL(json_text(at(ex, "Parameters")), want);
		}
	}
	json_object_put(autos);
	json_object_put(in);
	json_object_put(res.outputs);
	json_object_put(res.undo);
	irx_call_release(&call);
	unsetenv("AWS_ENDPOINT_URL");
	irx_aws_client_free(c);
	free(id);
}

static int suite_init(void)
{
	if (sim_start() < 0) {
		fprintf(stderr, "run_command: the simulator (tools/awssim) did not start\n");
		return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	sim_stop();
	return 0;
}

static CU_TestInfo tests[] = {
    {"per instance: not there yet, running, done; outputs", test_instances},
    {"a failed invocation fails the step", test_failed_invocation},
    {"targets: ListCommands, then every invocation, paginated", test_targets},
    {"targets: no such command, an invocation without CommandPlugins", test_targets_sparse_answers},
    {"dry run: planned, not awaited", test_dry_run},
    {"bad inputs and AWS errors", test_bad_inputs_and_errors},
    {"cancelled or out of time: CancelCommand", test_cancel_and_deadline},
    {"registered, no longer unsupported", test_registered},
    {"simulator: aws:runCommand through the executor", test_sim_run_command},
    {"simulator: AWS-StopEC2Instance automation stops the instance",
     test_sim_stop_instance_automation},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("run_command", tests, suite_init, suite_clean)
