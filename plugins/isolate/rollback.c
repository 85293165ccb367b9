/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rollback of isolate:ec2Instance: the undo record played back in reverse, each part checked
 * against the live state first so a change someone made since isolation is left alone (and
 * said in NotRestored). The security groups stay: they are shared per VPC.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "isolate.h"

struct undo_ctx {
	const struct irx_context *ctx;
	const struct irx_host *h;
	struct irx_result *res;
	struct json_object *undo;
	const char *id;
	struct json_object *keep;
	struct json_object *instance; /* live, or NULL when it is gone */
	struct json_object *not_restored;
	struct json_object *restored;
	int failures;
};

static void not_restored(struct undo_ctx *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void not_restored(struct undo_ctx *u, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	u->h->log(u->ctx->call, IRX_LOG_WARN, "not restored: %s", buf);
	json_object_array_add(u->not_restored, json_object_new_string(buf));
}

static int u_read(struct undo_ctx *u, const char *svc, const char *op, struct json_object *params,
		  struct json_object **resp)
{
	struct json_object *r = NULL;

	*resp = NULL;
	if (irx_call_aws(u->ctx, svc, op, params, &r) < 0) {
		json_object_put(r);
		u->failures++;
		return -1;
	}
	if (!r)
		r = json_object_new_object();
	json_object_array_add(u->keep, r);
	*resp = r;
	return 0;
}

/* A restoring change: a failure is counted (the step fails) and the rest goes on. */
static int u_change(struct undo_ctx *u, const char *what, const char *svc, const char *op,
		    struct json_object *params)
{
	struct json_object *r = NULL;

	u->h->log(u->ctx->call, IRX_LOG_INFO, "%s%s", u->ctx->dry_run ? "would " : "", what);
	if (u_read(u, svc, op, params, &r) < 0) {
		u->h->log(u->ctx->call, IRX_LOG_ERROR, "could not %s", what);
		return -1;
	}
	json_object_array_add(u->restored, json_object_new_string(what));
	return 0;
}

static void undo_tags(struct undo_ctx *u)
{
	struct json_object *t = irx_json_get(u->undo, "Tags"), *added = irx_json_get(t, "Added");
	struct json_object *prev = irx_json_get(t, "Previous"), *p = NULL, *tags = NULL;

	if (!t)
		return;
	if (jlen(added)) {
		tags = json_object_new_array();
		for (size_t i = 0; i < jlen(added); i++)
			json_object_array_add(tags,
					      tag(json_object_get_string(jidx(added, i)), NULL));
		p = json_object_new_object();
		json_object_object_add(p, "Resources", str_array1(u->id));
		json_object_object_add(p, "Tags", tags);
		u_change(u, "remove the irx tags", "ec2", "DeleteTags", p);
	}
	if (prev && json_object_object_length(prev)) {
		tags = json_object_new_array();
		json_object_object_foreach(prev, k, v)
		    json_object_array_add(tags, tag(k, json_object_get_string(v)));
		p = json_object_new_object();
		json_object_object_add(p, "Resources", str_array1(u->id));
		json_object_object_add(p, "Tags", tags);
		u_change(u, "restore the previous irx tags", "ec2", "CreateTags", p);
	}
}

static void undo_policy(struct undo_ctx *u)
{
	struct json_object *rp = irx_json_get(u->undo, "RolePolicy"), *p = NULL, *r = NULL;
	const char *role = irx_json_str(rp, "RoleName"), *name = irx_json_str(rp, "PolicyName");
	const char *marker = NULL;
	bool has = false;
	char what[512];

	if (!rp)
		return;
	if (!role || !name) {
		not_restored(u, "the role policy record lacks RoleName or PolicyName");
		u->failures++;
		return;
	}
	do {
		p = json_object_new_object();
		json_object_object_add(p, "RoleName", json_object_new_string(role));
		if (marker)
			json_object_object_add(p, "Marker", json_object_new_string(marker));
		if (u_read(u, "iam", "ListRolePolicies", p, &r) < 0)
			return;
		has = has || irx_json_array_has(irx_json_get(r, "PolicyNames"), name);
		marker = irx_json_bool(r, "IsTruncated") ? irx_json_str(r, "Marker") : NULL;
	} while (marker && !has);
	if (!has) {
		not_restored(u, "inline policy '%s' is no longer on role '%s': nothing to delete",
			     name, role);
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "RoleName", json_object_new_string(role));
	json_object_object_add(p, "PolicyName", json_object_new_string(name));
	snprintf(what, sizeof(what), "delete inline policy '%s' from role '%s'", name, role);
	u_change(u, what, "iam", "DeleteRolePolicy", p);
}

static void undo_addresses(struct undo_ctx *u)
{
	struct json_object *recs = irx_json_get(u->undo, "Addresses"), *ids = NULL, *p = NULL,
			   *r = NULL;

	if (!jlen(recs))
		return;
	ids = json_object_new_array();
	for (size_t i = 0; i < jlen(recs); i++)
		if (irx_json_str(jidx(recs, i), "AllocationId"))
			json_object_array_add(ids, json_object_new_string(irx_json_str(
						       jidx(recs, i), "AllocationId")));
	p = json_object_new_object();
	json_object_object_add(p, "Filters", filter("allocation-id", ids));
	if (u_read(u, "ec2", "DescribeAddresses", p, &r) < 0)
		return;
	for (size_t i = 0; i < jlen(recs); i++) {
		struct json_object *rec = jidx(recs, i), *live = NULL, *ap = NULL;
		const char *alloc = irx_json_str(rec, "AllocationId"),
			   *ip = irx_json_str(rec, "PublicIp");
		char what[512];

		for (size_t k = 0; alloc && k < jlen(irx_json_get(r, "Addresses")); k++)
			if (strcmp(jstr0(jidx(irx_json_get(r, "Addresses"), k), "AllocationId"),
				   alloc) == 0)
				live = jidx(irx_json_get(r, "Addresses"), k);
		if (!alloc || !live) {
			not_restored(u, "elastic ip %s was released", ip ? ip : "?");
			continue;
		}
		if (irx_json_str(live, "AssociationId")) {
			const char *now = irx_json_str(live, "NetworkInterfaceId");
			const char *was = irx_json_str(rec, "NetworkInterfaceId");

			if (!(now && was && strcmp(now, was) == 0))
				not_restored(u, "elastic ip %s is associated elsewhere now (%s)",
					     ip ? ip : alloc, now ? now : "?");
			continue;
		}
		ap = json_object_new_object();
		json_object_object_add(ap, "AllocationId", json_object_new_string(alloc));
		if (irx_json_str(rec, "NetworkInterfaceId"))
			json_object_object_add(
			    ap, "NetworkInterfaceId",
			    json_object_new_string(irx_json_str(rec, "NetworkInterfaceId")));
		if (irx_json_str(rec, "PrivateIpAddress"))
			json_object_object_add(
			    ap, "PrivateIpAddress",
			    json_object_new_string(irx_json_str(rec, "PrivateIpAddress")));
		json_object_object_add(ap, "AllowReassociation", json_object_new_boolean(0));
		snprintf(what, sizeof(what), "re-associate elastic ip %s", ip ? ip : alloc);
		u_change(u, what, "ec2", "AssociateAddress", ap);
	}
}

static struct json_object *live_eni(struct undo_ctx *u, const char *eni)
{
	struct json_object *nis = irx_json_get(u->instance, "NetworkInterfaces");

	for (size_t i = 0; i < jlen(nis); i++)
		if (strcmp(jstr0(jidx(nis, i), "NetworkInterfaceId"), eni) == 0)
			return jidx(nis, i);
	return NULL;
}

/* Is id one of the groups the undo record names as irx's (role -> group id)? */
/* True when id is one of the undo record's groups (a damaged record has none: not ours). */
static bool is_irx_group(struct json_object *sgs, const char *id)
{
	bool ours = false;

	if (!id || !json_object_is_type(sgs, json_type_object))
		return false;
	json_object_object_foreach(sgs, k, v)
	{
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
									   : NULL;

		(void)k;
		ours = ours || (s && strcmp(s, id) == 0);
	}
	return ours;
}

static void undo_enis(struct undo_ctx *u)
{
	struct json_object *recs = irx_json_get(u->undo, "NetworkInterfaces");
	struct json_object *sgs = irx_json_get(u->undo, "SecurityGroups");

	for (size_t i = 0; i < jlen(recs); i++) {
		struct json_object *rec = jidx(recs, i),
				   *orig = irx_json_get(rec, "OriginalGroups");
		const char *eni = irx_json_str(rec, "NetworkInterfaceId");
		struct json_object *live = eni ? live_eni(u, eni) : NULL, *ids = NULL, *p = NULL;
		bool ours = true;
		char what[1024];

		if (!eni)
			continue;
		if (!orig) {
			not_restored(
			    u,
			    "'%s' already held irx groups when this run started: roll back "
			    "the execution that isolated it first",
			    eni);
			continue;
		}
		if (!live) {
			not_restored(u, "'%s' is no longer attached to '%s'", eni, u->id);
			continue;
		}
		ids = isolate_eni_group_ids(live);
		if (same_set(ids, orig)) {
			json_object_put(ids);
			continue;
		}
		for (size_t k = 0; k < jlen(ids); k++)
			ours = ours && is_irx_group(sgs, json_object_get_string(jidx(ids, k)));
		if (!ours) {
			/* Someone changed it after isolation: do not clobber their change. */
			not_restored(
			    u, "groups of '%s' were changed since isolation (%s): left alone", eni,
			    json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN));
			json_object_put(ids);
			continue;
		}
		json_object_put(ids);
		p = json_object_new_object();
		json_object_object_add(p, "NetworkInterfaceId", json_object_new_string(eni));
		json_object_object_add(p, "Groups", json_object_get(orig));
		snprintf(what, sizeof(what), "restore groups %s on '%s'",
			 json_object_to_json_string_ext(orig, JSON_C_TO_STRING_PLAIN), eni);
		u_change(u, what, "ec2", "ModifyNetworkInterfaceAttribute", p);
	}
}

