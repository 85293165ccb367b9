/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routing rules, the plan for an event, and the dedupe store. The default rules route an
 * explicit request (an SNS entity message or a bare ARN) to entity-lockdown, which branches on
 * the ARN itself; findings go to the specific runbook for the entity, from medium severity up.
 */
#include "routing.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arn.h"
#include "aws/sigv4.h"
#include "config.h"
#include "error.h"
#include "events.h"
#include "util.h"

#define K(kind) (1u << (kind))

static const char *const explicit_sources[] = {"sns", "arn", NULL};
static const char *const crypto_types[] = {"CryptoCurrency:*", "*/CryptoCurrency:*",
					   "Impact:EC2/BitcoinDomainRequest.Reputation", NULL};
static const char *const iam_user_types[] = {"*:IAMUser/*", NULL};

const struct irx_route_rule irx_default_rules[] = {
    {.name = "explicit-entity",
     .sources = explicit_sources,
     .runbook = "entity-lockdown",
     .builtin = true},
    {.name = "crypto-mining",
     .finding_types = crypto_types,
     .kinds = K(IRX_ENTITY_EC2_INSTANCE),
     .runbook = "ec2-crypto-mining",
     .builtin = true},
    {.name = "ec2-instance",
     .kinds = K(IRX_ENTITY_EC2_INSTANCE),
     .has_min_severity = true,
     .min_severity = 4,
     .runbook = "ec2-isolate",
     .builtin = true},
    {.name = "exposed-credentials",
     .finding_types = iam_user_types,
     .kinds = K(IRX_ENTITY_ACCESS_KEY),
     .has_min_severity = true,
     .min_severity = 4,
     .runbook = "iam-credential-exposure",
     .builtin = true},
    {.name = "access-key",
     .kinds = K(IRX_ENTITY_ACCESS_KEY),
     .has_min_severity = true,
     .min_severity = 4,
     .runbook = "access-key-lockdown",
     .builtin = true},
    {.name = "iam-user",
     .kinds = K(IRX_ENTITY_IAM_USER),
     .has_min_severity = true,
     .min_severity = 4,
     .runbook = "iam-user-lockdown",
     .builtin = true},
    {.name = "iam-role",
     .kinds = K(IRX_ENTITY_IAM_ROLE),
     .has_min_severity = true,
     .min_severity = 4,
     .runbook = "iam-role-lockdown",
     .builtin = true},
    {.name = "lambda-function",
     .kinds = K(IRX_ENTITY_LAMBDA),
     .has_min_severity = true,
     .min_severity = 4,
     .runbook = "lambda-lockdown",
     .builtin = true},
    {.name = NULL},
};

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

bool irx_route_rule_matches(const struct irx_route_rule *r, const struct irx_event *ev,
			    const struct irx_finding *f, const struct irx_entity *e)
{
	bool typed = false;

	if (!e->arn || e->kind == IRX_ENTITY_OTHER)
		return false;
	if (r->kinds && !(r->kinds & K(e->kind)))
		return false;
	if (r->sources && !in_list(r->sources, irx_event_source_name(ev->source)))
		return false;
	if (r->accounts && !in_list(r->accounts, f->account))
		return false;
	/* the finding's own type (detail.type), never the envelope's detail-type */
	for (size_t i = 0; r->finding_types && i < f->type_count && !typed; i++)
		for (size_t k = 0; r->finding_types[k] && !typed; k++)
			typed = fnmatch(r->finding_types[k], f->types[i], 0) == 0;
	if (r->finding_types && !typed)
		return false;
	/* 1e-9: 4.0 written as 40 / 10 must reach a threshold of 4 */
	if (r->has_min_severity && (!f->has_severity || f->severity + 1e-9 < r->min_severity))
		return false;
	return true;
}

/* --- the dedupe store --------------------------------------------------------------------- */

void irx_dedupe_key(const char *finding_id, const char *arn, const char *access_key_id,
		    char out[65])
{
	char *s = irx_xasprintf("%s\n%s\n%s", finding_id ? finding_id : "", arn ? arn : "",
				access_key_id ? access_key_id : "");

	irx_sigv4_sha256_hex(s, strlen(s), out);
	free(s);
}

static bool key_ok(const char *key)
{
	size_t n = 0;

	for (; key[n]; n++)
		if (!((key[n] >= '0' && key[n] <= '9') || (key[n] >= 'a' && key[n] <= 'f')))
			return false;
	return n == 64;
}

/* When the claim at path was made: its content, else its mtime; -1 if it does not exist. */
static long long claimed_at(const char *path)
{
	char buf[32] = "";
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;
	long long t = -1;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		char *end = NULL;

		buf[n] = '\0';
		t = strtoll(buf, &end, 10);
		if (end == buf || *end != '\n')
			t = -1;
	}
	if (t < 0 && fstat(fd, &st) == 0)
		t = (long long)st.st_mtime;
	close(fd);
	return t;
}

