/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "node.h"
#include "test.h"
#include "util.h"

/* Every diagnostic, printed as irx prints them. Caller frees. */
static char *diags_text(const struct irx_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	irx_diags_print(d, f);
	fclose(f);
	return buf;
}

/* Loads text that must be rejected and returns the diagnostics. Caller frees. */
static char *load_err_len(const char *text, size_t len)
{
	struct irx_diags d = {0};
	struct irx_doc *doc = irx_doc_load_buffer("t.yaml", text, len, &d);
	char *out = NULL;

	CU_ASSERT_PTR_NULL(doc);
	CU_ASSERT_TRUE(d.count > 0);
	irx_doc_free(doc);
	out = diags_text(&d);
	irx_diags_release(&d);
	return out;
}

static char *load_err(const char *text)
{
	return load_err_len(text, strlen(text));
}

#define ASSERT_LOAD_ERR(text, expected)                                                            \
	do {                                                                                       \
		char *got_ = load_err(text);                                                       \
		if (strcmp(got_, (expected)) != 0)                                                 \
			fprintf(stderr, "\n  expected: %s  got:      %s", (expected), got_);       \
		CU_ASSERT_STRING_EQUAL(got_, (expected));                                          \
		free(got_);                                                                        \
	} while (0)

/* Loads text that must be accepted without diagnostics. */
static struct irx_doc *load_ok(const char *text)
{
	struct irx_diags d = {0};
	struct irx_doc *doc = irx_doc_load_buffer("t.yaml", text, strlen(text), &d);

	if (!doc || d.count) {
		char *msg = diags_text(&d);

		fprintf(stderr, "\n  unexpected diagnostics: %s", msg);
		free(msg);
	}
	CU_ASSERT_PTR_NOT_NULL(doc);
	CU_ASSERT_EQUAL(d.count, 0);
	irx_diags_release(&d);
	return doc;
}

/* The compact JSON of a whole document. Caller frees. */
static char *doc_json(const char *text)
{
	struct irx_doc *doc = load_ok(text);
	struct json_object *j = NULL;
	char *out = NULL;

	if (!doc)
		return irx_xstrdup("(not loaded)");
	j = irx_node_to_json(doc->root);
	out = irx_xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	irx_doc_free(doc);
	return out;
}

#define ASSERT_JSON(text, expected)                                                                \
	do {                                                                                       \
		char *got_ = doc_json(text);                                                       \
		if (strcmp(got_, (expected)) != 0)                                                 \
			fprintf(stderr, "\n  expected: %s\n  got:      %s\n", (expected), got_);   \
		CU_ASSERT_STRING_EQUAL(got_, (expected));                                          \
		free(got_);                                                                        \
	} while (0)

#define ASSERT_POS(node, l, c)                                                                     \
	do {                                                                                       \
		const struct irx_node *n_ = (node);                                                \
		CU_ASSERT_PTR_NOT_NULL_FATAL(n_);                                                  \
		if (n_->line != (l) || n_->col != (c))                                             \
			fprintf(stderr, "\n  %s: expected %u:%u, got %u:%u\n", #node, (l), (c),    \
				n_->line, n_->col);                                                \
		CU_ASSERT_EQUAL(n_->line, (l));                                                    \
		CU_ASSERT_EQUAL(n_->col, (c));                                                     \
	} while (0)

/* --- positions ----------------------------------------------------------------------- */

static void test_positions_yaml(void)
{
	const char *text = "# a runbook\n"
			   "schemaVersion: '0.3'\n"
			   "mainSteps:\n"
			   "  - name: first\n"
			   "    action: aws:sleep\n"
			   "    inputs: {Duration: PT1S, Tags: [a, \"b\"]}\n"
			   "  - name: \"second\"\n"
			   "    description: |\n"
			   "      two\n"
			   "      lines\n"
			   "    note: >-\n"
			   "      folded\n"
			   "      text\n"
			   "outputs:\n"
			   "- first.Out\n"
			   "caf\xc3\xa9: \xc3\xa9t\xc3\xa9 # col counts characters\n";
	struct irx_doc *doc = load_ok(text);
	const struct irx_node *root = NULL, *steps = NULL, *s0 = NULL, *s1 = NULL, *in = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	root = doc->root;
	CU_ASSERT_STRING_EQUAL(doc->file, "t.yaml");
	CU_ASSERT_EQUAL(root->kind, IRX_NODE_MAP);
	CU_ASSERT_EQUAL(root->count, 4);
	ASSERT_POS(root, 2u, 1u);
	CU_ASSERT_STRING_EQUAL(root->file, "t.yaml");
	ASSERT_POS(root->keys[0], 2u, 1u);
	ASSERT_POS(irx_node_get(root, "schemaVersion"), 2u, 16u);
	CU_ASSERT_FALSE(irx_node_get(root, "schemaVersion")->plain);
	steps = irx_node_get(root, "mainSteps");
	ASSERT_POS(steps, 4u, 3u);
	CU_ASSERT_EQUAL(steps->kind, IRX_NODE_SEQ);
	CU_ASSERT_EQUAL_FATAL(steps->count, 2);
	s0 = steps->items[0];
	s1 = steps->items[1];
	ASSERT_POS(s0, 4u, 5u);
	ASSERT_POS(s0->keys[0], 4u, 5u);
	ASSERT_POS(irx_node_get(s0, "name"), 4u, 11u);
	ASSERT_POS(s0->keys[1], 5u, 5u);
	ASSERT_POS(irx_node_get(s0, "action"), 5u, 13u);
	in = irx_node_get(s0, "inputs");
	ASSERT_POS(in, 6u, 13u);
	ASSERT_POS(in->keys[0], 6u, 14u);
	ASSERT_POS(irx_node_get(in, "Duration"), 6u, 24u);
	ASSERT_POS(irx_node_get(in, "Tags"), 6u, 36u);
	ASSERT_POS(irx_node_get(in, "Tags")->items[0], 6u, 37u);
	ASSERT_POS(irx_node_get(in, "Tags")->items[1], 6u, 40u);
	ASSERT_POS(irx_node_get(s1, "name"), 7u, 11u);
	ASSERT_POS(irx_node_get(s1, "description"), 8u, 18u);
	CU_ASSERT_STRING_EQUAL(irx_node_str(irx_node_get(s1, "description")), "two\nlines\n");
	CU_ASSERT_FALSE(irx_node_get(s1, "description")->plain);
	ASSERT_POS(irx_node_get(s1, "note"), 11u, 11u);
	CU_ASSERT_STRING_EQUAL(irx_node_str(irx_node_get(s1, "note")), "folded text");
	ASSERT_POS(irx_node_get(root, "outputs"), 15u, 1u);
	ASSERT_POS(irx_node_get(root, "outputs")->items[0], 15u, 3u);
	ASSERT_POS(root->keys[3], 16u, 1u);
	ASSERT_POS(irx_node_get(root, "caf\xc3\xa9"), 16u, 7u);
	irx_doc_free(doc);
}

