/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "serve.h"
#include "sns_verify.h"
#include "test.h"
#include "util.h"

#define CONS "tests/vectors/sns/constructed/"
#define PHP "tests/vectors/sns/aws-php-sns-message-validator/"
#define TOPIC "arn:aws:sns:us-east-1:123456789012:ir-findings"
#define TEST_CERT_URL "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-TESTONLY.pem"

static char *slurp(const char *rel)
{
	char *text = NULL;
	size_t len = 0;

	if (irx_read_file(irx_test_src(rel), 1 << 20, &text, &len) < 0) {
		fprintf(stderr, "cannot read %s\n", rel);
		abort();
	}
	return text;
}

/* ---- fixtures: certificates, clock, signing ------------------------------------------- */

static char *g_test_pem, *g_php_pem;

static int fetch_fn(void *ud, const char *url, char **pem, size_t *len, struct irx_error *err)
{
	const char *p = strstr(url, "TESTONLY") ? g_test_pem : g_php_pem;

	(void)ud;
	(void)err;
	*pem = irx_xstrdup(p);
	*len = strlen(p);
	return 0;
}

static time_t fixed_clock(void *ud)
{
	return *(const time_t *)ud;
}

/* A message signed with the TEST-ONLY key (SignatureVersion 2). */
struct msg_spec {
	const char *type, *topic, *id, *timestamp, *subscribe_url, *external_id, *entity;
};

static char *make_signed(const struct msg_spec *sp)
{
	struct json_object *o = json_object_new_object(), *attrs = NULL;
	struct irx_sns_message m;
	struct irx_error err = {0};
	char *key_pem = slurp(CONS "TEST-ONLY-signing-key.pem"), *tbs = NULL, *out = NULL;
	BIO *bio = BIO_new_mem_buf(key_pem, -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[512], b64[1024];
	size_t sig_len = sizeof(sig);
	const char *type = sp->type ? sp->type : "Notification";
	char time_buf[32];

	if (!sp->timestamp) {
		irx_iso8601_now(time_buf);
	}
	json_object_object_add(o, "Type", json_object_new_string(type));
	json_object_object_add(o, "MessageId", json_object_new_string(sp->id));
	json_object_object_add(o, "TopicArn",
			       json_object_new_string(sp->topic ? sp->topic : TOPIC));
	json_object_object_add(o, "Message", json_object_new_string("{\"entity\":\"x\"}"));
	json_object_object_add(o, "Timestamp",
			       json_object_new_string(sp->timestamp ? sp->timestamp : time_buf));
	if (strcmp(type, "Notification") != 0) {
		json_object_object_add(o, "Token", json_object_new_string("tok"));
		json_object_object_add(
		    o, "SubscribeURL",
		    json_object_new_string(sp->subscribe_url
					       ? sp->subscribe_url
					       : "https://sns.us-east-1.amazonaws.com/"
						 "?Action=ConfirmSubscription&Token=tok"));
	}
	if (sp->external_id || sp->entity) {
		attrs = json_object_new_object();
		if (sp->external_id) {
			struct json_object *a = json_object_new_object();

			json_object_object_add(a, "Type", json_object_new_string("String"));
			json_object_object_add(a, "Value", json_object_new_string(sp->external_id));
			json_object_object_add(attrs, "ExternalId", a);
		}
		if (sp->entity) {
			struct json_object *a = json_object_new_object();

			json_object_object_add(a, "Type", json_object_new_string("String"));
			json_object_object_add(a, "Value", json_object_new_string(sp->entity));
			json_object_object_add(attrs, "EntityArn", a);
		}
		json_object_object_add(o, "MessageAttributes", attrs);
	}
	{
		const char *s = json_object_to_json_string(o);

		CU_ASSERT_EQUAL_FATAL(irx_sns_message_parse(s, strlen(s), &m, &err), 0);
	}
	tbs = irx_sns_string_to_sign(&m, &err);
	irx_sns_message_release(&m);
	EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key);
	EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)tbs, strlen(tbs));
	EVP_EncodeBlock(b64, sig, (int)sig_len);
	json_object_object_add(o, "SignatureVersion", json_object_new_string("2"));
	json_object_object_add(o, "Signature", json_object_new_string((const char *)b64));
	json_object_object_add(o, "SigningCertURL", json_object_new_string(TEST_CERT_URL));
	out = irx_xstrdup(json_object_to_json_string(o));
	json_object_put(o);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(tbs);
	free(key_pem);
	return out;
}

