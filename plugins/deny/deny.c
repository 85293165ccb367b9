/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The deny plugin: cut an IAM principal off from AWS, reversibly where AWS allows.
 *
 *   deny:iamUser    AWSDenyAll attached, sessions issued before now revoked (an inline
 *                   aws:TokenIssueTime deny), every active access key set Inactive, the console
 *                   password deleted (IAM has no "disable": this one part cannot be rolled back).
 *   deny:iamRole    Mode deny-all (AWSDenyAll: every current and future session) or
 *                   revoke-older-sessions (only sessions issued before now). Service-linked
 *                   roles are refused: IAM rejects policies on them.
 *   deny:accessKey  the key's owner found with GetAccessKeyLastUsed, the key set Inactive, the
 *                   owner's sessions issued before now revoked.
 *
 * Order: the user's changes go from the widest effect to the narrowest, so an AccessDenied
 * half-way leaves the most containment in place: one AttachUserPolicy stops every credential
 * at once; keys and password follow. Tags come last: they are bookkeeping.
 *
 * Every change is entered in the undo record and checkpointed before it is made; an entry
 * whose call AWS rejected is taken out again, so the record holds what was done. Rollback
 * reads live state and only reverts what is still as this execution left it.
 *
 * Undo record (one shape for the three actions):
 *   {"Action", "Partition", "UserName" | "RoleName",
 *    "AttachedPolicies": [arn], "InlinePolicy": name, "RevokedBefore": iso8601,
 *    "DeactivatedKeys": [id], "DeletedLoginProfile": {"CreateDate", "Restorable": false},
 *    "Tags": {key: previous value or null}}
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "irx/plugin.h"

#define REVOKE_POLICY "irx-revoke-older-sessions"
#define DENY_ALL "AWSDenyAll"
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

/* {"k1": "v1", "k2": "v2", ...}; NULL-terminated key/value pairs. Transferred. */
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

/*
 * As aws(), when one AWS error code is an answer: returns 1 on that code. A host older than
 * aws_call_expect fails the step on it instead (the safe side: nothing is assumed).
 */
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
 * Every item of a paginated IAM list (Marker in, IsTruncated + Marker out), appended to
 * *items (transferred, an array). params transferred.
 */
static int aws_list(const struct irx_context *ctx, const char *service, const char *op,
		    struct json_object *params, const char *key, struct json_object **items)
{
	struct json_object *resp = NULL, *page = NULL;
	const char *marker = NULL;
	int rc = -1;

	*items = json_object_new_array();
	for (int guard = 0; guard < 1000; guard++) {
		struct json_object *p = NULL;

		json_object_deep_copy(params, &p, NULL);
		if (marker) /* else: the caller's Marker, if any, starts the list */
			json_object_object_add(p, "Marker", json_object_new_string(marker));
		json_object_put(resp);
		resp = NULL;
		if (aws(ctx, service, op, p, &resp) < 0)
			goto out;
		page = arr_in(resp, key);
		for (size_t i = 0; page && i < json_object_array_length(page); i++)
			json_object_array_add(*items,
					      json_object_get(json_object_array_get_idx(page, i)));
		marker = str_in(resp, "Marker");
		if (!json_object_get_boolean(json_object_object_get(resp, "IsTruncated")) ||
		    !marker || !*marker)
			break;
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

/* The item of arr whose member key equals value, or NULL. Borrowed. */
static struct json_object *arr_find(struct json_object *arr, const char *key, const char *value)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		const char *s = str_in(v, key);

		if (s && strcmp(s, value) == 0)
			return v;
	}
	return NULL;
}

/* The array undo[key], created when missing. Borrowed. */
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
		const char *code = b->reqs[i].expected ? b->reqs[i].expected[0] : NULL;
		int rc = code ? aws_expect(ctx, b->reqs[i].service, b->meta[i].op, params, code,
					   &b->reqs[i].response)
			      : aws(ctx, b->reqs[i].service, b->meta[i].op, params,
				    &b->reqs[i].response);

		if (rc == 1)
			snprintf(b->reqs[i].expected_code, sizeof(b->reqs[i].expected_code), "%s",
				 code);
		b->reqs[i].failed = rc < 0;
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
		if (strcmp(key, "InlinePolicy") == 0)
			json_object_object_del(undo, "RevokedBefore");
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

/*
 * The rest of a paginated IAM list whose first page is `first` (borrowed): every item in
 * *items (transferred). params transferred (the first page's request, without Marker).
 */
static int list_rest(const struct irx_context *ctx, const char *service, const char *op,
		     struct json_object *params, const char *key, struct json_object *first,
		     struct json_object **items)
{
	struct json_object *page = arr_in(first, key);
	const char *marker = str_in(first, "Marker");
	int rc = 0;

	*items = json_object_new_array();
	for (size_t i = 0; page && i < json_object_array_length(page); i++)
		json_object_array_add(*items, json_object_get(json_object_array_get_idx(page, i)));
	if (json_object_get_boolean(json_object_object_get(first, "IsTruncated")) && marker &&
	    *marker) {
		struct json_object *p = NULL, *more = NULL;

		json_object_deep_copy(params, &p, NULL);
		json_object_object_add(p, "Marker", json_object_new_string(marker));
		rc = aws_list(ctx, service, op, p, key, &more);
		for (size_t i = 0; rc == 0 && i < json_object_array_length(more); i++)
			json_object_array_add(*items,
					      json_object_get(json_object_array_get_idx(more, i)));
		json_object_put(more);
	}
	json_object_put(params);
	if (rc < 0) {
		json_object_put(*items);
		*items = NULL;
	}
	return rc;
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
	struct json_object *doc = json_object_new_object();
	struct json_object *st = json_object_new_object();
	struct json_object *cond = json_object_new_object();
	struct json_object *lt = json_object_new_object();
	struct json_object *stmts = json_object_new_array();
	struct json_object *text = NULL;

