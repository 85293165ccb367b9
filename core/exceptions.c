/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exceptions: parsing the tag value, the central registry, reading a
 * resource's tag live, and the gate's decision. See exceptions.h for the
 * formats.
 *
 * Decisions:
 * - Fail-safe towards containment: anything that keeps irx from proving an
 *   exception valid (unreadable tags, an unreadable registry, a malformed or
 *   expired value) lets the step run, with a warning that says why.
 * - A registry that cannot be loaded is not retried within an execution: the
 *   first failure is remembered and reported for every later check.
 */
#include "exceptions.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "diag.h"
#include "error.h"
#include "host.h"
#include "node.h"
#include "util.h"

#define REGISTRY_MAX_BYTES (1024 * 1024)
#define MAX_TAG_PAGES 20

/* ---- the tag value -------------------------------------------------------- */

static bool value_char_ok(unsigned char c)
{
	/* '*' and ',' are outside IAM's tag charset but fine for EC2, Lambda and most others */
	return isalnum(c) || c == ' ' || strchr("_.:/=+-@,*", c) != NULL;
}

static bool name_char_ok(unsigned char c, bool action)
{
	return isalnum(c) || c == '_' || c == '-' || (action && c == '.');
}

static int check_action(const char *a)
{
	const char *colon = strchr(a, ':');
	const char *p = a;

	if (strcmp(a, "*") == 0)
		return 0;
	if (!*a || a == colon)
		return -1;
	for (; *p && p != colon; p++)
		if (!name_char_ok((unsigned char)*p, false))
			return -1;
	if (!colon)
		return 0;
	if (!colon[1])
		return -1;
	for (p = colon + 1; *p; p++)
		if (!name_char_ok((unsigned char)*p, true))
			return -1;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* YYYY-MM-DD (through the end of the day) or YYYY-MM-DDTHH:MM:SSZ, UTC. */
static int parse_expiry(const char *s, time_t *out)
{
	struct tm tm = {0};
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, n = 0;
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && !strchr("-T:Z", s[i]))
			return -1;
	if (len == 10) {
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
			return -1;
	} else if (len == 20) {
		if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 ||
		    n != 20)
			return -1;
	} else {
		return -1;
	}
	if (s[4] != '-' || s[7] != '-' || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = timegm(&tm);
	if (len == 10)
		*out += 24 * 60 * 60; /* valid through the end of that day */
	return 0;
}

