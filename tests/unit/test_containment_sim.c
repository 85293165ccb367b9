/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every containment action end to end: the irx binary and the real plugins (IRX_PLUGIN_PATH)
 * against the simulator (tools/awssim), asserting the simulator's END STATE (GET /__awssim/state)
 * after containment, after a second run (and the requests it made: /__awssim/requests) and after
 * `irx rollback`. One simulator for the suite; each test resets it and seeds a compromised estate
 * through POST /__awssim/call, in account 111111111111 (its own keys) and in 222222222222
 * (reached with --role-arn and --external-id through sts:AssumeRole).
 *
 * The estate per account: instance "web" with three ENIs (groups web+app, mgmt, web+mgmt), three
 * EBS volumes, the instance profile of role "web-role", in Auto Scaling group "web-asg", registered
 * in two ELBv2 target groups, with one Elastic IP on its primary ENI and one on its third; IAM user
 * "mallory" with two access keys and a console password; role "ops-admin" under /ops/team/;
 * Lambda function "miner" with reserved concurrency 5 and an SQS event source mapping; SNS topic
 * "irx-alerts".
 *
 * Seed defects (DESIGN.md section 6) with a named test here: several ENIs (groups per ENI, not
 * ModifyInstanceAttribute), errors not swallowed, every volume snapshotted, IAM paths, Lambda
 * ARNs reaching the Lambda branch of runbooks/entity-lockdown.yaml. Not here: the role policy
 * lacking ec2:DescribeNetworkInterfaces / ModifyNetworkInterfaceAttribute, since the simulator
 * does not enforce IAM permissions on callers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "irx_cli_harness.h"
#include "json_access.h"
#include "sim_harness.h"
#include "test.h"

#define A1 "111111111111"
#define A2 "222222222222"
#define REGION "us-east-1"
#define RESPONDER "arn:aws:iam::" A2 ":role/irx-responder"
#define EXTERNAL_ID "ir-7f3a"
#define ZIP "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="
#define DENY_ALL "arn:aws:iam::aws:policy/AWSDenyAll"

static struct irx_sim sim;
static struct irx_cli cli;

struct estate {
	const char *acct;
	char vpc[32], subnet[32];
	char sg_web[32], sg_app[32], sg_mgmt[32];
	char instance[32], instance_arn[128];
	char eni[3][32];
	char volumes[3][32];
	char tg[2][256];
	char alloc[2][40], eip[2][32];
	char user_arn[128], role_arn[128], fn_arn[160], topic_arn[128];
	char bot_arn[128], bot_key[32];
};

/* --- JSON and the control endpoint --------------------------------------------------------- */

static const char *jtext(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* The operations the simulator logged since the last clear: "service:Operation" joined by ' '
 * (malloc'd), mutating ones only when `mutating` (reads: Describe*, Get*, List*, AssumeRole). */
static char *logged_ops(int mutating)
{
	struct json_object *log = irx_sim_control_ok(&sim, "GET", "/__awssim/requests", NULL);
	struct json_object *reqs = jk(log, "requests");
	size_t n = reqs ? json_object_array_length(reqs) : 0, len = 1;
	char *out = calloc(1, 1);

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = ji(reqs, i);
		const char *op = jstr(jk(e, "operation"));
		char item[160];
		int read = strncmp(op, "Describe", 8) == 0 || strncmp(op, "Get", 3) == 0 ||
			   strncmp(op, "List", 4) == 0 || strcmp(op, "AssumeRole") == 0;

		if (mutating && read)
			continue;
		snprintf(item, sizeof(item), "%s%s:%s", len > 1 ? " " : "", jstr(jk(e, "service")),
			 op);
		len += strlen(item);
		out = realloc(out, len);
		strcat(out, item);
	}
	json_object_put(log);
	return out;
}

static void clear_log(void)
{
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/requests", NULL));
}

/* --- the estate ------------------------------------------------------------------------------- */

static void make_group(const char *acct, const char *vpc, const char *name, char *id, size_t size)
{
	struct json_object *r = irx_sim_call(&sim, acct, REGION, "ec2", "CreateSecurityGroup",
					     "{\"GroupName\":\"%s\",\"Description\":\"%s tier\","
					     "\"VpcId\":\"%s\"}",
					     name, name, vpc);

	copy(id, size, jstr(jk(r, "GroupId")));
	json_object_put(r);
}

static void seed_instance(struct estate *e)
{
	const char *a = e->acct;
	struct json_object *r = NULL, *inst = NULL;

	irx_sim_default_subnet(&sim, a, REGION, e->vpc, e->subnet);
	make_group(a, e->vpc, "web", e->sg_web, sizeof(e->sg_web));
	make_group(a, e->vpc, "app", e->sg_app, sizeof(e->sg_app));
	make_group(a, e->vpc, "mgmt", e->sg_mgmt, sizeof(e->sg_mgmt));
	json_object_put(irx_sim_call(
	    &sim, a, REGION, "iam", "CreateRole",
	    "{\"RoleName\":\"web-role\",\"AssumeRolePolicyDocument\":\"{\\\"Version\\\":"
	    "\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
	    "\\\"Principal\\\":{\\\"Service\\\":\\\"ec2.amazonaws.com\\\"},"
	    "\\\"Action\\\":\\\"sts:AssumeRole\\\"}]}\"}"));
	json_object_put(irx_sim_call(&sim, a, REGION, "iam", "CreateInstanceProfile",
				     "{\"InstanceProfileName\":\"web\"}"));
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "iam", "AddRoleToInstanceProfile",
			 "{\"InstanceProfileName\":\"web\",\"RoleName\":\"web-role\"}"));
	r = irx_sim_call(&sim, a, REGION, "ec2", "RunInstances",
			 "{\"ImageId\":\"" IRX_SIM_AMI
			 "\",\"MinCount\":1,\"MaxCount\":1,\"InstanceType\":\"t3.micro\","
			 "\"IamInstanceProfile\":{\"Name\":\"web\"},"
			 "\"NetworkInterfaces\":["
			 "{\"DeviceIndex\":0,\"SubnetId\":\"%s\",\"Groups\":[\"%s\",\"%s\"]},"
			 "{\"DeviceIndex\":1,\"SubnetId\":\"%s\",\"Groups\":[\"%s\"]},"
			 "{\"DeviceIndex\":2,\"SubnetId\":\"%s\",\"Groups\":[\"%s\",\"%s\"]}],"
			 "\"BlockDeviceMappings\":["
			 "{\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"VolumeSize\":10}},"
			 "{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":20}}],"
			 "\"TagSpecifications\":[{\"ResourceType\":\"instance\",\"Tags\":"
			 "[{\"Key\":\"Name\",\"Value\":\"web\"}]}]}",
			 e->subnet, e->sg_web, e->sg_app, e->subnet, e->sg_mgmt, e->subnet,
			 e->sg_web, e->sg_mgmt);
	inst = ji(jk(r, "Instances"), 0);
	copy(e->instance, sizeof(e->instance), jstr(jk(inst, "InstanceId")));
	snprintf(e->instance_arn, sizeof(e->instance_arn), "arn:aws:ec2:" REGION ":%s:instance/%s",
		 a, e->instance);
	for (size_t i = 0; i < 3; i++) {
		struct json_object *ni = jk(inst, "NetworkInterfaces");

		for (size_t k = 0; k < json_object_array_length(ni); k++)
			if (json_object_get_int(jk(jk(ji(ni, k), "Attachment"), "DeviceIndex")) ==
			    (int)i)
				copy(e->eni[i], sizeof(e->eni[i]),
				     jstr(jk(ji(ni, k), "NetworkInterfaceId")));
		copy(e->volumes[i], sizeof(e->volumes[i]),
		     jstr(jk(jk(ji(jk(inst, "BlockDeviceMappings"), i), "Ebs"), "VolumeId")));
	}
	json_object_put(r);
	CU_ASSERT_EQUAL(strncmp(e->eni[2], "eni-", 4), 0);
	CU_ASSERT_EQUAL(strncmp(e->volumes[2], "vol-", 4), 0);

	/* the simulator attaches the instance and counts it: desired 2, one above the minimum */
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "autoscaling", "CreateAutoScalingGroup",
			 "{\"AutoScalingGroupName\":\"web-asg\",\"MinSize\":1,\"MaxSize\":3,"
			 "\"DesiredCapacity\":1,\"InstanceId\":\"%s\"}",
			 e->instance));
	for (int i = 0; i < 2; i++) {
		r = irx_sim_call(
		    &sim, a, REGION, "elasticloadbalancing", "CreateTargetGroup",
		    "{\"Name\":\"web-%d\",\"Protocol\":\"HTTP\",\"Port\":%d,\"VpcId\":\"%s\"}", i,
		    i ? 8080 : 80, e->vpc);
		copy(e->tg[i], sizeof(e->tg[i]),
		     jstr(jk(ji(jk(r, "TargetGroups"), 0), "TargetGroupArn")));
		json_object_put(r);
		json_object_put(
		    irx_sim_call(&sim, a, REGION, "elasticloadbalancing", "RegisterTargets",
				 "{\"TargetGroupArn\":\"%s\",\"Targets\":[{\"Id\":\"%s\"}]}",
				 e->tg[i], e->instance));
	}
	for (int i = 0; i < 2; i++) {
		r = irx_sim_call(&sim, a, REGION, "ec2", "AllocateAddress", "{\"Domain\":\"vpc\"}");
		copy(e->alloc[i], sizeof(e->alloc[i]), jstr(jk(r, "AllocationId")));
		copy(e->eip[i], sizeof(e->eip[i]), jstr(jk(r, "PublicIp")));
		json_object_put(r);
	}
	json_object_put(irx_sim_call(&sim, a, REGION, "ec2", "AssociateAddress",
				     "{\"AllocationId\":\"%s\",\"InstanceId\":\"%s\"}", e->alloc[0],
				     e->instance));
	json_object_put(irx_sim_call(&sim, a, REGION, "ec2", "AssociateAddress",
				     "{\"AllocationId\":\"%s\",\"NetworkInterfaceId\":\"%s\"}",
				     e->alloc[1], e->eni[2]));
}

