/* SPDX-License-Identifier: Apache-2.0 */
/* irx poll's engine (sqs_poll.h; not poll.h, which would shadow <poll.h>): SQS workers, visibility
 * heartbeats, DynamoDB dedupe claims. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "aws/client.h"
#include "config.h"
#include "error.h"
#include "events.h"
#include "executor.h"
#include "routing.h"
#include "sqs_poll.h"
#include "util.h"

#define MAX_HELD 64

struct poll_shared {
	const struct irx_poll_options *o;
	const volatile sig_atomic_t *stop;
	struct irx_aws_context ctx; /* the queue's region */
	char region[32];
	char owner[160];
	int visibility, wait;
	long long lease;
	pthread_mutex_t lock; /* stats */
	struct irx_poll_stats stats;
};

/* One message being handled by one worker, shared with its heartbeat. */
struct job {
	struct poll_shared *s;
	const char *handle;
	const char *message_id;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool finished;
	char held[MAX_HELD][65]; /* claims this message holds (DynamoDB) */
	size_t held_count;
};

static void plog(struct poll_shared *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void plog(struct poll_shared *s, const char *fmt, ...)
{
	irx_event_log_fn *fn = s->o->log ? s->o->log : s->o->run.log;
	void *ud = s->o->log ? s->o->log_ud : s->o->run.log_ud;
	char line[2048];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(ud, line);
}

static void count(struct poll_shared *s, unsigned long *field, unsigned long n)
{
	pthread_mutex_lock(&s->lock);
	*field += n;
	pthread_mutex_unlock(&s->lock);
}

void irx_poll_queue_region(const char *url, char *out, size_t size)
{
	const char *h = strstr(url, "://");
	size_t n = 0;

	out[0] = '\0';
	h = h ? h + 3 : url;
	if (strncmp(h, "sqs.", 4) != 0)
		return;
	h += 4;
	n = strcspn(h, "./");
	if (h[n] == '.' && n > 0 && n < size)
		snprintf(out, size, "%.*s", (int)n, h);
}

/* Calls service:op with params (put here); *resp (may be NULL) gets the answer. */
static int call(struct poll_shared *s, const char *service, const char *op,
		struct json_object *params, struct json_object **resp, struct irx_error *err)
{
	struct json_object *r = NULL;
	int rc = irx_aws_call(s->o->aws, &s->ctx, service, op, params, &r, err);

	json_object_put(params);
	if (rc == 0 && resp)
		*resp = r;
	else
		json_object_put(r);
	return rc;
}

static struct json_object *queue_params(struct poll_shared *s)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "QueueUrl", json_object_new_string(s->o->queue_url));
	return p;
}

static int change_visibility(struct poll_shared *s, const char *handle, int seconds,
			     struct irx_error *err)
{
	struct json_object *p = queue_params(s);

	json_object_object_add(p, "ReceiptHandle", json_object_new_string(handle));
	json_object_object_add(p, "VisibilityTimeout", json_object_new_int(seconds));
	return call(s, "sqs", "ChangeMessageVisibility", p, NULL, err);
}

/* --- DynamoDB claims ------------------------------------------------------------------------ */

static struct json_object *attr(const char *type, const char *value)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, type, json_object_new_string(value));
	return a;
}

static struct json_object *attr_n(long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return attr("N", buf);
}

static struct json_object *claim_item(struct job *j, const char *key, long long expires)
{
	struct json_object *item = json_object_new_object();

	json_object_object_add(item, "pk", attr("S", key));
	json_object_object_add(item, "state", attr("S", "running"));
	json_object_object_add(item, "owner", attr("S", j->s->owner));
	json_object_object_add(item, "messageId", attr("S", j->message_id));
	json_object_object_add(item, "expiresAt", attr_n(expires));
	return item;
}

static struct json_object *put_params(struct poll_shared *s, struct json_object *item)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "TableName", json_object_new_string(s->o->dedupe_table));
	json_object_object_add(p, "Item", item);
	return p;
}

/* "#o = :me AND #s = :running": renewals and releases only touch our own live claim. */
static void own_condition(struct poll_shared *s, struct json_object *p)
{
	struct json_object *names = json_object_new_object(), *values = json_object_new_object();

	json_object_object_add(p, "ConditionExpression",
			       json_object_new_string("#o = :me AND #s = :running"));
	json_object_object_add(names, "#o", json_object_new_string("owner"));
	json_object_object_add(names, "#s", json_object_new_string("state"));
	json_object_object_add(values, ":me", attr("S", s->owner));
	json_object_object_add(values, ":running", attr("S", "running"));
	json_object_object_add(p, "ExpressionAttributeNames", names);
	json_object_object_add(p, "ExpressionAttributeValues", values);
}

