/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SSM Automation templates. The rules follow what SSM documents and what its
 * open-source agent does (amazon-ssm-agent agent/parameters/parameters.go):
 *   - "{{", optional whitespace (\t \n \f \r and space), a name, optional
 *     whitespace, "}}"; the first "}}" closes the reference, so
 *     "{Hello {{ssm:x}}}" is "{Hello " + ref + "}".
 *   - a string that is exactly one reference takes the value itself, any type;
 *     otherwise each value is rendered as text (strings as is, others as JSON).
 *   - expansion is single-pass: SSM does not support multi-level expansion, and
 *     re-expanding would let data returned by AWS inject references.
 * Unlike SSM we refuse what we cannot read ("{{" without "}}", bad names) so an
 * author hears about it from `irx validate`, not halfway through an incident.
 */
#include "template.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "util.h"

/* Nesting beyond this is refused rather than risking the stack. */
#define TEMPLATE_MAX_DEPTH 1000

struct tref {
	size_t start;    /* offset of "{{" */
	size_t end;      /* offset just past "}}" */
	size_t name_off; /* offset of the name */
	size_t name_len;
};

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = irx_xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Parameter Store names are paths: "{{ ssm:/team/db-host }}". */
static bool is_ns_name_char(unsigned char c)
{
	return is_name_char(c) || c == '/';
}

static bool is_ns_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static void quote_char(unsigned char c, char out[8])
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(out, 8, "'%c'", c);
	else
		snprintf(out, 8, "'\\x%02x'", c);
}

/*
 * Finds the next reference at or after *pos. Returns 1 and fills ref, 0 when
 * there is none, -1 with errbuf and *err_off on malformed syntax.
 */
static int next_ref(const char *s, size_t len, size_t *pos, struct tref *ref, char *errbuf,
		    size_t errlen, size_t *err_off)
{
	size_t i = *pos, start = 0, colon = 0, end = 0;
	bool has_colon = false;
	char qc[8] = "";

	while (i + 1 < len && !(s[i] == '{' && s[i + 1] == '{'))
		i++;
	if (i + 1 >= len) {
		*pos = len;
		return 0;
	}
	start = i;
	i += 2;
	while (i < len && is_space((unsigned char)s[i]))
		i++;
	ref->start = start;
	ref->name_off = i;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':' && !has_colon) {
			if (i == ref->name_off) {
				snprintf(errbuf, errlen, "empty namespace before ':' at offset %zu", i);
				*err_off = i;
				return -1;
			}
			has_colon = true;
			colon = i;
			continue;
		}
		if (has_colon ? is_ns_name_char(c) : is_name_char(c))
			continue;
		if (is_space(c) || c == '}')
			break;
		quote_char(c, qc);
		snprintf(errbuf, errlen, "invalid character %s in reference at offset %zu", qc, i);
		*err_off = i;
		return -1;
	}
	ref->name_len = i - ref->name_off;
	end = i;
	while (i < len && is_space((unsigned char)s[i]))
		i++;
	/* a reference cut off by the end of the string is reported as such first */
	if (i >= len || (s[i] == '}' && i + 1 == len)) {
		snprintf(errbuf, errlen, "'{{' without '}}' at offset %zu", start);
		*err_off = start;
		return -1;
	}
	if (has_colon) {
		/* the namespace itself must be a plain word: "global", "ssm", ... */
		for (size_t k = ref->name_off; k < colon; k++) {
			if (!is_ns_char((unsigned char)s[k])) {
				quote_char((unsigned char)s[k], qc);
				snprintf(errbuf, errlen,
					 "invalid character %s in reference at offset %zu", qc, k);
				*err_off = k;
				return -1;
			}
		}
		if (colon + 1 == end) {
			snprintf(errbuf, errlen, "empty name after '%.*s' at offset %zu",
				 (int)(colon + 1 - ref->name_off), s + ref->name_off, end);
			*err_off = end;
			return -1;
		}
	}
	if (i + 1 < len && s[i] == '}' && s[i + 1] == '}') {
		if (ref->name_len == 0) {
			snprintf(errbuf, errlen, "empty reference at offset %zu", start);
			*err_off = start;
			return -1;
		}
		ref->end = i + 2;
		*pos = ref->end;
		return 1;
	}
	if (ref->name_len == 0) {
		quote_char((unsigned char)s[i], qc);
		snprintf(errbuf, errlen, "invalid character %s in reference at offset %zu", qc, i);
	} else {
		snprintf(errbuf, errlen, "expected '}}' after '%.*s' at offset %zu",
			 (int)(ref->name_len > 64 ? 64 : ref->name_len), s + ref->name_off, i);
	}
	*err_off = i;
	return -1;
}

int irx_template_scan(const char *s, irx_template_ref_fn *fn, void *ud, char *errbuf,
		      size_t errlen, size_t *err_offset)
{
	size_t pos = 0, len = 0, off = 0;
	char dummy[8] = "";
	struct tref ref = {0};
	int rc = 0;

	if (!errbuf || errlen == 0) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	if (!s)
		return 0;
	len = strlen(s);
	while ((rc = next_ref(s, len, &pos, &ref, errbuf, errlen, &off)) == 1) {
		if (fn) {
			char *name = irx_xstrndup(s + ref.name_off, ref.name_len);

			fn(ud, name, ref.start);
			free(name);
		}
	}
	if (rc < 0) {
		if (err_offset)
			*err_offset = off;
		return -1;
	}
	return 0;
}

