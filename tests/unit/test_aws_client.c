/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS client against a scripted HTTP server on 127.0.0.1 (aws_test_server.c) through the
 * real libcurl transport, and against an injected transport: names, signing, endpoint
 * override, retries, dropped connections, timeouts, clock skew, AssumeRole and its cache,
 * connection reuse, concurrent calls, and the executor's dry-run host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "aws/client.h"
#include "aws/sigv4.h"
#include "aws_test_server.h"
#include "executor.h"
#include "host.h"
#include "test.h"
#include "util.h"

#define T0 1440938160 /* 2015-08-30T12:36:00Z */

static const char *const test_env[] = {"HOME=/nonexistent-irx-test",
				       "AWS_EC2_METADATA_DISABLED=true", NULL};

static const char ec2_ok[] =
    "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>req-ok</requestId><reservationSet><item><reservationId>r-1</reservationId>"
    "<instancesSet><item><instanceId>i-0abc</instanceId><instanceState><code>16</code>"
    "<name>running</name></instanceState></item></instancesSet></item></reservationSet>"
    "</DescribeInstancesResponse>";
static const char ec2_throttled[] =
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
    "exceeded.</Message></Error></Errors><RequestID>req-1</RequestID></Response>";
static const char ec2_denied[] =
    "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not "
    "authorized to perform this operation.</Message></Error></Errors><RequestID>req-2"
    "</RequestID></Response>";
