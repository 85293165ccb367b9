/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Selectors: the input is "selector\ndocument". The selector is checked and
 * applied to the document when it parses as JSON, else to a fixed
 * EC2-shaped document. check and select must agree on what is well-formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct json_object *fixed;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t sel_len = nl ? (size_t)(nl - data) : size;
	char *sel = malloc(sel_len + 1);
	struct json_object *doc = NULL, *out = NULL;
	struct json_tokener *tok = NULL;
	struct irx_error err = {0};
	char msg[256] = "";
	size_t off = 0;
	int rc = 0;

	if (!fixed)
		fixed = json_tokener_parse(
			"{\"Reservations\":[{\"Instances\":[{\"InstanceId\":\"i-1\","
			"\"State\":{\"Code\":16,\"Name\":\"running\"},\"Tags\":[{\"Key\":\"名前\","
			"\"Value\":null}],\"NetworkInterfaces\":[{\"Groups\":[{\"GroupId\":\"sg-1\"},"
			"{\"GroupId\":\"sg-2\"}]},{\"Groups\":[]}]}]},{\"Instances\":[]}],"
			"\"a b\":[[1,[2,[3]]],{\"\":true}],\"n\":null}");
	memcpy(sel, data, sel_len);
	sel[sel_len] = '\0';

	rc = irx_selector_check(sel, msg, sizeof(msg), &off);
	if (rc != 0 && (msg[0] == '\0' || off > strlen(sel)))
		abort();

	if (nl) {
		tok = json_tokener_new();
		doc = json_tokener_parse_ex(tok, (const char *)nl + 1, (int)(size - sel_len - 1));
		if (json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(doc);
			doc = NULL;
		}
		json_tokener_free(tok);
	}
	if (!doc)
		doc = json_object_get(fixed);

	out = irx_selector_select(doc, sel, &err);
	if (rc != 0 && (out || err.code != IRX_ERR_INVALID))
		abort();
	if (rc == 0 && !out && err.code != IRX_ERR_NOT_FOUND && err.code != IRX_ERR_LIMIT)
		abort();
	if (out)
		json_object_to_json_string(out);
	json_object_put(out);
	json_object_put(doc);
	free(sel);
	return 0;
}
