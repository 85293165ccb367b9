/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The instance itself: its record (step 1, DescribeInstances: the evidence of what it was, in
 * the outputs and the undo record), the protection of the evidence (step 2: termination
 * protection, shutdown behaviour, volumes kept) and the irx tags (step 9, planned last).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"

static int eni_index(struct json_object *eni)
{
	return json_object_get_int(irx_json_get(irx_json_get(eni, "Attachment"), "DeviceIndex"));
}

static int by_device_index(const void *a, const void *b)
{
	struct json_object *const *x = a, *const *y = b;

	return eni_index(*x) - eni_index(*y);
}

int isolate_record(struct iso *s)
{
	struct json_object *p = json_object_new_object(), *r = NULL, *resv = NULL, *nis = NULL;
	struct json_object *out = NULL, *vols = NULL, *bdm = NULL;
	const char *owner = NULL;

	json_object_object_add(p, "InstanceIds", str_array1(s->id));
	if (isolate_aws_read(s, "ec2", "DescribeInstances", p, &r) < 0)
		return -1;
	resv = jidx(irx_json_get(r, "Reservations"), 0);
	s->instance = jidx(irx_json_get(resv, "Instances"), 0);
	if (!s->instance)
		return s->h->fail(s->ctx->call, "cannot isolate instance '%s': it does not exist",
				  s->id);
	owner = irx_json_str(resv, "OwnerId");
	if (!s->arn[0]) {
		if (!owner)
			return s->h->fail(s->ctx->call,
					  "cannot isolate instance '%s': DescribeInstances gave no "
					  "owner account",
					  s->id);
		snprintf(s->arn, sizeof(s->arn), "arn:%s:ec2:%s:%s:instance/%s", s->partition,
			 s->region, owner, s->id);
	}
	s->state = irx_json_str(irx_json_get(s->instance, "State"), "Name");
	if (!s->state)
		s->state = "unknown";
	if (strcmp(s->state, "terminated") == 0 || strcmp(s->state, "shutting-down") == 0)
		return s->h->fail(s->ctx->call, "cannot isolate instance '%s': it is %s", s->id,
				  s->state);
	s->vpc = irx_json_str(s->instance, "VpcId");
	nis = irx_json_get(s->instance, "NetworkInterfaces");
	if (!s->vpc || jlen(nis) == 0)
		return s->h->fail(s->ctx->call,
				  "cannot isolate instance '%s': it has no VPC network interface",
				  s->id);
	for (size_t i = 0; i < jlen(nis); i++) {
		const char *v = irx_json_str(jidx(nis, i), "VpcId");

		/* The groups are per VPC: one found for the instance's VPC cannot go on another's.
		 */
		if (v && strcmp(v, s->vpc) != 0)
			return s->h->fail(
			    s->ctx->call,
			    "cannot isolate instance '%s': interface '%s' is in vpc "
			    "'%s', not the instance's '%s'; interfaces from several VPCs "
			    "are not supported",
			    s->id, jstr0(jidx(nis, i), "NetworkInterfaceId"), v, s->vpc);
		json_object_array_add(s->enis, json_object_get(jidx(nis, i)));
	}
	json_object_array_sort(s->enis, by_device_index);

	/* The evidence of what it was: every ENI's groups, its profile, volumes and tags. */
	out = s->res->outputs;
	json_object_object_add(out, "InstanceId", json_object_new_string(s->id));
	json_object_object_add(out, "InstanceArn", json_object_new_string(s->arn));
	json_object_object_add(out, "VpcId", json_object_new_string(s->vpc));
	json_object_object_add(out, "State", json_object_new_string(s->state));
	nis = json_object_new_array();
	for (size_t i = 0; i < jlen(s->enis); i++) {
		struct json_object *e = jidx(s->enis, i), *o = json_object_new_object();

		json_object_object_add(
		    o, "NetworkInterfaceId",
		    json_object_new_string(irx_json_str(e, "NetworkInterfaceId")));
		json_object_object_add(o, "DeviceIndex", json_object_new_int(eni_index(e)));
		json_object_object_add(o, "Groups", isolate_eni_group_ids(e));
		json_object_array_add(nis, o);
	}
	json_object_object_add(out, "NetworkInterfaces", nis);
	json_object_object_add(out, "InstanceProfileArn",
			       irx_json_str(irx_json_get(s->instance, "IamInstanceProfile"), "Arn")
				   ? json_object_new_string(irx_json_str(
					 irx_json_get(s->instance, "IamInstanceProfile"), "Arn"))
				   : NULL);
	vols = json_object_new_array();
	bdm = irx_json_get(s->instance, "BlockDeviceMappings");
	for (size_t i = 0; i < jlen(bdm); i++) {
		const char *v = irx_json_str(irx_json_get(jidx(bdm, i), "Ebs"), "VolumeId");

		if (v)
			json_object_array_add(vols, json_object_new_string(v));
	}
	json_object_object_add(out, "VolumeIds", vols);
	json_object_object_add(out, "Tags", json_object_get(irx_json_get(s->instance, "Tags")));

	if (!s->ctx->dry_run) {
		json_object_object_add(s->res->undo, "InstanceId", json_object_new_string(s->id));
		json_object_object_add(s->res->undo, "InstanceArn", json_object_new_string(s->arn));
	}
	return 0;
}

/* DescribeInstanceAttribute for attr, in the reads wave. */
void isolate_read_attribute(struct iso *s, struct wave *w, const char *attr,
			    struct json_object **resp)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "Attribute", json_object_new_string(attr));
	json_object_object_add(p, "InstanceId", json_object_new_string(s->id));
	isolate_wave_read(w, "ec2", "DescribeInstanceAttribute", p, resp);
}

