/* SPDX-License-Identifier: Apache-2.0 */
/* The concurrency-zero plugin against the scripted fake AWS: calls, undo records, rollback. */
#include <string.h>

#include "fake_aws.h"
#include "test.h"

/* The folder is concurrency-zero; its static entry uses the C spelling. */
const struct irx_plugin *irx_plugin_entry_concurrency_zero(void);

static const struct irx_action *lambda_action(void)
{
	return &irx_plugin_entry_concurrency_zero()->actions[0];
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

/* Runs the action with inputs (JSON text), defaults applied as the engine would. */
static void run_exec(struct fake_aws *f, const char *inputs, bool dry, struct run *r)
{
	struct json_object *in = json_tokener_parse(inputs);

	if (!json_object_object_get_ex(in, "DisableEventSources", NULL))
		json_object_object_add(in, "DisableEventSources", json_object_new_boolean(0));
	if (!json_object_object_get_ex(in, "RevokeRoleSessions", NULL))
		json_object_object_add(in, "RevokeRoleSessions", json_object_new_boolean(1));
	memset(r, 0, sizeof(*r));
	r->res.outputs = json_object_new_object();
	r->res.undo = json_object_new_object();
	r->rc = lambda_action()->execute(fake_aws_context(f, "stop", dry), in, &r->res);
	json_object_put(in);
}

static void run_rollback(struct fake_aws *f, struct json_object *undo, bool dry, struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->res.outputs = json_object_new_object();
	r->res.undo = json_object_new_object();
	r->rc = lambda_action()->rollback(fake_aws_context(f, "undo", dry), undo, &r->res);
}

static struct json_object *call_params(struct fake_aws *f, size_t i)
{
	return json_object_object_get(json_object_array_get_idx(fake_aws_calls(f), i), "params");
}

static const char *pstr(struct json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

static const char *plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

#define FN_ARN "arn:aws:lambda:us-east-1:111111111111:function:fn1"
#define ROLE_ARN "arn:aws:iam::111111111111:role/service-role/fn1-role"

/* fn1 with reserved concurrency `conc` (NULL: none), its role shared with fn2. */
static void script_fn(struct fake_aws *f, const char *conc)
{
	char buf[256];

	fake_aws_reply(f, "lambda:GetFunction",
		       "{\"Configuration\":{\"FunctionName\":\"fn1\",\"FunctionArn\":\"" FN_ARN
		       "\",\"Role\":\"" ROLE_ARN "\"},\"Tags\":{\"team\":\"a\",\"irx:action\":"
		       "\"old\"}}");
	if (conc)
		snprintf(buf, sizeof(buf), "{\"ReservedConcurrentExecutions\":%s}", conc);
	else
		snprintf(buf, sizeof(buf), "{}");
	fake_aws_reply(f, "lambda:GetFunctionConcurrency", buf);
	fake_aws_reply(f, "iam:ListRolePolicies", "{\"PolicyNames\":[],\"IsTruncated\":false}");
	fake_aws_reply(f, "lambda:ListFunctions",
		       "{\"Functions\":[{\"FunctionName\":\"fn1\",\"Role\":\"" ROLE_ARN "\"},"
		       "{\"FunctionName\":\"fn3\",\"Role\":\"arn:aws:iam::111111111111:role/"
		       "other\"}],\"NextMarker\":\"page2\"}");
	fake_aws_reply(f, "lambda:ListFunctions",
		       "{\"Functions\":[{\"FunctionName\":\"fn2\",\"Role\":\"" ROLE_ARN "\"}]}");
	fake_aws_reply(f, "lambda:ListEventSourceMappings",
		       "{\"EventSourceMappings\":[{\"UUID\":\"u-1\",\"State\":\"Enabled\"},"
		       "{\"UUID\":\"u-2\",\"State\":\"Disabled\"}],\"NextMarker\":\"e2\"}");
	fake_aws_reply(f, "lambda:ListEventSourceMappings",
		       "{\"EventSourceMappings\":[{\"UUID\":\"u-3\",\"State\":\"Enabling\"}]}");
	fake_aws_reply(f, "lambda:PutFunctionConcurrency", "{\"ReservedConcurrentExecutions\":0}");
	fake_aws_reply(f, "iam:PutRolePolicy", "{}");
	fake_aws_reply(f, "lambda:UpdateEventSourceMapping", "{}");
	fake_aws_reply(f, "lambda:TagResource", "{}");
}

/* one wave of reads, then the rest of the paginated lists and the role's inline policies */
#define READS                                                                                      \
	"lambda:GetFunction,lambda:GetFunctionConcurrency,lambda:ListFunctions,"                   \
	"lambda:ListEventSourceMappings,lambda:ListFunctions,iam:ListRolePolicies,"                \
	"lambda:ListEventSourceMappings"

static void test_sequence(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	struct json_object *p = NULL, *doc = NULL, *st = NULL;

	script_fn(f, "5");
	/* seed defect: a function ARN must reach the Lambda containment */
	run_exec(f, "{\"TargetArn\":\"" FN_ARN "\",\"DisableEventSources\":true}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       READS ",lambda:PutFunctionConcurrency,iam:PutRolePolicy,"
				     "lambda:UpdateEventSourceMapping,"
				     "lambda:UpdateEventSourceMapping,lambda:TagResource");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 0), "FunctionName"), "fn1");
	/* the role name is the last segment of a role ARN with a path */
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 5), "RoleName"), "fn1-role");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 4), "Marker"), "page2");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 3)), "{\"FunctionName\":\"fn1\"}");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 6)),
			       "{\"FunctionName\":\"fn1\",\"Marker\":\"e2\"}");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 7)),
			       "{\"FunctionName\":\"fn1\",\"ReservedConcurrentExecutions\":0}");
	p = call_params(f, 8);
	CU_ASSERT_STRING_EQUAL(pstr(p, "RoleName"), "fn1-role");
	CU_ASSERT_STRING_EQUAL(pstr(p, "PolicyName"), "irx-revoke-older-sessions");
	doc = json_tokener_parse(pstr(p, "PolicyDocument"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	st = json_object_array_get_idx(json_object_object_get(doc, "Statement"), 0);
	CU_ASSERT_STRING_EQUAL(pstr(st, "Effect"), "Deny");
	CU_ASSERT_STRING_EQUAL(
	    pstr(json_object_object_get(json_object_object_get(st, "Condition"), "DateLessThan"),
		 "aws:TokenIssueTime"),
	    pstr(r.res.outputs, "RevokedBefore"));
	json_object_put(doc);
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 9)), "{\"UUID\":\"u-1\",\"Enabled\":false}");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 10)), "{\"UUID\":\"u-3\",\"Enabled\":false}");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 11)),
			       "{\"Resource\":\"" FN_ARN "\",\"Tags\":{\"irx:execution-id\":"
			       "\"00000000-0000-4000-8000-000000000001\",\"irx:action\":"
			       "\"concurrency-zero:lambda\"}}");
	/* undo: previous concurrency, role policy, which mappings were enabled, tags */
	CU_ASSERT_EQUAL(
	    json_object_get_int(json_object_object_get(r.res.undo, "PreviousConcurrency")), 5);
	CU_ASSERT_STRING_EQUAL(pstr(r.res.undo, "RoleName"), "fn1-role");
	CU_ASSERT_STRING_EQUAL(pstr(r.res.undo, "InlinePolicy"), "irx-revoke-older-sessions");
	CU_ASSERT_STRING_EQUAL(
	    plain(json_object_object_get(r.res.undo, "DisabledEventSourceMappings")),
	    "[\"u-1\",\"u-3\"]");
	CU_ASSERT_STRING_EQUAL(plain(json_object_object_get(r.res.undo, "Tags")),
			       "{\"irx:execution-id\":null,\"irx:action\":\"old\"}");
	/* the changes go out together, journaled once before */
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 1);
	CU_ASSERT_EQUAL(fake_aws_batches(f), 2);
	CU_ASSERT_EQUAL(
	    json_object_get_int(json_object_object_get(r.res.outputs, "RoleSharedWith")), 1);
	IRX_ASSERT_CONTAINS(r.res.message, "stopped function 'fn1': set reserved concurrency to "
					   "0 (was 5), revoked sessions of role 'fn1-role' issued "
					   "before ");
	IRX_ASSERT_CONTAINS(r.res.message, "disabled 2 event source mappings; warning: role "
					   "'fn1-role' is shared with 1 other function ('fn2'): "
					   "their sessions issued before then are revoked too");
	run_release(&r);
	fake_aws_free(f);
}

