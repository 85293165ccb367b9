/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the ~/.aws INI parser: any bytes must parse or fail cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irx_error err = {0};
	struct irx_ini *ini = irx_ini_parse((const char *)data, size, "fuzz", &err);

	if (ini) {
		/* exercise the lookups on names likely to be present */
		(void)irx_ini_get(ini, "default", "aws_access_key_id");
		(void)irx_ini_get(ini, "profile a", "s3.addressing_style");
		(void)irx_ini_has_section(ini, "a");
		if (err.code != IRX_OK)
			__builtin_trap(); /* success must not leave an error behind */
		irx_ini_free(ini);
	} else if (err.code != IRX_ERR_PARSE || strncmp(err.message, "fuzz", 4) != 0) {
		__builtin_trap(); /* failure must say where */
	}
	return 0;
}
