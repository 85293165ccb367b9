/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The concurrency-zero plugin: stop a Lambda function from running.
 *
 *   concurrency-zero:lambda  reserved concurrency 0 (PutFunctionConcurrency: no new
 *                            invocation starts; running ones finish; asynchronous events retry
 *                            and then go to the dead-letter queue or destination), the
 *                            execution role's sessions issued before now revoked (its
 *                            credentials sit in the function's environment, wherever they were
 *                            copied to), event source mappings disabled by parameter.
 *
 * Reserved concurrency belongs to the function, not to a version or alias: a qualified ARN
 * (…:function:name:alias) stops the whole function, and the message says so.
 *
 * Every change is entered in the undo record and checkpointed before it is made; an entry whose
 * call AWS rejected is taken out again. Rollback reads live state and only reverts what is still
 * as this execution left it.
 *
 * Undo record:
 *   {"Action", "FunctionName", "FunctionArn",
 *    "PreviousConcurrency": n | null (none reserved: rollback deletes the setting),
 *    "RoleName", "InlinePolicy", "RevokedBefore",
 *    "DisabledEventSourceMappings": [uuid], "Tags": {key: previous value or null}}
 */

/*
 * The Makefile links plugins into the unit tests with -DIRX_PLUGIN_STATIC=<folder name>, and
 * "concurrency-zero" is not a C identifier: the static entry is irx_plugin_entry_concurrency_zero.
 */
#ifdef IRX_PLUGIN_STATIC
#undef IRX_PLUGIN_STATIC
#define IRX_PLUGIN_STATIC concurrency_zero
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "irx/plugin.h"
#include "irx/plugin_util.h"

#define REVOKE_POLICY "irx-revoke-older-sessions"
#define ACTION_NAME "concurrency-zero:lambda"
#define MSG_MAX 2048

/* --- small helpers --------------------------------------------------------------------- */

/* Deny * * to every session whose token was issued before `before`. Transferred string. */
static struct json_object *revoke_document(const char *before)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"IrxRevokeOlderSessions\","
		 "\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
		 "{\"DateLessThan\":{\"aws:TokenIssueTime\":\"%s\"}}}]}",
		 before);
	return json_object_new_string(text);
}

/* Appends text to a message buffer, after sep when the buffer is not empty. */
/* A change in a list of changes: ", " between them. */
/* A remark on the changes: "; " between them. */
static void summarise(struct irx_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void summarise(struct irx_result *res, const char *fmt, ...)
{
	char text[MSG_MAX * 2] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	irx_result_summary(res, "Summary", text);
}

/* --- ARNs ------------------------------------------------------------------------------------ */

struct fn_ref {
	char region[32];
	char name[160];	     /* unqualified */
	char qualifier[160]; /* "" | alias | version | "$LATEST" */
};

static bool name_ok(const char *s, bool qualifier)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || (qualifier && c == '$')))
			return false;
	}
	return true;
}

/*
 * arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], or a bare function name
 * (NAME[:QUALIFIER]). The seeds never sent these ARNs to their Lambda branch; this is it.
 */
