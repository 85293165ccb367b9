/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static validation. The fixtures in tests/unit/fixtures/runbooks/ are the
 * bad-input catalogue: each bad-*.yaml has a bad-*.expected holding every
 * diagnostic it must produce, exactly ("file:line:col: message", document
 * order), and each good-* runbook must produce none. IRX_UPDATE_EXPECTED=1
 * rewrites the .expected files (then review the diff: they are the spec).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "diag.h"
#include "node.h"
#include "runbook.h"
#include "test.h"
#include "util.h"

#define FIXTURES "tests/unit/fixtures/runbooks"

struct ordered {
	struct irx_diag diag;
	size_t seq;
};

static int cmp_ordered(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->diag.line != y->diag.line)
		return x->diag.line < y->diag.line ? -1 : 1;
	if (x->diag.col != y->diag.col)
		return x->diag.col < y->diag.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Loads and validates with built-ins only; returns every diagnostic as text (caller frees). */
static char *check_text(const char *path, const char *shown)
{
	struct irx_diags d = {0};
	struct irx_actions *actions = irx_actions_new(NULL);
	struct irx_runbook *rb = irx_runbook_load(path, &d);
	struct ordered *tmp = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (rb)
		irx_runbook_validate(rb, actions, &d);
	tmp = irx_xcalloc(d.count ? d.count : 1, sizeof(*tmp));
	for (size_t i = 0; i < d.count; i++) {
		tmp[i].diag = d.items[i];
		tmp[i].seq = i;
	}
	qsort(tmp, d.count, sizeof(*tmp), cmp_ordered);
	for (size_t i = 0; i < d.count; i++) {
		CU_ASSERT_STRING_EQUAL(tmp[i].diag.file, path);
		if (tmp[i].diag.line)
			fprintf(f, "%s:%u:%u: %s\n", shown, tmp[i].diag.line, tmp[i].diag.col,
				tmp[i].diag.message);
		else
			fprintf(f, "%s: %s\n", shown, tmp[i].diag.message);
	}
	fclose(f);
	free(tmp);
	irx_runbook_free(rb);
	irx_actions_free(actions);
	irx_diags_release(&d);
	return out;
}

static int has_prefix_suffix(const char *s, const char *pre, const char *suf)
{
	size_t n = strlen(s), a = strlen(pre), b = strlen(suf);

	return n > a + b && strncmp(s, pre, a) == 0 && strcmp(s + n - b, suf) == 0;
}

static void test_bad_fixtures(void)
{
	DIR *dir = opendir(irx_test_src(FIXTURES));
	struct dirent *de = NULL;
	int seen = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	while ((de = readdir(dir))) {
		char path[4096], exp_path[4096];
		char *got = NULL, *want = NULL;
		size_t base = 0;

		if (!has_prefix_suffix(de->d_name, "bad-", ".yaml"))
			continue;
		seen++;
		snprintf(path, sizeof(path), "%s/%s", irx_test_src(FIXTURES), de->d_name);
		base = strlen(path) - strlen(".yaml");
		snprintf(exp_path, sizeof(exp_path), "%.*s.expected", (int)base, path);
		got = check_text(path, de->d_name);
		if (getenv("IRX_UPDATE_EXPECTED"))
			irx_test_write(exp_path, got);
		if (irx_read_file(exp_path, 1 << 20, &want, NULL) < 0) {
			fprintf(stderr, "\n  missing %s\n", exp_path);
			CU_FAIL("missing .expected file");
		} else {
			if (strcmp(got, want) != 0)
				fprintf(stderr, "\n  %s\n  expected:\n%s  got:\n%s", de->d_name, want,
					got);
			CU_ASSERT_STRING_EQUAL(got, want);
			/* a bad fixture that passed would test nothing */
			CU_ASSERT_TRUE(got[0] != '\0');
		}
		free(got);
		free(want);
	}
	closedir(dir);
	CU_ASSERT_TRUE(seen >= 15);
}

static void test_good_fixtures(void)
{
	static const char *const good[] = {"good-full.yaml", "good-json.json"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char path[4096];
		char *got = NULL;

		snprintf(path, sizeof(path), "%s/%s", irx_test_src(FIXTURES), good[i]);
		got = check_text(path, good[i]);
		if (got[0])
			fprintf(stderr, "\n  %s:\n%s", good[i], got);
		CU_ASSERT_STRING_EQUAL(got, "");
		free(got);
	}
}

/* Validates an inline runbook; returns the diagnostics as text, in document order. */
static char *check_buffer(const char *text)
{
	char *path = irx_xasprintf("%s/rb.yaml", irx_test_tmpdir());
	char *out = NULL;

	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, text), 0);
	out = check_text(path, "rb.yaml");
	free(path);
	return out;
}

