/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Role chains and session tags: the AWS client's hops (an injected transport shows every
 * AssumeRole, its parameters and the keys it was signed with), the configuration's access path
 * per account (irx_config_access), and `irx run --target` through a hub role against the
 * simulator.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "aws/client.h"
#include "config.h"
#include "diag.h"
#include "error.h"
#include "executor.h"
#include "host.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

#define T0 1440938160 /* 2015-08-30T12:36:00Z */
#define HUB "arn:aws:iam::444444444444:role/irx-hub"
#define MEMBER "arn:aws:iam::222222222222:role/irx-responder"
#define OTHER "arn:aws:iam::333333333333:role/irx-responder"

static const char *const test_env[] = {"HOME=/nonexistent-irx-test",
				       "AWS_EC2_METADATA_DISABLED=true", NULL};

static const char ec2_ok[] =
    "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>req-ok</requestId><reservationSet/></DescribeInstancesResponse>";
static const char sts_denied[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized "
    "to perform sts:AssumeRole</Message></Error><RequestId>sts-err</RequestId></ErrorResponse>";

/* --- an injected transport that plays STS and EC2 ----------------------------------------- */

#define MAX_REQS 32

struct sent {
	char body[2048];
	char auth[512];	 /* Authorization */
	char token[256]; /* X-Amz-Security-Token, "" when none */
};

struct fake {
	time_t now;
	struct sent reqs[MAX_REQS];
	size_t count;
	const char *deny;  /* AssumeRole of this role ARN (URL-encoded in the body) is refused */
	int member_serial; /* each member AssumeRole gets a new key */
	int sts_delay_ms;  /* STS answers this late (threads overlap) */
};

static time_t clock_fn(void *ud)
{
	return ((struct fake *)ud)->now;
}

static void header(const struct irx_aws_transport_request *r, const char *name, char *out,
		   size_t len)
{
	size_t n = strlen(name);

	out[0] = '\0';
	for (const char *const *h = r->headers; h && *h; h++)
		if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
			snprintf(out, len, "%s", *h + n + 2);
}

/* "arn:aws:iam::444444444444:role/irx-hub" as the query serializer writes it. */
static char *url_arn(const char *arn)
{
	char *out = irx_xmalloc(strlen(arn) * 3 + 1), *p = out;

	for (const char *s = arn; *s; s++)
		p += *s == ':'	 ? sprintf(p, "%%3A")
		     : *s == '/' ? sprintf(p, "%%2F")
				 : sprintf(p, "%c", *s);
	*p = '\0';
	return out;
}

static bool assumes(const char *body, const char *arn)
{
	char *u = url_arn(arn);
	char *needle = irx_xasprintf("RoleArn=%s&", u);
	bool yes = strstr(body, "Action=AssumeRole&") && strstr(body, needle);

	free(needle);
	free(u);
	return yes;
}

static int fake_perform(void *ud, const struct irx_aws_transport_request *reqs,
			struct irx_aws_transport_response *resps, size_t n)
{
	struct fake *f = ud;

	for (size_t i = 0; i < n; i++) {
		struct sent *s = f->count < MAX_REQS ? &f->reqs[f->count] : NULL;
		const char *body = reqs[i].body ? reqs[i].body : "";
		char *answer = NULL;

		f->count++;
		if (s) {
			snprintf(s->body, sizeof(s->body), "%.*s", (int)reqs[i].body_len, body);
			header(&reqs[i], "Authorization", s->auth, sizeof(s->auth));
			header(&reqs[i], "X-Amz-Security-Token", s->token, sizeof(s->token));
		}
		resps[i].status = 200;
		if (f->deny && assumes(body, f->deny)) {
			resps[i].status = 403;
			answer = irx_xstrdup(sts_denied);
		} else if (strstr(body, "Action=AssumeRole&")) {
			/* the hub's session lasts 2 hours, the member's 1 */
			if (f->sts_delay_ms)
				nanosleep(&(struct timespec){0, f->sts_delay_ms * 1000000L}, NULL);
			bool hub = assumes(body, HUB);
			char key[32];

			if (hub)
				snprintf(key, sizeof(key), "ASIAHUB");
			else
				snprintf(key, sizeof(key), "ASIAMEMBER%d", ++f->member_serial);
			answer = irx_xasprintf(
			    "<AssumeRoleResponse "
			    "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
			    "<AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId>"
			    "<SecretAccessKey>secret-%s</SecretAccessKey><SessionToken>token-%s"
			    "</SessionToken><Expiration>%s</Expiration></Credentials>"
			    "</AssumeRoleResult><ResponseMetadata><RequestId>sts-1</RequestId>"
			    "</ResponseMetadata></AssumeRoleResponse>",
			    key, key, key, hub ? "2015-08-30T14:36:00Z" : "2015-08-30T13:36:00Z");
		} else {
			answer = irx_xstrdup(ec2_ok);
		}
		resps[i].body = answer;
		resps[i].body_len = strlen(answer);
	}
	return 0;
}

static struct irx_aws_client *fake_client(struct fake *f)
{
	struct irx_aws_client_options o = {0};
	struct irx_error err = {0};
	struct irx_aws_client *c = NULL;

	memset(f, 0, sizeof(*f));
	f->now = T0;
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	o.region = "us-east-1";
	o.access_key_id = "AKIDEXAMPLE";
	o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	o.env = test_env;
	o.clock = clock_fn;
	o.clock_ud = f;
	o.transport = fake_perform;
	o.transport_ud = f;
	o.max_attempts = 1;
	c = irx_aws_client_new(&o, &err);
	if (!c)
		fprintf(stderr, "\n  client: %s\n", err.message);
	return c;
}

static int describe(struct irx_aws_client *c, const struct irx_aws_context *ctx,
		    struct irx_error *err)
{
	struct json_object *resp = NULL;
	int rc = irx_aws_call(c, ctx, "ec2", "DescribeInstances", NULL, &resp, err);

	json_object_put(resp);
	return rc;
}

static const char *const hub_only[] = {HUB};
static const struct irx_aws_tag tags[] = {{"Purpose", "incident-response"}, {"Team", "security"}};

static struct irx_aws_context chain_ctx(void)
{
	struct irx_aws_context ctx = {0};

	ctx.via_roles = hub_only;
	ctx.via_count = 1;
	ctx.role_arn = MEMBER;
	ctx.external_id = "ext-7";
	ctx.tags = tags;
	ctx.tag_count = 2;
	ctx.session_name = "irx-exec-1";
	ctx.duration_seconds = 7200;
	return ctx;
}

/* --- the client ------------------------------------------------------------------------------ */

static void test_two_hops_in_order(void)
{
	struct fake f;
	struct irx_aws_client *c = fake_client(&f);
	struct irx_aws_context ctx = chain_ctx();
	struct irx_error err = {0};

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL_FATAL(describe(c, &ctx, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 3);
	/* hop 1: the hub, with the client's own keys; no ExternalId, no tags; 2 hours asked */
	CU_ASSERT_STRING_EQUAL(f.reqs[0].body,
			       "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
			       "444444444444%3Arole%2Firx-hub&RoleSessionName=irx-exec-1&"
			       "DurationSeconds=7200");
	IRX_ASSERT_CONTAINS(f.reqs[0].auth, "Credential=AKIDEXAMPLE/20150830/us-east-1/sts/");
	CU_ASSERT_STRING_EQUAL(f.reqs[0].token, "");
	/* hop 2: the member, signed with the hub session's keys; ExternalId and Tags; at most 1h */
	CU_ASSERT_STRING_EQUAL(f.reqs[1].body,
			       "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
			       "222222222222%3Arole%2Firx-responder&RoleSessionName=irx-exec-1&"
			       "ExternalId=ext-7&DurationSeconds=3600&Tags.member.1.Key=Purpose&"
			       "Tags.member.1.Value=incident-response&Tags.member.2.Key=Team&"
			       "Tags.member.2.Value=security");
	IRX_ASSERT_CONTAINS(f.reqs[1].auth, "Credential=ASIAHUB/20150830/us-east-1/sts/");
	CU_ASSERT_STRING_EQUAL(f.reqs[1].token, "token-ASIAHUB");
	/* the call itself: as the member */
	IRX_ASSERT_CONTAINS(f.reqs[2].body, "Action=DescribeInstances&");
	IRX_ASSERT_CONTAINS(f.reqs[2].auth, "Credential=ASIAMEMBER1/20150830/us-east-1/ec2/");
	CU_ASSERT_STRING_EQUAL(f.reqs[2].token, "token-ASIAMEMBER1");
	irx_aws_client_free(c);
}

static void test_cached_per_hop(void)
{
	struct fake f;
	struct irx_aws_client *c = fake_client(&f);
	struct irx_aws_context ctx = chain_ctx();
	struct irx_aws_context other = chain_ctx();
	struct irx_aws_tag retagged[] = {{"Purpose", "drill"}};
	struct irx_error err = {0};

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL_FATAL(describe(c, &ctx, &err), 0);
	CU_ASSERT_EQUAL(f.count, 3);
	/* the same chain again, even under another session name: no AssumeRole */
	for (int i = 0; i < 5; i++) {
		ctx.session_name = "irx-exec-2";
		CU_ASSERT_EQUAL(describe(c, &ctx, &err), 0);
	}
	CU_ASSERT_EQUAL_FATAL(f.count, 8);
	IRX_ASSERT_CONTAINS(f.reqs[7].auth, "Credential=ASIAMEMBER1/");
	/* another member account through the same hub: only the member is assumed, as the hub */
	other.role_arn = OTHER;
	CU_ASSERT_EQUAL(describe(c, &other, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 10);
	CU_ASSERT_TRUE(assumes(f.reqs[8].body, OTHER));
	IRX_ASSERT_CONTAINS(f.reqs[8].auth, "Credential=ASIAHUB/");
	IRX_ASSERT_CONTAINS(f.reqs[9].auth, "Credential=ASIAMEMBER2/");
	/* other tags or another ExternalId are another session of the member */
	other = chain_ctx();
	other.tags = retagged;
	other.tag_count = 1;
	CU_ASSERT_EQUAL(describe(c, &other, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 12);
	IRX_ASSERT_CONTAINS(f.reqs[10].body,
			    "&Tags.member.1.Key=Purpose&Tags.member.1.Value=drill");
	IRX_ASSERT_CONTAINS(f.reqs[10].auth, "Credential=ASIAHUB/");
	other = chain_ctx();
	other.external_id = "ext-8";
	CU_ASSERT_EQUAL(describe(c, &other, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 14);
	IRX_ASSERT_CONTAINS(f.reqs[12].body, "&ExternalId=ext-8&");
	/* the member directly (no hub): a chain of one, cached apart from the chained one */
	other = chain_ctx();
	other.via_roles = NULL;
	other.via_count = 0;
	CU_ASSERT_EQUAL(describe(c, &other, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 16);
	IRX_ASSERT_CONTAINS(f.reqs[14].auth, "Credential=AKIDEXAMPLE/");
	IRX_ASSERT_CONTAINS(f.reqs[14].body, "&DurationSeconds=7200&");
	/* the member session ends within 5 minutes, the hub's does not: only the member again */
	f.now = T0 + 3600 - 299;
	CU_ASSERT_EQUAL(describe(c, &ctx, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 18);
	CU_ASSERT_TRUE(assumes(f.reqs[16].body, MEMBER));
	IRX_ASSERT_CONTAINS(f.reqs[16].auth, "Credential=ASIAHUB/");
	/* and when the hub's ends too, both hops in order */
	f.now = T0 + 7200 - 299;
	CU_ASSERT_EQUAL(describe(c, &ctx, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 21);
	CU_ASSERT_TRUE(assumes(f.reqs[18].body, HUB));
	CU_ASSERT_TRUE(assumes(f.reqs[19].body, MEMBER));
	irx_aws_client_free(c);
}

static void test_errors_name_the_hop(void)
{
	struct fake f;
	struct irx_aws_client *c = fake_client(&f);
	struct irx_aws_context ctx = chain_ctx();
	struct irx_error err = {0};

	CU_ASSERT_FATAL(c != NULL);
	f.deny = HUB;
	CU_ASSERT_EQUAL(describe(c, &ctx, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_CREDENTIALS);
	CU_ASSERT_STRING_EQUAL(
	    err.message, "ec2:DescribeInstances: cannot assume role 'arn:aws:iam::444444444444:"
			 "role/irx-hub' (hop 1 of 2): sts:AssumeRole failed: AccessDenied: not "
			 "authorized to perform sts:AssumeRole (request id sts-err)");
	CU_ASSERT_STRING_EQUAL(err.aws_code, "AccessDenied");
	CU_ASSERT_EQUAL(err.http_status, 403);
	CU_ASSERT_EQUAL(f.count, 1);
	/* the hub lets us in, the member does not */
	irx_error_clear(&err);
	f.deny = MEMBER;
	CU_ASSERT_EQUAL(describe(c, &ctx, &err), -1);
	CU_ASSERT_STRING_EQUAL(
	    err.message, "ec2:DescribeInstances: cannot assume role 'arn:aws:iam::222222222222:"
			 "role/irx-responder' (hop 2 of 2): sts:AssumeRole failed: AccessDenied: "
			 "not authorized to perform sts:AssumeRole (request id sts-err)");
	CU_ASSERT_EQUAL(f.count, 3);
	/* no secret in the message */
	CU_ASSERT_PTR_NULL(strstr(err.message, "secret-"));
	CU_ASSERT_PTR_NULL(strstr(err.message, "token-"));
	/* the hub's session was kept: trying again asks only for the member */
	irx_error_clear(&err);
	f.deny = NULL;
	CU_ASSERT_EQUAL(describe(c, &ctx, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 5);
	CU_ASSERT_TRUE(assumes(f.reqs[3].body, MEMBER));
	irx_aws_client_free(c);
}

static void test_bad_chains(void)
{
	struct fake f;
	struct irx_aws_client *c = fake_client(&f);
	struct irx_aws_context ctx = chain_ctx();
	const char *const empty[] = {HUB, ""};
	const char *const six[] = {HUB, HUB, HUB, HUB, HUB};
	struct irx_error err = {0};

	CU_ASSERT_FATAL(c != NULL);
	ctx.via_roles = empty;
	ctx.via_count = 2;
	CU_ASSERT_EQUAL(describe(c, &ctx, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "ec2:DescribeInstances: role 2 of 3 in the chain is empty");
	irx_error_clear(&err);
	ctx.via_roles = six;
	ctx.via_count = 5;
	CU_ASSERT_EQUAL(describe(c, &ctx, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "ec2:DescribeInstances: a role chain has at most 5 roles, got 6");
	CU_ASSERT_EQUAL(f.count, 0);
	/* without role_arn the hops are ignored: the client's own keys */
	ctx.role_arn = NULL;
	ctx.via_count = 1;
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(describe(c, &ctx, &err), 0);
	CU_ASSERT_EQUAL_FATAL(f.count, 1);
	IRX_ASSERT_CONTAINS(f.reqs[0].auth, "Credential=AKIDEXAMPLE/");
	irx_aws_client_free(c);
}

struct racer {
	struct irx_aws_client *c;
	int rc;
};

static void *race(void *ud)
{
	struct racer *r = ud;
	struct irx_aws_context ctx = chain_ctx();
	struct irx_error err = {0};

	r->rc = describe(r->c, &ctx, &err);
	return NULL;
}

/* Executions starting together in one account: each hop is still assumed once. */
static void test_concurrent_misses_assume_once(void)
{
	struct fake f;
	struct irx_aws_client *c = fake_client(&f);
	pthread_t th[8];
	struct racer r[8];
	size_t assumed = 0;

	CU_ASSERT_FATAL(c != NULL);
	f.sts_delay_ms = 30;
	for (int i = 0; i < 8; i++) {
		r[i].c = c;
		r[i].rc = -1;
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, race, &r[i]) == 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(r[i].rc, 0);
	}
	if (f.count != 10) /* say what was sent */
		for (size_t i = 0; i < f.count && i < MAX_REQS; i++)
			fprintf(stderr, "\n  %.60s | %.50s", f.reqs[i].body, f.reqs[i].auth);
	CU_ASSERT_EQUAL_FATAL(f.count, 10);
	for (size_t i = 0; i < f.count; i++)
		assumed += strstr(f.reqs[i].body, "Action=AssumeRole&") != NULL;
	CU_ASSERT_EQUAL(assumed, 2);
	CU_ASSERT_EQUAL(f.member_serial, 1);
	irx_aws_client_free(c);
}

/* irx_aws_attach_exec copies the chain and the tags: the caller's arrays may go away. */
static void test_host_copies_chain(void)
{
	struct fake f;
	struct irx_aws_client *c = fake_client(&f);
	struct irx_exec_options eo = {0};
	struct irx_aws_context ctx = chain_ctx();
	char hub[64], key[16], value[32];
	const char *via[1] = {hub};
	struct irx_aws_tag t[1] = {{key, value}};
	struct irx_call call;
	struct json_object *resp = NULL;

	CU_ASSERT_FATAL(c != NULL);
	snprintf(hub, sizeof(hub), "%s", HUB);
	snprintf(key, sizeof(key), "Case");
	snprintf(value, sizeof(value), "IR-42");
	ctx.via_roles = via;
	ctx.tags = t;
	ctx.tag_count = 1;
	irx_aws_attach_exec(&eo, c, &ctx);
	memset(hub, 'x', sizeof(hub) - 1);
	memset(key, 'y', sizeof(key) - 1);
	memset(value, 'z', sizeof(value) - 1);
	memset(&call, 0, sizeof(call));
	call.execution_id = "3f2a";
	CU_ASSERT_EQUAL_FATAL(
	    eo.aws_call(eo.aws_ud, &call, "ec2", "DescribeInstances", NULL, &resp), 0);
	json_object_put(resp);
	CU_ASSERT_EQUAL_FATAL(f.count, 3);
	CU_ASSERT_TRUE(assumes(f.reqs[0].body, HUB));
	IRX_ASSERT_CONTAINS(f.reqs[1].body, "&Tags.member.1.Key=Case&Tags.member.1.Value=IR-42");
	IRX_ASSERT_CONTAINS(f.reqs[2].auth, "Credential=ASIAMEMBER1/");
	irx_aws_client_free(c);
}

/* --- the configuration's access path -------------------------------------------------------- */

static const char config_text[] = "version: 1\n"
				  "defaults:\n"
				  "  role: irx-responder\n"
				  "  external_id: default-ext\n"
				  "accounts:\n"
				  "  - id: \"111111111111\"\n"
				  "    role:\n"
				  "      - \"arn:{{partition}}:iam::444444444444:role/irx-hub\"\n"
				  "      - security/irx-responder\n"
				  "    external_id: acct-ext\n"
				  "    session_tags:\n"
				  "      Purpose: incident-response\n"
				  "      Team: security\n"
				  "  - id: \"222222222222\"\n"
				  "    name: staging\n"
				  "  - id: \"333333333333\"\n"
				  "    role: \"arn:aws:iam::{{account}}:role/direct\"\n";

static struct irx_config *load(const char *text)
{
	struct irx_diags d = {0};
	struct irx_config *c = irx_config_load_buffer("t.yaml", text, strlen(text), &d);

	if (!c)
		irx_diags_print(&d, stderr);
	irx_diags_release(&d);
	return c;
}

static void test_config_access_chain(void)
{
	struct irx_config *cfg = load(config_text);
	struct irx_config_access a = {0};
	struct irx_aws_context ctx = {.region = "eu-west-1", .session_name = "s"};
	struct irx_aws_cli_options cli = {.profile = "p"};
	struct irx_error err = {0};

	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL_FATAL(irx_config_access(cfg, "111111111111", "aws-cn", &a, &err), 0);
	CU_ASSERT_EQUAL_FATAL(a.role_count, 2);
	CU_ASSERT_STRING_EQUAL(a.roles[0], "arn:aws-cn:iam::444444444444:role/irx-hub");
	CU_ASSERT_STRING_EQUAL(a.roles[1],
			       "arn:aws-cn:iam::111111111111:role/security/irx-responder");
	CU_ASSERT_STRING_EQUAL(a.external_id, "acct-ext");
	CU_ASSERT_EQUAL_FATAL(a.tag_count, 2);
	CU_ASSERT_STRING_EQUAL(a.tags[0].key, "Purpose");
	CU_ASSERT_STRING_EQUAL(a.tags[0].value, "incident-response");
	CU_ASSERT_STRING_EQUAL(a.tags[1].key, "Team");
	CU_ASSERT_STRING_EQUAL(a.tags[1].value, "security");
	/* into a call context: the hub is a hop, the member role last */
	irx_config_access_context(&a, &ctx);
	CU_ASSERT_STRING_EQUAL(ctx.role_arn, a.roles[1]);
	CU_ASSERT_EQUAL(ctx.via_count, 1);
	CU_ASSERT_STRING_EQUAL(ctx.via_roles[0], a.roles[0]);
	CU_ASSERT_STRING_EQUAL(ctx.external_id, "acct-ext");
	CU_ASSERT_PTR_EQUAL(ctx.tags, a.tags);
	CU_ASSERT_EQUAL(ctx.tag_count, 2);
	CU_ASSERT_STRING_EQUAL(ctx.region, "eu-west-1"); /* left alone */
	CU_ASSERT_STRING_EQUAL(ctx.session_name, "s");
	irx_config_access_cli(&a, &cli);
	CU_ASSERT_STRING_EQUAL(cli.role_arn, a.roles[1]);
	CU_ASSERT_EQUAL(cli.via_count, 1);
	CU_ASSERT_EQUAL(cli.tag_count, 2);
	CU_ASSERT_STRING_EQUAL(cli.profile, "p");
	irx_config_access_release(&a);
	CU_ASSERT_PTR_NULL(a.roles);
	CU_ASSERT_EQUAL(a.role_count, 0);
	/* the partition defaults to aws */
	CU_ASSERT_EQUAL_FATAL(irx_config_access(cfg, "111111111111", NULL, &a, &err), 0);
	CU_ASSERT_STRING_EQUAL(a.roles[0], "arn:aws:iam::444444444444:role/irx-hub");
	irx_config_access_release(&a);
	CU_ASSERT_EQUAL_FATAL(irx_config_access(cfg, "111111111111", "", &a, &err), 0);
	CU_ASSERT_STRING_EQUAL(a.roles[1], "arn:aws:iam::111111111111:role/security/irx-responder");
	irx_config_access_release(&a);
	irx_config_free(cfg);
}

static void test_config_access_defaults(void)
{
	struct irx_config *cfg = load(config_text);
	struct irx_config_access a = {0};
	struct irx_error err = {0};

	CU_ASSERT_FATAL(cfg != NULL);
	/* an account without a role, and one not listed: the defaults' role and ExternalId */
	CU_ASSERT_EQUAL_FATAL(irx_config_access(cfg, "222222222222", "aws-us-gov", &a, &err), 0);
	CU_ASSERT_EQUAL_FATAL(a.role_count, 1);
	CU_ASSERT_STRING_EQUAL(a.roles[0], "arn:aws-us-gov:iam::222222222222:role/irx-responder");
	CU_ASSERT_STRING_EQUAL(a.external_id, "default-ext");
	CU_ASSERT_EQUAL(a.tag_count, 0);
	CU_ASSERT_PTR_NULL(a.tags);
	irx_config_access_release(&a);
	CU_ASSERT_EQUAL_FATAL(irx_config_access(cfg, "999999999999", "aws", &a, &err), 0);
	CU_ASSERT_EQUAL_FATAL(a.role_count, 1);
	CU_ASSERT_STRING_EQUAL(a.roles[0], "arn:aws:iam::999999999999:role/irx-responder");
	irx_config_access_release(&a);
	/* an account's own single role: its ARN template, the defaults' ExternalId */
	CU_ASSERT_EQUAL_FATAL(irx_config_access(cfg, "333333333333", "aws", &a, &err), 0);
	CU_ASSERT_EQUAL_FATAL(a.role_count, 1);
	CU_ASSERT_STRING_EQUAL(a.roles[0], "arn:aws:iam::333333333333:role/direct");
	CU_ASSERT_STRING_EQUAL(a.external_id, "default-ext");
	irx_config_access_release(&a);
	irx_config_free(cfg);
}

static void test_config_access_none_and_errors(void)
{
	struct irx_config *cfg = irx_config_builtin();
	struct irx_config *plain = load("version: 1\ndefaults:\n  external_id: lonely-ext\n");
	struct irx_config_access a = {0};
	struct irx_aws_context ctx = {.role_arn = "stale", .external_id = "stale", .via_count = 3};
	struct irx_error err = {0};

	CU_ASSERT_FATAL(cfg != NULL && plain != NULL);
	/* no role configured: the caller's credentials, nothing to send an ExternalId to */
	CU_ASSERT_EQUAL(irx_config_access(cfg, "111111111111", "aws", &a, &err), 0);
	CU_ASSERT_EQUAL(a.role_count, 0);
	CU_ASSERT_EQUAL(irx_config_access(plain, "111111111111", "aws", &a, &err), 0);
	CU_ASSERT_EQUAL(a.role_count, 0);
	CU_ASSERT_PTR_NULL(a.external_id);
	irx_config_access_context(&a, &ctx);
	CU_ASSERT_PTR_NULL(ctx.role_arn);
	CU_ASSERT_PTR_NULL(ctx.external_id);
	CU_ASSERT_EQUAL(ctx.via_count, 0);
	irx_config_access_release(&a);
	CU_ASSERT_EQUAL(irx_config_access(NULL, "111111111111", "aws", &a, &err), 0);
	CU_ASSERT_EQUAL(a.role_count, 0);
	/* errors */
	CU_ASSERT_EQUAL(irx_config_access(cfg, "12345", "aws", &a, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "'12345' is not an AWS account id (12 digits)");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_config_access(cfg, "1111111111112", "aws", &a, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "'1111111111112' is not an AWS account id (12 digits)");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_config_access(cfg, "11111111111a", "aws", &a, &err), -1);
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_config_access(cfg, NULL, "aws", &a, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "'' is not an AWS account id (12 digits)");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_config_access(cfg, "111111111111", "AWS", &a, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "'AWS' is not an AWS partition");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_config_access(cfg, "111111111111", "aws:cn", &a, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "'aws:cn' is not an AWS partition");
	CU_ASSERT_EQUAL(a.role_count, 0);
	CU_ASSERT_PTR_NULL(a.roles);
	irx_config_free(plain);
	irx_config_free(cfg);
}

/* --- irx run --target through a hub role, against the simulator ----------------------------- */

static struct irx_sim sim;
static char runbook_dir[1024]; /* set by the test that routes to a runbook by name */

static int sim_init(void)
{
	return irx_sim_start(&sim);
}

static int sim_clean(void)
{
	irx_sim_stop(&sim);
	return 0;
}

static struct json_object *control(const char *method, const char *path, const char *body)
{
	struct json_object *out = NULL;
	long status = irx_sim_control(&sim, method, path, body, &out);

	if (status != 200) {
		fprintf(stderr, "\n  %s %s -> %ld: %s\n", method, path, status,
			out ? json_object_to_json_string(out) : "(no JSON)");
		CU_FAIL("control request failed");
	}
	return out;
}

static const char *js(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) &&
		       json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : "";
}

/* The trust policy JSON as a JSON string value (escaped once more). */
#define TRUST(principal, actions, cond)                                                            \
	"\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","  \
	"\\\"Principal\\\":{\\\"AWS\\\":\\\"" principal "\\\"},\\\"Action\\\":" actions cond       \
	"}]}\""

static const char seed_doc[] =
    "{\"accounts\":{\"444444444444\":{}},\"calls\":["
    "{\"account\":\"444444444444\",\"service\":\"iam\",\"operation\":\"CreateRole\","
    "\"params\":{\"RoleName\":\"irx-hub\",\"AssumeRolePolicyDocument\":" TRUST(
	"arn:aws:iam::111111111111:root", "\\\"sts:AssumeRole\\\"",
	"") "}},"
	    "{\"account\":\"222222222222\",\"service\":\"iam\",\"operation\":\"CreateRole\","
	    "\"params\":{\"RoleName\":\"irx-responder\",\"Path\":\"/security/\","
	    "\"AssumeRolePolicyDocument\":" TRUST(
		"arn:aws:iam::444444444444:role/irx-hub",
		"[\\\"sts:AssumeRole\\\",\\\"sts:TagSession\\\"]",
		",\\\"Condition\\\":{\\\"StringEquals\\\":{\\\"sts:ExternalId\\\":\\\"member-"
		"ext\\\"}}") "}},"
			     "{\"account\":\"222222222222\",\"region\":\"us-east-1\",\"service\":"
			     "\"ec2\","
			     "\"operation\":\"RunInstances\",\"params\":{\"ImageId\":\"ami-"
			     "0a1b2c3d4e5f60004\","
			     "\"MinCount\":2,\"MaxCount\":2,\"InstanceType\":\"t3.micro\"}}]}";

static const char runbook_text[] = "schemaVersion: '0.3'\n"
				   "description: Stops an instance and tags it (role chain test).\n"
				   "parameters:\n"
				   "  TargetArn:\n"
				   "    type: String\n"
				   "  InstanceId:\n"
				   "    type: String\n"
				   "mainSteps:\n"
				   "  - name: stop\n"
				   "    action: aws:executeAwsApi\n"
				   "    inputs:\n"
				   "      Service: ec2\n"
				   "      Api: StopInstances\n"
				   "      InstanceIds: ['{{ InstanceId }}']\n"
				   "  - name: tag\n"
				   "    action: aws:executeAwsApi\n"
				   "    inputs:\n"
				   "      Service: ec2\n"
				   "      Api: CreateTags\n"
				   "      Resources: ['{{ InstanceId }}']\n"
				   "      Tags:\n"
				   "        - Key: irx:contained\n"
				   "          Value: 'true'\n"
				   "    isEnd: true\n";

static const char chain_config[] =
    "version: 1\n"
    "accounts:\n"
    "  - id: \"222222222222\"\n"
    "    role:\n"
    "      - arn:aws:iam::444444444444:role/irx-hub\n"
    "      - \"arn:{{partition}}:iam::{{account}}:role/security/irx-responder\"\n"
    "    external_id: member-ext\n"
    "    session_tags:\n"
    "      Purpose: incident-response\n";

static int run_irx_in(const char *const *args, const char *input, char **out, char **err)
{
	static char runbook_path[1100];
	const char *argv[32] = {0};
	const char *env[40] = {0};
	const char *const *base = irx_sim_env(&sim);
	char irx_path[4096], plugin_path[4200], state_dir[1024];
	size_t n = 0, k = 0;

	snprintf(irx_path, sizeof(irx_path), "%s", irx_test_build("irx"));
	snprintf(plugin_path, sizeof(plugin_path), "IRX_PLUGIN_PATH=%s", irx_test_build("plugins"));
	snprintf(state_dir, sizeof(state_dir), "IRX_STATE_DIR=%s/state", irx_test_tmpdir());
	argv[n++] = irx_path;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	for (; base[k] && k < 36; k++)
		env[k] = base[k];
	env[k++] = plugin_path;
	env[k++] = state_dir;
	env[k++] = "IRX_CONFIG";
	/* runbooks the tests write (routing names them) */
	snprintf(runbook_path, sizeof(runbook_path), "IRX_RUNBOOK_PATH=%s", runbook_dir);
	env[k++] = runbook_path;
	return irx_test_run(argv, env, input, out, err);
}

static int run_irx(const char *const *args, char **out, char **err)
{
	return run_irx_in(args, NULL, out, err);
}

static void test_run_target_through_hub(void)
{
	struct json_object *r = NULL, *reqs = NULL, *st = NULL, *creds = NULL;
	const char *dir = irx_test_tmpdir();
	char rb[1024], cfgpath[1024], arn[2][160], id[2][32], param[2][64];
	char *out = NULL, *err = NULL;
	size_t assumes_hub = 0, assumes_member = 0, member_calls = 0, stray = 0;
	int status = 0;

	json_object_put(control("POST", "/__awssim/reset", NULL));
	r = control("POST", "/__awssim/seed", seed_doc);
	CU_ASSERT_FATAL(r != NULL);
	for (int i = 0; i < 2; i++) {
		struct json_object *res =
		    json_object_array_get_idx(json_object_object_get(r, "results"), 2);
		struct json_object *inst =
		    json_object_array_get_idx(json_object_object_get(res, "Instances"), (size_t)i);

		snprintf(id[i], sizeof(id[i]), "%s", js(inst, "InstanceId"));
		CU_ASSERT_FATAL(strncmp(id[i], "i-", 2) == 0);
		snprintf(arn[i], sizeof(arn[i]), "arn:aws:ec2:us-east-1:222222222222:instance/%s",
			 id[i]);
	}
	json_object_put(r);
	json_object_put(control("DELETE", "/__awssim/requests", NULL));
	snprintf(rb, sizeof(rb), "%s/chain-stop.yaml", dir);
	snprintf(cfgpath, sizeof(cfgpath), "%s/irx.yaml", dir);
	CU_ASSERT_FATAL(irx_test_write(rb, runbook_text) == 0);
	CU_ASSERT_FATAL(irx_test_write(cfgpath, chain_config) == 0);

	/* one target: both hops, then the containment as the member role */
	snprintf(param[0], sizeof(param[0]), "InstanceId=%s", id[0]);
	{
		const char *args[] = {"run",  rb,   "--config", cfgpath, "--target",
				      arn[0], "-p", param[0],	NULL};

		status = run_irx(args, &out, &err);
	}
	if (status != 0)
		fprintf(stderr, "\n  irx run: %d\n%s%s", status, out, err);
	CU_ASSERT_EQUAL(status, 0);
	IRX_ASSERT_CONTAINS(out, "\tSuccess\t");
	free(out);
	free(err);

	/* a second target in the same account (another execution, the same process) reuses
	 * every hop: tested with two targets in one run */
	snprintf(param[1], sizeof(param[1]), "InstanceId=%s", id[1]);
	json_object_put(control("DELETE", "/__awssim/requests", NULL));
	{
		const char *args[] = {"run",	  rb,	  "--config", cfgpath,	"--target", arn[1],
				      "--target", arn[1], "-p",	      param[1], NULL};

		status = run_irx(args, &out, &err);
	}
	CU_ASSERT_EQUAL(status, 0);
	free(out);
	free(err);

	r = control("GET", "/__awssim/requests", NULL);
	reqs = json_object_object_get(r, "requests");
	CU_ASSERT_FATAL(reqs != NULL);
	for (size_t i = 0; i < json_object_array_length(reqs); i++) {
		struct json_object *e = json_object_array_get_idx(reqs, i);
		const char *op = js(e, "operation"), *who = js(e, "principal");

		if (strcmp(op, "AssumeRole") == 0 &&
		    strcmp(who, "arn:aws:iam::111111111111:user/admin") == 0)
			assumes_hub++;
		else if (strcmp(op, "AssumeRole") == 0 &&
			 strncmp(who, "arn:aws:sts::444444444444:assumed-role/irx-hub/irx-", 50) ==
			     0)
			assumes_member++;
		else if (strncmp(who, "arn:aws:sts::222222222222:assumed-role/irx-responder/irx-",
				 57) == 0 &&
			 strcmp(js(e, "account"), "222222222222") == 0)
			member_calls++;
		else
			stray++;
		if (json_object_get_int(json_object_object_get(e, "status")) != 200)
			fprintf(stderr, "\n  %s %s -> %d\n", op, who,
				json_object_get_int(json_object_object_get(e, "status")));
	}
	/* two executions, one AssumeRole per hop; StopInstances and CreateTags twice */
	CU_ASSERT_EQUAL(assumes_hub, 1);
	CU_ASSERT_EQUAL(assumes_member, 1);
	CU_ASSERT_EQUAL(member_calls, 4);
	CU_ASSERT_EQUAL(stray, 0);
	json_object_put(r);

	/* the member's sessions carry the configured tag */
	st = control("GET", "/__awssim/state", NULL);
	creds = json_object_object_get(st, "credentials");
	{
		size_t tagged = 0;

		json_object_object_foreach(creds, akid, rec)
		{
			(void)akid;
			if (strstr(js(rec, "Arn"), ":assumed-role/irx-responder/"))
				tagged += strcmp(js(json_object_object_get(rec, "SessionTags"),
						    "Purpose"),
						 "incident-response") == 0;
		}
		CU_ASSERT_EQUAL(tagged, 2);
	}
	json_object_put(st);

	/* the instance is stopped and tagged in 222222222222 */
	r = control("POST", "/__awssim/call",
		    "{\"account\":\"222222222222\",\"region\":\"us-east-1\",\"service\":\"ec2\","
		    "\"operation\":\"DescribeInstances\",\"params\":{}}");
	IRX_ASSERT_CONTAINS(json_object_to_json_string(r), "\"irx:contained\"");
	json_object_put(r);
}

static void test_run_target_chain_refused(void)
{
	const char *dir = irx_test_tmpdir();
	char rb[1024], cfgpath[1024];
	char *out = NULL, *err = NULL;
	int status = 0;
	static const char bad_ext[] =
	    "version: 1\n"
	    "accounts:\n"
	    "  - id: \"222222222222\"\n"
	    "    role: [arn:aws:iam::444444444444:role/irx-hub, security/irx-responder]\n"
	    "    external_id: wrong-ext\n";
	const char *args[] = {
	    "run",	rb,
	    "--config", cfgpath,
	    "--target", "arn:aws:ec2:us-east-1:222222222222:instance/i-0123456789abcdef0",
	    "-p",	"InstanceId=i-0123456789abcdef0",
	    NULL};

	json_object_put(control("POST", "/__awssim/reset", NULL));
	json_object_put(control("POST", "/__awssim/seed", seed_doc));
	snprintf(rb, sizeof(rb), "%s/chain-stop.yaml", dir);
	snprintf(cfgpath, sizeof(cfgpath), "%s/refused.yaml", dir);
	CU_ASSERT_FATAL(irx_test_write(rb, runbook_text) == 0);
	CU_ASSERT_FATAL(irx_test_write(cfgpath, bad_ext) == 0);
	status = run_irx(args, &out, &err);
	CU_ASSERT_NOT_EQUAL(status, 0);
	IRX_ASSERT_CONTAINS(err,
			    "cannot assume role 'arn:aws:iam::222222222222:role/security/"
			    "irx-responder' (hop 2 of 2): sts:AssumeRole failed: AccessDenied: "
			    "User: arn:aws:sts::444444444444:assumed-role/irx-hub/irx-");
	free(out);
	free(err);
}

/* Who made which call since the log was cleared: "operation principal" lines (owned). */
static char *logged_calls(void)
{
	struct json_object *r = control("GET", "/__awssim/requests", NULL);
	struct json_object *reqs = json_object_object_get(r, "requests");
	size_t cap = 4096, len = 0;
	char *s = irx_xcalloc(1, cap);

	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++) {
		struct json_object *e = json_object_array_get_idx(reqs, i);
		const char *who = js(e, "principal");
		/* the session name carries the execution id: cut it for an exact comparison */
		const char *cut = strstr(who, ":assumed-role/") ? strrchr(who, '/') : NULL;
		char line[512] = "";
		int n = 0;

		n = snprintf(line, sizeof(line), "%s %.*s %d\n", js(e, "operation"),
			     cut ? (int)(cut - who) : (int)strlen(who), who,
			     json_object_get_int(json_object_object_get(e, "status")));
		if (len + (size_t)n + 1 > cap)
			s = irx_xrealloc(s, cap = (len + (size_t)n + 1) * 2);
		memcpy(s + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	json_object_put(r);
	return s;
}

static void test_run_event_through_hub(void)
{
	const char *dir = irx_test_tmpdir();
	char rb[1024], cfgpath[1024], arn[160], *cfg_text = NULL, *calls = NULL;
	char *out = NULL, *err = NULL;
	struct json_object *r = NULL, *inst = NULL;
	static const char tag_first[] =
	    "schemaVersion: '0.3'\n"
	    "description: Tags the account's first instance.\n"
	    "parameters:\n"
	    "  TargetArn:\n"
	    "    type: String\n"
	    "mainSteps:\n"
	    "  - name: describe\n"
	    "    action: aws:executeAwsApi\n"
	    "    inputs:\n"
	    "      Service: ec2\n"
	    "      Api: DescribeInstances\n"
	    "    outputs:\n"
	    "      - Name: First\n"
	    "        Selector: $.Reservations[0].Instances[0].InstanceId\n"
	    "        Type: String\n"
	    "  - name: tag\n"
	    "    action: aws:executeAwsApi\n"
	    "    inputs:\n"
	    "      Service: ec2\n"
	    "      Api: CreateTags\n"
	    "      Resources: ['{{ describe.First }}']\n"
	    "      Tags:\n"
	    "        - Key: irx:contained\n"
	    "          Value: 'true'\n"
	    "    isEnd: true\n";
	const char *args[] = {"run", "--event", "-", "--config", cfgpath, NULL};
	int status = 0;

	json_object_put(control("POST", "/__awssim/reset", NULL));
	r = control("POST", "/__awssim/seed", seed_doc);
	inst = json_object_array_get_idx(
	    json_object_object_get(
		json_object_array_get_idx(json_object_object_get(r, "results"), 2), "Instances"),
	    0);
	snprintf(arn, sizeof(arn), "arn:aws:ec2:us-east-1:222222222222:instance/%s\n",
		 js(inst, "InstanceId"));
	json_object_put(r);
	snprintf(runbook_dir, sizeof(runbook_dir), "%s", dir);
	snprintf(rb, sizeof(rb), "%s/tag-first.yaml", dir);
	snprintf(cfgpath, sizeof(cfgpath), "%s/event.yaml", dir);
	CU_ASSERT_FATAL(irx_test_write(rb, tag_first) == 0);
	cfg_text = irx_xasprintf("%s"
				 "events:\n"
				 "  default_rules: false\n"
				 "routing:\n"
				 "  - name: instances\n"
				 "    match: {resource_type: ec2-instance}\n"
				 "    runbook: tag-first\n",
				 chain_config);
	CU_ASSERT_FATAL(irx_test_write(cfgpath, cfg_text) == 0);
	json_object_put(control("DELETE", "/__awssim/requests", NULL));
	status = run_irx_in(args, arn, &out, &err);
	if (status != 0)
		fprintf(stderr, "\n  irx run --event: %d\n%s%s", status, out, err);
	CU_ASSERT_EQUAL(status, 0);
	IRX_ASSERT_CONTAINS(out, "\tSuccess\t");
	calls = logged_calls();
	CU_ASSERT_STRING_EQUAL(
	    calls, "AssumeRole arn:aws:iam::111111111111:user/admin 200\n"
		   "AssumeRole arn:aws:sts::444444444444:assumed-role/irx-hub 200\n"
		   "DescribeInstances arn:aws:sts::222222222222:assumed-role/irx-responder 200\n"
		   "CreateTags arn:aws:sts::222222222222:assumed-role/irx-responder 200\n");
	free(calls);
	free(cfg_text);
	free(out);
	free(err);
}

static CU_TestInfo tests[] = {
    {"two hops in order: hub with own keys, member with the hub's; ExternalId, Tags last",
     test_two_hops_in_order},
    {"cached per hop prefix: same chain, other member, other tags, expiry of one hop",
     test_cached_per_hop},
    {"errors name the hop; the hub's session survives a refused member", test_errors_name_the_hop},
    {"bad chains: an empty hop, more than 5 roles, hops without a role", test_bad_chains},
    {"executions starting together assume each hop once", test_concurrent_misses_assume_once},
    {"irx_aws_attach_exec copies the chain and the tags", test_host_copies_chain},
    {"config access: chain expanded with the partition, ExternalId, session tags",
     test_config_access_chain},
    {"config access: the defaults' role and ExternalId", test_config_access_defaults},
    {"config access: no role, bad account ids and partitions", test_config_access_none_and_errors},
    {"irx run --target: a member instance contained through a hub role (simulator)",
     test_run_target_through_hub},
    {"irx run --event: the plan's role chain reaches the member account",
     test_run_event_through_hub},
    {"irx run --target: a refused member hop is reported with its hop",
     test_run_target_chain_refused},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("role_chain", tests, sim_init, sim_clean)
