/* SPDX-License-Identifier: Apache-2.0 */
/* AWS Signature Version 4 over OpenSSL's SHA-256 and HMAC. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/sigv4.h"
#include "util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define MAX_EXPIRES 604800L

/* A growable string. */
struct buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = irx_xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_chr(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

/* The final string (never NULL); ownership moves to the caller. */
static char *buf_take(struct buf *b)
{
	char *s = b->s ? b->s : irx_xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void irx_sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (!EVP_Digest(data ? data : "", len, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
		abort(); /* SHA-256 cannot fail short of a broken OpenSSL */
	to_hex(md, 32, out);
}

static void hmac(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
		 unsigned char out[32])
{
	unsigned int out_len = 0;

	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, msg_len, out,
		  &out_len) ||
	    out_len != 32)
		abort();
}

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

char *irx_sigv4_uri_encode(const char *s, size_t len, bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	struct buf b = {0};

	buf_add(&b, "", 0);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			buf_chr(&b, (char)c);
		} else {
			char esc[3] = {'%', digits[c >> 4], digits[c & 15]};

			buf_add(&b, esc, 3);
		}
	}
	return buf_take(&b);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes; a '%' not followed by two hex digits stays literal. *out_len gets the length. */
static char *uri_decode(const char *s, size_t len, size_t *out_len)
{
	char *out = irx_xmalloc(len + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			out[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

/*
 * RFC 3986 dot-segment removal plus collapsing of empty segments, as the SDKs normalise:
 * "//example//" -> "/example/", "/a/b/../.." -> "/", "/./" -> "/". A trailing slash stays.
 */
static char *normalize_path(const char *path)
{
	size_t len = strlen(path), nseg = 0;
	const char **seg = irx_xcalloc(len + 1, sizeof(*seg));
	size_t *seglen = irx_xcalloc(len + 1, sizeof(*seglen));
	struct buf b = {0};
	const char *p = path;

	while (*p) {
		const char *start, *end;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		end = p;
		if (end == start || (end - start == 1 && start[0] == '.'))
			continue;
		if (end - start == 2 && start[0] == '.' && start[1] == '.') {
			if (nseg)
				nseg--;
			continue;
		}
		seg[nseg] = start;
		seglen[nseg++] = (size_t)(end - start);
	}
	for (size_t i = 0; i < nseg; i++) {
		buf_chr(&b, '/');
		buf_add(&b, seg[i], seglen[i]);
	}
	if (nseg == 0 || (len > 0 && path[len - 1] == '/'))
		buf_chr(&b, '/');
	free(seg);
	free(seglen);
	return buf_take(&b);
}

struct qparam {
	char *key;   /* encoded */
	char *value; /* encoded */
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

struct qlist {
	struct qparam *items;
	size_t count, cap;
};

static void qlist_add_encoded(struct qlist *q, char *key, char *value)
{
	if (q->count == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 16;
		q->items = irx_xrealloc(q->items, q->cap * sizeof(*q->items));
	}
	q->items[q->count].key = key;
	q->items[q->count].value = value;
	q->count++;
}

/* Adds a raw (decoded) key and value. */
static void qlist_add(struct qlist *q, const char *key, const char *value)
{
	qlist_add_encoded(q, irx_sigv4_uri_encode(key, strlen(key), false),
			  irx_sigv4_uri_encode(value, strlen(value), false));
}

/* Splits a wire query into parameters, decoding then re-encoding each key and value. */
static void qlist_parse(struct qlist *q, const char *query)
{
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t klen = eq ? (size_t)(eq - p) : n;

		if (n > 0) {
			size_t dk = 0, dv = 0;
			char *k = uri_decode(p, klen, &dk);
			char *v = eq ? uri_decode(eq + 1, n - klen - 1, &dv) : irx_xstrdup("");

			qlist_add_encoded(q, irx_sigv4_uri_encode(k, dk, false),
					  irx_sigv4_uri_encode(v, dv, false));
			free(k);
			free(v);
		}
		p = amp ? amp + 1 : NULL;
	}
}

static void qlist_release(struct qlist *q)
{
	for (size_t i = 0; i < q->count; i++) {
		/* values may carry the session token */
		OPENSSL_cleanse(q->items[i].value, strlen(q->items[i].value));
		free(q->items[i].key);
		free(q->items[i].value);
	}
	free(q->items);
	memset(q, 0, sizeof(*q));
}

static char *qlist_join(struct qlist *q, bool sort)
{
	struct buf b = {0};

	if (sort && q->count > 1)
		qsort(q->items, q->count, sizeof(*q->items), qparam_cmp);
	for (size_t i = 0; i < q->count; i++) {
		if (i)
			buf_chr(&b, '&');
		buf_str(&b, q->items[i].key);
		buf_chr(&b, '=');
		buf_str(&b, q->items[i].value);
	}
	return buf_take(&b);
}

/* A header prepared for the canonical form. */
struct chdr {
	char *name;  /* lowercase */
	char *value; /* trimmed, inner whitespace runs collapsed to one space */
	size_t order;
};

static int chdr_cmp(const void *a, const void *b)
{
	const struct chdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char *canonical_value(const char *v)
{
	struct buf b = {0};
	bool pending_space = false;

	buf_add(&b, "", 0);
	while (*v && is_ws(*v))
		v++;
	for (; *v; v++) {
		if (is_ws(*v)) {
			pending_space = true;
			continue;
		}
		if (pending_space)
			buf_chr(&b, ' ');
		pending_space = false;
		buf_chr(&b, *v);
	}
	return buf_take(&b);
}

static char *lower(const char *s)
{
	char *out = irx_xstrdup(s);

	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

/* Headers the SDKs leave unsigned: proxies and clients rewrite them. */
static bool unsigned_header(const char *lname)
{
	static const char *const skip[] = {"authorization", "user-agent",	 "x-amzn-trace-id",
					   "expect",	    "transfer-encoding", "connection"};

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(lname, skip[i]) == 0)
			return true;
	return false;
}

struct hlist {
	struct chdr *items;
	size_t count, cap;
};

static void hlist_add(struct hlist *h, const char *name, const char *value)
{
	if (h->count == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->items = irx_xrealloc(h->items, h->cap * sizeof(*h->items));
	}
	h->items[h->count].name = lower(name);
	h->items[h->count].value = canonical_value(value);
	h->items[h->count].order = h->count;
	h->count++;
}

static void hlist_release(struct hlist *h)
{
	for (size_t i = 0; i < h->count; i++) {
		OPENSSL_cleanse(h->items[i].value, strlen(h->items[i].value));
		free(h->items[i].name);
		free(h->items[i].value);
	}
	free(h->items);
	memset(h, 0, sizeof(*h));
}

static void add_result_header(struct irx_sigv4_result *r, const char *name, const char *value)
{
	r->add_headers =
	    irx_xrealloc(r->add_headers, (r->add_header_count + 1) * sizeof(*r->add_headers));
	r->add_headers[r->add_header_count].name = irx_xstrdup(name);
	r->add_headers[r->add_header_count].value = irx_xstrdup(value);
	r->add_header_count++;
}

void irx_sigv4_options_init(struct irx_sigv4_options *o, const char *service, const char *region,
			    time_t t)
{
	memset(o, 0, sizeof(*o));
	o->service = service;
	o->region = region;
	o->time = t;
	o->mode = IRX_SIGV4_HEADERS;
	o->expires = 3600;
	o->double_uri_encode = true;
	o->normalize_path = true;
}

void irx_sigv4_result_release(struct irx_sigv4_result *r)
{
	if (!r)
		return;
	/* the canonical request and signed query may hold the session token */
	if (r->canonical_request) {
		OPENSSL_cleanse(r->canonical_request, strlen(r->canonical_request));
		free(r->canonical_request);
	}
	free(r->string_to_sign);
	free(r->signed_headers);
	free(r->authorization);
	for (size_t i = 0; i < r->add_header_count; i++) {
		OPENSSL_cleanse(r->add_headers[i].value, strlen(r->add_headers[i].value));
		free(r->add_headers[i].name);
		free(r->add_headers[i].value);
	}
	free(r->add_headers);
	if (r->signed_query) {
		OPENSSL_cleanse(r->signed_query, strlen(r->signed_query));
		free(r->signed_query);
	}
	memset(r, 0, sizeof(*r));
}

/* The value of the request's first header named lname (case-insensitive), or NULL. */
static const char *find_header(const struct irx_sigv4_request *req, const char *lname)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (req->headers[i].name && strcasecmp(req->headers[i].name, lname) == 0)
			return req->headers[i].value ? req->headers[i].value : "";
	return NULL;
}

static bool valid_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static bool trimmed_equal(const char *a, const char *b)
{
	char *ca = canonical_value(a), *cb = canonical_value(b);
	bool eq = strcmp(ca, cb) == 0;

	OPENSSL_cleanse(ca, strlen(ca));
	OPENSSL_cleanse(cb, strlen(cb));
	free(ca);
	free(cb);
	return eq;
}

static int check_inputs(const struct irx_sigv4_request *req, const struct irx_credentials *creds,
			const struct irx_sigv4_options *o, struct irx_error *err)
{
	if (!creds || !creds->access_key_id || !*creds->access_key_id ||
	    !creds->secret_access_key || !*creds->secret_access_key) {
		irx_error_set(
		    err, IRX_ERR_CREDENTIALS,
		    "cannot sign: credentials lack an access key id or secret access key");
		return -1;
	}
	if (!req->method || !*req->method) {
		irx_error_set(err, IRX_ERR_INVALID, "cannot sign: the request has no method");
		return -1;
	}
	if (!valid_token(o->service) || !valid_token(o->region)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "cannot sign: invalid service '%s' or region '%s'",
			      o->service ? o->service : "", o->region ? o->region : "");
		return -1;
	}
	if (strchr(creds->access_key_id, '/')) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "cannot sign: the access key id contains '/'");
		return -1;
	}
	if (!find_header(req, "host")) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "cannot sign: the request has no 'host' header");
		return -1;
	}
	for (size_t i = 0; i < req->header_count; i++) {
		const char *n = req->headers[i].name;

		if (!n || !*n || strpbrk(n, " \t\r\n:")) {
			irx_error_set(err, IRX_ERR_INVALID, "cannot sign: invalid header name '%s'",
				      n ? n : "");
			return -1;
		}
	}
	if (o->mode == IRX_SIGV4_QUERY && (o->expires < 1 || o->expires > MAX_EXPIRES)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "cannot sign: expires %ld is outside 1..%ld seconds", o->expires,
			      MAX_EXPIRES);
		return -1;
	}
	if (o->mode != IRX_SIGV4_HEADERS && o->mode != IRX_SIGV4_QUERY) {
		irx_error_set(err, IRX_ERR_INVALID, "cannot sign: unknown signing mode %d",
			      (int)o->mode);
		return -1;
	}
	return 0;
}