static int fn_parse(const struct irx_context *ctx, const char *s, struct fn_ref *out)
{
	const char *p = s, *f[6] = {0}, *rest = NULL, *colon = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return ctx->host->fail(ctx->call, "no function ARN given");
	if (strncmp(s, "arn:", 4) == 0) {
		for (int i = 0; i < 6; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (!p)
				return ctx->host->fail(ctx->call,
						       "'%s' is not a Lambda function ARN", s);
			p++;
		}
		if (strncmp(f[2], "lambda:", 7) != 0 || strncmp(f[5], "function:", 9) != 0)
			return ctx->host->fail(ctx->call, "'%s' is not a Lambda function ARN", s);
		n = (size_t)(strchr(f[3], ':') - f[3]);
		if (n >= sizeof(out->region))
			return ctx->host->fail(ctx->call, "'%s' is not a Lambda function ARN", s);
		memcpy(out->region, f[3], n);
		rest = p;
	} else {
		rest = s;
	}
	colon = strchr(rest, ':');
	n = colon ? (size_t)(colon - rest) : strlen(rest);
	if (n == 0 || n >= sizeof(out->name))
		return ctx->host->fail(ctx->call, "'%s' names no Lambda function", s);
	memcpy(out->name, rest, n);
	if (colon && (strlen(colon + 1) >= sizeof(out->qualifier) || strchr(colon + 1, ':')))
		return ctx->host->fail(ctx->call, "'%s' has a malformed qualifier", s);
	if (colon)
		snprintf(out->qualifier, sizeof(out->qualifier), "%s", colon + 1);
	if (!name_ok(out->name, false) || (colon && !name_ok(out->qualifier, true)))
		return ctx->host->fail(ctx->call, "'%s' names no Lambda function", s);
	return 0;
}

/* The role name of a role ARN: the last segment (role/service-role/x -> x). */
static const char *role_name_of(const char *role_arn)
{
	const char *r = role_arn ? strstr(role_arn, ":role/") : NULL;
	const char *slash = r ? strrchr(r, '/') : NULL;

	return slash && slash[1] ? slash + 1 : NULL;
}

/* --- concurrency-zero:lambda ----------------------------------------------------------- */

/* Other functions (of fns, every function) whose execution role is role_arn: "'a', 'b'" in
 * buf; returns how many. */
static int shared_role(struct json_object *fns, const char *self, const char *role_arn, char *buf,
		       size_t len)
{
	int count = 0;

	for (size_t i = 0; i < json_object_array_length(fns); i++) {
		struct json_object *fn = json_object_array_get_idx(fns, i);
		const char *name = irx_json_str(fn, "FunctionName"),
			   *role = irx_json_str(fn, "Role");

		if (!name || !role || strcmp(name, self) == 0 || strcmp(role, role_arn) != 0)
			continue;
		irx_text_add(buf, len, ", ", "'%s'", name);
		count++;
	}
	return count;
}

/* Mapping states that may deliver events. */
static bool esm_enabled(const char *state)
{
	return state && (strcmp(state, "Enabled") == 0 || strcmp(state, "Enabling") == 0 ||
			 strcmp(state, "Updating") == 0 || strcmp(state, "Creating") == 0);
}

/* Plans tagging the function; each key's previous value (or null) goes into undo.Tags. */
static void plan_tags(struct irx_batch *b, const struct irx_context *ctx, struct irx_result *res,
		      const char *fn_arn, struct json_object *current)
{
	const char *keys[3] = {"irx:execution-id", "irx:action", "irx:case-id"};
	const char *values[3] = {ctx->execution_id, ACTION_NAME, ctx->case_id};
	struct json_object *prev = json_object_new_object();
	struct json_object *tags = json_object_new_object();
	struct json_object *params = irx_json_strings("Resource", fn_arn, NULL);

	for (int i = 0; i < 3; i++) {
		const char *was = NULL;

		if (!values[i] || !*values[i])
			continue;
		was = irx_json_str(current, keys[i]);
		json_object_object_add(prev, keys[i], was ? json_object_new_string(was) : NULL);
		json_object_object_add(tags, keys[i], json_object_new_string(values[i]));
	}
	json_object_object_add(res->undo, "Tags", prev);
	json_object_object_add(params, "Tags", tags);
	irx_batch_change(b, "lambda", "TagResource", params, "Tags", NULL);
}

/*
 * Three round trips: the function, its concurrency, every function (for the shared-role
 * check) and its event source mappings at once; the role's inline policies; then every change
 * at once.
 */
