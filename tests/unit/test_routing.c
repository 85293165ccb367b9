/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routing: the default rules for the shipped runbooks, the GuardDuty seed's defect (a rule
 * on finding types compared with detail-type never fires), severity thresholds, sample
 * findings in dry-run, duplicates within the window, roles from the configuration, and
 * `irx route` end to end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/client.h"
#include "config.h"
#include "diag.h"
#include "error.h"
#include "events.h"
#include "routing.h"
#include "test.h"
#include "util.h"

#define NOW 1800000000LL

static struct irx_config *cfg_of(const char *text)
{
	struct irx_diags d = {0};
	struct irx_config *c = irx_config_load_buffer("c.yaml", text, strlen(text), &d);

	irx_diags_print(&d, stderr);
	irx_diags_release(&d);
	return c;
}

/* A GuardDuty EventBridge event with one EC2 instance. */
static char *gd_event(const char *id, const char *type, const char *severity, bool sample)
{
	return irx_xasprintf(
	    "{\"version\":\"0\",\"source\":\"aws.guardduty\",\"detail-type\":\"GuardDuty Finding\","
	    "\"account\":\"111122223333\",\"region\":\"eu-west-1\",\"detail\":{\"id\":\"%s\","
	    "\"type\":\"%s\",\"severity\":%s,\"resource\":{\"resourceType\":\"Instance\","
	    "\"instanceDetails\":{\"instanceId\":\"i-0123456789abcdef0\"}},\"service\":{"
	    "\"additionalInfo\":{\"sample\":%s}}}}",
	    id, type, severity, sample ? "true" : "false");
}

/* Plans text under cfg; the single target's fields are checked by the caller. */
static int plan_of(const struct irx_config *cfg, const char *text, const struct irx_plan_options *o,
		   struct irx_plan *p)
{
	struct irx_error err = {0};
	struct irx_event *ev = irx_event_parse(text, strlen(text), cfg, &err);
	int rc = -1;

	if (!ev) {
		fprintf(stderr, "\n  %s\n", err.message);
		return -1;
	}
	rc = irx_events_plan(cfg, ev, o, p, &err);
	irx_event_free(ev);
	return rc;
}

static void expect_route(const struct irx_config *cfg, const char *text, const char *runbook,
			 const char *rule)
{
	struct irx_plan_options o = {.now = NOW};
	struct irx_plan p = {0};

	CU_ASSERT_EQUAL_FATAL(plan_of(cfg, text, &o, &p), 0);
	CU_ASSERT_EQUAL_FATAL(p.count, 1);
	if (!runbook) {
		CU_ASSERT_PTR_NULL(p.targets[0].runbook);
	} else {
		CU_ASSERT_PTR_NOT_NULL_FATAL(p.targets[0].runbook);
		if (strcmp(p.targets[0].runbook, runbook) != 0)
			fprintf(stderr, "\n  want %s got %s\n", runbook, p.targets[0].runbook);
		CU_ASSERT_STRING_EQUAL(p.targets[0].runbook, runbook);
		CU_ASSERT_STRING_EQUAL(p.targets[0].rule, rule);
	}
	irx_plan_release(&p);
}

