/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers. Allocation failure aborts: irx cannot do anything useful without memory. */
#ifndef IRX_UTIL_H
#define IRX_UTIL_H

#include <stdarg.h>
#include <stddef.h>

void *irx_xmalloc(size_t n);
void *irx_xcalloc(size_t n, size_t size);
void *irx_xrealloc(void *p, size_t n);
char *irx_xstrdup(const char *s);
char *irx_xstrndup(const char *s, size_t n);
char *irx_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *irx_xvasprintf(const char *fmt, va_list ap);

/* Reads a whole regular file up to max bytes (NUL-terminated). Returns 0, or -1 with errno
 * set (EFBIG when larger than max). *out transferred. */
int irx_read_file(const char *path, size_t max, char **out, size_t *len);

/* Milliseconds from CLOCK_MONOTONIC, and wall-clock ISO-8601 UTC "2026-11-27T21:44:38.123Z". */
long long irx_now_ms(void);
void irx_iso8601_now(char buf[32]);

#endif
