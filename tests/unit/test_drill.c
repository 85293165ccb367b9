/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drills (core/drill.h, irx drill): scenario validation with positions; every shipped scenario
 * passes against the simulator (one through --sim, which starts its own, the rest against the
 * suite's simulator so its end state can be inspected); a failing assertion exits 1 and the
 * teardown still removes the decoys; the JUnit XML parses with libxml2 and escapes what it
 * must; the HTML page is self-contained and has the timeline; the history records every run;
 * assertions on the runbook's outputs; every shipped runbook has a shipped drill.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <sys/stat.h>

#include "diag.h"
#include "drill.h"
#include "sim_harness.h"
#include "test.h"
#include "util.h"

static struct irx_sim sim;

static int suite_init(void)
{
	if (irx_sim_start(&sim) < 0) {
		fprintf(stderr, "drill: the simulator (tools/awssim) did not start\n");
		return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	irx_sim_stop(&sim);
	return 0;
}

/* --- validation ---------------------------------------------------------------------------- */

/* Loads text as "s.yaml"; returns the diagnostics joined by newlines (static), "" when valid. */
static const char *problems(const char *text)
{
	static char out[8192];
	struct irx_diags d = {0};
	struct irx_drill *drill = irx_drill_load_buffer("s.yaml", text, strlen(text), &d);
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < d.count && o < sizeof(out); i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s:%u:%u: %s", i ? "\n" : "",
				      d.items[i].file, d.items[i].line, d.items[i].col,
				      d.items[i].message);
	CU_ASSERT_EQUAL(drill == NULL, d.count > 0);
	irx_drill_free(drill);
	irx_diags_release(&d);
	return out;
}

/* "(irx knows a, b, c)" -> "(irx knows a, " */
static const char *cut_services(const char *text)
{
	static char out[8192];
	const char *k = strstr(text, "(irx knows ");
	const char *end = k ? strchr(k, ')') : NULL;

	snprintf(out, sizeof(out), "%s", text);
	if (k && end) {
		const char *comma = strchr(k, ',');

		snprintf(out + (comma - text) + 2, sizeof(out) - (size_t)(comma - text) - 2, "%s",
			 end + 2);
	}
	return out;
}

#define MINIMAL_TAIL                                                                               \
	"runbook: {name: iam-user-lockdown, target: '{{ u.Arn }}'}\n"                              \
	"assertions:\n"                                                                            \
	"  - {service: iam, api: ListAccessKeys, params: {UserName: x}, selector: $.A,\n"          \
	"     desiredValues: [Inactive]}\n"

static void test_valid(void)
{
	const char *text =
	    "name: d1\n"
	    "setup:\n"
	    "  - name: u\n"
	    "    service: iam\n"
	    "    api: CreateUser\n"
	    "    params: {UserName: 'x-{{ drill:RUN_ID }}'}\n"
	    "    outputs: [{name: Arn, selector: $.User.Arn}]\n" MINIMAL_TAIL "teardown:\n"
	    "  - {service: iam, api: DeleteUser, params: {UserName: '{{ u.Arn }}'},\n"
	    "     allowErrors: [NoSuchEntity]}\n";
	struct irx_diags d = {0};
	struct irx_drill *drill = irx_drill_load_buffer("s.yaml", text, strlen(text), &d);

	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(drill);
	CU_ASSERT_STRING_EQUAL(drill->name, "d1");
	CU_ASSERT_STRING_EQUAL(drill->runbook, "iam-user-lockdown");
	CU_ASSERT_EQUAL(drill->setup_count, 1);
	CU_ASSERT_EQUAL(drill->target_count, 1);
	CU_ASSERT_STRING_EQUAL(drill->targets[0], "{{ u.Arn }}");
	CU_ASSERT_EQUAL(drill->assertion_count, 1);
	CU_ASSERT_EQUAL(drill->teardown_count, 1);
	CU_ASSERT_EQUAL(drill->teardown[0].allow_error_count, 1);
	CU_ASSERT_STRING_EQUAL(drill->teardown[0].allow_errors[0], "NoSuchEntity");
	irx_drill_free(drill);
	irx_diags_release(&d);
}

static void test_invalid(void)
{
	/* structure */
	CU_ASSERT_STRING_EQUAL(
	    problems("- a\n"),
	    "s.yaml:1:1: a drill scenario must be a map with 'setup', 'runbook', "
	    "'assertions' and 'teardown'");
	CU_ASSERT_STRING_EQUAL(problems("bogus: 1\n" MINIMAL_TAIL),
			       "s.yaml:1:1: unknown key 'bogus' in the scenario\n"
			       "s.yaml:2:44: 'runbook' refers to 'u.Arn', which is not a setup "
			       "output, global:ACCOUNT_ID, global:REGION or drill:RUN_ID");
	CU_ASSERT_STRING_EQUAL(problems("setup: []\n"),
			       "s.yaml:1:1: scenario is missing 'runbook'\n"
			       "s.yaml:1:1: a drill needs at least one assertion");
	/* setup entries (the model's service list in the message cut: it grows) */
	CU_ASSERT_STRING_EQUAL(
	    cut_services(problems(
		"setup:\n"
		"  - service: iam\n"
		"    api: CreateUser\n"
		"  - {name: u, service: nope, api: CreateUser}\n"
		"  - {name: u, service: iam, api: CreateUserz}\n"
		"  - {name: 'a b', service: iam, api: CreateUser, params: {Nope: 1}, extra: 2}\n"
		"runbook: x\nassertions: []\n")),
	    "s.yaml:2:5: setup entry 1 is missing 'name'\n"
	    "s.yaml:4:24: setup 'u': unknown AWS service 'nope' (irx knows autoscaling, "
	    "s.yaml:5:12: setup name 'u' is used twice\n"
	    "s.yaml:5:34: setup 'u': unknown operation 'CreateUserz' for AWS service 'iam'\n"
	    "s.yaml:6:12: setup name 'a b' must be letters, digits, '_' or '-'\n"
	    "s.yaml:6:69: unknown key 'extra' in setup 'a b'\n"
	    "s.yaml:6:59: setup 'a b': unknown parameter 'Nope' for iam:CreateUser\n"
	    "s.yaml:8:13: a drill needs at least one assertion");
	/* outputs, selectors, waits */
	CU_ASSERT_STRING_EQUAL(
	    problems("setup:\n"
		     "  - name: u\n"
		     "    service: iam\n"
		     "    api: GetUser\n"
		     "    outputs: [{name: A, selector: '$.['}, {selector: $.B}, {name: A, "
		     "selector: $.C}]\n"
		     "    selector: $.User.UserName\n"
		     "    timeoutSeconds: 0\n" MINIMAL_TAIL),
	    "s.yaml:5:35: invalid selector '$.[' in setup 'u': expected a name after '.' at "
	    "offset 2\n"
	    "s.yaml:5:43: an output of setup 'u' is missing 'name'\n"
	    "s.yaml:5:67: output 'A' of setup 'u' is defined twice\n"
	    "s.yaml:2:5: setup 'u': a wait needs both 'selector' and 'desiredValues'\n"
	    "s.yaml:7:21: 'timeoutSeconds' in setup 'u' must be 1-3600\n"
	    "s.yaml:8:44: 'runbook' refers to 'u.Arn', which is not a setup output, "
	    "global:ACCOUNT_ID, global:REGION or drill:RUN_ID");
	/* references: later setup outputs, runbook outputs outside assertions and teardown */
	CU_ASSERT_STRING_EQUAL(
	    problems(
		"setup:\n"
		"  - {name: a, service: iam, api: GetUser, params: {UserName: '{{ u.Arn }}'}}\n"
		"  - {name: u, service: iam, api: CreateUser, params: {UserName: '{{ runbook.x.Y "
		"}}'},\n"
		"     outputs: [{name: Arn, selector: $.User.Arn}]}\n"
		"runbook:\n"
		"  name: iam-user-lockdown\n"
		"  target: '{{ u.Arn }}'\n"
		"  targets: ['{{ u.Arn }}']\n"
		"  parameters: {TargetArn: x, P: '{{ nope }'}\n"
		"assertions:\n"
		"  - {service: iam, api: ListAccessKeys, selector: $.A, desiredValues: []}\n"
		"  - {service: iam, api: ListAccessKeys, selector: $.A, desiredValues: ['{{ "
		"runbook.s.O }}']}\n"
		"teardown:\n"
		"  - {service: iam, api: DeleteUser, params: {UserName: '{{ runbook:EXECUTION_ID "
		"}}'},\n"
		"     allowErrors: NoSuchEntity}\n"),
	    "s.yaml:8:12: 'runbook' has both 'target' and 'targets': use one\n"
	    "s.yaml:9:16: 'TargetArn' is bound by 'target': do not set it in 'parameters' too\n"
	    "s.yaml:11:71: 'desiredValues' in assertion entry 1 must list at least one value\n"
	    "s.yaml:15:19: 'allowErrors' in teardown entry 1 must be a list of error codes\n"
	    "s.yaml:2:62: setup 'a' refers to 'u.Arn', which setup 'u' captures later\n"
	    "s.yaml:3:65: setup 'u' refers to 'runbook.x.Y', which is not a setup output, "
	    "global:ACCOUNT_ID, global:REGION or drill:RUN_ID\n"
	    "s.yaml:9:33: 'runbook': '{{' without '}}' at offset 0");
	/* assertions */
	CU_ASSERT_STRING_EQUAL(
	    problems("runbook: x\n"
		     "assertions:\n"
		     "  - {name: a, service: ec2, api: DescribeInstances}\n"
		     "  - {service: ec2, api: DescribeInstances, selector: [1],\n"
		     "     desiredValues: [[x]], allowErrors: []}\n"),
	    "s.yaml:3:5: assertion 'a' is missing 'selector'\n"
	    "s.yaml:3:5: assertion 'a' is missing 'desiredValues' or 'containsValues'\n"
	    "s.yaml:5:28: unknown key 'allowErrors' in assertion entry 2\n"
	    "s.yaml:4:54: 'selector' must be a string, not list\n"
	    "s.yaml:5:22: 'desiredValues' in assertion entry 2 must hold strings, "
	    "not list");
	/* assertions on runbook outputs: no API, selector optional, one kind of values */
	CU_ASSERT_STRING_EQUAL(
	    problems("runbook: x\n"
		     "assertions:\n"
		     "  - {name: a, output: s.O, service: ec2, desiredValues: [x]}\n"
		     "  - {name: b, output: nodot, desiredValues: [x], containsValues: [y]}\n"
		     "  - {name: c, output: s., selector: '$.[', containsValues: []}\n"
		     "  - {name: d, output: .O}\n"
		     "  - {name: e, output: [s, O], containsValues: ['{{ nope }}']}\n"
		     "  - {name: f, service: ec2, api: DescribeVpcs, selector: $.V,\n"
		     "     containsValues: [[x]]}\n"),
	    "s.yaml:3:23: assertion 'a' has 'output' and 'service', 'api' or 'params': it reads "
	    "a runbook output or calls an API, not both\n"
	    "s.yaml:3:5: assertion 'a' is missing 'api'\n"
	    "s.yaml:3:5: assertion 'a' is missing 'selector'\n"
	    "s.yaml:4:23: 'output' in assertion 'b' must be STEP.OUTPUT, not 'nodot'\n"
	    "s.yaml:4:66: assertion 'b' has both 'desiredValues' and 'containsValues': use one\n"
	    "s.yaml:5:23: 'output' in assertion 'c' must be STEP.OUTPUT, not 's.'\n"
	    "s.yaml:5:37: invalid selector '$.[' in assertion 'c': expected a name after '.' at "
	    "offset 2\n"
	    "s.yaml:5:60: 'containsValues' in assertion 'c' must list at least one value\n"
	    "s.yaml:6:23: 'output' in assertion 'd' must be STEP.OUTPUT, not '.O'\n"
	    "s.yaml:6:5: assertion 'd' is missing 'desiredValues' or 'containsValues'\n"
	    "s.yaml:7:23: 'output' must be a string, not list\n"
	    "s.yaml:9:23: 'containsValues' in assertion 'f' must hold strings, not list\n"
	    "s.yaml:7:48: assertion 'e' refers to 'nope', which is not a setup output, "
	    "global:ACCOUNT_ID, global:REGION or drill:RUN_ID (or runbook.STEP.OUTPUT, "
	    "runbook:EXECUTION_ID)");
	/* YAML errors keep their positions */
	IRX_ASSERT_CONTAINS(problems("setup: [\n"), "s.yaml:2:1: ");
}

/* --- time to contain ------------------------------------------------------------------------ */

static void test_time_to_contain(void)
{
	const char *ok =
	    "["
	    "{\"type\":\"execution_start\",\"start_time\":\"2026-01-01T00:00:00.000Z\"},"
	    "{\"type\":\"step_end\",\"action\":\"notify:sns\",\"status\":\"Success\","
	    "\"end_time\":\"2026-01-01T00:00:00.100Z\"},"
	    "{\"type\":\"step_end\",\"action\":\"isolate:ec2Instance\",\"status\":\"Success\","
	    "\"end_time\":\"2026-01-01T00:00:01.250Z\"},"
	    "{\"type\":\"step_end\",\"action\":\"deny:iamUser\",\"status\":\"Failed\","
	    "\"end_time\":\"2026-01-01T00:00:02.000Z\"},"
	    "{\"type\":\"step_end\",\"action\":\"notify:sns\",\"status\":\"Success\","
	    "\"end_time\":\"2026-01-01T00:00:03.000Z\"},"
	    "{\"type\":\"execution_end\",\"status\":\"Success\"}]";
	struct json_object *rec = json_tokener_parse(ok);

	/* to the end of the last successful containment step: not the notifications, not a
	 * failed step */
	CU_ASSERT_EQUAL(irx_drill_time_to_contain(rec), 1250);
	json_object_put(rec);
	rec = json_tokener_parse("[{\"type\":\"execution_start\",\"start_time\":"
				 "\"2026-01-01T00:00:00.000Z\"},{\"type\":\"step_end\",\"action\":"
				 "\"isolate:ec2Instance\",\"status\":\"Success\",\"end_time\":"
				 "\"2026-01-01T00:00:01.000Z\"},{\"type\":\"execution_end\","
				 "\"status\":\"Failed\"}]");
	CU_ASSERT_EQUAL(irx_drill_time_to_contain(rec), -1);
	json_object_put(rec);
	rec = json_tokener_parse("[{\"type\":\"execution_start\",\"start_time\":"
				 "\"2026-01-01T00:00:00.000Z\"},{\"type\":\"execution_end\","
				 "\"status\":\"Success\"}]");
	CU_ASSERT_EQUAL(irx_drill_time_to_contain(rec), -1);
	json_object_put(rec);
}

/* --- JUnit and HTML from a synthetic report -----------------------------------------------------
 */

static struct json_object *synthetic_report(void)
{
	return json_tokener_parse(
	    "{\"scenario\":\"s<&>\",\"path\":\"p\",\"runbook\":\"rb\",\"mode\":\"sim\","
	    "\"run_id\":\"abcd1234\",\"account_id\":\"111111111111\",\"region\":\"us-east-1\","
	    "\"start_time\":\"2026-01-01T00:00:00.000Z\",\"end_time\":\"2026-01-01T00:00:02.000Z\","
	    "\"duration_ms\":2000,\"passed\":false,\"teardown_clean\":true,\"failure\":\"an "
	    "assertion failed\",\"time_to_contain_ms\":750,"
	    "\"entities\":[{\"entity\":\"arn:aws:iam::1:user/u\",\"execution_id\":\"e1\","
	    "\"status\":\"Success\",\"time_to_contain_ms\":750}],"
	    "\"steps\":["
	    "{\"phase\":\"setup\",\"name\":\"user\",\"detail\":\"iam:CreateUser\",\"status\":"
	    "\"passed\",\"message\":\"\",\"start_ms\":0,\"end_ms\":10,\"start_time\":\"a\","
	    "\"end_time\":\"b\"},"
	    "{\"phase\":\"runbook\",\"name\":\"arn:aws:iam::1:user/u\",\"detail\":\"rb\","
	    "\"status\":\"passed\",\"message\":\"\",\"start_ms\":10,\"end_ms\":900},"
	    "{\"phase\":\"step\",\"name\":\"arn: denyUser\",\"detail\":\"deny:iamUser\","
	    "\"status\":\"Success\",\"message\":\"\",\"start_ms\":20,\"end_ms\":760},"
	    "{\"phase\":\"assert\",\"name\":\"keys \\\"off\\\"\",\"detail\":\"iam:ListAccessKeys\","
	    "\"status\":\"failed\",\"message\":\"$.A is 'x<y>' & \\u0001 \\u00e9\\t\\nz\","
	    "\"start_ms\":900,\"end_ms\":950},"
	    "{\"phase\":\"teardown\",\"name\":\"t\",\"detail\":\"iam:DeleteUser\",\"status\":"
	    "\"skipped\",\"message\":\"not run\",\"start_ms\":950,\"end_ms\":950}]}");
}

static void test_junit_escaping(void)
{
	struct json_object *rep = synthetic_report();
	char *xml = irx_drill_report_junit(rep);
	xmlDocPtr doc = NULL;
	xmlNodePtr root = NULL, suite = NULL;
	int cases = 0, failures = 0, skipped = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	doc = xmlReadMemory(xml, (int)strlen(xml), "junit.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	root = xmlDocGetRootElement(doc);
	CU_ASSERT_STRING_EQUAL((const char *)root->name, "testsuites");
	for (suite = root->children; suite && suite->type != XML_ELEMENT_NODE; suite = suite->next)
		;
	CU_ASSERT_PTR_NOT_NULL_FATAL(suite);
	CU_ASSERT_STRING_EQUAL((const char *)suite->name, "testsuite");
	{
		xmlChar *name = xmlGetProp(suite, (const xmlChar *)"name");
		xmlChar *tests = xmlGetProp(suite, (const xmlChar *)"tests");
		xmlChar *fails = xmlGetProp(suite, (const xmlChar *)"failures");
		xmlChar *ts = xmlGetProp(suite, (const xmlChar *)"timestamp");

		CU_ASSERT_STRING_EQUAL((const char *)name, "drill.s<&>");
		CU_ASSERT_STRING_EQUAL((const char *)tests, "4"); /* the runbook's steps are not */
		CU_ASSERT_STRING_EQUAL((const char *)fails, "1");
		CU_ASSERT_STRING_EQUAL((const char *)ts, "2026-01-01T00:00:00");
		xmlFree(name);
		xmlFree(tests);
		xmlFree(fails);
		xmlFree(ts);
	}
	for (xmlNodePtr tc = suite->children; tc; tc = tc->next) {
		if (tc->type != XML_ELEMENT_NODE ||
		    xmlStrcmp(tc->name, (const xmlChar *)"testcase"))
			continue;
		cases++;
		for (xmlNodePtr f = tc->children; f; f = f->next) {
			if (f->type != XML_ELEMENT_NODE)
				continue;
			if (!xmlStrcmp(f->name, (const xmlChar *)"failure")) {
				xmlChar *msg = xmlGetProp(f, (const xmlChar *)"message");
				xmlChar *tn = xmlGetProp(tc, (const xmlChar *)"name");
				xmlChar *cls = xmlGetProp(tc, (const xmlChar *)"classname");

				failures++;
				/* the control character became U+FFFD; tab and newline survive */
				CU_ASSERT_STRING_EQUAL(
				    (const char *)msg,
				    "$.A is 'x<y>' & \xef\xbf\xbd \xc3\xa9\t\nz");
				CU_ASSERT_STRING_EQUAL((const char *)tn,
						       "keys \"off\" (iam:ListAccessKeys)");
				CU_ASSERT_STRING_EQUAL((const char *)cls, "drill.s<&>.assert");
				xmlFree(msg);
				xmlFree(tn);
				xmlFree(cls);
			}
			if (!xmlStrcmp(f->name, (const xmlChar *)"skipped"))
				skipped++;
		}
	}
	CU_ASSERT_EQUAL(cases, 4);
	CU_ASSERT_EQUAL(failures, 1);
	CU_ASSERT_EQUAL(skipped, 1);
	xmlFreeDoc(doc);
	free(xml);
	json_object_put(rep);
}

static void test_html(void)
{
	struct json_object *rep = synthetic_report();
	char *html = irx_drill_report_html(rep);

	IRX_ASSERT_CONTAINS(html, "<!DOCTYPE html>");
	IRX_ASSERT_CONTAINS(html, "<title>irx drill: s&lt;&amp;&gt;</title>");
	IRX_ASSERT_CONTAINS(html, "<span class=\"badge fail\">FAILED</span>");
	IRX_ASSERT_CONTAINS(html, "<h2>Timeline</h2>");
	IRX_ASSERT_CONTAINS(html, "<h2>Time to contain</h2>");
	IRX_ASSERT_CONTAINS(html, "<td>arn:aws:iam::1:user/u</td><td>e1</td><td><span class=\"ok\">"
				  "Success</span></td><td class=\"num\">750 ms</td>");
	/* the runbook's step, positioned by its offset: 20 ms of 2000 is 1% */
	IRX_ASSERT_CONTAINS(html, "arn: denyUser <small>deny:iamUser</small>");
	IRX_ASSERT_CONTAINS(html, "class=\"b ok\" style=\"left:1.00%;width:37.00%\"");
	IRX_ASSERT_CONTAINS(html, "$.A is &#39;x&lt;y&gt;&#39; &amp;");
	IRX_ASSERT_CONTAINS(html, "<style>");
	/* self-contained: nothing fetched from anywhere */
	CU_ASSERT_PTR_NULL(strstr(html, "<link"));
	CU_ASSERT_PTR_NULL(strstr(html, "<script"));
	CU_ASSERT_PTR_NULL(strstr(html, "src="));
	CU_ASSERT_PTR_NULL(strstr(html, "url("));
	free(html);
	json_object_put(rep);
}

/* --- drills against the simulator ---------------------------------------------------------------
 */

/* irx ARGS... under the simulator's environment; exit status, stdout and stderr (caller frees). */
static int irx(const char *const *args, char **out, char **err)
{
	const char *argv[24] = {0};
	const char *env[32] = {0};
	const char *const *base = irx_sim_env(&sim);
	char irx_path[4096] = "", plugins[4200] = "", awssim[4200] = "";
	size_t n = 0, e = 0;

	snprintf(irx_path, sizeof(irx_path), "%s", irx_test_build("irx"));
	snprintf(plugins, sizeof(plugins), "IRX_PLUGIN_PATH=%s", irx_test_build("plugins"));
	snprintf(awssim, sizeof(awssim), "IRX_AWSSIM=%s", irx_test_src("tools/awssim/awssim"));
	argv[n++] = irx_path;
	for (size_t i = 0; args[i] && n < 23; i++)
		argv[n++] = args[i];
	for (size_t i = 0; base[i] && e < 20; i++)
		env[e++] = base[i];
	env[e++] = plugins;
	env[e++] = awssim;
	env[e++] = "HOME=/nonexistent-irx-test";
	env[e++] = "IRX_RUNBOOK_PATH=runbooks";
	return irx_test_run(argv, env, NULL, out, err);
}

static struct json_object *read_json(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	struct json_object *o = NULL;

	if (irx_read_file(path, 16u << 20, &text, &len) == 0)
		o = json_tokener_parse(text);
	free(text);
	return o;
}

/* Runs a shipped scenario; asserts it passed with a time to contain per entity. Returns its
 * report (transferred; NULL when there is none). */
static struct json_object *drill_report(const char *name, bool use_sim_flag, size_t entities)
{
	char scenario[4200] = "", state[4200] = "", reports[4200] = "", path[4300] = "";
	const char *args[12] = {"drill",	scenario, "--state-dir", state,
				"--report-dir", reports,  "--quiet",	 NULL};
	struct json_object *rep = NULL, *ents = NULL;
	char *out = NULL, *err = NULL;
	int rc = 0;

	snprintf(scenario, sizeof(scenario), "%s", irx_test_src(name));
	snprintf(state, sizeof(state), "%s", irx_test_tmpdir());
	snprintf(reports, sizeof(reports), "%s/report", state);
	if (use_sim_flag)
		args[7] = "--sim";
	rc = irx(args, &out, &err);
	if (rc != 0)
		fprintf(stderr, "\n  %s: exit %d\n  stdout: %s\n  stderr: %s\n", name, rc, out,
			err);
	CU_ASSERT_EQUAL(rc, 0);
	IRX_ASSERT_CONTAINS(out, "\tPASSED\ttime-to-contain ");
	snprintf(path, sizeof(path), "%s/report.json", reports);
	rep = read_json(path);
	CU_ASSERT_PTR_NOT_NULL(rep);
	if (!rep) {
		free(out);
		free(err);
		return NULL;
	}
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(rep, "passed")));
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(rep, "teardown_clean")));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(rep, "mode")),
			       use_sim_flag ? "sim" : "aws");
	ents = json_object_object_get(rep, "entities");
	CU_ASSERT_EQUAL(json_object_array_length(ents), entities);
	for (size_t i = 0; i < json_object_array_length(ents); i++) {
		struct json_object *t = json_object_object_get(json_object_array_get_idx(ents, i),
							       "time_to_contain_ms");

		CU_ASSERT_PTR_NOT_NULL(t);
		CU_ASSERT_TRUE(json_object_get_int64(t) > 0);
	}
	free(out);
	free(err);
	return rep;
}

