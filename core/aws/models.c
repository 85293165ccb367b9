/* SPDX-License-Identifier: Apache-2.0 */
/* Model lookups, and the run-time builder that gives a botocore-format JSON model the same form
 * as the generated tables (the normalisation mirrors tools/gen-models). */
#include "aws/models.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const struct irx_shape *irx_model_shape(const struct irx_model *m, uint32_t idx)
{
	return idx < m->n_shapes ? &m->shapes[idx] : NULL;
}

const struct irx_member *irx_model_member(const struct irx_model *m, uint32_t idx)
{
	return idx < m->n_members ? &m->members[idx] : NULL;
}

const struct irx_shape *irx_member_shape(const struct irx_model *m, const struct irx_member *mem)
{
	return irx_model_shape(m, mem->shape);
}

const char *irx_member_wire_name(const struct irx_model *m, const struct irx_member *mem)
{
	const char *ln = irx_model_str(m, mem->location_name);

	return *ln ? ln : irx_model_str(m, mem->name);
}

const struct irx_member *irx_model_find_member(const struct irx_model *m,
					       const struct irx_shape *shape, const char *name)
{
	if (!shape || shape->type != IRX_SHAPE_STRUCTURE)
		return NULL;
	for (uint32_t i = 0; i < shape->count; i++) {
		const struct irx_member *mem = &m->members[shape->first + i];

		if (!strcmp(irx_model_str(m, mem->name), name))
			return mem;
	}
	return NULL;
}

const struct irx_service *irx_model_service(const struct irx_model *m, const char *id)
{
	size_t lo = 0, hi = m->n_services;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, irx_model_str(m, m->services[mid].id));

		if (!c)
			return &m->services[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct irx_operation *irx_model_operation(const struct irx_model *m,
						const struct irx_service *svc, const char *name)
{
	size_t lo = svc->first_op, hi = (size_t)svc->first_op + svc->op_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, irx_model_str(m, m->ops[mid].name));

		if (!c)
			return &m->ops[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const char *const protocol_names[] = {
	[IRX_PROTO_EC2] = "ec2",
	[IRX_PROTO_QUERY] = "query",
	[IRX_PROTO_JSON] = "json",
	[IRX_PROTO_REST_JSON] = "rest-json",
	[IRX_PROTO_REST_XML] = "rest-xml",
};

const char *irx_protocol_name(enum irx_protocol p)
{
	if ((size_t)p < sizeof(protocol_names) / sizeof(protocol_names[0]) && protocol_names[p])
		return protocol_names[p];
	return "unknown";
}

enum irx_protocol irx_protocol_from_name(const char *name)
{
	for (size_t i = 1; i < sizeof(protocol_names) / sizeof(protocol_names[0]); i++)
		if (name && !strcmp(protocol_names[i], name))
			return (enum irx_protocol)i;
	return 0;
}

int irx_operation_name_is_read_only(const char *name)
{
	static const char *const prefixes[] = {"Describe", "Get",  "List",     "Head",
					       "Search",   "Lookup", "Query",  "Scan",
					       "BatchGet", "Simulate", "Select"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(name, prefixes[i], n) && (name[n] == '\0' || (name[n] >= 'A' && name[n] <= 'Z')))
			return 1;
	}
	return 0;
}

/* --- the run-time builder ------------------------------------------------------------------ */

struct named {
	char *name;
	uint32_t idx;
};

struct builder {
	char *strings;
	size_t strings_len, strings_cap;
	struct irx_shape *shapes;
	size_t n_shapes, cap_shapes;
	struct irx_member *members;
	size_t n_members, cap_members;
	struct irx_operation *ops;
	size_t n_ops, cap_ops;
	struct named *named;
	size_t n_named, cap_named;
	json_object *defs;
	int depth;
	struct irx_error *err;
};

static uint32_t bstr(struct builder *b, const char *s)
{
	size_t n = 0, off = 0;

	if (!s || !*s)
		return 0;
	/* linear search keeps the pool small; suite models are tiny */
	for (off = 1; off < b->strings_len; off += strlen(b->strings + off) + 1)
		if (!strcmp(b->strings + off, s))
			return (uint32_t)off;
	n = strlen(s) + 1;
	if (b->strings_len + n > b->strings_cap) {
		b->strings_cap = (b->strings_len + n) * 2;
		b->strings = irx_xrealloc(b->strings, b->strings_cap);
	}
	off = b->strings_len;
	memcpy(b->strings + off, s, n);
	b->strings_len += n;
	return (uint32_t)off;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int jbool(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int shape_type(const char *t)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {
		{"structure", IRX_SHAPE_STRUCTURE}, {"list", IRX_SHAPE_LIST},
		{"map", IRX_SHAPE_MAP},	    {"string", IRX_SHAPE_STRING},
		{"boolean", IRX_SHAPE_BOOLEAN},	    {"integer", IRX_SHAPE_INTEGER},
		{"byte", IRX_SHAPE_INTEGER},	    {"short", IRX_SHAPE_INTEGER},
		{"long", IRX_SHAPE_LONG},	    {"biginteger", IRX_SHAPE_LONG},
		{"float", IRX_SHAPE_FLOAT},	    {"double", IRX_SHAPE_DOUBLE},
		{"bigdecimal", IRX_SHAPE_DOUBLE},   {"timestamp", IRX_SHAPE_TIMESTAMP},
		{"blob", IRX_SHAPE_BLOB},	    {"document", IRX_SHAPE_DOCUMENT},
	};

	if (!t)
		return IRX_SHAPE_STRING;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].name, t))
			return types[i].type;
	return 0;
}

