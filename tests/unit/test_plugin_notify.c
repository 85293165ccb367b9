/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The notify plugin: sns Publish through the fake AWS; Slack and signed webhooks against a tiny
 * HTTP server on 127.0.0.1 forked by the test (it records each request and answers a scripted
 * list of statuses). The exact Slack JSON, the signature recomputed here with OpenSSL, retries,
 * https-only, secrets kept out of every output, dry runs that send nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fake_aws.h"
#include "test.h"

const struct irx_plugin *irx_plugin_entry_notify(void);

#define EXEC "00000000-0000-4000-8000-000000000001"
#define TARGET "arn:aws:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0"
#define TOPIC "arn:aws:sns:us-east-1:111111111111:irx-alerts"
#define WEBHOOK_SECRET "whsec-0123456789-do-not-leak"

/* --- the fake host, with log captured ------------------------------------------------------- */

static struct {
	struct irx_context ctx;
	struct irx_host host;
	char log[8192];
} spy;

static void spy_log(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void spy_log(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
{
	size_t n = strlen(spy.log);
	va_list ap;

	(void)call;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(spy.log + n, sizeof(spy.log) - n, fmt, ap);
	va_end(ap);
	if (strlen(spy.log) + 1 < sizeof(spy.log))
		strcat(spy.log, "\n");
}

static const struct irx_context *ctx_for(struct fake_aws *f, bool dry_run)
{
	const struct irx_context *base = fake_aws_context(f, "notify_end", dry_run);

	memset(&spy, 0, sizeof(spy));
	spy.ctx = *base;
	spy.host = *base->host;
	spy.host.log = spy_log;
	spy.ctx.host = &spy.host;
	spy.ctx.case_id = "CASE-7";
	return &spy.ctx;
}

struct outcome {
	int rc;
	struct json_object *outputs, *undo;
	char message[8192];
};

static void outcome_free(struct outcome *o)
{
	json_object_put(o->outputs);
	json_object_put(o->undo);
}

static const char *text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

static struct outcome run(const char *name, const struct irx_context *ctx, struct json_object *in)
{
	const struct irx_plugin *p = irx_plugin_entry_notify();
	struct outcome o = {0};
	struct irx_result res = {0};

	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	for (const struct irx_action *a = p->actions; a->name; a++)
		if (strcmp(a->name, name) == 0)
			o.rc = a->execute(ctx, in, &res);
	snprintf(o.message, sizeof(o.message), "%s", res.message ? res.message : "");
	o.outputs = res.outputs;
	o.undo = res.undo;
	json_object_put(in);
	return o;
}

static struct json_object *inputs(const char *json)
{
	struct json_object *in = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	return in;
}

#define EXPECT_STR(got, want)                                                                      \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (strcmp(g_, w_) != 0)                                                           \
			fprintf(stderr, "\n  %s:%d\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, \
				g_, w_);                                                           \
		CU_ASSERT_STRING_EQUAL(g_, w_);                                                    \
	} while (0)

/* Nothing the step reports may hold the secret (or the URL's secret path). */
static void expect_no_leak(const struct outcome *o, const char *secret)
{
	CU_ASSERT_PTR_NULL(strstr(o->message, secret));
	CU_ASSERT_PTR_NULL(strstr(text(o->outputs), secret));
	CU_ASSERT_PTR_NULL(strstr(text(o->undo), secret));
	CU_ASSERT_PTR_NULL(strstr(spy.log, secret));
}

/* --- a one-shot HTTP server on 127.0.0.1 ------------------------------------------------------ */

struct server {
	pid_t pid;
	int port;
	char dir[512];
};

/* Reads one request (headers and Content-Length body) into buf; returns its length. */
static size_t read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	long want = -1;

	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		char *end = NULL;

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end && want < 0) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");

			want = (long)(end + 4 - buf) + (cl ? atol(cl + 17) : 0);
		}
		if (want >= 0 && (long)len >= want)
			break;
	}
	buf[len] = '\0';
	return len;
}

