/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "cli.h"
#include "irx/plugin.h"

int irx_cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("irx %s (plugin ABI %d.%d)\n", IRX_VERSION, IRX_PLUGIN_ABI_MAJOR,
	       IRX_PLUGIN_ABI_MINOR);
	return IRX_EXIT_OK;
}
