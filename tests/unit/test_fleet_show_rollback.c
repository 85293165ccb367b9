/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seeing and releasing a fleet: `irx show FLEET_ID`, `irx executions --fleets` and
 * `irx rollback FLEET_ID [--dry-run]`, with the binary and the real isolate plugin against the
 * simulator. Eight instances in two accounts (222222222222 through the configuration's role
 * and ExternalId; one instance per account with an Elastic IP, one in an Auto Scaling group)
 * are contained as a fleet, shown, rolled back (the simulator's end state equals the seeded one:
 * ENIs in their groups, Elastic IPs associated, instances InService, irx tags gone); a second
 * rollback and a dry run change nothing. A fleet with a failed target and a rollback that fails;
 * a killed fleet (journals written as a kill leaves them) shown and rolled back; what is refused.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "fleet_journal.h"
#include "irx_cli_harness.h"
#include "journal.h"
#include "json_access.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

#define A1 "111111111111"
#define A2 "222222222222"
#define REGION "us-east-1"
#define EXTERNAL_ID "fleet-5d21"
#define PER_ACCOUNT 4
#define TARGETS (2 * PER_ACCOUNT)

static struct irx_sim sim;
static struct irx_cli cli;
static char instances[2][PER_ACCOUNT][32];
static char alloc_ids[2][32];

static const char isolate_rb[] =
    "schemaVersion: '0.3'\n"
    "description: isolate, for fleets\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "mainSteps:\n"
    "  - name: isolate\n"
    "    action: isolate:ec2Instance\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', UntrackWaitSeconds: 0,\n"
    "             RevokeCredentials: none}\n"
    "    outputs: [{Name: Summary, Selector: $.Summary, Type: String}]\n"
    "outputs: [isolate.Summary]\n";

static const char echo_rb[] = "schemaVersion: '0.3'\n"
			      "parameters:\n"
			      "  TargetArn: {type: String}\n"
			      "mainSteps:\n"
			      "  - name: first\n"
			      "    action: testkit:echo\n"
			      "    inputs: {Message: '{{ TargetArn }}'}\n";

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

static const char *acct_of(int a)
{
	return a ? A2 : A1;
}

static const char *arn_of(int a, int i)
{
	static char buf[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "arn:aws:ec2:" REGION ":%s:instance/%s", acct_of(a),
		 instances[a][i]);
	return buf[k];
}

/*
 * PER_ACCOUNT instances per account (instance 0 with an Elastic IP, instance 1 in Auto Scaling
 * group web-asg, one above its minimum), the responder role in A2, the targets file.
 */
static void seed(void)
{
	FILE *f = NULL;

	json_object_put(irx_sim_control_ok(&sim, "POST", "/__awssim/reset", "{}"));
	irx_sim_responder_role(&sim, A2, A1, EXTERNAL_ID);
	for (int a = 0; a < 2; a++) {
		struct json_object *r = NULL;

		json_object_put(
		    irx_sim_run_instances(&sim, acct_of(a), REGION, PER_ACCOUNT, "", instances[a]));
		r = irx_sim_call(&sim, acct_of(a), REGION, "ec2", "AllocateAddress",
				 "{\"Domain\":\"vpc\"}");
		snprintf(alloc_ids[a], sizeof(alloc_ids[a]), "%s", js(jk(r, "AllocationId")));
		json_object_put(r);
		json_object_put(irx_sim_call(&sim, acct_of(a), REGION, "ec2", "AssociateAddress",
					     "{\"AllocationId\":\"%s\",\"InstanceId\":\"%s\"}",
					     alloc_ids[a], instances[a][0]));
		json_object_put(
		    irx_sim_call(&sim, acct_of(a), REGION, "autoscaling", "CreateAutoScalingGroup",
				 "{\"AutoScalingGroupName\":\"web-asg\",\"MinSize\":1,"
				 "\"MaxSize\":3,\"DesiredCapacity\":1,\"InstanceId\":\"%s\"}",
				 instances[a][1]));
	}
	f = fopen(irx_cli_path(&cli, "targets.txt"), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int a = 0; a < 2; a++)
		for (int i = 0; i < PER_ACCOUNT; i++)
			fprintf(f, "%s\n", arn_of(a, i));
	fclose(f);
}

/*
 * What containment changes in account a, one line per instance: its ENIs' groups (the isolation
 * group written "iso"), its irx: tags, where the Elastic IP is (instance 0) and its Auto Scaling
 * state (instance 1). Transferred.
 */
