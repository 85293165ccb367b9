/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS wire protocols: an operation's input (a json-c object with the SDK member names, e.g.
 * {"InstanceIds":["i-1"]}) becomes an HTTP request description; a response (status, headers,
 * body) becomes a json-c object with the SDK member names and list/map shapes, or an AWS error.
 * Protocols: ec2, query (form bodies, XML responses: expat into xml.c's small DOM), json 1.0/1.1
 * (X-Amz-Target), rest-json and rest-xml. Driven by a model (aws/models.h), built-in or loaded
 * from JSON.
 *
 * Values: timestamps in the input may be ISO-8601 strings or epoch seconds (numbers); in output
 * they are ISO-8601 UTC strings ("2015-01-25T08:00:00Z", ".123" when there are milliseconds).
 * Blobs are raw byte strings both ways (as boto3's bytes): base64 is a wire detail.
 * Integers are json ints, floats/doubles json doubles (NaN/Infinity as the strings "NaN",
 * "Infinity", "-Infinity" in input, doubles in output).
 */
#ifndef IRX_AWS_PROTOCOL_H
#define IRX_AWS_PROTOCOL_H

#include <stddef.h>

#include "aws/models.h"
#include "error.h"

struct json_object;

struct irx_http_header {
	char *name;
	char *value;
};

/* A serialized request, before signing. All strings owned (irx_aws_request_release). */
struct irx_aws_request {
	char *method;
	char *path;  /* percent-encoded, starts with '/' */
	char *query; /* percent-encoded "a=b&c" without '?', "" when none */
	struct irx_http_header *headers;
	size_t n_headers;
	char *body; /* NUL-terminated as a convenience; body_len bytes */
	size_t body_len;
	char *host_prefix; /* expanded endpoint hostPrefix ("foo.bar."), "" when none */
};

/* A received response; everything borrowed. Header names compare case-insensitively. */
struct irx_aws_response {
	int status;
	const struct irx_http_header *headers;
	size_t n_headers;
	const char *body;
	size_t body_len;
};

void irx_aws_request_release(struct irx_aws_request *r);
/* Appends a header (both strings copied). */
void irx_aws_request_add_header(struct irx_aws_request *r, const char *name, const char *value);
/* First header with that name (case-insensitive), or NULL. Borrowed. */
const char *irx_aws_request_header(const struct irx_aws_request *r, const char *name);
const char *irx_aws_response_header(const struct irx_aws_response *r, const char *name);

/*
 * Serializes `params` (borrowed; NULL = {}) for `op` of `svc` in model `m`. On success fills *out
 * (zeroed first; release with irx_aws_request_release) and returns 0. Unknown members, wrong
 * JSON types and missing uri labels are errors (IRX_ERR_INVALID) naming the member path.
 */
int irx_protocol_serialize(const struct irx_model *m, const struct irx_service *svc,
			   const struct irx_operation *op, struct json_object *params,
			   struct irx_aws_request *out, struct irx_error *err);

/*
 * Parses a response. On success (2xx/3xx and no error document) *out is a new json-c object
 * (transferred; {} for an operation without output) and 0 is returned. An AWS error response
 * sets err: code IRX_ERR_AWS with http_status, aws_code, aws_message and request_id, message
 * "<Code>: <Message> (HTTP <status>, request id <id>)". A body that is not the protocol's
 * format (HTML from a proxy, garbage) gives IRX_ERR_PARSE for 2xx, or IRX_ERR_AWS with
 * aws_code "HTTP<status>" (e.g. "HTTP502") and a snippet of the body otherwise.
 */
int irx_protocol_parse(const struct irx_model *m, const struct irx_service *svc,
		       const struct irx_operation *op, const struct irx_aws_response *resp,
		       struct json_object **out, struct irx_error *err);

/* --- per protocol (protocol_*.c); use the two functions above --------------------------- */
int irx_query_serialize(const struct irx_model *m, const struct irx_service *svc,
			const struct irx_operation *op, struct json_object *params,
			struct irx_aws_request *out, struct irx_error *err);
int irx_query_parse(const struct irx_model *m, const struct irx_service *svc,
		    const struct irx_operation *op, const struct irx_aws_response *resp,
		    struct json_object **out, struct irx_error *err);
int irx_json_serialize(const struct irx_model *m, const struct irx_service *svc,
		       const struct irx_operation *op, struct json_object *params,
		       struct irx_aws_request *out, struct irx_error *err);
int irx_json_parse(const struct irx_model *m, const struct irx_service *svc,
		   const struct irx_operation *op, const struct irx_aws_response *resp,
		   struct json_object **out, struct irx_error *err);
int irx_rest_serialize(const struct irx_model *m, const struct irx_service *svc,
		       const struct irx_operation *op, struct json_object *params,
		       struct irx_aws_request *out, struct irx_error *err);
int irx_rest_parse(const struct irx_model *m, const struct irx_service *svc,
		   const struct irx_operation *op, const struct irx_aws_response *resp,
		   struct json_object **out, struct irx_error *err);

/* json value conversion shared by json and rest-json (protocol_json.c). to_wire: SDK names and
 * values -> wire JSON (null members dropped); from_wire: wire JSON -> SDK form (*out NULL for a
 * JSON null). Both return 0 or -1 with err set. */
int irx_json_value_to_wire(const struct irx_model *m, const struct irx_member *mem,
			   struct json_object *v, const char *path, struct json_object **out,
			   struct irx_error *err);
int irx_json_value_from_wire(const struct irx_model *m, const struct irx_member *mem,
			     struct json_object *v, struct json_object **out, struct irx_error *err);
/* Sets err from a json error body / x-amzn-ErrorType; returns 1 when it found an error code. */
int irx_json_parse_error(const struct irx_service *svc, const struct irx_aws_response *resp,
			 struct json_object *body, struct irx_error *err);
/* Parses a JSON body (depth-limited). NULL with *ok 1 for an empty body, *ok 0 when invalid. */
struct json_object *irx_json_read(const char *body, size_t len, int *ok);

/* --- shared helpers (protocol.c) --------------------------------------------------------- */

/* A growable byte buffer; data always NUL-terminated. */
struct irx_buf {
	char *data;
	size_t len, cap;
};
void irx_buf_add(struct irx_buf *b, const void *p, size_t n);
void irx_buf_adds(struct irx_buf *b, const char *s);
void irx_buf_addf(struct irx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void irx_buf_release(struct irx_buf *b);

/* Percent-encodes everything but unreserved characters (A-Z a-z 0-9 - _ . ~); with keep_slash,
 * '/' too (greedy uri labels). */
void irx_buf_add_urlencoded(struct irx_buf *b, const char *s, size_t n, int keep_slash);
/* XML character escaping of text / attribute values. */
void irx_buf_add_xml_escaped(struct irx_buf *b, const char *s, size_t n);

char *irx_base64_encode(const void *data, size_t n);
/* Returns a NUL-terminated buffer (*out_len bytes) or NULL when s is not base64. */
char *irx_base64_decode(const char *s, size_t n, size_t *out_len);

/* Epoch seconds from a json value (number, or string: ISO-8601, RFC 822, or digits). */
int irx_timestamp_from_json(struct json_object *v, double *epoch);
/* Epoch seconds from wire text: ISO-8601 (any offset), RFC 822/1123, or epoch digits. */
int irx_timestamp_parse(const char *s, double *epoch);
/* Formats per enum irx_timestamp_format (IRX_TS_DEFAULT is not accepted). */
void irx_timestamp_format(struct irx_buf *b, double epoch, int format);
/* The output form: ISO-8601 UTC, milliseconds when non-zero. */
struct json_object *irx_timestamp_to_json(double epoch);

/* Shortest round-tripping text of a double; NaN/Infinity/-Infinity by name. */
void irx_buf_add_double(struct irx_buf *b, double d);
/* Parses a json number or the strings "NaN", "Infinity", "-Infinity". */
int irx_double_from_json(struct json_object *v, double *d);

/* Scalar -> wire text for query strings, headers, labels and XML (timestamps in `ts_format`,
 * already resolved from the protocol default). Returns 0, or -1 with err set. */
int irx_scalar_to_text(const struct irx_model *m, const struct irx_shape *sh,
		       struct json_object *v, int ts_format, const char *path, struct irx_buf *b,
		       struct irx_error *err);
/* Wire text -> json value for a scalar shape (timestamps: any accepted form, kept verbatim when
 * unparseable). NULL if bad. */
struct json_object *irx_scalar_from_text(const struct irx_shape *sh, const char *s, size_t n);

/* --- XML (xml.c): responses parsed with expat into a small DOM, walked by the output shape -- */

/* An attribute. Namespace declarations (xmlns, xmlns:p) are not attributes. */
struct irx_xml_attr {
	const char *name;   /* local name ("type" for xsi:type); the whole name when its prefix is
			       undeclared or it has none */
	const char *prefix; /* "xsi" for xsi:type; "" when none or undeclared */
	const char *value;  /* entities and character references expanded, whitespace normalized */
};

/* An element. Everything is owned by its document (irx_xml_doc_free). */
struct irx_xml_node {
	const char *name;   /* local name, namespace prefix stripped ("Code" for <aws:Code>); the
			       whole name when the prefix is undeclared (as libxml2 kept it) */
	const char *prefix; /* "" when none or undeclared */
	/*
	 * All the character data inside the element, its descendants' included, in document
	 * order: entities and character references expanded, CDATA sections unwrapped, line ends
	 * normalized, comments and processing instructions left out (libxml2's xmlNodeGetContent).
	 * text_len bytes, not NUL-terminated (irx_xml_text makes a string). A child's text lies
	 * within its parent's, so the parent's own character data is the gaps between children.
	 */
	const char *text;
	size_t text_len;
	const struct irx_xml_attr *attrs;
	size_t n_attrs;
	struct irx_xml_node *parent;   /* NULL for the root */
	struct irx_xml_node *children; /* first child element */
	struct irx_xml_node *next;     /* next sibling element */
};

struct irx_xml_doc;

/*
 * Parses a well-formed XML document (UTF-8, UTF-16, ISO-8859-1 or US-ASCII). NULL when it is not
 * well-formed, is empty or larger than 64 MiB, nests elements deeper than 256, or has a DOCTYPE:
 * AWS never sends one, and refusing it rules out entity expansion (billion laughs) and
 * external entities. Nothing is loaded from outside. Free with irx_xml_doc_free.
 */
struct irx_xml_doc *irx_xml_read(const char *body, size_t len);
void irx_xml_doc_free(struct irx_xml_doc *doc);
/* The root element; NULL for a NULL doc. Borrowed from doc. */
const struct irx_xml_node *irx_xml_root(const struct irx_xml_doc *doc);
/* First child element with that local name (namespaces ignored), or NULL (also for a NULL
 * parent). Borrowed. */
const struct irx_xml_node *irx_xml_child(const struct irx_xml_node *parent, const char *name);
/* The element's text content (node->text as a string; owned; "" when empty or node is NULL). */
char *irx_xml_text(const struct irx_xml_node *node);
/* The value of the attribute `qname` ("p:local" matches that prefix and local name, a bare
 * name any attribute with that local name), or NULL. Borrowed. */
const char *irx_xml_attr(const struct irx_xml_node *node, const char *qname);
/* Converts the element(s) per the member reference `mem`: `nodes` holds every sibling element
 * with the member's name (several for a flattened list or map, else one). *out is a new object,
 * or NULL when the member is to be left out (an empty non-string scalar). Returns 0, or -1 with
 * err set (IRX_ERR_PARSE). */
int irx_xml_to_json(const struct irx_model *m, const struct irx_member *mem,
		    const struct irx_xml_node *const *nodes, size_t count, struct json_object **out,
		    struct irx_error *err);
/* Adds the body members of structure `sh` found under `node` to obj. Returns 0 or -1. */
int irx_xml_fill_structure(const struct irx_model *m, const struct irx_shape *sh,
			   const struct irx_xml_node *node, struct json_object *obj,
			   struct irx_error *err);
/* Recognises ec2's <Response><Errors><Error>, query's <ErrorResponse><Error> and rest-xml's
 * <Error> documents and sets err. Returns 1 when it did, 0 when the document is none of them
 * (or doc is NULL). */
int irx_xml_parse_error(const struct irx_xml_doc *doc, int status,
			const struct irx_aws_response *resp, struct irx_error *err);

/* Expands an endpoint hostPrefix ("foo.{label}.") from hostLabel members of the input. */
int irx_protocol_host_prefix(const struct irx_model *m, const struct irx_operation *op,
			     struct json_object *params, struct irx_buf *out, struct irx_error *err);

/* Sets err from an AWS error response. request_id may be NULL. */
void irx_protocol_set_aws_error(struct irx_error *err, int status, const char *code,
				const char *message, const char *request_id);
/* Sets err for a body that is not the protocol's format. */
void irx_protocol_set_garbage_error(struct irx_error *err, const struct irx_aws_response *resp,
				    const char *expected);

#endif
