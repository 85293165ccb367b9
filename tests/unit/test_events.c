/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events: every sample event parsed to its exact entities (GuardDuty EventBridge and bare
 * findings, Security Hub Imported and Custom Action, SNS-wrapped findings), the SNS
 * entity-lockdown form with its ExternalId check, bare ARNs, and malformed input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "error.h"
#include "events.h"
#include "test.h"
#include "util.h"

static struct irx_event *load(const char *rel, struct irx_error *err)
{
	return irx_event_load(irx_test_src(rel), NULL, err);
}

static struct irx_event *parse(const char *text, const struct irx_config *cfg,
			       struct irx_error *err)
{
	return irx_event_parse(text, strlen(text), cfg, err);
}

static void check_error(const char *text, const struct irx_config *cfg, enum irx_status code,
			const char *want)
{
	struct irx_error err = {0};
	struct irx_event *ev = parse(text, cfg, &err);

	CU_ASSERT_PTR_NULL(ev);
	CU_ASSERT_EQUAL(err.code, code);
	if (strcmp(err.message, want) != 0)
		fprintf(stderr, "\n  want: %s\n  got:  %s\n", want, err.message);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	irx_event_free(ev);
}

static void assert_ec2_sample(const struct irx_event *ev)
{
	const struct irx_finding *f = &ev->findings[0];

	CU_ASSERT_EQUAL(ev->source, IRX_EVENT_GUARDDUTY);
	CU_ASSERT_EQUAL_FATAL(ev->finding_count, 1);
	CU_ASSERT_STRING_EQUAL(f->id, "16afba5c5c43e07c9e3e5e2e544e95df");
	CU_ASSERT_STRING_EQUAL(f->type, "Canary:EC2/Stateless.IntegTest");
	CU_ASSERT_TRUE(f->has_severity);
	CU_ASSERT_DOUBLE_EQUAL(f->severity, 5.0, 1e-9);
	CU_ASSERT_STRING_EQUAL(f->severity_label, "MEDIUM");
	CU_ASSERT_FALSE(f->sample);
	CU_ASSERT_STRING_EQUAL(f->account, "123456789012");
	CU_ASSERT_STRING_EQUAL(f->region, "us-east-1");
	CU_ASSERT_EQUAL_FATAL(f->entity_count, 1);
	CU_ASSERT_EQUAL(f->entities[0].kind, IRX_ENTITY_EC2_INSTANCE);
	CU_ASSERT_STRING_EQUAL(f->entities[0].arn,
			       "arn:aws:ec2:us-east-1:123456789012:instance/i-05746eb48123455e0");
	CU_ASSERT_PTR_NULL(f->entities[0].access_key_id);
	CU_ASSERT_STRING_EQUAL(f->entities[0].resource_type, "Instance");
}

static void assert_iam_sample(const struct irx_event *ev)
{
	const struct irx_finding *f = &ev->findings[0];

	CU_ASSERT_EQUAL(ev->source, IRX_EVENT_GUARDDUTY);
	CU_ASSERT_EQUAL_FATAL(ev->finding_count, 1);
	CU_ASSERT_STRING_EQUAL(f->id, "30bf285e52a1e405084ff6ec28e06e17");
	CU_ASSERT_STRING_EQUAL(f->type, "Recon:IAMUser/MaliciousIPCaller.Custom");
	CU_ASSERT_TRUE(f->sample);
	CU_ASSERT_DOUBLE_EQUAL(f->severity, 5.0, 1e-9);
	/* resourceType AccessKey: the key's owner, not the sample's leftover instanceDetails */
	CU_ASSERT_EQUAL_FATAL(f->entity_count, 1);
	CU_ASSERT_EQUAL(f->entities[0].kind, IRX_ENTITY_ACCESS_KEY);
	CU_ASSERT_STRING_EQUAL(f->entities[0].arn,
			       "arn:aws:iam::123456789012:user/GeneratedFindingUserName");
	CU_ASSERT_STRING_EQUAL(f->entities[0].access_key_id, "GeneratedFindingAccessKeyId");
}

