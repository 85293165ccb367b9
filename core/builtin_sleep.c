/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws:sleep, as SSM documents it: Duration (an ISO-8601 duration, not
 * negative) or Timestamp (an ISO-8601 time; one already past proceeds at
 * once); "a maximum delay of 604799 seconds (7 days)". SSM parses durations
 * with Java's Duration.parse, so the grammar accepted here is that one without
 * signs: P[nD][T[nH][nM][n[.f]S]], letters in either case; years, months and
 * weeks have no fixed length there and are refused.
 *
 * The sleep honours the step's deadline (timeoutSeconds): it stops there and
 * marks the call timed out. In dry-run nothing waits: the plan is printed.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtins.h"
#include "host.h"
#include "util.h"

#define DURATION_HINT "expected an ISO-8601 duration like PT10M, PT1H30S or P1D"

/* Reads digits into *v (saturating at LLONG_MAX/1000 to stay clear of overflow). */
static const char *read_digits(const char *p, long long *v, int *ndigits)
{
	*v = 0;
	*ndigits = 0;
	while (isdigit((unsigned char)*p)) {
		if (*v < LLONG_MAX / 100000)
			*v = *v * 10 + (*p - '0');
		else
			*v = LLONG_MAX / 100000;
		p++;
		(*ndigits)++;
	}
	return p;
}

int irx_iso8601_duration_ms(const char *s, long long *ms, char *errbuf, size_t errlen)
{
	const char *p = s;
	long long total = 0, v = 0;
	int nd = 0, parts = 0, in_time = 0;
	/* Units must come in this order, each at most once. */
	int last_rank = 0;

	if (*p != 'P' && *p != 'p')
		goto bad;
	p++;
	while (*p) {
		int rank = 0;
		long long unit = 0;

		if (*p == 'T' || *p == 't') {
			if (in_time)
				goto bad;
			in_time = 1;
			p++;
			if (!*p)
				goto bad; /* "PT" alone */
			continue;
		}
		p = read_digits(p, &v, &nd);
		if (nd == 0)
			goto bad;
		if ((*p == '.' || *p == ',') && in_time) {
			long long frac = 0;
			int fd = 0;

			p = read_digits(p + 1, &frac, &fd);
			if (fd == 0 || fd > 9 || (*p != 'S' && *p != 's'))
				goto bad;
			/* Keep milliseconds; finer digits are truncated as sleep is ms-grained. */
			while (fd > 3) {
				frac /= 10;
				fd--;
			}
			while (fd < 3) {
				frac *= 10;
				fd++;
			}
			total += frac;
		}
		if (!in_time && (*p == 'M' || *p == 'm'))
			goto no_calendar; /* months, not minutes, before the T */
		switch (toupper((unsigned char)*p)) {
		case 'D':
			rank = 1;
			unit = 86400000LL;
			break;
		case 'H':
			rank = 2;
			unit = 3600000LL;
			break;
		case 'M':
			rank = 3;
			unit = 60000LL;
			break;
		case 'S':
			rank = 4;
			unit = 1000LL;
			break;
		case 'Y':
		case 'W':
			goto no_calendar;
		default:
			goto bad;
		}
		if ((rank == 1) == (in_time != 0) || rank <= last_rank)
			goto bad;
		last_rank = rank;
		/* Anything over the 7-day cap is refused anyway: saturate instead of overflowing.
		 */
		if (v > (LLONG_MAX / 4) / unit)
			total = LLONG_MAX / 4;
		else
			total += v * unit;
		if (total > LLONG_MAX / 4)
			total = LLONG_MAX / 4;
		parts++;
		p++;
	}
	if (parts == 0)
		goto bad;
	*ms = total;
	return 0;
bad:
	snprintf(errbuf, errlen, "invalid duration '%s': " DURATION_HINT, s);
	return -1;
no_calendar:
	snprintf(errbuf, errlen,
		 "invalid duration '%s': years, months and weeks are not supported; " DURATION_HINT,
		 s);
	return -1;
}

