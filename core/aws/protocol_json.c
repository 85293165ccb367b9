/* SPDX-License-Identifier: Apache-2.0 */
/* The json protocol (1.0 and 1.1): POST / with X-Amz-Target, JSON bodies both ways. The value
 * conversions here are shared with rest-json bodies. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/protocol.h"
#include "util.h"

static json_object *epoch_json(double epoch)
{
	double whole = floor(epoch);

	if (epoch == whole && fabs(epoch) < 9e15)
		return json_object_new_int64((int64_t)epoch);
	return json_object_new_double(round(epoch * 1000.0) / 1000.0);
}

int irx_json_value_to_wire(const struct irx_model *m, const struct irx_member *mem, json_object *v,
			   const char *path, json_object **out, struct irx_error *err)
{
	const struct irx_shape *sh = irx_member_shape(m, mem);
	struct irx_buf b = {0};
	double d = 0;

	*out = NULL;
	switch (sh->type) {
	case IRX_SHAPE_STRUCTURE: {
		json_object *obj = NULL;

		if (!json_object_is_type(v, json_type_object)) {
			irx_error_set(err, IRX_ERR_INVALID, "parameter '%s': expected an object, got %s",
				      path, json_type_to_name(json_object_get_type(v)));
			return -1;
		}
		obj = json_object_new_object();
		json_object_object_foreach(v, key, val)
		{
			const struct irx_member *cm = irx_model_find_member(m, sh, key);
			json_object *w = NULL;
			char *p = NULL;
			int rc = 0;

			if (!cm) {
				irx_error_set(err, IRX_ERR_INVALID, "unknown parameter '%s%s%s'", path,
					      *path ? "." : "", key);
				json_object_put(obj);
				return -1;
			}
			if (json_object_is_type(val, json_type_null) || cm->location != IRX_LOC_BODY)
				continue;
			p = *path ? irx_xasprintf("%s.%s", path, key) : irx_xstrdup(key);
			rc = irx_json_value_to_wire(m, cm, val, p, &w, err);
			free(p);
			if (rc < 0) {
				json_object_put(obj);
				return -1;
			}
			json_object_object_add(obj, irx_member_wire_name(m, cm), w);
		}
		*out = obj;
		return 0;
	}
	case IRX_SHAPE_LIST: {
		const struct irx_member *elem = irx_model_member(m, sh->first);
		json_object *arr = NULL;

		if (!json_object_is_type(v, json_type_array)) {
			irx_error_set(err, IRX_ERR_INVALID, "parameter '%s': expected a list, got %s", path,
				      json_type_to_name(json_object_get_type(v)));
			return -1;
		}
		arr = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *w = NULL;
			char *p = irx_xasprintf("%s[%zu]", path, i);
			int rc = irx_json_value_to_wire(m, elem, json_object_array_get_idx(v, i), p, &w, err);

			free(p);
			if (rc < 0) {
				json_object_put(arr);
				return -1;
			}
			json_object_array_add(arr, w);
		}
		*out = arr;
		return 0;
	}
	case IRX_SHAPE_MAP: {
		const struct irx_member *vm = irx_model_member(m, sh->first + 1);
		json_object *obj = NULL;

		if (!json_object_is_type(v, json_type_object)) {
			irx_error_set(err, IRX_ERR_INVALID, "parameter '%s': expected a map, got %s", path,
				      json_type_to_name(json_object_get_type(v)));
			return -1;
		}
		obj = json_object_new_object();
		json_object_object_foreach(v, key, val)
		{
			json_object *w = NULL;
			char *p = irx_xasprintf("%s.%s", path, key);
			int rc = json_object_is_type(val, json_type_null)
					 ? 0
					 : irx_json_value_to_wire(m, vm, val, p, &w, err);

			free(p);
			if (rc < 0) {
				json_object_put(obj);
				return -1;
			}
			json_object_object_add(obj, key, w);
		}
		*out = obj;
		return 0;
	}
	case IRX_SHAPE_DOCUMENT: *out = json_object_get(v); return 0;
	case IRX_SHAPE_TIMESTAMP:
		if (irx_timestamp_from_json(v, &d) < 0)
			break;
		if (mem->timestamp_format && mem->timestamp_format != IRX_TS_UNIX) {
			irx_timestamp_format(&b, d, mem->timestamp_format);
			*out = json_object_new_string(b.data);
			irx_buf_release(&b);
		} else {
			*out = epoch_json(d);
		}
		return 0;
	case IRX_SHAPE_BOOLEAN:
	case IRX_SHAPE_INTEGER:
	case IRX_SHAPE_LONG:
		if (irx_scalar_to_text(m, sh, v, IRX_TS_UNIX, path, &b, err) < 0)
			return -1;
		*out = sh->type == IRX_SHAPE_BOOLEAN ? json_object_new_boolean(!strcmp(b.data, "true"))
						     : json_object_new_int64(strtoll(b.data, NULL, 10));
		irx_buf_release(&b);
		return 0;
	case IRX_SHAPE_FLOAT:
	case IRX_SHAPE_DOUBLE:
		if (irx_double_from_json(v, &d) < 0)
			break;
		if (isnan(d) || isinf(d)) {
			irx_buf_add_double(&b, d);
			*out = json_object_new_string(b.data);
			irx_buf_release(&b);
		} else if (json_object_is_type(v, json_type_int)) {
			*out = json_object_new_int64(json_object_get_int64(v));
		} else {
			*out = json_object_new_double(d);
		}
		return 0;
	default:
		if (irx_scalar_to_text(m, sh, v, IRX_TS_UNIX, path, &b, err) < 0)
			return -1;
		*out = json_object_new_string_len(b.data ? b.data : "", (int)b.len);
		irx_buf_release(&b);
		return 0;
	}
	/* timestamps and doubles that did not convert: the shared message */
	return irx_scalar_to_text(m, sh, v, IRX_TS_ISO8601, path, &b, err);
}

