/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The snapshot plugin: evidence capture of EBS volumes.
 *
 *   snapshot:ec2Instance  every EBS volume of an instance in one crash-consistent set
 *                         (ec2 CreateSnapshots, InstanceSpecification, boot volume included)
 *   snapshot:volume       one volume (ec2 CreateSnapshot)
 *
 * Both tag what they create (irx:execution-id, irx:case-id, irx:action, irx:source-instance or
 * irx:source-volume), wait for completion with progress (DescribeSnapshots polled through
 * host->sleep with backoff, so the step's deadline and cancellation stop the wait), and can
 * then copy the snapshots under a customer managed KMS key (CopySnapshot Encrypted=true
 * KmsKeyId) and share them with a forensic account (ModifySnapshotAttribute
 * createVolumePermission add). Snapshots under the AWS managed key aws/ebs cannot be shared
 * (its key policy cannot grant another account): sharing them is refused with that reason.
 *
 * Idempotence: snapshots belong to an execution. A re-run in the same execution finds them by
 * their tags (DescribeSnapshots, owner self, tag:irx:execution-id + tag:irx:action + source)
 * and reuses them, and their copies (tagged irx:source-snapshot); a share that is already in
 * place is not added again. A second run makes read calls only.
 *
 * Rollback: snapshots are evidence and are never deleted. Rollback removes the share
 * permissions the step added (reading the live permissions first) and reports the snapshots
 * it kept.
 *
 * Copy to another region (CopyToRegion): CopySnapshot is called in the destination region
 * (host->aws_call_in) for each snapshot (or its KMS copy), tagged like the originals and found
 * again by those tags on a re-run. The copies are not waited for: they complete in the
 * background, and they are evidence too, so rollback keeps them.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irx/plugin.h"
#include "irx/plugin_util.h"

#define TAG_EXEC "irx:execution-id"
#define TAG_CASE "irx:case-id"
#define TAG_ACTION "irx:action"
#define TAG_INSTANCE "irx:source-instance"
#define TAG_VOLUME "irx:source-volume"
#define TAG_SOURCE_SNAPSHOT "irx:source-snapshot"

#define ACTION_INSTANCE "snapshot:ec2Instance"
#define ACTION_VOLUME "snapshot:volume"

/* Polling: 5 s, then x1.5 per poll, capped at a minute. */
#define POLL_FIRST_MS 5000LL
#define POLL_MAX_MS 60000LL

#define AWS_EBS_REFUSAL                                                                            \
	"snapshots encrypted with the AWS managed key 'aws/ebs' cannot be shared: copy them with " \
	"a customer managed key (KmsKeyId) first"

#define TEXT_MAX 4096

/* --- small helpers ------------------------------------------------------------------------ */

static bool jbool(struct json_object *obj, const char *key, bool dflt)
{
	struct json_object *v = NULL;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v)
		return dflt;
	return json_object_get_boolean(v);
}

/* arr[i], or NULL when arr is not an array or too short. */
static struct json_object *jidx(struct json_object *arr, size_t i)
{
	if (!arr || !json_object_is_type(arr, json_type_array) ||
	    i >= json_object_array_length(arr))
		return NULL;
	return json_object_array_get_idx(arr, i);
}

/* Appends printf text to buf (size TEXT_MAX), truncating quietly. */
static void appendf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void appendf(char *buf, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= TEXT_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, TEXT_MAX - n, fmt, ap);
	va_end(ap);
}

/* The value of tag key in an EC2 Tags list, or NULL. */
static const char *tag_value(struct json_object *obj, const char *key)
{
	return irx_json_str(irx_json_array_find(irx_json_array(obj, "Tags"), "Key", key), "Value");
}

/* prefix followed by 8 or 17 lowercase hex digits: "i-0abc...", "vol-...", "snap-...". */
static bool valid_id(const char *s, const char *prefix)
{
	size_t p = strlen(prefix), n = 0;

	if (strncmp(s, prefix, p) != 0)
		return false;
	for (s += p; *s; s++, n++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return false;
	return n == 8 || n == 17;
}

/*
 * The resource id from an EC2 ARN (arn:PARTITION:ec2:REGION:ACCOUNT:TYPE/ID) or a bare id.
 * Writes it to out (size len); returns 0, or -1 after host->fail.
 */
static int parse_target(const struct irx_context *ctx, const char *target, const char *type,
			const char *prefix, char *out, size_t len)
{
	const char *id = target;
	char want[32] = "";

	if (!target || !*target)
		return ctx->host->fail(ctx->call, "TargetArn is empty");
	if (strncmp(target, "arn:", 4) == 0) {
		/* arn:PARTITION:ec2:REGION:ACCOUNT:TYPE/ID */
		const char *p = target, *service = NULL;
		int colons = 0;

		while (*p && colons < 5) {
			if (*p++ == ':' && ++colons == 2)
				service = p;
		}
		snprintf(want, sizeof(want), "%s/", type);
		if (colons < 5 || !service || strncmp(service, "ec2:", 4) != 0 ||
		    strncmp(p, want, strlen(want)) != 0)
			return ctx->host->fail(ctx->call, "'%s' is not an EC2 %s ARN", target,
					       type);
		id = p + strlen(want);
	}
	if (!valid_id(id, prefix))
		return ctx->host->fail(ctx->call, "'%s' does not name an EC2 %s (expected '%s…')",
				       target, type, prefix);
	snprintf(out, len, "%s", id);
	return 0;
}

static bool valid_account(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isdigit((unsigned char)s[n]))
			return false;
	return n == 12;
}

/* The AWS managed EBS key named by alias (a key id or ARN is checked with DescribeKey). */
static bool is_aws_ebs_alias(const char *key)
{
	size_t n = strlen(key);
	const char *suffix = ":alias/aws/ebs";

	return strcmp(key, "alias/aws/ebs") == 0 ||
	       (n > strlen(suffix) && strcmp(key + n - strlen(suffix), suffix) == 0);
}

/* --- one run ------------------------------------------------------------------------------ */

struct run {
	const struct irx_context *ctx;
	struct irx_result *res;
	const char *action;	/* ACTION_INSTANCE or ACTION_VOLUME */
	const char *source_tag; /* TAG_INSTANCE or TAG_VOLUME */
	char source[64];	/* i-... or vol-... */
	char subject[96];	/* "instance 'i-1'" */
	bool wait;
	const char *kms_key; /* NULL = no copy */
	const char *share;   /* NULL = no share */
	const char *region_copy; /* NULL = no copy to another region */
	const char *description;
	struct json_object *snaps;  /* owned: originals, DescribeSnapshots-shaped */
	struct json_object *copies; /* owned: copies under kms_key, same order as snaps */
	struct json_object *region_copies; /* owned: ids of the copies in region_copy */
	struct json_object *keys;   /* owned: KMS key id -> "AWS" / "CUSTOMER" */
	bool reused, copies_reused;
	int shares_added, shares_present;
	char store_note[256]; /* what cannot be snapshotted */
};