/* Answers one request per status in statuses ("500,200"), recording each in dir/req-N. */
static void server_start(struct server *s, const char *statuses)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	CU_ASSERT_FATAL(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CU_ASSERT_FATAL(listen(lfd, 8) == 0);
	CU_ASSERT_FATAL(getsockname(lfd, (struct sockaddr *)&a, &alen) == 0);
	s->port = ntohs(a.sin_port);
	snprintf(s->dir, sizeof(s->dir), "%s", irx_test_tmpdir());
	fflush(NULL);
	s->pid = fork();
	CU_ASSERT_FATAL(s->pid >= 0);
	if (s->pid == 0) {
		const char *p = statuses;
		int i = 0;

		alarm(20);
		while (*p) {
			static char req[65536];
			char path[600], resp[256];
			int status = atoi(p);
			const char *body = status == 200   ? "ok"
					   : status == 400 ? "invalid_payload"
							   : "boom";
			int cfd = accept(lfd, NULL, NULL);
			size_t n = 0;
			FILE *f = NULL;

			if (cfd < 0)
				_exit(1);
			n = read_request(cfd, req, sizeof(req));
			snprintf(path, sizeof(path), "%s/req-%d", s->dir, i++);
			f = fopen(path, "wb");
			if (f) {
				fwrite(req, 1, n, f);
				fclose(f);
			}
			snprintf(resp, sizeof(resp),
				 "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: "
				 "%zu\r\nConnection: close\r\n\r\n%s",
				 status, strlen(body), body);
			if (write(cfd, resp, strlen(resp)) < 0)
				_exit(1);
			close(cfd);
			p = strchr(p, ',');
			if (!p)
				break;
			p++;
		}
		_exit(0);
	}
	close(lfd);
}

/* Stops the server (requests are answered before the plugin returns) and counts requests. */
static int server_stop(struct server *s)
{
	int count = 0;
	char path[600];

	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	for (;;) {
		snprintf(path, sizeof(path), "%s/req-%d", s->dir, count);
		if (access(path, F_OK) != 0)
			return count;
		count++;
	}
}

/* Request n as text (static buffer). */
static const char *request(const struct server *s, int n)
{
	static char buf[65536];
	char path[600];
	FILE *f = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/req-%d", s->dir, n);
	f = fopen(path, "rb");
	buf[0] = '\0';
	if (!f)
		return buf;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static const char *body_of(const char *req)
{
	const char *b = strstr(req, "\r\n\r\n");

	return b ? b + 4 : "";
}

/* The value of header name (case-insensitive) in req, into out. */
static const char *header(const char *req, const char *name, char *out, size_t len)
{
	char key[128];
	const char *h = NULL, *end = NULL;

	snprintf(key, sizeof(key), "\r\n%s:", name);
	out[0] = '\0';
	h = strcasestr(req, key);
	if (!h)
		return out;
	h += strlen(key);
	while (*h == ' ')
		h++;
	end = strstr(h, "\r\n");
	snprintf(out, len, "%.*s", (int)(end ? end - h : (long)strlen(h)), h);
	return out;
}

/* A port with nothing listening. */
static int dead_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &alen);
	close(fd);
	return ntohs(a.sin_port);
}

static void set_url(const char *var, const struct server *s, const char *path)
{
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
	setenv(var, url, 1);
}

/* --- notify:sns ---------------------------------------------------------------------------- */

