/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Out of service (step 3): the instance leaves its Auto Scaling group (standby or detach, the
 * group's minimum lowered first when it is at it) and its ELBv2 target groups, before the
 * network changes make it fail its health checks.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"

/*
 * Before the network changes: an isolated instance fails its health checks, and its Auto
 * Scaling group would terminate it (evidence gone) and its load balancers keep sending users.
 * isolate_check_auto_scaling refuses before anything changes; isolate_auto_scaling plans the
 * change.
 */
int isolate_check_auto_scaling(struct iso *s, const char **group, const char **life)
{
	struct json_object *a = jidx(irx_json_get(s->r_asg, "AutoScalingInstances"), 0);
	bool standby = strcmp(s->asg_mode, "standby") == 0;

	*group = *life = NULL;
	if (!a)
		return 0;
	*group = irx_json_str(a, "AutoScalingGroupName");
	*life = irx_json_str(a, "LifecycleState");
	if (!*group || !*life)
		return s->h->fail(s->ctx->call,
				  "cannot isolate instance '%s': DescribeAutoScalingInstances gave "
				  "no group or lifecycle state",
				  s->id);
	json_object_object_add(s->res->outputs, "AutoScalingGroupName",
			       json_object_new_string(*group));
	if (standby && (strcmp(*life, "Standby") == 0 || strcmp(*life, "EnteringStandby") == 0)) {
		*group = NULL;
		return 0;
	}
	if (strcmp(*life, "InService") != 0 && !(!standby && strcmp(*life, "Standby") == 0))
		return s->h->fail(s->ctx->call,
				  "cannot isolate instance '%s': it is %s in auto scaling group "
				  "'%s'; %s needs it InService",
				  s->id, *life, *group, standby ? "standby" : "detaching");
	return 0;
}

void isolate_auto_scaling(struct iso *s, struct wave *w, const char *group, const char *life)
{
	struct json_object *p = NULL, *rec = NULL;
	bool standby = strcmp(s->asg_mode, "standby") == 0;
	char what[512];

	if (!group)
		return;
	rec = json_object_new_object();
	json_object_object_add(rec, "AutoScalingGroupName", json_object_new_string(group));
	json_object_object_add(rec, "Mode", json_object_new_string(s->asg_mode));
	json_object_object_add(rec, "LifecycleState", json_object_new_string(life));
	p = json_object_new_object();
	json_object_object_add(p, "AutoScalingGroupName", json_object_new_string(group));
	json_object_object_add(p, "InstanceIds", str_array1(s->id));
	/* Decrement: otherwise the group launches a replacement for a machine that still exists. */
	json_object_object_add(p, "ShouldDecrementDesiredCapacity", json_object_new_boolean(1));
	snprintf(what, sizeof(what), "%s '%s' %s auto scaling group '%s'",
		 standby ? "put" : "detach", s->id, standby ? "in standby in" : "from", group);
	isolate_wave_change(s, w, what, "autoscaling", standby ? "EnterStandby" : "DetachInstances",
			    p, NULL, "AutoScaling", rec, false);
}

/*
 * AWS refuses to decrement a group's desired capacity below its minimum size, so an instance in
 * a group at its minimum (a group of one, often) can neither enter standby nor be detached as
 * isolate_auto_scaling asks: lower the minimum first (recorded, restored on rollback), still
 * without a replacement launched for a machine that exists. The group's sizes need its name
 * (wave 3); the lowering goes in wave 4 and the standby after it, in wave 5 (else the standby
 * goes in wave 4): both still before the groups change in wave 6.
 */
void isolate_read_asg_group(struct iso *s, struct wave *w, const char *group)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "AutoScalingGroupNames", str_array1(group));
	isolate_wave_read(w, "autoscaling", "DescribeAutoScalingGroups", p, &s->r_asg_group);
}

/* Plans the lowering in the wave when the group is at its minimum; *lowered says so. */
int isolate_lower_min_size(struct iso *s, struct wave *w, const char *group, bool *lowered)
{
	struct json_object *p = NULL,
			   *g = jidx(irx_json_get(s->r_asg_group, "AutoScalingGroups"), 0);
	struct json_object *rec = NULL;
	int min = 0, desired = 0, to = 0;
	char what[512];

	*lowered = false;
	if (!g)
		return s->h->fail(s->ctx->call,
				  "cannot isolate instance '%s': auto scaling group '%s' not found",
				  s->id, group);
	min = json_object_get_int(irx_json_get(g, "MinSize"));
	desired = json_object_get_int(irx_json_get(g, "DesiredCapacity"));
	if (desired - 1 >= min)
		return 0;
	to = desired > 0 ? desired - 1 : 0;
	rec = json_object_new_object();
	json_object_object_add(rec, "AutoScalingGroupName", json_object_new_string(group));
	json_object_object_add(rec, "MinSize", json_object_new_int(min));
	json_object_object_add(rec, "LoweredTo", json_object_new_int(to));
	p = json_object_new_object();
	json_object_object_add(p, "AutoScalingGroupName", json_object_new_string(group));
	json_object_object_add(p, "MinSize", json_object_new_int(to));
	snprintf(what, sizeof(what),
		 "lower the minimum size of auto scaling group '%s' from %d to %d (it is at its "
		 "minimum)",
		 group, min, to);
	isolate_wave_change(s, w, what, "autoscaling", "UpdateAutoScalingGroup", p, NULL,
			    "AutoScalingMinSize", rec, false);
	*lowered = true;
	return 0;
}

