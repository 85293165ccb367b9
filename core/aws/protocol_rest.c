/* SPDX-License-Identifier: Apache-2.0 */
/* rest-json and rest-xml: members bound to uri labels, query string, headers, status code and
 * payload; the rest in a JSON or XML body. Follows botocore's RestJSON/RestXML serializers and
 * parsers. */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/protocol.h"
#include "util.h"

struct rctx {
	const struct irx_model *m;
	int xml;
	struct irx_error *err;
};

/* --- XML bodies -------------------------------------------------------------------------- */

static void xml_ns(struct rctx *r, const struct irx_member *mem, struct irx_buf *b)
{
	const char *uri = irx_model_str(r->m, mem->xml_ns_uri);
	const char *prefix = irx_model_str(r->m, mem->xml_ns_prefix);

	if (!*uri)
		return;
	irx_buf_addf(b, " xmlns%s%s=\"", *prefix ? ":" : "", prefix);
	irx_buf_add_xml_escaped(b, uri, strlen(uri));
	irx_buf_adds(b, "\"");
}

static int xml_value(struct rctx *r, const struct irx_member *mem, json_object *v, const char *name,
		     const char *path, struct irx_buf *b);

static int xml_structure(struct rctx *r, const struct irx_member *mem, const struct irx_shape *sh,
			 json_object *v, const char *name, const char *path, struct irx_buf *b)
{
	struct irx_buf body = {0};
	int rc = -1;

	if (!json_object_is_type(v, json_type_object)) {
		irx_error_set(r->err, IRX_ERR_INVALID, "parameter '%s': expected an object, got %s",
			      path, json_type_to_name(json_object_get_type(v)));
		return -1;
	}
	irx_buf_addf(b, "<%s", name);
	xml_ns(r, mem, b);
	json_object_object_foreach(v, key, val)
	{
		const struct irx_member *cm = irx_model_find_member(r->m, sh, key);
		char *p = NULL;
		int crc = 0;

		if (!cm) {
			irx_error_set(r->err, IRX_ERR_INVALID, "unknown parameter '%s%s%s'", path,
				      *path ? "." : "", key);
			goto out;
		}
		if (json_object_is_type(val, json_type_null) || cm->location != IRX_LOC_BODY)
			continue;
		if (cm->flags & IRX_MEMBER_F_XML_ATTRIBUTE) {
			struct irx_buf t = {0};

			if (irx_scalar_to_text(r->m, irx_member_shape(r->m, cm), val, IRX_TS_ISO8601, key,
					       &t, r->err) < 0)
				goto out;
			irx_buf_addf(b, " %s=\"", irx_member_wire_name(r->m, cm));
			irx_buf_add_xml_escaped(b, t.data ? t.data : "", t.len);
			irx_buf_adds(b, "\"");
			irx_buf_release(&t);
			continue;
		}
		p = *path ? irx_xasprintf("%s.%s", path, key) : irx_xstrdup(key);
		crc = xml_value(r, cm, val, irx_member_wire_name(r->m, cm), p, &body);
		free(p);
		if (crc < 0)
			goto out;
	}
	irx_buf_adds(b, ">");
	if (body.len)
		irx_buf_add(b, body.data, body.len);
	irx_buf_addf(b, "</%s>", name);
	rc = 0;
out:
	irx_buf_release(&body);
	return rc;
}

