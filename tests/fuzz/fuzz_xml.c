/* SPDX-License-Identifier: Apache-2.0 */
/* Arbitrary bytes as an EC2 DescribeInstances response (the XML walk and the error documents),
 * with the first byte choosing a success or an error status. */
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/models.h"
#include "aws/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct irx_service *svc;
	static const struct irx_operation *op;
	struct irx_http_header h = {"Content-Type", "text/xml;charset=UTF-8"};
	struct irx_aws_response resp = {200, &h, 1, NULL, 0};
	struct irx_error err = {0};
	json_object *out = NULL;

	if (!svc) {
		svc = irx_model_service(&irx_models_builtin, "ec2");
		op = irx_model_operation(&irx_models_builtin, svc, "DescribeInstances");
	}
	if (size < 1)
		return 0;
	resp.status = data[0] & 1 ? 400 : 200;
	resp.body = (const char *)data + 1;
	resp.body_len = size - 1;
	if (irx_protocol_parse(&irx_models_builtin, svc, op, &resp, &out, &err) == 0)
		json_object_to_json_string(out);
	json_object_put(out);
	return 0;
}