/* ---- a recording dispatcher ------------------------------------------------------------- */

struct recorder {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char ids[32][128];
	char entities[32][128];
	size_t count;
	int entered;
	bool gate_closed;
};

static void record_dispatch(void *ud, const struct irx_sns_message *m)
{
	struct recorder *r = ud;
	const char *e = irx_sns_message_attribute(m, "EntityArn");

	pthread_mutex_lock(&r->lock);
	r->entered++;
	pthread_cond_broadcast(&r->cond);
	while (r->gate_closed)
		pthread_cond_wait(&r->cond, &r->lock);
	if (r->count < 32) {
		snprintf(r->ids[r->count], sizeof(r->ids[0]), "%s", m->message_id);
		snprintf(r->entities[r->count], sizeof(r->entities[0]), "%s", e ? e : "");
		r->count++;
	}
	pthread_mutex_unlock(&r->lock);
}

static void recorder_init(struct recorder *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
}

static bool recorded(struct recorder *r, const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->ids[i], id) == 0)
			return true;
	return false;
}

struct confirmer {
	int calls;
	char url[1024];
	bool fail;
};

static int record_confirm(void *ud, const char *url, struct irx_error *err)
{
	struct confirmer *c = ud;

	c->calls++;
	snprintf(c->url, sizeof(c->url), "%s", url);
	if (c->fail) {
		irx_error_set(err, IRX_ERR_NETWORK, "cannot confirm the subscription: refused");
		return -1;
	}
	return 0;
}

/* ---- a server on a free port, run on its own thread ------------------------------------ */

struct harness {
	struct irx_sns_verifier *v;
	struct irx_serve *s;
	pthread_t thread;
	int port;
	struct recorder rec;
	struct confirmer conf;
	time_t now;
};

static void *run_thread(void *ud)
{
	struct harness *h = ud;
	struct irx_error err = {0};

	irx_serve_run(h->s, &err);
	return NULL;
}

/* real_clock: the TEST-ONLY certificate with the chain checked; else 2022 and no chain */
static void start(struct harness *h, struct irx_serve_options *o, bool real_clock)
{
	struct irx_sns_verifier_options vo = {.fetch = fetch_fn};
	struct irx_error err = {0};

	memset(h, 0, sizeof(*h));
	recorder_init(&h->rec);
	if (real_clock) {
		vo.ca_pem = g_test_pem;
	} else {
		CU_ASSERT_EQUAL(irx_sns_parse_timestamp("2022-07-28T23:00:00Z", &h->now), 0);
		vo.clock = fixed_clock;
		vo.clock_ud = &h->now;
		vo.skip_chain_validation = true;
	}
	h->v = irx_sns_verifier_new(&vo, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h->v);
	o->listen = "127.0.0.1:0";
	o->verifier = h->v;
	o->dispatch = record_dispatch;
	o->dispatch_ud = &h->rec;
	if (!o->confirm) {
		o->confirm = record_confirm;
		o->confirm_ud = &h->conf;
	}
	h->s = irx_serve_new(o, &err);
	if (!h->s)
		fprintf(stderr, "\n  serve: %s\n", err.message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h->s);
	h->port = irx_serve_port(h->s);
	CU_ASSERT_TRUE(h->port > 0);
	pthread_create(&h->thread, NULL, run_thread, h);
}

/* Stops accepting, drains the queue (every dispatch has run), frees. */
static void stop(struct harness *h, struct irx_serve_stats *stats)
{
	irx_serve_stop(h->s);
	pthread_join(h->thread, NULL);
	irx_serve_free(h->s); /* joins the workers after the queue is empty */
	h->s = NULL;
	(void)stats;
	irx_sns_verifier_free(h->v);
}

