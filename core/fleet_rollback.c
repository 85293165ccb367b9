/* SPDX-License-Identifier: Apache-2.0 */
/* Rolling back a fleet (fleet_rollback.h): plan per target, then irx_rollback on the workers. */
#include "fleet_rollback.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fleet.h"
#include "rollback.h"
#include "util.h"

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v)
		   ? v
		   : NULL;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static const char *either(const char *a, const char *b)
{
	return a ? a : b;
}

static unsigned juint(struct json_object *o, const char *key)
{
	int64_t v = json_object_get_int64(jget(o, key));

	return v > 0 && v <= IRX_FLEET_MAX_CONCURRENCY ? (unsigned)v : 0;
}

const char *irx_fleet_rb_outcome_name(enum irx_fleet_rb_outcome o)
{
	switch (o) {
	case IRX_FLEET_RB_ROLLED_BACK:
		return "rolled-back";
	case IRX_FLEET_RB_NOTHING:
		return "nothing-to-undo";
	case IRX_FLEET_RB_ALREADY:
		return "already-rolled-back";
	case IRX_FLEET_RB_FAILED:
		break;
	}
	return "failed";
}

void irx_fleet_rb_result_release(struct irx_fleet_rb_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->items && i < r->count; i++) {
		free(r->items[i].arn);
		free(r->items[i].reason);
	}
	free(r->items);
	free(r->runbook);
	memset(r, 0, sizeof(*r));
}

/* ---- earlier rollbacks --------------------------------------------------------------------- */

struct prev_scan {
	const char *state_dir;
	struct irx_fleet_rb_item *items;
	size_t count;
};

/* Newest first: the first successful rollback of an item's execution is the one named. */
static void find_previous(void *ud, const char *id)
{
	struct prev_scan *p = ud;
	struct json_object *first = irx_journal_read_first(p->state_dir, id), *recs = NULL;
	struct json_object *last = NULL;
	const char *mode = jstr(first, "mode"), *parent = jstr(first, "parent_execution_id");
	struct irx_fleet_rb_item *it = NULL;
	struct irx_error ignored = {0};
	size_t n = 0;

	if (!mode || strcmp(mode, "rollback") != 0 || !parent ||
	    json_object_get_boolean(jget(first, "dry_run")))
		goto out;
	for (size_t i = 0; i < p->count && !it; i++)
		if (strcmp(p->items[i].execution_id, parent) == 0 && !p->items[i].previous_id[0])
			it = &p->items[i];
	if (!it)
		goto out;
	recs = irx_journal_read(p->state_dir, id, NULL, &ignored);
	n = recs ? json_object_array_length(recs) : 0;
	last = n ? json_object_array_get_idx(recs, n - 1) : NULL;
	if (strcmp(either(jstr(last, "type"), ""), "execution_end") == 0 &&
	    strcmp(either(jstr(last, "status"), ""), "Success") == 0)
		snprintf(it->previous_id, sizeof(it->previous_id), "%s", id);
out:
	json_object_put(recs);
	json_object_put(first);
}

/* ---- running --------------------------------------------------------------------------------- */

struct run {
	const struct irx_fleet_rollback_options *o;
	struct irx_fleet_rb_result *res;
	size_t *queue; /* item index per worker target */
	char (*account)[16];
	char (*region)[32];
	pthread_mutex_t lock;
	size_t done, total;
};

struct log_ctx {
	const struct irx_fleet_rollback_options *o;
	const char *arn;
};

/* Plugins' warnings and errors, naming the target: rollbacks run side by side. */
static void rb_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	const struct log_ctx *l = ud;
	char *m = NULL;

	if (level < IRX_LOG_WARN)
		return;
	m = irx_xasprintf("%s: %s", l->arn, message);
	if (l->o->log)
		l->o->log(l->o->log_ud, level, step, m);
	else
		irx_host_stderr_log(NULL, level, step, m);
	free(m);
}

/* What a successful rollback left: its steps not restored ("cannot be undone"), or NULL. */
static char *not_restored(struct json_object *steps)
{
	char *out = NULL;

	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);
		char *next = NULL;

		if (strcmp(either(jstr(s, "StepStatus"), ""), "Success") == 0)
			continue;
		next = irx_xasprintf("%s%snot restored: step '%s' (%s): %s", out ? out : "",
				     out ? "; " : "", either(jstr(s, "RolledBackStep"), ""),
				     either(jstr(s, "Action"), ""),
				     either(jstr(s, "Message"), either(jstr(s, "StepStatus"), "")));
		free(out);
		out = next;
	}
	return out;
}

