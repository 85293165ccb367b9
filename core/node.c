/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The document loader: libyaml events -> a tree of struct irx_node that keeps
 * file:line:col for every node, plus the accessors and the YAML 1.2 core-schema
 * typing used to turn the tree into json-c.
 *
 * The loader is built for hostile input: the text is checked for UTF-8 and NUL
 * bytes before libyaml sees it, aliases are expanded by copying only after the
 * copy's node count, byte count and height were checked against the bounds, and
 * nesting is limited, so every recursive walk over a tree is at most
 * IRX_DOC_MAX_DEPTH deep.
 */
#include "node.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "diag.h"
#include "util.h"

/* Scalar text, counting alias copies: a 4 MB string aliased 200000 times must not be copied. */
#define DOC_MAX_TEXT_BYTES (8u * IRX_DOC_MAX_BYTES)
/* Diagnostics one document may produce before the loader gives up on it. */
#define DOC_MAX_DIAGS 20
/* Longest key text quoted in a diagnostic. */
#define DIAG_KEY_MAX 64

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

/* --- small string hash (open addressing over indexes into a caller's array) --- */

struct strhash {
	size_t *slots; /* index + 1; 0 = empty */
	size_t nslots; /* a power of two */
	size_t used;
};

typedef void (*strhash_key_fn)(const void *ctx, size_t index, const char **s, size_t *n);

static size_t hash_bytes(const char *s, size_t n)
{
	size_t h = 1469598103934665603u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return h;
}

/* The slot holding key (s, n), or the empty slot where it would go. */
static size_t *strhash_slot(struct strhash *h, const char *s, size_t n, strhash_key_fn key_at,
			    const void *ctx)
{
	size_t mask = h->nslots - 1;
	size_t i = hash_bytes(s, n) & mask;

	for (;;) {
		const char *ks = NULL;
		size_t kn = 0;

		if (!h->slots[i])
			return &h->slots[i];
		key_at(ctx, h->slots[i] - 1, &ks, &kn);
		if (kn == n && memcmp(ks, s, n) == 0)
			return &h->slots[i];
		i = (i + 1) & mask;
	}
}

/* Returns the index already stored under the key (+1), or 0 after storing `index` there. */
static size_t strhash_put(struct strhash *h, const char *s, size_t n, size_t index, bool replace,
			  strhash_key_fn key_at, const void *ctx)
{
	size_t *slot = NULL;

	if ((h->used + 1) * 2 > h->nslots) {
		struct strhash bigger = {0};

		bigger.nslots = h->nslots ? h->nslots * 2 : 16;
		bigger.slots = irx_xcalloc(bigger.nslots, sizeof(*bigger.slots));
		for (size_t i = 0; i < h->nslots; i++) {
			const char *ks = NULL;
			size_t kn = 0;

			if (!h->slots[i])
				continue;
			key_at(ctx, h->slots[i] - 1, &ks, &kn);
			*strhash_slot(&bigger, ks, kn, key_at, ctx) = h->slots[i];
		}
		bigger.used = h->used;
		free(h->slots);
		*h = bigger;
	}
	slot = strhash_slot(h, s, n, key_at, ctx);
	if (*slot) {
		size_t old = *slot;

		if (replace)
			*slot = index + 1;
		return old;
	}
	*slot = index + 1;
	h->used++;
	return 0;
}

static size_t strhash_get(struct strhash *h, const char *s, size_t n, strhash_key_fn key_at,
			  const void *ctx)
{
	if (!h->nslots)
		return 0;
	return *strhash_slot(h, s, n, key_at, ctx);
}

/* --- nodes ------------------------------------------------------------------------------ */

static struct irx_node *node_new(enum irx_node_kind kind, const char *file, const yaml_mark_t *m)
{
	struct irx_node *n = irx_xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->file = file;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static void node_free(struct irx_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->count; i++) {
		node_free(n->items[i]);
		if (n->keys)
			node_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->value);
	free(n);
}

