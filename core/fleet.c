/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fleets (fleet.h): targets files, tag queries through the Resource Groups Tagging API, and a
 * pool of worker threads running one execution per target within the concurrency bounds.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arn.h"
#include "aws/client.h"
#include "aws/endpoints.h"
#include "config.h"
#include "diag.h"
#include "error.h"
#include "executor.h"
#include "fleet.h"
#include "fleet_journal.h"
#include "journal.h"
#include "node.h"
#include "params.h"
#include "resume.h"
#include "runbook.h"
#include "util.h"

#define MAX_FILE (16u << 20)
#define GLOBAL_REGION "global"

/* ---- targets files ------------------------------------------------------------------------ */

static void strv_push(char ***v, size_t *n, char *s)
{
	*v = irx_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Adds an ARN unless it is already there (linear: lists are read once). */
static void add_unique(char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return;
	strv_push(v, n, irx_xstrdup(s));
}

void irx_fleet_spec_release(struct irx_fleet_spec *s)
{
	if (!s)
		return;
	strv_free(s->arns, s->arn_count);
	for (size_t i = 0; i < s->tag_count; i++) {
		for (size_t k = 0; s->tag_values[i] && s->tag_values[i][k]; k++)
			free(s->tag_values[i][k]);
		free(s->tag_values[i]);
	}
	strv_free(s->tag_keys, s->tag_count);
	free(s->tag_values);
	strv_free(s->resource_types, s->resource_type_count);
	strv_free(s->accounts, s->account_count);
	strv_free(s->regions, s->region_count);
	memset(s, 0, sizeof(*s));
}

/* True when the first line that is not blank or a comment starts with "arn:". */
static bool looks_like_list(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		while (i < len &&
		       (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
			i++;
		if (i == len)
			break;
		if (buf[i] == '#') {
			while (i < len && buf[i] != '\n')
				i++;
			continue;
		}
		return i + 4 <= len && strncmp(buf + i, "arn:", 4) == 0;
	}
	return true; /* empty: reported as "no targets" */
}

static int load_list(const char *name, const char *buf, size_t len, struct irx_fleet_spec *s,
		     struct irx_diags *diags)
{
	size_t before = diags->count, line = 0;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *stop = eol ? eol : end, *a = p, *b = NULL;
		struct irx_arn arn;
		char why[128] = "";
		char *text = NULL;

		line++;
		b = memchr(a, '#', (size_t)(stop - a));
		if (!b)
			b = stop;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a < b) {
			text = irx_xstrndup(a, (size_t)(b - a));
			if (strlen(text) != (size_t)(b - a) || strpbrk(text, " \t"))
				irx_diags_add_at(diags, name, (unsigned)line, (unsigned)(a - p) + 1,
						 "one ARN per line: '%s'", text);
			else if (irx_arn_parse(text, &arn, why, sizeof(why)) < 0)
				irx_diags_add_at(diags, name, (unsigned)line, (unsigned)(a - p) + 1,
						 "'%s' is not an ARN: %s", text, why);
			else if (s->arn_count == IRX_FLEET_MAX_TARGETS)
				irx_diags_add_at(diags, name, (unsigned)line, 1,
						 "more than %d targets", IRX_FLEET_MAX_TARGETS);
			else
				add_unique(&s->arns, &s->arn_count, text);
			free(text);
		}
		p = eol ? eol + 1 : end;
	}
	if (diags->count == before && s->arn_count == 0)
		irx_diags_add_at(diags, name, 0, 0, "no targets in '%s'", name);
	return diags->count == before ? 0 : -1;
}

/* A scalar string or a list of them into *out; diagnostics otherwise. */
static bool str_list(const struct irx_node *n, const char *key, char ***out, size_t *count,
		     struct irx_diags *diags)
{
	if (n->kind != IRX_NODE_SEQ) {
		irx_diags_add(diags, n, "'%s' must be a list of strings, not a %s", key,
			      irx_node_type_name(n));
		return false;
	}
	for (size_t i = 0; i < n->count; i++) {
		const char *v = irx_node_str(n->items[i]);

		if (!v || !*v || irx_node_is_null(n->items[i])) {
			irx_diags_add(diags, n->items[i], "'%s' must be a list of strings", key);
			return false;
		}
		strv_push(out, count, irx_xstrdup(v));
	}
	if (n->count == 0) {
		irx_diags_add(diags, n, "'%s' is empty", key);
		return false;
	}
	return true;
}

