/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `irx poll`: events from an SQS queue. Worker threads long-poll the queue; each message's body
 * is an event (events.h: an SNS envelope from an SQS subscription, a raw EventBridge event, an
 * irx event form), run in process through event_run.h. While it runs, a heartbeat thread keeps
 * the message invisible (ChangeMessageVisibility) and renews its dedupe claims. The message is
 * deleted only once every execution it started is journaled (success or a recorded failure),
 * or when every target is a duplicate; otherwise it is left for redelivery (and, after the
 * queue's maxReceiveCount, its dead-letter queue).
 *
 * Dedupe with a DynamoDB table (partition key "pk", type S): a claim is a conditional PutItem
 *   {pk, state: "running", owner, expiresAt: now + lease}
 *   if attribute_not_exists(pk) OR expiresAt < :now
 * renewed by the heartbeat while the execution runs; once it is journaled the item becomes
 *   {pk, state: "done", executionId, status, expiresAt: now + dedupe window}.
 * A failed claim reads the item: "done" is a duplicate (the message is deleted without running);
 * "running" is another worker's live claim (the message comes back later, so a worker that dies
 * mid-execution does not lose the finding: its lease runs out and the redelivery claims it).
 * expiresAt (epoch seconds) can be the table's TTL attribute.
 */
#ifndef IRX_SQS_POLL_H
#define IRX_SQS_POLL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "event_run.h"

struct irx_config;
struct irx_actions;
struct irx_aws_client;

#define IRX_POLL_MAX_WORKERS 64

struct irx_poll_options {
	const char *queue_url;	      /* required */
	size_t workers;		      /* threads; 0: 1 */
	const char *dedupe_table;     /* NULL: the local dedupe store in run.state_dir */
	int visibility_s;	      /* per receive, extended while running; 0: 60 */
	int wait_s;		      /* long-poll wait, 0..20; < 0: 20 */
	long long lease_s;	      /* a running claim's lease; 0: 4 x visibility */
	const char *worker_id;	      /* owner of claims; NULL: "host:pid" */
	const struct irx_config *cfg; /* borrowed */
	struct irx_actions *actions;  /* borrowed */
	struct irx_aws_client *aws;   /* SQS and DynamoDB calls; borrowed, thread-safe */
	/* A client serialises its requests, so a 20 s long poll on the shared one would hold up
	   the heartbeats: with these options each worker receives on a client of its own.
	   NULL: receive on aws too (tests with an injected transport). Borrowed. */
	const struct irx_aws_client_options *receive_client;
	struct irx_event_run_options run; /* state_dir, dry_run, the executions' AWS, log */
	irx_event_log_fn *log;		  /* NULL: run.log */
	void *log_ud;
};

struct irx_poll_stats {
	unsigned long received;
	unsigned long deleted;
	unsigned long duplicates; /* messages deleted because every target was a duplicate */
	unsigned long executed;	  /* executions journaled */
	unsigned long failed;	  /* ... that did not end Success */
	unsigned long invalid;	  /* bodies that are no event: left for the dead-letter queue */
	unsigned long retried;	  /* messages left for redelivery (busy claim, not journaled) */
	unsigned long released;	  /* received after the stop: made visible again */
	unsigned long errors;	  /* SQS / DynamoDB calls that failed */
};

/*
 * Runs the workers until *stop becomes nonzero (set it from a SIGTERM handler): receiving
 * stops, running executions finish (and their messages are deleted), a message that arrives
 * in a long poll after the stop is made visible again at once. Returns 0, or -1 with err set
 * for bad options. stats (may be NULL) gets the totals.
 */
int irx_poll_run(const struct irx_poll_options *o, const volatile sig_atomic_t *stop,
		 struct irx_poll_stats *stats, struct irx_error *err);

/* The region in an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), or "". */
void irx_poll_queue_region(const char *url, char *out, size_t size);

#endif
