/* SPDX-License-Identifier: Apache-2.0 */
/*
 * isolate:ec2Instance against fake_aws with handlers that keep a tiny in-memory estate: one
 * instance with three ENIs in an Auto Scaling group and two target groups, an elastic IP on
 * its second ENI, an instance profile with a role. The handlers change the estate as AWS
 * would (and not in a dry run, as the host would not send a mutating call), so the tests
 * assert the end state as well as the exact calls.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "error.h"
#include "fake_aws.h"
#include "test.h"

const struct irx_plugin *irx_plugin_entry_isolate(void);

#define IID "i-0123456789abcdef0"
#define IARN "arn:aws:ec2:us-east-1:111111111111:instance/" IID
#define VPC "vpc-0aaa"
#define TG1 "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/web/1111"
#define TG2 "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/api/2222"
#define TG3 "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/other/3333"

struct estate {
	bool dry;
	struct json_object *inst; /* the DescribeInstances Instances[0] record */
	bool term;		  /* DisableApiTermination */
	char shutdown[16];	  /* InstanceInitiatedShutdownBehavior */
	struct json_object *sgs;  /* SecurityGroups records */
	int next_sg;
	char asg_life[32];	   /* "" = not in a group */
	int asg_min, asg_desired;  /* web-asg's MinSize and DesiredCapacity */
	struct json_object *tgs;   /* [{TargetGroupArn,TargetType,VpcId,Targets:[{Id,Port}]}] */
	struct json_object *addrs; /* Addresses records */
	struct json_object *role_policies; /* name -> document text */
	int eni_group_calls;		   /* ModifyNetworkInterfaceAttribute with Groups so far */
	int deny_eni_group_call;	   /* that call number fails with AccessDenied (0 = none) */
	bool deny_put_role_policy;
};

static struct estate E;

/* --- estate helpers ---------------------------------------------------------------- */

static struct json_object *J(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

static const char *gets(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);

	return v ? json_object_get_string(v) : NULL;
}

