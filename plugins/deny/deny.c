/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The deny plugin: cut an IAM principal off from AWS, reversibly where AWS allows.
 *
 *   deny:iamUser    AWSDenyAll attached, sessions issued before now revoked (an inline
 *                   aws:TokenIssueTime deny), every active access key set Inactive, the console
 *                   password deleted (IAM has no "disable": this one part cannot be rolled back).
 *   deny:iamRole    Mode deny-all (AWSDenyAll: every current and future session) or
 *                   revoke-older-sessions (only sessions issued before now). Service-linked
 *                   roles are refused: IAM rejects policies on them.
 *   deny:accessKey  the key's owner found with GetAccessKeyLastUsed, the key set Inactive, the
 *                   owner's sessions issued before now revoked.
 *
 * Order: the user's changes go from the widest effect to the narrowest, so an AccessDenied
 * half-way leaves the most containment in place: one AttachUserPolicy stops every credential
 * at once; keys and password follow. Tags come last: they are bookkeeping.
 *
 * Every change is entered in the undo record and checkpointed before it is made; an entry
 * whose call AWS rejected is taken out again, so the record holds what was done. Rollback
 * reads live state and only reverts what is still as this execution left it.
 *
 * Undo record (one shape for the three actions):
 *   {"Action", "Partition", "UserName" | "RoleName",
 *    "AttachedPolicies": [arn], "InlinePolicy": name, "RevokedBefore": iso8601,
 *    "DeactivatedKeys": [id], "DeletedLoginProfile": {"CreateDate", "Restorable": false},
 *    "Tags": {key: previous value or null}}
 */
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
#define DENY_ALL "AWSDenyAll"
#define MSG_MAX 2048

/* --- small helpers --------------------------------------------------------------------- */