static int lockdown(const struct irx_context *ctx, struct json_object *inputs,
		    struct irx_result *res)
{
	const char *target = irx_json_str(inputs, "TargetArn");
	bool disable_esm = irx_json_bool(inputs, "DisableEventSources");
	bool revoke = irx_json_bool(inputs, "RevokeRoleSessions");
	struct fn_ref fn = {0};
	struct irx_batch rd = {0}, wr = {0};
	struct json_object *func = NULL, *qfunc = NULL, *conc = NULL, *esms = NULL, *fns = NULL;
	struct json_object *to_disable = NULL, *policies = NULL, *cfg = NULL, *v = NULL;
	struct json_object *params = NULL;
	const char *role_arn = NULL, *role = NULL, *fn_arn = NULL;
	char before[32] = "", done[MSG_MAX] = "", notes[MSG_MAX] = "", others[MSG_MAX] = "";
	bool has_prev = false, revoked = false;
	size_t i_q = 0, i_fns = 0, i_esm = 0, i_put = 0;
	int64_t prev = 0;
	int nothers = 0, rc = -1;

	if (fn_parse(ctx, target, &fn) < 0)
		return -1;
	if (fn.region[0] && ctx->region && ctx->region[0] && strcmp(fn.region, ctx->region) != 0)
		return ctx->host->fail(
		    ctx->call,
		    "cannot stop function '%s': it is in region '%s' but the step "
		    "runs in '%s'",
		    fn.name, fn.region, ctx->region);
	json_object_object_add(res->outputs, "FunctionName", json_object_new_string(fn.name));
	if (fn.qualifier[0]) {
		json_object_object_add(res->outputs, "Qualifier",
				       json_object_new_string(fn.qualifier));
		irx_text_add(notes, sizeof(notes), "; ",
			     "reserved concurrency applies to the whole function '%s', not to '%s' "
			     "alone: every version and alias stops",
			     fn.name, fn.qualifier);
	}