static size_t alen(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static struct json_object *at(struct json_object *a, size_t i)
{
	return json_object_array_get_idx(a, i);
}

/* The ENI at device index i (the fake lists them out of order, as EC2 may). */
static struct json_object *eni(int i)
{
	struct json_object *n = get(E.inst, "NetworkInterfaces");

	for (size_t k = 0; k < alen(n); k++)
		if (json_object_get_int(get(get(at(n, k), "Attachment"), "DeviceIndex")) == i)
			return at(n, k);
	return NULL;
}

/* "sg-a,sg-b" of ENI i */
static const char *eni_groups(int i)
{
	static char buf[4][256];
	struct json_object *g = get(eni(i), "Groups");

	buf[i][0] = '\0';
	for (size_t k = 0; k < alen(g); k++)
		snprintf(buf[i] + strlen(buf[i]), sizeof(buf[i]) - strlen(buf[i]), "%s%s",
			 k ? "," : "", gets(at(g, k), "GroupId"));
	return buf[i];
}

static struct json_object *sg_by_id(const char *id)
{
	for (size_t i = 0; i < alen(E.sgs); i++)
		if (strcmp(gets(at(E.sgs, i), "GroupId"), id) == 0)
			return at(E.sgs, i);
	return NULL;
}

static struct json_object *sg_by_name(const char *name)
{
	for (size_t i = 0; i < alen(E.sgs); i++)
		if (strcmp(gets(at(E.sgs, i), "GroupName"), name) == 0)
			return at(E.sgs, i);
	return NULL;
}

static const char *tag_of(struct json_object *tags, const char *key)
{
	for (size_t i = 0; i < alen(tags); i++)
		if (strcmp(gets(at(tags, i), "Key"), key) == 0)
			return gets(at(tags, i), "Value");
	return NULL;
}

static struct json_object *target_group(const char *arn)
{
	for (size_t i = 0; i < alen(E.tgs); i++)
		if (strcmp(gets(at(E.tgs, i), "TargetGroupArn"), arn) == 0)
			return at(E.tgs, i);
	return NULL;
}

static bool registered(const char *arn)
{
	struct json_object *t = get(target_group(arn), "Targets");

	for (size_t i = 0; i < alen(t); i++)
		if (strcmp(gets(at(t, i), "Id"), IID) == 0)
			return true;
	return false;
}

static void estate_reset(void)
{
	json_object_put(E.inst);
	json_object_put(E.sgs);
	json_object_put(E.tgs);
	json_object_put(E.addrs);
	json_object_put(E.role_policies);
	memset(&E, 0, sizeof(E));
	E.inst = J("{\"InstanceId\":\"" IID "\",\"State\":{\"Name\":\"running\"},"
		   "\"VpcId\":\"" VPC "\",\"SubnetId\":\"subnet-1\","
		   "\"IamInstanceProfile\":{\"Arn\":\"arn:aws:iam::111111111111:instance-profile/"
		   "app/web-profile\",\"Id\":\"AIPA1\"},"
		   "\"BlockDeviceMappings\":["
		   "{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"VolumeId\":\"vol-1\","
		   "\"DeleteOnTermination\":true}},"
		   "{\"DeviceName\":\"/dev/xvdb\",\"Ebs\":{\"VolumeId\":\"vol-2\","
		   "\"DeleteOnTermination\":true}},"
		   "{\"DeviceName\":\"/dev/xvdc\",\"Ebs\":{\"VolumeId\":\"vol-3\","
		   "\"DeleteOnTermination\":false}}],"
		   "\"Tags\":[{\"Key\":\"Name\",\"Value\":\"web-1\"}],"
		   "\"NetworkInterfaces\":["
		   "{\"NetworkInterfaceId\":\"eni-3\",\"Attachment\":{\"DeviceIndex\":2},"
		   "\"PrivateIpAddress\":\"10.0.3.10\",\"VpcId\":\"" VPC "\","
		   "\"Groups\":[{\"GroupId\":\"sg-app\",\"GroupName\":\"app\"}]},"
		   "{\"NetworkInterfaceId\":\"eni-1\",\"Attachment\":{\"DeviceIndex\":0},"
		   "\"PrivateIpAddress\":\"10.0.1.10\",\"VpcId\":\"" VPC "\","
		   "\"Groups\":[{\"GroupId\":\"sg-web\",\"GroupName\":\"web\"},"
		   "{\"GroupId\":\"sg-ssh\",\"GroupName\":\"ssh\"}]},"
		   "{\"NetworkInterfaceId\":\"eni-2\",\"Attachment\":{\"DeviceIndex\":1},"
		   "\"PrivateIpAddress\":\"10.0.2.10\",\"VpcId\":\"" VPC "\","
		   "\"PrivateIpAddresses\":[{\"PrivateIpAddress\":\"10.0.2.10\"},"
		   "{\"PrivateIpAddress\":\"10.0.2.11\"}],"
		   "\"Groups\":[{\"GroupId\":\"sg-db\",\"GroupName\":\"db\"}]}]}");
	E.term = false;
	snprintf(E.shutdown, sizeof(E.shutdown), "terminate");
	E.sgs = J("[{\"GroupId\":\"sg-web\",\"GroupName\":\"web\",\"VpcId\":\"" VPC "\","
		  "\"IpPermissions\":[],\"IpPermissionsEgress\":[],\"Tags\":[]},"
		  "{\"GroupId\":\"sg-ssh\",\"GroupName\":\"ssh\",\"VpcId\":\"" VPC "\","
		  "\"IpPermissions\":[],\"IpPermissionsEgress\":[],\"Tags\":[]},"
		  "{\"GroupId\":\"sg-db\",\"GroupName\":\"db\",\"VpcId\":\"" VPC "\","
		  "\"IpPermissions\":[],\"IpPermissionsEgress\":[],\"Tags\":[]},"
		  "{\"GroupId\":\"sg-app\",\"GroupName\":\"app\",\"VpcId\":\"" VPC "\","
		  "\"IpPermissions\":[],\"IpPermissionsEgress\":[],\"Tags\":[]}]");
	snprintf(E.asg_life, sizeof(E.asg_life), "InService");
	E.asg_min = 1;
	E.asg_desired = 2;
	E.tgs =
	    J("[{\"TargetGroupArn\":\"" TG1 "\",\"TargetType\":\"instance\",\"VpcId\":\"" VPC
	      "\",\"Targets\":[{\"Id\":\"" IID "\",\"Port\":80},{\"Id\":\"i-0ffffffffffffffff\","
	      "\"Port\":80}]},"
	      "{\"TargetGroupArn\":\"" TG2 "\",\"TargetType\":\"ip\",\"VpcId\":\"" VPC
	      "\",\"Targets\":[{\"Id\":\"10.0.2.11\",\"Port\":8080,"
	      "\"AvailabilityZone\":\"us-east-1a\"}]},"
	      "{\"TargetGroupArn\":\"" TG3 "\",\"TargetType\":\"instance\",\"VpcId\":\"vpc-other\","
	      "\"Targets\":[{\"Id\":\"" IID "\",\"Port\":80}]}]");
	E.addrs = J(
	    "[{\"PublicIp\":\"198.51.100.7\",\"AllocationId\":\"eipalloc-1\","
	    "\"AssociationId\":\"eipassoc-1\",\"NetworkInterfaceId\":\"eni-2\","
	    "\"PrivateIpAddress\":\"10.0.2.10\",\"Domain\":\"vpc\"},"
	    "{\"PublicIp\":\"198.51.100.8\",\"AllocationId\":\"eipalloc-2\",\"Domain\":\"vpc\"}]");
	E.role_policies = J("{\"app-s3\":\"{}\"}");
}

/* --- the fake's handlers ---------------------------------------------------------- */

static int ok(struct json_object **resp, struct json_object *r)
{
	*resp = r ? r : json_object_new_object();
	return 0;
}

static int fail(struct fake_aws *f, int http, const char *code, const char *msg)
{
	fake_aws_set_error(f, http, code, msg);
	return -1;
}

/* Filter values of name in params.Filters, or NULL. */
static struct json_object *filter_values(struct json_object *params, const char *name)
{
	struct json_object *fs = get(params, "Filters");

	for (size_t i = 0; i < alen(fs); i++)
		if (strcmp(gets(at(fs, i), "Name"), name) == 0)
			return get(at(fs, i), "Values");
	return NULL;
}

static bool in_values(struct json_object *vals, const char *s)
{
	for (size_t i = 0; i < alen(vals); i++)
		if (s && strcmp(json_object_get_string(at(vals, i)), s) == 0)
			return true;
	return false;
}

static int h_describe_instances(void *ud, struct fake_aws *f, struct json_object *p,
				struct json_object **resp)
{
	struct json_object *ids = get(p, "InstanceIds"), *fid = filter_values(p, "instance-id");
	struct json_object *r = NULL, *res = NULL, *insts = NULL;

	(void)ud;
	if (ids && !in_values(ids, IID))
		return fail(f, 400, "InvalidInstanceID.NotFound", "The instance ID does not exist");
	r = json_object_new_object();
	res = json_object_new_array();
	json_object_object_add(r, "Reservations", res);
	if (ids || in_values(fid, IID)) {
		struct json_object *rv = json_object_new_object();

		insts = json_object_new_array();
		json_object_array_add(insts, json_object_get(E.inst));
		json_object_object_add(rv, "OwnerId", json_object_new_string("111111111111"));
		json_object_object_add(rv, "Instances", insts);
		json_object_array_add(res, rv);
	}
	return ok(resp, r);
}

static int h_describe_attribute(void *ud, struct fake_aws *f, struct json_object *p,
				struct json_object **resp)
{
	const char *a = gets(p, "Attribute");
	char buf[256];

	(void)ud;
	(void)f;
	if (strcmp(a, "disableApiTermination") == 0)
		snprintf(buf, sizeof(buf), "{\"DisableApiTermination\":{\"Value\":%s}}",
			 E.term ? "true" : "false");
	else
		snprintf(buf, sizeof(buf),
			 "{\"InstanceInitiatedShutdownBehavior\":{\"Value\":\"%s\"}}", E.shutdown);
	return ok(resp, json_tokener_parse(buf));
}

static int h_modify_instance_attribute(void *ud, struct fake_aws *f, struct json_object *p,
				       struct json_object **resp)
{
	struct json_object *maps = get(p, "BlockDeviceMappings");

	(void)ud;
	/* What real EC2 says to the seeds' ModifyInstanceAttribute Groups on several ENIs. */
	if (get(p, "Groups") && alen(get(E.inst, "NetworkInterfaces")) > 1)
		return fail(f, 400, "InvalidInstanceID",
			    "There are multiple interfaces attached to instance '" IID
			    "'. Please specify an interface ID for the operation instead.");
	if ((get(p, "DisableApiTermination") != NULL) +
		(get(p, "InstanceInitiatedShutdownBehavior") != NULL) + (maps != NULL) !=
	    1)
		return fail(f, 400, "InvalidParameterCombination", "one attribute per call");
	if (E.dry)
		return ok(resp, NULL);
	if (get(p, "DisableApiTermination"))
		E.term = json_object_get_boolean(get(get(p, "DisableApiTermination"), "Value"));
	if (get(p, "InstanceInitiatedShutdownBehavior"))
		snprintf(E.shutdown, sizeof(E.shutdown), "%s",
			 gets(get(p, "InstanceInitiatedShutdownBehavior"), "Value"));
	for (size_t i = 0; i < alen(maps); i++) {
		struct json_object *bdm = get(E.inst, "BlockDeviceMappings");
		const char *vol = gets(get(at(maps, i), "Ebs"), "VolumeId");

		for (size_t k = 0; k < alen(bdm); k++)
			if (strcmp(gets(get(at(bdm, k), "Ebs"), "VolumeId"), vol) == 0)
				json_object_object_add(
				    get(at(bdm, k), "Ebs"), "DeleteOnTermination",
				    json_object_new_boolean(json_object_get_boolean(
					get(get(at(maps, i), "Ebs"), "DeleteOnTermination"))));
	}
	return ok(resp, NULL);
}

static int h_modify_eni(void *ud, struct fake_aws *f, struct json_object *p,
			struct json_object **resp)
{
	const char *id = gets(p, "NetworkInterfaceId");
	struct json_object *e = NULL, *groups = get(p, "Groups");

	(void)ud;
	for (int i = 0; i < 3; i++)
		if (strcmp(gets(eni(i), "NetworkInterfaceId"), id) == 0)
			e = eni(i);
	if (!e)
		return fail(f, 400, "InvalidNetworkInterfaceID.NotFound", "no such interface");
	if (groups && ++E.eni_group_calls == E.deny_eni_group_call)
		return fail(
		    f, 403, "AccessDenied",
		    "User: arn:aws:sts::111111111111:assumed-role/irx/x is not authorized to "
		    "perform: ec2:ModifyNetworkInterfaceAttribute");
	if (E.dry)
		return ok(resp, NULL);
	if (groups) {
		struct json_object *g = json_object_new_array();

		for (size_t i = 0; i < alen(groups); i++) {
			struct json_object *sg = sg_by_id(json_object_get_string(at(groups, i)));
			struct json_object *o = json_object_new_object();

			if (!sg) {
				json_object_put(o);
				json_object_put(g);
				return fail(f, 400, "InvalidGroup.NotFound", "no such group");
			}
			json_object_object_add(o, "GroupId", json_object_get(get(sg, "GroupId")));
			json_object_object_add(o, "GroupName",
					       json_object_get(get(sg, "GroupName")));
			json_object_array_add(g, o);
		}
		json_object_object_add(e, "Groups", g);
	}
	if (get(p, "ConnectionTrackingSpecification"))
		json_object_object_add(e, "ConnectionTrackingConfiguration",
				       json_object_get(get(p, "ConnectionTrackingSpecification")));
	return ok(resp, NULL);
}

static int h_describe_sgs(void *ud, struct fake_aws *f, struct json_object *p,
			  struct json_object **resp)
{
	struct json_object *ids = get(p, "GroupIds"), *names = filter_values(p, "group-name");
	struct json_object *vpcs = filter_values(p, "vpc-id"), *out = json_object_new_array();
	struct json_object *r = json_object_new_object();

	(void)ud;
	(void)f;
	for (size_t i = 0; i < alen(E.sgs); i++) {
		struct json_object *sg = at(E.sgs, i);

		if (ids && !in_values(ids, gets(sg, "GroupId")))
			continue;
		if (names && !in_values(names, gets(sg, "GroupName")))
			continue;
		if (vpcs && !in_values(vpcs, gets(sg, "VpcId")))
			continue;
		json_object_array_add(out, json_object_get(sg));
	}
	json_object_object_add(r, "SecurityGroups", out);
	return ok(resp, r);
}

static int h_create_sg(void *ud, struct fake_aws *f, struct json_object *p,
		       struct json_object **resp)
{
	struct json_object *sg = NULL, *r = NULL;
	char id[32];

	(void)ud;
	if (sg_by_name(gets(p, "GroupName")))
		return fail(f, 400, "InvalidGroup.Duplicate", "The security group already exists");
	if (E.dry)
		return ok(resp, NULL);
	snprintf(id, sizeof(id), "sg-new%d", ++E.next_sg);
	sg = json_object_new_object();
	json_object_object_add(sg, "GroupId", json_object_new_string(id));
	json_object_object_add(sg, "GroupName", json_object_get(get(p, "GroupName")));
	json_object_object_add(sg, "VpcId", json_object_get(get(p, "VpcId")));
	json_object_object_add(sg, "IpPermissions", json_object_new_array());
	/* EC2 gives every new VPC group an allow-all IPv4 egress rule. */
	json_object_object_add(
	    sg, "IpPermissionsEgress",
	    J("[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]}]"));
	json_object_object_add(sg, "Tags",
			       json_object_get(get(at(get(p, "TagSpecifications"), 0), "Tags")));
	json_object_array_add(E.sgs, sg);
	r = json_object_new_object();
	json_object_object_add(r, "GroupId", json_object_new_string(id));
	return ok(resp, r);
}

/* The group's list key holds a rule (protocol, cidr) in ranges (IpRanges or Ipv6Ranges). */
static bool has_rule(struct json_object *sg, const char *key, const char *proto, const char *ranges,
		     const char *cidrk, const char *cidr)
{
	struct json_object *list = get(sg, key);

	for (size_t r = 0; r < alen(list); r++) {
		struct json_object *rr = get(at(list, r), ranges);

		if (strcmp(gets(at(list, r), "IpProtocol"), proto) != 0)
			continue;
		for (size_t q = 0; q < alen(rr); q++)
			if (strcmp(gets(at(rr, q), cidrk), cidr) == 0)
				return true;
	}
	return false;
}

/*
 * Adds or removes every (protocol, cidr) of perms in group's list key. As EC2 does, the call
 * is all or nothing: a rule already there fails an add with InvalidPermission.Duplicate, a
 * rule not there fails a revoke with InvalidPermission.NotFound.
 */
static int edit_rules(struct fake_aws *f, struct json_object *p, const char *key, bool add,
		      struct json_object **resp)
{
	struct json_object *sg = sg_by_id(gets(p, "GroupId")), *perms = get(p, "IpPermissions");

	/* Like the host: a dry run sends no change, so nothing is checked either. */
	if (E.dry)
		return ok(resp, NULL);
	if (!sg)
		return fail(f, 400, "InvalidGroup.NotFound", "no such group");
	for (size_t i = 0; i < alen(perms); i++) {
		struct json_object *pm = at(perms, i);
		const char *ranges[2] = {"IpRanges", "Ipv6Ranges"},
			   *cidrk[2] = {"CidrIp", "CidrIpv6"};

		for (int v = 0; v < 2; v++) {
			for (size_t k = 0; k < alen(get(pm, ranges[v])); k++) {
				bool there =
				    has_rule(sg, key, gets(pm, "IpProtocol"), ranges[v], cidrk[v],
					     gets(at(get(pm, ranges[v]), k), cidrk[v]));

				if (add && there)
					return fail(f, 400, "InvalidPermission.Duplicate",
						    "the specified rule already exists");
				if (!add && !there)
					return fail(f, 400, "InvalidPermission.NotFound",
						    "The specified rule does not exist in this "
						    "security group.");
			}
		}
	}
	for (size_t i = 0; i < alen(perms); i++) {
		struct json_object *pm = at(perms, i);
		const char *ranges[2] = {"IpRanges", "Ipv6Ranges"},
			   *cidrk[2] = {"CidrIp", "CidrIpv6"};

		for (int v = 0; v < 2; v++) {
			for (size_t k = 0; k < alen(get(pm, ranges[v])); k++) {
				const char *cidr = gets(at(get(pm, ranges[v]), k), cidrk[v]);
				struct json_object *list = get(sg, key);

				if (add) {
					char buf[256];

					snprintf(buf, sizeof(buf),
						 "{\"IpProtocol\":\"%s\",\"%s\":[{\"%s\":\"%s\"}]}",
						 gets(pm, "IpProtocol"), ranges[v], cidrk[v], cidr);
					json_object_array_add(list, J(buf));
					continue;
				}
				for (size_t r = 0; r < alen(list); r++) {
					struct json_object *rr = get(at(list, r), ranges[v]);

					for (size_t q = 0; q < alen(rr); q++)
						if (strcmp(gets(at(rr, q), cidrk[v]), cidr) == 0)
							json_object_array_del_idx(rr, q--, 1);
				}
			}
		}
	}
	/* Drop emptied permissions. */
	for (size_t r = 0; r < alen(get(sg, key)); r++) {
		struct json_object *pm = at(get(sg, key), r);

		if (!alen(get(pm, "IpRanges")) && !alen(get(pm, "Ipv6Ranges")))
			json_object_array_del_idx(get(sg, key), r--, 1);
	}
	return ok(resp, NULL);
}

static int h_revoke_egress(void *ud, struct fake_aws *f, struct json_object *p,
			   struct json_object **resp)
{
	(void)ud;
	return edit_rules(f, p, "IpPermissionsEgress", false, resp);
}

static int h_auth_egress(void *ud, struct fake_aws *f, struct json_object *p,
			 struct json_object **resp)
{
	(void)ud;
	return edit_rules(f, p, "IpPermissionsEgress", true, resp);
}

static int h_auth_ingress(void *ud, struct fake_aws *f, struct json_object *p,
			  struct json_object **resp)
{
	(void)ud;
	return edit_rules(f, p, "IpPermissions", true, resp);
}

static int h_describe_addresses(void *ud, struct fake_aws *f, struct json_object *p,
				struct json_object **resp)
{
	struct json_object *enis = filter_values(p, "network-interface-id");
	struct json_object *allocs = filter_values(p, "allocation-id");
	struct json_object *out = json_object_new_array(), *r = json_object_new_object();

	(void)ud;
	(void)f;
	for (size_t i = 0; i < alen(E.addrs); i++) {
		struct json_object *a = at(E.addrs, i);

		if (enis && !in_values(enis, gets(a, "NetworkInterfaceId")))
			continue;
		if (allocs && !in_values(allocs, gets(a, "AllocationId")))
			continue;
		json_object_array_add(out, json_object_get(a));
	}
	json_object_object_add(r, "Addresses", out);
	return ok(resp, r);
}

static int h_disassociate(void *ud, struct fake_aws *f, struct json_object *p,
			  struct json_object **resp)
{
	(void)ud;
	for (size_t i = 0; i < alen(E.addrs); i++) {
		struct json_object *a = at(E.addrs, i);
		const char *assoc = gets(a, "AssociationId");

		if (assoc && strcmp(assoc, gets(p, "AssociationId")) == 0) {
			if (!E.dry) {
				json_object_object_del(a, "AssociationId");
				json_object_object_del(a, "NetworkInterfaceId");
				json_object_object_del(a, "PrivateIpAddress");
			}
			return ok(resp, NULL);
		}
	}
	return fail(f, 400, "InvalidAssociationID.NotFound", "no such association");
}

static int h_associate(void *ud, struct fake_aws *f, struct json_object *p,
		       struct json_object **resp)
{
	(void)ud;
	for (size_t i = 0; i < alen(E.addrs); i++) {
		struct json_object *a = at(E.addrs, i);

		if (strcmp(gets(a, "AllocationId"), gets(p, "AllocationId")) != 0)
			continue;
		if (!E.dry) {
			json_object_object_add(a, "AssociationId",
					       json_object_new_string("eipassoc-again"));
			json_object_object_add(a, "NetworkInterfaceId",
					       json_object_get(get(p, "NetworkInterfaceId")));
			json_object_object_add(a, "PrivateIpAddress",
					       json_object_get(get(p, "PrivateIpAddress")));
		}
		return ok(resp, NULL);
	}
	return fail(f, 400, "InvalidAllocationID.NotFound", "no such allocation");
}

static int h_create_tags(void *ud, struct fake_aws *f, struct json_object *p,
			 struct json_object **resp)
{
	struct json_object *tags = get(p, "Tags"), *have = get(E.inst, "Tags");

	(void)ud;
	(void)f;
	if (E.dry)
		return ok(resp, NULL);
	for (size_t i = 0; i < alen(tags); i++) {
		const char *k = gets(at(tags, i), "Key");
		bool done = false;

		for (size_t j = 0; j < alen(have); j++)
			if (strcmp(gets(at(have, j), "Key"), k) == 0) {
				json_object_object_add(at(have, j), "Value",
						       json_object_get(get(at(tags, i), "Value")));
				done = true;
			}
		if (!done)
			json_object_array_add(have, json_object_get(at(tags, i)));
	}
	return ok(resp, NULL);
}

static int h_delete_tags(void *ud, struct fake_aws *f, struct json_object *p,
			 struct json_object **resp)
{
	struct json_object *tags = get(p, "Tags"), *have = get(E.inst, "Tags");

	(void)ud;
	(void)f;
	if (E.dry)
		return ok(resp, NULL);
	for (size_t i = 0; i < alen(tags); i++)
		for (size_t j = 0; j < alen(have); j++)
			if (strcmp(gets(at(have, j), "Key"), gets(at(tags, i), "Key")) == 0)
				json_object_array_del_idx(have, j--, 1);
	return ok(resp, NULL);
}

static int h_describe_asg(void *ud, struct fake_aws *f, struct json_object *p,
			  struct json_object **resp)
{
	char buf[256];

	(void)ud;
	(void)f;
	(void)p;
	if (!E.asg_life[0])
		return ok(resp, J("{\"AutoScalingInstances\":[]}"));
	snprintf(buf, sizeof(buf),
		 "{\"AutoScalingInstances\":[{\"InstanceId\":\"" IID "\",\"AutoScalingGroupName\":"
		 "\"web-asg\",\"LifecycleState\":\"%s\",\"HealthStatus\":\"HEALTHY\"}]}",
		 E.asg_life);
	return ok(resp, J(buf));
}

static int h_describe_asg_groups(void *ud, struct fake_aws *f, struct json_object *p,
				 struct json_object **resp)
{
	char buf[256];

	(void)ud;
	(void)f;
	if (strcmp(json_object_get_string(
		       json_object_array_get_idx(get(p, "AutoScalingGroupNames"), 0)),
		   "web-asg") != 0)
		return ok(resp, J("{\"AutoScalingGroups\":[]}"));
	snprintf(buf, sizeof(buf),
		 "{\"AutoScalingGroups\":[{\"AutoScalingGroupName\":\"web-asg\",\"MinSize\":%d,"
		 "\"MaxSize\":4,\"DesiredCapacity\":%d}]}",
		 E.asg_min, E.asg_desired);
	return ok(resp, J(buf));
}

static int h_update_asg(void *ud, struct fake_aws *f, struct json_object *p,
			struct json_object **resp)
{
	(void)ud;
	if (strcmp(gets(p, "AutoScalingGroupName"), "web-asg") != 0)
		return fail(f, 400, "ValidationError", "no such group");
	if (!E.dry)
		E.asg_min = json_object_get_int(get(p, "MinSize"));
	return ok(resp, NULL);
}

static int asg_move(struct fake_aws *f, struct json_object *p, const char *from, const char *to,
		    struct json_object **resp)
{
	if (strcmp(gets(p, "AutoScalingGroupName"), "web-asg") != 0)
		return fail(f, 400, "ValidationError", "no such group");
	if (strcmp(E.asg_life, from) != 0 && !(from[0] == '*' && E.asg_life[0]))
		return fail(f, 400, "ValidationError", "wrong lifecycle state");
	if (!E.dry)
		snprintf(E.asg_life, sizeof(E.asg_life), "%s", to);
	return ok(resp, NULL);
}

static int h_enter_standby(void *ud, struct fake_aws *f, struct json_object *p,
			   struct json_object **resp)
{
	(void)ud;
	if (!json_object_get_boolean(get(p, "ShouldDecrementDesiredCapacity")))
		return fail(f, 400, "ValidationError",
			    "ShouldDecrementDesiredCapacity is required");
	/* AWS: the desired capacity cannot go below the minimum */
	if (E.asg_desired - 1 < E.asg_min)
		return fail(f, 400, "ValidationError", "below the group's minimum size");
	if (asg_move(f, p, "InService", "Standby", resp) < 0)
		return -1;
	if (!E.dry)
		E.asg_desired--;
	return 0;
}

static int h_exit_standby(void *ud, struct fake_aws *f, struct json_object *p,
			  struct json_object **resp)
{
	(void)ud;
	if (asg_move(f, p, "Standby", "InService", resp) < 0)
		return -1;
	if (!E.dry)
		E.asg_desired++;
	return 0;
}

static int h_detach(void *ud, struct fake_aws *f, struct json_object *p, struct json_object **resp)
{
	(void)ud;
	return asg_move(f, p, "*", "", resp);
}

static int h_attach(void *ud, struct fake_aws *f, struct json_object *p, struct json_object **resp)
{
	(void)ud;
	return asg_move(f, p, "", "InService", resp);
}

static int h_describe_tgs(void *ud, struct fake_aws *f, struct json_object *p,
			  struct json_object **resp)
{
	struct json_object *out = json_object_new_array(), *r = json_object_new_object();
	const char *marker = gets(p, "Marker");
	size_t from = marker ? 2 : 0, to = marker ? alen(E.tgs) : 2;

	(void)ud;
	(void)f;
	/* Two pages: the first two groups, then the rest. */
	for (size_t i = from; i < to && i < alen(E.tgs); i++) {
		struct json_object *tg = json_object_new_object();

		json_object_object_add(tg, "TargetGroupArn",
				       json_object_get(get(at(E.tgs, i), "TargetGroupArn")));
		json_object_object_add(tg, "TargetType",
				       json_object_get(get(at(E.tgs, i), "TargetType")));
		json_object_object_add(tg, "VpcId", json_object_get(get(at(E.tgs, i), "VpcId")));
		json_object_array_add(out, tg);
	}
	json_object_object_add(r, "TargetGroups", out);
	if (!marker && alen(E.tgs) > 2)
		json_object_object_add(r, "NextMarker", json_object_new_string("page2"));
	return ok(resp, r);
}

static int h_target_health(void *ud, struct fake_aws *f, struct json_object *p,
			   struct json_object **resp)
{
	struct json_object *tg = target_group(gets(p, "TargetGroupArn"));
	struct json_object *out = json_object_new_array(), *r = json_object_new_object();

	(void)ud;
	if (!tg) {
		json_object_put(out);
		json_object_put(r);
		return fail(f, 400, "TargetGroupNotFound", "no such target group");
	}
	for (size_t i = 0; i < alen(get(tg, "Targets")); i++) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "Target", json_object_get(at(get(tg, "Targets"), i)));
		json_object_object_add(d, "TargetHealth", J("{\"State\":\"healthy\"}"));
		json_object_array_add(out, d);
	}
	json_object_object_add(r, "TargetHealthDescriptions", out);
	return ok(resp, r);
}

static int h_deregister(void *ud, struct fake_aws *f, struct json_object *p,
			struct json_object **resp)
{
	struct json_object *tg = target_group(gets(p, "TargetGroupArn")), *ts = get(p, "Targets");

