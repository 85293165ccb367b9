/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx run: validate a runbook, bind its parameters and run it once, or once
 * per --target, with progress on stderr and results on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "actions.h"
#include "arn.h"
#include "aws/client.h"
#include "cli.h"
#include "config.h"
#include "diag.h"
#include "error.h"
#include "events.h"
#include "executor.h"
#include "fleet.h"
#include "host.h"
#include "params.h"
#include "plugins.h"
#include "routing.h"
#include "runbook.h"
#include "util.h"

#define MAX_ASSIGNMENTS 256
#define MAX_TARGETS 1024

struct run_options {
	struct irx_cli_common common;
	const char *assignments[MAX_ASSIGNMENTS + 1];
	size_t assignment_count;
	const char *targets[MAX_TARGETS];
	size_t target_count;
	bool dry_run;
	const char *region;
	const char *account_id;
	const char *case_id;
	unsigned max_steps;
	struct irx_aws_cli_options aws;
	bool ignore_exceptions;
	const char *exception_tag;
	const char *exception_registry;
	const char *access_key_id; /* bound to AccessKeyId when the runbook declares it */
	const char *event;  /* --event: runbooks and targets come from routing (routing.h) */
	const char *config; /* --config */
	bool force_sample;  /* --force-sample */
	const char *targets_file; /* --targets: a fleet (fleet.h) */
	unsigned concurrency, per_account, per_region;
	/* the configuration: without --role-arn, a --target's account is reached through its
	   access path (irx_config_access); NULL: the caller's credentials */
	const struct irx_config *cfg;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: irx run RUNBOOK [options]\n"
		"       irx run --event FILE|- [options]\n\n"
		"Runs RUNBOOK (a name on the runbook path, or a file) once, or once per --target.\n"
		"With --event, the configuration's routing rules choose the runbook for each entity\n"
		"the event names (GuardDuty, Security Hub, SNS, or an ARN); 'irx route' previews it.\n\n"
		"  -e, --event FILE|-          the event (- reads stdin)\n"
		"  -c, --config FILE           the configuration (IRX_CONFIG, ./irx.yaml, ...)\n"
		"      --force-sample          contain entities of sample findings for real\n"
		"  -T, --targets FILE          a fleet: one execution per ARN in FILE (one a line),\n"
		"                              or per match of a tag query (YAML/JSON: tags,\n"
		"                              resourceTypes, accounts, regions)\n"
		"      --concurrency N         executions at once in a fleet (default %d)\n"
		"      --per-account N         ... of them in one account (default %d)\n"
		"      --per-region N          ... of them in one region (default %d)\n"
		"  -p, --parameter NAME=VALUE  set a parameter (repeatable); lists as JSON or a,b,c\n"
		"  -t, --target ARN            bind the runbook's TargetArn (repeatable: one\n"
		"                              execution per target)\n"
		"  -n, --dry-run               say what each step would do; change nothing\n"
		"      --region REGION         region for {{ global:REGION }} when no target names one\n"
		"      --account-id ID         account for {{ global:ACCOUNT_ID }}\n"
		"      --case-id ID            incident case id, recorded and tagged\n"
		"      --profile NAME          AWS profile (AWS_PROFILE; ~/.aws/credentials, config)\n"
		"      --role-arn ARN          assume this role for every AWS call (default: the\n"
		"                              configuration's role chain into each target's account)\n"
		"      --external-id ID        ExternalId for --role-arn\n"
		"      --ignore-exceptions     contain exempted resources too (journaled)\n"
		"      --exception-tag KEY     the exception tag's key (default irx:exception)\n"
		"      --exception-registry FILE|ssm:NAME\n"
		"                              honour only exceptions this registry lists\n"
		"      --max-steps N           bound on step executions (default %d)\n"
		"      --state-dir DIR         where journals go (IRX_STATE_DIR, $XDG_STATE_HOME/irx)\n"
		"      --plugin-dir DIR        search DIR for plugins first (repeatable)\n"
		"  -o, --output text|json      result format on stdout\n",
		IRX_FLEET_DEFAULT_CONCURRENCY, IRX_FLEET_DEFAULT_PER_ACCOUNT,
		IRX_FLEET_DEFAULT_PER_REGION, IRX_DEFAULT_MAX_STEP_EXECUTIONS);
}