/* Deep copy; depth is bounded by IRX_DOC_MAX_DEPTH, checked before copying. */
static struct irx_node *node_copy(const struct irx_node *src)
{
	struct irx_node *n = irx_xcalloc(1, sizeof(*n));

	*n = *src;
	n->value = NULL;
	n->items = NULL;
	n->keys = NULL;
	if (src->kind == IRX_NODE_SCALAR) {
		n->value = irx_xmalloc(src->len + 1);
		memcpy(n->value, src->value, src->len);
		n->value[src->len] = '\0';
		return n;
	}
	if (src->count) {
		n->items = irx_xcalloc(src->count, sizeof(*n->items));
		if (src->keys)
			n->keys = irx_xcalloc(src->count, sizeof(*n->keys));
	}
	for (size_t i = 0; i < src->count; i++) {
		n->items[i] = node_copy(src->items[i]);
		if (src->keys)
			n->keys[i] = node_copy(src->keys[i]);
	}
	return n;
}

/* --- position helpers --------------------------------------------------------------------- */

/* 1-based line and column (in characters, as libyaml counts) of a byte offset. */
static void offset_position(const char *buf, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	size_t i = 0;

	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 && off >= 3)
		i = 3; /* libyaml skips a byte-order mark */
	for (; i < off && i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n' || (ch == '\r' && !(i + 1 < len && buf[i + 1] == '\n'))) {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80 && ch != '\r') {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/*
 * Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) and
 * no NUL bytes. Returns the offset of the first bad byte, or len.
 */
static size_t check_text(const char *buf, size_t len, bool *nul)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;

	*nul = false;
	while (i < len) {
		unsigned char c = s[i];
		size_t need = 0;
		unsigned lo = 0x80, hi = 0xBF;

		if (c == 0) {
			*nul = true;
			return i;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0; /* overlong */
			else if (c == 0xED)
				hi = 0x9F; /* surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90; /* overlong */
			else if (c == 0xF4)
				hi = 0x8F; /* above U+10FFFF */
		} else {
			return i;
		}
		if (i + need >= len)
			return i; /* truncated sequence */
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= need; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		i += need + 1;
	}
	return len;
}

/* Key text fit for a one-line diagnostic: control characters shown as '?', long keys cut. */
static char *diag_text(const char *s, size_t n)
{
	size_t cut = n > DIAG_KEY_MAX ? DIAG_KEY_MAX : n;
	char *out = NULL;

	while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--; /* don't split a UTF-8 sequence */
	out = irx_xmalloc(cut + 4);
	for (size_t i = 0; i < cut; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) ? '?' : s[i];
	memcpy(out + cut, cut < n ? "..." : "", cut < n ? 4 : 1);
	return out;
}

/* --- the loader ------------------------------------------------------------------------- */

struct frame {
	struct irx_node *node; /* a sequence or map under construction */
	size_t cap;
	struct irx_node *key;  /* maps: a key waiting for its value */
	struct strhash keyset; /* maps: scalar keys seen */
	unsigned height;       /* of the node so far: 1 + the tallest child */
	size_t anchor;	       /* index + 1 into loader.anchors; 0 = none */
	size_t nodes_before, bytes_before;
};

struct anchor {
	char *name;
	const struct irx_node *node; /* borrowed from the tree being built */
	bool done;		     /* false while the anchored collection is still open */
	size_t nodes, bytes;	     /* what one copy costs */
	unsigned height;
};

struct loader {
	const char *file;
	const char *buf;
	size_t len;
	struct irx_diags *diags;
	struct frame stack[IRX_DOC_MAX_DEPTH];
	unsigned depth;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	struct strhash anchorset;
	size_t nodes, bytes;
	bool aliased;
	bool failed; /* a diagnostic was added: the document is rejected */
	bool stop;   /* and nothing more can usefully be checked */
	unsigned ndiags;
	const struct irx_node *placeholder; /* stands in for a bad alias: no duplicate check */
	struct irx_node *root;
	bool have_root;
};

static void anchor_key(const void *ctx, size_t index, const char **s, size_t *n)
{
	const struct loader *L = ctx;

	*s = L->anchors[index].name;
	*n = strlen(L->anchors[index].name);
}