static void work(void *ud, struct irx_fleet *f, size_t i, const struct irx_fleet_result *r)
{
	struct run *run = ud;
	const struct irx_fleet_rollback_options *o = run->o;
	size_t k = run->queue[i];
	struct irx_fleet_rb_item *it = &run->res->items[k];
	struct irx_exec_options eo = {0};
	struct irx_rollback_options ro = {0};
	struct irx_rollback_result rr = {0};
	struct irx_error err = {0};
	struct log_ctx lc = {.o = o, .arn = it->arn};
	const char *account = run->account[k][0] ? run->account[k] : r->account;
	long long t0 = irx_now_ms();

	it->outcome = IRX_FLEET_RB_FAILED;
	if (irx_fleet_attach(f, account, run->region[k], "irx-rollback", &eo, &err) < 0) {
		it->reason = irx_xstrdup(err.message);
		goto out;
	}
	ro.state_dir = o->state_dir;
	ro.dry_run = o->dry_run;
	ro.actions = o->actions;
	ro.log = rb_log;
	ro.log_ud = &lc;
	ro.aws_call = eo.aws_call;
	ro.aws_call_many = eo.aws_call_many;
	ro.aws_call_in = eo.aws_call_in;
	ro.aws_ud = eo.aws_ud;
	ro.cancel = o->cancel;
	if (irx_rollback(it->execution_id, &ro, &rr, &err) < 0) {
		it->reason = irx_xstrdup(err.message);
		if (rr.execution_id[0])
			memcpy(it->rollback_id, rr.execution_id, sizeof(it->rollback_id));
		goto out;
	}
	memcpy(it->rollback_id, rr.execution_id, sizeof(it->rollback_id));
	it->status = rr.status;
	if (strcmp(rr.status, "Success") == 0) {
		it->outcome = IRX_FLEET_RB_ROLLED_BACK;
		it->reason = not_restored(rr.steps);
	} else {
		it->reason = irx_xstrdup(rr.failure_message[0] ? rr.failure_message : rr.status);
	}
out:
	it->duration_ms = irx_now_ms() - t0;
	irx_rollback_result_release(&rr);
	pthread_mutex_lock(&run->lock);
	run->res->n[it->outcome]++;
	run->done++;
	if (o->done)
		o->done(o->ud, it, run->done, run->total);
	pthread_mutex_unlock(&run->lock);
}

/* The rollback record's executions (transferred). */
static struct json_object *record_executions(const struct irx_fleet_rb_result *res)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < res->count; i++) {
		const struct irx_fleet_rb_item *it = &res->items[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "target", json_object_new_string(it->arn));
		json_object_object_add(
		    e, "execution_id",
		    it->execution_id[0] ? json_object_new_string(it->execution_id) : NULL);
		/* already rolled back: the rollback that did it */
		json_object_object_add(e, "rollback_execution_id",
				       it->rollback_id[0] ? json_object_new_string(it->rollback_id)
				       : it->previous_id[0]
					   ? json_object_new_string(it->previous_id)
					   : NULL);
		json_object_object_add(
		    e, "outcome", json_object_new_string(irx_fleet_rb_outcome_name(it->outcome)));
		json_object_object_add(e, "reason",
				       it->reason ? json_object_new_string(it->reason) : NULL);
		json_object_array_add(list, e);
	}
	return list;
}

/* Reads and checks the fleet: 0, or -1 with err set. */
static int load_fleet(const char *id, const struct irx_fleet_rollback_options *o,
		      struct irx_fleet_state *st, struct irx_error *err)
{
	int running = 0;

	if (!irx_fleet_id_valid(id)) {
		irx_error_set(err, IRX_ERR_INVALID, "'%s' is not a fleet id", id ? id : "");
		return -1;
	}
	/* before reading: a fleet that ends in between is then seen as ended */
	running = irx_journal_running_kind(&irx_journal_kind_fleet, o->state_dir, id, err);
	if (running < 0)
		return -1;
	if (running) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "fleet %s is still running; roll it back once it has ended", id);
		return -1;
	}
	if (irx_fleet_state_read(o->state_dir, id, st, err) < 0)
		return -1;
	if (json_object_get_boolean(jget(st->start, "dry_run"))) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "fleet %s was a dry run: it changed nothing to roll back", id);
		irx_fleet_state_release(st);
		return -1;
	}
	if (!o->role_arn && jstr(st->start, "role_arn") && jstr(st->start, "external_id") &&
	    !o->external_id) {
		irx_error_set(
		    err, IRX_ERR_INVALID,
		    "fleet %s assumed '%s' with an ExternalId, which its journal does not "
		    "keep: give it again with --external-id",
		    id, jstr(st->start, "role_arn"));
		irx_fleet_state_release(st);
		return -1;
	}
	return 0;
}

