/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "selector.h"
#include "test.h"

/* A trimmed but real-shaped EC2 DescribeInstances response (the JSON the SDKs produce). */
static const char *const EC2_JSON =
	"{\"Reservations\":["
	" {\"ReservationId\":\"r-0a1b2c3d4e5f60718\",\"OwnerId\":\"123456789012\","
	"  \"Groups\":[],"
	"  \"Instances\":[{"
	"   \"InstanceId\":\"i-0abc1234def567890\",\"ImageId\":\"ami-0ff8a91507f77f867\","
	"   \"InstanceType\":\"t3.micro\",\"LaunchTime\":\"2024-03-01T10:15:30.000Z\","
	"   \"AmiLaunchIndex\":0,\"EbsOptimized\":false,"
	"   \"State\":{\"Code\":16,\"Name\":\"running\"},"
	"   \"Placement\":{\"AvailabilityZone\":\"eu-west-1a\",\"Tenancy\":\"default\"},"
	"   \"PrivateIpAddress\":\"10.0.1.23\",\"SubnetId\":\"subnet-0123456789abcdef0\","
	"   \"VpcId\":\"vpc-0123456789abcdef0\",\"RootDeviceName\":\"/dev/xvda\","
	"   \"IamInstanceProfile\":{\"Arn\":\"arn:aws:iam::123456789012:instance-profile/web\","
	"    \"Id\":\"AIPAEXAMPLE1234567890\"},"
	"   \"BlockDeviceMappings\":["
	"    {\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"VolumeId\":\"vol-0aaa\",\"Status\":\"attached\","
	"     \"DeleteOnTermination\":true}},"
	"    {\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"VolumeId\":\"vol-0bbb\",\"Status\":\"attached\","
	"     \"DeleteOnTermination\":false}}],"
	"   \"NetworkInterfaces\":["
	"    {\"NetworkInterfaceId\":\"eni-0111\",\"Attachment\":{\"DeviceIndex\":0},"
	"     \"Groups\":[{\"GroupName\":\"web\",\"GroupId\":\"sg-0aa\"}]},"
	"    {\"NetworkInterfaceId\":\"eni-0222\",\"Attachment\":{\"DeviceIndex\":1},"
	"     \"Groups\":[{\"GroupName\":\"db-client\",\"GroupId\":\"sg-0bb\"},"
	"                 {\"GroupName\":\"monitoring\",\"GroupId\":\"sg-0cc\"}]}],"
	"   \"SecurityGroups\":[{\"GroupName\":\"web\",\"GroupId\":\"sg-0aa\"}],"
	"   \"Tags\":[{\"Key\":\"Name\",\"Value\":\"ウェブサーバー\"},"
	"            {\"Key\":\"aws:cloudformation:stack-name\",\"Value\":\"prod\"}]"
	"  }]},"
	" {\"ReservationId\":\"r-0ffff\",\"OwnerId\":\"123456789012\",\"Groups\":[],"
	"  \"Instances\":[{\"InstanceId\":\"i-0def9876\",\"State\":{\"Code\":80,\"Name\":\"stopped\"},"
	"   \"NetworkInterfaces\":[],\"Tags\":[]}]}"
	"]}";

static struct json_object *ec2;

static int suite_init(void)
{
	ec2 = json_tokener_parse(EC2_JSON);
	return ec2 ? 0 : -1;
}

static int suite_clean(void)
{
	json_object_put(ec2);
	ec2 = NULL;
	return 0;
}

static const char *plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void check_ok(const char *sel)
{
	char msg[256] = "";
	size_t off = 999;
	int rc = irx_selector_check(sel, msg, sizeof(msg), &off);

	if (rc != 0)
		fprintf(stderr, "\n  check '%s': %s\n", sel, msg);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(msg, "");
}

static void check_bad(const char *sel, const char *want_msg, size_t want_off)
{
	char msg[256] = "";
	size_t off = 999;
	int rc = irx_selector_check(sel, msg, sizeof(msg), &off);

	if (rc != -1 || strcmp(msg, want_msg) != 0 || off != want_off)
		fprintf(stderr, "\n  check '%s': rc %d '%s' at %zu (want '%s' at %zu)\n", sel, rc,
			msg, off, want_msg, want_off);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_STRING_EQUAL(msg, want_msg);
	CU_ASSERT_EQUAL(off, want_off);
}

