/* SPDX-License-Identifier: Apache-2.0 */
/* SNS message signatures: parsing, the string to sign, the signing certificate, the RSA check. */
#include "sns_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util.h"

/* Certificates kept in memory; the oldest goes first (SNS uses a handful of URLs at a time). */
#define CACHE_MAX 32
#define SIGNATURE_B64_MAX 4096

/* ---- the message ------------------------------------------------------------------------ */

static const char *const TYPES[] = {"Notification", "SubscriptionConfirmation",
				    "UnsubscribeConfirmation"};

void irx_sns_message_release(struct irx_sns_message *m)
{
	if (!m)
		return;
	json_object_put(m->root);
	memset(m, 0, sizeof(*m));
}

/*
 * Reads a string field by name (or its Lambda-form alternative). A JSON null
 * counts as absent only when null_ok; NUL bytes inside are refused, since the
 * string to sign is built from C strings.
 */
static int get_field(struct json_object *root, const char *name, const char *alt, bool required,
		     bool null_ok, const char **out, struct irx_error *err)
{
	struct json_object *v = NULL;
	bool present = json_object_object_get_ex(root, name, &v);

	*out = NULL;
	if (!present && alt)
		present = json_object_object_get_ex(root, alt, &v);
	if (!present || (v == NULL && null_ok)) {
		if (required) {
			irx_error_set(err, IRX_ERR_INVALID, "sns message field '%s' is missing",
				      name);
			return -1;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		irx_error_set(err, IRX_ERR_INVALID, "sns message field '%s' is not a string", name);
		return -1;
	}
	if ((size_t)json_object_get_string_len(v) != strlen(json_object_get_string(v))) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "sns message field '%s' contains a NUL character", name);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

int irx_sns_message_parse(const char *body, size_t len, struct irx_sns_message *m,
			  struct irx_error *err)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	bool confirmation = false, known = false;
	size_t end = 0;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (len > (size_t)INT32_MAX) {
		irx_error_set(err, IRX_ERR_LIMIT, "sns message is too large");
		goto out;
	}
	tok = json_tokener_new_ex(32);
	if (!tok)
		abort();
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (!root && json_tokener_get_error(tok) == json_tokener_continue) {
		irx_error_set(err, IRX_ERR_PARSE, "sns message is not valid json: unexpected end");
		goto out;
	}
	if (json_tokener_get_error(tok) != json_tokener_success) {
		irx_error_set(err, IRX_ERR_PARSE, "sns message is not valid json: %s",
			      json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	end = json_tokener_get_parse_end(tok);
	while (end < len &&
	       (body[end] == ' ' || body[end] == '\t' || body[end] == '\r' || body[end] == '\n'))
		end++;
	if (end != len) {
		irx_error_set(err, IRX_ERR_PARSE, "sns message has data after the json object");
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		irx_error_set(err, IRX_ERR_INVALID, "sns message is not a json object");
		goto out;
	}
	m->root = root;
	root = NULL;
	if (get_field(m->root, "Type", NULL, true, false, &m->type, err) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++)
		if (strcmp(m->type, TYPES[i]) == 0) {
			known = true;
			confirmation = i > 0;
		}
	if (!known) {
		irx_error_set(err, IRX_ERR_INVALID, "sns message type '%.64s' is not supported",
			      m->type);
		goto out;
	}
	if (get_field(m->root, "MessageId", NULL, true, false, &m->message_id, err) < 0 ||
	    get_field(m->root, "TopicArn", NULL, true, false, &m->topic_arn, err) < 0 ||
	    get_field(m->root, "Subject", NULL, false, true, &m->subject, err) < 0 ||
	    get_field(m->root, "Message", NULL, true, false, &m->message, err) < 0 ||
	    get_field(m->root, "Timestamp", NULL, true, false, &m->timestamp, err) < 0 ||
	    get_field(m->root, "SignatureVersion", NULL, false, true, &m->signature_version, err) <
		0 ||
	    get_field(m->root, "Signature", NULL, false, true, &m->signature, err) < 0 ||
	    get_field(m->root, "SigningCertURL", "SigningCertUrl", false, true,
		      &m->signing_cert_url, err) < 0 ||
	    get_field(m->root, "SubscribeURL", "SubscribeUrl", confirmation, false,
		      &m->subscribe_url, err) < 0 ||
	    get_field(m->root, "UnsubscribeURL", "UnsubscribeUrl", false, true, &m->unsubscribe_url,
		      err) < 0 ||
	    get_field(m->root, "Token", NULL, confirmation, false, &m->token, err) < 0)
		goto out;
	if (json_object_object_get_ex(m->root, "MessageAttributes", &m->attributes) &&
	    m->attributes && !json_object_is_type(m->attributes, json_type_object)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "sns message field 'MessageAttributes' is not an object");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		irx_sns_message_release(m);
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

const char *irx_sns_message_attribute(const struct irx_sns_message *m, const char *name)
{
	struct json_object *a = NULL, *type = NULL, *value = NULL;
	const char *t = NULL;

	if (!m->attributes || !json_object_object_get_ex(m->attributes, name, &a) ||
	    !json_object_is_type(a, json_type_object) ||
	    !json_object_object_get_ex(a, "Type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    !json_object_object_get_ex(a, "Value", &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	t = json_object_get_string(type);
	if (strcmp(t, "String") != 0 && strcmp(t, "Number") != 0)
		return NULL;
	if ((size_t)json_object_get_string_len(value) != strlen(json_object_get_string(value)))
		return NULL;
	return json_object_get_string(value);
}

static void append(char **buf, size_t *len, size_t *cap, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value), need = *len + kl + vl + 3;

	if (need > *cap) {
		*cap = need * 2;
		*buf = irx_xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, key, kl);
	(*buf)[*len + kl] = '\n';
	memcpy(*buf + *len + kl + 1, value, vl);
	(*buf)[*len + kl + 1 + vl] = '\n';
	*len += kl + vl + 2;
	(*buf)[*len] = '\0';
}

char *irx_sns_string_to_sign(const struct irx_sns_message *m, struct irx_error *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!m->type || !m->message || !m->message_id || !m->timestamp || !m->topic_arn) {
		irx_error_set(err, IRX_ERR_INVALID, "sns message is incomplete");
		return NULL;
	}
	append(&buf, &len, &cap, "Message", m->message);
	append(&buf, &len, &cap, "MessageId", m->message_id);
	if (strcmp(m->type, "Notification") == 0) {
		if (m->subject)
			append(&buf, &len, &cap, "Subject", m->subject);
	} else {
		if (!m->subscribe_url || !m->token) {
			irx_error_set(err, IRX_ERR_INVALID, "sns message is incomplete");
			free(buf);
			return NULL;
		}
		append(&buf, &len, &cap, "SubscribeURL", m->subscribe_url);
	}
	append(&buf, &len, &cap, "Timestamp", m->timestamp);
	if (strcmp(m->type, "Notification") != 0)
		append(&buf, &len, &cap, "Token", m->token);
	append(&buf, &len, &cap, "TopicArn", m->topic_arn);
	append(&buf, &len, &cap, "Type", m->type);
	return buf;
}

int irx_sns_parse_timestamp(const char *s, time_t *t)
{
	struct tm tm = {0};
	const char *p = NULL;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	*t = timegm(&tm);
	return 0;
}

/* ---- URLs ------------------------------------------------------------------------------- */

/* ^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$ over host[0..n) */
static bool sns_host(const char *host, size_t n)
{
	static const char suffix[] = ".amazonaws.com", suffix_cn[] = ".amazonaws.com.cn";
	size_t region = 0;

	if (n < 4 || memcmp(host, "sns.", 4) != 0)
		return false;
	if (n > sizeof(suffix_cn) - 1 &&
	    memcmp(host + n - (sizeof(suffix_cn) - 1), suffix_cn, sizeof(suffix_cn) - 1) == 0)
		region = n - 4 - (sizeof(suffix_cn) - 1);
	else if (n > sizeof(suffix) - 1 &&
		 memcmp(host + n - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) == 0)
		region = n - 4 - (sizeof(suffix) - 1);
	else
		return false;
	if (region == 0)
		return false;
	for (size_t i = 0; i < region; i++) {
		char c = host[4 + i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* Splits an https URL; returns the host span and the rest, or -1 with err set. */
static int url_split(const char *what, const char *url, const char **host, size_t *host_len,
		     const char **rest, struct irx_error *err)
{
	const char *p = NULL;

	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '\\') {
			irx_error_set(err, IRX_ERR_INVALID,
				      "%s contains a character not allowed in a url", what);
			return -1;
		}
	if (strncmp(url, "https://", 8) != 0) {
		irx_error_set(err, IRX_ERR_INVALID, "%s '%.200s' is not an https url", what, url);
		return -1;
	}
	*host = url + 8;
	*host_len = strcspn(*host, "/?#");
	*rest = *host + *host_len;
	if (memchr(*host, '@', *host_len) || memchr(*host, ':', *host_len)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "%s '%.200s' must not carry user information or a port", what, url);
		return -1;
	}
	if (!sns_host(*host, *host_len)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "%s host '%.*s' is not sns.<region>.amazonaws.com", what,
			      (int)(*host_len > 200 ? 200 : *host_len), *host);
		return -1;
	}
	return 0;
}

int irx_sns_cert_url_check(const char *url, struct irx_error *err)
{
	const char *host = NULL, *path = NULL;
	size_t host_len = 0, n = 0;

	if (url_split("signing certificate url", url, &host, &host_len, &path, err) < 0)
		return -1;
	n = strlen(path);
	if (path[0] != '/' || strpbrk(path, "?#") || n < 5 || strcmp(path + n - 4, ".pem") != 0) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "signing certificate url '%.200s' does not name a .pem file", url);
		return -1;
	}
	return 0;
}

int irx_sns_subscribe_url_check(const char *url, struct irx_error *err)
{
	const char *host = NULL, *rest = NULL;
	size_t host_len = 0;

	if (url_split("subscribe url", url, &host, &host_len, &rest, err) < 0)
		return -1;
	if (strchr(rest, '#')) {
		irx_error_set(err, IRX_ERR_INVALID, "subscribe url '%.200s' has a fragment", url);
		return -1;
	}
	return 0;
}

/* ---- the verifier ----------------------------------------------------------------------- */

struct cache_entry {
	char *url;
	X509 *cert;
	struct cache_entry *next;
};

struct irx_sns_verifier {
	irx_sns_fetch_fn *fetch;
	void *fetch_ud;
	irx_sns_clock_fn *clock;
	void *clock_ud;
	bool skip_chain;
	char *cache_dir;
	X509_STORE *store;
	STACK_OF(X509) * intermediates;
	pthread_mutex_t lock;
	struct cache_entry *cache; /* newest first */
	size_t cache_count;
	unsigned long fetches;
};

struct fetch_buf {
	char *data;
	size_t len;
	bool too_big;
};

static size_t fetch_write(char *p, size_t size, size_t n, void *ud)
{
	struct fetch_buf *b = ud;
	size_t add = size * n;

	if (b->len + add > IRX_SNS_CERT_MAX) {
		b->too_big = true;
		return 0;
	}
	b->data = irx_xrealloc(b->data, b->len + add + 1);
	memcpy(b->data + b->len, p, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

/* The default fetcher: libcurl, https only, TLS verified, no redirects, bounded. */
static int curl_fetch(void *ud, const char *url, char **pem, size_t *len, struct irx_error *err)
{
	struct fetch_buf b = {0};
	CURL *c = curl_easy_init();
	CURLcode cc = CURLE_OK;
	long status = 0;
	int rc = -1;

	(void)ud;
	if (!c) {
		irx_error_set(err, IRX_ERR_NETWORK, "cannot start a certificate download");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(c);
	if (b.too_big) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "signing certificate at '%s' is larger than %d bytes", url,
			      IRX_SNS_CERT_MAX);
		goto out;
	}
	if (cc != CURLE_OK) {
		irx_error_set(err, IRX_ERR_NETWORK, "cannot fetch signing certificate '%s': %s",
			      url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		irx_error_set(err, IRX_ERR_NETWORK,
			      "cannot fetch signing certificate '%s': http status %ld", url,
			      status);
		goto out;
	}
	*pem = b.data ? b.data : irx_xstrdup("");
	*len = b.len;
	b.data = NULL;
	rc = 0;
out:
	free(b.data);
	if (c)
		curl_easy_cleanup(c);
	return rc;
}

static int load_pem_certs(X509_STORE *store, STACK_OF(X509) * stack, const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = NULL;
	int n = 0;

	if (!bio)
		abort();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (store)
			X509_STORE_add_cert(store, x);
		if (stack)
			sk_X509_push(stack, x);
		else
			X509_free(x);
		n++;
	}
	ERR_clear_error();
	BIO_free(bio);
	return n;
}

static int mkdir_p(const char *dir)
{
	char *p = irx_xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; *s && rc == 0; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST)
				rc = -1;
			*s = '/';
		}
	if (rc == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

struct irx_sns_verifier *irx_sns_verifier_new(const struct irx_sns_verifier_options *o,
					      struct irx_error *err)
{
	struct irx_sns_verifier *v = irx_xcalloc(1, sizeof(*v));
	char *text = NULL;
	size_t len = 0;

	v->fetch = o->fetch ? o->fetch : curl_fetch;
	v->fetch_ud = o->fetch_ud;
	v->clock = o->clock;
	v->clock_ud = o->clock_ud;
	v->skip_chain = o->skip_chain_validation;
	pthread_mutex_init(&v->lock, NULL);
	v->store = X509_STORE_new();
	v->intermediates = sk_X509_new_null();
	if (!v->store || !v->intermediates)
		abort();
	if (o->ca_pem && load_pem_certs(v->store, NULL, o->ca_pem, strlen(o->ca_pem)) == 0) {
		irx_error_set(err, IRX_ERR_INVALID, "the trust store has no PEM certificate");
		goto fail;
	}
	if (o->ca_file && X509_STORE_load_file(v->store, o->ca_file) != 1) {
		ERR_clear_error();
		irx_error_set(err, IRX_ERR_INVALID, "cannot load trust store '%s'", o->ca_file);
		goto fail;
	}
	if (!o->ca_pem && !o->ca_file && X509_STORE_set_default_paths(v->store) != 1) {
		ERR_clear_error();
		irx_error_set(err, IRX_ERR_INVALID, "cannot load the system trust store");
		goto fail;
	}
	if (o->intermediates_file) {
		if (irx_read_file(o->intermediates_file, 1 << 20, &text, &len) < 0) {
			irx_error_set(err, IRX_ERR_IO, "cannot read '%s': %s",
				      o->intermediates_file, strerror(errno));
			goto fail;
		}
		if (load_pem_certs(NULL, v->intermediates, text, len) == 0) {
			irx_error_set(err, IRX_ERR_INVALID, "'%s' has no PEM certificate",
				      o->intermediates_file);
			goto fail;
		}
	}
	if (o->cache_dir) {
		if (mkdir_p(o->cache_dir) < 0) {
			irx_error_set(err, IRX_ERR_IO, "cannot create '%s': %s", o->cache_dir,
				      strerror(errno));
			goto fail;
		}
		v->cache_dir = irx_xstrdup(o->cache_dir);
	}
	free(text);
	return v;
fail:
	free(text);
	irx_sns_verifier_free(v);
	return NULL;
}

void irx_sns_verifier_free(struct irx_sns_verifier *v)
{
	struct cache_entry *e = NULL, *next = NULL;

	if (!v)
		return;
	for (e = v->cache; e; e = next) {
		next = e->next;
		free(e->url);
		X509_free(e->cert);
		free(e);
	}
	X509_STORE_free(v->store);
	sk_X509_pop_free(v->intermediates, X509_free);
	pthread_mutex_destroy(&v->lock);
	free(v->cache_dir);
	free(v);
}

time_t irx_sns_verifier_now(struct irx_sns_verifier *v)
{
	return v->clock ? v->clock(v->clock_ud) : time(NULL);
}

unsigned long irx_sns_verifier_fetches(struct irx_sns_verifier *v)
{
	unsigned long n = 0;

	pthread_mutex_lock(&v->lock);
	n = v->fetches;
	pthread_mutex_unlock(&v->lock);
	return n;
}

/* The validity period at now. */
static int check_dates(X509 *cert, time_t now, struct irx_error *err)
{
	time_t t = now;

	if (X509_cmp_time(X509_get0_notBefore(cert), &t) >= 0) {
		irx_error_set(err, IRX_ERR_INVALID, "signing certificate is not valid yet");
		return -1;
	}
	if (X509_cmp_time(X509_get0_notAfter(cert), &t) <= 0) {
		irx_error_set(err, IRX_ERR_INVALID, "signing certificate has expired");
		return -1;
	}
	return 0;
}

/* Everything but the dates, which are checked on every use. */
static int validate_cert(struct irx_sns_verifier *v, X509 *cert, STACK_OF(X509) * extra,
			 const char *host, time_t now, struct irx_error *err)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	uint32_t ku = X509_get_key_usage(cert);
	int rc = -1;

	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key) < 2048) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "signing certificate key is not RSA of at least 2048 bits");
		goto out;
	}
	if (ku != UINT32_MAX && !(ku & KU_DIGITAL_SIGNATURE)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "signing certificate key usage does not allow signatures");
		goto out;
	}
	if (X509_check_host(cert, "sns.amazonaws.com", 0, 0, NULL) != 1 &&
	    X509_check_host(cert, host, 0, 0, NULL) != 1) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "signing certificate is not issued to sns.amazonaws.com or '%s'",
			      host);
		goto out;
	}
	if (check_dates(cert, now, err) < 0)
		goto out;
	if (!v->skip_chain) {
		untrusted = sk_X509_new_null();
		ctx = X509_STORE_CTX_new();
		if (!untrusted || !ctx)
			abort();
		for (int i = 0; extra && i < sk_X509_num(extra); i++)
			sk_X509_push(untrusted, sk_X509_value(extra, i));
		for (int i = 0; i < sk_X509_num(v->intermediates); i++)
			sk_X509_push(untrusted, sk_X509_value(v->intermediates, i));
		if (X509_STORE_CTX_init(ctx, v->store, cert, untrusted) != 1)
			abort();
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
		if (X509_verify_cert(ctx) != 1) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "signing certificate chain is not trusted: %s",
				      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
			ERR_clear_error();
			goto out;
		}
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted); /* borrowed certificates */
	return rc;
}