static char *snapshot(int a)
{
	struct json_object *ec2 = irx_sim_state(&sim, acct_of(a), REGION, "ec2"),
			   *asg = irx_sim_state(&sim, acct_of(a), REGION, "autoscaling");
	struct json_object *g = jk(jk(asg, "groups"), "web-asg");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *iso = "";

	json_object_object_foreach(jk(ec2, "security_groups"), gid, sg)
	{
		if (strcmp(js(jk(sg, "GroupName")), "irx-isolation") == 0)
			iso = gid;
	}
	for (int i = 0; i < PER_ACCOUNT; i++) {
		fprintf(f, "instance %d:", i);
		json_object_object_foreach(jk(ec2, "enis"), id, eni)
		{
			struct json_object *groups = jk(eni, "Groups");

			(void)id;
			if (strcmp(js(jk(jk(eni, "Attachment"), "InstanceId")), instances[a][i]) !=
			    0)
				continue;
			for (size_t k = 0; k < json_object_array_length(groups); k++) {
				const char *gr =
				    js(jk(json_object_array_get_idx(groups, k), "GroupId"));

				fprintf(f, " %s", *iso && strcmp(gr, iso) == 0 ? "iso" : gr);
			}
		}
		if (jk(jk(ec2, "tags"), instances[a][i])) {
			json_object_object_foreach(jk(jk(ec2, "tags"), instances[a][i]), tk, tv)
			{
				if (strncmp(tk, "irx:", 4) == 0)
					fprintf(f, " tag %s", tk);
				(void)tv;
			}
		}
		if (i == 0)
			fprintf(
			    f, " eip %s",
			    *js(jk(jk(jk(ec2, "addresses"), alloc_ids[a]), "NetworkInterfaceId"))
				? "associated"
				: "none");
		if (i == 1)
			fprintf(f, " asg %s desired %d", js(jk(jk(g, "_members"), instances[a][1])),
				json_object_get_int(jk(g, "DesiredCapacity")));
		fputc('\n', f);
	}
	fclose(f);
	json_object_put(ec2);
	json_object_put(asg);
	return text;
}

/* Successful requests of op in acct since the log was cleared. */
static int succeeded(const char *acct, const char *op)
{
	char p[256];
	struct json_object *log = NULL, *reqs = NULL;
	int n = 0;

	snprintf(p, sizeof(p), "/__awssim/requests?account=%s&operation=%s", acct, op);
	log = irx_sim_control_ok(&sim, "GET", p, NULL);
	reqs = jk(log, "requests");
	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++)
		if (json_object_get_int(jk(json_object_array_get_idx(reqs, i), "status")) == 200)
			n++;
	json_object_put(log);
	return n;
}

/* ---- journals ------------------------------------------------------------------------------- */

static const char *the_fleet(void)
{
	static char id[64];
	char p[800];
	DIR *d = NULL;
	struct dirent *e = NULL;

	id[0] = '\0';
	snprintf(p, sizeof(p), "%s/fleets", cli.state_dir);
	d = opendir(p);
	while (d && (e = readdir(d)))
		if (strlen(e->d_name) == IRX_FLEET_ID_LEN + 6) {
			memcpy(id, e->d_name, IRX_FLEET_ID_LEN);
			id[IRX_FLEET_ID_LEN] = '\0';
		}
	if (d)
		closedir(d);
	return id;
}

static struct json_object *fleet_records(const char *id)
{
	struct irx_error err = {0};
	struct json_object *r =
	    irx_journal_read_kind(&irx_journal_kind_fleet, cli.state_dir, id, NULL, &err);

	return r ? r : json_object_new_array();
}

static int count(struct json_object *recs, const char *type)
{
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(recs); i++)
		n += strcmp(js(jk(json_object_array_get_idx(recs, i), "type")), type) == 0;
	return n;
}

static struct json_object *last_of(struct json_object *recs, const char *type)
{
	struct json_object *found = NULL;

	for (size_t i = 0; i < json_object_array_length(recs); i++)
		if (strcmp(js(jk(json_object_array_get_idx(recs, i), "type")), type) == 0)
			found = json_object_array_get_idx(recs, i);
	return found;
}

/* The execution id of the fleet's target arn (static), from its target_end. */
static const char *exec_of(const char *fleet, const char *arn)
{
	static char id[4][64];
	static int k;
	struct json_object *recs = fleet_records(fleet);

	k = (k + 1) % 4;
	id[k][0] = '\0';
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);

		if (strcmp(js(jk(r, "type")), "target_end") == 0 &&
		    strcmp(js(jk(r, "target")), arn) == 0)
			snprintf(id[k], sizeof(id[k]), "%s", js(jk(r, "execution_id")));
	}
	json_object_put(recs);
	return id[k];
}

