/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built-in aws:* actions irx runs itself. Each is an ordinary
 * struct irx_action (see irx_builtin_actions in actions.h); their execute
 * functions are core code and may use struct irx_call (core/host.h).
 */
#ifndef IRX_BUILTINS_H
#define IRX_BUILTINS_H

#include <stddef.h>

#include "irx/plugin.h"

/* SSM's limit for aws:sleep: "a maximum delay of 604799 seconds (7 days)". */
#define IRX_SLEEP_MAX_MS (604799LL * 1000)

int irx_builtin_branch(const struct irx_context *ctx, struct json_object *inputs,
		       struct irx_result *result);
int irx_builtin_sleep(const struct irx_context *ctx, struct json_object *inputs,
		      struct irx_result *result);
/* builtin_aws_api.c: the actions on the AWS client (host->aws_call). */
int irx_builtin_execute_aws_api(const struct irx_context *ctx, struct json_object *inputs,
				struct irx_result *result);
int irx_builtin_wait_for_aws_resource_property(const struct irx_context *ctx,
					       struct json_object *inputs,
					       struct irx_result *result);
int irx_builtin_assert_aws_resource_property(const struct irx_context *ctx,
					     struct json_object *inputs,
					     struct irx_result *result);
/*
 * The property check of aws:assertAwsResourceProperty and aws:waitForAwsResourceProperty (also
 * used by drills): 1 when the value sel selects in resp (borrowed) is one of want (an array of
 * strings; a list matches when non-empty and every element does), else 0. shown gets the value
 * as text ("'running'", "[...]" or "not in the response").
 */
int irx_aws_property_matches(struct json_object *resp, const char *sel, struct json_object *want,
			     char *shown, size_t len);
/* builtin_run_command.c: aws:runCommand on ssm:SendCommand, waiting for every invocation. */
/* The AWS calls aws:runCommand makes (its irx_action.aws_calls), NULL-terminated. */
extern const char *const irx_builtin_run_command_calls[];
int irx_builtin_run_command(const struct irx_context *ctx, struct json_object *inputs,
			    struct irx_result *result);

/*
 * Parses an ISO-8601 duration as aws:sleep accepts it (Java's
 * Duration.parse grammar, as SSM: PnDTnHnMn.nS, case-insensitive, no sign)
 * into milliseconds. Returns 0, or -1 with a message in errbuf.
 */
int irx_iso8601_duration_ms(const char *s, long long *ms, char *errbuf, size_t errlen);

/*
 * Parses an ISO-8601 UTC timestamp "YYYY-MM-DDTHH:MM:SS[.fff]Z" into
 * milliseconds since the epoch. Returns 0, or -1 with a message in errbuf.
 */
int irx_iso8601_timestamp_ms(const char *s, long long *ms, char *errbuf, size_t errlen);

#endif
