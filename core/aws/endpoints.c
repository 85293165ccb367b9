/* SPDX-License-Identifier: Apache-2.0 */
#include "endpoints.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"

struct partition {
	const char *name;
	const char *prefix; /* region prefix; "" matches anything left */
	const char *dns_suffix;
	const char *global_region; /* signing region of global services */
};

/* Order matters: the first matching prefix wins, the catch-all "aws" last. */
static const struct partition partitions[] = {
	{"aws-cn", "cn-", "amazonaws.com.cn", "cn-north-1"},
	{"aws-us-gov", "us-gov-", "amazonaws.com", "us-gov-west-1"},
	{"aws-iso-b", "us-isob-", "sc2s.sgov.gov", "us-isob-east-1"},
	{"aws-iso", "us-iso-", "c2s.ic.gov", "us-iso-east-1"},
	{"aws", "", "amazonaws.com", "us-east-1"},
};

static const struct partition *partition_for(const char *region)
{
	for (size_t i = 0; i < sizeof(partitions) / sizeof(partitions[0]); i++)
		if (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)) == 0)
			return &partitions[i];
	return &partitions[sizeof(partitions) / sizeof(partitions[0]) - 1];
}

const char *irx_partition_of(const char *region)
{
	return partition_for(region)->name;
}

void irx_endpoint_env_suffix(const char *service_id, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = service_id; *p && n + 1 < len; p++)
		buf[n++] = *p == ' ' || *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	buf[n] = '\0';
}

static bool loopback_host(const char *host, size_t len)
{
	return (len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	       (len >= 4 && strncmp(host, "127.", 4) == 0) || (len == 5 && strncmp(host, "[::1]", 5) == 0);
}

/* Checks scheme and host of a configured URL; copies it without a trailing slash. */
static int accept_url(const char *url, const char *source, struct irx_endpoint *out,
		      struct irx_error *err)
{
	const char *host = NULL;
	size_t host_len = 0, n = strlen(url);

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else {
		irx_error_set(err, IRX_ERR_INVALID,
			      "endpoint '%s' from %s must start with https:// (or http:// for a "
			      "loopback address)", url, source);
		return -1;
	}
	host_len = strcspn(host, "/");
	if (host[0] == '[')
		host_len = strcspn(host, "]") + 1;
	else
		host_len = strcspn(host, ":/");
	if (host_len == 0) {
		irx_error_set(err, IRX_ERR_INVALID, "endpoint '%s' from %s has no host", url, source);
		return -1;
	}
	if (host == url + 7 && !loopback_host(host, host_len)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "refusing plain-http endpoint '%s' from %s: only loopback endpoints "
			      "may use http; use https", url, source);
		return -1;
	}
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= sizeof(out->url)) {
		irx_error_set(err, IRX_ERR_INVALID, "endpoint '%s' from %s is too long", url, source);
		return -1;
	}
	memcpy(out->url, url, n);
	out->url[n] = '\0';
	out->configured = true;
	return 0;
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && strcasecmp(v, "true") == 0;
}

int irx_endpoint_resolve(const struct irx_service_id *svc, const char *region,
			 const char *profile_endpoint_url, struct irx_endpoint *out,
			 struct irx_error *err)
{
	const struct partition *part = NULL;
	bool global = strcmp(svc->endpoint_prefix, "iam") == 0 ||
		      strcmp(svc->endpoint_prefix, "organizations") == 0;
	char var[128] = "AWS_ENDPOINT_URL_";
	const char *url = NULL;

	memset(out, 0, sizeof(*out));
	if (!region || !*region) {
		if (!global) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "no AWS region for %s: use --region, AWS_REGION, "
				      "AWS_DEFAULT_REGION or a profile's region",
				      svc->service_id);
			return -1;
		}
		region = "us-east-1";
	}
	part = partition_for(region);
	snprintf(out->partition, sizeof(out->partition), "%s", part->name);
	snprintf(out->signing_name, sizeof(out->signing_name), "%s", svc->signing_name);
	snprintf(out->signing_region, sizeof(out->signing_region), "%s",
		 global ? part->global_region : region);

	if (!env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
		irx_endpoint_env_suffix(svc->service_id, var + strlen(var), sizeof(var) - strlen(var));
		if ((url = getenv(var)) && *url)
			return accept_url(url, var, out, err);
		if ((url = getenv("AWS_ENDPOINT_URL")) && *url)
			return accept_url(url, "AWS_ENDPOINT_URL", out, err);
		if (profile_endpoint_url && *profile_endpoint_url)
			return accept_url(profile_endpoint_url, "the profile's endpoint_url", out,
					  err);
	}
	if (strcmp(svc->endpoint_prefix, "iam") == 0 && strcmp(part->name, "aws") == 0)
		snprintf(out->url, sizeof(out->url), "https://iam.amazonaws.com");
	else if (global && strcmp(svc->endpoint_prefix, "iam") == 0 &&
		 strcmp(part->name, "aws-us-gov") == 0)
		snprintf(out->url, sizeof(out->url), "https://iam.us-gov.amazonaws.com");
	else
		snprintf(out->url, sizeof(out->url), "https://%s.%s.%s", svc->endpoint_prefix,
			 global ? part->global_region : region, part->dns_suffix);
	return 0;
}