static int starts_with(const char *s, const char *prefix)
{
	int ok = strncmp(s, prefix, strlen(prefix)) == 0;

	if (!ok)
		fprintf(stderr, "\n  expected a start of\n%s\n  got\n%s\n", prefix, s);
	return ok;
}

static int suite_init(void)
{
	irx_cli_init(&cli, &sim);
	if (irx_test_write(irx_cli_path(&cli, "isolate.yaml"), isolate_rb) < 0 ||
	    irx_test_write(irx_cli_path(&cli, "echo.yaml"), echo_rb) < 0 ||
	    irx_test_write(irx_cli_path(&cli, "irx.yaml"), config_yaml) < 0)
		return -1;
	return irx_sim_start(&sim);
}

static int suite_clean(void)
{
	irx_sim_stop(&sim);
	return 0;
}

/* ---- contained, shown, rolled back --------------------------------------------------------- */

static void test_contain_show_rollback(void)
{
	char *out = NULL, *err = NULL, *before[2] = {0}, *contained[2] = {0}, *now = NULL;
	char fleet[64], expect[2048], line[1024];
	struct json_object *doc = NULL, *recs = NULL, *rb = NULL;
	size_t warn = 0;

	irx_cli_use_plugins(&cli, "plugins");
	irx_cli_use_state(&cli, "state-main");
	seed();
	for (int a = 0; a < 2; a++) {
		before[a] = snapshot(a);
		CU_ASSERT_PTR_NULL(strstr(before[a], "iso"));
		IRX_ASSERT_CONTAINS(before[a], " eip associated");
		IRX_ASSERT_CONTAINS(before[a], " asg InService desired 2");
	}
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
				    "--targets", irx_cli_path(&cli, "targets.txt"), "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			0);
	IRX_ASSERT_CONTAINS(out, "8 targets: 8 contained, 0 skipped by exception, 0 failed (");
	free(out);
	free(err);
	snprintf(fleet, sizeof(fleet), "%s", the_fleet());
	CU_ASSERT_TRUE_FATAL(irx_fleet_id_valid(fleet));
	for (int a = 0; a < 2; a++) {
		contained[a] = snapshot(a);
		IRX_ASSERT_CONTAINS(contained[a], "instance 3: iso tag irx:");
		IRX_ASSERT_CONTAINS(contained[a], " eip none");
		IRX_ASSERT_CONTAINS(contained[a], " asg Standby desired 1");
	}

	/* irx show FLEET_ID */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", fleet, NULL), 0);
	snprintf(expect, sizeof(expect),
		 "Fleet       %s\nRunbook     isolate (%s)\nStatus      Ended\nStarted     ", fleet,
		 irx_cli_path(&cli, "isolate.yaml"));
	CU_ASSERT_TRUE(starts_with(out, expect));
	IRX_ASSERT_CONTAINS(out,
			    "\nRegion      us-east-1\nTargets     8: 8 contained, 0 skipped by "
			    "exception, 0 failed, 0 not started, 0 interrupted\n\nTargets\n");
	warn = strlen(arn_of(0, 0));
	snprintf(line, sizeof(line), "  %-9s  %-*s  %-36s  REASON\n", "OUTCOME", (int)warn,
		 "TARGET", "EXECUTION");
	IRX_ASSERT_CONTAINS(out, line);
	for (int a = 0; a < 2; a++)
		for (int i = 0; i < PER_ACCOUNT; i++) {
			const char *arn = arn_of(a, i);

			snprintf(line, sizeof(line), "\n  contained  %s  %s  -\n", arn,
				 exec_of(fleet, arn));
			CU_ASSERT_EQUAL(strlen(exec_of(fleet, arn)), 36);
			IRX_ASSERT_CONTAINS(out, line);
		}
	CU_ASSERT_PTR_NULL(strstr(out, "Rolled back"));
	CU_ASSERT_PTR_NULL(strstr(out, "irx resume"));
	CU_ASSERT_STRING_EQUAL(err, "");
	free(out);
	free(err);

	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", fleet, "--output", "json", NULL), 0);
	doc = json_tokener_parse(out);
	CU_ASSERT_STRING_EQUAL(js(jk(jk(doc, "Fleet"), "Status")), "Ended");
	CU_ASSERT_STRING_EQUAL(js(jk(jk(doc, "Fleet"), "FleetId")), fleet);
	CU_ASSERT_EQUAL(json_object_get_int(jk(jk(doc, "Fleet"), "Contained")), 8);
	CU_ASSERT_EQUAL(json_object_get_int(jk(jk(doc, "Fleet"), "Interrupted")), 0);
	CU_ASSERT_EQUAL(json_object_array_length(jk(jk(doc, "Fleet"), "Executions")), 8);
	CU_ASSERT_STRING_EQUAL(
	    js(jk(json_object_array_get_idx(jk(jk(doc, "Fleet"), "Executions"), 5), "Account")),
	    A2);
	CU_ASSERT_PTR_NULL(jk(jk(doc, "Fleet"), "RolledBack"));
	json_object_put(doc);
	free(out);
	free(err);

	/* irx executions --fleets; plain irx executions lists executions as before */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "executions", "--fleets", NULL), 0);
	CU_ASSERT_TRUE(starts_with(out, "FLEET                                       RUNBOOK  "
					"STATUS       STARTED"));
	snprintf(expect, sizeof(expect), "\n%s  isolate  Ended        ", fleet);
	IRX_ASSERT_CONTAINS(out, expect);
	IRX_ASSERT_CONTAINS(out,
			    "  8: 8 contained, 0 skipped by exception, 0 failed, 0 not started, "
			    "0 interrupted\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "executions", "--fleets", "-o", "json", NULL),
			0);
	doc = json_tokener_parse(out);
	CU_ASSERT_EQUAL(json_object_array_length(jk(doc, "Fleets")), 1);
	CU_ASSERT_STRING_EQUAL(js(jk(json_object_array_get_idx(jk(doc, "Fleets"), 0), "FleetId")),
			       fleet);
	CU_ASSERT_PTR_NULL(jk(json_object_array_get_idx(jk(doc, "Fleets"), 0), "Executions"));
	json_object_put(doc);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "executions", NULL), 0);
	CU_ASSERT_TRUE(starts_with(out, "EXECUTION "));
	CU_ASSERT_PTR_NULL(strstr(out, "fleet-"));
	free(out);
	free(err);

	/* a dry run changes nothing and is not recorded */
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", fleet, "--dry-run", "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			0);
	CU_ASSERT_TRUE(starts_with(out, "8 targets: 8 would be rolled back, 0 nothing to undo, 0 "
					"already rolled back, 0 failed ("));
	snprintf(expect, sizeof(expect),
		 "irx: rolling back fleet %s: 8 of 8 targets to roll back (dry run: nothing will "
		 "change)\n",
		 fleet);
	IRX_ASSERT_CONTAINS(err, expect);
	free(out);
	free(err);
	for (int a = 0; a < 2; a++) {
		now = snapshot(a);
		CU_ASSERT_STRING_EQUAL(now, contained[a]);
		free(now);
		CU_ASSERT_EQUAL(succeeded(acct_of(a), "ModifyNetworkInterfaceAttribute"), 0);
	}
	recs = fleet_records(fleet);
	CU_ASSERT_EQUAL(count(recs, "rollback"), 0);
	json_object_put(recs);

	/* the rollback: every instance as seeded */
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", fleet, "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			0);
	CU_ASSERT_TRUE(starts_with(out, "8 targets: 8 rolled back, 0 nothing to undo, 0 already "
					"rolled back, 0 failed ("));
	CU_ASSERT_PTR_NULL(strchr(strchr(out, '\n') + 1, '\n')); /* one line: nothing else */
	snprintf(expect, sizeof(expect),
		 "irx: fleet %s rolled back; 'irx show %s' for each target\n", fleet, fleet);
	IRX_ASSERT_CONTAINS(err, expect);
	free(out);
	free(err);
	for (int a = 0; a < 2; a++) {
		now = snapshot(a);
		CU_ASSERT_STRING_EQUAL(now, before[a]);
		free(now);
		CU_ASSERT_TRUE(succeeded(acct_of(a), "ModifyNetworkInterfaceAttribute") >=
			       PER_ACCOUNT);
	}
	recs = fleet_records(fleet);
	CU_ASSERT_EQUAL(count(recs, "rollback"), 1);
	rb = last_of(recs, "rollback");
	CU_ASSERT_EQUAL(json_object_get_int(jk(rb, "rolled_back")), 8);
	CU_ASSERT_EQUAL(json_object_array_length(jk(rb, "executions")), 8);
	for (size_t i = 0; i < json_object_array_length(jk(rb, "executions")); i++) {
		struct json_object *x = json_object_array_get_idx(jk(rb, "executions"), i);
		struct json_object *first =
		    irx_journal_read_first(cli.state_dir, js(jk(x, "rollback_execution_id")));

		CU_ASSERT_STRING_EQUAL(js(jk(x, "outcome")), "rolled-back");
		CU_ASSERT_STRING_EQUAL(js(jk(first, "mode")), "rollback");
		CU_ASSERT_STRING_EQUAL(js(jk(first, "parent_execution_id")),
				       exec_of(fleet, js(jk(x, "target"))));
		json_object_put(first);
	}

	/* show says it was released, and which rollback released each target */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", fleet, NULL), 0);
	snprintf(expect, sizeof(expect),
		 "\nRolled back %s: 8 rolled back, 0 nothing to undo, 0 "
		 "already rolled back, 0 failed\n",
		 js(jk(rb, "end_time")));
	IRX_ASSERT_CONTAINS(out, expect);
	for (size_t i = 0; i < json_object_array_length(jk(rb, "executions")); i++) {
		struct json_object *x = json_object_array_get_idx(jk(rb, "executions"), i);

		snprintf(line, sizeof(line), "\n  contained  %s  %s  %s  -\n", js(jk(x, "target")),
			 js(jk(x, "execution_id")), js(jk(x, "rollback_execution_id")));
		IRX_ASSERT_CONTAINS(out, line);
	}
	free(out);
	free(err);
	json_object_put(recs);

	/* a second rollback finds each execution rolled back and changes nothing */
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", fleet, "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			0);
	CU_ASSERT_TRUE(starts_with(out, "8 targets: 0 rolled back, 0 nothing to undo, 8 already "
					"rolled back, 0 failed ("));
	recs = fleet_records(fleet);
	rb = json_object_array_get_idx(
	    jk(json_object_array_get_idx(recs, json_object_array_length(recs) - 2), "executions"),
	    0);
	snprintf(
	    line, sizeof(line), "\nalready-rolled-back\t%s\t%s\t-\talready rolled back by %s\n",
	    js(jk(rb, "target")), js(jk(rb, "execution_id")), js(jk(rb, "rollback_execution_id")));
	IRX_ASSERT_CONTAINS(out, line);
	CU_ASSERT_EQUAL(count(recs, "rollback"), 2);
	snprintf(expect, sizeof(expect), "irx: fleet %s: nothing left to roll back\n", fleet);
	IRX_ASSERT_CONTAINS(err, expect);
	free(out);
	free(err);
	/* show still names the rollback that released each target */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", fleet, NULL), 0);
	IRX_ASSERT_CONTAINS(out, ": 0 rolled back, 0 nothing to undo, 8 already rolled back, 0 "
				 "failed\n");
	snprintf(line, sizeof(line), "\n  contained  %s  %s  %s  -\n", js(jk(rb, "target")),
		 js(jk(rb, "execution_id")), js(jk(rb, "rollback_execution_id")));
	IRX_ASSERT_CONTAINS(out, line);
	json_object_put(recs);
	free(out);
	free(err);
	for (int a = 0; a < 2; a++) {
		now = snapshot(a);
		CU_ASSERT_STRING_EQUAL(now, before[a]);
		free(now);
		CU_ASSERT_EQUAL(succeeded(acct_of(a), "ModifyNetworkInterfaceAttribute"), 0);
		CU_ASSERT_EQUAL(succeeded(acct_of(a), "AssociateAddress"), 0);
		CU_ASSERT_EQUAL(succeeded(acct_of(a), "ExitStandby"), 0);
		free(before[a]);
		free(contained[a]);
	}
}

