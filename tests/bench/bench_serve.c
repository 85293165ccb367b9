/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `irx serve` benchmark (make bench, driven by tools/bench):
 *   bench_serve BUILD_DIR SRC_DIR WORK_DIR SECONDS
 * starts a real `BUILD_DIR/irx serve --listen 127.0.0.1:0` and POSTs signed SNS Notifications to
 * it from 1 and 4 client threads, SECONDS per figure, printing JSON: messages per second, p50
 * and p99 latency (connect to the last byte of the answer) and the server's own CPU time per
 * message (/proc/PID/stat).
 *
 * Messages are signed like tests/unit/test_serve.c does, with the TEST-ONLY key of
 * tests/vectors/sns/constructed/ (a self-signed CN=sns.amazonaws.com certificate, given to serve
 * as --ca-file, so the chain is checked as in production). The Message is the constructed
 * GuardDuty event of that folder (2.3 KB, the size of a real finding), with the ExternalId and
 * EntityArn attributes an entity message carries.
 *
 * No network: the certificate is seeded into serve's cache (STATE/serve/sns-certs/<sha256 of the
 * URL>.pem), and serve runs with https_proxy pointing at 127.0.0.1:9, so a cache miss could only
 * fail, never reach AWS. The first-message figure is therefore the cost of loading and
 * validating a cached certificate (a restart), not of downloading it.
 *
 * Dispatch: serve hands each accepted notification to `irx run --config CFG --event FILE`, with
 * a configuration whose routing matches nothing (the entity is parsed and routed; no runbook,
 * no AWS call). The steady-state figures keep dispatch out of the measurement: KEEP messages are
 * accepted (and dispatched) once, then re-sent. Every re-sent message is parsed, its topic,
 * certificate, signature, age and ExternalId checked exactly as a new one, and only then is it
 * answered 200 "duplicate message, already accepted" instead of being queued. A separate figure
 * sends new MessageIds, so each accepted one is spooled and runs `irx run`.
 *
 * Note: serve answers every request with "Connection: close" (one thread per connection), so a
 * "client" is a sequence of connections, not a kept-alive one.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "sns_verify.h"
#include "util.h"

extern char **environ;

#define CONS "tests/vectors/sns/constructed/"
#define TOPIC "arn:aws:sns:us-east-1:123456789012:ir-findings"
#define OTHER_TOPIC "arn:aws:sns:us-east-1:123456789012:not-allowed"
#define CERT_URL "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-bench.pem"
#define FIRST_URL "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-bench-%02d.pem"
#define XID "bench-external-id-7f3a"
#define ENTITY "arn:aws:iam::123456789012:user/bench"
#define KEEP 16		/* distinct messages the steady phases cycle through */
#define FIRST 32	/* certificate URLs for the first-message figure */
#define DISPATCHED 2000 /* new messages for the dispatched figure */
#define MAX_CLIENTS 8