/* accounts / regions: "all" or a list. */
static void all_or_list(const struct irx_node *n, const char *key, bool *all, char ***out,
			size_t *count, struct irx_diags *diags)
{
	const char *v = irx_node_str(n);

	if (v && strcmp(v, "all") == 0) {
		*all = true;
		return;
	}
	if (v) {
		irx_diags_add(diags, n, "'%s' must be 'all' or a list, not '%s'", key, v);
		return;
	}
	str_list(n, key, out, count, diags);
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void load_query(const struct irx_node *root, struct irx_fleet_spec *s,
		       struct irx_diags *diags)
{
	const struct irx_node *tags = NULL;

	s->is_query = true;
	s->all_regions = true;
	if (!root || root->kind != IRX_NODE_MAP) {
		irx_diags_add(diags, root,
			      "a targets file is ARNs, one a line, or a query map (tags, "
			      "resourceTypes, accounts, regions)");
		return;
	}
	for (size_t i = 0; i < root->count; i++) {
		const char *k = irx_node_str(root->keys[i]);
		const struct irx_node *v = root->items[i];

		if (strcmp(k, "tags") == 0) {
			tags = v;
		} else if (strcmp(k, "resourceTypes") == 0) {
			if (str_list(v, k, &s->resource_types, &s->resource_type_count, diags))
				for (size_t t = 0; t < s->resource_type_count; t++)
					if (!strchr(s->resource_types[t], ':') &&
					    strpbrk(s->resource_types[t], " /"))
						irx_diags_add(diags, v->items[t],
							      "resource type '%s' is not "
							      "'service' or 'service:type'",
							      s->resource_types[t]);
		} else if (strcmp(k, "accounts") == 0) {
			all_or_list(v, k, &s->all_accounts, &s->accounts, &s->account_count, diags);
			for (size_t a = 0; a < s->account_count; a++)
				if (!all_digits(s->accounts[a], 12))
					irx_diags_add(diags, v->items[a],
						      "account '%s' is not 12 digits (quote ids: "
						      "\"012345678901\")",
						      s->accounts[a]);
		} else if (strcmp(k, "regions") == 0) {
			s->all_regions = false;
			all_or_list(v, k, &s->all_regions, &s->regions, &s->region_count, diags);
		} else {
			irx_diags_add(diags, root->keys[i],
				      "unknown key '%s' in the targets query (expected tags, "
				      "resourceTypes, accounts, regions)",
				      k);
		}
	}
	/* without a tag filter a query would name every resource of the accounts */
	if (!tags) {
		irx_diags_add(diags, root, "a targets query needs 'tags'");
		return;
	}
	if (tags->kind != IRX_NODE_MAP || tags->count == 0) {
		irx_diags_add(diags, tags, "'tags' must be a map of tag keys to values");
		return;
	}
	s->tag_values = irx_xcalloc(tags->count, sizeof(*s->tag_values));
	for (size_t i = 0; i < tags->count; i++) {
		const struct irx_node *v = tags->items[i];
		char **vals = NULL;
		size_t n = 0;

		strv_push(&s->tag_keys, &s->tag_count, irx_xstrdup(irx_node_str(tags->keys[i])));
		if (irx_node_is_null(v)) {
			/* any value */
		} else if (irx_node_str(v)) {
			strv_push(&vals, &n, irx_xstrdup(irx_node_str(v)));
		} else if (v->kind == IRX_NODE_SEQ && v->count > 0) {
			for (size_t k = 0; k < v->count; k++) {
				if (!irx_node_str(v->items[k])) {
					irx_diags_add(diags, v->items[k],
						      "tag '%s': values must be strings",
						      s->tag_keys[i]);
					break;
				}
				strv_push(&vals, &n, irx_xstrdup(irx_node_str(v->items[k])));
			}
		} else {
			irx_diags_add(diags, v,
				      "tag '%s': the value must be a string, a list of strings or "
				      "null (any value)",
				      s->tag_keys[i]);
		}
		strv_push(&vals, &n, NULL);
		s->tag_values[i] = vals;
	}
}

int irx_fleet_spec_load_buffer(const char *name, const char *buf, size_t len,
			       struct irx_fleet_spec *s, struct irx_diags *diags)
{
	struct irx_doc *doc = NULL;
	size_t before = diags->count;

	memset(s, 0, sizeof(*s));
	if (looks_like_list(buf, len))
		return load_list(name, buf, len, s, diags);
	doc = irx_doc_load_buffer(name, buf, len, diags);
	if (doc)
		load_query(doc->root, s, diags);
	irx_doc_free(doc);
	if (diags->count != before) {
		irx_fleet_spec_release(s);
		return -1;
	}
	return 0;
}

int irx_fleet_spec_load(const char *path, struct irx_fleet_spec *s, struct irx_diags *diags)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (irx_read_file(path, MAX_FILE, &buf, &len) < 0) {
		irx_diags_add_at(diags, path, 0, 0, "cannot read the targets file: %s",
				 errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
		return -1;
	}
	rc = irx_fleet_spec_load_buffer(path, buf, len, s, diags);
	free(buf);
	return rc;
}

/* ---- connections: one libcurl transport per concurrent request batch ----------------------- */

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct irx_aws_curl **all, **idle;
	size_t n, nidle;
};

static int pool_perform(void *ud, const struct irx_aws_transport_request *reqs,
			struct irx_aws_transport_response *resps, size_t n)
{
	struct pool *p = ud;
	struct irx_aws_curl *c = NULL;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	while (p->nidle == 0)
		pthread_cond_wait(&p->freed, &p->lock);
	c = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	rc = irx_aws_curl_perform(c, reqs, resps, n);
	pthread_mutex_lock(&p->lock);
	p->idle[p->nidle++] = c;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* ---- accounts: a client each ---------------------------------------------------------------- */

struct account {
	char id[16]; /* "" for ARNs without an account */
	struct irx_aws_client *client;
	char *role_arn; /* owned; --role-arn (NULL: access below, else the caller's keys) */
	const char *external_id;
	struct irx_config_access access; /* the configuration's role chain into it (owned) */
	char *role_error; /* owned: why this account cannot be reached */
	unsigned running;
};

struct region_count {
	char name[32];
	unsigned running;
};

struct irx_fleet {
	struct irx_fleet_options o;
	struct pool pool;
	pthread_mutex_t lock; /* accounts, regions, the queue and results */
	pthread_cond_t changed;
	struct account **accounts;
	size_t account_count;
	struct region_count *regions;
	size_t region_count;
	/* the run */
	const struct irx_fleet_target *plan;
	struct irx_fleet_result *results;
	bool *started;
	size_t count, next, done;
	/* the fleet journal: written under lock; its first write failure */
	char id[IRX_FLEET_ID_LEN + 1];
	struct irx_journal *journal;
	struct irx_error jerr;
	/* irx_fleet_each: the work run per target instead of an execution */
	irx_fleet_work_fn *work;
	void *work_ud;
};

struct irx_fleet *irx_fleet_new(const struct irx_fleet_options *o, struct irx_error *err)
{
	struct irx_fleet *f = NULL;
	size_t conns = 0;