static int add_actions(struct irx_exception *e, const char *list, char *why, size_t whylen)
{
	char *copy = irx_xstrdup(list);
	char *save = NULL;
	int rc = -1;

	for (char *t = strtok_r(copy, "+,", &save); t; t = strtok_r(NULL, "+,", &save)) {
		if (check_action(t) < 0) {
			snprintf(why, whylen,
				 "'%s' is not an action (write plugin:action, plugin or *)", t);
			goto out;
		}
		if (strlen(t) >= sizeof(e->actions[0])) {
			snprintf(why, whylen, "action '%.40s...' is too long", t);
			goto out;
		}
		if (e->action_count == IRX_EXCEPTION_MAX_ACTIONS) {
			snprintf(why, whylen, "more than %d actions", IRX_EXCEPTION_MAX_ACTIONS);
			goto out;
		}
		snprintf(e->actions[e->action_count++], sizeof(e->actions[0]), "%s", t);
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static int set_text(char *dst, size_t size, const char *field, const char *v, char *why,
		    size_t whylen)
{
	if (strlen(v) >= size) {
		snprintf(why, whylen, "field '%s' is longer than %zu characters", field, size - 1);
		return -1;
	}
	snprintf(dst, size, "%s", v);
	return 0;
}

int irx_exception_parse(const char *value, struct irx_exception *out, char *why, size_t whylen)
{
	static const char *const fields[] = {"actions", "expires", "approver", "ticket"};
	bool seen[4] = {false, false, false, false};
	bool after_actions = false;
	char *copy = NULL, *save = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (why && whylen)
		why[0] = '\0';
	if (strlen(value) > IRX_EXCEPTION_MAX_VALUE) {
		snprintf(why, whylen, "the value is longer than %d characters",
			 IRX_EXCEPTION_MAX_VALUE);
		return -1;
	}
	for (const char *p = value; *p; p++)
		if (!value_char_ok((unsigned char)*p)) {
			if (isprint((unsigned char)*p))
				snprintf(why, whylen, "character '%c' is not allowed", *p);
			else
				snprintf(why, whylen, "byte 0x%02x is not allowed",
					 (unsigned)(unsigned char)*p);
			return -1;
		}
	copy = irx_xstrdup(value);
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		size_t f = 0;

		if (!eq) {
			if (!after_actions) {
				snprintf(why, whylen, "'%s' is not a field (write key=value)", t);
				goto out;
			}
			if (add_actions(out, t, why, whylen) < 0)
				goto out;
			continue;
		}
		*eq = '\0';
		for (f = 0; f < 4 && strcmp(fields[f], t) != 0; f++)
			;
		if (f == 4) {
			snprintf(why, whylen, "unknown field '%s'", t);
			goto out;
		}
		if (seen[f]) {
			snprintf(why, whylen, "field '%s' is given twice", t);
			goto out;
		}
		seen[f] = true;
		after_actions = f == 0;
		if (!eq[1]) {
			snprintf(why, whylen, "field '%s' is empty", t);
			goto out;
		}
		switch (f) {
		case 0:
			if (add_actions(out, eq + 1, why, whylen) < 0)
				goto out;
			break;
		case 1:
			if (strlen(eq + 1) >= sizeof(out->expires) ||
			    parse_expiry(eq + 1, &out->expires_at) < 0) {
				snprintf(why, whylen,
					 "'%.40s' is not a date (write YYYY-MM-DD or "
					 "YYYY-MM-DDTHH:MM:SSZ)",
					 eq + 1);
				goto out;
			}
			snprintf(out->expires, sizeof(out->expires), "%s", eq + 1);
			break;
		case 2:
			if (set_text(out->approver, sizeof(out->approver), "approver", eq + 1, why,
				     whylen) < 0)
				goto out;
			break;
		default:
			if (set_text(out->ticket, sizeof(out->ticket), "ticket", eq + 1, why,
				     whylen) < 0)
				goto out;
			break;
		}
	}
	for (size_t f = 0; f < 4; f++)
		if (!seen[f]) {
			snprintf(why, whylen, "missing field '%s'", fields[f]);
			goto out;
		}
	if (out->action_count == 0) {
		snprintf(why, whylen, "field 'actions' names no action");
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc < 0) {
		char keep[512] = "";

		snprintf(keep, sizeof(keep), "%s", why ? why : "");
		memset(out, 0, sizeof(*out));
		if (why && whylen)
			snprintf(why, whylen, "%s", keep);
	}
	return rc;
}

bool irx_exception_covers(const struct irx_exception *e, const char *action)
{
	const char *colon = strchr(action, ':');
	size_t plen = colon ? (size_t)(colon - action) : strlen(action);

	for (size_t i = 0; i < e->action_count; i++) {
		const char *a = e->actions[i];

		if (strcmp(a, "*") == 0 || strcmp(a, action) == 0)
			return true;
		if (!strchr(a, ':') && strlen(a) == plen && strncmp(a, action, plen) == 0)
			return true;
	}
	return false;
}

static bool has_action(const struct irx_exception *e, const char *a)
{
	for (size_t i = 0; i < e->action_count; i++)
		if (strcmp(e->actions[i], a) == 0)
			return true;
	return false;
}

bool irx_exception_same(const struct irx_exception *a, const struct irx_exception *b)
{
	for (size_t i = 0; i < a->action_count; i++)
		if (!has_action(b, a->actions[i]))
			return false;
	for (size_t i = 0; i < b->action_count; i++)
		if (!has_action(a, b->actions[i]))
			return false;
	return a->expires_at == b->expires_at && strcmp(a->approver, b->approver) == 0 &&
	       strcmp(a->ticket, b->ticket) == 0;
}

void irx_exception_actions_text(const struct irx_exception *e, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < e->action_count && o < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? "+" : "", e->actions[i]);

		if (n < 0)
			break;
		o += (size_t)n;
	}
}