	(void)ud;
	if (!tg)
		return fail(f, 400, "TargetGroupNotFound", "no such target group");
	if (E.dry)
		return ok(resp, NULL);
	for (size_t i = 0; i < alen(ts); i++)
		for (size_t k = 0; k < alen(get(tg, "Targets")); k++)
			if (strcmp(gets(at(get(tg, "Targets"), k), "Id"), gets(at(ts, i), "Id")) ==
			    0)
				json_object_array_del_idx(get(tg, "Targets"), k--, 1);
	return ok(resp, NULL);
}

static int h_register(void *ud, struct fake_aws *f, struct json_object *p,
		      struct json_object **resp)
{
	struct json_object *tg = target_group(gets(p, "TargetGroupArn")), *ts = get(p, "Targets");

	(void)ud;
	if (!tg)
		return fail(f, 400, "TargetGroupNotFound", "no such target group");
	if (E.dry)
		return ok(resp, NULL);
	for (size_t i = 0; i < alen(ts); i++)
		json_object_array_add(get(tg, "Targets"), json_object_get(at(ts, i)));
	return ok(resp, NULL);
}

static int h_get_profile(void *ud, struct fake_aws *f, struct json_object *p,
			 struct json_object **resp)
{
	(void)ud;
	if (strcmp(gets(p, "InstanceProfileName"), "web-profile") != 0)
		return fail(f, 404, "NoSuchEntity", "no such profile");
	return ok(resp, J("{\"InstanceProfile\":{\"InstanceProfileName\":\"web-profile\","
			  "\"Roles\":[{\"RoleName\":\"web-role\",\"Path\":\"/app/\"}]}}"));
}

static int h_list_role_policies(void *ud, struct fake_aws *f, struct json_object *p,
				struct json_object **resp)
{
	struct json_object *names = json_object_new_array(), *r = json_object_new_object();

	(void)ud;
	(void)f;
	(void)p;
	json_object_object_foreach(E.role_policies, k, v)
	{
		(void)v;
		json_object_array_add(names, json_object_new_string(k));
	}
	json_object_object_add(r, "PolicyNames", names);
	json_object_object_add(r, "IsTruncated", json_object_new_boolean(0));
	return ok(resp, r);
}

static int h_put_role_policy(void *ud, struct fake_aws *f, struct json_object *p,
			     struct json_object **resp)
{
	(void)ud;
	if (E.deny_put_role_policy)
		return fail(f, 403, "AccessDenied",
			    "User is not authorized to perform: iam:PutRolePolicy");
	if (!E.dry)
		json_object_object_add(E.role_policies, gets(p, "PolicyName"),
				       json_object_get(get(p, "PolicyDocument")));
	return ok(resp, NULL);
}

static int h_delete_role_policy(void *ud, struct fake_aws *f, struct json_object *p,
				struct json_object **resp)
{
	(void)ud;
	if (!get(E.role_policies, gets(p, "PolicyName")))
		return fail(f, 404, "NoSuchEntity", "no such policy");
	if (!E.dry)
		json_object_object_del(E.role_policies, gets(p, "PolicyName"));
	return ok(resp, NULL);
}

static struct fake_aws *fake(void)
{
	struct fake_aws *f = fake_aws_new();
	static const struct {
		const char *op;
		fake_aws_handler_fn *fn;
	} hs[] = {
	    {"ec2:DescribeInstances", h_describe_instances},
	    {"ec2:DescribeInstanceAttribute", h_describe_attribute},
	    {"ec2:ModifyInstanceAttribute", h_modify_instance_attribute},
	    {"ec2:ModifyNetworkInterfaceAttribute", h_modify_eni},
	    {"ec2:DescribeSecurityGroups", h_describe_sgs},
	    {"ec2:CreateSecurityGroup", h_create_sg},
	    {"ec2:RevokeSecurityGroupEgress", h_revoke_egress},
	    {"ec2:AuthorizeSecurityGroupEgress", h_auth_egress},
	    {"ec2:AuthorizeSecurityGroupIngress", h_auth_ingress},
	    {"ec2:DescribeAddresses", h_describe_addresses},
	    {"ec2:DisassociateAddress", h_disassociate},
	    {"ec2:AssociateAddress", h_associate},
	    {"ec2:CreateTags", h_create_tags},
	    {"ec2:DeleteTags", h_delete_tags},
	    {"autoscaling:DescribeAutoScalingInstances", h_describe_asg},
	    {"autoscaling:DescribeAutoScalingGroups", h_describe_asg_groups},
	    {"autoscaling:UpdateAutoScalingGroup", h_update_asg},
	    {"autoscaling:EnterStandby", h_enter_standby},
	    {"autoscaling:ExitStandby", h_exit_standby},
	    {"autoscaling:DetachInstances", h_detach},
	    {"autoscaling:AttachInstances", h_attach},
	    {"elasticloadbalancingv2:DescribeTargetGroups", h_describe_tgs},
	    {"elasticloadbalancingv2:DescribeTargetHealth", h_target_health},
	    {"elasticloadbalancingv2:DeregisterTargets", h_deregister},
	    {"elasticloadbalancingv2:RegisterTargets", h_register},
	    {"iam:GetInstanceProfile", h_get_profile},
	    {"iam:ListRolePolicies", h_list_role_policies},
	    {"iam:PutRolePolicy", h_put_role_policy},
	    {"iam:DeleteRolePolicy", h_delete_role_policy},
	};

	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		fake_aws_handle(f, hs[i].op, hs[i].fn, NULL);
	return f;
}

/* --- running the action ------------------------------------------------------------- */

static const struct irx_action *action(void)
{
	const struct irx_plugin *p = irx_plugin_entry_isolate();

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->name, "isolate");
	CU_ASSERT_STRING_EQUAL(p->actions[0].name, "ec2Instance");
	CU_ASSERT_PTR_NULL(p->actions[1].name);
	return &p->actions[0];
}

/* The inputs as the engine passes them: the schema's defaults, then overrides (JSON text). */
static struct json_object *inputs(const char *overrides)
{
	struct json_object *in = json_object_new_object(), *o = J(overrides);

	for (const struct irx_param *p = action()->params; p->name; p++) {
		if (!p->default_value)
			continue;
		switch (p->type) {
		case IRX_PARAM_INTEGER:
			json_object_object_add(in, p->name,
					       json_object_new_int64(atoll(p->default_value)));
			break;
		case IRX_PARAM_BOOLEAN:
			json_object_object_add(
			    in, p->name,
			    json_object_new_boolean(strcmp(p->default_value, "true") == 0));
			break;
		default:
			json_object_object_add(in, p->name,
					       json_object_new_string(p->default_value));
			break;
		}
	}
	json_object_object_foreach(o, k, v) json_object_object_add(in, k, json_object_get(v));
	json_object_put(o);
	return in;
}

struct run {
	int rc;
	struct irx_result res;
	char message[2048];
};

static void run_free(struct run *r)
{
	json_object_put(r->res.outputs);
	json_object_put(r->res.undo);
}

static struct run exec(struct fake_aws *f, const char *overrides, bool dry)
{
	struct run r = {0};
	struct json_object *in = inputs(overrides);

	E.dry = dry;
	r.res.outputs = json_object_new_object();
	r.res.undo = json_object_new_object();
	r.rc = action()->execute(fake_aws_context(f, "isolate", dry), in, &r.res);
	snprintf(r.message, sizeof(r.message), "%s", r.res.message ? r.res.message : "");
	json_object_put(in);
	E.dry = false;
	return r;
}

static struct run rollback(struct fake_aws *f, struct json_object *undo, bool dry)
{
	struct run r = {0};

	E.dry = dry;
	r.res.outputs = json_object_new_object();
	r.res.undo = json_object_new_object();
	r.rc = action()->rollback(fake_aws_context(f, "isolate", dry), undo, &r.res);
	snprintf(r.message, sizeof(r.message), "%s", r.res.message ? r.res.message : "");
	E.dry = false;
	return r;
}

/*
 * The round trips as the plugin sends them: a wrapper host over the fake's records each
 * host->aws_call as a round trip of one call and each host->aws_call_many batch as one round
 * trip, " | " between round trips, "," between the calls of one.
 */
static struct {
	const struct irx_host *real;
	struct irx_host host;
	struct irx_context ctx;
	char log[8192];
	int round_trips;
} W;

static void waves_append(const char *svc, const char *op, bool first)
{
	size_t len = strlen(W.log);

	snprintf(W.log + len, sizeof(W.log) - len, "%s%s:%s", first ? (len ? " | " : "") : ",", svc,
		 op);
}

static int waves_call(struct irx_call *call, const char *service, const char *operation,
		      struct json_object *params, struct json_object **response)
{
	W.round_trips++;
	waves_append(service, operation, true);
	return W.real->aws_call(call, service, operation, params, response);
}

static int waves_call_expect(struct irx_call *call, const char *service, const char *operation,
			     struct json_object *params, const char *const *expected,
			     struct json_object **response)
{
	W.round_trips++;
	waves_append(service, operation, true);
	return W.real->aws_call_expect(call, service, operation, params, expected, response);
}

static size_t waves_call_many(struct irx_call *call, struct irx_aws_request *reqs, size_t n)
{
	W.round_trips++;
	for (size_t i = 0; i < n; i++)
		waves_append(reqs[i].service, reqs[i].operation, i == 0);
	return W.real->aws_call_many(call, reqs, n);
}

/* exec with the round trips recorded in W; without_many: a host older than aws_call_many. */
static struct run exec_waves(struct fake_aws *f, const char *overrides, bool dry, bool without_many)
{
	struct run r = {0};
	struct json_object *in = inputs(overrides);

	E.dry = dry;
	W.ctx = *fake_aws_context(f, "isolate", dry);
	W.real = W.ctx.host;
	W.host = *W.real;
	W.host.aws_call = waves_call;
	W.host.aws_call_expect = waves_call_expect;
	W.host.aws_call_many = waves_call_many;
	if (without_many) {
		W.host.aws_call_many = NULL;
		W.host.size = (uint32_t)offsetof(struct irx_host, aws_call_many);
	}
	W.ctx.host = &W.host;
	W.log[0] = '\0';
	W.round_trips = 0;
	r.res.outputs = json_object_new_object();
	r.res.undo = json_object_new_object();
	r.rc = action()->execute(&W.ctx, in, &r.res);
	snprintf(r.message, sizeof(r.message), "%s", r.res.message ? r.res.message : "");
	json_object_put(in);
	E.dry = false;
	return r;
}

/* The nth call's params (borrowed). */
static struct json_object *call_params(struct fake_aws *f, size_t n)
{
	return get(at(fake_aws_calls(f), n), "params");
}

/* Index of the kth call to op ("ec2:CreateSecurityGroup"), or -1. */
static int find_call(struct fake_aws *f, const char *op, int k)
{
	struct json_object *calls = fake_aws_calls(f);

	for (size_t i = 0; i < alen(calls); i++) {
		char name[160];

		snprintf(name, sizeof(name), "%s:%s", gets(at(calls, i), "service"),
			 gets(at(calls, i), "operation"));
		if (strcmp(name, op) == 0 && k-- == 0)
			return (int)i;
	}
	return -1;
}

/* No call whose operation changes anything. */
static bool only_reads(struct fake_aws *f)
{
	struct json_object *calls = fake_aws_calls(f);

	for (size_t i = 0; i < alen(calls); i++) {
		const char *op = gets(at(calls, i), "operation");

		if (strncmp(op, "Describe", 8) != 0 && strncmp(op, "Get", 3) != 0 &&
		    strncmp(op, "List", 4) != 0) {
			fprintf(stderr, "\n  unexpected change: %s\n", op);
			return false;
		}
	}
	return true;
}

/*
 * The round trips of a full containment, " | " between them: the calls of one round trip do
 * not depend on each other and go out together (host->aws_call_many). The fake's target
 * groups come in two pages; the second page is a round trip of its own.
 */
#define FULL_WAVES                                                                                 \
	"ec2:DescribeInstances | " /* 2: every read that needs only the instance */                \
	"ec2:DescribeInstanceAttribute,ec2:DescribeInstanceAttribute,"                             \
	"autoscaling:DescribeAutoScalingInstances,elasticloadbalancingv2:DescribeTargetGroups,"    \
	"ec2:DescribeSecurityGroups,ec2:DescribeAddresses,iam:GetInstanceProfile | "               \
	"elasticloadbalancingv2:DescribeTargetGroups | " /* 3: protect, connection tracking, new   \
							    groups; target health, role policies,  \
							    the Auto Scaling group's sizes */      \
	"ec2:ModifyInstanceAttribute,ec2:ModifyInstanceAttribute,ec2:ModifyInstanceAttribute,"     \
	"ec2:ModifyNetworkInterfaceAttribute,ec2:ModifyNetworkInterfaceAttribute,"                 \
	"ec2:ModifyNetworkInterfaceAttribute,"                                                     \
	"ec2:CreateSecurityGroup,ec2:CreateSecurityGroup,"                                         \
	"elasticloadbalancingv2:DescribeTargetHealth,elasticloadbalancingv2:DescribeTargetHealth," \
	"iam:ListRolePolicies,autoscaling:DescribeAutoScalingGroups | " /* 4: deregistration, the  \
									   new groups' rules as    \
									   created, standby */     \
	"elasticloadbalancingv2:DeregisterTargets,elasticloadbalancingv2:DeregisterTargets,"       \
	"ec2:DescribeSecurityGroups,autoscaling:EnterStandby | " /* 5: the new groups' rules */    \
	"ec2:AuthorizeSecurityGroupIngress,ec2:AuthorizeSecurityGroupEgress,"                      \
	"ec2:RevokeSecurityGroupEgress | " /* 6: untrack every ENI; 7: isolate every ENI */        \
	"ec2:ModifyNetworkInterfaceAttribute,ec2:ModifyNetworkInterfaceAttribute,"                 \
	"ec2:ModifyNetworkInterfaceAttribute | "                                                   \
	"ec2:ModifyNetworkInterfaceAttribute,ec2:ModifyNetworkInterfaceAttribute,"                 \
	"ec2:ModifyNetworkInterfaceAttribute | " /* 8: addresses, credentials, tags */             \
	"ec2:DisassociateAddress,iam:PutRolePolicy,ec2:CreateTags"

/* --- tests ---------------------------------------------------------------------------- */

