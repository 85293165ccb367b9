/* SPDX-License-Identifier: Apache-2.0 */
/* aws:branch: every operator, nesting, Default, and the failures SSM would report. */
#include <string.h>

#include "builtins.h"
#include "host.h"
#include "test.h"

struct branch_run {
	int rc;
	char next[128]; /* "" when none */
	char error[1024];
	char message[128];
};

/* Runs aws:branch on inputs written as JSON. */
static struct branch_run branch(const char *json)
{
	struct branch_run r = {0};
	struct irx_call call;
	struct irx_context ctx = {0};
	struct irx_result res = {0};
	struct json_object *inputs = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(inputs);
	irx_call_init(&call);
	ctx.size = sizeof(ctx);
	ctx.host = irx_host_table(false);
	ctx.call = &call;
	ctx.step_name = "choose";
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	r.rc = irx_builtin_branch(&ctx, inputs, &res);
	if (res.next_step)
		snprintf(r.next, sizeof(r.next), "%s", res.next_step);
	if (res.message)
		snprintf(r.message, sizeof(r.message), "%s", res.message);
	snprintf(r.error, sizeof(r.error), "%s", call.error.message);
	json_object_put(res.outputs);
	json_object_put(res.undo);
	json_object_put(inputs);
	irx_call_release(&call);
	return r;
}

/* One choice "op: value" against variable; returns 1 if it chose "yes", 0 if Default. */
static int test_op(const char *var, const char *op, const char *value)
{
	char buf[512];
	struct branch_run r;

	snprintf(buf, sizeof(buf),
		 "{\"Choices\":[{\"NextStep\":\"yes\",\"Variable\":%s,\"%s\":%s}],"
		 "\"Default\":\"no\"}",
		 var, op, value);
	r = branch(buf);
	CU_ASSERT_EQUAL(r.rc, 0);
	if (r.rc != 0)
		fprintf(stderr, "\n  %s %s %s: %s\n", var, op, value, r.error);
	return strcmp(r.next, "yes") == 0;
}

static void test_string_operators(void)
{
	CU_ASSERT_TRUE(test_op("\"linux\"", "StringEquals", "\"linux\""));
	CU_ASSERT_FALSE(test_op("\"Linux\"", "StringEquals", "\"linux\""));
	CU_ASSERT_TRUE(test_op("\"Linux\"", "EqualsIgnoreCase", "\"lINUX\""));
	CU_ASSERT_FALSE(test_op("\"Linux2\"", "EqualsIgnoreCase", "\"linux\""));
	CU_ASSERT_TRUE(test_op("\"i-0abc\"", "StartsWith", "\"i-\""));
	CU_ASSERT_FALSE(test_op("\"vol-0abc\"", "StartsWith", "\"i-\""));
	CU_ASSERT_TRUE(test_op("\"role/admin\"", "EndsWith", "\"admin\""));
	CU_ASSERT_FALSE(test_op("\"admin/role\"", "EndsWith", "\"admin\""));
	CU_ASSERT_TRUE(test_op("\"arn:aws:lambda:x:function:f\"", "Contains", "\":function:\""));
	CU_ASSERT_FALSE(test_op("\"arn:aws:iam::1:role/r\"", "Contains", "\":function:\""));
	/* Empty prefix/suffix/substring is always there. */
	CU_ASSERT_TRUE(test_op("\"abc\"", "StartsWith", "\"\""));
	CU_ASSERT_TRUE(test_op("\"\"", "EndsWith", "\"\""));
	/* Numbers compared as text by string operators. */
	CU_ASSERT_TRUE(test_op("42", "StringEquals", "\"42\""));
	CU_ASSERT_TRUE(test_op("true", "StringEquals", "\"true\""));
}

static void test_contains_list(void)
{
	CU_ASSERT_TRUE(test_op("[\"a\",\"b\",\"sg-1\"]", "Contains", "\"sg-1\""));
	CU_ASSERT_FALSE(test_op("[\"a\",\"b\"]", "Contains", "\"sg-1\""));
	/* Membership, not substring, on a list. */
	CU_ASSERT_FALSE(test_op("[\"sg-12\"]", "Contains", "\"sg-1\""));
	CU_ASSERT_FALSE(test_op("[]", "Contains", "\"x\""));
}