int irx_sigv4_sign(const struct irx_sigv4_request *req, const struct irx_credentials *creds,
		   const struct irx_sigv4_options *o, struct irx_sigv4_result *out,
		   struct irx_error *err)
{
	struct irx_sigv4_result r = {0};
	struct hlist h = {0};
	struct qlist q = {0};
	struct buf b = {0};
	struct tm tm = {0};
	char date[9] = "", *path = NULL, *cpath = NULL, *cquery = NULL, *credential = NULL;
	char *hashed_creq_hex = NULL;
	unsigned char k1[32], k2[32], k3[32], ksign[32], sig[32];
	char *ksecret = NULL;
	const char *token = NULL, *have_date = NULL, *have_token = NULL;
	bool token_signed = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (check_inputs(req, creds, o, err) < 0)
		goto done;
	if (!gmtime_r(&o->time, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		irx_error_set(err, IRX_ERR_INVALID, "cannot sign: time %lld is out of range",
			      (long long)o->time);
		goto done;
	}
	strftime(r.amz_date, sizeof(r.amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date, r.amz_date, 8);
	if (snprintf(r.scope, sizeof(r.scope), "%s/%s/%s/aws4_request", date, o->region,
		     o->service) >= (int)sizeof(r.scope)) {
		irx_error_set(err, IRX_ERR_INVALID, "cannot sign: service or region too long");
		goto done;
	}
	token = creds->session_token && *creds->session_token ? creds->session_token : NULL;
	token_signed = token && !o->omit_session_token;

	/* Header mode: the request may already carry X-Amz-Date / the token (the classic suite's
	 * requests do); they must agree with what we sign. */
	have_date = find_header(req, "x-amz-date");
	have_token = find_header(req, "x-amz-security-token");
	if (o->mode == IRX_SIGV4_HEADERS && have_date && !trimmed_equal(have_date, r.amz_date)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "cannot sign: the request's x-amz-date '%s' differs from the signing "
			      "time '%s'",
			      have_date, r.amz_date);
		goto done;
	}
	if (have_token && (!token || !trimmed_equal(have_token, token))) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "cannot sign: the request's x-amz-security-token differs from the "
			      "credentials' session token");
		goto done;
	}

	if (req->payload_hash)
		snprintf(r.payload_hash, sizeof(r.payload_hash), "%s", req->payload_hash);
	else
		irx_sigv4_sha256_hex(req->payload, req->payload ? req->payload_len : 0,
				     r.payload_hash);

	/* headers */
	for (size_t i = 0; i < req->header_count; i++) {
		char *ln = lower(req->headers[i].name);

		if (!unsigned_header(ln))
			hlist_add(&h, req->headers[i].name,
				  req->headers[i].value ? req->headers[i].value : "");
		free(ln);
	}
	if (o->mode == IRX_SIGV4_HEADERS) {
		if (token && !have_token) {
			if (token_signed)
				hlist_add(&h, "X-Amz-Security-Token", token);
			add_result_header(&r, "X-Amz-Security-Token", token);
		}
		if (!have_date) {
			hlist_add(&h, "X-Amz-Date", r.amz_date);
			add_result_header(&r, "X-Amz-Date", r.amz_date);
		}
		if (o->sign_body && !find_header(req, "x-amz-content-sha256")) {
			hlist_add(&h, "x-amz-content-sha256", r.payload_hash);
			add_result_header(&r, "x-amz-content-sha256", r.payload_hash);
		}
	}
	qsort(h.items, h.count, sizeof(*h.items), chdr_cmp);
	for (size_t i = 0; i < h.count; i++) {
		if (i && strcmp(h.items[i].name, h.items[i - 1].name) == 0)
			continue;
		if (b.len)
			buf_chr(&b, ';');
		buf_str(&b, h.items[i].name);
	}
	r.signed_headers = buf_take(&b);

	/* path */
	path = o->normalize_path ? normalize_path(req->path && *req->path ? req->path : "/")
				 : irx_xstrdup(req->path && *req->path ? req->path : "/");
	cpath = o->double_uri_encode ? irx_sigv4_uri_encode(path, strlen(path), true)
				     : irx_xstrdup(path);

	/* query */
	qlist_parse(&q, req->query);
	credential = irx_xasprintf("%s/%s", creds->access_key_id, r.scope);
	if (o->mode == IRX_SIGV4_QUERY) {
		char expires[32];

		snprintf(expires, sizeof(expires), "%ld", o->expires);
		qlist_add(&q, "X-Amz-Algorithm", ALGORITHM);
		qlist_add(&q, "X-Amz-Credential", credential);
		qlist_add(&q, "X-Amz-Date", r.amz_date);
		qlist_add(&q, "X-Amz-SignedHeaders", r.signed_headers);
		qlist_add(&q, "X-Amz-Expires", expires);
		if (token_signed)
			qlist_add(&q, "X-Amz-Security-Token", token);
	}
	cquery = qlist_join(&q, true);

	/* canonical request */
	buf_str(&b, req->method);
	buf_chr(&b, '\n');
	buf_str(&b, cpath);
	buf_chr(&b, '\n');
	buf_str(&b, cquery);
	buf_chr(&b, '\n');
	for (size_t i = 0; i < h.count; i++) {
		if (i && strcmp(h.items[i].name, h.items[i - 1].name) == 0) {
			buf_chr(&b, ',');
			buf_str(&b, h.items[i].value);
			continue;
		}
		if (i)
			buf_chr(&b, '\n');
		buf_str(&b, h.items[i].name);
		buf_chr(&b, ':');
		buf_str(&b, h.items[i].value);
	}
	buf_str(&b, "\n\n");
	buf_str(&b, r.signed_headers);
	buf_chr(&b, '\n');
	buf_str(&b, r.payload_hash);
	r.canonical_request = buf_take(&b);

	/* string to sign */
	hashed_creq_hex = irx_xmalloc(65);
	irx_sigv4_sha256_hex(r.canonical_request, strlen(r.canonical_request), hashed_creq_hex);
	r.string_to_sign =
	    irx_xasprintf(ALGORITHM "\n%s\n%s\n%s", r.amz_date, r.scope, hashed_creq_hex);

	/* signing key: HMAC chain from "AWS4" + secret */
	ksecret = irx_xasprintf("AWS4%s", creds->secret_access_key);
	hmac((unsigned char *)ksecret, strlen(ksecret), date, strlen(date), k1);
	hmac(k1, 32, o->region, strlen(o->region), k2);
	hmac(k2, 32, o->service, strlen(o->service), k3);
	hmac(k3, 32, "aws4_request", 12, ksign);
	hmac(ksign, 32, r.string_to_sign, strlen(r.string_to_sign), sig);
	to_hex(sig, 32, r.signature);

	if (o->mode == IRX_SIGV4_HEADERS) {
		r.authorization =
		    irx_xasprintf(ALGORITHM " Credential=%s, SignedHeaders=%s, Signature=%s",
				  credential, r.signed_headers, r.signature);
		add_result_header(&r, "Authorization", r.authorization);
	} else {
		/* the wire query: the caller's, then ours in the SDKs' order */
		struct qlist tail = {0};
		char expires[32], *t = NULL;

		snprintf(expires, sizeof(expires), "%ld", o->expires);
		qlist_add(&tail, "X-Amz-Algorithm", ALGORITHM);
		qlist_add(&tail, "X-Amz-Credential", credential);
		qlist_add(&tail, "X-Amz-Date", r.amz_date);
		qlist_add(&tail, "X-Amz-SignedHeaders", r.signed_headers);
		qlist_add(&tail, "X-Amz-Expires", expires);
		if (token)
			qlist_add(&tail, "X-Amz-Security-Token", token);
		qlist_add(&tail, "X-Amz-Signature", r.signature);
		t = qlist_join(&tail, false);
		if (req->query && *req->query)
			r.signed_query = irx_xasprintf("%s&%s", req->query, t);
		else
			r.signed_query = irx_xstrdup(t);
		OPENSSL_cleanse(t, strlen(t));
		free(t);
		qlist_release(&tail);
	}
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
done:
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	OPENSSL_cleanse(ksign, sizeof(ksign));
	OPENSSL_cleanse(sig, sizeof(sig));
	if (ksecret) {
		OPENSSL_cleanse(ksecret, strlen(ksecret));
		free(ksecret);
	}
	if (cquery) {
		OPENSSL_cleanse(cquery, strlen(cquery));
		free(cquery);
	}
	free(b.s);
	free(hashed_creq_hex);
	free(credential);
	free(path);
	free(cpath);
	hlist_release(&h);
	qlist_release(&q);
	irx_sigv4_result_release(&r);
	return rc;
}