static void test_sns_default_message(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;
	struct json_object *call = NULL;

	fake_aws_reply(f, "sns:Publish", "{\"MessageId\":\"m-0001\"}");
	o = run("sns", ctx_for(f, false),
		inputs("{\"TopicArn\":\"" TOPIC
		       "\",\"Status\":\"Contained\",\"TargetArn\":\"" TARGET
		       "\",\"Summary\":\"isolated, 3 volumes snapshotted\"}"));
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f), "sns:Publish");
	call = json_object_array_get_idx(fake_aws_calls(f), 0);
	EXPECT_STR(text(json_object_object_get(call, "params")),
		   "{\"TopicArn\":\"" TOPIC "\",\"Subject\":\"irx: Contained for " TARGET "\","
		   "\"Message\":\"Execution: " EXEC
		   "\\nStep: notify_end\\nCase: CASE-7\\nTarget: " TARGET
		   "\\nStatus: Contained\\nSummary: isolated, 3 volumes snapshotted\"}");
	EXPECT_STR(text(o.outputs),
		   "{\"MessageId\":\"m-0001\",\"Summary\":\"published to topic '" TOPIC
		   "' (message id 'm-0001'): 'irx: Contained for " TARGET "'\"}");
	EXPECT_STR(o.message, "published to topic '" TOPIC "' (message id 'm-0001'): 'irx: "
			      "Contained for " TARGET "'");
	EXPECT_STR(text(o.undo), "{}");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_sns_templated_subject_clipped(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;
	struct json_object *params = NULL;
	char subject[300] = "";

	/* 120 characters with a line break: SNS takes printable ASCII under 100 characters */
	snprintf(subject, sizeof(subject), "line one\n%0111d", 7);
	fake_aws_reply(f, "sns:Publish", "{\"MessageId\":\"m-2\"}");
	{
		struct json_object *in = json_object_new_object();

		json_object_object_add(in, "TopicArn", json_object_new_string(TOPIC));
		json_object_object_add(in, "Subject", json_object_new_string(subject));
		json_object_object_add(in, "Message", json_object_new_string("templated body"));
		o = run("sns", ctx_for(f, false), in);
	}
	CU_ASSERT_EQUAL(o.rc, 0);
	params = json_object_object_get(json_object_array_get_idx(fake_aws_calls(f), 0), "params");
	{
		const char *s = json_object_get_string(json_object_object_get(params, "Subject"));

		CU_ASSERT_EQUAL(strlen(s), 99);
		CU_ASSERT_NSTRING_EQUAL(s, "line one 000", 12);
		CU_ASSERT_STRING_EQUAL(s + 96, "...");
	}
	EXPECT_STR(json_object_get_string(json_object_object_get(params, "Message")),
		   "templated body");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_sns_dry_run_and_errors(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;

	/* the dry-run host plans Publish and answers {} */
	fake_aws_reply(f, "sns:Publish", "{}");
	o = run("sns", ctx_for(f, true),
		inputs("{\"TopicArn\":\"" TOPIC "\",\"Subject\":\"s\",\"Message\":\"m\"}"));
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f), "sns:Publish");
	EXPECT_STR(o.message, "would publish to topic '" TOPIC "': subject 's', message: m");
	CU_ASSERT_PTR_NULL(json_object_object_get(o.outputs, "MessageId"));
	outcome_free(&o);
	fake_aws_free(f);

	f = fake_aws_new();
	fake_aws_error(f, "sns:Publish", 403, "AuthorizationError",
		       "User is not authorized to perform: SNS:Publish");
	o = run("sns", ctx_for(f, false), inputs("{\"TopicArn\":\"" TOPIC "\"}"));
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), "AuthorizationError: User is not authorized to perform: "
					"SNS:Publish (HTTP 403, request id fake-0001)");
	outcome_free(&o);
	fake_aws_free(f);

	f = fake_aws_new();
	o = run("sns", ctx_for(f, false),
		inputs("{\"TopicArn\":\"arn:aws:sqs:us-east-1:111111111111:q\"}"));
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "TopicArn 'arn:aws:sqs:us-east-1:111111111111:q' is not an SNS topic ARN");
	EXPECT_STR(fake_aws_call_names(f), "");
	outcome_free(&o);
	fake_aws_free(f);
}

/* --- notify:slack -------------------------------------------------------------------------- */

#define SLACK_INPUTS                                                                               \
	"{\"UrlEnv\":\"IRX_TEST_SLACK_URL\",\"Subject\":\"irx: contained i-1\",\"Message\":"       \
	"\"Instance <i-1> isolated & "                                                             \
	"snapshotted\",\"Status\":\"Contained\",\"TargetArn\":\"" TARGET                           \
	"\",\"Runbook\":\"ec2-isolate\"}"
