/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately broken test plugin: it exports a misspelt entry symbol, not irx_plugin_entry. */
#include <stddef.h>

#include "irx/plugin.h"

static int act(const struct irx_context *ctx, struct json_object *in, struct irx_result *res)
{
	return 0;
}

static const struct irx_action actions[] = {
    {"act", "does nothing", 0, NULL, act, NULL},
    {0},
};

static const struct irx_plugin desc = {
    IRX_PLUGIN_ABI_MAJOR,
    IRX_PLUGIN_ABI_MINOR,
    sizeof(struct irx_plugin),
    "bad_noentry",
    "1.0",
    "Apache-2.0",
    actions,
    NULL,
    NULL,
};

__attribute__((visibility("default"))) const struct irx_plugin *irx_plugin_entri(void);
__attribute__((visibility("default"))) const struct irx_plugin *irx_plugin_entri(void)
{
	return &desc;
}
