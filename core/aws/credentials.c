/* SPDX-License-Identifier: Apache-2.0 */
/* AWS credentials: the value type and the SDKs' resolution chain (see credentials.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "aws/credentials.h"
#include "aws/ini.h"
#include "util.h"

#define SHARED_FILE_MAX (1 << 20)
#define RESPONSE_MAX (64 * 1024)
#define PROCESS_OUTPUT_MAX (64 * 1024)
#define PROFILE_DEPTH_MAX 8
#define ECS_HOST "http://169.254.170.2"
#define IMDS_V4 "http://169.254.169.254"
#define IMDS_V6 "http://[fd00:ec2::254]"

extern char **environ;

/* --- the value type ------------------------------------------------------------------ */

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void irx_credentials_release(struct irx_credentials *c)
{
	if (!c)
		return;
	free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	memset(c, 0, sizeof(*c));
}

void irx_credentials_set(struct irx_credentials *c, const char *access_key_id,
			 const char *secret_access_key, const char *session_token,
			 time_t expiration)
{
	struct irx_credentials n = {0};

	n.access_key_id = access_key_id ? irx_xstrdup(access_key_id) : NULL;
	n.secret_access_key = secret_access_key ? irx_xstrdup(secret_access_key) : NULL;
	n.session_token = session_token && *session_token ? irx_xstrdup(session_token) : NULL;
	n.expiration = expiration;
	irx_credentials_release(c);
	*c = n;
}

void irx_credentials_copy(struct irx_credentials *dst, const struct irx_credentials *src)
{
	irx_credentials_set(dst, src->access_key_id, src->secret_access_key, src->session_token,
			    src->expiration);
}

bool irx_credentials_expired(const struct irx_credentials *c, time_t now, long margin_seconds)
{
	return c->expiration != 0 && c->expiration - margin_seconds <= now;
}

void irx_assume_role_free(struct irx_assume_role *r)
{
	if (!r)
		return;
	free(r->profile);
	free(r->role_arn);
	free(r->external_id);
	free(r->role_session_name);
	free(r->region);
	irx_credentials_release(&r->source);
	free(r);
}

void irx_credentials_resolved_release(struct irx_credentials_resolved *r)
{
	if (!r)
		return;
	irx_credentials_release(&r->creds);
	free(r->source);
	irx_assume_role_free(r->assume_role);
	memset(r, 0, sizeof(*r));
}

/* --- small helpers ------------------------------------------------------------------- */

struct sbuf {
	char *s;
	size_t len;
};

static void sbuf_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sbuf_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *piece;

	va_start(ap, fmt);
	piece = irx_xvasprintf(fmt, ap);
	va_end(ap);
	b->s = irx_xrealloc(b->s, b->len + strlen(piece) + 1);
	memcpy(b->s + b->len, piece, strlen(piece) + 1);
	b->len += strlen(piece);
	free(piece);
}

/* A variable from env (or the process environment); empty counts as unset. */
static const char *env_get(const char *const *env, const char *name)
{
	const char *v = NULL;
	size_t n = strlen(name);

	if (!env) {
		v = getenv(name);
	} else {
		for (const char *const *e = env; *e; e++)
			if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
				v = *e + n + 1; /* the last wins, as with putenv */
	}
	return v && *v ? v : NULL;
}

static bool is_true(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

/* "2024-01-02T03:04:05Z", with optional fraction and a Z or +hh:mm / -hh:mm offset. */
static int parse_iso8601(const char *s, time_t *out)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	long offset = 0;
	time_t t;

	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
		   isdigit((unsigned char)p[5])) {
		offset = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L +
			 ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
		if (*p == '-')
			offset = -offset;
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - offset;
	return 0;
}

