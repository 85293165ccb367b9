/* SPDX-License-Identifier: Apache-2.0 */
/* The fleet journal (fleet_journal.h): fleet ids, its records, and reading it back. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "arn.h"
#include "error.h"
#include "fleet.h"
#include "fleet_journal.h"
#include "journal.h"
#include "node.h"
#include "runbook.h"
#include "util.h"

#ifndef IRX_VERSION
#define IRX_VERSION "0.0.0"
#endif

#define REDACTED "********"
#define PREFIX_LEN (sizeof(IRX_FLEET_ID_PREFIX) - 1)

void irx_fleet_id_new(char buf[IRX_FLEET_ID_LEN + 1])
{
	memcpy(buf, IRX_FLEET_ID_PREFIX, PREFIX_LEN);
	irx_execution_id_new(buf + PREFIX_LEN);
}

int irx_fleet_id_valid(const char *s)
{
	return s && strncmp(s, IRX_FLEET_ID_PREFIX, PREFIX_LEN) == 0 &&
	       irx_execution_id_valid(s + PREFIX_LEN);
}

const struct irx_journal_kind irx_journal_kind_fleet = {
    .dir = "fleets", .noun = "fleet", .valid = irx_fleet_id_valid};

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v)
		   ? v
		   : NULL;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static struct json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

/* ---- records -------------------------------------------------------------------------------- */

static struct json_object *record(const char *type)
{
	struct json_object *r = json_object_new_object();

	add(r, "type", json_object_new_string(type));
	return r;
}

static struct json_object *now_string(void)
{
	char now[32] = "";

	irx_iso8601_now(now);
	return json_object_new_string(now);
}

struct json_object *irx_fleet_record_start(const char *fleet_id, const struct irx_fleet_options *o,
					   const char *const *targets, size_t count,
					   struct json_object *assignments)
{
	struct json_object *r = record("fleet_start"), *t = json_object_new_array();
	const struct irx_exec_options *b = &o->base;

	for (size_t i = 0; i < count; i++)
		json_object_array_add(t, json_object_new_string(targets[i]));
	add(r, "fleet_id", json_object_new_string(fleet_id));
	add(r, "runbook", json_object_new_string(o->rb->name ? o->rb->name : ""));
	add(r, "runbook_path",
	    o->rb->doc && o->rb->doc->file ? json_object_new_string(o->rb->doc->file) : NULL);
	add(r, "targets", t);
	add(r, "assignments", json_object_get(assignments));
	add(r, "dry_run", json_object_new_boolean(b->dry_run));
	add(r, "region", json_object_new_string(b->region ? b->region : ""));
	add(r, "case_id", json_object_new_string(b->case_id ? b->case_id : ""));
	add(r, "max_step_executions", json_object_new_int64(b->max_step_executions));
	add(r, "concurrency", json_object_new_int64(o->concurrency));
	add(r, "per_account", json_object_new_int64(o->per_account));
	add(r, "per_region", json_object_new_int64(o->per_region));
	add(r, "ignore_exceptions", json_object_new_boolean(b->ignore_exceptions));
	add(r, "exception_tag", str_or_null(b->exception_tag));
	add(r, "exception_registry", str_or_null(b->ignore_exceptions ? NULL : b->exception_registry));
	add(r, "profile", str_or_null(o->profile));
	add(r, "role_arn", str_or_null(o->role_arn));
	add(r, "external_id", o->external_id && *o->external_id ? json_object_new_string(REDACTED)
								 : NULL);
	add(r, "start_time", now_string());
	add(r, "irx_version", json_object_new_string(IRX_VERSION));
	return r;
}

struct json_object *irx_fleet_record_target_end(const struct irx_fleet_result *x)
{
	struct json_object *r = record("target_end");

	add(r, "target", json_object_new_string(x->arn));
	add(r, "execution_id", str_or_null(x->execution_id));
	add(r, "account", json_object_new_string(x->account));
	add(r, "region", json_object_new_string(x->region));
	add(r, "outcome", json_object_new_string(irx_fleet_outcome_name(x->outcome)));
	add(r, "status", json_object_new_string(x->status ? x->status : "NotStarted"));
	add(r, "reason", str_or_null(x->reason));
	add(r, "duration_ms", json_object_new_int64(x->duration_ms));
	add(r, "end_time", now_string());
	return r;
}

