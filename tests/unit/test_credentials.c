/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The credentials chain, the region, the ~/.aws INI parser. Container and IMDS tests talk to
 * a tiny HTTP server forked on 127.0.0.1; nothing here reaches any other address (every test
 * that does not target IMDS sets AWS_EC2_METADATA_DISABLED=true).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/credentials.h"
#include "aws/ini.h"
#include "test.h"
#include "util.h"

/* --- a canned-response HTTP server ------------------------------------------------------ */

struct route {
	const char *method;
	const char *path;
	int status;
	const char *body;
	const char *require; /* a header line that must be present (case-insensitive), or 401 */
	unsigned delay_ms;   /* sleep before answering */
};

struct server {
	pid_t pid;
	int port;
	char log[512]; /* every request's head, appended */
};

static void serve_one(int c, const struct route *routes, const char *log)
{
	char req[16384];
	size_t len = 0;
	char method[16] = "", path[1024] = "";
	const struct route *hit = NULL;
	int status = 404;
	const char *body = "not found";
	char head[512];
	FILE *f;

	while (len < sizeof(req) - 1) {
		ssize_t r = read(c, req + len, sizeof(req) - 1 - len);

		if (r <= 0)
			break;
		len += (size_t)r;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[len] = '\0';
	if (sscanf(req, "%15s %1023s", method, path) != 2)
		return;
	f = fopen(log, "a");
	if (f) {
		fprintf(f, "%s\n", req);
		fclose(f);
	}
	for (const struct route *r = routes; r->method; r++) {
		if (strcmp(r->method, method) == 0 && strcmp(r->path, path) == 0) {
			hit = r;
			break;
		}
	}
	if (hit) {
		if (hit->delay_ms)
			usleep(hit->delay_ms * 1000);
		if (hit->require && !strcasestr(req, hit->require)) {
			status = 401;
			body = "unauthorized";
		} else {
			status = hit->status;
			body = hit->body;
		}
	}
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
		 strlen(body));
	if (write(c, head, strlen(head)) < 0 || write(c, body, strlen(body)) < 0)
		return;
}

static int server_start(struct server *s, const struct route *routes)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	s->port = ntohs(a.sin_port);
	snprintf(s->log, sizeof(s->log), "%s/requests.log", irx_test_tmpdir());
	irx_test_write(s->log, "");
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		alarm(60); /* never outlive a test that failed before server_stop */
		for (;;) {
			int c = accept(fd, NULL, NULL);

			if (c < 0)
				continue;
			serve_one(c, routes, s->log);
			close(c);
		}
	}
	close(fd);
	return 0;
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

static char *server_log(const struct server *s)
{
	char *text = NULL;
	size_t len = 0;

	if (irx_read_file(s->log, 1 << 20, &text, &len) < 0)
		return irx_xstrdup("");
	return text;
}

/* --- helpers ------------------------------------------------------------------------------ */

/* A fresh HOME with optional ~/.aws/credentials and ~/.aws/config. Static buffer. */
static const char *make_home(const char *credentials, const char *config)
{
	static char home[512];
	char path[700];

	snprintf(home, sizeof(home), "%s", irx_test_tmpdir());
	snprintf(path, sizeof(path), "%s/.aws", home);
	mkdir(path, 0700);
	if (credentials) {
		snprintf(path, sizeof(path), "%s/.aws/credentials", home);
		irx_test_write(path, credentials);
	}
	if (config) {
		snprintf(path, sizeof(path), "%s/.aws/config", home);
		irx_test_write(path, config);
	}
	return home;
}

/* env[0] = HOME=..., then the given entries, then IMDS disabled unless imds is set. */
struct env {
	char *items[24];
	size_t n;
};

static const char *const *env_make(struct env *e, const char *home, bool imds, ...)
{
	va_list ap;
	const char *s;

	memset(e, 0, sizeof(*e));
	e->items[e->n++] = irx_xasprintf("HOME=%s", home);
	if (!imds)
		e->items[e->n++] = irx_xstrdup("AWS_EC2_METADATA_DISABLED=true");
	va_start(ap, imds);
	while ((s = va_arg(ap, const char *)) && e->n < 23)
		e->items[e->n++] = irx_xstrdup(s);
	va_end(ap);
	e->items[e->n] = NULL;
	return (const char *const *)e->items;
}

static void env_free(struct env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->items[i]);
	e->n = 0;
}

static int resolve_o(const struct irx_credentials_options *o, struct irx_credentials_resolved *out,
		     struct irx_error *err)
{
	irx_error_clear(err);
	return irx_credentials_resolve(o, out, err);
}

static int resolve(const char *const *env, const char *profile,
		   struct irx_credentials_resolved *out, struct irx_error *err)
{
	struct irx_credentials_options o = {.env = env, .profile = profile};

	irx_error_clear(err);
	return irx_credentials_resolve(&o, out, err);
}

static void expect_creds(const struct irx_credentials_resolved *r, const char *akid,
			 const char *secret, const char *token)
{
	CU_ASSERT_STRING_EQUAL(r->creds.access_key_id ? r->creds.access_key_id : "(null)", akid);
	CU_ASSERT_STRING_EQUAL(r->creds.secret_access_key ? r->creds.secret_access_key : "(null)",
			       secret);
	CU_ASSERT_STRING_EQUAL(r->creds.session_token ? r->creds.session_token : "(null)",
			       token ? token : "(null)");
}

#define EXPECT_CREDS(r, akid, secret, token) expect_creds(&(r), akid, secret, token)

#define EXPECT_ERROR(err, want_code, want_msg)                                                     \
	do {                                                                                       \
		CU_ASSERT_EQUAL((err).code, want_code);                                            \
		if (strcmp((err).message, (want_msg)) != 0)                                        \
			fprintf(stderr, "\n  want: %s\n  got:  %s\n", (want_msg), (err).message);  \
		CU_ASSERT_STRING_EQUAL((err).message, want_msg);                                   \
	} while (0)

/* --- the INI dialect ------------------------------------------------------------------- */

