/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events into findings and entities. GuardDuty's finding format is the camelCase one of
 * GuardDuty's user guide ("Finding format"); ASFF is Security Hub's; SNS messages are the HTTP
 * body or the Lambda record form. Every ARN irx builds comes from validated parts, so a
 * finding cannot smuggle a different resource into a runbook's TargetArn.
 */
#include "events.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arn.h"
#include "config.h"
#include "error.h"
#include "util.h"

#define MAX_JSON_DEPTH 64

static const char *const source_names[] = {"", "guardduty", "securityhub", "sns", "arn"};
static const char *const kind_names[] = {"",	       "ec2-instance",	  "iam-user", "iam-role",
					 "access-key", "lambda-function", "other"};

const char *irx_event_source_name(enum irx_event_source s)
{
	return s >= IRX_EVENT_GUARDDUTY && s <= IRX_EVENT_ARN ? source_names[s] : "unknown";
}

const char *irx_entity_kind_name(enum irx_entity_kind k)
{
	return k >= IRX_ENTITY_EC2_INSTANCE && k <= IRX_ENTITY_OTHER ? kind_names[k] : "unknown";
}

enum irx_entity_kind irx_entity_kind_parse(const char *name)
{
	for (int k = IRX_ENTITY_EC2_INSTANCE; name && k <= IRX_ENTITY_OTHER; k++)
		if (strcmp(kind_names[k], name) == 0)
			return (enum irx_entity_kind)k;
	return 0;
}

int irx_entity_kind_of_arn(const char *s, enum irx_entity_kind *kind, char *why, size_t whylen)
{
	struct irx_arn arn;

	if (irx_arn_parse(s, &arn, why, whylen) < 0)
		return -1;
	*kind = IRX_ENTITY_OTHER;
	if (strcmp(arn.service, "ec2") == 0 && strcmp(arn.resource_type, "instance") == 0)
		*kind = IRX_ENTITY_EC2_INSTANCE;
	else if (strcmp(arn.service, "iam") == 0 && strcmp(arn.resource_type, "user") == 0)
		*kind = IRX_ENTITY_IAM_USER;
	else if (strcmp(arn.service, "iam") == 0 && strcmp(arn.resource_type, "role") == 0)
		*kind = IRX_ENTITY_IAM_ROLE;
	else if (strcmp(arn.service, "lambda") == 0 && strcmp(arn.resource_type, "function") == 0)
		*kind = IRX_ENTITY_LAMBDA;
	return 0;
}

/* --- JSON access -------------------------------------------------------------------------- */

/* The member at a dotted path ("service.additionalInfo.sample"), or NULL. */
static struct json_object *at(struct json_object *o, const char *path)
{
	char key[128];

	while (o && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key) || !json_object_is_type(o, json_type_object))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (dot ? 1 : 0);
	}
	return o;
}

static const char *str_at(struct json_object *o, const char *path)
{
	struct json_object *v = at(o, path);
	const char *s = NULL;

	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	/* an embedded NUL would make the C string lie about the value */
	return s && *s && strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

static bool true_at(struct json_object *o, const char *path)
{
	struct json_object *v = at(o, path);

	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return json_object_is_type(v, json_type_string) &&
	       strcasecmp(json_object_get_string(v), "true") == 0;
}

static bool number_at(struct json_object *o, const char *path, double *out)
{
	struct json_object *v = at(o, path);
	char *end = NULL;

	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
		*out = json_object_get_double(v);
		return true;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		errno = 0;
		*out = strtod(s, &end);
		return *s && !*end && !errno;
	}
	return false;
}

/* --- building ----------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? irx_xstrdup(s) : NULL;
}

static struct irx_finding *add_finding(struct irx_event *ev)
{
	ev->findings = irx_xrealloc(ev->findings, (ev->finding_count + 1) * sizeof(*ev->findings));
	memset(&ev->findings[ev->finding_count], 0, sizeof(*ev->findings));
	return &ev->findings[ev->finding_count++];
}

static struct irx_entity *add_entity(struct irx_finding *f, enum irx_entity_kind kind, char *arn,
				     const char *resource_type)
{
	struct irx_entity *e = NULL;

	f->entities = irx_xrealloc(f->entities, (f->entity_count + 1) * sizeof(*f->entities));
	e = &f->entities[f->entity_count++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->arn = arn;
	e->resource_type = dup_or_null(resource_type);
	return e;
}

static void add_type(struct irx_finding *f, const char *t)
{
	f->types = irx_xrealloc(f->types, (f->type_count + 1) * sizeof(*f->types));
	f->types[f->type_count++] = irx_xstrdup(t);
}

static void set_label_from_score(struct irx_finding *f)
{
	/* GuardDuty: low 1.0-3.9, medium 4.0-6.9, high 7.0-8.9, critical 9.0-10.0 */
	const char *l = f->severity >= 9   ? "CRITICAL"
			: f->severity >= 7 ? "HIGH"
			: f->severity >= 4 ? "MEDIUM"
			: f->severity >= 1 ? "LOW"
					   : "INFORMATIONAL";

	snprintf(f->severity_label, sizeof(f->severity_label), "%s", l);
}

