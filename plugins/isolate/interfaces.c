/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The instance's network interfaces: their connection tracking shortened (step 4), then the
 * swap that ends step 5 once groups.c has the groups ready: on every ENI the allow-all untrack
 * group, the wait, then the rule-less isolation group (+ forensic).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"

/* AWS's connection-tracking defaults: what an ENI has when it never had a specification. */
#define CT_DEFAULT_TCP 432000
#define CT_DEFAULT_UDP_STREAM 180
#define CT_DEFAULT_UDP 30

/* The ENI's group ids as a new array. */
struct json_object *isolate_eni_group_ids(struct json_object *eni)
{
	struct json_object *ids = json_object_new_array(), *g = irx_json_get(eni, "Groups");

	for (size_t i = 0; i < jlen(g); i++) {
		const char *id = irx_json_str(jidx(g, i), "GroupId");

		if (id)
			json_object_array_add(ids, json_object_new_string(id));
	}
	return ids;
}

static struct json_object *ct_spec(int tcp, int udp_stream, int udp)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "TcpEstablishedTimeout", json_object_new_int(tcp));
	json_object_object_add(o, "UdpStreamTimeout", json_object_new_int(udp_stream));
	json_object_object_add(o, "UdpTimeout", json_object_new_int(udp));
	return o;
}

static int ct_get(struct json_object *ct, const char *key, int dflt)
{
	struct json_object *v = irx_json_get(ct, key);

	return v ? json_object_get_int(v) : dflt;
}

/*
 * Tracked connections outlive a security group change until they time out: short timeouts
 * bound what the untrack/isolate swap cannot cut at once. One independent call per ENI.
 */
void isolate_connection_tracking(struct iso *s, struct wave *w)
{
	for (size_t i = 0; i < jlen(s->enis); i++) {
		struct json_object *e = jidx(s->enis, i),
				   *ct = irx_json_get(e, "ConnectionTrackingConfiguration");
		const char *eni = irx_json_str(e, "NetworkInterfaceId");
		int tcp = ct_get(ct, "TcpEstablishedTimeout", CT_DEFAULT_TCP);
		int us = ct_get(ct, "UdpStreamTimeout", CT_DEFAULT_UDP_STREAM);
		int u = ct_get(ct, "UdpTimeout", CT_DEFAULT_UDP);
		struct json_object *rec = NULL, *p = NULL;
		char what[512];

		if (tcp == s->ct_tcp && us == s->ct_udp_stream && u == s->ct_udp)
			continue;
		rec = json_object_new_object();
		json_object_object_add(rec, "NetworkInterfaceId", json_object_new_string(eni));
		json_object_object_add(rec, "Previous", ct_spec(tcp, us, u));
		p = json_object_new_object();
		json_object_object_add(p, "NetworkInterfaceId", json_object_new_string(eni));
		json_object_object_add(p, "ConnectionTrackingSpecification",
				       ct_spec(s->ct_tcp, s->ct_udp_stream, s->ct_udp));
		snprintf(what, sizeof(what),
			 "set connection tracking timeouts of '%s' to tcp %d s, udp stream %d s, "
			 "udp %d s",
			 eni, s->ct_tcp, s->ct_udp_stream, s->ct_udp);
		isolate_wave_change(s, w, what, "ec2", "ModifyNetworkInterfaceAttribute", p, NULL,
				    "ConnectionTracking", rec, true);
	}
}

/* The group list an isolated ENI holds: isolation (+ forensic). */
static struct json_object *isolated_set(struct iso *s)
{
	struct json_object *a = str_array1(s->groups[G_ISOLATION].id);

	if (s->groups[G_FORENSIC].wanted)
		json_object_array_add(a, json_object_new_string(s->groups[G_FORENSIC].id));
	return a;
}

/* Every group on the ENI is one of irx's (an earlier run changed it). */
static bool only_irx_groups(struct iso *s, struct json_object *ids)
{
	for (size_t i = 0; i < jlen(ids); i++) {
		const char *id = json_object_get_string(jidx(ids, i));
		bool ours = false;

		for (int k = 0; k < G_COUNT; k++)
			ours = ours || (s->groups[k].wanted && strcmp(s->groups[k].id, id) == 0);
		if (!ours)
			return false;
	}
	return jlen(ids) > 0;
}

/* ModifyNetworkInterfaceAttribute Groups: ModifyInstanceAttribute Groups only reaches the
 * primary ENI and fails on instances with several (a seed defect). */
static struct json_object *eni_groups_params(const char *eni, struct json_object *groups)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "NetworkInterfaceId", json_object_new_string(eni));
	json_object_object_add(p, "Groups", groups);
	return p;
}

/* An ENI's original groups, recorded (once per run) before its first change. */
static struct json_object *eni_record(struct iso *s, struct json_object *e,
				      struct json_object *live)
{
	struct json_object *rec = json_object_new_object();