/* Appends a referenced value as text: strings as is, everything else as compact JSON. */
static void render(struct sbuf *b, struct json_object *v)
{
	if (json_object_is_type(v, json_type_string)) {
		sbuf_add(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	} else {
		size_t n = 0;
		const char *t = json_object_to_json_string_length(
			v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);

		sbuf_add(b, t, n);
	}
}

static struct json_object *copy_value(struct json_object *v)
{
	struct json_object *out = NULL;

	if (json_object_deep_copy(v, &out, NULL) != 0)
		abort(); /* only fails on allocation failure: util.h policy is to abort */
	return out;
}

struct expander {
	irx_template_lookup_fn *lookup;
	void *ud;
	struct irx_error *err;
};

static struct json_object *resolve(struct expander *x, const char *s, const struct tref *ref)
{
	char *name = irx_xstrndup(s + ref->name_off, ref->name_len);
	struct json_object *v = x->lookup ? x->lookup(x->ud, name) : NULL;

	if (!v)
		irx_error_set(x->err, IRX_ERR_INVALID, "unknown reference '{{ %s }}'", name);
	free(name);
	return v;
}

/*
 * Expands one string. Returns 0 with *out set (a new object) or -1 with err
 * set. *whole is set when the string was exactly one reference.
 */
static int expand_string(struct expander *x, struct json_object *in, struct json_object **out,
			 bool *whole)
{
	const char *s = json_object_get_string(in);
	size_t len = (size_t)json_object_get_string_len(in);
	size_t pos = 0, lit = 0, off = 0;
	struct tref ref = {0};
	struct sbuf b = {0};
	char msg[256] = "";
	int rc = 0, ret = -1;

	*whole = false;
	while ((rc = next_ref(s, len, &pos, &ref, msg, sizeof(msg), &off)) == 1) {
		struct json_object *v = resolve(x, s, &ref);

		if (!v)
			goto out;
		if (ref.start == 0 && ref.end == len) {
			*out = copy_value(v);
			*whole = true;
			ret = 0;
			goto out;
		}
		sbuf_add(&b, s + lit, ref.start - lit);
		render(&b, v);
		lit = ref.end;
	}
	if (rc < 0) {
		irx_error_set(x->err, IRX_ERR_INVALID, "invalid template '%.*s%s': %s",
			      (int)(len > 80 ? 80 : len), s, len > 80 ? "..." : "", msg);
		goto out;
	}
	if (lit == 0) {
		*out = json_object_new_string_len(s, (int)len);
	} else {
		sbuf_add(&b, s + lit, len - lit);
		*out = json_object_new_string_len(b.p, (int)b.len);
	}
	ret = 0;
out:
	free(b.p);
	return ret;
}

static int expand_value(struct expander *x, struct json_object *in, struct json_object **out,
			int depth)
{
	struct json_object *res = NULL;
	bool whole = false;

	*out = NULL;
	if (depth > TEMPLATE_MAX_DEPTH) {
		irx_error_set(x->err, IRX_ERR_LIMIT, "value nested deeper than %d levels",
			      TEMPLATE_MAX_DEPTH);
		return -1;
	}
	switch (json_object_get_type(in)) {
	case json_type_string:
		return expand_string(x, in, out, &whole);
	case json_type_array: {
		size_t n = json_object_array_length(in);

		res = json_object_new_array_ext((int)n);
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(in, i), *v = NULL;

			if (json_object_is_type(e, json_type_string)) {
				if (expand_string(x, e, &v, &whole) != 0)
					goto fail;
				/* SSM splices a list referenced alone into the enclosing
				 * list: InstanceIds: ["{{ LaunchInstance.InstanceIds }}"] */
				if (whole && json_object_is_type(v, json_type_array)) {
					size_t m = json_object_array_length(v);

					for (size_t k = 0; k < m; k++)
						json_object_array_add(
							res, json_object_get(
								json_object_array_get_idx(v, k)));
					json_object_put(v);
					continue;
				}
			} else if (expand_value(x, e, &v, depth + 1) != 0) {
				goto fail;
			}
			json_object_array_add(res, v);
		}
		break;
	}
	case json_type_object:
		res = json_object_new_object();
		json_object_object_foreach(in, key, val)
		{
			struct json_object *v = NULL;

			if (expand_value(x, val, &v, depth + 1) != 0)
				goto fail;
			json_object_object_add(res, key, v);
		}
		break;
	default:
		res = in ? copy_value(in) : NULL;
		break;
	}
	*out = res;
	return 0;
fail:
	json_object_put(res);
	return -1;
}

struct json_object *irx_template_expand(struct json_object *in, irx_template_lookup_fn *lookup,
					void *ud, struct irx_error *err)
{
	struct expander x = {.lookup = lookup, .ud = ud, .err = err};
	struct json_object *out = NULL;

	if (expand_value(&x, in, &out, 0) != 0)
		return NULL;
	return out;
}