static void test_numeric_operators(void)
{
	CU_ASSERT_TRUE(test_op("3", "NumericEquals", "3"));
	CU_ASSERT_TRUE(test_op("3.0", "NumericEquals", "3"));
	CU_ASSERT_FALSE(test_op("3", "NumericEquals", "4"));
	CU_ASSERT_TRUE(test_op("5", "NumericGreater", "4"));
	CU_ASSERT_FALSE(test_op("4", "NumericGreater", "4"));
	CU_ASSERT_TRUE(test_op("3", "NumericLesser", "4"));
	CU_ASSERT_FALSE(test_op("4", "NumericLesser", "4"));
	CU_ASSERT_TRUE(test_op("4", "NumericGreaterOrEquals", "4"));
	CU_ASSERT_FALSE(test_op("3", "NumericGreaterOrEquals", "4"));
	CU_ASSERT_TRUE(test_op("4", "NumericLesserOrEquals", "4"));
	CU_ASSERT_FALSE(test_op("5", "NumericLesserOrEquals", "4"));
	CU_ASSERT_TRUE(test_op("-2.5", "NumericLesser", "-2"));
	/* A String parameter holding a number compares as a number. */
	CU_ASSERT_TRUE(test_op("\"10\"", "NumericGreater", "9"));
	CU_ASSERT_TRUE(test_op("\"1e3\"", "NumericEquals", "1000"));
}

static void test_boolean_operator(void)
{
	CU_ASSERT_TRUE(test_op("true", "BooleanEquals", "true"));
	CU_ASSERT_FALSE(test_op("false", "BooleanEquals", "true"));
	CU_ASSERT_TRUE(test_op("\"false\"", "BooleanEquals", "false"));
	CU_ASSERT_TRUE(test_op("\"True\"", "BooleanEquals", "true"));
}

static void test_first_true_choice_wins(void)
{
	struct branch_run r =
	    branch("{\"Choices\":["
		   "{\"NextStep\":\"a\",\"Variable\":\"x\",\"StringEquals\":\"y\"},"
		   "{\"NextStep\":\"b\",\"Variable\":\"x\",\"StringEquals\":\"x\"},"
		   "{\"NextStep\":\"c\",\"Variable\":\"x\",\"StartsWith\":\"x\"}],"
		   "\"Default\":\"d\"}");

	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(r.next, "b");
}

static void test_default_and_fallthrough(void)
{
	struct branch_run r = branch("{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"x\","
				     "\"StringEquals\":\"y\"}],\"Default\":\"d\"}");

	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(r.next, "d");
	CU_ASSERT_STRING_EQUAL(r.message, "no choice matched: Default");
	/* SSM: no Default -> the automation goes on with the next step; the step succeeds. */
	r = branch(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"x\",\"StringEquals\":\"y\"}]}");
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(r.next, "");
	CU_ASSERT_STRING_EQUAL(r.message, "no choice matched and no Default: next step");
}

static void test_and_or_not(void)
{
	const char *fmt = "{\"Choices\":[{\"NextStep\":\"yes\",%s}],\"Default\":\"no\"}";
	char buf[1024];
	struct {
		const char *cond;
		const char *want;
	} cases[] = {
	    {"\"And\":[{\"Variable\":\"a\",\"StringEquals\":\"a\"},"
	     "{\"Variable\":2,\"NumericGreater\":1}]",
	     "yes"},
	    {"\"And\":[{\"Variable\":\"a\",\"StringEquals\":\"a\"},"
	     "{\"Variable\":2,\"NumericGreater\":3}]",
	     "no"},
	    {"\"Or\":[{\"Variable\":\"a\",\"StringEquals\":\"b\"},"
	     "{\"Variable\":true,\"BooleanEquals\":true}]",
	     "yes"},
	    {"\"Or\":[{\"Variable\":\"a\",\"StringEquals\":\"b\"},"
	     "{\"Variable\":true,\"BooleanEquals\":false}]",
	     "no"},
	    {"\"Not\":{\"Variable\":\"a\",\"StringEquals\":\"b\"}", "yes"},
	    {"\"Not\":{\"Variable\":\"a\",\"StringEquals\":\"a\"}", "no"},
	    /* nested: And(Or(false, true), Not(false)) */
	    {"\"And\":[{\"Or\":[{\"Variable\":1,\"NumericEquals\":2},"
	     "{\"Variable\":\"i-1\",\"StartsWith\":\"i-\"}]},"
	     "{\"Not\":{\"Variable\":\"x\",\"Contains\":\"y\"}}]",
	     "yes"},
	    /* Not(Or(And(true,false), false)) = true */
	    {"\"Not\":{\"Or\":[{\"And\":[{\"Variable\":1,\"NumericEquals\":1},"
	     "{\"Variable\":1,\"NumericEquals\":2}]},{\"Variable\":\"a\",\"EndsWith\":\"b\"}]}",
	     "yes"},
	    {"\"Not\":{\"Not\":{\"Variable\":\"a\",\"StringEquals\":\"a\"}}", "yes"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct branch_run r;

		snprintf(buf, sizeof(buf), fmt, cases[i].cond);
		r = branch(buf);
		CU_ASSERT_EQUAL(r.rc, 0);
		if (strcmp(r.next, cases[i].want) != 0)
			fprintf(stderr, "\n  case %zu: want %s got '%s' (%s)\n", i, cases[i].want,
				r.next, r.error);
		CU_ASSERT_STRING_EQUAL(r.next, cases[i].want);
	}
}

static void expect_error(const char *json, const char *msg)
{
	struct branch_run r = branch(json);

	CU_ASSERT_EQUAL(r.rc, -1);
	if (strcmp(r.error, msg) != 0)
		fprintf(stderr, "\n  want: %s\n  got:  %s\n", msg, r.error);
	CU_ASSERT_STRING_EQUAL(r.error, msg);
}

static void test_type_mismatches(void)
{
	expect_error(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"abc\",\"NumericEquals\":1}]}",
	    "choice 1: NumericEquals needs a numeric Variable, got the string 'abc'");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":1,\"NumericEquals\":\"x\"}]}",
		     "choice 1: NumericEquals needs a number, got the string 'x'");
	expect_error(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"0x10\",\"NumericEquals\":16}]}",
	    "choice 1: NumericEquals needs a numeric Variable, got the string '0x10'");
	expect_error(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"yes\",\"BooleanEquals\":true}]}",
	    "choice 1: BooleanEquals needs a boolean Variable, got the string 'yes'");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":true,\"BooleanEquals\":1}]}",
		     "choice 1: BooleanEquals needs true or false, got the number '1'");
	expect_error(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":[\"x\"],\"StringEquals\":\"x\"}]}",
	    "choice 1: StringEquals needs a string Variable, got a list");
	expect_error(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"x\",\"StringEquals\":[\"x\"]}]}",
	    "choice 1: StringEquals needs a string, got a list");
	expect_error(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":{\"k\":1},\"NumericLesser\":1}]}",
	    "choice 1: NumericLesser needs a numeric Variable, got the map '{ \"k\": 1 }'");
	/* A mismatch inside a nested condition names the top-level choice. */
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"x\",\"StringEquals\":\"y\"},"
		     "{\"NextStep\":\"b\",\"And\":[{\"Variable\":\"q\",\"NumericGreater\":1}]}]}",
		     "choice 2: NumericGreater needs a numeric Variable, got the string 'q'");
}