static void test_qualified_arn(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_fn(f, NULL);
	run_exec(f, "{\"TargetArn\":\"" FN_ARN ":prod\",\"RevokeRoleSessions\":false}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "lambda:GetFunction,lambda:GetFunctionConcurrency,"
			       "lambda:PutFunctionConcurrency,lambda:TagResource");
	/* concurrency is the function's: the unqualified name everywhere */
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 0), "FunctionName"), "fn1");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 2), "FunctionName"), "fn1");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 3), "Resource"), FN_ARN);
	CU_ASSERT_STRING_EQUAL(pstr(r.res.outputs, "Qualifier"), "prod");
	/* no reservation before: recorded as null, so rollback deletes the setting */
	CU_ASSERT_TRUE(json_object_object_get_ex(r.res.undo, "PreviousConcurrency", NULL));
	CU_ASSERT_PTR_NULL(json_object_object_get(r.res.undo, "PreviousConcurrency"));
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "stopped function 'fn1': set reserved concurrency to 0 (none was "
			       "reserved); reserved concurrency applies to the whole function "
			       "'fn1', not to 'prod' alone: every version and alias stops");
	run_release(&r);
	fake_aws_free(f);

	/* a version qualifier and $LATEST, and a bare name */
	const char *ok[] = {FN_ARN ":7", FN_ARN ":$LATEST", "fn1", "fn1:live"};

	for (size_t i = 0; i < 4; i++) {
		f = fake_aws_new();
		script_fn(f, NULL);
		{
			char in[256];

			snprintf(in, sizeof(in),
				 "{\"TargetArn\":\"%s\",\"RevokeRoleSessions\":false}", ok[i]);
			run_exec(f, in, false, &r);
		}
		CU_ASSERT_EQUAL(r.rc, 0);
		CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 0), "FunctionName"), "fn1");
		run_release(&r);
		fake_aws_free(f);
	}
}

