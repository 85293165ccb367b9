/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS client (see client.h). Decisions:
 * - Every call goes through one engine that runs a batch of jobs in rounds: each round signs
 *   and sends every pending job in one transport batch, then classifies each answer. One call
 *   is a batch of one.
 * - Retries: the SDKs' standard mode (aws/retry.h). Between rounds the engine sleeps the
 *   longest backoff any retrying job drew, never past the context's deadline.
 * - Clock skew: a response with a skew error code (RequestTimeTooSkewed, RequestExpired,
 *   RequestInTheFuture, InvalidSignatureException, SignatureDoesNotMatch, AuthFailure) whose
 *   Date differs from the signing clock by 4 minutes or more sets the client's offset to the
 *   difference, and the job is re-sent once without counting as an attempt (the SDKs' rule).
 * - Credentials are resolved once (first call) and again only when they are within 5 minutes
 *   of expiry; assumed roles likewise, cached per hop of a role chain: the key of hop i is the
 *   chain's ARNs up to i, and for the last hop also the external id and the session tags. A
 *   call whose whole chain is cached sends no AssumeRole; one whose hub hop is cached assumes
 *   only the member role.
 * - Configured endpoints (AWS_ENDPOINT_URL...) get no endpoint hostPrefix: a local endpoint is
 *   an address, not a DNS tree.
 */
#include "aws/client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "aws/endpoints.h"
#include "aws/models.h"
#include "aws/protocol.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "util.h"

#define REFRESH_MARGIN_S 300 /* credentials and roles are renewed 5 minutes before expiry */
#define SKEW_THRESHOLD_S 240 /* a skew error with a clock off by 4 minutes or more */

struct role_entry {
	char *key; /* the chain's ARNs to this hop, '\n'-separated; the last hop: + ext id, tags */
	struct irx_credentials creds;
	struct role_entry *next;
};

struct attachment {
	void *p;
	struct attachment *next;
};

struct irx_aws_client {
	char *region; /* NULL: none found */
	char *region_error;
	char *profile;
	char *profile_endpoint_url;
	char *access_key_id, *secret_access_key, *session_token; /* explicit; wiped */
	const char *const *env;
	time_t (*clock)(void *ud);
	void *clock_ud;
	void (*sleep_ms)(void *ud, long long ms);
	void *sleep_ud;
	irx_aws_transport_fn *transport;
	void *transport_ud;
	struct irx_aws_curl *curl; /* the default transport, when used */
	long connect_timeout_ms, timeout_ms;
	struct irx_retry retry;

	pthread_mutex_t cred_lock; /* held while the chain resolves */
	bool have_creds;
	struct irx_credentials creds;

	/* held while roles are assumed: concurrent executions that miss the cache wait for the
	   first one's sessions instead of each assuming the chain (taken before cred_lock) */
	pthread_mutex_t assume_lock;
	pthread_mutex_t lock; /* skew, roles, attachments */
	long skew;
	struct role_entry *roles;
	struct attachment *attachments;
};

/* ---- names ------------------------------------------------------------------------------ */

/* boto3 client names that differ from irx's model ids. */
static const struct {
	const char *alias, *id;
} service_aliases[] = {
    {"elbv2", "elasticloadbalancingv2"},
    {"elasticloadbalancing_v2", "elasticloadbalancingv2"},
    {"resource-groups-tagging-api", "resourcegroupstaggingapi"},
    {"tagging", "resourcegroupstaggingapi"},
};

static const struct irx_service *find_service(const char *name)
{
	const struct irx_model *m = &irx_models_builtin;
	char low[64] = "";
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(low))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	for (size_t i = 0; i < sizeof(service_aliases) / sizeof(service_aliases[0]); i++)
		if (strcmp(low, service_aliases[i].alias) == 0)
			return irx_model_service(m, service_aliases[i].id);
	return irx_model_service(m, low);
}

