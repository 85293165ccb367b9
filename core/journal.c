/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The execution journal: JSON lines, appended with O_APPEND and fsync'd, one
 * file per execution. The writer holds an exclusive flock on the file while
 * the execution runs; readers use it to tell "running" from "interrupted".
 */
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

/* A journal holds whole AWS responses; anything larger than this is not one of ours. */
#define JOURNAL_MAX_BYTES (256u * 1024 * 1024)
/* json-c's default (32) is shallower than what the writer can serialise. */
#define JOURNAL_MAX_DEPTH 512
/* How much of a journal irx_journal_list reads to find the start time. */
#define FIRST_LINE_MAX 65536

struct irx_journal {
	int fd;
	char *path;
};

/* ---- execution ids ------------------------------------------------------ */

static void random_bytes(unsigned char *buf, size_t len)
{
	size_t have = 0;
	int fd = -1;

	while (have < len) {
		ssize_t n = getrandom(buf + have, len - have, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		have += (size_t)n;
	}
	if (have == len)
		return;
	/* getrandom can be missing (old kernels, some sandboxes): /dev/urandom is equivalent. */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && have < len) {
		ssize_t n = read(fd, buf + have, len - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (have != len) {
		fputs("irx: no source of randomness for execution ids\n", stderr);
		abort();
	}
}

void irx_execution_id_new(char buf[IRX_EXECUTION_ID_LEN + 1])
{
	unsigned char b[16] = {0};

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(buf, IRX_EXECUTION_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

int irx_execution_id_valid(const char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < IRX_EXECUTION_ID_LEN; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0; /* also catches the terminating NUL of a short string */
		}
	}
	return s[IRX_EXECUTION_ID_LEN] == '\0';
}

/* ---- the state directory ------------------------------------------------ */

char *irx_state_dir_resolve(const char *explicit_dir)
{
	const char *env = getenv("IRX_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct passwd *pw = NULL;

	if (explicit_dir && *explicit_dir)
		return irx_xstrdup(explicit_dir);
	if (env && *env)
		return irx_xstrdup(env);
	/* The XDG spec says relative values are invalid and must be ignored. */
	if (xdg && xdg[0] == '/')
		return irx_xasprintf("%s/irx", xdg);
	if (!home || !*home) {
		pw = getpwuid(getuid());
		home = pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
	}
	if (!home)
		return NULL;
	return irx_xasprintf("%s/.local/state/irx", home);
}

const struct irx_journal_kind irx_journal_kind_execution = {
    .dir = "executions", .noun = "execution", .valid = irx_execution_id_valid};

static char *kind_path(const struct irx_journal_kind *k, const char *state_dir, const char *id)
{
	return irx_xasprintf("%s/%s/%s.jsonl", state_dir, k->dir, id);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL) /* some file systems cannot sync directories */
		rc = -1;
	close(fd);
	return rc;
}

/* mkdir -p with mode 0700 for every directory it creates (umask notwithstanding). */
static int make_dirs(const char *path, struct irx_error *err)
{
	char *p = irx_xstrdup(path);
	size_t len = strlen(p);
	int rc = -1;

	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	for (size_t i = 1; i <= len; i++) {
		struct stat st;
		char saved = p[i];

		if (p[i] != '/' && p[i] != '\0')
			continue;
		if (p[i - 1] == '/')
			continue; /* "a//b" */
		p[i] = '\0';
		if (mkdir(p, 0700) == 0) {
			char *slash = strrchr(p, '/');

			if (chmod(p, 0700) < 0) {
				irx_error_set(err, IRX_ERR_IO, "cannot set the mode of '%s': %s", p,
					      strerror(errno));
				goto out;
			}
			/* Make the new entry durable in its parent. */
			if (slash && slash != p) {
				*slash = '\0';
				fsync_dir(p);
				*slash = '/';
			}
		} else if (errno != EEXIST) {
			irx_error_set(err, IRX_ERR_IO, "cannot create directory '%s': %s", p,
				      strerror(errno));
			goto out;
		} else if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			irx_error_set(err, IRX_ERR_IO, "cannot create directory '%s': %s", p,
				      strerror(ENOTDIR));
			goto out;
		}
		p[i] = saved;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/* ---- writing ------------------------------------------------------------ */

struct irx_journal *irx_journal_create(const char *state_dir, const char *execution_id,
				       struct irx_error *err)
{
	return irx_journal_create_kind(&irx_journal_kind_execution, state_dir, execution_id, err);
}

struct irx_journal *irx_journal_create_kind(const struct irx_journal_kind *k,
					    const char *state_dir, const char *execution_id,
					    struct irx_error *err)
{
	struct irx_journal *j = NULL;
	char *dir = NULL;
	char *path = NULL;
	int fd = -1;

	if (!k->valid(execution_id)) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid %s id '%s'", k->noun,
			      execution_id ? execution_id : "(null)");
		goto fail;
	}
	dir = irx_xasprintf("%s/%s", state_dir, k->dir);
	if (make_dirs(dir, err) < 0)
		goto fail;
	path = kind_path(k, state_dir, execution_id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot create journal '%s': %s", path,
			      strerror(errno));
		goto fail;
	}
	if (fchmod(fd, 0600) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot set the mode of '%s': %s", path,
			      strerror(errno));
		goto fail_unlink;
	}
	/* Held until close: tells readers the execution is still running. */
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		irx_error_set(err, IRX_ERR_IO, "cannot lock journal '%s': %s", path,
			      strerror(errno));
		goto fail_unlink;
	}
	if (fsync_dir(dir) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot sync directory '%s': %s", dir,
			      strerror(errno));
		goto fail_unlink;
	}
	j = irx_xcalloc(1, sizeof(*j));
	j->fd = fd;
	j->path = path;
	free(dir);
	return j;

