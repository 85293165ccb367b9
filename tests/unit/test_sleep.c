/* SPDX-License-Identifier: Apache-2.0 */
/* aws:sleep: ISO-8601 durations and timestamps, the 7-day cap, deadlines, dry-run. */
#include <string.h>
#include <time.h>

#include "builtins.h"
#include "host.h"
#include "test.h"
#include "util.h"

static void expect_duration(const char *s, long long want)
{
	char msg[256] = "";
	long long ms = -1;
	int rc = irx_iso8601_duration_ms(s, &ms, msg, sizeof(msg));

	if (rc != 0 || ms != want)
		fprintf(stderr, "\n  '%s': rc %d ms %lld (%s), want %lld\n", s, rc, ms, msg, want);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(ms, want);
}

static void expect_bad_duration(const char *s, const char *msg_want)
{
	char msg[256] = "";
	long long ms = -1;

	CU_ASSERT_EQUAL(irx_iso8601_duration_ms(s, &ms, msg, sizeof(msg)), -1);
	if (strcmp(msg, msg_want) != 0)
		fprintf(stderr, "\n  '%s': got %s\n", s, msg);
	CU_ASSERT_STRING_EQUAL(msg, msg_want);
}

static void test_durations_good(void)
{
	expect_duration("PT10M", 600000);
	expect_duration("PT1H30S", 3630000);
	expect_duration("P1D", 86400000);
	expect_duration("P1DT2H3M4S", 93784000);
	expect_duration("PT0S", 0);
	expect_duration("PT1.5S", 1500);
	expect_duration("PT0.001S", 1);
	expect_duration("PT2,25S", 2250);
	expect_duration("PT0.123456789S", 123);
	expect_duration("pt5m", 300000);
	expect_duration("PT90M", 5400000);
	expect_duration("P7D", 604800000);
	expect_duration("PT36H", 129600000);
}

#define HINT "expected an ISO-8601 duration like PT10M, PT1H30S or P1D"

static void test_durations_bad(void)
{
	expect_bad_duration("", "invalid duration '': " HINT);
	expect_bad_duration("10M", "invalid duration '10M': " HINT);
	expect_bad_duration("P", "invalid duration 'P': " HINT);
	expect_bad_duration("PT", "invalid duration 'PT': " HINT);
	expect_bad_duration("P1DT", "invalid duration 'P1DT': " HINT);
	expect_bad_duration("PT10", "invalid duration 'PT10': " HINT);
	expect_bad_duration("P10H", "invalid duration 'P10H': " HINT);
	expect_bad_duration("PT1D", "invalid duration 'PT1D': " HINT);
	expect_bad_duration("PT1S1M", "invalid duration 'PT1S1M': " HINT);
	expect_bad_duration("PT1M1M", "invalid duration 'PT1M1M': " HINT);
	expect_bad_duration("-PT1M", "invalid duration '-PT1M': " HINT);
	expect_bad_duration("PT-1M", "invalid duration 'PT-1M': " HINT);
	expect_bad_duration("PT1.5M", "invalid duration 'PT1.5M': " HINT);
	expect_bad_duration("PT1.S", "invalid duration 'PT1.S': " HINT);
	expect_bad_duration("PT1.1234567890S", "invalid duration 'PT1.1234567890S': " HINT);
	expect_bad_duration("PT1M ", "invalid duration 'PT1M ': " HINT);
	expect_bad_duration("PTTM", "invalid duration 'PTTM': " HINT);
	expect_bad_duration("P1Y", "invalid duration 'P1Y': years, months and weeks are not "
				   "supported; " HINT);
	expect_bad_duration("P2M", "invalid duration 'P2M': years, months and weeks are not "
				   "supported; " HINT);
	expect_bad_duration("P1W", "invalid duration 'P1W': years, months and weeks are not "
				   "supported; " HINT);
}

static void test_duration_overflow_saturates(void)
{
	char msg[256] = "";
	long long ms = 0;

	CU_ASSERT_EQUAL(irx_iso8601_duration_ms("P99999999999999999999D", &ms, msg, sizeof(msg)),
			0);
	CU_ASSERT_TRUE(ms > IRX_SLEEP_MAX_MS);
	CU_ASSERT_EQUAL(irx_iso8601_duration_ms("PT9223372036854775807S", &ms, msg, sizeof(msg)),
			0);
	CU_ASSERT_TRUE(ms > IRX_SLEEP_MAX_MS);
}

