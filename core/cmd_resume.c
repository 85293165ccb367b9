/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx resume: continue an interrupted execution in its own journal (core/resume.h). Progress on
 * stderr, the result on stdout as `irx run` prints it.
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
#include "host.h"
#include "journal.h"
#include "plugins.h"
#include "resume.h"
#include "runbook.h"
#include "util.h"

#define MAX_ASSIGNMENTS 64

struct resume_options {
	struct irx_cli_common common;
	struct irx_aws_cli_options aws;
	const char *config;
	const char *assignments[MAX_ASSIGNMENTS];
	size_t assignment_count;
	bool force;
	const char *execution_id;
};

static void usage(FILE *out)
{
	fputs(
	    "usage: irx resume EXECUTION_ID [options]\n\n"
	    "Continues an execution that was interrupted (killed, crashed, the host lost) in its\n"
	    "own journal. Finished steps are not run again; the interrupted step runs again\n"
	    "only if its action is idempotent (else irx stops and says so, unless --force).\n\n"
	    "  -f, --force                 run an interrupted non-idempotent step again\n"
	    "  -p, --parameter NAME=VALUE  a secret parameter again (the journal redacts them)\n"
	    "  -c, --config FILE           the configuration: the account's role (IRX_CONFIG,\n"
	    "                              ./irx.yaml, ...)\n"
	    "      --profile NAME          AWS profile (AWS_PROFILE; ~/.aws/credentials, config)\n"
	    "      --role-arn ARN          assume this role for every AWS call\n"
	    "      --external-id ID        ExternalId for --role-arn\n"
	    "      --state-dir DIR         where journals are (IRX_STATE_DIR, "
	    "$XDG_STATE_HOME/irx)\n"
	    "      --plugin-dir DIR        search DIR for plugins first (repeatable)\n"
	    "  -o, --output text|json      result format on stdout\n",
	    out);
}