fail_unlink:
	unlink(path);
fail:
	if (fd >= 0)
		close(fd);
	free(path);
	free(dir);
	return NULL;
}

struct irx_journal *irx_journal_open_append(const char *state_dir, const char *execution_id,
					    struct irx_error *err)
{
	return irx_journal_open_append_kind(&irx_journal_kind_execution, state_dir, execution_id,
					    err);
}

struct irx_journal *irx_journal_open_append_kind(const struct irx_journal_kind *k,
						 const char *state_dir, const char *execution_id,
						 struct irx_error *err)
{
	struct irx_journal *j = NULL;
	char *path = NULL;
	struct stat st;
	off_t end = 0;
	int fd = -1;

	if (!k->valid(execution_id)) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid %s id '%s'", k->noun,
			      execution_id ? execution_id : "(null)");
		return NULL;
	}
	path = kind_path(k, state_dir, execution_id);
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		irx_error_set(err, errno == ENOENT ? IRX_ERR_NOT_FOUND : IRX_ERR_IO,
			      "cannot open journal '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		irx_error_set(err, IRX_ERR_INVALID, "%s %s is still running", k->noun,
			      execution_id);
		goto fail;
	}
	/* A line torn by a crash would swallow the next record: cut it off. */
	if (fstat(fd, &st) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot stat journal '%s': %s", path, strerror(errno));
		goto fail;
	}
	end = st.st_size;
	while (end > 0) {
		char c = 0;

		if (pread(fd, &c, 1, end - 1) != 1) {
			irx_error_set(err, IRX_ERR_IO, "cannot read journal '%s': %s", path,
				      strerror(errno));
			goto fail;
		}
		if (c == '\n')
			break;
		end--;
	}
	if (end != st.st_size && (ftruncate(fd, end) < 0 || fsync(fd) < 0)) {
		irx_error_set(err, IRX_ERR_IO, "cannot cut the torn record off '%s': %s", path,
			      strerror(errno));
		goto fail;
	}
	j = irx_xcalloc(1, sizeof(*j));
	j->fd = fd;
	j->path = path;
	return j;
fail:
	if (fd >= 0)
		close(fd);
	free(path);
	return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

