/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ssm plugin: ssm:startAutomation starts an SSM Automation execution (an AWS-managed
 * document such as AWS-StopEC2Instance, or one of the account's own) in the step's account and
 * region, or in other accounts and regions with TargetLocations, and waits for it:
 *
 *   ssm:DescribeDocument        (read: the document exists and is an Automation document)
 *   ssm:StartAutomationExecution (tagged with the execution id, case id and action)
 *   ssm:GetAutomationExecution  (polled with backoff, 2 s doubling to 30 s, until a final status)
 *   ssm:StopAutomationExecution (only when the step is cancelled or runs out of time)
 *
 * The step's outputs are SSM's: AutomationExecutionId, AutomationExecutionStatus, Outputs (the
 * automation's outputs map), StepExecutions ([{StepName, Action, StepStatus, FailureMessage,
 * Outputs, ...}]), FailureMessage. A failed, timed-out or cancelled automation fails the step
 * with SSM's failure message and the name of the step that failed.
 *
 * An automation cannot be undone: there is no rollback. The execution id is still recorded in the
 * undo record (and journaled) as soon as the automation started, so the journal says what ran.
 * Running out of time: the plugin keeps a reserve before the step's deadline (AWS calls are refused
 * once it passed) to stop the execution it started, then lets the deadline pass so the step is
 * TimedOut. In a dry run the start is planned by the host, not sent, and nothing is awaited.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "irx/plugin.h"
#include "irx/plugin_util.h"

#define POLL_FIRST_MS 2000LL
#define POLL_MAX_MS 30000LL
#define STOP_RESERVE_MS 5000LL /* before the deadline: time to stop what was started */

static long long now_ms(void)
{
	struct timespec ts = {0};

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One SSM parameter value as text: strings as they are, numbers and booleans as JSON writes them.
 */
static const char *scalar_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_boolean))
		return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	return NULL;
}

/*
 * SSM's Parameters: a map of names to lists of strings. A scalar becomes a one-element list.
 * Returns a new object, or NULL with the reason in msg.
 */
static struct json_object *ssm_parameters_map(struct json_object *in, char *msg, size_t len)
{
	struct json_object *out = json_object_new_object();

	json_object_object_foreach(in, key, val)
	{
		struct json_object *list = json_object_new_array();
		const char *t = scalar_text(val);

		if (t) {
			json_object_array_add(list, json_object_new_string(t));
		} else if (json_object_is_type(val, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(val); i++) {
				t = scalar_text(json_object_array_get_idx(val, i));
				if (!t)
					break;
				json_object_array_add(list, json_object_new_string(t));
			}
		}
		if (!t && !(json_object_is_type(val, json_type_array) &&
			    json_object_array_length(val) == 0)) {
			snprintf(msg, len, "parameter '%s' must be a string or a list of strings",
				 key);
			json_object_put(list);
			json_object_put(out);
			return NULL;
		}
		json_object_object_add(out, key, list);
	}
	return out;
}

/* Copies a list of strings into a new array; NULL when absent or empty. */
static struct json_object *string_list(struct json_object *v)
{
	struct json_object *out = NULL;

	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return NULL;
	out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(v); i++)
		json_object_array_add(out, json_object_new_string(json_object_get_string(
					       json_object_array_get_idx(v, i))));
	return out;
}

/* "a, b" of a string list, into buf. */
static void join(struct json_object *list, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; list && i < json_object_array_length(list) && o + 1 < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				 json_object_get_string(json_object_array_get_idx(list, i)));

		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/*
 * Builds StartAutomationExecution's parameters from the inputs. Returns a new object, or NULL
 * with the step failed.
 */
static struct json_object *start_params(const struct irx_context *ctx, struct json_object *inputs)
{
	struct json_object *p = json_object_new_object();
	struct json_object *params = NULL, *accounts = NULL, *regions = NULL, *tags = NULL;
	const char *ver = irx_json_str(inputs, "DocumentVersion");
	const char *token = irx_json_str(inputs, "ClientToken");
	char msg[512] = "";