	if (!o->base.state_dir) {
		irx_error_set(err, IRX_ERR_INVALID, "a fleet needs a state directory");
		if (o->resume)
			irx_journal_close(o->resume->journal);
		return NULL;
	}
	f = irx_xcalloc(1, sizeof(*f));
	f->o = *o;
	if (o->resume) {
		snprintf(f->id, sizeof(f->id), "%s", o->resume->fleet_id);
		f->journal = o->resume->journal;
	} else {
		irx_fleet_id_new(f->id);
	}
	if (!f->o.concurrency)
		f->o.concurrency = IRX_FLEET_DEFAULT_CONCURRENCY;
	if (!f->o.per_account)
		f->o.per_account = IRX_FLEET_DEFAULT_PER_ACCOUNT;
	if (!f->o.per_region)
		f->o.per_region = IRX_FLEET_DEFAULT_PER_REGION;
	if (f->o.concurrency > IRX_FLEET_MAX_CONCURRENCY)
		f->o.concurrency = IRX_FLEET_MAX_CONCURRENCY;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->changed, NULL);
	pthread_mutex_init(&f->pool.lock, NULL);
	pthread_cond_init(&f->pool.freed, NULL);
	conns = f->o.concurrency + 1; /* the workers and the query */
	f->pool.all = irx_xcalloc(conns, sizeof(*f->pool.all));
	f->pool.idle = irx_xcalloc(conns, sizeof(*f->pool.idle));
	for (size_t i = 0; i < conns; i++) {
		struct irx_aws_curl *c = irx_aws_curl_new();

		if (!c) {
			irx_error_set(err, IRX_ERR_IO, "cannot initialise libcurl");
			irx_fleet_free(f);
			return NULL;
		}
		f->pool.all[f->pool.n++] = c;
		f->pool.idle[f->pool.nidle++] = c;
	}
	return f;
}

void irx_fleet_free(struct irx_fleet *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->account_count; i++) {
		irx_aws_client_free(f->accounts[i]->client);
		free(f->accounts[i]->role_arn);
		irx_config_access_release(&f->accounts[i]->access);
		free(f->accounts[i]->role_error);
		free(f->accounts[i]);
	}
	free(f->accounts);
	free(f->regions);
	irx_journal_close(f->journal);
	for (size_t i = 0; i < f->pool.n; i++)
		irx_aws_curl_free(f->pool.all[i]);
	free(f->pool.all);
	free(f->pool.idle);
	pthread_mutex_destroy(&f->pool.lock);
	pthread_cond_destroy(&f->pool.freed);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->changed);
	free(f);
}

const char *irx_fleet_id(const struct irx_fleet *f)
{
	return f->id;
}

/*
 * The account's entry, created on first use (f->lock held): its client, and the role to assume
 * there (--role-arn, else the configuration's, else none). A configured chain of several roles
 * makes the account unreachable: the client assumes one role per call.
 */
static struct account *account_get(struct irx_fleet *f, const char *id, struct irx_error *err)
{
	struct irx_aws_client_options co = {0};
	struct account *a = NULL;
	const char *ma = getenv("AWS_MAX_ATTEMPTS");

	for (size_t i = 0; i < f->account_count; i++)
		if (strcmp(f->accounts[i]->id, id) == 0)
			return f->accounts[i];
	co.region = f->o.base.region && *f->o.base.region ? f->o.base.region : NULL;
	co.profile = f->o.profile;
	co.transport = pool_perform;
	co.transport_ud = &f->pool;
	/* a fleet under throttling outlasts the SDKs' 3 attempts; AWS_MAX_ATTEMPTS still rules */
	co.max_attempts = ma && *ma ? 0 : IRX_FLEET_MAX_ATTEMPTS;
	a = irx_xcalloc(1, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	a->client = irx_aws_client_new(&co, err);
	if (!a->client) {
		free(a);
		return NULL;
	}
	if (f->o.role_arn) {
		a->role_arn = irx_xstrdup(f->o.role_arn);
		a->external_id = f->o.external_id;
	} else if (f->o.cfg && *id) {
		struct irx_error e = {0};

		/* the partition of the fleet's region: role ARNs in aws-cn / aws-us-gov too */
		if (irx_config_access(f->o.cfg, id, irx_partition_of(co.region ? co.region : ""),
				      &a->access, &e) < 0)
			a->role_error = irx_xasprintf("account %s: %s", id, e.message);
	}
	f->accounts = irx_xrealloc(f->accounts, (f->account_count + 1) * sizeof(*f->accounts));
	f->accounts[f->account_count++] = a;
	return a;
}

/* Who calls in account a: --role-arn, else the configuration's role chain, else the caller. */
static void account_context(const struct account *a, const char *region,
			    struct irx_aws_context *ctx)
{
	ctx->region = region;
	if (a->role_arn) {
		ctx->role_arn = a->role_arn;
		ctx->external_id = a->external_id;
	} else {
		irx_config_access_context(&a->access, ctx);
	}
}

static struct region_count *region_get(struct irx_fleet *f, const char *name)
{
	for (size_t i = 0; i < f->region_count; i++)
		if (strcmp(f->regions[i].name, name) == 0)
			return &f->regions[i];
	f->regions = irx_xrealloc(f->regions, (f->region_count + 1) * sizeof(*f->regions));
	memset(&f->regions[f->region_count], 0, sizeof(f->regions[0]));
	snprintf(f->regions[f->region_count].name, sizeof(f->regions[0].name), "%s", name);
	return &f->regions[f->region_count++];
}

/* ---- the query ------------------------------------------------------------------------------ */

static struct json_object *query_params(const struct irx_fleet_spec *s, const char *token)
{
	struct json_object *p = json_object_new_object(), *filters = json_object_new_array();