static void test_defaults(void)
{
	struct irx_config *c = irx_config_builtin();
	char *e = NULL;

	e = gd_event("f1", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "5", false);
	expect_route(c, e, "ec2-crypto-mining", "crypto-mining");
	expect_route(NULL, e, "ec2-crypto-mining", "crypto-mining");
	free(e);
	e = gd_event("f1", "Backdoor:EC2/C&CActivity.B", "8", false);
	expect_route(c, e, "ec2-isolate", "ec2-instance");
	free(e);
	expect_route(c, "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc", "entity-lockdown",
		     "explicit-entity");
	expect_route(c, "arn:aws:lambda:eu-west-1:111122223333:function:f:live", "entity-lockdown",
		     "explicit-entity");
	expect_route(c, "arn:aws:s3:::bucket", NULL, NULL);
	expect_route(
	    c,
	    "{\"source\":\"aws.guardduty\",\"account\":\"111122223333\",\"region\":"
	    "\"us-east-1\",\"detail\":{\"id\":\"k\",\"type\":\"CredentialAccess:IAMUser/"
	    "AnomalousBehavior\",\"severity\":5,\"resource\":{\"resourceType\":\"AccessKey\","
	    "\"accessKeyDetails\":{\"accessKeyId\":\"AKIAX\",\"userType\":\"IAMUser\","
	    "\"userName\":\"bob\"}}}}",
	    "iam-credential-exposure", "exposed-credentials");
	expect_route(
	    c,
	    "{\"source\":\"aws.guardduty\",\"account\":\"111122223333\",\"region\":"
	    "\"us-east-1\",\"detail\":{\"id\":\"k\",\"type\":\"Discovery:S3/"
	    "MaliciousIPCaller\",\"severity\":5,\"resource\":{\"resourceType\":\"AccessKey\","
	    "\"accessKeyDetails\":{\"accessKeyId\":\"AKIAX\",\"userType\":\"IAMUser\","
	    "\"userName\":\"bob\"}}}}",
	    "access-key-lockdown", "access-key");
	expect_route(c,
		     "{\"source\":\"aws.guardduty\",\"account\":\"111122223333\",\"region\":"
		     "\"us-east-1\",\"detail\":{\"id\":\"k\",\"type\":\"UnauthorizedAccess:IAMUser/"
		     "InstanceCredentialExfiltration.OutsideAWS\",\"severity\":8,\"resource\":{"
		     "\"resourceType\":\"AccessKey\",\"accessKeyDetails\":{\"userType\":"
		     "\"AssumedRole\",\"userName\":\"web\"}}}}",
		     "iam-role-lockdown", "iam-role");
	expect_route(c,
		     "{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"u\",\"AwsAccountId\":"
		     "\"111122223333\",\"Severity\":{\"Label\":\"HIGH\"},\"Resources\":[{\"Type\":"
		     "\"AwsIamUser\",\"Id\":\"arn:aws:iam::111122223333:user/eve\"}]}",
		     "iam-user-lockdown", "iam-user");
	expect_route(c,
		     "{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"l\",\"AwsAccountId\":"
		     "\"111122223333\",\"Severity\":{\"Normalized\":75},\"Resources\":[{\"Type\":"
		     "\"AwsLambdaFunction\",\"Id\":\"arn:aws:lambda:us-east-1:111122223333:"
		     "function:f\"}]}",
		     "lambda-lockdown", "lambda-function");
	/* a GuardDuty finding through Security Hub keeps its crypto type inside Types[] */
	expect_route(
	    c,
	    "{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"x\",\"AwsAccountId\":"
	    "\"111122223333\",\"Types\":[\"TTPs/Command and Control/CryptoCurrency:EC2-"
	    "BitcoinTool.B!DNS\"],\"Severity\":{\"Label\":\"LOW\"},\"Resources\":[{\"Type\":"
	    "\"AwsEc2Instance\",\"Id\":\"arn:aws:ec2:us-east-1:111122223333:instance/"
	    "i-0abc\"}]}",
	    "ec2-crypto-mining", "crypto-mining");
	irx_config_free(c);
}

/*
 * The GuardDuty seed matched finding types against the EventBridge detail-type, which is
 * "GuardDuty Finding" for every finding: its crypto rule never fired. Rules here match the
 * finding's own type.
 */