static int ddb_claim(void *ud, const char *key, struct irx_error *err)
{
	struct job *j = ud;
	struct poll_shared *s = j->s;
	long long now = (long long)time(NULL);
	struct json_object *p = put_params(s, claim_item(j, key, now + s->lease));
	struct json_object *values = json_object_new_object(), *resp = NULL, *item = NULL,
			   *st = NULL;
	struct irx_error e = {0};
	int rc = -1;

	json_object_object_add(
	    p, "ConditionExpression",
	    json_object_new_string("attribute_not_exists(pk) OR expiresAt < :now"));
	json_object_object_add(values, ":now", attr_n(now));
	json_object_object_add(p, "ExpressionAttributeValues", values);
	if (call(s, "dynamodb", "PutItem", p, NULL, &e) == 0) {
		pthread_mutex_lock(&j->lock);
		if (j->held_count < MAX_HELD)
			memcpy(j->held[j->held_count++], key, 65);
		pthread_mutex_unlock(&j->lock);
		return IRX_CLAIM_OK;
	}
	if (strcmp(e.aws_code, "ConditionalCheckFailedException") != 0) {
		*err = e;
		irx_error_prefix(err, "dedupe claim in table '%s'", s->o->dedupe_table);
		count(s, &s->stats.errors, 1);
		return -1;
	}
	p = json_object_new_object();
	json_object_object_add(p, "TableName", json_object_new_string(s->o->dedupe_table));
	item = json_object_new_object();
	json_object_object_add(item, "pk", attr("S", key));
	json_object_object_add(p, "Key", item);
	json_object_object_add(p, "ConsistentRead", json_object_new_boolean(1));
	if (call(s, "dynamodb", "GetItem", p, &resp, &e) < 0) {
		*err = e;
		irx_error_prefix(err, "dedupe claim in table '%s'", s->o->dedupe_table);
		count(s, &s->stats.errors, 1);
		return -1;
	}
	st = json_object_object_get(
	    json_object_object_get(json_object_object_get(resp, "Item"), "state"), "S");
	rc = st && strcmp(json_object_get_string(st), "done") == 0 ? IRX_CLAIM_DUPLICATE
								   : IRX_CLAIM_BUSY;
	json_object_put(resp);
	return rc;
}

static void forget(struct job *j, const char *key)
{
	pthread_mutex_lock(&j->lock);
	for (size_t i = 0; i < j->held_count; i++)
		if (strcmp(j->held[i], key) == 0) {
			memmove(j->held[i], j->held[j->held_count - 1], 65);
			j->held_count--;
			break;
		}
	pthread_mutex_unlock(&j->lock);
}

static void ddb_done(void *ud, const char *key, const struct irx_exec_result *res)
{
	struct job *j = ud;
	struct poll_shared *s = j->s;
	long long window = s->o->cfg && s->o->cfg->dedupe_window_s > 0
			       ? s->o->cfg->dedupe_window_s
			       : IRX_DEDUPE_DEFAULT_WINDOW_S;
	struct json_object *item = json_object_new_object();
	struct irx_error e = {0};

	forget(j, key);
	json_object_object_add(item, "pk", attr("S", key));
	json_object_object_add(item, "state", attr("S", "done"));
	json_object_object_add(item, "owner", attr("S", s->owner));
	json_object_object_add(item, "executionId", attr("S", res->execution_id));
	json_object_object_add(item, "status", attr("S", res->status));
	json_object_object_add(item, "expiresAt", attr_n((long long)time(NULL) + window));
	if (call(s, "dynamodb", "PutItem", put_params(s, item), NULL, &e) < 0) {
		plog(s, "cannot record execution %s as done in '%s': %s", res->execution_id,
		     s->o->dedupe_table, e.message);
		count(s, &s->stats.errors, 1);
	}
}

static void ddb_release(void *ud, const char *key)
{
	struct job *j = ud;
	struct poll_shared *s = j->s;
	struct json_object *p = json_object_new_object(), *k = json_object_new_object();
	struct irx_error e = {0};

	forget(j, key);
	json_object_object_add(p, "TableName", json_object_new_string(s->o->dedupe_table));
	json_object_object_add(k, "pk", attr("S", key));
	json_object_object_add(p, "Key", k);
	own_condition(s, p);
	if (call(s, "dynamodb", "DeleteItem", p, NULL, &e) < 0 &&
	    strcmp(e.aws_code, "ConditionalCheckFailedException") != 0) {
		plog(s, "cannot release a dedupe claim in '%s': %s", s->o->dedupe_table, e.message);
		count(s, &s->stats.errors, 1);
	}
}

