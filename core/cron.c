/* SPDX-License-Identifier: Apache-2.0 */
/* Cron expressions and their next fire time (cron.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "util.h"

#define SEARCH_LIMIT_S (8LL * 366 * 86400)

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const wday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct field {
	const char *name;
	int min, max;
	const char *const *names; /* names[i] is min + i */
	int name_count;
};

static const struct field fields[5] = {
    {"minute", 0, 59, NULL, 0},		  {"hour", 0, 23, NULL, 0},
    {"day-of-month", 1, 31, NULL, 0},	  {"month", 1, 12, month_names, 12},
    {"day-of-week", 0, 7, wday_names, 7},
};

/* A number or a name in [f->min, f->max]; advances *p. */
static int value(const struct field *f, const char **p, const char *item, int *out, char *why,
		 size_t whylen)
{
	const char *s = *p;
	long v = 0;

	if (isdigit((unsigned char)*s)) {
		char *end = NULL;

		v = strtol(s, &end, 10);
		if (end - s > 4)
			v = 100000;
		*p = end;
	} else if (isalpha((unsigned char)*s) && f->names) {
		int i = 0;

		while (i < f->name_count &&
		       !(strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3])))
			i++;
		if (i == f->name_count) {
			snprintf(why, whylen, "%s '%s' has an unknown name", f->name, item);
			return -1;
		}
		v = f->min + i;
		*p = s + 3;
	} else {
		snprintf(why, whylen, "%s '%s' is not a number%s", f->name, item,
			 f->names ? " or a name" : "");
		return -1;
	}
	if (v < f->min || v > f->max) {
		snprintf(why, whylen, "%s '%s' is out of range %d-%d", f->name, item, f->min,
			 f->max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* One list item: *, N, A-B, each optionally /STEP. Sets bits in *bits. */
static int item(const struct field *f, const char *it, uint64_t *bits, char *why, size_t whylen)
{
	const char *p = it;
	int lo = f->min, hi = f->max;
	long step = 1;

	if (*p == '*') {
		p++;
	} else {
		if (value(f, &p, it, &lo, why, whylen) < 0)
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (value(f, &p, it, &hi, why, whylen) < 0)
				return -1;
			if (hi < lo) {
				snprintf(why, whylen, "%s range '%s' runs backwards", f->name, it);
				return -1;
			}
		} else if (*p == '/') {
			hi = f->max; /* "5/10": from 5 to the end, as cronie reads it */
		}
	}
	if (*p == '/') {
		char *end = NULL;

		p++;
		step = isdigit((unsigned char)*p) ? strtol(p, &end, 10) : 0;
		if (step < 1 || step > f->max || !end || *end) {
			snprintf(why, whylen, "%s step in '%s' must be 1-%d", f->name, it, f->max);
			return -1;
		}
		p = end;
	}
	if (*p) {
		snprintf(why, whylen, "%s '%s' is not a value, range, list or step", f->name, it);
		return -1;
	}
	for (int v = lo; v <= hi; v += (int)step)
		*bits |= 1ULL << (f == &fields[4] && v == 7 ? 0 : v);
	return 0;
}

static int parse_field(const struct field *f, char *text, uint64_t *bits, char *why, size_t whylen)
{
	size_t len = strlen(text);
	char *save = NULL;

	if (text[0] == ',' || text[len - 1] == ',' || strstr(text, ",,")) {
		snprintf(why, whylen, "%s '%s' has an empty list item", f->name, text);
		return -1;
	}
	for (char *it = strtok_r(text, ",", &save); it; it = strtok_r(NULL, ",", &save))
		if (item(f, it, bits, why, whylen) < 0)
			return -1;
	return 0;
}

int irx_cron_parse(const char *expr, struct irx_cron *out, char *why, size_t whylen)
{
	static const struct {
		const char *name, *expr;
	} macros[] = {
	    {"@hourly", "0 * * * *"},	{"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
	    {"@weekly", "0 0 * * 0"},	{"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
	    {"@annually", "0 0 1 1 *"},
	};
	char *copy = NULL, *save = NULL;
	char *f[6] = {0};
	uint64_t bits[5] = {0};
	size_t n = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (expr[0] == '@') {
		for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
			if (strcmp(expr, macros[i].name) == 0)
				return irx_cron_parse(macros[i].expr, out, why, whylen);
		snprintf(why, whylen,
			 "unknown macro '%s' (use @hourly, @daily, @weekly, @monthly or @yearly)",
			 expr);
		return -1;
	}
	copy = irx_xstrdup(expr);
	for (char *t = strtok_r(copy, " \t", &save); t && n < 6; t = strtok_r(NULL, " \t", &save))
		f[n++] = t;
	if (n != 5) {
		snprintf(
		    why, whylen,
		    "expected 5 fields (minute hour day-of-month month day-of-week), got %s%zu",
		    n == 6 ? "more than " : "", n == 6 ? (size_t)5 : n);
		goto out;
	}
	out->mday_star = f[2][0] == '*';
	out->wday_star = f[4][0] == '*';
	for (size_t i = 0; i < 5; i++)
		if (parse_field(&fields[i], f[i], &bits[i], why, whylen) < 0)
			goto out;
	out->minutes = bits[0];
	out->hours = (uint32_t)bits[1];
	out->mdays = (uint32_t)bits[2];
	out->months = (uint16_t)bits[3];
	out->wdays = (uint8_t)bits[4];
	rc = 0;
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	free(copy);
	return rc;
}

static bool day_ok(const struct irx_cron *c, const struct tm *tm)
{
	bool mday = c->mdays & (1u << tm->tm_mday);
	bool wday = c->wdays & (1u << tm->tm_wday);

	/* Vixie cron: both restricted means either; otherwise the '*' one matches everything */
	if (!c->mday_star && !c->wday_star)
		return mday || wday;
	return mday && wday;
}

bool irx_cron_matches(const struct irx_cron *c, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (c->months & (1u << (tm.tm_mon + 1))) && day_ok(c, &tm) &&
	       (c->hours & (1u << tm.tm_hour)) && (c->minutes & (1ULL << tm.tm_min));
}

time_t irx_cron_next(const struct irx_cron *c, time_t after)
{
	struct tm tm;
	time_t t = 0, next = 0;

	if (!c->minutes || !c->hours || !c->mdays || !c->months || !c->wdays)
		return -1;
	localtime_r(&after, &tm);
	tm.tm_sec = 0;
	tm.tm_min++;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	while (t - after <= SEARCH_LIMIT_S) {
		localtime_r(&t, &tm);
		if (!(c->months & (1u << (tm.tm_mon + 1)))) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		} else if (!day_ok(c, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		} else if (!(c->hours & (1u << tm.tm_hour))) {
			tm.tm_hour++;
			tm.tm_min = 0;
		} else if (!(c->minutes & (1ULL << tm.tm_min))) {
			tm.tm_min++;
		} else {
			return t;
		}
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		next = mktime(&tm);
		/* a daylight-saving change can map the next wall-clock time back: move on */
		t = next > t ? next : t + 60;
	}
	return -1;
}