/* GetFunction: $LATEST runs as fn1-role, version 3 (alias "live") as an older role. */
static int get_function(void *ud, struct fake_aws *f, struct json_object *params,
			struct json_object **response)
{
	const char *q = pstr(params, "Qualifier");

	(void)ud;
	(void)f;
	*response = json_tokener_parse(
	    q ? "{\"Configuration\":{\"FunctionName\":\"fn1\",\"FunctionArn\":\"" FN_ARN
		":3\",\"Version\":\"3\",\"Role\":\"arn:aws:iam::111111111111:role/old-role\"}}"
	      : "{\"Configuration\":{\"FunctionName\":\"fn1\",\"FunctionArn\":\"" FN_ARN
		"\",\"Role\":\"" ROLE_ARN "\"}}");
	return 0;
}

static void test_qualified_version_role(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_fn(f, "2");
	fake_aws_handle(f, "lambda:GetFunction", get_function, NULL);
	run_exec(f, "{\"TargetArn\":\"" FN_ARN ":live\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_call_names(f),
	    "lambda:GetFunction,lambda:GetFunctionConcurrency,lambda:GetFunction,"
	    "lambda:ListFunctions,lambda:ListFunctions,iam:ListRolePolicies,"
	    "lambda:PutFunctionConcurrency,iam:PutRolePolicy,lambda:TagResource");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 2)),
			       "{\"FunctionName\":\"fn1\",\"Qualifier\":\"live\"}");
	/* the alias runs as version 3's role: that is the one revoked */
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 5), "RoleName"), "old-role");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 7), "RoleName"), "old-role");
	/* tags go on the unqualified function */
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 8), "Resource"), FN_ARN);
	IRX_ASSERT_CONTAINS(
	    r.res.message,
	    "; warning: 'live' runs as role 'arn:aws:iam::111111111111:role/old-role' "
	    "but the unqualified function as '" ROLE_ARN "', which this action does not revoke");
	CU_ASSERT_PTR_NULL(strstr(r.res.message, "is shared with"));
	run_release(&r);
	fake_aws_free(f);
}