static void test_full_sequence(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	struct json_object *undo = NULL, *p = NULL, *nis = NULL;
	const char *iso = NULL, *untrack = NULL, *doc = NULL;

	estate_reset();
	f = fake();
	r = exec_waves(f, "{\"TargetArn\":\"" IARN "\"}", false, false);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(W.log, FULL_WAVES);
	/* 9 round trips (the group's sizes, which need its name, come with wave 3), 7 of them
	   batches; one call at a time it took 37 */
	CU_ASSERT_EQUAL(W.round_trips, 9);
	CU_ASSERT_EQUAL(fake_aws_batches(f), 7);
	CU_ASSERT_EQUAL(alen(fake_aws_calls(f)), 37);
	CU_ASSERT_STRING_EQUAL(r.message, "isolated instance '" IID "' (23 changes)");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 60000);

	iso = gets(sg_by_name("irx-isolation"), "GroupId");
	untrack = gets(sg_by_name("irx-untrack"), "GroupId");
	CU_ASSERT_PTR_NOT_NULL_FATAL(iso);
	CU_ASSERT_PTR_NOT_NULL_FATAL(untrack);
	/* End state: only the isolation group on every ENI, protected, out of service. */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), iso);
	CU_ASSERT_TRUE(E.term);
	CU_ASSERT_STRING_EQUAL(E.shutdown, "stop");
	for (int i = 0; i < 3; i++)
		CU_ASSERT_FALSE(json_object_get_boolean(
		    get(get(at(get(E.inst, "BlockDeviceMappings"), (size_t)i), "Ebs"),
			"DeleteOnTermination")));
	CU_ASSERT_STRING_EQUAL(E.asg_life, "Standby");
	CU_ASSERT_FALSE(registered(TG1));
	CU_ASSERT_EQUAL(alen(get(target_group(TG1), "Targets")), 1); /* the other instance */
	CU_ASSERT_EQUAL(alen(get(target_group(TG2), "Targets")), 0); /* its ip target */
	CU_ASSERT_TRUE(registered(TG3));			     /* another VPC */
	CU_ASSERT_PTR_NULL(gets(at(E.addrs, 0), "AssociationId"));
	CU_ASSERT_STRING_EQUAL(tag_of(get(E.inst, "Tags"), "irx:status"), "isolated");
	CU_ASSERT_STRING_EQUAL(tag_of(get(E.inst, "Tags"), "irx:execution-id"),
			       "00000000-0000-4000-8000-000000000001");
	CU_ASSERT_PTR_NOT_NULL(tag_of(get(E.inst, "Tags"), "irx:isolated-at"));
	CU_ASSERT_PTR_NULL(tag_of(get(E.inst, "Tags"), "irx:case-id")); /* no case given */

	/* The credential deny is scoped to this instance's ARN. */
	doc = gets(E.role_policies, "irx-deny-instance-" IID);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(
	    doc, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"IrxDenyIsolatedInstance\","
		 "\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{"
		 "\"StringEquals\":{\"ec2:SourceInstanceARN\":\"" IARN "\"}}}]}");

	/* Parameters of the calls that matter. */
	p = call_params(f, (size_t)find_call(f, "autoscaling:EnterStandby", 0));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN),
			       "{\"AutoScalingGroupName\":\"web-asg\",\"InstanceIds\":[\"" IID
			       "\"],\"ShouldDecrementDesiredCapacity\":true}");
	p = call_params(f, (size_t)find_call(f, "elasticloadbalancingv2:DeregisterTargets", 1));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(
				   p, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			       "{\"TargetGroupArn\":\"" TG2 "\",\"Targets\":[{\"Id\":\"10.0.2.11\","
			       "\"Port\":8080,\"AvailabilityZone\":\"us-east-1a\"}]}");
	p = call_params(f, (size_t)find_call(f, "ec2:ModifyNetworkInterfaceAttribute", 0));
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN),
	    "{\"NetworkInterfaceId\":\"eni-1\",\"ConnectionTrackingSpecification\":"
	    "{\"TcpEstablishedTimeout\":60,\"UdpStreamTimeout\":60,"
	    "\"UdpTimeout\":30}}");
	/* ENIs in device-index order; untrack first on each, then the isolation group. */
	p = call_params(f, (size_t)find_call(f, "ec2:ModifyNetworkInterfaceAttribute", 3));
	CU_ASSERT_STRING_EQUAL(gets(p, "NetworkInterfaceId"), "eni-1");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(at(get(p, "Groups"), 0)), untrack);
	p = call_params(f, (size_t)find_call(f, "ec2:ModifyNetworkInterfaceAttribute", 5));
	CU_ASSERT_STRING_EQUAL(gets(p, "NetworkInterfaceId"), "eni-3");
	p = call_params(f, (size_t)find_call(f, "ec2:ModifyNetworkInterfaceAttribute", 6));
	CU_ASSERT_STRING_EQUAL(gets(p, "NetworkInterfaceId"), "eni-1");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(p, "Groups"), JSON_C_TO_STRING_PLAIN),
	    "[\"sg-new2\"]");
	p = call_params(f, (size_t)find_call(f, "ec2:ModifyInstanceAttribute", 2));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(
				   p, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			       "{\"InstanceId\":\"" IID "\",\"BlockDeviceMappings\":["
			       "{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"VolumeId\":\"vol-1\","
			       "\"DeleteOnTermination\":false}},"
			       "{\"DeviceName\":\"/dev/xvdb\",\"Ebs\":{\"VolumeId\":\"vol-2\","
			       "\"DeleteOnTermination\":false}}]}");
	p = call_params(f, (size_t)find_call(f, "ec2:DescribeAddresses", 0));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN),
			       "{\"Filters\":[{\"Name\":\"network-interface-id\",\"Values\":["
			       "\"eni-1\",\"eni-2\",\"eni-3\"]}]}");

	/* The undo record: what rollback needs, nothing else. */
	undo = r.res.undo;
	CU_ASSERT_STRING_EQUAL(gets(undo, "InstanceId"), IID);
	CU_ASSERT_FALSE(json_object_get_boolean(get(undo, "DisableApiTermination")));
	CU_ASSERT_STRING_EQUAL(gets(undo, "ShutdownBehavior"), "terminate");
	CU_ASSERT_EQUAL(alen(get(undo, "DeleteOnTermination")), 2);
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(undo, "AutoScaling"), JSON_C_TO_STRING_PLAIN),
	    "{\"AutoScalingGroupName\":\"web-asg\",\"Mode\":\"standby\","
	    "\"LifecycleState\":\"InService\"}");
	CU_ASSERT_EQUAL(alen(get(undo, "TargetGroups")), 2);
	CU_ASSERT_EQUAL(alen(get(undo, "ConnectionTracking")), 3);
	nis = get(undo, "NetworkInterfaces");
	CU_ASSERT_EQUAL_FATAL(alen(nis), 3);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(at(nis, 0), JSON_C_TO_STRING_PLAIN),
			       "{\"NetworkInterfaceId\":\"eni-1\",\"OriginalGroups\":[\"sg-web\","
			       "\"sg-ssh\"]}");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(at(nis, 2), JSON_C_TO_STRING_PLAIN),
	    "{\"NetworkInterfaceId\":\"eni-3\",\"OriginalGroups\":[\"sg-app\"]}");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(undo, "Addresses"), JSON_C_TO_STRING_PLAIN),
	    "[{\"PublicIp\":\"198.51.100.7\",\"AllocationId\":\"eipalloc-1\","
	    "\"AssociationId\":\"eipassoc-1\",\"NetworkInterfaceId\":\"eni-2\","
	    "\"PrivateIpAddress\":\"10.0.2.10\"}]");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(undo, "RolePolicy"), JSON_C_TO_STRING_PLAIN),
	    "{\"RoleName\":\"web-role\",\"PolicyName\":\"irx-deny-instance-" IID
	    "\",\"Mode\":\"instance-scoped\"}");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(get(undo, "Tags"), "Added"), JSON_C_TO_STRING_PLAIN),
	    "[\"irx:status\",\"irx:execution-id\",\"irx:isolated-at\","
	    "\"irx:action\"]");
	/* One checkpoint before each wave of changes rollback needs to know about (3, 4, 6, 8). */
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 4);

	/* Outputs for later steps and the evidence. */
	CU_ASSERT_STRING_EQUAL(gets(r.res.outputs, "IsolationGroupId"), iso);
	CU_ASSERT_STRING_EQUAL(gets(r.res.outputs, "AutoScalingGroupName"), "web-asg");
	CU_ASSERT_STRING_EQUAL(gets(r.res.outputs, "RoleName"), "web-role");
	CU_ASSERT_EQUAL(alen(get(r.res.outputs, "Changes")), 23);
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(r.res.outputs, "VolumeIds"), JSON_C_TO_STRING_PLAIN),
	    "[\"vol-1\",\"vol-2\",\"vol-3\"]");
	run_free(&r);
	fake_aws_free(f);
}

static void test_new_groups_rules(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	struct json_object *iso = NULL, *untrack = NULL, *p = NULL;

	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	iso = sg_by_name("irx-isolation");
	untrack = sg_by_name("irx-untrack");
	/* The isolation group has no rule at all: the default egress was revoked. */
	CU_ASSERT_EQUAL(alen(get(iso, "IpPermissions")), 0);
	CU_ASSERT_EQUAL(alen(get(iso, "IpPermissionsEgress")), 0);
	p = call_params(f, (size_t)find_call(f, "ec2:RevokeSecurityGroupEgress", 0));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN),
			       "{\"GroupId\":\"sg-new2\",\"IpPermissions\":[{\"IpProtocol\":\"-1\","
			       "\"IpRanges\":[{\"CidrIp\":\"0.0.0.0\\/0\"}]}]}");
	/* The untrack group allows all, both ways, IPv4 and IPv6. */
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(untrack, "IpPermissions"),
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]},"
	    "{\"IpProtocol\":\"-1\",\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}]");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(untrack, "IpPermissionsEgress"),
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]},"
	    "{\"IpProtocol\":\"-1\",\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}]");
	/* Tagged so the next run finds them, and with the run that made them. */
	CU_ASSERT_STRING_EQUAL(tag_of(get(iso, "Tags"), "irx:role"), "isolation");
	CU_ASSERT_STRING_EQUAL(tag_of(get(untrack, "Tags"), "irx:role"), "untrack");
	CU_ASSERT_STRING_EQUAL(tag_of(get(iso, "Tags"), "irx:execution-id"),
			       "00000000-0000-4000-8000-000000000001");
	p = call_params(f, (size_t)find_call(f, "ec2:CreateSecurityGroup", 0));
	CU_ASSERT_STRING_EQUAL(gets(p, "GroupName"), "irx-untrack");
	CU_ASSERT_STRING_EQUAL(gets(p, "VpcId"), VPC);
	run_free(&r);
	fake_aws_free(f);
}

static void test_groups_found(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-iso\",\"GroupName\":\"irx-isolation\",\"VpcId\":\"" VPC
		     "\",\"IpPermissions\":[],\"IpPermissionsEgress\":[],"
		     "\"Tags\":[{\"Key\":\"irx:role\",\"Value\":\"isolation\"}]}"));
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-unt\",\"GroupName\":\"irx-untrack\",\"VpcId\":\"" VPC
		     "\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
		     "\"0.0.0.0/0\"}],\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}],"
		     "\"IpPermissionsEgress\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
		     "\"0.0.0.0/0\"}],\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}],"
		     "\"Tags\":[{\"Key\":\"irx:role\",\"Value\":\"untrack\"}]}"));
	/* Same names in another VPC: not these. */
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-elsewhere\",\"GroupName\":\"irx-isolation\",\"VpcId\":"
		     "\"vpc-other\",\"IpPermissions\":[],\"IpPermissionsEgress\":[],"
		     "\"Tags\":[{\"Key\":\"irx:role\",\"Value\":\"isolation\"}]}"));
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(find_call(f, "ec2:CreateSecurityGroup", 0), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:RevokeSecurityGroupEgress", 0), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:AuthorizeSecurityGroupIngress", 0), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:DescribeSecurityGroups", 1), -1);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), "sg-iso");
	CU_ASSERT_STRING_EQUAL(gets(r.res.outputs, "UntrackGroupId"), "sg-unt");
	run_free(&r);
	fake_aws_free(f);
}

/* A group with the isolation group's name that irx did not make (an attacker could). */
static void test_untagged_group_refused(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-evil\",\"GroupName\":\"irx-isolation\",\"VpcId\":\"" VPC
		     "\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
		     "\"0.0.0.0/0\"}]}],\"IpPermissionsEgress\":[],\"Tags\":[]}"));
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot isolate instance '" IID "': security group 'irx-isolation' "
			       "(sg-evil) in vpc '" VPC
			       "' is not tagged irx:role=isolation, so irx "
			       "did not create it; rename it or choose another group name");
	for (int i = 0; i < 3; i++)
		CU_ASSERT_PTR_NULL(strstr(eni_groups(i), "sg-evil"));
	run_free(&r);
	fake_aws_free(f);
}

/* A tagged isolation group that gained a rule is refused, not used. */
static void test_isolation_group_with_rules_refused(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-iso\",\"GroupName\":\"irx-isolation\",\"VpcId\":\"" VPC
		     "\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,"
		     "\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]}],\"IpPermissionsEgress\":[],"
		     "\"Tags\":[{\"Key\":\"irx:role\",\"Value\":\"isolation\"}]}"));
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot isolate instance '" IID "': isolation group 'irx-isolation' "
			       "(sg-iso) in vpc '" VPC "' has rules it must not have; remove them "
			       "or choose another group name");
	CU_ASSERT_EQUAL(find_call(f, "ec2:ModifyNetworkInterfaceAttribute", 3), -1);
	/* Refused after the reads, before any change: the planned wave was dropped whole. */
	CU_ASSERT_TRUE(only_reads(f));
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 0);
	CU_ASSERT_EQUAL(alen(get(r.res.outputs, "Changes")), 0);
	CU_ASSERT_PTR_NULL(get(r.res.undo, "DisableApiTermination"));
	CU_ASSERT_FALSE(E.term);
	run_free(&r);
	fake_aws_free(f);
}

/* Every ENI already on the untrack group (a run stopped during the wait): no untrack round
 * trip, and the ENIs' undo entries are journaled before the isolation wave all the same. */
static void test_all_enis_on_untrack(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-iso\",\"GroupName\":\"irx-isolation\",\"VpcId\":\"" VPC
		     "\",\"IpPermissions\":[],\"IpPermissionsEgress\":[],"
		     "\"Tags\":[{\"Key\":\"irx:role\",\"Value\":\"isolation\"}]}"));
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-unt\",\"GroupName\":\"irx-untrack\",\"VpcId\":\"" VPC
		     "\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
		     "\"0.0.0.0/0\"}],\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}],"
		     "\"IpPermissionsEgress\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
		     "\"0.0.0.0/0\"}],\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}],"
		     "\"Tags\":[{\"Key\":\"irx:role\",\"Value\":\"untrack\"}]}"));
	for (int i = 0; i < 3; i++)
		json_object_object_add(
		    eni(i), "Groups",
		    J("[{\"GroupId\":\"sg-unt\",\"GroupName\":\"irx-untrack\"}]"));
	f = fake();
	r = exec_waves(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false, false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	IRX_ASSERT_CONTAINS(W.log,
			    "ec2:DescribeSecurityGroups,ec2:DescribeAddresses,"
			    "iam:GetInstanceProfile | elasticloadbalancingv2:DescribeTargetGroups"
			    " | ec2:ModifyInstanceAttribute,");
	IRX_ASSERT_CONTAINS(
	    W.log, " | elasticloadbalancingv2:DeregisterTargets,"
		   "elasticloadbalancingv2:DeregisterTargets,autoscaling:EnterStandby | "
		   "ec2:ModifyNetworkInterfaceAttribute,ec2:ModifyNetworkInterfaceAttribute,"
		   "ec2:ModifyNetworkInterfaceAttribute | ec2:DisassociateAddress,");
	CU_ASSERT_EQUAL(W.round_trips, 7);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), "sg-iso");
	CU_ASSERT_EQUAL(alen(get(r.res.undo, "NetworkInterfaces")), 3);
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(at(get(r.res.undo, "NetworkInterfaces"), 0),
					   JSON_C_TO_STRING_PLAIN),
	    "{\"NetworkInterfaceId\":\"eni-1\",\"OriginalGroups\":null}");
	/* waves 3, 4, the ENIs' entries before the isolation wave, 8 */
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 4);
	run_free(&r);
	fake_aws_free(f);
}

/* A contained instance costs three round trips (plus the fake's second target group page). */
static void test_round_trips_second_run(void)
{
	struct fake_aws *f = NULL;
	struct run r1, r2;

	estate_reset();
	f = fake();
	r1 = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r1.rc, 0);
	fake_aws_free(f);
	f = fake();
	r2 = exec_waves(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false, false);
	CU_ASSERT_EQUAL(r2.rc, 0);
	CU_ASSERT_STRING_EQUAL(r2.message, "instance '" IID "' already contained");
	CU_ASSERT_STRING_EQUAL(
	    W.log, "ec2:DescribeInstances | "
		   "ec2:DescribeInstanceAttribute,ec2:DescribeInstanceAttribute,"
		   "autoscaling:DescribeAutoScalingInstances,"
		   "elasticloadbalancingv2:DescribeTargetGroups,ec2:DescribeSecurityGroups,"
		   "ec2:DescribeAddresses,iam:GetInstanceProfile | "
		   "elasticloadbalancingv2:DescribeTargetGroups | "
		   "elasticloadbalancingv2:DescribeTargetHealth,"
		   "elasticloadbalancingv2:DescribeTargetHealth,iam:ListRolePolicies");
	CU_ASSERT_EQUAL(W.round_trips, 4);
	CU_ASSERT_EQUAL(fake_aws_batches(f), 2);
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 0);
	run_free(&r1);
	run_free(&r2);
	fake_aws_free(f);
}

