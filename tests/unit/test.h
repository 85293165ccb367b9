/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The unit-test harness: each tests/unit/test_<concept>.c declares one CUnit
 * suite with IRX_SUITE and is linked into one binary, build/.../unit_tests.
 *
 *     static void test_x(void) { CU_ASSERT_EQUAL(1, 1); }
 *     static CU_TestInfo tests[] = { { "x", test_x }, CU_TEST_INFO_NULL };
 *     IRX_SUITE("selector", tests, NULL, NULL)
 *
 * Environment set by `make test`: IRX_TEST_BUILD (the build directory, holding
 * irx, plugins/ and tests/plugins/) and IRX_TEST_SRC (the source tree).
 */
#ifndef IRX_TEST_H
#define IRX_TEST_H

#include <CUnit/CUnit.h>
#include <stddef.h>

void irx_test_register(const char *name, CU_TestInfo *tests, CU_InitializeFunc init,
		       CU_CleanupFunc clean);

#define IRX_SUITE(name, tests, init, clean)                                       \
	__attribute__((constructor)) static void irx_suite_ctor_(void)             \
	{                                                                          \
		irx_test_register((name), (tests), (init), (clean));               \
	}

/* Paths: $IRX_TEST_SRC/<rel> and $IRX_TEST_BUILD/<rel>. Static buffers, one of each per call. */
const char *irx_test_src(const char *rel);
const char *irx_test_build(const char *rel);

/* A fresh empty directory under $TMPDIR (removed by the harness at exit). */
const char *irx_test_tmpdir(void);

/*
 * Runs argv (argv[0] a path) with stdin from /dev/null (or `input` when
 * non-NULL) and the given extra environment ("K=V", NULL-terminated, may be
 * NULL); captures stdout and stderr (NUL-terminated, caller frees). Returns the
 * exit status, or 128+signal.
 */
int irx_test_run(const char *const *argv, const char *const *env, const char *input,
		 char **out, char **err);

/* Writes text to path (mode 0644). Returns 0 or -1. */
int irx_test_write(const char *path, const char *text);

/* Asserts that haystack contains needle, printing both on failure. */
#define IRX_ASSERT_CONTAINS(haystack, needle)                                        \
	do {                                                                         \
		const char *h_ = (haystack), *n_ = (needle);                         \
		int ok_ = h_ && n_ && strstr(h_, n_) != NULL;                        \
		if (!ok_)                                                            \
			fprintf(stderr, "\n  expected to contain: %s\n  got: %s\n", n_, \
				h_ ? h_ : "(null)");                                 \
		CU_ASSERT_TRUE(ok_);                                                 \
	} while (0)

#endif