/* ---- a failed target, a rollback that fails ------------------------------------------------ */

static void test_failed_target_and_rollback(void)
{
	char *out = NULL, *err = NULL, fleet[64], text[1024], expect[1024];
	const char *missing = "arn:aws:ec2:" REGION ":" A1 ":instance/i-0000000000000dead";
	struct json_object *r = NULL, *list = NULL;
	char doomed[32] = "", vpc[32] = "", doomed_instance[32] = "";

	irx_cli_use_plugins(&cli, "plugins");
	irx_cli_use_state(&cli, "state-failed");
	seed();
	/* an instance in a group of its own, deleted once contained: its rollback cannot restore */
	r = irx_sim_call(&sim, A1, REGION, "ec2", "DescribeVpcs", "{}");
	snprintf(vpc, sizeof(vpc), "%s",
		 js(jk(json_object_array_get_idx(jk(r, "Vpcs"), 0), "VpcId")));
	json_object_put(r);
	r = irx_sim_call(&sim, A1, REGION, "ec2", "CreateSecurityGroup",
			 "{\"GroupName\":\"doomed\",\"Description\":\"d\",\"VpcId\":\"%s\"}", vpc);
	snprintf(doomed, sizeof(doomed), "%s", js(jk(r, "GroupId")));
	json_object_put(r);
	r = irx_sim_call(&sim, A1, REGION, "ec2", "RunInstances",
			 "{\"ImageId\":\"" IRX_SIM_AMI
			 "\",\"MinCount\":1,\"MaxCount\":1,\"SecurityGroupIds\":"
			 "[\"%s\"]}",
			 doomed);
	list = jk(r, "Instances");
	snprintf(doomed_instance, sizeof(doomed_instance), "%s",
		 js(jk(json_object_array_get_idx(list, 0), "InstanceId")));
	json_object_put(r);
	snprintf(text, sizeof(text), "%s\n%s\narn:aws:ec2:" REGION ":" A1 ":instance/%s\n",
		 arn_of(0, 2), missing, doomed_instance);
	CU_ASSERT_EQUAL(irx_test_write(irx_cli_path(&cli, "three.txt"), text), 0);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
				    "--targets", irx_cli_path(&cli, "three.txt"), "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			1);
	IRX_ASSERT_CONTAINS(out, "3 targets: 2 contained, 0 skipped by exception, 1 failed (");
	free(out);
	free(err);
	snprintf(fleet, sizeof(fleet), "%s", the_fleet());

	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", fleet, NULL), 0);
	IRX_ASSERT_CONTAINS(out,
			    "\nTargets     3: 2 contained, 0 skipped by exception, 1 failed, 0 "
			    "not started, 0 interrupted\n");
	snprintf(expect, sizeof(expect), "\n  failed     %s  %s  ", missing,
		 exec_of(fleet, missing));
	IRX_ASSERT_CONTAINS(out, expect);
	free(out);
	free(err);

	r = irx_sim_call(&sim, A1, REGION, "ec2", "DeleteSecurityGroup", "{\"GroupId\":\"%s\"}",
			 doomed);
	json_object_put(r);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", fleet, "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			1);
	CU_ASSERT_TRUE(starts_with(out, "3 targets: 1 rolled back, 1 nothing to undo, 0 already "
					"rolled back, 1 failed ("));
	snprintf(expect, sizeof(expect),
		 "\nnothing-to-undo\t%s\t%s\t-\tno step recorded a change\n", missing,
		 exec_of(fleet, missing));
	IRX_ASSERT_CONTAINS(out, expect);
	snprintf(expect, sizeof(expect), "\nfailed\tarn:aws:ec2:" REGION ":" A1 ":instance/%s\t",
		 doomed_instance);
	IRX_ASSERT_CONTAINS(out, expect);
	IRX_ASSERT_CONTAINS(out, "could not roll back step 'isolate': ");
	snprintf(expect, sizeof(expect), "irx: fleet %s rolled back in part; 'irx show %s'", fleet,
		 fleet);
	IRX_ASSERT_CONTAINS(err, expect);
	free(out);
	free(err);

	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", fleet, NULL), 0);
	IRX_ASSERT_CONTAINS(out, ": 1 rolled back, 1 nothing to undo, 0 already rolled back, 1 "
				 "failed\n");
	snprintf(expect, sizeof(expect),
		 "\nRollback of arn:aws:ec2:" REGION ":" A1 ":instance/%s failed: could not roll "
		 "back step 'isolate': ",
		 doomed_instance);
	IRX_ASSERT_CONTAINS(out, expect);
	free(out);
	free(err);

	/* again: the rolled-back one is left alone, the failed one is tried again (and fails) */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", fleet, "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			1);
	CU_ASSERT_TRUE(starts_with(out, "3 targets: 0 rolled back, 1 nothing to undo, 1 already "
					"rolled back, 1 failed ("));
	free(out);
	free(err);
}

