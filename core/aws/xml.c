/* SPDX-License-Identifier: Apache-2.0 */
/* XML responses -> json-c, walking the output shape as botocore's XML parsers do. expat parses
 * into a small DOM (elements, attributes, text ranges) kept in one arena per document. */
#include <expat.h>
#include <json-c/json.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/protocol.h"
#include "util.h"

#define MAX_DEPTH 128 /* of the shape walk */
/* Parse limits: the transport's response cap (IRX_HTTP_MAX_RESPONSE), libxml2's default element
 * depth, and in-scope namespace declarations (keeps prefix lookups linear in the input). */
#define MAX_INPUT (64u * 1024 * 1024)
#define MAX_PARSE_DEPTH 256
#define MAX_NS 1024
#define CHUNK_MIN 4096
#define CHUNK_MAX (1024 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct irx_xml_doc {
	struct irx_xml_node *root;
	char *text; /* every element's character data, in document order */
	struct chunk *chunks;
};

/* Parser state: the open elements, their last children, and the namespace prefixes in scope. */
struct build {
	struct irx_xml_doc *doc;
	XML_Parser parser;
	size_t text_len, text_cap;
	size_t depth;
	struct irx_xml_node *open[MAX_PARSE_DEPTH];
	struct irx_xml_node *last[MAX_PARSE_DEPTH];
	size_t ns_mark[MAX_PARSE_DEPTH]; /* n_ns when open[i] started */
	const char *ns[MAX_NS];
	size_t n_ns;
	int refused;
	int root_closed;
};

