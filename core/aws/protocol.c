/* SPDX-License-Identifier: Apache-2.0 */
/* Protocol dispatch and the helpers every protocol shares: buffers, encodings, timestamps,
 * scalar conversion and error reporting. */
#include "aws/protocol.h"

#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

void irx_aws_request_release(struct irx_aws_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->path);
	free(r->query);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	free(r->host_prefix);
	memset(r, 0, sizeof(*r));
}

void irx_aws_request_add_header(struct irx_aws_request *r, const char *name, const char *value)
{
	r->headers = irx_xrealloc(r->headers, (r->n_headers + 1) * sizeof(*r->headers));
	r->headers[r->n_headers].name = irx_xstrdup(name);
	r->headers[r->n_headers].value = irx_xstrdup(value);
	r->n_headers++;
}

const char *irx_aws_request_header(const struct irx_aws_request *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

const char *irx_aws_response_header(const struct irx_aws_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* --- buffers and encodings ------------------------------------------------------------------ */

void irx_buf_add(struct irx_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = irx_xrealloc(b->data, b->cap);
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void irx_buf_adds(struct irx_buf *b, const char *s)
{
	irx_buf_add(b, s, strlen(s));
}

void irx_buf_addf(struct irx_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	s = irx_xvasprintf(fmt, ap);
	va_end(ap);
	irx_buf_adds(b, s);
	free(s);
}

void irx_buf_release(struct irx_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void irx_buf_add_urlencoded(struct irx_buf *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
		    (keep_slash && c == '/')) {
			irx_buf_add(b, &s[i], 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			irx_buf_add(b, e, 3);
		}
	}
}

void irx_buf_add_xml_escaped(struct irx_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': irx_buf_adds(b, "&amp;"); break;
		case '<': irx_buf_adds(b, "&lt;"); break;
		case '>': irx_buf_adds(b, "&gt;"); break;
		case '"': irx_buf_adds(b, "&quot;"); break;
		case '\'': irx_buf_adds(b, "&apos;"); break;
		case '\r': irx_buf_adds(b, "&#xD;"); break;
		case '\n': irx_buf_adds(b, "&#xA;"); break;
		default: irx_buf_add(b, &s[i], 1);
		}
	}
}

char *irx_base64_encode(const void *data, size_t n)
{
	char *out = irx_xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

char *irx_base64_decode(const char *s, size_t n, size_t *out_len)
{
	char *out = NULL;
	size_t pad = 0;
	int len = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n % 4)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '=') {
			if (i < n - 2)
				return NULL;
			pad++;
		} else if (!isalnum(c) && c != '+' && c != '/') {
			return NULL;
		} else if (pad) {
			return NULL;
		}
	}
	out = irx_xmalloc(n / 4 * 3 + 1);
	len = n ? EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n) : 0;
	if (len < 0) {
		free(out);
		return NULL;
	}
	*out_len = (size_t)len - pad;
	out[*out_len] = '\0';
	return out;
}

/* --- numbers and timestamps ------------------------------------------------------------------ */

