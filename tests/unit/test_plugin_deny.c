/* SPDX-License-Identifier: Apache-2.0 */
/* The deny plugin against the scripted fake AWS: exact calls, undo records, rollback. */
#include <string.h>
#include <time.h>

#include "fake_aws.h"
#include "test.h"

const struct irx_plugin *irx_plugin_entry_deny(void);

static const struct irx_action *action(const char *name)
{
	const struct irx_plugin *p = irx_plugin_entry_deny();

	for (const struct irx_action *a = p->actions; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
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

/* Runs name's execute with inputs (JSON text). */
static void run_exec(struct fake_aws *f, const char *name, const char *inputs, bool dry,
		     struct run *r)
{
	struct json_object *in = json_tokener_parse(inputs);

	memset(r, 0, sizeof(*r));
	r->res.outputs = json_object_new_object();
	r->res.undo = json_object_new_object();
	r->rc = action(name)->execute(fake_aws_context(f, "deny", dry), in, &r->res);
	json_object_put(in);
}

static void run_rollback(struct fake_aws *f, const char *name, struct json_object *undo, bool dry,
			 struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->res.outputs = json_object_new_object();
	r->res.undo = json_object_new_object();
	r->rc = action(name)->rollback(fake_aws_context(f, "undo", dry), undo, &r->res);
}

/* The params of the i-th call (borrowed). */
static struct json_object *call_params(struct fake_aws *f, size_t i)
{
	return json_object_object_get(json_object_array_get_idx(fake_aws_calls(f), i), "params");
}

static const char *pstr(struct json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

static const char *out_str(struct run *r, const char *key)
{
	return json_object_get_string(json_object_object_get(r->res.outputs, key));
}

#define ALICE "arn:aws:iam::123456789012:user/division/team/alice"

/* An active user with two active keys, one inactive, a console password, nothing denied. */
static void script_open_user(struct fake_aws *f)
{
	fake_aws_reply(
	    f, "iam:GetUser",
	    "{\"User\":{\"UserName\":\"alice\",\"Path\":\"/division/team/\",\"Arn\":\"" ALICE
	    "\",\"Tags\":[{\"Key\":\"irx:action\",\"Value\":\"old\"}]}}");
	fake_aws_reply(f, "iam:ListAccessKeys",
		       "{\"AccessKeyMetadata\":[{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA1\","
		       "\"Status\":\"Active\"},{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA2\","
		       "\"Status\":\"Inactive\"}],\"IsTruncated\":true,\"Marker\":\"m1\"}");
	fake_aws_reply(f, "iam:ListAccessKeys",
		       "{\"AccessKeyMetadata\":[{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA3\","
		       "\"Status\":\"Active\"}],\"IsTruncated\":false}");
	fake_aws_reply(f, "iam:ListMFADevices",
		       "{\"MFADevices\":[{\"UserName\":\"alice\",\"SerialNumber\":"
		       "\"arn:aws:iam::123456789012:mfa/alice\",\"EnableDate\":"
		       "\"2020-01-01T00:00:00Z\"}],\"IsTruncated\":false}");
	fake_aws_reply(f, "iam:GetLoginProfile",
		       "{\"LoginProfile\":{\"UserName\":\"alice\",\"CreateDate\":"
		       "\"2024-01-02T03:04:05Z\",\"PasswordResetRequired\":false}}");
	fake_aws_reply(f, "iam:ListAttachedUserPolicies",
		       "{\"AttachedPolicies\":[{\"PolicyName\":\"ReadOnlyAccess\",\"PolicyArn\":"
		       "\"arn:aws:iam::aws:policy/ReadOnlyAccess\"}],\"IsTruncated\":false}");
	fake_aws_reply(f, "iam:ListUserPolicies", "{\"PolicyNames\":[\"other\"]}");
	fake_aws_reply(f, "iam:AttachUserPolicy", "{}");
	fake_aws_reply(f, "iam:PutUserPolicy", "{}");
	fake_aws_reply(f, "iam:UpdateAccessKey", "{}");
	fake_aws_reply(f, "iam:DeleteLoginProfile", "{}");
	fake_aws_reply(f, "iam:TagUser", "{}");
}

/* one wave of reads (the login profile's absence an expected answer), the rest of a list */
#define USER_READS                                                                                 \
	"iam:GetUser,iam:GetLoginProfile,iam:ListAccessKeys,iam:ListMFADevices,"                   \
	"iam:ListAttachedUserPolicies,iam:ListUserPolicies,iam:ListAccessKeys"

static void test_user_sequence(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	struct json_object *p = NULL, *doc = NULL, *st = NULL, *undo = NULL;

	script_open_user(f);
	run_exec(f, "iamUser", "{\"TargetArn\":\"" ALICE "\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       USER_READS ",iam:AttachUserPolicy,iam:PutUserPolicy,"
					  "iam:UpdateAccessKey,iam:UpdateAccessKey,"
					  "iam:DeleteLoginProfile,iam:TagUser");
	/* seed defect: a path in the ARN must not leak into the name */
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 0), "UserName"), "alice");
	/* the second page was asked for with the first page's marker */
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 6), "Marker"), "m1");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 7), "PolicyArn"),
			       "arn:aws:iam::aws:policy/AWSDenyAll");
	p = call_params(f, 8);
	CU_ASSERT_STRING_EQUAL(pstr(p, "PolicyName"), "irx-revoke-older-sessions");
	doc = json_tokener_parse(pstr(p, "PolicyDocument"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	st = json_object_array_get_idx(json_object_object_get(doc, "Statement"), 0);
	CU_ASSERT_STRING_EQUAL(pstr(st, "Effect"), "Deny");
	CU_ASSERT_STRING_EQUAL(pstr(st, "Action"), "*");
	CU_ASSERT_STRING_EQUAL(pstr(st, "Resource"), "*");
	CU_ASSERT_STRING_EQUAL(
	    pstr(json_object_object_get(json_object_object_get(st, "Condition"), "DateLessThan"),
		 "aws:TokenIssueTime"),
	    out_str(&r, "RevokedBefore"));
	CU_ASSERT_EQUAL(strlen(out_str(&r, "RevokedBefore")), 20);
	json_object_put(doc);
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 9), "AccessKeyId"), "AKIAAAAAAAAAAAAAAAA1");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 9), "Status"), "Inactive");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 10), "AccessKeyId"), "AKIAAAAAAAAAAAAAAAA3");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(json_object_object_get(call_params(f, 12), "Tags"),
					   JSON_C_TO_STRING_PLAIN),
	    "[{\"Key\":\"irx:execution-id\",\"Value\":\"00000000-0000-4000-8000-000000000001\"},"
	    "{\"Key\":\"irx:action\",\"Value\":\"deny:iamUser\"}]");
	/* the undo record: everything rollback needs, password marked not restorable */
	undo = r.res.undo;
	CU_ASSERT_STRING_EQUAL(pstr(undo, "UserName"), "alice");
	CU_ASSERT_STRING_EQUAL(pstr(undo, "Partition"), "aws");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(json_object_object_get(undo, "AttachedPolicies"),
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[\"arn:aws:iam::aws:policy/AWSDenyAll\"]");
	CU_ASSERT_STRING_EQUAL(pstr(undo, "InlinePolicy"), "irx-revoke-older-sessions");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(json_object_object_get(undo, "DeactivatedKeys"),
					   JSON_C_TO_STRING_PLAIN),
	    "[\"AKIAAAAAAAAAAAAAAAA1\",\"AKIAAAAAAAAAAAAAAAA3\"]");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(json_object_object_get(undo, "DeletedLoginProfile"),
					   JSON_C_TO_STRING_PLAIN),
	    "{\"CreateDate\":\"2024-01-02T03:04:05Z\",\"Restorable\":false}");
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(json_object_object_get(undo, "Tags"),
							      JSON_C_TO_STRING_PLAIN),
			       "{\"irx:execution-id\":null,\"irx:action\":\"old\"}");
	/* the six changes go out together, journaled once before: three round trips in all */
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 1);
	CU_ASSERT_EQUAL(fake_aws_batches(f), 2);
	IRX_ASSERT_CONTAINS(r.res.message, "contained user 'alice': attached AWSDenyAll, revoked "
					   "sessions issued before ");
	IRX_ASSERT_CONTAINS(r.res.message,
			    "deactivated 2 access keys ('AKIAAAAAAAAAAAAAAAA1', "
			    "'AKIAAAAAAAAAAAAAAAA3'), deleted the console password (rollback "
			    "cannot restore it)");
	run_release(&r);
	fake_aws_free(f);
}

