/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The isolate plugin: isolate:ec2Instance, the whole ordered EC2 containment of
 * CONTAINMENT.md "EC2 instance" steps 1-7 and 9 (snapshots are the snapshot plugin's):
 *
 *   record -> protect evidence -> out of service (Auto Scaling, ELBv2) -> connection tracking
 *   -> untrack group, wait, isolation group (per ENI) -> Elastic IPs -> credentials -> tags
 *
 * Every phase reads the live state first and changes only what is not yet contained, so a
 * second run changes nothing ("already contained") and a run after a crash finishes the rest.
 * Before each change the undo record says what rollback needs and is checkpointed; a change
 * that fails is taken back out of the record, so it holds exactly what was done.
 *
 * A containment's round trips are its latency, so calls that do not depend on each other go
 * out together as one wave (host->aws_call_many; one call at a time on a host without it):
 *
 *   1 DescribeInstances
 *   2 every read it allows: both attributes, Auto Scaling, target groups, irx's groups,
 *     addresses, the instance profile
 *   3 DescribeTargetHealth per target group, ListRolePolicies, the Auto Scaling group's sizes;
 *     protect, connection tracking per ENI, missing groups created, rules of found groups fixed
 *   4 DeregisterTargets per target group, DescribeSecurityGroups of the new groups, standby or
 *     detach (or, for a group at its minimum size, the minimum lowered)
 *   5 rules of the new groups (and the standby after the lowered minimum)
 *   6 the untrack group on every ENI; the wait
 *   7 the isolation group on every ENI
 *   8 Elastic IPs, the credential deny, the tags
 *
 * The order between waves is CONTAINMENT.md's (out of service and connection tracking before
 * the groups change, untrack before isolate, tags last); within a wave nothing depends on
 * anything else. Every change of a wave is in the undo record, checkpointed, before the wave
 * is sent; the entries of the calls that failed are taken out after it, and the step fails
 * with the first failure. A debug log line names each round trip.
 *
 * Executions isolating instances of one VPC at the same moment (a fleet) share its security
 * groups and race to make them: groups.c says how that settles.
 *
 * This file holds the action: its parameters, the AWS calls it may make, and the phases in
 * their waves (contain). Each phase is its own file: inputs.c, instance.c (record, evidence,
 * tags), out_of_service.c (Auto Scaling, ELBv2), interfaces.c (connection tracking, the group
 * swap), groups.c, addresses.c, credentials.c; wave.c sends the waves; rollback.c undoes it
 * all. isolate.h is what they share.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"

static void iso_free(struct iso *s)
{
	json_object_put(s->keep);
	json_object_put(s->enis);
	json_object_put(s->tgs);
	free(s->health);
}

