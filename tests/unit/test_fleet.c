/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fleets: `irx run RUNBOOK --targets FILE` (the binary and the real isolate plugin) against the
 * simulator: 20 instances in two accounts (222222222222 through the configuration's role and
 * ExternalId) contained under 30% throttling and 5% HTTP 500s, asserting the simulator's end
 * state (every ENI in the isolation group), its request log (every ENI moved exactly twice:
 * untrack group, then isolation; each group created once per VPC), the summary and the exit
 * status; a tag query as the targets file; a failing target; targets files' errors. The file
 * parser is also tested in-process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "diag.h"
#include "fleet.h"
#include "irx_cli_harness.h"
#include "json_access.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

#define A1 "111111111111"
#define A2 "222222222222"
#define REGION "us-east-1"
#define EXTERNAL_ID "fleet-5d21"
#define PER_ACCOUNT 10

#define IRX_ASSERT_PREFIX(s, prefix) CU_ASSERT_EQUAL(strncmp((s), (prefix), strlen(prefix)), 0)

static struct irx_sim sim;
static struct irx_cli cli;
static char instances[2][PER_ACCOUNT][32];

static const char isolate_rb[] =
    "schemaVersion: '0.3'\n"
    "description: isolate, for fleets\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "mainSteps:\n"
    "  - name: isolate\n"
    "    action: isolate:ec2Instance\n"
    /* under 30% throttling a call can run out of the client's attempts now and then: the
     * step's retry (the action is idempotent) is what a responder's runbook would do */
    "    maxAttempts: 3\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', UntrackWaitSeconds: 0, AutoScaling: none,\n"
    "             RevokeCredentials: none}\n"
    "    outputs: [{Name: Summary, Selector: $.Summary, Type: String}]\n"
    "outputs: [isolate.Summary]\n";

static const char config_yaml[] = "version: 1\n"
				  "defaults:\n"
				  "  region: us-east-1\n"
				  "accounts:\n"
				  "  - id: \"" A1 "\"\n"
				  "    name: first\n"
				  "    regions: [us-east-1]\n"
				  "  - id: \"" A2 "\"\n"
				  "    name: second\n"
				  "    regions: [us-east-1]\n"
				  "    role: irx-responder\n"
				  "    external_id: " EXTERNAL_ID "\n";

/* Ten tagged instances per account (Fleet=web, the last two also Tier=db); the responder role
 * in 222222222222 trusts 111111111111 with the ExternalId. */
static void seed(void)
{
	const char *accts[2] = {A1, A2};

	json_object_put(irx_sim_control_ok(&sim, "POST", "/__awssim/reset", "{}"));
	irx_sim_responder_role(&sim, A2, A1, EXTERNAL_ID);
	for (int a = 0; a < 2; a++) {
		json_object_put(irx_sim_run_instances(
		    &sim, accts[a], REGION, PER_ACCOUNT,
		    ",\"TagSpecifications\":[{\"ResourceType\":\"instance\",\"Tags\":"
		    "[{\"Key\":\"Fleet\",\"Value\":\"web\"}]}]",
		    instances[a]));
		json_object_put(
		    irx_sim_call(&sim, accts[a], REGION, "ec2", "CreateTags",
				 "{\"Resources\":[\"%s\",\"%s\"],\"Tags\":[{\"Key\":\"Tier\","
				 "\"Value\":\"db\"}]}",
				 instances[a][PER_ACCOUNT - 1], instances[a][PER_ACCOUNT - 2]));
	}
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
}

/* 30% throttling (three rules throttling every 10th call, offset) and 5% HTTP 500s (one rule
 * per 20 calls, each failing one call), in every account and service. */
static void inject_faults(void)
{
	char body[16384];
	size_t n = 0;

	n += (size_t)snprintf(body + n, sizeof(body) - n, "[");
	for (int i = 0; i < 3; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      "%s{\"kind\":\"throttle\",\"every\":10,\"after\":%d}",
				      i ? "," : "", i * 3);
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(
		    body + n, sizeof(body) - n,
		    ",{\"kind\":\"error\",\"status\":500,\"after\":%d,\"count\":1}", i * 20 + 7);
	snprintf(body + n, sizeof(body) - n, "]");
	json_object_put(irx_sim_control_ok(&sim, "POST", "/__awssim/faults", body));
}