static void *arena_alloc(struct irx_xml_doc *d, size_t n)
{
	struct chunk *c = d->chunks;
	void *p = NULL;

	n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (!c || c->cap - c->used < n) {
		/* each chunk twice the last (to CHUNK_MAX): few allocations for big documents */
		size_t cap = c ? c->cap * 2 : CHUNK_MIN;

		if (cap > CHUNK_MAX)
			cap = CHUNK_MAX;
		if (cap < n)
			cap = n;
		c = irx_xmalloc(sizeof(*c) + cap);
		c->next = d->chunks;
		c->used = 0;
		c->cap = cap;
		d->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static char *arena_strdup(struct irx_xml_doc *d, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(arena_alloc(d, n), s, n);
}

static void refuse(struct build *b)
{
	b->refused = 1;
	XML_StopParser(b->parser, XML_FALSE);
}

static int ns_bound(const struct build *b, const char *prefix, size_t len)
{
	if (len == 3 && !memcmp(prefix, "xml", 3))
		return 1;
	for (size_t i = b->n_ns; i-- > 0;)
		if (!strncmp(b->ns[i], prefix, len) && !b->ns[i][len])
			return 1;
	return 0;
}

/* Whether s can start a namespace-conformant local part (expat checked it is a Name). */
static int ncname_start(const char *s)
{
	return *s && !strchr("0123456789.-:", *s);
}

/*
 * Splits a qualified name as libxml2 did: a prefix is stripped only when declared and followed
 * by a local part that can start one ("p:3x", ":x" and "x:" stay whole, as do undeclared
 * prefixes). *prefix is "" when nothing is stripped.
 */
static void split_name(struct build *b, const char *qname, const char **name, const char **prefix)
{
	const char *colon = strchr(qname, ':');
	char *copy = arena_strdup(b->doc, qname);

	*name = copy;
	*prefix = "";
	if (colon && colon != qname && ncname_start(colon + 1) &&
	    ns_bound(b, qname, (size_t)(colon - qname))) {
		copy[colon - qname] = '\0';
		*prefix = copy;
		*name = copy + (colon - qname) + 1;
	}
}

/* xmlns and xmlns:p; "xmlns:", "xmlns:3p" are ordinary attributes to libxml2 */
static int is_ns_decl(const char *name)
{
	return !strncmp(name, "xmlns", 5) && (!name[5] || (name[5] == ':' && ncname_start(name + 6)));
}

static void XMLCALL on_start(void *ud, const XML_Char *qname, const XML_Char **atts)
{
	struct build *b = ud;
	struct irx_xml_node *n = NULL;
	struct irx_xml_attr *attrs = NULL;
	size_t n_attrs = 0;

	if (b->refused)
		return;
	if (b->depth == MAX_PARSE_DEPTH) {
		refuse(b);
		return;
	}
	b->ns_mark[b->depth] = b->n_ns;
	/* this element's declarations apply to its own name and attributes */
	for (size_t i = 0; atts[i]; i += 2) {
		if (!is_ns_decl(atts[i])) {
			n_attrs++;
			continue;
		}
		/* xmlns="" and xmlns:p="" bind no prefix; xml and xmlns are reserved */
		if (!atts[i][5] || !*atts[i + 1] || !strcmp(atts[i] + 6, "xml") ||
		    !strcmp(atts[i] + 6, "xmlns"))
			continue;
		if (b->n_ns == MAX_NS) {
			refuse(b);
			return;
		}
		b->ns[b->n_ns++] = arena_strdup(b->doc, atts[i] + 6);
	}
	n = arena_alloc(b->doc, sizeof(*n));
	memset(n, 0, sizeof(*n));
	split_name(b, qname, &n->name, &n->prefix);
	if (n_attrs) {
		attrs = arena_alloc(b->doc, n_attrs * sizeof(*attrs));
		n_attrs = 0;
		for (size_t i = 0; atts[i]; i += 2) {
			if (is_ns_decl(atts[i]))
				continue;
			split_name(b, atts[i], &attrs[n_attrs].name, &attrs[n_attrs].prefix);
			attrs[n_attrs++].value = arena_strdup(b->doc, atts[i + 1]);
		}
	}
	n->attrs = attrs;
	n->n_attrs = n_attrs;
	n->text = b->doc->text + b->text_len;
	if (b->depth) {
		n->parent = b->open[b->depth - 1];
		if (b->last[b->depth - 1])
			b->last[b->depth - 1]->next = n;
		else
			n->parent->children = n;
		b->last[b->depth - 1] = n;
	} else {
		b->doc->root = n;
	}
	b->open[b->depth] = n;
	b->last[b->depth] = NULL;
	b->depth++;
}

static void XMLCALL on_end(void *ud, const XML_Char *qname)
{
	struct build *b = ud;
	struct irx_xml_node *n = NULL;

	(void)qname;
	/* expat may still report the end of an empty element after a refusal in its start */
	if (b->refused)
		return;
	n = b->open[--b->depth];
	n->text_len = (size_t)(b->doc->text + b->text_len - n->text);
	b->n_ns = b->ns_mark[b->depth];
	b->root_closed = !b->depth;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct build *b = ud;

	if (b->refused)
		return;
	/* text_cap bounds what any input can produce (irx_xml_read); the check is a backstop */
	if (len < 0 || (size_t)len > b->text_cap - b->text_len) {
		refuse(b);
		return;
	}
	memcpy(b->doc->text + b->text_len, s, (size_t)len);
	b->text_len += (size_t)len;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	refuse(ud);
}

static const XML_Memory_Handling_Suite mem_suite = {irx_xmalloc, irx_xrealloc, free};

/* libxml2 took any "1.<digits>" version (1.1 as 1.0) and refused every other */
static void XMLCALL on_xml_decl(void *ud, const XML_Char *version, const XML_Char *encoding,
				int standalone)
{
	(void)encoding;
	(void)standalone;
	if (version && (version[0] != '1' || version[1] != '.' ||
			version[2 + strspn(version + 2, "0123456789")]))
		refuse(ud);
}

void irx_xml_doc_free(struct irx_xml_doc *doc)
{
	if (!doc)
		return;
	for (struct chunk *c = doc->chunks, *next = NULL; c; c = next) {
		next = c->next;
		free(c);
	}
	free(doc->text);
	free(doc);
}

struct irx_xml_doc *irx_xml_read(const char *body, size_t len)
{
	struct irx_xml_doc *doc = NULL;
	struct build *b = NULL;
	enum XML_Status st = XML_STATUS_ERROR;

	if (!body || !len || len > MAX_INPUT)
		return NULL;
	doc = irx_xcalloc(1, sizeof(*doc));
	b = irx_xcalloc(1, sizeof(*b));
	b->doc = doc;
	/* With no DOCTYPE there are no entities but the five predefined ones and character
	 * references, none longer than its reference; decoding ISO-8859-1 or UTF-16 to UTF-8 at
	 * most doubles the size. So the text fits in 2 * len and never moves. */
	b->text_cap = 2 * (size_t)len;
	doc->text = irx_xmalloc(b->text_cap + 1);
	/* irx's allocators: running out of memory aborts, as everywhere in irx */
	b->parser = XML_ParserCreate_MM(NULL, &mem_suite, NULL);
	if (!b->parser) {
		irx_xml_doc_free(doc);
		free(b);
		return NULL;
	}
	XML_SetUserData(b->parser, b);
	XML_SetElementHandler(b->parser, on_start, on_end);
	XML_SetCharacterDataHandler(b->parser, on_text);
	XML_SetStartDoctypeDeclHandler(b->parser, on_doctype);
	XML_SetXmlDeclHandler(b->parser, on_xml_decl);
	XML_SetParamEntityParsing(b->parser, XML_PARAM_ENTITY_PARSING_NEVER);
	st = XML_Parse(b->parser, body, (int)len, XML_TRUE);
	if (st != XML_STATUS_OK && !b->refused && b->root_closed &&
	    XML_GetErrorCode(b->parser) == XML_ERROR_INVALID_TOKEN) {
		/* NUL padding after the document (a C string's terminator counted in): libxml2 took
		 * it as the end of input */
		XML_Index at = XML_GetCurrentByteIndex(b->parser);

		st = XML_STATUS_OK;
		for (XML_Index i = at < 0 ? 0 : at; i < (XML_Index)len && st == XML_STATUS_OK; i++)
			if (body[i])
				st = XML_STATUS_ERROR;
		if (at < 0)
			st = XML_STATUS_ERROR;
	}
	XML_ParserFree(b->parser);
	if (st != XML_STATUS_OK || b->refused || !doc->root) {
		irx_xml_doc_free(doc);
		doc = NULL;
	}
	free(b);
	return doc;
}

const struct irx_xml_node *irx_xml_root(const struct irx_xml_doc *doc)
{
	return doc ? doc->root : NULL;
}

const struct irx_xml_node *irx_xml_child(const struct irx_xml_node *parent, const char *name)
{
	for (const struct irx_xml_node *c = parent ? parent->children : NULL; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

char *irx_xml_text(const struct irx_xml_node *node)
{
	return node ? irx_xstrndup(node->text, node->text_len) : irx_xstrdup("");
}

const char *irx_xml_attr(const struct irx_xml_node *node, const char *qname)
{
	const char *colon = strchr(qname, ':');

	for (size_t i = 0; node && i < node->n_attrs; i++) {
		const struct irx_xml_attr *a = &node->attrs[i];

		if (colon ? !strncmp(a->prefix, qname, (size_t)(colon - qname)) &&
				    !a->prefix[colon - qname] && *a->prefix && !strcmp(a->name, colon + 1)
			  : !strcmp(a->name, qname))
			return a->value;
	}
	return NULL;
}

static int depth_guard(int delta)
{
	static __thread int depth;

	depth += delta;
	return depth;
}

/* Elements among node's children (all of them when name is NULL). Array owned by the caller. */
static const struct irx_xml_node **children(const struct irx_xml_node *node, const char *name,
					    size_t *n)
{
	const struct irx_xml_node **v = NULL;
	size_t cap = 0;

	*n = 0;
	for (const struct irx_xml_node *c = node->children; c; c = c->next) {
		if (name && strcmp(c->name, name))
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
			const struct irx_shape *sh, const struct irx_xml_node *const *nodes,
			size_t count, json_object **out, struct irx_error *err)
{
	const struct irx_member *elem = irx_model_member(m, sh->first);
	const struct irx_xml_node *const *items = nodes;
	const struct irx_xml_node **owned = NULL;
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
		       const struct irx_shape *sh, const struct irx_xml_node *const *nodes,
		       size_t count, json_object **out, struct irx_error *err)
{
	const struct irx_member *km = irx_model_member(m, sh->first);
	const struct irx_member *vm = irx_model_member(m, sh->first + 1);
	const char *kname = *irx_model_str(m, km->location_name) ? irx_model_str(m, km->location_name) : "key";
	const char *vname = *irx_model_str(m, vm->location_name) ? irx_model_str(m, vm->location_name) : "value";
	const struct irx_xml_node *const *entries = nodes;
	const struct irx_xml_node **owned = NULL;
	size_t n = count;
	json_object *obj = json_object_new_object();

	if (!(mem->flags & IRX_MEMBER_F_FLATTENED))
		entries = owned = children(nodes[0], NULL, &n);
	for (size_t i = 0; i < n; i++) {
		const struct irx_xml_node *k = irx_xml_child(entries[i], kname);
		const struct irx_xml_node *v = irx_xml_child(entries[i], vname);
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

int irx_xml_to_json(const struct irx_model *m, const struct irx_member *mem,
		    const struct irx_xml_node *const *nodes, size_t count, json_object **out,
		    struct irx_error *err)
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
					      nodes[0]->name, text);
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

int irx_xml_fill_structure(const struct irx_model *m, const struct irx_shape *sh,
			   const struct irx_xml_node *node, json_object *obj, struct irx_error *err)
{
	for (uint32_t i = 0; i < sh->count; i++) {
		const struct irx_member *mem = irx_model_member(m, sh->first + i);
		const struct irx_shape *ms = irx_member_shape(m, mem);
		const char *key = irx_member_wire_name(m, mem);
		const struct irx_xml_node **found = NULL;
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
			const char *val = irx_xml_attr(node, key);

			if (val) {
				v = irx_scalar_from_text(ms, val, strlen(val));
				if (v)
					json_object_object_add(obj, irx_model_str(m, mem->name), v);
			}
			continue;
		}
		found = children(node, key, &n);
		if (n) {
			int flat = (ms->type == IRX_SHAPE_LIST || ms->type == IRX_SHAPE_MAP) &&
				   (mem->flags & IRX_MEMBER_F_FLATTENED);

			if (irx_xml_to_json(m, mem, found, flat ? n : 1, &v, err) < 0) {
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

int irx_xml_parse_error(const struct irx_xml_doc *doc, int status,
			const struct irx_aws_response *resp, struct irx_error *err)
{
	const struct irx_xml_node *root = irx_xml_root(doc);
	const struct irx_xml_node *error = NULL, *rid = NULL;
	char *code = NULL, *msg = NULL, *id = NULL;
	const char *hdr_id = NULL;

	if (!root)
		return 0;
	if (!strcmp(root->name, "Response")) {
		/* ec2 */
		error = irx_xml_child(irx_xml_child(root, "Errors"), "Error");
		rid = irx_xml_child(root, "RequestID");
		if (!rid)
			rid = irx_xml_child(root, "RequestId");
	} else if (!strcmp(root->name, "ErrorResponse")) {
		/* query, and rest-xml services that answer in the query form */
		error = irx_xml_child(root, "Error");
		rid = irx_xml_child(root, "RequestId");
	} else if (!strcmp(root->name, "Error")) {
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
