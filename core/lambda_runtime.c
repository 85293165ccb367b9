/* SPDX-License-Identifier: Apache-2.0 */
/* The Lambda Runtime API client (lambda_runtime.h), over libcurl. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "lambda_runtime.h"
#include "util.h"

#define API_PREFIX "/2018-06-01/runtime"
#define MAX_EVENT (6u * 1024 * 1024) /* Lambda's synchronous payload limit */

struct buf {
	char *data;
	size_t len;
	bool too_big;
};

struct next_headers {
	char request_id[256];
	char deadline[32];
	char function_arn[512];
	char trace_id[512];
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t add = size * n;

	if (b->len + add > MAX_EVENT) {
		b->too_big = true;
		return 0;
	}
	b->data = irx_xrealloc(b->data, b->len + add + 1);
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name), vl = 0;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	vl = len < size - 1 ? len : size - 1;
	memcpy(out, line, vl);
	out[vl] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct next_headers *h = ud;

	header_value(p, size * n, "Lambda-Runtime-Aws-Request-Id", h->request_id,
		     sizeof(h->request_id));
	header_value(p, size * n, "Lambda-Runtime-Deadline-Ms", h->deadline, sizeof(h->deadline));
	header_value(p, size * n, "Lambda-Runtime-Invoked-Function-Arn", h->function_arn,
		     sizeof(h->function_arn));
	header_value(p, size * n, "Lambda-Runtime-Trace-Id", h->trace_id, sizeof(h->trace_id));
	return size * n;
}

/* One request (body: where the answer goes, required); returns the HTTP status, or -1 with err set
 * when no answer came. */
static long request(const char *url, const char *post, const char *const *headers, struct buf *body,
		    struct next_headers *nh, struct irx_error *err)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	long status = -1;
	CURLcode rc;

	if (!c) {
		irx_error_set(err, IRX_ERR_NETWORK, "cannot create a curl handle");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* GET next blocks until an invocation arrives: no overall timeout */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 0L);
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	if (post) {
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	if (nh) {
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, nh);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (body && body->too_big)
		irx_error_set(err, IRX_ERR_LIMIT, "%s: the event is larger than %u bytes", url,
			      MAX_EVENT);
	else
		irx_error_set(err, IRX_ERR_NETWORK, "%s: %s", url, curl_easy_strerror(rc));
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return status;
}

static int post_json(const char *url, struct json_object *doc, const char *const *headers,
		     struct irx_error *err)
{
	struct buf ignored = {0};
	long st = request(url,
			  json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE),
			  headers, &ignored, NULL, err);

	free(ignored.data);
	if (st < 0)
		return -1;
	if (st != 202 && st != 200) {
		irx_error_set(err, IRX_ERR_NETWORK, "%s: the Runtime API answered %ld", url, st);
		return -1;
	}
	return 0;
}

static struct json_object *error_doc(const char *type, const char *message)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "errorMessage", json_object_new_string(message));
	json_object_object_add(d, "errorType", json_object_new_string(type));
	return d;
}

int irx_lambda_init_error(const char *api, const char *error_type, const char *message,
			  struct irx_error *err)
{
	static const char *const hdr[] = {"Lambda-Runtime-Function-Error-Type: Runtime.InitError",
					  NULL};
	char *url = irx_xasprintf("http://%s" API_PREFIX "/init/error", api);
	struct json_object *d = error_doc(error_type, message);
	int rc = post_json(url, d, hdr, err);

	json_object_put(d);
	free(url);
	return rc;
}

int irx_lambda_runtime_run(const struct irx_lambda_runtime_options *o, struct irx_error *err)
{
	char *next = NULL;
	size_t served = 0;
	int rc = -1;

	if (!o->api || !*o->api || !o->handler) {
		irx_error_set(err, IRX_ERR_INVALID, "AWS_LAMBDA_RUNTIME_API is not set");
		return -1;
	}
	next = irx_xasprintf("http://%s" API_PREFIX "/invocation/next", o->api);
	while (!(o->stop && *o->stop) && (!o->max_invocations || served < o->max_invocations)) {
		struct next_headers nh = {0};
		struct buf body = {0};
		struct irx_lambda_invocation inv = {0};
		struct json_object *resp = NULL;
		struct irx_error herr = {0};
		const char *etype = "Runtime.HandlerError";
		char *url = NULL;
		long st = request(next, NULL, NULL, &body, &nh, err);

		if (st != 200 || !nh.request_id[0]) {
			if (st >= 0)
				irx_error_set(err, IRX_ERR_NETWORK,
					      "%s: the Runtime API answered %ld%s", next, st,
					      nh.request_id[0] ? "" : " without a request id");
			free(body.data);
			goto out;
		}
		if (nh.trace_id[0])
			setenv("_X_AMZN_TRACE_ID", nh.trace_id, 1);
		inv.request_id = nh.request_id;
		inv.deadline_ms = atoll(nh.deadline);
		inv.function_arn = nh.function_arn;
		inv.body = body.data ? body.data : "";
		inv.len = body.len;
		if (o->handler(o->ud, &inv, &resp, &etype, &herr) == 0) {
			url = irx_xasprintf("http://%s" API_PREFIX "/invocation/%s/response",
					    o->api, nh.request_id);
			if (!resp)
				resp = json_object_new_object();
			if (post_json(url, resp, NULL, err) < 0) {
				/* too large a response is refused (413): report it as the error */
				struct json_object *d =
				    error_doc("Runtime.ResponseRejected", err->message);

				free(url);
				url = irx_xasprintf("http://%s" API_PREFIX "/invocation/%s/error",
						    o->api, nh.request_id);
				irx_error_clear(err);
				post_json(url, d, NULL, err);
				json_object_put(d);
			}
		} else {
			static const char *const hdr[] = {
			    "Lambda-Runtime-Function-Error-Type: Unhandled", NULL};
			struct json_object *d = error_doc(etype, herr.message);

			url = irx_xasprintf("http://%s" API_PREFIX "/invocation/%s/error", o->api,
					    nh.request_id);
			post_json(url, d, hdr, err);
			json_object_put(d);
		}
		json_object_put(resp);
		free(body.data);
		free(url);
		if (err->code != IRX_OK)
			goto out;
		served++;
	}
	rc = 0;
out:
	free(next);
	return rc;
}