static const char sts_ok[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
    "<Credentials><AccessKeyId>ASIATEMPKEY</AccessKeyId><SecretAccessKey>tempsecret"
    "</SecretAccessKey><SessionToken>tok123</SessionToken><Expiration>2015-08-30T13:36:00Z"
    "</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/"
    "ir/irx</Arn><AssumedRoleId>AROAX:irx</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>"
    "<ResponseMetadata><RequestId>sts-1</RequestId></ResponseMetadata></AssumeRoleResponse>";
static const char sts_denied[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized "
    "to perform sts:AssumeRole</Message></Error><RequestId>sts-err</RequestId></ErrorResponse>";

/* ---- fixtures ----------------------------------------------------------------------------- */

struct fake_clock {
	time_t now;
};

static time_t clock_fn(void *ud)
{
	return ((struct fake_clock *)ud)->now;
}

struct sleeps {
	int count;
	long long total;
};

static void sleep_fn(void *ud, long long ms)
{
	struct sleeps *s = ud;

	s->count++;
	s->total += ms;
}

struct fixture {
	struct irx_test_server srv;
	struct fake_clock clock;
	struct sleeps sleeps;
	struct irx_aws_client *c;
};

static void clear_endpoint_env(void)
{
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("AWS_ENDPOINT_URL_IAM");
	unsetenv("AWS_ENDPOINT_URL_SSM");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
}

/* Starts the server and a client whose endpoint is it. */
static int fixture_start(struct fixture *f, const struct irx_ts_step *script, size_t n,
			 int max_attempts, long timeout_ms)
{
	struct irx_aws_client_options o = {0};
	struct irx_error err = {0};

	memset(f, 0, sizeof(*f));
	if (irx_ts_start(&f->srv, script, n) < 0)
		return -1;
	clear_endpoint_env();
	setenv("AWS_ENDPOINT_URL", f->srv.url, 1);
	f->clock.now = T0;
	o.region = "us-east-1";
	o.access_key_id = "AKIDEXAMPLE";
	o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	o.env = test_env;
	o.clock = clock_fn;
	o.clock_ud = &f->clock;
	o.sleep_ms = sleep_fn;
	o.sleep_ud = &f->sleeps;
	o.max_attempts = max_attempts;
	o.timeout_ms = timeout_ms;
	f->c = irx_aws_client_new(&o, &err);
	if (!f->c)
		fprintf(stderr, "\n  client: %s\n", err.message);
	return f->c ? 0 : -1;
}

static void fixture_stop(struct fixture *f)
{
	irx_aws_client_free(f->c);
	irx_ts_stop(&f->srv);
	clear_endpoint_env();
}

static struct json_object *ids_params(const char *id)
{
	struct json_object *p = json_object_new_object();
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(id));
	json_object_object_add(p, "InstanceIds", a);
	return p;
}

static const char *sel_str(struct json_object *o, const char *k1, int i1, const char *k2, int i2,
			   const char *k3)
{
	struct json_object *v = json_object_object_get(o, k1);

	v = json_object_array_get_idx(v, (size_t)i1);
	v = json_object_object_get(v, k2);
	v = json_object_array_get_idx(v, (size_t)i2);
	v = json_object_object_get(v, k3);
	return v ? json_object_get_string(v) : NULL;
}

/* Recomputes the signature of logged request n with the sigv4 module; 1 when it matches. */
static int signature_checks(const struct irx_test_server *s, int n, const char *secret,
			    const char *token, const char *service)
{
	char *head = NULL, *body = NULL;
	char auth[1024] = "", date[64] = "", signed_h[512] = "", want_sig[80] = "", buf[1024];
	char method[16] = "", target[2048] = "";
	struct irx_sigv4_header hs[32];
	size_t nh = 0;
	struct irx_sigv4_request req = {0};
	struct irx_sigv4_options o;
	struct irx_sigv4_result r = {0};
	struct irx_credentials cr = {0};
	struct irx_error err = {0};
	struct tm tm = {0};
	char *names = NULL, *save = NULL, *query = NULL, *values[32] = {0};
	const char *p = NULL;
	int ok = 0;

	if (irx_ts_request(s, n, &head, &body) < 0)
		return 0;
	sscanf(head, "%15s %2047s", method, target);
	irx_ts_header(head, "Authorization", auth, sizeof(auth));
	irx_ts_header(head, "X-Amz-Date", date, sizeof(date));
	p = strstr(auth, "SignedHeaders=");
	if (!p || !strptime(date, "%Y%m%dT%H%M%SZ", &tm))
		goto out;
	snprintf(signed_h, sizeof(signed_h), "%.*s", (int)strcspn(p + 14, ","), p + 14);
	p = strstr(auth, "Signature=");
	if (!p)
		goto out;
	snprintf(want_sig, sizeof(want_sig), "%s", p + 10);
	names = irx_xstrdup(signed_h);
	for (char *name = strtok_r(names, ";", &save); name && nh < 32;
	     name = strtok_r(NULL, ";", &save)) {
		values[nh] = irx_xstrdup(irx_ts_header(head, name, buf, sizeof(buf)));
		hs[nh] = (struct irx_sigv4_header){name, values[nh]};
		nh++;
	}
	query = strchr(target, '?');
	if (query)
		*query++ = '\0';
	req.method = method;
	req.path = target;
	req.query = query;
	req.headers = hs;
	req.header_count = nh;
	req.payload = body;
	req.payload_len = strlen(body);
	irx_credentials_set(&cr, "AKIDEXAMPLE", secret, token, 0);
	irx_sigv4_options_init(&o, service, "us-east-1", timegm(&tm));
	if (irx_sigv4_sign(&req, &cr, &o, &r, &err) == 0)
		ok = strcmp(r.signature, want_sig) == 0;
	else
		fprintf(stderr, "\n  sign: %s\n", err.message);
out:
	irx_sigv4_result_release(&r);
	irx_credentials_release(&cr);
	for (size_t i = 0; i < nh; i++)
		free(values[i]);
	free(names);
	free(head);
	free(body);
	return ok;
}

/* ---- names ------------------------------------------------------------------------------ */

static void test_names(void)
{
	const char *sid = NULL, *op = NULL;
	bool mut = true;
	struct irx_error err = {0};
	char msg[256] = "";

	CU_ASSERT_EQUAL(irx_aws_lookup("ec2", "DescribeInstances", &sid, &op, &mut, &err), 0);
	CU_ASSERT_STRING_EQUAL(sid, "ec2");
	CU_ASSERT_STRING_EQUAL(op, "DescribeInstances");
	CU_ASSERT_FALSE(mut);
	CU_ASSERT_EQUAL(irx_aws_lookup("elbv2", "deregister_targets", &sid, &op, &mut, &err), 0);
	CU_ASSERT_STRING_EQUAL(sid, "elasticloadbalancingv2");
	CU_ASSERT_STRING_EQUAL(op, "DeregisterTargets");
	CU_ASSERT_TRUE(mut);
	CU_ASSERT_EQUAL(
	    irx_aws_lookup("EC2", "modify_network_interface_attribute", &sid, &op, &mut, &err), 0);
	CU_ASSERT_STRING_EQUAL(op, "ModifyNetworkInterfaceAttribute");
	CU_ASSERT_EQUAL(
	    irx_aws_lookup("resourcegroupstaggingapi", "GetResources", &sid, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(irx_aws_lookup("ec3", "DescribeInstances", &sid, &op, &mut, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	IRX_ASSERT_CONTAINS(err.message, "unknown AWS service 'ec3' (irx knows autoscaling");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_aws_lookup("ec2", "DescribeInstance", &sid, &op, &mut, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "unknown operation 'DescribeInstance' for AWS service 'ec2'");
	CU_ASSERT_EQUAL(
	    irx_aws_check_input("ec2", "DescribeInstances", "InstanceIds", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(
	    irx_aws_check_input("ec2", "DescribeInstances", "InstanceId", msg, sizeof(msg)), -1);
	CU_ASSERT_STRING_EQUAL(msg, "unknown parameter 'InstanceId' for ec2:DescribeInstances");
	CU_ASSERT_EQUAL(irx_aws_check_input("ec2", "ModifyNetworkInterfaceAttribute",
					    "ConnectionTrackingSpecification", msg, sizeof(msg)),
			0);
	CU_ASSERT_EQUAL(irx_aws_check_input("nope", "X", "Y", msg, sizeof(msg)), -1);
	IRX_ASSERT_CONTAINS(msg, "unknown AWS service 'nope'");
}

static void test_bad_params_not_sent(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 200, NULL, ec2_ok}};
	struct fixture f;
	struct json_object *p = json_object_new_object(), *resp = NULL;
	struct irx_error err = {0};

	json_object_object_add(p, "InstanceIdz", json_object_new_string("i-1"));
	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", p, &resp, &err), -1);
	CU_ASSERT_PTR_NULL(resp);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	IRX_ASSERT_CONTAINS(err.message, "ec2:DescribeInstances: ");
	IRX_ASSERT_CONTAINS(err.message, "InstanceIdz");
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 0);
	irx_error_clear(&err);
	{
		/* template text converted to the shape's types; other text left to fail */
		struct json_object *in = json_tokener_parse(
		    "{\"MaxResults\":\"10\",\"DryRun\":\"True\",\"Filters\":[{\"Name\":\"a\","
		    "\"Values\":[\"1\"]}]}");
		struct json_object *out = NULL;

		CU_ASSERT_EQUAL(irx_aws_check_params("ec2", "DescribeInstances", in, &out, &err),
				0);
		CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN),
				       "{\"MaxResults\":10,\"DryRun\":true,\"Filters\":[{\"Name\":"
				       "\"a\",\"Values\":[\"1\"]}]}");
		json_object_put(out);
		json_object_object_add(in, "MaxResults", json_object_new_string("ten"));
		CU_ASSERT_EQUAL(irx_aws_check_params("ec2", "DescribeInstances", in, &out, &err),
				-1);
		IRX_ASSERT_CONTAINS(err.message, "MaxResults");
		json_object_put(in);
		irx_error_clear(&err);
	}
	CU_ASSERT_EQUAL(irx_aws_check_params("ec2", "DescribeInstances", p, NULL, &err), -1);
	IRX_ASSERT_CONTAINS(err.message, "InstanceIdz");
	json_object_put(p);
	fixture_stop(&f);
}

/* ---- signing, endpoint, parsing -------------------------------------------------------------- */

static void test_signed_call(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 200, NULL, ec2_ok}};
	struct fixture f;
	struct json_object *p = ids_params("i-0abc"), *resp = NULL;
	struct irx_error err = {0};
	char *head = NULL, *body = NULL;
	char buf[512] = "", host[64] = "";

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	/* the service-specific variable wins over AWS_ENDPOINT_URL (a dead port here) */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	setenv("AWS_ENDPOINT_URL_EC2", f.srv.url, 1);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", p, &resp, &err), 0);
	if (err.code)
		fprintf(stderr, "\n  %s\n", err.message);
	CU_ASSERT_STRING_EQUAL(sel_str(resp, "Reservations", 0, "Instances", 0, "InstanceId"),
			       "i-0abc");
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 1);
	CU_ASSERT_FATAL(irx_ts_request(&f.srv, 0, &head, &body) == 0);
	IRX_ASSERT_CONTAINS(head, "POST / HTTP/1.1");
	snprintf(host, sizeof(host), "127.0.0.1:%d", f.srv.port);
	CU_ASSERT_STRING_EQUAL(irx_ts_header(head, "Host", buf, sizeof(buf)), host);
	CU_ASSERT_STRING_EQUAL(irx_ts_header(head, "X-Amz-Date", buf, sizeof(buf)),
			       "20150830T123600Z");
	IRX_ASSERT_CONTAINS(irx_ts_header(head, "Authorization", buf, sizeof(buf)),
			    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ec2/"
			    "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=");
	CU_ASSERT_STRING_EQUAL(body, "Action=DescribeInstances&Version=2016-11-15&"
				     "InstanceId.1=i-0abc");
	CU_ASSERT_TRUE(
	    signature_checks(&f.srv, 0, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, "ec2"));
	/* and with another secret it would not check: the comparison can fail */
	CU_ASSERT_FALSE(signature_checks(&f.srv, 0, "another-secret", NULL, "ec2"));
	free(head);
	free(body);
	json_object_put(resp);
	json_object_put(p);
	fixture_stop(&f);
}