#define SLACK_JSON                                                                                 \
	"{\"text\":\"irx: contained i-1\",\"blocks\":["                                            \
	"{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":\"irx: contained i-1\","  \
	"\"emoji\":true}},"                                                                        \
	"{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"Instance &lt;i-1&gt; "     \
	"isolated &amp; snapshotted\"},\"fields\":["                                               \
	"{\"type\":\"mrkdwn\",\"text\":\"*Runbook*\\nec2-isolate\"},"                              \
	"{\"type\":\"mrkdwn\",\"text\":\"*Target*\\n" TARGET "\"},"                                \
	"{\"type\":\"mrkdwn\",\"text\":\"*Status*\\nContained\"},"                                 \
	"{\"type\":\"mrkdwn\",\"text\":\"*Execution*\\n" EXEC "\"},"                               \
	"{\"type\":\"mrkdwn\",\"text\":\"*Case*\\nCASE-7\"}]},"                                    \
	"{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":\"irx · step "         \
	"'notify_end' · account 111111111111 · us-east-1\"}]}]}"
#define SLACK_PATH "/services/T0000/B0000/XXXXsecretXXXX"

static void test_slack_block_kit(void)
{
	struct fake_aws *f = fake_aws_new();
	struct server s = {0};
	struct outcome o;
	char h[256];

	server_start(&s, "200");
	set_url("IRX_TEST_SLACK_URL", &s, SLACK_PATH);
	o = run("slack", ctx_for(f, false), inputs(SLACK_INPUTS));
	CU_ASSERT_EQUAL(server_stop(&s), 1);
	CU_ASSERT_EQUAL(o.rc, 0);
	if (o.rc != 0)
		fprintf(stderr, "\n  failure: %s\n", fake_aws_failure(f));
	IRX_ASSERT_CONTAINS(request(&s, 0), "POST " SLACK_PATH " HTTP/1.1\r\n");
	EXPECT_STR(header(request(&s, 0), "Content-Type", h, sizeof(h)),
		   "application/json; charset=utf-8");
	EXPECT_STR(header(request(&s, 0), "X-Irx-Signature", h, sizeof(h)), "");
	EXPECT_STR(body_of(request(&s, 0)), SLACK_JSON);
	EXPECT_STR(o.message, "posted to Slack at '127.0.0.1' (HTTP 200, attempt 1): 'irx: "
			      "contained i-1'");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(o.outputs, "HttpStatus")), 200);
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(o.outputs, "Attempts")), 1);
	EXPECT_STR(text(json_object_object_get(o.outputs, "Payload")), SLACK_JSON);
	expect_no_leak(&o, "XXXXsecretXXXX");
	EXPECT_STR(fake_aws_call_names(f), "");
	outcome_free(&o);
	fake_aws_free(f);
	unsetenv("IRX_TEST_SLACK_URL");
}

static void test_slack_retries_5xx(void)
{
	struct fake_aws *f = fake_aws_new();
	struct server s = {0};
	struct outcome o;

	server_start(&s, "500,200");
	set_url("IRX_TEST_SLACK_URL", &s, SLACK_PATH);
	o = run("slack", ctx_for(f, false), inputs(SLACK_INPUTS));
	CU_ASSERT_EQUAL(server_stop(&s), 2);
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(body_of(request(&s, 1)), SLACK_JSON);
	EXPECT_STR(o.message, "posted to Slack at '127.0.0.1' (HTTP 200, attempt 2): 'irx: "
			      "contained i-1'");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 1000);
	IRX_ASSERT_CONTAINS(spy.log, "Slack at '127.0.0.1' answered HTTP 500: boom; attempt 2 of 3 "
				     "in 1000 ms");
	expect_no_leak(&o, "XXXXsecretXXXX");
	outcome_free(&o);
	fake_aws_free(f);

	/* three failures: the step fails, honestly, after 1 s and 2 s of backoff */
	f = fake_aws_new();
	server_start(&s, "500,503,502");
	set_url("IRX_TEST_SLACK_URL", &s, SLACK_PATH);
	o = run("slack", ctx_for(f, false), inputs(SLACK_INPUTS));
	CU_ASSERT_EQUAL(server_stop(&s), 3);
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "cannot notify Slack at '127.0.0.1' after 3 attempts: HTTP 502: boom");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 3000);
	outcome_free(&o);
	fake_aws_free(f);

	/* a 4xx is not retried */
	f = fake_aws_new();
	server_start(&s, "400,200");
	set_url("IRX_TEST_SLACK_URL", &s, SLACK_PATH);
	o = run("slack", ctx_for(f, false), inputs(SLACK_INPUTS));
	CU_ASSERT_EQUAL(server_stop(&s), 1);
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f),
		   "cannot notify Slack at '127.0.0.1' after 1 attempt: HTTP 400: invalid_payload");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	outcome_free(&o);
	fake_aws_free(f);
	unsetenv("IRX_TEST_SLACK_URL");
}