static int xml_value(struct rctx *r, const struct irx_member *mem, json_object *v, const char *name,
		     const char *path, struct irx_buf *b)
{
	const struct irx_shape *sh = irx_member_shape(r->m, mem);
	int flat = (mem->flags & IRX_MEMBER_F_FLATTENED) != 0;

	switch (sh->type) {
	case IRX_SHAPE_STRUCTURE: return xml_structure(r, mem, sh, v, name, path, b);
	case IRX_SHAPE_LIST: {
		const struct irx_member *elem = irx_model_member(r->m, sh->first);
		const char *en = flat ? name
				      : (*irx_model_str(r->m, elem->location_name)
						 ? irx_model_str(r->m, elem->location_name)
						 : "member");

		if (!json_object_is_type(v, json_type_array)) {
			irx_error_set(r->err, IRX_ERR_INVALID, "parameter '%s': expected a list, got %s",
				      path, json_type_to_name(json_object_get_type(v)));
			return -1;
		}
		if (!flat) {
			irx_buf_addf(b, "<%s", name);
			xml_ns(r, mem, b);
			irx_buf_adds(b, ">");
		}
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (xml_value(r, elem, json_object_array_get_idx(v, i), en, path, b) < 0)
				return -1;
		if (!flat)
			irx_buf_addf(b, "</%s>", name);
		return 0;
	}
	case IRX_SHAPE_MAP: {
		const struct irx_member *km = irx_model_member(r->m, sh->first);
		const struct irx_member *vm = irx_model_member(r->m, sh->first + 1);
		const char *kn = *irx_model_str(r->m, km->location_name) ? irx_model_str(r->m, km->location_name) : "key";
		const char *vn = *irx_model_str(r->m, vm->location_name) ? irx_model_str(r->m, vm->location_name) : "value";

		if (!json_object_is_type(v, json_type_object)) {
			irx_error_set(r->err, IRX_ERR_INVALID, "parameter '%s': expected a map, got %s",
				      path, json_type_to_name(json_object_get_type(v)));
			return -1;
		}
		if (!flat) {
			irx_buf_addf(b, "<%s", name);
			xml_ns(r, mem, b);
			irx_buf_adds(b, ">");
		}
		json_object_object_foreach(v, key, val)
		{
			json_object *kj = json_object_new_string(key);
			int rc = 0;

			irx_buf_addf(b, "<%s>", flat ? name : "entry");
			rc = xml_value(r, km, kj, kn, path, b);
			json_object_put(kj);
			if (rc < 0 || xml_value(r, vm, val, vn, path, b) < 0)
				return -1;
			irx_buf_addf(b, "</%s>", flat ? name : "entry");
		}
		if (!flat)
			irx_buf_addf(b, "</%s>", name);
		return 0;
	}
	default: {
		struct irx_buf t = {0};

		if (irx_scalar_to_text(r->m, sh, v,
				       mem->timestamp_format ? mem->timestamp_format : IRX_TS_ISO8601, path,
				       &t, r->err) < 0)
			return -1;
		irx_buf_addf(b, "<%s", name);
		xml_ns(r, mem, b);
		irx_buf_adds(b, ">");
		irx_buf_add_xml_escaped(b, t.data ? t.data : "", t.len);
		irx_buf_addf(b, "</%s>", name);
		irx_buf_release(&t);
		return 0;
	}
	}
}

static int get_ex(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null);
}

/* --- request ----------------------------------------------------------------------------- */

