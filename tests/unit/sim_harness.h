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

#endif