/* Deny * * to every session whose token was issued before `before`. Transferred string. */
static struct json_object *revoke_document(const char *before)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *st = json_object_new_object();
	struct json_object *cond = json_object_new_object();
	struct json_object *lt = json_object_new_object();
	struct json_object *stmts = json_object_new_array();
	struct json_object *text = NULL;

	json_object_object_add(lt, "aws:TokenIssueTime", json_object_new_string(before));
	json_object_object_add(cond, "DateLessThan", lt);
	json_object_object_add(st, "Sid", json_object_new_string("IrxRevokeOlderSessions"));
	json_object_object_add(st, "Effect", json_object_new_string("Deny"));
	json_object_object_add(st, "Action", json_object_new_string("*"));
	json_object_object_add(st, "Resource", json_object_new_string("*"));
	json_object_object_add(st, "Condition", cond);
	json_object_array_add(stmts, st);
	json_object_object_add(doc, "Version", json_object_new_string("2012-10-17"));
	json_object_object_add(doc, "Statement", stmts);
	text = json_object_new_string(json_object_to_json_string_ext(
	    doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return text;
}

/* Appends ", text" (or "text" first) to a message buffer. */
/* The step's summary: outputs.Summary, and result->message borrowing it. */
static void summarise(struct irx_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void summarise(struct irx_result *res, const char *fmt, ...)
{
	char text[MSG_MAX] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	irx_result_summary(res, "Summary", text);
}

/* --- IAM ARNs --------------------------------------------------------------------------- */

struct iam_arn {
	char partition[32];
	char account[32];
	char type[16];	/* "user", "role", "root" */
	char path[512]; /* "/" or "/division/team/" */
	char name[128]; /* the last segment: role/service-role/role1 -> role1 */
};

/*
 * arn:PARTITION:iam::ACCOUNT:user/PATH/NAME (or role/..., or root). IAM names are the last
 * '/'-separated segment; everything between the type and the name is the path.
 */
static int iam_arn_parse(const struct irx_context *ctx, const char *s, struct iam_arn *out)
{
	const char *f[6] = {0};
	const char *p = s, *res = NULL, *slash = NULL, *last = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!s || strncmp(s, "arn:", 4) != 0)
		return ctx->host->fail(ctx->call, "'%s' is not an ARN", s ? s : "");
	for (int i = 0; i < 5; i++) {
		f[i] = p;
		p = strchr(p, ':');
		if (!p)
			return ctx->host->fail(ctx->call, "'%s' is not an ARN", s);
		p++;
	}
	res = p;
	n = (size_t)(strchr(f[1], ':') - f[1]);
	if (n == 0 || n >= sizeof(out->partition))
		return ctx->host->fail(ctx->call, "'%s' has no valid partition", s);
	memcpy(out->partition, f[1], n);
	if (strncmp(f[2], "iam:", 4) != 0)
		return ctx->host->fail(ctx->call, "'%s' is not an IAM ARN", s);
	n = (size_t)(strchr(f[4], ':') - f[4]);
	if (n == 0 || n >= sizeof(out->account))
		return ctx->host->fail(ctx->call, "'%s' has no account id", s);
	memcpy(out->account, f[4], n);
	if (strcmp(res, "root") == 0) {
		snprintf(out->type, sizeof(out->type), "root");
		snprintf(out->name, sizeof(out->name), "root");
		return 0;
	}
	slash = strchr(res, '/');
	if (!slash || (size_t)(slash - res) >= sizeof(out->type))
		return ctx->host->fail(ctx->call, "'%s' names no IAM user or role", s);
	memcpy(out->type, res, (size_t)(slash - res));
	last = strrchr(res, '/');
	if (!last[1])
		return ctx->host->fail(ctx->call, "'%s' ends without a name", s);
	if (strlen(last + 1) >= sizeof(out->name) ||
	    (size_t)(last - slash) + 1 >= sizeof(out->path))
		return ctx->host->fail(ctx->call, "'%s' is too long for an IAM ARN", s);
	snprintf(out->name, sizeof(out->name), "%s", last + 1);
	memcpy(out->path, slash, (size_t)(last - slash) + 1);
	return 0;
}

static void deny_all_arn(const char *partition, char *buf, size_t len)
{
	snprintf(buf, len, "arn:%s:iam::aws:policy/%s", partition, DENY_ALL);
}

/* --- principals: what differs between a user and a role ---------------------------------- */

struct principal {
	const char *kind;     /* "user" | "role" */
	const char *name_key; /* "UserName" | "RoleName" */
	const char *name;
	const char *Kind; /* "User" | "Role": operation names are built from it */
};

static void op_name(char *buf, size_t len, const char *fmt, const struct principal *p)
{
	snprintf(buf, len, fmt, p->Kind);
}

static struct json_object *name_params(const struct principal *p)
{
	return irx_json_strings(p->name_key, p->name, NULL);
}

/* Is the managed policy attached? (List{User,Role}AttachedPolicies, every page) */
static int policy_attached(const struct irx_context *ctx, const struct principal *p,
			   const char *policy_arn, bool *attached)
{
	char op[64];
	struct json_object *items = NULL;

	op_name(op, sizeof(op), "ListAttached%sPolicies", p);
	if (irx_call_aws_list(ctx, "iam", op, name_params(p), "AttachedPolicies", IRX_PAGING_IAM,
			      NULL, &items) < 0)
		return -1;
	*attached = irx_json_array_find(items, "PolicyArn", policy_arn) != NULL;
	json_object_put(items);
	return 0;
}

static int inline_exists(const struct irx_context *ctx, const struct principal *p,
			 const char *policy, bool *exists)
{
	char op[64];
	struct json_object *items = NULL;

	op_name(op, sizeof(op), "List%sPolicies", p);
	if (irx_call_aws_list(ctx, "iam", op, name_params(p), "PolicyNames", IRX_PAGING_IAM, NULL,
			      &items) < 0)
		return -1;
	*exists = irx_json_array_has(items, policy);
	json_object_put(items);
	return 0;
}

/* Plans attaching policy_arn: recorded in undo.AttachedPolicies. */
static void plan_attach(struct irx_batch *b, const struct principal *p, struct irx_result *res,
			const char *policy_arn)
{
	char op[64];
	struct json_object *params = name_params(p);

	json_object_array_add(irx_undo_list(res->undo, "AttachedPolicies"),
			      json_object_new_string(policy_arn));
	op_name(op, sizeof(op), "Attach%sPolicy", p);
	json_object_object_add(params, "PolicyArn", json_object_new_string(policy_arn));
	irx_batch_change(b, "iam", op, params, "AttachedPolicies", policy_arn);
}

/* Plans the revoke-older-sessions inline policy: recorded in undo.InlinePolicy and
 * undo.RevokedBefore. */
static void plan_revoke(struct irx_batch *b, const struct principal *p, struct irx_result *res,
			const char *before)
{
	char op[64];
	struct json_object *params = name_params(p);
	size_t i = 0;

	json_object_object_add(res->undo, "InlinePolicy", json_object_new_string(REVOKE_POLICY));
	json_object_object_add(res->undo, "RevokedBefore", json_object_new_string(before));
	op_name(op, sizeof(op), "Put%sPolicy", p);
	json_object_object_add(params, "PolicyName", json_object_new_string(REVOKE_POLICY));
	json_object_object_add(params, "PolicyDocument", revoke_document(before));
	i = irx_batch_change(b, "iam", op, params, "InlinePolicy", NULL);
	irx_batch_undo(b, i, "RevokedBefore", NULL);
}

/* Plans key Status=Inactive: recorded in undo.DeactivatedKeys. */
static void plan_deactivate(struct irx_batch *b, const char *user, const char *key,
			    struct irx_result *res)
{
	json_object_array_add(irx_undo_list(res->undo, "DeactivatedKeys"),
			      json_object_new_string(key));
	irx_batch_change(
	    b, "iam", "UpdateAccessKey",
	    irx_json_strings("UserName", user, "AccessKeyId", key, "Status", "Inactive", NULL),
	    "DeactivatedKeys", key);
}

/*
 * Plans tagging the principal with the execution (and case) id and the action; each key's
 * previous value (or null) goes into undo.Tags. current: the principal's tags as
 * GetUser/GetRole returned them ([{Key, Value}]), borrowed.
 */
static void plan_tags(struct irx_batch *b, const struct irx_context *ctx, const struct principal *p,
		      struct irx_result *res, struct json_object *current, const char *action)
{
	const char *keys[3] = {"irx:execution-id", "irx:action", "irx:case-id"};
	const char *values[3] = {ctx->execution_id, action, ctx->case_id};
	struct json_object *prev = json_object_new_object();
	struct json_object *tags = json_object_new_array();
	struct json_object *params = name_params(p);
	char op[64];

	for (int i = 0; i < 3; i++) {
		struct json_object *was = NULL;

		if (!values[i] || !*values[i])
			continue;
		was = irx_json_array_find(current, "Key", keys[i]);
		json_object_object_add(prev, keys[i],
				       was && irx_json_str(was, "Value")
					   ? json_object_new_string(irx_json_str(was, "Value"))
					   : NULL);
		json_object_array_add(tags,
				      irx_json_strings("Key", keys[i], "Value", values[i], NULL));
	}
	json_object_object_add(res->undo, "Tags", prev);
	op_name(op, sizeof(op), "Tag%s", p);
	json_object_object_add(params, "Tags", tags);
	irx_batch_change(b, "iam", op, params, "Tags", NULL);
}

static void set_common_undo(const struct irx_context *ctx, struct irx_result *res,
			    const char *action, const char *partition, const struct principal *p)
{
	(void)ctx;
	json_object_object_add(res->undo, "Action", json_object_new_string(action));
	json_object_object_add(res->undo, "Partition", json_object_new_string(partition));
	json_object_object_add(res->undo, p->name_key, json_object_new_string(p->name));
}

static void output_bool(struct irx_result *res, const char *key, bool v)
{
	json_object_object_add(res->outputs, key, json_object_new_boolean(v));
}

/* Seconds since the epoch of an IAM timestamp ("2024-01-02T03:04:05Z", fractions and
 * offsets ignored but for "+hh:mm"); -1 when it is not one. */
static long long iam_time(const char *s)
{
	struct tm tm = {0};
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (long long)timegm(&tm);
}

/*
 * Access keys and MFA devices created in the last `days` days: an intruder's persistence is
 * reported, not acted on (outputs.RecentlyCreated and a remark in *note).
 */
static void report_recent(const struct irx_context *ctx, struct irx_result *res,
			  struct json_object *keys, struct json_object *mfas, long long days,
			  char *note, size_t len)
{
	long long cutoff = (long long)time(NULL) - days * 86400;
	struct json_object *recent = json_object_new_array();
	char items[MSG_MAX] = "";

	(void)ctx;
	for (int pass = 0; pass < 2; pass++) {
		struct json_object *arr = pass ? mfas : keys;

		for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
			struct json_object *it = json_object_array_get_idx(arr, i);
			const char *id = irx_json_str(it, pass ? "SerialNumber" : "AccessKeyId");
			const char *when = irx_json_str(it, pass ? "EnableDate" : "CreateDate");
			long long t = iam_time(when);

			if (!id || t < 0 || t < cutoff)
				continue;
			json_object_array_add(
			    recent, irx_json_strings("Kind", pass ? "MFADevice" : "AccessKey", "Id",
						     id, "Created", when, NULL));
			irx_text_add(items, sizeof(items), ", ", "%s '%s' (%s)",
				     pass ? "MFA device" : "access key", id, when);
		}
	}
	json_object_object_add(res->outputs, "RecentlyCreated", recent);
	if (items[0])
		snprintf(note, len,
			 "; created in the last %lld day%s: %s: check whether the intruder made "
			 "them",
			 days, days == 1 ? "" : "s", items);
}