/* Parses a PEM (the leaf first, any further certificates as intermediates) and validates it. */
static X509 *cert_from_pem(struct irx_sns_verifier *v, const char *pem, size_t len,
			   const char *host, time_t now, struct irx_error *err)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *leaf = NULL;

	if (!certs)
		abort();
	if (len > IRX_SNS_CERT_MAX) {
		irx_error_set(err, IRX_ERR_INVALID, "signing certificate is larger than %d bytes",
			      IRX_SNS_CERT_MAX);
		goto out;
	}
	if (load_pem_certs(NULL, certs, pem, len) == 0) {
		irx_error_set(err, IRX_ERR_INVALID, "signing certificate is not a PEM certificate");
		goto out;
	}
	leaf = sk_X509_shift(certs);
	if (validate_cert(v, leaf, certs, host, now, err) < 0) {
		X509_free(leaf);
		leaf = NULL;
	}
out:
	sk_X509_pop_free(certs, X509_free);
	return leaf;
}

static char *disk_path(const struct irx_sns_verifier *v, const char *url)
{
	unsigned char md[32];
	char hex[65];

	SHA256((const unsigned char *)url, strlen(url), md);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return irx_xasprintf("%s/%s.pem", v->cache_dir, hex);
}

static void disk_store(const struct irx_sns_verifier *v, const char *url, const char *pem,
		       size_t len)
{
	char *path = disk_path(v, url), *tmp = irx_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = false;

	/* best effort: the memory cache still works when the disk does not */
	if (fd >= 0) {
		ok = write(fd, pem, len) == (ssize_t)len;
		ok = close(fd) == 0 && ok;
		if (!ok || rename(tmp, path) < 0)
			unlink(tmp);
	}
	free(tmp);
	free(path);
}

