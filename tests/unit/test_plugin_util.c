/* SPDX-License-Identifier: Apache-2.0 */
/* include/irx/plugin_util.h: the helpers plugins share, against the fake host (current and
 * older host tables). */
#include <stddef.h>
#include <string.h>

#include "fake_aws.h"
#include "irx/plugin_util.h"
#include "test.h"

static struct json_object *parse(const char *s)
{
	return json_tokener_parse(s);
}

/* The fake host cut down to an older table: members from `member` on are not there. */
static void host_cut(const struct irx_context *ctx, size_t size)
{
	((struct irx_host *)ctx->host)->size = (uint32_t)size;
}

static void test_accessors(void)
{
	struct json_object *o =
	    parse("{\"s\":\"x\",\"e\":\"\",\"n\":1,\"z\":0,\"a\":[\"p\",2,\"q\"],"
		  "\"o\":{\"k\":\"v\"},\"t\":true,\"f\":false,\"nul\":null,"
		  "\"tags\":[{\"Key\":\"a\",\"Value\":\"1\"},{\"Key\":\"b\"}]}");
	struct json_object *arr = json_object_new_array();

	CU_ASSERT_STRING_EQUAL(irx_json_str(o, "s"), "x");
	CU_ASSERT_PTR_NULL(irx_json_str(o, "n"));
	CU_ASSERT_PTR_NULL(irx_json_str(o, "missing"));
	CU_ASSERT_PTR_NULL(irx_json_str(NULL, "s"));
	CU_ASSERT_PTR_NULL(irx_json_str(arr, "s")); /* not an object */
	CU_ASSERT_STRING_EQUAL(irx_json_nonempty(o, "s"), "x");
	CU_ASSERT_PTR_NULL(irx_json_nonempty(o, "e"));
	CU_ASSERT_PTR_NOT_NULL(irx_json_array(o, "a"));
	CU_ASSERT_PTR_NULL(irx_json_array(o, "o"));
	CU_ASSERT_PTR_NOT_NULL(irx_json_object(o, "o"));
	CU_ASSERT_PTR_NULL(irx_json_object(o, "a"));
	CU_ASSERT_PTR_NULL(irx_json_get(o, "nul"));
	CU_ASSERT_PTR_NOT_NULL(irx_json_get(o, "n"));
	CU_ASSERT_TRUE(irx_json_bool(o, "t"));
	CU_ASSERT_TRUE(irx_json_bool(o, "n"));
	CU_ASSERT_FALSE(irx_json_bool(o, "f"));
	CU_ASSERT_FALSE(irx_json_bool(o, "z"));
	CU_ASSERT_FALSE(irx_json_bool(o, "nul"));
	CU_ASSERT_FALSE(irx_json_bool(o, "missing"));
	CU_ASSERT_FALSE(irx_json_bool(NULL, "t"));
	/* only strings match; "2" is not the number 2 */
	CU_ASSERT_TRUE(irx_json_array_has(irx_json_array(o, "a"), "q"));
	CU_ASSERT_FALSE(irx_json_array_has(irx_json_array(o, "a"), "2"));
	CU_ASSERT_FALSE(irx_json_array_has(NULL, "q"));
	CU_ASSERT_FALSE(irx_json_array_has(o, "q"));
	CU_ASSERT_STRING_EQUAL(
	    irx_json_str(irx_json_array_find(irx_json_array(o, "tags"), "Key", "a"), "Value"), "1");
	CU_ASSERT_PTR_NOT_NULL(irx_json_array_find(irx_json_array(o, "tags"), "Key", "b"));
	CU_ASSERT_PTR_NULL(irx_json_array_find(irx_json_array(o, "tags"), "Key", "c"));
	CU_ASSERT_PTR_NULL(irx_json_array_find(NULL, "Key", "a"));
	json_object_put(arr);
	json_object_put(o);
}

static void test_strings_and_text(void)
{
	struct json_object *p = irx_json_strings("UserName", "u", "Status", "Inactive", NULL);
	char buf[16] = "";
	char when[32] = "";

	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN),
			       "{\"UserName\":\"u\",\"Status\":\"Inactive\"}");
	irx_text_add(buf, sizeof(buf), ", ", "%s", "one");
	irx_text_add(buf, sizeof(buf), ", ", "%d", 2);
	CU_ASSERT_STRING_EQUAL(buf, "one, 2");
	irx_text_add(buf, sizeof(buf), "; ", "%s", "three-four");
	CU_ASSERT_STRING_EQUAL(buf, "one, 2; three-f"); /* cut at the buffer's end */
	irx_text_add(buf, sizeof(buf), "; ", "%s", "more");
	CU_ASSERT_STRING_EQUAL(buf, "one, 2; three-f"); /* full: nothing added */
	irx_iso8601_now(when, sizeof(when));
	CU_ASSERT_EQUAL(strlen(when), 20);
	CU_ASSERT_EQUAL(when[10], 'T');
	CU_ASSERT_EQUAL(when[19], 'Z');
	json_object_put(p);
}

