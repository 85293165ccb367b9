/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The snapshot plugin against the scripted fake AWS: every EBS volume (the seed that snapshotted
 * only the root volume), progress polling and the deadline, the KMS copy, sharing and the
 * aws/ebs refusal, dry-run plans, idempotence, errors mid-way, rollback.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fake_aws.h"
#include "test.h"

const struct irx_plugin *irx_plugin_entry_snapshot(void);

#define EXEC "00000000-0000-4000-8000-000000000001"
#define I "i-0123456789abcdef0"
#define IARN "arn:aws:ec2:us-east-1:111111111111:instance/" I
#define V1 "vol-00000000000000001"
#define V2 "vol-00000000000000002"
#define V3 "vol-00000000000000003"
#define S1 "snap-00000000000000001"
#define S2 "snap-00000000000000002"
#define S3 "snap-00000000000000003"
#define S4 "snap-00000000000000004"
#define C1 "snap-0000000000000c001"
#define C2 "snap-0000000000000c002"
#define C3 "snap-0000000000000c003"
#define KEY "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#define AWSKEY "arn:aws:kms:us-east-1:111111111111:key/0000aaaa-0000-4000-8000-00000000aaaa"
#define FORENSIC "222222222222"

#define INST3                                                                                      \
	"{\"Reservations\":[{\"Instances\":[{\"InstanceId\":\"" I "\",\"InstanceType\":"           \
	"\"m5.large\",\"RootDeviceType\":\"ebs\",\"RootDeviceName\":\"/dev/xvda\","                \
	"\"BlockDeviceMappings\":["                                                                \
	"{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"VolumeId\":\"" V1                                \
	"\",\"Status\":\"attached\"}},"                                                            \
	"{\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"VolumeId\":\"" V2 "\",\"Status\":\"attached\"}}," \
	"{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeId\":\"" V3 "\",\"Status\":\"attached\"}}"  \
	"]}]}]}"
#define NO_STORE                                                                                   \
	"{\"InstanceTypes\":[{\"InstanceType\":\"m5.large\",\"InstanceStorageSupported\":false}]}"
#define NONE "{\"Snapshots\":[]}"
#define SNAP(id, vol, state, prog)                                                                 \
	"{\"SnapshotId\":\"" id "\",\"VolumeId\":\"" vol "\",\"State\":\"" state                   \
	"\",\"Progress\":\"" prog "\",\"Encrypted\":false}"
#define SNAPK(id, vol, key)                                                                        \
	"{\"SnapshotId\":\"" id "\",\"VolumeId\":\"" vol "\",\"State\":\"completed\","             \
	"\"Progress\":\"100%\",\"Encrypted\":true,\"KmsKeyId\":\"" key "\"}"
#define CREATED3_PENDING                                                                           \
	"{\"Snapshots\":[" SNAP(S1, V1, "pending", "0%") "," SNAP(                                 \
	    S2, V2, "pending", "0%") "," SNAP(S3, V3, "pending", "0%") "]}"
#define CREATED3_DONE                                                                              \
	"{\"Snapshots\":[" SNAP(S1, V1, "completed", "100%") "," SNAP(                             \
	    S2, V2, "completed", "100%") "," SNAP(S3, V3, "completed", "100%") "]}"
#define CUSTOMER_KEY                                                                               \
	"{\"KeyMetadata\":{\"KeyId\":\"1234abcd-12ab-34cd-56ef-1234567890ab\",\"Arn\":\"" KEY      \
	"\",\"KeyManager\":\"CUSTOMER\",\"KeyState\":\"Enabled\"}}"
#define AWS_KEY                                                                                    \
	"{\"KeyMetadata\":{\"KeyId\":\"0000aaaa-0000-4000-8000-00000000aaaa\",\"Arn\":\"" AWSKEY   \
	"\",\"KeyManager\":\"AWS\",\"KeyState\":\"Enabled\",\"Description\":\"Default key that "   \
	"protects my EBS volumes when no other key is defined\"}}"
#define NO_PERMS "{\"SnapshotId\":\"x\",\"CreateVolumePermissions\":[]}"
#define SHARED_PERMS                                                                               \
	"{\"SnapshotId\":\"x\",\"CreateVolumePermissions\":[{\"UserId\":\"" FORENSIC "\"}]}"

#define AWS_EBS_MSG                                                                                \
	"snapshots encrypted with the AWS managed key 'aws/ebs' cannot be shared: copy them with " \
	"a customer managed key (KmsKeyId) first"

#define VOLS3 "(" V1 " /dev/xvda, " V2 " /dev/sdf, " V3 " /dev/sdg)"

/* The fake host with log and sleep wrapped: progress lines are kept, a deadline can be faked. */
static struct {
	struct irx_context ctx;
	struct irx_host host;
	const struct irx_host *real;
	char log[8192];
	int sleeps, fail_sleep_at;
} spy;