	json_object_object_add(lt, "aws:TokenIssueTime", json_object_new_string(before));
	json_object_object_add(cond, "DateLessThan", lt);
	json_object_object_add(st, "Sid", json_object_new_string("IrxRevokeOlderSessions"));
	json_object_object_add(st, "Effect", json_object_new_string("Deny"));
	json_object_object_add(st, "Action", json_object_new_string("*"));
	json_object_object_add(st, "Resource", json_object_new_string("*"));
	json_object_object_add(st, "Condition", cond);
	json_object_array_add(stmts, st);
	json_object_object_add(doc, "Version", json_object_new_string("2012-10-17"));
	json_object_object_add(doc, "Statement", stmts);
	text = json_object_new_string(json_object_to_json_string_ext(
	    doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return text;
}

/* Appends ", text" (or "text" first) to a message buffer. */
static void add_part(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_part(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 3 >= len)
		return;
	if (n) {
		memcpy(buf + n, ", ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* The step's summary: outputs.Summary, and result->message borrowing it. */
static void summarise(struct irx_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void summarise(struct irx_result *res, const char *fmt, ...)
{
	char text[MSG_MAX] = "";
	struct json_object *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s = json_object_new_string(text);
	json_object_object_add(res->outputs, "Summary", s);
	res->message = json_object_get_string(s);
}

/* --- IAM ARNs --------------------------------------------------------------------------- */

struct iam_arn {
	char partition[32];
	char account[32];
	char type[16];	/* "user", "role", "root" */
	char path[512]; /* "/" or "/division/team/" */
	char name[128]; /* the last segment: role/service-role/role1 -> role1 */
};

/*
 * arn:PARTITION:iam::ACCOUNT:user/PATH/NAME (or role/..., or root). IAM names are the last
 * '/'-separated segment; everything between the type and the name is the path.
 */
static int iam_arn_parse(const struct irx_context *ctx, const char *s, struct iam_arn *out)
{
	const char *f[6] = {0};
	const char *p = s, *res = NULL, *slash = NULL, *last = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!s || strncmp(s, "arn:", 4) != 0)
		return ctx->host->fail(ctx->call, "'%s' is not an ARN", s ? s : "");
	for (int i = 0; i < 5; i++) {
		f[i] = p;
		p = strchr(p, ':');
		if (!p)
			return ctx->host->fail(ctx->call, "'%s' is not an ARN", s);
		p++;
	}
	res = p;
	n = (size_t)(strchr(f[1], ':') - f[1]);
	if (n == 0 || n >= sizeof(out->partition))
		return ctx->host->fail(ctx->call, "'%s' has no valid partition", s);
	memcpy(out->partition, f[1], n);
	if (strncmp(f[2], "iam:", 4) != 0)
		return ctx->host->fail(ctx->call, "'%s' is not an IAM ARN", s);
	n = (size_t)(strchr(f[4], ':') - f[4]);
	if (n == 0 || n >= sizeof(out->account))
		return ctx->host->fail(ctx->call, "'%s' has no account id", s);
	memcpy(out->account, f[4], n);
	if (strcmp(res, "root") == 0) {
		snprintf(out->type, sizeof(out->type), "root");
		snprintf(out->name, sizeof(out->name), "root");
		return 0;
	}
	slash = strchr(res, '/');
	if (!slash || (size_t)(slash - res) >= sizeof(out->type))
		return ctx->host->fail(ctx->call, "'%s' names no IAM user or role", s);
	memcpy(out->type, res, (size_t)(slash - res));
	last = strrchr(res, '/');
	if (!last[1])
		return ctx->host->fail(ctx->call, "'%s' ends without a name", s);
	if (strlen(last + 1) >= sizeof(out->name) ||
	    (size_t)(last - slash) + 1 >= sizeof(out->path))
		return ctx->host->fail(ctx->call, "'%s' is too long for an IAM ARN", s);
	snprintf(out->name, sizeof(out->name), "%s", last + 1);
	memcpy(out->path, slash, (size_t)(last - slash) + 1);
	return 0;
}

static void deny_all_arn(const char *partition, char *buf, size_t len)
{
	snprintf(buf, len, "arn:%s:iam::aws:policy/%s", partition, DENY_ALL);
}

/* --- principals: what differs between a user and a role ---------------------------------- */

struct principal {
	const char *kind;     /* "user" | "role" */
	const char *name_key; /* "UserName" | "RoleName" */
	const char *name;
	const char *Kind; /* "User" | "Role": operation names are built from it */
};

static void op_name(char *buf, size_t len, const char *fmt, const struct principal *p)
{
	snprintf(buf, len, fmt, p->Kind);
}

static struct json_object *name_params(const struct principal *p)
{
	return params_new(p->name_key, p->name, NULL);
}

/* Is the managed policy attached? (List{User,Role}AttachedPolicies, every page) */
static int policy_attached(const struct irx_context *ctx, const struct principal *p,
			   const char *policy_arn, bool *attached)
{
	char op[64];
	struct json_object *items = NULL;

	op_name(op, sizeof(op), "ListAttached%sPolicies", p);
	if (aws_list(ctx, "iam", op, name_params(p), "AttachedPolicies", &items) < 0)
		return -1;
	*attached = arr_find(items, "PolicyArn", policy_arn) != NULL;
	json_object_put(items);
	return 0;
}

static int inline_exists(const struct irx_context *ctx, const struct principal *p,
			 const char *policy, bool *exists)
{
	char op[64];
	struct json_object *items = NULL;

	op_name(op, sizeof(op), "List%sPolicies", p);
	if (aws_list(ctx, "iam", op, name_params(p), "PolicyNames", &items) < 0)
		return -1;
	*exists = arr_has_string(items, policy);
	json_object_put(items);
	return 0;
}

/* Plans attaching policy_arn: recorded in undo.AttachedPolicies. */
static void plan_attach(struct batch *b, const struct principal *p, struct irx_result *res,
			const char *policy_arn)
{
	char op[64];
	struct json_object *params = name_params(p);

	json_object_array_add(undo_list(res->undo, "AttachedPolicies"),
			      json_object_new_string(policy_arn));
	op_name(op, sizeof(op), "Attach%sPolicy", p);
	json_object_object_add(params, "PolicyArn", json_object_new_string(policy_arn));
	batch_add(b, "iam", op, params, "AttachedPolicies", policy_arn);
}

/* Plans the revoke-older-sessions inline policy: recorded in undo.InlinePolicy. */
static void plan_revoke(struct batch *b, const struct principal *p, struct irx_result *res,
			const char *before)
{
	char op[64];
	struct json_object *params = name_params(p);

	json_object_object_add(res->undo, "InlinePolicy", json_object_new_string(REVOKE_POLICY));
	json_object_object_add(res->undo, "RevokedBefore", json_object_new_string(before));
	op_name(op, sizeof(op), "Put%sPolicy", p);
	json_object_object_add(params, "PolicyName", json_object_new_string(REVOKE_POLICY));
	json_object_object_add(params, "PolicyDocument", revoke_document(before));
	batch_add(b, "iam", op, params, "InlinePolicy", NULL);
}

/* Plans key Status=Inactive: recorded in undo.DeactivatedKeys. */
static void plan_deactivate(struct batch *b, const char *user, const char *key,
			    struct irx_result *res)
{
	json_object_array_add(undo_list(res->undo, "DeactivatedKeys"), json_object_new_string(key));
	batch_add(b, "iam", "UpdateAccessKey",
		  params_new("UserName", user, "AccessKeyId", key, "Status", "Inactive", NULL),
		  "DeactivatedKeys", key);
}

/*
 * Plans tagging the principal with the execution (and case) id and the action; each key's
 * previous value (or null) goes into undo.Tags. current: the principal's tags as
 * GetUser/GetRole returned them ([{Key, Value}]), borrowed.
 */
static void plan_tags(struct batch *b, const struct irx_context *ctx, const struct principal *p,
		      struct irx_result *res, struct json_object *current, const char *action)
{
	const char *keys[3] = {"irx:execution-id", "irx:action", "irx:case-id"};
	const char *values[3] = {ctx->execution_id, action, ctx->case_id};
	struct json_object *prev = json_object_new_object();
	struct json_object *tags = json_object_new_array();
	struct json_object *params = name_params(p);
	char op[64];

	for (int i = 0; i < 3; i++) {
		struct json_object *was = NULL;

		if (!values[i] || !*values[i])
			continue;
		was = arr_find(current, "Key", keys[i]);
		json_object_object_add(prev, keys[i],
				       was && str_in(was, "Value")
					   ? json_object_new_string(str_in(was, "Value"))
					   : NULL);
		json_object_array_add(tags, params_new("Key", keys[i], "Value", values[i], NULL));
	}
	json_object_object_add(res->undo, "Tags", prev);
	op_name(op, sizeof(op), "Tag%s", p);
	json_object_object_add(params, "Tags", tags);
	batch_add(b, "iam", op, params, "Tags", NULL);
}

static void set_common_undo(const struct irx_context *ctx, struct irx_result *res,
			    const char *action, const char *partition, const struct principal *p)
{
	(void)ctx;
	json_object_object_add(res->undo, "Action", json_object_new_string(action));
	json_object_object_add(res->undo, "Partition", json_object_new_string(partition));
	json_object_object_add(res->undo, p->name_key, json_object_new_string(p->name));
}

static void output_bool(struct irx_result *res, const char *key, bool v)
{
	json_object_object_add(res->outputs, key, json_object_new_boolean(v));
}

/* Seconds since the epoch of an IAM timestamp ("2024-01-02T03:04:05Z", fractions and
 * offsets ignored but for "+hh:mm"); -1 when it is not one. */
static long long iam_time(const char *s)
{
	struct tm tm = {0};
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (long long)timegm(&tm);
}

/*
 * Access keys and MFA devices created in the last `days` days: an intruder's persistence is
 * reported, not acted on (outputs.RecentlyCreated and a remark in *note).
 */
static void report_recent(const struct irx_context *ctx, struct irx_result *res,
			  struct json_object *keys, struct json_object *mfas, long long days,
			  char *note, size_t len)
{
	long long cutoff = (long long)time(NULL) - days * 86400;
	struct json_object *recent = json_object_new_array();
	char items[MSG_MAX] = "";

	(void)ctx;
	for (int pass = 0; pass < 2; pass++) {
		struct json_object *arr = pass ? mfas : keys;

		for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
			struct json_object *it = json_object_array_get_idx(arr, i);
			const char *id = str_in(it, pass ? "SerialNumber" : "AccessKeyId");
			const char *when = str_in(it, pass ? "EnableDate" : "CreateDate");
			long long t = iam_time(when);

			if (!id || t < 0 || t < cutoff)
				continue;
			json_object_array_add(recent,
					      params_new("Kind", pass ? "MFADevice" : "AccessKey",
							 "Id", id, "Created", when, NULL));
			add_part(items, sizeof(items), "%s '%s' (%s)",
				 pass ? "MFA device" : "access key", id, when);
		}
	}
	json_object_object_add(res->outputs, "RecentlyCreated", recent);
	if (items[0])
		snprintf(note, len,
			 "; created in the last %lld day%s: %s: check whether the intruder made "
			 "them",
			 days, days == 1 ? "" : "s", items);
}

/* --- deny:iamUser -------------------------------------------------------------------------- */

static int deny_user(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	const char *arn = str_in(inputs, "TargetArn");
	struct iam_arn a = {0};
	struct principal p = {"user", "UserName", NULL, "User"};
	struct json_object *user = NULL, *keys = NULL, *login = NULL, *active = NULL, *mfas = NULL;
	struct json_object *attached = NULL, *inlines = NULL;
	struct json_object *days = json_object_object_get(inputs, "RecentDays");
	struct batch rd = {0}, wr = {0};
	static const char *const no_such_entity[] = {"NoSuchEntity", NULL};
	size_t i_user = 0, i_login = 0, i_keys = 0, i_att = 0, i_inl = 0, i_mfa = 0;
	long long recent_days = days ? json_object_get_int64(days) : 7;
	char deny_arn[128] = "", before[32] = "", done[MSG_MAX] = "", have[MSG_MAX] = "";
	char recent[MSG_MAX] = "";
	bool denied = false, revoked = false;
	int lp = 0, rc = -1;

	if (recent_days < 0 || recent_days > 3650)
		return ctx->host->fail(ctx->call, "RecentDays must be between 0 and 3650, not %lld",
				       recent_days);
	if (iam_arn_parse(ctx, arn, &a) < 0)
		return -1;
	if (strcmp(a.type, "root") == 0)
		return ctx->host->fail(ctx->call,
				       "cannot deny the root user of account '%s': IAM policies do "
				       "not apply to the root user; rotate its credentials and "
				       "restrict the account with an SCP",
				       a.account);
	if (strcmp(a.type, "user") != 0)
		return ctx->host->fail(ctx->call,
				       "cannot deny user '%s': the ARN names a %s, not "
				       "a user",
				       arn, a.type);
	p.name = a.name;
	deny_all_arn(a.partition, deny_arn, sizeof(deny_arn));
	json_object_object_add(res->outputs, "UserName", json_object_new_string(a.name));

	/* Read everything first, at once: the plan (and a dry run) rests on live state. A
	 * missing login profile is an answer (NoSuchEntity), not a failure. */
	i_user = batch_add(&rd, "iam", "GetUser", name_params(&p), NULL, NULL);
	i_login = batch_add(&rd, "iam", "GetLoginProfile", name_params(&p), NULL, NULL);
	rd.reqs[i_login].expected = no_such_entity;
	i_keys = batch_add(&rd, "iam", "ListAccessKeys", name_params(&p), NULL, NULL);
	/* RecentDays 0: no report, and no ListMFADevices call */
	if (recent_days > 0)
		i_mfa = batch_add(&rd, "iam", "ListMFADevices", name_params(&p), NULL, NULL);
	i_att = batch_add(&rd, "iam", "ListAttachedUserPolicies", name_params(&p), NULL, NULL);
	i_inl = batch_add(&rd, "iam", "ListUserPolicies", name_params(&p), NULL, NULL);
	if (batch_send(ctx, &rd) > 0)
		goto out;
	user = json_object_get(rd.reqs[i_user].response);
	if (list_rest(ctx, "iam", "ListAccessKeys", name_params(&p), "AccessKeyMetadata",
		      rd.reqs[i_keys].response, &keys) < 0 ||
	    list_rest(ctx, "iam", "ListAttachedUserPolicies", name_params(&p), "AttachedPolicies",
		      rd.reqs[i_att].response, &attached) < 0 ||
	    list_rest(ctx, "iam", "ListUserPolicies", name_params(&p), "PolicyNames",
		      rd.reqs[i_inl].response, &inlines) < 0 ||
	    (recent_days > 0 && list_rest(ctx, "iam", "ListMFADevices", name_params(&p),
					  "MFADevices", rd.reqs[i_mfa].response, &mfas) < 0))
		goto out;
	denied = arr_find(attached, "PolicyArn", deny_arn) != NULL;
	revoked = arr_has_string(inlines, REVOKE_POLICY);
	if (recent_days > 0)
		report_recent(ctx, res, keys, mfas, recent_days, recent, sizeof(recent));
	login = json_object_get(rd.reqs[i_login].response);
	lp = rd.reqs[i_login].expected_code[0] ? 1 : 0;
	active = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i);
		const char *st = str_in(k, "Status"), *id = str_in(k, "AccessKeyId");

		if (id && st && strcmp(st, "Active") == 0)
			json_object_array_add(active, json_object_new_string(id));
	}

	if (denied && revoked && json_object_array_length(active) == 0 && lp == 1) {
		output_bool(res, "Changed", false);
		summarise(res,
			  "user '%s' already contained: %s attached, older sessions revoked, no "
			  "active access key, no console password%s",
			  a.name, DENY_ALL, recent);
		rc = 0;
		goto out;
	}

	set_common_undo(ctx, res, "deny:iamUser", a.partition, &p);
	iso8601_now(before, sizeof(before));
	/* Every change at once; the undo record holds them all before any is sent. */
	if (!denied) {
		plan_attach(&wr, &p, res, deny_arn);
		add_part(done, sizeof(done), "%s %s", ctx->dry_run ? "attach" : "attached",
			 DENY_ALL);
	} else {
		add_part(have, sizeof(have), "%s was attached", DENY_ALL);
	}
	if (!revoked) {
		plan_revoke(&wr, &p, res, before);
		add_part(done, sizeof(done), "%s sessions issued before %s",
			 ctx->dry_run ? "revoke" : "revoked", before);
		json_object_object_add(res->outputs, "RevokedBefore",
				       json_object_new_string(before));
	} else {
		add_part(have, sizeof(have), "older sessions were revoked");
	}
	for (size_t i = 0; i < json_object_array_length(active); i++)
		plan_deactivate(&wr, a.name,
				json_object_get_string(json_object_array_get_idx(active, i)), res);
	if (json_object_array_length(active)) {
		size_t n = json_object_array_length(active);
		char ids[1024] = "";

		for (size_t i = 0; i < n; i++)
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s'%s'",
				 i ? ", " : "",
				 json_object_get_string(json_object_array_get_idx(active, i)));
		add_part(done, sizeof(done), "%s %zu access key%s (%s)",
			 ctx->dry_run ? "deactivate" : "deactivated", n, n == 1 ? "" : "s", ids);
	}
	if (lp == 0) {
		struct json_object *rec = json_object_new_object();
		const char *created = str_in(obj_in(login, "LoginProfile"), "CreateDate");

		json_object_object_add(rec, "CreateDate",
				       created ? json_object_new_string(created) : NULL);
		json_object_object_add(rec, "Restorable", json_object_new_boolean(0));
		json_object_object_add(res->undo, "DeletedLoginProfile", rec);
		batch_add(&wr, "iam", "DeleteLoginProfile", name_params(&p), "DeletedLoginProfile",
			  NULL);
		add_part(done, sizeof(done), "%s the console password (rollback cannot restore it)",
			 ctx->dry_run ? "delete" : "deleted");
	}
	plan_tags(&wr, ctx, &p, res, arr_in(obj_in(user, "User"), "Tags"), "deny:iamUser");
	if (batch_commit(ctx, res, &wr) < 0)
		goto out;
	json_object_object_add(res->outputs, "DeactivatedKeys", json_object_get(active));
	output_bool(res, "PasswordDeleted", lp == 0 && !ctx->dry_run);
	output_bool(res, "Changed", !ctx->dry_run);
	summarise(res, "%s user '%s': %s%s%s%s", ctx->dry_run ? "would contain" : "contained",
		  a.name, done, have[0] ? "; " : "", have, recent);
	rc = 0;
out:
	json_object_put(user);
	json_object_put(keys);
	json_object_put(login);
	json_object_put(active);
	json_object_put(mfas);
	json_object_put(attached);
	json_object_put(inlines);
	batch_release(&rd);
	batch_release(&wr);
	return rc;
}

/* --- deny:iamRole ---------------------------------------------------------------------------- */

static int deny_role(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	const char *arn = str_in(inputs, "TargetArn");
	const char *mode = str_in(inputs, "Mode");
	struct iam_arn a = {0};
	struct principal p = {"role", "RoleName", NULL, "Role"};
	struct json_object *role = NULL, *items = NULL;
	struct batch rd = {0}, wr = {0};
	const char *path = NULL;
	char deny_arn[128] = "", before[32] = "";
	bool deny_all = false, present = false;
	int rc = -1;

	if (!mode || (strcmp(mode, "deny-all") != 0 && strcmp(mode, "revoke-older-sessions") != 0))
		return ctx->host->fail(
		    ctx->call, "unknown Mode '%s': use 'deny-all' or 'revoke-older-sessions'",
		    mode ? mode : "");
	deny_all = strcmp(mode, "deny-all") == 0;
	if (iam_arn_parse(ctx, arn, &a) < 0)
		return -1;
	if (strcmp(a.type, "role") != 0)
		return ctx->host->fail(ctx->call,
				       "cannot deny role '%s': the ARN names a %s, not "
				       "a role",
				       arn, a.type);
	p.name = a.name;
	json_object_object_add(res->outputs, "RoleName", json_object_new_string(a.name));
	json_object_object_add(res->outputs, "Mode", json_object_new_string(mode));
	if (strncmp(a.path, "/aws-service-role/", 18) == 0)
		return ctx->host->fail(
		    ctx->call,
		    "cannot deny role '%s': it is a service-linked role (path "
		    "'%s'); IAM does not allow policies on service-linked roles: "
		    "contain the service or the principals that use it instead",
		    a.name, a.path);
	deny_all_arn(a.partition, deny_arn, sizeof(deny_arn));
	/* The role and the policy that would contain it, read at once. */
	batch_add(&rd, "iam", "GetRole", name_params(&p), NULL, NULL);
	batch_add(&rd, "iam", deny_all ? "ListAttachedRolePolicies" : "ListRolePolicies",
		  name_params(&p), NULL, NULL);
	if (batch_send(ctx, &rd) > 0)
		goto out;
	role = json_object_get(rd.reqs[0].response);
	path = str_in(obj_in(role, "Role"), "Path");
	if (path && strncmp(path, "/aws-service-role/", 18) == 0) {
		ctx->host->fail(ctx->call,
				"cannot deny role '%s': it is a service-linked role (path '%s'); "
				"IAM does not allow policies on service-linked roles: contain the "
				"service or the principals that use it instead",
				a.name, path);
		goto out;
	}
	if (list_rest(ctx, "iam", deny_all ? "ListAttachedRolePolicies" : "ListRolePolicies",
		      name_params(&p), deny_all ? "AttachedPolicies" : "PolicyNames",
		      rd.reqs[1].response, &items) < 0)
		goto out;
	present = deny_all ? arr_find(items, "PolicyArn", deny_arn) != NULL
			   : arr_has_string(items, REVOKE_POLICY);
	if (present) {
		output_bool(res, "Changed", false);
		summarise(res, "role '%s' already contained: %s", a.name,
			  deny_all ? DENY_ALL " attached"
				   : "sessions issued before an earlier cutoff are revoked "
				     "(inline policy '" REVOKE_POLICY "')");
		rc = 0;
		goto out;
	}
	set_common_undo(ctx, res, "deny:iamRole", a.partition, &p);
	if (deny_all) {
		plan_attach(&wr, &p, res, deny_arn);
	} else {
		iso8601_now(before, sizeof(before));
		plan_revoke(&wr, &p, res, before);
		json_object_object_add(res->outputs, "RevokedBefore",
				       json_object_new_string(before));
	}
	plan_tags(&wr, ctx, &p, res, arr_in(obj_in(role, "Role"), "Tags"), "deny:iamRole");
	if (batch_commit(ctx, res, &wr) < 0)
		goto out;
	output_bool(res, "Changed", !ctx->dry_run);
	if (deny_all)
		summarise(res,
			  "%s role '%s': %s %s: every current and future session of the role is "
			  "denied, every holder's included, until it is detached",
			  ctx->dry_run ? "would deny" : "denied", a.name,
			  ctx->dry_run ? "attach" : "attached", DENY_ALL);
	else
		summarise(res,
			  "%s role '%s': sessions issued before %s %s denied; sessions issued "
			  "after it are not, so whoever can still assume the role can get a new "
			  "one",
			  ctx->dry_run ? "would deny" : "denied", a.name, before,
			  ctx->dry_run ? "would be" : "are");
	rc = 0;
out:
	json_object_put(role);
	json_object_put(items);
	batch_release(&rd);
	batch_release(&wr);
	return rc;
}

/* --- deny:accessKey ------------------------------------------------------------------------ */

static bool looks_like_key_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 16 || n > 128 || s[0] != 'A' || s[1] == '\0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static int deny_key(const struct irx_context *ctx, struct json_object *inputs,
		    struct irx_result *res)
{
	const char *target = str_in(inputs, "TargetArn");
	const char *key = str_in(inputs, "AccessKeyId");
	struct iam_arn a = {0};
	struct principal p = {"user", "UserName", NULL, "User"};
	struct json_object *last = NULL, *user = NULL, *keys = NULL, *meta = NULL, *inlines = NULL;
	struct batch rd = {0}, wr = {0};
	const char *owner = NULL, *status = NULL, *partition = "aws";
	char before[32] = "", done[MSG_MAX] = "";
	bool revoked = false;
	int rc = -1;