static void test_timestamps(void)
{
	char msg[256] = "";
	long long ms = 0;

	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2026-12-01T10:00:00Z", &ms, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(ms, 1796119200000LL);
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("1970-01-01T00:00:00Z", &ms, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(ms, 0);
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2024-02-29T23:59:59.5Z", &ms, msg, sizeof(msg)),
			0);
	CU_ASSERT_EQUAL(ms, 1709251199500LL);
	CU_ASSERT_EQUAL(
	    irx_iso8601_timestamp_ms("2020-01-01T01:00:00+00:00", &ms, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(ms, 1577840400000LL);

	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2023-02-29T00:00:00Z", &ms, msg, sizeof(msg)),
			-1);
	CU_ASSERT_STRING_EQUAL(msg, "invalid timestamp '2023-02-29T00:00:00Z': expected ISO-8601 "
				    "UTC like 2026-12-01T10:00:00Z");
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2026-12-01 10:00:00Z", &ms, msg, sizeof(msg)),
			-1);
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2026-12-01T24:00:00Z", &ms, msg, sizeof(msg)),
			-1);
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2026-13-01T10:00:00Z", &ms, msg, sizeof(msg)),
			-1);
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2026-12-01T10:00:00.Z", &ms, msg, sizeof(msg)),
			-1);
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2026-12-01", &ms, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("PT10M", &ms, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(
	    irx_iso8601_timestamp_ms("2026-12-01T10:00:00+02:00", &ms, msg, sizeof(msg)), -1);
	CU_ASSERT_STRING_EQUAL(msg, "invalid timestamp '2026-12-01T10:00:00+02:00': the time must "
				    "be UTC (end in 'Z'), like 2026-12-01T10:00:00Z");
	CU_ASSERT_EQUAL(irx_iso8601_timestamp_ms("2026-12-01T10:00:00", &ms, msg, sizeof(msg)), -1);
}

/* ---- the action, with an injected sleep ---- */

struct slept {
	long long total;
	int calls;
};

static void fake_sleep(void *ud, long long ms)
{
	struct slept *s = ud;

	s->total += ms;
	s->calls++;
}

struct sleep_run {
	int rc;
	bool timed_out;
	char error[1024];
	struct slept slept;
};

static struct sleep_run run_sleep(const char *json, bool dry_run, long long deadline_ms)
{
	struct sleep_run r = {0};
	struct irx_call call;
	struct irx_context ctx = {0};
	struct irx_result res = {0};
	struct json_object *inputs = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(inputs);
	irx_call_init(&call);
	call.sleep_ms = fake_sleep;
	call.sleep_ud = &r.slept;
	call.log = NULL;
	call.min_level = IRX_LOG_ERROR; /* keep dry-run's "would sleep" off the test output */
	ctx.size = sizeof(ctx);
	ctx.host = irx_host_table(false);
	ctx.call = &call;
	ctx.dry_run = dry_run;
	ctx.deadline_ms = deadline_ms;
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	r.rc = irx_builtin_sleep(&ctx, inputs, &res);
	r.timed_out = call.timed_out;
	snprintf(r.error, sizeof(r.error), "%s", call.error.message);
	json_object_put(res.outputs);
	json_object_put(res.undo);
	json_object_put(inputs);
	irx_call_release(&call);
	return r;
}

static void test_sleep_duration(void)
{
	struct sleep_run r = run_sleep("{\"Duration\":\"PT10M\"}", false, 0);

	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.slept.total, 600000);
	CU_ASSERT_EQUAL(r.slept.calls, 1);
	r = run_sleep("{\"Duration\":\"PT0S\"}", false, 0);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.slept.calls, 0);
	/* The largest delay SSM allows, and one second more. */
	r = run_sleep("{\"Duration\":\"PT604799S\"}", false, 0);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.slept.total, 604799000LL);
	r = run_sleep("{\"Duration\":\"P7D\"}", false, 0);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_EQUAL(r.slept.calls, 0);
	CU_ASSERT_STRING_EQUAL(r.error, "duration 'P7D' is longer than the 604799 seconds (7 days) "
					"aws:sleep allows");
	r = run_sleep("{\"Duration\":\"10 minutes\"}", false, 0);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(r.error, "invalid duration '10 minutes': " HINT);
}