static void test_seed_detail_type_defect(void)
{
	struct irx_config *c = cfg_of("version: 1\n"
				      "events: {default_rules: false}\n"
				      "routing:\n"
				      "  - name: by-detail-type\n"
				      "    match: {finding_type: 'GuardDuty Finding'}\n"
				      "    runbook: wrong-runbook\n"
				      "  - name: crypto\n"
				      "    match: {finding_type: 'CryptoCurrency:EC2/*'}\n"
				      "    runbook: ec2-crypto-mining\n");
	char *e = gd_event("f1", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "5", false);
	char *other = gd_event("f2", "Recon:EC2/PortProbeUnprotectedPort", "5", false);
	struct irx_plan_options o = {.now = NOW};
	struct irx_plan p = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->rule_count, 2);
	expect_route(c, e, "ec2-crypto-mining", "crypto");
	CU_ASSERT_EQUAL(plan_of(c, other, &o, &p), 0);
	CU_ASSERT_PTR_NULL(p.targets[0].runbook);
	CU_ASSERT_STRING_EQUAL(p.targets[0].skip_reason,
			       "no routing rule matches (guardduty, finding type "
			       "'Recon:EC2/PortProbeUnprotectedPort', severity 5.0, ec2-instance)");
	irx_plan_release(&p);
	free(e);
	free(other);
	irx_config_free(c);
}

static void test_severity(void)
{
	struct irx_config *c = irx_config_builtin();
	struct irx_config *high =
	    cfg_of("version: 1\n"
		   "events: {default_rules: false}\n"
		   "routing:\n"
		   "  - name: high-only\n"
		   "    match: {min_severity: high, resource_type: ec2-instance}\n"
		   "    runbook: ec2-isolate\n"
		   "  - name: numeric\n"
		   "    match: {min_severity: 2.5}\n"
		   "    runbook: ec2-forensic-capture\n");
	char *e = NULL;
	struct irx_plan_options o = {.now = NOW};
	struct irx_plan p = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(high);
	e = gd_event("f", "Recon:EC2/Portscan", "3.9", false);
	CU_ASSERT_EQUAL(plan_of(c, e, &o, &p), 0);
	CU_ASSERT_PTR_NULL(p.targets[0].runbook);
	CU_ASSERT_STRING_EQUAL(
	    p.targets[0].skip_reason,
	    "no routing rule matches (guardduty, finding type 'Recon:EC2/Portscan', "
	    "severity 3.9, ec2-instance)");
	CU_ASSERT_EQUAL(p.runnable, 0);
	irx_plan_release(&p);
	free(e);
	e = gd_event("f", "Recon:EC2/Portscan", "4", false);
	expect_route(c, e, "ec2-isolate", "ec2-instance");
	free(e);
	e = gd_event("f", "Recon:EC2/Portscan", "6.9", false);
	expect_route(high, e, "ec2-forensic-capture", "numeric");
	free(e);
	e = gd_event("f", "Recon:EC2/Portscan", "7", false);
	expect_route(high, e, "ec2-isolate", "high-only");
	free(e);
	e = gd_event("f", "Recon:EC2/Portscan", "2.4", false);
	expect_route(high, e, NULL, NULL);
	free(e);
	/* no severity at all never passes a threshold */
	expect_route(high,
		     "{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"n\",\"AwsAccountId\":"
		     "\"111122223333\",\"Resources\":[{\"Type\":\"AwsEc2Instance\",\"Id\":"
		     "\"arn:aws:ec2:us-east-1:111122223333:instance/i-0abc\"}]}",
		     NULL, NULL);
	irx_config_free(c);
	irx_config_free(high);
}

