/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The concurrency-zero plugin: stop a Lambda function from running.
 *
 *   concurrency-zero:lambda  reserved concurrency 0 (PutFunctionConcurrency: no new
 *                            invocation starts; running ones finish; asynchronous events retry
 *                            and then go to the dead-letter queue or destination), the
 *                            execution role's sessions issued before now revoked (its
 *                            credentials sit in the function's environment, wherever they were
 *                            copied to), event source mappings disabled by parameter.
 *
 * Reserved concurrency belongs to the function, not to a version or alias: a qualified ARN
 * (…:function:name:alias) stops the whole function, and the message says so.
 *
 * Every change is entered in the undo record and checkpointed before it is made; an entry whose
 * call AWS rejected is taken out again. Rollback reads live state and only reverts what is still
 * as this execution left it.
 *
 * Undo record:
 *   {"Action", "FunctionName", "FunctionArn",
 *    "PreviousConcurrency": n | null (none reserved: rollback deletes the setting),
 *    "RoleName", "InlinePolicy", "RevokedBefore",
 *    "DisabledEventSourceMappings": [uuid], "Tags": {key: previous value or null}}
 */

/*
 * The Makefile links plugins into the unit tests with -DIRX_PLUGIN_STATIC=<folder name>, and
 * "concurrency-zero" is not a C identifier: the static entry is irx_plugin_entry_concurrency_zero.
 */
#ifdef IRX_PLUGIN_STATIC
#undef IRX_PLUGIN_STATIC
#define IRX_PLUGIN_STATIC concurrency_zero
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "irx/plugin.h"

#define REVOKE_POLICY "irx-revoke-older-sessions"
#define ACTION_NAME "concurrency-zero:lambda"
#define MSG_MAX 2048

/* --- small helpers --------------------------------------------------------------------- */

static const char *str_in(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *arr_in(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static struct json_object *obj_in(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static bool bool_in(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	return obj && json_object_object_get_ex(obj, key, &v) && json_object_get_boolean(v);
}

/* {"k1": "v1", ...}; NULL-terminated key/value pairs. Transferred. */
static struct json_object *params_new(const char *key, ...)
{
	struct json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, key);
	for (const char *k = key; k; k = va_arg(ap, const char *))
		json_object_object_add(o, k, json_object_new_string(va_arg(ap, const char *)));
	va_end(ap);
	return o;
}

/* Calls service:op with params (transferred). *resp transferred (may be NULL). */
static int aws(const struct irx_context *ctx, const char *service, const char *op,
	       struct json_object *params, struct json_object **resp)
{
	struct json_object *r = NULL;
	int rc = 0;

	if (!ctx->host->aws_call) {
		json_object_put(params);
		return ctx->host->fail(ctx->call, "cannot call %s:%s: no AWS client", service, op);
	}
	rc = ctx->host->aws_call(ctx->call, service, op, params, &r);
	json_object_put(params);
	if (resp)
		*resp = r;
	else
		json_object_put(r);
	return rc;
}

/* As aws(), when one AWS error code is an answer: returns 1 on it (older hosts: -1). */
static int aws_expect(const struct irx_context *ctx, const char *service, const char *op,
		      struct json_object *params, const char *code, struct json_object **resp)
{
	const char *expected[] = {code, NULL};
	const struct irx_host *h = ctx->host;
	int rc = 0;

	*resp = NULL;
	if (h->size < offsetof(struct irx_host, aws_call_expect) + sizeof(h->aws_call_expect) ||
	    !h->aws_call_expect)
		return aws(ctx, service, op, params, resp);
	rc = h->aws_call_expect(ctx->call, service, op, params, expected, resp);
	json_object_put(params);
	return rc;
}

/*
 * Every item of a paginated list, appended to *items (transferred). The marker goes in as
 * "Marker" and comes back as out_marker ("Marker" for IAM with IsTruncated, "NextMarker" for
 * Lambda). params transferred. first: the first page when already fetched (borrowed), or NULL.
 */
static int aws_list(const struct irx_context *ctx, const char *service, const char *op,
		    struct json_object *params, const char *key, const char *out_marker,
		    struct json_object *first, struct json_object **items)
{
	struct json_object *resp = NULL, *page = NULL;
	char marker[2048] = "";
	int rc = -1;

	*items = json_object_new_array();
	for (int guard = 0; guard < 1000; guard++) {
		struct json_object *p = NULL;
		const char *next = NULL;

		json_object_deep_copy(params, &p, NULL);
		if (marker[0])
			json_object_object_add(p, "Marker", json_object_new_string(marker));
		json_object_put(resp);
		resp = NULL;
		if (guard == 0 && first) {
			json_object_put(p);
			resp = json_object_get(first);
		} else if (aws(ctx, service, op, p, &resp) < 0) {
			goto out;
		}
		page = arr_in(resp, key);
		for (size_t i = 0; page && i < json_object_array_length(page); i++)
			json_object_array_add(*items,
					      json_object_get(json_object_array_get_idx(page, i)));
		next = str_in(resp, out_marker);
		if (!next || !*next || strlen(next) >= sizeof(marker) ||
		    (strcmp(out_marker, "Marker") == 0 && !bool_in(resp, "IsTruncated")))
			break;
		snprintf(marker, sizeof(marker), "%s", next);
	}
	rc = 0;
out:
	json_object_put(resp);
	json_object_put(params);
	if (rc < 0) {
		json_object_put(*items);
		*items = NULL;
	}
	return rc;
}

static bool arr_has_string(struct json_object *arr, const char *s)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), s) == 0)
			return true;
	}
	return false;
}