static void script_contained_user(struct fake_aws *f)
{
	fake_aws_reply(f, "iam:GetUser", "{\"User\":{\"UserName\":\"alice\"}}");
	fake_aws_reply(f, "iam:ListAccessKeys",
		       "{\"AccessKeyMetadata\":[{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA1\","
		       "\"Status\":\"Inactive\"}]}");
	fake_aws_reply(f, "iam:ListMFADevices", "{\"MFADevices\":[]}");
	fake_aws_error(f, "iam:GetLoginProfile", 404, "NoSuchEntity",
		       "Login Profile for User alice cannot be found.");
	fake_aws_reply(f, "iam:ListAttachedUserPolicies",
		       "{\"AttachedPolicies\":[{\"PolicyName\":\"AWSDenyAll\",\"PolicyArn\":"
		       "\"arn:aws:iam::aws:policy/AWSDenyAll\"}]}");
	fake_aws_reply(f, "iam:ListUserPolicies",
		       "{\"PolicyNames\":[\"irx-revoke-older-sessions\"]}");
}

static void test_user_idempotent(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_contained_user(f);
	run_exec(f, "iamUser", "{\"TargetArn\":\"" ALICE "\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	/* the expected NoSuchEntity is an answer, not the step's failure */
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:GetUser,iam:GetLoginProfile,"
						       "iam:ListAccessKeys,iam:ListMFADevices,"
						       "iam:ListAttachedUserPolicies,"
						       "iam:ListUserPolicies");
	CU_ASSERT_STRING_EQUAL(
	    r.res.message, "user 'alice' already contained: AWSDenyAll attached, older sessions "
			   "revoked, no active access key, no console password");
	CU_ASSERT_EQUAL(json_object_object_length(r.res.undo), 0);
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 0);
	run_release(&r);
	fake_aws_free(f);
}