/* The isolation group of the account's default VPC (static), "" when missing. */
static const char *isolation_group(struct json_object *ec2)
{
	static char id[32];

	id[0] = '\0';
	json_object_object_foreach(jk(ec2, "security_groups"), gid, g)
	{
		if (strcmp(js(jk(g, "GroupName")), "irx-isolation") == 0)
			snprintf(id, sizeof(id), "%s", gid);
	}
	return id;
}

/* Every ENI of the account's first `count` seeded instances is in the isolation group only. */
static void assert_contained(int a, int count)
{
	char p[256];
	const char *acct = a ? A2 : A1;
	struct json_object *all = NULL, *ec2 = NULL;
	const char *iso = NULL;
	int enis = 0;

	snprintf(p, sizeof(p), "/__awssim/state?account=%s&service=ec2", acct);
	all = irx_sim_control_ok(&sim, "GET", p, NULL);
	snprintf(p, sizeof(p), "%s/" REGION "/ec2", acct);
	ec2 = jk(jk(all, "state"), p);
	iso = isolation_group(ec2);
	CU_ASSERT_EQUAL(strncmp(iso, "sg-", 3), 0);
	json_object_object_foreach(jk(ec2, "enis"), id, eni)
	{
		const char *owner = js(jk(jk(eni, "Attachment"), "InstanceId"));
		struct json_object *groups = jk(eni, "Groups");
		bool seeded = false;

		for (int i = 0; i < count; i++)
			seeded |= strcmp(owner, instances[a][i]) == 0;
		if (!seeded)
			continue;
		enis++;
		if (json_object_array_length(groups) != 1 ||
		    strcmp(js(jk(json_object_array_get_idx(groups, 0), "GroupId")), iso) != 0)
			fprintf(stderr, "\n  %s (%s) is not isolated: %s\n", id, owner,
				json_object_to_json_string(groups));
		CU_ASSERT_EQUAL(json_object_array_length(groups), 1);
		CU_ASSERT_STRING_EQUAL(js(jk(json_object_array_get_idx(groups, 0), "GroupId")),
				       iso);
	}
	CU_ASSERT_EQUAL(enis, count);
	json_object_put(all);
}

/* Successful requests of op in acct since the log was cleared. */
static int succeeded(const char *acct, const char *op, int *faulted)
{
	char p[256];
	struct json_object *log = NULL, *reqs = NULL;
	int n = 0;

	snprintf(p, sizeof(p), "/__awssim/requests?account=%s&operation=%s", acct, op);
	log = irx_sim_control_ok(&sim, "GET", p, NULL);
	reqs = jk(log, "requests");
	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++) {
		struct json_object *e = json_object_array_get_idx(reqs, i);

		if (json_object_get_int(jk(e, "status")) == 200)
			n++;
		else if (faulted)
			(*faulted)++;
	}
	json_object_put(log);
	return n;
}

static int suite_init(void)
{
	irx_cli_init(&cli, &sim);
	if (irx_test_write(irx_cli_path(&cli, "isolate.yaml"), isolate_rb) < 0 ||
	    irx_test_write(irx_cli_path(&cli, "irx.yaml"), config_yaml) < 0)
		return -1;
	return irx_sim_start(&sim);
}

static int suite_clean(void)
{
	irx_sim_stop(&sim);
	return 0;
}

/* --- the targets file parser ----------------------------------------------------------------- */

static char *diag_text(const struct irx_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	irx_diags_print(d, f);
	fclose(f);
	return buf;
}

static void assert_spec_error(const char *text, const char *expected)
{
	struct irx_fleet_spec s = {0};
	struct irx_diags d = {0};
	char *got = NULL;

	CU_ASSERT_EQUAL(irx_fleet_spec_load_buffer("t.yaml", text, strlen(text), &s, &d), -1);
	got = diag_text(&d);
	if (strcmp(got, expected) != 0)
		fprintf(stderr, "\n  got: %s  expected: %s", got, expected);
	CU_ASSERT_STRING_EQUAL(got, expected);
	free(got);
	irx_diags_release(&d);
	irx_fleet_spec_release(&s);
}