int irx_json_value_from_wire(const struct irx_model *m, const struct irx_member *mem,
			     json_object *v, json_object **out, struct irx_error *err)
{
	const struct irx_shape *sh = irx_member_shape(m, mem);
	double d = 0;

	*out = NULL;
	if (!v || json_object_is_type(v, json_type_null))
		return 0;
	switch (sh->type) {
	case IRX_SHAPE_STRUCTURE: {
		json_object *obj = NULL;

		if (!json_object_is_type(v, json_type_object))
			goto bad;
		obj = json_object_new_object();
		for (uint32_t i = 0; i < sh->count; i++) {
			const struct irx_member *cm = irx_model_member(m, sh->first + i);
			json_object *wv = NULL, *w = NULL;

			if (cm->location != IRX_LOC_BODY ||
			    !json_object_object_get_ex(v, irx_member_wire_name(m, cm), &wv))
				continue;
			if (irx_json_value_from_wire(m, cm, wv, &w, err) < 0) {
				json_object_put(obj);
				return -1;
			}
			if (w)
				json_object_object_add(obj, irx_model_str(m, cm->name), w);
		}
		*out = obj;
		return 0;
	}
	case IRX_SHAPE_LIST: {
		const struct irx_member *elem = irx_model_member(m, sh->first);
		json_object *arr = NULL;

		if (!json_object_is_type(v, json_type_array))
			goto bad;
		arr = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *w = NULL;

			if (irx_json_value_from_wire(m, elem, json_object_array_get_idx(v, i), &w, err) < 0) {
				json_object_put(arr);
				return -1;
			}
			json_object_array_add(arr, w);
		}
		*out = arr;
		return 0;
	}
	case IRX_SHAPE_MAP: {
		const struct irx_member *vm = irx_model_member(m, sh->first + 1);
		json_object *obj = NULL;

		if (!json_object_is_type(v, json_type_object))
			goto bad;
		obj = json_object_new_object();
		json_object_object_foreach(v, key, val)
		{
			json_object *w = NULL;

			if (irx_json_value_from_wire(m, vm, val, &w, err) < 0) {
				json_object_put(obj);
				return -1;
			}
			if (w)
				json_object_object_add(obj, key, w);
		}
		*out = obj;
		return 0;
	}
	case IRX_SHAPE_TIMESTAMP:
		if (irx_timestamp_from_json(v, &d) < 0)
			goto bad;
		*out = irx_timestamp_to_json(d);
		return 0;
	case IRX_SHAPE_BLOB:
		if (!json_object_is_type(v, json_type_string))
			goto bad;
		*out = irx_scalar_from_text(sh, json_object_get_string(v),
					    (size_t)json_object_get_string_len(v));
		if (!*out)
			goto bad;
		return 0;
	case IRX_SHAPE_FLOAT:
	case IRX_SHAPE_DOUBLE:
		if (irx_double_from_json(v, &d) < 0 && !json_object_is_type(v, json_type_string))
			goto bad;
		if (json_object_is_type(v, json_type_string))
			*out = irx_scalar_from_text(sh, json_object_get_string(v),
						    (size_t)json_object_get_string_len(v));
		else
			*out = json_object_new_double(d);
		if (!*out)
			goto bad;
		return 0;
	case IRX_SHAPE_BOOLEAN:
		if (!json_object_is_type(v, json_type_boolean))
			goto bad;
		*out = json_object_get(v);
		return 0;
	case IRX_SHAPE_INTEGER:
	case IRX_SHAPE_LONG:
		if (!json_object_is_type(v, json_type_int))
			goto bad;
		*out = json_object_get(v);
		return 0;
	case IRX_SHAPE_STRING:
		if (!json_object_is_type(v, json_type_string))
			goto bad;
		*out = json_object_get(v);
		return 0;
	default: *out = json_object_get(v); return 0;
	}
