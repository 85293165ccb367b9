/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testkit: a plugin the executor tests drive. Built as tests/plugins/testkit.so
 * and also compiled into the unit tests (#define IRX_PLUGIN_STATIC testkit).
 *
 *   echo    copies its inputs to its outputs (plus a nested map to select from)
 *   fail    fails with Message
 *   silent  returns -1 without calling host->fail
 *   flaky   fails Failures times per Key, then succeeds; counts in plugin_data
 *   slow    sleeps Millis ms of real time, ignoring its deadline
 *   undo    mutates: records an undo record; in dry-run only says what it would do
 *   secret  takes a secret Token; echoes and logs it (the host must redact it)
 *   calls   reports whether the host lent it an AWS call
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "irx/plugin.h"

struct tk_state {
	struct json_object *counters; /* {Key: failures so far} */
	int inits;
};

static int tk_init(const struct irx_host *host, void **data)
{
	struct tk_state *t = calloc(1, sizeof(*t));

	(void)host;
	if (!t)
		return -1;
	t->counters = json_object_new_object();
	t->inits = 1;
	*data = t;
	return 0;
}

static void tk_fini(void *data)
{
	struct tk_state *t = data;

	if (!t)
		return;
	json_object_put(t->counters);
	free(t);
}

static const struct irx_param tk_echo_params[] = {
    {"Message", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "text to echo"},
    {"Count", IRX_PARAM_INTEGER, 0, "1", "a number"},
    {"Items", IRX_PARAM_STRING_LIST, 0, NULL, "a list"},
    {"Flag", IRX_PARAM_BOOLEAN, 0, "false", "a boolean"},
    {"Map", IRX_PARAM_STRING_MAP, 0, NULL, "a map"},
    {"Maps", IRX_PARAM_MAP_LIST, 0, NULL, "a list of maps"},
    {0},
};

static int tk_echo(const struct irx_context *ctx, struct json_object *inputs,
		   struct irx_result *res)
{
	struct json_object *nested = json_object_new_object();
	struct json_object *list = json_object_new_array();

	(void)ctx;
	json_object_object_foreach(inputs, key, val)
	    json_object_object_add(res->outputs, key, json_object_get(val));
	json_object_array_add(list, json_object_new_string("first"));
	json_object_array_add(list, json_object_new_string("second"));
	json_object_object_add(nested, "List", list);
	json_object_object_add(nested, "Number", json_object_new_double(42.0));
	json_object_object_add(nested, "Fraction", json_object_new_double(2.5));
	json_object_object_add(res->outputs, "Nested", nested);
	res->message = "echoed";
	return 0;
}

static const struct irx_param tk_fail_params[] = {
    {"Message", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "why it fails"},
    {0},
};

static int tk_fail(const struct irx_context *ctx, struct json_object *inputs,
		   struct irx_result *res)
{
	(void)res;
	return ctx->host->fail(ctx->call, "%s",
			       json_object_get_string(json_object_object_get(inputs, "Message")));
}

static const struct irx_param tk_none_params[] = {{0}};

static int tk_silent(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	(void)ctx;
	(void)inputs;
	(void)res;
	return -1;
}

static const struct irx_param tk_flaky_params[] = {
    {"Key", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "which counter"},
    {"Failures", IRX_PARAM_INTEGER, IRX_PARAM_REQUIRED, NULL, "how many times to fail first"},
    {0},
};

static int tk_flaky(const struct irx_context *ctx, struct json_object *inputs,
		    struct irx_result *res)
{
	struct tk_state *t = ctx->plugin_data;
	const char *key = json_object_get_string(json_object_object_get(inputs, "Key"));
	int64_t want = json_object_get_int64(json_object_object_get(inputs, "Failures"));
	struct json_object *c = json_object_object_get(t->counters, key);
	int64_t so_far = c ? json_object_get_int64(c) : 0;

	if (so_far < want) {
		json_object_object_add(t->counters, key, json_object_new_int64(so_far + 1));
		return ctx->host->fail(ctx->call, "flaky failure %lld of %lld",
				       (long long)so_far + 1, (long long)want);
	}
	json_object_object_add(res->outputs, "Attempts", json_object_new_int64(so_far + 1));
	return 0;
}

static const struct irx_param tk_slow_params[] = {
    {"Millis", IRX_PARAM_INTEGER, IRX_PARAM_REQUIRED, NULL, "how long to take"},
    {0},
};

static int tk_slow(const struct irx_context *ctx, struct json_object *inputs,
		   struct irx_result *res)
{
	int64_t ms = json_object_get_int64(json_object_object_get(inputs, "Millis"));
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	(void)ctx;
	nanosleep(&ts, NULL);
	json_object_object_add(res->outputs, "Done", json_object_new_boolean(1));
	return 0;
}

static const struct irx_param tk_undo_params[] = {
    {"Resource", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "what to change"},
    {0},
};

static int tk_undo(const struct irx_context *ctx, struct json_object *inputs,
		   struct irx_result *res)
{
	struct json_object *r = json_object_object_get(inputs, "Resource");

	if (ctx->dry_run) {
		json_object_object_add(res->outputs, "Planned", json_object_new_boolean(1));
		res->message = "would change the resource";
		return 0;
	}
	json_object_object_add(res->undo, "Resource", json_object_get(r));
	json_object_object_add(res->undo, "Previous", json_object_new_string("open"));
	json_object_object_add(res->outputs, "Changed", json_object_new_boolean(1));
	return 0;
}

static int tk_undo_rollback(const struct irx_context *ctx, struct json_object *record,
			    struct irx_result *res)
{
	(void)ctx;
	json_object_object_add(res->outputs, "Restored",
			       json_object_get(json_object_object_get(record, "Previous")));
	return 0;
}

static const struct irx_param tk_secret_params[] = {
    {"Token", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_SECRET, NULL, "a credential"},
    {"User", IRX_PARAM_STRING, 0, "nobody", "who uses it"},
    {"Fail", IRX_PARAM_BOOLEAN, 0, "false", "fail, naming the token"},
    {0},
};

static int tk_secret(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	const char *tok = json_object_get_string(json_object_object_get(inputs, "Token"));
	char buf[256];

	ctx->host->log(ctx->call, IRX_LOG_INFO, "using token %s", tok);
	if (json_object_get_boolean(json_object_object_get(inputs, "Fail")))
		return ctx->host->fail(ctx->call, "token %s was refused", tok);
	snprintf(buf, sizeof(buf), "token is %s", tok);
	json_object_object_add(res->outputs, "Echo", json_object_new_string(buf));
	json_object_object_add(res->outputs, "User",
			       json_object_get(json_object_object_get(inputs, "User")));
	return 0;
}

static int tk_calls(const struct irx_context *ctx, struct json_object *inputs,
		    struct irx_result *res)
{
	struct json_object *resp = NULL;

	(void)inputs;
	json_object_object_add(res->outputs, "HasAws",
			       json_object_new_boolean(ctx->host->aws_call != NULL));
	if (!ctx->host->aws_call)
		return 0;
	if (ctx->host->aws_call(ctx->call, "sts", "GetCallerIdentity", NULL, &resp) < 0)
		return -1;
	json_object_object_add(res->outputs, "Response", resp);
	return 0;
}

static const struct irx_action tk_actions[] = {
    {"echo", "copy inputs to outputs", IRX_ACTION_IDEMPOTENT, tk_echo_params, tk_echo, NULL},
    {"fail", "fail with a message", 0, tk_fail_params, tk_fail, NULL},
    {"silent", "fail without a message", 0, tk_none_params, tk_silent, NULL},
    {"flaky", "fail N times, then succeed", 0, tk_flaky_params, tk_flaky, NULL},
    {"slow", "take a while", 0, tk_slow_params, tk_slow, NULL},
    {"undo", "change something, recording how to undo it", IRX_ACTION_MUTATES, tk_undo_params,
     tk_undo, tk_undo_rollback},
    {"secret", "use a secret", 0, tk_secret_params, tk_secret, NULL},
    {"calls", "report the host's AWS call", 0, tk_none_params, tk_calls, NULL},
    {0},
};

IRX_PLUGIN_DEFINE("testkit", "1.0.0", "Apache-2.0", tk_actions, tk_init, tk_fini)
