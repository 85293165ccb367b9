/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The containment benchmark (make bench, driven by tools/bench under tools/awssim/run-with-sim
 * --latency-ms N):
 *   bench_contain BUILD_DIR LATENCY_MS WORK_DIR
 * with AWSSIM_URL and the simulator's credentials in the environment (runbooks and irx's state
 * go in WORK_DIR). Seeds account
 * 111111111111 through POST /__awssim/call (an instance with three ENIs in an Auto Scaling group,
 * registered in two target groups, an Elastic IP, an instance profile with a role; an IAM user
 * with two access keys and a console password; a Lambda function), then contains each entity
 * with `irx run` of a one-step runbook (isolate:ec2Instance with UntrackWaitSeconds 0,
 * deny:iamUser, concurrency-zero:lambda) and prints JSON per containment: wall time of the
 * `irx run` process, the requests the simulator logged (GET /__awssim/requests) and the
 * sequential round trips among them.
 *
 * Round trips are counted from the log: each entry has the time the simulator started handling
 * the request and how long it took (`ms`, without the injected latency, which is slept after
 * it). Sorted by start, a request opens a new round trip when it starts after every request of
 * the current one has been answered (start + ms + latency); requests sent together by
 * host->aws_call_many overlap and share one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#define ACCT "111111111111"
#define REGION "us-east-1"
#define AMI "ami-0a1b2c3d4e5f60004"
#define ZIP "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="

static const char *sim_url;

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *d, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	char *grown = realloc(b->p, b->n + size * n + 1);

	if (!grown)
		return 0;
	b->p = grown;
	memcpy(b->p + b->n, d, size * n);
	b->n += size * n;
	b->p[b->n] = '\0';
	return size * n;
}

/* method path [body] on the control endpoint; the parsed answer (caller puts), NULL on error. */
static struct json_object *control(const char *method, const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	struct buf b = {0};
	struct json_object *o = NULL;
	char url[1024];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", sim_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200 && b.p)
		o = json_tokener_parse(b.p);
	else
		fprintf(stderr, "bench_contain: %s %s -> %ld %s\n", method, path, status,
			b.p ? b.p : "");
	free(b.p);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return o;
}

