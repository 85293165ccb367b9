/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of the isolate plugin share (private: nothing here is installed or exported).
 * isolate:ec2Instance is one containment in phases, each phase its own file (isolate.c names
 * them in order); they all work on one struct iso, the run's inputs, live state and report,
 * and plan their changes into a struct wave, the calls that go out together.
 *
 * Functions shared between the files are isolate_-prefixed: every plugin is linked into the
 * unit tests together, and the .so is built with hidden visibility, so only its entry point is
 * exported. The small JSON helpers below are static inline, as plugin_util.h's are.
 */
#ifndef IRX_PLUGIN_ISOLATE_H
#define IRX_PLUGIN_ISOLATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "irx/plugin.h"
#include "irx/plugin_util.h"

#define ACTION_NAME "isolate:ec2Instance"
#define ROLE_UNTRACK "untrack"
#define ROLE_ISOLATION "isolation"
#define ROLE_FORENSIC "forensic"

enum group_kind { G_UNTRACK, G_ISOLATION, G_FORENSIC, G_COUNT };

/* One of irx's security groups in the instance's VPC, as this run knows it. */
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

/* One run of isolate:ec2Instance: its inputs, what it read, what it changed. */
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

/* --- small JSON helpers --------------------------------------------------------- */

/* irx_json_str, "" when absent. */
static inline const char *jstr0(struct json_object *o, const char *key)
{
	const char *v = irx_json_str(o, key);

	return v ? v : "";
}

static inline size_t jlen(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static inline struct json_object *jidx(struct json_object *a, size_t i)
{
	return json_object_array_get_idx(a, i);
}

static inline struct json_object *str_array1(const char *s)
{
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(s));
	return a;
}

/* Filters=[{"Name":name,"Values":values}] (values transferred). */
static inline struct json_object *filter(const char *name, struct json_object *values)
{
	struct json_object *fs = json_object_new_array(), *f = json_object_new_object();

	json_object_object_add(f, "Name", json_object_new_string(name));
	json_object_object_add(f, "Values", values);
	json_object_array_add(fs, f);
	return fs;
}

static inline struct json_object *tag(const char *key, const char *value)
{
	struct json_object *t = json_object_new_object();

	json_object_object_add(t, "Key", json_object_new_string(key));
	if (value)
		json_object_object_add(t, "Value", json_object_new_string(value));
	return t;
}

/* The value of tag key in a [{Key,Value}] list: "" for a tag without a value, NULL when the
 * tag is absent. */
static inline const char *tag_value(struct json_object *tags, const char *key)
{
	struct json_object *t = irx_json_array_find(tags, "Key", key);
	const char *v = irx_json_str(t, "Value");

	return !t ? NULL : v ? v : "";
}

static inline void note(struct json_object *arr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void note(struct json_object *arr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(arr, json_object_new_string(buf));
}

/* Do two arrays of strings hold the same strings (in any order)? */
static inline bool same_set(struct json_object *a, struct json_object *b)
{
	if (jlen(a) != jlen(b))
		return false;
	for (size_t i = 0; i < jlen(a); i++)
		if (!irx_json_array_has(b, json_object_get_string(jidx(a, i))))
			return false;
	return true;
}

/* {"Value": v} (v transferred): how ModifyInstanceAttribute takes one attribute. */
static inline struct json_object *attr_value(struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "Value", v);
	return o;
}

/* --- wave.c: the calls of one round trip ------------------------------------------ */

int isolate_aws_read(struct iso *s, const char *svc, const char *op, struct json_object *params,
		     struct json_object **resp);
void isolate_wave_read(struct wave *w, const char *svc, const char *op, struct json_object *params,
		       struct json_object **resp);
struct wcall *isolate_wave_change(struct iso *s, struct wave *w, const char *what, const char *svc,
				  const char *op, struct json_object *params,
				  struct json_object **resp, const char *key,
				  struct json_object *value, bool push);
void isolate_wave_record(struct iso *s, struct wave *w, const char *key, struct json_object *value);
int isolate_wave_send(struct iso *s, struct wave *w);
void isolate_wave_free(struct iso *s, struct wave *w);

/* --- inputs.c: the step's inputs, read and checked ---------------------------------- */

bool isolate_is_instance_id(const char *p);
int isolate_read_inputs(struct iso *s, struct json_object *in);

/* --- instance.c: the instance's record, evidence protection and tags --------------- */

int isolate_record(struct iso *s);
void isolate_read_attribute(struct iso *s, struct wave *w, const char *attr,
			    struct json_object **resp);
void isolate_protect(struct iso *s, struct wave *w);
void isolate_tag_instance(struct iso *s, struct wave *w);

/* --- out_of_service.c: Auto Scaling and ELBv2 -------------------------------------- */

int isolate_check_auto_scaling(struct iso *s, const char **group, const char **life);
void isolate_auto_scaling(struct iso *s, struct wave *w, const char *group, const char *life);
void isolate_read_asg_group(struct iso *s, struct wave *w, const char *group);
int isolate_lower_min_size(struct iso *s, struct wave *w, const char *group, bool *lowered);
int isolate_target_groups(struct iso *s);
void isolate_target_health(struct iso *s, struct wave *w);
void isolate_deregister_group(struct iso *s, struct wave *w, struct json_object *tg,
			      struct json_object *health);

/* --- groups.c: irx's security groups per VPC ----------------------------------------- */

void isolate_read_groups(struct iso *s, struct wave *w);
int isolate_find_groups(struct iso *s);
int isolate_plan_groups(struct iso *s, struct wave *w);
int isolate_created_groups(struct iso *s, struct wave *w);
int isolate_settle_created(struct iso *s, struct wave *w);
int isolate_recheck_groups(struct iso *s, struct wave *w);

/* --- interfaces.c: the network interfaces and their connection tracking ------------- */

struct json_object *isolate_eni_group_ids(struct json_object *eni);
void isolate_connection_tracking(struct iso *s, struct wave *w);
int isolate_swap_groups(struct iso *s, struct wave *w);

/* --- addresses.c: Elastic IPs -------------------------------------------------------- */

void isolate_read_addresses(struct iso *s, struct wave *w);
void isolate_addresses(struct iso *s, struct wave *w);

/* --- credentials.c: the instance role's credentials ----------------------------------- */

bool isolate_revoking(struct iso *s);
void isolate_read_profile(struct iso *s, struct wave *w);
void isolate_read_role_policies(struct iso *s, struct wave *w);
int isolate_credentials(struct iso *s, struct wave *w);

/* --- rollback.c ------------------------------------------------------------------------- */

int isolate_release_instance(const struct irx_context *ctx, struct json_object *undo,
			     struct irx_result *res);

#endif /* IRX_PLUGIN_ISOLATE_H */
