/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "arn.h"
#include "test.h"

static void test_arn_kinds(void)
{
	struct irx_arn a;
	char err[128] = "";

	CU_ASSERT_EQUAL(irx_arn_parse("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", &a,
				      err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.partition, "aws");
	CU_ASSERT_STRING_EQUAL(a.service, "ec2");
	CU_ASSERT_STRING_EQUAL(a.region, "us-east-1");
	CU_ASSERT_STRING_EQUAL(a.account, "123456789012");
	CU_ASSERT_STRING_EQUAL(a.resource_type, "instance");
	CU_ASSERT_STRING_EQUAL(a.resource_id, "i-0abc");

	/* a role with a path: the id keeps the path, the name is its last part */
	CU_ASSERT_EQUAL(irx_arn_parse("arn:aws:iam::123456789012:role/service-role/role1", &a,
				      err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.region, "");
	CU_ASSERT_STRING_EQUAL(a.resource_type, "role");
	CU_ASSERT_STRING_EQUAL(a.resource_id, "service-role/role1");

	/* lambda uses ':' and may carry a qualifier */
	CU_ASSERT_EQUAL(irx_arn_parse("arn:aws-cn:lambda:cn-north-1:123456789012:function:f:prod",
				      &a, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.partition, "aws-cn");
	CU_ASSERT_STRING_EQUAL(a.resource_type, "function");
	CU_ASSERT_STRING_EQUAL(a.resource_id, "f:prod");

	CU_ASSERT_EQUAL(irx_arn_parse("arn:aws:s3:::bucket", &a, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.resource_type, "");
	CU_ASSERT_STRING_EQUAL(a.resource_id, "bucket");
}

static void test_arn_errors(void)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{"i-0abc", "arn must start with 'arn:'"},
		{"arn:aws:ec2", "arn has no region field"},
		{"arn:aws:ec2:us-east-1", "arn has no account field"},
		{"arn:aws:iam::123456789012", "arn has no resource field"},
		{"arn:aws:ec2:us-east-1:123:instance/i-1", "arn account '123' is not a 12-digit account id"},
		{"arn:aws:ec2:us-east-1:123456789012:", "arn has an empty resource"},
		{"arn:AWS:ec2:us-east-1:123456789012:x", "arn partition 'AWS' is not valid"},
		{"arn:aws::us-east-1:123456789012:x", "arn service '' is not valid"},
		{"arn:aws:ec2:us east:123456789012:x", "arn region 'us east' is not valid"},
	};
	struct irx_arn a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[128] = "";

		CU_ASSERT_EQUAL(irx_arn_parse(cases[i].in, &a, err, sizeof(err)), -1);
		CU_ASSERT_STRING_EQUAL(err, cases[i].msg);
	}
}

static CU_TestInfo tests[] = {
	{"kinds of arn", test_arn_kinds},
	{"malformed arns", test_arn_errors},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("arn", tests, NULL, NULL)
