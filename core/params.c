/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runbook parameters: converting command-line text to the declared type,
 * checking values against the declaration, and binding a whole set.
 *
 * allowedPattern: SSM checks it with Java's regex library (and the agent with
 * Go's); irx uses POSIX extended regular expressions, after translating the
 * Perl/Java shorthands runbooks use (\d \w \s and their negations, (?:...)).
 * The match is anchored at both ends, as Java's String.matches() is.
 */
#include "params.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "node.h"
#include "runbook.h"
#include "util.h"

/* --- allowedPattern ------------------------------------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = irx_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Translates a bracket expression starting at p[*i] == '['; appends the POSIX form. */
static int translate_bracket(const char *p, size_t *i, struct sbuf *out, char *errbuf,
			     size_t errlen)
{
	struct sbuf body = {0};
	size_t k = *i + 1;
	bool neg = false, rbracket = false, caret = false, dash = false;
	int rc = -1;

	if (p[k] == '^') {
		neg = true;
		k++;
	}
	if (p[k] == ']') { /* a leading ']' is literal */
		rbracket = true;
		k++;
	}
	sb_add(&body, "", 0);
	for (; p[k] && p[k] != ']'; k++) {
		if (p[k] == '[' && (p[k + 1] == ':' || p[k + 1] == '.' || p[k + 1] == '=')) {
			const char *end = NULL;
			char close[3] = {p[k + 1], ']', '\0'};

			end = strstr(p + k + 2, close);
			if (!end) {
				snprintf(errbuf, errlen, "unterminated '[%c' in a bracket expression",
					 p[k + 1]);
				goto out;
			}
			sb_add(&body, p + k, (size_t)(end + 2 - (p + k)));
			k = (size_t)(end + 1 - p);
			continue;
		}
		if (p[k] != '\\') {
			if (p[k] == '^')
				caret = true;
			else
				sb_add(&body, p + k, 1);
			continue;
		}
		k++;
		switch (p[k]) {
		case 'd':
			sb_str(&body, "0-9");
			break;
		case 'w':
			sb_str(&body, "A-Za-z0-9_");
			break;
		case 's':
			sb_str(&body, "[:space:]");
			break;
		case 't':
			sb_str(&body, "\t");
			break;
		case 'n':
			sb_str(&body, "\n");
			break;
		case 'r':
			sb_str(&body, "\r");
			break;
		case ']':
			rbracket = true;
			break;
		case '-':
			dash = true;
			break;
		case '^':
			caret = true;
			break;
		case 'D':
		case 'W':
		case 'S':
			snprintf(errbuf, errlen, "'\\%c' inside [...] has no POSIX equivalent", p[k]);
			goto out;
		case '\0':
			snprintf(errbuf, errlen, "trailing '\\'");
			goto out;
		default:
			if ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
			    (p[k] >= '0' && p[k] <= '9')) {
				snprintf(errbuf, errlen, "unsupported escape '\\%c'", p[k]);
				goto out;
			}
			sb_add(&body, p + k, 1);
		}
	}
	if (!p[k]) {
		snprintf(errbuf, errlen, "unterminated '['");
		goto out;
	}
	/* POSIX: ']' first, '-' last, '^' anywhere but first */
	if (!neg && caret && !rbracket && body.len == 0 && !dash) {
		sb_str(out, "\\^");
	} else {
		sb_str(out, neg ? "[^" : "[");
		if (rbracket)
			sb_str(out, "]");
		sb_add(out, body.p, body.len);
		if (caret)
			sb_str(out, "^");
		if (dash)
			sb_str(out, "-");
		sb_str(out, "]");
	}
	*i = k;
	rc = 0;
out:
	free(body.p);
	return rc;
}

