/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The demo plugin: containment against a local JSON state file instead of AWS,
 * so `make demo` does something real and checkable before the AWS client
 * exists. The state file (StateFile) holds one record per entity ARN:
 *
 *     {"entities": {"arn:aws:ec2:...:instance/i-1": {
 *         "quarantined": true, "quarantineReason": "...",
 *         "quarantinedBy": "<execution id>", "tags": {"irx:case": "..."}}}}
 *
 * Actions: demo:describeEntity (reads), demo:tagEntity and demo:quarantine
 * (change the file, record an undo record, and can be rolled back). In a dry
 * run they describe the exact change and leave the file alone. The file is
 * replaced atomically (write a temporary file, fsync, rename).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irx/plugin.h"
#include "irx/plugin_util.h"

#define STATE_MAX (16 * 1024 * 1024)

/* Loads the state file; a missing file is an empty state. *out transferred. */
static int state_load(const struct irx_context *ctx, const char *path, struct json_object **out)
{
	FILE *f = NULL;
	char *buf = NULL;
	long size = 0;
	struct json_object *root = NULL, *ents = NULL;
	enum json_tokener_error jerr = json_tokener_success;
	int rc = -1;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f && errno == ENOENT) {
		root = json_object_new_object();
		json_object_object_add(root, "entities", json_object_new_object());
		*out = root;
		return 0;
	}
	if (!f)
		return ctx->host->fail(ctx->call, "cannot read state file '%s': %s", path,
				       strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		ctx->host->fail(ctx->call, "cannot read state file '%s': %s", path,
				strerror(errno));
		goto out;
	}
	if (size > STATE_MAX) {
		ctx->host->fail(ctx->call, "state file '%s' is larger than %d bytes", path,
				STATE_MAX);
		goto out;
	}
	buf = malloc((size_t)size + 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		ctx->host->fail(ctx->call, "cannot read state file '%s'", path);
		goto out;
	}
	buf[size] = '\0';
	root = json_tokener_parse_verbose(buf, &jerr);
	if (!root) {
		ctx->host->fail(ctx->call, "state file '%s' is not valid JSON: %s", path,
				json_tokener_error_desc(jerr));
		goto out;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "entities", &ents) ||
	    !json_object_is_type(ents, json_type_object)) {
		ctx->host->fail(ctx->call, "state file '%s' has no \"entities\" object", path);
		goto out;
	}
	*out = root;
	root = NULL;
	rc = 0;
out:
	json_object_put(root);
	free(buf);
	fclose(f);
	return rc;
}

