/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration: the shipped example, every error with its exact position, cron and
 * duration grammar, role templates and chains, ExternalId checks, redaction, the search
 * order, and `irx config check|show` end to end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "diag.h"
#include "events.h"
#include "test.h"
#include "util.h"

/* All diagnostics as "file:line:col: message\n" lines. */
static char *diag_text(const struct irx_diags *d)
{
	char *out = irx_xstrdup("");

	for (size_t i = 0; i < d->count; i++) {
		char *n = irx_xasprintf("%s%s:%u:%u: %s\n", out, d->items[i].file, d->items[i].line,
					d->items[i].col, d->items[i].message);

		free(out);
		out = n;
	}
	return out;
}

/* Loads text; returns the diagnostics (caller frees), the config freed. */
static char *errors_of(const char *text)
{
	struct irx_diags d = {0};
	struct irx_config *c = irx_config_load_buffer("t.yaml", text, strlen(text), &d);
	char *s = diag_text(&d);

	CU_ASSERT_PTR_NULL(c);
	irx_config_free(c);
	irx_diags_release(&d);
	return s;
}

static void check_errors(const char *text, const char *want)
{
	char *got = errors_of(text);

	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  want:\n%s  got:\n%s", want, got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static struct irx_config *load_ok(const char *text)
{
	struct irx_diags d = {0};
	struct irx_config *c = irx_config_load_buffer("t.yaml", text, strlen(text), &d);

	if (!c)
		irx_diags_print(&d, stderr);
	irx_diags_release(&d);
	return c;
}

static void test_example(void)
{
	struct irx_diags d = {0};
	struct irx_config *c = irx_config_load(irx_test_src("irx.example.yaml"), &d);
	char *chain[IRX_CONFIG_MAX_ROLE_CHAIN] = {0};
	size_t n = 0;

	irx_diags_print(&d, stderr);
	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->default_region, "us-east-1");
	CU_ASSERT_STRING_EQUAL(c->case_id_prefix, "IR-");
	CU_ASSERT_STRING_EQUAL(c->state_dir, "/var/lib/irx");
	CU_ASSERT_EQUAL(c->account_count, 3);
	CU_ASSERT_STRING_EQUAL(c->accounts[0].id, "111111111111");
	CU_ASSERT_STRING_EQUAL(c->accounts[0].name, "production");
	CU_ASSERT_EQUAL(c->accounts[0].region_count, 2);
	CU_ASSERT_STRING_EQUAL(c->accounts[0].regions[1], "eu-west-1");
	CU_ASSERT_FALSE(c->accounts[0].all_regions);
	CU_ASSERT_TRUE(c->accounts[1].all_regions);
	CU_ASSERT_EQUAL(c->accounts[0].session_tag_count, 2);
	CU_ASSERT_STRING_EQUAL(c->accounts[0].session_tags[0].key, "Purpose");
	CU_ASSERT_STRING_EQUAL(c->accounts[0].session_tags[0].value, "incident-response");
	CU_ASSERT_STRING_EQUAL(c->exception_tag, "irx:exception");
	CU_ASSERT_STRING_EQUAL(c->exception_registry, "ssm:/security/irx/exceptions");
	CU_ASSERT_STRING_EQUAL(c->sns_external_id, "entity-lockdown-2a9d");
	CU_ASSERT_EQUAL(c->dedupe_window_s, 3600);
	CU_ASSERT_EQUAL(c->channel_count, 3);
	CU_ASSERT_EQUAL(c->channels[1].type, IRX_CHANNEL_SLACK);
	CU_ASSERT_STRING_EQUAL(c->channels[1].webhook_env, "IRX_SLACK_WEBHOOK");
	CU_ASSERT_STRING_EQUAL(c->channels[2].secret_ssm, "/security/irx/soar-hmac");
	/* 2 of the file, then the 8 defaults */
	CU_ASSERT_EQUAL(c->rule_count, 10);
	CU_ASSERT_STRING_EQUAL(c->rules[0].name, "crypto-in-production");
	CU_ASSERT_FALSE(c->rules[0].builtin);
	CU_ASSERT_STRING_EQUAL(c->rules[1].name, "staging-iam-rehearsal");
	CU_ASSERT_TRUE(c->rules[1].dry_run);
	CU_ASSERT_DOUBLE_EQUAL(c->rules[1].min_severity, 1.0, 1e-9);
	CU_ASSERT_STRING_EQUAL(c->rules[2].name, "explicit-entity");
	CU_ASSERT_TRUE(c->rules[2].builtin);
	CU_ASSERT_EQUAL(c->schedule_count, 2);
	CU_ASSERT_FALSE(c->schedules[1].enabled);

	n = irx_config_role_chain(c, "111111111111", "aws", chain, IRX_CONFIG_MAX_ROLE_CHAIN);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(chain[0], "arn:aws:iam::111111111111:role/irx-responder");
	free(chain[0]);
	n = irx_config_role_chain(c, "222222222222", "aws-us-gov", chain,
				  IRX_CONFIG_MAX_ROLE_CHAIN);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(chain[0],
			       "arn:aws-us-gov:iam::222222222222:role/security/irx-responder");
	free(chain[0]);
	n = irx_config_role_chain(c, "333333333333", "aws", chain, IRX_CONFIG_MAX_ROLE_CHAIN);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(chain[0], "arn:aws:iam::444444444444:role/irx-hub");
	CU_ASSERT_STRING_EQUAL(chain[1], "arn:aws:iam::333333333333:role/irx-responder");
	free(chain[0]);
	free(chain[1]);
	/* an account not listed gets the defaults' role */
	n = irx_config_role_chain(c, "555555555555", "aws", chain, IRX_CONFIG_MAX_ROLE_CHAIN);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(chain[0], "arn:aws:iam::555555555555:role/irx-responder");
	free(chain[0]);
	CU_ASSERT_EQUAL(irx_config_role_chain(c, "12345", "aws", chain, 5), 0);
	CU_ASSERT_STRING_EQUAL(irx_config_external_id(c, "222222222222"), "irx-staging-5d21");
	CU_ASSERT_STRING_EQUAL(irx_config_external_id(c, "111111111111"), "irx-7f3c2a91");
	irx_config_free(c);
	irx_diags_release(&d);
}

