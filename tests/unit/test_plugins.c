/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plugin loader: every refusal with a deliberately broken plugin
 * (tests/plugins/bad_*), file and directory safety, laziness, search order,
 * scanning, static plugins, and the demo plugin linked statically and run
 * with a fake host.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "irx/plugin.h"
#include "plugins.h"
#include "test.h"

/* The demo plugin, linked in with -DIRX_PLUGIN_STATIC=demo. */
const struct irx_plugin *irx_plugin_entry_demo(void);

/* --- a fake host ------------------------------------------------------------- */

static char last_log[2048];
static char last_fail[2048];
static int fail_count;

static void fake_log(struct irx_call *call, enum irx_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
}

static int fake_fail(struct irx_call *call, const char *fmt, ...)
{
	va_list ap;

	if (fail_count++ == 0) {
		va_start(ap, fmt);
		vsnprintf(last_fail, sizeof(last_fail), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const struct irx_host fake_host = {
    .abi_major = IRX_PLUGIN_ABI_MAJOR,
    .abi_minor = IRX_PLUGIN_ABI_MINOR,
    .size = sizeof(struct irx_host),
    .log = fake_log,
    .fail = fake_fail,
};

static void fake_reset(void)
{
	last_log[0] = last_fail[0] = '\0';
	fail_count = 0;
}

static struct irx_context fake_ctx(int dry_run, void *data)
{
	struct irx_context ctx = {0};

	ctx.size = sizeof(ctx);
	ctx.host = &fake_host;
	ctx.execution_id = "exec-0001";
	ctx.step_name = "contain";
	ctx.account_id = "";
	ctx.region = "";
	ctx.case_id = "";
	ctx.dry_run = dry_run;
	ctx.plugin_data = data;
	return ctx;
}

/* --- files ------------------------------------------------------------------- */

static char *xstrdup_(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

/* A fresh directory (mode 0700, ours), as a new string. */
static char *tmpdir(void)
{
	return xstrdup_(irx_test_tmpdir());
}

static char *join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);

	if (!p)
		abort();
	snprintf(p, n, "%s/%s", dir, file);
	return p;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	int in = open(src, O_RDONLY);
	int out = -1;
	ssize_t n = 0;
	int rc = -1;

	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0)
		goto done;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto done;
	rc = n == 0 ? fchmod(out, mode) : -1;
done:
	close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* Copies the test plugin <name>.so (or plugins/<name>.so when demo) into dir as <as>.so. */
static void put_plugin(const char *dir, const char *name, const char *as, mode_t mode)
{
	char rel[256];
	char file[256];
	char *dst = NULL;

	if (strcmp(name, "demo") == 0)
		snprintf(rel, sizeof(rel), "plugins/%s.so", name);
	else
		snprintf(rel, sizeof(rel), "tests/plugins/%s.so", name);
	snprintf(file, sizeof(file), "%s.so", as ? as : name);
	dst = join(dir, file);
	if (copy_file(irx_test_build(rel), dst, mode) < 0) {
		fprintf(stderr, "cannot copy %s to %s (build the test plugins first)\n",
			irx_test_build(rel), dst);
		CU_FAIL_FATAL("test plugin missing");
	}
	free(dst);
}

static char *real(const char *path)
{
	char buf[PATH_MAX];

	if (!realpath(path, buf))
		abort();
	return xstrdup_(buf);
}

/* True when /proc/self/maps has a mapping of path. */
static int mapped(const char *path)
{
	char *rp = real(path);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256];
	int found = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n');
		size_t n = strlen(rp);
		size_t len = 0;

		if (nl)
			*nl = '\0';
		len = strlen(line);
		if (len >= n && strcmp(line + len - n, rp) == 0 && line[len - n - 1] == ' ')
			found = 1;
	}
	fclose(f);
	free(rp);
	return found;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (!buf)
		abort();
	if (f) {
		size_t n = fread(buf, 1, 65535, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/* Expects load(name) in a one-directory path to be refused with exactly msg. */
static void expect_refused_in(const char *dir, const char *name, const char *msg)
{
	struct irx_plugins *p = irx_plugins_new(&dir, 1, &fake_host);
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = irx_plugins_load(p, name, &err);

	CU_ASSERT_PTR_NULL(lp);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_PLUGIN);
	if (strcmp(err.message, msg) != 0)
		fprintf(stderr, "\n  expected: %s\n  got:      %s\n", msg, err.message);
	CU_ASSERT_STRING_EQUAL(err.message, msg);
	irx_plugins_free(p);
}

/* --- the good plugin ----------------------------------------------------------- */

static void test_good_loads(void)
{
	char *dir = tmpdir();
	char *log = join(dir, "count.log");
	char *path = join(dir, "good.so");
	const char *dirs[] = {dir};
	struct irx_plugins *p = NULL;
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = NULL, *again = NULL;
	const struct irx_action *a = NULL;
	struct json_object *in = NULL;
	struct irx_result res = {0};
	struct irx_context ctx;
	char *counts = NULL;

	put_plugin(dir, "good", NULL, 0755);
	setenv("IRX_TEST_GOOD_LOG", log, 1);
	p = irx_plugins_new(dirs, 1, &fake_host);
	lp = irx_plugins_load(p, "good", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	CU_ASSERT_STRING_EQUAL(lp->path, path);
	CU_ASSERT_PTR_NOT_NULL(lp->handle);
	CU_ASSERT_PTR_NOT_NULL(lp->plugin_data);
	CU_ASSERT_EQUAL(lp->desc.abi_major, 1);
	CU_ASSERT_EQUAL(lp->desc.abi_minor, IRX_PLUGIN_ABI_MINOR);
	CU_ASSERT_EQUAL(lp->desc.size, sizeof(struct irx_plugin));
	CU_ASSERT_STRING_EQUAL(lp->desc.name, "good");
	CU_ASSERT_STRING_EQUAL(lp->desc.version, "1.2.3");
	CU_ASSERT_STRING_EQUAL(lp->desc.license, "Apache-2.0");
	a = &lp->desc.actions[0];
	CU_ASSERT_STRING_EQUAL(a->name, "echo");
	CU_ASSERT_EQUAL(a->flags, IRX_ACTION_IDEMPOTENT);
	CU_ASSERT_STRING_EQUAL(a->params[1].name, "Token");
	CU_ASSERT_EQUAL(a->params[1].flags, IRX_PARAM_SECRET);
	CU_ASSERT_PTR_NULL(lp->desc.actions[1].name);

	/* Run the action through the loaded descriptor, with the plugin's own data. */
	in = json_tokener_parse("{\"Message\": \"hi\"}");
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	ctx = fake_ctx(0, lp->plugin_data);
	CU_ASSERT_EQUAL(a->execute(&ctx, in, &res), 0);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(res.outputs, JSON_C_TO_STRING_PLAIN),
			       "{\"Echo\":\"hi\",\"Calls\":1}");
	json_object_put(res.outputs);
	json_object_put(res.undo);
	json_object_put(in);

	/* Loaded once: the same plugin again, and init ran once. */
	again = irx_plugins_load(p, "good", &err);
	CU_ASSERT_PTR_EQUAL(again, lp);
	again = irx_plugins_load_path(p, path, &err);
	CU_ASSERT_PTR_EQUAL(again, lp);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	counts = slurp(log);
	CU_ASSERT_STRING_EQUAL(counts, "init\n");
	free(counts);
	CU_ASSERT_TRUE(mapped(path));

	irx_plugins_free(p);
	counts = slurp(log);
	CU_ASSERT_STRING_EQUAL(counts, "init\nfini\n");
	free(counts);
	CU_ASSERT_FALSE(mapped(path));
	unsetenv("IRX_TEST_GOOD_LOG");
	free(log);
	free(path);
	free(dir);
}

static void test_lazy(void)
{
	char *dir = tmpdir();
	char *good = join(dir, "good.so"), *major = join(dir, "bad_major.so");
	char *demo = join(dir, "demo.so");
	const char *dirs[] = {dir};
	struct irx_plugins *p = NULL;
	struct irx_error err = {0};

	put_plugin(dir, "good", NULL, 0755);
	put_plugin(dir, "bad_major", NULL, 0755);
	put_plugin(dir, "demo", NULL, 0755);
	p = irx_plugins_new(dirs, 1, &fake_host);
	/* Creating the set opens nothing. */
	CU_ASSERT_FALSE(mapped(good));
	CU_ASSERT_FALSE(mapped(major));
	CU_ASSERT_PTR_NOT_NULL(irx_plugins_load(p, "demo", &err));
	/* Only what was asked for is mapped; the broken one is never even opened. */
	CU_ASSERT_TRUE(mapped(demo));
	CU_ASSERT_FALSE(mapped(good));
	CU_ASSERT_FALSE(mapped(major));
	irx_plugins_free(p);
	CU_ASSERT_FALSE(mapped(demo));
	free(good);
	free(major);
	free(demo);
	free(dir);
}

static void test_null_host(void)
{
	char *dir = tmpdir();
	const char *dirs[] = {dir};
	struct irx_plugins *p = NULL;
	struct irx_error err = {0};

	put_plugin(dir, "good", NULL, 0755);
	/* good's init refuses a host without ABI 1: the loader lends a stand-in table. */
	p = irx_plugins_new(dirs, 1, NULL);
	CU_ASSERT_PTR_NOT_NULL(irx_plugins_load(p, "good", &err));
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	irx_plugins_free(p);
	free(dir);
}

/* --- not found and bad names ----------------------------------------------------- */

static void test_not_found(void)
{
	char *d1 = tmpdir(), *d2 = tmpdir();
	const char *dirs[] = {d1, d2, "/nonexistent/irx"};
	struct irx_plugins *p = irx_plugins_new(dirs, 3, &fake_host);
	struct irx_error err = {0};
	char want[1024];

	CU_ASSERT_PTR_NULL(irx_plugins_load(p, "nope", &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	snprintf(want, sizeof(want), "plugin 'nope' not found (searched: %s, %s, /nonexistent/irx)",
		 d1, d2);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	irx_plugins_free(p);

	p = irx_plugins_new(NULL, 0, &fake_host);
	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(irx_plugins_load(p, "nope", &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(err.message, "plugin 'nope' not found (the plugin path is empty)");
	irx_plugins_free(p);
	free(d1);
	free(d2);
}

static void test_bad_names(void)
{
	static const char *const bad[] = {
	    "../good",
	    "good/x",
	    "",
	    ".hidden",
	    "1abc",
	    "a:b",
	    "sixty-five-characters-long-name-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
	char *dir = tmpdir();
	const char *dirs[] = {dir};
	struct irx_plugins *p = irx_plugins_new(dirs, 1, &fake_host);
	char *path = NULL;

	put_plugin(dir, "good", NULL, 0755);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct irx_error err = {0};
		char want[256];

		snprintf(want, sizeof(want),
			 "invalid plugin name '%s' (a letter, then letters, digits, '_' or '-', "
			 "at most 64)",
			 bad[i]);
		CU_ASSERT_PTR_NULL(irx_plugins_load(p, bad[i], &err));
		CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
		CU_ASSERT_STRING_EQUAL(err.message, want);
	}
	/* A file name that is not <name>.so. */
	{
		struct irx_error err = {0};
		char want[1024];

		path = join(dir, "good.so.1");
		CU_ASSERT_EQUAL(copy_file(irx_test_build("tests/plugins/good.so"), path, 0755), 0);
		CU_ASSERT_PTR_NULL(irx_plugins_load_path(p, path, &err));
		snprintf(want, sizeof(want),
			 "refusing plugin '%s': its file name does not end in '.so'", path);
		CU_ASSERT_STRING_EQUAL(err.message, want);
		free(path);

		irx_error_clear(&err);
		path = join(dir, "my.plugin.so");
		CU_ASSERT_EQUAL(copy_file(irx_test_build("tests/plugins/good.so"), path, 0755), 0);
		CU_ASSERT_PTR_NULL(irx_plugins_load_path(p, path, &err));
		snprintf(want, sizeof(want),
			 "refusing plugin '%s': plugin name 'my.plugin' is invalid (a letter, then "
			 "letters, digits, '_' or '-', at most 64)",
			 path);
		CU_ASSERT_STRING_EQUAL(err.message, want);
		free(path);
	}
	irx_plugins_free(p);
	free(dir);
}

/* --- every deliberately broken plugin -------------------------------------------- */

static void test_broken_plugins(void)
{
	static const struct {
		const char *name, *why;
	} cases[] = {
	    {"bad_noentry",
	     "it has no entry symbol 'irx_plugin_entry' (define it with IRX_PLUGIN_DEFINE)"},
	    {"bad_null", "its entry 'irx_plugin_entry' returned NULL"},
	    {"bad_major", "built for plugin ABI 2.0, irx speaks 1.1"},
	    {"bad_minor", "built for plugin ABI 1.7, irx speaks 1.1 (it needs a newer irx)"},
	    {"bad_size",
	     "descriptor size 16 is smaller than the plugin ABI 1.0 descriptor (64 bytes)"},
	    {"bad_name", "it declares the name 'other' but the file is named 'bad_name.so'"},
	    {"bad_undef", "dlopen failed: undefined symbol: irx_test_no_such_function"},
	    {"bad_noversion", "plugin 'bad_noversion' has no version"},
	    {"bad_noactions", "it declares no actions"},
	    {"bad_noexec", "action 'act' has no execute function"},
	    {"bad_paramtype", "action 'act': parameter 'Target' has invalid type 42"},
	    {"bad_dupaction", "it declares action 'act' twice"},
	    {"bad_initfail", "its init failed (returned -3)"},
	};
	char *dir = tmpdir();
	const char *dirs[] = {dir};
	struct irx_plugins *p = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		put_plugin(dir, cases[i].name, NULL, 0755);
	p = irx_plugins_new(dirs, 1, &fake_host);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = join(dir, cases[i].name);
		char want[1024];

		snprintf(want, sizeof(want), "refusing plugin '%s.so': %s", path, cases[i].why);
		for (int round = 0; round < 2; round++) {
			/* The second time the remembered refusal comes back, word for word. */
			struct irx_error err = {0};

			CU_ASSERT_PTR_NULL(irx_plugins_load(p, cases[i].name, &err));
			CU_ASSERT_EQUAL(err.code, IRX_ERR_PLUGIN);
			if (strcmp(err.message, want) != 0)
				fprintf(stderr, "\n  expected: %s\n  got:      %s\n", want,
					err.message);
			CU_ASSERT_STRING_EQUAL(err.message, want);
		}
		/* A refused plugin does not stay mapped. */
		free(path);
		path = join(dir, cases[i].name);
		{
			char *so = malloc(strlen(path) + 4);

			sprintf(so, "%s.so", path);
			CU_ASSERT_FALSE(mapped(so));
			free(so);
		}
		free(path);
	}
	irx_plugins_free(p);
	free(dir);
}

static void test_not_elf(void)
{
	char *dir = tmpdir();
	char *path = join(dir, "junk.so");
	char want[1024];

	CU_ASSERT_EQUAL(irx_test_write(path, "this is a text file, not a shared object; "
					     "it is long enough to have an ELF header's worth "
					     "of bytes in it\n"),
			0);
	chmod(path, 0644);
	snprintf(want, sizeof(want), "refusing plugin '%s': dlopen failed: invalid ELF header",
		 path);
	expect_refused_in(dir, "junk", want);
	free(path);
	free(dir);
}

/* --- file and directory safety ------------------------------------------------- */

static void test_writable_file(void)
{
	static const struct {
		mode_t mode;
		const char *why;
	} cases[] = {
	    {0775, "file is group-writable (mode 0775)"},
	    {0757, "file is world-writable (mode 0757)"},
	    {0777, "file is group- and world-writable (mode 0777)"},
	    {04766, "file is group- and world-writable (mode 4766)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = tmpdir();
		char *path = join(dir, "good.so");
		char want[1024];

		put_plugin(dir, "good", NULL, 0755);
		CU_ASSERT_EQUAL(chmod(path, cases[i].mode), 0);
		snprintf(want, sizeof(want), "refusing plugin '%s': %s", path, cases[i].why);
		expect_refused_in(dir, "good", want);
		free(path);
		free(dir);
	}
	/* Read-only and owner-writable modes are fine. */
	{
		char *dir = tmpdir();
		const char *dirs[] = {dir};
		struct irx_plugins *p = NULL;
		struct irx_error err = {0};

		put_plugin(dir, "good", NULL, 0500);
		p = irx_plugins_new(dirs, 1, &fake_host);
		CU_ASSERT_PTR_NOT_NULL(irx_plugins_load(p, "good", &err));
		irx_plugins_free(p);
		free(dir);
	}
}

static void test_writable_dir(void)
{
	static const struct {
		mode_t mode;
		const char *state;
	} cases[] = {
	    {0770, "group-writable (mode 0770)"},
	    {0703, "world-writable (mode 0703)"},
	    {01777, "group- and world-writable (mode 1777)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = tmpdir();
		char *path = join(dir, "good.so");
		char *rdir = real(dir);
		char want[1024];

		put_plugin(dir, "good", NULL, 0755);
		CU_ASSERT_EQUAL(chmod(dir, cases[i].mode), 0);
		snprintf(want, sizeof(want), "refusing plugin '%s': directory '%s' is %s", path,
			 rdir, cases[i].state);
		expect_refused_in(dir, "good", want);
		chmod(dir, 0700);
		free(rdir);
		free(path);
		free(dir);
	}
}

static void test_owner(void)
{
	char *dir = NULL, *path = NULL, *rdir = NULL;
	char want[1024];

	if (geteuid() != 0) {
		/* Only root can give a file away; the mode tests cover the rest. */
		fprintf(stderr, "(owner checks need root: skipped) ");
		return;
	}
	dir = tmpdir();
	path = join(dir, "good.so");
	put_plugin(dir, "good", NULL, 0755);
	CU_ASSERT_EQUAL(chown(path, 65534, 65534), 0);
	snprintf(want, sizeof(want),
		 "refusing plugin '%s': file is owned by uid 65534, not root or the current user "
		 "(uid 0)",
		 path);
	expect_refused_in(dir, "good", want);
	CU_ASSERT_EQUAL(chown(path, 0, 0), 0);
	CU_ASSERT_EQUAL(chown(dir, 65534, 65534), 0);
	rdir = real(dir);
	snprintf(want, sizeof(want),
		 "refusing plugin '%s': directory '%s' is owned by uid 65534, not root or the "
		 "current user (uid 0)",
		 path, rdir);
	expect_refused_in(dir, "good", want);
	free(rdir);
	free(path);
	free(dir);
}

static void test_not_regular(void)
{
	char *dir = tmpdir();
	char *path = join(dir, "good.so");
	char want[1024];

	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
	snprintf(want, sizeof(want), "refusing plugin '%s': not a regular file (directory)", path);
	expect_refused_in(dir, "good", want);
	CU_ASSERT_EQUAL(rmdir(path), 0);
	/* A fifo is refused without opening it (which would block). */
	CU_ASSERT_EQUAL(mkfifo(path, 0644), 0);
	snprintf(want, sizeof(want), "refusing plugin '%s': not a regular file (fifo)", path);
	expect_refused_in(dir, "good", want);
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(symlink("/dev/null", path), 0);
	snprintf(want, sizeof(want), "refusing plugin '%s': not a regular file (character device)",
		 path);
	expect_refused_in(dir, "good", want);
	free(path);
	free(dir);
}

static void test_symlinks(void)
{
	char *links = tmpdir(), *target = tmpdir();
	char *link = join(links, "good.so"), *tfile = join(target, "good-1.2.3.so");
	char *rtarget = real(target), *rlinks = real(links);
	const char *dirs[] = {links};
	struct irx_plugins *p = NULL;
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = NULL;
	char want[1024];

	/* A link to a safe file in a safe directory is followed; the path is the link. */
	put_plugin(target, "good", "good-1.2.3", 0755);
	CU_ASSERT_EQUAL(symlink(tfile, link), 0);
	p = irx_plugins_new(dirs, 1, &fake_host);
	lp = irx_plugins_load(p, "good", &err);
	CU_ASSERT_PTR_NOT_NULL(lp);
	if (lp)
		CU_ASSERT_STRING_EQUAL(lp->path, link);
	CU_ASSERT_TRUE(mapped(tfile));
	irx_plugins_free(p);

	/* The target is what is checked: its mode ... */
	CU_ASSERT_EQUAL(chmod(tfile, 0775), 0);
	snprintf(want, sizeof(want), "refusing plugin '%s': file is group-writable (mode 0775)",
		 link);
	expect_refused_in(links, "good", want);
	CU_ASSERT_EQUAL(chmod(tfile, 0755), 0);
	/* ... the directory it really lives in ... */
	CU_ASSERT_EQUAL(chmod(target, 0777), 0);
	snprintf(want, sizeof(want),
		 "refusing plugin '%s': directory '%s' is group- and world-writable (mode 0777)",
		 link, rtarget);
	expect_refused_in(links, "good", want);
	CU_ASSERT_EQUAL(chmod(target, 0700), 0);
	/* ... and the directory holding the link, where the link could be repointed. */
	CU_ASSERT_EQUAL(chmod(links, 0730), 0);
	snprintf(want, sizeof(want),
		 "refusing plugin '%s': directory '%s' is group-writable (mode 0730)", link,
		 rlinks);
	expect_refused_in(links, "good", want);
	CU_ASSERT_EQUAL(chmod(links, 0700), 0);
	/* A dangling link. */
	CU_ASSERT_EQUAL(unlink(tfile), 0);
	snprintf(want, sizeof(want),
		 "refusing plugin '%s': cannot open it: No such file or directory", link);
	expect_refused_in(links, "good", want);

	free(rtarget);
	free(rlinks);
	free(link);
	free(tfile);
	free(links);
	free(target);
}

/* --- search order, shadowing, duplicates ---------------------------------------- */

static void test_search_order(void)
{
	char *d1 = tmpdir(), *d2 = tmpdir();
	char *p1 = join(d1, "good.so"), *p2 = join(d2, "good.so");
	const char *both[] = {d1, d2};
	const char *second_first[] = {d2, d1};
	struct irx_plugins *p = NULL;
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = NULL;
	char want[2048];

	put_plugin(d1, "good", NULL, 0755);
	put_plugin(d2, "good", NULL, 0755);

	p = irx_plugins_new(both, 2, &fake_host);
	lp = irx_plugins_load(p, "good", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_STRING_EQUAL(lp->path, p1);
	CU_ASSERT_FALSE(mapped(p2));
	/* A second file claiming the same name is a duplicate. */
	CU_ASSERT_PTR_NULL(irx_plugins_load_path(p, p2, &err));
	snprintf(want, sizeof(want),
		 "refusing plugin '%s': plugin 'good' is already loaded from '%s'", p2, p1);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_PLUGIN);
	irx_plugins_free(p);

	p = irx_plugins_new(second_first, 2, &fake_host);
	irx_error_clear(&err);
	lp = irx_plugins_load(p, "good", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_STRING_EQUAL(lp->path, p2);
	irx_plugins_free(p);

	/* A refused file early on the path is not skipped in favour of a later one. */
	CU_ASSERT_EQUAL(chmod(p1, 0666), 0);
	p = irx_plugins_new(both, 2, &fake_host);
	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(irx_plugins_load(p, "good", &err));
	snprintf(want, sizeof(want),
		 "refusing plugin '%s': file is group- and world-writable (mode 0666)", p1);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	irx_plugins_free(p);

	free(p1);
	free(p2);
	free(d1);
	free(d2);
}

/* --- scanning ------------------------------------------------------------------- */

struct seen {
	char text[4096];
};

static void collect(void *ud, const char *path, const struct irx_loaded_plugin *plugin,
		    const struct irx_error *err)
{
	struct seen *s = ud;
	size_t n = strlen(s->text);

	if (plugin)
		snprintf(s->text + n, sizeof(s->text) - n, "%s: loaded %s %s\n", path,
			 plugin->desc.name, plugin->desc.version);
	else
		snprintf(s->text + n, sizeof(s->text) - n, "%s: %s\n", path,
			 err ? err->message : "(no error)");
}

static void test_scan(void)
{
	char *d1 = tmpdir(), *d2 = tmpdir();
	char *sub = join(d1, "subdir.so"), *txt = join(d1, "notes.txt");
	const char *dirs[] = {d1, "/nonexistent/irx", d2, d1};
	struct irx_plugins *p = NULL;
	struct seen s = {{0}};
	char want[4096];

	put_plugin(d1, "good", NULL, 0755);
	put_plugin(d1, "bad_major", NULL, 0755);
	put_plugin(d2, "good", NULL, 0755);
	put_plugin(d2, "demo", NULL, 0755);
	CU_ASSERT_EQUAL(mkdir(sub, 0755), 0);
	CU_ASSERT_EQUAL(irx_test_write(txt, "not a plugin\n"), 0);

	p = irx_plugins_new(dirs, 4, &fake_host);
	irx_plugins_scan(p, collect, &s);
	snprintf(want, sizeof(want),
		 "%s/bad_major.so: refusing plugin '%s/bad_major.so': built for plugin ABI 2.0, "
		 "irx speaks 1.1\n"
		 "%s/good.so: loaded good 1.2.3\n"
		 "%s/subdir.so: refusing plugin '%s/subdir.so': not a regular file (directory)\n"
		 "%s/demo.so: loaded demo 0.1.0\n"
		 "%s/good.so: refusing plugin '%s/good.so': plugin 'good' is shadowed by "
		 "'%s/good.so', earlier on the path\n",
		 d1, d1, d1, d1, d1, d2, d2, d2, d1);
	if (strcmp(s.text, want) != 0)
		fprintf(stderr, "\n  expected:\n%s  got:\n%s", want, s.text);
	CU_ASSERT_STRING_EQUAL(s.text, want);
	/* Scanning again gives the same answer (loaded once, refusals remembered). */
	s.text[0] = '\0';
	irx_plugins_scan(p, collect, &s);
	CU_ASSERT_STRING_EQUAL(s.text, want);
	irx_plugins_free(p);

	/* An unreadable directory is reported (root reads anything: use a file as a dir). */
	{
		const char *bad[] = {txt};

		p = irx_plugins_new(bad, 1, &fake_host);
		s.text[0] = '\0';
		irx_plugins_scan(p, collect, &s);
		snprintf(want, sizeof(want),
			 "%s: cannot read plugin directory '%s': Not a directory\n", txt, txt);
		CU_ASSERT_STRING_EQUAL(s.text, want);
		irx_plugins_free(p);
	}
	free(sub);
	free(txt);
	free(d1);
	free(d2);
}

/* --- static plugins --------------------------------------------------------------- */

static void test_add_static(void)
{
	char *dir = tmpdir();
	char *path = join(dir, "demo.so");
	const char *dirs[] = {dir};
	struct irx_plugins *p = NULL;
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = NULL;
	char want[1024];

	put_plugin(dir, "demo", NULL, 0755);
	p = irx_plugins_new(dirs, 1, &fake_host);
	lp = irx_plugins_add_static(p, irx_plugin_entry_demo, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_PTR_NULL(lp->path);
	CU_ASSERT_PTR_NULL(lp->handle);
	CU_ASSERT_STRING_EQUAL(lp->desc.name, "demo");
	/* By name, the linked-in plugin wins; the file on the path is never opened. */
	CU_ASSERT_PTR_EQUAL(irx_plugins_load(p, "demo", &err), lp);
	CU_ASSERT_FALSE(mapped(path));
	CU_ASSERT_PTR_NULL(irx_plugins_load_path(p, path, &err));
	snprintf(want, sizeof(want),
		 "refusing plugin '%s': plugin 'demo' is already loaded (linked into irx)", path);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(irx_plugins_add_static(p, irx_plugin_entry_demo, &err));
	CU_ASSERT_STRING_EQUAL(err.message,
			       "refusing linked-in plugin 'demo': plugin 'demo' is already loaded "
			       "(linked into irx)");
	irx_plugins_free(p);

	/* A file loaded first makes a linked-in plugin of that name a duplicate. */
	p = irx_plugins_new(dirs, 1, &fake_host);
	irx_error_clear(&err);
	CU_ASSERT_PTR_NOT_NULL(irx_plugins_load(p, "demo", &err));
	CU_ASSERT_PTR_NULL(irx_plugins_add_static(p, irx_plugin_entry_demo, &err));
	snprintf(want, sizeof(want),
		 "refusing linked-in plugin 'demo': plugin 'demo' is already loaded from '%s'",
		 path);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	irx_plugins_free(p);
	free(path);
	free(dir);
}

/* Descriptors broken in every way the loader checks, handed in as linked-in plugins. */
static int nop(const struct irx_context *ctx, struct json_object *in, struct irx_result *res)
{
	return 0;
}

static const struct irx_action one_action[] = {{"act", "x", 0, NULL, nop, NULL}, {0}};
static const struct irx_action unnamed_action[] = {
    {"act", "x", 0, NULL, nop, NULL}, {NULL, "no name", 0, NULL, nop, NULL}, {0}};
static const struct irx_action colon_action[] = {{"a:b", "x", 0, NULL, nop, NULL}, {0}};
static const struct irx_action open_action[] = {
    {"act", "x", IRX_ACTION_OPEN_INPUTS, NULL, nop, NULL}, {0}};
static const struct irx_action flag_action[] = {{"act", "x", 0x80, NULL, nop, NULL}, {0}};
static const struct irx_param unnamed_param[] = {
    {"A", IRX_PARAM_STRING, 0, NULL, "a"}, {NULL, IRX_PARAM_STRING, 0, NULL, "b"}, {0}};
static const struct irx_action unnamed_param_action[] = {{"act", "x", 0, unnamed_param, nop, NULL},
							 {0}};
static const struct irx_param any_param[] = {{"A", IRX_PARAM_ANY, 0, NULL, "a"}, {0}};
static const struct irx_action any_param_action[] = {{"act", "x", 0, any_param, nop, NULL}, {0}};
static const struct irx_param flag_param[] = {{"A", IRX_PARAM_STRING, 0x10, NULL, "a"}, {0}};
static const struct irx_action flag_param_action[] = {{"act", "x", 0, flag_param, nop, NULL}, {0}};
static const struct irx_param dup_param[] = {
    {"A", IRX_PARAM_STRING, 0, NULL, "a"}, {"A", IRX_PARAM_INTEGER, 0, NULL, "a"}, {0}};
static const struct irx_action dup_param_action[] = {{"act", "x", 0, dup_param, nop, NULL}, {0}};
static const struct irx_param int_param[] = {{"N", IRX_PARAM_INTEGER, 0, "12x", "n"}, {0}};
static const struct irx_action int_param_action[] = {{"act", "x", 0, int_param, nop, NULL}, {0}};
static const struct irx_param bool_param[] = {{"B", IRX_PARAM_BOOLEAN, 0, "yes", "b"}, {0}};
static const struct irx_action bool_param_action[] = {{"act", "x", 0, bool_param, nop, NULL}, {0}};
static const struct irx_param map_param[] = {{"M", IRX_PARAM_STRING_MAP, 0, "[1]", "m"}, {0}};
static const struct irx_action map_param_action[] = {{"act", "x", 0, map_param, nop, NULL}, {0}};
static const struct irx_param ok_param[] = {
    {"N", IRX_PARAM_INTEGER, IRX_PARAM_REQUIRED, "-42", "n"},
    {"B", IRX_PARAM_BOOLEAN, 0, "false", "b"},
    {"L", IRX_PARAM_MAP_LIST, IRX_PARAM_SECRET, "[{\"a\": 1}]", "l"},
    {"M", IRX_PARAM_STRING_MAP, 0, "{}", NULL},
    {"S", IRX_PARAM_STRING_LIST, 0, "a,b", NULL},
    {0}};
static const struct irx_action ok_action[] = {
    {"act", NULL, IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT, ok_param, nop, NULL}, {0}};

#define DESC(name, version, actions)                                                               \
	{                                                                                          \
		IRX_PLUGIN_ABI_MAJOR, IRX_PLUGIN_ABI_MINOR, sizeof(struct irx_plugin), (name),     \
		    (version), "MIT", (actions), NULL, NULL                                        \
	}

static const struct irx_plugin static_cases[] = {
    DESC(NULL, "1", one_action),
    DESC("", "1", one_action),
    DESC("a:b", "1", one_action),
    DESC("p", "", one_action),
    DESC("p", "1", NULL),
    DESC("p", "1", unnamed_action),
    DESC("p", "1", colon_action),
    DESC("p", "1", open_action),
    DESC("p", "1", flag_action),
    DESC("p", "1", unnamed_param_action),
    DESC("p", "1", any_param_action),
    DESC("p", "1", flag_param_action),
    DESC("p", "1", dup_param_action),
    DESC("p", "1", int_param_action),
    DESC("p", "1", bool_param_action),
    DESC("p", "1", map_param_action),
    {3, 1, sizeof(struct irx_plugin), "p", "1", "MIT", one_action, NULL, NULL},
    {1, 0, 8, "p", "1", "MIT", one_action, NULL, NULL},
};

static const char *const static_reasons[] = {
    "refusing linked-in plugin '(unnamed)': its descriptor has no name",
    "refusing linked-in plugin '(unnamed)': its descriptor has no name",
    "refusing linked-in plugin '(unnamed)': plugin name 'a:b' is invalid (a letter, then "
    "letters, digits, '_' or '-', at most 64)",
    "refusing linked-in plugin 'p': plugin 'p' has no version",
    "refusing linked-in plugin 'p': it declares no actions",
    "refusing linked-in plugin 'p': action #2 has no name",
    "refusing linked-in plugin 'p': action name 'a:b' is invalid (a letter, then letters, "
    "digits, '_' or '-', at most 64)",
    "refusing linked-in plugin 'p': action 'act' sets IRX_ACTION_OPEN_INPUTS, which only "
    "built-in actions may use",
    "refusing linked-in plugin 'p': action 'act' has unknown flags 0x80",
    "refusing linked-in plugin 'p': action 'act': parameter #2 has no name",
    "refusing linked-in plugin 'p': action 'act': parameter 'A' has type Any, which only "
    "built-in actions may use",
    "refusing linked-in plugin 'p': action 'act': parameter 'A' has unknown flags 0x10",
    "refusing linked-in plugin 'p': action 'act' declares parameter 'A' twice",
    "refusing linked-in plugin 'p': action 'act': parameter 'N' has a default \"12x\" that is "
    "not a Integer",
    "refusing linked-in plugin 'p': action 'act': parameter 'B' has a default \"yes\" that is "
    "not a Boolean",
    "refusing linked-in plugin 'p': action 'act': parameter 'M' has a default \"[1]\" that is "
    "not a StringMap",
    "refusing linked-in plugin '(unnamed)': built for plugin ABI 3.1, irx speaks 1.1",
    "refusing linked-in plugin '(unnamed)': descriptor size 8 is smaller than the plugin ABI "
    "1.0 descriptor (64 bytes)",
};

static const struct irx_plugin *current_desc;

static const struct irx_plugin *current_entry(void)
{
	return current_desc;
}

static const struct irx_plugin ok_desc = DESC("okplug", "2.0", ok_action);

static int fini_calls;

static int failing_init(const struct irx_host *host, void **data)
{
	return -2;
}

static void counting_fini(void *data)
{
	fini_calls++;
}

static const struct irx_plugin initfail_desc = {IRX_PLUGIN_ABI_MAJOR,
						IRX_PLUGIN_ABI_MINOR,
						sizeof(struct irx_plugin),
						"initfails",
						"1",
						NULL,
						one_action,
						failing_init,
						counting_fini};

static void test_static_descriptors(void)
{
	struct irx_plugins *p = irx_plugins_new(NULL, 0, &fake_host);
	const struct irx_loaded_plugin *lp = NULL;
	struct irx_error err = {0};

	CU_ASSERT_EQUAL(sizeof(static_cases) / sizeof(static_cases[0]),
			sizeof(static_reasons) / sizeof(static_reasons[0]));
	for (size_t i = 0; i < sizeof(static_cases) / sizeof(static_cases[0]); i++) {
		irx_error_clear(&err);
		current_desc = &static_cases[i];
		CU_ASSERT_PTR_NULL(irx_plugins_add_static(p, current_entry, &err));
		CU_ASSERT_EQUAL(err.code, IRX_ERR_PLUGIN);
		if (strcmp(err.message, static_reasons[i]) != 0)
			fprintf(stderr, "\n  case %zu expected: %s\n  got: %s\n", i,
				static_reasons[i], err.message);
		CU_ASSERT_STRING_EQUAL(err.message, static_reasons[i]);
	}
	irx_error_clear(&err);
	current_desc = NULL;
	CU_ASSERT_PTR_NULL(irx_plugins_add_static(p, current_entry, &err));
	CU_ASSERT_STRING_EQUAL(err.message, "refusing linked-in plugin: its entry returned NULL");

	/* init fails: refused, and fini is never called for it. */
	irx_error_clear(&err);
	current_desc = &initfail_desc;
	fini_calls = 0;
	CU_ASSERT_PTR_NULL(irx_plugins_add_static(p, current_entry, &err));
	CU_ASSERT_STRING_EQUAL(
	    err.message, "refusing linked-in plugin 'initfails': its init failed (returned -2)");
	CU_ASSERT_EQUAL(fini_calls, 0);

	/* Every valid default form; no licence is allowed. */
	irx_error_clear(&err);
	current_desc = &ok_desc;
	lp = irx_plugins_add_static(p, current_entry, &err);
	CU_ASSERT_PTR_NOT_NULL(lp);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	irx_plugins_free(p);
}

/* A plugin descriptor larger than the host's (same minor) is copied up to the host's size. */
static struct {
	struct irx_plugin desc;
	uint64_t extra;
} big_desc = {DESC("bigger", "1", one_action), 0xdeadbeef};

static const struct irx_plugin *big_entry(void)
{
	return &big_desc.desc;
}

static void test_size_honoured(void)
{
	struct irx_plugins *p = irx_plugins_new(NULL, 0, &fake_host);
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = NULL;

	big_desc.desc.size = sizeof(big_desc);
	lp = irx_plugins_add_static(p, big_entry, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_STRING_EQUAL(lp->desc.name, "bigger");
	CU_ASSERT_EQUAL(lp->desc.size, sizeof(big_desc));
	irx_plugins_free(p);
}

/*
 * glibc finds loaded objects by name first. Leave an object alive under the
 * name "/proc/self/fd/N" (RTLD_NODELETE) with N free again: a loader that
 * dlopened "/proc/self/fd/N" blindly would get the stale bad_major instead of
 * the plugin it checked.
 */
static void test_stale_fd_name(void)
{
	char *stale_dir = tmpdir(), *dir = tmpdir();
	char *stale = join(stale_dir, "bad_major.so");
	const char *dirs[] = {dir};
	char name[64];
	struct irx_plugins *p = NULL;
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = NULL;
	void *h = NULL;
	int fd = -1;

	put_plugin(stale_dir, "bad_major", NULL, 0755);
	put_plugin(dir, "good", NULL, 0755);
	fd = open(stale, O_RDONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	h = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	close(fd);
	dlclose(h);
	/* The loader's open of good.so gets the lowest free number: the stale one. */
	p = irx_plugins_new(dirs, 1, &fake_host);
	lp = irx_plugins_load(p, "good", &err);
	if (!lp)
		fprintf(stderr, "\n  %s\n", err.message);
	CU_ASSERT_PTR_NOT_NULL(lp);
	if (lp)
		CU_ASSERT_STRING_EQUAL(lp->desc.name, "good");
	irx_plugins_free(p);
	free(stale);
	free(stale_dir);
	free(dir);
}

/*
 * glibc also attaches every later name to an object it shared by inode. Load
 * one file twice through a hard link (two sets, so the second load shares the
 * first object and adds its /proc name to it), drop the second set, then load
 * a different plugin that gets the freed descriptor number: it must be itself.
 */
static void test_shared_inode_name(void)
{
	char *a = tmpdir(), *b = tmpdir(), *c = tmpdir();
	char *pa = join(a, "good.so"), *pb = join(b, "good.so");
	const char *da[] = {a}, *db[] = {b}, *dc[] = {c};
	struct irx_plugins *p1 = NULL, *p2 = NULL, *p3 = NULL;
	struct irx_error err = {0};
	char want[1024];

	put_plugin(a, "good", NULL, 0755);
	put_plugin(c, "bad_name", NULL, 0755);
	CU_ASSERT_EQUAL_FATAL(link(pa, pb), 0);
	p1 = irx_plugins_new(da, 1, &fake_host);
	p2 = irx_plugins_new(db, 1, &fake_host);
	p3 = irx_plugins_new(dc, 1, &fake_host);
	CU_ASSERT_PTR_NOT_NULL(irx_plugins_load(p1, "good", &err));
	CU_ASSERT_PTR_NOT_NULL(irx_plugins_load(p2, "good", &err));
	irx_plugins_free(p2);
	CU_ASSERT_PTR_NULL(irx_plugins_load(p3, "bad_name", &err));
	snprintf(want, sizeof(want),
		 "refusing plugin '%s/bad_name.so': it declares the name 'other' but the file is "
		 "named 'bad_name.so'",
		 c);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	irx_plugins_free(p3);
	irx_plugins_free(p1);
	free(pa);
	free(pb);
	free(a);
	free(b);
	free(c);
}

/* --- the demo plugin, linked statically and run with a fake host ---------------- */

static const struct irx_action *demo_action(const char *name)
{
	const struct irx_plugin *d = irx_plugin_entry_demo();

	for (const struct irx_action *a = d->actions; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

struct run {
	int rc;
	struct json_object *outputs, *undo;
	char message[1024];
};

static struct run run_action(irx_execute_fn *fn, int dry_run, const char *json)
{
	struct run r = {0};
	struct irx_result res = {0};
	struct irx_context ctx = fake_ctx(dry_run, NULL);
	struct json_object *in = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	fake_reset();
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	r.rc = fn(&ctx, in, &res);
	snprintf(r.message, sizeof(r.message), "%s", res.message ? res.message : "");
	r.outputs = res.outputs;
	r.undo = res.undo;
	json_object_put(in);
	return r;
}

static void run_release(struct run *r)
{
	json_object_put(r->outputs);
	json_object_put(r->undo);
}

static const char *plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The state file, re-serialised plainly. Static buffer. */
static const char *state_of(const char *path)
{
	static char buf[8192];
	struct json_object *o = json_object_from_file(path);

	snprintf(buf, sizeof(buf), "%s", o ? plain(o) : "(none)");
	json_object_put(o);
	return buf;
}

static void test_demo_static(void)
{
	const struct irx_plugin *d = irx_plugin_entry_demo();
	const struct irx_action *q = demo_action("quarantine");
	char *dir = tmpdir();
	char *state = join(dir, "state.json");
	char in[2048], want[2048];
	struct run r, r2;
	struct irx_result res = {0};
	struct irx_context ctx = fake_ctx(0, NULL);
	const char *arn = "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc";

	CU_ASSERT_STRING_EQUAL(d->name, "demo");
	CU_ASSERT_EQUAL(d->abi_major, IRX_PLUGIN_ABI_MAJOR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->flags, IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT);
	CU_ASSERT_PTR_NOT_NULL(q->rollback);

	/* Dry run: the exact change is described and nothing is written. */
	snprintf(in, sizeof(in), "{\"TargetArn\": \"%s\", \"StateFile\": \"%s\"}", arn, state);
	r = run_action(q->execute, 1, in);
	CU_ASSERT_EQUAL(r.rc, 0);
	snprintf(want, sizeof(want),
		 "would quarantine '%s' in '%s': set \"quarantined\" to true, reason 'contained "
		 "by irx'",
		 arn, state);
	CU_ASSERT_STRING_EQUAL(r.message, want);
	CU_ASSERT_STRING_EQUAL(last_log, ""); /* the message carries it; no duplicate log line */
	CU_ASSERT_EQUAL(access(state, F_OK), -1);
	CU_ASSERT_STRING_EQUAL(plain(r.undo), "{}");
	run_release(&r);

	/* For real: the file records it, the undo record says how to reverse it. */
	snprintf(in, sizeof(in),
		 "{\"TargetArn\": \"%s\", \"StateFile\": \"%s\", \"Reason\": \"GuardDuty "
		 "finding\"}",
		 arn, state);
	r = run_action(q->execute, 0, in);
	CU_ASSERT_EQUAL(r.rc, 0);
	snprintf(want, sizeof(want), "quarantined '%s'", arn);
	CU_ASSERT_STRING_EQUAL(r.message, want);
	CU_ASSERT_STRING_EQUAL(
	    plain(r.outputs),
	    "{\"PreviouslyQuarantined\":false,\"Changed\":true,\"Summary\":\"quarantined "
	    "'arn:aws:ec2:us-east-1:111122223333:instance/i-0abc'\"}");
	snprintf(want, sizeof(want),
		 "{\"StateFile\":\"%s\",\"TargetArn\":\"%s\",\"EntityExisted\":false}", state, arn);
	CU_ASSERT_STRING_EQUAL(plain(r.undo), want);
	snprintf(want, sizeof(want),
		 "{\"entities\":{\"%s\":{\"quarantined\":true,\"quarantineReason\":\"GuardDuty "
		 "finding\",\"quarantinedBy\":\"exec-0001\"}}}",
		 arn);
	CU_ASSERT_STRING_EQUAL(state_of(state), want);
	snprintf(want, sizeof(want), "wrote state file '%s'", state);
	CU_ASSERT_STRING_EQUAL(last_log, want);

	/* Idempotent: again is a no-op with no undo record. */
	r2 = run_action(q->execute, 0, in);
	CU_ASSERT_EQUAL(r2.rc, 0);
	CU_ASSERT_STRING_EQUAL(r2.message, "already quarantined");
	CU_ASSERT_STRING_EQUAL(plain(r2.undo), "{}");
	run_release(&r2);

	/* describeEntity sees it. */
	r2 = run_action(demo_action("describeEntity")->execute, 0, in);
	CU_ASSERT_EQUAL(r2.rc, 0);
	snprintf(want, sizeof(want),
		 "{\"TargetArn\":\"%s\",\"Exists\":true,\"Quarantined\":true,\"Tags\":{}}", arn);
	CU_ASSERT_STRING_EQUAL(plain(r2.outputs), want);
	run_release(&r2);

	/* Rollback, dry and real, from the undo record alone. */
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	ctx.dry_run = 1;
	CU_ASSERT_EQUAL(q->rollback(&ctx, r.undo, &res), 0);
	snprintf(want, sizeof(want), "would release '%s' from quarantine in '%s'", arn, state);
	CU_ASSERT_STRING_EQUAL(res.message, want);
	CU_ASSERT_STRING_NOT_EQUAL(state_of(state), "{\"entities\":{}}");
	ctx.dry_run = 0;
	json_object_put(res.outputs);
	res.outputs = json_object_new_object();
	CU_ASSERT_EQUAL(q->rollback(&ctx, r.undo, &res), 0);
	CU_ASSERT_STRING_EQUAL(state_of(state), "{\"entities\":{}}");
	json_object_put(res.outputs);
	json_object_put(res.undo);
	run_release(&r);

	/* tagEntity and its rollback restore an earlier value. */
	snprintf(in, sizeof(in),
		 "{\"TargetArn\": \"%s\", \"StateFile\": \"%s\", \"Key\": \"irx:case\", \"Value\": "
		 "\"C-1\"}",
		 arn, state);
	r = run_action(demo_action("tagEntity")->execute, 0, in);
	CU_ASSERT_EQUAL(r.rc, 0);
	snprintf(in, sizeof(in),
		 "{\"TargetArn\": \"%s\", \"StateFile\": \"%s\", \"Key\": \"irx:case\", \"Value\": "
		 "\"C-2\"}",
		 arn, state);
	r2 = run_action(demo_action("tagEntity")->execute, 1, in);
	snprintf(want, sizeof(want),
		 "would set tag 'irx:case' to 'C-2' (was 'C-1') on '%s' in '%s'", arn, state);
	CU_ASSERT_STRING_EQUAL(r2.message, want);
	run_release(&r2);
	r2 = run_action(demo_action("tagEntity")->execute, 0, in);
	CU_ASSERT_EQUAL(r2.rc, 0);
	snprintf(want, sizeof(want),
		 "{\"StateFile\":\"%s\",\"TargetArn\":\"%s\",\"Key\":\"irx:case\","
		 "\"PreviousValue\":\"C-1\"}",
		 state, arn);
	CU_ASSERT_STRING_EQUAL(plain(r2.undo), want);
	snprintf(want, sizeof(want), "{\"entities\":{\"%s\":{\"tags\":{\"irx:case\":\"C-2\"}}}}",
		 arn);
	CU_ASSERT_STRING_EQUAL(state_of(state), want);
	res.outputs = json_object_new_object();
	res.undo = json_object_new_object();
	CU_ASSERT_EQUAL(demo_action("tagEntity")->rollback(&ctx, r2.undo, &res), 0);
	snprintf(want, sizeof(want), "{\"entities\":{\"%s\":{\"tags\":{\"irx:case\":\"C-1\"}}}}",
		 arn);
	CU_ASSERT_STRING_EQUAL(state_of(state), want);
	CU_ASSERT_EQUAL(demo_action("tagEntity")->rollback(&ctx, r.undo, &res), 0);
	CU_ASSERT_STRING_EQUAL(state_of(state), "{\"entities\":{}}");
	json_object_put(res.outputs);
	json_object_put(res.undo);
	run_release(&r);
	run_release(&r2);

	free(state);
	free(dir);
}

static void test_demo_errors(void)
{
	const struct irx_action *q = demo_action("quarantine");
	char *dir = tmpdir();
	char *state = join(dir, "state.json");
	char in[2048], want[2048];
	struct run r;

	r = run_action(q->execute, 0, "{\"TargetArn\": \"i-0abc\", \"StateFile\": \"/x\"}");
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(last_fail, "'i-0abc' is not an ARN");
	run_release(&r);

	CU_ASSERT_EQUAL(irx_test_write(state, "{\"entities\": [1,"), 0);
	snprintf(in, sizeof(in),
		 "{\"TargetArn\": \"arn:aws:iam::111122223333:user/alice\", \"StateFile\": "
		 "\"%s\"}",
		 state);
	r = run_action(q->execute, 0, in);
	CU_ASSERT_EQUAL(r.rc, -1);
	snprintf(want, sizeof(want), "state file '%s' is not valid JSON: unexpected end of data",
		 state);
	CU_ASSERT_STRING_EQUAL(last_fail, want);
	run_release(&r);

	CU_ASSERT_EQUAL(irx_test_write(state, "{\"entities\": []}"), 0);
	r = run_action(q->execute, 0, in);
	CU_ASSERT_EQUAL(r.rc, -1);
	snprintf(want, sizeof(want), "state file '%s' has no \"entities\" object", state);
	CU_ASSERT_STRING_EQUAL(last_fail, want);
	run_release(&r);

	/* An unwritable location fails the step and leaves no undo record behind a lie. */
	snprintf(in, sizeof(in),
		 "{\"TargetArn\": \"arn:aws:iam::111122223333:user/alice\", \"StateFile\": "
		 "\"%s/missing/state.json\"}",
		 dir);
	r = run_action(q->execute, 0, in);
	CU_ASSERT_EQUAL(r.rc, -1);
	snprintf(want, sizeof(want),
		 "cannot write state file '%s/missing/state.json.tmp.%ld': No such file or "
		 "directory",
		 dir, (long)getpid());
	CU_ASSERT_STRING_EQUAL(last_fail, want);
	run_release(&r);
	free(state);
	free(dir);
}

/* The demo .so the build ships passes the loader's checks. */
static void test_demo_so_loads(void)
{
	char *dir = tmpdir();
	const char *dirs[] = {dir};
	struct irx_plugins *p = NULL;
	struct irx_error err = {0};
	const struct irx_loaded_plugin *lp = NULL;

	put_plugin(dir, "demo", NULL, 0755);
	p = irx_plugins_new(dirs, 1, &fake_host);
	lp = irx_plugins_load(p, "demo", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_STRING_EQUAL(lp->desc.version, "0.1.0");
	CU_ASSERT_STRING_EQUAL(lp->desc.actions[2].name, "quarantine");
	/* The .so and the static copy are separate code, same descriptor contents. */
	CU_ASSERT_PTR_NOT_EQUAL(lp->desc.actions, irx_plugin_entry_demo()->actions);
	irx_plugins_free(p);
	free(dir);
}

/* --- irx plugins ------------------------------------------------------------------ */

static int run_irx(const char *const *args, char **out, char **err)
{
	const char *argv[16] = {0};
	static const char *const env[] = {"IRX_PLUGIN_PATH=", NULL};
	size_t n = 0;

	argv[n++] = irx_test_build("irx");
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	return irx_test_run(argv, env, NULL, out, err);
}

static void test_cmd_list(void)
{
	char *dir = tmpdir();
	char want[4096];
	char *out = NULL, *err = NULL;
	const char *args[] = {"plugins", "--plugin-dir", dir, NULL};

	put_plugin(dir, "good", NULL, 0755);
	put_plugin(dir, "bad_major", NULL, 0755);
	CU_ASSERT_EQUAL(run_irx(args, &out, &err), 0);
	snprintf(want, sizeof(want),
		 "good 1.2.3 (plugin ABI 1.1, licence Apache-2.0)\n"
		 "  file: %s/good.so\n"
		 "  good:echo: echo the message back [read-only, idempotent]\n"
		 "    Message (String, required): what to echo\n"
		 "    Token (String, secret): a secret that is never echoed\n"
		 "    Count (Integer, default \"1\"): how many times\n",
		 dir);
	IRX_ASSERT_CONTAINS(out, want);
	CU_ASSERT_EQUAL(strncmp(out, want, strlen(want)), 0);
	snprintf(want, sizeof(want),
		 "irx plugins: refusing plugin '%s/bad_major.so': built for plugin ABI 2.0, irx "
		 "speaks 1.1\n",
		 dir);
	IRX_ASSERT_CONTAINS(err, want);
	free(out);
	free(err);

	free(dir);
}

static void test_cmd_json(void)
{
	char *dir = tmpdir();
	char want[4096];
	char *out = NULL, *err = NULL;
	struct json_object *j = NULL, *pl = NULL, *ref = NULL;
	const char *args[] = {"plugins", "--plugin-dir", dir, "--output", "json", NULL};

	put_plugin(dir, "good", NULL, 0755);
	put_plugin(dir, "bad_name", NULL, 0755);
	CU_ASSERT_EQUAL(run_irx(args, &out, &err), 0);
	j = json_tokener_parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "plugins", &pl));
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "refused", &ref));
	snprintf(
	    want, sizeof(want),
	    "{\"name\":\"good\",\"version\":\"1.2.3\",\"abi\":\"1.1\",\"license\":\"Apache-2.0\","
	    "\"path\":\"%s/good.so\",\"actions\":[{\"name\":\"good:echo\",\"summary\":\"echo "
	    "the message back\",\"mutates\":false,\"idempotent\":true,\"reversible\":false,"
	    "\"parameters\":[{\"name\":\"Message\",\"type\":\"String\",\"required\":true,"
	    "\"secret\":false,\"default\":null,\"help\":\"what to echo\"},{\"name\":\"Token\","
	    "\"type\":\"String\",\"required\":false,\"secret\":true,\"default\":null,\"help\":"
	    "\"a secret that is never echoed\"},{\"name\":\"Count\",\"type\":\"Integer\","
	    "\"required\":false,\"secret\":false,\"default\":\"1\",\"help\":\"how many "
	    "times\"}]}]}",
	    dir);
	CU_ASSERT_STRING_EQUAL(plain(json_object_array_get_idx(pl, 0)), want);
	snprintf(want, sizeof(want),
		 "[{\"path\":\"%s/bad_name.so\",\"reason\":\"refusing plugin '%s/bad_name.so': it "
		 "declares the name 'other' but the file is named 'bad_name.so'\"}]",
		 dir, dir);
	CU_ASSERT_STRING_EQUAL(plain(ref), want);
	json_object_put(j);
	free(out);
	free(err);
	free(dir);
}

static void test_cmd_one(void)
{
	char *dir = tmpdir();
	char want[4096];
	char *out = NULL, *err = NULL;
	const char *good[] = {"plugins", "--plugin-dir", dir, "good", NULL};
	const char *bad[] = {"plugins", "--plugin-dir", dir, "bad_minor", NULL};
	const char *none[] = {"plugins", "--plugin-dir", dir, "nope", NULL};
	const char *invalid[] = {"plugins", "--plugin-dir", dir, "../good", NULL};
	const char *extra[] = {"plugins", "good", "more", NULL};
	const char *badopt[] = {"plugins", "--output", "yaml", NULL};

	put_plugin(dir, "good", NULL, 0755);
	put_plugin(dir, "bad_minor", NULL, 0755);
	CU_ASSERT_EQUAL(run_irx(good, &out, &err), 0);
	CU_ASSERT_EQUAL(strncmp(out, "good 1.2.3 (plugin ABI 1.1, licence Apache-2.0)\n", 48), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	free(out);
	free(err);

	CU_ASSERT_EQUAL(run_irx(bad, &out, &err), 4);
	CU_ASSERT_STRING_EQUAL(out, "");
	snprintf(want, sizeof(want),
		 "irx plugins: refusing plugin '%s/bad_minor.so': built for plugin ABI 1.7, irx "
		 "speaks 1.1 (it needs a newer irx)\n",
		 dir);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(out);
	free(err);

	CU_ASSERT_EQUAL(run_irx(none, &out, &err), 3);
	snprintf(want, sizeof(want), "irx plugins: plugin 'nope' not found (searched: %s, %s)\n",
		 dir, IRX_PLUGIN_DIR);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(out);
	free(err);

	CU_ASSERT_EQUAL(run_irx(invalid, &out, &err), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx plugins: invalid plugin name '../good' (a letter, then "
				    "letters, digits, '_' or '-', at most 64)\n");
	free(out);
	free(err);

	CU_ASSERT_EQUAL(run_irx(extra, &out, &err), 2);
	CU_ASSERT_STRING_EQUAL(err, "irx plugins: unexpected argument 'more'\n");
	free(out);
	free(err);

	CU_ASSERT_EQUAL(run_irx(badopt, &out, &err), 2);
	free(out);
	free(err);
	free(dir);
}

static CU_TestInfo tests[] = {
    {"good plugin loads, init and fini once", test_good_loads},
    {"loading is lazy", test_lazy},
    {"no host table: a stand-in is lent", test_null_host},
    {"not found names the search path", test_not_found},
    {"invalid names", test_bad_names},
    {"every broken plugin is refused", test_broken_plugins},
    {"not an ELF file", test_not_elf},
    {"group- or world-writable file", test_writable_file},
    {"group- or world-writable directory", test_writable_dir},
    {"file or directory owned by someone else", test_owner},
    {"not a regular file", test_not_regular},
    {"symlinks: the target is checked", test_symlinks},
    {"search order, shadowing, duplicates", test_search_order},
    {"scan lists loaded and refused", test_scan},
    {"static plugins", test_add_static},
    {"descriptor checks", test_static_descriptors},
    {"descriptor size honoured", test_size_honoured},
    {"stale /proc/self/fd name", test_stale_fd_name},
    {"name left on an object shared by inode", test_shared_inode_name},
    {"demo plugin linked statically", test_demo_static},
    {"demo plugin errors", test_demo_errors},
    {"demo plugin .so loads", test_demo_so_loads},
    {"irx plugins lists loaded and refused", test_cmd_list},
    {"irx plugins --output json", test_cmd_json},
    {"irx plugins NAME and exit codes", test_cmd_one},
    CU_TEST_INFO_NULL,
};
IRX_SUITE("plugins", tests, NULL, NULL)