/* Names that go into ARNs: IAM's charset plus what instance ids and function names use. */
static bool name_ok(const char *s, const char *extra)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr(extra, s[n]))
			return false;
	return n > 0 && n <= 128;
}

static bool account_ok(const char *s)
{
	if (!s || strlen(s) != 12)
		return false;
	for (size_t i = 0; i < 12; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool region_ok(const char *s)
{
	return s && name_ok(s, "-") && strlen(s) <= 31;
}

static bool partition_ok(const char *s)
{
	return name_ok(s, "-") && strlen(s) < 16;
}

/* --- GuardDuty ---------------------------------------------------------------------------- */

static int gd_entities(struct irx_finding *f, struct json_object *res, const char *partition,
		       struct irx_error *err)
{
	const char *rtype = str_at(res, "resourceType");

	if (!rtype) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "guardduty finding '%s': missing "
			      "'resource.resourceType'",
			      f->id);
		return -1;
	}
	if (strcmp(rtype, "Instance") == 0) {
		const char *id = str_at(res, "instanceDetails.instanceId");

		if (!id || strncmp(id, "i-", 2) != 0 || !name_ok(id + 2, "")) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "guardduty finding '%s': %s "
				      "'resource.instanceDetails.instanceId'",
				      f->id, id ? "invalid" : "missing");
			return -1;
		}
		if (!account_ok(f->account) || !region_ok(f->region)) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "guardduty finding '%s': no %s to build "
				      "the ARN of instance '%s' (the finding's '%s' or the event's "
				      "'%s')",
				      f->id, account_ok(f->account) ? "region" : "account id", id,
				      account_ok(f->account) ? "region" : "accountId",
				      account_ok(f->account) ? "region" : "account");
			return -1;
		}
		add_entity(f, IRX_ENTITY_EC2_INSTANCE,
			   irx_xasprintf("arn:%s:ec2:%s:%s:instance/%s", partition, f->region,
					 f->account, id),
			   rtype);
		return 0;
	}
	if (strcmp(rtype, "AccessKey") == 0) {
		const char *utype = str_at(res, "accessKeyDetails.userType");
		const char *user = str_at(res, "accessKeyDetails.userName");
		const char *key = str_at(res, "accessKeyDetails.accessKeyId");
		struct irx_entity *e = NULL;

		if (!utype) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "guardduty finding '%s': missing "
				      "'resource.accessKeyDetails.userType'",
				      f->id);
			return -1;
		}
		if (strcmp(utype, "Root") == 0) {
			if (!account_ok(f->account)) {
				irx_error_set(err, IRX_ERR_INVALID,
					      "guardduty finding '%s': no "
					      "account id for the root user",
					      f->id);
				return -1;
			}
			e = add_entity(f, IRX_ENTITY_OTHER,
				       irx_xasprintf("arn:%s:iam::%s:root", partition, f->account),
				       rtype);
		} else if (strcmp(utype, "IAMUser") == 0 || strcmp(utype, "AssumedRole") == 0) {
			bool role = utype[0] == 'A';

			if (!user || !name_ok(user, "_+=,.@-")) {
				irx_error_set(err, IRX_ERR_INVALID,
					      "guardduty finding '%s': %s "
					      "'resource.accessKeyDetails.userName'",
					      f->id, user ? "invalid" : "missing");
				return -1;
			}
			if (!account_ok(f->account)) {
				irx_error_set(err, IRX_ERR_INVALID,
					      "guardduty finding '%s': no "
					      "account id to build the ARN of %s '%s'",
					      f->id, role ? "role" : "user", user);
				return -1;
			}
			e = add_entity(f, role ? IRX_ENTITY_IAM_ROLE : IRX_ENTITY_ACCESS_KEY,
				       irx_xasprintf("arn:%s:iam::%s:%s/%s", partition, f->account,
						     role ? "role" : "user", user),
				       rtype);
		} else {
			/* Federated users and others: nothing irx can lock down by ARN */
			e = add_entity(f, IRX_ENTITY_OTHER, NULL, rtype);
		}
		if (key && name_ok(key, ""))
			e->access_key_id = irx_xstrdup(key);
		return 0;
	}
	if (strcmp(rtype, "Lambda") == 0) {
		const char *arn = str_at(res, "lambdaDetails.functionArn");
		const char *name = str_at(res, "lambdaDetails.functionName");
		enum irx_entity_kind k = 0;
		char why[128] = "";

		if (arn) {
			if (irx_entity_kind_of_arn(arn, &k, why, sizeof(why)) < 0 ||
			    k != IRX_ENTITY_LAMBDA) {
				irx_error_set(
				    err, IRX_ERR_INVALID,
				    "guardduty finding '%s': "
				    "'resource.lambdaDetails.functionArn' is not a function "
				    "ARN",
				    f->id);
				return -1;
			}
			add_entity(f, IRX_ENTITY_LAMBDA, irx_xstrdup(arn), rtype);
			return 0;
		}
		if (!name || !name_ok(name, "_-") || !account_ok(f->account) ||
		    !region_ok(f->region)) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "guardduty finding '%s': neither "
				      "'resource.lambdaDetails.functionArn' nor a function name, "
				      "account and region",
				      f->id);
			return -1;
		}
		add_entity(f, IRX_ENTITY_LAMBDA,
			   irx_xasprintf("arn:%s:lambda:%s:%s:function:%s", partition, f->region,
					 f->account, name),
			   rtype);
		return 0;
	}
	add_entity(f, IRX_ENTITY_OTHER, NULL, rtype);
	return 0;
}