static int parse_args(int argc, char **argv, struct run_options *o, const char **runbook)
{
	enum {
		OPT_REGION = 256,
		OPT_ACCOUNT,
		OPT_CASE,
		OPT_MAX_STEPS,
		OPT_STATE,
		OPT_PLUGIN,
		OPT_PROFILE,
		OPT_ROLE,
		OPT_EXTERNAL_ID,
		OPT_IGNORE_EXC,
		OPT_EXC_TAG,
		OPT_EXC_REGISTRY,
		OPT_FORCE_SAMPLE,
		OPT_CONCURRENCY,
		OPT_PER_ACCOUNT,
		OPT_PER_REGION,
	};
	static const struct option opts[] = {
		{"parameter", required_argument, NULL, 'p'},
		{"target", required_argument, NULL, 't'},
		{"dry-run", no_argument, NULL, 'n'},
		{"region", required_argument, NULL, OPT_REGION},
		{"account-id", required_argument, NULL, OPT_ACCOUNT},
		{"case-id", required_argument, NULL, OPT_CASE},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"role-arn", required_argument, NULL, OPT_ROLE},
		{"external-id", required_argument, NULL, OPT_EXTERNAL_ID},
		{"ignore-exceptions", no_argument, NULL, OPT_IGNORE_EXC},
		{"exception-tag", required_argument, NULL, OPT_EXC_TAG},
		{"exception-registry", required_argument, NULL, OPT_EXC_REGISTRY},
		{"max-steps", required_argument, NULL, OPT_MAX_STEPS},
		{"state-dir", required_argument, NULL, OPT_STATE},
		{"plugin-dir", required_argument, NULL, OPT_PLUGIN},
		{"output", required_argument, NULL, 'o'},
		{"event", required_argument, NULL, 'e'},
		{"config", required_argument, NULL, 'c'},
		{"force-sample", no_argument, NULL, OPT_FORCE_SAMPLE},
		{"targets", required_argument, NULL, 'T'},
		{"concurrency", required_argument, NULL, OPT_CONCURRENCY},
		{"per-account", required_argument, NULL, OPT_PER_ACCOUNT},
		{"per-region", required_argument, NULL, OPT_PER_REGION},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c = 0;
	char *end = NULL;
	long n = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:t:T:no:e:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!strchr(optarg, '=')) {
				irx_cli_error("run", "parameter '%s' must be NAME=VALUE", optarg);
				return -1;
			}
			if (o->assignment_count == MAX_ASSIGNMENTS) {
				irx_cli_error("run", "more than %d parameters", MAX_ASSIGNMENTS);
				return -1;
			}
			o->assignments[o->assignment_count++] = optarg;
			break;
		case 't':
			if (o->target_count == MAX_TARGETS) {
				irx_cli_error("run", "more than %d targets", MAX_TARGETS);
				return -1;
			}
			o->targets[o->target_count++] = optarg;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case OPT_REGION:
			o->region = optarg;
			break;
		case OPT_ACCOUNT:
			o->account_id = optarg;
			break;
		case OPT_CASE:
			o->case_id = optarg;
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
		case OPT_IGNORE_EXC:
			o->ignore_exceptions = true;
			break;
		case OPT_EXC_TAG:
			if (!*optarg || strlen(optarg) > 127) {
				irx_cli_error("run", "--exception-tag must be 1..127 characters");
				return -1;
			}
			o->exception_tag = optarg;
			break;
		case OPT_EXC_REGISTRY:
			if (!*optarg || strcmp(optarg, "ssm:") == 0) {
				irx_cli_error("run", "--exception-registry needs a file or ssm:NAME");
				return -1;
			}
			o->exception_registry = optarg;
			break;
		case OPT_MAX_STEPS:
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1000000) {
				irx_cli_error("run", "--max-steps must be 1..1000000, got '%s'", optarg);
				return -1;
			}
			o->max_steps = (unsigned)n;
			break;
		case OPT_STATE:
			o->common.state_dir = optarg;
			break;
		case OPT_PLUGIN:
			if (irx_cli_add_plugin_dir(&o->common, "run", optarg) < 0)
				return -1;
			break;
		case 'o':
			if (irx_cli_parse_output(optarg, &o->common.json) < 0)
				return -1;
			break;
		case 'e':
			o->event = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case OPT_FORCE_SAMPLE:
			o->force_sample = true;
			break;
		case 'T':
			o->targets_file = optarg;
			break;
		case OPT_CONCURRENCY:
			if (irx_cli_parse_bound("run", "concurrency", optarg, &o->concurrency) < 0)
				return -1;
			break;
		case OPT_PER_ACCOUNT:
			if (irx_cli_parse_bound("run", "per-account", optarg, &o->per_account) < 0)
				return -1;
			break;
		case OPT_PER_REGION:
			if (irx_cli_parse_bound("run", "per-region", optarg, &o->per_region) < 0)
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
	if (o->targets_file && (o->event || o->target_count)) {
		irx_cli_error("run", "--targets runs a fleet: give no --target or --event with it");
		return -1;
	}
	if (!o->targets_file && (o->concurrency || o->per_account || o->per_region)) {
		irx_cli_error("run", "--concurrency, --per-account and --per-region need --targets");
		return -1;
	}
	if (o->event && (optind < argc || o->target_count)) {
		irx_cli_error("run", "--event chooses the runbook and targets: give no RUNBOOK or "
			      "--target with it");
		return -1;
	}
	if (o->event)
		return 0;
	if (optind >= argc) {
		irx_cli_error("run", "no runbook named; see 'irx run --help'");
		return -1;
	}
	if (optind + 1 < argc) {
		irx_cli_error("run", "unexpected argument '%s'", argv[optind + 1]);
		return -1;
	}
	*runbook = argv[optind];
	return 0;
}

