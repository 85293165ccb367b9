/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Concurrent isolations in ONE VPC against the simulator: `irx run RUNBOOK --targets FILE` (the
 * binary and the real isolate plugin) on eight instances of the default VPC of 111111111111,
 * all at once (--concurrency 8 --per-account 8 --per-region 8), with a runbook WITHOUT maxAttempts,
 * so a race on the VPC's shared groups that failed a step would fail the run. The races are made
 * certain with the simulator's response latency, which delays an answer after the call took effect:
 *
 * - the executions read "no irx groups" (the reads answered late), then all create them:
 *   one CreateSecurityGroup per group succeeds, the others are answered InvalidGroup.Duplicate
 *   and must go on with the group the winner made (at least one such answer is asserted);
 * - one execution creates the groups and stalls (its CreateSecurityGroup answered late), so the
 *   others find them as EC2 made them (allow-all egress, no untrack rules) and all settle them
 *   at once: one change per rule succeeds, the others are answered InvalidPermission.NotFound
 *   or .Duplicate and must count as done.
 *
 * Asserted each time: every instance contained, exactly one isolation and one untrack group
 * in the VPC, the isolation group without any rule, the untrack group allowing exactly all
 * traffic both ways; then the eight executions rolled back at the same time (`irx rollback`,
 * eight processes): every ENI back in its original group, and the shared groups kept (rollback
 * never deletes them, as for a single execution).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "irx_cli_harness.h"
#include "json_access.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

#define A1 "111111111111"
#define REGION "us-east-1"
#define N 8

static struct irx_sim sim;
static struct irx_cli cli;
static char instances[N][32];
static char enis[N][32];
static char original[N][32]; /* each ENI's group when launched (the VPC's default group) */
static char vpc[32];

/* No maxAttempts: a step that fails on a race fails its execution. */
static const char isolate_rb[] =
    "schemaVersion: '0.3'\n"
    "description: isolate, several instances of one VPC at once\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "mainSteps:\n"
    "  - name: isolate\n"
    "    action: isolate:ec2Instance\n"
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
				  "    regions: [us-east-1]\n";

/* Eight instances in the default VPC, one ENI each, in the VPC's default group. */
static void seed(void)
{
	struct json_object *r = NULL, *list = NULL;

	json_object_put(irx_sim_control_ok(&sim, "POST", "/__awssim/reset", "{}"));
	r = irx_sim_run_instances(&sim, A1, REGION, N, "", instances);
	list = jk(r, "Instances");
	for (size_t i = 0; i < N; i++) {
		struct json_object *in = ji(list, i), *ni = ji(jk(in, "NetworkInterfaces"), 0);

		snprintf(enis[i], sizeof(enis[i]), "%s", js(jk(ni, "NetworkInterfaceId")));
		snprintf(original[i], sizeof(original[i]), "%s",
			 js(jk(ji(jk(ni, "Groups"), 0), "GroupId")));
		CU_ASSERT_EQUAL(strncmp(original[i], "sg-", 3), 0);
		if (i == 0)
			snprintf(vpc, sizeof(vpc), "%s", js(jk(in, "VpcId")));
		CU_ASSERT_STRING_EQUAL(js(jk(in, "VpcId")), vpc);
	}
	json_object_put(r);
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
}

/* Response latency on the next `count` calls of op (answered late, done at once). */
static void latency(const char *op, int ms, int count)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"kind\":\"latency\",\"service\":\"ec2\",\"operation\":\"%s\","
		 "\"latency_ms\":%d,\"count\":%d}",
		 op, ms, count);
	json_object_put(irx_sim_control_ok(&sim, "POST", "/__awssim/faults", body));
}