static int parse_guardduty(struct irx_event *ev, struct json_object *d, struct json_object *env,
			   struct irx_error *err)
{
	struct irx_finding *f = NULL;
	struct json_object *res = at(d, "resource");
	const char *partition = str_at(d, "partition");
	const char *id = str_at(d, "id"), *type = str_at(d, "type");

	if (!json_object_is_type(d, json_type_object)) {
		irx_error_set(err, IRX_ERR_INVALID, "guardduty event: 'detail' must be an object");
		return -1;
	}
	if (!id || !type) {
		irx_error_set(err, IRX_ERR_INVALID, "guardduty finding: missing '%s'",
			      id ? "type" : "id");
		return -1;
	}
	if (!json_object_is_type(res, json_type_object)) {
		irx_error_set(err, IRX_ERR_INVALID, "guardduty finding '%s': missing 'resource'",
			      id);
		return -1;
	}
	if (partition && !partition_ok(partition)) {
		irx_error_set(err, IRX_ERR_INVALID, "guardduty finding '%s': invalid 'partition'",
			      id);
		return -1;
	}
	ev->source = IRX_EVENT_GUARDDUTY;
	f = add_finding(ev);
	f->id = irx_xstrdup(id);
	f->type = irx_xstrdup(type);
	add_type(f, type);
	if (number_at(d, "severity", &f->severity)) {
		if (!(f->severity >= 0 && f->severity <= 10)) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "guardduty finding '%s': 'severity' "
				      "must be 0-10",
				      id);
			return -1;
		}
		f->has_severity = true;
		set_label_from_score(f);
	}
	f->sample = true_at(d, "service.additionalInfo.sample");
	f->account =
	    dup_or_null(str_at(d, "accountId") ? str_at(d, "accountId") : str_at(env, "account"));
	f->region = dup_or_null(str_at(d, "region") ? str_at(d, "region") : str_at(env, "region"));
	if ((f->account && !account_ok(f->account)) || (f->region && !region_ok(f->region))) {
		irx_error_set(err, IRX_ERR_INVALID, "guardduty finding '%s': invalid %s '%s'", id,
			      f->account && !account_ok(f->account) ? "account id" : "region",
			      f->account && !account_ok(f->account) ? f->account : f->region);
		return -1;
	}
	return gd_entities(f, res, partition ? partition : "aws", err);
}

/* --- Security Hub ------------------------------------------------------------------------- */

static int sh_resource(struct irx_finding *f, struct json_object *r, size_t i,
		       struct irx_error *err)
{
	const char *type = str_at(r, "Type"), *id = str_at(r, "Id");
	const char *partition = str_at(r, "Partition");
	const char *region = str_at(r, "Region") ? str_at(r, "Region") : f->region;
	enum irx_entity_kind want = 0, got = 0;
	char why[128] = "";

