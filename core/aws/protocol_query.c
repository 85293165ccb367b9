/* SPDX-License-Identifier: Apache-2.0 */
/* The query and ec2 protocols: form-encoded POST bodies (Action, Version, flattened members),
 * XML responses. Naming rules follow botocore's QuerySerializer / EC2Serializer. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/protocol.h"
#include "util.h"

struct qctx {
	const struct irx_model *m;
	int ec2;
	struct irx_buf body;
	struct irx_error *err;
};

static void add_pair(struct qctx *q, const char *key, const char *val, size_t len)
{
	irx_buf_adds(&q->body, "&");
	irx_buf_add_urlencoded(&q->body, key, strlen(key), 0);
	irx_buf_adds(&q->body, "=");
	irx_buf_add_urlencoded(&q->body, val, len, 0);
}

/* The name a member takes in a key: ec2 uses queryName, else locationName capitalised. */
static const char *member_key(struct qctx *q, const struct irx_member *mem, const char *dflt,
			      char *tmp, size_t size)
{
	const char *ln = irx_model_str(q->m, mem->location_name);

	if (q->ec2) {
		const char *qn = irx_model_str(q->m, mem->query_name);

		if (*qn)
			return qn;
		if (*ln) {
			snprintf(tmp, size, "%s", ln);
			if (tmp[0] >= 'a' && tmp[0] <= 'z')
				tmp[0] = (char)(tmp[0] - 'a' + 'A');
			return tmp;
		}
		return dflt;
	}
	return *ln ? ln : dflt;
}

static int ser(struct qctx *q, const struct irx_member *mem, json_object *v, const char *prefix);