static void test_guardduty_samples(void)
{
	struct irx_error err = {0};
	struct irx_event *ev = load("tests/vectors/events/guardduty/constructed-eventbridge-"
				    "guardduty_ec2.json",
				    &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	assert_ec2_sample(ev); /* launchTime as a number */
	CU_ASSERT_STRING_EQUAL(ev->detail_type, "GuardDuty Finding");
	irx_event_free(ev);
	ev = load("tests/vectors/events/guardduty/aws-samples-guardduty_ec2_finding_detail.json",
		  &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	assert_ec2_sample(ev);
	CU_ASSERT_PTR_NULL(ev->detail_type);
	irx_event_free(ev);
	ev =
	    load("tests/vectors/events/guardduty/constructed-eventbridge-guardduty_iam.json", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	assert_iam_sample(ev); /* launchTime as a string */
	irx_event_free(ev);
	ev = load("tests/vectors/events/guardduty/aws-samples-guardduty_iam_finding_detail.json",
		  &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	assert_iam_sample(ev);
	irx_event_free(ev);
	/* the waf-acl test event has neither detail.accountId nor an envelope account */
	ev =
	    load("tests/vectors/events/guardduty/aws-samples-waf-acl-gd2acl_test_event.json", &err);
	CU_ASSERT_PTR_NULL(ev);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	IRX_ASSERT_CONTAINS(err.message,
			    "aws-samples-waf-acl-gd2acl_test_event.json: guardduty "
			    "finding '02be5693b63eea1d67e6f321c6aee4f3': no account id to "
			    "build the ARN of instance 'i-99999999' (the finding's "
			    "'accountId' or the event's 'account')");
}

static void test_guardduty_kinds(void)
{
	struct irx_error err = {0};
	struct irx_event *ev =
	    parse("{\"source\":\"aws.guardduty\",\"detail-type\":\"GuardDuty Finding\","
		  "\"account\":\"111122223333\",\"region\":\"eu-west-1\",\"detail\":{"
		  "\"id\":\"f1\",\"type\":\"UnauthorizedAccess:IAMUser/"
		  "InstanceCredentialExfiltration.OutsideAWS\",\"severity\":8,\"resource\":{"
		  "\"resourceType\":\"AccessKey\",\"accessKeyDetails\":{\"accessKeyId\":"
		  "\"ASIAEXAMPLE\",\"userType\":\"AssumedRole\",\"userName\":\"web-role\"}}}}",
		  NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].account, "111122223333");
	CU_ASSERT_STRING_EQUAL(ev->findings[0].severity_label, "HIGH");
	CU_ASSERT_EQUAL(ev->findings[0].entities[0].kind, IRX_ENTITY_IAM_ROLE);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].entities[0].arn,
			       "arn:aws:iam::111122223333:role/web-role");
	CU_ASSERT_STRING_EQUAL(ev->findings[0].entities[0].access_key_id, "ASIAEXAMPLE");
	irx_event_free(ev);
	ev = parse("{\"schemaVersion\":\"2.0\",\"accountId\":\"111122223333\",\"region\":"
		   "\"us-west-2\",\"partition\":\"aws\",\"id\":\"f2\",\"type\":\"Execution:Lambda/"
		   "MaliciousFile\",\"severity\":9.5,\"service\":{},\"resource\":{\"resourceType\":"
		   "\"Lambda\",\"lambdaDetails\":{\"functionName\":\"payments\"}}}",
		   NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].severity_label, "CRITICAL");
	CU_ASSERT_EQUAL(ev->findings[0].entities[0].kind, IRX_ENTITY_LAMBDA);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].entities[0].arn,
			       "arn:aws:lambda:us-west-2:111122223333:function:payments");
	irx_event_free(ev);
	ev = parse("{\"detail\":{\"id\":\"f3\",\"type\":\"Policy:S3/BucketPublicAccessGranted\","
		   "\"severity\":2,\"accountId\":\"111122223333\",\"region\":\"us-east-1\","
		   "\"resource\":{\"resourceType\":\"S3Bucket\"}}}",
		   NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].severity_label, "LOW");
	CU_ASSERT_EQUAL(ev->findings[0].entities[0].kind, IRX_ENTITY_OTHER);
	CU_ASSERT_PTR_NULL(ev->findings[0].entities[0].arn);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].entities[0].resource_type, "S3Bucket");
	irx_event_free(ev);
}