static void test_bad_targets(void)
{
	struct {
		const char *arn, *message;
	} cases[] = {
	    {"arn:aws:lambda:us-west-2:111111111111:function:fn1",
	     "cannot stop function 'fn1': it is in region 'us-west-2' but the step runs in "
	     "'us-east-1'"},
	    {"arn:aws:lambda:us-east-1:111111111111:layer:l1",
	     "'arn:aws:lambda:us-east-1:111111111111:layer:l1' is not a Lambda function ARN"},
	    {"arn:aws:ec2:us-east-1:111111111111:instance/i-1",
	     "'arn:aws:ec2:us-east-1:111111111111:instance/i-1' is not a Lambda function ARN"},
	    {"arn:aws:lambda:us-east-1:111111111111:function:",
	     "'arn:aws:lambda:us-east-1:111111111111:function:' names no Lambda function"},
	    {"arn:aws:lambda:us-east-1:111111111111:function:fn1:a:b",
	     "'arn:aws:lambda:us-east-1:111111111111:function:fn1:a:b' has a malformed "
	     "qualifier"},
	    {"fn 1", "'fn 1' names no Lambda function"},
	    {"", "no function ARN given"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_aws *f = fake_aws_new();
		struct run r;
		char in[512];

		snprintf(in, sizeof(in), "{\"TargetArn\":\"%s\"}", cases[i].arn);
		run_exec(f, in, false, &r);
		CU_ASSERT_EQUAL(r.rc, -1);
		CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), cases[i].message);
		CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "");
		run_release(&r);
		fake_aws_free(f);
	}
}

static void test_idempotent(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	fake_aws_reply(f, "lambda:GetFunction",
		       "{\"Configuration\":{\"FunctionName\":\"fn1\",\"FunctionArn\":\"" FN_ARN
		       "\",\"Role\":\"" ROLE_ARN "\"}}");
	fake_aws_reply(f, "lambda:GetFunctionConcurrency", "{\"ReservedConcurrentExecutions\":0}");
	fake_aws_reply(f, "iam:ListRolePolicies",
		       "{\"PolicyNames\":[\"irx-revoke-older-sessions\"]}");
	fake_aws_reply(f, "lambda:ListEventSourceMappings",
		       "{\"EventSourceMappings\":[{\"UUID\":\"u-1\",\"State\":\"Disabled\"}]}");
	fake_aws_reply(f, "lambda:ListFunctions", "{\"Functions\":[]}");
	run_exec(f, "{\"TargetArn\":\"" FN_ARN "\",\"DisableEventSources\":true}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "lambda:GetFunction,lambda:GetFunctionConcurrency,"
			       "lambda:ListFunctions,lambda:ListEventSourceMappings,"
			       "iam:ListRolePolicies");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "function 'fn1' already contained: reserved concurrency 0, older "
			       "sessions of role 'fn1-role' revoked, no enabled event source");
	CU_ASSERT_EQUAL(json_object_object_length(r.res.undo), 0);
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 0);
	run_release(&r);
	fake_aws_free(f);
}

static void test_dry_run(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	/* planned mutating calls answer {} (the script's first reply): nothing may depend on
	 * their responses */
	fake_aws_reply(f, "lambda:PutFunctionConcurrency", "{}");
	script_fn(f, "5");
	run_exec(f, "{\"TargetArn\":\"" FN_ARN "\",\"DisableEventSources\":true}", true, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	IRX_ASSERT_CONTAINS(r.res.message, "would stop function 'fn1': set reserved concurrency "
					   "to 0 (was 5), revoke sessions of role 'fn1-role' "
					   "issued before ");
	IRX_ASSERT_CONTAINS(r.res.message, "disable 2 event source mappings; warning");
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(r.res.outputs, "Changed")));
	run_release(&r);
	fake_aws_free(f);
}