/* --- deny:iamUser -------------------------------------------------------------------------- */

static int deny_user(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	const char *arn = irx_json_str(inputs, "TargetArn");
	struct iam_arn a = {0};
	struct principal p = {"user", "UserName", NULL, "User"};
	struct json_object *user = NULL, *keys = NULL, *login = NULL, *active = NULL, *mfas = NULL;
	struct json_object *attached = NULL, *inlines = NULL;
	struct json_object *days = json_object_object_get(inputs, "RecentDays");
	struct irx_batch rd = {0}, wr = {0};
	static const char *const no_such_entity[] = {"NoSuchEntity", NULL};
	size_t i_user = 0, i_login = 0, i_keys = 0, i_att = 0, i_inl = 0, i_mfa = 0;
	long long recent_days = days ? json_object_get_int64(days) : 7;
	char deny_arn[128] = "", before[32] = "", done[MSG_MAX] = "", have[MSG_MAX] = "";
	char recent[MSG_MAX] = "";
	bool denied = false, revoked = false;
	int lp = 0, rc = -1;

	if (recent_days < 0 || recent_days > 3650)
		return ctx->host->fail(ctx->call, "RecentDays must be between 0 and 3650, not %lld",
				       recent_days);
	if (iam_arn_parse(ctx, arn, &a) < 0)
		return -1;
	if (strcmp(a.type, "root") == 0)
		return ctx->host->fail(ctx->call,
				       "cannot deny the root user of account '%s': IAM policies do "
				       "not apply to the root user; rotate its credentials and "
				       "restrict the account with an SCP",
				       a.account);
	if (strcmp(a.type, "user") != 0)
		return ctx->host->fail(ctx->call,
				       "cannot deny user '%s': the ARN names a %s, not "
				       "a user",
				       arn, a.type);
	p.name = a.name;
	deny_all_arn(a.partition, deny_arn, sizeof(deny_arn));
	json_object_object_add(res->outputs, "UserName", json_object_new_string(a.name));

	/* Read everything first, at once: the plan (and a dry run) rests on live state. A
	 * missing login profile is an answer (NoSuchEntity), not a failure. */
	i_user = irx_batch_add(&rd, "iam", "GetUser", name_params(&p));
	i_login = irx_batch_add(&rd, "iam", "GetLoginProfile", name_params(&p));
	rd.reqs[i_login].expected = no_such_entity;
	i_keys = irx_batch_add(&rd, "iam", "ListAccessKeys", name_params(&p));
	/* RecentDays 0: no report, and no ListMFADevices call */
	if (recent_days > 0)
		i_mfa = irx_batch_add(&rd, "iam", "ListMFADevices", name_params(&p));
	i_att = irx_batch_add(&rd, "iam", "ListAttachedUserPolicies", name_params(&p));
	i_inl = irx_batch_add(&rd, "iam", "ListUserPolicies", name_params(&p));
	if (irx_batch_send(ctx, &rd) > 0)
		goto out;
	user = json_object_get(rd.reqs[i_user].response);
	if (irx_call_aws_list(ctx, "iam", "ListAccessKeys", name_params(&p), "AccessKeyMetadata",
			      IRX_PAGING_IAM, rd.reqs[i_keys].response, &keys) < 0 ||
	    irx_call_aws_list(ctx, "iam", "ListAttachedUserPolicies", name_params(&p),
			      "AttachedPolicies", IRX_PAGING_IAM, rd.reqs[i_att].response,
			      &attached) < 0 ||
	    irx_call_aws_list(ctx, "iam", "ListUserPolicies", name_params(&p), "PolicyNames",
			      IRX_PAGING_IAM, rd.reqs[i_inl].response, &inlines) < 0 ||
	    (recent_days > 0 &&
	     irx_call_aws_list(ctx, "iam", "ListMFADevices", name_params(&p), "MFADevices",
			       IRX_PAGING_IAM, rd.reqs[i_mfa].response, &mfas) < 0))
		goto out;
	denied = irx_json_array_find(attached, "PolicyArn", deny_arn) != NULL;
	revoked = irx_json_array_has(inlines, REVOKE_POLICY);
	if (recent_days > 0)
		report_recent(ctx, res, keys, mfas, recent_days, recent, sizeof(recent));
	login = json_object_get(rd.reqs[i_login].response);
	lp = rd.reqs[i_login].expected_code[0] ? 1 : 0;
	active = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i);
		const char *st = irx_json_str(k, "Status"), *id = irx_json_str(k, "AccessKeyId");

		if (id && st && strcmp(st, "Active") == 0)
			json_object_array_add(active, json_object_new_string(id));
	}

	if (denied && revoked && json_object_array_length(active) == 0 && lp == 1) {
		output_bool(res, "Changed", false);
		summarise(res,
			  "user '%s' already contained: %s attached, older sessions revoked, no "
			  "active access key, no console password%s",
			  a.name, DENY_ALL, recent);
		rc = 0;
		goto out;
	}

	set_common_undo(ctx, res, "deny:iamUser", a.partition, &p);
	irx_iso8601_now(before, sizeof(before));
	/* Every change at once; the undo record holds them all before any is sent. */
	if (!denied) {
		plan_attach(&wr, &p, res, deny_arn);
		irx_text_add(done, sizeof(done), ", ", "%s %s",
			     ctx->dry_run ? "attach" : "attached", DENY_ALL);
	} else {
		irx_text_add(have, sizeof(have), ", ", "%s was attached", DENY_ALL);
	}
	if (!revoked) {
		plan_revoke(&wr, &p, res, before);
		irx_text_add(done, sizeof(done), ", ", "%s sessions issued before %s",
			     ctx->dry_run ? "revoke" : "revoked", before);
		json_object_object_add(res->outputs, "RevokedBefore",
				       json_object_new_string(before));
	} else {
		irx_text_add(have, sizeof(have), ", ", "older sessions were revoked");
	}
	for (size_t i = 0; i < json_object_array_length(active); i++)
		plan_deactivate(&wr, a.name,
				json_object_get_string(json_object_array_get_idx(active, i)), res);
	if (json_object_array_length(active)) {
		size_t n = json_object_array_length(active);
		char ids[1024] = "";

		for (size_t i = 0; i < n; i++)
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s'%s'",
				 i ? ", " : "",
				 json_object_get_string(json_object_array_get_idx(active, i)));
		irx_text_add(done, sizeof(done), ", ", "%s %zu access key%s (%s)",
			     ctx->dry_run ? "deactivate" : "deactivated", n, n == 1 ? "" : "s",
			     ids);
	}
	if (lp == 0) {
		struct json_object *rec = json_object_new_object();
		const char *created =
		    irx_json_str(irx_json_object(login, "LoginProfile"), "CreateDate");

		json_object_object_add(rec, "CreateDate",
				       created ? json_object_new_string(created) : NULL);
		json_object_object_add(rec, "Restorable", json_object_new_boolean(0));
		json_object_object_add(res->undo, "DeletedLoginProfile", rec);
		irx_batch_change(&wr, "iam", "DeleteLoginProfile", name_params(&p),
				 "DeletedLoginProfile", NULL);
		irx_text_add(done, sizeof(done), ", ",
			     "%s the console password (rollback cannot restore it)",
			     ctx->dry_run ? "delete" : "deleted");
	}
	plan_tags(&wr, ctx, &p, res, irx_json_array(irx_json_object(user, "User"), "Tags"),
		  "deny:iamUser");
	if (irx_batch_commit(ctx, res->undo, &wr) < 0)
		goto out;
	json_object_object_add(res->outputs, "DeactivatedKeys", json_object_get(active));
	output_bool(res, "PasswordDeleted", lp == 0 && !ctx->dry_run);
	output_bool(res, "Changed", !ctx->dry_run);
	summarise(res, "%s user '%s': %s%s%s%s", ctx->dry_run ? "would contain" : "contained",
		  a.name, done, have[0] ? "; " : "", have, recent);
	rc = 0;