	for (size_t i = 0; i < s->tag_count; i++) {
		struct json_object *fl = json_object_new_object(), *vals = json_object_new_array();

		json_object_object_add(fl, "Key", json_object_new_string(s->tag_keys[i]));
		for (size_t k = 0; s->tag_values[i][k]; k++)
			json_object_array_add(vals, json_object_new_string(s->tag_values[i][k]));
		if (json_object_array_length(vals) > 0)
			json_object_object_add(fl, "Values", vals);
		else
			json_object_put(vals);
		json_object_array_add(filters, fl);
	}
	json_object_object_add(p, "TagFilters", filters);
	if (s->resource_type_count) {
		struct json_object *types = json_object_new_array();

		for (size_t i = 0; i < s->resource_type_count; i++)
			json_object_array_add(types, json_object_new_string(s->resource_types[i]));
		json_object_object_add(p, "ResourceTypeFilters", types);
	}
	json_object_object_add(p, "ResourcesPerPage", json_object_new_int(100));
	if (token && *token)
		json_object_object_add(p, "PaginationToken", json_object_new_string(token));
	return p;
}

static int query_one(struct irx_fleet *f, const struct irx_fleet_spec *s, struct account *a,
		     const char *region, char ***arns, size_t *count, struct irx_error *err)
{
	struct irx_aws_context ctx = {0};
	char *token = NULL;
	int rc = 0;

	(void)f;
	account_context(a, region, &ctx);
	do {
		struct json_object *p = query_params(s, token), *resp = NULL, *list = NULL;

		rc = irx_aws_call(a->client, &ctx, "resourcegroupstaggingapi", "GetResources", p,
				  &resp, err);
		json_object_put(p);
		free(token);
		token = NULL;
		if (rc < 0) {
			irx_error_prefix(err, "querying account %s in %s",
					 *a->id ? a->id : "(the caller's)", region);
			break;
		}
		list = json_object_object_get(resp, "ResourceTagMappingList");
		for (size_t i = 0; list && i < json_object_array_length(list); i++) {
			const char *arn = json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(list, i), "ResourceARN"));

			if (arn && *arn && *count < IRX_FLEET_MAX_TARGETS)
				add_unique(arns, count, arn);
		}
		token = irx_xstrdup(
		    json_object_get_string(json_object_object_get(resp, "PaginationToken")));
		json_object_put(resp);
	} while (*token);
	free(token);
	return rc;
}

/* Every region enabled in the account (ec2:DescribeRegions). */
static int enabled_regions(struct account *a, const char *home, char ***out, size_t *n,
			   struct irx_error *err)
{
	struct irx_aws_context ctx = {0};
	struct json_object *resp = NULL, *list = NULL;

	account_context(a, home, &ctx);

	if (irx_aws_call(a->client, &ctx, "ec2", "DescribeRegions", NULL, &resp, err) < 0) {
		irx_error_prefix(err, "listing the regions of account %s", a->id);
		return -1;
	}
	list = json_object_object_get(resp, "Regions");
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		strv_push(out, n,
			  irx_xstrdup(json_object_get_string(json_object_object_get(
			      json_object_array_get_idx(list, i), "RegionName"))));
	json_object_put(resp);
	return 0;
}

int irx_fleet_resolve(struct irx_fleet *f, const struct irx_fleet_spec *s, char ***arns,
		      size_t *count, struct irx_error *err)
{
	const struct irx_config *cfg = f->o.cfg;
	char **accounts = NULL;
	size_t account_count = 0;
	const char *home = f->o.base.region && *f->o.base.region ? f->o.base.region : NULL;
	int rc = 0;

	*arns = NULL;
	*count = 0;
	if (!s->is_query) {
		for (size_t i = 0; i < s->arn_count; i++)
			strv_push(arns, count, irx_xstrdup(s->arns[i]));
		return 0;
	}
	if (s->account_count) {
		for (size_t i = 0; i < s->account_count; i++)
			strv_push(&accounts, &account_count, irx_xstrdup(s->accounts[i]));
	} else if (cfg && cfg->account_count) {
		for (size_t i = 0; i < cfg->account_count; i++)
			strv_push(&accounts, &account_count, irx_xstrdup(cfg->accounts[i].id));
	} else if (s->all_accounts) {
		irx_error_set(err, IRX_ERR_INVALID,
			      "'accounts: all' needs accounts in the configuration (irx.yaml)");
		return -1;
	} else {
		strv_push(&accounts, &account_count, irx_xstrdup("")); /* the caller's own */
	}
	for (size_t i = 0; i < account_count && rc == 0; i++) {
		const struct irx_config_account *ca = irx_config_account(cfg, accounts[i]);
		struct account *a = NULL;
		char **regions = NULL;
		size_t region_count = 0;

		pthread_mutex_lock(&f->lock);
		a = account_get(f, accounts[i], err);
		pthread_mutex_unlock(&f->lock);
		if (!a) {
			rc = -1;
			break;
		}
		if (a->role_error) {
			irx_error_set(err, IRX_ERR_INVALID, "%s", a->role_error);
			rc = -1;
			break;
		}
		if (!s->all_regions) {
			for (size_t k = 0; k < s->region_count; k++)
				strv_push(&regions, &region_count, irx_xstrdup(s->regions[k]));
		} else if (ca && !ca->all_regions && ca->region_count) {
			for (size_t k = 0; k < ca->region_count; k++)
				strv_push(&regions, &region_count, irx_xstrdup(ca->regions[k]));
		} else if (ca && ca->all_regions) {
			rc = enabled_regions(a, home, &regions, &region_count, err);
		} else if (home || irx_aws_client_region(a->client)[0]) {
			strv_push(&regions, &region_count,
				  irx_xstrdup(home ? home : irx_aws_client_region(a->client)));
		} else {
			irx_error_set(
			    err, IRX_ERR_INVALID,
			    "no region to query in account %s: name 'regions' in the query "
			    "or the account's in the configuration, or use --region",
			    *a->id ? a->id : "(the caller's)");
			rc = -1;
		}
		for (size_t k = 0; k < region_count && rc == 0; k++)
			rc = query_one(f, s, a, regions[k], arns, count, err);
		strv_free(regions, region_count);
	}
	strv_free(accounts, account_count);
	if (rc < 0) {
		strv_free(*arns, *count);
		*arns = NULL;
		*count = 0;
	}
	return rc;
}

