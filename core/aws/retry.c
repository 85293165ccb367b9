/* SPDX-License-Identifier: Apache-2.0 */
#include "retry.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "error.h"

/* The SDKs' lists (botocore retries/standard.py, aws-sdk-go-v2 retry/retryable_error.go). */
static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
	"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException", NULL,
};
static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
	"ServiceUnavailable", "IDPCommunicationError", NULL,
};

static bool in(const char *const *list, const char *code)
{
	for (; *list; list++)
		if (strcmp(*list, code) == 0)
			return true;
	return false;
}

int irx_retry_init(struct irx_retry *r, struct irx_error *err)
{
	const char *v = getenv("AWS_MAX_ATTEMPTS");
	const char *mode = getenv("AWS_RETRY_MODE");
	char *end = NULL;
	long n = 0;

	memset(r, 0, sizeof(*r));
	r->max_attempts = IRX_RETRY_DEFAULT_ATTEMPTS;
	r->base_ms = 1000;
	r->quota = IRX_RETRY_QUOTA;
	if (getrandom(&r->rng, sizeof(r->rng), 0) != sizeof(r->rng))
		r->rng = (unsigned)time(NULL);
	if (mode && *mode && strcasecmp(mode, "standard") != 0 &&
	    strcasecmp(mode, "adaptive") != 0 && strcasecmp(mode, "legacy") != 0) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "AWS_RETRY_MODE '%s' is not one of standard, adaptive, legacy", mode);
		return -1;
	}
	if (mode && strcasecmp(mode, "legacy") == 0)
		r->max_attempts = 5; /* legacy mode's default: 4 retries */
	if (v && *v) {
		n = strtol(v, &end, 10);
		if (*end || n < 1 || n > 100) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "AWS_MAX_ATTEMPTS '%s' must be a number from 1 to 100", v);
			return -1;
		}
		r->max_attempts = (int)n;
	}
	pthread_mutex_init(&r->lock, NULL);
	return 0;
}

void irx_retry_release(struct irx_retry *r)
{
	pthread_mutex_destroy(&r->lock);
}

enum irx_retry_kind irx_retry_classify(long http_status, const char *aws_code,
				       bool transport_failed, bool timed_out)
{
	if (timed_out)
		return IRX_RETRY_TIMEOUT;
	if (transport_failed)
		return IRX_RETRY_TRANSIENT;
	if (aws_code && *aws_code && in(throttle_codes, aws_code))
		return IRX_RETRY_THROTTLE;
	if (http_status == 429)
		return IRX_RETRY_THROTTLE;
	if (aws_code && *aws_code && in(transient_codes, aws_code))
		return IRX_RETRY_TRANSIENT;
	if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504)
		return IRX_RETRY_TRANSIENT;
	return IRX_RETRY_NONE;
}

bool irx_retry_next(struct irx_retry *r, int attempt, enum irx_retry_kind kind,
		    long long *delay_ms)
{
	int cost = kind == IRX_RETRY_TIMEOUT ? IRX_RETRY_TIMEOUT_COST : IRX_RETRY_COST;
	long long cap = r->base_ms;
	bool ok = false;

	*delay_ms = 0;
	if (kind == IRX_RETRY_NONE || attempt >= r->max_attempts)
		return false;
	for (int i = 1; i < attempt && cap < IRX_RETRY_MAX_BACKOFF_MS; i++)
		cap *= 2;
	if (cap > IRX_RETRY_MAX_BACKOFF_MS)
		cap = IRX_RETRY_MAX_BACKOFF_MS;
	pthread_mutex_lock(&r->lock);
	/* throttling does not draw on the quota: backing off is the remedy */
	if (kind == IRX_RETRY_THROTTLE || r->quota >= cost) {
		if (kind != IRX_RETRY_THROTTLE)
			r->quota -= cost;
		*delay_ms = (long long)((double)rand_r(&r->rng) / ((double)RAND_MAX + 1.0) *
					(double)cap);
		ok = true;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

void irx_retry_success(struct irx_retry *r, bool was_retried)
{
	pthread_mutex_lock(&r->lock);
	r->quota += was_retried ? IRX_RETRY_COST : 1;
	if (r->quota > IRX_RETRY_QUOTA)
		r->quota = IRX_RETRY_QUOTA;
	pthread_mutex_unlock(&r->lock);
}