static void test_user_without_password(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_open_user(f);
	fake_aws_error(f, "iam:GetLoginProfile", 404, "NoSuchEntity", "no login profile");
	run_exec(f, "iamUser", "{\"TargetArn\":\"arn:aws:iam::123456789012:user/bob\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_PTR_NULL(strstr(fake_aws_call_names(f), "DeleteLoginProfile"));
	CU_ASSERT_PTR_NULL(json_object_object_get(r.res.undo, "DeletedLoginProfile"));
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 0), "UserName"), "bob");
	run_release(&r);
	fake_aws_free(f);
}

static void test_user_dry_run(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_open_user(f);
	/* the host answers planned mutating calls with {}: the plan must not need more */
	run_exec(f, "iamUser", "{\"TargetArn\":\"" ALICE "\"}", true, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       USER_READS ",iam:AttachUserPolicy,iam:PutUserPolicy,"
					  "iam:UpdateAccessKey,iam:UpdateAccessKey,"
					  "iam:DeleteLoginProfile,iam:TagUser");
	IRX_ASSERT_CONTAINS(r.res.message, "would contain user 'alice': attach AWSDenyAll, revoke "
					   "sessions issued before ");
	IRX_ASSERT_CONTAINS(r.res.message, "deactivate 2 access keys");
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(r.res.outputs, "Changed")));
	run_release(&r);
	fake_aws_free(f);
}

/* Fails the second UpdateAccessKey. */
static int second_key_denied(void *ud, struct fake_aws *f, struct json_object *params,
			     struct json_object **response)
{
	int *n = ud;

	(void)params;
	if (++*n == 2) {
		fake_aws_set_error(f, 403, "AccessDenied",
				   "User: arn:aws:sts::1:assumed-role/irx is not authorized to "
				   "perform: iam:UpdateAccessKey");
		return -1;
	}
	*response = json_object_new_object();
	return 0;
}

static void test_user_error_partial_undo(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	int n = 0;

	script_open_user(f);
	fake_aws_handle(f, "iam:UpdateAccessKey", second_key_denied, &n);
	run_exec(f, "iamUser", "{\"TargetArn\":\"" ALICE "\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "AccessDenied: User: arn:aws:sts::1:assumed-role/irx is not "
			       "authorized to perform: iam:UpdateAccessKey (HTTP 403, request id "
			       "fake-0001)");
	/* the changes went out together: the others were made */
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       USER_READS ",iam:AttachUserPolicy,iam:PutUserPolicy,"
					  "iam:UpdateAccessKey,iam:UpdateAccessKey,"
					  "iam:DeleteLoginProfile,iam:TagUser");
	/* exactly what was done: the refused key is not in it */
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(json_object_object_get(r.res.undo, "DeactivatedKeys"),
					   JSON_C_TO_STRING_PLAIN),
	    "[\"AKIAAAAAAAAAAAAAAAA1\"]");
	CU_ASSERT_PTR_NOT_NULL(json_object_object_get(r.res.undo, "AttachedPolicies"));
	CU_ASSERT_PTR_NOT_NULL(json_object_object_get(r.res.undo, "InlinePolicy"));
	CU_ASSERT_PTR_NOT_NULL(json_object_object_get(r.res.undo, "DeletedLoginProfile"));
	CU_ASSERT_PTR_NOT_NULL(json_object_object_get(r.res.undo, "Tags"));
	run_release(&r);
	fake_aws_free(f);
}