static int header_text(struct rctx *r, const struct irx_member *mem, json_object *v,
		       const char *path, struct irx_buf *b)
{
	const struct irx_shape *sh = irx_member_shape(r->m, mem);

	if (sh->type == IRX_SHAPE_LIST) {
		const struct irx_member *elem = irx_model_member(r->m, sh->first);

		if (!json_object_is_type(v, json_type_array)) {
			irx_error_set(r->err, IRX_ERR_INVALID, "parameter '%s': expected a list, got %s",
				      path, json_type_to_name(json_object_get_type(v)));
			return -1;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct irx_buf t = {0};
			const struct irx_shape *es = irx_member_shape(r->m, elem);

			if (irx_scalar_to_text(r->m, es, json_object_array_get_idx(v, i),
					       elem->timestamp_format ? elem->timestamp_format : IRX_TS_RFC822,
					       path, &t, r->err) < 0)
				return -1;
			if (i)
				irx_buf_adds(b, ", ");
			if (es->type == IRX_SHAPE_STRING && t.data &&
			    (strchr(t.data, ',') || strchr(t.data, '"'))) {
				irx_buf_adds(b, "\"");
				for (size_t k = 0; k < t.len; k++) {
					if (t.data[k] == '"' || t.data[k] == '\\')
						irx_buf_adds(b, "\\");
					irx_buf_add(b, &t.data[k], 1);
				}
				irx_buf_adds(b, "\"");
			} else if (t.len) {
				irx_buf_add(b, t.data, t.len);
			}
			irx_buf_release(&t);
		}
		return 0;
	}
	if (mem->flags & IRX_MEMBER_F_JSONVALUE) {
		const char *js = json_object_is_type(v, json_type_string)
					 ? json_object_get_string(v)
					 : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		char *enc = irx_base64_encode(js, strlen(js));

		irx_buf_adds(b, enc);
		free(enc);
		return 0;
	}
	return irx_scalar_to_text(r->m, sh, v,
				  mem->timestamp_format ? mem->timestamp_format : IRX_TS_RFC822, path, b,
				  r->err);
}

static void add_query(struct irx_buf *q, const char *key, const char *val, size_t len)
{
	if (q->len)
		irx_buf_adds(q, "&");
	irx_buf_add_urlencoded(q, key, strlen(key), 0);
	irx_buf_adds(q, "=");
	irx_buf_add_urlencoded(q, val, len, 0);
}

static int query_member(struct rctx *r, const struct irx_member *mem, json_object *v,
			const char *path, struct irx_buf *q)
{
	const struct irx_shape *sh = irx_member_shape(r->m, mem);
	const char *name = irx_member_wire_name(r->m, mem);

	if (sh->type == IRX_SHAPE_MAP) {
		const struct irx_member *vm = irx_model_member(r->m, sh->first + 1);

		if (!json_object_is_type(v, json_type_object)) {
			irx_error_set(r->err, IRX_ERR_INVALID, "parameter '%s': expected a map, got %s",
				      path, json_type_to_name(json_object_get_type(v)));
			return -1;
		}
		json_object_object_foreach(v, key, val)
		{
			json_object *items = json_object_is_type(val, json_type_array) ? val : NULL;
			size_t n = items ? json_object_array_length(items) : 1;

			for (size_t i = 0; i < n; i++) {
				struct irx_buf t = {0};
				const struct irx_member *em = irx_member_shape(r->m, vm)->type == IRX_SHAPE_LIST
								      ? irx_model_member(r->m, irx_member_shape(r->m, vm)->first)
								      : vm;

				if (irx_scalar_to_text(r->m, irx_member_shape(r->m, em),
						       items ? json_object_array_get_idx(items, i) : val,
						       IRX_TS_ISO8601, path, &t, r->err) < 0)
					return -1;
				add_query(q, key, t.data ? t.data : "", t.len);
				irx_buf_release(&t);
			}
		}
		return 0;
	}
	if (sh->type == IRX_SHAPE_LIST) {
		const struct irx_member *elem = irx_model_member(r->m, sh->first);

		if (!json_object_is_type(v, json_type_array)) {
			irx_error_set(r->err, IRX_ERR_INVALID, "parameter '%s': expected a list, got %s",
				      path, json_type_to_name(json_object_get_type(v)));
			return -1;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct irx_buf t = {0};

			if (irx_scalar_to_text(r->m, irx_member_shape(r->m, elem), json_object_array_get_idx(v, i),
					       elem->timestamp_format ? elem->timestamp_format : IRX_TS_ISO8601,
					       path, &t, r->err) < 0)
				return -1;
			add_query(q, name, t.data ? t.data : "", t.len);
			irx_buf_release(&t);
		}
		return 0;
	}
	{
		struct irx_buf t = {0};

		if (irx_scalar_to_text(r->m, sh, v,
				       mem->timestamp_format ? mem->timestamp_format : IRX_TS_ISO8601, path,
				       &t, r->err) < 0)
			return -1;
		add_query(q, name, t.data ? t.data : "", t.len);
		irx_buf_release(&t);
	}
	return 0;
}

