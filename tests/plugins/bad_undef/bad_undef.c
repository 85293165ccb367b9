/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately broken test plugin: it calls a function nothing defines, so dlopen(RTLD_NOW)
 * fails. */
#include <stddef.h>

#include "irx/plugin.h"

void irx_test_no_such_function(void);

static int act(const struct irx_context *ctx, struct json_object *in, struct irx_result *res)
{
	irx_test_no_such_function();
	return 0;
}

static const struct irx_action actions[] = {
    {"act", "does nothing", 0, NULL, act, NULL},
    {0},
};

IRX_PLUGIN_DEFINE("bad_undef", "1.0", "Apache-2.0", actions, NULL, NULL)
