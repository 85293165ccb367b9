/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runbook library (runbooks/): every runbook loads and validates against the built
 * plugins; each containment runbook takes TargetArn, describes itself, and notifies at start
 * and end without letting a notification stop containment; entity-lockdown routes every ARN
 * kind to the right containment (the routing step is evaluated with the aws:branch built-in
 * on the runbook's own Choices); the entity-lockdown seed's routing defects as regressions.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actions.h"
#include "builtins.h"
#include "diag.h"
#include "error.h"
#include "host.h"
#include "node.h"
#include "params.h"
#include "plugins.h"
#include "runbook.h"
#include "template.h"
#include "test.h"

/* The containment runbooks this suite holds to the library's rules. */
static const char *const library[] = {
    "ec2-isolate",	  "ec2-crypto-mining", "iam-credential-exposure",
    "iam-user-lockdown",  "iam-role-lockdown", "lambda-lockdown",
    "access-key-lockdown", "ec2-forensic-capture", "entity-lockdown",
    NULL,
};

static struct irx_runbook *load(const char *name)
{
	char rel[256];
	struct irx_diags d = {0};
	struct irx_runbook *rb = NULL;

	snprintf(rel, sizeof(rel), "runbooks/%s.yaml", name);
	rb = irx_runbook_load(irx_test_src(rel), &d);
	if (d.count)
		irx_diags_print(&d, stderr);
	CU_ASSERT_EQUAL(d.count, 0);
	irx_diags_release(&d);
	return rb;
}

static const char *in_str(const struct irx_step_def *s, const char *key)
{
	return irx_node_str(irx_node_get(s->inputs, key));
}

/* Every runbook in runbooks/ (the library, the demo, the inventory) validates with the built
 * plugins, as 'irx validate' of every runbooks/ file does. */
static void test_all_validate(void)
{
	const char *dir = irx_test_build("plugins");
	struct irx_plugins *plugins = irx_plugins_new(&dir, 1, irx_host_table(false));
	struct irx_actions *actions = irx_actions_new(plugins);
	glob_t g = {0};
	size_t found = 0;

	CU_ASSERT_EQUAL_FATAL(glob(irx_test_src("runbooks/*.yaml"), 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct irx_diags d = {0};
		struct irx_runbook *rb = irx_runbook_load(g.gl_pathv[i], &d);

		CU_ASSERT_PTR_NOT_NULL(rb);
		if (rb)
			irx_runbook_validate(rb, actions, &d);
		if (d.count) {
			fprintf(stderr, "\n  %s:\n", g.gl_pathv[i]);
			irx_diags_print(&d, stderr);
		}
		CU_ASSERT_EQUAL(d.count, 0);
		for (size_t k = 0; rb && library[k]; k++)
			if (strcmp(rb->name, library[k]) == 0)
				found++;
		irx_diags_release(&d);
		irx_runbook_free(rb);
	}
	/* Every library runbook is there (and so was validated above). */
	CU_ASSERT_EQUAL(found, sizeof(library) / sizeof(library[0]) - 1);
	globfree(&g);
	irx_actions_free(actions);
	irx_plugins_free(plugins);
}

/* TargetArn (a String with an allowedPattern), a multi-line description with a blast radius,
 * and outputs. */
static void test_target_and_description(void)
{
	for (size_t k = 0; library[k]; k++) {
		struct irx_runbook *rb = load(library[k]);
		const struct irx_param_decl *p = rb ? irx_runbook_param(rb, "TargetArn") : NULL;

		CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
		if (!p)
			fprintf(stderr, "\n  %s has no TargetArn\n", library[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(p->type, IRX_PARAM_STRING);
		CU_ASSERT_PTR_NULL(p->default_value);
		CU_ASSERT_PTR_NOT_NULL(p->allowed_pattern);
		CU_ASSERT_TRUE(strchr(rb->description, '\n') != NULL);
		CU_ASSERT_TRUE(strlen(rb->description) > 400);
		IRX_ASSERT_CONTAINS(rb->description, "Blast radius");
		IRX_ASSERT_CONTAINS(rb->description, "in order");
		CU_ASSERT_PTR_NOT_NULL(rb->outputs);
		irx_runbook_free(rb);
	}
}

/* Start and end notifications on NotifyTopicArn; none of them can stop containment; the end
 * (and failure) notifications show what exceptions skipped. */
static void test_notifications(void)
{
	for (size_t k = 0; library[k]; k++) {
		struct irx_runbook *rb = load(library[k]);
		size_t notes = 0, first = SIZE_MAX, last = 0, with_skipped = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
		CU_ASSERT_PTR_NOT_NULL(irx_runbook_param(rb, "NotifyTopicArn"));
		for (size_t i = 0; i < rb->step_count; i++) {
			const struct irx_step_def *s = &rb->steps[i];
			const char *summary = NULL;

			if (strcmp(s->action, "notify:sns") != 0)
				continue;
			notes++;
			if (first == SIZE_MAX)
				first = i;
			last = i;
			CU_ASSERT_STRING_EQUAL(in_str(s, "TopicArn"), "{{ NotifyTopicArn }}");
			CU_ASSERT_STRING_EQUAL(in_str(s, "TargetArn"), "{{ TargetArn }}");
			CU_ASSERT_STRING_EQUAL(in_str(s, "Runbook"), library[k]);
			CU_ASSERT_EQUAL(s->on_failure, IRX_ON_FAILURE_CONTINUE);
			CU_ASSERT_FALSE(s->is_critical);
			summary = in_str(s, "Summary");
			if (summary && strstr(summary, "{{ automation:SKIPPED_STEPS }}"))
				with_skipped++;
		}
		CU_ASSERT_TRUE(notes >= 3); /* start, end, failed */
		CU_ASSERT_TRUE_FATAL(first != SIZE_MAX);
		CU_ASSERT_STRING_EQUAL(in_str(&rb->steps[first], "Status"), "Started");
		CU_ASSERT_STRING_EQUAL(in_str(&rb->steps[last], "Status"), "Failed");
		CU_ASSERT_TRUE(rb->steps[last].is_end);
		CU_ASSERT_TRUE(with_skipped >= 2);
		/* Every containment (plugin) step reports a failure: onFailure leads to notifyFailed
		 * or goes on (evidence steps); nothing aborts silently. */
		for (size_t i = 0; i < rb->step_count; i++) {
			const struct irx_step_def *s = &rb->steps[i];

			if (strncmp(s->action, "aws:", 4) == 0 || strcmp(s->action, "notify:sns") == 0)
				continue;
			CU_ASSERT_TRUE(s->on_failure == IRX_ON_FAILURE_CONTINUE ||
				       (s->on_failure == IRX_ON_FAILURE_STEP &&
					strcmp(s->on_failure_step, "notifyFailed") == 0));
			CU_ASSERT_STRING_EQUAL(in_str(s, "TargetArn"), "{{ TargetArn }}");
		}
		irx_runbook_free(rb);
	}
}

/* --- entity-lockdown routing ---------------------------------------------------------------- */

struct vars {
	const char *target, *key;
	struct json_object *t, *k;
};

static struct json_object *lookup(void *ud, const char *name)
{
	struct vars *v = ud;

	if (strcmp(name, "TargetArn") == 0)
		return v->t;
	if (strcmp(name, "AccessKeyId") == 0)
		return v->k;
	if (strcmp(name, "InstanceId") == 0)
		return v->k;
	return NULL;
}

/*
 * Runs the aws:branch step `step` of runbook rb with TargetArn = target and AccessKeyId (or
 * InstanceId) = key, after the executor's templating, and returns its next step ("" when the
 * branch failed: error holds why).
 */
static const char *route_rb(const struct irx_runbook *rb, const char *step, const char *target,
			    const char *key, char *error, size_t errlen)
{
	static char next[128];
	const struct irx_step_def *s = irx_runbook_step(rb, step);
	struct vars v = {target, key, json_object_new_string(target),
			 json_object_new_string(key ? key : "")};
	struct json_object *raw = NULL, *inputs = NULL;
	struct irx_error err = {0};
	struct irx_call call;
	struct irx_context ctx = {0};
	struct irx_result res = {0};

	next[0] = '\0';
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->action, "aws:branch");
	raw = irx_node_to_json(s->inputs);
	inputs = irx_template_expand(raw, lookup, &v, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inputs);
	irx_call_init(&call);
	ctx.size = sizeof(ctx);
	ctx.host = irx_host_table(false);
	ctx.call = &call;
	ctx.step_name = step;
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	if (irx_builtin_branch(&ctx, inputs, &res) == 0 && res.next_step)
		snprintf(next, sizeof(next), "%s", res.next_step);
	snprintf(error, errlen, "%s", call.error.message);
	json_object_put(res.outputs);
	json_object_put(res.undo);
	irx_call_release(&call);
	json_object_put(inputs);
	json_object_put(raw);
	json_object_put(v.t);
	json_object_put(v.k);
	return next;
}

/* The parameter check irx run makes before anything runs: NULL when admitted, else why not. */
static const char *admit(const struct irx_runbook *rb, const char *param, const char *value)
{
	static char why[512];
	struct json_object *v = json_object_new_string(value);
	int rc = irx_param_check(irx_runbook_param(rb, param), v, why, sizeof(why));

	json_object_put(v);
	return rc == 0 ? NULL : why;
}

/* Asserts that entity-lockdown admits arn and routes it to `step`, running `action` on the
 * whole ARN. */
static void expect_route(const struct irx_runbook *rb, const char *arn, const char *key,
			 const char *step, const char *action)
{
	char error[512] = "";
	const char *why = admit(rb, "TargetArn", arn);
	const char *next = NULL;
	const struct irx_step_def *s = NULL;

	if (why)
		fprintf(stderr, "\n  %s refused: %s\n", arn, why);
	CU_ASSERT_PTR_NULL(why);
	next = route_rb(rb, "route", arn, key, error, sizeof(error));
	if (strcmp(next, step) != 0)
		fprintf(stderr, "\n  %s routed to '%s', not '%s' %s\n", arn, next, step, error);
	CU_ASSERT_STRING_EQUAL(next, step);
	s = irx_runbook_step(rb, step);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->action, action);
	/* The whole ARN goes to the plugin (which parses paths and qualifiers itself). */
	CU_ASSERT_STRING_EQUAL(in_str(s, "TargetArn"), "{{ TargetArn }}");
}

static void test_entity_routes_every_kind(void)
{
	struct irx_runbook *rb = load("entity-lockdown");

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	expect_route(rb, "arn:aws:ec2:us-east-1:888888888888:instance/i-0d205360abcd9a9ef", NULL,
		     "snapshotInstance", "snapshot:ec2Instance");
	expect_route(rb, "arn:aws:iam::888888888888:user/user1", NULL, "lockDownUser",
		     "deny:iamUser");
	expect_route(rb, "arn:aws:iam::888888888888:role/role1", NULL, "lockDownRole",
		     "deny:iamRole");
	expect_route(rb, "arn:aws:lambda:us-east-1:888888888888:function:function1", NULL,
		     "lockDownFunction", "concurrency-zero:lambda");
	expect_route(rb, "arn:aws:iam::888888888888:user/user1", "AKIAIOSFODNN7EXAMPLE",
		     "lockDownAccessKey", "deny:accessKey");
	/* Other partitions route the same way. */
	expect_route(rb, "arn:aws-cn:ec2:cn-north-1:888888888888:instance/i-0123456789abcdef0",
		     NULL, "snapshotInstance", "snapshot:ec2Instance");
	expect_route(rb, "arn:aws-us-gov:lambda:us-gov-west-1:888888888888:function:f", NULL,
		     "lockDownFunction", "concurrency-zero:lambda");
	/* The instance branch snapshots, then isolates, then notifies. */
	{
		const struct irx_step_def *snap = irx_runbook_step(rb, "snapshotInstance");
		const struct irx_step_def *iso = irx_runbook_step(rb, "isolateInstance");

		CU_ASSERT_TRUE_FATAL(snap && iso);
		CU_ASSERT_PTR_NULL(snap->next_step);
		CU_ASSERT_EQUAL(iso - snap, 1);
		CU_ASSERT_STRING_EQUAL(iso->action, "isolate:ec2Instance");
		CU_ASSERT_STRING_EQUAL(iso->next_step, "notifyEnd");
	}
	/* Every other containment goes on to the end notification. */
	CU_ASSERT_STRING_EQUAL(irx_runbook_step(rb, "lockDownUser")->next_step, "notifyEnd");
	CU_ASSERT_STRING_EQUAL(irx_runbook_step(rb, "lockDownRole")->next_step, "notifyEnd");
	CU_ASSERT_STRING_EQUAL(irx_runbook_step(rb, "lockDownFunction")->next_step, "notifyEnd");
	CU_ASSERT_STRING_EQUAL(irx_runbook_step(rb, "lockDownAccessKey")->next_step, "notifyEnd");
	irx_runbook_free(rb);
}

/* Seed defect: Lambda ARNs (…:function:name) never reached the Lambda branch. Unqualified,
 * $LATEST, alias and version ARNs all do here. */
static void test_seed_lambda_arns_reach_lambda_branch(void)
{
	static const char *const arns[] = {
	    "arn:aws:lambda:us-east-1:888888888888:function:function1",
	    "arn:aws:lambda:us-east-1:888888888888:function:function1:$LATEST",
	    "arn:aws:lambda:us-east-1:888888888888:function:function1:prod",
	    "arn:aws:lambda:us-east-1:888888888888:function:function1:42",
	    "arn:aws:lambda:eu-west-1:111122223333:function:user-role_handler",
	    NULL,
	};
	struct irx_runbook *rb = load("entity-lockdown");

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	for (size_t i = 0; arns[i]; i++)
		expect_route(rb, arns[i], NULL, "lockDownFunction", "concurrency-zero:lambda");
	irx_runbook_free(rb);
	/* The single-kind runbook admits the same ARNs. */
	rb = load("lambda-lockdown");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	for (size_t i = 0; arns[i]; i++)
		CU_ASSERT_PTR_NULL(admit(rb, "TargetArn", arns[i]));
	irx_runbook_free(rb);
}

/* Seed defect: IAM ARNs with a path (role/service-role/role1) resolved to the wrong name.
 * The runbook routes them by kind and passes the whole ARN to the plugin, whose parser takes
 * the last segment (tested in the deny suite). A path that looks like another kind does not
 * mislead the route. */
static void test_seed_iam_paths_route_by_kind(void)
{
	struct irx_runbook *rb = load("entity-lockdown");

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	expect_route(rb, "arn:aws:iam::888888888888:role/service-role/role1", NULL, "lockDownRole",
		     "deny:iamRole");
	expect_route(rb, "arn:aws:iam::888888888888:role/a/b/c/role1", NULL, "lockDownRole",
		     "deny:iamRole");
	expect_route(rb, "arn:aws:iam::888888888888:role/user/lambda/function/r", NULL,
		     "lockDownRole", "deny:iamRole");
	expect_route(rb, "arn:aws:iam::888888888888:user/division_abc/subdivision_xyz/Bob", NULL,
		     "lockDownUser", "deny:iamUser");
	expect_route(rb, "arn:aws:iam::888888888888:user/role/instance/u+=,.@_-1", NULL,
		     "lockDownUser", "deny:iamUser");
	irx_runbook_free(rb);
	rb = load("iam-role-lockdown");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_PTR_NULL(admit(rb, "TargetArn", "arn:aws:iam::888888888888:role/service-role/role1"));
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "TargetArn", "arn:aws:iam::888888888888:user/u"));
	irx_runbook_free(rb);
}

