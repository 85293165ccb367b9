/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A well-formed test plugin. init and fini append "init"/"fini" lines to the
 * file named by $IRX_TEST_GOOD_LOG (when set) so a test can count them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irx/plugin.h"

struct good_data {
	int calls;
};

static void note(const char *what)
{
	const char *log = getenv("IRX_TEST_GOOD_LOG");
	FILE *f = NULL;

	if (!log || !*log)
		return;
	f = fopen(log, "a");
	if (!f)
		return;
	fprintf(f, "%s\n", what);
	fclose(f);
}

static int good_init(const struct irx_host *host, void **data)
{
	struct good_data *d = NULL;

	if (!host || host->abi_major != IRX_PLUGIN_ABI_MAJOR)
		return -1;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	*data = d;
	note("init");
	return 0;
}

static void good_fini(void *data)
{
	free(data);
	note("fini");
}

static int good_echo(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	struct good_data *d = ctx->plugin_data;
	struct json_object *msg = json_object_object_get(inputs, "Message");

	if (!msg)
		return ctx->host->fail(ctx->call, "good:echo needs a Message");
	d->calls++;
	json_object_object_add(res->outputs, "Echo", json_object_get(msg));
	json_object_object_add(res->outputs, "Calls", json_object_new_int(d->calls));
	return 0;
}

static const struct irx_param echo_params[] = {
    {"Message", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "what to echo"},
    {"Token", IRX_PARAM_STRING, IRX_PARAM_SECRET, NULL, "a secret that is never echoed"},
    {"Count", IRX_PARAM_INTEGER, 0, "1", "how many times"},
    {0},
};

static const struct irx_action good_actions[] = {
    {"echo", "echo the message back", IRX_ACTION_IDEMPOTENT, echo_params, good_echo, NULL},
    {0},
};

IRX_PLUGIN_DEFINE("good", "1.2.3", "Apache-2.0", good_actions, good_init, good_fini)
