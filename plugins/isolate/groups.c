/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irx's security groups (step 5, up to the swap in interfaces.c): one untrack, one isolation
 * and (with ForensicCidr) one forensic group per VPC, found by name and the irx:role tag or
 * created tagged, and their rules settled to what the role needs.
 *
 * Executions isolating instances of one VPC at the same moment (a fleet) share its groups and
 * race to make them: a group another execution created between the read and CreateSecurityGroup
 * (InvalidGroup.Duplicate) is described again by name and used as a found one, never claimed as
 * this run's; a rule change another made first (InvalidPermission.Duplicate or .NotFound) is
 * done, not a failure, and the group is described again and settled before any ENI moves.
 * Rollback never deletes the groups, so concurrent rollbacks cannot pull one from under an ENI.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "isolate.h"

#define NEW_GROUP_PLACEHOLDER_FMT "(new %s group)"

/* Classifies a rule list: allow-all from 0.0.0.0/0, from ::/0, from `only` (any protocol),
 * and anything else. */
struct rules {
	bool all_v4, all_v6, only;
	int other;
};

static struct rules classify(struct json_object *perms, const char *only)
{
	struct rules r = {0};

	for (size_t i = 0; i < jlen(perms); i++) {
		struct json_object *p = jidx(perms, i);
		const char *proto = irx_json_str(p, "IpProtocol");
		struct json_object *v4 = irx_json_get(p, "IpRanges"),
				   *v6 = irx_json_get(p, "Ipv6Ranges");
		bool any = proto && strcmp(proto, "-1") == 0;

		if (jlen(irx_json_get(p, "UserIdGroupPairs")) ||
		    jlen(irx_json_get(p, "PrefixListIds")))
			r.other++;
		for (size_t k = 0; k < jlen(v4); k++) {
			const char *c = irx_json_str(jidx(v4, k), "CidrIp");

			if (any && c && strcmp(c, "0.0.0.0/0") == 0)
				r.all_v4 = true;
			else if (any && c && only && strcmp(c, only) == 0)
				r.only = true;
			else
				r.other++;
		}
		for (size_t k = 0; k < jlen(v6); k++) {
			const char *c = irx_json_str(jidx(v6, k), "CidrIpv6");

			if (any && c && strcmp(c, "::/0") == 0)
				r.all_v6 = true;
			else if (any && c && only && strcmp(c, only) == 0)
				r.only = true;
			else
				r.other++;
		}
	}
	return r;
}

/* [{"IpProtocol":"-1","IpRanges":[{"CidrIp":v4}],"Ipv6Ranges":[{"CidrIpv6":v6}]}] */
static struct json_object *perm_all(const char *v4, const char *v6)
{
	struct json_object *a = json_object_new_array(), *p = json_object_new_object();

	json_object_object_add(p, "IpProtocol", json_object_new_string("-1"));
	if (v4) {
		struct json_object *r = json_object_new_array(), *c = json_object_new_object();

		json_object_object_add(c, "CidrIp", json_object_new_string(v4));
		json_object_array_add(r, c);
		json_object_object_add(p, "IpRanges", r);
	}
	if (v6) {
		struct json_object *r = json_object_new_array(), *c = json_object_new_object();

		json_object_object_add(c, "CidrIpv6", json_object_new_string(v6));
		json_object_array_add(r, c);
		json_object_object_add(p, "Ipv6Ranges", r);
	}
	json_object_array_add(a, p);
	return a;
}

/*
 * The answers that mean another execution sharing the group got there first: the rule it
 * adds is there, the rule it revokes is gone, the group it creates exists.
 */
static const char *const rule_there[] = {"InvalidPermission.Duplicate", NULL};
static const char *const rule_gone[] = {"InvalidPermission.NotFound", NULL};
static const char *const group_there[] = {"InvalidGroup.Duplicate", NULL};

static void rule_change(struct iso *s, struct wave *w, struct sgroup *g, const char *op,
			struct json_object *perms, const char *what)
{
	struct json_object *p = json_object_new_object();
	struct wcall *c = NULL;
	char text[512];