	if (target && !*target)
		target = NULL;
	if (key && !*key)
		key = NULL;
	if (target && strncmp(target, "arn:", 4) != 0) {
		/* A bare key id given as the target (what a finding names). */
		if (key && strcmp(key, target) != 0)
			return ctx->host->fail(ctx->call,
					       "TargetArn '%s' and AccessKeyId '%s' name different "
					       "keys",
					       target, key);
		key = target;
		target = NULL;
	}
	if (!key)
		return ctx->host->fail(ctx->call, "deny:accessKey needs an AccessKeyId (or the key "
						  "id as TargetArn)");
	if (!looks_like_key_id(key))
		return ctx->host->fail(ctx->call, "'%s' is not an access key id", key);
	if (strncmp(key, "ASIA", 4) == 0)
		return ctx->host->fail(
		    ctx->call,
		    "cannot deactivate access key '%s': it is temporary (ASIA), "
		    "issued by STS; revoke the sessions of the role or user that "
		    "issued it instead",
		    key);
	if (target) {
		if (iam_arn_parse(ctx, target, &a) < 0)
			return -1;
		if (strcmp(a.type, "user") != 0)
			return ctx->host->fail(
			    ctx->call,
			    "cannot deny access key '%s': TargetArn '%s' is not a "
			    "user",
			    key, target);
		partition = a.partition;
	}
	json_object_object_add(res->outputs, "AccessKeyId", json_object_new_string(key));
	if (aws(ctx, "iam", "GetAccessKeyLastUsed", params_new("AccessKeyId", key, NULL), &last) <
	    0)
		goto out;
	owner = str_in(last, "UserName");
	if (!owner || !*owner) {
		ctx->host->fail(ctx->call,
				"cannot deny access key '%s': iam:GetAccessKeyLastUsed "
				"names no owner",
				key);
		goto out;
	}
	if (target && strcmp(owner, a.name) != 0) {
		ctx->host->fail(ctx->call,
				"cannot deny access key '%s': it belongs to user '%s', not to '%s' "
				"named by TargetArn",
				key, owner, a.name);
		goto out;
	}
	p.name = owner;
	json_object_object_add(res->outputs, "UserName", json_object_new_string(owner));
	batch_add(&rd, "iam", "GetUser", name_params(&p), NULL, NULL);
	batch_add(&rd, "iam", "ListAccessKeys", name_params(&p), NULL, NULL);
	batch_add(&rd, "iam", "ListUserPolicies", name_params(&p), NULL, NULL);
	if (batch_send(ctx, &rd) > 0)
		goto out;
	user = json_object_get(rd.reqs[0].response);
	if (list_rest(ctx, "iam", "ListAccessKeys", name_params(&p), "AccessKeyMetadata",
		      rd.reqs[1].response, &keys) < 0 ||
	    list_rest(ctx, "iam", "ListUserPolicies", name_params(&p), "PolicyNames",
		      rd.reqs[2].response, &inlines) < 0)
		goto out;
	revoked = arr_has_string(inlines, REVOKE_POLICY);
	if (!target) {
		/* The partition of the ARN GetUser reports, for the undo record. */
		const char *uarn = str_in(obj_in(user, "User"), "Arn");

		if (uarn && iam_arn_parse(ctx, uarn, &a) == 0)
			partition = a.partition;
	}
	meta = arr_find(keys, "AccessKeyId", key);
	if (!meta) {
		ctx->host->fail(ctx->call,
				"cannot deny access key '%s': user '%s' does not list it", key,
				owner);
		goto out;
	}
	status = str_in(meta, "Status");
	if (status && strcmp(status, "Inactive") == 0 && revoked) {
		output_bool(res, "Changed", false);
		summarise(res,
			  "access key '%s' of user '%s' already contained: inactive, older "
			  "sessions revoked",
			  key, owner);
		rc = 0;
		goto out;
	}
	set_common_undo(ctx, res, "deny:accessKey", partition, &p);
	if (!status || strcmp(status, "Inactive") != 0) {
		plan_deactivate(&wr, owner, key, res);
		add_part(done, sizeof(done), "%s the key",
			 ctx->dry_run ? "deactivate" : "deactivated");
	}
	if (!revoked) {
		iso8601_now(before, sizeof(before));
		plan_revoke(&wr, &p, res, before);
		add_part(done, sizeof(done), "%s the owner's sessions issued before %s",
			 ctx->dry_run ? "revoke" : "revoked", before);
		json_object_object_add(res->outputs, "RevokedBefore",
				       json_object_new_string(before));
	}
	plan_tags(&wr, ctx, &p, res, arr_in(obj_in(user, "User"), "Tags"), "deny:accessKey");
	if (batch_commit(ctx, res, &wr) < 0)
		goto out;
	output_bool(res, "Changed", !ctx->dry_run);
	summarise(res, "%s access key '%s' of user '%s': %s",
		  ctx->dry_run ? "would contain" : "contained", key, owner, done);
	rc = 0;
out:
	json_object_put(last);
	json_object_put(user);
	json_object_put(keys);
	json_object_put(inlines);
	batch_release(&rd);
	batch_release(&wr);
	return rc;
}

