/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The executor's AWS call (irx_exec_options.aws_call): every plugin's and built-in's
 * host->aws_call lands here with the step's call. Dry-run: a mutating operation (the models'
 * IRX_OP_F_MUTATING) is checked against its input shape, not sent, and recorded in
 * call->planned_calls as {service, operation, parameters}; a read-only one is sent, so a plan
 * sees the real state.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "aws/client.h"
#include "executor.h"
#include "host.h"
#include "util.h"

struct host_state {
	struct irx_aws_client *client;
	char region[64];
	char role_arn[2048];
	char external_id[1280];
	char session_name[128];
	long duration_seconds;
	/* the role chain and session tags: arrays and strings in store (one block with h) */
	const char **via_roles;
	size_t via_count;
	struct irx_aws_tag *tags;
	size_t tag_count;
	_Alignas(max_align_t) char store[];
};

/* The call context for the execution: region, role, and a session name carrying the id. */
static void make_context(const struct host_state *h, const struct irx_call *call,
			 struct irx_aws_context *ctx, char session[64])
{
	ctx->region = h->region[0] ? h->region : NULL;
	ctx->role_arn = h->role_arn[0] ? h->role_arn : NULL;
	ctx->external_id = h->external_id[0] ? h->external_id : NULL;
	/* the session name carries the execution id, so CloudTrail ties calls to it */
	if (!h->session_name[0] && call->execution_id && *call->execution_id)
		snprintf(session, 64, "irx-%s", call->execution_id);
	ctx->session_name = h->session_name[0] ? h->session_name : session[0] ? session : NULL;
	ctx->duration_seconds = h->duration_seconds;
	ctx->deadline_ms = call->deadline_ms;
	ctx->via_roles = h->via_count ? h->via_roles : NULL;
	ctx->via_count = h->via_count;
	ctx->tags = h->tag_count ? h->tags : NULL;
	ctx->tag_count = h->tag_count;
}

