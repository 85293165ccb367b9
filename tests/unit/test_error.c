/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "diag.h"
#include "error.h"
#include "test.h"

static void test_first_failure_wins(void)
{
	struct irx_error err = {0};

	irx_error_set(&err, IRX_ERR_IO, "cannot read '%s'", "a.yaml");
	irx_error_set(&err, IRX_ERR_PARSE, "second");
	CU_ASSERT_EQUAL(err.code, IRX_ERR_IO);
	CU_ASSERT_STRING_EQUAL(err.message, "cannot read 'a.yaml'");
	irx_error_prefix(&err, "loading runbook");
	CU_ASSERT_STRING_EQUAL(err.message, "loading runbook: cannot read 'a.yaml'");
	CU_ASSERT_STRING_EQUAL(irx_status_name(err.code), "io");
	irx_error_clear(&err);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
}

static void test_diags_format(void)
{
	struct irx_diags d = {0};
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	irx_diags_add_at(&d, "rb.yaml", 3, 7, "unknown key '%s'", "foo");
	irx_diags_add_at(&d, "rb.yaml", 0, 0, "empty document");
	irx_diags_print(&d, f);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "rb.yaml:3:7: unknown key 'foo'\nrb.yaml: empty document\n");
	CU_ASSERT_EQUAL(d.count, 2);
	irx_diags_release(&d);
	CU_ASSERT_EQUAL(d.count, 0);
}

static CU_TestInfo tests[] = {
	{"first failure wins", test_first_failure_wins},
	{"diagnostics format", test_diags_format},
	CU_TEST_INFO_NULL,
};
IRX_SUITE("error", tests, NULL, NULL)