static void test_ini_dialect(void)
{
	const char *text = "\xef\xbb\xbf# comment\n"
			   "; another\n"
			   "[default]\n"
			   "AWS_Access_Key_ID = AKID1  \n"
			   "region=us-east-1\n"
			   "\n"
			   "[ profile dev ]   # trailing comment\n"
			   "s3 =\n"
			   "  addressing_style = path\n"
			   "  Max_Concurrent_Requests=10\n"
			   "note = first\n"
			   "   second line\n"
			   "empty =\n"
			   "value = a # not a comment\n"
			   "[default]\n"
			   "region = eu-west-1\r\n";
	struct irx_error err = {0};
	struct irx_ini *ini = irx_ini_parse(text, strlen(text), "cfg", &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ini);
	CU_ASSERT_EQUAL(irx_ini_section_count(ini), 2);
	CU_ASSERT_STRING_EQUAL(irx_ini_get(ini, "default", "aws_access_key_id"), "AKID1");
	CU_ASSERT_STRING_EQUAL(irx_ini_get(ini, "default", "region"), "eu-west-1");
	CU_ASSERT_TRUE(irx_ini_has_section(ini, "profile dev"));
	CU_ASSERT_STRING_EQUAL(irx_ini_get(ini, "profile dev", "s3"), "");
	CU_ASSERT_STRING_EQUAL(irx_ini_get(ini, "profile dev", "s3.addressing_style"), "path");
	CU_ASSERT_STRING_EQUAL(irx_ini_get(ini, "profile dev", "s3.max_concurrent_requests"), "10");
	CU_ASSERT_STRING_EQUAL(irx_ini_get(ini, "profile dev", "note"), "first\nsecond line");
	CU_ASSERT_STRING_EQUAL(irx_ini_get(ini, "profile dev", "empty"), "");
	CU_ASSERT_STRING_EQUAL(irx_ini_get(ini, "profile dev", "value"), "a # not a comment");
	CU_ASSERT_PTR_NULL(irx_ini_get(ini, "profile dev", "region"));
	CU_ASSERT_PTR_NULL(irx_ini_get(ini, "nope", "region"));
	irx_ini_free(ini);
}

static void expect_ini_error(const char *text, size_t len, const char *message)
{
	struct irx_error err = {0};
	struct irx_ini *ini = irx_ini_parse(text, len, "/h/.aws/config", &err);

	CU_ASSERT_PTR_NULL(ini);
	EXPECT_ERROR(err, IRX_ERR_PARSE, message);
	irx_ini_free(ini);
}

static void test_ini_errors(void)
{
	expect_ini_error("key = v\n", 8, "/h/.aws/config:1: 'key = value' before any [section]");
	expect_ini_error("[a]\n\n[b\n", 8, "/h/.aws/config:3: missing ']' in the section header");
	expect_ini_error("[a] x\n", 6,
			 "/h/.aws/config:1: unexpected text after the section header");
	expect_ini_error("[  ]\n", 5, "/h/.aws/config:1: empty section name");
	expect_ini_error("[a]\njust words\n", 15,
			 "/h/.aws/config:2: expected '[section]' or 'key = value'");
	expect_ini_error("[a]\n = v\n", 8, "/h/.aws/config:2: missing key before '='");
	expect_ini_error("[a]\ns3 =\n  flag\n", 16,
			 "/h/.aws/config:3: expected 'key = value' in the nested block");
	expect_ini_error("[a]\nk = v\0x\n", 11, "/h/.aws/config: contains a NUL byte");
	/* an indented line with no key before it is an ordinary line */
	expect_ini_error("[a]\n  words\n", 12,
			 "/h/.aws/config:2: expected '[section]' or 'key = value'");
}

/* --- explicit and environment -------------------------------------------------------------- */

static void test_explicit_and_environment(void)
{
	const char *home = make_home("[default]\naws_access_key_id = FILE\n"
				     "aws_secret_access_key = FILESECRET\n",
				     NULL);
	struct env e;
	struct irx_credentials_resolved r = {0};
	struct irx_credentials_options o = {0};
	struct irx_error err = {0};

	/* explicit beats the environment */
	o.env =
	    env_make(&e, home, false, "AWS_ACCESS_KEY_ID=ENV", "AWS_SECRET_ACCESS_KEY=ENVS", NULL);
	o.access_key_id = "EXPL";
	o.secret_access_key = "EXPLS";
	o.session_token = "EXPLT";
	CU_ASSERT_EQUAL_FATAL(resolve_o(&o, &r, &err), 0);
	EXPECT_CREDS(r, "EXPL", "EXPLS", "EXPLT");
	CU_ASSERT_STRING_EQUAL(r.source, "explicit options");
	irx_credentials_resolved_release(&r);
	o.secret_access_key = NULL;
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "explicit credentials need both an access key id and a secret access key");
	CU_ASSERT_PTR_NULL(r.creds.access_key_id);
	env_free(&e);

	/* the environment beats the profile; empty AWS_SESSION_TOKEN is no token */
	CU_ASSERT_EQUAL(resolve(env_make(&e, home, false, "AWS_ACCESS_KEY_ID=ENV",
					 "AWS_SECRET_ACCESS_KEY=ENVS", "AWS_SESSION_TOKEN=", NULL),
				NULL, &r, &err),
			0);
	EXPECT_CREDS(r, "ENV", "ENVS", NULL);
	CU_ASSERT_STRING_EQUAL(r.source, "environment");
	CU_ASSERT_EQUAL(r.creds.expiration, 0);
	irx_credentials_resolved_release(&r);
	env_free(&e);

	CU_ASSERT_EQUAL(resolve(env_make(&e, home, false, "AWS_ACCESS_KEY_ID=ENV",
					 "AWS_SECRET_ACCESS_KEY=ENVS", "AWS_SESSION_TOKEN=TOK",
					 "AWS_CREDENTIAL_EXPIRATION=2099-01-01T00:00:00Z", NULL),
				NULL, &r, &err),
			0);
	EXPECT_CREDS(r, "ENV", "ENVS", "TOK");
	CU_ASSERT_EQUAL(r.creds.expiration, 4070908800);
	irx_credentials_resolved_release(&r);
	env_free(&e);

	CU_ASSERT_EQUAL(
	    resolve(env_make(&e, home, false, "AWS_ACCESS_KEY_ID=ENV", "AWS_SECRET_ACCESS_KEY=ENVS",
			     "AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00+01:00", NULL),
		    NULL, &r, &err),
	    -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "AWS credentials from environment expired at 2019-12-31T23:00:00Z");
	env_free(&e);

	CU_ASSERT_EQUAL(
	    resolve(env_make(&e, home, false, "AWS_ACCESS_KEY_ID=ENV", "AWS_SECRET_ACCESS_KEY=ENVS",
			     "AWS_CREDENTIAL_EXPIRATION=tomorrow", NULL),
		    NULL, &r, &err),
	    -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, "invalid AWS_CREDENTIAL_EXPIRATION 'tomorrow'");
	env_free(&e);

	CU_ASSERT_EQUAL(
	    resolve(env_make(&e, home, false, "AWS_ACCESS_KEY_ID=ENV", NULL), NULL, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "the environment sets AWS_ACCESS_KEY_ID but not AWS_SECRET_ACCESS_KEY");
	env_free(&e);
	CU_ASSERT_EQUAL(
	    resolve(env_make(&e, home, false, "AWS_SECRET_ACCESS_KEY=S", NULL), NULL, &r, &err),
	    -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "the environment sets AWS_SECRET_ACCESS_KEY but not AWS_ACCESS_KEY_ID");
	env_free(&e);
}

