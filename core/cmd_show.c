/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx show: one execution, read from its journal, like `aws ssm get-automation-execution`; or a
 * fleet, from its fleet journal and its executions' journals (core/fleet_journal.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "error.h"
#include "fleet_journal.h"
#include "journal.h"
#include "show.h"

static int exit_for(enum irx_status code)
{
	switch (code) {
	case IRX_ERR_NOT_FOUND:
		return IRX_EXIT_NOT_FOUND;
	case IRX_ERR_INVALID:
		return IRX_EXIT_INVALID;
	default:
		return IRX_EXIT_INTERNAL;
	}
}

/* irx show FLEET_ID */
static int show_fleet(const char *state_dir, const char *id, bool json)
{
	struct irx_error err = {0};
	struct json_object *fleet = irx_fleet_describe(state_dir, id, &err), *doc = NULL;

	if (!fleet) {
		irx_cli_error("show", "%s", err.message);
		/* a damaged fleet journal is bad input, as irx resume says */
		return err.code == IRX_ERR_PARSE ? IRX_EXIT_INVALID : exit_for(err.code);
	}
	if (json) {
		doc = json_object_new_object();
		json_object_object_add(doc, "Fleet", fleet);
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_SPACED |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
	} else {
		irx_show_fleet(stdout, fleet);
		json_object_put(fleet);
	}
	return fflush(stdout) == 0 ? IRX_EXIT_OK : IRX_EXIT_INTERNAL;
}

int irx_cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct irx_error err = {0};
	struct json_object *records = NULL, *summary = NULL, *doc = NULL;
	const char *state_opt = NULL;
	const char *id = NULL;
	char *state_dir = NULL;
	bool json = false;
	int truncated = 0;
	int running = 0;
	int rc = IRX_EXIT_INVALID;
	int c = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			state_opt = optarg;
			break;
		case 'o':
			if (irx_cli_parse_output(optarg, &json) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'h':
			printf("usage: irx show [--state-dir DIR] [--output text|json] "
			       "EXECUTION_ID|FLEET_ID\n\n"
			       "Shows an execution from its journal: status, times, parameters, each\n"
			       "step (status, attempts, duration, failure) and outputs. --output json\n"
			       "prints {\"AutomationExecution\": {...}} in the shape of\n"
			       "`aws ssm get-automation-execution`.\n\n"
			       "With a fleet id (fleet-..., 'irx executions --fleets' lists them),\n"
			       "shows the fleet: its runbook, whether it is running, interrupted or\n"
			       "ended, when it was resumed or rolled back, the counts, and one line per\n"
			       "target (outcome, ARN, execution, reason). --output json prints\n"
			       "{\"Fleet\": {...}}.\n\n"
			       "The state directory is --state-dir, else IRX_STATE_DIR, else\n"
			       "$XDG_STATE_HOME/irx, else ~/.local/state/irx.\n");
			return IRX_EXIT_OK;
		default:
			return IRX_EXIT_INVALID;
		}
	}
	if (optind >= argc) {
		irx_cli_error("show", "missing execution id (see 'irx executions')");
		return IRX_EXIT_INVALID;
	}
	if (optind + 1 < argc) {
		irx_cli_error("show", "unexpected argument '%s'", argv[optind + 1]);
		return IRX_EXIT_INVALID;
	}
	id = argv[optind];
	if (strncmp(id, IRX_FLEET_ID_PREFIX, strlen(IRX_FLEET_ID_PREFIX)) == 0) {
		state_dir = irx_state_dir_resolve(state_opt);
		if (!state_dir) {
			irx_cli_error("show",
				      "no state directory: use --state-dir or set IRX_STATE_DIR");
			return IRX_EXIT_INVALID;
		}
		rc = show_fleet(state_dir, id, json);
		free(state_dir);
		return rc;
	}
	if (!irx_execution_id_valid(id)) {
		irx_cli_error("show", "invalid execution id '%s' (expected a UUID such as "
				      "'0f8fad5b-d9cb-469f-a165-70867728950e')",
			      id);
		return IRX_EXIT_INVALID;
	}
	state_dir = irx_state_dir_resolve(state_opt);
	if (!state_dir) {
		irx_cli_error("show", "no state directory: use --state-dir or set IRX_STATE_DIR");
		return IRX_EXIT_INVALID;
	}
	/* Before reading: a run that ends in between is then seen as ended, not interrupted. */
	running = irx_journal_running(state_dir, id, &err);
	if (running < 0)
		goto fail;
	records = irx_journal_read(state_dir, id, &truncated, &err);
	if (!records)
		goto fail;
	if (truncated)
		irx_cli_error("show",
			      "warning: the journal '%s/executions/%s.jsonl' ends in a torn record "
			      "(the run was killed while writing it); showing the records before it",
			      state_dir, id);
	summary = irx_journal_summarise_state(records, running);
	if (!json_object_object_get_ex(summary, "AutomationExecutionId", NULL))
		json_object_object_add(summary, "AutomationExecutionId",
				       json_object_new_string(id));
	if (json) {
		doc = json_object_new_object();
		json_object_object_add(doc, "AutomationExecution", json_object_get(summary));
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_SPACED |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		irx_show_execution(stdout, summary);
	}
	rc = fflush(stdout) == 0 ? IRX_EXIT_OK : IRX_EXIT_INTERNAL;
	goto out;
fail:
	irx_cli_error("show", "%s", err.message);
	rc = exit_for(err.code);
out:
	json_object_put(doc);
	json_object_put(summary);
	json_object_put(records);
	free(state_dir);
	return rc;
}
