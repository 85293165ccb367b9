/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx poll: run what the events on an SQS queue name (core/sqs_poll.c). Executions run in this
 * process (core/event_run.c), so every worker shares the loaded plugins and one AWS client for
 * the queue, and the message is deleted only after the execution's journal is written.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "aws/client.h"
#include "cli.h"
#include "config.h"
#include "diag.h"
#include "host.h"
#include "journal.h"
#include "plugins.h"
#include "sqs_poll.h"
#include "util.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void log_line(void *ud, const char *line)
{
	char now[32];

	(void)ud;
	irx_iso8601_now(now);
	fprintf(stderr, "irx poll: %s %s\n", now, line);
}

static void usage(FILE *out)
{
	fputs(
	    "usage: irx poll --queue URL [options]\n\n"
	    "Long-polls an SQS queue and runs what each message's event names (an SNS\n"
	    "notification from an SQS subscription, an EventBridge event, or any form\n"
	    "'irx run --event' reads), routed by the configuration. A message is deleted\n"
	    "once its executions are journaled; any number of workers on any number of\n"
	    "hosts may share a queue (use --dedupe-table). SIGTERM: stop receiving, finish\n"
	    "the running executions, exit.\n\n"
	    "  -q, --queue URL            the queue\n"
	    "  -w, --workers N            messages handled at once (1..64, default 1)\n"
	    "      --dedupe-table NAME    claim findings in this DynamoDB table (key 'pk', S)\n"
	    "                             instead of the local dedupe store\n"
	    "      --visibility S         visibility timeout, extended while running (default 60)\n"
	    "      --wait S               long-poll wait, 0..20 (default 20)\n"
	    "  -c, --config FILE          the configuration (IRX_CONFIG, ./irx.yaml, ...)\n"
	    "  -n, --dry-run              run every execution in dry-run\n"
	    "      --force-sample         contain entities of sample findings for real\n"
	    "      --region REGION        region for the queue and the table\n"
	    "      --profile NAME         AWS profile\n"
	    "      --role-arn ARN         assume this role for the executions' calls\n"
	    "      --external-id ID       ExternalId for --role-arn\n"
	    "      --state-dir DIR        where journals go\n"
	    "      --plugin-dir DIR       search DIR for plugins first (repeatable)\n",
	    out);
}

static int parse_int(const char *opt, const char *v, long lo, long hi, long *out)
{
	char *end = NULL;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < lo || n > hi) {
		irx_cli_error("poll", "%s must be %ld..%ld, got '%s'", opt, lo, hi, v);
		return -1;
	}
	*out = n;
	return 0;
}

