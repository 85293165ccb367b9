/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx as a Lambda custom runtime's bootstrap, against a local Runtime API stand-in (a forked
 * HTTP server on 127.0.0.1 that hands out invocations and records what comes back): a
 * GuardDuty finding is contained in the simulator and answered with its execution; a payload
 * that is no event is answered on the error endpoint; a bad configuration is an init error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sim_harness.h"
#include "test.h"

#define A1 "111111111111"

static struct irx_sim sim;
static char work[4096];

static int setup(void)
{
	snprintf(work, sizeof(work), "%s", irx_test_tmpdir());
	return irx_sim_start(&sim) == 0 ? 0 : -1;
}

static int teardown(void)
{
	irx_sim_stop(&sim);
	return 0;
}

struct api {
	pid_t pid;
	int port;
	char record[4200];
};

/* Reads one HTTP request: the request line and headers into head, the body into body. */
static int read_request(int fd, char *head, size_t hsize, char **body)
{
	size_t n = 0, want = 0;
	char *end = NULL, *cl = NULL;

	while (!(end = strstr(head, "\r\n\r\n"))) {
		ssize_t r = read(fd, head + n, hsize - 1 - n);

		if (r <= 0)
			return -1;
		n += (size_t)r;
		head[n] = '\0';
	}
	cl = strcasestr(head, "Content-Length:");
	want = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
	*body = calloc(1, want + 1);
	n = n - (size_t)(end + 4 - head);
	memcpy(*body, end + 4, n);
	while (n < want) {
		ssize_t r = read(fd, *body + n, want - n);

		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	*end = '\0';
	return 0;
}

/*
 * Serves events[] in order on GET .../invocation/next (request ids req-1, req-2, ...) and
 * appends every POST to record as "PATH\nERROR-TYPE-HEADER\nBODY\n"; exits after posts POSTs.
 */
static void serve(int lfd, const char *const *events, int posts, const char *record)
{
	int next = 0, posted = 0;

	while (posted < posts) {
		char head[8192] = "", path[512] = "", *body = NULL, *h = NULL;
		int fd = accept(lfd, NULL, NULL);
		FILE *rec = NULL;

		if (fd < 0 || read_request(fd, head, sizeof(head), &body) < 0)
			_exit(3);
		sscanf(head, "%*s %511s", path);
		if (strncmp(head, "GET ", 4) == 0 && strstr(path, "/invocation/next") &&
		    events[next]) {
			dprintf(
			    fd,
			    "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: req-%d\r\n"
			    "Lambda-Runtime-Deadline-Ms: 4102444800000\r\n"
			    "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:" A1
			    ":function:irx\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
			    next + 1, strlen(events[next]), events[next]);
			next++;
		} else if (strncmp(head, "POST ", 5) == 0) {
			rec = fopen(record, "a");
			h = strcasestr(head, "Lambda-Runtime-Function-Error-Type:");
			fprintf(rec, "%s\n%.*s\n%s\n", path,
				h ? (int)strcspn(h + 35, "\r\n") - 1 : 0, h ? h + 36 : "", body);
			fclose(rec);
			dprintf(fd,
				"HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\nConnection: close"
				"\r\n\r\n{\"status\":\"OK\"}\n");
			posted++;
		} else {
			dprintf(
			    fd,
			    "HTTP/1.1 500 Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
		}
		free(body);
		close(fd);
	}
	_exit(0);
}

static int api_start(struct api *a, const char *const *events, int posts, const char *name)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	a->port = ntohs(sin.sin_port);
	snprintf(a->record, sizeof(a->record), "%s/%s", work, name);
	unlink(a->record);
	if ((a->pid = fork()) == 0)
		serve(lfd, events, posts, a->record);
	close(lfd);
	return a->pid > 0 ? 0 : -1;
}

/* Waits for the stand-in; returns what it recorded (caller frees). */
static char *api_finish(struct api *a)
{
	FILE *f = NULL;
	char *s = calloc(1, 1 << 16);
	int status = 0;

	for (int i = 0; i < 100 && waitpid(a->pid, &status, WNOHANG) == 0; i++)
		usleep(50000);
	if (waitpid(a->pid, &status, WNOHANG) == 0) {
		kill(a->pid, SIGKILL);
		waitpid(a->pid, &status, 0);
	}
	if ((f = fopen(a->record, "r"))) {
		size_t n = fread(s, 1, (1 << 16) - 1, f);

		s[n] = '\0';
		fclose(f);
	}
	return s;
}

/* Runs the binary named bootstrap (a symlink to irx) with the stand-in's address. */
static int bootstrap(const struct api *a, const char *config, const char *max, char **out,
		     char **err)
{
	static char link[4200], api[64], plugins[4300], state[4300], cfg[4400], maxenv[64];
	const char *argv[] = {link, NULL};
	const char *env[80] = {NULL};
	const char *const *simenv = irx_sim_env(&sim);
	size_t e = 0;
	char *target = realpath(irx_test_build("irx"), NULL);

	snprintf(link, sizeof(link), "%s/task/bootstrap", work);
	if (access(link, X_OK) != 0) {
		char dir[4200];

		snprintf(dir, sizeof(dir), "%s/task", work);
		mkdir(dir, 0700);
		CU_ASSERT_EQUAL(symlink(target, link), 0);
	}
	free(target);
	for (; simenv[e] && e < 70; e++)
		env[e] = simenv[e];
	snprintf(api, sizeof(api), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d", a->port);
	snprintf(plugins, sizeof(plugins), "IRX_PLUGIN_PATH=%s", irx_test_build("plugins"));
	snprintf(state, sizeof(state), "IRX_STATE_DIR=%s/state", work);
	snprintf(cfg, sizeof(cfg), "IRX_CONFIG=%s", config);
	snprintf(maxenv, sizeof(maxenv), "IRX_LAMBDA_MAX_INVOCATIONS=%s", max);
	env[e++] = api;
	env[e++] = plugins;
	env[e++] = state;
	env[e++] = cfg;
	env[e++] = maxenv;
	env[e++] = "IRX_RUNBOOK_PATH=";
	return irx_test_run(argv, env, NULL, out, err);
}

static void test_good_event_and_bad_event(void)
{
	char config[4300], event[2048], key[64] = "";
	struct json_object *r = NULL, *res = NULL, *ak = NULL, *id = NULL;
	const char *events[3] = {event, "this is not an event {", NULL};
	struct api a = {0};
	char *out = NULL, *err = NULL, *rec = NULL, *second = NULL;
	struct json_object *resp = NULL, *t0 = NULL, *v = NULL;

	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/call",
					"{\"account\":\"" A1 "\",\"service\":\"iam\",\"operation\":"
					"\"CreateUser\",\"params\":{\"UserName\":\"mallory\"}}",
					NULL),
			200);
	CU_ASSERT_EQUAL(
	    irx_sim_control(&sim, "POST", "/__awssim/call",
			    "{\"account\":\"" A1 "\",\"service\":\"iam\",\"operation\":"
			    "\"CreateAccessKey\",\"params\":{\"UserName\":\"mallory\"}}",
			    &r),
	    200);
	json_object_object_get_ex(r, "result", &res);
	json_object_object_get_ex(res, "AccessKey", &ak);
	json_object_object_get_ex(ak, "AccessKeyId", &id);
	snprintf(key, sizeof(key), "%s", json_object_get_string(id));
	json_object_put(r);
	snprintf(event, sizeof(event),
		 "{\"version\":\"0\",\"id\":\"e-l\",\"detail-type\":\"GuardDuty Finding\","
		 "\"source\":\"aws.guardduty\",\"account\":\"" A1 "\",\"region\":\"us-east-1\","
		 "\"detail\":{\"id\":\"f-lambda-1\",\"type\":"
		 "\"UnauthorizedAccess:IAMUser/MaliciousIPCaller\",\"severity\":8,"
		 "\"accountId\":\"" A1 "\",\"region\":\"us-east-1\",\"resource\":{"
		 "\"resourceType\":\"AccessKey\",\"accessKeyDetails\":{\"accessKeyId\":\"%s\","
		 "\"userType\":\"IAMUser\",\"userName\":\"mallory\"}},\"service\":{}}}",
		 key);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "POST", "/__awssim/call",
					"{\"account\":\"" A1 "\",\"service\":\"sns\",\"operation\":"
					"\"CreateTopic\",\"params\":{\"Name\":\"irx-alerts\"}}",
					NULL),
			200);
	snprintf(config, sizeof(config), "%s/irx.yaml", work);
	CU_ASSERT_EQUAL_FATAL(
	    irx_test_write(config, "version: 1\ndefaults: {region: us-east-1}\n"
				   "notifications:\n  - {name: soc, type: sns, topic_arn: "
				   "'arn:aws:sns:us-east-1:" A1 ":irx-alerts'}\n"),
	    0);
	CU_ASSERT_EQUAL_FATAL(api_start(&a, events, 2, "posts"), 0);
	CU_ASSERT_EQUAL(bootstrap(&a, config, "2", &out, &err), 0);
	rec = api_finish(&a);
	/* the first invocation's response: the execution, journaled, Success */
	CU_ASSERT_EQUAL(strncmp(rec, "/2018-06-01/runtime/invocation/req-1/response\n\n", 47), 0);
	second = strstr(rec, "/2018-06-01/runtime/invocation/req-2/error\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	second[-1] = '\0';
	resp = json_tokener_parse(rec + 47);
	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	CU_ASSERT_TRUE(json_object_object_get_ex(resp, "executed", &v) &&
		       json_object_get_int(v) == 1);
	CU_ASSERT_TRUE(json_object_object_get_ex(resp, "failed", &v) &&
		       json_object_get_int(v) == 0);
	json_object_object_get_ex(resp, "targets", &v);
	t0 = json_object_array_get_idx(v, 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(t0, "runbook")),
			       "iam-credential-exposure");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(t0, "status")),
			       "Success");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(t0, "arn")),
			       "arn:aws:iam::" A1 ":user/mallory");
	CU_ASSERT_EQUAL(strlen(json_object_get_string(json_object_object_get(t0, "executionId"))),
			36);
	json_object_put(resp);
	/* the second: the error endpoint, Unhandled, the parser's message */
	IRX_ASSERT_CONTAINS(second, "/2018-06-01/runtime/invocation/req-2/error\nUnhandled\n"
				    "{\"errorMessage\":\"");
	IRX_ASSERT_CONTAINS(second, "\"errorType\":\"InvalidEvent\"}");
	IRX_ASSERT_CONTAINS(err, "irx: invocation req-1");
	CU_ASSERT_STRING_EQUAL(out, "");
	free(rec);
	free(out);
	free(err);
}

static void test_init_error(void)
{
	char config[4300];
	const char *events[] = {NULL};
	struct api a = {0};
	char *out = NULL, *err = NULL, *rec = NULL;

	snprintf(config, sizeof(config), "%s/bad.yaml", work);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(config, "version: 1\nbogus: 1\n"), 0);
	CU_ASSERT_EQUAL_FATAL(api_start(&a, events, 1, "init"), 0);
	CU_ASSERT_EQUAL(bootstrap(&a, config, "1", &out, &err), 2);
	rec = api_finish(&a);
	IRX_ASSERT_CONTAINS(rec, "/2018-06-01/runtime/init/error\nRuntime.InitError\n"
				 "{\"errorMessage\":\"");
	IRX_ASSERT_CONTAINS(rec, "\"errorType\":\"InvalidConfiguration\"}");
	free(rec);
	free(out);
	free(err);
}

static CU_TestInfo tests[] = {
    {"bootstrap answers a finding with its execution and a bad payload with an error",
     test_good_event_and_bad_event},
    {"a bad configuration is reported as an init error", test_init_error},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("lambda_runtime", tests, setup, teardown)