/* Java/PCRE shorthand → POSIX ERE. Returns a new string or NULL with errbuf. */
static char *translate_pattern(const char *p, char *errbuf, size_t errlen)
{
	struct sbuf out = {0};

	sb_str(&out, "^(");
	for (size_t i = 0; p[i]; i++) {
		if (p[i] == '[') {
			if (translate_bracket(p, &i, &out, errbuf, errlen) < 0)
				goto fail;
			continue;
		}
		if (p[i] == '(' && p[i + 1] == '?' && p[i + 2] == ':') {
			sb_str(&out, "(");
			i += 2;
			continue;
		}
		if (p[i] != '\\') {
			sb_add(&out, p + i, 1);
			continue;
		}
		i++;
		switch (p[i]) {
		case 'd':
			sb_str(&out, "[0-9]");
			break;
		case 'D':
			sb_str(&out, "[^0-9]");
			break;
		case 'w':
			sb_str(&out, "[A-Za-z0-9_]");
			break;
		case 'W':
			sb_str(&out, "[^A-Za-z0-9_]");
			break;
		case 's':
			sb_str(&out, "[[:space:]]");
			break;
		case 'S':
			sb_str(&out, "[^[:space:]]");
			break;
		case 't':
			sb_str(&out, "\t");
			break;
		case 'n':
			sb_str(&out, "\n");
			break;
		case 'r':
			sb_str(&out, "\r");
			break;
		case '\0':
			snprintf(errbuf, errlen, "trailing '\\'");
			goto fail;
		default:
			if ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
			    (p[i] >= '0' && p[i] <= '9')) {
				snprintf(errbuf, errlen, "unsupported escape '\\%c'", p[i]);
				goto fail;
			}
			/* an escaped punctuation character: literal, in a bracket to be safe */
			if (p[i] == '^' || p[i] == '\\' || p[i] == ']' || p[i] == '[') {
				char esc[3] = {'\\', p[i], '\0'};

				sb_str(&out, esc);
			} else {
				char lit[4] = {'[', p[i], ']', '\0'};

				sb_str(&out, lit);
			}
		}
	}
	sb_str(&out, ")$");
	return out.p;
fail:
	free(out.p);
	return NULL;
}

int irx_param_pattern_compile(const char *pattern, regex_t *re, char *errbuf, size_t errlen)
{
	char *posix = translate_pattern(pattern, errbuf, errlen);
	int rc = 0;

	if (!posix)
		return -1;
	rc = regcomp(re, posix, REG_EXTENDED | REG_NOSUB);
	free(posix);
	if (rc != 0) {
		char msg[256] = "";

		regerror(rc, re, msg, sizeof(msg));
		/* regerror's texts are capitalised ("Unmatched ( or \\("): keep our style */
		if (msg[0] >= 'A' && msg[0] <= 'Z')
			msg[0] = (char)(msg[0] - 'A' + 'a');
		snprintf(errbuf, errlen, "%s", msg);
		return -1;
	}
	return 0;
}

/* --- checking ------------------------------------------------------------ */

static const char *json_type_label(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_int:
		return "integer";
	case json_type_double:
		return "number";
	case json_type_string:
		return "string";
	case json_type_array:
		return "list";
	case json_type_object:
		return "map";
	}
	return "unknown";
}

static bool has_type(enum irx_param_type t, struct json_object *v)
{
	switch (t) {
	case IRX_PARAM_STRING:
		return json_object_is_type(v, json_type_string);
	case IRX_PARAM_INTEGER:
		return json_object_is_type(v, json_type_int);
	case IRX_PARAM_BOOLEAN:
		return json_object_is_type(v, json_type_boolean);
	case IRX_PARAM_STRING_MAP:
		return json_object_is_type(v, json_type_object);
	case IRX_PARAM_STRING_LIST:
	case IRX_PARAM_MAP_LIST:
		if (!json_object_is_type(v, json_type_array))
			return false;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *it = json_object_array_get_idx(v, i);

			if (!json_object_is_type(it, t == IRX_PARAM_STRING_LIST
							     ? json_type_string
							     : json_type_object))
				return false;
		}
		return true;
	case IRX_PARAM_ANY:
		return true;
	}
	return false;
}

/* Text of a scalar for comparisons and messages; NULL for lists and maps. */
static const char *scalar_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_array) || json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static bool allowed(const struct irx_param_decl *decl, const char *text)
{
	const struct irx_node *av = decl->allowed_values;

	for (size_t i = 0; i < av->count; i++)
		if (av->items[i]->kind == IRX_NODE_SCALAR && strcmp(av->items[i]->value, text) == 0)
			return true;
	return false;
}

static void allowed_list(const struct irx_param_decl *decl, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < decl->allowed_values->count && off < len; i++) {
		const struct irx_node *it = decl->allowed_values->items[i];
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
				 it->kind == IRX_NODE_SCALAR ? it->value : "?");

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static long node_long(const struct irx_node *n)
{
	struct json_object *j = NULL;
	long v = -1;

	if (!n || strcmp(irx_node_type_name(n), "integer") != 0)
		return -1;
	j = irx_node_to_json(n);
	if (json_object_is_type(j, json_type_int) && json_object_get_int64(j) >= 0)
		v = (long)json_object_get_int64(j);
	json_object_put(j);
	return v;
}