static void format_time(time_t t, char buf[32])
{
	struct tm tm = {0};

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- the shared files ---------------------------------------------------------------- */

struct irx_aws_config {
	char *profile;
	bool profile_explicit; /* named by --profile or AWS_PROFILE */
	char *cred_path, *conf_path;
	struct irx_ini *cred, *conf;
};

void irx_aws_config_free(struct irx_aws_config *c)
{
	if (!c)
		return;
	free(c->profile);
	free(c->cred_path);
	free(c->conf_path);
	irx_ini_free(c->cred);
	irx_ini_free(c->conf);
	free(c);
}

/* An override with "~/" expanded, or $HOME/.aws/<name>; NULL when neither is known. */
static char *shared_path(const char *const *env, const char *override, const char *name)
{
	const char *home = env_get(env, "HOME");

	if (override) {
		if (override[0] == '~' && override[1] == '/' && home)
			return irx_xasprintf("%s%s", home, override + 1);
		return irx_xstrdup(override);
	}
	return home ? irx_xasprintf("%s/.aws/%s", home, name) : NULL;
}

static int load_ini(const char *path, struct irx_ini **out, struct irx_error *err)
{
	char *text = NULL;
	size_t len = 0;

	*out = NULL;
	if (!path)
		return 0;
	if (irx_read_file(path, SHARED_FILE_MAX, &text, &len) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		irx_error_set(err, IRX_ERR_IO, "cannot read '%s': %s", path,
			      errno == EFBIG ? "file larger than 1 MiB" : strerror(errno));
		return -1;
	}
	*out = irx_ini_parse(text, len, path, err);
	OPENSSL_cleanse(text, len);
	free(text);
	return *out ? 0 : -1;
}

int irx_aws_config_load(const char *profile, const char *const *env, struct irx_aws_config **out,
			struct irx_error *err)
{
	struct irx_aws_config *c = irx_xcalloc(1, sizeof(*c));
	const char *env_profile = env_get(env, "AWS_PROFILE");

	*out = NULL;
	c->profile_explicit = (profile && *profile) || env_profile;
	c->profile = irx_xstrdup(profile && *profile ? profile
				 : env_profile	     ? env_profile
						     : "default");
	c->cred_path = shared_path(env, env_get(env, "AWS_SHARED_CREDENTIALS_FILE"), "credentials");
	c->conf_path = shared_path(env, env_get(env, "AWS_CONFIG_FILE"), "config");
	if (load_ini(c->cred_path, &c->cred, err) < 0 ||
	    load_ini(c->conf_path, &c->conf, err) < 0) {
		irx_aws_config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* The config file's section for a profile: "[profile x]", or "[default]" for default. */
static const char *conf_section(const struct irx_aws_config *c, const char *profile, char *buf,
				size_t len)
{
	snprintf(buf, len, "profile %s", profile);
	if (irx_ini_has_section(c->conf, buf))
		return buf;
	if (strcmp(profile, "default") == 0)
		return "default";
	return buf;
}

static const char *cred_get(const struct irx_aws_config *c, const char *profile, const char *key)
{
	return irx_ini_get(c->cred, profile, key);
}

static const char *conf_get(const struct irx_aws_config *c, const char *profile, const char *key)
{
	char buf[512];

	return irx_ini_get(c->conf, conf_section(c, profile, buf, sizeof(buf)), key);
}

/* Empty values count as unset, as in the environment. */
static const char *prof_get(const struct irx_aws_config *c, const char *profile, const char *key)
{
	const char *v = cred_get(c, profile, key);

	if (!v || !*v)
		v = conf_get(c, profile, key);
	return v && *v ? v : NULL;
}

static bool prof_exists(const struct irx_aws_config *c, const char *profile)
{
	char buf[512];

	return irx_ini_has_section(c->cred, profile) ||
	       irx_ini_has_section(c->conf, conf_section(c, profile, buf, sizeof(buf)));
}

const char *irx_aws_config_get(const struct irx_aws_config *c, const char *key)
{
	return prof_get(c, c->profile, key);
}

const char *irx_aws_config_profile(const struct irx_aws_config *c)
{
	return c->profile;
}

const char *irx_aws_config_credentials_path(const struct irx_aws_config *c)
{
	return c->cred_path;
}

const char *irx_aws_config_config_path(const struct irx_aws_config *c)
{
	return c->conf_path;
}

/* "in A and B" for messages. */
static char *files_phrase(const struct irx_aws_config *c, const char *conj)
{
	if (c->cred_path && c->conf_path)
		return irx_xasprintf("%s %s %s", c->cred_path, conj, c->conf_path);
	if (c->cred_path || c->conf_path)
		return irx_xstrdup(c->cred_path ? c->cred_path : c->conf_path);
	return irx_xstrdup("(no shared files: HOME is not set)");
}

/* --- region ------------------------------------------------------------------------- */

static bool valid_region(const char *r)
{
	if (!r || !*r || strlen(r) > 64)
		return false;
	for (; *r; r++)
		if (!islower((unsigned char)*r) && !isdigit((unsigned char)*r) && *r != '-')
			return false;
	return true;
}

int irx_region_resolve(const char *explicit_region, const char *profile, const char *const *env,
		       char **out, struct irx_error *err)
{
	struct irx_aws_config *c = NULL;
	const char *v = NULL, *from = NULL;
	int rc = -1;

	*out = NULL;
	if (explicit_region && *explicit_region) {
		v = explicit_region;
		from = "--region";
	} else if ((v = env_get(env, "AWS_REGION"))) {
		from = "AWS_REGION";
	} else if ((v = env_get(env, "AWS_DEFAULT_REGION"))) {
		from = "AWS_DEFAULT_REGION";
	} else {
		if (irx_aws_config_load(profile, env, &c, err) < 0)
			goto done;
		v = conf_get(c, c->profile, "region");
		from = "the config file";
		if (!v || !*v) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "no AWS region: looked in --region, AWS_REGION, "
				      "AWS_DEFAULT_REGION, profile '%s' in %s",
				      c->profile,
				      c->conf_path ? c->conf_path : "(HOME is not set)");
			goto done;
		}
	}
	if (!valid_region(v)) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid region '%s' from %s", v, from);
		goto done;
	}
	*out = irx_xstrdup(v);
	rc = 0;
done:
	irx_aws_config_free(c);
	return rc;
}

