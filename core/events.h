/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events: what `irx run --event` and `irx route` read, reduced to findings and the entities
 * they name. Accepted inputs:
 *
 *   - a GuardDuty finding: an EventBridge event ("source": "aws.guardduty", the finding in
 *     "detail"), a partial {"detail": {...}} wrapper, or the bare finding;
 *   - a Security Hub finding: an EventBridge event ("Security Hub Findings - Imported" or
 *     "- Custom Action", findings in "detail.findings"), or one bare ASFF finding;
 *   - an SNS message (HTTP/HTTPS body or the Lambda event's Records[].Sns): either the
 *     entity-lockdown form (entity ARN and ExternalId as message attributes; the ExternalId
 *     must match the configuration's) or a message whose Message is one of the events above;
 *   - a bare ARN (text, optionally surrounded by whitespace).
 *
 * Finding types are read from the finding (GuardDuty detail.type, Security Hub Types[]),
 * never from the EventBridge "detail-type", which is the same for every finding.
 */
#ifndef IRX_EVENTS_H
#define IRX_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct irx_config;
struct irx_error;

#define IRX_EVENT_MAX_BYTES (4u * 1024 * 1024)

enum irx_event_source {
	IRX_EVENT_GUARDDUTY = 1,
	IRX_EVENT_SECURITYHUB = 2,
	IRX_EVENT_SNS = 3, /* the entity-lockdown form; an SNS-wrapped finding keeps its source */
	IRX_EVENT_ARN = 4,
};

enum irx_entity_kind {
	IRX_ENTITY_EC2_INSTANCE = 1,
	IRX_ENTITY_IAM_USER = 2,
	IRX_ENTITY_IAM_ROLE = 3,
	IRX_ENTITY_ACCESS_KEY = 4, /* arn: the owning user; access_key_id: the key */
	IRX_ENTITY_LAMBDA = 5,
	IRX_ENTITY_OTHER = 6, /* something irx has no runbook for (a bucket, a security group) */
};

struct irx_entity {
	enum irx_entity_kind kind;
	char *arn;	     /* owned; NULL when the finding names no ARN for it */
	char *access_key_id; /* owned; access keys (and GuardDuty role credentials) only */
	char *resource_type; /* owned; as the source called it: "Instance", "AwsIamAccessKey" */
};

struct irx_finding {
	char *id;     /* owned; GuardDuty id, ASFF Id, SNS MessageId; NULL for an ARN */
	char *type;   /* owned; GuardDuty type or the first ASFF Types entry; may be NULL */
	char **types; /* owned; every type a rule may match (ASFF Types[], GeneratorId) */
	size_t type_count;
	double severity; /* GuardDuty's 0-10 scale (ASFF Normalized / 10) */
	bool has_severity;
	char severity_label[16]; /* LOW, MEDIUM, HIGH, CRITICAL, INFORMATIONAL, or "" */
	bool sample;		 /* GuardDuty service.additionalInfo.sample, ASFF Sample */
	char *account;		 /* owned; may be NULL */
	char *region;		 /* owned; may be NULL */
	struct irx_entity *entities;
	size_t entity_count;
};

struct irx_event {
	enum irx_event_source source;
	char *detail_type;    /* owned; the EventBridge detail-type, or NULL */
	char *sns_message_id; /* owned; when the event came through SNS */
	char *sns_topic_arn;  /* owned */
	struct irx_finding *findings;
	size_t finding_count;
	struct json_object *raw; /* the whole input as JSON (an ARN: a JSON string) */
};

/*
 * Parses buf (len bytes; NUL not required). cfg (may be NULL) supplies the ExternalIds an SNS
 * entity message is checked against; without one such messages are refused. Returns a new
 * event, or NULL with err set: IRX_ERR_PARSE for input that is neither JSON nor an ARN,
 * IRX_ERR_INVALID for JSON that is no supported event or lacks what an entity needs,
 * IRX_ERR_LIMIT for input larger than IRX_EVENT_MAX_BYTES. Messages name the field
 * ("guardduty finding: missing 'resource.instanceDetails.instanceId'").
 */
struct irx_event *irx_event_parse(const char *buf, size_t len, const struct irx_config *cfg,
				  struct irx_error *err);
/* Reads path ("-" = stdin) and parses it; messages are prefixed with the path. */
struct irx_event *irx_event_load(const char *path, const struct irx_config *cfg,
				 struct irx_error *err);
void irx_event_free(struct irx_event *ev);

/* "guardduty", "securityhub", "sns", "arn". */
const char *irx_event_source_name(enum irx_event_source s);
/* "ec2-instance", "iam-user", "iam-role", "access-key", "lambda-function", "other". */
const char *irx_entity_kind_name(enum irx_entity_kind k);
/* The inverse; 0 for an unknown name. */
enum irx_entity_kind irx_entity_kind_parse(const char *name);

/*
 * The entity an ARN names: ec2 instance/, iam user/ and role/ (with paths), lambda
 * function: (qualified or not); anything else is IRX_ENTITY_OTHER. Returns 0, or -1 with the
 * reason in why when s is not an ARN.
 */
int irx_entity_kind_of_arn(const char *s, enum irx_entity_kind *kind, char *why, size_t whylen);

/* {"source", "detailType", "findings": [{id, type, severity, ..., "entities": [...]}]}. */
struct json_object *irx_event_json(const struct irx_event *ev);

#endif
