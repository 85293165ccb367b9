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
 * Executions isolating instances of one VPC at the same moment (a fleet) share its groups and
 * race to make them: a group another execution created between the read and CreateSecurityGroup
 * (InvalidGroup.Duplicate) is described again by name and used as a found one, never claimed as
 * this run's; a rule change another made first (InvalidPermission.Duplicate or .NotFound) is
 * done, not a failure, and the group is described again and settled before any ENI moves.
 * Rollback never deletes the groups, so concurrent rollbacks cannot pull one from under an ENI.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "irx/plugin.h"
#include "irx/plugin_util.h"

#define ACTION_NAME "isolate:ec2Instance"
#define ROLE_UNTRACK "untrack"
#define ROLE_ISOLATION "isolation"
#define ROLE_FORENSIC "forensic"
#define NEW_GROUP_PLACEHOLDER_FMT "(new %s group)"

/* AWS's connection-tracking defaults: what an ENI has when it never had a specification. */
#define CT_DEFAULT_TCP 432000
#define CT_DEFAULT_UDP_STREAM 180
#define CT_DEFAULT_UDP 30

enum group_kind { G_UNTRACK, G_ISOLATION, G_FORENSIC, G_COUNT };

struct sgroup {
	const char *role;	/* ROLE_* */
	char name[256];		/* GroupName */
	char id[64];		/* GroupId, or a placeholder in a dry run */
	bool wanted;		/* the forensic group only when ForensicCidr is set */
	bool created;		/* created by this run */
	bool raced;		/* CreateSecurityGroup said InvalidGroup.Duplicate: another
				   execution created it meanwhile (not this run's) */
	bool recheck;		/* a rule change was answered "already so": describe again */
	struct json_object *sg; /* the DescribeSecurityGroups record (borrowed from keep) */
};

struct iso {
	const struct irx_context *ctx;
	const struct irx_host *h;
	struct irx_result *res;

	/* inputs */
	char id[32];
	char arn[256];
	char partition[16];
	char region[64];
	long long untrack_wait;
	const char *asg_mode;
	bool elb;
	int ct_tcp, ct_udp_stream, ct_udp;
	const char *revoke;
	const char *forensic_cidr;
	bool disassociate;

	/* live state */
	struct json_object *keep;     /* owns every response the borrowed pointers point into */
	struct json_object *instance; /* borrowed */
	struct json_object *enis;     /* array of borrowed ENI records, by device index (owned) */
	const char *vpc;
	const char *state;
	struct sgroup groups[G_COUNT];

	/* read responses (borrowed from keep; NULL when not read) */
	struct json_object *r_term, *r_shutdown, *r_asg, *r_tgs, *r_sgs, *r_addrs, *r_profile;
	struct json_object *r_policies, *r_created, *r_asg_group;
	struct json_object *r_create[G_COUNT];
	struct json_object *r_raced;   /* the groups another execution created, by name */
	struct json_object *r_recheck; /* groups whose rules another execution changed */
	struct json_object *tgs;       /* the target groups that can hold it (owned array) */
	struct json_object **health;   /* DescribeTargetHealth per entry of tgs */
	const char *role_name;	       /* the instance profile's role, NULL when none */
	char policy_name[128];

	/* report */
	int changes;
	int round_trips;
	struct json_object *changed;  /* array of strings: what was (or would be) changed */
	struct json_object *warnings; /* array of strings */
};

/* --- small JSON helpers --------------------------------------------------------- */

/* irx_json_str, "" when absent. */
static const char *jstr0(struct json_object *o, const char *key)
{
	const char *v = irx_json_str(o, key);

	return v ? v : "";
}

static size_t jlen(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static struct json_object *jidx(struct json_object *a, size_t i)
{
	return json_object_array_get_idx(a, i);
}

static struct json_object *str_array1(const char *s)
{
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(s));
	return a;
}

/* Filters=[{"Name":name,"Values":values}] (values transferred). */
static struct json_object *filter(const char *name, struct json_object *values)
{
	struct json_object *fs = json_object_new_array(), *f = json_object_new_object();

	json_object_object_add(f, "Name", json_object_new_string(name));
	json_object_object_add(f, "Values", values);
	json_object_array_add(fs, f);
	return fs;
}

static struct json_object *tag(const char *key, const char *value)
{
	struct json_object *t = json_object_new_object();

	json_object_object_add(t, "Key", json_object_new_string(key));
	if (value)
		json_object_object_add(t, "Value", json_object_new_string(value));
	return t;
}

/* The value of tag key in a [{Key,Value}] list: "" for a tag without a value, NULL when the
 * tag is absent. */
static const char *tag_value(struct json_object *tags, const char *key)
{
	struct json_object *t = irx_json_array_find(tags, "Key", key);
	const char *v = irx_json_str(t, "Value");

	return !t ? NULL : v ? v : "";
}

static void note(struct json_object *arr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct json_object *arr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(arr, json_object_new_string(buf));
}

/* --- AWS calls -------------------------------------------------------------------- */

/* A single read (a round trip of its own). params transferred; *resp kept alive in s->keep. */
static int aws_read(struct iso *s, const char *svc, const char *op, struct json_object *params,
		    struct json_object **resp)
{
	struct json_object *r = NULL;
	int rc = 0;