int irx_dedupe_check(const char *state_dir, const char *key, long long window_s, long long now)
{
	char *path = NULL;
	long long t = 0;

	if (!state_dir || !key_ok(key) || window_s <= 0)
		return 1;
	path = irx_xasprintf("%s/dedupe/%s", state_dir, key);
	t = claimed_at(path);
	free(path);
	return t >= 0 && now - t < window_s ? 0 : 1;
}

static int create_claim(const char *path, long long now)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int len = snprintf(buf, sizeof(buf), "%lld\n", now);

	if (fd < 0)
		return errno == EEXIST ? 0 : -1;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	close(fd);
	return 1;
}

int irx_dedupe_claim(const char *state_dir, const char *key, long long window_s, long long now,
		     struct irx_error *err)
{
	char *dir = NULL, *path = NULL, *lock = NULL;
	int rc = -1, lfd = -1, made = 0;
	long long t = 0;

	if (!key_ok(key)) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid dedupe key");
		return -1;
	}
	if (!state_dir || window_s <= 0)
		return 1;
	dir = irx_xasprintf("%s/dedupe", state_dir);
	path = irx_xasprintf("%s/%s", dir, key);
	lock = irx_xasprintf("%s/.lock", dir);
	if ((mkdir(state_dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		irx_error_set(err, IRX_ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	made = create_claim(path, now);
	if (made != 0) {
		if (made < 0)
			irx_error_set(err, IRX_ERR_IO, "cannot write '%s': %s", path,
				      strerror(errno));
		rc = made;
		goto out;
	}
	/*
	 * A claim exists. Replacing a stale one happens under a lock, re-reading it there, so a
	 * fresh claim made meanwhile by another process is never removed.
	 */
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot lock '%s': %s", lock, strerror(errno));
		goto out;
	}
	t = claimed_at(path);
	if (t >= 0 && now - t < window_s) {
		rc = 0;
		goto out;
	}
	if (t >= 0 && unlink(path) < 0 && errno != ENOENT) {
		irx_error_set(err, IRX_ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
		goto out;
	}
	made = create_claim(path, now);
	if (made < 0)
		irx_error_set(err, IRX_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	rc = made;
out:
	if (lfd >= 0)
		close(lfd);
	free(lock);
	free(path);
	free(dir);
	return rc;
}

/* --- plans -------------------------------------------------------------------------------- */

static char *no_rule_reason(const struct irx_event *ev, const struct irx_finding *f,
			    const struct irx_entity *e)
{
	char sev[32] = "no severity";

	if (!e->arn || e->kind == IRX_ENTITY_OTHER)
		return irx_xasprintf("irx has no runbook for resource type '%s'",
				     e->resource_type ? e->resource_type
						      : irx_entity_kind_name(e->kind));
	if (f->has_severity)
		snprintf(sev, sizeof(sev), "severity %.1f", f->severity);
	return irx_xasprintf("no routing rule matches (%s, finding type '%s', %s, %s)",
			     irx_event_source_name(ev->source), f->type ? f->type : "none", sev,
			     irx_entity_kind_name(e->kind));
}

/*
 * The access path into the target's account (config.h). Returns 0 (also when the ARN names no
 * account: the caller's credentials), or -1 with t->skip_reason set.
 */
static int set_role(const struct irx_config *cfg, struct irx_plan_target *t)
{
	struct irx_config_access *acc = NULL;
	struct irx_error err = {0};
	struct irx_arn arn;
	char why[64] = "";

	if (!cfg || !t->arn || irx_arn_parse(t->arn, &arn, why, sizeof(why)) < 0 ||
	    strlen(arn.account) != 12)
		return 0;
	acc = irx_xcalloc(1, sizeof(*acc));
	if (irx_config_access(cfg, arn.account, arn.partition, acc, &err) < 0) {
		t->skip_reason = irx_xasprintf("cannot reach account %s: %s", arn.account,
					       err.message);
		free(acc);
		return -1;
	}
	if (acc->role_count == 0) {
		free(acc);
		return 0;
	}
	t->access = acc;
	t->role_arn = acc->roles[acc->role_count - 1];
	t->external_id = acc->external_id;
	return 0;
}

int irx_events_plan(const struct irx_config *cfg, const struct irx_event *ev,
		    const struct irx_plan_options *o, struct irx_plan *out, struct irx_error *err)
{
	long long now = o->now ? o->now : (long long)time(NULL);
	long long window = cfg ? cfg->dedupe_window_s : IRX_DEDUPE_DEFAULT_WINDOW_S;
	size_t total = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ev->finding_count; i++)
		total += ev->findings[i].entity_count;
	out->targets = irx_xcalloc(total ? total : 1, sizeof(*out->targets));
	for (size_t i = 0; i < ev->finding_count; i++) {
		const struct irx_finding *f = &ev->findings[i];

		for (size_t k = 0; k < f->entity_count; k++) {
			const struct irx_entity *e = &f->entities[k];
			struct irx_plan_target *t = &out->targets[out->count++];
			const struct irx_route_rule *rule = NULL;

			t->arn = e->arn ? irx_xstrdup(e->arn) : NULL;
			t->access_key_id = e->access_key_id ? irx_xstrdup(e->access_key_id) : NULL;
			t->kind = irx_entity_kind_name(e->kind);
			t->finding_id = f->id ? irx_xstrdup(f->id) : NULL;
			for (size_t r = 0; cfg && r < cfg->rule_count && !rule; r++)
				if (irx_route_rule_matches(&cfg->rules[r], ev, f, e))
					rule = &cfg->rules[r];
			for (size_t r = 0; !cfg && irx_default_rules[r].name && !rule; r++)
				if (irx_route_rule_matches(&irx_default_rules[r], ev, f, e))
					rule = &irx_default_rules[r];
			if (!rule) {
				t->skip_reason = no_rule_reason(ev, f, e);
				continue;
			}
			t->runbook = rule->runbook;
			t->rule = rule->name;
			if (o->dry_run)
				t->dry_run_reason = irx_xstrdup("--dry-run was given");
			else if (rule->dry_run)
				t->dry_run_reason =
				    irx_xasprintf("rule '%s' runs in dry-run", rule->name);
			else if (f->sample && !o->force_sample)
				t->dry_run_reason =
				    irx_xstrdup("sample finding (contain it for real "
						"with --force-sample)");
			t->dry_run = t->dry_run_reason != NULL;
			if (set_role(cfg, t) < 0) {
				t->runbook = NULL; /* callers run what has a runbook */
				continue;
			}
			if (f->id && o->state_dir && window > 0) {
				char key[65];
				int c = 1;

				irx_dedupe_key(f->id, e->arn, e->access_key_id, key);
				t->dedupe_key = irx_xstrdup(key);
				/* a dry run never claims: it must not hold back the real one */
				if (o->claim && !t->dry_run)
					c = irx_dedupe_claim(o->state_dir, key, window, now, err);
				else
					c = irx_dedupe_check(o->state_dir, key, window, now);
				if (c < 0)
					return -1;
				t->duplicate = c == 0;
			}
			if (t->duplicate)
				t->skip_reason = irx_xasprintf("duplicate: finding '%s' for this "
							       "entity was seen within %llds",
							       f->id, window);
			else
				out->runnable++;
		}
	}
	return 0;
}

void irx_plan_release(struct irx_plan *p)
{
	for (size_t i = 0; i < p->count; i++) {
		struct irx_plan_target *t = &p->targets[i];

		free(t->arn);
		free(t->access_key_id);
		free(t->finding_id);
		free(t->dry_run_reason);
		free(t->dedupe_key);
		free(t->skip_reason);
		irx_config_access_release(t->access);
		free(t->access);
	}
	free(p->targets);
	memset(p, 0, sizeof(*p));
}

static void add_opt(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

struct json_object *irx_plan_json(const struct irx_plan *p)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->count; i++) {
		const struct irx_plan_target *t = &p->targets[i];
		struct json_object *o = json_object_new_object();

		add_opt(o, "findingId", t->finding_id);
		add_opt(o, "kind", t->kind);
		add_opt(o, "arn", t->arn);
		if (t->access_key_id)
			add_opt(o, "accessKeyId", t->access_key_id);
		add_opt(o, "runbook", t->runbook);
		add_opt(o, "rule", t->rule);
		json_object_object_add(o, "dryRun", json_object_new_boolean(t->dry_run));
		add_opt(o, "dryRunReason", t->dry_run_reason);
		json_object_object_add(o, "duplicate", json_object_new_boolean(t->duplicate));
		add_opt(o, "skipReason", t->skip_reason);
		if (t->role_arn)
			add_opt(o, "roleArn", t->role_arn);
		if (t->access && t->access->role_count > 1) {
			struct json_object *via = json_object_new_array();

			for (size_t k = 0; k + 1 < t->access->role_count; k++)
				json_object_array_add(via,
						      json_object_new_string(t->access->roles[k]));
			json_object_object_add(o, "viaRoles", via);
		}
		json_object_array_add(a, o);
	}
	return a;
}