void irx_buf_add_double(struct irx_buf *b, double d)
{
	char tmp[64] = "";

	if (isnan(d)) {
		irx_buf_adds(b, "NaN");
		return;
	}
	if (isinf(d)) {
		irx_buf_adds(b, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	irx_buf_adds(b, tmp);
}

int irx_double_from_json(json_object *v, double *d)
{
	const char *s = NULL;
	char *end = NULL;

	if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
		*d = json_object_get_double(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (!strcmp(s, "NaN")) {
		*d = NAN;
		return 0;
	}
	if (!strcmp(s, "Infinity")) {
		*d = INFINITY;
		return 0;
	}
	if (!strcmp(s, "-Infinity")) {
		*d = -INFINITY;
		return 0;
	}
	*d = strtod(s, &end);
	return *s && !*end && isfinite(*d) ? 0 : -1;
}

static int parse_iso8601(const char *s, double *epoch)
{
	struct tm tm = {0};
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
	double frac = 0;
	long off = 0;
	const char *p = NULL;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = s + n;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
			return -1;
		p += 1 + n;
		if (*p == '.') {
			double scale = 0.1;

			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p)) {
				frac += (*p++ - '0') * scale;
				scale /= 10;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh = 0, om = 0;

			if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
				return -1;
			off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
			p += 1 + n;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*epoch = (double)(timegm(&tm) - off) + frac;
	return 0;
}

static int parse_rfc822(const char *s, double *epoch)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char wd[4] = "", mon[4] = "", zone[8] = "";
	int d = 0, y = 0, h = 0, mi = 0, sec = 0, n = 0;
	double frac = 0;
	struct tm tm = {0};
	const char *p = NULL;

	if (sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d%n", wd, &d, mon, &y, &h, &mi,
		   &sec, &n) != 7)
		return -1;
	p = s + n;
	if (*p == '.') {
		double scale = 0.1;

		p++;
		while (isdigit((unsigned char)*p)) {
			frac += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	if (sscanf(p, " %7s%n", zone, &n) != 1 || (strcmp(zone, "GMT") && strcmp(zone, "UTC")) ||
	    p[n])
		return -1;
	tm.tm_mon = -1;
	for (int i = 0; i < 12; i++)
		if (!strcasecmp(months[i], mon))
			tm.tm_mon = i;
	if (tm.tm_mon < 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*epoch = (double)timegm(&tm) + frac;
	return 0;
}

int irx_timestamp_parse(const char *s, double *epoch)
{
	char *end = NULL;
	double d = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -1;
	if (!parse_iso8601(s, epoch) || !parse_rfc822(s, epoch))
		return 0;
	d = strtod(s, &end);
	if (end != s && !*end && isfinite(d)) {
		*epoch = d;
		return 0;
	}
	return -1;
}

int irx_timestamp_from_json(json_object *v, double *epoch)
{
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
		*epoch = json_object_get_double(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string))
		return irx_timestamp_parse(json_object_get_string(v), epoch);
	return -1;
}

static void split_epoch(double epoch, time_t *secs, int *ms)
{
	double whole = floor(epoch);
	long m = lround((epoch - whole) * 1000.0);

	if (m >= 1000) {
		whole += 1;
		m -= 1000;
	}
	*secs = (time_t)whole;
	*ms = (int)m;
}

void irx_timestamp_format(struct irx_buf *b, double epoch, int format)
{
	time_t secs = 0;
	int ms = 0;
	struct tm tm = {0};
	char tmp[64] = "";

	split_epoch(epoch, &secs, &ms);
	gmtime_r(&secs, &tm);
	switch (format) {
	case IRX_TS_UNIX:
		if (ms)
			irx_buf_addf(b, "%lld.%03d", (long long)secs, ms);
		else
			irx_buf_addf(b, "%lld", (long long)secs);
		if (ms) /* trim trailing zeros of the fraction */
			while (b->data[b->len - 1] == '0')
				b->data[--b->len] = '\0';
		break;
	case IRX_TS_RFC822:
		strftime(tmp, sizeof(tmp), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		irx_buf_adds(b, tmp);
		break;
	default:
		strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
		irx_buf_adds(b, tmp);
		if (ms)
			irx_buf_addf(b, ".%03d", ms);
		irx_buf_adds(b, "Z");
	}
}

json_object *irx_timestamp_to_json(double epoch)
{
	struct irx_buf b = {0};
	json_object *o = NULL;

	irx_timestamp_format(&b, epoch, IRX_TS_ISO8601);
	o = json_object_new_string(b.data);
	irx_buf_release(&b);
	return o;
}

/* --- scalars ------------------------------------------------------------------------------ */

static int int_from_json(json_object *v, long long *out)
{
	char *end = NULL;
	const char *s = NULL;

	if (json_object_is_type(v, json_type_int)) {
		*out = (long long)json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		if (d != floor(d) || fabs(d) > 9.2e18)
			return -1;
		*out = (long long)d;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	*out = strtoll(s, &end, 10);
	return *s && !*end ? 0 : -1;
}

int irx_scalar_to_text(const struct irx_model *m, const struct irx_shape *sh, json_object *v,
		       int ts_format, const char *path, struct irx_buf *b, struct irx_error *err)
{
	long long i = 0;
	double d = 0;

	switch (sh->type) {
	case IRX_SHAPE_STRING:
		if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array) ||
		    json_object_is_type(v, json_type_null))
			goto bad;
		irx_buf_add(b, json_object_get_string(v),
			    json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v)
								     : strlen(json_object_get_string(v)));
		return 0;
	case IRX_SHAPE_BOOLEAN:
		if (json_object_is_type(v, json_type_boolean)) {
			irx_buf_adds(b, json_object_get_boolean(v) ? "true" : "false");
			return 0;
		}
		if (json_object_is_type(v, json_type_string) &&
		    (!strcmp(json_object_get_string(v), "true") || !strcmp(json_object_get_string(v), "false"))) {
			irx_buf_adds(b, json_object_get_string(v));
			return 0;
		}
		goto bad;
	case IRX_SHAPE_INTEGER:
	case IRX_SHAPE_LONG:
		if (int_from_json(v, &i) < 0)
			goto bad;
		irx_buf_addf(b, "%lld", i);
		return 0;
	case IRX_SHAPE_FLOAT:
	case IRX_SHAPE_DOUBLE:
		if (json_object_is_type(v, json_type_int)) {
			irx_buf_addf(b, "%lld", (long long)json_object_get_int64(v));
			return 0;
		}
		if (irx_double_from_json(v, &d) < 0)
			goto bad;
		irx_buf_add_double(b, d);
		return 0;
	case IRX_SHAPE_TIMESTAMP:
		if (irx_timestamp_from_json(v, &d) < 0)
			goto bad;
		irx_timestamp_format(b, d, ts_format);
		return 0;
	case IRX_SHAPE_BLOB: {
		char *enc = NULL;

		if (!json_object_is_type(v, json_type_string))
			goto bad;
		enc = irx_base64_encode(json_object_get_string(v), (size_t)json_object_get_string_len(v));
		irx_buf_adds(b, enc);
		free(enc);
		return 0;
	}
	default:
		break;
	}
bad:
	(void)m;
	irx_error_set(err, IRX_ERR_INVALID, "parameter '%s': expected %s, got %s", path,
		      sh->type == IRX_SHAPE_TIMESTAMP ? "a timestamp"
		      : sh->type == IRX_SHAPE_BOOLEAN ? "a boolean"
		      : sh->type == IRX_SHAPE_INTEGER || sh->type == IRX_SHAPE_LONG ? "an integer"
		      : sh->type == IRX_SHAPE_FLOAT || sh->type == IRX_SHAPE_DOUBLE ? "a number"
		      : sh->type == IRX_SHAPE_BLOB ? "a string (blob)"
						   : "a string",
		      json_type_to_name(json_object_get_type(v)));
	return -1;
}

json_object *irx_scalar_from_text(const struct irx_shape *sh, const char *s, size_t n)
{
	char *t = irx_xstrndup(s, n), *end = NULL;
	json_object *o = NULL;
	double d = 0;

	switch (sh->type) {
	case IRX_SHAPE_BOOLEAN:
		if (!strcmp(t, "true"))
			o = json_object_new_boolean(1);
		else if (!strcmp(t, "false"))
			o = json_object_new_boolean(0);
		break;
	case IRX_SHAPE_INTEGER:
	case IRX_SHAPE_LONG: {
		long long i = strtoll(t, &end, 10);

		if (*t && !*end)
			o = json_object_new_int64(i);
		break;
	}
	case IRX_SHAPE_FLOAT:
	case IRX_SHAPE_DOUBLE:
		d = strtod(t, &end);
		if (*t && !*end)
			o = json_object_new_double(d);
		break;
	case IRX_SHAPE_TIMESTAMP:
		/* an unparseable timestamp is kept as sent rather than failing the whole call */
		o = !irx_timestamp_parse(t, &d) ? irx_timestamp_to_json(d) : json_object_new_string(t);
		break;
	case IRX_SHAPE_BLOB: {
		size_t len = 0;
		char *raw = irx_base64_decode(t, n, &len);

		if (raw)
			o = json_object_new_string_len(raw, (int)len);
		free(raw);
		break;
	}
	default:
		o = json_object_new_string_len(t, (int)n);
	}
	free(t);
	return o;
}

/* --- errors -------------------------------------------------------------------------------- */

void irx_protocol_set_aws_error(struct irx_error *err, int status, const char *code,
				const char *message, const char *request_id)
{
	if (!err || err->code != IRX_OK)
		return;
	irx_error_set(err, IRX_ERR_AWS, "%s: %s (HTTP %d, request id %s)", code && *code ? code : "Unknown",
		      message && *message ? message : "no message", status,
		      request_id && *request_id ? request_id : "none");
	err->http_status = status;
	snprintf(err->aws_code, sizeof(err->aws_code), "%s", code ? code : "");
	snprintf(err->aws_message, sizeof(err->aws_message), "%s", message ? message : "");
	snprintf(err->request_id, sizeof(err->request_id), "%s", request_id ? request_id : "");
}

/* A printable one-line snippet of a body, for messages: at most size - 1 bytes, "..." when cut. */
static void snippet(const struct irx_aws_response *resp, char *out, size_t size)
{
	size_t o = 0, limit = size - 4; /* room for "..." and the NUL */
	int space = 0, cut = 0;

	for (size_t i = 0; i < resp->body_len; i++) {
		unsigned char c = (unsigned char)resp->body[i];

		if (isspace(c)) {
			space = o > 0;
			continue;
		}
		if (o + (space ? 2 : 1) > limit) {
			cut = 1;
			break;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (cut) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

void irx_protocol_set_garbage_error(struct irx_error *err, const struct irx_aws_response *resp,
				    const char *expected)
{
	char body[120] = "";
	const char *ct = irx_aws_response_header(resp, "Content-Type");
	char code[32] = "";
	const char *rid = irx_aws_response_header(resp, "x-amzn-RequestId");

	if (!err || err->code != IRX_OK)
		return;
	snippet(resp, body, sizeof(body));
	if (!rid)
		rid = irx_aws_response_header(resp, "x-amz-request-id");
	if (resp->status >= 200 && resp->status < 300) {
		irx_error_set(err, IRX_ERR_PARSE, "cannot parse the %s response (HTTP %d, %s): '%s'",
			      expected, resp->status, ct ? ct : "no content type", body);
		return;
	}
	snprintf(code, sizeof(code), "HTTP%d", resp->status);
	irx_error_set(err, IRX_ERR_AWS, "HTTP %d with a response that is not %s (%s): '%s'",
		      resp->status, expected, ct ? ct : "no content type", body);
	err->http_status = resp->status;
	snprintf(err->aws_code, sizeof(err->aws_code), "%s", code);
	snprintf(err->aws_message, sizeof(err->aws_message), "%s", body);
	snprintf(err->request_id, sizeof(err->request_id), "%s", rid ? rid : "");
}

int irx_protocol_host_prefix(const struct irx_model *m, const struct irx_operation *op,
			     json_object *params, struct irx_buf *out, struct irx_error *err)
{
	const struct irx_shape *in =
		op->input != IRX_MODEL_NONE ? irx_member_shape(m, irx_model_member(m, op->input)) : NULL;
	const char *tmpl = irx_model_str(m, op->host_prefix);

	for (const char *p = tmpl; *p; p++) {
		const char *close = NULL;
		json_object *v = NULL;
		const char *s = NULL;

		if (*p != '{') {
			irx_buf_add(out, p, 1);
			continue;
		}
		close = strchr(p, '}');
		if (!close)
			break;
		for (uint32_t k = 0; in && k < in->count; k++) {
			const struct irx_member *cm = irx_model_member(m, in->first + k);
			const char *n = irx_model_str(m, cm->name);

			if ((cm->flags & IRX_MEMBER_F_HOST_LABEL) && strlen(n) == (size_t)(close - p - 1) &&
			    !strncmp(n, p + 1, strlen(n)) && params && json_object_object_get_ex(params, n, &v))
				s = json_object_get_string(v);
		}
		if (!s || !*s) {
			irx_error_set(err, IRX_ERR_INVALID, "missing host label '%.*s'",
				      (int)(close - p - 1), p + 1);
			return -1;
		}
		for (const char *c = s; *c; c++) {
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.')) {
				irx_error_set(err, IRX_ERR_INVALID, "host label '%s' is not a valid host name", s);
				return -1;
			}
		}
		irx_buf_adds(out, s);
		p = close;
	}
	return 0;
}

/* --- dispatch ------------------------------------------------------------------------------ */

int irx_protocol_serialize(const struct irx_model *m, const struct irx_service *svc,
			   const struct irx_operation *op, json_object *params,
			   struct irx_aws_request *out, struct irx_error *err)
{
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (params && !json_object_is_type(params, json_type_object)) {
		irx_error_set(err, IRX_ERR_INVALID, "parameters of '%s' must be an object",
			      irx_model_str(m, op->name));
		return -1;
	}
	if (op->input == IRX_MODEL_NONE && params && json_object_object_length(params) > 0) {
		irx_error_set(err, IRX_ERR_INVALID, "operation '%s' takes no parameters",
			      irx_model_str(m, op->name));
		return -1;
	}
	switch (svc->protocol) {
	case IRX_PROTO_EC2:
	case IRX_PROTO_QUERY: rc = irx_query_serialize(m, svc, op, params, out, err); break;
	case IRX_PROTO_JSON: rc = irx_json_serialize(m, svc, op, params, out, err); break;
	case IRX_PROTO_REST_JSON:
	case IRX_PROTO_REST_XML: rc = irx_rest_serialize(m, svc, op, params, out, err); break;
	default: irx_error_set(err, IRX_ERR_INVALID, "unsupported protocol %d", svc->protocol);
	}
	if (!rc && svc->protocol != IRX_PROTO_REST_JSON && svc->protocol != IRX_PROTO_REST_XML) {
		struct irx_buf host = {0};

		rc = irx_protocol_host_prefix(m, op, params, &host, err);
		free(out->host_prefix);
		out->host_prefix = host.data ? host.data : irx_xstrdup("");
	}
	if (rc < 0) {
		irx_aws_request_release(out);
		irx_error_prefix(err, "%s %s", irx_model_str(m, svc->id), irx_model_str(m, op->name));
	}
	return rc;
}

int irx_protocol_parse(const struct irx_model *m, const struct irx_service *svc,
		       const struct irx_operation *op, const struct irx_aws_response *resp,
		       json_object **out, struct irx_error *err)
{
	*out = NULL;
	switch (svc->protocol) {
	case IRX_PROTO_EC2:
	case IRX_PROTO_QUERY: return irx_query_parse(m, svc, op, resp, out, err);
	case IRX_PROTO_JSON: return irx_json_parse(m, svc, op, resp, out, err);
	case IRX_PROTO_REST_JSON:
	case IRX_PROTO_REST_XML: return irx_rest_parse(m, svc, op, resp, out, err);
	default: irx_error_set(err, IRX_ERR_INVALID, "unsupported protocol %d", svc->protocol);
	}
	return -1;
}