static void spy_log(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void spy_log(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
{
	size_t n = strlen(spy.log);
	va_list ap;

	(void)call;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(spy.log + n, sizeof(spy.log) - n, fmt, ap);
	va_end(ap);
	n = strlen(spy.log);
	if (n + 1 < sizeof(spy.log))
		strcat(spy.log, "\n");
}

static int spy_sleep(struct irx_call *call, long long ms)
{
	if (spy.fail_sleep_at && ++spy.sleeps >= spy.fail_sleep_at)
		return -1;
	return spy.real->sleep(call, ms);
}

static const struct irx_context *ctx_for(struct fake_aws *f, bool dry_run, const char *case_id)
{
	const struct irx_context *base = fake_aws_context(f, "snapshot", dry_run);

	memset(&spy, 0, sizeof(spy));
	spy.ctx = *base;
	spy.host = *base->host;
	spy.real = base->host;
	spy.host.log = spy_log;
	spy.host.sleep = spy_sleep;
	spy.ctx.host = &spy.host;
	spy.ctx.case_id = case_id ? case_id : "";
	return &spy.ctx;
}

static const struct irx_action *action(const char *name)
{
	const struct irx_plugin *p = irx_plugin_entry_snapshot();

	for (const struct irx_action *a = p->actions; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

struct outcome {
	int rc;
	struct json_object *outputs, *undo;
	char message[4096];
};

static void outcome_free(struct outcome *o)
{
	json_object_put(o->outputs);
	json_object_put(o->undo);
}

static struct outcome run(const char *name, const struct irx_context *ctx, const char *inputs)
{
	struct outcome o = {0};
	struct irx_result res = {0};
	struct json_object *in = json_tokener_parse(inputs);

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	o.rc = action(name)->execute(ctx, in, &res);
	snprintf(o.message, sizeof(o.message), "%s", res.message ? res.message : "");
	o.outputs = res.outputs;
	o.undo = res.undo;
	json_object_put(in);
	return o;
}

static struct outcome roll(const struct irx_context *ctx, const char *undo)
{
	struct outcome o = {0};
	struct irx_result res = {0};
	struct json_object *u = json_tokener_parse(undo);

	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	o.rc = action("ec2Instance")->rollback(ctx, u, &res);
	snprintf(o.message, sizeof(o.message), "%s", res.message ? res.message : "");
	o.outputs = res.outputs;
	o.undo = res.undo;
	json_object_put(u);
	return o;
}

static const char *text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The params of the n-th call (0-based) as compact JSON. */
static const char *call_params(struct fake_aws *f, size_t n)
{
	struct json_object *c = json_object_array_get_idx(fake_aws_calls(f), n);

	return c ? text(json_object_object_get(c, "params")) : "(no such call)";
}

#define EXPECT_STR(got, want)                                                                      \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (strcmp(g_, w_) != 0)                                                           \
			fprintf(stderr, "\n  %s:%d\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, \
				g_, w_);                                                           \
		CU_ASSERT_STRING_EQUAL(g_, w_);                                                    \
	} while (0)

static void script_instance(struct fake_aws *f)
{
	fake_aws_reply(f, "ec2:DescribeInstances", INST3);
	fake_aws_reply(f, "ec2:DescribeInstanceTypes", NO_STORE);
}

/* Seed defect: "only the root volume is snapshotted". Three volumes, one crash-consistent set. */
static void test_every_volume_snapshotted(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	script_instance(f);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:DescribeSnapshots",
		       "{\"Snapshots\":[" SNAP(S1, V1, "completed", "100%") "," SNAP(
			   S2, V2, "pending", "40%") "," SNAP(S3, V3, "pending", "60%") "]}");
	fake_aws_reply(f, "ec2:DescribeSnapshots", CREATED3_DONE);
	fake_aws_reply(f, "ec2:CreateSnapshots", CREATED3_PENDING);
	o = run("ec2Instance", ctx_for(f, false, "CASE-7"), "{\"TargetArn\":\"" IARN "\"}");

	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeInstances,ec2:DescribeInstanceTypes,ec2:DescribeSnapshots,"
		   "ec2:CreateSnapshots,ec2:DescribeSnapshots,ec2:DescribeSnapshots");
	EXPECT_STR(call_params(f, 0), "{\"InstanceIds\":[\"" I "\"]}");
	EXPECT_STR(call_params(f, 1), "{\"InstanceTypes\":[\"m5.large\"]}");
	EXPECT_STR(call_params(f, 2),
		   "{\"OwnerIds\":[\"self\"],\"Filters\":["
		   "{\"Name\":\"tag:irx:execution-id\",\"Values\":[\"" EXEC "\"]},"
		   "{\"Name\":\"tag:irx:action\",\"Values\":[\"snapshot:ec2Instance\"]},"
		   "{\"Name\":\"tag:irx:source-instance\",\"Values\":[\"" I "\"]}]}");
	EXPECT_STR(call_params(f, 3),
		   "{\"InstanceSpecification\":{\"InstanceId\":\"" I
		   "\",\"ExcludeBootVolume\":false},"
		   "\"Description\":\"irx " EXEC ": crash-consistent snapshot of " I "\","
		   "\"TagSpecifications\":[{\"ResourceType\":\"snapshot\",\"Tags\":["
		   "{\"Key\":\"irx:execution-id\",\"Value\":\"" EXEC "\"},"
		   "{\"Key\":\"irx:case-id\",\"Value\":\"CASE-7\"},"
		   "{\"Key\":\"irx:action\",\"Value\":\"snapshot:ec2Instance\"},"
		   "{\"Key\":\"irx:source-instance\",\"Value\":\"" I "\"}]}]}");
	EXPECT_STR(call_params(f, 4), "{\"SnapshotIds\":[\"" S1 "\",\"" S2 "\",\"" S3 "\"]}");
	EXPECT_STR(text(json_object_object_get(o.outputs, "SnapshotIds")),
		   "[\"" S1 "\",\"" S2 "\",\"" S3 "\"]");
	EXPECT_STR(text(json_object_object_get(o.outputs, "CopiedSnapshotIds")), "[]");
	EXPECT_STR(text(o.undo), "{\"Action\":\"snapshot:ec2Instance\",\"Source\":\"" I
				 "\",\"SnapshotIds\":[\"" S1 "\",\"" S2 "\",\"" S3 "\"]}");
	EXPECT_STR(o.message, "snapshotted 3 EBS volumes of instance '" I "' " VOLS3 ": " S1 ", " S2
			      ", " S3 " (completed)");
	/* undo journaled before CreateSnapshots and again with the ids */
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 2);
	/* backoff: 5 s, then 7.5 s */
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 12500);
	IRX_ASSERT_CONTAINS(spy.log, "snapshots of instance '" I "': 0 of 3 completed, 0% overall "
				     "(" S1 " 0%, " S2 " 0%, " S3 " 0%)");
	IRX_ASSERT_CONTAINS(spy.log, "snapshots of instance '" I "': 1 of 3 completed, 66% "
				     "overall (" S1 " 100%, " S2 " 40%, " S3 " 60%)");
	outcome_free(&o);
	fake_aws_free(f);
}

/* A CreateSnapshots answer that misses a volume is a failure, not a success. */
static void test_missing_volume_fails(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	script_instance(f);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:CreateSnapshots",
		       "{\"Snapshots\":[" SNAP(S1, V1, "pending", "0%") "]}");
	o = run("ec2Instance", ctx_for(f, false, NULL), "{\"TargetArn\":\"" I "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "CreateSnapshots on instance '" I
		   "' did not snapshot every EBS volume: expected 3, got 1 (" S1 ")");
	EXPECT_STR(text(json_object_object_get(o.undo, "SnapshotIds")), "[\"" S1 "\"]");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_deadline_stops_wait(void)
{
	struct fake_aws *f = fake_aws_new();
	const struct irx_context *ctx = NULL;
	struct outcome o;

	script_instance(f);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:DescribeSnapshots", CREATED3_PENDING);
	fake_aws_reply(f, "ec2:CreateSnapshots", CREATED3_PENDING);
	ctx = ctx_for(f, false, NULL);
	spy.fail_sleep_at = 2; /* the second sleep runs into the deadline */
	o = run("ec2Instance", ctx, "{\"TargetArn\":\"" I "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "stopped waiting for the snapshots of instance '" I "' (deadline or "
		   "cancellation): 0 of 3 completed (" S1 " 0%, " S2 " 0%, " S3 " 0%); they "
		   "continue in the background and are kept");
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeInstances,ec2:DescribeInstanceTypes,ec2:DescribeSnapshots,"
		   "ec2:CreateSnapshots,ec2:DescribeSnapshots");
	EXPECT_STR(text(json_object_object_get(o.undo, "SnapshotIds")),
		   "[\"" S1 "\",\"" S2 "\",\"" S3 "\"]");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_error_state_fails(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	script_instance(f);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:DescribeSnapshots",
		       "{\"Snapshots\":[" SNAP(S1, V1, "completed",
					       "100%") ","
						       "{\"SnapshotId\":\"" S2
						       "\",\"VolumeId\":\"" V2
						       "\",\"State\":\"error\","
						       "\"StateMessage\":\"internal error\"}," SNAP(
							   S3, V3, "pending", "50%") "]}");
	fake_aws_reply(f, "ec2:CreateSnapshots", CREATED3_PENDING);
	o = run("ec2Instance", ctx_for(f, false, NULL), "{\"TargetArn\":\"" I "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "snapshot '" S2 "' of instance '" I "' failed: internal error");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_instance_store_reported(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	fake_aws_reply(f, "ec2:DescribeInstances", INST3);
	fake_aws_reply(f, "ec2:DescribeInstanceTypes",
		       "{\"InstanceTypes\":[{\"InstanceType\":\"m5.large\","
		       "\"InstanceStorageSupported\":true,\"InstanceStorageInfo\":"
		       "{\"TotalSizeInGB\":75,\"Disks\":[{\"SizeInGB\":75,\"Count\":1}]}}]}");
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:CreateSnapshots", CREATED3_DONE);
	o = run("ec2Instance", ctx_for(f, false, NULL), "{\"TargetArn\":\"" I "\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(o.message,
		   "snapshotted 3 EBS volumes of instance '" I "' " VOLS3 ": " S1 ", " S2 ", " S3
		   " (completed); instance store volumes (75 GB on type 'm5.large') cannot be "
		   "snapshotted: capture them from inside the instance before it stops");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_no_ebs_volume(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	fake_aws_reply(f, "ec2:DescribeInstances",
		       "{\"Reservations\":[{\"Instances\":[{\"InstanceId\":\"" I "\","
		       "\"InstanceType\":\"m1.small\",\"RootDeviceType\":\"instance-store\","
		       "\"BlockDeviceMappings\":[]}]}]}");
	fake_aws_reply(f, "ec2:DescribeInstanceTypes",
		       "{\"InstanceTypes\":[{\"InstanceType\":\"m1.small\","
		       "\"InstanceStorageSupported\":true,\"InstanceStorageInfo\":"
		       "{\"TotalSizeInGB\":160}}]}");
	o = run("ec2Instance", ctx_for(f, false, NULL), "{\"TargetArn\":\"" I "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "cannot snapshot instance '" I "': it has no EBS volumes; instance store "
		   "volumes (160 GB on type 'm1.small') cannot be snapshotted: capture them from "
		   "inside the instance before it stops");
	EXPECT_STR(fake_aws_call_names(f), "ec2:DescribeInstances,ec2:DescribeInstanceTypes");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_unknown_instance(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	fake_aws_reply(f, "ec2:DescribeInstances", "{\"Reservations\":[]}");
	o = run("ec2Instance", ctx_for(f, false, NULL), "{\"TargetArn\":\"" I "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "cannot snapshot instance '" I "': DescribeInstances does not know it");
	outcome_free(&o);
	fake_aws_free(f);
}

static void script_copies(struct fake_aws *f)
{
	fake_aws_reply(f, "kms:DescribeKey", CUSTOMER_KEY);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:DescribeSnapshots",
		       "{\"Snapshots\":[" SNAPK(C1, "vol-ffffffff", KEY) "," SNAPK(
			   C2, "vol-ffffffff", KEY) "," SNAPK(C3, "vol-ffffffff", KEY) "]}");
	fake_aws_reply(f, "ec2:CreateSnapshots", CREATED3_DONE);
	fake_aws_reply(f, "ec2:CopySnapshot", "{\"SnapshotId\":\"" C1 "\"}");
	fake_aws_reply(f, "ec2:CopySnapshot", "{\"SnapshotId\":\"" C2 "\"}");
	fake_aws_reply(f, "ec2:CopySnapshot", "{\"SnapshotId\":\"" C3 "\"}");
}

static void test_copy_and_share(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	script_instance(f);
	script_copies(f);
	fake_aws_reply(f, "ec2:DescribeSnapshotAttribute", NO_PERMS);
	fake_aws_reply(f, "ec2:ModifySnapshotAttribute", "{}");
	o = run("ec2Instance", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" I "\",\"KmsKeyId\":\"" KEY "\",\"ShareWithAccount\":\"" FORENSIC
		"\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeInstances,ec2:DescribeInstanceTypes,kms:DescribeKey,"
		   "ec2:DescribeSnapshots,ec2:CreateSnapshots,"
		   "ec2:CopySnapshot,ec2:CopySnapshot,ec2:CopySnapshot,ec2:DescribeSnapshots,"
		   "ec2:DescribeSnapshotAttribute,ec2:ModifySnapshotAttribute,"
		   "ec2:DescribeSnapshotAttribute,ec2:ModifySnapshotAttribute,"
		   "ec2:DescribeSnapshotAttribute,ec2:ModifySnapshotAttribute");
	EXPECT_STR(call_params(f, 2), "{\"KeyId\":\"" KEY "\"}");
	EXPECT_STR(call_params(f, 5),
		   "{\"SourceSnapshotId\":\"" S1 "\",\"SourceRegion\":\"us-east-1\","
		   "\"Encrypted\":true,\"KmsKeyId\":\"" KEY "\","
		   "\"Description\":\"irx " EXEC ": copy of " S1 " under " KEY "\","
		   "\"TagSpecifications\":[{\"ResourceType\":\"snapshot\",\"Tags\":["
		   "{\"Key\":\"irx:execution-id\",\"Value\":\"" EXEC "\"},"
		   "{\"Key\":\"irx:action\",\"Value\":\"snapshot:ec2Instance\"},"
		   "{\"Key\":\"irx:source-instance\",\"Value\":\"" I "\"},"
		   "{\"Key\":\"irx:source-snapshot\",\"Value\":\"" S1 "\"}]}]}");
	EXPECT_STR(call_params(f, 8), "{\"SnapshotIds\":[\"" C1 "\",\"" C2 "\",\"" C3 "\"]}");
	EXPECT_STR(call_params(f, 9),
		   "{\"SnapshotId\":\"" C1 "\",\"Attribute\":\"createVolumePermission\"}");
	EXPECT_STR(call_params(f, 10),
		   "{\"SnapshotId\":\"" C1 "\",\"Attribute\":\"createVolumePermission\","
		   "\"CreateVolumePermission\":{\"Add\":[{\"UserId\":\"" FORENSIC "\"}]}}");
	EXPECT_STR(text(o.undo),
		   "{\"Action\":\"snapshot:ec2Instance\",\"Source\":\"" I "\","
		   "\"SnapshotIds\":[\"" S1 "\",\"" S2 "\",\"" S3 "\"],"
		   "\"ShareWithAccount\":\"" FORENSIC "\","
		   "\"CopiedSnapshotIds\":[\"" C1 "\",\"" C2 "\",\"" C3 "\"],"
		   "\"SharedWith\":[{\"SnapshotId\":\"" C1 "\",\"UserId\":\"" FORENSIC "\"},"
		   "{\"SnapshotId\":\"" C2 "\",\"UserId\":\"" FORENSIC "\"},"
		   "{\"SnapshotId\":\"" C3 "\",\"UserId\":\"" FORENSIC "\"}]}");
	EXPECT_STR(text(json_object_object_get(o.outputs, "CopiedSnapshotIds")),
		   "[\"" C1 "\",\"" C2 "\",\"" C3 "\"]");
	EXPECT_STR(o.message, "snapshotted 3 EBS volumes of instance '" I "' " VOLS3 ": " S1 ", " S2
			      ", " S3 " (completed); copied under key '" KEY "': " C1 ", " C2
			      ", " C3 "; shared with account '" FORENSIC "'");
	IRX_ASSERT_CONTAINS(spy.log, "copies of instance '" I "': 0 of 3 completed");
	/* before CreateSnapshots, after it, before each copy and before each share */
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 8);
	outcome_free(&o);
	fake_aws_free(f);
}

/* DESIGN §6: snapshots under aws/ebs cannot be shared; the step says why and shares nothing. */
static void test_aws_ebs_share_refused(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	script_instance(f);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:CreateSnapshots",
		       "{\"Snapshots\":[" SNAPK(S1, V1, AWSKEY) "," SNAPK(S2, V2, AWSKEY) "," SNAPK(
			   S3, V3, AWSKEY) "]}");
	fake_aws_reply(f, "kms:DescribeKey", AWS_KEY);
	o = run("ec2Instance", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" I "\",\"ShareWithAccount\":\"" FORENSIC "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), "cannot share snapshot '" S1 "' of instance '" I
					"' with account '" FORENSIC "': " AWS_EBS_MSG);
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeInstances,ec2:DescribeInstanceTypes,ec2:DescribeSnapshots,"
		   "ec2:CreateSnapshots,kms:DescribeKey");
	EXPECT_STR(call_params(f, 4), "{\"KeyId\":\"" AWSKEY "\"}");
	/* the snapshots are taken and kept; nothing was shared */
	EXPECT_STR(text(o.undo), "{\"Action\":\"snapshot:ec2Instance\",\"Source\":\"" I
				 "\",\"SnapshotIds\":[\"" S1 "\",\"" S2 "\",\"" S3
				 "\"],\"ShareWithAccount\":\"" FORENSIC "\"}");
	outcome_free(&o);
	fake_aws_free(f);
}

/* Encrypted with no key named: the default key, refused without asking KMS. */
static void test_default_key_share_refused(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	fake_aws_reply(f, "ec2:DescribeVolumes",
		       "{\"Volumes\":[{\"VolumeId\":\"" V2 "\",\"Attachments\":[]}]}");
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:CreateSnapshot",
		       "{\"SnapshotId\":\"" S4 "\",\"VolumeId\":\"" V2 "\",\"State\":\"completed\","
		       "\"Encrypted\":true}");
	o = run("volume", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" V2 "\",\"ShareWithAccount\":\"" FORENSIC "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), "cannot share snapshot '" S4 "' of volume '" V2
					"' with account '" FORENSIC "': " AWS_EBS_MSG);
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeVolumes,ec2:DescribeSnapshots,ec2:CreateSnapshot");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_aws_managed_copy_key_refused(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	script_instance(f);
	o = run("ec2Instance", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" I "\",\"KmsKeyId\":\"alias/aws/ebs\",\"ShareWithAccount\":"
		"\"" FORENSIC "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "cannot copy the snapshots of instance '" I
		   "' under key 'alias/aws/ebs': it is an AWS managed key; " AWS_EBS_MSG);
	EXPECT_STR(fake_aws_call_names(f), "ec2:DescribeInstances,ec2:DescribeInstanceTypes");
	outcome_free(&o);
	fake_aws_free(f);

	/* by key ARN: KMS says who manages it */
	f = fake_aws_new();
	script_instance(f);
	fake_aws_reply(f, "kms:DescribeKey", AWS_KEY);
	o = run("ec2Instance", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" I "\",\"KmsKeyId\":\"" AWSKEY "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	IRX_ASSERT_CONTAINS(fake_aws_failure(f),
			    "under key '" AWSKEY "': it is an AWS managed key");
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeInstances,ec2:DescribeInstanceTypes,kms:DescribeKey");
	outcome_free(&o);
	fake_aws_free(f);

	/* a disabled customer key */
	f = fake_aws_new();
	script_instance(f);
	fake_aws_reply(f, "kms:DescribeKey",
		       "{\"KeyMetadata\":{\"KeyManager\":\"CUSTOMER\",\"KeyState\":\"Disabled\"}}");
	o = run("ec2Instance", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" I "\",\"KmsKeyId\":\"" KEY "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "cannot copy the snapshots of instance '" I "' under key '" KEY
		   "': the key is 'Disabled', not 'Enabled'");
	outcome_free(&o);
	fake_aws_free(f);
}