static struct json_object *undo_list(struct json_object *undo, const char *key)
{
	struct json_object *a = arr_in(undo, key);

	if (!a) {
		a = json_object_new_array();
		json_object_object_add(undo, key, a);
	}
	return a;
}

/*
 * Independent calls sent together (host->aws_call_many; one by one on an older host): a
 * containment's latency is its number of round trips. A mutating call carries the undo entry
 * it added, taken back out when AWS refuses the call.
 */
struct batch {
	struct irx_aws_request *reqs;
	struct batch_meta {
		char op[64];
		const char *undo_key; /* NULL: a read */
		char undo_item[160];  /* an entry of the undo list undo_key; "" = the member */
	} * meta;
	size_t n, cap;
};

/* Adds service:op with params (transferred); returns its index. service: static storage. */
static size_t batch_add(struct batch *b, const char *service, const char *op,
			struct json_object *params, const char *undo_key, const char *undo_item)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct irx_aws_request *r = realloc(b->reqs, cap * sizeof(*r));
		struct batch_meta *m = r ? realloc(b->meta, cap * sizeof(*m)) : NULL;

		if (r)
			b->reqs = r;
		if (!r || !m)
			abort(); /* out of memory */
		b->meta = m;
		b->cap = cap;
	}
	memset(&b->reqs[b->n], 0, sizeof(b->reqs[0]));
	memset(&b->meta[b->n], 0, sizeof(b->meta[0]));
	snprintf(b->meta[b->n].op, sizeof(b->meta[0].op), "%s", op);
	b->meta[b->n].undo_key = undo_key;
	snprintf(b->meta[b->n].undo_item, sizeof(b->meta[0].undo_item), "%s",
		 undo_item ? undo_item : "");
	b->reqs[b->n].service = service;
	b->reqs[b->n].params = params;
	return b->n++;
}

static void batch_release(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		json_object_put(b->reqs[i].params);
		json_object_put(b->reqs[i].response);
	}
	free(b->reqs);
	free(b->meta);
	memset(b, 0, sizeof(*b));
}

/* Sends every call; returns how many failed (the step's error is the first failure's). */
static size_t batch_send(const struct irx_context *ctx, struct batch *b)
{
	const struct irx_host *h = ctx->host;
	size_t failed = 0;

	for (size_t i = 0; i < b->n; i++)
		b->reqs[i].operation = b->meta[i].op;
	if (b->n == 0)
		return 0;
	if (h->size >= offsetof(struct irx_host, aws_call_many) + sizeof(h->aws_call_many) &&
	    h->aws_call_many && h->aws_call)
		return h->aws_call_many(ctx->call, b->reqs, b->n);
	for (size_t i = 0; i < b->n; i++) {
		struct json_object *params = json_object_get(b->reqs[i].params);

		b->reqs[i].failed =
		    aws(ctx, b->reqs[i].service, b->meta[i].op, params, &b->reqs[i].response) < 0;
		failed += (size_t)b->reqs[i].failed;
	}
	return failed;
}

