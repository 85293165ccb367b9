/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runbooks end to end: the irx binary runs them against the local simulator (tools/awssim, on a
 * free port), and each test asserts the execution's status, its outputs (irx run --output json,
 * irx show --output json) and the simulator's end state and request log (/__awssim/...).
 *
 * Every example runbook in tests/vectors/ssm-automation/awsdocs/ that validates with irx must
 * have an end-to-end check here; runbooks/aws-inventory.yaml is checked in a populated account
 * and in an empty one.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "selector.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

#define AWSDOCS "tests/vectors/ssm-automation/awsdocs"
#define WIN2022_FULL_BASE "ami-0a1b2c3d4e5f60001" /* the simulator's public catalogue */
#define AL2023 "ami-0a1b2c3d4e5f60004"
#define EC2_STATE "$['state']['111111111111/us-east-1/ec2']"

static struct irx_sim sim;

static int suite_init(void)
{
	if (irx_sim_start(&sim) < 0) {
		fprintf(stderr, "runbooks_sim: the simulator (tools/awssim) did not start\n");
		return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	irx_sim_stop(&sim);
	return 0;
}

/* The selected value's text ("(absent)" when nothing matches); a few rotating static buffers. */
static const char *at(struct json_object *root, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *at(struct json_object *root, const char *fmt, ...)
{
	static char bufs[8][1024];
	static int next;
	char sel[512] = "";
	char *buf = bufs[next++ % 8];
	struct irx_error err = {0};
	struct json_object *v = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sel, sizeof(sel), fmt, ap);
	va_end(ap);
	v = root ? irx_selector_select(root, sel, &err) : NULL;
	if (!v) {
		snprintf(buf, 1024, "(absent)");
		return buf;
	}
	snprintf(buf, 1024, "%s",
		 json_object_is_type(v, json_type_string)
		     ? json_object_get_string(v)
		     : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	json_object_put(v);
	return buf;
}

/* printf into one of a few rotating static buffers. */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static const char *fmt(const char *f, ...)
{
	static char bufs[4][512];
	static int next;
	char *buf = bufs[next++ % 4];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, 512, f, ap);
	va_end(ap);
	return buf;
}

/* GET a control path; the parsed answer (caller puts) or NULL. */
static struct json_object *sim_get(const char *path)
{
	struct json_object *out = NULL;

	CU_ASSERT_EQUAL(irx_sim_control(&sim, "GET", path, NULL, &out), 200);
	return out;
}

/* Back to the simulator's default world, an empty request log, then the given seed. */
static void sim_reset(const char *seed)
{
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/reset", "{}", NULL), 200);
	if (seed)
		CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/seed", seed, NULL), 200);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "DELETE", "/__awssim/requests", NULL, NULL), 200);
}

/* How many requests the simulator logged for an operation. */
static int calls_to(const char *operation)
{
	char path[128] = "";
	struct json_object *log = NULL;
	int n = -1;

	snprintf(path, sizeof(path), "/__awssim/requests?operation=%s", operation);
	log = sim_get(path);
	if (log)
		n = json_object_get_int(json_object_object_get(log, "count"));
	json_object_put(log);
	return n;
}

/*
 * irx ARGS... --state-dir DIR --output json under the simulator's environment (plus extra "K=V"
 * entries, may be NULL). Returns the exit status; *out is irx's parsed stdout (NULL if not JSON),
 * *err its stderr (caller frees both).
 */
static int irx(const char *const *args, const char *state_dir, const char *const *extra,
	       struct json_object **out, char **err)
{
	const char *argv[24] = {0};
	const char *env[32] = {0};
	const char *const *base = irx_sim_env(&sim);
	char irx_path[4096] = "", plugins[4200] = "";
	char *text = NULL;
	size_t n = 0, e = 0;
	int rc = 0;

	snprintf(irx_path, sizeof(irx_path), "%s", irx_test_build("irx"));
	snprintf(plugins, sizeof(plugins), "IRX_PLUGIN_PATH=%s", irx_test_build("plugins"));
	argv[n++] = irx_path;
	for (size_t i = 0; args[i] && n < 18; i++)
		argv[n++] = args[i];
	argv[n++] = "--state-dir";
	argv[n++] = state_dir;
	argv[n++] = "--output";
	argv[n++] = "json";
	for (size_t i = 0; base[i] && e < 20; i++)
		env[e++] = base[i];
	env[e++] = plugins;
	env[e++] = "HOME=/nonexistent-irx-test";
	for (size_t i = 0; extra && extra[i] && e < 31; i++)
		env[e++] = extra[i];
	rc = irx_test_run(argv, env, NULL, &text, err);
	*out = json_tokener_parse(text);
	if (!*out)
		fprintf(stderr, "\n  irx stdout is not JSON: %s\n  stderr: %s\n", text, *err);
	free(text);
	return rc;
}

/* irx show ID: the execution (caller puts). */
static struct json_object *show(const char *id, const char *state_dir)
{
	const char *args[] = {"show", id, NULL};
	struct json_object *out = NULL;
	char *err = NULL;

	CU_ASSERT_EQUAL(irx(args, state_dir, NULL, &out, &err), 0);
	free(err);
	return out;
}

/* ---- the AWS documentation's examples ------------------------------------------------------ */

static void check_outputs_inputs(const char *path)
{
	const char *state_dir = irx_test_tmpdir();
	const char *args[] = {"run", path, NULL};
	struct json_object *run = NULL, *shown = NULL, *st = NULL;
	char *err = NULL;
	char iid[64] = "", subnet[64] = "";

	sim_reset(NULL);
	CU_ASSERT_EQUAL(irx(args, state_dir, NULL, &run, &err), 0);
	CU_ASSERT_STRING_EQUAL(at(run, "$.AutomationExecutionStatus"), "Success");
	CU_ASSERT_STRING_EQUAL(at(run, "$.DocumentName"), "automation-action-outputs-inputs");
	snprintf(iid, sizeof(iid), "%s", at(run, "$.Outputs['launchOneInstance.InstanceId']"));
	CU_ASSERT_EQUAL(strncmp(iid, "i-", 2), 0);
	CU_ASSERT_EQUAL(strlen(iid), 19);

	shown = show(at(run, "$.AutomationExecutionId"), state_dir);
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.AutomationExecutionStatus"),
			       "Success");
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[*].StepName"),
			       "[\"getImageId\",\"launchOneInstance\","
			       "\"waitUntilInstanceStateRunning\",\"assertInstanceStateRunning\"]");
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[*].StepStatus"),
			       "[\"Success\",\"Success\",\"Success\",\"Success\"]");
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[0].Outputs.ImageId"),
			       "[\"" WIN2022_FULL_BASE "\"]");
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[1].Inputs.ImageId"),
			       "\"" WIN2022_FULL_BASE "\"");
	CU_ASSERT_STRING_EQUAL(
	    at(shown, "$.AutomationExecution.StepExecutions[1].Outputs.InstanceId[0]"), iid);

	/* the simulator's end state: the instance exists, from that image, running, one ENI in
	   the default subnet */
	st = sim_get("/__awssim/state?account=111111111111&service=ec2");
	CU_ASSERT_STRING_EQUAL(at(st, EC2_STATE ".instances['%s'].State.Name", iid), "running");
	CU_ASSERT_STRING_EQUAL(at(st, EC2_STATE ".instances['%s'].ImageId", iid),
			       WIN2022_FULL_BASE);
	CU_ASSERT_STRING_EQUAL(at(st, EC2_STATE ".instances['%s'].Platform", iid), "windows");
	CU_ASSERT_STRING_EQUAL(at(st, EC2_STATE ".instances[*].InstanceId"), fmt("[\"%s\"]", iid));
	snprintf(subnet, sizeof(subnet), "%s", at(st, EC2_STATE ".instances['%s'].SubnetId", iid));
	CU_ASSERT_STRING_EQUAL(at(st, EC2_STATE ".subnets['%s'].DefaultForAz", subnet), "true");
	CU_ASSERT_STRING_EQUAL(at(st, EC2_STATE ".enis[*].Attachment.InstanceId"),
			       fmt("[\"%s\"]", iid));
	/* the wait polled until the second look saw it running; the assertion looked once */
	CU_ASSERT_EQUAL(calls_to("DescribeImages"), 1);
	CU_ASSERT_EQUAL(calls_to("RunInstances"), 1);
	CU_ASSERT_EQUAL(calls_to("DescribeInstanceStatus"), 3);
	json_object_put(st);
	json_object_put(shown);
	json_object_put(run);
	free(err);
}

