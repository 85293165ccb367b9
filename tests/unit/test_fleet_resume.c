/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx resume FLEET_ID: `irx run --targets` is killed with SIGKILL mid-fleet (some executions
 * ended, some mid-step, some targets not started), then the fleet is resumed. Against the
 * simulator (12 instances in two accounts, injected latency): every target contained, every
 * execution journal complete, the ended executions not run again, and the simulator's end state
 * and change count equal an uninterrupted run's. With testkit: an interrupted non-idempotent
 * step is refused (that target failed with resume's message, the others run), --force runs it.
 * Also what cannot be resumed, and the fleet journal reader on bad input.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
#define PER_ACCOUNT 6
#define TARGETS (2 * PER_ACCOUNT)

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
    "    maxAttempts: 3\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', UntrackWaitSeconds: 0, AutoScaling: none,\n"
    "             RevokeCredentials: none}\n"
    "    outputs: [{Name: Summary, Selector: $.Summary, Type: String}]\n"
    "outputs: [isolate.Summary]\n";

/* testkit: "slow" is not idempotent; Name is plain, so the fleet journal keeps it */
static const char unsafe_rb[] = "schemaVersion: '0.3'\n"
				"parameters:\n"
				"  TargetArn: {type: String}\n"
				"  Name: {type: String}\n"
				"mainSteps:\n"
				"  - name: first\n"
				"    action: testkit:echo\n"
				"    inputs: {Message: '{{ Name }}'}\n"
				"    outputs: [{Name: Msg, Selector: $.Message, Type: String}]\n"
				"  - name: slow\n"
				"    action: testkit:slow\n"
				"    inputs: {Millis: 1500}\n"
				"  - name: last\n"
				"    action: testkit:echo\n"
				"    inputs: {Message: '{{ first.Msg }}-{{ TargetArn }}'}\n"
				"    outputs: [{Name: Msg, Selector: $.Message, Type: String}]\n"
				"outputs: [last.Msg]\n";

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

/* PER_ACCOUNT instances per account, the responder role in A2; the targets file; latency. */
static void seed(int latency_ms)
{
	const char *accts[2] = {A1, A2};
	char body[256];
	FILE *f = NULL;

	json_object_put(irx_sim_control_ok(&sim, "POST", "/__awssim/reset", "{}"));
	irx_sim_responder_role(&sim, A2, A1, EXTERNAL_ID);
	for (int a = 0; a < 2; a++) {
		json_object_put(
		    irx_sim_run_instances(&sim, accts[a], REGION, PER_ACCOUNT, "", instances[a]));
	}
	f = fopen(irx_cli_path(&cli, "targets.txt"), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int a = 0; a < 2; a++)
		for (int i = 0; i < PER_ACCOUNT; i++)
			fprintf(f, "arn:aws:ec2:" REGION ":%s:instance/%s\n", a ? A2 : A1,
				instances[a][i]);
	fclose(f);
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
	if (latency_ms) {
		snprintf(body, sizeof(body), "[{\"kind\":\"latency\",\"latency_ms\":%d}]",
			 latency_ms);
		json_object_put(irx_sim_control_ok(&sim, "POST", "/__awssim/faults", body));
	}
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

/*
 * The account's ENIs of seeded instances as "eni groups tcp/udpstream/udp" lines, sorted by
 * instance index: what containment leaves behind (group ids differ between runs, so the
 * isolation group is written "iso" and anything else as is).
 */
static char *end_state(int a)
{
	char p[256], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json_object *all = NULL, *ec2 = NULL;
	const char *iso = "";

	snprintf(p, sizeof(p), "/__awssim/state?account=%s&service=ec2", a ? A2 : A1);
	all = irx_sim_control_ok(&sim, "GET", p, NULL);
	snprintf(p, sizeof(p), "%s/" REGION "/ec2", a ? A2 : A1);
	ec2 = jk(jk(all, "state"), p);
	json_object_object_foreach(jk(ec2, "security_groups"), gid, g)
	{
		if (strcmp(js(jk(g, "GroupName")), "irx-isolation") == 0)
			iso = gid;
	}
	for (int i = 0; i < PER_ACCOUNT; i++) {
		json_object_object_foreach(jk(ec2, "enis"), id, eni)
		{
			struct json_object *groups = jk(eni, "Groups");
			struct json_object *ct = jk(eni, "ConnectionTrackingConfiguration");

			(void)id;
			if (strcmp(js(jk(jk(eni, "Attachment"), "InstanceId")), instances[a][i]) !=
			    0)
				continue;
			fprintf(f, "instance %d:", i);
			for (size_t k = 0; k < json_object_array_length(groups); k++) {
				const char *gr =
				    js(jk(json_object_array_get_idx(groups, k), "GroupId"));

				fprintf(f, " %s", *iso && strcmp(gr, iso) == 0 ? "iso" : gr);
			}
			fprintf(f, " ct %s/%s/%s\n", js(jk(ct, "TcpEstablishedTimeout")),
				js(jk(ct, "UdpStreamTimeout")), js(jk(ct, "UdpTimeout")));
		}
	}
	fclose(f);
	json_object_put(all);
	return text;
}

/* ---- journals ------------------------------------------------------------------------------- */

/* The one fleet in the state directory (static), "" when none yet. */
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

static struct json_object *exec_records(const char *id)
{
	struct irx_error err = {0};
	struct json_object *r = irx_journal_read(cli.state_dir, id, NULL, &err);

	CU_ASSERT_PTR_NOT_NULL(r);
	return r ? r : json_object_new_array();
}

static int count(struct json_object *recs, const char *type, const char *step)
{
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *r = json_object_array_get_idx(recs, i);

		if (strcmp(js(jk(r, "type")), type) == 0 &&
		    (!step || strcmp(js(jk(r, "step")), step) == 0))
			n++;
	}
	return n;
}

struct fleet_exec {
	char id[IRX_EXECUTION_ID_LEN + 1];
	char arn[128];
	int ended, open_step; /* execution_end seen; a step_start without its step_end */
	char open_in[64];     /* that step's name */
};

/* The executions whose execution_start names the fleet. */
static size_t fleet_executions(const char *fleet, struct fleet_exec *out, size_t max)
{
	char p[800];
	DIR *d = NULL;
	struct dirent *e = NULL;
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/executions", cli.state_dir);
	d = opendir(p);
	while (d && (e = readdir(d)) && n < max) {
		char id[IRX_EXECUTION_ID_LEN + 1] = "";
		struct json_object *recs = NULL, *first = NULL;

		if (strlen(e->d_name) != IRX_EXECUTION_ID_LEN + 6)
			continue;
		memcpy(id, e->d_name, IRX_EXECUTION_ID_LEN);
		first = irx_journal_read_first(cli.state_dir, id);
		if (first && strcmp(js(jk(first, "fleet_id")), fleet) == 0) {
			recs = exec_records(id);
			snprintf(out[n].id, sizeof(out[n].id), "%s", id);
			snprintf(out[n].arn, sizeof(out[n].arn), "%s",
				 js(jk(jk(first, "parameters"), "TargetArn")));
			out[n].ended = count(recs, "execution_end", NULL);
			out[n].open_step =
			    count(recs, "step_start", NULL) > count(recs, "step_end", NULL);
			out[n].open_in[0] = '\0';
			for (size_t k = json_object_array_length(recs); out[n].open_step && k > 0;
			     k--) {
				struct json_object *r = json_object_array_get_idx(recs, k - 1);

				if (strcmp(js(jk(r, "type")), "step_start") == 0) {
					snprintf(out[n].open_in, sizeof(out[n].open_in), "%s",
						 js(jk(r, "step")));
					break;
				}
			}
			json_object_put(recs);
			n++;
		}
		json_object_put(first);
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * Starts irx with args (NULL-terminated), waits until the fleet journal has `ended` target_end
 * records and an execution of the fleet is mid-step (in step `step`, when not NULL), then kills
 * it with SIGKILL. Returns the fleet id (static), "" when it never got there.
 */
static const char *run_and_kill(int ended, const char *step, const char *const *args)
{
	static char id[64];
	const char *argv[40] = {irx_test_build("irx")};
	const char *const *e = irx_cli_env(&cli);
	pid_t pid = 0;
	int status = 0, done = 0;

	for (size_t i = 0; args[i] && i < 38; i++)
		argv[i + 1] = args[i];
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		for (; *e; e++)
			if (strchr(*e, '='))
				putenv((char *)*e);
			else
				unsetenv(*e);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	id[0] = '\0';
	for (int i = 0; i < 3000 && !done; i++) {
		struct json_object *recs = NULL;

		usleep(10000);
		snprintf(id, sizeof(id), "%s", the_fleet());
		if (!*id)
			continue;
		recs = fleet_records(id);
		if (count(recs, "target_end", NULL) >= ended) {
			struct fleet_exec ex[TARGETS];
			size_t n = fleet_executions(id, ex, TARGETS);

			for (size_t k = 0; k < n; k++)
				done |= !ex[k].ended && ex[k].open_step &&
					(!step || strcmp(ex[k].open_in, step) == 0);
		}
		json_object_put(recs);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CU_ASSERT_TRUE(done);
	return id;
}

static int suite_init(void)
{
	irx_cli_init(&cli, &sim);
	if (irx_test_write(irx_cli_path(&cli, "isolate.yaml"), isolate_rb) < 0 ||
	    irx_test_write(irx_cli_path(&cli, "unsafe.yaml"), unsafe_rb) < 0 ||
	    irx_test_write(irx_cli_path(&cli, "irx.yaml"), config_yaml) < 0)
		return -1;
	return irx_sim_start(&sim);
}

static int suite_clean(void)
{
	irx_sim_stop(&sim);
	return 0;
}

/* ---- killed mid-fleet, resumed ------------------------------------------------------------- */

static void test_kill_and_resume(void)
{
	char rbp[1024], tp[1024], cp[1024];
	const char *args[] = {"run",	       rbp, "--targets",     tp,  "--config", cp,
			      "--concurrency", "4", "--per-account", "2", NULL};
	char *out = NULL, *err = NULL, *ref_state[2] = {0}, expect[512];
	int ref_changes[2] = {0}, ref_groups[2] = {0}, status = 0;
	struct fleet_exec before[TARGETS], after[TARGETS];
	size_t nbefore = 0, nafter = 0, ended = 0, mid = 0;
	struct json_object *sum = NULL, *recs = NULL;
	char fleet[64];

	irx_cli_use_plugins(&cli, "plugins");
	snprintf(rbp, sizeof(rbp), "%s", irx_cli_path(&cli, "isolate.yaml"));
	snprintf(tp, sizeof(tp), "%s", irx_cli_path(&cli, "targets.txt"));
	snprintf(cp, sizeof(cp), "%s", irx_cli_path(&cli, "irx.yaml"));

	/* the reference: the same fleet, uninterrupted */
	irx_cli_use_state(&cli, "state-ref");
	seed(0);
	status = irx_cli_run(&cli, &out, &err, "run", irx_cli_path(&cli, "isolate.yaml"),
			     "--targets", irx_cli_path(&cli, "targets.txt"), "--config",
			     irx_cli_path(&cli, "irx.yaml"), "--concurrency", "4", "--per-account",
			     "2", NULL);
	CU_ASSERT_EQUAL(status, 0);
	IRX_ASSERT_CONTAINS(out, "12 targets: 12 contained, 0 skipped by exception, 0 failed (");
	free(out);
	free(err);
	for (int a = 0; a < 2; a++) {
		ref_state[a] = end_state(a);
		ref_changes[a] = succeeded(a ? A2 : A1, "ModifyNetworkInterfaceAttribute");
		ref_groups[a] = succeeded(a ? A2 : A1, "CreateSecurityGroup");
	}
	CU_ASSERT_EQUAL(ref_changes[0], 3 * PER_ACCOUNT);
	CU_ASSERT_EQUAL(ref_changes[1], 3 * PER_ACCOUNT);
	/* the uninterrupted fleet's journal: start, a target_end each, end */
	snprintf(fleet, sizeof(fleet), "%s", the_fleet());
	CU_ASSERT_TRUE(irx_fleet_id_valid(fleet));
	recs = fleet_records(fleet);
	CU_ASSERT_EQUAL(json_object_array_length(recs), TARGETS + 2);
	CU_ASSERT_EQUAL(count(recs, "fleet_start", NULL), 1);
	CU_ASSERT_EQUAL(count(recs, "target_end", NULL), TARGETS);
	CU_ASSERT_EQUAL(count(recs, "fleet_end", NULL), 1);
	CU_ASSERT_EQUAL(json_object_array_length(jk(json_object_array_get_idx(recs, 0), "targets")),
			TARGETS);
	CU_ASSERT_STRING_EQUAL(js(jk(json_object_array_get_idx(recs, TARGETS + 1), "contained")),
			       "12");
	json_object_put(recs);

	/* killed: some executions ended, some mid-step, some targets not started */
	irx_cli_use_state(&cli, "state-kill");
	seed(120);
	snprintf(fleet, sizeof(fleet), "%s", run_and_kill(3, NULL, args));
	CU_ASSERT_TRUE_FATAL(irx_fleet_id_valid(fleet));
	nbefore = fleet_executions(fleet, before, TARGETS);
	for (size_t i = 0; i < nbefore; i++) {
		ended += before[i].ended != 0;
		mid += !before[i].ended;
	}
	CU_ASSERT_TRUE(ended >= 3);
	CU_ASSERT_TRUE(mid >= 1);
	CU_ASSERT_TRUE(nbefore < TARGETS); /* some had not started */
	recs = fleet_records(fleet);
	CU_ASSERT_EQUAL(count(recs, "fleet_end", NULL), 0);
	json_object_put(recs);
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/faults", NULL));

	status = irx_cli_run(&cli, &out, &err, "resume", fleet, "--config",
			     irx_cli_path(&cli, "irx.yaml"), "-o", "json", NULL);
	if (status != 0)
		fprintf(stderr, "\n  irx resume %s -> %d\n%s%s\n", fleet, status, out, err);
	CU_ASSERT_EQUAL(status, 0);
	snprintf(expect, sizeof(expect),
		 "irx: resuming fleet %s of 'isolate': 12 targets (%zu ended, %zu interrupted, %zu "
		 "not started)\n",
		 fleet, ended, mid, TARGETS - nbefore);
	IRX_ASSERT_CONTAINS(err, expect);
	IRX_ASSERT_CONTAINS(err, "irx: [12/12] contained ");
	sum = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_STRING_EQUAL(js(jk(sum, "FleetId")), fleet);
	CU_ASSERT_STRING_EQUAL(js(jk(sum, "Runbook")), "isolate");
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Targets")), TARGETS);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Contained")), TARGETS);
	CU_ASSERT_EQUAL(json_object_get_int(jk(sum, "Failed")), 0);
	for (size_t i = 0; i < json_object_array_length(jk(sum, "Executions")); i++) {
		struct json_object *e = json_object_array_get_idx(jk(sum, "Executions"), i);
		char arn[128];

		snprintf(arn, sizeof(arn), "arn:aws:ec2:" REGION ":%s:instance/%s",
			 i < PER_ACCOUNT ? A1 : A2, instances[i / PER_ACCOUNT][i % PER_ACCOUNT]);
		CU_ASSERT_STRING_EQUAL(js(jk(e, "TargetArn")), arn); /* the fleet's order */
		CU_ASSERT_STRING_EQUAL(js(jk(e, "Outcome")), "contained");
		/* an execution that existed kept its id */
		for (size_t k = 0; k < nbefore; k++)
			if (strcmp(before[k].arn, arn) == 0)
				CU_ASSERT_STRING_EQUAL(js(jk(e, "AutomationExecutionId")),
						       before[k].id);
	}
	json_object_put(sum);
	free(out);
	free(err);

	/* one execution per target, each complete; the ended ones not run again */
	nafter = fleet_executions(fleet, after, TARGETS);
	CU_ASSERT_EQUAL(nafter, TARGETS);
	for (size_t i = 0; i < nafter; i++) {
		struct json_object *r = exec_records(after[i].id);
		int was = -1;

		for (size_t k = 0; k < nbefore; k++)
			if (strcmp(before[k].id, after[i].id) == 0)
				was = before[k].ended ? 1 : 0;
		CU_ASSERT_EQUAL(count(r, "execution_start", NULL), 1);
		CU_ASSERT_EQUAL(count(r, "execution_end", NULL), 1);
		CU_ASSERT_EQUAL(count(r, "resume", NULL), was == 0 ? 1 : 0);
		CU_ASSERT_STRING_EQUAL(
		    js(jk(json_object_array_get_idx(r, json_object_array_length(r) - 1), "status")),
		    "Success");
		json_object_put(r);
	}
	/* the fleet journal: start, the kill, resume, a target_end per target, end */
	recs = fleet_records(fleet);
	CU_ASSERT_EQUAL(count(recs, "fleet_start", NULL), 1);
	CU_ASSERT_EQUAL(count(recs, "resume", NULL), 1);
	CU_ASSERT_EQUAL(count(recs, "target_end", NULL), TARGETS);
	CU_ASSERT_EQUAL(count(recs, "fleet_end", NULL), 1);
	json_object_put(recs);

	/* the simulator's end state and change count equal the uninterrupted run's */
	for (int a = 0; a < 2; a++) {
		char *now = end_state(a);

		CU_ASSERT_STRING_EQUAL(now, ref_state[a]);
		if (strcmp(now, ref_state[a]) != 0)
			fprintf(stderr, "\n  end state:\n%s  reference:\n%s", now, ref_state[a]);
		CU_ASSERT_EQUAL(succeeded(a ? A2 : A1, "ModifyNetworkInterfaceAttribute"),
				ref_changes[a]);
		CU_ASSERT_EQUAL(succeeded(a ? A2 : A1, "CreateSecurityGroup"), ref_groups[a]);
		free(now);
		free(ref_state[a]);
	}

	/* nothing left */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", fleet, "--config",
				    irx_cli_path(&cli, "irx.yaml"), NULL),
			2);
	snprintf(expect, sizeof(expect),
		 "irx resume: fleet %s already ended: there is nothing to resume\n", fleet);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);
}