static void test_positions_json(void)
{
	const char *text = "{\n"
			   "\t\"schemaVersion\": \"0.3\",\n"
			   "\t\"mainSteps\": [\n"
			   "\t\t{\"name\": \"a\", \"maxAttempts\": 3},\n"
			   "\t\t{\"name\":\"b\",\"isEnd\":true}\n"
			   "\t],\n"
			   "  \"outputs\": []\n"
			   "}\n";
	struct irx_doc *doc = load_ok(text);
	const struct irx_node *root = NULL, *steps = NULL;
	struct json_object *j = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	root = doc->root;
	ASSERT_POS(root, 1u, 1u);
	ASSERT_POS(root->keys[0], 2u, 2u);
	ASSERT_POS(irx_node_get(root, "schemaVersion"), 2u, 19u);
	steps = irx_node_get(root, "mainSteps");
	ASSERT_POS(steps, 3u, 15u);
	CU_ASSERT_EQUAL_FATAL(steps->count, 2);
	ASSERT_POS(steps->items[0], 4u, 3u);
	ASSERT_POS(irx_node_get(steps->items[0], "name"), 4u, 12u);
	ASSERT_POS(irx_node_get(steps->items[0], "maxAttempts"), 4u, 32u);
	ASSERT_POS(irx_node_get(steps->items[1], "name"), 5u, 11u);
	ASSERT_POS(irx_node_get(steps->items[1], "isEnd"), 5u, 23u);
	ASSERT_POS(irx_node_get(root, "outputs"), 7u, 14u);
	CU_ASSERT_EQUAL(irx_node_get(root, "outputs")->count, 0);
	j = irx_node_to_json(root);
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
	    "{\"schemaVersion\":\"0.3\",\"mainSteps\":[{\"name\":\"a\","
	    "\"maxAttempts\":3},{\"name\":\"b\",\"isEnd\":true}],\"outputs\":[]}");
	json_object_put(j);
	irx_doc_free(doc);
}

