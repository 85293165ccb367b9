/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declared AWS calls: the loader's checks, the host's and the fake's refusal of an undeclared
 * call, the IAM mapping, and the committed member-account template (it must grant every
 * call the shipped plugins declare: regenerate it with `irx policy --cloudformation`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "error.h"
#include "fake_aws.h"
#include "host.h"
#include "node.h"
#include "plugins.h"
#include "policy.h"
#include "test.h"
#include "util.h"

const struct irx_plugin *irx_plugin_entry_isolate(void);
const struct irx_plugin *irx_plugin_entry_deny(void);
const struct irx_plugin *irx_plugin_entry_concurrency_zero(void);
const struct irx_plugin *irx_plugin_entry_snapshot(void);
const struct irx_plugin *irx_plugin_entry_notify(void);
const struct irx_plugin *irx_plugin_entry_ssm(void);

/* The shipped plugins in the order `irx policy` scans them (file names sorted). */
static irx_plugin_entry_fn *const shipped[] = {
    irx_plugin_entry_concurrency_zero, irx_plugin_entry_deny,	  irx_plugin_entry_isolate,
    irx_plugin_entry_notify,	       irx_plugin_entry_snapshot, irx_plugin_entry_ssm,
};
#define NSHIPPED (sizeof(shipped) / sizeof(shipped[0]))
#define SHIPPED_NAMES "concurrency-zero, deny, isolate, notify, snapshot, ssm"
#define TEMPLATE "tools/cloudformation/member-account-role.yaml"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n = 0;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = irx_xcalloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void build_shipped(struct irx_policy *p)
{
	struct irx_error err = {0};

	irx_policy_init(p);
	for (size_t i = 0; i < NSHIPPED; i++)
		CU_ASSERT_EQUAL(irx_policy_add_plugin(p, shipped[i](), &err), 0);
	CU_ASSERT_EQUAL(irx_policy_add_calls(p, irx_policy_engine_calls, &err), 0);
	CU_ASSERT_STRING_EQUAL(err.message, "");
}

/* Every shipped action declares its calls, and the loader accepts the declarations. */
static void test_shipped_declare(void)
{
	struct irx_plugins *ps = irx_plugins_new(NULL, 0, NULL);

	for (size_t i = 0; i < NSHIPPED; i++) {
		struct irx_error err = {0};
		const struct irx_loaded_plugin *lp = irx_plugins_add_static(ps, shipped[i], &err);

		CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
		CU_ASSERT_STRING_EQUAL(err.message, "");
		for (const struct irx_action *a = lp->desc.actions; a->name; a++) {
			if (!a->aws_calls)
				fprintf(stderr, "\n%s:%s declares no aws_calls\n", lp->desc.name,
					a->name);
			CU_ASSERT_PTR_NOT_NULL(a->aws_calls);
		}
	}
	irx_plugins_free(ps);
}

/* The committed template is what `irx policy --cloudformation` makes of the shipped plugins. */
static void test_template_current(void)
{
	struct irx_policy p;
	char *want = NULL, *have = read_all(irx_test_src(TEMPLATE));

	build_shipped(&p);
	want = irx_policy_cloudformation(&p, SHIPPED_NAMES);
	CU_ASSERT_PTR_NOT_NULL_FATAL(have);
	for (size_t i = 0; i < p.count; i++) {
		char line[256];

		snprintf(line, sizeof(line), "\n                  - %s\n", p.actions[i]);
		if (!strstr(have, line))
			fprintf(stderr,
				"\n%s does not grant %s: run `irx policy --cloudformation`\n",
				TEMPLATE, p.actions[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(have, line));
	}
	CU_ASSERT_STRING_EQUAL(have, want);
	free(want);
	free(have);
	irx_policy_release(&p);
}

/*
 * Seed defect: the seed's role policy lacked ec2:ModifyNetworkInterfaceAttribute, so
 * containment failed with AccessDenied before anything changed. isolate declares it and the
 * template grants it.
 */
static void test_seed_defect_eni_permission(void)
{
	const struct irx_action *a = &irx_plugin_entry_isolate()->actions[0];
	char *have = read_all(irx_test_src(TEMPLATE));
	bool declared = false;

	CU_ASSERT_STRING_EQUAL(a->name, "ec2Instance");
	for (size_t i = 0; a->aws_calls && a->aws_calls[i]; i++)
		declared |= strcmp(a->aws_calls[i], "ec2:ModifyNetworkInterfaceAttribute") == 0;
	CU_ASSERT_TRUE(declared);
	CU_ASSERT_PTR_NOT_NULL_FATAL(have);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(have, "\n                  - ec2:ModifyNetworkInterfaceAttribute\n"));
	free(have);
}

static void expect_map(const char *call, int count, const char *first, const char *second)
{
	const char *out[16] = {0};
	char buf[256] = "";
	struct irx_error err = {0};

	CU_ASSERT_EQUAL(irx_policy_iam_actions(call, out, 16, buf, sizeof(buf), &err), count);
	if (count > 0)
		CU_ASSERT_STRING_EQUAL(out[0], first);
	if (count > 1)
		CU_ASSERT_STRING_EQUAL(out[1], second);
	CU_ASSERT_STRING_EQUAL(err.message, "");
}

static void expect_map_error(const char *call, const char *msg)
{
	const char *out[4] = {0};
	char buf[64] = "";
	struct irx_error err = {0};

	CU_ASSERT_EQUAL(irx_policy_iam_actions(call, out, 4, buf, sizeof(buf), &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, msg);
}

static void test_iam_mapping(void)
{
	expect_map("ec2:DescribeInstances", 1, "ec2:DescribeInstances", NULL);
	expect_map("elasticloadbalancingv2:DeregisterTargets", 1,
		   "elasticloadbalancing:DeregisterTargets", NULL);
	expect_map("resourcegroupstaggingapi:GetResources", 1, "tag:GetResources", NULL);
	expect_map("s3:ListObjectsV2", 1, "s3:ListBucket", NULL);
	expect_map("s3:GetObject", 1, "s3:GetObject", NULL);
	expect_map("sts:GetCallerIdentity", 0, NULL, NULL);
	expect_map("ec2:CreateSnapshots", 2, "ec2:CreateSnapshots", "ec2:CreateTags");
	expect_map("ec2:CopySnapshot", 8, "ec2:CopySnapshot", "ec2:CreateTags");
	expect_map_error("ecs:ListTasks",
			 "no IAM prefix is known for the service of 'ecs:ListTasks'");
	expect_map_error("ec2", "'ec2' is not \"service:Operation\"");
	expect_map_error(":Describe", "':Describe' is not \"service:Operation\"");
}

static void test_policy_json(void)
{
	struct irx_policy p;
	struct irx_error err = {0};
	static const char *const calls[] = {"iam:GetUser", "ec2:DescribeInstances", "iam:GetUser",
					    NULL};
	char *json = NULL;

	irx_policy_init(&p);
	CU_ASSERT_EQUAL(irx_policy_add_calls(&p, calls, &err), 0);
	CU_ASSERT_EQUAL(p.count, 2);
	CU_ASSERT_TRUE(irx_policy_grants(&p, "ec2:DescribeInstances"));
	CU_ASSERT_FALSE(irx_policy_grants(&p, "ec2:DescribeNetworkInterfaces"));
	json = irx_policy_json(&p);
	CU_ASSERT_STRING_EQUAL(json, "{\n"
				     "  \"Version\": \"2012-10-17\",\n"
				     "  \"Statement\": [\n"
				     "    {\n"
				     "      \"Sid\": \"IrxDeclaredCalls\",\n"
				     "      \"Effect\": \"Allow\",\n"
				     "      \"Action\": [\n"
				     "        \"ec2:DescribeInstances\",\n"
				     "        \"iam:GetUser\"\n"
				     "      ],\n"
				     "      \"Resource\": \"*\"\n"
				     "    }\n"
				     "  ]\n"
				     "}\n");
	free(json);
	irx_policy_release(&p);
}

/* --- the loader ------------------------------------------------------------------------ */

static int nop(const struct irx_context *ctx, struct json_object *in, struct irx_result *res)
{
	return 0;
}

static const struct irx_param no_params[] = {{0}};
static const char *const *decl_under_test;

static const struct irx_plugin *decl_entry(void)
{
	static struct irx_action actions[2];
	static struct irx_plugin desc;

	memset(actions, 0, sizeof(actions));
	actions[0] = (struct irx_action){"act", "test", 0, no_params, nop, NULL, decl_under_test};
	desc = (struct irx_plugin){IRX_PLUGIN_ABI_MAJOR,
				   IRX_PLUGIN_ABI_MINOR,
				   sizeof(struct irx_plugin),
				   "decl",
				   "1.0.0",
				   "Apache-2.0",
				   actions,
				   NULL,
				   NULL};
	return &desc;
}

static void expect_refusal(const char *const *calls, const char *msg)
{
	struct irx_plugins *ps = irx_plugins_new(NULL, 0, NULL);
	struct irx_error err = {0};

	decl_under_test = calls;
	CU_ASSERT_PTR_NULL(irx_plugins_add_static(ps, decl_entry, &err));
	if (strcmp(err.message, msg) != 0)
		fprintf(stderr, "\n got: %s\nwant: %s\n", err.message, msg);
	CU_ASSERT_STRING_EQUAL(err.message, msg);
	irx_plugins_free(ps);
}

static void test_loader_checks(void)
{
	static const char *const unknown_op[] = {"ec2:DescribeInstances", "ec2:Foo", NULL};
	static const char *const unknown_svc[] = {"nosuch:Foo", NULL};
	static const char *const alias[] = {"ec2:describe_instances", NULL};
	static const char *const malformed[] = {"DescribeInstances", NULL};
	static const char *const twice[] = {"iam:GetUser", "iam:GetUser", NULL};
	static const char *const good[] = {"elasticloadbalancingv2:DeregisterTargets", NULL};
	static const char *const none[] = {NULL};
	struct irx_plugins *ps = NULL;
	struct irx_error err = {0};

	expect_refusal(unknown_op, "refusing linked-in plugin 'decl': action 'act' declares "
				   "unknown AWS call 'ec2:Foo' (unknown operation 'Foo' for AWS "
				   "service 'ec2')");
	expect_refusal(unknown_svc, "refusing linked-in plugin 'decl': action 'act' declares "
				    "unknown AWS call 'nosuch:Foo' (unknown AWS service 'nosuch' "
				    "(irx knows autoscaling, dynamodb, ec2, elbv2, guardduty, iam, "
				    "kms, lambda, organizations, resourcegroupstaggingapi, s3, "
				    "secretsmanager, securityhub, sns, sqs, ssm, sts))");
	expect_refusal(alias, "refusing linked-in plugin 'decl': action 'act' declares AWS call "
			      "'ec2:describe_instances'; spell it as the model does: "
			      "'ec2:DescribeInstances'");
	expect_refusal(malformed, "refusing linked-in plugin 'decl': action 'act' declares AWS "
				  "call 'DescribeInstances', which is not \"service:Operation\"");
	expect_refusal(twice, "refusing linked-in plugin 'decl': action 'act' declares AWS call "
			      "'iam:GetUser' twice");
	for (int i = 0; i < 2; i++) {
		ps = irx_plugins_new(NULL, 0, NULL);
		decl_under_test = i ? none : good;
		CU_ASSERT_PTR_NOT_NULL(irx_plugins_add_static(ps, decl_entry, &err));
		CU_ASSERT_STRING_EQUAL(err.message, "");
		irx_plugins_free(ps);
	}
}

/* A plugin built against ABI 1.0: its actions array has the 1.0 element size. */
struct action_1_0 {
	const char *name, *summary;
	uint32_t flags;
	const struct irx_param *params;
	irx_execute_fn *execute;
	irx_rollback_fn *rollback;
};

static const struct action_1_0 old_actions[] = {
    {"first", "one", 0, no_params, nop, NULL},
    {"second", "two", IRX_ACTION_MUTATES, no_params, nop, NULL},
    {0},
};

static const struct irx_plugin *old_entry(void)
{
	static const struct irx_plugin desc = {IRX_PLUGIN_ABI_MAJOR,
					       0,
					       sizeof(struct irx_plugin),
					       "old",
					       "0.9.0",
					       "Apache-2.0",
					       (const struct irx_action *)(const void *)old_actions,
					       NULL,
					       NULL};
	return &desc;
}

static void test_abi_1_0_actions_widened(void)
{
	struct irx_plugins *ps = irx_plugins_new(NULL, 0, NULL);
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = irx_plugins_add_static(ps, old_entry, &err);

	CU_ASSERT_EQUAL(sizeof(struct action_1_0), offsetof(struct irx_action, aws_calls));
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_STRING_EQUAL(lp->desc.actions[0].name, "first");
	CU_ASSERT_STRING_EQUAL(lp->desc.actions[1].name, "second");
	CU_ASSERT_EQUAL(lp->desc.actions[1].flags, IRX_ACTION_MUTATES);
	CU_ASSERT_PTR_NULL(lp->desc.actions[0].aws_calls);
	CU_ASSERT_PTR_NULL(lp->desc.actions[1].aws_calls);
	CU_ASSERT_PTR_NULL(lp->desc.actions[2].name);
	irx_plugins_free(ps);
}

/* --- the host -------------------------------------------------------------------------- */

static int sent;

static int stub_call(void *ud, struct irx_call *call, const char *service, const char *op,
		     struct json_object *params, struct json_object **response)
{
	sent++;
	*response = json_object_new_object();
	return 0;
}

static size_t stub_many(void *ud, struct irx_call *call, struct irx_aws_request *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sent++;
		reqs[i].response = json_object_new_object();
		reqs[i].failed = 0;
	}
	return 0;
}

static void test_host_refuses_undeclared(void)
{
	static const char *const calls[] = {"ec2:DescribeInstances", "ec2:CreateTags", NULL};
	const struct irx_host *h = irx_host_table(true);
	struct irx_call call;
	struct json_object *resp = NULL;
	struct irx_aws_request reqs[2] = {{"ec2", "DescribeInstances"}, {"ec2", "Foo"}};
	static const char *const expected[] = {"NoSuchEntity", NULL};

	sent = 0;
	irx_call_init(&call);
	call.action = "isolate:ec2Instance";
	call.aws_calls = calls;
	call.aws_call = stub_call;
	call.aws_call_many = stub_many;
	CU_ASSERT_EQUAL(h->aws_call(&call, "ec2", "DescribeInstances", NULL, &resp), 0);
	json_object_put(resp);
	/* a boto3-style alias of a declared call is the declared call */
	CU_ASSERT_EQUAL(h->aws_call(&call, "ec2", "create_tags", NULL, &resp), 0);
	json_object_put(resp);
	CU_ASSERT_EQUAL(sent, 2);
	CU_ASSERT_EQUAL(h->aws_call(&call, "ec2", "Foo", NULL, &resp), -1);
	CU_ASSERT_PTR_NULL(resp);
	CU_ASSERT_EQUAL(sent, 2);
	CU_ASSERT_STRING_EQUAL(call.error.message, "action 'isolate:ec2Instance' called ec2:Foo, "
						   "which it does not declare in aws_calls");
	irx_error_clear(&call.error);
	/* not an AWS error code: an expected code cannot turn it into an answer */
	CU_ASSERT_EQUAL(h->aws_call_expect(&call, "iam", "GetLoginProfile", NULL, expected, &resp),
			-1);
	CU_ASSERT_STRING_EQUAL(call.error.message,
			       "action 'isolate:ec2Instance' called iam:GetLoginProfile, which it "
			       "does not declare in aws_calls");
	irx_error_clear(&call.error);
	/* one undeclared call in a batch: nothing of the batch is sent */
	CU_ASSERT_EQUAL(h->aws_call_many(&call, reqs, 2), 2);
	CU_ASSERT_EQUAL(sent, 2);
	CU_ASSERT_TRUE(reqs[0].failed && reqs[1].failed);
	CU_ASSERT_STRING_EQUAL(reqs[0].error,
			       "not sent: its batch has an undeclared call (ec2:Foo)");
	CU_ASSERT_STRING_EQUAL(reqs[1].error, "action 'isolate:ec2Instance' called ec2:Foo, "
					      "which it does not declare in aws_calls");
	CU_ASSERT_STRING_EQUAL(call.error.message, reqs[1].error);
	irx_error_clear(&call.error);
	/* undeclared (built-ins): anything goes */
	call.aws_calls = NULL;
	CU_ASSERT_EQUAL(h->aws_call(&call, "ec2", "Foo", NULL, &resp), 0);
	json_object_put(resp);
	CU_ASSERT_EQUAL(sent, 3);
	irx_call_release(&call);
}

static void test_fake_declare(void)
{
	static const char *const calls[] = {"ec2:DescribeInstances", NULL};
	struct fake_aws *f = fake_aws_new();
	const struct irx_context *ctx = NULL;
	struct json_object *resp = NULL;

	fake_aws_reply(f, "ec2:DescribeInstances", "{}");
	fake_aws_reply(f, "ec2:CreateTags", "{}");
	fake_aws_declare(f, calls);
	ctx = fake_aws_context(f, "s", false);
	CU_ASSERT_EQUAL(ctx->host->aws_call(ctx->call, "ec2", "DescribeInstances", NULL, &resp), 0);
	json_object_put(resp);
	CU_ASSERT_EQUAL(ctx->host->aws_call(ctx->call, "ec2", "CreateTags", NULL, &resp), -1);
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "action called ec2:CreateTags, which it does not declare in aws_calls");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "ec2:DescribeInstances");
	fake_aws_free(f);
}

