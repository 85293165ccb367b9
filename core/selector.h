/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSONPath subset SSM Automation uses in output Selectors and
 * PropertySelectors: "$", ".Name", "['Name']", "[N]", "[*]" / ".*", "..Name".
 */
#ifndef IRX_SELECTOR_H
#define IRX_SELECTOR_H

#include <stddef.h>

#include <json-c/json.h>

struct irx_error;

/* Returns 0 if sel is well-formed, else -1 with a message and the byte offset of the problem. */
int irx_selector_check(const char *sel, char *errbuf, size_t errlen, size_t *err_offset);

/*
 * Applies sel to root. Without a wildcard or "..", the result is the one value
 * found (a new reference); with them, an array of every match. Returns NULL
 * with err set (IRX_ERR_NOT_FOUND) when nothing matches, or IRX_ERR_INVALID
 * on a malformed selector. Result transferred.
 */
struct json_object *irx_selector_select(struct json_object *root, const char *sel,
					struct irx_error *err);

#endif