	json_object_object_add(p, "DocumentName",
			       json_object_new_string(irx_json_str(inputs, "DocumentName")));
	if (ver && *ver)
		json_object_object_add(p, "DocumentVersion", json_object_new_string(ver));
	if (irx_json_get(inputs, "Parameters")) {
		params = ssm_parameters_map(irx_json_get(inputs, "Parameters"), msg, sizeof(msg));
		if (!params) {
			json_object_put(p);
			ctx->host->fail(ctx->call, "cannot start automation '%s': %s",
					irx_json_str(inputs, "DocumentName"), msg);
			return NULL;
		}
		if (json_object_object_length(params) > 0)
			json_object_object_add(p, "Parameters", params);
		else
			json_object_put(params);
	}
	accounts = string_list(irx_json_get(inputs, "Accounts"));
	regions = string_list(irx_json_get(inputs, "Regions"));
	if (accounts || regions) {
		struct json_object *loc = json_object_new_object();
		struct json_object *locs = json_object_new_array();
		const char *role = irx_json_str(inputs, "ExecutionRoleName");
		const char *conc = irx_json_str(inputs, "TargetLocationMaxConcurrency");
		const char *errs = irx_json_str(inputs, "TargetLocationMaxErrors");

		/* SSM: the accounts default to this one, the regions to this region */
		if (!accounts && ctx->account_id && *ctx->account_id) {
			accounts = json_object_new_array();
			json_object_array_add(accounts, json_object_new_string(ctx->account_id));
		}
		if (!regions && ctx->region && *ctx->region) {
			regions = json_object_new_array();
			json_object_array_add(regions, json_object_new_string(ctx->region));
		}
		if (accounts)
			json_object_object_add(loc, "Accounts", accounts);
		if (regions)
			json_object_object_add(loc, "Regions", regions);
		if (role && *role)
			json_object_object_add(loc, "ExecutionRoleName",
					       json_object_new_string(role));
		if (conc && *conc)
			json_object_object_add(loc, "TargetLocationMaxConcurrency",
					       json_object_new_string(conc));
		if (errs && *errs)
			json_object_object_add(loc, "TargetLocationMaxErrors",
					       json_object_new_string(errs));
		json_object_array_add(locs, loc);
		json_object_object_add(p, "TargetLocations", locs);
	}
	if (token && *token)
		json_object_object_add(p, "ClientToken", json_object_new_string(token));
	tags = json_object_new_array();
	json_object_array_add(tags,
			      irx_json_strings("Key", "irx:execution-id", "Value",
					       ctx->execution_id ? ctx->execution_id : "", NULL));
	if (ctx->case_id && *ctx->case_id)
		json_object_array_add(
		    tags, irx_json_strings("Key", "irx:case-id", "Value", ctx->case_id, NULL));
	json_object_array_add(
	    tags, irx_json_strings("Key", "irx:action", "Value", "ssm:startAutomation", NULL));
	json_object_object_add(p, "Tags", tags);
	return p;
}

/* Where the automation runs, for messages: "in 111/us-east-1" or "in accounts a, b; ...". */
static void where_text(const struct irx_context *ctx, struct json_object *sp, char *buf, size_t len)
{
	struct json_object *locs = irx_json_get(sp, "TargetLocations");
	struct json_object *loc = locs ? json_object_array_get_idx(locs, 0) : NULL;
	char acc[512] = "", reg[256] = "";

	if (!loc) {
		snprintf(buf, len, "in account '%s' region '%s'",
			 ctx->account_id && *ctx->account_id ? ctx->account_id : "(current)",
			 ctx->region && *ctx->region ? ctx->region : "(default)");
		return;
	}
	join(irx_json_get(loc, "Accounts"), acc, sizeof(acc));
	join(irx_json_get(loc, "Regions"), reg, sizeof(reg));
	snprintf(buf, len, "in accounts %s, regions %s, as role '%s'", acc, reg,
		 irx_json_str(loc, "ExecutionRoleName")
		     ? irx_json_str(loc, "ExecutionRoleName")
		     : "AWS-SystemsManager-AutomationExecutionRole");
}

/* The document must exist and be an Automation document (a read: sent in dry runs too). */
static int check_document(const struct irx_context *ctx, struct json_object *inputs)
{
	struct json_object *p = json_object_new_object();
	struct json_object *resp = NULL;
	const char *name = irx_json_str(inputs, "DocumentName");
	const char *ver = irx_json_str(inputs, "DocumentVersion");
	const char *type = NULL;
	int rc = -1;

	json_object_object_add(p, "Name", json_object_new_string(name));
	if (ver && *ver)
		json_object_object_add(p, "DocumentVersion", json_object_new_string(ver));
	if (ctx->host->aws_call(ctx->call, "ssm", "DescribeDocument", p, &resp) < 0) {
		ctx->host->log(ctx->call, IRX_LOG_ERROR, "cannot describe document '%s'", name);
		goto out;
	}
	type = irx_json_str(irx_json_get(resp, "Document"), "DocumentType");
	if (type && strcmp(type, "Automation") != 0) {
		ctx->host->fail(ctx->call,
				"cannot start automation '%s': it is a %s document, not an "
				"Automation document",
				name, type);
		goto out;
	}
	rc = 0;
out:
	json_object_put(resp);
	json_object_put(p);
	return rc;
}