static uint32_t build_shape(struct builder *b, const char *name, json_object *d);

static uint32_t add_members(struct builder *b, size_t n)
{
	uint32_t first = (uint32_t)b->n_members;

	if (b->n_members + n > b->cap_members) {
		b->cap_members = (b->n_members + n) * 2 + 16;
		b->members = irx_xrealloc(b->members, b->cap_members * sizeof(*b->members));
	}
	memset(b->members + b->n_members, 0, n * sizeof(*b->members));
	b->n_members += n;
	return first;
}

/* Effective trait: the reference's own, else its target shape's. */
static json_object *trait(json_object *ref, json_object *target, const char *key)
{
	json_object *v = jget(ref, key);

	return v ? v : jget(target, key);
}

static int location_of(const char *loc)
{
	static const char *const names[] = {"", "header", "headers", "querystring", "uri",
					    "statusCode"};

	if (!loc)
		return IRX_LOC_BODY;
	for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i], loc))
			return (int)i;
	return -1;
}

static int ts_format_of(const char *f)
{
	if (!f)
		return IRX_TS_DEFAULT;
	if (!strcmp(f, "iso8601"))
		return IRX_TS_ISO8601;
	if (!strcmp(f, "unixTimestamp"))
		return IRX_TS_UNIX;
	if (!strcmp(f, "rfc822"))
		return IRX_TS_RFC822;
	return -1;
}

/* Fills members[slot] from a reference (or inline shape) `ref`. The slot is re-addressed after
 * recursion since the array may move. */
