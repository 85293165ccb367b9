/* SPDX-License-Identifier: Apache-2.0 */
/* The simulator for test suites (sim_harness.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/client.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

int irx_sim_start(struct irx_sim *sim)
{
	char port_file[600] = "";
	char script[4096] = "";
	char *text = NULL;
	size_t len = 0;

	memset(sim, 0, sizeof(*sim));
	snprintf(script, sizeof(script), "%s", irx_test_src("tools/awssim/awssim"));
	snprintf(port_file, sizeof(port_file), "%s/awssim.port", irx_test_tmpdir());
	unlink(port_file);
	fflush(NULL);
	sim->pid = fork();
	if (sim->pid < 0) {
		sim->pid = 0;
		return -1;
	}
	if (sim->pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl("/usr/bin/python3", "python3", script, "--port-file", port_file,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600; i++) {
		/* the port file is renamed into place whole, newline-terminated */
		if (irx_read_file(port_file, 64, &text, &len) == 0 && len > 0 &&
		    text[len - 1] == '\n') {
			sim->port = atoi(text);
			snprintf(sim->url, sizeof(sim->url), "http://127.0.0.1:%d", sim->port);
			free(text);
			return 0;
		}
		free(text);
		text = NULL;
		if (waitpid(sim->pid, NULL, WNOHANG) == sim->pid) {
			sim->pid = 0;
			return -1;
		}
		usleep(50000);
	}
	irx_sim_stop(sim);
	return -1;
}

void irx_sim_stop(struct irx_sim *sim)
{
	if (sim->pid > 0) {
		kill(sim->pid, SIGTERM);
		waitpid(sim->pid, NULL, 0);
	}
	sim->pid = 0;
}

long irx_sim_control(const struct irx_sim *sim, const char *method, const char *path,
		     const char *body, struct json_object **out)
{
	struct irx_aws_curl *c = irx_aws_curl_new();
	char *url = irx_xasprintf("%s%s", sim->url, path);
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct irx_aws_transport_request req = {
	    method, url, headers, body, body ? strlen(body) : 0, 5000, 30000};
	struct irx_aws_transport_response resp = {0};
	long status = 0;

	if (out)
		*out = NULL;
	irx_aws_curl_perform(c, &req, &resp, 1);
	status = resp.status;
	if (out && resp.body)
		*out = json_tokener_parse(resp.body);
	irx_aws_transport_response_release(&resp);
	irx_aws_curl_free(c);
	free(url);
	return status;
}

const char *const *irx_sim_env(const struct irx_sim *sim)
{
	static char endpoint[96];
	static const char *env[16];
	size_t n = 0;

	snprintf(endpoint, sizeof(endpoint), "AWS_ENDPOINT_URL=%s", sim->url);
	env[n++] = endpoint;
	env[n++] = "AWS_ACCESS_KEY_ID=AKIDEXAMPLE";
	env[n++] = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	env[n++] = "AWS_REGION=us-east-1";
	env[n++] = "AWS_DEFAULT_REGION=us-east-1";
	env[n++] = "AWS_EC2_METADATA_DISABLED=true";
	env[n++] = "AWS_SHARED_CREDENTIALS_FILE=/nonexistent-irx-test/credentials";
	env[n++] = "AWS_CONFIG_FILE=/nonexistent-irx-test/config";
	/* bare names: glibc's putenv removes them, so the caller's own settings cannot leak in */
	env[n++] = "AWS_PROFILE";
	env[n++] = "AWS_SESSION_TOKEN";
	env[n++] = "AWS_ROLE_ARN";
	env[n++] = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
	env[n] = NULL;
	return env;
}
