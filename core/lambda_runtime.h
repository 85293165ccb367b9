/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS Lambda Runtime API client behind `irx lambda-runtime` (irx as the `bootstrap` of a
 * provided.al2023 function): GET /2018-06-01/runtime/invocation/next blocks until an
 * invocation arrives; the handler's answer is POSTed to .../invocation/ID/response, a failure
 * to .../invocation/ID/error as {"errorMessage", "errorType"}; a failure before the first
 * invocation to /2018-06-01/runtime/init/error. Plain HTTP to AWS_LAMBDA_RUNTIME_API (host:port).
 */
#ifndef IRX_LAMBDA_RUNTIME_H
#define IRX_LAMBDA_RUNTIME_H

#include <signal.h>
#include <stddef.h>

#include <json-c/json.h>

#include "error.h"

struct irx_lambda_invocation {
	const char *request_id;	  /* Lambda-Runtime-Aws-Request-Id */
	long long deadline_ms;	  /* Lambda-Runtime-Deadline-Ms (epoch ms), 0 when absent */
	const char *function_arn; /* Lambda-Runtime-Invoked-Function-Arn, or "" */
	const char *body;	  /* the event, NUL-terminated */
	size_t len;
};

/*
 * Handles one invocation. Returns 0 with *response (transferred) as the result, or -1 with
 * err set and *error_type (static) naming the error ("InvalidEvent").
 */
typedef int irx_lambda_handler_fn(void *ud, const struct irx_lambda_invocation *inv,
				  struct json_object **response, const char **error_type,
				  struct irx_error *err);

struct irx_lambda_runtime_options {
	const char *api; /* AWS_LAMBDA_RUNTIME_API: "host:port" */
	irx_lambda_handler_fn *handler;
	void *ud;
	size_t max_invocations;		   /* 0: until the API goes away or *stop */
	const volatile sig_atomic_t *stop; /* may be NULL */
};

/*
 * Serves invocations. Returns 0 after max_invocations or *stop, or -1 with err set when the
 * Runtime API cannot be reached or answers next with an error.
 */
int irx_lambda_runtime_run(const struct irx_lambda_runtime_options *o, struct irx_error *err);

/* Reports an initialisation failure. Returns 0, or -1 with err set. */
int irx_lambda_init_error(const char *api, const char *error_type, const char *message,
			  struct irx_error *err);

#endif
