/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately broken test plugin: an action has no execute function. */
#include <stddef.h>

#include "irx/plugin.h"

static const struct irx_action actions[] = {
    {"act", "cannot run", 0, NULL, NULL, NULL},
    {0},
};

IRX_PLUGIN_DEFINE("bad_noexec", "1.0", "Apache-2.0", actions, NULL, NULL)