/* The certificate for url, validated: from memory, disk, or the fetcher. Returns a reference. */
static X509 *get_cert(struct irx_sns_verifier *v, const char *url, time_t now,
		      struct irx_error *err)
{
	char host[256] = "", *pem = NULL, *path = NULL;
	size_t len = 0, hl = strcspn(url + 8, "/");
	struct cache_entry *e = NULL, **pp = NULL;
	X509 *cert = NULL;

	snprintf(host, sizeof(host), "%.*s", (int)hl, url + 8);
	pthread_mutex_lock(&v->lock);
	for (e = v->cache; e; e = e->next)
		if (strcmp(e->url, url) == 0) {
			cert = e->cert;
			X509_up_ref(cert);
			break;
		}
	pthread_mutex_unlock(&v->lock);
	if (cert) {
		if (check_dates(cert, now, err) < 0) {
			X509_free(cert);
			return NULL;
		}
		return cert;
	}
	if (v->cache_dir) {
		struct irx_error ignored = {0};

		path = disk_path(v, url);
		if (irx_read_file(path, IRX_SNS_CERT_MAX, &pem, &len) == 0)
			cert = cert_from_pem(v, pem, len, host, now, &ignored);
		free(pem);
		pem = NULL;
	}
	if (!cert) {
		if (v->fetch(v->fetch_ud, url, &pem, &len, err) < 0)
			goto out;
		pthread_mutex_lock(&v->lock);
		v->fetches++;
		pthread_mutex_unlock(&v->lock);
		cert = cert_from_pem(v, pem, len, host, now, err);
		if (!cert)
			goto out;
		if (v->cache_dir)
			disk_store(v, url, pem, len);
	}
	e = irx_xcalloc(1, sizeof(*e));
	e->url = irx_xstrdup(url);
	e->cert = cert;
	X509_up_ref(cert);
	pthread_mutex_lock(&v->lock);
	e->next = v->cache;
	v->cache = e;
	if (++v->cache_count > CACHE_MAX) {
		for (pp = &v->cache; (*pp)->next; pp = &(*pp)->next)
			;
		free((*pp)->url);
		X509_free((*pp)->cert);
		free(*pp);
		*pp = NULL;
		v->cache_count--;
	}
	pthread_mutex_unlock(&v->lock);
out:
	free(pem);
	free(path);
	return cert;
}