static void test_securityhub_samples(void)
{
	struct irx_error err = {0};
	struct irx_event *ev = load("tests/vectors/events/securityhub/asr-custom-action-afsbp-"
				    "ec2.2-security-group.json",
				    &err);
	const struct irx_finding *f = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(ev->source, IRX_EVENT_SECURITYHUB);
	CU_ASSERT_STRING_EQUAL(ev->detail_type, "Security Hub Findings - Custom Action");
	CU_ASSERT_EQUAL_FATAL(ev->finding_count, 1);
	f = &ev->findings[0];
	CU_ASSERT_STRING_EQUAL(f->id, "arn:aws:securityhub:us-east-1:111111111111:subscription/"
				      "aws-foundational-security-best-practices/v/1.0.0/EC2.2/"
				      "finding/6b409fb3-f9bc-4a29-895d-c853b5af61e2");
	CU_ASSERT_STRING_EQUAL(f->type, "Software and Configuration Checks/Industry and "
					"Regulatory Standards/AWS-Foundational-Security-Best-"
					"Practices");
	CU_ASSERT_EQUAL(f->type_count, 2);
	CU_ASSERT_STRING_EQUAL(f->types[1], "aws-foundational-security-best-practices/v/1.0.0/"
					    "EC2.2");
	CU_ASSERT_DOUBLE_EQUAL(f->severity, 4.0, 1e-9);
	CU_ASSERT_STRING_EQUAL(f->severity_label, "MEDIUM");
	CU_ASSERT_STRING_EQUAL(f->account, "111111111111");
	CU_ASSERT_EQUAL_FATAL(f->entity_count, 1);
	CU_ASSERT_EQUAL(f->entities[0].kind, IRX_ENTITY_OTHER);
	CU_ASSERT_STRING_EQUAL(f->entities[0].arn,
			       "arn:aws:ec2:us-east-1:111111111111:security-group/sg-ab1e739b");
	CU_ASSERT_STRING_EQUAL(f->entities[0].resource_type, "AwsEc2SecurityGroup");
	irx_event_free(ev);
	ev =
	    load("tests/vectors/events/securityhub/asr-imported-cis-1.4-iam-access-key.json", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(ev->detail_type, "Security Hub Findings - Imported");
	f = &ev->findings[0];
	CU_ASSERT_EQUAL_FATAL(f->entity_count, 1);
	CU_ASSERT_EQUAL(f->entities[0].kind, IRX_ENTITY_OTHER);
	CU_ASSERT_PTR_NULL(f->entities[0].arn); /* "AWS::::Account:111111111111" */
	CU_ASSERT_STRING_EQUAL(f->entities[0].resource_type, "AwsAccount");
	irx_event_free(ev);
}

#define ASFF(id, label, resources)                                                                 \
	"{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"" id "\",\"AwsAccountId\":\"111122223333\","   \
	"\"Types\":[\"TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS\"],"           \
	"\"Severity\":{\"Label\":\"" label "\"},\"Resources\":[" resources "]}"

static void test_securityhub_several(void)
{
	struct irx_error err = {0};
	struct irx_event *ev = parse("{\"source\":\"aws.securityhub\",\"detail-type\":\"Security "
				     "Hub Findings - Custom "
				     "Action\",\"region\":\"eu-west-1\",\"detail\":{\"findings\":"
				     "[" ASFF(
					 "a", "HIGH",
					 "{\"Type\":\"AwsEc2Instance\",\"Id\":\"arn:aws:ec2:eu-"
					 "west-1:111122223333:"
					 "instance/"
					 "i-0abc\"},{\"Type\":\"AwsEc2Instance\",\"Id\":\"i-"
					 "0def\"}") "," ASFF("b", "CRITICAL",
							     "{\"Type\":\"AwsIamAccessKey\",\"Id\":"
							     "\"AWS::IAM::AccessKey:AKIAEXAMPLE\","
							     "\"Details\":{\"AwsIamAccessKey\":{"
							     "\"PrincipalName\":\"alice\","
							     "\"PrincipalType\":"
							     "\"IAMUser\"}}},{\"Type\":"
							     "\"AwsLambdaFunction\",\"Id\":\"arn:"
							     "aws:lambda:"
							     "eu-west-1:111122223333:function:f:"
							     "prod\"},{\"Type\":\"AwsIamRole\","
							     "\"Id\":"
							     "\"arn:aws:iam::111122223333:role/"
							     "service/app\"}") "]}}",
				     NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL_FATAL(ev->finding_count, 2);
	CU_ASSERT_DOUBLE_EQUAL(ev->findings[0].severity, 7.0, 1e-9);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].region, "eu-west-1");
	CU_ASSERT_EQUAL_FATAL(ev->findings[0].entity_count, 2);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].entities[0].arn,
			       "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc");
	CU_ASSERT_STRING_EQUAL(ev->findings[0].entities[1].arn,
			       "arn:aws:ec2:eu-west-1:111122223333:instance/i-0def");
	CU_ASSERT_EQUAL_FATAL(ev->findings[1].entity_count, 3);
	CU_ASSERT_EQUAL(ev->findings[1].entities[0].kind, IRX_ENTITY_ACCESS_KEY);
	CU_ASSERT_STRING_EQUAL(ev->findings[1].entities[0].arn,
			       "arn:aws:iam::111122223333:user/alice");
	CU_ASSERT_STRING_EQUAL(ev->findings[1].entities[0].access_key_id, "AKIAEXAMPLE");
	CU_ASSERT_EQUAL(ev->findings[1].entities[1].kind, IRX_ENTITY_LAMBDA);
	CU_ASSERT_EQUAL(ev->findings[1].entities[2].kind, IRX_ENTITY_IAM_ROLE);
	CU_ASSERT_STRING_EQUAL(ev->findings[1].entities[2].arn,
			       "arn:aws:iam::111122223333:role/service/app");
	irx_event_free(ev);
	check_error(
	    "{\"detail-type\":\"Security Hub Findings - Imported\",\"detail\":{\"findings\":[" ASFF(
		"c", "HIGH",
		"{\"Type\":\"AwsIamUser\",\"Id\":\"arn:aws:iam::111122223333:"
		"role/x\"}") "]}}",
	    NULL, IRX_ERR_INVALID,
	    "security hub finding 'c': Resources[0] is a AwsIamUser but its Id "
	    "'arn:aws:iam::111122223333:role/x' names a iam-role");
	check_error(ASFF("d", "SEVERE", "{\"Type\":\"AwsAccount\",\"Id\":\"x\"}"), NULL,
		    IRX_ERR_INVALID, "security hub finding 'd': unknown Severity.Label 'SEVERE'");
	check_error("{\"source\":\"aws.securityhub\",\"detail\":{\"findings\":[]}}", NULL,
		    IRX_ERR_INVALID,
		    "security hub event: 'detail.findings' must be a non-empty list");
}