static void test_network_error_retried(void)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", dead_port());
	setenv("IRX_TEST_SLACK_URL", url, 1);
	o = run("slack", ctx_for(f, false), inputs(SLACK_INPUTS));
	CU_ASSERT_EQUAL(o.rc, -1);
	IRX_ASSERT_CONTAINS(fake_aws_failure(f),
			    "cannot notify Slack at '127.0.0.1' after 3 "
			    "attempts: Couldn't connect to server (curl error 7)");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 3000);
	outcome_free(&o);
	fake_aws_free(f);
	unsetenv("IRX_TEST_SLACK_URL");
}

static void test_slack_dry_run_sends_nothing(void)
{
	struct fake_aws *f = fake_aws_new();
	struct server s = {0};
	struct outcome o;

	server_start(&s, "200");
	set_url("IRX_TEST_SLACK_URL", &s, SLACK_PATH);
	o = run("slack", ctx_for(f, true), inputs(SLACK_INPUTS));
	CU_ASSERT_EQUAL(server_stop(&s), 0);
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(
	    o.message,
	    "would post to Slack at '127.0.0.1' (URL from environment variable "
	    "'IRX_TEST_SLACK_URL'): {\"text\":\"irx: contained i-1\",\"blocks\":["
	    "{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":\"irx: contained "
	    "i-1\",\"emoji\":true}},{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
	    "\"text\":\"Instance &lt;i-1&gt; isolated &amp; snapshotted\"},\"fields\":["
	    "{\"type\":\"mrkdwn\",\"text\":\"*Runbook*\\nec2-isolate\"},"
	    "{\"type\":\"mrkdwn\",\"text\":\"*Target*\\n" TARGET "\"},"
	    "{\"type\":\"mrkdwn\",\"text\":\"*Status*\\nContained\"},"
	    "{\"type\":\"mrkdwn\",\"text\":\"*Execution*\\n" EXEC "\"},"
	    "{\"type\":\"mrkdwn\",\"text\":\"*Case*\\nCASE-7\"}]},"
	    "{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":\"irx · step "
	    "'notify_end' · account 111111111111 · us-east-1 · dry run\"}]}]}");
	expect_no_leak(&o, "XXXXsecretXXXX");
	outcome_free(&o);
	fake_aws_free(f);
	unsetenv("IRX_TEST_SLACK_URL");
}

