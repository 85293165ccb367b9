/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Endpoint resolution as the AWS SDKs do it: configured endpoint URLs
 * (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, a profile's endpoint_url),
 * else the partition's endpoint for the region; global services (IAM,
 * Organizations) use their partition's global endpoint and signing region.
 */
#ifndef IRX_AWS_ENDPOINTS_H
#define IRX_AWS_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>

struct irx_error;

struct irx_service_id {
	const char *service_id;      /* the model's serviceId: "EC2", "Elastic Load Balancing v2" */
	const char *endpoint_prefix; /* "ec2", "elasticloadbalancing" */
	const char *signing_name;    /* "ec2", "elasticloadbalancing" */
};

struct irx_endpoint {
	char url[512];           /* scheme://host[:port][/path], no trailing slash */
	char signing_region[32];
	char signing_name[64];
	char partition[16];
	bool configured;         /* came from an endpoint URL setting, not the partition */
};

/* The partition a region belongs to: "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b". */
const char *irx_partition_of(const char *region);

/*
 * Resolves the endpoint for svc in region. profile_endpoint_url: the
 * profile's endpoint_url or NULL. Plain http is accepted only for a
 * configured endpoint on a loopback host; anything else must be https.
 * Returns 0, or -1 with err set (no region, a bad or non-local http URL).
 */
int irx_endpoint_resolve(const struct irx_service_id *svc, const char *region,
			 const char *profile_endpoint_url, struct irx_endpoint *out,
			 struct irx_error *err);

/* "Elastic Load Balancing v2" -> "ELASTIC_LOAD_BALANCING_V2" (the SDKs' env var suffix). */
void irx_endpoint_env_suffix(const char *service_id, char *buf, size_t len);

#endif
