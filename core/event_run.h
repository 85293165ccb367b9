/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running an event in process: what `irx run --event` does (routing.h's plan, then one
 * execution per runnable target), as a library call for `irx poll` and the Lambda runtime.
 * Nothing is printed: progress goes to a log callback, results into a JSON array.
 *
 * Dedupe claims are either the local store (routing.h, when claim is NULL) or the caller's
 * (a DynamoDB table in `irx poll`): claim is asked for each runnable target that has a finding
 * id; done is told once the execution is journaled; release when it could not run at all, so a
 * redelivered message can try again.
 */
#ifndef IRX_EVENT_RUN_H
#define IRX_EVENT_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "aws/client.h"

struct irx_config;
struct irx_event;
struct irx_actions;
struct irx_exec_result;

enum irx_claim {
	IRX_CLAIM_DUPLICATE = 0, /* finished (or running) within the window elsewhere: skip */
	IRX_CLAIM_OK = 1,	 /* ours: run it */
	IRX_CLAIM_BUSY = 2,	 /* another worker holds a live claim: try again later */
};

/* Returns an enum irx_claim, or -1 with err set. key: 64 hex characters. */
typedef int irx_claim_fn(void *ud, const char *key, struct irx_error *err);
/* The execution of key is journaled (res->status says how it ended). */
typedef void irx_claim_done_fn(void *ud, const char *key, const struct irx_exec_result *res);
/* The execution of key could not start or be journaled: give the claim back. */
typedef void irx_claim_release_fn(void *ud, const char *key);
/* One line of progress, no trailing newline. */
typedef void irx_event_log_fn(void *ud, const char *line);

struct irx_event_run_options {
	const char *state_dir;		/* required: journals (and the local dedupe store) */
	bool dry_run;			/* everything dry-run */
	bool force_sample;		/* sample findings for real */
	struct irx_aws_cli_options aws; /* region, profile, role (borrowed) */
	irx_claim_fn *claim;		/* NULL: the local dedupe store in state_dir */
	irx_claim_done_fn *done;
	irx_claim_release_fn *release;
	void *claim_ud;
	irx_event_log_fn *log; /* NULL: silent */
	void *log_ud;
	const volatile sig_atomic_t *cancel; /* passed to each execution; may be NULL */
};

struct irx_event_run_result {
	/* [{"arn", "kind", "runbook", "findingId", "dryRun", "executionId", "status",
	     "failureMessage", "notRun"}]; owned */
	struct json_object *targets;
	size_t executed;   /* executions journaled (any status) */
	size_t failed;	   /* ... that did not end Success */
	size_t skipped;	   /* no runbook, duplicates */
	size_t busy;	   /* claimed by a live worker elsewhere (IRX_CLAIM_BUSY) */
	size_t unrecorded; /* could not run or be journaled (runbook invalid, journal error) */
};

/*
 * Plans ev with cfg and runs each runnable target with actions (borrowed; the plugins must
 * outlive the call). Each execution gets an AWS client of its own (freed after it), so a
 * long-running caller keeps no per-execution state. Returns 0 (look at out's counts), or -1
 * with err set when nothing could be planned (the dedupe store or the claim call failed).
 */
int irx_event_run(const struct irx_config *cfg, const struct irx_event *ev,
		  struct irx_actions *actions, const struct irx_event_run_options *o,
		  struct irx_event_run_result *out, struct irx_error *err);
void irx_event_run_result_release(struct irx_event_run_result *r);

#endif