static EVP_PKEY *g_key;
static char *g_message; /* the GuardDuty event */
static const char *g_src;
static int g_port;
static pid_t g_serve; /* stopped by die() too: never left running */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *rel)
{
	char *path = irx_xasprintf("%s/%s", g_src, rel), *text = NULL;
	size_t len = 0;

	if (irx_read_file(path, 1 << 20, &text, &len) < 0) {
		fprintf(stderr, "bench_serve: cannot read %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(path);
	return text;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_serve: %s\n", what);
	if (g_serve > 0) {
		kill(g_serve, SIGTERM);
		waitpid(g_serve, NULL, 0);
	}
	exit(1);
}

/* ---- messages ---------------------------------------------------------------------------- */

enum kind { VALID, TAMPERED };

/* A whole HTTP request carrying a Notification signed with the TEST-ONLY key. */
static char *signed_request(const char *id, const char *topic, const char *url, const char *version,
			    enum kind kind)
{
	struct json_object *o = json_object_new_object(), *attrs = json_object_new_object();
	struct json_object *a = NULL;
	struct irx_sns_message m = {0};
	struct irx_error err = {0};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[512], b64[1024];
	size_t sig_len = sizeof(sig);
	char ts[32], *tbs = NULL, *req = NULL;
	const char *body = NULL;

	irx_iso8601_now(ts);
	json_object_object_add(o, "Type", json_object_new_string("Notification"));
	json_object_object_add(o, "MessageId", json_object_new_string(id));
	json_object_object_add(o, "TopicArn", json_object_new_string(topic));
	json_object_object_add(o, "Subject", json_object_new_string("GuardDuty finding"));
	json_object_object_add(o, "Message", json_object_new_string(g_message));
	json_object_object_add(o, "Timestamp", json_object_new_string(ts));
	a = json_object_new_object();
	json_object_object_add(a, "Type", json_object_new_string("String"));
	json_object_object_add(a, "Value", json_object_new_string(XID));
	json_object_object_add(attrs, "ExternalId", a);
	a = json_object_new_object();
	json_object_object_add(a, "Type", json_object_new_string("String"));
	json_object_object_add(a, "Value", json_object_new_string(ENTITY));
	json_object_object_add(attrs, "EntityArn", a);
	json_object_object_add(o, "MessageAttributes", attrs);
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (irx_sns_message_parse(body, strlen(body), &m, &err) < 0 ||
	    !(tbs = irx_sns_string_to_sign(&m, &err)))
		die(err.message);
	irx_sns_message_release(&m);
	if (!ctx ||
	    EVP_DigestSignInit(ctx, NULL, strcmp(version, "1") == 0 ? EVP_sha1() : EVP_sha256(),
			       NULL, g_key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)tbs, strlen(tbs)) != 1)
		die("cannot sign a message");
	EVP_EncodeBlock(b64, sig, (int)sig_len);
	json_object_object_add(o, "SignatureVersion", json_object_new_string(version));
	json_object_object_add(o, "Signature", json_object_new_string((const char *)b64));
	json_object_object_add(o, "SigningCertURL", json_object_new_string(url));
	if (kind == TAMPERED) /* after signing: what an attacker changing the event would send */
		json_object_object_add(o, "Subject", json_object_new_string("GuardDuty findinG"));
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	req = irx_xasprintf("POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			    "x-amz-sns-message-type: Notification\r\n"
			    "x-amz-sns-message-id: %s\r\n"
			    "Content-Type: text/plain; charset=UTF-8\r\n"
			    "User-Agent: Amazon Simple Notification Service Agent\r\n"
			    "Content-Length: %zu\r\n\r\n%s",
			    g_port, id, strlen(body), body);
	json_object_put(o);
	EVP_MD_CTX_free(ctx);
	free(tbs);
	return req;
}

/* ---- the client -------------------------------------------------------------------------- */

/* One request on a new connection; sets *status and the answer's text. Returns 0 or -1. */
static int exchange(const char *req, int *status, char *text, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)g_port)};
	struct timeval tv = {.tv_sec = 30}; /* serve's own limit is 10 s */
	char buf[4096];
	size_t len = strlen(req), off = 0, have = 0;
	const char *body = NULL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	for (;;) { /* serve closes the connection after its answer */
		ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0 || have + (size_t)n == sizeof(buf) - 1) {
			have += (size_t)n;
			break;
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
	if (sscanf(buf, "HTTP/1.1 %d", status) != 1)
		goto out;
	body = strstr(buf, "\r\n\r\n");
	snprintf(text, cap, "%s", body ? body + 4 : "");
	text[strcspn(text, "\n")] = '\0';
	rc = 0;
out:
	close(fd);
	return rc;
}

struct expect {
	int status;
	const char *text;
};

struct client {
	char **reqs;
	size_t nreq, next;
	size_t max_count; /* 0: until the deadline */
	double deadline;
	const struct expect *want; /* want[0], or want[1] when its status is not 0 */
	double *lat_us;
	size_t n, cap;
	size_t counts[2], bad;
	char first_bad[256];
};

