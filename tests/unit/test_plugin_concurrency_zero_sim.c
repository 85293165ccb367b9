/* SPDX-License-Identifier: Apache-2.0 */
/*
 * concurrency-zero:lambda end to end: the irx binary and concurrency-zero.so against the
 * simulator (tools/awssim, started by tools/awssim/run-with-sim), asserting the simulator's state
 * after containment of a qualified function ARN, after a second run and after `irx rollback`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"

#define ROLE "arn:aws:iam::111111111111:role/service-role/fn-role"
#define ZIP "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="

static const char fn_runbook[] =
    "schemaVersion: '0.3'\n"
    "description: concurrency-zero:lambda against the simulator\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "mainSteps:\n"
    "  - {name: mkrole, action: 'aws:executeAwsApi', inputs: {Service: iam, Api: CreateRole,"
    " RoleName: fn-role, Path: /service-role/, AssumeRolePolicyDocument:"
    " '{\"Version\":\"2012-10-17\",\"Statement\":[]}'}}\n"
    "  - {name: fn1, action: 'aws:executeAwsApi', inputs: {Service: lambda, Api: CreateFunction,"
    " FunctionName: fn1, Role: '" ROLE "', Code: {ZipFile: '" ZIP "'}}}\n"
    "  - {name: fn2, action: 'aws:executeAwsApi', inputs: {Service: lambda, Api: CreateFunction,"
    " FunctionName: fn2, Role: '" ROLE "', Code: {ZipFile: '" ZIP "'}}}\n"
    "  - {name: alias, action: 'aws:executeAwsApi', inputs: {Service: lambda, Api: CreateAlias,"
    " FunctionName: fn1, Name: live, FunctionVersion: $LATEST}}\n"
    "  - {name: conc, action: 'aws:executeAwsApi', inputs: {Service: lambda, Api:"
    " PutFunctionConcurrency, FunctionName: fn1, ReservedConcurrentExecutions: 7}}\n"
    "  - {name: esm, action: 'aws:executeAwsApi', inputs: {Service: lambda, Api:"
    " CreateEventSourceMapping, FunctionName: fn1, EventSourceArn:"
    " 'arn:aws:sqs:us-east-1:111111111111:q'}}\n"
    "  - name: stop\n"
    "    action: concurrency-zero:lambda\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', DisableEventSources: true}\n"
    "  - name: again\n"
    "    action: concurrency-zero:lambda\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', DisableEventSources: true}\n"
    "    outputs: [{Name: Changed, Selector: $.Changed, Type: Boolean}]\n"
    "outputs: [again.Changed]\n";

static const char check_runbook[] =
    "schemaVersion: '0.3'\n"
    "description: the function's state\n"
    "mainSteps:\n"
    "  - name: conc\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: lambda, Api: GetFunctionConcurrency, FunctionName: fn1}\n"
    "    outputs: [{Name: C, Selector: $, Type: StringMap}]\n"
    "  - name: esm\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: lambda, Api: ListEventSourceMappings, FunctionName: fn1}\n"
    "    outputs: [{Name: S, Selector: '$.EventSourceMappings[0].State', Type: String}]\n"
    "  - name: inl\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: iam, Api: ListRolePolicies, RoleName: fn-role}\n"
    "    outputs: [{Name: I, Selector: $.PolicyNames, Type: StringList}]\n"
    "  - name: tags\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: lambda, Api: ListTags, Resource:"
    " 'arn:aws:lambda:us-east-1:111111111111:function:fn1'}\n"
    "    outputs: [{Name: T, Selector: $.Tags, Type: StringMap}]\n"
    "outputs: [conc.C, esm.S, inl.I, tags.T]\n";

/* Runs the whole scenario in one simulator; returns the script's stdout (caller frees). */
static char *scenario(int *status)
{
	const char *dir = irx_test_tmpdir();
	char fn[512], check[512], script[8192], runner[4096], irx[4096], plugins[4096];
	char *out = NULL, *err = NULL;

	snprintf(fn, sizeof(fn), "%s/fn.yaml", dir);
	snprintf(check, sizeof(check), "%s/check.yaml", dir);
	if (irx_test_write(fn, fn_runbook) < 0 || irx_test_write(check, check_runbook) < 0)
		return NULL;
	snprintf(runner, sizeof(runner), "%s", irx_test_src("tools/awssim/run-with-sim"));
	snprintf(irx, sizeof(irx), "%s", irx_test_build("irx"));
	snprintf(plugins, sizeof(plugins), "%s", irx_test_build("plugins"));
	snprintf(script, sizeof(script),
		 "S=%s/state; P=\"--plugin-dir %s --state-dir $S\"\n"
		 "%s run %s $P -t arn:aws:lambda:us-east-1:111111111111:function:fn1:live "
		 "-o json > %s/run.json 2> %s/run.err || { cat %s/run.err; exit 11; }\n"
		 "echo '--- contained'; %s run %s $P -o json 2>/dev/null || exit 12\n"
		 "id=$(sed -n 's/^irx: execution \\([0-9a-f-]*\\) .*/\\1/p' %s/run.err)\n"
		 "echo '--- run'; cat %s/run.err\n"
		 "echo '--- rollback'; %s rollback $id $P 2>&1 || exit 13\n"
		 "echo '--- released'; %s run %s $P -o json 2>/dev/null || exit 14\n",
		 dir, plugins, irx, fn, dir, dir, dir, irx, check, dir, dir, irx, irx, check);
	{
		const char *argv[] = {
		    "/usr/bin/python3", runner, "--", "/bin/sh", "-c", script, NULL};

		*status = irx_test_run(argv, NULL, NULL, &out, &err);
	}
	if (*status != 0)
		fprintf(stderr, "\n  scenario failed (%d):\n%s\n%s\n", *status, out, err);
	free(err);
	return out;
}