static const char *const final_ok[] = {"Success", "CompletedWithSuccess", NULL};
static const char *const final_bad[] = {"Failed",
					"TimedOut",
					"Cancelled",
					"CompletedWithFailure",
					"Rejected",
					"Exited",
					"ChangeCalendarOverrideRejected",
					NULL};

static bool in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; s && list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Copies the automation's results into the step's outputs. */
static void set_outputs(struct irx_result *res, const char *id, struct json_object *ex)
{
	static const char *const step_keys[] = {"StepName",	    "Action",
						"StepStatus",	    "FailureMessage",
						"StepExecutionId",  "ExecutionStartTime",
						"ExecutionEndTime", "Outputs",
						"ResponseCode",	    NULL};
	struct json_object *steps = json_object_new_array();
	struct json_object *src = irx_json_get(ex, "StepExecutions");
	struct json_object *outs = irx_json_get(ex, "Outputs");

	json_object_object_add(res->outputs, "AutomationExecutionId", json_object_new_string(id));
	json_object_object_add(
	    res->outputs, "AutomationExecutionStatus",
	    json_object_new_string(irx_json_str(ex, "AutomationExecutionStatus")
				       ? irx_json_str(ex, "AutomationExecutionStatus")
				       : ""));
	json_object_object_add(res->outputs, "Outputs",
			       json_object_is_type(outs, json_type_object)
				   ? json_object_get(outs)
				   : json_object_new_object());
	for (size_t i = 0;
	     json_object_is_type(src, json_type_array) && i < json_object_array_length(src); i++) {
		struct json_object *s = json_object_array_get_idx(src, i);
		struct json_object *d = json_object_new_object();

		for (size_t k = 0; step_keys[k]; k++)
			if (irx_json_get(s, step_keys[k]))
				json_object_object_add(
				    d, step_keys[k],
				    json_object_get(irx_json_get(s, step_keys[k])));
		json_object_array_add(steps, d);
	}
	json_object_object_add(res->outputs, "StepExecutions", steps);
	if (irx_json_str(ex, "FailureMessage"))
		json_object_object_add(res->outputs, "FailureMessage",
				       json_object_new_string(irx_json_str(ex, "FailureMessage")));
}

/* The first step that did not succeed and is final. Borrowed, or NULL. */
static struct json_object *failed_step(struct json_object *ex)
{
	struct json_object *steps = irx_json_get(ex, "StepExecutions");

	for (size_t i = 0;
	     json_object_is_type(steps, json_type_array) && i < json_object_array_length(steps);
	     i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);

		if (in_list(irx_json_str(s, "StepStatus"), final_bad))
			return s;
	}
	return NULL;
}

static int fail_final(const struct irx_context *ctx, const char *doc, const char *id,
		      const char *status, struct json_object *ex)
{
	struct json_object *s = failed_step(ex);
	const char *why = irx_json_str(ex, "FailureMessage");

	if (s) {
		const char *smsg = irx_json_str(s, "FailureMessage");

		return ctx->host->fail(
		    ctx->call, "automation '%s' (execution '%s') ended %s: step '%s' (%s) %s%s%s",
		    doc, id, status,
		    irx_json_str(s, "StepName") ? irx_json_str(s, "StepName") : "?",
		    irx_json_str(s, "Action") ? irx_json_str(s, "Action") : "?",
		    irx_json_str(s, "StepStatus"), smsg || why ? ": " : "",
		    smsg  ? smsg
		    : why ? why
			  : "");
	}
	return ctx->host->fail(ctx->call, "automation '%s' (execution '%s') ended %s%s%s", doc, id,
			       status, why ? ": " : "", why ? why : "");
}

/* Stops the execution this step started (cancelled, or out of time). Logs; never fails. */
static void stop_execution(const struct irx_context *ctx, const char *id)
{
	struct json_object *p = json_object_new_object();
	struct json_object *resp = NULL;

	json_object_object_add(p, "AutomationExecutionId", json_object_new_string(id));
	json_object_object_add(p, "Type", json_object_new_string("Cancel"));
	if (ctx->host->aws_call(ctx->call, "ssm", "StopAutomationExecution", p, &resp) == 0)
		ctx->host->log(ctx->call, IRX_LOG_WARN, "stopped automation execution '%s'", id);
	else
		ctx->host->log(ctx->call, IRX_LOG_ERROR,
			       "could not stop automation execution '%s': it may still be running",
			       id);
	json_object_put(resp);
	json_object_put(p);
}

