/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host function table lent to plugins, and the per-attempt call state
 * behind the opaque struct irx_call handle.
 */
#include "host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "util.h"

#define REDACTED "********"

void irx_call_init(struct irx_call *call)
{
	memset(call, 0, sizeof(*call));
	call->min_level = IRX_LOG_INFO;
	call->planned_calls = json_object_new_array();
}

void irx_call_release(struct irx_call *call)
{
	json_object_put(call->planned_calls);
	call->planned_calls = NULL;
}

void irx_redact(const char *text, const char *const *secrets, size_t count, char *buf, size_t len)
{
	size_t o = 0;
	const char *p = text;

	if (len == 0)
		return;
	while (*p && o + 1 < len) {
		size_t hit = 0;

		for (size_t i = 0; i < count; i++) {
			size_t n = secrets[i] ? strlen(secrets[i]) : 0;

			if (n && strncmp(p, secrets[i], n) == 0 && n > hit)
				hit = n;
		}
		if (hit) {
			size_t r = strlen(REDACTED);

			if (r > len - 1 - o)
				r = len - 1 - o;
			memcpy(buf + o, REDACTED, r);
			o += r;
			p += hit;
			continue;
		}
		buf[o++] = *p++;
	}
	buf[o] = '\0';
}

static const char *level_name(enum irx_log_level level)
{
	switch (level) {
	case IRX_LOG_DEBUG:
		return "debug";
	case IRX_LOG_INFO:
		return "info";
	case IRX_LOG_WARN:
		return "warning";
	case IRX_LOG_ERROR:
		return "error";
	}
	return "log";
}

void irx_host_stderr_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	(void)ud;
	if (step)
		fprintf(stderr, "irx: %s: %s: %s\n", level_name(level), step, message);
	else
		fprintf(stderr, "irx: %s: %s\n", level_name(level), message);
}

