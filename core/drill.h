/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drills: rehearse a containment end to end on decoys. A scenario file (YAML) says
 *
 *   name: ec2-isolate                 # optional; the file name without extension
 *   description: ...                  # optional
 *   region: us-east-1                 # optional; the client's region otherwise
 *   setup:                            # API calls creating the decoys, in order
 *     - name: topic                   # names the call's outputs: {{ topic.TopicArn }}
 *       service: sns                  # as aws:executeAwsApi: boto3 or irx service names
 *       api: CreateTopic
 *       params: {Name: 'irx-drill-{{ drill:RUN_ID }}'}
 *       outputs:
 *         - {name: TopicArn, selector: $.TopicArn}
 *     - name: running                 # a wait: repeats the call until the selector's value is
 *       service: ec2                  # one of desiredValues (timeoutSeconds, default 300)
 *       api: DescribeInstances
 *       params: {InstanceIds: ['{{ instance.InstanceId }}']}
 *       selector: $.Reservations[0].Instances[0].State.Name
 *       desiredValues: [running]
 *   runbook:
 *     name: ec2-isolate               # on the runbook path, or a file
 *     target: 'arn:aws:ec2:{{ global:REGION }}:{{ global:ACCOUNT_ID }}:instance/{{ ... }}'
 *     targets: [...]                  # or several: one execution each
 *     parameters: {NotifyTopicArn: '{{ topic.TopicArn }}', UntrackWaitSeconds: 0}
 *   assertions:                       # as aws:assertAwsResourceProperty, after the runbook
 *     - name: groups-isolated
 *       service: ec2
 *       api: DescribeNetworkInterfaces
 *       params: {...}
 *       selector: $.NetworkInterfaces[*].Groups[*].GroupName
 *       desiredValues: [irx-isolation]
 *     - name: reports-the-decoy         # or on one of the runbook's declared outputs
 *       output: describeInstances.InstanceIds
 *       containsValues: ['{{ instance.InstanceId }}']
 *   teardown:                         # run ALWAYS, last entry first; a failure is reported
 *     - service: sns                  # and the next entry still runs
 *       api: DeleteTopic
 *       params: {TopicArn: '{{ topic.TopicArn }}'}
 *       allowErrors: [NotFound]       # AWS error codes that mean "already gone"
 *
 * Templates: {{ NAME.OUTPUT }} for an earlier setup call's output, {{ global:ACCOUNT_ID }},
 * {{ global:REGION }}, {{ drill:RUN_ID }} (8 hex digits, unique per run: decoy names) and, in
 * assertions and teardown, {{ runbook.STEP.OUTPUT }} (the last execution's runbook outputs; a
 * list's items also as {{ runbook.STEP.OUTPUT.0 }}, .1, ...) and {{ runbook:EXECUTION_ID }}.
 * An assertion checks the value its selector picks (for an output, the whole output when it has
 * none) with desiredValues (one of them; a list: non-empty and every element one of them) or
 * containsValues (each of them is the value, or for a list one of its elements).
 * Teardown entries may wait too (selector, desiredValues, timeoutSeconds), like setup's. A teardown
 * entry that names a setup output never captured (its setup did not run) is skipped, not failed.
 *
 * Ownership: a drill owns its document; every const char * and node points into it.
 */
#ifndef IRX_DRILL_H
#define IRX_DRILL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "executor.h"

struct irx_actions;
struct irx_aws_client;
struct irx_diags;
struct irx_doc;
struct irx_error;
struct irx_node;

struct irx_drill_output {
	const char *name;
	const char *selector;
};

/* A setup, assertion or teardown entry. */
struct irx_drill_call {
	const char *name; /* setup: required, unique; others: optional ("" none) */
	const char *service, *api;
	const struct irx_node *params; /* a map, or NULL for none */
	struct irx_drill_output *outputs;
	size_t output_count;
	const char *selector;	      /* assertions and waits; NULL otherwise ("$" for an output) */
	struct json_object *desired;  /* owned array of strings, or NULL */
	struct json_object *contains; /* assertions' containsValues: the same, or NULL */
	const char *output;	      /* an assertion on a runbook output (STEP.OUTPUT); NULL: an
					 API call (service, api, params) */
	long long timeout_s;	      /* setup waits */
	const char **allow_errors;    /* teardown: error codes treated as done */
	size_t allow_error_count;
	const struct irx_node *node;
};

struct irx_drill {
	struct irx_doc *doc;	 /* owned */
	char *path;		 /* owned */
	char *name;		 /* owned */
	const char *description; /* "" when absent */
	const char *region;	 /* NULL: the client's */
	struct irx_drill_call *setup, *assertions, *teardown;
	size_t setup_count, assertion_count, teardown_count;
	const char *runbook;		     /* name or path */
	const struct irx_node *runbook_node; /* for positions */
	const struct irx_node *parameters;   /* a map or NULL */
	const char **targets;		     /* templates; may be empty */
	size_t target_count;
};

/*
 * Loads and checks a scenario: keys, types, names, services and APIs (the AWS models), params
 * members, selectors, templates and what they reference. Returns NULL when the file cannot be
 * read or parsed or has any problem, with every problem in diags ("file:line:col: message").
 */
struct irx_drill *irx_drill_load(const char *path, struct irx_diags *diags);
struct irx_drill *irx_drill_load_buffer(const char *name, const char *buf, size_t len,
					struct irx_diags *diags);
void irx_drill_free(struct irx_drill *d);

/* Progress of a drill, for the command's stderr. phase: "setup", "runbook", "assert",
 * "teardown"; status: "passed", "failed", "skipped". */
typedef void irx_drill_progress_fn(void *ud, const char *phase, const char *name,
				   const char *status, long long duration_ms, const char *message);

struct irx_drill_options {
	struct irx_aws_client *aws;  /* borrowed: setup, assertions, teardown, the runbook */
	struct irx_actions *actions; /* borrowed: for the runbook */
	const char *runbook_path;    /* the resolved runbook file */
	const char *state_dir;	     /* journals */
	const char *mode;	     /* "aws" or "sim": recorded in the report */
	irx_drill_progress_fn *progress;
	void *progress_ud;
	irx_progress_fn *step_progress; /* the runbook's steps; may be NULL */
	void *step_progress_ud;
	irx_log_fn *log; /* plugin logs; NULL: the executor's default */
	void *log_ud;
	long long wait_interval_ms; /* setup waits between polls; 0: 2000 */
};

/*
 * Runs setup, the runbook (one journaled execution per target, through irx_execute), the
 * assertions and, always, the teardown. Fills *report (transferred; see irx_drill_report_*).
 * Returns 0 when the drill ran (passed or not: report's "passed"), -1 with err set when it
 * could not start at all.
 *
 * The report: {scenario, path, runbook, mode, run_id, account_id, region, start_time,
 * end_time, duration_ms, passed, teardown_clean, failure, time_to_contain_ms (the slowest
 * entity's, or null), entities: [{entity, execution_id, status, time_to_contain_ms}],
 * steps: [{phase, name, detail, status, message, start_ms, end_ms, start_time, end_time}]}
 * where start_ms / end_ms count from the drill's start. Runbook steps come from the journal
 * (phase "runbook", name "TARGET: step").
 */
int irx_drill_run(const struct irx_drill *d, const struct irx_drill_options *o,
		  struct json_object **report, struct irx_error *err);

/*
 * Time to contain from an execution's journal records: from the execution's start to the end of
 * its last successful step that is not a notification (action namespace notify:). -1 when the
 * execution did not succeed or contained nothing.
 */
long long irx_drill_time_to_contain(struct json_object *records);

/* The report as JUnit XML (one testsuite, a testcase per setup call, execution, assertion and
 * teardown call) and as a self-contained HTML page. New strings. */
char *irx_drill_report_junit(struct json_object *report);
char *irx_drill_report_html(struct json_object *report);

/*
 * Writes report.json, junit.xml and report.html into dir (created, mode 0700 when new).
 * Returns 0, or -1 with err set.
 */
int irx_drill_report_write(struct json_object *report, const char *dir, struct irx_error *err);

/* History: <state_dir>/drills/history.jsonl, one line per run: {scenario, path, time, passed,
 * time_to_contain_ms, duration_ms, report_dir}. */
int irx_drill_history_append(const char *state_dir, struct json_object *report,
			     const char *report_dir, struct irx_error *err);
/* Every line (oldest first), those of scenario only when non-NULL. Transferred; a missing
 * file is an empty array. NULL with err set when it cannot be read. */
struct json_object *irx_drill_history_read(const char *state_dir, const char *scenario,
					   struct irx_error *err);

/*
 * The drill search path: ./drills, IRX_DRILL_PATH (colon-separated), the installed drills
 * (share/irx/drills beside the runbooks). A name ("ec2-isolate") or a path (contains '/' or
 * ends in .yaml/.yml) to a file. Returns a new string or NULL.
 */
char *irx_drill_find(const char *name_or_path);

#endif