/* Polls until a final status. Returns 0 on success, -1 with the step failed. */
static int wait_for(const struct irx_context *ctx, const char *doc, const char *id,
		    struct irx_result *res)
{
	long long delay = POLL_FIRST_MS;
	long long reserve = STOP_RESERVE_MS;
	bool last = false;

	if (ctx->deadline_ms) {
		long long budget = ctx->deadline_ms - now_ms();

		/* a short step keeps a quarter of its time to stop the automation */
		if (budget / 4 < reserve)
			reserve = budget > 0 ? budget / 4 : 0;
	}
	for (;;) {
		struct json_object *p = json_object_new_object();
		struct json_object *resp = NULL, *ex = NULL;
		const char *status = NULL;
		int rc = 0;

		json_object_object_add(p, "AutomationExecutionId", json_object_new_string(id));
		rc = ctx->host->aws_call(ctx->call, "ssm", "GetAutomationExecution", p, &resp);
		json_object_put(p);
		if (rc < 0) {
			ctx->host->log(ctx->call, IRX_LOG_ERROR,
				       "cannot read automation execution '%s'", id);
			return -1;
		}
		ex = irx_json_get(resp, "AutomationExecution");
		status = irx_json_str(ex, "AutomationExecutionStatus");
		set_outputs(res, id, ex);
		if (in_list(status, final_ok)) {
			json_object_put(resp);
			return 0;
		}
		if (in_list(status, final_bad)) {
			rc = fail_final(ctx, doc, id, status, ex);
			json_object_put(resp);
			return rc;
		}
		ctx->host->log(ctx->call, IRX_LOG_DEBUG,
			       "automation execution '%s' is %s; polling again in %lld ms", id,
			       status ? status : "(no status)", delay);
		json_object_put(resp);
		if (ctx->deadline_ms) {
			long long left = ctx->deadline_ms - reserve - now_ms();

			if (last || left <= 0) {
				long long rest = ctx->deadline_ms - now_ms();

				stop_execution(ctx, id);
				/* the host marks the step timed out once its deadline passed */
				ctx->host->sleep(ctx->call, rest > 0 ? rest + 1 : 1);
				return ctx->host->fail(
				    ctx->call,
				    "timed out waiting for automation '%s' (execution '%s'); "
				    "stopped it",
				    doc, id);
			}
			if (delay >= left) {
				delay = left;
				last = true;
			}
		}
		if (ctx->host->sleep(ctx->call, delay) < 0) {
			stop_execution(ctx, id);
			return ctx->host->fail(ctx->call,
					       "stopped waiting for automation '%s' (execution "
					       "'%s'): the step was cancelled or ran out of time",
					       doc, id);
		}
		delay = delay * 2 > POLL_MAX_MS ? POLL_MAX_MS : delay * 2;
	}
}

static const struct irx_param start_automation_params[] = {
    {"DocumentName", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "the Automation document: an AWS-managed one (AWS-StopEC2Instance), the account's own, or "
     "a shared document's ARN"},
    {"DocumentVersion", IRX_PARAM_STRING, 0, NULL, "the document version (default: the default)"},
    {"Parameters", IRX_PARAM_STRING_MAP, 0, NULL,
     "the automation's parameters: a map of names to strings or lists of strings"},
    {"Accounts", IRX_PARAM_STRING_LIST, 0, NULL,
     "run with TargetLocations in these accounts (or organizational units)"},
    {"Regions", IRX_PARAM_STRING_LIST, 0, NULL,
     "run with TargetLocations in these regions (default: the step's region)"},
    {"ExecutionRoleName", IRX_PARAM_STRING, 0, NULL,
     "the role the automation assumes in each target account (SSM's default: "
     "AWS-SystemsManager-AutomationExecutionRole)"},
    {"TargetLocationMaxConcurrency", IRX_PARAM_STRING, 0, NULL,
     "how many accounts and regions run at once (a number or a percentage)"},
    {"TargetLocationMaxErrors", IRX_PARAM_STRING, 0, NULL,
     "how many locations may fail before SSM stops the rest (a number or a percentage)"},
    {"ClientToken", IRX_PARAM_STRING, 0, NULL,
     "an idempotency token (a UUID): SSM starts one execution per token"},
    {"WaitForCompletion", IRX_PARAM_BOOLEAN, 0, "true",
     "wait for the automation to end (false: start it and succeed)"},
    {0},
};

