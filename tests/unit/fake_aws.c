/* SPDX-License-Identifier: Apache-2.0 */
#include "fake_aws.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES 128
#define MAX_REPLIES 16

struct rule {
	char op[128];
	char *replies[MAX_REPLIES];
	int reply_count, next;
	int http_status;
	char code[128], message[512];
	fake_aws_handler_fn *fn;
	void *ud;
};

struct fake_aws {
	struct rule rules[MAX_RULES];
	int rule_count;
	struct json_object *calls;
	char *names;
	char failure[1024];
	char last_code[128]; /* the AWS code of the last failed call */
	int checkpoints;
	int batches;
	long long slept;
	bool dry_run;
	const char *const *declared; /* NULL: no check */
	struct irx_context ctx;
	struct irx_host host;
	char step[128];
};

/* The plugin sees struct irx_call as opaque: here it is the fake itself. */
#define FAKE(call) ((struct fake_aws *)(void *)(call))

static struct rule *rule_for(struct fake_aws *f, const char *op, bool create)
{
	for (int i = 0; i < f->rule_count; i++)
		if (strcmp(f->rules[i].op, op) == 0)
			return &f->rules[i];
	if (!create || f->rule_count == MAX_RULES)
		return NULL;
	snprintf(f->rules[f->rule_count].op, sizeof(f->rules[0].op), "%s", op);
	return &f->rules[f->rule_count++];
}