/*
 * A fresh simulator with one SSM-managed instance of the image (an instance profile: the agent's
 * credentials; seed calls start it running). Its id into iid.
 */
static void seed_managed(const char *image, char *iid, size_t len)
{
	char seed[1024] = "";
	struct json_object *res = NULL;

	sim_reset("{\"calls\":[{\"service\":\"iam\",\"operation\":\"CreateInstanceProfile\","
		  "\"params\":{\"InstanceProfileName\":\"ssm\"}}]}");
	snprintf(seed, sizeof(seed),
		 "{\"calls\":[{\"service\":\"ec2\",\"operation\":\"RunInstances\",\"params\":{"
		 "\"ImageId\":\"%s\",\"MinCount\":1,\"MaxCount\":1,"
		 "\"IamInstanceProfile\":{\"Name\":\"ssm\"}}}]}",
		 image);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/seed", seed, &res), 200);
	snprintf(iid, len, "%s", at(res, "$.results[0].Instances[0].InstanceId"));
	json_object_put(res);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "DELETE", "/__awssim/requests", NULL, NULL), 200);
}

/*
 * The simulator's record of the one command sent, and its invocation on iid: its standard output
 * is stdout_text (NULL: a Get-Date line, "Thursday, November 21, 2024 7:12:41 PM").
 */