static void test_call_and_no_client(void)
{
	struct fake_aws *f = fake_aws_new();
	const struct irx_context *ctx = fake_aws_context(f, "s", false);
	static const char *const none[] = {"NoSuchEntity", NULL};
	struct json_object *resp = NULL;

	fake_aws_reply(f, "iam:GetUser", "{\"User\":{\"UserName\":\"u\"}}");
	fake_aws_error(f, "iam:GetLoginProfile", 404, "NoSuchEntity", "no profile");
	CU_ASSERT_EQUAL(
	    irx_call_aws(ctx, "iam", "GetUser", irx_json_strings("UserName", "u", NULL), &resp), 0);
	CU_ASSERT_STRING_EQUAL(irx_json_str(irx_json_object(resp, "User"), "UserName"), "u");
	json_object_put(resp);
	CU_ASSERT_EQUAL(irx_call_aws_expect(ctx, "iam", "GetLoginProfile",
					    irx_json_strings("UserName", "u", NULL), none, &resp),
			1);
	CU_ASSERT_PTR_NULL(resp);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	/* a 1.0 host has no aws_call_expect: the code fails the step (nothing is assumed) */
	host_cut(ctx, offsetof(struct irx_host, aws_call_expect));
	CU_ASSERT_EQUAL(irx_call_aws_expect(ctx, "iam", "GetLoginProfile",
					    irx_json_strings("UserName", "u", NULL), none, &resp),
			-1);
	IRX_ASSERT_CONTAINS(fake_aws_failure(f), "NoSuchEntity: no profile");
	fake_aws_free(f);

	f = fake_aws_new();
	ctx = fake_aws_context(f, "s", false);
	((struct irx_host *)ctx->host)->aws_call = NULL;
	CU_ASSERT_EQUAL(
	    irx_call_aws(ctx, "iam", "GetUser", irx_json_strings("UserName", "u", NULL), NULL), -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "cannot call iam:GetUser: no AWS client");
	fake_aws_free(f);
}

/* One page with a NextToken, then a failure. */
static int page_then_fail(void *ud, struct fake_aws *f, struct json_object *params,
			  struct json_object **response)
{
	int *pages = ud;

	(void)params;
	if ((*pages)++ == 0) {
		*response = parse("{\"Snapshots\":[{\"SnapshotId\":\"s1\"}],\"NextToken\":\"t1\"}");
		return 0;
	}
	fake_aws_set_error(f, 503, "ServiceUnavailable", "later");
	return -1;
}

static void test_list_pages(void)
{
	struct fake_aws *f = fake_aws_new();
	const struct irx_context *ctx = fake_aws_context(f, "s", false);
	struct json_object *items = NULL, *first = NULL, *calls = NULL;
	int pages = 0;

	/* IAM: IsTruncated and Marker; a Marker without IsTruncated ends the list */
	fake_aws_reply(f, "iam:ListUserPolicies",
		       "{\"PolicyNames\":[\"a\"],\"IsTruncated\":true,\"Marker\":\"m1\"}");
	fake_aws_reply(f, "iam:ListUserPolicies",
		       "{\"PolicyNames\":[\"b\",\"c\"],\"IsTruncated\":false,\"Marker\":\"m2\"}");
	CU_ASSERT_EQUAL(irx_call_aws_list(ctx, "iam", "ListUserPolicies",
					  irx_json_strings("UserName", "u", NULL), "PolicyNames",
					  IRX_PAGING_IAM, NULL, &items),
			0);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(items, JSON_C_TO_STRING_PLAIN),
			       "[\"a\",\"b\",\"c\"]");
	calls = fake_aws_calls(f);
	CU_ASSERT_EQUAL(json_object_array_length(calls), 2);
	CU_ASSERT_PTR_NULL(
	    irx_json_str(irx_json_object(json_object_array_get_idx(calls, 0), "params"), "Marker"));
	CU_ASSERT_STRING_EQUAL(
	    irx_json_str(irx_json_object(json_object_array_get_idx(calls, 1), "params"), "Marker"),
	    "m1");
	json_object_put(items);

	/* Lambda: NextMarker out, Marker in; the first page already fetched */
	first = parse("{\"Functions\":[{\"FunctionName\":\"f1\"}],\"NextMarker\":\"n1\"}");
	fake_aws_reply(f, "lambda:ListFunctions", "{\"Functions\":[{\"FunctionName\":\"f2\"}]}");
	CU_ASSERT_EQUAL(irx_call_aws_list(ctx, "lambda", "ListFunctions", json_object_new_object(),
					  "Functions", IRX_PAGING_NEXT_MARKER, first, &items),
			0);
	CU_ASSERT_EQUAL(json_object_array_length(items), 2);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "iam:ListUserPolicies,iam:ListUserPolicies,lambda:ListFunctions");
	CU_ASSERT_STRING_EQUAL(
	    irx_json_str(irx_json_object(json_object_array_get_idx(fake_aws_calls(f), 2), "params"),
			 "Marker"),
	    "n1");
	json_object_put(items);
	json_object_put(first);

	/* a failed second page: no items, the step failed */
	fake_aws_handle(f, "ec2:DescribeSnapshots", page_then_fail, &pages);
	CU_ASSERT_EQUAL(irx_call_aws_list(ctx, "ec2", "DescribeSnapshots", json_object_new_object(),
					  "Snapshots", IRX_PAGING_NEXT_TOKEN, NULL, &items),
			-1);
	CU_ASSERT_PTR_NULL(items);
	IRX_ASSERT_CONTAINS(fake_aws_failure(f), "ServiceUnavailable: later");
	CU_ASSERT_EQUAL(pages, 2);
	CU_ASSERT_STRING_EQUAL(
	    irx_json_str(irx_json_object(json_object_array_get_idx(fake_aws_calls(f), 4), "params"),
			 "NextToken"),
	    "t1");
	fake_aws_free(f);
}