static void *client_main(void *ud)
{
	struct client *c = ud;

	while (c->max_count ? c->n < c->max_count : now_s() < c->deadline) {
		char text[256] = "";
		int status = 0, which = -1;
		double t0 = now_s();
		int rc = exchange(c->reqs[c->next], &status, text, sizeof(text));
		double t1 = now_s();

		c->next = (c->next + 1) % c->nreq;
		for (int i = 0; i < 2 && rc == 0 && which < 0; i++)
			if (c->want[i].status && status == c->want[i].status &&
			    strcmp(text, c->want[i].text) == 0)
				which = i;
		if (which < 0) {
			if (c->bad++ == 0)
				snprintf(c->first_bad, sizeof(c->first_bad), "%s",
					 rc < 0 ? "connection failed" : text);
		} else {
			c->counts[which]++;
		}
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 4096;
			c->lat_us = irx_xrealloc(c->lat_us, c->cap * sizeof(double));
		}
		c->lat_us[c->n++] = (t1 - t0) * 1e6;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The server's own CPU time so far (every thread; children not included), seconds. */
static double server_cpu(pid_t pid)
{
	char path[64], buf[2048];
	unsigned long ut = 0, st = 0;
	const char *p = NULL;
	FILE *f = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* fields after the command name: state is field 3 */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Runs clients threads over reqs (each from its own offset); adds one JSON figure to out. */
static struct json_object *phase(pid_t pid, char **reqs, size_t nreq, int clients, double secs,
				 size_t count, const struct expect want[2])
{
	struct client c[MAX_CLIENTS];
	pthread_t t[MAX_CLIENTS];
	struct json_object *r = json_object_new_object();
	double *all = NULL, t0 = 0, wall = 0, cpu0 = server_cpu(pid);
	size_t total = 0, bad = 0, counts[2] = {0, 0};
	const char *first_bad = NULL;

	memset(c, 0, sizeof(c));
	t0 = now_s();
	for (int i = 0; i < clients; i++) {
		c[i].reqs = reqs;
		c[i].nreq = nreq;
		c[i].next = (size_t)i * nreq / (size_t)clients;
		c[i].max_count = count / (size_t)clients;
		c[i].deadline = t0 + secs;
		c[i].want = want;
		if (pthread_create(&t[i], NULL, client_main, &c[i]) != 0)
			die("cannot start a client thread");
	}
	for (int i = 0; i < clients; i++)
		pthread_join(t[i], NULL);
	wall = now_s() - t0;
	for (int i = 0; i < clients; i++)
		total += c[i].n;
	all = irx_xcalloc(total ? total : 1, sizeof(double));
	total = 0;
	for (int i = 0; i < clients; i++) {
		memcpy(all + total, c[i].lat_us, c[i].n * sizeof(double));
		total += c[i].n;
		bad += c[i].bad;
		counts[0] += c[i].counts[0];
		counts[1] += c[i].counts[1];
		if (c[i].bad && !first_bad)
			first_bad = c[i].first_bad;
	}
	qsort(all, total, sizeof(double), cmp_double);
	json_object_object_add(r, "clients", json_object_new_int(clients));
	json_object_object_add(r, "messages", json_object_new_int64((int64_t)total));
	json_object_object_add(r, "seconds", json_object_new_double(wall));
	json_object_object_add(r, "per_second", json_object_new_double((double)total / wall));
	json_object_object_add(r, "p50_ms",
			       json_object_new_double(total ? all[total / 2] / 1000.0 : 0));
	json_object_object_add(r, "p99_ms",
			       json_object_new_double(total ? all[total * 99 / 100] / 1000.0 : 0));
	json_object_object_add(r, "max_ms",
			       json_object_new_double(total ? all[total - 1] / 1000.0 : 0));
	json_object_object_add(
	    r, "server_cpu_us_per_msg",
	    json_object_new_double(total ? (server_cpu(pid) - cpu0) * 1e6 / (double)total : 0));
	json_object_object_add(r, "expected", json_object_new_int64((int64_t)counts[0]));
	json_object_object_add(r, "expected_alt", json_object_new_int64((int64_t)counts[1]));
	json_object_object_add(r, "unexpected", json_object_new_int64((int64_t)bad));
	if (first_bad)
		json_object_object_add(r, "first_unexpected", json_object_new_string(first_bad));
	for (int i = 0; i < clients; i++)
		free(c[i].lat_us);
	free(all);
	return r;
}

/* ---- the server -------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) < 0) {
		fprintf(stderr, "bench_serve: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Seeds serve's certificate cache the way it names files: the SHA-256 of the URL, in hex. */
static void seed_cert(const char *cache_dir, const char *url, const char *pem)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], *path = NULL;

	SHA256((const unsigned char *)url, strlen(url), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	path = irx_xasprintf("%s/%s.pem", cache_dir, hex);
	write_file(path, pem, 0600);
	free(path);
}

/* Counts lines containing needle in the log from offset on. */
static size_t log_count(const char *log, long offset, const char *needle, size_t *nonzero)
{
	FILE *f = fopen(log, "r");
	char line[1024];
	size_t n = 0;

	if (nonzero)
		*nonzero = 0;
	if (!f)
		return 0;
	fseek(f, offset, SEEK_SET);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, needle);

		if (!p)
			continue;
		n++;
		if (nonzero && atoi(p + strlen(needle)) != 0)
			(*nonzero)++;
	}
	fclose(f);
	return n;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