static void undo_conntrack(struct undo_ctx *u)
{
	struct json_object *recs = irx_json_get(u->undo, "ConnectionTracking");

	for (size_t i = 0; i < jlen(recs); i++) {
		struct json_object *rec = jidx(recs, i), *prev = irx_json_get(rec, "Previous"),
				   *p = NULL;
		const char *eni = irx_json_str(rec, "NetworkInterfaceId");
		char what[512];

		if (!eni || !prev)
			continue;
		if (!live_eni(u, eni)) {
			not_restored(u, "connection tracking of '%s': no longer attached to '%s'",
				     eni, u->id);
			continue;
		}
		p = json_object_new_object();
		json_object_object_add(p, "NetworkInterfaceId", json_object_new_string(eni));
		json_object_object_add(p, "ConnectionTrackingSpecification", json_object_get(prev));
		snprintf(what, sizeof(what), "restore connection tracking timeouts of '%s'", eni);
		u_change(u, what, "ec2", "ModifyNetworkInterfaceAttribute", p);
	}
}

static void undo_targets(struct undo_ctx *u)
{
	struct json_object *recs = irx_json_get(u->undo, "TargetGroups");

	if (jlen(recs) && !u->instance) {
		not_restored(u, "target group registrations: '%s' is gone", u->id);
		return;
	}
	for (size_t i = 0; i < jlen(recs); i++) {
		struct json_object *rec = jidx(recs, i), *p = json_object_new_object();
		char what[1024];

		json_object_object_add(p, "TargetGroupArn",
				       json_object_get(irx_json_get(rec, "TargetGroupArn")));
		json_object_object_add(p, "Targets", json_object_get(irx_json_get(rec, "Targets")));
		snprintf(what, sizeof(what), "register '%s' in target group '%s' again", u->id,
			 jstr0(rec, "TargetGroupArn"));
		u_change(u, what, "elasticloadbalancingv2", "RegisterTargets", p);
	}
}