/* Two changes, the second refused: its undo entries (two members) come out, the first's stay. */
static void run_commit(bool old_host)
{
	struct fake_aws *f = fake_aws_new();
	const struct irx_context *ctx = fake_aws_context(f, "s", false);
	struct json_object *undo = json_object_new_object();
	struct irx_batch b = {0};
	size_t i = 0;

	if (old_host)
		host_cut(ctx, offsetof(struct irx_host, aws_call_many));
	fake_aws_reply(f, "iam:UpdateAccessKey", "{}");
	fake_aws_error(f, "iam:PutUserPolicy", 403, "AccessDenied", "no");
	json_object_array_add(irx_undo_list(undo, "DeactivatedKeys"), json_object_new_string("K1"));
	irx_batch_change(&b, "iam", "UpdateAccessKey",
			 irx_json_strings("AccessKeyId", "K1", "Status", "Inactive", NULL),
			 "DeactivatedKeys", "K1");
	json_object_object_add(undo, "InlinePolicy", json_object_new_string("p"));
	json_object_object_add(undo, "RevokedBefore", json_object_new_string("t"));
	i = irx_batch_change(&b, "iam", "PutUserPolicy", irx_json_strings("PolicyName", "p", NULL),
			     "InlinePolicy", NULL);
	irx_batch_undo(&b, i, "RevokedBefore", "");
	CU_ASSERT_EQUAL(i, 1);
	CU_ASSERT_EQUAL(irx_batch_commit(ctx, undo, &b), -1);
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 1);
	CU_ASSERT_EQUAL(fake_aws_batches(f), old_host ? 0 : 1);
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "iam:UpdateAccessKey,iam:PutUserPolicy");
	CU_ASSERT_FALSE(b.reqs[0].failed);
	CU_ASSERT_TRUE(b.reqs[1].failed);
	IRX_ASSERT_CONTAINS(fake_aws_failure(f), "AccessDenied: no");
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(undo, JSON_C_TO_STRING_PLAIN),
			       "{\"DeactivatedKeys\":[\"K1\"]}");
	irx_batch_release(&b);
	CU_ASSERT_EQUAL(b.n, 0);
	CU_ASSERT_PTR_NULL(b.reqs);
	/* an empty batch sends nothing and journals nothing */
	CU_ASSERT_EQUAL(irx_batch_commit(ctx, undo, &b), 0);
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 1);
	json_object_put(undo);
	fake_aws_free(f);
}

static void test_commit_many(void)
{
	run_commit(false);
}

static void test_commit_one_by_one(void)
{
	run_commit(true);
}