out:
	json_object_put(user);
	json_object_put(keys);
	json_object_put(login);
	json_object_put(active);
	json_object_put(mfas);
	json_object_put(attached);
	json_object_put(inlines);
	irx_batch_release(&rd);
	irx_batch_release(&wr);
	return rc;
}

/* --- deny:iamRole ---------------------------------------------------------------------------- */

static int deny_role(const struct irx_context *ctx, struct json_object *inputs,
		     struct irx_result *res)
{
	const char *arn = irx_json_str(inputs, "TargetArn");
	const char *mode = irx_json_str(inputs, "Mode");
	struct iam_arn a = {0};
	struct principal p = {"role", "RoleName", NULL, "Role"};
	struct json_object *role = NULL, *items = NULL;
	struct irx_batch rd = {0}, wr = {0};
	const char *path = NULL;
	char deny_arn[128] = "", before[32] = "";
	bool deny_all = false, present = false;
	int rc = -1;

	if (!mode || (strcmp(mode, "deny-all") != 0 && strcmp(mode, "revoke-older-sessions") != 0))
		return ctx->host->fail(
		    ctx->call, "unknown Mode '%s': use 'deny-all' or 'revoke-older-sessions'",
		    mode ? mode : "");
	deny_all = strcmp(mode, "deny-all") == 0;
	if (iam_arn_parse(ctx, arn, &a) < 0)
		return -1;
	if (strcmp(a.type, "role") != 0)
		return ctx->host->fail(ctx->call,
				       "cannot deny role '%s': the ARN names a %s, not "
				       "a role",
				       arn, a.type);
	p.name = a.name;
	json_object_object_add(res->outputs, "RoleName", json_object_new_string(a.name));
	json_object_object_add(res->outputs, "Mode", json_object_new_string(mode));
	if (strncmp(a.path, "/aws-service-role/", 18) == 0)
		return ctx->host->fail(
		    ctx->call,
		    "cannot deny role '%s': it is a service-linked role (path "
		    "'%s'); IAM does not allow policies on service-linked roles: "
		    "contain the service or the principals that use it instead",
		    a.name, a.path);
	deny_all_arn(a.partition, deny_arn, sizeof(deny_arn));
	/* The role and the policy that would contain it, read at once. */
	irx_batch_add(&rd, "iam", "GetRole", name_params(&p));
	irx_batch_add(&rd, "iam", deny_all ? "ListAttachedRolePolicies" : "ListRolePolicies",
		      name_params(&p));
	if (irx_batch_send(ctx, &rd) > 0)
		goto out;
	role = json_object_get(rd.reqs[0].response);
	path = irx_json_str(irx_json_object(role, "Role"), "Path");
	if (path && strncmp(path, "/aws-service-role/", 18) == 0) {
		ctx->host->fail(ctx->call,
				"cannot deny role '%s': it is a service-linked role (path '%s'); "
				"IAM does not allow policies on service-linked roles: contain the "
				"service or the principals that use it instead",
				a.name, path);
		goto out;
	}
	if (irx_call_aws_list(ctx, "iam",
			      deny_all ? "ListAttachedRolePolicies" : "ListRolePolicies",
			      name_params(&p), deny_all ? "AttachedPolicies" : "PolicyNames",
			      IRX_PAGING_IAM, rd.reqs[1].response, &items) < 0)
		goto out;
	present = deny_all ? irx_json_array_find(items, "PolicyArn", deny_arn) != NULL
			   : irx_json_array_has(items, REVOKE_POLICY);
	if (present) {
		output_bool(res, "Changed", false);
		summarise(res, "role '%s' already contained: %s", a.name,
			  deny_all ? DENY_ALL " attached"
				   : "sessions issued before an earlier cutoff are revoked "
				     "(inline policy '" REVOKE_POLICY "')");
		rc = 0;
		goto out;
	}
	set_common_undo(ctx, res, "deny:iamRole", a.partition, &p);
	if (deny_all) {
		plan_attach(&wr, &p, res, deny_arn);
	} else {
		irx_iso8601_now(before, sizeof(before));
		plan_revoke(&wr, &p, res, before);
		json_object_object_add(res->outputs, "RevokedBefore",
				       json_object_new_string(before));
	}
	plan_tags(&wr, ctx, &p, res, irx_json_array(irx_json_object(role, "Role"), "Tags"),
		  "deny:iamRole");
	if (irx_batch_commit(ctx, res->undo, &wr) < 0)
		goto out;
	output_bool(res, "Changed", !ctx->dry_run);
	if (deny_all)
		summarise(res,
			  "%s role '%s': %s %s: every current and future session of the role is "
			  "denied, every holder's included, until it is detached",
			  ctx->dry_run ? "would deny" : "denied", a.name,
			  ctx->dry_run ? "attach" : "attached", DENY_ALL);
	else
		summarise(res,
			  "%s role '%s': sessions issued before %s %s denied; sessions issued "
			  "after it are not, so whoever can still assume the role can get a new "
			  "one",
			  ctx->dry_run ? "would deny" : "denied", a.name, before,
			  ctx->dry_run ? "would be" : "are");
	rc = 0;
out:
	json_object_put(role);
	json_object_put(items);
	irx_batch_release(&rd);
	irx_batch_release(&wr);
	return rc;
}