static void host_log(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void host_log(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
{
	char raw[2048] = "", clean[2048] = "";
	va_list ap;

	/* Without a call (a plugin's init) there is no step and no known secret. */
	if (level < (call ? call->min_level : IRX_LOG_INFO))
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (!call) {
		irx_host_stderr_log(NULL, level, NULL, raw);
		return;
	}
	irx_redact(raw, call->secrets, call->secret_count, clean, sizeof(clean));
	if (call->log)
		call->log(call->log_ud, level, call->step, clean);
	else
		irx_host_stderr_log(NULL, level, call->step, clean);
}

static int host_fail(struct irx_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int host_fail(struct irx_call *call, const char *fmt, ...)
{
	char raw[sizeof(call->error.message)] = "";
	char clean[sizeof(call->error.message)] = "";
	va_list ap;

	if (!call)
		return -1;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	irx_redact(raw, call->secrets, call->secret_count, clean, sizeof(clean));
	irx_error_set(&call->error, IRX_ERR_STEP, "%s", clean);
	return -1;
}

/* True when the NULL-terminated list holds "service:operation". */
static bool declares(const char *const *list, const char *service, const char *operation)
{
	size_t sn = strlen(service);

	for (size_t i = 0; list[i]; i++)
		if (strncmp(list[i], service, sn) == 0 && list[i][sn] == ':' &&
		    strcmp(list[i] + sn + 1, operation) == 0)
			return true;
	return false;
}

int irx_call_check_declared(const struct irx_call *call, const char *service,
			    const char *operation, char *msg, size_t len)
{
	const char *sid = NULL, *oname = NULL;
	struct irx_error err = {0};

	if (!call || !call->aws_calls)
		return 0;
	if (service && operation) {
		if (declares(call->aws_calls, service, operation))
			return 0;
		if (irx_aws_lookup(service, operation, &sid, &oname, NULL, &err) == 0 &&
		    declares(call->aws_calls, sid, oname))
			return 0;
	}
	snprintf(msg, len, "action '%s' called %s:%s, which it does not declare in aws_calls",
		 call->action ? call->action : "?", service ? service : "(null)",
		 operation ? operation : "(null)");
	return -1;
}

/* Fails the step (first failure wins) when the call is not declared. */
static int check_declared(struct irx_call *call, const char *service, const char *operation)
{
	char msg[512] = "";

	if (irx_call_check_declared(call, service, operation, msg, sizeof(msg)) == 0)
		return 0;
	irx_error_set(&call->error, IRX_ERR_STEP, "%s", msg);
	return -1;
}

static int host_aws_call(struct irx_call *call, const char *service, const char *operation,
			 struct json_object *params, struct json_object **response)
{
	if (call && check_declared(call, service, operation) < 0) {
		*response = NULL;
		return -1;
	}
	if (!call || !call->aws_call) {
		/* Only reachable through the with_aws table of a call set up without a client. */
		if (call)
			irx_error_set(&call->error, IRX_ERR_AWS,
				      "cannot call %s:%s: no AWS client is configured", service,
				      operation);
		return -1;
	}
	return call->aws_call(call->aws_ud, call, service, operation, params, response);
}

static int host_aws_call_in(struct irx_call *call, const char *region, const char *service,
			    const char *operation, struct json_object *params,
			    struct json_object **response)
{
	*response = NULL;
	if (call && check_declared(call, service, operation) < 0)
		return -1;
	if (!call || !call->aws_call_in) {
		if (call)
			irx_error_set(&call->error, IRX_ERR_AWS,
				      "cannot call %s:%s in '%s': no AWS client is configured",
				      service, operation, region);
		return -1;
	}
	return call->aws_call_in(call->aws_ud, call, region, service, operation, params,
				 response);
}

/* True when e is an AWS error whose code is listed in expected (NULL-terminated). */
static bool expected_code(const char *const *expected, const struct irx_error *e)
{
	if (e->code != IRX_ERR_AWS || !e->aws_code[0])
		return false;
	for (size_t i = 0; expected && expected[i]; i++)
		if (strcmp(expected[i], e->aws_code) == 0)
			return true;
	return false;
}

static int host_aws_call_expect(struct irx_call *call, const char *service,
				const char *operation, struct json_object *params,
				const char *const *expected, struct json_object **response)
{
	bool clean = call && call->error.code == IRX_OK;

	if (host_aws_call(call, service, operation, params, response) == 0)
		return 0;
	/* Only an error this call set can be taken back: an earlier failure stands. */
	if (!clean || !expected_code(expected, &call->error))
		return -1;
	irx_error_clear(&call->error);
	*response = NULL;
	return 1;
}

static int host_checkpoint(struct irx_call *call, struct json_object *undo)
{
	if (!call || !call->checkpoint)
		return 0;
	return call->checkpoint(call->checkpoint_ud, call, undo);
}

static int host_sleep(struct irx_call *call, long long ms)
{
	long long now = irx_now_ms();

	if (call && call->deadline_ms && now + ms > call->deadline_ms) {
		/* sleep to the deadline, then report it passed */
		irx_call_sleep(call, call->deadline_ms - now);
		call->timed_out = true;
		return -1;
	}
	irx_call_sleep(call, ms);
	return irx_call_cancelled(call) ? -1 : 0;
}

static size_t host_aws_call_many(struct irx_call *call, struct irx_aws_request *reqs, size_t n)
{
	size_t failed = 0;
	char msg[512] = "";

	/* An undeclared call fails the whole batch before any of it is sent. */
	for (size_t i = 0; call && i < n; i++) {
		if (irx_call_check_declared(call, reqs[i].service, reqs[i].operation, msg,
					    sizeof(msg)) == 0)
			continue;
		irx_error_set(&call->error, IRX_ERR_STEP, "%s", msg);
		for (size_t k = 0; k < n; k++) {
			reqs[k].response = NULL;
			reqs[k].failed = 1;
			if (k == i || irx_call_check_declared(call, reqs[k].service,
							      reqs[k].operation, reqs[k].error,
							      sizeof(reqs[k].error)) < 0)
				continue;
			snprintf(reqs[k].error, sizeof(reqs[k].error),
				 "not sent: its batch has an undeclared call (%s:%s)",
				 reqs[i].service, reqs[i].operation);
		}
		snprintf(reqs[i].error, sizeof(reqs[i].error), "%s", msg);
		return n;
	}
	if (call && call->aws_call && call->aws_call_many)
		return call->aws_call_many(call->aws_ud, call, reqs, n);
	for (size_t i = 0; i < n; i++) {
		struct irx_error saved = call ? call->error : (struct irx_error){0};
		int rc = 0;

		reqs[i].response = NULL;
		reqs[i].failed = 0;
		reqs[i].error[0] = '\0';
		if (call)
			irx_error_clear(&call->error);
		reqs[i].expected_code[0] = '\0';
		rc = host_aws_call(call, reqs[i].service, reqs[i].operation, reqs[i].params,
				   &reqs[i].response);
		if (rc < 0 && call && expected_code(reqs[i].expected, &call->error)) {
			/* an answer, not a failure ("NoSuchEntity": no password) */
			snprintf(reqs[i].expected_code, sizeof(reqs[i].expected_code), "%s",
				 call->error.aws_code);
			irx_error_clear(&call->error);
		} else if (rc < 0) {
			reqs[i].failed = 1;
			snprintf(reqs[i].error, sizeof(reqs[i].error), "%s",
				 call ? call->error.message : "no call");
			failed++;
		}
		/* the first failure stays the step's error */
		if (call && saved.code != IRX_OK)
			call->error = saved;
	}
	return failed;
}

static const struct irx_host host_without_aws = {
    .abi_major = IRX_PLUGIN_ABI_MAJOR,
    .abi_minor = IRX_PLUGIN_ABI_MINOR,
    .size = sizeof(struct irx_host),
    .log = host_log,
    .fail = host_fail,
    .checkpoint = host_checkpoint,
    .sleep = host_sleep,
};

static const struct irx_host host_with_aws = {
    .abi_major = IRX_PLUGIN_ABI_MAJOR,
    .abi_minor = IRX_PLUGIN_ABI_MINOR,
    .size = sizeof(struct irx_host),
    .log = host_log,
    .fail = host_fail,
    .aws_call = host_aws_call,
    .checkpoint = host_checkpoint,
    .sleep = host_sleep,
    .aws_call_expect = host_aws_call_expect,
    .aws_call_many = host_aws_call_many,
    .aws_call_in = host_aws_call_in,
};

const struct irx_host *irx_host_table(bool with_aws)
{
	return with_aws ? &host_with_aws : &host_without_aws;
}

void irx_call_sleep(struct irx_call *call, long long ms)
{
	struct timespec ts = {0};

	if (ms <= 0)
		return;
	if (call && call->sleep_ms) {
		call->sleep_ms(call->sleep_ud, ms);
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (!irx_call_cancelled(call) && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

bool irx_call_cancelled(const struct irx_call *call)
{
	return call && call->cancel && *call->cancel;
}