struct response {
	char *data;
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	struct response *r = ud;

	r->data = irx_xrealloc(r->data, r->len + size * n + 1);
	memcpy(r->data + r->len, p, size * n);
	r->len += size * n;
	r->data[r->len] = '\0';
	return size * n;
}

/* POSTs body with libcurl; returns the status and sets *text (first line of the body). */
static long post(int port, const char *type, const char *body, char *text, size_t cap)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hs = NULL;
	struct response r = {0};
	char url[64], h[256];
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/sns", port);
	hs = curl_slist_append(hs, "Content-Type: text/plain; charset=UTF-8");
	hs = curl_slist_append(hs, "Expect:");
	if (type) {
		snprintf(h, sizeof(h), "x-amz-sns-message-type: %s", type);
		hs = curl_slist_append(hs, h);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	snprintf(text, cap, "%s", r.data ? r.data : "");
	if (strchr(text, '\n'))
		*strchr(text, '\n') = '\0';
	free(r.data);
	curl_slist_free_all(hs);
	curl_easy_cleanup(c);
	return status;
}

#define POST_EXPECT(port, type, body, want_status, want_text)                                      \
	do {                                                                                       \
		char t_[1024];                                                                     \
		long st_ = post((port), (type), (body), t_, sizeof(t_));                           \
		if (st_ != (want_status) || strcmp(t_, (want_text)) != 0)                          \
			fprintf(stderr, "\n  line %d: got %ld '%s'\n", __LINE__, st_, t_);         \
		CU_ASSERT_EQUAL(st_, (want_status));                                               \
		CU_ASSERT_STRING_EQUAL(t_, (want_text));                                           \
	} while (0)

static void post_file(int port, const char *type, const char *rel, long want, const char *text)
{
	char *body = slurp(rel);

	POST_EXPECT(port, type, body, want, text);
	free(body);
}