	json_object_object_add(rec, "NetworkInterfaceId",
			       json_object_new_string(irx_json_str(e, "NetworkInterfaceId")));
	/* Groups an earlier run put there are not the originals: that run's undo has them. */
	json_object_object_add(rec, "OriginalGroups",
			       only_irx_groups(s, live) ? NULL : json_object_get(live));
	return rec;
}

/*
 * Untrack, wait, isolate. A flow through an allow-all group (0.0.0.0/0 and ::/0 both ways)
 * becomes untracked once packets pass; untracked flows are judged packet by packet, so the
 * swap to the rule-less group cuts them at once, where a tracked flow would live on. All ENIs
 * get the untrack group in one wave, so there is one wait, then the isolation group in one.
 */
int isolate_swap_groups(struct iso *s, struct wave *w)
{
	size_t n = jlen(s->enis);
	struct json_object *live = json_object_new_array(); /* per ENI: current group ids */
	bool *todo = calloc(n ? n : 1, sizeof(bool));
	bool any = false;
	char what[1024];
	int rc = -1;

	if (!todo)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct json_object *ids = isolate_eni_group_ids(jidx(s->enis, i)),
				   *target = isolated_set(s);

		json_object_array_add(live, ids);
		todo[i] = !same_set(ids, target);
		any = any || todo[i];
		json_object_put(target);
	}
	if (!any) {
		rc = 0;
		goto out;
	}
	if (!s->ctx->dry_run) {
		struct json_object *g = json_object_new_object();

		/* What rollback checks before it touches an ENI: are these still irx's groups? */
		for (int k = 0; k < G_COUNT; k++)
			if (s->groups[k].wanted)
				json_object_object_add(g, s->groups[k].role,
						       json_object_new_string(s->groups[k].id));
		json_object_object_add(s->res->undo, "SecurityGroups", g);
	}
	/* Phase 1: the untrack group on every ENI that is not yet on it (or isolated). */
	for (size_t i = 0; i < n; i++) {
		const char *eni = irx_json_str(jidx(s->enis, i), "NetworkInterfaceId");
		struct json_object *ids = jidx(live, i), *rec = NULL;

		if (!todo[i])
			continue;
		rec = eni_record(s, jidx(s->enis, i), ids);
		if (jlen(ids) == 1 &&
		    strcmp(json_object_get_string(jidx(ids, 0)), s->groups[G_UNTRACK].id) == 0) {
			isolate_wave_record(s, w, "NetworkInterfaces", rec);
			continue;
		}
		snprintf(what, sizeof(what), "put '%s' in untrack group '%s' (was %s)", eni,
			 s->groups[G_UNTRACK].id,
			 json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN));
		isolate_wave_change(s, w, what, "ec2", "ModifyNetworkInterfaceAttribute",
				    eni_groups_params(eni, str_array1(s->groups[G_UNTRACK].id)),
				    NULL, "NetworkInterfaces", rec, true);
	}
	if (isolate_wave_send(s, w) < 0)
		goto out;
	/* Phase 2: let traffic flow so flows become untracked (a stopped instance has none). */
	if (s->untrack_wait > 0 && strcmp(s->state, "running") == 0) {
		if (s->ctx->dry_run) {
			note(s->changed, "wait %lld s with the untrack group in place",
			     s->untrack_wait);
		} else {
			s->h->log(s->ctx->call, IRX_LOG_INFO,
				  "waiting %lld s for flows on '%s' to become untracked",
				  s->untrack_wait, s->id);
			if (s->h->sleep(s->ctx->call, s->untrack_wait * 1000) < 0) {
				s->h->fail(
				    s->ctx->call,
				    "cannot isolate instance '%s': interrupted while waiting "
				    "with the untrack group in place (the instance accepts all "
				    "traffic until it is isolated: run again or roll back)",
				    s->id);
				goto out;
			}
		}
		note(s->warnings,
		     "for %lld s the instance held the allow-all untrack group and accepted all "
		     "traffic",
		     s->untrack_wait);
	}
	/* Phase 3: the rule-less isolation group (+ forensic). */
	for (size_t i = 0; i < n; i++) {
		const char *eni = irx_json_str(jidx(s->enis, i), "NetworkInterfaceId");
		struct json_object *target = NULL;

		if (!todo[i])
			continue;
		target = isolated_set(s);
		snprintf(what, sizeof(what), "put '%s' in isolation group %s", eni,
			 json_object_to_json_string_ext(target, JSON_C_TO_STRING_PLAIN));
		isolate_wave_change(s, w, what, "ec2", "ModifyNetworkInterfaceAttribute",
				    eni_groups_params(eni, target), NULL, NULL, NULL, false);
	}
	if (isolate_wave_send(s, w) < 0)
		goto out;
	note(s->warnings, "flows through NAT gateways, network or gateway load balancers and "
			  "transit gateways stay tracked until their timeouts");
	rc = 0;
out:
	json_object_put(live);
	free(todo);
	return rc;
}