struct json_object *irx_fleet_record_resume(size_t done, size_t resumed, size_t started,
					    bool forced)
{
	struct json_object *r = record("resume");

	add(r, "resume_time", now_string());
	add(r, "done", json_object_new_int64((int64_t)done));
	add(r, "resumed", json_object_new_int64((int64_t)resumed));
	add(r, "started", json_object_new_int64((int64_t)started));
	add(r, "forced", json_object_new_boolean(forced));
	add(r, "irx_version", json_object_new_string(IRX_VERSION));
	return r;
}

struct json_object *irx_fleet_record_resume_end(const char *const *interrupted, size_t count)
{
	struct json_object *r = record("resume_end"), *t = json_object_new_array();

	for (size_t i = 0; i < count; i++)
		json_object_array_add(t, json_object_new_string(interrupted[i]));
	add(r, "interrupted", t);
	add(r, "end_time", now_string());
	return r;
}

struct json_object *irx_fleet_record_end(const struct irx_fleet_result *results, size_t count,
					 long long duration_ms)
{
	struct json_object *r = record("fleet_end");
	size_t n[4] = {0};

	for (size_t i = 0; i < count; i++)
		n[results[i].outcome]++;
	add(r, "targets", json_object_new_int64((int64_t)count));
	add(r, "contained", json_object_new_int64((int64_t)n[IRX_FLEET_CONTAINED]));
	add(r, "skipped", json_object_new_int64((int64_t)n[IRX_FLEET_SKIPPED]));
	add(r, "failed", json_object_new_int64((int64_t)n[IRX_FLEET_FAILED]));
	add(r, "end_time", now_string());
	add(r, "duration_ms", json_object_new_int64(duration_ms));
	return r;
}

/* ---- reading -------------------------------------------------------------------------------- */

void irx_fleet_state_release(struct irx_fleet_state *s)
{
	if (!s)
		return;
	json_object_put(s->records);
	free(s->targets);
	memset(s, 0, sizeof(*s));
}

const char *irx_fleet_status_static(const char *status)
{
	static const char *const known[] = {"Success", "Failed", "TimedOut",
					    "Cancelled", "NotStarted", NULL};

	for (size_t i = 0; status && known[i]; i++)
		if (strcmp(status, known[i]) == 0)
			return known[i];
	return "Failed";
}

static int outcome_of(const char *s)
{
	for (int o = IRX_FLEET_CONTAINED; o <= IRX_FLEET_FAILED; o++)
		if (s && strcmp(s, irx_fleet_outcome_name((enum irx_fleet_outcome)o)) == 0)
			return o;
	return -1;
}

static int check_start(struct irx_fleet_state *s, struct json_object *rec, char *why,
		       size_t whylen)
{
	static const char *const strings[] = {"runbook", "start_time", NULL};
	struct json_object *t = get(rec, "targets"), *a = get(rec, "assignments");
	const char *id = get_str(rec, "fleet_id");

	for (size_t i = 0; strings[i]; i++)
		if (!get_str(rec, strings[i])) {
			snprintf(why, whylen, "fleet_start has no '%s'", strings[i]);
			return -1;
		}
	if (!id || strcmp(id, s->fleet_id) != 0) {
		snprintf(why, whylen, "fleet_start names fleet '%s', not '%s'", id ? id : "",
			 s->fleet_id);
		return -1;
	}
	if (!json_object_is_type(t, json_type_array) || json_object_array_length(t) == 0) {
		snprintf(why, whylen, "fleet_start's 'targets' is not a list of ARNs");
		return -1;
	}
	if (a && !json_object_is_type(a, json_type_object)) {
		snprintf(why, whylen, "fleet_start's 'assignments' is not an object");
		return -1;
	}
	if (a) {
		json_object_object_foreach(a, key, val)
		{
			if (!json_object_is_type(val, json_type_string)) {
				snprintf(why, whylen, "assignment '%s' is not a string", key);
				return -1;
			}
		}
	}
	s->target_count = json_object_array_length(t);
	s->targets = irx_xcalloc(s->target_count, sizeof(*s->targets));
	for (size_t i = 0; i < s->target_count; i++) {
		struct json_object *v = json_object_array_get_idx(t, i);

		if (!json_object_is_type(v, json_type_string) || !*json_object_get_string(v)) {
			snprintf(why, whylen, "target %zu of fleet_start is not an ARN", i + 1);
			return -1;
		}
		s->targets[i].arn = json_object_get_string(v);
		for (size_t k = 0; k < i; k++)
			if (strcmp(s->targets[k].arn, s->targets[i].arn) == 0) {
				snprintf(why, whylen, "target '%s' is listed twice",
					 s->targets[i].arn);
				return -1;
			}
	}
	return 0;
}

