/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The wave: calls of isolate:ec2Instance that do not depend on each other, sent together as one
 * round trip (host->aws_call_many), and the single reads that take a round trip of their own.
 * A containment's round trips are its latency; each is counted and named in a debug log line.
 *
 * Not plugin_util.h's irx_batch, on purpose: without aws_call_many the calls go one by one and
 * stop at the first failure (the rest are not sent: not done); a change's undo entry is taken
 * back by identity (the very object it added, not an equal string); a change answered with an
 * expected code (another execution sharing a security group got there first) leaves Changes
 * and marks the group to be described again (groups.c).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"

/* A single read (a round trip of its own). params transferred; *resp kept alive in s->keep. */
int isolate_aws_read(struct iso *s, const char *svc, const char *op, struct json_object *params,
		     struct json_object **resp)
{
	struct json_object *r = NULL;
	int rc = 0;

	s->round_trips++;
	s->h->log(s->ctx->call, IRX_LOG_DEBUG, "isolating '%s': round trip %d: %s:%s", s->id,
		  s->round_trips, svc, op);
	rc = irx_call_aws(s->ctx, svc, op, params, &r);
	*resp = NULL;
	if (rc < 0) {
		json_object_put(r);
		s->h->log(s->ctx->call, IRX_LOG_ERROR, "%s:%s failed while isolating '%s'", svc, op,
			  s->id);
		return -1;
	}
	if (!r)
		r = json_object_new_object();
	json_object_array_add(s->keep, r);
	*resp = r;
	return 0;
}

/* Journals the undo record before a change, so a crash during it leaves what rollback needs. */
static int checkpoint(struct iso *s)
{
	if (s->ctx->dry_run)
		return 0;
	if (s->h->checkpoint(s->ctx->call, s->res->undo) < 0)
		return s->h->fail(s->ctx->call,
				  "cannot isolate instance '%s': cannot journal the "
				  "undo record",
				  s->id);
	return 0;
}

static struct wcall *wave_push(struct wave *w, const char *svc, const char *op,
			       struct json_object *params, struct json_object **resp)
{
	struct wcall *c = NULL;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct wcall *grown = realloc(w->c, cap * sizeof(*grown));

		if (!grown)
			abort(); /* as the host's allocators do */
		w->c = grown;
		w->cap = cap;
	}
	c = &w->c[w->n++];
	*c = (struct wcall){svc, op, params, resp, NULL, NULL, NULL, NULL, NULL};
	if (resp)
		*resp = NULL;
	return c;
}

/* A read in the wave: *resp is set once the wave is sent (borrowed from s->keep). */
void isolate_wave_read(struct wave *w, const char *svc, const char *op, struct json_object *params,
		       struct json_object **resp)
{
	wave_push(w, svc, op, params, resp);
}

/* Takes a change's undo entry back out of the record (it was not done). */
static void undo_remove(struct iso *s, const char *key, struct json_object *entry)
{
	struct json_object *a = NULL;

	if (s->ctx->dry_run || !key)
		return;
	if (!entry) {
		json_object_object_del(s->res->undo, key);
		return;
	}
	a = irx_json_get(s->res->undo, key);
	for (size_t i = 0; i < jlen(a); i++)
		if (jidx(a, i) == entry) {
			json_object_array_del_idx(a, i, 1);
			break;
		}
	if (a && json_object_array_length(a) == 0)
		json_object_object_del(s->res->undo, key);
}

/*
 * A change in the wave: counted and described in Changes (PlannedChanges in a dry run), its
 * undo entry recorded now (undo[key] = value, or appended to the array undo[key] when push),
 * journaled when the wave is sent. In a dry run the host records the call and answers {}:
 * callers never rely on a mutating response then.
 */
struct wcall *isolate_wave_change(struct iso *s, struct wave *w, const char *what, const char *svc,
				  const char *op, struct json_object *params,
				  struct json_object **resp, const char *key,
				  struct json_object *value, bool push)
{
	struct wcall *c = NULL;

