/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table of built-in aws:* actions and their parameter schemas, as SSM
 * documents them. aws:executeAwsApi, aws:waitForAwsResourceProperty and
 * aws:assertAwsResourceProperty run on the AWS client (builtin_aws_api.c);
 * their API parameters are open inputs.
 */
#include "builtins.h"

#include "actions.h"

static const struct irx_param branch_params[] = {
    {"Choices", IRX_PARAM_MAP_LIST, IRX_PARAM_REQUIRED, NULL,
     "choices evaluated in order: NextStep, Variable and one operator (StringEquals, "
     "EqualsIgnoreCase, StartsWith, EndsWith, Contains, NumericEquals, NumericGreater, "
     "NumericLesser, NumericGreaterOrEquals, NumericLesserOrEquals, BooleanEquals), or And / "
     "Or (a list of choices) or Not (one choice)"},
    {"Default", IRX_PARAM_STRING, 0, NULL, "the step to run when no choice is true"},
    {0},
};

static const struct irx_param sleep_params[] = {
    {"Duration", IRX_PARAM_STRING, 0, NULL,
     "how long to sleep, ISO-8601 (PT10M, PT1H30S, P1D); at most 7 days"},
    {"Timestamp", IRX_PARAM_STRING, 0, NULL,
     "when to resume, ISO-8601 UTC (2026-12-01T10:00:00Z); at most 7 days ahead"},
    {0},
};

static const struct irx_param aws_api_params[] = {
    {"Service", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "the AWS service namespace, as boto3 names its client (ec2, iam, ssm, elbv2, ...)"},
    {"Api", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "the API operation (DescribeInstances); other inputs are its parameters"},
    {0},
};

static const struct irx_param aws_property_params[] = {
    {"Service", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "the AWS service namespace, as boto3 names its client (ec2, iam, ssm, elbv2, ...)"},
    {"Api", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "the API operation (DescribeInstances); other inputs are its parameters"},
    {"PropertySelector", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "JSONPath to the property in the response ($.Reservations[0].Instances[0].State.Name)"},
    {"DesiredValues", IRX_PARAM_STRING_LIST, IRX_PARAM_REQUIRED, NULL,
     "the values the property must have (booleans as True / False)"},
    {0},
};

static const struct irx_action builtin_actions[] = {
    {"branch", "choose the next step by comparing values", 0, branch_params, irx_builtin_branch,
     NULL},
    {"sleep", "wait for a duration or until a time (Duration or Timestamp, not both)", 0,
     sleep_params, irx_builtin_sleep, NULL},
    {"executeAwsApi", "call an AWS API operation; its response is the step's output",
     IRX_ACTION_OPEN_INPUTS, aws_api_params, irx_builtin_execute_aws_api, NULL},
    {"waitForAwsResourceProperty",
     "call an AWS API until a property of the response has one of the desired values",
     IRX_ACTION_OPEN_INPUTS, aws_property_params, irx_builtin_wait_for_aws_resource_property,
     NULL},
    {"assertAwsResourceProperty",
     "call an AWS API once and fail unless a property has one of the desired values",
     IRX_ACTION_OPEN_INPUTS, aws_property_params, irx_builtin_assert_aws_resource_property,
     NULL},
    {0},
};

const struct irx_action *irx_builtin_actions(void)
{
	return builtin_actions;
}
