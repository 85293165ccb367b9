/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx route --event FILE|-: what `irx run --event` would do with an event, without running
 * anything or claiming anything: the findings and entities read from it, and for each entity
 * the runbook and rule, dry-run or not and why, duplicate or not.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "diag.h"
#include "error.h"
#include "events.h"
#include "journal.h"
#include "routing.h"
#include "util.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: irx route --event FILE|- [options]\n"
	    "\n"
	    "Shows which runbook `irx run --event` would start for each entity an event names\n"
	    "(a GuardDuty or Security Hub finding, an SNS message, or an ARN), on which target,\n"
	    "in dry-run or not and why, and whether it is a duplicate. Runs nothing.\n"
	    "\n"
	    "  -e, --event FILE|-     the event (- reads stdin)\n"
	    "  -c, --config FILE      the configuration (IRX_CONFIG, ./irx.yaml, ...)\n"
	    "  -n, --dry-run          as irx run --dry-run would\n"
	    "      --force-sample     as irx run --force-sample would\n"
	    "      --state-dir DIR    where the dedupe store is\n"
	    "  -o, --output text|json\n"
	    "\n"
	    "Exit status: 0 decided, 2 invalid event or configuration.\n");
}

static void print_text(const struct irx_event *ev, const struct irx_plan *p)
{
	printf("event: %s%s%s%s\n", irx_event_source_name(ev->source), ev->detail_type ? " (" : "",
	       ev->detail_type ? ev->detail_type : "", ev->detail_type ? ")" : "");
	for (size_t i = 0; i < ev->finding_count; i++) {
		const struct irx_finding *f = &ev->findings[i];

		printf("finding %s\n  type %s, severity ", f->id ? f->id : "(none)",
		       f->type ? f->type : "(none)");
		if (f->has_severity)
			printf("%.1f %s", f->severity, f->severity_label);
		else
			printf("(none)");
		printf("%s, account %s, region %s\n", f->sample ? ", SAMPLE" : "",
		       f->account ? f->account : "-", f->region ? f->region : "-");
	}
	for (size_t i = 0; i < p->count; i++) {
		const struct irx_plan_target *t = &p->targets[i];

		printf("%s %s%s%s\n", t->kind, t->arn ? t->arn : "(no ARN)",
		       t->access_key_id ? " key " : "", t->access_key_id ? t->access_key_id : "");
		if (t->runbook)
			printf("  runbook %s (rule '%s')%s\n", t->runbook, t->rule,
			       t->dry_run ? ", dry-run" : "");
		if (t->dry_run_reason)
			printf("  dry-run: %s\n", t->dry_run_reason);
		/* the hops before the account's own role (a hub in the security account) */
		for (size_t k = 0; t->access && k + 1 < t->access->role_count; k++)
			printf("  via role %s\n", t->access->roles[k]);
		if (t->role_arn)
			printf("  as role %s\n", t->role_arn);
		printf("  %s\n", t->skip_reason ? t->skip_reason
				 : t->dry_run	? "would run in dry-run"
						: "would run");
	}
	printf("%zu of %zu target%s would run\n", p->runnable, p->count, p->count == 1 ? "" : "s");
}

int irx_cmd_route(int argc, char **argv)
{
	enum { OPT_FORCE_SAMPLE = 256, OPT_STATE };
	static const struct option opts[] = {
	    {"event", required_argument, NULL, 'e'},
	    {"config", required_argument, NULL, 'c'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"force-sample", no_argument, NULL, OPT_FORCE_SAMPLE},
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct irx_plan_options po = {0};
	struct irx_plan plan = {0};
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct irx_config *cfg = NULL;
	struct irx_event *ev = NULL;
	const char *event = NULL, *config = NULL, *state = NULL;
	char *state_dir = NULL;
	bool json = false;
	int c = 0, rc = IRX_EXIT_INVALID;

	optind = 1;
	while ((c = getopt_long(argc, argv, "e:c:no:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			event = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'n':
			po.dry_run = true;
			break;
		case OPT_FORCE_SAMPLE:
			po.force_sample = true;
			break;
		case OPT_STATE:
			state = optarg;
			break;
		case 'o':
			if (irx_cli_parse_output(optarg, &json) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'h':
			usage(stdout);
			return IRX_EXIT_OK;
		default:
			usage(stderr);
			return IRX_EXIT_INVALID;
		}
	}
	if (!event) {
		irx_cli_error("route", "no --event given; see 'irx route --help'");
		return IRX_EXIT_INVALID;
	}
	if (optind < argc) {
		irx_cli_error("route", "unexpected argument '%s'", argv[optind]);
		return IRX_EXIT_INVALID;
	}
	cfg = irx_config_open(config, &diags);
	if (!cfg) {
		irx_diags_print(&diags, stderr);
		irx_cli_error("route", "the configuration is not valid");
		goto out;
	}
	ev = irx_event_load(event, cfg, &err);
	if (!ev) {
		irx_cli_error("route", "%s", err.message);
		goto out;
	}
	state_dir = irx_state_dir_resolve(state ? state : cfg->state_dir);
	po.state_dir = state_dir;
	po.claim = false;
	if (irx_events_plan(cfg, ev, &po, &plan, &err) < 0) {
		irx_cli_error("route", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	rc = IRX_EXIT_OK;
	if (json) {
		struct json_object *o = irx_event_json(ev);

		json_object_object_add(o, "targets", irx_plan_json(&plan));
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_text(ev, &plan);
	}
out:
	irx_plan_release(&plan);
	irx_event_free(ev);
	irx_config_free(cfg);
	irx_diags_release(&diags);
	free(state_dir);
	return rc;
}