static void run_free(struct run *r)
{
	json_object_put(r->snaps);
	json_object_put(r->copies);
	json_object_put(r->region_copies);
	json_object_put(r->keys);
}

static int checkpoint(struct run *r)
{
	if (r->ctx->host->checkpoint(r->ctx->call, r->res->undo) < 0)
		return r->ctx->host->fail(r->ctx->call,
					  "cannot journal the undo record of %s before changing it",
					  r->subject);
	return 0;
}

/* TagSpecifications for a snapshot this run creates; source_snapshot for copies. */
static struct json_object *tag_specs(struct run *r, const char *source_snapshot)
{
	struct json_object *tags = json_object_new_array();
	struct json_object *spec = json_object_new_object();
	struct json_object *specs = json_object_new_array();

	json_object_array_add(
	    tags, irx_json_strings("Key", TAG_EXEC, "Value", r->ctx->execution_id, NULL));
	if (r->ctx->case_id && *r->ctx->case_id)
		json_object_array_add(
		    tags, irx_json_strings("Key", TAG_CASE, "Value", r->ctx->case_id, NULL));
	json_object_array_add(tags, irx_json_strings("Key", TAG_ACTION, "Value", r->action, NULL));
	json_object_array_add(tags,
			      irx_json_strings("Key", r->source_tag, "Value", r->source, NULL));
	if (source_snapshot)
		json_object_array_add(tags, irx_json_strings("Key", TAG_SOURCE_SNAPSHOT, "Value",
							     source_snapshot, NULL));
	json_object_object_add(spec, "ResourceType", json_object_new_string("snapshot"));
	json_object_object_add(spec, "Tags", tags);
	json_object_array_add(specs, spec);
	return specs;
}

static struct json_object *filter(const char *name, const char *value)
{
	struct json_object *f = json_object_new_object();
	struct json_object *v = json_object_new_array();

	json_object_array_add(v, json_object_new_string(value));
	json_object_object_add(f, "Name", json_object_new_string(name));
	json_object_object_add(f, "Values", v);
	return f;
}

/*
 * ec2 DescribeSnapshots with params (borrowed; NextToken added while paging). Appends every
 * snapshot to out. Returns 0 or -1.
 */
static int describe_snapshots(struct run *r, struct json_object *params, struct json_object *out)
{
	struct json_object *resp = NULL, *page = json_object_get(params);
	const char *next = NULL;
	int rc = -1;

	for (;;) {
		struct json_object *list = NULL;
		size_t n = 0;

		if (r->ctx->host->aws_call(r->ctx->call, "ec2", "DescribeSnapshots", page, &resp) <
		    0)
			goto out;
		list = irx_json_array(resp, "Snapshots");
		n = list ? json_object_array_length(list) : 0;
		for (size_t i = 0; i < n; i++)
			json_object_array_add(out,
					      json_object_get(json_object_array_get_idx(list, i)));
		next = irx_json_str(resp, "NextToken");
		if (!next || !*next)
			break;
		/* A fresh object per page: the host may keep the params it was given. */
		json_object_put(page);
		page = NULL;
		json_object_deep_copy(params, &page, NULL);
		json_object_object_add(page, "NextToken", json_object_new_string(next));
		json_object_put(resp);
		resp = NULL;
	}
	rc = 0;
out:
	json_object_put(resp);
	json_object_put(page);
	return rc;
}

/*
 * The snapshots this execution already made of this source (not in state error): originals
 * into r->snaps, copies (tagged irx:source-snapshot) into *copies_out. Returns 0 or -1.
 */
static int find_existing(struct run *r, struct json_object **copies_out)
{
	struct json_object *params = json_object_new_object();
	struct json_object *owners = json_object_new_array();
	struct json_object *filters = json_object_new_array();
	struct json_object *all = json_object_new_array();
	struct json_object *copies = json_object_new_array();
	int rc = -1;

	json_object_array_add(owners, json_object_new_string("self"));
	json_object_array_add(filters, filter("tag:" TAG_EXEC, r->ctx->execution_id));
	json_object_array_add(filters, filter("tag:" TAG_ACTION, r->action));
	if (strcmp(r->source_tag, TAG_INSTANCE) == 0)
		json_object_array_add(filters, filter("tag:" TAG_INSTANCE, r->source));
	else
		json_object_array_add(filters, filter("tag:" TAG_VOLUME, r->source));
	json_object_object_add(params, "OwnerIds", owners);
	json_object_object_add(params, "Filters", filters);
	if (describe_snapshots(r, params, all) < 0)
		goto out;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		struct json_object *s = json_object_array_get_idx(all, i);
		const char *state = irx_json_str(s, "State");

		if (!irx_json_str(s, "SnapshotId") || (state && strcmp(state, "error") == 0))
			continue;
		json_object_array_add(tag_value(s, TAG_SOURCE_SNAPSHOT) ? copies : r->snaps,
				      json_object_get(s));
	}
	*copies_out = copies;
	copies = NULL;
	rc = 0;
out:
	json_object_put(params);
	json_object_put(all);
	json_object_put(copies);
	return rc;
}

static struct json_object *snapshot_ids(struct json_object *snaps)
{
	struct json_object *ids = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(snaps); i++)
		json_object_array_add(ids, json_object_new_string(irx_json_str(
					       json_object_array_get_idx(snaps, i), "SnapshotId")));
	return ids;
}

static void list_ids(char *buf, struct json_object *snaps)
{
	for (size_t i = 0; i < json_object_array_length(snaps); i++)
		appendf(buf, "%s%s", i ? ", " : "",
			irx_json_str(json_object_array_get_idx(snaps, i), "SnapshotId"));
}

static int progress_of(struct json_object *s)
{
	const char *state = irx_json_str(s, "State");
	const char *p = irx_json_str(s, "Progress");

	if (state && strcmp(state, "completed") == 0)
		return 100;
	/* AWS can say 100% before the state turns completed. */
	return p ? (atoi(p) > 99 ? 99 : atoi(p)) : 0;
}

/*
 * Waits until every snapshot in snaps (updated in place) is completed, logging progress.
 * what: "snapshots" / "copies". Returns 0 or -1 (a snapshot in state error, the deadline, a
 * cancellation, or a failed DescribeSnapshots).
 */
