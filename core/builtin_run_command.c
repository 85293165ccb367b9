/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws:runCommand, as SSM Automation documents it: the inputs are SendCommand's (DocumentName,
 * InstanceIds or Targets, Parameters, Comment, TimeoutSeconds, OutputS3BucketName, ...); the
 * command is sent and every invocation awaited until a final status:
 * - with InstanceIds: ssm:GetCommandInvocation per instance (InvocationDoesNotExist right after
 *   the send means "not there yet"), 1 s doubling to 30 s between rounds;
 * - with Targets (the instances are SSM's to resolve): ssm:ListCommands until the command is
 *   final, then ssm:ListCommandInvocations (Details) for each instance's result.
 * Outputs as SSM names them: CommandId, Status, ResponseCode and Output (the first invocation's
 * response code and standard output), plus Invocations (every instance's result). The step
 * fails unless every invocation succeeded, naming the first one that did not.
 * A cancelled step, or one about to reach its deadline (a reserve is kept: AWS calls are refused
 * once it passed), cancels the command with ssm:CancelCommand. A command cannot be undone.
 * Dry-run: SendCommand is planned by the host, not sent; nothing is awaited.
 * Only host functions are used (so a fake host can drive it), and irx_now_ms for the deadline.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "builtins.h"
#include "util.h"

/* Every call below, as the models spell them: the host fails any other, and `irx policy`
 * grants exactly these (see builtins.h). */
const char *const irx_builtin_run_command_calls[] = {
    "ssm:SendCommand",	 "ssm:GetCommandInvocation",
    "ssm:ListCommands",	 "ssm:ListCommandInvocations",
    "ssm:CancelCommand", NULL,
};

#define POLL_FIRST_MS 1000LL
#define POLL_MAX_MS 30000LL
#define CANCEL_RESERVE_MS 5000LL
#define LIST_PAGES_MAX 100

/* SendCommand's own members among the inputs: passed on as they are (Parameters converted). */
static const char *const send_keys[] = {"DocumentName",
					"DocumentVersion",
					"DocumentHash",
					"DocumentHashType",
					"InstanceIds",
					"Targets",
					"Parameters",
					"Comment",
					"TimeoutSeconds",
					"OutputS3Region",
					"OutputS3BucketName",
					"OutputS3KeyPrefix",
					"MaxConcurrency",
					"MaxErrors",
					"ServiceRoleArn",
					"NotificationConfig",
					"CloudWatchOutputConfig",
					"AlarmConfiguration",
					NULL};

static const char *str_in(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* The first item of obj[key] when it is a non-empty array, else NULL (AWS may leave it out). */
static struct json_object *first_item(struct json_object *obj, const char *key)
{
	struct json_object *a = get(obj, key);

	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) == 0)
		return NULL;
	return json_object_array_get_idx(a, 0);
}

static const char *scalar_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_boolean))
		return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	return NULL;
}

/* SSM's Parameters: names to lists of strings; a scalar is a one-element list. NULL + msg. */
static struct json_object *parameters_map(struct json_object *in, char *msg, size_t len)
{
	struct json_object *out = json_object_new_object();