/* Strict base64 (standard alphabet, padded). Returns the decoded length or -1. */
static int base64_decode(const char *in, unsigned char *out, size_t out_cap)
{
	size_t n = strlen(in), pad = 0;
	int len = 0;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > out_cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '+' || c == '/';

		if (c == '=' && i >= n - 2)
			pad++;
		else if (!alpha || pad)
			return -1;
	}
	len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0)
		return -1;
	return len - (int)pad;
}

int irx_sns_verify(struct irx_sns_verifier *v, const struct irx_sns_message *m,
		   struct irx_error *err)
{
	unsigned char sig[SIGNATURE_B64_MAX / 4 * 3];
	const EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	char *tbs = NULL;
	X509 *cert = NULL;
	int sig_len = 0, rc = -1;

	if (!m->signature || !m->signature_version || !m->signing_cert_url) {
		irx_error_set(err, IRX_ERR_INVALID, "sns message is not signed");
		goto out;
	}
	if (strcmp(m->signature_version, "1") == 0)
		md = EVP_sha1();
	else if (strcmp(m->signature_version, "2") == 0)
		md = EVP_sha256();
	else {
		irx_error_set(err, IRX_ERR_INVALID, "sns SignatureVersion '%.16s' is not supported",
			      m->signature_version);
		goto out;
	}
	if (strlen(m->signature) > SIGNATURE_B64_MAX ||
	    (sig_len = base64_decode(m->signature, sig, sizeof(sig))) <= 0) {
		irx_error_set(err, IRX_ERR_INVALID, "sns message signature is not valid base64");
		goto out;
	}
	if (irx_sns_cert_url_check(m->signing_cert_url, err) < 0)
		goto out;
	tbs = irx_sns_string_to_sign(m, err);
	if (!tbs)
		goto out;
	cert = get_cert(v, m->signing_cert_url, irx_sns_verifier_now(v), err);
	if (!cert)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		abort();
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, X509_get0_pubkey(cert)) != 1 ||
	    EVP_DigestVerify(ctx, sig, (size_t)sig_len, (const unsigned char *)tbs, strlen(tbs)) !=
		1) {
		ERR_clear_error();
		irx_error_set(err, IRX_ERR_INVALID, "sns message signature does not match");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	X509_free(cert);
	free(tbs);
	return rc;
}
