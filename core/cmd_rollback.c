/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx rollback: undo what an execution changed, step by step in reverse, as an
 * execution of its own (core/rollback.h); or every execution of a fleet
 * (core/fleet_rollback.h). Progress on stderr, the result on stdout; exit 1
 * when anything could not be restored.
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
#include "config.h"
#include "diag.h"
#include "error.h"
#include "executor.h"
#include "fleet.h"
#include "fleet_journal.h"
#include "fleet_rollback.h"
#include "host.h"
#include "journal.h"
#include "plugins.h"
#include "rollback.h"
#include "util.h"

struct rollback_options {
	struct irx_cli_common common;
	bool dry_run;
	struct irx_aws_cli_options aws;
	const char *config;
	unsigned concurrency, per_account, per_region;
	const char *execution_id;
};

static void usage(FILE *out)
{
	fputs(
	    "usage: irx rollback EXECUTION_ID|FLEET_ID [options]\n\n"
	    "Undoes what an execution changed: each step's undo record, newest first, through\n"
	    "its action's rollback. The rollback is an execution too ('irx show' it).\n\n"
	    "With a fleet id (fleet-..., printed by 'irx run --targets'), rolls back every\n"
	    "execution of the fleet that changed something, each as its own rollback, within the\n"
	    "fleet's concurrency bounds and reaching each account as the fleet did (its\n"
	    "--role-arn, else the configuration's role); executions already rolled back are\n"
	    "left alone ('irx rollback EXECUTION_ID' rolls one back again). A killed fleet can\n"
	    "be rolled back; a running one cannot. Then one summary; 'irx show FLEET_ID' says\n"
	    "it was rolled back.\n\n"
	    "  -n, --dry-run               say what each rollback would do; change nothing\n"
	    "  -c, --config FILE           the configuration: the accounts' roles (a fleet)\n"
	    "      --profile NAME          AWS profile (AWS_PROFILE; ~/.aws/credentials, config)\n"
	    "      --role-arn ARN          assume this role for every AWS call\n"
	    "      --external-id ID        ExternalId for --role-arn (a fleet's again: its "
	    "journal\n"
	    "                              does not keep it)\n"
	    "      --concurrency N         rollbacks at once in a fleet (default: the fleet's)\n"
	    "      --per-account N         ... of them in one account (default: the fleet's)\n"
	    "      --per-region N          ... of them in one region (default: the fleet's)\n"
	    "      --state-dir DIR         where journals are (IRX_STATE_DIR, "
	    "$XDG_STATE_HOME/irx)\n"
	    "      --plugin-dir DIR        search DIR for plugins first (repeatable)\n"
	    "  -o, --output text|json      result format on stdout\n",
	    out);
}