	s->round_trips++;
	s->h->log(s->ctx->call, IRX_LOG_DEBUG, "isolating '%s': round trip %d: %s:%s", s->id,
		  s->round_trips, svc, op);
	rc = irx_call_aws(s->ctx, svc, op, params, &r);
	*resp = NULL;
	if (rc < 0) {
		json_object_put(r);
		s->h->log(s->ctx->call, IRX_LOG_ERROR, "%s:%s failed while isolating '%s'", svc, op,
			  s->id);
		return -1;
	}
	if (!r)
		r = json_object_new_object();
	json_object_array_add(s->keep, r);
	*resp = r;
	return 0;
}

/* Journals the undo record before a change, so a crash during it leaves what rollback needs. */
static int checkpoint(struct iso *s)
{
	if (s->ctx->dry_run)
		return 0;
	if (s->h->checkpoint(s->ctx->call, s->res->undo) < 0)
		return s->h->fail(s->ctx->call,
				  "cannot isolate instance '%s': cannot journal the "
				  "undo record",
				  s->id);
	return 0;
}

/* One call of a wave. */
struct wcall {
	const char *svc, *op;
	struct json_object *params; /* owned until sent */
	struct json_object **resp;  /* where the response goes (kept in s->keep), or NULL */
	const char *undo_key;	    /* the undo entry this change added: out again if it fails */
	struct json_object *undo_entry; /* in the array undo_key (borrowed), NULL: the key itself */
	/* AWS codes that mean another execution already did it (NULL-terminated, or NULL) */
	const char *const *expected;
	struct sgroup *group;	  /* the group a CreateSecurityGroup or rule change is for */
	struct json_object *note; /* its entry in Changes (borrowed) */
};

/* Calls that do not depend on each other, sent together: one round trip. */
struct wave {
	struct wcall *c;
	size_t n, cap;
	bool journal;	     /* the undo record grew: checkpoint before sending */
	int changes_before;  /* s->changes and Changes' length before its first change, */
	size_t notes_before; /* so a wave planned and then refused reports nothing */
	bool planned;
};

static struct wcall *wave_push(struct wave *w, const char *svc, const char *op,
			       struct json_object *params, struct json_object **resp)
{
	struct wcall *c = NULL;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct wcall *grown = realloc(w->c, cap * sizeof(*grown));

		if (!grown)
			abort(); /* as the host's allocators do */
		w->c = grown;
		w->cap = cap;
	}
	c = &w->c[w->n++];
	*c = (struct wcall){svc, op, params, resp, NULL, NULL, NULL, NULL, NULL};
	if (resp)
		*resp = NULL;
	return c;
}

/* A read in the wave: *resp is set once the wave is sent (borrowed from s->keep). */
static void wave_read(struct wave *w, const char *svc, const char *op, struct json_object *params,
		      struct json_object **resp)
{
	wave_push(w, svc, op, params, resp);
}

/* Takes a change's undo entry back out of the record (it was not done). */
static void undo_remove(struct iso *s, const char *key, struct json_object *entry)
{
	struct json_object *a = NULL;

	if (s->ctx->dry_run || !key)
		return;
	if (!entry) {
		json_object_object_del(s->res->undo, key);
		return;
	}
	a = irx_json_get(s->res->undo, key);
	for (size_t i = 0; i < jlen(a); i++)
		if (jidx(a, i) == entry) {
			json_object_array_del_idx(a, i, 1);
			break;
		}
	if (a && json_object_array_length(a) == 0)
		json_object_object_del(s->res->undo, key);
}

/*
 * A change in the wave: counted and described in Changes (PlannedChanges in a dry run), its
 * undo entry recorded now (undo[key] = value, or appended to the array undo[key] when push),
 * journaled when the wave is sent. In a dry run the host records the call and answers {}:
 * callers never rely on a mutating response then.
 */
static struct wcall *wave_change(struct iso *s, struct wave *w, const char *what, const char *svc,
				 const char *op, struct json_object *params,
				 struct json_object **resp, const char *key,
				 struct json_object *value, bool push)
{
	struct wcall *c = NULL;

	if (!w->planned) {
		w->planned = true;
		w->changes_before = s->changes;
		w->notes_before = jlen(s->changed);
	}
	s->changes++;
	note(s->changed, "%s", what);
	s->h->log(s->ctx->call, IRX_LOG_INFO, "%s%s", s->ctx->dry_run ? "would " : "", what);
	c = wave_push(w, svc, op, params, resp);
	c->note = jidx(s->changed, jlen(s->changed) - 1);
	if (!key || s->ctx->dry_run) {
		json_object_put(value);
		return c;
	}
	c->undo_key = key;
	if (push) {
		json_object_array_add(irx_undo_list(s->res->undo, key), value);
		c->undo_entry = value;
	} else {
		json_object_object_add(s->res->undo, key, value);
	}
	w->journal = true;
	return c;
}

/* An undo entry with no call of its own in this wave (a later wave's change needs it). */
static void wave_record(struct iso *s, struct wave *w, const char *key, struct json_object *value)
{
	if (s->ctx->dry_run) {
		json_object_put(value);
		return;
	}
	json_object_array_add(irx_undo_list(s->res->undo, key), value);
	w->journal = true;
}

static void wave_reset(struct wave *w)
{
	w->n = 0;
	w->journal = false;
	w->planned = false;
}

/* Drops a wave that will not be sent: its calls, their undo entries and their Changes. */
static void wave_discard(struct iso *s, struct wave *w)
{
	for (size_t i = 0; i < w->n; i++) {
		json_object_put(w->c[i].params);
		undo_remove(s, w->c[i].undo_key, w->c[i].undo_entry);
	}
	if (w->planned) {
		s->changes = w->changes_before;
		if (jlen(s->changed) > w->notes_before)
			json_object_array_del_idx(s->changed, w->notes_before,
						  jlen(s->changed) - w->notes_before);
	}
	wave_reset(w);
}

