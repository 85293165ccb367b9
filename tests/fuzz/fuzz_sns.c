/* SPDX-License-Identifier: Apache-2.0 */
/* SNS message parsing and verification on arbitrary bytes, with a fixed trusted certificate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sns_verify.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tests/vectors/sns/constructed/TEST-ONLY-SimpleNotificationService-test.pem (CC0, test only) */
static const char TEST_PEM[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIDLzCCAhegAwIBAgIBATANBgkqhkiG9w0BAQsFADBJMRowGAYDVQQDDBFzbnMu\n"
	"YW1hem9uYXdzLmNvbTErMCkGA1UECgwiVEVTVCBPTkxZIC0gbm90IGFuIEFXUyBj\n"
	"ZXJ0aWZpY2F0ZTAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFowSTEa\n"
	"MBgGA1UEAwwRc25zLmFtYXpvbmF3cy5jb20xKzApBgNVBAoMIlRFU1QgT05MWSAt\n"
	"IG5vdCBhbiBBV1MgY2VydGlmaWNhdGUwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAw\n"
	"ggEKAoIBAQDEFLZEoECHF/XGLD7O/UMDPXWiSbIfSwV39cjWZfzaC3VwdOK7zJ1W\n"
	"ZTxIzGI63TqCnx6GzGWA72LBdKdXSnwk5OYGyuB/LgIsUkXRQufS/lio1maD3kIT\n"
	"l8x8RgN6IKR+CH+Knxn5TAnXjFcUMJCqKHznLBEXKyXzLK69s9MxoCmwLhq3R7TH\n"
	"ClkUziKtT5FadRW9qsYSfStvOiNy2O4afmf4jmc0zycXuwEkX9SV0Lw7QEZM4/M8\n"
	"RfAToPEKXKzZsO8WBSv5KCu1S0+IL/TNWnEyznD33Q/6Mb4cxqTtKArgLVLuNv1W\n"
	"2IlcR+zK+Ctt/g8421Gwy9bv6T1w7KUPAgMBAAGjIDAeMBwGA1UdEQQVMBOCEXNu\n"
	"cy5hbWF6b25hd3MuY29tMA0GCSqGSIb3DQEBCwUAA4IBAQALpApRPR50n+Vp/deo\n"
	"qc/FJeR9uoQaPr/zmOMcVg1Ft/Ty3Jgup4Mxr++oehJGNMkbMMQJsFOfO5lZvRn1\n"
	"DYc9a9zp3D9kRBk4tFjhOwW0bw2JjGzpP61k9kUhXQFF5gXDa05oropT9WQK2cy3\n"
	"vOtrN+J3P2uRTIG8S7lsqIjOK58qcIrMdGwdMCGZwlltJ2yxK3uYkUTjbLjZHwJY\n"
	"OLX4SwvMpsa3CX9LHROckiaomhlkpYC3XvkP1qOjxU5yWts1GStNb87gowt+4WAt\n"
	"27ElvpHReu1hexAWL3JueDAz5nLIw7SbL+mhftoN5JFyY0iLbGgEw0cRvXMasuwr\n"
	"2Hbb\n"
	"-----END CERTIFICATE-----\n";

static int fetch(void *ud, const char *url, char **pem, size_t *len, struct irx_error *err)
{
	(void)ud;
	(void)url;
	(void)err;
	*pem = irx_xstrdup(TEST_PEM);
	*len = strlen(TEST_PEM);
	return 0;
}

static time_t clock_2024(void *ud)
{
	(void)ud;
	return 1714165200; /* 2024-04-26T21:00:00Z */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct irx_sns_verifier *v;
	struct irx_sns_message m;
	struct irx_error err = {0};
	char *tbs = NULL;
	time_t t = 0;

	if (!v) {
		struct irx_sns_verifier_options o = {.fetch = fetch, .clock = clock_2024,
						     .ca_pem = TEST_PEM};

		v = irx_sns_verifier_new(&o, &err);
		if (!v)
			abort();
	}
	if (irx_sns_message_parse((const char *)data, size, &m, &err) < 0) {
		if (err.code == IRX_OK || m.root)
			abort();
		return 0;
	}
	tbs = irx_sns_string_to_sign(&m, &err);
	if (tbs && strlen(tbs) < strlen(m.message))
		abort();
	irx_sns_message_attribute(&m, "ExternalId");
	irx_sns_parse_timestamp(m.timestamp, &t);
	if (m.subscribe_url)
		irx_sns_subscribe_url_check(m.subscribe_url, &err);
	irx_error_clear(&err);
	if (irx_sns_verify(v, &m, &err) < 0 && err.code == IRX_OK)
		abort();
	free(tbs);
	irx_sns_message_release(&m);
	return 0;
}