/* Requests of op since the log was cleared: answered 200, and answered with AWS code `code`. */
static int requests(const char *op, const char *code)
{
	char p[256];
	struct json_object *log = NULL, *reqs = NULL;
	int n = 0;

	snprintf(p, sizeof(p), "/__awssim/requests?account=" A1 "&operation=%s", op);
	log = irx_sim_control_ok(&sim, "GET", p, NULL);
	reqs = jk(log, "requests");
	for (size_t i = 0; i < jlen(reqs); i++) {
		struct json_object *e = ji(reqs, i);

		if (code ? strcmp(js(jk(e, "error")), code) == 0
			 : json_object_get_int(jk(e, "status")) == 200)
			n++;
	}
	json_object_put(log);
	return n;
}

/* --- irx ------------------------------------------------------------------------------------- */

/*
 * `irx ARG1 ARG2 ...` in a child process (so several run at once); its stderr and stdout go to
 * the file `log`. Returns the child's pid.
 */
static pid_t irx_spawn(const char *log, const char *a1, const char *a2, const char *a3,
		       const char *a4, const char *a5, const char *a6)
{
	pid_t pid = fork();

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		char *out = NULL, *err = NULL, *text = NULL;
		int status = irx_cli_run(&cli, &out, &err, a1, a2, a3, a4, a5, a6, NULL);

		text = irx_xasprintf("%s%s", err ? err : "", out ? out : "");
		irx_test_write(log, text);
		_exit(status);
	}
	return pid;
}

static int child_status(pid_t pid)
{
	int st = 0;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return irx_xstrdup("");
	buf = irx_xcalloc(1, 1 << 16);
	len = fread(buf, 1, (1 << 16) - 1, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/*
 * The fleet on instances [from, N): all at once. Returns the summary's execution ids in
 * ids[from..N) (each execution's target checked).
 */
static void fleet(int from, char ids[N][64])
{
	FILE *f = fopen(irx_cli_path(&cli, "targets.txt"), "w");
	char *out = NULL, *err = NULL;
	struct json_object *sum = NULL, *execs = NULL;
	int status = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int i = from; i < N; i++)
		fprintf(f, "arn:aws:ec2:" REGION ":" A1 ":instance/%s\n", instances[i]);
	fclose(f);
	status = irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
			     "--targets", irx_cli_path(&cli, "targets.txt"), "--config",
			     irx_cli_path(&cli, "irx.yaml"), "--output", "json", "--concurrency",
			     "8", "--per-account", "8", "--per-region", "8", NULL);
	if (status != 0)
		fprintf(stderr, "\n  irx run --targets -> %d\n%s%s\n", status, out, err);
	CU_ASSERT_EQUAL(status, 0);
	sum = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Targets")), N - from);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Contained")), N - from);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Failed")), 0);
	execs = jk(sum, "Executions");
	CU_ASSERT_EQUAL(jlen(execs), (size_t)(N - from));
	for (size_t k = 0; k < jlen(execs); k++) {
		struct json_object *e = ji(execs, k);
		const char *arn = js(jk(e, "TargetArn"));

		CU_ASSERT_STRING_EQUAL(js(jk(e, "Outcome")), "contained");
		for (int i = from; i < N; i++)
			if (strstr(arn, instances[i]))
				snprintf(ids[i], 64, "%s", js(jk(e, "AutomationExecutionId")));
	}
	for (int i = from; i < N; i++)
		CU_ASSERT_EQUAL(strlen(ids[i]), 36);
	json_object_put(sum);
	free(out);
	free(err);
}

/* --- the end state --------------------------------------------------------------------------- */

/* The irx group named name in the VPC: exactly one. Its id in id. */
static struct json_object *only_group(const char *name, char id[32])
{
	struct json_object *r =
	    irx_sim_call(&sim, A1, REGION, "ec2", "DescribeSecurityGroups",
			 "{\"Filters\":[{\"Name\":\"vpc-id\",\"Values\":[\"%s\"]},"
			 "{\"Name\":\"group-name\",\"Values\":[\"%s\"]}]}",
			 vpc, name);
	struct json_object *sgs = jk(r, "SecurityGroups");

	if (jlen(sgs) != 1)
		fprintf(stderr, "\n  %zu groups named %s in %s\n", jlen(sgs), name, vpc);
	CU_ASSERT_EQUAL(jlen(sgs), 1);
	snprintf(id, 32, "%s", js(jk(ji(sgs, 0), "GroupId")));
	return r;
}

