/* SPDX-License-Identifier: Apache-2.0 */
/* The SNS HTTP endpoint: accept loop, request parsing, checks, bounded dispatch queue. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "util.h"

/* MessageIds remembered to drop SNS redeliveries of something already queued. */
#define SEEN_MAX 1024

struct irx_serve {
	struct irx_serve_options o;
	char **topics;
	char *external_id;
	const char *ext_attr;
	int fd;
	int port;
	int wake[2];

	pthread_mutex_t lock;
	pthread_cond_t cond;	       /* queue changes, connections finish */
	struct irx_sns_message *queue; /* ring of queue_max */
	size_t head, count;
	bool stopping;
	pthread_t *workers;
	size_t worker_count;
	size_t connections;
	char *seen[SEEN_MAX];
	size_t seen_next;
	struct irx_serve_stats stats;
};

struct conn {
	struct irx_serve *s;
	int fd;
};

static void logf_(struct irx_serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct irx_serve *s, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;

	if (!s->o.log)
		return;
	va_start(ap, fmt);
	line = irx_xvasprintf(fmt, ap);
	va_end(ap);
	s->o.log(s->o.log_ud, line);
	free(line);
}

/* ---- the queue and its workers ---------------------------------------------------------- */

static void *worker_main(void *ud)
{
	struct irx_serve *s = ud;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct irx_sns_message m;

		while (s->count == 0 && !s->stopping)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->count == 0)
			break; /* stopping and drained */
		m = s->queue[s->head];
		memset(&s->queue[s->head], 0, sizeof(m));
		s->head = (s->head + 1) % s->o.queue_max;
		s->count--;
		pthread_mutex_unlock(&s->lock);
		if (s->o.dispatch)
			s->o.dispatch(s->o.dispatch_ud, &m);
		irx_sns_message_release(&m);
		pthread_mutex_lock(&s->lock);
		s->stats.dispatched++;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

enum enqueue_result { ENQ_OK, ENQ_DUPLICATE, ENQ_FULL };