/* ---- running -------------------------------------------------------------------------------- */

const char *irx_fleet_outcome_name(enum irx_fleet_outcome o)
{
	switch (o) {
	case IRX_FLEET_CONTAINED:
		return "contained";
	case IRX_FLEET_SKIPPED:
		return "skipped";
	case IRX_FLEET_FAILED:
		break;
	}
	return "failed";
}

struct log_ctx {
	const struct irx_fleet *f;
	const char *arn;
};

/* Plugins' warnings and errors, each line naming its target: executions run side by side. */
static void fleet_log(void *ud, enum irx_log_level level, const char *step, const char *message)
{
	const struct log_ctx *l = ud;
	char *m = NULL;

	if (level < IRX_LOG_WARN || !l->f->o.log)
		return;
	m = irx_xasprintf("%s: %s", l->arn, message);
	l->f->o.log(l->f->o.log_ud, level, step, m);
	free(m);
}

static char *skipped_reason(struct json_object *skipped)
{
	char *out = NULL;

	for (size_t i = 0; i < json_object_array_length(skipped); i++) {
		struct json_object *sk = json_object_array_get_idx(skipped, i);
		char *next =
		    irx_xasprintf("%s%sstep '%s': %s", out ? out : "", out ? "; " : "",
				  json_object_get_string(json_object_object_get(sk, "step")),
				  json_object_get_string(json_object_object_get(sk, "message")));

		free(out);
		out = next;
	}
	return out;
}

/* r's outcome from an execution that ran to its end. */
static void set_outcome(struct irx_fleet_result *r, const struct irx_exec_result *res)
{
	memcpy(r->execution_id, res->execution_id, sizeof(r->execution_id));
	r->status = res->status;
	if (strcmp(res->status, "Success") != 0) {
		r->outcome = IRX_FLEET_FAILED;
		r->reason = irx_xstrdup(res->failure_message[0] ? res->failure_message : res->status);
	} else if (res->skipped_steps && json_object_array_length(res->skipped_steps) > 0) {
		r->outcome = IRX_FLEET_SKIPPED;
		r->reason = skipped_reason(res->skipped_steps);
	} else {
		r->outcome = IRX_FLEET_CONTAINED;
	}
}

/* One target's execution, on a worker thread; r's arn, account and region are set. */
static void run_target(struct irx_fleet *f, struct irx_fleet_result *r)
{
	struct irx_diags diags = {0};
	struct irx_exec_options eo = f->o.base;
	struct irx_exec_result res = {0};
	struct irx_aws_context ctx = {0};
	struct irx_error err = {0};
	struct log_ctx lc = {.f = f, .arn = r->arn};
	struct json_object *params = NULL;
	const char **assign = irx_xcalloc(f->o.assignment_count + 1, sizeof(*assign));
	char *target_assign = irx_xasprintf("TargetArn=%s", r->arn);
	struct account *a = NULL;
	long long t0 = irx_now_ms();

	r->outcome = IRX_FLEET_FAILED;
	r->status = "NotStarted";
	pthread_mutex_lock(&f->lock);
	a = account_get(f, r->account, &err);
	pthread_mutex_unlock(&f->lock);
	if (!a) {
		r->reason = irx_xstrdup(err.message);
		goto out;
	}
	if (a->role_error) {
		r->reason = irx_xstrdup(a->role_error);
		goto out;
	}
	memcpy(assign, f->o.assignments, f->o.assignment_count * sizeof(*assign));
	assign[f->o.assignment_count] = target_assign;
	params = irx_params_bind(f->o.rb, assign, f->o.assignment_count + 1, &diags);
	if (!params) {
		r->reason =
		    irx_xstrdup(diags.count ? diags.items[0].message : "invalid parameters");
		goto out;
	}
	eo.account_id = r->account;
	if (r->region[0])
		eo.region = r->region;
	eo.progress = NULL;
	eo.progress_ud = NULL;
	eo.log = fleet_log;
	eo.log_ud = &lc;
	account_context(a, eo.region && *eo.region ? eo.region : NULL, &ctx);
	irx_aws_attach_exec(&eo, a->client, &ctx);
	if (irx_execute(f->o.rb, params, f->o.actions, &eo, &res, &err) < 0) {
		r->status = "Failed";
		memcpy(r->execution_id, res.execution_id, sizeof(r->execution_id));
		r->reason = irx_xstrdup(err.message[0] ? err.message : res.failure_message);
		goto out;
	}
	set_outcome(r, &res);
out:
	r->duration_ms = irx_now_ms() - t0;
	irx_exec_result_release(&res);
	json_object_put(params);
	irx_diags_release(&diags);
	free(target_assign);
	free(assign);
}

