/* SPDX-License-Identifier: Apache-2.0 */
#include <json-c/json.h>
#include <string.h>

#include "aws/models.h"
#include "test.h"

static const struct irx_model *M = &irx_models_builtin;

static const struct irx_operation *op(const char *svc, const char *name)
{
	const struct irx_service *s = irx_model_service(M, svc);

	return s ? irx_model_operation(M, s, name) : NULL;
}

static const struct irx_member *input_member(const struct irx_model *m,
					     const struct irx_operation *o, const char *name)
{
	const struct irx_member *in = irx_model_member(m, o->input);

	return in ? irx_model_find_member(m, irx_member_shape(m, in), name) : NULL;
}

static void test_operation_counts(void)
{
	static const struct {
		const char *id;
		uint32_t ops;
	} want[] = {
		{"autoscaling", 65},   {"dynamodb", 57}, {"ec2", 627},
		{"elasticloadbalancingv2", 48}, {"guardduty", 74}, {"iam", 159},
		{"kms", 53},	       {"lambda", 68},	 {"organizations", 55},
		{"resourcegroupstaggingapi", 8}, {"s3", 99}, {"secretsmanager", 23},
		{"securityhub", 79},   {"sns", 42},	 {"sqs", 23},
		{"ssm", 140},	       {"sts", 8},
	};
	size_t total = 0;

	CU_ASSERT_EQUAL(M->n_services, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct irx_service *s = irx_model_service(M, want[i].id);

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(s->op_count, want[i].ops);
		total += s->op_count;
		/* sorted, so lookups by bisection work */
		for (uint32_t k = 1; k < s->op_count; k++)
			CU_ASSERT_TRUE(strcmp(irx_model_str(M, M->ops[s->first_op + k - 1].name),
					      irx_model_str(M, M->ops[s->first_op + k].name)) < 0);
	}
	CU_ASSERT_EQUAL(total, M->n_ops);
	CU_ASSERT_PTR_NULL(irx_model_service(M, "ec3"));
	CU_ASSERT_PTR_NULL(op("ec2", "DescribeUnicorns"));
	CU_ASSERT_STRING_EQUAL(irx_models_source, "aws-sdk@2.1693.0");
}

static void test_service_metadata(void)
{
	const struct irx_service *ec2 = irx_model_service(M, "ec2");
	const struct irx_service *sqs = irx_model_service(M, "sqs");
	const struct irx_service *iam = irx_model_service(M, "iam");
	const struct irx_service *sm = irx_model_service(M, "secretsmanager");
	const struct irx_service *elb = irx_model_service(M, "elasticloadbalancingv2");

	CU_ASSERT_EQUAL(ec2->protocol, IRX_PROTO_EC2);
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, ec2->api_version), "2016-11-15");
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, ec2->signing_name), "ec2");
	CU_ASSERT_EQUAL(sqs->protocol, IRX_PROTO_JSON);
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, sqs->json_version), "1.0");
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, sqs->target_prefix), "AmazonSQS");
	CU_ASSERT_EQUAL(sqs->query_compatible, 1);
	CU_ASSERT_EQUAL(iam->protocol, IRX_PROTO_QUERY);
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, iam->global_endpoint), "iam.amazonaws.com");
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, sm->json_version), "1.1");
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, sm->target_prefix), "secretsmanager");
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, elb->endpoint_prefix), "elasticloadbalancing");
	CU_ASSERT_EQUAL(irx_model_service(M, "s3")->protocol, IRX_PROTO_REST_XML);
	CU_ASSERT_EQUAL(irx_model_service(M, "lambda")->protocol, IRX_PROTO_REST_JSON);
}

static void test_ec2_connection_tracking(void)
{
	const struct irx_operation *o = op("ec2", "ModifyNetworkInterfaceAttribute");
	const struct irx_member *cts = NULL, *groups = NULL, *m = NULL;
	const struct irx_shape *sh = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(o->flags & IRX_OP_F_MUTATING);
	cts = input_member(M, o, "ConnectionTrackingSpecification");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cts);
	sh = irx_member_shape(M, cts);
	CU_ASSERT_EQUAL(sh->type, IRX_SHAPE_STRUCTURE);
	m = irx_model_find_member(M, sh, "TcpEstablishedTimeout");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(irx_member_shape(M, m)->type, IRX_SHAPE_INTEGER);
	CU_ASSERT_PTR_NOT_NULL(irx_model_find_member(M, sh, "UdpStreamTimeout"));
	CU_ASSERT_PTR_NOT_NULL(irx_model_find_member(M, sh, "UdpTimeout"));
	groups = input_member(M, o, "Groups");
	CU_ASSERT_PTR_NOT_NULL_FATAL(groups);
	CU_ASSERT_STRING_EQUAL(irx_member_wire_name(M, groups), "SecurityGroupId");
	CU_ASSERT_EQUAL(irx_member_shape(M, groups)->type, IRX_SHAPE_LIST);
	m = input_member(M, o, "NetworkInterfaceId");
	CU_ASSERT_TRUE(m->flags & IRX_MEMBER_F_REQUIRED);
	CU_ASSERT_STRING_EQUAL(irx_member_wire_name(M, m), "networkInterfaceId");
	CU_ASSERT_PTR_NULL(input_member(M, o, "ConnectionTracking"));
}