int irx_journal_append(struct irx_journal *j, struct json_object *record, struct irx_error *err)
{
	const char *text = NULL;
	char *line = NULL;
	size_t len = 0;
	struct stat st;
	int rc = -1;

	if (!json_object_is_type(record, json_type_object)) {
		irx_error_set(err, IRX_ERR_INVALID, "journal record is not a JSON object");
		return -1;
	}
	/* PLAIN never emits a raw newline (strings are escaped): one record, one line. */
	text = json_object_to_json_string_ext(record, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	line = irx_xmalloc(len + 1);
	memcpy(line, text, len);
	line[len++] = '\n';
	if (fstat(j->fd, &st) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot write journal '%s': %s", j->path,
			      strerror(errno));
		goto out;
	}
	if (write_all(j->fd, line, len) < 0) {
		int saved = errno;

		/* Cut a partial line off, so a later append cannot leave a bad line mid-file. */
		if (ftruncate(j->fd, st.st_size) < 0)
			(void)0;
		irx_error_set(err, IRX_ERR_IO, "cannot write journal '%s': %s", j->path,
			      strerror(saved));
		goto out;
	}
	if (fsync(j->fd) < 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot sync journal '%s': %s", j->path,
			      strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

const char *irx_journal_path(const struct irx_journal *j)
{
	return j->path;
}

void irx_journal_close(struct irx_journal *j)
{
	if (!j)
		return;
	close(j->fd); /* releases the flock */
	free(j->path);
	free(j);
}

/* ---- reading ------------------------------------------------------------ */

int irx_journal_running(const char *state_dir, const char *execution_id, struct irx_error *err)
{
	return irx_journal_running_kind(&irx_journal_kind_execution, state_dir, execution_id, err);
}

int irx_journal_running_kind(const struct irx_journal_kind *k, const char *state_dir,
			     const char *execution_id, struct irx_error *err)
{
	char *path = NULL;
	int fd = -1;
	int rc = -1;

	if (!k->valid(execution_id)) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid %s id '%s'", k->noun,
			      execution_id ? execution_id : "(null)");
		return -1;
	}
	path = kind_path(k, state_dir, execution_id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT) {
			rc = 0;
		} else {
			irx_error_set(err, IRX_ERR_IO, "cannot open journal '%s': %s", path,
				      strerror(errno));
		}
		goto out;
	}
	for (;;) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			rc = 0;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			rc = 1;
			break;
		}
		irx_error_set(err, IRX_ERR_IO, "cannot lock journal '%s': %s", path,
			      strerror(errno));
		break;
	}
out:
	if (fd >= 0)
		close(fd); /* drops our probe lock, if we got it */
	free(path);
	return rc;
}

/* Parses one line as a JSON object: NULL with *why set when it is not one. */
static struct json_object *parse_line(const char *line, size_t len, const char **why)
{
	struct json_tokener *tok = json_tokener_new_ex(JOURNAL_MAX_DEPTH);
	struct json_object *obj = NULL;
	enum json_tokener_error jerr = json_tokener_success;
	size_t end = 0;

	if (!tok) {
		fputs("irx: out of memory\n", stderr);
		abort();
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!obj) {
		*why = jerr == json_tokener_continue ? "incomplete JSON"
						       : json_tokener_error_desc(jerr);
		goto out;
	}
	while (end < len && (line[end] == ' ' || line[end] == '\t' || line[end] == '\r'))
		end++;
	if (end < len) {
		*why = "text after the JSON value";
		json_object_put(obj);
		obj = NULL;
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		*why = "not a JSON object";
		json_object_put(obj);
		obj = NULL;
	}
out:
	json_tokener_free(tok);
	return obj;
}

struct json_object *irx_journal_read(const char *state_dir, const char *execution_id,
				     int *truncated, struct irx_error *err)
{
	return irx_journal_read_kind(&irx_journal_kind_execution, state_dir, execution_id,
				     truncated, err);
}

struct json_object *irx_journal_read_kind(const struct irx_journal_kind *k, const char *state_dir,
					  const char *execution_id, int *truncated,
					  struct irx_error *err)
{
	struct json_object *records = NULL;
	char *path = NULL;
	char *buf = NULL;
	size_t len = 0;
	size_t pos = 0;
	int lineno = 0;

	if (truncated)
		*truncated = 0;
	if (!k->valid(execution_id)) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid %s id '%s'", k->noun,
			      execution_id ? execution_id : "(null)");
		return NULL;
	}
	path = kind_path(k, state_dir, execution_id);
	if (irx_read_file(path, JOURNAL_MAX_BYTES, &buf, &len) < 0) {
		if (errno == ENOENT)
			irx_error_set(err, IRX_ERR_NOT_FOUND, "no %s '%s' in %s", k->noun,
				      execution_id, state_dir);
		else if (errno == EFBIG)
			irx_error_set(err, IRX_ERR_LIMIT, "journal '%s' is larger than %u MiB",
				      path, JOURNAL_MAX_BYTES / (1024 * 1024));
		else
			irx_error_set(err, IRX_ERR_IO, "cannot read journal '%s': %s", path,
				      strerror(errno));
		goto out;
	}
	records = json_object_new_array();
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		const char *why = NULL;
		struct json_object *rec = NULL;
		/* The last line: a crash (or power loss) mid-append can leave it torn. */
		bool last = !nl || (size_t)(nl - buf) + 1 == len;

		lineno++;
		pos += n + (nl ? 1 : 0);
		rec = parse_line(line, n, &why);
		if (rec) {
			json_object_array_add(records, rec);
			continue;
		}
		if (last) {
			if (truncated)
				*truncated = 1;
			break;
		}
		irx_error_set(err, IRX_ERR_PARSE, "journal '%s' line %d: %s", path, lineno, why);
		json_object_put(records);
		records = NULL;
		goto out;
	}
