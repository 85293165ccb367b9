/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The action registry: "aws:name" resolves to a built-in, "ns:name" to action
 * `name` of plugin `ns`, loaded on first use through the plugin loader.
 */
#include "actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "plugins.h"
#include "util.h"

struct irx_actions {
	struct irx_plugins *plugins; /* borrowed; NULL = built-ins only */
};

/* SSM Automation actions irx knows by name but does not run. */
static const char *const unsupported[] = {
    "aws:approve",
    "aws:assertAwsResourceProperty",
    "aws:changeInstanceState",
    "aws:copyImage",
    "aws:createImage",
    "aws:createStack",
    "aws:createTags",
    "aws:deleteImage",
    "aws:deleteStack",
    "aws:executeAutomation",
    "aws:executeAwsApi",
    "aws:executeScript",
    "aws:executeStateMachine",
    "aws:invokeLambdaFunction",
    "aws:invokeWebhook",
    "aws:loop",
    "aws:pause",
    "aws:runCommand",
    "aws:runInstances",
    "aws:updateVariable",
    "aws:waitForAwsResourceProperty",
    NULL,
};

struct irx_actions *irx_actions_new(struct irx_plugins *plugins)
{
	struct irx_actions *a = irx_xcalloc(1, sizeof(*a));

	a->plugins = plugins;
	return a;
}

void irx_actions_free(struct irx_actions *actions)
{
	free(actions);
}

static const struct irx_action *find_in(const struct irx_action *table, const char *name)
{
	for (size_t i = 0; table && table[i].name; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

int irx_builtin_is_unsupported(const char *full_name)
{
	if (!full_name)
		return 0;
	/* A name that has become a built-in (the AWS client adds some) is supported. */
	if (strncmp(full_name, "aws:", 4) == 0 && find_in(irx_builtin_actions(), full_name + 4))
		return 0;
	for (size_t i = 0; unsupported[i]; i++)
		if (strcmp(unsupported[i], full_name) == 0)
			return 1;
	return 0;
}

static int valid_part(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int irx_actions_lookup(struct irx_actions *actions, const char *full_name,
		       struct irx_action_ref *out, struct irx_error *err)
{
	const char *colon = full_name ? strchr(full_name, ':') : NULL;
	const struct irx_loaded_plugin *lp = NULL;
	const struct irx_action *act = NULL;
	char ns[128] = "";
	size_t ns_len = 0;

	memset(out, 0, sizeof(*out));
	if (!colon || !valid_part(full_name, (size_t)(colon - full_name)) ||
	    !valid_part(colon + 1, strlen(colon + 1))) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "invalid action name '%s': expected 'namespace:name'",
			      full_name ? full_name : "");
		return -1;
	}
	ns_len = (size_t)(colon - full_name);
	if (ns_len >= sizeof(ns)) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid action name '%s': namespace too long",
			      full_name);
		return -1;
	}
	memcpy(ns, full_name, ns_len);
	if (strcmp(ns, "aws") == 0) {
		act = find_in(irx_builtin_actions(), colon + 1);
		if (act) {
			out->action = act;
			return 0;
		}
		if (irx_builtin_is_unsupported(full_name)) {
			irx_error_set(err, IRX_ERR_INVALID, "action '%s' is not supported by irx",
				      full_name);
			return -1;
		}
		irx_error_set(err, IRX_ERR_NOT_FOUND, "unknown action '%s'", full_name);
		return -1;
	}
	if (!actions || !actions->plugins) {
		irx_error_set(err, IRX_ERR_NOT_FOUND,
			      "unknown action '%s': no plugins are available", full_name);
		return -1;
	}
	lp = irx_plugins_load(actions->plugins, ns, err);
	if (!lp) {
		/* The loader's message names the path searched, or the file and the refusal. */
		if (err && err->code == IRX_ERR_NOT_FOUND) {
			const char *paren = strstr(err->message, "(searched: ");
			char tail[sizeof(err->message)] = "";

			if (!paren)
				paren = strstr(err->message, "(the plugin path");
			snprintf(tail, sizeof(tail), "%s", paren ? paren : "");
			irx_error_clear(err);
			irx_error_set(err, IRX_ERR_NOT_FOUND,
				      "unknown action '%s': no plugin '%s' on the plugin path%s%s",
				      full_name, ns, *tail ? " " : "", tail);
		} else {
			irx_error_prefix(err, "cannot load action '%s'", full_name);
		}
		return -1;
	}
	act = find_in(lp->desc.actions, colon + 1);
	if (!act) {
		irx_error_set(err, IRX_ERR_NOT_FOUND,
			      "unknown action '%s': plugin '%s' (%s) has no action '%s'", full_name,
			      ns, lp->path ? lp->path : "built in", colon + 1);
		return -1;
	}
	out->action = act;
	out->plugin = &lp->desc;
	out->plugin_data = lp->plugin_data;
	return 0;
}