static void assert_one_command(const char *iid, const char *doc, const char *status,
			       const char *stdout_text)
{
	struct json_object *st = sim_get("/__awssim/state?account=111111111111&service=ssm");
	const char *base = "$['state']['111111111111/us-east-1/ssm'].commands";
	const char *out = NULL;

	CU_ASSERT_STRING_EQUAL(at(st, "%s[*].DocumentName", base), fmt("[\"%s\"]", doc));
	CU_ASSERT_STRING_EQUAL(at(st, "%s[*].Status", base), fmt("[\"%s\"]", status));
	CU_ASSERT_STRING_EQUAL(at(st, "%s[*].InstanceIds[*]", base), fmt("[\"%s\"]", iid));
	CU_ASSERT_STRING_EQUAL(at(st, "%s[*]._invocations['%s'].Status", base, iid),
			       fmt("[\"%s\"]", status));
	/* a list of one string, as JSON text */
	out = at(st, "%s[*]._invocations['%s'].stdout", base, iid);
	if (stdout_text) {
		CU_ASSERT_STRING_EQUAL(out, stdout_text);
	} else {
		IRX_ASSERT_CONTAINS(out, "day, ");
		IRX_ASSERT_CONTAINS(out, "M\\n\\n\\n\"]");
	}
	json_object_put(st);
}