struct json_object *irx_exception_json(const struct irx_exception *e)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < e->action_count; i++)
		json_object_array_add(a, json_object_new_string(e->actions[i]));
	json_object_object_add(o, "actions", a);
	json_object_object_add(o, "expires", json_object_new_string(e->expires));
	json_object_object_add(o, "approver", json_object_new_string(e->approver));
	json_object_object_add(o, "ticket", json_object_new_string(e->ticket));
	return o;
}

/* ---- the registry ----------------------------------------------------------- */

struct registry_entry {
	char *resource;
	struct irx_exception exception;
};

struct irx_exception_registry {
	struct registry_entry *entries;
	size_t count;
};

void irx_exception_registry_free(struct irx_exception_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		free(r->entries[i].resource);
	free(r->entries);
	free(r);
}

size_t irx_exception_registry_count(const struct irx_exception_registry *r)
{
	return r ? r->count : 0;
}

static int node_err(struct irx_error *err, const struct irx_node *n, const char *fmt, const char *a)
{
	char msg[768] = "";

	snprintf(msg, sizeof(msg), fmt, a);
	irx_error_set(err, IRX_ERR_INVALID, "%s:%u:%u: %s", n->file ? n->file : "registry", n->line,
		      n->col, msg);
	return -1;
}

/* Appends a scalar field as "key=value " to buf; lists of scalars are joined with '+'. */
static int entry_field(const struct irx_node *entry, const char *key, bool list_ok, char *buf,
		       size_t len, struct irx_error *err)
{
	const struct irx_node *v = irx_node_get(entry, key);
	size_t o = strlen(buf);

	if (!v)
		return node_err(err, entry, "exception entry has no '%s'", key);
	if (v->kind == IRX_NODE_SEQ && list_ok) {
		if (v->count == 0)
			return node_err(err, v, "'%s' is an empty list", key);
		snprintf(buf + o, len - o, "%s=", key);
		for (size_t i = 0; i < v->count; i++) {
			const char *s = irx_node_str(v->items[i]);

			if (!s)
				return node_err(err, v->items[i], "'%s' must list strings", key);
			o = strlen(buf);
			snprintf(buf + o, len - o, "%s%s", i ? "+" : "", s);
		}
		o = strlen(buf);
		snprintf(buf + o, len - o, " ");
		return 0;
	}
	if (!irx_node_str(v))
		return node_err(err, v, "'%s' must be a string", key);
	snprintf(buf + o, len - o, "%s=%s ", key, irx_node_str(v));
	return 0;
}

static int parse_entry(const struct irx_node *e, struct registry_entry *out, struct irx_error *err)
{
	static const char *const keys[] = {"resource", "actions", "expires", "approver", "ticket"};
	char value[4096] = "", why[256] = "";
	const char *res = NULL;

	if (e->kind != IRX_NODE_MAP)
		return node_err(err, e, "an exception entry must be a map, not a %s",
				irx_node_type_name(e));
	for (size_t i = 0; i < e->count; i++) {
		const char *k = irx_node_str(e->keys[i]);
		bool known = false;

		for (size_t j = 0; j < 5 && k; j++)
			known = known || strcmp(keys[j], k) == 0;
		if (!known)
			return node_err(err, e->keys[i], "unknown key '%s' in exception entry",
					k ? k : "");
	}
	res = irx_node_str(irx_node_get(e, "resource"));
	if (!irx_node_get(e, "resource"))
		return node_err(err, e, "exception entry has no '%s'", "resource");
	if (!res || !*res)
		return node_err(err, irx_node_get(e, "resource"), "'%s' must be a non-empty string",
				"resource");
	if (entry_field(e, "actions", true, value, sizeof(value), err) < 0 ||
	    entry_field(e, "expires", false, value, sizeof(value), err) < 0 ||
	    entry_field(e, "approver", false, value, sizeof(value), err) < 0 ||
	    entry_field(e, "ticket", false, value, sizeof(value), err) < 0)
		return -1;
	if (irx_exception_parse(value, &out->exception, why, sizeof(why)) < 0)
		return node_err(err, e, "malformed exception: %s", why);
	out->resource = irx_xstrdup(res);
	return 0;
}