/* --- profiles ---------------------------------------------------------------------------- */

static void test_profiles(void)
{
	const char *home = make_home("[default]\n"
				     "aws_access_key_id = DEF\n"
				     "aws_secret_access_key = DEFS\n"
				     "[dev]\n"
				     "aws_access_key_id = DEV\n"
				     "aws_secret_access_key = DEVS\n"
				     "aws_session_token = DEVT\n"
				     "[profile both]\n"
				     "aws_access_key_id = LITERAL\n"
				     "aws_secret_access_key = LITERALS\n"
				     "[half]\n"
				     "aws_access_key_id = HALF\n",
				     "[default]\n"
				     "region = us-west-2\n"
				     "[profile dev]\n"
				     "aws_access_key_id = IGNORED\n"
				     "aws_secret_access_key = IGNOREDS\n"
				     "[profile cfgonly]\n"
				     "aws_access_key_id = CFG\n"
				     "aws_secret_access_key = CFGS\n"
				     "[both]\n"
				     "aws_access_key_id = NOPREFIX\n"
				     "aws_secret_access_key = NOPREFIXS\n"
				     "[profile regiononly]\n"
				     "region = eu-central-1\n"
				     "[profile sso]\n"
				     "sso_session = corp\n");
	struct env e;
	struct irx_credentials_resolved r = {0};
	struct irx_error err = {0};
	char want[1500];

	CU_ASSERT_EQUAL(resolve(env_make(&e, home, false, NULL), NULL, &r, &err), 0);
	EXPECT_CREDS(r, "DEF", "DEFS", NULL);
	snprintf(want, sizeof(want), "profile 'default' in %s/.aws/credentials", home);
	CU_ASSERT_STRING_EQUAL(r.source, want);
	irx_credentials_resolved_release(&r);
	env_free(&e);

	/* AWS_PROFILE; the credentials file beats the config file */
	CU_ASSERT_EQUAL(resolve(env_make(&e, home, false, "AWS_PROFILE=dev", NULL), NULL, &r, &err),
			0);
	EXPECT_CREDS(r, "DEV", "DEVS", "DEVT");
	irx_credentials_resolved_release(&r);
	/* --profile beats AWS_PROFILE; keys from "[profile cfgonly]" in the config file */
	CU_ASSERT_EQUAL(resolve((const char *const *)e.items, "cfgonly", &r, &err), 0);
	EXPECT_CREDS(r, "CFG", "CFGS", NULL);
	snprintf(want, sizeof(want), "profile 'cfgonly' in %s/.aws/config", home);
	CU_ASSERT_STRING_EQUAL(r.source, want);
	irx_credentials_resolved_release(&r);
	/* "[profile both]" in the credentials file is a profile literally named "profile both";
	 * "[both]" in the config file is not a profile: "both" is not found */
	CU_ASSERT_EQUAL(resolve((const char *const *)e.items, "profile both", &r, &err), 0);
	EXPECT_CREDS(r, "LITERAL", "LITERALS", NULL);
	irx_credentials_resolved_release(&r);
	CU_ASSERT_EQUAL(resolve((const char *const *)e.items, "both", &r, &err), -1);
	snprintf(want, sizeof(want),
		 "profile 'both' not found in %s/.aws/credentials or %s/.aws/config", home, home);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
	/* incomplete keys */
	CU_ASSERT_EQUAL(resolve((const char *const *)e.items, "half", &r, &err), -1);
	snprintf(want, sizeof(want),
		 "profile 'half' in %s/.aws/credentials has 'aws_access_key_id' but no "
		 "'aws_secret_access_key'",
		 home);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
	/* SSO is refused clearly rather than skipped */
	CU_ASSERT_EQUAL(resolve((const char *const *)e.items, "sso", &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "profile 'sso' uses 'sso_session', which irx does not support; use static "
		     "keys, credential_process or role_arn");
	/* a profile with no credentials falls through to the rest of the chain */
	CU_ASSERT_EQUAL(resolve((const char *const *)e.items, "regiononly", &r, &err), -1);
	snprintf(want, sizeof(want),
		 "no AWS credentials: looked in explicit options, environment (AWS_ACCESS_KEY_ID), "
		 "profile 'regiononly' in %s/.aws/credentials and %s/.aws/config, container "
		 "credentials (not configured), instance metadata (disabled)",
		 home, home);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
	env_free(&e);
}

static void test_nothing_found_message(void)
{
	const char *home = make_home(NULL, NULL);
	struct env e;
	struct irx_credentials_resolved r = {0};
	struct irx_error err = {0};
	char want[1500], creds[600], conf[600];

	/* the exact message, naming every place */
	CU_ASSERT_EQUAL(resolve(env_make(&e, home, false, NULL), NULL, &r, &err), -1);
	snprintf(want, sizeof(want),
		 "no AWS credentials: looked in explicit options, environment (AWS_ACCESS_KEY_ID), "
		 "profile 'default' in %s/.aws/credentials and %s/.aws/config, container "
		 "credentials (not configured), instance metadata (disabled)",
		 home, home);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
	CU_ASSERT_PTR_NULL(r.source);
	env_free(&e);

	/* file overrides, "~/" expanded */
	snprintf(creds, sizeof(creds), "AWS_SHARED_CREDENTIALS_FILE=~/c.ini");
	snprintf(conf, sizeof(conf), "AWS_CONFIG_FILE=/nonexistent/conf");
	CU_ASSERT_EQUAL(resolve(env_make(&e, home, false, creds, conf, NULL), NULL, &r, &err), -1);
	snprintf(want, sizeof(want),
		 "no AWS credentials: looked in explicit options, environment (AWS_ACCESS_KEY_ID), "
		 "profile 'default' in %s/c.ini and /nonexistent/conf, container credentials (not "
		 "configured), instance metadata (disabled)",
		 home);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
	env_free(&e);

	/* a file that cannot be read is an error, not "missing" */
	{
		char dir[600];

		snprintf(dir, sizeof(dir), "AWS_CONFIG_FILE=%s", home);
		CU_ASSERT_EQUAL(resolve(env_make(&e, home, false, dir, NULL), NULL, &r, &err), -1);
		CU_ASSERT_EQUAL(err.code, IRX_ERR_IO);
		snprintf(want, sizeof(want), "cannot read '%s': ", home);
		CU_ASSERT_EQUAL(strncmp(err.message, want, strlen(want)), 0);
		env_free(&e);
	}
	/* a malformed file is a located parse error */
	{
		const char *bad = make_home("[default]\nthis is not ini\n", NULL);

		CU_ASSERT_EQUAL(resolve(env_make(&e, bad, false, NULL), NULL, &r, &err), -1);
		snprintf(want, sizeof(want),
			 "%s/.aws/credentials:2: expected '[section]' or 'key = value'", bad);
		EXPECT_ERROR(err, IRX_ERR_PARSE, want);
		env_free(&e);
	}
}

/* --- assume role ------------------------------------------------------------------------ */

struct role_calls {
	int n;
	char arn[256], external_id[64], session[64], region[32], src_akid[32], src_secret[32];
	long duration;
	int fail;
};

static int fake_assume_role(void *ctx, const struct irx_assume_role *role,
			    struct irx_credentials *out, struct irx_error *err)
{
	struct role_calls *c = ctx;

	c->n++;
	snprintf(c->arn, sizeof(c->arn), "%s", role->role_arn);
	snprintf(c->external_id, sizeof(c->external_id), "%s",
		 role->external_id ? role->external_id : "(none)");
	snprintf(c->session, sizeof(c->session), "%s",
		 role->role_session_name ? role->role_session_name : "(none)");
	snprintf(c->region, sizeof(c->region), "%s", role->region ? role->region : "(none)");
	snprintf(c->src_akid, sizeof(c->src_akid), "%s", role->source.access_key_id);
	snprintf(c->src_secret, sizeof(c->src_secret), "%s", role->source.secret_access_key);
	c->duration = role->duration_seconds;
	if (c->fail) {
		irx_error_set(err, IRX_ERR_AWS, "AccessDenied: not trusted");
		return -1;
	}
	irx_credentials_set(out, "ASIAROLE", "ROLESECRET", "ROLETOKEN", 4070908800);
	return 0;
}

static const char *role_config = "[profile ir]\n"
				 "role_arn = arn:aws:iam::111122223333:role/IR\n"
				 "source_profile = base\n"
				 "external_id = ext-42\n"
				 "role_session_name = irx-exec-1\n"
				 "duration_seconds = 1800\n"
				 "region = eu-west-1\n"
				 "[profile selfsrc]\n"
				 "role_arn = arn:aws:iam::1:role/Self\n"
				 "source_profile = selfsrc\n"
				 "aws_access_key_id = SELF\n"
				 "aws_secret_access_key = SELFS\n"
				 "[profile envsrc]\n"
				 "role_arn = arn:aws:iam::1:role/Env\n"
				 "credential_source = Environment\n"
				 "[profile chained]\n"
				 "role_arn = arn:aws:iam::1:role/Second\n"
				 "source_profile = ir\n"
				 "[profile both]\n"
				 "role_arn = arn:aws:iam::1:role/X\n"
				 "source_profile = base\n"
				 "credential_source = Environment\n"
				 "[profile neither]\n"
				 "role_arn = arn:aws:iam::1:role/X\n"
				 "[profile loop1]\n"
				 "role_arn = arn:aws:iam::1:role/L1\n"
				 "source_profile = loop2\n"
				 "[profile loop2]\n"
				 "role_arn = arn:aws:iam::1:role/L2\n"
				 "source_profile = loop1\n"
				 "[profile ghost]\n"
				 "role_arn = arn:aws:iam::1:role/X\n"
				 "source_profile = nowhere\n"
				 "[profile badsrc]\n"
				 "role_arn = arn:aws:iam::1:role/X\n"
				 "credential_source = Magic\n"
				 "[profile longrole]\n"
				 "role_arn = arn:aws:iam::1:role/X\n"
				 "source_profile = base\n"
				 "duration_seconds = 99999\n";

static void test_assume_role(void)
{
	const char *home = make_home("[base]\naws_access_key_id = BASE\n"
				     "aws_secret_access_key = BASES\n",
				     role_config);
	struct env e;
	struct role_calls calls = {0};
	struct irx_credentials_resolved r = {0};
	struct irx_credentials_options o = {0};
	struct irx_error err = {0};
	char want[1200];

	o.env = env_make(&e, home, false, "AWS_ACCESS_KEY_ID=", "AWS_PROFILE=ir", NULL);
	o.assume_role = fake_assume_role;
	o.assume_role_ctx = &calls;
	CU_ASSERT_EQUAL_FATAL(resolve_o(&o, &r, &err), 0);
	EXPECT_CREDS(r, "ASIAROLE", "ROLESECRET", "ROLETOKEN");
	CU_ASSERT_EQUAL(calls.n, 1);
	CU_ASSERT_STRING_EQUAL(calls.arn, "arn:aws:iam::111122223333:role/IR");
	CU_ASSERT_STRING_EQUAL(calls.external_id, "ext-42");
	CU_ASSERT_STRING_EQUAL(calls.session, "irx-exec-1");
	CU_ASSERT_STRING_EQUAL(calls.region, "eu-west-1");
	CU_ASSERT_STRING_EQUAL(calls.src_akid, "BASE");
	CU_ASSERT_STRING_EQUAL(calls.src_secret, "BASES");
	CU_ASSERT_EQUAL(calls.duration, 1800);
	snprintf(want, sizeof(want),
		 "profile 'ir' (role 'arn:aws:iam::111122223333:role/IR' via profile 'base' in "
		 "%s/.aws/credentials)",
		 home);
	CU_ASSERT_STRING_EQUAL(r.source, want);
	irx_credentials_resolved_release(&r);

	/* chained: the callback runs once per hop, the second with the first's result */
	memset(&calls, 0, sizeof(calls));
	o.profile = "chained";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), 0);
	CU_ASSERT_EQUAL(calls.n, 2);
	CU_ASSERT_STRING_EQUAL(calls.arn, "arn:aws:iam::1:role/Second");
	CU_ASSERT_STRING_EQUAL(calls.src_akid, "ASIAROLE");
	CU_ASSERT_STRING_EQUAL(calls.external_id, "(none)");
	CU_ASSERT_EQUAL(calls.duration, 0);
	irx_credentials_resolved_release(&r);

	/* its own static keys */
	o.profile = "selfsrc";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), 0);
	CU_ASSERT_STRING_EQUAL(calls.src_akid, "SELF");
	CU_ASSERT_STRING_EQUAL(r.source,
			       "profile 'selfsrc' (role 'arn:aws:iam::1:role/Self' via profile "
			       "'selfsrc' (static keys))");
	irx_credentials_resolved_release(&r);

	/* a failing STS call says which role and profile */
	calls.fail = 1;
	o.profile = "ir";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_AWS,
		     "assuming role 'arn:aws:iam::111122223333:role/IR' for profile 'ir': "
		     "AccessDenied: not trusted");
	calls.fail = 0;
	env_free(&e);

	/* credential_source = Environment */
	o.env = env_make(&e, home, false, "AWS_ACCESS_KEY_ID=", NULL);
	o.profile = "envsrc";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "profile 'envsrc': credential_source Environment, but AWS_ACCESS_KEY_ID is "
		     "not set");
	env_free(&e);

	/* without a callback: the description comes back for the caller to perform */
	o.env = env_make(&e, home, false, NULL);
	o.assume_role = NULL;
	o.profile = "ir";
	CU_ASSERT_EQUAL_FATAL(resolve_o(&o, &r, &err), 0);
	CU_ASSERT_PTR_NULL(r.creds.access_key_id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.assume_role);
	CU_ASSERT_STRING_EQUAL(r.assume_role->profile, "ir");
	CU_ASSERT_STRING_EQUAL(r.assume_role->role_arn, "arn:aws:iam::111122223333:role/IR");
	CU_ASSERT_STRING_EQUAL(r.assume_role->external_id, "ext-42");
	CU_ASSERT_STRING_EQUAL(r.assume_role->role_session_name, "irx-exec-1");
	CU_ASSERT_EQUAL(r.assume_role->duration_seconds, 1800);
	CU_ASSERT_STRING_EQUAL(r.assume_role->source.access_key_id, "BASE");
	irx_credentials_resolved_release(&r);
	o.profile = "chained";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "profile 'ir' chains roles (its source assumes role "
		     "'arn:aws:iam::111122223333:role/IR'), which needs the STS client");

	/* configuration mistakes */
	o.profile = "both";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "profile 'both' sets both 'source_profile' and 'credential_source'");
	o.profile = "neither";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "profile 'neither' has 'role_arn' but neither 'source_profile' nor "
		     "'credential_source'");
	o.assume_role = fake_assume_role;
	o.profile = "loop1";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "profile 'loop2': source_profile 'loop1' forms a cycle");
	o.profile = "ghost";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	snprintf(want, sizeof(want),
		 "source_profile 'nowhere' of profile 'ghost' not found in %s/.aws/credentials or "
		 "%s/.aws/config",
		 home, home);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
	o.profile = "badsrc";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "profile 'badsrc': unknown credential_source 'Magic' (expected Environment, "
		     "Ec2InstanceMetadata or EcsContainer)");
	o.profile = "longrole";
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "profile 'longrole': duration_seconds '99999' is not 900..43200");
	env_free(&e);
}