/* Takes an entry back out of the undo record: its change did not happen. */
static void undo_remove(struct json_object *undo, const char *key, const char *item)
{
	struct json_object *a = arr_in(undo, key);

	if (!item[0]) {
		json_object_object_del(undo, key);
		if (strcmp(key, "InlinePolicy") == 0) {
			json_object_object_del(undo, "RevokedBefore");
			json_object_object_del(undo, "RoleName");
		}
		return;
	}
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), item) == 0) {
			json_object_array_del_idx(a, i, 1);
			break;
		}
	}
	if (a && json_object_array_length(a) == 0)
		json_object_object_del(undo, key);
}

/*
 * The changes: journals the undo record (every entry already in it), sends them all, then
 * takes out the entries of the calls AWS refused. Returns 0, or -1 when any failed.
 */
static int batch_commit(const struct irx_context *ctx, struct irx_result *res, struct batch *b)
{
	size_t failed = 0;

	if (b->n == 0)
		return 0;
	if (ctx->host->checkpoint(ctx->call, res->undo) < 0)
		return ctx->host->fail(ctx->call, "cannot journal the undo record");
	failed = batch_send(ctx, b);
	for (size_t i = 0; i < b->n; i++)
		if (b->reqs[i].failed && b->meta[i].undo_key)
			undo_remove(res->undo, b->meta[i].undo_key, b->meta[i].undo_item);
	return failed ? -1 : 0;
}

static void iso8601_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm = {0};

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Deny * * to every session whose token was issued before `before`. Transferred string. */
static struct json_object *revoke_document(const char *before)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"IrxRevokeOlderSessions\","
		 "\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
		 "{\"DateLessThan\":{\"aws:TokenIssueTime\":\"%s\"}}}]}",
		 before);
	return json_object_new_string(text);
}

/* Appends text to a message buffer, after sep when the buffer is not empty. */
static void add_sep(char *buf, size_t len, const char *sep, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void add_sep(char *buf, size_t len, const char *sep, const char *fmt, va_list ap)
{
	size_t n = strlen(buf);

	if (n + strlen(sep) + 1 >= len)
		return;
	if (n) {
		memcpy(buf + n, sep, strlen(sep) + 1);
		n += strlen(sep);
	}
	vsnprintf(buf + n, len - n, fmt, ap);
}

/* A change in a list of changes: ", " between them. */
static void add_part(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_part(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_sep(buf, len, ", ", fmt, ap);
	va_end(ap);
}

/* A remark on the changes: "; " between them. */
static void add_note(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_note(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_sep(buf, len, "; ", fmt, ap);
	va_end(ap);
}

static void summarise(struct irx_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void summarise(struct irx_result *res, const char *fmt, ...)
{
	char text[MSG_MAX * 2] = "";
	struct json_object *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s = json_object_new_string(text);
	json_object_object_add(res->outputs, "Summary", s);
	res->message = json_object_get_string(s);
}

/* --- ARNs ------------------------------------------------------------------------------------ */

struct fn_ref {
	char region[32];
	char name[160];	     /* unqualified */
	char qualifier[160]; /* "" | alias | version | "$LATEST" */
};

static bool name_ok(const char *s, bool qualifier)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || (qualifier && c == '$')))
			return false;
	}
	return true;
}

/*
 * arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], or a bare function name
 * (NAME[:QUALIFIER]). The seeds never sent these ARNs to their Lambda branch; this is it.
 */
static int fn_parse(const struct irx_context *ctx, const char *s, struct fn_ref *out)
{
	const char *p = s, *f[6] = {0}, *rest = NULL, *colon = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return ctx->host->fail(ctx->call, "no function ARN given");
	if (strncmp(s, "arn:", 4) == 0) {
		for (int i = 0; i < 6; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (!p)
				return ctx->host->fail(ctx->call,
						       "'%s' is not a Lambda function ARN", s);
			p++;
		}
		if (strncmp(f[2], "lambda:", 7) != 0 || strncmp(f[5], "function:", 9) != 0)
			return ctx->host->fail(ctx->call, "'%s' is not a Lambda function ARN", s);
		n = (size_t)(strchr(f[3], ':') - f[3]);
		if (n >= sizeof(out->region))
			return ctx->host->fail(ctx->call, "'%s' is not a Lambda function ARN", s);
		memcpy(out->region, f[3], n);
		rest = p;
	} else {
		rest = s;
	}
	colon = strchr(rest, ':');
	n = colon ? (size_t)(colon - rest) : strlen(rest);
	if (n == 0 || n >= sizeof(out->name))
		return ctx->host->fail(ctx->call, "'%s' names no Lambda function", s);
	memcpy(out->name, rest, n);
	if (colon && (strlen(colon + 1) >= sizeof(out->qualifier) || strchr(colon + 1, ':')))
		return ctx->host->fail(ctx->call, "'%s' has a malformed qualifier", s);
	if (colon)
		snprintf(out->qualifier, sizeof(out->qualifier), "%s", colon + 1);
	if (!name_ok(out->name, false) || (colon && !name_ok(out->qualifier, true)))
		return ctx->host->fail(ctx->call, "'%s' names no Lambda function", s);
	return 0;
}