struct irx_exception_registry *irx_exception_registry_parse(const char *name, const char *text,
							    size_t len, struct irx_error *err)
{
	struct irx_diags diags = {0};
	struct irx_doc *doc = irx_doc_load_buffer(name, text, len, &diags);
	struct irx_exception_registry *r = NULL;
	const struct irx_node *list = NULL;

	if (!doc) {
		irx_error_set(
		    err, IRX_ERR_PARSE, "%s:%u:%u: %s", diags.count ? diags.items[0].file : name,
		    diags.count ? diags.items[0].line : 0, diags.count ? diags.items[0].col : 0,
		    diags.count ? diags.items[0].message : "cannot parse");
		goto out;
	}
	if (!doc->root || doc->root->kind != IRX_NODE_MAP) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "%s: an exception registry is a map with an 'exceptions' list", name);
		goto out;
	}
	for (size_t i = 0; i < doc->root->count; i++) {
		const char *k = irx_node_str(doc->root->keys[i]);

		if (!k || strcmp(k, "exceptions") != 0) {
			node_err(err, doc->root->keys[i], "unknown key '%s' in exception registry",
				 k ? k : "");
			goto out;
		}
	}
	list = irx_node_get(doc->root, "exceptions");
	if (!list || (list->kind != IRX_NODE_SEQ && !irx_node_is_null(list))) {
		irx_error_set(err, IRX_ERR_INVALID, "%s: 'exceptions' must be a list", name);
		goto out;
	}
	r = irx_xcalloc(1, sizeof(*r));
	if (list->kind == IRX_NODE_SEQ && list->count) {
		r->entries = irx_xcalloc(list->count, sizeof(*r->entries));
		for (size_t i = 0; i < list->count; i++) {
			if (parse_entry(list->items[i], &r->entries[r->count], err) < 0) {
				irx_exception_registry_free(r);
				r = NULL;
				goto out;
			}
			r->count++;
		}
	}
out:
	irx_doc_free(doc);
	irx_diags_release(&diags);
	return r;
}

/* The id an ARN names ("instance/i-0abc" -> "i-0abc"), or the string itself. */
static const char *resource_id_of(const char *s)
{
	const char *slash = NULL;

	if (strncmp(s, "arn:", 4) != 0)
		return s;
	slash = strrchr(s, '/');
	return slash ? slash + 1 : s;
}

static bool same_resource(const char *a, const char *b)
{
	bool arn_a = strncmp(a, "arn:", 4) == 0, arn_b = strncmp(b, "arn:", 4) == 0;

	if (strcmp(a, b) == 0)
		return true;
	if (arn_a == arn_b)
		return false;
	return strcmp(resource_id_of(a), resource_id_of(b)) == 0;
}

int irx_exception_registry_lists(const struct irx_exception_registry *r, const char *resource,
				 const struct irx_exception *e, char *why, size_t whylen)
{
	const struct registry_entry *other = NULL;

	for (size_t i = 0; r && i < r->count; i++) {
		if (!same_resource(r->entries[i].resource, resource))
			continue;
		if (irx_exception_same(&r->entries[i].exception, e))
			return 1;
		other = &r->entries[i];
	}
	if (other)
		snprintf(why, whylen,
			 "the registry lists a different exception for '%s' (ticket %s, expires "
			 "%s)",
			 resource, other->exception.ticket, other->exception.expires);
	else
		snprintf(why, whylen, "the registry lists no exception for '%s'", resource);
	return 0;
}