static int build_member(struct builder *b, uint32_t slot, const char *name, json_object *ref,
			int required)
{
	const char *target_name = jstr(ref, "shape");
	json_object *target = ref, *ns = NULL;
	uint32_t shape = 0;
	struct irx_member mem = {0};
	int loc = 0, ts = 0;

	if (target_name) {
		target = jget(b->defs, target_name);
		if (!target) {
			irx_error_set(b->err, IRX_ERR_INVALID, "unknown shape '%s'", target_name);
			return -1;
		}
	}
	shape = build_shape(b, target_name, target);
	if (shape == IRX_MODEL_NONE)
		return -1;
	mem.name = bstr(b, name);
	mem.shape = shape;
	mem.location_name = bstr(b, json_object_get_string(trait(ref, target, "locationName")));
	mem.query_name = bstr(b, json_object_get_string(trait(ref, target, "queryName")));
	ns = trait(ref, target, "xmlNamespace");
	if (ns && json_object_is_type(ns, json_type_string)) {
		mem.xml_ns_uri = bstr(b, json_object_get_string(ns));
	} else if (ns) {
		mem.xml_ns_uri = bstr(b, jstr(ns, "uri"));
		mem.xml_ns_prefix = bstr(b, jstr(ns, "prefix"));
	}
	loc = location_of(json_object_get_string(trait(ref, target, "location")));
	ts = ts_format_of(json_object_get_string(trait(ref, target, "timestampFormat")));
	if (loc < 0 || ts < 0) {
		irx_error_set(b->err, IRX_ERR_INVALID, "member '%s': unknown %s", name,
			      loc < 0 ? "location" : "timestampFormat");
		return -1;
	}
	mem.location = (uint8_t)loc;
	mem.timestamp_format = (uint8_t)ts;
	mem.flags = (uint8_t)((required ? IRX_MEMBER_F_REQUIRED : 0) |
			      (json_object_get_boolean(trait(ref, target, "flattened")) ? IRX_MEMBER_F_FLATTENED : 0) |
			      (json_object_get_boolean(trait(ref, target, "xmlAttribute")) ? IRX_MEMBER_F_XML_ATTRIBUTE : 0) |
			      (jbool(ref, "idempotencyToken") ? IRX_MEMBER_F_IDEMPOTENCY_TOKEN : 0) |
			      (json_object_get_boolean(trait(ref, target, "hostLabel")) ? IRX_MEMBER_F_HOST_LABEL : 0) |
			      (json_object_get_boolean(trait(ref, target, "jsonvalue")) ? IRX_MEMBER_F_JSONVALUE : 0) |
			      (json_object_get_boolean(trait(ref, target, "streaming")) ? IRX_MEMBER_F_STREAMING : 0) |
			      (json_object_get_boolean(trait(ref, target, "eventpayload")) ? IRX_MEMBER_F_EVENTPAYLOAD : 0));
	b->members[slot] = mem;
	return 0;
}