static int wait_completed(struct run *r, struct json_object *snaps, const char *what)
{
	long long delay = POLL_FIRST_MS;
	size_t n = json_object_array_length(snaps);

	for (;;) {
		char text[TEXT_MAX] = "";
		size_t done = 0;
		int total = 0;
		struct json_object *params = NULL, *fresh = NULL;

		for (size_t i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(snaps, i);
			const char *state = irx_json_str(s, "State");
			int p = progress_of(s);

			if (state && strcmp(state, "error") == 0)
				return r->ctx->host->fail(r->ctx->call,
							  "snapshot '%s' of %s failed: %s",
							  irx_json_str(s, "SnapshotId"), r->subject,
							  irx_json_str(s, "StateMessage")
							      ? irx_json_str(s, "StateMessage")
							      : "state 'error'");
			done += p == 100;
			total += p;
			appendf(text, "%s%s %d%%", i ? ", " : "", irx_json_str(s, "SnapshotId"), p);
		}
		if (done == n)
			return 0;
		r->ctx->host->log(r->ctx->call, IRX_LOG_INFO,
				  "%s of %s: %zu of %zu completed, %d%% overall (%s)", what,
				  r->subject, done, n, n ? total / (int)n : 100, text);
		if (r->ctx->host->sleep(r->ctx->call, delay) < 0)
			return r->ctx->host->fail(
			    r->ctx->call,
			    "stopped waiting for the %s of %s (deadline or cancellation): %zu of "
			    "%zu completed (%s); they continue in the background and are kept",
			    what, r->subject, done, n, text);
		delay = delay * 3 / 2 > POLL_MAX_MS ? POLL_MAX_MS : delay * 3 / 2;
		params = json_object_new_object();
		json_object_object_add(params, "SnapshotIds", snapshot_ids(snaps));
		fresh = json_object_new_array();
		if (describe_snapshots(r, params, fresh) < 0) {
			json_object_put(params);
			json_object_put(fresh);
			return -1;
		}
		json_object_put(params);
		/* Keep the order of snaps; a snapshot missing from the answer is an error. */
		for (size_t i = 0; i < n; i++) {
			const char *id =
			    irx_json_str(json_object_array_get_idx(snaps, i), "SnapshotId");
			bool found = false;

			for (size_t k = 0; k < json_object_array_length(fresh) && !found; k++) {
				struct json_object *f = json_object_array_get_idx(fresh, k);
				const char *fid = irx_json_str(f, "SnapshotId");

				if (fid && strcmp(fid, id) == 0) {
					json_object_array_put_idx(snaps, i, json_object_get(f));
					found = true;
				}
			}
			if (!found) {
				r->ctx->host->fail(
				    r->ctx->call,
				    "snapshot '%s' of %s disappeared while waiting for "
				    "it",
				    id, r->subject);
				json_object_put(fresh);
				return -1;
			}
		}
		json_object_put(fresh);
	}
}

/*
 * "AWS" when key (an id, ARN or alias) is AWS managed, "CUSTOMER" otherwise; cached in
 * r->keys. Returns NULL after a failure.
 */
static const char *key_manager(struct run *r, const char *key)
{
	struct json_object *params = NULL, *resp = NULL, *meta = NULL;
	const char *cached = irx_json_str(r->keys, key);
	const char *mgr = NULL;

	if (cached)
		return cached;
	if (is_aws_ebs_alias(key)) {
		json_object_object_add(r->keys, key, json_object_new_string("AWS"));
		return irx_json_str(r->keys, key);
	}
	params = json_object_new_object();
	json_object_object_add(params, "KeyId", json_object_new_string(key));
	if (r->ctx->host->aws_call(r->ctx->call, "kms", "DescribeKey", params, &resp) < 0) {
		json_object_put(params);
		return NULL;
	}
	json_object_put(params);
	json_object_object_get_ex(resp, "KeyMetadata", &meta);
	mgr = irx_json_str(meta, "KeyManager");
	json_object_object_add(
	    r->keys, key,
	    json_object_new_string(mgr && strcmp(mgr, "AWS") == 0 ? "AWS" : "CUSTOMER"));
	if (meta && irx_json_str(meta, "KeyState") &&
	    strcmp(irx_json_str(meta, "KeyState"), "Enabled") != 0 && r->kms_key &&
	    strcmp(key, r->kms_key) == 0) {
		r->ctx->host->fail(r->ctx->call,
				   "cannot copy the snapshots of %s under key '%s': "
				   "the key is '%s', not 'Enabled'",
				   r->subject, key, irx_json_str(meta, "KeyState"));
		json_object_put(resp);
		return NULL;
	}
	json_object_put(resp);
	return irx_json_str(r->keys, key);
}

/* --- copy under a customer managed key ------------------------------------------------------ */

/* The copy key must be a customer managed key: checked before anything changes. */
static int check_copy_key(struct run *r)
{
	const char *mgr = NULL;

	if (!r->kms_key)
		return 0;
	mgr = key_manager(r, r->kms_key);
	if (!mgr)
		return -1;
	if (strcmp(mgr, "AWS") == 0)
		return r->ctx->host->fail(
		    r->ctx->call,
		    "cannot copy the snapshots of %s under key '%s': it is an "
		    "AWS managed key; " AWS_EBS_REFUSAL,
		    r->subject, r->kms_key);
	return 0;
}

static int copy_snapshots(struct run *r, struct json_object *existing_copies)
{
	size_t n = json_object_array_length(r->snaps);
	size_t reused = 0;

	if (check_copy_key(r) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(r->snaps, i);
		const char *sid = irx_json_str(s, "SnapshotId");
		struct json_object *params = NULL, *resp = NULL, *copy = NULL;
		const char *cid = NULL;
		char desc[512] = "";

		for (size_t k = 0; k < json_object_array_length(existing_copies) && !copy; k++) {
			struct json_object *c = json_object_array_get_idx(existing_copies, k);
			const char *src = tag_value(c, TAG_SOURCE_SNAPSHOT);

			if (src && strcmp(src, sid) == 0)
				copy = json_object_get(c);
		}
		if (copy) {
			json_object_array_add(r->copies, copy);
			reused++;
			continue;
		}
		snprintf(desc, sizeof(desc), "irx %s: copy of %s under %s", r->ctx->execution_id,
			 sid, r->kms_key);
		params = json_object_new_object();
		json_object_object_add(params, "SourceSnapshotId", json_object_new_string(sid));
		json_object_object_add(params, "SourceRegion",
				       json_object_new_string(r->ctx->region));
		json_object_object_add(params, "Encrypted", json_object_new_boolean(1));
		json_object_object_add(params, "KmsKeyId", json_object_new_string(r->kms_key));
		json_object_object_add(params, "Description", json_object_new_string(desc));
		json_object_object_add(params, "TagSpecifications", tag_specs(r, sid));
		if (checkpoint(r) < 0 || r->ctx->host->aws_call(r->ctx->call, "ec2", "CopySnapshot",
								params, &resp) < 0) {
			json_object_put(params);
			return -1;
		}
		json_object_put(params);
		cid = irx_json_str(resp, "SnapshotId");
		if (r->ctx->dry_run) {
			snprintf(desc, sizeof(desc), "(copy of %s)", sid);
			cid = desc;
		} else if (!cid) {
			json_object_put(resp);
			return r->ctx->host->fail(
			    r->ctx->call, "CopySnapshot of '%s' returned no SnapshotId", sid);
		}
		copy = json_object_new_object();
		json_object_object_add(copy, "SnapshotId", json_object_new_string(cid));
		json_object_object_add(copy, "State", json_object_new_string("pending"));
		json_object_object_add(copy, "Encrypted", json_object_new_boolean(1));
		json_object_object_add(copy, "KmsKeyId", json_object_new_string(r->kms_key));
		json_object_array_add(r->copies, copy);
		if (!r->ctx->dry_run)
			json_object_array_add(irx_undo_list(r->res->undo, "CopiedSnapshotIds"),
					      json_object_new_string(cid));
		json_object_put(resp); /* cid may point into it */
	}
	r->copies_reused = n > 0 && reused == n;
	if (r->ctx->dry_run)
		return 0;
	return wait_completed(r, r->copies, "copies");
}