	json_object_object_add(p, "GroupId", json_object_new_string(g->id));
	json_object_object_add(p, "IpPermissions", perms);
	snprintf(text, sizeof(text), "%s of %s group '%s' (%s)", what, g->role, g->name, g->id);
	c = isolate_wave_change(s, w, text, "ec2", op, p, NULL, NULL, NULL, false);
	c->expected = strncmp(op, "Revoke", 6) == 0 ? rule_gone : rule_there;
	c->group = g;
}

/*
 * Makes a group what its role needs (the changes go in the wave), or refuses a group that says
 * otherwise. The allow-all egress CreateSecurityGroup adds is not a reason to refuse: the group
 * may be one another irx execution has just created and is still settling; whichever of them
 * changes a rule first wins and the others' answers say so (rule_there, rule_gone).
 * - isolation: no rules at all (the allow-all egress CreateSecurityGroup adds is revoked);
 * - untrack: all traffic in and out from 0.0.0.0/0 and ::/0 (that is what untracks flows);
 * - forensic: all traffic in from the forensic CIDR only, no egress.
 */
static int settle_rules(struct iso *s, struct wave *w, struct sgroup *g)
{
	struct json_object *in = irx_json_get(g->sg, "IpPermissions"),
			   *eg = irx_json_get(g->sg, "IpPermissionsEgress");
	bool forensic = strcmp(g->role, ROLE_FORENSIC) == 0;
	bool v6 = forensic && strchr(s->forensic_cidr, ':') != NULL;
	struct rules ri = classify(in, forensic ? s->forensic_cidr : NULL);
	struct rules re = classify(eg, NULL);

	if (strcmp(g->role, ROLE_UNTRACK) == 0) {
		if (!ri.all_v4 || !ri.all_v6)
			rule_change(
			    s, w, g, "AuthorizeSecurityGroupIngress",
			    perm_all(ri.all_v4 ? NULL : "0.0.0.0/0", ri.all_v6 ? NULL : "::/0"),
			    "allow all inbound traffic");
		if (!re.all_v4 || !re.all_v6)
			rule_change(
			    s, w, g, "AuthorizeSecurityGroupEgress",
			    perm_all(re.all_v4 ? NULL : "0.0.0.0/0", re.all_v6 ? NULL : "::/0"),
			    "allow all outbound traffic");
		return 0;
	}
	if (ri.other || re.other || ri.all_v4 || ri.all_v6)
		return s->h->fail(
		    s->ctx->call,
		    "cannot isolate instance '%s': %s group '%s' (%s) in vpc '%s' has "
		    "rules it must not have; remove them or choose another group name",
		    s->id, g->role, g->name, g->id, s->vpc);
	if (re.all_v4 || re.all_v6)
		rule_change(s, w, g, "RevokeSecurityGroupEgress",
			    perm_all(re.all_v4 ? "0.0.0.0/0" : NULL, re.all_v6 ? "::/0" : NULL),
			    "revoke the allow-all egress");
	if (forensic && !ri.only)
		rule_change(s, w, g, "AuthorizeSecurityGroupIngress",
			    perm_all(v6 ? NULL : s->forensic_cidr, v6 ? s->forensic_cidr : NULL),
			    "admit the forensic range");
	return 0;
}

static struct json_object *group_tags(struct iso *s, const char *role)
{
	struct json_object *spec = json_object_new_array(), *o = json_object_new_object();
	struct json_object *tags = json_object_new_array();

	json_object_array_add(tags, tag("irx:role", role));
	json_object_array_add(tags, tag("irx:execution-id", s->ctx->execution_id));
	if (s->ctx->case_id && *s->ctx->case_id)
		json_object_array_add(tags, tag("irx:case-id", s->ctx->case_id));
	json_object_array_add(tags, tag("irx:action", ACTION_NAME));
	if (strcmp(role, ROLE_FORENSIC) == 0)
		json_object_array_add(tags, tag("irx:forensic-cidr", s->forensic_cidr));
	json_object_object_add(o, "ResourceType", json_object_new_string("security-group"));
	json_object_object_add(o, "Tags", tags);
	json_object_array_add(spec, o);
	return spec;
}

