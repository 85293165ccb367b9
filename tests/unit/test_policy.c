/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Declared AWS calls: the loader's checks, the host's and the fake's refusal of an undeclared
 * call, the IAM mapping, the built-in actions' declarations (aws:runCommand's, checked against
 * what it calls), the calls runbook steps name, and the committed member-account template (it
 * must grant every call the shipped plugins and built-ins declare and every call the shipped
 * runbooks' API steps name: regenerate it with `irx policy --cloudformation`).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "aws/client.h"
#include "builtins.h"
#include "diag.h"
#include "error.h"
#include "fake_aws.h"
#include "host.h"
#include "node.h"
#include "plugins.h"
#include "policy.h"
#include "runbook.h"
#include "test.h"
#include "util.h"

const struct irx_plugin *irx_plugin_entry_isolate(void);
const struct irx_plugin *irx_plugin_entry_deny(void);
const struct irx_plugin *irx_plugin_entry_concurrency_zero(void);
const struct irx_plugin *irx_plugin_entry_snapshot(void);
const struct irx_plugin *irx_plugin_entry_notify(void);
const struct irx_plugin *irx_plugin_entry_ssm(void);
const struct irx_plugin *irx_plugin_entry_demo(void);

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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The shipped runbooks' paths, sorted as `irx policy` reads them; NULL-terminated, caller frees. */
static char **shipped_runbooks(void)
{
	char dir[1024];
	DIR *d = NULL;
	struct dirent *de = NULL;
	char **paths = NULL;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s", irx_test_src("runbooks"));
	d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		paths = irx_xrealloc(paths, (n + 2) * sizeof(*paths));
		paths[n++] = irx_xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	CU_ASSERT_FATAL(n > 0);
	qsort(paths, n, sizeof(*paths), cmp_str);
	paths[n] = NULL;
	return paths;
}

static void free_list(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* The shipped plugins (and demo, which demo-quarantine uses), linked in. */
static struct irx_plugins *shipped_plugins(void)
{
	struct irx_plugins *ps = irx_plugins_new(NULL, 0, NULL);
	struct irx_error err = {0};

	for (size_t i = 0; i < NSHIPPED; i++)
		CU_ASSERT_PTR_NOT_NULL(irx_plugins_add_static(ps, shipped[i], &err));
	CU_ASSERT_PTR_NOT_NULL(irx_plugins_add_static(ps, irx_plugin_entry_demo, &err));
	CU_ASSERT_STRING_EQUAL(err.message, "");
	return ps;
}

/*
 * What `irx policy` builds from the shipped plugins and runbooks; *names gets the runbook
 * names for the header (caller frees).
 */
static void build_shipped(struct irx_policy *p, char **names)
{
	struct irx_error err = {0};
	struct irx_plugins *ps = shipped_plugins();
	struct irx_actions *acts = irx_actions_new(ps);
	char **paths = shipped_runbooks();

	irx_policy_init(p);
	*names = NULL;
	for (size_t i = 0; i < NSHIPPED; i++)
		CU_ASSERT_EQUAL(irx_policy_add_plugin(p, shipped[i](), &err), 0);
	CU_ASSERT_EQUAL(irx_policy_add_builtins(p, &err), 0);
	CU_ASSERT_EQUAL(irx_policy_add_calls(p, irx_policy_engine_calls, &err), 0);
	CU_ASSERT_STRING_EQUAL(err.message, "");
	for (size_t i = 0; paths[i]; i++) {
		struct irx_diags d = {0}, w = {0};
		struct irx_runbook *rb = irx_runbook_load(paths[i], &d);
		char *old = *names;

		CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
		irx_runbook_validate(rb, acts, &d);
		CU_ASSERT_EQUAL(irx_policy_add_runbook(p, rb, &w, &d), 0);
		irx_diags_print(&d, stderr);
		irx_diags_print(&w, stderr);
		CU_ASSERT_EQUAL(d.count, 0);
		CU_ASSERT_EQUAL(w.count, 0);
		*names = old ? irx_xasprintf("%s, %s", old, rb->name) : irx_xstrdup(rb->name);
		free(old);
		irx_runbook_free(rb);
		irx_diags_release(&d);
		irx_diags_release(&w);
	}
	free_list(paths);
	irx_actions_free(acts);
	irx_plugins_free(ps);
}

/* The Action list of the committed template, as the loader reads it. */
static struct irx_doc *template_actions(const struct irx_node **actions)
{
	static const char *const keys[] = {"Resources", "ResponderRole", "Properties", NULL};
	struct irx_diags d = {0};
	struct irx_doc *doc = irx_doc_load_file(irx_test_src(TEMPLATE), &d);
	const struct irx_node *n = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(d.count, 0);
	irx_diags_release(&d);
	n = doc->root;
	for (size_t i = 0; keys[i]; i++)
		n = irx_node_get(n, keys[i]);
	n = irx_node_get(n, "Policies");
	CU_ASSERT_FATAL(n && n->kind == IRX_NODE_SEQ && n->count == 1);
	n = irx_node_get(irx_node_get(n->items[0], "PolicyDocument"), "Statement");
	CU_ASSERT_FATAL(n && n->kind == IRX_NODE_SEQ && n->count == 1);
	n = irx_node_get(n->items[0], "Action");
	CU_ASSERT_FATAL(n && n->kind == IRX_NODE_SEQ && n->count > 0);
	*actions = n;
	return doc;
}

static bool in_seq(const struct irx_node *seq, const char *value)
{
	for (size_t i = 0; i < seq->count; i++)
		if (strcmp(irx_node_str(seq->items[i]), value) == 0)
			return true;
	return false;
}

/* Asserts the committed template grants every IAM action the call needs; what names it. */
static void expect_granted(const struct irx_node *granted, const char *call, const char *what)
{
	const char *out[16] = {0};
	char buf[256] = "";
	struct irx_error err = {0};
	int n = irx_policy_iam_actions(call, out, 16, buf, sizeof(buf), &err);

	CU_ASSERT(n >= 0);
	if (n < 0)
		fprintf(stderr, "\n%s: %s\n", what, err.message);
	for (int i = 0; i < n; i++) {
		if (!in_seq(granted, out[i]))
			fprintf(stderr, "\n%s calls %s: %s does not grant %s\n", what, call,
				TEMPLATE, out[i]);
		CU_ASSERT_TRUE(in_seq(granted, out[i]));
	}
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

/* The committed template is what `irx policy --cloudformation` makes of the shipped plugins,
 * built-in actions and runbooks. */
static void test_template_current(void)
{
	struct irx_policy p;
	char *want = NULL, *names = NULL, *have = read_all(irx_test_src(TEMPLATE));

	build_shipped(&p, &names);
	want = irx_policy_cloudformation(&p, SHIPPED_NAMES, names);
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
	free(names);
	free(have);
	irx_policy_release(&p);
}

/*
 * Every aws:executeAwsApi / aws:waitForAwsResourceProperty / aws:assertAwsResourceProperty
 * step of every shipped runbook names a literal call, and the committed template grants it
 * (resolved independently of irx_policy_add_runbook: the model lookup and the IAM mapping).
 */
static void test_runbook_steps_granted(void)
{
	const struct irx_node *granted = NULL;
	struct irx_doc *doc = template_actions(&granted);
	char **paths = shipped_runbooks();
	size_t steps = 0;

	for (size_t i = 0; paths[i]; i++) {
		struct irx_diags d = {0};
		struct irx_runbook *rb = irx_runbook_load(paths[i], &d);

		CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
		CU_ASSERT_EQUAL(d.count, 0);
		for (size_t k = 0; k < rb->step_count; k++) {
			const struct irx_step_def *st = &rb->steps[k];
			const char *svc = irx_node_str(irx_node_get(st->inputs, "Service"));
			const char *api = irx_node_str(irx_node_get(st->inputs, "Api"));
			const char *sid = NULL, *oname = NULL;
			struct irx_error err = {0};
			bool names = false;
			char call[256], what[512];

			for (size_t a = 0; irx_policy_api_actions[a]; a++)
				names |= strcmp(st->action, irx_policy_api_actions[a]) == 0;
			if (!names)
				continue;
			steps++;
			snprintf(what, sizeof(what), "%s step '%s'", rb->name, st->name);
			CU_ASSERT_PTR_NOT_NULL_FATAL(svc);
			CU_ASSERT_PTR_NOT_NULL_FATAL(api);
			if (strstr(svc, "{{") || strstr(api, "{{"))
				fprintf(stderr, "\n%s: a shipped runbook's call must be literal\n",
					what);
			CU_ASSERT_PTR_NULL(strstr(svc, "{{"));
			CU_ASSERT_PTR_NULL(strstr(api, "{{"));
			CU_ASSERT_EQUAL(irx_aws_lookup(svc, api, &sid, &oname, NULL, &err), 0);
			CU_ASSERT_STRING_EQUAL(err.message, "");
			if (!sid)
				continue;
			snprintf(call, sizeof(call), "%s:%s", sid, oname);
			expect_granted(granted, call, what);
		}
		irx_runbook_free(rb);
		irx_diags_release(&d);
	}
	/* the shipped runbooks do have such steps: the loop above checked something */
	CU_ASSERT(steps > 0);
	free_list(paths);
	irx_doc_free(doc);
}

/* What runCommand (and only it, among fixed-call built-ins) calls, driven as the host would. */
static int refuse_sleep(struct irx_call *call, long long ms)
{
	(void)call;
	(void)ms;
	return -1;
}

/* Runs aws:runCommand against the fake, checked against its declaration; returns rc. */
static int run_declared(struct fake_aws *f, const char *inputs, bool cancel)
{
	const struct irx_action *rc_action = NULL;
	const struct irx_context *ctx = NULL;
	struct irx_host host;
	struct irx_context c2;
	struct irx_result res = {0};
	struct json_object *in = json_tokener_parse(inputs);
	int rc = 0;

	for (const struct irx_action *a = irx_builtin_actions(); a->name; a++)
		if (strcmp(a->name, "runCommand") == 0)
			rc_action = a;
	CU_ASSERT_PTR_NOT_NULL_FATAL(rc_action);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	fake_aws_declare(f, rc_action->aws_calls);
	ctx = fake_aws_context(f, "capture", false);
	host = *ctx->host;
	c2 = *ctx;
	if (cancel)
		host.sleep = refuse_sleep;
	c2.host = &host;
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	rc = rc_action->execute(&c2, in, &res);
	json_object_put(res.outputs);
	json_object_put(res.undo);
	json_object_put(in);
	return rc;
}

/* GetCommandInvocation right after the send: not there yet, then done. */
static int not_there_then_done(void *ud, struct fake_aws *f, struct json_object *params,
			       struct json_object **response)
{
	int *polls = ud;

	(void)params;
	if ((*polls)++ == 0) {
		fake_aws_set_error(f, 400, "InvocationDoesNotExist", "");
		return -1;
	}
	*response = json_tokener_parse("{\"Status\":\"Success\"}");
	return 0;
}

#define CMD_SENT "{\"Command\":{\"CommandId\":\"c-1\"}}"

/*
 * aws:runCommand declares exactly what it calls (every path: by instance, by targets,
 * cancelled), the declaration is spelled as the models spell it, and the committed template
 * grants it. The other built-ins declare no call, or name it in their step (the API actions).
 */
static void test_builtin_calls(void)
{
	const struct irx_node *granted = NULL;
	struct irx_doc *doc = template_actions(&granted);
	struct fake_aws *f = NULL;
	char used[512] = "";
	size_t declared = 0;
	int polls = 0;

	for (const struct irx_action *a = irx_builtin_actions(); a->name; a++) {
		char full[64];
		bool names = false;

		snprintf(full, sizeof(full), "aws:%s", a->name);
		for (size_t i = 0; irx_policy_api_actions[i]; i++)
			names |= strcmp(full, irx_policy_api_actions[i]) == 0;
		if (names) {
			CU_ASSERT_PTR_NULL(a->aws_calls);
			continue;
		}
		if (!a->aws_calls)
			fprintf(stderr, "\n%s declares no aws_calls\n", full);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a->aws_calls);
		if (strcmp(a->name, "runCommand") != 0) {
			CU_ASSERT_PTR_NULL(a->aws_calls[0]);
			continue;
		}
		CU_ASSERT_PTR_EQUAL(a->aws_calls, irx_builtin_run_command_calls);
		for (size_t i = 0; a->aws_calls[i]; i++) {
			const char *c = a->aws_calls[i], *sid = NULL, *oname = NULL;
			struct irx_error err = {0};
			char svc[32] = "", spelled[128] = "";

			snprintf(svc, sizeof(svc), "%.*s", (int)(strchr(c, ':') - c), c);
			CU_ASSERT_EQUAL(
			    irx_aws_lookup(svc, strchr(c, ':') + 1, &sid, &oname, NULL, &err), 0);
			snprintf(spelled, sizeof(spelled), "%s:%s", sid, oname);
			CU_ASSERT_STRING_EQUAL(spelled, c);
			expect_granted(granted, c, "aws:runCommand");
			declared++;
		}
	}
	CU_ASSERT_EQUAL(declared, 5);

	/* by instance: InvocationDoesNotExist right after the send is expected, then done */
	f = fake_aws_new();
	fake_aws_reply(f, "ssm:SendCommand", CMD_SENT);
	fake_aws_handle(f, "ssm:GetCommandInvocation", not_there_then_done, &polls);
	CU_ASSERT_EQUAL(
	    run_declared(f, "{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\"]}",
			 false),
	    0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	snprintf(used + strlen(used), sizeof(used) - strlen(used), "%s,", fake_aws_call_names(f));
	fake_aws_free(f);
	/* by targets */
	f = fake_aws_new();
	fake_aws_reply(f, "ssm:SendCommand", CMD_SENT);
	fake_aws_reply(f, "ssm:ListCommands", "{\"Commands\":[{\"Status\":\"Success\"}]}");
	fake_aws_reply(f, "ssm:ListCommandInvocations",
		       "{\"CommandInvocations\":[{\"InstanceId\":\"i-7\",\"Status\":"
		       "\"Success\",\"CommandPlugins\":[{\"ResponseCode\":0}]}]}");
	CU_ASSERT_EQUAL(run_declared(f,
				     "{\"DocumentName\":\"AWS-RunShellScript\",\"Targets\":[{"
				     "\"Key\":\"tag:Role\",\"Values\":[\"web\"]}]}",
				     false),
			0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	snprintf(used + strlen(used), sizeof(used) - strlen(used), "%s,", fake_aws_call_names(f));
	fake_aws_free(f);
	/* cancelled while waiting */
	f = fake_aws_new();
	fake_aws_reply(f, "ssm:SendCommand", CMD_SENT);
	fake_aws_reply(f, "ssm:GetCommandInvocation", "{\"Status\":\"InProgress\"}");
	fake_aws_reply(f, "ssm:CancelCommand", "{}");
	CU_ASSERT_EQUAL(
	    run_declared(f, "{\"DocumentName\":\"AWS-RunShellScript\",\"InstanceIds\":[\"i-1\"]}",
			 true),
	    -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "stopped waiting for command 'c-1' "
						    "(AWS-RunShellScript): the step was cancelled "
						    "or ran out of time");
	snprintf(used + strlen(used), sizeof(used) - strlen(used), "%s", fake_aws_call_names(f));
	CU_ASSERT_STRING_EQUAL(used, "ssm:SendCommand,ssm:GetCommandInvocation,"
				     "ssm:GetCommandInvocation,ssm:SendCommand,ssm:ListCommands,"
				     "ssm:ListCommandInvocations,ssm:SendCommand,"
				     "ssm:GetCommandInvocation,ssm:CancelCommand");
	/* and every declared call is one it makes: nothing is granted for nothing */
	for (size_t i = 0; irx_builtin_run_command_calls[i]; i++)
		IRX_ASSERT_CONTAINS(used, irx_builtin_run_command_calls[i]);
	fake_aws_free(f);
	irx_doc_free(doc);
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

/* --- runbooks ------------------------------------------------------------------------- */

static const char named_calls[] =
    "schemaVersion: '0.3'\n"
    "description: calls named by steps\n"
    "parameters:\n"
    "  Svc:\n"
    "    type: String\n"
    "    default: ec2\n"
    "mainSteps:\n"
    "  - name: targets\n"
    "    action: aws:executeAwsApi\n"
    "    inputs:\n"
    "      Service: elbv2\n"
    "      Api: describe_target_health\n"
    "  - name: wait\n"
    "    action: aws:waitForAwsResourceProperty\n"
    "    inputs:\n"
    "      Service: ec2\n"
    "      Api: describe_instances\n"
    "      PropertySelector: $.Reservations[0].Instances[0].State.Name\n"
    "      DesiredValues: [stopped]\n"
    "  - name: whoami\n"
    "    action: aws:assertAwsResourceProperty\n"
    "    inputs:\n"
    "      Service: sts\n"
    "      Api: GetCallerIdentity\n"
    "      PropertySelector: $.Account\n"
    "      DesiredValues: ['111122223333']\n"
    "  - name: bySvc\n"
    "    action: aws:executeAwsApi\n"
    "    inputs:\n"
    "      Service: '{{ Svc }}'\n"
    "      Api: DescribeVolumes\n"
    "  - name: byApi\n"
    "    action: aws:executeAwsApi\n"
    "    inputs:\n"
    "      Service: iam\n"
    "      Api: 'Get{{ Svc }}'\n"
    "  - name: pause\n"
    "    action: aws:sleep\n"
    "    inputs:\n"
    "      Duration: PT1S\n";

static void expect_diag(const struct irx_diags *d, size_t i, unsigned line, unsigned col,
			const char *msg)
{
	CU_ASSERT_FATAL(i < d->count);
	CU_ASSERT_STRING_EQUAL(d->items[i].file, "t.yaml");
	CU_ASSERT_EQUAL(d->items[i].line, line);
	CU_ASSERT_EQUAL(d->items[i].col, col);
	if (strcmp(d->items[i].message, msg) != 0)
		fprintf(stderr, "\n got: %s\nwant: %s\n", d->items[i].message, msg);
	CU_ASSERT_STRING_EQUAL(d->items[i].message, msg);
}

/* Literal calls resolved as the executor resolves them; templated ones warned about. */
static void test_add_runbook(void)
{
	struct irx_diags d = {0}, w = {0}, e = {0};
	struct irx_runbook *rb =
	    irx_runbook_load_buffer("t.yaml", named_calls, strlen(named_calls), &d);
	struct irx_actions *acts = irx_actions_new(NULL);
	struct irx_policy p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	irx_runbook_validate(rb, acts, &d);
	irx_diags_print(&d, stderr);
	CU_ASSERT_EQUAL(d.count, 0);
	irx_policy_init(&p);
	CU_ASSERT_EQUAL(irx_policy_add_runbook(&p, rb, &w, &e), 0);
	CU_ASSERT_EQUAL(e.count, 0);
	/* elbv2 / describe_target_health: the boto3 names; sts:GetCallerIdentity needs nothing */
	CU_ASSERT_EQUAL(p.count, 2);
	CU_ASSERT_STRING_EQUAL(p.actions[0], "ec2:DescribeInstances");
	CU_ASSERT_STRING_EQUAL(p.actions[1], "elasticloadbalancing:DescribeTargetHealth");
	CU_ASSERT_EQUAL(w.count, 2);
	expect_diag(&w, 0, 27, 5,
		    "step 'bySvc' (aws:executeAwsApi) names its AWS call with a template "
		    "('{{ Svc }}:DescribeVolumes'): nothing is granted for it");
	expect_diag(&w, 1, 32, 5,
		    "step 'byApi' (aws:executeAwsApi) names its AWS call with a template "
		    "('iam:Get{{ Svc }}'): nothing is granted for it");
	irx_policy_release(&p);
	irx_runbook_free(rb);
	irx_actions_free(acts);
	irx_diags_release(&d);
	irx_diags_release(&w);
	irx_diags_release(&e);
}

static const char bad_calls[] = "schemaVersion: '0.3'\n"
				"description: bad calls\n"
				"mainSteps:\n"
				"  - name: svc\n"
				"    action: aws:executeAwsApi\n"
				"    inputs:\n"
				"      Service: nosuch\n"
				"      Api: Foo\n"
				"  - name: op\n"
				"    action: aws:executeAwsApi\n"
				"    inputs:\n"
				"      Service: iam\n"
				"      Api: get_nothing\n"
				"  - name: noapi\n"
				"    action: aws:executeAwsApi\n"
				"    inputs:\n"
				"      Service: iam\n"
				"  - name: listsvc\n"
				"    action: aws:executeAwsApi\n"
				"    inputs:\n"
				"      Service: [iam]\n"
				"      Api: GetUser\n"
				"  - name: good\n"
				"    action: aws:executeAwsApi\n"
				"    inputs:\n"
				"      Service: iam\n"
				"      Api: ListUsers\n";

/* An unknown call, or a Service/Api that is not a string, is an error at its input. */
static void test_add_runbook_errors(void)
{
	struct irx_diags d = {0}, w = {0}, e = {0};
	struct irx_runbook *rb =
	    irx_runbook_load_buffer("t.yaml", bad_calls, strlen(bad_calls), &d);
	struct irx_policy p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_EQUAL(d.count, 0);
	irx_policy_init(&p);
	CU_ASSERT_EQUAL(irx_policy_add_runbook(&p, rb, &w, &e), 4);
	CU_ASSERT_EQUAL(w.count, 0);
	CU_ASSERT_EQUAL(e.count, 4);
	expect_diag(
	    &e, 0, 7, 16,
	    "step 'svc' (aws:executeAwsApi): unknown AWS service 'nosuch' (irx knows "
	    "autoscaling, dynamodb, ec2, elbv2, guardduty, iam, kms, lambda, organizations, "
	    "resourcegroupstaggingapi, s3, secretsmanager, securityhub, sns, sqs, ssm, sts)");
	expect_diag(&e, 1, 13, 12,
		    "step 'op' (aws:executeAwsApi): unknown operation 'get_nothing' for AWS "
		    "service 'iam'");
	expect_diag(&e, 2, 14, 5, "step 'noapi' (aws:executeAwsApi) needs a string 'Api' input");
	expect_diag(&e, 3, 21, 16,
		    "step 'listsvc' (aws:executeAwsApi) needs a string 'Service' input");
	/* the good step still counts */
	CU_ASSERT_EQUAL(p.count, 1);
	CU_ASSERT_TRUE(irx_policy_grants(&p, "iam:ListUsers"));
	irx_policy_release(&p);
	irx_runbook_free(rb);
	irx_diags_release(&d);
	irx_diags_release(&w);
	irx_diags_release(&e);
}

/* --- the rendered template ----------------------------------------------------------------- */

static const char header_none[] =
    "# Generated by `irx policy --cloudformation` from the AWS calls\n"
    "# - the plugins declare: (no plugins);\n"
    "# - the built-in actions declare: aws:runCommand;\n"
    "# - the aws:executeAwsApi, aws:waitForAwsResourceProperty and\n"
    "#   aws:assertAwsResourceProperty steps name in the runbooks:\n"
    "#   (no runbooks);\n"
    "# - the engine makes (its exception-tag reads).\n"
    "# Do not edit: regenerate.\n"
    "AWSTemplateFormatVersion: \"2010-09-09\"\n";

static const char header_wrapped[] =
    "# Generated by `irx policy --cloudformation` from the AWS calls\n"
    "# - the plugins declare: deny, isolate;\n"
    "# - the built-in actions declare: aws:runCommand;\n"
    "# - the aws:executeAwsApi, aws:waitForAwsResourceProperty and\n"
    "#   aws:assertAwsResourceProperty steps name in the runbooks:\n"
    "#   runbook-01, runbook-02, runbook-03, runbook-04, runbook-05, runbook-06, runbook-07, "
    "runbook-08,\n"
    "#   runbook-09, runbook-10, runbook-11, runbook-12;\n"
    "# - the engine makes (its exception-tag reads).\n"
    "# Do not edit: regenerate.\n"
    "AWSTemplateFormatVersion: \"2010-09-09\"\n";

static const char cfn_end[] = "            Statement:\n"
			      "              - Sid: IrxDeclaredCalls\n"
			      "                Effect: Allow\n"
			      "                Resource: \"*\"\n"
			      "                Action:\n"
			      "                  - ec2:DescribeInstances\n"
			      "                  - iam:GetUser\n"
			      "Outputs:\n"
			      "  RoleArn:\n"
			      "    Value:\n"
			      "      Fn::GetAtt:\n"
			      "        - ResponderRole\n"
			      "        - Arn\n";

static void test_cloudformation_rendered(void)
{
	static const char *const calls[] = {"iam:GetUser", "ec2:DescribeInstances", NULL};
	struct irx_policy p;
	struct irx_error err = {0};
	char *out = NULL;
	size_t n = 0;

	irx_policy_init(&p);
	CU_ASSERT_EQUAL(irx_policy_add_calls(&p, calls, &err), 0);
	out = irx_policy_cloudformation(&p, NULL, NULL);
	CU_ASSERT_EQUAL(strncmp(out, header_none, strlen(header_none)), 0);
	if (strncmp(out, header_none, strlen(header_none)) != 0)
		fprintf(stderr, "\n%s", out);
	n = strlen(out);
	CU_ASSERT_FATAL(n > strlen(cfn_end));
	CU_ASSERT_STRING_EQUAL(out + n - strlen(cfn_end), cfn_end);
	free(out);
	out = irx_policy_cloudformation(&p, "deny, isolate",
					"runbook-01, runbook-02, runbook-03, runbook-04, "
					"runbook-05, runbook-06, runbook-07, runbook-08, "
					"runbook-09, runbook-10, runbook-11, runbook-12");
	CU_ASSERT_EQUAL(strncmp(out, header_wrapped, strlen(header_wrapped)), 0);
	if (strncmp(out, header_wrapped, strlen(header_wrapped)) != 0)
		fprintf(stderr, "\n%s", out);
	/* the same document after the header */
	free(out);
	irx_policy_release(&p);
}

/* --- irx policy ------------------------------------------------------------------------ */

struct cli {
	char irx[1024], plugins[1024], rbpath[1100];
	const char *env[3];
};

static void cli_init(struct cli *c)
{
	/* irx_test_build returns one static buffer */
	snprintf(c->irx, sizeof(c->irx), "%s", irx_test_build("irx"));
	snprintf(c->plugins, sizeof(c->plugins), "%s", irx_test_build("plugins"));
	snprintf(c->rbpath, sizeof(c->rbpath), "IRX_RUNBOOK_PATH=%s", irx_test_src("runbooks"));
	c->env[0] = "IRX_PLUGIN_PATH=";
	c->env[1] = c->rbpath;
	c->env[2] = NULL;
}

/* Runs `irx policy --plugin-dir <built plugins> ARGS...`; returns the exit status. */
static int run_policy(struct cli *c, const char *const *args, char **out, char **err)
{
	const char *argv[16] = {c->irx, "policy", "--plugin-dir", c->plugins};
	size_t n = 4;

	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return irx_test_run(argv, c->env, NULL, out, err);
}

/* `irx policy --cloudformation` on the built plugins and the shipped runbooks (the runbook
 * path) prints the committed template. */
static void test_cmd_policy(void)
{
	static const char *const args[] = {"--cloudformation", NULL};
	struct cli c;
	char *out = NULL, *err = NULL;
	char *want = read_all(irx_test_src(TEMPLATE));

	cli_init(&c);
	CU_ASSERT_EQUAL(run_policy(&c, args, &out, &err), 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n%s", err);
	CU_ASSERT_STRING_EQUAL(out, want);
	/* the shipped runbooks name no templated call */
	CU_ASSERT_PTR_NULL(strstr(err, ": warning: step"));
	free(out);
	free(err);
	free(want);
}

/* --runbook: only the named runbooks (by name or file), a templated call warned about. */
static void test_cmd_policy_runbook(void)
{
	const char *dir = irx_test_tmpdir();
	char file[1024], warn[2048];
	const char *args[] = {"--runbook", file, NULL};
	static const char *const by_name[] = {"--runbook", "aws-inventory", "-r", "aws-inventory",
					      NULL};
	struct cli c;
	char *out = NULL, *err = NULL;

	cli_init(&c);
	snprintf(file, sizeof(file), "%s/named.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(file, named_calls), 0);
	CU_ASSERT_EQUAL(run_policy(&c, args, &out, &err), 0);
	snprintf(warn, sizeof(warn),
		 "\n%s:27:5: warning: step 'bySvc' (aws:executeAwsApi) names its AWS call with a "
		 "template ('{{ Svc }}:DescribeVolumes'): nothing is granted for it\n"
		 "%s:32:5: warning: step 'byApi' (aws:executeAwsApi) names its AWS call with a "
		 "template ('iam:Get{{ Svc }}'): nothing is granted for it\n",
		 file, file);
	IRX_ASSERT_CONTAINS(err, warn);
	IRX_ASSERT_CONTAINS(out, "\"elasticloadbalancing:DescribeTargetHealth\"");
	/* aws:runCommand's calls are always granted; aws-inventory's only when it is read */
	IRX_ASSERT_CONTAINS(out, "\"ssm:SendCommand\"");
	CU_ASSERT_PTR_NULL(strstr(out, "iam:GetAccountSummary"));
	CU_ASSERT_PTR_NULL(strstr(out, "iam:ListUsers"));
	free(out);
	free(err);
	/* by name on the runbook path, twice: read once */
	CU_ASSERT_EQUAL(run_policy(&c, by_name, &out, &err), 0);
	IRX_ASSERT_CONTAINS(out, "\"iam:GetAccountSummary\"");
	IRX_ASSERT_CONTAINS(out, "\"iam:ListUsers\"");
	IRX_ASSERT_CONTAINS(out, "\"ec2:DescribeVpcs\"");
	CU_ASSERT_PTR_NULL(strstr(err, "warning: step"));
	free(out);
	free(err);
	{
		static const char *const cfn[] = {
		    "-r", "aws-inventory", "-r", "aws-inventory", "--cloudformation", NULL};

		CU_ASSERT_EQUAL(run_policy(&c, cfn, &out, &err), 0);
		IRX_ASSERT_CONTAINS(out, "steps name in the runbooks:\n#   aws-inventory;\n");
		free(out);
		free(err);
	}
}

/* A runbook that does not validate, or names an unknown call, fails the command (exit 2)
 * with its located diagnostics; nothing is printed on stdout. */
static void test_cmd_policy_bad_runbook(void)
{
	const char *dir = irx_test_tmpdir();
	char invalid[1024], bad[1024], want[2048], text[1024];
	const char *args[] = {"--runbook", invalid, "--runbook", bad, "--cloudformation", NULL};
	struct cli c;
	char *out = NULL, *err = NULL;

	cli_init(&c);
	snprintf(invalid, sizeof(invalid), "%s/invalid.yaml", dir);
	snprintf(bad, sizeof(bad), "%s/bad.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(invalid, "schemaVersion: '0.3'\n"
						      "description: invalid\n"
						      "mainSteps:\n"
						      "  - name: call\n"
						      "    action: aws:executeAwsApy\n"
						      "    inputs:\n"
						      "      Service: ec2\n"
						      "      Api: DescribeInstances\n"),
			      0);
	/* bad_calls' first two steps: valid, but their calls are unknown */
	snprintf(text, sizeof(text), "%.*s",
		 (int)(strstr(bad_calls, "  - name: noapi") - bad_calls), bad_calls);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(bad, text), 0);
	CU_ASSERT_EQUAL(run_policy(&c, args, &out, &err), 2);
	CU_ASSERT_STRING_EQUAL(out, "");
	snprintf(want, sizeof(want), "\n%s:5:13: unknown action 'aws:executeAwsApy'\n", invalid);
	IRX_ASSERT_CONTAINS(err, want);
	snprintf(want, sizeof(want),
		 "\n%s:13:12: step 'op' (aws:executeAwsApi): unknown operation 'get_nothing' for "
		 "AWS service 'iam'\n",
		 bad);
	IRX_ASSERT_CONTAINS(err, want);
	snprintf(want, sizeof(want),
		 "\n%s:7:16: step 'svc' (aws:executeAwsApi): unknown AWS service 'nosuch' (irx "
		 "knows ",
		 bad);
	IRX_ASSERT_CONTAINS(err, want);
	free(out);
	free(err);
}

static void test_cmd_policy_usage(void)
{
	static const char *const missing[] = {"--runbook", "no-such-runbook", NULL};
	static const char *const unknown[] = {"--frobnicate", NULL};
	static const char *const extra[] = {"aws-inventory", NULL};
	static const char *const help[] = {"--help", NULL};
	struct cli c;
	char *out = NULL, *err = NULL;

	cli_init(&c);
	CU_ASSERT_EQUAL(run_policy(&c, missing, &out, &err), 3);
	CU_ASSERT_STRING_EQUAL(out, "");
	IRX_ASSERT_CONTAINS(err, "\nirx policy: no runbook 'no-such-runbook' (see 'irx list')\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(run_policy(&c, unknown, &out, &err), 2);
	CU_ASSERT_STRING_EQUAL(out, "");
	IRX_ASSERT_CONTAINS(err, "unrecognized option '--frobnicate'\nusage: irx policy "
				 "[--plugin-dir DIR]... [--runbook NAME|FILE]... "
				 "[--cloudformation]\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(run_policy(&c, extra, &out, &err), 2);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_STRING_EQUAL(err, "irx policy: unexpected argument 'aws-inventory'\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(run_policy(&c, help, &out, &err), 0);
	IRX_ASSERT_CONTAINS(out, "  --runbook NAME     only this runbook");
	free(out);
	free(err);
}

static CU_TestInfo tests[] = {
    {"shipped actions declare their calls", test_shipped_declare},
    {"committed member-account template is current", test_template_current},
    {"every shipped runbook API step is granted", test_runbook_steps_granted},
    {"built-ins declare their calls; aws:runCommand's are what it calls", test_builtin_calls},
    {"seed defect: ec2:ModifyNetworkInterfaceAttribute granted", test_seed_defect_eni_permission},
    {"IAM mapping", test_iam_mapping},
    {"policy JSON", test_policy_json},
    {"loader checks declarations", test_loader_checks},
    {"ABI 1.0 actions widened", test_abi_1_0_actions_widened},
    {"host refuses undeclared calls", test_host_refuses_undeclared},
    {"fake_aws_declare", test_fake_declare},
    {"templates parse with the loader", test_templates_parse},
    {"runbook steps: boto3 names resolved, templated calls warned", test_add_runbook},
    {"runbook steps: unknown calls and non-string inputs located", test_add_runbook_errors},
    {"CloudFormation rendered: header lists and wrapping", test_cloudformation_rendered},
    {"irx policy --cloudformation", test_cmd_policy},
    {"irx policy --runbook", test_cmd_policy_runbook},
    {"irx policy: a bad runbook fails located", test_cmd_policy_bad_runbook},
    {"irx policy: usage errors", test_cmd_policy_usage},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("policy", tests, NULL, NULL)
