/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS client's benchmark (make bench, driven by tools/bench against the simulator):
 *   bench_client N
 * with AWS_ENDPOINT_URL and the simulator's test credentials in the environment. Prints JSON:
 * requests per second over one reused connection and with a new connection (a new client) per
 * request, and irx's own time per call (everything but waiting on the transport: lookup,
 * serialization, signing, parsing) as p50/p99 in microseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "aws/client.h"
#include "util.h"

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The curl transport, timed. */
struct timed {
	struct irx_aws_curl *curl;
	long long in_transport_us;
	long new_connections;
};

static int timed_perform(void *ud, const struct irx_aws_transport_request *reqs,
			 struct irx_aws_transport_response *resps, size_t n)
{
	struct timed *t = ud;
	long long t0 = now_us();
	int rc = irx_aws_curl_perform(t->curl, reqs, resps, n);

	t->in_transport_us += now_us() - t0;
	for (size_t i = 0; i < n; i++)
		t->new_connections += resps[i].new_connections;
	return rc;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static struct irx_aws_client *client(struct timed *t)
{
	struct irx_aws_client_options o = {0};
	struct irx_error err = {0};
	struct irx_aws_client *c = NULL;

	o.transport = timed_perform;
	o.transport_ud = t;
	c = irx_aws_client_new(&o, &err);
	if (!c) {
		fprintf(stderr, "bench_client: %s\n", err.message);
		exit(1);
	}
	return c;
}

static void call(struct irx_aws_client *c)
{
	struct irx_error err = {0};
	struct json_object *resp = NULL;

	if (irx_aws_call(c, NULL, "ec2", "DescribeInstances", NULL, &resp, &err) < 0) {
		fprintf(stderr, "bench_client: %s\n", err.message);
		exit(1);
	}
	json_object_put(resp);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	struct timed t = {0};
	struct irx_aws_client *c = NULL;
	long long *own = NULL, t0 = 0, reused_us = 0, fresh_us = 0;
	long reused_conns = 0, fresh_conns = 0;

	if (n < 10)
		n = 10;
	own = irx_xcalloc((size_t)n, sizeof(*own));
	t.curl = irx_aws_curl_new();
	c = client(&t);
	call(c); /* warm up: connection, credentials */
	t.new_connections = 0;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		long long a = now_us(), before = t.in_transport_us;

		call(c);
		own[i] = (now_us() - a) - (t.in_transport_us - before);
	}
	reused_us = now_us() - t0;
	reused_conns = t.new_connections;
	irx_aws_client_free(c);
	irx_aws_curl_free(t.curl);

	t.new_connections = 0;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		t.curl = irx_aws_curl_new();
		c = client(&t);
		call(c);
		irx_aws_client_free(c);
		irx_aws_curl_free(t.curl);
	}
	fresh_us = now_us() - t0;
	fresh_conns = t.new_connections;

	qsort(own, (size_t)n, sizeof(*own), cmp_ll);
	printf("{\"calls\":%d,\"reused_rps\":%.1f,\"reused_new_connections\":%ld,"
	       "\"new_connection_rps\":%.1f,\"new_connections\":%ld,"
	       "\"irx_overhead_p50_us\":%lld,\"irx_overhead_p99_us\":%lld}\n",
	       n, n * 1e6 / (double)reused_us, reused_conns, n * 1e6 / (double)fresh_us,
	       fresh_conns, own[n / 2], own[(n * 99) / 100]);
	free(own);
	return 0;
}
