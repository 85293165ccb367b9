/* SPDX-License-Identifier: Apache-2.0 */
/* Binding runbook parameters: defaults, type conversion, constraints. */
#ifndef IRX_PARAMS_H
#define IRX_PARAMS_H

#include <regex.h>
#include <stddef.h>

#include <json-c/json.h>

struct irx_diags;
struct irx_runbook;
struct irx_param_decl;

/*
 * Converts a command-line value to the declared type: String as is;
 * StringList from a JSON array or comma-separated text; Integer; Boolean
 * (true/false); MapList and StringMap from JSON. Returns a new object or NULL
 * with a message in errbuf.
 */
struct json_object *irx_param_convert(const struct irx_param_decl *decl, const char *text,
				      char *errbuf, size_t errlen);

/*
 * Checks a typed value against the declaration: type, allowedValues,
 * allowedPattern (POSIX extended regex, anchored as SSM does), minItems,
 * maxItems. Returns 0, or -1 with a message in errbuf.
 */
int irx_param_check(const struct irx_param_decl *decl, struct json_object *value, char *errbuf,
		    size_t errlen);

/*
 * Compiles an allowedPattern: Java/PCRE shorthands (\d \w \s \D \W \S,
 * (?:...)) translated to POSIX, anchored at both ends, REG_EXTENDED|REG_NOSUB.
 * Returns 0 (regfree re when done), or -1 with the reason in errbuf.
 */
int irx_param_pattern_compile(const char *pattern, regex_t *re, char *errbuf, size_t errlen);

/*
 * Binds "Name=Value" assignments (borrowed) to the runbook's parameters,
 * applies defaults and checks every value. Unknown names and missing required
 * parameters are errors. Returns a JSON object of typed values (transferred),
 * or NULL with every problem in diags.
 */
struct json_object *irx_params_bind(const struct irx_runbook *rb, const char *const *assignments,
				    size_t count, struct irx_diags *diags);

#endif