/*
 * A change answered with one of its expected codes: another execution sharing the group made
 * the same change first (the group is there, the rule is there or gone). Not this execution's
 * change, so it leaves Changes; the group is described again before anything relies on it.
 */
static void answered(struct iso *s, struct wcall *c, const char *code)
{
	for (size_t i = 0; i < jlen(s->changed); i++) {
		if (jidx(s->changed, i) == c->note) {
			json_object_array_del_idx(s->changed, i, 1);
			s->changes--;
			break;
		}
	}
	s->h->log(s->ctx->call, IRX_LOG_INFO,
		  "%s:%s answered %s while isolating '%s': another execution got there first",
		  c->svc, c->op, code, s->id);
	if (!c->group)
		return;
	if (strcmp(c->op, "CreateSecurityGroup") == 0)
		c->group->raced = true;
	else
		c->group->recheck = true;
}

/* Takes a sent call's response into s->keep. */
static void wave_keep(struct iso *s, struct wcall *c, struct json_object *r)
{
	if (!r)
		r = json_object_new_object();
	/* In a default VPC EC2 answers a revoke of rules that are not there with success and
	   lists them as unknown: the same answer as InvalidPermission.NotFound elsewhere. */
	if (c->group && strncmp(c->op, "Revoke", 6) == 0 &&
	    jlen(irx_json_get(r, "UnknownIpPermissions")) > 0)
		answered(s, c, "UnknownIpPermissions");
	json_object_array_add(s->keep, r);
	if (c->resp)
		*c->resp = r;
}

/*
 * Sends the wave: checkpoints the undo record (every change of the wave is in it), sends the
 * calls at once, takes the entries of failed calls back out. Without host->aws_call_many the
 * calls go one by one and stop at the first failure (the rest are not sent: not done).
 * Returns 0, or -1 with the step's error the first failure's.
 */
static int wave_send(struct iso *s, struct wave *w)
{
	struct irx_aws_request *reqs = NULL;
	bool *failed = NULL;
	size_t nfailed = 0;
	int rc = 0;

	if (w->n == 0) {
		/* entries for a later wave's changes (wave_record) are journaled all the same */
		rc = w->journal ? checkpoint(s) : 0;
		wave_reset(w);
		return rc;
	}
	if (w->journal && checkpoint(s) < 0) {
		wave_discard(s, w);
		return -1;
	}
	failed = calloc(w->n, sizeof(*failed));
	if (!failed)
		abort();
	if (w->n > 1 && IRX_HOST_HAS(s->h, aws_call_many)) {
		s->round_trips++;
		s->h->log(s->ctx->call, IRX_LOG_DEBUG,
			  "isolating '%s': round trip %d: %zu calls at once", s->id, s->round_trips,
			  w->n);
		reqs = calloc(w->n, sizeof(*reqs));
		if (!reqs)
			abort();
		for (size_t i = 0; i < w->n; i++) {
			reqs[i].service = w->c[i].svc;
			reqs[i].operation = w->c[i].op;
			reqs[i].params = w->c[i].params;
			reqs[i].expected = w->c[i].expected;
		}
		s->h->aws_call_many(s->ctx->call, reqs, w->n);
		for (size_t i = 0; i < w->n; i++) {
			failed[i] = reqs[i].failed != 0;
			if (failed[i]) {
				json_object_put(reqs[i].response);
				s->h->log(s->ctx->call, IRX_LOG_ERROR,
					  "%s:%s failed while isolating '%s': %s", w->c[i].svc,
					  w->c[i].op, s->id, reqs[i].error);
				continue;
			}
			if (w->c[i].expected && reqs[i].expected_code[0])
				answered(s, &w->c[i], reqs[i].expected_code);
			wave_keep(s, &w->c[i], reqs[i].response);
		}
		free(reqs);
	} else {
		for (size_t i = 0; i < w->n; i++) {
			struct json_object *r = NULL;

			if (nfailed) {
				failed[i] = true; /* not sent */
				continue;
			}
			s->round_trips++;
			s->h->log(s->ctx->call, IRX_LOG_DEBUG,
				  "isolating '%s': round trip %d: %s:%s", s->id, s->round_trips,
				  w->c[i].svc, w->c[i].op);
			if (w->c[i].expected && IRX_HOST_HAS(s->h, aws_call_expect)) {
				int rc1 =
				    s->h->aws_call_expect(s->ctx->call, w->c[i].svc, w->c[i].op,
							  w->c[i].params, w->c[i].expected, &r);

				if (rc1 == 1) { /* each call expects one code: that one */
					answered(s, &w->c[i], w->c[i].expected[0]);
					wave_keep(s, &w->c[i], NULL);
					continue;
				}
				if (rc1 == 0) {
					wave_keep(s, &w->c[i], r);
					continue;
				}
			} else if (s->h->aws_call(s->ctx->call, w->c[i].svc, w->c[i].op,
						  w->c[i].params, &r) == 0) {
				wave_keep(s, &w->c[i], r);
				continue;
			}
			json_object_put(r);
			failed[i] = true;
			nfailed++;
			s->h->log(s->ctx->call, IRX_LOG_ERROR, "%s:%s failed while isolating '%s'",
				  w->c[i].svc, w->c[i].op, s->id);
		}
	}
	for (size_t i = 0; i < w->n; i++) {
		json_object_put(w->c[i].params);
		if (failed[i]) {
			rc = -1;
			undo_remove(s, w->c[i].undo_key, w->c[i].undo_entry);
		}
	}
	free(failed);
	wave_reset(w);
	return rc;
}