/* The role name of a role ARN: the last segment (role/service-role/x -> x). */
static const char *role_name_of(const char *role_arn)
{
	const char *r = role_arn ? strstr(role_arn, ":role/") : NULL;
	const char *slash = r ? strrchr(r, '/') : NULL;

	return slash && slash[1] ? slash + 1 : NULL;
}

/* --- concurrency-zero:lambda ----------------------------------------------------------- */

/* Other functions (of fns, every function) whose execution role is role_arn: "'a', 'b'" in
 * buf; returns how many. */
static int shared_role(struct json_object *fns, const char *self, const char *role_arn, char *buf,
		       size_t len)
{
	int count = 0;

	for (size_t i = 0; i < json_object_array_length(fns); i++) {
		struct json_object *fn = json_object_array_get_idx(fns, i);
		const char *name = str_in(fn, "FunctionName"), *role = str_in(fn, "Role");

		if (!name || !role || strcmp(name, self) == 0 || strcmp(role, role_arn) != 0)
			continue;
		add_part(buf, len, "'%s'", name);
		count++;
	}
	return count;
}

/* Mapping states that may deliver events. */
static bool esm_enabled(const char *state)
{
	return state && (strcmp(state, "Enabled") == 0 || strcmp(state, "Enabling") == 0 ||
			 strcmp(state, "Updating") == 0 || strcmp(state, "Creating") == 0);
}

/* Plans tagging the function; each key's previous value (or null) goes into undo.Tags. */
static void plan_tags(struct batch *b, const struct irx_context *ctx, struct irx_result *res,
		      const char *fn_arn, struct json_object *current)
{
	const char *keys[3] = {"irx:execution-id", "irx:action", "irx:case-id"};
	const char *values[3] = {ctx->execution_id, ACTION_NAME, ctx->case_id};
	struct json_object *prev = json_object_new_object();
	struct json_object *tags = json_object_new_object();
	struct json_object *params = params_new("Resource", fn_arn, NULL);

	for (int i = 0; i < 3; i++) {
		const char *was = NULL;

		if (!values[i] || !*values[i])
			continue;
		was = str_in(current, keys[i]);
		json_object_object_add(prev, keys[i], was ? json_object_new_string(was) : NULL);
		json_object_object_add(tags, keys[i], json_object_new_string(values[i]));
	}
	json_object_object_add(res->undo, "Tags", prev);
	json_object_object_add(params, "Tags", tags);
	batch_add(b, "lambda", "TagResource", params, "Tags", NULL);
}

/*
 * Three round trips: the function, its concurrency, every function (for the shared-role
 * check) and its event source mappings at once; the role's inline policies; then every change
 * at once.
 */
static int lockdown(const struct irx_context *ctx, struct json_object *inputs,
		    struct irx_result *res)
{
	const char *target = str_in(inputs, "TargetArn");
	bool disable_esm = bool_in(inputs, "DisableEventSources");
	bool revoke = bool_in(inputs, "RevokeRoleSessions");
	struct fn_ref fn = {0};
	struct batch rd = {0}, wr = {0};
	struct json_object *func = NULL, *qfunc = NULL, *conc = NULL, *esms = NULL, *fns = NULL;
	struct json_object *to_disable = NULL, *policies = NULL, *cfg = NULL, *v = NULL;
	struct json_object *params = NULL;
	const char *role_arn = NULL, *role = NULL, *fn_arn = NULL;
	char before[32] = "", done[MSG_MAX] = "", notes[MSG_MAX] = "", others[MSG_MAX] = "";
	bool has_prev = false, revoked = false;
	size_t i_q = 0, i_fns = 0, i_esm = 0;
	int64_t prev = 0;
	int nothers = 0, rc = -1;