/* Dry-run: real reads, the mutating calls planned with placeholders, no waiting, no undo. */
static void test_dry_run_plans(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	script_instance(f);
	fake_aws_reply(f, "kms:DescribeKey", CUSTOMER_KEY);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	/* what the dry-run host answers for a mutating call */
	fake_aws_reply(f, "ec2:CreateSnapshots", "{}");
	fake_aws_reply(f, "ec2:CopySnapshot", "{}");
	fake_aws_reply(f, "ec2:ModifySnapshotAttribute", "{}");
	o = run("ec2Instance", ctx_for(f, true, NULL),
		"{\"TargetArn\":\"" I "\",\"KmsKeyId\":\"" KEY "\",\"ShareWithAccount\":\"" FORENSIC
		"\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeInstances,ec2:DescribeInstanceTypes,kms:DescribeKey,"
		   "ec2:DescribeSnapshots,ec2:CreateSnapshots,"
		   "ec2:CopySnapshot,ec2:CopySnapshot,ec2:CopySnapshot,"
		   "ec2:ModifySnapshotAttribute,ec2:ModifySnapshotAttribute,"
		   "ec2:ModifySnapshotAttribute");
	IRX_ASSERT_CONTAINS(call_params(f, 5),
			    "{\"SourceSnapshotId\":\"(snapshot of " V1 ")\",\"SourceRegion\"");
	EXPECT_STR(call_params(f, 10),
		   "{\"SnapshotId\":\"(copy of (snapshot of " V3 "))\",\"Attribute\":"
		   "\"createVolumePermission\",\"CreateVolumePermission\":{\"Add\":[{\"UserId\":"
		   "\"" FORENSIC "\"}]}}");
	EXPECT_STR(o.message, "would snapshot 3 EBS volumes of instance '" I "' " VOLS3
			      "; would copy them under key '" KEY
			      "'; would share them with account '" FORENSIC "'");
	EXPECT_STR(text(o.undo), "{}");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	outcome_free(&o);
	fake_aws_free(f);

	/* without a copy key the plan warns about aws/ebs */
	f = fake_aws_new();
	script_instance(f);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:CreateSnapshots", "{}");
	fake_aws_reply(f, "ec2:ModifySnapshotAttribute", "{}");
	o = run("ec2Instance", ctx_for(f, true, NULL),
		"{\"TargetArn\":\"" I "\",\"ShareWithAccount\":\"" FORENSIC "\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(o.message, "would snapshot 3 EBS volumes of instance '" I "' " VOLS3
			      "; would share them with account '" FORENSIC
			      "' (refused if they are under 'aws/ebs')");
	outcome_free(&o);
	fake_aws_free(f);
}