/* --- HTTP for the container and instance metadata endpoints ------------------------ */

struct body {
	char *s;
	size_t len;
	bool overflow;
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct body *b = userdata;
	size_t add = size * n;

	if (b->len + add > RESPONSE_MAX) {
		b->overflow = true;
		return 0;
	}
	b->s = irx_xrealloc(b->s, b->len + add + 1);
	memcpy(b->s + b->len, data, add);
	b->len += add;
	b->s[b->len] = '\0';
	return add;
}

/*
 * One request with short timeouts, no proxy, no redirects. Returns 0 with the status and
 * body (transferred, wiped by the caller), or -1 with a reason in why (no secrets).
 */
static int http_fetch(const char *method, const char *url, struct curl_slist *headers,
		      long timeout_ms, long *status, char **body, char *why, size_t why_len)
{
	CURL *h = curl_easy_init();
	struct body b = {0};
	char ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	*body = NULL;
	*status = 0;
	if (!h) {
		snprintf(why, why_len, "cannot start an HTTP request");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (headers)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		if (b.overflow)
			snprintf(why, why_len, "response larger than %d bytes", RESPONSE_MAX);
		else
			snprintf(why, why_len, "%s", *ebuf ? ebuf : curl_easy_strerror(rc));
		if (b.s)
			OPENSSL_cleanse(b.s, b.len);
		free(b.s);
		return -1;
	}
	*body = b.s ? b.s : irx_xstrdup("");
	return 0;
}

static void wipe_body(char *s)
{
	wipe_free(s);
}

/* Wipes a json-c string's storage before the object is freed (secrets). */
static void json_wipe(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		OPENSSL_cleanse((char *)json_object_get_string(v),
				(size_t)json_object_get_string_len(v));
}

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * Credentials from a JSON document (container, IMDS, credential_process). token_key is
 * "Token" or "SessionToken". Returns 0, or -1 with a reason in why.
 */
static int creds_from_json(const char *text, const char *token_key, struct irx_credentials *out,
			   char *why, size_t why_len)
{
	struct json_object *o = json_tokener_parse(text);
	const char *akid, *secret, *token, *exp;
	time_t expiration = 0;
	int rc = -1;

	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(why, why_len, "the response is not a JSON object");
		goto done;
	}
	akid = json_str(o, "AccessKeyId");
	secret = json_str(o, "SecretAccessKey");
	token = json_str(o, token_key);
	exp = json_str(o, "Expiration");
	if (!akid || !*akid || !secret || !*secret) {
		snprintf(why, why_len, "the response lacks AccessKeyId or SecretAccessKey");
		goto done;
	}
	if (exp && parse_iso8601(exp, &expiration) < 0) {
		snprintf(why, why_len, "invalid Expiration '%.64s'", exp);
		goto done;
	}
	irx_credentials_set(out, akid, secret, token, expiration);
	rc = 0;
done:
	if (o) {
		json_wipe(o, "SecretAccessKey");
		json_wipe(o, token_key);
		json_object_put(o);
	}
	return rc;
}

/* --- container credentials --------------------------------------------------------- */

static bool allowed_http_host(const char *host)
{
	static const char *const allowed[] = {"localhost",
					      "169.254.170.2",
					      "169.254.170.23",
					      "[fd00:ec2::23]",
					      "fd00:ec2::23",
					      "[::1]",
					      "::1"};
	unsigned a, b2, c2, d;
	char tail;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcasecmp(host, allowed[i]) == 0)
			return true;
	/* any IPv4 loopback literal */
	return sscanf(host, "%u.%u.%u.%u%c", &a, &b2, &c2, &d, &tail) == 4 && a == 127 &&
	       b2 < 256 && c2 < 256 && d < 256;
}

int irx_container_credentials_url(const char *const *env, char **url, struct irx_error *err)
{
	const char *rel = env_get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env_get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	*url = NULL;
	if (rel) {
		*url = irx_xasprintf(ECS_HOST "%s%s", rel[0] == '/' ? "" : "/", rel);
		return 1;
	}
	if (!full)
		return 0;
	u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, full, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' is not a valid URL", full);
		goto done;
	}
	if (strcasecmp(scheme, "https") != 0 &&
	    !(strcasecmp(scheme, "http") == 0 && allowed_http_host(host))) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' must use https, or http to "
			      "a loopback address, 169.254.170.2 or 169.254.170.23",
			      full);
		goto done;
	}
	*url = irx_xstrdup(full);
	rc = 1;
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* The Authorization value from _TOKEN_FILE (preferred) or _TOKEN; NULL when neither. */
static int container_token(const char *const *env, char **out, struct irx_error *err)
{
	const char *file = env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *text = NULL;
	size_t len = 0;

	*out = NULL;
	if (file) {
		if (irx_read_file(file, 16384, &text, &len) < 0) {
			irx_error_set(err, IRX_ERR_CREDENTIALS,
				      "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%s': %s",
				      file, strerror(errno));
			return -1;
		}
		while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			text[--len] = '\0';
	} else if (tok) {
		text = irx_xstrdup(tok);
		len = strlen(text);
	} else {
		return 0;
	}
	if (strpbrk(text, "\r\n") || strlen(text) != len) {
		wipe_free(text);
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "the container authorization token contains a line break");
		return -1;
	}
	*out = text;
	return 0;
}

