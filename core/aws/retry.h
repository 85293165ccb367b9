/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Retries in the AWS SDKs' "standard" mode: throttling and transient errors
 * are retried up to max_attempts with capped exponential backoff and full
 * jitter, drawing on a retry quota so a failing endpoint is not hammered.
 */
#ifndef IRX_AWS_RETRY_H
#define IRX_AWS_RETRY_H

#include <pthread.h>
#include <stdbool.h>

struct irx_error;

enum irx_retry_kind {
	IRX_RETRY_NONE = 0,      /* not retryable */
	IRX_RETRY_TRANSIENT = 1, /* 5xx, connection reset, transient error codes */
	IRX_RETRY_THROTTLE = 2,  /* throttling error codes, 429 */
	IRX_RETRY_TIMEOUT = 3,   /* the request timed out */
};

#define IRX_RETRY_DEFAULT_ATTEMPTS 3
#define IRX_RETRY_MAX_BACKOFF_MS 20000
#define IRX_RETRY_QUOTA 500
#define IRX_RETRY_COST 5
#define IRX_RETRY_TIMEOUT_COST 10

struct irx_retry {
	int max_attempts;     /* total attempts including the first */
	long long base_ms;    /* backoff base: 1000 as the SDKs */
	pthread_mutex_t lock; /* guards quota and rng: calls may run on several threads */
	int quota;
	unsigned rng;
};

/*
 * Reads AWS_MAX_ATTEMPTS and AWS_RETRY_MODE (standard or legacy; adaptive is
 * treated as standard, which it extends). Returns 0, or -1 with err set for a
 * bad value.
 */
int irx_retry_init(struct irx_retry *r, struct irx_error *err);
void irx_retry_release(struct irx_retry *r);

/* Classifies a failed attempt: status 0 with transport_failed for no response. */
enum irx_retry_kind irx_retry_classify(long http_status, const char *aws_code,
				       bool transport_failed, bool timed_out);

/*
 * Decides whether to retry after attempt number `attempt` (1-based) failed
 * with kind: false when attempts or quota are exhausted. On true, *delay_ms is
 * the full-jitter backoff: random(0,1) * min(base * 2^(attempt-1), 20 s).
 */
bool irx_retry_next(struct irx_retry *r, int attempt, enum irx_retry_kind kind,
		    long long *delay_ms);
/* A success gives a token back to the quota (up to its start). */
void irx_retry_success(struct irx_retry *r, bool was_retried);

#endif
