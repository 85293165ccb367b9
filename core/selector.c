/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSONPath subset SSM Automation accepts in output Selectors and
 * PropertySelectors. Grammar (whitespace allowed only inside brackets):
 *
 *   selector := '$' step*
 *   step     := '.' name | '.' '*' | '..' name | '..' '*' | '..'? bracket
 *   bracket  := '[' ( '*' | index (',' index)* | slice | quoted (',' quoted)* ) ']'
 *   index    := '-'? digits            (negative: from the end, as JSONPath)
 *   slice    := index? ':' index?      (start inclusive, end exclusive)
 *   quoted   := '\'' chars '\'' | '"' chars '"'   (backslash escapes the next byte)
 *   name     := bytes other than . [ ] * ' " , ( ) ? whitespace and controls
 *               (UTF-8 names such as "$.Tags.名前" are fine)
 *
 * A "definite" selector (no wildcard, "..", slice or list) names one value and
 * yields it; any other yields an array of every match, in document order, as
 * common JSONPath implementations (Goessner's original, Jayway) do. SSM
 * documents no grammar beyond "JSONPath"; every selector in AWS's published
 * runbooks uses only '$', ".Name" and "[N]".
 */
#include "selector.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

/* Bounds the work of selectors such as "$..*..*..*" on a large document. */
#define SELECTOR_MAX_MATCHES 100000

enum step_kind {
	STEP_KEYS,     /* one or more names */
	STEP_INDEXES,  /* one or more indexes */
	STEP_WILDCARD, /* * */
	STEP_SLICE,    /* [a:b] */
};

struct step {
	enum step_kind kind;
	bool deep;     /* preceded by ".." */
	size_t off;    /* offset of the step in the selector (its '.', '..' or '[') */
	size_t end;    /* offset just past the step */
	char **keys;
	long long *idx;
	size_t n;      /* number of keys or indexes */
	bool has_start, has_end;
	long long start, stop;
};

struct path {
	struct step *steps;
	size_t n, cap;
	bool definite;
};

static void path_release(struct path *p)
{
	for (size_t i = 0; i < p->n; i++) {
		for (size_t k = 0; k < p->steps[i].n && p->steps[i].keys; k++)
			free(p->steps[i].keys[k]);
		free(p->steps[i].keys);
		free(p->steps[i].idx);
	}
	free(p->steps);
	memset(p, 0, sizeof(*p));
}

static struct step *path_push(struct path *p)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->steps = irx_xrealloc(p->steps, p->cap * sizeof(*p->steps));
	}
	memset(&p->steps[p->n], 0, sizeof(p->steps[0]));
	return &p->steps[p->n++];
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_byte(unsigned char c)
{
	return c > 0x20 && c != 0x7f && !strchr(".[]*'\",()?", c);
}

struct parser {
	const char *s;
	size_t i;
	char *errbuf;
	size_t errlen;
	size_t err_off;
};

static int fail(struct parser *ps, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->errbuf, ps->errlen, fmt, ap);
	va_end(ap);
	ps->err_off = off;
	return -1;
}

static void skip_space(struct parser *ps)
{
	while (is_space((unsigned char)ps->s[ps->i]))
		ps->i++;
}

static void add_key(struct step *st, const char *k, size_t len)
{
	st->keys = irx_xrealloc(st->keys, (st->n + 1) * sizeof(*st->keys));
	st->keys[st->n] = irx_xstrndup(k, len);
	st->n++;
}

static void add_index(struct step *st, long long v)
{
	st->idx = irx_xrealloc(st->idx, (st->n + 1) * sizeof(*st->idx));
	st->idx[st->n++] = v;
}

/* Parses an optionally negative decimal at ps->i. Returns 1 parsed, 0 none there, -1 error. */
static int parse_int(struct parser *ps, long long *out)
{
	const char *s = ps->s;
	size_t start = ps->i, i = ps->i;
	bool neg = false;
	unsigned long long v = 0;

	if (s[i] == '-') {
		neg = true;
		i++;
	}
	if (s[i] < '0' || s[i] > '9') {
		if (neg)
			return fail(ps, i, "expected a digit after '-' at offset %zu", i);
		return 0;
	}
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned long long d = (unsigned long long)(s[i] - '0');

		/* checked before multiplying so the value cannot wrap */
		if (v > ((unsigned long long)LLONG_MAX - d) / 10)
			return fail(ps, start, "index too large at offset %zu", start);
		v = v * 10 + d;
	}
	*out = neg ? -(long long)v : (long long)v;
	ps->i = i;
	return 1;
}