/* Unknown kinds never start: the parameter check refuses them, naming the pattern. */
static void test_entity_refuses_unknown_kinds(void)
{
	static const char *const refused[] = {
	    "arn:aws:s3:::evidence-bucket",
	    "arn:aws:sts::888888888888:assumed-role/role1/session",
	    "arn:aws:ec2:us-east-1:888888888888:volume/vol-0123456789abcdef0",
	    "arn:aws:ec2:us-east-1:888888888888:instance/i-0123456789abcdef0/x",
	    "arn:aws:lambda:us-east-1:888888888888:layer:l:1",
	    "arn:aws:lambda:us-east-1:888888888888:function:f:a:b",
	    "arn:aws:iam::888888888888:group/admins",
	    "arn:aws:iam::888888888888:root",
	    "arn:aws:iam::888888888888:user/",
	    "i-0123456789abcdef0",
	    "AKIAIOSFODNN7EXAMPLE",
	    "arn:aws:iam::888888888888:user/u; rm -rf /",
	    "",
	    NULL,
	};
	struct irx_runbook *rb = load("entity-lockdown");
	char error[512] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	for (size_t i = 0; refused[i]; i++) {
		const char *why = admit(rb, "TargetArn", refused[i]);

		if (!why)
			fprintf(stderr, "\n  admitted: %s\n", refused[i]);
		CU_ASSERT_PTR_NOT_NULL(why);
		if (why)
			IRX_ASSERT_CONTAINS(why, "does not match allowedPattern");
	}
	/* Temporary (ASIA) keys are not access keys the runbook can deactivate. */
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "AccessKeyId", "ASIAIOSFODNN7EXAMPLE"));
	CU_ASSERT_PTR_NULL(admit(rb, "AccessKeyId", ""));
	/* Past the pattern, a kind no choice routes goes to the step that fails loudly. */
	CU_ASSERT_STRING_EQUAL(route_rb(rb, "route", "arn:aws:s3:::evidence-bucket", NULL, error,
					sizeof(error)),
			       "unsupportedEntity");
	{
		const struct irx_step_def *u = irx_runbook_step(rb, "unsupportedEntity");

		CU_ASSERT_PTR_NOT_NULL_FATAL(u);
		CU_ASSERT_STRING_EQUAL(u->action, "aws:assertAwsResourceProperty");
		CU_ASSERT_TRUE(u->is_critical);
		CU_ASSERT_EQUAL(u->on_failure, IRX_ON_FAILURE_STEP);
		CU_ASSERT_STRING_EQUAL(u->on_failure_step, "notifyFailed");
	}
	irx_runbook_free(rb);
}

