/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The action registry: the built-in aws:* actions and the actions of plugins,
 * which are loaded lazily the first time a runbook names them.
 */
#ifndef IRX_ACTIONS_H
#define IRX_ACTIONS_H

#include "irx/plugin.h"

struct irx_error;
struct irx_plugins;

struct irx_action_ref {
	const struct irx_action *action;
	const struct irx_plugin *plugin; /* NULL for a built-in */
	void *plugin_data;
};

struct irx_actions;

/* plugins: borrowed; may be NULL (built-ins only). */
struct irx_actions *irx_actions_new(struct irx_plugins *plugins);
void irx_actions_free(struct irx_actions *actions);

/*
 * Finds "namespace:name". Returns 0, or -1 with err set:
 * IRX_ERR_NOT_FOUND for an unknown action or plugin, IRX_ERR_PLUGIN when the
 * plugin was refused (the message names the file and reason), and
 * IRX_ERR_INVALID for an SSM action irx does not run ("aws:executeScript").
 */
int irx_actions_lookup(struct irx_actions *actions, const char *full_name,
		       struct irx_action_ref *out, struct irx_error *err);

/* The built-in actions, {0}-terminated, named without the "aws:" prefix. */
const struct irx_action *irx_builtin_actions(void);
/* True for an SSM action name irx knows but does not run. */
int irx_builtin_is_unsupported(const char *full_name);

#endif