/* Sends raw bytes, optionally waits, returns the status line's code (0: none). */
static int raw(int port, const char *req, int pause_ms, char *resp, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = 0;
	size_t got = 0;
	ssize_t n = 0;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	if (req && send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		code = -1;
	if (pause_ms)
		usleep((useconds_t)pause_ms * 1000);
	while (got + 1 < cap && (n = recv(fd, resp + got, cap - 1 - got, 0)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
	if (code == 0 && sscanf(resp, "HTTP/1.1 %d", &code) != 1)
		code = 0;
	return code;
}

/* ---- the tests -------------------------------------------------------------------------- */

static const char *const TOPICS[] = {TOPIC};

static void test_constructed(void)
{
	struct irx_serve_options o = {.topics = TOPICS, .topic_count = 1};
	struct harness h;
	struct msg_spec evil = {.id = "evil-1", .topic = "arn:aws:sns:us-east-1:999999999999:evil"};
	char *evil_body = NULL, *unsigned_body = NULL,
	     *gd = slurp(CONS "notification-guardduty-event-sigv1.json");

	/* the three constructed notifications share one MessageId: one server each */
	for (size_t i = 0; i < 3; i++) {
		static const char *const files[] = {
		    CONS "notification-guardduty-event-sigv1.json",
		    CONS "notification-guardduty-event-sigv2.json",
		    CONS "notification-nosubject-escapes-unicode-sigv2.json",
		};

		start(&h, &o, true);
		post_file(h.port, "Notification", files[i], 200, "accepted");
		stop(&h, NULL);
		CU_ASSERT_EQUAL(h.rec.count, 1);
		CU_ASSERT_TRUE(recorded(&h.rec, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"));
	}
	start(&h, &o, true);
	post_file(h.port, "Notification", CONS "notification-guardduty-event-sigv1.json", 200,
		  "accepted");
	/* SNS redelivers: the same MessageId is answered 200 and not dispatched again */
	post_file(h.port, "Notification", CONS "notification-guardduty-event-sigv2.json", 200,
		  "duplicate message, already accepted");
	post_file(h.port, "SubscriptionConfirmation",
		  CONS "NEGATIVE-subscription-confirmation-sigv2-tampered-topic.json", 403,
		  "topic 'arn:aws:sns:us-east-1:999999999999:evil' is not allowed");
	evil_body = make_signed(&evil);
	POST_EXPECT(h.port, "Notification", evil_body, 403,
		    "topic 'arn:aws:sns:us-east-1:999999999999:evil' is not allowed");
	unsigned_body = irx_xstrdup(gd);
	strstr(unsigned_body, "\"Signature\"")[1] = 'X';
	POST_EXPECT(h.port, "Notification", unsigned_body, 403, "sns message is not signed");
	/* a forged body: valid shape, allowed topic, someone else's signature */
	{
		char *forged = irx_xstrdup(gd);

		memcpy(strstr(forged, "Canary:EC2"), "Backdoor:EC2", 10);
		POST_EXPECT(h.port, "Notification", forged, 403,
			    "sns message signature does not match");
		free(forged);
	}
	post_file(h.port, "SubscriptionConfirmation",
		  CONS "notification-guardduty-event-sigv2.json", 400,
		  "x-amz-sns-message-type 'SubscriptionConfirmation' does not match the message "
		  "type 'Notification'");
	post_file(h.port, NULL, CONS "notification-guardduty-event-sigv2.json", 400,
		  "missing x-amz-sns-message-type header");
	POST_EXPECT(h.port, "Notification", "{\"Type\": \"Notification\"", 400,
		    "sns message is not valid json: unexpected end");
	POST_EXPECT(h.port, "Notification", "{\"Type\": \"Notification\"}", 400,
		    "sns message field 'MessageId' is missing");
	stop(&h, NULL);
	/* exactly the one accepted notification was dispatched */
	CU_ASSERT_EQUAL(h.rec.count, 1);
	CU_ASSERT_TRUE(recorded(&h.rec, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"));
	CU_ASSERT_EQUAL(h.conf.calls, 0);
	free(unsigned_body);
	free(evil_body);
	free(gd);
}

static const char *const PHP_FILES[] = {
    "http-notification-sigv1-nosubject.json",
    "http-notification-sigv1-subject.json",
    "http-notification-sigv2-nosubject.json",
    "http-notification-sigv2-subject.json",
    "lambda-notification-1-sigv1-nosubject.json",
    "lambda-notification-2-sigv2-nosubject.json",
    "lambda-notification-3-sigv1-subject-null.json",
    "lambda-notification-4-sigv2-subject-null.json",
    "lambda-notification-5-sigv1-subject-set.json",
    "lambda-notification-6-sigv2-subject-set.json",
};

static void test_real(void)
{
	enum { N = sizeof(PHP_FILES) / sizeof(PHP_FILES[0]) };
	char *bodies[N], *topics_store[N], *ids[N];
	const char *topics[N];
	struct irx_serve_options o = {.topics = topics, .topic_count = N};
	struct harness h;
	size_t unique = 0;

	for (size_t i = 0; i < N; i++) {
		char rel[256];
		struct irx_sns_message m;
		struct irx_error err = {0};

		snprintf(rel, sizeof(rel), PHP "%s", PHP_FILES[i]);
		bodies[i] = slurp(rel);
		CU_ASSERT_EQUAL_FATAL(irx_sns_message_parse(bodies[i], strlen(bodies[i]), &m, &err),
				      0);
		topics_store[i] = irx_xstrdup(m.topic_arn);
		topics[i] = topics_store[i];
		ids[i] = irx_xstrdup(m.message_id);
		irx_sns_message_release(&m);
	}
	start(&h, &o, false);
	for (size_t i = 0; i < N; i++) {
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			dup = dup || strcmp(ids[i], ids[j]) == 0;
		unique += !dup;
		POST_EXPECT(h.port, "Notification", bodies[i], 200,
			    dup ? "duplicate message, already accepted" : "accepted");
	}
	stop(&h, NULL);
	CU_ASSERT_EQUAL(h.rec.count, unique);
	for (size_t i = 0; i < N; i++) {
		CU_ASSERT_TRUE(recorded(&h.rec, ids[i]));
		free(bodies[i]);
		free(topics_store[i]);
		free(ids[i]);
	}
}

static void test_external_id(void)
{
	struct irx_serve_options o = {
	    .topics = TOPICS, .topic_count = 1, .external_id = "123xyz*&^", .max_age_s = 3600};
	struct harness h;
	struct msg_spec good = {.id = "m-good",
				.external_id = "123xyz*&^",
				.entity = "arn:aws:iam::888888888888:user/user1"};
	struct msg_spec wrong = {.id = "m-wrong",
				 .external_id = "123xyz*&",
				 .entity = "arn:aws:iam::888888888888:user/user2"};
	struct msg_spec missing = {.id = "m-missing",
				   .entity = "arn:aws:iam::888888888888:user/u3"};
	struct msg_spec old = {
	    .id = "m-old", .external_id = "123xyz*&^", .timestamp = "2024-04-26T21:00:00.000Z"};
	char *b1 = make_signed(&good), *b2 = make_signed(&wrong), *b3 = make_signed(&missing),
	     *b4 = make_signed(&old);

	start(&h, &o, true);
	POST_EXPECT(h.port, "Notification", b1, 200, "accepted");
	POST_EXPECT(h.port, "Notification", b2, 403,
		    "message attribute 'ExternalId' does not match");
	POST_EXPECT(h.port, "Notification", b3, 403, "message attribute 'ExternalId' is missing");
	POST_EXPECT(h.port, "Notification", b4, 403, "sns message is older than 3600 seconds");
	/* a real, signed message from 2024: refused for its age before anything else */
	post_file(h.port, "Notification", CONS "notification-guardduty-event-sigv2.json", 403,
		  "sns message is older than 3600 seconds");
	stop(&h, NULL);
	CU_ASSERT_EQUAL(h.rec.count, 1);
	CU_ASSERT_STRING_EQUAL(h.rec.ids[0], "m-good");
	CU_ASSERT_STRING_EQUAL(h.rec.entities[0], "arn:aws:iam::888888888888:user/user1");
	free(b1);
	free(b2);
	free(b3);
	free(b4);
}

static void test_subscription(void)
{
	struct irx_serve_options o = {.topics = TOPICS, .topic_count = 1};
	struct harness h;
	struct msg_spec evil_host = {.type = "SubscriptionConfirmation",
				     .id = "s-evil",
				     .subscribe_url =
					 "https://evil.example/?Action=ConfirmSubscription"};
	char *b_evil = make_signed(&evil_host),
	     *sc = slurp(CONS "subscription-confirmation-sigv1.json");
	struct irx_sns_message m;
	struct irx_error err = {0};

	CU_ASSERT_EQUAL_FATAL(irx_sns_message_parse(sc, strlen(sc), &m, &err), 0);
	start(&h, &o, true);
	post_file(h.port, "SubscriptionConfirmation", CONS "subscription-confirmation-sigv1.json",
		  200, "subscription to '" TOPIC "' confirmed");
	CU_ASSERT_EQUAL(h.conf.calls, 1);
	CU_ASSERT_STRING_EQUAL(h.conf.url, m.subscribe_url);
	post_file(h.port, "SubscriptionConfirmation", CONS "subscription-confirmation-sigv2.json",
		  200, "subscription to '" TOPIC "' confirmed");
	CU_ASSERT_EQUAL(h.conf.calls, 2);
	/* signed, but the SubscribeURL is not SNS's: never fetched */
	POST_EXPECT(h.port, "SubscriptionConfirmation", b_evil, 403,
		    "subscribe url host 'evil.example' is not sns.<region>.amazonaws.com");
	CU_ASSERT_EQUAL(h.conf.calls, 2);
	post_file(h.port, "UnsubscribeConfirmation", CONS "unsubscribe-confirmation-sigv1.json",
		  200, "unsubscribed from '" TOPIC "'");
	CU_ASSERT_EQUAL(h.conf.calls, 2);
	/* a failed confirmation is a 502: SNS sends the confirmation again */
	h.conf.fail = true;
	post_file(h.port, "SubscriptionConfirmation", CONS "subscription-confirmation-sigv1.json",
		  502, "cannot confirm the subscription: refused");
	stop(&h, NULL);
	CU_ASSERT_EQUAL(h.rec.count, 0);

	/* the explicit test option lets any https host through */
	o = (struct irx_serve_options){
	    .topics = TOPICS, .topic_count = 1, .test_allow_any_subscribe_host = true};
	start(&h, &o, true);
	POST_EXPECT(h.port, "SubscriptionConfirmation", b_evil, 200,
		    "subscription to '" TOPIC "' confirmed");
	CU_ASSERT_STRING_EQUAL(h.conf.url, "https://evil.example/?Action=ConfirmSubscription");
	stop(&h, NULL);
	irx_sns_message_release(&m);
	free(sc);
	free(b_evil);
}

static void test_queue_full(void)
{
	struct irx_serve_options o = {
	    .topics = TOPICS, .topic_count = 1, .workers = 1, .queue_max = 1};
	struct harness h;
	struct msg_spec s1 = {.id = "q1"}, s2 = {.id = "q2"}, s3 = {.id = "q3"};
	char *b1 = make_signed(&s1), *b2 = make_signed(&s2), *b3 = make_signed(&s3);
	struct irx_serve_stats st;

	start(&h, &o, true);
	h.rec.gate_closed = true;
	POST_EXPECT(h.port, "Notification", b1, 200, "accepted");
	/* the one worker holds q1 */
	pthread_mutex_lock(&h.rec.lock);
	while (h.rec.entered < 1)
		pthread_cond_wait(&h.rec.cond, &h.rec.lock);
	pthread_mutex_unlock(&h.rec.lock);
	POST_EXPECT(h.port, "Notification", b2, 200, "accepted");
	POST_EXPECT(h.port, "Notification", b3, 503, "queue full");
	irx_serve_get_stats(h.s, &st);
	CU_ASSERT_EQUAL(st.accepted, 2);
	CU_ASSERT_EQUAL(st.busy, 1);
	CU_ASSERT_EQUAL(st.dispatched, 0);
	pthread_mutex_lock(&h.rec.lock);
	h.rec.gate_closed = false;
	pthread_cond_broadcast(&h.rec.cond);
	pthread_mutex_unlock(&h.rec.lock);
	stop(&h, NULL);
	CU_ASSERT_EQUAL(h.rec.count, 2);
	CU_ASSERT_TRUE(recorded(&h.rec, "q1"));
	CU_ASSERT_TRUE(recorded(&h.rec, "q2"));
	CU_ASSERT_FALSE(recorded(&h.rec, "q3"));
	free(b1);
	free(b2);
	free(b3);
}

static void test_http_limits(void)
{
	struct irx_serve_options o = {.topics = TOPICS, .topic_count = 1, .io_timeout_ms = 300};
	struct harness h;
	char resp[4096], *big = NULL;
	static const struct {
		const char *req;
		int code;
		const char *text;
	} cases[] = {
	    {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 405, "only POST is accepted"},
	    {"POST / HTTP/1.1\r\nHost: x\r\n\r\n", 411, "a Content-Length header is required"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411,
	     "a Content-Length header is required"},
	    {"POST / HTTP/1.1\r\nContent-Length: 300000\r\n\r\n", 413,
	     "request body is larger than 262144 bytes"},
	    {"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400,
	     "conflicting duplicate headers"},
	    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
	     "content-length '-1' is not a number"},
	    {"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}{}", 400,
	     "request body is longer than its content-length"},
	    {"POST /\r\nContent-Length: 2\r\n\r\n{}", 400, "malformed request line"},
	    {"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}", 408,
	     "request not received within 300 ms"},
	    {"POST / HTTP/1.1\r\nContent-Le", 408, "request not received within 300 ms"},
	    {"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400,
	     "missing x-amz-sns-message-type header"},
	};

	start(&h, &o, true);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = raw(h.port, cases[i].req, 0, resp, sizeof(resp));

		if (code != cases[i].code || !strstr(resp, cases[i].text))
			fprintf(stderr, "\n  case %zu: %s\n", i, resp);
		CU_ASSERT_EQUAL(code, cases[i].code);
		IRX_ASSERT_CONTAINS(resp, cases[i].text);
	}
	/* headers beyond 16 KiB */
	big = irx_xmalloc(20000);
	strcpy(big, "POST / HTTP/1.1\r\nX-Pad: ");
	memset(big + strlen(big), 'a', 19000);
	big[19025] = '\0';
	CU_ASSERT_EQUAL(raw(h.port, big, 0, resp, sizeof(resp)), 431);
	IRX_ASSERT_CONTAINS(resp, "request headers are larger than 16384 bytes");
	free(big);
	stop(&h, NULL);

	/* one connection allowed: an idle one holds it, the next is turned away */
	o = (struct irx_serve_options){
	    .topics = TOPICS, .topic_count = 1, .io_timeout_ms = 300, .max_connections = 1};
	start(&h, &o, true);
	{
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((unsigned short)h.port)};
		int idle = socket(AF_INET, SOCK_STREAM, 0);
		char t[256];

		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		CU_ASSERT_EQUAL(connect(idle, (struct sockaddr *)&sa, sizeof(sa)), 0);
		usleep(100000);
		POST_EXPECT(h.port, "Notification", "{}", 503, "too many connections");
		close(idle);
		usleep(400000); /* the idle connection times out and frees its slot */
		CU_ASSERT_EQUAL(post(h.port, "Notification", "{}", t, sizeof(t)), 400);
	}
	stop(&h, NULL);
}

static void test_options(void)
{
	struct irx_sns_verifier_options vo = {.ca_pem = g_test_pem};
	struct irx_error err = {0};
	struct irx_sns_verifier *v = irx_sns_verifier_new(&vo, &err);
	static const struct {
		const char *listen;
		size_t topics;
		const char *msg;
	} cases[] = {
	    {"127.0.0.1:0", 0, "no topic is allowed: give at least one --topic ARN"},
	    {"nonsense", 1, "listen address 'nonsense' is not ADDR:PORT"},
	    {"localhost:8080", 1, "listen address 'localhost' is not an IPv4 address"},
	    {"127.0.0.1:99999", 1, "listen port '99999' is not a port number"},
	    {"127.0.0.1:", 1, "listen port '' is not a port number"},
	    {"127.0.0.1:80x", 1, "listen port '80x' is not a port number"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct irx_serve_options o = {.listen = cases[i].listen,
					      .topics = TOPICS,
					      .topic_count = cases[i].topics,
					      .verifier = v};

		irx_error_clear(&err);
		CU_ASSERT_PTR_NULL(irx_serve_new(&o, &err));
		CU_ASSERT_STRING_EQUAL(err.message, cases[i].msg);
	}
	irx_sns_verifier_free(v);
}

static int suite_init(void)
{
	g_test_pem = slurp(CONS "TEST-ONLY-SimpleNotificationService-test.pem");
	g_php_pem = slurp(PHP "SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem");
	return 0;
}

static int suite_clean(void)
{
	free(g_test_pem);
	free(g_php_pem);
	return 0;
}

static CU_TestInfo tests[] = {
    {"constructed messages: accepted, refused, dispatched once", test_constructed},
    {"real signed messages over http", test_real},
    {"external id and message age", test_external_id},
    {"subscription confirmation", test_subscription},
    {"queue full", test_queue_full},
    {"http limits", test_http_limits},
    {"options", test_options},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("serve", tests, suite_init, suite_clean)