/* --- ec2-forensic-capture ------------------------------------------------------------------ */

static void test_forensic_target_check(void)
{
	struct irx_runbook *rb = load("ec2-forensic-capture");
	const char *arn = "arn:aws:ec2:us-east-1:888888888888:instance/i-0123456789abcdef0";
	char error[512] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_STRING_EQUAL(route_rb(rb, "checkTarget", arn, "i-0123456789abcdef0", error,
					sizeof(error)),
			       "notifyStart");
	CU_ASSERT_STRING_EQUAL(route_rb(rb, "checkTarget", arn, "i-0123456789abcdef1", error,
					sizeof(error)),
			       "targetMismatch");
	/* A suffix of the id is not the id. */
	CU_ASSERT_STRING_EQUAL(route_rb(rb, "checkTarget", arn, "i-23456789abcdef0", error,
					sizeof(error)),
			       "targetMismatch");
	CU_ASSERT_TRUE(irx_runbook_step(rb, "targetMismatch")->is_end);
	irx_runbook_free(rb);
}

/* Memory capture with a prebuilt tool fetched from the parameter's S3 location, checked
 * against its SHA-256; nothing compiled, installed or fetched from the internet on the
 * suspect host; the image streamed to S3; parameters that reach the script are restricted. */
static void test_forensic_prebuilt_capture(void)
{
	static const char *const never[] = {"gcc",     "make ",	  "apt-get", "apt ", "yum ",
					    "dnf ",    "git clone", "curl",    "wget", "pip ",
					    "dkms",    "kernel-devel", "linux-headers", "shutdown",
					    "poweroff", "halt", NULL};
	struct irx_runbook *rb = load("ec2-forensic-capture");
	const struct irx_step_def *cap = NULL, *snap = NULL;
	const struct irx_node *cmds = NULL;
	const char *script = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	cap = irx_runbook_step(rb, "captureMemory");
	snap = irx_runbook_step(rb, "snapshotVolumes");
	CU_ASSERT_TRUE_FATAL(cap && snap);
	/* The disks' point in time is fixed first, without waiting. */
	CU_ASSERT_TRUE(snap < cap);
	CU_ASSERT_STRING_EQUAL(in_str(snap, "WaitForCompletion"), "false");
	CU_ASSERT_STRING_EQUAL(cap->action, "aws:runCommand");
	CU_ASSERT_STRING_EQUAL(in_str(cap, "DocumentName"), "AWS-RunShellScript");
	/* A failed capture fails the execution but the snapshots are still shared. */
	CU_ASSERT_EQUAL(cap->on_failure, IRX_ON_FAILURE_CONTINUE);
	CU_ASSERT_TRUE(cap->is_critical);
	CU_ASSERT_STRING_EQUAL(rb->steps[cap - rb->steps + 1].name, "shareSnapshots");
	cmds = irx_node_get(irx_node_get(cap->inputs, "Parameters"), "commands");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cmds);
	CU_ASSERT_EQUAL_FATAL(cmds->count, 1);
	script = irx_node_str(cmds->items[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(script);
	IRX_ASSERT_CONTAINS(script, "src='{{ CaptureToolS3Prefix }}'");
	IRX_ASSERT_CONTAINS(script, "lime-${kernel}.ko");
	IRX_ASSERT_CONTAINS(script, "SHA256SUMS");
	IRX_ASSERT_CONTAINS(script, "sha256sum --check");
	IRX_ASSERT_CONTAINS(script, "localhostonly=1");
	IRX_ASSERT_CONTAINS(script, "aws s3 cp --only-show-errors --expected-size \"$size\" - \"$dst\"");
	IRX_ASSERT_CONTAINS(script, "/dev/shm/");
	for (size_t i = 0; never[i]; i++) {
		if (strstr(script, never[i]))
			fprintf(stderr, "\n  the capture script uses '%s'\n", never[i]);
		CU_ASSERT_PTR_NULL(strstr(script, never[i]));
	}
	/* Values written into the script cannot break out of its quotes. */
	CU_ASSERT_PTR_NULL(admit(rb, "CaptureToolS3Prefix", "s3://forensic-tools/lime/"));
	CU_ASSERT_PTR_NULL(admit(rb, "EvidenceS3Prefix", "s3://evidence-bucket/cases/42"));
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "CaptureToolS3Prefix", "s3://tools/x'; reboot; '"));
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "CaptureToolS3Prefix", "https://example.com/lime.ko"));
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "EvidenceS3Prefix", "s3://evidence/$(id)"));
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "EvidenceS3Prefix", "s3://evidence/a b"));
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "InstanceId", "i-0abc'"));
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "KmsKeyId", "alias/aws/ebs x"));
	CU_ASSERT_PTR_NOT_NULL(admit(rb, "ForensicAccountId", "12345678901"));
	/* The share uses the customer-managed key and the forensic account. */
	CU_ASSERT_STRING_EQUAL(in_str(irx_runbook_step(rb, "shareSnapshots"), "KmsKeyId"),
			       "{{ KmsKeyId }}");
	CU_ASSERT_STRING_EQUAL(in_str(irx_runbook_step(rb, "shareSnapshots"), "ShareWithAccount"),
			       "{{ ForensicAccountId }}");
	irx_runbook_free(rb);
}