	if (!w->planned) {
		w->planned = true;
		w->changes_before = s->changes;
		w->notes_before = jlen(s->changed);
	}
	s->changes++;
	note(s->changed, "%s", what);
	s->h->log(s->ctx->call, IRX_LOG_INFO, "%s%s", s->ctx->dry_run ? "would " : "", what);
	c = wave_push(w, svc, op, params, resp);
	c->note = jidx(s->changed, jlen(s->changed) - 1);
	if (!key || s->ctx->dry_run) {
		json_object_put(value);
		return c;
	}
	c->undo_key = key;
	if (push) {
		json_object_array_add(irx_undo_list(s->res->undo, key), value);
		c->undo_entry = value;
	} else {
		json_object_object_add(s->res->undo, key, value);
	}
	w->journal = true;
	return c;
}

/* An undo entry with no call of its own in this wave (a later wave's change needs it). */
void isolate_wave_record(struct iso *s, struct wave *w, const char *key, struct json_object *value)
{
	if (s->ctx->dry_run) {
		json_object_put(value);
		return;
	}
	json_object_array_add(irx_undo_list(s->res->undo, key), value);
	w->journal = true;
}

static void wave_reset(struct wave *w)
{
	w->n = 0;
	w->journal = false;
	w->planned = false;
}

/* Drops a wave that will not be sent: its calls, their undo entries and their Changes. */
static void wave_discard(struct iso *s, struct wave *w)
{
	for (size_t i = 0; i < w->n; i++) {
		json_object_put(w->c[i].params);
		undo_remove(s, w->c[i].undo_key, w->c[i].undo_entry);
	}
	if (w->planned) {
		s->changes = w->changes_before;
		if (jlen(s->changed) > w->notes_before)
			json_object_array_del_idx(s->changed, w->notes_before,
						  jlen(s->changed) - w->notes_before);
	}
	wave_reset(w);
}

/*
 * A change answered with one of its expected codes: another execution sharing the group made
 * the same change first (the group is there, the rule is there or gone). Not this execution's
 * change, so it leaves Changes; the group is described again before anything relies on it.
 */
static void answered(struct iso *s, struct wcall *c, const char *code)
{
	for (size_t i = 0; i < jlen(s->changed); i++) {
		if (jidx(s->changed, i) == c->note) {
			json_object_array_del_idx(s->changed, i, 1);
			s->changes--;
			break;
		}
	}
	s->h->log(s->ctx->call, IRX_LOG_INFO,
		  "%s:%s answered %s while isolating '%s': another execution got there first",
		  c->svc, c->op, code, s->id);
	if (!c->group)
		return;
	if (strcmp(c->op, "CreateSecurityGroup") == 0)
		c->group->raced = true;
	else
		c->group->recheck = true;
}

/* Takes a sent call's response into s->keep. */
static void wave_keep(struct iso *s, struct wcall *c, struct json_object *r)
{
	if (!r)
		r = json_object_new_object();
	/* In a default VPC EC2 answers a revoke of rules that are not there with success and
	   lists them as unknown: the same answer as InvalidPermission.NotFound elsewhere. */
	if (c->group && strncmp(c->op, "Revoke", 6) == 0 &&
	    jlen(irx_json_get(r, "UnknownIpPermissions")) > 0)
		answered(s, c, "UnknownIpPermissions");
	json_object_array_add(s->keep, r);
	if (c->resp)
		*c->resp = r;
}

/*
 * Sends the wave: checkpoints the undo record (every change of the wave is in it), sends the
 * calls at once, takes the entries of failed calls back out. Without host->aws_call_many the
 * calls go one by one and stop at the first failure (the rest are not sent: not done).
 * Returns 0, or -1 with the step's error the first failure's.
 */