static void fake_log(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
{
	(void)call;
	(void)level;
	(void)fmt;
}

static int fake_fail(struct irx_call *call, const char *fmt, ...)
{
	struct fake_aws *f = FAKE(call);
	va_list ap;

	if (!f->failure[0]) {
		va_start(ap, fmt);
		vsnprintf(f->failure, sizeof(f->failure), fmt, ap);
		va_end(ap);
	}
	return -1;
}

void fake_aws_set_error(struct fake_aws *f, int http_status, const char *code,
			const char *message)
{
	snprintf(f->last_code, sizeof(f->last_code), "%s", code);
	if (!f->failure[0])
		snprintf(f->failure, sizeof(f->failure), "%s: %s (HTTP %d, request id fake-0001)",
			 code, message, http_status);
}

static int fake_call(struct irx_call *call, const char *service, const char *operation,
		     struct json_object *params, struct json_object **response)
{
	struct fake_aws *f = FAKE(call);
	char op[128];
	struct rule *r = NULL;
	struct json_object *rec = json_object_new_object();

	snprintf(op, sizeof(op), "%s:%s", service, operation);
	json_object_object_add(rec, "service", json_object_new_string(service));
	json_object_object_add(rec, "operation", json_object_new_string(operation));
	json_object_object_add(rec, "params", params ? json_object_get(params) : NULL);
	*response = NULL;
	if (f->declared) {
		bool found = false;

		for (size_t i = 0; f->declared[i] && !found; i++)
			found = strcmp(f->declared[i], op) == 0;
		if (!found) {
			/* refused before it is sent, as the host does: not in fake_aws_calls */
			json_object_put(rec);
			f->last_code[0] = '\0';
			if (!f->failure[0])
				snprintf(f->failure, sizeof(f->failure),
					 "action called %s, which it does not declare in aws_calls",
					 op);
			return -1;
		}
	}
	json_object_array_add(f->calls, rec);
	r = rule_for(f, op, false);
	if (!r) {
		fake_aws_set_error(f, 400, "NotScripted", op);
		return -1;
	}
	if (r->fn)
		return r->fn(r->ud, f, params, response);
	if (r->code[0]) {
		fake_aws_set_error(f, r->http_status, r->code, r->message);
		return -1;
	}
	*response = json_tokener_parse(r->replies[r->next]);
	if (r->next + 1 < r->reply_count)
		r->next++;
	if (!*response) {
		fake_aws_set_error(f, 500, "BadScript", op);
		return -1;
	}
	return 0;
}

/* As the host: an expected AWS code is an answer (1), and only this call's failure is undone. */
static int fake_call_expect(struct irx_call *call, const char *service, const char *operation,
			    struct json_object *params, const char *const *expected,
			    struct json_object **response)
{
	struct fake_aws *f = FAKE(call);
	bool clean = !f->failure[0];

	f->last_code[0] = '\0';
	if (fake_call(call, service, operation, params, response) == 0)
		return 0;
	if (!clean)
		return -1;
	for (size_t i = 0; expected && expected[i]; i++) {
		if (strcmp(expected[i], f->last_code) == 0) {
			f->failure[0] = '\0';
			*response = NULL;
			return 1;
		}
	}
	return -1;
}

static size_t fake_call_many(struct irx_call *call, struct irx_aws_request *reqs, size_t n)
{
	struct fake_aws *f = FAKE(call);
	size_t failed = 0;

	f->batches++;
	for (size_t i = 0; i < n; i++) {
		char before[sizeof(f->failure)];

		int rc = 0;

		memcpy(before, f->failure, sizeof(before));
		f->failure[0] = '\0';
		reqs[i].expected_code[0] = '\0';
		rc = fake_call_expect(call, reqs[i].service, reqs[i].operation, reqs[i].params,
				      reqs[i].expected, &reqs[i].response);
		if (rc == 1)
			snprintf(reqs[i].expected_code, sizeof(reqs[i].expected_code), "%s",
				 f->last_code);
		reqs[i].failed = rc < 0;
		snprintf(reqs[i].error, sizeof(reqs[i].error), "%s",
			 reqs[i].failed ? f->failure : "");
		/* the first failure stays the step's */
		if (before[0])
			memcpy(f->failure, before, sizeof(before));
		failed += (size_t)reqs[i].failed;
	}
	return failed;
}

/* A call in another region: recorded with "region", answered like any other. */
static int fake_call_in(struct irx_call *call, const char *region, const char *service,
			const char *operation, struct json_object *params,
			struct json_object **response)
{
	struct fake_aws *f = FAKE(call);
	int rc = fake_call(call, service, operation, params, response);
	struct json_object *rec = json_object_array_get_idx(
	    f->calls, json_object_array_length(f->calls) - 1);

	json_object_object_add(rec, "region", json_object_new_string(region));
	return rc;
}

static int fake_checkpoint(struct irx_call *call, struct json_object *undo)
{
	(void)undo;
	FAKE(call)->checkpoints++;
	return 0;
}

static int fake_sleep(struct irx_call *call, long long ms)
{
	FAKE(call)->slept += ms;
	return 0;
}

struct fake_aws *fake_aws_new(void)
{
	struct fake_aws *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->calls = json_object_new_array();
	f->host.abi_major = IRX_PLUGIN_ABI_MAJOR;
	f->host.abi_minor = IRX_PLUGIN_ABI_MINOR;
	f->host.size = sizeof(f->host);
	f->host.log = fake_log;
	f->host.fail = fake_fail;
	f->host.aws_call = fake_call;
	f->host.checkpoint = fake_checkpoint;
	f->host.sleep = fake_sleep;
	f->host.aws_call_many = fake_call_many;
	f->host.aws_call_in = fake_call_in;
	f->host.aws_call_expect = fake_call_expect;
	return f;
}

void fake_aws_declare(struct fake_aws *f, const char *const *aws_calls)
{
	f->declared = aws_calls;
}

void fake_aws_free(struct fake_aws *f)
{
	for (int i = 0; i < f->rule_count; i++)
		for (int k = 0; k < f->rules[i].reply_count; k++)
			free(f->rules[i].replies[k]);
	json_object_put(f->calls);
	free(f->names);
	free(f);
}

void fake_aws_reply(struct fake_aws *f, const char *op, const char *json)
{
	struct rule *r = rule_for(f, op, true);

	if (r && r->reply_count < MAX_REPLIES)
		r->replies[r->reply_count++] = strdup(json);
}

void fake_aws_error(struct fake_aws *f, const char *op, int http_status, const char *code,
		    const char *message)
{
	struct rule *r = rule_for(f, op, true);

	if (!r)
		return;
	r->http_status = http_status;
	snprintf(r->code, sizeof(r->code), "%s", code);
	snprintf(r->message, sizeof(r->message), "%s", message);
}

void fake_aws_handle(struct fake_aws *f, const char *op, fake_aws_handler_fn *fn, void *ud)
{
	struct rule *r = rule_for(f, op, true);

	if (r) {
		r->fn = fn;
		r->ud = ud;
	}
}

const struct irx_context *fake_aws_context(struct fake_aws *f, const char *step, bool dry_run)
{
	snprintf(f->step, sizeof(f->step), "%s", step);
	memset(&f->ctx, 0, sizeof(f->ctx));
	f->ctx.size = sizeof(f->ctx);
	f->ctx.host = &f->host;
	f->ctx.call = (struct irx_call *)(void *)f;
	f->ctx.execution_id = "00000000-0000-4000-8000-000000000001";
	f->ctx.step_name = f->step;
	f->ctx.account_id = "111111111111";
	f->ctx.region = "us-east-1";
	f->ctx.case_id = "";
	f->ctx.dry_run = dry_run;
	return &f->ctx;
}

struct json_object *fake_aws_calls(struct fake_aws *f)
{
	return f->calls;
}

const char *fake_aws_call_names(struct fake_aws *f)
{
	size_t n = json_object_array_length(f->calls);

	free(f->names);
	f->names = calloc(1, n * 160 + 1);
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(f->calls, i);

		snprintf(f->names + strlen(f->names), 160, "%s%s:%s", i ? "," : "",
			 json_object_get_string(json_object_object_get(c, "service")),
			 json_object_get_string(json_object_object_get(c, "operation")));
	}
	return f->names;
}

const char *fake_aws_failure(struct fake_aws *f)
{
	return f->failure;
}

int fake_aws_checkpoints(struct fake_aws *f)
{
	return f->checkpoints;
}

int fake_aws_batches(struct fake_aws *f)
{
	return f->batches;
}

long long fake_aws_slept_ms(struct fake_aws *f)
{
	return f->slept;
}
