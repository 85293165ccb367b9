/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx lambda-runtime (and irx started as "bootstrap"): a Lambda custom runtime. Each
 * invocation's payload is an event (SNS -> Lambda Records[].Sns, EventBridge, any form
 * `irx run --event` reads), routed and run in process (core/event_run.c); the answer is the
 * executions. The deployment package (make lambda-zip) holds this binary as bootstrap, and
 * plugins/ and runbooks/ beside it, in LAMBDA_TASK_ROOT (the working directory).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "cli.h"
#include "config.h"
#include "diag.h"
#include "event_run.h"
#include "events.h"
#include "host.h"
#include "journal.h"
#include "lambda_runtime.h"
#include "plugins.h"
#include "util.h"

struct lambda_ctx {
	struct irx_config *cfg;
	struct irx_actions *actions;
	const char *state_dir;
};

static void log_line(void *ud, const char *line)
{
	(void)ud;
	/* stderr goes to CloudWatch Logs */
	fprintf(stderr, "irx: %s\n", line);
}

static int handle(void *ud, const struct irx_lambda_invocation *inv, struct json_object **response,
		  const char **error_type, struct irx_error *err)
{
	struct lambda_ctx *l = ud;
	struct irx_event_run_options ro = {0};
	struct irx_event_run_result res = {0};
	struct irx_event *ev = irx_event_parse(inv->body, inv->len, l->cfg, err);
	struct json_object *r = NULL;
	int rc = -1;

	fprintf(stderr, "irx: invocation %s\n", inv->request_id);
	if (!ev) {
		*error_type = "InvalidEvent";
		return -1;
	}
	ro.state_dir = l->state_dir;
	ro.aws.region = l->cfg->default_region;
	ro.log = log_line;
	if (irx_event_run(l->cfg, ev, l->actions, &ro, &res, err) < 0) {
		*error_type = "DedupeStoreError";
		goto out;
	}
	if (res.unrecorded > 0) {
		/* an error makes Lambda retry the asynchronous invocation */
		irx_error_set(err, IRX_ERR_IO, "%zu execution(s) could not run or be journaled: %s",
			      res.unrecorded,
			      json_object_to_json_string_ext(res.targets,
							     JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		*error_type = "ExecutionNotRecorded";
		goto out;
	}
	r = json_object_new_object();
	json_object_object_add(r, "executed", json_object_new_int64((int64_t)res.executed));
	json_object_object_add(r, "failed", json_object_new_int64((int64_t)res.failed));
	json_object_object_add(r, "skipped", json_object_new_int64((int64_t)res.skipped));
	json_object_object_add(r, "targets", json_object_get(res.targets));
	*response = r;
	rc = 0;
out:
	irx_event_run_result_release(&res);
	irx_event_free(ev);
	return rc;
}

int irx_cmd_lambda_runtime(int argc, char **argv)
{
	struct irx_lambda_runtime_options lo = {0};
	struct irx_cli_common common = {0};
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct lambda_ctx l = {0};
	struct irx_plugins *plugins = NULL;
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	const char *root = getenv("LAMBDA_TASK_ROOT");
	const char *dirs[64];
	char *dir_store = NULL, *state_dir = NULL, *task_plugins = NULL;
	size_t ndirs = 0;
	int rc = IRX_EXIT_INVALID;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("usage: irx lambda-runtime\n\n"
		     "The Lambda custom runtime (also when irx runs as 'bootstrap'): serves\n"
		     "invocations from AWS_LAMBDA_RUNTIME_API, each payload an event run as\n"
		     "'irx run --event' would. Configuration: IRX_CONFIG or irx.yaml in the task\n"
		     "root; journals in IRX_STATE_DIR (default /tmp/irx).");
		return IRX_EXIT_OK;
	}
	if (argc > 1) {
		irx_cli_error("lambda-runtime", "unexpected argument '%s'", argv[1]);
		return IRX_EXIT_INVALID;
	}
	if (!api || !*api) {
		irx_cli_error("lambda-runtime", "AWS_LAMBDA_RUNTIME_API is not set (this runs "
						"inside AWS Lambda or a Runtime API emulator)");
		return IRX_EXIT_INVALID;
	}
	if (!(l.cfg = irx_config_open(NULL, &diags))) {
		irx_diags_print(&diags, stderr);
		irx_lambda_init_error(
		    api, "InvalidConfiguration",
		    diags.count ? diags.items[0].message : "the configuration is not valid", &err);
		goto out;
	}
	/* the only writable place in Lambda is /tmp */
	state_dir = irx_state_dir_resolve(getenv("IRX_STATE_DIR") ? NULL
					  : l.cfg->state_dir	  ? l.cfg->state_dir
								  : "/tmp/irx");
	if (root && *root) {
		task_plugins = irx_xasprintf("%s/plugins", root);
		common.plugin_dirs[common.plugin_dir_count++] = task_plugins;
	}
	ndirs = irx_cli_plugin_path(&common, dirs, 64, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(true));
	l.actions = irx_actions_new(plugins);
	l.state_dir = state_dir;
	lo.api = api;
	lo.handler = handle;
	lo.ud = &l;
	{
		const char *max = getenv("IRX_LAMBDA_MAX_INVOCATIONS"); /* tests and emulators */

		lo.max_invocations = max ? (size_t)strtoul(max, NULL, 10) : 0;
	}
	if (irx_lambda_runtime_run(&lo, &err) < 0) {
		irx_cli_error("lambda-runtime", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	rc = IRX_EXIT_OK;
out:
	irx_actions_free(l.actions);
	irx_plugins_free(plugins);
	irx_config_free(l.cfg);
	irx_diags_release(&diags);
	free(state_dir);
	free(dir_store);
	free(task_plugins);
	return rc;
}
