/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately broken test plugin: it claims ABI 1.7, newer than the host's 1.0. */
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
    7,
    sizeof(struct irx_plugin),
    "bad_minor",
    "1.0",
    "Apache-2.0",
    actions,
    NULL,
    NULL,
};

__attribute__((visibility("default"))) const struct irx_plugin *irx_plugin_entry(void);
__attribute__((visibility("default"))) const struct irx_plugin *irx_plugin_entry(void)
{
	return &desc;
}