static void test_json_protocol_and_global_iam(void)
{
	static const struct irx_ts_step script[] = {
	    {IRX_TS_ANSWER, 200, "x-amzn-RequestId: r1\r\n",
	     "{\"InstanceInformationList\":[{\"InstanceId\":\"i-1\",\"PingStatus\":\"Online\"}]}"},
	    {IRX_TS_ANSWER, 200, NULL,
	     "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult>"
	     "<User><UserName>bob</UserName><Path>/</Path><UserId>AIDA1</UserId><Arn>arn:aws:iam::"
	     "111111111111:user/bob</Arn><CreateDate>2015-08-30T12:00:00Z</CreateDate></User>"
	     "</GetUserResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata>"
	     "</GetUserResponse>"},
	};
	struct fixture f;
	struct json_object *resp = NULL, *p = json_object_new_object();
	struct irx_error err = {0};
	char *head = NULL, *body = NULL;
	char buf[512] = "";

	CU_ASSERT_FATAL(fixture_start(&f, script, 2, 3, 0) == 0);
	CU_ASSERT_EQUAL(
	    irx_aws_call(f.c, NULL, "ssm", "describe_instance_information", NULL, &resp, &err), 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
				   json_object_array_get_idx(
				       json_object_object_get(resp, "InstanceInformationList"), 0),
				   "PingStatus")),
			       "Online");
	json_object_put(resp);
	CU_ASSERT_FATAL(irx_ts_request(&f.srv, 0, &head, &body) == 0);
	CU_ASSERT_STRING_EQUAL(irx_ts_header(head, "X-Amz-Target", buf, sizeof(buf)),
			       "AmazonSSM.DescribeInstanceInformation");
	CU_ASSERT_TRUE(
	    signature_checks(&f.srv, 0, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, "ssm"));
	free(head);
	free(body);
	/* IAM is global: signed for us-east-1 whatever the call's region */
	json_object_object_add(p, "UserName", json_object_new_string("bob"));
	{
		struct irx_aws_context ctx = {.region = "eu-west-1"};

		CU_ASSERT_EQUAL(irx_aws_call(f.c, &ctx, "iam", "GetUser", p, &resp, &err), 0);
	}
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
				   json_object_object_get(resp, "User"), "UserName")),
			       "bob");
	CU_ASSERT_FATAL(irx_ts_request(&f.srv, 1, &head, &body) == 0);
	IRX_ASSERT_CONTAINS(irx_ts_header(head, "Authorization", buf, sizeof(buf)),
			    "/20150830/us-east-1/iam/aws4_request");
	free(head);
	free(body);
	json_object_put(resp);
	json_object_put(p);
	fixture_stop(&f);
}