/* --- rollback (every action) ------------------------------------------------------------- */

static int undo_tags(const struct irx_context *ctx, const struct principal *p,
		     struct json_object *tags, char *done, size_t len)
{
	struct json_object *untag = json_object_new_array();
	struct json_object *retag = json_object_new_array();
	struct json_object *params = NULL;
	char op[64];
	int rc = -1;

	json_object_object_foreach(tags, k, v)
	{
		if (v && json_object_is_type(v, json_type_string))
			json_object_array_add(
			    retag, params_new("Key", k, "Value", json_object_get_string(v), NULL));
		else
			json_object_array_add(untag, json_object_new_string(k));
	}
	if (json_object_array_length(untag)) {
		op_name(op, sizeof(op), "Untag%s", p);
		params = name_params(p);
		json_object_object_add(params, "TagKeys", json_object_get(untag));
		if (aws(ctx, "iam", op, params, NULL) < 0)
			goto out;
	}
	if (json_object_array_length(retag)) {
		op_name(op, sizeof(op), "Tag%s", p);
		params = name_params(p);
		json_object_object_add(params, "Tags", json_object_get(retag));
		if (aws(ctx, "iam", op, params, NULL) < 0)
			goto out;
	}
	add_part(done, len, "%s the irx tags", ctx->dry_run ? "restore" : "restored");
	rc = 0;
out:
	json_object_put(untag);
	json_object_put(retag);
	return rc;
}

