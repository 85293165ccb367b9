/* SPDX-License-Identifier: Apache-2.0 */
/* Arbitrary bytes as an event: parse, route (no dedupe store), render; nothing may crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "error.h"
#include "events.h"
#include "routing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct irx_config *cfg;
	static const char yaml[] = "version: 1\nevents: {external_id: fuzz-xid}\n";
	struct irx_error err = {0};
	struct irx_event *ev = NULL;
	struct irx_plan plan = {0};
	struct irx_plan_options o = {.now = 1800000000};

	if (!cfg) {
		struct irx_diags d = {0};

		cfg = irx_config_load_buffer("fuzz.yaml", yaml, sizeof(yaml) - 1, &d);
		if (!cfg)
			abort();
	}
	ev = irx_event_parse((const char *)data, size, cfg, &err);
	if (!ev) {
		if (!err.message[0])
			abort(); /* a failure always says why */
		return 0;
	}
	if (irx_events_plan(cfg, ev, &o, &plan, &err) == 0) {
		for (size_t i = 0; i < plan.count; i++)
			if (plan.targets[i].runbook && !plan.targets[i].arn)
				abort(); /* a runbook never runs without a target */
		json_object_put(irx_plan_json(&plan));
	}
	json_object_put(irx_event_json(ev));
	irx_plan_release(&plan);
	irx_event_free(ev);
	return 0;
}
