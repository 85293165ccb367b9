/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The instance role's credentials (step 7): credentials already taken from instance metadata
 * stay valid when the network is cut, so an inline policy on the role denies them (those vended
 * to this instance, or every session of the role issued before now).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "isolate.h"

static const char *last_segment(const char *arn)
{
	const char *slash = strrchr(arn, '/');

	return slash ? slash + 1 : arn;
}

bool isolate_revoking(struct iso *s)
{
	return strcmp(s->revoke, "none") != 0 &&
	       irx_json_str(irx_json_get(s->instance, "IamInstanceProfile"), "Arn") != NULL;
}

void isolate_read_profile(struct iso *s, struct wave *w)
{
	struct json_object *p = json_object_new_object();
	const char *profile_arn =
	    irx_json_str(irx_json_get(s->instance, "IamInstanceProfile"), "Arn");

	json_object_object_add(p, "InstanceProfileName",
			       json_object_new_string(last_segment(profile_arn)));
	isolate_wave_read(w, "iam", "GetInstanceProfile", p, &s->r_profile);
}

/* After GetInstanceProfile: the role, the policy's name, ListRolePolicies in the wave. */
void isolate_read_role_policies(struct iso *s, struct wave *w)
{
	const char *profile_arn =
	    irx_json_str(irx_json_get(s->instance, "IamInstanceProfile"), "Arn");
	struct json_object *role =
	    jidx(irx_json_get(irx_json_get(s->r_profile, "InstanceProfile"), "Roles"), 0);
	struct json_object *p = NULL;
	bool scoped = strcmp(s->revoke, "instance-scoped") == 0;

	s->role_name = irx_json_str(role, "RoleName");
	if (!s->role_name) {
		note(s->warnings, "instance profile '%s' has no role: no credentials to revoke",
		     profile_arn);
		return;
	}
	if (scoped)
		snprintf(s->policy_name, sizeof(s->policy_name), "irx-deny-instance-%s", s->id);
	else
		snprintf(s->policy_name, sizeof(s->policy_name), "irx-revoke-older-sessions");
	json_object_object_add(s->res->outputs, "RoleName", json_object_new_string(s->role_name));
	json_object_object_add(s->res->outputs, "RolePolicyName",
			       json_object_new_string(s->policy_name));
	p = json_object_new_object();
	json_object_object_add(p, "RoleName", json_object_new_string(s->role_name));
	isolate_wave_read(w, "iam", "ListRolePolicies", p, &s->r_policies);
}

/* Whether the role has the policy already: the first page came with a wave, the rest here. */
static int role_has_policy(struct iso *s, bool *has)
{
	struct json_object *r = s->r_policies, *p = NULL;
	const char *marker = NULL;

	*has = false;
	for (;;) {
		*has = *has || irx_json_array_has(irx_json_get(r, "PolicyNames"), s->policy_name);
		marker = irx_json_bool(r, "IsTruncated") ? irx_json_str(r, "Marker") : NULL;
		if (!marker || *has)
			return 0;
		p = json_object_new_object();
		json_object_object_add(p, "RoleName", json_object_new_string(s->role_name));
		json_object_object_add(p, "Marker", json_object_new_string(marker));
		if (isolate_aws_read(s, "iam", "ListRolePolicies", p, &r) < 0)
			return -1;
	}
}

/*
 * Credentials already taken from instance metadata stay valid when the profile changes: deny
 * them where they are used. The instance-scoped deny binds to credentials vended to this
 * instance only; revoke-older-sessions kills every earlier session of the role.
 */
int isolate_credentials(struct iso *s, struct wave *w)
{
	struct json_object *p = NULL, *doc = NULL, *st = NULL, *cond = NULL, *rec = NULL;
	struct json_object *stmts = NULL, *c = NULL;
	bool scoped = strcmp(s->revoke, "instance-scoped") == 0, has = false;
	char now[32], what[512];

	if (!isolate_revoking(s) || !s->role_name)
		return 0;
	irx_iso8601_now(now, sizeof(now));
	if (!scoped)
		note(s->warnings,
		     "revoke-older-sessions denies every session of role '%s' issued before %s: "
		     "every instance and principal using the role is affected",
		     s->role_name, now);
	if (role_has_policy(s, &has) < 0)
		return -1;
	if (has)
		return 0;
	doc = json_object_new_object();
	json_object_object_add(doc, "Version", json_object_new_string("2012-10-17"));
	stmts = json_object_new_array();
	st = json_object_new_object();
	json_object_object_add(
	    st, "Sid",
	    json_object_new_string(scoped ? "IrxDenyIsolatedInstance" : "IrxRevokeOlderSessions"));
	json_object_object_add(st, "Effect", json_object_new_string("Deny"));
	json_object_object_add(st, "Action", json_object_new_string("*"));
	json_object_object_add(st, "Resource", json_object_new_string("*"));
	cond = json_object_new_object();
	c = json_object_new_object();
	json_object_object_add(c, scoped ? "ec2:SourceInstanceARN" : "aws:TokenIssueTime",
			       json_object_new_string(scoped ? s->arn : now));
	json_object_object_add(cond, scoped ? "StringEquals" : "DateLessThan", c);
	json_object_object_add(st, "Condition", cond);
	json_object_array_add(stmts, st);
	json_object_object_add(doc, "Statement", stmts);

	rec = json_object_new_object();
	json_object_object_add(rec, "RoleName", json_object_new_string(s->role_name));
	json_object_object_add(rec, "PolicyName", json_object_new_string(s->policy_name));
	json_object_object_add(rec, "Mode", json_object_new_string(s->revoke));
	p = json_object_new_object();
	json_object_object_add(p, "RoleName", json_object_new_string(s->role_name));
	json_object_object_add(p, "PolicyName", json_object_new_string(s->policy_name));
	json_object_object_add(p, "PolicyDocument",
			       json_object_new_string(json_object_to_json_string_ext(
				   doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(doc);
	if (scoped)
		snprintf(what, sizeof(what),
			 "deny credentials vended to '%s' with inline policy '%s' on role '%s'",
			 s->id, s->policy_name, s->role_name);
	else
		snprintf(what, sizeof(what),
			 "deny every session of role '%s' issued before %s with inline policy '%s'",
			 s->role_name, now, s->policy_name);
	isolate_wave_change(s, w, what, "iam", "PutRolePolicy", p, NULL, "RolePolicy", rec, false);
	return 0;
}