/* Takes *m on ENQ_OK (and leaves it empty); the caller keeps it otherwise. */
static enum enqueue_result enqueue(struct irx_serve *s, struct irx_sns_message *m)
{
	enum enqueue_result r = ENQ_OK;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < SEEN_MAX; i++)
		if (s->seen[i] && strcmp(s->seen[i], m->message_id) == 0) {
			r = ENQ_DUPLICATE;
			s->stats.duplicates++;
			goto out;
		}
	if (s->count >= s->o.queue_max) {
		r = ENQ_FULL;
		goto out;
	}
	free(s->seen[s->seen_next]);
	s->seen[s->seen_next] = irx_xstrdup(m->message_id);
	s->seen_next = (s->seen_next + 1) % SEEN_MAX;
	s->queue[(s->head + s->count) % s->o.queue_max] = *m;
	memset(m, 0, sizeof(*m));
	s->count++;
	s->stats.accepted++;
	pthread_cond_signal(&s->cond);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* ---- subscription confirmation ---------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static int curl_confirm(void *ud, const char *url, struct irx_error *err)
{
	CURL *c = curl_easy_init();
	CURLcode cc = CURLE_OK;
	long status = 0;
	int rc = -1;

	(void)ud;
	if (!c) {
		irx_error_set(err, IRX_ERR_NETWORK, "cannot start the subscription confirmation");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		irx_error_set(err, IRX_ERR_NETWORK, "cannot confirm the subscription: %s",
			      curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		irx_error_set(err, IRX_ERR_NETWORK,
			      "cannot confirm the subscription: http status %ld", status);
		goto out;
	}
	rc = 0;
out:
	curl_easy_cleanup(c);
	return rc;
}

/* ---- one request ------------------------------------------------------------------------ */

struct reply {
	int status;
	char text[512];
};

static void reply_set(struct reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_set(struct reply *r, int status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static bool topic_allowed(const struct irx_serve *s, const char *arn)
{
	for (size_t i = 0; i < s->o.topic_count; i++)
		if (strcmp(s->topics[i], arn) == 0)
			return true;
	return false;
}

/* The checks, in order of cost: shape, topic, signature, age, then per type. */
static void handle_message(struct irx_serve *s, const char *type_header, const char *body,
			   size_t len, struct reply *r)
{
	struct irx_sns_message m = {0};
	struct irx_error err = {0};
	const char *ext = NULL;
	time_t sent = 0;

	if (!type_header) {
		reply_set(r, 400, "missing x-amz-sns-message-type header");
		goto out;
	}
	if (irx_sns_message_parse(body, len, &m, &err) < 0) {
		reply_set(r, 400, "%s", err.message);
		goto out;
	}
	if (strcmp(type_header, m.type) != 0) {
		reply_set(r, 400,
			  "x-amz-sns-message-type '%.64s' does not match the message type '%s'",
			  type_header, m.type);
		goto out;
	}
	if (!topic_allowed(s, m.topic_arn)) {
		reply_set(r, 403, "topic '%.256s' is not allowed", m.topic_arn);
		goto out;
	}
	if (irx_sns_verify(s->o.verifier, &m, &err) < 0) {
		reply_set(r, err.code == IRX_ERR_NETWORK ? 502 : 403, "%s", err.message);
		goto out;
	}
	if (irx_sns_parse_timestamp(m.timestamp, &sent) < 0) {
		reply_set(r, 400, "sns message timestamp '%.64s' is not valid", m.timestamp);
		goto out;
	}
	if (s->o.max_age_s > 0 &&
	    (long long)irx_sns_verifier_now(s->o.verifier) - (long long)sent > s->o.max_age_s) {
		reply_set(r, 403, "sns message is older than %lld seconds", s->o.max_age_s);
		goto out;
	}
	if (strcmp(m.type, "SubscriptionConfirmation") == 0) {
		if (!s->o.test_allow_any_subscribe_host &&
		    irx_sns_subscribe_url_check(m.subscribe_url, &err) < 0) {
			reply_set(r, 403, "%s", err.message);
			goto out;
		}
		if (s->o.confirm(s->o.confirm_ud, m.subscribe_url, &err) < 0) {
			reply_set(r, 502, "%s", err.message);
			goto out;
		}
		pthread_mutex_lock(&s->lock);
		s->stats.confirmed++;
		pthread_mutex_unlock(&s->lock);
		reply_set(r, 200, "subscription to '%.256s' confirmed", m.topic_arn);
		goto out;
	}
	if (strcmp(m.type, "UnsubscribeConfirmation") == 0) {
		reply_set(r, 200, "unsubscribed from '%.256s'", m.topic_arn);
		goto out;
	}
	if (s->external_id) {
		ext = irx_sns_message_attribute(&m, s->ext_attr);
		if (!ext) {
			reply_set(r, 403, "message attribute '%s' is missing", s->ext_attr);
			goto out;
		}
		/* constant time over the configured length: the value is a shared secret */
		if (strlen(ext) != strlen(s->external_id) ||
		    CRYPTO_memcmp(ext, s->external_id, strlen(ext)) != 0) {
			reply_set(r, 403, "message attribute '%s' does not match", s->ext_attr);
			goto out;
		}
	}
	switch (enqueue(s, &m)) {
	case ENQ_OK:
		reply_set(r, 200, "accepted");
		break;
	case ENQ_DUPLICATE:
		reply_set(r, 200, "duplicate message, already accepted");
		break;
	case ENQ_FULL:
		reply_set(r, 503, "queue full");
		break;
	}
out:
	irx_sns_message_release(&m);
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 502:
		return "Bad Gateway";
	default:
		return "Service Unavailable";
	}
}

static void send_reply(int fd, const struct reply *r)
{
	char *msg = irx_xasprintf("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
				  "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
				  r->status, reason(r->status), strlen(r->text) + 1, r->text);
	size_t len = strlen(msg), off = 0;

	while (off < len) {
		ssize_t n = send(fd, msg + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(msg);
}

/* Reads into buf until it holds want bytes or the deadline passes. Returns bytes read or -1. */
static ssize_t read_some(int fd, char *buf, size_t cap, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	long long left = deadline - irx_now_ms();
	int pr = 0;

	if (left <= 0)
		return -1;
	pr = poll(&p, 1, (int)left);
	if (pr <= 0)
		return -1;
	return recv(fd, buf, cap, 0);
}

/* Finds a header's value in the header block (case-insensitive name); copies it out. */
static int header_value(const char *headers, const char *name, char *out, size_t cap, int *count)
{
	size_t nl = strlen(name);
	const char *line = strstr(headers, "\r\n");

	*count = 0;
	out[0] = '\0';
	while (line && line[2] != '\r' && line[2] != '\0') {
		const char *start = line + 2, *end = strstr(start, "\r\n");

		if (!end)
			break;
		if ((size_t)(end - start) > nl && strncasecmp(start, name, nl) == 0 &&
		    start[nl] == ':') {
			const char *v = start + nl + 1;
			const char *ve = end;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			(*count)++;
			snprintf(out, cap, "%.*s", (int)(ve - v), v);
		}
		line = end;
	}
	return *count > 0 ? 0 : -1;
}

static void handle_conn(struct irx_serve *s, int fd)
{
	long long deadline = irx_now_ms() + s->o.io_timeout_ms;
	size_t hcap = s->o.max_header, hlen = 0, body_len = 0, have = 0;
	char *buf = irx_xmalloc(hcap + 1), *end = NULL, *body = NULL;
	char type[128] = "", clen[32] = "", te[64] = "";
	struct reply r = {0};
	int n_clen = 0, n_type = 0, n_te = 0;

	/* the header block */
	for (;;) {
		ssize_t n = 0;

		if (hlen == hcap) {
			reply_set(&r, 431, "request headers are larger than %zu bytes", hcap);
			goto reply;
		}
		n = read_some(fd, buf + hlen, hcap - hlen, deadline);
		if (n == 0)
			goto out; /* the client went away */
		if (n < 0) {
			reply_set(&r, 408, "request not received within %d ms", s->o.io_timeout_ms);
			goto reply;
		}
		hlen += (size_t)n;
		buf[hlen] = '\0';
		if (memchr(buf, '\0', hlen)) {
			reply_set(&r, 400, "request headers contain a NUL byte");
			goto reply;
		}
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
	}
	if (strncmp(buf, "POST ", 5) != 0) {
		reply_set(&r, 405, "only POST is accepted");
		goto reply;
	}
	{
		const char *eol = strstr(buf, "\r\n");
		const char *proto = eol ? eol - 8 : buf;

		if (!eol || eol - buf < 15 ||
		    (strncmp(proto, "HTTP/1.1", 8) != 0 && strncmp(proto, "HTTP/1.0", 8) != 0)) {
			reply_set(&r, 400, "malformed request line");
			goto reply;
		}
	}
	end[2] = '\0'; /* keep the last header's CRLF for header_value */
	header_value(buf, "x-amz-sns-message-type", type, sizeof(type), &n_type);
	header_value(buf, "content-length", clen, sizeof(clen), &n_clen);
	header_value(buf, "transfer-encoding", te, sizeof(te), &n_te);
	if (n_te > 0 || n_clen == 0) {
		reply_set(&r, 411, "a Content-Length header is required");
		goto reply;
	}
	if (n_clen > 1 || n_type > 1) {
		reply_set(&r, 400, "conflicting duplicate headers");
		goto reply;
	}
	if (clen[0] == '\0' || strspn(clen, "0123456789") != strlen(clen) || strlen(clen) > 12) {
		reply_set(&r, 400, "content-length '%s' is not a number", clen);
		goto reply;
	}
	body_len = (size_t)strtoull(clen, NULL, 10);
	if (body_len > s->o.max_body) {
		reply_set(&r, 413, "request body is larger than %zu bytes", s->o.max_body);
		goto reply;
	}
	/* the body: what came with the headers, then the rest */
	body = irx_xmalloc(body_len + 1);
	have = hlen - (size_t)(end + 4 - buf);
	if (have > body_len) {
		reply_set(&r, 400, "request body is longer than its content-length");
		goto reply;
	}
	memcpy(body, end + 4, have);
	while (have < body_len) {
		ssize_t n = read_some(fd, body + have, body_len - have, deadline);

		if (n == 0)
			goto out;
		if (n < 0) {
			reply_set(&r, 408, "request not received within %d ms", s->o.io_timeout_ms);
			goto reply;
		}
		have += (size_t)n;
	}
	body[body_len] = '\0';
	handle_message(s, n_type ? type : NULL, body, body_len, &r);
reply:
	if (r.status >= 400 && r.status < 500) {
		pthread_mutex_lock(&s->lock);
		s->stats.rejected++;
		pthread_mutex_unlock(&s->lock);
	}
	if (r.status == 503) {
		pthread_mutex_lock(&s->lock);
		s->stats.busy++;
		pthread_mutex_unlock(&s->lock);
	}
	logf_(s, "%d %s", r.status, r.text);
	send_reply(fd, &r);
out:
	free(body);
	free(buf);
}

static void *conn_main(void *ud)
{
	struct conn *c = ud;
	struct irx_serve *s = c->s;

	handle_conn(s, c->fd);
	shutdown(c->fd, SHUT_WR);
	close(c->fd);
	free(c);
	pthread_mutex_lock(&s->lock);
	s->connections--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- the server ------------------------------------------------------------------------- */

static int parse_listen(const char *listen, struct sockaddr_in *sa, struct irx_error *err)
{
	const char *colon = strrchr(listen, ':');
	char host[64] = "";
	char *endp = NULL;
	long port = 0;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host)) {
		irx_error_set(err, IRX_ERR_INVALID, "listen address '%s' is not ADDR:PORT", listen);
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	errno = 0;
	port = strtol(colon + 1, &endp, 10);
	if (colon[1] == '\0' || *endp || errno || port < 0 || port > 65535) {
		irx_error_set(err, IRX_ERR_INVALID, "listen port '%s' is not a port number",
			      colon + 1);
		return -1;
	}
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		irx_error_set(err, IRX_ERR_INVALID, "listen address '%s' is not an IPv4 address",
			      host);
		return -1;
	}
	sa->sin_port = htons((unsigned short)port);
	return 0;
}

struct irx_serve *irx_serve_new(const struct irx_serve_options *o, struct irx_error *err)
{
	struct irx_serve *s = irx_xcalloc(1, sizeof(*s));
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	s->fd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->o = *o;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (!s->o.listen)
		s->o.listen = "127.0.0.1:8080";
	if (!s->o.workers)
		s->o.workers = 2;
	if (!s->o.queue_max)
		s->o.queue_max = 64;
	if (!s->o.max_connections)
		s->o.max_connections = 64;
	if (!s->o.max_body)
		s->o.max_body = 256 * 1024;
	if (!s->o.max_header)
		s->o.max_header = 16 * 1024;
	if (s->o.io_timeout_ms <= 0)
		s->o.io_timeout_ms = 10000;
	if (!s->o.confirm)
		s->o.confirm = curl_confirm;
	s->ext_attr = s->o.external_id_attribute ? s->o.external_id_attribute : "ExternalId";
	s->o.external_id_attribute = NULL;
	if (o->external_id)
		s->external_id = irx_xstrdup(o->external_id);
	s->o.external_id = NULL;
	if (!o->verifier) {
		irx_error_set(err, IRX_ERR_INVALID, "irx serve needs a signature verifier");
		goto fail;
	}
	if (o->topic_count == 0) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "no topic is allowed: give at least one --topic ARN");
		goto fail;
	}
	s->topics = irx_xcalloc(o->topic_count, sizeof(char *));
	for (size_t i = 0; i < o->topic_count; i++)
		s->topics[i] = irx_xstrdup(o->topics[i]);
	s->o.topics = NULL;
	if (parse_listen(s->o.listen, &sa, err) < 0)
		goto fail;
	s->o.listen = NULL;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s->fd, 128) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot listen on '%s': %s",
			      o->listen ? o->listen : "127.0.0.1:8080", strerror(errno));
		goto fail;
	}
	getsockname(s->fd, (struct sockaddr *)&sa, &sl);
	s->port = ntohs(sa.sin_port);
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	s->queue = irx_xcalloc(s->o.queue_max, sizeof(*s->queue));
	s->workers = irx_xcalloc(s->o.workers, sizeof(pthread_t));
	for (size_t i = 0; i < s->o.workers; i++) {
		if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0) {
			irx_error_set(err, IRX_ERR_NOMEM, "cannot start a worker thread");
			goto fail;
		}
		s->worker_count++;
	}
	return s;
