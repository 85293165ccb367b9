/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A YAML/JSON document as a tree that remembers where every node came from.
 * Loaded with libyaml; JSON runbooks load through the same path.
 */
#ifndef IRX_NODE_H
#define IRX_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct irx_diags;

enum irx_node_kind {
	IRX_NODE_SCALAR = 1,
	IRX_NODE_SEQ = 2,
	IRX_NODE_MAP = 3,
};

struct irx_node {
	enum irx_node_kind kind;
	const char *file;   /* borrowed from the document */
	unsigned line, col; /* 1-based */
	/* scalars */
	char *value;        /* NUL-terminated (may also contain NULs: see len) */
	size_t len;
	bool plain;         /* unquoted plain scalar: typed by the YAML 1.2 core schema */
	/* sequences and maps: count entries; items[i] is the i-th item or value */
	size_t count;
	struct irx_node **items;
	struct irx_node **keys; /* maps only: keys[i] is a scalar node */
};

/* Bounds that keep a hostile document from exhausting memory. */
#define IRX_DOC_MAX_BYTES (4u * 1024 * 1024)
#define IRX_DOC_MAX_DEPTH 64
#define IRX_DOC_MAX_NODES 200000 /* counting alias expansions */

struct irx_doc {
	char *file; /* owned; the name used in diagnostics */
	struct irx_node *root; /* NULL for an empty document */
};

/*
 * Loads one document. Returns NULL and adds "file:line:col: message"
 * diagnostics on malformed YAML, non-UTF-8 input, more than one document,
 * duplicate map keys, non-scalar keys, or a bound exceeded. Aliases are
 * expanded (copied) within IRX_DOC_MAX_NODES.
 */
struct irx_doc *irx_doc_load_file(const char *path, struct irx_diags *diags);
struct irx_doc *irx_doc_load_buffer(const char *name, const char *buf, size_t len,
				    struct irx_diags *diags);
void irx_doc_free(struct irx_doc *doc);

/* Map lookup by key; NULL if absent or `map` is not a map. Borrowed. */
const struct irx_node *irx_node_get(const struct irx_node *map, const char *key);
/* The scalar's text, or NULL for a non-scalar. Borrowed. */
const char *irx_node_str(const struct irx_node *node);
/* "string", "list", "map", "integer", "boolean", "null", "number" for messages. */
const char *irx_node_type_name(const struct irx_node *node);
/* True for a plain scalar that the core schema reads as null (~, null, empty). */
bool irx_node_is_null(const struct irx_node *node);

/*
 * Converts to json-c: plain scalars become null/bool/int/double by the YAML 1.2
 * core schema, quoted ones stay strings. Returned object transferred.
 */
struct json_object *irx_node_to_json(const struct irx_node *node);

#endif