/* Returns 1 with creds, 0 when not configured, -1 with err set. */
static int container_credentials(const struct irx_credentials_options *o, long timeout_ms,
				 struct irx_credentials *out, char **url_out, struct irx_error *err)
{
	char *url = NULL, *token = NULL, *hdr = NULL, *body = NULL, why[256] = "";
	struct curl_slist *headers = NULL;
	long status = 0;
	int rc = irx_container_credentials_url(o->env, &url, err);

	*url_out = NULL;
	if (rc <= 0)
		return rc;
	rc = -1;
	*url_out = irx_xstrdup(url);
	if (container_token(o->env, &token, err) < 0)
		goto done;
	if (token) {
		hdr = irx_xasprintf("Authorization: %s", token);
		headers = curl_slist_append(headers, hdr);
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	if (http_fetch("GET", url, headers, timeout_ms, &status, &body, why, sizeof(why)) < 0) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "container credentials from '%s': %s", url,
			      why);
		goto done;
	}
	if (status != 200) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "container credentials from '%s': HTTP %ld",
			      url, status);
		goto done;
	}
	if (creds_from_json(body, "Token", out, why, sizeof(why)) < 0) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "container credentials from '%s': %s", url,
			      why);
		goto done;
	}
	rc = 1;
done:
	curl_slist_free_all(headers);
	wipe_free(hdr);
	wipe_free(token);
	wipe_body(body);
	free(url);
	return rc;
}

/* --- instance metadata (IMDSv2) -------------------------------------------------------- */