/* The region: the target's, else --region, AWS_REGION, AWS_DEFAULT_REGION. */
static const char *pick_region(const struct run_options *o, const struct irx_arn *arn)
{
	const char *r = NULL;

	if (arn && arn->region[0])
		return arn->region;
	if (o->region)
		return o->region;
	if ((r = getenv("AWS_REGION")) && *r)
		return r;
	if ((r = getenv("AWS_DEFAULT_REGION")) && *r)
		return r;
	return "";
}

/*
 * Points the execution's AWS calls at the client (created on first use, shared by every
 * target's execution so connections and assumed-role credentials are reused).
 */
static int attach_aws(struct irx_exec_options *eo, const struct irx_aws_cli_options *o,
		      struct irx_aws_client **aws, struct irx_error *err)
{
	struct irx_aws_context ctx = {0};

	if (!*aws)
		return irx_aws_setup_exec(eo, o, aws, err);
	ctx.region = eo->region;
	ctx.role_arn = o->role_arn;
	ctx.external_id = o->external_id;
	ctx.via_roles = o->via_roles;
	ctx.via_count = o->via_count;
	ctx.tags = o->tags;
	ctx.tag_count = o->tag_count;
	irx_aws_attach_exec(eo, *aws, &ctx);
	return 0;
}

/* Runs one execution; returns the exit status it contributes. */
static int run_one(const struct irx_runbook *rb, struct irx_actions *actions,
		   const struct run_options *o, const char *state_dir, const char *target,
		   struct irx_aws_client **aws, struct json_object *results)
{
	struct irx_diags diags = {0};
	struct irx_exec_options eo = {0};
	struct irx_exec_result res = {0};
	struct irx_error err = {0};
	bool tty = irx_cli_progress_tty();
	struct irx_aws_cli_options aws_opts = o->aws;
	struct irx_config_access access = {0};
	struct irx_arn arn;
	bool have_arn = false;
	const char *assign[MAX_ASSIGNMENTS + 3] = {0};
	char *target_assign = NULL, *key_assign = NULL;
	struct json_object *params = NULL;
	size_t n = o->assignment_count;
	int rc = IRX_EXIT_OK;