/* Parses a quoted name at ps->i (on the quote) into a fresh buffer. */
static int parse_quoted(struct parser *ps, struct step *st)
{
	const char *s = ps->s;
	char q = s[ps->i];
	size_t start = ps->i, i = ps->i + 1, n = 0;
	char *buf = irx_xmalloc(strlen(s + i) + 1);

	for (;;) {
		if (s[i] == '\0') {
			free(buf);
			return fail(ps, start, "unterminated quoted name at offset %zu", start);
		}
		if (s[i] == q)
			break;
		if (s[i] == '\\' && s[i + 1] != '\0')
			i++;
		buf[n++] = s[i++];
	}
	add_key(st, buf, n);
	free(buf);
	ps->i = i + 1;
	return 0;
}

/* Parses "[...]" at ps->i (on the '['). */
static int parse_bracket(struct parser *ps, struct step *st)
{
	const char *s = ps->s;
	long long v = 0;
	int rc = 0;

	ps->i++;
	skip_space(ps);
	if (s[ps->i] == '*') {
		st->kind = STEP_WILDCARD;
		ps->i++;
	} else if (s[ps->i] == '\'' || s[ps->i] == '"') {
		st->kind = STEP_KEYS;
		for (;;) {
			if (s[ps->i] != '\'' && s[ps->i] != '"')
				return fail(ps, ps->i, "expected a quoted name at offset %zu",
					    ps->i);
			if (parse_quoted(ps, st) != 0)
				return -1;
			skip_space(ps);
			if (s[ps->i] != ',')
				break;
			ps->i++;
			skip_space(ps);
		}
	} else {
		if ((rc = parse_int(ps, &v)) < 0)
			return -1;
		skip_space(ps);
		if (s[ps->i] == ':') {
			st->kind = STEP_SLICE;
			st->has_start = rc == 1;
			st->start = v;
			ps->i++;
			skip_space(ps);
			if ((rc = parse_int(ps, &v)) < 0)
				return -1;
			st->has_end = rc == 1;
			st->stop = v;
			skip_space(ps);
		} else if (rc == 1) {
			st->kind = STEP_INDEXES;
			add_index(st, v);
			while (s[ps->i] == ',') {
				ps->i++;
				skip_space(ps);
				if ((rc = parse_int(ps, &v)) < 0)
					return -1;
				if (rc == 0)
					return fail(ps, ps->i, "expected an index at offset %zu",
						    ps->i);
				add_index(st, v);
				skip_space(ps);
			}
		} else {
			return fail(ps, ps->i,
				    "expected an index, '*' or a quoted name at offset %zu",
				    ps->i);
		}
	}
	skip_space(ps);
	if (s[ps->i] != ']')
		return fail(ps, ps->i, "expected ']' at offset %zu", ps->i);
	ps->i++;
	return 0;
}