static void test_sns_wrapped_finding(void)
{
	static const char *const files[] = {
	    "tests/vectors/sns/constructed/notification-guardduty-event-sigv1.json",
	    "tests/vectors/sns/constructed/notification-guardduty-event-sigv2.json",
	};

	for (size_t i = 0; i < 2; i++) {
		struct irx_error err = {0};
		struct irx_event *ev = load(files[i], &err);

		if (!ev)
			fprintf(stderr, "\n  %s\n", err.message);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
		assert_ec2_sample(ev);
		CU_ASSERT_STRING_EQUAL(ev->sns_message_id, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324");
		CU_ASSERT_STRING_EQUAL(ev->sns_topic_arn, "arn:aws:sns:us-east-1:123456789012:"
							  "ir-findings");
		irx_event_free(ev);
	}
}

#define SNS_ENTITY(arn, xid)                                                                       \
	"{\"Type\":\"Notification\",\"MessageId\":\"m-1\",\"TopicArn\":\"arn:aws:sns:us-east-1:"   \
	"888888888888:entity-lockdown-sns-topic\",\"Message\":\"lock "                             \
	"down\",\"MessageAttributes\":{"                                                           \
	"\"entity_arn\":{\"Type\":\"String\",\"Value\":\"" arn "\"},\"external_id\":{\"Type\":"    \
	"\"String\",\"Value\":\"" xid "\"}}}"

static struct irx_config *cfg_of(const char *text)
{
	struct irx_diags d = {0};
	struct irx_config *c = irx_config_load_buffer("c.yaml", text, strlen(text), &d);

	irx_diags_print(&d, stderr);
	irx_diags_release(&d);
	return c;
}

static void test_sns_entity(void)
{
	struct irx_config *cfg = cfg_of("version: 1\nevents: {external_id: '123xyz*&^'}\n");
	struct irx_config *per_account = cfg_of("version: 1\naccounts:\n  - id: '888888888888'\n"
						"    external_id: acct-8\n");
	struct irx_config *none = irx_config_builtin();
	static const struct {
		const char *arn;
		enum irx_entity_kind kind;
	} arns[] = {
	    {"arn:aws:ec2:us-east-1:888888888888:instance/i-0d205360XXXXX9a9XXX",
	     IRX_ENTITY_EC2_INSTANCE},
	    {"arn:aws:iam::888888888888:user/user1", IRX_ENTITY_IAM_USER},
	    {"arn:aws:iam::888888888888:role/service-role/role1", IRX_ENTITY_IAM_ROLE},
	    {"arn:aws:lambda:us-east-1:888888888888:function:function1", IRX_ENTITY_LAMBDA},
	    {"arn:aws:lambda:us-east-1:888888888888:function:function1:prod", IRX_ENTITY_LAMBDA},
	};
	struct irx_error err = {0};
	struct irx_event *ev = NULL;
	char *text = NULL;

	/* the seed's ExternalId: not an STS one, so any printable characters */
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	ev = parse(SNS_ENTITY("arn:aws:iam::888888888888:user/user1", "123xyz*&^"), cfg, &err);
	CU_ASSERT_PTR_NOT_NULL(ev);
	irx_event_free(ev);
	check_error(SNS_ENTITY("arn:aws:iam::888888888888:user/user1", "123xyz*&"), cfg,
		    IRX_ERR_INVALID,
		    "sns message: the ExternalId does not match the configuration; "
		    "refused");
	irx_config_free(cfg);
	cfg = cfg_of("version: 1\nevents: {external_id: 123xyz-seed}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	for (size_t i = 0; i < sizeof(arns) / sizeof(arns[0]); i++) {
		text =
		    irx_xasprintf("{\"Type\":\"Notification\",\"MessageId\":\"m-%zu\",\"Message\":"
				  "\"x\",\"MessageAttributes\":{\"EntityArn\":{\"Type\":\"String\","
				  "\"Value\":\"%s\"},\"ExternalId\":{\"Type\":\"String\",\"Value\":"
				  "\"123xyz-seed\"}}}",
				  i, arns[i].arn);
		ev = parse(text, cfg, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
		CU_ASSERT_EQUAL(ev->source, IRX_EVENT_SNS);
		CU_ASSERT_STRING_EQUAL(ev->findings[0].id, ev->sns_message_id);
		CU_ASSERT_EQUAL(ev->findings[0].entities[0].kind, arns[i].kind);
		CU_ASSERT_STRING_EQUAL(ev->findings[0].entities[0].arn, arns[i].arn);
		CU_ASSERT_STRING_EQUAL(ev->findings[0].account, "888888888888");
		irx_event_free(ev);
		free(text);
	}
	/* the Lambda record form, with the per-account ExternalId */
	ev = parse("{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":" SNS_ENTITY(
		       "arn:aws:iam::888888888888:user/user1", "acct-8") "}]}",
		   per_account, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(ev->findings[0].entities[0].kind, IRX_ENTITY_IAM_USER);
	irx_event_free(ev);
	check_error(SNS_ENTITY("arn:aws:iam::888888888888:user/user1", "wrong-id"), cfg,
		    IRX_ERR_INVALID,
		    "sns message: the ExternalId does not match the configuration; "
		    "refused");
	check_error(SNS_ENTITY("arn:aws:iam::888888888888:user/user1", "123xyz-seed"), per_account,
		    IRX_ERR_INVALID,
		    "sns message: the ExternalId does not match the configuration; "
		    "refused");
	check_error(SNS_ENTITY("arn:aws:iam::777777777777:user/user1", "acct-8"), per_account,
		    IRX_ERR_INVALID,
		    "sns message: no ExternalId is configured to check it against "
		    "(events.external_id or account 777777777777's external_id); "
		    "refused");
	check_error(SNS_ENTITY("arn:aws:iam::888888888888:user/user1", "123xyz-seed"), none,
		    IRX_ERR_INVALID,
		    "sns message: no ExternalId is configured to check it against "
		    "(events.external_id or account 888888888888's external_id); "
		    "refused");
	check_error(SNS_ENTITY("arn:aws:iam::888888888888:user/user1", "x"), NULL, IRX_ERR_INVALID,
		    "sns message: no ExternalId is configured to check it against "
		    "(events.external_id or account 888888888888's external_id); refused");
	check_error(
	    "{\"Type\":\"Notification\",\"Message\":\"hi\",\"MessageAttributes\":{"
	    "\"entity_arn\":{\"Type\":\"String\",\"Value\":\"arn:aws:iam::888888888888:user/"
	    "u\"}}}",
	    cfg, IRX_ERR_INVALID,
	    "sns message names entity 'arn:aws:iam::888888888888:user/u' but carries no "
	    "ExternalId attribute; refused");
	check_error(SNS_ENTITY("not-an-arn", "123xyz-seed"), cfg, IRX_ERR_INVALID,
		    "sns message: entity 'not-an-arn' is not an ARN: arn must start with 'arn:'");
	check_error("{\"Type\":\"SubscriptionConfirmation\",\"Message\":\"x\",\"TopicArn\":\"t\"}",
		    cfg, IRX_ERR_INVALID,
		    "sns message of type 'SubscriptionConfirmation' carries "
		    "no event");
	check_error("{\"Type\":\"Notification\",\"MessageId\":\"m\",\"Message\":\"hello\"}", cfg,
		    IRX_ERR_INVALID,
		    "sns message carries neither an entity ARN attribute nor a "
		    "finding in its Message");
	check_error("{\"Type\":\"Notification\",\"MessageId\":\"m\",\"Message\":\"{\\\"a\\\":\"}",
		    cfg, IRX_ERR_INVALID,
		    "sns message: Message is not valid JSON: "
		    "unexpected end of input");
	irx_config_free(cfg);
	irx_config_free(per_account);
	irx_config_free(none);
}

static void test_bare_arn(void)
{
	struct irx_error err = {0};
	struct irx_event *ev =
	    parse("  arn:aws:iam::111122223333:role/path/to/admin\n", NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(ev->source, IRX_EVENT_ARN);
	CU_ASSERT_PTR_NULL(ev->findings[0].id);
	CU_ASSERT_FALSE(ev->findings[0].has_severity);
	CU_ASSERT_EQUAL(ev->findings[0].entities[0].kind, IRX_ENTITY_IAM_ROLE);
	CU_ASSERT_STRING_EQUAL(ev->findings[0].entities[0].arn,
			       "arn:aws:iam::111122223333:role/path/to/admin");
	CU_ASSERT_PTR_NULL(ev->findings[0].region);
	irx_event_free(ev);
	ev = parse("arn:aws:s3:::bucket", NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(ev->findings[0].entities[0].kind, IRX_ENTITY_OTHER);
	irx_event_free(ev);
	check_error("arn:aws:iam::1:user/a arn:aws:iam::1:user/b", NULL, IRX_ERR_INVALID,
		    "the event is an ARN followed by other text; give one ARN");
	check_error("arn:aws", NULL, IRX_ERR_INVALID,
		    "'arn:aws' is not an ARN: arn has no "
		    "service field");
	check_error("arn:aws:ec2", NULL, IRX_ERR_INVALID,
		    "'arn:aws:ec2' is not an ARN: arn has no region field");
}

static void test_malformed(void)
{
	char *big = NULL;
	struct irx_error err = {0};

	check_error("", NULL, IRX_ERR_INVALID, "the event is empty");
	check_error(" \n\t", NULL, IRX_ERR_INVALID, "the event is empty");
	check_error("hello", NULL, IRX_ERR_PARSE, "the event is neither JSON nor an ARN");
	check_error("{\"detail\":", NULL, IRX_ERR_PARSE,
		    "the event is not valid JSON: unexpected end of input (at byte 10)");
	check_error("{} {}", NULL, IRX_ERR_PARSE,
		    "the event is not valid JSON: trailing characters after the value (at byte 3)");
	check_error("[1]", NULL, IRX_ERR_INVALID,
		    "an event must be a JSON object or an ARN, got "
		    "array");
	check_error("{}", NULL, IRX_ERR_INVALID,
		    "unrecognised event: expected a GuardDuty or Security Hub finding (EventBridge "
		    "event or bare finding), an SNS message or an ARN");
	check_error(
	    "{\"source\":\"aws.ec2\",\"detail\":{}}", NULL, IRX_ERR_INVALID,
	    "unsupported event source 'aws.ec2' (expected aws.guardduty or aws.securityhub)");
	check_error("{\"source\":\"aws.guardduty\",\"detail-type\":\"GuardDuty Finding\"}", NULL,
		    IRX_ERR_INVALID, "'GuardDuty Finding' event without 'detail'");
	check_error("{\"source\":\"aws.guardduty\",\"detail\":{\"type\":\"x\"}}", NULL,
		    IRX_ERR_INVALID, "guardduty finding: missing 'id'");
	check_error("{\"source\":\"aws.guardduty\",\"detail\":{\"id\":\"f\",\"type\":\"x\"}}", NULL,
		    IRX_ERR_INVALID, "guardduty finding 'f': missing 'resource'");
	check_error("{\"source\":\"aws.guardduty\",\"detail\":{\"id\":\"f\",\"type\":\"x\","
		    "\"resource\":{}}}",
		    NULL, IRX_ERR_INVALID,
		    "guardduty finding 'f': missing 'resource.resourceType'");
	/* nothing but an instance id goes into the ARN */
	check_error("{\"source\":\"aws.guardduty\",\"account\":\"111122223333\",\"region\":"
		    "\"us-east-1\",\"detail\":{\"id\":\"f\",\"type\":\"x\",\"resource\":{"
		    "\"resourceType\":\"Instance\",\"instanceDetails\":{\"instanceId\":"
		    "\"i-1/../../user/admin\"}}}}",
		    NULL, IRX_ERR_INVALID,
		    "guardduty finding 'f': invalid 'resource.instanceDetails.instanceId'");
	check_error("{\"source\":\"aws.guardduty\",\"account\":\"111122223333\",\"region\":"
		    "\"us-east-1\",\"detail\":{\"id\":\"f\",\"type\":\"x\",\"resource\":{"
		    "\"resourceType\":\"AccessKey\",\"accessKeyDetails\":{\"userType\":\"IAMUser\","
		    "\"userName\":\"a:b\"}}}}",
		    NULL, IRX_ERR_INVALID,
		    "guardduty finding 'f': invalid 'resource.accessKeyDetails.userName'");
	check_error("{\"source\":\"aws.guardduty\",\"detail\":{\"id\":\"f\",\"type\":\"x\","
		    "\"severity\":11,\"resource\":{\"resourceType\":\"S3Bucket\"}}}",
		    NULL, IRX_ERR_INVALID, "guardduty finding 'f': 'severity' must be 0-10");
	check_error("{\"source\":\"aws.guardduty\",\"detail\":{\"id\":\"f\",\"type\":\"x\","
		    "\"accountId\":\"12\",\"resource\":{\"resourceType\":\"S3Bucket\"}}}",
		    NULL, IRX_ERR_INVALID, "guardduty finding 'f': invalid account id '12'");
	check_error("{\"Records\":[]}", NULL, IRX_ERR_INVALID, "'Records' is empty");
	check_error("{\"Records\":[{\"s3\":{}}]}", NULL, IRX_ERR_INVALID,
		    "Records[0] is not an SNS record");
	{
		static const char nul[] = "{\"a\":\0}";

		CU_ASSERT_PTR_NULL(irx_event_parse(nul, sizeof(nul) - 1, NULL, &err));
		CU_ASSERT_STRING_EQUAL(err.message, "the event contains a NUL byte");
	}
	irx_error_clear(&err);
	big = irx_xcalloc(IRX_EVENT_MAX_BYTES + 2, 1);
	memset(big, ' ', IRX_EVENT_MAX_BYTES + 1);
	CU_ASSERT_PTR_NULL(irx_event_parse(big, IRX_EVENT_MAX_BYTES + 1, NULL, &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_LIMIT);
	free(big);
	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(irx_event_load("/nonexistent/event.json", NULL, &err));
	CU_ASSERT_STRING_EQUAL(err.message, "cannot read event '/nonexistent/event.json': No such "
					    "file or directory");
}

static void test_json(void)
{
	struct irx_error err = {0};
	struct irx_event *ev = load("tests/vectors/events/guardduty/constructed-eventbridge-"
				    "guardduty_iam.json",
				    &err);
	struct json_object *j = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	j = irx_event_json(ev);
	IRX_ASSERT_CONTAINS(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE),
			    "\"entities\":[{\"kind\":\"access-key\",\"arn\":\"arn:aws:iam::"
			    "123456789012:user/GeneratedFindingUserName\",\"accessKeyId\":"
			    "\"GeneratedFindingAccessKeyId\",\"resourceType\":\"AccessKey\"}]");
	json_object_put(j);
	irx_event_free(ev);
}

static CU_TestInfo tests[] = {
    {"GuardDuty samples: EventBridge, bare, partial", test_guardduty_samples},
    {"GuardDuty: assumed role, Lambda, other resources", test_guardduty_kinds},
    {"Security Hub samples: Imported and Custom Action", test_securityhub_samples},
    {"Security Hub: several findings, several entities", test_securityhub_several},
    {"SNS message carrying a GuardDuty event", test_sns_wrapped_finding},
    {"SNS entity-lockdown form and its ExternalId", test_sns_entity},
    {"bare ARNs", test_bare_arn},
    {"malformed events", test_malformed},
    {"event as JSON", test_json},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("events", tests, NULL, NULL)