/* --- deny:accessKey ------------------------------------------------------------------------ */

static bool looks_like_key_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 16 || n > 128 || s[0] != 'A' || s[1] == '\0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static int deny_key(const struct irx_context *ctx, struct json_object *inputs,
		    struct irx_result *res)
{
	const char *target = irx_json_str(inputs, "TargetArn");
	const char *key = irx_json_str(inputs, "AccessKeyId");
	struct iam_arn a = {0};
	struct principal p = {"user", "UserName", NULL, "User"};
	struct json_object *last = NULL, *user = NULL, *keys = NULL, *meta = NULL, *inlines = NULL;
	struct irx_batch rd = {0}, wr = {0};
	const char *owner = NULL, *status = NULL, *partition = "aws";
	char before[32] = "", done[MSG_MAX] = "";
	bool revoked = false;
	int rc = -1;

	if (target && !*target)
		target = NULL;
	if (key && !*key)
		key = NULL;
	if (target && strncmp(target, "arn:", 4) != 0) {
		/* A bare key id given as the target (what a finding names). */
		if (key && strcmp(key, target) != 0)
			return ctx->host->fail(ctx->call,
					       "TargetArn '%s' and AccessKeyId '%s' name different "
					       "keys",
					       target, key);
		key = target;
		target = NULL;
	}
	if (!key)
		return ctx->host->fail(ctx->call, "deny:accessKey needs an AccessKeyId (or the key "
						  "id as TargetArn)");
	if (!looks_like_key_id(key))
		return ctx->host->fail(ctx->call, "'%s' is not an access key id", key);
	if (strncmp(key, "ASIA", 4) == 0)
		return ctx->host->fail(
		    ctx->call,
		    "cannot deactivate access key '%s': it is temporary (ASIA), "
		    "issued by STS; revoke the sessions of the role or user that "
		    "issued it instead",
		    key);
	if (target) {
		if (iam_arn_parse(ctx, target, &a) < 0)
			return -1;
		if (strcmp(a.type, "user") != 0)
			return ctx->host->fail(
			    ctx->call,
			    "cannot deny access key '%s': TargetArn '%s' is not a "
			    "user",
			    key, target);
		partition = a.partition;
	}
	json_object_object_add(res->outputs, "AccessKeyId", json_object_new_string(key));
	if (irx_call_aws(ctx, "iam", "GetAccessKeyLastUsed",
			 irx_json_strings("AccessKeyId", key, NULL), &last) < 0)
		goto out;
	owner = irx_json_str(last, "UserName");
	if (!owner || !*owner) {
		ctx->host->fail(ctx->call,
				"cannot deny access key '%s': iam:GetAccessKeyLastUsed "
				"names no owner",
				key);
		goto out;
	}
	if (target && strcmp(owner, a.name) != 0) {
		ctx->host->fail(ctx->call,
				"cannot deny access key '%s': it belongs to user '%s', not to '%s' "
				"named by TargetArn",
				key, owner, a.name);
		goto out;
	}
	p.name = owner;
	json_object_object_add(res->outputs, "UserName", json_object_new_string(owner));
	irx_batch_add(&rd, "iam", "GetUser", name_params(&p));
	irx_batch_add(&rd, "iam", "ListAccessKeys", name_params(&p));
	irx_batch_add(&rd, "iam", "ListUserPolicies", name_params(&p));
	if (irx_batch_send(ctx, &rd) > 0)
		goto out;
	user = json_object_get(rd.reqs[0].response);
	if (irx_call_aws_list(ctx, "iam", "ListAccessKeys", name_params(&p), "AccessKeyMetadata",
			      IRX_PAGING_IAM, rd.reqs[1].response, &keys) < 0 ||
	    irx_call_aws_list(ctx, "iam", "ListUserPolicies", name_params(&p), "PolicyNames",
			      IRX_PAGING_IAM, rd.reqs[2].response, &inlines) < 0)
		goto out;
	revoked = irx_json_array_has(inlines, REVOKE_POLICY);
	if (!target) {
		/* The partition of the ARN GetUser reports, for the undo record. */
		const char *uarn = irx_json_str(irx_json_object(user, "User"), "Arn");

		if (uarn && iam_arn_parse(ctx, uarn, &a) == 0)
			partition = a.partition;
	}
	meta = irx_json_array_find(keys, "AccessKeyId", key);
	if (!meta) {
		ctx->host->fail(ctx->call,
				"cannot deny access key '%s': user '%s' does not list it", key,
				owner);
		goto out;
	}
	status = irx_json_str(meta, "Status");
	if (status && strcmp(status, "Inactive") == 0 && revoked) {
		output_bool(res, "Changed", false);
		summarise(res,
			  "access key '%s' of user '%s' already contained: inactive, older "
			  "sessions revoked",
			  key, owner);
		rc = 0;
		goto out;
	}
	set_common_undo(ctx, res, "deny:accessKey", partition, &p);
	if (!status || strcmp(status, "Inactive") != 0) {
		plan_deactivate(&wr, owner, key, res);
		irx_text_add(done, sizeof(done), ", ", "%s the key",
			     ctx->dry_run ? "deactivate" : "deactivated");
	}
	if (!revoked) {
		irx_iso8601_now(before, sizeof(before));
		plan_revoke(&wr, &p, res, before);
		irx_text_add(done, sizeof(done), ", ", "%s the owner's sessions issued before %s",
			     ctx->dry_run ? "revoke" : "revoked", before);
		json_object_object_add(res->outputs, "RevokedBefore",
				       json_object_new_string(before));
	}
	plan_tags(&wr, ctx, &p, res, irx_json_array(irx_json_object(user, "User"), "Tags"),
		  "deny:accessKey");
	if (irx_batch_commit(ctx, res->undo, &wr) < 0)
		goto out;
	output_bool(res, "Changed", !ctx->dry_run);
	summarise(res, "%s access key '%s' of user '%s': %s",
		  ctx->dry_run ? "would contain" : "contained", key, owner, done);
	rc = 0;
out:
	json_object_put(last);
	json_object_put(user);
	json_object_put(keys);
	json_object_put(inlines);
	irx_batch_release(&rd);
	irx_batch_release(&wr);
	return rc;
}