/* "-1:0.0.0.0/0,-1:::/0" of a permission list (one CIDR per entry, in order). */
static const char *rules_text(struct json_object *perms)
{
	static char buf[2][512];
	static int n;

	n = !n;
	buf[n][0] = '\0';
	for (size_t i = 0; i < jlen(perms); i++) {
		struct json_object *p = ji(perms, i);
		const char *proto = js(jk(p, "IpProtocol"));

		for (size_t k = 0; k < jlen(jk(p, "IpRanges")); k++)
			snprintf(buf[n] + strlen(buf[n]), sizeof(buf[n]) - strlen(buf[n]),
				 "%s%s:%s", buf[n][0] ? "," : "", proto,
				 js(jk(ji(jk(p, "IpRanges"), k), "CidrIp")));
		for (size_t k = 0; k < jlen(jk(p, "Ipv6Ranges")); k++)
			snprintf(buf[n] + strlen(buf[n]), sizeof(buf[n]) - strlen(buf[n]),
				 "%s%s:%s", buf[n][0] ? "," : "", proto,
				 js(jk(ji(jk(p, "Ipv6Ranges"), k), "CidrIpv6")));
		if (jlen(jk(p, "UserIdGroupPairs")) || jlen(jk(p, "PrefixListIds")))
			snprintf(buf[n] + strlen(buf[n]), sizeof(buf[n]) - strlen(buf[n]),
				 "%sother", buf[n][0] ? "," : "");
	}
	return buf[n];
}

/* The groups of ENI i, "sg-a,sg-b". */
static const char *eni_groups(int i)
{
	static char buf[256];
	struct json_object *r = irx_sim_call(&sim, A1, REGION, "ec2", "DescribeNetworkInterfaces",
					     "{\"NetworkInterfaceIds\":[\"%s\"]}", enis[i]);
	struct json_object *g = jk(ji(jk(r, "NetworkInterfaces"), 0), "Groups");

	buf[0] = '\0';
	for (size_t k = 0; k < jlen(g); k++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", k ? "," : "",
			 js(jk(ji(g, k), "GroupId")));
	json_object_put(r);
	return buf;
}

/* One isolation group without any rule and one allow-all untrack group; every ENI isolated. */
static void assert_contained(char iso[32], char untrack[32])
{
	struct json_object *ri = only_group("irx-isolation", iso);
	struct json_object *ru = only_group("irx-untrack", untrack);
	struct json_object *gi = ji(jk(ri, "SecurityGroups"), 0);
	struct json_object *gu = ji(jk(ru, "SecurityGroups"), 0);

	CU_ASSERT_STRING_EQUAL(rules_text(jk(gi, "IpPermissions")), "");
	CU_ASSERT_STRING_EQUAL(rules_text(jk(gi, "IpPermissionsEgress")), "");
	CU_ASSERT_STRING_EQUAL(rules_text(jk(gu, "IpPermissions")), "-1:0.0.0.0/0,-1:::/0");
	CU_ASSERT_STRING_EQUAL(rules_text(jk(gu, "IpPermissionsEgress")), "-1:0.0.0.0/0,-1:::/0");
	for (int i = 0; i < N; i++) {
		if (strcmp(eni_groups(i), iso) != 0)
			fprintf(stderr, "\n  %s (%s) is in %s, not %s\n", enis[i], instances[i],
				eni_groups(i), iso);
		CU_ASSERT_STRING_EQUAL(eni_groups(i), iso);
	}
	json_object_put(ri);
	json_object_put(ru);
}

/*
 * The eight executions rolled back at the same time: every ENI back in its original group;
 * the shared groups kept (rollback never deletes them) with their rules.
 */
