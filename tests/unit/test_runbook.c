/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runbook model: what irx_runbook_load reads, and the required vector
 * test: every SSM document in tests/vectors/ssm-automation/awsdocs/ loads;
 * those whose actions irx supports validate; the others fail naming only
 * the unsupported actions, each at its step's `action:` value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "diag.h"
#include "error.h"
#include "node.h"
#include "runbook.h"
#include "test.h"
#include "util.h"

#define FIXTURES "tests/unit/fixtures/runbooks"
#define VECTORS "tests/vectors/ssm-automation/awsdocs"

static void test_model(void)
{
	struct irx_diags d = {0};
	char path[4096];
	struct irx_runbook *rb = NULL;
	const struct irx_step_def *s = NULL;
	const struct irx_param_decl *p = NULL;

	snprintf(path, sizeof(path), "%s/good-full.yaml", irx_test_src(FIXTURES));
	rb = irx_runbook_load(path, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT_STRING_EQUAL(rb->name, "good-full");
	CU_ASSERT_STRING_EQUAL(rb->description, "A runbook that uses every feature irx validates.\n");
	CU_ASSERT_STRING_EQUAL(rb->assume_role, "{{ AutomationAssumeRole }}");
	CU_ASSERT_EQUAL(rb->param_count, 9);
	CU_ASSERT_EQUAL(rb->step_count, 4);

	p = irx_runbook_param(rb, "InstanceId");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->type, IRX_PARAM_STRING);
	CU_ASSERT_PTR_NULL(p->default_value); /* required */
	CU_ASSERT_STRING_EQUAL(p->allowed_pattern, "^i-[a-f\\d]{8,17}$");
	CU_ASSERT_STRING_EQUAL(p->description, "(Required) the instance");
	p = irx_runbook_param(rb, "Tags");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->type, IRX_PARAM_STRING_LIST);
	CU_ASSERT_EQUAL(p->min_items, 1);
	CU_ASSERT_EQUAL(p->max_items, 5);
	CU_ASSERT_EQUAL(p->default_value->kind, IRX_NODE_SEQ);
	p = irx_runbook_param(rb, "Mode");
	CU_ASSERT_EQUAL(p->allowed_values->count, 2);
	CU_ASSERT_EQUAL(p->min_items, -1);
	CU_ASSERT_EQUAL(irx_runbook_param(rb, "Filters")->type, IRX_PARAM_MAP_LIST);
	CU_ASSERT_EQUAL(irx_runbook_param(rb, "Labels")->type, IRX_PARAM_STRING_MAP);
	CU_ASSERT_EQUAL(irx_runbook_param(rb, "Retries")->type, IRX_PARAM_INTEGER);
	CU_ASSERT_EQUAL(irx_runbook_param(rb, "DryRun")->type, IRX_PARAM_BOOLEAN);
	CU_ASSERT_PTR_NULL(irx_runbook_param(rb, "Nope"));

	s = irx_runbook_step(rb, "choose");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->action, "aws:branch");
	CU_ASSERT_EQUAL(s->on_failure, IRX_ON_FAILURE_ABORT);
	CU_ASSERT_TRUE(s->is_critical);
	CU_ASSERT_EQUAL(s->max_attempts, 1);
	CU_ASSERT_EQUAL(s->timeout_seconds, 0);
	CU_ASSERT_PTR_NULL(s->next_step);
	CU_ASSERT_EQUAL(s->node->line, 46);
	CU_ASSERT_EQUAL(s->node->col, 5);
	s = irx_runbook_step(rb, "wait");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->on_failure, IRX_ON_FAILURE_CONTINUE);
	CU_ASSERT_FALSE(s->is_critical);
	CU_ASSERT_EQUAL(s->max_attempts, 2);
	CU_ASSERT_EQUAL(s->timeout_seconds, 60);
	CU_ASSERT_EQUAL(s->output_count, 1);
	CU_ASSERT_STRING_EQUAL(s->outputs[0].name, "Slept");
	CU_ASSERT_STRING_EQUAL(s->outputs[0].selector, "$.Slept");
	CU_ASSERT_EQUAL(s->outputs[0].type, IRX_PARAM_BOOLEAN);
	CU_ASSERT_STRING_EQUAL(irx_node_str(irx_node_get(s->inputs, "Duration")), "PT1S");
	s = irx_runbook_step(rb, "again");
	CU_ASSERT_EQUAL(s->on_failure, IRX_ON_FAILURE_STEP);
	CU_ASSERT_STRING_EQUAL(s->on_failure_step, "done");
	CU_ASSERT_STRING_EQUAL(s->next_step, "choose");
	CU_ASSERT_TRUE(s->is_critical);
	s = irx_runbook_step(rb, "done");
	CU_ASSERT_TRUE(s->is_end);
	CU_ASSERT_PTR_NULL(irx_runbook_step(rb, "nope"));
	CU_ASSERT_EQUAL(rb->outputs->count, 1);
	irx_runbook_free(rb);
	irx_diags_release(&d);
}