/* Replaces the state file atomically: a crash leaves the old or the new one. */
static int state_save(const struct irx_context *ctx, const char *path, struct json_object *root)
{
	char *tmp = NULL;
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text);
	FILE *f = NULL;
	int rc = -1;

	tmp = malloc(strlen(path) + 32);
	if (!tmp)
		return ctx->host->fail(ctx->call, "out of memory");
	sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "wb");
	if (!f) {
		ctx->host->fail(ctx->call, "cannot write state file '%s': %s", tmp,
				strerror(errno));
		goto out;
	}
	if (fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		ctx->host->fail(ctx->call, "cannot write state file '%s': %s", tmp,
				strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		ctx->host->fail(ctx->call, "cannot replace state file '%s': %s", path,
				strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

static struct json_object *entities(struct json_object *root)
{
	struct json_object *e = NULL;

	json_object_object_get_ex(root, "entities", &e);
	return e;
}

/* The entity's record, or NULL. Borrowed. */
static struct json_object *entity_get(struct json_object *root, const char *arn)
{
	return irx_json_object(entities(root), arn);
}

/* The entity's record, created empty when missing. Borrowed. */
static struct json_object *entity_ensure(struct json_object *root, const char *arn)
{
	struct json_object *e = entity_get(root, arn);

	if (!e) {
		e = json_object_new_object();
		json_object_object_add(entities(root), arn, e);
	}
	return e;
}

/* Drops a record the undone change created and left empty. */
static void entity_drop_if_empty(struct json_object *root, const char *arn)
{
	struct json_object *e = entity_get(root, arn);
	struct json_object *tags = NULL;

	if (!e)
		return;
	if (json_object_object_get_ex(e, "tags", &tags) && json_object_object_length(tags) == 0)
		json_object_object_del(e, "tags");
	if (json_object_object_length(e) == 0)
		json_object_object_del(entities(root), arn);
}

static int check_arn(const struct irx_context *ctx, const char *arn)
{
	/* arn:partition:service:region:account:resource */
	const char *p = arn;
	int colons = 0;

	if (!arn || strncmp(arn, "arn:", 4) != 0)
		return ctx->host->fail(ctx->call, "'%s' is not an ARN", arn ? arn : "");
	for (; *p; p++)
		colons += *p == ':';
	if (colons < 5)
		return ctx->host->fail(ctx->call, "'%s' is not an ARN", arn);
	return 0;
}

/* --- demo:describeEntity ------------------------------------------------------ */

static int describe_entity(const struct irx_context *ctx, struct json_object *inputs,
			   struct irx_result *res)
{
	const char *arn = irx_json_str(inputs, "TargetArn");
	const char *path = irx_json_str(inputs, "StateFile");
	struct json_object *root = NULL, *e = NULL, *tags = NULL;

	if (check_arn(ctx, arn) < 0 || state_load(ctx, path, &root) < 0)
		return -1;
	e = entity_get(root, arn);
	json_object_object_add(res->outputs, "TargetArn", json_object_new_string(arn));
	json_object_object_add(res->outputs, "Exists", json_object_new_boolean(e != NULL));
	json_object_object_add(res->outputs, "Quarantined",
			       json_object_new_boolean(e && irx_json_bool(e, "quarantined")));
	if (e && json_object_object_get_ex(e, "tags", &tags))
		json_object_object_add(res->outputs, "Tags", json_object_get(tags));
	else
		json_object_object_add(res->outputs, "Tags", json_object_new_object());
	json_object_put(root);
	return 0;
}

/* --- demo:tagEntity ------------------------------------------------------------ */

static int tag_entity(const struct irx_context *ctx, struct json_object *inputs,
		      struct irx_result *res)
{
	const char *arn = irx_json_str(inputs, "TargetArn");
	const char *path = irx_json_str(inputs, "StateFile");
	const char *key = irx_json_str(inputs, "Key");
	const char *value = irx_json_str(inputs, "Value");
	struct json_object *root = NULL, *e = NULL, *tags = NULL, *old = NULL;
	const char *prev = NULL;
	char text[1024] = "";
	int rc = -1;

	if (check_arn(ctx, arn) < 0 || state_load(ctx, path, &root) < 0)
		return -1;
	if (!key || !*key || !value) {
		ctx->host->fail(ctx->call, "tagEntity needs a non-empty Key and a Value");
		goto out;
	}
	e = entity_get(root, arn);
	if (e && json_object_object_get_ex(e, "tags", &tags) &&
	    json_object_object_get_ex(tags, key, &old))
		prev = json_object_get_string(old);
	json_object_object_add(res->outputs, "PreviousValue",
			       prev ? json_object_new_string(prev) : NULL);
	if (prev && strcmp(prev, value) == 0) {
		json_object_object_add(res->outputs, "Changed", json_object_new_boolean(0));
		irx_result_summary(res, "Summary", "already tagged");
		rc = 0;
		goto out;
	}
	if (ctx->dry_run) {
		snprintf(text, sizeof(text),
			 "would set tag '%s' to '%s' (was %s%s%s) on '%s' in '%s'", key, value,
			 prev ? "'" : "", prev ? prev : "unset", prev ? "'" : "", arn, path);
		json_object_object_add(res->outputs, "Changed", json_object_new_boolean(0));
		irx_result_summary(res, "PlannedChange", text);
		rc = 0;
		goto out;
	}
	/* The undo record first: it is what makes the change reversible. */
	json_object_object_add(res->undo, "StateFile", json_object_new_string(path));
	json_object_object_add(res->undo, "TargetArn", json_object_new_string(arn));
	json_object_object_add(res->undo, "Key", json_object_new_string(key));
	json_object_object_add(res->undo, "PreviousValue",
			       prev ? json_object_new_string(prev) : NULL);
	e = entity_ensure(root, arn);
	if (!json_object_object_get_ex(e, "tags", &tags)) {
		tags = json_object_new_object();
		json_object_object_add(e, "tags", tags);
	}
	json_object_object_add(tags, key, json_object_new_string(value));
	if (state_save(ctx, path, root) < 0)
		goto out;
	json_object_object_add(res->outputs, "Changed", json_object_new_boolean(1));
	snprintf(text, sizeof(text), "tagged '%s' with %s=%s", arn, key, value);
	irx_result_summary(res, "Summary", text);
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

static int untag_entity(const struct irx_context *ctx, struct json_object *undo,
			struct irx_result *res)
{
	const char *arn = irx_json_str(undo, "TargetArn");
	const char *path = irx_json_str(undo, "StateFile");
	const char *key = irx_json_str(undo, "Key");
	const char *prev = irx_json_str(undo, "PreviousValue");
	struct json_object *root = NULL, *e = NULL, *tags = NULL;
	char text[1024] = "";
	int rc = -1;

	if (!arn || !path || !key)
		return ctx->host->fail(ctx->call, "undo record lacks TargetArn, StateFile or Key");
	if (ctx->dry_run) {
		if (prev)
			snprintf(text, sizeof(text),
				 "would set tag '%s' back to '%s' on '%s' in '%s'", key, prev, arn,
				 path);
		else
			snprintf(text, sizeof(text), "would remove tag '%s' from '%s' in '%s'", key,
				 arn, path);
		irx_result_summary(res, "PlannedChange", text);
		return 0;
	}
	if (state_load(ctx, path, &root) < 0)
		return -1;
	e = entity_get(root, arn);
	if (e && json_object_object_get_ex(e, "tags", &tags)) {
		if (prev)
			json_object_object_add(tags, key, json_object_new_string(prev));
		else
			json_object_object_del(tags, key);
		entity_drop_if_empty(root, arn);
	} else if (prev) {
		e = entity_ensure(root, arn);
		tags = json_object_new_object();
		json_object_object_add(tags, key, json_object_new_string(prev));
		json_object_object_add(e, "tags", tags);
	}
	if (state_save(ctx, path, root) < 0)
		goto out;
	irx_result_summary(res, "Summary", prev ? "tag restored" : "tag removed");
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

/* --- demo:quarantine ----------------------------------------------------------- */

static int quarantine(const struct irx_context *ctx, struct json_object *inputs,
		      struct irx_result *res)
{
	const char *arn = irx_json_str(inputs, "TargetArn");
	const char *path = irx_json_str(inputs, "StateFile");
	const char *reason = irx_json_str(inputs, "Reason");
	struct json_object *root = NULL, *e = NULL;
	bool was = false;
	char text[1024] = "";
	int rc = -1;

	if (check_arn(ctx, arn) < 0 || state_load(ctx, path, &root) < 0)
		return -1;
	if (!reason)
		reason = "contained by irx";
	e = entity_get(root, arn);
	was = e && irx_json_bool(e, "quarantined");
	json_object_object_add(res->outputs, "PreviouslyQuarantined", json_object_new_boolean(was));
	if (was) {
		json_object_object_add(res->outputs, "Changed", json_object_new_boolean(0));
		irx_result_summary(res, "Summary", "already quarantined");
		rc = 0;
		goto out;
	}
	if (ctx->dry_run) {
		snprintf(text, sizeof(text),
			 "would quarantine '%s' in '%s': set \"quarantined\" to true, reason '%s'",
			 arn, path, reason);
		json_object_object_add(res->outputs, "Changed", json_object_new_boolean(0));
		irx_result_summary(res, "PlannedChange", text);
		rc = 0;
		goto out;
	}
	json_object_object_add(res->undo, "StateFile", json_object_new_string(path));
	json_object_object_add(res->undo, "TargetArn", json_object_new_string(arn));
	json_object_object_add(res->undo, "EntityExisted", json_object_new_boolean(e != NULL));
	e = entity_ensure(root, arn);
	json_object_object_add(e, "quarantined", json_object_new_boolean(1));
	json_object_object_add(e, "quarantineReason", json_object_new_string(reason));
	json_object_object_add(e, "quarantinedBy",
			       json_object_new_string(ctx->execution_id ? ctx->execution_id : ""));
	if (ctx->case_id && *ctx->case_id)
		json_object_object_add(e, "case", json_object_new_string(ctx->case_id));
	if (state_save(ctx, path, root) < 0)
		goto out;
	/* The step's message says what changed; the log says where it is recorded. */
	ctx->host->log(ctx->call, IRX_LOG_DEBUG, "wrote state file '%s'", path);
	json_object_object_add(res->outputs, "Changed", json_object_new_boolean(1));
	snprintf(text, sizeof(text), "quarantined '%s'", arn);
	irx_result_summary(res, "Summary", text);
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

static int release(const struct irx_context *ctx, struct json_object *undo, struct irx_result *res)
{
	const char *arn = irx_json_str(undo, "TargetArn");
	const char *path = irx_json_str(undo, "StateFile");
	struct json_object *root = NULL, *e = NULL;
	char text[1024] = "";
	int rc = -1;

	if (!arn || !path)
		return ctx->host->fail(ctx->call, "undo record lacks TargetArn or StateFile");
	if (ctx->dry_run) {
		snprintf(text, sizeof(text), "would release '%s' from quarantine in '%s'", arn,
			 path);
		irx_result_summary(res, "PlannedChange", text);
		return 0;
	}
	if (state_load(ctx, path, &root) < 0)
		return -1;
	e = entity_get(root, arn);
	if (e) {
		json_object_object_del(e, "quarantined");
		json_object_object_del(e, "quarantineReason");
		json_object_object_del(e, "quarantinedBy");
		json_object_object_del(e, "case");
		if (!irx_json_bool(undo, "EntityExisted"))
			entity_drop_if_empty(root, arn);
	}
	if (state_save(ctx, path, root) < 0)
		goto out;
	snprintf(text, sizeof(text), "released '%s'", arn);
	irx_result_summary(res, "Summary", text);
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

static const struct irx_param describe_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "the entity's ARN"},
    {"StateFile", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "the demo state file (JSON)"},
    {0},
};

static const struct irx_param tag_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "the entity's ARN"},
    {"StateFile", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "the demo state file (JSON; created when missing)"},
    {"Key", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "tag key"},
    {"Value", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "tag value"},
    {0},
};

static const struct irx_param quarantine_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL, "the entity's ARN"},
    {"StateFile", IRX_PARAM_STRING, IRX_PARAM_REQUIRED, NULL,
     "the demo state file (JSON; created when missing)"},
    {"Reason", IRX_PARAM_STRING, 0, "contained by irx", "why it is quarantined"},
    {0},
};

static const struct irx_action demo_actions[] = {
    {"describeEntity", "report an entity's quarantine state and tags", IRX_ACTION_IDEMPOTENT,
     describe_params, describe_entity, NULL},
    {"tagEntity", "set a tag on an entity", IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, tag_params,
     tag_entity, untag_entity},
    {"quarantine", "mark an entity quarantined", IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT,
     quarantine_params, quarantine, release},
    {0},
};

IRX_PLUGIN_DEFINE("demo", "0.1.0", "Apache-2.0", demo_actions, NULL, NULL)
