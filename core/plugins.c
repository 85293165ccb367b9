/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plugin loader.
 *
 * A plugin is code that runs with the responder's AWS credentials, so the
 * loader refuses anything someone other than its owner (root or the current
 * user) could have written, and anything that does not describe itself
 * exactly as the ABI says.
 *
 * Decisions:
 * - Symlinks are followed (packagers link foo.so -> foo.so.1.2), but what is
 *   checked is the target: the opened file itself (fstat on the fd), the
 *   directory it really lives in, and the directory holding the link, since
 *   whoever can write there can repoint the link.
 * - No TOCTOU between checking and loading: the file is opened once, checked
 *   with fstat on that fd, and dlopen'd through /proc/self/fd/N, so the code
 *   mapped is the inode that was checked even if the path is swapped in
 *   between. glibc recognises an already-loaded object by the name it was
 *   opened with (and by every name later dlopen'd onto it), and fd numbers are
 *   reused, so a plain "/proc/self/fd/N" could hand back an object loaded
 *   earlier through the same number and still alive (RTLD_NODELETE, or shared
 *   by inode). Each load therefore spells the path uniquely: "./" and ".//"
 *   steps, which the kernel ignores, encode a per-process counter
 *   ("/proc/self/fd/././/./5"). Without /proc the loader dlopens the real path
 *   and checks afterwards that it still names the checked inode; that leaves a
 *   window only for someone who can already write the (checked) directory.
 * - Only the containing directory is checked, not every ancestor.
 */
#include "plugins.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/client.h"
#include "error.h"
#include "host.h"
#include "util.h"

/* The 1.0 descriptor ends with fini; later minors append after it. */
#define PLUGIN_SIZE_1_0 (offsetof(struct irx_plugin, fini) + sizeof(((struct irx_plugin *)0)->fini))

/* A 1.0 plugin's actions array: struct irx_action before aws_calls was appended. */
#define ACTION_SIZE_1_0 (offsetof(struct irx_action, aws_calls))

#define MAX_NAME 64
#define MAX_AWS_CALLS 1024
#define MAX_ACTIONS 1024
#define MAX_PARAMS 256
#define KNOWN_PARAM_FLAGS (IRX_PARAM_REQUIRED | IRX_PARAM_SECRET | IRX_PARAM_RESOURCE)
#define PLUGIN_ACTION_FLAGS (IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT)

struct entry {
	struct irx_loaded_plugin pub; /* first: callers get &pub */
	struct irx_action *actions_1_0; /* a 1.0 plugin's actions widened; owned */
	dev_t dev;
	ino_t ino;
};

struct refusal {
	char *path;
	struct irx_error err;
};

struct irx_plugins {
	char **dirs;
	size_t dir_count;
	const struct irx_host *host;
	struct entry **loaded;
	size_t loaded_count, loaded_cap;
	struct refusal *refused;
	size_t refused_count, refused_cap;
};

struct irx_plugins *irx_plugins_new(const char *const *dirs, size_t count,
				    const struct irx_host *host)
{
	struct irx_plugins *p = irx_xcalloc(1, sizeof(*p));

	p->dirs = irx_xcalloc(count ? count : 1, sizeof(char *));
	for (size_t i = 0; i < count; i++)
		p->dirs[i] = irx_xstrdup(dirs[i]);
	p->dir_count = count;
	/* without a table of the caller's, plugins get the host's own, which has no AWS */
	p->host = host ? host : irx_host_table(false);
	return p;
}

static void entry_free(struct entry *e)
{
	if (!e)
		return;
	if (e->pub.desc.fini)
		e->pub.desc.fini(e->pub.plugin_data);
	if (e->pub.handle)
		dlclose(e->pub.handle);
	free(e->actions_1_0);
	free(e->pub.path);
	free(e);
}

void irx_plugins_free(struct irx_plugins *plugins)
{
	if (!plugins)
		return;
	/* Reverse load order, like destructors. */
	for (size_t i = plugins->loaded_count; i > 0; i--)
		entry_free(plugins->loaded[i - 1]);
	for (size_t i = 0; i < plugins->refused_count; i++)
		free(plugins->refused[i].path);
	for (size_t i = 0; i < plugins->dir_count; i++)
		free(plugins->dirs[i]);
	free(plugins->loaded);
	free(plugins->refused);
	free(plugins->dirs);
	free(plugins);
}

/* A letter, then letters, digits, '_' or '-': safe in a file name and before ':'. */
static bool valid_name(const char *s)
{
	size_t n = 0;

	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return n <= MAX_NAME;
}

#define NAME_RULE "a letter, then letters, digits, '_' or '-', at most 64"

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISCHR(mode))
		return "character device";
	if (S_ISBLK(mode))
		return "block device";
	if (S_ISLNK(mode))
		return "symbolic link";
	return "unknown file type";
}