/* Reads with an expected code, on a host with aws_call_many and on one without it. */
static void run_reads(size_t size)
{
	static const char *const none[] = {"NoSuchEntity", NULL};
	static const char *const two[] = {"NoSuchEntity", "NotFound", NULL};
	struct fake_aws *f = fake_aws_new();
	const struct irx_context *ctx = fake_aws_context(f, "s", false);
	struct irx_batch b = {0};
	struct json_object *undo = json_object_new_object();
	size_t u = 0, l = 0, k = 0;

	if (size)
		host_cut(ctx, size);
	fake_aws_reply(f, "iam:GetUser", "{\"User\":{\"UserName\":\"u\"}}");
	fake_aws_error(f, "iam:GetLoginProfile", 404, "NoSuchEntity", "none");
	fake_aws_error(f, "iam:GetRole", 404, "NoSuchEntity", "none");
	/* more calls than the first allocation holds */
	for (int n = 0; n < 9; n++)
		u = irx_batch_add(&b, "iam", "GetUser", irx_json_strings("UserName", "u", NULL));
	l = irx_batch_add(&b, "iam", "GetLoginProfile", irx_json_strings("UserName", "u", NULL));
	b.reqs[l].expected = none;
	k = irx_batch_add(&b, "iam", "GetRole", irx_json_strings("RoleName", "r", NULL));
	b.reqs[k].expected = two;
	CU_ASSERT_EQUAL(b.n, 11);
	CU_ASSERT_EQUAL(irx_batch_send(ctx, &b), 0);
	CU_ASSERT_STRING_EQUAL(
	    irx_json_str(irx_json_object(b.reqs[u].response, "User"), "UserName"), "u");
	CU_ASSERT_PTR_NULL(b.reqs[l].response);
	CU_ASSERT_FALSE(b.reqs[l].failed);
	CU_ASSERT_STRING_EQUAL(b.reqs[l].expected_code, "NoSuchEntity");
	/* the host says which code it was; an older one only that one of them was */
	CU_ASSERT_STRING_EQUAL(b.reqs[k].expected_code,
			       size == offsetof(struct irx_host, aws_call_many) ? "*"
										: "NoSuchEntity");
	CU_ASSERT_STRING_EQUAL(b.reqs[u].expected_code, "");
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_EQUAL(fake_aws_batches(f), size ? 0 : 1);
	/* reads carry no undo entries: a commit that fails leaves the record alone */
	json_object_object_add(undo, "Kept", json_object_new_string("x"));
	irx_batch_release(&b);
	fake_aws_error(f, "iam:GetUser", 500, "InternalFailure", "boom");
	irx_batch_add(&b, "iam", "GetUser", irx_json_strings("UserName", "u", NULL));
	CU_ASSERT_EQUAL(irx_batch_commit(ctx, undo, &b), -1);
	CU_ASSERT_TRUE(b.reqs[0].failed);
	CU_ASSERT_STRING_EQUAL(irx_json_str(undo, "Kept"), "x");
	irx_batch_release(&b);
	json_object_put(undo);
	fake_aws_free(f);
}

static void test_reads_many(void)
{
	run_reads(0);
}

static void test_reads_one_by_one(void)
{
	run_reads(offsetof(struct irx_host, aws_call_many));
}

static void test_undo_remove(void)
{
	struct json_object *undo =
	    parse("{\"A\":[\"x\",\"y\"],\"B\":[\"z\"],\"M\":{\"k\":1},\"N\":\"keep\"}");

	irx_undo_remove(undo, "A", "x");
	irx_undo_remove(undo, "A", "absent");
	irx_undo_remove(undo, "B", "z");    /* the array goes once empty */
	irx_undo_remove(undo, "M", NULL);   /* the member itself */
	irx_undo_remove(undo, "Gone", "q"); /* nothing there: nothing happens */
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(undo, JSON_C_TO_STRING_PLAIN),
			       "{\"A\":[\"y\"],\"N\":\"keep\"}");
	CU_ASSERT_PTR_EQUAL(irx_undo_list(undo, "A"), irx_json_array(undo, "A"));
	CU_ASSERT_EQUAL(json_object_array_length(irx_undo_list(undo, "New")), 0);
	CU_ASSERT_PTR_NOT_NULL(irx_json_array(undo, "New"));
	json_object_put(undo);
}

static CU_TestInfo tests[] = {
    {"JSON accessors: types, NULL and missing keys", test_accessors},
    {"params from pairs; message text with separators, cut at the end", test_strings_and_text},
    {"one call, an expected code, an older host, no AWS client", test_call_and_no_client},
    {"paged lists: IAM, Lambda with the first page, a failed page", test_list_pages},
    {"commit: a refused change's undo entries come out (aws_call_many)", test_commit_many},
    {"commit: the same on a host without aws_call_many", test_commit_one_by_one},
    {"reads with expected codes (aws_call_many)", test_reads_many},
    {"reads with expected codes, one by one", test_reads_one_by_one},
    {"undo entries taken out", test_undo_remove},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("plugin_util", tests, NULL, NULL)
