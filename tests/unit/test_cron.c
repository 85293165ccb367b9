/* SPDX-License-Identifier: Apache-2.0 */
/* Cron expressions (core/cron.h): parsing, errors, and next-fire times in UTC and across DST. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "schedule.h"
#include "test.h"

static char *saved_tz;

static int suite_init(void)
{
	const char *tz = getenv("TZ");

	saved_tz = tz ? strdup(tz) : NULL;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static int suite_clean(void)
{
	if (saved_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved_tz);
	return 0;
}

/* "YYYY-MM-DD HH:MM" in the current TZ to time_t. */
static time_t at(const char *s)
{
	struct tm tm = {0};

	sscanf(s, "%d-%d-%d %d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static const char *show(time_t t)
{
	static char buf[32];
	struct tm tm;

	if (t < 0)
		return "never";
	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M %a", &tm);
	return buf;
}

/* The next fire time after `from` as text. */
static const char *next(const char *expr, const char *from)
{
	struct irx_cron c;
	char why[256] = "";

	if (irx_cron_parse(expr, &c, why, sizeof(why)) < 0) {
		fprintf(stderr, "\n  '%s' did not parse: %s\n", expr, why);
		return "parse error";
	}
	return show(irx_cron_next(&c, at(from)));
}

static void test_next_basic(void)
{
	CU_ASSERT_STRING_EQUAL(next("* * * * *", "2025-03-10 12:00"), "2025-03-10 12:01 Mon");
	CU_ASSERT_STRING_EQUAL(next("0 3 * * *", "2025-03-10 02:59"), "2025-03-10 03:00 Mon");
	/* strictly after: the current minute never fires again */
	CU_ASSERT_STRING_EQUAL(next("0 3 * * *", "2025-03-10 03:00"), "2025-03-11 03:00 Tue");
	CU_ASSERT_STRING_EQUAL(next("30 23 31 12 *", "2025-06-01 00:00"), "2025-12-31 23:30 Wed");
	/* seconds inside the minute are ignored */
	{
		struct irx_cron c;
		char why[64] = "";

		CU_ASSERT_EQUAL(irx_cron_parse("*/5 * * * *", &c, why, sizeof(why)), 0);
		CU_ASSERT_STRING_EQUAL(show(irx_cron_next(&c, at("2025-03-10 12:04") + 59)),
				       "2025-03-10 12:05 Mon");
		CU_ASSERT_TRUE(irx_cron_matches(&c, at("2025-03-10 12:05") + 30));
		CU_ASSERT_FALSE(irx_cron_matches(&c, at("2025-03-10 12:06")));
	}
}

static void test_next_ranges_steps_lists(void)
{
	CU_ASSERT_STRING_EQUAL(next("*/15 * * * *", "2025-03-10 12:16"), "2025-03-10 12:30 Mon");
	CU_ASSERT_STRING_EQUAL(next("0-30/10 9-17 * * *", "2025-03-10 12:31"),
			       "2025-03-10 13:00 Mon");
	CU_ASSERT_STRING_EQUAL(next("0-30/10 9-17 * * *", "2025-03-10 17:30"),
			       "2025-03-11 09:00 Tue");
	CU_ASSERT_STRING_EQUAL(next("5,35 1,13 * * *", "2025-03-10 01:06"), "2025-03-10 01:35 Mon");
	CU_ASSERT_STRING_EQUAL(next("5,35 1,13 * * *", "2025-03-10 01:35"), "2025-03-10 13:05 Mon");
	/* "N/step" runs from N to the end of the range */
	CU_ASSERT_STRING_EQUAL(next("50/5 * * * *", "2025-03-10 12:56"), "2025-03-10 13:50 Mon");
	/* steps in the day and month fields */
	CU_ASSERT_STRING_EQUAL(next("0 0 */10 * *", "2025-03-10 00:00"), "2025-03-11 00:00 Tue");
	CU_ASSERT_STRING_EQUAL(next("0 0 1 */4 *", "2025-03-10 00:00"), "2025-05-01 00:00 Thu");
}

static void test_next_names_and_days(void)
{
	/* 2025-03-10 is a Monday */
	CU_ASSERT_STRING_EQUAL(next("0 3 * * MON", "2025-03-10 03:00"), "2025-03-17 03:00 Mon");
	CU_ASSERT_STRING_EQUAL(next("0 3 * * mon-fri", "2025-03-14 04:00"), "2025-03-17 03:00 Mon");
	CU_ASSERT_STRING_EQUAL(next("0 3 * * sat,sun", "2025-03-10 00:00"), "2025-03-15 03:00 Sat");
	/* 7 and 0 are both Sunday */
	CU_ASSERT_STRING_EQUAL(next("0 0 * * 7", "2025-03-10 00:00"), "2025-03-16 00:00 Sun");
	CU_ASSERT_STRING_EQUAL(next("0 0 * * 5-7", "2025-03-15 01:00"), "2025-03-16 00:00 Sun");
	CU_ASSERT_STRING_EQUAL(next("0 0 1 jan,jul *", "2025-03-10 00:00"), "2025-07-01 00:00 Tue");
	/* day-of-month and day-of-week both restricted: either matches (Vixie cron) */
	CU_ASSERT_STRING_EQUAL(next("0 0 13 * fri", "2025-03-10 00:00"), "2025-03-13 00:00 Thu");
	CU_ASSERT_STRING_EQUAL(next("0 0 13 * fri", "2025-03-13 00:00"), "2025-03-14 00:00 Fri");
	/* ... but a '*' day-of-week leaves day-of-month alone */
	CU_ASSERT_STRING_EQUAL(next("0 0 13 * *", "2025-03-13 00:00"), "2025-04-13 00:00 Sun");
	/* leap days, and a date that never comes */
	CU_ASSERT_STRING_EQUAL(next("0 0 29 2 *", "2025-03-01 00:00"), "2028-02-29 00:00 Tue");
	CU_ASSERT_STRING_EQUAL(next("0 0 30 2 *", "2025-03-01 00:00"), "never");
	CU_ASSERT_STRING_EQUAL(next("0 0 31 4 *", "2025-03-01 00:00"), "never");
}

static void test_macros(void)
{
	CU_ASSERT_STRING_EQUAL(next("@hourly", "2025-03-10 12:00"), "2025-03-10 13:00 Mon");
	CU_ASSERT_STRING_EQUAL(next("@daily", "2025-03-10 12:00"), "2025-03-11 00:00 Tue");
	CU_ASSERT_STRING_EQUAL(next("@midnight", "2025-03-10 12:00"), "2025-03-11 00:00 Tue");
	CU_ASSERT_STRING_EQUAL(next("@weekly", "2025-03-10 12:00"), "2025-03-16 00:00 Sun");
	CU_ASSERT_STRING_EQUAL(next("@monthly", "2025-03-10 12:00"), "2025-04-01 00:00 Tue");
	CU_ASSERT_STRING_EQUAL(next("@yearly", "2025-03-10 12:00"), "2026-01-01 00:00 Thu");
	CU_ASSERT_STRING_EQUAL(next("@annually", "2025-03-10 12:00"), "2026-01-01 00:00 Thu");
}

static void test_dst(void)
{
	/* Europe/Berlin springs forward 2025-03-30 02:00 -> 03:00: 02:30 does not exist that day */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	CU_ASSERT_STRING_EQUAL(next("30 2 * * *", "2025-03-29 03:00"), "2025-03-31 02:30 Mon");
	CU_ASSERT_STRING_EQUAL(next("0 * * * *", "2025-03-30 01:30"), "2025-03-30 03:00 Sun");
	/* and falls back 2025-10-26 03:00 -> 02:00: the next day comes once, not twice */
	CU_ASSERT_STRING_EQUAL(next("0 4 * * *", "2025-10-26 03:30"), "2025-10-26 04:00 Sun");
	setenv("TZ", "UTC", 1);
	tzset();
}

static void expect_error(const char *expr, const char *why_expected)
{
	struct irx_cron c;
	char why[256] = "";

	CU_ASSERT_EQUAL(irx_cron_parse(expr, &c, why, sizeof(why)), -1);
	if (strcmp(why, why_expected) != 0)
		fprintf(stderr, "\n  '%s': expected '%s', got '%s'\n", expr, why_expected, why);
	CU_ASSERT_STRING_EQUAL(why, why_expected);
	CU_ASSERT_EQUAL(c.minutes, 0);
}

static void test_errors(void)
{
	expect_error("61 * * * *", "minute '61' is out of range 0-59");
	expect_error("* 24 * * *", "hour '24' is out of range 0-23");
	expect_error("* * 0 * *", "day-of-month '0' is out of range 1-31");
	expect_error("* * * 13 *", "month '13' is out of range 1-12");
	expect_error("* * * * 8", "day-of-week '8' is out of range 0-7");
	expect_error("* * * foo *", "month 'foo' has an unknown name");
	expect_error("* * * * monday", "day-of-week 'monday' has an unknown name");
	expect_error("mon * * * *", "minute 'mon' is not a number");
	expect_error("* * * * ?", "day-of-week '?' is not a number or a name");
	expect_error("5-1 * * * *", "minute range '5-1' runs backwards");
	expect_error("*/0 * * * *", "minute step in '*/0' must be 1-59");
	expect_error("*/x * * * *", "minute step in '*/x' must be 1-59");
	expect_error("1,,2 * * * *", "minute '1,,2' has an empty list item");
	expect_error("1, * * * *", "minute '1,' has an empty list item");
	expect_error("1x * * * *", "minute '1x' is not a value, range, list or step");
	expect_error("* * * *",
		     "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
	expect_error("* * * * * *", "expected 5 fields (minute hour day-of-month month "
				    "day-of-week), got more than 5");
	expect_error("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0");
	expect_error("@reboot",
		     "unknown macro '@reboot' (use @hourly, @daily, @weekly, @monthly or @yearly)");
}

/* When a schedule is due (schedule.h): missed runs once, otherwise the next fire time. */
static void test_schedule_due(void)
{
	struct irx_cron c;
	char why[64] = "";
	time_t now = at("2025-03-12 10:00");

	CU_ASSERT_EQUAL_FATAL(irx_cron_parse("0 3 * * *", &c, why, sizeof(why)), 0);
	/* ran yesterday at 03:00, today's 03:00 passed while down: due now, once */
	CU_ASSERT_EQUAL(irx_schedule_due(&c, at("2025-03-11 03:00"), now), now);
	/* three days missed: still one run now, not three */
	CU_ASSERT_EQUAL(irx_schedule_due(&c, at("2025-03-09 03:00"), now), now);
	/* ran today at 03:00: tomorrow */
	CU_ASSERT_STRING_EQUAL(show(irx_schedule_due(&c, at("2025-03-12 03:00"), now)),
			       "2025-03-13 03:00 Thu");
	/* first seen now (or a clock that went backwards): the next fire */
	CU_ASSERT_STRING_EQUAL(show(irx_schedule_due(&c, now, now)), "2025-03-13 03:00 Thu");
	CU_ASSERT_STRING_EQUAL(show(irx_schedule_due(&c, now + 86400 * 3, now)),
			       "2025-03-13 03:00 Thu");
	CU_ASSERT_STRING_EQUAL(show(irx_schedule_due(&c, 0, now)), "2025-03-13 03:00 Thu");
	CU_ASSERT_EQUAL_FATAL(irx_cron_parse("0 0 30 2 *", &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(irx_schedule_due(&c, at("2025-03-11 03:00"), now), -1);
}

static const char *cal(const char *expr, size_t want)
{
	static char joined[2100];
	char out[2][1024];
	struct irx_cron c;
	char why[64] = "";
	size_t n = 0;

	CU_ASSERT_EQUAL(irx_cron_parse(expr, &c, why, sizeof(why)), 0);
	n = irx_schedule_oncalendar(&c, out);
	CU_ASSERT_EQUAL(n, want);
	snprintf(joined, sizeof(joined), "%s%s%s", out[0], n > 1 ? " | " : "", n > 1 ? out[1] : "");
	return joined;
}

static void test_oncalendar(void)
{
	CU_ASSERT_STRING_EQUAL(cal("0 3 * * MON", 1), "Mon *-*-* 03:00:00");
	CU_ASSERT_STRING_EQUAL(cal("* * * * *", 1), "*-*-* *:*:00");
	CU_ASSERT_STRING_EQUAL(cal("*/20 9-11 * * 1-5", 1),
			       "Mon,Tue,Wed,Thu,Fri *-*-* 09,10,11:00,20,40:00");
	CU_ASSERT_STRING_EQUAL(cal("30 2 1,15 jan,jul *", 1), "*-01,07-01,15 02:30:00");
	CU_ASSERT_STRING_EQUAL(cal("0 0 * * sun,sat", 1), "Sat,Sun *-*-* 00:00:00");
	CU_ASSERT_STRING_EQUAL(cal("@monthly", 1), "*-*-01 00:00:00");
	/* both day fields restricted: cron ORs them, systemd would AND them: two calendars */
	CU_ASSERT_STRING_EQUAL(cal("0 0 13 * fri", 2), "*-*-13 00:00:00 | Fri *-*-* 00:00:00");
}

static CU_TestInfo tests[] = {
    {"schedule: when due, missed runs once", test_schedule_due},
    {"schedule: systemd OnCalendar", test_oncalendar},
    {"next: basics, strictly after", test_next_basic},
    {"next: ranges, steps, lists", test_next_ranges_steps_lists},
    {"next: names, weekdays, day OR rule, leap days", test_next_names_and_days},
    {"macros", test_macros},
    {"daylight saving changes", test_dst},
    {"parse errors", test_errors},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("cron", tests, suite_init, suite_clean)
