/* SPDX-License-Identifier: Apache-2.0 */
/* The unit-test runner: runs every registered suite (or those named on the command line). */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#define MAX_SUITES 128

static struct {
	const char *name;
	CU_TestInfo *tests;
	CU_InitializeFunc init;
	CU_CleanupFunc clean;
} suites[MAX_SUITES];
static int suite_count;
static char tmp_root[PATH_MAX - 64];
static int tmp_seq;

void irx_test_register(const char *name, CU_TestInfo *tests, CU_InitializeFunc init,
		       CU_CleanupFunc clean)
{
	if (suite_count == MAX_SUITES) {
		fprintf(stderr, "too many test suites\n");
		abort();
	}
	suites[suite_count].name = name;
	suites[suite_count].tests = tests;
	suites[suite_count].init = init;
	suites[suite_count].clean = clean;
	suite_count++;
}

static const char *env_path(char *buf, size_t len, const char *var, const char *rel)
{
	const char *base = getenv(var);

	snprintf(buf, len, "%s/%s", base ? base : ".", rel);
	return buf;
}

const char *irx_test_src(const char *rel)
{
	static char buf[PATH_MAX];

	return env_path(buf, sizeof(buf), "IRX_TEST_SRC", rel);
}

const char *irx_test_build(const char *rel)
{
	static char buf[PATH_MAX];

	return env_path(buf, sizeof(buf), "IRX_TEST_BUILD", rel);
}

const char *irx_test_tmpdir(void)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/t%d", tmp_root, ++tmp_seq);
	if (mkdir(buf, 0700) < 0) {
		perror(buf);
		abort();
	}
	return buf;
}

int irx_test_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f)
		return -1;
	if (fputs(text, f) < 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	if (!*buf)
		abort();
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

int irx_test_run(const char *const *argv, const char *const *env, const char *input,
		 char **out, char **err)
{
	int op[2], ep[2], ip[2];
	pid_t pid;
	int status = 0;
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	struct pollfd fds[2];

	if (pipe(op) < 0 || pipe(ep) < 0 || pipe(ip) < 0)
		abort();
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		dup2(ip[0], 0);
		dup2(op[1], 1);
		dup2(ep[1], 2);
		close(op[0]);
		close(ep[0]);
		close(ip[1]);
		for (size_t i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(op[1]);
	close(ep[1]);
	close(ip[0]);
	if (input) {
		size_t n = strlen(input), off = 0;

		signal(SIGPIPE, SIG_IGN);
		while (off < n) {
			ssize_t w = write(ip[1], input + off, n - off);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	close(ip[1]);
	append(&obuf, &olen, "", 0);
	append(&ebuf, &elen, "", 0);
	fds[0].fd = op[0];
	fds[1].fd = ep[0];
	fds[0].events = fds[1].events = POLLIN;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		char chunk[8192];

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(fds[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				continue;
			}
			if (i == 0)
				append(&obuf, &olen, chunk, (size_t)n);
			else
				append(&ebuf, &elen, chunk, (size_t)n);
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = obuf;
	else
		free(obuf);
	if (err)
		*err = ebuf;
	else
		free(ebuf);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	unsigned failures = 0;
	int rc = 0;

	snprintf(tmp_root, sizeof(tmp_root), "%s/irx-test-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 2;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (int i = 0; i < suite_count; i++) {
		CU_pSuite s = NULL;
		int wanted = argc < 2;

		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], suites[i].name) == 0)
				wanted = 1;
		if (!wanted)
			continue;
		s = CU_add_suite(suites[i].name, suites[i].init, suites[i].clean);
		for (CU_TestInfo *t = suites[i].tests; t && t->pName; t++)
			CU_add_test(s, t->pName, t->pTestFunc);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	rc = failures ? 1 : 0;
	CU_cleanup_registry();
	nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