static void map_key(const void *ctx, size_t index, const char **s, size_t *n)
{
	const struct irx_node *map = ctx;

	*s = map->keys[index]->value;
	*n = map->keys[index]->len;
}

static void fail_at(struct loader *L, const yaml_mark_t *m, bool stop, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_at(struct loader *L, const yaml_mark_t *m, bool stop, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	msg = irx_xvasprintf(fmt, ap);
	va_end(ap);
	if (m)
		irx_diags_add_at(L->diags, L->file, (unsigned)m->line + 1, (unsigned)m->column + 1,
				 "%s", msg);
	else
		irx_diags_add_at(L->diags, L->file, 0, 0, "%s", msg);
	free(msg);
	L->failed = true;
	if (stop)
		L->stop = true;
	if (++L->ndiags == DOC_MAX_DIAGS && !L->stop) {
		/* a generated file with a million duplicate keys gets a screenful, not a million */
		irx_diags_add_at(L->diags, L->file, m ? (unsigned)m->line + 1 : 0,
				 m ? (unsigned)m->column + 1 : 0, "too many errors; giving up");
		L->stop = true;
	}
}

/* Counts one more node of `bytes` text; false (and a diagnostic) when a bound is passed. */
static bool count_node(struct loader *L, const yaml_mark_t *m, size_t bytes)
{
	if (L->nodes + 1 > IRX_DOC_MAX_NODES) {
		if (L->aliased)
			fail_at(L, m, true, "too many nodes (aliases expand to more than %d)",
				IRX_DOC_MAX_NODES);
		else
			fail_at(L, m, true, "too many nodes (more than %d)", IRX_DOC_MAX_NODES);
		return false;
	}
	L->nodes++;
	L->bytes += bytes;
	return true;
}

static void add_anchor(struct loader *L, const char *name, const struct irx_node *node)
{
	struct anchor *a = NULL;

	if (L->nanchors == L->capanchors) {
		L->capanchors = L->capanchors ? L->capanchors * 2 : 16;
		L->anchors = irx_xrealloc(L->anchors, L->capanchors * sizeof(*L->anchors));
	}
	a = &L->anchors[L->nanchors];
	memset(a, 0, sizeof(*a));
	a->name = irx_xstrdup(name);
	a->node = node;
	/* a redefined anchor applies from here on (YAML 1.2 §3.2.2.2) */
	strhash_put(&L->anchorset, name, strlen(name), L->nanchors, true, anchor_key, L);
	L->nanchors++;
}

static void append_item(struct frame *f, struct irx_node *item, struct irx_node *key)
{
	struct irx_node *n = f->node;

	if (n->count == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		n->items = irx_xrealloc(n->items, f->cap * sizeof(*n->items));
		if (n->kind == IRX_NODE_MAP)
			n->keys = irx_xrealloc(n->keys, f->cap * sizeof(*n->keys));
	}
	n->items[n->count] = item;
	if (n->kind == IRX_NODE_MAP)
		n->keys[n->count] = key;
	n->count++;
}

/* Hands a finished node of the given height to its parent (or makes it the root). */
static void attach(struct loader *L, struct irx_node *node, unsigned height)
{
	struct frame *f = NULL;

	if (L->depth == 0) {
		L->root = node;
		L->have_root = true;
		return;
	}
	f = &L->stack[L->depth - 1];
	if (height + 1 > f->height)
		f->height = height + 1;
	if (f->node->kind == IRX_NODE_SEQ) {
		append_item(f, node, NULL);
		return;
	}
	if (!f->key) {
		f->key = node;
		if (node->kind != IRX_NODE_SCALAR) {
			fail_at(L, &(yaml_mark_t){.line = node->line - 1, .column = node->col - 1},
				false, "map keys must be scalars, not a %s",
				node->kind == IRX_NODE_SEQ ? "list" : "map");
		} else if (node != L->placeholder) {
			size_t first =
			    strhash_get(&f->keyset, node->value, node->len, map_key, f->node);

			if (first) {
				char *text = diag_text(node->value, node->len);

				fail_at(
				    L,
				    &(yaml_mark_t){.line = node->line - 1, .column = node->col - 1},
				    false, "duplicate key '%s' (first at line %u)", text,
				    f->node->keys[first - 1]->line);
				free(text);
			}
		}
		return;
	}
	append_item(f, node, f->key);
	if (f->key->kind == IRX_NODE_SCALAR && f->key != L->placeholder)
		strhash_put(&f->keyset, f->key->value, f->key->len, f->node->count - 1, false,
			    map_key, f->node);
	f->key = NULL;
}

/* Returns false for a tag irx does not understand (after a diagnostic). */
static bool check_tag(struct loader *L, const yaml_event_t *ev, const yaml_char_t *tag,
		      bool *force_string)
{
	const char *t = (const char *)tag;

	*force_string = false;
	if (!t)
		return true;
	if (strcmp(t, "!") == 0 || strcmp(t, YAML_TAG_PREFIX "str") == 0) {
		*force_string = true; /* `! x` and `!!str x` are strings whatever they look like */
		return true;
	}
	if (strncmp(t, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) == 0)
		return true;
	{
		char *text = diag_text(t, strlen(t));

		fail_at(L, &ev->start_mark, false, "unsupported tag '%s'", text);
		free(text);
	}
	return false;
}

static void on_scalar(struct loader *L, const yaml_event_t *ev)
{
	const char *anchor = (const char *)ev->data.scalar.anchor;
	struct irx_node *n = NULL;
	bool force_string = false;

	check_tag(L, ev, ev->data.scalar.tag, &force_string);
	if (!count_node(L, &ev->start_mark, ev->data.scalar.length))
		return;
	n = node_new(IRX_NODE_SCALAR, L->file, &ev->start_mark);
	n->len = ev->data.scalar.length;
	n->value = irx_xmalloc(n->len + 1);
	memcpy(n->value, ev->data.scalar.value, n->len);
	n->value[n->len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !force_string;
	if (anchor) {
		add_anchor(L, anchor, n);
		L->anchors[L->nanchors - 1].done = true;
		L->anchors[L->nanchors - 1].nodes = 1;
		L->anchors[L->nanchors - 1].bytes = n->len;
	}
	attach(L, n, 0);
}

static void on_start(struct loader *L, const yaml_event_t *ev, enum irx_node_kind kind)
{
	const yaml_char_t *tag =
	    kind == IRX_NODE_SEQ ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
	const char *anchor = (const char *)(kind == IRX_NODE_SEQ ? ev->data.sequence_start.anchor
								 : ev->data.mapping_start.anchor);
	struct frame *f = NULL;
	bool force_string = false;

	if (L->depth == IRX_DOC_MAX_DEPTH) {
		fail_at(L, &ev->start_mark, true, "nesting deeper than %d levels",
			IRX_DOC_MAX_DEPTH);
		return;
	}
	/* the non-specific "!" just says "not a plain scalar": harmless on a collection */
	if (check_tag(L, ev, tag, &force_string) && force_string &&
	    strcmp((const char *)tag, YAML_TAG_PREFIX "str") == 0)
		fail_at(L, &ev->start_mark, false, "a %s cannot be tagged '!!str'",
			kind == IRX_NODE_SEQ ? "list" : "map");
	f = &L->stack[L->depth];
	memset(f, 0, sizeof(*f));
	f->nodes_before = L->nodes;
	f->bytes_before = L->bytes;
	if (!count_node(L, &ev->start_mark, 0))
		return;
	f->node = node_new(kind, L->file, &ev->start_mark);
	f->height = 1;
	L->depth++;
	if (anchor) {
		add_anchor(L, anchor, f->node);
		f->anchor = L->nanchors;
	}
}

static void on_end(struct loader *L)
{
	struct frame *f = &L->stack[--L->depth];
	struct irx_node *n = f->node;
	unsigned height = f->height;

	if (f->anchor) {
		struct anchor *a = &L->anchors[f->anchor - 1];

		a->done = true;
		a->nodes = L->nodes - f->nodes_before;
		a->bytes = L->bytes - f->bytes_before;
		a->height = f->height;
	}
	/* A map's events always pair keys with values; a leftover key means a libyaml bug. */
	node_free(f->key);
	free(f->keyset.slots);
	memset(f, 0, sizeof(*f));
	attach(L, n, height);
}

static void on_alias(struct loader *L, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	size_t idx = strhash_get(&L->anchorset, name, strlen(name), anchor_key, L);
	const struct anchor *a = idx ? &L->anchors[idx - 1] : NULL;
	struct irx_node *copy = NULL;
	char *text = diag_text(name, strlen(name));

	L->aliased = true;
	if (!a) {
		fail_at(L, &ev->start_mark, false, "unknown alias '*%s'", text);
		goto placeholder;
	}
	if (!a->done) {
		fail_at(L, &ev->start_mark, false, "alias '*%s' refers to a node that contains it",
			text);
		goto placeholder;
	}
	if (L->nodes + a->nodes > IRX_DOC_MAX_NODES) {
		fail_at(L, &ev->start_mark, true, "too many nodes (aliases expand to more than %d)",
			IRX_DOC_MAX_NODES);
		goto out;
	}
	if (L->bytes + a->bytes > DOC_MAX_TEXT_BYTES) {
		fail_at(L, &ev->start_mark, true,
			"too much text (aliases expand to more than %u bytes)", DOC_MAX_TEXT_BYTES);
		goto out;
	}
	if (L->depth + a->height > IRX_DOC_MAX_DEPTH) {
		fail_at(L, &ev->start_mark, true, "nesting deeper than %d levels",
			IRX_DOC_MAX_DEPTH);
		goto out;
	}
	L->nodes += a->nodes;
	L->bytes += a->bytes;
	copy = node_copy(a->node);
	/* the copy's root is where it is used; what is inside keeps the anchor's positions */
	copy->line = (unsigned)ev->start_mark.line + 1;
	copy->col = (unsigned)ev->start_mark.column + 1;
	attach(L, copy, a->height);
	goto out;
placeholder:
	/* keep the map's keys and values paired so later checks still make sense */
	copy = node_new(IRX_NODE_SCALAR, L->file, &ev->start_mark);
	copy->value = irx_xstrdup("");
	L->placeholder = copy;
	attach(L, copy, 0);
out:
	free(text);
}

static void yaml_failure(struct loader *L, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	unsigned line = 0, col = 0;

	if (p->error == YAML_MEMORY_ERROR) {
		fail_at(L, NULL, true, "out of memory");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		offset_position(L->buf, L->len, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			irx_diags_add_at(L->diags, L->file, line, col,
					 "invalid YAML: %s (character 0x%02X)", problem,
					 (unsigned)p->problem_value);
		else
			irx_diags_add_at(L->diags, L->file, line, col, "invalid YAML: %s", problem);
	} else {
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
		if (p->context && p->context_mark.line != p->problem_mark.line)
			irx_diags_add_at(L->diags, L->file, line, col,
					 "invalid YAML: %s %s at line %u, column %u", problem,
					 p->context, (unsigned)p->context_mark.line + 1,
					 (unsigned)p->context_mark.column + 1);
		else if (p->context)
			irx_diags_add_at(L->diags, L->file, line, col, "invalid YAML: %s %s",
					 problem, p->context);
		else
			irx_diags_add_at(L->diags, L->file, line, col, "invalid YAML: %s", problem);
	}
	L->failed = true;
	L->stop = true;
}

static void loader_release(struct loader *L)
{
	for (unsigned i = 0; i < L->depth; i++) {
		node_free(L->stack[i].node);
		node_free(L->stack[i].key);
		free(L->stack[i].keyset.slots);
	}
	L->depth = 0;
	for (size_t i = 0; i < L->nanchors; i++)
		free(L->anchors[i].name);
	free(L->anchors);
	free(L->anchorset.slots);
}

/* An empty document ("---" and nothing else) loads as no root at all. */
static bool is_empty_root(const struct irx_node *n)
{
	return n && n->kind == IRX_NODE_SCALAR && n->plain && n->len == 0;
}

static struct irx_doc *load(const char *name, const char *buf, size_t len, struct irx_diags *diags)
{
	struct irx_doc *doc = irx_xcalloc(1, sizeof(*doc));
	struct loader L = {0};
	yaml_parser_t parser;
	yaml_event_t ev;
	bool nul = false;
	size_t bad = 0;
	unsigned docs = 0;

	doc->file = irx_xstrdup(name);
	L.file = doc->file;
	L.buf = buf;
	L.len = len;
	L.diags = diags;
	memset(&parser, 0, sizeof(parser));
	memset(&ev, 0, sizeof(ev));

	if (len > IRX_DOC_MAX_BYTES) {
		fail_at(&L, NULL, true, "file is %zu bytes; runbooks are limited to %u bytes", len,
			IRX_DOC_MAX_BYTES);
		goto fail;
	}
	bad = check_text(buf, len, &nul);
	if (bad < len) {
		unsigned line = 0, col = 0;

		offset_position(buf, len, bad, &line, &col);
		irx_diags_add_at(diags, L.file, line, col,
				 nul ? "NUL byte at byte %zu" : "invalid UTF-8 at byte %zu", bad);
		goto fail;
	}
	if (!yaml_parser_initialize(&parser)) {
		fail_at(&L, NULL, true, "out of memory");
		goto fail;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!L.stop) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_failure(&L, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				fail_at(&L, &ev.start_mark, true,
					"runbooks must hold one YAML document");
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(&L, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			on_start(&L, &ev, IRX_NODE_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			on_start(&L, &ev, IRX_NODE_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(&L);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(&L, &ev);
			break;
		default:
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (L.failed)
		goto fail;
	loader_release(&L);
	if (is_empty_root(L.root)) {
		node_free(L.root);
		L.root = NULL;
	}
	doc->root = L.root;
	return doc;
fail:
	loader_release(&L);
	node_free(L.root);
	free(doc->file);
	free(doc);
	return NULL;
}

struct irx_doc *irx_doc_load_buffer(const char *name, const char *buf, size_t len,
				    struct irx_diags *diags)
{
	return load(name ? name : "<buffer>", buf ? buf : "", buf ? len : 0, diags);
}

struct irx_doc *irx_doc_load_file(const char *path, struct irx_diags *diags)
{
	struct irx_doc *doc = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (irx_read_file(path, IRX_DOC_MAX_BYTES, &buf, &len) < 0) {
		int e = errno;
		struct stat st;

		if (e == EFBIG && stat(path, &st) == 0)
			irx_diags_add_at(diags, path, 0, 0,
					 "file is %jd bytes; runbooks are limited to %u bytes",
					 (intmax_t)st.st_size, IRX_DOC_MAX_BYTES);
		else
			irx_diags_add_at(diags, path, 0, 0, "cannot read file: %s", strerror(e));
		return NULL;
	}
	doc = load(path, buf, len, diags);
	free(buf);
	return doc;
}

void irx_doc_free(struct irx_doc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->file);
	free(doc);
}

/* --- accessors and the YAML 1.2 core schema --------------------------------------------- */

const struct irx_node *irx_node_get(const struct irx_node *map, const char *key)
{
	size_t n = 0;

	if (!map || map->kind != IRX_NODE_MAP || !key)
		return NULL;
	n = strlen(key);
	for (size_t i = 0; i < map->count; i++) {
		const struct irx_node *k = map->keys[i];

		if (k->kind == IRX_NODE_SCALAR && k->len == n && memcmp(k->value, key, n) == 0)
			return map->items[i];
	}
	return NULL;
}

const char *irx_node_str(const struct irx_node *node)
{
	return node && node->kind == IRX_NODE_SCALAR ? node->value : NULL;
}

enum scalar_type { T_STRING, T_NULL, T_BOOL, T_INT, T_FLOAT };

struct scalar_value {
	bool b;
	int64_t i;
	double d;
};

static bool is_one_of(const char *s, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

static bool all_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool is_core_float(const char *s)
{
	bool digits = false;

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static double parse_double(const char *s)
{
	pthread_once(&c_locale_once, c_locale_init);
	if (!c_locale)
		return strtod(s, NULL);	    /* cannot happen on glibc: "C" always exists */
	return strtod_l(s, NULL, c_locale); /* not strtod: a setlocale'd decimal comma */
}

static enum scalar_type classify(const struct irx_node *n, struct scalar_value *v)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	static const char *const infs[] = {".inf", ".Inf", ".INF", NULL};
	static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
	const char *s = n->value;

	memset(v, 0, sizeof(*v));
	if (n->kind != IRX_NODE_SCALAR || !n->plain || strlen(s) != n->len)
		return T_STRING;
	if (is_one_of(s, nulls))
		return T_NULL;
	if (is_one_of(s, trues) || is_one_of(s, falses)) {
		v->b = s[0] == 't' || s[0] == 'T';
		return T_BOOL;
	}
	if ((s[0] == '0' && s[1] == 'o' && all_digits(s + 2, "01234567")) ||
	    (s[0] == '0' && s[1] == 'x' && all_digits(s + 2, "0123456789abcdefABCDEF"))) {
		unsigned long long u = 0;

		errno = 0;
		u = strtoull(s + 2, NULL, s[1] == 'o' ? 8 : 16);
		if (errno == ERANGE || u > INT64_MAX)
			return T_STRING;
		v->i = (int64_t)u;
		return T_INT;
	}
	if (all_digits(s + (s[0] == '-' || s[0] == '+'), "0123456789")) {
		long long ll = 0;

		errno = 0;
		ll = strtoll(s, NULL, 10);
		if (errno == ERANGE)
			return T_STRING;
		v->i = ll;
		return T_INT;
	}
	if (is_one_of(s + (s[0] == '-' || s[0] == '+'), infs)) {
		v->d = s[0] == '-' ? -INFINITY : INFINITY;
		return T_FLOAT;
	}
	if (is_one_of(s, nans)) {
		v->d = NAN;
		return T_FLOAT;
	}
	if (is_core_float(s)) {
		v->d = parse_double(s);
		return T_FLOAT;
	}
	return T_STRING;
}

const char *irx_node_type_name(const struct irx_node *node)
{
	struct scalar_value v;

	if (!node)
		return "null";
	if (node->kind == IRX_NODE_SEQ)
		return "list";
	if (node->kind == IRX_NODE_MAP)
		return "map";
	switch (classify(node, &v)) {
	case T_NULL:
		return "null";
	case T_BOOL:
		return "boolean";
	case T_INT:
		return "integer";
	case T_FLOAT:
		return "number";
	default:
		return "string";
	}
}

bool irx_node_is_null(const struct irx_node *node)
{
	struct scalar_value v;

	return node && node->kind == IRX_NODE_SCALAR && classify(node, &v) == T_NULL;
}

struct json_object *irx_node_to_json(const struct irx_node *node)
{
	struct json_object *o = NULL;
	struct scalar_value v;

	if (!node)
		return NULL;
	switch (node->kind) {
	case IRX_NODE_SEQ:
		o = json_object_new_array_ext((int)node->count);
		for (size_t i = 0; i < node->count; i++)
			json_object_array_add(o, irx_node_to_json(node->items[i]));
		return o;
	case IRX_NODE_MAP:
		o = json_object_new_object();
		for (size_t i = 0; i < node->count; i++) {
			const struct irx_node *k = node->keys[i];

			if (k->kind != IRX_NODE_SCALAR)
				continue; /* never in a loaded document */
			json_object_object_add(o, k->value, irx_node_to_json(node->items[i]));
		}
		return o;
	case IRX_NODE_SCALAR:
		break;
	}
	switch (classify(node, &v)) {
	case T_NULL:
		return NULL;
	case T_BOOL:
		return json_object_new_boolean(v.b);
	case T_INT:
		return json_object_new_int64(v.i);
	case T_FLOAT:
		return json_object_new_double(v.d);
	default:
		return json_object_new_string_len(node->value, (int)node->len);
	}
}