static void drill_passes(const char *name, bool use_sim_flag, size_t entities)
{
	json_object_put(drill_report(name, use_sim_flag, entities));
}

static void test_shipped_ec2_isolate_sim_flag(void)
{
	drill_passes("drills/ec2-isolate.yaml", true, 1);
}

static void test_shipped_others(void)
{
	drill_passes("drills/ec2-crypto-mining.yaml", false, 1);
	drill_passes("drills/iam-user-lockdown.yaml", false, 1);
	drill_passes("drills/iam-role-lockdown.yaml", false, 1);
	drill_passes("drills/access-key-lockdown.yaml", false, 1);
	drill_passes("drills/iam-credential-exposure.yaml", false, 1);
	drill_passes("drills/lambda-lockdown.yaml", false, 1);
	drill_passes("drills/entity-lockdown.yaml", false, 2);
	drill_passes("drills/ec2-forensic-capture.yaml", false, 1);
	drill_passes("drills/aws-inventory.yaml", false, 1);
}

/* The step of rep named name in phase, or NULL. */
static struct json_object *report_step(struct json_object *rep, const char *phase, const char *name)
{
	struct json_object *steps = json_object_object_get(rep, "steps");

	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);

		if (!strcmp(json_object_get_string(json_object_object_get(s, "phase")), phase) &&
		    !strcmp(json_object_get_string(json_object_object_get(s, "name")), name))
			return s;
	}
	return NULL;
}