	if (!type || !id) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "security hub finding '%s': Resources[%zu] has "
			      "no '%s'",
			      f->id, i, type ? "Id" : "Type");
		return -1;
	}
	if (!partition || !partition_ok(partition))
		partition = "aws";
	if (strcmp(type, "AwsEc2Instance") == 0)
		want = IRX_ENTITY_EC2_INSTANCE;
	else if (strcmp(type, "AwsIamUser") == 0)
		want = IRX_ENTITY_IAM_USER;
	else if (strcmp(type, "AwsIamRole") == 0)
		want = IRX_ENTITY_IAM_ROLE;
	else if (strcmp(type, "AwsLambdaFunction") == 0)
		want = IRX_ENTITY_LAMBDA;
	if (strcmp(type, "AwsIamAccessKey") == 0) {
		/* Id "AWS::IAM::AccessKey:AKIA..."; the owner in Details.AwsIamAccessKey */
		const char *owner = str_at(r, "Details.AwsIamAccessKey.PrincipalName");
		const char *ptype = str_at(r, "Details.AwsIamAccessKey.PrincipalType");
		const char *key = strrchr(id, ':') ? strrchr(id, ':') + 1 : id;
		bool role = ptype && strcmp(ptype, "AssumedRole") == 0;
		struct irx_entity *e = NULL;

		if (!owner)
			owner = str_at(r, "Details.AwsIamAccessKey.UserName");
		if (!owner || !name_ok(owner, "_+=,.@-") || !account_ok(f->account)) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "security hub finding '%s': access key "
				      "resource without an owner (Details.AwsIamAccessKey."
				      "PrincipalName) or account",
				      f->id);
			return -1;
		}
		e = add_entity(f, role ? IRX_ENTITY_IAM_ROLE : IRX_ENTITY_ACCESS_KEY,
			       irx_xasprintf("arn:%s:iam::%s:%s/%s", partition, f->account,
					     role ? "role" : "user", owner),
			       type);
		if (name_ok(key, ""))
			e->access_key_id = irx_xstrdup(key);
		return 0;
	}
	if (want == IRX_ENTITY_EC2_INSTANCE && strncmp(id, "i-", 2) == 0) {
		if (!name_ok(id + 2, "") || !account_ok(f->account) || !region_ok(region)) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "security hub finding '%s': cannot build "
				      "the ARN of instance '%s'",
				      f->id, id);
			return -1;
		}
		add_entity(f, want,
			   irx_xasprintf("arn:%s:ec2:%s:%s:instance/%s", partition, region,
					 f->account, id),
			   type);
		return 0;
	}
	if (strncmp(id, "arn:", 4) != 0) {
		if (want) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "security hub finding '%s': Resources[%zu] "
				      "Id '%s' is not an ARN",
				      f->id, i, id);
			return -1;
		}
		add_entity(f, IRX_ENTITY_OTHER, NULL, type);
		return 0;
	}
	if (irx_entity_kind_of_arn(id, &got, why, sizeof(why)) < 0) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "security hub finding '%s': Resources[%zu] Id "
			      "'%s' is not an ARN: %s",
			      f->id, i, id, why);
		return -1;
	}
	if (want && got != want) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "security hub finding '%s': Resources[%zu] is "
			      "a %s but its Id '%s' names a %s",
			      f->id, i, type, id, irx_entity_kind_name(got));
		return -1;
	}
	add_entity(f, want ? want : IRX_ENTITY_OTHER, irx_xstrdup(id), type);
	return 0;
}

static int parse_asff(struct irx_event *ev, struct json_object *x, size_t idx,
		      struct json_object *env, struct irx_error *err)
{
	struct irx_finding *f = NULL;
	struct json_object *types = at(x, "Types"), *res = at(x, "Resources");
	const char *id = str_at(x, "Id"), *label = str_at(x, "Severity.Label");
	const char *gen = str_at(x, "GeneratorId");
	double norm = 0;