/* A key made an hour ago and an MFA device enabled yesterday are reported, not touched. */
static void test_user_recent_reported(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	char hour_ago[32], day_ago[32], keys[512], mfas[512], msg[1024];
	time_t now = time(NULL);
	struct tm tm;

	strftime(hour_ago, sizeof(hour_ago), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime_r(&(time_t){now - 3600}, &tm));
	strftime(day_ago, sizeof(day_ago), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime_r(&(time_t){now - 86400 - 60}, &tm));
	snprintf(keys, sizeof(keys),
		 "{\"AccessKeyMetadata\":[{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA1\",\"Status\":"
		 "\"Inactive\",\"CreateDate\":\"%s\"},{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA2\","
		 "\"Status\":\"Inactive\",\"CreateDate\":\"2019-01-01T00:00:00Z\"}]}",
		 hour_ago);
	snprintf(mfas, sizeof(mfas),
		 "{\"MFADevices\":[{\"SerialNumber\":\"arn:aws:iam::1:mfa/x\",\"EnableDate\":"
		 "\"%s\"}]}",
		 day_ago);
	fake_aws_reply(f, "iam:GetUser", "{\"User\":{\"UserName\":\"alice\"}}");
	fake_aws_reply(f, "iam:ListAccessKeys", keys);
	fake_aws_reply(f, "iam:ListMFADevices", mfas);
	fake_aws_error(f, "iam:GetLoginProfile", 404, "NoSuchEntity", "none");
	fake_aws_reply(f, "iam:ListAttachedUserPolicies",
		       "{\"AttachedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::aws:policy/"
		       "AWSDenyAll\"}]}");
	fake_aws_reply(f, "iam:ListUserPolicies",
		       "{\"PolicyNames\":[\"irx-revoke-older-sessions\"]}");
	run_exec(f, "iamUser", "{\"TargetArn\":\"" ALICE "\",\"RecentDays\":2}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	snprintf(msg, sizeof(msg),
		 "user 'alice' already contained: AWSDenyAll attached, older sessions revoked, no "
		 "active access key, no console password; created in the last 2 days: access key "
		 "'AKIAAAAAAAAAAAAAAAA1' (%s), MFA device 'arn:aws:iam::1:mfa/x' (%s): check "
		 "whether the intruder made them",
		 hour_ago, day_ago);
	CU_ASSERT_STRING_EQUAL(r.res.message, msg);
	CU_ASSERT_EQUAL(
	    json_object_array_length(json_object_object_get(r.res.outputs, "RecentlyCreated")), 2);
	run_release(&r);
	fake_aws_free(f);

	/* one day: only the key */
	f = fake_aws_new();
	fake_aws_reply(f, "iam:GetUser", "{\"User\":{\"UserName\":\"alice\"}}");
	fake_aws_reply(f, "iam:ListAccessKeys", keys);
	fake_aws_reply(f, "iam:ListMFADevices", mfas);
	fake_aws_error(f, "iam:GetLoginProfile", 404, "NoSuchEntity", "none");
	fake_aws_reply(f, "iam:ListAttachedUserPolicies", "{\"AttachedPolicies\":[]}");
	fake_aws_reply(f, "iam:ListUserPolicies", "{\"PolicyNames\":[]}");
	fake_aws_reply(f, "iam:AttachUserPolicy", "{}");
	fake_aws_reply(f, "iam:PutUserPolicy", "{}");
	fake_aws_reply(f, "iam:TagUser", "{}");
	run_exec(f, "iamUser", "{\"TargetArn\":\"" ALICE "\",\"RecentDays\":1}", true, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	IRX_ASSERT_CONTAINS(r.res.message, "; created in the last 1 day: access key "
					   "'AKIAAAAAAAAAAAAAAAA1' (");
	CU_ASSERT_PTR_NULL(r.res.message ? strstr(r.res.message, "MFA device") : "no message");
	run_release(&r);
	fake_aws_free(f);

	/* RecentDays 0: no report and no ListMFADevices */
	f = fake_aws_new();
	script_contained_user(f);
	run_exec(f, "iamUser", "{\"TargetArn\":\"" ALICE "\",\"RecentDays\":0}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:GetUser,iam:GetLoginProfile,"
						       "iam:ListAccessKeys,"
						       "iam:ListAttachedUserPolicies,"
						       "iam:ListUserPolicies");
	run_release(&r);
	fake_aws_free(f);

	/* a bad window */
	f = fake_aws_new();
	run_exec(f, "iamUser", "{\"TargetArn\":\"" ALICE "\",\"RecentDays\":-1}", false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "RecentDays must be between 0 and 3650, not -1");
	run_release(&r);
	fake_aws_free(f);
}

static void test_user_refusals(void)
{
	struct {
		const char *inputs, *message;
	} cases[] = {
	    {"{\"TargetArn\":\"arn:aws:iam::123456789012:root\"}",
	     "cannot deny the root user of account '123456789012': IAM policies do not apply to "
	     "the root user; rotate its credentials and restrict the account with an SCP"},
	    {"{\"TargetArn\":\"arn:aws:iam::123456789012:role/r\"}",
	     "cannot deny user 'arn:aws:iam::123456789012:role/r': the ARN names a role, not a "
	     "user"},
	    {"{\"TargetArn\":\"alice\"}", "'alice' is not an ARN"},
	    {"{\"TargetArn\":\"arn:aws:s3:::bucket/user/x\"}",
	     "'arn:aws:s3:::bucket/user/x' is not an IAM ARN"},
	    {"{\"TargetArn\":\"arn:aws:iam::123456789012:user/\"}",
	     "'arn:aws:iam::123456789012:user/' ends without a name"},
	    {"{\"TargetArn\":\"arn:aws:iam::123456789012:user\"}",
	     "'arn:aws:iam::123456789012:user' names no IAM user or role"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_aws *f = fake_aws_new();
		struct run r;

		run_exec(f, "iamUser", cases[i].inputs, false, &r);
		CU_ASSERT_EQUAL(r.rc, -1);
		CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), cases[i].message);
		CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "");
		run_release(&r);
		fake_aws_free(f);
	}
}