static void test_spec_list(void)
{
	static const char text[] = "# compromised\n"
				   "\n"
				   "arn:aws:ec2:us-east-1:111111111111:instance/i-1\n"
				   "  arn:aws:iam::111111111111:user/mallory   # trailing comment\n"
				   "arn:aws:ec2:us-east-1:111111111111:instance/i-1\n";
	struct irx_fleet_spec s = {0};
	struct irx_diags d = {0};

	CU_ASSERT_EQUAL(irx_fleet_spec_load_buffer("t", text, strlen(text), &s, &d), 0);
	CU_ASSERT_FALSE(s.is_query);
	CU_ASSERT_EQUAL_FATAL(s.arn_count, 2); /* the duplicate runs once */
	CU_ASSERT_STRING_EQUAL(s.arns[0], "arn:aws:ec2:us-east-1:111111111111:instance/i-1");
	CU_ASSERT_STRING_EQUAL(s.arns[1], "arn:aws:iam::111111111111:user/mallory");
	irx_fleet_spec_release(&s);
	irx_diags_release(&d);

	assert_spec_error("arn:aws:ec2:us-east-1:111111111111:instance/i-1\n  arn:aws\n",
			  "t.yaml:2:3: 'arn:aws' is not an ARN: arn has no service field\n");
	assert_spec_error("arn:aws:ec2:us-east-1:111111111111:instance/i-1 i-2\n",
			  "t.yaml:1:1: one ARN per line: "
			  "'arn:aws:ec2:us-east-1:111111111111:instance/i-1 i-2'\n");
	assert_spec_error("# nothing\n\n", "t.yaml: no targets in 't.yaml'\n");
}

static void test_spec_query(void)
{
	static const char text[] = "tags: {Fleet: web, Tier: [db, cache], Owner: null}\n"
				   "resourceTypes: [ec2:instance]\n"
				   "accounts: ['111111111111']\n"
				   "regions: all\n";
	struct irx_fleet_spec s = {0};
	struct irx_diags d = {0};

	CU_ASSERT_EQUAL(irx_fleet_spec_load_buffer("q.yaml", text, strlen(text), &s, &d), 0);
	CU_ASSERT_TRUE(s.is_query);
	CU_ASSERT_EQUAL_FATAL(s.tag_count, 3);
	CU_ASSERT_STRING_EQUAL(s.tag_keys[1], "Tier");
	CU_ASSERT_STRING_EQUAL(s.tag_values[1][1], "cache");
	CU_ASSERT_PTR_NULL(s.tag_values[1][2]);
	CU_ASSERT_PTR_NULL(s.tag_values[2][0]); /* any value */
	CU_ASSERT_EQUAL(s.resource_type_count, 1);
	CU_ASSERT_EQUAL(s.account_count, 1);
	CU_ASSERT_TRUE(s.all_regions);
	irx_fleet_spec_release(&s);
	irx_diags_release(&d);

	/* JSON too */
	CU_ASSERT_EQUAL(
	    irx_fleet_spec_load_buffer(
		"q.json", "{\"tags\": {\"a\": \"b\"}, \"accounts\": \"all\"}", 39, &s, &d),
	    0);
	CU_ASSERT_TRUE(s.all_accounts);
	irx_fleet_spec_release(&s);
	irx_diags_release(&d);

	assert_spec_error("resourceTypes: [ec2:instance]\n",
			  "t.yaml:1:1: a targets query needs 'tags'\n");
	assert_spec_error("tags: {a: b}\nregion: [x]\n",
			  "t.yaml:2:1: unknown key 'region' in the targets query (expected tags, "
			  "resourceTypes, accounts, regions)\n");
	assert_spec_error("tags: {a: b}\naccounts: [12345]\n",
			  "t.yaml:2:12: account '12345' is not 12 digits (quote ids: "
			  "\"012345678901\")\n");
	assert_spec_error("tags: {a: b}\nregions: some\n",
			  "t.yaml:2:10: 'regions' must be 'all' or a list, not 'some'\n");
	assert_spec_error("tags: {a: {b: c}}\n",
			  "t.yaml:1:11: tag 'a': the value must be a string, a list of strings or "
			  "null (any value)\n");
	assert_spec_error("tags: []\n", "t.yaml:1:7: 'tags' must be a map of tag keys to values\n");
}

