/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A runbook: an SSM Automation document (schemaVersion '0.3') read into a model
 * that points back into the node tree, so every diagnostic has a position.
 */
#ifndef IRX_RUNBOOK_H
#define IRX_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "irx/plugin.h"

struct irx_diags;
struct irx_doc;
struct irx_node;
struct irx_actions;

struct irx_param_decl {
	const char *name;
	enum irx_param_type type;
	const struct irx_node *node;           /* the declaration (a map) */
	const char *description;               /* "" when absent */
	const struct irx_node *default_value;  /* NULL: required */
	const struct irx_node *allowed_values; /* sequence or NULL */
	const char *allowed_pattern;           /* NULL when absent */
	long min_items, max_items;             /* -1 when absent */
};

enum irx_on_failure {
	IRX_ON_FAILURE_ABORT = 0,
	IRX_ON_FAILURE_CONTINUE = 1,
	IRX_ON_FAILURE_STEP = 2, /* on_failure_step names the step */
};

struct irx_output_decl {
	const char *name;
	const char *selector;
	enum irx_param_type type;
	const struct irx_node *node;
};

struct irx_step_def {
	const char *name;
	const char *action;           /* "aws:branch", "isolate:ec2Instance" */
	const struct irx_node *node;  /* the step map */
	const struct irx_node *inputs; /* map or NULL */
	struct irx_output_decl *outputs;
	size_t output_count;
	enum irx_on_failure on_failure;
	const char *on_failure_step;
	const char *next_step;        /* NULL: the next in order */
	bool is_end;
	bool is_critical;             /* default true */
	int max_attempts;             /* default 1 */
	long timeout_seconds;         /* 0: none */
};

struct irx_runbook {
	struct irx_doc *doc;     /* owned */
	char *name;              /* owned: file name without directory and extension */
	const char *description; /* "" when absent */
	const char *assume_role; /* template text or NULL */
	struct irx_param_decl *params;
	size_t param_count;
	struct irx_step_def *steps;
	size_t step_count;
	const struct irx_node *outputs; /* sequence of "step.Output", or NULL */
};

/*
 * Loads and reads the document's structure (top-level keys, parameter and step
 * declarations with their types). Every problem found is added to diags; the
 * runbook is returned whenever the document parsed, so validation can go on and
 * report everything at once. NULL only when the file cannot be read or parsed.
 */
struct irx_runbook *irx_runbook_load(const char *path, struct irx_diags *diags);
struct irx_runbook *irx_runbook_load_buffer(const char *name, const char *buf, size_t len,
					    struct irx_diags *diags);
void irx_runbook_free(struct irx_runbook *rb);

/*
 * Static validation before anything runs: parameter defaults against their
 * types and constraints, unique step names, known actions, inputs against the
 * action's schema (unknown keys are errors), every template reference
 * resolvable to a parameter or an earlier step's declared output, nextStep /
 * onFailure / aws:branch targets exist, output selectors well-formed, actions
 * irx does not run reported by name. Returns the number of diagnostics added.
 * actions: looked up (and plugins loaded) through the registry; borrowed.
 */
size_t irx_runbook_validate(const struct irx_runbook *rb, struct irx_actions *actions,
			    struct irx_diags *diags);

const struct irx_step_def *irx_runbook_step(const struct irx_runbook *rb, const char *name);
const struct irx_param_decl *irx_runbook_param(const struct irx_runbook *rb, const char *name);

/* "String" ↔ IRX_PARAM_STRING etc.; 0 for an unknown name. */
enum irx_param_type irx_param_type_parse(const char *name);
const char *irx_param_type_name(enum irx_param_type type);

#endif