/*
 * Continues a target's interrupted execution (irx resume FLEET_ID) on a worker thread, as `irx
 * resume EXECUTION_ID` would. When it cannot be continued, r says why and stays interrupted.
 */
static void resume_target(struct irx_fleet *f, struct irx_fleet_result *r, const char *id)
{
	const struct irx_fleet_resume *fr = f->o.resume;
	struct irx_resume rs = {0};
	struct irx_diags diags = {0};
	struct irx_exec_options eo = f->o.base;
	struct irx_exec_result res = {0};
	struct irx_aws_context ctx = {0};
	struct irx_error err = {0};
	struct log_ctx lc = {.f = f, .arn = r->arn};
	struct json_object *params = NULL;
	struct account *a = NULL;
	long long t0 = irx_now_ms();

	r->outcome = IRX_FLEET_FAILED;
	r->status = "Interrupted";
	r->interrupted = true;
	snprintf(r->execution_id, sizeof(r->execution_id), "%s", id);
	pthread_mutex_lock(&f->lock);
	a = account_get(f, r->account, &err);
	pthread_mutex_unlock(&f->lock);
	if (!a || a->role_error) {
		r->reason = irx_xstrdup(a ? a->role_error : err.message);
		goto out;
	}
	if (irx_resume_load(eo.state_dir, id, &rs, &err) < 0 ||
	    irx_resume_plan(&rs, f->o.rb, f->o.actions, &err) < 0) {
		r->reason = irx_xstrdup(err.message);
		goto out;
	}
	params = irx_resume_params(&rs, f->o.rb, fr ? fr->overrides : NULL,
				   fr ? fr->override_count : 0, &diags);
	if (!params) {
		r->reason =
		    irx_xstrdup(diags.count ? diags.items[0].message : "invalid parameters");
		goto out;
	}
	irx_resume_exec_options(&rs, &eo);
	eo.progress = NULL;
	eo.progress_ud = NULL;
	eo.log = fleet_log;
	eo.log_ud = &lc;
	account_context(a, eo.region && *eo.region ? eo.region : NULL, &ctx);
	irx_aws_attach_exec(&eo, a->client, &ctx);
	if (irx_resume_execute(&rs, f->o.rb, params, f->o.actions, &eo, fr && fr->force, &res,
			       &err) < 0) {
		r->reason = irx_xstrdup(err.message[0] ? err.message : res.failure_message);
		goto out;
	}
	r->interrupted = false;
	set_outcome(r, &res);
out:
	r->duration_ms = irx_now_ms() - t0;
	irx_exec_result_release(&res);
	json_object_put(params);
	irx_diags_release(&diags);
	irx_resume_release(&rs);
}

/* Appends a record (taken) to the fleet journal (f->lock held, or no worker running). */
static void fleet_append(struct irx_fleet *f, struct json_object *rec)
{
	struct irx_error e = {0};

	if (f->journal && irx_journal_append(f->journal, rec, &e) < 0)
		irx_error_set(&f->jerr, e.code, "%s", e.message);
	json_object_put(rec);
}

/* A target ended (f->lock held): its record, then the caller's callback. */
static void target_done(struct irx_fleet *f, struct irx_fleet_result *r, bool record)
{
	if (record && !r->interrupted)
		fleet_append(f, irx_fleet_record_target_end(r));
	f->done++;
	if (f->o.done)
		f->o.done(f->o.done_ud, r, f->done, f->count);
}

/* The next target whose account and region have room (f->lock held), or -1. */
static long pick(struct irx_fleet *f, struct account **acct, struct region_count **reg)
{
	while (f->next < f->count && f->started[f->next])
		f->next++;
	for (size_t i = f->next; i < f->count; i++) {
		struct irx_fleet_result *r = &f->results[i];
		struct account *a = NULL;
		struct region_count *rc = NULL;
		struct irx_error err = {0};

		if (f->started[i])
			continue;
		a = account_get(f, r->account, &err);
		rc = region_get(f, r->region[0] ? r->region : GLOBAL_REGION);
		if (!a) { /* no client: the target fails at once, without a slot */
			*acct = NULL;
			*reg = NULL;
			f->started[i] = true;
			return (long)i;
		}
		if (a->running < f->o.per_account && rc->running < f->o.per_region) {
			a->running++;
			rc->running++;
			*acct = a;
			*reg = rc;
			f->started[i] = true;
			return (long)i;
		}
	}
	return -1;
}

