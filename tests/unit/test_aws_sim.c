/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS client against the local simulator (tools/awssim, botocore's own signature check),
 * started by the suite on a free port of 127.0.0.1: ec2, query (sts, iam) and json (ssm)
 * protocols, wrong and unknown keys, AssumeRole across accounts with and without the right
 * ExternalId, throttling that succeeds on retry and that exhausts retries, a dropped connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "aws/client.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

#define SECRET1 "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SECRET2 "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY2"

static struct irx_sim sim;

static const char *const test_env[] = {"HOME=/nonexistent-irx-test",
				       "AWS_EC2_METADATA_DISABLED=true", NULL};

static int suite_init(void)
{
	if (irx_sim_start(&sim) < 0) {
		fprintf(stderr, "aws_sim: the simulator (tools/awssim) did not start\n");
		return -1;
	}
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	setenv("AWS_ENDPOINT_URL", sim.url, 1);
	return 0;
}

static int suite_clean(void)
{
	irx_sim_stop(&sim);
	unsetenv("AWS_ENDPOINT_URL");
	return 0;
}

/* POST/DELETE to the control endpoint. Returns the HTTP status. */
static long control(const char *method, const char *path, const char *body)
{
	return irx_sim_control(&sim, method, path, body, NULL);
}

struct sleeps {
	int count;
};

static void no_sleep(void *ud, long long ms)
{
	((struct sleeps *)ud)->count++;
}

static struct irx_aws_client *client(const char *akid, const char *secret, struct sleeps *s)
{
	struct irx_aws_client_options o = {0};
	struct irx_error err = {0};
	struct irx_aws_client *c = NULL;

	o.region = "us-east-1";
	o.access_key_id = akid;
	o.secret_access_key = secret;
	o.env = test_env;
	o.sleep_ms = no_sleep;
	o.sleep_ud = s;
	o.max_attempts = 3;
	o.timeout_ms = 10000;
	c = irx_aws_client_new(&o, &err);
	if (!c)
		fprintf(stderr, "\n  client: %s\n", err.message);
	return c;
}

static const char *str_at(struct json_object *o, const char *key)
{
	struct json_object *v = json_object_object_get(o, key);

	return v ? json_object_get_string(v) : "(absent)";
}

static void test_protocols(void)
{
	struct sleeps s = {0};
	struct irx_aws_client *c = client("AKIDEXAMPLE", SECRET1, &s);
	struct irx_error err = {0};
	struct json_object *resp = NULL, *p = NULL, *inst = NULL;
	char id[64] = "";

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "sts", "GetCallerIdentity", NULL, &resp, &err), 0);
	if (err.code)
		fprintf(stderr, "\n  %s\n", err.message);
	CU_ASSERT_STRING_EQUAL(str_at(resp, "Account"), "111111111111");
	json_object_put(resp);

	p = json_tokener_parse(
	    "{\"ImageId\":\"ami-0a1b2c3d4e5f60004\",\"MinCount\":1,\"MaxCount\":1,"
	    "\"InstanceType\":\"t3.micro\"}");
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "ec2", "RunInstances", p, &resp, &err), 0);
	if (err.code)
		fprintf(stderr, "\n  %s\n", err.message);
	json_object_put(p);
	inst = json_object_array_get_idx(json_object_object_get(resp, "Instances"), 0);
	snprintf(id, sizeof(id), "%s", str_at(inst, "InstanceId"));
	CU_ASSERT_EQUAL(strncmp(id, "i-", 2), 0);
	json_object_put(resp);

	p = json_object_new_object();
	json_object_object_add(p, "InstanceIds", json_object_new_array());
	json_object_array_add(json_object_object_get(p, "InstanceIds"), json_object_new_string(id));
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "ec2", "describe_instances", p, &resp, &err), 0);
	json_object_put(p);
	inst = json_object_array_get_idx(
	    json_object_object_get(
		json_object_array_get_idx(json_object_object_get(resp, "Reservations"), 0),
		"Instances"),
	    0);
	CU_ASSERT_STRING_EQUAL(str_at(inst, "InstanceId"), id);
	json_object_put(resp);

	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "iam", "ListUsers", NULL, &resp, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(json_object_object_get(resp, "Users"));
	json_object_put(resp);
	CU_ASSERT_EQUAL(s.count, 0);
	irx_aws_client_free(c);
}

static void test_wrong_keys(void)
{
	struct sleeps s = {0};
	struct irx_aws_client *c = client("AKIDEXAMPLE", "not-the-secret", &s);
	struct irx_error err = {0};
	struct json_object *resp = NULL;

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "sts", "GetCallerIdentity", NULL, &resp, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_AWS);
	CU_ASSERT_EQUAL(err.http_status, 403);
	CU_ASSERT_STRING_EQUAL(err.aws_code, "SignatureDoesNotMatch");
	IRX_ASSERT_CONTAINS(err.message, "sts:GetCallerIdentity failed: SignatureDoesNotMatch: ");
	irx_aws_client_free(c);

	irx_error_clear(&err);
	c = client("AKIDUNKNOWN", SECRET1, &s);
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.aws_code, "AuthFailure");
	irx_aws_client_free(c);
}

