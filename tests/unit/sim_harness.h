/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local AWS simulator (tools/awssim) for test suites: started with /usr/bin/python3 on a free
 * port of 127.0.0.1 (it writes the port to a file in the suite's tmpdir), stopped with SIGTERM,
 * and its control endpoint (/__awssim/...) for seeding, faults and end-state assertions.
 */
#ifndef IRX_SIM_HARNESS_H
#define IRX_SIM_HARNESS_H

#include <sys/types.h>

#include <json-c/json.h>

struct irx_sim {
	pid_t pid; /* 0 when not running */
	int port;
	char url[64]; /* "http://127.0.0.1:PORT" */
};

/*
 * Starts the simulator with its default seed (accounts 111111111111/AKIDEXAMPLE and
 * 222222222222/AKIDEXAMPLE2) and waits up to 30 s for its port. Returns 0, or -1 (nothing left
 * running).
 */
int irx_sim_start(struct irx_sim *sim);

/* Stops it (SIGTERM, then waits). Safe on a simulator that is not running. */
void irx_sim_stop(struct irx_sim *sim);

/*
 * method path (e.g. "GET", "/__awssim/state?account=111111111111") with an optional JSON body.
 * Returns the HTTP status (0 when no answer came); when out is non-NULL, *out is the parsed JSON
 * answer (NULL if it was not JSON; caller puts it).
 */
long irx_sim_control(const struct irx_sim *sim, const char *method, const char *path,
		     const char *body, struct json_object **out);

/*
 * The environment for a child process talking to the simulator as AKIDEXAMPLE in us-east-1, no
 * profile or IMDS: "K=V" strings and bare "K" (removed: glibc's putenv), NULL-terminated, for
 * irx_test_run. Static storage, valid until the next call.
 */
const char *const *irx_sim_env(const struct irx_sim *sim);

/*
 * A control request that must answer 200: otherwise CU_FAIL, with the request and the answer on
 * stderr. Returns the JSON answer (caller puts); NULL after a failure or when it was not JSON.
 */
struct json_object *irx_sim_control_ok(const struct irx_sim *sim, const char *method,
				       const char *path, const char *body);

/*
 * Runs service:op (e.g. "ec2", "RunInstances") as the account's root in account/region through
 * POST /__awssim/call, which is never faulted nor logged: for seeding and reading. params_fmt
 * is a printf format of the params' JSON text. Returns the operation's result (caller puts): an
 * empty object when there is none, or after a failure (CU_FAIL when the params are not JSON or
 * the request failed).
 */
struct json_object *irx_sim_call(const struct irx_sim *sim, const char *account, const char *region,
				 const char *service, const char *op, const char *params_fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * One account's state of a service ("ec2", "autoscaling", ...; "iam" is global) as
 * GET /__awssim/state answers it. Returns it (caller puts), an empty object when missing.
 */
struct json_object *irx_sim_state(const struct irx_sim *sim, const char *account,
				  const char *region, const char *service);

/* ---- seeding ---------------------------------------------------------------------------- */

/* The AMI the seeding helpers launch. */
#define IRX_SIM_AMI "ami-0a1b2c3d4e5f60004"

/*
 * RunInstances of `count` instances of IRX_SIM_AMI in account/region; `extra` is more members of
 * the request's JSON object (",\"NetworkInterfaces\":[...]", "" for none). Asserts (fatally) that
 * `count` were launched; their ids go to ids[0..count). Returns the result (caller puts).
 */
struct json_object *irx_sim_run_instances(const struct irx_sim *sim, const char *account,
					  const char *region, int count, const char *extra,
					  char (*ids)[32]);

/* The account's default VPC and its subnet (the first subnet the account has): ids copied. */
void irx_sim_default_subnet(const struct irx_sim *sim, const char *account, const char *region,
			    char vpc[32], char subnet[32]);

/*
 * The role "irx-responder" in account, which `trusted` (an account id) may assume with the
 * ExternalId external_id: what a configuration's `role:` and `external_id:` reach.
 */
void irx_sim_responder_role(const struct irx_sim *sim, const char *account, const char *trusted,
			    const char *external_id);

#endif
