/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The notify plugin: tell people what an execution did.
 *
 *   notify:sns      sns Publish (TopicArn, Subject, Message)
 *   notify:slack    a Slack incoming webhook, Block Kit message: header (the subject), a section
 *                   with the message and fields Runbook / Target / Status / Execution / Case, and
 *                   a context line (step, account, region)
 *   notify:webhook  a JSON POST signed with HMAC-SHA256 (the scheme is below)
 *
 * Subject and Message come from the runbook (templated there); without them a default is built
 * from the execution (execution id, step, case id) and the inputs Status, TargetArn, Summary.
 *
 * Webhook URLs and signing secrets never appear in a runbook or the journal: the inputs name
 * where to read them, exactly one of
 *     UrlEnv / SecretEnv              an environment variable of the irx process
 *     UrlParameter / SecretParameter  an SSM parameter (ssm GetParameter WithDecryption=true)
 *     UrlSecretId / SecretSecretId    a Secrets Manager secret (secretsmanager GetSecretValue,
 *                                     its SecretString)
 * The values are kept out of outputs, messages and logs (only the URL's host is ever named) and
 * wiped after use.
 *
 * HTTP: libcurl, TLS verification always on, https only (plain http only to 127.0.0.1, [::1] or
 * localhost, for tests), no redirects, a timeout per attempt (TimeoutSeconds, cut to the step's
 * deadline), 3 attempts with backoff through host->sleep (1 s, 2 s, or the server's Retry-After
 * up to 30 s) on network errors, HTTP 429 and 5xx. Any other answer outside 2xx fails at once.
 *
 * Webhook signature (like Stripe's and Slack's):
 *     X-Irx-Timestamp: <unix seconds when this attempt was sent>
 *     X-Irx-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 *     X-Irx-Delivery:  <execution id>/<step name>  (the same on every attempt: deduplicate on it)
 * where <body> is the exact request body bytes. A receiver recomputes the HMAC over the
 * timestamp header, a '.', and the raw body, compares in constant time, and rejects timestamps
 * more than 5 minutes away from its clock (replays).
 *
 * A failed notification fails the step with the reason; whether that stops the runbook is the
 * runbook's business (onFailure: Continue, isCritical: false). notify changes nothing it could
 * undo (no rollback) and is not a mutating action, but in a dry run it sends nothing: Publish
 * is planned by the host, and the webhook actions put what they would send in the message.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "irx/plugin.h"
#include "irx/plugin_util.h"

#define ATTEMPTS 3
#define BACKOFF_MS 1000LL
#define RETRY_AFTER_MAX_MS 30000LL
#define RESPONSE_MAX 2048
#define SNS_SUBJECT_MAX 99 /* SNS: under 100 characters */
#define SLACK_HEADER_MAX 150

/* --- helpers -------------------------------------------------------------------------------- */

static const char *or_none(const char *s, const char *none)
{
	return s && *s ? s : none;
}

/* A growing string buffer; aborts on OOM like the core's irx_x* allocators. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024] = "";
	va_list ap;
	int n = 0;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < (int)sizeof(tmp)) {
		buf_add(b, tmp, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (!big)
			abort();
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		buf_add(b, big, (size_t)n);
		free(big);
	}
}

static void wipe(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* --- what to say ---------------------------------------------------------------------------- */

struct note {
	const char *subject; /* owned by subject_buf or inputs */
	const char *message;
	const char *status, *target, *summary, *runbook;
	char subject_buf[512];
	struct buf message_buf;
};

static void note_build(const struct irx_context *ctx, struct json_object *inputs, struct note *n)
{
	n->status = irx_json_nonempty(inputs, "Status");
	n->target = irx_json_nonempty(inputs, "TargetArn");
	n->summary = irx_json_nonempty(inputs, "Summary");
	n->runbook = irx_json_nonempty(inputs, "Runbook");
	n->subject = irx_json_nonempty(inputs, "Subject");
	if (!n->subject) {
		snprintf(n->subject_buf, sizeof(n->subject_buf), "irx: %s%s%s",
			 or_none(n->status, "notification"), n->target ? " for " : "",
			 n->target ? n->target : "");
		n->subject = n->subject_buf;
	}
	n->message = irx_json_nonempty(inputs, "Message");
	if (!n->message) {
		struct buf *b = &n->message_buf;

		if (n->runbook)
			buf_printf(b, "Runbook: %s\n", n->runbook);
		buf_printf(b, "Execution: %s\nStep: %s\nCase: %s\nTarget: %s\nStatus: %s",
			   ctx->execution_id, ctx->step_name, or_none(ctx->case_id, "(none)"),
			   or_none(n->target, "(none)"), or_none(n->status, "(unknown)"));
		if (n->summary)
			buf_printf(b, "\nSummary: %s", n->summary);
		n->message = b->p;
	}
}

static void note_free(struct note *n)
{
	free(n->message_buf.p);
}

/* --- notify:sns ----------------------------------------------------------------------------- */

/* SNS subjects: printable ASCII, no line breaks, under 100 characters. */
static void sns_subject(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < len; p++) {
		if (o == SNS_SUBJECT_MAX)
			break;
		out[o++] = (*p >= 0x20 && *p < 0x7f)	? (char)*p
			   : (*p == '\n' || *p == '\t') ? ' '
							: '?';
	}
	out[o] = '\0';
	if (in[0] && strlen(in) > SNS_SUBJECT_MAX && o >= 3)
		memcpy(out + o - 3, "...", 3);
}