/* ---- an interrupted fleet ------------------------------------------------------------------- */

#define FLEET "fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b22"
#define E1 "11111111-1111-4111-8111-111111111111"
#define E2 "22222222-2222-4222-8222-222222222222"
#define T1 "arn:aws:ec2:us-east-1:111111111111:instance/i-00000000000000001"
#define T2 "arn:aws:ec2:us-east-1:111111111111:instance/i-00000000000000002"
#define T3 "arn:aws:ec2:us-east-1:222222222222:instance/i-00000000000000003"

static void write_file(const char *sub, const char *id, const char *text)
{
	char p[1024];

	mkdir(cli.state_dir, 0700);
	snprintf(p, sizeof(p), "%s/%s", cli.state_dir, sub);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/%s/%s.jsonl", cli.state_dir, sub, id);
	CU_ASSERT_EQUAL(irx_test_write(p, text), 0);
}

/* What a kill leaves: T1 ended, T2 mid-step, T3 not started. */
static void write_interrupted(bool dry_run)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "{\"type\":\"fleet_start\",\"fleet_id\":\"" FLEET "\",\"runbook\":\"echo\","
		 "\"runbook_path\":\"%s\",\"targets\":[\"" T1 "\",\"" T2 "\",\"" T3 "\"],"
		 "\"assignments\":{},\"dry_run\":%s,\"region\":\"us-east-1\",\"concurrency\":2,"
		 "\"per_account\":1,\"per_region\":2,\"start_time\":\"2026-01-02T03:04:05.000Z\"}\n"
		 "{\"type\":\"target_end\",\"target\":\"" T1 "\",\"execution_id\":\"" E1 "\","
		 "\"account\":\"111111111111\",\"region\":\"us-east-1\",\"outcome\":\"contained\","
		 "\"status\":\"Success\",\"reason\":null,\"duration_ms\":1200}\n",
		 irx_cli_path(&cli, "echo.yaml"), dry_run ? "true" : "false");
	write_file("fleets", FLEET, text);
	write_file(
	    "executions", E1,
	    "{\"type\":\"execution_start\",\"execution_id\":\"" E1 "\",\"runbook\":\"echo\","
	    "\"parameters\":{\"TargetArn\":\"" T1 "\"},\"dry_run\":false,\"account_id\":"
	    "\"111111111111\",\"region\":\"us-east-1\",\"mode\":\"run\",\"fleet_id\":\"" FLEET
	    "\",\"start_time\":\"2026-01-02T03:04:05.100Z\"}\n"
	    "{\"type\":\"step_start\",\"step\":\"first\",\"action\":\"testkit:echo\","
	    "\"attempt\":1}\n"
	    "{\"type\":\"step_end\",\"step\":\"first\",\"action\":\"testkit:echo\","
	    "\"attempt\":1,\"status\":\"Success\",\"undo\":null}\n"
	    "{\"type\":\"execution_end\",\"status\":\"Success\",\"duration_ms\":1200}\n");
	write_file(
	    "executions", E2,
	    "{\"type\":\"execution_start\",\"execution_id\":\"" E2 "\",\"runbook\":\"echo\","
	    "\"parameters\":{\"TargetArn\":\"" T2 "\"},\"dry_run\":false,\"account_id\":"
	    "\"111111111111\",\"region\":\"us-east-1\",\"mode\":\"run\",\"fleet_id\":\"" FLEET
	    "\",\"start_time\":\"2026-01-02T03:04:05.200Z\"}\n"
	    "{\"type\":\"step_start\",\"step\":\"first\",\"action\":\"testkit:echo\","
	    "\"attempt\":1}\n");
}

