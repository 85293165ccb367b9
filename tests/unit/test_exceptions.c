/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exceptions: the tag value's grammar, expiry, coverage, the registry, reading
 * tags per resource type, the gate's decisions, and the executor skipping
 * exactly the exempted steps (a static test plugin with a resource parameter
 * and a scripted AWS call that answers tag reads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actions.h"
#include "diag.h"
#include "error.h"
#include "exceptions.h"
#include "executor.h"
#include "host.h"
#include "params.h"
#include "plugins.h"
#include "runbook.h"
#include "test.h"
#include "util.h"

#define GOOD                                                                                       \
	"actions=isolate:ec2Instance+snapshot expires=2026-12-31 approver=alice@example.com "      \
	"ticket=SEC-123"

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

/* ---- parsing ----------------------------------------------------------------- */

static void test_parse_good(void)
{
	struct irx_exception e;
	char why[256] = "x";
	char acts[256] = "";

	CU_ASSERT_EQUAL_FATAL(irx_exception_parse(GOOD, &e, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_EQUAL(e.action_count, 2);
	CU_ASSERT_STRING_EQUAL(e.actions[0], "isolate:ec2Instance");
	CU_ASSERT_STRING_EQUAL(e.actions[1], "snapshot");
	CU_ASSERT_STRING_EQUAL(e.expires, "2026-12-31");
	CU_ASSERT_EQUAL(e.expires_at, utc(2027, 1, 1, 0, 0, 0));
	CU_ASSERT_STRING_EQUAL(e.approver, "alice@example.com");
	CU_ASSERT_STRING_EQUAL(e.ticket, "SEC-123");
	irx_exception_actions_text(&e, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "isolate:ec2Instance+snapshot");

	/* any order, extra spaces, ',' separators, bare words after actions=, a timestamp */
	CU_ASSERT_EQUAL_FATAL(
	    irx_exception_parse("  ticket=INC/42  approver=Bob_Smith  actions=deny,notify:sns "
				"concurrency-zero:lambda expires=2026-03-01T12:30:00Z ",
				&e, why, sizeof(why)),
	    0);
	CU_ASSERT_EQUAL(e.action_count, 3);
	CU_ASSERT_STRING_EQUAL(e.actions[0], "deny");
	CU_ASSERT_STRING_EQUAL(e.actions[1], "notify:sns");
	CU_ASSERT_STRING_EQUAL(e.actions[2], "concurrency-zero:lambda");
	CU_ASSERT_EQUAL(e.expires_at, utc(2026, 3, 1, 12, 30, 0));
	CU_ASSERT_STRING_EQUAL(e.ticket, "INC/42");
	CU_ASSERT_STRING_EQUAL(e.approver, "Bob_Smith");

	CU_ASSERT_EQUAL(irx_exception_parse("actions=* expires=2028-02-29 approver=a ticket=t", &e,
					    why, sizeof(why)),
			0);
	CU_ASSERT_STRING_EQUAL(e.actions[0], "*");
	CU_ASSERT_EQUAL(e.expires_at, utc(2028, 3, 1, 0, 0, 0));
}

static void expect_malformed(const char *value, const char *want)
{
	struct irx_exception e;
	char why[256] = "";
	int rc = irx_exception_parse(value, &e, why, sizeof(why));

	CU_ASSERT_EQUAL(rc, -1);
	if (strcmp(why, want) != 0)
		fprintf(stderr, "\n  value: %s\n  why: '%s'\n  want: '%s'\n", value, why, want);
	CU_ASSERT_STRING_EQUAL(why, want);
	CU_ASSERT_EQUAL(e.action_count, 0);
}

static void test_parse_malformed(void)
{
	char big[400] = "";

	expect_malformed("expires=2026-12-31 approver=a ticket=t", "missing field 'actions'");
	expect_malformed("actions=x approver=a ticket=t", "missing field 'expires'");
	expect_malformed("actions=x expires=2026-12-31 ticket=t", "missing field 'approver'");
	expect_malformed("actions=x expires=2026-12-31 approver=a", "missing field 'ticket'");
	expect_malformed("", "missing field 'actions'");
	expect_malformed("SecurityException",
			 "'SecurityException' is not a field (write key=value)");
	expect_malformed("actions=x expiry=2026-12-31 approver=a ticket=t",
			 "unknown field 'expiry'");
	expect_malformed("actions=x expires=2026-12-31 approver=a ticket=t ticket=u",
			 "field 'ticket' is given twice");
	expect_malformed("actions= expires=2026-12-31 approver=a ticket=t",
			 "field 'actions' is empty");
	expect_malformed("actions=x expires=2026-12-31 approver= ticket=t",
			 "field 'approver' is empty");
	expect_malformed("actions=isolate: expires=2026-12-31 approver=a ticket=t",
			 "'isolate:' is not an action (write plugin:action, plugin or *)");
	expect_malformed("actions=:x expires=2026-12-31 approver=a ticket=t",
			 "':x' is not an action (write plugin:action, plugin or *)");
	expect_malformed("actions=a:b:c expires=2026-12-31 approver=a ticket=t",
			 "'a:b:c' is not an action (write plugin:action, plugin or *)");
	expect_malformed("actions=x expires=2026-02-30 approver=a ticket=t",
			 "'2026-02-30' is not a date (write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
	expect_malformed("actions=x expires=2026-13-01 approver=a ticket=t",
			 "'2026-13-01' is not a date (write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
	expect_malformed("actions=x expires=31/12/2026 approver=a ticket=t",
			 "'31/12/2026' is not a date (write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
	expect_malformed("actions=x expires=2026-12-31T25:00:00Z approver=a ticket=t",
			 "'2026-12-31T25:00:00Z' is not a date (write YYYY-MM-DD or "
			 "YYYY-MM-DDTHH:MM:SSZ)");
	expect_malformed("actions=x expires=never approver=a ticket=t",
			 "'never' is not a date (write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
	expect_malformed("actions=x expires=2026-12-31 approver=a ticket=t; rm",
			 "character ';' is not allowed");
	expect_malformed("actions=x expires=2026-12-31 approver=a\tticket=t",
			 "byte 0x09 is not allowed");
	expect_malformed("actions=x expires=2026-12-31 ticket=t approver=a snapshot",
			 "'snapshot' is not a field (write key=value)");
	expect_malformed("actions=a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q expires=2026-12-31 "
			 "approver=a ticket=t",
			 "more than 16 actions");
	memset(big, 'a', 300);
	memcpy(big, "ticket=", 7);
	expect_malformed(big, "the value is longer than 256 characters");
}

static void test_covers_and_same(void)
{
	struct irx_exception e, f;
	char why[256] = "";

	CU_ASSERT_EQUAL_FATAL(irx_exception_parse(GOOD, &e, why, sizeof(why)), 0);
	CU_ASSERT_TRUE(irx_exception_covers(&e, "isolate:ec2Instance"));
	CU_ASSERT_TRUE(irx_exception_covers(&e, "snapshot:ec2Instance"));
	CU_ASSERT_TRUE(irx_exception_covers(&e, "snapshot:volume"));
	CU_ASSERT_FALSE(irx_exception_covers(&e, "isolate:ec2Instances"));
	CU_ASSERT_FALSE(irx_exception_covers(&e, "isolate:other"));
	CU_ASSERT_FALSE(irx_exception_covers(&e, "snapshots:volume"));
	CU_ASSERT_FALSE(irx_exception_covers(&e, "deny:iamUser"));
	CU_ASSERT_EQUAL_FATAL(
	    irx_exception_parse("actions=* expires=2026-12-31 approver=a ticket=t", &f, why,
				sizeof(why)),
	    0);
	CU_ASSERT_TRUE(irx_exception_covers(&f, "deny:iamUser"));
	CU_ASSERT_FALSE(irx_exception_same(&e, &f));
	CU_ASSERT_EQUAL_FATAL(
	    irx_exception_parse("ticket=SEC-123 actions=snapshot,isolate:ec2Instance "
				"approver=alice@example.com expires=2026-12-31T24:00:00Z",
				&f, why, sizeof(why)),
	    -1); /* 24:00 is not a time */
	CU_ASSERT_EQUAL_FATAL(
	    irx_exception_parse("ticket=SEC-123 actions=snapshot,isolate:ec2Instance "
				"approver=alice@example.com expires=2027-01-01T00:00:00Z",
				&f, why, sizeof(why)),
	    0);
	/* the same set, order aside, ending at the same instant */
	CU_ASSERT_TRUE(irx_exception_same(&e, &f));
	snprintf(f.ticket, sizeof(f.ticket), "SEC-124");
	CU_ASSERT_FALSE(irx_exception_same(&e, &f));
}

/* ---- the registry ------------------------------------------------------------ */

static const char registry_yaml[] =
    "exceptions:\n"
    "  - resource: arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc\n"
    "    actions: [isolate:ec2Instance, snapshot]\n"
    "    expires: 2026-12-31\n"
    "    approver: alice@example.com\n"
    "    ticket: SEC-123\n"
    "  - resource: arn:aws:iam::111122223333:user/bob\n"
    "    actions: deny\n"
    "    expires: '2026-06-30'\n"
    "    approver: carol@example.com\n"
    "    ticket: SEC-7\n";

static void test_registry(void)
{
	struct irx_error err = {0};
	struct irx_exception_registry *r =
	    irx_exception_registry_parse("reg.yaml", registry_yaml, strlen(registry_yaml), &err);
	struct irx_exception e;
	char why[512] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(irx_exception_registry_count(r), 2);
	CU_ASSERT_EQUAL_FATAL(irx_exception_parse(GOOD, &e, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(
	    irx_exception_registry_lists(r, "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
					 &e, why, sizeof(why)),
	    1);
	/* a bare id names the same instance */
	CU_ASSERT_EQUAL(irx_exception_registry_lists(r, "i-0abc", &e, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(irx_exception_registry_lists(r, "i-0abd", &e, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "the registry lists no exception for 'i-0abd'");
	/* the attacker's tag: a longer expiry than registered */
	snprintf(e.expires, sizeof(e.expires), "2099-12-31");
	e.expires_at = utc(2100, 1, 1, 0, 0, 0);
	CU_ASSERT_EQUAL(
	    irx_exception_registry_lists(r, "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
					 &e, why, sizeof(why)),
	    0);
	CU_ASSERT_STRING_EQUAL(why, "the registry lists a different exception for "
				    "'arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc' (ticket "
				    "SEC-123, expires 2026-12-31)");
	irx_exception_registry_free(r);

	/* JSON works too, and an empty list is a registry that honours nothing */
	r = irx_exception_registry_parse("reg.json", "{\"exceptions\": []}", 18, &err);
	CU_ASSERT_PTR_NOT_NULL(r);
	CU_ASSERT_EQUAL(irx_exception_registry_count(r), 0);
	irx_exception_registry_free(r);
}

static void expect_registry_error(const char *text, const char *want)
{
	struct irx_error err = {0};
	struct irx_exception_registry *r =
	    irx_exception_registry_parse("reg.yaml", text, strlen(text), &err);

	CU_ASSERT_PTR_NULL(r);
	irx_exception_registry_free(r);
	if (strcmp(err.message, want) != 0)
		fprintf(stderr, "\n  got: '%s'\n  want: '%s'\n", err.message, want);
	CU_ASSERT_STRING_EQUAL(err.message, want);
}

static void test_registry_errors(void)
{
	expect_registry_error("- a\n",
			      "reg.yaml: an exception registry is a map with an 'exceptions' list");
	expect_registry_error("exceptions: {}\n", "reg.yaml: 'exceptions' must be a list");
	expect_registry_error("exception: []\n",
			      "reg.yaml:1:1: unknown key 'exception' in exception registry");
	expect_registry_error("exceptions:\n  - resource: r\n    actions: x\n    expires: "
			      "2026-12-31\n    approver: a\n",
			      "reg.yaml:2:5: exception entry has no 'ticket'");
	expect_registry_error("exceptions:\n  - resource: r\n    actions: x\n    expires: "
			      "2026-12-31\n    approver: a\n    ticket: t\n    note: n\n",
			      "reg.yaml:7:5: unknown key 'note' in exception entry");
	expect_registry_error("exceptions:\n  - actions: x\n    expires: 2026-12-31\n    "
			      "approver: a\n    ticket: t\n",
			      "reg.yaml:2:5: exception entry has no 'resource'");
	expect_registry_error("exceptions:\n  - resource: r\n    actions: x\n    expires: "
			      "someday\n    approver: a\n    ticket: t\n",
			      "reg.yaml:2:5: malformed exception: 'someday' is not a date (write "
			      "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
	expect_registry_error("exceptions:\n  - resource: r\n    actions: [x, {a: b}]\n    "
			      "expires: 2026-12-31\n    approver: a\n    ticket: t\n",
			      "reg.yaml:3:18: 'actions' must list strings");
	expect_registry_error("exceptions:\n  - just a string\n",
			      "reg.yaml:2:5: an exception entry must be a map, not a string");
	expect_registry_error("exceptions: [\n",
			      "reg.yaml:2:1: invalid YAML: did not find expected "
			      "node content while parsing a flow node");
}

/* ---- a scripted AWS ------------------------------------------------------------ */

struct fake {
	struct json_object *replies; /* {"svc:Op": reply JSON} */
	struct json_object *calls;   /* ["svc:Op {params}"] */
	const char *deny_op;	     /* "svc:Op" that fails AccessDenied */
	int n_calls;
};

static struct fake *fake_new(void)
{
	struct fake *f = irx_xcalloc(1, sizeof(*f));

	f->replies = json_object_new_object();
	f->calls = json_object_new_array();
	return f;
}

static void fake_free(struct fake *f)
{
	json_object_put(f->replies);
	json_object_put(f->calls);
	free(f);
}

static void fake_reply(struct fake *f, const char *op, const char *json)
{
	struct json_object *v = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	json_object_object_add(f->replies, op, v);
}

static int fake_call(void *ud, struct irx_call *call, const char *service, const char *operation,
		     struct json_object *params, struct json_object **response)
{
	struct fake *f = ud;
	char key[128] = "";
	struct json_object *r = NULL;
	char *line = NULL;

	snprintf(key, sizeof(key), "%s:%s", service, operation);
	line = irx_xasprintf(
	    "%s %s", key,
	    params ? json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE)
		   : "null");
	json_object_array_add(f->calls, json_object_new_string(line));
	free(line);
	f->n_calls++;
	if (f->deny_op && strcmp(f->deny_op, key) == 0) {
		irx_error_set(&call->error, IRX_ERR_AWS,
			      "AccessDenied: not authorized to perform: %s", key);
		call->error.http_status = 403;
		snprintf(call->error.aws_code, sizeof(call->error.aws_code), "AccessDenied");
		return -1;
	}
	if (!json_object_object_get_ex(f->replies, key, &r)) {
		*response = json_object_new_object();
		return 0;
	}
	*response = json_object_get(r);
	return 0;
}

static const char *call_at(struct fake *f, size_t i)
{
	struct json_object *v = json_object_array_get_idx(f->calls, i);

	return v ? json_object_get_string(v) : "";
}

static void setup_call(struct irx_call *c, struct fake *f)
{
	irx_call_init(c);
	c->aws_call = fake_call;
	c->aws_ud = f;
}

static int read_tag(struct fake *f, const char *resource, char **value, struct irx_error *err)
{
	struct irx_call c;
	int rc = 0;

	setup_call(&c, f);
	rc = irx_exception_read_tag(&c, resource, "irx:exception", value, err);
	CU_ASSERT_EQUAL(c.error.code, IRX_OK); /* the call's own error is left alone */
	irx_call_release(&c);
	return rc;
}

static void test_read_tags(void)
{
	struct fake *f = fake_new();
	struct irx_error err = {0};
	char *v = NULL;

	fake_reply(f, "ec2:DescribeTags",
		   "{\"Tags\":[{\"Key\":\"irx:exception\",\"Value\":\"ec2 value\",\"ResourceId\":"
		   "\"i-0abc\"}]}");
	CU_ASSERT_EQUAL(read_tag(f, "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc", &v, &err),
			1);
	CU_ASSERT_STRING_EQUAL(v, "ec2 value");
	free(v);
	CU_ASSERT_STRING_EQUAL(
	    call_at(f, 0), "ec2:DescribeTags {\"Filters\":[{\"Name\":\"resource-id\",\"Values\":"
			   "[\"i-0abc\"]},{\"Name\":\"key\",\"Values\":[\"irx:exception\"]}]}");
	CU_ASSERT_EQUAL(read_tag(f, "vol-0123abcd", &v, &err), 1);
	free(v);
	IRX_ASSERT_CONTAINS(call_at(f, 1), "\"Values\":[\"vol-0123abcd\"]");

	/* a role with a path: the name is the last segment */
	fake_reply(f, "iam:ListRoleTags",
		   "{\"Tags\":[{\"Key\":\"other\",\"Value\":\"x\"},{\"Key\":\"irx:exception\","
		   "\"Value\":\"role value\"}],\"IsTruncated\":false}");
	CU_ASSERT_EQUAL(read_tag(f, "arn:aws:iam::111122223333:role/service-role/role1", &v, &err),
			1);
	CU_ASSERT_STRING_EQUAL(v, "role value");
	free(v);
	CU_ASSERT_STRING_EQUAL(call_at(f, 2), "iam:ListRoleTags {\"RoleName\":\"role1\"}");

	/* a user without the tag */
	fake_reply(f, "iam:ListUserTags", "{\"Tags\":[],\"IsTruncated\":false}");
	CU_ASSERT_EQUAL(read_tag(f, "arn:aws:iam::111122223333:user/ops/bob", &v, &err), 0);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_STRING_EQUAL(call_at(f, 3), "iam:ListUserTags {\"UserName\":\"bob\"}");

	/* an access key: its owner's tags */
	fake_reply(f, "iam:GetAccessKeyLastUsed", "{\"UserName\":\"bob\"}");
	fake_reply(f, "iam:ListUserTags",
		   "{\"Tags\":[{\"Key\":\"irx:exception\",\"Value\":\"bob value\"}]}");
	CU_ASSERT_EQUAL(read_tag(f, "AKIAIOSFODNN7EXAMPLE", &v, &err), 1);
	CU_ASSERT_STRING_EQUAL(v, "bob value");
	free(v);
	CU_ASSERT_STRING_EQUAL(
	    call_at(f, 4), "iam:GetAccessKeyLastUsed {\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"}");
	CU_ASSERT_STRING_EQUAL(call_at(f, 5), "iam:ListUserTags {\"UserName\":\"bob\"}");

	/* a qualified Lambda ARN: the function's tags */
	fake_reply(f, "lambda:ListTags", "{\"Tags\":{\"irx:exception\":\"fn value\"}}");
	CU_ASSERT_EQUAL(
	    read_tag(f, "arn:aws:lambda:eu-west-1:111122223333:function:fn1:prod", &v, &err), 1);
	CU_ASSERT_STRING_EQUAL(v, "fn value");
	free(v);
	CU_ASSERT_STRING_EQUAL(
	    call_at(f, 6), "lambda:ListTags "
			   "{\"Resource\":\"arn:aws:lambda:eu-west-1:111122223333:function:fn1\"}");

	/* anything else: the tagging API */
	fake_reply(f, "resourcegroupstaggingapi:GetResources",
		   "{\"ResourceTagMappingList\":[{\"ResourceARN\":\"arn:aws:s3:::bucket\","
		   "\"Tags\":[{\"Key\":\"irx:exception\",\"Value\":\"s3 value\"}]}]}");
	CU_ASSERT_EQUAL(read_tag(f, "arn:aws:s3:::bucket", &v, &err), 1);
	CU_ASSERT_STRING_EQUAL(v, "s3 value");
	free(v);
	CU_ASSERT_STRING_EQUAL(call_at(f, 7), "resourcegroupstaggingapi:GetResources "
					      "{\"ResourceARNList\":[\"arn:aws:s3:::bucket\"]}");

	/* errors are reported, naming the call */
	f->deny_op = "iam:ListRoleTags";
	CU_ASSERT_EQUAL(read_tag(f, "arn:aws:iam::111122223333:role/r", &v, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "iam:ListRoleTags: AccessDenied: not authorized to perform: "
			       "iam:ListRoleTags");
	CU_ASSERT_STRING_EQUAL(err.aws_code, "AccessDenied");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(read_tag(f, "not a resource", &v, &err), -1);
	CU_ASSERT_STRING_EQUAL(
	    err.message, "'not a resource' is neither an ARN, an EC2 id nor an access key id");
	fake_free(f);
}

static int paging_calls;

static int paging_call(void *ud, struct irx_call *call, const char *service, const char *operation,
		       struct json_object *params, struct json_object **response)
{
	struct json_object *m = json_object_object_get(params, "Marker");

	(void)ud;
	(void)call;
	(void)service;
	(void)operation;
	paging_calls++;
	if (!m)
		*response = json_tokener_parse("{\"Tags\":[{\"Key\":\"a\",\"Value\":\"1\"}],"
					       "\"IsTruncated\":true,\"Marker\":\"p2\"}");
	else
		*response = json_tokener_parse(
		    "{\"Tags\":[{\"Key\":\"irx:exception\",\"Value\":\"page two\"}],"
		    "\"IsTruncated\":false}");
	return 0;
}

static void test_read_tags_paging(void)
{
	struct irx_call c;
	struct irx_error err = {0};
	char *v = NULL;

	irx_call_init(&c);
	c.aws_call = paging_call;
	paging_calls = 0;
	CU_ASSERT_EQUAL(irx_exception_read_tag(&c, "arn:aws:iam::111122223333:user/u",
					       "irx:exception", &v, &err),
			1);
	CU_ASSERT_STRING_EQUAL(v, "page two");
	CU_ASSERT_EQUAL(paging_calls, 2);
	free(v);
	/* no client: cannot check */
	c.aws_call = NULL;
	CU_ASSERT_EQUAL(irx_exception_read_tag(&c, "i-0abc", "irx:exception", &v, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "no AWS client is configured");
	irx_call_release(&c);
}

/* ---- the gate ------------------------------------------------------------------ */

#define INSTANCE "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"

static void gate_check(struct irx_exception_gate *g, struct fake *f, const char *action, time_t now,
		       struct irx_exception_check *c)
{
	struct irx_call call;

	setup_call(&call, f);
	irx_exception_gate_check(g, &call, INSTANCE, action, now, c);
	irx_call_release(&call);
}

static void tag_instance(struct fake *f, const char *value)
{
	char *json =
	    irx_xasprintf("{\"Tags\":[{\"Key\":\"irx:exception\",\"Value\":\"%s\"}]}", value);

	fake_reply(f, "ec2:DescribeTags", json);
	free(json);
}

static void test_gate_decisions(void)
{
	struct irx_exception_gate *g = irx_exception_gate_new(NULL, NULL);
	struct fake *f = fake_new();
	struct irx_exception_check c;
	time_t before = utc(2026, 12, 31, 23, 59, 59), after = utc(2027, 1, 1, 0, 0, 0);
	struct json_object *j = NULL;

	CU_ASSERT_STRING_EQUAL(irx_exception_gate_tag_key(g), "irx:exception");
	gate_check(g, f, "isolate:ec2Instance", before, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_NONE);
	CU_ASSERT_STRING_EQUAL(c.message, "");

	tag_instance(f, GOOD);
	gate_check(g, f, "isolate:ec2Instance", before, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_EXEMPT);
	CU_ASSERT_STRING_EQUAL(c.message,
			       "skipped: exception on '" INSTANCE
			       "' exempts isolate:ec2Instance+snapshot until 2026-12-31, approved "
			       "by alice@example.com, ticket SEC-123");
	j = irx_exception_check_json(&c);
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(j,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"status\":\"exempt\",\"resource\":\"" INSTANCE "\",\"tag_key\":\"irx:exception\","
	    "\"value\":\"" GOOD "\",\"message\":\"skipped: exception on '" INSTANCE
	    "' exempts isolate:ec2Instance+snapshot until 2026-12-31, approved by "
	    "alice@example.com, ticket "
	    "SEC-123\",\"exception\":{\"actions\":[\"isolate:ec2Instance\","
	    "\"snapshot\"],\"expires\":\"2026-12-31\",\"approver\":\"alice@example.com\","
	    "\"ticket\":\"SEC-123\"}}");
	json_object_put(j);

	gate_check(g, f, "snapshot:volume", before, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_EXEMPT);
	gate_check(g, f, "deny:iamRole", before, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_NOT_COVERED);
	CU_ASSERT_STRING_EQUAL(c.message,
			       "the exception on '" INSTANCE
			       "' (ticket SEC-123) exempts isolate:ec2Instance+snapshot, not "
			       "'deny:iamRole'");
	gate_check(g, f, "isolate:ec2Instance", after, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_EXPIRED);
	CU_ASSERT_STRING_EQUAL(c.message, "ignoring exception on '" INSTANCE
					  "' (ticket SEC-123): it expired on 2026-12-31");

	tag_instance(f, "true");
	gate_check(g, f, "isolate:ec2Instance", before, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_MALFORMED);
	CU_ASSERT_FALSE(c.parsed);
	CU_ASSERT_STRING_EQUAL(c.message,
			       "ignoring malformed exception tag 'irx:exception' on '" INSTANCE
			       "': 'true' is not a field (write key=value)");

	f->deny_op = "ec2:DescribeTags";
	gate_check(g, f, "isolate:ec2Instance", before, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_UNCHECKED);
	CU_ASSERT_STRING_EQUAL(c.message, "cannot check '" INSTANCE
					  "' for an exception, so 'isolate:ec2Instance' runs: "
					  "ec2:DescribeTags: AccessDenied: not authorized to "
					  "perform: ec2:DescribeTags");
	irx_exception_gate_free(g);

	/* another tag key */
	f->deny_op = NULL;
	tag_instance(f, GOOD);
	g = irx_exception_gate_new("SecurityException", NULL);
	gate_check(g, f, "isolate:ec2Instance", before, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_NONE); /* the instance has irx:exception only */
	IRX_ASSERT_CONTAINS(call_at(f, json_object_array_length(f->calls) - 1),
			    "\"Values\":[\"SecurityException\"]");
	irx_exception_gate_free(g);
	fake_free(f);
}

static void test_gate_registry(void)
{
	char *path = irx_xasprintf("%s/registry.yaml", irx_test_tmpdir());
	struct irx_exception_gate *g = NULL;
	struct fake *f = fake_new();
	struct irx_exception_check c;
	time_t now = utc(2026, 6, 1, 0, 0, 0);
	size_t before = 0;

	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, registry_yaml), 0);
	g = irx_exception_gate_new(NULL, path);
	tag_instance(f, GOOD);
	gate_check(g, f, "isolate:ec2Instance", now, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_EXEMPT);
	/* whoever can tag can change the tag, but not the registry */
	tag_instance(f, "actions=* expires=2099-01-01 approver=mallory ticket=SEC-123");
	gate_check(g, f, "isolate:ec2Instance", now, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_UNREGISTERED);
	CU_ASSERT_STRING_EQUAL(
	    c.message, "not honouring the exception on '" INSTANCE
		       "' (ticket SEC-123): the registry lists a different exception for '" INSTANCE
		       "' (ticket SEC-123, expires 2026-12-31)");
	irx_exception_gate_free(g);

	/* a registry that cannot be read honours nothing, and says so */
	g = irx_exception_gate_new(NULL, "/nonexistent/registry.yaml");
	tag_instance(f, GOOD);
	gate_check(g, f, "isolate:ec2Instance", now, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_UNREGISTERED);
	CU_ASSERT_STRING_EQUAL(
	    c.message, "not honouring the exception on '" INSTANCE
		       "' (ticket SEC-123): exception registry '/nonexistent/registry.yaml' "
		       "cannot be read: No such file or directory");
	irx_exception_gate_free(g);

	/* an SSM parameter, read once */
	{
		struct json_object *p = json_object_new_object();
		struct json_object *param = json_object_new_object();

		json_object_object_add(param, "Value", json_object_new_string(registry_yaml));
		json_object_object_add(p, "Parameter", param);
		json_object_object_add(f->replies, "ssm:GetParameter", p);
	}
	g = irx_exception_gate_new(NULL, "ssm:/security/irx-exceptions");
	before = json_object_array_length(f->calls);
	gate_check(g, f, "isolate:ec2Instance", now, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_EXEMPT);
	gate_check(g, f, "snapshot:ec2Instance", now, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_EXEMPT);
	CU_ASSERT_EQUAL(json_object_array_length(f->calls), before + 3);
	CU_ASSERT_STRING_EQUAL(call_at(f, before + 1),
			       "ssm:GetParameter {\"Name\":\"/security/irx-exceptions\","
			       "\"WithDecryption\":true}");
	irx_exception_gate_free(g);

	/* an SSM parameter that cannot be read */
	f->deny_op = "ssm:GetParameter";
	g = irx_exception_gate_new(NULL, "ssm:/security/irx-exceptions");
	gate_check(g, f, "isolate:ec2Instance", now, &c);
	CU_ASSERT_EQUAL(c.status, IRX_EXCEPTION_UNREGISTERED);
	CU_ASSERT_STRING_EQUAL(c.message,
			       "not honouring the exception on '" INSTANCE
			       "' (ticket SEC-123): exception registry "
			       "'ssm:/security/irx-exceptions' cannot be read: ssm:GetParameter: "
			       "AccessDenied: not authorized to perform: ssm:GetParameter");
	irx_exception_gate_free(g);
	fake_free(f);
	free(path);
}

/* ---- the executor ---------------------------------------------------------------- */

/* xk: a plugin whose mutating actions name their resource. */
static int xk_changes;

static int xk_change(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	if (!ctx->dry_run)
		xk_changes++;
	json_object_object_add(res->outputs, "Changed",
			       json_object_new_string(json_object_get_string(
				   json_object_object_get(inputs, "TargetArn"))));
	json_object_object_add(res->undo, "TargetArn",
			       json_object_get(json_object_object_get(inputs, "TargetArn")));
	res->message = "changed";
	return 0;
}

static int xk_rollback(const struct irx_context *ctx, struct json_object *undo,
		       struct irx_result *res)
{
	(void)ctx;
	(void)undo;
	(void)res;
	return 0;
}

static int xk_look(const struct irx_context *ctx, struct json_object *inputs,
		   struct irx_result *res)
{
	(void)ctx;
	json_object_object_add(res->outputs, "Seen",
			       json_object_get(json_object_object_get(inputs, "TargetArn")));
	return 0;
}

static int xk_many(const struct irx_context *ctx, struct json_object *inputs,
		   struct irx_result *res)
{
	if (!ctx->dry_run)
		xk_changes++;
	json_object_object_add(res->outputs, "Count",
			       json_object_new_int64((int64_t)json_object_array_length(
				   json_object_object_get(inputs, "Targets"))));
	return 0;
}

static const struct irx_param xk_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL, "what"},
    {0},
};

static const struct irx_param xk_list_params[] = {
    {"Targets", IRX_PARAM_STRING_LIST, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL, "what"},
    {0},
};

static const struct irx_action xk_actions[] = {
    {"change", "change it", IRX_ACTION_MUTATES, xk_params, xk_change, xk_rollback},
    {"other", "change it otherwise", IRX_ACTION_MUTATES, xk_params, xk_change, xk_rollback},
    {"look", "read it", 0, xk_params, xk_look, NULL},
    {"many", "change several", IRX_ACTION_MUTATES, xk_list_params, xk_many, NULL},
    {0},
};

static const struct irx_plugin *xk_entry(void)
{
	static const struct irx_plugin desc = {IRX_PLUGIN_ABI_MAJOR,
					       IRX_PLUGIN_ABI_MINOR,
					       sizeof(struct irx_plugin),
					       "xk",
					       "1.0.0",
					       "Apache-2.0",
					       xk_actions,
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
	if (!irx_plugins_add_static(plugins, xk_entry, &err)) {
		fprintf(stderr, "xk: %s\n", err.message);
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

struct xrun {
	int rc;
	struct irx_exec_result res;
	struct irx_error err;
	struct json_object *records;
	char logs[4096];
};

static void record_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	struct xrun *r = ud;
	size_t n = strlen(r->logs);

	if (level >= IRX_LOG_INFO)
		snprintf(r->logs + n, sizeof(r->logs) - n, "%d %s: %s\n", (int)level,
			 step ? step : "-", message);
}

struct xopts {
	bool dry_run;
	bool ignore;
	const char *registry;
	time_t now;
	bool validate;
};

static struct xrun *run(const char *yaml, struct fake *f, const struct xopts *xo)
{
	struct xrun *r = irx_xcalloc(1, sizeof(*r));
	struct irx_diags diags = {0};
	struct irx_runbook *rb = irx_runbook_load_buffer("t.yaml", yaml, strlen(yaml), &diags);
	struct irx_exec_options o = {0};
	struct json_object *params = NULL;
	struct irx_error err = {0};
	const char *target = "TargetArn=" INSTANCE;

	if (rb && xo->validate)
		irx_runbook_validate(rb, actions, &diags);
	if (!rb || diags.count) {
		irx_diags_print(&diags, stderr);
		CU_FAIL_FATAL("runbook does not load");
	}
	params = irx_params_bind(rb, &target, 1, &diags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(params);
	o.state_dir = irx_test_tmpdir();
	o.dry_run = xo->dry_run;
	o.region = "eu-west-1";
	o.log = record_log;
	o.log_ud = r;
	o.aws_call = fake_call;
	o.aws_ud = f;
	o.ignore_exceptions = xo->ignore;
	o.exception_registry = xo->registry;
	o.exception_now = xo->now ? xo->now : utc(2026, 6, 1, 0, 0, 0);
	r->rc = irx_execute(rb, params, actions, &o, &r->res, &r->err);
	if (r->res.execution_id[0])
		r->records = irx_journal_read(o.state_dir, r->res.execution_id, NULL, &err);
	json_object_put(params);
	irx_runbook_free(rb);
	irx_diags_release(&diags);
	return r;
}

static void xrun_free(struct xrun *r)
{
	irx_exec_result_release(&r->res);
	json_object_put(r->records);
	free(r);
}

static struct json_object *rec(struct xrun *r, const char *type, const char *step)
{
	for (size_t i = 0; i < json_object_array_length(r->records); i++) {
		struct json_object *x = json_object_array_get_idx(r->records, i);
		const char *t = json_object_get_string(json_object_object_get(x, "type"));
		const char *s = json_object_get_string(json_object_object_get(x, "step"));

		if (strcmp(t, type) == 0 && (!step || (s && strcmp(s, step) == 0)))
			return x;
	}
	return NULL;
}

static const char *sget(struct json_object *o, const char *key)
{
	struct json_object *v = json_object_object_get(o, key);

	return v ? json_object_get_string(v) : "(null)";
}

static const char *exc_status(struct json_object *step_rec, size_t i)
{
	struct json_object *a = json_object_object_get(step_rec, "exceptions");

	return sget(json_object_array_get_idx(a, i), "status");
}

static const char three_steps[] =
    "schemaVersion: '0.3'\n"
    "parameters:\n  TargetArn:\n    type: String\n"
    "mainSteps:\n"
    "- name: contain\n  action: xk:change\n  inputs:\n    TargetArn: '{{ TargetArn }}'\n"
    "- name: contain2\n  action: xk:other\n  inputs:\n    TargetArn: '{{ TargetArn }}'\n"
    "- name: look\n  action: xk:look\n  inputs:\n    TargetArn: '{{ TargetArn }}'\n";

static void test_executor_skips_named_actions(void)
{
	struct fake *f = fake_new();
	struct xopts xo = {.validate = true};
	struct xrun *r = NULL;
	struct json_object *end = NULL, *sum = NULL, *steps = NULL;
	const char *want_msg =
	    "skipped: exception on '" INSTANCE
	    "' exempts xk:change until 2026-12-31, approved by alice@example.com, "
	    "ticket SEC-123";

	tag_instance(f, "actions=xk:change expires=2026-12-31 approver=alice@example.com "
			"ticket=SEC-123");
	xk_changes = 0;
	r = run(three_steps, f, &xo);
	CU_ASSERT_EQUAL_FATAL(r->rc, 0);
	CU_ASSERT_STRING_EQUAL(r->res.status, "Success");
	CU_ASSERT_EQUAL(xk_changes, 1); /* contain2 only */
	/* the gate reads tags for the two mutating steps, not for the read */
	CU_ASSERT_EQUAL(json_object_array_length(f->calls), 2);
	end = rec(r, "step_end", "contain");
	CU_ASSERT_STRING_EQUAL(sget(end, "status"), "Skipped");
	CU_ASSERT_STRING_EQUAL(sget(end, "message"), want_msg);
	CU_ASSERT_STRING_EQUAL(sget(end, "outputs"), "{ }");
	CU_ASSERT_STRING_EQUAL(sget(end, "undo"), "(null)");
	CU_ASSERT_STRING_EQUAL(sget(end, "error"), "(null)");
	CU_ASSERT_STRING_EQUAL(exc_status(end, 0), "exempt");
	CU_ASSERT_STRING_EQUAL(exc_status(rec(r, "step_start", "contain"), 0), "exempt");
	CU_ASSERT_STRING_EQUAL(
	    sget(json_object_object_get(
		     json_object_array_get_idx(json_object_object_get(end, "exceptions"), 0),
		     "exception"),
		 "ticket"),
	    "SEC-123");
	CU_ASSERT_STRING_EQUAL(sget(rec(r, "step_end", "contain2"), "status"), "Success");
	CU_ASSERT_STRING_EQUAL(exc_status(rec(r, "step_end", "contain2"), 0), "not_covered");
	CU_ASSERT_PTR_NULL(json_object_object_get(rec(r, "step_end", "look"), "exceptions"));
	IRX_ASSERT_CONTAINS(r->logs, "1 contain2: the exception on '" INSTANCE
				     "' (ticket SEC-123) exempts xk:change, not 'xk:other'");
	/* the result lists it */
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(r->res.skipped_steps), 1);
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(r->res.skipped_steps, 0), "step"),
			       "contain");
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(r->res.skipped_steps, 0), "message"),
			       want_msg);
	/* irx show */
	sum = irx_journal_summarise(r->records);
	CU_ASSERT_STRING_EQUAL(sget(sum, "SkippedSteps"), "[ \"contain\" ]");
	steps = json_object_object_get(sum, "StepExecutions");
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(steps, 0), "StepStatus"), "Skipped");
	CU_ASSERT_STRING_EQUAL(sget(json_object_array_get_idx(steps, 0), "Message"), want_msg);
	CU_ASSERT_PTR_NOT_NULL(
	    json_object_object_get(json_object_array_get_idx(steps, 0), "Exceptions"));
	CU_ASSERT_PTR_NULL(json_object_object_get(sum, "IgnoreExceptions"));
	json_object_put(sum);
	xrun_free(r);

	/* ... until it expires: then both steps run, with a warning */
	xo.now = utc(2027, 1, 1, 0, 0, 0);
	xk_changes = 0;
	r = run(three_steps, f, &xo);
	CU_ASSERT_STRING_EQUAL(r->res.status, "Success");
	CU_ASSERT_EQUAL(xk_changes, 2);
	CU_ASSERT_STRING_EQUAL(sget(rec(r, "step_end", "contain"), "status"), "Success");
	CU_ASSERT_STRING_EQUAL(exc_status(rec(r, "step_end", "contain"), 0), "expired");
	IRX_ASSERT_CONTAINS(r->logs, "2 contain: ignoring exception on '" INSTANCE
				     "' (ticket SEC-123): it expired on 2026-12-31");
	CU_ASSERT_EQUAL(json_object_array_length(r->res.skipped_steps), 0);
	xrun_free(r);
	fake_free(f);
}

static void test_executor_dry_run_and_ignore(void)
{
	struct fake *f = fake_new();
	struct xopts xo = {.dry_run = true};
	struct xrun *r = NULL;
	struct json_object *start = NULL, *sum = NULL;

	tag_instance(f, "actions=xk expires=2026-12-31 approver=a ticket=T-1");
	xk_changes = 0;
	r = run(three_steps, f, &xo);
	CU_ASSERT_STRING_EQUAL(r->res.status, "Success");
	CU_ASSERT_STRING_EQUAL(sget(rec(r, "step_end", "contain"), "status"), "Skipped");
	CU_ASSERT_STRING_EQUAL(sget(rec(r, "step_end", "contain2"), "status"), "Skipped");
	CU_ASSERT_EQUAL(json_object_array_length(r->res.skipped_steps), 2);
	xrun_free(r);

	/* --ignore-exceptions: no tag is read, everything runs, and it is on the record */
	xo.dry_run = false;
	xo.ignore = true;
	json_object_put(f->calls);
	f->calls = json_object_new_array();
	r = run(three_steps, f, &xo);
	CU_ASSERT_STRING_EQUAL(r->res.status, "Success");
	CU_ASSERT_EQUAL(xk_changes, 2);
	CU_ASSERT_EQUAL(json_object_array_length(f->calls), 0);
	start = rec(r, "execution_start", NULL);
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(start, "ignore_exceptions")));
	CU_ASSERT_STRING_EQUAL(sget(start, "exception_tag"), "irx:exception");
	IRX_ASSERT_CONTAINS(r->logs, "2 -: exceptions are ignored (--ignore-exceptions): exempted "
				     "resources are contained too");
	CU_ASSERT_PTR_NULL(json_object_object_get(rec(r, "step_end", "contain"), "exceptions"));
	sum = irx_journal_summarise(r->records);
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(sum, "IgnoreExceptions")));
	json_object_put(sum);
	xrun_free(r);
	fake_free(f);
}

static void test_executor_fail_safe(void)
{
	struct fake *f = fake_new();
	struct xopts xo = {0};
	struct xrun *r = NULL;
	char *path = irx_xasprintf("%s/reg.yaml", irx_test_tmpdir());

	/* tags unreadable: the step runs, saying the exception could not be checked */
	f->deny_op = "ec2:DescribeTags";
	xk_changes = 0;
	r = run(three_steps, f, &xo);
	CU_ASSERT_STRING_EQUAL(r->res.status, "Success");
	CU_ASSERT_EQUAL(xk_changes, 2);
	CU_ASSERT_STRING_EQUAL(exc_status(rec(r, "step_end", "contain"), 0), "unchecked");
	IRX_ASSERT_CONTAINS(r->logs, "2 contain: cannot check '" INSTANCE
				     "' for an exception, so 'xk:change' runs: ec2:DescribeTags: "
				     "AccessDenied");
	xrun_free(r);

	/* a valid tag the registry does not list: the step runs */
	f->deny_op = NULL;
	tag_instance(f, "actions=* expires=2026-12-31 approver=mallory ticket=X");
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, registry_yaml), 0);
	xo.registry = path;
	xk_changes = 0;
	r = run(three_steps, f, &xo);
	CU_ASSERT_EQUAL(xk_changes, 2);
	CU_ASSERT_STRING_EQUAL(exc_status(rec(r, "step_end", "contain"), 0), "unregistered");
	CU_ASSERT_STRING_EQUAL(sget(rec(r, "execution_start", NULL), "exception_registry"), path);
	xrun_free(r);

	/* the registry lists it: skipped */
	tag_instance(f, GOOD);
	{
		const char *yaml =
		    "schemaVersion: '0.3'\n"
		    "parameters:\n  TargetArn:\n    type: String\n"
		    "mainSteps:\n"
		    "- name: contain\n  action: xk:change\n  inputs:\n    TargetArn: i-0abc\n";

		/* the tag is on the instance; the registry names it by ARN, the step by id */
		xk_changes = 0;
		fake_reply(f, "ec2:DescribeTags",
			   "{\"Tags\":[{\"Key\":\"irx:exception\",\"Value\":\"actions=xk "
			   "expires=2026-12-31 approver=alice@example.com ticket=SEC-123\"}]}");
		r = run(yaml, f, &xo);
		CU_ASSERT_EQUAL(xk_changes, 1);
		CU_ASSERT_STRING_EQUAL(exc_status(rec(r, "step_end", "contain"), 0),
				       "unregistered");
		xrun_free(r);
	}
	free(path);
	fake_free(f);
}

