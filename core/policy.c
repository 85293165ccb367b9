/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The member-account role policy from the declared calls.
 *
 * Decisions:
 * - Resource "*": the entities irx contains are not known when the role is deployed, and
 *   every action is scoped by the account the role lives in.
 * - Only what is declared (and what AWS checks alongside it) is granted: a call a plugin
 *   does not declare fails in the host, so granting more would only widen the blast radius.
 */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "error.h"
#include "util.h"

const char *const irx_policy_engine_calls[] = {
    "ec2:DescribeTags",
    "iam:ListUserTags",
    "iam:ListRoleTags",
    "iam:GetAccessKeyLastUsed",
    "lambda:ListTags",
    "resourcegroupstaggingapi:GetResources",
    NULL,
};

static const struct {
	const char *service, *prefix;
} prefixes[] = {
    {"ec2", "ec2"},
    {"iam", "iam"},
    {"sts", "sts"},
    {"ssm", "ssm"},
    {"lambda", "lambda"},
    {"sns", "sns"},
    {"sqs", "sqs"},
    {"s3", "s3"},
    {"autoscaling", "autoscaling"},
    {"elasticloadbalancingv2", "elasticloadbalancing"},
    {"resourcegroupstaggingapi", "tag"},
    {"kms", "kms"},
    {"dynamodb", "dynamodb"},
    {"secretsmanager", "secretsmanager"},
    {"guardduty", "guardduty"},
    {"securityhub", "securityhub"},
    {"organizations", "organizations"},
};

/* Operations whose IAM action is named differently; NULL: no permission is checked. */
static const struct {
	const char *call, *iam;
} renamed[] = {
    {"s3:ListObjectsV2", "s3:ListBucket"},
    {"s3:ListObjects", "s3:ListBucket"},
    {"s3:HeadObject", "s3:GetObject"},
    {"s3:HeadBucket", "s3:ListBucket"},
    {"s3:ListObjectVersions", "s3:ListBucketVersions"},
    {"sts:GetCallerIdentity", NULL},
};

/* What AWS authorises besides the call itself. */
static const struct {
	const char *call, *also;
} implied[] = {
    /* TagSpecifications on create are authorised as ec2:CreateTags */
    {"ec2:CreateSnapshot", "ec2:CreateTags"},
    {"ec2:CreateSnapshots", "ec2:CreateTags"},
    {"ec2:CopySnapshot", "ec2:CreateTags"},
    {"ec2:CreateSecurityGroup", "ec2:CreateTags"},
    /* copying an encrypted snapshot (under a customer managed key) */
    {"ec2:CopySnapshot", "kms:CreateGrant"},
    {"ec2:CopySnapshot", "kms:Decrypt"},
    {"ec2:CopySnapshot", "kms:DescribeKey"},
    {"ec2:CopySnapshot", "kms:GenerateDataKeyWithoutPlaintext"},
    {"ec2:CopySnapshot", "kms:ReEncryptFrom"},
    {"ec2:CopySnapshot", "kms:ReEncryptTo"},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int irx_policy_iam_actions(const char *call, const char **out, size_t max, char *buf, size_t len,
			   struct irx_error *err)
{
	const char *colon = strchr(call, ':');
	const char *prefix = NULL;
	size_t n = 0, sn = 0;

	if (!colon || colon == call || !colon[1]) {
		irx_error_set(err, IRX_ERR_INVALID, "'%s' is not \"service:Operation\"", call);
		return -1;
	}
	sn = (size_t)(colon - call);
	for (size_t i = 0; i < ARRAY_LEN(prefixes); i++)
		if (strlen(prefixes[i].service) == sn &&
		    strncmp(prefixes[i].service, call, sn) == 0)
			prefix = prefixes[i].prefix;
	if (!prefix) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "no IAM prefix is known for the service of '%s'", call);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_LEN(renamed); i++)
		if (strcmp(renamed[i].call, call) == 0) {
			if (renamed[i].iam && n < max)
				out[n++] = renamed[i].iam;
			goto extra;
		}
	snprintf(buf, len, "%s:%s", prefix, colon + 1);
	if (n < max)
		out[n++] = buf;
extra:
	for (size_t i = 0; i < ARRAY_LEN(implied); i++)
		if (strcmp(implied[i].call, call) == 0 && n < max)
			out[n++] = implied[i].also;
	return (int)n;
}

void irx_policy_init(struct irx_policy *p)
{
	memset(p, 0, sizeof(*p));
}

void irx_policy_release(struct irx_policy *p)
{
	for (size_t i = 0; i < p->count; i++)
		free(p->actions[i]);
	free(p->actions);
	irx_policy_init(p);
}

