/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The member-account role policy, built from what the plugins and the built-in actions
 * declare they call (irx_action.aws_calls), the calls runbooks name in their
 * aws:executeAwsApi / aws:waitForAwsResourceProperty / aws:assertAwsResourceProperty steps,
 * and the read-only calls the engine itself makes (the exception gate's tag reads): irx
 * model names mapped to IAM actions.
 */
#ifndef IRX_POLICY_H
#define IRX_POLICY_H

#include <stddef.h>

#include "irx/plugin.h"

struct irx_diags;
struct irx_error;
struct irx_runbook;

/* The engine's own calls in a member account (core/exceptions.c), NULL-terminated. */
extern const char *const irx_policy_engine_calls[];

/*
 * The built-in actions whose step names its AWS call in its Service and Api inputs
 * ("aws:executeAwsApi", ...), NULL-terminated. They declare no calls (aws_calls NULL).
 */
extern const char *const irx_policy_api_actions[];

/*
 * The IAM actions one "service:Operation" needs, written into out[0..max) (static strings
 * or pointers into buf, size len): the prefix mapped (elasticloadbalancingv2 ->
 * elasticloadbalancing, resourcegroupstaggingapi -> tag), the few operations whose IAM name
 * differs (s3 ListObjectsV2 -> s3:ListBucket), and what AWS also checks for the call
 * (tag-on-create: ec2:CreateTags; copying an encrypted snapshot: KMS grants). Returns the
 * count (0 for a call needing no permission, sts:GetCallerIdentity), or -1 with err set for
 * a service with no known IAM prefix or a malformed name.
 */
int irx_policy_iam_actions(const char *call, const char **out, size_t max, char *buf, size_t len,
			   struct irx_error *err);

/* A sorted set of IAM actions. */
struct irx_policy {
	char **actions; /* owned, sorted, unique */
	size_t count, cap;
};

void irx_policy_init(struct irx_policy *p);
void irx_policy_release(struct irx_policy *p);
/* Adds what calls (NULL-terminated; NULL adds nothing) need. -1 with err on a bad name. */
int irx_policy_add_calls(struct irx_policy *p, const char *const *calls, struct irx_error *err);
/* Adds every declared call of every action of a plugin. */
int irx_policy_add_plugin(struct irx_policy *p, const struct irx_plugin *plugin,
			  struct irx_error *err);
/* Adds every declared call of the built-in actions (aws:runCommand's). */
int irx_policy_add_builtins(struct irx_policy *p, struct irx_error *err);
/*
 * Adds the call each irx_policy_api_actions step of rb names, its Service and Api resolved
 * as the executor resolves them (boto3 names: elbv2, describe_instances). A step whose
 * Service or Api is templated cannot be known: a warning at the step goes to warnings
 * ("step 'x' (aws:executeAwsApi) names its AWS call with a template ('ec2:{{ Api }}'):
 * nothing is granted for it"), nothing is added. An unknown service or operation, or an
 * input that is not a string, is an error in errors. Returns the number of errors added.
 * rb should have validated (irx_runbook_validate) without errors.
 */
size_t irx_policy_add_runbook(struct irx_policy *p, const struct irx_runbook *rb,
			      struct irx_diags *warnings, struct irx_diags *errors);
/* True when the set holds the IAM action ("ec2:ModifyNetworkInterfaceAttribute"). */
int irx_policy_grants(const struct irx_policy *p, const char *iam_action);

/* The IAM policy document, pretty JSON (new string). */
char *irx_policy_json(const struct irx_policy *p);
/*
 * The CloudFormation template of the member-account role (new string, YAML in the long
 * form the project's loader reads): trust to SecurityAccountId with sts:ExternalId, the
 * policy inline. plugins and runbooks: the names it was built from ("deny, isolate"; NULL
 * or "" for none), for the header comment, which also names the built-in actions that
 * declare calls.
 */
char *irx_policy_cloudformation(const struct irx_policy *p, const char *plugins,
				const char *runbooks);

#endif