static int start_automation(const struct irx_context *ctx, struct json_object *inputs,
			    struct irx_result *res)
{
	const char *doc = irx_json_str(inputs, "DocumentName");
	struct json_object *sp = NULL, *resp = NULL,
			   *wait = irx_json_get(inputs, "WaitForCompletion");
	const char *id = NULL;
	char where[1024] = "", text[2048] = "";
	int rc = -1;

	if (!ctx->host->aws_call)
		return ctx->host->fail(ctx->call,
				       "cannot start automation '%s': no AWS client is configured",
				       doc ? doc : "");
	if (!doc || !*doc)
		return ctx->host->fail(ctx->call, "DocumentName must not be empty");
	sp = start_params(ctx, inputs);
	if (!sp)
		return -1;
	where_text(ctx, sp, where, sizeof(where));
	if (check_document(ctx, inputs) < 0)
		goto out;
	if (ctx->dry_run) {
		struct json_object *pm = irx_json_get(sp, "Parameters");

		snprintf(text, sizeof(text),
			 "would start automation '%s' %s with parameters %s and wait for it; an "
			 "automation cannot be undone",
			 doc, where,
			 pm ? json_object_to_json_string_ext(pm, JSON_C_TO_STRING_PLAIN) : "{}");
	} else {
		/* journaled before the start: a crash leaves which automation this step began */
		json_object_object_add(res->undo, "DocumentName", json_object_new_string(doc));
		json_object_object_add(res->undo, "Reversible", json_object_new_boolean(0));
		if (ctx->host->checkpoint(ctx->call, res->undo) < 0)
			goto out;
	}
	if (ctx->host->aws_call(ctx->call, "ssm", "StartAutomationExecution", sp, &resp) < 0) {
		ctx->host->log(ctx->call, IRX_LOG_ERROR, "cannot start automation '%s' %s", doc,
			       where);
		goto out;
	}
	if (ctx->dry_run) {
		/* the start was planned, not sent: there is no execution id to wait for */
		json_object_object_add(res->outputs, "AutomationExecutionId",
				       json_object_new_string("(dry run: not started)"));
		json_object_object_add(res->outputs, "AutomationExecutionStatus",
				       json_object_new_string("NotStarted"));
		json_object_object_add(res->outputs, "Outputs", json_object_new_object());
		json_object_object_add(res->outputs, "StepExecutions", json_object_new_array());
		irx_result_summary(res, "PlannedChange", text);
		rc = 0;
		goto out;
	}
	id = irx_json_str(resp, "AutomationExecutionId");
	if (!id || !*id) {
		ctx->host->fail(
		    ctx->call, "StartAutomationExecution of '%s' returned no AutomationExecutionId",
		    doc);
		goto out;
	}
	json_object_object_add(res->undo, "AutomationExecutionId", json_object_new_string(id));
	ctx->host->checkpoint(ctx->call, res->undo);
	ctx->host->log(ctx->call, IRX_LOG_INFO, "started automation '%s' %s: execution '%s'", doc,
		       where, id);
	if (wait && !json_object_get_boolean(wait)) {
		json_object_object_add(res->outputs, "AutomationExecutionId",
				       json_object_new_string(id));
		json_object_object_add(res->outputs, "AutomationExecutionStatus",
				       json_object_new_string("InProgress"));
		json_object_object_add(res->outputs, "Outputs", json_object_new_object());
		json_object_object_add(res->outputs, "StepExecutions", json_object_new_array());
		res->message = "started; not waiting (an automation cannot be undone)";
		rc = 0;
		goto out;
	}
	if (wait_for(ctx, doc, id, res) < 0)
		goto out;
	snprintf(text, sizeof(text), "automation '%s' (execution '%s') succeeded %s", doc, id,
		 where);
	irx_result_summary(res, "Summary", text);
	rc = 0;
out:
	json_object_put(resp);
	json_object_put(sp);
	return rc;
}

/* The AWS calls startAutomation makes (the host refuses any other). */
static const char *const start_automation_calls[] = {
    "ssm:DescribeDocument",
    "ssm:StartAutomationExecution",
    "ssm:GetAutomationExecution",
    "ssm:StopAutomationExecution",
    NULL,
};

static const struct irx_action actions[] = {
    {"startAutomation",
     "start an SSM Automation execution here or in target accounts and regions, and wait for "
     "it; cannot be undone (a cancelled or timed-out step stops the execution)",
     IRX_ACTION_MUTATES, start_automation_params, start_automation, NULL, start_automation_calls},
    {0},
};

IRX_PLUGIN_DEFINE("ssm", "1.0.0", "Apache-2.0", actions, NULL, NULL)