static void test_ec2_describe_instances_output(void)
{
	const struct irx_operation *o = op("ec2", "DescribeInstances");
	const struct irx_member *out = NULL, *res = NULL, *item = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_FALSE(o->flags & IRX_OP_F_MUTATING);
	out = irx_model_member(M, o->output);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	res = irx_model_find_member(M, irx_member_shape(M, out), "Reservations");
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_STRING_EQUAL(irx_member_wire_name(M, res), "reservationSet");
	item = irx_model_member(M, irx_member_shape(M, res)->first);
	CU_ASSERT_STRING_EQUAL(irx_member_wire_name(M, item), "item");
	CU_ASSERT_EQUAL(irx_member_shape(M, item)->type, IRX_SHAPE_STRUCTURE);
	CU_ASSERT_PTR_NOT_NULL(irx_model_find_member(M, irx_member_shape(M, item), "Instances"));
}

static void test_other_services(void)
{
	const struct irx_operation *o = op("lambda", "PutFunctionConcurrency");
	const struct irx_member *m = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, o->method), "PUT");
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, o->request_uri),
			       "/2017-10-31/functions/{FunctionName}/concurrency");
	CU_ASSERT_EQUAL(o->response_code, 200);
	m = input_member(M, o, "FunctionName");
	CU_ASSERT_EQUAL(m->location, IRX_LOC_URI);
	o = op("sts", "AssumeRole");
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, o->result_wrapper), "AssumeRoleResult");
	CU_ASSERT_TRUE(o->flags & IRX_OP_F_MUTATING);
	CU_ASSERT_FALSE(op("sts", "GetCallerIdentity")->flags & IRX_OP_F_MUTATING);
	CU_ASSERT_FALSE(op("dynamodb", "Query")->flags & IRX_OP_F_MUTATING);
	CU_ASSERT_FALSE(op("dynamodb", "Scan")->flags & IRX_OP_F_MUTATING);
	CU_ASSERT_FALSE(op("s3", "HeadObject")->flags & IRX_OP_F_MUTATING);
	CU_ASSERT_TRUE(op("iam", "AttachUserPolicy")->flags & IRX_OP_F_MUTATING);
	CU_ASSERT_TRUE(op("iam", "UpdateAccessKey")->flags & IRX_OP_F_MUTATING);
	CU_ASSERT_TRUE(op("ec2", "CreateSnapshots")->flags & IRX_OP_F_MUTATING);
	o = op("s3", "PutObject");
	CU_ASSERT_STRING_EQUAL(irx_model_str(M, o->request_uri), "/{Bucket}/{Key+}");
	m = input_member(M, o, "Body");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(irx_member_shape(M, m)->type, IRX_SHAPE_BLOB);
	CU_ASSERT_EQUAL(irx_member_shape(M, irx_model_member(M, o->input))->payload,
			(uint32_t)(m - M->members));
}

static void test_read_only_rule(void)
{
	CU_ASSERT_TRUE(irx_operation_name_is_read_only("DescribeInstances"));
	CU_ASSERT_TRUE(irx_operation_name_is_read_only("Query"));
	CU_ASSERT_TRUE(irx_operation_name_is_read_only("BatchGetItem"));
	CU_ASSERT_FALSE(irx_operation_name_is_read_only("Listen"));
	CU_ASSERT_FALSE(irx_operation_name_is_read_only("Getaway"));
	CU_ASSERT_FALSE(irx_operation_name_is_read_only("BatchWriteItem"));
	CU_ASSERT_FALSE(irx_operation_name_is_read_only("TerminateInstances"));
	CU_ASSERT_FALSE(irx_operation_name_is_read_only(""));
}

static struct irx_model *load(const char *meta, const char *shapes, const char *ops,
			      struct irx_error *err)
{
	json_object *m = json_tokener_parse(meta), *s = json_tokener_parse(shapes);
	json_object *o = json_tokener_parse(ops);
	struct irx_model *model = irx_model_from_json("test", m, s, o, err);

	json_object_put(m);
	json_object_put(s);
	json_object_put(o);
	return model;
}