static void undo_asg(struct undo_ctx *u)
{
	struct json_object *rec = irx_json_get(u->undo, "AutoScaling"), *p = NULL, *r = NULL,
			   *a = NULL;
	const char *group = irx_json_str(rec, "AutoScalingGroupName"),
		   *mode = irx_json_str(rec, "Mode");
	const char *now_group = NULL, *life = NULL;
	char what[512];

	if (!rec)
		return;
	if (!group || !mode) {
		not_restored(u, "the auto scaling record lacks AutoScalingGroupName or Mode");
		u->failures++;
		return;
	}
	if (!u->instance) {
		not_restored(u, "auto scaling group '%s': '%s' is gone", group, u->id);
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "InstanceIds", str_array1(u->id));
	if (u_read(u, "autoscaling", "DescribeAutoScalingInstances", p, &r) < 0)
		return;
	a = jidx(irx_json_get(r, "AutoScalingInstances"), 0);
	now_group = irx_json_str(a, "AutoScalingGroupName");
	life = irx_json_str(a, "LifecycleState");
	p = json_object_new_object();
	json_object_object_add(p, "AutoScalingGroupName", json_object_new_string(group));
	json_object_object_add(p, "InstanceIds", str_array1(u->id));
	if (strcmp(mode, "standby") == 0) {
		if (!now_group || strcmp(now_group, group) != 0) {
			not_restored(u, "'%s' is no longer in auto scaling group '%s'", u->id,
				     group);
			json_object_put(p);
		} else if (life && strcmp(life, "Standby") == 0) {
			snprintf(what, sizeof(what), "take '%s' out of standby in '%s'", u->id,
				 group);
			u_change(u, what, "autoscaling", "ExitStandby", p);
		} else {
			json_object_put(p);
		}
		return;
	}
	if (now_group) {
		if (strcmp(now_group, group) != 0)
			not_restored(u, "'%s' is in auto scaling group '%s' now, not '%s'", u->id,
				     now_group, group);
		json_object_put(p);
		return;
	}
	snprintf(what, sizeof(what), "attach '%s' to auto scaling group '%s' again", u->id, group);
	u_change(u, what, "autoscaling", "AttachInstances", p);
}