/* A host without aws_call_many (an older minor ABI): the same calls, one at a time. */
static void test_host_without_call_many(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	char names[8192];

	estate_reset();
	f = fake();
	r = exec_waves(f, "{\"TargetArn\":\"" IARN "\"}", false, true);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(fake_aws_batches(f), 0);
	CU_ASSERT_EQUAL(W.round_trips, 37);
	/* The calls of a full containment, in the same order. */
	snprintf(names, sizeof(names), "%s", FULL_WAVES);
	for (char *p = strstr(names, " | "); p; p = strstr(names, " | "))
		memmove(p, p + 2, strlen(p + 2) + 1), *p = ',';
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), names);
	CU_ASSERT_STRING_EQUAL(r.message, "isolated instance '" IID "' (23 changes)");
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), gets(sg_by_name("irx-isolation"), "GroupId"));
	/* One checkpoint per wave of changes still. */
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 4);
	run_free(&r);
	fake_aws_free(f);

	/* One at a time, a wave stops at its first failure: what was not sent is not done. */
	estate_reset();
	E.deny_eni_group_call = 2;
	f = fake();
	r = exec_waves(f, "{\"TargetArn\":\"" IARN "\"}", false, true);
	CU_ASSERT_EQUAL(r.rc, -1);
	IRX_ASSERT_CONTAINS(fake_aws_failure(f), "AccessDenied: ");
	CU_ASSERT_EQUAL(alen(get(r.res.undo, "NetworkInterfaces")), 1);
	CU_ASSERT_STRING_EQUAL(
	    gets(at(get(r.res.undo, "NetworkInterfaces"), 0), "NetworkInterfaceId"), "eni-1");
	CU_ASSERT_STRING_EQUAL(eni_groups(2), "sg-app");
	run_free(&r);
	fake_aws_free(f);
}

static int h_deny_standby(void *ud, struct fake_aws *f, struct json_object *params,
			  struct json_object **response)
{
	(void)ud;
	(void)params;
	*response = NULL;
	fake_aws_set_error(f, 403, "AccessDenied",
			   "User is not authorized to perform: autoscaling:EnterStandby");
	return -1;
}

/*
 * A group at its minimum size: AWS refuses a standby that decrements the desired capacity below
 * it, so isolation lowers the minimum first (recorded), and rollback restores it after the
 * instance is back in service.
 */
static void test_group_at_minimum_size(void)
{
	struct fake_aws *f = NULL;
	struct run r, rb;
	struct json_object *rec = NULL, *p = NULL;

	estate_reset();
	E.asg_min = 1;
	E.asg_desired = 1;
	f = fake();
	r = exec_waves(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false, false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(E.asg_life, "Standby");
	CU_ASSERT_EQUAL(E.asg_min, 0);
	CU_ASSERT_EQUAL(E.asg_desired, 0);
	/* read, lowered, then standby: in waves 3, 4 and 5, no round trip of their own */
	IRX_ASSERT_CONTAINS(W.log,
			    "iam:ListRolePolicies,autoscaling:DescribeAutoScalingGroups | "
			    "elasticloadbalancingv2:DeregisterTargets,"
			    "elasticloadbalancingv2:DeregisterTargets,ec2:DescribeSecurityGroups,"
			    "autoscaling:UpdateAutoScalingGroup | "
			    "ec2:AuthorizeSecurityGroupIngress,ec2:AuthorizeSecurityGroupEgress,"
			    "ec2:RevokeSecurityGroupEgress,autoscaling:EnterStandby | ");
	CU_ASSERT_EQUAL(W.round_trips, 9);
	/* read, lowered, then standby */
	CU_ASSERT_TRUE(find_call(f, "autoscaling:DescribeAutoScalingGroups", 0) <
		       find_call(f, "autoscaling:UpdateAutoScalingGroup", 0));
	CU_ASSERT_TRUE(find_call(f, "autoscaling:UpdateAutoScalingGroup", 0) <
		       find_call(f, "autoscaling:EnterStandby", 0));
	p = call_params(f, (size_t)find_call(f, "autoscaling:UpdateAutoScalingGroup", 0));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN),
			       "{\"AutoScalingGroupName\":\"web-asg\",\"MinSize\":0}");
	rec = get(r.res.undo, "AutoScalingMinSize");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN),
	    "{\"AutoScalingGroupName\":\"web-asg\",\"MinSize\":1,\"LoweredTo\":0}");
	fake_aws_free(f);
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_STRING_EQUAL(E.asg_life, "InService");
	CU_ASSERT_EQUAL(E.asg_desired, 1);
	CU_ASSERT_EQUAL(E.asg_min, 1);
	CU_ASSERT_TRUE(find_call(f, "autoscaling:ExitStandby", 0) <
		       find_call(f, "autoscaling:UpdateAutoScalingGroup", 0));
	IRX_ASSERT_CONTAINS(json_object_to_json_string(get(rb.res.outputs, "Restored")),
			    "restore the minimum size of auto scaling group 'web-asg' to 1");
	run_free(&rb);
	fake_aws_free(f);
	/* someone changed the minimum since: left alone, said so */
	E.asg_min = 2;
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(find_call(f, "autoscaling:UpdateAutoScalingGroup", 0), -1);
	IRX_ASSERT_CONTAINS(json_object_to_json_string(get(rb.res.outputs, "NotRestored")),
			    "the minimum size of auto scaling group 'web-asg' is 2 now, not the 0 "
			    "isolation set: left as it is (it was 1)");
	run_free(&rb);
	run_free(&r);
	fake_aws_free(f);
}

/* A failure in a wave of changes: the undo keeps the changes of that wave that were done
 * (the deregistrations) and loses the one that failed (the standby); nothing after the wave is
 * sent. */
static void test_failure_in_wave_of_changes(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	f = fake();
	fake_aws_handle(f, "autoscaling:EnterStandby", h_deny_standby, NULL);
	r = exec_waves(f, "{\"TargetArn\":\"" IARN "\"}", false, false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "AccessDenied: User is not authorized to perform: "
			       "autoscaling:EnterStandby (HTTP 403, request id fake-0001)");
	CU_ASSERT_EQUAL(W.round_trips, 5);
	CU_ASSERT_EQUAL(fake_aws_batches(f), 3);
	IRX_ASSERT_CONTAINS(W.log,
			    " | elasticloadbalancingv2:DeregisterTargets,"
			    "elasticloadbalancingv2:DeregisterTargets,ec2:DescribeSecurityGroups,"
			    "autoscaling:EnterStandby");
	CU_ASSERT_PTR_NULL(get(r.res.undo, "AutoScaling"));
	CU_ASSERT_EQUAL(alen(get(r.res.undo, "TargetGroups")), 2);
	CU_ASSERT_FALSE(registered(TG1));
	CU_ASSERT_FALSE(json_object_get_boolean(get(r.res.undo, "DisableApiTermination")));
	CU_ASSERT_PTR_NOT_NULL(get(r.res.undo, "DisableApiTermination"));
	CU_ASSERT_STRING_EQUAL(gets(r.res.undo, "ShutdownBehavior"), "terminate");
	CU_ASSERT_EQUAL(alen(get(r.res.undo, "ConnectionTracking")), 3);
	CU_ASSERT_TRUE(E.term);
	CU_ASSERT_STRING_EQUAL(E.asg_life, "InService");
	CU_ASSERT_EQUAL(find_call(f, "ec2:AuthorizeSecurityGroupIngress", 0), -1);
	CU_ASSERT_STRING_EQUAL(eni_groups(0), "sg-web,sg-ssh");
	run_free(&r);
	fake_aws_free(f);
}

static void test_dry_run(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	struct json_object *p = NULL, *plan = NULL;

	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\"}", true);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(r.message, "would isolate instance '" IID "' with 23 changes");
	/* The same calls as a real run minus the describe of the new groups (they don't exist). */
	CU_ASSERT_EQUAL(find_call(f, "ec2:DescribeSecurityGroups", 1), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:CreateSecurityGroup", 1) > 0, 1);
	/* Nothing changed; nothing journaled; no wait. */
	CU_ASSERT_STRING_EQUAL(eni_groups(0), "sg-web,sg-ssh");
	CU_ASSERT_FALSE(E.term);
	CU_ASSERT_STRING_EQUAL(E.asg_life, "InService");
	CU_ASSERT_TRUE(registered(TG1));
	CU_ASSERT_EQUAL(alen(E.sgs), 4); /* no group created */
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 0);
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	CU_ASSERT_EQUAL(json_object_object_length(r.res.undo), 0);
	/* Planned calls name the groups to be created by placeholder, not a made-up id. */
	p = call_params(f, (size_t)find_call(f, "ec2:ModifyNetworkInterfaceAttribute", 3));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(at(get(p, "Groups"), 0)),
			       "(new untrack group)");
	p = call_params(f, (size_t)find_call(f, "ec2:RevokeSecurityGroupEgress", 0));
	CU_ASSERT_STRING_EQUAL(gets(p, "GroupId"), "(new isolation group)");
	plan = get(r.res.outputs, "PlannedChanges");
	CU_ASSERT_EQUAL(alen(plan), 24); /* 23 changes and the wait */
	CU_ASSERT_STRING_EQUAL(json_object_get_string(at(plan, 0)),
			       "turn on termination protection of '" IID "'");
	IRX_ASSERT_CONTAINS(json_object_to_json_string(plan),
			    "wait 60 s with the untrack group in place");
	CU_ASSERT_PTR_NULL(get(r.res.outputs, "Changes"));
	CU_ASSERT_FALSE(json_object_get_boolean(get(r.res.outputs, "Changed")));
	run_free(&r);
	fake_aws_free(f);
}

static void test_second_run_changes_nothing(void)
{
	struct fake_aws *f = NULL;
	struct run r1, r2;

	estate_reset();
	f = fake();
	r1 = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r1.rc, 0);
	fake_aws_free(f);
	f = fake();
	r2 = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r2.rc, 0);
	CU_ASSERT_STRING_EQUAL(r2.message, "instance '" IID "' already contained");
	CU_ASSERT_TRUE(only_reads(f));
	CU_ASSERT_EQUAL(fake_aws_checkpoints(f), 0);
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	CU_ASSERT_FALSE(json_object_get_boolean(get(r2.res.outputs, "Changed")));
	/* Nothing to undo, so rollback of this run cannot undo the first one's work. */
	CU_ASSERT_PTR_NULL(get(r2.res.undo, "NetworkInterfaces"));
	CU_ASSERT_PTR_NULL(get(r2.res.undo, "RolePolicy"));
	CU_ASSERT_PTR_NULL(get(r2.res.undo, "Tags"));
	run_free(&r1);
	run_free(&r2);
	fake_aws_free(f);
}

/* A crash after the first ENI: the next run finishes the other two. */
static void test_partial_finishes(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	struct json_object *nis = NULL;

	estate_reset();
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-iso\",\"GroupName\":\"irx-isolation\",\"VpcId\":\"" VPC
		     "\",\"IpPermissions\":[],\"IpPermissionsEgress\":[],"
		     "\"Tags\":[{\"Key\":\"irx:role\",\"Value\":\"isolation\"}]}"));
	json_object_array_add(
	    E.sgs, J("{\"GroupId\":\"sg-unt\",\"GroupName\":\"irx-untrack\",\"VpcId\":\"" VPC
		     "\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
		     "\"0.0.0.0/0\"}],\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}],"
		     "\"IpPermissionsEgress\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
		     "\"0.0.0.0/0\"}],\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}],"
		     "\"Tags\":[{\"Key\":\"irx:role\",\"Value\":\"untrack\"}]}"));
	/* ENI 1 isolated, ENI 2 left on the untrack group, ENI 3 untouched. */
	json_object_object_add(eni(0), "Groups",
			       J("[{\"GroupId\":\"sg-iso\",\"GroupName\":\"irx-isolation\"}]"));
	json_object_object_add(eni(1), "Groups",
			       J("[{\"GroupId\":\"sg-unt\",\"GroupName\":\"irx-untrack\"}]"));
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":5}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), "sg-iso");
	/* eni-1 was done; eni-2 needs only the isolation group (after the wait); eni-3 both. */
	nis = get(r.res.undo, "NetworkInterfaces");
	CU_ASSERT_EQUAL_FATAL(alen(nis), 2);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(at(nis, 0), JSON_C_TO_STRING_PLAIN),
			       "{\"NetworkInterfaceId\":\"eni-2\",\"OriginalGroups\":null}");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(at(nis, 1), JSON_C_TO_STRING_PLAIN),
	    "{\"NetworkInterfaceId\":\"eni-3\",\"OriginalGroups\":[\"sg-app\"]}");
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 5000);
	{
		/* Groups calls: eni-3 untrack, eni-2 isolation, eni-3 isolation. */
		int k = 0;
		const char *seen[8] = {0};

		for (int i = 0; find_call(f, "ec2:ModifyNetworkInterfaceAttribute", i) >= 0; i++) {
			struct json_object *p = call_params(
			    f, (size_t)find_call(f, "ec2:ModifyNetworkInterfaceAttribute", i));

			if (get(p, "Groups") && k < 8)
				seen[k++] = gets(p, "NetworkInterfaceId");
		}
		CU_ASSERT_EQUAL_FATAL(k, 3);
		CU_ASSERT_STRING_EQUAL(seen[0], "eni-3");
		CU_ASSERT_STRING_EQUAL(seen[1], "eni-2");
		CU_ASSERT_STRING_EQUAL(seen[2], "eni-3");
	}
	run_free(&r);
	fake_aws_free(f);
}

static void test_access_denied_second_eni_then_rollback(void)
{
	struct fake_aws *f = NULL;
	struct run r, rb;
	struct json_object *nis = NULL;

	estate_reset();
	E.deny_eni_group_call = 2; /* the untrack group on eni-2 */
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\"}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "AccessDenied: User: arn:aws:sts::111111111111:assumed-role/irx/x is "
	    "not authorized to perform: ec2:ModifyNetworkInterfaceAttribute "
	    "(HTTP 403, request id fake-0001)");
	CU_ASSERT_STRING_EQUAL(r.message, "");
	/* Nothing after the failure ran: no wait, no isolation group, no credentials, no tags. */
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	CU_ASSERT_EQUAL(find_call(f, "iam:PutRolePolicy", 0), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:CreateTags", 0), -1);
	/* The untrack wave went out whole: eni-1 and eni-3 changed, eni-2 did not. The undo
	   holds exactly what was done: eni-1's and eni-3's entries, not eni-2's. */
	nis = get(r.res.undo, "NetworkInterfaces");
	CU_ASSERT_EQUAL_FATAL(alen(nis), 2);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(at(nis, 0), JSON_C_TO_STRING_PLAIN),
			       "{\"NetworkInterfaceId\":\"eni-1\",\"OriginalGroups\":[\"sg-web\","
			       "\"sg-ssh\"]}");
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(at(nis, 1), JSON_C_TO_STRING_PLAIN),
	    "{\"NetworkInterfaceId\":\"eni-3\",\"OriginalGroups\":[\"sg-app\"]}");
	CU_ASSERT_STRING_EQUAL(eni_groups(0), gets(sg_by_name("irx-untrack"), "GroupId"));
	CU_ASSERT_STRING_EQUAL(eni_groups(1), "sg-db");
	CU_ASSERT_STRING_EQUAL(eni_groups(2), gets(sg_by_name("irx-untrack"), "GroupId"));
	fake_aws_free(f);

	/* Rollback from that record puts eni-1 back and undoes the earlier phases. */
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(eni_groups(0), "sg-web,sg-ssh");
	CU_ASSERT_STRING_EQUAL(eni_groups(1), "sg-db");
	CU_ASSERT_STRING_EQUAL(eni_groups(2), "sg-app");
	CU_ASSERT_STRING_EQUAL(E.asg_life, "InService");
	CU_ASSERT_TRUE(registered(TG1));
	CU_ASSERT_FALSE(E.term);
	CU_ASSERT_STRING_EQUAL(rb.message, "rolled back isolation of '" IID "'");
	run_free(&r);
	run_free(&rb);
	fake_aws_free(f);
}