/* --- the heartbeat -----------------------------------------------------------------------------
 */

static void renew(struct job *j)
{
	struct poll_shared *s = j->s;
	struct irx_error e = {0};
	char keys[MAX_HELD][65];
	size_t n = 0;

	if (change_visibility(s, j->handle, s->visibility, &e) < 0) {
		plog(s, "message %s: cannot extend its visibility: %s", j->message_id, e.message);
		count(s, &s->stats.errors, 1);
	}
	if (!s->o->dedupe_table)
		return;
	pthread_mutex_lock(&j->lock);
	n = j->held_count;
	memcpy(keys, j->held, n * sizeof(keys[0]));
	pthread_mutex_unlock(&j->lock);
	for (size_t i = 0; i < n; i++) {
		struct json_object *p =
		    put_params(s, claim_item(j, keys[i], (long long)time(NULL) + s->lease));

		irx_error_clear(&e);
		own_condition(s, p);
		if (call(s, "dynamodb", "PutItem", p, NULL, &e) < 0) {
			plog(s, "message %s: cannot renew a dedupe claim: %s", j->message_id,
			     e.message);
			count(s, &s->stats.errors, 1);
		}
	}
}

static void *heartbeat(void *arg)
{
	struct job *j = arg;
	/* a third of the timeout: two renewals may fail before the message reappears */
	long long every_ms = j->s->visibility * 1000LL / 3;

	if (every_ms < 300)
		every_ms = 300;
	pthread_mutex_lock(&j->lock);
	while (!j->finished) {
		struct timespec until;
		int rc = 0;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += every_ms / 1000;
		until.tv_nsec += (every_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!j->finished && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&j->cond, &j->lock, &until);
		if (j->finished)
			break;
		pthread_mutex_unlock(&j->lock);
		renew(j);
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* --- one message -------------------------------------------------------------------------------
 */

static void delete_message(struct poll_shared *s, const char *handle, const char *mid)
{
	struct json_object *p = queue_params(s);
	struct irx_error e = {0};

	json_object_object_add(p, "ReceiptHandle", json_object_new_string(handle));
	if (call(s, "sqs", "DeleteMessage", p, NULL, &e) < 0) {
		plog(s, "message %s: cannot delete it: %s", mid, e.message);
		count(s, &s->stats.errors, 1);
		return;
	}
	count(s, &s->stats.deleted, 1);
}

static void handle_message(struct poll_shared *s, struct json_object *m)
{
	const char *body = json_object_get_string(json_object_object_get(m, "Body"));
	const char *handle = json_object_get_string(json_object_object_get(m, "ReceiptHandle"));
	const char *mid = json_object_get_string(json_object_object_get(m, "MessageId"));
	struct irx_event_run_options ro = s->o->run;
	struct irx_event_run_result res = {0};
	struct irx_error err = {0};
	struct irx_event *ev = NULL;
	struct job j = {.s = s, .handle = handle, .message_id = mid ? mid : "?"};
	pthread_t hb;
	bool hb_started = false;

	if (!handle || !body) {
		plog(s, "a message without a body or receipt handle; skipped");
		count(s, &s->stats.errors, 1);
		return;
	}
	count(s, &s->stats.received, 1);
	if (*s->stop) {
		/* received in a long poll that ended after the stop: hand it back at once */
		if (change_visibility(s, handle, 0, &err) == 0)
			count(s, &s->stats.released, 1);
		return;
	}
	if (!(ev = irx_event_parse(body, strlen(body), s->o->cfg, &err))) {
		plog(s, "message %s is no event (left for the dead-letter queue): %s", j.message_id,
		     err.message);
		count(s, &s->stats.invalid, 1);
		return;
	}
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	hb_started = pthread_create(&hb, NULL, heartbeat, &j) == 0;
	if (s->o->dedupe_table) {
		ro.claim = ddb_claim;
		ro.done = ddb_done;
		ro.release = ddb_release;
		ro.claim_ud = &j;
	}
	if (irx_event_run(s->o->cfg, ev, s->o->actions, &ro, &res, &err) < 0) {
		plog(s, "message %s: %s (left for redelivery)", j.message_id, err.message);
		count(s, &s->stats.retried, 1);
		/* give back what was claimed before the failure */
		while (s->o->dedupe_table && j.held_count > 0) {
			char key[65];

			memcpy(key, j.held[j.held_count - 1], 65);
			ddb_release(&j, key);
		}
	}
	pthread_mutex_lock(&j.lock);
	j.finished = true;
	pthread_cond_signal(&j.cond);
	pthread_mutex_unlock(&j.lock);
	if (hb_started)
		pthread_join(hb, NULL);
	if (err.code == IRX_OK) {
		count(s, &s->stats.executed, res.executed);
		count(s, &s->stats.failed, res.failed);
		if (res.unrecorded == 0 && res.busy == 0) {
			if (res.executed == 0 && res.skipped > 0)
				count(s, &s->stats.duplicates, 1);
			delete_message(s, handle, j.message_id);
		} else {
			plog(s,
			     "message %s: %zu not journaled, %zu running elsewhere: left for "
			     "redelivery",
			     j.message_id, res.unrecorded, res.busy);
			count(s, &s->stats.retried, 1);
			if (res.busy && res.unrecorded == 0) {
				/* come back soon: the other worker is probably about to finish */
				int back = s->visibility < 5 ? s->visibility : 5;

				irx_error_clear(&err);
				change_visibility(s, handle, back, &err);
			}
		}
	}
	irx_event_run_result_release(&res);
	irx_event_free(ev);
	pthread_cond_destroy(&j.cond);
	pthread_mutex_destroy(&j.lock);
}

static void *worker(void *arg)
{
	struct poll_shared *s = arg;
	struct irx_aws_client *own = NULL;
	struct irx_error cerr = {0};

	if (s->o->receive_client && !(own = irx_aws_client_new(s->o->receive_client, &cerr))) {
		plog(s, "worker: %s", cerr.message);
		count(s, &s->stats.errors, 1);
		return NULL;
	}
	while (!*s->stop) {
		struct json_object *p = queue_params(s), *resp = NULL, *msgs = NULL;
		struct irx_error err = {0};

		json_object_object_add(p, "MaxNumberOfMessages", json_object_new_int(1));
		json_object_object_add(p, "WaitTimeSeconds", json_object_new_int(s->wait));
		json_object_object_add(p, "VisibilityTimeout", json_object_new_int(s->visibility));
		int rc = irx_aws_call(own ? own : s->o->aws, &s->ctx, "sqs", "ReceiveMessage", p,
				      &resp, &err);

		json_object_put(p);
		if (rc < 0) {
			plog(s, "receive: %s", err.message);
			count(s, &s->stats.errors, 1);
			for (int i = 0; i < 20 && !*s->stop; i++) /* 2 s back-off, stop-aware */
				usleep(100000);
			continue;
		}
		msgs = json_object_object_get(resp, "Messages");
		for (size_t i = 0; msgs && i < json_object_array_length(msgs); i++)
			handle_message(s, json_object_array_get_idx(msgs, i));
		json_object_put(resp);
	}
	irx_aws_client_free(own);
	return NULL;
}

int irx_poll_run(const struct irx_poll_options *o, const volatile sig_atomic_t *stop,
		 struct irx_poll_stats *stats, struct irx_error *err)
{
	struct poll_shared s = {.o = o, .stop = stop};
	pthread_t threads[IRX_POLL_MAX_WORKERS];
	size_t n = o->workers ? o->workers : 1, started = 0;
	char host[128] = "";

	if (!o->queue_url || !*o->queue_url || !o->aws || !o->actions || !o->cfg ||
	    !o->run.state_dir) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "poll: a queue URL, client, actions, configuration "
			      "and state directory are required");
		return -1;
	}
	if (n > IRX_POLL_MAX_WORKERS || o->visibility_s < 0 || o->visibility_s > 43200 ||
	    o->wait_s > 20) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "poll: workers must be 1..%d, visibility 1..43200 s, wait 0..20 s",
			      IRX_POLL_MAX_WORKERS);
		return -1;
	}
	s.visibility = o->visibility_s ? o->visibility_s : 60;
	s.wait = o->wait_s < 0 ? 20 : o->wait_s;
	s.lease = o->lease_s ? o->lease_s : 4LL * s.visibility;
	irx_poll_queue_region(o->queue_url, s.region, sizeof(s.region));
	s.ctx.region = s.region[0] ? s.region : NULL;
	gethostname(host, sizeof(host) - 1);
	if (o->worker_id)
		snprintf(s.owner, sizeof(s.owner), "%s", o->worker_id);
	else
		snprintf(s.owner, sizeof(s.owner), "%s:%ld", host, (long)getpid());
	pthread_mutex_init(&s.lock, NULL);
	for (size_t i = 0; i < n; i++)
		if (pthread_create(&threads[started], NULL, worker, &s) == 0)
			started++;
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&s.lock);
	if (stats)
		*stats = s.stats;
	if (started == 0) {
		irx_error_set(err, IRX_ERR_LIMIT, "poll: cannot start a worker thread");
		return -1;
	}
	return 0;
}