static void test_positions_crlf_bom(void)
{
	struct irx_doc *doc = load_ok("\xef\xbb\xbf"
				      "a: 1\r\n"
				      "b:\r\n"
				      "  - x\r\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	ASSERT_POS(doc->root, 1u, 1u);
	ASSERT_POS(irx_node_get(doc->root, "a"), 1u, 4u);
	ASSERT_POS(irx_node_get(doc->root, "b")->items[0], 3u, 5u);
	irx_doc_free(doc);
}

/* --- errors ------------------------------------------------------------------------- */

static void test_err_malformed(void)
{
	ASSERT_LOAD_ERR(
	    "a: b: c\n",
	    "t.yaml:1:5: invalid YAML: mapping values are not allowed in this context\n");
	ASSERT_LOAD_ERR(
	    "a: [1, 2\nb: 3\n",
	    "t.yaml:2:2: invalid YAML: did not find expected ',' or ']' while parsing a "
	    "flow sequence at line 1, column 4\n");
	ASSERT_LOAD_ERR(
	    "- a\nb: c\n",
	    "t.yaml:2:1: invalid YAML: did not find expected '-' indicator while parsing "
	    "a block collection at line 1, column 1\n");
	ASSERT_LOAD_ERR(
	    "{\"a\": 1,, }\n",
	    "t.yaml:1:9: invalid YAML: did not find expected node content while parsing "
	    "a flow node\n");
	ASSERT_LOAD_ERR("a: @b\n", "t.yaml:1:4: invalid YAML: found character that cannot start "
				   "any token while scanning for the next token\n");
}

static void test_err_unterminated_quote(void)
{
	ASSERT_LOAD_ERR("a: 1\nb: \"open\n  more\n",
			"t.yaml:4:1: invalid YAML: found unexpected end of stream while scanning a "
			"quoted scalar at line 2, column 4\n");
	ASSERT_LOAD_ERR("a: 'x\n\n",
			"t.yaml:3:1: invalid YAML: found unexpected end of stream while scanning a "
			"quoted scalar at line 1, column 4\n");
}

static void test_err_tabs(void)
{
	ASSERT_LOAD_ERR("a:\n\t- 1\n", "t.yaml:2:1: invalid YAML: found character that cannot "
				       "start any token while scanning for the next token\n");
	ASSERT_LOAD_ERR("a: 1\n\tb: 2\n",
			"t.yaml:2:1: invalid YAML: found a tab character that violates indentation "
			"while scanning a plain scalar at line 1, column 4\n");
}

static void test_err_control_chars(void)
{
	ASSERT_LOAD_ERR("a: 1\nb: x\x01y\n", "t.yaml:2:5: invalid YAML: control characters are "
					     "not allowed (character 0x01)\n");
}

static void test_err_duplicate_keys(void)
{
	ASSERT_LOAD_ERR("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at line 1)\n");
	/* every duplicate at once, nested ones too, quoted or not */
	ASSERT_LOAD_ERR("name: x\n"
			"steps:\n"
			"  - {k: 1, \"k\": 2}\n"
			"  - inputs:\n"
			"      A: 1\n"
			"      B: 2\n"
			"      'A': 3\n"
			"name: y\n",
			"t.yaml:3:12: duplicate key 'k' (first at line 3)\n"
			"t.yaml:7:7: duplicate key 'A' (first at line 5)\n"
			"t.yaml:8:1: duplicate key 'name' (first at line 1)\n");
	/* keys are compared as text: "1" and 01 differ, and control characters are not echoed */
	{
		struct irx_doc *doc = load_ok("1: a\n01: b\n\"1 \": c\n");

		CU_ASSERT_EQUAL(doc ? doc->root->count : 0, 3);
		irx_doc_free(doc);
	}
	ASSERT_LOAD_ERR("\"a\\nb\": 1\n\"a\\nb\": 2\n",
			"t.yaml:2:1: duplicate key 'a?b' (first at line 1)\n");
	/* a long key is cut */
	{
		char text[400];
		char *got = NULL;
		char want[200];

		snprintf(text, sizeof(text), "%s: 1\n%s: 2\n",
			 "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
			 "kkkkkkkk",
			 "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
			 "kkkkkkkk");
		snprintf(want, sizeof(want),
			 "t.yaml:2:1: duplicate key '%.64s...' (first at line 1)\n", text);
		got = load_err(text);
		CU_ASSERT_STRING_EQUAL(got, want);
		free(got);
	}
}

static void test_err_duplicate_keys_many(void)
{
	/* a big map uses the hash: the duplicate is still found, at the right place */
	size_t n = 5000, len = 0;
	char *text = irx_xmalloc(n * 16 + 32);
	char *got = NULL;

	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "k%zu: %zu\n", i, i);
	len += (size_t)sprintf(text + len, "k4321: again\n");
	got = load_err(text);
	CU_ASSERT_STRING_EQUAL(got, "t.yaml:5001:1: duplicate key 'k4321' (first at line 4322)\n");
	free(got);
	free(text);
}

/* A generated file full of mistakes gets 20 diagnostics, not one per mistake. */
static void test_err_many_errors(void)
{
	size_t len = 0;
	char *text = irx_xmalloc(30 * 1000 + 16);
	char *got = NULL, *want = NULL;
	size_t wlen = 0;

	for (int i = 0; i < 1000; i++)
		len += (size_t)sprintf(text + len, "k: %d\n", i);
	want = irx_xmalloc(21 * 64);
	for (int i = 2; i <= 21; i++)
		wlen += (size_t)sprintf(want + wlen,
					"t.yaml:%d:1: duplicate key 'k' (first at line 1)\n", i);
	sprintf(want + wlen, "t.yaml:21:1: too many errors; giving up\n");
	got = load_err(text);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(want);
	free(text);
}

static void test_err_key_not_scalar(void)
{
	ASSERT_LOAD_ERR("[a, b]: 1\n", "t.yaml:1:1: map keys must be scalars, not a list\n");
	ASSERT_LOAD_ERR("x:\n  ? {k: v}\n  : 1\n",
			"t.yaml:2:5: map keys must be scalars, not a map\n");
}

static void test_err_alias_bomb(void)
{
	const char *bomb =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	long long t0 = irx_now_ms();

	ASSERT_LOAD_ERR(bomb, "t.yaml:6:11: too many nodes (aliases expand to more than 200000)\n");
	CU_ASSERT_TRUE(irx_now_ms() - t0 < 2000);
	/* one big string used many times is bounded by bytes, not nodes */
	{
		size_t big = 4000000;
		char *text = irx_xmalloc(big + 100);
		char *got = NULL;

		memcpy(text, "a: &a \"", 7);
		memset(text + 7, 'x', big);
		strcpy(text + 7 + big, "\"\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n");
		got = load_err(text);
		CU_ASSERT_STRING_EQUAL(got, "t.yaml:2:33: too much text (aliases expand to more "
					    "than 33554432 bytes)\n");
		free(got);
		free(text);
	}
}

static void test_err_too_many_nodes(void)
{
	size_t n = 200001, len = 0;
	char *text = irx_xmalloc(n * 2 + 8);
	char *got = NULL;

	text[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		text[len++] = '1';
		text[len++] = ',';
	}
	text[len - 1] = ']';
	text[len] = '\0';
	/* the list itself is node 1: item 200000 (at column 2 * 200000) is one too many */
	got = load_err(text);
	CU_ASSERT_STRING_EQUAL(got, "t.yaml:1:400000: too many nodes (more than 200000)\n");
	free(got);
	free(text);
}