static void rollback_all(char ids[N][64], const char *iso, const char *untrack)
{
	pid_t pids[N];
	char log[N][32], still_iso[32], still_untrack[32];
	struct json_object *r = NULL;

	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
	for (int i = 0; i < N; i++) {
		snprintf(log[i], sizeof(log[i]), "rollback-%d.log", i);
		pids[i] = irx_spawn(irx_cli_path(&cli, log[i]), "rollback", ids[i], NULL, NULL,
				    NULL, NULL);
	}
	for (int i = 0; i < N; i++) {
		int status = child_status(pids[i]);

		if (status != 0) {
			char *text = slurp(irx_cli_path(&cli, log[i]));

			fprintf(stderr, "\n  irx rollback %s -> %d\n%s\n", ids[i], status, text);
			free(text);
		}
		CU_ASSERT_EQUAL(status, 0);
	}
	for (int i = 0; i < N; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), original[i]);
	CU_ASSERT_EQUAL(requests("DeleteSecurityGroup", NULL), 0);
	CU_ASSERT_EQUAL(requests("ModifyNetworkInterfaceAttribute", NULL), 2 * N);
	r = only_group("irx-isolation", still_iso);
	CU_ASSERT_STRING_EQUAL(still_iso, iso);
	CU_ASSERT_STRING_EQUAL(
	    rules_text(jk(ji(jk(r, "SecurityGroups"), 0), "IpPermissionsEgress")), "");
	json_object_put(r);
	r = only_group("irx-untrack", still_untrack);
	CU_ASSERT_STRING_EQUAL(still_untrack, untrack);
	json_object_put(r);
}

/* --- the races ------------------------------------------------------------------------------- */

/*
 * Eight executions at once, every read of the groups answered 2.5 s late: those whose reads
 * overlap (all eight on a quick machine) find no group and all create both. One creation per
 * group succeeds; the others are answered InvalidGroup.Duplicate and use the winner's group.
 */
static void test_all_create_at_once(void)
{
	char ids[N][64] = {{0}}, iso[32] = "", untrack[32] = "";
	int dup = 0;

	seed();
	latency("DescribeSecurityGroups", 2500, N);
	fleet(0, ids);
	dup = requests("CreateSecurityGroup", "InvalidGroup.Duplicate");
	fprintf(stderr, "\n  %d CreateSecurityGroup answered InvalidGroup.Duplicate\n", dup);
	/* all seven losers per group on a quick machine (14); fewer when the executions start
	   slowly (a sanitizer build), never none */
	CU_ASSERT_TRUE(dup > 0);
	CU_ASSERT_TRUE(dup <= 2 * (N - 1));
	CU_ASSERT_EQUAL(requests("CreateSecurityGroup", NULL), 2);
	assert_contained(iso, untrack);
	/* the one isolation group's allow-all egress was revoked once; each ENI's connection
	   tracking set once, moved once to the untrack group and once to isolation */
	CU_ASSERT_EQUAL(requests("RevokeSecurityGroupEgress", NULL), 1);
	CU_ASSERT_EQUAL(requests("ModifyNetworkInterfaceAttribute", NULL), 3 * N);
	rollback_all(ids, iso, untrack);
}

/*
 * The first execution creates both groups and stalls (its CreateSecurityGroup answered 4 s
 * late), so the seven others find them as EC2 made them, allow-all egress and no untrack rule,
 * read 2.5 s late, and all settle them at once: one change per rule succeeds, the others are
 * answered InvalidPermission.NotFound (the revoke) or InvalidPermission.Duplicate (the
 * authorizations), and count as done. The first execution then finds nothing left to change.
 */