static void *worker(void *ud)
{
	struct irx_fleet *f = ud;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct account *a = NULL;
		struct region_count *rc = NULL;
		long i = pick(f, &a, &rc);

		if (i < 0) {
			if (f->next >= f->count)
				break;
			pthread_cond_wait(&f->changed, &f->lock);
			continue;
		}
		pthread_mutex_unlock(&f->lock);
		if (f->work)
			f->work(f->work_ud, f, (size_t)i, &f->results[i]);
		else if (f->plan[i].action == IRX_FLEET_RESUME)
			resume_target(f, &f->results[i], f->plan[i].execution_id);
		else
			run_target(f, &f->results[i]);
		pthread_mutex_lock(&f->lock);
		if (a)
			a->running--;
		if (rc)
			rc->running--;
		if (f->work)
			f->done++;
		else
			target_done(f, &f->results[i], true);
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* The fleet's assignments as its journal keeps them: {NAME: VALUE}, secrets redacted. */
static struct json_object *journal_assignments(const struct irx_fleet *f)
{
	struct json_object *raw = json_object_new_object(), *out = NULL;

	for (size_t i = 0; i < f->o.assignment_count; i++) {
		const char *a = f->o.assignments[i], *eq = strchr(a, '=');
		char *name = NULL;

		if (!eq)
			continue;
		name = irx_xstrndup(a, (size_t)(eq - a));
		json_object_object_add(raw, name, json_object_new_string(eq + 1));
		free(name);
	}
	out = irx_exec_journal_params(f->o.rb, f->o.actions, raw);
	json_object_put(raw);
	return out;
}

/* fleet_start (a new fleet) or resume (a continued one): the journal exists before any work. */
static int journal_begin(struct irx_fleet *f, const struct irx_fleet_target *plan, size_t count,
			 struct irx_error *err)
{
	struct json_object *rec = NULL;
	size_t n[3] = {0};
	int rc = 0;

	if (f->o.resume) {
		for (size_t i = 0; i < count; i++)
			n[plan[i].action]++;
		rec = irx_fleet_record_resume(n[IRX_FLEET_DONE], n[IRX_FLEET_RESUME],
					      n[IRX_FLEET_START], f->o.resume->force);
	} else {
		const char **arns = irx_xcalloc(count ? count : 1, sizeof(*arns));
		struct json_object *assign = journal_assignments(f);

		for (size_t i = 0; i < count; i++)
			arns[i] = plan[i].arn;
		f->journal = irx_journal_create_kind(&irx_journal_kind_fleet, f->o.base.state_dir,
						     f->id, err);
		if (f->journal)
			rec = irx_fleet_record_start(f->id, &f->o, arns, count, assign);
		json_object_put(assign);
		free(arns);
		if (!f->journal)
			return -1;
	}
	if (irx_journal_append(f->journal, rec, err) < 0)
		rc = -1;
	json_object_put(rec);
	return rc;
}

/*
 * Starts up to nthreads workers (within the concurrency) on f's targets and waits for them;
 * f->started is freed. Returns 0, or -1 with err set when none could be started.
 */
static int run_workers(struct irx_fleet *f, size_t nthreads, struct irx_error *err)
{
	pthread_t *threads = NULL;
	size_t started = 0;

	if (nthreads > f->o.concurrency)
		nthreads = f->o.concurrency;
	threads = irx_xcalloc(nthreads ? nthreads : 1, sizeof(*threads));
	for (size_t i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], NULL, worker, f) != 0)
			break;
		started++;
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	free(f->started);
	f->started = NULL;
	if (started == 0 && nthreads > 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot start worker threads: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int irx_fleet_each(struct irx_fleet *f, const char *const *targets, size_t count,
		   irx_fleet_work_fn *fn, void *ud, struct irx_error *err)
{
	struct irx_fleet_target *plan = irx_xcalloc(count ? count : 1, sizeof(*plan));
	int rc = 0;

	f->work = fn;
	f->work_ud = ud;
	f->plan = plan;
	f->results = irx_xcalloc(count ? count : 1, sizeof(*f->results));
	f->started = irx_xcalloc(count ? count : 1, sizeof(*f->started));
	f->count = count;
	f->next = 0;
	f->done = 0;
	for (size_t i = 0; i < count; i++) {
		struct irx_arn arn;
		char why[128] = "";

		plan[i].arn = targets[i];
		f->results[i].arn = irx_xstrdup(targets[i]);
		if (irx_arn_parse(targets[i], &arn, why, sizeof(why)) == 0) {
			snprintf(f->results[i].account, sizeof(f->results[i].account), "%s",
				 arn.account);
			snprintf(f->results[i].region, sizeof(f->results[i].region), "%s",
				 arn.region);
		}
	}
	rc = run_workers(f, count, err);
	irx_fleet_results_free(f->results, count);
	f->results = NULL;
	f->plan = NULL;
	f->work = NULL;
	free(plan);
	return rc;
}

int irx_fleet_attach(struct irx_fleet *f, const char *account, const char *region,
		     const char *session_name, struct irx_exec_options *eo, struct irx_error *err)
{
	struct irx_aws_context ctx = {0};
	struct account *a = NULL;

	pthread_mutex_lock(&f->lock);
	a = account_get(f, account ? account : "", err);
	pthread_mutex_unlock(&f->lock);
	if (!a)
		return -1;
	if (a->role_error) {
		irx_error_set(err, IRX_ERR_CREDENTIALS, "%s", a->role_error);
		return -1;
	}
	account_context(a, region && *region ? region : NULL, &ctx);
	ctx.session_name = session_name;
	irx_aws_attach_exec(eo, a->client, &ctx);
	return 0;
}

int irx_fleet_run(struct irx_fleet *f, const char *const *targets, size_t count,
		  struct irx_fleet_result **results, struct irx_error *err)
{
	struct irx_fleet_target *plan = irx_xcalloc(count ? count : 1, sizeof(*plan));
	int rc = 0;

	for (size_t i = 0; i < count; i++)
		plan[i].arn = targets[i];
	rc = irx_fleet_run_plan(f, plan, count, results, err);
	free(plan);
	return rc;
}

int irx_fleet_run_plan(struct irx_fleet *f, const struct irx_fleet_target *plan, size_t count,
		       struct irx_fleet_result **results, struct irx_error *err)
{
	size_t nthreads = 0, ninterrupted = 0;
	const char **interrupted = NULL;
	long long t0 = irx_now_ms();

	*results = NULL;
	if (!f->o.rb) {
		irx_error_set(err, IRX_ERR_INVALID, "a fleet needs a runbook");
		return -1;
	}
	if (journal_begin(f, plan, count, err) < 0)
		return -1;
	*results = irx_xcalloc(count ? count : 1, sizeof(**results));
	f->plan = plan;
	f->results = *results;
	f->started = irx_xcalloc(count ? count : 1, sizeof(*f->started));
	f->count = count;
	f->next = 0;
	f->done = 0;
	f->o.base.fleet_id = f->id;
	for (size_t i = 0; i < count; i++) {
		struct irx_fleet_result *r = &f->results[i];
		struct irx_arn arn;
		char why[128] = "";

		r->arn = irx_xstrdup(plan[i].arn);
		r->outcome = IRX_FLEET_FAILED;
		r->status = "NotStarted";
		if (irx_arn_parse(plan[i].arn, &arn, why, sizeof(why)) == 0) {
			snprintf(r->account, sizeof(r->account), "%s", arn.account);
			snprintf(r->region, sizeof(r->region), "%s", arn.region);
		}
		if (plan[i].action == IRX_FLEET_DONE) {
			snprintf(r->execution_id, sizeof(r->execution_id), "%s",
				 plan[i].execution_id ? plan[i].execution_id : "");
			r->outcome = plan[i].outcome;
			r->status = plan[i].status ? plan[i].status : "NotStarted";
			r->reason = plan[i].reason ? irx_xstrdup(plan[i].reason) : NULL;
			r->duration_ms = plan[i].duration_ms;
			f->started[i] = true;
			target_done(f, r, !plan[i].recorded);
		} else if (why[0]) {
			/* reported as failed without running; no slot taken */
			r->reason = irx_xasprintf("not an ARN: %s", why);
			f->started[i] = true;
			target_done(f, r, true);
		} else {
			nthreads++;
		}
	}
	if (run_workers(f, nthreads, err) < 0)
		return -1;
	interrupted = irx_xcalloc(count ? count : 1, sizeof(*interrupted));
	for (size_t i = 0; i < count; i++)
		if (f->results[i].interrupted)
			interrupted[ninterrupted++] = f->results[i].arn;
	/* a fleet with an execution still interrupted can be resumed again (with --force) */
	if (ninterrupted)
		fleet_append(f, irx_fleet_record_resume_end(interrupted, ninterrupted));
	else
		fleet_append(f, irx_fleet_record_end(f->results, count, irx_now_ms() - t0));
	free(interrupted);
	if (f->jerr.code) {
		irx_error_set(err, f->jerr.code, "%s", f->jerr.message);
		return -1;
	}
	return 0;
}

void irx_fleet_results_free(struct irx_fleet_result *results, size_t count)
{
	for (size_t i = 0; results && i < count; i++) {
		free(results[i].arn);
		free(results[i].reason);
	}
	free(results);
}

struct json_object *irx_fleet_summary(const struct irx_fleet *f,
				      const struct irx_fleet_result *results, size_t count,
				      long long duration_ms)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	size_t n[4] = {0};

	json_object_object_add(o, "FleetId", json_object_new_string(f->id));
	for (size_t i = 0; i < count; i++) {
		const struct irx_fleet_result *r = &results[i];
		struct json_object *e = json_object_new_object();

		n[r->outcome]++;
		json_object_object_add(e, "TargetArn", json_object_new_string(r->arn));
		json_object_object_add(e, "Account", json_object_new_string(r->account));
		json_object_object_add(e, "Region", json_object_new_string(r->region));
		json_object_object_add(e, "AutomationExecutionId",
				       r->execution_id[0] ? json_object_new_string(r->execution_id)
							  : NULL);
		json_object_object_add(e, "Outcome",
				       json_object_new_string(irx_fleet_outcome_name(r->outcome)));
		json_object_object_add(
		    e, "AutomationExecutionStatus",
		    json_object_new_string(r->status ? r->status : "NotStarted"));
		json_object_object_add(e, "Reason",
				       r->reason ? json_object_new_string(r->reason) : NULL);
		json_object_object_add(e, "DurationMs", json_object_new_int64(r->duration_ms));
		json_object_array_add(list, e);
	}
	json_object_object_add(o, "Runbook", json_object_new_string(f->o.rb->name));
	json_object_object_add(o, "DryRun", json_object_new_boolean(f->o.base.dry_run));
	json_object_object_add(o, "Targets", json_object_new_int64((int64_t)count));
	json_object_object_add(o, "Contained",
			       json_object_new_int64((int64_t)n[IRX_FLEET_CONTAINED]));
	json_object_object_add(o, "Skipped", json_object_new_int64((int64_t)n[IRX_FLEET_SKIPPED]));
	json_object_object_add(o, "Failed", json_object_new_int64((int64_t)n[IRX_FLEET_FAILED]));
	json_object_object_add(o, "DurationMs", json_object_new_int64(duration_ms));
	json_object_object_add(o, "Executions", list);
	return o;
}

char *irx_fleet_summary_text(bool dry_run, const struct irx_fleet_result *results, size_t count,
			     long long duration_ms)
{
	char *buf = NULL;
	size_t len = 0, n[4] = {0};
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		abort();
	for (size_t i = 0; i < count; i++)
		n[results[i].outcome]++;
	fprintf(out, "%zu target%s: %zu %s, %zu skipped by exception, %zu failed (%.1f s)\n",
		count, count == 1 ? "" : "s", n[IRX_FLEET_CONTAINED],
		dry_run ? "would be contained" : "contained", n[IRX_FLEET_SKIPPED],
		n[IRX_FLEET_FAILED], (double)duration_ms / 1000.0);
	for (size_t i = 0; i < count; i++)
		if (results[i].outcome != IRX_FLEET_CONTAINED)
			fprintf(out, "%s\t%s\t%s\t%s\n", irx_fleet_outcome_name(results[i].outcome),
				results[i].arn,
				results[i].execution_id[0] ? results[i].execution_id : "-",
				results[i].reason ? results[i].reason : "");
	fclose(out);
	return buf;
}