static void test_err_deep_nesting(void)
{
	char text[400];
	char *got = NULL;
	size_t len = 0;

	/* 64 levels load */
	memset(text, '[', 64);
	memset(text + 64, ']', 64);
	text[128] = '\0';
	{
		struct irx_doc *doc = load_ok(text);

		irx_doc_free(doc);
	}
	memset(text, '[', 100);
	memset(text + 100, ']', 100);
	text[200] = '\0';
	ASSERT_LOAD_ERR(text, "t.yaml:1:65: nesting deeper than 64 levels\n");
	/* block maps: line 65 opens the 65th */
	got = NULL;
	{
		char *block = irx_xmalloc(70 * 150);

		for (int i = 0; i < 70; i++)
			len += (size_t)sprintf(block + len, "%*sk:\n", 2 * i, "");
		got = load_err(block);
		CU_ASSERT_STRING_EQUAL(got, "t.yaml:65:129: nesting deeper than 64 levels\n");
		free(got);
		free(block);
	}
	/* an alias that would nest a 40-deep list 30 levels down */
	len = 0;
	len += (size_t)sprintf(text + len, "a: &a ");
	for (int i = 0; i < 40; i++)
		text[len++] = '[';
	for (int i = 0; i < 40; i++)
		text[len++] = ']';
	len += (size_t)sprintf(text + len, "\nb: ");
	for (int i = 0; i < 30; i++)
		text[len++] = '[';
	len += (size_t)sprintf(text + len, "*a");
	for (int i = 0; i < 30; i++)
		text[len++] = ']';
	strcpy(text + len, "\n");
	ASSERT_LOAD_ERR(text, "t.yaml:2:34: nesting deeper than 64 levels\n");
}

static void test_err_utf8(void)
{
	ASSERT_LOAD_ERR("a: b\xff\n", "t.yaml:1:5: invalid UTF-8 at byte 4\n");
	/* columns count characters, bytes count bytes */
	ASSERT_LOAD_ERR("k: \xc3\xa9\xc3\xa9 \xff\n", "t.yaml:1:7: invalid UTF-8 at byte 8\n");
	ASSERT_LOAD_ERR("a: 1\r\nb: \xc0\xaf\r\n", "t.yaml:2:4: invalid UTF-8 at byte 9\n");
	/* overlong, surrogate, beyond U+10FFFF, truncated at the end, stray continuation */
	ASSERT_LOAD_ERR("a: \xe0\x80\xaf\n", "t.yaml:1:4: invalid UTF-8 at byte 3\n");
	ASSERT_LOAD_ERR("a: \xed\xa0\x80\n", "t.yaml:1:4: invalid UTF-8 at byte 3\n");
	ASSERT_LOAD_ERR("a: \xf4\x90\x80\x80\n", "t.yaml:1:4: invalid UTF-8 at byte 3\n");
	ASSERT_LOAD_ERR("a: \xe2\x82", "t.yaml:1:4: invalid UTF-8 at byte 3\n");
	ASSERT_LOAD_ERR("\n\n  x\x80", "t.yaml:3:4: invalid UTF-8 at byte 5\n");
	/* UTF-16 is not UTF-8 */
	ASSERT_LOAD_ERR("\xff\xfe"
			"a\0:\0",
			"t.yaml:1:1: invalid UTF-8 at byte 0\n");
	/* four-byte characters are fine */
	{
		struct irx_doc *doc = load_ok("a: \"\xf0\x9f\x94\x92\"\n");

		CU_ASSERT_EQUAL(doc ? irx_node_get(doc->root, "a")->len : 0, 4);
		irx_doc_free(doc);
	}
}

static void test_err_nul(void)
{
	char *got = load_err_len("a: 1\nbc: d\0e\n", 13);

	CU_ASSERT_STRING_EQUAL(got, "t.yaml:2:6: NUL byte at byte 10\n");
	free(got);
}

static void test_err_two_documents(void)
{
	ASSERT_LOAD_ERR("---\na: 1\n---\nb: 2\n",
			"t.yaml:3:1: runbooks must hold one YAML document\n");
	ASSERT_LOAD_ERR("a: 1\n...\n--- b\n", "t.yaml:3:1: runbooks must hold one YAML document\n");
	/* libyaml wants a "---" before a second document */
	ASSERT_LOAD_ERR("a: 1\n...\nb: 2\n",
			"t.yaml:3:1: invalid YAML: did not find expected <document start>\n");
	/* a document end marker alone is fine */
	{
		struct irx_doc *doc = load_ok("%YAML 1.2\n---\na: 1\n...\n# done\n");

		irx_doc_free(doc);
	}
}

static void test_err_aliases(void)
{
	ASSERT_LOAD_ERR("a: *x\n", "t.yaml:1:4: unknown alias '*x'\n");
	/* an alias used before its anchor is unknown, and every one is reported */
	ASSERT_LOAD_ERR("a: *x\nb: &x 1\nc: [*y, *x]\nd: *z\n", "t.yaml:1:4: unknown alias '*x'\n"
								"t.yaml:3:5: unknown alias '*y'\n"
								"t.yaml:4:4: unknown alias '*z'\n");
	ASSERT_LOAD_ERR("a: &x [1, {b: *x}]\n",
			"t.yaml:1:15: alias '*x' refers to a node that contains it\n");
	/* bad aliases as keys are not also reported as duplicates of each other */
	ASSERT_LOAD_ERR("*x : 1\n*y : 2\n\"\": 3\n", "t.yaml:1:1: unknown alias '*x'\n"
						     "t.yaml:2:1: unknown alias '*y'\n");
}

static void test_err_tags(void)
{
	ASSERT_LOAD_ERR("a: !Ref b\nc: !<tag:example.com,2000:x> d\n",
			"t.yaml:1:4: unsupported tag '!Ref'\n"
			"t.yaml:2:4: unsupported tag 'tag:example.com,2000:x'\n");
	ASSERT_LOAD_ERR("a: !!str [1]\n", "t.yaml:1:4: a list cannot be tagged '!!str'\n");
	ASSERT_LOAD_ERR("a: !!str {b: 1}\n", "t.yaml:1:4: a map cannot be tagged '!!str'\n");
	/* standard tags on collections and the non-specific tag are fine */
	ASSERT_JSON("a: ! [1]\nb: !!seq [2]\nc: !!map {d: !!int 3}\n",
		    "{\"a\":[1],\"b\":[2],\"c\":{\"d\":3}}");
}