static void test_rollback_restores_everything(void)
{
	struct fake_aws *f = NULL;
	struct run r, rb;
	struct json_object *ct = NULL;

	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	fake_aws_free(f);
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f),
			       "ec2:DescribeInstances,ec2:DeleteTags,iam:ListRolePolicies,"
			       "iam:DeleteRolePolicy,ec2:DescribeAddresses,ec2:AssociateAddress,"
			       "ec2:ModifyNetworkInterfaceAttribute,"
			       "ec2:ModifyNetworkInterfaceAttribute,"
			       "ec2:ModifyNetworkInterfaceAttribute,"
			       "ec2:ModifyNetworkInterfaceAttribute,"
			       "ec2:ModifyNetworkInterfaceAttribute,"
			       "ec2:ModifyNetworkInterfaceAttribute,"
			       "elasticloadbalancingv2:RegisterTargets,"
			       "elasticloadbalancingv2:RegisterTargets,"
			       "autoscaling:DescribeAutoScalingInstances,autoscaling:ExitStandby,"
			       "ec2:ModifyInstanceAttribute,ec2:ModifyInstanceAttribute,"
			       "ec2:ModifyInstanceAttribute");
	CU_ASSERT_STRING_EQUAL(eni_groups(0), "sg-web,sg-ssh");
	CU_ASSERT_STRING_EQUAL(eni_groups(1), "sg-db");
	CU_ASSERT_STRING_EQUAL(eni_groups(2), "sg-app");
	ct = get(eni(0), "ConnectionTrackingConfiguration");
	CU_ASSERT_EQUAL(json_object_get_int(get(ct, "TcpEstablishedTimeout")), 432000);
	CU_ASSERT_STRING_EQUAL(E.asg_life, "InService");
	CU_ASSERT_TRUE(registered(TG1));
	CU_ASSERT_EQUAL(alen(get(target_group(TG2), "Targets")), 1);
	CU_ASSERT_STRING_EQUAL(gets(at(E.addrs, 0), "NetworkInterfaceId"), "eni-2");
	CU_ASSERT_STRING_EQUAL(gets(at(E.addrs, 0), "PrivateIpAddress"), "10.0.2.10");
	CU_ASSERT_PTR_NULL(get(E.role_policies, "irx-deny-instance-" IID));
	CU_ASSERT_PTR_NOT_NULL(get(E.role_policies, "app-s3"));
	CU_ASSERT_FALSE(E.term);
	CU_ASSERT_STRING_EQUAL(E.shutdown, "terminate");
	CU_ASSERT_TRUE(json_object_get_boolean(
	    get(get(at(get(E.inst, "BlockDeviceMappings"), 0), "Ebs"), "DeleteOnTermination")));
	CU_ASSERT_FALSE(json_object_get_boolean(
	    get(get(at(get(E.inst, "BlockDeviceMappings"), 2), "Ebs"), "DeleteOnTermination")));
	CU_ASSERT_PTR_NULL(tag_of(get(E.inst, "Tags"), "irx:status"));
	CU_ASSERT_STRING_EQUAL(tag_of(get(E.inst, "Tags"), "Name"), "web-1");
	/* irx's groups stay: they are shared per VPC. */
	CU_ASSERT_PTR_NOT_NULL(sg_by_name("irx-isolation"));
	run_free(&rb);
	fake_aws_free(f);

	/* Rolling back twice changes nothing more. */
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_EQUAL(find_call(f, "ec2:ModifyNetworkInterfaceAttribute", 0) >= 0, 1);
	CU_ASSERT_EQUAL(find_call(f, "iam:DeleteRolePolicy", 0), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:AssociateAddress", 0), -1);
	CU_ASSERT_EQUAL(find_call(f, "autoscaling:ExitStandby", 0), -1);
	IRX_ASSERT_CONTAINS(rb.message, "inline policy 'irx-deny-instance-" IID
					"' is no longer on role 'web-role': nothing to delete");
	run_free(&rb);
	run_free(&r);
	fake_aws_free(f);
}

/* Rollback leaves an ENI alone when someone changed its groups since isolation. */
static void test_rollback_does_not_clobber(void)
{
	struct fake_aws *f = NULL;
	struct run r, rb;

	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	fake_aws_free(f);
	json_object_object_add(eni(1), "Groups",
			       J("[{\"GroupId\":\"sg-web\",\"GroupName\":\"web\"}]"));
	/* The EIP went to another interface meanwhile. */
	json_object_object_add(at(E.addrs, 0), "AssociationId", json_object_new_string("x"));
	json_object_object_add(at(E.addrs, 0), "NetworkInterfaceId",
			       json_object_new_string("eni-99"));
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_STRING_EQUAL(eni_groups(0), "sg-web,sg-ssh");
	CU_ASSERT_STRING_EQUAL(eni_groups(1), "sg-web");
	CU_ASSERT_STRING_EQUAL(eni_groups(2), "sg-app");
	CU_ASSERT_STRING_EQUAL(
	    rb.message, "rolled back isolation of '" IID "'; not restored: [\"elastic ip "
			"198.51.100.7 is associated elsewhere now (eni-99)\",\"groups of "
			"'eni-2' were changed since isolation ([\\\"sg-web\\\"]): left alone\"]");
	run_free(&r);
	run_free(&rb);
	fake_aws_free(f);
}

/* A damaged undo record (SecurityGroups gone, a group id not a string) is read, not trusted. */
static void test_rollback_damaged_record(void)
{
	struct fake_aws *f = NULL;
	struct run r, rb;

	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	fake_aws_free(f);
	json_object_object_del(r.res.undo, "SecurityGroups");
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	IRX_ASSERT_CONTAINS(rb.message, "groups of 'eni-1' were changed since isolation");
	run_free(&rb);
	fake_aws_free(f);
	json_object_object_add(r.res.undo, "SecurityGroups", J("{\"isolation\": 7}"));
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	IRX_ASSERT_CONTAINS(rb.message, "groups of 'eni-1' were changed since isolation");
	run_free(&r);
	run_free(&rb);
	fake_aws_free(f);
}

static void test_rollback_dry_run(void)
{
	struct fake_aws *f = NULL;
	struct run r, rb;

	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	fake_aws_free(f);
	f = fake();
	rb = rollback(f, r.res.undo, true);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_STRING_EQUAL(rb.message, "would roll back isolation of '" IID "'");
	CU_ASSERT_STRING_EQUAL(eni_groups(0), gets(sg_by_name("irx-isolation"), "GroupId"));
	CU_ASSERT_STRING_EQUAL(E.asg_life, "Standby");
	CU_ASSERT_EQUAL(alen(get(rb.res.outputs, "PlannedChanges")), 15);
	run_free(&r);
	run_free(&rb);
	fake_aws_free(f);
}

static void test_detach_mode(void)
{
	struct fake_aws *f = NULL;
	struct run r, rb;

	estate_reset();
	f = fake();
	r = exec(f,
		 "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0,\"AutoScaling\":\"detach\","
		 "\"ElbDeregister\":false,\"DisassociateAddresses\":false,"
		 "\"RevokeCredentials\":\"none\"}",
		 false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(E.asg_life, "");
	CU_ASSERT_TRUE(registered(TG1));
	CU_ASSERT_PTR_NOT_NULL(gets(at(E.addrs, 0), "AssociationId"));
	CU_ASSERT_EQUAL(find_call(f, "elasticloadbalancingv2:DescribeTargetGroups", 0), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:DescribeAddresses", 0), -1);
	CU_ASSERT_EQUAL(find_call(f, "iam:GetInstanceProfile", 0), -1);
	CU_ASSERT_EQUAL(json_object_get_boolean(get(
			    call_params(f, (size_t)find_call(f, "autoscaling:DetachInstances", 0)),
			    "ShouldDecrementDesiredCapacity")),
			1);
	fake_aws_free(f);
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_STRING_EQUAL(E.asg_life, "InService");
	CU_ASSERT_TRUE(find_call(f, "autoscaling:AttachInstances", 0) >= 0);
	run_free(&r);
	run_free(&rb);
	fake_aws_free(f);
}

static void test_forensic_group(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	struct json_object *fg = NULL;
	char want[64];

	estate_reset();
	f = fake();
	r = exec(f,
		 "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0,"
		 "\"ForensicCidr\":\"203.0.113.7/32\"}",
		 false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	fg = sg_by_name("irx-forensic-203.0.113.7-32");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fg);
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(fg, "IpPermissions"),
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
	    "\"203.0.113.7/32\"}]}]");
	/* No egress: any egress rule would undo the isolation group's. */
	CU_ASSERT_EQUAL(alen(get(fg, "IpPermissionsEgress")), 0);
	CU_ASSERT_STRING_EQUAL(tag_of(get(fg, "Tags"), "irx:forensic-cidr"), "203.0.113.7/32");
	snprintf(want, sizeof(want), "%s,%s", gets(sg_by_name("irx-isolation"), "GroupId"),
		 gets(fg, "GroupId"));
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), want);
	fake_aws_free(f);

	/* Contained with the forensic group: a second run changes nothing. */
	f = fake();
	run_free(&r);
	r = exec(f,
		 "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0,"
		 "\"ForensicCidr\":\"203.0.113.7/32\"}",
		 false);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_TRUE(only_reads(f));
	CU_ASSERT_STRING_EQUAL(r.message, "instance '" IID "' already contained");
	run_free(&r);
	fake_aws_free(f);
}

static void test_forensic_ipv6(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	struct json_object *fg = NULL;

	estate_reset();
	f = fake();
	r = exec(f,
		 "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0,"
		 "\"ForensicCidr\":\"2001:db8::/64\",\"ForensicGroupName\":\"responders\"}",
		 false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	fg = sg_by_name("responders");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fg);
	CU_ASSERT_STRING_EQUAL(
	    json_object_to_json_string_ext(get(fg, "IpPermissions"),
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[{\"IpProtocol\":\"-1\",\"Ipv6Ranges\":[{\"CidrIpv6\":"
	    "\"2001:db8::/64\"}]}]");
	run_free(&r);
	fake_aws_free(f);
}

static void expect_input_error(const char *overrides, const char *message)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	f = fake();
	r = exec(f, overrides, false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), message);
	/* Refused before any call. */
	CU_ASSERT_EQUAL(alen(fake_aws_calls(f)), 0);
	run_free(&r);
	fake_aws_free(f);
}

static void test_forensic_cidr_everyone_refused(void)
{
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"ForensicCidr\":\"0.0.0.0/0\"}",
			   "refusing ForensicCidr '0.0.0.0/0': it admits every address; give the "
			   "responders' own range");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"ForensicCidr\":\"::/0\"}",
			   "refusing ForensicCidr '::/0': it admits every address; give the "
			   "responders' own range");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"ForensicCidr\":\"10.1.0.0/0\"}",
			   "refusing ForensicCidr '10.1.0.0/0': it admits every address; give the "
			   "responders' own range");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"ForensicCidr\":\"10.1.0.0\"}",
			   "ForensicCidr '10.1.0.0' is not an IPv4 or IPv6 CIDR (such as "
			   "203.0.113.7/32)");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"ForensicCidr\":\"10.1.0.0/33\"}",
			   "ForensicCidr '10.1.0.0/33' is not an IPv4 or IPv6 CIDR (such as "
			   "203.0.113.7/32)");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"ForensicCidr\":\"10.1.0.5/24\"}",
			   "ForensicCidr '10.1.0.5/24' has host bits set; give the network address "
			   "(such as 203.0.113.0/24)");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"ForensicCidr\":\"2001:db8::1/64\"}",
			   "ForensicCidr '2001:db8::1/64' has host bits set; give the network "
			   "address (such as 203.0.113.0/24)");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"ForensicCidr\":\"10.1.0.0/-1\"}",
			   "ForensicCidr '10.1.0.0/-1' is not an IPv4 or IPv6 CIDR (such as "
			   "203.0.113.7/32)");
}

static void test_bad_inputs(void)
{
	expect_input_error("{\"TargetArn\":\"arn:aws:lambda:us-east-1:111111111111:function:f\"}",
			   "cannot isolate 'arn:aws:lambda:us-east-1:111111111111:function:f': "
			   "not an EC2 instance ARN");
	expect_input_error("{\"TargetArn\":\"arn:aws:ec2:us-east-1:111111111111:volume/vol-1\"}",
			   "cannot isolate 'arn:aws:ec2:us-east-1:111111111111:volume/vol-1': not "
			   "an EC2 instance ARN");
	expect_input_error("{\"TargetArn\":\"arn:aws:ec2:us-east-1:111111111111:instance/i-xyz\"}",
			   "cannot isolate 'arn:aws:ec2:us-east-1:111111111111:instance/i-xyz': "
			   "'i-xyz' is not an instance id");
	expect_input_error("{\"TargetArn\":\"web-1\"}",
			   "cannot isolate 'web-1': TargetArn must be an EC2 instance ARN "
			   "(arn:aws:ec2:REGION:ACCOUNT:instance/i-...) or an instance id");
	expect_input_error("{\"TargetArn\":\"arn:aws:ec2:eu-west-1:111111111111:instance/" IID
			   "\"}",
			   "cannot isolate 'arn:aws:ec2:eu-west-1:111111111111:instance/" IID
			   "': the instance is in region 'eu-west-1' but the step runs in "
			   "'us-east-1'");
	expect_input_error("{\"TargetArn\":\"arn:aws:ec2:us-east-1:222222222222:instance/" IID
			   "\"}",
			   "cannot isolate 'arn:aws:ec2:us-east-1:222222222222:instance/" IID
			   "': the instance is in account '222222222222' but the step runs in "
			   "'111111111111'");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"TcpEstablishedTimeout\":59}",
			   "TcpEstablishedTimeout 59 is out of range (60-432000 seconds)");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"UdpStreamTimeout\":181}",
			   "UdpStreamTimeout 181 is out of range (60-180 seconds)");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"UdpTimeout\":61}",
			   "UdpTimeout 61 is out of range (30-60 seconds)");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":-1}",
			   "UntrackWaitSeconds -1 is out of range (0-3600)");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"AutoScaling\":\"terminate\"}",
			   "AutoScaling 'terminate' is not one of 'standby', 'detach', 'none'");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"RevokeCredentials\":\"all\"}",
			   "RevokeCredentials 'all' is not one of 'instance-scoped', "
			   "'revoke-older-sessions', 'none'");
	expect_input_error("{\"TargetArn\":\"" IARN "\",\"IsolationGroupName\":\"sg-123\"}",
			   "IsolationGroupName 'sg-123' is not a usable security group name (1-255 "
			   "characters, not starting with 'sg-')");
	expect_input_error(
	    "{\"TargetArn\":\"" IARN "\",\"IsolationGroupName\":\"x\","
	    "\"UntrackGroupName\":\"x\"}",
	    "IsolationGroupName and UntrackGroupName are both 'x': they must differ");
}

/* A bare instance id: the ARN (for the credential deny) comes from the step and the owner. */
static void test_bare_instance_id(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IID "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(gets(r.res.outputs, "InstanceArn"), IARN);
	IRX_ASSERT_CONTAINS(gets(E.role_policies, "irx-deny-instance-" IID),
			    "\"ec2:SourceInstanceARN\":\"" IARN "\"");
	run_free(&r);
	fake_aws_free(f);
}

static void test_revoke_older_sessions(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	const char *doc = NULL;

	estate_reset();
	f = fake();
	r = exec(f,
		 "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0,"
		 "\"RevokeCredentials\":\"revoke-older-sessions\"}",
		 false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(
	    r.message, "isolated instance '" IID "' (23 changes); warning: "
		       "revoke-older-sessions on role 'web-role' affects every holder of the "
		       "role");
	doc = gets(E.role_policies, "irx-revoke-older-sessions");
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	IRX_ASSERT_CONTAINS(doc, "\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\","
				 "\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"20");
	CU_ASSERT_PTR_NULL(get(E.role_policies, "irx-deny-instance-" IID));
	IRX_ASSERT_CONTAINS(json_object_to_json_string(get(r.res.outputs, "Warnings")),
			    "every instance and principal using the role is affected");
	run_free(&r);
	fake_aws_free(f);
}

/* An instance without a profile: nothing to revoke, still contained. */
static void test_no_instance_profile(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_object_del(E.inst, "IamInstanceProfile");
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(find_call(f, "iam:GetInstanceProfile", 0), -1);
	CU_ASSERT_PTR_NULL(get(r.res.undo, "RolePolicy"));
	run_free(&r);
	fake_aws_free(f);
}

static void test_terminated_refused(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_object_add(E.inst, "State", J("{\"Name\":\"terminated\"}"));
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\"}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot isolate instance '" IID "': it is terminated");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "ec2:DescribeInstances");
	run_free(&r);
	fake_aws_free(f);
}