static int read_fixed(const char *p, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		*out = *out * 10 + (p[i] - '0');
	}
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int irx_iso8601_timestamp_ms(const char *s, long long *ms, char *errbuf, size_t errlen)
{
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
	long long frac_ms = 0;
	const char *p = s;
	struct tm tm = {0};
	time_t t = 0;

	if (strlen(s) < 20 || read_fixed(p, 4, &y) || p[4] != '-' || read_fixed(p + 5, 2, &mo) ||
	    p[7] != '-' || read_fixed(p + 8, 2, &d) || p[10] != 'T' || read_fixed(p + 11, 2, &h) ||
	    p[13] != ':' || read_fixed(p + 14, 2, &mi) || p[16] != ':' ||
	    read_fixed(p + 17, 2, &sec))
		goto bad;
	p += 19;
	if (*p == '.') {
		int fd = 0;

		p++;
		while (isdigit((unsigned char)*p)) {
			if (fd < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
			fd++;
			p++;
		}
		if (fd == 0 || fd > 9)
			goto bad;
		for (; fd < 3; fd++)
			frac_ms *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0) {
		snprintf(errbuf, errlen,
			 "invalid timestamp '%s': the time must be UTC (end in 'Z'), like "
			 "2026-12-01T10:00:00Z",
			 s);
		return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ms = (long long)t * 1000 + frac_ms;
	return 0;
bad:
	snprintf(errbuf, errlen,
		 "invalid timestamp '%s': expected ISO-8601 UTC like 2026-12-01T10:00:00Z", s);
	return -1;
}

static long long wall_now_ms(void)
{
	struct timespec ts = {0};

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int irx_builtin_sleep(const struct irx_context *ctx, struct json_object *inputs,
		      struct irx_result *result)
{
	struct json_object *dur = json_object_object_get(inputs, "Duration");
	struct json_object *ts = json_object_object_get(inputs, "Timestamp");
	struct irx_call *call = ctx->call;
	char msg[512] = "";
	long long ms = 0, left = 0;

	if (dur && ts)
		return ctx->host->fail(call, "give Duration or Timestamp, not both");
	if (!dur && !ts)
		return ctx->host->fail(call, "Duration or Timestamp is required");
	if (dur) {
		if (irx_iso8601_duration_ms(json_object_get_string(dur), &ms, msg, sizeof(msg)) < 0)
			return ctx->host->fail(call, "%s", msg);
		if (ms > IRX_SLEEP_MAX_MS)
			return ctx->host->fail(call,
					       "duration '%s' is longer than the 604799 seconds "
					       "(7 days) aws:sleep allows",
					       json_object_get_string(dur));
	} else {
		long long at = 0;

		if (irx_iso8601_timestamp_ms(json_object_get_string(ts), &at, msg, sizeof(msg)) < 0)
			return ctx->host->fail(call, "%s", msg);
		ms = at - wall_now_ms();
		if (ms < 0)
			ms = 0; /* SSM: a time already past proceeds at once */
		if (ms > IRX_SLEEP_MAX_MS)
			return ctx->host->fail(call,
					       "timestamp '%s' is more than the 604799 seconds "
					       "(7 days) ahead that aws:sleep allows",
					       json_object_get_string(ts));
	}
	if (ctx->dry_run) {
		ctx->host->log(call, IRX_LOG_INFO, "would sleep %lld ms", ms);
		result->message = "dry run: not sleeping";
		return 0;
	}
	if (ctx->deadline_ms > 0) {
		left = ctx->deadline_ms - irx_now_ms();
		if (left < ms) {
			irx_call_sleep(call, left);
			call->timed_out = true;
			return ctx->host->fail(call, "the step's timeout ended the sleep");
		}
	}
	irx_call_sleep(call, ms);
	if (irx_call_cancelled(call))
		return ctx->host->fail(call, "cancelled while sleeping");
	return 0;
}
