/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for writing irx plugins: reading AWS's JSON answers, calling AWS through the host,
 * and sending independent calls together with the undo record kept true.
 *
 * Source-level helpers, not ABI: every function here is `static inline`, compiled into the
 * plugin that includes this header (nothing is exported, nothing links against irx). A plugin
 * built against an older copy keeps working with a newer host; a newer copy may add helpers
 * or change these signatures, which breaks only a rebuild. They use the host only through
 * struct irx_host, and check `size` before a member added after 1.0 (IRX_HOST_HAS).
 *
 *     #include <irx/plugin.h>
 *     #include <irx/plugin_util.h>
 *
 *     static int lock(const struct irx_context *ctx, struct json_object *inputs,
 *                     struct irx_result *res)
 *     {
 *         const char *user = irx_json_str(inputs, "UserName");
 *         struct irx_batch b = {0};
 *         int rc = -1;
 *
 *         // the undo entry first, then the change that needs it
 *         json_object_array_add(irx_undo_list(res->undo, "DeactivatedKeys"),
 *                               json_object_new_string("AKIA..."));
 *         irx_batch_change(&b, "iam", "UpdateAccessKey",
 *                          irx_json_strings("UserName", user, "AccessKeyId", "AKIA...",
 *                                           "Status", "Inactive", NULL),
 *                          "DeactivatedKeys", "AKIA...");
 *         if (irx_batch_commit(ctx, res->undo, &b) == 0) { // journal, send, take back failures
 *             irx_result_summary(res, "Summary", "deactivated");
 *             rc = 0;
 *         }
 *         irx_batch_release(&b);
 *         return rc;
 *     }
 *
 * Conventions: JSON arguments may be NULL (nothing found); "borrowed" results live as long as
 * the object they came from; params given to a call are transferred (the helper puts them).
 * Out of memory aborts, as the host's own allocators do.
 */
#ifndef IRX_PLUGIN_UTIL_H
#define IRX_PLUGIN_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Does the host provide `member` of struct irx_host (added after 1.0, and non-NULL)? */
#define IRX_HOST_HAS(h, member)                                                                    \
	((h)->size >= offsetof(struct irx_host, member) + sizeof((h)->member) && (h)->member)

/* --- JSON ---------------------------------------------------------------------------------- */

/* obj[key] of any type, or NULL (obj NULL or not an object, key absent). Borrowed. */
static inline struct json_object *irx_json_get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* obj[key] when it is a string, else NULL. Borrowed. */
static inline const char *irx_json_str(struct json_object *obj, const char *key)
{
	struct json_object *v = irx_json_get(obj, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* obj[key] when it is a non-empty string, else NULL (an optional input left ""). Borrowed. */
static inline const char *irx_json_nonempty(struct json_object *obj, const char *key)
{
	const char *s = irx_json_str(obj, key);

	return s && *s ? s : NULL;
}

/* obj[key] when it is an array, else NULL. Borrowed. */
static inline struct json_object *irx_json_array(struct json_object *obj, const char *key)
{
	struct json_object *v = irx_json_get(obj, key);

	return json_object_is_type(v, json_type_array) ? v : NULL;
}

/* obj[key] when it is an object, else NULL. Borrowed. */
static inline struct json_object *irx_json_object(struct json_object *obj, const char *key)
{
	struct json_object *v = irx_json_get(obj, key);

	return json_object_is_type(v, json_type_object) ? v : NULL;
}

/* obj[key] is present and true as json-c reads it (true, a non-zero number, a non-empty
 * string). */
static inline bool irx_json_bool(struct json_object *obj, const char *key)
{
	return json_object_get_boolean(irx_json_get(obj, key)) != 0;
}

/* Does the array hold the string s? (elements of other types never match) */
static inline bool irx_json_array_has(struct json_object *arr, const char *s)
{
	size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), s) == 0)
			return true;
	}
	return false;
}

/* The first element of arr whose string member key equals value ({"Key": "x"} in a tag list),
 * or NULL. Borrowed. */
static inline struct json_object *irx_json_array_find(struct json_object *arr, const char *key,
						      const char *value)
{
	size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		const char *s = irx_json_str(v, key);

		if (s && strcmp(s, value) == 0)
			return v;
	}
	return NULL;
}

