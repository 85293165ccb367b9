/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exceptions: a resource tag that exempts named actions from containment, with
 * an expiry, an approver and a ticket, read live before every mutating step on
 * a resource (the executor's exception gate). Optionally honoured only when a
 * central registry (a YAML/JSON file, or an SSM parameter holding one) lists
 * the same exception, so whoever can tag a resource cannot exempt it.
 *
 * The tag value (at most 256 characters; IAM's tag charset: letters, digits,
 * spaces and _ . : / = + - @; irx also accepts ',' where a service allows it):
 *
 *     actions=isolate:ec2Instance+snapshot expires=2026-12-31 approver=alice@example.com
 * ticket=SEC-123
 *
 * Fields are space-separated key=value pairs, each exactly once, all four
 * required. actions: '+' or ',' separated "plugin:action", "plugin" (every
 * action of the plugin) or "*" (every action); bare words right after
 * actions= are more actions ("actions=isolate:ec2Instance snapshot ...").
 * expires: YYYY-MM-DD (valid through the end of that day, UTC) or
 * YYYY-MM-DDTHH:MM:SSZ. An unknown or repeated field is malformed.
 *
 * The registry:
 *
 *     exceptions:
 *       - resource: arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc
 *         actions: [isolate:ec2Instance, snapshot]   # or "isolate:ec2Instance+snapshot"
 *         expires: 2026-12-31
 *         approver: alice@example.com
 *         ticket: SEC-123
 */
#ifndef IRX_EXCEPTIONS_H
#define IRX_EXCEPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

struct irx_call;
struct irx_error;

#define IRX_EXCEPTION_DEFAULT_TAG "irx:exception"
#define IRX_EXCEPTION_MAX_VALUE 256
#define IRX_EXCEPTION_MAX_ACTIONS 16

struct irx_exception {
	char actions[IRX_EXCEPTION_MAX_ACTIONS][128]; /* "*", "plugin", "plugin:action" */
	size_t action_count;
	char expires[32];  /* as written */
	time_t expires_at; /* the first second the exception no longer applies */
	char approver[128];
	char ticket[128];
};

/* Parses a tag value. Returns 0, or -1 with the reason in why ("missing field 'ticket'"). */
int irx_exception_parse(const char *value, struct irx_exception *out, char *why, size_t whylen);
/* True if e names action ("isolate:ec2Instance") exactly, by its plugin, or with "*". */
bool irx_exception_covers(const struct irx_exception *e, const char *action);
/* True if a and b exempt the same set of actions until the same time, same approver and ticket. */
bool irx_exception_same(const struct irx_exception *a, const struct irx_exception *b);
/* The actions joined with '+' ("isolate:ec2Instance+snapshot"). */
void irx_exception_actions_text(const struct irx_exception *e, char *buf, size_t len);
/* {"actions": [...], "expires", "approver", "ticket"}. Transferred. */
struct json_object *irx_exception_json(const struct irx_exception *e);

/* ---- the registry -------------------------------------------------------- */

struct irx_exception_registry;

/*
 * Parses a registry document (YAML or JSON). name is used in messages
 * ("registry.yaml:4:7: ..."). Returns a new registry, or NULL with err set
 * (IRX_ERR_PARSE for bad YAML, IRX_ERR_INVALID for a bad entry).
 */
struct irx_exception_registry *irx_exception_registry_parse(const char *name, const char *text,
							    size_t len, struct irx_error *err);
void irx_exception_registry_free(struct irx_exception_registry *r);
size_t irx_exception_registry_count(const struct irx_exception_registry *r);

/*
 * 1 if r lists exactly e for resource, 0 if not (why says whether it lists a
 * different exception for the resource or none). A resource matches when equal,
 * or when one side is a bare id ("i-0abc") that is the other's ARN resource id.
 */
int irx_exception_registry_lists(const struct irx_exception_registry *r, const char *resource,
				 const struct irx_exception *e, char *why, size_t whylen);

/* ---- reading tags -------------------------------------------------------- */

/*
 * Reads the tag `key` of resource (an ARN, an EC2 id "i-0abc", or an access key
 * id, whose owner user's tags apply) through call->aws_call: ec2 DescribeTags,
 * iam ListUserTags / ListRoleTags, lambda ListTags, else resourcegroupstaggingapi
 * GetResources. Returns 1 with *value (transferred) when tagged, 0 when not, -1
 * with err set (the AWS error, or why the resource's tags cannot be read).
 */
int irx_exception_read_tag(struct irx_call *call, const char *resource, const char *key,
			   char **value, struct irx_error *err);

/* ---- the gate ------------------------------------------------------------ */

enum irx_exception_status {
	IRX_EXCEPTION_NONE = 0,	    /* no exception tag: the step runs */
	IRX_EXCEPTION_EXEMPT,	    /* a valid exception names the action: the step is skipped */
	IRX_EXCEPTION_NOT_COVERED,  /* a valid exception, for other actions: the step runs */
	IRX_EXCEPTION_EXPIRED,	    /* ignored and reported: the step runs */
	IRX_EXCEPTION_MALFORMED,    /* ignored and reported: the step runs */
	IRX_EXCEPTION_UNREGISTERED, /* the registry does not list it: ignored, reported */
	IRX_EXCEPTION_UNCHECKED,    /* tags (or the registry) unreadable: the step runs */
};

/* "none", "exempt", "not_covered", "expired", "malformed", "unregistered", "unchecked". */
const char *irx_exception_status_name(enum irx_exception_status s);

struct irx_exception_check {
	enum irx_exception_status status;
	char resource[1024];
	char tag_key[128];
	char value[IRX_EXCEPTION_MAX_VALUE + 1]; /* the tag value read ("" when none) */
	bool parsed; /* exception is valid (EXEMPT, NOT_COVERED, EXPIRED, UNREGISTERED) */
	struct irx_exception exception;
	char message[1024]; /* lowercase, subjects quoted; "" for NONE */
};

struct irx_exception_gate;

/*
 * tag_key: NULL or "" for IRX_EXCEPTION_DEFAULT_TAG. registry: NULL (none), a
 * file path, or "ssm:NAME" (an SSM parameter, read with GetParameter through
 * the first check's call). Loaded on first need and kept. Strings copied.
 */
struct irx_exception_gate *irx_exception_gate_new(const char *tag_key, const char *registry);
void irx_exception_gate_free(struct irx_exception_gate *g);
const char *irx_exception_gate_tag_key(const struct irx_exception_gate *g);

/*
 * Decides whether `action` on `resource` is exempt at time now, reading the tag
 * live through call (call->error is left as it was: failures become
 * IRX_EXCEPTION_UNCHECKED with the reason in out->message).
 */
void irx_exception_gate_check(struct irx_exception_gate *g, struct irx_call *call,
			      const char *resource, const char *action, time_t now,
			      struct irx_exception_check *out);

/* The check as a journal object {status, resource, tag_key, message, exception?}. Transferred. */
struct json_object *irx_exception_check_json(const struct irx_exception_check *c);

#endif