	if (fn_parse(ctx, target, &fn) < 0)
		return -1;
	if (fn.region[0] && ctx->region && ctx->region[0] && strcmp(fn.region, ctx->region) != 0)
		return ctx->host->fail(
		    ctx->call,
		    "cannot stop function '%s': it is in region '%s' but the step "
		    "runs in '%s'",
		    fn.name, fn.region, ctx->region);
	json_object_object_add(res->outputs, "FunctionName", json_object_new_string(fn.name));
	if (fn.qualifier[0]) {
		json_object_object_add(res->outputs, "Qualifier",
				       json_object_new_string(fn.qualifier));
		add_note(notes, sizeof(notes),
			 "reserved concurrency applies to the whole function '%s', not to '%s' "
			 "alone: every version and alias stops",
			 fn.name, fn.qualifier);
	}

	/* Read everything first: the plan (and a dry run) rests on live state. */
	batch_add(&rd, "lambda", "GetFunction", params_new("FunctionName", fn.name, NULL), NULL,
		  NULL);
	batch_add(&rd, "lambda", "GetFunctionConcurrency",
		  params_new("FunctionName", fn.name, NULL), NULL, NULL);
	/* A version keeps the role it was published with: a qualified ARN runs as its
	 * version's role, which is the one to revoke. */
	if (revoke && fn.qualifier[0])
		i_q =
		    batch_add(&rd, "lambda", "GetFunction",
			      params_new("FunctionName", fn.name, "Qualifier", fn.qualifier, NULL),
			      NULL, NULL);
	if (revoke)
		i_fns =
		    batch_add(&rd, "lambda", "ListFunctions", json_object_new_object(), NULL, NULL);
	if (disable_esm)
		i_esm = batch_add(&rd, "lambda", "ListEventSourceMappings",
				  params_new("FunctionName", fn.name, NULL), NULL, NULL);
	if (batch_send(ctx, &rd) > 0)
		goto out;
	func = json_object_get(rd.reqs[0].response);
	conc = json_object_get(rd.reqs[1].response);
	cfg = obj_in(func, "Configuration");
	role_arn = str_in(cfg, "Role");
	fn_arn = str_in(cfg, "FunctionArn");
	if (!fn_arn) {
		ctx->host->fail(ctx->call,
				"cannot stop function '%s': GetFunction returned no FunctionArn",
				fn.name);
		goto out;
	}
	if (json_object_object_get_ex(conc, "ReservedConcurrentExecutions", &v) && v) {
		has_prev = true;
		prev = json_object_get_int64(v);
	}
	if (revoke && fn.qualifier[0]) {
		const char *qrole = NULL;

		qfunc = json_object_get(rd.reqs[i_q].response);
		qrole = str_in(obj_in(qfunc, "Configuration"), "Role");
		if (qrole && role_arn && strcmp(qrole, role_arn) != 0)
			add_note(notes, sizeof(notes),
				 "warning: '%s' runs as role '%s' but the unqualified function as "
				 "'%s', which this action does not revoke",
				 fn.qualifier, qrole, role_arn);
		if (qrole)
			role_arn = qrole;
	}
	if (revoke) {
		role = role_name_of(role_arn);
		if (!role) {
			ctx->host->fail(
			    ctx->call,
			    "cannot revoke the sessions of function '%s': its execution "
			    "role '%s' is not a role ARN",
			    fn.name, role_arn ? role_arn : "");
			goto out;
		}
		json_object_object_add(res->outputs, "RoleName", json_object_new_string(role));
		if (aws_list(ctx, "lambda", "ListFunctions", json_object_new_object(), "Functions",
			     "NextMarker", rd.reqs[i_fns].response, &fns) < 0 ||
		    aws_list(ctx, "iam", "ListRolePolicies", params_new("RoleName", role, NULL),
			     "PolicyNames", "Marker", NULL, &policies) < 0)
			goto out;
		revoked = arr_has_string(policies, REVOKE_POLICY);
		nothers = shared_role(fns, fn.name, role_arn, others, sizeof(others));
	}
	to_disable = json_object_new_array();
	if (disable_esm) {
		if (aws_list(ctx, "lambda", "ListEventSourceMappings",
			     params_new("FunctionName", fn.name, NULL), "EventSourceMappings",
			     "NextMarker", rd.reqs[i_esm].response, &esms) < 0)
			goto out;
		for (size_t i = 0; i < json_object_array_length(esms); i++) {
			struct json_object *m = json_object_array_get_idx(esms, i);

			if (str_in(m, "UUID") && esm_enabled(str_in(m, "State")))
				json_object_array_add(to_disable,
						      json_object_new_string(str_in(m, "UUID")));
		}
	}
	json_object_object_add(res->outputs, "PreviousConcurrency",
			       has_prev ? json_object_new_int64(prev) : NULL);