#define TAGS(extra)                                                                                \
	"\"Tags\":[{\"Key\":\"irx:execution-id\",\"Value\":\"" EXEC "\"},{\"Key\":\"irx:action\"," \
	"\"Value\":\"snapshot:ec2Instance\"},{\"Key\":\"irx:source-instance\",\"Value\":\"" I      \
	"\"}" extra "]"
#define EXISTING(id, vol)                                                                          \
	"{\"SnapshotId\":\"" id "\",\"VolumeId\":\"" vol "\",\"State\":\"completed\","             \
	"\"Progress\":\"100%\",\"Encrypted\":false," TAGS("") "}"

/* A re-run in the same execution reuses its snapshots and shares: read calls only. */
static void test_second_run_changes_nothing(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	script_instance(f);
	fake_aws_reply(f, "ec2:DescribeSnapshots",
		       "{\"Snapshots\":[" EXISTING(S1, V1) "," EXISTING(S2, V2) "," EXISTING(
			   S3, V3) ",{\"SnapshotId\":\"snap-0000000000000dead\",\"VolumeId\":\"" V1
				   "\",\"State\":\"error\"," TAGS("") "}]}");
	fake_aws_reply(f, "ec2:DescribeSnapshotAttribute", SHARED_PERMS);
	o = run("ec2Instance", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" IARN "\",\"ShareWithAccount\":\"" FORENSIC "\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeInstances,ec2:DescribeInstanceTypes,ec2:DescribeSnapshots,"
		   "ec2:DescribeSnapshotAttribute,ec2:DescribeSnapshotAttribute,"
		   "ec2:DescribeSnapshotAttribute");
	EXPECT_STR(o.message, "already contained: instance '" I "' has snapshots from this "
			      "execution: " S1 ", " S2 ", " S3 " (completed); already shared "
			      "with account '" FORENSIC "'");
	/* the shares on this execution's snapshots are its own: rollback still removes them */
	EXPECT_STR(text(json_object_object_get(o.undo, "SharedWith")),
		   "[{\"SnapshotId\":\"" S1 "\",\"UserId\":\"" FORENSIC "\"},{\"SnapshotId\":\"" S2
		   "\",\"UserId\":\"" FORENSIC "\"},{\"SnapshotId\":\"" S3
		   "\",\"UserId\":\"" FORENSIC "\"}]");
	EXPECT_STR(text(json_object_object_get(o.outputs, "SnapshotIds")),
		   "[\"" S1 "\",\"" S2 "\",\"" S3 "\"]");
	outcome_free(&o);
	fake_aws_free(f);

	/* copies are found by their irx:source-snapshot tag and reused too */
	f = fake_aws_new();
	script_instance(f);
	fake_aws_reply(f, "kms:DescribeKey", CUSTOMER_KEY);
	fake_aws_reply(
	    f, "ec2:DescribeSnapshots",
	    "{\"Snapshots\":[" EXISTING(S1, V1) "," EXISTING(S2, V2) "," EXISTING(
		S3,
		V3) ","
		    "{\"SnapshotId\":\"" C1
		    "\",\"VolumeId\":\"vol-ffffffff\",\"State\":\"completed\","
		    "\"Encrypted\":true,\"KmsKeyId\":\"" KEY "\"," TAGS(
			",{\"Key\":\"irx:source-snapshot\",\"Value\":\"" S1
			"\"}") "},"
			       "{\"SnapshotId\":\"" C2
			       "\",\"VolumeId\":\"vol-ffffffff\",\"State\":\"completed\","
			       "\"Encrypted\":true,\"KmsKeyId\":\"" KEY "\"," TAGS(
				   ",{\"Key\":\"irx:source-snapshot\",\"Value\":\"" S2
				   "\"}") "},"
					  "{\"SnapshotId\":\"" C3
					  "\",\"VolumeId\":\"vol-ffffffff\",\"State\":"
					  "\"completed\","
					  "\"Encrypted\":true,\"KmsKeyId\":\"" KEY "\"," TAGS(
					      ",{\"Key\":\"irx:source-snapshot\",\"Value\":\"" S3
					      "\"}") "}]}");
	o = run("ec2Instance", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" I "\",\"KmsKeyId\":\"" KEY "\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f), "ec2:DescribeInstances,ec2:DescribeInstanceTypes,"
					   "kms:DescribeKey,ec2:DescribeSnapshots");
	EXPECT_STR(o.message, "already contained: instance '" I "' has snapshots from this "
			      "execution: " S1 ", " S2 ", " S3
			      " (completed); copied under key '" KEY "': " C1 ", " C2 ", " C3);
	outcome_free(&o);
	fake_aws_free(f);
}

