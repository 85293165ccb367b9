/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "template.h"
#include "test.h"

/* --- helpers ------------------------------------------------------------- */

struct seen {
	char text[1024];
};

static void collect(void *ud, const char *name, size_t offset)
{
	struct seen *s = ud;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s@%zu;", name, offset);
}

/* Scans s, expecting success and exactly the "name@offset;" list. */
static void scan_ok(const char *s, const char *expected)
{
	struct seen seen = {{0}};
	char msg[256] = "";
	size_t off = 12345;
	int rc = irx_template_scan(s, collect, &seen, msg, sizeof(msg), &off);

	if (rc != 0 || strcmp(seen.text, expected) != 0)
		fprintf(stderr, "\n  scan '%s': rc %d msg '%s' refs '%s' (want '%s')\n", s, rc,
			msg, seen.text, expected);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(seen.text, expected);
	CU_ASSERT_STRING_EQUAL(msg, "");
}

/* Scans s, expecting failure with exactly msg at offset off. */
static void scan_bad(const char *s, const char *want_msg, size_t want_off)
{
	char msg[256] = "";
	size_t off = 12345;
	int rc = irx_template_scan(s, NULL, NULL, msg, sizeof(msg), &off);

	if (rc != -1 || strcmp(msg, want_msg) != 0 || off != want_off)
		fprintf(stderr, "\n  scan '%s': rc %d msg '%s' off %zu (want '%s' at %zu)\n", s,
			rc, msg, off, want_msg, want_off);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_STRING_EQUAL(msg, want_msg);
	CU_ASSERT_EQUAL(off, want_off);
}

static const char *const VARS_JSON =
	"{\"InstanceId\":\"i-0abc1234def567890\",\"Count\":3,\"Ratio\":1.5,\"Flag\":true,"
	"\"Off\":false,\"Ids\":[\"i-1\",\"i-2\"],\"Map\":{\"k\":\"v\",\"n\":1},"
	"\"MapList\":[{\"a\":1},{\"b\":2}],\"Evil\":\"{{ InstanceId }}\",\"Broken\":\"{{ x\","
	"\"Empty\":\"\",\"Nested\":[[\"x\"]],\"global:REGION\":\"eu-west-1\","
	"\"global:ACCOUNT_ID\":\"123456789012\",\"automation:EXECUTION_ID\":\"exec-1\","
	"\"getInstance.rootDeviceName\":\"/dev/xvda\",\"AutomationAssumeRole\":"
	"\"arn:aws:iam::123456789012:role/irx\",\"Unicode\":\"名前\",\"Quote\":\"a\\\"b\\\\c\","
	"\"ssm:/team/db-host\":\"db.internal\",\"Big\":9007199254740993}";

static struct json_object *vars;

static int suite_init(void)
{
	vars = json_tokener_parse(VARS_JSON);
	return vars ? 0 : -1;
}

static int suite_clean(void)
{
	json_object_put(vars);
	vars = NULL;
	return 0;
}

static struct json_object *lookup(void *ud, const char *name)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(ud, name, &v) ? v : NULL;
}