	if (has_prev && prev == 0 && (!revoke || revoked) &&
	    json_object_array_length(to_disable) == 0) {
		json_object_object_add(res->outputs, "Changed", json_object_new_boolean(0));
		summarise(res, "function '%s' already contained: reserved concurrency 0%s%s%s%s",
			  fn.name, revoke ? ", older sessions of role '" : "", revoke ? role : "",
			  revoke ? "' revoked" : "",
			  disable_esm ? ", no enabled event source" : "");
		rc = 0;
		goto out;
	}

	/* Every change at once; the undo record holds them all before any is sent. */
	json_object_object_add(res->undo, "Action", json_object_new_string(ACTION_NAME));
	json_object_object_add(res->undo, "FunctionName", json_object_new_string(fn.name));
	json_object_object_add(res->undo, "FunctionArn", json_object_new_string(fn_arn));
	if (!has_prev || prev != 0) {
		json_object_object_add(res->undo, "PreviousConcurrency",
				       has_prev ? json_object_new_int64(prev) : NULL);
		params = params_new("FunctionName", fn.name, NULL);
		json_object_object_add(params, "ReservedConcurrentExecutions",
				       json_object_new_int(0));
		batch_add(&wr, "lambda", "PutFunctionConcurrency", params, "PreviousConcurrency",
			  NULL);
		if (has_prev)
			add_part(done, sizeof(done), "set reserved concurrency to 0 (was %lld)",
				 (long long)prev);
		else
			add_part(done, sizeof(done),
				 "set reserved concurrency to 0 (none was reserved)");
	}
	if (revoke && !revoked) {
		iso8601_now(before, sizeof(before));
		json_object_object_add(res->undo, "RoleName", json_object_new_string(role));
		json_object_object_add(res->undo, "InlinePolicy",
				       json_object_new_string(REVOKE_POLICY));
		json_object_object_add(res->undo, "RevokedBefore", json_object_new_string(before));
		params = params_new("RoleName", role, "PolicyName", REVOKE_POLICY, NULL);
		json_object_object_add(params, "PolicyDocument", revoke_document(before));
		batch_add(&wr, "iam", "PutRolePolicy", params, "InlinePolicy", NULL);
		add_part(done, sizeof(done), "%s sessions of role '%s' issued before %s",
			 ctx->dry_run ? "revoke" : "revoked", role, before);
		json_object_object_add(res->outputs, "RevokedBefore",
				       json_object_new_string(before));
		if (nothers) {
			ctx->host->log(ctx->call, IRX_LOG_WARN,
				       "role '%s' is shared with %d other function%s (%s): their "
				       "older sessions are revoked too",
				       role, nothers, nothers == 1 ? "" : "s", others);
			add_note(notes, sizeof(notes),
				 "warning: role '%s' is shared with %d other function%s (%s): "
				 "their sessions issued before then are revoked too",
				 role, nothers, nothers == 1 ? "" : "s", others);
		}
	}
	json_object_object_add(res->outputs, "RoleSharedWith", json_object_new_int(nothers));
	for (size_t i = 0; i < json_object_array_length(to_disable); i++) {
		const char *uuid = json_object_get_string(json_object_array_get_idx(to_disable, i));

		json_object_array_add(undo_list(res->undo, "DisabledEventSourceMappings"),
				      json_object_new_string(uuid));
		params = params_new("UUID", uuid, NULL);
		json_object_object_add(params, "Enabled", json_object_new_boolean(0));
		batch_add(&wr, "lambda", "UpdateEventSourceMapping", params,
			  "DisabledEventSourceMappings", uuid);
	}
	if (json_object_array_length(to_disable)) {
		size_t n = json_object_array_length(to_disable);

		add_part(done, sizeof(done), "%s %zu event source mapping%s",
			 ctx->dry_run ? "disable" : "disabled", n, n == 1 ? "" : "s");
	}
	json_object_object_add(res->outputs, "DisabledEventSourceMappings",
			       json_object_get(to_disable));
	plan_tags(&wr, ctx, res, fn_arn, obj_in(func, "Tags"));
	if (batch_commit(ctx, res, &wr) < 0)
		goto out;
	json_object_object_add(res->outputs, "Changed", json_object_new_boolean(!ctx->dry_run));
	summarise(res, "%s function '%s': %s%s%s", ctx->dry_run ? "would stop" : "stopped", fn.name,
		  done[0] ? done : "tagged", notes[0] ? "; " : "", notes);
	rc = 0;
out:
	json_object_put(func);
	json_object_put(qfunc);
	json_object_put(conc);
	json_object_put(esms);
	json_object_put(fns);
	json_object_put(to_disable);
	json_object_put(policies);
	batch_release(&rd);
	batch_release(&wr);
	return rc;
}

