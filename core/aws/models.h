/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS service models: services, operations and shapes, in one in-memory form whether they come
 * from the generated tables (models_gen.c, built by tools/gen-models from the npm aws-sdk@2
 * package's apis/<service>-<version>.min.json) or from a botocore-format JSON model loaded at run
 * time (irx_model_from_json: the protocol conformance suites carry their own shapes).
 *
 * Everything is an index: strings are offsets into model->strings (offset 0 is ""), shapes and
 * members are indexes into their arrays. A member is a reference to a shape together with the
 * serialization traits in effect at that reference: the shape's own traits (locationName,
 * xmlNamespace, flattened, timestampFormat, ...) with the reference's overriding them, as botocore
 * resolves them. Structures own a contiguous run of members; a list owns one member (its element),
 * a map two (key, value). An operation's input and output are members too, so a top-level shape's
 * locationName / xmlNamespace travel the same way.
 *
 * Mutating flag (dry-run): an operation is read-only when its name starts with one of Describe,
 * Get, List, Head, Search, Lookup, Query, Scan, BatchGet, Simulate, Select followed by an upper-case
 * letter or the end of the name (so "Query" and "Scan" themselves are read-only); every other
 * operation is mutating. The rule errs on the side of "mutating": dry-run then records the call
 * instead of running it.
 */
#ifndef IRX_AWS_MODELS_H
#define IRX_AWS_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct json_object;

#define IRX_MODEL_NONE UINT32_MAX

enum irx_shape_type {
	IRX_SHAPE_STRUCTURE = 1,
	IRX_SHAPE_LIST,
	IRX_SHAPE_MAP,
	IRX_SHAPE_STRING,
	IRX_SHAPE_BOOLEAN,
	IRX_SHAPE_INTEGER, /* also byte, short */
	IRX_SHAPE_LONG,
	IRX_SHAPE_FLOAT,
	IRX_SHAPE_DOUBLE, /* also bigdecimal */
	IRX_SHAPE_TIMESTAMP,
	IRX_SHAPE_BLOB,
	IRX_SHAPE_DOCUMENT,
};

enum irx_shape_flag {
	IRX_SHAPE_F_UNION = 1 << 0,
	IRX_SHAPE_F_STREAMING = 1 << 1,
	IRX_SHAPE_F_EVENTSTREAM = 1 << 2,
	IRX_SHAPE_F_SENSITIVE = 1 << 3,
};

enum irx_location {
	IRX_LOC_BODY = 0,
	IRX_LOC_HEADER,
	IRX_LOC_HEADERS, /* a map: every header with the prefix locationName */
	IRX_LOC_QUERYSTRING,
	IRX_LOC_URI,
	IRX_LOC_STATUS_CODE,
};

enum irx_timestamp_format {
	IRX_TS_DEFAULT = 0, /* the protocol's: iso8601 (query, ec2, rest-xml), unix (json) */
	IRX_TS_ISO8601,
	IRX_TS_UNIX,
	IRX_TS_RFC822,
};

enum irx_member_flag {
	IRX_MEMBER_F_REQUIRED = 1 << 0,
	IRX_MEMBER_F_FLATTENED = 1 << 1,
	IRX_MEMBER_F_XML_ATTRIBUTE = 1 << 2,
	IRX_MEMBER_F_IDEMPOTENCY_TOKEN = 1 << 3,
	IRX_MEMBER_F_HOST_LABEL = 1 << 4,
	IRX_MEMBER_F_JSONVALUE = 1 << 5,
	IRX_MEMBER_F_STREAMING = 1 << 6,
	IRX_MEMBER_F_EVENTPAYLOAD = 1 << 7,
};

enum irx_protocol {
	IRX_PROTO_EC2 = 1,
	IRX_PROTO_QUERY,
	IRX_PROTO_JSON,
	IRX_PROTO_REST_JSON,
	IRX_PROTO_REST_XML,
};

enum irx_operation_flag {
	IRX_OP_F_MUTATING = 1 << 0,
	IRX_OP_F_CHECKSUM_REQUIRED = 1 << 1, /* httpChecksumRequired: send Content-MD5 */
};

struct irx_shape {
	uint8_t type;  /* enum irx_shape_type */
	uint8_t flags; /* enum irx_shape_flag */
	uint16_t count;   /* members (structure), 1 (list), 2 (map: key, value), 0 otherwise */
	uint32_t first;   /* index of the first member */
	uint32_t name;    /* string: the model's shape name ("" for an inline shape) */
	uint32_t payload; /* structure: member index of the payload member, or IRX_MODEL_NONE */
};