/* ---- a non-idempotent step interrupted ----------------------------------------------------- */

static void test_non_idempotent_refused_then_forced(void)
{
	const char *arns[3] = {"arn:aws:ec2:us-east-1:111111111111:instance/i-0000000000000000a",
			       "arn:aws:ec2:us-east-1:111111111111:instance/i-0000000000000000b",
			       "arn:aws:ec2:us-east-1:111111111111:instance/i-0000000000000000c"};
	char rbp[1024], tp[1024];
	const char *args[] = {"run",	       rbp, "--targets", tp, "-p", "Name=n",
			      "--concurrency", "1", NULL};
	char text[1024], expect[1024], fleet[64];
	char *out = NULL, *err = NULL;
	struct fleet_exec ex[8];
	size_t n = 0;
	char interrupted[IRX_EXECUTION_ID_LEN + 1] = "";
	struct json_object *recs = NULL;

	irx_cli_use_plugins(&cli, "tests/plugins");
	irx_cli_use_state(&cli, "state-unsafe");
	snprintf(rbp, sizeof(rbp), "%s", irx_cli_path(&cli, "unsafe.yaml"));
	snprintf(tp, sizeof(tp), "%s", irx_cli_path(&cli, "three.txt"));
	snprintf(text, sizeof(text), "%s\n%s\n%s\n", arns[0], arns[1], arns[2]);
	CU_ASSERT_EQUAL(irx_test_write(irx_cli_path(&cli, "three.txt"), text), 0);
	/* concurrency 1: the first ended, the second in 'slow', the third not started */
	snprintf(fleet, sizeof(fleet), "%s", run_and_kill(1, "slow", args));
	CU_ASSERT_TRUE_FATAL(irx_fleet_id_valid(fleet));
	n = fleet_executions(fleet, ex, 8);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	snprintf(interrupted, sizeof(interrupted), "%s", ex[0].ended ? ex[1].id : ex[0].id);
	CU_ASSERT_STRING_EQUAL(ex[0].ended ? ex[1].arn : ex[0].arn, arns[1]);

	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", fleet, NULL), 1);
	snprintf(expect, sizeof(expect),
		 "3 targets: 2 contained, 0 skipped by exception, 1 failed (");
	CU_ASSERT_EQUAL(strncmp(out, expect, strlen(expect)), 0);
	snprintf(expect, sizeof(expect),
		 "\nfailed\t%s\t%s\tstep 'slow' (testkit:slow) was interrupted and its action is "
		 "not idempotent: resuming would run it again; check what it did, then use "
		 "--force\n",
		 arns[1], interrupted);
	IRX_ASSERT_CONTAINS(out, expect);
	snprintf(expect, sizeof(expect),
		 "irx: fleet %s: 1 execution is still interrupted; check it, then 'irx resume %s "
		 "--force'\n",
		 fleet, fleet);
	IRX_ASSERT_CONTAINS(err, expect);
	free(out);
	free(err);
	recs = exec_records(interrupted);
	CU_ASSERT_EQUAL(count(recs, "resume", NULL), 0); /* untouched */
	CU_ASSERT_EQUAL(count(recs, "execution_end", NULL), 0);
	json_object_put(recs);
	recs = fleet_records(fleet);
	CU_ASSERT_EQUAL(count(recs, "target_end", NULL), 2);
	CU_ASSERT_EQUAL(count(recs, "resume_end", NULL), 1);
	CU_ASSERT_EQUAL(count(recs, "fleet_end", NULL), 0);
	json_object_put(recs);

	/* --force: the step runs again; the others keep their results */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", fleet, "--force", NULL), 0);
	IRX_ASSERT_CONTAINS(out, "3 targets: 3 contained, 0 skipped by exception, 0 failed (");
	snprintf(expect, sizeof(expect),
		 "irx: resuming fleet %s of 'unsafe': 3 targets (2 ended, 1 interrupted, 0 not "
		 "started)\n",
		 fleet);
	IRX_ASSERT_CONTAINS(err, expect);
	free(out);
	free(err);
	n = fleet_executions(fleet, ex, 8);
	CU_ASSERT_EQUAL(n, 3);
	for (size_t i = 0; i < n; i++) {
		recs = exec_records(ex[i].id);
		CU_ASSERT_EQUAL(count(recs, "execution_end", NULL), 1);
		CU_ASSERT_EQUAL(count(recs, "step_start", "first"), 1);
		CU_ASSERT_EQUAL(count(recs, "step_start", "slow"),
				strcmp(ex[i].id, interrupted) == 0 ? 2 : 1);
		CU_ASSERT_EQUAL(count(recs, "resume", NULL),
				strcmp(ex[i].id, interrupted) == 0 ? 1 : 0);
		snprintf(text, sizeof(text), "n-%s", ex[i].arn);
		CU_ASSERT_STRING_EQUAL(
		    js(jk(jk(json_object_array_get_idx(recs, json_object_array_length(recs) - 1),
			     "outputs"),
			  "last.Msg")),
		    text);
		json_object_put(recs);
	}
	recs = fleet_records(fleet);
	CU_ASSERT_EQUAL(count(recs, "target_end", NULL), 3);
	CU_ASSERT_EQUAL(count(recs, "resume", NULL), 2);
	CU_ASSERT_EQUAL(count(recs, "fleet_end", NULL), 1);
	json_object_put(recs);
}