/* {"k1": "v1", "k2": "v2", ...} from NULL-terminated key/value pairs: an operation's params, a
 * {"Key", "Value"} tag. Transferred. */
static inline struct json_object *irx_json_strings(const char *key, ...)
    __attribute__((sentinel));

static inline struct json_object *irx_json_strings(const char *key, ...)
{
	struct json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, key);
	for (const char *k = key; k; k = va_arg(ap, const char *))
		json_object_object_add(o, k, json_object_new_string(va_arg(ap, const char *)));
	va_end(ap);
	return o;
}

/* --- results and messages -------------------------------------------------------------------- */

/* outputs[key] = text, and the step's message borrowing it (so it outlives the call). */
static inline void irx_result_summary(struct irx_result *res, const char *key, const char *text)
{
	struct json_object *s = json_object_new_string(text);

	json_object_object_add(res->outputs, key, s);
	res->message = json_object_get_string(s);
}

/* Appends printf text to buf (size len), after sep when buf is not empty ("a, b, c"). Text
 * that does not fit is cut; nothing is added once only sep would fit. */
static inline void irx_text_vadd(char *buf, size_t len, const char *sep, const char *fmt,
				 va_list ap) __attribute__((format(printf, 4, 0)));

static inline void irx_text_vadd(char *buf, size_t len, const char *sep, const char *fmt,
				 va_list ap)
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

static inline void irx_text_add(char *buf, size_t len, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline void irx_text_add(char *buf, size_t len, const char *sep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	irx_text_vadd(buf, len, sep, fmt, ap);
	va_end(ap);
}

#ifdef _POSIX_C_SOURCE /* gmtime_r */
/* The current UTC time as "2024-01-02T03:04:05Z" (len >= 21), as IAM conditions compare it. */
static inline void irx_iso8601_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
#endif

/* --- one call ------------------------------------------------------------------------------ */

/*
 * host->aws_call with params transferred. resp: transferred (put it), or NULL to drop the
 * answer. Fails the step (-1) when the host has no AWS client.
 */
static inline int irx_call_aws(const struct irx_context *ctx, const char *service, const char *op,
			       struct json_object *params, struct json_object **resp)
{
	struct json_object *r = NULL;
	int rc = 0;

	if (resp)
		*resp = NULL;
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
 * As irx_call_aws, when a failure with one of the AWS error codes in expected (NULL-terminated)
 * is an answer: returns 1 then, with *resp NULL. A host older than aws_call_expect fails the
 * step on it instead (the safe side: nothing is assumed).
 */
static inline int irx_call_aws_expect(const struct irx_context *ctx, const char *service,
				      const char *op, struct json_object *params,
				      const char *const *expected, struct json_object **resp)
{
	const struct irx_host *h = ctx->host;
	int rc = 0;

	*resp = NULL;
	if (!IRX_HOST_HAS(h, aws_call_expect))
		return irx_call_aws(ctx, service, op, params, resp);
	rc = h->aws_call_expect(ctx->call, service, op, params, expected, resp);
	json_object_put(params);
	return rc;
}

/* How a list operation pages. */
enum irx_paging {
	IRX_PAGING_IAM = 1,	/* Marker in; IsTruncated and Marker out */
	IRX_PAGING_NEXT_MARKER, /* Marker in; NextMarker out (Lambda) */
	IRX_PAGING_NEXT_TOKEN,	/* NextToken in and out (EC2) */
};

/*
 * Every item of a paginated list (the array member key of each page), in *items (transferred).
 * params: transferred; a Marker/NextToken in them starts the list there. first: the first
 * page when already fetched (borrowed; it answered params), or NULL. At most 1000 pages.
 * Returns 0, or -1 with *items NULL and the step failed.
 */
static inline int irx_call_aws_list(const struct irx_context *ctx, const char *service,
				    const char *op, struct json_object *params, const char *key,
				    enum irx_paging paging, struct json_object *first,
				    struct json_object **items)
{
	const char *in = paging == IRX_PAGING_NEXT_TOKEN ? "NextToken" : "Marker";
	const char *out = paging == IRX_PAGING_IAM	     ? "Marker"
			  : paging == IRX_PAGING_NEXT_MARKER ? "NextMarker"
							     : "NextToken";
	struct json_object *resp = NULL, *page = NULL;
	const char *next = NULL;
	int rc = -1;

	*items = json_object_new_array();
	for (int guard = 0; guard < 1000; guard++) {
		struct json_object *p = NULL, *prev = resp;

		/* A fresh object per page: the host may keep the params it was given. */
		json_object_deep_copy(params, &p, NULL);
		if (next)
			json_object_object_add(p, in, json_object_new_string(next));
		resp = NULL;
		if (guard == 0 && first) {
			json_object_put(p);
			resp = json_object_get(first);
		} else if (irx_call_aws(ctx, service, op, p, &resp) < 0) {
			json_object_put(prev);
			goto out;
		}
		json_object_put(prev); /* held next */
		page = irx_json_array(resp, key);
		for (size_t i = 0; page && i < json_object_array_length(page); i++)
			json_object_array_add(*items,
					      json_object_get(json_object_array_get_idx(page, i)));
		next = irx_json_str(resp, out);
		if (!next || !*next || (paging == IRX_PAGING_IAM && !irx_json_bool(resp, "IsTruncated")))
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

/* --- the undo record ---------------------------------------------------------------------- */

/* The array undo[key], created when missing. Borrowed. */
static inline struct json_object *irx_undo_list(struct json_object *undo, const char *key)
{
	struct json_object *a = irx_json_array(undo, key);

	if (!a) {
		a = json_object_new_array();
		json_object_object_add(undo, key, a);
	}
	return a;
}

/* Takes an entry back out of the undo record (its change did not happen): the string item
 * from the array undo[key] (the array too once empty), or with item NULL or "" the member
 * undo[key] itself. */
static inline void irx_undo_remove(struct json_object *undo, const char *key, const char *item)
{
	struct json_object *a = NULL;

	if (!item || !item[0]) {
		json_object_object_del(undo, key);
		return;
	}
	a = irx_json_array(undo, key);
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *v = json_object_array_get_idx(a, i);

		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), item) == 0) {
			json_object_array_del_idx(a, i, 1);
			break;
		}
	}
	if (a && json_object_array_length(a) == 0)
		json_object_object_del(undo, key);
}

