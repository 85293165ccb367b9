/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inputs of isolate:ec2Instance (the parameter table is in isolate.c): the target as an
 * instance ARN or id in the step's own account and region, the timeouts and modes in their
 * ranges, the forensic CIDR and the group names, each refused with the reason before any call.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"

bool isolate_is_instance_id(const char *p)
{
	size_t n = 0;

	if (strncmp(p, "i-", 2) != 0)
		return false;
	for (p += 2; *p; p++, n++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return n == 8 || n == 17;
}

static const char *partition_of(const char *region)
{
	if (strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	if (strncmp(region, "us-iso-", 7) == 0)
		return "aws-iso";
	if (strncmp(region, "us-isob-", 8) == 0)
		return "aws-iso-b";
	return "aws";
}

/*
 * TargetArn: arn:PARTITION:ec2:REGION:ACCOUNT:instance/i-... or a bare instance id (then the
 * ARN is built from the step's region and the instance's owner once it is described). The
 * ARN's region and account must be the step's: every call goes to the step's account/region.
 */
static int parse_target(struct iso *s, const char *target)
{
	const struct irx_context *ctx = s->ctx;
	char part[6][128] = {{0}};
	const char *p = target, *res = NULL;
	int n = 0;

	if (isolate_is_instance_id(target)) {
		snprintf(s->id, sizeof(s->id), "%s", target);
		if (!ctx->region || !*ctx->region)
			return s->h->fail(ctx->call,
					  "cannot isolate instance '%s': the step has no region; "
					  "give TargetArn as an instance ARN",
					  target);
		snprintf(s->region, sizeof(s->region), "%s", ctx->region);
		snprintf(s->partition, sizeof(s->partition), "%s", partition_of(ctx->region));
		return 0;
	}
	/* arn:partition:service:region:account:resource; the resource holds no colon here. */
	while (n < 5) {
		const char *c = strchr(p, ':');
		size_t len = c ? (size_t)(c - p) : 0;

		if (!c || len >= sizeof(part[0]))
			break;
		memcpy(part[n++], p, len);
		p = c + 1;
	}
	res = p;
	if (n != 5 || strcmp(part[0], "arn") != 0)
		return s->h->fail(ctx->call,
				  "cannot isolate '%s': TargetArn must be an EC2 instance ARN "
				  "(arn:aws:ec2:REGION:ACCOUNT:instance/i-...) or an instance id",
				  target);
	if (strcmp(part[2], "ec2") != 0 || strncmp(res, "instance/", 9) != 0)
		return s->h->fail(ctx->call, "cannot isolate '%s': not an EC2 instance ARN",
				  target);
	if (!isolate_is_instance_id(res + 9))
		return s->h->fail(ctx->call, "cannot isolate '%s': '%s' is not an instance id",
				  target, res + 9);
	if (!part[1][0] || !part[3][0] || strlen(part[4]) != 12)
		return s->h->fail(ctx->call,
				  "cannot isolate '%s': the ARN lacks a partition, region or "
				  "12-digit account",
				  target);
	if (ctx->region && *ctx->region && strcmp(ctx->region, part[3]) != 0)
		return s->h->fail(
		    ctx->call,
		    "cannot isolate '%s': the instance is in region '%s' but the step "
		    "runs in '%s'",
		    target, part[3], ctx->region);
	if (ctx->account_id && *ctx->account_id && strcmp(ctx->account_id, part[4]) != 0)
		return s->h->fail(
		    ctx->call,
		    "cannot isolate '%s': the instance is in account '%s' but the step "
		    "runs in '%s'",
		    target, part[4], ctx->account_id);
	snprintf(s->id, sizeof(s->id), "%s", res + 9);
	snprintf(s->region, sizeof(s->region), "%s", part[3]);
	snprintf(s->partition, sizeof(s->partition), "%s", part[1]);
	snprintf(s->arn, sizeof(s->arn), "%s", target);
	return 0;
}

/* A CIDR that admits a responder: valid, and never everyone (/0). */
static int check_forensic_cidr(struct iso *s, const char *cidr)
{
	char addr[64] = "";
	unsigned char buf[16];
	const char *slash = strchr(cidr, '/');
	char *end = NULL;
	long bits = 0;
	bool v6 = false;

	if (!slash || (size_t)(slash - cidr) >= sizeof(addr) || !slash[1])
		goto bad;
	memcpy(addr, cidr, (size_t)(slash - cidr));
	v6 = strchr(addr, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, buf) != 1)
		goto bad;
	bits = strtol(slash + 1, &end, 10);
	if (*end || !isdigit((unsigned char)slash[1]) || bits < 0 || bits > (v6 ? 128 : 32))
		goto bad;
	if (bits == 0)
		return s->h->fail(s->ctx->call,
				  "refusing ForensicCidr '%s': it admits every address; give the "
				  "responders' own range",
				  cidr);
	/* Host bits set: EC2 would store another text than ours and the group never matches. */
	for (long b = bits; b < (v6 ? 128 : 32); b++)
		if (buf[b / 8] & (0x80 >> (b % 8)))
			return s->h->fail(s->ctx->call,
					  "ForensicCidr '%s' has host bits set; give the network "
					  "address (such as 203.0.113.0/24)",
					  cidr);
	return 0;
bad:
	return s->h->fail(s->ctx->call,
			  "ForensicCidr '%s' is not an IPv4 or IPv6 CIDR (such as 203.0.113.7/32)",
			  cidr);
}

static int check_group_name(struct iso *s, const char *param, const char *name)
{
	if (!name || !*name || strlen(name) > 255 || strncmp(name, "sg-", 3) == 0)
		return s->h->fail(s->ctx->call,
				  "%s '%s' is not a usable security group name (1-255 characters, "
				  "not starting with 'sg-')",
				  param, name ? name : "");
	return 0;
}

int isolate_read_inputs(struct iso *s, struct json_object *in)
{
	const char *target = irx_json_str(in, "TargetArn");
	const char *iso_name = irx_json_str(in, "IsolationGroupName");
	const char *untrack_name = irx_json_str(in, "UntrackGroupName");
	const char *fname = irx_json_str(in, "ForensicGroupName");

	if (!target || parse_target(s, target) < 0)
		return target ? -1 : s->h->fail(s->ctx->call, "TargetArn is required");
	s->untrack_wait = json_object_get_int64(irx_json_get(in, "UntrackWaitSeconds"));
	if (s->untrack_wait < 0 || s->untrack_wait > 3600)
		return s->h->fail(s->ctx->call, "UntrackWaitSeconds %lld is out of range (0-3600)",
				  s->untrack_wait);
	s->asg_mode = irx_json_str(in, "AutoScaling");
	if (strcmp(s->asg_mode, "standby") != 0 && strcmp(s->asg_mode, "detach") != 0 &&
	    strcmp(s->asg_mode, "none") != 0)
		return s->h->fail(s->ctx->call,
				  "AutoScaling '%s' is not one of 'standby', 'detach', 'none'",
				  s->asg_mode);
	s->elb = irx_json_bool(in, "ElbDeregister");
	s->ct_tcp = json_object_get_int(irx_json_get(in, "TcpEstablishedTimeout"));
	s->ct_udp_stream = json_object_get_int(irx_json_get(in, "UdpStreamTimeout"));
	s->ct_udp = json_object_get_int(irx_json_get(in, "UdpTimeout"));
	if (s->ct_tcp < 60 || s->ct_tcp > 432000)
		return s->h->fail(s->ctx->call,
				  "TcpEstablishedTimeout %d is out of range (60-432000 seconds)",
				  s->ct_tcp);
	if (s->ct_udp_stream < 60 || s->ct_udp_stream > 180)
		return s->h->fail(s->ctx->call,
				  "UdpStreamTimeout %d is out of range (60-180 seconds)",
				  s->ct_udp_stream);
	if (s->ct_udp < 30 || s->ct_udp > 60)
		return s->h->fail(s->ctx->call, "UdpTimeout %d is out of range (30-60 seconds)",
				  s->ct_udp);
	s->revoke = irx_json_str(in, "RevokeCredentials");
	if (strcmp(s->revoke, "instance-scoped") != 0 &&
	    strcmp(s->revoke, "revoke-older-sessions") != 0 && strcmp(s->revoke, "none") != 0)
		return s->h->fail(s->ctx->call,
				  "RevokeCredentials '%s' is not one of 'instance-scoped', "
				  "'revoke-older-sessions', 'none'",
				  s->revoke);
	s->forensic_cidr = irx_json_nonempty(in, "ForensicCidr");
	if (s->forensic_cidr && check_forensic_cidr(s, s->forensic_cidr) < 0)
		return -1;
	s->disassociate = irx_json_bool(in, "DisassociateAddresses");
	if (check_group_name(s, "IsolationGroupName", iso_name) < 0 ||
	    check_group_name(s, "UntrackGroupName", untrack_name) < 0)
		return -1;
	if (strcmp(iso_name, untrack_name) == 0)
		return s->h->fail(
		    s->ctx->call,
		    "IsolationGroupName and UntrackGroupName are both '%s': they must "
		    "differ",
		    iso_name);
	s->groups[G_UNTRACK].role = ROLE_UNTRACK;
	s->groups[G_ISOLATION].role = ROLE_ISOLATION;
	s->groups[G_FORENSIC].role = ROLE_FORENSIC;
	snprintf(s->groups[G_UNTRACK].name, sizeof(s->groups[0].name), "%s", untrack_name);
	snprintf(s->groups[G_ISOLATION].name, sizeof(s->groups[0].name), "%s", iso_name);
	s->groups[G_UNTRACK].wanted = s->groups[G_ISOLATION].wanted = true;
	if (s->forensic_cidr) {
		/* One forensic group per VPC and CIDR: the CIDR is in the name. */
		char cidr[64];

		snprintf(cidr, sizeof(cidr), "%s", s->forensic_cidr);
		for (char *c = cidr; *c; c++)
			if (*c == '/' || *c == ':')
				*c = '-';
		if (fname && *fname) {
			if (check_group_name(s, "ForensicGroupName", fname) < 0)
				return -1;
			snprintf(s->groups[G_FORENSIC].name, sizeof(s->groups[0].name), "%s",
				 fname);
		} else {
			snprintf(s->groups[G_FORENSIC].name, sizeof(s->groups[0].name),
				 "irx-forensic-%s", cidr);
		}
		s->groups[G_FORENSIC].wanted = true;
	}
	return 0;
}
