/* SPDX-License-Identifier: Apache-2.0 */
/* Amazon Resource Names: arn:partition:service:region:account-id:resource */
#ifndef IRX_ARN_H
#define IRX_ARN_H

#include <stddef.h>

struct irx_arn {
	char partition[16];  /* aws, aws-cn, aws-us-gov, ... */
	char service[64];
	char region[32];     /* "" for global services (iam) */
	char account[16];    /* 12 digits, or "" (s3 buckets) */
	char resource[1024]; /* everything after the fifth colon */
	/* The resource split as "type/id" or "type:id" (role/service-role/x -> "role",
	 * "service-role/x"); type "" when the resource has neither separator. */
	char resource_type[64];
	const char *resource_id; /* points into resource */
};

/* Parses s. Returns 0, or -1 with a reason in errbuf ("arn must start with 'arn:'"). */
int irx_arn_parse(const char *s, struct irx_arn *out, char *errbuf, size_t errlen);

#endif
