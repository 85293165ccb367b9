/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx rollback: undo what an execution changed, step by step in reverse, as an
 * execution of its own (core/rollback.h). Progress on stderr, the result on
 * stdout; exit 1 when anything could not be restored.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "actions.h"
#include "aws/client.h"
#include "cli.h"
#include "error.h"
#include "executor.h"
#include "host.h"
#include "journal.h"
#include "plugins.h"
#include "rollback.h"
#include "util.h"

struct rollback_options {
	struct irx_cli_common common;
	bool dry_run;
	struct irx_aws_cli_options aws;
	const char *execution_id;
};

static void usage(FILE *out)
{
	fputs(
	    "usage: irx rollback EXECUTION_ID [options]\n\n"
	    "Undoes what an execution changed: each step's undo record, newest first, through\n"
	    "its action's rollback. The rollback is an execution too ('irx show' it).\n\n"
	    "  -n, --dry-run               say what each rollback would do; change nothing\n"
	    "      --profile NAME          AWS profile (AWS_PROFILE; ~/.aws/credentials, config)\n"
	    "      --role-arn ARN          assume this role for every AWS call\n"
	    "      --external-id ID        ExternalId for --role-arn\n"
	    "      --state-dir DIR         where journals are (IRX_STATE_DIR, "
	    "$XDG_STATE_HOME/irx)\n"
	    "      --plugin-dir DIR        search DIR for plugins first (repeatable)\n"
	    "  -o, --output text|json      result format on stdout\n",
	    out);
}

static int parse_args(int argc, char **argv, struct rollback_options *o)
{
	enum { OPT_STATE = 256, OPT_PLUGIN, OPT_PROFILE, OPT_ROLE, OPT_EXTERNAL_ID };
	static const struct option opts[] = {
	    {"dry-run", no_argument, NULL, 'n'},
	    {"profile", required_argument, NULL, OPT_PROFILE},
	    {"role-arn", required_argument, NULL, OPT_ROLE},
	    {"external-id", required_argument, NULL, OPT_EXTERNAL_ID},
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"plugin-dir", required_argument, NULL, OPT_PLUGIN},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "no:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->dry_run = true;
			break;
		case OPT_PROFILE:
			o->aws.profile = optarg;
			break;
		case OPT_ROLE:
			o->aws.role_arn = optarg;
			break;
		case OPT_EXTERNAL_ID:
			o->aws.external_id = optarg;
			break;
		case OPT_STATE:
			o->common.state_dir = optarg;
			break;
		case OPT_PLUGIN:
			if (irx_cli_add_plugin_dir(&o->common, "rollback", optarg) < 0)
				return -1;
			break;
		case 'o':
			if (irx_cli_parse_output(optarg, &o->common.json) < 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		irx_cli_error("rollback", "no execution named; see 'irx executions'");
		return -1;
	}
	if (optind + 1 < argc) {
		irx_cli_error("rollback", "unexpected argument '%s'", argv[optind + 1]);
		return -1;
	}
	o->execution_id = argv[optind];
	return 0;
}

/* The original execution's region (its AWS calls ran there), or "". */
static char *original_region(const char *state_dir, const char *id)
{
	struct irx_error err = {0};
	struct json_object *recs = irx_journal_read(state_dir, id, NULL, &err);
	struct json_object *v = NULL;
	char *region = NULL;

	if (recs && json_object_object_get_ex(json_object_array_get_idx(recs, 0), "region", &v) &&
	    json_object_is_type(v, json_type_string))
		region = irx_xstrdup(json_object_get_string(v));
	json_object_put(recs);
	return region ? region : irx_xstrdup("");
}

static void print_text(const struct irx_rollback_result *res, const char *parent)
{
	printf("%s\t%s\trollback of %s%s%s\n", res->execution_id, res->status, parent,
	       res->failure_message[0] ? "\t" : "", res->failure_message);
	for (size_t i = 0; i < json_object_array_length(res->steps); i++) {
		struct json_object *s = json_object_array_get_idx(res->steps, i);
		const char *status =
		    json_object_get_string(json_object_object_get(s, "StepStatus"));
		const char *msg = json_object_get_string(json_object_object_get(s, "Message"));

		if (strcmp(status, "Success") == 0)
			continue;
		printf("  not restored: step '%s' (%s): %s\n",
		       json_object_get_string(json_object_object_get(s, "RolledBackStep")),
		       json_object_get_string(json_object_object_get(s, "Action")),
		       msg ? msg : status);
	}
	if (json_object_array_length(res->steps) == 0)
		printf("  nothing to roll back: no step recorded a change\n");
}