/* Expands {Label} / {Label+} in the path template from uri members. */
static int expand_path(struct rctx *r, const struct irx_shape *in, json_object *params,
		       const char *tmpl, size_t tlen, struct irx_buf *out)
{
	for (size_t i = 0; i < tlen; i++) {
		const char *close = NULL;
		char label[256] = "";
		int greedy = 0;
		const struct irx_member *mem = NULL;
		json_object *v = NULL;
		struct irx_buf t = {0};

		if (tmpl[i] != '{') {
			irx_buf_add(out, &tmpl[i], 1);
			continue;
		}
		close = memchr(tmpl + i, '}', tlen - i);
		if (!close || (size_t)(close - tmpl - i - 1) >= sizeof(label)) {
			irx_error_set(r->err, IRX_ERR_INVALID, "bad request uri template '%.*s'", (int)tlen, tmpl);
			return -1;
		}
		memcpy(label, tmpl + i + 1, (size_t)(close - tmpl - i - 1));
		if (*label && label[strlen(label) - 1] == '+') {
			greedy = 1;
			label[strlen(label) - 1] = '\0';
		}
		for (uint32_t k = 0; in && k < in->count; k++) {
			const struct irx_member *cm = irx_model_member(r->m, in->first + k);

			if (cm->location == IRX_LOC_URI && !strcmp(irx_member_wire_name(r->m, cm), label))
				mem = cm;
		}
		if (!mem || !params ||
		    !json_object_object_get_ex(params, irx_model_str(r->m, mem->name), &v) ||
		    json_object_is_type(v, json_type_null)) {
			irx_error_set(r->err, IRX_ERR_INVALID, "missing required parameter '%s'",
				      mem ? irx_model_str(r->m, mem->name) : label);
			return -1;
		}
		if (irx_scalar_to_text(r->m, irx_member_shape(r->m, mem), v,
				       mem->timestamp_format ? mem->timestamp_format : IRX_TS_ISO8601,
				       irx_model_str(r->m, mem->name), &t, r->err) < 0)
			return -1;
		if (!t.len) {
			irx_buf_release(&t);
			irx_error_set(r->err, IRX_ERR_INVALID, "parameter '%s' must not be empty",
				      irx_model_str(r->m, mem->name));
			return -1;
		}
		irx_buf_add_urlencoded(out, t.data, t.len, greedy);
		irx_buf_release(&t);
		i = (size_t)(close - tmpl);
	}
	return 0;
}

static void add_md5(struct irx_aws_request *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *b64 = NULL;

	EVP_Digest(out->body ? out->body : "", out->body_len, md, &n, EVP_md5(), NULL);
	b64 = irx_base64_encode(md, n);
	irx_aws_request_add_header(out, "Content-MD5", b64);
	free(b64);
}

int irx_rest_serialize(const struct irx_model *m, const struct irx_service *svc,
		       const struct irx_operation *op, json_object *params,
		       struct irx_aws_request *out, struct irx_error *err)
{
	struct rctx r = {.m = m, .xml = svc->protocol == IRX_PROTO_REST_XML, .err = err};
	const struct irx_member *inm = op->input != IRX_MODEL_NONE ? irx_model_member(m, op->input) : NULL;
	const struct irx_shape *in = inm ? irx_member_shape(m, inm) : NULL;
	const char *uri = irx_model_str(m, op->request_uri);
	const char *qmark = strchr(uri, '?');
	struct irx_buf path = {0}, query = {0}, body = {0}, host = {0};
	const struct irx_member *payload = NULL;
	int has_body_members = 0, body_set = 0, rc = -1;
	json_object *body_obj = NULL;