static void test_user_partition(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_open_user(f);
	run_exec(f, "iamUser", "{\"TargetArn\":\"arn:aws-cn:iam::123456789012:user/alice\"}", false,
		 &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 7), "PolicyArn"),
			       "arn:aws-cn:iam::aws:policy/AWSDenyAll");
	CU_ASSERT_STRING_EQUAL(pstr(r.res.undo, "Partition"), "aws-cn");
	run_release(&r);
	fake_aws_free(f);
}

static void test_user_rollback(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	struct json_object *undo = json_tokener_parse(
	    "{\"Action\":\"deny:iamUser\",\"Partition\":\"aws\",\"UserName\":\"alice\","
	    "\"AttachedPolicies\":[\"arn:aws:iam::aws:policy/AWSDenyAll\"],"
	    "\"InlinePolicy\":\"irx-revoke-older-sessions\",\"RevokedBefore\":"
	    "\"2024-05-01T00:00:00Z\",\"DeactivatedKeys\":[\"AKIAAAAAAAAAAAAAAAA1\","
	    "\"AKIAAAAAAAAAAAAAAAA3\",\"AKIAAAAAAAAAAAAAAAA4\"],"
	    "\"DeletedLoginProfile\":{\"CreateDate\":null,\"Restorable\":false},"
	    "\"Tags\":{\"irx:execution-id\":null,\"irx:action\":\"old\"}}");

	fake_aws_reply(f, "iam:UntagUser", "{}");
	fake_aws_reply(f, "iam:TagUser", "{}");
	/* key 3 was reactivated by someone already, key 4 deleted since */
	fake_aws_reply(f, "iam:ListAccessKeys",
		       "{\"AccessKeyMetadata\":[{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA1\","
		       "\"Status\":\"Inactive\"},{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA3\","
		       "\"Status\":\"Active\"}]}");
	fake_aws_reply(f, "iam:UpdateAccessKey", "{}");
	fake_aws_reply(f, "iam:ListUserPolicies",
		       "{\"PolicyNames\":[\"irx-revoke-older-sessions\"]}");
	fake_aws_reply(f, "iam:DeleteUserPolicy", "{}");
	fake_aws_reply(f, "iam:ListAttachedUserPolicies",
		       "{\"AttachedPolicies\":[{\"PolicyArn\":"
		       "\"arn:aws:iam::aws:policy/AWSDenyAll\"}]}");
	fake_aws_reply(f, "iam:DetachUserPolicy", "{}");
	run_rollback(f, "iamUser", undo, false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "iam:UntagUser,iam:TagUser,iam:ListAccessKeys,iam:UpdateAccessKey,"
			       "iam:ListUserPolicies,iam:DeleteUserPolicy,"
			       "iam:ListAttachedUserPolicies,iam:DetachUserPolicy");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(json_object_object_get(call_params(f, 0), "TagKeys"),
					   JSON_C_TO_STRING_PLAIN),
	    "[\"irx:execution-id\"]");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 3), "AccessKeyId"), "AKIAAAAAAAAAAAAAAAA1");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 3), "Status"), "Active");
	CU_ASSERT_STRING_EQUAL(
	    r.res.message,
	    "released user 'alice': restored the irx tags, reactivated 1 access key, deleted "
	    "inline policy 'irx-revoke-older-sessions', detached "
	    "'arn:aws:iam::aws:policy/AWSDenyAll'; access key 'AKIAAAAAAAAAAAAAAAA4' no longer "
	    "exists; not restored: the console password of user 'alice' cannot be restored: IAM "
	    "never returns a password and DeleteLoginProfile discarded it; set a new one with "
	    "CreateLoginProfile (PasswordResetRequired) once the incident is closed");
	CU_ASSERT_EQUAL(
	    json_object_array_length(json_object_object_get(r.res.outputs, "NotRestored")), 1);
	run_release(&r);
	json_object_put(undo);
	fake_aws_free(f);
}