static void check_branch_example1(const char *path)
{
	const char *state_dir = irx_test_tmpdir();
	const char *args[] = {"run", path, NULL};
	struct json_object *run = NULL, *shown = NULL;
	char *err = NULL;
	char iid[64] = "";

	seed_managed(AL2023, iid, sizeof(iid));
	CU_ASSERT_EQUAL(irx(args, state_dir, NULL, &run, &err), 0);
	CU_ASSERT_STRING_EQUAL(at(run, "$.AutomationExecutionStatus"), "Success");
	shown = show(at(run, "$.AutomationExecutionId"), state_dir);
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[*].StepName"),
			       "[\"GetInstance\",\"ChooseOSforCommands\",\"runShellCommand\"]");
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[*].StepStatus"),
			       "[\"Success\",\"Success\",\"Success\"]");
	CU_ASSERT_STRING_EQUAL(
	    at(shown, "$.AutomationExecution.StepExecutions[0].Outputs.myInstance[0]"), iid);
	CU_ASSERT_STRING_EQUAL(
	    at(shown, "$.AutomationExecution.StepExecutions[0].Outputs.platform"), "[\"Linux\"]");
	/* ls in the agent's working directory: the script it wrote */
	CU_ASSERT_STRING_EQUAL(
	    at(shown, "$.AutomationExecution.StepExecutions[2].Inputs.Parameters"),
	    "{\"commands\":[\"ls\"]}");
	/* ls in the agent's working directory: the script it wrote */
	assert_one_command(iid, "AWS-RunShellScript", "Success", "[\"_script.sh\\n\"]");
	CU_ASSERT_EQUAL(calls_to("SendCommand"), 1);
	CU_ASSERT_TRUE(calls_to("GetCommandInvocation") >= 2); /* it waited */
	json_object_put(shown);
	json_object_put(run);
	free(err);
}

static void check_branch_example2(const char *path)
{
	const char *state_dir = irx_test_tmpdir();
	char win[64] = "", param_os[64] = "", param_win[96] = "";
	const char *args[] = {"run", path,	"-p", param_os,
			      "-p",  param_win, "-p", "LinuxInstanceId=i-0123456789abcdef0",
			      NULL};
	struct json_object *run = NULL, *shown = NULL;
	char *err = NULL;

	seed_managed(WIN2022_FULL_BASE, win, sizeof(win));
	snprintf(param_os, sizeof(param_os), "OperatingSystemName=windows");
	snprintf(param_win, sizeof(param_win), "WindowsInstanceId=%s", win);
	CU_ASSERT_EQUAL(irx(args, state_dir, NULL, &run, &err), 0);
	CU_ASSERT_STRING_EQUAL(at(run, "$.AutomationExecutionStatus"), "Success");
	shown = show(at(run, "$.AutomationExecutionId"), state_dir);
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[*].StepName"),
			       "[\"ChooseOS\",\"runWindowsCommand\"]");
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[1].StepStatus"),
			       "Success");
	CU_ASSERT_STRING_EQUAL(
	    at(shown, "$.AutomationExecution.StepExecutions[1].Inputs.Parameters"),
	    "{\"commands\":[\"date\"]}");
	/* Get-Date's output: a long date line between blank lines */
	assert_one_command(win, "AWS-RunPowerShellScript", "Success", NULL);
	json_object_put(shown);
	json_object_put(run);
	free(err);
}

struct example {
	const char *file;
	void (*check)(const char *path);
};

static const struct example examples[] = {
    {"automation-action-outputs-inputs.yaml", check_outputs_inputs},
    {"automation-branch-condition-example1.yaml", check_branch_example1},
    {"automation-branch-condition-example2.yaml", check_branch_example2},
    {NULL, NULL},
};

/*
 * Examples that validate since aws:runCommand exists but do not run end to end yet, each with
 * the reason. A listed one that stops validating, or one validating that is in neither table,
 * fails the test.
 */
static const char *const pending[][2] = {
    {"automation-document-architecture-deployment-example.yaml",
     "its aws:sleep steps wait PT2M and PT1M (three minutes of real time in a unit suite), and "
     "awssim lacks route tables, internet and NAT gateways, DHCP options and the "
     "/aws/service/ami-windows-latest public parameters"},
    {NULL, NULL},
};

static const char *pending_reason(const char *file)
{
	for (size_t i = 0; pending[i][0]; i++)
		if (strcmp(pending[i][0], file) == 0)
			return pending[i][1];
	return NULL;
}

static const struct example *example_for(const char *file)
{
	for (const struct example *x = examples; x->file; x++)
		if (strcmp(x->file, file) == 0)
			return x;
	return NULL;
}