/* The waves of the file's comment, in order; each phase's comment says why it sits where. */
static int contain(struct iso *s, struct wave *w)
{
	const char *asg_group = NULL, *asg_life = NULL;
	bool asg = strcmp(s->asg_mode, "none") != 0, lowered = false;

	if (isolate_record(s) < 0) /* 1 */
		return -1;
	/* 2: every read that needs only the instance */
	isolate_read_attribute(s, w, "disableApiTermination", &s->r_term);
	isolate_read_attribute(s, w, "instanceInitiatedShutdownBehavior", &s->r_shutdown);
	if (asg) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "InstanceIds", str_array1(s->id));
		isolate_wave_read(w, "autoscaling", "DescribeAutoScalingInstances", p, &s->r_asg);
	}
	if (s->elb)
		isolate_wave_read(w, "elasticloadbalancingv2", "DescribeTargetGroups",
				  json_object_new_object(), &s->r_tgs);
	isolate_read_groups(s, w);
	if (s->disassociate)
		isolate_read_addresses(s, w);
	if (isolate_revoking(s))
		isolate_read_profile(s, w);
	if (isolate_wave_send(s, w) < 0)
		return -1;
	/* Refusals before any change. */
	if (s->elb && isolate_target_groups(s) < 0)
		return -1;
	if (asg && isolate_check_auto_scaling(s, &asg_group, &asg_life) < 0)
		return -1;
	if (isolate_find_groups(s) < 0)
		return -1;
	/* 3: the changes that need only the reads, and the reads that need the first ones */
	isolate_protect(s, w);
	isolate_connection_tracking(s, w);
	if (isolate_plan_groups(s, w) < 0)
		return -1;
	isolate_target_health(s, w);
	if (isolate_revoking(s))
		isolate_read_role_policies(s, w);
	if (asg_group)
		isolate_read_asg_group(s, w, asg_group);
	if (isolate_wave_send(s, w) < 0)
		return -1;
	/* 4: deregistration, what the new groups really got, standby (or the group's minimum
	   lowered first) */
	for (size_t i = 0; i < jlen(s->tgs); i++)
		isolate_deregister_group(s, w, jidx(s->tgs, i), s->health[i]);
	if (isolate_created_groups(s, w) < 0)
		return -1;
	if (asg_group && isolate_lower_min_size(s, w, asg_group, &lowered) < 0)
		return -1;
	if (!lowered)
		isolate_auto_scaling(s, w, asg_group, asg_life);
	if (isolate_wave_send(s, w) < 0)
		return -1;
	/* 5: the new groups' rules, standby after the lowered minimum */
	if (isolate_settle_created(s, w) < 0)
		return -1;
	if (lowered)
		isolate_auto_scaling(s, w, asg_group, asg_life);
	if (isolate_wave_send(s, w) < 0)
		return -1;
	/* only when another execution changed a group's rules first: describe it again */
	if (isolate_recheck_groups(s, w) < 0)
		return -1;
	/* 6, 7: untrack, wait, isolate */
	if (isolate_swap_groups(s, w) < 0)
		return -1;
	/* 8: addresses, credentials, tags */
	if (s->disassociate)
		isolate_addresses(s, w);
	if (isolate_credentials(s, w) < 0)
		return -1;
	isolate_tag_instance(s, w);
	return isolate_wave_send(s, w);
}

static int isolate_instance(const struct irx_context *ctx, struct json_object *inputs,
			    struct irx_result *res)
{
	struct iso s = {0};
	struct wave w = {0};
	char text[1024];
	int rc = -1;

	s.ctx = ctx;
	s.h = ctx->host;
	s.res = res;
	s.keep = json_object_new_array();
	s.enis = json_object_new_array();
	s.tgs = json_object_new_array();
	s.changed = json_object_new_array();
	s.warnings = json_object_new_array();
	json_object_object_add(res->outputs, ctx->dry_run ? "PlannedChanges" : "Changes",
			       s.changed);
	json_object_object_add(res->outputs, "Warnings", s.warnings);
	if (!ctx->host->aws_call) {
		ctx->host->fail(ctx->call, "isolate:ec2Instance needs an AWS client");
		goto out;
	}
	if (isolate_read_inputs(&s, inputs) < 0 || contain(&s, &w) < 0)
		goto out;
	s.h->log(ctx->call, IRX_LOG_DEBUG, "isolated '%s' in %d round trips", s.id, s.round_trips);
	json_object_object_add(res->outputs, "Changed",
			       json_object_new_boolean(!ctx->dry_run && s.changes > 0));
	if (s.changes == 0) {
		snprintf(text, sizeof(text), "instance '%s' already contained", s.id);
	} else if (ctx->dry_run) {
		snprintf(text, sizeof(text), "would isolate instance '%s' with %d change%s", s.id,
			 s.changes, s.changes == 1 ? "" : "s");
	} else {
		snprintf(text, sizeof(text), "isolated instance '%s' (%d change%s)", s.id,
			 s.changes, s.changes == 1 ? "" : "s");
	}
	if (strcmp(s.revoke, "revoke-older-sessions") == 0 &&
	    irx_json_get(res->outputs, "RoleName"))
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "; warning: revoke-older-sessions on role '%s' affects every holder of "
			 "the role",
			 irx_json_str(res->outputs, "RoleName"));
	irx_result_summary(res, "Summary", text);
	rc = 0;