static bool valid_topic_arn(const char *s)
{
	int colons = 0;

	if (strncmp(s, "arn:", 4) != 0 || !strstr(s, ":sns:"))
		return false;
	for (; *s; s++)
		colons += *s == ':';
	return colons == 5;
}

static int notify_sns(const struct irx_context *ctx, struct json_object *inputs,
		      struct irx_result *res)
{
	const char *topic = irx_json_nonempty(inputs, "TopicArn");
	struct note n = {0};
	struct json_object *params = NULL, *resp = NULL;
	char subject[SNS_SUBJECT_MAX + 1] = "";
	struct buf text = {0};
	int rc = -1;

	if (!topic || !valid_topic_arn(topic))
		return ctx->host->fail(ctx->call, "TopicArn '%s' is not an SNS topic ARN",
				       topic ? topic : "");
	note_build(ctx, inputs, &n);
	sns_subject(n.subject, subject, sizeof(subject));
	params = json_object_new_object();
	json_object_object_add(params, "TopicArn", json_object_new_string(topic));
	json_object_object_add(params, "Subject", json_object_new_string(subject));
	json_object_object_add(params, "Message", json_object_new_string(n.message));
	/* In a dry run the host plans Publish instead of sending it. */
	if (ctx->host->aws_call(ctx->call, "sns", "Publish", params, &resp) < 0)
		goto out;
	if (ctx->dry_run) {
		buf_printf(&text, "would publish to topic '%s': subject '%s', message: %s", topic,
			   subject, n.message);
	} else {
		const char *id = irx_json_str(resp, "MessageId");

		json_object_object_add(res->outputs, "MessageId",
				       json_object_new_string(id ? id : ""));
		buf_printf(&text, "published to topic '%s' (message id '%s'): '%s'", topic,
			   id ? id : "?", subject);
	}
	irx_result_summary(res, "Summary", text.p);
	rc = 0;
out:
	json_object_put(params);
	json_object_put(resp);
	free(text.p);
	note_free(&n);
	return rc;
}

/* --- secrets from where the inputs say ------------------------------------------------------ */

/*
 * Reads the value named by exactly one of <what>Env, <what>Parameter, <what>SecretId.
 * *out: transferred (wipe() it); *source: "environment variable 'X'" for messages.
 * required false: none named is fine (*out NULL). Returns 0 or -1.
 */