/* irx validate FILE: 0 when the runbook only uses what irx supports. */
static int validates(const char *path)
{
	const char *argv[] = {irx_test_build("irx"), "validate", path, NULL};
	char *out = NULL, *err = NULL;
	int rc = irx_test_run(argv, NULL, NULL, &out, &err);

	free(out);
	free(err);
	return rc;
}

static void test_awsdocs_examples(void)
{
	char dir[4096] = "";
	DIR *d = NULL;
	struct dirent *ent = NULL;
	int checked = 0, valid = 0, n_pending = 0;

	snprintf(dir, sizeof(dir), "%s", irx_test_src(AWSDOCS));
	d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((ent = readdir(d)) != NULL) {
		char path[4400] = "";
		const struct example *x = NULL;
		size_t len = strlen(ent->d_name);

		if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if (validates(path) != 0)
			continue;
		valid++;
		x = example_for(ent->d_name);
		if (!x && pending_reason(ent->d_name)) {
			fprintf(stderr, "\n  not yet end to end: %s: %s\n", ent->d_name,
				pending_reason(ent->d_name));
			n_pending++;
			continue;
		}
		if (!x) {
			fprintf(stderr,
				"\n  %s validates with irx but has no end-to-end check here\n",
				ent->d_name);
			CU_FAIL("an example that validates has no end-to-end check");
			continue;
		}
		x->check(path);
		checked++;
	}
	closedir(d);
	/* the rest use aws:executeScript or aws:approve, which irx does not support */
	CU_ASSERT_EQUAL(checked, 3);
	CU_ASSERT_EQUAL(checked + n_pending, valid);
}

static void test_outputs_inputs_no_image(void)
{
	const char *state_dir = irx_test_tmpdir();
	char path[4096] = "";
	const char *args[] = {"run", path, "-p", "ImageName=Windows_Server-2025*", NULL};
	struct json_object *run = NULL, *st = NULL;
	char *err = NULL;

	snprintf(path, sizeof(path), "%s",
		 irx_test_src(AWSDOCS "/automation-action-outputs-inputs.yaml"));
	sim_reset(NULL);
	CU_ASSERT_EQUAL(irx(args, state_dir, NULL, &run, &err), 1);
	CU_ASSERT_STRING_EQUAL(at(run, "$.AutomationExecutionStatus"), "Failed");
	CU_ASSERT_STRING_EQUAL(at(run, "$.FailureMessage"),
			       "step 'launchOneInstance' failed: unknown reference "
			       "'{{ getImageId.ImageId }}'");
	IRX_ASSERT_CONTAINS(err, "getImageId: output 'ImageId': selector '$.Images[0].ImageId' "
				 "matched nothing");
	/* nothing launched */
	st = sim_get("/__awssim/state?account=111111111111&service=ec2");
	CU_ASSERT_STRING_EQUAL(at(st, EC2_STATE ".instances"), "{}");
	CU_ASSERT_EQUAL(calls_to("RunInstances"), 0);
	json_object_put(st);
	json_object_put(run);
	free(err);
}

/* ---- runbooks/aws-inventory.yaml ----------------------------------------------------------- */

static const char *const read_only_ops[] = {"GetCallerIdentity", "DescribeVpcs",
					    "DescribeInstances", "GetAccountSummary",
					    "ListUsers",	 NULL};

/* Every logged request was one of the read-only operations, each once except skipped ones. */
static void assert_only_reads(int expected)
{
	struct json_object *log = sim_get("/__awssim/requests");
	struct json_object *reqs = json_object_object_get(log, "requests");
	size_t n = json_object_array_length(reqs);

	CU_ASSERT_EQUAL(n, (size_t)expected);
	for (size_t i = 0; i < n; i++) {
		const char *op = at(json_object_array_get_idx(reqs, i), "$.operation");
		bool known = false;

		for (size_t k = 0; read_only_ops[k]; k++)
			known = known || strcmp(op, read_only_ops[k]) == 0;
		if (!known)
			fprintf(stderr, "\n  unexpected call: %s\n", op);
		CU_ASSERT_TRUE(known);
		/* answered without an error (json-c holds JSON null as NULL) */
		CU_ASSERT_PTR_NULL(
		    json_object_object_get(json_object_array_get_idx(reqs, i), "error"));
		CU_ASSERT_STRING_EQUAL(at(json_object_array_get_idx(reqs, i), "$.status"), "200");
	}
	json_object_put(log);
}