int irx_cmd_poll(int argc, char **argv)
{
	enum {
		OPT_TABLE = 256,
		OPT_VIS,
		OPT_WAIT,
		OPT_FORCE,
		OPT_REGION,
		OPT_PROFILE,
		OPT_ROLE,
		OPT_EXT,
		OPT_STATE,
		OPT_PLUGIN
	};
	static const struct option opts[] = {
	    {"queue", required_argument, NULL, 'q'},
	    {"workers", required_argument, NULL, 'w'},
	    {"dedupe-table", required_argument, NULL, OPT_TABLE},
	    {"visibility", required_argument, NULL, OPT_VIS},
	    {"wait", required_argument, NULL, OPT_WAIT},
	    {"config", required_argument, NULL, 'c'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"force-sample", no_argument, NULL, OPT_FORCE},
	    {"region", required_argument, NULL, OPT_REGION},
	    {"profile", required_argument, NULL, OPT_PROFILE},
	    {"role-arn", required_argument, NULL, OPT_ROLE},
	    {"external-id", required_argument, NULL, OPT_EXT},
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"plugin-dir", required_argument, NULL, OPT_PLUGIN},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct irx_poll_options po = {0};
	struct irx_cli_common common = {0};
	struct irx_aws_client_options co = {0};
	struct irx_poll_stats st = {0};
	struct irx_diags diags = {0};
	struct irx_error err = {0};
	struct irx_config *cfg = NULL;
	struct irx_plugins *plugins = NULL;
	struct irx_actions *actions = NULL;
	struct irx_aws_client *aws = NULL;
	struct sigaction sa = {0};
	const char *config = NULL, *dirs[64];
	char *dir_store = NULL, *state_dir = NULL;
	size_t ndirs = 0;
	long n = 0;
	int c = 0, rc = IRX_EXIT_INVALID;

	po.wait_s = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "q:w:c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			po.queue_url = optarg;
			break;
		case 'w':
			if (parse_int("--workers", optarg, 1, IRX_POLL_MAX_WORKERS, &n) < 0)
				return IRX_EXIT_INVALID;
			po.workers = (size_t)n;
			break;
		case OPT_TABLE:
			po.dedupe_table = optarg;
			break;
		case OPT_VIS:
			if (parse_int("--visibility", optarg, 1, 43200, &n) < 0)
				return IRX_EXIT_INVALID;
			po.visibility_s = (int)n;
			break;
		case OPT_WAIT:
			if (parse_int("--wait", optarg, 0, 20, &n) < 0)
				return IRX_EXIT_INVALID;
			po.wait_s = (int)n;
			break;
		case 'c':
			config = optarg;
			break;
		case 'n':
			po.run.dry_run = true;
			break;
		case OPT_FORCE:
			po.run.force_sample = true;
			break;
		case OPT_REGION:
			po.run.aws.region = optarg;
			break;
		case OPT_PROFILE:
			po.run.aws.profile = optarg;
			break;
		case OPT_ROLE:
			po.run.aws.role_arn = optarg;
			break;
		case OPT_EXT:
			po.run.aws.external_id = optarg;
			break;
		case OPT_STATE:
			common.state_dir = optarg;
			break;
		case OPT_PLUGIN:
			if (irx_cli_add_plugin_dir(&common, "poll", optarg) < 0)
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
	if (optind < argc) {
		irx_cli_error("poll", "unexpected argument '%s'", argv[optind]);
		return IRX_EXIT_INVALID;
	}
	if (!po.queue_url) {
		irx_cli_error("poll", "no --queue given; see 'irx poll --help'");
		return IRX_EXIT_INVALID;
	}
	if (!(cfg = irx_config_open(config, &diags))) {
		irx_diags_print(&diags, stderr);
		irx_cli_error("poll", "the configuration is not valid");
		goto out;
	}
	if (!po.run.aws.region)
		po.run.aws.region = cfg->default_region;
	co.region = po.run.aws.region;
	co.profile = po.run.aws.profile;
	if (!(aws = irx_aws_client_new(&co, &err))) {
		irx_cli_error("poll", "%s", err.message);
		goto out;
	}
	state_dir = irx_state_dir_resolve(common.state_dir ? common.state_dir : cfg->state_dir);
	ndirs = irx_cli_plugin_path(&common, dirs, 64, &dir_store);
	plugins = irx_plugins_new(dirs, ndirs, irx_host_table(true));
	actions = irx_actions_new(plugins);
	po.cfg = cfg;
	po.actions = actions;
	po.aws = aws;
	po.receive_client = &co;
	po.run.state_dir = state_dir;
	po.run.log = log_line;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	log_line(NULL, "polling");
	if (irx_poll_run(&po, &g_stop, &st, &err) < 0) {
		irx_cli_error("poll", "%s", err.message);
		goto out;
	}
	fprintf(stderr,
		"irx poll: stopped: %lu received, %lu deleted (%lu duplicates), %lu executions "
		"(%lu not Success), %lu invalid, %lu left for redelivery, %lu handed back, %lu "
		"errors\n",
		st.received, st.deleted, st.duplicates, st.executed, st.failed, st.invalid,
		st.retried, st.released, st.errors);
	rc = IRX_EXIT_OK;
out:
	irx_actions_free(actions);
	irx_plugins_free(plugins);
	irx_aws_client_free(aws);
	irx_config_free(cfg);
	irx_diags_release(&diags);
	free(state_dir);
	free(dir_store);
	return rc;
}
