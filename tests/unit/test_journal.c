/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "journal.h"
#include "show.h"
#include "test.h"
#include "util.h"

#define ID1 "11111111-1111-4111-8111-111111111111"
#define ID2 "22222222-2222-4222-8222-222222222222"
#define ID3 "33333333-3333-4333-8333-333333333333"
#define ID4 "44444444-4444-4444-8444-444444444444"

/* JSON written with single quotes (readable in C); \' is not needed by these tests. */
static struct json_object *J(const char *text)
{
	char *s = irx_xstrdup(text);
	struct json_object *o = NULL;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	o = json_tokener_parse(s);
	if (!o) {
		fprintf(stderr, "\n  bad test JSON: %s\n", s);
		abort();
	}
	free(s);
	return o;
}

static const char *path_of(const char *dir, const char *id)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/executions/%s.jsonl", dir, id);
	return buf;
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;

	if (irx_read_file(path, 1 << 26, &buf, &len) < 0)
		return NULL;
	return buf;
}

static void append_raw(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Writes records (a JSON array, single-quoted) to a new journal. */
static void write_journal(const char *dir, const char *id, const char *records)
{
	struct irx_error err = {0};
	struct irx_journal *j = irx_journal_create(dir, id, &err);
	struct json_object *arr = J(records);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		CU_ASSERT_EQUAL(irx_journal_append(j, json_object_array_get_idx(arr, i), &err), 0);
	irx_journal_close(j);
	json_object_put(arr);
}

static void assert_json_equal(struct json_object *got, struct json_object *want)
{
	int ok = json_object_equal(got, want);

	if (!ok)
		fprintf(stderr, "\n  want: %s\n  got:  %s\n",
			json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN),
			json_object_to_json_string_ext(got, JSON_C_TO_STRING_PLAIN));
	CU_ASSERT_TRUE(ok);
}

/* Compares got with single-quoted JSON text. */
static void assert_json_text(struct json_object *got, const char *text)
{
	struct json_object *want = J(text);

	assert_json_equal(got, want);
	json_object_put(want);
}

/* ---- ids and paths -------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_ids_unique_and_valid(void)
{
	enum { N = 2000 };
	char(*ids)[IRX_EXECUTION_ID_LEN + 1] = calloc(N, sizeof(*ids));

	for (int i = 0; i < N; i++) {
		irx_execution_id_new(ids[i]);
		CU_ASSERT_EQUAL(strlen(ids[i]), IRX_EXECUTION_ID_LEN);
		CU_ASSERT_TRUE(irx_execution_id_valid(ids[i]));
		CU_ASSERT_EQUAL(ids[i][14], '4');            /* version 4 */
		CU_ASSERT_PTR_NOT_NULL(strchr("89ab", ids[i][19])); /* RFC 4122 variant */
	}
	qsort(ids, N, sizeof(*ids), cmp_str);
	for (int i = 1; i < N; i++)
		CU_ASSERT_NOT_EQUAL(strcmp(ids[i - 1], ids[i]), 0);
	free(ids);
}