#define EXITED "irx run exited with status "

/* Waits for want dispatches (log lines after offset); returns the time they took, -1 if not. */
static double wait_dispatched(const char *log, long offset, size_t want, double t0, size_t *nonzero)
{
	while (log_count(log, offset, EXITED, nonzero) < want) {
		if (now_s() - t0 > 300)
			return -1;
		usleep(20000);
	}
	return now_s() - t0;
}

static pid_t start_serve(const char *build, const char *dir, const char *state, const char *log)
{
	char *irx = irx_xasprintf("%s/irx", build),
	     *ca = irx_xasprintf("%s/" CONS "TEST-ONLY-SimpleNotificationService-test.pem", g_src);
	char *cfg = irx_xasprintf("%s/irx.yaml", dir);
	const char *argv[] = {irx,	     "serve",	    "--listen",	 "127.0.0.1:0",
			      "--topic",     TOPIC,	    "--ca-file", ca,
			      "--state-dir", state,	    "--",	 "--config",
			      cfg,	     "--state-dir", state,	 NULL};
	/* a certificate cache miss must not leave the machine: every proxy is a closed port */
	static const char *const extra[] = {
	    "https_proxy=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9",
	    "ALL_PROXY=http://127.0.0.1:9", "IRX_SERVE_EXTERNAL_ID=" XID};
	size_t n = 0, envc = 0;
	const char **envp = NULL;
	posix_spawn_file_actions_t fa;
	pid_t pid = 0;
	char *text = NULL;
	size_t len = 0;

	write_file(cfg,
		   "version: 1\n"
		   "events:\n"
		   "  external_id: " XID "\n"
		   "  default_rules: false   # and no routing: every entity routes to nothing\n",
		   0600);
	while (environ[envc])
		envc++;
	envp = irx_xcalloc(envc + 6, sizeof(char *));
	for (size_t i = 0; i < envc; i++)
		if (strncasecmp(environ[i], "https_proxy=", 12) != 0 &&
		    strncasecmp(environ[i], "all_proxy=", 10) != 0 &&
		    strncasecmp(environ[i], "no_proxy=", 9) != 0 &&
		    strncmp(environ[i], "IRX_SERVE_EXTERNAL_ID=", 22) != 0)
			envp[n++] = environ[i];
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		envp[n++] = extra[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
					 0600);
	if (posix_spawn(&pid, irx, &fa, NULL, (char *const *)argv, (char *const *)envp) != 0)
		die("cannot start irx serve");
	g_serve = pid;
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 1000 && !g_port; i++) { /* "listening on 127.0.0.1:0 port N" */
		const char *p = NULL;

		usleep(10000);
		if (irx_read_file(log, 1 << 16, &text, &len) == 0 && (p = strstr(text, " port ")))
			g_port = atoi(p + 6);
		free(text);
		text = NULL;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			g_serve = 0;
			die("irx serve exited at start (see its log)");
		}
	}
	if (!g_port)
		die("irx serve did not say its port");
	free(envp);
	free(cfg);
	free(ca);
	free(irx);
	return pid;
}