/* Returns 1 with creds, 0 when disabled, -1 when unavailable (reason in why). */
static int imds_credentials(const struct irx_credentials_options *o, long timeout_ms,
			    struct irx_credentials *out, char *endpoint, size_t endpoint_len,
			    char *why, size_t why_len)
{
	const char *ep = env_get(o->env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = env_get(o->env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	char *token = NULL, *body = NULL, *url = NULL, *role = NULL, *tokhdr = NULL;
	struct curl_slist *headers = NULL;
	long status = 0;
	size_t n;
	int rc = -1;

	if (is_true(env_get(o->env, "AWS_EC2_METADATA_DISABLED")))
		return 0;
	if (!ep)
		ep = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_V6 : IMDS_V4;
	snprintf(endpoint, endpoint_len, "%s", ep);
	n = strlen(endpoint);
	while (n && endpoint[n - 1] == '/')
		endpoint[--n] = '\0';

	/* 1. a session token (IMDSv2) */
	url = irx_xasprintf("%s/latest/api/token", endpoint);
	headers = curl_slist_append(headers, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
	if (http_fetch("PUT", url, headers, timeout_ms, &status, &token, why, why_len) < 0)
		goto done;
	if (status != 200 || !*token) {
		snprintf(why, why_len, "token request: HTTP %ld", status);
		goto done;
	}
	curl_slist_free_all(headers);
	headers = NULL;
	tokhdr = irx_xasprintf("X-aws-ec2-metadata-token: %s", token);
	headers = curl_slist_append(headers, tokhdr);

	/* 2. the instance profile's role */
	free(url);
	url = irx_xasprintf("%s/latest/meta-data/iam/security-credentials/", endpoint);
	if (http_fetch("GET", url, headers, timeout_ms, &status, &body, why, why_len) < 0)
		goto done;
	if (status == 404) {
		snprintf(why, why_len, "no instance profile attached");
		goto done;
	}
	if (status != 200) {
		snprintf(why, why_len, "role request: HTTP %ld", status);
		goto done;
	}
	n = strcspn(body, "\r\n");
	while (n && isspace((unsigned char)body[n - 1]))
		n--;
	if (n == 0 || memchr(body, '/', n) || memchr(body, '?', n)) {
		snprintf(why, why_len, "no usable role name in the metadata");
		goto done;
	}
	role = irx_xstrndup(body, n);
	wipe_body(body);
	body = NULL;

	/* 3. the role's credentials */
	free(url);
	url = irx_xasprintf("%s/latest/meta-data/iam/security-credentials/%s", endpoint, role);
	if (http_fetch("GET", url, headers, timeout_ms, &status, &body, why, why_len) < 0)
		goto done;
	if (status != 200) {
		snprintf(why, why_len, "credentials request for role '%s': HTTP %ld", role, status);
		goto done;
	}
	{
		struct json_object *j = json_tokener_parse(body);
		const char *code = j ? json_str(j, "Code") : NULL;
		bool ok = !code || strcmp(code, "Success") == 0;

		if (!ok)
			snprintf(why, why_len, "credentials for role '%s' not ready (Code '%.32s')",
				 role, code);
		if (j) {
			json_wipe(j, "SecretAccessKey");
			json_wipe(j, "Token");
			json_object_put(j);
		}
		if (!ok)
			goto done;
	}
	if (creds_from_json(body, "Token", out, why, why_len) < 0)
		goto done;
	rc = 1;
done:
	curl_slist_free_all(headers);
	wipe_free(tokhdr);
	wipe_free(token);
	wipe_body(body);
	free(url);
	free(role);
	return rc;
}

/* --- credential_process ----------------------------------------------------------------- */

/*
 * Runs command with /bin/sh -c (as the Go, Java, JavaScript and C SDKs do on Unix; botocore
 * splits it with shlex, which agrees for ordinary commands), stdout captured, stdin and
 * stderr inherited. Returns 0 with the output (transferred), or -1 with err set.
 */
static int run_process(const char *profile, const char *command, const char *const *env,
		       long timeout_ms, char **out, struct irx_error *err)
{
	int fds[2] = {-1, -1}, status = 0;
	char *buf = NULL;
	size_t len = 0;
	long long deadline = irx_now_ms() + timeout_ms;
	bool timed_out = false, too_big = false;
	pid_t pid;
	int rc = -1;

	*out = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "cannot run credential_process: %s",
			      strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "cannot run credential_process: %s",
			      strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		char *const argv[] = {"sh", "-c", (char *)command, NULL};

		setpgid(0, 0);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		if (env)
			execve("/bin/sh", argv, (char *const *)env);
		else
			execv("/bin/sh", argv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	buf = irx_xmalloc(PROCESS_OUTPUT_MAX + 1);
	for (;;) {
		long long left = deadline - irx_now_ms();
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		ssize_t r;
		int pr;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		pr = poll(&pfd, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue;
		r = read(fds[0], buf + len, PROCESS_OUTPUT_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == PROCESS_OUTPUT_MAX) {
			too_big = true;
			break;
		}
	}
	close(fds[0]);
	buf[len] = '\0';
	if (timed_out || too_big)
		kill(-pid, SIGKILL);
	/* the output is complete; give the process the rest of the time to exit */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			status = 0;
			break;
		}
		if (irx_now_ms() >= deadline && !timed_out) {
			timed_out = true;
			kill(-pid, SIGKILL);
		}
		usleep(2000);
	}
	if (timed_out) {
		irx_error_set(err, IRX_ERR_TIMEOUT,
			      "credential_process of profile '%s' did not finish within %ld ms",
			      profile, timeout_ms);
		goto done;
	}
	if (too_big) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "credential_process of profile '%s' printed more than %d bytes",
			      profile, PROCESS_OUTPUT_MAX);
		goto done;
	}
	if (WIFSIGNALED(status)) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "credential_process of profile '%s' was killed by signal %d", profile,
			      WTERMSIG(status));
		goto done;
	}
	if (WEXITSTATUS(status) != 0) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "credential_process of profile '%s' exited with status %d", profile,
			      WEXITSTATUS(status));
		goto done;
	}
	*out = buf;
	buf = NULL;
	rc = 0;
done:
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return rc;
}

static int process_credentials(const struct irx_credentials_options *o, const char *profile,
			       const char *command, struct irx_credentials *out,
			       struct irx_error *err)
{
	char *text = NULL, why[256] = "";
	struct json_object *j = NULL, *ver = NULL;
	int rc = -1;

	if (run_process(profile, command, o->env,
			o->process_timeout_ms > 0 ? o->process_timeout_ms : 60000, &text, err) < 0)
		return -1;
	j = json_tokener_parse(text);
	if (!j || !json_object_is_type(j, json_type_object)) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "credential_process of profile '%s' did not print a JSON object",
			      profile);
		goto done;
	}
	if (!json_object_object_get_ex(j, "Version", &ver) ||
	    !json_object_is_type(ver, json_type_int) || json_object_get_int64(ver) != 1) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "credential_process of profile '%s' printed no \"Version\": 1",
			      profile);
		goto done;
	}
	if (creds_from_json(text, "SessionToken", out, why, sizeof(why)) < 0) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "credential_process of profile '%s': %s",
			      profile, why);
		goto done;
	}
	rc = 0;
done:
	if (j) {
		json_wipe(j, "SecretAccessKey");
		json_wipe(j, "SessionToken");
		json_object_put(j);
	}
	wipe_free(text);
	return rc;
}

/* --- profiles ------------------------------------------------------------------------- */

struct chain {
	const struct irx_credentials_options *o;
	struct irx_aws_config *cfg;
	long timeout_ms;
	const char *visited[PROFILE_DEPTH_MAX + 1];
	int depth;
};

