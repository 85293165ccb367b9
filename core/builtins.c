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

static const struct irx_param run_command_params[] = {
    {"DocumentName", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "the Command document (AWS-RunShellScript), or a shared document's ARN"},
    {"InstanceIds", IRX_PARAM_STRING_LIST, 0, NULL,
     "the managed instances to run on (at most 50); or Targets"},
    {"Targets", IRX_PARAM_MAP_LIST, 0, NULL,
     "instances by tag or resource group: [{Key: tag:Name, Values: [web]}]; or InstanceIds"},
    {"Parameters", IRX_PARAM_STRING_MAP, 0, NULL,
     "the document's parameters: names to strings or lists of strings"},
    {"DocumentVersion", IRX_PARAM_STRING, 0, NULL, "the document version ($DEFAULT, $LATEST, 3)"},
    {"DocumentHash", IRX_PARAM_STRING, 0, NULL, "the document's hash, to run only that content"},
    {"DocumentHashType", IRX_PARAM_STRING, 0, NULL, "Sha256 or Sha1"},
    {"Comment", IRX_PARAM_STRING, 0, NULL, "what the command is for (at most 100 characters)"},
    {"TimeoutSeconds", IRX_PARAM_INTEGER, 0, NULL,
     "how long SSM tries to deliver the command to an instance's agent"},
    {"OutputS3Region", IRX_PARAM_STRING, 0, NULL, "the output bucket's region"},
    {"OutputS3BucketName", IRX_PARAM_STRING, 0, NULL, "an S3 bucket for the full output"},
    {"OutputS3KeyPrefix", IRX_PARAM_STRING, 0, NULL, "the key prefix in that bucket"},
    {"MaxConcurrency", IRX_PARAM_STRING, 0, NULL, "instances at once (a number or a percentage)"},
    {"MaxErrors", IRX_PARAM_STRING, 0, NULL,
     "errors before SSM sends to no more instances (a number or a percentage)"},
    {"ServiceRoleArn", IRX_PARAM_STRING, 0, NULL, "the role SSM uses for notifications"},
    {"NotificationConfig", IRX_PARAM_STRING_MAP, 0, NULL,
     "SNS notifications: NotificationArn, NotificationEvents, NotificationType"},
    {"CloudWatchOutputConfig", IRX_PARAM_STRING_MAP, 0, NULL,
     "CloudWatch Logs output: CloudWatchLogGroupName, CloudWatchOutputEnabled"},
    {"AlarmConfiguration", IRX_PARAM_STRING_MAP, 0, NULL,
     "CloudWatch alarms that stop the command: IgnorePollAlarmFailure, Alarms"},
    {0},
};

/* aws:branch and aws:sleep call no AWS API: declaring none makes the host refuse any. The
 * aws:*AwsApi / *AwsResourceProperty actions leave aws_calls NULL: the step names the call
 * (`irx policy` reads it from the runbook). */
static const char *const no_calls[] = {NULL};

static const struct irx_action builtin_actions[] = {
    {"branch", "choose the next step by comparing values", 0, branch_params, irx_builtin_branch,
     NULL, no_calls},
    {"sleep", "wait for a duration or until a time (Duration or Timestamp, not both)", 0,
     sleep_params, irx_builtin_sleep, NULL, no_calls},
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
    {"runCommand",
     "run an SSM command document on managed instances and wait for every invocation (cannot "
     "be undone; a cancelled or timed-out step cancels the command)",
     IRX_ACTION_MUTATES, run_command_params, irx_builtin_run_command, NULL,
     irx_builtin_run_command_calls},
    {0},
};

const struct irx_action *irx_builtin_actions(void)
{
	return builtin_actions;
}