/* An operation run by the simulator as the account's root; params from fmt. Exits on error. */
static struct json_object *call(const char *svc, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct json_object *call(const char *svc, const char *op, const char *fmt, ...)
{
	char params[8192], body[9000];
	struct json_object *r = NULL, *res = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(params, sizeof(params), fmt, ap);
	va_end(ap);
	snprintf(body, sizeof(body),
		 "{\"account\":\"" ACCT "\",\"region\":\"" REGION "\",\"service\":\"%s\","
		 "\"operation\":\"%s\",\"params\":%s}",
		 svc, op, params);
	r = control("POST", "/__awssim/call", body);
	if (!r) {
		fprintf(stderr, "bench_contain: seeding %s:%s failed\n", svc, op);
		exit(1);
	}
	/* the answer is the operation's result, or {"result": ...} */
	if (json_object_object_get_ex(r, "result", &res)) {
		json_object_get(res);
		json_object_put(r);
		return res;
	}
	return r;
}

static const char *sget(struct json_object *o, const char *path)
{
	/* "A.0.B": keys and array indexes */
	char tmp[256], *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *k = strtok_r(tmp, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	}
	return o ? json_object_get_string(o) : "";
}

struct estate {
	char vpc[32], subnet[32], sg[3][32], instance[32], eni3[32], tg[2][256], alloc[40];
};

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

static void seed(struct estate *e)
{
	struct json_object *r = NULL;
	const char *names[3] = {"web", "app", "mgmt"};

	r = call("ec2", "DescribeVpcs", "{}");
	copy(e->vpc, sizeof(e->vpc), sget(r, "Vpcs.0.VpcId"));
	json_object_put(r);
	r = call("ec2", "DescribeSubnets", "{}");
	copy(e->subnet, sizeof(e->subnet), sget(r, "Subnets.0.SubnetId"));
	json_object_put(r);
	for (int i = 0; i < 3; i++) {
		r = call("ec2", "CreateSecurityGroup",
			 "{\"GroupName\":\"%s\",\"Description\":\"%s\",\"VpcId\":\"%s\"}", names[i],
			 names[i], e->vpc);
		copy(e->sg[i], sizeof(e->sg[i]), sget(r, "GroupId"));
		json_object_put(r);
	}
	json_object_put(call("iam", "CreateRole",
			     "{\"RoleName\":\"web-role\",\"AssumeRolePolicyDocument\":\"{}\"}"));
	json_object_put(call("iam", "CreateInstanceProfile", "{\"InstanceProfileName\":\"web\"}"));
	json_object_put(call("iam", "AddRoleToInstanceProfile",
			     "{\"InstanceProfileName\":\"web\",\"RoleName\":\"web-role\"}"));
	r = call(
	    "ec2", "RunInstances",
	    "{\"ImageId\":\"" AMI "\",\"MinCount\":1,\"MaxCount\":1,\"InstanceType\":\"t3.micro\","
	    "\"IamInstanceProfile\":{\"Name\":\"web\"},\"NetworkInterfaces\":["
	    "{\"DeviceIndex\":0,\"SubnetId\":\"%s\",\"Groups\":[\"%s\",\"%s\"]},"
	    "{\"DeviceIndex\":1,\"SubnetId\":\"%s\",\"Groups\":[\"%s\"]},"
	    "{\"DeviceIndex\":2,\"SubnetId\":\"%s\",\"Groups\":[\"%s\"]}],"
	    "\"BlockDeviceMappings\":[{\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"VolumeSize\":10}}]}",
	    e->subnet, e->sg[0], e->sg[1], e->subnet, e->sg[2], e->subnet, e->sg[0]);
	copy(e->instance, sizeof(e->instance), sget(r, "Instances.0.InstanceId"));
	json_object_put(r);
	json_object_put(call("autoscaling", "CreateAutoScalingGroup",
			     "{\"AutoScalingGroupName\":\"web-asg\",\"MinSize\":1,\"MaxSize\":3,"
			     "\"DesiredCapacity\":1,\"InstanceId\":\"%s\"}",
			     e->instance));
	for (int i = 0; i < 2; i++) {
		r = call("elasticloadbalancing", "CreateTargetGroup",
			 "{\"Name\":\"web-%d\",\"Protocol\":\"HTTP\",\"Port\":%d,\"VpcId\":\"%s\"}",
			 i, i ? 8080 : 80, e->vpc);
		copy(e->tg[i], sizeof(e->tg[i]), sget(r, "TargetGroups.0.TargetGroupArn"));
		json_object_put(r);
		json_object_put(call("elasticloadbalancing", "RegisterTargets",
				     "{\"TargetGroupArn\":\"%s\",\"Targets\":[{\"Id\":\"%s\"}]}",
				     e->tg[i], e->instance));
	}
	r = call("ec2", "AllocateAddress", "{\"Domain\":\"vpc\"}");
	copy(e->alloc, sizeof(e->alloc), sget(r, "AllocationId"));
	json_object_put(r);
	json_object_put(call("ec2", "AssociateAddress",
			     "{\"AllocationId\":\"%s\",\"InstanceId\":\"%s\"}", e->alloc,
			     e->instance));

	json_object_put(call("iam", "CreateUser", "{\"UserName\":\"mallory\",\"Path\":\"/dev/\"}"));
	json_object_put(call("iam", "CreateAccessKey", "{\"UserName\":\"mallory\"}"));
	json_object_put(call("iam", "CreateAccessKey", "{\"UserName\":\"mallory\"}"));
	json_object_put(call("iam", "CreateLoginProfile",
			     "{\"UserName\":\"mallory\",\"Password\":\"Hunter2-Hunter2!\"}"));

	json_object_put(call("iam", "CreateRole",
			     "{\"RoleName\":\"miner-role\",\"Path\":\"/service-role/\","
			     "\"AssumeRolePolicyDocument\":\"{}\"}"));
	json_object_put(call("lambda", "CreateFunction",
			     "{\"FunctionName\":\"miner\",\"Runtime\":\"python3.12\","
			     "\"Handler\":\"index.handler\",\"Role\":\"arn:aws:iam::" ACCT
			     ":role/service-role/miner-role\",\"Code\":{\"ZipFile\":\"" ZIP
			     "\"}}"));
	json_object_put(call("lambda", "PutFunctionConcurrency",
			     "{\"FunctionName\":\"miner\",\"ReservedConcurrentExecutions\":5}"));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* irx run RUNBOOK -t TARGET; its exit status. */
static int irx_run(const char *build, const char *runbook, const char *target, const char *state)
{
	char irx[4096], plugins[4096];
	pid_t pid = 0;
	int status = 0;

	snprintf(irx, sizeof(irx), "%s/irx", build);
	snprintf(plugins, sizeof(plugins), "%s/plugins", build);
	pid = fork();
	if (pid == 0) {
		setenv("IRX_PLUGIN_PATH", plugins, 1);
		setenv("IRX_STATE_DIR", state, 1);
		/* stdout is the benchmark's JSON: irx's output goes to stderr (IRX_BENCH_SHOW_IRX)
		   or nowhere */
		if (getenv("IRX_BENCH_SHOW_IRX")) {
			if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
				_exit(126);
		} else if (!freopen("/dev/null", "w", stdout) ||
			   !freopen("/dev/null", "w", stderr)) {
			_exit(126);
		}
		execl(irx, irx, "run", runbook, "-t", target, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Seconds since midnight of "YYYY-MM-DDTHH:MM:SS.ffffff+00:00". */
static double log_time(const char *iso)
{
	int h = 0, m = 0;
	double s = 0;

	if (!iso || sscanf(iso + 11, "%d:%d:%lf", &h, &m, &s) != 3)
		return 0;
	return h * 3600.0 + m * 60.0 + s;
}

struct req {
	double start, end;
	char name[128];
};

static int by_start(const void *a, const void *b)
{
	const struct req *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The requests logged since the last clear, as JSON: count, round trips, the calls by round. */
static struct json_object *measure(double latency_ms)
{
	struct json_object *log = control("GET", "/__awssim/requests", NULL), *reqs = NULL;
	struct json_object *out = json_object_new_object(), *rounds = json_object_new_array();
	struct req *r = NULL;
	size_t n = 0;
	int trips = 0;
	double end = -1;
	char line[4096] = "";

	if (!log || !json_object_object_get_ex(log, "requests", &reqs))
		reqs = NULL;
	n = reqs ? json_object_array_length(reqs) : 0;
	r = calloc(n ? n : 1, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(reqs, i), *ms = NULL;

		json_object_object_get_ex(e, "ms", &ms);
		r[i].start = log_time(sget(e, "time"));
		r[i].end = r[i].start + (json_object_get_double(ms) + latency_ms) / 1000.0;
		snprintf(r[i].name, sizeof(r[i].name), "%s:%s", sget(e, "service"),
			 sget(e, "operation"));
	}
	qsort(r, n, sizeof(*r), by_start);
	for (size_t i = 0; i < n; i++) {
		if (r[i].start >= end) {
			if (trips)
				json_object_array_add(rounds, json_object_new_string(line));
			trips++;
			line[0] = '\0';
			end = r[i].end;
		} else if (r[i].end > end) {
			end = r[i].end;
		}
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
			 line[0] ? "," : "", r[i].name);
	}
	if (trips)
		json_object_array_add(rounds, json_object_new_string(line));
	json_object_object_add(out, "requests", json_object_new_int((int)n));
	json_object_object_add(out, "round_trips", json_object_new_int(trips));
	json_object_object_add(out, "rounds", rounds);
	free(r);
	json_object_put(log);
	return out;
}

static int write_runbook(const char *path, const char *action, const char *extra)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f,
		"schemaVersion: '0.3'\ndescription: bench\nparameters:\n  TargetArn:\n"
		"    type: String\nmainSteps:\n  - name: contain\n    action: %s\n    inputs:\n"
		"      TargetArn: '{{ TargetArn }}'\n%s",
		action, extra);
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct estate e = {0};
	struct json_object *all = json_object_new_object();
	char state[4096], rb[3][4096], target[3][256];
	const char *dir = NULL;
	const char *names[3] = {"ec2_instance", "iam_user", "lambda_function"};
	const char *actions[3] = {"isolate:ec2Instance", "deny:iamUser", "concurrency-zero:lambda"};
	const char *extra[3] = {"      UntrackWaitSeconds: 0\n", "", ""};
	double latency = 0;
	int rc = 0;

	if (argc != 4 || !(sim_url = getenv("AWSSIM_URL"))) {
		fprintf(stderr, "usage: bench_contain BUILD_DIR LATENCY_MS WORK_DIR (under "
				"run-with-sim)\n");
		return 2;
	}
	latency = atof(argv[2]);
	dir = argv[3];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(state, sizeof(state), "%s/state", dir);
	seed(&e);
	snprintf(target[0], sizeof(target[0]), "arn:aws:ec2:" REGION ":" ACCT ":instance/%s",
		 e.instance);
	snprintf(target[1], sizeof(target[1]), "arn:aws:iam::" ACCT ":user/dev/mallory");
	snprintf(target[2], sizeof(target[2]), "arn:aws:lambda:" REGION ":" ACCT ":function:miner");
	for (int i = 0; i < 3; i++) {
		struct json_object *m = NULL, *second = NULL;
		double t0 = 0, t1 = 0;
		int status = 0;

		snprintf(rb[i], sizeof(rb[i]), "%s/%s.yaml", dir, names[i]);
		if (write_runbook(rb[i], actions[i], extra[i]) < 0)
			return 1;
		json_object_put(control("DELETE", "/__awssim/requests", NULL));
		t0 = now_s();
		status = irx_run(argv[1], rb[i], target[i], state);
		t1 = now_s();
		m = measure(latency);
		json_object_object_add(m, "action", json_object_new_string(actions[i]));
		json_object_object_add(m, "exit", json_object_new_int(status));
		json_object_object_add(m, "wall_ms", json_object_new_double((t1 - t0) * 1000.0));
		/* the second run: already contained */
		json_object_put(control("DELETE", "/__awssim/requests", NULL));
		t0 = now_s();
		status = irx_run(argv[1], rb[i], target[i], state);
		t1 = now_s();
		second = measure(latency);
		json_object_object_add(second, "exit", json_object_new_int(status));
		json_object_object_add(second, "wall_ms",
				       json_object_new_double((t1 - t0) * 1000.0));
		json_object_object_add(m, "second_run", second);
		json_object_object_add(all, names[i], m);
		if (status != 0)
			rc = 1;
	}
	printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(all);
	curl_global_cleanup();
	return rc;
}