static void test_err_oversized(void)
{
	const char *dir = irx_test_tmpdir();
	char path[4096];
	char *got = NULL;
	struct irx_diags d = {0};
	int fd = -1;

	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	/* sparse: 50 MB that take no disk */
	CU_ASSERT_EQUAL(ftruncate(fd, 50 * 1024 * 1024), 0);
	close(fd);
	CU_ASSERT_PTR_NULL(irx_doc_load_file(path, &d));
	got = diags_text(&d);
	{
		char want[4200];

		snprintf(want, sizeof(want),
			 "%s: file is 52428800 bytes; runbooks are limited to 4194304 bytes\n",
			 path);
		CU_ASSERT_STRING_EQUAL(got, want);
	}
	CU_ASSERT_EQUAL(d.count, 1);
	free(got);
	irx_diags_release(&d);

	/* one byte over the limit, as a buffer */
	{
		char *buf = irx_xcalloc(1, IRX_DOC_MAX_BYTES + 1);

		memset(buf, ' ', IRX_DOC_MAX_BYTES + 1);
		got = load_err_len(buf, IRX_DOC_MAX_BYTES + 1);
		CU_ASSERT_STRING_EQUAL(
		    got, "t.yaml: file is 4194305 bytes; runbooks are limited to 4194304 "
			 "bytes\n");
		free(got);
		free(buf);
	}

	/* missing files and directories */
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	CU_ASSERT_PTR_NULL(irx_doc_load_file(path, &d));
	got = diags_text(&d);
	{
		char want[4200];

		snprintf(want, sizeof(want), "%s: cannot read file: No such file or directory\n",
			 path);
		CU_ASSERT_STRING_EQUAL(got, want);
	}
	free(got);
	irx_diags_release(&d);
	CU_ASSERT_PTR_NULL(irx_doc_load_file(dir, &d));
	got = diags_text(&d);
	IRX_ASSERT_CONTAINS(got, ": cannot read file: Is a directory\n");
	free(got);
	irx_diags_release(&d);
}

static void test_load_file(void)
{
	const char *dir = irx_test_tmpdir();
	char path[4096];
	struct irx_diags d = {0};
	struct irx_doc *doc = NULL;

	snprintf(path, sizeof(path), "%s/rb.yaml", dir);
	CU_ASSERT_EQUAL(irx_test_write(path, "schemaVersion: '0.3'\nmainSteps: []\n"), 0);
	doc = irx_doc_load_file(path, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(doc->file, path);
	CU_ASSERT_STRING_EQUAL(doc->root->file, path);
	ASSERT_POS(irx_node_get(doc->root, "mainSteps"), 2u, 12u);
	irx_doc_free(doc);
	/* diagnostics name the path */
	CU_ASSERT_EQUAL(irx_test_write(path, "a: 1\na: 2\n"), 0);
	CU_ASSERT_PTR_NULL(irx_doc_load_file(path, &d));
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_STRING_EQUAL(d.items[0].file, path);
	CU_ASSERT_EQUAL(d.items[0].line, 2);
	CU_ASSERT_EQUAL(d.items[0].col, 1);
	CU_ASSERT_STRING_EQUAL(d.items[0].message, "duplicate key 'a' (first at line 1)");
	irx_diags_release(&d);
}

/* --- documents that load ------------------------------------------------------------- */

static void test_empty_documents(void)
{
	const char *empties[] = {"", "# only a comment\n", "---\n", "--- \n...\n", "\n\n"};

	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		struct irx_doc *doc = load_ok(empties[i]);

		CU_ASSERT_PTR_NOT_NULL(doc);
		CU_ASSERT_PTR_NULL(doc ? doc->root : NULL);
		irx_doc_free(doc);
	}
	/* an explicit null is a node, with a position */
	{
		struct irx_doc *doc = load_ok("--- ~\n");

		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		ASSERT_POS(doc->root, 1u, 5u);
		CU_ASSERT_TRUE(irx_node_is_null(doc->root));
		irx_doc_free(doc);
	}
	/* NULL buffer is an empty document */
	{
		struct irx_diags d = {0};
		struct irx_doc *doc = irx_doc_load_buffer("x", NULL, 0, &d);

		CU_ASSERT_PTR_NOT_NULL(doc);
		CU_ASSERT_PTR_NULL(doc ? doc->root : NULL);
		CU_ASSERT_EQUAL(d.count, 0);
		irx_doc_free(doc);
	}
}

