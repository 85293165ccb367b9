/* SPDX-License-Identifier: Apache-2.0 */
/* irx executions: the executions in the state directory, newest first, like
 * `aws ssm describe-automation-executions`; with --fleets, the fleets instead. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "error.h"
#include "fleet_journal.h"
#include "journal.h"
#include "show.h"
#include "util.h"

struct collect {
	char **ids;
	size_t count, cap;
};

static void collect_id(void *ud, const char *execution_id)
{
	struct collect *c = ud;

	if (c->count == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->ids = irx_xrealloc(c->ids, c->cap * sizeof(*c->ids));
	}
	c->ids[c->count++] = irx_xstrdup(execution_id);
}

/* One execution's metadata; an unreadable journal is listed, not skipped. */
static struct json_object *metadata_for(const char *state_dir, const char *id)
{
	struct irx_error err = {0};
	struct json_object *records = NULL, *summary = NULL, *meta = NULL;
	int truncated = 0;
	int running = irx_journal_running(state_dir, id, &err);

	if (running >= 0)
		records = irx_journal_read(state_dir, id, &truncated, &err);
	if (!records) {
		irx_cli_error("executions", "warning: %s", err.message);
		meta = json_object_new_object();
		json_object_object_add(meta, "AutomationExecutionId", json_object_new_string(id));
		json_object_object_add(meta, "AutomationExecutionStatus",
				       json_object_new_string("Unreadable"));
		json_object_object_add(meta, "FailureMessage", json_object_new_string(err.message));
		return meta;
	}
	summary = irx_journal_summarise_state(records, running);
	if (!json_object_object_get_ex(summary, "AutomationExecutionId", NULL))
		json_object_object_add(summary, "AutomationExecutionId",
				       json_object_new_string(id));
	meta = irx_show_metadata(summary);
	json_object_put(summary);
	json_object_put(records);
	return meta;
}

/* One fleet's description; an unreadable journal is listed, not skipped. */
static struct json_object *fleet_for(const char *state_dir, const char *id)
{
	struct irx_error err = {0};
	struct json_object *fleet = irx_fleet_describe(state_dir, id, &err);

	if (fleet) {
		/* the list says how many; 'irx show FLEET_ID' says which */
		json_object_object_del(fleet, "Executions");
		return fleet;
	}
	irx_cli_error("executions", "warning: %s", err.message);
	fleet = json_object_new_object();
	json_object_object_add(fleet, "FleetId", json_object_new_string(id));
	json_object_object_add(fleet, "Status", json_object_new_string("Unreadable"));
	json_object_object_add(fleet, "FailureMessage", json_object_new_string(err.message));
	return fleet;
}

static int parse_limit(const char *s, size_t *out)
{
	char *end = NULL;
	long long v = 0;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > INT_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

int irx_cmd_executions(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"limit", required_argument, NULL, 'n'},
		{"fleets", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct irx_error err = {0};
	struct collect ids = {0};
	struct json_object *list = NULL, *doc = NULL;
	const char *state_opt = NULL;
	char *state_dir = NULL;
	size_t limit = SIZE_MAX;
	bool json = false, fleets = false;
	int rc = IRX_EXIT_INVALID;
	int c = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:o:n:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fleets = true;
			break;
		case 's':
			state_opt = optarg;
			break;
		case 'o':
			if (irx_cli_parse_output(optarg, &json) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'n':
			if (parse_limit(optarg, &limit) < 0) {
				irx_cli_error("executions",
					      "invalid --limit '%s' (expected a positive integer)",
					      optarg);
				return IRX_EXIT_INVALID;
			}
			break;
		case 'h':
			printf("usage: irx executions [--state-dir DIR] [--output text|json] "
			       "[--limit N] [--fleets]\n\n"
			       "Lists executions, newest first: id, runbook, status, start time and\n"
			       "duration. --output json prints {\"AutomationExecutionMetadataList\": "
			       "[...]}\n"
			       "in the shape of `aws ssm describe-automation-executions`.\n"
			       "Status is InProgress while a run holds its journal, Interrupted when a\n"
			       "run stopped without finishing (killed, crashed).\n\n"
			       "--fleets lists the fleets ('irx run --targets') instead, newest first:\n"
			       "id, runbook, status (Running, Interrupted: 'irx resume' it, Ended),\n"
			       "start time, duration and the targets' outcomes; --output json prints\n"
			       "{\"Fleets\": [...]} ('irx show FLEET_ID --output json' without\n"
			       "Executions).\n");
			return IRX_EXIT_OK;
		default:
			return IRX_EXIT_INVALID;
		}
	}
	if (optind < argc) {
		irx_cli_error("executions", "unexpected argument '%s'", argv[optind]);
		return IRX_EXIT_INVALID;
	}
	state_dir = irx_state_dir_resolve(state_opt);
	if (!state_dir) {
		irx_cli_error("executions",
			      "no state directory: use --state-dir or set IRX_STATE_DIR");
		return IRX_EXIT_INVALID;
	}
	if ((fleets ? irx_fleet_list(state_dir, collect_id, &ids, &err)
		    : irx_journal_list(state_dir, collect_id, &ids, &err)) < 0) {
		irx_cli_error("executions", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	list = json_object_new_array();
	if (fleets) {
		for (size_t i = 0; i < ids.count && i < limit; i++)
			json_object_array_add(list, fleet_for(state_dir, ids.ids[i]));
		if (json) {
			doc = json_object_new_object();
			json_object_object_add(doc, "Fleets", json_object_get(list));
			printf("%s\n", json_object_to_json_string_ext(
					   doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		} else if (ids.count == 0) {
			fprintf(stderr, "irx executions: no fleets in %s\n", state_dir);
		} else {
			irx_show_fleets(stdout, list);
		}
		rc = fflush(stdout) == 0 ? IRX_EXIT_OK : IRX_EXIT_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < ids.count && i < limit; i++)
		json_object_array_add(list, metadata_for(state_dir, ids.ids[i]));
	if (json) {
		doc = json_object_new_object();
		json_object_object_add(doc, "AutomationExecutionMetadataList",
				       json_object_get(list));
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_SPACED |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (ids.count == 0) {
		fprintf(stderr, "irx executions: no executions in %s\n", state_dir);
	} else {
		irx_show_executions(stdout, list);
	}
	rc = fflush(stdout) == 0 ? IRX_EXIT_OK : IRX_EXIT_INTERNAL;
out:
	for (size_t i = 0; i < ids.count; i++)
		free(ids.ids[i]);
	free(ids.ids);
	json_object_put(doc);
	json_object_put(list);
	free(state_dir);
	return rc;
}
