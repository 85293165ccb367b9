/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routing: which runbook contains which entity of a finding. Rules are tried in order (the
 * configuration's, then the shipped defaults unless turned off); the first rule whose every
 * condition holds wins, per entity:
 *
 *   finding_type   glob patterns (fnmatch; a star crosses slashes): "CryptoCurrency:*"; matched
 *                  against GuardDuty's detail.type or any ASFF Types[] entry / GeneratorId
 *   min_severity   0-10 (GuardDuty's scale; ASFF Normalized / 10) or low|medium|high|critical
 *   resource_type  entity kinds: ec2-instance, iam-user, iam-role, access-key, lambda-function
 *   source         guardduty, securityhub, sns, arn
 *   account        12-digit account ids
 *
 * Sample findings run in dry-run unless forced; so does a rule with dry_run: true. A finding
 * + entity seen within the dedupe window does not start a second execution: a claim is a file
 * per key in <state>/dedupe/, created with O_EXCL.
 */
#ifndef IRX_ROUTING_H
#define IRX_ROUTING_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct irx_config;
struct irx_config_access;
struct irx_event;
struct irx_entity;
struct irx_finding;
struct irx_error;
struct irx_node;

#define IRX_DEDUPE_DEFAULT_WINDOW_S 3600

struct irx_route_rule {
	const char *name;
	const char *const *finding_types; /* NULL-terminated globs; NULL: any */
	const char *const *sources;	  /* NULL-terminated; NULL: any */
	const char *const *accounts;	  /* NULL-terminated; NULL: any */
	unsigned kinds;	     /* bit (1 << enum irx_entity_kind); 0: any supported kind */
	double min_severity; /* applies when has_min_severity */
	bool has_min_severity;
	const char *runbook;
	bool dry_run; /* always dry-run */
	bool builtin;
	const struct irx_node *node; /* where the rule is written; NULL for a default */
};

/* The shipped rules, in order, ending with a rule whose name is NULL. */
extern const struct irx_route_rule irx_default_rules[];

/* True if every condition of r holds for this entity of this finding. */
bool irx_route_rule_matches(const struct irx_route_rule *r, const struct irx_event *ev,
			    const struct irx_finding *f, const struct irx_entity *e);

/* One target of a plan: the runbook's TargetArn and the parameters that go with it. */
struct irx_plan_target {
	char *arn;	     /* owned */
	char *access_key_id; /* owned; bound to AccessKeyId when the runbook has it */
	const char *kind;    /* static: irx_entity_kind_name */
	char *finding_id;    /* owned; may be NULL */
	const char *runbook; /* borrowed from the rule; NULL when nothing routes */
	const char *rule;    /* borrowed; the rule that chose it */
	bool dry_run;
	char *dry_run_reason;	 /* owned; why dry-run ("sample finding"), or NULL */
	bool duplicate;		 /* seen within the window: not run */
	char *dedupe_key;	 /* owned; 64 hex characters, or NULL (no finding id) */
	char *skip_reason;	 /* owned; why nothing runs for it, or NULL */
	/* How the target's account is reached (config.h): owned; NULL when the configuration
	   names no role for it (the caller's credentials) or the ARN names no account. */
	struct irx_config_access *access;
	const char *role_arn;	 /* the chain's last role (into access), or NULL */
	const char *external_id; /* access's ExternalId, or NULL */
};

struct irx_plan {
	struct irx_plan_target *targets;
	size_t count;
	size_t runnable; /* targets with a runbook, not duplicates */
};

struct irx_plan_options {
	bool dry_run;	       /* --dry-run: everything dry-run */
	bool force_sample;     /* run sample findings for real */
	bool claim;	       /* claim dedupe keys (irx run); false: only look (irx route) */
	const char *state_dir; /* where dedupe/ lives; NULL: no dedupe */
	long long now;	       /* seconds since the epoch; 0: time(NULL) */
};

/*
 * Decides, for every entity of every finding of ev, the runbook (or why none), the targets,
 * dry-run or not and why, whether it is a duplicate, and the role chain into its account
 * (irx_config_access; a target whose access path cannot be built is skipped, saying why).
 * With o->claim, the dedupe key of each runnable target is claimed, so a second plan within
 * the window finds it duplicate.
 * Returns 0, or -1 with err set (IRX_ERR_IO: the dedupe store cannot be written).
 */
int irx_events_plan(const struct irx_config *cfg, const struct irx_event *ev,
		    const struct irx_plan_options *o, struct irx_plan *out, struct irx_error *err);
void irx_plan_release(struct irx_plan *p);
/*
 * [{"arn", "kind", "runbook", "rule", "dryRun", "dryRunReason", "duplicate", "skipReason",
 *   "roleArn", "viaRoles": [hub role ARNs before roleArn, only for a chain]}].
 */
struct json_object *irx_plan_json(const struct irx_plan *p);

/*
 * The dedupe store. Key: SHA-256 of "finding id\nentity arn\naccess key id". A claim is the
 * file <state_dir>/dedupe/<key>; it is stale after window_s seconds. Claim returns 1 (new,
 * claimed), 0 (a claim within the window exists), -1 with err set. Check does not write.
 */
void irx_dedupe_key(const char *finding_id, const char *arn, const char *access_key_id,
		    char out[65]);
int irx_dedupe_claim(const char *state_dir, const char *key, long long window_s, long long now,
		     struct irx_error *err);
int irx_dedupe_check(const char *state_dir, const char *key, long long window_s, long long now);

#endif