static int deny_second_share(void *ud, struct fake_aws *f, struct json_object *params,
			     struct json_object **response)
{
	int *n = ud;

	(void)params;
	if (++*n == 2) {
		fake_aws_set_error(f, 403, "UnauthorizedOperation",
				   "You are not authorized to perform this operation.");
		return -1;
	}
	*response = json_object_new_object();
	return 0;
}

/* AccessDenied mid-way: the step fails with the AWS message; the undo holds what was done. */
static void test_access_denied_mid_share(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;
	int n = 0;

	script_instance(f);
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:CreateSnapshots", CREATED3_DONE);
	fake_aws_reply(f, "ec2:DescribeSnapshotAttribute", NO_PERMS);
	fake_aws_handle(f, "ec2:ModifySnapshotAttribute", deny_second_share, &n);
	o = run("ec2Instance", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" I "\",\"ShareWithAccount\":\"" FORENSIC "\"}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), "UnauthorizedOperation: You are not authorized to perform "
					"this operation. (HTTP 403, request id fake-0001)");
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeInstances,ec2:DescribeInstanceTypes,ec2:DescribeSnapshots,"
		   "ec2:CreateSnapshots,ec2:DescribeSnapshotAttribute,ec2:ModifySnapshotAttribute,"
		   "ec2:DescribeSnapshotAttribute,ec2:ModifySnapshotAttribute");
	EXPECT_STR(text(o.undo), "{\"Action\":\"snapshot:ec2Instance\",\"Source\":\"" I
				 "\",\"SnapshotIds\":[\"" S1 "\",\"" S2 "\",\"" S3
				 "\"],\"ShareWithAccount\":\"" FORENSIC "\",\"SharedWith\":[{"
				 "\"SnapshotId\":\"" S1 "\",\"UserId\":\"" FORENSIC "\"}]}");
	outcome_free(&o);
	fake_aws_free(f);
}

