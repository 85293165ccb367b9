/* SPDX-License-Identifier: Apache-2.0 */
/* irx list: the runbooks on the runbook path, with their descriptions. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "diag.h"
#include "runbook.h"

struct list_state {
	bool json;
	struct json_object *out;
};

/* The first line of a runbook's description, for a one-line listing. */
static void first_line(const char *text, char *buf, size_t len)
{
	size_t n = strcspn(text, "\n");

	while (*text == '#' || *text == ' ') {
		text++;
		n = strcspn(text, "\n");
	}
	snprintf(buf, len, "%.*s", (int)n, text);
}

static void list_one(void *ud, const char *name, const char *path)
{
	struct list_state *st = ud;
	struct irx_diags diags = {0};
	struct irx_runbook *rb = irx_runbook_load(path, &diags);
	char summary[160] = "";

	if (rb)
		first_line(rb->description, summary, sizeof(summary));
	if (!rb || diags.count)
		snprintf(summary, sizeof(summary), "(does not load: run 'irx validate %s')", name);
	if (st->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "Name", json_object_new_string(name));
		json_object_object_add(o, "Path", json_object_new_string(path));
		json_object_object_add(o, "Description", json_object_new_string(summary));
		json_object_array_add(st->out, o);
	} else {
		printf("%-28s %s\n", name, summary);
	}
	irx_runbook_free(rb);
	irx_diags_release(&diags);
}

int irx_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct list_state st = {0};
	int c = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (irx_cli_parse_output(optarg, &st.json) < 0)
				return IRX_EXIT_INVALID;
			break;
		case 'h':
			printf("usage: irx list [--output text|json]\n\n"
			       "Lists runbooks in ./runbooks, IRX_RUNBOOK_PATH and %s;\n"
			       "a name found earlier on the path hides later ones.\n",
			       IRX_RUNBOOK_DIR);
			return IRX_EXIT_OK;
		default:
			return IRX_EXIT_INVALID;
		}
	}
	if (optind < argc) {
		irx_cli_error("list", "unexpected argument '%s'", argv[optind]);
		return IRX_EXIT_INVALID;
	}
	if (st.json)
		st.out = json_object_new_array();
	irx_cli_each_runbook(list_one, &st);
	if (st.json) {
		printf("%s\n", json_object_to_json_string_ext(st.out, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(st.out);
	}
	return IRX_EXIT_OK;
}