/* --- credential_process --------------------------------------------------------------------- */

/* Resolves profile 'p' whose credential_process is cmd; stderr captured into *errtext. */
static int resolve_process(const char *cmd, long timeout_ms, struct irx_credentials_resolved *r,
			   struct irx_error *err, char **errtext)
{
	char *config = irx_xasprintf("[profile p]\ncredential_process = %s\n", cmd);
	const char *home = make_home(NULL, config);
	char errpath[600];
	struct env e;
	struct irx_credentials_options o = {0};
	int saved = dup(STDERR_FILENO), fd, rc;
	size_t len = 0;

	snprintf(errpath, sizeof(errpath), "%s/stderr", home);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	close(fd);
	o.env = env_make(&e, home, false, "PATH=/usr/bin:/bin", NULL);
	o.profile = "p";
	o.process_timeout_ms = timeout_ms;
	irx_error_clear(err);
	rc = irx_credentials_resolve(&o, r, err);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	*errtext = NULL;
	if (irx_read_file(errpath, 65536, errtext, &len) < 0)
		*errtext = irx_xstrdup("");
	env_free(&e);
	free(config);
	return rc;
}

static void test_credential_process(void)
{
	struct irx_credentials_resolved r = {0};
	struct irx_error err = {0};
	char *errtext = NULL;
	long long t0;

	/* shell rules: quotes, a pipe, stderr passed through */
	CU_ASSERT_EQUAL(resolve_process("echo 'to stderr' >&2; printf '%s' '{\"Version\": 1, "
					"\"AccessKeyId\": \"PAK\", \"SecretAccessKey\": \"PSK\", "
					"\"SessionToken\": \"PST\", \"Expiration\": "
					"\"2099-01-01T00:00:00.000Z\"}' | cat",
					0, &r, &err, &errtext),
			0);
	EXPECT_CREDS(r, "PAK", "PSK", "PST");
	CU_ASSERT_EQUAL(r.creds.expiration, 4070908800);
	CU_ASSERT_STRING_EQUAL(r.source, "profile 'p' (credential_process)");
	CU_ASSERT_STRING_EQUAL(errtext, "to stderr\n");
	irx_credentials_resolved_release(&r);
	free(errtext);

	/* no session token, no expiration */
	CU_ASSERT_EQUAL(resolve_process("echo '{\"Version\":1,\"AccessKeyId\":\"A\","
					"\"SecretAccessKey\":\"S\"}'",
					0, &r, &err, &errtext),
			0);
	EXPECT_CREDS(r, "A", "S", NULL);
	CU_ASSERT_EQUAL(r.creds.expiration, 0);
	irx_credentials_resolved_release(&r);
	free(errtext);

	CU_ASSERT_EQUAL(resolve_process("echo denied >&2; exit 3", 0, &r, &err, &errtext), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "credential_process of profile 'p' exited with status 3");
	CU_ASSERT_STRING_EQUAL(errtext, "denied\n");
	free(errtext);

	CU_ASSERT_EQUAL(resolve_process("echo not json SECRETVALUE", 0, &r, &err, &errtext), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "credential_process of profile 'p' did not print a JSON object");
	free(errtext);

	CU_ASSERT_EQUAL(resolve_process("echo '{\"Version\":2,\"AccessKeyId\":\"A\","
					"\"SecretAccessKey\":\"S\"}'",
					0, &r, &err, &errtext),
			-1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "credential_process of profile 'p' printed no \"Version\": 1");
	free(errtext);

	/* the secret never reaches the message */
	CU_ASSERT_EQUAL(
	    resolve_process("echo '{\"Version\":1,\"AccessKeyId\":\"A\","
			    "\"SecretAccessKey\":\"TOPSECRET\",\"Expiration\":\"soon\"}'",
			    0, &r, &err, &errtext),
	    -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "credential_process of profile 'p': invalid Expiration 'soon'");
	CU_ASSERT_PTR_NULL(strstr(err.message, "TOPSECRET"));
	free(errtext);

	CU_ASSERT_EQUAL(
	    resolve_process("echo '{\"Version\":1,\"AccessKeyId\":\"A\"}'", 0, &r, &err, &errtext),
	    -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "credential_process of profile 'p': the response lacks AccessKeyId or "
		     "SecretAccessKey");
	free(errtext);

	/* expired */
	CU_ASSERT_EQUAL(resolve_process("echo '{\"Version\":1,\"AccessKeyId\":\"A\","
					"\"SecretAccessKey\":\"S\",\"Expiration\":"
					"\"2001-02-03T04:05:06Z\"}'",
					0, &r, &err, &errtext),
			-1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "AWS credentials from profile 'p' (credential_process) expired at "
		     "2001-02-03T04:05:06Z");
	free(errtext);

	/* a hung process is killed with its children at the deadline */
	t0 = irx_now_ms();
	CU_ASSERT_EQUAL(resolve_process("sleep 5; echo late", 300, &r, &err, &errtext), -1);
	CU_ASSERT_TRUE(irx_now_ms() - t0 < 3000);
	EXPECT_ERROR(err, IRX_ERR_TIMEOUT,
		     "credential_process of profile 'p' did not finish within 300 ms");
	free(errtext);

	/* the command cannot be found: the shell says so on stderr, exit 127 */
	CU_ASSERT_EQUAL(resolve_process("/nonexistent/helper --json", 0, &r, &err, &errtext), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "credential_process of profile 'p' exited with status 127");
	IRX_ASSERT_CONTAINS(errtext, "/nonexistent/helper");
	free(errtext);
}

