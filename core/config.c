/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx.yaml: reading and checking. Structure first (keys, types), then meaning (account ids,
 * regions, role templates, ExternalIds, cron expressions, rule conditions); every problem is a
 * located diagnostic and all of them are reported, like runbooks (runbook.c).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "arn.h"
#include "aws/client.h"
#include "diag.h"
#include "events.h"
#include "exceptions.h"
#include "node.h"
#include "util.h"

#define MAX_CONFIG_BYTES (1024u * 1024)

/* --- small checks ------------------------------------------------------------------------- */

static const char *article(const char *type)
{
	return strchr("aeiou", type[0]) ? "an" : "a";
}

static void check_keys(struct irx_diags *d, const struct irx_node *map, const char *const *allowed,
		       const char *what)
{
	for (size_t i = 0; i < map->count; i++) {
		const char *key = map->keys[i]->value;
		const char *near = NULL;
		bool ok = false;

		for (size_t k = 0; allowed[k] && !ok; k++) {
			ok = strcmp(allowed[k], key) == 0;
			if (!ok && strcasecmp(allowed[k], key) == 0)
				near = allowed[k];
		}
		if (ok)
			continue;
		if (near)
			irx_diags_add(d, map->keys[i],
				      "unknown key '%s' in %s (did you mean '%s'?)", key, what,
				      near);
		else
			irx_diags_add(d, map->keys[i], "unknown key '%s' in %s", key, what);
	}
}

static bool expect_kind(struct irx_diags *d, const char *key, const struct irx_node *n,
			enum irx_node_kind kind)
{
	const char *want = kind == IRX_NODE_MAP ? "map" : kind == IRX_NODE_SEQ ? "list" : "string";

	if (n->kind == kind)
		return true;
	irx_diags_add(d, n, "'%s' must be %s %s, got %s", key, article(want), want,
		      irx_node_type_name(n));
	return false;
}

/* A non-empty scalar's text (numbers too: account ids are often unquoted), or NULL. */
static const char *scalar(struct irx_diags *d, const char *key, const struct irx_node *n)
{
	if (n->kind != IRX_NODE_SCALAR || irx_node_is_null(n)) {
		irx_diags_add(d, n, "'%s' must be a string, got %s", key, irx_node_type_name(n));
		return NULL;
	}
	if (n->len != strlen(n->value) || n->len == 0) {
		irx_diags_add(d, n, "'%s' must be a non-empty string without NUL characters", key);
		return NULL;
	}
	return n->value;
}

static bool boolean(struct irx_diags *d, const char *key, const struct irx_node *n, bool *out)
{
	if (strcmp(irx_node_type_name(n), "boolean") != 0) {
		irx_diags_add(d, n, "'%s' must be a boolean, got %s", key, irx_node_type_name(n));
		return false;
	}
	*out = strcasecmp(n->value, "true") == 0;
	return true;
}