/* "eu-west-1", "us-gov-east-1", "cn-north-1": a region names a host, so nothing else passes. */
static bool region_ok(const char *r)
{
	size_t n = strlen(r), dashes = 0;

	if (n < 4 || n > 32 || !islower((unsigned char)r[0]) || !isdigit((unsigned char)r[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (r[i] == '-')
			dashes++;
		else if (!islower((unsigned char)r[i]) && !isdigit((unsigned char)r[i]))
			return false;
	}
	return dashes >= 2;
}

/* One call, in region (NULL: the execution's). */
static int call_in(void *ud, struct irx_call *call, const char *region, const char *service,
		   const char *operation, struct json_object *params,
		   struct json_object **response)
{
	const struct host_state *h = ud;
	struct irx_aws_context ctx = {0};
	const char *sid = NULL, *opname = NULL;
	char session[64] = "";
	bool mutating = false;

	*response = NULL;
	if (region && !region_ok(region)) {
		irx_error_set(&call->error, IRX_ERR_INVALID, "'%s' is not an AWS region", region);
		return -1;
	}
	if (irx_aws_lookup(service, operation, &sid, &opname, &mutating, &call->error) < 0)
		return -1;
	if (call->dry_run && mutating) {
		struct json_object *plan = json_object_new_object();
		struct json_object *sent = NULL, *copy = NULL;

		if (irx_aws_check_params(sid, opname, params, &sent, &call->error) < 0) {
			json_object_put(plan);
			return -1;
		}
		/* a copy: the caller may change its parameters after the call */
		if (json_object_deep_copy(sent, &copy, NULL) != 0)
			copy = json_object_new_object();
		json_object_put(sent);
		json_object_object_add(plan, "service", json_object_new_string(sid));
		json_object_object_add(plan, "operation", json_object_new_string(opname));
		json_object_object_add(plan, "parameters", copy);
		json_object_array_add(call->planned_calls, plan);
		*response = json_object_new_object();
		return 0;
	}
	make_context(h, call, &ctx, session);
	if (region)
		ctx.region = region;
	return irx_aws_call(h->client, &ctx, sid, opname, params, response, &call->error);
}

static int host_aws_call(void *ud, struct irx_call *call, const char *service,
			 const char *operation, struct json_object *params,
			 struct json_object **response)
{
	return call_in(ud, call, NULL, service, operation, params, response);
}

static int host_aws_call_in(void *ud, struct irx_call *call, const char *region,
			    const char *service, const char *operation, struct json_object *params,
			    struct json_object **response)
{
	return call_in(ud, call, region, service, operation, params, response);
}

/* An AWS error whose code the caller listed as an answer ("NoSuchEntity": no password). */
static bool is_expected(const char *const *expected, const struct irx_error *e)
{
	if (e->code != IRX_ERR_AWS || !e->aws_code[0])
		return false;
	for (size_t i = 0; expected && expected[i]; i++)
		if (strcmp(expected[i], e->aws_code) == 0)
			return true;
	return false;
}

/*
 * A batch: dry-run mutations are planned one by one as above; the calls that really go out
 * are sent together through irx_aws_call_many.
 */
static size_t host_aws_call_many(void *ud, struct irx_call *call, struct irx_aws_request *reqs,
				 size_t n)
{
	const struct host_state *h = ud;
	struct irx_aws_batch_call *batch = irx_xcalloc(n ? n : 1, sizeof(*batch));
	size_t *slot = irx_xcalloc(n ? n : 1, sizeof(*slot));
	struct irx_aws_context ctx = {0};
	char session[64] = "";
	size_t sent = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		const char *sid = NULL, *opname = NULL;
		bool mutating = false;
		struct irx_error e = {0};

		reqs[i].response = NULL;
		reqs[i].failed = 0;
		reqs[i].error[0] = '\0';
		reqs[i].expected_code[0] = '\0';
		if (irx_aws_lookup(reqs[i].service, reqs[i].operation, &sid, &opname, &mutating,
				   &e) == 0 &&
		    !(call->dry_run && mutating)) {
			batch[sent].service = sid;
			batch[sent].operation = opname;
			batch[sent].params = reqs[i].params;
			slot[sent++] = i;
			continue;
		}
		if (e.code == IRX_OK &&
		    host_aws_call(ud, call, reqs[i].service, reqs[i].operation, reqs[i].params,
				  &reqs[i].response) == 0)
			continue;
		if (e.code != IRX_OK)
			irx_error_set(&call->error, e.code, "%s", e.message);
		reqs[i].failed = 1;
		snprintf(reqs[i].error, sizeof(reqs[i].error), "%s",
			 e.code != IRX_OK ? e.message : call->error.message);
		failed++;
	}
	make_context(h, call, &ctx, session);
	if (sent)
		irx_aws_call_many(h->client, &ctx, batch, sent);
	for (size_t k = 0; k < sent; k++) {
		struct irx_aws_request *r = &reqs[slot[k]];

		r->response = batch[k].response;
		if (batch[k].error.code == IRX_OK)
			continue;
		if (is_expected(r->expected, &batch[k].error)) {
			snprintf(r->expected_code, sizeof(r->expected_code), "%s",
				 batch[k].error.aws_code);
			continue;
		}
		r->failed = 1;
		snprintf(r->error, sizeof(r->error), "%s", batch[k].error.message);
		/* first failure wins: the step's error is the first request's that failed */
		if (call->error.code == IRX_OK)
			call->error = batch[k].error;
		failed++;
	}
	free(batch);
	free(slot);
	return failed;
}

/* Copies s into the block at *p (advanced); returns the copy. */
static const char *pack(char **p, const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *d = *p;

	memcpy(d, s ? s : "", n);
	*p += n;
	return d;
}

void irx_aws_attach_exec(struct irx_exec_options *eo, struct irx_aws_client *c,
			 const struct irx_aws_context *ctx)
{
	size_t vias = ctx && ctx->role_arn ? ctx->via_count : 0;
	size_t tags = ctx && ctx->role_arn ? ctx->tag_count : 0;
	size_t size = sizeof(struct host_state) + vias * sizeof(char *) +
		      tags * sizeof(struct irx_aws_tag);
	struct host_state *h = NULL;
	char *p = NULL;

	/* one block: the client frees attachments with free() */
	for (size_t i = 0; i < vias; i++)
		size += strlen(ctx->via_roles[i] ? ctx->via_roles[i] : "") + 1;
	for (size_t i = 0; i < tags; i++)
		size += strlen(ctx->tags[i].key ? ctx->tags[i].key : "") + 1 +
			strlen(ctx->tags[i].value ? ctx->tags[i].value : "") + 1;
	h = irx_xcalloc(1, size);
	h->client = c;
	if (ctx) {
		snprintf(h->region, sizeof(h->region), "%s", ctx->region ? ctx->region : "");
		snprintf(h->role_arn, sizeof(h->role_arn), "%s",
			 ctx->role_arn ? ctx->role_arn : "");
		snprintf(h->external_id, sizeof(h->external_id), "%s",
			 ctx->external_id ? ctx->external_id : "");
		snprintf(h->session_name, sizeof(h->session_name), "%s",
			 ctx->session_name ? ctx->session_name : "");
		h->duration_seconds = ctx->duration_seconds;
	}
	h->via_roles = (const char **)(void *)h->store;
	h->tags = (struct irx_aws_tag *)(void *)(h->store + vias * sizeof(char *));
	p = h->store + vias * sizeof(char *) + tags * sizeof(struct irx_aws_tag);
	for (size_t i = 0; i < vias; i++)
		h->via_roles[i] = pack(&p, ctx->via_roles[i]);
	for (size_t i = 0; i < tags; i++) {
		h->tags[i].key = pack(&p, ctx->tags[i].key);
		h->tags[i].value = pack(&p, ctx->tags[i].value);
	}
	h->via_count = vias;
	h->tag_count = tags;
	irx_aws_client_attach(c, h);
	eo->aws_call = host_aws_call;
	eo->aws_call_many = host_aws_call_many;
	eo->aws_call_in = host_aws_call_in;
	eo->aws_ud = h;
}

int irx_aws_setup_exec(struct irx_exec_options *eo, const struct irx_aws_cli_options *o,
		       struct irx_aws_client **out, struct irx_error *err)
{
	struct irx_aws_client_options co = {0};
	struct irx_aws_context ctx = {0};
	struct irx_aws_client *c = NULL;

	*out = NULL;
	co.region = o && o->region && *o->region ? o->region : NULL;
	co.profile = o ? o->profile : NULL;
	c = irx_aws_client_new(&co, err);
	if (!c)
		return -1;
	ctx.region = eo->region && *eo->region ? eo->region : NULL;
	if (o) {
		ctx.role_arn = o->role_arn;
		ctx.external_id = o->external_id;
		ctx.session_name = o->session_name;
		ctx.duration_seconds = o->duration_seconds;
		ctx.via_roles = o->via_roles;
		ctx.via_count = o->via_count;
		ctx.tags = o->tags;
		ctx.tag_count = o->tag_count;
	}
	irx_aws_attach_exec(eo, c, &ctx);
	*out = c;
	return 0;
}