/* --- container credentials ---------------------------------------------------------------- */

static void test_container_url_rules(void)
{
	const char *ok[][2] = {
	    {"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:8080/c",
	     "http://127.0.0.1:8080/c"},
	    {"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.1.2.3/c", "http://127.1.2.3/c"},
	    {"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://localhost/c", "http://localhost/c"},
	    {"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://[::1]:9/c", "http://[::1]:9/c"},
	    {"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials",
	     "http://169.254.170.23/v1/credentials"},
	    {"AWS_CONTAINER_CREDENTIALS_FULL_URI=https://creds.example.com/x",
	     "https://creds.example.com/x"},
	    {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/abc",
	     "http://169.254.170.2/v2/credentials/abc"},
	};
	const char *refused[] = {"http://example.com/c", "http://128.0.0.1/c",
				 "http://127.0.0.1.evil.com/c", "ftp://127.0.0.1/c",
				 "http://169.254.169.254/latest"};
	struct irx_error err = {0};
	char *url = NULL;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *env[] = {ok[i][0], NULL};

		CU_ASSERT_EQUAL(irx_container_credentials_url(env, &url, &err), 1);
		CU_ASSERT_STRING_EQUAL(url ? url : "", ok[i][1]);
		free(url);
	}
	{
		/* RELATIVE_URI wins over FULL_URI */
		const char *env[] = {"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1/x",
				     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/rel", NULL};
		const char *none[] = {"AWS_CONTAINER_CREDENTIALS_FULL_URI=", NULL};

		CU_ASSERT_EQUAL(irx_container_credentials_url(env, &url, &err), 1);
		CU_ASSERT_STRING_EQUAL(url, "http://169.254.170.2/rel");
		free(url);
		CU_ASSERT_EQUAL(irx_container_credentials_url(none, &url, &err), 0);
		CU_ASSERT_PTR_NULL(url);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char var[200], want[400];
		const char *env[] = {var, NULL};

		snprintf(var, sizeof(var), "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s", refused[i]);
		irx_error_clear(&err);
		CU_ASSERT_EQUAL(irx_container_credentials_url(env, &url, &err), -1);
		snprintf(want, sizeof(want),
			 "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' must use https, or http to a "
			 "loopback address, 169.254.170.2 or 169.254.170.23",
			 refused[i]);
		EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
		CU_ASSERT_PTR_NULL(url);
	}
}

