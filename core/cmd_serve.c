/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx serve: the SNS HTTP endpoint (core/serve.c). Each accepted notification
 * is written to <state-dir>/serve/inbox/<MessageId>.json and handed to
 * `irx run [ARGS after --] --event FILE` (this binary), one child per
 * notification, at most --workers at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "journal.h"
#include "serve.h"
#include "sns_verify.h"
#include "util.h"

extern char **environ;

#define MAX_TOPICS 64
#define MAX_RUN_ARGS 64

struct dispatch_ctx {
	char *inbox;
	const char *run_args[MAX_RUN_ARGS];
	size_t run_arg_count;
};

static struct irx_serve *g_server;

static void on_signal(int sig)
{
	(void)sig;
	if (g_server)
		irx_serve_stop(g_server);
}

static void log_line(void *ud, const char *line)
{
	char now[32];

	(void)ud;
	irx_iso8601_now(now);
	fprintf(stderr, "irx serve: %s %s\n", now, line);
}

/* The default dispatcher: spool the message, run `irx run --event FILE` on it. */
static void run_dispatch(void *ud, const struct irx_sns_message *m)
{
	struct dispatch_ctx *d = ud;
	const char *argv[MAX_RUN_ARGS + 5] = {0};
	char name[80] = "", *path = NULL;
	const char *json = json_object_to_json_string_ext(m->root, JSON_C_TO_STRING_PLAIN);
	size_t n = 0, len = strlen(json);
	pid_t pid = 0;
	int fd = -1, status = 0;

	/* the MessageId names the file; anything outside [A-Za-z0-9-] is replaced */
	for (size_t i = 0; m->message_id[i] && i < sizeof(name) - 1; i++) {
		char c = m->message_id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-';

		name[i] = ok ? c : '_';
	}
	path = irx_xasprintf("%s/%s.json", d->inbox, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, json, len) != (ssize_t)len || fsync(fd) < 0) {
		log_line(NULL, "cannot spool a notification");
		fprintf(stderr, "irx serve: cannot write '%s': %s\n", path, strerror(errno));
		goto out;
	}
	argv[n++] = "irx";
	argv[n++] = "run";
	for (size_t i = 0; i < d->run_arg_count; i++)
		argv[n++] = d->run_args[i];
	argv[n++] = "--event";
	argv[n++] = path;
	if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, (char *const *)argv, environ) != 0) {
		fprintf(stderr, "irx serve: cannot start irx run for '%s': %s\n", path,
			strerror(errno));
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	fprintf(stderr, "irx serve: message '%s' from '%s': irx run exited with status %d\n",
		m->message_id, m->topic_arn,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
out:
	if (fd >= 0)
		close(fd);
	free(path);
}

static void usage(FILE *f)
{
	fputs("usage: irx serve --topic ARN [--topic ARN...] [options] [-- RUN-ARGS...]\n"
	      "\n"
	      "An HTTP endpoint for SNS HTTP/HTTPS subscriptions. Every message's signature is\n"
	      "verified; subscriptions to allowed topics are confirmed; notifications are run\n"
	      "with `irx run RUN-ARGS --event FILE`. Plain HTTP: put a TLS-terminating reverse\n"
	      "proxy in front for an HTTPS subscription.\n"
	      "\n"
	      "  --listen ADDR:PORT      address to listen on (default 127.0.0.1:8080)\n"
	      "  --topic ARN             an allowed TopicArn (repeatable, at least one)\n"
	      "  --external-id VALUE     require this ExternalId message attribute\n"
	      "                          (or set IRX_SERVE_EXTERNAL_ID, which keeps it out of ps)\n"
	      "  --external-id-attribute NAME  the attribute holding it (default ExternalId)\n"
	      "  --workers N             notifications run at once (default 2)\n"
	      "  --queue N               notifications waiting before 503 (default 64)\n"
	      "  --max-connections N     open connections before 503 (default 64)\n"
	      "  --max-age SECONDS       refuse older messages (default 3600, 0: off)\n"
	      "  --ca-file FILE          trust store for signing certificates (default: system)\n"
	      "  --intermediates FILE    intermediate certificates for the chain (PEM)\n"
	      "  --state-dir DIR         state directory (inbox, certificate cache)\n",
	      f);
}

enum {
	OPT_LISTEN = 256,
	OPT_TOPIC,
	OPT_EXT,
	OPT_EXT_ATTR,
	OPT_WORKERS,
	OPT_QUEUE,
	OPT_CONNS,
	OPT_AGE,
	OPT_CA,
	OPT_INTER,
	OPT_STATE
};

static int parse_count(const char *opt, const char *v, long long max, long long *out)
{
	char *end = NULL;
	long long n = 0;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < 0 || n > max) {
		irx_cli_error("serve", "%s '%s' is not a number from 0 to %lld", opt, v, max);
		return -1;
	}
	*out = n;
	return 0;
}