/* Checks one scalar (a String, Integer, Boolean value or a StringList item). */
static int check_scalar(const struct irx_param_decl *decl, const char *text, regex_t *re,
			char *errbuf, size_t errlen)
{
	char list[512] = "";

	if (decl->allowed_values && !allowed(decl, text)) {
		allowed_list(decl, list, sizeof(list));
		snprintf(errbuf, errlen, "'%s' is not one of the allowed values: %s", text, list);
		return -1;
	}
	if (re && regexec(re, text, 0, NULL, 0) != 0) {
		snprintf(errbuf, errlen, "'%s' does not match allowedPattern '%s'", text,
			 decl->allowed_pattern);
		return -1;
	}
	if (decl->type == IRX_PARAM_STRING && decl->node) {
		long min = node_long(irx_node_get(decl->node, "minChars"));
		long max = node_long(irx_node_get(decl->node, "maxChars"));
		size_t n = utf8_chars(text);

		if (min >= 0 && n < (size_t)min) {
			snprintf(errbuf, errlen, "'%s' has %zu characters, fewer than minChars %ld",
				 text, n, min);
			return -1;
		}
		if (max >= 0 && n > (size_t)max) {
			snprintf(errbuf, errlen, "'%s' has %zu characters, more than maxChars %ld",
				 text, n, max);
			return -1;
		}
	}
	return 0;
}

int irx_param_check(const struct irx_param_decl *decl, struct json_object *value, char *errbuf,
		    size_t errlen)
{
	regex_t re;
	bool have_re = false;
	int rc = -1;

	if (!has_type(decl->type, value)) {
		if (json_object_is_type(value, json_type_array) &&
		    (decl->type == IRX_PARAM_STRING_LIST || decl->type == IRX_PARAM_MAP_LIST))
			snprintf(errbuf, errlen, "expected %s, got a list with %s items",
				 irx_param_type_name(decl->type),
				 decl->type == IRX_PARAM_STRING_LIST ? "non-string" : "non-map");
		else
			snprintf(errbuf, errlen, "expected %s, got %s",
				 irx_param_type_name(decl->type), json_type_label(value));
		return -1;
	}
	if (decl->allowed_pattern) {
		char why[256] = "";

		if (irx_param_pattern_compile(decl->allowed_pattern, &re, why, sizeof(why)) < 0) {
			snprintf(errbuf, errlen, "invalid allowedPattern '%s': %s",
				 decl->allowed_pattern, why);
			return -1;
		}
		have_re = true;
	}
	if (json_object_is_type(value, json_type_array)) {
		size_t n = json_object_array_length(value);

		if (decl->min_items >= 0 && n < (size_t)decl->min_items) {
			snprintf(errbuf, errlen, "%zu item%s, fewer than minItems %ld", n,
				 n == 1 ? "" : "s", decl->min_items);
			goto out;
		}
		if (decl->max_items >= 0 && n > (size_t)decl->max_items) {
			snprintf(errbuf, errlen, "%zu item%s, more than maxItems %ld", n,
				 n == 1 ? "" : "s", decl->max_items);
			goto out;
		}
		if (decl->type == IRX_PARAM_STRING_LIST)
			for (size_t i = 0; i < n; i++)
				if (check_scalar(decl,
						 json_object_get_string(
							 json_object_array_get_idx(value, i)),
						 have_re ? &re : NULL, errbuf, errlen) < 0)
					goto out;
	} else if (scalar_text(value) &&
		   check_scalar(decl, scalar_text(value), have_re ? &re : NULL, errbuf, errlen) <
			   0) {
		goto out;
	}
	rc = 0;
out:
	if (have_re)
		regfree(&re);
	return rc;
}

/* --- converting ---------------------------------------------------------- */

static struct json_object *parse_json(const char *text, json_type want, const char *what,
				      char *errbuf, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *v = NULL;
	size_t len = strlen(text);

	v = json_tokener_parse_ex(tok, text, (int)len);
	if (!v || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		/* trailing whitespace is fine; anything else is not */
		size_t end = v ? json_tokener_get_parse_end(tok) : 0;

		while (v && end < len && strchr(" \t\r\n", text[end]))
			end++;
		if (!v || end != len || json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(v);
			v = NULL;
			snprintf(errbuf, errlen, "'%s' is not %s in JSON", text, what);
		}
	}
	json_tokener_free(tok);
	if (v && !json_object_is_type(v, want)) {
		snprintf(errbuf, errlen, "'%s' is not %s in JSON", text, what);
		json_object_put(v);
		v = NULL;
	}
	return v;
}

static struct json_object *split_list(const char *text)
{
	struct json_object *arr = json_object_new_array();
	const char *p = text;

	if (!*text)
		return arr;
	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *b = p;

		while (b < end && (*b == ' ' || *b == '\t'))
			b++;
		while (end > b && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		json_object_array_add(arr, json_object_new_string_len(b, (int)(end - b)));
		if (!comma)
			break;
		p = comma + 1;
	}
	return arr;
}