/* ---- reading tags ------------------------------------------------------------- */

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Finds key in a [{Key, Value}] list. 1 found (value set), 0 not. */
static int tag_in_list(struct json_object *tags, const char *key, char **value)
{
	for (size_t i = 0;
	     json_object_is_type(tags, json_type_array) && i < json_object_array_length(tags);
	     i++) {
		struct json_object *t = json_object_array_get_idx(tags, i);
		const char *k = jstr(t, "Key");

		if (k && strcmp(k, key) == 0) {
			const char *v = jstr(t, "Value");

			*value = irx_xstrdup(v ? v : "");
			return 1;
		}
	}
	return 0;
}

/* One AWS call through the call's client; on failure err gets the call's error. */
static int call_aws(struct irx_call *call, const char *service, const char *op,
		    struct json_object *params, struct json_object **resp, struct irx_error *err)
{
	struct irx_error saved = call->error;
	int rc = 0;

	*resp = NULL;
	if (!call->aws_call) {
		irx_error_set(err, IRX_ERR_AWS, "no AWS client is configured");
		return -1;
	}
	irx_error_clear(&call->error);
	rc = call->aws_call(call->aws_ud, call, service, op, params, resp);
	if (rc < 0) {
		if (call->error.code == IRX_OK)
			irx_error_set(&call->error, IRX_ERR_AWS, "%s:%s failed", service, op);
		if (err->code == IRX_OK)
			*err = call->error;
		irx_error_prefix(err, "%s:%s", service, op);
		json_object_put(*resp);
		*resp = NULL;
	}
	call->error = saved;
	return rc < 0 ? -1 : 0;
}

static int ec2_tag(struct irx_call *call, const char *id, const char *key, char **value,
		   struct irx_error *err)
{
	struct json_object *p = json_object_new_object(), *filters = json_object_new_array();
	struct json_object *f = NULL, *resp = NULL;
	int rc = -1;

	f = json_object_new_object();
	json_object_object_add(f, "Name", json_object_new_string("resource-id"));
	json_object_object_add(f, "Values", json_object_new_array());
	json_object_array_add(jget(f, "Values"), json_object_new_string(id));
	json_object_array_add(filters, f);
	f = json_object_new_object();
	json_object_object_add(f, "Name", json_object_new_string("key"));
	json_object_object_add(f, "Values", json_object_new_array());
	json_object_array_add(jget(f, "Values"), json_object_new_string(key));
	json_object_array_add(filters, f);
	json_object_object_add(p, "Filters", filters);
	if (call_aws(call, "ec2", "DescribeTags", p, &resp, err) == 0)
		rc = tag_in_list(jget(resp, "Tags"), key, value);
	json_object_put(p);
	json_object_put(resp);
	return rc;
}

/* iam ListUserTags / ListRoleTags, following Marker. */
static int iam_tag(struct irx_call *call, const char *op, const char *name_key, const char *name,
		   const char *key, char **value, struct irx_error *err)
{
	char *marker = NULL;
	int rc = 0;

	for (int page = 0; page < MAX_TAG_PAGES; page++) {
		struct json_object *p = json_object_new_object(), *resp = NULL;
		struct json_object *trunc = NULL;
		const char *m = NULL;

		json_object_object_add(p, name_key, json_object_new_string(name));
		if (marker)
			json_object_object_add(p, "Marker", json_object_new_string(marker));
		if (call_aws(call, "iam", op, p, &resp, err) < 0) {
			json_object_put(p);
			rc = -1;
			break;
		}
		json_object_put(p);
		rc = tag_in_list(jget(resp, "Tags"), key, value);
		trunc = jget(resp, "IsTruncated");
		m = jstr(resp, "Marker");
		free(marker);
		marker = m && json_object_get_boolean(trunc) ? irx_xstrdup(m) : NULL;
		json_object_put(resp);
		if (rc == 1 || !marker)
			break;
	}
	free(marker);
	return rc;
}

