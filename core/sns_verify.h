/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Amazon SNS message signatures: parsing an SNS message (the HTTP/HTTPS
 * subscription form and the Lambda event form), the canonical string to sign,
 * the signing certificate (fetched only from sns.<region>.amazonaws.com over
 * https, validated, cached) and the RSA signature check (SignatureVersion 1:
 * SHA1withRSA, 2: SHA256withRSA).
 *
 * The certificate checks follow what AWS's own validators do
 * (aws-php-sns-message-validator: https, host pattern, .pem path; the Java SDK
 * v2 message manager: size cap, validity period, issuer/subject, key usage),
 * made strict: the X.509 chain must reach the trust store at "now", the
 * certificate must name sns.amazonaws.com (or the URL's host), its key must be
 * RSA of at least 2048 bits and, when key usage is present, allow
 * digitalSignature.
 *
 * Note: SNS signs neither MessageAttributes nor UnsubscribeURL; anything taken
 * from them (an ExternalId, an entity ARN) is not covered by the signature.
 */
#ifndef IRX_SNS_VERIFY_H
#define IRX_SNS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

struct json_object;

/* Fetched certificates larger than this are refused (AWS's Java SDK uses the same bound). */
#define IRX_SNS_CERT_MAX 10240

/*
 * A parsed SNS message. Every string is borrowed from root (NUL-free, valid
 * until irx_sns_message_release); absent fields and a JSON null Subject are NULL.
 */
struct irx_sns_message {
	struct json_object *root; /* owned */
	const char *type;
	const char *message_id;
	const char *topic_arn;
	const char *subject;
	const char *message;
	const char *timestamp;
	const char *signature_version;
	const char *signature;
	const char *signing_cert_url; /* SigningCertURL or the Lambda form's SigningCertUrl */
	const char *subscribe_url;    /* SubscribeURL / SubscribeUrl */
	const char *unsubscribe_url;  /* UnsubscribeURL / UnsubscribeUrl */
	const char *token;
	struct json_object *attributes; /* MessageAttributes, borrowed from root, may be NULL */
};

/*
 * Parses body (len bytes, need not be NUL-terminated) into *m. Requires a JSON
 * object whose Type is Notification, SubscriptionConfirmation or
 * UnsubscribeConfirmation and which has every field that type's string to sign
 * and the signature need. Returns 0, or -1 with err set (IRX_ERR_PARSE for bad
 * JSON, IRX_ERR_INVALID for a missing or mistyped field); *m is then empty.
 */
int irx_sns_message_parse(const char *body, size_t len, struct irx_sns_message *m,
			  struct irx_error *err);
void irx_sns_message_release(struct irx_sns_message *m);

/* A String (or Number) message attribute's Value, borrowed; NULL when absent or of another type. */
const char *irx_sns_message_attribute(const struct irx_sns_message *m, const char *name);

/* The canonical string to sign ("Key\nValue\n" per field). Returns a new string or NULL (err set).
 */
char *irx_sns_string_to_sign(const struct irx_sns_message *m, struct irx_error *err);

/*
 * Checks a SigningCertURL: https, no user info or port, host matching
 * ^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$, a path ending in .pem, no query or
 * fragment. Returns 0, or -1 with err set (IRX_ERR_INVALID).
 */
int irx_sns_cert_url_check(const char *url, struct irx_error *err);

/*
 * Checks a SubscribeURL before irx GETs it: https, no user info or port, a
 * host of the same pattern. Returns 0, or -1 with err set.
 */
int irx_sns_subscribe_url_check(const char *url, struct irx_error *err);

/*
 * Fetches the PEM at url (already checked). Sets *pem (transferred, NUL-
 * terminated) and *len. Returns 0, or -1 with err set.
 */
typedef int irx_sns_fetch_fn(void *ud, const char *url, char **pem, size_t *len,
			     struct irx_error *err);
/* The clock: seconds since the epoch. */
typedef time_t irx_sns_clock_fn(void *ud);

struct irx_sns_verifier_options {
	irx_sns_fetch_fn *fetch; /* NULL: libcurl, https only, TLS verification on */
	void *fetch_ud;
	irx_sns_clock_fn *clock; /* NULL: time(NULL) */
	void *clock_ud;
	/* The trust store: ca_pem (PEM text, one or more certificates) and/or
	 * ca_file; both NULL: the system's default store. Borrowed during _new. */
	const char *ca_pem;
	const char *ca_file;
	/* Extra intermediate certificates (PEM file) to build chains with; the
	 * fetched PEM's own extra certificates are used too. Borrowed during _new. */
	const char *intermediates_file;
	/* TESTS ONLY: skip the X.509 chain check. Validity dates, name, key and
	 * signature are still checked. Never set by default. */
	bool skip_chain_validation;
	/* When non-NULL, validated certificates are also kept in this directory
	 * (created 0700, files 0600, named by the SHA-256 of the URL). Borrowed during _new. */
	const char *cache_dir;
};

/* A verifier: thread-safe, one per process is enough. */
struct irx_sns_verifier;

/* Returns a new verifier, or NULL with err set (bad trust store, cache dir). */
struct irx_sns_verifier *irx_sns_verifier_new(const struct irx_sns_verifier_options *o,
					      struct irx_error *err);
void irx_sns_verifier_free(struct irx_sns_verifier *v);

/* The verifier's clock (the injected one in tests). */
time_t irx_sns_verifier_now(struct irx_sns_verifier *v);

/*
 * Verifies m's signature: SignatureVersion 1 or 2, the certificate URL, the
 * certificate (fetched or cached, validated at the verifier's "now") and the
 * RSA signature over the string to sign. Returns 0, or -1 with err set
 * (IRX_ERR_INVALID for a refused message or certificate, IRX_ERR_NETWORK when
 * the certificate cannot be fetched).
 */
int irx_sns_verify(struct irx_sns_verifier *v, const struct irx_sns_message *m,
		   struct irx_error *err);

/* Certificates fetched so far (not served from a cache): for tests and stats. */
unsigned long irx_sns_verifier_fetches(struct irx_sns_verifier *v);

/* Parses an SNS Timestamp ("2022-07-28T22:53:49.654Z"). Returns 0 and sets *t, or -1. */
int irx_sns_parse_timestamp(const char *s, time_t *t);

#endif
