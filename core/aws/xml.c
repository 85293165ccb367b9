/* SPDX-License-Identifier: Apache-2.0 */
/* XML responses -> json-c, walking the output shape as botocore's XML parsers do. libxml2 does
 * the parsing; this file only walks the tree. */
#include <json-c/json.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "aws/protocol.h"
#include "util.h"

#define MAX_DEPTH 128

xmlDocPtr irx_xml_read(const char *body, size_t len)
{
	if (!body || !len || len > (size_t)INT32_MAX)
		return NULL;
	/* no network, no DTD loading, no entity substitution; quiet */
	return xmlReadMemory(body, (int)len, NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				     XML_PARSE_NOCDATA);
}

static int is_named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

xmlNodePtr irx_xml_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
		if (is_named(c, name))
			return c;
	return NULL;
}

char *irx_xml_text(xmlNodePtr node)
{
	xmlChar *t = node ? xmlNodeGetContent(node) : NULL;
	char *s = irx_xstrdup(t ? (const char *)t : "");

	xmlFree(t);
	return s;
}

static int depth_guard(int delta)
{
	static __thread int depth;

	depth += delta;
	return depth;
}

/* Elements among node's children (all of them when name is NULL). Array owned by the caller. */
static xmlNodePtr *children(xmlNodePtr node, const char *name, size_t *n)
{
	xmlNodePtr *v = NULL;
	size_t cap = 0;

	*n = 0;
	for (xmlNodePtr c = node->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || (name && strcmp((const char *)c->name, name)))
			continue;
		if (*n == cap) {
			cap = cap * 2 + 8;
			v = irx_xrealloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = c;
	}
	return v;
}

static int convert_list(const struct irx_model *m, const struct irx_member *mem,
			const struct irx_shape *sh, xmlNodePtr *nodes, size_t count,
			json_object **out, struct irx_error *err)
{
	const struct irx_member *elem = irx_model_member(m, sh->first);
	xmlNodePtr *items = nodes, *owned = NULL;
	size_t n = count;
	json_object *arr = json_object_new_array();

	if (!(mem->flags & IRX_MEMBER_F_FLATTENED))
		items = owned = children(nodes[0], NULL, &n);
	for (size_t i = 0; i < n; i++) {
		json_object *v = NULL;

		if (irx_xml_to_json(m, elem, &items[i], 1, &v, err) < 0) {
			free(owned);
			json_object_put(arr);
			return -1;
		}
		json_object_array_add(arr, v ? v : json_object_new_string(""));
	}
	free(owned);
	*out = arr;
	return 0;
}

static int convert_map(const struct irx_model *m, const struct irx_member *mem,
		       const struct irx_shape *sh, xmlNodePtr *nodes, size_t count,
		       json_object **out, struct irx_error *err)
{
	const struct irx_member *km = irx_model_member(m, sh->first);
	const struct irx_member *vm = irx_model_member(m, sh->first + 1);
	const char *kname = *irx_model_str(m, km->location_name) ? irx_model_str(m, km->location_name) : "key";
	const char *vname = *irx_model_str(m, vm->location_name) ? irx_model_str(m, vm->location_name) : "value";
	xmlNodePtr *entries = nodes, *owned = NULL;
	size_t n = count;
	json_object *obj = json_object_new_object();

	if (!(mem->flags & IRX_MEMBER_F_FLATTENED))
		entries = owned = children(nodes[0], NULL, &n);
	for (size_t i = 0; i < n; i++) {
		xmlNodePtr k = irx_xml_child(entries[i], kname), v = irx_xml_child(entries[i], vname);
		char *key = NULL;
		json_object *val = NULL;

		if (!k) {
			irx_error_set(err, IRX_ERR_PARSE, "map entry without a '%s' element", kname);
			goto fail;
		}
		if (v && irx_xml_to_json(m, vm, &v, 1, &val, err) < 0)
			goto fail;
		key = irx_xml_text(k);
		json_object_object_add(obj, key, val ? val : json_object_new_string(""));
		free(key);
	}
	free(owned);
	*out = obj;
	return 0;
fail:
	free(owned);
	json_object_put(obj);
	return -1;
}

int irx_xml_to_json(const struct irx_model *m, const struct irx_member *mem, xmlNodePtr *nodes,
		    size_t count, json_object **out, struct irx_error *err)
{
	const struct irx_shape *sh = irx_member_shape(m, mem);
	int rc = -1;

	*out = NULL;
	if (depth_guard(1) > MAX_DEPTH) {
		irx_error_set(err, IRX_ERR_LIMIT, "xml response nested too deeply");
		goto out;
	}
	switch (sh->type) {
	case IRX_SHAPE_STRUCTURE: {
		json_object *obj = json_object_new_object();

		if (irx_xml_fill_structure(m, sh, nodes[0], obj, err) < 0) {
			json_object_put(obj);
			goto out;
		}
		*out = obj;
		rc = 0;
		break;
	}
	case IRX_SHAPE_LIST: rc = convert_list(m, mem, sh, nodes, count, out, err); break;
	case IRX_SHAPE_MAP: rc = convert_map(m, mem, sh, nodes, count, out, err); break;
	default: {
		char *text = irx_xml_text(nodes[count - 1]);

		if (sh->type == IRX_SHAPE_STRING || sh->type == IRX_SHAPE_BLOB || *text) {
			*out = irx_scalar_from_text(sh, text, strlen(text));
			if (!*out) {
				irx_error_set(err, IRX_ERR_PARSE, "element '%s': invalid value '%.64s'",
					      (const char *)nodes[0]->name, text);
				free(text);
				goto out;
			}
		}
		free(text);
		rc = 0;
	}
	}
out:
	depth_guard(-1);
	return rc;
}