static void seed_identities(struct estate *e)
{
	const char *a = e->acct;
	struct json_object *r = NULL;

	json_object_put(irx_sim_call(&sim, a, REGION, "iam", "CreateUser",
				     "{\"UserName\":\"mallory\",\"Path\":\"/dev/\"}"));
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "iam", "CreateAccessKey", "{\"UserName\":\"mallory\"}"));
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "iam", "CreateAccessKey", "{\"UserName\":\"mallory\"}"));
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "iam", "CreateLoginProfile",
			 "{\"UserName\":\"mallory\",\"Password\":\"Hunter2-Hunter2!\"}"));
	snprintf(e->user_arn, sizeof(e->user_arn), "arn:aws:iam::%s:user/dev/mallory", a);
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "iam", "CreateRole",
			 "{\"RoleName\":\"ops-admin\",\"Path\":\"/ops/team/\","
			 "\"AssumeRolePolicyDocument\":\"{\\\"Version\\\":\\\"2012-10-17\\\","
			 "\\\"Statement\\\":[]}\"}"));
	snprintf(e->role_arn, sizeof(e->role_arn), "arn:aws:iam::%s:role/ops/team/ops-admin", a);
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "iam", "CreateRole",
			 "{\"RoleName\":\"miner-role\",\"Path\":\"/service-role/\","
			 "\"AssumeRolePolicyDocument\":\"{\\\"Version\\\":\\\"2012-10-17\\\","
			 "\\\"Statement\\\":[]}\"}"));
	json_object_put(irx_sim_call(
	    &sim, a, REGION, "lambda", "CreateFunction",
	    "{\"FunctionName\":\"miner\",\"Runtime\":\"python3.12\","
	    "\"Handler\":\"index.handler\",\"Role\":\"arn:aws:iam::%s:role/service-role/"
	    "miner-role\",\"Code\":{\"ZipFile\":\"" ZIP "\"}}",
	    a));
	snprintf(e->fn_arn, sizeof(e->fn_arn), "arn:aws:lambda:" REGION ":%s:function:miner", a);
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "lambda", "PutFunctionConcurrency",
			 "{\"FunctionName\":\"miner\",\"ReservedConcurrentExecutions\":5}"));
	json_object_put(irx_sim_call(
	    &sim, a, REGION, "lambda", "CreateEventSourceMapping",
	    "{\"FunctionName\":\"miner\",\"EventSourceArn\":\"arn:aws:sqs:" REGION ":%s:jobs\"}",
	    a));
	json_object_put(irx_sim_call(&sim, a, REGION, "lambda", "CreateAlias",
				     "{\"FunctionName\":\"miner\",\"Name\":\"live\","
				     "\"FunctionVersion\":\"$LATEST\"}"));
	json_object_put(
	    irx_sim_call(&sim, a, REGION, "iam", "CreateUser", "{\"UserName\":\"ci-bot\"}"));
	snprintf(e->bot_arn, sizeof(e->bot_arn), "arn:aws:iam::%s:user/ci-bot", a);
	r = irx_sim_call(&sim, a, REGION, "iam", "CreateAccessKey", "{\"UserName\":\"ci-bot\"}");
	copy(e->bot_key, sizeof(e->bot_key), jstr(jk(jk(r, "AccessKey"), "AccessKeyId")));
	json_object_put(r);
	r = irx_sim_call(&sim, a, REGION, "sns", "CreateTopic", "{\"Name\":\"irx-alerts\"}");
	copy(e->topic_arn, sizeof(e->topic_arn), jstr(jk(r, "TopicArn")));
	json_object_put(r);
}

/* A fresh world (snapshots complete at their first DescribeSnapshots) with the estate in acct;
 * in 222222222222 also the responder role that trusts 111111111111 with the external id. */
static void seed(struct estate *e, const char *acct)
{
	memset(e, 0, sizeof(*e));
	e->acct = acct;
	json_object_put(irx_sim_control_ok(&sim, "POST", "/__awssim/reset",
					   "{\"settings\":{\"snapshot_polls\":1}}"));
	irx_sim_responder_role(&sim, A2, A1, EXTERNAL_ID);
	seed_instance(e);
	seed_identities(e);
	clear_log();
}

/* --- running irx -------------------------------------------------------------------------------
 */

static const char *rb(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s.yaml", cli.dir, name);
	return path;
}

/*
 * irx ARGS... (NULL-terminated) in acct's credentials (222222222222: --role-arn/--external-id
 * appended). Returns the exit status; *out and *err (caller frees).
 */