static int resolve(const struct irx_context *ctx, struct json_object *inputs, const char *what,
		   const char *label, bool required, char **out, char *source, size_t source_len)
{
	char kenv[32] = "", kparam[32] = "", ksecret[32] = "";
	const char *env = NULL, *param = NULL, *secret = NULL;
	struct json_object *params = NULL, *resp = NULL, *p = NULL;
	const char *value = NULL;
	int count = 0, rc = -1;

	*out = NULL;
	snprintf(kenv, sizeof(kenv), "%sEnv", what);
	snprintf(kparam, sizeof(kparam), "%sParameter", what);
	snprintf(ksecret, sizeof(ksecret), "%sSecretId", what);
	env = irx_json_nonempty(inputs, kenv);
	param = irx_json_nonempty(inputs, kparam);
	secret = irx_json_nonempty(inputs, ksecret);
	count = !!env + !!param + !!secret;
	if (count == 0 && !required)
		return 0;
	if (count != 1)
		return ctx->host->fail(ctx->call,
				       "name the %s with exactly one of %s, %s or %s (got %d)",
				       label, kenv, kparam, ksecret, count);
	if (env) {
		const char *v = getenv(env);

		snprintf(source, source_len, "environment variable '%s'", env);
		if (!v || !*v)
			return ctx->host->fail(ctx->call, "cannot read the %s: %s is not set",
					       label, source);
		*out = strdup(v);
		if (!*out)
			abort();
		return 0;
	}
	params = json_object_new_object();
	if (param) {
		snprintf(source, source_len, "SSM parameter '%s'", param);
		json_object_object_add(params, "Name", json_object_new_string(param));
		json_object_object_add(params, "WithDecryption", json_object_new_boolean(1));
		if (ctx->host->aws_call(ctx->call, "ssm", "GetParameter", params, &resp) < 0)
			goto out;
		json_object_object_get_ex(resp, "Parameter", &p);
		value = irx_json_str(p, "Value");
	} else {
		snprintf(source, source_len, "Secrets Manager secret '%s'", secret);
		json_object_object_add(params, "SecretId", json_object_new_string(secret));
		if (ctx->host->aws_call(ctx->call, "secretsmanager", "GetSecretValue", params,
					&resp) < 0)
			goto out;
		value = irx_json_str(resp, "SecretString");
	}
	if (!value || !*value) {
		ctx->host->fail(ctx->call, "cannot read the %s: %s has no %s", label, source,
				param ? "value" : "SecretString");
		goto out;
	}
	*out = strdup(value);
	if (!*out)
		abort();
	rc = 0;
out:
	/* The response holds the secret too: wipe its copy before freeing. */
	if (value)
		explicit_bzero((char *)value, strlen(value));
	json_object_put(params);
	json_object_put(resp);
	return rc;
}

/*
 * Checks the URL's scheme and copies its host (no user info, no port, no path) to host.
 * Returns 0 or -1 after host->fail (never naming the URL).
 */
static int check_url(const struct irx_context *ctx, const char *url, const char *source, char *host,
		     size_t len)
{
	const char *p = NULL, *end = NULL, *at = NULL;
	bool https = strncmp(url, "https://", 8) == 0;
	size_t n = 0;

	if (!https && strncmp(url, "http://", 7) != 0)
		return ctx->host->fail(ctx->call, "the URL in %s is not an http(s) URL", source);
	p = url + (https ? 8 : 7);
	end = p + strcspn(p, "/?#");
	at = memrchr(p, '@', (size_t)(end - p)); /* the host follows the last '@' */
	if (at)
		p = at + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		n = close ? (size_t)(close - p + 1) : 0;
	} else {
		n = strcspn(p, ":/?#");
		if (p + n > end)
			n = (size_t)(end - p);
	}
	if (n == 0 || n >= len)
		return ctx->host->fail(ctx->call, "the URL in %s has no host", source);
	memcpy(host, p, n);
	host[n] = '\0';
	if (!https && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0 &&
	    strcmp(host, "[::1]") != 0)
		return ctx->host->fail(ctx->call,
				       "the URL in %s must use https (plain http only to 127.0.0.1 "
				       "or localhost)",
				       source);
	return 0;
}

/* --- HTTP ----------------------------------------------------------------------------------- */