static void test_user_rollback_twice(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	struct json_object *undo = json_tokener_parse(
	    "{\"UserName\":\"alice\",\"AttachedPolicies\":[\"arn:aws:iam::aws:policy/AWSDenyAll\"],"
	    "\"InlinePolicy\":\"irx-revoke-older-sessions\",\"DeactivatedKeys\":"
	    "[\"AKIAAAAAAAAAAAAAAAA1\"]}");

	/* already rolled back: only reads */
	fake_aws_reply(f, "iam:ListAccessKeys",
		       "{\"AccessKeyMetadata\":[{\"AccessKeyId\":\"AKIAAAAAAAAAAAAAAAA1\","
		       "\"Status\":\"Active\"}]}");
	fake_aws_reply(f, "iam:ListUserPolicies", "{\"PolicyNames\":[]}");
	fake_aws_reply(f, "iam:ListAttachedUserPolicies", "{\"AttachedPolicies\":[]}");
	run_rollback(f, "iamUser", undo, false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:ListAccessKeys,iam:ListUserPolicies,"
						       "iam:ListAttachedUserPolicies");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "released user 'alice': nothing left to undo; inline policy "
			       "'irx-revoke-older-sessions' was already gone, "
			       "'arn:aws:iam::aws:policy/AWSDenyAll' was already detached");
	run_release(&r);
	json_object_put(undo);

	/* an undo record without a principal */
	undo = json_tokener_parse("{\"Action\":\"deny:iamUser\"}");
	run_rollback(f, "iamUser", undo, false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "undo record names no UserName or RoleName");
	run_release(&r);
	json_object_put(undo);
	fake_aws_free(f);
}

/* --- roles --------------------------------------------------------------------------------- */

static void script_role(struct fake_aws *f, const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"Role\":{\"RoleName\":\"role1\",\"Path\":\"%s\",\"Tags\":[]}}", path);
	fake_aws_reply(f, "iam:GetRole", buf);
	fake_aws_reply(f, "iam:ListAttachedRolePolicies", "{\"AttachedPolicies\":[]}");
	fake_aws_reply(f, "iam:ListRolePolicies", "{\"PolicyNames\":[]}");
	fake_aws_reply(f, "iam:AttachRolePolicy", "{}");
	fake_aws_reply(f, "iam:PutRolePolicy", "{}");
	fake_aws_reply(f, "iam:TagRole", "{}");
}

static void test_role_deny_all_with_path(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_role(f, "/service-role/");
	run_exec(f, "iamRole",
		 "{\"TargetArn\":\"arn:aws:iam::123456789012:role/service-role/role1\","
		 "\"Mode\":\"deny-all\"}",
		 false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:GetRole,iam:ListAttachedRolePolicies,"
						       "iam:AttachRolePolicy,iam:TagRole");
	/* seed defect: role/service-role/role1 is the role "role1" */
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 0), "RoleName"), "role1");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 2), "RoleName"), "role1");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 2), "PolicyArn"),
			       "arn:aws:iam::aws:policy/AWSDenyAll");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "denied role 'role1': attached AWSDenyAll: every current and future "
			       "session of the role is denied, every holder's included, until it "
			       "is detached");
	CU_ASSERT_STRING_EQUAL(pstr(r.res.undo, "RoleName"), "role1");
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 1);
	CU_ASSERT_EQUAL(fake_aws_batches(f), 2);
	run_release(&r);
	fake_aws_free(f);
}

static void test_role_revoke_older(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;
	struct json_object *undo = NULL;

	script_role(f, "/");
	run_exec(f, "iamRole",
		 "{\"TargetArn\":\"arn:aws:iam::123456789012:role/role1\","
		 "\"Mode\":\"revoke-older-sessions\"}",
		 false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:GetRole,iam:ListRolePolicies,"
						       "iam:PutRolePolicy,iam:TagRole");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 2), "PolicyName"), "irx-revoke-older-sessions");
	IRX_ASSERT_CONTAINS(pstr(call_params(f, 2), "PolicyDocument"),
			    "\"DateLessThan\":{\"aws:TokenIssueTime\":\"");
	IRX_ASSERT_CONTAINS(r.res.message, "denied role 'role1': sessions issued before ");
	IRX_ASSERT_CONTAINS(r.res.message, " are denied; sessions issued after it are not, so "
					   "whoever can still assume the role can get a new one");
	undo = json_object_get(r.res.undo);
	run_release(&r);

	/* rollback deletes the inline policy and the tags */
	fake_aws_free(f);
	f = fake_aws_new();
	fake_aws_reply(f, "iam:UntagRole", "{}");
	fake_aws_reply(f, "iam:ListRolePolicies",
		       "{\"PolicyNames\":[\"irx-revoke-older-sessions\"]}");
	fake_aws_reply(f, "iam:DeleteRolePolicy", "{}");
	run_rollback(f, "iamRole", undo, false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:UntagRole,iam:ListRolePolicies,"
						       "iam:DeleteRolePolicy");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 2), "RoleName"), "role1");
	run_release(&r);
	json_object_put(undo);
	fake_aws_free(f);
}

