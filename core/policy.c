/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The member-account role policy from the declared calls and the calls runbooks name.
 *
 * Decisions:
 * - Resource "*": the entities irx contains are not known when the role is deployed, and
 *   every action is scoped by the account the role lives in.
 * - Only what is declared or named (and what AWS checks alongside it) is granted: a call a
 *   plugin does not declare fails in the host, so granting more would only widen the blast
 *   radius. A runbook step whose call is templated is known only at run time: it is
 *   reported, not guessed at.
 */
#include "policy.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actions.h"
#include "aws/client.h"
#include "diag.h"
#include "error.h"
#include "node.h"
#include "runbook.h"
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

const char *const irx_policy_api_actions[] = {
    "aws:executeAwsApi",
    "aws:waitForAwsResourceProperty",
    "aws:assertAwsResourceProperty",
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

int irx_policy_add_builtins(struct irx_policy *p, struct irx_error *err)
{
	for (const struct irx_action *a = irx_builtin_actions(); a->name; a++)
		if (irx_policy_add_calls(p, a->aws_calls, err) < 0) {
			irx_error_prefix(err, "aws:%s: ", a->name);
			return -1;
		}
	return 0;
}

static bool names_call(const char *action)
{
	for (size_t i = 0; action && irx_policy_api_actions[i]; i++)
		if (strcmp(irx_policy_api_actions[i], action) == 0)
			return true;
	return false;
}

/* The step's Service or Api text; NULL (error added) when it is missing or not a scalar. */
static const char *api_input(const struct irx_step_def *s, const char *key,
			     const struct irx_node **node, struct irx_diags *errors)
{
	*node = irx_node_get(s->inputs, key);
	if (*node && (*node)->kind == IRX_NODE_SCALAR && !irx_node_is_null(*node))
		return (*node)->value;
	irx_diags_add(errors, *node ? *node : s->node, "step '%s' (%s) needs a string '%s' input",
		      s->name, s->action, key);
	return NULL;
}

size_t irx_policy_add_runbook(struct irx_policy *p, const struct irx_runbook *rb,
			      struct irx_diags *warnings, struct irx_diags *errors)
{
	size_t nerr = 0;

	for (size_t i = 0; i < rb->step_count; i++) {
		const struct irx_step_def *s = &rb->steps[i];
		const struct irx_node *sn = NULL, *an = NULL;
		const char *svc = NULL, *api = NULL, *sid = NULL, *oname = NULL;
		struct irx_error err = {0};
		char call[256] = "";
		const char *calls[2] = {call, NULL};

		if (!names_call(s->action))
			continue;
		svc = api_input(s, "Service", &sn, errors);
		api = api_input(s, "Api", &an, errors);
		if (!svc || !api) {
			nerr += !svc + !api;
			continue;
		}
		if (strstr(svc, "{{") || strstr(api, "{{")) {
			irx_diags_add(
			    warnings, s->node,
			    "step '%s' (%s) names its AWS call with a template ('%s:%s'): "
			    "nothing is granted for it",
			    s->name, s->action, svc, api);
			continue;
		}
		if (irx_aws_lookup(svc, api, &sid, &oname, NULL, &err) < 0) {
			/* point at the input that is wrong */
			bool op = strncmp(err.message, "unknown operation", 17) == 0;

			irx_diags_add(errors, op ? an : sn, "step '%s' (%s): %s", s->name,
				      s->action, err.message);
			nerr++;
			continue;
		}
		snprintf(call, sizeof(call), "%s:%s", sid, oname);
		if (irx_policy_add_calls(p, calls, &err) < 0) {
			irx_diags_add(errors, sn, "step '%s' (%s): %s", s->name, s->action,
				      err.message);
			nerr++;
		}
	}
	return nerr;
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
    "  grants exactly the AWS calls the plugins and built-in actions declare, the calls the\n"
    "  runbooks' AWS API steps name, and the engine's exception-tag reads; regenerate it with\n"
    "  `irx policy --cloudformation` when the plugins or runbooks change.\n"
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

#define HEADER_COLUMNS 100

/*
 * Writes "lead" then the comma-separated names of list (or none), wrapped at
 * HEADER_COLUMNS with "#   " continuation lines, then end and a newline.
 */
static void header_list(FILE *f, const char *lead, const char *list, const char *none,
			const char *end)
{
	size_t col = strlen(lead);
	const char *s = list && *list ? list : none;
	bool fresh = true; /* no name on this line yet */

	fputs(lead, f);
	while (*s) {
		size_t n = strcspn(s, ",");
		bool last = s[n] == '\0';
		/* " name," or " name<end>" */
		size_t need = 1 + n + (last ? strlen(end) : 1);

		if (!fresh && col + need > HEADER_COLUMNS) {
			fputs("\n#  ", f);
			col = 3;
		}
		fprintf(f, " %.*s%s", (int)n, s, last ? end : ",");
		col += need;
		fresh = false;
		s += n;
		while (*s == ',' || *s == ' ')
			s++;
	}
	fputc('\n', f);
}

char *irx_policy_cloudformation(const struct irx_policy *p, const char *plugins,
				const char *runbooks)
{
	char *out = NULL, *builtins = NULL;
	size_t len = 0, blen = 0;
	FILE *f = open_memstream(&out, &len);
	FILE *b = open_memstream(&builtins, &blen);
	bool first = true;

	if (!f || !b)
		abort();
	for (const struct irx_action *a = irx_builtin_actions(); a->name; a++)
		if (a->aws_calls && a->aws_calls[0]) {
			fprintf(b, "%saws:%s", first ? "" : ", ", a->name);
			first = false;
		}
	if (fclose(b) != 0)
		abort();
	fputs("# Generated by `irx policy --cloudformation` from the AWS calls\n", f);
	header_list(f, "# - the plugins declare:", plugins, "(no plugins)", ";");
	header_list(f, "# - the built-in actions declare:", builtins, "(none)", ";");
	fputs("# - the aws:executeAwsApi, aws:waitForAwsResourceProperty and\n"
	      "#   aws:assertAwsResourceProperty steps name in the runbooks:\n",
	      f);
	header_list(f, "#  ", runbooks, "(no runbooks)", ";");
	fputs("# - the engine makes (its exception-tag reads).\n# Do not edit: regenerate.\n", f);
	fputs(cfn_head, f);
	for (size_t i = 0; i < p->count; i++)
		fprintf(f, "                  - %s\n", p->actions[i]);
	fputs(cfn_tail, f);
	if (fclose(f) != 0)
		abort();
	free(builtins);
	return out;
}
