/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plugin loader: finds <name>.so on the search path, checks that the file
 * is safe to run, dlopens it and checks its descriptor against the ABI.
 */
#ifndef IRX_PLUGINS_H
#define IRX_PLUGINS_H

#include <stddef.h>

#include "irx/plugin.h"

struct irx_error;

struct irx_loaded_plugin {
	char *path;                  /* owned */
	struct irx_plugin desc;      /* copied into a zeroed struct, `size` honoured */
	void *plugin_data;           /* from init */
	void *handle;                /* dlopen handle; NULL for a static plugin */
};

struct irx_plugins;

/*
 * dirs: search path in order (--plugin-dir entries, then IRX_PLUGIN_PATH, then
 * the install location): borrowed array of count strings, copied.
 * host: the table handed to each plugin's init; borrowed, must outlive the set.
 */
struct irx_plugins *irx_plugins_new(const char *const *dirs, size_t count,
				    const struct irx_host *host);
/* Calls each plugin's fini and dlcloses it. */
void irx_plugins_free(struct irx_plugins *plugins);

/*
 * Loads plugin `name` (once; later calls return the same plugin). Returns a
 * borrowed pointer or NULL with err set: the message names the file and why it
 * was refused (not found on the path, not a regular file, group- or
 * world-writable file or directory, dlopen error, missing entry symbol, bad
 * ABI, name mismatch, missing required fields).
 */
const struct irx_loaded_plugin *irx_plugins_load(struct irx_plugins *plugins, const char *name,
						 struct irx_error *err);

/* Loads one file directly (used by `irx plugins` listing and tests). */
const struct irx_loaded_plugin *irx_plugins_load_path(struct irx_plugins *plugins,
						      const char *path, struct irx_error *err);

/* Registers a plugin linked into the binary (tests). Refuses duplicates. */
const struct irx_loaded_plugin *irx_plugins_add_static(struct irx_plugins *plugins,
						       irx_plugin_entry_fn *entry,
						       struct irx_error *err);

/*
 * Calls fn for every *.so in every search directory, loaded or refused
 * (err non-NULL with the reason), in path order; a name found earlier on the
 * path shadows later ones, which are reported as duplicates.
 */
typedef void irx_plugins_each_fn(void *ud, const char *path,
				 const struct irx_loaded_plugin *plugin,
				 const struct irx_error *err);
void irx_plugins_scan(struct irx_plugins *plugins, irx_plugins_each_fn *fn, void *ud);

#endif