/* Plans each target (result->items); the indexes to roll back into queue. Returns their count. */
static size_t plan(const struct irx_fleet_rollback_options *o, struct irx_fleet_state *st,
		   struct irx_fleet_rb_result *res, size_t *queue, char (*account)[16],
		   char (*region)[32], struct irx_error *err)
{
	struct prev_scan prev = {.state_dir = o->state_dir};
	size_t n = 0;

	res->count = st->target_count;
	res->items = irx_xcalloc(res->count ? res->count : 1, sizeof(*res->items));
	for (size_t i = 0; i < res->count; i++) {
		struct irx_fleet_target_state *t = &st->targets[i];
		struct irx_fleet_rb_item *it = &res->items[i];
		const char *recorded = jstr(t->end, "execution_id");

		it->arn = irx_xstrdup(t->arn);
		snprintf(it->execution_id, sizeof(it->execution_id), "%s",
			 recorded ? recorded : t->execution_id);
		if (!t->end && it->execution_id[0]) {
			struct irx_fleet_result r = {0};
			struct irx_error e = {0};

			it->interrupted =
			    irx_fleet_execution_result(o->state_dir, it->execution_id, &r, &e) == 0;
			free(r.reason);
		}
	}
	prev.items = res->items;
	prev.count = res->count;
	if (irx_journal_list(o->state_dir, find_previous, &prev, err) < 0)
		return (size_t)-1;
	for (size_t i = 0; i < res->count; i++) {
		struct irx_fleet_rb_item *it = &res->items[i];
		struct irx_error e = {0};
		size_t units = 0;
		struct json_object *first = NULL;

		if (!it->execution_id[0]) {
			it->outcome = IRX_FLEET_RB_NOTHING;
			it->reason = irx_xstrdup("no execution started");
		} else if (it->previous_id[0]) {
			it->outcome = IRX_FLEET_RB_ALREADY;
			it->reason = irx_xasprintf("already rolled back by %s", it->previous_id);
		} else if (irx_rollback_pending(o->state_dir, it->execution_id, o->actions, &units,
						&e) < 0) {
			it->outcome = IRX_FLEET_RB_FAILED;
			it->reason = irx_xstrdup(e.message);
		} else if (units == 0) {
			it->outcome = IRX_FLEET_RB_NOTHING;
			it->reason = irx_xstrdup("no step recorded a change");
		} else {
			first = irx_journal_read_first(o->state_dir, it->execution_id);
			snprintf(account[n], sizeof(account[n]), "%s",
				 either(jstr(first, "account_id"), ""));
			snprintf(region[n], sizeof(region[n]), "%s",
				 either(jstr(first, "region"), ""));
			json_object_put(first);
			queue[n++] = i;
			continue;
		}
		res->n[it->outcome]++;
	}
	return n;
}

