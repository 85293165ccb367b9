/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx resume: continue an interrupted execution in its own journal (core/resume.h), or a killed
 * fleet (core/fleet_journal.h): its ended executions reported, its interrupted ones resumed, the
 * targets it had not started started. Progress on stderr, the result on stdout as `irx run`
 * prints it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "actions.h"
#include "aws/client.h"
#include "aws/endpoints.h"
#include "cli.h"
#include "config.h"
#include "diag.h"
#include "error.h"
#include "executor.h"
#include "fleet.h"
#include "fleet_journal.h"
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
	    "usage: irx resume EXECUTION_ID|FLEET_ID [options]\n\n"
	    "Continues an execution that was interrupted (killed, crashed, the host lost) in its\n"
	    "own journal. Finished steps are not run again; the interrupted step runs again\n"
	    "only if its action is idempotent (else irx stops and says so, unless --force).\n\n"
	    "With a fleet id (fleet-..., printed by 'irx run --targets'), continues the whole\n"
	    "fleet: executions that ended keep their result, interrupted ones are resumed as\n"
	    "above (one whose step cannot safely run again is reported failed, unless --force),\n"
	    "targets not started yet are started, within the fleet's concurrency bounds; then\n"
	    "one summary as 'irx run --targets' prints it.\n\n"
	    "  -f, --force                 run an interrupted non-idempotent step again; resume a\n"
	    "                              fleet that was rolled back\n"
	    "  -p, --parameter NAME=VALUE  a secret parameter again (the journal redacts them)\n"
	    "  -c, --config FILE           the configuration: the account's role (IRX_CONFIG,\n"
	    "                              ./irx.yaml, ...)\n"
	    "      --profile NAME          AWS profile (AWS_PROFILE; ~/.aws/credentials, config)\n"
	    "      --role-arn ARN          assume this role for every AWS call\n"
	    "      --external-id ID        ExternalId for --role-arn (a fleet's again: its journal\n"
	    "                              does not keep it)\n"
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