static void test_malformed_choices(void)
{
	expect_error("{\"Choices\":[]}", "Choices: at least one choice is required");
	expect_error("{\"Choices\":[{\"Variable\":\"x\",\"StringEquals\":\"x\"}]}",
		     "choice 1: NextStep (a step name) is required");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"x\"}]}",
		     "choice 1: no operator");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"x\",\"StringEquals\":\"x\","
		     "\"StartsWith\":\"x\"}]}",
		     "choice 1: more than one operator");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"x\",\"StringLike\":\"x\"}]}",
		     "choice 1: unknown key 'StringLike'");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"StringEquals\":\"x\"}]}",
		     "choice 1: StringEquals needs a Variable");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"And\":[]}]}",
		     "choice 1: And needs a non-empty list of conditions");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"Or\":{\"Variable\":\"x\","
		     "\"StringEquals\":\"x\"}}]}",
		     "choice 1: Or needs a non-empty list of conditions");
	expect_error("{\"Choices\":[{\"NextStep\":\"a\",\"Not\":[{\"Variable\":\"x\","
		     "\"StringEquals\":\"x\"}]}]}",
		     "choice 1: a condition must be a map, got a list");
	expect_error(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"Variable\":\"x\",\"And\":[{\"Variable\":\"x\","
	    "\"StringEquals\":\"x\"}]}]}",
	    "choice 1: Variable cannot be used with And");
	expect_error(
	    "{\"Choices\":[{\"NextStep\":\"a\",\"And\":[{\"NextStep\":\"b\",\"Variable\":\"x\","
	    "\"StringEquals\":\"x\"}]}]}",
	    "choice 1: NextStep is only allowed on a top-level choice");
}

static void test_depth_bound(void)
{
	char buf[4096] = "{\"Choices\":[{\"NextStep\":\"a\",";
	size_t n = strlen(buf);

	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"Not\":{");
	n +=
	    (size_t)snprintf(buf + n, sizeof(buf) - n, "\"Variable\":\"x\",\"StringEquals\":\"x\"");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}");
	snprintf(buf + n, sizeof(buf) - n, "}]}");
	expect_error(buf, "choice 1: conditions nested deeper than 16");
}

static CU_TestInfo tests[] = {
    {"string operators", test_string_operators},
    {"contains on a list", test_contains_list},
    {"numeric operators", test_numeric_operators},
    {"boolean operator", test_boolean_operator},
    {"first true choice wins", test_first_true_choice_wins},
    {"default and fall-through", test_default_and_fallthrough},
    {"and / or / not, nested", test_and_or_not},
    {"type mismatches fail the step", test_type_mismatches},
    {"malformed choices", test_malformed_choices},
    {"nesting depth bound", test_depth_bound},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("branch", tests, NULL, NULL)