	if (!json_object_is_type(x, json_type_object) || !id) {
		irx_error_set(err, IRX_ERR_INVALID, "security hub event: findings[%zu] has no 'Id'",
			      idx);
		return -1;
	}
	if (!json_object_is_type(res, json_type_array) || json_object_array_length(res) == 0) {
		irx_error_set(err, IRX_ERR_INVALID, "security hub finding '%s': no 'Resources'",
			      id);
		return -1;
	}
	ev->source = IRX_EVENT_SECURITYHUB;
	f = add_finding(ev);
	f->id = irx_xstrdup(id);
	for (size_t i = 0;
	     json_object_is_type(types, json_type_array) && i < json_object_array_length(types);
	     i++) {
		struct json_object *t = json_object_array_get_idx(types, i);

		if (json_object_is_type(t, json_type_string))
			add_type(f, json_object_get_string(t));
	}
	if (gen)
		add_type(f, gen);
	if (f->type_count)
		f->type = irx_xstrdup(f->types[0]);
	if (number_at(x, "Severity.Normalized", &norm) && norm >= 0 && norm <= 100) {
		f->severity = norm / 10.0;
		f->has_severity = true;
	}
	if (label) {
		static const struct {
			const char *name;
			double score;
		} labels[] = {
		    {"INFORMATIONAL", 0}, {"LOW", 1}, {"MEDIUM", 4}, {"HIGH", 7}, {"CRITICAL", 9}};
		size_t k = 0;

		for (; k < sizeof(labels) / sizeof(labels[0]); k++)
			if (strcmp(labels[k].name, label) == 0)
				break;
		if (k == sizeof(labels) / sizeof(labels[0])) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "security hub finding '%s': unknown "
				      "Severity.Label '%s'",
				      id, label);
			return -1;
		}
		snprintf(f->severity_label, sizeof(f->severity_label), "%s", label);
		if (!f->has_severity) {
			f->severity = labels[k].score;
			f->has_severity = true;
		}
	} else if (f->has_severity) {
		/* ASFF: 0 informational, 1-39 low, 40-69 medium, 70-89 high, 90-100 critical */
		snprintf(f->severity_label, sizeof(f->severity_label), "%s",
			 norm >= 90   ? "CRITICAL"
			 : norm >= 70 ? "HIGH"
			 : norm >= 40 ? "MEDIUM"
			 : norm >= 1  ? "LOW"
				      : "INFORMATIONAL");
	}
	f->sample = true_at(x, "Sample") ||
		    true_at(at(x, "ProductFields"), "aws/guardduty/service/additionalInfo/sample");
	f->account = dup_or_null(str_at(x, "AwsAccountId") ? str_at(x, "AwsAccountId")
							   : str_at(env, "account"));
	f->region = dup_or_null(str_at(x, "Region") ? str_at(x, "Region") : str_at(env, "region"));
	if (f->account && !account_ok(f->account)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "security hub finding '%s': invalid "
			      "AwsAccountId '%s'",
			      id, f->account);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(res); i++)
		if (sh_resource(f, json_object_array_get_idx(res, i), i, err) < 0)
			return -1;
	return 0;
}

static int parse_securityhub(struct irx_event *ev, struct json_object *findings,
			     struct json_object *env, struct irx_error *err)
{
	if (!json_object_is_type(findings, json_type_array) ||
	    json_object_array_length(findings) == 0) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "security hub event: 'detail.findings' must be "
			      "a non-empty list");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(findings); i++)
		if (parse_asff(ev, json_object_array_get_idx(findings, i), i, env, err) < 0)
			return -1;
	return 0;
}

/* --- ARNs and SNS ------------------------------------------------------------------------- */

static int add_arn_finding(struct irx_event *ev, const char *s, const char *id,
			   struct irx_error *err)
{
	struct irx_arn arn;
	enum irx_entity_kind kind = 0;
	struct irx_finding *f = NULL;
	char why[128] = "";

	if (irx_entity_kind_of_arn(s, &kind, why, sizeof(why)) < 0 ||
	    irx_arn_parse(s, &arn, why, sizeof(why)) < 0) {
		irx_error_set(err, IRX_ERR_INVALID, "'%.200s' is not an ARN: %s", s, why);
		return -1;
	}
	f = add_finding(ev);
	f->id = dup_or_null(id);
	f->account = arn.account[0] ? irx_xstrdup(arn.account) : NULL;
	f->region = arn.region[0] ? irx_xstrdup(arn.region) : NULL;
	add_entity(f, kind, irx_xstrdup(s), NULL);
	return 0;
}

/* A message attribute's value by name, ignoring case and '_' ("entity_arn" = "EntityArn"). */
static const char *attribute(struct json_object *attrs, const char *want)
{
	if (!json_object_is_type(attrs, json_type_object))
		return NULL;
	json_object_object_foreach(attrs, key, val)
	{
		char norm[64];
		size_t n = 0;

		for (const char *p = key; *p && n + 1 < sizeof(norm); p++)
			if (*p != '_' && *p != '-')
				norm[n++] = (char)tolower((unsigned char)*p);
		norm[n] = '\0';
		if (strcmp(norm, want) != 0)
			continue;
		if (json_object_is_type(val, json_type_string))
			return str_at(attrs, key);
		return str_at(val, "Value") ? str_at(val, "Value") : str_at(val, "StringValue");
	}
	return NULL;
}

