"""Resource Groups Tagging API: GetResources over the other services' state.

Keeps no state of its own: every call reads the tags where the owning service keeps them (EC2's
tag table, IAM users' and roles' Tags lists, Lambda functions' _tags), so a tag set through any
service is found at once. Covered: ec2:instance (not terminated ones), ec2:volume,
ec2:security-group, lambda:function, and the global iam:user and iam:role, which (like AWS) are
reported by the us-east-1 endpoint only. Filters: TagFilters (every filter must match; a filter
without Values matches any value of its key), ResourceTypeFilters ("service" or
"service:type"), ResourceARNList; pages of ResourcesPerPage (1-100, default 100).
"""
from ..errors import AwsError
from . import Service

TYPES = ("ec2:instance", "ec2:volume", "ec2:security-group", "lambda:function", "iam:user", "iam:role")
GLOBAL_REGION = "us-east-1"


def _invalid(msg):
    return AwsError("InvalidParameterException", msg, 400)


class SERVICE(Service):
    NAME = "tagging"

    def _ec2(self, ctx):
        st = ctx.state("ec2")
        for iid, inst in st["instances"].items():
            if inst.get("State", {}).get("Name") == "terminated":
                continue
            yield "ec2:instance", "arn:aws:ec2:%s:%s:instance/%s" % (ctx.region, ctx.account, iid), \
                st["tags"].get(iid, {})
        for vid in st["volumes"]:
            yield "ec2:volume", "arn:aws:ec2:%s:%s:volume/%s" % (ctx.region, ctx.account, vid), \
                st["tags"].get(vid, {})
        for gid in st["security_groups"]:
            yield "ec2:security-group", "arn:aws:ec2:%s:%s:security-group/%s" % (ctx.region, ctx.account, gid), \
                st["tags"].get(gid, {})

    def _lambda(self, ctx):
        for f in ctx.state("lambda")["functions"].values():
            yield "lambda:function", f["FunctionArn"], dict(f.get("_tags", {}))

    def _iam(self, ctx):
        if ctx.region != GLOBAL_REGION:
            return
        st = ctx.state("iam")
        for u in st["users"].values():
            yield "iam:user", u["Arn"], {t["Key"]: t["Value"] for t in u.get("Tags", [])}
        for r in st["roles"].values():
            yield "iam:role", r["Arn"], {t["Key"]: t["Value"] for t in r.get("Tags", [])}

    def GetResources(self, ctx, p):
        filters = p.get("TagFilters") or []
        types = p.get("ResourceTypeFilters") or []
        arns = p.get("ResourceARNList") or []
        per_page = p.get("ResourcesPerPage")
        if per_page is None:
            per_page = 100
        if not 1 <= int(per_page) <= 100:
            raise _invalid("ResourcesPerPage must be between 1 and 100")
        if arns and (filters or types):
            raise _invalid("ResourceARNList cannot be used with TagFilters or ResourceTypeFilters")
        if len(filters) > 50:
            raise _invalid("TagFilters can have at most 50 filters")
        for f in filters:
            if not f.get("Key"):
                raise _invalid("A TagFilter must have a Key")
        for t in types:
            if not any(t == known or known.startswith(t + ":") for known in TYPES):
                raise _invalid("Unsupported resource type filter: %s" % t)

        def wanted(rtype, arn, tags):
            if arns and arn not in arns:
                return False
            if types and not any(rtype == t or rtype.startswith(t + ":") for t in types):
                return False
            for f in filters:
                if f["Key"] not in tags:
                    return False
                if f.get("Values") and tags[f["Key"]] not in f["Values"]:
                    return False
            return True

        found = []
        for source in (self._ec2, self._lambda, self._iam):
            for rtype, arn, tags in source(ctx):
                if wanted(rtype, arn, tags):
                    found.append({"ResourceARN": arn,
                                  "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})
        found.sort(key=lambda r: r["ResourceARN"])
        token = p.get("PaginationToken") or ""
        start = 0
        if token:
            try:
                start = int(token)
            except ValueError:
                raise AwsError("PaginationTokenExpiredException", "Invalid pagination token", 400)
            if not 0 <= start <= len(found):
                raise AwsError("PaginationTokenExpiredException", "Invalid pagination token", 400)
        end = start + int(per_page)
        out = {"ResourceTagMappingList": found[start:end], "PaginationToken": str(end) if end < len(found) else ""}
        return out