static const char *step_field(struct json_object *rep, const char *phase, const char *name,
			      const char *field)
{
	struct json_object *s = report_step(rep, phase, name);

	return s ? json_object_get_string(json_object_object_get(s, field)) : "(no such step)";
}

/* demo-quarantine: both executions passed; the state file has the decoy quarantined by the first
 * and tagged by the second. */
static void test_shipped_demo_quarantine(void)
{
	struct json_object *rep = drill_report("drills/demo-quarantine.yaml", false, 2);
	struct json_object *state = NULL, *ent = NULL, *ents = NULL, *tags = NULL;
	char path[256] = "", arn[256] = "";
	const char *run_id = NULL, *first = NULL, *second = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	run_id = json_object_get_string(json_object_object_get(rep, "run_id"));
	CU_ASSERT_EQUAL_FATAL(strlen(run_id), 8);
	ents = json_object_object_get(rep, "entities");
	first = json_object_get_string(
	    json_object_object_get(json_object_array_get_idx(ents, 0), "execution_id"));
	second = json_object_get_string(
	    json_object_object_get(json_object_array_get_idx(ents, 1), "execution_id"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	CU_ASSERT_STRING_NOT_EQUAL(first, second);
	snprintf(path, sizeof(path), "/tmp/irx-drill-%s-demo-state.json", run_id);
	snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:instance/i-0d1e%s",
		 json_object_get_string(json_object_object_get(rep, "region")),
		 json_object_get_string(json_object_object_get(rep, "account_id")), run_id);
	CU_ASSERT_STRING_EQUAL(
	    step_field(rep, "assert", "the second execution found the decoy quarantined", "status"),
	    "passed");
	state = read_json(path);
	CU_ASSERT_PTR_NOT_NULL(state);
	ent = json_object_object_get(json_object_object_get(state, "entities"), arn);
	CU_ASSERT_PTR_NOT_NULL(ent);
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(ent, "quarantined")));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(ent, "quarantinedBy")),
			       first);
	tags = json_object_object_get(ent, "tags");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(tags, "irx:execution-id")), second);
	CU_ASSERT_EQUAL(unlink(path), 0);
	json_object_put(state);
	json_object_put(rep);
}