static void wave_free(struct iso *s, struct wave *w)
{
	wave_discard(s, w);
	free(w->c);
	w->c = NULL;
	w->cap = 0;
}

/* --- inputs ----------------------------------------------------------------------- */

static bool is_instance_id(const char *p)
{
	size_t n = 0;

	if (strncmp(p, "i-", 2) != 0)
		return false;
	for (p += 2; *p; p++, n++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return n == 8 || n == 17;
}

static const char *partition_of(const char *region)
{
	if (strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	if (strncmp(region, "us-iso-", 7) == 0)
		return "aws-iso";
	if (strncmp(region, "us-isob-", 8) == 0)
		return "aws-iso-b";
	return "aws";
}

/*
 * TargetArn: arn:PARTITION:ec2:REGION:ACCOUNT:instance/i-... or a bare instance id (then the
 * ARN is built from the step's region and the instance's owner once it is described). The
 * ARN's region and account must be the step's: every call goes to the step's account/region.
 */
static int parse_target(struct iso *s, const char *target)
{
	const struct irx_context *ctx = s->ctx;
	char part[6][128] = {{0}};
	const char *p = target, *res = NULL;
	int n = 0;

	if (is_instance_id(target)) {
		snprintf(s->id, sizeof(s->id), "%s", target);
		if (!ctx->region || !*ctx->region)
			return s->h->fail(ctx->call,
					  "cannot isolate instance '%s': the step has no region; "
					  "give TargetArn as an instance ARN",
					  target);
		snprintf(s->region, sizeof(s->region), "%s", ctx->region);
		snprintf(s->partition, sizeof(s->partition), "%s", partition_of(ctx->region));
		return 0;
	}
	/* arn:partition:service:region:account:resource; the resource holds no colon here. */
	while (n < 5) {
		const char *c = strchr(p, ':');
		size_t len = c ? (size_t)(c - p) : 0;

		if (!c || len >= sizeof(part[0]))
			break;
		memcpy(part[n++], p, len);
		p = c + 1;
	}
	res = p;
	if (n != 5 || strcmp(part[0], "arn") != 0)
		return s->h->fail(ctx->call,
				  "cannot isolate '%s': TargetArn must be an EC2 instance ARN "
				  "(arn:aws:ec2:REGION:ACCOUNT:instance/i-...) or an instance id",
				  target);
	if (strcmp(part[2], "ec2") != 0 || strncmp(res, "instance/", 9) != 0)
		return s->h->fail(ctx->call, "cannot isolate '%s': not an EC2 instance ARN",
				  target);
	if (!is_instance_id(res + 9))
		return s->h->fail(ctx->call, "cannot isolate '%s': '%s' is not an instance id",
				  target, res + 9);
	if (!part[1][0] || !part[3][0] || strlen(part[4]) != 12)
		return s->h->fail(ctx->call,
				  "cannot isolate '%s': the ARN lacks a partition, region or "
				  "12-digit account",
				  target);
	if (ctx->region && *ctx->region && strcmp(ctx->region, part[3]) != 0)
		return s->h->fail(
		    ctx->call,
		    "cannot isolate '%s': the instance is in region '%s' but the step "
		    "runs in '%s'",
		    target, part[3], ctx->region);
	if (ctx->account_id && *ctx->account_id && strcmp(ctx->account_id, part[4]) != 0)
		return s->h->fail(
		    ctx->call,
		    "cannot isolate '%s': the instance is in account '%s' but the step "
		    "runs in '%s'",
		    target, part[4], ctx->account_id);
	snprintf(s->id, sizeof(s->id), "%s", res + 9);
	snprintf(s->region, sizeof(s->region), "%s", part[3]);
	snprintf(s->partition, sizeof(s->partition), "%s", part[1]);
	snprintf(s->arn, sizeof(s->arn), "%s", target);
	return 0;
}

/* A CIDR that admits a responder: valid, and never everyone (/0). */
static int check_forensic_cidr(struct iso *s, const char *cidr)
{
	char addr[64] = "";
	unsigned char buf[16];
	const char *slash = strchr(cidr, '/');
	char *end = NULL;
	long bits = 0;
	bool v6 = false;

	if (!slash || (size_t)(slash - cidr) >= sizeof(addr) || !slash[1])
		goto bad;
	memcpy(addr, cidr, (size_t)(slash - cidr));
	v6 = strchr(addr, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, buf) != 1)
		goto bad;
	bits = strtol(slash + 1, &end, 10);
	if (*end || !isdigit((unsigned char)slash[1]) || bits < 0 || bits > (v6 ? 128 : 32))
		goto bad;
	if (bits == 0)
		return s->h->fail(s->ctx->call,
				  "refusing ForensicCidr '%s': it admits every address; give the "
				  "responders' own range",
				  cidr);
	/* Host bits set: EC2 would store another text than ours and the group never matches. */
	for (long b = bits; b < (v6 ? 128 : 32); b++)
		if (buf[b / 8] & (0x80 >> (b % 8)))
			return s->h->fail(s->ctx->call,
					  "ForensicCidr '%s' has host bits set; give the network "
					  "address (such as 203.0.113.0/24)",
					  cidr);
	return 0;
bad:
	return s->h->fail(s->ctx->call,
			  "ForensicCidr '%s' is not an IPv4 or IPv6 CIDR (such as 203.0.113.7/32)",
			  cidr);
}

static int check_group_name(struct iso *s, const char *param, const char *name)
{
	if (!name || !*name || strlen(name) > 255 || strncmp(name, "sg-", 3) == 0)
		return s->h->fail(s->ctx->call,
				  "%s '%s' is not a usable security group name (1-255 characters, "
				  "not starting with 'sg-')",
				  param, name ? name : "");
	return 0;
}

static int read_inputs(struct iso *s, struct json_object *in)
{
	const char *target = irx_json_str(in, "TargetArn");
	const char *iso_name = irx_json_str(in, "IsolationGroupName");
	const char *untrack_name = irx_json_str(in, "UntrackGroupName");
	const char *fname = irx_json_str(in, "ForensicGroupName");

	if (!target || parse_target(s, target) < 0)
		return target ? -1 : s->h->fail(s->ctx->call, "TargetArn is required");
	s->untrack_wait = json_object_get_int64(irx_json_get(in, "UntrackWaitSeconds"));
	if (s->untrack_wait < 0 || s->untrack_wait > 3600)
		return s->h->fail(s->ctx->call, "UntrackWaitSeconds %lld is out of range (0-3600)",
				  s->untrack_wait);
	s->asg_mode = irx_json_str(in, "AutoScaling");
	if (strcmp(s->asg_mode, "standby") != 0 && strcmp(s->asg_mode, "detach") != 0 &&
	    strcmp(s->asg_mode, "none") != 0)
		return s->h->fail(s->ctx->call,
				  "AutoScaling '%s' is not one of 'standby', 'detach', 'none'",
				  s->asg_mode);
	s->elb = irx_json_bool(in, "ElbDeregister");
	s->ct_tcp = json_object_get_int(irx_json_get(in, "TcpEstablishedTimeout"));
	s->ct_udp_stream = json_object_get_int(irx_json_get(in, "UdpStreamTimeout"));
	s->ct_udp = json_object_get_int(irx_json_get(in, "UdpTimeout"));
	if (s->ct_tcp < 60 || s->ct_tcp > 432000)
		return s->h->fail(s->ctx->call,
				  "TcpEstablishedTimeout %d is out of range (60-432000 seconds)",
				  s->ct_tcp);
	if (s->ct_udp_stream < 60 || s->ct_udp_stream > 180)
		return s->h->fail(s->ctx->call,
				  "UdpStreamTimeout %d is out of range (60-180 seconds)",
				  s->ct_udp_stream);
	if (s->ct_udp < 30 || s->ct_udp > 60)
		return s->h->fail(s->ctx->call, "UdpTimeout %d is out of range (30-60 seconds)",
				  s->ct_udp);
	s->revoke = irx_json_str(in, "RevokeCredentials");
	if (strcmp(s->revoke, "instance-scoped") != 0 &&
	    strcmp(s->revoke, "revoke-older-sessions") != 0 && strcmp(s->revoke, "none") != 0)
		return s->h->fail(s->ctx->call,
				  "RevokeCredentials '%s' is not one of 'instance-scoped', "
				  "'revoke-older-sessions', 'none'",
				  s->revoke);
	s->forensic_cidr = irx_json_nonempty(in, "ForensicCidr");
	if (s->forensic_cidr && check_forensic_cidr(s, s->forensic_cidr) < 0)
		return -1;
	s->disassociate = irx_json_bool(in, "DisassociateAddresses");
	if (check_group_name(s, "IsolationGroupName", iso_name) < 0 ||
	    check_group_name(s, "UntrackGroupName", untrack_name) < 0)
		return -1;
	if (strcmp(iso_name, untrack_name) == 0)
		return s->h->fail(
		    s->ctx->call,
		    "IsolationGroupName and UntrackGroupName are both '%s': they must "
		    "differ",
		    iso_name);
	s->groups[G_UNTRACK].role = ROLE_UNTRACK;
	s->groups[G_ISOLATION].role = ROLE_ISOLATION;
	s->groups[G_FORENSIC].role = ROLE_FORENSIC;
	snprintf(s->groups[G_UNTRACK].name, sizeof(s->groups[0].name), "%s", untrack_name);
	snprintf(s->groups[G_ISOLATION].name, sizeof(s->groups[0].name), "%s", iso_name);
	s->groups[G_UNTRACK].wanted = s->groups[G_ISOLATION].wanted = true;
	if (s->forensic_cidr) {
		/* One forensic group per VPC and CIDR: the CIDR is in the name. */
		char cidr[64];

		snprintf(cidr, sizeof(cidr), "%s", s->forensic_cidr);
		for (char *c = cidr; *c; c++)
			if (*c == '/' || *c == ':')
				*c = '-';
		if (fname && *fname) {
			if (check_group_name(s, "ForensicGroupName", fname) < 0)
				return -1;
			snprintf(s->groups[G_FORENSIC].name, sizeof(s->groups[0].name), "%s",
				 fname);
		} else {
			snprintf(s->groups[G_FORENSIC].name, sizeof(s->groups[0].name),
				 "irx-forensic-%s", cidr);
		}
		s->groups[G_FORENSIC].wanted = true;
	}
	return 0;
}

/* --- 1. record -------------------------------------------------------------------- */

static int eni_index(struct json_object *eni)
{
	return json_object_get_int(irx_json_get(irx_json_get(eni, "Attachment"), "DeviceIndex"));
}

static int by_device_index(const void *a, const void *b)
{
	struct json_object *const *x = a, *const *y = b;

	return eni_index(*x) - eni_index(*y);
}

/* The ENI's group ids as a new array. */
static struct json_object *eni_group_ids(struct json_object *eni)
{
	struct json_object *ids = json_object_new_array(), *g = irx_json_get(eni, "Groups");

	for (size_t i = 0; i < jlen(g); i++) {
		const char *id = irx_json_str(jidx(g, i), "GroupId");

		if (id)
			json_object_array_add(ids, json_object_new_string(id));
	}
	return ids;
}

static int record(struct iso *s)
{
	struct json_object *p = json_object_new_object(), *r = NULL, *resv = NULL, *nis = NULL;
	struct json_object *out = NULL, *vols = NULL, *bdm = NULL;
	const char *owner = NULL;

	json_object_object_add(p, "InstanceIds", str_array1(s->id));
	if (aws_read(s, "ec2", "DescribeInstances", p, &r) < 0)
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
		json_object_object_add(o, "Groups", eni_group_ids(e));
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

/* --- 2. protect evidence ---------------------------------------------------------- */

static struct json_object *attr_value(struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "Value", v);
	return o;
}

/* DescribeInstanceAttribute for attr, in the reads wave. */
static void read_attribute(struct iso *s, struct wave *w, const char *attr,
			   struct json_object **resp)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "Attribute", json_object_new_string(attr));
	json_object_object_add(p, "InstanceId", json_object_new_string(s->id));
	wave_read(w, "ec2", "DescribeInstanceAttribute", p, resp);
}