static int parse(const char *sel, struct path *p, char *errbuf, size_t errlen, size_t *err_off)
{
	char dummy[8] = "";
	struct parser ps = {.s = sel, .errbuf = errbuf, .errlen = errlen};
	int ret = -1;

	if (!ps.errbuf || ps.errlen == 0) {
		ps.errbuf = dummy;
		ps.errlen = sizeof(dummy);
	}
	ps.errbuf[0] = '\0';
	memset(p, 0, sizeof(*p));
	p->definite = true;
	if (!sel || !*sel) {
		fail(&ps, 0, "empty selector");
		goto out;
	}
	if (sel[0] != '$') {
		fail(&ps, 0, "selector must start with '$'");
		goto out;
	}
	ps.i = 1;
	while (sel[ps.i]) {
		struct step *st = path_push(p);
		char c = sel[ps.i];

		st->off = ps.i;
		if (c == '.' && sel[ps.i + 1] == '.') {
			st->deep = true;
			ps.i += 2;
			if (sel[ps.i] == '[') {
				if (parse_bracket(&ps, st) != 0)
					goto out;
				st->end = ps.i;
				continue;
			}
		} else if (c == '.') {
			ps.i++;
		} else if (c == '[') {
			if (parse_bracket(&ps, st) != 0)
				goto out;
			st->end = ps.i;
			continue;
		} else {
			fail(&ps, ps.i, "expected '.' or '[' at offset %zu", ps.i);
			goto out;
		}
		/* after "." or "..": '*' or a name */
		if (sel[ps.i] == '*') {
			st->kind = STEP_WILDCARD;
			ps.i++;
		} else {
			size_t start = ps.i;

			while (is_name_byte((unsigned char)sel[ps.i]))
				ps.i++;
			if (ps.i == start) {
				fail(&ps, ps.i, "expected a name after '%s' at offset %zu",
				     st->deep ? ".." : ".", ps.i);
				goto out;
			}
			st->kind = STEP_KEYS;
			add_key(st, sel + start, ps.i - start);
		}
		st->end = ps.i;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct step *st = &p->steps[i];

		if (st->deep || st->kind == STEP_WILDCARD || st->kind == STEP_SLICE || st->n > 1)
			p->definite = false;
	}
	ret = 0;
out:
	if (ret != 0) {
		if (err_off)
			*err_off = ps.err_off;
		path_release(p);
	}
	return ret;
}

int irx_selector_check(const char *sel, char *errbuf, size_t errlen, size_t *err_offset)
{
	struct path p = {0};

	if (parse(sel, &p, errbuf, errlen, err_offset) != 0)
		return -1;
	path_release(&p);
	return 0;
}

/* --- evaluation ---------------------------------------------------------- */

/* A list of borrowed matches; NULL entries are JSON nulls. */
struct nodes {
	struct json_object **v;
	size_t n, cap;
	bool over;
};

static void nodes_add(struct nodes *ns, struct json_object *v)
{
	if (ns->n >= SELECTOR_MAX_MATCHES) {
		ns->over = true;
		return;
	}
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->v = irx_xrealloc(ns->v, ns->cap * sizeof(*ns->v));
	}
	ns->v[ns->n++] = v;
}

static bool resolve_index(long long i, size_t len, size_t *out)
{
	if (i < 0) {
		if ((unsigned long long)-(i + 1) >= len)
			return false;
		*out = len - (size_t)(-(i + 1)) - 1;
		return true;
	}
	if ((unsigned long long)i >= len)
		return false;
	*out = (size_t)i;
	return true;
}

static long long clamp_slice(long long v, size_t len)
{
	long long l = (long long)(len > (size_t)LLONG_MAX ? LLONG_MAX : len);

	if (v < 0)
		v = v < -l ? 0 : v + l;
	return v > l ? l : v;
}

/* Applies one step (without its "..") to node, appending matches. */
static void apply_step(const struct step *st, struct json_object *node, struct nodes *out)
{
	if (json_object_is_type(node, json_type_object)) {
		struct json_object *v = NULL;

		if (st->kind == STEP_WILDCARD) {
			json_object_object_foreach(node, key, val)
			{
				(void)key;
				nodes_add(out, val);
			}
		} else if (st->kind == STEP_KEYS) {
			for (size_t k = 0; k < st->n; k++)
				if (json_object_object_get_ex(node, st->keys[k], &v))
					nodes_add(out, v);
		}
	} else if (json_object_is_type(node, json_type_array)) {
		size_t len = json_object_array_length(node), at = 0;

		if (st->kind == STEP_WILDCARD) {
			for (size_t k = 0; k < len; k++)
				nodes_add(out, json_object_array_get_idx(node, k));
		} else if (st->kind == STEP_INDEXES) {
			for (size_t k = 0; k < st->n; k++)
				if (resolve_index(st->idx[k], len, &at))
					nodes_add(out, json_object_array_get_idx(node, at));
		} else if (st->kind == STEP_SLICE) {
			long long a = st->has_start ? clamp_slice(st->start, len) : 0;
			long long b = st->has_end ? clamp_slice(st->stop, len) : (long long)len;

			for (long long k = a; k < b && !out->over; k++)
				nodes_add(out, json_object_array_get_idx(node, (size_t)k));
		}
	}
}