/* --- copy to another region ------------------------------------------------------------------ */

/* "eu-west-1": a region names a host, so nothing else passes. */
static bool valid_region(const char *s)
{
	size_t n = strlen(s), dashes = 0;

	if (n < 4 || n > 32 || !islower((unsigned char)s[0]) || !isdigit((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-')
			dashes++;
		else if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	}
	return dashes >= 2;
}

/* The copy of sid this execution already made in the destination region, or NULL. */
static int find_region_copy(struct run *r, const char *sid, char *id, size_t len)
{
	struct json_object *params = json_object_new_object(), *filters = json_object_new_array();
	struct json_object *resp = NULL, *snaps = NULL;
	int rc = 0;

	id[0] = '\0';
	json_object_array_add(filters, filter("tag:" TAG_EXEC, r->ctx->execution_id));
	json_object_array_add(filters, filter("tag:" TAG_SOURCE_SNAPSHOT, sid));
	json_object_object_add(params, "OwnerIds", json_object_new_array());
	json_object_array_add(json_object_object_get(params, "OwnerIds"),
			      json_object_new_string("self"));
	json_object_object_add(params, "Filters", filters);
	rc = r->ctx->host->aws_call_in(r->ctx->call, r->region_copy, "ec2", "DescribeSnapshots",
				       params, &resp);
	json_object_put(params);
	if (rc < 0)
		return -1;
	snaps = irx_json_array(resp, "Snapshots");
	if (snaps && json_object_array_length(snaps) > 0 &&
	    irx_json_str(jidx(snaps, 0), "SnapshotId"))
		snprintf(id, len, "%s", irx_json_str(jidx(snaps, 0), "SnapshotId"));
	json_object_put(resp);
	return 0;
}

static int copy_to_region(struct run *r, struct json_object *sources)
{
	const struct irx_host *h = r->ctx->host;

	if (!IRX_HOST_HAS(h, aws_call_in))
		return h->fail(r->ctx->call, "cannot copy snapshots to region '%s': this irx "
					     "cannot call AWS in another region",
			       r->region_copy);
	for (size_t i = 0; i < json_object_array_length(sources); i++) {
		const char *sid = irx_json_str(jidx(sources, i), "SnapshotId");
		struct json_object *params = NULL, *resp = NULL;
		char id[64] = "", desc[512] = "";

		if (find_region_copy(r, sid, id, sizeof(id)) < 0)
			return -1;
		if (id[0]) {
			json_object_array_add(r->region_copies, json_object_new_string(id));
			continue;
		}
		snprintf(desc, sizeof(desc), "irx %s: copy of %s from %s", r->ctx->execution_id,
			 sid, r->ctx->region);
		params = json_object_new_object();
		json_object_object_add(params, "SourceSnapshotId", json_object_new_string(sid));
		json_object_object_add(params, "SourceRegion",
				       json_object_new_string(r->ctx->region));
		json_object_object_add(params, "Description", json_object_new_string(desc));
		json_object_object_add(params, "TagSpecifications", tag_specs(r, sid));
		if (checkpoint(r) < 0 || h->aws_call_in(r->ctx->call, r->region_copy, "ec2",
							"CopySnapshot", params, &resp) < 0) {
			json_object_put(params);
			return -1;
		}
		json_object_put(params);
		if (r->ctx->dry_run)
			snprintf(id, sizeof(id), "(copy of %s)", sid);
		else if (irx_json_str(resp, "SnapshotId"))
			snprintf(id, sizeof(id), "%s", irx_json_str(resp, "SnapshotId"));
		json_object_put(resp);
		if (!id[0])
			return h->fail(r->ctx->call, "CopySnapshot of '%s' to '%s' returned no "
						     "SnapshotId",
				       sid, r->region_copy);
		json_object_array_add(r->region_copies, json_object_new_string(id));
		if (!r->ctx->dry_run) {
			struct json_object *u = json_object_new_object();

			json_object_object_add(u, "Region", json_object_new_string(r->region_copy));
			json_object_object_add(u, "SnapshotId", json_object_new_string(id));
			json_object_array_add(irx_undo_list(r->res->undo, "RegionCopies"), u);
		}
	}
	return 0;
}

/* --- share with a forensic account ----------------------------------------------------------- */

/* Refuses before sharing anything when any snapshot is under an AWS managed key. */
static int check_shareable(struct run *r, struct json_object *snaps)
{
	for (size_t i = 0; i < json_object_array_length(snaps); i++) {
		struct json_object *s = json_object_array_get_idx(snaps, i);
		const char *key = irx_json_str(s, "KmsKeyId");
		const char *mgr = NULL;

		if (!jbool(s, "Encrypted", false))
			continue;
		if (!key || !*key)
			key = "alias/aws/ebs"; /* encrypted without a named key: the default key */
		mgr = key_manager(r, key);
		if (!mgr)
			return -1;
		if (strcmp(mgr, "AWS") == 0)
			return r->ctx->host->fail(r->ctx->call,
						  "cannot share snapshot '%s' of %s with account "
						  "'%s': " AWS_EBS_REFUSAL,
						  irx_json_str(s, "SnapshotId"), r->subject,
						  r->share);
	}
	return 0;
}

static bool has_permission(struct json_object *resp, const char *account)
{
	struct json_object *perms = irx_json_array(resp, "CreateVolumePermissions");

	for (size_t i = 0; perms && i < json_object_array_length(perms); i++) {
		const char *u = irx_json_str(json_object_array_get_idx(perms, i), "UserId");

		if (u && strcmp(u, account) == 0)
			return true;
	}
	return false;
}

static int read_permissions(const struct irx_context *ctx, const char *sid,
			    struct json_object **resp)
{
	struct json_object *params = json_object_new_object();
	int rc = 0;

	json_object_object_add(params, "SnapshotId", json_object_new_string(sid));
	json_object_object_add(params, "Attribute",
			       json_object_new_string("createVolumePermission"));
	rc = ctx->host->aws_call(ctx->call, "ec2", "DescribeSnapshotAttribute", params, resp);
	json_object_put(params);
	return rc;
}

static struct json_object *permission_change(const char *sid, const char *op, const char *account)
{
	struct json_object *params = json_object_new_object();
	struct json_object *perm = json_object_new_object();
	struct json_object *list = json_object_new_array();
	struct json_object *cvp = json_object_new_object();

	json_object_object_add(perm, "UserId", json_object_new_string(account));
	json_object_array_add(list, perm);
	json_object_object_add(cvp, op, list);
	json_object_object_add(params, "SnapshotId", json_object_new_string(sid));
	json_object_object_add(params, "Attribute",
			       json_object_new_string("createVolumePermission"));
	json_object_object_add(params, "CreateVolumePermission", cvp);
	return params;
}

static int share_snapshots(struct run *r, struct json_object *snaps)
{
	if (!r->ctx->dry_run && check_shareable(r, snaps) < 0)
		return -1;
	for (size_t i = 0; i < json_object_array_length(snaps); i++) {
		const char *sid = irx_json_str(json_object_array_get_idx(snaps, i), "SnapshotId");
		struct json_object *resp = NULL, *params = NULL, *entry = NULL;
		bool present = false;

		if (!r->ctx->dry_run || strncmp(sid, "snap-", 5) == 0) {
			if (read_permissions(r->ctx, sid, &resp) < 0)
				return -1;
			present = has_permission(resp, r->share);
			json_object_put(resp);
			resp = NULL;
		}
		/* The snapshot is this execution's: a share on it to this account is ours. */
		if (!r->ctx->dry_run) {
			entry = json_object_new_object();
			json_object_object_add(entry, "SnapshotId", json_object_new_string(sid));
			json_object_object_add(entry, "UserId", json_object_new_string(r->share));
			json_object_array_add(irx_undo_list(r->res->undo, "SharedWith"), entry);
		}
		if (present) {
			r->shares_present++;
			continue;
		}
		params = permission_change(sid, "Add", r->share);
		if (checkpoint(r) < 0) {
			json_object_put(params);
			return -1;
		}
		if (r->ctx->host->aws_call(r->ctx->call, "ec2", "ModifySnapshotAttribute", params,
					   &resp) < 0) {
			/* Refused: not shared, so not in the final undo record. */
			struct json_object *list = irx_undo_list(r->res->undo, "SharedWith");

			json_object_array_del_idx(list, json_object_array_length(list) - 1, 1);
			json_object_put(params);
			return -1;
		}
		json_object_put(params);
		json_object_put(resp);
		r->shares_added++;
	}
	return 0;
}

static bool all_completed(struct json_object *snaps)
{
	for (size_t i = 0; i < json_object_array_length(snaps); i++)
		if (progress_of(json_object_array_get_idx(snaps, i)) != 100)
			return false;
	return true;
}

/* --- shared tail of both actions ---------------------------------------------------------- */

/*
 * After r->snaps holds the originals (existing, created, or planned in a dry run): waits,
 * copies, shares, fills outputs and the message.
 */
static int finish(struct run *r, struct json_object *existing_copies, const char *what)
{
	char text[TEXT_MAX] = "";
	struct json_object *to_share = r->snaps;

	if (r->wait && !r->ctx->dry_run && wait_completed(r, r->snaps, "snapshots") < 0)
		return -1;
	if (r->kms_key) {
		if (copy_snapshots(r, existing_copies) < 0)
			return -1;
		to_share = r->copies;
	}
	if (r->share && share_snapshots(r, to_share) < 0)
		return -1;
	if (r->region_copy && copy_to_region(r, to_share) < 0)
		return -1;
	json_object_object_add(r->res->outputs, "SnapshotIds", snapshot_ids(r->snaps));
	json_object_object_add(r->res->outputs, "CopiedSnapshotIds", snapshot_ids(r->copies));
	json_object_object_add(r->res->outputs, "RegionCopySnapshotIds",
			       json_object_get(r->region_copies));

	if (r->ctx->dry_run && !r->reused)
		appendf(text, "would snapshot %s", what);
	else if (r->ctx->dry_run)
		appendf(text,
			"already contained: %s has snapshots from this execution: ", r->subject);
	else if (r->reused)
		appendf(text,
			"already contained: %s has snapshots from this execution: ", r->subject);
	else
		appendf(text, "snapshotted %s: ", what);
	if (!r->ctx->dry_run || r->reused) {
		list_ids(text, r->snaps);
		appendf(text, all_completed(r->snaps) ? " (completed)" : " (pending)");
	}
	if (r->kms_key) {
		appendf(text, "; %s under key '%s'",
			r->ctx->dry_run && !r->copies_reused ? "would copy them" : "copied",
			r->kms_key);
		if (!r->ctx->dry_run || r->copies_reused) {
			appendf(text, ": ");
			list_ids(text, r->copies);
		}
	}
	if (r->share) {
		if (r->ctx->dry_run)
			appendf(text, "; would share them with account '%s'%s", r->share,
				r->kms_key ? "" : " (refused if they are under 'aws/ebs')");
		else if (r->shares_added == 0)
			appendf(text, "; already shared with account '%s'", r->share);
		else
			appendf(text, "; shared with account '%s'", r->share);
	}
	if (r->region_copy) {
		appendf(text, "; %s to region '%s': ",
			r->ctx->dry_run ? "would copy them" : "copying them (in the background)",
			r->region_copy);
		for (size_t i = 0; i < json_object_array_length(r->region_copies); i++)
			appendf(text, "%s%s", i ? ", " : "",
				json_object_get_string(json_object_array_get_idx(r->region_copies, i)));
	}
	if (r->store_note[0])
		appendf(text, "; %s", r->store_note);
	irx_result_summary(r->res, "Summary", text);
	return 0;
}

static int read_common(const struct irx_context *ctx, struct json_object *inputs, struct run *r)
{
	r->ctx = ctx;
	r->wait = jbool(inputs, "WaitForCompletion", true);
	r->kms_key = irx_json_nonempty(inputs, "KmsKeyId");
	r->share = irx_json_nonempty(inputs, "ShareWithAccount");
	r->description = irx_json_nonempty(inputs, "Description");
	r->region_copy = irx_json_nonempty(inputs, "CopyToRegion");
	r->region_copies = json_object_new_array();
	r->snaps = json_object_new_array();
	r->copies = json_object_new_array();
	r->keys = json_object_new_object();
	if (r->share && strcmp(r->share, "all") == 0)
		return ctx->host->fail(ctx->call, "refusing to share evidence with group 'all' "
						  "(public): name a forensic account");
	if (r->share && !valid_account(r->share))
		return ctx->host->fail(
		    ctx->call, "ShareWithAccount '%s' is not a 12-digit account id", r->share);
	if (r->share && ctx->account_id && strcmp(r->share, ctx->account_id) == 0)
		return ctx->host->fail(ctx->call,
				       "ShareWithAccount '%s' is the account the snapshots are in",
				       r->share);
	if (r->region_copy && !valid_region(r->region_copy))
		return ctx->host->fail(ctx->call, "CopyToRegion '%s' is not an AWS region",
				       r->region_copy);
	if (r->region_copy && ctx->region && strcmp(r->region_copy, ctx->region) == 0)
		return ctx->host->fail(ctx->call,
				       "CopyToRegion '%s' is the region the snapshots are in",
				       r->region_copy);
	if (!r->wait && (r->kms_key || r->share || r->region_copy))
		return ctx->host->fail(
		    ctx->call, "WaitForCompletion false cannot be combined with KmsKeyId, "
			       "ShareWithAccount or CopyToRegion: copying and sharing need "
			       "completed snapshots");
	return 0;
}

static void start_undo(struct run *r)
{
	if (r->ctx->dry_run)
		return; /* nothing changes, nothing to undo */
	json_object_object_add(r->res->undo, "Action", json_object_new_string(r->action));
	json_object_object_add(r->res->undo, "Source", json_object_new_string(r->source));
	irx_undo_list(r->res->undo, "SnapshotIds");
	if (r->share)
		json_object_object_add(r->res->undo, "ShareWithAccount",
				       json_object_new_string(r->share));
}

/* --- snapshot:ec2Instance ----------------------------------------------------------------- */

static int instance_store_note(struct run *r, struct json_object *inst)
{
	struct json_object *params = json_object_new_object();
	struct json_object *types = json_object_new_array();
	struct json_object *resp = NULL, *info = NULL, *storage = NULL;
	const char *type = irx_json_str(inst, "InstanceType");
	const char *root_type = irx_json_str(inst, "RootDeviceType");
	int rc = -1;

	if (root_type && strcmp(root_type, "instance-store") == 0)
		snprintf(r->store_note, sizeof(r->store_note),
			 "its root device is instance store, which cannot be snapshotted");
	json_object_object_add(params, "InstanceTypes", types);
	if (!type) {
		rc = 0;
		goto out;
	}
	json_object_array_add(types, json_object_new_string(type));
	if (r->ctx->host->aws_call(r->ctx->call, "ec2", "DescribeInstanceTypes", params, &resp) < 0)
		goto out;
	info = jidx(irx_json_array(resp, "InstanceTypes"), 0);
	if (info && jbool(info, "InstanceStorageSupported", false)) {
		json_object_object_get_ex(info, "InstanceStorageInfo", &storage);
		snprintf(r->store_note, sizeof(r->store_note),
			 "instance store volumes (%d GB on type '%s') cannot be snapshotted: "
			 "capture them from inside the instance before it stops",
			 storage
			     ? json_object_get_int(json_object_object_get(storage, "TotalSizeInGB"))
			     : 0,
			 type);
	}
	rc = 0;
out:
	json_object_put(params);
	json_object_put(resp);
	return rc;
}

/* The instance's EBS volumes: [{"VolumeId","DeviceName"}]. */
static struct json_object *ebs_volumes(struct json_object *inst)
{
	struct json_object *out = json_object_new_array();
	struct json_object *bdm = irx_json_array(inst, "BlockDeviceMappings");

	for (size_t i = 0; bdm && i < json_object_array_length(bdm); i++) {
		struct json_object *m = json_object_array_get_idx(bdm, i);
		struct json_object *ebs = NULL, *v = NULL;

		if (!json_object_object_get_ex(m, "Ebs", &ebs) || !irx_json_str(ebs, "VolumeId"))
			continue;
		v = json_object_new_object();
		json_object_object_add(v, "VolumeId",
				       json_object_new_string(irx_json_str(ebs, "VolumeId")));
		json_object_object_add(v, "DeviceName",
				       json_object_new_string(irx_json_str(m, "DeviceName")
								  ? irx_json_str(m, "DeviceName")
								  : "?"));
		json_object_array_add(out, v);
	}
	return out;
}

static bool covers(struct json_object *snaps, struct json_object *volumes)
{
	for (size_t i = 0; i < json_object_array_length(volumes); i++) {
		const char *vid = irx_json_str(json_object_array_get_idx(volumes, i), "VolumeId");
		bool hit = false;

		for (size_t k = 0; k < json_object_array_length(snaps) && !hit; k++) {
			const char *sv =
			    irx_json_str(json_object_array_get_idx(snaps, k), "VolumeId");

			hit = sv && strcmp(sv, vid) == 0;
		}
		if (!hit)
			return false;
	}
	return json_object_array_length(volumes) > 0;
}

static int snapshot_instance(const struct irx_context *ctx, struct json_object *inputs,
			     struct irx_result *res)
{
	struct run r = {0};
	struct json_object *params = NULL, *resp = NULL, *inst = NULL, *vols = NULL;
	struct json_object *existing_copies = NULL, *spec = NULL, *created = NULL;
	char what[TEXT_MAX] = "", desc[512] = "";
	size_t nvol = 0;
	int rc = -1;

	r.res = res;
	r.action = ACTION_INSTANCE;
	r.source_tag = TAG_INSTANCE;
	if (read_common(ctx, inputs, &r) < 0 ||
	    parse_target(ctx, irx_json_str(inputs, "TargetArn"), "instance", "i-", r.source,
			 sizeof(r.source)) < 0)
		goto out;
	snprintf(r.subject, sizeof(r.subject), "instance '%s'", r.source);

	params = json_object_new_object();
	json_object_object_add(params, "InstanceIds", json_object_new_array());
	json_object_array_add(json_object_object_get(params, "InstanceIds"),
			      json_object_new_string(r.source));
	if (ctx->host->aws_call(ctx->call, "ec2", "DescribeInstances", params, &resp) < 0)
		goto out;
	inst = jidx(irx_json_array(jidx(irx_json_array(resp, "Reservations"), 0), "Instances"), 0);
	if (!inst) {
		ctx->host->fail(ctx->call, "cannot snapshot %s: DescribeInstances does not know it",
				r.subject);
		goto out;
	}
	vols = ebs_volumes(inst);
	nvol = json_object_array_length(vols);
	if (instance_store_note(&r, inst) < 0)
		goto out;
	if (nvol == 0) {
		ctx->host->fail(ctx->call, "cannot snapshot %s: it has no EBS volumes%s%s",
				r.subject, r.store_note[0] ? "; " : "", r.store_note);
		goto out;
	}
	appendf(what, "%zu EBS volume%s of %s (", nvol, nvol == 1 ? "" : "s", r.subject);
	for (size_t i = 0; i < nvol; i++) {
		struct json_object *v = json_object_array_get_idx(vols, i);

		appendf(what, "%s%s %s", i ? ", " : "", irx_json_str(v, "VolumeId"),
			irx_json_str(v, "DeviceName"));
	}
	appendf(what, ")");

	if (check_copy_key(&r) < 0 || find_existing(&r, &existing_copies) < 0)
		goto out;
	start_undo(&r);
	if (covers(r.snaps, vols)) {
		r.reused = true;
		if (!ctx->dry_run)
			json_object_object_add(res->undo, "SnapshotIds", snapshot_ids(r.snaps));
		rc = finish(&r, existing_copies, what);
		goto out;
	}
	/* Not a complete set: take a new crash-consistent one (earlier ones stay as evidence). */
	json_object_put(r.snaps);
	r.snaps = json_object_new_array();
	json_object_put(params);
	params = json_object_new_object();
	spec = json_object_new_object();
	json_object_object_add(spec, "InstanceId", json_object_new_string(r.source));
	json_object_object_add(spec, "ExcludeBootVolume", json_object_new_boolean(0));
	json_object_object_add(params, "InstanceSpecification", spec);
	snprintf(desc, sizeof(desc), "%s", r.description ? r.description : "");
	if (!desc[0])
		snprintf(desc, sizeof(desc), "irx %s: crash-consistent snapshot of %s",
			 ctx->execution_id, r.source);
	json_object_object_add(params, "Description", json_object_new_string(desc));
	json_object_object_add(params, "TagSpecifications", tag_specs(&r, NULL));
	json_object_put(resp);
	resp = NULL;
	if (checkpoint(&r) < 0 ||
	    ctx->host->aws_call(ctx->call, "ec2", "CreateSnapshots", params, &resp) < 0)
		goto out;
	if (ctx->dry_run) {
		/* Nothing was created: the plan continues with placeholders. */
		for (size_t i = 0; i < nvol; i++) {
			struct json_object *s = json_object_new_object();
			char ph[96] = "";

			snprintf(ph, sizeof(ph), "(snapshot of %s)",
				 irx_json_str(json_object_array_get_idx(vols, i), "VolumeId"));
			json_object_object_add(s, "SnapshotId", json_object_new_string(ph));
			json_object_array_add(r.snaps, s);
		}
		rc = finish(&r, existing_copies, what);
		goto out;
	}
	created = irx_json_array(resp, "Snapshots");
	for (size_t i = 0; created && i < json_object_array_length(created); i++) {
		struct json_object *s = json_object_array_get_idx(created, i);

		if (!irx_json_str(s, "SnapshotId"))
			continue;
		json_object_array_add(r.snaps, json_object_get(s));
		json_object_array_add(irx_undo_list(r.res->undo, "SnapshotIds"),
				      json_object_new_string(irx_json_str(s, "SnapshotId")));
	}
	if (checkpoint(&r) < 0)
		goto out;
	if (!covers(r.snaps, vols)) {
		char got[TEXT_MAX] = "";

		list_ids(got, r.snaps);
		ctx->host->fail(
		    ctx->call,
		    "CreateSnapshots on %s did not snapshot every EBS volume: expected %zu, "
		    "got %zu (%s)",
		    r.subject, nvol, json_object_array_length(r.snaps), got);
		goto out;
	}
	rc = finish(&r, existing_copies, what);
out:
	json_object_put(params);
	json_object_put(resp);
	json_object_put(vols);
	json_object_put(existing_copies);
	run_free(&r);
	return rc;
}

/* --- snapshot:volume ---------------------------------------------------------------------- */

static int snapshot_volume(const struct irx_context *ctx, struct json_object *inputs,
			   struct irx_result *res)
{
	struct run r = {0};
	struct json_object *params = NULL, *resp = NULL, *vol = NULL, *ids = NULL;
	struct json_object *existing_copies = NULL, *att = NULL;
	char what[TEXT_MAX] = "", desc[512] = "";
	const char *attached = NULL;
	int rc = -1;

	r.res = res;
	r.action = ACTION_VOLUME;
	r.source_tag = TAG_VOLUME;
	if (read_common(ctx, inputs, &r) < 0 ||
	    parse_target(ctx, irx_json_str(inputs, "TargetArn"), "volume", "vol-", r.source,
			 sizeof(r.source)) < 0)
		goto out;
	snprintf(r.subject, sizeof(r.subject), "volume '%s'", r.source);

	params = json_object_new_object();
	ids = json_object_new_array();
	json_object_array_add(ids, json_object_new_string(r.source));
	json_object_object_add(params, "VolumeIds", ids);
	if (ctx->host->aws_call(ctx->call, "ec2", "DescribeVolumes", params, &resp) < 0)
		goto out;
	vol = jidx(irx_json_array(resp, "Volumes"), 0);
	if (!vol) {
		ctx->host->fail(ctx->call, "cannot snapshot %s: DescribeVolumes does not know it",
				r.subject);
		goto out;
	}
	att = jidx(irx_json_array(vol, "Attachments"), 0);
	attached = irx_json_str(att, "InstanceId");
	appendf(what, "%s", r.subject);
	if (attached)
		appendf(what, " (attached to instance '%s' as %s)", attached,
			irx_json_str(att, "Device") ? irx_json_str(att, "Device") : "?");

	if (check_copy_key(&r) < 0 || find_existing(&r, &existing_copies) < 0)
		goto out;
	start_undo(&r);
	if (json_object_array_length(r.snaps) > 0) {
		/* One snapshot per volume and execution: keep the first. */
		while (json_object_array_length(r.snaps) > 1)
			json_object_array_del_idx(r.snaps, 1, 1);
		r.reused = true;
		if (!ctx->dry_run)
			json_object_object_add(res->undo, "SnapshotIds", snapshot_ids(r.snaps));
		rc = finish(&r, existing_copies, what);
		goto out;
	}
	json_object_put(params);
	params = json_object_new_object();
	snprintf(desc, sizeof(desc), "%s", r.description ? r.description : "");
	if (!desc[0])
		snprintf(desc, sizeof(desc), "irx %s: snapshot of %s", ctx->execution_id, r.source);
	json_object_object_add(params, "VolumeId", json_object_new_string(r.source));
	json_object_object_add(params, "Description", json_object_new_string(desc));
	json_object_object_add(params, "TagSpecifications", tag_specs(&r, NULL));
	json_object_put(resp);
	resp = NULL;
	if (checkpoint(&r) < 0 ||
	    ctx->host->aws_call(ctx->call, "ec2", "CreateSnapshot", params, &resp) < 0)
		goto out;
	if (ctx->dry_run) {
		struct json_object *s = json_object_new_object();

		snprintf(desc, sizeof(desc), "(snapshot of %s)", r.source);
		json_object_object_add(s, "SnapshotId", json_object_new_string(desc));
		json_object_array_add(r.snaps, s);
		rc = finish(&r, existing_copies, what);
		goto out;
	}
	if (!irx_json_str(resp, "SnapshotId")) {
		ctx->host->fail(ctx->call, "CreateSnapshot on %s returned no SnapshotId",
				r.subject);
		goto out;
	}
	json_object_array_add(r.snaps, json_object_get(resp));
	json_object_array_add(irx_undo_list(r.res->undo, "SnapshotIds"),
			      json_object_new_string(irx_json_str(resp, "SnapshotId")));
	if (checkpoint(&r) < 0)
		goto out;
	rc = finish(&r, existing_copies, what);
out:
	json_object_put(params);
	json_object_put(resp);
	json_object_put(existing_copies);
	run_free(&r);
	return rc;
}

/* --- rollback ----------------------------------------------------------------------------- */

static int unshare(const struct irx_context *ctx, struct json_object *undo, struct irx_result *res)
{
	struct json_object *shared = irx_json_array(undo, "SharedWith");
	struct json_object *kept = json_object_new_array();
	struct json_object *removed = json_object_new_array();
	struct json_object *snaps = irx_json_array(undo, "SnapshotIds");
	struct json_object *copies = irx_json_array(undo, "CopiedSnapshotIds");
	char text[TEXT_MAX] = "";
	const char *account = irx_json_str(undo, "ShareWithAccount");
	size_t absent = 0;
	int rc = -1;

	if (!irx_json_str(undo, "Action") || !irx_json_str(undo, "Source")) {
		ctx->host->fail(ctx->call, "undo record lacks Action or Source");
		goto out;
	}
	for (size_t i = 0; snaps && i < json_object_array_length(snaps); i++)
		json_object_array_add(kept, json_object_get(json_object_array_get_idx(snaps, i)));
	for (size_t i = 0; copies && i < json_object_array_length(copies); i++)
		json_object_array_add(kept, json_object_get(json_object_array_get_idx(copies, i)));

	for (size_t i = 0; shared && i < json_object_array_length(shared); i++) {
		struct json_object *e = json_object_array_get_idx(shared, i);
		const char *sid = irx_json_str(e, "SnapshotId"), *user = irx_json_str(e, "UserId");
		struct json_object *resp = NULL, *params = NULL;
		bool present = false;

		if (!sid || !user) {
			ctx->host->fail(ctx->call, "undo record has a share without SnapshotId or "
						   "UserId");
			goto out;
		}
		if (irx_json_array_has(removed, sid))
			continue;
		/* Live state first: a permission already gone is not removed twice. */
		if (read_permissions(ctx, sid, &resp) < 0)
			goto out;
		present = has_permission(resp, user);
		json_object_put(resp);
		resp = NULL;
		if (!present) {
			absent++;
			continue;
		}
		params = permission_change(sid, "Remove", user);
		if (ctx->host->aws_call(ctx->call, "ec2", "ModifySnapshotAttribute", params,
					&resp) < 0) {
			json_object_put(params);
			goto out;
		}
		json_object_put(params);
		json_object_put(resp);
		json_object_array_add(removed, json_object_new_string(sid));
	}
	if (json_object_array_length(removed) > 0)
		appendf(text, "%s the share with account '%s' on %zu snapshot%s",
			ctx->dry_run ? "would remove" : "removed", account ? account : "?",
			json_object_array_length(removed),
			json_object_array_length(removed) == 1 ? "" : "s");
	else if (shared && json_object_array_length(shared) > 0)
		appendf(text, "no share to remove (%zu already gone)", absent);
	else
		appendf(text, "nothing was shared");
	if (json_object_array_length(kept) > 0) {
		appendf(text, "; kept %zu snapshot%s as evidence (", json_object_array_length(kept),
			json_object_array_length(kept) == 1 ? "" : "s");
		for (size_t i = 0; i < json_object_array_length(kept); i++)
			appendf(text, "%s%s", i ? ", " : "",
				json_object_get_string(json_object_array_get_idx(kept, i)));
		appendf(text, "): delete them by hand when the case is closed");
	}
	json_object_object_add(res->outputs, "KeptSnapshotIds", json_object_get(kept));
	json_object_object_add(res->outputs, "UnsharedSnapshotIds", json_object_get(removed));
	irx_result_summary(res, "Summary", text);
	rc = 0;
out:
	json_object_put(kept);
	json_object_put(removed);
	return rc;
}

/* --- the descriptor ----------------------------------------------------------------------- */

#define COMMON_PARAMS                                                                              \
	{"WaitForCompletion", IRX_PARAM_BOOLEAN, 0, "true",                                        \
	 "wait until the snapshots are completed, logging progress (needed to copy or share)"},    \
	    {"KmsKeyId", IRX_PARAM_STRING, 0, NULL,                                                \
	     "copy the snapshots encrypted under this customer managed KMS key (id, ARN or "       \
	     "alias); the copies are what gets shared"},                                           \
	    {"ShareWithAccount", IRX_PARAM_STRING, 0, NULL,                                        \
	     "12-digit forensic account to share the snapshots (or their copies) with; refused "   \
	     "for snapshots under 'aws/ebs'"},                                                     \
	    {"CopyToRegion", IRX_PARAM_STRING, 0, NULL,                                            \
	     "also copy the snapshots (or their KMS copies) to this region, as evidence kept "     \
	     "away from the incident's region"},                                                   \
	{                                                                                          \
		"Description", IRX_PARAM_STRING, 0, NULL,                                          \
		    "snapshot description (default names "                                         \
		    "the execution and the source)"                                                \
	}

static const struct irx_param instance_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the instance: arn:aws:ec2:REGION:ACCOUNT:instance/i-... or i-..."},
    COMMON_PARAMS,
    {0},
};

static const struct irx_param volume_params[] = {
    {"TargetArn", IRX_PARAM_STRING, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE, NULL,
     "the volume: arn:aws:ec2:REGION:ACCOUNT:volume/vol-... or vol-..."},
    COMMON_PARAMS,
    {0},
};

/* The AWS calls of each action, execute and rollback (the host refuses any other). */
static const char *const instance_calls[] = {
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceTypes",
    "ec2:CreateSnapshots",
    "ec2:DescribeSnapshots",
    "kms:DescribeKey",
    "ec2:CopySnapshot",
    "ec2:DescribeSnapshotAttribute",
    "ec2:ModifySnapshotAttribute",
    NULL,
};

static const char *const volume_calls[] = {
    "ec2:DescribeVolumes",
    "ec2:CreateSnapshot",
    "ec2:DescribeSnapshots",
    "kms:DescribeKey",
    "ec2:CopySnapshot",
    "ec2:DescribeSnapshotAttribute",
    "ec2:ModifySnapshotAttribute",
    NULL,
};

static const struct irx_action actions[] = {
    {"ec2Instance",
     "snapshot every EBS volume of an instance (crash-consistent), optionally copy under a "
     "customer managed key and share with a forensic account",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, instance_params, snapshot_instance, unshare,
     instance_calls},
    {"volume", "snapshot one EBS volume, optionally copy and share it",
     IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, volume_params, snapshot_volume, unshare, volume_calls},
    {0},
};

IRX_PLUGIN_DEFINE("snapshot", "1.0.0", "Apache-2.0", actions, NULL, NULL)