static void expect_refused(const char *action, const char *json, const char *msg)
{
	struct fake_aws *f = fake_aws_new();
	struct outcome o = run(action, ctx_for(f, false), inputs(json));

	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), msg);
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_url_rules(void)
{
	setenv("IRX_TEST_URL", "http://hooks.example.com/services/XXXXsecretXXXX", 1);
	expect_refused("slack", "{\"UrlEnv\":\"IRX_TEST_URL\"}",
		       "the URL in environment variable 'IRX_TEST_URL' must use https (plain http "
		       "only to 127.0.0.1 or localhost)");
	setenv("IRX_TEST_URL", "ftp://127.0.0.1/x", 1);
	expect_refused("slack", "{\"UrlEnv\":\"IRX_TEST_URL\"}",
		       "the URL in environment variable 'IRX_TEST_URL' is not an http(s) URL");
	setenv("IRX_TEST_URL", "https:///nohost", 1);
	expect_refused("slack", "{\"UrlEnv\":\"IRX_TEST_URL\"}",
		       "the URL in environment variable 'IRX_TEST_URL' has no host");
	/* user info is never the host, and never printed */
	setenv("IRX_TEST_URL", "http://user:pw@evil.example.com@127.0.0.2/x", 1);
	expect_refused("slack", "{\"UrlEnv\":\"IRX_TEST_URL\"}",
		       "the URL in environment variable 'IRX_TEST_URL' must use https (plain http "
		       "only to 127.0.0.1 or localhost)");
	unsetenv("IRX_TEST_URL");
	expect_refused(
	    "slack", "{\"UrlEnv\":\"IRX_TEST_URL\"}",
	    "cannot read the webhook URL: environment variable 'IRX_TEST_URL' is not set");
	expect_refused(
	    "slack", "{}",
	    "name the webhook URL with exactly one of UrlEnv, UrlParameter or UrlSecretId "
	    "(got 0)");
	expect_refused(
	    "slack", "{\"UrlEnv\":\"A\",\"UrlParameter\":\"/b\"}",
	    "name the webhook URL with exactly one of UrlEnv, UrlParameter or UrlSecretId "
	    "(got 2)");
	setenv("IRX_TEST_URL", "https://hooks.example.com/x", 1);
	expect_refused("webhook", "{\"UrlEnv\":\"IRX_TEST_URL\"}",
		       "name the signing secret with exactly one of SecretEnv, SecretParameter or "
		       "SecretSecretId (got 0)");
	expect_refused("slack", "{\"UrlEnv\":\"IRX_TEST_URL\",\"TimeoutSeconds\":0}",
		       "TimeoutSeconds must be between 1 and 120");
	unsetenv("IRX_TEST_URL");
}

/* --- notify:webhook ------------------------------------------------------------------------ */

static void expect_signature(const char *req, const char *secret)
{
	char ts[64], sig[160], want[160] = "sha256=", delivery[160];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const char *body = body_of(req);
	char *signed_text = NULL;
	long long t = 0;

	header(req, "X-Irx-Timestamp", ts, sizeof(ts));
	header(req, "X-Irx-Signature", sig, sizeof(sig));
	t = atoll(ts);
	CU_ASSERT(t > 0 && llabs(t - (long long)time(NULL)) < 120);
	/* HMAC-SHA256(secret, "<timestamp>.<body>") */
	signed_text = malloc(strlen(ts) + strlen(body) + 2);
	sprintf(signed_text, "%s.%s", ts, body);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signed_text,
	     strlen(signed_text), md, &mdlen);
	CU_ASSERT_EQUAL(mdlen, 32);
	for (unsigned int i = 0; i < mdlen; i++)
		sprintf(want + 7 + 2 * i, "%02x", md[i]);
	EXPECT_STR(sig, want);
	EXPECT_STR(header(req, "X-Irx-Delivery", delivery, sizeof(delivery)), EXEC "/notify_end");
	free(signed_text);
}