/*
 * Before anything that could make it fail health checks: an instance that can be terminated
 * (by a person, an attacker or its shutdown behaviour) or whose volumes go with it loses the
 * evidence. ModifyInstanceAttribute takes one attribute per call: three independent calls.
 */
static void protect(struct iso *s, struct wave *w)
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
		wave_change(s, w, what, "ec2", "ModifyInstanceAttribute", p, NULL,
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
		wave_change(s, w, what, "ec2", "ModifyInstanceAttribute", p, NULL,
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
	wave_change(s, w, what, "ec2", "ModifyInstanceAttribute", p, NULL, "DeleteOnTermination",
		    maps, false);
}

/* --- 3. out of service ------------------------------------------------------------- */

/*
 * Before the network changes: an isolated instance fails its health checks, and its Auto
 * Scaling group would terminate it (evidence gone) and its load balancers keep sending users.
 * check_auto_scaling refuses before anything changes; auto_scaling plans the change.
 */
static int check_auto_scaling(struct iso *s, const char **group, const char **life)
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

static void auto_scaling(struct iso *s, struct wave *w, const char *group, const char *life)
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
	wave_change(s, w, what, "autoscaling", standby ? "EnterStandby" : "DetachInstances", p,
		    NULL, "AutoScaling", rec, false);
}