	json_object_object_foreach(in, key, val)
	{
		struct json_object *list = json_object_new_array();
		const char *t = scalar_text(val);
		bool ok = t != NULL;

		if (t) {
			json_object_array_add(list, json_object_new_string(t));
		} else if (json_object_is_type(val, json_type_array)) {
			ok = true;
			for (size_t i = 0; ok && i < json_object_array_length(val); i++) {
				t = scalar_text(json_object_array_get_idx(val, i));
				ok = t != NULL;
				if (ok)
					json_object_array_add(list, json_object_new_string(t));
			}
		}
		if (!ok) {
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

/* "a, b" of a string list. */
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

static bool final_status(const char *s)
{
	return s && (!strcmp(s, "Success") || !strcmp(s, "Failed") || !strcmp(s, "Cancelled") ||
		     !strcmp(s, "TimedOut"));
}

/* One invocation's result as the step reports it. New object. */
static struct json_object *invocation(const char *instance, const char *status, const char *details,
				      int code, const char *out, const char *err)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "InstanceId", json_object_new_string(instance));
	json_object_object_add(o, "Status", json_object_new_string(status ? status : "Pending"));
	json_object_object_add(o, "StatusDetails",
			       json_object_new_string(details  ? details
						      : status ? status
							       : ""));
	json_object_object_add(o, "ResponseCode", json_object_new_int(code));
	json_object_object_add(o, "StandardOutputContent", json_object_new_string(out ? out : ""));
	json_object_object_add(o, "StandardErrorContent", json_object_new_string(err ? err : ""));
	return o;
}

static int int_in(struct json_object *obj, const char *key, int dflt)
{
	struct json_object *v = get(obj, key);

	return v && json_object_is_type(v, json_type_int) ? json_object_get_int(v) : dflt;
}

/*
 * One round over InstanceIds: updates invs (array of invocation objects, one per instance).
 * Returns 1 when all are final, 0 when not, -1 with the step failed.
 */
static int poll_instances(const struct irx_context *ctx, const char *id, struct json_object *invs)
{
	static const char *const not_yet[] = {"InvocationDoesNotExist", NULL};
	int all = 1;

	for (size_t i = 0; i < json_object_array_length(invs); i++) {
		struct json_object *inv = json_object_array_get_idx(invs, i);
		const char *iid = str_in(inv, "InstanceId");
		struct json_object *p = NULL, *resp = NULL;
		int rc = 0;

		if (final_status(str_in(inv, "Status")))
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "CommandId", json_object_new_string(id));
		json_object_object_add(p, "InstanceId", json_object_new_string(iid));
		rc = ctx->host->aws_call_expect(ctx->call, "ssm", "GetCommandInvocation", p,
						not_yet, &resp);
		json_object_put(p);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			json_object_array_put_idx(invs, i,
						  invocation(iid, str_in(resp, "Status"),
							     str_in(resp, "StatusDetails"),
							     int_in(resp, "ResponseCode", -1),
							     str_in(resp, "StandardOutputContent"),
							     str_in(resp, "StandardErrorContent")));
		}
		json_object_put(resp);
		if (!final_status(str_in(json_object_array_get_idx(invs, i), "Status")))
			all = 0;
	}
	return all;
}

/* With Targets: 1 when the command is final (invs filled), 0 when not, -1 with the step failed. */
static int poll_targets(const struct irx_context *ctx, const char *id, struct json_object *invs)
{
	struct json_object *p = json_object_new_object();
	struct json_object *resp = NULL, *cmd = NULL;
	char *token = NULL;
	int rc = 0;

	json_object_object_add(p, "CommandId", json_object_new_string(id));
	rc = ctx->host->aws_call(ctx->call, "ssm", "ListCommands", p, &resp);
	json_object_put(p);
	if (rc < 0)
		return -1;
	cmd = first_item(resp, "Commands");
	if (!cmd) {
		json_object_put(resp);
		return ctx->host->fail(ctx->call, "ssm:ListCommands does not list command '%s'", id);
	}
	rc = final_status(str_in(cmd, "Status"));
	json_object_put(resp);
	if (!rc)
		return 0;
	for (int page = 0; page < LIST_PAGES_MAX; page++) {
		struct json_object *list = NULL;

		p = json_object_new_object();
		json_object_object_add(p, "CommandId", json_object_new_string(id));
		json_object_object_add(p, "Details", json_object_new_boolean(1));
		if (token)
			json_object_object_add(p, "NextToken", json_object_new_string(token));
		rc = ctx->host->aws_call(ctx->call, "ssm", "ListCommandInvocations", p, &resp);
		json_object_put(p);
		free(token);
		token = NULL;
		if (rc < 0)
			return -1;
		list = get(resp, "CommandInvocations");
		if (!json_object_is_type(list, json_type_array))
			list = NULL;
		for (size_t i = 0; list && i < json_object_array_length(list); i++) {
			struct json_object *ci = json_object_array_get_idx(list, i);
			struct json_object *plugin = first_item(ci, "CommandPlugins");

			json_object_array_add(
			    invs,
			    invocation(str_in(ci, "InstanceId") ? str_in(ci, "InstanceId") : "",
				       str_in(ci, "Status"), str_in(ci, "StatusDetails"),
				       int_in(plugin, "ResponseCode", -1), str_in(plugin, "Output"),
				       NULL));
		}
		if (str_in(resp, "NextToken") && *str_in(resp, "NextToken"))
			token = irx_xstrdup(str_in(resp, "NextToken"));
		json_object_put(resp);
		if (!token)
			break;
	}
	free(token);
	return 1;
}

