/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "aws/endpoints.h"
#include "error.h"
#include "test.h"

static const struct irx_service_id ec2 = {"EC2", "ec2", "ec2"};
static const struct irx_service_id iam = {"IAM", "iam", "iam"};
static const struct irx_service_id orgs = {"Organizations", "organizations", "organizations"};
static const struct irx_service_id sts = {"STS", "sts", "sts"};
static const struct irx_service_id elb = {"Elastic Load Balancing v2", "elasticloadbalancing",
					  "elasticloadbalancing"};

static void clear_env(void)
{
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	unsetenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
}

static void expect(const struct irx_service_id *svc, const char *region, const char *url,
		   const char *signing_region, const char *partition)
{
	struct irx_endpoint ep;
	struct irx_error err = {0};

	CU_ASSERT_EQUAL_FATAL(irx_endpoint_resolve(svc, region, NULL, &ep, &err), 0);
	CU_ASSERT_STRING_EQUAL(ep.url, url);
	CU_ASSERT_STRING_EQUAL(ep.signing_region, signing_region);
	CU_ASSERT_STRING_EQUAL(ep.partition, partition);
	CU_ASSERT_FALSE(ep.configured);
}

static void test_partitions(void)
{
	clear_env();
	expect(&ec2, "eu-west-1", "https://ec2.eu-west-1.amazonaws.com", "eu-west-1", "aws");
	expect(&ec2, "cn-northwest-1", "https://ec2.cn-northwest-1.amazonaws.com.cn",
	       "cn-northwest-1", "aws-cn");
	expect(&ec2, "us-gov-east-1", "https://ec2.us-gov-east-1.amazonaws.com", "us-gov-east-1",
	       "aws-us-gov");
	/* global IAM is signed for its partition's signing region */
	expect(&iam, "eu-west-1", "https://iam.amazonaws.com", "us-east-1", "aws");
	expect(&iam, "cn-north-1", "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1",
	       "aws-cn");
	expect(&iam, "us-gov-east-1", "https://iam.us-gov.amazonaws.com", "us-gov-west-1",
	       "aws-us-gov");
	expect(&orgs, "ap-south-1", "https://organizations.us-east-1.amazonaws.com", "us-east-1",
	       "aws");
	/* STS is regional */
	expect(&sts, "ap-southeast-2", "https://sts.ap-southeast-2.amazonaws.com",
	       "ap-southeast-2", "aws");
	expect(&iam, "", "https://iam.amazonaws.com", "us-east-1", "aws");
	CU_ASSERT_STRING_EQUAL(irx_partition_of("us-isob-east-1"), "aws-iso-b");
}

static void test_no_region(void)
{
	struct irx_endpoint ep;
	struct irx_error err = {0};

	clear_env();
	CU_ASSERT_EQUAL(irx_endpoint_resolve(&ec2, "", NULL, &ep, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "no AWS region for EC2: use --region, AWS_REGION, "
					    "AWS_DEFAULT_REGION or a profile's region");
}

static void test_configured(void)
{
	struct irx_endpoint ep;
	struct irx_error err = {0};
	char suffix[64];

	clear_env();
	irx_endpoint_env_suffix("Elastic Load Balancing v2", suffix, sizeof(suffix));
	CU_ASSERT_STRING_EQUAL(suffix, "ELASTIC_LOAD_BALANCING_V2");

	/* service-specific beats global beats profile */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
	setenv("AWS_ENDPOINT_URL_EC2", "http://localhost:9999", 1);
	CU_ASSERT_EQUAL(irx_endpoint_resolve(&ec2, "eu-west-1", "https://p.example", &ep, &err), 0);
	CU_ASSERT_STRING_EQUAL(ep.url, "http://localhost:9999");
	CU_ASSERT_STRING_EQUAL(ep.signing_region, "eu-west-1");
	CU_ASSERT_TRUE(ep.configured);
	CU_ASSERT_EQUAL(irx_endpoint_resolve(&elb, "eu-west-1", "https://p.example", &ep, &err), 0);
	CU_ASSERT_STRING_EQUAL(ep.url, "http://127.0.0.1:4566");
	unsetenv("AWS_ENDPOINT_URL");
	CU_ASSERT_EQUAL(irx_endpoint_resolve(&elb, "eu-west-1", "https://p.example/", &ep, &err), 0);
	CU_ASSERT_STRING_EQUAL(ep.url, "https://p.example");
	CU_ASSERT_STRING_EQUAL(ep.signing_name, "elasticloadbalancing");

	/* ignored on request */
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	CU_ASSERT_EQUAL(irx_endpoint_resolve(&ec2, "eu-west-1", NULL, &ep, &err), 0);
	CU_ASSERT_STRING_EQUAL(ep.url, "https://ec2.eu-west-1.amazonaws.com");
	clear_env();
}

static void test_plain_http_refused(void)
{
	struct irx_endpoint ep;
	struct irx_error err = {0};

	clear_env();
	setenv("AWS_ENDPOINT_URL_EC2", "http://ec2.example.com", 1);
	CU_ASSERT_EQUAL(irx_endpoint_resolve(&ec2, "eu-west-1", NULL, &ep, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "refusing plain-http endpoint 'http://ec2.example.com' from "
			       "AWS_ENDPOINT_URL_EC2: only loopback endpoints may use http; use https");
	irx_error_clear(&err);
	setenv("AWS_ENDPOINT_URL_EC2", "ftp://127.0.0.1", 1);
	CU_ASSERT_EQUAL(irx_endpoint_resolve(&ec2, "eu-west-1", NULL, &ep, &err), -1);
	IRX_ASSERT_CONTAINS(err.message, "must start with https://");
	irx_error_clear(&err);
	/* a host that merely starts with "localhost" is not loopback */
	setenv("AWS_ENDPOINT_URL_EC2", "http://localhost.evil.example", 1);
	CU_ASSERT_EQUAL(irx_endpoint_resolve(&ec2, "eu-west-1", NULL, &ep, &err), -1);
	clear_env();
}

static CU_TestInfo tests[] = {
	{"partitions and global services", test_partitions},
	{"no region", test_no_region},
	{"configured endpoint urls", test_configured},
	{"plain http only on loopback", test_plain_http_refused},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("endpoints", tests, NULL, NULL)
