/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately broken test plugin: a parameter has a type the ABI does not define. */
#include <stddef.h>

#include "irx/plugin.h"

static int act(const struct irx_context *ctx, struct json_object *in, struct irx_result *res)
{
	return 0;
}

static const struct irx_param params[] = {
    {"Target", (enum irx_param_type)42, IRX_PARAM_REQUIRED, NULL, "what"},
    {0},
};

static const struct irx_action actions[] = {
    {"act", "does nothing", 0, params, act, NULL},
    {0},
};

IRX_PLUGIN_DEFINE("bad_paramtype", "1.0", "Apache-2.0", actions, NULL, NULL)