static void test_webhook_signed(void)
{
	struct fake_aws *f = fake_aws_new();
	struct server s = {0};
	struct outcome o;
	struct json_object *body = NULL;

	server_start(&s, "500,200");
	set_url("IRX_TEST_HOOK_URL", &s, "/irx/events");
	setenv("IRX_TEST_HOOK_SECRET", WEBHOOK_SECRET, 1);
	o = run("webhook", ctx_for(f, false),
		inputs("{\"UrlEnv\":\"IRX_TEST_HOOK_URL\",\"SecretEnv\":\"IRX_TEST_HOOK_SECRET\","
		       "\"Status\":\"Contained\",\"TargetArn\":\"" TARGET
		       "\",\"Summary\":\"done\"}"));
	CU_ASSERT_EQUAL(server_stop(&s), 2);
	CU_ASSERT_EQUAL(o.rc, 0);
	if (o.rc != 0)
		fprintf(stderr, "\n  failure: %s\n", fake_aws_failure(f));
	IRX_ASSERT_CONTAINS(request(&s, 0), "POST /irx/events HTTP/1.1\r\n");
	/* every attempt is signed afresh, over its exact body */
	expect_signature(request(&s, 0), WEBHOOK_SECRET);
	expect_signature(request(&s, 1), WEBHOOK_SECRET);
	body = json_tokener_parse(body_of(request(&s, 1)));
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	EXPECT_STR(json_object_get_string(json_object_object_get(body, "subject")),
		   "irx: Contained for " TARGET);
	EXPECT_STR(json_object_get_string(json_object_object_get(body, "message")),
		   "Execution: " EXEC "\nStep: notify_end\nCase: CASE-7\nTarget: " TARGET
		   "\nStatus: Contained\nSummary: done");
	EXPECT_STR(json_object_get_string(json_object_object_get(body, "execution_id")), EXEC);
	EXPECT_STR(json_object_get_string(json_object_object_get(body, "case_id")), "CASE-7");
	EXPECT_STR(json_object_get_string(json_object_object_get(body, "target_arn")), TARGET);
	EXPECT_STR(json_object_get_string(json_object_object_get(body, "status")), "Contained");
	EXPECT_STR(json_object_get_string(json_object_object_get(body, "account_id")),
		   "111111111111");
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(body, "dry_run")));
	CU_ASSERT_PTR_NULL(strstr(request(&s, 1), WEBHOOK_SECRET));
	EXPECT_STR(o.message, "posted to webhook at '127.0.0.1' (HTTP 200, attempt 2): 'irx: "
			      "Contained for " TARGET "'");
	expect_no_leak(&o, WEBHOOK_SECRET);
	json_object_put(body);
	outcome_free(&o);
	fake_aws_free(f);
	unsetenv("IRX_TEST_HOOK_URL");
	unsetenv("IRX_TEST_HOOK_SECRET");
}

/* URL from SSM Parameter Store, secret from Secrets Manager, both through the host's AWS call. */
static void test_webhook_secrets_from_aws(void)
{
	struct fake_aws *f = fake_aws_new();
	struct server s = {0};
	struct outcome o;
	char reply[256];

	server_start(&s, "200");
	snprintf(reply, sizeof(reply),
		 "{\"Parameter\":{\"Name\":\"/irx/hook\",\"Type\":\"SecureString\",\"Value\":"
		 "\"http://127.0.0.1:%d/from-ssm\"}}",
		 s.port);
	fake_aws_reply(f, "ssm:GetParameter", reply);
	fake_aws_reply(f, "secretsmanager:GetSecretValue",
		       "{\"Name\":\"irx/webhook\",\"SecretString\":\"sm-" WEBHOOK_SECRET "\"}");
	o = run("webhook", ctx_for(f, false),
		inputs("{\"UrlParameter\":\"/irx/hook\",\"SecretSecretId\":\"irx/webhook\","
		       "\"Subject\":\"s\",\"Message\":\"m\"}"));
	CU_ASSERT_EQUAL(server_stop(&s), 1);
	CU_ASSERT_EQUAL(o.rc, 0);
	EXPECT_STR(fake_aws_call_names(f), "ssm:GetParameter,secretsmanager:GetSecretValue");
	EXPECT_STR(
	    text(json_object_object_get(json_object_array_get_idx(fake_aws_calls(f), 0), "params")),
	    "{\"Name\":\"/irx/hook\",\"WithDecryption\":true}");
	EXPECT_STR(
	    text(json_object_object_get(json_object_array_get_idx(fake_aws_calls(f), 1), "params")),
	    "{\"SecretId\":\"irx/webhook\"}");
	IRX_ASSERT_CONTAINS(request(&s, 0), "POST /from-ssm HTTP/1.1\r\n");
	expect_signature(request(&s, 0), "sm-" WEBHOOK_SECRET);
	expect_no_leak(&o, WEBHOOK_SECRET);
	outcome_free(&o);
	fake_aws_free(f);

	/* a failed read fails the step with the AWS error */
	f = fake_aws_new();
	fake_aws_error(f, "ssm:GetParameter", 400, "ParameterNotFound",
		       "Parameter /irx/x not found.");
	o = run("slack", ctx_for(f, false), inputs("{\"UrlParameter\":\"/irx/x\"}"));
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), "ParameterNotFound: Parameter /irx/x not found. (HTTP 400, "
					"request id fake-0001)");
	outcome_free(&o);
	fake_aws_free(f);

	f = fake_aws_new();
	fake_aws_reply(f, "secretsmanager:GetSecretValue", "{\"SecretBinary\":\"AAEC\"}");
	o = run("slack", ctx_for(f, false), inputs("{\"UrlSecretId\":\"irx/bin\"}"));
	CU_ASSERT_EQUAL(o.rc, -1);
	EXPECT_STR(fake_aws_failure(f), "cannot read the webhook URL: Secrets Manager secret "
					"'irx/bin' has no SecretString");
	outcome_free(&o);
	fake_aws_free(f);
}