/* --- the templates ----------------------------------------------------------------------- */

static const struct irx_node *path(const struct irx_node *n, const char *const *keys)
{
	for (size_t i = 0; n && keys[i]; i++)
		n = irx_node_get(n, keys[i]);
	return n;
}

static void test_templates_parse(void)
{
	static const char *const files[] = {"tools/cloudformation/member-account-role.yaml",
					    "tools/cloudformation/security-account.yaml"};
	static const char *const role_type[] = {"Resources", "ResponderRole", "Type", NULL};
	static const char *const ext_id[] = {"Resources", "ResponderRole", "Properties",
					     "AssumeRolePolicyDocument", NULL};
	static const char *const runtime[] = {"Resources", "Function", "Properties", "Runtime",
					      NULL};
	static const char *const sub_proto[] = {"Resources", "QueueSubscription", "Properties",
						"Protocol", NULL};

	for (size_t i = 0; i < 2; i++) {
		struct irx_diags d = {0};
		struct irx_doc *doc = irx_doc_load_file(irx_test_src(files[i]), &d);

		if (d.count)
			irx_diags_print(&d, stderr);
		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		CU_ASSERT_EQUAL(d.count, 0);
		if (i == 0) {
			CU_ASSERT_STRING_EQUAL(irx_node_str(path(doc->root, role_type)),
					       "AWS::IAM::Role");
			CU_ASSERT_PTR_NOT_NULL(path(doc->root, ext_id));
		} else {
			CU_ASSERT_STRING_EQUAL(irx_node_str(path(doc->root, runtime)),
					       "provided.al2023");
			CU_ASSERT_STRING_EQUAL(irx_node_str(path(doc->root, sub_proto)), "sqs");
		}
		irx_doc_free(doc);
		irx_diags_release(&d);
	}
}