/* The workshop playbooks keep their order: crypto mining snapshots before isolating;
 * credential exposure deactivates the key before the user lockdown and the evidence reads. */
static void test_playbook_order(void)
{
	static const char *const crypto[] = {"notifyStart", "forensicSnapshot", "isolateInstance",
					     "notifyEnd", "notifyFailed", NULL};
	static const char *const exposure[] = {
	    "notifyStart", "deactivateKey",  "wholeUser",  "lockDownUser", "keyLastUsed",
	    "attachedPolicies", "inlinePolicies", "accessKeys", "notifyEnd", "notifyFailed", NULL};
	struct irx_runbook *rb = load("ec2-crypto-mining");
	char error[512] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	for (size_t i = 0; crypto[i]; i++)
		CU_ASSERT_STRING_EQUAL(rb->steps[i].name, crypto[i]);
	CU_ASSERT_STRING_EQUAL(rb->steps[1].action, "snapshot:ec2Instance");
	CU_ASSERT_EQUAL(rb->steps[1].on_failure, IRX_ON_FAILURE_CONTINUE);
	CU_ASSERT_TRUE(rb->steps[1].is_critical);
	CU_ASSERT_STRING_EQUAL(in_str(&rb->steps[2], "RevokeCredentials"), "{{ RevokeCredentials }}");
	irx_runbook_free(rb);

	rb = load("iam-credential-exposure");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	for (size_t i = 0; exposure[i]; i++)
		CU_ASSERT_STRING_EQUAL(rb->steps[i].name, exposure[i]);
	CU_ASSERT_STRING_EQUAL(irx_runbook_step(rb, "deactivateKey")->action, "deny:accessKey");
	CU_ASSERT_STRING_EQUAL(in_str(irx_runbook_step(rb, "keyLastUsed"), "Api"),
			       "GetAccessKeyLastUsed");
	CU_ASSERT_STRING_EQUAL(in_str(irx_runbook_step(rb, "attachedPolicies"), "Api"),
			       "ListAttachedUserPolicies");
	/* LockDownUser false skips only the user lockdown. */
	{
		const struct irx_step_def *b = irx_runbook_step(rb, "wholeUser");
		struct json_object *in = irx_node_to_json(b->inputs);
		struct json_object *choices = json_object_object_get(in, "Choices");
		struct json_object *c0 = json_object_array_get_idx(choices, 0);
		struct irx_call call;
		struct irx_context ctx = {0};
		struct irx_result res = {0};

		json_object_object_add(c0, "Variable", json_object_new_boolean(0));
		irx_call_init(&call);
		ctx.size = sizeof(ctx);
		ctx.host = irx_host_table(false);
		ctx.call = &call;
		CU_ASSERT_EQUAL(irx_builtin_branch(&ctx, in, &res), 0);
		CU_ASSERT_STRING_EQUAL(res.next_step, "keyLastUsed");
		json_object_object_add(c0, "Variable", json_object_new_boolean(1));
		CU_ASSERT_EQUAL(irx_builtin_branch(&ctx, in, &res), 0);
		CU_ASSERT_STRING_EQUAL(res.next_step, "lockDownUser");
		irx_call_release(&call);
		json_object_put(in);
	}
	(void)error;
	irx_runbook_free(rb);
}

static CU_TestInfo tests[] = {
    {"every runbook validates with the built plugins", test_all_validate},
    {"TargetArn, description with order and blast radius", test_target_and_description},
    {"notifications at start, end and on failure, never fatal", test_notifications},
    {"entity-lockdown routes every ARN kind", test_entity_routes_every_kind},
    {"seed: Lambda ARNs reach the Lambda branch", test_seed_lambda_arns_reach_lambda_branch},
    {"seed: IAM ARNs with paths route by kind, whole ARN passed",
     test_seed_iam_paths_route_by_kind},
    {"entity-lockdown refuses unknown kinds up front", test_entity_refuses_unknown_kinds},
    {"forensic capture checks InstanceId against TargetArn", test_forensic_target_check},
    {"forensic capture: prebuilt, checksummed tool streamed to S3",
     test_forensic_prebuilt_capture},
    {"workshop playbooks keep their order", test_playbook_order},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("runbook_library", tests, NULL, NULL)