/* A string or a list of strings into a new array (count in *n); NULL on error. */
static const char **str_list(struct irx_diags *d, const char *key, const struct irx_node *n,
			     size_t *count)
{
	const char **out = NULL;
	size_t k = 0;

	*count = 0;
	if (n->kind == IRX_NODE_SCALAR) {
		const char *s = scalar(d, key, n);

		if (!s)
			return NULL;
		out = irx_xcalloc(2, sizeof(*out));
		out[0] = s;
		*count = 1;
		return out;
	}
	if (!expect_kind(d, key, n, IRX_NODE_SEQ))
		return NULL;
	if (n->count == 0) {
		irx_diags_add(d, n, "'%s' must not be empty", key);
		return NULL;
	}
	out = irx_xcalloc(n->count + 1, sizeof(*out));
	for (size_t i = 0; i < n->count; i++) {
		const char *s = scalar(d, key, n->items[i]);

		if (s)
			out[k++] = s;
	}
	if (k != n->count) {
		free(out);
		return NULL;
	}
	*count = k;
	return out;
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool account_id_ok(struct irx_diags *d, const struct irx_node *n, const char *s)
{
	if (all_digits(s, 12))
		return true;
	irx_diags_add(d, n,
		      "invalid account id '%s': an AWS account id is 12 digits "
		      "(quote it in YAML to keep leading zeros)",
		      s);
	return false;
}

/* us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-4. */
static bool region_ok(const char *s)
{
	size_t n = strlen(s), dashes = 0;

	if (n < 6 || n > 31 || !islower((unsigned char)s[0]) || !isdigit((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-') {
			if (s[i + 1] == '-' || s[i + 1] == '\0')
				return false;
			dashes++;
		} else if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return dashes >= 2;
}

static bool check_region(struct irx_diags *d, const struct irx_node *n, const char *s)
{
	if (region_ok(s))
		return true;
	irx_diags_add(d, n, "invalid region '%s' (expected a region code such as 'us-east-1')", s);
	return false;
}

/* STS: 2-1224 characters of [\w+=,.@:/-]. */
static bool check_external_id(struct irx_diags *d, const struct irx_node *n, const char *s)
{
	size_t len = strlen(s);

	if (len < 2 || len > 1224) {
		irx_diags_add(d, n, "'external_id' must be 2 to 1224 characters, got %zu", len);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && !strchr("_+=,.@:/-", c)) {
			irx_diags_add(d, n,
				      "'external_id' may contain only letters, digits and "
				      "_+=,.@:/- (STS's rule), got '%c'",
				      c);
			return false;
		}
	}
	return true;
}

/* Environment variable names, SSM parameter names. */
static bool env_name_ok(const char *s)
{
	if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool ssm_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 1011)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-/", s[i]))
			return false;
	return true;
}

/* --- durations and cron ------------------------------------------------------------------- */

int irx_duration_parse(const char *s, long long *seconds)
{
	long long total = 0;
	bool any = false;

	if (!s || !*s)
		return -1;
	while (*s) {
		long long v = 0, mult = 1;
		const char *start = s;

		while (isdigit((unsigned char)*s)) {
			if (v > 100000000000LL)
				return -1;
			v = v * 10 + (*s++ - '0');
		}
		if (s == start)
			return -1;
		switch (*s) {
		case '\0':
			if (any) /* "1h30" is ambiguous */
				return -1;
			break;
		case 's':
			s++;
			break;
		case 'm':
			mult = 60;
			s++;
			break;
		case 'h':
			mult = 3600;
			s++;
			break;
		case 'd':
			mult = 86400;
			s++;
			break;
		default:
			return -1;
		}
		total += v * mult;
		any = true;
	}
	*seconds = total;
	return 0;
}

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct cron_field {
	const char *name;
	int min, max;
	const char *const *names; /* names[i] is min + i */
	int name_count;
};

static const struct cron_field cron_fields[] = {
    {"minute", 0, 59, NULL, 0},		 {"hour", 0, 23, NULL, 0},
    {"day-of-month", 1, 31, NULL, 0},	 {"month", 1, 12, month_names, 12},
    {"day-of-week", 0, 7, dow_names, 7},
};

/* A value (number or name) in [f->min, f->max]; advances *p. */
static int cron_value(const struct cron_field *f, const char **p, int *out, char *why,
		      size_t whylen, const char *item)
{
	const char *s = *p;
	long v = 0;

	if (isdigit((unsigned char)*s)) {
		char *end = NULL;

		v = strtol(s, &end, 10);
		if (end - s > 4)
			v = 100000;
		*p = end;
	} else if (isalpha((unsigned char)*s) && f->names) {
		int i = 0;

		for (; i < f->name_count; i++)
			if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3]))
				break;
		if (i == f->name_count) {
			snprintf(why, whylen, "%s '%s' has an unknown name", f->name, item);
			return -1;
		}
		v = f->min + i;
		*p = s + 3;
	} else {
		snprintf(why, whylen, "%s '%s' is not a number%s", f->name, item,
			 f->names ? " or a name" : "");
		return -1;
	}
	if (v < f->min || v > f->max) {
		snprintf(why, whylen, "%s '%s' is out of range %d-%d", f->name, item, f->min,
			 f->max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int cron_item(const struct cron_field *f, const char *item, char *why, size_t whylen)
{
	const char *p = item;
	int lo = 0, hi = 0;

	if (*p == '*') {
		p++;
	} else {
		if (cron_value(f, &p, &lo, why, whylen, item) < 0)
			return -1;
		if (*p == '-') {
			p++;
			if (cron_value(f, &p, &hi, why, whylen, item) < 0)
				return -1;
			if (hi < lo) {
				snprintf(why, whylen, "%s range '%s' runs backwards", f->name,
					 item);
				return -1;
			}
		}
	}
	if (*p == '/') {
		char *end = NULL;
		long step = 0;

		p++;
		step = isdigit((unsigned char)*p) ? strtol(p, &end, 10) : 0;
		if (step < 1 || step > f->max || !end || *end) {
			snprintf(why, whylen, "%s step in '%s' must be 1-%d", f->name, item,
				 f->max);
			return -1;
		}
		return 0;
	}
	if (*p) {
		snprintf(why, whylen, "%s '%s' is not a value, range, list or step", f->name, item);
		return -1;
	}
	return 0;
}

int irx_cron_check(const char *expr, char *why, size_t whylen)
{
	static const char *const macros[] = {"@hourly",	 "@daily",  "@midnight", "@weekly",
					     "@monthly", "@yearly", "@annually", NULL};
	char *copy = NULL, *save = NULL, *field = NULL;
	char *fields[6] = {0};
	size_t n = 0;
	int rc = -1;

	if (expr[0] == '@') {
		for (size_t i = 0; macros[i]; i++)
			if (strcmp(expr, macros[i]) == 0)
				return 0;
		snprintf(why, whylen,
			 "unknown macro '%s' (use @hourly, @daily, @weekly, @monthly "
			 "or @yearly)",
			 expr);
		return -1;
	}
	copy = irx_xstrdup(expr);
	for (field = strtok_r(copy, " \t", &save); field; field = strtok_r(NULL, " \t", &save)) {
		if (n == 6)
			break;
		fields[n++] = field;
	}
	if (n != 5) {
		snprintf(why, whylen,
			 "expected 5 fields (minute hour day-of-month month "
			 "day-of-week), got %s%zu",
			 n == 6 ? "more than " : "", n == 6 ? 5 : n);
		goto out;
	}
	for (size_t i = 0; i < 5; i++) {
		char *save2 = NULL, *item = NULL;
		size_t len = strlen(fields[i]);

		if (fields[i][0] == ',' || fields[i][len - 1] == ',' || strstr(fields[i], ",,")) {
			snprintf(why, whylen, "%s '%s' has an empty list item", cron_fields[i].name,
				 fields[i]);
			goto out;
		}
		for (item = strtok_r(fields[i], ",", &save2); item;
		     item = strtok_r(NULL, ",", &save2))
			if (cron_item(&cron_fields[i], item, why, whylen) < 0)
				goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* --- role templates ----------------------------------------------------------------------- */

/*
 * Expands {{account}} and {{partition}} (spaces inside the braces allowed). Returns a new
 * string, or NULL with why set for an unknown or unterminated placeholder.
 */
static char *expand(const char *t, const char *account, const char *partition, char *why,
		    size_t whylen)
{
	size_t cap = strlen(t) + 64, len = 0;
	char *out = irx_xmalloc(cap);

	while (*t) {
		const char *val = NULL;

		if (t[0] == '{' && t[1] == '{') {
			const char *end = strstr(t, "}}");
			const char *a = t + 2, *b = NULL;

			if (!end) {
				snprintf(why, whylen, "unterminated '{{'");
				free(out);
				return NULL;
			}
			b = end;
			while (a < b && *a == ' ')
				a++;
			while (b > a && b[-1] == ' ')
				b--;
			if ((size_t)(b - a) == 7 && strncmp(a, "account", 7) == 0)
				val = account;
			else if ((size_t)(b - a) == 9 && strncmp(a, "partition", 9) == 0)
				val = partition;
			if (!val) {
				snprintf(why, whylen,
					 "unknown placeholder '%.*s' (use {{account}} or "
					 "{{partition}})",
					 (int)(end + 2 - t) > 64 ? 64 : (int)(end + 2 - t), t);
				free(out);
				return NULL;
			}
			t = end + 2;
		}
		if (val) {
			size_t vl = strlen(val);

			if (len + vl + 1 > cap)
				out = irx_xrealloc(out, cap = (len + vl + 1) * 2);
			memcpy(out + len, val, vl);
			len += vl;
			continue;
		}
		if (len + 2 > cap)
			out = irx_xrealloc(out, cap *= 2);
		out[len++] = *t++;
	}
	out[len] = '\0';
	return out;
}

/* IAM role names and paths: [\w+=,.@-] and '/' between segments. */
static bool role_name_ok(const char *s)
{
	size_t n = strlen(s);
	const char *last = strrchr(s, '/');

	if (n == 0 || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//"))
		return false;
	if (strlen(last ? last + 1 : s) > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_+=,.@-/", s[i]))
			return false;
	return true;
}

/* A role template expanded for (account, partition) to an ARN; NULL with why when invalid. */
static char *role_arn(const char *tmpl, const char *account, const char *partition, char *why,
		      size_t whylen)
{
	char *x = expand(tmpl, account, partition, why, whylen);
	char *arn_s = NULL;
	struct irx_arn arn;
	char e[128] = "";

	if (!x)
		return NULL;
	if (strncmp(x, "arn:", 4) != 0) {
		if (!role_name_ok(x)) {
			snprintf(why, whylen,
				 "'%s' is neither a role ARN nor a role name (letters, "
				 "digits, _+=,.@- and '/' between path segments, name at most 64)",
				 x);
			free(x);
			return NULL;
		}
		arn_s = irx_xasprintf("arn:%s:iam::%s:role/%s", partition, account, x);
		free(x);
		return arn_s;
	}
	if (irx_arn_parse(x, &arn, e, sizeof(e)) < 0) {
		snprintf(why, whylen, "'%s' is not an ARN: %s", x, e);
		free(x);
		return NULL;
	}
	if (strcmp(arn.service, "iam") != 0 || strcmp(arn.resource_type, "role") != 0 ||
	    !all_digits(arn.account, 12) || !role_name_ok(arn.resource_id)) {
		snprintf(why, whylen,
			 "'%s' is not an IAM role ARN "
			 "(arn:aws:iam::ACCOUNT:role/NAME)",
			 x);
		free(x);
		return NULL;
	}
	return x;
}

static const char **roles_of(struct irx_diags *d, const struct irx_node *n, size_t *count)
{
	const char **roles = str_list(d, "role", n, count);
	char why[512] = "";

	if (!roles)
		return NULL;
	if (*count > IRX_CONFIG_MAX_ROLE_CHAIN) {
		irx_diags_add(d, n, "a role chain has at most %d roles, got %zu",
			      IRX_CONFIG_MAX_ROLE_CHAIN, *count);
		free(roles);
		return NULL;
	}
	for (size_t i = 0; i < *count; i++) {
		char *x = role_arn(roles[i], "123456789012", "aws", why, sizeof(why));
		const struct irx_node *at = n->kind == IRX_NODE_SEQ ? n->items[i] : n;

		if (!x) {
			irx_diags_add(d, at, "invalid role: %s", why);
			free(roles);
			return NULL;
		}
		free(x);
	}
	return roles;
}

/* --- sections ----------------------------------------------------------------------------- */

static void read_defaults(struct irx_config *c, struct irx_diags *d, const struct irx_node *n)
{
	static const char *const keys[] = {"region", "case_id_prefix", "state_dir",
					   "role",   "external_id",    NULL};
	const struct irx_node *v = NULL;

	if (!expect_kind(d, "defaults", n, IRX_NODE_MAP))
		return;
	check_keys(d, n, keys, "'defaults'");
	if ((v = irx_node_get(n, "region")) && (c->default_region = scalar(d, "region", v)) &&
	    !check_region(d, v, c->default_region))
		c->default_region = NULL;
	if ((v = irx_node_get(n, "case_id_prefix")) &&
	    (c->case_id_prefix = scalar(d, "case_id_prefix", v))) {
		for (const char *p = c->case_id_prefix; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("_.:-", *p)) {
				irx_diags_add(d, v,
					      "'case_id_prefix' may contain only letters, "
					      "digits and _.:-");
				break;
			}
		if (strlen(c->case_id_prefix) > 32)
			irx_diags_add(d, v, "'case_id_prefix' must be at most 32 characters");
	}
	if ((v = irx_node_get(n, "state_dir")))
		c->state_dir = scalar(d, "state_dir", v);
	if ((v = irx_node_get(n, "role")))
		c->default_roles = roles_of(d, v, &c->default_role_count);
	if ((v = irx_node_get(n, "external_id")) &&
	    (c->default_external_id = scalar(d, "external_id", v)))
		check_external_id(d, v, c->default_external_id);
}

static void read_account(struct irx_config *c, struct irx_diags *d, const struct irx_node *n,
			 struct irx_config_account *a)
{
	static const char *const keys[] = {"id",	  "name",	  "regions", "role",
					   "external_id", "session_tags", NULL};
	const struct irx_node *v = NULL;
	char what[64] = "";

	a->node = n;
	if (!expect_kind(d, "accounts[]", n, IRX_NODE_MAP))
		return;
	if (!(v = irx_node_get(n, "id"))) {
		irx_diags_add(d, n, "account is missing 'id'");
	} else if ((a->id = scalar(d, "id", v)) && account_id_ok(d, v, a->id)) {
		for (size_t i = 0; i < c->account_count; i++)
			if (c->accounts[i].id && &c->accounts[i] != a &&
			    strcmp(c->accounts[i].id, a->id) == 0)
				irx_diags_add(d, v,
					      "account '%s' is listed twice (first at line %u)",
					      a->id, c->accounts[i].node->line);
	}
	snprintf(what, sizeof(what), "account '%s'", a->id ? a->id : "?");
	check_keys(d, n, keys, what);
	if ((v = irx_node_get(n, "name")))
		a->name = scalar(d, "name", v);
	if ((v = irx_node_get(n, "regions"))) {
		if (v->kind == IRX_NODE_SCALAR && strcmp(v->value, "all") == 0) {
			a->all_regions = true;
		} else if ((a->regions = str_list(d, "regions", v, &a->region_count))) {
			for (size_t i = 0; i < a->region_count; i++) {
				const struct irx_node *at =
				    v->kind == IRX_NODE_SEQ ? v->items[i] : v;

				if (strcmp(a->regions[i], "all") == 0)
					irx_diags_add(d, at,
						      "'all' must be the whole value of "
						      "'regions', not a list item");
				else
					check_region(d, at, a->regions[i]);
			}
		}
	}
	if ((v = irx_node_get(n, "role")))
		a->roles = roles_of(d, v, &a->role_count);
	if ((v = irx_node_get(n, "external_id")) && (a->external_id = scalar(d, "external_id", v)))
		check_external_id(d, v, a->external_id);
	if ((v = irx_node_get(n, "session_tags")) &&
	    expect_kind(d, "session_tags", v, IRX_NODE_MAP)) {
		if (v->count > 50)
			irx_diags_add(d, v, "at most 50 session tags, got %zu", v->count);
		a->session_tags = irx_xcalloc(v->count + 1, sizeof(*a->session_tags));
		for (size_t i = 0; i < v->count; i++) {
			const char *key = v->keys[i]->value;
			const char *val =
			    v->items[i]->kind == IRX_NODE_SCALAR ? v->items[i]->value : NULL;

			if (!val || irx_node_is_null(v->items[i])) {
				irx_diags_add(d, v->items[i],
					      "session tag '%s' must be a string, "
					      "got %s",
					      key, irx_node_type_name(v->items[i]));
				continue;
			}
			if (strlen(key) < 1 || strlen(key) > 128 || strlen(val) > 256) {
				irx_diags_add(d, v->keys[i],
					      "session tag '%s': keys are 1-128 "
					      "characters, values at most 256",
					      key);
				continue;
			}
			a->session_tags[a->session_tag_count].key = key;
			a->session_tags[a->session_tag_count++].value = val;
		}
	}
}

static void read_exceptions(struct irx_config *c, struct irx_diags *d, const struct irx_node *n)
{
	static const char *const keys[] = {"tag_key", "registry", NULL};
	const struct irx_node *v = NULL;

	if (!expect_kind(d, "exceptions", n, IRX_NODE_MAP))
		return;
	check_keys(d, n, keys, "'exceptions'");
	if ((v = irx_node_get(n, "tag_key"))) {
		const char *s = scalar(d, "tag_key", v);

		if (s && (strlen(s) > 127 || strncasecmp(s, "aws:", 4) == 0))
			irx_diags_add(d, v,
				      "'tag_key' must be 1-127 characters and not start "
				      "with 'aws:'");
		else if (s)
			c->exception_tag = s;
	}
	if ((v = irx_node_get(n, "registry")) &&
	    (c->exception_registry = scalar(d, "registry", v))) {
		if (strncmp(c->exception_registry, "ssm:", 4) == 0 &&
		    !ssm_name_ok(c->exception_registry + 4))
			irx_diags_add(d, v, "'registry' must be a file or ssm:PARAMETER-NAME");
	}
}

static void read_events(struct irx_config *c, struct irx_diags *d, const struct irx_node *n)
{
	static const char *const keys[] = {"external_id", "dedupe_window", "default_rules", NULL};
	const struct irx_node *v = NULL;

	if (!expect_kind(d, "events", n, IRX_NODE_MAP))
		return;
	check_keys(d, n, keys, "'events'");
	/* not an STS ExternalId but a shared value in SNS messages: the seed's "123xyz*&^" is fine
	 */
	if ((v = irx_node_get(n, "external_id")) &&
	    (c->sns_external_id = scalar(d, "external_id", v))) {
		for (const char *p = c->sns_external_id; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				irx_diags_add(d, v,
					      "'external_id' must not contain control "
					      "characters");
				break;
			}
		if (strlen(c->sns_external_id) > 1224)
			irx_diags_add(d, v, "'external_id' must be at most 1224 characters");
	}
	if ((v = irx_node_get(n, "dedupe_window"))) {
		const char *s = scalar(d, "dedupe_window", v);
		long long secs = 0;

		if (s && (irx_duration_parse(s, &secs) < 0 || secs > 30LL * 86400))
			irx_diags_add(d, v,
				      "'dedupe_window' must be a duration up to 30d such as "
				      "'1h', '30m' or '90s' (0 turns it off), got '%s'",
				      s);
		else if (s)
			c->dedupe_window_s = secs;
	}
	if ((v = irx_node_get(n, "default_rules")))
		boolean(d, "default_rules", v, &c->default_rules);
}

static bool env_or_ssm(struct irx_diags *d, const struct irx_node *ch, const char *what,
		       const char *env_key, const char *ssm_key, const char **env, const char **ssm)
{
	const struct irx_node *e = irx_node_get(ch, env_key), *s = irx_node_get(ch, ssm_key);

	if (e && (*env = scalar(d, env_key, e)) && !env_name_ok(*env))
		irx_diags_add(d, e, "'%s' must be an environment variable name, got '%s'", env_key,
			      *env);
	if (s && (*ssm = scalar(d, ssm_key, s)) && !ssm_name_ok(*ssm))
		irx_diags_add(d, s, "'%s' must be an SSM parameter name, got '%s'", ssm_key, *ssm);
	if (e && s) {
		irx_diags_add(d, s, "give one of '%s' and '%s' for the %s, not both", env_key,
			      ssm_key, what);
		return false;
	}
	return e || s;
}

static void read_channel(struct irx_config *c, struct irx_diags *d, const struct irx_node *n,
			 struct irx_config_channel *ch)
{
	static const char *const sns_keys[] = {"name", "type", "topic_arn", NULL};
	static const char *const slack_keys[] = {"name", "type", "webhook_env", "webhook_ssm",
						 NULL};
	static const char *const webhook_keys[] = {"name",    "type",	    "url",	  "url_env",
						   "url_ssm", "secret_env", "secret_ssm", NULL};
	const struct irx_node *v = NULL;
	const char *type = NULL;
	char what[160] = "";

	ch->node = n;
	if (!expect_kind(d, "notifications[]", n, IRX_NODE_MAP))
		return;
	if (!(v = irx_node_get(n, "name")))
		irx_diags_add(d, n, "notification channel is missing 'name'");
	else if ((ch->name = scalar(d, "name", v)))
		for (size_t i = 0; i < c->channel_count; i++)
			if (&c->channels[i] != ch && c->channels[i].name &&
			    strcmp(c->channels[i].name, ch->name) == 0)
				irx_diags_add(d, v, "notification channel '%s' is defined twice",
					      ch->name);
	snprintf(what, sizeof(what), "notification channel '%s'", ch->name ? ch->name : "?");
	if (!(v = irx_node_get(n, "type"))) {
		irx_diags_add(d, n, "%s is missing 'type' (sns, slack or webhook)", what);
		return;
	}
	if (!(type = scalar(d, "type", v)))
		return;
	if (strcmp(type, "sns") == 0) {
		struct irx_arn arn;
		char why[128] = "";

		ch->type = IRX_CHANNEL_SNS;
		check_keys(d, n, sns_keys, what);
		if (!(v = irx_node_get(n, "topic_arn")))
			irx_diags_add(d, n, "%s is missing 'topic_arn'", what);
		else if ((ch->topic_arn = scalar(d, "topic_arn", v)) &&
			 (irx_arn_parse(ch->topic_arn, &arn, why, sizeof(why)) < 0 ||
			  strcmp(arn.service, "sns") != 0 || !arn.region[0] ||
			  !all_digits(arn.account, 12) || strchr(arn.resource, ':')))
			irx_diags_add(d, v,
				      "'topic_arn' must be an SNS topic ARN "
				      "(arn:aws:sns:REGION:ACCOUNT:NAME), got '%s'",
				      ch->topic_arn);
	} else if (strcmp(type, "slack") == 0) {
		ch->type = IRX_CHANNEL_SLACK;
		if ((v = irx_node_get(n, "url")) || (v = irx_node_get(n, "webhook_url")) ||
		    (v = irx_node_get(n, "webhook"))) {
			irx_diags_add(d, v,
				      "a Slack webhook URL is a secret and is never written "
				      "in the configuration: name it with 'webhook_env' or "
				      "'webhook_ssm'");
			return;
		}
		check_keys(d, n, slack_keys, what);
		if (!env_or_ssm(d, n, "webhook URL", "webhook_env", "webhook_ssm", &ch->webhook_env,
				&ch->webhook_ssm))
			if (!irx_node_get(n, "webhook_env"))
				irx_diags_add(d, n, "%s needs 'webhook_env' or 'webhook_ssm'",
					      what);
	} else if (strcmp(type, "webhook") == 0) {
		const struct irx_node *u = irx_node_get(n, "url");
		const char *env = NULL, *ssm = NULL;
		bool named = false;

		ch->type = IRX_CHANNEL_WEBHOOK;
		check_keys(d, n, webhook_keys, what);
		named = env_or_ssm(d, n, "URL", "url_env", "url_ssm", &ch->url_env, &ch->url_ssm);
		if (u && named)
			irx_diags_add(d, u,
				      "give one of 'url', 'url_env' and 'url_ssm', not several");
		else if (!u && !named)
			irx_diags_add(d, n, "%s needs 'url', 'url_env' or 'url_ssm'", what);
		if (u && (ch->url = scalar(d, "url", u))) {
			if (strncmp(ch->url, "https://", 8) != 0 &&
			    strncmp(ch->url, "http://", 7) != 0)
				irx_diags_add(d, u, "'url' must be an http:// or https:// URL");
			else if (strstr(ch->url, "hooks.slack.com"))
				irx_diags_add(d, u,
					      "a Slack webhook URL is a secret: use a 'slack' "
					      "channel with 'webhook_env' or 'webhook_ssm'");
			else if (strchr(ch->url, '@'))
				irx_diags_add(d, u,
					      "'url' must not carry credentials: use 'url_env' "
					      "or 'url_ssm'");
		}
		env_or_ssm(d, n, "signing secret", "secret_env", "secret_ssm", &env, &ssm);
		ch->secret_env = env;
		ch->secret_ssm = ssm;
	} else {
		irx_diags_add(d, v, "unknown notification type '%s' (sns, slack or webhook)", type);
	}
}

static const char **keep_list(struct irx_config *c, const char **list)
{
	c->lists = irx_xrealloc(c->lists, (c->list_count + 1) * sizeof(*c->lists));
	c->lists[c->list_count++] = list;
	return list;
}

static const char *const source_names[] = {"guardduty", "securityhub", "sns", "arn", NULL};

static bool parse_severity(const struct irx_node *v, double *out)
{
	static const struct {
		const char *name;
		double value;
	} labels[] = {
	    {"informational", 0}, {"low", 1}, {"medium", 4}, {"high", 7}, {"critical", 9}};
	char *end = NULL;
	double x = 0;

	if (v->kind != IRX_NODE_SCALAR || irx_node_is_null(v))
		return false;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcasecmp(v->value, labels[i].name) == 0) {
			*out = labels[i].value;
			return true;
		}
	errno = 0;
	x = strtod(v->value, &end);
	if (errno || end == v->value || *end || !(x >= 0 && x <= 10))
		return false;
	*out = x;
	return true;
}

static void read_match(struct irx_config *c, struct irx_diags *d, const struct irx_node *m,
		       struct irx_route_rule *r, const char *what)
{
	static const char *const keys[] = {"finding_type", "min_severity", "resource_type",
					   "source",	   "account",	   NULL};
	const struct irx_node *v = NULL;
	const char **list = NULL;
	size_t n = 0;

	if (!expect_kind(d, "match", m, IRX_NODE_MAP))
		return;
	check_keys(d, m, keys, what);
	if ((v = irx_node_get(m, "finding_type")) && (list = str_list(d, "finding_type", v, &n)))
		r->finding_types = keep_list(c, list);
	if ((v = irx_node_get(m, "min_severity"))) {
		if (parse_severity(v, &r->min_severity))
			r->has_min_severity = true;
		else
			irx_diags_add(d, v,
				      "'min_severity' must be a number from 0 to 10 or one of "
				      "low, medium, high, critical");
	}
	if ((v = irx_node_get(m, "resource_type")) &&
	    (list = str_list(d, "resource_type", v, &n))) {
		for (size_t i = 0; i < n; i++) {
			enum irx_entity_kind k = irx_entity_kind_parse(list[i]);

			if (!k || k == IRX_ENTITY_OTHER)
				irx_diags_add(d, v->kind == IRX_NODE_SEQ ? v->items[i] : v,
					      "unknown resource type '%s' (ec2-instance, iam-user, "
					      "iam-role, access-key, lambda-function)",
					      list[i]);
			else
				r->kinds |= 1u << k;
		}
		free(list);
	}
	if ((v = irx_node_get(m, "source")) && (list = str_list(d, "source", v, &n))) {
		for (size_t i = 0; i < n; i++) {
			bool ok = false;

			for (size_t k = 0; source_names[k]; k++)
				ok = ok || strcmp(source_names[k], list[i]) == 0;
			if (!ok)
				irx_diags_add(
				    d, v->kind == IRX_NODE_SEQ ? v->items[i] : v,
				    "unknown source '%s' (guardduty, securityhub, sns, arn)",
				    list[i]);
		}
		r->sources = keep_list(c, list);
	}
	if ((v = irx_node_get(m, "account")) && (list = str_list(d, "account", v, &n))) {
		for (size_t i = 0; i < n; i++)
			account_id_ok(d, v->kind == IRX_NODE_SEQ ? v->items[i] : v, list[i]);
		r->accounts = keep_list(c, list);
	}
}

static void read_rule(struct irx_config *c, struct irx_diags *d, const struct irx_node *n,
		      struct irx_route_rule *r)
{
	static const char *const keys[] = {"name", "match", "runbook", "dry_run", NULL};
	const struct irx_node *v = NULL;
	char what[160] = "";

	r->node = n;
	if (!expect_kind(d, "routing[]", n, IRX_NODE_MAP))
		return;
	if (!(v = irx_node_get(n, "name")))
		irx_diags_add(d, n, "routing rule is missing 'name'");
	else
		r->name = scalar(d, "name", v);
	snprintf(what, sizeof(what), "rule '%s'", r->name ? r->name : "?");
	check_keys(d, n, keys, what);
	if (!(v = irx_node_get(n, "runbook"))) {
		irx_diags_add(d, n, "%s is missing 'runbook'", what);
	} else if ((r->runbook = scalar(d, "runbook", v))) {
		for (const char *p = r->runbook; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("_.-", *p)) {
				irx_diags_add(d, v,
					      "'runbook' must be a runbook name (letters, "
					      "digits, _.-), got '%s'",
					      r->runbook);
				break;
			}
	}
	if ((v = irx_node_get(n, "match")))
		read_match(c, d, v, r, what);
	if ((v = irx_node_get(n, "dry_run")))
		boolean(d, "dry_run", v, &r->dry_run);
}

static void read_schedule(struct irx_config *c, struct irx_diags *d, const struct irx_node *n,
			  struct irx_config_schedule *s)
{
	static const char *const keys[] = {"name", "cron", "scenario", "enabled", NULL};
	const struct irx_node *v = NULL;
	char what[160] = "", why[256] = "";

	s->node = n;
	s->enabled = true;
	if (!expect_kind(d, "schedules[]", n, IRX_NODE_MAP))
		return;
	if (!(v = irx_node_get(n, "name")))
		irx_diags_add(d, n, "schedule is missing 'name'");
	else if ((s->name = scalar(d, "name", v)))
		for (size_t i = 0; i < c->schedule_count; i++)
			if (&c->schedules[i] != s && c->schedules[i].name &&
			    strcmp(c->schedules[i].name, s->name) == 0)
				irx_diags_add(d, v, "schedule '%s' is defined twice", s->name);
	snprintf(what, sizeof(what), "schedule '%s'", s->name ? s->name : "?");
	check_keys(d, n, keys, what);
	if (!(v = irx_node_get(n, "cron")))
		irx_diags_add(d, n, "%s is missing 'cron'", what);
	else if ((s->cron = scalar(d, "cron", v)) && irx_cron_check(s->cron, why, sizeof(why)) < 0)
		irx_diags_add(d, v, "invalid cron expression '%s': %s", s->cron, why);
	if (!(v = irx_node_get(n, "scenario")))
		irx_diags_add(d, n, "%s is missing 'scenario'", what);
	else
		s->scenario = scalar(d, "scenario", v);
	if ((v = irx_node_get(n, "enabled")))
		boolean(d, "enabled", v, &s->enabled);
}

/* --- loading ------------------------------------------------------------------------------ */

static struct irx_config *config_new(void)
{
	struct irx_config *c = irx_xcalloc(1, sizeof(*c));

	c->exception_tag = IRX_EXCEPTION_DEFAULT_TAG;
	c->dedupe_window_s = IRX_DEDUPE_DEFAULT_WINDOW_S;
	c->default_rules = true;
	return c;
}

static void add_default_rules(struct irx_config *c)
{
	size_t n = 0, user = c->rule_count;

	if (!c->default_rules)
		return;
	while (irx_default_rules[n].name)
		n++;
	c->rules = irx_xrealloc(c->rules, (user + n) * sizeof(*c->rules));
	memcpy(c->rules + user, irx_default_rules, n * sizeof(*c->rules));
	c->rule_count = user + n;
}

/* Reads a list section: calls each(c, d, item, &array[i]) for every item. */
#define READ_LIST(c, d, root, key, array, n_, each)                                                \
	do {                                                                                       \
		const struct irx_node *l_ = irx_node_get((root), (key));                           \
		if (l_ && expect_kind((d), (key), l_, IRX_NODE_SEQ)) {                             \
			(array) = irx_xcalloc(l_->count + 1, sizeof(*(array)));                    \
			(n_) = l_->count;                                                          \
			for (size_t i_ = 0; i_ < l_->count; i_++)                                  \
				each((c), (d), l_->items[i_], &(array)[i_]);                       \
		}                                                                                  \
	} while (0)

static void read_root(struct irx_config *c, struct irx_diags *d, const struct irx_node *root)
{
	static const char *const keys[] = {"version",	 "defaults",  "accounts",
					   "exceptions", "events",    "notifications",
					   "routing",	 "schedules", NULL};
	const struct irx_node *v = NULL;

	if (!root || irx_node_is_null(root)) {
		irx_diags_add_at(d, c->doc->file, 1, 1, "the configuration is empty");
		return;
	}
	if (!expect_kind(d, "configuration", root, IRX_NODE_MAP))
		return;
	check_keys(d, root, keys, "the configuration");
	if (!(v = irx_node_get(root, "version")))
		irx_diags_add(d, root, "the configuration is missing 'version: 1'");
	else if (v->kind != IRX_NODE_SCALAR || strcmp(v->value, "1") != 0)
		irx_diags_add(d, v,
			      "unsupported configuration version '%s' (this irx reads "
			      "version 1)",
			      v->kind == IRX_NODE_SCALAR ? v->value : "?");
	if ((v = irx_node_get(root, "defaults")))
		read_defaults(c, d, v);
	/* counts are set before reading so duplicate checks see earlier items only */
	READ_LIST(c, d, root, "accounts", c->accounts, c->account_count, read_account);
	if ((v = irx_node_get(root, "exceptions")))
		read_exceptions(c, d, v);
	if ((v = irx_node_get(root, "events")))
		read_events(c, d, v);
	READ_LIST(c, d, root, "notifications", c->channels, c->channel_count, read_channel);
	READ_LIST(c, d, root, "routing", c->rules, c->rule_count, read_rule);
	READ_LIST(c, d, root, "schedules", c->schedules, c->schedule_count, read_schedule);
	for (size_t i = 0; i < c->rule_count; i++)
		for (size_t j = 0; j < i; j++)
			if (c->rules[i].name && c->rules[j].name &&
			    strcmp(c->rules[i].name, c->rules[j].name) == 0)
				irx_diags_add(d, irx_node_get(c->rules[i].node, "name"),
					      "routing rule '%s' is defined twice",
					      c->rules[i].name);
}

struct irx_config *irx_config_load_buffer(const char *name, const char *buf, size_t len,
					  struct irx_diags *diags)
{
	struct irx_config *c = NULL;
	size_t before = diags->count;

	if (len > MAX_CONFIG_BYTES) {
		irx_diags_add_at(diags, name, 0, 0, "the configuration is larger than %u bytes",
				 MAX_CONFIG_BYTES);
		return NULL;
	}
	c = config_new();
	c->doc = irx_doc_load_buffer(name, buf, len, diags);
	if (!c->doc) {
		irx_config_free(c);
		return NULL;
	}
	c->path = irx_xstrdup(name);
	read_root(c, diags, c->doc->root);
	if (diags->count > before) {
		irx_config_free(c);
		return NULL;
	}
	add_default_rules(c);
	return c;
}

struct irx_config *irx_config_load(const char *path, struct irx_diags *diags)
{
	char *buf = NULL;
	size_t len = 0;
	struct irx_config *c = NULL;

	if (irx_read_file(path, MAX_CONFIG_BYTES, &buf, &len) < 0) {
		irx_diags_add_at(diags, path, 0, 0, "cannot read the configuration: %s",
				 errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		return NULL;
	}
	c = irx_config_load_buffer(path, buf, len, diags);
	free(buf);
	return c;
}

struct irx_config *irx_config_builtin(void)
{
	struct irx_config *c = config_new();

	add_default_rules(c);
	return c;
}

void irx_config_free(struct irx_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->account_count; i++) {
		free(c->accounts[i].regions);
		free(c->accounts[i].roles);
		free(c->accounts[i].session_tags);
	}
	for (size_t i = 0; i < c->list_count; i++)
		free(c->lists[i]);
	free(c->lists);
	free(c->accounts);
	free(c->channels);
	free(c->rules);
	free(c->schedules);
	free(c->default_roles);
	irx_doc_free(c->doc);
	free(c->path);
	free(c);
}

static bool exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

char *irx_config_find(const char *explicit_path)
{
	const char *env = getenv("IRX_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *p = NULL;

	if (explicit_path && *explicit_path)
		return irx_xstrdup(explicit_path);
	if (env && *env)
		return irx_xstrdup(env);
	if (exists("irx.yaml"))
		return irx_xstrdup("irx.yaml");
	if (xdg && *xdg)
		p = irx_xasprintf("%s/irx/config.yaml", xdg);
	else if (home && *home)
		p = irx_xasprintf("%s/.config/irx/config.yaml", home);
	if (p && exists(p))
		return p;
	free(p);
	if (exists("/etc/irx/config.yaml"))
		return irx_xstrdup("/etc/irx/config.yaml");
	return NULL;
}

struct irx_config *irx_config_open(const char *explicit_path, struct irx_diags *diags)
{
	char *path = irx_config_find(explicit_path);
	struct irx_config *c = path ? irx_config_load(path, diags) : irx_config_builtin();

	free(path);
	return c;
}

/* --- queries ------------------------------------------------------------------------------ */

const struct irx_config_account *irx_config_account(const struct irx_config *c,
						    const char *account_id)
{
	for (size_t i = 0; c && account_id && i < c->account_count; i++)
		if (c->accounts[i].id && strcmp(c->accounts[i].id, account_id) == 0)
			return &c->accounts[i];
	return NULL;
}

size_t irx_config_role_chain(const struct irx_config *c, const char *account_id,
			     const char *partition, char **out, size_t max)
{
	const struct irx_config_account *a = irx_config_account(c, account_id);
	const char **roles = a && a->role_count ? a->roles : c ? c->default_roles : NULL;
	size_t n = a && a->role_count ? a->role_count : c ? c->default_role_count : 0, k = 0;
	char why[256] = "";

	if (!account_id || !all_digits(account_id, 12))
		return 0;
	for (size_t i = 0; i < n && k < max; i++) {
		char *x = role_arn(roles[i], account_id,
				   partition && *partition ? partition : "aws", why, sizeof(why));

		if (x) /* templates were checked at load time */
			out[k++] = x;
	}
	return k;
}

const char *irx_config_external_id(const struct irx_config *c, const char *account_id)
{
	const struct irx_config_account *a = irx_config_account(c, account_id);

	if (a && a->external_id)
		return a->external_id;
	return c ? c->default_external_id : NULL;
}

/* "aws", "aws-cn", "aws-us-gov", "aws-iso-b": lowercase letters and '-' */
static bool partition_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 15 || p[0] == '-' || p[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)p[i]) && p[i] != '-')
			return false;
	return true;
}

int irx_config_access(const struct irx_config *c, const char *account_id, const char *partition,
		      struct irx_config_access *out, struct irx_error *err)
{
	const struct irx_config_account *a = NULL;
	const char **roles = NULL;
	const char *xid = NULL;
	size_t n = 0;
	char why[512] = "";

	memset(out, 0, sizeof(*out));
	if (!account_id || strlen(account_id) != 12 || !all_digits(account_id, 12)) {
		irx_error_set(err, IRX_ERR_INVALID, "'%s' is not an AWS account id (12 digits)",
			      account_id ? account_id : "");
		return -1;
	}
	if (!partition || !*partition)
		partition = "aws";
	if (!partition_ok(partition)) {
		irx_error_set(err, IRX_ERR_INVALID, "'%s' is not an AWS partition", partition);
		return -1;
	}
	if (!c)
		return 0;
	a = irx_config_account(c, account_id);
	roles = a && a->role_count ? a->roles : c->default_roles;
	n = a && a->role_count ? a->role_count : c->default_role_count;
	if (n == 0)
		return 0; /* the caller's own credentials: no ExternalId or tags to send */
	out->roles = irx_xcalloc(n, sizeof(*out->roles));
	for (size_t i = 0; i < n; i++) {
		char *x = role_arn(roles[i], account_id, partition, why, sizeof(why));

		if (!x) {
			irx_error_set(err, IRX_ERR_INVALID, "account %s: role %zu of %zu: %s",
				      account_id, i + 1, n, why);
			irx_config_access_release(out);
			return -1;
		}
		out->roles[out->role_count++] = x;
	}
	xid = irx_config_external_id(c, account_id);
	out->external_id = xid ? irx_xstrdup(xid) : NULL;
	if (a && a->session_tag_count) {
		out->tags = irx_xcalloc(a->session_tag_count, sizeof(*out->tags));
		for (size_t i = 0; i < a->session_tag_count; i++) {
			out->tags[i].key = irx_xstrdup(a->session_tags[i].key);
			out->tags[i].value = irx_xstrdup(a->session_tags[i].value);
		}
		out->tag_count = a->session_tag_count;
	}
	return 0;
}

void irx_config_access_release(struct irx_config_access *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->role_count; i++)
		free(a->roles[i]);
	free(a->roles);
	free(a->external_id);
	for (size_t i = 0; i < a->tag_count; i++) {
		free((char *)a->tags[i].key);
		free((char *)a->tags[i].value);
	}
	free(a->tags);
	memset(a, 0, sizeof(*a));
}

void irx_config_access_context(const struct irx_config_access *a, struct irx_aws_context *ctx)
{
	bool any = a && a->role_count;

	ctx->role_arn = any ? a->roles[a->role_count - 1] : NULL;
	ctx->via_roles = any && a->role_count > 1 ? (const char *const *)a->roles : NULL;
	ctx->via_count = any ? a->role_count - 1 : 0;
	ctx->external_id = any ? a->external_id : NULL;
	ctx->tags = any && a->tag_count ? a->tags : NULL;
	ctx->tag_count = any ? a->tag_count : 0;
}

void irx_config_access_cli(const struct irx_config_access *a, struct irx_aws_cli_options *o)
{
	struct irx_aws_context ctx = {0};

	irx_config_access_context(a, &ctx);
	o->role_arn = ctx.role_arn;
	o->via_roles = ctx.via_roles;
	o->via_count = ctx.via_count;
	o->external_id = ctx.external_id;
	o->tags = ctx.tags;
	o->tag_count = ctx.tag_count;
}

static bool same_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(a[i % (la ? la : 1)] ^ b[i]);
	return la > 0 && diff == 0;
}

bool irx_config_sns_external_id_ok(const struct irx_config *c, const char *account_id,
				   const char *given)
{
	const char *want = NULL;

	if (!c || !given)
		return false;
	want = c->sns_external_id ? c->sns_external_id : irx_config_external_id(c, account_id);
	return want && same_ct(want, given);
}

/* --- the effective configuration ---------------------------------------------------------- */

static void add_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static struct json_object *str_array(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; v && (n ? i < n : v[i] != NULL); i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static const char *secret(const char *v, bool redact)
{
	return v && redact ? "(redacted)" : v;
}

/* Keeps scheme and host: "https://soar.example.com/(redacted)". */
static char *redact_url(const char *url)
{
	const char *host = strstr(url, "://");
	const char *slash = host ? strchr(host + 3, '/') : NULL;

	if (!slash)
		return irx_xstrdup(url);
	return irx_xasprintf("%.*s/(redacted)", (int)(slash - url), url);
}

static struct json_object *rule_json(const struct irx_route_rule *r)
{
	struct json_object *o = json_object_new_object(), *m = json_object_new_object();
	struct json_object *kinds = json_object_new_array();

	add_str(o, "name", r->name);
	if (r->finding_types)
		json_object_object_add(m, "finding_type", str_array(r->finding_types, 0));
	if (r->has_min_severity)
		json_object_object_add(m, "min_severity", json_object_new_double(r->min_severity));
	for (int k = IRX_ENTITY_EC2_INSTANCE; k < IRX_ENTITY_OTHER; k++)
		if (r->kinds & (1u << k))
			json_object_array_add(kinds, json_object_new_string(irx_entity_kind_name(
							 (enum irx_entity_kind)k)));
	if (json_object_array_length(kinds))
		json_object_object_add(m, "resource_type", json_object_get(kinds));
	json_object_put(kinds);
	if (r->sources)
		json_object_object_add(m, "source", str_array(r->sources, 0));
	if (r->accounts)
		json_object_object_add(m, "account", str_array(r->accounts, 0));
	json_object_object_add(o, "match", m);
	add_str(o, "runbook", r->runbook);
	json_object_object_add(o, "dry_run", json_object_new_boolean(r->dry_run));
	json_object_object_add(o, "builtin", json_object_new_boolean(r->builtin));
	return o;
}

struct json_object *irx_config_json(const struct irx_config *c, bool redact)
{
	struct json_object *o = json_object_new_object(), *d = json_object_new_object();
	struct json_object *arr = NULL, *x = NULL;

	if (c->path)
		add_str(o, "file", c->path);
	else
		json_object_object_add(o, "file", NULL);
	add_str(d, "region", c->default_region);
	add_str(d, "case_id_prefix", c->case_id_prefix);
	add_str(d, "state_dir", c->state_dir);
	if (c->default_role_count)
		json_object_object_add(d, "role",
				       str_array(c->default_roles, c->default_role_count));
	add_str(d, "external_id", secret(c->default_external_id, redact));
	json_object_object_add(o, "defaults", d);
	arr = json_object_new_array();
	for (size_t i = 0; i < c->account_count; i++) {
		const struct irx_config_account *a = &c->accounts[i];
		struct json_object *t = json_object_new_object();
		char *chain[IRX_CONFIG_MAX_ROLE_CHAIN] = {0};
		size_t n = irx_config_role_chain(c, a->id, "aws", chain, IRX_CONFIG_MAX_ROLE_CHAIN);

		x = json_object_new_object();
		add_str(x, "id", a->id);
		add_str(x, "name", a->name);
		json_object_object_add(x, "regions",
				       a->all_regions ? json_object_new_string("all")
						      : str_array(a->regions, a->region_count));
		json_object_object_add(x, "role_chain", str_array((const char *const *)chain, n));
		for (size_t k = 0; k < n; k++)
			free(chain[k]);
		add_str(x, "external_id", secret(irx_config_external_id(c, a->id), redact));
		for (size_t k = 0; k < a->session_tag_count; k++)
			add_str(t, a->session_tags[k].key, a->session_tags[k].value);
		json_object_object_add(x, "session_tags", t);
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "accounts", arr);
	x = json_object_new_object();
	add_str(x, "tag_key", c->exception_tag);
	add_str(x, "registry", c->exception_registry);
	json_object_object_add(o, "exceptions", x);
	x = json_object_new_object();
	add_str(x, "external_id", secret(c->sns_external_id, redact));
	json_object_object_add(x, "dedupe_window_seconds",
			       json_object_new_int64(c->dedupe_window_s));
	json_object_object_add(x, "default_rules", json_object_new_boolean(c->default_rules));
	json_object_object_add(o, "events", x);
	arr = json_object_new_array();
	for (size_t i = 0; i < c->channel_count; i++) {
		const struct irx_config_channel *ch = &c->channels[i];
		static const char *const types[] = {"", "sns", "slack", "webhook"};

		x = json_object_new_object();
		add_str(x, "name", ch->name);
		add_str(x, "type", types[ch->type]);
		add_str(x, "topic_arn", ch->topic_arn);
		add_str(x, "webhook_env", ch->webhook_env);
		add_str(x, "webhook_ssm", ch->webhook_ssm);
		if (ch->url) {
			char *u = redact ? redact_url(ch->url) : irx_xstrdup(ch->url);

			add_str(x, "url", u);
			free(u);
		}
		add_str(x, "url_env", ch->url_env);
		add_str(x, "url_ssm", ch->url_ssm);
		add_str(x, "secret_env", ch->secret_env);
		add_str(x, "secret_ssm", ch->secret_ssm);
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "notifications", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < c->rule_count; i++)
		json_object_array_add(arr, rule_json(&c->rules[i]));
	json_object_object_add(o, "routing", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < c->schedule_count; i++) {
		x = json_object_new_object();
		add_str(x, "name", c->schedules[i].name);
		add_str(x, "cron", c->schedules[i].cron);
		add_str(x, "scenario", c->schedules[i].scenario);
		json_object_object_add(x, "enabled",
				       json_object_new_boolean(c->schedules[i].enabled));
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "schedules", arr);
	return o;
}