struct json_object *irx_param_convert(const struct irx_param_decl *decl, const char *text,
				      char *errbuf, size_t errlen)
{
	const char *t = text;

	while (*t == ' ' || *t == '\t' || *t == '\n')
		t++;
	switch (decl->type) {
	case IRX_PARAM_STRING:
		return json_object_new_string(text);
	case IRX_PARAM_STRING_LIST: {
		struct json_object *v = NULL;

		if (*t != '[')
			return split_list(text);
		v = parse_json(text, json_type_array, "a list", errbuf, errlen);
		if (v && !has_type(IRX_PARAM_STRING_LIST, v)) {
			snprintf(errbuf, errlen, "'%s' is not a list of strings", text);
			json_object_put(v);
			v = NULL;
		}
		return v;
	}
	case IRX_PARAM_INTEGER: {
		char *end = NULL;
		long long n = 0;

		errno = 0;
		n = strtoll(text, &end, 10);
		if (!*text || *end || errno == ERANGE || text[0] == ' ' || text[0] == '+') {
			snprintf(errbuf, errlen, "'%s' is not an integer", text);
			return NULL;
		}
		return json_object_new_int64(n);
	}
	case IRX_PARAM_BOOLEAN:
		if (strcasecmp(text, "true") == 0)
			return json_object_new_boolean(1);
		if (strcasecmp(text, "false") == 0)
			return json_object_new_boolean(0);
		snprintf(errbuf, errlen, "'%s' is not a boolean (true or false)", text);
		return NULL;
	case IRX_PARAM_MAP_LIST: {
		struct json_object *v = parse_json(text, json_type_array, "a list", errbuf,
						   errlen);

		if (v && !has_type(IRX_PARAM_MAP_LIST, v)) {
			snprintf(errbuf, errlen, "'%s' is not a list of maps", text);
			json_object_put(v);
			v = NULL;
		}
		return v;
	}
	case IRX_PARAM_STRING_MAP:
		return parse_json(text, json_type_object, "a map", errbuf, errlen);
	case IRX_PARAM_ANY: {
		struct json_tokener *tok = json_tokener_new();
		struct json_object *v = json_tokener_parse_ex(tok, text, (int)strlen(text));

		if (!v || json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(v);
			v = json_object_new_string(text);
		}
		json_tokener_free(tok);
		return v;
	}
	}
	snprintf(errbuf, errlen, "parameter '%s' has no valid type", decl->name);
	return NULL;
}

/* --- binding ------------------------------------------------------------- */

struct json_object *irx_params_bind(const struct irx_runbook *rb, const char *const *assignments,
				    size_t count, struct irx_diags *diags)
{
	struct json_object *out = json_object_new_object();
	size_t before = diags->count;
	char err[1024] = "";

	for (size_t i = 0; i < count; i++) {
		const char *a = assignments[i], *eq = strchr(a, '=');
		char *name = NULL;
		const struct irx_param_decl *decl = NULL;
		struct json_object *v = NULL;

		if (!eq || eq == a) {
			irx_diags_add(diags, NULL, "invalid parameter '%s': use Name=Value", a);
			continue;
		}
		name = irx_xstrndup(a, (size_t)(eq - a));
		decl = irx_runbook_param(rb, name);
		if (!decl)
			irx_diags_add(diags, NULL, "unknown parameter '%s' for runbook '%s'", name,
				      rb->name);
		else if (json_object_object_get_ex(out, name, NULL))
			irx_diags_add(diags, NULL, "parameter '%s' is given more than once", name);
		else if (!(v = irx_param_convert(decl, eq + 1, err, sizeof(err))))
			irx_diags_add(diags, NULL, "parameter '%s': %s", name, err);
		else if (irx_param_check(decl, v, err, sizeof(err)) < 0) {
			irx_diags_add(diags, NULL, "parameter '%s': %s", name, err);
			json_object_put(v);
		} else
			json_object_object_add(out, name, v);
		free(name);
	}
	for (size_t i = 0; i < rb->param_count; i++) {
		const struct irx_param_decl *decl = &rb->params[i];
		struct json_object *v = NULL;

		if (json_object_object_get_ex(out, decl->name, NULL))
			continue;
		if (!decl->default_value) {
			irx_diags_add(diags, NULL, "missing required parameter '%s' (%s)",
				      decl->name, irx_param_type_name(decl->type));
			continue;
		}
		v = irx_node_to_json(decl->default_value);
		if (irx_param_check(decl, v, err, sizeof(err)) < 0) {
			irx_diags_add(diags, decl->default_value, "default of parameter '%s': %s",
				      decl->name, err);
			json_object_put(v);
			continue;
		}
		json_object_object_add(out, decl->name, v);
	}
	if (diags->count != before) {
		json_object_put(out);
		return NULL;
	}
	return out;
}