static const char *group_description(enum group_kind k)
{
	switch (k) {
	case G_UNTRACK:
		return "irx untrack group: allows all traffic so tracked flows become untracked";
	case G_ISOLATION:
		return "irx isolation group: no rules, isolates the instances that hold it";
	case G_FORENSIC:
		return "irx forensic group: admits only the responders' range";
	case G_COUNT:
		break;
	}
	return "irx";
}

/*
 * One untrack and one isolation group per VPC (never one per incident: they leak), found by
 * name and the irx:role tag, or created tagged (so a crash right after creation leaves a group
 * the next run finds and finishes). isolate_read_groups goes with the reads; isolate_find_groups
 * refuses a group irx did not make before anything changes.
 */
void isolate_read_groups(struct iso *s, struct wave *w)
{
	struct json_object *p = json_object_new_object(), *names = json_object_new_array();
	struct json_object *fs = NULL, *f = json_object_new_object();

	for (int k = 0; k < G_COUNT; k++)
		if (s->groups[k].wanted)
			json_object_array_add(names, json_object_new_string(s->groups[k].name));
	fs = filter("vpc-id", str_array1(s->vpc));
	json_object_object_add(f, "Name", json_object_new_string("group-name"));
	json_object_object_add(f, "Values", names);
	json_object_array_add(fs, f);
	json_object_object_add(p, "Filters", fs);
	isolate_wave_read(w, "ec2", "DescribeSecurityGroups", p, &s->r_sgs);
}

/* The group named g->name in the instance's VPC among a DescribeSecurityGroups answer. */
static struct json_object *group_named(struct iso *s, struct json_object *resp,
				       const struct sgroup *g)
{
	struct json_object *sgs = irx_json_get(resp, "SecurityGroups"), *found = NULL;

	for (size_t i = 0; i < jlen(sgs); i++) {
		const char *n = irx_json_str(jidx(sgs, i), "GroupName");
		const char *v = irx_json_str(jidx(sgs, i), "VpcId");

		if (n && strcmp(n, g->name) == 0 && (!v || strcmp(v, s->vpc) == 0))
			found = jidx(sgs, i);
	}
	return found;
}

/* Takes the described group g->sg as g's, or refuses it when irx did not make it. */
static int take_group(struct iso *s, struct sgroup *g)
{
	const char *role = tag_value(irx_json_get(g->sg, "Tags"), "irx:role");

	snprintf(g->id, sizeof(g->id), "%s", jstr0(g->sg, "GroupId"));
	/* A group irx did not make could hold anything: never trust it by name. */
	if (!role || strcmp(role, g->role) != 0)
		return s->h->fail(s->ctx->call,
				  "cannot isolate instance '%s': security group '%s' (%s) "
				  "in vpc '%s' is not tagged irx:role=%s, so irx did not "
				  "create it; rename it or choose another group name",
				  s->id, g->name, g->id, s->vpc, g->role);
	return 0;
}

int isolate_find_groups(struct iso *s)
{
	for (int k = 0; k < G_COUNT; k++) {
		struct sgroup *g = &s->groups[k];

		if (!g->wanted)
			continue;
		g->sg = group_named(s, s->r_sgs, g);
		if (g->sg && take_group(s, g) < 0)
			return -1;
	}
	return 0;
}