/* "describe_instances" and "DescribeInstances" compare equal: case and '_' ignored. */
static bool same_op_name(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

static const struct irx_operation *find_operation(const struct irx_service *svc, const char *name)
{
	const struct irx_model *m = &irx_models_builtin;
	const struct irx_operation *op = irx_model_operation(m, svc, name);

	if (op)
		return op;
	for (uint32_t i = svc->first_op; i < svc->first_op + svc->op_count; i++)
		if (same_op_name(name, irx_model_str(m, m->ops[i].name)))
			return &m->ops[i];
	return NULL;
}

static int lookup(const char *service, const char *operation, const struct irx_service **svc,
		  const struct irx_operation **op, struct irx_error *err)
{
	*svc = service ? find_service(service) : NULL;
	if (!*svc) {
		irx_error_set(
		    err, IRX_ERR_NOT_FOUND,
		    "unknown AWS service '%s' (irx knows autoscaling, dynamodb, ec2, elbv2, "
		    "guardduty, iam, kms, lambda, organizations, resourcegroupstaggingapi, "
		    "s3, secretsmanager, securityhub, sns, sqs, ssm, sts)",
		    service ? service : "");
		return -1;
	}
	*op = operation ? find_operation(*svc, operation) : NULL;
	if (!*op) {
		irx_error_set(err, IRX_ERR_NOT_FOUND, "unknown operation '%s' for AWS service '%s'",
			      operation ? operation : "",
			      irx_model_str(&irx_models_builtin, (*svc)->id));
		return -1;
	}
	return 0;
}

int irx_aws_lookup(const char *service, const char *operation, const char **service_id,
		   const char **operation_name, bool *mutating, struct irx_error *err)
{
	const struct irx_model *m = &irx_models_builtin;
	const struct irx_service *svc = NULL;
	const struct irx_operation *op = NULL;

	if (lookup(service, operation, &svc, &op, err) < 0)
		return -1;
	if (service_id)
		*service_id = irx_model_str(m, svc->id);
	if (operation_name)
		*operation_name = irx_model_str(m, op->name);
	if (mutating)
		*mutating = (op->flags & IRX_OP_F_MUTATING) != 0;
	return 0;
}

int irx_aws_check_input(const char *service, const char *operation, const char *member, char *msg,
			size_t msg_len)
{
	const struct irx_model *m = &irx_models_builtin;
	const struct irx_service *svc = NULL;
	const struct irx_operation *op = NULL;
	const struct irx_member *in = NULL;
	struct irx_error err = {0};

	if (lookup(service, operation, &svc, &op, &err) < 0) {
		snprintf(msg, msg_len, "%s", err.message);
		return -1;
	}
	in = op->input != IRX_MODEL_NONE ? irx_model_member(m, op->input) : NULL;
	if (in && irx_model_find_member(m, irx_member_shape(m, in), member))
		return 0;
	snprintf(msg, msg_len, "unknown parameter '%s' for %s:%s", member,
		 irx_model_str(m, svc->id), irx_model_str(m, op->name));
	return -1;
}

static struct json_object *coerce_params(const struct irx_operation *op, struct json_object *p);

int irx_aws_check_params(const char *service, const char *operation, struct json_object *params,
			 struct json_object **coerced, struct irx_error *err)
{
	const struct irx_service *svc = NULL;
	const struct irx_operation *op = NULL;
	struct irx_aws_request req = {0};
	int rc = -1;

	if (lookup(service, operation, &svc, &op, err) < 0)
		return -1;
	params = coerce_params(op, params);
	rc = irx_protocol_serialize(&irx_models_builtin, svc, op, params, &req, err);
	if (rc == 0 && coerced)
		*coerced = params ? params : json_object_new_object();
	else
		json_object_put(params);
	irx_aws_request_release(&req);
	return rc;
}

/* ---- the client ------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s && *s ? irx_xstrdup(s) : NULL;
}

static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

struct irx_aws_client *irx_aws_client_new(const struct irx_aws_client_options *o,
					  struct irx_error *err)
{
	struct irx_aws_client *c = irx_xcalloc(1, sizeof(*c));
	struct irx_aws_config *cfg = NULL;
	struct irx_error rerr = {0};
	const char *v = NULL;

	if (irx_retry_init(&c->retry, err) < 0) {
		free(c);
		return NULL;
	}
	if (o->max_attempts > 0)
		c->retry.max_attempts = o->max_attempts;
	pthread_mutex_init(&c->cred_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->assume_lock, NULL);
	c->profile = dup_or_null(o->profile);
	c->access_key_id = dup_or_null(o->access_key_id);
	c->secret_access_key = dup_or_null(o->secret_access_key);
	c->session_token = dup_or_null(o->session_token);
	c->env = o->env;
	c->clock = o->clock;
	c->clock_ud = o->clock_ud;
	c->sleep_ms = o->sleep_ms;
	c->sleep_ud = o->sleep_ud;
	c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 3000;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
	if (o->transport) {
		c->transport = o->transport;
		c->transport_ud = o->transport_ud;
	} else {
		c->curl = irx_aws_curl_new();
		if (!c->curl) {
			irx_error_set(err, IRX_ERR_NETWORK, "cannot initialise libcurl");
			goto fail;
		}
		c->transport = irx_aws_curl_perform;
		c->transport_ud = c->curl;
	}
	if (irx_region_resolve(o->region, o->profile, o->env, &c->region, &rerr) < 0) {
		c->region = NULL;
		c->region_error = irx_xstrdup(rerr.message);
	}
	if (irx_aws_config_load(o->profile, o->env, &cfg, err) < 0)
		goto fail;
	if ((v = irx_aws_config_get(cfg, "endpoint_url")))
		c->profile_endpoint_url = dup_or_null(v);
	irx_aws_config_free(cfg);
	return c;
fail:
	irx_aws_client_free(c);
	return NULL;
}

void irx_aws_client_free(struct irx_aws_client *c)
{
	if (!c)
		return;
	while (c->roles) {
		struct role_entry *r = c->roles;

		c->roles = r->next;
		irx_credentials_release(&r->creds);
		free(r->key);
		free(r);
	}
	while (c->attachments) {
		struct attachment *a = c->attachments;

		c->attachments = a->next;
		free(a->p);
		free(a);
	}
	irx_credentials_release(&c->creds);
	free_secret(c->access_key_id);
	free_secret(c->secret_access_key);
	free_secret(c->session_token);
	free(c->region);
	free(c->region_error);
	free(c->profile);
	free(c->profile_endpoint_url);
	irx_aws_curl_free(c->curl);
	irx_retry_release(&c->retry);
	pthread_mutex_destroy(&c->cred_lock);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->assume_lock);
	free(c);
}

void irx_aws_client_attach(struct irx_aws_client *c, void *p)
{
	struct attachment *a = irx_xcalloc(1, sizeof(*a));

	a->p = p;
	pthread_mutex_lock(&c->lock);
	a->next = c->attachments;
	c->attachments = a;
	pthread_mutex_unlock(&c->lock);
}

const char *irx_aws_client_region(const struct irx_aws_client *c)
{
	return c->region ? c->region : "";
}

long irx_aws_client_clock_skew(const struct irx_aws_client *c)
{
	long s = 0;

	pthread_mutex_lock((pthread_mutex_t *)&c->lock);
	s = c->skew;
	pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
	return s;
}

static time_t now_s(const struct irx_aws_client *c)
{
	return c->clock ? c->clock(c->clock_ud) : time(NULL);
}

static void sleep_ms(const struct irx_aws_client *c, long long ms)
{
	struct timespec ts = {0};

	if (ms <= 0)
		return;
	if (c->sleep_ms) {
		c->sleep_ms(c->sleep_ud, ms);
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the engine ------------------------------------------------------------------------- */

struct job {
	const char *service, *operation; /* as the caller named them */
	struct json_object *params;
	const struct irx_service *svc;
	const struct irx_operation *op;
	char label[192]; /* "ec2:DescribeInstances" */
	struct irx_aws_request req;
	struct irx_endpoint ep;
	struct irx_credentials creds;
	bool sensitive; /* the response carries secrets: wipe the body */
	int attempt;
	bool skew_retried;
	bool done;
	struct json_object *response;
	struct irx_error err;
	/* per round */
	char *url;
	char **lines;
	size_t n_lines;
	long long backoff_ms;
};

static void job_round_release(struct job *j)
{
	free(j->url);
	j->url = NULL;
	for (size_t i = 0; i < j->n_lines; i++) {
		OPENSSL_cleanse(j->lines[i], strlen(j->lines[i]));
		free(j->lines[i]);
	}
	free(j->lines);
	j->lines = NULL;
	j->n_lines = 0;
}

static void job_release(struct job *j)
{
	job_round_release(j);
	irx_aws_request_release(&j->req);
	irx_credentials_release(&j->creds);
	json_object_put(j->response);
	j->response = NULL;
}

/* scheme://authority and the base path ("" or "/x") of an endpoint URL. */
static void split_url(const char *url, char *origin, size_t olen, const char **base_path,
		      const char **authority, size_t *alen)
{
	const char *a = strstr(url, "://");
	const char *slash = NULL;

	a = a ? a + 3 : url;
	slash = strchr(a, '/');
	*authority = a;
	*alen = slash ? (size_t)(slash - a) : strlen(a);
	*base_path = slash ? slash : "";
	snprintf(origin, olen, "%.*s", (int)(a - url + (int)*alen), url);
}

static char *header_line(const char *name, const char *value)
{
	/* curl drops "Name:" lines; "Name;" sends an empty header */
	return *value ? irx_xasprintf("%s: %s", name, value) : irx_xasprintf("%s;", name);
}

/* Signs the job's request at time t and builds its URL and header lines. */
static int job_build(struct irx_aws_client *c, struct job *j, time_t t, struct irx_error *err)
{
	char origin[600] = "";
	const char *base = NULL, *auth = NULL;
	size_t alen = 0, nh = 0;
	char *host = NULL, *path = NULL;
	struct irx_sigv4_header *hs = NULL;
	struct irx_sigv4_request sr = {0};
	struct irx_sigv4_options so;
	struct irx_sigv4_result res = {0};
	bool s3 = strcmp(j->ep.signing_name, "s3") == 0;
	bool prefix = !j->ep.configured && j->req.host_prefix && *j->req.host_prefix;
	int rc = -1;

	split_url(j->ep.url, origin, sizeof(origin), &base, &auth, &alen);
	host = irx_xasprintf("%s%.*s", prefix ? j->req.host_prefix : "", (int)alen, auth);
	path = irx_xasprintf("%s%s", base, j->req.path);
	hs = irx_xcalloc(j->req.n_headers + 1, sizeof(*hs));
	hs[nh++] = (struct irx_sigv4_header){"Host", host};
	for (size_t i = 0; i < j->req.n_headers; i++)
		hs[nh++] =
		    (struct irx_sigv4_header){j->req.headers[i].name, j->req.headers[i].value};
	sr.method = j->req.method;
	sr.path = path;
	sr.query = j->req.query;
	sr.headers = hs;
	sr.header_count = nh;
	sr.payload = j->req.body;
	sr.payload_len = j->req.body_len;
	irx_sigv4_options_init(&so, j->ep.signing_name, j->ep.signing_region, t);
	if (s3) {
		so.double_uri_encode = false;
		so.normalize_path = false;
		so.sign_body = true;
	}
	if (irx_sigv4_sign(&sr, &j->creds, &so, &res, err) < 0)
		goto out;
	j->lines = irx_xcalloc(nh + res.add_header_count + 1, sizeof(*j->lines));
	for (size_t i = 0; i < nh; i++)
		j->lines[j->n_lines++] = header_line(hs[i].name, hs[i].value);
	for (size_t i = 0; i < res.add_header_count; i++)
		j->lines[j->n_lines++] =
		    header_line(res.add_headers[i].name, res.add_headers[i].value);
	j->lines[j->n_lines] = NULL;
	if (prefix) {
		const char *scheme_end = strstr(origin, "://");

		j->url = irx_xasprintf("%.*s%s%s%s%s", (int)(scheme_end - origin + 3), origin, host,
				       path, *j->req.query ? "?" : "", j->req.query);
	} else {
		j->url =
		    irx_xasprintf("%s%s%s%s", origin, path, *j->req.query ? "?" : "", j->req.query);
	}
	rc = 0;
out:
	irx_sigv4_result_release(&res);
	free(hs);
	free(host);
	free(path);
	return rc;
}

static bool is_skew_code(const char *code)
{
	static const char *const codes[] = {"RequestTimeTooSkewed",  "RequestExpired",
					    "RequestInTheFuture",    "InvalidSignatureException",
					    "SignatureDoesNotMatch", "AuthFailure"};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/* Sets the final error of a job from its last attempt's error. */
static void job_fail(struct job *j, const struct irx_error *last)
{
	char detail[900] = "";
	char when[64] = "";

	if (j->attempt > 1)
		snprintf(when, sizeof(when), " after %d attempts", j->attempt);
	if (last->code == IRX_ERR_AWS && last->aws_code[0]) {
		if (last->request_id[0])
			snprintf(detail, sizeof(detail), "%s: %s (request id %s)", last->aws_code,
				 last->aws_message[0] ? last->aws_message : "no message",
				 last->request_id);
		else
			snprintf(detail, sizeof(detail), "%s: %s", last->aws_code,
				 last->aws_message[0] ? last->aws_message : "no message");
	} else {
		snprintf(detail, sizeof(detail), "%s", last->message);
	}
	irx_error_clear(&j->err);
	irx_error_set(&j->err, last->code, "%s failed%s: %s", j->label, when, detail);
	j->err.http_status = last->http_status;
	memcpy(j->err.aws_code, last->aws_code, sizeof(j->err.aws_code));
	memcpy(j->err.aws_message, last->aws_message, sizeof(j->err.aws_message));
	memcpy(j->err.request_id, last->request_id, sizeof(j->err.request_id));
	j->done = true;
}

/* Wipes a response body (it may hold credentials) before it is freed. */
static void wipe_body(struct irx_aws_transport_response *r)
{
	if (r->body)
		OPENSSL_cleanse(r->body, r->body_len);
}

/*
 * Judges one answer. Returns 1 when the job is finished (success or final failure), 0 when it
 * is to be sent again after j->backoff_ms.
 */
static int job_judge(struct irx_aws_client *c, struct job *j,
		     const struct irx_aws_transport_response *r, long long deadline_ms,
		     long timeout_ms)
{
	struct irx_error last = {0};
	enum irx_retry_kind kind = IRX_RETRY_NONE;
	long long delay = 0;

	if (r->failed) {
		if (r->timed_out)
			irx_error_set(&last, IRX_ERR_TIMEOUT, "no response from %s within %ld ms",
				      j->ep.url, timeout_ms);
		else
			irx_error_set(&last, IRX_ERR_NETWORK, "no response from %s: %s", j->ep.url,
				      r->error);
		kind = irx_retry_classify(0, NULL, true, r->timed_out);
	} else {
		struct irx_aws_response ar = {0};
		struct irx_http_header *hh = irx_xcalloc(r->n_headers + 1, sizeof(*hh));
		struct json_object *out = NULL;
		int prc = 0;

		/* the same two strings: only the struct names differ between the layers */
		for (size_t i = 0; i < r->n_headers; i++)
			hh[i] = (struct irx_http_header){r->headers[i].name, r->headers[i].value};
		ar.status = (int)r->status;
		ar.headers = hh;
		ar.n_headers = r->n_headers;
		ar.body = r->body;
		ar.body_len = r->body_len;
		prc = irx_protocol_parse(&irx_models_builtin, j->svc, j->op, &ar, &out, &last);
		if (prc == 0) {
			free(hh);
			j->response = out;
			irx_retry_success(&c->retry, j->attempt > 1);
			j->done = true;
			return 1;
		}
		if (last.code == IRX_ERR_AWS && is_skew_code(last.aws_code) && !j->skew_retried) {
			const char *date = irx_aws_response_header(&ar, "date");
			double server = 0;

			if (date && irx_timestamp_parse(date, &server) == 0) {
				long diff = (long)(server - (double)now_s(c));
				long cur = 0;

				pthread_mutex_lock(&c->lock);
				cur = c->skew;
				if (labs(diff - cur) >= SKEW_THRESHOLD_S)
					c->skew = diff;
				pthread_mutex_unlock(&c->lock);
				if (labs(diff - cur) >= SKEW_THRESHOLD_S) {
					free(hh);
					j->skew_retried = true;
					j->backoff_ms = 0;
					return 0; /* not an attempt: the clock was wrong */
				}
			}
		}
		free(hh);
		kind = last.code == IRX_ERR_AWS
			   ? irx_retry_classify(r->status, last.aws_code, false, false)
			   : IRX_RETRY_NONE;
	}
	if (irx_retry_next(&c->retry, j->attempt, kind, &delay) &&
	    (!deadline_ms || irx_now_ms() + delay < deadline_ms)) {
		j->attempt++;
		j->backoff_ms = delay;
		return 0;
	}
	job_fail(j, &last);
	return 1;
}

/* Base credentials: resolved once, again when close to expiry. */
static int assume_role_cb(void *ctx, const struct irx_assume_role *role,
			  struct irx_credentials *out, struct irx_error *err);

static int base_credentials(struct irx_aws_client *c, struct irx_credentials *out,
			    struct irx_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&c->cred_lock);
	if (!c->have_creds || irx_credentials_expired(&c->creds, now_s(c), REFRESH_MARGIN_S)) {
		struct irx_credentials_options o = {0};
		struct irx_credentials_resolved r = {0};

		o.access_key_id = c->access_key_id;
		o.secret_access_key = c->secret_access_key;
		o.session_token = c->session_token;
		o.profile = c->profile;
		o.env = c->env;
		o.now = now_s(c);
		o.assume_role = assume_role_cb;
		o.assume_role_ctx = c;
		rc = irx_credentials_resolve(&o, &r, err);
		if (rc == 0) {
			irx_credentials_release(&c->creds);
			irx_credentials_copy(&c->creds, &r.creds);
			c->have_creds = true;
		}
		irx_credentials_resolved_release(&r);
	}
	if (rc == 0)
		irx_credentials_copy(out, &c->creds);
	pthread_mutex_unlock(&c->cred_lock);
	return rc;
}

static int run_jobs(struct irx_aws_client *c, const struct irx_aws_context *ctx, struct job *jobs,
		    size_t n);

/* Session names: [\w+=,.@-]{2,64}; anything else becomes '-'. */
static void session_name(const char *in, char out[65])
{
	size_t n = 0;

	for (const char *p = in && *in ? in : "irx"; *p && n < 64; p++)
		out[n++] = isalnum((unsigned char)*p) || strchr("_+=,.@-", *p) ? *p : '-';
	if (n < 2)
		out[n++] = '-';
	out[n] = '\0';
}

/* Reads a string member and wipes it in the response. */
static char *take_secret(struct json_object *o, const char *key)
{
	struct json_object *v = json_object_object_get(o, key);
	char *s = NULL;

	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	s = irx_xstrdup(json_object_get_string(v));
	OPENSSL_cleanse((void *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
	return s;
}

/* One hop of a chain, for error messages: "" for a single role, else " (hop 1 of 2)". */
struct hop {
	size_t index, count; /* 1-based; count 0 or 1: no chain */
};

/*
 * sts:AssumeRole with source credentials `src`; tags (may be NULL) become the session's tags.
 */
static int sts_assume_role(struct irx_aws_client *c, const struct irx_credentials *src,
			   const char *region, const char *role_arn, const char *external_id,
			   const struct irx_aws_tag *tags, size_t tag_count, const char *session,
			   long duration, long long deadline_ms, struct hop hop,
			   struct irx_credentials *out, struct irx_error *err)
{
	struct job j = {0};
	struct irx_aws_context sctx = {0};
	struct json_object *p = json_object_new_object();
	struct json_object *cr = NULL, *exp = NULL;
	char sn[65] = "", where[48] = "";
	char *akid = NULL, *secret = NULL, *token = NULL;
	double expiration = 0;
	int rc = -1;

	session_name(session, sn);
	json_object_object_add(p, "RoleArn", json_object_new_string(role_arn));
	json_object_object_add(p, "RoleSessionName", json_object_new_string(sn));
	if (external_id && *external_id)
		json_object_object_add(p, "ExternalId", json_object_new_string(external_id));
	if (duration > 0)
		json_object_object_add(p, "DurationSeconds", json_object_new_int64(duration));
	if (tag_count) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < tag_count; i++) {
			struct json_object *t = json_object_new_object();

			json_object_object_add(t, "Key", json_object_new_string(tags[i].key));
			json_object_object_add(t, "Value", json_object_new_string(tags[i].value
										   ? tags[i].value
										   : ""));
			json_object_array_add(a, t);
		}
		json_object_object_add(p, "Tags", a);
	}
	if (hop.count > 1)
		snprintf(where, sizeof(where), " (hop %zu of %zu)", hop.index, hop.count);
	j.service = "sts";
	j.operation = "AssumeRole";
	j.params = p;
	j.sensitive = true;
	irx_credentials_copy(&j.creds, src);
	/* STS is regional; without any region, its us-east-1 endpoint */
	sctx.region = region && *region ? region : c->region ? c->region : "us-east-1";
	sctx.deadline_ms = deadline_ms;
	run_jobs(c, &sctx, &j, 1);
	if (!j.response) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "cannot assume role '%s'%s: %s", role_arn,
			      where, j.err.message);
		err->http_status = j.err.http_status;
		memcpy(err->aws_code, j.err.aws_code, sizeof(err->aws_code));
		memcpy(err->aws_message, j.err.aws_message, sizeof(err->aws_message));
		memcpy(err->request_id, j.err.request_id, sizeof(err->request_id));
		goto out;
	}
	cr = json_object_object_get(j.response, "Credentials");
	akid = take_secret(cr, "AccessKeyId");
	secret = take_secret(cr, "SecretAccessKey");
	token = take_secret(cr, "SessionToken");
	exp = json_object_object_get(cr, "Expiration");
	if (!akid || !secret || !token || !exp ||
	    irx_timestamp_parse(json_object_get_string(exp), &expiration) < 0) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "cannot assume role '%s'%s: sts:AssumeRole answered without complete "
			      "credentials",
			      role_arn, where);
		goto out;
	}
	irx_credentials_set(out, akid, secret, token, (time_t)expiration);
	rc = 0;
