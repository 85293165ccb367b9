/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reliability scenario (issue 5): `irx run RUNBOOK --targets FILE` contains 200 EC2
 * instances in 4 accounts (three reached through the configuration's role with an ExternalId)
 * while the simulator throttles 30% of all requests and answers 5% with HTTP 500 (random,
 * seeded). The instances exercise the isolate plugin's paths: some with 2 ENIs, some in an Auto
 * Scaling group, some in an ELBv2 target group, some with an Elastic IP, in two VPCs per
 * account; the runbook isolates and snapshots.
 *
 * Asserted: every entity contained (exit 0, summary, the simulator's end state); nothing done
 * twice (each successful change in the request log counted against what one fault-free
 * containment makes, measured first on one instance with faults off); the journals complete
 * (every step started and ended, every execution ended with Success, every change the
 * simulator recorded as successful accounted for by a journal's undo records); and that the
 * faults were injected at the rates asked.
 *
 * The request log has no parameters, so "per ENI" is checked per account: the successful
 * ModifyNetworkInterfaceAttribute calls equal the fault-free count per ENI times the ENIs, and
 * every ENI is in exactly one execution's undo records. The rules of irx's own groups are not
 * in undo records (rollback keeps the groups): their changes are counted per VPC, and every
 * group is named by a journal.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "irx_cli_harness.h"
#include "journal.h"
#include "json_access.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

#define REGION "us-east-1"
#define EXTERNAL_ID "fleet-faults-7c1e"
#define ACCOUNTS 4
#define VPCS 2	/* per account: the default VPC and one created */
#define KINDS 5 /* plain, 2 ENIs, Auto Scaling, target group, Elastic IP */
#define PER_KIND 5
#define PER_ACCOUNT (VPCS * KINDS * PER_KIND) /* 50 */
#define TOTAL (ACCOUNTS * PER_ACCOUNT)	      /* 200 */
#define THROTTLE_SEED 30
#define ERROR_SEED 5

enum kind { K_PLAIN, K_TWO_ENIS, K_ASG, K_TARGET, K_EIP };

static const char *const accounts[ACCOUNTS] = {"111111111111", "222222222222", "333333333333",
					       "444444444444"};

/* What a change scales with: the units of the fleet (and of the baseline instance). */
enum unit { U_ENI, U_INSTANCE, U_VPC, U_ASG_MEMBER, U_TARGET, U_EIP, U_COUNT };

/* Every change the runbook makes, and what it is made once per. */
static const struct {
	const char *op;
	enum unit unit;
} changes[] = {
    {"ModifyNetworkInterfaceAttribute", U_ENI},
    {"ModifyInstanceAttribute", U_INSTANCE},
    {"CreateTags", U_INSTANCE},
    {"CreateSnapshots", U_INSTANCE},
    {"CreateSecurityGroup", U_VPC},
    {"AuthorizeSecurityGroupIngress", U_VPC},
    {"AuthorizeSecurityGroupEgress", U_VPC},
    {"RevokeSecurityGroupEgress", U_VPC},
    {"EnterStandby", U_ASG_MEMBER},
    {"DeregisterTargets", U_TARGET},
    {"DisassociateAddress", U_EIP},
};
#define NCHANGES (sizeof(changes) / sizeof(changes[0]))

static struct irx_sim sim;
static struct irx_cli cli;
static char instances[ACCOUNTS][PER_ACCOUNT][32];
static enum kind kinds[PER_ACCOUNT];
/* successful calls of each change in one fault-free containment of the baseline instance */
static int baseline[NCHANGES];
static bool have_baseline;

/* Isolation (no untrack wait: the simulator tracks no connections) and evidence. Each step
 * may run again: under 35% faults about one call in 4 000 exhausts the fleet client's 8
 * attempts (0.35^8), failing its step; the actions are idempotent, so a re-run does only what
 * is left (which the counts below check). */
static const char runbook[] =
    "schemaVersion: '0.3'\n"
    "description: isolate and snapshot, for the reliability test\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "mainSteps:\n"
    "  - name: isolate\n"
    "    action: isolate:ec2Instance\n"
    "    maxAttempts: 3\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', UntrackWaitSeconds: 0}\n"
    "  - name: snapshot\n"
    "    action: snapshot:ec2Instance\n"
    "    maxAttempts: 3\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', WaitForCompletion: false}\n";

/* o when it is an object, else an empty one (json-c's foreach needs an object) */
static struct json_object *jo(struct json_object *o)
{
	static struct json_object *empty;

	if (!empty)
		empty = json_object_new_object();
	return o && json_object_is_type(o, json_type_object) ? o : empty;
}

static void put(struct json_object *o)
{
	json_object_put(o);
}

/* A VPC with one subnet: its id in vpc, the subnet's in subnet. */
static void make_vpc(const char *acct, const char *cidr, const char *subnet_cidr, char vpc[32],
		     char subnet[32])
{
	struct json_object *r =
	    irx_sim_call(&sim, acct, REGION, "ec2", "CreateVpc", "{\"CidrBlock\":\"%s\"}", cidr);

	snprintf(vpc, 32, "%s", js(jk(jk(r, "Vpc"), "VpcId")));
	put(r);
	r = irx_sim_call(&sim, acct, REGION, "ec2", "CreateSubnet",
			 "{\"VpcId\":\"%s\",\"CidrBlock\":\"%s\"}", vpc, subnet_cidr);
	snprintf(subnet, 32, "%s", js(jk(jk(r, "Subnet"), "SubnetId")));
	put(r);
	CU_ASSERT_EQUAL(strncmp(vpc, "vpc-", 4), 0);
	CU_ASSERT_EQUAL(strncmp(subnet, "subnet-", 7), 0);
}

/* The account's default VPC and its subnet. */
static void default_vpc(const char *acct, char vpc[32], char subnet[32])
{
	irx_sim_default_subnet(&sim, acct, REGION, vpc, subnet);
	CU_ASSERT_EQUAL(strncmp(vpc, "vpc-", 4), 0);
}

/* count instances of kind k in the subnet; their ids into ids[]. */
static void launch(const char *acct, const char *subnet, enum kind k, int count, char ids[][32])
{
	char extra[256] = "", second[128] = "";

	if (k == K_TWO_ENIS)
		snprintf(second, sizeof(second), ",{\"DeviceIndex\":1,\"SubnetId\":\"%s\"}",
			 subnet);
	snprintf(extra, sizeof(extra),
		 ",\"NetworkInterfaces\":[{\"DeviceIndex\":0,\"SubnetId\":\"%s\"}%s]", subnet,
		 second);
	put(irx_sim_run_instances(&sim, acct, REGION, count, extra, ids));
}

/* The instances' memberships: a target group in the VPC, or an Elastic IP each. */
static void attach_kind(const char *acct, const char *vpc, enum kind k, int count, char ids[][32])
{
	char targets[2048] = "", tg[256] = "";
	struct json_object *r = NULL;
	size_t n = 0;

	if (k == K_TARGET) {
		r = irx_sim_call(
		    &sim, acct, REGION, "elasticloadbalancing", "CreateTargetGroup",
		    "{\"Name\":\"web-%s\",\"Protocol\":\"HTTP\",\"Port\":80,\"VpcId\":\"%s\"}",
		    vpc + 4, vpc);
		snprintf(tg, sizeof(tg), "%s",
			 js(jk(ji(jk(r, "TargetGroups"), 0), "TargetGroupArn")));
		put(r);
		for (int i = 0; i < count; i++)
			n += (size_t)snprintf(targets + n, sizeof(targets) - n, "%s{\"Id\":\"%s\"}",
					      i ? "," : "", ids[i]);
		put(irx_sim_call(&sim, acct, REGION, "elasticloadbalancing", "RegisterTargets",
				 "{\"TargetGroupArn\":\"%s\",\"Targets\":[%s]}", tg, targets));
	} else if (k == K_EIP) {
		for (int i = 0; i < count; i++) {
			char alloc[64] = "";

			r = irx_sim_call(&sim, acct, REGION, "ec2", "AllocateAddress",
					 "{\"Domain\":\"vpc\"}");
			snprintf(alloc, sizeof(alloc), "%s", js(jk(r, "AllocationId")));
			put(r);
			put(irx_sim_call(&sim, acct, REGION, "ec2", "AssociateAddress",
					 "{\"AllocationId\":\"%s\",\"InstanceId\":\"%s\"}", alloc,
					 ids[i]));
		}
	}
}

/* An Auto Scaling group (minimum 0) holding the instances. */
static void make_asg(const char *acct, const char *name, int count, char ids[][32])
{
	char list[2048] = "";
	size_t n = 0;

	put(irx_sim_call(&sim, acct, REGION, "autoscaling", "CreateAutoScalingGroup",
			 "{\"AutoScalingGroupName\":\"%s\",\"MinSize\":0,\"MaxSize\":%d}", name,
			 count));
	for (int i = 0; i < count; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\"", i ? "," : "", ids[i]);
	put(irx_sim_call(&sim, acct, REGION, "autoscaling", "AttachInstances",
			 "{\"AutoScalingGroupName\":\"%s\",\"InstanceIds\":[%s]}", name, list));
}

static int write_config(void)
{
	char text[4096] = "version: 1\ndefaults:\n  region: " REGION "\naccounts:\n";
	size_t n = strlen(text);

	for (int a = 0; a < ACCOUNTS; a++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "  - id: \"%s\"\n    regions: [" REGION "]\n", accounts[a]);
		if (a > 0)
			n += (size_t)snprintf(
			    text + n, sizeof(text) - n,
			    "    role: irx-responder\n    external_id: " EXTERNAL_ID "\n");
	}
	return irx_test_write(irx_cli_path(&cli, "irx.yaml"), text);
}

static void reset(void)
{
	put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/faults", NULL));
	put(irx_sim_control_ok(&sim, "POST", "/__awssim/reset", "{}"));
}

/* The successful calls of op in acct (NULL: any account) since the log was cleared. */
static int succeeded(struct json_object *log, const char *acct, const char *op)
{
	int n = 0;

	for (size_t i = 0; i < jlen(log); i++) {
		struct json_object *e = ji(log, i);

		if (json_object_get_int(jk(e, "status")) == 200 &&
		    strcmp(js(jk(e, "operation")), op) == 0 &&
		    (!acct || strcmp(js(jk(e, "account")), acct) == 0))
			n++;
	}
	return n;
}

static bool is_read(const char *op)
{
	return strncmp(op, "Describe", 8) == 0 || strncmp(op, "List", 4) == 0 ||
	       strncmp(op, "Get", 3) == 0 || strcmp(op, "AssumeRole") == 0;
}

static int change_index(const char *op)
{
	for (size_t c = 0; c < NCHANGES; c++)
		if (strcmp(changes[c].op, op) == 0)
			return (int)c;
	return -1;
}

/* Every successful change in the log is one the table knows. */
static void assert_known_changes(struct json_object *log)
{
	for (size_t i = 0; i < jlen(log); i++) {
		struct json_object *e = ji(log, i);
		const char *op = js(jk(e, "operation"));

		if (json_object_get_int(jk(e, "status")) != 200 || is_read(op))
			continue;
		if (change_index(op) < 0)
			fprintf(stderr, "\n  an unexpected change: %s:%s\n", js(jk(e, "service")),
				op);
		CU_ASSERT_TRUE(change_index(op) >= 0);
	}
}

static struct json_object *request_log(void)
{
	struct json_object *all = irx_sim_control_ok(&sim, "GET", "/__awssim/requests", NULL);
	struct json_object *log = json_object_get(jk(all, "requests"));

	json_object_put(all);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	return log;
}

/*
 * One instance with everything (2 ENIs, an Auto Scaling group, a target group, an Elastic IP)
 * in its own VPC, contained with faults off: the successful calls of each change are what
 * one uninterrupted containment makes.
 */
static void test_baseline(void)
{
	char vpc[32], subnet[32], id[1][32], arn[128], *out = NULL, *err = NULL;
	struct json_object *log = NULL, *sum = NULL;
	const int units[U_COUNT] = {2, 1, 1, 1, 1, 1}; /* ENIs, instances, VPCs, ... */
	int status = 0;

	reset();
	make_vpc(accounts[0], "10.9.0.0/16", "10.9.0.0/24", vpc, subnet);
	launch(accounts[0], subnet, K_TWO_ENIS, 1, id);
	make_asg(accounts[0], "baseline", 1, id);
	attach_kind(accounts[0], vpc, K_TARGET, 1, id);
	attach_kind(accounts[0], vpc, K_EIP, 1, id);
	snprintf(arn, sizeof(arn), "arn:aws:ec2:" REGION ":%s:instance/%s\n", accounts[0], id[0]);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(irx_cli_path(&cli, "baseline.txt"), arn), 0);
	put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
	status = irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "runbook.yaml"),
			     "--targets", irx_cli_path(&cli, "baseline.txt"), "--config",
			     irx_cli_path(&cli, "irx.yaml"), "--output", "json", "--state-dir",
			     irx_cli_path(&cli, "baseline-state"), NULL);
	if (status != 0)
		fprintf(stderr, "\n  baseline run -> %d\n%s%s\n", status, out, err);
	CU_ASSERT_EQUAL_FATAL(status, 0);
	sum = json_tokener_parse(out);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Contained")), 1);
	log = request_log();
	assert_known_changes(log);
	for (size_t c = 0; c < NCHANGES; c++) {
		int n = succeeded(log, NULL, changes[c].op);

		/* each change was made, a whole number of times per unit */
		if (n == 0 || n % units[changes[c].unit] != 0)
			fprintf(stderr, "\n  baseline: %d successful %s\n", n, changes[c].op);
		CU_ASSERT_TRUE(n > 0);
		CU_ASSERT_EQUAL(n % units[changes[c].unit], 0);
		baseline[c] = n / units[changes[c].unit];
	}
	CU_ASSERT_EQUAL(baseline[change_index("CreateSnapshots")], 1);
	have_baseline = true;
	json_object_put(log);
	json_object_put(sum);
	free(out);
	free(err);
}