static void test_aliases(void)
{
	const char *text = "defaults: &d\n"
			   "  retries: 3\n"
			   "  tags: [a, b]\n"
			   "name: &n step1\n"
			   "steps:\n"
			   "  - *d\n"
			   "  - {x: *n, y: *d}\n"
			   "name2: &n other\n"
			   "again: *n\n";
	struct irx_doc *doc = load_ok(text);
	const struct irx_node *root = NULL, *d = NULL, *s0 = NULL, *y = NULL;
	struct json_object *j = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	root = doc->root;
	d = irx_node_get(root, "defaults");
	s0 = irx_node_get(root, "steps")->items[0];
	y = irx_node_get(irx_node_get(root, "steps")->items[1], "y");
	/* copies, not shared: the tree is freed once */
	CU_ASSERT_PTR_NOT_EQUAL(s0, d);
	CU_ASSERT_PTR_NOT_EQUAL(s0->items[0], d->items[0]);
	CU_ASSERT_PTR_NOT_EQUAL(irx_node_get(s0, "tags")->items[1],
				irx_node_get(d, "tags")->items[1]);
	CU_ASSERT_PTR_NOT_EQUAL(s0->items[1], y->items[1]);
	/* the copy sits where the alias is; its insides keep the anchor's positions */
	/* libyaml starts a block collection at its anchor */
	ASSERT_POS(d, 1u, 11u);
	ASSERT_POS(s0, 6u, 5u);
	ASSERT_POS(y, 7u, 16u);
	ASSERT_POS(irx_node_get(s0, "retries"), 2u, 12u);
	ASSERT_POS(irx_node_get(irx_node_get(root, "steps")->items[1], "x"), 7u, 9u);
	/* a redefined anchor applies from there on */
	CU_ASSERT_STRING_EQUAL(irx_node_str(irx_node_get(root, "again")), "other");
	j = irx_node_to_json(root);
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
	    "{\"defaults\":{\"retries\":3,\"tags\":[\"a\",\"b\"]},\"name\":\"step1\","
	    "\"steps\":[{\"retries\":3,\"tags\":[\"a\",\"b\"]},{\"x\":\"step1\",\"y\":{"
	    "\"retries\":3,\"tags\":[\"a\",\"b\"]}}],\"name2\":\"other\",\"again\":\"other\"}");
	json_object_put(j);
	irx_doc_free(doc);
	/* a key may be an alias of a scalar, and duplicates through aliases are caught */
	ASSERT_JSON("k: &k name\n*k : v\n", "{\"k\":\"name\",\"name\":\"v\"}");
	ASSERT_LOAD_ERR("&k a: 1\n*k : 2\n", "t.yaml:2:1: duplicate key 'a' (first at line 1)\n");
	/* quoted-ness survives the copy */
	ASSERT_JSON("a: &q '5'\nb: *q\nc: &p 5\nd: *p\n",
		    "{\"a\":\"5\",\"b\":\"5\",\"c\":5,\"d\":5}");
}

static void test_to_json_typing(void)
{
	static const struct {
		const char *yaml, *json, *type;
	} table[] = {
	    {"~", "null", "null"},
	    {"null", "null", "null"},
	    {"Null", "null", "null"},
	    {"NULL", "null", "null"},
	    {"", "null", "null"},
	    {"nULL", "\"nULL\"", "string"},
	    {"true", "true", "boolean"},
	    {"True", "true", "boolean"},
	    {"TRUE", "true", "boolean"},
	    {"false", "false", "boolean"},
	    {"False", "false", "boolean"},
	    {"FALSE", "false", "boolean"},
	    {"tRUE", "\"tRUE\"", "string"},
	    {"yes", "\"yes\"", "string"},
	    {"on", "\"on\"", "string"},
	    {"0", "0", "integer"},
	    {"-0", "0", "integer"},
	    {"42", "42", "integer"},
	    {"+12", "12", "integer"},
	    {"-17", "-17", "integer"},
	    {"007", "7", "integer"},
	    {"0o17", "15", "integer"},
	    {"0x1F", "31", "integer"},
	    {"0xff", "255", "integer"},
	    {"0o", "\"0o\"", "string"},
	    {"0x", "\"0x\"", "string"},
	    {"0o8", "\"0o8\"", "string"},
	    {"-0x1", "\"-0x1\"", "string"},
	    {"1_000", "\"1_000\"", "string"},
	    {"9223372036854775807", "9223372036854775807", "integer"},
	    {"-9223372036854775808", "-9223372036854775808", "integer"},
	    {"9223372036854775808", "\"9223372036854775808\"", "string"},
	    {"0x7FFFFFFFFFFFFFFF", "9223372036854775807", "integer"},
	    {"0x8000000000000000", "\"0x8000000000000000\"", "string"},
	    {"0o1777777777777777777777", "\"0o1777777777777777777777\"", "string"},
	    {"1.5", "1.5", "number"},
	    {"-2.25", "-2.25", "number"},
	    {".5", "0.5", "number"},
	    {"1.", "1.0", "number"},
	    {"1e3", "1000.0", "number"},
	    {"+2.5E-1", "0.25", "number"},
	    {"1e", "\"1e\"", "string"},
	    {".", "\".\"", "string"},
	    {"1.2.3", "\"1.2.3\"", "string"},
	    {"0x1p3", "\"0x1p3\"", "string"},
	    {"inf", "\"inf\"", "string"},
	    {"nan", "\"nan\"", "string"},
	    {"12:30", "\"12:30\"", "string"},
	    {"2024-01-01", "\"2024-01-01\"", "string"},
	    {"'true'", "\"true\"", "string"},
	    {"\"42\"", "\"42\"", "string"},
	    {"\"\"", "\"\"", "string"},
	    {"''", "\"\"", "string"},
	    {"'~'", "\"~\"", "string"},
	    {"!!str 42", "\"42\"", "string"},
	    {"!!str true", "\"true\"", "string"},
	    {"! 42", "\"42\"", "string"},
	    {"!!int 42", "42", "integer"},
	    {"!!str", "\"\"", "string"},
	    {"|\n  42", "\"42\\n\"", "string"},
	    {">-\n  true", "\"true\"", "string"},
	    {"arn:aws:iam::1:role/x", "\"arn:aws:iam::1:role\\/x\"", "string"},
	    {"[]", "[]", "list"},
	    {"{}", "{}", "map"},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char text[256];
		char *json = NULL;
		struct irx_doc *doc = NULL;

		snprintf(text, sizeof(text), "v: %s\n", table[i].yaml);
		doc = load_ok(text);
		if (!doc)
			continue;
		{
			const struct irx_node *v = irx_node_get(doc->root, "v");
			struct json_object *j = irx_node_to_json(v);

			json = irx_xstrdup(
			    j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN) : "null");
			if (strcmp(json, table[i].json) != 0 ||
			    strcmp(irx_node_type_name(v), table[i].type) != 0)
				fprintf(stderr, "\n  %s: expected %s (%s), got %s (%s)\n",
					table[i].yaml, table[i].json, table[i].type, json,
					irx_node_type_name(v));
			CU_ASSERT_STRING_EQUAL(json, table[i].json);
			CU_ASSERT_STRING_EQUAL(irx_node_type_name(v), table[i].type);
			CU_ASSERT_EQUAL(irx_node_is_null(v), strcmp(table[i].type, "null") == 0);
			json_object_put(j);
		}
		free(json);
		irx_doc_free(doc);
	}
}