	/* Read everything first: the plan (and a dry run) rests on live state. */
	irx_batch_add(&rd, "lambda", "GetFunction",
		      irx_json_strings("FunctionName", fn.name, NULL));
	irx_batch_add(&rd, "lambda", "GetFunctionConcurrency",
		      irx_json_strings("FunctionName", fn.name, NULL));
	/* A version keeps the role it was published with: a qualified ARN runs as its
	 * version's role, which is the one to revoke. */
	if (revoke && fn.qualifier[0])
		i_q = irx_batch_add(
		    &rd, "lambda", "GetFunction",
		    irx_json_strings("FunctionName", fn.name, "Qualifier", fn.qualifier, NULL));
	if (revoke)
		i_fns = irx_batch_add(&rd, "lambda", "ListFunctions", json_object_new_object());
	if (disable_esm)
		i_esm = irx_batch_add(&rd, "lambda", "ListEventSourceMappings",
				      irx_json_strings("FunctionName", fn.name, NULL));
	if (irx_batch_send(ctx, &rd) > 0)
		goto out;
	func = json_object_get(rd.reqs[0].response);
	conc = json_object_get(rd.reqs[1].response);
	cfg = irx_json_object(func, "Configuration");
	role_arn = irx_json_str(cfg, "Role");
	fn_arn = irx_json_str(cfg, "FunctionArn");
	if (!fn_arn) {
		ctx->host->fail(ctx->call,
				"cannot stop function '%s': GetFunction returned no FunctionArn",
				fn.name);
		goto out;
	}
	if (json_object_object_get_ex(conc, "ReservedConcurrentExecutions", &v) && v) {
		has_prev = true;
		prev = json_object_get_int64(v);
	}
	if (revoke && fn.qualifier[0]) {
		const char *qrole = NULL;

		qfunc = json_object_get(rd.reqs[i_q].response);
		qrole = irx_json_str(irx_json_object(qfunc, "Configuration"), "Role");
		if (qrole && role_arn && strcmp(qrole, role_arn) != 0)
			irx_text_add(
			    notes, sizeof(notes), "; ",
			    "warning: '%s' runs as role '%s' but the unqualified function as "
			    "'%s', which this action does not revoke",
			    fn.qualifier, qrole, role_arn);
		if (qrole)
			role_arn = qrole;
	}
	if (revoke) {
		role = role_name_of(role_arn);
		if (!role) {
			ctx->host->fail(
			    ctx->call,
			    "cannot revoke the sessions of function '%s': its execution "
			    "role '%s' is not a role ARN",
			    fn.name, role_arn ? role_arn : "");
			goto out;
		}
		json_object_object_add(res->outputs, "RoleName", json_object_new_string(role));
		if (irx_call_aws_list(ctx, "lambda", "ListFunctions", json_object_new_object(),
				      "Functions", IRX_PAGING_NEXT_MARKER, rd.reqs[i_fns].response,
				      &fns) < 0 ||
		    irx_call_aws_list(ctx, "iam", "ListRolePolicies",
				      irx_json_strings("RoleName", role, NULL), "PolicyNames",
				      IRX_PAGING_IAM, NULL, &policies) < 0)
			goto out;
		revoked = irx_json_array_has(policies, REVOKE_POLICY);
		nothers = shared_role(fns, fn.name, role_arn, others, sizeof(others));
	}
	to_disable = json_object_new_array();
	if (disable_esm) {
		if (irx_call_aws_list(ctx, "lambda", "ListEventSourceMappings",
				      irx_json_strings("FunctionName", fn.name, NULL),
				      "EventSourceMappings", IRX_PAGING_NEXT_MARKER,
				      rd.reqs[i_esm].response, &esms) < 0)
			goto out;
		for (size_t i = 0; i < json_object_array_length(esms); i++) {
			struct json_object *m = json_object_array_get_idx(esms, i);

			if (irx_json_str(m, "UUID") && esm_enabled(irx_json_str(m, "State")))
				json_object_array_add(
				    to_disable, json_object_new_string(irx_json_str(m, "UUID")));
		}
	}
	json_object_object_add(res->outputs, "PreviousConcurrency",
			       has_prev ? json_object_new_int64(prev) : NULL);

	if (has_prev && prev == 0 && (!revoke || revoked) &&
	    json_object_array_length(to_disable) == 0) {
		json_object_object_add(res->outputs, "Changed", json_object_new_boolean(0));
		summarise(res, "function '%s' already contained: reserved concurrency 0%s%s%s%s",
			  fn.name, revoke ? ", older sessions of role '" : "", revoke ? role : "",
			  revoke ? "' revoked" : "",
			  disable_esm ? ", no enabled event source" : "");
		rc = 0;
		goto out;
	}