static const struct route container_routes[] = {
    {"GET", "/creds", 200,
     "{\"AccessKeyId\":\"CAK\",\"SecretAccessKey\":\"CSK\",\"Token\":\"CTK\","
     "\"Expiration\":\"2099-01-01T00:00:00Z\",\"RoleArn\":\"arn:aws:iam::1:role/task\"}",
     "authorization: tok-from-", 0},
    {"GET", "/broken", 500, "oops", NULL, 0},
    {"GET", "/garbage", 200, "<html>", NULL, 0},
    {"GET", "/expired", 200,
     "{\"AccessKeyId\":\"CAK\",\"SecretAccessKey\":\"CSK\",\"Token\":\"CTK\","
     "\"Expiration\":\"2001-01-01T00:00:00Z\"}",
     NULL, 0},
    {"GET", "/slow", 200, "{}", NULL, 3000},
    {NULL, NULL, 0, NULL, NULL, 0},
};

static void test_container_credentials(void)
{
	const char *home = make_home(NULL, NULL);
	struct server s = {0};
	struct env e;
	struct irx_credentials_resolved r = {0};
	struct irx_credentials_options o = {0};
	struct irx_error err = {0};
	char uri[128], want[400], tokfile[600], tokvar[700], *log = NULL;
	long long t0;

	CU_ASSERT_EQUAL_FATAL(server_start(&s, container_routes), 0);
	snprintf(tokfile, sizeof(tokfile), "%s/token", home);
	irx_test_write(tokfile, "tok-from-file\n");
	snprintf(tokvar, sizeof(tokvar), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=%s", tokfile);

	/* the token file wins over the token variable */
	snprintf(uri, sizeof(uri), "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:%d/creds",
		 s.port);
	o.env = env_make(&e, home, false, uri, tokvar,
			 "AWS_CONTAINER_AUTHORIZATION_TOKEN=tok-from-env", NULL);
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), 0);
	EXPECT_CREDS(r, "CAK", "CSK", "CTK");
	CU_ASSERT_EQUAL(r.creds.expiration, 4070908800);
	snprintf(want, sizeof(want), "container credentials (http://127.0.0.1:%d/creds)", s.port);
	CU_ASSERT_STRING_EQUAL(r.source ? r.source : "", want);
	irx_credentials_resolved_release(&r);
	log = server_log(&s);
	IRX_ASSERT_CONTAINS(log, "GET /creds HTTP/1.1");
	IRX_ASSERT_CONTAINS(log, "Authorization: tok-from-file\r\n");
	free(log);
	env_free(&e);

	o.env =
	    env_make(&e, home, false, uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN=tok-from-env", NULL);
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), 0);
	irx_credentials_resolved_release(&r);
	log = server_log(&s);
	IRX_ASSERT_CONTAINS(log, "Authorization: tok-from-env\r\n");
	free(log);
	env_free(&e);

	/* without the token the server refuses: a configured container that fails is an error */
	o.env = env_make(&e, home, false, uri, NULL);
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	snprintf(want, sizeof(want),
		 "container credentials from 'http://127.0.0.1:%d/creds': HTTP 401", s.port);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
	env_free(&e);

	o.env = env_make(&e, home, false, uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN=a\nb", NULL);
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_CREDENTIALS,
		     "the container authorization token contains a line break");
	env_free(&e);

	{
		const char *paths[] = {"broken", "garbage", "expired"};
		const char *why[] = {"HTTP 500", "the response is not a JSON object", NULL};

		for (int i = 0; i < 3; i++) {
			snprintf(uri, sizeof(uri),
				 "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:%d/%s",
				 s.port, paths[i]);
			o.env = env_make(&e, home, false, uri, NULL);
			CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
			if (why[i])
				snprintf(want, sizeof(want),
					 "container credentials from 'http://127.0.0.1:%d/%s': %s",
					 s.port, paths[i], why[i]);
			else
				snprintf(want, sizeof(want),
					 "AWS credentials from container credentials "
					 "(http://127.0.0.1:%d/expired) expired at "
					 "2001-01-01T00:00:00Z",
					 s.port);
			EXPECT_ERROR(err, IRX_ERR_CREDENTIALS, want);
			env_free(&e);
		}
	}

	/* short timeouts */
	snprintf(uri, sizeof(uri), "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:%d/slow",
		 s.port);
	o.env = env_make(&e, home, false, uri, NULL);
	o.metadata_timeout_ms = 300;
	t0 = irx_now_ms();
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	CU_ASSERT_TRUE(irx_now_ms() - t0 < 2000);
	snprintf(want, sizeof(want),
		 "container credentials from 'http://127.0.0.1:%d/slow': ", s.port);
	CU_ASSERT_EQUAL(strncmp(err.message, want, strlen(want)), 0);
	IRX_ASSERT_CONTAINS(err.message, "imed out");
	env_free(&e);
	server_stop(&s);
}