/* Selects sel from the JSON text doc (NULL: the EC2 fixture); compares compact JSON. */
static void select_ok(const char *doc, const char *sel, const char *want, enum json_type type)
{
	struct irx_error err = {0};
	struct json_object *root = doc ? json_tokener_parse(doc) : json_object_get(ec2);
	struct json_object *out = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	out = irx_selector_select(root, sel, &err);
	if (!out || strcmp(plain(out), want) != 0)
		fprintf(stderr, "\n  select '%s': got %s (%s) want %s\n", sel,
			out ? plain(out) : "NULL", err.message, want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(err.code, IRX_OK);
	CU_ASSERT_STRING_EQUAL(plain(out), want);
	CU_ASSERT_EQUAL(json_object_get_type(out), type);
	json_object_put(out);
	json_object_put(root);
}

static void select_bad(const char *doc, const char *sel, enum irx_status code, const char *want)
{
	struct irx_error err = {0};
	struct json_object *root = doc ? json_tokener_parse(doc) : json_object_get(ec2);
	struct json_object *out = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	out = irx_selector_select(root, sel, &err);
	if (out || strcmp(err.message, want) != 0)
		fprintf(stderr, "\n  select '%s': got %s '%s' want '%s'\n", sel,
			out ? plain(out) : "NULL", err.message, want);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(err.code, code);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	json_object_put(out);
	json_object_put(root);
}

/* --- check --------------------------------------------------------------- */

static void test_check_accepts(void)
{
	check_ok("$");
	check_ok("$.a");
	check_ok("$['a']");
	check_ok("$[\"a\"]");
	check_ok("$[0]");
	check_ok("$[-1]");
	check_ok("$[*]");
	check_ok("$.*");
	check_ok("$..Name");
	check_ok("$..*");
	check_ok("$..[0]");
	check_ok("$..['a']");
	check_ok("$.a[0,1]");
	check_ok("$['a','b']");
	check_ok("$[1:3]");
	check_ok("$[:2]");
	check_ok("$[-2:]");
	check_ok("$[:]");
	check_ok("$[ 0 ]");
	check_ok("$[ 'a' , \"b\" ]");
	check_ok("$.Tags.名前");
	check_ok("$['名 前']");
	check_ok("$.a-b");
	check_ok("$.aws:cloudformation:stack-name");
	check_ok("$.Reservations[0].Instances[0].NetworkInterfaces[1].Groups");
	check_ok("$['it\\'s']");
	check_ok("$[9223372036854775807]");
	check_ok("$[-9223372036854775807]");
}

static void test_check_rejects(void)
{
	check_bad("", "empty selector", 0);
	check_bad("Reservations[0]", "selector must start with '$'", 0);
	check_bad(".a", "selector must start with '$'", 0);
	check_bad(" $.a", "selector must start with '$'", 0);
	check_bad("$.", "expected a name after '.' at offset 2", 2);
	check_bad("$..", "expected a name after '..' at offset 3", 3);
	check_bad("$...a", "expected a name after '..' at offset 3", 3);
	check_bad("$a", "expected '.' or '[' at offset 1", 1);
	check_bad("$.a[", "expected an index, '*' or a quoted name at offset 4", 4);
	check_bad("$.a[0", "expected ']' at offset 5", 5);
	check_bad("$.abcdefgh[0", "expected ']' at offset 12", 12);
	check_bad("$.a['x", "unterminated quoted name at offset 4", 4);
	check_bad("$.a[\"x\\\"]", "unterminated quoted name at offset 4", 4);
	check_bad("$.a['x'", "expected ']' at offset 7", 7);
	check_bad("$.a[x]", "expected an index, '*' or a quoted name at offset 4", 4);
	check_bad("$[]", "expected an index, '*' or a quoted name at offset 2", 2);
	check_bad("$.a[-]", "expected a digit after '-' at offset 5", 5);
	check_bad("$.a[99999999999999999999]", "index too large at offset 4", 4);
	check_bad("$[9223372036854775808]", "index too large at offset 2", 2);
	check_bad("$.a[1,]", "expected an index at offset 6", 6);
	check_bad("$.a['x',1]", "expected a quoted name at offset 8", 8);
	check_bad("$.a b", "expected '.' or '[' at offset 3", 3);
	check_bad("$.a[*", "expected ']' at offset 5", 5);
	check_bad("$.a[1:2:3]", "expected ']' at offset 7", 7);
	check_bad("$.a[?(@.x)]", "expected an index, '*' or a quoted name at offset 4", 4);
	check_bad("$.a()", "expected '.' or '[' at offset 3", 3);
	check_bad("$.*x", "expected '.' or '[' at offset 3", 3);
	check_bad("$$", "expected '.' or '[' at offset 1", 1);
	check_bad("$.a]", "expected '.' or '[' at offset 3", 3);
	check_bad("$.'a'", "expected a name after '.' at offset 2", 2);
	check_bad("$.a\tb", "expected '.' or '[' at offset 3", 3);
	check_bad(NULL, "empty selector", 0);
}

static void test_check_null_buffers(void)
{
	char tiny[6] = "zzzzz";

	CU_ASSERT_EQUAL(irx_selector_check("x", NULL, 0, NULL), -1);
	CU_ASSERT_EQUAL(irx_selector_check("$.a", NULL, 0, NULL), 0);
	CU_ASSERT_EQUAL(irx_selector_check("$[", tiny, sizeof(tiny), NULL), -1);
	CU_ASSERT_STRING_EQUAL(tiny, "expec");
}

/* --- select: definite ---------------------------------------------------- */

static void test_select_ec2(void)
{
	select_ok(NULL, "$.Reservations[0].Instances[0].InstanceId", "\"i-0abc1234def567890\"",
		  json_type_string);
	select_ok(NULL, "$.Reservations[0].Instances[0].State.Name", "\"running\"",
		  json_type_string);
	select_ok(NULL, "$.Reservations[0].Instances[0].State.Code", "16", json_type_int);
	select_ok(NULL, "$.Reservations[0].Instances[0].EbsOptimized", "false",
		  json_type_boolean);
	select_ok(NULL, "$.Reservations[0].Instances[0].Placement.AvailabilityZone",
		  "\"eu-west-1a\"", json_type_string);
	select_ok(NULL, "$.Reservations[0].Instances[0].NetworkInterfaces[1].Groups",
		  "[{\"GroupName\":\"db-client\",\"GroupId\":\"sg-0bb\"},"
		  "{\"GroupName\":\"monitoring\",\"GroupId\":\"sg-0cc\"}]",
		  json_type_array);
	select_ok(NULL, "$.Reservations[0].Instances[0].State",
		  "{\"Code\":16,\"Name\":\"running\"}", json_type_object);
	select_ok(NULL, "$.Reservations[-1].Instances[0].InstanceId", "\"i-0def9876\"",
		  json_type_string);
	select_ok(NULL, "$.Reservations[0].Instances[0].NetworkInterfaces[-1].Groups[-2].GroupId",
		  "\"sg-0bb\"", json_type_string);
	select_ok(NULL, "$['Reservations'][0][\"Instances\"][0]['InstanceId']",
		  "\"i-0abc1234def567890\"", json_type_string);
	select_ok(NULL, "$.Reservations[0].Instances[0].Tags[0].Value", "\"ウェブサーバー\"",
		  json_type_string);
	select_ok(NULL, "$.Reservations[0].Instances[0].IamInstanceProfile.Arn",
		  "\"arn:aws:iam::123456789012:instance-profile/web\"", json_type_string);
	select_ok(NULL, "$.Reservations[1].Groups", "[]", json_type_array);
}

static void test_select_root_is_new_reference(void)
{
	struct irx_error err = {0};
	struct json_object *doc = json_tokener_parse("{\"a\":{\"b\":1}}");
	struct json_object *out = irx_selector_select(doc, "$", &err);
	struct json_object *a = irx_selector_select(doc, "$.a", &err);

	CU_ASSERT_PTR_EQUAL(out, doc);
	CU_ASSERT_PTR_EQUAL(a, json_object_object_get(doc, "a"));
	/* each result holds its own reference: both outlive the document's */
	CU_ASSERT_EQUAL(json_object_put(doc), 0);
	CU_ASSERT_STRING_EQUAL(plain(a), "{\"b\":1}");
	json_object_put(a);
	CU_ASSERT_EQUAL(json_object_put(out), 1);
}

static void test_select_not_found(void)
{
	select_bad(NULL, "$.Reservations[0].Instances[0].Nope", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[0].Instances[0].Nope' matched nothing: no key 'Nope' "
		   "in '$.Reservations[0].Instances[0]'");
	select_bad(NULL, "$.Nope.Deeper.Still", IRX_ERR_NOT_FOUND,
		   "selector '$.Nope.Deeper.Still' matched nothing: no key 'Nope' in '$'");
	select_bad(NULL, "$.Reservations[5].Instances", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[5].Instances' matched nothing: index 5 out of range "
		   "in '$.Reservations' (2 elements)");
	select_bad(NULL, "$.Reservations[-3]", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[-3]' matched nothing: index -3 out of range in "
		   "'$.Reservations' (2 elements)");
	select_bad(NULL, "$.Reservations[1].Instances[0].NetworkInterfaces[0]", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[1].Instances[0].NetworkInterfaces[0]' matched "
		   "nothing: index 0 out of range in '$.Reservations[1].Instances[0]."
		   "NetworkInterfaces' (0 elements)");
	select_bad(NULL, "$.Reservations.x", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations.x' matched nothing: '$.Reservations' is an array, "
		   "not an object");
	select_bad(NULL, "$.Reservations[0].ReservationId[0]", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[0].ReservationId[0]' matched nothing: "
		   "'$.Reservations[0].ReservationId' is a string, not an array");
	select_bad(NULL, "$.Reservations[0]['Instances'][0].State.Code.x", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[0]['Instances'][0].State.Code.x' matched nothing: "
		   "'$.Reservations[0]['Instances'][0].State.Code' is a number, not an object");
	select_bad(NULL, "$[0]", IRX_ERR_NOT_FOUND,
		   "selector '$[0]' matched nothing: '$' is an object, not an array");
	select_bad(NULL, "$.Reservations[0].Instances[0].EbsOptimized.x", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[0].Instances[0].EbsOptimized.x' matched nothing: "
		   "'$.Reservations[0].Instances[0].EbsOptimized' is a boolean, not an object");
	/* case matters, as in JSON */
	select_bad(NULL, "$.reservations", IRX_ERR_NOT_FOUND,
		   "selector '$.reservations' matched nothing: no key 'reservations' in '$'");
}

static void test_select_big_indexes(void)
{
	select_bad(NULL, "$.Reservations[9223372036854775807]", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[9223372036854775807]' matched nothing: index "
		   "9223372036854775807 out of range in '$.Reservations' (2 elements)");
	select_bad(NULL, "$.Reservations[-9223372036854775807]", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[-9223372036854775807]' matched nothing: index "
		   "-9223372036854775807 out of range in '$.Reservations' (2 elements)");
	select_bad(NULL, "$.Reservations[4294967296]", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[4294967296]' matched nothing: index 4294967296 out "
		   "of range in '$.Reservations' (2 elements)");
	select_bad(NULL, "$.Reservations[18446744073709551617]", IRX_ERR_INVALID,
		   "invalid selector '$.Reservations[18446744073709551617]': index too large at "
		   "offset 15");
	select_ok(NULL, "$.Reservations[-9223372036854775807:9223372036854775807].ReservationId",
		  "[\"r-0a1b2c3d4e5f60718\",\"r-0ffff\"]", json_type_array);
	select_bad(NULL, "$.Reservations[9223372036854775806,-9223372036854775807]",
		   IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[9223372036854775806,-9223372036854775807]' matched "
		   "nothing");
}

static void test_select_nulls(void)
{
	const char *doc = "{\"a\":null,\"b\":1,\"c\":[null]}";

	select_bad(doc, "$.a", IRX_ERR_NOT_FOUND, "selector '$.a' matched nothing: '$.a' is null");
	select_bad(doc, "$.a.x", IRX_ERR_NOT_FOUND,
		   "selector '$.a.x' matched nothing: '$.a' is null, not an object");
	select_bad(doc, "$.c[0]", IRX_ERR_NOT_FOUND,
		   "selector '$.c[0]' matched nothing: '$.c[0]' is null");
	select_ok(doc, "$.*", "[null,1,[null]]", json_type_array);
	select_ok(doc, "$..*", "[null,1,[null],null]", json_type_array);
	/* json-c's null is a NULL pointer */
	{
		struct irx_error err = {0};

		CU_ASSERT_PTR_NULL(irx_selector_select(NULL, "$", &err));
		CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
		CU_ASSERT_STRING_EQUAL(err.message, "selector '$' matched nothing: '$' is null");
		irx_error_clear(&err);
		CU_ASSERT_PTR_NULL(irx_selector_select(NULL, "$[*]", &err));
		CU_ASSERT_STRING_EQUAL(err.message, "selector '$[*]' matched nothing");
	}
}

/* --- select: wildcards, recursion, lists, slices ------------------------- */

static void test_select_wildcards(void)
{
	select_ok(NULL, "$.Reservations[0].Instances[0].NetworkInterfaces[*].NetworkInterfaceId",
		  "[\"eni-0111\",\"eni-0222\"]", json_type_array);
	select_ok(NULL, "$.Reservations[*].Instances[*].InstanceId",
		  "[\"i-0abc1234def567890\",\"i-0def9876\"]", json_type_array);
	select_ok(NULL, "$.Reservations.*.Instances.*.State.Name", "[\"running\",\"stopped\"]",
		  json_type_array);
	select_ok(NULL, "$.Reservations[0].Instances[0].BlockDeviceMappings[*].Ebs.VolumeId",
		  "[\"vol-0aaa\",\"vol-0bbb\"]", json_type_array);
	select_ok(NULL, "$.Reservations[0].Instances[0].State.*", "[16,\"running\"]",
		  json_type_array);
	select_ok(NULL, "$.Reservations[0].Instances[0].State[*]", "[16,\"running\"]",
		  json_type_array);
	/* a wildcard that matches one value is still a list */
	select_ok(NULL, "$.Reservations[0].Instances[*].InstanceId", "[\"i-0abc1234def567890\"]",
		  json_type_array);
	/* parts missing under a wildcard are skipped, not errors */
	select_ok(NULL, "$.Reservations[*].Instances[0].ImageId", "[\"ami-0ff8a91507f77f867\"]",
		  json_type_array);
	select_bad(NULL, "$.Reservations[*].Nope", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[*].Nope' matched nothing");
	select_bad(NULL, "$.Reservations[1].Groups[*]", IRX_ERR_NOT_FOUND,
		   "selector '$.Reservations[1].Groups[*]' matched nothing");
	select_bad("{\"x\":\"scalar\"}", "$.x.*", IRX_ERR_NOT_FOUND,
		   "selector '$.x.*' matched nothing");
}

static void test_select_recursive(void)
{
	select_ok(NULL, "$..GroupId", "[\"sg-0aa\",\"sg-0bb\",\"sg-0cc\",\"sg-0aa\"]",
		  json_type_array);
	select_ok(NULL, "$.Reservations[0].Instances[0].NetworkInterfaces..GroupName",
		  "[\"web\",\"db-client\",\"monitoring\"]", json_type_array);
	select_ok(NULL, "$..InstanceId", "[\"i-0abc1234def567890\",\"i-0def9876\"]",
		  json_type_array);
	select_ok(NULL, "$..State.Code", "[16,80]", json_type_array);
	select_ok(NULL, "$..Tags[0].Key", "[\"Name\"]", json_type_array);
	/* document order, the node itself before its children */
	select_ok("{\"Name\":1,\"x\":{\"Name\":2,\"y\":[{\"Name\":3}]},\"z\":{\"Name\":{\"Name\":4}}}",
		  "$..Name", "[1,2,3,{\"Name\":4},4]", json_type_array);
	select_ok("{\"a\":{\"b\":1},\"c\":[2]}", "$..*", "[{\"b\":1},[2],1,2]", json_type_array);
	select_ok("{\"a\":[1,[2,3]],\"b\":{\"c\":[4]}}", "$..[0]", "[1,2,4]", json_type_array);
	select_ok("{\"a\":{\"k\":1},\"b\":[{\"k\":2,\"j\":3}]}", "$..['k','j']", "[1,2,3]",
		  json_type_array);
	select_ok("[[1,2],[3]]", "$..[-1]", "[[3],2,3]", json_type_array);
	select_bad(NULL, "$..NoSuchKey", IRX_ERR_NOT_FOUND, "selector '$..NoSuchKey' matched nothing");
}

static void test_select_lists_and_slices(void)
{
	const char *arr = "{\"a\":[10,20,30,40]}";

	select_ok(arr, "$.a[0,2]", "[10,30]", json_type_array);
	select_ok(arr, "$.a[3,0,-1]", "[40,10,40]", json_type_array);
	select_ok(arr, "$.a[0,9]", "[10]", json_type_array);
	select_ok(arr, "$.a[1:3]", "[20,30]", json_type_array);
	select_ok(arr, "$.a[-2:]", "[30,40]", json_type_array);
	select_ok(arr, "$.a[:1]", "[10]", json_type_array);
	select_ok(arr, "$.a[:]", "[10,20,30,40]", json_type_array);
	select_ok(arr, "$.a[-100:100]", "[10,20,30,40]", json_type_array);
	select_bad(arr, "$.a[3:1]", IRX_ERR_NOT_FOUND, "selector '$.a[3:1]' matched nothing");
	select_bad(arr, "$.a[4:]", IRX_ERR_NOT_FOUND, "selector '$.a[4:]' matched nothing");
	select_ok(NULL, "$.Reservations[0].Instances[0]['InstanceId','InstanceType','Nope']",
		  "[\"i-0abc1234def567890\",\"t3.micro\"]", json_type_array);
	select_ok(NULL, "$.Reservations[0].Instances[0].NetworkInterfaces[0,1].Attachment."
		  "DeviceIndex",
		  "[0,1]", json_type_array);
	select_ok(NULL, "$.Reservations[0].Instances[0].NetworkInterfaces[0:1].Groups[0].GroupName",
		  "[\"web\"]", json_type_array);
}

static void test_select_unicode_and_quoted_keys(void)
{
	const char *doc = "{\"名前\":{\"キー\":\"値\"},\"a b\":1,\"it's\":2,\"q\\\"\":3,\"a.b\":4,"
			  "\"a\":{\"b\":5},\"[x]\":6,\"\":7,\"aws:cloudformation:stack-name\":\"s\","
			  "\"emoji😀\":8}";

	select_ok(doc, "$.名前.キー", "\"値\"", json_type_string);
	select_ok(doc, "$['名前']['キー']", "\"値\"", json_type_string);
	select_ok(doc, "$[\"名前\"].キー", "\"値\"", json_type_string);
	select_ok(doc, "$['a b']", "1", json_type_int);
	select_ok(doc, "$['it\\'s']", "2", json_type_int);
	select_ok(doc, "$[\"it's\"]", "2", json_type_int);
	select_ok(doc, "$[\"q\\\"\"]", "3", json_type_int);
	select_ok(doc, "$['q\"']", "3", json_type_int);
	select_ok(doc, "$['a.b']", "4", json_type_int);
	select_ok(doc, "$.a.b", "5", json_type_int);
	select_ok(doc, "$['[x]']", "6", json_type_int);
	select_ok(doc, "$['']", "7", json_type_int);
	select_ok(doc, "$.aws:cloudformation:stack-name", "\"s\"", json_type_string);
	select_ok(doc, "$.emoji😀", "8", json_type_int);
	select_bad(doc, "$.名前.x", IRX_ERR_NOT_FOUND,
		   "selector '$.名前.x' matched nothing: no key 'x' in '$.名前'");
	select_bad(doc, "$['名前']['ない']", IRX_ERR_NOT_FOUND,
		   "selector '$['名前']['ない']' matched nothing: no key 'ない' in '$['名前']'");
}

static void test_select_deep_chains(void)
{
	char sel[2048] = "$";
	char sel2[2048] = "$";
	struct json_object *root = json_object_new_object(), *cur = root;
	struct json_object *aroot = json_object_new_array(), *acur = aroot;
	struct json_object *out = NULL;
	struct irx_error err = {0};

	for (int i = 0; i < 300; i++) {
		struct json_object *next = json_object_new_object();
		struct json_object *anext = json_object_new_array();

		json_object_object_add(cur, "a", next);
		json_object_array_add(acur, anext);
		cur = next;
		acur = anext;
		strcat(sel, ".a");
		strcat(sel2, "[0]");
	}
	json_object_object_add(cur, "end", json_object_new_string("bottom"));
	json_object_array_add(acur, json_object_new_int(7));
	strcat(sel, ".end");
	strcat(sel2, "[0]");

	out = irx_selector_select(root, sel, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(out), "bottom");
	json_object_put(out);

	out = irx_selector_select(aroot, sel2, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(json_object_get_int(out), 7);
	json_object_put(out);

	out = irx_selector_select(root, "$..end", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(plain(out), "[\"bottom\"]");
	json_object_put(out);

	out = irx_selector_select(root, "$..a", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(json_object_array_length(out), 300);
	json_object_put(out);

	/* one step too far names the first missing part */
	strcpy(sel + strlen(sel) - 4, ".a.a");
	out = irx_selector_select(root, sel, &err);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	IRX_ASSERT_CONTAINS(err.message, "matched nothing: no key 'a' in '$.a.a.a");
	CU_ASSERT_EQUAL(err.code, IRX_ERR_NOT_FOUND);
	json_object_put(root);
	json_object_put(aroot);
}

static void test_select_limit(void)
{
	struct json_object *root = json_object_new_array(), *out = NULL;
	struct irx_error err = {0};

	for (int i = 0; i < 400; i++) {
		struct json_object *row = json_object_new_array();

		for (int k = 0; k < 300; k++)
			json_object_array_add(row, json_object_new_int(k));
		json_object_array_add(root, row);
	}
	out = irx_selector_select(root, "$[*][*]", &err);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_LIMIT);
	CU_ASSERT_STRING_EQUAL(err.message, "selector '$[*][*]' matched more than 100000 values");
	irx_error_clear(&err);
	out = irx_selector_select(root, "$..*..*..*", &err);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(err.code, IRX_ERR_LIMIT);
	irx_error_clear(&err);
	/* under the limit is fine */
	out = irx_selector_select(root, "$[0:300][5]", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(json_object_array_length(out), 300);
	json_object_put(out);
	json_object_put(root);
}

static void test_select_invalid(void)
{
	select_bad(NULL, "$.a[", IRX_ERR_INVALID,
		   "invalid selector '$.a[': expected an index, '*' or a quoted name at offset 4");
	select_bad(NULL, "Reservations", IRX_ERR_INVALID,
		   "invalid selector 'Reservations': selector must start with '$'");
	select_bad(NULL, "", IRX_ERR_INVALID, "invalid selector '': empty selector");
}

static CU_TestInfo tests[] = {
	{"check accepts", test_check_accepts},
	{"check rejects", test_check_rejects},
	{"check null buffers", test_check_null_buffers},
	{"select ec2 describe-instances", test_select_ec2},
	{"select root is new reference", test_select_root_is_new_reference},
	{"select not found", test_select_not_found},
	{"select big indexes", test_select_big_indexes},
	{"select nulls", test_select_nulls},
	{"select wildcards", test_select_wildcards},
	{"select recursive", test_select_recursive},
	{"select lists and slices", test_select_lists_and_slices},
	{"select unicode and quoted keys", test_select_unicode_and_quoted_keys},
	{"select deep chains", test_select_deep_chains},
	{"select limit", test_select_limit},
	{"select invalid", test_select_invalid},
	CU_TEST_INFO_NULL,
};

IRX_SUITE("selector", tests, suite_init, suite_clean)