static void test_interrupted_fleet(void)
{
	char *out = NULL, *err = NULL, expect[4096];
	struct json_object *recs = NULL;

	irx_cli_use_plugins(&cli, "tests/plugins");
	irx_cli_use_state(&cli, "state-interrupted");
	write_interrupted(false);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", FLEET, NULL), 0);
	snprintf(expect, sizeof(expect),
		 "Fleet       " FLEET "\n"
		 "Runbook     echo (%s)\n"
		 "Status      Interrupted\n"
		 "Started     2026-01-02T03:04:05.000Z\n"
		 "Ended       -\n"
		 "Duration    -\n"
		 "Region      us-east-1\n"
		 "Targets     3: 1 contained, 0 skipped by exception, 0 failed, 1 not started, 1 "
		 "interrupted\n"
		 "\n"
		 "Targets\n"
		 "  OUTCOME      TARGET                                                           "
		 "EXECUTION                             REASON\n"
		 "  contained    " T1 "  " E1 "  -\n"
		 "  interrupted  " T2 "  " E2 "  interrupted in step 'first'\n"
		 "  not-started  " T3 "  -                                     -\n"
		 "\n"
		 "The fleet was interrupted (killed before it ended): 'irx resume " FLEET "'\n"
		 "continues it (interrupted executions resumed, targets not started started);\n"
		 "'irx rollback " FLEET "' releases what it contained instead.\n",
		 irx_cli_path(&cli, "echo.yaml"));
	CU_ASSERT_STRING_EQUAL(out, expect);
	if (strcmp(out, expect) != 0)
		fprintf(stderr, "\n  got:\n%s\n  expected:\n%s\n", out, expect);
	free(out);
	free(err);

	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "executions", "--fleets", NULL), 0);
	IRX_ASSERT_CONTAINS(out,
			    "\n" FLEET "  echo     Interrupted  2026-01-02T03:04:05.000Z  -     "
			    "    3: 1 contained, 0 skipped by exception, 0 failed, 1 not "
			    "started, 1 interrupted\n");
	free(out);
	free(err);

	/* it can be rolled back, and says so; nothing here changed anything */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", FLEET, NULL), 0);
	CU_ASSERT_TRUE(starts_with(out, "3 targets: 0 rolled back, 3 nothing to undo, 0 already "
					"rolled back, 0 failed ("));
	IRX_ASSERT_CONTAINS(out,
			    "\nnothing-to-undo\t" T2 "\t" E2 "\t-\tno step recorded a change\n");
	IRX_ASSERT_CONTAINS(out, "\nnothing-to-undo\t" T3 "\t-\t-\tno execution started\n");
	IRX_ASSERT_CONTAINS(err,
			    "irx: fleet " FLEET " was interrupted (it did not end; 1 execution "
			    "did not end): ");
	free(out);
	free(err);
	recs = fleet_records(FLEET);
	CU_ASSERT_EQUAL(count(recs, "rollback"), 1);
	CU_ASSERT_EQUAL(json_object_get_int(jk(last_of(recs, "rollback"), "nothing_to_undo")), 3);
	json_object_put(recs);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", FLEET, NULL), 0);
	IRX_ASSERT_CONTAINS(out, "\nStatus      Interrupted\n");
	IRX_ASSERT_CONTAINS(out, ": 0 rolled back, 3 nothing to undo, 0 already rolled back, 0 "
				 "failed\n");
	IRX_ASSERT_CONTAINS(out, "  interrupted  " T2 "  " E2 "  nothing-to-undo  interrupted in "
				 "step 'first'\n");
	free(out);
	free(err);

	/* released on purpose: a resume would contain it again, so it asks for --force */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", FLEET, NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx resume: fleet " FLEET " was rolled back ('irx show " FLEET
				    "'): resuming would contain its targets again; use --force if "
				    "that is what you want\n");
	free(out);
	free(err);
}

