/* SPDX-License-Identifier: Apache-2.0 */
/* The ~/.aws INI dialect: see ini.h for the rules. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aws/ini.h"
#include "util.h"

struct ini_entry {
	char *key;
	char *value;
};

struct ini_section {
	char *name;
	struct ini_entry *entries;
	size_t count, cap;
};

struct irx_ini {
	struct ini_section *sections;
	size_t count, cap;
};

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void irx_ini_free(struct irx_ini *ini)
{
	if (!ini)
		return;
	for (size_t i = 0; i < ini->count; i++) {
		struct ini_section *s = &ini->sections[i];

		for (size_t j = 0; j < s->count; j++) {
			free(s->entries[j].key);
			wipe_free(s->entries[j].value);
		}
		free(s->entries);
		free(s->name);
	}
	free(ini->sections);
	free(ini);
}

static struct ini_section *find_section(const struct irx_ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->count; i++)
		if (strcmp(ini->sections[i].name, name) == 0)
			return &ini->sections[i];
	return NULL;
}

static struct ini_entry *find_entry(const struct ini_section *s, const char *key)
{
	for (size_t j = 0; j < s->count; j++)
		if (strcmp(s->entries[j].key, key) == 0)
			return &s->entries[j];
	return NULL;
}

/* The section index (sections may move when the array grows). */
static size_t section_get(struct irx_ini *ini, const char *name, size_t len)
{
	char *n = irx_xstrndup(name, len);
	struct ini_section *s = find_section(ini, n);

	if (s) {
		free(n);
		return (size_t)(s - ini->sections);
	}
	if (ini->count == ini->cap) {
		ini->cap = ini->cap ? 2 * ini->cap : 8;
		ini->sections = irx_xrealloc(ini->sections, ini->cap * sizeof(*ini->sections));
	}
	memset(&ini->sections[ini->count], 0, sizeof(ini->sections[0]));
	ini->sections[ini->count].name = n;
	return ini->count++;
}

/* Sets key (owned by the call) to value (owned), replacing an earlier value. */
static struct ini_entry *entry_set(struct ini_section *s, char *key, char *value)
{
	struct ini_entry *e = find_entry(s, key);

	if (e) {
		free(key);
		wipe_free(e->value);
		e->value = value;
		return e;
	}
	if (s->count == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->entries = irx_xrealloc(s->entries, s->cap * sizeof(*s->entries));
	}
	s->entries[s->count].key = key;
	s->entries[s->count].value = value;
	return &s->entries[s->count++];
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **b, const char **e)
{
	while (*b < *e && is_blank(**b))
		(*b)++;
	while (*e > *b && is_blank((*e)[-1]))
		(*e)--;
}

static char *lower_dup(const char *s, size_t n)
{
	char *k = irx_xstrndup(s, n);

	for (char *p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return k;
}

struct irx_ini *irx_ini_parse(const char *text, size_t len, const char *name, struct irx_error *err)
{
	struct irx_ini *ini = irx_xcalloc(1, sizeof(*ini));
	const char *p = text, *end = text + len;
	unsigned line = 0;
	size_t cur = (size_t)-1;      /* current section index */
	char *parent = NULL;	      /* key whose indented lines follow (owned copy) */
	bool parent_subprops = false; /* its value was empty: indented lines are "k = v" */
	const char *what = NULL;

	if (memchr(text, '\0', len)) {
		irx_error_set(err, IRX_ERR_PARSE, "%s: contains a NUL byte", name);
		goto fail_noline;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* UTF-8 byte order mark */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *b = p, *e = eol ? eol : end;
		bool indented = b < e && is_blank(*b);

		line++;
		p = eol ? eol + 1 : end;
		trim(&b, &e);
		if (b == e || *b == '#' || *b == ';')
			continue;
		if (indented && parent && cur != (size_t)-1) {
			struct ini_section *s = &ini->sections[cur];

			if (parent_subprops) {
				const char *eq = memchr(b, '=', (size_t)(e - b));
				const char *kb = b, *ke = eq, *vb = eq ? eq + 1 : NULL, *ve = e;

				if (!eq) {
					what = "expected 'key = value' in the nested block";
					goto fail;
				}
				trim(&kb, &ke);
				trim(&vb, &ve);
				if (kb == ke) {
					what = "missing key before '='";
					goto fail;
				}
				{
					char *sub = lower_dup(kb, (size_t)(ke - kb));
					char *key = irx_xasprintf("%s.%s", parent, sub);

					free(sub);
					entry_set(s, key, irx_xstrndup(vb, (size_t)(ve - vb)));
				}
			} else {
				struct ini_entry *pe = find_entry(s, parent);
				char *v = irx_xasprintf("%s\n%.*s", pe->value, (int)(e - b), b);

				wipe_free(pe->value);
				pe->value = v;
			}
			continue;
		}
		free(parent);
		parent = NULL;
		if (*b == '[') {
			const char *close = memchr(b, ']', (size_t)(e - b));
			const char *nb = b + 1, *ne = close, *rest = close ? close + 1 : NULL;

			if (!close) {
				what = "missing ']' in the section header";
				goto fail;
			}
			while (rest < e && is_blank(*rest))
				rest++;
			if (rest < e && *rest != '#' && *rest != ';') {
				what = "unexpected text after the section header";
				goto fail;
			}
			trim(&nb, &ne);
			if (nb == ne) {
				what = "empty section name";
				goto fail;
			}
			cur = section_get(ini, nb, (size_t)(ne - nb));
			continue;
		}
		{
			const char *eq = memchr(b, '=', (size_t)(e - b));
			const char *kb = b, *ke = eq, *vb = eq ? eq + 1 : NULL, *ve = e;
			struct ini_entry *ent;

			if (!eq) {
				what = "expected '[section]' or 'key = value'";
				goto fail;
			}
			trim(&kb, &ke);
			trim(&vb, &ve);
			if (kb == ke) {
				what = "missing key before '='";
				goto fail;
			}
			if (cur == (size_t)-1) {
				what = "'key = value' before any [section]";
				goto fail;
			}
			ent = entry_set(&ini->sections[cur], lower_dup(kb, (size_t)(ke - kb)),
					irx_xstrndup(vb, (size_t)(ve - vb)));
			parent = irx_xstrdup(ent->key);
			parent_subprops = vb == ve;
		}
	}
	free(parent);
	return ini;
fail:
	irx_error_set(err, IRX_ERR_PARSE, "%s:%u: %s", name, line, what);
fail_noline:
	free(parent);
	irx_ini_free(ini);
	return NULL;
}

const char *irx_ini_get(const struct irx_ini *ini, const char *section, const char *key)
{
	const struct ini_section *s = ini ? find_section(ini, section) : NULL;
	const struct ini_entry *e = s ? find_entry(s, key) : NULL;

	return e ? e->value : NULL;
}

bool irx_ini_has_section(const struct irx_ini *ini, const char *section)
{
	return ini && find_section(ini, section) != NULL;
}

size_t irx_ini_section_count(const struct irx_ini *ini)
{
	return ini ? ini->count : 0;
}