static int check_target_end(struct irx_fleet_state *s, struct json_object *rec, char *why,
			    size_t whylen)
{
	const char *arn = get_str(rec, "target"), *eid = get_str(rec, "execution_id");
	struct irx_fleet_target_state *t = NULL;

	if (!arn) {
		snprintf(why, whylen, "target_end has no 'target'");
		return -1;
	}
	for (size_t i = 0; i < s->target_count && !t; i++)
		if (strcmp(s->targets[i].arn, arn) == 0)
			t = &s->targets[i];
	if (!t) {
		snprintf(why, whylen, "target '%s' is not one of the fleet's targets", arn);
		return -1;
	}
	if (t->end) {
		snprintf(why, whylen, "a second target_end for '%s'", arn);
		return -1;
	}
	if (outcome_of(get_str(rec, "outcome")) < 0) {
		snprintf(why, whylen, "target_end of '%s': 'outcome' is not contained, skipped or "
				      "failed",
			 arn);
		return -1;
	}
	if (get(rec, "execution_id") && !(eid && irx_execution_id_valid(eid))) {
		snprintf(why, whylen, "target_end of '%s': 'execution_id' is not an execution id",
			 arn);
		return -1;
	}
	t->end = rec;
	return 0;
}

int irx_fleet_state_parse(const char *name, const char *fleet_id, struct json_object *records,
			  struct irx_fleet_state *s, struct irx_error *err)
{
	size_t n = json_object_array_length(records);
	char why[512] = "";
	size_t line = 0;

	memset(s, 0, sizeof(*s));
	s->records = records;
	snprintf(s->fleet_id, sizeof(s->fleet_id), "%s", fleet_id ? fleet_id : "");
	if (n == 0) {
		irx_error_set(err, IRX_ERR_PARSE, "fleet journal '%s' is empty", name);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *rec = json_object_array_get_idx(records, i);
		const char *type = get_str(rec, "type");

		line = i + 1;
		if (!type) {
			snprintf(why, sizeof(why), "a record without a 'type'");
			goto bad;
		}
		if (i == 0 && strcmp(type, "fleet_start") != 0) {
			snprintf(why, sizeof(why), "the first record is '%s', not fleet_start", type);
			goto bad;
		}
		/* a fleet that ended can still be rolled back */
		if (s->end && strcmp(type, "rollback") != 0) {
			snprintf(why, sizeof(why), "a '%s' record after fleet_end", type);
			goto bad;
		}
		if (strcmp(type, "fleet_start") == 0) {
			if (i != 0) {
				snprintf(why, sizeof(why), "a second fleet_start");
				goto bad;
			}
			s->start = rec;
			if (check_start(s, rec, why, sizeof(why)) < 0)
				goto bad;
		} else if (strcmp(type, "target_end") == 0) {
			if (check_target_end(s, rec, why, sizeof(why)) < 0)
				goto bad;
		} else if (strcmp(type, "resume") == 0) {
			s->resumes++;
		} else if (strcmp(type, "resume_end") == 0) {
			/* informational */
		} else if (strcmp(type, "fleet_end") == 0) {
			s->end = rec;
		} else if (strcmp(type, "rollback") == 0) {
			if (!json_object_is_type(get(rec, "executions"), json_type_array)) {
				snprintf(why, sizeof(why), "rollback's 'executions' is not a list");
				goto bad;
			}
			s->rollback = rec;
			s->rollbacks++;
		} else {
			snprintf(why, sizeof(why), "unknown record type '%s'", type);
			goto bad;
		}
	}
	return 0;
bad:
	irx_error_set(err, IRX_ERR_PARSE, "fleet journal '%s' line %zu: %s", name, line, why);
fail:
	irx_fleet_state_release(s);
	return -1;
}