/* Static keys from one file's section. Returns 1, 0 (none) or -1 (incomplete). */
static int static_keys(const char *akid, const char *secret, const char *token, const char *file,
		       const char *profile, struct irx_credentials *out, struct irx_error *err)
{
	akid = akid && *akid ? akid : NULL;
	secret = secret && *secret ? secret : NULL;
	if (!akid && !secret)
		return 0;
	if (!akid || !secret) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "profile '%s' in %s has '%s' but no '%s'",
			      profile, file, akid ? "aws_access_key_id" : "aws_secret_access_key",
			      akid ? "aws_secret_access_key" : "aws_access_key_id");
		return -1;
	}
	irx_credentials_set(out, akid, secret, token, 0);
	return 1;
}

static int env_credentials(const char *const *env, struct irx_credentials *out,
			   struct irx_error *err);
static int profile_credentials(struct chain *ch, const char *name, bool top,
			       struct irx_credentials_resolved *out, struct irx_error *err);

static int parse_duration(const char *profile, const char *v, long *out, struct irx_error *err)
{
	char *end = NULL;
	long d;

	*out = 0;
	if (!v)
		return 0;
	errno = 0;
	d = strtol(v, &end, 10);
	if (errno || end == v || *end || d < 900 || d > 43200) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "profile '%s': duration_seconds '%s' is not 900..43200", profile, v);
		return -1;
	}
	*out = d;
	return 0;
}

/* The source credentials for a role profile. Returns 0 or -1. */
static int role_source(struct chain *ch, const char *name, struct irx_credentials *src,
		       char **src_desc, struct irx_error *err)
{
	struct irx_aws_config *c = ch->cfg;
	const char *sp = prof_get(c, name, "source_profile");
	const char *cs = prof_get(c, name, "credential_source");
	char *files = NULL;
	int rc = -1;

	if (sp && cs) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "profile '%s' sets both 'source_profile' and 'credential_source'",
			      name);
		return -1;
	}
	if (!sp && !cs) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "profile '%s' has 'role_arn' but neither 'source_profile' nor "
			      "'credential_source'",
			      name);
		return -1;
	}
	if (cs) {
		struct irx_credentials_options sub = *ch->o;
		char why[256] = "", ep[256] = "", *url = NULL;
		int r = 0;

		if (strcmp(cs, "Environment") == 0) {
			r = env_credentials(ch->o->env, src, err);
			if (r == 0)
				irx_error_set(err, IRX_ERR_CREDENTIALS,
					      "profile '%s': credential_source Environment, but "
					      "AWS_ACCESS_KEY_ID is not set",
					      name);
		} else if (strcmp(cs, "EcsContainer") == 0) {
			r = container_credentials(&sub, ch->timeout_ms, src, &url, err);
			if (r == 0)
				irx_error_set(
				    err, IRX_ERR_CREDENTIALS,
				    "profile '%s': credential_source EcsContainer, but no "
				    "container credentials are configured",
				    name);
			free(url);
		} else if (strcmp(cs, "Ec2InstanceMetadata") == 0) {
			r = imds_credentials(&sub, ch->timeout_ms, src, ep, sizeof(ep), why,
					     sizeof(why));
			if (r <= 0)
				irx_error_set(
				    err, IRX_ERR_CREDENTIALS,
				    "profile '%s': credential_source Ec2InstanceMetadata: "
				    "%s",
				    name, r == 0 ? "instance metadata is disabled" : why);
		} else {
			irx_error_set(err, IRX_ERR_CREDENTIALS,
				      "profile '%s': unknown credential_source '%s' (expected "
				      "Environment, Ec2InstanceMetadata or EcsContainer)",
				      name, cs);
			return -1;
		}
		if (r <= 0)
			return -1;
		*src_desc = irx_xasprintf("credential_source %s", cs);
		return 0;
	}
	files = files_phrase(c, "or");
	if (strcmp(sp, name) == 0) {
		/* a role profile may name itself to use its own static keys */
		int r = static_keys(cred_get(c, name, "aws_access_key_id"),
				    cred_get(c, name, "aws_secret_access_key"),
				    cred_get(c, name, "aws_session_token"), c->cred_path, name, src,
				    err);

		if (r == 0)
			r = static_keys(conf_get(c, name, "aws_access_key_id"),
					conf_get(c, name, "aws_secret_access_key"),
					conf_get(c, name, "aws_session_token"), c->conf_path, name,
					src, err);
		if (r == 0)
			irx_error_set(
			    err, IRX_ERR_CREDENTIALS,
			    "profile '%s' is its own source_profile but has no static keys", name);
		if (r > 0) {
			*src_desc = irx_xasprintf("profile '%s' (static keys)", name);
			rc = 0;
		}
		goto done;
	}
	if (!prof_exists(c, sp)) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "source_profile '%s' of profile '%s' not found in %s", sp, name,
			      files);
		goto done;
	}
	for (int i = 0; i < ch->depth; i++) {
		if (strcmp(ch->visited[i], sp) == 0) {
			irx_error_set(err, IRX_ERR_CREDENTIALS,
				      "profile '%s': source_profile '%s' forms a cycle", name, sp);
			goto done;
		}
	}
	if (ch->depth >= PROFILE_DEPTH_MAX) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "profile '%s': more than %d chained source profiles", name,
			      PROFILE_DEPTH_MAX);
		goto done;
	}
	{
		struct irx_credentials_resolved sub = {0};
		int r = profile_credentials(ch, sp, false, &sub, err);

		if (r == 0)
			irx_error_set(err, IRX_ERR_CREDENTIALS,
				      "source_profile '%s' of profile '%s' holds no credentials",
				      sp, name);
		if (r > 0) {
			irx_credentials_copy(src, &sub.creds);
			*src_desc = sub.source;
			sub.source = NULL;
			rc = 0;
		}
		irx_credentials_resolved_release(&sub);
	}