static int parse_object(struct irx_event *ev, struct json_object *o, const struct irx_config *cfg,
			int depth, struct irx_error *err);

static const char *tok_error(enum json_tokener_error e)
{
	return e == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(e);
}

static int parse_sns(struct irx_event *ev, struct json_object *m, const struct irx_config *cfg,
		     int depth, struct irx_error *err)
{
	const char *type = str_at(m, "Type");
	const char *message = str_at(m, "Message");
	struct json_object *attrs = at(m, "MessageAttributes");
	const char *entity = attribute(attrs, "entityarn");
	const char *xid = attribute(attrs, "externalid");
	struct irx_arn arn;
	char why[128] = "";
	const char *p = message;

	if (type && strcmp(type, "Notification") != 0) {
		irx_error_set(err, IRX_ERR_INVALID, "sns message of type '%s' carries no event",
			      type);
		return -1;
	}
	free(ev->sns_message_id);
	free(ev->sns_topic_arn);
	ev->sns_message_id = dup_or_null(str_at(m, "MessageId"));
	ev->sns_topic_arn = dup_or_null(str_at(m, "TopicArn"));
	while (p && isspace((unsigned char)*p))
		p++;
	if (!entity && xid && p && strncmp(p, "arn:", 4) == 0)
		entity = p; /* the entity ARN as the message body */
	if (entity) {
		if (!xid) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "sns message names entity '%.200s' but "
				      "carries no ExternalId attribute; refused",
				      entity);
			return -1;
		}
		if (irx_arn_parse(entity, &arn, why, sizeof(why)) < 0) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "sns message: entity '%.200s' is not an "
				      "ARN: %s",
				      entity, why);
			return -1;
		}
		if (!cfg || (!cfg->sns_external_id && !irx_config_external_id(cfg, arn.account))) {
			irx_error_set(
			    err, IRX_ERR_INVALID,
			    "sns message: no ExternalId is "
			    "configured to check it against (events.external_id or account "
			    "%s's external_id); refused",
			    arn.account);
			return -1;
		}
		/* the given value is not echoed: it is a shared secret, right or wrong */
		if (!irx_config_sns_external_id_ok(cfg, arn.account, xid)) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "sns message: the ExternalId does not "
				      "match the configuration; refused");
			return -1;
		}
		ev->source = IRX_EVENT_SNS;
		return add_arn_finding(ev, entity, ev->sns_message_id, err);
	}
	if (!p || *p != '{') {
		irx_error_set(err, IRX_ERR_INVALID,
			      "sns message carries neither an entity ARN "
			      "attribute nor a finding in its Message");
		return -1;
	}
	if (depth > 0) {
		irx_error_set(err, IRX_ERR_INVALID, "sns message nested in another message");
		return -1;
	}
	{
		struct json_tokener *tok = json_tokener_new_ex(MAX_JSON_DEPTH);
		struct json_object *inner = json_tokener_parse_ex(tok, p, (int)strlen(p));
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		int rc = -1;

		if (!inner || jerr != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != strlen(p)) {
			irx_error_set(err, IRX_ERR_INVALID,
				      "sns message: Message is not valid "
				      "JSON: %s",
				      inner ? "trailing characters after the value"
					    : tok_error(jerr));
		} else {
			rc = parse_object(ev, inner, cfg, depth + 1, err);
			if (rc < 0)
				irx_error_prefix(err, "sns message '%s'",
						 ev->sns_message_id ? ev->sns_message_id : "");
		}
		json_object_put(inner);
		json_tokener_free(tok);
		return rc;
	}
}

