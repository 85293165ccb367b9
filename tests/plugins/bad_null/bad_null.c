/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately broken test plugin: its entry returns NULL. */
#include <stddef.h>

#include "irx/plugin.h"

__attribute__((visibility("default"))) const struct irx_plugin *irx_plugin_entry(void);
__attribute__((visibility("default"))) const struct irx_plugin *irx_plugin_entry(void)
{
	return NULL;
}