static void test_role_idempotent(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	fake_aws_reply(f, "iam:GetRole", "{\"Role\":{\"RoleName\":\"role1\",\"Path\":\"/\"}}");
	fake_aws_reply(f, "iam:ListAttachedRolePolicies",
		       "{\"AttachedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::aws:policy/"
		       "AWSDenyAll\"}]}");
	run_exec(f, "iamRole",
		 "{\"TargetArn\":\"arn:aws:iam::123456789012:role/role1\","
		 "\"Mode\":\"deny-all\"}",
		 false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:GetRole,iam:ListAttachedRolePolicies");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "role 'role1' already contained: AWSDenyAll attached");
	run_release(&r);
	fake_aws_free(f);
}

static void test_role_service_linked(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	/* by the ARN's path: refused before any call */
	run_exec(f, "iamRole",
		 "{\"TargetArn\":\"arn:aws:iam::123456789012:role/aws-service-role/"
		 "elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing\","
		 "\"Mode\":\"deny-all\"}",
		 false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "");
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "cannot deny role 'AWSServiceRoleForElasticLoadBalancing': it is a service-linked "
	    "role (path '/aws-service-role/elasticloadbalancing.amazonaws.com/'); IAM does not "
	    "allow policies on service-linked roles: contain the service or the principals that "
	    "use it instead");
	run_release(&r);
	fake_aws_free(f);

	/* by what GetRole says (an ARN given without its path) */
	f = fake_aws_new();
	script_role(f, "/aws-service-role/ssm.amazonaws.com/");
	run_exec(f, "iamRole",
		 "{\"TargetArn\":\"arn:aws:iam::123456789012:role/role1\","
		 "\"Mode\":\"revoke-older-sessions\"}",
		 false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:GetRole,iam:ListRolePolicies");
	IRX_ASSERT_CONTAINS(fake_aws_failure(f),
			    "cannot deny role 'role1': it is a service-linked "
			    "role (path '/aws-service-role/ssm.amazonaws.com/')");
	run_release(&r);
	fake_aws_free(f);

	/* a bad mode */
	f = fake_aws_new();
	run_exec(f, "iamRole",
		 "{\"TargetArn\":\"arn:aws:iam::123456789012:role/role1\",\"Mode\":\"nuke\"}",
		 false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "unknown Mode 'nuke': use 'deny-all' or 'revoke-older-sessions'");
	run_release(&r);
	fake_aws_free(f);
}

static void test_role_dry_run(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_role(f, "/");
	run_exec(f, "iamRole",
		 "{\"TargetArn\":\"arn:aws:iam::123456789012:role/role1\","
		 "\"Mode\":\"deny-all\"}",
		 true, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "would deny role 'role1': attach AWSDenyAll: every current and "
			       "future session of the role is denied, every holder's included, "
			       "until it is detached");
	run_release(&r);
	fake_aws_free(f);
}

/* --- access keys --------------------------------------------------------------------------- */

static void script_key(struct fake_aws *f, const char *status, const char *inline_json)
{
	char buf[512];

	fake_aws_reply(f, "iam:GetAccessKeyLastUsed",
		       "{\"UserName\":\"bob\",\"AccessKeyLastUsed\":{\"ServiceName\":\"s3\","
		       "\"Region\":\"us-east-1\"}}");
	fake_aws_reply(f, "iam:GetUser",
		       "{\"User\":{\"UserName\":\"bob\",\"Arn\":"
		       "\"arn:aws-us-gov:iam::123456789012:user/ops/bob\"}}");
	snprintf(buf, sizeof(buf),
		 "{\"AccessKeyMetadata\":[{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\"Status\":"
		 "\"%s\"},{\"AccessKeyId\":\"AKIAOTHERKEY00000000\",\"Status\":\"Active\"}]}",
		 status);
	fake_aws_reply(f, "iam:ListAccessKeys", buf);
	fake_aws_reply(f, "iam:ListUserPolicies", inline_json);
	fake_aws_reply(f, "iam:UpdateAccessKey", "{}");
	fake_aws_reply(f, "iam:PutUserPolicy", "{}");
	fake_aws_reply(f, "iam:TagUser", "{}");
}

static void test_key_sequence(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	script_key(f, "Active", "{\"PolicyNames\":[]}");
	run_exec(f, "accessKey", "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "iam:GetAccessKeyLastUsed,iam:GetUser,iam:ListAccessKeys,"
			       "iam:ListUserPolicies,iam:UpdateAccessKey,iam:PutUserPolicy,"
			       "iam:TagUser");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 4), "UserName"), "bob");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 4), "AccessKeyId"), "AKIAIOSFODNN7EXAMPLE");
	CU_ASSERT_STRING_EQUAL(pstr(call_params(f, 5), "UserName"), "bob");
	CU_ASSERT_STRING_EQUAL(pstr(r.res.undo, "Partition"), "aws-us-gov");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(json_object_object_get(r.res.undo, "DeactivatedKeys"),
					   JSON_C_TO_STRING_PLAIN),
	    "[\"AKIAIOSFODNN7EXAMPLE\"]");
	IRX_ASSERT_CONTAINS(r.res.message, "contained access key 'AKIAIOSFODNN7EXAMPLE' of user "
					   "'bob': deactivated the key, revoked the owner's "
					   "sessions issued before ");
	run_release(&r);
	fake_aws_free(f);

	/* the key id as the target, the owner's ARN checked */
	f = fake_aws_new();
	script_key(f, "Inactive", "{\"PolicyNames\":[\"irx-revoke-older-sessions\"]}");
	run_exec(f, "accessKey", "{\"TargetArn\":\"AKIAIOSFODNN7EXAMPLE\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:GetAccessKeyLastUsed,iam:GetUser,"
						       "iam:ListAccessKeys,iam:ListUserPolicies");
	CU_ASSERT_STRING_EQUAL(r.res.message,
			       "access key 'AKIAIOSFODNN7EXAMPLE' of user 'bob' "
			       "already contained: inactive, older sessions revoked");
	run_release(&r);
	fake_aws_free(f);
}

