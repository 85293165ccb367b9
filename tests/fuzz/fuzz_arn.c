/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct irx_arn arn;
	char err[128];

	memcpy(s, data, size);
	s[size] = '\0';
	if (irx_arn_parse(s, &arn, err, sizeof(err)) == 0 && strlen(arn.resource_id) > size)
		abort();
	free(s);
	return 0;
}