static void test_structure_errors(void)
{
	check_errors(
	    "version: 1\n"
	    "defualts: {}\n"
	    "accounts:\n"
	    "  - id: 12345\n"
	    "    Name: x\n"
	    "  - name: no-id\n"
	    "    regions: [us-east-1, all, mars]\n"
	    "events:\n"
	    "  dedupe_window: soon\n"
	    "  default_rules: maybe\n",
	    "t.yaml:2:1: unknown key 'defualts' in the configuration\n"
	    "t.yaml:4:9: invalid account id '12345': an AWS account id is 12 digits "
	    "(quote it in YAML to keep leading zeros)\n"
	    "t.yaml:5:5: unknown key 'Name' in account '12345' (did you mean 'name'?)\n"
	    "t.yaml:6:5: account is missing 'id'\n"
	    "t.yaml:7:26: 'all' must be the whole value of 'regions', not a list item\n"
	    "t.yaml:7:31: invalid region 'mars' (expected a region code such as "
	    "'us-east-1')\n"
	    "t.yaml:9:18: 'dedupe_window' must be a duration up to 30d such as '1h', '30m' "
	    "or '90s' (0 turns it off), got 'soon'\n"
	    "t.yaml:10:18: 'default_rules' must be a boolean, got string\n");
	check_errors("defaults: {region: us-east-1}\n",
		     "t.yaml:1:1: the configuration is missing 'version: 1'\n");
	check_errors(
	    "version: 2\n",
	    "t.yaml:1:10: unsupported configuration version '2' (this irx reads version 1)\n");
	check_errors("", "t.yaml:1:1: the configuration is empty\n");
	check_errors("- a\n", "t.yaml:1:1: 'configuration' must be a map, got list\n");
	check_errors("version: 1\naccounts: {id: 1}\n",
		     "t.yaml:2:11: 'accounts' must be a list, got map\n");
	check_errors("version: 1\n"
		     "accounts:\n"
		     "  - id: '111111111111'\n"
		     "  - id: '111111111111'\n",
		     "t.yaml:4:9: account '111111111111' is listed twice (first at line 3)\n");
	/* a YAML error comes from the loader, with its position */
	{
		char *got = errors_of("version: 1\naccounts: [\n");

		IRX_ASSERT_CONTAINS(got, "t.yaml:3:1: ");
		free(got);
	}
}

