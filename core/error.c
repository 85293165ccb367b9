/* SPDX-License-Identifier: Apache-2.0 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void irx_error_set(struct irx_error *err, enum irx_status code, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != IRX_OK)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void irx_error_clear(struct irx_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

void irx_error_prefix(struct irx_error *err, const char *fmt, ...)
{
	char prefix[512] = "";
	char old[sizeof(err->message)];
	va_list ap;

	if (!err || err->code == IRX_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
}

const char *irx_status_name(enum irx_status code)
{
	static const char *const names[] = {
		[IRX_OK] = "ok",
		[IRX_ERR_INVALID] = "invalid",
		[IRX_ERR_IO] = "io",
		[IRX_ERR_NOMEM] = "nomem",
		[IRX_ERR_PARSE] = "parse",
		[IRX_ERR_PLUGIN] = "plugin",
		[IRX_ERR_AWS] = "aws",
		[IRX_ERR_TIMEOUT] = "timeout",
		[IRX_ERR_STEP] = "step",
		[IRX_ERR_LIMIT] = "limit",
		[IRX_ERR_NOT_FOUND] = "not-found",
		[IRX_ERR_CREDENTIALS] = "credentials",
		[IRX_ERR_NETWORK] = "network",
	};

	if ((unsigned)code < sizeof(names) / sizeof(names[0]) && names[code])
		return names[code];
	return "unknown";
}