/* --- rollback (every action) ------------------------------------------------------------- */

static int undo_tags(const struct irx_context *ctx, const struct principal *p,
		     struct json_object *tags, char *done, size_t len)
{
	struct json_object *untag = json_object_new_array();
	struct json_object *retag = json_object_new_array();
	struct json_object *params = NULL;
	char op[64];
	int rc = -1;

	json_object_object_foreach(tags, k, v)
	{
		if (v && json_object_is_type(v, json_type_string))
			json_object_array_add(
			    retag,
			    irx_json_strings("Key", k, "Value", json_object_get_string(v), NULL));
		else
			json_object_array_add(untag, json_object_new_string(k));
	}
	if (json_object_array_length(untag)) {
		op_name(op, sizeof(op), "Untag%s", p);
		params = name_params(p);
		json_object_object_add(params, "TagKeys", json_object_get(untag));
		if (irx_call_aws(ctx, "iam", op, params, NULL) < 0)
			goto out;
	}
	if (json_object_array_length(retag)) {
		op_name(op, sizeof(op), "Tag%s", p);
		params = name_params(p);
		json_object_object_add(params, "Tags", json_object_get(retag));
		if (irx_call_aws(ctx, "iam", op, params, NULL) < 0)
			goto out;
	}
	irx_text_add(done, len, ", ", "%s the irx tags", ctx->dry_run ? "restore" : "restored");
	rc = 0;
out:
	json_object_put(untag);
	json_object_put(retag);
	return rc;
}

