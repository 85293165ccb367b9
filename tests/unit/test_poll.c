/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx poll against the simulator: three worker processes (two threads each, separate state
 * directories, as on three hosts) share one SQS queue and one DynamoDB dedupe table. Each of
 * three GuardDuty findings is sent three times (raw EventBridge and wrapped in an SNS
 * envelope, as an SQS subscription delivers it), and three messages are first received and
 * abandoned by a consumer that "crashed", so they come back after a 1 s visibility timeout.
 * Every finding is contained exactly once, every message is deleted, and SIGTERM stops cleanly.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sim_harness.h"
#include "test.h"

#define A1 "111111111111"
#define QUEUE_URL "https://sqs.us-east-1.amazonaws.com/" A1 "/irx-events"
#define WORKERS 3
#define FINDINGS 3

extern char **environ;

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

/* An operation through the control endpoint; returns its result (caller puts it). */
static struct json_object *call(const char *service, const char *op, const char *params)
{
	struct json_object *r = NULL, *res = NULL;
	char *body = NULL;
	long st = 0;

	body = malloc(strlen(params) + 256);
	sprintf(body,
		"{\"account\":\"" A1 "\",\"region\":\"us-east-1\",\"service\":\"%s\","
		"\"operation\":\"%s\",\"params\":%s}",
		service, op, params);
	st = irx_sim_control(&sim, "POST", "/__awssim/call", body, &r);
	if (st != 200)
		fprintf(stderr, "\n  %s:%s -> %ld %s\n", service, op, st,
			json_object_to_json_string(r));
	CU_ASSERT_EQUAL(st, 200);
	free(body);
	json_object_object_get_ex(r, "result", &res);
	json_object_get(res);
	json_object_put(r);
	return res;
}

static void call_put(const char *service, const char *op, const char *params)
{
	json_object_put(call(service, op, params));
}

/* A GuardDuty finding (an EventBridge event) on user's access key. */
static char *finding(int i, const char *key)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"version\":\"0\",\"id\":\"e-%d\",\"detail-type\":\"GuardDuty Finding\","
		     "\"source\":\"aws.guardduty\",\"account\":\"" A1 "\",\"region\":\"us-east-1\","
		     "\"detail\":{\"id\":\"f-poll-%d\",\"type\":"
		     "\"UnauthorizedAccess:IAMUser/MaliciousIPCaller\",\"severity\":8,"
		     "\"accountId\":\"" A1 "\",\"region\":\"us-east-1\",\"resource\":{"
		     "\"resourceType\":\"AccessKey\",\"accessKeyDetails\":{\"accessKeyId\":\"%s\","
		     "\"userType\":\"IAMUser\",\"userName\":\"user%d\"}},\"service\":{}}}",
		     i, i, key, i) < 0)
		abort();
	return s;
}

/* The same event as an SNS notification delivered to an SQS subscription. */
static char *sns_envelope(const char *event, int n)
{
	struct json_object *o = json_object_new_object();
	char *s = NULL, mid[64];

	snprintf(mid, sizeof(mid), "00000000-0000-0000-0000-%012d", n);
	json_object_object_add(o, "Type", json_object_new_string("Notification"));
	json_object_object_add(o, "MessageId", json_object_new_string(mid));
	json_object_object_add(o, "TopicArn",
			       json_object_new_string("arn:aws:sns:us-east-1:" A1 ":findings"));
	json_object_object_add(o, "Message", json_object_new_string(event));
	json_object_object_add(o, "Timestamp", json_object_new_string("2026-01-01T00:00:00.000Z"));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static void send_message(const char *body)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "QueueUrl", json_object_new_string(QUEUE_URL));
	json_object_object_add(p, "MessageBody", json_object_new_string(body));
	call_put("sqs", "SendMessage", json_object_to_json_string(p));
	json_object_put(p);
}

static struct json_object *queue_state(void)
{
	struct json_object *st = NULL, *q = NULL;

	CU_ASSERT_EQUAL(
	    irx_sim_control(&sim, "GET", "/__awssim/state?account=" A1 "&service=sqs", NULL, &st),
	    200);
	/* {"state": {"111111111111/us-east-1/sqs": {"queues": {...}}}} or the state itself */
	json_object_object_foreach(st, k, v)
	{
		(void)k;
		json_object_object_foreach(v, k2, v2)
		{
			struct json_object *queues = NULL;

			(void)k2;
			if (json_object_object_get_ex(v2, "queues", &queues))
				json_object_object_get_ex(queues, "irx-events", &q);
		}
	}
	json_object_get(q);
	json_object_put(st);
	return q;
}