static int perms_by_snapshot(void *ud, struct fake_aws *f, struct json_object *params,
			     struct json_object **response)
{
	const char *sid = json_object_get_string(json_object_object_get(params, "SnapshotId"));

	(void)ud;
	(void)f;
	*response = json_tokener_parse(strcmp(sid, S1) == 0 ? SHARED_PERMS : NO_PERMS);
	return 0;
}

#define UNDO_SHARED                                                                                \
	"{\"Action\":\"snapshot:ec2Instance\",\"Source\":\"" I "\",\"SnapshotIds\":[\"" S1         \
	"\",\"" S2 "\"],\"CopiedSnapshotIds\":[\"" C1 "\"],\"ShareWithAccount\":\"" FORENSIC "\"," \
	"\"SharedWith\":[{\"SnapshotId\":\"" S1 "\",\"UserId\":\"" FORENSIC "\"},"                 \
	"{\"SnapshotId\":\"" S2 "\",\"UserId\":\"" FORENSIC "\"}]}"

/* Rollback never deletes evidence: it removes the shares it added and lists what it kept. */
static void test_rollback_unshares_and_keeps(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	fake_aws_handle(f, "ec2:DescribeSnapshotAttribute", perms_by_snapshot, NULL);
	fake_aws_reply(f, "ec2:ModifySnapshotAttribute", "{}");
	o = roll(ctx_for(f, false, NULL), UNDO_SHARED);
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f), "ec2:DescribeSnapshotAttribute,"
					   "ec2:ModifySnapshotAttribute,"
					   "ec2:DescribeSnapshotAttribute");
	EXPECT_STR(call_params(f, 1),
		   "{\"SnapshotId\":\"" S1 "\",\"Attribute\":\"createVolumePermission\","
		   "\"CreateVolumePermission\":{\"Remove\":[{\"UserId\":\"" FORENSIC "\"}]}}");
	EXPECT_STR(o.message, "removed the share with account '" FORENSIC "' on 1 snapshot; kept "
			      "3 snapshots as evidence (" S1 ", " S2 ", " C1 "): delete them by "
			      "hand when the case is closed");
	EXPECT_STR(text(json_object_object_get(o.outputs, "KeptSnapshotIds")),
		   "[\"" S1 "\",\"" S2 "\",\"" C1 "\"]");
	CU_ASSERT_PTR_NULL(strstr(fake_aws_call_names(f), "DeleteSnapshot"));
	outcome_free(&o);
	fake_aws_free(f);

	/* dry-run rollback: same reads, the removal planned */
	f = fake_aws_new();
	fake_aws_handle(f, "ec2:DescribeSnapshotAttribute", perms_by_snapshot, NULL);
	fake_aws_reply(f, "ec2:ModifySnapshotAttribute", "{}");
	o = roll(ctx_for(f, true, NULL), UNDO_SHARED);
	CU_ASSERT_EQUAL(o.rc, 0);
	IRX_ASSERT_CONTAINS(o.message, "would remove the share with account '" FORENSIC
				       "' on 1 snapshot; kept 3 snapshots");
	outcome_free(&o);
	fake_aws_free(f);

	/* nothing shared: reads nothing, changes nothing */
	f = fake_aws_new();
	o = roll(ctx_for(f, false, NULL), "{\"Action\":\"snapshot:volume\",\"Source\":\"" V2
					  "\",\"SnapshotIds\":[\"" S4 "\"]}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f), "");
	EXPECT_STR(o.message, "nothing was shared; kept 1 snapshot as evidence (" S4
			      "): delete them by hand when the case is closed");
	outcome_free(&o);
	fake_aws_free(f);

	f = fake_aws_new();
	o = roll(ctx_for(f, false, NULL), "{\"SnapshotIds\":[]}");
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), "undo record lacks Action or Source");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_volume(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	fake_aws_reply(f, "ec2:DescribeVolumes",
		       "{\"Volumes\":[{\"VolumeId\":\"" V2 "\",\"Attachments\":[{\"InstanceId\":"
		       "\"" I "\",\"Device\":\"/dev/sdf\",\"State\":\"attached\"}]}]}");
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:DescribeSnapshots",
		       "{\"Snapshots\":[" SNAP(S4, V2, "completed", "100%") "]}");
	fake_aws_reply(f, "ec2:CreateSnapshot",
		       "{\"SnapshotId\":\"" S4 "\",\"VolumeId\":\"" V2 "\",\"State\":\"pending\","
		       "\"Progress\":\"\"}");
	o = run("volume", ctx_for(f, false, "CASE-7"),
		"{\"TargetArn\":\"arn:aws:ec2:us-east-1:111111111111:volume/" V2 "\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f), "ec2:DescribeVolumes,ec2:DescribeSnapshots,"
					   "ec2:CreateSnapshot,ec2:DescribeSnapshots");
	EXPECT_STR(call_params(f, 0), "{\"VolumeIds\":[\"" V2 "\"]}");
	EXPECT_STR(call_params(f, 1),
		   "{\"OwnerIds\":[\"self\"],\"Filters\":["
		   "{\"Name\":\"tag:irx:execution-id\",\"Values\":[\"" EXEC "\"]},"
		   "{\"Name\":\"tag:irx:action\",\"Values\":[\"snapshot:volume\"]},"
		   "{\"Name\":\"tag:irx:source-volume\",\"Values\":[\"" V2 "\"]}]}");
	EXPECT_STR(call_params(f, 2),
		   "{\"VolumeId\":\"" V2 "\",\"Description\":\"irx " EXEC ": snapshot of " V2 "\","
		   "\"TagSpecifications\":[{\"ResourceType\":\"snapshot\",\"Tags\":["
		   "{\"Key\":\"irx:execution-id\",\"Value\":\"" EXEC "\"},"
		   "{\"Key\":\"irx:case-id\",\"Value\":\"CASE-7\"},"
		   "{\"Key\":\"irx:action\",\"Value\":\"snapshot:volume\"},"
		   "{\"Key\":\"irx:source-volume\",\"Value\":\"" V2 "\"}]}]}");
	EXPECT_STR(o.message, "snapshotted volume '" V2 "' (attached to instance '" I
			      "' as /dev/sdf): " S4 " (completed)");
	EXPECT_STR(text(o.undo), "{\"Action\":\"snapshot:volume\",\"Source\":\"" V2
				 "\",\"SnapshotIds\":[\"" S4 "\"]}");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 5000);
	outcome_free(&o);
	fake_aws_free(f);

	/* not waiting: the message says the snapshot is still pending */
	f = fake_aws_new();
	fake_aws_reply(f, "ec2:DescribeVolumes", "{\"Volumes\":[{\"VolumeId\":\"" V2 "\"}]}");
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:CreateSnapshot",
		       "{\"SnapshotId\":\"" S4 "\",\"VolumeId\":\"" V2 "\",\"State\":\"pending\"}");
	o = run("volume", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" V2
		"\",\"WaitForCompletion\":false,\"Description\":\"case 7\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(o.message, "snapshotted volume '" V2 "': " S4 " (pending)");
	IRX_ASSERT_CONTAINS(call_params(f, 2), "\"Description\":\"case 7\"");
	EXPECT_STR(fake_aws_call_names(f),
		   "ec2:DescribeVolumes,ec2:DescribeSnapshots,ec2:CreateSnapshot");
	outcome_free(&o);
	fake_aws_free(f);
}