bad:
	irx_error_set(err, IRX_ERR_PARSE, "unexpected %s for a %s in the response",
		      json_type_to_name(json_object_get_type(v)),
		      sh->type == IRX_SHAPE_STRUCTURE ? "structure"
		      : sh->type == IRX_SHAPE_LIST    ? "list"
		      : sh->type == IRX_SHAPE_MAP     ? "map"
		      : sh->type == IRX_SHAPE_STRING  ? "string"
						      : "scalar");
	return -1;
}

/* "aws.protocoltests#FooError:http://..." -> "FooError" */
static void clean_code(const char *raw, char *out, size_t size)
{
	const char *s = raw, *hash = strchr(raw, '#');
	size_t n = 0;

	if (hash)
		s = hash + 1;
	n = strcspn(s, ":");
	snprintf(out, size, "%.*s", (int)n, s);
}

int irx_json_parse_error(const struct irx_service *svc, const struct irx_aws_response *resp,
			 json_object *body, struct irx_error *err)
{
	const char *hdr = irx_aws_response_header(resp, "x-amzn-ErrorType");
	const char *qerr = svc && svc->query_compatible
				   ? irx_aws_response_header(resp, "x-amzn-query-error")
				   : NULL;
	const char *rid = irx_aws_response_header(resp, "x-amzn-RequestId");
	json_object *v = NULL;
	const char *raw = NULL, *msg = NULL;
	char code[128] = "";

	if (hdr && *hdr)
		raw = hdr;
	else if (body && json_object_object_get_ex(body, "__type", &v))
		raw = json_object_get_string(v);
	else if (body && json_object_object_get_ex(body, "code", &v))
		raw = json_object_get_string(v);
	if (qerr && *qerr) {
		snprintf(code, sizeof(code), "%.*s", (int)strcspn(qerr, ";"), qerr);
	} else if (raw) {
		clean_code(raw, code, sizeof(code));
	}
	if (!*code)
		return 0;
	if (body && (json_object_object_get_ex(body, "message", &v) ||
		     json_object_object_get_ex(body, "Message", &v) ||
		     json_object_object_get_ex(body, "errorMessage", &v)))
		msg = json_object_get_string(v);
	irx_protocol_set_aws_error(err, resp->status, code, msg ? msg : "", rid);
	return 1;
}