static int ser_structure(struct qctx *q, const struct irx_shape *sh, json_object *v,
			 const char *prefix)
{
	if (!json_object_is_type(v, json_type_object)) {
		irx_error_set(q->err, IRX_ERR_INVALID, "parameter '%s': expected an object, got %s",
			      *prefix ? prefix : "input", json_type_to_name(json_object_get_type(v)));
		return -1;
	}
	json_object_object_foreach(v, key, val)
	{
		const struct irx_member *mem = irx_model_find_member(q->m, sh, key);
		char tmp[256] = "";
		char *p = NULL;
		int rc = 0;

		if (!mem) {
			irx_error_set(q->err, IRX_ERR_INVALID, "unknown parameter '%s%s%s'", prefix,
				      *prefix ? "." : "", key);
			return -1;
		}
		if (json_object_is_type(val, json_type_null))
			continue;
		p = *prefix ? irx_xasprintf("%s.%s", prefix, member_key(q, mem, key, tmp, sizeof(tmp)))
			    : irx_xstrdup(member_key(q, mem, key, tmp, sizeof(tmp)));
		rc = ser(q, mem, val, p);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int ser_list(struct qctx *q, const struct irx_member *mem, const struct irx_shape *sh,
		    json_object *v, const char *prefix)
{
	const struct irx_member *elem = irx_model_member(q->m, sh->first);
	char *list_prefix = NULL;
	size_t n = 0;

	if (!json_object_is_type(v, json_type_array)) {
		irx_error_set(q->err, IRX_ERR_INVALID, "parameter '%s': expected a list, got %s", prefix,
			      json_type_to_name(json_object_get_type(v)));
		return -1;
	}
	n = json_object_array_length(v);
	if (q->ec2) {
		list_prefix = irx_xstrdup(prefix);
	} else if (!n) {
		/* the query protocol sends an empty list as an empty value */
		add_pair(q, prefix, "", 0);
		return 0;
	} else if (mem->flags & IRX_MEMBER_F_FLATTENED) {
		const char *en = irx_model_str(q->m, elem->location_name);
		const char *dot = strrchr(prefix, '.');

		if (*en)
			list_prefix = dot ? irx_xasprintf("%.*s.%s", (int)(dot - prefix), prefix, en)
					  : irx_xstrdup(en);
		else
			list_prefix = irx_xstrdup(prefix);
	} else {
		const char *en = irx_model_str(q->m, elem->location_name);

		list_prefix = irx_xasprintf("%s.%s", prefix, *en ? en : "member");
	}
	for (size_t i = 0; i < n; i++) {
		char *p = irx_xasprintf("%s.%zu", list_prefix, i + 1);
		int rc = ser(q, elem, json_object_array_get_idx(v, i), p);

		free(p);
		if (rc < 0) {
			free(list_prefix);
			return -1;
		}
	}
	free(list_prefix);
	return 0;
}

static int ser_map(struct qctx *q, const struct irx_member *mem, const struct irx_shape *sh,
		   json_object *v, const char *prefix)
{
	const struct irx_member *km = irx_model_member(q->m, sh->first);
	const struct irx_member *vm = irx_model_member(q->m, sh->first + 1);
	char tk[256] = "", tv[256] = "";
	const char *kn = member_key(q, km, "key", tk, sizeof(tk));
	const char *vn = member_key(q, vm, "value", tv, sizeof(tv));
	size_t i = 0;

	if (!json_object_is_type(v, json_type_object)) {
		irx_error_set(q->err, IRX_ERR_INVALID, "parameter '%s': expected a map, got %s", prefix,
			      json_type_to_name(json_object_get_type(v)));
		return -1;
	}
	json_object_object_foreach(v, key, val)
	{
		char *base = (mem->flags & IRX_MEMBER_F_FLATTENED)
				     ? irx_xasprintf("%s.%zu", prefix, ++i)
				     : irx_xasprintf("%s.entry.%zu", prefix, ++i);
		char *kp = irx_xasprintf("%s.%s", base, kn), *vp = irx_xasprintf("%s.%s", base, vn);
		json_object *kj = json_object_new_string(key);
		int rc = ser(q, km, kj, kp);

		if (!rc)
			rc = ser(q, vm, val, vp);
		json_object_put(kj);
		free(base);
		free(kp);
		free(vp);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int ser(struct qctx *q, const struct irx_member *mem, json_object *v, const char *prefix)
{
	const struct irx_shape *sh = irx_member_shape(q->m, mem);
	struct irx_buf b = {0};
	int rc = 0;

	switch (sh->type) {
	case IRX_SHAPE_STRUCTURE: return ser_structure(q, sh, v, prefix);
	case IRX_SHAPE_LIST: return ser_list(q, mem, sh, v, prefix);
	case IRX_SHAPE_MAP: return ser_map(q, mem, sh, v, prefix);
	default:
		rc = irx_scalar_to_text(q->m, sh, v,
					mem->timestamp_format ? mem->timestamp_format : IRX_TS_ISO8601,
					prefix, &b, q->err);
		if (!rc)
			add_pair(q, prefix, b.data ? b.data : "", b.len);
		irx_buf_release(&b);
		return rc;
	}
}

int irx_query_serialize(const struct irx_model *m, const struct irx_service *svc,
			const struct irx_operation *op, json_object *params,
			struct irx_aws_request *out, struct irx_error *err)
{
	struct qctx q = {.m = m, .ec2 = svc->protocol == IRX_PROTO_EC2, .err = err};

	irx_buf_adds(&q.body, "Action=");
	irx_buf_add_urlencoded(&q.body, irx_model_str(m, op->name), strlen(irx_model_str(m, op->name)), 0);
	irx_buf_adds(&q.body, "&Version=");
	irx_buf_add_urlencoded(&q.body, irx_model_str(m, svc->api_version),
			       strlen(irx_model_str(m, svc->api_version)), 0);
	if (params && op->input != IRX_MODEL_NONE) {
		const struct irx_member *in = irx_model_member(m, op->input);

		if (ser_structure(&q, irx_member_shape(m, in), params, "") < 0) {
			irx_buf_release(&q.body);
			return -1;
		}
	}
	out->method = irx_xstrdup(irx_model_str(m, op->method));
	out->path = irx_xstrdup(irx_model_str(m, op->request_uri));
	out->query = irx_xstrdup("");
	out->host_prefix = irx_xstrdup("");
	out->body = q.body.data;
	out->body_len = q.body.len;
	irx_aws_request_add_header(out, "Content-Type",
				   "application/x-www-form-urlencoded");
	return 0;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
			return 0;
	return 1;
}

int irx_query_parse(const struct irx_model *m, const struct irx_service *svc,
		    const struct irx_operation *op, const struct irx_aws_response *resp,
		    json_object **out, struct irx_error *err)
{
	struct irx_xml_doc *doc = irx_xml_read(resp->body, resp->body_len);
	const struct irx_xml_node *root = irx_xml_root(doc), *start = NULL;
	const struct irx_member *outm = NULL;
	int rc = -1;

	*out = NULL;
	if (resp->status < 300 && !root && is_blank(resp->body, resp->body_len)) {
		/* an empty (or blank) 2xx body: nothing to parse */
		*out = json_object_new_object();
		rc = 0;
		goto out;
	}
	if (resp->status >= 300 || !root) {
		if (!irx_xml_parse_error(doc, resp->status, resp, err))
			irx_protocol_set_garbage_error(err, resp, "XML");
		goto out;
	}
	if (op->output == IRX_MODEL_NONE) {
		*out = json_object_new_object();
		rc = 0;
		goto out;
	}
	outm = irx_model_member(m, op->output);
	start = root;
	if (!*irx_model_str(m, op->result_wrapper) && svc->protocol == IRX_PROTO_QUERY) {
		/* a model without resultWrapper still gets the <Op>Result element query always sends */
		char *wrapper = irx_xasprintf("%sResult", irx_model_str(m, op->name));
		const struct irx_xml_node *w = irx_xml_child(root, wrapper);

		free(wrapper);
		if (w)
			start = w;
	} else if (*irx_model_str(m, op->result_wrapper)) {
		start = irx_xml_child(root, irx_model_str(m, op->result_wrapper));
		if (!start) {
			/* a 200 carrying an error document, or an empty result */
			if (irx_xml_parse_error(doc, resp->status, resp, err))
				goto out;
			*out = json_object_new_object();
			rc = 0;
			goto out;
		}
	}
	*out = json_object_new_object();
	rc = irx_xml_fill_structure(m, irx_member_shape(m, outm), start, *out, err);
	if (rc < 0) {
		json_object_put(*out);
		*out = NULL;
	}
out:
	irx_xml_doc_free(doc);
	return rc;
}