/* An interface from another VPC: refused before any change. */
static void test_multi_vpc_interfaces_refused(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_object_add(eni(2), "VpcId", json_object_new_string("vpc-0bbb"));
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\"}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot isolate instance '" IID "': interface 'eni-3' is in vpc "
			       "'vpc-0bbb', not the instance's '" VPC "'; interfaces from several "
			       "VPCs are not supported");
	CU_ASSERT_STRING_EQUAL(fake_aws_call_names(f), "ec2:DescribeInstances");
	run_free(&r);
	fake_aws_free(f);
}

/* A stopped instance has no flows to untrack: no wait. */
static void test_stopped_no_wait(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_object_add(E.inst, "State", J("{\"Name\":\"stopped\"}"));
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\"}", false);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(fake_aws_slept_ms(f), 0);
	run_free(&r);
	fake_aws_free(f);
}

/* --- seed defects (DESIGN.md §6) ---------------------------------------------------- */

/* The seeds swapped groups with ModifyInstanceAttribute Groups, which fails with several ENIs. */
static void test_seed_multi_eni_modify_instance_attribute(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	struct json_object *calls = NULL;

	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	calls = fake_aws_calls(f);
	for (size_t i = 0; i < alen(calls); i++)
		if (strcmp(gets(at(calls, i), "operation"), "ModifyInstanceAttribute") == 0)
			CU_ASSERT_PTR_NULL(get(get(at(calls, i), "params"), "Groups"));
	/* Every ENI, the secondary ones included, ends isolated. */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), gets(sg_by_name("irx-isolation"), "GroupId"));
	run_free(&r);
	fake_aws_free(f);
}

/* The seeds swallowed errors and reported success. */
static void test_seed_errors_not_swallowed(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	E.deny_put_role_policy = true;
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "AccessDenied: User is not authorized to perform: iam:PutRolePolicy "
			       "(HTTP 403, request id fake-0001)");
	CU_ASSERT_PTR_NULL(r.res.message);
	/* The policy was not put, so the undo does not claim it; the rest is recorded. */
	CU_ASSERT_PTR_NULL(get(r.res.undo, "RolePolicy"));
	CU_ASSERT_EQUAL(alen(get(r.res.undo, "NetworkInterfaces")), 3);
	/* The tags and the address went out in the same round trip (they do not depend on the
	   policy) and were done, so the undo has them. */
	CU_ASSERT(find_call(f, "ec2:CreateTags", 0) > find_call(f, "iam:PutRolePolicy", 0));
	CU_ASSERT_PTR_NOT_NULL(get(r.res.undo, "Tags"));
	CU_ASSERT_EQUAL(alen(get(r.res.undo, "Addresses")), 1);
	run_free(&r);
	fake_aws_free(f);

	/* A failing read fails too (DescribeInstances of an unknown instance). */
	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"i-0000000000000000f\"}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "InvalidInstanceID.NotFound: The instance ID does not exist (HTTP 400, "
	    "request id fake-0001)");
	run_free(&r);
	fake_aws_free(f);
}

/* The seeds' examiner rule defaulted to 0.0.0.0/0: here no forensic access unless asked. */
static void test_seed_no_open_forensic_default(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	for (const struct irx_param *p = action()->params; p->name; p++)
		if (strcmp(p->name, "ForensicCidr") == 0)
			CU_ASSERT_PTR_NULL(p->default_value);
	estate_reset();
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	CU_ASSERT_EQUAL(find_call(f, "ec2:CreateSecurityGroup", 2), -1);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(eni_groups(i), gets(sg_by_name("irx-isolation"), "GroupId"));
	/* The only group admitting 0.0.0.0/0 is the untrack group, which no ENI keeps. */
	CU_ASSERT_PTR_NULL(get(r.res.outputs, "ForensicGroupId"));
	run_free(&r);
	fake_aws_free(f);
}

/* Checks each recorded call against the service models: known operation, parameters the
 * serializer accepts, and reads the models do not mark as mutating (a dry run sends those). */
static void check_calls_against_models(struct fake_aws *f)
{
	struct json_object *calls = fake_aws_calls(f);

	for (size_t i = 0; i < alen(calls); i++) {
		struct json_object *c = at(calls, i);
		const char *svc = gets(c, "service"), *op = gets(c, "operation");
		const char *sid = NULL, *name = NULL;
		bool mutating = false, read = false;
		struct irx_error err = {0};

		if (irx_aws_lookup(svc, op, &sid, &name, &mutating, &err) < 0 ||
		    irx_aws_check_params(svc, op, get(c, "params"), NULL, &err) < 0) {
			fprintf(stderr, "\n  %s:%s: %s\n", svc, op, err.message);
			CU_FAIL("call does not match the service model");
			continue;
		}
		read = strncmp(op, "Describe", 8) == 0 || strncmp(op, "Get", 3) == 0 ||
		       strncmp(op, "List", 4) == 0;
		CU_ASSERT_EQUAL(mutating, !read);
	}
}

/* --- executions sharing a VPC's groups ------------------------------------------------- */

/*
 * Another irx execution isolating another instance of the VPC at the same moment: it creates
 * the groups (or a foreign group of the name appears), and settles their rules, between this
 * execution's read and its change. The handlers below do the other execution's change to the
 * estate, then answer this execution's call as EC2 would then.
 */
static struct {
	const char *name; /* CreateSecurityGroup of this name races */
	const char *role; /* the irx:role the other group carries; NULL: a foreign group;
			     "*": the role its name says (irx-ROLE) */
	bool vanish;	  /* answer InvalidGroup.Duplicate but no group is found afterwards */
	bool stuck;	  /* RevokeSecurityGroupEgress always answers NotFound, changes nothing */
} RACE;

/* A group as another execution's CreateSecurityGroup leaves it: EC2's allow-all IPv4 egress. */
static struct json_object *other_group(const char *id, const char *name, const char *role)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"GroupId\":\"%s\",\"GroupName\":\"%s\",\"VpcId\":\"" VPC "\","
		 "\"IpPermissions\":[],\"IpPermissionsEgress\":[{\"IpProtocol\":\"-1\","
		 "\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]}],\"Tags\":[%s%s%s]}",
		 id, name, role ? "{\"Key\":\"irx:role\",\"Value\":\"" : "", role ? role : "",
		 role ? "\"},{\"Key\":\"irx:execution-id\",\"Value\":"
			"\"00000000-0000-4000-8000-0000000000ff\"}"
		      : "");
	return J(buf);
}

static int h_create_sg_raced(void *ud, struct fake_aws *f, struct json_object *p,
			     struct json_object **resp)
{
	const char *name = gets(p, "GroupName");

	if (RACE.name && (strcmp(name, RACE.name) == 0 || strcmp(RACE.name, "*") == 0)) {
		char id[32];

		if (RACE.vanish)
			return fail(f, 400, "InvalidGroup.Duplicate",
				    "The security group already exists");
		snprintf(id, sizeof(id), "sg-other-%s", strchr(name, '-') + 1);
		json_object_array_add(E.sgs, other_group(id, name,
							 RACE.role && strcmp(RACE.role, "*") == 0
							     ? strchr(name, '-') + 1
							     : RACE.role));
	}
	return h_create_sg(ud, f, p, resp);
}

/* The other execution makes the same rule change first; then ours is answered. */
static int raced_rules(struct fake_aws *f, struct json_object *p, const char *key, bool add,
		       struct json_object **resp)
{
	struct json_object *theirs = NULL;

	if (edit_rules(f, p, key, add, &theirs) == 0)
		json_object_put(theirs);
	return edit_rules(f, p, key, add, resp);
}

static int h_revoke_egress_raced(void *ud, struct fake_aws *f, struct json_object *p,
				 struct json_object **resp)
{
	(void)ud;
	if (RACE.stuck)
		return fail(f, 400, "InvalidPermission.NotFound",
			    "The specified rule does not exist in this security group.");
	return raced_rules(f, p, "IpPermissionsEgress", false, resp);
}

static int h_auth_egress_raced(void *ud, struct fake_aws *f, struct json_object *p,
			       struct json_object **resp)
{
	(void)ud;
	return raced_rules(f, p, "IpPermissionsEgress", true, resp);
}

static int h_auth_ingress_raced(void *ud, struct fake_aws *f, struct json_object *p,
				struct json_object **resp)
{
	(void)ud;
	return raced_rules(f, p, "IpPermissions", true, resp);
}

static bool has_change(struct run *r, const char *text)
{
	struct json_object *c = get(r->res.outputs, "Changes");

	for (size_t i = 0; i < alen(c); i++)
		if (strcmp(json_object_get_string(at(c, i)), text) == 0)
			return true;
	return false;
}

static int groups_named(const char *name)
{
	int n = 0;

	for (size_t i = 0; i < alen(E.sgs); i++)
		n += strcmp(gets(at(E.sgs, i), "GroupName"), name) == 0;
	return n;
}

/* "k1,k2,..." of an object's keys (static storage, two at a time). */
static const char *keys_of(struct json_object *o)
{
	static char buf[2][512];
	static int n;

	n = !n;
	buf[n][0] = '\0';
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		snprintf(buf[n] + strlen(buf[n]), sizeof(buf[n]) - strlen(buf[n]), "%s%s",
			 buf[n][0] ? "," : "", k);
	}
	return buf[n];
}

static const char *plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The first ModifyNetworkInterfaceAttribute that changes an ENI's groups. */
static int first_group_swap(struct fake_aws *f)
{
	for (int k = 0, i = 0; (i = find_call(f, "ec2:ModifyNetworkInterfaceAttribute", k)) >= 0;
	     k++)
		if (get(call_params(f, (size_t)i), "Groups"))
			return i;
	return -1;
}

/*
 * CreateSecurityGroup answered InvalidGroup.Duplicate (another execution created the
 * isolation group since the read): described again by name in the VPC, taken as found (its
 * allow-all egress revoked here), never claimed as created by this execution, and rollback
 * leaves it alone.
 */
static void test_create_duplicate_raced(void)
{
	struct fake_aws *f = NULL;
	struct run plainrun, r, rb;
	struct json_object *sg = NULL;
	int i = 0;

	/* The undo record of an execution that created both groups, for comparison. */
	estate_reset();
	f = fake();
	plainrun = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL_FATAL(plainrun.rc, 0);
	fake_aws_free(f);

	estate_reset();
	memset(&RACE, 0, sizeof(RACE));
	RACE.name = "irx-isolation";
	RACE.role = "isolation";
	f = fake();
	fake_aws_handle(f, "ec2:CreateSecurityGroup", h_create_sg_raced, NULL);
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	/* one change fewer than a run that creates both groups (23): the creation was not ours */
	CU_ASSERT_STRING_EQUAL(r.message, "isolated instance '" IID "' (22 changes)");
	CU_ASSERT_TRUE(has_change(&r, "create untrack group 'irx-untrack' in vpc '" VPC "'"));
	CU_ASSERT_FALSE(has_change(&r, "create isolation group 'irx-isolation' in vpc '" VPC "'"));
	CU_ASSERT_TRUE(has_change(&r, "revoke the allow-all egress of isolation group "
				      "'irx-isolation' (sg-other-isolation)"));
	CU_ASSERT_EQUAL(alen(get(r.res.outputs, "Changes")), 22);
	/* described again by name in the VPC, with the new untrack group's describe */
	i = find_call(f, "ec2:DescribeSecurityGroups", 1);
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, (size_t)i)), "{\"GroupIds\":[\"sg-new1\"]}");
	i = find_call(f, "ec2:DescribeSecurityGroups", 2);
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, (size_t)i)),
			       "{\"Filters\":[{\"Name\":\"vpc-id\",\"Values\":[\"" VPC "\"]},"
			       "{\"Name\":\"group-name\",\"Values\":[\"irx-isolation\"]}]}");
	CU_ASSERT_EQUAL(find_call(f, "ec2:DescribeSecurityGroups", 3), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:CreateSecurityGroup", 2), -1);
	CU_ASSERT_EQUAL(groups_named("irx-isolation"), 1);
	/* the other execution's group, settled: no rule at all, on every ENI */
	sg = sg_by_id("sg-other-isolation");
	CU_ASSERT_EQUAL(alen(get(sg, "IpPermissions")), 0);
	CU_ASSERT_EQUAL(alen(get(sg, "IpPermissionsEgress")), 0);
	for (int e = 0; e < 3; e++)
		CU_ASSERT_STRING_EQUAL(eni_groups(e), "sg-other-isolation");
	CU_ASSERT_STRING_EQUAL(gets(r.res.outputs, "IsolationGroupId"), "sg-other-isolation");
	CU_ASSERT_STRING_EQUAL(gets(r.res.outputs, "UntrackGroupId"), "sg-new1");
	/* the undo record says which groups are irx's, exactly as after creating both */
	CU_ASSERT_STRING_EQUAL(keys_of(r.res.undo), keys_of(plainrun.res.undo));
	CU_ASSERT_STRING_EQUAL(plain(get(r.res.undo, "SecurityGroups")),
			       "{\"untrack\":\"sg-new1\",\"isolation\":\"sg-other-isolation\"}");
	CU_ASSERT_PTR_NULL(strstr(plain(r.res.undo), "reate"));
	fake_aws_free(f);

	/* rollback restores the ENIs and deletes no group (shared per VPC) */
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(eni_groups(0), "sg-web,sg-ssh");
	CU_ASSERT_STRING_EQUAL(eni_groups(1), "sg-db");
	CU_ASSERT_STRING_EQUAL(eni_groups(2), "sg-app");
	CU_ASSERT_PTR_NOT_NULL(sg_by_id("sg-other-isolation"));
	CU_ASSERT_PTR_NOT_NULL(sg_by_id("sg-new1"));
	CU_ASSERT_PTR_NULL(strstr(fake_aws_call_names(f), "SecurityGroup"));
	run_free(&rb);
	run_free(&r);
	run_free(&plainrun);
	fake_aws_free(f);

	/* Both groups raced, on a host that sends one call at a time (host->aws_call_expect). */
	estate_reset();
	RACE.name = "*";
	RACE.role = "*";
	f = fake();
	fake_aws_handle(f, "ec2:CreateSecurityGroup", h_create_sg_raced, NULL);
	r = exec_waves(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false, true);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	if (r.rc != 0)
		fprintf(stderr, "\n  %s\n", fake_aws_failure(f));
	CU_ASSERT_EQUAL(fake_aws_batches(f), 0);
	CU_ASSERT_STRING_EQUAL(r.message, "isolated instance '" IID "' (21 changes)");
	i = find_call(f, "ec2:DescribeSecurityGroups", 1);
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, (size_t)i)),
			       "{\"Filters\":[{\"Name\":\"vpc-id\",\"Values\":[\"" VPC "\"]},"
			       "{\"Name\":\"group-name\",\"Values\":[\"irx-untrack\","
			       "\"irx-isolation\"]}]}");
	CU_ASSERT_EQUAL(find_call(f, "ec2:DescribeSecurityGroups", 2), -1);
	CU_ASSERT_EQUAL(groups_named("irx-untrack"), 1);
	CU_ASSERT_EQUAL(groups_named("irx-isolation"), 1);
	CU_ASSERT_STRING_EQUAL(plain(get(sg_by_id("sg-other-untrack"), "IpPermissionsEgress")),
			       "[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]},"
			       "{\"IpProtocol\":\"-1\",\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}]");
	CU_ASSERT_EQUAL(alen(get(sg_by_id("sg-other-isolation"), "IpPermissionsEgress")), 0);
	for (int e = 0; e < 3; e++)
		CU_ASSERT_STRING_EQUAL(eni_groups(e), "sg-other-isolation");
	CU_ASSERT_STRING_EQUAL(plain(get(r.res.undo, "SecurityGroups")),
			       "{\"untrack\":\"sg-other-untrack\",\"isolation\":"
			       "\"sg-other-isolation\"}");
	run_free(&r);
	fake_aws_free(f);
	memset(&RACE, 0, sizeof(RACE));
}