/* --- a batch of independent calls ----------------------------------------------------------- */

/*
 * Calls that do not depend on each other, sent together (host->aws_call_many; one by one on an
 * older host): a containment's latency is its number of round trips. A change carries the undo
 * entries it added, taken back out when AWS refuses it. Zero-initialise; irx_batch_release
 * when done. reqs[i] is the i-th call added: after sending, read reqs[i].response (borrowed
 * from the batch), .failed, .expected_code; set reqs[i].expected before sending.
 */
struct irx_batch_undo {
	size_t call; /* index in reqs */
	char *key;
	char *item; /* NULL: the member undo[key] */
};

struct irx_batch {
	struct irx_aws_request *reqs;
	char **names; /* owned service and operation names, two per call */
	size_t n, cap;
	struct irx_batch_undo *undo;
	size_t n_undo, cap_undo;
};

/* p (cap elements of size) grown to twice as many, or 8. */
static inline void *irx_batch_grow_(void *p, size_t *cap, size_t size)
{
	*cap = *cap ? *cap * 2 : 8;
	p = realloc(p, *cap * size);
	if (!p)
		abort(); /* out of memory */
	return p;
}

static inline char *irx_batch_strdup_(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = (char *)malloc(n);

	if (!d)
		abort(); /* out of memory */
	return (char *)memcpy(d, s, n);
}

/* Adds service:op with params (transferred; the names are copied); returns its index. */
static inline size_t irx_batch_add(struct irx_batch *b, const char *service, const char *op,
				   struct json_object *params)
{
	if (b->n == b->cap) {
		size_t cap = b->cap;

		b->reqs = (struct irx_aws_request *)irx_batch_grow_(b->reqs, &cap, sizeof(*b->reqs));
		cap = b->cap;
		b->names = (char **)irx_batch_grow_(b->names, &cap, 2 * sizeof(*b->names));
		b->cap = cap;
	}
	memset(&b->reqs[b->n], 0, sizeof(b->reqs[0]));
	b->names[2 * b->n] = irx_batch_strdup_(service);
	b->names[2 * b->n + 1] = irx_batch_strdup_(op);
	b->reqs[b->n].service = b->names[2 * b->n];
	b->reqs[b->n].operation = b->names[2 * b->n + 1];
	b->reqs[b->n].params = params;
	return b->n++;
}

