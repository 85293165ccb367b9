/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SSM templates: "{{ Name }}", "{{ step.Output }}", "{{ global:REGION }}",
 * "{{ automation:EXECUTION_ID }}". Whitespace inside the braces is optional.
 */
#ifndef IRX_TEMPLATE_H
#define IRX_TEMPLATE_H

#include <stddef.h>

#include <json-c/json.h>

struct irx_error;

/* Called for each reference found by irx_template_scan. offset: byte offset of "{{" in s. */
typedef void irx_template_ref_fn(void *ud, const char *name, size_t offset);

/*
 * Finds every reference in s. Returns 0, or -1 with a message in errbuf (and the
 * offending offset in *err_offset) on malformed syntax: "{{" without "}}",
 * an empty or invalid name.
 */
int irx_template_scan(const char *s, irx_template_ref_fn *fn, void *ud, char *errbuf,
		      size_t errlen, size_t *err_offset);

/* Resolves a reference name; returns a borrowed value or NULL when unknown. */
typedef struct json_object *irx_template_lookup_fn(void *ud, const char *name);

/*
 * Expands templates in every string of a JSON value (map keys are not
 * expanded). A string that is exactly one reference takes the referenced
 * value itself, keeping its type (a StringList stays a list), as SSM does;
 * otherwise values are rendered as text into the string. Returns a new object
 * (transferred), or NULL with err set naming the unknown reference.
 */
struct json_object *irx_template_expand(struct json_object *in, irx_template_lookup_fn *lookup,
					void *ud, struct irx_error *err);

#endif
