/* SPDX-License-Identifier: Apache-2.0 */
/* Parameters: conversion from command-line text, checks, binding, allowedPattern. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "diag.h"
#include "params.h"
#include "runbook.h"
#include "test.h"

static const char *js(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static void expect_convert(enum irx_param_type t, const char *text, const char *json)
{
	struct irx_param_decl decl = {.name = "P", .type = t, .min_items = -1, .max_items = -1};
	char err[256] = "";
	struct json_object *v = irx_param_convert(&decl, text, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL(v);
	if (v) {
		if (strcmp(js(v), json) != 0)
			fprintf(stderr, "\n  '%s' -> %s, expected %s\n", text, js(v), json);
		CU_ASSERT_STRING_EQUAL(js(v), json);
	} else {
		fprintf(stderr, "\n  '%s': %s\n", text, err);
	}
	json_object_put(v);
}

static void expect_convert_error(enum irx_param_type t, const char *text, const char *msg)
{
	struct irx_param_decl decl = {.name = "P", .type = t, .min_items = -1, .max_items = -1};
	char err[256] = "";
	struct json_object *v = irx_param_convert(&decl, text, err, sizeof(err));

	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_STRING_EQUAL(err, msg);
	json_object_put(v);
}

static void test_convert(void)
{
	expect_convert(IRX_PARAM_STRING, " i-123, x ", "\" i-123, x \"");
	expect_convert(IRX_PARAM_STRING, "", "\"\"");
	expect_convert(IRX_PARAM_STRING_LIST, "a, b ,c", "[\"a\",\"b\",\"c\"]");
	expect_convert(IRX_PARAM_STRING_LIST, "one", "[\"one\"]");
	expect_convert(IRX_PARAM_STRING_LIST, "", "[]");
	expect_convert(IRX_PARAM_STRING_LIST, "[\"a,b\", \"c\"]", "[\"a,b\",\"c\"]");
	expect_convert(IRX_PARAM_INTEGER, "42", "42");
	expect_convert(IRX_PARAM_INTEGER, "-7", "-7");
	expect_convert(IRX_PARAM_BOOLEAN, "true", "true");
	expect_convert(IRX_PARAM_BOOLEAN, "False", "false");
	expect_convert(IRX_PARAM_MAP_LIST, "[{\"Name\":\"x\"}]", "[{\"Name\":\"x\"}]");
	expect_convert(IRX_PARAM_STRING_MAP, "{\"Env\": \"prod\"} ", "{\"Env\":\"prod\"}");

	expect_convert_error(IRX_PARAM_INTEGER, "4x", "'4x' is not an integer");
	expect_convert_error(IRX_PARAM_INTEGER, "", "'' is not an integer");
	expect_convert_error(IRX_PARAM_INTEGER, "3.5", "'3.5' is not an integer");
	expect_convert_error(IRX_PARAM_INTEGER, "99999999999999999999",
			     "'99999999999999999999' is not an integer");
	expect_convert_error(IRX_PARAM_BOOLEAN, "yes", "'yes' is not a boolean (true or false)");
	expect_convert_error(IRX_PARAM_STRING_LIST, "[1, 2]", "'[1, 2]' is not a list of strings");
	expect_convert_error(IRX_PARAM_STRING_LIST, "[\"a\"", "'[\"a\"' is not a list in JSON");
	expect_convert_error(IRX_PARAM_MAP_LIST, "[\"a\"]", "'[\"a\"]' is not a list of maps");
	expect_convert_error(IRX_PARAM_MAP_LIST, "{}", "'{}' is not a list in JSON");
	expect_convert_error(IRX_PARAM_STRING_MAP, "[]", "'[]' is not a map in JSON");
	expect_convert_error(IRX_PARAM_STRING_MAP, "{\"a\": 1} x",
			     "'{\"a\": 1} x' is not a map in JSON");
}

/* Checks value (JSON text) against a declaration given as a runbook parameter. */
static void expect_check(const char *decl_yaml, const char *value_json, const char *msg)
{
	char *text = NULL;
	struct irx_diags d = {0};
	struct irx_runbook *rb = NULL;
	struct json_object *v = json_tokener_parse(value_json);
	char err[512] = "";
	int rc = 0;

	if (asprintf(&text,
		     "schemaVersion: '0.3'\nparameters:\n  P: %s\nmainSteps: [{name: a, action: "
		     "aws:sleep, inputs: {Duration: PT1S}}]\n",
		     decl_yaml) < 0)
		abort();
	rb = irx_runbook_load_buffer("p.yaml", text, strlen(text), &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	if (d.count)
		irx_diags_print(&d, stderr);
	CU_ASSERT_EQUAL(d.count, 0);
	rc = irx_param_check(&rb->params[0], v, err, sizeof(err));
	if (msg) {
		CU_ASSERT_EQUAL(rc, -1);
		if (strcmp(err, msg) != 0)
			fprintf(stderr, "\n  %s with %s\n  got: %s\n  want: %s\n", decl_yaml,
				value_json, err, msg);
		CU_ASSERT_STRING_EQUAL(err, msg);
	} else {
		if (rc != 0)
			fprintf(stderr, "\n  %s with %s: %s\n", decl_yaml, value_json, err);
		CU_ASSERT_EQUAL(rc, 0);
	}
	json_object_put(v);
	irx_runbook_free(rb);
	irx_diags_release(&d);
	free(text);
}

static void test_check(void)
{
	expect_check("{type: String}", "\"x\"", NULL);
	expect_check("{type: String}", "3", "expected String, got integer");
	expect_check("{type: Integer}", "\"3\"", "expected Integer, got string");
	expect_check("{type: Integer}", "3.5", "expected Integer, got number");
	expect_check("{type: Boolean}", "\"true\"", "expected Boolean, got string");
	expect_check("{type: StringList}", "[\"a\", 1]",
		     "expected StringList, got a list with non-string items");
	expect_check("{type: MapList}", "[{}, []]",
		     "expected MapList, got a list with non-map items");
	expect_check("{type: StringMap}", "[]", "expected StringMap, got list");
	expect_check("{type: StringMap}", "null", "expected StringMap, got null");
	expect_check("{type: String, allowedValues: [a, b]}", "\"b\"", NULL);
	expect_check("{type: String, allowedValues: [a, b]}", "\"c\"",
		     "'c' is not one of the allowed values: a, b");
	expect_check("{type: Integer, allowedValues: [1, 3]}", "3", NULL);
	expect_check("{type: Integer, allowedValues: [1, 3]}", "2",
		     "'2' is not one of the allowed values: 1, 3");
	expect_check("{type: StringList, allowedValues: [x, y]}", "[\"x\", \"z\"]",
		     "'z' is not one of the allowed values: x, y");
	expect_check("{type: StringList, minItems: 2, maxItems: 3}", "[\"a\", \"b\"]", NULL);
	expect_check("{type: StringList, minItems: 2}", "[\"a\"]", "1 item, fewer than minItems 2");
	expect_check("{type: MapList, maxItems: 1}", "[{}, {}]", "2 items, more than maxItems 1");
	expect_check("{type: String, minChars: 2, maxChars: 4}", "\"h\\u00e9ll\"", NULL);
	expect_check("{type: String, minChars: 2}", "\"a\"",
		     "'a' has 1 characters, fewer than minChars 2");
	/* anchored at both ends, as Java's String.matches() */
	expect_check("{type: String, allowedPattern: 'i-[0-9a-f]+'}", "\"i-0abc\"", NULL);
	expect_check("{type: String, allowedPattern: 'i-[0-9a-f]+'}", "\"xi-0abc\"",
		     "'xi-0abc' does not match allowedPattern 'i-[0-9a-f]+'");
	expect_check("{type: String, allowedPattern: 'i-[0-9a-f]+'}", "\"i-0abcz\"",
		     "'i-0abcz' does not match allowedPattern 'i-[0-9a-f]+'");
	expect_check("{type: StringList, allowedPattern: '^\\d+$'}", "[\"1\", \"22\"]", NULL);
	expect_check("{type: StringList, allowedPattern: '^\\d+$'}", "[\"1\", \"2a\"]",
		     "'2a' does not match allowedPattern '^\\d+$'");
	expect_check("{type: String, allowedPattern: '(unclosed'}", "\"x\"",
		     "invalid allowedPattern '(unclosed': unmatched ( or \\(");
}

static int matches(const char *pattern, const char *text)
{
	regex_t re;
	char err[256] = "";
	int rc = 0;

	if (irx_param_pattern_compile(pattern, &re, err, sizeof(err)) < 0) {
		fprintf(stderr, "\n  pattern %s: %s\n", pattern, err);
		return -1;
	}
	rc = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return rc;
}

static void expect_pattern_error(const char *pattern, const char *msg)
{
	regex_t re;
	char err[256] = "";

	CU_ASSERT_EQUAL(irx_param_pattern_compile(pattern, &re, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, msg);
}

static void test_patterns(void)
{
	/* the shorthands AWS-published runbooks use */
	CU_ASSERT_EQUAL(matches("^i-[a-z0-9]{8,17}$", "i-0123456789abcdef0"), 1);
	CU_ASSERT_EQUAL(matches("\\d{12}", "123456789012"), 1);
	CU_ASSERT_EQUAL(matches("\\d{12}", "12345678901a"), 0);
	CU_ASSERT_EQUAL(matches("\\D+", "abc"), 1);
	CU_ASSERT_EQUAL(matches("\\D+", "ab1"), 0);
	CU_ASSERT_EQUAL(matches("\\w+", "a_B9"), 1);
	CU_ASSERT_EQUAL(matches("\\w+", "a-b"), 0);
	CU_ASSERT_EQUAL(matches("\\W", "-"), 1);
	CU_ASSERT_EQUAL(matches("a\\sb", "a\tb"), 1);
	CU_ASSERT_EQUAL(matches("\\S+", "a b"), 0);
	CU_ASSERT_EQUAL(matches("[\\w.-]+", "my-bucket.logs_1"), 1);
	CU_ASSERT_EQUAL(matches("[\\w.-]+", "my bucket"), 0);
	CU_ASSERT_EQUAL(matches("[\\d\\s]+", "1 2"), 1);
	CU_ASSERT_EQUAL(matches("[a\\-z]", "-"), 1);
	CU_ASSERT_EQUAL(matches("[a\\-z]", "b"), 0);
	CU_ASSERT_EQUAL(matches("[\\]x]", "]"), 1);
	CU_ASSERT_EQUAL(matches("[^\\]]", "]"), 0);
	CU_ASSERT_EQUAL(matches("[[:alpha:]]+", "abc"), 1);
	CU_ASSERT_EQUAL(matches("(?:ab)+", "abab"), 1);
	CU_ASSERT_EQUAL(matches("a\\.b", "a.b"), 1);
	CU_ASSERT_EQUAL(matches("a\\.b", "axb"), 0);
	CU_ASSERT_EQUAL(matches("a\\+", "a+"), 1);
	CU_ASSERT_EQUAL(matches("\\^a", "^a"), 1);
	CU_ASSERT_EQUAL(matches("[\\^]", "^"), 1);
	CU_ASSERT_EQUAL(matches("arn:aws:iam::\\d{12}:role/.*", "arn:aws:iam::123456789012:role/x"),
			1);
	/* an empty pattern only allows the empty string (anchored) */
	CU_ASSERT_EQUAL(matches("", ""), 1);
	CU_ASSERT_EQUAL(matches("", "x"), 0);
	/* alternation stays inside the anchors */
	CU_ASSERT_EQUAL(matches("a|b", "ab"), 0);
	CU_ASSERT_EQUAL(matches("a|b", "b"), 1);

	expect_pattern_error("[\\D]", "'\\D' inside [...] has no POSIX equivalent");
	expect_pattern_error("a\\b", "unsupported escape '\\b'");
	expect_pattern_error("a\\", "trailing '\\'");
	expect_pattern_error("[abc", "unterminated '['");
	expect_pattern_error("(?=x)", "invalid preceding regular expression");
}

static struct irx_runbook *bind_runbook(struct irx_diags *d)
{
	static const char text[] = "schemaVersion: '0.3'\n"
				   "parameters:\n"
				   "  InstanceId: {type: String, allowedPattern: '^i-[0-9a-f]+$'}\n"
				   "  Count: {type: Integer, default: 2}\n"
				   "  Ids: {type: StringList, default: [x], maxItems: 2}\n"
				   "  Force: {type: Boolean, default: false}\n"
				   "  Opts: {type: StringMap, default: {a: b}}\n"
				   "mainSteps: [{name: a, action: aws:sleep, inputs: {Duration: "
				   "PT1S}}]\n";
	struct irx_runbook *rb = irx_runbook_load_buffer("bind.yaml", text, sizeof(text) - 1, d);

	CU_ASSERT_EQUAL(d->count, 0);
	return rb;
}

static void test_bind(void)
{
	struct irx_diags d = {0};
	struct irx_runbook *rb = bind_runbook(&d);
	const char *ok[] = {"InstanceId=i-0abc", "Ids=a,b", "Force=true"};
	const char *bad[] = {"InstanceId=vol-1", "Count=two", "Ids=a,b,c", "Nope=1", "broken",
			     "Force=true",	 "Force=false"};
	struct json_object *v = NULL;
	char buf[4096] = "";
	FILE *f = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	v = irx_params_bind(rb, ok, 3, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT_STRING_EQUAL(js(v), "{\"InstanceId\":\"i-0abc\",\"Ids\":[\"a\",\"b\"],\"Force\":"
				      "true,\"Count\":2,\"Opts\":{\"a\":\"b\"}}");
	json_object_put(v);

	/* every problem at once, and no result */
	v = irx_params_bind(rb, bad, 7, &d);
	CU_ASSERT_PTR_NULL(v);
	f = fmemopen(buf, sizeof(buf), "w");
	irx_diags_print(&d, f);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "parameter 'InstanceId': 'vol-1' does not match allowedPattern "
				    "'^i-[0-9a-f]+$'\n"
				    "parameter 'Count': 'two' is not an integer\n"
				    "parameter 'Ids': 3 items, more than maxItems 2\n"
				    "unknown parameter 'Nope' for runbook 'bind'\n"
				    "invalid parameter 'broken': use Name=Value\n"
				    "parameter 'Force' is given more than once\n"
				    "missing required parameter 'InstanceId' (String)\n");
	irx_diags_release(&d);

	/* nothing given: the one required parameter is missing */
	v = irx_params_bind(rb, NULL, 0, &d);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_STRING_EQUAL(d.items[0].message, "missing required parameter 'InstanceId' (String)");
	irx_diags_release(&d);
	irx_runbook_free(rb);
}

static void test_bind_bad_default(void)
{
	static const char text[] = "schemaVersion: '0.3'\n"
				   "parameters:\n"
				   "  N: {type: Integer, default: '5'}\n"
				   "mainSteps: [{name: a, action: aws:sleep, inputs: {Duration: "
				   "PT1S}}]\n";
	struct irx_diags d = {0};
	struct irx_runbook *rb = irx_runbook_load_buffer("b.yaml", text, sizeof(text) - 1, &d);
	struct json_object *v = NULL;
	const char *given[] = {"N=7"};

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	v = irx_params_bind(rb, NULL, 0, &d);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_STRING_EQUAL(d.items[0].message, "default of parameter 'N': expected Integer, "
						   "got string");
	CU_ASSERT_EQUAL(d.items[0].line, 3);
	CU_ASSERT_EQUAL(d.items[0].col, 31);
	irx_diags_release(&d);
	/* a given value replaces the default, which is then not checked */
	v = irx_params_bind(rb, given, 1, &d);
	CU_ASSERT_PTR_NOT_NULL(v);
	CU_ASSERT_STRING_EQUAL(js(v), "{\"N\":7}");
	json_object_put(v);
	irx_runbook_free(rb);
	irx_diags_release(&d);
}

static CU_TestInfo tests[] = {
	{"convert command-line text", test_convert},
	{"check values", test_check},
	{"allowedPattern translation", test_patterns},
	{"bind assignments and defaults", test_bind},
	{"bind: a bad default", test_bind_bad_default},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("params", tests, NULL, NULL)
