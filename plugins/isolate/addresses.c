/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Elastic IPs (step 6): the public addresses on the instance's ENIs, disassociated and
 * recorded, so the instance is not reachable from anywhere the groups would allow.
 */
#include <stdio.h>

#include "isolate.h"

/* DescribeAddresses of every ENI of the instance, in the reads wave. */
void isolate_read_addresses(struct iso *s, struct wave *w)
{
	struct json_object *p = json_object_new_object(), *ids = json_object_new_array();

	for (size_t i = 0; i < jlen(s->enis); i++)
		json_object_array_add(ids, json_object_new_string(irx_json_str(
					       jidx(s->enis, i), "NetworkInterfaceId")));
	/* By ENI, not instance-id: that filter can miss addresses on secondary ENIs. */
	json_object_object_add(p, "Filters", filter("network-interface-id", ids));
	isolate_wave_read(w, "ec2", "DescribeAddresses", p, &s->r_addrs);
}

/* Public addresses make it reachable from anywhere the groups would allow: drop them. */
void isolate_addresses(struct iso *s, struct wave *w)
{
	struct json_object *addrs = irx_json_get(s->r_addrs, "Addresses"),
			   *out = json_object_new_array();

	json_object_object_add(s->res->outputs, "DisassociatedAddresses", out);
	for (size_t i = 0; i < jlen(addrs); i++) {
		struct json_object *a = jidx(addrs, i), *rec = NULL, *dp = NULL;
		const char *assoc = irx_json_str(a, "AssociationId");
		char what[512];

		if (!assoc)
			continue;
		rec = json_object_new_object();
		for (const char *const *k =
			 (const char *const[]){"PublicIp", "AllocationId", "AssociationId",
					       "NetworkInterfaceId", "PrivateIpAddress", NULL};
		     *k; k++)
			if (irx_json_str(a, *k))
				json_object_object_add(rec, *k,
						       json_object_new_string(irx_json_str(a, *k)));
		json_object_array_add(out, json_object_get(rec));
		dp = json_object_new_object();
		json_object_object_add(dp, "AssociationId", json_object_new_string(assoc));
		snprintf(what, sizeof(what), "disassociate elastic ip %s from '%s'",
			 irx_json_str(a, "PublicIp") ? irx_json_str(a, "PublicIp") : "?",
			 irx_json_str(a, "NetworkInterfaceId")
			     ? irx_json_str(a, "NetworkInterfaceId")
			     : s->id);
		isolate_wave_change(s, w, what, "ec2", "DisassociateAddress", dp, NULL, "Addresses",
				    rec, true);
	}
}