/* Seeds the fleet: per account two VPCs, in each 5 instances of each kind. */
static void seed_fleet(void)
{
	for (int a = 0; a < ACCOUNTS; a++) {
		const char *acct = accounts[a];
		char vpc[VPCS][32], subnet[VPCS][32], cidr[32], sub[32];
		char asg[PER_ACCOUNT][32];
		int n = 0, nasg = 0;

		if (a > 0)
			irx_sim_responder_role(&sim, acct, accounts[0], EXTERNAL_ID);
		default_vpc(acct, vpc[0], subnet[0]);
		snprintf(cidr, sizeof(cidr), "10.%d.0.0/16", a + 1);
		snprintf(sub, sizeof(sub), "10.%d.0.0/24", a + 1);
		make_vpc(acct, cidr, sub, vpc[1], subnet[1]);
		for (int v = 0; v < VPCS; v++)
			for (int k = 0; k < KINDS; k++) {
				launch(acct, subnet[v], (enum kind)k, PER_KIND, &instances[a][n]);
				attach_kind(acct, vpc[v], (enum kind)k, PER_KIND, &instances[a][n]);
				for (int i = 0; i < PER_KIND; i++, n++) {
					kinds[n] = (enum kind)k;
					if (k == K_ASG)
						snprintf(asg[nasg++], 32, "%s", instances[a][n]);
				}
			}
		make_asg(acct, "web", nasg, asg);
	}
}