static void refuse(struct irx_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(struct irx_error *err, const char *path, const char *fmt, ...)
{
	char why[768] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	irx_error_set(err, IRX_ERR_PLUGIN, "refusing plugin '%s': %s", path, why);
}

/*
 * The one rule for files and directories: owned by root or the current user,
 * writable by nobody else. what: "file" or "directory '/x'".
 */
static int check_safe(const struct stat *st, const char *what, char *why, size_t len)
{
	uid_t me = geteuid();
	mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(why, len, "%s is owned by uid %u, not root or the current user (uid %u)",
			 what, (unsigned)st->st_uid, (unsigned)me);
		return -1;
	}
	if (w) {
		snprintf(why, len, "%s is %s (mode %04o)", what,
			 w == (S_IWGRP | S_IWOTH) ? "group- and world-writable"
			 : w == S_IWGRP		  ? "group-writable"
						  : "world-writable",
			 (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

static int check_dir(const char *dir, char *why, size_t len)
{
	struct stat st;
	char what[PATH_MAX + 32] = "";

	if (stat(dir, &st) < 0) {
		snprintf(why, len, "cannot check directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	snprintf(what, sizeof(what), "directory '%s'", dir);
	return check_safe(&st, what, why, len);
}

/* The directory part of path ("." when none), as a new string. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return irx_xstrdup(".");
	if (slash == path)
		return irx_xstrdup("/");
	return irx_xstrndup(path, (size_t)(slash - path));
}

/* Where the open fd really lives: /proc's link, or realpath as a fallback. */
static char *real_path_of(int fd, const char *path)
{
	char proc[64] = "";
	char buf[PATH_MAX] = "";
	ssize_t n = 0;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf) - 1);
	if (n > 0 && buf[0] == '/') {
		buf[n] = '\0';
		return irx_xstrdup(buf);
	}
	if (realpath(path, buf))
		return irx_xstrdup(buf);
	return NULL;
}

/* Checks the directory the file really lives in and the one the given path names. */
static int check_dirs(int fd, const char *path, char *why, size_t len)
{
	char *real = real_path_of(fd, path);
	char *real_dir = NULL, *given_dir = NULL;
	char given_real[PATH_MAX] = "";
	int rc = -1;

	if (!real) {
		snprintf(why, len, "cannot resolve its real path: %s", strerror(errno));
		goto out;
	}
	real_dir = dir_of(real);
	if (check_dir(real_dir, why, len) < 0)
		goto out;
	given_dir = dir_of(path);
	if (!realpath(given_dir, given_real)) {
		snprintf(why, len, "cannot resolve directory '%s': %s", given_dir, strerror(errno));
		goto out;
	}
	if (strcmp(given_real, real_dir) != 0 && check_dir(given_real, why, len) < 0)
		goto out;
	rc = 0;
out:
	free(real);
	free(real_dir);
	free(given_dir);
	return rc;
}

/* dlerror() names what was passed to dlopen; the caller already names the file. */
static const char *strip_dl_prefix(const char *msg, const char *dlname)
{
	size_t n = strlen(dlname);

	if (msg && strncmp(msg, dlname, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg ? msg : "unknown error";
}

/* True when /proc/self/fd/N names the same inode as st (so /proc is usable). */
static bool proc_fd_usable(int fd, const struct stat *st)
{
	char proc[64] = "";
	struct stat pst;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return stat(proc, &pst) == 0 && pst.st_dev == st->st_dev && pst.st_ino == st->st_ino;
}

/*
 * "/proc/self/fd/<steps>N" with steps encoding a fresh counter value: a name
 * glibc has never seen in this process (see the note at the top).
 */
static void unique_fd_name(int fd, char *buf, size_t len)
{
	static unsigned long long counter;
	unsigned long long c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	size_t n = (size_t)snprintf(buf, len, "/proc/self/fd/");
	int top = 63;

	while (top > 0 && !(c >> top & 1))
		top--;
	for (int bit = top; bit >= 0 && n + 4 < len; bit--)
		n += (size_t)snprintf(buf + n, len - n, "%s", (c >> bit & 1) ? ".//" : "./");
	snprintf(buf + n, len - n, "%d", fd);
}

/* dlopens the file open on fd (checked with st). Returns the handle, or NULL with why set. */
static void *dlopen_fd(int fd, const char *path, const struct stat *st, char *dlname,
		       size_t dlname_len, char *why, size_t len)
{
	void *h = NULL;
	struct stat after;

	if (proc_fd_usable(fd, st)) {
		unique_fd_name(fd, dlname, dlname_len);
		(void)dlerror();
		h = dlopen(dlname, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			snprintf(why, len, "dlopen failed: %s", strip_dl_prefix(dlerror(), dlname));
		return h;
	}
	/* No /proc: load by path, then make sure it was the checked inode. */
	{
		char *real = real_path_of(fd, path);

		if (!real) {
			snprintf(why, len, "cannot resolve its real path: %s", strerror(errno));
			return NULL;
		}
		snprintf(dlname, dlname_len, "%s", real);
		free(real);
	}
	(void)dlerror();
	h = dlopen(dlname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, len, "dlopen failed: %s", strip_dl_prefix(dlerror(), dlname));
		return NULL;
	}
	if (stat(dlname, &after) < 0 || after.st_dev != st->st_dev || after.st_ino != st->st_ino) {
		dlclose(h);
		snprintf(why, len, "the file was replaced while it was being loaded");
		return NULL;
	}
	return h;
}

static const char *type_name(enum irx_param_type t)
{
	switch (t) {
	case IRX_PARAM_STRING:
		return "String";
	case IRX_PARAM_STRING_LIST:
		return "StringList";
	case IRX_PARAM_INTEGER:
		return "Integer";
	case IRX_PARAM_BOOLEAN:
		return "Boolean";
	case IRX_PARAM_MAP_LIST:
		return "MapList";
	case IRX_PARAM_STRING_MAP:
		return "StringMap";
	case IRX_PARAM_ANY:
		return "Any";
	}
	return NULL;
}

/* The {0} terminators, field by field (padding need not be zero). */
static bool param_end(const struct irx_param *pa)
{
	return !pa->name && !pa->type && !pa->flags && !pa->default_value && !pa->help;
}

static bool action_end(const struct irx_action *a)
{
	return !a->name && !a->summary && !a->flags && !a->params && !a->execute && !a->rollback &&
	       !a->aws_calls;
}

/*
 * The declared AWS calls must name operations of irx's models exactly as the models spell
 * them ("ec2:DescribeInstances"): the host compares calls against them and `irx policy`
 * turns them into IAM actions, so an alias or a typo would grant or allow the wrong thing.
 */
static int check_aws_calls(const struct irx_action *a, char *why, size_t len)
{
	if (!a->aws_calls)
		return 0;
	for (size_t n = 0; a->aws_calls[n]; n++) {
		const char *c = a->aws_calls[n];
		const char *colon = strchr(c, ':');
		const char *sid = NULL, *oname = NULL;
		char svc[128] = "";
		struct irx_error err = {0};

		if (n == MAX_AWS_CALLS) {
			snprintf(why, len,
				 "action '%s' declares more than %d AWS calls (missing NULL "
				 "terminator?)",
				 a->name, MAX_AWS_CALLS);
			return -1;
		}
		if (!colon || colon == c || !colon[1] || (size_t)(colon - c) >= sizeof(svc)) {
			snprintf(why, len,
				 "action '%s' declares AWS call '%s', which is not "
				 "\"service:Operation\"",
				 a->name, c);
			return -1;
		}
		memcpy(svc, c, (size_t)(colon - c));
		if (irx_aws_lookup(svc, colon + 1, &sid, &oname, NULL, &err) < 0) {
			snprintf(why, len, "action '%s' declares unknown AWS call '%s' (%s)", a->name,
				 c, err.message);
			return -1;
		}
		if (strcmp(sid, svc) != 0 || strcmp(oname, colon + 1) != 0) {
			snprintf(why, len,
				 "action '%s' declares AWS call '%s'; spell it as the model does: "
				 "'%s:%s'",
				 a->name, c, sid, oname);
			return -1;
		}
		for (size_t k = 0; k < n; k++)
			if (strcmp(a->aws_calls[k], c) == 0) {
				snprintf(why, len, "action '%s' declares AWS call '%s' twice",
					 a->name, c);
				return -1;
			}
	}
	return 0;
}

/* A default must convert to its type, or the first run that relies on it fails. */
static int check_default(const struct irx_param *pa, char *why, size_t len)
{
	const char *d = pa->default_value;
	struct json_object *j = NULL;
	int rc = 0;

	if (!d)
		return 0;
	switch (pa->type) {
	case IRX_PARAM_INTEGER: {
		char *end = NULL;

		errno = 0;
		(void)strtoll(d, &end, 10);
		if (!*d || *end || errno)
			rc = -1;
		break;
	}
	case IRX_PARAM_BOOLEAN:
		rc = strcmp(d, "true") == 0 || strcmp(d, "false") == 0 ? 0 : -1;
		break;
	case IRX_PARAM_MAP_LIST:
	case IRX_PARAM_STRING_MAP:
		j = json_tokener_parse(d);
		if (pa->type == IRX_PARAM_MAP_LIST)
			rc = json_object_is_type(j, json_type_array) ? 0 : -1;
		else
			rc = json_object_is_type(j, json_type_object) ? 0 : -1;
		json_object_put(j);
		break;
	default:
		break;
	}
	if (rc < 0)
		snprintf(why, len, "parameter '%s' has a default \"%s\" that is not a %s", pa->name,
			 d, type_name(pa->type));
	return rc;
}

static int check_params(const struct irx_action *a, char *why, size_t len)
{
	char sub[512] = "";
	size_t n = 0;

	if (!a->params)
		return 0;
	for (n = 0; !param_end(&a->params[n]); n++) {
		const struct irx_param *pa = &a->params[n];

		if (n == MAX_PARAMS) {
			snprintf(why, len, "action '%s' has more than %d parameters (missing {0}?)",
				 a->name, MAX_PARAMS);
			return -1;
		}
		if (!pa->name || !*pa->name) {
			snprintf(why, len, "action '%s': parameter #%zu has no name", a->name,
				 n + 1);
			return -1;
		}
		if (!valid_name(pa->name)) {
			snprintf(why, len, "action '%s': parameter name '%s' is invalid (%s)",
				 a->name, pa->name, NAME_RULE);
			return -1;
		}
		if (pa->type == IRX_PARAM_ANY) {
			snprintf(why, len,
				 "action '%s': parameter '%s' has type Any, which only built-in "
				 "actions may use",
				 a->name, pa->name);
			return -1;
		}
		if (!type_name(pa->type)) {
			snprintf(why, len, "action '%s': parameter '%s' has invalid type %d",
				 a->name, pa->name, (int)pa->type);
			return -1;
		}
		if (pa->flags & ~KNOWN_PARAM_FLAGS) {
			snprintf(why, len, "action '%s': parameter '%s' has unknown flags 0x%x",
				 a->name, pa->name, (unsigned)(pa->flags & ~KNOWN_PARAM_FLAGS));
			return -1;
		}
		if (check_default(pa, sub, sizeof(sub)) < 0) {
			snprintf(why, len, "action '%s': %s", a->name, sub);
			return -1;
		}
		for (size_t k = 0; k < n; k++)
			if (strcmp(a->params[k].name, pa->name) == 0) {
				snprintf(why, len, "action '%s' declares parameter '%s' twice",
					 a->name, pa->name);
				return -1;
			}
	}
	return 0;
}

static int check_actions(const struct irx_action *actions, char *why, size_t len)
{
	size_t n = 0;

	if (!actions || action_end(&actions[0])) {
		snprintf(why, len, "it declares no actions");
		return -1;
	}
	for (n = 0; !action_end(&actions[n]); n++) {
		const struct irx_action *a = &actions[n];

		if (n == MAX_ACTIONS) {
			snprintf(why, len, "more than %d actions (missing {0} terminator?)",
				 MAX_ACTIONS);
			return -1;
		}
		if (!a->name || !*a->name) {
			snprintf(why, len, "action #%zu has no name", n + 1);
			return -1;
		}
		if (!valid_name(a->name)) {
			snprintf(why, len, "action name '%s' is invalid (%s)", a->name, NAME_RULE);
			return -1;
		}
		if (!a->execute) {
			snprintf(why, len, "action '%s' has no execute function", a->name);
			return -1;
		}
		if (a->flags & IRX_ACTION_OPEN_INPUTS) {
			snprintf(why, len,
				 "action '%s' sets IRX_ACTION_OPEN_INPUTS, which only built-in "
				 "actions may use",
				 a->name);
			return -1;
		}
		if (a->flags & ~PLUGIN_ACTION_FLAGS) {
			snprintf(why, len, "action '%s' has unknown flags 0x%x", a->name,
				 (unsigned)(a->flags & ~PLUGIN_ACTION_FLAGS));
			return -1;
		}
		for (size_t k = 0; k < n; k++)
			if (strcmp(actions[k].name, a->name) == 0) {
				snprintf(why, len, "it declares action '%s' twice", a->name);
				return -1;
			}
		if (check_params(a, why, len) < 0 || check_aws_calls(a, why, len) < 0)
			return -1;
	}
	return 0;
}

/*
 * A 1.0 plugin's actions array has 1.0-sized elements: copies them into zeroed current
 * ones (aws_calls NULL), up to and including the terminator. Returns NULL when there is
 * no terminator within MAX_ACTIONS (check_actions then reports it on the copy).
 */
static struct irx_action *widen_actions_1_0(const void *raw)
{
	struct irx_action *out = irx_xcalloc(MAX_ACTIONS + 1, sizeof(*out));

	if (!raw)
		return out;
	for (size_t n = 0; n <= MAX_ACTIONS; n++) {
		memcpy(&out[n], (const char *)raw + n * ACTION_SIZE_1_0, ACTION_SIZE_1_0);
		if (action_end(&out[n]))
			break;
	}
	return out;
}

/*
 * Checks what entry returned and copies it into *out, honouring its size. A 1.0 plugin's
 * actions are widened into *widened (owned by the caller, NULL otherwise).
 */
static int check_descriptor(const struct irx_plugin *raw, struct irx_plugin *out,
			    struct irx_action **widened, char *why, size_t len)
{
	memset(out, 0, sizeof(*out));
	*widened = NULL;
	if (raw->abi_major != IRX_PLUGIN_ABI_MAJOR) {
		snprintf(why, len, "built for plugin ABI %u.%u, irx speaks %d.%d",
			 (unsigned)raw->abi_major, (unsigned)raw->abi_minor, IRX_PLUGIN_ABI_MAJOR,
			 IRX_PLUGIN_ABI_MINOR);
		return -1;
	}
	if (raw->abi_minor > IRX_PLUGIN_ABI_MINOR) {
		snprintf(why, len,
			 "built for plugin ABI %u.%u, irx speaks %d.%d (it needs a newer irx)",
			 (unsigned)raw->abi_major, (unsigned)raw->abi_minor, IRX_PLUGIN_ABI_MAJOR,
			 IRX_PLUGIN_ABI_MINOR);
		return -1;
	}
	if (raw->size < PLUGIN_SIZE_1_0) {
		snprintf(why, len,
			 "descriptor size %u is smaller than the plugin ABI 1.0 descriptor (%zu "
			 "bytes)",
			 (unsigned)raw->size, (size_t)PLUGIN_SIZE_1_0);
		return -1;
	}
	memcpy(out, raw, raw->size < sizeof(*out) ? raw->size : sizeof(*out));
	if (out->abi_minor == 0 && out->actions) {
		*widened = widen_actions_1_0(out->actions);
		out->actions = *widened;
	}
	if (!out->name || !*out->name) {
		snprintf(why, len, "its descriptor has no name");
		return -1;
	}
	if (!valid_name(out->name)) {
		snprintf(why, len, "plugin name '%s' is invalid (%s)", out->name, NAME_RULE);
		return -1;
	}
	if (!out->version || !*out->version) {
		snprintf(why, len, "plugin '%s' has no version", out->name);
		return -1;
	}
	return check_actions(out->actions, why, len);
}

static struct entry *find_loaded(const struct irx_plugins *p, const char *name)
{
	for (size_t i = 0; i < p->loaded_count; i++)
		if (strcmp(p->loaded[i]->pub.desc.name, name) == 0)
			return p->loaded[i];
	return NULL;
}

static const struct irx_error *find_refused(const struct irx_plugins *p, const char *path)
{
	for (size_t i = 0; i < p->refused_count; i++)
		if (strcmp(p->refused[i].path, path) == 0)
			return &p->refused[i].err;
	return NULL;
}

static void remember_refusal(struct irx_plugins *p, const char *path, const struct irx_error *err)
{
	if (p->refused_count == p->refused_cap) {
		p->refused_cap = p->refused_cap ? 2 * p->refused_cap : 8;
		p->refused = irx_xrealloc(p->refused, p->refused_cap * sizeof(*p->refused));
	}
	p->refused[p->refused_count].path = irx_xstrdup(path);
	p->refused[p->refused_count].err = *err;
	p->refused_count++;
}

/* Takes ownership of e. Calls init; on failure frees e and returns NULL. */
static struct entry *admit(struct irx_plugins *p, struct entry *e, const char *who,
			   struct irx_error *err)
{
	int rc = 0;

	if (e->pub.desc.init) {
		rc = e->pub.desc.init(p->host, &e->pub.plugin_data);
		if (rc != 0) {
			e->pub.desc.fini = NULL; /* init failed: nothing to finish */
			refuse(err, who, "its init failed (returned %d)", rc);
			entry_free(e);
			return NULL;
		}
	}
	if (p->loaded_count == p->loaded_cap) {
		p->loaded_cap = p->loaded_cap ? 2 * p->loaded_cap : 8;
		p->loaded = irx_xrealloc(p->loaded, p->loaded_cap * sizeof(*p->loaded));
	}
	p->loaded[p->loaded_count++] = e;
	return e;
}

static void describe_owner(const struct entry *e, char *buf, size_t len)
{
	if (e->pub.path)
		snprintf(buf, len, "from '%s'", e->pub.path);
	else
		snprintf(buf, len, "(linked into irx)");
}

/* The checks proper. name: from the file name, already valid. */
static const struct irx_loaded_plugin *load_file_checked(struct irx_plugins *p, const char *path,
							 const char *name, struct irx_error *err)
{
	struct stat st, fst;
	struct entry *e = NULL;
	struct entry *other = NULL;
	char why[768] = "";
	char dlname[PATH_MAX] = "";
	char owner[PATH_MAX + 32] = "";
	void *sym = NULL;
	irx_plugin_entry_fn *entry_fn = NULL;
	const struct irx_plugin *raw = NULL;
	struct link_map *lm = NULL;
	Dl_info info;
	int fd = -1;

	if (stat(path, &st) < 0) {
		refuse(err, path, "cannot open it: %s", strerror(errno));
		return NULL;
	}
	other = find_loaded(p, name);
	if (other) {
		if (other->pub.path && other->dev == st.st_dev && other->ino == st.st_ino)
			return &other->pub;
		describe_owner(other, owner, sizeof(owner));
		refuse(err, path, "plugin '%s' is already loaded %s", name, owner);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		refuse(err, path, "not a regular file (%s)", file_kind(st.st_mode));
		return NULL;
	}
	/* O_NONBLOCK: a fifo swapped in after stat must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		refuse(err, path, "cannot open it: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &fst) < 0) {
		refuse(err, path, "cannot stat it: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(fst.st_mode)) {
		refuse(err, path, "not a regular file (%s)", file_kind(fst.st_mode));
		goto fail;
	}
	if (check_safe(&fst, "file", why, sizeof(why)) < 0 ||
	    check_dirs(fd, path, why, sizeof(why)) < 0) {
		refuse(err, path, "%s", why);
		goto fail;
	}
	e = irx_xcalloc(1, sizeof(*e));
	e->pub.handle = dlopen_fd(fd, path, &fst, dlname, sizeof(dlname), why, sizeof(why));
	if (!e->pub.handle) {
		refuse(err, path, "%s", why);
		goto fail;
	}
	(void)dlerror();
	sym = dlsym(e->pub.handle, IRX_PLUGIN_ENTRY_SYMBOL);
	/* dlsym also searches the plugin's dependencies: the symbol must be its own. */
	if (sym && (dlinfo(e->pub.handle, RTLD_DI_LINKMAP, &lm) != 0 || !dladdr(sym, &info) ||
		    !info.dli_fname || !lm || strcmp(info.dli_fname, lm->l_name) != 0))
		sym = NULL;
	if (!sym) {
		refuse(err, path, "it has no entry symbol '%s' (define it with IRX_PLUGIN_DEFINE)",
		       IRX_PLUGIN_ENTRY_SYMBOL);
		goto fail;
	}
	memcpy(&entry_fn, &sym, sizeof(entry_fn));
	raw = entry_fn();
	if (!raw) {
		refuse(err, path, "its entry '%s' returned NULL", IRX_PLUGIN_ENTRY_SYMBOL);
		goto fail;
	}
	if (check_descriptor(raw, &e->pub.desc, &e->actions_1_0, why, sizeof(why)) < 0) {
		refuse(err, path, "%s", why);
		goto fail;
	}
	if (strcmp(e->pub.desc.name, name) != 0) {
		refuse(err, path, "it declares the name '%s' but the file is named '%s.so'",
		       e->pub.desc.name, name);
		goto fail;
	}
	e->pub.path = irx_xstrdup(path);
	e->dev = fst.st_dev;
	e->ino = fst.st_ino;
	close(fd); /* the mapping holds the inode now */
	e = admit(p, e, path, err);
	return e ? &e->pub : NULL;
fail:
	if (e) {
		e->pub.desc.fini = NULL; /* never initialised */
		entry_free(e);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Loads path as plugin name, remembering a refusal so it is reported the same way again. */
static const struct irx_loaded_plugin *load_file(struct irx_plugins *p, const char *path,
						 const char *name, struct irx_error *err)
{
	const struct irx_error *old = find_refused(p, path);
	const struct irx_loaded_plugin *lp = NULL;
	struct irx_error mine = {0};

	if (old) {
		irx_error_set(err, old->code, "%s", old->message);
		return NULL;
	}
	lp = load_file_checked(p, path, name, &mine);
	if (!lp) {
		remember_refusal(p, path, &mine);
		irx_error_set(err, mine.code, "%s", mine.message);
	}
	return lp;
}

/* "dir/x.so" -> "x" (new string), or NULL when the name does not end in ".so". */
static char *name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n = 0;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n < 3 || strcmp(base + n - 3, ".so") != 0)
		return NULL;
	return irx_xstrndup(base, n - 3);
}

const struct irx_loaded_plugin *irx_plugins_load_path(struct irx_plugins *plugins, const char *path,
						      struct irx_error *err)
{
	char *name = name_from_path(path);
	const struct irx_loaded_plugin *lp = NULL;

	if (!name) {
		refuse(err, path, "its file name does not end in '.so'");
		return NULL;
	}
	if (!valid_name(name))
		refuse(err, path, "plugin name '%s' is invalid (%s)", name, NAME_RULE);
	else
		lp = load_file(plugins, path, name, err);
	free(name);
	return lp;
}

const struct irx_loaded_plugin *irx_plugins_load(struct irx_plugins *plugins, const char *name,
						 struct irx_error *err)
{
	struct entry *e = NULL;
	char searched[2048] = "";
	size_t used = 0;

	if (!valid_name(name)) {
		irx_error_set(err, IRX_ERR_INVALID, "invalid plugin name '%s' (%s)", name,
			      NAME_RULE);
		return NULL;
	}
	e = find_loaded(plugins, name);
	if (e)
		return &e->pub;
	for (size_t i = 0; i < plugins->dir_count; i++) {
		char *path = irx_xasprintf("%s/%s.so", plugins->dirs[i], name);
		struct stat st;
		const struct irx_loaded_plugin *lp = NULL;

		if (lstat(path, &st) == 0) {
			lp = load_file(plugins, path, name, err);
			free(path);
			return lp;
		}
		if (errno != ENOENT && errno != ENOTDIR) {
			refuse(err, path, "cannot access it: %s", strerror(errno));
			free(path);
			return NULL;
		}
		free(path);
		if (used < sizeof(searched))
			used += (size_t)snprintf(searched + used, sizeof(searched) - used, "%s%s",
						 i ? ", " : "", plugins->dirs[i]);
	}
	if (plugins->dir_count == 0)
		irx_error_set(err, IRX_ERR_NOT_FOUND,
			      "plugin '%s' not found (the plugin path is empty)", name);
	else
		irx_error_set(err, IRX_ERR_NOT_FOUND, "plugin '%s' not found (searched: %s)", name,
			      searched);
	return NULL;
}

const struct irx_loaded_plugin *irx_plugins_add_static(struct irx_plugins *plugins,
						       irx_plugin_entry_fn *entry,
						       struct irx_error *err)
{
	const struct irx_plugin *raw = entry ? entry() : NULL;
	struct entry *e = NULL;
	struct entry *other = NULL;
	char why[768] = "";
	char owner[PATH_MAX + 32] = "";
	char who[128] = "";
	int rc = 0;

	if (!raw) {
		irx_error_set(err, IRX_ERR_PLUGIN,
			      "refusing linked-in plugin: its entry returned NULL");
		return NULL;
	}
	e = irx_xcalloc(1, sizeof(*e));
	if (check_descriptor(raw, &e->pub.desc, &e->actions_1_0, why, sizeof(why)) < 0) {
		/* The name may be what is wrong: quote it only when it is usable. */
		snprintf(who, sizeof(who), "%s",
			 raw->abi_major == IRX_PLUGIN_ABI_MAJOR && raw->size >= PLUGIN_SIZE_1_0 &&
				 valid_name(raw->name)
			     ? raw->name
			     : "(unnamed)");
		irx_error_set(err, IRX_ERR_PLUGIN, "refusing linked-in plugin '%s': %s", who, why);
		goto fail;
	}
	other = find_loaded(plugins, e->pub.desc.name);
	if (other) {
		describe_owner(other, owner, sizeof(owner));
		irx_error_set(err, IRX_ERR_PLUGIN,
			      "refusing linked-in plugin '%s': plugin '%s' is already loaded %s",
			      e->pub.desc.name, e->pub.desc.name, owner);
		goto fail;
	}
	rc = e->pub.desc.init ? e->pub.desc.init(plugins->host, &e->pub.plugin_data) : 0;
	if (rc != 0) {
		irx_error_set(err, IRX_ERR_PLUGIN,
			      "refusing linked-in plugin '%s': its init failed (returned %d)",
			      e->pub.desc.name, rc);
		goto fail;
	}
	if (plugins->loaded_count == plugins->loaded_cap) {
		plugins->loaded_cap = plugins->loaded_cap ? 2 * plugins->loaded_cap : 8;
		plugins->loaded =
		    irx_xrealloc(plugins->loaded, plugins->loaded_cap * sizeof(*plugins->loaded));
	}
	plugins->loaded[plugins->loaded_count++] = e;
	return &e->pub;
fail:
	e->pub.desc.fini = NULL;
	entry_free(e);
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.so names in dir, sorted. Returns -1 with errno when it cannot be read. */
static int list_dir(const char *dir, char ***out, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *de = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	*count = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 3 || strcmp(de->d_name + len - 3, ".so") != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = irx_xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = irx_xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	*count = n;
	return 0;
}

struct seen {
	char *name, *path;
};

void irx_plugins_scan(struct irx_plugins *plugins, irx_plugins_each_fn *fn, void *ud)
{
	struct seen *seen = NULL;
	size_t nseen = 0, cap = 0;

	for (size_t i = 0; i < plugins->dir_count; i++) {
		const char *dir = plugins->dirs[i];
		char **files = NULL;
		size_t nfiles = 0;
		bool repeated = false;

		/* The same directory twice on the path (flag and environment) is listed once. */
		for (size_t k = 0; k < i; k++)
			if (strcmp(plugins->dirs[k], dir) == 0)
				repeated = true;
		if (repeated)
			continue;
		if (list_dir(dir, &files, &nfiles) < 0) {
			struct irx_error derr = {0};

			/* A missing directory is normal (the install location in a dev tree). */
			if (errno != ENOENT) {
				irx_error_set(&derr, IRX_ERR_PLUGIN,
					      "cannot read plugin directory '%s': %s", dir,
					      strerror(errno));
				fn(ud, dir, NULL, &derr);
			}
			continue;
		}
		for (size_t f = 0; f < nfiles; f++) {
			char *path = irx_xasprintf("%s/%s", dir, files[f]);
			char *name = name_from_path(path);
			const struct irx_loaded_plugin *lp = NULL;
			struct irx_error err = {0};
			const char *earlier = NULL;

			for (size_t k = 0; k < nseen; k++)
				if (strcmp(seen[k].name, name) == 0)
					earlier = seen[k].path;
			if (earlier) {
				refuse(&err, path,
				       "plugin '%s' is shadowed by '%s', earlier on the path", name,
				       earlier);
			} else {
				if (nseen == cap) {
					cap = cap ? 2 * cap : 16;
					seen = irx_xrealloc(seen, cap * sizeof(*seen));
				}
				seen[nseen].name = irx_xstrdup(name);
				seen[nseen].path = irx_xstrdup(path);
				nseen++;
				lp = irx_plugins_load_path(plugins, path, &err);
			}
			fn(ud, path, lp, lp ? NULL : &err);
			free(name);
			free(path);
			free(files[f]);
		}
		free(files);
	}
	for (size_t k = 0; k < nseen; k++) {
		free(seen[k].name);
		free(seen[k].path);
	}
	free(seen);
}