/* InvalidGroup.Duplicate, and the group of that name is not irx's: the found group's refusal. */
static void test_create_duplicate_foreign_refused(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	memset(&RACE, 0, sizeof(RACE));
	RACE.name = "irx-isolation";
	f = fake();
	fake_aws_handle(f, "ec2:CreateSecurityGroup", h_create_sg_raced, NULL);
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot isolate instance '" IID "': security group 'irx-isolation' "
			       "(sg-other-isolation) in vpc '" VPC
			       "' is not tagged irx:role=isolation, so irx "
			       "did not create it; rename it or choose another group name");
	/* nothing done to the foreign group, no ENI moved */
	CU_ASSERT_EQUAL(find_call(f, "ec2:RevokeSecurityGroupEgress", 0), -1);
	CU_ASSERT_EQUAL(alen(get(sg_by_id("sg-other-isolation"), "IpPermissionsEgress")), 1);
	CU_ASSERT_EQUAL(first_group_swap(f), -1);
	CU_ASSERT_STRING_EQUAL(eni_groups(0), "sg-web,sg-ssh");
	CU_ASSERT_STRING_EQUAL(eni_groups(1), "sg-db");
	CU_ASSERT_STRING_EQUAL(eni_groups(2), "sg-app");
	CU_ASSERT_PTR_NULL(get(r.res.undo, "SecurityGroups"));
	run_free(&r);
	fake_aws_free(f);

	/* InvalidGroup.Duplicate, and then no group of the name: said, not guessed */
	estate_reset();
	RACE.name = "irx-untrack";
	RACE.vanish = true;
	f = fake();
	fake_aws_handle(f, "ec2:CreateSecurityGroup", h_create_sg_raced, NULL);
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(
	    fake_aws_failure(f),
	    "cannot isolate instance '" IID "': CreateSecurityGroup said untrack "
	    "group 'irx-untrack' already exists in vpc '" VPC "', but it is not found");
	CU_ASSERT_EQUAL(first_group_swap(f), -1);
	run_free(&r);
	fake_aws_free(f);
	memset(&RACE, 0, sizeof(RACE));
}

/* Both groups as another execution has just created them: found with the allow-all egress
 * CreateSecurityGroup adds, settled here rather than refused. */
static void test_found_group_still_settling(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	json_object_array_add(E.sgs, other_group("sg-iso", "irx-isolation", "isolation"));
	json_object_array_add(E.sgs, other_group("sg-unt", "irx-untrack", "untrack"));
	f = fake();
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_STRING_EQUAL(r.message, "isolated instance '" IID "' (21 changes)");
	CU_ASSERT_EQUAL(find_call(f, "ec2:CreateSecurityGroup", 0), -1);
	CU_ASSERT_TRUE(has_change(&r, "revoke the allow-all egress of isolation group "
				      "'irx-isolation' (sg-iso)"));
	CU_ASSERT_TRUE(has_change(&r, "allow all inbound traffic of untrack group "
				      "'irx-untrack' (sg-unt)"));
	CU_ASSERT_TRUE(has_change(&r, "allow all outbound traffic of untrack group "
				      "'irx-untrack' (sg-unt)"));
	CU_ASSERT_EQUAL(alen(get(sg_by_id("sg-iso"), "IpPermissions")), 0);
	CU_ASSERT_EQUAL(alen(get(sg_by_id("sg-iso"), "IpPermissionsEgress")), 0);
	CU_ASSERT_STRING_EQUAL(plain(get(sg_by_id("sg-unt"), "IpPermissions")),
			       "[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]},"
			       "{\"IpProtocol\":\"-1\",\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}]}]");
	/* the egress revoke goes before any ENI is moved */
	CU_ASSERT_TRUE(find_call(f, "ec2:RevokeSecurityGroupEgress", 0) < first_group_swap(f));
	for (int e = 0; e < 3; e++)
		CU_ASSERT_STRING_EQUAL(eni_groups(e), "sg-iso");
	run_free(&r);
	fake_aws_free(f);
}

/*
 * Every rule change answered "already so" (another execution settling the same groups made
 * it first: InvalidPermission.NotFound to the revoke, InvalidPermission.Duplicate to the
 * authorizations): fine, not this execution's changes; the groups are described again before
 * any ENI is moved, and nothing is left to change. Then the same one call at a time.
 */
static void test_rule_changes_answered(void)
{
	for (int one_at_a_time = 0; one_at_a_time < 2; one_at_a_time++) {
		struct fake_aws *f = NULL;
		struct run r;
		int i = 0;

		estate_reset();
		memset(&RACE, 0, sizeof(RACE));
		json_object_array_add(E.sgs, other_group("sg-iso", "irx-isolation", "isolation"));
		json_object_array_add(E.sgs, other_group("sg-unt", "irx-untrack", "untrack"));
		f = fake();
		fake_aws_handle(f, "ec2:RevokeSecurityGroupEgress", h_revoke_egress_raced, NULL);
		fake_aws_handle(f, "ec2:AuthorizeSecurityGroupEgress", h_auth_egress_raced, NULL);
		fake_aws_handle(f, "ec2:AuthorizeSecurityGroupIngress", h_auth_ingress_raced, NULL);
		r = exec_waves(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false,
			       one_at_a_time);
		CU_ASSERT_EQUAL(r.rc, 0);
		CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
		CU_ASSERT_STRING_EQUAL(r.message, "isolated instance '" IID "' (18 changes)");
		CU_ASSERT_FALSE(has_change(&r, "revoke the allow-all egress of isolation group "
					       "'irx-isolation' (sg-iso)"));
		CU_ASSERT_FALSE(has_change(&r, "allow all inbound traffic of untrack group "
					       "'irx-untrack' (sg-unt)"));
		CU_ASSERT_EQUAL(alen(get(r.res.outputs, "Changes")), 18);
		/* described again, once, before the first ENI moves; nothing more to change */
		i = find_call(f, "ec2:DescribeSecurityGroups", 1);
		CU_ASSERT_STRING_EQUAL(plain(call_params(f, (size_t)i)),
				       "{\"GroupIds\":[\"sg-unt\",\"sg-iso\"]}");
		CU_ASSERT_TRUE(i < first_group_swap(f));
		CU_ASSERT_EQUAL(find_call(f, "ec2:DescribeSecurityGroups", 2), -1);
		CU_ASSERT_EQUAL(find_call(f, "ec2:RevokeSecurityGroupEgress", 1), -1);
		CU_ASSERT_EQUAL(find_call(f, "ec2:AuthorizeSecurityGroupIngress", 1), -1);
		CU_ASSERT_EQUAL(find_call(f, "ec2:AuthorizeSecurityGroupEgress", 1), -1);
		CU_ASSERT_EQUAL(alen(get(sg_by_id("sg-iso"), "IpPermissionsEgress")), 0);
		CU_ASSERT_EQUAL(alen(get(sg_by_id("sg-unt"), "IpPermissions")), 2);
		for (int e = 0; e < 3; e++)
			CU_ASSERT_STRING_EQUAL(eni_groups(e), "sg-iso");
		run_free(&r);
		fake_aws_free(f);
	}
}

/* A default VPC's answer to a revoke of a rule already gone: success, the rule unknown. */
static int h_revoke_egress_default_vpc(void *ud, struct fake_aws *f, struct json_object *p,
				       struct json_object **resp)
{
	struct json_object *theirs = NULL, *r = NULL;

	(void)ud;
	if (edit_rules(f, p, "IpPermissionsEgress", false, &theirs) < 0)
		return -1;
	json_object_put(theirs);
	r = json_object_new_object();
	json_object_object_add(r, "Return", json_object_new_boolean(1));
	json_object_object_add(r, "UnknownIpPermissions", json_object_get(get(p, "IpPermissions")));
	return ok(resp, r);
}

static void test_revoke_unknown_in_default_vpc(void)
{
	struct fake_aws *f = NULL;
	struct run r;
	int i = 0;

	estate_reset();
	json_object_array_add(E.sgs, other_group("sg-iso", "irx-isolation", "isolation"));
	f = fake();
	fake_aws_handle(f, "ec2:RevokeSecurityGroupEgress", h_revoke_egress_default_vpc, NULL);
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f), "");
	CU_ASSERT_FALSE(has_change(&r, "revoke the allow-all egress of isolation group "
				       "'irx-isolation' (sg-iso)"));
	CU_ASSERT_TRUE(has_change(&r, "create untrack group 'irx-untrack' in vpc '" VPC "'"));
	/* described again before any ENI moves, and nothing left to revoke */
	i = find_call(f, "ec2:DescribeSecurityGroups", 2);
	CU_ASSERT_STRING_EQUAL(plain(call_params(f, (size_t)i)), "{\"GroupIds\":[\"sg-iso\"]}");
	CU_ASSERT_TRUE(i < first_group_swap(f));
	CU_ASSERT_EQUAL(find_call(f, "ec2:RevokeSecurityGroupEgress", 2), -1);
	CU_ASSERT_EQUAL(alen(get(sg_by_id("sg-iso"), "IpPermissionsEgress")), 0);
	for (int e = 0; e < 3; e++)
		CU_ASSERT_STRING_EQUAL(eni_groups(e), "sg-iso");
	run_free(&r);
	fake_aws_free(f);
}

/* A revoke answered NotFound while the group keeps the rule: a few rounds, then a refusal
 * before any ENI is put in a group that allows egress. */
static void test_rules_keep_changing(void)
{
	struct fake_aws *f = NULL;
	struct run r;

	estate_reset();
	memset(&RACE, 0, sizeof(RACE));
	RACE.stuck = true;
	json_object_array_add(E.sgs, other_group("sg-iso", "irx-isolation", "isolation"));
	f = fake();
	fake_aws_handle(f, "ec2:RevokeSecurityGroupEgress", h_revoke_egress_raced, NULL);
	r = exec(f, "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0}", false);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_STRING_EQUAL(fake_aws_failure(f),
			       "cannot isolate instance '" IID "': the rules of isolation group "
			       "'irx-isolation' (sg-iso) kept changing while irx settled them; run "
			       "again");
	/* the first revoke and four rounds of describe + revoke */
	CU_ASSERT_NOT_EQUAL(find_call(f, "ec2:RevokeSecurityGroupEgress", 4), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:RevokeSecurityGroupEgress", 5), -1);
	CU_ASSERT_NOT_EQUAL(find_call(f, "ec2:DescribeSecurityGroups", 5), -1);
	CU_ASSERT_EQUAL(find_call(f, "ec2:DescribeSecurityGroups", 6), -1);
	CU_ASSERT_EQUAL(first_group_swap(f), -1);
	CU_ASSERT_STRING_EQUAL(eni_groups(0), "sg-web,sg-ssh");
	run_free(&r);
	fake_aws_free(f);
	memset(&RACE, 0, sizeof(RACE));
}

static void test_calls_match_models(void)
{
	struct fake_aws *f = NULL;
	struct run r, rb;
	struct irx_error err = {0};
	struct json_object *bad = J("{\"NetworkInterfaceId\":\"eni-1\",\"SecurityGroups\":[]}");

	/* The check can fail: a member ModifyNetworkInterfaceAttribute does not have. */
	CU_ASSERT_EQUAL(
	    irx_aws_check_params("ec2", "ModifyNetworkInterfaceAttribute", bad, NULL, &err), -1);
	json_object_put(bad);
	estate_reset();
	f = fake();
	r = exec(f,
		 "{\"TargetArn\":\"" IARN "\",\"UntrackWaitSeconds\":0,"
		 "\"ForensicCidr\":\"203.0.113.7/32\"}",
		 false);
	CU_ASSERT_EQUAL_FATAL(r.rc, 0);
	check_calls_against_models(f);
	fake_aws_free(f);
	f = fake();
	rb = rollback(f, r.res.undo, false);
	CU_ASSERT_EQUAL(rb.rc, 0);
	check_calls_against_models(f);
	fake_aws_free(f);
	estate_reset();
	f = fake();
	run_free(&r);
	r = exec(f,
		 "{\"TargetArn\":\"" IARN "\",\"AutoScaling\":\"detach\","
		 "\"RevokeCredentials\":\"revoke-older-sessions\"}",
		 true);
	CU_ASSERT_EQUAL(r.rc, 0);
	check_calls_against_models(f);
	run_free(&r);
	run_free(&rb);
	fake_aws_free(f);
}

static void test_schema(void)
{
	const struct irx_action *a = action();
	const struct irx_param *target = &a->params[0];

	CU_ASSERT_STRING_EQUAL(target->name, "TargetArn");
	CU_ASSERT_EQUAL(target->flags, IRX_PARAM_REQUIRED | IRX_PARAM_RESOURCE);
	CU_ASSERT_EQUAL(a->flags, IRX_ACTION_MUTATES | IRX_ACTION_IDEMPOTENT);
	CU_ASSERT_PTR_NOT_NULL(a->rollback);
}

static int suite_clean(void)
{
	json_object_put(E.inst);
	json_object_put(E.sgs);
	json_object_put(E.tgs);
	json_object_put(E.addrs);
	json_object_put(E.role_policies);
	memset(&E, 0, sizeof(E));
	return 0;
}

static CU_TestInfo tests[] = {
    {"schema", test_schema},
    {"full sequence: 3 ENIs, ASG, 2 target groups", test_full_sequence},
    {"round trips of a second run", test_round_trips_second_run},
    {"every ENI already on the untrack group", test_all_enis_on_untrack},
    {"host without aws_call_many: one call at a time", test_host_without_call_many},
    {"failure in a wave of changes", test_failure_in_wave_of_changes},
    {"group at its minimum size: minimum lowered, restored on rollback",
     test_group_at_minimum_size},
    {"new groups: egress revoked, untrack allow-all v4+v6", test_new_groups_rules},
    {"groups found by name, VPC and tag", test_groups_found},
    {"untagged group of the same name refused", test_untagged_group_refused},
    {"isolation group with rules refused", test_isolation_group_with_rules_refused},
    {"CreateSecurityGroup raced: InvalidGroup.Duplicate, described again",
     test_create_duplicate_raced},
    {"CreateSecurityGroup raced by a foreign group: refused",
     test_create_duplicate_foreign_refused},
    {"found group still settling: settled, not refused", test_found_group_still_settling},
    {"rule changes answered already so: described again", test_rule_changes_answered},
    {"rules that keep changing: refused after a few rounds", test_rules_keep_changing},
    {"default VPC: revoke answered with UnknownIpPermissions", test_revoke_unknown_in_default_vpc},
    {"dry run plans with placeholders, changes nothing", test_dry_run},
    {"second run changes nothing", test_second_run_changes_nothing},
    {"partial containment is finished", test_partial_finishes},
    {"AccessDenied on the 2nd ENI, then rollback", test_access_denied_second_eni_then_rollback},
    {"rollback restores everything, twice is harmless", test_rollback_restores_everything},
    {"rollback does not clobber later changes", test_rollback_does_not_clobber},
    {"rollback dry run", test_rollback_dry_run},
    {"rollback of a damaged undo record", test_rollback_damaged_record},
    {"auto scaling detach mode and options off", test_detach_mode},
    {"forensic group", test_forensic_group},
    {"forensic group IPv6 and named", test_forensic_ipv6},
    {"forensic CIDR /0 refused", test_forensic_cidr_everyone_refused},
    {"bad inputs", test_bad_inputs},
    {"bare instance id", test_bare_instance_id},
    {"revoke-older-sessions warns", test_revoke_older_sessions},
    {"no instance profile", test_no_instance_profile},
    {"terminated instance refused", test_terminated_refused},
    {"stopped instance: no wait", test_stopped_no_wait},
    {"interfaces in several VPCs refused", test_multi_vpc_interfaces_refused},
    {"seed: ModifyInstanceAttribute Groups on several ENIs",
     test_seed_multi_eni_modify_instance_attribute},
    {"seed: errors not swallowed", test_seed_errors_not_swallowed},
    {"every call matches the service models", test_calls_match_models},
    {"seed: no 0.0.0.0/0 forensic default", test_seed_no_open_forensic_default},
    CU_TEST_INFO_NULL,
};

IRX_SUITE("plugin_isolate", tests, NULL, suite_clean)