static void test_key_refusals(void)
{
	struct {
		const char *inputs, *message, *calls;
	} cases[] = {
	    {"{}", "deny:accessKey needs an AccessKeyId (or the key id as TargetArn)", ""},
	    {"{\"AccessKeyId\":\"ASIAIOSFODNN7EXAMPLE\"}",
	     "cannot deactivate access key 'ASIAIOSFODNN7EXAMPLE': it is temporary (ASIA), issued "
	     "by STS; revoke the sessions of the role or user that issued it instead",
	     ""},
	    {"{\"AccessKeyId\":\"not-a-key\"}", "'not-a-key' is not an access key id", ""},
	    {"{\"TargetArn\":\"AKIAIOSFODNN7EXAMPLE\",\"AccessKeyId\":\"AKIAOTHERKEY00000000\"}",
	     "TargetArn 'AKIAIOSFODNN7EXAMPLE' and AccessKeyId 'AKIAOTHERKEY00000000' name "
	     "different keys",
	     ""},
	    {"{\"TargetArn\":\"arn:aws:iam::123456789012:user/team/carol\","
	     "\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"}",
	     "cannot deny access key 'AKIAIOSFODNN7EXAMPLE': it belongs to user 'bob', not to "
	     "'carol' named by TargetArn",
	     "iam:GetAccessKeyLastUsed"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_aws *f = fake_aws_new();
		struct run r;

		script_key(f, "Active", "{\"PolicyNames\":[]}");
		run_exec(f, "accessKey", cases[i].inputs, false, &r);
		CU_ASSERT_EQUAL(r.rc, -1);
		CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), cases[i].message);
		CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), cases[i].calls);
		run_release(&r);
		fake_aws_free(f);
	}
}

static void test_key_unknown(void)
{
	struct fake_aws *f = fake_aws_new();
	struct run r;

	fake_aws_error(f, "iam:GetAccessKeyLastUsed", 403, "AccessDenied",
		       "not authorized to perform iam:GetAccessKeyLastUsed");
	run_exec(f, "accessKey", "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"}", false, &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "AccessDenied: not authorized to perform iam:GetAccessKeyLastUsed "
			       "(HTTP 403, request id fake-0001)");
	CU_ASSERT_EQUAL(json_object_object_length(r.res.undo), 0);
	run_release(&r);
	fake_aws_free(f);
}

static void test_actions_declared(void)
{
	const struct irx_plugin *p = irx_plugin_entry_deny();
	const char *names[] = {"iamUser", "iamRole", "accessKey"};

	CU_ASSERT_STRING_EQUAL(p->name, "deny");
	for (size_t i = 0; i < 3; i++) {
		const struct irx_action *a = action(names[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(a->flags, IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT);
		CU_ASSERT_PTR_NOT_NULL(a->rollback);
		/* the exception gate reads the resource named by TargetArn */
		CU_ASSERT_STRING_EQUAL(a->params[0].name, "TargetArn");
		CU_ASSERT_TRUE(a->params[0].flags & IRX_PARAM_RESOURCE);
	}
	CU_ASSERT_STRING_EQUAL(action("iamRole")->params[1].default_value, "deny-all");
}

static CU_TestInfo tests[] = {
    {"user: exact sequence, path in ARN, undo", test_user_sequence},
    {"user: second run is already contained", test_user_idempotent},
    {"user: no console password", test_user_without_password},
    {"user: dry-run", test_user_dry_run},
    {"user: AccessDenied mid-way, partial undo", test_user_error_partial_undo},
    {"user: recent keys and MFA devices reported", test_user_recent_reported},
    {"user: refusals and bad ARNs", test_user_refusals},
    {"user: partition-aware AWSDenyAll", test_user_partition},
    {"user: rollback, password not restorable", test_user_rollback},
    {"user: rollback twice", test_user_rollback_twice},
    {"role: deny-all, service-role path (seed defect)", test_role_deny_all_with_path},
    {"role: revoke-older-sessions and rollback", test_role_revoke_older},
    {"role: already contained", test_role_idempotent},
    {"role: service-linked refused, bad mode", test_role_service_linked},
    {"role: dry-run", test_role_dry_run},
    {"access key: owner resolved, idempotent", test_key_sequence},
    {"access key: refusals", test_key_refusals},
    {"access key: error propagates", test_key_unknown},
    {"declared", test_actions_declared},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("plugin_deny", tests, NULL, NULL)