/* The groups that are missing, created (in the wave); the found ones' rules settled. */
int isolate_plan_groups(struct iso *s, struct wave *w)
{
	for (int k = 0; k < G_COUNT; k++) {
		struct sgroup *g = &s->groups[k];
		struct json_object *cp = NULL;
		struct wcall *c = NULL;
		char what[512];

		if (!g->wanted)
			continue;
		if (g->sg) {
			if (settle_rules(s, w, g) < 0)
				return -1;
			continue;
		}
		cp = json_object_new_object();
		json_object_object_add(cp, "GroupName", json_object_new_string(g->name));
		json_object_object_add(
		    cp, "Description",
		    json_object_new_string(group_description((enum group_kind)k)));
		json_object_object_add(cp, "VpcId", json_object_new_string(s->vpc));
		json_object_object_add(cp, "TagSpecifications", group_tags(s, g->role));
		snprintf(what, sizeof(what), "create %s group '%s' in vpc '%s'", g->role, g->name,
			 s->vpc);
		c = isolate_wave_change(s, w, what, "ec2", "CreateSecurityGroup", cp,
					&s->r_create[k], NULL, NULL, false);
		/* Another execution in the VPC may create it between our read and this. */
		c->expected = group_there;
		c->group = g;
		g->created = true;
	}
	return 0;
}

/*
 * After the creation wave: the new groups' ids, and their describe in the next wave. A group
 * another execution created first (InvalidGroup.Duplicate) is not this run's: it is described
 * by name, as in the reads, and then taken like a found one.
 */
int isolate_created_groups(struct iso *s, struct wave *w)
{
	struct json_object *ids = json_object_new_array(), *names = json_object_new_array();

	for (int k = 0; k < G_COUNT; k++) {
		struct sgroup *g = &s->groups[k];

		if (g->raced) {
			g->created = false;
			json_object_array_add(names, json_object_new_string(g->name));
			continue;
		}
		if (!g->created)
			continue;
		if (s->ctx->dry_run) {
			/* What CreateSecurityGroup makes: one allow-all IPv4 egress rule. */
			snprintf(g->id, sizeof(g->id), NEW_GROUP_PLACEHOLDER_FMT, g->role);
			g->sg = json_object_new_object();
			json_object_array_add(s->keep, g->sg);
			json_object_object_add(g->sg, "IpPermissionsEgress",
					       perm_all("0.0.0.0/0", NULL));
			continue;
		}
		if (!irx_json_str(s->r_create[k], "GroupId")) {
			json_object_put(ids);
			json_object_put(names);
			return s->h->fail(s->ctx->call,
					  "cannot isolate instance '%s': CreateSecurityGroup "
					  "gave no GroupId",
					  s->id);
		}
		snprintf(g->id, sizeof(g->id), "%s", irx_json_str(s->r_create[k], "GroupId"));
		json_object_array_add(ids, json_object_new_string(g->id));
	}
	if (jlen(ids)) {
		/* The rules a new group really got (IPv4, and IPv6 in some VPCs). */
		struct json_object *dp = json_object_new_object();

		json_object_object_add(dp, "GroupIds", ids);
		isolate_wave_read(w, "ec2", "DescribeSecurityGroups", dp, &s->r_created);
	} else {
		json_object_put(ids);
	}
	if (jlen(names)) {
		struct json_object *dp = json_object_new_object(), *f = json_object_new_object();
		struct json_object *fs = filter("vpc-id", str_array1(s->vpc));

		json_object_object_add(f, "Name", json_object_new_string("group-name"));
		json_object_object_add(f, "Values", names);
		json_object_array_add(fs, f);
		json_object_object_add(dp, "Filters", fs);
		isolate_wave_read(w, "ec2", "DescribeSecurityGroups", dp, &s->r_raced);
	} else {
		json_object_put(names);
	}
	return 0;
}