/*
 * AWS refuses to decrement a group's desired capacity below its minimum size, so an instance in
 * a group at its minimum (a group of one, often) can neither enter standby nor be detached as
 * auto_scaling asks: lower the minimum first (recorded, restored on rollback), still without
 * a replacement launched for a machine that exists. The group's sizes need its name (wave 3);
 * the lowering goes in wave 4 and the standby after it, in wave 5 (else the standby goes in
 * wave 4): both still before the groups change in wave 6.
 */
static void read_asg_group(struct iso *s, struct wave *w, const char *group)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "AutoScalingGroupNames", str_array1(group));
	wave_read(w, "autoscaling", "DescribeAutoScalingGroups", p, &s->r_asg_group);
}

/* Plans the lowering in the wave when the group is at its minimum; *lowered says so. */
static int lower_min_size(struct iso *s, struct wave *w, const char *group, bool *lowered)
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
	wave_change(s, w, what, "autoscaling", "UpdateAutoScalingGroup", p, NULL,
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
static void deregister_group(struct iso *s, struct wave *w, struct json_object *tg,
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
	wave_change(s, w, what, "elasticloadbalancingv2", "DeregisterTargets", p, NULL,
		    "TargetGroups", rec, true);
}

/* The target groups that can hold it: the first page came with the reads, the rest here. */
static int target_groups(struct iso *s)
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
		if (aws_read(s, "elasticloadbalancingv2", "DescribeTargetGroups", p, &r) < 0)
			return -1;
	}
	s->health = calloc(jlen(s->tgs) ? jlen(s->tgs) : 1, sizeof(*s->health));
	if (!s->health)
		abort();
	return 0;
}

static void target_health(struct iso *s, struct wave *w)
{
	for (size_t i = 0; i < jlen(s->tgs); i++) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(
		    p, "TargetGroupArn",
		    json_object_get(irx_json_get(jidx(s->tgs, i), "TargetGroupArn")));
		wave_read(w, "elasticloadbalancingv2", "DescribeTargetHealth", p, &s->health[i]);
	}
}

/* --- 4. connection tracking --------------------------------------------------------- */

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
static void connection_tracking(struct iso *s, struct wave *w)
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
		wave_change(s, w, what, "ec2", "ModifyNetworkInterfaceAttribute", p, NULL,
			    "ConnectionTracking", rec, true);
	}
}

/* --- 5. security groups ------------------------------------------------------------- */

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
	c = wave_change(s, w, text, "ec2", op, p, NULL, NULL, NULL, false);
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
 * the next run finds and finishes). read_groups goes with the reads; find_groups refuses a
 * group irx did not make before anything changes.
 */
static void read_groups(struct iso *s, struct wave *w)
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
	wave_read(w, "ec2", "DescribeSecurityGroups", p, &s->r_sgs);
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

