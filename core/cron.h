/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cron expressions as crontab(5) reads them, for `irx schedule`: five fields (minute hour
 * day-of-month month day-of-week) of *, values, ranges (1-5), steps (*\/15, 0-30/10), lists
 * (1,3,5) and month / day names (jan..dec, sun..sat; 7 is Sunday too), or one of @hourly,
 * @daily, @midnight, @weekly, @monthly, @yearly, @annually. As in Vixie cron, when both
 * day-of-month and day-of-week are restricted (neither starts with *), a day matches when
 * either does. Times are local (TZ), like cron's.
 */
#ifndef IRX_CRON_H
#define IRX_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct irx_cron {
	uint64_t minutes; /* bit n: minute n (0-59) */
	uint32_t hours;	  /* bit n: hour n (0-23) */
	uint32_t mdays;	  /* bit n: day of month n (1-31) */
	uint16_t months;  /* bit n: month n (1-12) */
	uint8_t wdays;	  /* bit n: weekday n (0 = Sunday .. 6) */
	bool mday_star;	  /* the day-of-month field started with '*' */
	bool wday_star;	  /* the day-of-week field started with '*' */
};

/*
 * Parses expr into *out. Returns 0, or -1 with why set ("minute '61' is out of range 0-59",
 * "expected 5 fields (minute hour day-of-month month day-of-week), got 4").
 */
int irx_cron_parse(const char *expr, struct irx_cron *out, char *why, size_t whylen);

/*
 * The first time strictly after `after` (whole minutes, local time) that c matches, or -1
 * when none comes within 8 years (e.g. "0 0 30 2 *").
 */
time_t irx_cron_next(const struct irx_cron *c, time_t after);

/* True if the minute containing t matches. */
bool irx_cron_matches(const struct irx_cron *c, time_t t);

#endif