	/* Every change at once; the undo record holds them all before any is sent. */
	json_object_object_add(res->undo, "Action", json_object_new_string(ACTION_NAME));
	json_object_object_add(res->undo, "FunctionName", json_object_new_string(fn.name));
	json_object_object_add(res->undo, "FunctionArn", json_object_new_string(fn_arn));
	if (!has_prev || prev != 0) {
		json_object_object_add(res->undo, "PreviousConcurrency",
				       has_prev ? json_object_new_int64(prev) : NULL);
		params = irx_json_strings("FunctionName", fn.name, NULL);
		json_object_object_add(params, "ReservedConcurrentExecutions",
				       json_object_new_int(0));
		irx_batch_change(&wr, "lambda", "PutFunctionConcurrency", params,
				 "PreviousConcurrency", NULL);
		if (has_prev)
			irx_text_add(done, sizeof(done), ", ",
				     "set reserved concurrency to 0 (was %lld)", (long long)prev);
		else
			irx_text_add(done, sizeof(done), ", ",
				     "set reserved concurrency to 0 (none was reserved)");
	}
	if (revoke && !revoked) {
		irx_iso8601_now(before, sizeof(before));
		json_object_object_add(res->undo, "RoleName", json_object_new_string(role));
		json_object_object_add(res->undo, "InlinePolicy",
				       json_object_new_string(REVOKE_POLICY));
		json_object_object_add(res->undo, "RevokedBefore", json_object_new_string(before));
		params = irx_json_strings("RoleName", role, "PolicyName", REVOKE_POLICY, NULL);
		json_object_object_add(params, "PolicyDocument", revoke_document(before));
		i_put = irx_batch_change(&wr, "iam", "PutRolePolicy", params, "InlinePolicy", NULL);
		irx_batch_undo(&wr, i_put, "RevokedBefore", NULL);
		irx_batch_undo(&wr, i_put, "RoleName", NULL);
		irx_text_add(done, sizeof(done), ", ", "%s sessions of role '%s' issued before %s",
			     ctx->dry_run ? "revoke" : "revoked", role, before);
		json_object_object_add(res->outputs, "RevokedBefore",
				       json_object_new_string(before));
		if (nothers) {
			ctx->host->log(ctx->call, IRX_LOG_WARN,
				       "role '%s' is shared with %d other function%s (%s): their "
				       "older sessions are revoked too",
				       role, nothers, nothers == 1 ? "" : "s", others);
			irx_text_add(notes, sizeof(notes), "; ",
				     "warning: role '%s' is shared with %d other function%s (%s): "
				     "their sessions issued before then are revoked too",
				     role, nothers, nothers == 1 ? "" : "s", others);
		}
	}
	json_object_object_add(res->outputs, "RoleSharedWith", json_object_new_int(nothers));
	for (size_t i = 0; i < json_object_array_length(to_disable); i++) {
		const char *uuid = json_object_get_string(json_object_array_get_idx(to_disable, i));

		json_object_array_add(irx_undo_list(res->undo, "DisabledEventSourceMappings"),
				      json_object_new_string(uuid));
		params = irx_json_strings("UUID", uuid, NULL);
		json_object_object_add(params, "Enabled", json_object_new_boolean(0));
		irx_batch_change(&wr, "lambda", "UpdateEventSourceMapping", params,
				 "DisabledEventSourceMappings", uuid);
	}
	if (json_object_array_length(to_disable)) {
		size_t n = json_object_array_length(to_disable);

		irx_text_add(done, sizeof(done), ", ", "%s %zu event source mapping%s",
			     ctx->dry_run ? "disable" : "disabled", n, n == 1 ? "" : "s");
	}
	json_object_object_add(res->outputs, "DisabledEventSourceMappings",
			       json_object_get(to_disable));
	plan_tags(&wr, ctx, res, fn_arn, irx_json_object(func, "Tags"));
	if (irx_batch_commit(ctx, res->undo, &wr) < 0)
		goto out;
	json_object_object_add(res->outputs, "Changed", json_object_new_boolean(!ctx->dry_run));
	summarise(res, "%s function '%s': %s%s%s", ctx->dry_run ? "would stop" : "stopped", fn.name,
		  done[0] ? done : "tagged", notes[0] ? "; " : "", notes);
	rc = 0;
out:
	json_object_put(func);
	json_object_put(qfunc);
	json_object_put(conc);
	json_object_put(esms);
	json_object_put(fns);
	json_object_put(to_disable);
	json_object_put(policies);
	irx_batch_release(&rd);
	irx_batch_release(&wr);
	return rc;
}

/* --- rollback ------------------------------------------------------------------------------ */

