/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws:executeAwsApi, aws:waitForAwsResourceProperty and aws:assertAwsResourceProperty, as SSM
 * Automation documents them:
 * - Service is the boto3 client name ("ec2", "elbv2", ...), Api the operation ("DescribeInstances"
 *   or boto3's "describe_instances"); every other input except PropertySelector and
 *   DesiredValues is a parameter of the API. The API's response object is the step's action
 *   output, so output Selectors such as $.Reservations[0].Instances[0].InstanceId apply to it.
 * - PropertySelector is a JSONPath into the response; the property matches when its value,
 *   as text, is one of DesiredValues. Booleans are "True"/"False" as SSM writes them (compared
 *   case-insensitively), numbers their JSON text. A selector that yields a list (a wildcard, or
 *   a list-valued property) matches when the list is non-empty and every element does.
 * - aws:waitForAwsResourceProperty polls until the property matches, with a backoff of 1 s
 *   doubling to 30 s, until the step's timeoutSeconds or, without one, SSM's default of
 *   3600 seconds. An API error fails the step (the client has already retried throttling).
 * - aws:assertAwsResourceProperty calls once and fails naming the actual value and the desired
 *   ones.
 * - Dry-run: the host records mutating APIs instead of sending them. A wait whose property does
 *   not match yet does not wait (the changes it waits for were not made), and an assertion that
 *   does not hold is logged as a warning: the plan goes on and says so.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "builtins.h"
#include "error.h"
#include "host.h"
#include "selector.h"
#include "util.h"

#define WAIT_DEFAULT_MS (3600LL * 1000) /* SSM: "The default timeout value ... is 3600 seconds" */
#define WAIT_FIRST_MS 1000LL
#define WAIT_MAX_MS 30000LL

/* The API's parameters: every input but the action's own. New object. */
static struct json_object *api_params(struct json_object *inputs)
{
	struct json_object *p = json_object_new_object();

	json_object_object_foreach(inputs, key, val)
	{
		if (!strcmp(key, "Service") || !strcmp(key, "Api") ||
		    !strcmp(key, "PropertySelector") || !strcmp(key, "DesiredValues"))
			continue;
		json_object_object_add(p, key, json_object_get(val));
	}
	return p;
}

static const char *input_str(struct json_object *inputs, const char *key)
{
	struct json_object *v = json_object_object_get(inputs, key);

	return v ? json_object_get_string(v) : "";
}

/* Calls the step's API. Returns 0 with *resp (transferred) or -1 with the step failed. */
static int call_api(const struct irx_context *ctx, struct json_object *inputs,
		    struct json_object **resp)
{
	struct json_object *params = NULL;
	int rc = 0;

	*resp = NULL;
	if (!ctx->host->aws_call)
		return ctx->host->fail(ctx->call, "cannot call %s:%s: no AWS client is configured",
				       input_str(inputs, "Service"), input_str(inputs, "Api"));
	params = api_params(inputs);
	rc = ctx->host->aws_call(ctx->call, input_str(inputs, "Service"), input_str(inputs, "Api"),
				 params, resp);
	json_object_put(params);
	if (rc < 0) {
		*resp = NULL;
		return -1;
	}
	if (!*resp)
		*resp = json_object_new_object();
	return 0;
}

static void set_outputs(struct irx_result *result, struct json_object *resp)
{
	json_object_object_foreach(resp, key, val)
	    json_object_object_add(result->outputs, key, json_object_get(val));
}

int irx_builtin_execute_aws_api(const struct irx_context *ctx, struct json_object *inputs,
				struct irx_result *result)
{
	struct json_object *resp = NULL;

	if (call_api(ctx, inputs, &resp) < 0)
		return -1;
	set_outputs(result, resp);
	json_object_put(resp);
	return 0;
}

/* ---- property matching ------------------------------------------------------------------ */

/* A value as SSM compares it with DesiredValues. */
static void value_text(struct json_object *v, char *buf, size_t len)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		snprintf(buf, len, "null");
		break;
	case json_type_boolean:
		snprintf(buf, len, "%s", json_object_get_boolean(v) ? "True" : "False");
		break;
	case json_type_string:
		snprintf(buf, len, "%s", json_object_get_string(v));
		break;
	default:
		snprintf(buf, len, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	}
}

static bool desired(struct json_object *v, struct json_object *want)
{
	char text[1024] = "";
	bool boolean = json_object_is_type(v, json_type_boolean);

	value_text(v, text, sizeof(text));
	for (size_t i = 0; i < json_object_array_length(want); i++) {
		const char *w = json_object_get_string(json_object_array_get_idx(want, i));

		if (w && (boolean ? strcasecmp(w, text) == 0 : strcmp(w, text) == 0))
			return true;
	}
	return false;
}