static int find_groups(struct iso *s)
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
static int plan_groups(struct iso *s, struct wave *w)
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
		c = wave_change(s, w, what, "ec2", "CreateSecurityGroup", cp, &s->r_create[k], NULL,
				NULL, false);
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
static int created_groups(struct iso *s, struct wave *w)
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
		wave_read(w, "ec2", "DescribeSecurityGroups", dp, &s->r_created);
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
		wave_read(w, "ec2", "DescribeSecurityGroups", dp, &s->r_raced);
	} else {
		json_object_put(names);
	}
	return 0;
}

/* After the describe of the new groups: their rules settled (in the wave). */
static int settle_created(struct iso *s, struct wave *w)
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

static int recheck_groups(struct iso *s, struct wave *w)
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
		if (aws_read(s, "ec2", "DescribeSecurityGroups", p, &s->r_recheck) < 0)
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
		if (wave_send(s, w) < 0)
			return -1;
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

static bool same_set(struct json_object *a, struct json_object *b)
{
	if (jlen(a) != jlen(b))
		return false;
	for (size_t i = 0; i < jlen(a); i++)
		if (!irx_json_array_has(b, json_object_get_string(jidx(a, i))))
			return false;
	return true;
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
static int swap_groups(struct iso *s, struct wave *w)
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
		struct json_object *ids = eni_group_ids(jidx(s->enis, i)),
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
			wave_record(s, w, "NetworkInterfaces", rec);
			continue;
		}
		snprintf(what, sizeof(what), "put '%s' in untrack group '%s' (was %s)", eni,
			 s->groups[G_UNTRACK].id,
			 json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN));
		wave_change(s, w, what, "ec2", "ModifyNetworkInterfaceAttribute",
			    eni_groups_params(eni, str_array1(s->groups[G_UNTRACK].id)), NULL,
			    "NetworkInterfaces", rec, true);
	}
	if (wave_send(s, w) < 0)
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
		wave_change(s, w, what, "ec2", "ModifyNetworkInterfaceAttribute",
			    eni_groups_params(eni, target), NULL, NULL, NULL, false);
	}
	if (wave_send(s, w) < 0)
		goto out;
	note(s->warnings, "flows through NAT gateways, network or gateway load balancers and "
			  "transit gateways stay tracked until their timeouts");
	rc = 0;
out:
	json_object_put(live);
	free(todo);
	return rc;
}

/* --- 6. Elastic IPs ------------------------------------------------------------------ */

static void read_addresses(struct iso *s, struct wave *w)
{
	struct json_object *p = json_object_new_object(), *ids = json_object_new_array();

	for (size_t i = 0; i < jlen(s->enis); i++)
		json_object_array_add(ids, json_object_new_string(irx_json_str(
					       jidx(s->enis, i), "NetworkInterfaceId")));
	/* By ENI, not instance-id: that filter can miss addresses on secondary ENIs. */
	json_object_object_add(p, "Filters", filter("network-interface-id", ids));
	wave_read(w, "ec2", "DescribeAddresses", p, &s->r_addrs);
}

/* Public addresses make it reachable from anywhere the groups would allow: drop them. */
static void addresses(struct iso *s, struct wave *w)
{
	struct json_object *addrs = irx_json_get(s->r_addrs, "Addresses"),
			   *out = json_object_new_array();

	json_object_object_add(s->res->outputs, "DisassociatedAddresses", out);
	for (size_t i = 0; i < jlen(addrs); i++) {
		struct json_object *a = jidx(addrs, i), *rec = NULL, *dp = NULL;
		const char *assoc = irx_json_str(a, "AssociationId");
		char what[512];

		if (!assoc)
			continue;
		rec = json_object_new_object();
		for (const char *const *k =
			 (const char *const[]){"PublicIp", "AllocationId", "AssociationId",
					       "NetworkInterfaceId", "PrivateIpAddress", NULL};
		     *k; k++)
			if (irx_json_str(a, *k))
				json_object_object_add(rec, *k,
						       json_object_new_string(irx_json_str(a, *k)));
		json_object_array_add(out, json_object_get(rec));
		dp = json_object_new_object();
		json_object_object_add(dp, "AssociationId", json_object_new_string(assoc));
		snprintf(what, sizeof(what), "disassociate elastic ip %s from '%s'",
			 irx_json_str(a, "PublicIp") ? irx_json_str(a, "PublicIp") : "?",
			 irx_json_str(a, "NetworkInterfaceId")
			     ? irx_json_str(a, "NetworkInterfaceId")
			     : s->id);
		wave_change(s, w, what, "ec2", "DisassociateAddress", dp, NULL, "Addresses", rec,
			    true);
	}
}

/* --- 7. credentials ------------------------------------------------------------------ */

static const char *last_segment(const char *arn)
{
	const char *slash = strrchr(arn, '/');

	return slash ? slash + 1 : arn;
}

static bool revoking(struct iso *s)
{
	return strcmp(s->revoke, "none") != 0 &&
	       irx_json_str(irx_json_get(s->instance, "IamInstanceProfile"), "Arn") != NULL;
}

static void read_profile(struct iso *s, struct wave *w)
{
	struct json_object *p = json_object_new_object();
	const char *profile_arn =
	    irx_json_str(irx_json_get(s->instance, "IamInstanceProfile"), "Arn");

	json_object_object_add(p, "InstanceProfileName",
			       json_object_new_string(last_segment(profile_arn)));
	wave_read(w, "iam", "GetInstanceProfile", p, &s->r_profile);
}