static void test_found_while_settling(void)
{
	char ids[N][64] = {{0}}, iso[32] = "", untrack[32] = "", arn[128];
	char *text = NULL;
	pid_t first = 0;
	int status = 0, found = 0;
	const char *p = NULL;

	seed();
	latency("CreateSecurityGroup", 4000, 2);
	snprintf(arn, sizeof(arn), "arn:aws:ec2:" REGION ":" A1 ":instance/%s", instances[0]);
	first =
	    irx_spawn(irx_cli_path(&cli, "first.log"), "run", irx_cli_path(&cli, "isolate.yaml"),
		      "-t", arn, "--config", irx_cli_path(&cli, "irx.yaml"));
	/* both groups exist (done, not yet answered) */
	for (int t = 0; t < 300 && found < 2; t++) {
		struct json_object *st = irx_sim_control_ok(
		    &sim, "GET", "/__awssim/state?account=" A1 "&service=ec2", NULL);
		struct json_object *sgs =
		    jk(jk(jk(st, "state"), A1 "/" REGION "/ec2"), "security_groups");

		found = 0;
		json_object_object_foreach(sgs, gid, g)
		{
			(void)gid;
			found += strncmp(js(jk(g, "GroupName")), "irx-", 4) == 0;
		}
		json_object_put(st);
		if (found < 2)
			usleep(10000);
	}
	CU_ASSERT_EQUAL_FATAL(found, 2);
	latency("DescribeSecurityGroups", 2500, N - 1);
	fleet(1, ids);
	status = child_status(first);
	text = slurp(irx_cli_path(&cli, "first.log"));
	if (status != 0)
		fprintf(stderr, "\n  irx run (first) -> %d\n%s\n", status, text);
	CU_ASSERT_EQUAL(status, 0);
	p = strstr(text, "irx: execution ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	sscanf(p + strlen("irx: execution "), "%63[0-9a-f-]", ids[0]);
	CU_ASSERT_EQUAL(strlen(ids[0]), 36);
	free(text);

	fprintf(stderr,
		"\n  answered already so: %d revoke NotFound, %d ingress Duplicate, %d egress "
		"Duplicate\n",
		requests("RevokeSecurityGroupEgress", "InvalidPermission.NotFound"),
		requests("AuthorizeSecurityGroupIngress", "InvalidPermission.Duplicate"),
		requests("AuthorizeSecurityGroupEgress", "InvalidPermission.Duplicate"));
	CU_ASSERT_EQUAL(requests("CreateSecurityGroup", NULL), 2);
	CU_ASSERT_EQUAL(requests("CreateSecurityGroup", "InvalidGroup.Duplicate"), 0);
	CU_ASSERT_EQUAL(requests("RevokeSecurityGroupEgress", NULL), 1);
	CU_ASSERT_TRUE(requests("RevokeSecurityGroupEgress", "InvalidPermission.NotFound") > 0);
	CU_ASSERT_EQUAL(requests("AuthorizeSecurityGroupIngress", NULL), 1);
	CU_ASSERT_TRUE(requests("AuthorizeSecurityGroupIngress", "InvalidPermission.Duplicate") >
		       0);
	CU_ASSERT_EQUAL(requests("AuthorizeSecurityGroupEgress", NULL), 1);
	assert_contained(iso, untrack);
	CU_ASSERT_EQUAL(requests("ModifyNetworkInterfaceAttribute", NULL), 3 * N);
	rollback_all(ids, iso, untrack);
}

/* No latency at all: eight at once, whatever interleaving the scheduler gives. */
static void test_no_latency(void)
{
	char ids[N][64] = {{0}}, iso[32] = "", untrack[32] = "";

	seed();
	fleet(0, ids);
	fprintf(stderr,
		"\n  without latency: %d InvalidGroup.Duplicate, %d InvalidPermission answers\n",
		requests("CreateSecurityGroup", "InvalidGroup.Duplicate"),
		requests("RevokeSecurityGroupEgress", "InvalidPermission.NotFound") +
		    requests("AuthorizeSecurityGroupIngress", "InvalidPermission.Duplicate") +
		    requests("AuthorizeSecurityGroupEgress", "InvalidPermission.Duplicate"));
	CU_ASSERT_EQUAL(requests("CreateSecurityGroup", NULL), 2);
	assert_contained(iso, untrack);
	rollback_all(ids, iso, untrack);
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

static CU_TestInfo tests[] = {
    {"eight at once: all create, one wins", test_all_create_at_once},
    {"found while another settles it", test_found_while_settling},
    {"eight at once without latency", test_no_latency},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("isolate_concurrency_sim", tests, suite_init, suite_clean)
