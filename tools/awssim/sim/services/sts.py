"""STS: who am I, and AssumeRole into any account whose role trusts the caller.

AssumeRole works with any credentials as the source, a role session's included (role chaining:
the member role's trust policy names the hub role's ARN or its account). As in AWS, a chained
session lasts at most an hour, and session Tags need sts:TagSession in the trust policy too;
the tags are kept on the session's credential record ("SessionTags" in GET /__awssim/state).
"""
import fnmatch
import json
import re

from ..errors import AwsError
from ..world import now
from . import Service, need
from .iam import parse_role_arn

SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")


def _as_list(v):
    return v if isinstance(v, list) else [v]


def caller_principals(cred):
    """Every way a trust policy's Principal.AWS may name the caller."""
    acct = cred["Account"]
    out = {acct, "arn:aws:iam::%s:root" % acct, cred["Arn"], "*"}
    if cred.get("RoleArn"):
        out.add(cred["RoleArn"])
    return out


def _condition_ok(cond, context):
    for op, tests in (cond or {}).items():
        for key, want in tests.items():
            have = context.get(key.lower())
            wants = [str(w) for w in _as_list(want)]
            if op == "StringEquals":
                ok = have is not None and have in wants
            elif op == "StringLike":
                ok = have is not None and any(fnmatch.fnmatchcase(have, w) for w in wants)
            elif op == "StringNotEquals":
                ok = have is None or have not in wants
            elif op == "Null":
                ok = (have is None) == (wants[0].lower() == "true")
            elif op == "Bool":
                ok = have is not None and str(have).lower() == wants[0].lower()
            else:
                return False
            if not ok:
                return False
    return True


def trust_allows(doc, cred, action, context):
    try:
        policy = json.loads(doc)
    except ValueError:
        return False
    principals = caller_principals(cred)
    allowed = False
    for st in _as_list(policy.get("Statement", [])):
        actions = _as_list(st.get("Action", []))
        if not any(fnmatch.fnmatchcase(action, a) for a in actions):
            continue
        p = st.get("Principal", {})
        names = ["*"] if p == "*" else _as_list(p.get("AWS", []))
        if not principals.intersection(names):
            continue
        if not _condition_ok(st.get("Condition"), context):
            continue
        if st.get("Effect") == "Deny":
            return False
        if st.get("Effect") == "Allow":
            allowed = True
    return allowed


def _session_tags(given):
    """AssumeRole's Tags as a dict, checked as STS checks them."""
    tags = {}
    for t in given or []:
        key, value = t.get("Key", ""), t.get("Value", "")
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise AwsError("ValidationError", "1 validation error detected: Value '%s' at 'tags' failed to satisfy constraint: "
                           "a tag key must be 1-128 characters and a value at most 256" % key)
        if key.lower() in (k.lower() for k in tags):
            raise AwsError("InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        tags[key] = value
    if len(tags) > 50:
        raise AwsError("ValidationError", "1 validation error detected: Value at 'tags' failed to satisfy constraint: "
                       "Member must have length less than or equal to 50")
    return tags


class SERVICE(Service):
    NAME = "sts"
    GLOBAL = True

    def GetCallerIdentity(self, ctx, p):
        return {"UserId": ctx.cred["UserId"], "Account": ctx.account, "Arn": ctx.cred["Arn"]}

    def AssumeRole(self, ctx, p):
        need(p, "RoleArn", "RoleSessionName")
        if not SESSION_NAME.match(p["RoleSessionName"]):
            raise AwsError("ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*" % p["RoleSessionName"])
        parsed = parse_role_arn(p["RoleArn"])
        if parsed is None:
            raise AwsError("ValidationError", "%s is invalid" % p["RoleArn"])
        acct, path, name = parsed
        denied = AwsError("AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (
            ctx.cred["Arn"], p["RoleArn"]), 403)
        if acct not in ctx.world.accounts:
            raise denied
        iam = ctx.world.state(acct, None, "iam")
        role = iam["roles"].get(name)
        if role is None or role["Path"] != path:
            raise denied
        tags = _session_tags(p.get("Tags"))
        context = {"sts:externalid": p.get("ExternalId"), "aws:principalaccount": ctx.account,
                   "aws:principalarn": ctx.cred.get("RoleArn") or ctx.cred["Arn"],
                   "sts:rolesessionname": p["RoleSessionName"]}
        for k, v in tags.items():
            context["aws:requesttag/" + k.lower()] = v
        if not trust_allows(role["AssumeRolePolicyDocument"], ctx.cred, "sts:AssumeRole", context):
            raise denied
        if tags and not trust_allows(role["AssumeRolePolicyDocument"], ctx.cred, "sts:TagSession", context):
            raise AwsError("AccessDenied", "User: %s is not authorized to perform: sts:TagSession on resource: %s" % (
                ctx.cred["Arn"], p["RoleArn"]), 403)
        duration = int(p.get("DurationSeconds", 3600))
        chained = ctx.cred.get("Kind") == "assumed-role"
        if chained and duration > 3600:
            raise AwsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        if duration < 900 or duration > int(role.get("MaxSessionDuration", 3600)):
            raise AwsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." if duration > 900 else
                           "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900" % duration)
        arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, name, p["RoleSessionName"])
        user_id = "%s:%s" % (role["RoleId"], p["RoleSessionName"])
        rec = ctx.world.temporary_credentials(acct, arn, user_id, duration, source=ctx.cred["Arn"])
        rec["RoleArn"] = role["Arn"]
        rec["RoleName"] = name
        rec["ExternalId"] = p.get("ExternalId")
        rec["SessionTags"] = tags
        role.setdefault("RoleLastUsed", {})["LastUsedDate"] = now().isoformat()
        return {"Credentials": {k: rec[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")},
                "AssumedRoleUser": {"AssumedRoleId": user_id, "Arn": arn}, "PackedPolicySize": 0}

    def GetSessionToken(self, ctx, p):
        if ctx.cred["Kind"] == "assumed-role":
            raise AwsError("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
        duration = int(p.get("DurationSeconds", 43200))
        rec = ctx.world.temporary_credentials(ctx.account, ctx.cred["Arn"], ctx.cred["UserId"], duration)
        rec["Kind"] = "session"
        rec["UserName"] = ctx.cred.get("UserName")
        return {"Credentials": {k: rec[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")}}

    def GetAccessKeyInfo(self, ctx, p):
        need(p, "AccessKeyId")
        rec = ctx.world.credential(p["AccessKeyId"])
        return {"Account": rec["Account"] if rec else ctx.account}