fail:
	irx_serve_free(s);
	return NULL;
}

int irx_serve_port(const struct irx_serve *s)
{
	return s->port;
}

void irx_serve_stop(struct irx_serve *s)
{
	char b = 1;
	ssize_t n = write(s->wake[1], &b, 1);

	(void)n;
}

int irx_serve_run(struct irx_serve *s, struct irx_error *err)
{
	struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
			      {.fd = s->wake[0], .events = POLLIN}};
	int rc = 0;

	for (;;) {
		int fd = -1;
		bool full = false;
		pthread_t t;
		pthread_attr_t attr;
		struct conn *c = NULL;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			irx_error_set(err, IRX_ERR_IO, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (p[1].revents)
			break;
		fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue; /* the client gave up, or out of descriptors for a moment */
		pthread_mutex_lock(&s->lock);
		full = s->connections >= s->o.max_connections;
		if (!full)
			s->connections++;
		else
			s->stats.busy++;
		pthread_mutex_unlock(&s->lock);
		if (full) {
			struct reply r = {0};
			struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};

			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			reply_set(&r, 503, "too many connections");
			logf_(s, "%d %s", r.status, r.text);
			send_reply(fd, &r);
			close(fd);
			continue;
		}
		c = irx_xcalloc(1, sizeof(*c));
		c->s = s;
		c->fd = fd;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, conn_main, c) != 0) {
			close(fd);
			free(c);
			pthread_mutex_lock(&s->lock);
			s->connections--;
			pthread_mutex_unlock(&s->lock);
		}
		pthread_attr_destroy(&attr);
	}
	/* connections in flight finish (each is bounded by io_timeout_ms plus its checks) */
	pthread_mutex_lock(&s->lock);
	while (s->connections > 0)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void irx_serve_free(struct irx_serve *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < s->worker_count; i++)
		pthread_join(s->workers[i], NULL);
	for (size_t i = 0; s->queue && i < s->count; i++)
		irx_sns_message_release(&s->queue[(s->head + i) % s->o.queue_max]);
	for (size_t i = 0; i < SEEN_MAX; i++)
		free(s->seen[i]);
	for (size_t i = 0; s->topics && i < s->o.topic_count; i++)
		free(s->topics[i]);
	free(s->topics);
	free(s->external_id);
	free(s->queue);
	free(s->workers);
	if (s->fd >= 0)
		close(s->fd);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void irx_serve_get_stats(struct irx_serve *s, struct irx_serve_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}