static int irx(const char *acct, char **out, char **err, ...)
{
	const char *args[40] = {0};
	size_t n = 0;
	va_list ap;

	va_start(ap, err);
	for (const char *a = va_arg(ap, const char *); a && n < 34; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	if (strcmp(acct, A2) == 0) {
		args[n++] = "--role-arn";
		args[n++] = RESPONDER;
		args[n++] = "--external-id";
		args[n++] = EXTERNAL_ID;
	}
	return irx_cli_runv(&cli, args, out, err);
}

/* The execution id from irx's "irx: execution ID STATUS" line (static buffer). */
static const char *execution_id(const char *err)
{
	static char id[64];
	const char *p = err ? strstr(err, "irx: execution ") : NULL;

	id[0] = '\0';
	if (p)
		sscanf(p + strlen("irx: execution "), "%63[0-9a-f-]", id);
	return id;
}

/* Runs runbook on target in acct with the extra options; returns the execution id (static). */
static const char *run_ok(const char *acct, const char *runbook, const char *target,
			  const char *extra1, const char *extra2, char **err_out)
{
	char *out = NULL, *err = NULL;
	int status = irx(acct, &out, &err, "run", rb(runbook), "-t", target, extra1, extra2, NULL);
	const char *id = execution_id(err);

	if (status != 0)
		fprintf(stderr, "\n  irx run %s on %s -> %d\n%s%s\n", runbook, target, status, out,
			err);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_EQUAL(strlen(id), 36);
	free(out);
	if (err_out)
		*err_out = err;
	else
		free(err);
	return id;
}

static void rollback_ok(const char *acct, const char *id, char **err_out)
{
	char *out = NULL, *err = NULL;
	char copy_id[64];
	int status = 0;

	snprintf(copy_id, sizeof(copy_id), "%s", id);
	status = irx(acct, &out, &err, "rollback", copy_id, NULL);
	if (status != 0)
		fprintf(stderr, "\n  irx rollback %s -> %d\n%s%s\n", copy_id, status, out, err);
	CU_ASSERT_EQUAL(status, 0);
	if (err_out) {
		size_t lo = strlen(out), le = strlen(err);

		*err_out = realloc(err, lo + le + 1);
		memcpy(*err_out + le, out, lo + 1);
		err = NULL;
	}
	free(out);
	free(err);
}

/* --- the runbooks --------------------------------------------------------------------------- */

static const char isolate_rb[] =
    "schemaVersion: '0.3'\n"
    "description: isolate against the simulator\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "mainSteps:\n"
    "  - name: isolate\n"
    "    action: isolate:ec2Instance\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', UntrackWaitSeconds: 0}\n"
    "    outputs: [{Name: Summary, Selector: $.Summary, Type: String}]\n"
    "outputs: [isolate.Summary]\n";

/* forensics first, then isolation, then the notification: the exception test's runbook too */
static const char capture_rb[] =
    "schemaVersion: '0.3'\n"
    "description: snapshot, isolate, notify\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "  TopicArn: {type: String}\n"
    "  Wait: {type: Boolean, default: true}\n"
    "mainSteps:\n"
    "  - name: snapshot\n"
    "    action: snapshot:ec2Instance\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', WaitForCompletion: '{{ Wait }}'}\n"
    "  - name: isolate\n"
    "    action: isolate:ec2Instance\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', UntrackWaitSeconds: 0}\n"
    "  - name: notify\n"
    "    action: notify:sns\n"
    "    inputs:\n"
    "      TopicArn: '{{ TopicArn }}'\n"
    "      Status: Contained\n"
    "      TargetArn: '{{ TargetArn }}'\n"
    "      Summary: 'skipped: {{ automation:SKIPPED_STEPS }}'\n"
    "      Runbook: capture\n";

static const char user_rb[] = "schemaVersion: '0.3'\n"
			      "description: deny:iamUser\n"
			      "parameters:\n"
			      "  TargetArn: {type: String}\n"
			      "mainSteps:\n"
			      "  - name: deny\n"
			      "    action: deny:iamUser\n"
			      "    inputs: {TargetArn: '{{ TargetArn }}'}\n";

static const char role_rb[] = "schemaVersion: '0.3'\n"
			      "description: deny:iamRole\n"
			      "parameters:\n"
			      "  TargetArn: {type: String}\n"
			      "mainSteps:\n"
			      "  - name: deny\n"
			      "    action: deny:iamRole\n"
			      "    inputs: {TargetArn: '{{ TargetArn }}'}\n";

static const char lambda_rb[] =
    "schemaVersion: '0.3'\n"
    "description: concurrency-zero:lambda\n"
    "parameters:\n"
    "  TargetArn: {type: String}\n"
    "mainSteps:\n"
    "  - name: stop\n"
    "    action: concurrency-zero:lambda\n"
    "    inputs: {TargetArn: '{{ TargetArn }}', DisableEventSources: true}\n";

static int suite_init(void)
{
	const struct {
		const char *name, *text;
	} files[] = {{"isolate", isolate_rb},
		     {"capture", capture_rb},
		     {"user", user_rb},
		     {"role", role_rb},
		     {"lambda", lambda_rb}};

	irx_cli_init(&cli, &sim);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (irx_test_write(rb(files[i].name), files[i].text) < 0)
			return -1;
	return irx_sim_start(&sim);
}

static int suite_clean(void)
{
	irx_sim_stop(&sim);
	return 0;
}

/* --- end-state assertions ------------------------------------------------------------------- */

/* The group ids of an ENI in the simulator's EC2 state, joined by ',' (static). */
static const char *eni_groups(struct json_object *ec2, const char *eni)
{
	static char buf[4][256];
	static int slot;
	struct json_object *groups = jk(jk(jk(ec2, "enis"), eni), "Groups");
	char *b = buf[slot++ % 4];

	b[0] = '\0';
	for (size_t i = 0; groups && i < json_object_array_length(groups); i++) {
		strcat(b, i ? "," : "");
		strncat(b, jstr(jk(ji(groups, i), "GroupId")), 40);
	}
	return b;
}

/* The id of the security group named name in the EC2 state (static), or "". */
static const char *group_named(struct json_object *ec2, const char *name)
{
	static char id[64];

	id[0] = '\0';
	json_object_object_foreach(jk(ec2, "security_groups"), gid, sg)
	{
		if (strcmp(jstr(jk(sg, "GroupName")), name) == 0)
			copy(id, sizeof(id), gid);
	}
	return id;
}

static int volume_delete_on_termination(struct json_object *ec2, const char *vol)
{
	return json_object_get_boolean(
	    jk(ji(jk(jk(jk(ec2, "volumes"), vol), "Attachments"), 0), "DeleteOnTermination"));
}

static const char *address_eni(struct json_object *ec2, const char *alloc)
{
	return jstr(jk(jk(jk(ec2, "addresses"), alloc), "NetworkInterfaceId"));
}

/* The instance's lifecycle state in web-asg and the group's desired capacity (static). */
static const char *asg_state(const char *acct, const char *instance)
{
	static char s[48];
	struct json_object *st = irx_sim_state(&sim, acct, REGION, "autoscaling");
	struct json_object *g = jk(jk(st, "groups"), "web-asg");

	snprintf(s, sizeof(s), "%s desired %d", jstr(jk(jk(g, "_members"), instance)),
		 json_object_get_int(jk(g, "DesiredCapacity")));
	json_object_put(st);
	return s;
}

/* How many target groups hold the instance. */
static int registrations(const char *acct, const struct estate *e)
{
	struct json_object *st = irx_sim_state(&sim, acct, REGION, "elasticloadbalancing");
	int n = 0;

	for (int i = 0; i < 2; i++) {
		struct json_object *targets = jk(jk(jk(st, "target_groups"), e->tg[i]), "_targets");

		for (size_t k = 0; targets && k < json_object_array_length(targets); k++)
			n += strcmp(jstr(jk(ji(targets, k), "Id")), e->instance) == 0;
	}
	json_object_put(st);
	return n;
}

static void assert_original_instance(const struct estate *e)
{
	struct json_object *ec2 = irx_sim_state(&sim, e->acct, REGION, "ec2");
	struct json_object *inst = jk(jk(ec2, "instances"), e->instance);
	char want[128];

	snprintf(want, sizeof(want), "%s,%s", e->sg_web, e->sg_app);
	CU_ASSERT_STRING_EQUAL(eni_groups(ec2, e->eni[0]), want);
	CU_ASSERT_STRING_EQUAL(eni_groups(ec2, e->eni[1]), e->sg_mgmt);
	snprintf(want, sizeof(want), "%s,%s", e->sg_web, e->sg_mgmt);
	CU_ASSERT_STRING_EQUAL(eni_groups(ec2, e->eni[2]), want);
	CU_ASSERT_FALSE(json_object_get_boolean(jk(jk(inst, "_attrs"), "disableApiTermination")));
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(volume_delete_on_termination(ec2, e->volumes[i]));
		CU_ASSERT_TRUE(json_object_get_boolean(
		    jk(jk(jk(jk(ec2, "enis"), e->eni[i]), "Attachment"), "DeleteOnTermination")));
	}
	CU_ASSERT_STRING_EQUAL(address_eni(ec2, e->alloc[0]), e->eni[0]);
	CU_ASSERT_STRING_EQUAL(address_eni(ec2, e->alloc[1]), e->eni[2]);
	CU_ASSERT_STRING_EQUAL(asg_state(e->acct, e->instance), "InService desired 2");
	CU_ASSERT_EQUAL(registrations(e->acct, e), 2);
	json_object_put(ec2);
}

