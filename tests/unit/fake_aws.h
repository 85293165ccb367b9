/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scripted stand-in for the host's AWS call, for unit tests of plugins
 * linked statically: answers come from handlers or canned replies per
 * "service:Operation", and every call is recorded in order.
 *
 *     struct fake_aws *f = fake_aws_new();
 *     fake_aws_reply(f, "ec2:DescribeInstances", "{\"Reservations\":[...]}");
 *     fake_aws_error(f, "ec2:ModifyNetworkInterfaceAttribute", 403, "UnauthorizedOperation",
 *                    "You are not authorized");
 *     const struct irx_context *ctx = fake_aws_context(f, "step", false);
 *     rc = action->execute(ctx, inputs, &res);
 *     fake_aws_calls(f) -> [{"service":"ec2","operation":"...","params":{...}}, ...]
 *     fake_aws_free(f);
 */
#ifndef IRX_FAKE_AWS_H
#define IRX_FAKE_AWS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "irx/plugin.h"

struct fake_aws;

/* A handler computes a reply from the params; return 0 and set *response, or -1 after
 * fake_aws_set_error. */
typedef int fake_aws_handler_fn(void *ud, struct fake_aws *f, struct json_object *params,
				struct json_object **response);

struct fake_aws *fake_aws_new(void);
void fake_aws_free(struct fake_aws *f);

/* Replies (JSON text) are used in order; the last one repeats. */
void fake_aws_reply(struct fake_aws *f, const char *op, const char *json);
void fake_aws_error(struct fake_aws *f, const char *op, int http_status, const char *code,
		    const char *message);
void fake_aws_handle(struct fake_aws *f, const char *op, fake_aws_handler_fn *fn, void *ud);
/* For handlers: fail the current call as AWS would. */
void fake_aws_set_error(struct fake_aws *f, int http_status, const char *code,
			const char *message);

/*
 * Checks every later call against an action's declared calls (irx_action.aws_calls, borrowed,
 * NULL-terminated) as the host does: an undeclared one fails without being answered, with
 * "action called ec2:Foo, which it does not declare in aws_calls". NULL: no check (the default).
 */
void fake_aws_declare(struct fake_aws *f, const char *const *aws_calls);

/* The context to pass to execute/rollback; valid until the next call or free. */
const struct irx_context *fake_aws_context(struct fake_aws *f, const char *step, bool dry_run);

/* Every call so far, host->aws_call_expect's too (an expected error code makes it return 1):
 * [{"service","operation","params"}] (borrowed). */
struct json_object *fake_aws_calls(struct fake_aws *f);
/* "ec2:DescribeInstances,ec2:ModifyInstanceAttribute,..." (borrowed, valid until next call). */
const char *fake_aws_call_names(struct fake_aws *f);
/* The message of the last host->fail or AWS error, "" when none; checkpoints taken. */
const char *fake_aws_failure(struct fake_aws *f);
int fake_aws_checkpoints(struct fake_aws *f);
/* How many host->aws_call_many batches were sent (their calls are in fake_aws_calls too). */
int fake_aws_batches(struct fake_aws *f);
/* Milliseconds host->sleep was asked to sleep, in total. */
long long fake_aws_slept_ms(struct fake_aws *f);

#endif