static void test_role_errors(void)
{
	check_errors("version: 1\n"
		     "defaults:\n"
		     "  role: 'arn:aws:iam::{{acount}}:role/x'\n"
		     "  external_id: 'a b'\n"
		     "accounts:\n"
		     "  - id: '111111111111'\n"
		     "    role: [r1, r2, r3, r4, r5, r6]\n"
		     "  - id: '222222222222'\n"
		     "    role: 'arn:aws:s3:::bucket'\n"
		     "  - id: '333333333333'\n"
		     "    role: ['irx/', 'ok']\n"
		     "    external_id: x\n"
		     "    session_tags: {Team: [a]}\n",
		     "t.yaml:3:9: invalid role: unknown placeholder '{{acount}}' (use {{account}} "
		     "or {{partition}})\n"
		     "t.yaml:4:16: 'external_id' may contain only letters, digits and _+=,.@:/- "
		     "(STS's rule), got ' '\n"
		     "t.yaml:7:11: a role chain has at most 5 roles, got 6\n"
		     "t.yaml:9:11: invalid role: 'arn:aws:s3:::bucket' is not an IAM role ARN "
		     "(arn:aws:iam::ACCOUNT:role/NAME)\n"
		     "t.yaml:11:12: invalid role: 'irx/' is neither a role ARN nor a role name "
		     "(letters, digits, _+=,.@- and '/' between path segments, name at most 64)\n"
		     "t.yaml:12:18: 'external_id' must be 2 to 1224 characters, got 1\n"
		     "t.yaml:13:26: session tag 'Team' must be a string, got list\n");
}

static void test_channel_errors(void)
{
	check_errors(
	    "version: 1\n"
	    "notifications:\n"
	    "  - name: s\n"
	    "    type: slack\n"
	    "    url: https://hooks.slack.com/services/T0/B0/XXXX\n"
	    "  - name: t\n"
	    "    type: sns\n"
	    "    topic_arn: arn:aws:sqs:us-east-1:111111111111:q\n"
	    "  - name: w\n"
	    "    type: webhook\n"
	    "    url: https://hooks.slack.com/services/T0/B0/XXXX\n"
	    "  - name: w\n"
	    "    type: webhook\n"
	    "    url_env: HOOK\n"
	    "    url_ssm: /x\n"
	    "  - name: p\n"
	    "    type: pager\n"
	    "  - name: k\n"
	    "    type: slack\n"
	    "    webhook_env: 'not a name'\n",
	    "t.yaml:5:10: a Slack webhook URL is a secret and is never written in the "
	    "configuration: name it with 'webhook_env' or 'webhook_ssm'\n"
	    "t.yaml:8:16: 'topic_arn' must be an SNS topic ARN "
	    "(arn:aws:sns:REGION:ACCOUNT:NAME), got 'arn:aws:sqs:us-east-1:111111111111:q'\n"
	    "t.yaml:11:10: a Slack webhook URL is a secret: use a 'slack' channel with "
	    "'webhook_env' or 'webhook_ssm'\n"
	    "t.yaml:12:11: notification channel 'w' is defined twice\n"
	    "t.yaml:15:14: give one of 'url_env' and 'url_ssm' for the URL, not both\n"
	    "t.yaml:12:5: notification channel 'w' needs 'url', 'url_env' or 'url_ssm'\n"
	    "t.yaml:17:11: unknown notification type 'pager' (sns, slack or webhook)\n"
	    "t.yaml:20:18: 'webhook_env' must be an environment variable name, got "
	    "'not a name'\n");
}