/* ---- what cannot be resumed ---------------------------------------------------------------- */

static void write_fleet(const char *id, const char *text)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/fleets", cli.state_dir);
	mkdir(cli.state_dir, 0700);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/fleets/%s.jsonl", cli.state_dir, id);
	CU_ASSERT_EQUAL(irx_test_write(p, text), 0);
}

static void test_cannot_resume(void)
{
	static const char id[] = "fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b22";
	char *out = NULL, *err = NULL, expect[1024], p[1024], line[1024];
	int fd = -1;

	irx_cli_use_plugins(&cli, "tests/plugins");
	irx_cli_use_state(&cli, "state-errors");
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume",
				    "fleet-00000000-0000-4000-8000-000000000000", NULL),
			3);
	snprintf(expect, sizeof(expect),
		 "irx resume: no fleet 'fleet-00000000-0000-4000-8000-000000000000' in %s\n",
		 cli.state_dir);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", "fleet-nope", NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx resume: 'fleet-nope' is not a fleet id\n");
	free(out);
	free(err);

	/* still running: another process holds its lock */
	snprintf(line, sizeof(line),
		 "{\"type\":\"fleet_start\",\"fleet_id\":\"%s\",\"runbook\":\"unsafe\","
		 "\"runbook_path\":\"%s\",\"targets\":[\"arn:aws:ec2:us-east-1:111111111111:"
		 "instance/i-1\"],\"assignments\":{\"Name\":\"n\"},\"start_time\":"
		 "\"2026-01-02T03:04:05Z\"}\n",
		 id, irx_cli_path(&cli, "unsafe.yaml"));
	write_fleet(id, line);
	snprintf(p, sizeof(p), "%s/fleets/%s.jsonl", cli.state_dir, id);
	fd = open(p, O_RDONLY);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(flock(fd, LOCK_EX), 0);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", id, NULL), 2);
	snprintf(expect, sizeof(expect), "irx resume: fleet %s is still running\n", id);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);
	close(fd);

	/* a corrupt line: located */
	snprintf(expect, sizeof(expect),
		 "%s{\"type\": \"target_end\", oops}\n{\"type\":\"resume\"}\n", line);
	write_fleet(id, expect);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", id, NULL), 2);
	snprintf(expect, sizeof(expect), "irx resume: journal '%s' line 2: ", p);
	CU_ASSERT_EQUAL(strncmp(err, expect, strlen(expect)), 0);
	free(out);
	free(err);

	/* a line that is JSON but not a fleet's record: located too */
	snprintf(expect, sizeof(expect),
		 "%s{\"type\":\"target_end\",\"target\":\"arn:aws:ec2:us-east-1:111111111111:"
		 "instance/i-9\",\"outcome\":\"contained\"}\n",
		 line);
	write_fleet(id, expect);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", id, NULL), 2);
	snprintf(expect, sizeof(expect),
		 "irx resume: fleet journal '%s' line 2: target "
		 "'arn:aws:ec2:us-east-1:111111111111:instance/i-9' is not one of the fleet's "
		 "targets\n",
		 p);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);

	/* its runbook gone */
	snprintf(line, sizeof(line),
		 "{\"type\":\"fleet_start\",\"fleet_id\":\"%s\",\"runbook\":\"gone\","
		 "\"runbook_path\":\"/nonexistent/gone.yaml\",\"targets\":[\"arn:aws:ec2:us-east-1:"
		 "111111111111:instance/i-1\"],\"start_time\":\"2026-01-02T03:04:05Z\"}\n",
		 id);
	write_fleet(id, line);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", id, NULL), 3);
	snprintf(expect, sizeof(expect),
		 "irx resume: the runbook 'gone' of fleet %s is gone (/nonexistent/gone.yaml)\n",
		 id);
	CU_ASSERT_STRING_EQUAL(err, expect);
	free(out);
	free(err);

	/* a secret the journal redacted, not given again */
	snprintf(line, sizeof(line),
		 "{\"type\":\"fleet_start\",\"fleet_id\":\"%s\",\"runbook\":\"unsafe\","
		 "\"runbook_path\":\"%s\",\"targets\":[\"arn:aws:ec2:us-east-1:111111111111:"
		 "instance/i-1\"],\"assignments\":{\"Name\":\"********\"},\"start_time\":"
		 "\"2026-01-02T03:04:05Z\"}\n",
		 id, irx_cli_path(&cli, "unsafe.yaml"));
	write_fleet(id, line);
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", id, NULL), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx resume: parameter 'Name' is a secret the fleet journal "
				    "does not keep: give it again with --parameter Name=VALUE\n");
	free(out);
	free(err);
	/* given again: the target runs, and the fleet ends */
	CU_ASSERT_EQUAL(irx_cli_run(&cli, &out, &err, "resume", id, "-p", "Name=x", NULL), 0);
	IRX_ASSERT_CONTAINS(out, "1 target: 1 contained, 0 skipped by exception, 0 failed (");
	free(out);
	free(err);
}