static void test_to_json_special_floats(void)
{
	struct irx_doc *doc = load_ok("[.inf, -.Inf, +.INF, .nan, .NaN, .NAN, .nAn]\n");
	struct json_object *j = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	j = irx_node_to_json(doc->root);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(j), 7);
	CU_ASSERT_TRUE(isinf(json_object_get_double(json_object_array_get_idx(j, 0))));
	CU_ASSERT_TRUE(json_object_get_double(json_object_array_get_idx(j, 0)) > 0);
	CU_ASSERT_TRUE(json_object_get_double(json_object_array_get_idx(j, 1)) < 0);
	CU_ASSERT_TRUE(isinf(json_object_get_double(json_object_array_get_idx(j, 2))));
	for (size_t i = 3; i < 6; i++) {
		CU_ASSERT_TRUE(
		    json_object_is_type(json_object_array_get_idx(j, i), json_type_double));
		CU_ASSERT_TRUE(isnan(json_object_get_double(json_object_array_get_idx(j, i))));
	}
	CU_ASSERT_TRUE(json_object_is_type(json_object_array_get_idx(j, 6), json_type_string));
	CU_ASSERT_STRING_EQUAL(irx_node_type_name(doc->root->items[0]), "number");
	json_object_put(j);
	irx_doc_free(doc);
}

static void test_accessors(void)
{
	struct irx_doc *doc = load_ok("a: 1\nb: [x]\nc: {d: ''}\n\"\": empty key\nz: \"a\\0b\"\n");
	const struct irx_node *root = NULL;
	struct json_object *j = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	root = doc->root;
	CU_ASSERT_STRING_EQUAL(irx_node_str(irx_node_get(root, "a")), "1");
	CU_ASSERT_PTR_NULL(irx_node_get(root, "missing"));
	CU_ASSERT_PTR_NULL(irx_node_get(root, "A"));
	CU_ASSERT_PTR_NULL(irx_node_get(irx_node_get(root, "b"), "x")); /* not a map */
	CU_ASSERT_PTR_NULL(irx_node_get(NULL, "a"));
	CU_ASSERT_PTR_NULL(irx_node_get(root, NULL));
	CU_ASSERT_PTR_NULL(irx_node_str(irx_node_get(root, "b")));
	CU_ASSERT_PTR_NULL(irx_node_str(NULL));
	CU_ASSERT_STRING_EQUAL(irx_node_str(irx_node_get(root, "")), "empty key");
	CU_ASSERT_STRING_EQUAL(irx_node_type_name(irx_node_get(root, "a")), "integer");
	CU_ASSERT_STRING_EQUAL(irx_node_type_name(irx_node_get(root, "b")), "list");
	CU_ASSERT_STRING_EQUAL(irx_node_type_name(irx_node_get(root, "c")), "map");
	CU_ASSERT_STRING_EQUAL(irx_node_type_name(NULL), "null");
	CU_ASSERT_FALSE(irx_node_is_null(NULL));
	CU_ASSERT_FALSE(irx_node_is_null(irx_node_get(irx_node_get(root, "c"), "d")));
	CU_ASSERT_FALSE(irx_node_is_null(irx_node_get(root, "b")));
	CU_ASSERT_PTR_NULL(irx_node_to_json(NULL));
	/* an escaped NUL stays in the value: len counts it and JSON keeps it */
	{
		const struct irx_node *z = irx_node_get(root, "z");

		CU_ASSERT_EQUAL(z->len, 3);
		CU_ASSERT_EQUAL(memcmp(z->value, "a\0b", 4), 0);
		j = irx_node_to_json(z);
		CU_ASSERT_EQUAL(json_object_get_string_len(j), 3);
		json_object_put(j);
	}
	irx_doc_free(doc);
	irx_doc_free(NULL);
}

static void test_json_documents(void)
{
	ASSERT_JSON(
	    "{\"a\":1,\"b\":[true,false,null,1.5,\"x\",{\"c\":\"\\u00e9\\n\"}],\"d\":-3e2}",
	    "{\"a\":1,\"b\":[true,false,null,1.5,\"x\",{\"c\":\"\xc3\xa9\\n\"}],\"d\":-300.0}");
	ASSERT_JSON("[]", "[]");
	ASSERT_JSON("\"just a string\"", "\"just a string\"");
	/* key order is kept */
	ASSERT_JSON("{\"z\": 1, \"a\": 2, \"m\": 3}", "{\"z\":1,\"a\":2,\"m\":3}");
	ASSERT_LOAD_ERR("{\"a\": 1, \"a\": 2}\n",
			"t.yaml:1:10: duplicate key 'a' (first at line 1)\n");
}