static int undo_keys(const struct irx_context *ctx, const struct principal *p,
		     struct json_object *ids, char *done, size_t len, char *skipped, size_t slen)
{
	struct json_object *keys = NULL;
	int n = 0, rc = -1;

	if (irx_call_aws_list(ctx, "iam", "ListAccessKeys", name_params(p), "AccessKeyMetadata",
			      IRX_PAGING_IAM, NULL, &keys) < 0)
		return -1;
	for (size_t i = 0; i < json_object_array_length(ids); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		struct json_object *meta = irx_json_array_find(keys, "AccessKeyId", id);
		const char *st = irx_json_str(meta, "Status");

		if (!meta) {
			irx_text_add(skipped, slen, ", ", "access key '%s' no longer exists", id);
			continue;
		}
		if (st && strcmp(st, "Active") == 0)
			continue; /* someone already reactivated it */
		if (irx_call_aws(ctx, "iam", "UpdateAccessKey",
				 irx_json_strings("UserName", p->name, "AccessKeyId", id, "Status",
						  "Active", NULL),
				 NULL) < 0)
			goto out;
		n++;
	}
	if (n)
		irx_text_add(done, len, ", ", "%s %d access key%s",
			     ctx->dry_run ? "reactivate" : "reactivated", n, n == 1 ? "" : "s");
	rc = 0;
out:
	json_object_put(keys);
	return rc;
}