/* 5% HTTP 500s and 30% throttling of every request (the error rule first: a request both
 * rules pick is a 500, so the throttle rule picks 0.30 / 0.95 of the rest). */
static void inject_faults(void)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "[{\"kind\":\"error\",\"status\":500,\"probability\":0.05,\"seed\":%d},"
		 "{\"kind\":\"throttle\",\"probability\":%.6f,\"seed\":%d}]",
		 ERROR_SEED, 0.30 / 0.95, THROTTLE_SEED);
	put(irx_sim_control_ok(&sim, "POST", "/__awssim/faults", body));
}

static bool is_throttle(const char *code)
{
	return strcmp(code, "RequestLimitExceeded") == 0 || strcmp(code, "Throttling") == 0 ||
	       strcmp(code, "ThrottlingException") == 0 ||
	       strcmp(code, "TooManyRequestsException") == 0 || strcmp(code, "SlowDown") == 0;
}

/* The injected faults: both kinds, at about the rates asked (thousands of requests). */
static void assert_faults(struct json_object *log)
{
	int throttled = 0, errors = 0, total = (int)jlen(log);

	for (int i = 0; i < total; i++) {
		struct json_object *e = ji(log, (size_t)i);
		const char *code = js(jk(e, "error"));

		if (is_throttle(code))
			throttled++;
		else if (json_object_get_int(jk(e, "status")) == 500 &&
			 strstr(js(jk(e, "error")), "Internal"))
			errors++;
	}
	fprintf(stderr, "\n  %d requests: %d throttled (%.1f%%), %d HTTP 500 (%.1f%%)", total,
		throttled, 100.0 * throttled / (total ? total : 1), errors,
		100.0 * errors / (total ? total : 1));
	CU_ASSERT_TRUE(total > 20 * TOTAL);
	CU_ASSERT_TRUE(throttled > 0);
	CU_ASSERT_TRUE(errors > 0);
	CU_ASSERT_TRUE(throttled * 100 >= total * 26 && throttled * 100 <= total * 34);
	CU_ASSERT_TRUE(errors * 100 >= total * 3 && errors * 100 <= total * 7);
}

