/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: any bytes through the document loader and the JSON conversion. */
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irx_diags diags = {0};
	struct irx_doc *doc = irx_doc_load_buffer("fuzz.yaml", (const char *)data, size, &diags);

	if (doc) {
		struct json_object *j = irx_node_to_json(doc->root);

		/* serialise too: it walks every value the conversion made */
		json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
		json_object_put(j);
		/* the accessors on whatever came out */
		if (doc->root) {
			irx_node_type_name(doc->root);
			irx_node_is_null(doc->root);
			irx_node_str(doc->root);
			irx_node_get(doc->root, "mainSteps");
		}
	}
	irx_doc_free(doc);
	irx_diags_release(&diags);
	return 0;
}
