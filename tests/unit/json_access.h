/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Short JSON accessors for test suites, which dig into the simulator's state, irx's --output json
 * and journal records several levels deep (jk(jk(jk(ec2, "addresses"), id), "PublicIp")): each
 * takes NULL or a value of the wrong type and answers "missing", so a chain never crashes and
 * the assertion at its end says what was wrong. Values are borrowed from their parent.
 * static inline: the names are short because they nest; they are local to each suite.
 */
#ifndef IRX_TEST_JSON_ACCESS_H
#define IRX_TEST_JSON_ACCESS_H

#include <stddef.h>

#include <json-c/json.h>

/* Member k of object o; NULL when o is not an object or has no k. */
static inline struct json_object *jk(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, &v)
		   ? v
		   : NULL;
}

/* Element i of array a; NULL when a is not an array or i is past its end. */
static inline struct json_object *ji(struct json_object *a, size_t i)
{
	return a && json_object_is_type(a, json_type_array) && i < json_object_array_length(a)
		   ? json_object_array_get_idx(a, i)
		   : NULL;
}

/* The length of array a; 0 when it is not an array. */
static inline size_t jlen(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* o as text (a string's value, other values as JSON: 5, true); "" for NULL. */
static inline const char *js(struct json_object *o)
{
	return o ? json_object_get_string(o) : "";
}

/* o's value when it is a string, else "" (so a number is not taken for an id). */
static inline const char *jstr(struct json_object *o)
{
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : "";
}

#endif
