/* SPDX-License-Identifier: Apache-2.0 */
/* The simulator for test suites (sim_harness.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/client.h"
#include "json_access.h"
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

struct json_object *irx_sim_control_ok(const struct irx_sim *sim, const char *method,
				       const char *path, const char *body)
{
	struct json_object *out = NULL;
	long status = irx_sim_control(sim, method, path, body, &out);

	if (status != 200) {
		fprintf(stderr, "\n  %s %s -> %ld: %s\n", method, path, status,
			out ? json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN)
			    : "(no JSON)");
		CU_FAIL("control request failed");
		json_object_put(out);
		return NULL;
	}
	return out;
}

struct json_object *irx_sim_call(const struct irx_sim *sim, const char *account, const char *region,
				 const char *service, const char *op, const char *params_fmt, ...)
{
	struct json_object *req = NULL, *params = NULL, *out = NULL, *r = NULL;
	char *text = NULL;
	va_list ap;

	va_start(ap, params_fmt);
	text = irx_xvasprintf(params_fmt, ap);
	va_end(ap);
	params = json_tokener_parse(text);
	if (!params) {
		fprintf(stderr, "\n  bad params for %s:%s: %s\n", service, op, text);
		CU_FAIL("call params are not JSON");
		goto done;
	}
	/* built with json-c, so any account, operation or params text is quoted right */
	req = json_object_new_object();
	json_object_object_add(req, "account", json_object_new_string(account));
	json_object_object_add(req, "region", json_object_new_string(region));
	json_object_object_add(req, "service", json_object_new_string(service));
	json_object_object_add(req, "operation", json_object_new_string(op));
	json_object_object_add(req, "params", params);
	out = irx_sim_control_ok(sim, "POST", "/__awssim/call",
				 json_object_to_json_string_ext(
				     req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	r = json_object_get(jk(out, "result"));
done:
	json_object_put(out);
	json_object_put(req);
	free(text);
	return r ? r : json_object_new_object();
}

struct json_object *irx_sim_state(const struct irx_sim *sim, const char *account,
				  const char *region, const char *service)
{
	char path[256] = "", key[128] = "";
	struct json_object *all = NULL, *st = NULL;

	snprintf(path, sizeof(path), "/__awssim/state?account=%s&service=%s", account, service);
	if (strcmp(service, "iam") == 0)
		snprintf(key, sizeof(key), "%s/%s", account, service);
	else
		snprintf(key, sizeof(key), "%s/%s/%s", account, region, service);
	all = irx_sim_control_ok(sim, "GET", path, NULL);
	st = json_object_get(jk(jk(all, "state"), key));
	json_object_put(all);
	return st ? st : json_object_new_object();
}

struct json_object *irx_sim_run_instances(const struct irx_sim *sim, const char *account,
					  const char *region, int count, const char *extra,
					  char (*ids)[32])
{
	struct json_object *r = irx_sim_call(sim, account, region, "ec2", "RunInstances",
					     "{\"ImageId\":\"" IRX_SIM_AMI "\",\"MinCount\":%d,"
					     "\"MaxCount\":%d%s}",
					     count, count, extra);
	struct json_object *list = jk(r, "Instances");

	CU_ASSERT_EQUAL_FATAL(jlen(list), (size_t)count);
	for (int i = 0; i < count; i++)
		snprintf(ids[i], 32, "%s", js(jk(ji(list, (size_t)i), "InstanceId")));
	return r;
}

void irx_sim_default_subnet(const struct irx_sim *sim, const char *account, const char *region,
			    char vpc[32], char subnet[32])
{
	struct json_object *r = irx_sim_call(sim, account, region, "ec2", "DescribeSubnets", "{}");

	snprintf(subnet, 32, "%s", js(jk(ji(jk(r, "Subnets"), 0), "SubnetId")));
	snprintf(vpc, 32, "%s", js(jk(ji(jk(r, "Subnets"), 0), "VpcId")));
	json_object_put(r);
}

void irx_sim_responder_role(const struct irx_sim *sim, const char *account, const char *trusted,
			    const char *external_id)
{
	/* IAM is global: the region is only the control request's */
	json_object_put(irx_sim_call(
	    sim, account, "us-east-1", "iam", "CreateRole",
	    "{\"RoleName\":\"irx-responder\",\"AssumeRolePolicyDocument\":"
	    "\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":"
	    "\\\"Allow\\\",\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:iam::%s:root\\\"},"
	    "\\\"Action\\\":\\\"sts:AssumeRole\\\",\\\"Condition\\\":{\\\"StringEquals\\\":"
	    "{\\\"sts:ExternalId\\\":\\\"%s\\\"}}}]}\"}",
	    trusted, external_id));
}