static int undo_keys(const struct irx_context *ctx, const struct principal *p,
		     struct json_object *ids, char *done, size_t len, char *skipped, size_t slen)
{
	struct json_object *keys = NULL;
	int n = 0, rc = -1;

	if (aws_list(ctx, "iam", "ListAccessKeys", name_params(p), "AccessKeyMetadata", &keys) < 0)
		return -1;
	for (size_t i = 0; i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		struct json_object *meta = arr_find(keys, "AccessKeyId", id);
		const char *st = str_in(meta, "Status");

		if (!meta) {
			add_part(skipped, slen, "access key '%s' no longer exists", id);
			continue;
		}
		if (st && strcmp(st, "Active") == 0)
			continue; /* someone already reactivated it */
		if (aws(ctx, "iam", "UpdateAccessKey",
			params_new("UserName", p->name, "AccessKeyId", id, "Status", "Active",
				   NULL),
			NULL) < 0)
			goto out;
		n++;
	}
	if (n)
		add_part(done, len, "%s %d access key%s",
			 ctx->dry_run ? "reactivate" : "reactivated", n, n == 1 ? "" : "s");
	rc = 0;
out:
	json_object_put(keys);
	return rc;
}

static int rollback(const struct irx_context *ctx, struct json_object *undo, struct irx_result *res)
{
	struct principal p = {0};
	struct json_object *v = NULL, *not_restored = json_object_new_array();
	const char *inline_policy = str_in(undo, "InlinePolicy");
	char done[MSG_MAX] = "", skipped[MSG_MAX] = "", op[64];
	bool present = false;
	int rc = -1;

	if (str_in(undo, "UserName")) {
		p = (struct principal){"user", "UserName", str_in(undo, "UserName"), "User"};
	} else if (str_in(undo, "RoleName")) {
		p = (struct principal){"role", "RoleName", str_in(undo, "RoleName"), "Role"};
	} else {
		ctx->host->fail(ctx->call, "undo record names no UserName or RoleName");
		goto out;
	}
	json_object_object_add(res->outputs, p.name_key, json_object_new_string(p.name));
	/* Reverse order of execute: tags, password, keys, sessions, deny-all. */
	v = obj_in(undo, "Tags");
	if (v && undo_tags(ctx, &p, v, done, sizeof(done)) < 0)
		goto out;
	if (obj_in(undo, "DeletedLoginProfile")) {
		char why[512];

		snprintf(why, sizeof(why),
			 "the console password of user '%s' cannot be restored: IAM never "
			 "returns a password and DeleteLoginProfile discarded it; set a new one "
			 "with CreateLoginProfile (PasswordResetRequired) once the incident is "
			 "closed",
			 p.name);
		json_object_array_add(not_restored, json_object_new_string(why));
	}
	v = arr_in(undo, "DeactivatedKeys");
	if (v && undo_keys(ctx, &p, v, done, sizeof(done), skipped, sizeof(skipped)) < 0)
		goto out;
	if (inline_policy) {
		if (inline_exists(ctx, &p, inline_policy, &present) < 0)
			goto out;
		if (present) {
			struct json_object *params = name_params(&p);

			op_name(op, sizeof(op), "Delete%sPolicy", &p);
			json_object_object_add(params, "PolicyName",
					       json_object_new_string(inline_policy));
			if (aws(ctx, "iam", op, params, NULL) < 0)
				goto out;
			add_part(done, sizeof(done), "%s inline policy '%s'",
				 ctx->dry_run ? "delete" : "deleted", inline_policy);
		} else {
			add_part(skipped, sizeof(skipped), "inline policy '%s' was already gone",
				 inline_policy);
		}
	}
	v = arr_in(undo, "AttachedPolicies");
	for (size_t i = 0; v && i < json_object_array_length(v); i++) {
		const char *parn = json_object_get_string(json_object_array_get_idx(v, i));
		struct json_object *params = NULL;

		if (policy_attached(ctx, &p, parn, &present) < 0)
			goto out;
		if (!present) {
			add_part(skipped, sizeof(skipped), "'%s' was already detached", parn);
			continue;
		}
		op_name(op, sizeof(op), "Detach%sPolicy", &p);
		params = name_params(&p);
		json_object_object_add(params, "PolicyArn", json_object_new_string(parn));
		if (aws(ctx, "iam", op, params, NULL) < 0)
			goto out;
		add_part(done, sizeof(done), "%s '%s'", ctx->dry_run ? "detach" : "detached", parn);
	}
	json_object_object_add(res->outputs, "NotRestored", json_object_get(not_restored));
	{
		char text[MSG_MAX * 2] = "";

		snprintf(text, sizeof(text), "%s %s '%s': %s",
			 ctx->dry_run ? "would release" : "released", p.kind, p.name,
			 done[0] ? done : "nothing left to undo");
		if (skipped[0])
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "; %s", skipped);
		for (size_t i = 0; i < json_object_array_length(not_restored); i++)
			snprintf(
			    text + strlen(text), sizeof(text) - strlen(text), "; not restored: %s",
			    json_object_get_string(json_object_array_get_idx(not_restored, i)));
		summarise(res, "%s", text);
	}
	rc = 0;