static void test_inventory_populated(void)
{
	const char *state_dir = irx_test_tmpdir();
	char path[4096] = "", seed[1024] = "", web[64] = "", iid[64] = "";
	const char *args[] = {"run", path, NULL};
	struct json_object *res = NULL, *run = NULL, *shown = NULL;
	char *err = NULL;

	snprintf(path, sizeof(path), "%s", irx_test_src("runbooks/aws-inventory.yaml"));
	sim_reset(NULL);
	/* a suspect instance with a second ENI in its own group */
	CU_ASSERT_EQUAL(
	    irx_sim_control(&sim, "POST", "/__awssim/call",
			    "{\"service\":\"ec2\",\"operation\":\"CreateSecurityGroup\","
			    "\"params\":{\"GroupName\":\"web\",\"Description\":\"web\"}}",
			    &res),
	    200);
	snprintf(web, sizeof(web), "%s", at(res, "$.result.GroupId"));
	json_object_put(res);
	snprintf(seed, sizeof(seed),
		 "{\"service\":\"ec2\",\"operation\":\"RunInstances\",\"params\":{"
		 "\"ImageId\":\"" AL2023 "\",\"MinCount\":1,\"MaxCount\":1,\"NetworkInterfaces\":["
		 "{\"DeviceIndex\":0},{\"DeviceIndex\":1,\"Groups\":[\"%s\"]}]}}",
		 web);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/call", seed, &res), 200);
	snprintf(iid, sizeof(iid), "%s", at(res, "$.result.Instances[0].InstanceId"));
	json_object_put(res);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "DELETE", "/__awssim/requests", NULL, NULL), 200);

	CU_ASSERT_EQUAL(irx(args, state_dir, NULL, &run, &err), 0);
	CU_ASSERT_STRING_EQUAL(at(run, "$.AutomationExecutionStatus"), "Success");
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['whoAmI.Account']"), "111111111111");
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['describeInstances.InstanceIds']"),
			       fmt("[\"%s\"]", iid));
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['describeInstances.FirstInstanceId']"), iid);
	CU_ASSERT_STRING_EQUAL(
	    at(run, "$.Outputs['describeInstances.FirstInstanceSecondEniGroups']"),
	    fmt("[{\"GroupName\":\"web\",\"GroupId\":\"%s\"}]", web));
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['accountSummary.Users']"), "1");
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['listUsers.UserNames']"), "[\"admin\"]");

	shown = show(at(run, "$.AutomationExecutionId"), state_dir);
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[*].StepName"),
			       "[\"whoAmI\",\"assertDefaultVpc\",\"describeInstances\","
			       "\"accountSummary\",\"anyUsers\",\"listUsers\"]");
	CU_ASSERT_STRING_EQUAL(
	    at(shown, "$.AutomationExecution.StepExecutions[2].Outputs.FirstInstanceState"),
	    "[\"running\"]");
	assert_only_reads(5);
	json_object_put(shown);
	json_object_put(run);
	free(err);
}