/* --- rollback ------------------------------------------------------------------------------ */

static int undo_tags(const struct irx_context *ctx, const char *fn_arn, struct json_object *tags,
		     char *done, size_t len)
{
	struct json_object *untag = json_object_new_array();
	struct json_object *retag = json_object_new_object();
	struct json_object *params = NULL;
	int rc = -1;

	json_object_object_foreach(tags, k, v)
	{
		if (v && json_object_is_type(v, json_type_string))
			json_object_object_add(retag, k,
					       json_object_new_string(json_object_get_string(v)));
		else
			json_object_array_add(untag, json_object_new_string(k));
	}
	if (json_object_array_length(untag)) {
		params = params_new("Resource", fn_arn, NULL);
		json_object_object_add(params, "TagKeys", json_object_get(untag));
		if (aws(ctx, "lambda", "UntagResource", params, NULL) < 0)
			goto out;
	}
	if (json_object_object_length(retag)) {
		params = params_new("Resource", fn_arn, NULL);
		json_object_object_add(params, "Tags", json_object_get(retag));
		if (aws(ctx, "lambda", "TagResource", params, NULL) < 0)
			goto out;
	}
	add_part(done, len, "%s the irx tags", ctx->dry_run ? "restore" : "restored");
	rc = 0;
out:
	json_object_put(untag);
	json_object_put(retag);
	return rc;
}

static int undo_esms(const struct irx_context *ctx, struct json_object *uuids, char *done,
		     size_t len, char *skipped, size_t slen)
{
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(uuids); i++) {
		const char *uuid = json_object_get_string(json_object_array_get_idx(uuids, i));
		struct json_object *m = NULL, *params = NULL;
		const char *state = NULL;
		int rc =
		    aws_expect(ctx, "lambda", "GetEventSourceMapping",
			       params_new("UUID", uuid, NULL), "ResourceNotFoundException", &m);

		if (rc < 0)
			return -1;
		if (rc == 1) {
			add_part(skipped, slen, "event source mapping '%s' no longer exists", uuid);
			continue;
		}
		state = str_in(m, "State");
		if (esm_enabled(state)) {
			json_object_put(m);
			continue; /* someone already re-enabled it */
		}
		json_object_put(m);
		params = params_new("UUID", uuid, NULL);
		json_object_object_add(params, "Enabled", json_object_new_boolean(1));
		if (aws(ctx, "lambda", "UpdateEventSourceMapping", params, NULL) < 0)
			return -1;
		n++;
	}
	if (n)
		add_part(done, len, "%s %d event source mapping%s",
			 ctx->dry_run ? "re-enable" : "re-enabled", n, n == 1 ? "" : "s");
	return 0;
}

