/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The INI dialect of ~/.aws/credentials and ~/.aws/config, as the AWS SDKs read it:
 *   [section]            names trimmed; a trailing "# comment" or "; comment" allowed
 *   key = value          keys trimmed and lowercased, values trimmed and kept verbatim
 *   # or ; comment       whole-line comments only (a '#' inside a value is part of it)
 *   key =                an empty value followed by indented "sub = value" lines makes
 *     sub = value        sub-properties, stored as "key.sub" (the s3 / services blocks)
 *   key = a              an indented line after a non-empty value continues it ("a\nb")
 *     b
 * A repeated section merges into the first; a repeated key keeps the last value.
 * Values are wiped on free: the credentials file holds secrets.
 */
#ifndef IRX_AWS_INI_H
#define IRX_AWS_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct irx_ini;

/*
 * Parses len bytes of text (NUL bytes are refused). name labels errors:
 * IRX_ERR_PARSE "<name>:<line>: <what>". Returns the parsed file (caller frees), or NULL
 * with err set.
 */
struct irx_ini *irx_ini_parse(const char *text, size_t len, const char *name,
			      struct irx_error *err);
/* The value of key in section (both exact, key lowercase), or NULL. Borrowed. */
const char *irx_ini_get(const struct irx_ini *ini, const char *section, const char *key);
bool irx_ini_has_section(const struct irx_ini *ini, const char *section);
size_t irx_ini_section_count(const struct irx_ini *ini);
void irx_ini_free(struct irx_ini *ini);

#endif