/* ".." : the step applied to node and to every descendant, in document order. */
static void apply_deep(const struct step *st, struct json_object *node, struct nodes *out)
{
	if (out->over)
		return;
	apply_step(st, node, out);
	if (json_object_is_type(node, json_type_object)) {
		json_object_object_foreach(node, key, val)
		{
			(void)key;
			apply_deep(st, val, out);
		}
	} else if (json_object_is_type(node, json_type_array)) {
		size_t len = json_object_array_length(node);

		for (size_t k = 0; k < len && !out->over; k++)
			apply_deep(st, json_object_array_get_idx(node, k), out);
	}
}

static const char *type_article(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "a value";
}

/* Walks a definite path, naming the first part that is missing. */
static struct json_object *select_one(struct json_object *root, const char *sel,
				      const struct path *p, struct irx_error *err)
{
	struct json_object *cur = root, *next = NULL;

	for (size_t i = 0; i < p->n; i++) {
		const struct step *st = &p->steps[i];
		int plen = (int)st->off;

		if (st->kind == STEP_KEYS) {
			if (!json_object_is_type(cur, json_type_object)) {
				irx_error_set(err, IRX_ERR_NOT_FOUND,
					      "selector '%s' matched nothing: '%.*s' is %s, not an "
					      "object",
					      sel, plen, sel, type_article(cur));
				return NULL;
			}
			if (!json_object_object_get_ex(cur, st->keys[0], &next)) {
				irx_error_set(err, IRX_ERR_NOT_FOUND,
					      "selector '%s' matched nothing: no key '%s' in '%.*s'",
					      sel, st->keys[0], plen, sel);
				return NULL;
			}
		} else {
			size_t at = 0, len = 0;

			if (!json_object_is_type(cur, json_type_array)) {
				irx_error_set(err, IRX_ERR_NOT_FOUND,
					      "selector '%s' matched nothing: '%.*s' is %s, not an "
					      "array",
					      sel, plen, sel, type_article(cur));
				return NULL;
			}
			len = json_object_array_length(cur);
			if (!resolve_index(st->idx[0], len, &at)) {
				irx_error_set(err, IRX_ERR_NOT_FOUND,
					      "selector '%s' matched nothing: index %lld out of range "
					      "in '%.*s' (%zu elements)",
					      sel, st->idx[0], plen, sel, len);
				return NULL;
			}
			next = json_object_array_get_idx(cur, at);
		}
		cur = next;
	}
	if (!cur) {
		irx_error_set(err, IRX_ERR_NOT_FOUND, "selector '%s' matched nothing: '%s' is null",
			      sel, sel);
		return NULL;
	}
	return json_object_get(cur);
}

struct json_object *irx_selector_select(struct json_object *root, const char *sel,
					struct irx_error *err)
{
	struct path p = {0};
	struct nodes cur = {0}, next = {0};
	struct json_object *res = NULL;
	char msg[256] = "";
	size_t off = 0;

	if (parse(sel, &p, msg, sizeof(msg), &off) != 0) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid selector '%s': %s", sel ? sel : "",
			      msg);
		return NULL;
	}
	if (p.definite) {
		res = select_one(root, sel, &p, err);
		goto out;
	}
	nodes_add(&cur, root);
	for (size_t i = 0; i < p.n; i++) {
		for (size_t k = 0; k < cur.n && !next.over; k++) {
			if (p.steps[i].deep)
				apply_deep(&p.steps[i], cur.v[k], &next);
			else
				apply_step(&p.steps[i], cur.v[k], &next);
		}
		if (next.over) {
			irx_error_set(err, IRX_ERR_LIMIT, "selector '%s' matched more than %d values",
				      sel, SELECTOR_MAX_MATCHES);
			free(next.v);
			goto out;
		}
		free(cur.v);
		cur = next;
		memset(&next, 0, sizeof(next));
	}
	if (cur.n == 0) {
		irx_error_set(err, IRX_ERR_NOT_FOUND, "selector '%s' matched nothing", sel);
		goto out;
	}
	res = json_object_new_array_ext((int)cur.n);
	for (size_t k = 0; k < cur.n; k++)
		json_object_array_add(res, json_object_get(cur.v[k]));
out:
	free(cur.v);
	path_release(&p);
	return res;
}