json_object *irx_json_read(const char *body, size_t len, int *ok)
{
	json_tokener *tok = NULL;
	json_object *o = NULL;
	size_t i = 0;

	*ok = 1;
	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
		i++;
	if (i == len)
		return NULL;
	tok = json_tokener_new_ex(64);
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		json_object_put(o);
		o = NULL;
		*ok = 0;
		/* trailing whitespace after a complete value is fine */
		if (json_tokener_get_error(tok) == json_tokener_success) {
			size_t end = json_tokener_get_parse_end(tok);

			while (end < len && (body[end] == ' ' || body[end] == '\n' || body[end] == '\r'))
				end++;
			if (end == len) {
				json_tokener_reset(tok);
				o = json_tokener_parse_ex(tok, body, (int)len);
				*ok = o != NULL;
			}
		}
	}
	json_tokener_free(tok);
	return o;
}

int irx_json_serialize(const struct irx_model *m, const struct irx_service *svc,
		       const struct irx_operation *op, json_object *params,
		       struct irx_aws_request *out, struct irx_error *err)
{
	json_object *body = NULL;
	const char *jv = irx_model_str(m, svc->json_version);
	char *target = NULL, *ct = NULL;
	const char *text = NULL;

	if (op->input != IRX_MODEL_NONE) {
		json_object *empty = params ? NULL : json_object_new_object();
		int rc = irx_json_value_to_wire(m, irx_model_member(m, op->input), params ? params : empty,
						"", &body, err);

		json_object_put(empty);
		if (rc < 0)
			return -1;
	} else {
		body = json_object_new_object();
	}
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	out->body = irx_xstrdup(text);
	out->body_len = strlen(text);
	json_object_put(body);
	out->method = irx_xstrdup("POST");
	out->path = irx_xstrdup(irx_model_str(m, op->request_uri));
	out->query = irx_xstrdup("");
	out->host_prefix = irx_xstrdup("");
	target = irx_xasprintf("%s.%s", irx_model_str(m, svc->target_prefix), irx_model_str(m, op->name));
	ct = irx_xasprintf("application/x-amz-json-%s", *jv ? jv : "1.0");
	irx_aws_request_add_header(out, "X-Amz-Target", target);
	irx_aws_request_add_header(out, "Content-Type", ct);
	if (svc->query_compatible)
		irx_aws_request_add_header(out, "x-amzn-query-mode", "true");
	free(target);
	free(ct);
	return 0;
}

int irx_json_parse(const struct irx_model *m, const struct irx_service *svc,
		   const struct irx_operation *op, const struct irx_aws_response *resp,
		   json_object **out, struct irx_error *err)
{
	int ok = 1, rc = -1;
	json_object *body = irx_json_read(resp->body, resp->body_len, &ok);

	*out = NULL;
	if (resp->status >= 300) {
		if (!ok || !irx_json_parse_error(svc, resp, body, err))
			irx_protocol_set_garbage_error(err, resp, "JSON");
		goto out;
	}
	if (!ok || (body && !json_object_is_type(body, json_type_object))) {
		irx_protocol_set_garbage_error(err, resp, "JSON");
		goto out;
	}
	if (op->output == IRX_MODEL_NONE || !body) {
		*out = json_object_new_object();
		rc = 0;
		goto out;
	}
	rc = irx_json_value_from_wire(m, irx_model_member(m, op->output), body, out, err);
out:
	json_object_put(body);
	return rc;
}
