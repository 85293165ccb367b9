/* SPDX-License-Identifier: Apache-2.0 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "util.h"

static void diags_vadd(struct irx_diags *d, const char *file, unsigned line, unsigned col,
		       const char *fmt, va_list ap)
{
	struct irx_diag *item = NULL;

	if (d->count == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->items = irx_xrealloc(d->items, d->cap * sizeof(*d->items));
	}
	item = &d->items[d->count++];
	item->file = irx_xstrdup(file ? file : "");
	item->line = line;
	item->col = col;
	item->message = irx_xvasprintf(fmt, ap);
}

void irx_diags_add(struct irx_diags *d, const struct irx_node *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
}

void irx_diags_add_at(struct irx_diags *d, const char *file, unsigned line, unsigned col,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diags_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

void irx_diags_print(const struct irx_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->count; i++) {
		const struct irx_diag *it = &d->items[i];

		if (it->line)
			fprintf(out, "%s:%u:%u: %s\n", it->file, it->line, it->col, it->message);
		else if (it->file[0])
			fprintf(out, "%s: %s\n", it->file, it->message);
		else
			fprintf(out, "%s\n", it->message);
	}
}

void irx_diags_release(struct irx_diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}