static void expect_diags(const char *text, const char *want)
{
	char *got = check_buffer(text);

	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  expected:\n%s  got:\n%s", want, got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void test_earlier_step_rule(void)
{
	/* a backward nextStep does not make a later step "earlier": document order decides */
	expect_diags("schemaVersion: '0.3'\n"
		     "mainSteps:\n"
		     "  - name: a\n"
		     "    action: aws:sleep\n"
		     "    nextStep: c\n"
		     "    inputs: {Duration: PT1S}\n"
		     "  - name: b\n"
		     "    action: aws:sleep\n"
		     "    isEnd: true\n"
		     "    inputs: {Duration: '{{ c.Wait }}'}\n"
		     "  - name: c\n"
		     "    action: aws:sleep\n"
		     "    nextStep: b\n"
		     "    inputs: {Duration: PT1S}\n"
		     "    outputs: [{Name: Wait, Selector: $.w, Type: String}]\n",
		     "rb.yaml:10:24: '{{ c.Wait }}' refers to step 'c', which is not before step "
		     "'b'\n");
	/* a step cannot use its own outputs */
	expect_diags("schemaVersion: '0.3'\n"
		     "mainSteps:\n"
		     "  - name: a\n"
		     "    action: aws:sleep\n"
		     "    inputs: {Duration: '{{ a.Wait }}'}\n"
		     "    outputs: [{Name: Wait, Selector: $.w, Type: String}]\n",
		     "rb.yaml:5:24: '{{ a.Wait }}' refers to step 'a', which is not before step "
		     "'a'\n");
}

static void test_loops(void)
{
	/* a loop with a branch in it can be left: not an error */
	expect_diags("schemaVersion: '0.3'\n"
		     "parameters: {N: {type: String, default: x}}\n"
		     "mainSteps:\n"
		     "  - name: a\n"
		     "    action: aws:sleep\n"
		     "    inputs: {Duration: PT1S}\n"
		     "  - name: check\n"
		     "    action: aws:branch\n"
		     "    inputs:\n"
		     "      Choices: [{NextStep: a, Variable: '{{ N }}', StringEquals: x}]\n"
		     "      Default: out\n"
		     "  - name: out\n"
		     "    action: aws:sleep\n"
		     "    inputs: {Duration: PT1S}\n",
		     "");
	/* isEnd inside the cycle ends it */
	expect_diags("schemaVersion: '0.3'\n"
		     "mainSteps:\n"
		     "  - name: a\n"
		     "    action: aws:sleep\n"
		     "    isEnd: true\n"
		     "    nextStep: a\n"
		     "    inputs: {Duration: PT1S}\n",
		     "");
	/* a three-step loop named from its first step, reported at the jump back */
	expect_diags("schemaVersion: '0.3'\n"
		     "mainSteps:\n"
		     "  - {name: x, action: aws:sleep, nextStep: z, inputs: {Duration: PT1S}}\n"
		     "  - {name: y, action: aws:sleep, nextStep: x, inputs: {Duration: PT1S}}\n"
		     "  - {name: z, action: aws:sleep, nextStep: y, inputs: {Duration: PT1S}}\n",
		     "rb.yaml:4:44: steps 'x' -> 'z' -> 'y' -> 'x' loop forever: no aws:branch or "
		     "isEnd leaves the loop\n");
}

static void test_single_reference_types(void)
{
	expect_diags("schemaVersion: '0.3'\n"
		     "parameters:\n"
		     "  Ids: {type: StringList, default: [a]}\n"
		     "  Flag: {type: Boolean, default: true}\n"
		     "mainSteps:\n"
		     "  - name: a\n"
		     "    action: aws:sleep\n"
		     "    inputs: {Duration: '{{ Ids }}'}\n"
		     "  - name: b\n"
		     "    action: aws:sleep\n"
		     "    inputs: {Duration: 'P{{ Ids }}'}\n"
		     "  - name: c\n"
		     "    action: aws:sleep\n"
		     "    inputs: {Duration: '{{ global:DATE_TIME }}'}\n"
		     "  - name: d\n"
		     "    action: aws:branch\n"
		     "    inputs: {Choices: '{{ Flag }}', Default: '{{ Flag }}'}\n",
		     "rb.yaml:8:24: input 'Duration' must be String, but '{{ Ids }}' is StringList\n"
		     "rb.yaml:17:23: input 'Choices' must be MapList, but '{{ Flag }}' is Boolean\n"
		     "rb.yaml:17:46: input 'Default' must be String, but '{{ Flag }}' is Boolean\n");
}

static void test_counts_everything_at_once(void)
{
	struct irx_diags d = {0};
	struct irx_actions *actions = irx_actions_new(NULL);
	char path[4096];
	struct irx_runbook *rb = NULL;
	size_t loaded = 0, added = 0;

	snprintf(path, sizeof(path), "%s/bad-references.yaml", irx_test_src(FIXTURES));
	rb = irx_runbook_load(path, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	loaded = d.count;
	added = irx_runbook_validate(rb, actions, &d);
	CU_ASSERT_EQUAL(loaded, 0);
	CU_ASSERT_EQUAL(added, d.count);
	CU_ASSERT_TRUE(added >= 8);
	/* the validator's own diagnostics come back in document order */
	for (size_t i = 1; i < d.count; i++)
		CU_ASSERT_TRUE(d.items[i - 1].line < d.items[i].line ||
			       (d.items[i - 1].line == d.items[i].line &&
				d.items[i - 1].col <= d.items[i].col));
	irx_runbook_free(rb);
	irx_actions_free(actions);
	irx_diags_release(&d);
}

static CU_TestInfo tests[] = {
	{"bad fixtures: exact diagnostics", test_bad_fixtures},
	{"good fixtures: no diagnostics", test_good_fixtures},
	{"earlier means earlier in the document", test_earlier_step_rule},
	{"unconditional loops", test_loops},
	{"single-reference input types", test_single_reference_types},
	{"all errors at once, in order", test_counts_everything_at_once},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("validate", tests, NULL, NULL)