/* --- fleets against the simulator ------------------------------------------------------------ */

static void test_fleet_under_faults(void)
{
	FILE *f = NULL;
	char *out = NULL, *err = NULL, line[256];
	int status = 0, faulted = 0, enis = 0;
	struct json_object *sum = NULL;
	long long t0 = 0, ms = 0;

	seed();
	f = fopen(irx_cli_path(&cli, "targets.txt"), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("# the compromised web fleet\n\n", f);
	for (int a = 0; a < 2; a++)
		for (int i = 0; i < PER_ACCOUNT; i++)
			fprintf(f, "arn:aws:ec2:" REGION ":%s:instance/%s\n", a ? A2 : A1,
				instances[a][i]);
	fclose(f);
	inject_faults();
	t0 = irx_now_ms();
	status = irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
			     "--targets", irx_cli_path(&cli, "targets.txt"), "--config",
			     irx_cli_path(&cli, "irx.yaml"), "--output", "json", "--concurrency",
			     "20", "--per-account", "10", "--per-region", "20", NULL);
	ms = irx_now_ms() - t0;
	if (status != 0)
		fprintf(stderr, "\n  irx run --targets -> %d\n%s%s\n", status, out, err);
	CU_ASSERT_EQUAL(status, 0);
	sum = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Targets")), 20);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Contained")), 20);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Skipped")), 0);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Failed")), 0);
	CU_ASSERT_EQUAL(json_object_array_length(jk(sum, "Executions")), 20);
	for (size_t i = 0; i < json_object_array_length(jk(sum, "Executions")); i++) {
		struct json_object *e = json_object_array_get_idx(jk(sum, "Executions"), i);

		CU_ASSERT_STRING_EQUAL(js(jk(e, "Outcome")), "contained");
		CU_ASSERT_STRING_EQUAL(js(jk(e, "AutomationExecutionStatus")), "Success");
		CU_ASSERT_EQUAL(strlen(js(jk(e, "AutomationExecutionId"))), 36);
		CU_ASSERT_STRING_EQUAL(js(jk(e, "Account")), i < PER_ACCOUNT ? A1 : A2);
	}
	/* one progress line per execution, none per step */
	CU_ASSERT_PTR_NOT_NULL(strstr(err,
				      "irx: running 'isolate' on 20 targets (20 at once, 10 per "
				      "account, 20 per region)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "irx: [20/20] contained "));
	CU_ASSERT_PTR_NULL(strstr(err, "isolate:ec2Instance"));
	for (int a = 0; a < 2; a++) {
		const char *acct = a ? A2 : A1;

		assert_contained(a, PER_ACCOUNT);
		/* nothing done twice: each (single) ENI had its connection tracking set once,
		 * was moved once to the untrack group and once to the isolation group; each group
		 * was created once */
		enis = succeeded(acct, "ModifyNetworkInterfaceAttribute", &faulted);
		CU_ASSERT_EQUAL(enis, 3 * PER_ACCOUNT);
		CU_ASSERT_EQUAL(succeeded(acct, "CreateSecurityGroup", NULL), 2);
	}
	CU_ASSERT_TRUE(faulted > 0); /* the faults did hit the changes */
	snprintf(line, sizeof(line), "%.1f", 20000.0 / (double)(ms ? ms : 1));
	fprintf(stderr, "\n  fleet: 20 instances in %lld ms (%s entities/s) under faults\n", ms,
		line);
	json_object_put(sum);
	free(out);
	free(err);
}

static void test_fleet_tag_query_and_text_summary(void)
{
	char *out = NULL, *err = NULL;
	int status = 0;

	seed();
	/* the db tier of both accounts: two instances each */
	CU_ASSERT_EQUAL(irx_test_write(irx_cli_path(&cli, "query.yaml"),
				       "tags: {Fleet: web, Tier: db}\n"
				       "resourceTypes: [ec2:instance]\n"
				       "accounts: all\n"),
			0);
	status = irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
			     "--targets", irx_cli_path(&cli, "query.yaml"), "--config",
			     irx_cli_path(&cli, "irx.yaml"), "--concurrency", "2", NULL);
	if (status != 0)
		fprintf(stderr, "\n  irx run --targets query -> %d\n%s%s\n", status, out, err);
	CU_ASSERT_EQUAL(status, 0);
	IRX_ASSERT_PREFIX(out, "4 targets: 4 contained, 0 skipped by exception, 0 failed (");
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "on 4 targets (2 at once, 4 per account, 4 per region)"));
	for (int a = 0; a < 2; a++) {
		char arn[128];

		snprintf(arn, sizeof(arn), "contained arn:aws:ec2:" REGION ":%s:instance/%s",
			 a ? A2 : A1, instances[a][PER_ACCOUNT - 1]);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, arn));
		/* the other instances are untouched: 3 changes for each of the two ENIs */
		CU_ASSERT_EQUAL(succeeded(a ? A2 : A1, "ModifyNetworkInterfaceAttribute", NULL), 6);
	}
	free(out);
	free(err);
}