/* After undo_asg (the instance counts again): the minimum isolate_lower_min_size lowered, unless
 * someone has changed it since. */
static void undo_min_size(struct undo_ctx *u)
{
	struct json_object *rec = irx_json_get(u->undo, "AutoScalingMinSize"), *p = NULL, *r = NULL;
	const char *group = irx_json_str(rec, "AutoScalingGroupName");
	int min = json_object_get_int(irx_json_get(rec, "MinSize"));
	int lowered = json_object_get_int(irx_json_get(rec, "LoweredTo")), now = 0;
	char what[512];

	if (!rec)
		return;
	if (!group || !irx_json_get(rec, "MinSize") || !irx_json_get(rec, "LoweredTo")) {
		not_restored(u, "the auto scaling minimum size record lacks AutoScalingGroupName, "
				"MinSize or LoweredTo");
		u->failures++;
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "AutoScalingGroupNames", str_array1(group));
	if (u_read(u, "autoscaling", "DescribeAutoScalingGroups", p, &r) < 0)
		return;
	if (!jidx(irx_json_get(r, "AutoScalingGroups"), 0)) {
		not_restored(u, "the minimum size of auto scaling group '%s': the group is gone",
			     group);
		return;
	}
	now = json_object_get_int(
	    irx_json_get(jidx(irx_json_get(r, "AutoScalingGroups"), 0), "MinSize"));
	if (now != lowered) {
		if (now != min)
			not_restored(u,
				     "the minimum size of auto scaling group '%s' is %d now, not "
				     "the %d isolation set: left as it is (it was %d)",
				     group, now, lowered, min);
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "AutoScalingGroupName", json_object_new_string(group));
	json_object_object_add(p, "MinSize", json_object_new_int(min));
	snprintf(what, sizeof(what), "restore the minimum size of auto scaling group '%s' to %d",
		 group, min);
	u_change(u, what, "autoscaling", "UpdateAutoScalingGroup", p);
}

static void undo_attributes(struct undo_ctx *u)
{
	struct json_object *term = irx_json_get(u->undo, "DisableApiTermination");
	const char *shutdown = irx_json_str(u->undo, "ShutdownBehavior");
	struct json_object *maps = irx_json_get(u->undo, "DeleteOnTermination"), *p = NULL;
	char what[256];

	if (!term && !shutdown && !jlen(maps))
		return;
	if (!u->instance) {
		not_restored(u,
			     "termination protection, shutdown behaviour and volumes: '%s' is "
			     "gone",
			     u->id);
		return;
	}
	if (jlen(maps)) {
		/* Only the volumes still attached where they were. */
		struct json_object *live = irx_json_get(u->instance, "BlockDeviceMappings");
		struct json_object *back = json_object_new_array();

		for (size_t i = 0; i < jlen(maps); i++) {
			struct json_object *m = jidx(maps, i), *o = NULL, *e = NULL;
			const char *vol = irx_json_str(irx_json_get(m, "Ebs"), "VolumeId");
			bool attached = false;

			for (size_t k = 0; vol && k < jlen(live); k++)
				attached =
				    attached ||
				    strcmp(jstr0(irx_json_get(jidx(live, k), "Ebs"), "VolumeId"),
					   vol) == 0;
			if (!attached) {
				not_restored(u, "volume %s is no longer attached to '%s'",
					     vol ? vol : "?", u->id);
				continue;
			}
			o = json_object_new_object();
			e = json_object_new_object();
			json_object_object_add(o, "DeviceName",
					       json_object_get(irx_json_get(m, "DeviceName")));
			json_object_object_add(e, "VolumeId", json_object_new_string(vol));
			json_object_object_add(e, "DeleteOnTermination",
					       json_object_new_boolean(1));
			json_object_object_add(o, "Ebs", e);
			json_object_array_add(back, o);
		}
		if (jlen(back)) {
			p = json_object_new_object();
			json_object_object_add(p, "InstanceId", json_object_new_string(u->id));
			json_object_object_add(p, "BlockDeviceMappings", back);
			snprintf(what, sizeof(what), "delete volumes of '%s' on termination again",
				 u->id);
			u_change(u, what, "ec2", "ModifyInstanceAttribute", p);
		} else {
			json_object_put(back);
		}
	}
	if (shutdown) {
		p = json_object_new_object();
		json_object_object_add(p, "InstanceId", json_object_new_string(u->id));
		json_object_object_add(p, "InstanceInitiatedShutdownBehavior",
				       attr_value(json_object_new_string(shutdown)));
		snprintf(what, sizeof(what), "set shutdown behaviour of '%s' back to %s", u->id,
			 shutdown);
		u_change(u, what, "ec2", "ModifyInstanceAttribute", p);
	}
	if (term) {
		p = json_object_new_object();
		json_object_object_add(p, "InstanceId", json_object_new_string(u->id));
		json_object_object_add(
		    p, "DisableApiTermination",
		    attr_value(json_object_new_boolean(json_object_get_boolean(term))));
		snprintf(what, sizeof(what), "turn termination protection of '%s' back off", u->id);
		u_change(u, what, "ec2", "ModifyInstanceAttribute", p);
	}
}