/* Assertions on the runbook's outputs, passing and failing, with their messages. */
static void test_output_assertions(void)
{
	char scenario[4200] = "", state[4200] = "", reports[4200] = "", path[4300] = "";
	const char *args[] = {"drill",	      scenario, "--state-dir", state,
			      "--report-dir", reports,	"-q",	       NULL};
	struct json_object *rep = NULL;
	char *out = NULL, *err = NULL, *junit = NULL;
	size_t len = 0;
	const char *text =
	    "name: outputs\n"
	    "setup:\n"
	    "  - {name: user, service: iam, api: CreateUser, params: {UserName: "
	    "irx-drill-outputs},\n"
	    "     outputs: [{name: UserName, selector: $.User.UserName}]}\n"
	    "runbook: aws-inventory\n"
	    "assertions:\n"
	    "  - {name: account, output: whoAmI.Account, desiredValues: ['{{ global:ACCOUNT_ID "
	    "}}']}\n"
	    "  - {name: a default vpc, service: ec2, api: DescribeVpcs,\n"
	    "     selector: '$.Vpcs[*].IsDefault', containsValues: ['true']}\n"
	    "  - {name: user listed, output: listUsers.UserNames, selector: '$[*]',\n"
	    "     containsValues: ['{{ user.UserName }}']}\n"
	    "  - {name: no such output, output: nope.Nothing, desiredValues: [x]}\n"
	    "  - {name: one missing, output: listUsers.UserNames,\n"
	    "     containsValues: ['{{ user.UserName }}', nobody-here]}\n"
	    "  - {name: wrong account, output: whoAmI.Account, desiredValues: ['000000000000']}\n"
	    "  - {name: not there, output: whoAmI.Account, selector: $.x, containsValues: [a]}\n"
	    "teardown:\n"
	    "  - {service: iam, api: DeleteUser, params: {UserName: '{{ user.UserName }}'}}\n";

	snprintf(state, sizeof(state), "%s", irx_test_tmpdir());
	snprintf(scenario, sizeof(scenario), "%s/outputs.yaml", state);
	snprintf(reports, sizeof(reports), "%s/r", state);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(scenario, text), 0);
	CU_ASSERT_EQUAL(irx(args, &out, &err), 1);
	IRX_ASSERT_CONTAINS(out, "outputs\tFAILED\t");
	IRX_ASSERT_CONTAINS(out, "\tan assertion failed\n");
	snprintf(path, sizeof(path), "%s/report.json", reports);
	rep = read_json(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(rep, "teardown_clean")));
	CU_ASSERT_STRING_EQUAL(step_field(rep, "runbook", "aws-inventory", "status"), "passed");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "account", "status"), "passed");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "account", "detail"),
			       "output:whoAmI.Account");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "a default vpc", "status"), "passed");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "user listed", "status"), "passed");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "no such output", "status"), "failed");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "no such output", "message"),
			       "the runbook has no output 'nope.Nothing' (not declared, or its "
			       "step did not run)");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "one missing", "status"), "failed");
	IRX_ASSERT_CONTAINS(step_field(rep, "assert", "one missing", "message"),
			    "output 'listUsers.UserNames' is [");
	IRX_ASSERT_CONTAINS(step_field(rep, "assert", "one missing", "message"),
			    "\"irx-drill-outputs\"");
	IRX_ASSERT_CONTAINS(step_field(rep, "assert", "one missing", "message"),
			    "], expected to contain: irx-drill-outputs, nobody-here");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "wrong account", "message"),
			       "output 'whoAmI.Account' is '111111111111', expected one of: "
			       "000000000000");
	CU_ASSERT_STRING_EQUAL(step_field(rep, "assert", "not there", "message"),
			       "output 'whoAmI.Account' at $.x is not in the response, expected "
			       "to contain: a");
	snprintf(path, sizeof(path), "%s/junit.xml", reports);
	CU_ASSERT_EQUAL(irx_read_file(path, 1u << 20, &junit, &len), 0);
	IRX_ASSERT_CONTAINS(junit, "name=\"wrong account (output:whoAmI.Account)\"");
	free(junit);
	json_object_put(rep);
	free(out);
	free(err);
}

