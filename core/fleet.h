/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fleets: one runbook, one execution per target, many targets at once (`irx run --targets`).
 *
 * A targets file is either a list of ARNs (one a line; '#' starts a comment; blank lines are
 * ignored) or a query, in YAML or JSON:
 *
 *     tags: {Environment: prod, Compromised: [yes, suspected]}   # every key must match
 *     resourceTypes: [ec2:instance]                              # Tagging API filters
 *     accounts: all | ["111111111111", ...]                      # all: the configured accounts
 *     regions: all | [us-east-1, ...]                             # all/absent: each account's
 *
 * A query is resolved with resourcegroupstaggingapi:GetResources in every account and region,
 * as the configured role of the account. Duplicate ARNs are run once.
 *
 * Executions run on a pool of worker threads bounded overall, per account and per region (a
 * region counts across accounts; global ARNs such as IAM's count as region "global"). Each has
 * its own journal; each account has its own AWS client (its own credentials, assumed-role cache
 * and retry quota: AWS throttles per account), all sharing one pool of connections. Throttling
 * is retried by the client (standard mode, IRX_FLEET_MAX_ATTEMPTS attempts unless
 * AWS_MAX_ATTEMPTS says otherwise); an execution fails only when its retries are exhausted.
 *
 * Every fleet has an id ("fleet-<uuid>") and a journal (core/fleet_journal.h): what it set out
 * to do, each target's end, and the fleet's end; each execution's execution_start names the
 * fleet. `irx resume FLEET_ID` reads them back and runs the fleet again with a plan per target
 * (irx_fleet_run_plan): already ended, resume the interrupted execution, or start one.
 */
#ifndef IRX_FLEET_H
#define IRX_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "executor.h"

struct irx_actions;
struct irx_config;
struct irx_diags;
struct irx_error;
struct irx_journal;
struct irx_runbook;

#define IRX_FLEET_DEFAULT_CONCURRENCY 8
#define IRX_FLEET_DEFAULT_PER_ACCOUNT 4
#define IRX_FLEET_DEFAULT_PER_REGION 4
#define IRX_FLEET_MAX_CONCURRENCY 256
#define IRX_FLEET_MAX_ATTEMPTS 8
#define IRX_FLEET_MAX_TARGETS 100000

/* What a targets file asks for: a list of ARNs, or a query to resolve. */
struct irx_fleet_spec {
	char **arns; /* owned: the file's ARNs (a list file), in order, without duplicates */
	size_t arn_count;
	bool is_query;
	/* the query (is_query): owned strings */
	char **tag_keys;
	char ***tag_values; /* per key: NULL-terminated values; an empty list: any value */
	size_t tag_count;
	char **resource_types;
	size_t resource_type_count;
	bool all_accounts;
	char **accounts;
	size_t account_count;
	bool all_regions; /* "all" or absent */
	char **regions;
	size_t region_count;
};

/*
 * Reads a targets file. Returns 0, or -1 with every problem in diags ("file:line:col: ...":
 * a line that is not an ARN, an unknown query key, a malformed value). An empty list is an
 * error ("no targets in 'FILE'").
 */
int irx_fleet_spec_load(const char *path, struct irx_fleet_spec *spec, struct irx_diags *diags);
int irx_fleet_spec_load_buffer(const char *name, const char *buf, size_t len,
			       struct irx_fleet_spec *spec, struct irx_diags *diags);
void irx_fleet_spec_release(struct irx_fleet_spec *spec);

/* How an execution ended, for the summary. */
enum irx_fleet_outcome {
	IRX_FLEET_CONTAINED = 1, /* the execution succeeded (in a dry run: would contain) */
	IRX_FLEET_SKIPPED = 2,	 /* it succeeded, but an exception skipped containment steps */
	IRX_FLEET_FAILED = 3,	 /* it failed, timed out, was cancelled or could not start */
};

struct irx_fleet_result {
	char *arn; /* owned */
	char account[16];
	char region[32];
	char execution_id[IRX_EXECUTION_ID_LEN + 1]; /* "" when no execution started */
	enum irx_fleet_outcome outcome;
	const char *status; /* the execution's status (static), or "NotStarted" */
	char *reason;	    /* owned: why it failed or was skipped; NULL when contained */
	long long duration_ms;
	/* Its execution is still interrupted: a resume was refused (a non-idempotent step would
	 * run again without force, ...). Its outcome is failed; the fleet does not end. */
	bool interrupted;
};

/* Called (serialised: never two at once) as each execution ends; done counts the ended ones. */
typedef void irx_fleet_done_fn(void *ud, const struct irx_fleet_result *r, size_t done,
			       size_t total);

struct irx_fleet_options {
	const struct irx_runbook *rb;	/* validated; borrowed (irx_fleet_each: may be NULL) */
	struct irx_actions *actions;	/* every action of rb already looked up (validation does) */
	const struct irx_config *cfg;	/* accounts and their roles; may be NULL */
	const char *const *assignments; /* NAME=VALUE parameters besides TargetArn */
	size_t assignment_count;
	/* Copied into every execution's options: state_dir, dry_run, case_id,
	 * max_step_executions, the exception settings; region is the default when an ARN has
	 * none; account_id, progress, log and the AWS members are set per execution. */
	struct irx_exec_options base;
	/* The AWS client: region and profile; role_arn/external_id, when set, are used in every
	 * account instead of the configuration's roles (as `irx run --role-arn`). */
	const char *profile;
	const char *role_arn;
	const char *external_id;
	unsigned concurrency; /* 0: IRX_FLEET_DEFAULT_CONCURRENCY */
	unsigned per_account; /* 0: IRX_FLEET_DEFAULT_PER_ACCOUNT */
	unsigned per_region;  /* 0: IRX_FLEET_DEFAULT_PER_REGION */
	irx_fleet_done_fn *done;
	void *done_ud;
	irx_log_fn *log; /* plugins' log lines (warnings and errors); NULL: none */
	void *log_ud;
	/* Continue a fleet (irx resume FLEET_ID) instead of starting one. NULL: a new fleet. */
	const struct irx_fleet_resume *resume;
};

/* A fleet continued: its journal is appended to, its id kept. */
struct irx_fleet_resume {
	const char *fleet_id;
	struct irx_journal *journal; /* open for append; taken over by irx_fleet_new (always) */
	bool force;		     /* re-run interrupted non-idempotent steps */
	/* "NAME=VALUE" for secret parameters the executions' journals redacted (borrowed) */
	const char *const *overrides;
	size_t override_count;
};

/* What irx_fleet_run_plan does with a target. */
enum irx_fleet_action {
	IRX_FLEET_START = 0,  /* run a new execution */
	IRX_FLEET_RESUME = 1, /* continue the interrupted execution_id (core/resume.h) */
	IRX_FLEET_DONE = 2,   /* it ended before: report result, run nothing */
};

struct irx_fleet_target {
	const char *arn; /* borrowed */
	enum irx_fleet_action action;
	const char *execution_id; /* RESUME; DONE: its execution ("" or NULL when none) */
	/* DONE: the recorded result (borrowed; copied into the results) */
	enum irx_fleet_outcome outcome;
	const char *status; /* static (irx_fleet_status_static) */
	const char *reason; /* NULL when contained */
	long long duration_ms;
	bool recorded; /* DONE: the fleet journal has its target_end already */
};

struct irx_fleet;

/* A fleet for o (borrowed until irx_fleet_free); nothing is sent yet. NULL with err set. */
struct irx_fleet *irx_fleet_new(const struct irx_fleet_options *o, struct irx_error *err);
void irx_fleet_free(struct irx_fleet *f);

/* The fleet's id ("fleet-<uuid>"; borrowed, valid until irx_fleet_free), known from
 * irx_fleet_new on: print it before the run, so a responder can resume a killed fleet. */
const char *irx_fleet_id(const struct irx_fleet *f);

/*
 * The targets a spec names: its ARNs, or the query's matches in every account and region
 * (GetResources, pages followed). Fills *arns (owned strings, free each and the array) and
 * returns 0, or -1 with err set (an account the query names cannot be reached, ...).
 */
int irx_fleet_resolve(struct irx_fleet *f, const struct irx_fleet_spec *spec, char ***arns,
		      size_t *count, struct irx_error *err);

/*
 * Runs one execution per target (borrowed strings) and fills *results (owned; release with
 * irx_fleet_results_free), in the targets' order. The fleet journal is created first (with
 * fleet_start), then each target's end and the fleet's end are appended. Returns 0 once every
 * target has ended (check the outcomes), or -1 with err set when no worker could be started or
 * the fleet journal could not be created (then nothing ran and *results is NULL), or when it
 * could not be written to later (then every target ran: *results is filled).
 */
int irx_fleet_run(struct irx_fleet *f, const char *const *targets, size_t count,
		  struct irx_fleet_result **results, struct irx_error *err);
/*
 * The same with a plan per target (irx resume FLEET_ID; o->resume set): a "resume" record is
 * appended instead of fleet_start, DONE targets are reported at once (and their target_end
 * recorded unless it was), the others run on the workers within the same bounds. The fleet
 * ends (fleet_end) unless an execution is left interrupted (then resume_end).
 */
int irx_fleet_run_plan(struct irx_fleet *f, const struct irx_fleet_target *plan, size_t count,
		       struct irx_fleet_result **results, struct irx_error *err);
void irx_fleet_results_free(struct irx_fleet_result *results, size_t count);

/*
 * Other work per target on the fleet's workers, within the same bounds (irx rollback FLEET_ID):
 * fn runs on a worker thread for target i; r (borrowed, for the call only) has its arn and the
 * account and region parsed from it. Never two calls for one target; several at once otherwise.
 */
typedef void irx_fleet_work_fn(void *ud, struct irx_fleet *f, size_t i,
			       const struct irx_fleet_result *r);
/*
 * Runs fn for every target (borrowed strings) and returns once all have returned: 0, or -1 with
 * err set when no worker could be started (then fn ran for none). Nothing is journaled: the
 * fleet's journal and o->rb, o->done are not used.
 */
int irx_fleet_each(struct irx_fleet *f, const char *const *targets, size_t count,
		   irx_fleet_work_fn *fn, void *ud, struct irx_error *err);
/*
 * Points eo's AWS members at the account's client, reached as the fleet reaches it
 * (o->role_arn, else the configuration's role chain, else the caller's credentials), calling
 * in region (NULL or "": the client's) with RoleSessionName session_name (NULL: "irx").
 * Thread-safe. Returns 0, or -1 with err set (IRX_ERR_CREDENTIALS: the configuration gives no
 * way into the account, with its reason; a client that cannot be created).
 */
int irx_fleet_attach(struct irx_fleet *f, const char *account, const char *region,
		     const char *session_name, struct irx_exec_options *eo, struct irx_error *err);

/* "contained", "skipped", "failed". */
const char *irx_fleet_outcome_name(enum irx_fleet_outcome o);

/*
 * The summary as JSON: {FleetId, Runbook, DryRun, Targets, Contained, Skipped, Failed,
 * DurationMs, Executions: [{TargetArn, Account, Region, AutomationExecutionId, Outcome,
 * AutomationExecutionStatus, Reason, DurationMs}]}. Transferred.
 */
struct json_object *irx_fleet_summary(const struct irx_fleet *f,
				      const struct irx_fleet_result *results, size_t count,
				      long long duration_ms);
/*
 * The text summary `irx run --targets` prints (a count line, then a line per target not
 * contained: outcome, ARN, execution id, reason; tab-separated). Transferred (free).
 */
char *irx_fleet_summary_text(bool dry_run, const struct irx_fleet_result *results, size_t count,
			     long long duration_ms);

#endif