static void assert_isolated(const struct estate *e)
{
	struct json_object *ec2 = irx_sim_state(&sim, e->acct, REGION, "ec2");
	struct json_object *iam = irx_sim_state(&sim, e->acct, REGION, "iam");
	struct json_object *inst = jk(jk(ec2, "instances"), e->instance);
	struct json_object *iso = NULL, *rules = NULL, *inline_ = NULL;
	char iso_id[64];

	copy(iso_id, sizeof(iso_id), group_named(ec2, "irx-isolation"));
	CU_ASSERT_EQUAL(strncmp(iso_id, "sg-", 3), 0);
	/* every ENI has only the isolation group (ModifyInstanceAttribute Groups cannot do it) */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(ec2, e->eni[i]), iso_id);
	/* the isolation group admits nothing and lets nothing out */
	iso = jk(jk(ec2, "security_groups"), iso_id);
	CU_ASSERT_STRING_EQUAL(jstr(jk(iso, "VpcId")), e->vpc);
	rules = jk(iso, "_rules");
	CU_ASSERT_EQUAL(rules ? json_object_array_length(rules) : 99, 0);
	/* evidence protected */
	CU_ASSERT_TRUE(json_object_get_boolean(jk(jk(inst, "_attrs"), "disableApiTermination")));
	CU_ASSERT_STRING_EQUAL(jstr(jk(jk(inst, "_attrs"), "instanceInitiatedShutdownBehavior")),
			       "stop");
	for (int i = 0; i < 3; i++)
		CU_ASSERT_FALSE(volume_delete_on_termination(ec2, e->volumes[i]));
	/* out of service, Elastic IPs off */
	CU_ASSERT_STRING_EQUAL(asg_state(e->acct, e->instance), "Standby desired 1");
	CU_ASSERT_EQUAL(registrations(e->acct, e), 0);
	CU_ASSERT_STRING_EQUAL(address_eni(ec2, e->alloc[0]), "");
	CU_ASSERT_STRING_EQUAL(address_eni(ec2, e->alloc[1]), "");
	CU_ASSERT_STRING_EQUAL(jstr(jk(jk(jk(ec2, "addresses"), e->alloc[1]), "AssociationId")),
			       "");
	/* the role's credentials denied on this instance */
	inline_ = jk(jk(jk(iam, "roles"), "web-role"), "_inline");
	CU_ASSERT_EQUAL(inline_ ? json_object_object_length(inline_) : 0, 1);
	json_object_object_foreach(inline_, pname, pdoc)
	{
		const char *doc = jstr(pdoc);

		char want[96];

		snprintf(want, sizeof(want), "irx-deny-instance-%s", e->instance);
		CU_ASSERT_STRING_EQUAL(pname, want);
		IRX_ASSERT_CONTAINS(doc, "\"Effect\":\"Deny\"");
		IRX_ASSERT_CONTAINS(doc, "ec2:SourceInstanceARN");
		IRX_ASSERT_CONTAINS(doc, e->instance_arn);
	}
	json_object_put(iam);
	json_object_put(ec2);
}

/* --- isolate ------------------------------------------------------------------------------- */

static void isolate_scenario(const char *acct)
{
	struct estate e;
	struct json_object *ec2 = NULL, *iam = NULL, *inline_ = NULL;
	char *err = NULL, *mut = NULL, *all = NULL;
	char id[64];

	seed(&e, acct);
	assert_original_instance(&e);
	copy(id, sizeof(id), run_ok(acct, "isolate", e.instance_arn, "--case-id", "CASE-1", &err));
	IRX_ASSERT_CONTAINS(err, "isolated instance '");
	free(err);
	assert_isolated(&e);
	/* tagged with the execution and the case */
	ec2 = irx_sim_state(&sim, acct, REGION, "ec2");
	CU_ASSERT_STRING_EQUAL(jstr(jk(jk(jk(ec2, "tags"), e.instance), "irx:execution-id")), id);
	CU_ASSERT_STRING_EQUAL(jstr(jk(jk(jk(ec2, "tags"), e.instance), "irx:case-id")), "CASE-1");
	/* the untrack group exists and allows everything; the isolation group holds no rule */
	CU_ASSERT_EQUAL(strncmp(group_named(ec2, "irx-untrack"), "sg-", 3), 0);
	json_object_put(ec2);

	/* a second run changes nothing */
	clear_log();
	(void)run_ok(acct, "isolate", e.instance_arn, NULL, NULL, &err);
	IRX_ASSERT_CONTAINS(err, "already contained");
	free(err);
	mut = logged_ops(1);
	all = logged_ops(0);
	CU_ASSERT_STRING_EQUAL(mut, "");
	if (mut[0])
		fprintf(stderr, "\n  mutating calls in the second run: %s\n", mut);
	IRX_ASSERT_CONTAINS(all, "ec2:DescribeInstances");
	if (strcmp(acct, A2) == 0)
		IRX_ASSERT_CONTAINS(all, "sts:AssumeRole");
	free(mut);
	free(all);
	assert_isolated(&e);

	/* rollback restores everything */
	rollback_ok(acct, id, NULL);
	assert_original_instance(&e);
	iam = irx_sim_state(&sim, acct, REGION, "iam");
	inline_ = jk(jk(jk(iam, "roles"), "web-role"), "_inline");
	CU_ASSERT_EQUAL(inline_ ? json_object_object_length(inline_) : 99, 0);
	json_object_put(iam);
	ec2 = irx_sim_state(&sim, acct, REGION, "ec2");
	CU_ASSERT_PTR_NULL(jk(jk(jk(ec2, "tags"), e.instance), "irx:execution-id"));
	json_object_put(ec2);
}

static void test_isolate_account1(void)
{
	isolate_scenario(A1);
}

static void test_isolate_account2_assumed_role(void)
{
	struct json_object *log = NULL, *reqs = NULL;
	int other = 0, assumed = 0;

	isolate_scenario(A2);
	/* the last run (the rollback) worked in 222222222222 with the role's session keys; the
	 * first account was only asked for AssumeRole */
	log = irx_sim_control_ok(&sim, "GET", "/__awssim/requests", NULL);
	reqs = jk(log, "requests");
	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++) {
		struct json_object *r = ji(reqs, i);

		if (strcmp(jstr(jk(r, "account")), A2) == 0)
			assumed += strncmp(jstr(jk(r, "access_key")), "ASIA", 4) == 0;
		else
			other += strcmp(jstr(jk(r, "operation")), "AssumeRole") != 0;
	}
	CU_ASSERT_TRUE(assumed > 10);
	CU_ASSERT_EQUAL(other, 0);
	json_object_put(log);
}