static const char *attr_value(xmlNodePtr node, const char *qname, xmlChar **owned)
{
	const char *colon = strchr(qname, ':');

	for (xmlAttrPtr a = node->properties; a; a = a->next) {
		int match = 0;

		if (colon)
			match = a->ns && a->ns->prefix &&
				!strncmp((const char *)a->ns->prefix, qname, (size_t)(colon - qname)) &&
				!a->ns->prefix[colon - qname] && !strcmp((const char *)a->name, colon + 1);
		else
			match = !strcmp((const char *)a->name, qname);
		if (match) {
			*owned = xmlNodeListGetString(node->doc, a->children, 1);
			return *owned ? (const char *)*owned : "";
		}
	}
	return NULL;
}

int irx_xml_fill_structure(const struct irx_model *m, const struct irx_shape *sh, xmlNodePtr node,
			   json_object *obj, struct irx_error *err)
{
	for (uint32_t i = 0; i < sh->count; i++) {
		const struct irx_member *mem = irx_model_member(m, sh->first + i);
		const struct irx_shape *ms = irx_member_shape(m, mem);
		const char *key = irx_member_wire_name(m, mem);
		xmlNodePtr *found = NULL;
		size_t n = 0;
		json_object *v = NULL;

		/* querystring and uri members have no meaning in a response: read them from the body */
		if (mem->location == IRX_LOC_HEADER || mem->location == IRX_LOC_HEADERS ||
		    mem->location == IRX_LOC_STATUS_CODE)
			continue;
		if (ms->type == IRX_SHAPE_LIST && (mem->flags & IRX_MEMBER_F_FLATTENED)) {
			const struct irx_member *elem = irx_model_member(m, ms->first);

			if (*irx_model_str(m, elem->location_name))
				key = irx_model_str(m, elem->location_name);
		}
		if (mem->flags & IRX_MEMBER_F_XML_ATTRIBUTE) {
			xmlChar *owned = NULL;
			const char *val = attr_value(node, key, &owned);

			if (val) {
				v = irx_scalar_from_text(ms, val, strlen(val));
				if (v)
					json_object_object_add(obj, irx_model_str(m, mem->name), v);
			}
			xmlFree(owned);
			continue;
		}
		found = children(node, key, &n);
		if (n) {
			int flat = (ms->type == IRX_SHAPE_LIST || ms->type == IRX_SHAPE_MAP) &&
				   (mem->flags & IRX_MEMBER_F_FLATTENED);

			if (irx_xml_to_json(m, mem, flat ? found : &found[0], flat ? n : 1, &v, err) < 0) {
				free(found);
				return -1;
			}
			if (v)
				json_object_object_add(obj, irx_model_str(m, mem->name), v);
		}
		free(found);
	}
	return 0;
}

int irx_xml_parse_error(xmlDocPtr doc, int status, const struct irx_aws_response *resp,
			struct irx_error *err)
{
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr error = NULL, rid = NULL;
	char *code = NULL, *msg = NULL, *id = NULL;
	const char *hdr_id = NULL;

	if (!root)
		return 0;
	if (is_named(root, "Response")) {
		/* ec2 */
		error = irx_xml_child(irx_xml_child(root, "Errors"), "Error");
		rid = irx_xml_child(root, "RequestID");
		if (!rid)
			rid = irx_xml_child(root, "RequestId");
	} else if (is_named(root, "ErrorResponse")) {
		/* query, and rest-xml services that answer in the query form */
		error = irx_xml_child(root, "Error");
		rid = irx_xml_child(root, "RequestId");
	} else if (is_named(root, "Error")) {
		/* rest-xml (s3) */
		error = root;
		rid = irx_xml_child(root, "RequestId");
	}
	if (!error)
		return 0;
	code = irx_xml_text(irx_xml_child(error, "Code"));
	msg = irx_xml_text(irx_xml_child(error, "Message"));
	id = irx_xml_text(rid);
	if (!*id) {
		hdr_id = irx_aws_response_header(resp, "x-amzn-RequestId");
		if (!hdr_id)
			hdr_id = irx_aws_response_header(resp, "x-amz-request-id");
	}
	irx_protocol_set_aws_error(err, status, code, msg, *id ? id : hdr_id);
	free(code);
	free(msg);
	free(id);
	return 1;
}
