/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Signature Version 4 (HMAC-SHA256), header and query (presigned) forms.
 *
 * The signer is pure: it takes a description of the request, the credentials, the options
 * (service, region, time) and returns every intermediate so callers and tests can check them.
 * It never touches the network or the clock: the time is passed in.
 *
 *     struct irx_sigv4_options o;
 *     irx_sigv4_options_init(&o, "ec2", "us-east-1", time(NULL));
 *     struct irx_sigv4_result r = {0};
 *     if (irx_sigv4_sign(&req, &creds, &o, &r, &err) == 0) {
 *             for (size_t i = 0; i < r.add_header_count; i++)
 *                     add r.add_headers[i].name / .value to the outgoing request;
 *     }
 *     irx_sigv4_result_release(&r);
 */
#ifndef IRX_AWS_SIGV4_H
#define IRX_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/credentials.h"
#include "error.h"

/* One request header; duplicates allowed (joined with ',' in the canonical form, in order). */
struct irx_sigv4_header {
	const char *name;
	const char *value;
};

/* The request to sign. Everything is borrowed for the duration of the call. */
struct irx_sigv4_request {
	const char *method; /* "GET", "POST", ... */
	/*
	 * The path exactly as it goes on the wire, without the query ("/", "/a%20b").
	 * With double_uri_encode the signer encodes it once more, as AWS expects for every
	 * service but S3; without it the path is used as is.
	 */
	const char *path;
	const char *query;			/* the raw query without '?', or NULL/"" */
	const struct irx_sigv4_header *headers; /* must include Host */
	size_t header_count;
	const void *payload; /* may be NULL when payload_len is 0 */
	size_t payload_len;
	/* When non-NULL, used instead of SHA-256(payload): a lowercase hex digest or e.g.
	 * "UNSIGNED-PAYLOAD". */
	const char *payload_hash;
};

enum irx_sigv4_mode {
	IRX_SIGV4_HEADERS = 0, /* Authorization header */
	IRX_SIGV4_QUERY = 1,   /* presigned URL: X-Amz-* query parameters */
};

struct irx_sigv4_options {
	const char *service; /* signing name, e.g. "ec2", "iam", "s3" */
	const char *region;  /* signing region, e.g. "us-east-1" */
	time_t time;	     /* signing time (UTC seconds) */
	enum irx_sigv4_mode mode;
	long expires;		 /* query mode: X-Amz-Expires, 1..604800 seconds */
	bool double_uri_encode;	 /* default true; false for S3 */
	bool normalize_path;	 /* default true; false for S3 */
	bool sign_body;		 /* header mode: add and sign x-amz-content-sha256 */
	bool omit_session_token; /* add X-Amz-Security-Token after signing, unsigned */
};

/* Sets the defaults: header mode, double encoding and path normalisation on, expires 3600. */
void irx_sigv4_options_init(struct irx_sigv4_options *o, const char *service, const char *region,
			    time_t t);

struct irx_sigv4_added_header {
	char *name;  /* owned */
	char *value; /* owned */
};

/*
 * Everything the signer computed. Owned by the result; release with irx_sigv4_result_release,
 * which wipes it. canonical_request, add_headers and signed_query can hold the session token:
 * never log them.
 */
struct irx_sigv4_result {
	char amz_date[17];     /* "20150830T123600Z" */
	char scope[160];       /* "20150830/us-east-1/service/aws4_request" */
	char payload_hash[65]; /* hex SHA-256 of the payload, or the caller's payload_hash */
	char *canonical_request;
	char *string_to_sign;
	char signature[65];   /* lowercase hex */
	char *signed_headers; /* "host;x-amz-date" */
	/* Header mode: the Authorization header value; NULL in query mode. */
	char *authorization;
	/*
	 * Headers the caller adds to the request, in this order: X-Amz-Security-Token (header mode,
	 * when the credentials carry a token and the request has none), X-Amz-Date (header mode,
	 * unless the request already has it), x-amz-content-sha256 (sign_body), Authorization.
	 * Empty in query mode.
	 */
	struct irx_sigv4_added_header *add_headers;
	size_t add_header_count;
	/*
	 * Query mode: the full query to send (the request's query, then X-Amz-Algorithm,
	 * X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires, X-Amz-Security-Token,
	 * X-Amz-Signature). Header mode: NULL (send the request's own query).
	 */
	char *signed_query;
};

/*
 * Signs req. Returns 0, or -1 with err set (IRX_ERR_INVALID: a missing host header, an empty
 * method, service or region, bad expires, a request x-amz-date or x-amz-security-token that
 * contradicts the time or credentials; IRX_ERR_CREDENTIALS: no key id or secret).
 * out must be zeroed or released; on failure it holds nothing. The derived signing key and
 * every copy of the secret are wiped before returning.
 */
int irx_sigv4_sign(const struct irx_sigv4_request *req, const struct irx_credentials *creds,
		   const struct irx_sigv4_options *o, struct irx_sigv4_result *out,
		   struct irx_error *err);

void irx_sigv4_result_release(struct irx_sigv4_result *r);

/* Lowercase hex SHA-256 of data (out gets 64 characters and a NUL). */
void irx_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/*
 * Percent-encodes per RFC 3986 as SigV4 wants: every byte but A-Z a-z 0-9 - _ . ~ becomes
 * %XX (uppercase); '/' is kept when keep_slash. Returns a new string (caller frees).
 */
char *irx_sigv4_uri_encode(const char *s, size_t len, bool keep_slash);

#endif