static size_t collect(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;

	if (b->len < RESPONSE_MAX)
		buf_add(b, data, b->len + n > RESPONSE_MAX ? RESPONSE_MAX - b->len : n);
	return n;
}

static long long now_ms(void)
{
	struct timespec ts = {0};

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* HMAC-SHA256(secret, "<ts>.<body>") as lowercase hex into out (65 bytes). */
static void sign(const char *secret, const char *ts, const char *body, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf text = {0};

	buf_printf(&text, "%s.", ts);
	buf_add(&text, body, strlen(body));
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)text.p, text.len, md,
	     &mdlen);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
	free(text.p);
}

struct post {
	const char *url;    /* secret */
	const char *secret; /* secret, NULL = unsigned (Slack) */
	const char *host;   /* for messages */
	const char *what;   /* "Slack" / "webhook" */
	const char *body;
	long timeout_ms;
	/* results */
	long status;
	int attempts;
};

/*
 * POSTs p->body with retries. Returns 0 on a 2xx, or -1 after host->fail with the last reason.
 */
static int post_json(const struct irx_context *ctx, struct post *p)
{
	char reason[512] = "";
	long long delay = BACKOFF_MS;
	int rc = -1;

	for (p->attempts = 1; p->attempts <= ATTEMPTS; p->attempts++) {
		CURL *h = curl_easy_init();
		struct curl_slist *hdrs = NULL;
		struct buf resp = {0};
		char line[256] = "", ts[32] = "", sig[65] = "";
		char errbuf[CURL_ERROR_SIZE] = "";
		long timeout = p->timeout_ms;
		curl_off_t retry_after = 0;
		CURLcode cc = CURLE_OK;
		bool retry = false;

		if (!h)
			return ctx->host->fail(
			    ctx->call, "cannot notify %s: libcurl failed to start", p->what);
		if (ctx->deadline_ms) {
			long long left = ctx->deadline_ms - now_ms();

			if (left <= 0) {
				curl_easy_cleanup(h);
				break;
			}
			if (left < timeout)
				timeout = (long)left;
		}
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json; charset=utf-8");
		hdrs = curl_slist_append(hdrs, "User-Agent: irx-notify/1.0");
		hdrs = curl_slist_append(hdrs, "Expect:");
		if (p->secret) {
			snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
			sign(p->secret, ts, p->body, sig);
			snprintf(line, sizeof(line), "X-Irx-Timestamp: %s", ts);
			hdrs = curl_slist_append(hdrs, line);
			snprintf(line, sizeof(line), "X-Irx-Signature: sha256=%s", sig);
			hdrs = curl_slist_append(hdrs, line);
			snprintf(line, sizeof(line), "X-Irx-Delivery: %s/%s", ctx->execution_id,
				 ctx->step_name);
			hdrs = curl_slist_append(hdrs, line);
		}
		curl_easy_setopt(h, CURLOPT_URL, p->url);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 5000 ? timeout : 5000L);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, p->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(p->body));
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		cc = curl_easy_perform(h);
		p->status = 0;
		if (cc == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &p->status);
			curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after);
		}
		curl_easy_cleanup(h);
		curl_slist_free_all(hdrs);
		explicit_bzero(sig, sizeof(sig));
		if (cc != CURLE_OK) {
			/* libcurl's text can quote the URL: name the host only. */
			snprintf(reason, sizeof(reason), "%s (curl error %d)",
				 curl_easy_strerror(cc), (int)cc);
			retry = true;
		} else if (p->status >= 200 && p->status < 300) {
			free(resp.p);
			rc = 0;
			break;
		} else {
			char snippet[201] = "";
			size_t k = 0;

			for (size_t i = 0; resp.p && i < resp.len && k + 1 < sizeof(snippet); i++)
				snippet[k++] = isprint((unsigned char)resp.p[i]) ? resp.p[i] : ' ';
			snippet[k] = '\0';
			snprintf(reason, sizeof(reason), "HTTP %ld%s%s", p->status,
				 snippet[0] ? ": " : "", snippet);
			retry = p->status == 429 || p->status >= 500;
		}
		free(resp.p);
		if (!retry || p->attempts == ATTEMPTS)
			break;
		ctx->host->log(ctx->call, IRX_LOG_WARN,
			       "%s at '%s' answered %s; attempt %d of %d in %lld ms", p->what,
			       p->host, reason, p->attempts + 1, ATTEMPTS, delay);
		{
			long long wait = delay;

			if (retry_after > 0)
				wait = retry_after * 1000 > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS
									       : retry_after * 1000;
			if (ctx->host->sleep(ctx->call, wait) < 0) {
				snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
					 "; stopped retrying at the deadline");
				break;
			}
		}
		delay *= 2;
	}
	if (rc == 0)
		return 0;
	if (!reason[0])
		snprintf(reason, sizeof(reason), "the step's deadline passed");
	return ctx->host->fail(ctx->call, "cannot notify %s at '%s' after %d attempt%s: %s",
			       p->what, p->host, p->attempts > ATTEMPTS ? ATTEMPTS : p->attempts,
			       p->attempts == 1 ? "" : "s", reason);
}

