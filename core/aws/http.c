/* SPDX-License-Identifier: Apache-2.0 */
#include "http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util.h"

#define POOL_MAX 32

struct irx_http {
	CURLM *multi;   /* owns the connection cache: connections outlive transfers */
	CURLSH *share;  /* TLS sessions and DNS, shared by every easy handle */
	CURL *pool[POOL_MAX];
	size_t pooled;
};

struct transfer {
	CURL *easy;
	struct curl_slist *headers;
	struct irx_http_response *resp;
	int too_big;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct irx_http *irx_http_new(void)
{
	struct irx_http *h = NULL;

	pthread_once(&global_once, global_init);
	h = irx_xcalloc(1, sizeof(*h));
	h->multi = curl_multi_init();
	h->share = curl_share_init();
	if (!h->multi || !h->share) {
		irx_http_free(h);
		return NULL;
	}
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
	return h;
}

void irx_http_free(struct irx_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->pooled; i++)
		curl_easy_cleanup(h->pool[i]);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->share)
		curl_share_cleanup(h->share);
	free(h);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct transfer *t = ud;
	struct irx_http_response *r = t->resp;
	size_t n = size * nmemb;

	if (r->body_len + n > IRX_HTTP_MAX_RESPONSE) {
		t->too_big = 1;
		return 0; /* aborts the transfer */
	}
	r->body = irx_xrealloc(r->body, r->body_len + n + 1);
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct transfer *t = ud;
	struct irx_http_response *r = t->resp;
	size_t n = size * nmemb, name_len = 0, vstart = 0, vend = n;
	const char *colon = memchr(data, ':', n);

	/* a new status line (redirect, 100-continue) starts a new header block */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		for (size_t i = 0; i < r->header_count; i++) {
			free(r->headers[i].name);
			free(r->headers[i].value);
		}
		r->header_count = 0;
		return n;
	}
	if (!colon)
		return n;
	name_len = (size_t)(colon - data);
	vstart = name_len + 1;
	while (vstart < n && (data[vstart] == ' ' || data[vstart] == '\t'))
		vstart++;
	while (vend > vstart && isspace((unsigned char)data[vend - 1]))
		vend--;
	r->headers = irx_xrealloc(r->headers, (r->header_count + 1) * sizeof(*r->headers));
	r->headers[r->header_count].name = irx_xstrndup(data, name_len);
	for (char *p = r->headers[r->header_count].name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	r->headers[r->header_count].value = irx_xstrndup(data + vstart, vend - vstart);
	r->header_count++;
	return n;
}

static CURL *take_easy(struct irx_http *h)
{
	CURL *e = NULL;

	if (h->pooled > 0) {
		e = h->pool[--h->pooled];
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static void give_easy(struct irx_http *h, CURL *e)
{
	if (h->pooled < POOL_MAX)
		h->pool[h->pooled++] = e;
	else
		curl_easy_cleanup(e);
}

static int setup(struct irx_http *h, const struct irx_http_request *req, struct transfer *t)
{
	CURL *e = t->easy;
	const char *ca = getenv("AWS_CA_BUNDLE");

	for (size_t i = 0; req->headers && req->headers[i]; i++)
		t->headers = curl_slist_append(t->headers, req->headers[i]);
	/* curl adds these unless told not to; AWS signs what we send, nothing more */
	t->headers = curl_slist_append(t->headers, "Expect:");
	if (!req->body)
		t->headers = curl_slist_append(t->headers, "Content-Type:");
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (req->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca && *ca)
		curl_easy_setopt(e, CURLOPT_CAINFO, ca);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms ? req->connect_timeout_ms : 3000L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : 30000L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_SHARE, h->share);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	return curl_multi_add_handle(h->multi, e) == CURLM_OK ? 0 : -1;
}

static void finish(struct transfer *t, CURLcode code)
{
	struct irx_http_response *r = t->resp;
	long conns = 0;

	curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &conns);
	r->new_connections = conns;
	if (code == CURLE_OK) {
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
		if (!r->body)
			r->body = irx_xstrdup("");
		return;
	}
	r->status = 0;
	r->failed = 1;
	r->timed_out = code == CURLE_OPERATION_TIMEDOUT;
	if (t->too_big)
		snprintf(r->error, sizeof(r->error), "response larger than %u bytes",
			 IRX_HTTP_MAX_RESPONSE);
	else
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(code));
}

int irx_http_perform(struct irx_http *h, const struct irx_http_request *reqs,
		     struct irx_http_response *resps, size_t n)
{
	struct transfer *ts = irx_xcalloc(n, sizeof(*ts));
	int running = 0, rc = 0;

	for (size_t i = 0; i < n; i++) {
		memset(&resps[i], 0, sizeof(resps[i]));
		ts[i].resp = &resps[i];
		ts[i].easy = take_easy(h);
		if (!ts[i].easy || setup(h, &reqs[i], &ts[i]) < 0) {
			resps[i].failed = 1;
			snprintf(resps[i].error, sizeof(resps[i].error), "cannot start request");
			rc = -1;
			continue;
		}
	}
	do {
		CURLMsg *msg = NULL;
		int left = 0;

		if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
			rc = -1;
			break;
		}
		while ((msg = curl_multi_info_read(h->multi, &left))) {
			struct transfer *t = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			finish(t, msg->data.result);
		}
		if (running && curl_multi_poll(h->multi, NULL, 0, 1000, NULL) != CURLM_OK) {
			rc = -1;
			break;
		}
	} while (running);
	for (size_t i = 0; i < n; i++) {
		if (!ts[i].easy)
			continue;
		curl_multi_remove_handle(h->multi, ts[i].easy);
		curl_slist_free_all(ts[i].headers);
		give_easy(h, ts[i].easy);
	}
	free(ts);
	return rc;
}

void irx_http_response_release(struct irx_http_response *r)
{
	for (size_t i = 0; i < r->header_count; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

const char *irx_http_header(const struct irx_http_response *r, const char *name)
{
	for (size_t i = r->header_count; i > 0; i--)
		if (strcmp(r->headers[i - 1].name, name) == 0)
			return r->headers[i - 1].value;
	return NULL;
}