/* Every runbook (*.yaml) in runbook_dir that no scenario (*.yaml) in drill_dir names in its
 * 'runbook:', sorted, as "a, b" into out ("" when none); invalid scenarios as "invalid F". */
static void runbooks_without_drill(const char *runbook_dir, const char *drill_dir, char *out,
				   size_t len)
{
	char names[64][256];
	size_t n = 0, o = 0;
	struct dirent **list = NULL;
	int count = scandir(runbook_dir, &list, NULL, alphasort);
	DIR *d = NULL;
	struct dirent *de = NULL;
	bool drilled[64] = {0};

	out[0] = '\0';
	for (int i = 0; i < count; i++) {
		size_t l = strlen(list[i]->d_name);

		if (l > 5 && !strcmp(list[i]->d_name + l - 5, ".yaml") && n < 64)
			snprintf(names[n++], sizeof(names[0]), "%.*s", (int)(l - 5),
				 list[i]->d_name);
		free(list[i]);
	}
	free(list);
	CU_ASSERT_TRUE_FATAL(count >= 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d = opendir(drill_dir));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char path[4400] = "";
		struct irx_diags diags = {0};
		struct irx_drill *drill = NULL;

		if (l <= 5 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", drill_dir, de->d_name);
		if (!(drill = irx_drill_load(path, &diags))) {
			o += (size_t)snprintf(out + o, len > o ? len - o : 0, "%sinvalid %s",
					      o ? ", " : "", de->d_name);
		} else {
			/* a name, or a path to the runbook's file */
			const char *base = strrchr(drill->runbook, '/');
			char name[256] = "";
			char *dot = NULL;

			snprintf(name, sizeof(name), "%s", base ? base + 1 : drill->runbook);
			if ((dot = strrchr(name, '.')) && !strcmp(dot, ".yaml"))
				*dot = '\0';
			for (size_t i = 0; i < n; i++)
				drilled[i] = drilled[i] || !strcmp(names[i], name);
		}
		irx_drill_free(drill);
		irx_diags_release(&diags);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		if (!drilled[i])
			o += (size_t)snprintf(out + o, len > o ? len - o : 0, "%s%s", o ? ", " : "",
					      names[i]);
}

/* A runbook cannot ship without a drill whose 'runbook:' names it. */
static void test_every_runbook_has_a_drill(void)
{
	char runbooks[4200] = "", drills[4200] = "", missing[4096] = "", dir[4200] = "";
	char path[4400] = "";

	snprintf(runbooks, sizeof(runbooks), "%s", irx_test_src("runbooks"));
	snprintf(drills, sizeof(drills), "%s", irx_test_src("drills"));
	runbooks_without_drill(runbooks, drills, missing, sizeof(missing));
	if (missing[0])
		fprintf(stderr, "\n  shipped runbooks without a drill in drills/: %s\n", missing);
	CU_ASSERT_STRING_EQUAL(missing, "");

	/* the check itself: a runbook no scenario names, one named by path, one by name */
	snprintf(dir, sizeof(dir), "%s", irx_test_tmpdir());
	snprintf(path, sizeof(path), "%s/runbooks", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/drills", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/runbooks/alpha.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, "schemaVersion: '0.3'\n"), 0);
	snprintf(path, sizeof(path), "%s/runbooks/beta.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, "schemaVersion: '0.3'\n"), 0);
	snprintf(path, sizeof(path), "%s/runbooks/gamma.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, "schemaVersion: '0.3'\n"), 0);
	snprintf(path, sizeof(path), "%s/runbooks/notes.txt", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, "not a runbook\n"), 0);
	snprintf(path, sizeof(path), "%s/drills/b.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path,
					     "runbook: {name: ../runbooks/beta.yaml}\n"
					     "assertions: [{output: s.O, desiredValues: [x]}]\n"),
			      0);
	snprintf(path, sizeof(path), "%s/drills/g.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path,
					     "runbook: gamma\n"
					     "assertions: [{output: s.O, desiredValues: [x]}]\n"),
			      0);
	snprintf(runbooks, sizeof(runbooks), "%s/runbooks", dir);
	snprintf(drills, sizeof(drills), "%s/drills", dir);
	runbooks_without_drill(runbooks, drills, missing, sizeof(missing));
	CU_ASSERT_STRING_EQUAL(missing, "alpha");
	/* an invalid scenario is named, and what it would cover is not counted */
	snprintf(path, sizeof(path), "%s/drills/g.yaml", dir);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(path, "runbook: gamma\n"), 0);
	runbooks_without_drill(runbooks, drills, missing, sizeof(missing));
	CU_ASSERT_STRING_EQUAL(missing, "invalid g.yaml, alpha, gamma");
}