static void test_error_partial_undo(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_fn(f, NULL);
	fake_aws_error(f, "iam:PutRolePolicy", 403, "AccessDenied",
		       "not authorized to perform: iam:PutRolePolicy");
	run_exec(f, "{\"TargetArn\":\"" FN_ARN "\",\"DisableEventSources\":true}", false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "AccessDenied: not authorized to perform: "
						    "iam:PutRolePolicy (HTTP 403, request id "
						    "fake-0001)");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       READS ",lambda:PutFunctionConcurrency,iam:PutRolePolicy,"
				     "lambda:UpdateEventSourceMapping,"
				     "lambda:UpdateEventSourceMapping,lambda:TagResource");
	/* what was done: everything but the role policy */
	CU_ASSERT_STRING_EQUAL(plain(r.res.undo),
			       "{\"Action\":\"concurrency-zero:lambda\",\"FunctionName\":\"fn1\","
			       "\"FunctionArn\":\"" FN_ARN "\",\"PreviousConcurrency\":null,"
			       "\"DisabledEventSourceMappings\":[\"u-1\",\"u-3\"],"
			       "\"Tags\":{\"irx:execution-id\":null,\"irx:action\":\"old\"}}");
	run_release(&r);
	fake_aws_free(f);

	/* a failed read in the first wave changes nothing; its error is the step's */
	f = fake_aws_new();
	fake_aws_error(f, "lambda:GetFunction", 404, "ResourceNotFoundException",
		       "Function not found: " FN_ARN);
	fake_aws_error(f, "lambda:GetFunctionConcurrency", 404, "ResourceNotFoundException",
		       "Function not found (concurrency)");
	fake_aws_reply(f, "lambda:ListFunctions", "{\"Functions\":[]}");
	run_exec(f, "{\"TargetArn\":\"" FN_ARN "\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "lambda:GetFunction,"
						       "lambda:GetFunctionConcurrency,"
						       "lambda:ListFunctions");
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "ResourceNotFoundException: Function not found: " FN_ARN
			       " (HTTP 404, request id fake-0001)");
	CU_ASSERT_EQUAL(json_object_object_length(r.res.undo), 0);
	run_release(&r);
	fake_aws_free(f);
}

/* GetEventSourceMapping: u-1 disabled, u-3 re-enabled by someone, u-9 gone. */
static int esm_state(void *ud, struct fake_aws *f, struct json_object *params,
		     struct json_object **response)
{
	const char *uuid = json_object_get_string(json_object_object_get(params, "UUID"));

	(void)ud;
	if (strcmp(uuid, "u-9") == 0) {
		fake_aws_set_error(f, 404, "ResourceNotFoundException",
				   "The resource you requested does not exist.");
		return -1;
	}
	*response = json_tokener_parse(strcmp(uuid, "u-1") == 0 ? "{\"State\":\"Disabled\"}"
								: "{\"State\":\"Enabled\"}");
	return 0;
}

static void test_rollback_exact(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	struct json_object *undo = json_tokener_parse(
	    "{\"Action\":\"concurrency-zero:lambda\",\"FunctionName\":\"fn1\",\"FunctionArn\":"
	    "\"" FN_ARN "\",\"PreviousConcurrency\":5,\"RoleName\":\"fn1-role\",\"InlinePolicy\":"
	    "\"irx-revoke-older-sessions\",\"DisabledEventSourceMappings\":[\"u-1\",\"u-3\","
	    "\"u-9\"],\"Tags\":{\"irx:execution-id\":null,\"irx:action\":\"old\"}}");

	fake_aws_reply(f, "lambda:UntagResource", "{}");
	fake_aws_reply(f, "lambda:TagResource", "{}");
	fake_aws_handle(f, "lambda:GetEventSourceMapping", esm_state, NULL);
	fake_aws_reply(f, "lambda:UpdateEventSourceMapping", "{}");
	fake_aws_reply(f, "iam:ListRolePolicies",
		       "{\"PolicyNames\":[\"irx-revoke-older-sessions\"]}");
	fake_aws_reply(f, "iam:DeleteRolePolicy", "{}");
	fake_aws_reply(f, "lambda:GetFunctionConcurrency", "{\"ReservedConcurrentExecutions\":0}");
	fake_aws_reply(f, "lambda:PutFunctionConcurrency", "{}");
	run_rollback(f, undo, false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "lambda:UntagResource,lambda:TagResource,"
			       "lambda:GetEventSourceMapping,lambda:UpdateEventSourceMapping,"
			       "lambda:GetEventSourceMapping,lambda:GetEventSourceMapping,"
			       "iam:ListRolePolicies,iam:DeleteRolePolicy,"
			       "lambda:GetFunctionConcurrency,lambda:PutFunctionConcurrency");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 0)),
			       "{\"Resource\":\"" FN_ARN "\",\"TagKeys\":[\"irx:execution-id\"]}");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 1)),
			       "{\"Resource\":\"" FN_ARN "\",\"Tags\":{\"irx:action\":\"old\"}}");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 3)), "{\"UUID\":\"u-1\",\"Enabled\":true}");
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, 9)),
			       "{\"FunctionName\":\"fn1\",\"ReservedConcurrentExecutions\":5}");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "released function 'fn1': restored the irx tags, re-enabled 1 event "
			       "source mapping, deleted inline policy 'irx-revoke-older-sessions' "
			       "of role 'fn1-role', restored reserved concurrency 5; event source "
			       "mapping 'u-9' no longer exists");
	run_release(&r);
	json_object_put(undo);
	fake_aws_free(f);
}