/* ---- retries -------------------------------------------------------------------------------- */

static void test_throttling_then_success(void)
{
	static const struct irx_ts_step script[] = {
	    {IRX_TS_ANSWER, 503, NULL, ec2_throttled},
	    {IRX_TS_ANSWER, 503, NULL, ec2_throttled},
	    {IRX_TS_ANSWER, 200, NULL, ec2_ok},
	};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};

	CU_ASSERT_FATAL(fixture_start(&f, script, 3, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	CU_ASSERT_PTR_NOT_NULL(resp);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 3);
	CU_ASSERT_EQUAL(f.sleeps.count, 2);
	/* full jitter below the caps: 1 s, then 2 s */
	CU_ASSERT_TRUE(f.sleeps.total < 3000);
	json_object_put(resp);
	fixture_stop(&f);
}

static void test_throttling_exhausted(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 503, NULL, ec2_throttled}};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	CU_ASSERT_PTR_NULL(resp);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_AWS);
	CU_ASSERT_STRING_EQUAL(err.message, "ec2:DescribeInstances failed after 3 attempts: "
					    "RequestLimitExceeded: Request limit exceeded. "
					    "(request id req-1)");
	CU_ASSERT_EQUAL(err.http_status, 503);
	CU_ASSERT_STRING_EQUAL(err.aws_code, "RequestLimitExceeded");
	CU_ASSERT_STRING_EQUAL(err.aws_message, "Request limit exceeded.");
	CU_ASSERT_STRING_EQUAL(err.request_id, "req-1");
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 3);
	CU_ASSERT_EQUAL(f.sleeps.count, 2);
	fixture_stop(&f);
}

static void test_not_retryable(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 403, NULL, ec2_denied}};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "StopInstances", NULL, &resp, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "ec2:StopInstances failed: UnauthorizedOperation: You are not "
			       "authorized to perform this operation. (request id req-2)");
	CU_ASSERT_EQUAL(err.http_status, 403);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 1);
	CU_ASSERT_EQUAL(f.sleeps.count, 0);
	fixture_stop(&f);
}

static void test_html_from_a_proxy(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 502,
						     "Content-Type: text/html\r\n",
						     "<html><body>Bad Gateway</body></html>"}};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 2, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_AWS);
	CU_ASSERT_EQUAL(err.http_status, 502);
	CU_ASSERT_STRING_EQUAL(err.aws_code, "HTTP502");
	IRX_ASSERT_CONTAINS(err.message,
			    "ec2:DescribeInstances failed after 2 attempts: HTTP502: ");
	IRX_ASSERT_CONTAINS(err.message, "Bad Gateway");
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 2);
	fixture_stop(&f);
}