/* The instance's private IPv4 addresses (targets of "ip" target groups). */
static bool is_own_ip(struct iso *s, const char *ip)
{
	for (size_t i = 0; i < jlen(s->enis); i++) {
		struct json_object *ips = irx_json_get(jidx(s->enis, i), "PrivateIpAddresses");
		const char *prim = irx_json_str(jidx(s->enis, i), "PrivateIpAddress");

		if (prim && strcmp(prim, ip) == 0)
			return true;
		for (size_t k = 0; k < jlen(ips); k++) {
			const char *a = irx_json_str(jidx(ips, k), "PrivateIpAddress");

			if (a && strcmp(a, ip) == 0)
				return true;
		}
	}
	return false;
}

/* Plans DeregisterTargets for the instance's targets in tg from its DescribeTargetHealth. */
void isolate_deregister_group(struct iso *s, struct wave *w, struct json_object *tg,
			      struct json_object *health)
{
	const char *arn = irx_json_str(tg, "TargetGroupArn"),
		   *type = irx_json_str(tg, "TargetType");
	struct json_object *p = NULL, *d = NULL, *targets = NULL, *rec = NULL;
	bool ip = type && strcmp(type, "ip") == 0;
	char what[2048];

	d = irx_json_get(health, "TargetHealthDescriptions");
	targets = json_object_new_array();
	for (size_t i = 0; i < jlen(d); i++) {
		struct json_object *t = irx_json_get(jidx(d, i), "Target"), *o = NULL;
		const char *id = irx_json_str(t, "Id");
		const char *state = irx_json_str(irx_json_get(jidx(d, i), "TargetHealth"), "State");

		if (!id || (ip ? !is_own_ip(s, id) : strcmp(id, s->id) != 0))
			continue;
		/* Already leaving (EnterStandby deregisters from the group's own target groups). */
		if (state && strcmp(state, "draining") == 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "Id", json_object_new_string(id));
		if (irx_json_get(t, "Port"))
			json_object_object_add(o, "Port", json_object_get(irx_json_get(t, "Port")));
		if (irx_json_str(t, "AvailabilityZone"))
			json_object_object_add(
			    o, "AvailabilityZone",
			    json_object_get(irx_json_get(t, "AvailabilityZone")));
		json_object_array_add(targets, o);
	}
	if (jlen(targets) == 0) {
		json_object_put(targets);
		return;
	}
	rec = json_object_new_object();
	json_object_object_add(rec, "TargetGroupArn", json_object_new_string(arn));
	json_object_object_add(rec, "Targets", json_object_get(targets));
	p = json_object_new_object();
	json_object_object_add(p, "TargetGroupArn", json_object_new_string(arn));
	json_object_object_add(p, "Targets", targets);
	snprintf(what, sizeof(what), "deregister '%s' from target group '%s'", s->id, arn);
	isolate_wave_change(s, w, what, "elasticloadbalancingv2", "DeregisterTargets", p, NULL,
			    "TargetGroups", rec, true);
}

/* The target groups that can hold it: the first page came with the reads, the rest here. */
int isolate_target_groups(struct iso *s)
{
	struct json_object *r = s->r_tgs, *p = NULL;
	const char *marker = NULL;

	for (;;) {
		struct json_object *tgs = irx_json_get(r, "TargetGroups");

		for (size_t i = 0; i < jlen(tgs); i++) {
			struct json_object *tg = jidx(tgs, i);
			const char *type = irx_json_str(tg, "TargetType"),
				   *vpc = irx_json_str(tg, "VpcId");

			/* instance and ip targets in the instance's VPC; lambda/alb groups
			   cannot hold it. */
			if (!type || (strcmp(type, "instance") != 0 && strcmp(type, "ip") != 0))
				continue;
			if (!vpc || strcmp(vpc, s->vpc) != 0)
				continue;
			json_object_array_add(s->tgs, json_object_get(tg));
		}
		marker = irx_json_str(r, "NextMarker");
		if (!marker || !*marker)
			break;
		p = json_object_new_object();
		json_object_object_add(p, "Marker", json_object_new_string(marker));
		if (isolate_aws_read(s, "elasticloadbalancingv2", "DescribeTargetGroups", p, &r) <
		    0)
			return -1;
	}
	s->health = calloc(jlen(s->tgs) ? jlen(s->tgs) : 1, sizeof(*s->health));
	if (!s->health)
		abort();
	return 0;
}

void isolate_target_health(struct iso *s, struct wave *w)
{
	for (size_t i = 0; i < jlen(s->tgs); i++) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(
		    p, "TargetGroupArn",
		    json_object_get(irx_json_get(jidx(s->tgs, i), "TargetGroupArn")));
		isolate_wave_read(w, "elasticloadbalancingv2", "DescribeTargetHealth", p,
				  &s->health[i]);
	}
}