/* ---- the reader, in-process ---------------------------------------------------------------- */

static void assert_parse_error(const char *jsonl, const char *expected)
{
	static const char id[] = "fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b22";
	struct json_object *recs = json_object_new_array();
	struct irx_fleet_state s = {0};
	struct irx_error err = {0};
	const char *p = jsonl;

	while (*p) {
		const char *nl = strchr(p, '\n');
		char *line = irx_xstrndup(p, (size_t)(nl - p));

		json_object_array_add(recs, json_tokener_parse(line));
		free(line);
		p = nl + 1;
	}
	CU_ASSERT_EQUAL(irx_fleet_state_parse("F", id, recs, &s, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_PARSE);
	if (strcmp(err.message, expected) != 0)
		fprintf(stderr, "\n  got: %s\n  expected: %s\n", err.message, expected);
	CU_ASSERT_STRING_EQUAL(err.message, expected);
	CU_ASSERT_PTR_NULL(s.records);
}

#define START                                                                                      \
	"{\"type\":\"fleet_start\",\"fleet_id\":\"fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b22\","   \
	"\"runbook\":\"r\",\"targets\":[\"arn:a\",\"arn:b\"],\"start_time\":\"t\"}\n"

static void test_reader(void)
{
	static const char id[] = "fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b22";
	struct json_object *recs = json_object_new_array();
	struct irx_fleet_state s = {0};
	struct irx_error err = {0};
	char buf[IRX_FLEET_ID_LEN + 1];

	irx_fleet_id_new(buf);
	CU_ASSERT_TRUE(irx_fleet_id_valid(buf));
	CU_ASSERT_EQUAL(strncmp(buf, "fleet-", 6), 0);
	CU_ASSERT_FALSE(irx_execution_id_valid(buf));
	CU_ASSERT_FALSE(irx_fleet_id_valid(buf + 6));
	CU_ASSERT_FALSE(irx_fleet_id_valid("fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b2"));
	CU_ASSERT_FALSE(irx_fleet_id_valid("fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b22/"));
	CU_ASSERT_FALSE(irx_fleet_id_valid("Fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b22"));
	CU_ASSERT_FALSE(irx_fleet_id_valid(NULL));

	/* a good one */
	json_object_array_add(recs, json_tokener_parse(START));
	json_object_array_add(recs, json_tokener_parse("{\"type\":\"target_end\",\"target\":"
						       "\"arn:b\",\"outcome\":\"failed\","
						       "\"status\":\"Failed\",\"reason\":\"x\"}"));
	json_object_array_add(recs, json_tokener_parse("{\"type\":\"resume\"}"));
	CU_ASSERT_EQUAL_FATAL(irx_fleet_state_parse("F", id, recs, &s, &err), 0);
	CU_ASSERT_EQUAL(s.target_count, 2);
	CU_ASSERT_STRING_EQUAL(s.targets[0].arn, "arn:a");
	CU_ASSERT_PTR_NULL(s.targets[0].end);
	CU_ASSERT_PTR_NOT_NULL(s.targets[1].end);
	CU_ASSERT_PTR_NULL(s.end);
	CU_ASSERT_EQUAL(s.resumes, 1);
	irx_fleet_state_release(&s);

	assert_parse_error("{\"type\":\"resume\"}\n",
			   "fleet journal 'F' line 1: the first record is 'resume', not "
			   "fleet_start");
	assert_parse_error("{\"fleet_id\":1}\n", "fleet journal 'F' line 1: a record without a "
						 "'type'");
	assert_parse_error("{\"type\":\"fleet_start\",\"fleet_id\":\""
			   "fleet-6f0c1e2a-8d44-4b7e-"
			   "9a01-3c5d7e9f1b22\",\"runbook\":\"r\",\"start_time\":\"t\"}\n",
			   "fleet journal 'F' line 1: fleet_start's 'targets' is not a list of "
			   "ARNs");
	assert_parse_error("{\"type\":\"fleet_start\",\"fleet_id\":\"fleet-other\",\"runbook\":"
			   "\"r\",\"start_time\":\"t\",\"targets\":[\"a\"]}\n",
			   "fleet journal 'F' line 1: fleet_start names fleet 'fleet-other', not "
			   "'fleet-6f0c1e2a-8d44-4b7e-9a01-3c5d7e9f1b22'");
	assert_parse_error("{\"type\":\"fleet_start\",\"fleet_id\":\"fleet-6f0c1e2a-8d44-4b7e-"
			   "9a01-3c5d7e9f1b22\",\"start_time\":\"t\",\"targets\":[\"a\"]}\n",
			   "fleet journal 'F' line 1: fleet_start has no 'runbook'");
	assert_parse_error("{\"type\":\"fleet_start\",\"fleet_id\":\"fleet-6f0c1e2a-8d44-4b7e-"
			   "9a01-3c5d7e9f1b22\",\"runbook\":\"r\",\"start_time\":\"t\",\"targets\":"
			   "[\"a\",\"a\"]}\n",
			   "fleet journal 'F' line 1: target 'a' is listed twice");
	assert_parse_error("{\"type\":\"fleet_start\",\"fleet_id\":\"fleet-6f0c1e2a-8d44-4b7e-"
			   "9a01-3c5d7e9f1b22\",\"runbook\":\"r\",\"start_time\":\"t\",\"targets\":"
			   "[\"a\",3]}\n",
			   "fleet journal 'F' line 1: target 2 of fleet_start is not an ARN");
	assert_parse_error("{\"type\":\"fleet_start\",\"fleet_id\":\"fleet-6f0c1e2a-8d44-4b7e-"
			   "9a01-3c5d7e9f1b22\",\"runbook\":\"r\",\"start_time\":\"t\",\"targets\":"
			   "[\"a\"],\"assignments\":{\"N\":1}}\n",
			   "fleet journal 'F' line 1: assignment 'N' is not a string");
	assert_parse_error(START "{\"type\":\"target_end\",\"target\":\"arn:c\",\"outcome\":"
				 "\"failed\"}\n",
			   "fleet journal 'F' line 2: target 'arn:c' is not one of the fleet's "
			   "targets");
	assert_parse_error(START "{\"type\":\"target_end\",\"outcome\":\"failed\"}\n",
			   "fleet journal 'F' line 2: target_end has no 'target'");
	assert_parse_error(START "{\"type\":\"target_end\",\"target\":\"arn:a\",\"outcome\":"
				 "\"won\"}\n",
			   "fleet journal 'F' line 2: target_end of 'arn:a': 'outcome' is not "
			   "contained, skipped or failed");
	assert_parse_error(START "{\"type\":\"target_end\",\"target\":\"arn:a\",\"outcome\":"
				 "\"failed\",\"execution_id\":\"../x\"}\n",
			   "fleet journal 'F' line 2: target_end of 'arn:a': 'execution_id' is "
			   "not an execution id");
	assert_parse_error(START "{\"type\":\"target_end\",\"target\":\"arn:a\",\"outcome\":"
				 "\"failed\"}\n{\"type\":\"target_end\",\"target\":\"arn:a\","
				 "\"outcome\":\"failed\"}\n",
			   "fleet journal 'F' line 3: a second target_end for 'arn:a'");
	assert_parse_error(START "{\"type\":\"fleet_end\"}\n{\"type\":\"resume\"}\n",
			   "fleet journal 'F' line 3: a 'resume' record after fleet_end");
	assert_parse_error(START START, "fleet journal 'F' line 2: a second fleet_start");
	assert_parse_error(START "{\"type\":\"step_end\"}\n",
			   "fleet journal 'F' line 2: unknown record type 'step_end'");

	/* no records at all */
	CU_ASSERT_EQUAL(irx_fleet_state_parse("F", id, json_object_new_array(), &s, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "fleet journal 'F' is empty");
}

static CU_TestInfo tests[] = {
    {"reader", test_reader},
    {"cannot_resume", test_cannot_resume},
    {"non_idempotent_refused_then_forced", test_non_idempotent_refused_then_forced},
    {"kill_and_resume", test_kill_and_resume},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("fleet_resume", tests, suite_init, suite_clean)