static void test_executor_skipped_outputs_and_list(void)
{
	struct fake *f = fake_new();
	struct xopts xo = {0};
	struct xrun *r = NULL;
	/* SKIPPED_STEPS for a notification; a reference to a skipped step's output fails */
	const char *yaml =
	    "schemaVersion: '0.3'\n"
	    "parameters:\n  TargetArn:\n    type: String\n"
	    "mainSteps:\n"
	    "- name: contain\n  action: xk:change\n  inputs:\n    TargetArn: '{{ TargetArn }}'\n"
	    "  outputs:\n  - Name: Changed\n    Selector: $.Changed\n    Type: String\n"
	    "- name: report\n  action: xk:look\n  inputs:\n"
	    "    TargetArn: 'skipped: {{ automation:SKIPPED_STEPS }}'\n"
	    "- name: use\n  action: xk:look\n  inputs:\n    TargetArn: '{{ contain.Changed }}'\n"
	    "- name: several\n  action: xk:many\n  inputs:\n"
	    "    Targets: ['{{ TargetArn }}', 'i-0fff']\n";

	tag_instance(f, "actions=xk:change expires=2026-12-31 approver=a ticket=T-9");
	r = run(yaml, f, &xo);
	CU_ASSERT_STRING_EQUAL(r->res.status, "Failed");
	CU_ASSERT_STRING_EQUAL(r->res.failure_message,
			       "step 'use' failed: unknown reference '{{ contain.Changed }}'");
	CU_ASSERT_STRING_EQUAL(
	    sget(json_object_object_get(rec(r, "step_end", "report"), "outputs"), "Changed"),
	    "(null)");
	CU_ASSERT_STRING_EQUAL(
	    sget(json_object_object_get(rec(r, "step_start", "report"), "inputs"), "TargetArn"),
	    "skipped: step 'contain' (xk:change) skipped: exception on '" INSTANCE
	    "' exempts xk:change until 2026-12-31, approved by a, ticket T-9");
	xrun_free(r);

	/* several resources, only some exempt: the step runs on all, with a warning */
	{
		const char *y2 = "schemaVersion: '0.3'\n"
				 "parameters:\n  TargetArn:\n    type: String\n"
				 "mainSteps:\n"
				 "- name: several\n  action: xk:many\n  inputs:\n"
				 "    Targets: ['{{ TargetArn }}', 'arn:aws:s3:::b']\n";

		tag_instance(f, "actions=xk expires=2026-12-31 approver=a ticket=T-9");
		r = run(y2, f, &xo);
		CU_ASSERT_STRING_EQUAL(sget(rec(r, "step_end", "several"), "status"), "Success");
		CU_ASSERT_STRING_EQUAL(exc_status(rec(r, "step_end", "several"), 0), "exempt");
		CU_ASSERT_STRING_EQUAL(exc_status(rec(r, "step_end", "several"), 1), "none");
		IRX_ASSERT_CONTAINS(r->logs, "2 several: 'several' changes 2 resources and only 1 "
					     "is exempt: the step runs on all");
		xrun_free(r);
	}
	fake_free(f);
}

static CU_TestInfo tests[] = {
    {"parse: good values", test_parse_good},
    {"parse: each malformed value", test_parse_malformed},
    {"coverage and sameness", test_covers_and_same},
    {"registry", test_registry},
    {"registry errors", test_registry_errors},
    {"reading tags per resource type", test_read_tags},
    {"reading tags: paging, no client", test_read_tags_paging},
    {"gate decisions", test_gate_decisions},
    {"gate with a registry", test_gate_registry},
    {"executor skips exactly the named actions until expiry", test_executor_skips_named_actions},
    {"executor: dry run and --ignore-exceptions", test_executor_dry_run_and_ignore},
    {"executor: fail-safe", test_executor_fail_safe},
    {"executor: skipped outputs, SKIPPED_STEPS, several resources",
     test_executor_skipped_outputs_and_list},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("exceptions", tests, suite_init, suite_clean)