static int release(const struct irx_context *ctx, struct json_object *undo, struct irx_result *res)
{
	const char *name = str_in(undo, "FunctionName");
	const char *fn_arn = str_in(undo, "FunctionArn");
	const char *role = str_in(undo, "RoleName");
	const char *policy = str_in(undo, "InlinePolicy");
	struct json_object *v = NULL, *policies = NULL, *conc = NULL, *params = NULL;
	char done[MSG_MAX] = "", skipped[MSG_MAX] = "";
	int rc = -1;

	if (!name || !fn_arn)
		return ctx->host->fail(ctx->call, "undo record lacks FunctionName or FunctionArn");
	json_object_object_add(res->outputs, "FunctionName", json_object_new_string(name));
	/* Reverse order of execute: tags, event sources, role sessions, concurrency. */
	v = obj_in(undo, "Tags");
	if (v && undo_tags(ctx, fn_arn, v, done, sizeof(done)) < 0)
		goto out;
	v = arr_in(undo, "DisabledEventSourceMappings");
	if (v && undo_esms(ctx, v, done, sizeof(done), skipped, sizeof(skipped)) < 0)
		goto out;
	if (role && policy) {
		if (aws_list(ctx, "iam", "ListRolePolicies", params_new("RoleName", role, NULL),
			     "PolicyNames", "Marker", NULL, &policies) < 0)
			goto out;
		if (arr_has_string(policies, policy)) {
			if (aws(ctx, "iam", "DeleteRolePolicy",
				params_new("RoleName", role, "PolicyName", policy, NULL), NULL) < 0)
				goto out;
			add_part(done, sizeof(done), "%s inline policy '%s' of role '%s'",
				 ctx->dry_run ? "delete" : "deleted", policy, role);
		} else {
			add_part(skipped, sizeof(skipped),
				 "inline policy '%s' of role '%s' was already gone", policy, role);
		}
	}
	if (json_object_object_get_ex(undo, "PreviousConcurrency", &v)) {
		struct json_object *cur = NULL;

		if (aws(ctx, "lambda", "GetFunctionConcurrency",
			params_new("FunctionName", name, NULL), &conc) < 0)
			goto out;
		if (!json_object_object_get_ex(conc, "ReservedConcurrentExecutions", &cur) ||
		    !cur || json_object_get_int64(cur) != 0) {
			/* Not as this execution left it: whoever changed it wins. */
			add_part(skipped, sizeof(skipped),
				 "reserved concurrency was changed since (left as it is)");
		} else if (!v) {
			if (aws(ctx, "lambda", "DeleteFunctionConcurrency",
				params_new("FunctionName", name, NULL), NULL) < 0)
				goto out;
			add_part(done, sizeof(done),
				 "%s the reserved concurrency (none was reserved)",
				 ctx->dry_run ? "remove" : "removed");
		} else {
			params = params_new("FunctionName", name, NULL);
			json_object_object_add(params, "ReservedConcurrentExecutions",
					       json_object_new_int64(json_object_get_int64(v)));
			if (aws(ctx, "lambda", "PutFunctionConcurrency", params, NULL) < 0)
				goto out;
			add_part(done, sizeof(done), "%s reserved concurrency %lld",
				 ctx->dry_run ? "restore" : "restored",
				 (long long)json_object_get_int64(v));
		}
	}
	summarise(res, "%s function '%s': %s%s%s", ctx->dry_run ? "would release" : "released",
		  name, done[0] ? done : "nothing left to undo", skipped[0] ? "; " : "", skipped);
	rc = 0;
out:
	json_object_put(policies);
	json_object_put(conc);
	return rc;
}

/* --- the plugin -------------------------------------------------------------------------- */

static const struct irx_param lambda_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) or name"},
    {"DisableEventSources", IRX_PARAM_BOOLEAN, 0, "false",
     "also disable every enabled event source mapping of the function"},
    {"RevokeRoleSessions", IRX_PARAM_BOOLEAN, 0, "true",
     "revoke the execution role's sessions issued before now (affects every function "
     "sharing the role)"},
    {0},
};

/* The AWS calls execute and rollback make (the host refuses any other). */
static const char *const cz_calls[] = {
    "lambda:GetFunction",
    "lambda:GetFunctionConcurrency",
    "lambda:ListFunctions",
    "lambda:ListEventSourceMappings",
    "lambda:GetEventSourceMapping",
    "lambda:PutFunctionConcurrency",
    "lambda:DeleteFunctionConcurrency",
    "lambda:UpdateEventSourceMapping",
    "lambda:TagResource",
    "lambda:UntagResource",
    "iam:ListRolePolicies",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    NULL,
};

static const struct irx_action cz_actions[] = {
    {"lambda",
     "stop a Lambda function: reserved concurrency 0, execution role's older sessions "
     "revoked, event sources disabled by parameter",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, lambda_params, lockdown, release, cz_calls},
    {0},
};

IRX_PLUGIN_DEFINE("concurrency-zero", "1.0.0", "Apache-2.0", cz_actions, NULL, NULL)