static int parse_args(int argc, char **argv, struct rollback_options *o)
{
	enum {
		OPT_STATE = 256,
		OPT_PLUGIN,
		OPT_PROFILE,
		OPT_ROLE,
		OPT_EXTERNAL_ID,
		OPT_CONCURRENCY,
		OPT_PER_ACCOUNT,
		OPT_PER_REGION
	};
	static const struct option opts[] = {
	    {"dry-run", no_argument, NULL, 'n'},
	    {"config", required_argument, NULL, 'c'},
	    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
	    {"per-account", required_argument, NULL, OPT_PER_ACCOUNT},
	    {"per-region", required_argument, NULL, OPT_PER_REGION},
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
	while ((c = getopt_long(argc, argv, "nc:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->dry_run = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case OPT_CONCURRENCY:
			if (irx_cli_parse_bound("rollback", "concurrency", optarg, &o->concurrency) < 0)
				return -1;
			break;
		case OPT_PER_ACCOUNT:
			if (irx_cli_parse_bound("rollback", "per-account", optarg, &o->per_account) < 0)
				return -1;
			break;
		case OPT_PER_REGION:
			if (irx_cli_parse_bound("rollback", "per-region", optarg, &o->per_region) < 0)
				return -1;
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
	if (strncmp(o->execution_id, IRX_FLEET_ID_PREFIX, strlen(IRX_FLEET_ID_PREFIX)) != 0 &&
	    (o->config || o->concurrency || o->per_account || o->per_region)) {
		irx_cli_error("rollback", "--config, --concurrency, --per-account and --per-region "
					  "are for a fleet (FLEET_ID)");
		return -1;
	}
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

/* ---- fleets ---------------------------------------------------------------------------------- */

static void fleet_begin(void *ud, const struct irx_fleet_rb_item *items, size_t count,
			bool interrupted, size_t to_roll_back)
{
	const struct rollback_options *o = ud;
	size_t ni = 0;

	for (size_t i = 0; i < count; i++)
		ni += items[i].interrupted;
	fprintf(stderr, "irx: rolling back fleet %s: %zu of %zu target%s to roll back%s\n",
		o->execution_id, to_roll_back, count, count == 1 ? "" : "s",
		o->dry_run ? " (dry run: nothing will change)" : "");
	if (interrupted)
		fprintf(stderr,
			"irx: fleet %s was interrupted (it did not end; %zu execution%s did not "
			"end): what they changed is rolled back from the undo records they wrote "
			"before each change; targets it had not started have nothing to undo\n",
			o->execution_id, ni, ni == 1 ? "" : "s");
}

static void fleet_done(void *ud, const struct irx_fleet_rb_item *it, size_t done, size_t total)
{
	(void)ud;
	fprintf(stderr, "irx: [%zu/%zu] %-11s %s %s %lld ms%s%s\n", done, total,
		it->outcome == IRX_FLEET_RB_ROLLED_BACK ? "rolled-back" : "failed", it->arn,
		it->rollback_id[0] ? it->rollback_id : "-", it->duration_ms, it->reason ? ": " : "",
		it->reason ? it->reason : "");
}

static void fleet_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	(void)ud;
	fprintf(stderr, "irx: %s: %s: %s\n", level >= IRX_LOG_ERROR ? "error" : "warning",
		step ? step : "rollback", message);
}

/* The text summary: counts, then a line per target not plainly rolled back. */
static void fleet_print(const struct irx_fleet_rb_result *r, bool dry_run)
{
	printf("%zu target%s: %zu %s, %zu nothing to undo, %zu already rolled back, %zu failed "
	       "(%.1f s)\n",
	       r->count, r->count == 1 ? "" : "s", r->n[IRX_FLEET_RB_ROLLED_BACK],
	       dry_run ? "would be rolled back" : "rolled back", r->n[IRX_FLEET_RB_NOTHING],
	       r->n[IRX_FLEET_RB_ALREADY], r->n[IRX_FLEET_RB_FAILED],
	       (double)r->duration_ms / 1000.0);
	for (size_t i = 0; i < r->count; i++) {
		const struct irx_fleet_rb_item *it = &r->items[i];

		if (it->outcome == IRX_FLEET_RB_ROLLED_BACK && !it->reason)
			continue;
		printf("%s\t%s\t%s\t%s\t%s\n", irx_fleet_rb_outcome_name(it->outcome), it->arn,
		       it->execution_id[0] ? it->execution_id : "-",
		       it->rollback_id[0] ? it->rollback_id : "-", it->reason ? it->reason : "");
	}
}

static int rollback_fleet(struct rollback_options *o)
{
	struct irx_fleet_rollback_options fo = {0};
	struct irx_fleet_rb_result res = {0};
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct irx_config *cfg = NULL;
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	const char *dirs[64];
	char *dir_store = NULL, *state_dir = NULL;
	size_t ndirs = 0;
	int rc = IRX_EXIT_OK, frc = 0;

	if (!(cfg = irx_config_open(o->config, &diags))) {
		irx_diags_print(&diags, stderr);
		irx_cli_error("rollback",
			      "the configuration is not valid; nothing was rolled back");
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	state_dir =
	    irx_state_dir_resolve(o->common.state_dir ? o->common.state_dir : cfg->state_dir);
	if (!state_dir) {
		irx_cli_error("rollback", "no state directory: set --state-dir or IRX_STATE_DIR");
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	ndirs = irx_cli_plugin_path(&o->common, dirs, 64, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(true));
	actions = irx_actions_new(plugins);
	fo.state_dir = state_dir;
	fo.dry_run = o->dry_run;
	fo.actions = actions;
	fo.cfg = cfg;
	fo.profile = o->aws.profile;
	fo.role_arn = o->aws.role_arn;
	fo.external_id = o->aws.external_id;
	fo.concurrency = o->concurrency;
	fo.per_account = o->per_account;
	fo.per_region = o->per_region;
	fo.begin = fleet_begin;
	fo.done = fleet_done;
	fo.ud = o;
	fo.log = fleet_log;
	frc = irx_fleet_rollback(o->execution_id, &fo, &res, &err);
	if (frc < 0 && !res.items) {
		irx_cli_error("rollback", "%s", err.message);
		rc = err.code == IRX_ERR_NOT_FOUND				? IRX_EXIT_NOT_FOUND
		     : err.code == IRX_ERR_INVALID || err.code == IRX_ERR_PARSE ? IRX_EXIT_INVALID
										: IRX_EXIT_INTERNAL;
		goto out;
	}
	if (o->common.json) {
		struct json_object *sum = irx_fleet_rb_summary(&res, o->dry_run);

		printf("%s\n", json_object_to_json_string_ext(
				   sum, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(sum);
	} else {
		fleet_print(&res, o->dry_run);
	}
	if (res.n[IRX_FLEET_RB_FAILED])
		rc = IRX_EXIT_FAILED;
	if (frc < 0) {
		irx_cli_error("rollback", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
	} else if (!o->dry_run && !res.n[IRX_FLEET_RB_ROLLED_BACK] && !res.n[IRX_FLEET_RB_FAILED]) {
		fprintf(stderr, "irx: fleet %s: nothing left to roll back\n", o->execution_id);
	} else if (!o->dry_run) {
		fprintf(stderr, "irx: fleet %s rolled back%s; 'irx show %s' for each target\n",
			o->execution_id, res.n[IRX_FLEET_RB_FAILED] ? " in part" : "",
			o->execution_id);
	}
out:
	irx_fleet_rb_result_release(&res);
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	irx_config_free(cfg);
	irx_diags_release(&diags);
	free(state_dir);
	free(dir_store);
	return rc;
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
	if (strncmp(o.execution_id, IRX_FLEET_ID_PREFIX, strlen(IRX_FLEET_ID_PREFIX)) == 0)
		return rollback_fleet(&o);
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