/* The simulator's state of one service of an account (a reference into all). */
static struct json_object *service_state(struct json_object *all, const char *acct,
					 const char *service)
{
	char key[128];

	snprintf(key, sizeof(key), "%s/" REGION "/%s", acct, service);
	return jk(jk(all, "state"), key);
}

static bool seeded(int a, const char *id, int *index)
{
	for (int i = 0; i < PER_ACCOUNT; i++)
		if (strcmp(instances[a][i], id) == 0) {
			if (index)
				*index = i;
			return true;
		}
	return false;
}

/* Per account, from the journals. */
struct tally {
	int enis_ct, enis_moved, instance_attrs, tags, standby, targets, addresses;
	int reruns;		    /* step attempts after the first */
	struct json_object *groups; /* set: the security groups the journals name */
	struct json_object *snaps;  /* set: the snapshots the journals name */
	struct json_object *enis;   /* ENI -> execution id (each ENI in one execution only) */
};

static void set_add(struct json_object *set, const char *k, const char *v)
{
	json_object_object_add(set, k, json_object_new_string(v));
}

/* Records an ENI's execution, asserting no other execution touched it. */
static void claim_eni(struct tally *t, const char *eni, const char *exec)
{
	struct json_object *had = jk(t->enis, eni);

	if (had && strcmp(js(had), exec) != 0)
		fprintf(stderr, "\n  %s is in executions %s and %s\n", eni, js(had), exec);
	CU_ASSERT_TRUE(!had || strcmp(js(had), exec) == 0);
	set_add(t->enis, eni, exec);
}