static void test_dropped_connection(void)
{
	static const struct irx_ts_step drop_once[] = {
	    {IRX_TS_DROP, 0, NULL, NULL},
	    {IRX_TS_ANSWER, 200, NULL, ec2_ok},
	};
	static const struct irx_ts_step drop_always[] = {{IRX_TS_DROP, 0, NULL, NULL}};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};
	char want[256] = "";

	CU_ASSERT_FATAL(fixture_start(&f, drop_once, 2, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 2);
	json_object_put(resp);
	resp = NULL;
	fixture_stop(&f);

	CU_ASSERT_FATAL(fixture_start(&f, drop_always, 1, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NETWORK);
	snprintf(want, sizeof(want),
		 "ec2:DescribeInstances failed after 3 attempts: no response from %s: ", f.srv.url);
	CU_ASSERT_EQUAL(strncmp(err.message, want, strlen(want)), 0);
	IRX_ASSERT_CONTAINS(err.message, "Server returned nothing");
	CU_ASSERT_EQUAL(err.http_status, 0);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 3);
	fixture_stop(&f);
}

static void test_server_never_answers(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_HANG, 0, NULL, NULL}};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};
	char want[256] = "";
	long long t0 = irx_now_ms(), spent = 0;

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 2, 300) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	spent = irx_now_ms() - t0;
	CU_ASSERT_EQUAL(err.code, IRX_ERR_TIMEOUT);
	snprintf(want, sizeof(want),
		 "ec2:DescribeInstances failed after 2 attempts: no response from %s within 300 ms",
		 f.srv.url);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	CU_ASSERT_TRUE(spent >= 600 && spent < 5000);
	fixture_stop(&f);
}

static void test_deadline_bounds_the_call(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_HANG, 0, NULL, NULL}};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};
	struct irx_aws_context ctx = {0};
	long long t0 = irx_now_ms(), spent = 0;

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 30000) == 0);
	ctx.deadline_ms = t0 + 400;
	CU_ASSERT_EQUAL(irx_aws_call(f.c, &ctx, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	spent = irx_now_ms() - t0;
	CU_ASSERT_EQUAL(err.code, IRX_ERR_TIMEOUT);
	IRX_ASSERT_CONTAINS(err.message, "ec2:DescribeInstances failed");
	CU_ASSERT_TRUE(spent >= 300 && spent < 3000);
	fixture_stop(&f);
}

/* ---- clock skew ---------------------------------------------------------------------------- */

static void test_clock_skew(void)
{
	static const struct irx_ts_step script[] = {
	    {IRX_TS_ANSWER, 403, "Date: Sun, 30 Aug 2015 13:36:00 GMT\r\n",
	     "<Response><Errors><Error><Code>RequestTimeTooSkewed</Code><Message>The difference "
	     "between the request time and the current time is too large.</Message></Error>"
	     "</Errors><RequestID>skew-1</RequestID></Response>"},
	    {IRX_TS_ANSWER, 200, NULL, ec2_ok},
	    {IRX_TS_ANSWER, 200, NULL, ec2_ok},
	};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};
	char *head = NULL, *body = NULL;
	char buf[128] = "";

	CU_ASSERT_FATAL(fixture_start(&f, script, 3, 1, 0) == 0);
	/* max_attempts 1: the skew retry is not an attempt */
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	CU_ASSERT_EQUAL(irx_aws_client_clock_skew(f.c), 3600);
	CU_ASSERT_EQUAL(f.sleeps.count, 0);
	CU_ASSERT_FATAL(irx_ts_request(&f.srv, 1, &head, &body) == 0);
	CU_ASSERT_STRING_EQUAL(irx_ts_header(head, "X-Amz-Date", buf, sizeof(buf)),
			       "20150830T133600Z");
	free(head);
	free(body);
	json_object_put(resp);
	/* later calls are signed with the corrected clock straight away */
	f.clock.now += 10;
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	CU_ASSERT_FATAL(irx_ts_request(&f.srv, 2, &head, &body) == 0);
	CU_ASSERT_STRING_EQUAL(irx_ts_header(head, "X-Amz-Date", buf, sizeof(buf)),
			       "20150830T133610Z");
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 3);
	free(head);
	free(body);
	json_object_put(resp);
	fixture_stop(&f);
}

static void test_signature_error_without_skew(void)
{
	/* a wrong secret with a good clock: not a skew, not retried */
	static const struct irx_ts_step script[] = {
	    {IRX_TS_ANSWER, 403, "Date: Sun, 30 Aug 2015 12:37:00 GMT\r\n",
	     "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>"
	     "The request signature we calculated does not match the signature you provided."
	     "</Message></Error><RequestId>sig-1</RequestId></ErrorResponse>"},
	};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, NULL, "iam", "ListUsers", NULL, &resp, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "iam:ListUsers failed: SignatureDoesNotMatch: The request signature "
			       "we calculated does not match the signature you provided. (request "
			       "id sig-1)");
	CU_ASSERT_EQUAL(irx_aws_client_clock_skew(f.c), 0);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 1);
	fixture_stop(&f);
}