out:
	free(buf);
	free(path);
	return records;
}

/* ---- listing ------------------------------------------------------------ */

/* "2026-11-27T21:44:38.123Z" (fraction optional, "Z" or "+00:00") to Unix ms. */
static int iso8601_ms(const char *s, long long *out)
{
	struct tm tm = {0};
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
	long long ms = 0;
	time_t t = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
		return -1;
	s += n;
	if (*s == '.') {
		int digits = 0;

		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*s - '0');
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (strcmp(s, "Z") != 0 && strcmp(s, "+00:00") != 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (long long)t * 1000 + ms;
	return 0;
}

/* The journal's first line as a record (transferred), or NULL. */
static struct json_object *first_record(const char *path)
{
	char *buf = irx_xmalloc(FIRST_LINE_MAX + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t have = 0;
	char *nl = NULL;
	struct json_object *rec = NULL;
	const char *why = NULL;

	if (fd < 0)
		goto out;
	while (have < FIRST_LINE_MAX) {
		ssize_t n = read(fd, buf + have, FIRST_LINE_MAX - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (memchr(buf + have - (size_t)n, '\n', (size_t)n))
			break;
	}
	nl = memchr(buf, '\n', have);
	if (nl)
		rec = parse_line(buf, (size_t)(nl - buf), &why);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rec;
}

struct json_object *irx_journal_read_first(const char *state_dir, const char *execution_id)
{
	char *path = NULL;
	struct json_object *rec = NULL;

	if (!irx_execution_id_valid(execution_id))
		return NULL;
	path = kind_path(&irx_journal_kind_execution, state_dir, execution_id);
	rec = first_record(path);
	free(path);
	return rec;
}

/* The execution_start record's start_time, from the journal's first line. */
static int first_start_ms(const char *path, long long *out)
{
	struct json_object *rec = first_record(path), *v = NULL;
	int rc = -1;

	if (!rec || !json_object_object_get_ex(rec, "type", &v) ||
	    strcmp(json_object_get_string(v), "execution_start") != 0)
		goto out;
	if (!json_object_object_get_ex(rec, "start_time", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto out;
	rc = iso8601_ms(json_object_get_string(v), out);
out:
	json_object_put(rec);
	return rc;
}

struct list_entry {
	char id[IRX_EXECUTION_ID_LEN + 1];
	long long when_ms;
};

static int newest_first(const void *a, const void *b)
{
	const struct list_entry *x = a, *y = b;

	if (x->when_ms != y->when_ms)
		return x->when_ms > y->when_ms ? -1 : 1;
	return strcmp(y->id, x->id);
}

int irx_journal_list(const char *state_dir, irx_journal_each_fn *fn, void *ud,
		     struct irx_error *err)
{
	char *dir = irx_xasprintf("%s/executions", state_dir);
	DIR *d = opendir(dir);
	struct list_entry *entries = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de = NULL;
	int rc = -1;

	if (!d) {
		if (errno == ENOENT) {
			rc = 0; /* nothing has run yet */
		} else {
			irx_error_set(err, IRX_ERR_IO, "cannot read directory '%s': %s", dir,
				      strerror(errno));
		}
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char id[IRX_EXECUTION_ID_LEN + 1] = "";
		char *path = NULL;
		struct stat st;

		if (n != IRX_EXECUTION_ID_LEN + 6 || strcmp(de->d_name + IRX_EXECUTION_ID_LEN,
							      ".jsonl") != 0)
			continue;
		memcpy(id, de->d_name, IRX_EXECUTION_ID_LEN);
		if (!irx_execution_id_valid(id))
			continue;
		path = irx_xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			entries = irx_xrealloc(entries, cap * sizeof(*entries));
		}
		memcpy(entries[count].id, id, sizeof(id));
		if (first_start_ms(path, &entries[count].when_ms) < 0)
			entries[count].when_ms =
				(long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
		count++;
		free(path);
	}
	if (errno != 0) {
		irx_error_set(err, IRX_ERR_IO, "cannot read directory '%s': %s", dir,
			      strerror(errno));
		goto out;
	}
	if (count)
		qsort(entries, count, sizeof(*entries), newest_first);
	for (size_t i = 0; i < count; i++)
		fn(ud, entries[i].id);
	rc = 0;
out:
	if (d)
		closedir(d);
	free(entries);
	free(dir);
	return rc;
}

/* ---- summarising -------------------------------------------------------- */

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* A string member, or NULL when missing, null or not a string. */
static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int get_int(struct json_object *o, const char *key, long long *out)
{
	struct json_object *v = get(o, key);

	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s));
}

/* A value as text: strings as they are, anything else as compact JSON. */
static struct json_object *value_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_new_string(json_object_get_string(v));
	return json_object_new_string(json_object_to_json_string_ext(
		v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* SSM gives parameters and outputs as lists of strings: "x" -> ["x"], [1,"a"] -> ["1","a"]. */
static struct json_object *ssm_strings(struct json_object *v)
{
	struct json_object *out = json_object_new_array();

	if (!v)
		return out;
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(out, value_text(json_object_array_get_idx(v, i)));
	} else {
		json_object_array_add(out, value_text(v));
	}
	return out;
}

static struct json_object *ssm_string_lists(struct json_object *map)
{
	struct json_object *out = json_object_new_object();

	if (!json_object_is_type(map, json_type_object))
		return out;
	json_object_object_foreach(map, key, val) json_object_object_add(out, key, ssm_strings(val));
	return out;
}

/* SSM's step Inputs: each value as its JSON text ("running" -> "\"running\""). */
static struct json_object *ssm_inputs(struct json_object *map)
{
	struct json_object *out = json_object_new_object();

	if (!json_object_is_type(map, json_type_object))
		return out;
	json_object_object_foreach(map, key, val)
	{
		json_object_object_add(
			out, key,
			json_object_new_string(json_object_to_json_string_ext(
				val, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	}
	return out;
}

static bool str_in(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* SSM's FailureDetails from a journal error object {code, message, http_status, aws_*}. */
static struct json_object *failure_details(struct json_object *error)
{
	static const char *const throttling[] = {
		"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
		"TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
		"SlowDown", "ProvisionedThroughputExceededException", NULL,
	};
	static const char *const permission[] = {
		"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
		"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
		"ExpiredTokenException", "SignatureDoesNotMatch", NULL,
	};
	const char *code = get_str(error, "code");
	const char *aws_code = get_str(error, "aws_code");
	const char *aws_message = get_str(error, "aws_message");
	const char *request_id = get_str(error, "request_id");
	const char *stage = "Invocation";
	const char *type = "Action";
	long long http = 0;
	struct json_object *fd = json_object_new_object();
	struct json_object *details = json_object_new_object();

	if (get_int(error, "http_status", &http) < 0)
		http = 0;
	if (str_in(aws_code, throttling) || http == 429) {
		type = "Throttling";
	} else if (str_in(aws_code, permission) || http == 403 ||
		   (code && strcmp(code, "credentials") == 0)) {
		type = "Permission";
	} else if (code && strcmp(code, "invalid") == 0) {
		stage = "InputValidation";
		type = "Verification";
	} else if (str_in(code, (const char *const[]){"io", "nomem", "internal", NULL})) {
		type = "Internal";
	}
	add_str(fd, "FailureStage", stage);
	add_str(fd, "FailureType", type);
	if (code && *code)
		json_object_object_add(details, "Code", ssm_strings(get(error, "code")));
	if (aws_code && *aws_code)
		json_object_object_add(details, "AwsErrorCode", ssm_strings(get(error, "aws_code")));
	if (aws_message && *aws_message)
		json_object_object_add(details, "AwsErrorMessage",
				       ssm_strings(get(error, "aws_message")));
	if (http > 0)
		json_object_object_add(details, "HttpStatus", ssm_strings(get(error, "http_status")));
	if (request_id && *request_id)
		json_object_object_add(details, "RequestId", ssm_strings(get(error, "request_id")));
	json_object_object_add(fd, "Details", details);
	return fd;
}

/* The step execution being built, and what the summary needs besides its JSON. */
struct step_acc {
	struct json_object *obj; /* owned by the StepExecutions array */
	bool open;               /* a step_start without its step_end yet */
	long long attempts;
	long long sum_ms;         /* duration_ms of its attempts */
	long long last_duration_ms;
	bool have_duration;
};

static void step_finish_duration(struct step_acc *s)
{
	long long a = 0, b = 0;

	if (!s->obj)
		return;
	if (s->attempts <= 1 && s->have_duration) {
		json_object_object_add(s->obj, "DurationMs",
				       json_object_new_int64(s->last_duration_ms));
		return;
	}
	if (iso8601_ms(get_str(s->obj, "ExecutionStartTime"), &a) == 0 &&
	    iso8601_ms(get_str(s->obj, "ExecutionEndTime"), &b) == 0 && b >= a) {
		json_object_object_add(s->obj, "DurationMs", json_object_new_int64(b - a));
		return;
	}
	if (s->have_duration)
		json_object_object_add(s->obj, "DurationMs", json_object_new_int64(s->sum_ms));
}

static struct json_object *step_new(struct json_object *steps, struct json_object *rec)
{
	struct json_object *o = json_object_new_object();
	const char *name = get_str(rec, "step");
	const char *action = get_str(rec, "action");
	const char *start = get_str(rec, "start_time");

	add_str(o, "StepName", name ? name : "");
	add_str(o, "Action", action ? action : "");
	if (start)
		add_str(o, "ExecutionStartTime", start);
	add_str(o, "StepStatus", "InProgress");
	json_object_object_add(o, "Inputs", ssm_inputs(get(rec, "inputs")));
	json_object_object_add(o, "Outputs", json_object_new_object());
	/* The exception gate's checks, written before the action runs. */
	if (json_object_is_type(get(rec, "exceptions"), json_type_array))
		json_object_object_add(o, "Exceptions", json_object_get(get(rec, "exceptions")));
	json_object_array_add(steps, o);
	return o;
}

static bool is_failure_status(const char *status)
{
	return status && strcmp(status, "Success") != 0 && strcmp(status, "Skipped") != 0;
}

static void step_apply_end(struct step_acc *s, struct json_object *rec)
{
	const char *status = get_str(rec, "status");
	const char *end = get_str(rec, "end_time");
	const char *message = get_str(rec, "message");
	struct json_object *error = get(rec, "error");
	struct json_object *undo = get(rec, "undo");
	struct json_object *planned = get(rec, "planned_calls");
	long long duration = 0;

	add_str(s->obj, "StepStatus", status ? status : "Unknown");
	if (!get(s->obj, "ExecutionStartTime") && get_str(rec, "start_time"))
		add_str(s->obj, "ExecutionStartTime", get_str(rec, "start_time"));
	if (end)
		add_str(s->obj, "ExecutionEndTime", end);
	else
		json_object_object_del(s->obj, "ExecutionEndTime");
	if (json_object_is_type(get(s->obj, "Inputs"), json_type_object) &&
	    json_object_object_length(get(s->obj, "Inputs")) == 0 && get(rec, "inputs"))
		json_object_object_add(s->obj, "Inputs", ssm_inputs(get(rec, "inputs")));
	json_object_object_add(s->obj, "Outputs", ssm_string_lists(get(rec, "outputs")));
	/* A retried step that finally succeeded must not keep an earlier attempt's failure. */
	json_object_object_del(s->obj, "FailureMessage");
	json_object_object_del(s->obj, "FailureDetails");
	json_object_object_del(s->obj, "Message");
	if (is_failure_status(status)) {
		const char *why = message && *message ? message : get_str(error, "message");

		if (why && *why)
			add_str(s->obj, "FailureMessage", why);
		if (json_object_is_type(error, json_type_object))
			json_object_object_add(s->obj, "FailureDetails", failure_details(error));
	} else if (message && *message) {
		add_str(s->obj, "Message", message);
	}
	if (json_object_is_type(undo, json_type_object))
		json_object_object_add(s->obj, "Undo", json_object_get(undo));
	else
		json_object_object_del(s->obj, "Undo");
	if (json_object_is_type(planned, json_type_array) && json_object_array_length(planned))
		json_object_object_add(s->obj, "PlannedCalls", json_object_get(planned));
	if (json_object_is_type(get(rec, "exceptions"), json_type_array))
		json_object_object_add(s->obj, "Exceptions", json_object_get(get(rec, "exceptions")));
	if (get_int(rec, "duration_ms", &duration) == 0) {
		s->sum_ms += duration;
		s->last_duration_ms = duration;
		s->have_duration = true;
	}
	s->open = false;
}

/* Rebuilds a step execution with SSM's key order (json-c keeps insertion order). */
static struct json_object *step_ordered(struct json_object *step)
{
	static const char *const order[] = {
		"StepName", "Action", "ExecutionStartTime", "ExecutionEndTime", "StepStatus",
		"Inputs", "Outputs", "FailureMessage", "FailureDetails", "Attempts", "DurationMs",
		"Message", "Exceptions", "Undo", "PlannedCalls", NULL,
	};
	struct json_object *out = json_object_new_object();

	for (size_t i = 0; order[i]; i++) {
		struct json_object *v = get(step, order[i]);

		if (v)
			json_object_object_add(out, order[i], json_object_get(v));
	}
	return out;
}

static void count_status(long long counters[5], const char *status)
{
	/* Total, Success, Failed, TimedOut, Cancelled */
	counters[0]++;
	if (!status)
		return;
	if (strcmp(status, "Success") == 0)
		counters[1]++;
	else if (strcmp(status, "Failed") == 0)
		counters[2]++;
	else if (strcmp(status, "TimedOut") == 0)
		counters[3]++;
	else if (strcmp(status, "Cancelled") == 0)
		counters[4]++;
}

struct json_object *irx_journal_summarise_state(struct json_object *records, int running)
{
	struct json_object *out = json_object_new_object();
	struct json_object *steps = json_object_new_array();
	struct json_object *start = NULL, *end = NULL;
	struct step_acc cur = {0};
	const char *status = NULL;
	const char *s = NULL;
	long long counters[5] = {0};
	long long duration = 0, a = 0, b = 0;
	struct json_object *counts = NULL;
	struct json_object *resumes = NULL;
	bool dry_run = false;

	for (size_t i = 0; i < json_object_array_length(records); i++) {
		struct json_object *rec = json_object_array_get_idx(records, i);
		const char *type = get_str(rec, "type");
		const char *step = get_str(rec, "step");
		long long attempt = 1;
		bool same = cur.obj && step && strcmp(get_str(cur.obj, "StepName"), step) == 0;

		if (!type)
			continue;
		if (get_int(rec, "attempt", &attempt) < 0 || attempt < 1)
			attempt = 1;
		if (strcmp(type, "execution_start") == 0) {
			start = rec;
		} else if (strcmp(type, "execution_end") == 0) {
			end = rec;
		} else if (strcmp(type, "resume") == 0) {
			/* irx resume: the step a crash cut short stays Interrupted; a re-run of it
			 * is a step execution of its own */
			struct json_object *r = json_object_new_object();

			if (cur.obj && cur.open) {
				add_str(cur.obj, "StepStatus", "Interrupted");
				step_finish_duration(&cur);
				memset(&cur, 0, sizeof(cur));
			}
			add_str(r, "ResumeTime",
				get_str(rec, "resume_time") ? get_str(rec, "resume_time") : "");
			json_object_object_add(r, "FromStep", json_object_get(get(rec, "from_step")));
			json_object_object_add(r, "RerunStep", json_object_get(get(rec, "rerun_step")));
			json_object_object_add(r, "Forced", json_object_get(get(rec, "forced")));
			if (!resumes)
				resumes = json_object_new_array();
			json_object_array_add(resumes, r);
			continue;
		} else if (strcmp(type, "step_start") == 0) {
			/* A later attempt continues the step execution; attempt 1 starts a new one
			 * (a nextStep loop runs the same step again). */
			if (same && attempt > cur.attempts && !cur.open) {
				cur.attempts = attempt;
				cur.open = true;
				add_str(cur.obj, "StepStatus", "InProgress");
				json_object_object_del(cur.obj, "ExecutionEndTime");
				json_object_object_add(cur.obj, "Attempts",
						       json_object_new_int64(cur.attempts));
				continue;
			}
			step_finish_duration(&cur);
			memset(&cur, 0, sizeof(cur));
			cur.obj = step_new(steps, rec);
			cur.attempts = attempt;
			cur.open = true;
		} else if (strcmp(type, "step_end") == 0) {
			if (!(same && (cur.open || attempt > cur.attempts))) {
				step_finish_duration(&cur);
				memset(&cur, 0, sizeof(cur));
				cur.obj = step_new(steps, rec);
			}
			if (attempt > cur.attempts)
				cur.attempts = attempt;
			step_apply_end(&cur, rec);
		}
		if (cur.obj)
			json_object_object_add(cur.obj, "Attempts", json_object_new_int64(cur.attempts));
	}
	step_finish_duration(&cur);

	s = get_str(start, "execution_id");
	if (s)
		add_str(out, "AutomationExecutionId", s);
	s = get_str(start, "runbook");
	if (s)
		add_str(out, "DocumentName", s);
	s = get_str(start, "start_time");
	if (s)
		add_str(out, "ExecutionStartTime", s);
	if (end && get_str(end, "end_time"))
		add_str(out, "ExecutionEndTime", get_str(end, "end_time"));
	if (end)
		status = get_str(end, "status") ? get_str(end, "status") : "Unknown";
	else
		status = running ? "InProgress" : "Interrupted";
	add_str(out, "AutomationExecutionStatus", status);
	if (!end && cur.open)
		add_str(cur.obj, "StepStatus", status);
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *step = json_object_array_get_idx(steps, i);

		count_status(counters, get_str(step, "StepStatus"));
		json_object_array_put_idx(steps, i, step_ordered(step));
	}
	/* cur.obj was freed by the reordering; it is always the last step execution. */
	if (cur.obj)
		cur.obj = json_object_array_get_idx(steps, json_object_array_length(steps) - 1);
	json_object_object_add(out, "StepExecutions", steps);
	if (resumes)
		json_object_object_add(out, "Resumes", resumes);
	json_object_object_add(out, "Parameters", ssm_string_lists(get(start, "parameters")));
	json_object_object_add(out, "Outputs", ssm_string_lists(get(end, "outputs")));
	s = get_str(end, "failure_message");
	if (s && *s) {
		add_str(out, "FailureMessage", s);
	} else if (!end && !running) {
		/* Not SSM's: say what we know, since no end record will ever come. */
		char *msg = cur.obj && cur.open
				    ? irx_xasprintf("execution interrupted during step '%s'",
						    get_str(cur.obj, "StepName"))
				    : irx_xstrdup("execution interrupted");

		add_str(out, "FailureMessage", msg);
		free(msg);
	}
	add_str(out, "Mode", "Auto");
	s = get_str(start, "parent_execution_id");
	if (s && *s)
		add_str(out, "ParentAutomationExecutionId", s);
	if (!end && cur.obj && cur.open) {
		add_str(out, "CurrentStepName", get_str(cur.obj, "StepName"));
		add_str(out, "CurrentAction", get_str(cur.obj, "Action"));
	}
	counts = json_object_new_object();
	json_object_object_add(counts, "TotalSteps", json_object_new_int64(counters[0]));
	json_object_object_add(counts, "SuccessSteps", json_object_new_int64(counters[1]));
	json_object_object_add(counts, "FailedSteps", json_object_new_int64(counters[2]));
	json_object_object_add(counts, "TimedOutSteps", json_object_new_int64(counters[3]));
	json_object_object_add(counts, "CancelledSteps", json_object_new_int64(counters[4]));
	json_object_object_add(out, "ProgressCounters", counts);

	/* irx's own fields, after SSM's. */
	s = get_str(start, "mode");
	add_str(out, "Operation", s && strcmp(s, "rollback") == 0 ? "Rollback" : "Run");
	dry_run = json_object_get_boolean(get(start, "dry_run"));
	json_object_object_add(out, "DryRun", json_object_new_boolean(dry_run));
	if (end && get_int(end, "duration_ms", &duration) == 0)
		json_object_object_add(out, "DurationMs", json_object_new_int64(duration));
	else if (end && iso8601_ms(get_str(start, "start_time"), &a) == 0 &&
		 iso8601_ms(get_str(end, "end_time"), &b) == 0 && b >= a)
		json_object_object_add(out, "DurationMs", json_object_new_int64(b - a));
	s = get_str(start, "account_id");
	if (s && *s)
		add_str(out, "AccountId", s);
	s = get_str(start, "region");
	if (s && *s)
		add_str(out, "Region", s);
	s = get_str(start, "case_id");
	if (s && *s)
		add_str(out, "CaseId", s);
	s = get_str(start, "runbook_path");
	if (s && *s)
		add_str(out, "RunbookPath", s);
	s = get_str(start, "irx_version");
	if (s && *s)
		add_str(out, "IrxVersion", s);
	/* Exceptions (only when they matter, so older journals summarise as before). */
	if (json_object_get_boolean(get(start, "ignore_exceptions")))
		json_object_object_add(out, "IgnoreExceptions", json_object_new_boolean(1));
	s = get_str(start, "exception_registry");
	if (s && *s)
		add_str(out, "ExceptionRegistry", s);
	{
		struct json_object *skipped = json_object_new_array();

		for (size_t i = 0; i < json_object_array_length(steps); i++) {
			struct json_object *st = json_object_array_get_idx(steps, i);
			const char *ss = get_str(st, "StepStatus");

			/* skipped by an exception (the gate's checks are on the step) */
			if (ss && strcmp(ss, "Skipped") == 0 && get(st, "Exceptions"))
				json_object_array_add(skipped,
						      json_object_new_string(get_str(st, "StepName")));
		}
		if (json_object_array_length(skipped))
			json_object_object_add(out, "SkippedSteps", skipped);
		else
			json_object_put(skipped);
	}
	return out;
}

struct json_object *irx_journal_summarise(struct json_object *records)
{
	return irx_journal_summarise_state(records, 1);
}