static void test_webhook_dry_run(void)
{
	struct fake_aws *f = fake_aws_new();
	struct server s = {0};
	struct outcome o;

	server_start(&s, "200");
	set_url("IRX_TEST_HOOK_URL", &s, "/irx/events");
	setenv("IRX_TEST_HOOK_SECRET", WEBHOOK_SECRET, 1);
	o = run("webhook", ctx_for(f, true),
		inputs("{\"UrlEnv\":\"IRX_TEST_HOOK_URL\",\"SecretEnv\":\"IRX_TEST_HOOK_SECRET\","
		       "\"Subject\":\"s\",\"Message\":\"m\"}"));
	CU_ASSERT_EQUAL(server_stop(&s), 0);
	CU_ASSERT_EQUAL(o.rc, 0);
	IRX_ASSERT_CONTAINS(o.message, "would post to webhook at '127.0.0.1' (URL from environment "
				       "variable 'IRX_TEST_HOOK_URL', signed with the secret from "
				       "environment variable 'IRX_TEST_HOOK_SECRET'): {\"version\":"
				       "\"1\",\"subject\":\"s\",\"message\":\"m\",");
	IRX_ASSERT_CONTAINS(o.message, "\"dry_run\":true");
	expect_no_leak(&o, WEBHOOK_SECRET);
	outcome_free(&o);
	fake_aws_free(f);
	unsetenv("IRX_TEST_HOOK_URL");
	unsetenv("IRX_TEST_HOOK_SECRET");
}

static void test_descriptor(void)
{
	const struct irx_plugin *p = irx_plugin_entry_notify();

	CU_ASSERT_STRING_EQUAL(p->name, "notify");
	for (const struct irx_action *a = p->actions; a->name; a++) {
		/* notifying changes no target: not MUTATES, nothing to roll back */
		CU_ASSERT_EQUAL(a->flags & IRX_ACTION_MUTATES, 0);
		CU_ASSERT_PTR_NULL(a->rollback);
	}
}

static CU_TestInfo tests[] = {
    {"sns: default subject and message from the execution", test_sns_default_message},
    {"sns: templated subject made SNS-safe", test_sns_templated_subject_clipped},
    {"sns: dry-run and errors", test_sns_dry_run_and_errors},
    {"slack: exact Block Kit JSON", test_slack_block_kit},
    {"slack: 5xx retried, 4xx not", test_slack_retries_5xx},
    {"network errors retried", test_network_error_retried},
    {"slack: dry-run sends nothing", test_slack_dry_run_sends_nothing},
    {"URL and secret rules", test_url_rules},
    {"webhook: HMAC-SHA256 signature over timestamp.body", test_webhook_signed},
    {"webhook: URL from SSM, secret from Secrets Manager", test_webhook_secrets_from_aws},
    {"webhook: dry-run sends nothing", test_webhook_dry_run},
    {"descriptor", test_descriptor},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("plugin_notify", tests, NULL, NULL)