static size_t array_len(struct json_object *o, const char *key)
{
	struct json_object *a = NULL;

	return json_object_object_get_ex(o, key, &a) ? json_object_array_length(a) : (size_t)-1;
}

static size_t count_requests(const char *service, const char *op)
{
	struct json_object *r = NULL;
	char path[256];
	size_t n = 0;

	snprintf(path, sizeof(path), "/__awssim/requests?service=%s&operation=%s", service, op);
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "GET", path, NULL, &r), 200);
	if (json_object_is_type(r, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(r); i++) {
			struct json_object *e = json_object_array_get_idx(r, i), *st = NULL;

			if (json_object_object_get_ex(e, "status", &st) &&
			    json_object_get_int(st) == 200)
				n++;
		}
	} else {
		struct json_object *a = NULL;

		if (json_object_object_get_ex(r, "requests", &a))
			for (size_t i = 0; i < json_object_array_length(a); i++) {
				struct json_object *e = json_object_array_get_idx(a, i), *st = NULL;

				if (json_object_object_get_ex(e, "status", &st) &&
				    json_object_get_int(st) == 200)
					n++;
			}
	}
	json_object_put(r);
	return n;
}

static pid_t spawn_worker(int i, char *const env[])
{
	char *argv[16] = {0};
	char log[4300];
	posix_spawn_file_actions_t fa;
	pid_t pid = 0;
	int n = 0;

	argv[n++] = (char *)irx_test_build("irx");
	argv[n++] = "poll";
	argv[n++] = "--queue";
	argv[n++] = QUEUE_URL;
	argv[n++] = "--workers";
	argv[n++] = "2";
	argv[n++] = "--dedupe-table";
	argv[n++] = "irx-dedupe";
	argv[n++] = "--visibility";
	argv[n++] = "3";
	argv[n++] = "--wait";
	argv[n++] = "1";
	snprintf(log, sizeof(log), "%s/worker%d.log", work, i);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	CU_ASSERT_EQUAL(posix_spawn(&pid, argv[0], &fa, NULL, argv, env), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	s = calloc(1, 1 << 20);
	len = fread(s, 1, (1 << 20) - 1, f);
	s[len] = '\0';
	fclose(f);
	return s;
}

static size_t occurrences(const char *h, const char *n)
{
	size_t c = 0;

	for (const char *p = h; (p = strstr(p, n)); p += strlen(n))
		c++;
	return c;
}

/* Lines "... execution ID STATUS" whose end is suffix. */
static size_t executions(const char *log, const char *suffix)
{
	size_t c = 0;

	for (const char *p = log; (p = strstr(p, " execution ")); p++) {
		const char *nl = strchr(p, '\n');
		size_t sl = strlen(suffix);

		if (nl && (size_t)(nl + 1 - p) >= sl && strncmp(nl + 1 - sl, suffix, sl) == 0)
			c++;
	}
	return c;
}

static void test_three_workers_duplicates_redeliveries(void)
{
	char keys[FINDINGS][64], *events[FINDINGS], *env[80] = {0};
	char state[WORKERS][4300], plugins[4300], cfgpath[4300], cfgenv[4400];
	const char *const *simenv = irx_sim_env(&sim);
	pid_t pids[WORKERS];
	struct json_object *q = NULL, *r = NULL, *msgs = NULL, *tab = NULL;
	size_t e = 0, executed = 0;
	int sent = 0;

	/* three users, each with an access key a finding names */
	for (int i = 0; i < FINDINGS; i++) {
		char p[128];
		struct json_object *ak = NULL, *id = NULL;

		snprintf(p, sizeof(p), "{\"UserName\":\"user%d\"}", i);
		call_put("iam", "CreateUser", p);
		r = call("iam", "CreateAccessKey", p);
		json_object_object_get_ex(r, "AccessKey", &ak);
		json_object_object_get_ex(ak, "AccessKeyId", &id);
		snprintf(keys[i], sizeof(keys[i]), "%s", json_object_get_string(id));
		json_object_put(r);
		events[i] = finding(i, keys[i]);
	}
	call_put("sns", "CreateTopic", "{\"Name\":\"irx-alerts\"}");
	call_put("sqs", "CreateQueue", "{\"QueueName\":\"irx-events\"}");
	call_put("dynamodb", "CreateTable",
		 "{\"TableName\":\"irx-dedupe\",\"KeySchema\":[{\"AttributeName\":\"pk\","
		 "\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
		 "\"AttributeType\":\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
	/* each finding three times: raw, in an SNS envelope, raw again */
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < FINDINGS; i++) {
			char *body = round == 1 ? sns_envelope(events[i], sent) : strdup(events[i]);

			send_message(body);
			free(body);
			sent++;
		}
	/* a consumer that crashed: three messages in flight for 1 s, never deleted */
	r = call("sqs", "ReceiveMessage",
		 "{\"QueueUrl\":\"" QUEUE_URL
		 "\",\"MaxNumberOfMessages\":3,\"VisibilityTimeout\":1}");
	json_object_object_get_ex(r, "Messages", &msgs);
	CU_ASSERT_EQUAL(msgs ? json_object_array_length(msgs) : 0, 3);
	json_object_put(r);

	snprintf(cfgpath, sizeof(cfgpath), "%s/irx.yaml", work);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(cfgpath,
					     "version: 1\n"
					     "defaults: {region: us-east-1}\n"
					     "notifications:\n"
					     "  - {name: soc, type: sns, topic_arn: "
					     "'arn:aws:sns:us-east-1:" A1 ":irx-alerts'}\n"),
			      0);
	/* posix_spawn takes the whole environment: the simulator's "K=V" entries only */
	for (size_t i = 0; simenv[i] && e < 70; i++)
		if (strchr(simenv[i], '='))
			env[e++] = (char *)simenv[i];
	snprintf(plugins, sizeof(plugins), "IRX_PLUGIN_PATH=%s", irx_test_build("plugins"));
	snprintf(cfgenv, sizeof(cfgenv), "IRX_CONFIG=%s", cfgpath);
	env[e++] = plugins;
	env[e++] = cfgenv;
	env[e++] = "IRX_RUNBOOK_PATH=";
	{
		size_t base = e;

		for (int i = 0; i < WORKERS; i++) {
			snprintf(state[i], sizeof(state[i]), "IRX_STATE_DIR=%s/host%d", work, i);
			env[base] = state[i];
			env[base + 1] = NULL;
			pids[i] = spawn_worker(i, env);
		}
	}
	/* until every message is deleted (at most 60 s) */
	for (int t = 0; t < 600; t++) {
		size_t left = 0;

		q = queue_state();
		left = array_len(q, "messages");
		json_object_put(q);
		if (left == 0)
			break;
		usleep(100000);
	}
	for (int i = 0; i < WORKERS; i++)
		kill(pids[i], SIGTERM);
	for (int i = 0; i < WORKERS; i++) {
		int status = 0;

		CU_ASSERT_EQUAL(waitpid(pids[i], &status, 0), pids[i]);
		CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	q = queue_state();
	CU_ASSERT_EQUAL(array_len(q, "messages"), 0);
	CU_ASSERT_EQUAL(array_len(q, "deleted"), (size_t)sent);
	json_object_put(q);
	/* contained exactly once: one deactivation per key, three executions in all */
	CU_ASSERT_EQUAL(count_requests("iam", "UpdateAccessKey"), FINDINGS);
	for (int i = 0; i < WORKERS; i++) {
		char path[4400], *log = NULL;

		snprintf(path, sizeof(path), "%s/worker%d.log", work, i);
		log = slurp(path);
		executed += executions(log, " Success\n");
		IRX_ASSERT_CONTAINS(log, "irx poll: stopped: ");
		if (occurrences(log, "cannot"))
			fprintf(stderr, "\n  worker %d:\n%s\n", i, log);
		CU_ASSERT_EQUAL(occurrences(log, "cannot"), 0);
		free(log);
	}
	CU_ASSERT_EQUAL(executed, FINDINGS);
	for (int i = 0; i < FINDINGS; i++) {
		char p[128];
		struct json_object *list = NULL, *m = NULL, *one = NULL, *st = NULL;

		snprintf(p, sizeof(p), "{\"UserName\":\"user%d\"}", i);
		list = call("iam", "ListAccessKeys", p);
		json_object_object_get_ex(list, "AccessKeyMetadata", &m);
		one = m ? json_object_array_get_idx(m, 0) : NULL;
		CU_ASSERT_TRUE(one && json_object_object_get_ex(one, "Status", &st) &&
			       strcmp(json_object_get_string(st), "Inactive") == 0);
		json_object_put(list);
		free(events[i]);
	}
	/* the dedupe table: one item per finding, done */
	CU_ASSERT_EQUAL(irx_sim_control(&sim, "GET",
					"/__awssim/state?account=" A1 "&service=dynamodb", NULL,
					&tab),
			200);
	CU_ASSERT_EQUAL(occurrences(json_object_to_json_string(tab), "\"done\""), FINDINGS);
	CU_ASSERT_EQUAL(occurrences(json_object_to_json_string(tab), "\"running\""), 0);
	json_object_put(tab);
}

static CU_TestInfo tests[] = {
    {"three workers, duplicates and redeliveries: every finding contained once",
     test_three_workers_duplicates_redeliveries},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("poll", tests, setup, teardown)