static const char failing_scenario[] =
    "name: failing\n"
    "setup:\n"
    "  - name: topic\n"
    "    service: sns\n"
    "    api: CreateTopic\n"
    "    params: {Name: irx-drill-failing-topic}\n"
    "    outputs: [{name: TopicArn, selector: $.TopicArn}]\n"
    "  - name: user\n"
    "    service: iam\n"
    "    api: CreateUser\n"
    "    params: {UserName: irx-drill-failing-user}\n"
    "    outputs: [{name: Arn, selector: $.User.Arn}, {name: UserName, selector: "
    "$.User.UserName}]\n"
    "  - name: key\n"
    "    service: iam\n"
    "    api: CreateAccessKey\n"
    "    params: {UserName: '{{ user.UserName }}'}\n"
    "    outputs: [{name: Id, selector: $.AccessKey.AccessKeyId}]\n"
    "runbook:\n"
    "  name: iam-user-lockdown\n"
    "  target: '{{ user.Arn }}'\n"
    "  parameters: {NotifyTopicArn: '{{ topic.TopicArn }}'}\n"
    "assertions:\n"
    "  - name: keys still active <wrongly>\n"
    "    service: iam\n"
    "    api: ListAccessKeys\n"
    "    params: {UserName: '{{ user.UserName }}'}\n"
    "    selector: '$.AccessKeyMetadata[*].Status'\n"
    "    desiredValues: [Active]\n"
    "  - name: denied\n"
    "    service: iam\n"
    "    api: ListAttachedUserPolicies\n"
    "    params: {UserName: '{{ user.UserName }}'}\n"
    "    selector: '$.AttachedPolicies[*].PolicyName'\n"
    "    desiredValues: [AWSDenyAll]\n"
    "teardown:\n"
    "  - {name: topic, service: sns, api: DeleteTopic, params: {TopicArn: '{{ topic.TopicArn "
    "}}'}}\n"
    "  - {name: user, service: iam, api: DeleteUser, params: {UserName: '{{ user.UserName }}'}}\n"
    "  - {name: key, service: iam, api: DeleteAccessKey,\n"
    "     params: {UserName: '{{ user.UserName }}', AccessKeyId: '{{ key.Id }}'}}\n"
    "  - {name: revoke, service: iam, api: DeleteUserPolicy,\n"
    "     params: {UserName: '{{ user.UserName }}', PolicyName: irx-revoke-older-sessions}}\n"
    "  - {name: deny, service: iam, api: DetachUserPolicy,\n"
    "     params: {UserName: '{{ user.UserName }}', PolicyArn: "
    "'arn:aws:iam::aws:policy/AWSDenyAll'}}\n"
    "  - {name: never, service: iam, api: DeleteUser, params: {UserName: '{{ nothing.Here }}'}}\n";

