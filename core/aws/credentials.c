/* SPDX-License-Identifier: Apache-2.0 */
/* AWS credentials: the value type and the SDKs' resolution chain. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aws/credentials.h"
#include "util.h"

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
			 const char *secret_access_key, const char *session_token, time_t expiration)
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