/* Call i added this undo entry (see irx_undo_remove for key and item): out again if it fails. */
static inline void irx_batch_undo(struct irx_batch *b, size_t i, const char *key, const char *item)
{
	if (b->n_undo == b->cap_undo)
		b->undo = (struct irx_batch_undo *)irx_batch_grow_(b->undo, &b->cap_undo,
								    sizeof(*b->undo));
	b->undo[b->n_undo].call = i;
	b->undo[b->n_undo].key = irx_batch_strdup_(key);
	b->undo[b->n_undo].item = item && item[0] ? irx_batch_strdup_(item) : NULL;
	b->n_undo++;
}

/* A change: irx_batch_add and irx_batch_undo(key, item) in one. Returns its index. */
static inline size_t irx_batch_change(struct irx_batch *b, const char *service, const char *op,
				      struct json_object *params, const char *key,
				      const char *item)
{
	size_t i = irx_batch_add(b, service, op, params);

	irx_batch_undo(b, i, key, item);
	return i;
}

static inline void irx_batch_release(struct irx_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		json_object_put(b->reqs[i].params);
		json_object_put(b->reqs[i].response);
		free(b->names[2 * i]);
		free(b->names[2 * i + 1]);
	}
	for (size_t i = 0; i < b->n_undo; i++) {
		free(b->undo[i].key);
		free(b->undo[i].item);
	}
	free(b->reqs);
	free(b->names);
	free(b->undo);
	memset(b, 0, sizeof(*b));
}

/*
 * Sends every call and waits for all; returns how many failed (the step's error is the first
 * failure's). On a host without aws_call_many they go one by one, and expected_code is then
 * the expected code when the list names one, "*" when it names several (that host does not
 * say which).
 */
static inline size_t irx_batch_send(const struct irx_context *ctx, struct irx_batch *b)
{
	const struct irx_host *h = ctx->host;
	size_t failed = 0;

	if (b->n == 0)
		return 0;
	if (IRX_HOST_HAS(h, aws_call_many) && h->aws_call)
		return h->aws_call_many(ctx->call, b->reqs, b->n);
	for (size_t i = 0; i < b->n; i++) {
		struct irx_aws_request *r = &b->reqs[i];
		struct json_object *params = json_object_get(r->params);
		int rc = r->expected ? irx_call_aws_expect(ctx, r->service, r->operation, params,
							   r->expected, &r->response)
				     : irx_call_aws(ctx, r->service, r->operation, params,
						    &r->response);

		r->expected_code[0] = '\0';
		if (rc == 1)
			snprintf(r->expected_code, sizeof(r->expected_code), "%s",
				 r->expected[1] ? "*" : r->expected[0]);
		r->failed = rc < 0;
		failed += (size_t)r->failed;
	}
	return failed;
}

/*
 * The changes: journals the undo record (every entry already in it), sends them all, then
 * takes out the entries of the calls AWS refused. Returns 0, or -1 when any failed.
 */
static inline int irx_batch_commit(const struct irx_context *ctx, struct json_object *undo,
				   struct irx_batch *b)
{
	size_t failed = 0;

	if (b->n == 0)
		return 0;
	if (ctx->host->checkpoint(ctx->call, undo) < 0)
		return ctx->host->fail(ctx->call, "cannot journal the undo record");
	failed = irx_batch_send(ctx, b);
	for (size_t i = 0; i < b->n_undo; i++)
		if (b->reqs[b->undo[i].call].failed)
			irx_undo_remove(undo, b->undo[i].key, b->undo[i].item);
	return failed ? -1 : 0;
}

#ifdef __cplusplus
}
#endif
#endif /* IRX_PLUGIN_UTIL_H */
