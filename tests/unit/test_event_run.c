/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From a finding to containment: `irx run --event` with a GuardDuty-style bare ARN and an SNS
 * entity message, against the simulator, with the notification topic from irx.yaml. Asserts
 * the simulator's end state, and that a duplicate event does not contain twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sim_harness.h"
#include "test.h"

#define A1 "111111111111"
#define USER_ARN "arn:aws:iam::" A1 ":user/dev/eve"

static struct irx_sim sim;
static char work[4096];

static int setup(void)
{
	snprintf(work, sizeof(work), "%s", irx_test_tmpdir());
	return irx_sim_start(&sim) == 0 ? 0 : -1;
}

static int teardown(void)
{
	irx_sim_stop(&sim);
	return 0;
}

static void call(const char *service, const char *op, const char *params)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "{\"account\":\"" A1 "\",\"region\":\"us-east-1\",\"service\":\"%s\","
		 "\"operation\":\"%s\",\"params\":%s}",
		 service, op, params);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/call", body, NULL), 200);
}

/* Runs irx with the simulator's environment plus the plugin path and state dir. */
static int irx(const char *input, char **out, char **err, const char *const *args)
{
	const char *argv[32] = {NULL};
	const char *env[64] = {NULL};
	const char *const *simenv = irx_sim_env(&sim);
	static char bin[4200], plugins[4200], state[4200];
	size_t n = 0, e = 0;

	snprintf(bin, sizeof(bin), "%s", irx_test_build("irx"));
	argv[n++] = bin;
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	snprintf(plugins, sizeof(plugins), "IRX_PLUGIN_PATH=%s", irx_test_build("plugins"));
	snprintf(state, sizeof(state), "IRX_STATE_DIR=%s/state", work);
	for (; simenv[e] && e < 60; e++)
		env[e] = simenv[e];
	env[e++] = plugins;
	env[e++] = state;
	env[e++] = "IRX_RUNBOOK_PATH=";
	return irx_test_run(argv, env, input, out, err);
}

static int count_active_keys(void)
{
	struct json_object *st = NULL, *r = NULL;
	int active = 0;
	const char *text = NULL;

	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/call",
					"{\"account\":\"" A1 "\",\"service\":\"iam\","
					"\"operation\":\"ListAccessKeys\",\"params\":{\"UserName\":\"eve\"}}",
					&st),
			200);
	json_object_object_get_ex(st, "result", &r);
	text = json_object_to_json_string(r);
	for (const char *p = text; (p = strstr(p, "\"Active\"")); p++)
		active++;
	json_object_put(st);
	return active;
}

static int published_messages(void)
{
	struct json_object *st = NULL;
	int n = 0;

	CU_ASSERT_EQUAL(irx_sim_control(&sim, "GET", "/__awssim/state?account=" A1 "&service=sns",
					NULL, &st),
			200);
	for (const char *p = json_object_to_json_string(st); (p = strstr(p, "\"MessageId\"")); p++)
		n++;
	json_object_put(st);
	return n;
}

static void test_finding_to_containment(void)
{
	char config[4300], cfgarg[4400];
	const char *args[] = {"run", "--event", "-", "--config", config, NULL};
	char *out = NULL, *err = NULL;
	int before = 0;

	call("iam", "CreateUser", "{\"UserName\":\"eve\",\"Path\":\"/dev/\"}");
	call("iam", "CreateAccessKey", "{\"UserName\":\"eve\"}");
	call("iam", "CreateAccessKey", "{\"UserName\":\"eve\"}");
	call("sns", "CreateTopic", "{\"Name\":\"irx-alerts\"}");
	CU_ASSERT_EQUAL(count_active_keys(), 2);
	snprintf(config, sizeof(config), "%s/irx.yaml", work);
	snprintf(cfgarg, sizeof(cfgarg),
		 "version: 1\n"
		 "defaults: {region: us-east-1, case_id_prefix: IR-}\n"
		 "notifications:\n"
		 "  - {name: security-team, type: sns,"
		 " topic_arn: 'arn:aws:sns:us-east-1:" A1 ":irx-alerts'}\n");
	CU_ASSERT_EQUAL_FATAL(irx_test_write(config, cfgarg), 0);
	before = published_messages();

	/* a bare ARN routes to entity-lockdown; the topic comes from the configuration */
	CU_ASSERT_EQUAL(irx(USER_ARN "\n", &out, &err, args), 0);
	IRX_ASSERT_CONTAINS(err, "running 'entity-lockdown' on " USER_ARN);
	IRX_ASSERT_CONTAINS(out, "\tSuccess\t" USER_ARN);
	CU_ASSERT_EQUAL(count_active_keys(), 0);
	CU_ASSERT_EQUAL(published_messages() - before, 2);
	free(out);
	free(err);
}

/* A GuardDuty finding on an access key: iam-credential-exposure, once; the duplicate is not run. */
static void test_duplicate_finding_contained_once(void)
{
	char config[4300], event[4300], text[2048], key[64] = "";
	const char *args[] = {"run", "--event", event, "--config", config, NULL};
	char *out = NULL, *err = NULL;
	struct json_object *r = NULL, *res = NULL, *ak = NULL, *id = NULL;

	call("iam", "CreateUser", "{\"UserName\":\"trent\"}");
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/call",
					"{\"account\":\"" A1 "\",\"service\":\"iam\",\"operation\":"
					"\"CreateAccessKey\",\"params\":{\"UserName\":\"trent\"}}",
					&r),
			200);
	json_object_object_get_ex(r, "result", &res);
	json_object_object_get_ex(res, "AccessKey", &ak);
	json_object_object_get_ex(ak, "AccessKeyId", &id);
	snprintf(key, sizeof(key), "%s", json_object_get_string(id));
	json_object_put(r);
	snprintf(config, sizeof(config), "%s/irx.yaml", work);
	snprintf(event, sizeof(event), "%s/finding.json", work);
	snprintf(text, sizeof(text),
		 "{\"version\":\"0\",\"id\":\"e-1\",\"detail-type\":\"GuardDuty Finding\","
		 "\"source\":\"aws.guardduty\",\"account\":\"" A1 "\",\"region\":\"us-east-1\","
		 "\"detail\":{\"id\":\"f-trent-1\",\"type\":"
		 "\"UnauthorizedAccess:IAMUser/MaliciousIPCaller\",\"severity\":8,"
		 "\"accountId\":\"" A1 "\",\"region\":\"us-east-1\",\"resource\":{"
		 "\"resourceType\":\"AccessKey\",\"accessKeyDetails\":{\"accessKeyId\":\"%s\","
		 "\"userType\":\"IAMUser\",\"userName\":\"trent\"}},\"service\":{}}}",
		 key);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(event, text), 0);

	CU_ASSERT_EQUAL(irx(NULL, &out, &err, args), 0);
	IRX_ASSERT_CONTAINS(err, "running 'iam-credential-exposure' on arn:aws:iam::" A1
				 ":user/trent");
	IRX_ASSERT_CONTAINS(out, "\tSuccess\t");
	free(out);
	free(err);
	/* the same finding again: claimed already, nothing runs */
	CU_ASSERT_EQUAL(irx(NULL, &out, &err, args), 0);
	IRX_ASSERT_CONTAINS(err, "not run");
	CU_ASSERT_PTR_NULL(strstr(err, "running '"));
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(err);
}

static CU_TestInfo tests[] = {
	{"a finding's entity contained, notified through the configured topic",
	 test_finding_to_containment},
	{"a duplicate finding is contained once", test_duplicate_finding_contained_once},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("event_run", tests, setup, teardown)