static void test_sample_and_dry_run(void)
{
	struct irx_config *c = cfg_of("version: 1\n"
				      "routing:\n"
				      "  - name: rehearse\n"
				      "    match: {account: ['999999999999']}\n"
				      "    runbook: ec2-isolate\n"
				      "    dry_run: true\n");
	char *sample = gd_event("s", "Recon:EC2/Portscan", "5", true);
	struct irx_plan_options o = {.now = NOW};
	struct irx_plan p = {0};
	struct irx_error err = {0};
	struct irx_event *ev = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(plan_of(c, sample, &o, &p), 0);
	CU_ASSERT_TRUE(p.targets[0].dry_run);
	CU_ASSERT_STRING_EQUAL(p.targets[0].dry_run_reason,
			       "sample finding (contain it for real with --force-sample)");
	CU_ASSERT_EQUAL(p.runnable, 1);
	irx_plan_release(&p);
	o.force_sample = true;
	CU_ASSERT_EQUAL(plan_of(c, sample, &o, &p), 0);
	CU_ASSERT_FALSE(p.targets[0].dry_run);
	CU_ASSERT_PTR_NULL(p.targets[0].dry_run_reason);
	irx_plan_release(&p);
	o.dry_run = true;
	CU_ASSERT_EQUAL(plan_of(c, sample, &o, &p), 0);
	CU_ASSERT_TRUE(p.targets[0].dry_run);
	CU_ASSERT_STRING_EQUAL(p.targets[0].dry_run_reason, "--dry-run was given");
	irx_plan_release(&p);
	/* the real sample file: service.additionalInfo.sample true */
	ev = irx_event_load(irx_test_src("tests/vectors/events/guardduty/constructed-eventbridge-"
					 "guardduty_iam.json"),
			    c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	o = (struct irx_plan_options){.now = NOW};
	CU_ASSERT_EQUAL(irx_events_plan(c, ev, &o, &p, &err), 0);
	CU_ASSERT_STRING_EQUAL(p.targets[0].runbook, "iam-credential-exposure");
	CU_ASSERT_STRING_EQUAL(p.targets[0].access_key_id, "GeneratedFindingAccessKeyId");
	CU_ASSERT_TRUE(p.targets[0].dry_run);
	irx_plan_release(&p);
	irx_event_free(ev);
	/* a dry-run rule */
	ev = irx_event_load(irx_test_src("tests/vectors/events/guardduty/constructed-eventbridge-"
					 "guardduty_ec2.json"),
			    c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	free(ev->findings[0].account);
	ev->findings[0].account = irx_xstrdup("999999999999");
	CU_ASSERT_EQUAL(irx_events_plan(c, ev, &o, &p, &err), 0);
	CU_ASSERT_STRING_EQUAL(p.targets[0].rule, "rehearse");
	CU_ASSERT_STRING_EQUAL(p.targets[0].dry_run_reason, "rule 'rehearse' runs in dry-run");
	irx_plan_release(&p);
	irx_event_free(ev);
	free(sample);
	irx_config_free(c);
}

static void test_duplicates(void)
{
	struct irx_config *c = irx_config_builtin();
	const char *dir = irx_test_tmpdir();
	char *state = irx_xasprintf("%s/state", dir);
	char *e = gd_event("dup-1", "Recon:EC2/Portscan", "5", false);
	char *sample = gd_event("dup-2", "Recon:EC2/Portscan", "5", true);
	struct irx_plan_options o = {.now = NOW, .state_dir = state, .claim = true};
	struct irx_plan_options look = {.now = NOW, .state_dir = state};
	struct irx_plan p = {0};
	char key[65], *path = NULL;

	/* irx route only looks: nothing is claimed */
	CU_ASSERT_EQUAL(plan_of(c, e, &look, &p), 0);
	CU_ASSERT_FALSE(p.targets[0].duplicate);
	irx_plan_release(&p);
	CU_ASSERT_EQUAL(plan_of(c, e, &look, &p), 0);
	CU_ASSERT_FALSE(p.targets[0].duplicate);
	irx_plan_release(&p);
	/* the first run claims, the second within the window is a duplicate */
	CU_ASSERT_EQUAL(plan_of(c, e, &o, &p), 0);
	CU_ASSERT_FALSE(p.targets[0].duplicate);
	CU_ASSERT_EQUAL(p.runnable, 1);
	irx_dedupe_key("dup-1", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0",
		       NULL, key);
	CU_ASSERT_STRING_EQUAL(p.targets[0].dedupe_key, key);
	irx_plan_release(&p);
	path = irx_xasprintf("%s/dedupe/%s", state, key);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	o.now = NOW + 3599;
	CU_ASSERT_EQUAL(plan_of(c, e, &o, &p), 0);
	CU_ASSERT_TRUE(p.targets[0].duplicate);
	CU_ASSERT_EQUAL(p.runnable, 0);
	CU_ASSERT_STRING_EQUAL(p.targets[0].skip_reason,
			       "duplicate: finding 'dup-1' for this entity was seen within 3600s");
	irx_plan_release(&p);
	CU_ASSERT_EQUAL(plan_of(c, e, &look, &p), 0);
	CU_ASSERT_TRUE(p.targets[0].duplicate);
	irx_plan_release(&p);
	/* after the window: runs again and claims anew */
	o.now = NOW + 3600;
	CU_ASSERT_EQUAL(plan_of(c, e, &o, &p), 0);
	CU_ASSERT_FALSE(p.targets[0].duplicate);
	irx_plan_release(&p);
	o.now = NOW + 3601;
	CU_ASSERT_EQUAL(plan_of(c, e, &o, &p), 0);
	CU_ASSERT_TRUE(p.targets[0].duplicate);
	irx_plan_release(&p);
	/* a dry run never claims, so it cannot hold back the real one */
	o.now = NOW;
	CU_ASSERT_EQUAL(plan_of(c, sample, &o, &p), 0);
	CU_ASSERT_TRUE(p.targets[0].dry_run);
	CU_ASSERT_FALSE(p.targets[0].duplicate);
	irx_plan_release(&p);
	o.force_sample = true;
	CU_ASSERT_EQUAL(plan_of(c, sample, &o, &p), 0);
	CU_ASSERT_FALSE(p.targets[0].duplicate);
	irx_plan_release(&p);
	CU_ASSERT_EQUAL(plan_of(c, sample, &o, &p), 0);
	CU_ASSERT_TRUE(p.targets[0].duplicate);
	irx_plan_release(&p);
	/* a bare ARN has no finding id: an explicit request is never a duplicate */
	o.force_sample = false;
	CU_ASSERT_EQUAL(plan_of(c, "arn:aws:iam::111122223333:user/x", &o, &p), 0);
	CU_ASSERT_PTR_NULL(p.targets[0].dedupe_key);
	irx_plan_release(&p);
	CU_ASSERT_EQUAL(plan_of(c, "arn:aws:iam::111122223333:user/x", &o, &p), 0);
	CU_ASSERT_FALSE(p.targets[0].duplicate);
	irx_plan_release(&p);
	free(path);
	free(e);
	free(sample);
	free(state);
	irx_config_free(c);
}

static void test_dedupe_store(void)
{
	const char *dir = irx_test_tmpdir();
	char *state = irx_xasprintf("%s/store", dir), *path = NULL;
	struct irx_error err = {0};
	char key[65], other[65];

	irx_dedupe_key("f", "arn:a", NULL, key);
	irx_dedupe_key("f", "arn:a", "AKIA", other);
	CU_ASSERT_STRING_NOT_EQUAL(key, other);
	CU_ASSERT_EQUAL(strlen(key), 64);
	CU_ASSERT_EQUAL(irx_dedupe_claim(state, key, 60, 1000, &err), 1);
	CU_ASSERT_EQUAL(irx_dedupe_claim(state, key, 60, 1059, &err), 0);
	CU_ASSERT_EQUAL(irx_dedupe_claim(state, other, 60, 1059, &err), 1);
	CU_ASSERT_EQUAL(irx_dedupe_check(state, key, 60, 1059), 0);
	CU_ASSERT_EQUAL(irx_dedupe_check(state, key, 60, 1060), 1);
	CU_ASSERT_EQUAL(irx_dedupe_claim(state, key, 60, 1060, &err), 1);
	CU_ASSERT_EQUAL(irx_dedupe_claim(state, key, 60, 1061, &err), 0);
	/* a window of 0 turns dedupe off */
	CU_ASSERT_EQUAL(irx_dedupe_claim(state, key, 0, 1061, &err), 1);
	/* a claim file with garbage falls back to its mtime (now, in real time) */
	path = irx_xasprintf("%s/dedupe/%s", state, key);
	CU_ASSERT_EQUAL(irx_test_write(path, "garbage"), 0);
	CU_ASSERT_EQUAL(irx_dedupe_check(state, key, 60, (long long)time(NULL)), 0);
	CU_ASSERT_EQUAL(irx_dedupe_check(state, key, 60, (long long)time(NULL) + 120), 1);
	CU_ASSERT_EQUAL(irx_dedupe_claim(state, "../../etc/passwd", 60, 1, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "invalid dedupe key");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_dedupe_claim("/proc/irx-no-such", key, 60, 1, &err), -1);
	IRX_ASSERT_CONTAINS(err.message, "cannot create '/proc/irx-no-such/dedupe'");
	free(path);
	free(state);
}

static void test_roles_from_config(void)
{
	struct irx_config *c =
	    cfg_of("version: 1\n"
		   "defaults: {role: irx-responder, external_id: def-xid}\n"
		   "accounts:\n"
		   "  - id: '111122223333'\n"
		   "    external_id: acct-xid\n"
		   "  - id: '444455556666'\n"
		   "    role: [arn:aws:iam::999999999999:role/hub, irx-responder]\n"
		   "    session_tags: {Case: ir}\n");
	struct irx_plan_options o = {.now = NOW};
	struct irx_plan p = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(plan_of(c, "arn:aws:iam::111122223333:user/x", &o, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.targets[0].role_arn,
			       "arn:aws:iam::111122223333:role/irx-responder");
	CU_ASSERT_STRING_EQUAL(p.targets[0].external_id, "acct-xid");
	irx_plan_release(&p);
	CU_ASSERT_EQUAL(plan_of(c, "arn:aws:iam::777777777777:user/x", &o, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.targets[0].role_arn,
			       "arn:aws:iam::777777777777:role/irx-responder");
	CU_ASSERT_STRING_EQUAL(p.targets[0].external_id, "def-xid");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.targets[0].access);
	CU_ASSERT_EQUAL(p.targets[0].access->role_count, 1);
	CU_ASSERT_PTR_NULL(p.targets[0].access->tags);
	irx_plan_release(&p);
	/* a chain: the hub, then the account's role (the plan's roleArn); ExternalId, tags */
	CU_ASSERT_EQUAL(plan_of(c, "arn:aws-cn:iam::444455556666:user/x", &o, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.targets[0].role_arn,
			       "arn:aws-cn:iam::444455556666:role/irx-responder");
	CU_ASSERT_STRING_EQUAL(p.targets[0].external_id, "def-xid");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.targets[0].access);
	CU_ASSERT_EQUAL_FATAL(p.targets[0].access->role_count, 2);
	CU_ASSERT_STRING_EQUAL(p.targets[0].access->roles[0], "arn:aws:iam::999999999999:role/hub");
	CU_ASSERT_EQUAL_FATAL(p.targets[0].access->tag_count, 1);
	CU_ASSERT_STRING_EQUAL(p.targets[0].access->tags[0].key, "Case");
	CU_ASSERT_STRING_EQUAL(p.targets[0].access->tags[0].value, "ir");
	{
		struct json_object *j = irx_plan_json(&p);

		CU_ASSERT_STRING_EQUAL(
		    json_object_to_json_string_ext(
			json_object_object_get(json_object_array_get_idx(j, 0), "viaRoles"),
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		    "[\"arn:aws:iam::999999999999:role/hub\"]");
		CU_ASSERT_STRING_EQUAL(
		    json_object_get_string(
			json_object_object_get(json_object_array_get_idx(j, 0), "roleArn")),
		    "arn:aws-cn:iam::444455556666:role/irx-responder");
		json_object_put(j);
	}
	irx_plan_release(&p);
	irx_config_free(c);
	/* no role configured: no access path, the caller's credentials */
	c = cfg_of("version: 1\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(plan_of(c, "arn:aws:iam::111122223333:user/x", &o, &p), 0);
	CU_ASSERT_PTR_NULL(p.targets[0].access);
	CU_ASSERT_PTR_NULL(p.targets[0].role_arn);
	CU_ASSERT_PTR_NULL(p.targets[0].external_id);
	CU_ASSERT_PTR_NOT_NULL(p.targets[0].runbook);
	irx_plan_release(&p);
	irx_config_free(c);
}

static void test_several_targets_and_json(void)
{
	struct irx_error err = {0};
	struct irx_event *ev = irx_event_load(irx_test_src("tests/vectors/events/securityhub/"
							   "asr-custom-action-afsbp-ec2.2-security-"
							   "group.json"),
					      NULL, &err);
	struct irx_plan_options o = {.now = NOW};
	struct irx_plan p = {0};
	struct json_object *j = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(irx_events_plan(NULL, ev, &o, &p, &err), 0);
	CU_ASSERT_EQUAL(p.count, 1);
	CU_ASSERT_EQUAL(p.runnable, 0);
	CU_ASSERT_STRING_EQUAL(p.targets[0].skip_reason,
			       "irx has no runbook for resource type 'AwsEc2SecurityGroup'");
	j = irx_plan_json(&p);
	IRX_ASSERT_CONTAINS(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE),
			    "\"kind\":\"other\",\"arn\":\"arn:aws:ec2:us-east-1:111111111111:"
			    "security-group/sg-ab1e739b\",\"runbook\":null");
	json_object_put(j);
	irx_plan_release(&p);
	irx_event_free(ev);
}

static void test_route_cli(void)
{
	const char *dir = irx_test_tmpdir();
	char *state = irx_xasprintf("%s/cli-state", dir);
	const char *ev = irx_test_src("tests/vectors/events/guardduty/constructed-eventbridge-"
				      "guardduty_iam.json");
	const char *argv[] = {irx_test_build("irx"), "route", "--event", ev,
			      "--state-dir",	     state,   NULL};
	const char *argv_stdin[] = {irx_test_build("irx"),
				    "route",
				    "--event",
				    "-",
				    "--state-dir",
				    state,
				    "--output",
				    "json",
				    NULL};
	static const char *const env[] = {"IRX_CONFIG=", "XDG_CONFIG_HOME=/nonexistent", NULL};
	char *out = NULL, *err = NULL, *text = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL(irx_test_run(argv, env, NULL, &out, &err), 0);
	IRX_ASSERT_CONTAINS(out,
			    "access-key arn:aws:iam::123456789012:user/GeneratedFindingUserName "
			    "key GeneratedFindingAccessKeyId\n"
			    "  runbook iam-credential-exposure (rule 'exposed-credentials'), "
			    "dry-run\n"
			    "  dry-run: sample finding (contain it for real with "
			    "--force-sample)\n");
	IRX_ASSERT_CONTAINS(out, "1 of 1 target would run\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_read_file(ev, 1 << 20, &text, &len), 0);
	CU_ASSERT_EQUAL(irx_test_run(argv_stdin, env, text, &out, &err), 0);
	IRX_ASSERT_CONTAINS(out, "\"runbook\":\"iam-credential-exposure\"");
	IRX_ASSERT_CONTAINS(out, "\"dryRun\":true");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_test_run(argv_stdin, env, "{\"nope\":1}", &out, &err), 2);
	CU_ASSERT_STRING_EQUAL(err,
			       "irx route: stdin: unrecognised event: expected a GuardDuty or "
			       "Security Hub finding (EventBridge event or bare finding), an SNS "
			       "message or an ARN\n");
	free(out);
	free(err);
	/* nothing was claimed by irx route */
	{
		char *dd = irx_xasprintf("%s/dedupe", state);
		struct stat st;

		CU_ASSERT_NOT_EQUAL(stat(dd, &st), 0);
		free(dd);
	}
	free(text);
	free(state);
}

static CU_TestInfo tests[] = {
    {"default rules for the shipped runbooks", test_defaults},
    {"seed defect: rules match detail.type, not detail-type", test_seed_detail_type_defect},
    {"severity thresholds", test_severity},
    {"sample findings and dry-run", test_sample_and_dry_run},
    {"duplicates within the window", test_duplicates},
    {"the dedupe store", test_dedupe_store},
    {"roles from the configuration", test_roles_from_config},
    {"unsupported resources and plan JSON", test_several_targets_and_json},
    {"irx route", test_route_cli},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("routing", tests, NULL, NULL)