/* A second run of runbook on target changes nothing: no mutating request, "already contained". */
static void assert_second_run_changes_nothing(const char *acct, const char *runbook,
					      const char *target)
{
	char *err = NULL, *mut = NULL;

	clear_log();
	(void)run_ok(acct, runbook, target, NULL, NULL, &err);
	IRX_ASSERT_CONTAINS(err, "already contained");
	mut = logged_ops(1);
	if (mut[0])
		fprintf(stderr, "\n  mutating calls in the second run of %s: %s\n", runbook, mut);
	CU_ASSERT_STRING_EQUAL(mut, "");
	free(mut);
	free(err);
}

/* The irx tags on an IAM user's or role's Tags list: "key=value,..." (static). */
static const char *irx_tags(struct json_object *tags)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; tags && i < json_object_array_length(tags); i++) {
		const char *k = jstr(jk(ji(tags, i), "Key"));

		if (strncmp(k, "irx:", 4) != 0 || strcmp(k, "irx:execution-id") == 0)
			continue;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s=%s", buf[0] ? "," : "",
			 k, jstr(jk(ji(tags, i), "Value")));
	}
	return buf;
}

/* The value of tag key in an IAM Tags list, or "". */
static const char *tag_value(struct json_object *tags, const char *key)
{
	for (size_t i = 0; tags && i < json_object_array_length(tags); i++)
		if (strcmp(jstr(jk(ji(tags, i), "Key")), key) == 0)
			return jstr(jk(ji(tags, i), "Value"));
	return "";
}

/* --- deny:iamUser ---------------------------------------------------------------------------- */

static void user_scenario(const char *acct)
{
	struct estate e;
	struct json_object *iam = NULL, *u = NULL;
	char *err = NULL;
	char id[64];

	seed(&e, acct);
	copy(id, sizeof(id), run_ok(acct, "user", e.user_arn, "--case-id", "CASE-2", &err));
	IRX_ASSERT_CONTAINS(err, "contained user 'mallory'");
	IRX_ASSERT_CONTAINS(err, "deleted the console password (rollback cannot restore it)");
	free(err);
	iam = irx_sim_state(&sim, acct, REGION, "iam");
	u = jk(jk(iam, "users"), "mallory");
	CU_ASSERT_EQUAL(json_object_object_length(jk(u, "_keys")), 2);
	json_object_object_foreach(jk(u, "_keys"), kid, key)
	{
		(void)kid;
		CU_ASSERT_STRING_EQUAL(jstr(jk(key, "Status")), "Inactive");
	}
	CU_ASSERT_PTR_NULL(jk(u, "_login"));
	CU_ASSERT_STRING_EQUAL(jtext(jk(u, "_attached")), "[\"" DENY_ALL "\"]");
	CU_ASSERT_EQUAL(json_object_object_length(jk(u, "_inline")), 1);
	IRX_ASSERT_CONTAINS(jstr(jk(jk(u, "_inline"), "irx-revoke-older-sessions")),
			    "aws:TokenIssueTime");
	CU_ASSERT_STRING_EQUAL(tag_value(jk(u, "Tags"), "irx:case-id"), "CASE-2");
	CU_ASSERT_STRING_EQUAL(tag_value(jk(u, "Tags"), "irx:action"), "deny:iamUser");
	CU_ASSERT_STRING_EQUAL(tag_value(jk(u, "Tags"), "irx:execution-id"), id);
	json_object_put(iam);

	assert_second_run_changes_nothing(acct, "user", e.user_arn);

	rollback_ok(acct, id, &err);
	IRX_ASSERT_CONTAINS(err, "released user 'mallory'");
	IRX_ASSERT_CONTAINS(err, "reactivated 2 access keys");
	IRX_ASSERT_CONTAINS(err, "not restored: the console password of user 'mallory' cannot be "
				 "restored");
	free(err);
	iam = irx_sim_state(&sim, acct, REGION, "iam");
	u = jk(jk(iam, "users"), "mallory");
	json_object_object_foreach(jk(u, "_keys"), kid2, key2)
	{
		(void)kid2;
		CU_ASSERT_STRING_EQUAL(jstr(jk(key2, "Status")), "Active");
	}
	CU_ASSERT_PTR_NULL(jk(u, "_login"));
	CU_ASSERT_STRING_EQUAL(jtext(jk(u, "_attached")), "[]");
	CU_ASSERT_EQUAL(json_object_object_length(jk(u, "_inline")), 0);
	CU_ASSERT_STRING_EQUAL(irx_tags(jk(u, "Tags")), "");
	json_object_put(iam);
}

static void test_user(void)
{
	user_scenario(A1);
	user_scenario(A2);
}

/* --- deny:iamRole (a role under a path: the seeds resolved role/ops/team/x to 'ops') -------- */

static void test_role_with_path(void)
{
	const char *accts[] = {A1, A2};

	for (int i = 0; i < 2; i++) {
		struct estate e;
		struct json_object *iam = NULL, *r = NULL;
		char *err = NULL;
		char id[64];

		seed(&e, accts[i]);
		copy(id, sizeof(id), run_ok(e.acct, "role", e.role_arn, NULL, NULL, &err));
		IRX_ASSERT_CONTAINS(err, "denied role 'ops-admin': attached AWSDenyAll");
		free(err);
		iam = irx_sim_state(&sim, e.acct, REGION, "iam");
		r = jk(jk(iam, "roles"), "ops-admin");
		CU_ASSERT_STRING_EQUAL(jtext(jk(r, "_attached")), "[\"" DENY_ALL "\"]");
		CU_ASSERT_STRING_EQUAL(irx_tags(jk(r, "Tags")), "irx:action=deny:iamRole");
		CU_ASSERT_STRING_EQUAL(tag_value(jk(r, "Tags"), "irx:execution-id"), id);
		/* no other role touched */
		CU_ASSERT_STRING_EQUAL(jtext(jk(jk(jk(iam, "roles"), "web-role"), "_attached")),
				       "[]");
		json_object_put(iam);
		assert_second_run_changes_nothing(e.acct, "role", e.role_arn);
		rollback_ok(e.acct, id, NULL);
		iam = irx_sim_state(&sim, e.acct, REGION, "iam");
		r = jk(jk(iam, "roles"), "ops-admin");
		CU_ASSERT_STRING_EQUAL(jtext(jk(r, "_attached")), "[]");
		CU_ASSERT_STRING_EQUAL(irx_tags(jk(r, "Tags")), "");
		json_object_put(iam);
	}
}

/* --- concurrency-zero:lambda ----------------------------------------------------------------- */

static void lambda_state(const char *acct, char *conc, size_t size, char *mapping, size_t msize,
			 char *role_inline, size_t rsize)
{
	struct json_object *l = irx_sim_state(&sim, acct, REGION, "lambda"),
			   *iam = irx_sim_state(&sim, acct, REGION, "iam");
	struct json_object *c = jk(jk(jk(l, "functions"), "miner"), "_concurrency");

	snprintf(conc, size, "%s", c ? jtext(c) : "none");
	mapping[0] = '\0';
	json_object_object_foreach(jk(l, "mappings"), uuid, m)
	{
		(void)uuid;
		snprintf(mapping, msize, "%s", jstr(jk(m, "State")));
	}
	snprintf(role_inline, rsize, "%s",
		 jtext(jk(jk(jk(iam, "roles"), "miner-role"), "_inline")));
	json_object_put(l);
	json_object_put(iam);
}