/*
 * One execution's journal: complete (execution_start for the target, every step started and
 * ended attempt by attempt, each step's last attempt a Success, execution_end Success), and
 * what its undo records say was changed, merged over attempts, added to the tally.
 */
static void check_journal(const char *state_dir, const char *exec, const char *target,
			  const char *instance, struct tally *t)
{
	struct irx_error err = {0};
	int truncated = 0;
	struct json_object *recs = irx_journal_read(state_dir, exec, &truncated, &err);
	struct json_object *ct = json_object_new_object(), *moved = json_object_new_object();
	struct json_object *tg = json_object_new_object(), *eip = json_object_new_object();
	bool attr[3] = {false}, tags = false, standby = false;
	static const char *const steps[] = {"isolate", "snapshot"};
	static const char *const attrs[] = {"DisableApiTermination", "ShutdownBehavior",
					    "DeleteOnTermination"};
	const char *open_step = NULL;
	int open_attempt = 0, last_attempt[2] = {0}, step_at = 0;
	bool ok_end[2] = {false};
	size_t n = jlen(recs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(recs);
	CU_ASSERT_EQUAL(truncated, 0);
	CU_ASSERT_TRUE_FATAL(n >= 6);
	CU_ASSERT_STRING_EQUAL(js(jk(ji(recs, 0), "type")), "execution_start");
	CU_ASSERT_STRING_EQUAL(js(jk(ji(recs, 0), "execution_id")), exec);
	CU_ASSERT_STRING_EQUAL(js(jk(jk(ji(recs, 0), "parameters"), "TargetArn")), target);
	CU_ASSERT_STRING_EQUAL(js(jk(ji(recs, n - 1), "type")), "execution_end");
	CU_ASSERT_STRING_EQUAL(js(jk(ji(recs, n - 1), "status")), "Success");
	for (size_t i = 1; i + 1 < n; i++) {
		struct json_object *r = ji(recs, i), *undo = jk(r, "undo");
		const char *type = js(jk(r, "type")), *step = js(jk(r, "step"));
		int attempt = json_object_get_int(jk(r, "attempt"));

		if (strcmp(type, "step_start") == 0) {
			/* steps in order; attempts 1, 2, ... of a step one after the other */
			CU_ASSERT_PTR_NULL(open_step);
			/* the next step starts once the previous one succeeded */
			if (step_at == 0 && ok_end[0] && strcmp(step, steps[1]) == 0)
				step_at = 1;
			CU_ASSERT_STRING_EQUAL(step, steps[step_at]);
			CU_ASSERT_EQUAL(attempt, last_attempt[step_at] + 1);
			t->reruns += attempt > 1;
			open_step = steps[step_at];
			open_attempt = attempt;
			continue;
		}
		if (strcmp(type, "step_end") == 0) {
			CU_ASSERT_PTR_NOT_NULL(open_step);
			CU_ASSERT_STRING_EQUAL(step, open_step ? open_step : "");
			CU_ASSERT_EQUAL(attempt, open_attempt);
			last_attempt[step_at] = attempt;
			ok_end[step_at] = strcmp(js(jk(r, "status")), "Success") == 0;
			open_step = NULL;
		} else {
			CU_ASSERT_STRING_EQUAL(type, "step_progress");
			CU_ASSERT_STRING_EQUAL(step, open_step ? open_step : "");
		}
		if (!undo || !json_object_is_type(undo, json_type_object))
			continue;
		if (strcmp(step, "snapshot") == 0) {
			for (size_t s = 0; s < jlen(jk(undo, "SnapshotIds")); s++)
				set_add(t->snaps, js(ji(jk(undo, "SnapshotIds"), s)), exec);
			continue;
		}
		if (jk(undo, "InstanceId"))
			CU_ASSERT_STRING_EQUAL(js(jk(undo, "InstanceId")), instance);
		for (size_t k = 0; k < jlen(jk(undo, "ConnectionTracking")); k++)
			set_add(ct,
				js(jk(ji(jk(undo, "ConnectionTracking"), k), "NetworkInterfaceId")),
				exec);
		for (size_t k = 0; k < jlen(jk(undo, "NetworkInterfaces")); k++)
			set_add(moved,
				js(jk(ji(jk(undo, "NetworkInterfaces"), k), "NetworkInterfaceId")),
				exec);
		for (size_t k = 0; k < jlen(jk(undo, "TargetGroups")); k++) {
			struct json_object *g = ji(jk(undo, "TargetGroups"), k);

			for (size_t m = 0; m < jlen(jk(g, "Targets")); m++) {
				char key[512];

				CU_ASSERT_STRING_EQUAL(js(jk(ji(jk(g, "Targets"), m), "Id")),
						       instance);
				snprintf(key, sizeof(key), "%s %s", js(jk(g, "TargetGroupArn")),
					 js(jk(ji(jk(g, "Targets"), m), "Id")));
				set_add(tg, key, exec);
			}
		}
		for (size_t k = 0; k < jlen(jk(undo, "Addresses")); k++)
			set_add(eip, js(jk(ji(jk(undo, "Addresses"), k), "AllocationId")), exec);
		json_object_object_foreach(jo(jk(undo, "SecurityGroups")), role, gid)
		{
			(void)role;
			set_add(t->groups, js(gid), exec);
		}
		for (int k = 0; k < 3; k++)
			attr[k] |= jk(undo, attrs[k]) != NULL;
		tags |= jk(undo, "Tags") != NULL;
		standby |= jk(undo, "AutoScaling") != NULL;
	}
	CU_ASSERT_PTR_NULL(open_step);
	CU_ASSERT_TRUE(ok_end[0] && ok_end[1]);
	CU_ASSERT_TRUE(last_attempt[0] >= 1 && last_attempt[1] >= 1);
	json_object_object_foreach(ct, eni, v1)
	{
		(void)v1;
		claim_eni(t, eni, exec);
		t->enis_ct++;
	}
	json_object_object_foreach(moved, eni2, v2)
	{
		(void)v2;
		CU_ASSERT_PTR_NOT_NULL(jk(ct, eni2)); /* the same ENIs */
		t->enis_moved++;
	}
	t->targets += json_object_object_length(tg);
	t->addresses += json_object_object_length(eip);
	for (int k = 0; k < 3; k++)
		t->instance_attrs += attr[k];
	t->tags += tags;
	t->standby += standby;
	json_object_put(ct);
	json_object_put(moved);
	json_object_put(tg);
	json_object_put(eip);
	json_object_put(recs);
}

/* The account's end state: every seeded instance contained; returns its irx groups' count. */
static int assert_contained(int a, struct json_object *all, struct tally *t, int *enis_out,
			    int *vpcs_out)
{
	const char *acct = accounts[a];
	struct json_object *ec2 = service_state(all, acct, "ec2");
	struct json_object *asg = service_state(all, acct, "autoscaling");
	struct json_object *elb = service_state(all, acct, "elasticloadbalancing");
	struct json_object *iso = json_object_new_object(); /* VPC -> isolation group */
	int irx_groups = 0, enis = 0, snaps = 0, addresses = 0, members = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ec2);
	/* at most one isolation and one untrack group per VPC, each named by a journal */
	json_object_object_foreach(jo(jk(ec2, "security_groups")), gid, g)
	{
		const char *name = js(jk(g, "GroupName")), *vpc = js(jk(g, "VpcId"));
		char key[96];

		if (strcmp(name, "irx-isolation") != 0 && strcmp(name, "irx-untrack") != 0)
			continue;
		irx_groups++;
		snprintf(key, sizeof(key), "%s %s", name, vpc);
		if (jk(iso, key))
			fprintf(stderr, "\n  two %s groups in %s (%s)\n", name, vpc, acct);
		CU_ASSERT_PTR_NULL(jk(iso, key));
		set_add(iso, key, gid);
		CU_ASSERT_PTR_NOT_NULL(jk(t->groups, gid));
	}
	*vpcs_out = irx_groups / 2;
	/* every ENI of a seeded instance: exactly its VPC's isolation group, short tracking */
	json_object_object_foreach(jo(jk(ec2, "enis")), eid, eni)
	{
		const char *owner = js(jk(jk(eni, "Attachment"), "InstanceId"));
		struct json_object *groups = jk(eni, "Groups");
		char key[96];
		const char *want = NULL;

		if (!seeded(a, owner, NULL))
			continue;
		enis++;
		snprintf(key, sizeof(key), "irx-isolation %s", js(jk(eni, "VpcId")));
		want = js(jk(iso, key));
		if (jlen(groups) != 1 || strcmp(js(jk(ji(groups, 0), "GroupId")), want) != 0)
			fprintf(stderr, "\n  %s (%s) is not isolated: %s\n", eid, owner,
				json_object_to_json_string(groups));
		CU_ASSERT_EQUAL(jlen(groups), 1);
		CU_ASSERT_STRING_EQUAL(js(jk(ji(groups, 0), "GroupId")), want);
		CU_ASSERT_EQUAL(json_object_get_int(jk(jk(eni, "ConnectionTrackingConfiguration"),
						       "TcpEstablishedTimeout")),
				60);
		CU_ASSERT_PTR_NOT_NULL(jk(t->enis, eid)); /* in a journal */
	}
	*enis_out = enis;
	/* termination protection on, every snapshot one a journal names (one per instance) */
	json_object_object_foreach(jo(jk(ec2, "instances")), iid, inst)
	{
		if (!seeded(a, iid, NULL))
			continue;
		CU_ASSERT_TRUE(
		    json_object_get_boolean(jk(jk(inst, "_attrs"), "disableApiTermination")));
	}
	json_object_object_foreach(jo(jk(ec2, "snapshots")), sid, snap)
	{
		(void)snap;
		snaps++;
		CU_ASSERT_PTR_NOT_NULL(jk(t->snaps, sid));
	}
	CU_ASSERT_EQUAL(snaps, PER_ACCOUNT);
	CU_ASSERT_EQUAL(json_object_object_length(t->snaps), PER_ACCOUNT);
	/* Elastic IPs disassociated */
	json_object_object_foreach(jo(jk(ec2, "addresses")), aid, addr)
	{
		(void)aid;
		addresses++;
		CU_ASSERT_PTR_NULL(jk(addr, "AssociationId"));
	}
	CU_ASSERT_EQUAL(addresses, VPCS * PER_KIND);
	/* Auto Scaling members in Standby */
	json_object_object_foreach(jo(jk(jk(jk(asg, "groups"), "web"), "_members")), mid, life)
	{
		members++;
		CU_ASSERT_TRUE(seeded(a, mid, NULL));
		CU_ASSERT_STRING_EQUAL(js(life), "Standby");
	}
	CU_ASSERT_EQUAL(members, VPCS * PER_KIND);
	/* target groups empty */
	json_object_object_foreach(jo(jk(elb, "target_groups")), arn, tgrp)
	{
		(void)arn;
		CU_ASSERT_EQUAL(jlen(jk(tgrp, "_targets")), 0);
	}
	CU_ASSERT_EQUAL(json_object_object_length(jo(jk(elb, "target_groups"))), VPCS);
	json_object_put(iso);
	return irx_groups;
}