/* ---- the figures ------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct expect dup[2] = {{200, "duplicate message, already accepted"}, {0, ""}};
	static const struct expect accepted[2] = {{200, "accepted"}, {0, ""}};
	static const struct expect forged[2] = {{403, "sns message signature does not match"},
						{0, ""}};
	static const struct expect unknown[2] = {{403, "topic '" OTHER_TOPIC "' is not allowed"},
						 {0, ""}};
	static const struct expect flood[2] = {{200, "accepted"}, {503, "queue full"}};
	static const struct expect not_post[2] = {{405, "only POST is accepted"}, {0, ""}};
	struct json_object *out = json_object_new_object(), *figs = json_object_new_object();
	char *keep[KEEP], *keep_v1[KEEP], *tampered[KEEP], *other[KEEP], *first[FIRST];
	char **fresh = irx_xcalloc(DISPATCHED, sizeof(char *)), *get = NULL;
	char state[4096], cache[4096], log[4096], id[128], url[256];
	char *pem = NULL, *key_pem = NULL, *event = NULL;
	const char *build = NULL, *dir = NULL;
	struct json_object *ev = NULL, *msg = NULL, *r = NULL;
	BIO *bio = NULL;
	double secs = 0, t0 = 0, drained = 0;
	long off = 0;
	size_t nonzero = 0;
	pid_t pid = 0;
	int status = 0, rc = 0;

	if (argc != 5 || (secs = atof(argv[4])) <= 0) {
		fprintf(stderr, "usage: bench_serve BUILD_DIR SRC_DIR WORK_DIR SECONDS\n");
		return 2;
	}
	build = argv[1];
	g_src = argv[2];
	dir = argv[3];
	signal(SIGPIPE, SIG_IGN);
	pem = slurp(CONS "TEST-ONLY-SimpleNotificationService-test.pem");
	key_pem = slurp(CONS "TEST-ONLY-signing-key.pem");
	event = slurp(CONS "notification-guardduty-event-sigv2.json");
	bio = BIO_new_mem_buf(key_pem, -1);
	if (!bio || !(g_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)))
		die("cannot read the TEST-ONLY signing key");
	BIO_free(bio);
	if (!(ev = json_tokener_parse(event)) || !json_object_object_get_ex(ev, "Message", &msg))
		die("the GuardDuty notification has no Message");
	g_message = irx_xstrdup(json_object_get_string(msg));
	json_object_put(ev);

	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(cache, sizeof(cache), "%s/serve", state);
	if ((mkdir(state, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(cache, 0700) < 0 && errno != EEXIST))
		die("cannot create the state directory");
	snprintf(cache, sizeof(cache), "%s/serve/sns-certs", state);
	if (mkdir(cache, 0700) < 0 && errno != EEXIST)
		die("cannot create the certificate cache");
	seed_cert(cache, CERT_URL, pem);
	for (int i = 0; i < FIRST; i++) {
		snprintf(url, sizeof(url), FIRST_URL, i);
		seed_cert(cache, url, pem);
	}
	snprintf(log, sizeof(log), "%s/serve.log", dir);
	pid = start_serve(build, dir, state, log);

	/* signed after the port is known (the Host header); timestamps are fresh */
	for (int i = 0; i < KEEP; i++) {
		snprintf(id, sizeof(id), "bench-%d-keep-%d", (int)pid, i);
		keep[i] = signed_request(id, TOPIC, CERT_URL, "2", VALID);
		snprintf(id, sizeof(id), "bench-%d-keep1-%d", (int)pid, i);
		keep_v1[i] = signed_request(id, TOPIC, CERT_URL, "1", VALID);
		snprintf(id, sizeof(id), "bench-%d-tampered-%d", (int)pid, i);
		tampered[i] = signed_request(id, TOPIC, CERT_URL, "2", TAMPERED);
		snprintf(id, sizeof(id), "bench-%d-other-%d", (int)pid, i);
		other[i] = signed_request(id, OTHER_TOPIC, CERT_URL, "2", VALID);
	}
	for (int i = 0; i < FIRST; i++) {
		snprintf(url, sizeof(url), FIRST_URL, i);
		snprintf(id, sizeof(id), "bench-%d-keep-0", (int)pid);
		first[i] = signed_request(id, TOPIC, url, "2", VALID);
	}
	for (int i = 0; i < DISPATCHED; i++) {
		snprintf(id, sizeof(id), "bench-%d-new-%d", (int)pid, i);
		fresh[i] = signed_request(id, TOPIC, CERT_URL, "2", VALID);
	}

	/* warm-up: the KEEP messages accepted and dispatched once (the first loads the cert) */
	off = file_size(log);
	t0 = now_s();
	r = phase(pid, keep, KEEP, 1, 0, KEEP, accepted);
	json_object_object_add(figs, "warmup_v2", r);
	r = phase(pid, keep_v1, KEEP, 1, 0, KEEP, accepted);
	json_object_object_add(figs, "warmup_v1", r);
	if (wait_dispatched(log, off, 2 * KEEP, t0, &nonzero) < 0)
		die("the warm-up's dispatches did not finish");
	json_object_object_add(out, "warmup_dispatch_nonzero_exits",
			       json_object_new_int64((int64_t)nonzero));

	json_object_object_add(figs, "valid_v2_1", phase(pid, keep, KEEP, 1, secs, 0, dup));
	json_object_object_add(figs, "valid_v2_4", phase(pid, keep, KEEP, 4, secs, 0, dup));
	json_object_object_add(figs, "valid_v1_1", phase(pid, keep_v1, KEEP, 1, secs, 0, dup));
	json_object_object_add(figs, "valid_v1_4", phase(pid, keep_v1, KEEP, 4, secs, 0, dup));
	json_object_object_add(figs, "tampered_1", phase(pid, tampered, KEEP, 1, secs, 0, forged));
	json_object_object_add(figs, "tampered_4", phase(pid, tampered, KEEP, 4, secs, 0, forged));
	json_object_object_add(figs, "unknown_topic_1",
			       phase(pid, other, KEEP, 1, secs, 0, unknown));
	json_object_object_add(figs, "unknown_topic_4",
			       phase(pid, other, KEEP, 4, secs, 0, unknown));
	/* the floor: a connection, a thread, a header block and an answer, no JSON, no signature */
	get = irx_xasprintf("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", g_port);
	json_object_object_add(figs, "http_floor_1", phase(pid, &get, 1, 1, secs, 0, not_post));
	json_object_object_add(figs, "http_floor_4", phase(pid, &get, 1, 4, secs, 0, not_post));
	free(get);
	/* each a certificate URL serve has not used yet: load from its cache dir and validate */
	json_object_object_add(figs, "first_message", phase(pid, first, FIRST, 1, 0, FIRST, dup));

	/* new MessageIds: accepted ones are spooled and run `irx run` while the flood goes on */
	off = file_size(log);
	t0 = now_s();
	r = phase(pid, fresh, DISPATCHED, 1, 0, DISPATCHED, flood);
	{
		struct json_object *acc = NULL;
		size_t want = 0;

		json_object_object_get_ex(r, "expected", &acc);
		want = (size_t)json_object_get_int64(acc);
		drained = wait_dispatched(log, off, want, t0, &nonzero);
		json_object_object_add(r, "dispatch_done_seconds", json_object_new_double(drained));
		json_object_object_add(r, "dispatch_nonzero_exits",
				       json_object_new_int64((int64_t)nonzero));
	}
	json_object_object_add(figs, "new_dispatched_1", r);

	kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	g_serve = 0;
	json_object_object_add(out, "serve_exit",
			       json_object_new_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
	json_object_object_add(out, "figures", figs);
	json_object_object_foreach(figs, k, v)
	{
		struct json_object *u = NULL;

		(void)k;
		if (json_object_object_get_ex(v, "unexpected", &u) && json_object_get_int64(u) > 0)
			rc = 1;
	}
	if (drained < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = 1;
	puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY));
	json_object_put(out);
	for (int i = 0; i < KEEP; i++) {
		free(keep[i]);
		free(keep_v1[i]);
		free(tampered[i]);
		free(other[i]);
	}
	for (int i = 0; i < FIRST; i++)
		free(first[i]);
	for (int i = 0; i < DISPATCHED; i++)
		free(fresh[i]);
	free(fresh);
	free(g_message);
	EVP_PKEY_free(g_key);
	free(pem);
	free(key_pem);
	free(event);
	return rc;
}