static void add_action(struct irx_policy *p, const char *a)
{
	size_t lo = 0, hi = p->count;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(p->actions[mid], a);

		if (c == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (p->count == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 32;
		p->actions = irx_xrealloc(p->actions, p->cap * sizeof(*p->actions));
	}
	memmove(&p->actions[lo + 1], &p->actions[lo], (p->count - lo) * sizeof(*p->actions));
	p->actions[lo] = irx_xstrdup(a);
	p->count++;
}

int irx_policy_add_calls(struct irx_policy *p, const char *const *calls, struct irx_error *err)
{
	for (size_t i = 0; calls && calls[i]; i++) {
		const char *out[16] = {0};
		char buf[256] = "";
		int n =
		    irx_policy_iam_actions(calls[i], out, ARRAY_LEN(out), buf, sizeof(buf), err);

		if (n < 0)
			return -1;
		for (int k = 0; k < n; k++)
			add_action(p, out[k]);
	}
	return 0;
}

int irx_policy_add_plugin(struct irx_policy *p, const struct irx_plugin *plugin,
			  struct irx_error *err)
{
	for (const struct irx_action *a = plugin->actions; a && a->name; a++)
		if (irx_policy_add_calls(p, a->aws_calls, err) < 0) {
			irx_error_prefix(err, "%s:%s: ", plugin->name, a->name);
			return -1;
		}
	return 0;
}

int irx_policy_grants(const struct irx_policy *p, const char *iam_action)
{
	for (size_t i = 0; i < p->count; i++)
		if (strcmp(p->actions[i], iam_action) == 0)
			return 1;
	return 0;
}

char *irx_policy_json(const struct irx_policy *p)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *stmts = json_object_new_array();
	struct json_object *st = json_object_new_object();
	struct json_object *acts = json_object_new_array();
	char *out = NULL;

	for (size_t i = 0; i < p->count; i++)
		json_object_array_add(acts, json_object_new_string(p->actions[i]));
	json_object_object_add(st, "Sid", json_object_new_string("IrxDeclaredCalls"));
	json_object_object_add(st, "Effect", json_object_new_string("Allow"));
	json_object_object_add(st, "Action", acts);
	json_object_object_add(st, "Resource", json_object_new_string("*"));
	json_object_array_add(stmts, st);
	json_object_object_add(doc, "Version", json_object_new_string("2012-10-17"));
	json_object_object_add(doc, "Statement", stmts);
	out = irx_xasprintf("%s\n", json_object_to_json_string_ext(
					doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return out;
}

static const char cfn_head[] =
    "AWSTemplateFormatVersion: \"2010-09-09\"\n"
    "Description: >-\n"
    "  The role irx assumes in a member account to contain compromised resources. Its policy\n"
    "  grants exactly the AWS calls the plugins declare (and the engine's exception-tag\n"
    "  reads); regenerate it with `irx policy --cloudformation` when the plugins change.\n"
    "Parameters:\n"
    "  SecurityAccountId:\n"
    "    Type: String\n"
    "    AllowedPattern: \"^[0-9]{12}$\"\n"
    "    Description: The account irx runs in (its Lambda function or hosts).\n"
    "  ExternalId:\n"
    "    Type: String\n"
    "    NoEcho: true\n"
    "    MinLength: 8\n"
    "    Description: The ExternalId irx presents (the accounts entry in irx.yaml).\n"
    "  RoleName:\n"
    "    Type: String\n"
    "    Default: irx-responder\n"
    "Resources:\n"
    "  ResponderRole:\n"
    "    Type: AWS::IAM::Role\n"
    "    Properties:\n"
    "      RoleName:\n"
    "        Ref: RoleName\n"
    "      MaxSessionDuration: 3600\n"
    "      AssumeRolePolicyDocument:\n"
    "        Version: \"2012-10-17\"\n"
    "        Statement:\n"
    "          - Effect: Allow\n"
    "            Principal:\n"
    "              AWS:\n"
    "                Fn::Sub: \"arn:${AWS::Partition}:iam::${SecurityAccountId}:root\"\n"
    "            Action:\n"
    "              - sts:AssumeRole\n"
    "              - sts:TagSession\n"
    "            Condition:\n"
    "              StringEquals:\n"
    "                sts:ExternalId:\n"
    "                  Ref: ExternalId\n"
    "      Policies:\n"
    "        - PolicyName: irx-containment\n"
    "          PolicyDocument:\n"
    "            Version: \"2012-10-17\"\n"
    "            Statement:\n"
    "              - Sid: IrxDeclaredCalls\n"
    "                Effect: Allow\n"
    "                Resource: \"*\"\n"
    "                Action:\n";

static const char cfn_tail[] = "Outputs:\n"
			       "  RoleArn:\n"
			       "    Value:\n"
			       "      Fn::GetAtt:\n"
			       "        - ResponderRole\n"
			       "        - Arn\n";

char *irx_policy_cloudformation(const struct irx_policy *p, const char *plugins)
{
	size_t len = sizeof(cfn_head) + sizeof(cfn_tail) + 512 + (plugins ? strlen(plugins) : 0);
	char *out = NULL;
	size_t o = 0;

	for (size_t i = 0; i < p->count; i++)
		len += strlen(p->actions[i]) + 24;
	out = irx_xcalloc(1, len);
	o += (size_t)snprintf(out + o, len - o,
			      "# Generated by `irx policy --cloudformation` from the declared AWS "
			      "calls of: %s.\n# Do not edit: regenerate.\n",
			      plugins && *plugins ? plugins : "(no plugins)");
	o += (size_t)snprintf(out + o, len - o, "%s", cfn_head);
	for (size_t i = 0; i < p->count; i++)
		o += (size_t)snprintf(out + o, len - o, "                  - %s\n", p->actions[i]);
	snprintf(out + o, len - o, "%s", cfn_tail);
	return out;
}
