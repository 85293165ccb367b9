/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's default transport: aws/http.h (libcurl) behind irx_aws_transport_fn. A file of
 * its own because aws/http.h and aws/protocol.h both define struct irx_http_header, so no
 * translation unit can include both.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/http.h"
#include "util.h"

struct irx_aws_curl {
	struct irx_http *http;
	pthread_mutex_t lock; /* one multi handle: one batch at a time */
};

struct irx_aws_curl *irx_aws_curl_new(void)
{
	struct irx_aws_curl *c = irx_xcalloc(1, sizeof(*c));

	c->http = irx_http_new();
	if (!c->http) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void irx_aws_curl_free(struct irx_aws_curl *c)
{
	if (!c)
		return;
	irx_http_free(c->http);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void irx_aws_transport_response_release(struct irx_aws_transport_response *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int irx_aws_curl_perform(void *ud, const struct irx_aws_transport_request *reqs,
			 struct irx_aws_transport_response *resps, size_t n)
{
	struct irx_aws_curl *c = ud;
	struct irx_http_request *hr = irx_xcalloc(n ? n : 1, sizeof(*hr));
	struct irx_http_response *hs = irx_xcalloc(n ? n : 1, sizeof(*hs));
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		hr[i].method = reqs[i].method;
		hr[i].url = reqs[i].url;
		hr[i].headers = reqs[i].headers;
		hr[i].body = reqs[i].body;
		hr[i].body_len = reqs[i].body_len;
		hr[i].connect_timeout_ms = reqs[i].connect_timeout_ms;
		hr[i].timeout_ms = reqs[i].timeout_ms;
	}
	pthread_mutex_lock(&c->lock);
	rc = irx_http_perform(c->http, hr, hs, n);
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < n; i++) {
		struct irx_aws_transport_response *r = &resps[i];

		memset(r, 0, sizeof(*r));
		r->status = hs[i].status;
		/* the same layout: move the strings over */
		r->n_headers = hs[i].header_count;
		r->headers = irx_xcalloc(r->n_headers ? r->n_headers : 1, sizeof(*r->headers));
		for (size_t h = 0; h < r->n_headers; h++) {
			r->headers[h].name = hs[i].headers[h].name;
			r->headers[h].value = hs[i].headers[h].value;
		}
		free(hs[i].headers);
		r->body = hs[i].body ? hs[i].body : irx_xstrdup("");
		r->body_len = hs[i].body ? hs[i].body_len : 0;
		r->failed = hs[i].failed != 0;
		r->timed_out = hs[i].timed_out != 0;
		snprintf(r->error, sizeof(r->error), "%s", hs[i].error);
		r->new_connections = hs[i].new_connections;
	}
	free(hr);
	free(hs);
	return rc;
}