/* ---- refused --------------------------------------------------------------------------------- */

static void test_refused(void)
{
	char *out = NULL, *err = NULL, expect[1024], p[1024];
	int fd = -1;

	irx_cli_use_plugins(&cli, "tests/plugins");
	irx_cli_use_state(&cli, "state-refused");
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback",
				    "fleet-00000000-0000-4000-8000-000000000000", NULL),
			3);
	snprintf(expect, sizeof(expect),
		 "irx rollback: no fleet 'fleet-00000000-0000-4000-8000-000000000000' in %s\n",
		 cli.state_dir);
	CU_ASSERT_STRING_EQUAL(err, expect);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show",
				    "fleet-00000000-0000-4000-8000-000000000000", NULL),
			3);
	snprintf(expect, sizeof(expect),
		 "irx show: no fleet 'fleet-00000000-0000-4000-8000-000000000000' in %s\n",
		 cli.state_dir);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", "fleet-nope", NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx rollback: 'fleet-nope' is not a fleet id\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", "fleet-nope", NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx show: 'fleet-nope' is not a fleet id\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "executions", "--fleets", NULL), 0);
	snprintf(expect, sizeof(expect), "irx executions: no fleets in %s\n", cli.state_dir);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", E1, "--concurrency", "2", NULL),
			2);
	CU_ASSERT_STRING_EQUAL(err, "irx rollback: --config, --concurrency, --per-account and "
				    "--per-region are for a fleet (FLEET_ID)\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", FLEET, "--per-region", "0", NULL),
			2);
	CU_ASSERT_STRING_EQUAL(err, "irx rollback: --per-region must be 1..256, got '0'\n");
	free(out);
	free(err);

	/* still running: a process holds its journal */
	write_interrupted(false);
	snprintf(p, sizeof(p), "%s/fleets/" FLEET ".jsonl", cli.state_dir);
	fd = open(p, O_RDONLY);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(flock(fd, LOCK_EX), 0);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", FLEET, NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx rollback: fleet " FLEET " is still running; roll it back "
				    "once it has ended\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", FLEET, NULL), 0);
	IRX_ASSERT_CONTAINS(out, "\nStatus      Running\n");
	CU_ASSERT_PTR_NULL(strstr(out, "irx resume"));
	free(out);
	free(err);
	close(fd);

	/* a dry run changed nothing */
	write_interrupted(true);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "rollback", FLEET, NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx rollback: fleet " FLEET " was a dry run: it changed "
				    "nothing to roll back\n");
	free(out);
	free(err);

	/* a damaged fleet journal: located */
	write_file("fleets", FLEET, "{\"type\":\"resume\"}\n");
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "show", FLEET, NULL), 2);
	snprintf(expect, sizeof(expect),
		 "irx show: fleet journal '%s' line 1: the first record is 'resume', not "
		 "fleet_start\n",
		 p);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);
}

static CU_TestInfo tests[] = {
    {"refused", test_refused},
    {"interrupted_fleet", test_interrupted_fleet},
    {"contain_show_rollback", test_contain_show_rollback},
    {"failed_target_and_rollback", test_failed_target_and_rollback},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("fleet_show_rollback", tests, suite_init, suite_clean)