/*
 * Undoes in reverse order: the network comes back before the instance returns to service
 * (so it passes its health checks), and evidence protection goes last. Security groups irx
 * created stay: they are shared per VPC.
 */
int isolate_release_instance(const struct irx_context *ctx, struct json_object *undo,
			     struct irx_result *res)
{
	struct undo_ctx u = {0};
	struct json_object *p = NULL, *r = NULL;
	char text[2048];
	int rc = -1;

	u.ctx = ctx;
	u.h = ctx->host;
	u.res = res;
	u.undo = undo;
	u.id = irx_json_str(undo, "InstanceId");
	u.keep = json_object_new_array();
	u.not_restored = json_object_new_array();
	u.restored = json_object_new_array();
	json_object_object_add(res->outputs, "NotRestored", u.not_restored);
	json_object_object_add(res->outputs, ctx->dry_run ? "PlannedChanges" : "Restored",
			       u.restored);
	if (!u.id || !isolate_is_instance_id(u.id)) {
		ctx->host->fail(ctx->call, "undo record lacks a valid InstanceId");
		goto out;
	}
	if (!ctx->host->aws_call) {
		ctx->host->fail(ctx->call, "isolate:ec2Instance needs an AWS client");
		goto out;
	}
	/* Live state: by filter, so a gone instance is an empty answer, not an error. */
	p = json_object_new_object();
	json_object_object_add(p, "Filters", filter("instance-id", str_array1(u.id)));
	if (u_read(&u, "ec2", "DescribeInstances", p, &r) < 0)
		goto out;
	u.instance = jidx(irx_json_get(jidx(irx_json_get(r, "Reservations"), 0), "Instances"), 0);
	if (u.instance) {
		const char *st = irx_json_str(irx_json_get(u.instance, "State"), "Name");

		if (st && strcmp(st, "terminated") == 0)
			u.instance = NULL;
	}
	if (u.instance)
		undo_tags(&u);
	else if (irx_json_get(undo, "Tags"))
		not_restored(&u, "tags: '%s' is gone", u.id);
	undo_policy(&u);
	if (u.instance) {
		undo_addresses(&u);
		undo_enis(&u);
		undo_conntrack(&u);
	} else if (irx_json_get(undo, "NetworkInterfaces") || irx_json_get(undo, "Addresses")) {
		not_restored(&u, "network interfaces and addresses: '%s' is gone", u.id);
	}
	undo_targets(&u);
	undo_asg(&u);
	undo_min_size(&u);
	undo_attributes(&u);

	if (jlen(u.not_restored)) {
		snprintf(text, sizeof(text), "%s isolation of '%s'; not restored: %s",
			 ctx->dry_run ? "would roll back" : "rolled back", u.id,
			 json_object_to_json_string_ext(u.not_restored,
							JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		snprintf(text, sizeof(text), "%s isolation of '%s'",
			 ctx->dry_run ? "would roll back" : "rolled back", u.id);
	}
	irx_result_summary(res, "Summary", text);
	rc = u.failures ? -1 : 0;
	if (rc < 0)
		ctx->host->fail(ctx->call,
				"cannot fully roll back isolation of '%s': %d change%s failed",
				u.id, u.failures, u.failures == 1 ? "" : "s");
out:
	json_object_put(u.keep);
	return rc;
}