static void test_lambda(void)
{
	const char *accts[] = {A1, A2};

	for (int i = 0; i < 2; i++) {
		struct estate e;
		char conc[32], mapping[32], inl[1024];
		char *err = NULL;
		char id[64];

		seed(&e, accts[i]);
		lambda_state(e.acct, conc, sizeof(conc), mapping, sizeof(mapping), inl,
			     sizeof(inl));
		CU_ASSERT_STRING_EQUAL(conc, "5");
		CU_ASSERT_STRING_EQUAL(mapping, "Enabled");
		copy(id, sizeof(id), run_ok(e.acct, "lambda", e.fn_arn, NULL, NULL, &err));
		IRX_ASSERT_CONTAINS(err, "'miner'");
		free(err);
		lambda_state(e.acct, conc, sizeof(conc), mapping, sizeof(mapping), inl,
			     sizeof(inl));
		CU_ASSERT_STRING_EQUAL(conc, "0");
		CU_ASSERT_STRING_EQUAL(mapping, "Disabled");
		IRX_ASSERT_CONTAINS(inl, "\"irx-revoke-older-sessions\"");
		IRX_ASSERT_CONTAINS(inl, "aws:TokenIssueTime");
		assert_second_run_changes_nothing(e.acct, "lambda", e.fn_arn);
		rollback_ok(e.acct, id, NULL);
		lambda_state(e.acct, conc, sizeof(conc), mapping, sizeof(mapping), inl,
			     sizeof(inl));
		CU_ASSERT_STRING_EQUAL(conc, "5");
		CU_ASSERT_STRING_EQUAL(mapping, "Enabled");
		CU_ASSERT_STRING_EQUAL(inl, "{}");
	}
}

/* --- snapshot:ec2Instance and notify:sns -------------------------------------------------------
 */

/* The snapshots in acct's EC2 state tagged with execution id: "vol-a,vol-b,..." sorted by the
 * estate's volume order (static). */
static const char *snapshotted_volumes(const struct estate *e, const char *id, int *count)
{
	static char buf[256];
	struct json_object *ec2 = irx_sim_state(&sim, e->acct, REGION, "ec2");

	buf[0] = '\0';
	*count = 0;
	for (int v = 0; v < 3; v++) {
		json_object_object_foreach(jk(ec2, "snapshots"), sid, snap)
		{
			if (strcmp(jstr(jk(snap, "VolumeId")), e->volumes[v]) != 0)
				continue;
			if (strcmp(jstr(jk(jk(jk(ec2, "tags"), sid), "irx:execution-id")), id) != 0)
				continue;
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
				 buf[0] ? "," : "", e->volumes[v]);
		}
	}
	json_object_object_foreach(jk(ec2, "snapshots"), sid2, snap2)
	{
		(void)sid2;
		(void)snap2;
		(*count)++;
	}
	json_object_put(ec2);
	return buf;
}

/* The messages published to the estate's topic, as JSON text (malloc'd). */
static char *published(const struct estate *e)
{
	struct json_object *sns = irx_sim_state(&sim, e->acct, REGION, "sns");
	char *text = strdup(jtext(jk(jk(jk(sns, "topics"), e->topic_arn), "messages")));

	json_object_put(sns);
	return text;
}

static void test_snapshot_and_notify(void)
{
	struct estate e;
	char *err = NULL, *msgs = NULL;
	char id[64], want[256], topic[200];
	int count = 0;

	seed(&e, A2);
	snprintf(topic, sizeof(topic), "TopicArn=%s", e.topic_arn);
	copy(id, sizeof(id), run_ok(A2, "capture", e.instance_arn, "-p", topic, &err));
	free(err);
	/* every volume, not only the root one (a seed defect), tagged with the execution */
	snprintf(want, sizeof(want), "%s,%s,%s", e.volumes[0], e.volumes[1], e.volumes[2]);
	CU_ASSERT_STRING_EQUAL(snapshotted_volumes(&e, id, &count), want);
	CU_ASSERT_EQUAL(count, 3);
	assert_isolated(&e);
	/* the notification the simulator kept */
	msgs = published(&e);
	snprintf(want, sizeof(want), "\"Subject\":\"irx: Contained for %s\"", e.instance_arn);
	IRX_ASSERT_CONTAINS(msgs, want);
	snprintf(want, sizeof(want), "Execution: %s\\nStep: notify\\nCase: (none)\\nTarget: %s", id,
		 e.instance_arn);
	IRX_ASSERT_CONTAINS(msgs, want);
	IRX_ASSERT_CONTAINS(msgs, "Summary: skipped: none");
	IRX_ASSERT_CONTAINS(msgs,
			    "\"Publisher\":\"arn:aws:sts::" A2 ":assumed-role/irx-responder/");
	free(msgs);
	/* rollback keeps the evidence and releases the instance */
	rollback_ok(A2, id, &err);
	free(err);
	snprintf(want, sizeof(want), "%s,%s,%s", e.volumes[0], e.volumes[1], e.volumes[2]);
	CU_ASSERT_STRING_EQUAL(snapshotted_volumes(&e, id, &count), want);
	CU_ASSERT_EQUAL(count, 3);
	assert_original_instance(&e);
}

/* --- exceptions --------------------------------------------------------------------------------
 */

static void tag_instance(const struct estate *e, const char *key, const char *value)
{
	json_object_put(
	    irx_sim_call(&sim, e->acct, REGION, "ec2", "CreateTags",
			 "{\"Resources\":[\"%s\"],\"Tags\":[{\"Key\":\"%s\",\"Value\":\"%s\"}]}",
			 e->instance, key, value));
}

static void test_exception_tag(void)
{
	struct estate e;
	char *err = NULL, *msgs = NULL;
	char id[64], topic[200], value[256], until[32], want[512];
	time_t expiry = time(NULL) + 3;
	struct tm tm = {0};
	int count = 0;

	seed(&e, A1);
	snprintf(topic, sizeof(topic), "TopicArn=%s", e.topic_arn);
	/* an exception for the snapshot only, expiring in 3 s */
	gmtime_r(&expiry, &tm);
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(value, sizeof(value),
		 "actions=snapshot:ec2Instance expires=%s approver=alice@example.com ticket=SEC-1",
		 until);
	tag_instance(&e, "irx:exception", value);
	copy(id, sizeof(id), run_ok(A1, "capture", e.instance_arn, "-p", topic, &err));
	snprintf(want, sizeof(want),
		 "skipped: exception on '%s' exempts snapshot:ec2Instance until %s, approved by "
		 "alice@example.com, ticket SEC-1",
		 e.instance_arn, until);
	IRX_ASSERT_CONTAINS(err, want);
	free(err);
	/* exactly the named action skipped: no snapshot, but isolated and notified */
	CU_ASSERT_STRING_EQUAL(snapshotted_volumes(&e, id, &count), "");
	CU_ASSERT_EQUAL(count, 0);
	assert_isolated(&e);
	msgs = published(&e);
	IRX_ASSERT_CONTAINS(msgs, "Summary: skipped: ");
	IRX_ASSERT_CONTAINS(msgs, "SEC-1");
	CU_ASSERT_PTR_NULL(strstr(msgs, "skipped: none"));
	free(msgs);
	rollback_ok(A1, id, NULL);
	assert_original_instance(&e);

	/* once it has expired, the snapshot runs (with a warning) */
	while (time(NULL) <= expiry)
		usleep(100000);
	{
		char *out = NULL;
		int status = irx(A1, &out, &err, "run", rb("capture"), "-t", e.instance_arn, "-p",
				 topic, "-p", "Wait=false", NULL);

		CU_ASSERT_EQUAL(status, 0);
		copy(id, sizeof(id), execution_id(err));
		free(out);
	}
	snprintf(want, sizeof(want), "ignoring exception on '%s' (ticket SEC-1): it expired on %s",
		 e.instance_arn, until);
	IRX_ASSERT_CONTAINS(err, want);
	free(err);
	snprintf(want, sizeof(want), "%s,%s,%s", e.volumes[0], e.volumes[1], e.volumes[2]);
	CU_ASSERT_STRING_EQUAL(snapshotted_volumes(&e, id, &count), want);
	assert_isolated(&e);
	rollback_ok(A1, id, NULL);

	/* another tag key (--exception-tag), naming a whole plugin: isolation skipped */
	tag_instance(&e, "sec:exempt",
		     "actions=isolate expires=2099-12-31 approver=bob@example.com ticket=SEC-2");
	{
		char *out = NULL;
		int status = irx(A1, &out, &err, "run", rb("capture"), "-t", e.instance_arn, "-p",
				 topic, "-p", "Wait=false", "--exception-tag", "sec:exempt", NULL);

		CU_ASSERT_EQUAL(status, 0);
		copy(id, sizeof(id), execution_id(err));
		free(out);
	}
	snprintf(want, sizeof(want),
		 "skipped: exception on '%s' exempts isolate until 2099-12-31, approved by "
		 "bob@example.com, ticket SEC-2",
		 e.instance_arn);
	IRX_ASSERT_CONTAINS(err, want);
	free(err);
	snprintf(want, sizeof(want), "%s,%s,%s", e.volumes[0], e.volumes[1], e.volumes[2]);
	CU_ASSERT_STRING_EQUAL(snapshotted_volumes(&e, id, &count), want);
	assert_original_instance(&e);
}

