/* SPDX-License-Identifier: Apache-2.0 */
#include "arn.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/*
 * Copies the field before the next ':' into dst; advances *s past the colon.
 * Without a colon the field after this one is missing: `next` names it.
 */
static int take_field(const char **s, char *dst, size_t dstlen, const char *what,
		      const char *next, char *errbuf, size_t errlen)
{
	const char *colon = strchr(*s, ':');
	size_t n = 0;

	if (!colon) {
		snprintf(errbuf, errlen, "arn has no %s field", next);
		return -1;
	}
	n = (size_t)(colon - *s);
	if (n >= dstlen) {
		snprintf(errbuf, errlen, "arn %s is too long", what);
		return -1;
	}
	memcpy(dst, *s, n);
	dst[n] = '\0';
	*s = colon + 1;
	return 0;
}

static int all(const char *s, int (*pred)(int), const char *extra)
{
	for (; *s; s++)
		if (!pred((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

int irx_arn_parse(const char *s, struct irx_arn *out, char *errbuf, size_t errlen)
{
	const char *p = s;
	const char *sep = NULL;
	size_t rlen = 0;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "arn:", 4) != 0) {
		snprintf(errbuf, errlen, "arn must start with 'arn:'");
		return -1;
	}
	p += 4;
	if (take_field(&p, out->partition, sizeof(out->partition), "partition", "service", errbuf,
		       errlen) ||
	    take_field(&p, out->service, sizeof(out->service), "service", "region", errbuf,
		       errlen) ||
	    take_field(&p, out->region, sizeof(out->region), "region", "account", errbuf, errlen) ||
	    take_field(&p, out->account, sizeof(out->account), "account", "resource", errbuf,
		       errlen))
		return -1;
	if (!out->partition[0] || !all(out->partition, islower, "-")) {
		snprintf(errbuf, errlen, "arn partition '%s' is not valid", out->partition);
		return -1;
	}
	if (!out->service[0] || !all(out->service, isalnum, "-")) {
		snprintf(errbuf, errlen, "arn service '%s' is not valid", out->service);
		return -1;
	}
	if (!all(out->region, isalnum, "-")) {
		snprintf(errbuf, errlen, "arn region '%s' is not valid", out->region);
		return -1;
	}
	if (out->account[0] && (strlen(out->account) != 12 || !all(out->account, isdigit, ""))) {
		snprintf(errbuf, errlen, "arn account '%s' is not a 12-digit account id",
			 out->account);
		return -1;
	}
	rlen = strlen(p);
	if (rlen == 0) {
		snprintf(errbuf, errlen, "arn has an empty resource");
		return -1;
	}
	if (rlen >= sizeof(out->resource)) {
		snprintf(errbuf, errlen, "arn resource is too long");
		return -1;
	}
	memcpy(out->resource, p, rlen + 1);
	sep = out->resource + strcspn(out->resource, "/:");
	out->resource_id = out->resource;
	if (*sep && (size_t)(sep - out->resource) < sizeof(out->resource_type)) {
		memcpy(out->resource_type, out->resource, (size_t)(sep - out->resource));
		out->resource_type[sep - out->resource] = '\0';
		out->resource_id = sep + 1;
	}
	return 0;
}