int irx_fleet_state_read(const char *state_dir, const char *fleet_id, struct irx_fleet_state *s,
			 struct irx_error *err)
{
	struct json_object *records = NULL;
	char *path = NULL;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (!irx_fleet_id_valid(fleet_id)) {
		irx_error_set(err, IRX_ERR_INVALID, "'%s' is not a fleet id", fleet_id ? fleet_id : "");
		return -1;
	}
	records = irx_journal_read_kind(&irx_journal_kind_fleet, state_dir, fleet_id, NULL, err);
	if (!records)
		return -1;
	path = irx_xasprintf("%s/%s/%s.jsonl", state_dir, irx_journal_kind_fleet.dir, fleet_id);
	rc = irx_fleet_state_parse(path, fleet_id, records, s, err);
	free(path);
	return rc;
}

struct find_ctx {
	const char *state_dir;
	struct irx_fleet_state *s;
};

static void find_one(void *ud, const char *id)
{
	struct find_ctx *c = ud;
	struct json_object *first = irx_journal_read_first(c->state_dir, id);
	const char *type = get_str(first, "type"), *fleet = get_str(first, "fleet_id");
	const char *arn = get_str(get(first, "parameters"), "TargetArn");

	if (type && strcmp(type, "execution_start") == 0 && fleet &&
	    strcmp(fleet, c->s->fleet_id) == 0 && arn) {
		for (size_t i = 0; i < c->s->target_count; i++) {
			struct irx_fleet_target_state *t = &c->s->targets[i];

			/* newest first: an older one (there should be none) does not win */
			if (strcmp(t->arn, arn) == 0 && !t->execution_id[0])
				snprintf(t->execution_id, sizeof(t->execution_id), "%s", id);
		}
	}
	json_object_put(first);
}

int irx_fleet_state_find_executions(const char *state_dir, struct irx_fleet_state *s,
				    struct irx_error *err)
{
	struct find_ctx c = {.state_dir = state_dir, .s = s};

	return irx_journal_list(state_dir, find_one, &c, err);
}

void irx_fleet_result_from_record(struct json_object *rec, struct irx_fleet_result *r)
{
	struct json_object *d = get(rec, "duration_ms");

	snprintf(r->execution_id, sizeof(r->execution_id), "%s",
		 get_str(rec, "execution_id") ? get_str(rec, "execution_id") : "");
	if (get_str(rec, "account"))
		snprintf(r->account, sizeof(r->account), "%s", get_str(rec, "account"));
	if (get_str(rec, "region"))
		snprintf(r->region, sizeof(r->region), "%s", get_str(rec, "region"));
	r->outcome = (enum irx_fleet_outcome)outcome_of(get_str(rec, "outcome"));
	r->status = irx_fleet_status_static(get_str(rec, "status"));
	free(r->reason);
	r->reason = get_str(rec, "reason") ? irx_xstrdup(get_str(rec, "reason")) : NULL;
	r->duration_ms = json_object_is_type(d, json_type_int) ? json_object_get_int64(d) : 0;
}

int irx_fleet_execution_result(const char *state_dir, const char *execution_id,
			       struct irx_fleet_result *r, struct irx_error *err)
{
	struct json_object *recs = irx_journal_read(state_dir, execution_id, NULL, err);
	struct json_object *end = NULL;
	char *skipped = NULL;

	if (!recs)
		return -1;
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *rec = json_object_array_get_idx(recs, i);
		const char *type = get_str(rec, "type");

		if (type && strcmp(type, "execution_end") == 0)
			end = rec;
		/* only an exception skips a step (core/executor.c) */
		if (type && strcmp(type, "step_end") == 0 && get_str(rec, "status") &&
		    strcmp(get_str(rec, "status"), "Skipped") == 0) {
			char *next = irx_xasprintf(
			    "%s%sstep '%s': %s", skipped ? skipped : "", skipped ? "; " : "",
			    get_str(rec, "step") ? get_str(rec, "step") : "",
			    get_str(rec, "message") ? get_str(rec, "message") : "");

			free(skipped);
			skipped = next;
		}
	}
	if (!end) {
		free(skipped);
		json_object_put(recs);
		return 0;
	}
	snprintf(r->execution_id, sizeof(r->execution_id), "%s", execution_id);
	r->status = irx_fleet_status_static(get_str(end, "status"));
	r->duration_ms = json_object_get_int64(get(end, "duration_ms"));
	free(r->reason);
	r->reason = NULL;
	if (strcmp(r->status, "Success") != 0) {
		r->outcome = IRX_FLEET_FAILED;
		r->reason = irx_xstrdup(get_str(end, "failure_message") ? get_str(end, "failure_message")
									: r->status);
		free(skipped);
	} else if (skipped) {
		r->outcome = IRX_FLEET_SKIPPED;
		r->reason = skipped;
	} else {
		r->outcome = IRX_FLEET_CONTAINED;
	}
	json_object_put(recs);
	return 1;
}