int irx_cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"topic", required_argument, NULL, OPT_TOPIC},
	    {"external-id", required_argument, NULL, OPT_EXT},
	    {"external-id-attribute", required_argument, NULL, OPT_EXT_ATTR},
	    {"workers", required_argument, NULL, OPT_WORKERS},
	    {"queue", required_argument, NULL, OPT_QUEUE},
	    {"max-connections", required_argument, NULL, OPT_CONNS},
	    {"max-age", required_argument, NULL, OPT_AGE},
	    {"ca-file", required_argument, NULL, OPT_CA},
	    {"intermediates", required_argument, NULL, OPT_INTER},
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *topics[MAX_TOPICS] = {0}, *state_opt = NULL;
	struct irx_serve_options so = {0};
	struct irx_sns_verifier_options vo = {0};
	struct irx_sns_verifier *v = NULL;
	struct dispatch_ctx d = {0};
	struct irx_error err = {0};
	struct sigaction sa = {0};
	char *state_dir = NULL, *cert_dir = NULL;
	long long n = 0, max_age = 3600;
	int c = 0, rc = IRX_EXIT_INVALID;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			so.listen = optarg;
			break;
		case OPT_TOPIC:
			if (so.topic_count == MAX_TOPICS) {
				irx_cli_error("serve", "at most %d topics", MAX_TOPICS);
				goto out;
			}
			topics[so.topic_count++] = optarg;
			break;
		case OPT_EXT:
			so.external_id = optarg;
			break;
		case OPT_EXT_ATTR:
			so.external_id_attribute = optarg;
			break;
		case OPT_WORKERS:
			if (parse_count("--workers", optarg, 256, &n) < 0)
				goto out;
			so.workers = (size_t)n;
			break;
		case OPT_QUEUE:
			if (parse_count("--queue", optarg, 100000, &n) < 0)
				goto out;
			so.queue_max = (size_t)n;
			break;
		case OPT_CONNS:
			if (parse_count("--max-connections", optarg, 10000, &n) < 0)
				goto out;
			so.max_connections = (size_t)n;
			break;
		case OPT_AGE:
			if (parse_count("--max-age", optarg, 31536000, &max_age) < 0)
				goto out;
			break;
		case OPT_CA:
			vo.ca_file = optarg;
			break;
		case OPT_INTER:
			vo.intermediates_file = optarg;
			break;
		case OPT_STATE:
			state_opt = optarg;
			break;
		case 'h':
			usage(stdout);
			rc = IRX_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (d.run_arg_count == MAX_RUN_ARGS) {
			irx_cli_error("serve", "at most %d arguments for irx run", MAX_RUN_ARGS);
			goto out;
		}
		d.run_args[d.run_arg_count++] = argv[i];
	}
	if (so.topic_count == 0) {
		irx_cli_error("serve", "no topic is allowed: give at least one --topic ARN");
		goto out;
	}
	if (!so.external_id && getenv("IRX_SERVE_EXTERNAL_ID") && *getenv("IRX_SERVE_EXTERNAL_ID"))
		so.external_id = getenv("IRX_SERVE_EXTERNAL_ID");
	state_dir = irx_state_dir_resolve(state_opt);
	if (!state_dir) {
		irx_cli_error("serve", "cannot find a state directory; use --state-dir");
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	cert_dir = irx_xasprintf("%s/serve/sns-certs", state_dir);
	d.inbox = irx_xasprintf("%s/serve/inbox", state_dir);
	vo.cache_dir = cert_dir;
	v = irx_sns_verifier_new(&vo, &err);
	if (!v) {
		irx_cli_error("serve", "%s", err.message);
		goto out;
	}
	if (mkdir(d.inbox, 0700) < 0 && errno != EEXIST) {
		irx_cli_error("serve", "cannot create '%s': %s", d.inbox, strerror(errno));
		rc = IRX_EXIT_INTERNAL;
		goto out;
	}
	so.topics = topics;
	so.verifier = v;
	so.max_age_s = max_age;
	so.dispatch = run_dispatch;
	so.dispatch_ud = &d;
	so.log = log_line;
	g_server = irx_serve_new(&so, &err);
	if (!g_server) {
		irx_cli_error("serve", "%s", err.message);
		rc = err.code == IRX_ERR_INVALID ? IRX_EXIT_INVALID : IRX_EXIT_INTERNAL;
		goto out;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "irx serve: listening on %s port %d (plain http; terminate TLS in front)\n",
		so.listen ? so.listen : "127.0.0.1:8080", irx_serve_port(g_server));
	if (irx_serve_run(g_server, &err) < 0) {
		irx_cli_error("serve", "%s", err.message);
		rc = IRX_EXIT_INTERNAL;
	} else {
		rc = IRX_EXIT_OK;
	}
	fputs("irx serve: stopping; running what is queued\n", stderr);
out:
	irx_serve_free(g_server);
	g_server = NULL;
	irx_sns_verifier_free(v);
	free(d.inbox);
	free(cert_dir);
	free(state_dir);
	return rc;
}