	memcpy(assign, o->assignments, n * sizeof(*assign));
	if (target) {
		char why[128] = "";

		if (!irx_runbook_param(rb, "TargetArn")) {
			irx_cli_error("run", "runbook '%s' has no 'TargetArn' parameter to bind --target to",
				      rb->name);
			return IRX_EXIT_INVALID;
		}
		if (irx_arn_parse(target, &arn, why, sizeof(why)) < 0) {
			irx_cli_error("run", "target '%s' is not an ARN: %s", target, why);
			return IRX_EXIT_INVALID;
		}
		have_arn = true;
		/* --role-arn wins; else the configuration's role chain into the target's account */
		if (!o->aws.role_arn && o->cfg && strlen(arn.account) == 12) {
			if (irx_config_access(o->cfg, arn.account, arn.partition, &access, &err) < 0) {
				irx_cli_error("run", "target '%s': %s", target, err.message);
				return IRX_EXIT_INVALID;
			}
			irx_config_access_cli(&access, &aws_opts);
		}
		target_assign = irx_xasprintf("TargetArn=%s", target);
		assign[n++] = target_assign;
	}
	if (o->access_key_id && irx_runbook_param(rb, "AccessKeyId")) {
		key_assign = irx_xasprintf("AccessKeyId=%s", o->access_key_id);
		assign[n++] = key_assign;
	}
	params = irx_params_bind(rb, assign, n, &diags);
	if (!params) {
		irx_diags_print(&diags, stderr);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	eo.state_dir = state_dir;
	eo.dry_run = o->dry_run;
	eo.account_id = o->account_id ? o->account_id : have_arn ? arn.account : "";
	eo.region = pick_region(o, have_arn ? &arn : NULL);
	eo.case_id = o->case_id ? o->case_id : "";
	eo.max_step_executions = o->max_steps;
	eo.ignore_exceptions = o->ignore_exceptions;
	eo.exception_tag = o->exception_tag;
	eo.exception_registry = o->exception_registry;
	eo.progress = irx_cli_progress;
	eo.progress_ud = &tty;
	if (attach_aws(&eo, &aws_opts, aws, &err) < 0) {
		irx_cli_error("run", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	fprintf(stderr, "irx: running '%s'%s%s%s\n", rb->name, target ? " on " : "",
		target ? target : "", o->dry_run ? " (dry run: nothing will change)" : "");
	if (irx_execute(rb, params, actions, &eo, &res, &err) < 0) {
		irx_cli_error("run", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	if (strcmp(res.status, "Success") != 0)
		rc = IRX_EXIT_FAILED;
	if (o->common.json) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "AutomationExecutionId",
				       json_object_new_string(res.execution_id));
		json_object_object_add(r, "DocumentName", json_object_new_string(rb->name));
		if (target)
			json_object_object_add(r, "TargetArn", json_object_new_string(target));
		json_object_object_add(r, "AutomationExecutionStatus",
				       json_object_new_string(res.status));
		json_object_object_add(r, "Outputs", json_object_get(res.outputs));
		if (res.failure_message[0])
			json_object_object_add(r, "FailureMessage",
					       json_object_new_string(res.failure_message));
		json_object_object_add(r, "DryRun", json_object_new_boolean(o->dry_run));
		if (res.skipped_steps && json_object_array_length(res.skipped_steps) > 0)
			json_object_object_add(r, "SkippedSteps",
					       json_object_get(res.skipped_steps));
		json_object_array_add(results, r);
	} else {
		printf("%s\t%s\t%s%s%s\n", res.execution_id, res.status, target ? target : rb->name,
		       res.failure_message[0] ? "\t" : "", res.failure_message);
		json_object_object_foreach(res.outputs, key, val)
			printf("  %s = %s\n", key,
			       json_object_is_type(val, json_type_string)
				       ? json_object_get_string(val)
				       : json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
		for (size_t i = 0; res.skipped_steps && i < json_object_array_length(res.skipped_steps);
		     i++) {
			struct json_object *sk = json_object_array_get_idx(res.skipped_steps, i);

			printf("  skipped %s: %s\n",
			       json_object_get_string(json_object_object_get(sk, "step")),
			       json_object_get_string(json_object_object_get(sk, "message")));
		}
	}
	fprintf(stderr, "irx: execution %s %s; 'irx show %s' for details\n", res.execution_id,
		res.status, res.execution_id);
out:
	irx_exec_result_release(&res);
	json_object_put(params);
	free(target_assign);
	free(key_assign);
	irx_diags_release(&diags);
	irx_config_access_release(&access);
	return rc;
}

/* Loads and validates a runbook by name; NULL (reported) if missing or invalid. */
static struct irx_runbook *load_runbook(const char *name, struct irx_actions *actions, int *rc)
{
	struct irx_diags diags = {0};
	char *path = irx_cli_find_runbook(name);
	struct irx_runbook *rb = NULL;

	if (!path) {
		irx_cli_error("run", "no runbook '%s' (see 'irx list')", name);
		*rc = IRX_EXIT_NOT_FOUND;
		return NULL;
	}
	rb = irx_runbook_load(path, &diags);
	if (rb)
		irx_runbook_validate(rb, actions, &diags);
	if (!rb || diags.count) {
		irx_diags_print(&diags, stderr);
		fprintf(stderr, "irx run: '%s' is not valid; nothing was run\n", path);
		irx_runbook_free(rb);
		rb = NULL;
		*rc = IRX_EXIT_INVALID;
	}
	irx_diags_release(&diags);
	free(path);
	return rb;
}

/*
 * irx run --event: the configuration's routing decides the runbook, targets and dry-run per
 * entity (irx_events_plan, which also claims dedupe keys); each runnable target runs once.
 */
/*
 * The shipped runbooks notify an SNS topic (NotifyTopicArn): when the command line does not
 * name one, the configuration's first SNS channel does. Returns the assignment to free.
 */
static char *bind_notify_topic(const struct irx_runbook *rb, const struct irx_config *cfg,
			       struct run_options *to)
{
	const char *topic = NULL;

	if (!irx_runbook_param(rb, "NotifyTopicArn") || to->assignment_count >= MAX_ASSIGNMENTS)
		return NULL;
	for (size_t i = 0; i < to->assignment_count; i++)
		if (strncmp(to->assignments[i], "NotifyTopicArn=", 15) == 0)
			return NULL;
	for (size_t i = 0; i < cfg->channel_count && !topic; i++)
		if (cfg->channels[i].topic_arn && *cfg->channels[i].topic_arn)
			topic = cfg->channels[i].topic_arn;
	if (!topic)
		return NULL;
	to->assignments[to->assignment_count] = irx_xasprintf("NotifyTopicArn=%s", topic);
	return (char *)to->assignments[to->assignment_count++];
}

static int run_event(struct run_options *o, struct irx_actions *actions, struct json_object *results)
{
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct irx_config *cfg = irx_config_open(o->config, &diags);
	struct irx_event *ev = NULL;
	struct irx_plan plan = {0};
	struct irx_plan_options po = {0};
	struct irx_aws_client *aws = NULL;
	char *state_dir = NULL;
	int rc = IRX_EXIT_OK;

	if (!cfg) {
		irx_diags_print(&diags, stderr);
		irx_cli_error("run", "the configuration is not valid; nothing was run");
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	if (!(ev = irx_event_load(o->event, cfg, &err))) {
		irx_cli_error("run", "%s", err.message);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	state_dir = irx_state_dir_resolve(o->common.state_dir ? o->common.state_dir : cfg->state_dir);
	po.dry_run = o->dry_run;
	po.force_sample = o->force_sample;
	po.claim = true;
	po.state_dir = state_dir;
	if (irx_events_plan(cfg, ev, &po, &plan, &err) < 0) {
		irx_cli_error("run", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	if (!o->region)
		o->region = cfg->default_region;
	o->aws.region = o->region;
	if (!o->exception_tag)
		o->exception_tag = cfg->exception_tag;
	if (!o->exception_registry)
		o->exception_registry = cfg->exception_registry;
	for (size_t i = 0; i < plan.count; i++) {
		const struct irx_plan_target *t = &plan.targets[i];
		struct run_options to = *o;
		struct irx_runbook *rb = NULL;
		char *case_id = NULL, *notify = NULL;
		int one = IRX_EXIT_OK;

		if (!t->runbook || t->duplicate) {
			fprintf(stderr, "irx: %s%s%s: not run: %s\n", t->kind, t->arn ? " " : "",
				t->arn ? t->arn : "", t->skip_reason);
			continue;
		}
		if (t->dry_run_reason)
			fprintf(stderr, "irx: %s: dry run: %s\n", t->arn, t->dry_run_reason);
		if (!(rb = load_runbook(t->runbook, actions, &one))) {
			if (one > rc)
				rc = one;
			continue;
		}
		to.dry_run = t->dry_run;
		to.access_key_id = t->access_key_id;
		/* the plan's access path into the target's account, unless --role-arn */
		to.cfg = NULL;
		if (!o->aws.role_arn && t->access)
			irx_config_access_cli(t->access, &to.aws);
		if (!o->case_id && cfg->case_id_prefix && t->finding_id)
			to.case_id = case_id = irx_xasprintf("%s%s", cfg->case_id_prefix, t->finding_id);
		notify = bind_notify_topic(rb, cfg, &to);
		one = run_one(rb, actions, &to, state_dir, t->arn, &aws, results);
		free(notify);
		if (one > rc)
			rc = one;
		irx_runbook_free(rb);
		free(case_id);
	}
	if (plan.runnable == 0)
		fprintf(stderr, "irx: nothing to run for this event ('irx route --event' explains)\n");
out:
	irx_aws_client_free(aws);
	irx_plan_release(&plan);
	irx_event_free(ev);
	irx_config_free(cfg);
	irx_diags_release(&diags);
	free(state_dir);
	return rc;
}

/* irx run RUNBOOK --targets FILE: the fleet's executions (fleet.h) and one summary. */
static int run_fleet(struct run_options *o, const struct irx_runbook *rb,
		     struct irx_actions *actions)
{
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct irx_fleet_spec spec = {0};
	struct irx_fleet_options fo = {0};
	struct irx_fleet_result *results = NULL;
	struct irx_config *cfg = NULL;
	struct irx_fleet *f = NULL;
	char **arns = NULL, *state_dir = NULL;
	size_t count = 0, n[4] = {0};
	long long t0 = irx_now_ms(), ms = 0;
	int rc = IRX_EXIT_OK;

	if (!irx_runbook_param(rb, "TargetArn")) {
		irx_cli_error("run", "runbook '%s' has no 'TargetArn' parameter to bind --targets to",
			      rb->name);
		return IRX_EXIT_INVALID;
	}
	if (!(cfg = irx_config_open(o->config, &diags)) ||
	    irx_fleet_spec_load(o->targets_file, &spec, &diags) < 0) {
		irx_diags_print(&diags, stderr);
		irx_cli_error("run", "%s is not valid; nothing was run",
			      cfg ? "the targets file" : "the configuration");
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	state_dir = irx_state_dir_resolve(o->common.state_dir ? o->common.state_dir : cfg->state_dir);
	fo.rb = rb;
	fo.actions = actions;
	fo.cfg = cfg;
	fo.assignments = o->assignments;
	fo.assignment_count = o->assignment_count;
	fo.base.state_dir = state_dir;
	fo.base.dry_run = o->dry_run;
	fo.base.region = pick_region(o, NULL);
	if (!*fo.base.region && cfg->default_region)
		fo.base.region = cfg->default_region;
	fo.base.case_id = o->case_id ? o->case_id : "";
	fo.base.max_step_executions = o->max_steps;
	fo.base.ignore_exceptions = o->ignore_exceptions;
	fo.base.exception_tag = o->exception_tag ? o->exception_tag : cfg->exception_tag;
	fo.base.exception_registry =
	    o->exception_registry ? o->exception_registry : cfg->exception_registry;
	fo.profile = o->aws.profile;
	fo.role_arn = o->aws.role_arn;
	fo.external_id = o->aws.external_id;
	fo.concurrency = o->concurrency;
	fo.per_account = o->per_account;
	fo.per_region = o->per_region;
	fo.done = irx_cli_fleet_done;
	fo.log = irx_cli_fleet_log;
	if (!state_dir || !(f = irx_fleet_new(&fo, &err)) ||
	    irx_fleet_resolve(f, &spec, &arns, &count, &err) < 0) {
		irx_cli_error("run", "%s", state_dir ? err.message : "no state directory");
		rc = err.code == IRX_ERR_INVALID || !state_dir ? IRX_EXIT_INVALID : IRX_EXIT_FAILED;
		goto out;
	}
	fprintf(stderr,
		"irx: running '%s' on %zu target%s (%u at once, %u per account, %u per region)%s\n",
		rb->name, count, count == 1 ? "" : "s",
		o->concurrency ? o->concurrency : IRX_FLEET_DEFAULT_CONCURRENCY,
		o->per_account ? o->per_account : IRX_FLEET_DEFAULT_PER_ACCOUNT,
		o->per_region ? o->per_region : IRX_FLEET_DEFAULT_PER_REGION,
		o->dry_run ? " (dry run: nothing will change)" : "");
	fprintf(stderr, "irx: fleet %s (if interrupted: 'irx resume %s')\n", irx_fleet_id(f),
		irx_fleet_id(f));
	if (irx_fleet_run(f, (const char *const *)arns, count, &results, &err) < 0) {
		irx_cli_error("run", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		if (!results)
			goto out;
	}
	ms = irx_now_ms() - t0;
	for (size_t i = 0; i < count; i++)
		n[results[i].outcome]++;
	if (o->common.json) {
		struct json_object *sum = irx_fleet_summary(f, results, count, ms);

		printf("%s\n", json_object_to_json_string_ext(sum, JSON_C_TO_STRING_PRETTY |
									JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(sum);
	} else {
		char *text = irx_fleet_summary_text(o->dry_run, results, count, ms);

		fputs(text, stdout);
		free(text);
	}
	if (n[IRX_FLEET_FAILED] && rc == IRX_EXIT_OK)
		rc = IRX_EXIT_FAILED;
out:
	irx_fleet_results_free(results, count);
	for (size_t i = 0; i < count; i++)
		free(arns[i]);
	free(arns);
	irx_fleet_free(f);
	irx_fleet_spec_release(&spec);
	irx_config_free(cfg);
	irx_diags_release(&diags);
	free(state_dir);
	return rc;
}

int irx_cmd_run(int argc, char **argv)
{
	struct run_options o = {0};
	struct irx_diags diags = {0};
	const char *name = NULL;
	const char *dirs[64];
	char *dir_store = NULL, *path = NULL, *state_dir = NULL;
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	struct irx_runbook *rb = NULL;
	struct json_object *results = NULL;
	struct irx_aws_client *aws = NULL;
	struct irx_config *cfg = NULL;
	size_t ndirs = 0;
	int rc = parse_args(argc, argv, &o, &name);

	if (rc != 0)
		return rc > 0 ? IRX_EXIT_OK : IRX_EXIT_INVALID;
	if (o.event) {
		ndirs = irx_cli_plugin_path(&o.common, dirs, 64, &dir_store);
		plugins = irx_plugins_new(dirs, ndirs, irx_host_table(true));
		actions = irx_actions_new(plugins);
		results = json_object_new_array();
		rc = run_event(&o, actions, results);
		if (o.common.json)
			printf("%s\n", json_object_to_json_string_ext(
						results, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		goto out;
	}
	path = irx_cli_find_runbook(name);
	if (!path) {
		irx_cli_error("run", "no runbook '%s' (see 'irx list')", name);
		rc = IRX_EXIT_NOT_FOUND;
		goto out;
	}
	ndirs = irx_cli_plugin_path(&o.common, dirs, 64, &dir_store);
	o.aws.region = o.region;
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(true));
	actions = irx_actions_new(plugins);
	rb = irx_runbook_load(path, &diags);
	if (rb)
		irx_runbook_validate(rb, actions, &diags);
	if (!rb || diags.count) {
		irx_diags_print(&diags, stderr);
		fprintf(stderr, "irx run: '%s' is not valid; nothing was run\n", path);
		rc = IRX_EXIT_INVALID;
		goto out;
	}
	if (o.targets_file) {
		rc = run_fleet(&o, rb, actions);
		goto out;
	}
	/* a --target's account is reached as the configuration says, unless --role-arn */
	if (o.target_count && !o.aws.role_arn) {
		if (!(cfg = irx_config_open(o.config, &diags))) {
			irx_diags_print(&diags, stderr);
			irx_cli_error("run", "the configuration is not valid; nothing was run");
			rc = IRX_EXIT_INVALID;
			goto out;
		}
		o.cfg = cfg;
	}
	state_dir = irx_state_dir_resolve(o.common.state_dir);
	results = json_object_new_array();
	if (o.target_count == 0) {
		rc = run_one(rb, actions, &o, state_dir, NULL, &aws, results);
	} else {
		for (size_t i = 0; i < o.target_count; i++) {
			int one = run_one(rb, actions, &o, state_dir, o.targets[i], &aws, results);

			/* the worst status wins: internal > invalid > failed */
			if (one > rc)
				rc = one;
		}
	}
	if (o.common.json && json_object_array_length(results) > 0) {
		struct json_object *out = o.target_count == 0
						  ? json_object_get(json_object_array_get_idx(results, 0))
						  : json_object_get(results);

		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
								       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
	}
out:
	json_object_put(results);
	irx_aws_client_free(aws);
	irx_config_free(cfg);
	irx_runbook_free(rb);
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	irx_diags_release(&diags);
	free(state_dir);
	free(dir_store);
	free(path);
	return rc;
}