	if (expand_path(&r, in, params, uri, qmark ? (size_t)(qmark - uri) : strlen(uri), &path) < 0)
		goto out;
	if (qmark && qmark[1]) {
		/* static query from the model: "?tagging" or "?list-type=2" */
		char *dup = irx_xstrdup(qmark + 1), *save = NULL;

		for (char *tok = strtok_r(dup, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(tok, '=');

			if (query.len)
				irx_buf_adds(&query, "&");
			if (eq) {
				irx_buf_add_urlencoded(&query, tok, (size_t)(eq - tok), 0);
				irx_buf_adds(&query, "=");
				irx_buf_add_urlencoded(&query, eq + 1, strlen(eq + 1), 0);
			} else {
				irx_buf_add_urlencoded(&query, tok, strlen(tok), 0);
			}
		}
		free(dup);
	}
	if (irx_protocol_host_prefix(m, op, params, &host, err) < 0)
		goto out;
	payload = in && in->payload != IRX_MODEL_NONE ? irx_model_member(m, in->payload) : NULL;
	out->method = irx_xstrdup(irx_model_str(m, op->method));
	for (uint32_t i = 0; in && i < in->count; i++) {
		const struct irx_member *mem = irx_model_member(m, in->first + i);

		if (mem->location == IRX_LOC_BODY && mem != payload)
			has_body_members = 1;
	}
	if (params) {
		json_object_object_foreach(params, key, val)
		{
			const struct irx_member *mem = irx_model_find_member(m, in, key);
			struct irx_buf t = {0};

			if (!mem) {
				irx_error_set(err, IRX_ERR_INVALID, "unknown parameter '%s'", key);
				goto out;
			}
			if (json_object_is_type(val, json_type_null))
				continue;
			switch (mem->location) {
			case IRX_LOC_HEADER:
				if (header_text(&r, mem, val, key, &t) < 0)
					goto out;
				irx_aws_request_add_header(out, irx_member_wire_name(m, mem), t.data ? t.data : "");
				irx_buf_release(&t);
				break;
			case IRX_LOC_HEADERS: {
				const struct irx_member *vm = irx_model_member(m, irx_member_shape(m, mem)->first + 1);

				if (!json_object_is_type(val, json_type_object)) {
					irx_error_set(err, IRX_ERR_INVALID, "parameter '%s': expected a map, got %s",
						      key, json_type_to_name(json_object_get_type(val)));
					goto out;
				}
				json_object_object_foreach(val, hk, hv)
				{
					char *hn = irx_xasprintf("%s%s", irx_member_wire_name(m, mem), hk);

					if (header_text(&r, vm, hv, key, &t) < 0) {
						free(hn);
						goto out;
					}
					irx_aws_request_add_header(out, hn, t.data ? t.data : "");
					free(hn);
					irx_buf_release(&t);
				}
				break;
			}
			case IRX_LOC_QUERYSTRING:
				/* named members win over map entries with the same key: maps go last */
				if (irx_member_shape(m, mem)->type == IRX_SHAPE_MAP)
					break;
				if (query_member(&r, mem, val, key, &query) < 0)
					goto out;
				break;
			case IRX_LOC_URI:
			case IRX_LOC_STATUS_CODE: break;
			default:
				if (mem == payload) {
					const struct irx_shape *ps = irx_member_shape(m, mem);

					body_set = 1;
					if (ps->type == IRX_SHAPE_BLOB || ps->type == IRX_SHAPE_STRING) {
						if (!json_object_is_type(val, json_type_string)) {
							irx_error_set(err, IRX_ERR_INVALID,
								      "parameter '%s': expected a string, got %s", key,
								      json_type_to_name(json_object_get_type(val)));
							goto out;
						}
						irx_buf_add(&body, json_object_get_string(val),
							    (size_t)json_object_get_string_len(val));
					} else if (r.xml) {
						if (xml_value(&r, mem, val, irx_member_wire_name(m, mem), key, &body) < 0)
							goto out;
					} else {
						json_object *w = NULL;

						if (irx_json_value_to_wire(m, mem, val, key, &w, err) < 0)
							goto out;
						irx_buf_adds(&body, json_object_to_json_string_ext(
									   w, JSON_C_TO_STRING_PLAIN |
										      JSON_C_TO_STRING_NOSLASHESCAPE));
						json_object_put(w);
					}
				} else {
					if (!body_obj)
						body_obj = json_object_new_object();
					json_object_object_add(body_obj, key, json_object_get(val));
				}
			}
		}
	}
	for (uint32_t i = 0; params && in && i < in->count; i++) {
		const struct irx_member *mem = irx_model_member(m, in->first + i);
		json_object *val = NULL;
		struct irx_buf mq = {0};

		if (mem->location != IRX_LOC_QUERYSTRING || irx_member_shape(m, mem)->type != IRX_SHAPE_MAP ||
		    !json_object_object_get_ex(params, irx_model_str(m, mem->name), &val) ||
		    json_object_is_type(val, json_type_null))
			continue;
		if (query_member(&r, mem, val, irx_model_str(m, mem->name), &mq) < 0) {
			irx_buf_release(&mq);
			goto out;
		}
		for (char *save = NULL, *tok = mq.data ? strtok_r(mq.data, "&", &save) : NULL; tok;
		     tok = strtok_r(NULL, "&", &save)) {
			size_t klen = strcspn(tok, "=");
			int taken = 0;

			for (uint32_t k = 0; k < in->count; k++) {
				const struct irx_member *nm = irx_model_member(m, in->first + k);
				const char *wn = irx_member_wire_name(m, nm);

				if (nm->location == IRX_LOC_QUERYSTRING && nm != mem && strlen(wn) == klen &&
				    !strncmp(wn, tok, klen) && get_ex(params, irx_model_str(m, nm->name)))
					taken = 1;
			}
			if (!taken) {
				if (query.len)
					irx_buf_adds(&query, "&");
				irx_buf_adds(&query, tok);
			}
		}
		irx_buf_release(&mq);
	}
	if (!body_set && !r.xml && payload && irx_member_shape(m, payload)->type == IRX_SHAPE_STRUCTURE) {
		/* an unset structure payload is an empty object in rest-json */
		irx_buf_adds(&body, "{}");
		body_set = 1;
	}
	if (body_obj) {
		body_set = 1;
		if (r.xml) {
			const char *root = irx_model_str(m, inm->location_name);

			if (!*root)
				root = irx_model_str(m, in->name);
			if (xml_structure(&r, inm, in, body_obj, root, "", &body) < 0)
				goto out;
		} else {
			json_object *w = NULL;

			if (irx_json_value_to_wire(m, inm, body_obj, "", &w, err) < 0)
				goto out;
			irx_buf_adds(&body, json_object_to_json_string_ext(
						    w, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(w);
		}
	} else if (!r.xml && !payload && has_body_members) {
		/* rest-json sends an empty object when the input has body members but none were set */
		irx_buf_adds(&body, "{}");
		body_set = 1;
	}
	if (body_set && !irx_aws_request_header(out, "Content-Type")) {
		const struct irx_shape *ps = payload ? irx_member_shape(m, payload) : NULL;

		if (ps && ps->type == IRX_SHAPE_BLOB)
			irx_aws_request_add_header(out, "Content-Type", "application/octet-stream");
		else if (ps && ps->type == IRX_SHAPE_STRING)
			irx_aws_request_add_header(out, "Content-Type", "text/plain");
		else
			irx_aws_request_add_header(out, "Content-Type",
						   r.xml ? "application/xml" : "application/json");
	}
	out->path = path.data ? path.data : irx_xstrdup("/");
	path.data = NULL;
	out->query = query.data ? query.data : irx_xstrdup("");
	query.data = NULL;
	out->host_prefix = host.data ? host.data : irx_xstrdup("");
	host.data = NULL;
	out->body = body.data ? body.data : irx_xstrdup("");
	out->body_len = body.len;
	body.data = NULL;
	if (op->flags & IRX_OP_F_CHECKSUM_REQUIRED)
		add_md5(out);
	rc = 0;
out:
	json_object_put(body_obj);
	irx_buf_release(&path);
	irx_buf_release(&query);
	irx_buf_release(&body);
	irx_buf_release(&host);
	return rc;
}

/* --- response ---------------------------------------------------------------------------- */

/* Splits a header list value: "a, b" and quoted "\"a,b\", c". */
static json_object *split_header_list(const struct irx_shape *es, const char *s)
{
	json_object *arr = json_object_new_array();
	const char *p = s;

	while (*p) {
		struct irx_buf item = {0};
		json_object *v = NULL;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				irx_buf_add(&item, p, 1);
			}
			if (*p == '"')
				p++;
			while (*p && *p != ',')
				p++;
		} else {
			const char *end = p;

			/* rfc822 dates contain a comma after the weekday */
			if (es->type == IRX_SHAPE_TIMESTAMP && strchr(p, ',') && strchr(p, ',') - p == 3) {
				end = strchr(strchr(p, ',') + 1, ',');
				end = end ? end : p + strlen(p);
			} else {
				end = p + strcspn(p, ",");
			}
			while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			irx_buf_add(&item, p, (size_t)(end - p));
			p = end;
			while (*p && *p != ',')
				p++;
		}
		v = irx_scalar_from_text(es, item.data ? item.data : "", item.len);
		if (v)
			json_object_array_add(arr, v);
		irx_buf_release(&item);
		if (*p == ',')
			p++;
	}
	return arr;
}

static json_object *header_value(const struct irx_model *m, const struct irx_member *mem,
				 const char *s)
{
	const struct irx_shape *sh = irx_member_shape(m, mem);

	if (sh->type == IRX_SHAPE_LIST)
		return split_header_list(irx_member_shape(m, irx_model_member(m, sh->first)), s);
	if (mem->flags & IRX_MEMBER_F_JSONVALUE) {
		size_t n = 0;
		char *raw = irx_base64_decode(s, strlen(s), &n);
		json_object *v = raw ? json_tokener_parse(raw) : NULL;

		free(raw);
		return v;
	}
	return irx_scalar_from_text(sh, s, strlen(s));
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

int irx_rest_parse(const struct irx_model *m, const struct irx_service *svc,
		   const struct irx_operation *op, const struct irx_aws_response *resp,
		   json_object **out, struct irx_error *err)
{
	int xml = svc->protocol == IRX_PROTO_REST_XML, rc = -1, ok = 1;
	const struct irx_member *outm = op->output != IRX_MODEL_NONE ? irx_model_member(m, op->output) : NULL;
	const struct irx_shape *sh = outm ? irx_member_shape(m, outm) : NULL;
	const struct irx_member *payload = sh && sh->payload != IRX_MODEL_NONE ? irx_model_member(m, sh->payload) : NULL;
	json_object *obj = NULL, *body = NULL;
	struct irx_xml_doc *doc = NULL;

	*out = NULL;
	if (resp->status >= 300) {
		const char *rid = irx_aws_response_header(resp, xml ? "x-amz-request-id" : "x-amzn-RequestId");
		char code[16] = "";

		if (!resp->body_len) {
			snprintf(code, sizeof(code), "%d", resp->status);
			irx_protocol_set_aws_error(err, resp->status, code, reason_phrase(resp->status), rid);
		} else if (xml) {
			doc = irx_xml_read(resp->body, resp->body_len);
			if (!irx_xml_parse_error(doc, resp->status, resp, err))
				irx_protocol_set_garbage_error(err, resp, "XML");
		} else {
			body = irx_json_read(resp->body, resp->body_len, &ok);
			if (!ok || !irx_json_parse_error(svc, resp, body, err)) {
				if (ok && irx_aws_response_header(resp, "x-amzn-ErrorType"))
					irx_json_parse_error(svc, resp, NULL, err);
				else
					irx_protocol_set_garbage_error(err, resp, "JSON");
			}
		}
		goto out;
	}
	obj = json_object_new_object();
	for (uint32_t i = 0; sh && i < sh->count; i++) {
		const struct irx_member *mem = irx_model_member(m, sh->first + i);
		const char *name = irx_model_str(m, mem->name);
		json_object *v = NULL;

		if (mem->location == IRX_LOC_HEADER) {
			const char *h = irx_aws_response_header(resp, irx_member_wire_name(m, mem));

			if (h && (v = header_value(m, mem, h)))
				json_object_object_add(obj, name, v);
		} else if (mem->location == IRX_LOC_HEADERS) {
			const char *prefix = irx_member_wire_name(m, mem);
			const struct irx_member *vm = irx_model_member(m, irx_member_shape(m, mem)->first + 1);
			json_object *map = json_object_new_object();

			for (size_t k = 0; k < resp->n_headers; k++)
				if (!strncasecmp(resp->headers[k].name, prefix, strlen(prefix)) &&
				    (v = header_value(m, vm, resp->headers[k].value)))
					json_object_object_add(map, resp->headers[k].name + strlen(prefix), v);
			json_object_object_add(obj, name, map);
		} else if (mem->location == IRX_LOC_STATUS_CODE) {
			json_object_object_add(obj, name, json_object_new_int(resp->status));
		}
	}
	if (payload) {
		const struct irx_shape *ps = irx_member_shape(m, payload);
		const char *name = irx_model_str(m, payload->name);

		if (ps->type == IRX_SHAPE_BLOB || ps->type == IRX_SHAPE_STRING) {
			if (resp->body_len)
				json_object_object_add(obj, name, json_object_new_string_len(resp->body, (int)resp->body_len));
		} else if (resp->body_len && xml) {
			const struct irx_xml_node *root = NULL;
			json_object *v = NULL;

			doc = irx_xml_read(resp->body, resp->body_len);
			root = irx_xml_root(doc);
			if (!root) {
				irx_protocol_set_garbage_error(err, resp, "XML");
				goto out;
			}
			if (irx_xml_to_json(m, payload, &root, 1, &v, err) < 0)
				goto out;
			if (v)
				json_object_object_add(obj, name, v);
		} else if (resp->body_len) {
			json_object *v = NULL;

			body = irx_json_read(resp->body, resp->body_len, &ok);
			if (!ok) {
				irx_protocol_set_garbage_error(err, resp, "JSON");
				goto out;
			}
			if (irx_json_value_from_wire(m, payload, body, &v, err) < 0)
				goto out;
			if (v)
				json_object_object_add(obj, name, v);
		}
	} else if (sh && resp->body_len) {
		if (xml) {
			const struct irx_xml_node *root = NULL;

			doc = irx_xml_read(resp->body, resp->body_len);
			root = irx_xml_root(doc);
			if (!root) {
				irx_protocol_set_garbage_error(err, resp, "XML");
				goto out;
			}
			if (irx_xml_fill_structure(m, sh, root, obj, err) < 0)
				goto out;
		} else {
			json_object *v = NULL;

			body = irx_json_read(resp->body, resp->body_len, &ok);
			if (!ok || (body && !json_object_is_type(body, json_type_object))) {
				irx_protocol_set_garbage_error(err, resp, "JSON");
				goto out;
			}
			if (irx_json_value_from_wire(m, outm, body, &v, err) < 0)
				goto out;
			if (v) {
				json_object_object_foreach(v, k, val)
				json_object_object_add(obj, k, json_object_get(val));
				json_object_put(v);
			}
		}
	}
	*out = obj;
	obj = NULL;
	rc = 0;
out:
	json_object_put(obj);
	json_object_put(body);
	irx_xml_doc_free(doc);
	return rc;
}
