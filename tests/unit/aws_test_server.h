/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scripted HTTP/1.1 server for the AWS client's tests: forked on 127.0.0.1, keep-alive,
 * several connections at once (poll). Each request gets the next step of the script (the last
 * step repeats): an answer, a dropped connection, or silence. Every request (head and body) is
 * appended to a log file the test reads.
 */
#ifndef IRX_AWS_TEST_SERVER_H
#define IRX_AWS_TEST_SERVER_H

#include <sys/types.h>

enum irx_ts_action {
	IRX_TS_ANSWER = 0,
	IRX_TS_DROP, /* close the connection without answering */
	IRX_TS_HANG, /* never answer (the connection stays open) */
};

struct irx_ts_step {
	enum irx_ts_action action;
	int status;
	const char *headers; /* extra header lines, each ending "\r\n"; may be NULL */
	const char *body;    /* may be NULL */
};

struct irx_test_server {
	pid_t pid;
	int port;
	char url[64];  /* "http://127.0.0.1:PORT" */
	char log[512]; /* request log path */
};

/* Starts the server with script (borrowed: the child has its own copy). Returns 0 or -1. */
int irx_ts_start(struct irx_test_server *s, const struct irx_ts_step *script, size_t n);
void irx_ts_stop(struct irx_test_server *s);

/* The log so far: each request as "=== conn N\n<head>\r\n\r\n<body>\n". Caller frees. */
char *irx_ts_log(const struct irx_test_server *s);
/* Number of requests / distinct connections seen so far. */
int irx_ts_requests(const struct irx_test_server *s);
int irx_ts_connections(const struct irx_test_server *s);

/*
 * The n-th request (0-based) of the log, split: its head (request line and headers, without
 * the blank line) and body. Returns 0, or -1 when there is no such request. Caller frees both.
 */
int irx_ts_request(const struct irx_test_server *s, int n, char **head, char **body);
/* A header's value in a request head (case-insensitive name), copied to buf; "" if absent. */
const char *irx_ts_header(const char *head, const char *name, char *buf, size_t len);

#endif