/*
 * Before anything that could make it fail health checks: an instance that can be terminated
 * (by a person, an attacker or its shutdown behaviour) or whose volumes go with it loses the
 * evidence. ModifyInstanceAttribute takes one attribute per call: three independent calls.
 */
void isolate_protect(struct iso *s, struct wave *w)
{
	struct json_object *v = NULL, *p = NULL, *bdm = NULL, *maps = NULL, *vols = NULL;
	const char *shutdown = NULL;
	char what[512];

	v = irx_json_get(irx_json_get(s->r_term, "DisableApiTermination"), "Value");
	if (!json_object_get_boolean(v)) {
		p = json_object_new_object();
		json_object_object_add(p, "InstanceId", json_object_new_string(s->id));
		json_object_object_add(p, "DisableApiTermination",
				       attr_value(json_object_new_boolean(1)));
		snprintf(what, sizeof(what), "turn on termination protection of '%s'", s->id);
		isolate_wave_change(s, w, what, "ec2", "ModifyInstanceAttribute", p, NULL,
				    "DisableApiTermination", json_object_new_boolean(0), false);
	}
	v = irx_json_get(irx_json_get(s->r_shutdown, "InstanceInitiatedShutdownBehavior"), "Value");
	shutdown = v ? json_object_get_string(v) : "stop";
	if (strcmp(shutdown, "stop") != 0) {
		p = json_object_new_object();
		json_object_object_add(p, "InstanceId", json_object_new_string(s->id));
		json_object_object_add(p, "InstanceInitiatedShutdownBehavior",
				       attr_value(json_object_new_string("stop")));
		snprintf(what, sizeof(what), "set shutdown behaviour of '%s' to stop (was %s)",
			 s->id, shutdown);
		isolate_wave_change(s, w, what, "ec2", "ModifyInstanceAttribute", p, NULL,
				    "ShutdownBehavior", json_object_new_string(shutdown), false);
	}
	/* One BlockDeviceMappings attribute naming every EBS volume still deleted with it. */
	bdm = irx_json_get(s->instance, "BlockDeviceMappings");
	maps = json_object_new_array();
	vols = json_object_new_array();
	for (size_t i = 0; i < jlen(bdm); i++) {
		struct json_object *m = jidx(bdm, i), *ebs = irx_json_get(m, "Ebs"), *o = NULL,
				   *e = NULL;

		if (!ebs || !irx_json_bool(ebs, "DeleteOnTermination"))
			continue;
		o = json_object_new_object();
		e = json_object_new_object();
		json_object_object_add(o, "DeviceName",
				       json_object_new_string(irx_json_str(m, "DeviceName")));
		json_object_object_add(e, "VolumeId",
				       json_object_new_string(irx_json_str(ebs, "VolumeId")));
		json_object_object_add(e, "DeleteOnTermination", json_object_new_boolean(0));
		json_object_object_add(o, "Ebs", e);
		json_object_array_add(maps, o);
		json_object_array_add(vols, json_object_new_string(irx_json_str(ebs, "VolumeId")));
	}
	if (jlen(maps) == 0) {
		json_object_put(maps);
		json_object_put(vols);
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "InstanceId", json_object_new_string(s->id));
	json_object_object_add(p, "BlockDeviceMappings", json_object_get(maps));
	snprintf(what, sizeof(what), "keep volumes %s of '%s' when it terminates",
		 json_object_to_json_string_ext(vols, JSON_C_TO_STRING_PLAIN), s->id);
	json_object_put(vols);
	isolate_wave_change(s, w, what, "ec2", "ModifyInstanceAttribute", p, NULL,
			    "DeleteOnTermination", maps, false);
}

/* Tags say when it was isolated, by which run; planned last, with the last wave's changes
 * counted: a re-run of a contained one keeps them. */
void isolate_tag_instance(struct iso *s, struct wave *w)
{
	struct json_object *have = irx_json_get(s->instance, "Tags"), *want = NULL, *added = NULL;
	struct json_object *prev = NULL, *rec = NULL, *p = NULL;
	const char *status = tag_value(have, "irx:status");
	char now[32], what[256];

	if (status && strcmp(status, "isolated") == 0 && s->changes == 0)
		return;
	want = json_object_new_array();
	added = json_object_new_array();
	prev = json_object_new_object();
	irx_iso8601_now(now, sizeof(now));
	json_object_array_add(want, tag("irx:status", "isolated"));
	json_object_array_add(want, tag("irx:execution-id", s->ctx->execution_id));
	if (s->ctx->case_id && *s->ctx->case_id)
		json_object_array_add(want, tag("irx:case-id", s->ctx->case_id));
	json_object_array_add(want, tag("irx:isolated-at", now));
	json_object_array_add(want, tag("irx:action", ACTION_NAME));
	for (size_t i = 0; i < jlen(want); i++) {
		const char *k = irx_json_str(jidx(want, i), "Key"), *old = tag_value(have, k);

		if (old)
			json_object_object_add(prev, k, json_object_new_string(old));
		else
			json_object_array_add(added, json_object_new_string(k));
	}
	rec = json_object_new_object();
	json_object_object_add(rec, "Added", added);
	json_object_object_add(rec, "Previous", prev);
	p = json_object_new_object();
	json_object_object_add(p, "Resources", str_array1(s->id));
	json_object_object_add(p, "Tags", want);
	snprintf(what, sizeof(what), "tag '%s' irx:status=isolated", s->id);
	isolate_wave_change(s, w, what, "ec2", "CreateTags", p, NULL, "Tags", rec, false);
}