/* --- seed defects ---------------------------------------------------------------------------- */

/* The seeds swapped groups with ModifyInstanceAttribute, which AWS (and the simulator) refuses
 * on an instance with several ENIs; isolate changes each ENI and never fails that way. */
static void test_defect_multi_eni(void)
{
	struct estate e;
	struct json_object *out = NULL, *log = NULL, *reqs = NULL;
	char body[512];

	seed(&e, A1);
	snprintf(
	    body, sizeof(body),
	    "{\"account\":\"%s\",\"region\":\"" REGION "\",\"service\":\"ec2\",\"operation\":"
	    "\"ModifyInstanceAttribute\",\"params\":{\"InstanceId\":\"%s\",\"Groups\":[\"%s\"]}}",
	    A1, e.instance, e.sg_mgmt);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/call", body, &out), 400);
	CU_ASSERT_STRING_EQUAL(jstr(jk(out, "error")), "InvalidInstanceID");
	IRX_ASSERT_CONTAINS(jstr(jk(out, "message")), "There are multiple interfaces attached");
	json_object_put(out);
	clear_log();
	(void)run_ok(A1, "isolate", e.instance_arn, NULL, NULL, NULL);
	assert_isolated(&e);
	/* no request of the run failed, and the groups went through the ENIs */
	log = irx_sim_control_ok(&sim, "GET", "/__awssim/requests", NULL);
	reqs = jk(log, "requests");
	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++) {
		struct json_object *r = ji(reqs, i);

		if (jk(r, "error") && !json_object_is_type(jk(r, "error"), json_type_null))
			fprintf(stderr, "\n  failed request: %s\n", jtext(r));
		CU_ASSERT_TRUE(!jk(r, "error") ||
			       json_object_is_type(jk(r, "error"), json_type_null));
	}
	json_object_put(log);
	out = irx_sim_control_ok(
	    &sim, "GET", "/__awssim/requests?operation=ModifyNetworkInterfaceAttribute", NULL);
	CU_ASSERT_TRUE(json_object_get_int(jk(out, "count")) >=
		       6); /* untrack + isolation per ENI */
	json_object_put(out);
}

/* The seeds swallowed errors and reported success. An access denial in the middle of the
 * isolation fails the run with the AWS code and request id (in the journal too), and rollback
 * undoes the part that was done. */
static void test_defect_errors_not_swallowed(void)
{
	struct estate e;
	struct json_object *log = NULL, *reqs = NULL, *ec2 = NULL;
	char *out = NULL, *err = NULL, *show = NULL, *show_err = NULL;
	char id[64], request_id[64] = "";
	int status = 0;

	seed(&e, A1);
	json_object_put(irx_sim_control_ok(
	    &sim, "POST", "/__awssim/faults",
	    "{\"kind\":\"error\",\"code\":\"UnauthorizedOperation\",\"status\":403,"
	    "\"message\":\"You are not authorized to perform this operation.\","
	    "\"service\":\"ec2\",\"operation\":\"ModifyNetworkInterfaceAttribute\","
	    "\"after\":4,\"count\":1}"));
	status = irx(A1, &out, &err, "run", rb("isolate"), "-t", e.instance_arn, NULL);
	CU_ASSERT_EQUAL(status, 1);
	copy(id, sizeof(id), execution_id(err));
	json_object_put(irx_sim_control_ok(&sim, "DELETE", "/__awssim/faults", NULL));
	log = irx_sim_control_ok(
	    &sim, "GET", "/__awssim/requests?operation=ModifyNetworkInterfaceAttribute", NULL);
	reqs = jk(log, "requests");
	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++)
		if (strcmp(jstr(jk(ji(reqs, i), "error")), "UnauthorizedOperation") == 0)
			copy(request_id, sizeof(request_id), jstr(jk(ji(reqs, i), "request_id")));
	json_object_put(log);
	CU_ASSERT_EQUAL(strlen(request_id), 36);
	IRX_ASSERT_CONTAINS(err, "UnauthorizedOperation");
	IRX_ASSERT_CONTAINS(err, "You are not authorized to perform this operation.");
	IRX_ASSERT_CONTAINS(err, request_id);
	IRX_ASSERT_CONTAINS(err, "Failed");
	free(out);
	free(err);
	/* the journal has it */
	CU_ASSERT_EQUAL(irx(A1, &show, &show_err, "show", id, NULL), 0);
	IRX_ASSERT_CONTAINS(show, "UnauthorizedOperation");
	IRX_ASSERT_CONTAINS(show, request_id);
	free(show);
	free(show_err);
	/* the part done: evidence protected and out of service, not yet isolated */
	ec2 = irx_sim_state(&sim, A1, REGION, "ec2");
	CU_ASSERT_TRUE(json_object_get_boolean(
	    jk(jk(jk(jk(ec2, "instances"), e.instance), "_attrs"), "disableApiTermination")));
	json_object_put(ec2);
	CU_ASSERT_STRING_EQUAL(asg_state(A1, e.instance), "Standby desired 1");
	/* rollback undoes exactly that */
	rollback_ok(A1, id, NULL);
	assert_original_instance(&e);
}

/* The solo group's "min M desired D", and the instance's lifecycle state in it (static). */
static const char *solo(const char *acct, const char *instance)
{
	static char s[64];
	struct json_object *st = irx_sim_state(&sim, acct, REGION, "autoscaling");
	struct json_object *g = jk(jk(st, "groups"), "solo");

	snprintf(s, sizeof(s), "%s min %d desired %d", jstr(jk(jk(g, "_members"), instance)),
		 json_object_get_int(jk(g, "MinSize")),
		 json_object_get_int(jk(g, "DesiredCapacity")));
	json_object_put(st);
	return s;
}

/*
 * An instance alone in a group at its minimum size: AWS refuses EnterStandby with
 * ShouldDecrementDesiredCapacity (the desired capacity would go below the minimum), and isolate
 * used to fail there. It lowers the minimum first, and rollback restores it.
 */
