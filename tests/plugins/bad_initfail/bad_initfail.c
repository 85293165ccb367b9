/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately broken test plugin: its init returns an error. */
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

static int init(const struct irx_host *host, void **data)
{
	return -3;
}

IRX_PLUGIN_DEFINE("bad_initfail", "1.0", "Apache-2.0", actions, init, NULL)