int irx_fleet_rollback(const char *fleet_id, const struct irx_fleet_rollback_options *o,
		       struct irx_fleet_rb_result *res, struct irx_error *err)
{
	struct irx_fleet_state st = {0};
	struct irx_journal *journal = NULL;
	struct irx_fleet_options fo = {0};
	struct irx_fleet *f = NULL;
	struct run run = {0};
	const char **arns = NULL;
	size_t *queue = NULL, nq = 0;
	char start[32] = "";
	long long t0 = irx_now_ms();
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (!o->state_dir) {
		irx_error_set(err, IRX_ERR_INVALID, "no state directory for the journals");
		return -1;
	}
	if (load_fleet(fleet_id, o, &st, err) < 0)
		return -1;
	/* hold the fleet (its flock) meanwhile, then read it again: it may have been resumed */
	irx_fleet_state_release(&st);
	journal =
	    irx_journal_open_append_kind(&irx_journal_kind_fleet, o->state_dir, fleet_id, err);
	if (!journal)
		return -1;
	if (irx_fleet_state_read(o->state_dir, fleet_id, &st, err) < 0 ||
	    irx_fleet_state_find_executions(o->state_dir, &st, err) < 0)
		goto out;
	irx_iso8601_now(start);
	snprintf(res->fleet_id, sizeof(res->fleet_id), "%s", fleet_id);
	res->runbook = irx_xstrdup(either(jstr(st.start, "runbook"), ""));
	res->fleet_interrupted = !st.end;
	queue = irx_xcalloc(st.target_count ? st.target_count : 1, sizeof(*queue));
	run.account = irx_xcalloc(st.target_count ? st.target_count : 1, sizeof(*run.account));
	run.region = irx_xcalloc(st.target_count ? st.target_count : 1, sizeof(*run.region));
	nq = plan(o, &st, res, queue, run.account, run.region, err);
	if (nq == (size_t)-1) {
		irx_fleet_rb_result_release(res);
		goto out;
	}
	if (o->begin)
		o->begin(o->ud, res->items, res->count, res->fleet_interrupted, nq);
	if (nq) {
		fo.cfg = o->cfg;
		fo.base.state_dir = o->state_dir;
		fo.base.region = either(jstr(st.start, "region"), "");
		fo.profile = o->profile ? o->profile : jstr(st.start, "profile");
		fo.role_arn = o->role_arn ? o->role_arn : jstr(st.start, "role_arn");
		fo.external_id = o->external_id;
		fo.concurrency = o->concurrency ? o->concurrency : juint(st.start, "concurrency");
		fo.per_account = o->per_account ? o->per_account : juint(st.start, "per_account");
		fo.per_region = o->per_region ? o->per_region : juint(st.start, "per_region");
		if (!(f = irx_fleet_new(&fo, err))) {
			irx_fleet_rb_result_release(res);
			goto out;
		}
		arns = irx_xcalloc(nq, sizeof(*arns));
		for (size_t i = 0; i < nq; i++)
			arns[i] = res->items[queue[i]].arn;
		run.o = o;
		run.res = res;
		run.queue = queue;
		run.total = nq;
		pthread_mutex_init(&run.lock, NULL);
		rc = irx_fleet_each(f, arns, nq, work, &run, err);
		pthread_mutex_destroy(&run.lock);
		if (rc < 0) {
			irx_fleet_rb_result_release(res);
			goto out;
		}
		rc = -1;
	}
	res->duration_ms = irx_now_ms() - t0;
	if (!o->dry_run) {
		struct json_object *rec = irx_fleet_record_rollback(start, record_executions(res));
		int arc = irx_journal_append(journal, rec, err);

		json_object_put(rec);
		if (arc < 0)
			goto out;
	}
	rc = 0;
out:
	irx_fleet_free(f);
	irx_journal_close(journal);
	irx_fleet_state_release(&st);
	free(arns);
	free(queue);
	free(run.account);
	free(run.region);
	return rc;
}

struct json_object *irx_fleet_rb_summary(const struct irx_fleet_rb_result *r, bool dry_run)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();

	json_object_object_add(o, "FleetId", json_object_new_string(r->fleet_id));
	json_object_object_add(o, "Operation", json_object_new_string("Rollback"));
	json_object_object_add(o, "Runbook", json_object_new_string(r->runbook ? r->runbook : ""));
	json_object_object_add(o, "DryRun", json_object_new_boolean(dry_run));
	json_object_object_add(o, "Interrupted", json_object_new_boolean(r->fleet_interrupted));
	json_object_object_add(o, "Targets", json_object_new_int64((int64_t)r->count));
	json_object_object_add(o, "RolledBack",
			       json_object_new_int64((int64_t)r->n[IRX_FLEET_RB_ROLLED_BACK]));
	json_object_object_add(o, "NothingToUndo",
			       json_object_new_int64((int64_t)r->n[IRX_FLEET_RB_NOTHING]));
	json_object_object_add(o, "AlreadyRolledBack",
			       json_object_new_int64((int64_t)r->n[IRX_FLEET_RB_ALREADY]));
	json_object_object_add(o, "Failed",
			       json_object_new_int64((int64_t)r->n[IRX_FLEET_RB_FAILED]));
	json_object_object_add(o, "DurationMs", json_object_new_int64(r->duration_ms));
	for (size_t i = 0; i < r->count; i++) {
		const struct irx_fleet_rb_item *it = &r->items[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "TargetArn", json_object_new_string(it->arn));
		json_object_object_add(
		    e, "AutomationExecutionId",
		    it->execution_id[0] ? json_object_new_string(it->execution_id) : NULL);
		json_object_object_add(e, "RollbackExecutionId",
				       it->rollback_id[0] ? json_object_new_string(it->rollback_id)
				       : it->previous_id[0]
					   ? json_object_new_string(it->previous_id)
					   : NULL);
		json_object_object_add(
		    e, "Outcome", json_object_new_string(irx_fleet_rb_outcome_name(it->outcome)));
		json_object_object_add(e, "AutomationExecutionStatus",
				       it->status ? json_object_new_string(it->status) : NULL);
		json_object_object_add(e, "Reason",
				       it->reason ? json_object_new_string(it->reason) : NULL);
		json_object_object_add(e, "Interrupted", json_object_new_boolean(it->interrupted));
		json_object_array_add(list, e);
	}
	json_object_object_add(o, "Executions", list);
	return o;
}