static int rollback(const struct irx_context *ctx, struct json_object *undo, struct irx_result *res)
{
	struct principal p = {0};
	struct json_object *v = NULL, *not_restored = json_object_new_array();
	const char *inline_policy = irx_json_str(undo, "InlinePolicy");
	char done[MSG_MAX] = "", skipped[MSG_MAX] = "", op[64];
	bool present = false;
	int rc = -1;

	if (irx_json_str(undo, "UserName")) {
		p = (struct principal){"user", "UserName", irx_json_str(undo, "UserName"), "User"};
	} else if (irx_json_str(undo, "RoleName")) {
		p = (struct principal){"role", "RoleName", irx_json_str(undo, "RoleName"), "Role"};
	} else {
		ctx->host->fail(ctx->call, "undo record names no UserName or RoleName");
		goto out;
	}
	json_object_object_add(res->outputs, p.name_key, json_object_new_string(p.name));
	/* Reverse order of execute: tags, password, keys, sessions, deny-all. */
	v = irx_json_object(undo, "Tags");
	if (v && undo_tags(ctx, &p, v, done, sizeof(done)) < 0)
		goto out;
	if (irx_json_object(undo, "DeletedLoginProfile")) {
		char why[512];

		snprintf(why, sizeof(why),
			 "the console password of user '%s' cannot be restored: IAM never "
			 "returns a password and DeleteLoginProfile discarded it; set a new one "
			 "with CreateLoginProfile (PasswordResetRequired) once the incident is "
			 "closed",
			 p.name);
		json_object_array_add(not_restored, json_object_new_string(why));
	}
	v = irx_json_array(undo, "DeactivatedKeys");
	if (v && undo_keys(ctx, &p, v, done, sizeof(done), skipped, sizeof(skipped)) < 0)
		goto out;
	if (inline_policy) {
		if (inline_exists(ctx, &p, inline_policy, &present) < 0)
			goto out;
		if (present) {
			struct json_object *params = name_params(&p);

			op_name(op, sizeof(op), "Delete%sPolicy", &p);
			json_object_object_add(params, "PolicyName",
					       json_object_new_string(inline_policy));
			if (irx_call_aws(ctx, "iam", op, params, NULL) < 0)
				goto out;
			irx_text_add(done, sizeof(done), ", ", "%s inline policy '%s'",
				     ctx->dry_run ? "delete" : "deleted", inline_policy);
		} else {
			irx_text_add(skipped, sizeof(skipped), ", ",
				     "inline policy '%s' was already gone", inline_policy);
		}
	}
	v = irx_json_array(undo, "AttachedPolicies");
	for (size_t i = 0; v && i < json_object_array_length(v); i++) {
		const char *parn = json_object_get_string(json_object_array_get_idx(v, i));
		struct json_object *params = NULL;

		if (policy_attached(ctx, &p, parn, &present) < 0)
			goto out;
		if (!present) {
			irx_text_add(skipped, sizeof(skipped), ", ", "'%s' was already detached",
				     parn);
			continue;
		}
		op_name(op, sizeof(op), "Detach%sPolicy", &p);
		params = name_params(&p);
		json_object_object_add(params, "PolicyArn", json_object_new_string(parn));
		if (irx_call_aws(ctx, "iam", op, params, NULL) < 0)
			goto out;
		irx_text_add(done, sizeof(done), ", ", "%s '%s'",
			     ctx->dry_run ? "detach" : "detached", parn);
	}
	json_object_object_add(res->outputs, "NotRestored", json_object_get(not_restored));
	{
		char text[MSG_MAX * 2] = "";

		snprintf(text, sizeof(text), "%s %s '%s': %s",
			 ctx->dry_run ? "would release" : "released", p.kind, p.name,
			 done[0] ? done : "nothing left to undo");
		if (skipped[0])
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "; %s", skipped);
		for (size_t i = 0; i < json_object_array_length(not_restored); i++)
			snprintf(
			    text + strlen(text), sizeof(text) - strlen(text), "; not restored: %s",
			    json_object_get_string(json_object_array_get_idx(not_restored, i)));
		summarise(res, "%s", text);
	}
	rc = 0;
out:
	json_object_put(not_restored);
	return rc;
}

/* --- the plugin -------------------------------------------------------------------------- */

static const struct irx_param user_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the user's ARN (arn:aws:iam::ACCOUNT:user/PATH/NAME)"},
    {"RecentDays", IRX_PARAM_INTEGER, 0, "7",
     "report access keys and MFA devices created in the last this many days (0: no "
     "report)"},
    {0},
};

static const struct irx_param role_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the role's ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME)"},
    {"Mode", IRX_PARAM_STRING, 0, "deny-all",
     "deny-all (attach AWSDenyAll: every session, now and later) or revoke-older-sessions "
     "(deny sessions issued before now)"},
    {0},
};

static const struct irx_param key_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_RESOURCE, NULL,
     "the owner's user ARN (checked against the key's owner), or the access key id"},
    {"AccessKeyId", IRX_PARAM_STRING, 0, NULL, "the access key to deactivate (AKIA...)"},
    {0},
};

/* The AWS calls of each action, execute and rollback (the host refuses any other). */
static const char *const user_calls[] = {
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:GetLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:UpdateAccessKey",
    "iam:TagUser",
    "iam:DeleteLoginProfile",
    "iam:UntagUser",
    "iam:DeleteUserPolicy",
    "iam:DetachUserPolicy",
    NULL,
};

/* iamRole: the role forms of the same calls. */
static const char *const role_calls[] = {
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    NULL,
};

/* accessKey: the key's owner is a user (STS keys are refused). */
static const char *const key_calls[] = {
    "iam:GetAccessKeyLastUsed",
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:GetLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:UpdateAccessKey",
    "iam:TagUser",
    "iam:DeleteLoginProfile",
    "iam:UntagUser",
    "iam:DeleteUserPolicy",
    "iam:DetachUserPolicy",
    NULL,
};

static const struct irx_action deny_actions[] = {
    {"iamUser",
     "deny an IAM user: AWSDenyAll, older sessions revoked, access keys deactivated, console "
     "password deleted",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, user_params, deny_user, rollback, user_calls},
    {"iamRole", "deny an IAM role: AWSDenyAll or revoke sessions issued before now",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, role_params, deny_role, rollback, role_calls},
    {"accessKey", "deactivate an access key and revoke its owner's older sessions",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, key_params, deny_key, rollback, key_calls},
    {0},
};

IRX_PLUGIN_DEFINE("deny", "1.0.0", "Apache-2.0", deny_actions, NULL, NULL)