static void test_rule_and_schedule_errors(void)
{
	check_errors(
	    "version: 1\n"
	    "routing:\n"
	    "  - name: a\n"
	    "    match:\n"
	    "      finding_type: []\n"
	    "      min_severity: 11\n"
	    "      resource_type: [ec2-instance, s3-bucket]\n"
	    "      source: [guardduty, cloudtrail]\n"
	    "      account: ['1']\n"
	    "    runbook: ../etc/passwd\n"
	    "  - match: {min_severity: severe}\n"
	    "  - name: a\n"
	    "    runbook: x\n"
	    "    dry_run: yes\n"
	    "schedules:\n"
	    "  - name: d\n"
	    "    cron: '61 * * * *'\n"
	    "    scenario: s.yaml\n"
	    "  - name: d\n"
	    "    cron: '0 3 * *'\n",
	    "t.yaml:10:14: 'runbook' must be a runbook name (letters, digits, _.-), got "
	    "'../etc/passwd'\n"
	    "t.yaml:5:21: 'finding_type' must not be empty\n"
	    "t.yaml:6:21: 'min_severity' must be a number from 0 to 10 or one of low, "
	    "medium, high, critical\n"
	    "t.yaml:7:37: unknown resource type 's3-bucket' (ec2-instance, iam-user, "
	    "iam-role, access-key, lambda-function)\n"
	    "t.yaml:8:27: unknown source 'cloudtrail' (guardduty, securityhub, sns, arn)\n"
	    "t.yaml:9:17: invalid account id '1': an AWS account id is 12 digits (quote it "
	    "in YAML to keep leading zeros)\n"
	    "t.yaml:11:5: routing rule is missing 'name'\n"
	    "t.yaml:11:5: rule '?' is missing 'runbook'\n"
	    "t.yaml:11:27: 'min_severity' must be a number from 0 to 10 or one of low, "
	    "medium, high, critical\n"
	    "t.yaml:14:14: 'dry_run' must be a boolean, got string\n"
	    "t.yaml:17:11: invalid cron expression '61 * * * *': minute '61' is out of "
	    "range 0-59\n"
	    "t.yaml:19:11: schedule 'd' is defined twice\n"
	    "t.yaml:20:11: invalid cron expression '0 3 * *': expected 5 fields (minute "
	    "hour day-of-month month day-of-week), got 4\n"
	    "t.yaml:19:5: schedule 'd' is missing 'scenario'\n"
	    "t.yaml:12:11: routing rule 'a' is defined twice\n");
}