/* The runbook the execution (or fleet) ran: its recorded file if still there, else by name. */
static struct irx_runbook *load_runbook(const char *name, const char *recorded, const char *what,
					const char *id, struct irx_actions *actions, int *rc)
{
	struct irx_diags diags = {0};
	char *path = NULL;
	struct irx_runbook *rb = NULL;

	if (recorded && access(recorded, R_OK) == 0)
		path = irx_xstrdup(recorded);
	else if (name)
		path = irx_cli_find_runbook(name);
	if (!path) {
		irx_cli_error("resume", "the runbook '%s' of %s %s is gone (%s)", name ? name : "",
			      what, id, recorded ? recorded : "no path recorded");
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

/* ---- fleets ---------------------------------------------------------------------------------- */

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static unsigned juint(struct json_object *o, const char *key)
{
	int64_t v = json_object_get_int64(jget(o, key));

	return v > 0 && v <= IRX_FLEET_MAX_CONCURRENCY ? (unsigned)v : 0;
}

/* True if an -p override names the parameter. */
static bool overridden(const struct resume_options *o, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < o->assignment_count; i++)
		if (strncmp(o->assignments[i], name, n) == 0 && o->assignments[i][n] == '=')
			return true;
	return false;
}

/* Reads the fleet's journal and checks it can be continued: exit status, or 0. */
static int fleet_check(const char *state_dir, const char *id, struct irx_fleet_state *st)
{
	struct irx_error err = {0};
	int running = 0;

	if (!irx_fleet_id_valid(id)) {
		irx_cli_error("resume", "'%s' is not a fleet id", id);
		return IRX_EXIT_INVALID;
	}
	running = irx_journal_running_kind(&irx_journal_kind_fleet, state_dir, id, &err);
	if (running == 0 && irx_fleet_state_read(state_dir, id, st, &err) < 0)
		running = -1;
	if (running < 0) {
		irx_cli_error("resume", "%s", err.message);
		return err.code == IRX_ERR_NOT_FOUND ? IRX_EXIT_NOT_FOUND : IRX_EXIT_INVALID;
	}
	if (running) {
		irx_cli_error("resume", "fleet %s is still running", id);
		return IRX_EXIT_INVALID;
	}
	if (st->end) {
		irx_cli_error("resume", "fleet %s already ended: there is nothing to resume", id);
		return IRX_EXIT_INVALID;
	}
	return 0;
}

/* irx resume FLEET_ID: a plan per target from the journals, then the fleet's workers. */
static int resume_fleet(struct resume_options *o)
{
	struct irx_fleet_state st = {0};
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct irx_fleet_options fo = {0};
	struct irx_fleet_resume fr = {0};
	struct irx_fleet_target *plan = NULL;
	struct irx_fleet_result *ended = NULL, *results = NULL;
	struct irx_config *cfg = NULL;
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	struct irx_runbook *rb = NULL;
	struct irx_fleet *f = NULL;
	struct irx_journal *journal = NULL;
	struct json_object *start = NULL;
	const char **assign = NULL;
	char **owned = NULL;
	const char *dirs[64];
	char *dir_store = NULL, *state_dir = NULL;
	size_t ndirs = 0, count = 0, nassign = 0, n[3] = {0}, ninterrupted = 0;
	long long t0 = irx_now_ms();
	bool need_secrets = false;
	int rc = IRX_EXIT_OK;

	if (!(cfg = irx_config_open(o->config, &diags))) {
		irx_diags_print(&diags, stderr);
		irx_cli_error("resume", "the configuration is not valid; nothing was run");
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	state_dir = irx_state_dir_resolve(o->common.state_dir ? o->common.state_dir
							      : cfg->state_dir);
	if (!state_dir) {
		irx_cli_error("resume", "no state directory (set IRX_STATE_DIR or --state-dir)");
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	if ((rc = fleet_check(state_dir, o->execution_id, &st)) != 0)
		goto out;
	/* hold the fleet (its flock), then read it again: another resume may have ended it */
	journal = irx_journal_open_append_kind(&irx_journal_kind_fleet, state_dir, o->execution_id,
					       &err);
	if (!journal) {
		irx_cli_error("resume", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	irx_fleet_state_release(&st);
	if (irx_fleet_state_read(state_dir, o->execution_id, &st, &err) < 0) {
		irx_cli_error("resume", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	if (st.end) {
		irx_cli_error("resume", "fleet %s already ended: there is nothing to resume",
			      o->execution_id);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	/* a responder released this fleet on purpose: resuming would contain its targets again */
	if (st.rollback && !o->force) {
		irx_cli_error("resume",
			      "fleet %s was rolled back ('irx show %s'): resuming would contain its "
			      "targets again; use --force if that is what you want",
			      o->execution_id, o->execution_id);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	start = st.start;
	ndirs = irx_cli_plugin_path(&o->common, dirs, 64, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(true));
	actions = irx_actions_new(plugins);
	if (!(rb = load_runbook(jstr(start, "runbook"), jstr(start, "runbook_path"), "fleet",
				o->execution_id, actions, &rc)))
		goto out;
	if (irx_fleet_state_find_executions(state_dir, &st, &err) < 0) {
		irx_cli_error("resume", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	count = st.target_count;
	plan = irx_xcalloc(count, sizeof(*plan));
	ended = irx_xcalloc(count, sizeof(*ended));
	for (size_t i = 0; i < count; i++) {
		struct irx_fleet_target_state *t = &st.targets[i];
		struct irx_fleet_target *p = &plan[i];
		int e = 0;

		p->arn = t->arn;
		if (t->end) {
			irx_fleet_result_from_record(t->end, &ended[i]);
			e = 1;
			p->recorded = true;
		} else if (t->execution_id[0]) {
			struct irx_error xe = {0};

			/* unreadable: resuming it reports why and leaves it interrupted */
			e = irx_fleet_execution_result(state_dir, t->execution_id, &ended[i], &xe);
		}
		if (e == 1) {
			p->action = IRX_FLEET_DONE;
			p->execution_id = ended[i].execution_id;
			p->outcome = ended[i].outcome;
			p->status = ended[i].status;
			p->reason = ended[i].reason;
			p->duration_ms = ended[i].duration_ms;
		} else if (t->execution_id[0]) {
			p->action = IRX_FLEET_RESUME;
			p->execution_id = t->execution_id;
		} else {
			p->action = IRX_FLEET_START;
		}
		n[p->action]++;
	}
	/* the fleet's parameters again: the journal's, with -p for the secret ones it redacted */
	{
		struct json_object *journaled = jget(start, "assignments");
		size_t cap = (journaled ? (size_t)json_object_object_length(journaled) : 0) +
			     o->assignment_count + 1;

		assign = irx_xcalloc(cap, sizeof(*assign));
		owned = irx_xcalloc(cap, sizeof(*owned));
		if (journaled) {
			json_object_object_foreach(journaled, key, val)
			{
				const char *v = json_object_get_string(val);

				if (overridden(o, key))
					continue;
				if (strcmp(v, "********") == 0) {
					if (n[IRX_FLEET_START]) {
						irx_cli_error(
						    "resume",
						    "parameter '%s' is a secret the fleet journal does "
						    "not keep: give it again with --parameter %s=VALUE",
						    key, key);
						need_secrets = true;
					}
					continue;
				}
				owned[nassign] = irx_xasprintf("%s=%s", key, v);
				assign[nassign] = owned[nassign];
				nassign++;
			}
		}
		for (size_t i = 0; i < o->assignment_count; i++)
			assign[nassign++] = o->assignments[i];
	}
	if (need_secrets) {
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	fo.rb = rb;
	fo.actions = actions;
	fo.cfg = cfg;
	fo.assignments = assign;
	fo.assignment_count = nassign;
	fo.base.state_dir = state_dir;
	fo.base.dry_run = json_object_get_boolean(jget(start, "dry_run"));
	fo.base.region = jstr(start, "region") ? jstr(start, "region") : "";
	fo.base.case_id = jstr(start, "case_id") ? jstr(start, "case_id") : "";
	fo.base.max_step_executions = (unsigned)json_object_get_int64(
	    jget(start, "max_step_executions"));
	fo.base.ignore_exceptions = json_object_get_boolean(jget(start, "ignore_exceptions"));
	fo.base.exception_tag = jstr(start, "exception_tag");
	fo.base.exception_registry = jstr(start, "exception_registry");
	fo.profile = o->aws.profile ? o->aws.profile : jstr(start, "profile");
	fo.role_arn = o->aws.role_arn ? o->aws.role_arn : jstr(start, "role_arn");
	fo.external_id = o->aws.external_id;
	if (!o->aws.role_arn && fo.role_arn && jstr(start, "external_id") && !fo.external_id) {
		irx_cli_error("resume",
			      "fleet %s assumed '%s' with an ExternalId, which its journal does not "
			      "keep: give it again with --external-id",
			      o->execution_id, fo.role_arn);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	fo.concurrency = juint(start, "concurrency");
	fo.per_account = juint(start, "per_account");
	fo.per_region = juint(start, "per_region");
	fo.done = irx_cli_fleet_done;
	fo.log = irx_cli_fleet_log;
	fr.fleet_id = o->execution_id;
	fr.journal = journal;
	fr.force = o->force;
	fr.overrides = o->assignments;
	fr.override_count = o->assignment_count;
	fo.resume = &fr;
	journal = NULL; /* irx_fleet_new takes it */
	if (!(f = irx_fleet_new(&fo, &err))) {
		irx_cli_error("resume", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	fprintf(stderr,
		"irx: resuming fleet %s of '%s': %zu target%s (%zu ended, %zu interrupted, %zu not "
		"started)%s\n",
		irx_fleet_id(f), rb->name, count, count == 1 ? "" : "s", n[IRX_FLEET_DONE],
		n[IRX_FLEET_RESUME], n[IRX_FLEET_START],
		fo.base.dry_run ? " (dry run: nothing will change)" : "");
	if (irx_fleet_run_plan(f, plan, count, &results, &err) < 0) {
		irx_cli_error("resume", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	if (o->common.json) {
		struct json_object *sum = irx_fleet_summary(f, results, count, irx_now_ms() - t0);

		printf("%s\n", json_object_to_json_string_ext(sum, JSON_C_TO_STRING_PRETTY |
									JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(sum);
	} else {
		char *text = irx_fleet_summary_text(fo.base.dry_run, results, count,
						    irx_now_ms() - t0);

		fputs(text, stdout);
		free(text);
	}
	for (size_t i = 0; i < count; i++) {
		if (results[i].outcome == IRX_FLEET_FAILED)
			rc = IRX_EXIT_FAILED;
		ninterrupted += results[i].interrupted;
	}
	if (ninterrupted)
		fprintf(stderr,
			"irx: fleet %s: %zu execution%s still interrupted; check %s, then 'irx "
			"resume %s --force'\n",
			irx_fleet_id(f), ninterrupted, ninterrupted == 1 ? " is" : "s are",
			ninterrupted == 1 ? "it" : "them", irx_fleet_id(f));
out:
	irx_fleet_results_free(results, count);
	irx_fleet_free(f);
	irx_journal_close(journal);
	for (size_t i = 0; ended && i < count; i++)
		free(ended[i].reason);
	free(ended);
	free(plan);
	for (size_t i = 0; owned && owned[i]; i++)
		free(owned[i]);
	free(owned);
	free(assign);
	irx_runbook_free(rb);
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	irx_fleet_state_release(&st);
	irx_config_free(cfg);
	irx_diags_release(&diags);
	free(state_dir);
	free(dir_store);
	return rc;
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
	struct irx_config_access access = {0};
	struct json_object *params = NULL;
	const char *dirs[64];
	char *dir_store = NULL, *state_dir = NULL;
	size_t ndirs = 0;
	int rc = parse_args(argc, argv, &o);

	if (rc != 0)
		return rc > 0 ? IRX_EXIT_OK : IRX_EXIT_INVALID;
	if (strncmp(o.execution_id, IRX_FLEET_ID_PREFIX, strlen(IRX_FLEET_ID_PREFIX)) == 0)
		return resume_fleet(&o);
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
	if (!(rb = load_runbook(r.runbook_name, r.runbook_path, "execution", r.execution_id, actions,
				&rc)))
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
		cfg = irx_config_open(o.config, &diags);
		if (!cfg) {
			irx_diags_print(&diags, stderr);
			irx_cli_error("resume", "the configuration is not valid; nothing was run");
			rc = IRX_EXIT_INVALID;
			goto out;
		}
		/* the partition of the execution's region (aws-cn, aws-us-gov role ARNs) */
		if (irx_config_access(cfg, eo.account_id,
				      irx_partition_of(eo.region ? eo.region : ""), &access,
				      &err) < 0) {
			irx_cli_error("resume", "%s", err.message);
			rc = IRX_EXIT_INVALID;
			goto out;
		}
		irx_config_access_cli(&access, &o.aws);
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
	irx_config_access_release(&access);
	free(state_dir);
	free(dir_store);
	return rc;
}