/* ---- AssumeRole ---------------------------------------------------------------------------- */

static void test_assume_role_and_cache(void)
{
	static const struct irx_ts_step script[] = {
	    {IRX_TS_ANSWER, 200, NULL, sts_ok}, {IRX_TS_ANSWER, 200, NULL, ec2_ok},
	    {IRX_TS_ANSWER, 200, NULL, ec2_ok}, {IRX_TS_ANSWER, 200, NULL, sts_ok},
	    {IRX_TS_ANSWER, 200, NULL, ec2_ok},
	};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};
	struct irx_aws_context ctx = {.role_arn = "arn:aws:iam::222222222222:role/ir",
				      .external_id = "ext-42",
				      .session_name = "irx-3f2a9c1e/exec 1",
				      .duration_seconds = 900};
	char *head = NULL, *body = NULL;
	char buf[512] = "";

	CU_ASSERT_FATAL(fixture_start(&f, script, 5, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, &ctx, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	json_object_put(resp);
	CU_ASSERT_FATAL(irx_ts_request(&f.srv, 0, &head, &body) == 0);
	CU_ASSERT_STRING_EQUAL(body, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam"
				     "%3A%3A222222222222%3Arole%2Fir&RoleSessionName=irx-3f2a9c1e-"
				     "exec-1&ExternalId=ext-42&DurationSeconds=900");
	IRX_ASSERT_CONTAINS(irx_ts_header(head, "Authorization", buf, sizeof(buf)),
			    "Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request");
	free(head);
	free(body);
	/* the EC2 call runs as the role: temporary key, session token signed */
	CU_ASSERT_FATAL(irx_ts_request(&f.srv, 1, &head, &body) == 0);
	IRX_ASSERT_CONTAINS(irx_ts_header(head, "Authorization", buf, sizeof(buf)),
			    "Credential=ASIATEMPKEY/20150830/us-east-1/ec2/aws4_request, "
			    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token");
	CU_ASSERT_STRING_EQUAL(irx_ts_header(head, "X-Amz-Security-Token", buf, sizeof(buf)),
			       "tok123");
	free(head);
	free(body);
	/* cached: no second AssumeRole */
	CU_ASSERT_EQUAL(irx_aws_call(f.c, &ctx, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	json_object_put(resp);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 3);
	/* 5 minutes before expiry (13:36) it is assumed again */
	f.clock.now = T0 + 3600 - 299;
	CU_ASSERT_EQUAL(irx_aws_call(f.c, &ctx, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
	json_object_put(resp);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 5);
	CU_ASSERT_FATAL(irx_ts_request(&f.srv, 3, &head, &body) == 0);
	IRX_ASSERT_CONTAINS(body, "Action=AssumeRole&");
	free(head);
	free(body);
	fixture_stop(&f);
}

static void test_assume_role_refused(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 403, NULL, sts_denied}};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};
	struct irx_aws_context ctx = {.role_arn = "arn:aws:iam::222222222222:role/ir",
				      .external_id = "wrong"};

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call(f.c, &ctx, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_CREDENTIALS);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "ec2:DescribeInstances: cannot assume role 'arn:aws:iam::"
			       "222222222222:role/ir': sts:AssumeRole failed: AccessDenied: not "
			       "authorized to perform sts:AssumeRole (request id sts-err)");
	CU_ASSERT_STRING_EQUAL(err.aws_code, "AccessDenied");
	CU_ASSERT_EQUAL(err.http_status, 403);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 1);
	fixture_stop(&f);
}

static void test_no_credentials_no_region(void)
{
	struct irx_aws_client_options o = {0};
	struct irx_aws_client *c = NULL;
	struct irx_error err = {0};
	struct json_object *resp = NULL;
	static const char *const env[] = {"HOME=/nonexistent-irx-test",
					  "AWS_EC2_METADATA_DISABLED=true", NULL};

	clear_endpoint_env();
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	o.env = env;
	o.region = "us-east-1";
	c = irx_aws_client_new(&o, &err);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_CREDENTIALS);
	IRX_ASSERT_CONTAINS(err.message, "ec2:DescribeInstances: no AWS credentials");
	irx_aws_client_free(c);

	irx_error_clear(&err);
	o.region = NULL;
	o.access_key_id = "AKIDEXAMPLE";
	o.secret_access_key = "secret";
	c = irx_aws_client_new(&o, &err);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_STRING_EQUAL(irx_aws_client_region(c), "");
	CU_ASSERT_EQUAL(irx_aws_call(c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	IRX_ASSERT_CONTAINS(err.message, "ec2:DescribeInstances: no AWS region");
	irx_aws_client_free(c);
	clear_endpoint_env();
}

/* ---- connections and concurrency ------------------------------------------------------------ */

static void test_connection_reuse(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 200, NULL, ec2_ok}};
	struct fixture f;
	struct json_object *resp = NULL;
	struct irx_error err = {0};

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(
		    irx_aws_call(f.c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err), 0);
		json_object_put(resp);
	}
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 5);
	CU_ASSERT_EQUAL(irx_ts_connections(&f.srv), 1);
	fixture_stop(&f);
}

