/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Templates: irx_template_scan on the input as text, and irx_template_expand
 * on the input as JSON (or as one string when it is not JSON). A few names
 * resolve to fixed values, some of which look like templates themselves.
 * Cross-checks: scan and expand agree on what is malformed, and an input
 * whose references are all known expands.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct json_object *vars;

static struct json_object *lookup(void *ud, const char *name)
{
	struct json_object *v = NULL;

	(void)ud;
	return json_object_object_get_ex(vars, name, &v) ? v : NULL;
}

struct refs {
	size_t count, unknown, len;
	int bad_offset;
};

static void on_ref(void *ud, const char *name, size_t offset)
{
	struct refs *r = ud;

	r->count++;
	if (!lookup(NULL, name))
		r->unknown++;
	if (offset + 5 > r->len || name[0] == '\0')
		r->bad_offset = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct refs refs = {0};
	struct irx_error err = {0};
	struct json_object *in = NULL, *out = NULL;
	struct json_tokener *tok = NULL;
	char msg[256] = "";
	size_t off = 0;
	int rc = 0;

	if (!vars)
		vars = json_tokener_parse(
			"{\"s\":\"{{ s }}\",\"n\":42,\"d\":0.5,\"b\":true,\"l\":[\"a\",\"{{ n }}\"],"
			"\"m\":{\"k\":[1,{\"x\":null}]},\"e\":\"\",\"bad\":\"{{ x\","
			"\"global:REGION\":\"us-east-1\",\"step.Out\":[\"i-1\",\"i-2\"],"
			"\"automation:EXECUTION_ID\":\"e-1\",\"ssm:/p/q\":\"v\"}");
	memcpy(s, data, size);
	s[size] = '\0';
	refs.len = strlen(s);

	rc = irx_template_scan(s, on_ref, &refs, msg, sizeof(msg), &off);
	if (refs.bad_offset || (rc != 0 && (off >= refs.len || msg[0] == '\0')))
		abort();

	/* the same text as one string: expand agrees with scan */
	in = json_object_new_string(s);
	out = irx_template_expand(in, lookup, NULL, &err);
	if (rc != 0 && (out || err.code != IRX_ERR_INVALID))
		abort();
	if (rc == 0 && refs.unknown == 0 && (!out || err.code != IRX_OK))
		abort();
	if (rc == 0 && refs.unknown > 0 && (out || err.code != IRX_ERR_INVALID))
		abort();
	json_object_put(out);
	json_object_put(in);

	/* the input as a JSON document, when it is one */
	tok = json_tokener_new();
	in = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_tokener_get_error(tok) == json_tokener_success && in) {
		irx_error_clear(&err);
		out = irx_template_expand(in, lookup, NULL, &err);
		if (!out && err.code == IRX_OK)
			abort();
		if (out)
			json_object_to_json_string(out);
		json_object_put(out);
	}
	json_object_put(in);
	json_tokener_free(tok);
	free(s);
	return 0;
}
