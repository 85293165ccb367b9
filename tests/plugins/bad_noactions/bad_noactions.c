/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately broken test plugin: its action table is empty. */
#include <stddef.h>

#include "irx/plugin.h"

static const struct irx_action actions[] = {
    {0},
};

IRX_PLUGIN_DEFINE("bad_noactions", "1.0", "Apache-2.0", actions, NULL, NULL)