static void test_call_many(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 200, NULL, ec2_ok}};
	struct fixture f;
	struct irx_aws_batch_call calls[3] = {
	    {"ec2", "DescribeInstances", NULL, NULL, {0}},
	    {"ec2", "NoSuchOperation", NULL, NULL, {0}},
	    {"ec2", "DescribeInstances", NULL, NULL, {0}},
	};

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	CU_ASSERT_EQUAL(irx_aws_call_many(f.c, NULL, calls, 3), 1);
	CU_ASSERT_PTR_NOT_NULL(calls[0].response);
	CU_ASSERT_PTR_NULL(calls[1].response);
	CU_ASSERT_STRING_EQUAL(calls[1].error.message,
			       "unknown operation 'NoSuchOperation' for AWS service 'ec2'");
	CU_ASSERT_PTR_NOT_NULL(calls[2].response);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 2);
	/* sent at once: two connections */
	CU_ASSERT_EQUAL(irx_ts_connections(&f.srv), 2);
	json_object_put(calls[0].response);
	json_object_put(calls[2].response);
	fixture_stop(&f);
}

/* An injected transport: counts batches and answers from memory. */
struct fake_transport {
	int batches;
	size_t largest;
	int status;
	const char *body;
};

static int fake_perform(void *ud, const struct irx_aws_transport_request *reqs,
			struct irx_aws_transport_response *resps, size_t n)
{
	struct fake_transport *t = ud;

	t->batches++;
	if (n > t->largest)
		t->largest = n;
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL(strstr(reqs[i].url, "https://ec2.eu-west-1.amazonaws.com/"));
		resps[i].status = t->status;
		resps[i].body = irx_xstrdup(t->body);
		resps[i].body_len = strlen(t->body);
	}
	return 0;
}

static void test_injected_transport(void)
{
	struct fake_transport t = {0, 0, 200, ec2_ok};
	struct irx_aws_client_options o = {0};
	struct irx_aws_client *c = NULL;
	struct irx_error err = {0};
	struct irx_aws_batch_call calls[4] = {0};

	clear_endpoint_env();
	o.region = "eu-west-1";
	o.access_key_id = "AKIDEXAMPLE";
	o.secret_access_key = "secret";
	o.env = test_env;
	o.transport = fake_perform;
	o.transport_ud = &t;
	c = irx_aws_client_new(&o, &err);
	CU_ASSERT_FATAL(c != NULL);
	for (int i = 0; i < 4; i++) {
		calls[i].service = "ec2";
		calls[i].operation = "DescribeInstances";
	}
	CU_ASSERT_EQUAL(irx_aws_call_many(c, NULL, calls, 4), 0);
	CU_ASSERT_EQUAL(t.batches, 1);
	CU_ASSERT_EQUAL(t.largest, 4);
	for (int i = 0; i < 4; i++)
		json_object_put(calls[i].response);
	irx_aws_client_free(c);
}

/* ---- the executor's host ------------------------------------------------------------------- */

static void test_dry_run_host(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 200, NULL, ec2_ok}};
	struct fixture f;
	struct irx_exec_options eo = {0};
	struct irx_aws_context ctx = {0};
	struct irx_call call;
	struct json_object *resp = NULL, *p = ids_params("i-0abc");
	const char *plan = NULL;

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	irx_aws_attach_exec(&eo, f.c, &ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(eo.aws_call);
	irx_call_init(&call);
	call.dry_run = true;
	/* mutating: recorded, not sent */
	CU_ASSERT_EQUAL(eo.aws_call(eo.aws_ud, &call, "ec2", "stop_instances", p, &resp), 0);
	CU_ASSERT_EQUAL(json_object_object_length(resp), 0);
	json_object_put(resp);
	plan = json_object_to_json_string_ext(call.planned_calls, JSON_C_TO_STRING_PLAIN);
	CU_ASSERT_STRING_EQUAL(plan, "[{\"service\":\"ec2\",\"operation\":\"StopInstances\","
				     "\"parameters\":{\"InstanceIds\":[\"i-0abc\"]}}]");
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 0);
	/* read-only: sent, so the plan sees the real state */
	CU_ASSERT_EQUAL(eo.aws_call(eo.aws_ud, &call, "ec2", "DescribeInstances", p, &resp), 0);
	CU_ASSERT_STRING_EQUAL(sel_str(resp, "Reservations", 0, "Instances", 0, "InstanceId"),
			       "i-0abc");
	json_object_put(resp);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 1);
	CU_ASSERT_EQUAL(json_object_array_length(call.planned_calls), 1);
	/* a mutating call with bad parameters fails in dry-run too */
	{
		struct json_object *bad = json_object_new_object();

		json_object_object_add(bad, "InstanceIdz", json_object_new_string("x"));
		CU_ASSERT_EQUAL(eo.aws_call(eo.aws_ud, &call, "ec2", "StopInstances", bad, &resp),
				-1);
		IRX_ASSERT_CONTAINS(call.error.message, "InstanceIdz");
		json_object_put(bad);
	}
	CU_ASSERT_EQUAL(json_object_array_length(call.planned_calls), 1);
	irx_call_release(&call);

	/* not dry-run: the mutating call is sent */
	irx_call_init(&call);
	CU_ASSERT_EQUAL(eo.aws_call(eo.aws_ud, &call, "ec2", "StopInstances", p, &resp), 0);
	json_object_put(resp);
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 2);
	CU_ASSERT_EQUAL(json_object_array_length(call.planned_calls), 0);
	irx_call_release(&call);
	json_object_put(p);
	fixture_stop(&f);
}