out:
	free_secret(akid);
	free_secret(secret);
	free_secret(token);
	json_object_put(p);
	j.params = NULL;
	job_release(&j);
	return rc;
}

/* The chain's callback for a profile's role_arn. */
static int assume_role_cb(void *ctx, const struct irx_assume_role *role,
			  struct irx_credentials *out, struct irx_error *err)
{
	struct irx_aws_client *c = ctx;

	struct hop single = {1, 1};

	return sts_assume_role(c, &role->source, role->region, role->role_arn, role->external_id,
			       NULL, 0, role->role_session_name, role->duration_seconds, 0, single,
			       out, err);
}

/* The cache key of hop i (0-based) of ctx's chain: the ARNs so far; the last adds ext id, tags. */
static char *hop_key(const struct irx_aws_context *ctx, size_t i)
{
	size_t hops = ctx->via_count + 1;
	size_t cap = 64, len = 0;
	char *k = irx_xmalloc(cap);

#define PUT(s_)                                                                                   \
	do {                                                                                      \
		const char *s__ = (s_) ? (s_) : "";                                               \
		size_t n__ = strlen(s__);                                                         \
		if (len + n__ + 2 > cap)                                                          \
			k = irx_xrealloc(k, cap = (len + n__ + 2) * 2);                           \
		memcpy(k + len, s__, n__);                                                        \
		len += n__;                                                                       \
		k[len] = '\0';                                                                    \
	} while (0)
	k[0] = '\0';
	for (size_t h = 0; h <= i; h++) {
		PUT(h + 1 < hops ? ctx->via_roles[h] : ctx->role_arn);
		PUT("\n");
	}
	if (i + 1 == hops) {
		/* separators that cannot occur in an ARN, an external id or a tag */
		PUT("\x1e");
		PUT(ctx->external_id);
		for (size_t t = 0; t < ctx->tag_count; t++) {
			PUT("\x1f");
			PUT(ctx->tags[t].key);
			PUT("=");
			PUT(ctx->tags[t].value);
		}
	}
#undef PUT
	return k;
}