static int access_key_tag(struct irx_call *call, const char *key_id, const char *key, char **value,
			  struct irx_error *err)
{
	struct json_object *p = json_object_new_object(), *resp = NULL;
	const char *user = NULL;
	int rc = -1;

	json_object_object_add(p, "AccessKeyId", json_object_new_string(key_id));
	if (call_aws(call, "iam", "GetAccessKeyLastUsed", p, &resp, err) < 0)
		goto out;
	user = jstr(resp, "UserName");
	if (!user || !*user) {
		irx_error_set(err, IRX_ERR_AWS, "cannot find the user who owns access key '%s'",
			      key_id);
		goto out;
	}
	rc = iam_tag(call, "ListUserTags", "UserName", user, key, value, err);
out:
	json_object_put(p);
	json_object_put(resp);
	return rc;
}

static int lambda_tag(struct irx_call *call, const struct irx_arn *a, const char *key, char **value,
		      struct irx_error *err)
{
	/* function:name[:qualifier]: tags live on the function, not its versions or aliases */
	const char *name = a->resource_id;
	size_t n = strcspn(name, ":");
	char *fn = irx_xasprintf("arn:%s:lambda:%s:%s:function:%.*s", a->partition, a->region,
				 a->account, (int)n, name);
	struct json_object *p = json_object_new_object(), *resp = NULL, *tags = NULL, *v = NULL;
	int rc = -1;

	json_object_object_add(p, "Resource", json_object_new_string(fn));
	if (call_aws(call, "lambda", "ListTags", p, &resp, err) == 0) {
		tags = jget(resp, "Tags");
		rc = 0;
		if (json_object_is_type(tags, json_type_object) &&
		    json_object_object_get_ex(tags, key, &v)) {
			*value = irx_xstrdup(json_object_get_string(v));
			rc = 1;
		}
	}
	json_object_put(p);
	json_object_put(resp);
	free(fn);
	return rc;
}

static int tagging_api_tag(struct irx_call *call, const char *arn, const char *key, char **value,
			   struct irx_error *err)
{
	struct json_object *p = json_object_new_object(), *list = json_object_new_array();
	struct json_object *resp = NULL, *maps = NULL;
	int rc = -1;

	json_object_array_add(list, json_object_new_string(arn));
	json_object_object_add(p, "ResourceARNList", list);
	if (call_aws(call, "resourcegroupstaggingapi", "GetResources", p, &resp, err) == 0) {
		maps = jget(resp, "ResourceTagMappingList");
		rc = 0;
		for (size_t i = 0; json_object_is_type(maps, json_type_array) &&
				   i < json_object_array_length(maps) && rc == 0;
		     i++)
			rc = tag_in_list(jget(json_object_array_get_idx(maps, i), "Tags"), key,
					 value);
	}
	json_object_put(p);
	json_object_put(resp);
	return rc;
}