/* The Outputs object of the JSON result printed after `marker` (one execution: an object).
 * Transferred. */
static struct json_object *outputs_after(const char *text, const char *marker)
{
	const char *p = strstr(text, marker);
	struct json_object *res = NULL, *o = NULL;
	struct json_tokener *tok = json_tokener_new();

	if (!p || !(p = strchr(p, '{')))
		goto out;
	res = json_tokener_parse_ex(tok, p, (int)strlen(p));
	if (res)
		o = json_object_get(json_object_object_get(res, "Outputs"));
out:
	json_object_put(res);
	json_tokener_free(tok);
	return o;
}

static const char *ostr(struct json_object *o, const char *key)
{
	return json_object_to_json_string_ext(json_object_object_get(o, key),
					      JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void test_lambda_against_sim(void)
{
	int status = -1;
	char *out = scenario(&status);
	struct json_object *o = NULL;

	CU_ASSERT_EQUAL_FATAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	if (getenv("IRX_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", out);
	/* contained: concurrency 0, the mapping disabled, the role's revoke policy, tags */
	o = outputs_after(out, "--- contained");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(ostr(o, "conc.C"), "{\"ReservedConcurrentExecutions\":0}");
	CU_ASSERT_STRING_EQUAL(ostr(o, "esm.S"), "\"Disabled\"");
	CU_ASSERT_STRING_EQUAL(ostr(o, "inl.I"), "[\"irx-revoke-older-sessions\"]");
	IRX_ASSERT_CONTAINS(ostr(o, "tags.T"), "\"irx:action\":\"concurrency-zero:lambda\"");
	json_object_put(o);
	/* a qualified ARN (seed defect: function ARNs never reached the Lambda branch) */
	IRX_ASSERT_CONTAINS(out, "stopped function 'fn1': set reserved concurrency to 0 (was 7), "
				 "revoked sessions of role 'fn-role' issued before ");
	IRX_ASSERT_CONTAINS(out, "reserved concurrency applies to the whole function 'fn1', not "
				 "to 'live' alone: every version and alias stops; warning: role "
				 "'fn-role' is shared with 1 other function ('fn2')");
	IRX_ASSERT_CONTAINS(out,
			    "function 'fn1' already contained: reserved concurrency 0, "
			    "older sessions of role 'fn-role' revoked, no enabled event source");
	IRX_ASSERT_CONTAINS(out, "released function 'fn1': restored the irx tags, re-enabled 1 "
				 "event source mapping, deleted inline policy "
				 "'irx-revoke-older-sessions' of role 'fn-role', restored reserved "
				 "concurrency 7");
	o = outputs_after(out, "--- released");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(ostr(o, "conc.C"), "{\"ReservedConcurrentExecutions\":7}");
	CU_ASSERT_STRING_EQUAL(ostr(o, "esm.S"), "\"Enabled\"");
	CU_ASSERT_STRING_EQUAL(ostr(o, "inl.I"), "[]");
	CU_ASSERT_PTR_NULL(strstr(ostr(o, "tags.T"), "irx:"));
	json_object_put(o);
	free(out);
}

static CU_TestInfo tests[] = {
    {"lambda: contain a qualified ARN, again, rollback against awssim", test_lambda_against_sim},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("plugin_concurrency_zero_sim", tests, NULL, NULL)
