/* SPDX-License-Identifier: Apache-2.0 */
/* Diagnostics with a location, collected so every error is reported at once. */
#ifndef IRX_DIAG_H
#define IRX_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct irx_node;

struct irx_diag {
	char *file; /* owned */
	unsigned line, col; /* 1-based; 0 = unknown */
	char *message; /* owned; lowercase, subjects quoted */
};

struct irx_diags {
	struct irx_diag *items;
	size_t count, cap;
};

/* Adds "file:line:col: message" at a node's position (node may be NULL: no position). */
void irx_diags_add(struct irx_diags *d, const struct irx_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void irx_diags_add_at(struct irx_diags *d, const char *file, unsigned line, unsigned col,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prints each as "file:line:col: message\n" in the order added. */
void irx_diags_print(const struct irx_diags *d, FILE *out);
void irx_diags_release(struct irx_diags *d);

#endif