/* CopyToRegion: CopySnapshot called in the destination region, found again on a re-run. */
static void test_copy_to_region(void)
{
	struct fake_aws *f = fake_aws_new();
	struct json_object *calls = NULL;
	struct outcome o;

	fake_aws_reply(f, "ec2:DescribeVolumes", "{\"Volumes\":[{\"VolumeId\":\"" V2 "\"}]}");
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:DescribeSnapshots",
		       "{\"Snapshots\":[" SNAP(S4, V2, "completed", "100%") "]}");
	fake_aws_reply(f, "ec2:DescribeSnapshots", NONE);
	fake_aws_reply(f, "ec2:CreateSnapshot",
		       "{\"SnapshotId\":\"" S4 "\",\"VolumeId\":\"" V2 "\",\"State\":\"pending\"}");
	fake_aws_reply(f, "ec2:CopySnapshot", "{\"SnapshotId\":\"snap-0eu\"}");
	o = run("volume", ctx_for(f, false, NULL),
		"{\"TargetArn\":\"" V2 "\",\"CopyToRegion\":\"eu-west-1\"}");
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f), "ec2:DescribeVolumes,ec2:DescribeSnapshots,"
					   "ec2:CreateSnapshot,ec2:DescribeSnapshots,"
					   "ec2:DescribeSnapshots,ec2:CopySnapshot");
	calls = fake_aws_calls(f);
	/* the last two go to the destination region; the copy names its source region */
	EXPECT_STR(json_object_get_string(json_object_object_get(
		       json_object_array_get_idx(calls, 5), "region")),
		   "eu-west-1");
	EXPECT_STR(json_object_get_string(json_object_object_get(
		       json_object_array_get_idx(calls, 4), "region")),
		   "eu-west-1");
	CU_ASSERT_PTR_NULL(json_object_object_get(json_object_array_get_idx(calls, 3), "region"));
	IRX_ASSERT_CONTAINS(call_params(f, 5), "\"SourceSnapshotId\":\"" S4
					       "\",\"SourceRegion\":\"us-east-1\"");
	IRX_ASSERT_CONTAINS(call_params(f, 5), "{\"Key\":\"irx:source-snapshot\",\"Value\":\"" S4
					       "\"}");
	IRX_ASSERT_CONTAINS(o.message, "copying them (in the background) to region 'eu-west-1': "
				       "snap-0eu");
	IRX_ASSERT_CONTAINS(text(o.undo),
			    "\"RegionCopies\":[{\"Region\":\"eu-west-1\",\"SnapshotId\":\"snap-0eu\"}]");
	outcome_free(&o);
	fake_aws_free(f);
}