/* host->aws_call_many: reads go out together, dry-run mutations are planned, errors kept apart */
static void test_host_batch(void)
{
	static const struct irx_ts_step script[] = {{IRX_TS_ANSWER, 200, NULL, ec2_ok}};
	struct fixture f;
	struct irx_exec_options eo = {0};
	struct irx_aws_context ctx = {0};
	struct irx_call call;
	struct json_object *p = ids_params("i-0abc");
	struct irx_aws_request reqs[4] = {
		{.service = "ec2", .operation = "DescribeInstances", .params = p},
		{.service = "ec2", .operation = "StopInstances", .params = p},
		{.service = "ec2", .operation = "NoSuchOperation", .params = p},
		{.service = "ec2", .operation = "DescribeInstances", .params = p},
	};

	CU_ASSERT_FATAL(fixture_start(&f, script, 1, 3, 0) == 0);
	irx_aws_attach_exec(&eo, f.c, &ctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(eo.aws_call_many);
	irx_call_init(&call);
	call.dry_run = true;
	CU_ASSERT_EQUAL(eo.aws_call_many(eo.aws_ud, &call, reqs, 4), 1);
	CU_ASSERT_FALSE(reqs[0].failed);
	CU_ASSERT_STRING_EQUAL(sel_str(reqs[0].response, "Reservations", 0, "Instances", 0,
				       "InstanceId"),
			       "i-0abc");
	/* planned, not sent: an empty answer */
	CU_ASSERT_FALSE(reqs[1].failed);
	CU_ASSERT_EQUAL(json_object_object_length(reqs[1].response), 0);
	CU_ASSERT_TRUE(reqs[2].failed);
	CU_ASSERT_STRING_EQUAL(reqs[2].error,
			       "unknown operation 'NoSuchOperation' for AWS service 'ec2'");
	CU_ASSERT_STRING_EQUAL(call.error.message, reqs[2].error);
	CU_ASSERT_FALSE(reqs[3].failed);
	/* the two reads went out at once, on two connections */
	CU_ASSERT_EQUAL(irx_ts_requests(&f.srv), 2);
	CU_ASSERT_EQUAL(irx_ts_connections(&f.srv), 2);
	CU_ASSERT_EQUAL(json_object_array_length(call.planned_calls), 1);
	for (int i = 0; i < 4; i++)
		json_object_put(reqs[i].response);
	irx_call_release(&call);
	json_object_put(p);
	fixture_stop(&f);
}

static CU_TestInfo tests[] = {
    {"names", test_names},
    {"bad params are not sent", test_bad_params_not_sent},
    {"signed call, endpoint override", test_signed_call},
    {"json protocol, global iam", test_json_protocol_and_global_iam},
    {"throttling then success", test_throttling_then_success},
    {"throttling exhausted", test_throttling_exhausted},
    {"not retryable", test_not_retryable},
    {"html from a proxy", test_html_from_a_proxy},
    {"dropped connection", test_dropped_connection},
    {"server never answers", test_server_never_answers},
    {"deadline bounds the call", test_deadline_bounds_the_call},
    {"clock skew", test_clock_skew},
    {"signature error without skew", test_signature_error_without_skew},
    {"assume role and cache", test_assume_role_and_cache},
    {"assume role refused", test_assume_role_refused},
    {"no credentials, no region", test_no_credentials_no_region},
    {"connection reuse", test_connection_reuse},
    {"call many", test_call_many},
    {"injected transport", test_injected_transport},
    {"dry-run host", test_dry_run_host},
    {"host batch of calls", test_host_batch},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("aws_client", tests, NULL, NULL)