static void test_from_json(void)
{
	struct irx_error err = {0};
	struct irx_model *m = load(
		"{\"protocol\":\"rest-xml\",\"apiVersion\":\"2020-01-01\"}",
		"{\"In\":{\"type\":\"structure\",\"locationName\":\"Root\",\"payload\":\"B\","
		"\"members\":{\"A\":{\"shape\":\"L\",\"flattened\":true},"
		"\"B\":{\"shape\":\"In\"},\"T\":{\"shape\":\"Ts\",\"location\":\"header\","
		"\"locationName\":\"X-T\"}},\"required\":[\"T\"]},"
		"\"L\":{\"type\":\"list\",\"member\":{\"shape\":\"S\",\"locationName\":\"item\"}},"
		"\"S\":{\"type\":\"string\"},\"Ts\":{\"type\":\"timestamp\","
		"\"timestampFormat\":\"rfc822\"}}",
		"[{\"name\":\"Zed\",\"http\":{\"method\":\"PUT\",\"requestUri\":\"/{x}\"},"
		"\"input\":{\"shape\":\"In\",\"xmlNamespace\":{\"uri\":\"urn:x\",\"prefix\":\"p\"}}},"
		"{\"name\":\"Alpha\",\"input\":{\"type\":\"structure\",\"members\":"
		"{\"N\":{\"type\":\"integer\",\"locationName\":\"n\"}}},\"output\":{\"shape\":\"S\","
		"\"resultWrapper\":\"AlphaResult\"}}]",
		&err);
	const struct irx_service *svc = NULL;
	const struct irx_operation *o = NULL;
	const struct irx_member *in = NULL, *a = NULL, *t = NULL, *b = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	svc = irx_model_service(m, "test");
	CU_ASSERT_PTR_NOT_NULL_FATAL(svc);
	CU_ASSERT_EQUAL(svc->protocol, IRX_PROTO_REST_XML);
	CU_ASSERT_EQUAL(svc->op_count, 2);
	CU_ASSERT_STRING_EQUAL(irx_model_str(m, m->ops[0].name), "Alpha");
	CU_ASSERT_STRING_EQUAL(irx_model_str(m, m->ops[0].method), "POST");
	CU_ASSERT_STRING_EQUAL(irx_model_str(m, m->ops[0].result_wrapper), "AlphaResult");
	CU_ASSERT_STRING_EQUAL(irx_member_wire_name(m, input_member(m, &m->ops[0], "N")), "n");
	o = irx_model_operation(m, svc, "Zed");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	in = irx_model_member(m, o->input);
	CU_ASSERT_STRING_EQUAL(irx_member_wire_name(m, in), "Root");
	CU_ASSERT_STRING_EQUAL(irx_model_str(m, in->xml_ns_uri), "urn:x");
	CU_ASSERT_STRING_EQUAL(irx_model_str(m, in->xml_ns_prefix), "p");
	a = input_member(m, o, "A");
	CU_ASSERT_TRUE(a->flags & IRX_MEMBER_F_FLATTENED);
	CU_ASSERT_FALSE(a->flags & IRX_MEMBER_F_REQUIRED);
	t = input_member(m, o, "T");
	CU_ASSERT_EQUAL(t->location, IRX_LOC_HEADER);
	CU_ASSERT_EQUAL(t->timestamp_format, IRX_TS_RFC822);
	CU_ASSERT_TRUE(t->flags & IRX_MEMBER_F_REQUIRED);
	b = input_member(m, o, "B");
	/* recursive reference resolves to the same shape */
	CU_ASSERT_EQUAL(b->shape, in->shape);
	CU_ASSERT_EQUAL(irx_model_shape(m, in->shape)->payload, (uint32_t)(b - m->members));
	irx_model_free(m);
	irx_model_free((struct irx_model *)&irx_models_builtin); /* ignored: not owned */
}

static void test_from_json_errors(void)
{
	struct irx_error err = {0};

	CU_ASSERT_PTR_NULL(load("{\"protocol\":\"query\"}", "{}",
				"{\"Op\":{\"input\":{\"shape\":\"Missing\"}}}", &err));
	CU_ASSERT_STRING_EQUAL(err.message, "unknown shape 'Missing'");
	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(load("{\"protocol\":\"query\"}", "{\"X\":{\"type\":\"tuple\"}}",
				"{\"Op\":{\"input\":{\"shape\":\"X\"}}}", &err));
	CU_ASSERT_STRING_EQUAL(err.message, "shape 'X': unknown type 'tuple'");
	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(load("{\"protocol\":\"smoke-signals\"}", "{}", "{}", &err));
	CU_ASSERT_STRING_EQUAL(err.message, "unknown protocol 'smoke-signals'");
	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(load("{\"protocol\":\"json\"}", "{\"S\":{\"type\":\"string\"}}",
				"{\"Op\":{\"input\":{\"shape\":\"S\",\"location\":\"cookie\"}}}",
				&err));
	CU_ASSERT_STRING_EQUAL(err.message, "member '': unknown location");
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
}

static CU_TestInfo tests[] = {
	{"operation counts per service", test_operation_counts},
	{"service metadata", test_service_metadata},
	{"ec2 ModifyNetworkInterfaceAttribute", test_ec2_connection_tracking},
	{"ec2 DescribeInstances output", test_ec2_describe_instances_output},
	{"lambda, sts, s3, dynamodb operations", test_other_services},
	{"read-only rule", test_read_only_rule},
	{"model from json", test_from_json},
	{"model from json errors", test_from_json_errors},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("models", tests, NULL, NULL)