/* Every awsdocs sample runbook loads, and matches what it says. */
static void test_awsdocs_vectors(void)
{
	static const struct {
		const char *file;
		size_t steps;
		const char *first;
	} want[] = {
	    {"automation-action-approve.yaml", 2, "approve"},
	    {"automation-action-outputs-inputs.yaml", 4, "getImageId"},
	    {"automation-actions.yaml", 13, "getInstanceDetails"},
	    {"automation-branch-condition-example1.yaml", 5, "GetInstance"},
	    {"automation-branch-condition-example2.yaml", 4, "ChooseOS"},
	    {"automation-document-architecture-deployment-example.yaml", 35, "getLatestWindowsAmi"},
	    {"automation-document-backup-maintenance-example.yaml", 3, "createImage"},
	    {"automation-document-instance-recovery-example.yaml", 13, "getInstanceDetails"},
	};
	const char *dir = irx_test_src("tests/vectors/ssm-automation/awsdocs");
	char dirpath[4096];
	DIR *dh = NULL;
	struct dirent *de = NULL;
	size_t seen = 0;

	snprintf(dirpath, sizeof(dirpath), "%s", dir);
	dh = opendir(dirpath);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dh);
	while ((de = readdir(dh))) {
		char path[4096 + 256];
		struct irx_diags d = {0};
		struct irx_doc *doc = NULL;
		const struct irx_node *steps = NULL;
		bool known = false;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		doc = irx_doc_load_file(path, &d);
		if (!doc || d.count) {
			char *msg = diags_text(&d);

			fprintf(stderr, "\n  %s: %s", path, msg);
			free(msg);
		}
		CU_ASSERT_PTR_NOT_NULL(doc);
		CU_ASSERT_EQUAL(d.count, 0);
		irx_diags_release(&d);
		if (!doc)
			continue;
		seen++;
		CU_ASSERT_EQUAL(doc->root->kind, IRX_NODE_MAP);
		CU_ASSERT_STRING_EQUAL(irx_node_str(irx_node_get(doc->root, "schemaVersion")),
				       "0.3");
		CU_ASSERT_STRING_EQUAL(irx_node_type_name(irx_node_get(doc->root, "schemaVersion")),
				       "string");
		steps = irx_node_get(doc->root, "mainSteps");
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			if (strcmp(want[i].file, de->d_name) != 0)
				continue;
			known = true;
			CU_ASSERT_PTR_NOT_NULL_FATAL(steps);
			CU_ASSERT_EQUAL(steps->count, want[i].steps);
			CU_ASSERT_STRING_EQUAL(irx_node_str(irx_node_get(steps->items[0], "name")),
					       want[i].first);
		}
		if (!known)
			fprintf(stderr, "\n  unexpected vector %s\n", de->d_name);
		CU_ASSERT_TRUE(known);
		/* the whole tree converts */
		{
			struct json_object *j = irx_node_to_json(doc->root);

			CU_ASSERT_TRUE(json_object_is_type(j, json_type_object));
			json_object_put(j);
		}
		irx_doc_free(doc);
	}
	closedir(dh);
	CU_ASSERT_EQUAL(seen, 8);
}

/* A position deep inside a vector, checked by hand against the file. */
static void test_awsdocs_positions(void)
{
	struct irx_diags d = {0};
	struct irx_doc *doc = irx_doc_load_file(
	    irx_test_src("tests/vectors/ssm-automation/awsdocs/automation-action-approve.yaml"),
	    &d);
	const struct irx_node *run = NULL, *cmds = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	ASSERT_POS(doc->root, 2u, 1u);
	run = irx_node_get(doc->root, "mainSteps")->items[1];
	ASSERT_POS(run, 21u, 3u);
	cmds = irx_node_get(irx_node_get(irx_node_get(run, "inputs"), "Parameters"), "commands");
	ASSERT_POS(cmds->items[0], 29u, 9u);
	CU_ASSERT_STRING_EQUAL(irx_node_str(cmds->items[0]), "date");
	CU_ASSERT_STRING_EQUAL(
	    irx_node_type_name(
		irx_node_get(irx_node_get(irx_node_get(doc->root, "mainSteps")->items[0], "inputs"),
			     "MinRequiredApprovals")),
	    "integer");
	irx_doc_free(doc);
	irx_diags_release(&d);
}

static CU_TestInfo tests[] = {
    {"positions in a YAML document", test_positions_yaml},
    {"positions in a JSON document", test_positions_json},
    {"positions with CRLF and a BOM", test_positions_crlf_bom},
    {"malformed YAML", test_err_malformed},
    {"unterminated quote", test_err_unterminated_quote},
    {"tab indentation", test_err_tabs},
    {"control characters", test_err_control_chars},
    {"duplicate keys", test_err_duplicate_keys},
    {"duplicate key in a big map", test_err_duplicate_keys_many},
    {"non-scalar keys", test_err_key_not_scalar},
    {"at most 20 errors", test_err_many_errors},
    {"alias bomb", test_err_alias_bomb},
    {"too many nodes", test_err_too_many_nodes},
    {"deep nesting", test_err_deep_nesting},
    {"non-UTF-8", test_err_utf8},
    {"NUL byte", test_err_nul},
    {"two documents", test_err_two_documents},
    {"unknown and recursive aliases", test_err_aliases},
    {"tags", test_err_tags},
    {"oversized and unreadable files", test_err_oversized},
    {"load a file", test_load_file},
    {"empty documents", test_empty_documents},
    {"aliases are copied", test_aliases},
    {"to_json typing", test_to_json_typing},
    {"to_json inf and nan", test_to_json_special_floats},
    {"accessors", test_accessors},
    {"JSON documents", test_json_documents},
    {"awsdocs vectors load", test_awsdocs_vectors},
    {"awsdocs vector positions", test_awsdocs_positions},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("node", tests, NULL, NULL)