static int parse_object(struct irx_event *ev, struct json_object *o, const struct irx_config *cfg,
			int depth, struct irx_error *err)
{
	const char *source = str_at(o, "source"), *dtype = str_at(o, "detail-type");
	struct json_object *detail = at(o, "detail"), *records = at(o, "Records");

	if (!json_object_is_type(o, json_type_object)) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "an event must be a JSON object or an ARN, got "
			      "%s",
			      json_type_to_name(json_object_get_type(o)));
		return -1;
	}
	if (json_object_is_type(records, json_type_array)) {
		size_t n = json_object_array_length(records);

		if (n == 0) {
			irx_error_set(err, IRX_ERR_INVALID, "'Records' is empty");
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			struct json_object *sns = at(json_object_array_get_idx(records, i), "Sns");

			if (!json_object_is_type(sns, json_type_object)) {
				irx_error_set(err, IRX_ERR_INVALID,
					      "Records[%zu] is not an SNS record", i);
				return -1;
			}
			if (parse_sns(ev, sns, cfg, depth, err) < 0)
				return -1;
		}
		return 0;
	}
	if (str_at(o, "Type") && at(o, "Message"))
		return parse_sns(ev, o, cfg, depth, err);
	if (dtype && !detail) {
		irx_error_set(err, IRX_ERR_INVALID, "'%s' event without 'detail'", dtype);
		return -1;
	}
	ev->detail_type = dup_or_null(dtype);
	if ((source && strcmp(source, "aws.guardduty") == 0) ||
	    (dtype && strcmp(dtype, "GuardDuty Finding") == 0))
		return parse_guardduty(ev, detail, o, err);
	if ((source && strcmp(source, "aws.securityhub") == 0) ||
	    (dtype && strncmp(dtype, "Security Hub Findings", 21) == 0))
		return parse_securityhub(ev, at(detail, "findings"), o, err);
	if (source) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "unsupported event source '%.100s' (expected "
			      "aws.guardduty or aws.securityhub)",
			      source);
		return -1;
	}
	if (json_object_is_type(detail, json_type_object)) {
		if (at(detail, "findings"))
			return parse_securityhub(ev, at(detail, "findings"), o, err);
		if (at(detail, "resource") || at(detail, "type"))
			return parse_guardduty(ev, detail, o, err);
	}
	if (at(o, "SchemaVersion") && at(o, "Resources"))
		return parse_asff(ev, o, 0, NULL, err);
	if (at(o, "resource") && at(o, "type") && (at(o, "service") || at(o, "schemaVersion")))
		return parse_guardduty(ev, o, NULL, err);
	irx_error_set(err, IRX_ERR_INVALID,
		      "unrecognised event: expected a GuardDuty or Security "
		      "Hub finding (EventBridge event or bare finding), an SNS message or an ARN");
	return -1;
}

/* --- entry points ------------------------------------------------------------------------- */

struct irx_event *irx_event_parse(const char *buf, size_t len, const struct irx_config *cfg,
				  struct irx_error *err)
{
	struct irx_event *ev = NULL;
	struct json_tokener *tok = NULL;
	enum json_tokener_error jerr = json_tokener_success;
	size_t a = 0, b = len;