out:
	isolate_wave_free(&s, &w);
	iso_free(&s);
	return rc;
}

static const struct irx_param ec2_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the instance: arn:aws:ec2:REGION:ACCOUNT:instance/i-... (or a bare instance id in the "
     "step's region)"},
    {"UntrackWaitSeconds", IRX_PARAM_INTEGER, 0, "60",
     "seconds between the allow-all untrack group and the isolation group (0-3600)"},
    {"AutoScaling", IRX_PARAM_STRING, 0, "standby",
     "standby (EnterStandby, decrementing desired capacity), detach (DetachInstances) or none"},
    {"ElbDeregister", IRX_PARAM_BOOLEAN, 0, "true",
     "deregister it from every ELBv2 target group in its VPC that holds it"},
    {"TcpEstablishedTimeout", IRX_PARAM_INTEGER, 0, "60",
     "connection tracking timeout for established TCP flows (60-432000 s)"},
    {"UdpStreamTimeout", IRX_PARAM_INTEGER, 0, "60",
     "connection tracking timeout for UDP streams (60-180 s)"},
    {"UdpTimeout", IRX_PARAM_INTEGER, 0, "30",
     "connection tracking timeout for other UDP flows (30-60 s)"},
    {"RevokeCredentials", IRX_PARAM_STRING, 0, "instance-scoped",
     "instance-scoped (deny credentials vended to this instance), revoke-older-sessions (deny "
     "every earlier session of the role: affects every holder) or none"},
    {"ForensicCidr", IRX_PARAM_STRING, 0, NULL,
     "a responder range admitted beside the isolation group (never /0)"},
    {"ForensicGroupName", IRX_PARAM_STRING, 0, NULL,
     "name of the forensic group (default irx-forensic-<cidr>)"},
    {"DisassociateAddresses", IRX_PARAM_BOOLEAN, 0, "true",
     "disassociate its elastic IPs (recorded for rollback)"},
    {"IsolationGroupName", IRX_PARAM_STRING, 0, "irx-isolation",
     "the rule-less isolation group, one per VPC"},
    {"UntrackGroupName", IRX_PARAM_STRING, 0, "irx-untrack",
     "the allow-all untrack group, one per VPC"},
    {0},
};

/* Every AWS call execute and rollback make (the host refuses any other; `irx policy` grants these).
 */
static const char *const isolate_calls[] = {
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceAttribute",
    "ec2:ModifyInstanceAttribute",
    "ec2:ModifyNetworkInterfaceAttribute",
    "ec2:DescribeSecurityGroups",
    "ec2:CreateSecurityGroup",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DescribeAddresses",
    "ec2:DisassociateAddress",
    "ec2:AssociateAddress",
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:EnterStandby",
    "autoscaling:DetachInstances",
    "autoscaling:ExitStandby",
    "autoscaling:AttachInstances",
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:UpdateAutoScalingGroup",
    "elasticloadbalancingv2:DescribeTargetGroups",
    "elasticloadbalancingv2:DescribeTargetHealth",
    "elasticloadbalancingv2:DeregisterTargets",
    "elasticloadbalancingv2:RegisterTargets",
    "iam:GetInstanceProfile",
    "iam:ListRolePolicies",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    NULL,
};

static const struct irx_action isolate_actions[] = {
    {"ec2Instance",
     "isolate an EC2 instance: protect evidence, take it out of service, cut its network and "
     "its role credentials",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, ec2_params, isolate_instance,
     isolate_release_instance, isolate_calls},
    {0},
};

IRX_PLUGIN_DEFINE("isolate", "1.0.0", "Apache-2.0", isolate_actions, NULL, NULL)