out:
	json_object_put(not_restored);
	return rc;
}

/* --- the plugin -------------------------------------------------------------------------- */

static const struct irx_param user_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the user's ARN (arn:aws:iam::ACCOUNT:user/PATH/NAME)"},
    {"RecentDays", IRX_PARAM_INTEGER, 0, "7",
     "report access keys and MFA devices created in the last this many days (0: no "
     "report)"},
    {0},
};

static const struct irx_param role_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the role's ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME)"},
    {"Mode", IRX_PARAM_STRING, 0, "deny-all",
     "deny-all (attach AWSDenyAll: every session, now and later) or revoke-older-sessions "
     "(deny sessions issued before now)"},
    {0},
};

static const struct irx_param key_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_RESOURCE, NULL,
     "the owner's user ARN (checked against the key's owner), or the access key id"},
    {"AccessKeyId", IRX_PARAM_STRING, 0, NULL, "the access key to deactivate (AKIA...)"},
    {0},
};

/* The AWS calls of each action, execute and rollback (the host refuses any other). */
static const char *const user_calls[] = {
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:GetLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:UpdateAccessKey",
    "iam:TagUser",
    "iam:DeleteLoginProfile",
    "iam:UntagUser",
    "iam:DeleteUserPolicy",
    "iam:DetachUserPolicy",
    NULL,
};

/* iamRole: the role forms of the same calls. */
static const char *const role_calls[] = {
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    NULL,
};

/* accessKey: the key's owner is a user (STS keys are refused). */
static const char *const key_calls[] = {
    "iam:GetAccessKeyLastUsed",
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:GetLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:UpdateAccessKey",
    "iam:TagUser",
    "iam:DeleteLoginProfile",
    "iam:UntagUser",
    "iam:DeleteUserPolicy",
    "iam:DetachUserPolicy",
    NULL,
};

static const struct irx_action deny_actions[] = {
    {"iamUser",
     "deny an IAM user: AWSDenyAll, older sessions revoked, access keys deactivated, console "
     "password deleted",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, user_params, deny_user, rollback, user_calls},
    {"iamRole", "deny an IAM role: AWSDenyAll or revoke sessions issued before now",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, role_params, deny_role, rollback, role_calls},
    {"accessKey", "deactivate an access key and revoke its owner's older sessions",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, key_params, deny_key, rollback, key_calls},
    {0},
};

IRX_PLUGIN_DEFINE("deny", "1.0.0", "Apache-2.0", deny_actions, NULL, NULL)