	if (len > IRX_EVENT_MAX_BYTES) {
		irx_error_set(err, IRX_ERR_LIMIT, "the event is larger than %u bytes",
			      IRX_EVENT_MAX_BYTES);
		return NULL;
	}
	while (a < b && isspace((unsigned char)buf[a]))
		a++;
	while (b > a && isspace((unsigned char)buf[b - 1]))
		b--;
	if (a == b) {
		irx_error_set(err, IRX_ERR_INVALID, "the event is empty");
		return NULL;
	}
	if (memchr(buf + a, '\0', b - a)) {
		irx_error_set(err, IRX_ERR_PARSE, "the event contains a NUL byte");
		return NULL;
	}
	ev = irx_xcalloc(1, sizeof(*ev));
	if (b - a > 4 && memcmp(buf + a, "arn:", 4) == 0) {
		char *s = irx_xstrndup(buf + a, b - a);

		ev->source = IRX_EVENT_ARN;
		ev->raw = json_object_new_string(s);
		for (const char *p = s; *p; p++)
			if (isspace((unsigned char)*p)) {
				irx_error_set(err, IRX_ERR_INVALID,
					      "the event is an ARN followed by "
					      "other text; give one ARN");
				free(s);
				goto fail;
			}
		if (add_arn_finding(ev, s, NULL, err) < 0) {
			free(s);
			goto fail;
		}
		free(s);
		return ev;
	}
	if (buf[a] != '{' && buf[a] != '[') {
		irx_error_set(err, IRX_ERR_PARSE, "the event is neither JSON nor an ARN");
		goto fail;
	}
	tok = json_tokener_new_ex(MAX_JSON_DEPTH);
	ev->raw = json_tokener_parse_ex(tok, buf + a, (int)(b - a));
	jerr = json_tokener_get_error(tok);
	if (!ev->raw || jerr != json_tokener_success || json_tokener_get_parse_end(tok) != b - a) {
		irx_error_set(err, IRX_ERR_PARSE, "the event is not valid JSON: %s (at byte %zu)",
			      ev->raw ? "trailing characters after the value" : tok_error(jerr),
			      a + json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		goto fail;
	}
	json_tokener_free(tok);
	if (parse_object(ev, ev->raw, cfg, 0, err) < 0)
		goto fail;
	if (ev->finding_count == 0) {
		irx_error_set(err, IRX_ERR_INVALID, "the event names no finding");
		goto fail;
	}
	return ev;
fail:
	irx_event_free(ev);
	return NULL;
}

struct irx_event *irx_event_load(const char *path, const struct irx_config *cfg,
				 struct irx_error *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct irx_event *ev = NULL;

	if (strcmp(path, "-") == 0) {
		size_t n = 0;

		do {
			if (len + 65536 > cap)
				buf = irx_xrealloc(buf, cap = len + 65536 + cap);
			n = fread(buf + len, 1, cap - len, stdin);
			len += n;
		} while (n > 0 && len <= IRX_EVENT_MAX_BYTES);
		if (ferror(stdin)) {
			irx_error_set(err, IRX_ERR_IO, "cannot read the event from stdin");
			free(buf);
			return NULL;
		}
	} else if (irx_read_file(path, IRX_EVENT_MAX_BYTES, &buf, &len) < 0) {
		if (errno == EFBIG)
			irx_error_set(err, IRX_ERR_LIMIT, "%s: the event is larger than %u bytes",
				      path, IRX_EVENT_MAX_BYTES);
		else
			irx_error_set(err, IRX_ERR_IO, "cannot read event '%s': %s", path,
				      strerror(errno));
		return NULL;
	}
	ev = irx_event_parse(buf ? buf : "", len, cfg, err);
	if (!ev)
		irx_error_prefix(err, "%s", strcmp(path, "-") == 0 ? "stdin" : path);
	free(buf);
	return ev;
}

void irx_event_free(struct irx_event *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->finding_count; i++) {
		struct irx_finding *f = &ev->findings[i];

		for (size_t k = 0; k < f->entity_count; k++) {
			free(f->entities[k].arn);
			free(f->entities[k].access_key_id);
			free(f->entities[k].resource_type);
		}
		for (size_t k = 0; k < f->type_count; k++)
			free(f->types[k]);
		free(f->types);
		free(f->entities);
		free(f->id);
		free(f->type);
		free(f->account);
		free(f->region);
	}
	free(ev->findings);
	free(ev->detail_type);
	free(ev->sns_message_id);
	free(ev->sns_topic_arn);
	json_object_put(ev->raw);
	free(ev);
}

static void add_opt(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

struct json_object *irx_event_json(const struct irx_event *ev)
{
	struct json_object *o = json_object_new_object(), *fs = json_object_new_array();

	add_opt(o, "source", irx_event_source_name(ev->source));
	add_opt(o, "detailType", ev->detail_type);
	if (ev->sns_message_id)
		add_opt(o, "snsMessageId", ev->sns_message_id);
	if (ev->sns_topic_arn)
		add_opt(o, "snsTopicArn", ev->sns_topic_arn);
	for (size_t i = 0; i < ev->finding_count; i++) {
		const struct irx_finding *f = &ev->findings[i];
		struct json_object *x = json_object_new_object(), *es = json_object_new_array();

		add_opt(x, "id", f->id);
		add_opt(x, "type", f->type);
		json_object_object_add(
		    x, "severity", f->has_severity ? json_object_new_double(f->severity) : NULL);
		add_opt(x, "severityLabel", f->severity_label[0] ? f->severity_label : NULL);
		json_object_object_add(x, "sample", json_object_new_boolean(f->sample));
		add_opt(x, "account", f->account);
		add_opt(x, "region", f->region);
		for (size_t k = 0; k < f->entity_count; k++) {
			const struct irx_entity *e = &f->entities[k];
			struct json_object *y = json_object_new_object();

			add_opt(y, "kind", irx_entity_kind_name(e->kind));
			add_opt(y, "arn", e->arn);
			if (e->access_key_id)
				add_opt(y, "accessKeyId", e->access_key_id);
			add_opt(y, "resourceType", e->resource_type);
			json_object_array_add(es, y);
		}
		json_object_object_add(x, "entities", es);
		json_object_array_add(fs, x);
	}
	json_object_object_add(o, "findings", fs);
	return o;
}