/* --- instance metadata ------------------------------------------------------------------- */

static const struct route imds_routes[] = {
    {"PUT", "/latest/api/token", 200, "imds-token-1", "X-aws-ec2-metadata-token-ttl-seconds: 21600",
     0},
    {"GET", "/latest/meta-data/iam/security-credentials/", 200, "ir-instance-role\n",
     "X-aws-ec2-metadata-token: imds-token-1", 0},
    {"GET", "/latest/meta-data/iam/security-credentials/ir-instance-role", 200,
     "{\"Code\":\"Success\",\"LastUpdated\":\"2024-01-01T00:00:00Z\",\"Type\":\"AWS-HMAC\","
     "\"AccessKeyId\":\"IAK\",\"SecretAccessKey\":\"ISK\",\"Token\":\"ITK\","
     "\"Expiration\":\"2099-01-01T00:00:00Z\"}",
     "X-aws-ec2-metadata-token: imds-token-1", 0},
    {NULL, NULL, 0, NULL, NULL, 0},
};

static const struct route imds_no_role_routes[] = {
    {"PUT", "/latest/api/token", 200, "t", NULL, 0},
    {"GET", "/latest/meta-data/iam/security-credentials/", 404, "", NULL, 0},
    {NULL, NULL, 0, NULL, NULL, 0},
};

static const struct route imds_v1_only_routes[] = {
    {"PUT", "/latest/api/token", 403, "", NULL, 0},
    {NULL, NULL, 0, NULL, NULL, 0},
};

static const struct route imds_slow_routes[] = {
    {"PUT", "/latest/api/token", 200, "t", NULL, 3000},
    {NULL, NULL, 0, NULL, NULL, 0},
};

static void imds_expect_failure(const struct route *routes, const char *why_prefix)
{
	const char *home = make_home(NULL, NULL);
	struct server s = {0};
	struct env e;
	struct irx_credentials_resolved r = {0};
	struct irx_credentials_options o = {0};
	struct irx_error err = {0};
	char ep[128], want[1200];
	long long t0 = irx_now_ms();

	CU_ASSERT_EQUAL_FATAL(server_start(&s, routes), 0);
	snprintf(ep, sizeof(ep), "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%d/", s.port);
	o.env = env_make(&e, home, true, ep, NULL);
	o.metadata_timeout_ms = 300;
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	CU_ASSERT_TRUE(irx_now_ms() - t0 < 2000);
	snprintf(want, sizeof(want),
		 "no AWS credentials: looked in explicit options, environment (AWS_ACCESS_KEY_ID), "
		 "profile 'default' in %s/.aws/credentials and %s/.aws/config, container "
		 "credentials (not configured), instance metadata (http://127.0.0.1:%d: %s",
		 home, home, s.port, why_prefix);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_CREDENTIALS);
	if (strncmp(err.message, want, strlen(want)) != 0)
		fprintf(stderr, "\n  want prefix: %s\n  got: %s\n", want, err.message);
	CU_ASSERT_EQUAL(strncmp(err.message, want, strlen(want)), 0);
	env_free(&e);
	server_stop(&s);
}