static uint32_t build_shape(struct builder *b, const char *name, json_object *d)
{
	const char *tname = jstr(d, "type");
	int type = jbool(d, "document") ? IRX_SHAPE_DOCUMENT : shape_type(tname);
	uint32_t idx = 0, first = 0;
	size_t n = 0;
	json_object *members = NULL, *required = NULL, *payload = NULL;
	struct irx_shape sh = {0};

	if (name) {
		for (size_t i = 0; i < b->n_named; i++)
			if (!strcmp(b->named[i].name, name))
				return b->named[i].idx;
	}
	if (!type) {
		irx_error_set(b->err, IRX_ERR_INVALID, "shape '%s': unknown type '%s'",
			      name ? name : "(inline)", tname);
		return IRX_MODEL_NONE;
	}
	if (++b->depth > 64) {
		irx_error_set(b->err, IRX_ERR_LIMIT, "shapes nested too deeply");
		return IRX_MODEL_NONE;
	}
	if (b->n_shapes == b->cap_shapes) {
		b->cap_shapes = b->cap_shapes * 2 + 16;
		b->shapes = irx_xrealloc(b->shapes, b->cap_shapes * sizeof(*b->shapes));
	}
	idx = (uint32_t)b->n_shapes++;
	if (name) {
		if (b->n_named == b->cap_named) {
			b->cap_named = b->cap_named * 2 + 16;
			b->named = irx_xrealloc(b->named, b->cap_named * sizeof(*b->named));
		}
		b->named[b->n_named].name = irx_xstrdup(name);
		b->named[b->n_named++].idx = idx;
	}
	sh.type = (uint8_t)type;
	sh.name = bstr(b, name);
	sh.payload = IRX_MODEL_NONE;
	sh.flags = (uint8_t)((jbool(d, "union") ? IRX_SHAPE_F_UNION : 0) |
			     (jbool(d, "streaming") ? IRX_SHAPE_F_STREAMING : 0) |
			     (jbool(d, "eventstream") ? IRX_SHAPE_F_EVENTSTREAM : 0) |
			     (jbool(d, "sensitive") ? IRX_SHAPE_F_SENSITIVE : 0));
	if (type == IRX_SHAPE_STRUCTURE) {
		members = jget(d, "members");
		n = members && json_object_is_type(members, json_type_object)
			    ? (size_t)json_object_object_length(members)
			    : 0;
	} else if (type == IRX_SHAPE_LIST) {
		n = 1;
	} else if (type == IRX_SHAPE_MAP) {
		n = 2;
	}
	first = n ? add_members(b, n) : 0;
	sh.first = first;
	sh.count = (uint16_t)n;
	b->shapes[idx] = sh;
	if (type == IRX_SHAPE_STRUCTURE && n) {
		uint32_t i = 0;

		required = jget(d, "required");
		payload = jget(d, "payload");
		json_object_object_foreach(members, mname, mref)
		{
			int req = 0;

			for (size_t r = 0; required && r < json_object_array_length(required); r++)
				if (!strcmp(json_object_get_string(json_object_array_get_idx(required, r)), mname))
					req = 1;
			if (build_member(b, first + i, mname, mref, req) < 0)
				return IRX_MODEL_NONE;
			if (payload && !strcmp(json_object_get_string(payload), mname))
				b->shapes[idx].payload = first + i;
			i++;
		}
	} else if (type == IRX_SHAPE_LIST) {
		json_object *m = jget(d, "member");
		json_object *empty = NULL;
		int rc = 0;

		if (!m)
			m = empty = json_object_new_object();
		rc = build_member(b, first, "", m, 0);
		json_object_put(empty);
		if (rc < 0)
			return IRX_MODEL_NONE;
	} else if (type == IRX_SHAPE_MAP) {
		json_object *empty = json_object_new_object();
		json_object *k = jget(d, "key"), *v = jget(d, "value");
		int rc = build_member(b, first, "", k ? k : empty, 0);

		if (!rc)
			rc = build_member(b, first + 1, "", v ? v : empty, 0);
		json_object_put(empty);
		if (rc < 0)
			return IRX_MODEL_NONE;
	}
	b->depth--;
	return idx;
}

static int build_op(struct builder *b, const char *name, json_object *op)
{
	json_object *http = jget(op, "http"), *endpoint = jget(op, "endpoint");
	struct irx_operation o = {0};
	json_object *code = NULL;

	o.name = bstr(b, name);
	o.method = bstr(b, jstr(http, "method") ? jstr(http, "method") : "POST");
	o.request_uri = bstr(b, jstr(http, "requestUri") ? jstr(http, "requestUri") : "/");
	o.input = o.output = IRX_MODEL_NONE;
	code = jget(http, "responseCode");
	o.response_code = code ? (uint16_t)json_object_get_int(code) : 0;
	o.host_prefix = bstr(b, jstr(endpoint, "hostPrefix"));
	if (jget(op, "input")) {
		o.input = add_members(b, 1);
		if (build_member(b, o.input, "", jget(op, "input"), 0) < 0)
			return -1;
	}
	if (jget(op, "output")) {
		o.output = add_members(b, 1);
		if (build_member(b, o.output, "", jget(op, "output"), 0) < 0)
			return -1;
		o.result_wrapper = bstr(b, jstr(jget(op, "output"), "resultWrapper"));
	}
	if (!irx_operation_name_is_read_only(name))
		o.flags |= IRX_OP_F_MUTATING;
	if (jbool(op, "httpChecksumRequired") ||
	    jbool(jget(op, "httpChecksum"), "requestChecksumRequired"))
		o.flags |= IRX_OP_F_CHECKSUM_REQUIRED;
	if (b->n_ops == b->cap_ops) {
		b->cap_ops = b->cap_ops * 2 + 8;
		b->ops = irx_xrealloc(b->ops, b->cap_ops * sizeof(*b->ops));
	}
	b->ops[b->n_ops++] = o;
	return 0;
}