static int undo_tags(const struct irx_context *ctx, const char *fn_arn, struct json_object *tags,
		     char *done, size_t len)
{
	struct json_object *untag = json_object_new_array();
	struct json_object *retag = json_object_new_object();
	struct json_object *params = NULL;
	int rc = -1;

	json_object_object_foreach(tags, k, v)
	{
		if (v && json_object_is_type(v, json_type_string))
			json_object_object_add(retag, k,
					       json_object_new_string(json_object_get_string(v)));
		else
			json_object_array_add(untag, json_object_new_string(k));
	}
	if (json_object_array_length(untag)) {
		params = irx_json_strings("Resource", fn_arn, NULL);
		json_object_object_add(params, "TagKeys", json_object_get(untag));
		if (irx_call_aws(ctx, "lambda", "UntagResource", params, NULL) < 0)
			goto out;
	}
	if (json_object_object_length(retag)) {
		params = irx_json_strings("Resource", fn_arn, NULL);
		json_object_object_add(params, "Tags", json_object_get(retag));
		if (irx_call_aws(ctx, "lambda", "TagResource", params, NULL) < 0)
			goto out;
	}
	irx_text_add(done, len, ", ", "%s the irx tags", ctx->dry_run ? "restore" : "restored");
	rc = 0;
out:
	json_object_put(untag);
	json_object_put(retag);
	return rc;
}

static int undo_esms(const struct irx_context *ctx, struct json_object *uuids, char *done,
		     size_t len, char *skipped, size_t slen)
{
	static const char *const not_found[] = {"ResourceNotFoundException", NULL};
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(uuids); i++) {
		const char *uuid = json_object_get_string(json_object_array_get_idx(uuids, i));
		struct json_object *m = NULL, *params = NULL;
		const char *state = NULL;
		int rc = irx_call_aws_expect(ctx, "lambda", "GetEventSourceMapping",
					     irx_json_strings("UUID", uuid, NULL), not_found, &m);

		if (rc < 0)
			return -1;
		if (rc == 1) {
			irx_text_add(skipped, slen, ", ",
				     "event source mapping '%s' no longer exists", uuid);
			continue;
		}
		state = irx_json_str(m, "State");
		if (esm_enabled(state)) {
			json_object_put(m);
			continue; /* someone already re-enabled it */
		}
		json_object_put(m);
		params = irx_json_strings("UUID", uuid, NULL);
		json_object_object_add(params, "Enabled", json_object_new_boolean(1));
		if (irx_call_aws(ctx, "lambda", "UpdateEventSourceMapping", params, NULL) < 0)
			return -1;
		n++;
	}
	if (n)
		irx_text_add(done, len, ", ", "%s %d event source mapping%s",
			     ctx->dry_run ? "re-enable" : "re-enabled", n, n == 1 ? "" : "s");
	return 0;
}