static void count_journal(void *ud, const char *execution_id)
{
	(void)execution_id;
	(*(int *)ud)++;
}

static void test_fleet_under_faults(void)
{
	FILE *f = NULL;
	char *out = NULL, *err = NULL, state_dir[1100];
	struct json_object *sum = NULL, *execs = NULL, *log = NULL, *all = NULL;
	struct tally t[ACCOUNTS] = {0};
	long long t0 = 0, ms = 0;
	int status = 0, journals = 0, listed = 0, reruns = 0;
	struct irx_error jerr = {0};

	CU_ASSERT_TRUE_FATAL(have_baseline);
	reset();
	seed_fleet();
	f = fopen(irx_cli_path(&cli, "targets.txt"), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int a = 0; a < ACCOUNTS; a++)
		for (int i = 0; i < PER_ACCOUNT; i++)
			fprintf(f, "arn:aws:ec2:" REGION ":%s:instance/%s\n", accounts[a],
				instances[a][i]);
	fclose(f);
	put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
	inject_faults();
	snprintf(state_dir, sizeof(state_dir), "%s", cli.state_dir);
	t0 = irx_now_ms();
	status = irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "runbook.yaml"),
			     "--targets", irx_cli_path(&cli, "targets.txt"), "--config",
			     irx_cli_path(&cli, "irx.yaml"), "--output", "json", "--concurrency",
			     "200", "--per-account", "50", "--per-region", "200", NULL);
	ms = irx_now_ms() - t0;
	put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/faults", NULL));
	if (status != 0)
		fprintf(stderr, "\n  irx run --targets -> %d\n%.4000s\n%s\n", status, out, err);
	CU_ASSERT_EQUAL(status, 0);

	/* the summary: every entity contained */
	sum = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Targets")), TOTAL);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Contained")), TOTAL);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Skipped")), 0);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Failed")), 0);
	execs = jk(sum, "Executions");
	CU_ASSERT_EQUAL_FATAL(jlen(execs), TOTAL);
	for (int a = 0; a < ACCOUNTS; a++) {
		t[a].groups = json_object_new_object();
		t[a].snaps = json_object_new_object();
		t[a].enis = json_object_new_object();
	}

	/* the journals: one per target, complete */
	for (size_t i = 0; i < jlen(execs); i++) {
		struct json_object *e = ji(execs, i);
		const char *arn = js(jk(e, "TargetArn")), *id = strrchr(arn, '/');
		int a = (int)i / PER_ACCOUNT;

		CU_ASSERT_STRING_EQUAL(js(jk(e, "Outcome")), "contained");
		CU_ASSERT_STRING_EQUAL(js(jk(e, "AutomationExecutionStatus")), "Success");
		CU_ASSERT_STRING_EQUAL(js(jk(e, "Account")), accounts[a]);
		CU_ASSERT_TRUE_FATAL(id && seeded(a, id + 1, NULL));
		check_journal(state_dir, js(jk(e, "AutomationExecutionId")), arn, id + 1, &t[a]);
		journals++;
	}
	CU_ASSERT_EQUAL(journals, TOTAL);
	/* and no other execution */
	CU_ASSERT_EQUAL(irx_journal_list(state_dir, count_journal, &listed, &jerr), 0);
	CU_ASSERT_EQUAL(listed, TOTAL);

	/* the end state, the request log, the journals: per account */
	log = request_log();
	assert_faults(log);
	assert_known_changes(log);
	for (int a = 0; a < ACCOUNTS; a++) {
		char p[128];
		int units[U_COUNT] = {0}, enis = 0, vpcs = 0, groups = 0;

		snprintf(p, sizeof(p), "/__awssim/state?account=%s", accounts[a]);
		all = irx_sim_control_ok(&sim, "GET", p, NULL);
		groups = assert_contained(a, all, &t[a], &enis, &vpcs);
		json_object_put(all);
		CU_ASSERT_EQUAL(vpcs, VPCS);
		CU_ASSERT_EQUAL(groups, 2 * VPCS);
		CU_ASSERT_EQUAL(enis, PER_ACCOUNT + VPCS * PER_KIND); /* the K_TWO_ENIS have 2 */
		units[U_ENI] = enis;
		units[U_INSTANCE] = PER_ACCOUNT;
		units[U_VPC] = VPCS;
		units[U_ASG_MEMBER] = units[U_TARGET] = units[U_EIP] = VPCS * PER_KIND;

		/* nothing done twice: each change as often as fault-free containments make it */
		for (size_t c = 0; c < NCHANGES; c++) {
			int got = succeeded(log, accounts[a], changes[c].op);
			int want = baseline[c] * units[changes[c].unit];

			if (got != want)
				fprintf(stderr, "\n  %s: %d successful %s, expected %d\n",
					accounts[a], got, changes[c].op, want);
			CU_ASSERT_EQUAL(got, want);
		}

		/* journal complete: every successful change accounted for by an undo record */
		CU_ASSERT_EQUAL(t[a].enis_ct, enis);
		CU_ASSERT_EQUAL(t[a].enis_moved, enis);
		CU_ASSERT_EQUAL(json_object_object_length(t[a].enis), enis);
		CU_ASSERT_EQUAL(succeeded(log, accounts[a], "ModifyNetworkInterfaceAttribute"),
				t[a].enis_ct *
				    baseline[change_index("ModifyNetworkInterfaceAttribute")]);
		CU_ASSERT_EQUAL(succeeded(log, accounts[a], "ModifyInstanceAttribute"),
				t[a].instance_attrs);
		CU_ASSERT_EQUAL(succeeded(log, accounts[a], "CreateTags"), t[a].tags);
		CU_ASSERT_EQUAL(succeeded(log, accounts[a], "EnterStandby"), t[a].standby);
		CU_ASSERT_EQUAL(succeeded(log, accounts[a], "DeregisterTargets"), t[a].targets);
		CU_ASSERT_EQUAL(succeeded(log, accounts[a], "DisassociateAddress"), t[a].addresses);
		CU_ASSERT_EQUAL(succeeded(log, accounts[a], "CreateSnapshots"),
				json_object_object_length(t[a].snaps));
		CU_ASSERT_EQUAL(succeeded(log, accounts[a], "CreateSecurityGroup"), groups);
	}
	for (int a = 0; a < ACCOUNTS; a++)
		reruns += t[a].reruns;
	fprintf(stderr,
		"\n  fleet: %d instances in %d accounts contained in %lld ms under faults; "
		"%d steps ran again\n",
		TOTAL, ACCOUNTS, ms, reruns);
	for (int a = 0; a < ACCOUNTS; a++) {
		json_object_put(t[a].groups);
		json_object_put(t[a].snaps);
		json_object_put(t[a].enis);
	}
	json_object_put(log);
	json_object_put(sum);
	free(out);
	free(err);
}

static int suite_init(void)
{
	irx_cli_init(&cli, &sim);
	if (irx_test_write(irx_cli_path(&cli, "runbook.yaml"), runbook) < 0 || write_config() < 0)
		return -1;
	return irx_sim_start(&sim);
}

static int suite_clean(void)
{
	irx_sim_stop(&sim);
	return 0;
}

static CU_TestInfo tests[] = {
    {"baseline", test_baseline},
    {"fleet_under_faults", test_fleet_under_faults},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("fleet_faults", tests, suite_init, suite_clean)
