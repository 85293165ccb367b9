/* SPDX-License-Identifier: Apache-2.0 */
/* Running an event in process (event_run.h): routing's plan, then one execution per target. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "cli.h"
#include "config.h"
#include "diag.h"
#include "error.h"
#include "event_run.h"
#include "events.h"
#include "executor.h"
#include "params.h"
#include "routing.h"
#include "runbook.h"
#include "util.h"

static void logf_(const struct irx_event_run_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logf_(const struct irx_event_run_options *o, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->log(o->log_ud, line);
}

static void on_progress(void *ud, enum irx_step_event ev, const char *step, const char *action,
			const char *status, long long duration_ms, const char *message)
{
	const struct irx_event_run_options *o = ud;

	if (ev == IRX_STEP_FINISHED)
		logf_(o, "  %s %s %s %lld ms%s%s", step, action, status, duration_ms,
		      message && *message ? "  " : "", message ? message : "");
}

/* The region: the target's, else the options', AWS_REGION, AWS_DEFAULT_REGION. */
static const char *pick_region(const struct irx_event_run_options *o, const struct irx_arn *arn)
{
	const char *r = NULL;

	if (arn && arn->region[0])
		return arn->region;
	if (o->aws.region && *o->aws.region)
		return o->aws.region;
	if ((r = getenv("AWS_REGION")) && *r)
		return r;
	if ((r = getenv("AWS_DEFAULT_REGION")) && *r)
		return r;
	return "";
}

static struct irx_runbook *load_runbook(const char *name, struct irx_actions *actions, char *why,
					size_t whylen)
{
	struct irx_diags diags = {0};
	char *path = irx_cli_find_runbook(name);
	struct irx_runbook *rb = NULL;

	if (!path) {
		snprintf(why, whylen, "no runbook '%s'", name);
		return NULL;
	}
	rb = irx_runbook_load(path, &diags);
	if (rb)
		irx_runbook_validate(rb, actions, &diags);
	if (!rb || diags.count) {
		snprintf(why, whylen, "runbook '%s' is not valid: %s%s", path,
			 diags.count ? diags.items[0].message : "cannot be read",
			 diags.count > 1 ? " (and more: 'irx validate')" : "");
		irx_runbook_free(rb);
		rb = NULL;
	}
	irx_diags_release(&diags);
	free(path);
	return rb;
}

/* One execution of t. Returns 0 when it was journaled (res filled), -1 with why otherwise. */
static int run_target(const struct irx_config *cfg, const struct irx_plan_target *t,
		      const struct irx_runbook *rb, struct irx_actions *actions,
		      const struct irx_event_run_options *o, struct irx_exec_result *res, char *why,
		      size_t whylen)
{
	struct irx_diags diags = {0};
	struct irx_exec_options eo = {0};
	struct irx_error err = {0};
	struct irx_aws_cli_options aws = o->aws;
	struct irx_aws_client *client = NULL;
	struct irx_arn arn;
	const char *assign[3] = {0};
	char *target_assign = NULL, *key_assign = NULL, *notify_assign = NULL, *case_id = NULL;
	struct json_object *params = NULL;
	size_t n = 0;
	int rc = -1;

	if (irx_arn_parse(t->arn, &arn, why, whylen) < 0)
		goto out;
	if (!irx_runbook_param(rb, "TargetArn")) {
		snprintf(why, whylen, "runbook '%s' has no 'TargetArn' parameter", rb->name);
		goto out;
	}
	target_assign = irx_xasprintf("TargetArn=%s", t->arn);
	assign[n++] = target_assign;
	if (t->access_key_id && irx_runbook_param(rb, "AccessKeyId")) {
		key_assign = irx_xasprintf("AccessKeyId=%s", t->access_key_id);
		assign[n++] = key_assign;
	}
	/* as irx run --event: the shipped runbooks notify the configuration's first SNS channel */
	if (irx_runbook_param(rb, "NotifyTopicArn")) {
		for (size_t i = 0; i < cfg->channel_count && !notify_assign; i++)
			if (cfg->channels[i].topic_arn && *cfg->channels[i].topic_arn)
				notify_assign =
				    irx_xasprintf("NotifyTopicArn=%s", cfg->channels[i].topic_arn);
		if (notify_assign)
			assign[n++] = notify_assign;
	}
	if (!(params = irx_params_bind(rb, assign, n, &diags))) {
		snprintf(why, whylen, "parameters of '%s': %s", rb->name,
			 diags.count ? diags.items[0].message : "invalid");
		goto out;
	}
	/* --role-arn wins; else the configuration's chain into the target's account */
	if (!aws.role_arn && t->access)
		irx_config_access_cli(t->access, &aws);
	if (cfg->case_id_prefix && t->finding_id)
		case_id = irx_xasprintf("%s%s", cfg->case_id_prefix, t->finding_id);
	eo.state_dir = o->state_dir;
	eo.dry_run = t->dry_run || o->dry_run;
	eo.account_id = arn.account;
	eo.region = pick_region(o, &arn);
	eo.case_id = case_id ? case_id : "";
	eo.exception_tag = cfg->exception_tag;
	eo.exception_registry = cfg->exception_registry;
	eo.progress = on_progress;
	eo.progress_ud = (void *)o;
	eo.cancel = o->cancel;
	if (irx_aws_setup_exec(&eo, &aws, &client, &err) < 0) {
		snprintf(why, whylen, "%s", err.message);
		goto out;
	}
	if (irx_execute(rb, params, actions, &eo, res, &err) < 0) {
		snprintf(why, whylen, "%s", err.message);
		goto out;
	}
	rc = 0;
out:
	irx_aws_client_free(client);
	json_object_put(params);
	irx_diags_release(&diags);
	free(target_assign);
	free(key_assign);
	free(notify_assign);
	free(case_id);
	return rc;
}

