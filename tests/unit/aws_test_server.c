/* SPDX-License-Identifier: Apache-2.0 */
#include "aws_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "util.h"

#define MAX_CONNS 32

struct conn {
	int fd;
	int id;
	char *buf;
	size_t len;
};

static void log_append(const char *path, int conn, const char *req, size_t len)
{
	FILE *f = fopen(path, "a");

	if (!f)
		return;
	fprintf(f, "=== conn %d\n", conn);
	fwrite(req, 1, len, f);
	fputc('\n', f);
	fclose(f);
}

/* Length of a complete request at the start of buf, or 0 when more bytes are needed. */
static size_t complete_request(const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *cl = NULL;
	size_t head = 0, body = 0;

	if (!end)
		return 0;
	head = (size_t)(end - buf) + 4;
	for (cl = buf; cl && cl < end; cl = memchr(cl, '\n', (size_t)(end - cl))) {
		if (*cl == '\n')
			cl++;
		if (strncasecmp(cl, "content-length:", 15) == 0) {
			body = strtoul(cl + 15, NULL, 10);
			break;
		}
	}
	return len >= head + body ? head + body : 0;
}

static void answer(int fd, const struct irx_ts_step *st)
{
	const char *body = st->body ? st->body : "";
	char *msg = irx_xasprintf("HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n%s", st->status,
				  strlen(body), st->headers ? st->headers : "", body);
	size_t n = strlen(msg), off = 0;

	while (off < n) {
		ssize_t w = write(fd, msg + off, n - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(msg);
}

static void serve(int lfd, const struct irx_ts_step *script, size_t n, const char *log)
{
	struct conn conns[MAX_CONNS];
	size_t nc = 0, next = 0;
	int ids = 0;

	for (;;) {
		struct pollfd pf[MAX_CONNS + 1];

		pf[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (size_t i = 0; i < nc; i++)
			pf[i + 1] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
		if (poll(pf, nc + 1, -1) < 0)
			continue;
		if ((pf[0].revents & POLLIN) && nc < MAX_CONNS) {
			int c = accept(lfd, NULL, NULL);

			if (c >= 0)
				conns[nc++] = (struct conn){c, ++ids, NULL, 0};
		}
		for (size_t i = 0; i < nc; i++) {
			struct conn *c = &conns[i];
			char tmp[65536];
			ssize_t r = 0;
			size_t reqlen = 0;
			bool closed = false;

			if (!(pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(c->fd, tmp, sizeof(tmp));
			if (r <= 0) {
				closed = true;
			} else {
				c->buf = irx_xrealloc(c->buf, c->len + (size_t)r + 1);
				memcpy(c->buf + c->len, tmp, (size_t)r);
				c->len += (size_t)r;
				c->buf[c->len] = '\0';
			}
			while (!closed && (reqlen = complete_request(c->buf, c->len)) > 0) {
				const struct irx_ts_step *st = &script[next < n ? next : n - 1];

				next++;
				log_append(log, c->id, c->buf, reqlen);
				memmove(c->buf, c->buf + reqlen, c->len - reqlen);
				c->len -= reqlen;
				if (st->action == IRX_TS_DROP) {
					closed = true;
				} else if (st->action == IRX_TS_ANSWER) {
					answer(c->fd, st);
				}
			}
			if (closed) {
				close(c->fd);
				free(c->buf);
				conns[i] = conns[--nc];
				pf[i + 1] = pf[nc + 1];
				i--;
			}
		}
	}
}

int irx_ts_start(struct irx_test_server *s, const struct irx_ts_step *script, size_t n)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	static int serial = 0;

	memset(s, 0, sizeof(*s));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->port = ntohs(a.sin_port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	snprintf(s->log, sizeof(s->log), "%s/aws-requests-%d.log", irx_test_tmpdir(), ++serial);
	irx_test_write(s->log, "");
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0) {
		close(fd);
		return -1;
	}
	if (s->pid == 0) {
		alarm(120); /* never outlive a test that failed before irx_ts_stop */
		serve(fd, script, n, s->log);
		_exit(0);
	}
	close(fd);
	return 0;
}

void irx_ts_stop(struct irx_test_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

char *irx_ts_log(const struct irx_test_server *s)
{
	char *text = NULL;
	size_t len = 0;

	if (irx_read_file(s->log, 1 << 24, &text, &len) < 0)
		return irx_xstrdup("");
	return text;
}

int irx_ts_requests(const struct irx_test_server *s)
{
	char *log = irx_ts_log(s);
	int n = 0;

	for (const char *p = log; (p = strstr(p, "=== conn ")); p++)
		n++;
	free(log);
	return n;
}

int irx_ts_connections(const struct irx_test_server *s)
{
	char *log = irx_ts_log(s);
	int max = 0;

	for (const char *p = log; (p = strstr(p, "=== conn ")); p++) {
		int id = atoi(p + 9);

		if (id > max)
			max = id;
	}
	free(log);
	return max;
}

int irx_ts_request(const struct irx_test_server *s, int n, char **head, char **body)
{
	char *log = irx_ts_log(s);
	const char *p = log, *start = NULL, *end = NULL, *sep = NULL;
	int rc = -1;

	*head = *body = NULL;
	for (int i = 0; i <= n; i++) {
		p = strstr(p, "=== conn ");
		if (!p)
			goto out;
		p++;
	}
	start = strchr(p, '\n');
	if (!start)
		goto out;
	start++;
	sep = strstr(start, "\r\n\r\n");
	if (!sep)
		goto out;
	end = strstr(sep, "\n=== conn ");
	if (!end)
		end = log + strlen(log) - 1; /* the log_append newline */
	*head = irx_xstrndup(start, (size_t)(sep - start));
	*body = irx_xstrndup(sep + 4, (size_t)(end - sep - 4));
	rc = 0;
out:
	free(log);
	return rc;
}

const char *irx_ts_header(const char *head, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);

	buf[0] = '\0';
	for (const char *l = head; l; l = strchr(l, '\n')) {
		if (*l == '\n')
			l++;
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			size_t vl = strcspn(v, "\r\n");

			while (*v == ' ' && vl) {
				v++;
				vl--;
			}
			snprintf(buf, len, "%.*s", (int)vl, v);
			break;
		}
	}
	return buf;
}