/* After the describe of the new groups: their rules settled (in the wave). */
int isolate_settle_created(struct iso *s, struct wave *w)
{
	struct json_object *sgs = irx_json_get(s->r_created, "SecurityGroups");

	for (int k = 0; k < G_COUNT; k++) {
		struct sgroup *g = &s->groups[k];

		if (!g->raced)
			continue;
		g->sg = group_named(s, s->r_raced, g);
		if (!g->sg)
			return s->h->fail(s->ctx->call,
					  "cannot isolate instance '%s': CreateSecurityGroup said "
					  "%s group '%s' already exists in vpc '%s', but it is not "
					  "found",
					  s->id, g->role, g->name, s->vpc);
		/* the same refusal as for a group found in the reads */
		if (take_group(s, g) < 0 || settle_rules(s, w, g) < 0)
			return -1;
	}

	for (size_t i = 0; i < jlen(sgs); i++) {
		struct json_object *sg = jidx(sgs, i);

		for (int k = 0; k < G_COUNT; k++)
			if (s->groups[k].created &&
			    strcmp(s->groups[k].id, jstr0(sg, "GroupId")) == 0)
				s->groups[k].sg = sg;
	}
	for (int k = 0; k < G_COUNT; k++) {
		struct sgroup *g = &s->groups[k];

		if (!g->created)
			continue;
		if (!g->sg)
			return s->h->fail(s->ctx->call,
					  "cannot isolate instance '%s': new %s group '%s' is not "
					  "found",
					  s->id, g->role, g->id);
		if (settle_rules(s, w, g) < 0)
			return -1;
	}
	json_object_object_add(s->res->outputs, "UntrackGroupId",
			       json_object_new_string(s->groups[G_UNTRACK].id));
	json_object_object_add(s->res->outputs, "IsolationGroupId",
			       json_object_new_string(s->groups[G_ISOLATION].id));
	if (s->groups[G_FORENSIC].wanted)
		json_object_object_add(s->res->outputs, "ForensicGroupId",
				       json_object_new_string(s->groups[G_FORENSIC].id));
	return 0;
}

/*
 * The groups whose rule changes were answered "already so" (another execution settling the
 * same group got there first): described again and settled again until nothing is left to
 * change, so no ENI is put in a group that still allows what it must not. Each round is one
 * describe and one wave of changes; a few rounds settle any interleaving of executions that
 * all move the group towards the same rules.
 */
#define RECHECK_ROUNDS 4

int isolate_recheck_groups(struct iso *s, struct wave *w)
{
	for (int round = 0;; round++) {
		struct json_object *ids = json_object_new_array(), *p = NULL;

		for (int k = 0; k < G_COUNT; k++)
			if (s->groups[k].recheck)
				json_object_array_add(ids, json_object_new_string(s->groups[k].id));
		if (!jlen(ids)) {
			json_object_put(ids);
			return 0;
		}
		if (round == RECHECK_ROUNDS) {
			json_object_put(ids);
			for (int k = 0; k < G_COUNT; k++)
				if (s->groups[k].recheck)
					return s->h->fail(
					    s->ctx->call,
					    "cannot isolate instance '%s': the rules of %s group "
					    "'%s' (%s) kept changing while irx settled them; run "
					    "again",
					    s->id, s->groups[k].role, s->groups[k].name,
					    s->groups[k].id);
		}
		p = json_object_new_object();
		json_object_object_add(p, "GroupIds", ids);
		if (isolate_aws_read(s, "ec2", "DescribeSecurityGroups", p, &s->r_recheck) < 0)
			return -1;
		for (int k = 0; k < G_COUNT; k++) {
			struct sgroup *g = &s->groups[k];
			struct json_object *sgs = irx_json_get(s->r_recheck, "SecurityGroups");

			if (!g->recheck)
				continue;
			g->recheck = false;
			g->sg = NULL;
			for (size_t i = 0; i < jlen(sgs); i++)
				if (strcmp(jstr0(jidx(sgs, i), "GroupId"), g->id) == 0)
					g->sg = jidx(sgs, i);
			if (!g->sg)
				return s->h->fail(
				    s->ctx->call,
				    "cannot isolate instance '%s': %s group '%s' (%s) "
				    "is not found",
				    s->id, g->role, g->name, g->id);
			if (settle_rules(s, w, g) < 0)
				return -1;
		}
		if (isolate_wave_send(s, w) < 0)
			return -1;
	}
}