static void test_cron(void)
{
	static const char *const good[] = {
	    "* * * * *",       "0 3 * * MON", "*/15 0-6,22,23 * * 1-5",
	    "0 0 1 jan,jul *", "30 2 * * 7",  "5-55/10 * 31 12 sun",
	    "@daily",	       "@hourly",     NULL};
	static const struct {
		const char *expr, *why;
	} bad[] = {
	    {"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
	    {"* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), "
			    "got more than 5"},
	    {"* 24 * * *", "hour '24' is out of range 0-23"},
	    {"* * 0 * *", "day-of-month '0' is out of range 1-31"},
	    {"* * * 13 *", "month '13' is out of range 1-12"},
	    {"* * * * 8", "day-of-week '8' is out of range 0-7"},
	    {"* * * foo *", "month 'foo' has an unknown name"},
	    {"* * * * mond", "day-of-week 'mond' has an unknown name"},
	    {"MON * * * *", "minute 'MON' is not a number"},
	    {"5-1 * * * *", "minute range '5-1' runs backwards"},
	    {"*/0 * * * *", "minute step in '*/0' must be 1-59"},
	    {"*/x * * * *", "minute step in '*/x' must be 1-59"},
	    {"1,,2 * * * *", "minute '1,,2' has an empty list item"},
	    {"1- * * * *", "minute '1-' is not a number"},
	    {"1x * * * *", "minute '1x' is not a value, range, list or step"},
	    {"99999999999 * * * *", "minute '99999999999' is out of range 0-59"},
	    {"@often", "unknown macro '@often' (use @hourly, @daily, @weekly, @monthly or "
		       "@yearly)"},
	};
	char why[256];

	for (size_t i = 0; good[i]; i++) {
		why[0] = '\0';
		CU_ASSERT_EQUAL(irx_cron_check(good[i], why, sizeof(why)), 0);
		if (why[0])
			fprintf(stderr, "\n  %s: %s\n", good[i], why);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CU_ASSERT_EQUAL(irx_cron_check(bad[i].expr, why, sizeof(why)), -1);
		if (strcmp(why, bad[i].why) != 0)
			fprintf(stderr, "\n  %s: want '%s' got '%s'\n", bad[i].expr, bad[i].why,
				why);
		CU_ASSERT_STRING_EQUAL(why, bad[i].why);
	}
}

static void test_duration(void)
{
	long long s = -1;

	CU_ASSERT_EQUAL(irx_duration_parse("90", &s), 0);
	CU_ASSERT_EQUAL(s, 90);
	CU_ASSERT_EQUAL(irx_duration_parse("1h", &s), 0);
	CU_ASSERT_EQUAL(s, 3600);
	CU_ASSERT_EQUAL(irx_duration_parse("1h30m", &s), 0);
	CU_ASSERT_EQUAL(s, 5400);
	CU_ASSERT_EQUAL(irx_duration_parse("2d", &s), 0);
	CU_ASSERT_EQUAL(s, 172800);
	CU_ASSERT_EQUAL(irx_duration_parse("0", &s), 0);
	CU_ASSERT_EQUAL(s, 0);
	CU_ASSERT_EQUAL(irx_duration_parse("", &s), -1);
	CU_ASSERT_EQUAL(irx_duration_parse("1h30", &s), -1);
	CU_ASSERT_EQUAL(irx_duration_parse("h", &s), -1);
	CU_ASSERT_EQUAL(irx_duration_parse("-1", &s), -1);
	CU_ASSERT_EQUAL(irx_duration_parse("1w", &s), -1);
	CU_ASSERT_EQUAL(irx_duration_parse("999999999999999999", &s), -1);
}

static void test_external_ids(void)
{
	struct irx_config *c = load_ok("version: 1\n"
				       "accounts:\n"
				       "  - id: '111111111111'\n"
				       "    external_id: acct-one-id\n"
				       "  - id: '222222222222'\n");
	struct irx_config *e = load_ok("version: 1\n"
				       "events: {external_id: sns-shared-id}\n"
				       "accounts:\n"
				       "  - id: '111111111111'\n"
				       "    external_id: acct-one-id\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	/* without events.external_id: the entity's account's */
	CU_ASSERT_TRUE(irx_config_sns_external_id_ok(c, "111111111111", "acct-one-id"));
	CU_ASSERT_FALSE(irx_config_sns_external_id_ok(c, "111111111111", "acct-one-iD"));
	CU_ASSERT_FALSE(irx_config_sns_external_id_ok(c, "111111111111", "acct-one-id "));
	CU_ASSERT_FALSE(irx_config_sns_external_id_ok(c, "111111111111", "acct-one-i"));
	CU_ASSERT_FALSE(irx_config_sns_external_id_ok(c, "111111111111", ""));
	CU_ASSERT_FALSE(irx_config_sns_external_id_ok(c, "222222222222", "acct-one-id"));
	CU_ASSERT_FALSE(irx_config_sns_external_id_ok(c, "111111111111", NULL));
	/* with it: only that one, whatever the account */
	CU_ASSERT_TRUE(irx_config_sns_external_id_ok(e, "111111111111", "sns-shared-id"));
	CU_ASSERT_TRUE(irx_config_sns_external_id_ok(e, "999999999999", "sns-shared-id"));
	CU_ASSERT_FALSE(irx_config_sns_external_id_ok(e, "111111111111", "acct-one-id"));
	CU_ASSERT_FALSE(irx_config_sns_external_id_ok(NULL, "111111111111", "acct-one-id"));
	irx_config_free(c);
	irx_config_free(e);
}

static void test_redaction(void)
{
	struct irx_diags d = {0};
	struct irx_config *c = irx_config_load(irx_test_src("irx.example.yaml"), &d);
	struct json_object *j = NULL;
	const char *s = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	j = irx_config_json(c, true);
	s = json_object_to_json_string_ext(j,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	CU_ASSERT_PTR_NULL(strstr(s, "irx-7f3c2a91"));
	CU_ASSERT_PTR_NULL(strstr(s, "irx-staging-5d21"));
	CU_ASSERT_PTR_NULL(strstr(s, "entity-lockdown-2a9d"));
	CU_ASSERT_PTR_NULL(strstr(s, "hooks/irx"));
	IRX_ASSERT_CONTAINS(s, "\"url\":\"https://soar.example.com/(redacted)\"");
	IRX_ASSERT_CONTAINS(s, "\"external_id\":\"(redacted)\"");
	IRX_ASSERT_CONTAINS(s, "\"webhook_env\":\"IRX_SLACK_WEBHOOK\"");
	IRX_ASSERT_CONTAINS(s, "\"role_chain\":[\"arn:aws:iam::444444444444:role/irx-hub\","
			       "\"arn:aws:iam::333333333333:role/irx-responder\"]");
	IRX_ASSERT_CONTAINS(s, "\"dedupe_window_seconds\":3600");
	json_object_put(j);
	j = irx_config_json(c, false);
	s = json_object_to_json_string_ext(j,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	IRX_ASSERT_CONTAINS(s, "irx-staging-5d21");
	json_object_put(j);
	irx_config_free(c);
	irx_diags_release(&d);
}

static void test_builtin_and_find(void)
{
	struct irx_config *c = irx_config_builtin();
	const char *dir = irx_test_tmpdir();
	char *xdg = irx_xasprintf("%s/irx", dir), *file = irx_xasprintf("%s/irx/config.yaml", dir);
	char *p = NULL, cwd[4096];
	char *old_cfg = getenv("IRX_CONFIG") ? irx_xstrdup(getenv("IRX_CONFIG")) : NULL;
	char *old_xdg = getenv("XDG_CONFIG_HOME") ? irx_xstrdup(getenv("XDG_CONFIG_HOME")) : NULL;

	CU_ASSERT_EQUAL(c->account_count, 0);
	CU_ASSERT_EQUAL(c->rule_count, 8);
	CU_ASSERT_STRING_EQUAL(c->rules[0].runbook, "entity-lockdown");
	CU_ASSERT_EQUAL(c->dedupe_window_s, 3600);
	irx_config_free(c);

	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
	unsetenv("IRX_CONFIG");
	setenv("XDG_CONFIG_HOME", dir, 1);
	p = irx_config_find(NULL);
	/* /etc/irx/config.yaml may exist on a host; nothing else does here */
	CU_ASSERT_TRUE(p == NULL || strcmp(p, "/etc/irx/config.yaml") == 0);
	free(p);
	CU_ASSERT_EQUAL(mkdir(xdg, 0700), 0);
	CU_ASSERT_EQUAL(irx_test_write(file, "version: 1\n"), 0);
	p = irx_config_find(NULL);
	CU_ASSERT_STRING_EQUAL(p, file);
	free(p);
	CU_ASSERT_EQUAL(irx_test_write("irx.yaml", "version: 1\n"), 0);
	p = irx_config_find(NULL);
	CU_ASSERT_STRING_EQUAL(p, "irx.yaml");
	free(p);
	setenv("IRX_CONFIG", "/nonexistent/irx.yaml", 1);
	p = irx_config_find(NULL);
	CU_ASSERT_STRING_EQUAL(p, "/nonexistent/irx.yaml");
	free(p);
	p = irx_config_find("given.yaml");
	CU_ASSERT_STRING_EQUAL(p, "given.yaml");
	free(p);
	{
		struct irx_diags d = {0};

		CU_ASSERT_PTR_NULL(irx_config_open(NULL, &d));
		CU_ASSERT_EQUAL(d.count, 1);
		CU_ASSERT_STRING_EQUAL(d.items[0].message,
				       "cannot read the configuration: No such file or directory");
		irx_diags_release(&d);
	}
	unlink("irx.yaml");
	CU_ASSERT_EQUAL(chdir(cwd), 0);
	if (old_cfg)
		setenv("IRX_CONFIG", old_cfg, 1);
	else
		unsetenv("IRX_CONFIG");
	if (old_xdg)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	free(old_cfg);
	free(old_xdg);
	free(xdg);
	free(file);
}

static int run_irx(const char *const *args, char **out, char **err)
{
	const char *argv[16] = {irx_test_build("irx")};
	static const char *const env[] = {"IRX_CONFIG=", "XDG_CONFIG_HOME=/nonexistent", NULL};

	for (size_t i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	return irx_test_run(argv, env, NULL, out, err);
}

static void test_cli(void)
{
	const char *dir = irx_test_tmpdir();
	char *bad = irx_xasprintf("%s/bad.yaml", dir);
	char *out = NULL, *err = NULL;
	const char *ex = irx_test_src("irx.example.yaml");
	char *want = irx_xasprintf("%s: valid (3 accounts, 10 routing rules, 2 schedules)\n", ex);

	CU_ASSERT_EQUAL((run_irx((const char *[]){"config", "check", ex, NULL}, &out, &err)), 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_test_write(bad, "version: 1\nschedules:\n  - {name: x, cron: '* *', "
					    "scenario: s}\n"),
			0);
	CU_ASSERT_EQUAL(
	    (run_irx((const char *[]){"config", "check", "--config", bad, NULL}, &out, &err)), 2);
	free(want);
	want = irx_xasprintf("%s:3:21: invalid cron expression '* *': expected 5 fields (minute "
			     "hour day-of-month month day-of-week), got 2\nirx config: '%s' is not "
			     "valid (1 problem)\n",
			     bad, bad);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(
	    (run_irx((const char *[]){"config", "show", "--config", ex, "--output", "json", NULL},
		     &out, &err)),
	    0);
	IRX_ASSERT_CONTAINS(out, "\"external_id\":\"(redacted)\"");
	CU_ASSERT_PTR_NULL(strstr(out, "irx-7f3c2a91"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(
	    (run_irx((const char *[]){"config", "show", "--config", ex, NULL}, &out, &err)), 0);
	IRX_ASSERT_CONTAINS(out, "slack-ir: slack, webhook URL from environment IRX_SLACK_WEBHOOK");
	IRX_ASSERT_CONTAINS(out, "external id: (redacted)");
	CU_ASSERT_PTR_NULL(strstr(out, "irx-7f3c2a91"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL((run_irx((const char *[]){"config", "check", NULL}, &out, &err)), 3);
	IRX_ASSERT_CONTAINS(err, "irx config: no configuration file found");
	free(out);
	free(err);
	CU_ASSERT_EQUAL((run_irx((const char *[]){"config", "frob", NULL}, &out, &err)), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx config: unknown subcommand 'frob' (check or show)\n");
	free(out);
	free(err);
	free(want);
	free(bad);
}

static CU_TestInfo tests[] = {
    {"the example configuration", test_example},
    {"structure errors at exact positions", test_structure_errors},
    {"role templates, chains, ExternalIds, session tags", test_role_errors},
    {"notification channels: secrets never in the file", test_channel_errors},
    {"routing rules and schedules", test_rule_and_schedule_errors},
    {"cron expressions", test_cron},
    {"durations", test_duration},
    {"SNS ExternalId checks", test_external_ids},
    {"config show redacts secrets", test_redaction},
    {"built-in configuration and search order", test_builtin_and_find},
    {"irx config check and show", test_cli},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("config", tests, NULL, NULL)