int isolate_wave_send(struct iso *s, struct wave *w)
{
	struct irx_aws_request *reqs = NULL;
	bool *failed = NULL;
	size_t nfailed = 0;
	int rc = 0;

	if (w->n == 0) {
		/* entries for a later wave's changes (isolate_wave_record) are journaled all the
		 * same */
		rc = w->journal ? checkpoint(s) : 0;
		wave_reset(w);
		return rc;
	}
	if (w->journal && checkpoint(s) < 0) {
		wave_discard(s, w);
		return -1;
	}
	failed = calloc(w->n, sizeof(*failed));
	if (!failed)
		abort();
	if (w->n > 1 && IRX_HOST_HAS(s->h, aws_call_many)) {
		s->round_trips++;
		s->h->log(s->ctx->call, IRX_LOG_DEBUG,
			  "isolating '%s': round trip %d: %zu calls at once", s->id, s->round_trips,
			  w->n);
		reqs = calloc(w->n, sizeof(*reqs));
		if (!reqs)
			abort();
		for (size_t i = 0; i < w->n; i++) {
			reqs[i].service = w->c[i].svc;
			reqs[i].operation = w->c[i].op;
			reqs[i].params = w->c[i].params;
			reqs[i].expected = w->c[i].expected;
		}
		s->h->aws_call_many(s->ctx->call, reqs, w->n);
		for (size_t i = 0; i < w->n; i++) {
			failed[i] = reqs[i].failed != 0;
			if (failed[i]) {
				json_object_put(reqs[i].response);
				s->h->log(s->ctx->call, IRX_LOG_ERROR,
					  "%s:%s failed while isolating '%s': %s", w->c[i].svc,
					  w->c[i].op, s->id, reqs[i].error);
				continue;
			}
			if (w->c[i].expected && reqs[i].expected_code[0])
				answered(s, &w->c[i], reqs[i].expected_code);
			wave_keep(s, &w->c[i], reqs[i].response);
		}
		free(reqs);
	} else {
		for (size_t i = 0; i < w->n; i++) {
			struct json_object *r = NULL;

			if (nfailed) {
				failed[i] = true; /* not sent */
				continue;
			}
			s->round_trips++;
			s->h->log(s->ctx->call, IRX_LOG_DEBUG,
				  "isolating '%s': round trip %d: %s:%s", s->id, s->round_trips,
				  w->c[i].svc, w->c[i].op);
			if (w->c[i].expected && IRX_HOST_HAS(s->h, aws_call_expect)) {
				int rc1 =
				    s->h->aws_call_expect(s->ctx->call, w->c[i].svc, w->c[i].op,
							  w->c[i].params, w->c[i].expected, &r);

				if (rc1 == 1) { /* each call expects one code: that one */
					answered(s, &w->c[i], w->c[i].expected[0]);
					wave_keep(s, &w->c[i], NULL);
					continue;
				}
				if (rc1 == 0) {
					wave_keep(s, &w->c[i], r);
					continue;
				}
			} else if (s->h->aws_call(s->ctx->call, w->c[i].svc, w->c[i].op,
						  w->c[i].params, &r) == 0) {
				wave_keep(s, &w->c[i], r);
				continue;
			}
			json_object_put(r);
			failed[i] = true;
			nfailed++;
			s->h->log(s->ctx->call, IRX_LOG_ERROR, "%s:%s failed while isolating '%s'",
				  w->c[i].svc, w->c[i].op, s->id);
		}
	}
	for (size_t i = 0; i < w->n; i++) {
		json_object_put(w->c[i].params);
		if (failed[i]) {
			rc = -1;
			undo_remove(s, w->c[i].undo_key, w->c[i].undo_entry);
		}
	}
	free(failed);
	wave_reset(w);
	return rc;
}

void isolate_wave_free(struct iso *s, struct wave *w)
{
	wave_discard(s, w);
	free(w->c);
	w->c = NULL;
	w->cap = 0;
}
