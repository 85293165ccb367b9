/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runbook loader and validator on arbitrary bytes, with a built-ins-only
 * registry (no plugin is ever loaded). Whatever the input, loading and
 * validating must not crash, leak or hang; and when the document parsed, the
 * model must be consistent with the diagnostics: every diagnostic is located
 * in this file, and parameter binding with no assignments either binds or
 * says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actions.h"
#include "diag.h"
#include "params.h"
#include "runbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct irx_actions *actions;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irx_diags d = {0};
	struct irx_runbook *rb = NULL;
	struct json_object *bound = NULL;
	size_t loaded = 0;

	if (!actions)
		actions = irx_actions_new(NULL);
	rb = irx_runbook_load_buffer("fuzz.yaml", (const char *)data, size, &d);
	if (!rb) {
		if (d.count == 0)
			abort(); /* a refused document always says why */
		irx_diags_release(&d);
		return 0;
	}
	loaded = d.count;
	if (irx_runbook_validate(rb, actions, &d) != d.count - loaded)
		abort();
	for (size_t i = 0; i < d.count; i++)
		if (strcmp(d.items[i].file, "fuzz.yaml") != 0 || !d.items[i].message[0])
			abort();
	/* binding reads the same declarations the executor would */
	if (d.count == 0) {
		struct irx_diags bd = {0};

		bound = irx_params_bind(rb, NULL, 0, &bd);
		if (!bound && bd.count == 0)
			abort();
		json_object_put(bound);
		irx_diags_release(&bd);
	}
	irx_runbook_free(rb);
	irx_diags_release(&d);
	return 0;
}