/* --- notify:slack --------------------------------------------------------------------------- */

/* Slack mrkdwn needs &, < and > escaped. Transferred. */
static char *mrkdwn(const char *s)
{
	struct buf b = {0};

	buf_add(&b, "", 0);
	for (; *s; s++) {
		if (*s == '&')
			buf_add(&b, "&amp;", 5);
		else if (*s == '<')
			buf_add(&b, "&lt;", 4);
		else if (*s == '>')
			buf_add(&b, "&gt;", 4);
		else
			buf_add(&b, s, 1);
	}
	return b.p;
}

static struct json_object *text_obj(const char *type, const char *text)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "text", json_object_new_string(text));
	return o;
}

static void add_field(struct json_object *fields, const char *name, const char *value)
{
	char *v = mrkdwn(value);
	struct buf b = {0};

	buf_printf(&b, "*%s*\n%s", name, v);
	json_object_array_add(fields, text_obj("mrkdwn", b.p));
	free(v);
	free(b.p);
}

/* Truncates UTF-8 text to at most max bytes on a character boundary, "..." marking the cut. */
static void clip(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(s + n, "...", 4);
}

/* The Block Kit payload. Transferred. */
static struct json_object *slack_payload(const struct irx_context *ctx, const struct note *n)
{
	struct json_object *root = json_object_new_object();
	struct json_object *blocks = json_object_new_array();
	struct json_object *header = json_object_new_object();
	struct json_object *section = json_object_new_object();
	struct json_object *fields = json_object_new_array();
	struct json_object *context = json_object_new_object();
	struct json_object *elements = json_object_new_array();
	struct json_object *htext = NULL;
	char head[SLACK_HEADER_MAX + 4] = "";
	char *body = mrkdwn(n->message);
	struct buf ctxline = {0};

	snprintf(head, sizeof(head), "%s", n->subject);
	clip(head, SLACK_HEADER_MAX);
	clip(body, 3000);
	json_object_object_add(root, "text", json_object_new_string(n->subject));
	json_object_object_add(header, "type", json_object_new_string("header"));
	htext = text_obj("plain_text", head);
	json_object_object_add(htext, "emoji", json_object_new_boolean(1));
	json_object_object_add(header, "text", htext);
	json_object_array_add(blocks, header);

	json_object_object_add(section, "type", json_object_new_string("section"));
	json_object_object_add(section, "text", text_obj("mrkdwn", body));
	add_field(fields, "Runbook", or_none(n->runbook, "(not given)"));
	add_field(fields, "Target", or_none(n->target, "(none)"));
	add_field(fields, "Status", or_none(n->status, "(unknown)"));
	add_field(fields, "Execution", ctx->execution_id);
	add_field(fields, "Case", or_none(ctx->case_id, "(none)"));
	json_object_object_add(section, "fields", fields);
	json_object_array_add(blocks, section);