static void set_outputs(struct irx_result *res, const char *id, struct json_object *invs,
			const char *status)
{
	struct json_object *first = json_object_array_get_idx(invs, 0);

	json_object_object_add(res->outputs, "CommandId", json_object_new_string(id));
	json_object_object_add(res->outputs, "Status", json_object_new_string(status));
	json_object_object_add(res->outputs, "ResponseCode",
			       json_object_new_int(first ? int_in(first, "ResponseCode", -1) : -1));
	json_object_object_add(
	    res->outputs, "Output",
	    json_object_new_string(first && str_in(first, "StandardOutputContent")
				       ? str_in(first, "StandardOutputContent")
				       : ""));
	json_object_object_add(res->outputs, "Invocations", json_object_get(invs));
}

static void cancel_command(const struct irx_context *ctx, const char *id)
{
	struct json_object *p = json_object_new_object();
	struct json_object *resp = NULL;

	json_object_object_add(p, "CommandId", json_object_new_string(id));
	if (ctx->host->aws_call(ctx->call, "ssm", "CancelCommand", p, &resp) == 0)
		ctx->host->log(ctx->call, IRX_LOG_WARN, "cancelled command '%s'", id);
	else
		ctx->host->log(ctx->call, IRX_LOG_ERROR,
			       "could not cancel command '%s': it may still be running", id);
	json_object_put(resp);
	json_object_put(p);
}

/* Fails the step naming the first invocation that did not succeed. */
static int fail_invocations(const struct irx_context *ctx, const char *doc, const char *id,
			    struct json_object *invs)
{
	size_t n = json_object_array_length(invs), bad = 0;
	struct json_object *first = NULL;
	char err[512] = "";

	for (size_t i = 0; i < n; i++) {
		struct json_object *inv = json_object_array_get_idx(invs, i);

		if (strcmp(str_in(inv, "Status"), "Success") != 0) {
			bad++;
			if (!first)
				first = inv;
		}
	}
	if (!first)
		return ctx->host->fail(ctx->call, "command '%s' (%s) ran on no instance", id, doc);
	snprintf(err, sizeof(err), "%s", str_in(first, "StandardErrorContent"));
	/* the first line of the error output says enough; the journal keeps all of it */
	err[strcspn(err, "\n")] = '\0';
	return ctx->host->fail(ctx->call,
			       "command '%s' (%s) did not succeed on %zu of %zu instance%s: "
			       "'%s' %s (%s, response code %d)%s%s",
			       id, doc, bad, n, n == 1 ? "" : "s", str_in(first, "InstanceId"),
			       str_in(first, "Status"), str_in(first, "StatusDetails"),
			       int_in(first, "ResponseCode", -1), err[0] ? ": " : "", err);
}

/* Builds SendCommand's parameters. New object, or NULL with the step failed. */
static struct json_object *send_params(const struct irx_context *ctx, struct json_object *inputs)
{
	struct json_object *p = json_object_new_object();
	struct json_object *ids = get(inputs, "InstanceIds"), *targets = get(inputs, "Targets");
	char msg[256] = "";

	if ((!ids || json_object_array_length(ids) == 0) &&
	    (!targets || json_object_array_length(targets) == 0)) {
		json_object_put(p);
		ctx->host->fail(ctx->call, "aws:runCommand needs InstanceIds or Targets");
		return NULL;
	}
	if (ids && json_object_array_length(ids) > 0 && targets &&
	    json_object_array_length(targets) > 0) {
		json_object_put(p);
		ctx->host->fail(ctx->call, "aws:runCommand takes InstanceIds or Targets, not both");
		return NULL;
	}
	for (size_t k = 0; send_keys[k]; k++) {
		struct json_object *v = get(inputs, send_keys[k]);

		if (!v)
			continue;
		if (!strcmp(send_keys[k], "Parameters")) {
			v = parameters_map(v, msg, sizeof(msg));
			if (!v) {
				json_object_put(p);
				ctx->host->fail(ctx->call, "cannot send command '%s': %s",
						str_in(inputs, "DocumentName"), msg);
				return NULL;
			}
			json_object_object_add(p, send_keys[k], v);
		} else {
			json_object_object_add(p, send_keys[k], json_object_get(v));
		}
	}
	return p;
}

/* Waits for every invocation. Returns 0 when all succeeded, -1 with the step failed. */
static int wait_command(const struct irx_context *ctx, const char *doc, const char *id,
			struct json_object *inputs, struct irx_result *res)
{
	struct json_object *ids = get(inputs, "InstanceIds");
	struct json_object *invs = json_object_new_array();
	long long delay = POLL_FIRST_MS, reserve = CANCEL_RESERVE_MS;
	bool by_instance = ids && json_object_array_length(ids) > 0, last = false;
	int rc = -1;