static void test_assume_role_across_accounts(void)
{
	struct sleeps s = {0};
	struct irx_aws_client *admin2 = client("AKIDEXAMPLE2", SECRET2, &s);
	struct irx_aws_client *c = client("AKIDEXAMPLE", SECRET1, &s);
	struct irx_error err = {0};
	struct json_object *resp = NULL;
	struct json_object *p = json_object_new_object();
	struct irx_aws_context good = {.role_arn = "arn:aws:iam::222222222222:role/ir",
				       .external_id = "ext-42",
				       .session_name = "irx-exec-1"};
	struct irx_aws_context bad = {.role_arn = "arn:aws:iam::222222222222:role/ir",
				      .external_id = "wrong"};

	CU_ASSERT_FATAL(admin2 != NULL && c != NULL);
	json_object_object_add(p, "RoleName", json_object_new_string("ir"));
	json_object_object_add(
	    p, "AssumeRolePolicyDocument",
	    json_object_new_string(
		"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
		"{\"AWS\":\"arn:aws:iam::111111111111:root\"},\"Action\":\"sts:AssumeRole\","
		"\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":\"ext-42\"}}}]}"));
	CU_ASSERT_EQUAL(irx_aws_call(admin2, NULL, "iam", "CreateRole", p, &resp, &err), 0);
	if (err.code)
		fprintf(stderr, "\n  %s\n", err.message);
	json_object_put(resp);
	json_object_put(p);

	CU_ASSERT_EQUAL(irx_aws_call(c, &good, "sts", "GetCallerIdentity", NULL, &resp, &err), 0);
	if (err.code)
		fprintf(stderr, "\n  %s\n", err.message);
	CU_ASSERT_STRING_EQUAL(str_at(resp, "Account"), "222222222222");
	IRX_ASSERT_CONTAINS(str_at(resp, "Arn"), "assumed-role/ir/irx-exec-1");
	json_object_put(resp);

	CU_ASSERT_EQUAL(irx_aws_call(c, &bad, "sts", "GetCallerIdentity", NULL, &resp, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_CREDENTIALS);
	CU_ASSERT_STRING_EQUAL(err.aws_code, "AccessDenied");
	IRX_ASSERT_CONTAINS(err.message,
			    "sts:GetCallerIdentity: cannot assume role "
			    "'arn:aws:iam::222222222222:role/ir': sts:AssumeRole failed: "
			    "AccessDenied: ");
	irx_aws_client_free(c);
	irx_aws_client_free(admin2);
}

static void test_faults(void)
{
	struct sleeps s = {0};
	struct irx_aws_client *c = client("AKIDEXAMPLE", SECRET1, &s);
	struct irx_error err = {0};
	struct json_object *resp = NULL;

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(control("POST", "/__awssim/faults",
				"{\"kind\":\"throttle\",\"every\":1,\"service\":\"ec2\","
				"\"operation\":\"DescribeInstances\",\"count\":2}"),
			200);
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	if (err.code)
		fprintf(stderr, "\n  %s\n", err.message);
	CU_ASSERT_EQUAL(s.count, 2);
	json_object_put(resp);
	resp = NULL;

	CU_ASSERT_EQUAL(control("POST", "/__awssim/faults",
				"{\"kind\":\"throttle\",\"every\":1,\"service\":\"ec2\","
				"\"operation\":\"DescribeInstances\",\"count\":3}"),
			200);
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_AWS);
	CU_ASSERT_STRING_EQUAL(err.aws_code, "RequestLimitExceeded");
	IRX_ASSERT_CONTAINS(
	    err.message, "ec2:DescribeInstances failed after 3 attempts: RequestLimitExceeded: ");
	IRX_ASSERT_CONTAINS(err.message, "(request id ");

	irx_error_clear(&err);
	CU_ASSERT_EQUAL(control("POST", "/__awssim/faults",
				"{\"kind\":\"drop\",\"service\":\"ec2\",\"count\":1}"),
			200);
	s.count = 0;
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	if (err.code)
		fprintf(stderr, "\n  %s\n", err.message);
	/* answered after the drop: by the client's retry (one backoff) or, on a reused
	   connection, by curl's own resend on a fresh one (no backoff) */
	CU_ASSERT_TRUE(s.count <= 1);
	CU_ASSERT_PTR_NOT_NULL(json_object_object_get(resp, "Reservations"));
	json_object_put(resp);
	control("DELETE", "/__awssim/faults", NULL);
	irx_aws_client_free(c);
}

static CU_TestInfo tests[] = {
    {"protocols", test_protocols},
    {"wrong keys", test_wrong_keys},
    {"assume role across accounts", test_assume_role_across_accounts},
    {"faults", test_faults},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("aws_sim", tests, suite_init, suite_clean)
