/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The member-account role policy, built from what the plugins declare they call
 * (irx_action.aws_calls) plus the read-only calls the engine itself makes (the exception
 * gate's tag reads): irx model names mapped to IAM actions.
 */
#ifndef IRX_POLICY_H
#define IRX_POLICY_H

#include <stddef.h>

#include "irx/plugin.h"

struct irx_error;

/* The engine's own calls in a member account (core/exceptions.c), NULL-terminated. */
extern const char *const irx_policy_engine_calls[];

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
/* True when the set holds the IAM action ("ec2:ModifyNetworkInterfaceAttribute"). */
int irx_policy_grants(const struct irx_policy *p, const char *iam_action);

/* The IAM policy document, pretty JSON (new string). */
char *irx_policy_json(const struct irx_policy *p);
/*
 * The CloudFormation template of the member-account role (new string, YAML in the long
 * form the project's loader reads): trust to SecurityAccountId with sts:ExternalId, the
 * policy inline. plugins: the plugin names it was built from, for the header comment.
 */
char *irx_policy_cloudformation(const struct irx_policy *p, const char *plugins);

#endif