/* ---- rollback, listing, describing ----------------------------------------------------------- */

struct json_object *irx_fleet_record_rollback(const char *start_time,
					      struct json_object *executions)
{
	static const char *const outcomes[] = {"rolled-back", "nothing-to-undo",
					       "already-rolled-back", "failed"};
	static const char *const keys[] = {"rolled_back", "nothing_to_undo", "already_rolled_back",
					   "failed"};
	struct json_object *r = record("rollback");
	int64_t n[4] = {0};

	for (size_t i = 0; i < json_object_array_length(executions); i++) {
		const char *o = get_str(json_object_array_get_idx(executions, i), "outcome");

		for (size_t k = 0; o && k < 4; k++)
			n[k] += strcmp(o, outcomes[k]) == 0;
	}
	add(r, "start_time", json_object_new_string(start_time ? start_time : ""));
	add(r, "end_time", now_string());
	for (size_t k = 0; k < 4; k++)
		add(r, keys[k], json_object_new_int64(n[k]));
	add(r, "executions", executions);
	add(r, "irx_version", json_object_new_string(IRX_VERSION));
	return r;
}

struct listed {
	char id[IRX_FLEET_ID_LEN + 1];
	char start[40];
};

static int newest_first(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	int c = strcmp(y->start, x->start);

	return c ? c : strcmp(y->id, x->id);
}

int irx_fleet_list(const char *state_dir, void (*fn)(void *ud, const char *fleet_id), void *ud,
		   struct irx_error *err)
{
	char *dir = irx_xasprintf("%s/%s", state_dir, irx_journal_kind_fleet.dir);
	struct listed *l = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e = NULL;

	if (!d) {
		int missing = errno == ENOENT;

		if (!missing)
			irx_error_set(err, IRX_ERR_IO, "cannot read '%s': %s", dir, strerror(errno));
		free(dir);
		return missing ? 0 : -1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct json_object *recs = NULL;
		struct irx_error ignored = {0};
		char id[IRX_FLEET_ID_LEN + 1] = "";

		if (len != IRX_FLEET_ID_LEN + 6 || strcmp(e->d_name + IRX_FLEET_ID_LEN, ".jsonl") != 0)
			continue;
		memcpy(id, e->d_name, IRX_FLEET_ID_LEN);
		if (!irx_fleet_id_valid(id))
			continue;
		l = irx_xrealloc(l, (n + 1) * sizeof(*l));
		memset(&l[n], 0, sizeof(l[n]));
		memcpy(l[n].id, id, sizeof(id));
		recs = irx_journal_read_kind(&irx_journal_kind_fleet, state_dir, id, NULL, &ignored);
		if (get_str(json_object_array_get_idx(recs, 0), "start_time"))
			snprintf(l[n].start, sizeof(l[n].start), "%s",
				 get_str(json_object_array_get_idx(recs, 0), "start_time"));
		json_object_put(recs);
		n++;
	}
	closedir(d);
	free(dir);
	if (n)
		qsort(l, n, sizeof(*l), newest_first);
	for (size_t i = 0; i < n; i++)
		fn(ud, l[i].id);
	free(l);
	return 0;
}