/* A cached, unexpired entry for key copied into out: true. c->lock held. */
static bool cache_get(struct irx_aws_client *c, const char *key, struct irx_credentials *out)
{
	for (struct role_entry *e = c->roles; e; e = e->next)
		if (strcmp(e->key, key) == 0 &&
		    !irx_credentials_expired(&e->creds, now_s(c), REFRESH_MARGIN_S)) {
			irx_credentials_copy(out, &e->creds);
			return true;
		}
	return false;
}

static void cache_put(struct irx_aws_client *c, const char *key, const struct irx_credentials *cr)
{
	struct role_entry *e = NULL;

	pthread_mutex_lock(&c->lock);
	for (e = c->roles; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (!e) {
		e = irx_xcalloc(1, sizeof(*e));
		e->key = irx_xstrdup(key);
		e->next = c->roles;
		c->roles = e;
	}
	irx_credentials_release(&e->creds);
	irx_credentials_copy(&e->creds, cr);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Credentials for a call: the base ones, or the last role of the context's chain. The longest
 * cached prefix of the chain is reused; the hops after it are assumed in order, each with the
 * credentials of the one before, and cached. Threads that miss the cache together assume once.
 */
static int call_credentials(struct irx_aws_client *c, const struct irx_aws_context *ctx,
			    const char *region, struct irx_credentials *out, struct irx_error *err)
{
	struct irx_credentials cur = {0};
	size_t hops = 0, start = 0;
	char *keys[IRX_AWS_MAX_ROLE_CHAIN] = {0};
	bool locked = false;
	int rc = -1;

	if (!ctx || !ctx->role_arn || !*ctx->role_arn)
		return base_credentials(c, out, err);
	hops = ctx->via_count + 1;
	if (hops > IRX_AWS_MAX_ROLE_CHAIN) {
		irx_error_set(err, IRX_ERR_INVALID, "a role chain has at most %d roles, got %zu",
			      IRX_AWS_MAX_ROLE_CHAIN, hops);
		return -1;
	}
	for (size_t i = 0; i + 1 < hops; i++)
		if (!ctx->via_roles[i] || !*ctx->via_roles[i]) {
			irx_error_set(err, IRX_ERR_INVALID, "role %zu of %zu in the chain is empty",
				      i + 1, hops);
			return -1;
		}
	for (size_t i = 0; i < hops; i++)
		keys[i] = hop_key(ctx, i);
	pthread_mutex_lock(&c->lock);
	for (start = hops; start > 0; start--)
		if (cache_get(c, keys[start - 1], &cur))
			break;
	pthread_mutex_unlock(&c->lock);
	if (start < hops) {
		/* one thread assumes; the others find its sessions once it is done */
		pthread_mutex_lock(&c->assume_lock);
		locked = true;
		irx_credentials_release(&cur);
		pthread_mutex_lock(&c->lock);
		for (start = hops; start > 0; start--)
			if (cache_get(c, keys[start - 1], &cur))
				break;
		pthread_mutex_unlock(&c->lock);
	}
	if (start == 0 && base_credentials(c, &cur, err) < 0)
		goto out;
	for (size_t i = start; i < hops; i++) {
		struct irx_credentials next = {0};
		struct hop hop = {i + 1, hops};
		bool last = i + 1 == hops;
		long duration = ctx->duration_seconds;

		/* AWS refuses more than an hour for a session assumed with a role's credentials */
		if (i > 0 && duration > 3600)
			duration = 3600;
		if (sts_assume_role(c, &cur, region, last ? ctx->role_arn : ctx->via_roles[i],
				    last ? ctx->external_id : NULL, last ? ctx->tags : NULL,
				    last ? ctx->tag_count : 0, ctx->session_name, duration,
				    ctx->deadline_ms, hop, &next, err) < 0)
			goto out;
		cache_put(c, keys[i], &next);
		irx_credentials_release(&cur);
		cur = next;
	}
	irx_credentials_copy(out, &cur);
	rc = 0;
out:
	if (locked)
		pthread_mutex_unlock(&c->assume_lock);
	irx_credentials_release(&cur);
	for (size_t i = 0; i < hops; i++)
		free(keys[i]);
	return rc;
}

/*
 * Templates make text: "{{ Count }}" arrives as "3" where the model wants an integer. A string
 * that reads fully as the shape's number or boolean becomes one (SSM converts the same way);
 * anything else is left for the serializer to report. Returns a new reference.
 */
static struct json_object *coerce(const struct irx_model *m, const struct irx_shape *sh,
				  struct json_object *v, int depth)
{
	const char *s = NULL;
	char *end = NULL;

	if (!v || depth > 64)
		return json_object_get(v);
	switch (sh->type) {
	case IRX_SHAPE_STRUCTURE: {
		struct json_object *out = NULL;

		if (!json_object_is_type(v, json_type_object))
			return json_object_get(v);
		out = json_object_new_object();
		json_object_object_foreach(v, key, val)
		{
			const struct irx_member *mem = irx_model_find_member(m, sh, key);

			json_object_object_add(
			    out, key,
			    mem ? coerce(m, irx_member_shape(m, mem), val, depth + 1)
				: json_object_get(val));
		}
		return out;
	}
	case IRX_SHAPE_LIST: {
		struct json_object *out = NULL;
		const struct irx_shape *el = irx_member_shape(m, irx_model_member(m, sh->first));

		if (!json_object_is_type(v, json_type_array))
			return json_object_get(v);
		out = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(
			    out, coerce(m, el, json_object_array_get_idx(v, i), depth + 1));
		return out;
	}
	case IRX_SHAPE_MAP: {
		struct json_object *out = NULL;
		const struct irx_shape *val_sh =
		    irx_member_shape(m, irx_model_member(m, sh->first + 1));

		if (!json_object_is_type(v, json_type_object))
			return json_object_get(v);
		out = json_object_new_object();
		json_object_object_foreach(v, key, val)
		    json_object_object_add(out, key, coerce(m, val_sh, val, depth + 1));
		return out;
	}
	default:
		break;
	}
	if (!json_object_is_type(v, json_type_string))
		return json_object_get(v);
	s = json_object_get_string(v);
	if (!*s)
		return json_object_get(v);
	switch (sh->type) {
	case IRX_SHAPE_INTEGER:
	case IRX_SHAPE_LONG: {
		long long n = strtoll(s, &end, 10);

		return *end || errno == ERANGE ? json_object_get(v) : json_object_new_int64(n);
	}
	case IRX_SHAPE_FLOAT:
	case IRX_SHAPE_DOUBLE: {
		double d = strtod(s, &end);

		return *end ? json_object_get(v) : json_object_new_double(d);
	}
	case IRX_SHAPE_BOOLEAN:
		if (strcasecmp(s, "true") == 0)
			return json_object_new_boolean(1);
		if (strcasecmp(s, "false") == 0)
			return json_object_new_boolean(0);
		return json_object_get(v);
	default:
		return json_object_get(v);
	}
}

/* The params with text coerced to the input shape's scalars. New reference (NULL: none). */
static struct json_object *coerce_params(const struct irx_operation *op, struct json_object *p)
{
	const struct irx_model *m = &irx_models_builtin;

	if (!p || op->input == IRX_MODEL_NONE)
		return json_object_get(p);
	errno = 0;
	return coerce(m, irx_member_shape(m, irx_model_member(m, op->input)), p, 0);
}

/* Looks up, serializes and resolves the endpoint of a job. Returns 0 or -1 (j->err set). */
static int job_prepare(struct irx_aws_client *c, const struct irx_aws_context *ctx, struct job *j,
		       const char *region)
{
	const struct irx_model *m = &irx_models_builtin;
	struct irx_service_id sid = {0};
	struct json_object *params = NULL;
	int rc = 0;

	if (lookup(j->service, j->operation, &j->svc, &j->op, &j->err) < 0)
		return -1;
	snprintf(j->label, sizeof(j->label), "%s:%s", irx_model_str(m, j->svc->id),
		 irx_model_str(m, j->op->name));
	params = coerce_params(j->op, j->params);
	rc = irx_protocol_serialize(m, j->svc, j->op, params, &j->req, &j->err);
	json_object_put(params);
	if (rc < 0) {
		irx_error_prefix(&j->err, "%s", j->label);
		return -1;
	}
	sid.service_id = irx_model_str(m, j->svc->service_id);
	sid.endpoint_prefix = irx_model_str(m, j->svc->endpoint_prefix);
	sid.signing_name = irx_model_str(m, j->svc->signing_name);
	if (irx_endpoint_resolve(&sid, region, c->profile_endpoint_url, &j->ep, &j->err) < 0) {
		if ((!region || !*region) && c->region_error) {
			irx_error_clear(&j->err);
			irx_error_set(&j->err, IRX_ERR_INVALID, "%s: %s", j->label,
				      c->region_error);
		} else {
			irx_error_prefix(&j->err, "%s", j->label);
		}
		return -1;
	}
	if (!j->creds.access_key_id && call_credentials(c, ctx, region, &j->creds, &j->err) < 0) {
		irx_error_prefix(&j->err, "%s", j->label);
		return -1;
	}
	j->attempt = 1;
	return 0;
}

static int run_jobs(struct irx_aws_client *c, const struct irx_aws_context *ctx, struct job *jobs,
		    size_t n)
{
	const char *region = ctx && ctx->region && *ctx->region ? ctx->region : c->region;
	long long deadline = ctx ? ctx->deadline_ms : 0;
	struct irx_aws_transport_request *reqs = irx_xcalloc(n, sizeof(*reqs));
	struct irx_aws_transport_response *resps = irx_xcalloc(n, sizeof(*resps));
	size_t *idx = irx_xcalloc(n, sizeof(*idx));
	size_t failed = 0;

	for (size_t i = 0; i < n; i++)
		if (job_prepare(c, ctx, &jobs[i], region) < 0)
			jobs[i].done = true;
	for (;;) {
		size_t k = 0;
		long long wait = 0;
		long timeout = c->timeout_ms;
		time_t t = 0;

		if (deadline) {
			long long left = deadline - irx_now_ms();

			if (left <= 0) {
				for (size_t i = 0; i < n; i++) {
					struct irx_error last = {0};

					if (jobs[i].done)
						continue;
					irx_error_set(
					    &last, IRX_ERR_TIMEOUT,
					    "the step's deadline passed before an answer");
					job_fail(&jobs[i], &last);
				}
				break;
			}
			if (left < timeout)
				timeout = (long)left;
		}
		pthread_mutex_lock(&c->lock);
		t = now_s(c) + c->skew;
		pthread_mutex_unlock(&c->lock);
		for (size_t i = 0; i < n; i++) {
			struct job *j = &jobs[i];

			if (j->done)
				continue;
			job_round_release(j);
			if (job_build(c, j, t, &j->err) < 0) {
				irx_error_prefix(&j->err, "%s", j->label);
				j->done = true;
				continue;
			}
			reqs[k] = (struct irx_aws_transport_request){
			    j->req.method, j->url,	    (const char *const *)j->lines,
			    j->req.body,   j->req.body_len, c->connect_timeout_ms,
			    timeout};
			idx[k++] = i;
		}
		if (k == 0)
			break;
		memset(resps, 0, n * sizeof(*resps));
		if (c->transport(c->transport_ud, reqs, resps, k) < 0) {
			for (size_t r = 0; r < k; r++)
				if (!resps[r].failed && resps[r].status == 0) {
					resps[r].failed = true;
					snprintf(resps[r].error, sizeof(resps[r].error),
						 "the request could not be started");
				}
		}
		for (size_t r = 0; r < k; r++) {
			struct job *j = &jobs[idx[r]];

			if (job_judge(c, j, &resps[r], deadline, timeout) == 0 &&
			    j->backoff_ms > wait)
				wait = j->backoff_ms;
			if (j->sensitive)
				wipe_body(&resps[r]);
			irx_aws_transport_response_release(&resps[r]);
		}
		if (deadline && irx_now_ms() + wait > deadline)
			wait = deadline - irx_now_ms();
		sleep_ms(c, wait);
	}
	for (size_t i = 0; i < n; i++) {
		job_round_release(&jobs[i]);
		if (!jobs[i].response)
			failed++;
	}
	free(reqs);
	free(resps);
	free(idx);
	return failed ? -1 : 0;
}

int irx_aws_call(struct irx_aws_client *c, const struct irx_aws_context *ctx, const char *service,
		 const char *operation, struct json_object *params, struct json_object **response,
		 struct irx_error *err)
{
	struct job j = {0};
	int rc = -1;

	*response = NULL;
	j.service = service;
	j.operation = operation;
	j.params = params;
	if (run_jobs(c, ctx, &j, 1) == 0) {
		*response = j.response;
		j.response = NULL;
		rc = 0;
	} else if (err && err->code == IRX_OK) {
		*err = j.err;
	}
	job_release(&j);
	return rc;
}

size_t irx_aws_call_many(struct irx_aws_client *c, const struct irx_aws_context *ctx,
			 struct irx_aws_batch_call *calls, size_t n)
{
	struct job *jobs = irx_xcalloc(n ? n : 1, sizeof(*jobs));
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		jobs[i].service = calls[i].service;
		jobs[i].operation = calls[i].operation;
		jobs[i].params = calls[i].params;
	}
	run_jobs(c, ctx, jobs, n);
	for (size_t i = 0; i < n; i++) {
		calls[i].response = jobs[i].response;
		jobs[i].response = NULL;
		if (!calls[i].response) {
			calls[i].error = jobs[i].err;
			failed++;
		} else {
			irx_error_clear(&calls[i].error);
		}
		job_release(&jobs[i]);
	}
	free(jobs);
	return failed;
}