done:
	free(files);
	return rc;
}

static int assume_role_profile(struct chain *ch, const char *name, bool top,
			       struct irx_credentials_resolved *out, struct irx_error *err)
{
	struct irx_aws_config *c = ch->cfg;
	struct irx_assume_role *role = irx_xcalloc(1, sizeof(*role));
	const char *v;
	char *src_desc = NULL;
	int rc = -1;

	role->profile = irx_xstrdup(name);
	role->role_arn = irx_xstrdup(prof_get(c, name, "role_arn"));
	if ((v = prof_get(c, name, "external_id")))
		role->external_id = irx_xstrdup(v);
	if ((v = prof_get(c, name, "role_session_name")))
		role->role_session_name = irx_xstrdup(v);
	if ((v = conf_get(c, name, "region")) && *v)
		role->region = irx_xstrdup(v);
	if (parse_duration(name, prof_get(c, name, "duration_seconds"), &role->duration_seconds,
			   err) < 0)
		goto done;
	if (!ch->o->assume_role && !top) {
		irx_error_set(err, IRX_ERR_CREDENTIALS,
			      "profile '%s' chains roles (its source assumes role '%s'), which "
			      "needs the STS client",
			      name, role->role_arn);
		goto done;
	}
	ch->visited[ch->depth++] = name;
	rc = role_source(ch, name, &role->source, &src_desc, err);
	ch->depth--;
	if (rc < 0)
		goto done;
	rc = -1;
	if (!ch->o->assume_role) {
		out->source = irx_xasprintf("profile '%s' (role '%s' via %s)", name, role->role_arn,
					    src_desc);
		out->assume_role = role;
		role = NULL;
		rc = 1;
		goto done;
	}
	if (ch->o->assume_role(ch->o->assume_role_ctx, role, &out->creds, err) < 0) {
		irx_error_prefix(err, "assuming role '%s' for profile '%s'", role->role_arn, name);
		goto done;
	}
	out->source =
	    irx_xasprintf("profile '%s' (role '%s' via %s)", name, role->role_arn, src_desc);
	rc = 1;
done:
	free(src_desc);
	irx_assume_role_free(role);
	return rc;
}

static bool has_unsupported(const struct irx_aws_config *c, const char *name, const char **what)
{
	static const char *const keys[] = {"sso_session", "sso_start_url",
					   "web_identity_token_file", "login_session"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (prof_get(c, name, keys[i])) {
			*what = keys[i];
			return true;
		}
	}
	return false;
}

/* Returns 1 with out filled, 0 when the profile holds no credentials, -1 with err set. */
static int profile_credentials(struct chain *ch, const char *name, bool top,
			       struct irx_credentials_resolved *out, struct irx_error *err)
{
	struct irx_aws_config *c = ch->cfg;
	const char *proc = NULL, *what = NULL;
	int r;

	if (prof_get(c, name, "role_arn"))
		return assume_role_profile(ch, name, top, out, err);
	r = static_keys(
	    cred_get(c, name, "aws_access_key_id"), cred_get(c, name, "aws_secret_access_key"),
	    cred_get(c, name, "aws_session_token"), c->cred_path, name, &out->creds, err);
	if (r != 0) {
		if (r > 0)
			out->source = irx_xasprintf("profile '%s' in %s", name, c->cred_path);
		return r;
	}
	if ((proc = prof_get(c, name, "credential_process"))) {
		if (process_credentials(ch->o, name, proc, &out->creds, err) < 0)
			return -1;
		out->source = irx_xasprintf("profile '%s' (credential_process)", name);
		return 1;
	}
	r = static_keys(
	    conf_get(c, name, "aws_access_key_id"), conf_get(c, name, "aws_secret_access_key"),
	    conf_get(c, name, "aws_session_token"), c->conf_path, name, &out->creds, err);
	if (r > 0)
		out->source = irx_xasprintf("profile '%s' in %s", name, c->conf_path);
	if (r != 0)
		return r;
	if (has_unsupported(c, name, &what)) {
		irx_error_set(
		    err, IRX_ERR_CREDENTIALS,
		    "profile '%s' uses '%s', which irx does not support; use static keys, "
		    "credential_process or role_arn",
		    name, what);
		return -1;
	}
	return 0;
}