static int release(const struct irx_context *ctx, struct json_object *undo, struct irx_result *res)
{
	const char *name = irx_json_str(undo, "FunctionName");
	const char *fn_arn = irx_json_str(undo, "FunctionArn");
	const char *role = irx_json_str(undo, "RoleName");
	const char *policy = irx_json_str(undo, "InlinePolicy");
	struct json_object *v = NULL, *policies = NULL, *conc = NULL, *params = NULL;
	char done[MSG_MAX] = "", skipped[MSG_MAX] = "";
	int rc = -1;

	if (!name || !fn_arn)
		return ctx->host->fail(ctx->call, "undo record lacks FunctionName or FunctionArn");
	json_object_object_add(res->outputs, "FunctionName", json_object_new_string(name));
	/* Reverse order of execute: tags, event sources, role sessions, concurrency. */
	v = irx_json_object(undo, "Tags");
	if (v && undo_tags(ctx, fn_arn, v, done, sizeof(done)) < 0)
		goto out;
	v = irx_json_array(undo, "DisabledEventSourceMappings");
	if (v && undo_esms(ctx, v, done, sizeof(done), skipped, sizeof(skipped)) < 0)
		goto out;
	if (role && policy) {
		if (irx_call_aws_list(ctx, "iam", "ListRolePolicies",
				      irx_json_strings("RoleName", role, NULL), "PolicyNames",
				      IRX_PAGING_IAM, NULL, &policies) < 0)
			goto out;
		if (irx_json_array_has(policies, policy)) {
			if (irx_call_aws(
				ctx, "iam", "DeleteRolePolicy",
				irx_json_strings("RoleName", role, "PolicyName", policy, NULL),
				NULL) < 0)
				goto out;
			irx_text_add(done, sizeof(done), ", ", "%s inline policy '%s' of role '%s'",
				     ctx->dry_run ? "delete" : "deleted", policy, role);
		} else {
			irx_text_add(skipped, sizeof(skipped), ", ",
				     "inline policy '%s' of role '%s' was already gone", policy,
				     role);
		}
	}
	if (json_object_object_get_ex(undo, "PreviousConcurrency", &v)) {
		struct json_object *cur = NULL;

		if (irx_call_aws(ctx, "lambda", "GetFunctionConcurrency",
				 irx_json_strings("FunctionName", name, NULL), &conc) < 0)
			goto out;
		if (!json_object_object_get_ex(conc, "ReservedConcurrentExecutions", &cur) ||
		    !cur || json_object_get_int64(cur) != 0) {
			/* Not as this execution left it: whoever changed it wins. */
			irx_text_add(skipped, sizeof(skipped), ", ",
				     "reserved concurrency was changed since (left as it is)");
		} else if (!v) {
			if (irx_call_aws(ctx, "lambda", "DeleteFunctionConcurrency",
					 irx_json_strings("FunctionName", name, NULL), NULL) < 0)
				goto out;
			irx_text_add(done, sizeof(done), ", ",
				     "%s the reserved concurrency (none was reserved)",
				     ctx->dry_run ? "remove" : "removed");
		} else {
			params = irx_json_strings("FunctionName", name, NULL);
			json_object_object_add(params, "ReservedConcurrentExecutions",
					       json_object_new_int64(json_object_get_int64(v)));
			if (irx_call_aws(ctx, "lambda", "PutFunctionConcurrency", params, NULL) < 0)
				goto out;
			irx_text_add(done, sizeof(done), ", ", "%s reserved concurrency %lld",
				     ctx->dry_run ? "restore" : "restored",
				     (long long)json_object_get_int64(v));
		}
	}
	summarise(res, "%s function '%s': %s%s%s", ctx->dry_run ? "would release" : "released",
		  name, done[0] ? done : "nothing left to undo", skipped[0] ? "; " : "", skipped);
	rc = 0;
out:
	json_object_put(policies);
	json_object_put(conc);
	return rc;
}

/* --- the plugin -------------------------------------------------------------------------- */

static const struct irx_param lambda_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) or name"},
    {"DisableEventSources", IRX_PARAM_BOOLEAN, 0, "false",
     "also disable every enabled event source mapping of the function"},
    {"RevokeRoleSessions", IRX_PARAM_BOOLEAN, 0, "true",
     "revoke the execution role's sessions issued before now (affects every function "
     "sharing the role)"},
    {0},
};

/* The AWS calls execute and rollback make (the host refuses any other). */
static const char *const cz_calls[] = {
    "lambda:GetFunction",
    "lambda:GetFunctionConcurrency",
    "lambda:ListFunctions",
    "lambda:ListEventSourceMappings",
    "lambda:GetEventSourceMapping",
    "lambda:PutFunctionConcurrency",
    "lambda:DeleteFunctionConcurrency",
    "lambda:UpdateEventSourceMapping",
    "lambda:TagResource",
    "lambda:UntagResource",
    "iam:ListRolePolicies",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    NULL,
};

static const struct irx_action cz_actions[] = {
    {"lambda",
     "stop a Lambda function: reserved concurrency 0, execution role's older sessions "
     "revoked, event sources disabled by parameter",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, lambda_params, lockdown, release, cz_calls},
    {0},
};

IRX_PLUGIN_DEFINE("concurrency-zero", "1.0.0", "Apache-2.0", cz_actions, NULL, NULL)