/* Milliseconds since the epoch of an irx timestamp ("2026-01-02T03:04:05.678Z"), or -1. */
static long long iso_ms(const char *s)
{
	struct tm tm = {0};
	int ms = 0, used = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return -1;
	if (s[used] == '.')
		ms = atoi(s + used + 1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000 + ms;
}

/* The step an interrupted execution was in (a step_start without its step_end), or NULL. */
static char *open_step(const char *state_dir, const char *id)
{
	struct irx_error ignored = {0};
	struct json_object *recs = irx_journal_read(state_dir, id, NULL, &ignored);
	const char *step = NULL;
	char *out = NULL;

	for (size_t i = 0; recs && i < json_object_array_length(recs); i++) {
		struct json_object *rec = json_object_array_get_idx(recs, i);
		const char *type = get_str(rec, "type");

		if (type && strcmp(type, "step_start") == 0)
			step = get_str(rec, "step");
		else if (type && strcmp(type, "step_end") == 0)
			step = NULL;
	}
	out = step ? irx_xstrdup(step) : NULL;
	json_object_put(recs);
	return out;
}

/* A target's row for irx_fleet_describe; n counts outcomes (index: see below). */
enum { N_CONTAINED, N_SKIPPED, N_FAILED, N_NOT_STARTED, N_INTERRUPTED, N_RUNNING, N_MAX };

static struct json_object *describe_target(const char *state_dir, struct irx_fleet_target_state *t,
					   struct json_object *rollback, size_t n[N_MAX])
{
	struct json_object *row = json_object_new_object(), *rb = NULL;
	struct irx_fleet_result r = {0};
	const char *outcome = NULL;
	struct irx_arn arn;
	char why[128] = "";

	r.status = "NotStarted";
	if (irx_arn_parse(t->arn, &arn, why, sizeof(why)) == 0) {
		snprintf(r.account, sizeof(r.account), "%s", arn.account);
		snprintf(r.region, sizeof(r.region), "%s", arn.region);
	}
	if (t->end) {
		irx_fleet_result_from_record(t->end, &r);
		outcome = irx_fleet_outcome_name(r.outcome);
		n[r.outcome == IRX_FLEET_CONTAINED ? N_CONTAINED
		  : r.outcome == IRX_FLEET_SKIPPED ? N_SKIPPED
						   : N_FAILED]++;
	} else if (t->execution_id[0]) {
		struct irx_error e = {0};
		int running = irx_journal_running(state_dir, t->execution_id, &e);
		int ended = running == 0
				? irx_fleet_execution_result(state_dir, t->execution_id, &r, &e)
				: -1;

		snprintf(r.execution_id, sizeof(r.execution_id), "%s", t->execution_id);
		if (running == 1) {
			outcome = "running";
			r.status = "InProgress";
			n[N_RUNNING]++;
		} else if (ended == 1) {
			/* it ended, but the fleet was killed before recording it */
			outcome = irx_fleet_outcome_name(r.outcome);
			n[r.outcome == IRX_FLEET_CONTAINED ? N_CONTAINED
			  : r.outcome == IRX_FLEET_SKIPPED ? N_SKIPPED
							   : N_FAILED]++;
		} else {
			char *step = ended == 0 ? open_step(state_dir, t->execution_id) : NULL;

			outcome = "interrupted";
			r.status = "Interrupted";
			free(r.reason);
			r.reason = ended < 0	 ? irx_xasprintf("its journal cannot be read: %s",
								 e.message)
				   : step ? irx_xasprintf("interrupted in step '%s'", step)
					  : irx_xstrdup("interrupted between steps");
			free(step);
			n[N_INTERRUPTED]++;
		}
	} else {
		outcome = "not-started";
		n[N_NOT_STARTED]++;
	}
	add(row, "TargetArn", json_object_new_string(t->arn));
	add(row, "Account", json_object_new_string(r.account));
	add(row, "Region", json_object_new_string(r.region));
	add(row, "AutomationExecutionId", str_or_null(r.execution_id));
	add(row, "Outcome", json_object_new_string(outcome));
	add(row, "AutomationExecutionStatus", json_object_new_string(r.status ? r.status : ""));
	add(row, "Reason", str_or_null(r.reason));
	add(row, "DurationMs", t->end || r.execution_id[0] ? json_object_new_int64(r.duration_ms)
							   : NULL);
	for (size_t i = 0; rollback && i < json_object_array_length(get(rollback, "executions"));
	     i++) {
		struct json_object *x = json_object_array_get_idx(get(rollback, "executions"), i);

		if (!get_str(x, "target") || strcmp(get_str(x, "target"), t->arn) != 0)
			continue;
		rb = json_object_new_object();
		add(rb, "AutomationExecutionId", str_or_null(get_str(x, "rollback_execution_id")));
		add(rb, "Outcome", str_or_null(get_str(x, "outcome")));
		add(rb, "Reason", str_or_null(get_str(x, "reason")));
		break;
	}
	add(row, "Rollback", rb);
	free(r.reason);
	return row;
}

static struct json_object *int_of(struct json_object *rec, const char *key)
{
	struct json_object *v = get(rec, key);

	return json_object_new_int64(json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
									    : 0);
}

struct json_object *irx_fleet_describe(const char *state_dir, const char *fleet_id,
				       struct irx_error *err)
{
	struct irx_fleet_state s = {0};
	struct json_object *o = NULL, *rows = NULL, *resumes = NULL, *rb = NULL;
	size_t n[N_MAX] = {0};
	int running = 0;
	long long t0 = 0, t1 = 0;

	if (!irx_fleet_id_valid(fleet_id)) {
		irx_error_set(err, IRX_ERR_INVALID, "'%s' is not a fleet id", fleet_id ? fleet_id : "");
		return NULL;
	}
	/* before reading: a fleet that ends in between is then seen as ended */
	running = irx_journal_running_kind(&irx_journal_kind_fleet, state_dir, fleet_id, err);
	if (running < 0 || irx_fleet_state_read(state_dir, fleet_id, &s, err) < 0)
		return NULL;
	if (irx_fleet_state_find_executions(state_dir, &s, err) < 0) {
		irx_fleet_state_release(&s);
		return NULL;
	}
	rows = json_object_new_array();
	for (size_t i = 0; i < s.target_count; i++)
		json_object_array_add(rows, describe_target(state_dir, &s.targets[i], s.rollback, n));
	resumes = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(s.records); i++) {
		struct json_object *rec = json_object_array_get_idx(s.records, i);

		const char *when = get_str(rec, "resume_time");

		if (strcmp(get_str(rec, "type"), "resume") == 0)
			json_object_array_add(resumes, json_object_new_string(when ? when : ""));
	}
	if (s.rollback) {
		rb = json_object_new_object();
		add(rb, "StartTime", str_or_null(get_str(s.rollback, "start_time")));
		add(rb, "EndTime", str_or_null(get_str(s.rollback, "end_time")));
		add(rb, "RolledBack", int_of(s.rollback, "rolled_back"));
		add(rb, "NothingToUndo", int_of(s.rollback, "nothing_to_undo"));
		add(rb, "AlreadyRolledBack", int_of(s.rollback, "already_rolled_back"));
		add(rb, "Failed", int_of(s.rollback, "failed"));
	}
	o = json_object_new_object();
	add(o, "FleetId", json_object_new_string(s.fleet_id));
	add(o, "Runbook", json_object_new_string(get_str(s.start, "runbook")));
	add(o, "RunbookPath", str_or_null(get_str(s.start, "runbook_path")));
	add(o, "Status", json_object_new_string(running ? "Running" : s.end ? "Ended" : "Interrupted"));
	add(o, "DryRun", json_object_new_boolean(json_object_get_boolean(get(s.start, "dry_run"))));
	add(o, "StartTime", json_object_new_string(get_str(s.start, "start_time")));
	add(o, "EndTime", s.end && !running ? str_or_null(get_str(s.end, "end_time")) : NULL);
	t0 = iso_ms(get_str(s.start, "start_time"));
	t1 = s.end && !running ? iso_ms(get_str(s.end, "end_time")) : -1;
	add(o, "DurationMs", t0 >= 0 && t1 >= t0 ? json_object_new_int64(t1 - t0) : NULL);
	add(o, "Region", str_or_null(get_str(s.start, "region")));
	add(o, "CaseId", str_or_null(get_str(s.start, "case_id")));
	add(o, "Resumes", resumes);
	add(o, "Targets", json_object_new_int64((int64_t)s.target_count));
	add(o, "Contained", json_object_new_int64((int64_t)n[N_CONTAINED]));
	add(o, "Skipped", json_object_new_int64((int64_t)n[N_SKIPPED]));
	add(o, "Failed", json_object_new_int64((int64_t)n[N_FAILED]));
	add(o, "NotStarted", json_object_new_int64((int64_t)n[N_NOT_STARTED]));
	add(o, "Interrupted", json_object_new_int64((int64_t)n[N_INTERRUPTED]));
	add(o, "Running", json_object_new_int64((int64_t)n[N_RUNNING]));
	add(o, "RolledBack", rb);
	add(o, "Rollbacks", json_object_new_int64(s.rollbacks));
	add(o, "Executions", rows);
	irx_fleet_state_release(&s);
	return o;
}