static const char *plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Expands the JSON text in and compares the compact JSON result to want. */
static void expand_ok(const char *in, const char *want, enum json_type want_type)
{
	struct irx_error err = {0};
	struct json_object *src = json_tokener_parse(in);
	struct json_object *out = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	out = irx_template_expand(src, lookup, vars, &err);
	if (!out || strcmp(plain(out), want) != 0)
		fprintf(stderr, "\n  expand %s: got %s (%s) want %s\n", in,
			out ? plain(out) : "NULL", err.message, want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	CU_ASSERT_STRING_EQUAL(plain(out), want);
	CU_ASSERT_EQUAL(json_object_get_type(out), want_type);
	CU_ASSERT_PTR_NOT_EQUAL(out, src);
	json_object_put(out);
	json_object_put(src);
}

static void expand_bad(const char *in, enum irx_status code, const char *want_msg)
{
	struct irx_error err = {0};
	struct json_object *src = json_tokener_parse(in);
	struct json_object *out = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	out = irx_template_expand(src, lookup, vars, &err);
	if (out || strcmp(err.message, want_msg) != 0)
		fprintf(stderr, "\n  expand %s: got %s '%s' want '%s'\n", in,
			out ? plain(out) : "NULL", err.message, want_msg);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(err.code, code);
	CU_ASSERT_STRING_EQUAL(err.message, want_msg);
	json_object_put(out);
	json_object_put(src);
}

/* --- scan ---------------------------------------------------------------- */

static void test_scan_finds_references(void)
{
	scan_ok("", "");
	scan_ok("plain text, no references", "");
	scan_ok("{{x}}", "x@0;");
	scan_ok("{{ AutomationAssumeRole }}", "AutomationAssumeRole@0;");
	scan_ok("a {{ step.Output }} b {{global:REGION}}", "step.Output@2;global:REGION@22;");
	scan_ok("{{a}}{{b}}", "a@0;b@5;");
	scan_ok("{{ automation:EXECUTION_ID }}", "automation:EXECUTION_ID@0;");
	scan_ok("{{ global:ACCOUNT_ID }}-{{ global:DATE_TIME }}",
		"global:ACCOUNT_ID@0;global:DATE_TIME@24;");
	scan_ok("{{ global:AWS_PARTITION }} {{ global:URL_SUFFIX }}",
		"global:AWS_PARTITION@0;global:URL_SUFFIX@27;");
	scan_ok("{{ a-b_c.d9 }}", "a-b_c.d9@0;");
	scan_ok("{{ ssm:/team/db-host }}", "ssm:/team/db-host@0;");
	scan_ok("{{ ssm-secure:pw }}", "ssm-secure:pw@0;");
}

static void test_scan_whitespace(void)
{
	scan_ok("{{\tInstanceId\n}}", "InstanceId@0;");
	scan_ok("{{    x    }}", "x@0;");
	scan_ok("{{\r\n x \f}}", "x@0;");
	scan_ok("  {{ x }}  ", "x@2;");
}

static void test_scan_literal_braces(void)
{
	/* SSM's own example: the first "}}" closes the reference, the last '}' is text */
	scan_ok("echo {Hello {{ssm:administratorName}}}", "ssm:administratorName@12;");
	scan_ok("}} {{a}}", "a@3;");
	scan_ok("{ {x} }", "");
	scan_ok("{\"Statement\":[{\"Effect\":\"Deny\"}]}", "");
	scan_ok("}}}}", "");
	scan_ok("{", "");
	scan_ok("}", "");
}

static void test_scan_errors(void)
{
	scan_bad("{{", "'{{' without '}}' at offset 0", 0);
	scan_bad("abc {{ x", "'{{' without '}}' at offset 4", 4);
	scan_bad("abc {{ x }", "'{{' without '}}' at offset 4", 4);
	scan_bad("abc {{ x    ", "'{{' without '}}' at offset 4", 4);
	scan_bad("{{ a }} and {{ b", "'{{' without '}}' at offset 12", 12);
	/* found by fuzzing: the cut-off is reported before what the name lacks */
	scan_bad("x {{al:", "'{{' without '}}' at offset 2", 2);
	scan_bad("{{ global:  ", "'{{' without '}}' at offset 0", 0);
	scan_bad("{{ a.b:c }", "'{{' without '}}' at offset 0", 0);
	scan_bad("{{ global: x }}", "empty name after 'global:' at offset 10", 10);
	scan_bad("{{}}", "empty reference at offset 0", 0);
	scan_bad("x{{   }}", "empty reference at offset 1", 1);
	scan_bad("{{ a b }}", "expected '}}' after 'a' at offset 5", 5);
	scan_bad("{{a}x}}", "expected '}}' after 'a' at offset 3", 3);
	scan_bad("{{ a!b }}", "invalid character '!' in reference at offset 4", 4);
	scan_bad("{{ {{x}} }}", "invalid character '{' in reference at offset 3", 3);
	scan_bad("{{{x}}}", "invalid character '{' in reference at offset 2", 2);
	scan_bad("{{ :x }}", "empty namespace before ':' at offset 3", 3);
	scan_bad("{{ global: }}", "empty name after 'global:' at offset 10", 10);
	scan_bad("{{ a:b:c }}", "invalid character ':' in reference at offset 6", 6);
	scan_bad("{{ a.b:c }}", "invalid character '.' in reference at offset 4", 4);
	scan_bad("{{ x/y }}", "invalid character '/' in reference at offset 4", 4);
	scan_bad("{{ \x01 }}", "invalid character '\\x01' in reference at offset 3", 3);
	scan_bad("{{ na\xc3\xafve }}", "invalid character '\\xc3' in reference at offset 5", 5);
	scan_bad("{{ \"x\" }}", "invalid character '\"' in reference at offset 3", 3);
}

static void test_scan_reports_refs_before_error(void)
{
	struct seen seen = {{0}};
	char msg[128] = "";
	size_t off = 0;

	CU_ASSERT_EQUAL(irx_template_scan("{{a}} {{ b }} {{", collect, &seen, msg, sizeof(msg),
					  &off),
			-1);
	CU_ASSERT_STRING_EQUAL(seen.text, "a@0;b@6;");
	CU_ASSERT_STRING_EQUAL(msg, "'{{' without '}}' at offset 14");
	CU_ASSERT_EQUAL(off, 14);
}

static void test_scan_null_buffers(void)
{
	char tiny[8] = "zzzzzzz";

	/* no errbuf or offset: still fails cleanly */
	CU_ASSERT_EQUAL(irx_template_scan("{{", NULL, NULL, NULL, 0, NULL), -1);
	CU_ASSERT_EQUAL(irx_template_scan("{{ x }}", NULL, NULL, NULL, 0, NULL), 0);
	CU_ASSERT_EQUAL(irx_template_scan(NULL, NULL, NULL, NULL, 0, NULL), 0);
	/* a short buffer is truncated, NUL-terminated */
	CU_ASSERT_EQUAL(irx_template_scan("{{}}", NULL, NULL, tiny, sizeof(tiny), NULL), -1);
	CU_ASSERT_STRING_EQUAL(tiny, "empty r");
}

/* --- expand -------------------------------------------------------------- */

static void test_expand_whole_reference_keeps_type(void)
{
	expand_ok("\"{{ Count }}\"", "3", json_type_int);
	expand_ok("\"{{Flag}}\"", "true", json_type_boolean);
	expand_ok("\"{{ Off }}\"", "false", json_type_boolean);
	expand_ok("\"{{ Ratio }}\"", "1.5", json_type_double);
	expand_ok("\"{{ Ids }}\"", "[\"i-1\",\"i-2\"]", json_type_array);
	expand_ok("\"{{ Map }}\"", "{\"k\":\"v\",\"n\":1}", json_type_object);
	expand_ok("\"{{ MapList }}\"", "[{\"a\":1},{\"b\":2}]", json_type_array);
	expand_ok("\"{{ InstanceId }}\"", "\"i-0abc1234def567890\"", json_type_string);
	expand_ok("\"{{ Empty }}\"", "\"\"", json_type_string);
	expand_ok("\"{{ Big }}\"", "9007199254740993", json_type_int);
	expand_ok("\"{{\t\n Count \n}}\"", "3", json_type_int);
	expand_ok("{\"MaxCount\":\"{{ Count }}\",\"Ids\":\"{{ Ids }}\"}",
		  "{\"MaxCount\":3,\"Ids\":[\"i-1\",\"i-2\"]}", json_type_object);
}

static void test_expand_renders_into_strings(void)
{
	expand_ok("\"n={{ Count }}\"", "\"n=3\"", json_type_string);
	expand_ok("\"{{ Flag }}!\"", "\"true!\"", json_type_string);
	expand_ok("\"r={{Ratio}}\"", "\"r=1.5\"", json_type_string);
	expand_ok("\"ids: {{ Ids }}\"", "\"ids: [\\\"i-1\\\",\\\"i-2\\\"]\"", json_type_string);
	expand_ok("\"m={{ Map }}\"", "\"m={\\\"k\\\":\\\"v\\\",\\\"n\\\":1}\"", json_type_string);
	/* whitespace outside the braces makes it text */
	expand_ok("\" {{ InstanceId }}\"", "\" i-0abc1234def567890\"", json_type_string);
	expand_ok("\"{{ Count }} \"", "\"3 \"", json_type_string);
	expand_ok("\"{{ Count }}{{ Count }}\"", "\"33\"", json_type_string);
	expand_ok("\"arn:aws:ec2:{{global:REGION}}:{{ global:ACCOUNT_ID }}:instance/{{ InstanceId "
		  "}}\"",
		  "\"arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234def567890\"",
		  json_type_string);
	expand_ok("\"{{ automation:EXECUTION_ID }}/{{ getInstance.rootDeviceName }}\"",
		  "\"exec-1//dev/xvda\"", json_type_string);
	expand_ok("\"host={{ ssm:/team/db-host }}\"", "\"host=db.internal\"", json_type_string);
	/* strings go in as they are, not JSON-escaped */
	expand_ok("\"q={{ Quote }}\"", "\"q=a\\\"b\\\\c\"", json_type_string);
	expand_ok("\"名={{ Unicode }}\"", "\"名=名前\"", json_type_string);
	expand_ok("\"[{{ Empty }}]\"", "\"[]\"", json_type_string);
	expand_ok("\"echo {Hello {{ InstanceId }}}\"", "\"echo {Hello i-0abc1234def567890}\"",
		  json_type_string);
}

static void test_expand_no_reexpansion(void)
{
	/* a value that looks like a template stays as it is: AWS data must not inject */
	expand_ok("\"{{ Evil }}\"", "\"{{ InstanceId }}\"", json_type_string);
	expand_ok("\"x {{ Evil }} y\"", "\"x {{ InstanceId }} y\"", json_type_string);
	/* even a malformed one is just data */
	expand_ok("\"{{ Broken }}\"", "\"{{ x\"", json_type_string);
	expand_ok("\"a{{ Broken }}b\"", "\"a{{ xb\"", json_type_string);
	expand_ok("[\"{{ Evil }}\",\"{{ Evil }}-{{ Evil }}\"]",
		  "[\"{{ InstanceId }}\",\"{{ InstanceId }}-{{ InstanceId }}\"]", json_type_array);
}

static void test_expand_structure(void)
{
	expand_ok("{\"a\":[{\"b\":\"{{ InstanceId }}\",\"c\":[1,2.25,true,null]}],\"d\":{}}",
		  "{\"a\":[{\"b\":\"i-0abc1234def567890\",\"c\":[1,2.25,true,null]}],\"d\":{}}",
		  json_type_object);
	/* map keys are not expanded */
	expand_ok("{\"{{ InstanceId }}\":\"{{ InstanceId }}\"}",
		  "{\"{{ InstanceId }}\":\"i-0abc1234def567890\"}", json_type_object);
	expand_ok("42", "42", json_type_int);
	expand_ok("false", "false", json_type_boolean);
	expand_ok("[]", "[]", json_type_array);
	expand_ok("\"no references\"", "\"no references\"", json_type_string);
}

static void test_expand_splices_lists(void)
{
	/* SSM: InstanceIds: ["{{ LaunchInstance.InstanceIds }}"] passes the list itself */
	expand_ok("[\"{{ Ids }}\"]", "[\"i-1\",\"i-2\"]", json_type_array);
	expand_ok("[\"a\",\"{{ Ids }}\",\"b\"]", "[\"a\",\"i-1\",\"i-2\",\"b\"]",
		  json_type_array);
	expand_ok("[\"{{ MapList }}\"]", "[{\"a\":1},{\"b\":2}]", json_type_array);
	expand_ok("[\"{{ InstanceId }}\"]", "[\"i-0abc1234def567890\"]", json_type_array);
	expand_ok("[\"{{ Map }}\"]", "[{\"k\":\"v\",\"n\":1}]", json_type_array);
	/* only one level: a list inside the list stays a list */
	expand_ok("[\"{{ Nested }}\"]", "[[\"x\"]]", json_type_array);
	expand_ok("[[\"{{ Ids }}\"]]", "[[\"i-1\",\"i-2\"]]", json_type_array);
	/* text around the reference renders it */
	expand_ok("[\"x {{ Ids }}\"]", "[\"x [\\\"i-1\\\",\\\"i-2\\\"]\"]", json_type_array);
}

static void test_expand_unknown_reference(void)
{
	expand_bad("\"{{ Nope }}\"", IRX_ERR_INVALID, "unknown reference '{{ Nope }}'");
	expand_bad("\"a {{Nope}} b\"", IRX_ERR_INVALID, "unknown reference '{{ Nope }}'");
	expand_bad("{\"a\":[{\"b\":\"x {{ global:NOPE }}\"}]}", IRX_ERR_INVALID,
		   "unknown reference '{{ global:NOPE }}'");
	expand_bad("[\"{{ InstanceId }}\",\"{{ step.Missing }}\",\"{{ Other }}\"]",
		   IRX_ERR_INVALID, "unknown reference '{{ step.Missing }}'");
	/* a name is case-sensitive */
	expand_bad("\"{{ instanceid }}\"", IRX_ERR_INVALID, "unknown reference '{{ instanceid }}'");
}

static void test_expand_malformed(void)
{
	expand_bad("\"abc {{ x\"", IRX_ERR_INVALID,
		   "invalid template 'abc {{ x': '{{' without '}}' at offset 4");
	expand_bad("{\"k\":[\"{{ a b }}\"]}", IRX_ERR_INVALID,
		   "invalid template '{{ a b }}': expected '}}' after 'a' at offset 5");
	expand_bad("\"{{}}\"", IRX_ERR_INVALID, "invalid template '{{}}': empty reference at offset 0");
	expand_bad("\"0123456789012345678901234567890123456789012345678901234567890123456789012345"
		   "6789 {{\"",
		   IRX_ERR_INVALID,
		   "invalid template '0123456789012345678901234567890123456789012345678901234567"
		   "8901234567890123456789...': '{{' without '}}' at offset 81");
}

static void test_expand_deep_copies(void)
{
	struct irx_error err = {0};
	struct json_object *src = json_object_new_string("{{ Map }}");
	struct json_object *out = irx_template_expand(src, lookup, vars, &err);
	struct json_object *map = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_TRUE(json_object_object_get_ex(vars, "Map", &map));
	CU_ASSERT_PTR_NOT_EQUAL(out, map);
	json_object_object_add(out, "added", json_object_new_int(1));
	CU_ASSERT_STRING_EQUAL(plain(map), "{\"k\":\"v\",\"n\":1}");
	json_object_put(out);
	json_object_put(src);

	/* the result shares nothing with the input either */
	src = json_tokener_parse("{\"a\":{\"b\":[1]}}");
	out = irx_template_expand(src, lookup, vars, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	json_object_array_add(json_object_object_get(json_object_object_get(src, "a"), "b"),
			      json_object_new_int(2));
	CU_ASSERT_STRING_EQUAL(plain(out), "{\"a\":{\"b\":[1]}}");
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	json_object_put(out);
	json_object_put(src);
}

static void test_expand_null_and_no_lookup(void)
{
	struct irx_error err = {0};
	struct json_object *src = json_object_new_string("{{ x }}");

	/* JSON null in, null out, and it is not an error */
	CU_ASSERT_PTR_NULL(irx_template_expand(NULL, lookup, vars, &err));
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	/* without a lookup every reference is unknown */
	CU_ASSERT_PTR_NULL(irx_template_expand(src, NULL, NULL, &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "unknown reference '{{ x }}'");
	/* and a NULL err is tolerated */
	CU_ASSERT_PTR_NULL(irx_template_expand(src, NULL, NULL, NULL));
	json_object_put(src);
}

static void test_expand_depth_limit(void)
{
	struct irx_error err = {0};
	struct json_object *root = json_object_new_array(), *cur = root, *out = NULL;

	for (int i = 0; i < 1100; i++) {
		struct json_object *inner = json_object_new_array();

		json_object_array_add(cur, inner);
		cur = inner;
	}
	out = irx_template_expand(root, lookup, vars, &err);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_LIMIT);
	CU_ASSERT_STRING_EQUAL(err.message, "value nested deeper than 1000 levels");
	json_object_put(root);

	/* 900 levels is fine */
	root = json_object_new_array();
	cur = root;
	for (int i = 0; i < 900; i++) {
		struct json_object *inner = json_object_new_array();

		json_object_array_add(cur, inner);
		cur = inner;
	}
	json_object_array_add(cur, json_object_new_string("{{ Count }}"));
	irx_error_clear(&err);
	out = irx_template_expand(root, lookup, vars, &err);
	CU_ASSERT_PTR_NOT_NULL(out);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	for (cur = out; json_object_is_type(cur, json_type_array);)
		cur = json_object_array_get_idx(cur, 0);
	CU_ASSERT_EQUAL(json_object_get_int(cur), 3);
	json_object_put(out);
	json_object_put(root);
}

static void test_expand_embedded_nul(void)
{
	struct irx_error err = {0};
	struct json_object *src = json_object_new_string_len("a\0{{ Count }}", 13);
	struct json_object *out = irx_template_expand(src, lookup, vars, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(json_object_get_string_len(out), 3);
	CU_ASSERT_EQUAL(memcmp(json_object_get_string(out), "a\0" "3", 3), 0);
	json_object_put(out);
	json_object_put(src);
}

static CU_TestInfo tests[] = {
	{"scan finds references", test_scan_finds_references},
	{"scan whitespace", test_scan_whitespace},
	{"scan literal braces", test_scan_literal_braces},
	{"scan errors", test_scan_errors},
	{"scan reports refs before error", test_scan_reports_refs_before_error},
	{"scan null buffers", test_scan_null_buffers},
	{"expand whole reference keeps type", test_expand_whole_reference_keeps_type},
	{"expand renders into strings", test_expand_renders_into_strings},
	{"expand no re-expansion", test_expand_no_reexpansion},
	{"expand structure", test_expand_structure},
	{"expand splices lists", test_expand_splices_lists},
	{"expand unknown reference", test_expand_unknown_reference},
	{"expand malformed", test_expand_malformed},
	{"expand deep copies", test_expand_deep_copies},
	{"expand null and no lookup", test_expand_null_and_no_lookup},
	{"expand depth limit", test_expand_depth_limit},
	{"expand embedded nul", test_expand_embedded_nul},
	CU_TEST_INFO_NULL,
};

IRX_SUITE("template", tests, suite_init, suite_clean)