/* After GetInstanceProfile: the role, the policy's name, ListRolePolicies in the wave. */
static void read_role_policies(struct iso *s, struct wave *w)
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
	wave_read(w, "iam", "ListRolePolicies", p, &s->r_policies);
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
		if (aws_read(s, "iam", "ListRolePolicies", p, &r) < 0)
			return -1;
	}
}

/*
 * Credentials already taken from instance metadata stay valid when the profile changes: deny
 * them where they are used. The instance-scoped deny binds to credentials vended to this
 * instance only; revoke-older-sessions kills every earlier session of the role.
 */
static int credentials(struct iso *s, struct wave *w)
{
	struct json_object *p = NULL, *doc = NULL, *st = NULL, *cond = NULL, *rec = NULL;
	struct json_object *stmts = NULL, *c = NULL;
	bool scoped = strcmp(s->revoke, "instance-scoped") == 0, has = false;
	char now[32], what[512];

	if (!revoking(s) || !s->role_name)
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
	wave_change(s, w, what, "iam", "PutRolePolicy", p, NULL, "RolePolicy", rec, false);
	return 0;
}

/* --- 9. tags ------------------------------------------------------------------------- */

/* Tags say when it was isolated, by which run; planned last, with the last wave's changes
 * counted: a re-run of a contained one keeps them. */
static void tag_instance(struct iso *s, struct wave *w)
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
	wave_change(s, w, what, "ec2", "CreateTags", p, NULL, "Tags", rec, false);
}

/* --- isolate:ec2Instance ------------------------------------------------------------- */

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

	if (record(s) < 0) /* 1 */
		return -1;
	/* 2: every read that needs only the instance */
	read_attribute(s, w, "disableApiTermination", &s->r_term);
	read_attribute(s, w, "instanceInitiatedShutdownBehavior", &s->r_shutdown);
	if (asg) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "InstanceIds", str_array1(s->id));
		wave_read(w, "autoscaling", "DescribeAutoScalingInstances", p, &s->r_asg);
	}
	if (s->elb)
		wave_read(w, "elasticloadbalancingv2", "DescribeTargetGroups",
			  json_object_new_object(), &s->r_tgs);
	read_groups(s, w);
	if (s->disassociate)
		read_addresses(s, w);
	if (revoking(s))
		read_profile(s, w);
	if (wave_send(s, w) < 0)
		return -1;
	/* Refusals before any change. */
	if (s->elb && target_groups(s) < 0)
		return -1;
	if (asg && check_auto_scaling(s, &asg_group, &asg_life) < 0)
		return -1;
	if (find_groups(s) < 0)
		return -1;
	/* 3: the changes that need only the reads, and the reads that need the first ones */
	protect(s, w);
	connection_tracking(s, w);
	if (plan_groups(s, w) < 0)
		return -1;
	target_health(s, w);
	if (revoking(s))
		read_role_policies(s, w);
	if (asg_group)
		read_asg_group(s, w, asg_group);
	if (wave_send(s, w) < 0)
		return -1;
	/* 4: deregistration, what the new groups really got, standby (or the group's minimum
	   lowered first) */
	for (size_t i = 0; i < jlen(s->tgs); i++)
		deregister_group(s, w, jidx(s->tgs, i), s->health[i]);
	if (created_groups(s, w) < 0)
		return -1;
	if (asg_group && lower_min_size(s, w, asg_group, &lowered) < 0)
		return -1;
	if (!lowered)
		auto_scaling(s, w, asg_group, asg_life);
	if (wave_send(s, w) < 0)
		return -1;
	/* 5: the new groups' rules, standby after the lowered minimum */
	if (settle_created(s, w) < 0)
		return -1;
	if (lowered)
		auto_scaling(s, w, asg_group, asg_life);
	if (wave_send(s, w) < 0)
		return -1;
	/* only when another execution changed a group's rules first: describe it again */
	if (recheck_groups(s, w) < 0)
		return -1;
	/* 6, 7: untrack, wait, isolate */
	if (swap_groups(s, w) < 0)
		return -1;
	/* 8: addresses, credentials, tags */
	if (s->disassociate)
		addresses(s, w);
	if (credentials(s, w) < 0)
		return -1;
	tag_instance(s, w);
	return wave_send(s, w);
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
	if (read_inputs(&s, inputs) < 0 || contain(&s, &w) < 0)
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
	wave_free(&s, &w);
	iso_free(&s);
	return rc;
}

/* --- rollback ------------------------------------------------------------------------ */

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

static bool irx_group(struct json_object *sgs, const char *id)
{
	bool ours = false;

	json_object_object_foreach(sgs, k, v)
	{
		(void)k;
		ours = ours || strcmp(json_object_get_string(v), id) == 0;
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
		ids = eni_group_ids(live);
		if (same_set(ids, orig)) {
			json_object_put(ids);
			continue;
		}
		for (size_t k = 0; k < jlen(ids); k++)
			ours = ours && irx_group(sgs, json_object_get_string(jidx(ids, k)));
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

/* After undo_asg (the instance counts again): the minimum lower_min_size lowered, unless
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
static int release_instance(const struct irx_context *ctx, struct json_object *undo,
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
	if (!u.id || !is_instance_id(u.id)) {
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
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, ec2_params, isolate_instance, release_instance,
     isolate_calls},
    {0},
};

IRX_PLUGIN_DEFINE("isolate", "1.0.0", "Apache-2.0", isolate_actions, NULL, NULL)
