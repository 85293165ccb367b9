/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deny:iamUser end to end: the irx binary and deny.so against the simulator (tools/awssim,
 * started by tools/awssim/run-with-sim), asserting the simulator's state after containment, after
 * a second run and after `irx rollback`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"

static const char user_runbook[] =
    "schemaVersion: '0.3'\n"
    "description: deny:iamUser against the simulator\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "mainSteps:\n"
    "  - {name: mkuser, action: 'aws:executeAwsApi', inputs: {Service: iam, Api: CreateUser,"
    " UserName: alice, Path: /division/team/}}\n"
    "  - {name: key1, action: 'aws:executeAwsApi', inputs: {Service: iam, Api: CreateAccessKey,"
    " UserName: alice}}\n"
    "  - {name: key2, action: 'aws:executeAwsApi', inputs: {Service: iam, Api: CreateAccessKey,"
    " UserName: alice}}\n"
    "  - {name: pw, action: 'aws:executeAwsApi', inputs: {Service: iam, Api: CreateLoginProfile,"
    " UserName: alice, Password: 'Xx-123456789!'}}\n"
    /* RecentDays 0: the simulator has no iam:ListMFADevices yet */
    "  - name: deny\n"
    "    action: deny:iamUser\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', RecentDays: 0}\n"
    "  - name: again\n"
    "    action: deny:iamUser\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', RecentDays: 0}\n"
    "    outputs: [{Name: Changed, Selector: $.Changed, Type: Boolean}]\n"
    "outputs: [again.Changed]\n";

static const char check_runbook[] =
    "schemaVersion: '0.3'\n"
    "description: the user's state\n"
    "mainSteps:\n"
    "  - name: keys\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: iam, Api: ListAccessKeys, UserName: alice}\n"
    "    outputs:\n"
    "      - {Name: K0, Selector: '$.AccessKeyMetadata[0].Status', Type: String}\n"
    "      - {Name: K1, Selector: '$.AccessKeyMetadata[1].Status', Type: String}\n"
    "  - name: att\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: iam, Api: ListAttachedUserPolicies, UserName: alice}\n"
    "    outputs: [{Name: A, Selector: $.AttachedPolicies, Type: MapList}]\n"
    "  - name: inl\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: iam, Api: ListUserPolicies, UserName: alice}\n"
    "    outputs: [{Name: I, Selector: $.PolicyNames, Type: StringList}]\n"
    "  - name: tags\n"
    "    action: aws:executeAwsApi\n"
    "    inputs: {Service: iam, Api: ListUserTags, UserName: alice}\n"
    "    outputs: [{Name: T, Selector: $.Tags, Type: MapList}]\n"
    "outputs: [keys.K0, keys.K1, att.A, inl.I, tags.T]\n";

/* Runs the whole scenario in one simulator; returns the script's stdout (caller frees). */
static char *scenario(int *status)
{
	const char *dir = irx_test_tmpdir();
	char user[512], check[512], script[8192], runner[4096], irx[4096], plugins[4096];
	char *out = NULL, *err = NULL;

	snprintf(user, sizeof(user), "%s/user.yaml", dir);
	snprintf(check, sizeof(check), "%s/check.yaml", dir);
	if (irx_test_write(user, user_runbook) < 0 || irx_test_write(check, check_runbook) < 0)
		return NULL;
	snprintf(runner, sizeof(runner), "%s", irx_test_src("tools/awssim/run-with-sim"));
	snprintf(irx, sizeof(irx), "%s", irx_test_build("irx"));
	snprintf(plugins, sizeof(plugins), "%s", irx_test_build("plugins"));
	snprintf(
	    script, sizeof(script),
	    "S=%s/state; P=\"--plugin-dir %s --state-dir $S\"\n"
	    "%s run %s $P -t arn:aws:iam::111111111111:user/division/team/alice "
	    "--case-id CASE-7 -o json > %s/run.json 2> %s/run.err || { cat %s/run.err; exit 11; }\n"
	    "echo '--- contained'; %s run %s $P -o json 2>/dev/null || exit 12\n"
	    "id=$(sed -n 's/^irx: execution \\([0-9a-f-]*\\) .*/\\1/p' %s/run.err)\n"
	    "echo '--- run'; cat %s/run.err\n"
	    "echo '--- rollback'; %s rollback $id $P 2>&1 || exit 13\n"
	    "echo '--- released'; %s run %s $P -o json 2>/dev/null || exit 14\n",
	    dir, plugins, irx, user, dir, dir, dir, irx, check, dir, dir, irx, irx, check);
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

static void test_user_against_sim(void)
{
	int status = -1;
	char *out = scenario(&status);
	struct json_object *o = NULL;

	CU_ASSERT_EQUAL_FATAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	if (getenv("IRX_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", out);
	/* contained: both keys inactive, AWSDenyAll attached, the revoke policy, tags */
	o = outputs_after(out, "--- contained");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(ostr(o, "keys.K0"), "\"Inactive\"");
	CU_ASSERT_STRING_EQUAL(ostr(o, "keys.K1"), "\"Inactive\"");
	IRX_ASSERT_CONTAINS(ostr(o, "att.A"),
			    "\"PolicyArn\":\"arn:aws:iam::aws:policy/AWSDenyAll\"");
	CU_ASSERT_STRING_EQUAL(ostr(o, "inl.I"), "[\"irx-revoke-older-sessions\"]");
	IRX_ASSERT_CONTAINS(ostr(o, "tags.T"), "{\"Key\":\"irx:case-id\",\"Value\":\"CASE-7\"}");
	IRX_ASSERT_CONTAINS(ostr(o, "tags.T"),
			    "{\"Key\":\"irx:action\",\"Value\":\"deny:iamUser\"}");
	json_object_put(o);
	/* the run's progress: contained, then already contained (password gone too) */
	IRX_ASSERT_CONTAINS(out, "contained user 'alice': attached AWSDenyAll, revoked sessions");
	IRX_ASSERT_CONTAINS(out, "deleted the console password (rollback cannot restore it)");
	IRX_ASSERT_CONTAINS(out, "user 'alice' already contained: AWSDenyAll attached, older "
				 "sessions revoked, no active access key, no console password");
	/* released: keys active again, nothing attached, no inline policy, no irx tags */
	IRX_ASSERT_CONTAINS(out, "released user 'alice': restored the irx tags, reactivated 2 "
				 "access keys, deleted inline policy 'irx-revoke-older-sessions', "
				 "detached 'arn:aws:iam::aws:policy/AWSDenyAll'; not restored: the "
				 "console password of user 'alice' cannot be restored");
	o = outputs_after(out, "--- released");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(ostr(o, "keys.K0"), "\"Active\"");
	CU_ASSERT_STRING_EQUAL(ostr(o, "keys.K1"), "\"Active\"");
	CU_ASSERT_STRING_EQUAL(ostr(o, "att.A"), "[]");
	CU_ASSERT_STRING_EQUAL(ostr(o, "inl.I"), "[]");
	CU_ASSERT_STRING_EQUAL(ostr(o, "tags.T"), "[]");
	json_object_put(o);
	free(out);
}

static CU_TestInfo tests[] = {
    {"iamUser: contain, again, rollback against awssim", test_user_against_sim},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("plugin_deny_sim", tests, NULL, NULL)