int irx_cmd_rollback(int argc, char **argv)
{
	struct rollback_options o = {0};
	struct irx_rollback_options ro = {0};
	struct irx_rollback_result res = {0};
	struct irx_exec_options eo = {0};
	struct irx_error err = {0};
	bool tty = irx_cli_progress_tty();
	const char *dirs[64];
	char *dir_store = NULL, *state_dir = NULL, *region = NULL;
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	struct irx_aws_client *aws = NULL;
	size_t ndirs = 0;
	int rc = parse_args(argc, argv, &o);

	if (rc != 0)
		return rc > 0 ? IRX_EXIT_OK : IRX_EXIT_INVALID;
	state_dir = irx_state_dir_resolve(o.common.state_dir);
	if (!state_dir) {
		irx_cli_error("rollback", "no state directory: set --state-dir or IRX_STATE_DIR");
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	ndirs = irx_cli_plugin_path(&o.common, dirs, 64, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(false));
	actions = irx_actions_new(plugins);

	/* The AWS client: in the original's region; nothing is sent until a plugin calls. */
	region = irx_execution_id_valid(o.execution_id) ? original_region(state_dir, o.execution_id)
							: irx_xstrdup("");
	eo.region = region;
	eo.dry_run = o.dry_run;
	o.aws.region = *region ? region : NULL;
	o.aws.session_name = "irx-rollback";
	if (irx_aws_setup_exec(&eo, &o.aws, &aws, &err) < 0) {
		irx_cli_error("rollback", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	ro.state_dir = state_dir;
	ro.dry_run = o.dry_run;
	ro.actions = actions;
	ro.progress = irx_cli_progress;
	ro.progress_ud = &tty;
	ro.aws_call = eo.aws_call;
	ro.aws_call_many = eo.aws_call_many;
	ro.aws_call_in = eo.aws_call_in;
	ro.aws_ud = eo.aws_ud;
	fprintf(stderr, "irx: rolling back %s%s\n", o.execution_id,
		o.dry_run ? " (dry run: nothing will change)" : "");
	if (irx_rollback(o.execution_id, &ro, &res, &err) < 0) {
		irx_cli_error("rollback", "%s", err.message);
		rc = err.code == IRX_ERR_NOT_FOUND ? IRX_EXIT_NOT_FOUND
		     : err.code == IRX_ERR_INVALID ? IRX_EXIT_INVALID
						   : IRX_EXIT_INTERNAL;
		goto out;
	}
	rc = strcmp(res.status, "Success") == 0 ? IRX_EXIT_OK : IRX_EXIT_FAILED;
	if (o.common.json) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "AutomationExecutionId",
				       json_object_new_string(res.execution_id));
		json_object_object_add(r, "ParentAutomationExecutionId",
				       json_object_new_string(o.execution_id));
		json_object_object_add(r, "Operation", json_object_new_string("Rollback"));
		json_object_object_add(r, "AutomationExecutionStatus",
				       json_object_new_string(res.status));
		json_object_object_add(r, "DryRun", json_object_new_boolean(o.dry_run));
		json_object_object_add(r, "StepExecutions", json_object_get(res.steps));
		if (json_object_array_length(res.previous_rollbacks))
			json_object_object_add(r, "PreviousRollbacks",
					       json_object_get(res.previous_rollbacks));
		if (res.failure_message[0])
			json_object_object_add(r, "FailureMessage",
					       json_object_new_string(res.failure_message));
		printf("%s\n", json_object_to_json_string_ext(
				   r, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
	} else {
		print_text(&res, o.execution_id);
	}
	fprintf(stderr, "irx: rollback %s %s; 'irx show %s' for details\n", res.execution_id,
		res.status, res.execution_id);
out:
	irx_rollback_result_release(&res);
	irx_aws_client_free(aws);
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	free(region);
	free(state_dir);
	free(dir_store);
	return rc;
}