/* `irx policy` on the built plugins prints the same policy the in-memory build makes. */
static void test_cmd_policy(void)
{
	const char *argv[] = {NULL, "policy", "--plugin-dir", NULL, "--cloudformation", NULL};
	static const char *const env[] = {"IRX_PLUGIN_PATH=", NULL};
	char *out = NULL, *err = NULL;
	char *want = read_all(irx_test_src(TEMPLATE));
	char irx[1024], dir[1024];

	/* irx_test_build returns one static buffer */
	snprintf(irx, sizeof(irx), "%s", irx_test_build("irx"));
	snprintf(dir, sizeof(dir), "%s", irx_test_build("plugins"));
	argv[0] = irx;
	argv[3] = dir;
	CU_ASSERT_EQUAL(irx_test_run(argv, env, NULL, &out, &err), 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n%s", err);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
	free(err);
	free(want);
}

static CU_TestInfo tests[] = {
    {"shipped actions declare their calls", test_shipped_declare},
    {"committed member-account template is current", test_template_current},
    {"seed defect: ec2:ModifyNetworkInterfaceAttribute granted", test_seed_defect_eni_permission},
    {"IAM mapping", test_iam_mapping},
    {"policy JSON", test_policy_json},
    {"loader checks declarations", test_loader_checks},
    {"ABI 1.0 actions widened", test_abi_1_0_actions_widened},
    {"host refuses undeclared calls", test_host_refuses_undeclared},
    {"fake_aws_declare", test_fake_declare},
    {"templates parse with the loader", test_templates_parse},
    {"irx policy --cloudformation", test_cmd_policy},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("policy", tests, NULL, NULL)