	for (size_t i = 0; by_instance && i < json_object_array_length(ids); i++)
		json_object_array_add(
		    invs, invocation(json_object_get_string(json_object_array_get_idx(ids, i)),
				     "Pending", NULL, -1, NULL, NULL));
	if (ctx->deadline_ms) {
		long long budget = ctx->deadline_ms - irx_now_ms();

		if (budget / 4 < reserve)
			reserve = budget > 0 ? budget / 4 : 0;
	}
	for (;;) {
		int done = 0;

		if (by_instance) {
			done = poll_instances(ctx, id, invs);
		} else {
			json_object_put(invs);
			invs = json_object_new_array();
			done = poll_targets(ctx, id, invs);
		}
		if (done < 0)
			goto out;
		if (done) {
			bool ok = json_object_array_length(invs) > 0;

			for (size_t i = 0; ok && i < json_object_array_length(invs); i++)
				ok = !strcmp(str_in(json_object_array_get_idx(invs, i), "Status"),
					     "Success");
			set_outputs(res, id, invs, ok ? "Success" : "Failed");
			rc = ok ? 0 : fail_invocations(ctx, doc, id, invs);
			goto out;
		}
		set_outputs(res, id, invs, "InProgress");
		if (ctx->deadline_ms) {
			long long left = ctx->deadline_ms - reserve - irx_now_ms();

			if (last || left <= 0) {
				long long rest = ctx->deadline_ms - irx_now_ms();

				cancel_command(ctx, id);
				/* the host marks the step timed out once its deadline passed */
				ctx->host->sleep(ctx->call, rest > 0 ? rest + 1 : 1);
				ctx->host->fail(
				    ctx->call,
				    "timed out waiting for command '%s' (%s); cancelled it", id,
				    doc);
				goto out;
			}
			if (delay >= left) {
				delay = left;
				last = true;
			}
		}
		if (ctx->host->sleep(ctx->call, delay) < 0) {
			cancel_command(ctx, id);
			ctx->host->fail(ctx->call,
					"stopped waiting for command '%s' (%s): the step was "
					"cancelled or ran out of time",
					id, doc);
			goto out;
		}
		delay = delay * 2 > POLL_MAX_MS ? POLL_MAX_MS : delay * 2;
	}
out:
	json_object_put(invs);
	return rc;
}

int irx_builtin_run_command(const struct irx_context *ctx, struct json_object *inputs,
			    struct irx_result *result)
{
	const char *doc = str_in(inputs, "DocumentName");
	struct json_object *sp = NULL, *resp = NULL;
	const char *id = NULL;
	char where[1024] = "", *text = NULL;
	int rc = -1;

	if (!ctx->host->aws_call || !ctx->host->aws_call_expect)
		return ctx->host->fail(ctx->call,
				       "cannot send command '%s': no AWS client is configured",
				       doc ? doc : "");
	if (!doc || !*doc)
		return ctx->host->fail(ctx->call, "DocumentName must not be empty");
	sp = send_params(ctx, inputs);
	if (!sp)
		return -1;
	if (get(sp, "InstanceIds"))
		join(get(sp, "InstanceIds"), where, sizeof(where));
	else
		snprintf(
		    where, sizeof(where), "targets %s",
		    json_object_to_json_string_ext(get(sp, "Targets"), JSON_C_TO_STRING_PLAIN));
	if (ctx->host->aws_call(ctx->call, "ssm", "SendCommand", sp, &resp) < 0) {
		ctx->host->log(ctx->call, IRX_LOG_ERROR, "cannot send command '%s' to %s", doc,
			       where);
		goto out;
	}
	if (ctx->dry_run) {
		struct json_object *s = NULL;

		text = irx_xasprintf("would send command '%s' to %s and wait for it", doc, where);
		s = json_object_new_string(text);
		json_object_object_add(result->outputs, "CommandId",
				       json_object_new_string("(dry run: not sent)"));
		json_object_object_add(result->outputs, "Status",
				       json_object_new_string("NotSent"));
		json_object_object_add(result->outputs, "PlannedChange", s);
		result->message = json_object_get_string(s);
		rc = 0;
		goto out;
	}
	id = str_in(get(resp, "Command"), "CommandId");
	if (!id || !*id) {
		ctx->host->fail(ctx->call, "SendCommand of '%s' returned no CommandId", doc);
		goto out;
	}
	ctx->host->log(ctx->call, IRX_LOG_INFO, "sent command '%s' to %s: command '%s'", doc, where,
		       id);
	rc = wait_command(ctx, doc, id, inputs, result);
out:
	free(text);
	json_object_put(resp);
	json_object_put(sp);
	return rc;
}
