/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table of built-in aws:* actions and their parameter schemas, as SSM
 * documents them. aws:executeAwsApi, aws:waitForAwsResourceProperty and
 * aws:assertAwsResourceProperty join this table with the AWS client; until
 * then they are in the unsupported list (actions.c).
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

static const struct irx_action builtin_actions[] = {
    {"branch", "choose the next step by comparing values", 0, branch_params, irx_builtin_branch,
     NULL},
    {"sleep", "wait for a duration or until a time (Duration or Timestamp, not both)", 0,
     sleep_params, irx_builtin_sleep, NULL},
    {0},
};

const struct irx_action *irx_builtin_actions(void)
{
	return builtin_actions;
}