static void put_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

int irx_event_run(const struct irx_config *cfg, const struct irx_event *ev,
		  struct irx_actions *actions, const struct irx_event_run_options *o,
		  struct irx_event_run_result *out, struct irx_error *err)
{
	struct irx_plan plan = {0};
	struct irx_plan_options po = {0};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->targets = json_object_new_array();
	po.dry_run = o->dry_run;
	po.force_sample = o->force_sample;
	po.claim = !o->claim;
	po.state_dir =
	    o->claim ? NULL : o->state_dir; /* the caller's store replaces the local one */
	if (irx_events_plan(cfg, ev, &po, &plan, err) < 0)
		goto out;
	for (size_t i = 0; i < plan.count; i++) {
		struct irx_plan_target *t = &plan.targets[i];
		struct json_object *r = json_object_new_object();
		struct irx_exec_result res = {0};
		struct irx_runbook *rb = NULL;
		char key[65] = "", why[1024] = "";
		int claim = IRX_CLAIM_OK;

		json_object_array_add(out->targets, r);
		put_str(r, "arn", t->arn);
		put_str(r, "kind", t->kind);
		put_str(r, "runbook", t->runbook);
		put_str(r, "findingId", t->finding_id);
		if (t->runbook && !t->duplicate && o->claim && t->finding_id && t->arn) {
			irx_dedupe_key(t->finding_id, t->arn, t->access_key_id, key);
			if ((claim = o->claim(o->claim_ud, key, err)) < 0)
				goto out;
		}
		if (!t->runbook || t->duplicate || claim != IRX_CLAIM_OK) {
			const char *reason =
			    claim == IRX_CLAIM_BUSY ? "another worker is running it"
			    : claim == IRX_CLAIM_DUPLICATE
				? "duplicate: already contained within the dedupe window"
				: t->skip_reason;

			put_str(r, "notRun", reason);
			logf_(o, "%s %s: not run: %s", t->kind, t->arn ? t->arn : "(no arn)",
			      reason);
			if (claim == IRX_CLAIM_BUSY)
				out->busy++;
			else
				out->skipped++;
			continue;
		}
		json_object_object_add(r, "dryRun",
				       json_object_new_boolean(t->dry_run || o->dry_run));
		logf_(o, "running '%s' on %s%s", t->runbook, t->arn,
		      t->dry_run || o->dry_run ? " (dry run)" : "");
		rb = load_runbook(t->runbook, actions, why, sizeof(why));
		if (!rb || run_target(cfg, t, rb, actions, o, &res, why, sizeof(why)) < 0) {
			put_str(r, "error", why);
			logf_(o, "%s: not run: %s", t->arn, why);
			out->unrecorded++;
			if (key[0] && o->release)
				o->release(o->claim_ud, key);
		} else {
			put_str(r, "executionId", res.execution_id);
			put_str(r, "status", res.status);
			if (res.failure_message[0])
				put_str(r, "failureMessage", res.failure_message);
			logf_(o, "execution %s %s%s%s", res.execution_id, res.status,
			      res.failure_message[0] ? ": " : "", res.failure_message);
			out->executed++;
			if (strcmp(res.status, "Success") != 0)
				out->failed++;
			if (key[0] && o->done)
				o->done(o->claim_ud, key, &res);
		}
		irx_exec_result_release(&res);
		irx_runbook_free(rb);
	}
	rc = 0;
out:
	irx_plan_release(&plan);
	return rc;
}

void irx_event_run_result_release(struct irx_event_run_result *r)
{
	json_object_put(r->targets);
	memset(r, 0, sizeof(*r));
}
