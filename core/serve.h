/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SNS HTTP endpoint behind `irx serve`: a small accept loop (one thread per
 * connection, capped), every message verified (sns_verify.h), subscriptions
 * confirmed, notifications from allowed topics with the right ExternalId put on
 * a bounded queue that worker threads drain through a dispatch callback.
 *
 * Plain HTTP only: TLS is terminated by a reverse proxy in front (SNS HTTPS
 * subscriptions need a publicly trusted certificate, which the proxy holds).
 *
 * Responses: 200 accepted (also a duplicate MessageId, not dispatched twice),
 * 400 malformed, 403 unsigned / bad signature / unknown topic / wrong or
 * missing ExternalId / too old, 405 not POST, 408 too slow, 411 no
 * Content-Length, 413 body too large, 431 headers too large, 502 certificate
 * download or subscription confirmation failed (SNS retries), 503 queue full or
 * too many connections.
 */
#ifndef IRX_SERVE_H
#define IRX_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "sns_verify.h"

/* Runs on a worker thread for each accepted notification; m is borrowed for the call. */
typedef void irx_serve_dispatch_fn(void *ud, const struct irx_sns_message *m);
/* GETs a verified, checked SubscribeURL. Returns 0, or -1 with err set. */
typedef int irx_serve_confirm_fn(void *ud, const char *url, struct irx_error *err);
/* One line per request outcome, no trailing newline; never carries the ExternalId. */
typedef void irx_serve_log_fn(void *ud, const char *line);

struct irx_serve_options {
	const char *listen; /* "ADDR:PORT" (IPv4); NULL: 127.0.0.1:8080; port 0: any free port */
	const char *const *topics; /* allowed TopicArns (exact), at least one; borrowed */
	size_t topic_count;
	const char *external_id;	   /* NULL: not required; copied */
	const char *external_id_attribute; /* NULL: "ExternalId" */
	struct irx_sns_verifier *verifier; /* borrowed, outlives the server */
	irx_serve_dispatch_fn *dispatch;
	void *dispatch_ud;
	irx_serve_confirm_fn *confirm; /* NULL: libcurl GET, https only, TLS verified */
	void *confirm_ud;
	/* TESTS ONLY: confirm SubscribeURLs on any https host. */
	bool test_allow_any_subscribe_host;
	irx_serve_log_fn *log; /* NULL: silent */
	void *log_ud;
	size_t workers;		/* 0: 2 */
	size_t queue_max;	/* notifications waiting; 0: 64 */
	size_t max_connections; /* 0: 64 */
	size_t max_body;	/* 0: 256 KiB */
	size_t max_header;	/* 0: 16 KiB */
	int io_timeout_ms;	/* a whole request must arrive within it; 0: 10000 */
	long long max_age_s;	/* refuse messages whose Timestamp is older; 0: not checked */
};

struct irx_serve_stats {
	unsigned long accepted;	  /* queued for dispatch */
	unsigned long dispatched; /* dispatch returned */
	unsigned long duplicates;
	unsigned long confirmed;
	unsigned long rejected; /* any 4xx */
	unsigned long busy;	/* 503 */
};

struct irx_serve;

/* Binds the socket and starts the workers. Returns NULL with err set (bad options, bind). */
struct irx_serve *irx_serve_new(const struct irx_serve_options *o, struct irx_error *err);
/* The bound port (useful with port 0). */
int irx_serve_port(const struct irx_serve *s);
/* Accepts connections until irx_serve_stop; returns once every connection has finished. */
int irx_serve_run(struct irx_serve *s, struct irx_error *err);
/* Makes irx_serve_run return; async-signal-safe (writes one byte to a pipe). */
void irx_serve_stop(struct irx_serve *s);
/* Dispatches what is still queued, stops the workers, closes the socket. */
void irx_serve_free(struct irx_serve *s);
void irx_serve_get_stats(struct irx_serve *s, struct irx_serve_stats *out);

#endif