static int parse_args(int argc, char **argv, struct resume_options *o)
{
	enum { OPT_STATE = 256, OPT_PLUGIN, OPT_PROFILE, OPT_ROLE, OPT_EXTERNAL_ID };
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"parameter", required_argument, NULL, 'p'},
	    {"config", required_argument, NULL, 'c'},
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
	while ((c = getopt_long(argc, argv, "fp:c:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->force = true;
			break;
		case 'p':
			if (!strchr(optarg, '=')) {
				irx_cli_error("resume", "parameter '%s' must be NAME=VALUE",
					      optarg);
				return -1;
			}
			if (o->assignment_count == MAX_ASSIGNMENTS) {
				irx_cli_error("resume", "more than %d parameters", MAX_ASSIGNMENTS);
				return -1;
			}
			o->assignments[o->assignment_count++] = optarg;
			break;
		case 'c':
			o->config = optarg;
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
			if (irx_cli_add_plugin_dir(&o->common, "resume", optarg) < 0)
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
		irx_cli_error("resume", "no execution id given; see 'irx resume --help'");
		return -1;
	}
	if (optind + 1 < argc) {
		irx_cli_error("resume", "unexpected argument '%s'", argv[optind + 1]);
		return -1;
	}
	o->execution_id = argv[optind];
	return 0;
}

/* The runbook the execution ran: its recorded file if still there, else by name. */
static struct irx_runbook *load_runbook(const struct irx_resume *r, struct irx_actions *actions,
					int *rc)
{
	struct irx_diags diags = {0};
	char *path = NULL;
	struct irx_runbook *rb = NULL;

	if (r->runbook_path && access(r->runbook_path, R_OK) == 0)
		path = irx_xstrdup(r->runbook_path);
	else if (r->runbook_name)
		path = irx_cli_find_runbook(r->runbook_name);
	if (!path) {
		irx_cli_error("resume", "the runbook '%s' of execution %s is gone (%s)",
			      r->runbook_name ? r->runbook_name : "", r->execution_id,
			      r->runbook_path ? r->runbook_path : "no path recorded");
		*rc = IRX_EXIT_NOT_FOUND;
		return NULL;
	}
	rb = irx_runbook_load(path, &diags);
	if (rb)
		irx_runbook_validate(rb, actions, &diags);
	if (!rb || diags.count) {
		irx_diags_print(&diags, stderr);
		irx_cli_error("resume", "'%s' is not valid; nothing was run", path);
		irx_runbook_free(rb);
		rb = NULL;
		*rc = IRX_EXIT_INVALID;
	}
	irx_diags_release(&diags);
	free(path);
	return rb;
}

int irx_cmd_resume(int argc, char **argv)
{
	struct resume_options o = {0};
	struct irx_resume r = {0};
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct irx_exec_options eo = {0};
	struct irx_exec_result res = {0};
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	struct irx_runbook *rb = NULL;
	struct irx_aws_client *aws = NULL;
	struct irx_config *cfg = NULL;
	struct json_object *params = NULL;
	const char *dirs[64];
	char *dir_store = NULL, *state_dir = NULL, *role = NULL;
	size_t ndirs = 0;
	int rc = parse_args(argc, argv, &o);

	if (rc != 0)
		return rc > 0 ? IRX_EXIT_OK : IRX_EXIT_INVALID;
	state_dir = irx_state_dir_resolve(o.common.state_dir);
	if (!state_dir) {
		irx_cli_error("resume", "no state directory (set IRX_STATE_DIR or --state-dir)");
		return IRX_EXIT_INVALID;
	}
	if (irx_resume_load(state_dir, o.execution_id, &r, &err) < 0) {
		irx_cli_error("resume", "%s", err.message);
		rc = err.code == IRX_ERR_NOT_FOUND ? IRX_EXIT_NOT_FOUND : IRX_EXIT_INVALID;
		goto out;
	}
	ndirs = irx_cli_plugin_path(&o.common, dirs, 64, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(true));
	actions = irx_actions_new(plugins);
	if (!(rb = load_runbook(&r, actions, &rc)))
		goto out;
	if (irx_resume_plan(&r, rb, actions, &err) < 0) {
		irx_cli_error("resume", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	if (r.rerun_step && !r.rerun_safe && !o.force) {
		irx_cli_error("resume",
			      "step '%s' (%s) of execution %s was interrupted and its action is "
			      "not idempotent: resuming would run it again; check what it did, "
			      "then use --force",
			      r.rerun_step, r.rerun_action, r.execution_id);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	if (!(params = irx_resume_params(&r, rb, o.assignments, o.assignment_count, &diags))) {
		irx_diags_print(&diags, stderr);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	eo.state_dir = state_dir;
	irx_resume_exec_options(&r, &eo);
	eo.progress = irx_cli_progress;
	/* the journal does not say which role the run used: --role-arn, else the account's */
	if (!o.aws.role_arn && eo.account_id && *eo.account_id) {
		char *chain[IRX_CONFIG_MAX_ROLE_CHAIN] = {0};
		size_t n = 0;

		cfg = irx_config_open(o.config, &diags);
		if (!cfg) {
			irx_diags_print(&diags, stderr);
			irx_cli_error("resume", "the configuration is not valid; nothing was run");
			rc = IRX_EXIT_INVALID;
			goto out;
		}
		n = irx_config_role_chain(cfg, eo.account_id, "aws", chain,
					  IRX_CONFIG_MAX_ROLE_CHAIN);
		if (n == 1) {
			o.aws.role_arn = role = chain[0];
			o.aws.external_id = irx_config_external_id(cfg, eo.account_id);
		} else {
			for (size_t i = 0; i < n; i++)
				free(chain[i]);
		}
	}
	o.aws.region = eo.region && *eo.region ? eo.region : NULL;
	if (irx_aws_setup_exec(&eo, &o.aws, &aws, &err) < 0) {
		irx_cli_error("resume", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	fprintf(stderr, "irx: resuming execution %s of '%s' %s%s%s%s\n", r.execution_id, rb->name,
		r.start_step ? "at step '" : "at its end", r.start_step ? r.start_step : "",
		r.start_step ? "'" : "",
		r.rerun_step ? (r.rerun_safe ? " (the interrupted step runs again)"
					     : " (the interrupted step runs again: forced)")
			     : "");
	if (irx_resume_execute(&r, rb, params, actions, &eo, o.force, &res, &err) < 0) {
		irx_cli_error("resume", "%s", err.message);
		rc = err.code == IRX_ERR_INVALID ? IRX_EXIT_INVALID : IRX_EXIT_INTERNAL;
		goto out;
	}
	rc = strcmp(res.status, "Success") == 0 ? IRX_EXIT_OK : IRX_EXIT_FAILED;
	if (o.common.json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "AutomationExecutionId",
				       json_object_new_string(res.execution_id));
		json_object_object_add(j, "DocumentName", json_object_new_string(rb->name));
		json_object_object_add(j, "AutomationExecutionStatus",
				       json_object_new_string(res.status));
		json_object_object_add(j, "Outputs", json_object_get(res.outputs));
		if (res.failure_message[0])
			json_object_object_add(j, "FailureMessage",
					       json_object_new_string(res.failure_message));
		json_object_object_add(j, "ResumedAt",
				       r.start_step ? json_object_new_string(r.start_step) : NULL);
		printf("%s\n", json_object_to_json_string_ext(
				   j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		printf("%s\t%s\t%s%s%s\n", res.execution_id, res.status, rb->name,
		       res.failure_message[0] ? "\t" : "", res.failure_message);
		json_object_object_foreach(res.outputs, key, val)
		    printf("  %s = %s\n", key,
			   json_object_is_type(val, json_type_string)
			       ? json_object_get_string(val)
			       : json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
	}
	fprintf(stderr, "irx: execution %s %s; 'irx show %s' for details\n", res.execution_id,
		res.status, res.execution_id);
out:
	irx_exec_result_release(&res);
	json_object_put(params);
	irx_aws_client_free(aws);
	irx_config_free(cfg);
	irx_runbook_free(rb);
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	irx_resume_release(&r);
	irx_diags_release(&diags);
	free(role);
	free(state_dir);
	free(dir_store);
	return rc;
}