static void test_failing_assertion_tears_down(void)
{
	char scenario[4200] = "", state[4200] = "", reports[4200] = "", path[4300] = "";
	const char *args[] = {"drill",	      scenario, "--state-dir", state,
			      "--report-dir", reports,	NULL};
	const char *hist[] = {"drill", "history", "--state-dir", state, "--output", "json", NULL};
	const char *hist_text[] = {"drill", "history", "failing", "--state-dir", state, NULL};
	struct json_object *st = NULL, *rep = NULL, *steps = NULL, *h = NULL;
	char *out = NULL, *err = NULL, *junit = NULL;
	size_t len = 0;
	xmlDocPtr doc = NULL;

	snprintf(state, sizeof(state), "%s", irx_test_tmpdir());
	snprintf(scenario, sizeof(scenario), "%s/failing.yaml", state);
	snprintf(reports, sizeof(reports), "%s/r", state);
	/* "never" names an output nothing captures: the loader refuses it, so load-check first */
	CU_ASSERT_EQUAL_FATAL(irx_test_write(scenario, failing_scenario), 0);
	CU_ASSERT_EQUAL(irx(args, &out, &err), 2);
	IRX_ASSERT_CONTAINS(err, "failing.yaml:44:69: teardown 'never' refers to 'nothing.Here', "
				 "which is not a setup output, global:ACCOUNT_ID, global:REGION or "
				 "drill:RUN_ID (or runbook.STEP.OUTPUT, runbook:EXECUTION_ID)\n");
	IRX_ASSERT_CONTAINS(err, "failing.yaml' is not valid; nothing was run");
	free(out);
	free(err);
	{
		/* without it: runs, the first assertion fails */
		char *fixed = irx_xstrdup(failing_scenario);

		*strstr(fixed, "  - {name: never") = '\0';
		CU_ASSERT_EQUAL_FATAL(irx_test_write(scenario, fixed), 0);
		free(fixed);
	}
	CU_ASSERT_EQUAL(irx(args, &out, &err), 1);
	IRX_ASSERT_CONTAINS(out, "failing\tFAILED\ttime-to-contain ");
	IRX_ASSERT_CONTAINS(out, "\tan assertion failed\n");
	IRX_ASSERT_CONTAINS(err, "!! assert    keys still active <wrongly>");
	IRX_ASSERT_CONTAINS(err, "$.AccessKeyMetadata[*].Status is [\"Inactive\"], expected one "
				 "of: Active");
	free(out);
	free(err);

	/* the teardown ran, last entry first, and the decoys are gone */
	snprintf(path, sizeof(path), "%s/report.json", reports);
	rep = read_json(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(rep, "passed")));
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(rep, "teardown_clean")));
	steps = json_object_object_get(rep, "steps");
	{
		const char *want[] = {"deny", "revoke", "key", "user", "topic"};
		size_t k = 0;

		for (size_t i = 0; i < json_object_array_length(steps); i++) {
			struct json_object *s = json_object_array_get_idx(steps, i);

			if (strcmp(json_object_get_string(json_object_object_get(s, "phase")),
				   "teardown") != 0)
				continue;
			CU_ASSERT_FATAL(k < 5);
			CU_ASSERT_STRING_EQUAL(
			    json_object_get_string(json_object_object_get(s, "name")), want[k]);
			CU_ASSERT_STRING_EQUAL(
			    json_object_get_string(json_object_object_get(s, "status")), "passed");
			k++;
		}
		CU_ASSERT_EQUAL(k, 5);
	}
	CU_ASSERT_EQUAL(
	    irx_sim_control(&sim, "GET", "/__awssim/state?account=111111111111", NULL, &st), 200);
	CU_ASSERT_PTR_NULL(strstr(json_object_to_json_string(st), "irx-drill-failing-user"));
	CU_ASSERT_PTR_NULL(strstr(json_object_to_json_string(st), "irx-drill-failing-topic"));

	/* the JUnit report parses and names the failure */
	snprintf(path, sizeof(path), "%s/junit.xml", reports);
	CU_ASSERT_EQUAL(irx_read_file(path, 1u << 20, &junit, &len), 0);
	doc = xmlReadMemory(junit, (int)len, "junit.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	CU_ASSERT_PTR_NOT_NULL(doc);
	IRX_ASSERT_CONTAINS(junit, "<testcase classname=\"drill.failing.assert\" name=\"keys still "
				   "active &lt;wrongly&gt; (iam:ListAccessKeys)\"");
	IRX_ASSERT_CONTAINS(junit,
			    "<failure type=\"AssertionFailed\" message=\"$.AccessKeyMetadata"
			    "[*].Status is [&quot;Inactive&quot;], expected one of: Active\">");
	xmlFreeDoc(doc);
	free(junit);
	/* the HTML has the runbook's steps from the journal in its timeline */
	snprintf(path, sizeof(path), "%s/report.html", reports);
	CU_ASSERT_EQUAL(irx_read_file(path, 1u << 20, &junit, &len), 0);
	IRX_ASSERT_CONTAINS(junit, "<h2>Timeline</h2>");
	IRX_ASSERT_CONTAINS(junit, ": denyUser <small>deny:iamUser</small>");
	IRX_ASSERT_CONTAINS(junit, ": notifyStart <small>notify:sns</small>");
	free(junit);

	/* and the history has the run */
	CU_ASSERT_EQUAL(irx(hist, &out, &err), 0);
	h = json_tokener_parse(out);
	CU_ASSERT_EQUAL(json_object_array_length(h), 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
				   json_object_array_get_idx(h, 0), "scenario")),
			       "failing");
	CU_ASSERT_FALSE(json_object_get_boolean(
	    json_object_object_get(json_object_array_get_idx(h, 0), "passed")));
	CU_ASSERT_PTR_NOT_NULL(
	    json_object_object_get(json_object_array_get_idx(h, 0), "time_to_contain_ms"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(hist_text, &out, &err), 0);
	IRX_ASSERT_CONTAINS(out, "  failing                       FAIL    aws  ");
	free(out);
	free(err);
	json_object_put(h);
	json_object_put(st);
	json_object_put(rep);
}

static void test_setup_failure_skips_and_tears_down(void)
{
	char scenario[4200] = "", state[4200] = "", reports[4200] = "", path[4300] = "";
	const char *args[] = {"drill",	      scenario, "--state-dir", state,
			      "--report-dir", reports,	"-q",	       NULL};
	struct json_object *rep = NULL, *st = NULL;
	char *out = NULL, *err = NULL;
	const char *text =
	    "setup:\n"
	    "  - {name: topic, service: sns, api: CreateTopic, params: {Name: "
	    "irx-drill-setup-fail},\n"
	    "     outputs: [{name: TopicArn, selector: $.TopicArn}]}\n"
	    "  - {name: user, service: iam, api: GetUser, params: {UserName: no-such-user-here},\n"
	    "     outputs: [{name: Arn, selector: $.User.Arn}]}\n"
	    "runbook: {name: iam-user-lockdown, target: '{{ user.Arn }}'}\n"
	    "assertions:\n"
	    "  - {service: iam, api: ListUsers, selector: $.Users, desiredValues: [x]}\n"
	    "teardown:\n"
	    "  - {service: sns, api: DeleteTopic, params: {TopicArn: '{{ topic.TopicArn }}'}}\n"
	    "  - {service: iam, api: DeleteUser, params: {UserName: '{{ user.Arn }}'}}\n"
	    "  - {service: iam, api: DeleteUser, params: {UserName: no-such-user-either}}\n";

	snprintf(state, sizeof(state), "%s", irx_test_tmpdir());
	snprintf(scenario, sizeof(scenario), "%s/setup-fails.yaml", state);
	snprintf(reports, sizeof(reports), "%s/r", state);
	CU_ASSERT_EQUAL_FATAL(irx_test_write(scenario, text), 0);
	CU_ASSERT_EQUAL(irx(args, &out, &err), 1);
	IRX_ASSERT_CONTAINS(out, "setup-fails\tFAILED\ttime-to-contain -\t");
	IRX_ASSERT_CONTAINS(out, "\tsetup 'user' failed\n");
	IRX_ASSERT_CONTAINS(err, "the teardown left decoys behind");
	snprintf(path, sizeof(path), "%s/report.json", reports);
	rep = read_json(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(rep, "teardown_clean")));
	{
		/* phase/status per step: the runbook and the assertion skipped; teardown last
		 * first: the failing delete reported, the one on a never-captured output skipped,
		 * the topic still deleted */
		const char *want[] = {"setup passed",	"setup failed",	   "runbook skipped",
				      "assert skipped", "teardown failed", "teardown skipped",
				      "teardown passed"};
		struct json_object *steps = json_object_object_get(rep, "steps");

		CU_ASSERT_EQUAL_FATAL(json_object_array_length(steps), 7);
		for (size_t i = 0; i < 7; i++) {
			struct json_object *s = json_object_array_get_idx(steps, i);
			char got[64] = "";

			snprintf(got, sizeof(got), "%s %s",
				 json_object_get_string(json_object_object_get(s, "phase")),
				 json_object_get_string(json_object_object_get(s, "status")));
			CU_ASSERT_STRING_EQUAL(got, want[i]);
		}
		IRX_ASSERT_CONTAINS(json_object_get_string(json_object_object_get(
					json_object_array_get_idx(steps, 5), "message")),
				    "not run: 'user.Arn' was never captured");
	}
	CU_ASSERT_EQUAL(
	    irx_sim_control(&sim, "GET", "/__awssim/state?account=111111111111", NULL, &st), 200);
	CU_ASSERT_PTR_NULL(strstr(json_object_to_json_string(st), "irx-drill-setup-fail"));
	json_object_put(st);
	json_object_put(rep);
	free(out);
	free(err);
}