/* 1 when the selected value matches, 0 when not; the value's text in shown (builtins.h). */
int irx_aws_property_matches(struct json_object *resp, const char *sel, struct json_object *want,
			    char *shown, size_t len)
{
	struct irx_error err = {0};
	struct json_object *v = irx_selector_select(resp, sel, &err);
	int ok = 0;

	if (!v) {
		snprintf(shown, len, "not in the response");
		return 0;
	}
	if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);

		ok = n > 0;
		for (size_t i = 0; i < n && ok; i++)
			ok = desired(json_object_array_get_idx(v, i), want);
		snprintf(shown, len, "%s",
			 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	} else {
		char text[1024] = "";

		ok = desired(v, want);
		value_text(v, text, sizeof(text));
		snprintf(shown, len, "'%s'", text);
	}
	json_object_put(v);
	return ok;
}

/* "a, b, c" */
static void desired_text(struct json_object *want, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(want) && o + 1 < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				 json_object_get_string(json_object_array_get_idx(want, i)));

		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* Checks PropertySelector and DesiredValues. Returns 0 or -1 with the step failed. */
static int check_property_inputs(const struct irx_context *ctx, struct json_object *inputs)
{
	const char *sel = input_str(inputs, "PropertySelector");
	struct json_object *want = json_object_object_get(inputs, "DesiredValues");
	char msg[256] = "";
	size_t off = 0;

	if (irx_selector_check(sel, msg, sizeof(msg), &off) < 0)
		return ctx->host->fail(ctx->call, "invalid PropertySelector '%s': %s", sel, msg);
	if (!json_object_is_type(want, json_type_array) || json_object_array_length(want) == 0)
		return ctx->host->fail(ctx->call, "DesiredValues must list at least one value");
	return 0;
}

int irx_builtin_assert_aws_resource_property(const struct irx_context *ctx,
					     struct json_object *inputs, struct irx_result *result)
{
	const char *sel = input_str(inputs, "PropertySelector");
	struct json_object *want = json_object_object_get(inputs, "DesiredValues");
	struct json_object *resp = NULL;
	char shown[1024] = "", wanted[1024] = "";
	int rc = -1;

	if (check_property_inputs(ctx, inputs) < 0 || call_api(ctx, inputs, &resp) < 0)
		return -1;
	desired_text(want, wanted, sizeof(wanted));
	if (irx_aws_property_matches(resp, sel, want, shown, sizeof(shown))) {
		set_outputs(result, resp);
		rc = 0;
	} else if (ctx->dry_run) {
		ctx->host->log(ctx->call, IRX_LOG_WARN,
			       "dry run: the assertion does not hold now: %s is %s, expected one "
			       "of: %s",
			       sel, shown, wanted);
		result->message = "dry run: the assertion does not hold now (see the log)";
		set_outputs(result, resp);
		rc = 0;
	} else {
		ctx->host->fail(ctx->call, "%s is %s, expected one of: %s", sel, shown, wanted);
	}
	json_object_put(resp);
	return rc;
}

int irx_builtin_wait_for_aws_resource_property(const struct irx_context *ctx,
					       struct json_object *inputs,
					       struct irx_result *result)
{
	const char *sel = input_str(inputs, "PropertySelector");
	struct json_object *want = json_object_object_get(inputs, "DesiredValues");
	struct irx_call *call = ctx->call;
	long long deadline = ctx->deadline_ms ? ctx->deadline_ms : irx_now_ms() + WAIT_DEFAULT_MS;
	long long delay = WAIT_FIRST_MS;
	char shown[1024] = "", wanted[1024] = "";
	int polls = 0;

	if (check_property_inputs(ctx, inputs) < 0)
		return -1;
	desired_text(want, wanted, sizeof(wanted));
	for (;;) {
		struct json_object *resp = NULL;
		long long now = 0;

		if (call_api(ctx, inputs, &resp) < 0)
			return -1;
		polls++;
		if (irx_aws_property_matches(resp, sel, want, shown, sizeof(shown))) {
			set_outputs(result, resp);
			json_object_put(resp);
			return 0;
		}
		if (ctx->dry_run) {
			ctx->host->log(call, IRX_LOG_INFO,
				       "dry run: would wait for %s to be one of: %s (now %s)", sel,
				       wanted, shown);
			result->message = "dry run: not waiting";
			set_outputs(result, resp);
			json_object_put(resp);
			return 0;
		}
		json_object_put(resp);
		ctx->host->log(call, IRX_LOG_DEBUG, "%s is %s; polling again in %lld ms", sel,
			       shown, delay);
		now = irx_now_ms();
		if (now + delay >= deadline) {
			irx_call_sleep(call, deadline - now);
			if (irx_call_cancelled(call))
				return ctx->host->fail(call, "cancelled while waiting");
			if (ctx->deadline_ms)
				call->timed_out = true;
			return ctx->host->fail(call,
					       "timed out after %d call%s waiting for %s to be one "
					       "of: %s (last value %s)",
					       polls, polls == 1 ? "" : "s", sel, wanted, shown);
		}
		irx_call_sleep(call, delay);
		if (irx_call_cancelled(call))
			return ctx->host->fail(call, "cancelled while waiting");
		delay = delay * 2 > WAIT_MAX_MS ? WAIT_MAX_MS : delay * 2;
	}
}