static void test_inventory_empty_account(void)
{
	const char *state_dir = irx_test_tmpdir();
	char path[4096] = "";
	const char *args[] = {"run", path, NULL};
	/* a root key only: no IAM users, no instances */
	const char *extra[] = {"AWS_ACCESS_KEY_ID=AKIDROOT3",
			       "AWS_SECRET_ACCESS_KEY=root3secretroot3secretroot3secretroot3se",
			       NULL};
	struct json_object *run = NULL, *shown = NULL;
	char *err = NULL;

	snprintf(path, sizeof(path), "%s", irx_test_src("runbooks/aws-inventory.yaml"));
	sim_reset("{\"accounts\":{\"333333333333\":{\"credentials\":[{\"AccessKeyId\":"
		  "\"AKIDROOT3\",\"SecretAccessKey\":"
		  "\"root3secretroot3secretroot3secretroot3se\"}]}}}");
	CU_ASSERT_EQUAL(irx(args, state_dir, extra, &run, &err), 0);
	CU_ASSERT_STRING_EQUAL(at(run, "$.AutomationExecutionStatus"), "Success");
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['whoAmI.Account']"), "333333333333");
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['accountSummary.Users']"), "0");
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['describeInstances.InstanceIds']"), "(absent)");
	CU_ASSERT_STRING_EQUAL(at(run, "$.Outputs['listUsers.UserNames']"), "(absent)");
	IRX_ASSERT_CONTAINS(err, "describeInstances: output 'FirstInstanceSecondEniGroups': "
				 "selector '$.Reservations[0].Instances[0].NetworkInterfaces[1]."
				 "Groups' matched nothing");

	shown = show(at(run, "$.AutomationExecutionId"), state_dir);
	CU_ASSERT_STRING_EQUAL(at(shown, "$.AutomationExecution.StepExecutions[*].StepName"),
			       "[\"whoAmI\",\"assertDefaultVpc\",\"describeInstances\","
			       "\"accountSummary\",\"anyUsers\",\"noUsers\"]");
	CU_ASSERT_STRING_EQUAL(
	    at(shown, "$.AutomationExecution.StepExecutions[2].Outputs.Reservations"), "[]");
	assert_only_reads(4);
	json_object_put(shown);
	json_object_put(run);
	free(err);
	sim_reset(NULL);
}

static void test_inventory_assertion_fails(void)
{
	const char *state_dir = irx_test_tmpdir();
	char path[4096] = "";
	const char *args[] = {"run", path, NULL};
	struct json_object *run = NULL;
	char *err = NULL;
	char vpc[64] = "";
	struct json_object *st = NULL;

	snprintf(path, sizeof(path), "%s", irx_test_src("runbooks/aws-inventory.yaml"));
	sim_reset(NULL);
	/* the default VPC is gone: the assertion stops the inventory */
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/call",
					"{\"service\":\"ec2\",\"operation\":\"DescribeVpcs\"}",
					&st),
			200);
	snprintf(vpc, sizeof(vpc), "%s", at(st, "$.result.Vpcs[0].VpcId"));
	json_object_put(st);
	st = sim_get("/__awssim/state?account=111111111111&service=ec2");
	json_object_object_del(
	    json_object_object_get(json_object_object_get(json_object_object_get(st, "state"),
							  "111111111111/us-east-1/ec2"),
				   "vpcs"),
	    vpc);
	CU_ASSERT_EQUAL(
	    irx_sim_control(&sim, "POST", "/__awssim/seed", json_object_to_json_string(st), NULL),
	    200);
	json_object_put(st);

	CU_ASSERT_EQUAL(irx(args, state_dir, NULL, &run, &err), 1);
	CU_ASSERT_STRING_EQUAL(at(run, "$.AutomationExecutionStatus"), "Failed");
	CU_ASSERT_STRING_EQUAL(at(run, "$.FailureMessage"),
			       "step 'assertDefaultVpc' failed: $.Vpcs[0].State is not in the "
			       "response, expected one of: available");
	json_object_put(run);
	free(err);
}

static CU_TestInfo tests[] = {
    {"awsdocs examples that validate run end to end", test_awsdocs_examples},
    {"awsdocs outputs-inputs: no image found", test_outputs_inputs_no_image},
    {"aws-inventory: populated account", test_inventory_populated},
    {"aws-inventory: empty account takes the other branch", test_inventory_empty_account},
    {"aws-inventory: assertion fails without a default VPC", test_inventory_assertion_fails},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("runbooks_sim", tests, suite_init, suite_clean)