static void test_id_validation(void)
{
	static const char *const bad[] = {
		"",
		"../x",
		"../../../../etc/passwd",
		"11111111-1111-4111-8111-11111111111",   /* 35 */
		"11111111-1111-4111-8111-1111111111111", /* 37 */
		"11111111-1111-4111-8111-11111111111/",
		"11111111-1111-4111-8111-11111111111.",
		"11111111-1111-4111-8111_111111111111",
		"111111111-111-4111-8111-111111111111",
		"AAAAAAAA-1111-4111-8111-111111111111", /* uppercase */
		"g1111111-1111-4111-8111-111111111111",
		"11111111-1111-4111-8111-11111111111\n",
		NULL,
	};

	CU_ASSERT_TRUE(irx_execution_id_valid(ID1));
	CU_ASSERT_TRUE(irx_execution_id_valid("0f8fad5b-d9cb-469f-a165-70867728950e"));
	CU_ASSERT_TRUE(irx_execution_id_valid("73c8eef8-f4ee-4a05-820c-e354f0000000"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(irx_execution_id_valid(bad[i]));
}

static void test_path_traversal_rejected(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	int truncated = 7;
	char *sub = irx_xasprintf("%s/state", dir);

	CU_ASSERT_PTR_NULL(irx_journal_create(sub, "../x", &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "invalid execution id '../x'");
	/* Nothing was created, not even the state directory. */
	CU_ASSERT_EQUAL(access(sub, F_OK), -1);

	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(irx_journal_read(sub, "../../etc/passwd", &truncated, &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "invalid execution id '../../etc/passwd'");
	CU_ASSERT_EQUAL(truncated, 0);

	irx_error_clear(&err);
	CU_ASSERT_EQUAL(irx_journal_running(sub, "..", &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	free(sub);
}

static void test_state_dir_resolve(void)
{
	char *saved_irx = getenv("IRX_STATE_DIR") ? irx_xstrdup(getenv("IRX_STATE_DIR")) : NULL;
	char *saved_xdg = getenv("XDG_STATE_HOME") ? irx_xstrdup(getenv("XDG_STATE_HOME")) : NULL;
	char *saved_home = getenv("HOME") ? irx_xstrdup(getenv("HOME")) : NULL;
	char *s = NULL;

	setenv("IRX_STATE_DIR", "/env/state", 1);
	setenv("XDG_STATE_HOME", "/xdg", 1);
	setenv("HOME", "/home/responder", 1);
	s = irx_state_dir_resolve("/explicit");
	CU_ASSERT_STRING_EQUAL(s, "/explicit");
	free(s);
	s = irx_state_dir_resolve(NULL);
	CU_ASSERT_STRING_EQUAL(s, "/env/state");
	free(s);
	setenv("IRX_STATE_DIR", "", 1); /* empty means unset */
	s = irx_state_dir_resolve("");
	CU_ASSERT_STRING_EQUAL(s, "/xdg/irx");
	free(s);
	setenv("XDG_STATE_HOME", "relative/dir", 1); /* invalid per the XDG spec: ignored */
	s = irx_state_dir_resolve(NULL);
	CU_ASSERT_STRING_EQUAL(s, "/home/responder/.local/state/irx");
	free(s);
	unsetenv("XDG_STATE_HOME");
	s = irx_state_dir_resolve(NULL);
	CU_ASSERT_STRING_EQUAL(s, "/home/responder/.local/state/irx");
	free(s);

	if (saved_irx)
		setenv("IRX_STATE_DIR", saved_irx, 1);
	else
		unsetenv("IRX_STATE_DIR");
	if (saved_xdg)
		setenv("XDG_STATE_HOME", saved_xdg, 1);
	if (saved_home)
		setenv("HOME", saved_home, 1);
	else
		unsetenv("HOME");
	free(saved_irx);
	free(saved_xdg);
	free(saved_home);
}

/* ---- writing -------------------------------------------------------------- */

static void test_create_twice_fails(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct irx_journal *j = irx_journal_create(dir, ID1, &err);
	struct irx_journal *k = NULL;
	char *want = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(irx_journal_path(j), path_of(dir, ID1));
	k = irx_journal_create(dir, ID1, &err);
	CU_ASSERT_PTR_NULL(k);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_IO);
	want = irx_xasprintf("cannot create journal '%s': File exists", path_of(dir, ID1));
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
	irx_journal_close(j);
	/* Closing does not make the id reusable either. */
	irx_error_clear(&err);
	CU_ASSERT_PTR_NULL(irx_journal_create(dir, ID1, &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_IO);
}

static void test_modes(void)
{
	const char *dir = irx_test_tmpdir();
	char *state = irx_xasprintf("%s/deep/er/state", dir);
	char *execs = irx_xasprintf("%s/executions", state);
	char *deep = irx_xasprintf("%s/deep", dir);
	struct irx_error err = {0};
	struct irx_journal *j = NULL;
	struct stat st;
	mode_t old = umask(0); /* modes must not depend on the umask */

	j = irx_journal_create(state, ID2, &err);
	umask(old);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(stat(path_of(state, ID2), &st), 0);
	CU_ASSERT_TRUE(S_ISREG(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(stat(execs, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	CU_ASSERT_EQUAL(stat(state, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	CU_ASSERT_EQUAL(stat(deep, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	irx_journal_close(j);

	/* With a strict umask too. */
	old = umask(0277);
	j = irx_journal_create(state, ID3, &err);
	umask(old);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(stat(path_of(state, ID3), &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	{
		struct json_object *rec = json_object_new_object();

		CU_ASSERT_EQUAL(irx_journal_append(j, rec, &err), 0);
		json_object_put(rec);
	}
	irx_journal_close(j);
	free(state);
	free(execs);
	free(deep);
}

static void test_create_in_unwritable_place(void)
{
	const char *dir = irx_test_tmpdir();
	char *file = irx_xasprintf("%s/plain-file", dir);
	char *state = irx_xasprintf("%s/plain-file/state", dir);
	char *want = NULL;
	struct irx_error err = {0};

	CU_ASSERT_EQUAL(irx_test_write(file, "x"), 0);
	CU_ASSERT_PTR_NULL(irx_journal_create(state, ID1, &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_IO);
	want = irx_xasprintf("cannot create directory '%s': Not a directory", file);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
	free(file);
	free(state);
}

static void test_round_trip(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct irx_journal *j = irx_journal_create(dir, ID1, &err);
	struct json_object *a = J("{'type':'execution_start','execution_id':'" ID1 "',"
				  "'runbook':'a/b','parameters':{'Msg':'line1\\nline2','N':3}}");
	struct json_object *b = J("{'type':'step_end','outputs':{'x':[1,2.5,null,true,'\\u00e9']},"
				  "'nested':{'a':{'b':{'c':[[[]]]}}}}");
	struct json_object *arr = json_object_new_array();
	struct json_object *got = NULL;
	char *raw = NULL;
	int truncated = 5;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(irx_journal_append(j, a, &err), 0);
	CU_ASSERT_EQUAL(irx_journal_append(j, b, &err), 0);
	/* Not an object: refused, nothing written. */
	CU_ASSERT_EQUAL(irx_journal_append(j, arr, &err), -1);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.message, "journal record is not a JSON object");
	irx_journal_close(j);

	raw = slurp(path_of(dir, ID1));
	CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
	/* One line per record, no slash escaping, the embedded newline escaped. */
	CU_ASSERT_STRING_EQUAL(
		raw, "{\"type\":\"execution_start\",\"execution_id\":\"" ID1 "\",\"runbook\":\"a/b\","
		     "\"parameters\":{\"Msg\":\"line1\\nline2\",\"N\":3}}\n"
		     "{\"type\":\"step_end\",\"outputs\":{\"x\":[1,2.5,null,true,\"\xc3\xa9\"]},"
		     "\"nested\":{\"a\":{\"b\":{\"c\":[[[]]]}}}}\n");
	free(raw);

	irx_error_clear(&err);
	got = irx_journal_read(dir, ID1, &truncated, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(truncated, 0);
	CU_ASSERT_EQUAL(json_object_array_length(got), 2);
	assert_json_equal(json_object_array_get_idx(got, 0), a);
	assert_json_equal(json_object_array_get_idx(got, 1), b);
	json_object_put(got);
	json_object_put(a);
	json_object_put(b);
	json_object_put(arr);
}

static void test_deep_record_round_trip(void)
{
	/* Deeper than json-c's default parse depth (32): what the writer writes, the reader reads. */
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct irx_journal *j = irx_journal_create(dir, ID1, &err);
	struct json_object *rec = json_object_new_object(), *cur = rec, *got = NULL;
	int truncated = 0;

	for (int i = 0; i < 100; i++) {
		struct json_object *next = json_object_new_object();

		json_object_object_add(cur, "d", next);
		cur = next;
	}
	CU_ASSERT_EQUAL(irx_journal_append(j, rec, &err), 0);
	irx_journal_close(j);
	got = irx_journal_read(dir, ID1, &truncated, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(json_object_array_length(got), 1);
	assert_json_equal(json_object_array_get_idx(got, 0), rec);
	json_object_put(got);
	json_object_put(rec);
}

/* ---- reading damaged journals --------------------------------------------- */

static void test_torn_last_line(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct json_object *got = NULL;
	int truncated = 0;

	write_journal(dir, ID1, "[{'type':'execution_start','n':1},{'type':'step_start','n':2}]");
	/* Half a record, as a kill in the middle of write(2) leaves it. */
	append_raw(path_of(dir, ID1), "{\"type\":\"step_end\",\"step\":\"isol");
	got = irx_journal_read(dir, ID1, &truncated, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	CU_ASSERT_EQUAL(truncated, 1);
	CU_ASSERT_EQUAL(json_object_array_length(got), 2);
	assert_json_text(got, "[{'type':'execution_start','n':1},{'type':'step_start','n':2}]");
	json_object_put(got);

	/* A tail of zeros (power loss on some file systems) is torn too. */
	write_journal(dir, ID2, "[{'type':'execution_start'}]");
	{
		int fd = open(path_of(dir, ID2), O_WRONLY | O_APPEND);
		char zeros[64] = {0};

		CU_ASSERT_EQUAL(write(fd, zeros, sizeof(zeros)), (ssize_t)sizeof(zeros));
		close(fd);
	}
	got = irx_journal_read(dir, ID2, &truncated, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(truncated, 1);
	CU_ASSERT_EQUAL(json_object_array_length(got), 1);
	json_object_put(got);
}

static void test_complete_unterminated_last_line_kept(void)
{
	/* A whole object whose newline did not make it is a complete record: keep it. */
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct json_object *got = NULL;
	int truncated = 9;

	write_journal(dir, ID1, "[{'type':'execution_start'}]");
	append_raw(path_of(dir, ID1), "{\"type\":\"execution_end\",\"status\":\"Success\"}");
	got = irx_journal_read(dir, ID1, &truncated, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(truncated, 0);
	assert_json_text(got, "[{'type':'execution_start'},"
			      "{'type':'execution_end','status':'Success'}]");
	json_object_put(got);
}

static void test_empty_journal(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct irx_journal *j = irx_journal_create(dir, ID1, &err);
	struct json_object *got = NULL;
	int truncated = 9;

	irx_journal_close(j);
	got = irx_journal_read(dir, ID1, &truncated, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(truncated, 0);
	CU_ASSERT_EQUAL(json_object_array_length(got), 0);
	json_object_put(got);
}

static void expect_corrupt(const char *middle, const char *why)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	int truncated = 0;
	char *want = NULL;

	write_journal(dir, ID1, "[{'type':'execution_start'}]");
	append_raw(path_of(dir, ID1), middle);
	append_raw(path_of(dir, ID1), "{\"type\":\"execution_end\"}\n");
	CU_ASSERT_PTR_NULL(irx_journal_read(dir, ID1, &truncated, &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_PARSE);
	want = irx_xasprintf("journal '%s' line 2: %s", path_of(dir, ID1), why);
	if (strcmp(err.message, want) != 0)
		fprintf(stderr, "\n  want: %s\n  got:  %s\n", want, err.message);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
}

static void test_corrupt_middle_line(void)
{
	expect_corrupt("{\"type\":\"step_start\",\n", "incomplete JSON");
	expect_corrupt("[1,2]\n", "not a JSON object");
	expect_corrupt("\"text\"\n", "not a JSON object");
	expect_corrupt("{\"a\":1} {\"b\":2}\n", "unexpected character");
	expect_corrupt("\n", "incomplete JSON");
	expect_corrupt("{\"a\":tru}\n", "boolean expected");
	expect_corrupt("{\"a\":\"\\x\"}\n", "invalid string sequence");
}

static void test_read_unknown(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	int truncated = 0;
	char *want = irx_xasprintf("no execution '%s' in %s", ID4, dir);

	CU_ASSERT_PTR_NULL(irx_journal_read(dir, ID4, &truncated, &err));
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
}

/* ---- locks and listing ---------------------------------------------------- */

static void test_running_lock(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct irx_journal *j = NULL;

	CU_ASSERT_EQUAL(irx_journal_running(dir, ID1, &err), 0); /* no journal */
	j = irx_journal_create(dir, ID1, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(irx_journal_running(dir, ID1, &err), 1);
	CU_ASSERT_EQUAL(irx_journal_running(dir, ID1, &err), 1); /* the probe left no lock */
	irx_journal_close(j);
	CU_ASSERT_EQUAL(irx_journal_running(dir, ID1, &err), 0);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
}

struct seen {
	char ids[8][IRX_EXECUTION_ID_LEN + 1];
	int count;
};

static void see(void *ud, const char *id)
{
	struct seen *s = ud;

	if (s->count < 8)
		snprintf(s->ids[s->count], sizeof(s->ids[0]), "%s", id);
	s->count++;
}

static void test_list_order(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct seen s = {0};
	struct timespec times[2] = {{0}};
	char *junk = NULL;

	write_journal(dir, ID1, "[{'type':'execution_start','start_time':'2026-03-01T10:00:00.000Z'}]");
	write_journal(dir, ID2, "[{'type':'execution_start','start_time':'2026-03-01T10:00:00.500Z'}]");
	write_journal(dir, ID3, "[{'type':'execution_start','start_time':'2025-12-31T23:59:59Z'}]");
	/* No start record (crashed at once): ordered by mtime, set to 2026-02-01. */
	write_journal(dir, ID4, "[]");
	times[0].tv_sec = times[1].tv_sec = 1769904000; /* 2026-02-01T00:00:00Z */
	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path_of(dir, ID4), times, 0), 0);
	/* Not journals: ignored. */
	junk = irx_xasprintf("%s/executions/notes.txt", dir);
	irx_test_write(junk, "x");
	free(junk);
	junk = irx_xasprintf("%s/executions/AAAAAAAA-1111-4111-8111-111111111111.jsonl", dir);
	irx_test_write(junk, "{}\n");
	free(junk);
	junk = irx_xasprintf("%s/executions/55555555-5555-4555-8555-555555555555.jsonl", dir);
	mkdir(junk, 0700);
	free(junk);

	CU_ASSERT_EQUAL(irx_journal_list(dir, see, &s, &err), 0);
	CU_ASSERT_EQUAL_FATAL(s.count, 4);
	CU_ASSERT_STRING_EQUAL(s.ids[0], ID2);
	CU_ASSERT_STRING_EQUAL(s.ids[1], ID1);
	CU_ASSERT_STRING_EQUAL(s.ids[2], ID4);
	CU_ASSERT_STRING_EQUAL(s.ids[3], ID3);
}

static void test_list_missing_dir(void)
{
	const char *dir = irx_test_tmpdir();
	char *none = irx_xasprintf("%s/never-ran", dir);
	struct irx_error err = {0};
	struct seen s = {0};

	CU_ASSERT_EQUAL(irx_journal_list(none, see, &s, &err), 0);
	CU_ASSERT_EQUAL(s.count, 0);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	free(none);
}

/* ---- summaries ------------------------------------------------------------ */

static const char success_records[] =
	"[{'type':'execution_start','execution_id':'" ID1 "','runbook':'ec2-isolate',"
	"'runbook_path':'runbooks/ec2-isolate.yaml','parameters':{'InstanceId':'i-0abc',"
	"'Ports':[22,'443'],'Check':true,'Token':'***'},'dry_run':false,'account_id':'123456789012',"
	"'region':'eu-west-1','case_id':'','mode':'run','parent_execution_id':null,"
	"'start_time':'2026-01-02T03:04:05.000Z','irx_version':'0.1.0'},"
	"{'type':'step_start','step':'describe','action':'aws:executeAwsApi','attempt':1,"
	"'inputs':{'Service':'ec2','InstanceIds':['i-0abc']},'start_time':'2026-01-02T03:04:05.100Z'},"
	"{'type':'step_end','step':'describe','action':'aws:executeAwsApi','attempt':1,"
	"'status':'Success','outputs':{'State':'running','Groups':['sg-1','sg-2']},'undo':null,"
	"'message':'','error':null,'planned_calls':null,'start_time':'2026-01-02T03:04:05.100Z',"
	"'end_time':'2026-01-02T03:04:05.350Z','duration_ms':250},"
	"{'type':'step_start','step':'isolate','action':'isolate:ec2Instance','attempt':1,"
	"'inputs':{'InstanceId':'i-0abc'},'start_time':'2026-01-02T03:04:05.400Z'},"
	"{'type':'step_end','step':'isolate','action':'isolate:ec2Instance','attempt':1,"
	"'status':'Success','outputs':{},'undo':{'groups':{'eni-1':['sg-1']}},"
	"'message':'isolated 1 interface','error':null,'planned_calls':null,"
	"'start_time':'2026-01-02T03:04:05.400Z','end_time':'2026-01-02T03:04:06.900Z',"
	"'duration_ms':1500},"
	"{'type':'execution_end','status':'Success','outputs':{'describe.State':'running'},"
	"'failure_message':'','end_time':'2026-01-02T03:04:07.000Z','duration_ms':2000}]";

static const char success_summary[] =
	"{'AutomationExecutionId':'" ID1 "','DocumentName':'ec2-isolate',"
	"'ExecutionStartTime':'2026-01-02T03:04:05.000Z','ExecutionEndTime':'2026-01-02T03:04:07.000Z',"
	"'AutomationExecutionStatus':'Success','StepExecutions':["
	"{'StepName':'describe','Action':'aws:executeAwsApi',"
	"'ExecutionStartTime':'2026-01-02T03:04:05.100Z','ExecutionEndTime':'2026-01-02T03:04:05.350Z',"
	"'StepStatus':'Success','Inputs':{'Service':'\\'ec2\\'','InstanceIds':'[\\'i-0abc\\']'},"
	"'Outputs':{'State':['running'],'Groups':['sg-1','sg-2']},'Attempts':1,'DurationMs':250},"
	"{'StepName':'isolate','Action':'isolate:ec2Instance',"
	"'ExecutionStartTime':'2026-01-02T03:04:05.400Z','ExecutionEndTime':'2026-01-02T03:04:06.900Z',"
	"'StepStatus':'Success','Inputs':{'InstanceId':'\\'i-0abc\\''},'Outputs':{},"
	"'Message':'isolated 1 interface','Undo':{'groups':{'eni-1':['sg-1']}},'Attempts':1,"
	"'DurationMs':1500}],"
	"'Parameters':{'InstanceId':['i-0abc'],'Ports':['22','443'],'Check':['true'],"
	"'Token':['***']},'Outputs':{'describe.State':['running']},'Mode':'Auto',"
	"'ProgressCounters':{'TotalSteps':2,'SuccessSteps':2,'FailedSteps':0,'TimedOutSteps':0,"
	"'CancelledSteps':0},'Operation':'Run','DryRun':false,'DurationMs':2000,"
	"'AccountId':'123456789012','Region':'eu-west-1','RunbookPath':'runbooks/ec2-isolate.yaml',"
	"'IrxVersion':'0.1.0'}";

/* J() turns ' into ", so the expected Inputs need \" spelt as \\' above: fix them up. */
static struct json_object *J_escaped(const char *text)
{
	char *s = irx_xstrdup(text);
	struct json_object *o = NULL;

	for (char *p = s; *p; p++)
		if (*p == '\'' && !(p > s && p[-1] == '\\'))
			*p = '"';
	for (char *p = s; *p; p++)
		if (p[0] == '\\' && p[1] == '\'')
			p[1] = '"';
	o = json_tokener_parse(s);
	if (!o) {
		fprintf(stderr, "\n  bad test JSON: %s\n", s);
		abort();
	}
	free(s);
	return o;
}

static void test_summarise_success(void)
{
	struct json_object *records = J(success_records);
	struct json_object *want = J_escaped(success_summary);
	struct json_object *got = irx_journal_summarise_state(records, 0);

	assert_json_equal(got, want);
	/* Keys in SSM's order, as `aws ssm get-automation-execution` prints them. */
	CU_ASSERT_STRING_EQUAL(
		json_object_to_json_string_ext(
			json_object_array_get_idx(json_object_object_get(got, "StepExecutions"), 1),
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		"{\"StepName\":\"isolate\",\"Action\":\"isolate:ec2Instance\","
		"\"ExecutionStartTime\":\"2026-01-02T03:04:05.400Z\","
		"\"ExecutionEndTime\":\"2026-01-02T03:04:06.900Z\",\"StepStatus\":\"Success\","
		"\"Inputs\":{\"InstanceId\":\"\\\"i-0abc\\\"\"},\"Outputs\":{},\"Attempts\":1,"
		"\"DurationMs\":1500,\"Message\":\"isolated 1 interface\","
		"\"Undo\":{\"groups\":{\"eni-1\":[\"sg-1\"]}}}");
	json_object_put(got);
	/* Ended executions do not depend on the lock. */
	got = irx_journal_summarise(records);
	assert_json_equal(got, want);
	json_object_put(got);
	json_object_put(want);
	json_object_put(records);
}

static void test_summarise_failed_with_retries(void)
{
	struct json_object *records = J(
		"[{'type':'execution_start','execution_id':'" ID2 "','runbook':'iam-user-contain',"
		"'parameters':{'UserName':'mallory'},'dry_run':true,'mode':'rollback',"
		"'parent_execution_id':'" ID1 "','start_time':'2026-01-02T03:00:00.000Z'},"
		"{'type':'step_start','step':'deny','action':'iam:denyAll','attempt':1,'inputs':{},"
		"'start_time':'2026-01-02T03:00:00.000Z'},"
		"{'type':'step_end','step':'deny','action':'iam:denyAll','attempt':1,'status':'Failed',"
		"'outputs':{},'undo':null,'message':'','error':{'code':'aws','message':'throttled',"
		"'http_status':400,'aws_code':'Throttling','aws_message':'Rate exceeded',"
		"'request_id':'r-1'},'start_time':'2026-01-02T03:00:00.000Z',"
		"'end_time':'2026-01-02T03:00:00.100Z','duration_ms':100},"
		"{'type':'step_start','step':'deny','action':'iam:denyAll','attempt':2,'inputs':{},"
		"'start_time':'2026-01-02T03:00:01.100Z'},"
		"{'type':'step_end','step':'deny','action':'iam:denyAll','attempt':2,'status':'Failed',"
		"'outputs':{},'undo':null,'message':'cannot attach policy to user \\u0027mallory\\u0027',"
		"'error':{'code':'aws','message':'access denied','http_status':403,"
		"'aws_code':'AccessDenied','aws_message':'User is not authorized',"
		"'request_id':'r-2'},'start_time':'2026-01-02T03:00:01.100Z',"
		"'end_time':'2026-01-02T03:00:01.300Z','duration_ms':200},"
		"{'type':'step_end','step':'notify','action':'notify:slack','attempt':1,"
		"'status':'Skipped','outputs':{},'undo':null,'message':'earlier step failed',"
		"'error':null,'start_time':'2026-01-02T03:00:01.300Z',"
		"'end_time':'2026-01-02T03:00:01.300Z','duration_ms':0},"
		"{'type':'execution_end','status':'Failed','outputs':{},"
		"'failure_message':'step \\u0027deny\\u0027 failed: access denied',"
		"'end_time':'2026-01-02T03:00:01.400Z','duration_ms':1400}]");
	struct json_object *want = J(
		"{'AutomationExecutionId':'" ID2 "','DocumentName':'iam-user-contain',"
		"'ExecutionStartTime':'2026-01-02T03:00:00.000Z',"
		"'ExecutionEndTime':'2026-01-02T03:00:01.400Z','AutomationExecutionStatus':'Failed',"
		"'StepExecutions':[{'StepName':'deny','Action':'iam:denyAll',"
		"'ExecutionStartTime':'2026-01-02T03:00:00.000Z',"
		"'ExecutionEndTime':'2026-01-02T03:00:01.300Z','StepStatus':'Failed','Inputs':{},"
		"'Outputs':{},'FailureMessage':'cannot attach policy to user \\u0027mallory\\u0027',"
		"'FailureDetails':{'FailureStage':'Invocation','FailureType':'Permission',"
		"'Details':{'Code':['aws'],'AwsErrorCode':['AccessDenied'],"
		"'AwsErrorMessage':['User is not authorized'],'HttpStatus':['403'],"
		"'RequestId':['r-2']}},'Attempts':2,'DurationMs':1300},"
		"{'StepName':'notify','Action':'notify:slack',"
		"'ExecutionStartTime':'2026-01-02T03:00:01.300Z',"
		"'ExecutionEndTime':'2026-01-02T03:00:01.300Z','StepStatus':'Skipped','Inputs':{},"
		"'Outputs':{},'Message':'earlier step failed','Attempts':1,'DurationMs':0}],"
		"'Parameters':{'UserName':['mallory']},'Outputs':{},"
		"'FailureMessage':'step \\u0027deny\\u0027 failed: access denied','Mode':'Auto',"
		"'ParentAutomationExecutionId':'" ID1 "',"
		"'ProgressCounters':{'TotalSteps':2,'SuccessSteps':0,'FailedSteps':1,"
		"'TimedOutSteps':0,'CancelledSteps':0},'Operation':'Rollback','DryRun':true,"
		"'DurationMs':1400}");
	struct json_object *got = irx_journal_summarise_state(records, 0);

	assert_json_equal(got, want);
	json_object_put(got);
	json_object_put(want);
	json_object_put(records);
}

static void test_summarise_retry_then_success_clears_failure(void)
{
	struct json_object *records = J(
		"[{'type':'execution_start','execution_id':'" ID3 "','runbook':'r'},"
		"{'type':'step_start','step':'s','action':'a:b','attempt':1,'inputs':{}},"
		"{'type':'step_end','step':'s','action':'a:b','attempt':1,'status':'Failed',"
		"'message':'boom','error':{'code':'aws','message':'boom','http_status':429}},"
		"{'type':'step_start','step':'s','action':'a:b','attempt':2,'inputs':{}},"
		"{'type':'step_end','step':'s','action':'a:b','attempt':2,'status':'Success',"
		"'outputs':{'N':7},'message':''}]");
	struct json_object *got = irx_journal_summarise_state(records, 1);
	struct json_object *step = json_object_array_get_idx(
		json_object_object_get(got, "StepExecutions"), 0);

	CU_ASSERT_EQUAL(json_object_array_length(json_object_object_get(got, "StepExecutions")), 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(step, "StepStatus")),
			       "Success");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(step, "Attempts")), 2);
	CU_ASSERT_FALSE(json_object_object_get_ex(step, "FailureMessage", NULL));
	CU_ASSERT_FALSE(json_object_object_get_ex(step, "FailureDetails", NULL));
	assert_json_text(json_object_object_get(step, "Outputs"), "{'N':['7']}");
	/* No execution_end, lock held: still running. */
	CU_ASSERT_STRING_EQUAL(
		json_object_get_string(json_object_object_get(got, "AutomationExecutionStatus")),
		"InProgress");
	CU_ASSERT_FALSE(json_object_object_get_ex(got, "FailureMessage", NULL));
	json_object_put(got);
	json_object_put(records);
}

static void test_summarise_interrupted(void)
{
	struct json_object *records = J(
		"[{'type':'execution_start','execution_id':'" ID3 "','runbook':'ec2-isolate',"
		"'parameters':{},'start_time':'2026-01-02T03:04:05.000Z'},"
		"{'type':'step_start','step':'a','action':'aws:sleep','attempt':1,'inputs':{'Duration':'PT1S'},"
		"'start_time':'2026-01-02T03:04:05.000Z'},"
		"{'type':'step_end','step':'a','action':'aws:sleep','attempt':1,'status':'Success',"
		"'outputs':{},'message':'','start_time':'2026-01-02T03:04:05.000Z',"
		"'end_time':'2026-01-02T03:04:06.000Z','duration_ms':1000},"
		"{'type':'step_start','step':'b','action':'isolate:ec2Instance','attempt':1,"
		"'inputs':{'InstanceId':'i-1'},'start_time':'2026-01-02T03:04:06.010Z'}]");
	struct json_object *want = J_escaped(
		"{'AutomationExecutionId':'" ID3 "','DocumentName':'ec2-isolate',"
		"'ExecutionStartTime':'2026-01-02T03:04:05.000Z',"
		"'AutomationExecutionStatus':'Interrupted','StepExecutions':["
		"{'StepName':'a','Action':'aws:sleep','ExecutionStartTime':'2026-01-02T03:04:05.000Z',"
		"'ExecutionEndTime':'2026-01-02T03:04:06.000Z','StepStatus':'Success',"
		"'Inputs':{'Duration':'\\'PT1S\\''},'Outputs':{},'Attempts':1,'DurationMs':1000},"
		"{'StepName':'b','Action':'isolate:ec2Instance',"
		"'ExecutionStartTime':'2026-01-02T03:04:06.010Z','StepStatus':'Interrupted',"
		"'Inputs':{'InstanceId':'\\'i-1\\''},'Outputs':{},'Attempts':1}],"
		"'Parameters':{},'Outputs':{},"
		"'FailureMessage':'execution interrupted during step \\'b\\'','Mode':'Auto',"
		"'CurrentStepName':'b','CurrentAction':'isolate:ec2Instance',"
		"'ProgressCounters':{'TotalSteps':2,'SuccessSteps':1,'FailedSteps':0,"
		"'TimedOutSteps':0,'CancelledSteps':0},'Operation':'Run','DryRun':false}");
	struct json_object *got = irx_journal_summarise_state(records, 0);
	struct json_object *steps = NULL;

	/* J_escaped makes \\' a quote inside the string; the message wants a plain quote. */
	json_object_object_add(want, "FailureMessage",
			       json_object_new_string("execution interrupted during step 'b'"));
	assert_json_equal(got, want);
	json_object_put(got);

	/* The same journal while its writer still holds the lock. */
	got = irx_journal_summarise_state(records, 1);
	steps = json_object_object_get(got, "StepExecutions");
	CU_ASSERT_STRING_EQUAL(
		json_object_get_string(json_object_object_get(got, "AutomationExecutionStatus")),
		"InProgress");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
				       json_object_array_get_idx(steps, 1), "StepStatus")),
			       "InProgress");
	CU_ASSERT_FALSE(json_object_object_get_ex(got, "FailureMessage", NULL));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(got, "CurrentStepName")),
			       "b");
	json_object_put(got);
	json_object_put(want);
	json_object_put(records);
}

static void test_summarise_loop_and_empty(void)
{
	/* nextStep back to a step: each run is its own step execution. */
	struct json_object *records = J(
		"[{'type':'execution_start','execution_id':'" ID1 "','runbook':'r'},"
		"{'type':'step_start','step':'poll','action':'aws:sleep','attempt':1},"
		"{'type':'step_end','step':'poll','action':'aws:sleep','attempt':1,'status':'Success'},"
		"{'type':'step_start','step':'poll','action':'aws:sleep','attempt':1},"
		"{'type':'step_end','step':'poll','action':'aws:sleep','attempt':1,'status':'TimedOut',"
		"'message':'step timed out after 5s','error':{'code':'timeout','message':'timed out'}},"
		"{'type':'execution_end','status':'TimedOut','failure_message':'x'}]");
	struct json_object *got = irx_journal_summarise_state(records, 0);
	struct json_object *steps = json_object_object_get(got, "StepExecutions");
	struct json_object *empty = json_object_new_array();

	CU_ASSERT_EQUAL(json_object_array_length(steps), 2);
	assert_json_text(json_object_object_get(got, "ProgressCounters"),
			 "{'TotalSteps':2,'SuccessSteps':1,'FailedSteps':0,'TimedOutSteps':1,"
			 "'CancelledSteps':0}");
	assert_json_text(
		json_object_object_get(json_object_array_get_idx(steps, 1), "FailureDetails"),
		"{'FailureStage':'Invocation','FailureType':'Action','Details':{'Code':['timeout']}}");
	json_object_put(got);
	json_object_put(records);

	/* A journal created but never written (killed at once). */
	got = irx_journal_summarise_state(empty, 0);
	assert_json_text(got, "{'AutomationExecutionStatus':'Interrupted','StepExecutions':[],"
				 "'Parameters':{},'Outputs':{},'FailureMessage':'execution "
				 "interrupted','Mode':'Auto','ProgressCounters':{'TotalSteps':0,"
				 "'SuccessSteps':0,'FailedSteps':0,'TimedOutSteps':0,"
				 "'CancelledSteps':0},'Operation':'Run','DryRun':false}");
	json_object_put(got);
	json_object_put(empty);
}

/* ---- crash ---------------------------------------------------------------- */

static void child_writer(const char *dir)
{
	struct irx_error err = {0};
	struct irx_journal *j = irx_journal_create(dir, ID1, &err);
	char *payload = irx_xmalloc(20001);

	if (!j)
		_exit(3);
	memset(payload, 'x', 20000);
	payload[20000] = '\0';
	for (long seq = 0;; seq++) {
		struct json_object *rec = json_object_new_object();

		json_object_object_add(rec, "type", json_object_new_string("step_end"));
		json_object_object_add(rec, "seq", json_object_new_int64(seq));
		/* Variable sizes, so the kill lands at different offsets within a line. */
		json_object_object_add(rec, "payload",
				       json_object_new_string_len(payload, (int)(seq * 997 % 20000)));
		if (irx_journal_append(j, rec, &err) < 0)
			_exit(4);
		json_object_put(rec);
	}
}

static long count_lines(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	long n = 0;

	if (irx_read_file(path, 1 << 28, &buf, &len) < 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	free(buf);
	return n;
}

static void test_crash_leaves_readable_journal(void)
{
	const char *dir = irx_test_tmpdir();
	struct irx_error err = {0};
	struct json_object *got = NULL, *summary = NULL;
	int truncated = -1, status = 0;
	long lines_before_kill = 0;
	pid_t pid = 0;

	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		child_writer(dir);
	/* Wait until it has written a good number of records, then kill it mid-run. */
	for (int i = 0; i < 5000 && lines_before_kill < 200; i++) {
		struct timespec ts = {0, 2000000};

		nanosleep(&ts, NULL);
		lines_before_kill = count_lines(path_of(dir, ID1));
	}
	CU_ASSERT_TRUE(lines_before_kill >= 200);
	/* While it runs, its lock says so. */
	CU_ASSERT_EQUAL(irx_journal_running(dir, ID1, &err), 1);
	kill(pid, SIGKILL);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* The kernel dropped the lock with the process. */
	CU_ASSERT_EQUAL(irx_journal_running(dir, ID1, &err), 0);
	got = irx_journal_read(dir, ID1, &truncated, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_TRUE(truncated == 0 || truncated == 1);
	/* Every record seen before the kill is there, intact and in order. */
	CU_ASSERT_TRUE((long)json_object_array_length(got) >= lines_before_kill);
	for (size_t i = 0; i < json_object_array_length(got); i++) {
		struct json_object *rec = json_object_array_get_idx(got, i);
		long long seq = json_object_get_int64(json_object_object_get(rec, "seq"));
		const char *p = json_object_get_string(json_object_object_get(rec, "payload"));

		CU_ASSERT_EQUAL(seq, (long long)i);
		CU_ASSERT_EQUAL(strlen(p), (size_t)(seq * 997 % 20000));
		if (seq != (long long)i)
			break;
	}
	/* At most the last line is torn: records = complete lines (+1 if the tail parsed). */
	CU_ASSERT_TRUE((long)json_object_array_length(got) >= count_lines(path_of(dir, ID1)));
	summary = irx_journal_summarise_state(got, 0);
	CU_ASSERT_STRING_EQUAL(
		json_object_get_string(json_object_object_get(summary, "AutomationExecutionStatus")),
		"Interrupted");
	json_object_put(summary);
	json_object_put(got);
}

/* ---- text views ----------------------------------------------------------- */

static char *render_execution(struct json_object *summary)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	irx_show_execution(f, summary);
	fclose(f);
	return buf;
}

static void test_show_duration(void)
{
	char b[32];

	irx_show_duration(-1, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "-");
	irx_show_duration(0, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "0ms");
	irx_show_duration(999, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "999ms");
	irx_show_duration(2345, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "2.3s");
	irx_show_duration(59999, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "59.9s");
	irx_show_duration(245000, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "4m05s");
	irx_show_duration(3720000, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "1h02m");
}

static void test_show_execution_text(void)
{
	struct json_object *records = J(success_records);
	struct json_object *summary = irx_journal_summarise_state(records, 0);
	char *text = render_execution(summary);

	CU_ASSERT_STRING_EQUAL(
		text, "Execution   " ID1 "\n"
		      "Runbook     ec2-isolate (runbooks/ec2-isolate.yaml)\n"
		      "Status      Success\n"
		      "Started     2026-01-02T03:04:05.000Z\n"
		      "Ended       2026-01-02T03:04:07.000Z\n"
		      "Duration    2.0s\n"
		      "Account     123456789012\n"
		      "Region      eu-west-1\n"
		      "\n"
		      "Parameters\n"
		      "  InstanceId  i-0abc\n"
		      "  Ports       22, 443\n"
		      "  Check       true\n"
		      "  Token       ***\n"
		      "\n"
		      "Steps\n"
		      "  #    STEP      ACTION               STATUS   ATTEMPTS  DURATION  MESSAGE\n"
		      "  1    describe  aws:executeAwsApi    Success  1         250ms\n"
		      "  2    isolate   isolate:ec2Instance  Success  1         1.5s      isolated 1 "
		      "interface\n"
		      "\n"
		      "Outputs\n"
		      "  describe.State  running\n");
	free(text);
	json_object_put(summary);
	json_object_put(records);
}

static void test_show_escapes_control_characters(void)
{
	struct json_object *records = J(
		"[{'type':'execution_start','execution_id':'" ID2 "','runbook':'r','dry_run':true},"
		"{'type':'step_end','step':'s','action':'a:b','attempt':1,'status':'Failed',"
		"'message':'bad\\u001b[2J\\nsecond line\\ttab'}]");
	struct json_object *summary = irx_journal_summarise_state(records, 0);
	char *text = render_execution(summary);

	CU_ASSERT_STRING_EQUAL(text, "Execution   " ID2 "\n"
				     "Runbook     r\n"
				     "Status      Interrupted (dry run)\n"
				     "Started     -\n"
				     "Ended       -\n"
				     "Duration    -\n"
				     "Failure     execution interrupted\n"
				     "\n"
				     "Steps\n"
				     "  #    STEP  ACTION  STATUS  ATTEMPTS  DURATION  MESSAGE\n"
				     "  1    s     a:b     Failed  1         -         "
				     "bad\\x1b[2J\\nsecond line\\ttab\n");
	CU_ASSERT_PTR_NULL(strchr(text, '\x1b'));
	free(text);
	json_object_put(summary);
	json_object_put(records);
}

static void test_show_executions_table(void)
{
	struct json_object *records = J(success_records);
	struct json_object *summary = irx_journal_summarise_state(records, 0);
	struct json_object *list = json_object_new_array();
	struct json_object *meta = irx_show_metadata(summary);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = NULL;

	assert_json_text(meta, "{'AutomationExecutionId':'" ID1 "','DocumentName':'ec2-isolate',"
				  "'AutomationExecutionStatus':'Success',"
				  "'ExecutionStartTime':'2026-01-02T03:04:05.000Z',"
				  "'ExecutionEndTime':'2026-01-02T03:04:07.000Z',"
				  "'Outputs':{'describe.State':['running']},'Mode':'Auto',"
				  "'Operation':'Run','DryRun':false,'DurationMs':2000}");
	json_object_array_add(list, meta);
	json_object_array_add(list, J("{'AutomationExecutionId':'" ID3 "',"
				      "'AutomationExecutionStatus':'Unreadable'}"));
	f = open_memstream(&buf, &len);
	irx_show_executions(f, list);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf,
			       "EXECUTION                             RUNBOOK      STATUS      "
			       "STARTED                   DURATION\n" ID1 "  ec2-isolate  Success     "
			       "2026-01-02T03:04:05.000Z  2.0s\n" ID3 "  -            Unreadable  "
			       "-                         -\n");
	free(buf);
	json_object_put(list);
	json_object_put(summary);
	json_object_put(records);
}

static CU_TestInfo tests[] = {
	{"ids are unique and valid", test_ids_unique_and_valid},
	{"id validation is strict", test_id_validation},
	{"path traversal is rejected", test_path_traversal_rejected},
	{"state directory resolution", test_state_dir_resolve},
	{"creating a journal twice fails", test_create_twice_fails},
	{"file and directory modes", test_modes},
	{"create where a file blocks the path", test_create_in_unwritable_place},
	{"append and read round trip", test_round_trip},
	{"deep records round trip", test_deep_record_round_trip},
	{"torn last line is skipped", test_torn_last_line},
	{"complete unterminated last line is kept", test_complete_unterminated_last_line_kept},
	{"empty journal", test_empty_journal},
	{"corrupt middle line names the line", test_corrupt_middle_line},
	{"unknown execution", test_read_unknown},
	{"running lock", test_running_lock},
	{"list newest first", test_list_order},
	{"list without executions directory", test_list_missing_dir},
	{"summarise success", test_summarise_success},
	{"summarise failure with retries", test_summarise_failed_with_retries},
	{"summarise retry then success", test_summarise_retry_then_success_clears_failure},
	{"summarise interrupted and in progress", test_summarise_interrupted},
	{"summarise loops and empty journals", test_summarise_loop_and_empty},
	{"kill -9 mid-run leaves a readable journal", test_crash_leaves_readable_journal},
	{"duration format", test_show_duration},
	{"show text", test_show_execution_text},
	{"show escapes control characters", test_show_escapes_control_characters},
	{"executions table", test_show_executions_table},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("journal", tests, NULL, NULL)
