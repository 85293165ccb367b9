/* SPDX-License-Identifier: Apache-2.0 */
/* One error type for the whole core: a stable code and the first failure's message. */
#ifndef IRX_ERROR_H
#define IRX_ERROR_H

/* Numbers never change; new codes go at the end. */
enum irx_status {
	IRX_OK = 0,
	IRX_ERR_INVALID = 1,  /* bad input: runbook, parameter, option */
	IRX_ERR_IO = 2,       /* file system */
	IRX_ERR_NOMEM = 3,
	IRX_ERR_PARSE = 4,    /* malformed YAML/JSON/XML */
	IRX_ERR_PLUGIN = 5,   /* a plugin was refused or misbehaved */
	IRX_ERR_AWS = 6,      /* an AWS call failed: see aws_* fields */
	IRX_ERR_TIMEOUT = 7,
	IRX_ERR_STEP = 8,     /* a step's action failed */
	IRX_ERR_LIMIT = 9,    /* a safety bound was hit (size, depth, step count) */
	IRX_ERR_NOT_FOUND = 10,
	IRX_ERR_CREDENTIALS = 11,
	IRX_ERR_NETWORK = 12,
};

struct irx_error {
	enum irx_status code;
	char message[1024];
	/* AWS failures only */
	int http_status;
	char aws_code[128];
	char aws_message[512];
	char request_id[128];
};

/* Sets code and message unless an error is already set: the first failure wins. */
void irx_error_set(struct irx_error *err, enum irx_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void irx_error_clear(struct irx_error *err);
/* Prefixes the existing message with context: "loading 'x': <old message>". */
void irx_error_prefix(struct irx_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *irx_status_name(enum irx_status code);

#endif