	buf_printf(&ctxline, "irx · step '%s'", ctx->step_name);
	if (ctx->account_id && *ctx->account_id)
		buf_printf(&ctxline, " · account %s", ctx->account_id);
	if (ctx->region && *ctx->region)
		buf_printf(&ctxline, " · %s", ctx->region);
	if (ctx->dry_run)
		buf_printf(&ctxline, " · dry run");
	{
		char *c = mrkdwn(ctxline.p);

		json_object_array_add(elements, text_obj("mrkdwn", c));
		free(c);
	}
	json_object_object_add(context, "type", json_object_new_string("context"));
	json_object_object_add(context, "elements", elements);
	json_object_array_add(blocks, context);
	json_object_object_add(root, "blocks", blocks);
	free(body);
	free(ctxline.p);
	return root;
}

static const char *json_text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

static long timeout_ms(struct json_object *inputs)
{
	struct json_object *v = NULL;
	long s = 10;

	if (json_object_object_get_ex(inputs, "TimeoutSeconds", &v) && v)
		s = (long)json_object_get_int64(v);
	return s * 1000;
}

/* Shared by slack and webhook: resolves, checks, posts (or describes in a dry run). */
static int deliver(const struct irx_context *ctx, struct json_object *inputs,
		   struct irx_result *res, const char *what, const char *subject,
		   struct json_object *payload, bool signed_)
{
	char *url = NULL, *secret = NULL;
	char usource[320] = "", ssource[320] = "", host[256] = "";
	struct post p = {0};
	struct buf text = {0};
	long tmo = timeout_ms(inputs);
	int rc = -1;

	if (tmo < 1000 || tmo > 120000)
		return ctx->host->fail(ctx->call, "TimeoutSeconds must be between 1 and 120");
	if (resolve(ctx, inputs, "Url", "webhook URL", true, &url, usource, sizeof(usource)) < 0)
		goto out;
	if (check_url(ctx, url, usource, host, sizeof(host)) < 0)
		goto out;
	if (signed_ && resolve(ctx, inputs, "Secret", "signing secret", true, &secret, ssource,
			       sizeof(ssource)) < 0)
		goto out;
	json_object_object_add(res->outputs, "Payload", json_object_get(payload));
	if (ctx->dry_run) {
		buf_printf(&text, "would post to %s at '%s' (URL from %s%s%s): %s", what, host,
			   usource, signed_ ? ", signed with the secret from " : "",
			   signed_ ? ssource : "", json_text(payload));
		irx_result_summary(res, "Summary", text.p);
		rc = 0;
		goto out;
	}
	p.url = url;
	p.secret = secret;
	p.host = host;
	p.what = what;
	p.body = json_text(payload);
	p.timeout_ms = tmo;
	if (post_json(ctx, &p) < 0)
		goto out;
	json_object_object_add(res->outputs, "HttpStatus", json_object_new_int((int)p.status));
	json_object_object_add(res->outputs, "Attempts", json_object_new_int(p.attempts));
	buf_printf(&text, "posted to %s at '%s' (HTTP %ld, attempt %d): '%s'", what, host, p.status,
		   p.attempts, subject);
	irx_result_summary(res, "Summary", text.p);
	rc = 0;
out:
	wipe(url);
	wipe(secret);
	free(text.p);
	return rc;
}

static int notify_slack(const struct irx_context *ctx, struct json_object *inputs,
			struct irx_result *res)
{
	struct note n = {0};
	struct json_object *payload = NULL;
	int rc = 0;

	note_build(ctx, inputs, &n);
	payload = slack_payload(ctx, &n);
	rc = deliver(ctx, inputs, res, "Slack", n.subject, payload, false);
	json_object_put(payload);
	note_free(&n);
	return rc;
}

/* --- notify:webhook ------------------------------------------------------------------------- */

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v && *v ? json_object_new_string(v) : NULL);
}

static int notify_webhook(const struct irx_context *ctx, struct json_object *inputs,
			  struct irx_result *res)
{
	struct note n = {0};
	struct json_object *payload = json_object_new_object();
	char when[32] = "";
	int rc = 0;