static void test_fleet_failing_target(void)
{
	char *out = NULL, *err = NULL, text[1024];
	const char *missing = "arn:aws:ec2:" REGION ":" A1 ":instance/i-0123456789abcdef0";
	int status = 0;

	seed();
	snprintf(text, sizeof(text),
		 "arn:aws:ec2:" REGION ":" A1 ":instance/%s\n%s\n"
		 "arn:aws:ec2:" REGION ":" A2 ":instance/%s\n",
		 instances[0][0], missing, instances[1][0]);
	CU_ASSERT_EQUAL(irx_test_write(irx_cli_path(&cli, "mixed.txt"), text), 0);
	status = irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
			     "--targets", irx_cli_path(&cli, "mixed.txt"), "--config",
			     irx_cli_path(&cli, "irx.yaml"), NULL);
	CU_ASSERT_EQUAL(status, 1);
	IRX_ASSERT_PREFIX(out, "3 targets: 2 contained, 0 skipped by exception, 1 failed (");
	snprintf(text, sizeof(text), "failed\t%s\t", missing);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, text));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "step 'isolate' failed: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "i-0123456789abcdef0"));
	assert_contained(0, 1);
	assert_contained(1, 1);
	free(out);
	free(err);
}

static void test_fleet_usage_errors(void)
{
	char *out = NULL, *err = NULL;

	CU_ASSERT_EQUAL(irx_test_write(irx_cli_path(&cli, "bad.txt"),
				       "arn:aws:ec2:us-east-1:1:instance/i-1\nnope\n"),
			0);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
				    "--targets", irx_cli_path(&cli, "bad.txt"), "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.txt:2:1: 'nope' is not an ARN: "));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(err, "irx run: the targets file is not valid; nothing was run"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
				    "--targets", irx_cli_path(&cli, "bad.txt"), "-t",
				    "arn:aws:ec2:us-east-1:111111111111:instance/i-1", NULL),
			2);
	CU_ASSERT_STRING_EQUAL(err, "irx run: --targets runs a fleet: give no --target or --event "
				    "with it\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
				    "--concurrency", "0", "--targets",
				    irx_cli_path(&cli, "bad.txt"), NULL),
			2);
	CU_ASSERT_STRING_EQUAL(err, "irx run: --concurrency must be 1..256, got '0'\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
				    "--per-account", "2", NULL),
			2);
	CU_ASSERT_STRING_EQUAL(err, "irx run: --concurrency, --per-account and --per-region need "
				    "--targets\n");
	free(out);
	free(err);
}

static CU_TestInfo tests[] = {
    {"spec_list", test_spec_list},
    {"spec_query", test_spec_query},
    {"under_faults", test_fleet_under_faults},
    {"tag_query", test_fleet_tag_query_and_text_summary},
    {"failing_target", test_fleet_failing_target},
    {"usage_errors", test_fleet_usage_errors},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("fleet", tests, suite_init, suite_clean)