static void test_group_at_min_size(void)
{
	struct estate e;
	char *err = NULL;
	char id[64];

	seed(&e, A1);
	json_object_put(
	    irx_sim_call(&sim, A1, REGION, "autoscaling", "DetachInstances",
			 "{\"AutoScalingGroupName\":\"web-asg\",\"InstanceIds\":[\"%s\"],"
			 "\"ShouldDecrementDesiredCapacity\":true}",
			 e.instance));
	json_object_put(
	    irx_sim_call(&sim, A1, REGION, "autoscaling", "CreateAutoScalingGroup",
			 "{\"AutoScalingGroupName\":\"solo\",\"MinSize\":1,\"MaxSize\":1,"
			 "\"DesiredCapacity\":0,\"InstanceId\":\"%s\"}",
			 e.instance));
	CU_ASSERT_STRING_EQUAL(solo(A1, e.instance), "InService min 1 desired 1");
	copy(id, sizeof(id), run_ok(A1, "isolate", e.instance_arn, NULL, NULL, &err));
	IRX_ASSERT_CONTAINS(err, "lower the minimum size of auto scaling group 'solo' from 1 to 0");
	free(err);
	CU_ASSERT_STRING_EQUAL(solo(A1, e.instance), "Standby min 0 desired 0");
	assert_second_run_changes_nothing(A1, "isolate", e.instance_arn);
	rollback_ok(A1, id, &err);
	IRX_ASSERT_CONTAINS(err, "restore the minimum size of auto scaling group 'solo' to 1");
	free(err);
	CU_ASSERT_STRING_EQUAL(solo(A1, e.instance), "InService min 1 desired 1");
}

/* --- entity-lockdown (runbooks/) over one entity of each kind, in both accounts ----------------
 */

static void test_entity_lockdown(void)
{
	char runbook[4096];

	snprintf(runbook, sizeof(runbook), "%s", irx_test_src("runbooks/entity-lockdown.yaml"));
	if (access(runbook, R_OK) != 0) {
		fprintf(stderr, "\n  runbooks/entity-lockdown.yaml is missing\n");
		CU_FAIL("runbooks/entity-lockdown.yaml is missing");
		return;
	}
	for (int a = 0; a < 2; a++) {
		struct estate e;
		struct json_object *iam = NULL, *l = NULL, *sns = NULL, *u = NULL;
		char topic[200], qualified[200], *msgs = NULL;
		const char *targets[5];
		int count = 0;

		seed(&e, a ? A2 : A1);
		snprintf(topic, sizeof(topic), "NotifyTopicArn=%s", e.topic_arn);
		/* the seeds never routed a Lambda ARN (':function:') to the Lambda branch */
		snprintf(qualified, sizeof(qualified), "%s:live", e.fn_arn);
		targets[0] = e.instance_arn;
		targets[1] = e.user_arn;
		targets[2] = e.role_arn;
		targets[3] = qualified;
		targets[4] = e.bot_arn;
		for (int t = 0; t < 5; t++) {
			char *out = NULL, *err = NULL;
			char key[64];
			int status = 0;

			snprintf(key, sizeof(key), "AccessKeyId=%s", t == 4 ? e.bot_key : "");
			status = irx(e.acct, &out, &err, "run", runbook, "-t", targets[t], "-p",
				     topic, "-p", "UntrackWaitSeconds=0", "-p", key, NULL);
			if (status != 0)
				fprintf(stderr, "\n  entity-lockdown on %s -> %d\n%s%s\n",
					targets[t], status, out, err);
			CU_ASSERT_EQUAL(status, 0);
			free(out);
			free(err);
		}
		/* instance: every volume snapshotted, isolated */
		(void)snapshotted_volumes(&e, "", &count);
		CU_ASSERT_EQUAL(count, 3);
		assert_isolated(&e);
		iam = irx_sim_state(&sim, e.acct, REGION, "iam");
		/* user: keys inactive, no password, AWSDenyAll */
		u = jk(jk(iam, "users"), "mallory");
		json_object_object_foreach(jk(u, "_keys"), kid, key)
		{
			(void)kid;
			CU_ASSERT_STRING_EQUAL(jstr(jk(key, "Status")), "Inactive");
		}
		CU_ASSERT_PTR_NULL(jk(u, "_login"));
		CU_ASSERT_STRING_EQUAL(jtext(jk(u, "_attached")), "[\"" DENY_ALL "\"]");
		/* role under a path: the right role */
		CU_ASSERT_STRING_EQUAL(jtext(jk(jk(jk(iam, "roles"), "ops-admin"), "_attached")),
				       "[\"" DENY_ALL "\"]");
		/* access key: only that key, its owner's older sessions revoked */
		CU_ASSERT_STRING_EQUAL(
		    jstr(jk(jk(jk(jk(jk(iam, "users"), "ci-bot"), "_keys"), e.bot_key), "Status")),
		    "Inactive");
		IRX_ASSERT_CONTAINS(jtext(jk(jk(jk(iam, "users"), "ci-bot"), "_inline")),
				    "aws:TokenIssueTime");
		json_object_put(iam);
		/* function (qualified ARN): the whole function stopped */
		l = irx_sim_state(&sim, e.acct, REGION, "lambda");
		CU_ASSERT_STRING_EQUAL(jtext(jk(jk(jk(l, "functions"), "miner"), "_concurrency")),
				       "0");
		/* DisableEventSources defaults to false: the mapping is left alone */
		json_object_object_foreach(jk(l, "mappings"), uuid, m)
		{
			(void)uuid;
			CU_ASSERT_STRING_EQUAL(jstr(jk(m, "State")), "Enabled");
		}
		json_object_put(l);
		/* notified at start and end of each */
		sns = irx_sim_state(&sim, e.acct, REGION, "sns");
		CU_ASSERT_EQUAL(
		    json_object_array_length(jk(jk(jk(sns, "topics"), e.topic_arn), "messages")),
		    10);
		json_object_put(sns);
		msgs = published(&e);
		IRX_ASSERT_CONTAINS(msgs, "\"Subject\":\"irx: Started for ");
		IRX_ASSERT_CONTAINS(msgs, "\"Subject\":\"irx: Contained for ");
		CU_ASSERT_PTR_NULL(strstr(msgs, "irx: Failed"));
		free(msgs);
	}
}

static CU_TestInfo tests[] = {
    {"isolate: 3 ENIs, ASG, 2 target groups, 2 EIPs, role; again; rollback (111111111111)",
     test_isolate_account1},
    {"isolate in 222222222222 through --role-arn/--external-id",
     test_isolate_account2_assumed_role},
    {"deny:iamUser: keys, password, AWSDenyAll, revoke; again; rollback (both accounts)",
     test_user},
    {"deny:iamRole, a role with a path (seed defect); again; rollback (both accounts)",
     test_role_with_path},
    {"concurrency-zero:lambda: 0, mappings disabled; again; rollback to 5 (both accounts)",
     test_lambda},
    {"snapshot:ec2Instance every volume (seed defect), isolate, notify:sns kept by the sim",
     test_snapshot_and_notify},
    {"exception tag skips exactly the named action until it expires; --exception-tag",
     test_exception_tag},
    {"seed defect: groups per ENI, not ModifyInstanceAttribute (multi-ENI instance)",
     test_defect_multi_eni},
    {"seed defect: errors not swallowed (AccessDenied mid-way: code, request id, rollback)",
     test_defect_errors_not_swallowed},
    {"auto scaling group at its minimum size: minimum lowered for standby, restored on rollback",
     test_group_at_min_size},
    {"entity-lockdown: instance, user, role with path, qualified function ARN, access key; "
     "two accounts",
     test_entity_lockdown},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("containment_sim", tests, suite_init, suite_clean)