static void test_cli_errors(void)
{
	const char *missing[] = {"drill", "no-such-drill", NULL};
	const char *none[] = {"drill", NULL};
	const char *check[] = {"drill", "check", NULL, NULL};
	char path[4200] = "";
	char *out = NULL, *err = NULL;

	CU_ASSERT_EQUAL(irx(missing, &out, &err), 3);
	IRX_ASSERT_CONTAINS(err, "irx drill: no drill scenario 'no-such-drill'");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(none, &out, &err), 2);
	IRX_ASSERT_CONTAINS(err, "irx drill: no scenario named");
	free(out);
	free(err);
	snprintf(path, sizeof(path), "%s", irx_test_src("drills/lambda-lockdown.yaml"));
	check[2] = path;
	CU_ASSERT_EQUAL(irx(check, &out, &err), 0);
	IRX_ASSERT_CONTAINS(out, "lambda-lockdown.yaml\tok\tlambda-lockdown\n");
	free(out);
	free(err);
}

/* irx schedule run --once: a run missed while down runs once; then nothing is due. */
static void test_schedule_run_missed_once(void)
{
	char dir[4200] = "", config[4300] = "", state_file[4300] = "", text[8192] = "";
	const char *run[] = {"schedule", "run",		"--once", "--config",
			     config,	 "--state-dir", dir,	  NULL};
	const char *hist[] = {"drill", "history", "--state-dir", dir, "--output", "json", NULL};
	const char *cron[] = {"schedule", "install",	 "--cron", "--config",
			      config,	  "--state-dir", dir,	   NULL};
	const char *both[] = {"schedule", "install", "--systemd", "--cron",
			      "--config", config,    NULL};
	struct json_object *h = NULL;
	char *out = NULL, *err = NULL;

	snprintf(dir, sizeof(dir), "%s", irx_test_tmpdir());
	snprintf(config, sizeof(config), "%s/irx.yaml", dir);
	snprintf(state_file, sizeof(state_file), "%s/schedule.json", dir);
	snprintf(text, sizeof(text),
		 "version: 1\n"
		 "schedules:\n"
		 "  - {name: role-weekly, cron: '0 3 * * mon', scenario: '%s'}\n"
		 "  - {name: off, cron: '@hourly', scenario: nope, enabled: false}\n",
		 irx_test_src("drills/iam-role-lockdown.yaml"));
	CU_ASSERT_EQUAL_FATAL(irx_test_write(config, text), 0);
	/* last ran in 2001: at least one Monday 03:00 was missed */
	CU_ASSERT_EQUAL_FATAL(
	    irx_test_write(state_file, "{\"role-weekly\": {\"last\": 1000000000}}"), 0);
	CU_ASSERT_EQUAL(irx(run, &out, &err), 0);
	IRX_ASSERT_CONTAINS(err, "irx schedule: 'role-weekly': drill '");
	IRX_ASSERT_CONTAINS(err, "iam-role-lockdown.yaml' started (pid ");
	IRX_ASSERT_CONTAINS(err, "; missed since ");
	IRX_ASSERT_CONTAINS(err, "irx schedule: 'role-weekly': drill passed (exit 0, ");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(run, &out, &err), 0);
	CU_ASSERT_PTR_NULL(strstr(err, "started"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(hist, &out, &err), 0);
	h = json_tokener_parse(out);
	CU_ASSERT_EQUAL(json_object_array_length(h), 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(
				   json_object_array_get_idx(h, 0), "scenario")),
			       "iam-role-lockdown");
	CU_ASSERT_TRUE(json_object_get_boolean(
	    json_object_object_get(json_object_array_get_idx(h, 0), "passed")));
	json_object_put(h);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(cron, &out, &err), 0);
	IRX_ASSERT_CONTAINS(out, "# role-weekly\n0 3 * * mon '");
	IRX_ASSERT_CONTAINS(out, "' drill '");
	IRX_ASSERT_CONTAINS(out, "drills/iam-role-lockdown.yaml' --quiet --state-dir '");
	CU_ASSERT_PTR_NULL(strstr(out, "nope"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(irx(both, &out, &err), 2);
	IRX_ASSERT_CONTAINS(err, "irx schedule: install: give one of --systemd or --cron");
	free(out);
	free(err);
}

static CU_TestInfo tests[] = {
    {"a valid scenario", test_valid},
    {"invalid scenarios: every problem with its position", test_invalid},
    {"time to contain from a journal", test_time_to_contain},
    {"JUnit XML parses and escapes", test_junit_escaping},
    {"HTML: self-contained, timeline, time to contain", test_html},
    {"shipped ec2-isolate with --sim (its own simulator)", test_shipped_ec2_isolate_sim_flag},
    {"every other shipped scenario passes", test_shipped_others},
    {"shipped demo-quarantine: quarantined, then found quarantined", test_shipped_demo_quarantine},
    {"assertions on runbook outputs: desiredValues, containsValues, messages",
     test_output_assertions},
    {"every shipped runbook has a shipped drill", test_every_runbook_has_a_drill},
    {"a failing assertion: exit 1, teardown ran, decoys gone, reports",
     test_failing_assertion_tears_down},
    {"a failing setup: runbook skipped, teardown still runs",
     test_setup_failure_skips_and_tears_down},
    {"command line errors and drill check", test_cli_errors},
    {"irx schedule run: a missed run once; install --cron", test_schedule_run_missed_once},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("drill", tests, suite_init, suite_clean)