struct irx_member {
	uint32_t name;          /* string: SDK member name ("" for list/map elements, op refs) */
	uint32_t shape;         /* shape index */
	uint32_t location_name; /* string: wire name ("" = use name) */
	uint32_t query_name;    /* string: ec2 queryName ("" = none) */
	uint32_t xml_ns_uri;    /* string: xmlNamespace.uri ("" = none) */
	uint32_t xml_ns_prefix; /* string: xmlNamespace.prefix ("" = none) */
	uint8_t location;       /* enum irx_location */
	uint8_t flags;          /* enum irx_member_flag */
	uint8_t timestamp_format; /* enum irx_timestamp_format */
	uint8_t reserved;
};

struct irx_operation {
	uint32_t name;           /* string */
	uint32_t method;         /* string: "POST" */
	uint32_t request_uri;    /* string: "/", "/{Bucket}/{Key+}?tagging" */
	uint32_t input;          /* member index or IRX_MODEL_NONE */
	uint32_t output;         /* member index or IRX_MODEL_NONE */
	uint32_t result_wrapper; /* string: query's "<Op>Result" element ("" = none) */
	uint32_t host_prefix;    /* string: endpoint.hostPrefix ("" = none) */
	uint16_t response_code;  /* http.responseCode, 0 when unset */
	uint8_t flags;           /* enum irx_operation_flag */
	uint8_t reserved;
};

struct irx_service {
	uint32_t id;               /* string: irx's name, the model file prefix: "ec2", "elasticloadbalancingv2" */
	uint32_t endpoint_prefix;  /* string */
	uint32_t signing_name;     /* string: signingName, else endpointPrefix */
	uint32_t json_version;     /* string: "1.0", "1.1" or "" */
	uint32_t target_prefix;    /* string: X-Amz-Target prefix or "" */
	uint32_t api_version;      /* string */
	uint32_t global_endpoint;  /* string: "iam.amazonaws.com" or "" */
	uint32_t xml_namespace;    /* string: metadata.xmlNamespace or "" */
	uint32_t service_id;       /* string: metadata.serviceId ("EC2") */
	uint32_t first_op;         /* operations sorted by name: first_op .. first_op + op_count */
	uint32_t op_count;
	uint8_t protocol;          /* enum irx_protocol */
	uint8_t query_compatible;  /* awsQueryCompatible: json errors may carry x-amzn-query-error */
	uint16_t reserved;
};

struct irx_model {
	const char *strings;
	size_t strings_len;
	const struct irx_service *services; /* sorted by id */
	size_t n_services;
	const struct irx_operation *ops;
	size_t n_ops;
	const struct irx_shape *shapes;
	size_t n_shapes;
	const struct irx_member *members;
	size_t n_members;
	int owned; /* 1 when built by irx_model_from_json: irx_model_free releases it */
};

/* The generated tables (models_gen.c). */
extern const struct irx_model irx_models_builtin;
/* Where they came from: "aws-sdk@2.1693.0". */
extern const char irx_models_source[];

static inline const char *irx_model_str(const struct irx_model *m, uint32_t off)
{
	return off < m->strings_len ? m->strings + off : "";
}

/* Lookups return borrowed pointers into m, or NULL. */
const struct irx_service *irx_model_service(const struct irx_model *m, const char *id);
const struct irx_operation *irx_model_operation(const struct irx_model *m,
						const struct irx_service *svc, const char *name);
const struct irx_shape *irx_model_shape(const struct irx_model *m, uint32_t idx);
const struct irx_member *irx_model_member(const struct irx_model *m, uint32_t idx);
/* The member of structure `shape` named `name` (SDK name), or NULL. */
const struct irx_member *irx_model_find_member(const struct irx_model *m,
					       const struct irx_shape *shape, const char *name);
/* The member's wire name: locationName, else its SDK name. */
const char *irx_member_wire_name(const struct irx_model *m, const struct irx_member *mem);
/* Shape of a member (never NULL for a valid model). */
const struct irx_shape *irx_member_shape(const struct irx_model *m, const struct irx_member *mem);

const char *irx_protocol_name(enum irx_protocol p);
/* "ec2", "query", "json", "rest-json", "rest-xml"; returns 0 when unknown. */
enum irx_protocol irx_protocol_from_name(const char *name);

/* 1 when the operation name is read-only by the rule above, else 0. */
int irx_operation_name_is_read_only(const char *name);

/*
 * Builds a model with one service from botocore-format JSON: `metadata` (protocol, apiVersion,
 * jsonVersion, targetPrefix, endpointPrefix, ...), `shapes` (name -> shape; may be NULL) and
 * `operations` (name -> operation, or an array of operations each with "name"). Shapes may also
 * be inline in operations and members (the aws-sdk v2 .min.json form). `id` names the service.
 * All arguments borrowed. Returns NULL with err set on an unknown shape reference, bad type, ...
 */
struct irx_model *irx_model_from_json(const char *id, struct json_object *metadata,
				      struct json_object *shapes, struct json_object *operations,
				      struct irx_error *err);
/* Frees a model from irx_model_from_json; NULL and the builtin tables are ignored. */
void irx_model_free(struct irx_model *m);

#endif