static void test_type_names(void)
{
	static const char *const names[] = {"String",  "StringList", "Integer",
					    "Boolean", "MapList",    "StringMap"};

	for (int t = IRX_PARAM_STRING; t <= IRX_PARAM_STRING_MAP; t++) {
		CU_ASSERT_STRING_EQUAL(irx_param_type_name((enum irx_param_type)t), names[t - 1]);
		CU_ASSERT_EQUAL(irx_param_type_parse(names[t - 1]), t);
	}
	/* Any is a built-in schema type; a runbook cannot declare it */
	CU_ASSERT_EQUAL(irx_param_type_parse("Any"), 0);
	CU_ASSERT_EQUAL(irx_param_type_parse("string"), 0);
	CU_ASSERT_EQUAL(irx_param_type_parse(NULL), 0);
	CU_ASSERT_STRING_EQUAL(irx_param_type_name(IRX_PARAM_ANY), "Any");
	CU_ASSERT_STRING_EQUAL(irx_param_type_name(0), "unknown");
}

static struct irx_runbook *load_text(const char *name, const char *text, struct irx_diags *d)
{
	return irx_runbook_load_buffer(name, text, strlen(text), d);
}

static void test_buffer_name_and_schema_version(void)
{
	struct irx_diags d = {0};
	struct irx_runbook *rb = NULL;

	/* quoted '0.3' and a plain 0.3 (same text) are accepted; 0.30 and 1 are not */
	rb = load_text("dir/sub/isolate.v2.yaml",
		       "schemaVersion: 0.3\nmainSteps: [{name: a, action: aws:sleep, inputs: "
		       "{Duration: PT1S}}]\n",
		       &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT_STRING_EQUAL(rb->name, "isolate.v2");
	CU_ASSERT_STRING_EQUAL(rb->description, "");
	CU_ASSERT_PTR_NULL(rb->assume_role);
	CU_ASSERT_PTR_NULL(rb->outputs);
	irx_runbook_free(rb);
	rb = load_text("x.yaml", "schemaVersion: 0.30\nmainSteps: [{name: a, action: aws:sleep, "
				 "inputs: {}}]\n",
		       &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_STRING_EQUAL(d.items[0].message, "unsupported schemaVersion '0.30': irx runs "
						   "Automation runbooks, schemaVersion '0.3'");
	CU_ASSERT_EQUAL(d.items[0].line, 1);
	CU_ASSERT_EQUAL(d.items[0].col, 16);
	irx_runbook_free(rb);
	irx_diags_release(&d);
	rb = load_text("noext", "schemaVersion: [0.3]\nmainSteps: []\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_STRING_EQUAL(rb->name, "noext");
	CU_ASSERT_EQUAL_FATAL(d.count, 2);
	CU_ASSERT_STRING_EQUAL(d.items[0].message, "'schemaVersion' must be a string, got list");
	CU_ASSERT_STRING_EQUAL(d.items[1].message, "'mainSteps' must have at least one step");
	irx_runbook_free(rb);
	irx_diags_release(&d);
}

static void test_unparsable_returns_null(void)
{
	struct irx_diags d = {0};
	char *path = irx_xasprintf("%s/missing.yaml", irx_test_tmpdir());

	CU_ASSERT_PTR_NULL(irx_runbook_load(path, &d));
	CU_ASSERT_TRUE(d.count >= 1);
	irx_diags_release(&d);
	CU_ASSERT_PTR_NULL(load_text("x.yaml", "a: [\n", &d));
	CU_ASSERT_TRUE(d.count >= 1);
	irx_diags_release(&d);
	free(path);
}

/* A 50 MB runbook is refused with one clear error and nothing else. */
static void test_huge_runbook(void)
{
	struct irx_diags d = {0};
	char *path = irx_xasprintf("%s/huge.yaml", irx_test_tmpdir());
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("schemaVersion: '0.3'\ndescription: |\n", f);
	for (int i = 0; i < 50 * 1024; i++)
		fprintf(f, "  %01021d\n", i);
	fclose(f);
	CU_ASSERT_PTR_NULL(irx_runbook_load(path, &d));
	CU_ASSERT_EQUAL(d.count, 1);
	if (d.count)
		CU_ASSERT_STRING_EQUAL(d.items[0].message,
				       "file is 52428836 bytes; runbooks are limited to 4194304 bytes");
	irx_diags_release(&d);
	free(path);
}

/* --- the SSM documents from the AWS user guide ---------------------------------- */

struct vec_step {
	unsigned line, col;
	const char *action;
};

struct vec_doc {
	const char *file;
	const struct vec_step *steps; /* every step's action, in order */
	const char *const *never;     /* actions irx will never run: must be reported */
};

static const char *const never_script[] = {"aws:executeScript", NULL};
static const char *const never_none[] = {NULL};

static const struct vec_step action_approve[] = {
	{12, 11, "aws:approve"},
	{22, 11, "aws:runCommand"},
	{0},
};
static const struct vec_step action_outputs_inputs[] = {
	{16, 11, "aws:executeAwsApi"},
	{29, 11, "aws:executeAwsApi"},
	{41, 11, "aws:waitForAwsResourceProperty"},
	{52, 11, "aws:assertAwsResourceProperty"},
	{0},
};
static const struct vec_step actions_doc[] = {
	{18, 11, "aws:executeAwsApi"},
	{34, 11, "aws:executeAwsApi"},
	{51, 11, "aws:executeScript"},
	{94, 11, "aws:branch"},
	{105, 11, "aws:executeAwsApi"},
	{118, 11, "aws:executeAwsApi"},
	{127, 11, "aws:waitForAwsResourceProperty"},
	{139, 11, "aws:waitForAwsResourceProperty"},
	{151, 11, "aws:executeAwsApi"},
	{160, 11, "aws:waitForAwsResourceProperty"},
	{172, 11, "aws:executeAwsApi"},
	{182, 11, "aws:waitForAwsResourceProperty"},
	{194, 11, "aws:executeAwsApi"},
	{0},
};
static const struct vec_step branch_example1[] = {
	{10, 11, "aws:executeAwsApi"},
	{22, 11, "aws:branch"},
	{34, 11, "aws:runCommand"},
	{44, 11, "aws:runCommand"},
	{54, 11, "aws:sleep"},
	{0},
};
static const struct vec_step branch_example2[] = {
	{16, 11, "aws:branch"},
	{28, 11, "aws:runCommand"},
	{38, 11, "aws:runCommand"},
	{48, 11, "aws:sleep"},
	{0},
};
static const struct vec_step architecture[] = {
	{14, 13, "aws:executeAwsApi"},
	{27, 13, "aws:executeAwsApi"},
	{37, 13, "aws:executeAwsApi"},
	{46, 13, "aws:executeAwsApi"},
	{58, 13, "aws:executeAwsApi"},
	{67, 13, "aws:executeAwsApi"},
	{79, 13, "aws:executeAwsApi"},
	{94, 13, "aws:assertAwsResourceProperty"},
	{106, 13, "aws:executeAwsApi"},
	{120, 13, "aws:executeAwsApi"},
	{132, 13, "aws:executeAwsApi"},
	{143, 13, "aws:executeAwsApi"},
	{152, 13, "aws:executeAwsApi"},
	{164, 13, "aws:executeAwsApi"},
	{177, 13, "aws:waitForAwsResourceProperty"},
	{189, 13, "aws:executeAwsApi"},
	{199, 13, "aws:executeAwsApi"},
	{209, 13, "aws:executeAwsApi"},
	{217, 13, "aws:executeAwsApi"},
	{235, 13, "aws:executeAwsApi"},
	{249, 13, "aws:executeAwsApi"},
	{263, 13, "aws:executeAwsApi"},
	{277, 13, "aws:executeAwsApi"},
	{291, 13, "aws:waitForAwsResourceProperty"},
	{303, 13, "aws:sleep"},
	{308, 13, "aws:executeAwsApi"},
	{345, 13, "aws:executeAwsApi"},
	{382, 13, "aws:waitForAwsResourceProperty"},
	{395, 13, "aws:waitForAwsResourceProperty"},
	{410, 13, "aws:runCommand"},
	{426, 13, "aws:runCommand"},
	{436, 13, "aws:runCommand"},
	{458, 13, "aws:executeAwsApi"},
	{467, 13, "aws:sleep"},
	{472, 13, "aws:runCommand"},
	{0},
};
static const struct vec_step backup[] = {
	{18, 11, "aws:executeAwsApi"},
	{32, 11, "aws:waitForAwsResourceProperty"},
	{44, 11, "aws:executeScript"},
	{0},
};
static const struct vec_step recovery[] = {
	{18, 11, "aws:executeAwsApi"},
	{34, 11, "aws:executeAwsApi"},
	{50, 11, "aws:executeScript"},
	{93, 11, "aws:branch"},
	{103, 11, "aws:executeAwsApi"},
	{116, 11, "aws:executeAwsApi"},
	{125, 11, "aws:waitForAwsResourceProperty"},
	{137, 11, "aws:waitForAwsResourceProperty"},
	{149, 11, "aws:executeAwsApi"},
	{157, 11, "aws:waitForAwsResourceProperty"},
	{169, 11, "aws:executeAwsApi"},
	{179, 11, "aws:waitForAwsResourceProperty"},
	{191, 11, "aws:executeAwsApi"},
	{0},
};

static const struct vec_doc vec_docs[] = {
	{"automation-action-approve.yaml", action_approve, never_none},
	{"automation-action-outputs-inputs.yaml", action_outputs_inputs, never_none},
	{"automation-actions.yaml", actions_doc, never_script},
	{"automation-branch-condition-example1.yaml", branch_example1, never_none},
	{"automation-branch-condition-example2.yaml", branch_example2, never_none},
	{"automation-document-architecture-deployment-example.yaml", architecture, never_none},
	{"automation-document-backup-maintenance-example.yaml", backup, never_script},
	{"automation-document-instance-recovery-example.yaml", recovery, never_script},
};

/* Supported means the registry resolves it; it decides as the AWS client lands. */
static bool supported(struct irx_actions *actions, const char *name)
{
	struct irx_action_ref ref = {0};
	struct irx_error err = {0};
	int rc = irx_actions_lookup(actions, name, &ref, &err);

	if (rc < 0)
		CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID); /* an SSM action irx does not run */
	return rc == 0;
}

static void test_awsdocs_vectors(void)
{
	struct irx_actions *actions = irx_actions_new(NULL);
	size_t docs = 0;

	/* the two actions every document can rely on */
	CU_ASSERT_TRUE(supported(actions, "aws:branch"));
	CU_ASSERT_TRUE(supported(actions, "aws:sleep"));
	for (size_t i = 0; i < sizeof(vec_docs) / sizeof(vec_docs[0]); i++) {
		const struct vec_doc *doc = &vec_docs[i];
		struct irx_diags d = {0};
		char path[4096];
		struct irx_runbook *rb = NULL;
		size_t nsteps = 0, want = 0, k = 0;

		snprintf(path, sizeof(path), "%s/%s", irx_test_src(VECTORS), doc->file);
		rb = irx_runbook_load(path, &d);
		CU_ASSERT_PTR_NOT_NULL(rb);
		if (!rb)
			continue;
		docs++;
		if (d.count)
			irx_diags_print(&d, stderr);
		CU_ASSERT_EQUAL(d.count, 0); /* loads with no structural problem */
		for (nsteps = 0; doc->steps[nsteps].action; nsteps++)
			;
		CU_ASSERT_EQUAL_FATAL(rb->step_count, nsteps);
		for (size_t s = 0; s < nsteps; s++) {
			CU_ASSERT_STRING_EQUAL(rb->steps[s].action, doc->steps[s].action);
			if (!supported(actions, doc->steps[s].action))
				want++;
		}
		for (size_t n = 0; doc->never[n]; n++)
			CU_ASSERT_FALSE(supported(actions, doc->never[n]));
		irx_runbook_validate(rb, actions, &d);
		if (d.count != want) {
			fprintf(stderr, "\n  %s:\n", doc->file);
			irx_diags_print(&d, stderr);
		}
		CU_ASSERT_EQUAL(d.count, want);
		/* exactly one diagnostic per unsupported step, at its action, in order */
		for (size_t s = 0; s < nsteps && k < d.count; s++) {
			char msg[256];

			if (supported(actions, doc->steps[s].action))
				continue;
			snprintf(msg, sizeof(msg), "action '%s' is not supported by irx",
				 doc->steps[s].action);
			CU_ASSERT_STRING_EQUAL(d.items[k].message, msg);
			CU_ASSERT_EQUAL(d.items[k].line, doc->steps[s].line);
			CU_ASSERT_EQUAL(d.items[k].col, doc->steps[s].col);
			CU_ASSERT_STRING_EQUAL(d.items[k].file, path);
			k++;
		}
		irx_runbook_free(rb);
		irx_diags_release(&d);
	}
	CU_ASSERT_EQUAL(docs, sizeof(vec_docs) / sizeof(vec_docs[0]));
	irx_actions_free(actions);
}

static CU_TestInfo tests[] = {
	{"model of a full runbook", test_model},
	{"parameter type names", test_type_names},
	{"buffer name, schemaVersion", test_buffer_name_and_schema_version},
	{"unreadable or unparsable: NULL", test_unparsable_returns_null},
	{"a 50 MB runbook is refused", test_huge_runbook},
	{"AWS user guide documents", test_awsdocs_vectors},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("runbook", tests, NULL, NULL)