/* --- the chain ------------------------------------------------------------------------ */

static int env_credentials(const char *const *env, struct irx_credentials *out,
			   struct irx_error *err)
{
	const char *akid = env_get(env, "AWS_ACCESS_KEY_ID");
	const char *secret = env_get(env, "AWS_SECRET_ACCESS_KEY");
	const char *exp = env_get(env, "AWS_CREDENTIAL_EXPIRATION");
	time_t expiration = 0;

	if (!akid && !secret)
		return 0;
	if (!akid || !secret) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "the environment sets %s but not %s",
			      akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			      akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -1;
	}
	if (exp && parse_iso8601(exp, &expiration) < 0) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "invalid AWS_CREDENTIAL_EXPIRATION '%s'",
			      exp);
		return -1;
	}
	irx_credentials_set(out, akid, secret, env_get(env, "AWS_SESSION_TOKEN"), expiration);
	return 1;
}

static int check_expiry(struct irx_credentials_resolved *out, time_t now, struct irx_error *err)
{
	char when[32];

	if (!out->assume_role && irx_credentials_expired(&out->creds, now, 0)) {
		format_time(out->creds.expiration, when);
		irx_error_set(err, IRX_ERR_CREDENTIALS, "AWS credentials from %s expired at %s",
			      out->source, when);
		return -1;
	}
	return 0;
}

int irx_credentials_resolve(const struct irx_credentials_options *o,
			    struct irx_credentials_resolved *out, struct irx_error *err)
{
	struct chain ch = {0};
	struct sbuf looked = {0};
	time_t now = o->now ? o->now : time(NULL);
	char why[256] = "", ep[256] = "", *url = NULL, *files = NULL;
	int r, rc = -1;

	memset(out, 0, sizeof(*out));
	ch.o = o;
	ch.timeout_ms = o->metadata_timeout_ms > 0 ? o->metadata_timeout_ms : 1000;

	/* 1. explicit */
	if (o->access_key_id || o->secret_access_key) {
		if (!o->access_key_id || !*o->access_key_id || !o->secret_access_key ||
		    !*o->secret_access_key) {
			irx_error_set(err, IRX_ERR_CREDENTIALS,
				      "explicit credentials need both an access key id and a "
				      "secret access key");
			goto done;
		}
		irx_credentials_set(&out->creds, o->access_key_id, o->secret_access_key,
				    o->session_token, 0);
		out->source = irx_xstrdup("explicit options");
		rc = 0;
		goto done;
	}
	sbuf_add(&looked, "explicit options");

	/* 2. environment */
	r = env_credentials(o->env, &out->creds, err);
	if (r < 0)
		goto done;
	if (r > 0) {
		out->source = irx_xstrdup("environment");
		rc = check_expiry(out, now, err);
		goto done;
	}
	sbuf_add(&looked, ", environment (AWS_ACCESS_KEY_ID)");

	/* 3. the profile */
	if (irx_aws_config_load(o->profile, o->env, &ch.cfg, err) < 0)
		goto done;
	files = files_phrase(ch.cfg, "and");
	if (!prof_exists(ch.cfg, ch.cfg->profile)) {
		if (ch.cfg->profile_explicit) {
			char *f = files_phrase(ch.cfg, "or");

			irx_error_set(err, IRX_ERR_CREDENTIALS, "profile '%s' not found in %s",
				      ch.cfg->profile, f);
			free(f);
			goto done;
		}
	} else {
		r = profile_credentials(&ch, ch.cfg->profile, true, out, err);
		if (r < 0)
			goto done;
		if (r > 0) {
			rc = check_expiry(out, now, err);
			goto done;
		}
	}
	sbuf_add(&looked, ", profile '%s' in %s", ch.cfg->profile, files);

	/* 4. container */
	r = container_credentials(o, ch.timeout_ms, &out->creds, &url, err);
	if (r < 0)
		goto done;
	if (r > 0) {
		out->source = irx_xasprintf("container credentials (%s)", url);
		rc = check_expiry(out, now, err);
		goto done;
	}
	sbuf_add(&looked, ", container credentials (not configured)");

	/* 5. instance metadata */
	r = imds_credentials(o, ch.timeout_ms, &out->creds, ep, sizeof(ep), why, sizeof(why));
	if (r > 0) {
		out->source = irx_xasprintf("instance metadata (%s)", ep);
		rc = check_expiry(out, now, err);
		goto done;
	}
	if (r == 0)
		sbuf_add(&looked, ", instance metadata (disabled)");
	else
		sbuf_add(&looked, ", instance metadata (%s: %s)", ep, why);
	irx_error_set(err, IRX_ERR_CREDENTIALS, "no AWS credentials: looked in %s", looked.s);
done:
	if (rc < 0)
		irx_credentials_resolved_release(out);
	free(looked.s);
	free(files);
	free(url);
	irx_aws_config_free(ch.cfg);
	return rc;
}