static void expect_refused(const char *name, const char *inputs, const char *msg)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o = run(name, ctx_for(f, false, NULL), inputs);

	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), msg);
	EXPECT_STR(fake_aws_call_names(f), "");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_bad_inputs(void)
{
	expect_refused("ec2Instance", "{\"TargetArn\":\"arn:aws:iam::111111111111:role/x\"}",
		       "'arn:aws:iam::111111111111:role/x' is not an EC2 instance ARN");
	expect_refused(
	    "ec2Instance", "{\"TargetArn\":\"arn:aws:ec2:us-east-1:111111111111:volume/" V1 "\"}",
	    "'arn:aws:ec2:us-east-1:111111111111:volume/" V1 "' is not an EC2 instance ARN");
	expect_refused("ec2Instance", "{\"TargetArn\":\"i-XYZ\"}",
		       "'i-XYZ' does not name an EC2 instance (expected 'i-…')");
	expect_refused("ec2Instance", "{\"TargetArn\":\"arn:aws:ec2:us-east-1:1:instance/\"}",
		       "'arn:aws:ec2:us-east-1:1:instance/' does not name an EC2 instance "
		       "(expected 'i-…')");
	expect_refused("volume", "{\"TargetArn\":\"" I "\"}",
		       "'" I "' does not name an EC2 volume (expected 'vol-…')");
	expect_refused("ec2Instance", "{\"TargetArn\":\"\"}", "TargetArn is empty");
	expect_refused("ec2Instance", "{\"TargetArn\":\"" I "\",\"ShareWithAccount\":\"all\"}",
		       "refusing to share evidence with group 'all' (public): name a forensic "
		       "account");
	expect_refused("ec2Instance", "{\"TargetArn\":\"" I "\",\"ShareWithAccount\":\"12345\"}",
		       "ShareWithAccount '12345' is not a 12-digit account id");
	expect_refused("ec2Instance",
		       "{\"TargetArn\":\"" I "\",\"ShareWithAccount\":\"111111111111\"}",
		       "ShareWithAccount '111111111111' is the account the snapshots are in");
	expect_refused("volume",
		       "{\"TargetArn\":\"" V1 "\",\"WaitForCompletion\":false,\"KmsKeyId\":\"k\"}",
		       "WaitForCompletion false cannot be combined with KmsKeyId, "
		       "ShareWithAccount or CopyToRegion: copying and sharing need completed "
		       "snapshots");
	expect_refused("volume", "{\"TargetArn\":\"" V1 "\",\"CopyToRegion\":\"evil.example/x\"}",
		       "CopyToRegion 'evil.example/x' is not an AWS region");
	expect_refused("volume", "{\"TargetArn\":\"" V1 "\",\"CopyToRegion\":\"us-east-1\"}",
		       "CopyToRegion 'us-east-1' is the region the snapshots are in");
}

static void test_descriptor(void)
{
	const struct irx_plugin *p = irx_plugin_entry_snapshot();
	const struct irx_action *a = action("ec2Instance");

	CU_ASSERT_STRING_EQUAL(p->name, "snapshot");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->flags, IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT);
	CU_ASSERT_STRING_EQUAL(a->params[0].name, "TargetArn");
	CU_ASSERT_EQUAL(a->params[0].flags, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE);
	CU_ASSERT_PTR_NOT_NULL(a->rollback);
	CU_ASSERT_PTR_NOT_NULL(action("volume"));
}

static CU_TestInfo tests[] = {
    {"copy to another region", test_copy_to_region},
    {"every EBS volume, crash-consistent (seed: root volume only)", test_every_volume_snapshotted},
    {"a CreateSnapshots answer missing a volume fails", test_missing_volume_fails},
    {"the deadline stops the wait, snapshots kept", test_deadline_stops_wait},
    {"a snapshot in state error fails the step", test_error_state_fails},
    {"instance store is reported", test_instance_store_reported},
    {"no EBS volume at all", test_no_ebs_volume},
    {"unknown instance", test_unknown_instance},
    {"copy under a customer key, then share", test_copy_and_share},
    {"sharing under aws/ebs refused with the reason", test_aws_ebs_share_refused},
    {"encrypted under the default key: refused", test_default_key_share_refused},
    {"an AWS managed or disabled copy key refused", test_aws_managed_copy_key_refused},
    {"dry-run plans with placeholders", test_dry_run_plans},
    {"a second run changes nothing", test_second_run_changes_nothing},
    {"AccessDenied mid-way", test_access_denied_mid_share},
    {"rollback removes shares, keeps evidence", test_rollback_unshares_and_keeps},
    {"snapshot:volume", test_volume},
    {"bad inputs refused before any call", test_bad_inputs},
    {"descriptor", test_descriptor},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("plugin_snapshot", tests, NULL, NULL)