static bool is_access_key_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 16 || n > 128 || (strncmp(s, "AKIA", 4) != 0 && strncmp(s, "ASIA", 4) != 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "i-0abc", "vol-1", "eni-...": a lowercase prefix, '-', hex. */
static bool is_ec2_id(const char *s)
{
	const char *dash = strchr(s, '-');

	if (!dash || dash == s || !dash[1])
		return false;
	for (const char *p = s; p < dash; p++)
		if (!islower((unsigned char)*p))
			return false;
	for (const char *p = dash + 1; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return true;
}

int irx_exception_read_tag(struct irx_call *call, const char *resource, const char *key,
			   char **value, struct irx_error *err)
{
	struct irx_arn a;
	char why[128] = "";
	const char *last = NULL;

	*value = NULL;
	if (irx_arn_parse(resource, &a, why, sizeof(why)) < 0) {
		if (is_access_key_id(resource))
			return access_key_tag(call, resource, key, value, err);
		if (is_ec2_id(resource))
			return ec2_tag(call, resource, key, value, err);
		irx_error_set(err, IRX_ERR_INVALID,
			      "'%s' is neither an ARN, an EC2 id nor an access key id", resource);
		return -1;
	}
	if (strcmp(a.service, "ec2") == 0 && a.resource_type[0])
		return ec2_tag(call, a.resource_id, key, value, err);
	if (strcmp(a.service, "iam") == 0 &&
	    (strcmp(a.resource_type, "user") == 0 || strcmp(a.resource_type, "role") == 0)) {
		/* role/service-role/name: the name is the last segment of the path */
		last = strrchr(a.resource_id, '/');
		last = last ? last + 1 : a.resource_id;
		if (strcmp(a.resource_type, "user") == 0)
			return iam_tag(call, "ListUserTags", "UserName", last, key, value, err);
		return iam_tag(call, "ListRoleTags", "RoleName", last, key, value, err);
	}
	if (strcmp(a.service, "lambda") == 0 && strcmp(a.resource_type, "function") == 0)
		return lambda_tag(call, &a, key, value, err);
	return tagging_api_tag(call, resource, key, value, err);
}

/* ---- the gate -------------------------------------------------------------------- */

struct irx_exception_gate {
	char *tag_key;
	char *registry_spec; /* NULL: no registry */
	bool registry_tried;
	struct irx_exception_registry *registry;
	char registry_error[1024];
};

struct irx_exception_gate *irx_exception_gate_new(const char *tag_key, const char *registry)
{
	struct irx_exception_gate *g = irx_xcalloc(1, sizeof(*g));

	g->tag_key = irx_xstrdup(tag_key && *tag_key ? tag_key : IRX_EXCEPTION_DEFAULT_TAG);
	g->registry_spec = registry && *registry ? irx_xstrdup(registry) : NULL;
	return g;
}

void irx_exception_gate_free(struct irx_exception_gate *g)
{
	if (!g)
		return;
	free(g->tag_key);
	free(g->registry_spec);
	irx_exception_registry_free(g->registry);
	free(g);
}

const char *irx_exception_gate_tag_key(const struct irx_exception_gate *g)
{
	return g->tag_key;
}

const char *irx_exception_status_name(enum irx_exception_status s)
{
	switch (s) {
	case IRX_EXCEPTION_NONE:
		return "none";
	case IRX_EXCEPTION_EXEMPT:
		return "exempt";
	case IRX_EXCEPTION_NOT_COVERED:
		return "not_covered";
	case IRX_EXCEPTION_EXPIRED:
		return "expired";
	case IRX_EXCEPTION_MALFORMED:
		return "malformed";
	case IRX_EXCEPTION_UNREGISTERED:
		return "unregistered";
	case IRX_EXCEPTION_UNCHECKED:
		return "unchecked";
	}
	return "unknown";
}

static void load_registry(struct irx_exception_gate *g, struct irx_call *call)
{
	struct irx_error err = {0};
	char *text = NULL;
	size_t len = 0;

	g->registry_tried = true;
	if (strncmp(g->registry_spec, "ssm:", 4) == 0) {
		struct json_object *p = json_object_new_object(), *resp = NULL;
		const char *v = NULL;

		json_object_object_add(p, "Name", json_object_new_string(g->registry_spec + 4));
		json_object_object_add(p, "WithDecryption", json_object_new_boolean(1));
		if (call_aws(call, "ssm", "GetParameter", p, &resp, &err) == 0) {
			v = jstr(jget(resp, "Parameter"), "Value");
			if (v)
				text = irx_xstrdup(v);
			else
				irx_error_set(&err, IRX_ERR_AWS, "the parameter has no value");
		}
		json_object_put(p);
		json_object_put(resp);
		len = text ? strlen(text) : 0;
	} else if (irx_read_file(g->registry_spec, REGISTRY_MAX_BYTES, &text, &len) < 0) {
		irx_error_set(&err, IRX_ERR_IO, "%s", strerror(errno));
	}
	if (text)
		g->registry = irx_exception_registry_parse(g->registry_spec, text, len, &err);
	if (!g->registry)
		snprintf(g->registry_error, sizeof(g->registry_error),
			 "exception registry '%s' cannot be read: %s", g->registry_spec,
			 err.message);
	free(text);
}

void irx_exception_gate_check(struct irx_exception_gate *g, struct irx_call *call,
			      const char *resource, const char *action, time_t now,
			      struct irx_exception_check *out)
{
	struct irx_error err = {0};
	char *value = NULL;
	char why[512] = "", acts[512] = "";
	int found = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->resource, sizeof(out->resource), "%s", resource);
	snprintf(out->tag_key, sizeof(out->tag_key), "%s", g->tag_key);
	found = irx_exception_read_tag(call, resource, g->tag_key, &value, &err);
	if (found < 0) {
		out->status = IRX_EXCEPTION_UNCHECKED;
		snprintf(out->message, sizeof(out->message),
			 "cannot check '%s' for an exception, so '%s' runs: %s", resource, action,
			 err.message);
		goto out;
	}
	if (found == 0) {
		out->status = IRX_EXCEPTION_NONE;
		goto out;
	}
	snprintf(out->value, sizeof(out->value), "%s", value);
	if (irx_exception_parse(value, &out->exception, why, sizeof(why)) < 0) {
		out->status = IRX_EXCEPTION_MALFORMED;
		snprintf(out->message, sizeof(out->message),
			 "ignoring malformed exception tag '%s' on '%s': %s", g->tag_key, resource,
			 why);
		goto out;
	}
	out->parsed = true;
	irx_exception_actions_text(&out->exception, acts, sizeof(acts));
	if (now >= out->exception.expires_at) {
		out->status = IRX_EXCEPTION_EXPIRED;
		snprintf(out->message, sizeof(out->message),
			 "ignoring exception on '%s' (ticket %s): it expired on %s", resource,
			 out->exception.ticket, out->exception.expires);
		goto out;
	}
	if (!irx_exception_covers(&out->exception, action)) {
		out->status = IRX_EXCEPTION_NOT_COVERED;
		snprintf(out->message, sizeof(out->message),
			 "the exception on '%s' (ticket %s) exempts %s, not '%s'", resource,
			 out->exception.ticket, acts, action);
		goto out;
	}
	if (g->registry_spec) {
		if (!g->registry_tried)
			load_registry(g, call);
		if (!g->registry) {
			out->status = IRX_EXCEPTION_UNREGISTERED;
			snprintf(out->message, sizeof(out->message),
				 "not honouring the exception on '%s' (ticket %s): %s", resource,
				 out->exception.ticket, g->registry_error);
			goto out;
		}
		if (!irx_exception_registry_lists(g->registry, resource, &out->exception, why,
						  sizeof(why))) {
			out->status = IRX_EXCEPTION_UNREGISTERED;
			snprintf(out->message, sizeof(out->message),
				 "not honouring the exception on '%s' (ticket %s): %s", resource,
				 out->exception.ticket, why);
			goto out;
		}
	}
	out->status = IRX_EXCEPTION_EXEMPT;
	snprintf(out->message, sizeof(out->message),
		 "skipped: exception on '%s' exempts %s until %s, approved by %s, ticket %s",
		 resource, acts, out->exception.expires, out->exception.approver,
		 out->exception.ticket);
out:
	free(value);
}

struct json_object *irx_exception_check_json(const struct irx_exception_check *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "status",
			       json_object_new_string(irx_exception_status_name(c->status)));
	json_object_object_add(o, "resource", json_object_new_string(c->resource));
	json_object_object_add(o, "tag_key", json_object_new_string(c->tag_key));
	json_object_object_add(o, "value", c->value[0] ? json_object_new_string(c->value) : NULL);
	json_object_object_add(o, "message", json_object_new_string(c->message));
	json_object_object_add(o, "exception",
			       c->parsed ? irx_exception_json(&c->exception) : NULL);
	return o;
}
