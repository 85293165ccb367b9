/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "aws/retry.h"
#include "error.h"
#include "test.h"

static void test_classify(void)
{
	CU_ASSERT_EQUAL(irx_retry_classify(400, "RequestLimitExceeded", false, false),
			IRX_RETRY_THROTTLE);
	CU_ASSERT_EQUAL(irx_retry_classify(400, "ThrottlingException", false, false),
			IRX_RETRY_THROTTLE);
	CU_ASSERT_EQUAL(irx_retry_classify(429, "", false, false), IRX_RETRY_THROTTLE);
	CU_ASSERT_EQUAL(irx_retry_classify(503, "", false, false), IRX_RETRY_TRANSIENT);
	CU_ASSERT_EQUAL(irx_retry_classify(500, "InternalError", false, false), IRX_RETRY_TRANSIENT);
	CU_ASSERT_EQUAL(irx_retry_classify(0, NULL, true, false), IRX_RETRY_TRANSIENT);
	CU_ASSERT_EQUAL(irx_retry_classify(0, NULL, true, true), IRX_RETRY_TIMEOUT);
	CU_ASSERT_EQUAL(irx_retry_classify(403, "AccessDenied", false, false), IRX_RETRY_NONE);
	CU_ASSERT_EQUAL(irx_retry_classify(400, "InvalidInstanceID.NotFound", false, false),
			IRX_RETRY_NONE);
}

static void test_attempts_and_backoff(void)
{
	struct irx_retry r;
	struct irx_error err = {0};
	long long delay = 0;

	unsetenv("AWS_RETRY_MODE");
	setenv("AWS_MAX_ATTEMPTS", "4", 1);
	CU_ASSERT_EQUAL_FATAL(irx_retry_init(&r, &err), 0);
	CU_ASSERT_EQUAL(r.max_attempts, 4);
	for (int attempt = 1; attempt < 4; attempt++) {
		long long cap = 1000LL << (attempt - 1);

		CU_ASSERT_TRUE(irx_retry_next(&r, attempt, IRX_RETRY_TRANSIENT, &delay));
		CU_ASSERT_TRUE(delay >= 0 && delay < cap);
	}
	CU_ASSERT_FALSE(irx_retry_next(&r, 4, IRX_RETRY_TRANSIENT, &delay));
	CU_ASSERT_FALSE(irx_retry_next(&r, 1, IRX_RETRY_NONE, &delay));
	/* the backoff is capped at 20 s */
	r.max_attempts = 100;
	for (int i = 0; i < 50; i++) {
		CU_ASSERT_TRUE(irx_retry_next(&r, 30, IRX_RETRY_THROTTLE, &delay));
		CU_ASSERT_TRUE(delay < IRX_RETRY_MAX_BACKOFF_MS);
	}
	irx_retry_release(&r);
	unsetenv("AWS_MAX_ATTEMPTS");
}

static void test_quota(void)
{
	struct irx_retry r;
	struct irx_error err = {0};
	long long delay = 0;
	int granted = 0;

	unsetenv("AWS_MAX_ATTEMPTS");
	CU_ASSERT_EQUAL_FATAL(irx_retry_init(&r, &err), 0);
	for (int i = 0; i < 200; i++)
		granted += irx_retry_next(&r, 1, IRX_RETRY_TIMEOUT, &delay);
	CU_ASSERT_EQUAL(granted, IRX_RETRY_QUOTA / IRX_RETRY_TIMEOUT_COST);
	CU_ASSERT_FALSE(irx_retry_next(&r, 1, IRX_RETRY_TRANSIENT, &delay));
	/* throttling is answered with backoff, not refused for lack of quota */
	CU_ASSERT_TRUE(irx_retry_next(&r, 1, IRX_RETRY_THROTTLE, &delay));
	irx_retry_success(&r, true);
	CU_ASSERT_TRUE(irx_retry_next(&r, 1, IRX_RETRY_TRANSIENT, &delay));
	irx_retry_release(&r);
}

static void test_bad_env(void)
{
	struct irx_retry r;
	struct irx_error err = {0};

	setenv("AWS_MAX_ATTEMPTS", "zero", 1);
	CU_ASSERT_EQUAL(irx_retry_init(&r, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "AWS_MAX_ATTEMPTS 'zero' must be a number from 1 to 100");
	unsetenv("AWS_MAX_ATTEMPTS");
	irx_error_clear(&err);
	setenv("AWS_RETRY_MODE", "eager", 1);
	CU_ASSERT_EQUAL(irx_retry_init(&r, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "AWS_RETRY_MODE 'eager' is not one of standard, adaptive, legacy");
	unsetenv("AWS_RETRY_MODE");
}

static CU_TestInfo tests[] = {
	{"classify errors", test_classify},
	{"attempts and capped full-jitter backoff", test_attempts_and_backoff},
	{"retry quota", test_quota},
	{"bad environment", test_bad_env},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("retry", tests, NULL, NULL)