static void format_ts(char *buf, size_t len, long long offset_s)
{
	time_t t = time(NULL) + offset_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void test_sleep_timestamp(void)
{
	char ts[64], json[128];
	struct sleep_run r;

	/* SSM: a time already past proceeds at once. */
	r = run_sleep("{\"Timestamp\":\"2020-01-01T01:00:00Z\"}", false, 0);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.slept.calls, 0);
	format_ts(ts, sizeof(ts), 3600);
	snprintf(json, sizeof(json), "{\"Timestamp\":\"%s\"}", ts);
	r = run_sleep(json, false, 0);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.slept.calls, 1);
	/* The timestamp has whole seconds: between 3599 and 3600 s from now. */
	CU_ASSERT_TRUE(r.slept.total > 3598000 && r.slept.total <= 3600000);
	format_ts(ts, sizeof(ts), 8 * 86400);
	snprintf(json, sizeof(json), "{\"Timestamp\":\"%s\"}", ts);
	r = run_sleep(json, false, 0);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_EQUAL(r.slept.calls, 0);
	IRX_ASSERT_CONTAINS(r.error,
			    "is more than the 604799 seconds (7 days) ahead that aws:sleep "
			    "allows");
	r = run_sleep("{\"Timestamp\":\"tomorrow\"}", false, 0);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(r.error, "invalid timestamp 'tomorrow': expected ISO-8601 UTC like "
					"2026-12-01T10:00:00Z");
}

static void test_sleep_inputs(void)
{
	struct sleep_run r = run_sleep("{}", false, 0);

	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(r.error, "Duration or Timestamp is required");
	r = run_sleep("{\"Duration\":\"PT1S\",\"Timestamp\":\"2020-01-01T01:00:00Z\"}", false, 0);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(r.error, "give Duration or Timestamp, not both");
}

static void test_sleep_deadline(void)
{
	/* 2 s left before the step's deadline: a 10-minute sleep stops there, timed out. */
	struct sleep_run r = run_sleep("{\"Duration\":\"PT10M\"}", false, irx_now_ms() + 2000);

	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_TRUE(r.timed_out);
	CU_ASSERT_TRUE(r.slept.total > 1900 && r.slept.total <= 2000);
	CU_ASSERT_STRING_EQUAL(r.error, "the step's timeout ended the sleep");
	/* Within the deadline: sleeps in full. */
	r = run_sleep("{\"Duration\":\"PT1S\"}", false, irx_now_ms() + 60000);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_FALSE(r.timed_out);
	CU_ASSERT_EQUAL(r.slept.total, 1000);
}

static void test_sleep_dry_run(void)
{
	struct sleep_run r = run_sleep("{\"Duration\":\"PT10M\"}", true, 0);

	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.slept.calls, 0);
	/* Bad input is still an error in a dry run. */
	r = run_sleep("{\"Duration\":\"P8D\"}", true, 0);
	CU_ASSERT_EQUAL(r.rc, -1);
}

static void test_real_sleep(void)
{
	/* Without an injected sleep, nanosleep really waits. */
	struct irx_call call;
	long long t0 = 0, dt = 0;

	irx_call_init(&call);
	t0 = irx_now_ms();
	irx_call_sleep(&call, 30);
	dt = irx_now_ms() - t0;
	CU_ASSERT_TRUE(dt >= 30 && dt < 1000);
	irx_call_release(&call);
}

static CU_TestInfo tests[] = {
    {"durations: good", test_durations_good},
    {"durations: bad", test_durations_bad},
    {"durations: overflow saturates", test_duration_overflow_saturates},
    {"timestamps", test_timestamps},
    {"sleep for a duration", test_sleep_duration},
    {"sleep until a timestamp", test_sleep_timestamp},
    {"Duration xor Timestamp", test_sleep_inputs},
    {"the step deadline ends the sleep", test_sleep_deadline},
    {"dry run does not wait", test_sleep_dry_run},
    {"real sleep", test_real_sleep},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("sleep", tests, NULL, NULL)