static void test_rollback_none_and_changed(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	struct json_object *undo =
	    json_tokener_parse("{\"FunctionName\":\"fn1\",\"FunctionArn\":\"" FN_ARN
			       "\",\"PreviousConcurrency\":null}");

	/* none reserved before: the setting is deleted, not set to some number */
	fake_aws_reply(f, "lambda:GetFunctionConcurrency", "{\"ReservedConcurrentExecutions\":0}");
	fake_aws_reply(f, "lambda:DeleteFunctionConcurrency", "{}");
	run_rollback(f, undo, false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "lambda:GetFunctionConcurrency,"
						       "lambda:DeleteFunctionConcurrency");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 1), "FunctionName"), "fn1");
	CU_ASSERT_STRING_EQUAL(r.res.message, "released function 'fn1': removed the reserved "
					      "concurrency (none was reserved)");
	run_release(&r);
	fake_aws_free(f);

	/* someone set it to 3 since: left alone */
	f = fake_aws_new();
	fake_aws_reply(f, "lambda:GetFunctionConcurrency", "{\"ReservedConcurrentExecutions\":3}");
	run_rollback(f, undo, false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "lambda:GetFunctionConcurrency");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "released function 'fn1': nothing left to undo; reserved "
			       "concurrency was changed since (left as it is)");
	run_release(&r);
	fake_aws_free(f);

	/* a broken undo record */
	f = fake_aws_new();
	json_object_put(undo);
	undo = json_tokener_parse("{\"FunctionName\":\"fn1\"}");
	run_rollback(f, undo, false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "undo record lacks FunctionName or FunctionArn");
	run_release(&r);
	json_object_put(undo);
	fake_aws_free(f);
}

static void test_declared(void)
{
	const struct irx_plugin *p = irx_plugin_entry_concurrency_zero();
	const struct irx_action *a = lambda_action();

	/* the plugin name has a '-': the loader's name rule allows it */
	CU_ASSERT_STRING_EQUAL(p->name, "concurrency-zero");
	CU_ASSERT_STRING_EQUAL(a->name, "lambda");
	CU_ASSERT_EQUAL(a->flags, IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT);
	CU_ASSERT_PTR_NOT_NULL(a->rollback);
	CU_ASSERT_STRING_EQUAL(a->params[0].name, "TargetArn");
	CU_ASSERT_EQUAL(a->params[0].flags, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE);
	CU_ASSERT_STRING_EQUAL(a->params[1].name, "DisableEventSources");
	CU_ASSERT_STRING_EQUAL(a->params[1].default_value, "false");
	CU_ASSERT_STRING_EQUAL(a->params[2].name, "RevokeRoleSessions");
	CU_ASSERT_STRING_EQUAL(a->params[2].default_value, "true");
}

static CU_TestInfo tests[] = {
    {"function ARN: exact sequence, undo, shared role (seed defect)", test_sequence},
    {"qualified ARNs act on the function", test_qualified_arn},
    {"qualified ARN: the version's role is revoked", test_qualified_version_role},
    {"bad targets", test_bad_targets},
    {"second run is already contained", test_idempotent},
    {"dry-run", test_dry_run},
    {"AccessDenied mid-way, partial undo", test_error_partial_undo},
    {"rollback: exact calls, live state read", test_rollback_exact},
    {"rollback: none reserved, changed since", test_rollback_none_and_changed},
    {"declared", test_declared},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("plugin_concurrency_zero", tests, NULL, NULL)
