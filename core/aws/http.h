/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP for the AWS client, on libcurl. One struct irx_http keeps a connection
 * cache and a TLS session cache, so a second request to the same endpoint costs
 * no new handshake; several requests can be sent at once (curl multi). TLS peer
 * and host verification are always on.
 */
#ifndef IRX_AWS_HTTP_H
#define IRX_AWS_HTTP_H

#include <stddef.h>

#define IRX_HTTP_MAX_RESPONSE (64u * 1024 * 1024)

struct irx_http_request {
	const char *method;           /* "GET", "POST", ... */
	const char *url;
	const char *const *headers;   /* "Name: value" lines, NULL-terminated; may be NULL */
	const char *body;             /* may be NULL */
	size_t body_len;
	long connect_timeout_ms;      /* 0: 3000 */
	long timeout_ms;              /* whole request; 0: 30000 */
};

struct irx_http_header {
	char *name;  /* lowercased */
	char *value; /* trimmed */
};

struct irx_http_response {
	long status;                    /* 0 when no response arrived */
	struct irx_http_header *headers; /* owned */
	size_t header_count;
	char *body;                     /* owned, NUL-terminated */
	size_t body_len;
	/* transport failure (status 0): why, and whether it was a timeout */
	int failed;
	int timed_out;
	char error[256];
	/* connections this request opened (0 when it reused one) */
	long new_connections;
};

struct irx_http;

struct irx_http *irx_http_new(void);
void irx_http_free(struct irx_http *http);

/*
 * Sends n requests concurrently and waits for all. Each response is filled
 * (a transport failure sets failed, error and timed_out instead of status).
 * Returns 0, or -1 if the transfers could not be started at all.
 * reqs borrowed; release each response with irx_http_response_release.
 */
int irx_http_perform(struct irx_http *http, const struct irx_http_request *reqs,
		     struct irx_http_response *resps, size_t n);
void irx_http_response_release(struct irx_http_response *resp);

/* The value of a response header (name lowercase), or NULL. Borrowed. */
const char *irx_http_header(const struct irx_http_response *resp, const char *name);

#endif
