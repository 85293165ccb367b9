/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx config check [FILE]: validate a configuration, every problem as file:line:col.
 * irx config show [--config FILE] [--output json]: the effective configuration (defaults
 * filled in, role templates expanded, the default routing rules listed), secrets redacted.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "diag.h"
#include "events.h"
#include "util.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: irx config check [--config FILE] [FILE]\n"
		"       irx config show [--config FILE] [--output text|json]\n"
		"\n"
		"check  validates the configuration; each problem is printed as file:line:col.\n"
		"show   prints the effective configuration with secrets redacted.\n"
		"\n"
		"The file: FILE or --config, else IRX_CONFIG, ./irx.yaml,\n"
		"$XDG_CONFIG_HOME/irx/config.yaml, /etc/irx/config.yaml (the first that exists).\n"
		"Without any, show prints the built-in configuration (the default routing rules).\n"
		"\n"
		"Exit status: 0 valid, 2 invalid, 3 no configuration file found (check).\n");
}

static void print_text(const struct irx_config *c, const struct json_object *j)
{
	struct json_object *accounts = NULL, *rules = NULL, *x = NULL;

	printf("configuration: %s\n", c->path ? c->path : "(built-in: no file)");
	printf("defaults: region %s, case id prefix %s, state dir %s\n",
	       c->default_region ? c->default_region : "-",
	       c->case_id_prefix ? c->case_id_prefix : "-", c->state_dir ? c->state_dir : "-");
	printf("exceptions: tag key %s, registry %s\n", c->exception_tag,
	       c->exception_registry ? c->exception_registry : "none");
	printf("events: sns external id %s, dedupe window %llds, default rules %s\n",
	       c->sns_external_id ? "(redacted)" : "not set", c->dedupe_window_s,
	       c->default_rules ? "on" : "off");
	json_object_object_get_ex(j, "accounts", &accounts);
	printf("accounts: %zu\n", json_object_array_length(accounts));
	for (size_t i = 0; i < json_object_array_length(accounts); i++) {
		struct json_object *a = json_object_array_get_idx(accounts, i), *v = NULL;

		json_object_object_get_ex(a, "regions", &v);
		printf("  %s %s\n    regions: %s\n", c->accounts[i].id,
		       c->accounts[i].name ? c->accounts[i].name : "",
		       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		json_object_object_get_ex(a, "role_chain", &v);
		printf("    role: %s\n",
		       json_object_array_length(v)
			   ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE)
			   : "(the caller's credentials)");
		printf("    external id: %s\n",
		       irx_config_external_id(c, c->accounts[i].id) ? "(redacted)" : "none");
		if (c->accounts[i].session_tag_count) {
			json_object_object_get_ex(a, "session_tags", &v);
			printf("    session tags: %s\n",
			       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		}
	}
	printf("notifications: %zu\n", c->channel_count);
	for (size_t i = 0; i < c->channel_count; i++) {
		const struct irx_config_channel *ch = &c->channels[i];

		if (ch->type == IRX_CHANNEL_SNS)
			printf("  %s: sns %s\n", ch->name, ch->topic_arn);
		else if (ch->type == IRX_CHANNEL_SLACK)
			printf("  %s: slack, webhook URL from %s %s\n", ch->name,
			       ch->webhook_env ? "environment" : "SSM parameter",
			       ch->webhook_env ? ch->webhook_env : ch->webhook_ssm);
		else
			printf("  %s: webhook, URL %s%s%s\n", ch->name,
			       ch->url	     ? "in the file (path redacted)"
			       : ch->url_env ? "from environment "
					     : "from SSM parameter ",
			       ch->url_env   ? ch->url_env
			       : ch->url_ssm ? ch->url_ssm
					     : "",
			       ch->secret_env || ch->secret_ssm ? ", signed" : "");
	}
	json_object_object_get_ex(j, "routing", &rules);
	printf("routing (first match wins): %zu rules\n", json_object_array_length(rules));
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		struct json_object *r = json_object_array_get_idx(rules, i);

		json_object_object_get_ex(r, "match", &x);
		printf("  %-20s -> %-24s %s%s%s\n", c->rules[i].name, c->rules[i].runbook,
		       json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE),
		       c->rules[i].dry_run ? " (dry-run)" : "",
		       c->rules[i].builtin ? " (default)" : "");
	}
	printf("schedules: %zu\n", c->schedule_count);
	for (size_t i = 0; i < c->schedule_count; i++)
		printf("  %s: '%s' %s%s\n", c->schedules[i].name, c->schedules[i].cron,
		       c->schedules[i].scenario, c->schedules[i].enabled ? "" : " (disabled)");
}

int irx_cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct irx_diags diags = {0};
	struct irx_config *cfg = NULL;
	struct json_object *j = NULL;
	const char *explicit_path = NULL, *sub = NULL;
	char *path = NULL;
	bool json = false;
	int c = 0, rc = IRX_EXIT_INVALID;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? IRX_EXIT_INVALID : IRX_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "check") != 0 && strcmp(sub, "show") != 0) {
		irx_cli_error("config", "unknown subcommand '%s' (check or show)", sub);
		return IRX_EXIT_INVALID;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			explicit_path = optarg;
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
	if (optind < argc - 1) {
		if (strcmp(sub, "check") != 0 || explicit_path || optind + 1 < argc - 1) {
			irx_cli_error("config", "unexpected argument '%s'", argv[1 + optind]);
			return IRX_EXIT_INVALID;
		}
		explicit_path = argv[1 + optind];
	}
	path = irx_config_find(explicit_path);
	if (!path && strcmp(sub, "check") == 0) {
		irx_cli_error(
		    "config",
		    "no configuration file found (--config, IRX_CONFIG, "
		    "./irx.yaml, $XDG_CONFIG_HOME/irx/config.yaml, /etc/irx/config.yaml)");
		return IRX_EXIT_NOT_FOUND;
	}
	cfg = path ? irx_config_load(path, &diags) : irx_config_builtin();
	if (!cfg) {
		irx_diags_print(&diags, stderr);
		fprintf(stderr, "irx config: '%s' is not valid (%zu problem%s)\n", path,
			diags.count, diags.count == 1 ? "" : "s");
		goto out;
	}
	rc = IRX_EXIT_OK;
	if (strcmp(sub, "check") == 0) {
		printf("%s: valid (%zu account%s, %zu routing rule%s, %zu schedule%s)\n", path,
		       cfg->account_count, cfg->account_count == 1 ? "" : "s", cfg->rule_count,
		       cfg->rule_count == 1 ? "" : "s", cfg->schedule_count,
		       cfg->schedule_count == 1 ? "" : "s");
		goto out;
	}
	j = irx_config_json(cfg, true);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(
				   j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_text(cfg, j);
out:
	json_object_put(j);
	irx_config_free(cfg);
	irx_diags_release(&diags);
	free(path);
	return rc;
}