static int cmp_op_names(const void *a, const void *c, void *strings)
{
	const struct irx_operation *x = a, *y = c;

	return strcmp((const char *)strings + x->name, (const char *)strings + y->name);
}

struct irx_model *irx_model_from_json(const char *id, json_object *metadata, json_object *shapes,
				      json_object *operations, struct irx_error *err)
{
	struct builder b = {0};
	struct irx_model *m = NULL;
	struct irx_service *svc = NULL;
	const char *proto = jstr(metadata, "protocol");
	int rc = -1;

	b.err = err;
	b.defs = shapes;
	b.strings_cap = 256;
	b.strings = irx_xmalloc(b.strings_cap);
	b.strings[0] = '\0';
	b.strings_len = 1;
	if (!irx_protocol_from_name(proto)) {
		irx_error_set(err, IRX_ERR_INVALID, "unknown protocol '%s'", proto ? proto : "");
		goto out;
	}
	if (operations && json_object_is_type(operations, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(operations); i++) {
			json_object *op = json_object_array_get_idx(operations, i);

			if (!jstr(op, "name")) {
				irx_error_set(err, IRX_ERR_INVALID, "operation without a name");
				goto out;
			}
			if (build_op(&b, jstr(op, "name"), op) < 0)
				goto out;
		}
	} else if (operations) {
		json_object_object_foreach(operations, oname, op)
		{
			if (build_op(&b, oname, op) < 0)
				goto out;
		}
	}
	qsort_r(b.ops, b.n_ops, sizeof(*b.ops), cmp_op_names, b.strings);
	svc = irx_xcalloc(1, sizeof(*svc));
	svc->id = bstr(&b, id);
	svc->endpoint_prefix = bstr(&b, jstr(metadata, "endpointPrefix"));
	svc->signing_name = bstr(&b, jstr(metadata, "signingName") ? jstr(metadata, "signingName")
								  : jstr(metadata, "endpointPrefix"));
	svc->json_version = bstr(&b, jstr(metadata, "jsonVersion"));
	svc->target_prefix = bstr(&b, jstr(metadata, "targetPrefix"));
	svc->api_version = bstr(&b, jstr(metadata, "apiVersion"));
	svc->global_endpoint = bstr(&b, jstr(metadata, "globalEndpoint"));
	svc->xml_namespace = bstr(&b, jstr(metadata, "xmlNamespace"));
	svc->service_id = bstr(&b, jstr(metadata, "serviceId"));
	svc->first_op = 0;
	svc->op_count = (uint32_t)b.n_ops;
	svc->protocol = (uint8_t)irx_protocol_from_name(proto);
	svc->query_compatible = jget(metadata, "awsQueryCompatible") != NULL;
	m = irx_xcalloc(1, sizeof(*m));
	m->strings = b.strings;
	m->strings_len = b.strings_len;
	m->services = svc;
	m->n_services = 1;
	m->ops = b.ops;
	m->n_ops = b.n_ops;
	m->shapes = b.shapes;
	m->n_shapes = b.n_shapes;
	m->members = b.members;
	m->n_members = b.n_members;
	m->owned = 1;
	b.strings = NULL;
	b.ops = NULL;
	b.shapes = NULL;
	b.members = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < b.n_named; i++)
		free(b.named[i].name);
	free(b.named);
	free(b.strings);
	free(b.ops);
	free(b.shapes);
	free(b.members);
	(void)rc;
	return m;
}

void irx_model_free(struct irx_model *m)
{
	if (!m || !m->owned)
		return;
	free((void *)m->strings);
	free((void *)m->services);
	free((void *)m->ops);
	free((void *)m->shapes);
	free((void *)m->members);
	free(m);
}