static void test_imds(void)
{
	const char *home = make_home(NULL, NULL);
	struct server s = {0};
	struct env e;
	struct irx_credentials_resolved r = {0};
	struct irx_credentials_options o = {0};
	struct irx_error err = {0};
	char ep[128], want[200], *log = NULL, *a, *b, *c;

	CU_ASSERT_EQUAL_FATAL(server_start(&s, imds_routes), 0);
	snprintf(ep, sizeof(ep), "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%d", s.port);
	o.env = env_make(&e, home, true, ep, NULL);
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), 0);
	EXPECT_CREDS(r, "IAK", "ISK", "ITK");
	CU_ASSERT_EQUAL(r.creds.expiration, 4070908800);
	snprintf(want, sizeof(want), "instance metadata (http://127.0.0.1:%d)", s.port);
	CU_ASSERT_STRING_EQUAL(r.source ? r.source : "", want);
	irx_credentials_resolved_release(&r);
	/* token first, then the role, then its credentials, each with the token */
	log = server_log(&s);
	a = strstr(log, "PUT /latest/api/token HTTP/1.1");
	b = strstr(log, "GET /latest/meta-data/iam/security-credentials/ HTTP/1.1");
	c = strstr(log, "GET /latest/meta-data/iam/security-credentials/ir-instance-role HTTP/1.1");
	CU_ASSERT_TRUE(a && b && c && a < b && b < c);
	free(log);
	env_free(&e);

	/* disabled: never contacted */
	o.env = env_make(&e, home, true, ep, "AWS_EC2_METADATA_DISABLED=TRUE", NULL);
	irx_test_write(s.log, "");
	CU_ASSERT_EQUAL(resolve_o(&o, &r, &err), -1);
	IRX_ASSERT_CONTAINS(err.message, "instance metadata (disabled)");
	log = server_log(&s);
	CU_ASSERT_STRING_EQUAL(log, "");
	free(log);
	env_free(&e);
	server_stop(&s);

	imds_expect_failure(imds_no_role_routes, "no instance profile attached)");
	imds_expect_failure(imds_v1_only_routes, "token request: HTTP 403)");
	imds_expect_failure(imds_slow_routes, "");
}

/* --- region and profile values -------------------------------------------------------------- */

static void test_region(void)
{
	const char *home = make_home("[default]\nregion = ignored-in-credentials-file\n",
				     "[default]\nregion = us-west-2\n"
				     "endpoint_url = http://127.0.0.1:4566\n"
				     "[profile eu]\nregion = eu-west-1\n"
				     "[profile bad]\nregion = EU WEST\n");
	struct env e;
	struct irx_error err = {0};
	struct irx_aws_config *cfg = NULL;
	char *region = NULL, want[700];

	env_make(&e, home, false, "AWS_REGION=ap-south-1", "AWS_DEFAULT_REGION=sa-east-1", NULL);
	CU_ASSERT_EQUAL(
	    irx_region_resolve("us-east-2", NULL, (const char *const *)e.items, &region, &err), 0);
	CU_ASSERT_STRING_EQUAL(region, "us-east-2");
	free(region);
	CU_ASSERT_EQUAL(irx_region_resolve(NULL, NULL, (const char *const *)e.items, &region, &err),
			0);
	CU_ASSERT_STRING_EQUAL(region, "ap-south-1");
	free(region);
	env_free(&e);
	env_make(&e, home, false, "AWS_DEFAULT_REGION=sa-east-1", NULL);
	CU_ASSERT_EQUAL(irx_region_resolve(NULL, NULL, (const char *const *)e.items, &region, &err),
			0);
	CU_ASSERT_STRING_EQUAL(region, "sa-east-1");
	free(region);
	env_free(&e);
	env_make(&e, home, false, NULL);
	CU_ASSERT_EQUAL(irx_region_resolve(NULL, NULL, (const char *const *)e.items, &region, &err),
			0);
	CU_ASSERT_STRING_EQUAL(region, "us-west-2");
	free(region);
	CU_ASSERT_EQUAL(irx_region_resolve(NULL, "eu", (const char *const *)e.items, &region, &err),
			0);
	CU_ASSERT_STRING_EQUAL(region, "eu-west-1");
	free(region);
	CU_ASSERT_EQUAL(
	    irx_region_resolve(NULL, "bad", (const char *const *)e.items, &region, &err), -1);
	EXPECT_ERROR(err, IRX_ERR_INVALID, "invalid region 'EU WEST' from the config file");
	CU_ASSERT_PTR_NULL(region);
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_region_resolve("us-east-1.evil.com", NULL, (const char *const *)e.items,
					   &region, &err),
			-1);
	EXPECT_ERROR(err, IRX_ERR_INVALID, "invalid region 'us-east-1.evil.com' from --region");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(
	    irx_region_resolve(NULL, "nope", (const char *const *)e.items, &region, &err), -1);
	snprintf(want, sizeof(want),
		 "no AWS region: looked in --region, AWS_REGION, AWS_DEFAULT_REGION, profile "
		 "'nope' in %s/.aws/config",
		 home);
	EXPECT_ERROR(err, IRX_ERR_INVALID, want);

	/* other profile values for the endpoint resolver */
	CU_ASSERT_EQUAL_FATAL(irx_aws_config_load(NULL, (const char *const *)e.items, &cfg, &err),
			      0);
	CU_ASSERT_STRING_EQUAL(irx_aws_config_profile(cfg), "default");
	CU_ASSERT_STRING_EQUAL(irx_aws_config_get(cfg, "endpoint_url"), "http://127.0.0.1:4566");
	CU_ASSERT_PTR_NULL(irx_aws_config_get(cfg, "nothing"));
	snprintf(want, sizeof(want), "%s/.aws/config", home);
	CU_ASSERT_STRING_EQUAL(irx_aws_config_config_path(cfg), want);
	irx_aws_config_free(cfg);
	env_free(&e);
}

static void test_value_helpers(void)
{
	struct irx_credentials a = {0}, b = {0};

	irx_credentials_set(&a, "AK", "SK", "", 100);
	CU_ASSERT_PTR_NULL(a.session_token);
	CU_ASSERT_TRUE(irx_credentials_expired(&a, 100, 0));
	CU_ASSERT_FALSE(irx_credentials_expired(&a, 99, 0));
	CU_ASSERT_TRUE(irx_credentials_expired(&a, 50, 60));
	irx_credentials_copy(&b, &a);
	CU_ASSERT_STRING_EQUAL(b.secret_access_key, "SK");
	CU_ASSERT_PTR_NOT_EQUAL(b.secret_access_key, a.secret_access_key);
	irx_credentials_release(&a);
	CU_ASSERT_PTR_NULL(a.access_key_id);
	CU_ASSERT_EQUAL(a.expiration, 0);
	a.expiration = 0;
	CU_ASSERT_FALSE(irx_credentials_expired(&a, 1LL << 40, 0));
	irx_credentials_release(&b);
	irx_credentials_release(&b); /* idempotent */
}

static CU_TestInfo tests[] = {
    {"ini dialect", test_ini_dialect},
    {"ini errors", test_ini_errors},
    {"explicit and environment", test_explicit_and_environment},
    {"profiles in both shared files", test_profiles},
    {"nothing found names every place", test_nothing_found_message},
    {"assume role description and callback", test_assume_role},
    {"credential_process", test_credential_process},
    {"container credentials url rules", test_container_url_rules},
    {"container credentials over http", test_container_credentials},
    {"instance metadata (imdsv2)", test_imds},
    {"region and profile values", test_region},
    {"value helpers", test_value_helpers},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("credentials", tests, NULL, NULL)