	note_build(ctx, inputs, &n);
	irx_iso8601_now(when, sizeof(when));
	add_str(payload, "version", "1");
	add_str(payload, "subject", n.subject);
	add_str(payload, "message", n.message);
	add_str(payload, "status", n.status);
	add_str(payload, "target_arn", n.target);
	add_str(payload, "summary", n.summary);
	add_str(payload, "runbook", n.runbook);
	add_str(payload, "execution_id", ctx->execution_id);
	add_str(payload, "step", ctx->step_name);
	add_str(payload, "case_id", ctx->case_id);
	add_str(payload, "account_id", ctx->account_id);
	add_str(payload, "region", ctx->region);
	json_object_object_add(payload, "dry_run", json_object_new_boolean(ctx->dry_run));
	add_str(payload, "sent_at", when);
	rc = deliver(ctx, inputs, res, "webhook", n.subject, payload, true);
	json_object_put(payload);
	note_free(&n);
	return rc;
}

/* --- the descriptor ------------------------------------------------------------------------- */

#define NOTE_PARAMS                                                                                \
	{"Subject", IRX_PARAM_STRING, 0, NULL,                                                     \
	 "subject / header (default: 'irx: <Status> for <TargetArn>')"},                           \
	    {"Message", IRX_PARAM_STRING, 0, NULL,                                                 \
	     "body (default: execution id, step, case id, target, status, summary)"},              \
	    {"Status", IRX_PARAM_STRING, 0, NULL, "what happened: Started, Contained, Failed, …"}, \
	    {"TargetArn", IRX_PARAM_STRING, 0, NULL, "the entity the runbook works on"},           \
	    {"Summary", IRX_PARAM_STRING, 0, NULL, "a line on what was done"},                     \
	{                                                                                          \
		"Runbook", IRX_PARAM_STRING, 0, NULL, "the runbook's name, for the reader"         \
	}

#define WHERE_PARAMS(what, label)                                                                  \
	{what "Env", IRX_PARAM_STRING, 0, NULL, "environment variable holding the " label},        \
	    {what "Parameter", IRX_PARAM_STRING, 0, NULL,                                          \
	     "SSM parameter (SecureString) holding the " label},                                   \
	{                                                                                          \
		what "SecretId", IRX_PARAM_STRING, 0, NULL,                                        \
		    "Secrets Manager secret whose SecretString is the " label                      \
	}

static const struct irx_param sns_params[] = {
    {"TopicArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "the SNS topic to publish to"},
    NOTE_PARAMS,
    {0},
};

static const struct irx_param slack_params[] = {
    WHERE_PARAMS("Url", "incoming webhook URL"),
    NOTE_PARAMS,
    {"TimeoutSeconds", IRX_PARAM_INTEGER, 0, "10", "per attempt (3 attempts)"},
    {0},
};

static const struct irx_param webhook_params[] = {
    WHERE_PARAMS("Url", "webhook URL"),
    WHERE_PARAMS("Secret", "HMAC-SHA256 signing secret"),
    NOTE_PARAMS,
    {"TimeoutSeconds", IRX_PARAM_INTEGER, 0, "10", "per attempt (3 attempts)"},
    {0},
};

/* The AWS calls of each action (the host refuses any other). */
static const char *const sns_calls[] = {
    "sns:Publish",
    NULL,
};

/* slack and webhook: a URL or secret may come from SSM or Secrets Manager. */
static const char *const post_calls[] = {
    "ssm:GetParameter",
    "secretsmanager:GetSecretValue",
    NULL,
};

static const struct irx_action actions[] = {
    {"sns", "publish a notification to an SNS topic", 0, sns_params, notify_sns, NULL, sns_calls},
    {"slack", "post a Block Kit message to a Slack incoming webhook", 0, slack_params, notify_slack,
     NULL, post_calls},
    {"webhook", "POST a signed JSON notification (X-Irx-Signature: sha256=HMAC)", 0, webhook_params,
     notify_webhook, NULL, post_calls},
    {0},
};

IRX_PLUGIN_DEFINE("notify", "1.0.0", "Apache-2.0", actions, NULL, NULL)
