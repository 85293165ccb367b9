"""IAM: users, access keys (which sign requests to the simulator), login profiles, roles with
paths, managed (incl. AWS-managed AWSDenyAll) and inline policies, instance profiles, tags."""
import json
import re
import secrets
from urllib.parse import quote

from ..errors import AwsError
from ..world import now_iso, rand_upper
from . import Service, need

AWS_MANAGED = [
    ("AWSDenyAll", "/", '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'),
    ("AdministratorAccess", "/", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'),
    ("ReadOnlyAccess", "/", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","iam:Get*","iam:List*"],"Resource":"*"}]}'),
    ("AmazonSSMManagedInstanceCore", "/", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:*","ssmmessages:*","ec2messages:*"],"Resource":"*"}]}'),
    ("AWSLambdaBasicExecutionRole", "/service-role/", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}'),
]
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role(/(?:[\x21-\x7e]*/)?)?([\w+=,.@-]+)$")
NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
PATH = re.compile(r"^/([\x21-\x7e]*/)?$")


def parse_role_arn(arn):
    m = ROLE_ARN.match(arn or "")
    if not m:
        return None
    return m.group(1), m.group(2) or "/", m.group(3)


def no_such(kind, name):
    return AwsError("NoSuchEntity", "The %s with name %s cannot be found." % (kind, name), 404)


def _policy_doc(doc):
    try:
        json.loads(doc)
    except (ValueError, TypeError):
        raise AwsError("MalformedPolicyDocument", "This policy contains invalid Json")
    return doc


def _page(items, p, key):
    start = int(p.get("Marker") or 0)
    n = int(p.get("MaxItems") or 100)
    out = {key: items[start:start + n], "IsTruncated": start + n < len(items)}
    if out["IsTruncated"]:
        out["Marker"] = str(start + n)
    return out


def _tags_merge(entity, tags):
    cur = {t["Key"]: t["Value"] for t in entity.get("Tags", [])}
    for t in tags:
        cur[t["Key"]] = t.get("Value", "")
    entity["Tags"] = [{"Key": k, "Value": v} for k, v in cur.items()]


class SERVICE(Service):
    NAME = "iam"
    GLOBAL = True

    def initial_state(self, account, region):
        pols = {}
        for name, path, doc in AWS_MANAGED:
            arn = "arn:aws:iam::aws:policy%s%s" % (path, name)
            pols[arn] = {"PolicyName": name, "PolicyId": "ANPA" + rand_upper(17), "Arn": arn, "Path": path,
                         "DefaultVersionId": "v1", "AttachmentCount": 0, "IsAttachable": True,
                         "CreateDate": "2015-02-06T18:39:46Z", "UpdateDate": "2015-02-06T18:39:46Z",
                         "_document": doc, "_aws": True}
        return {"users": {}, "roles": {}, "policies": pols, "instance_profiles": {}}

    def ensure_user(self, st, account, name, path="/"):
        if name not in st["users"]:
            st["users"][name] = {"UserName": name, "Path": path, "UserId": "AIDA" + rand_upper(17),
                                 "Arn": "arn:aws:iam::%s:user%s%s" % (account, path, name),
                                 "CreateDate": now_iso(), "Tags": [], "_keys": {}, "_attached": [],
                                 "_inline": {}, "_login": None}
        return st["users"][name]

    def _user(self, ctx, name, default_self=False):
        st = ctx.state()
        if not name and default_self:
            name = ctx.cred.get("UserName")
        u = st["users"].get(name)
        if u is None:
            raise no_such("user", name)
        return u

    def _role(self, ctx, name):
        r = ctx.state()["roles"].get(name)
        if r is None:
            raise no_such("role", name)
        return r

    def _policy(self, ctx, arn):
        pol = ctx.state()["policies"].get(arn)
        if pol is None:
            raise AwsError("NoSuchEntity", "Policy %s does not exist or is not attachable." % arn, 404)
        return pol

    # ------------------------------------------------------------ the account

    def GetAccountSummary(self, ctx, p):
        """Counts of what the account holds, and IAM's default quotas."""
        st = ctx.state()
        users = st["users"].values()
        roles = st["roles"].values()
        own = [x for x in st["policies"].values() if not x.get("_aws")]
        attached = {a for e in list(users) + list(roles) for a in e.get("_attached", [])}
        return {"SummaryMap": {
            "Users": len(st["users"]), "Roles": len(st["roles"]), "Groups": 0, "Policies": len(own),
            "InstanceProfiles": len(st["instance_profiles"]), "MFADevices": 0, "MFADevicesInUse": 0,
            "ServerCertificates": 0, "Providers": 0, "PolicyVersionsInUse": len(attached),
            "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0,
            "UsersQuota": 5000, "RolesQuota": 1000, "GroupsQuota": 300, "PoliciesQuota": 1500,
            "InstanceProfilesQuota": 1000, "AccessKeysPerUserQuota": 2, "GroupsPerUserQuota": 10,
            "AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
            "AttachedPoliciesPerGroupQuota": 10, "PolicySizeQuota": 6144, "VersionsPerPolicyQuota": 5,
            "ServerCertificatesQuota": 20, "SigningCertificatesPerUserQuota": 2,
            "UserPolicySizeQuota": 2048, "RolePolicySizeQuota": 10240, "GroupPolicySizeQuota": 5120,
            "AssumeRolePolicySizeQuota": 2048, "GlobalEndpointTokenVersion": 1}}

    # ------------------------------------------------------------ users

    def CreateUser(self, ctx, p):
        need(p, "UserName")
        if not NAME.match(p["UserName"]):
            raise AwsError("ValidationError", "Invalid user name '%s'" % p["UserName"])
        if p["UserName"] in ctx.state()["users"]:
            raise AwsError("EntityAlreadyExists", "User with name %s already exists." % p["UserName"], 409)
        u = self.ensure_user(ctx.state(), ctx.account, p["UserName"], p.get("Path", "/"))
        u["Tags"] = list(p.get("Tags", []))
        return {"User": u}

    def GetUser(self, ctx, p):
        return {"User": self._user(ctx, p.get("UserName"), True)}

    def ListUsers(self, ctx, p):
        pre = p.get("PathPrefix", "/")
        users = [u for u in ctx.state()["users"].values() if u["Path"].startswith(pre)]
        return _page(users, p, "Users")

    def DeleteUser(self, ctx, p):
        u = self._user(ctx, p.get("UserName"))
        if u["_keys"] or u["_attached"] or u["_inline"] or u["_login"]:
            raise AwsError("DeleteConflict", "Cannot delete entity, must delete access keys, policies and login profile first.", 409)
        del ctx.state()["users"][u["UserName"]]
        return {}

    def TagUser(self, ctx, p):
        _tags_merge(self._user(ctx, p.get("UserName")), p.get("Tags", []))
        return {}

    def UntagUser(self, ctx, p):
        u = self._user(ctx, p.get("UserName"))
        u["Tags"] = [t for t in u["Tags"] if t["Key"] not in p.get("TagKeys", [])]
        return {}

    def ListUserTags(self, ctx, p):
        return {"Tags": self._user(ctx, p.get("UserName"))["Tags"], "IsTruncated": False}

    # ------------------------------------------------------------ access keys

    def CreateAccessKey(self, ctx, p):
        u = self._user(ctx, p.get("UserName"), True)
        if len(u["_keys"]) >= 2:
            raise AwsError("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
        akid = "AKIA" + rand_upper(16)
        secret = secrets.token_urlsafe(30)[:40]
        key = {"UserName": u["UserName"], "AccessKeyId": akid, "Status": "Active", "CreateDate": now_iso()}
        u["_keys"][akid] = key
        ctx.world.creds[akid] = {"AccessKeyId": akid, "SecretAccessKey": secret, "Account": ctx.account,
                                 "Arn": u["Arn"], "UserId": u["UserId"], "Kind": "user",
                                 "UserName": u["UserName"], "IssuedAt": now_iso()}
        return {"AccessKey": dict(key, SecretAccessKey=secret)}

    def ListAccessKeys(self, ctx, p):
        u = self._user(ctx, p.get("UserName"), True)
        return {"AccessKeyMetadata": list(u["_keys"].values()), "IsTruncated": False}

    def _key(self, ctx, p):
        u = self._user(ctx, p.get("UserName"), True)
        key = u["_keys"].get(p.get("AccessKeyId"))
        if key is None:
            raise AwsError("NoSuchEntity", "The Access Key with id %s cannot be found." % p.get("AccessKeyId"), 404)
        return u, key

    def UpdateAccessKey(self, ctx, p):
        need(p, "AccessKeyId", "Status")
        if p["Status"] not in ("Active", "Inactive"):
            raise AwsError("ValidationError", "Invalid status '%s'" % p["Status"])
        u, key = self._key(ctx, p)
        key["Status"] = p["Status"]
        return {}

    def DeleteAccessKey(self, ctx, p):
        u, key = self._key(ctx, p)
        del u["_keys"][key["AccessKeyId"]]
        ctx.world.creds.pop(key["AccessKeyId"], None)
        return {}

    def GetAccessKeyLastUsed(self, ctx, p):
        need(p, "AccessKeyId")
        for u in ctx.state()["users"].values():
            if p["AccessKeyId"] in u["_keys"]:
                return {"UserName": u["UserName"], "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}
        raise AwsError("AccessDenied", "The access key %s does not belong to this account." % p["AccessKeyId"], 403)

    # ------------------------------------------------------------ login profiles

    def CreateLoginProfile(self, ctx, p):
        u = self._user(ctx, p.get("UserName"))
        if u["_login"]:
            raise AwsError("EntityAlreadyExists", "Login Profile for user %s already exists." % u["UserName"], 409)
        need(p, "Password")
        u["_login"] = {"UserName": u["UserName"], "CreateDate": now_iso(),
                       "PasswordResetRequired": bool(p.get("PasswordResetRequired", False))}
        return {"LoginProfile": u["_login"]}

    def GetLoginProfile(self, ctx, p):
        u = self._user(ctx, p.get("UserName"))
        if not u["_login"]:
            raise AwsError("NoSuchEntity", "Login Profile for User %s cannot be found." % u["UserName"], 404)
        return {"LoginProfile": u["_login"]}

    def UpdateLoginProfile(self, ctx, p):
        u = self._user(ctx, p.get("UserName"))
        if not u["_login"]:
            raise AwsError("NoSuchEntity", "Login Profile for User %s cannot be found." % u["UserName"], 404)
        if "PasswordResetRequired" in p:
            u["_login"]["PasswordResetRequired"] = p["PasswordResetRequired"]
        return {}

    def DeleteLoginProfile(self, ctx, p):
        u = self._user(ctx, p.get("UserName"))
        if not u["_login"]:
            raise AwsError("NoSuchEntity", "Login Profile for User %s cannot be found." % u["UserName"], 404)
        u["_login"] = None
        return {}

    # ------------------------------------------------------------ managed policies

    def CreatePolicy(self, ctx, p):
        need(p, "PolicyName", "PolicyDocument")
        path = p.get("Path", "/")
        arn = "arn:aws:iam::%s:policy%s%s" % (ctx.account, path, p["PolicyName"])
        st = ctx.state()
        if arn in st["policies"]:
            raise AwsError("EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed." % p["PolicyName"], 409)
        pol = {"PolicyName": p["PolicyName"], "PolicyId": "ANPA" + rand_upper(17), "Arn": arn, "Path": path,
               "DefaultVersionId": "v1", "AttachmentCount": 0, "IsAttachable": True,
               "Description": p.get("Description", ""), "CreateDate": now_iso(), "UpdateDate": now_iso(),
               "Tags": list(p.get("Tags", [])), "_document": _policy_doc(p["PolicyDocument"])}
        st["policies"][arn] = pol
        return {"Policy": pol}

    def GetPolicy(self, ctx, p):
        return {"Policy": self._policy(ctx, p.get("PolicyArn"))}

    def GetPolicyVersion(self, ctx, p):
        pol = self._policy(ctx, p.get("PolicyArn"))
        if p.get("VersionId") != pol["DefaultVersionId"]:
            raise AwsError("NoSuchEntity", "Policy %s version %s does not exist." % (pol["Arn"], p.get("VersionId")), 404)
        return {"PolicyVersion": {"Document": quote(pol["_document"], safe=""), "VersionId": pol["DefaultVersionId"],
                                  "IsDefaultVersion": True, "CreateDate": pol["CreateDate"]}}

    def ListPolicies(self, ctx, p):
        scope = p.get("Scope", "All")
        pols = [x for x in ctx.state()["policies"].values()
                if scope == "All" or (scope == "AWS") == bool(x.get("_aws"))]
        if p.get("OnlyAttached"):
            pols = [x for x in pols if x["AttachmentCount"]]
        return _page(pols, p, "Policies")

    def DeletePolicy(self, ctx, p):
        pol = self._policy(ctx, p.get("PolicyArn"))
        if pol.get("_aws"):
            raise AwsError("AccessDenied", "Cannot delete an AWS managed policy", 403)
        if pol["AttachmentCount"]:
            raise AwsError("DeleteConflict", "Cannot delete a policy attached to entities.", 409)
        del ctx.state()["policies"][pol["Arn"]]
        return {}

    def _attach(self, ctx, entity, arn):
        pol = self._policy(ctx, arn)
        if arn not in entity["_attached"]:
            entity["_attached"].append(arn)
            pol["AttachmentCount"] += 1
        return {}

    def _detach(self, ctx, entity, arn):
        pol = self._policy(ctx, arn)
        if arn not in entity["_attached"]:
            raise AwsError("NoSuchEntity", "Policy %s was not found." % arn, 404)
        entity["_attached"].remove(arn)
        pol["AttachmentCount"] -= 1
        return {}

    def _attached(self, ctx, entity):
        pols = ctx.state()["policies"]
        return {"AttachedPolicies": [{"PolicyName": pols[a]["PolicyName"], "PolicyArn": a}
                                     for a in entity["_attached"] if a in pols], "IsTruncated": False}

    def AttachUserPolicy(self, ctx, p):
        return self._attach(ctx, self._user(ctx, p.get("UserName")), p.get("PolicyArn"))

    def DetachUserPolicy(self, ctx, p):
        return self._detach(ctx, self._user(ctx, p.get("UserName")), p.get("PolicyArn"))

    def ListAttachedUserPolicies(self, ctx, p):
        return self._attached(ctx, self._user(ctx, p.get("UserName")))

    def AttachRolePolicy(self, ctx, p):
        return self._attach(ctx, self._role(ctx, p.get("RoleName")), p.get("PolicyArn"))

    def DetachRolePolicy(self, ctx, p):
        return self._detach(ctx, self._role(ctx, p.get("RoleName")), p.get("PolicyArn"))

    def ListAttachedRolePolicies(self, ctx, p):
        return self._attached(ctx, self._role(ctx, p.get("RoleName")))

    # ------------------------------------------------------------ inline policies

    def _put_inline(self, entity, p):
        need(p, "PolicyName", "PolicyDocument")
        entity["_inline"][p["PolicyName"]] = _policy_doc(p["PolicyDocument"])
        return {}

    def _get_inline(self, entity, key, p):
        doc = entity["_inline"].get(p.get("PolicyName"))
        if doc is None:
            raise AwsError("NoSuchEntity", "The %s policy with name %s cannot be found." % (key[:-4].lower(), p.get("PolicyName")), 404)
        return {key: entity[key], "PolicyName": p["PolicyName"], "PolicyDocument": quote(doc, safe="")}

    def _delete_inline(self, entity, p):
        if entity["_inline"].pop(p.get("PolicyName"), None) is None:
            raise AwsError("NoSuchEntity", "The policy with name %s cannot be found." % p.get("PolicyName"), 404)
        return {}

    def PutUserPolicy(self, ctx, p):
        return self._put_inline(self._user(ctx, p.get("UserName")), p)

    def GetUserPolicy(self, ctx, p):
        return self._get_inline(self._user(ctx, p.get("UserName")), "UserName", p)

    def DeleteUserPolicy(self, ctx, p):
        return self._delete_inline(self._user(ctx, p.get("UserName")), p)

    def ListUserPolicies(self, ctx, p):
        return {"PolicyNames": sorted(self._user(ctx, p.get("UserName"))["_inline"]), "IsTruncated": False}

    def ListMFADevices(self, ctx, p):
        """MFA devices come only from a seed's state (a user's "_mfa": [{"SerialNumber", "EnableDate"}])."""
        u = self._user(ctx, p.get("UserName"), default_self=True)
        return {"MFADevices": [dict(d, UserName=u["UserName"]) for d in u.get("_mfa", [])], "IsTruncated": False}

    def PutRolePolicy(self, ctx, p):
        return self._put_inline(self._role(ctx, p.get("RoleName")), p)

    def GetRolePolicy(self, ctx, p):
        return self._get_inline(self._role(ctx, p.get("RoleName")), "RoleName", p)

    def DeleteRolePolicy(self, ctx, p):
        return self._delete_inline(self._role(ctx, p.get("RoleName")), p)

    def ListRolePolicies(self, ctx, p):
        return {"PolicyNames": sorted(self._role(ctx, p.get("RoleName"))["_inline"]), "IsTruncated": False}

    # ------------------------------------------------------------ roles

    def CreateRole(self, ctx, p):
        need(p, "RoleName", "AssumeRolePolicyDocument")
        path = p.get("Path", "/")
        if not PATH.match(path):
            raise AwsError("ValidationError", "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
        if not NAME.match(p["RoleName"]) or len(p["RoleName"]) > 64:
            raise AwsError("ValidationError", "Invalid role name '%s'" % p["RoleName"])
        st = ctx.state()
        if p["RoleName"] in st["roles"]:
            raise AwsError("EntityAlreadyExists", "Role with name %s already exists." % p["RoleName"], 409)
        role = {"RoleName": p["RoleName"], "Path": path, "RoleId": "AROA" + rand_upper(17),
                "Arn": "arn:aws:iam::%s:role%s%s" % (ctx.account, path, p["RoleName"]),
                "CreateDate": now_iso(), "Description": p.get("Description", ""),
                "MaxSessionDuration": int(p.get("MaxSessionDuration", 3600)), "Tags": list(p.get("Tags", [])),
                "AssumeRolePolicyDocument": _policy_doc(p["AssumeRolePolicyDocument"]),
                "_attached": [], "_inline": {}}
        st["roles"][p["RoleName"]] = role
        return {"Role": self._role_out(role)}

    def _role_out(self, role):
        return dict(role, AssumeRolePolicyDocument=quote(role["AssumeRolePolicyDocument"], safe=""))

    def GetRole(self, ctx, p):
        return {"Role": self._role_out(self._role(ctx, p.get("RoleName")))}

    def ListRoles(self, ctx, p):
        pre = p.get("PathPrefix", "/")
        roles = [self._role_out(r) for r in ctx.state()["roles"].values() if r["Path"].startswith(pre)]
        return _page(roles, p, "Roles")

    def DeleteRole(self, ctx, p):
        r = self._role(ctx, p.get("RoleName"))
        if r["_attached"] or r["_inline"]:
            raise AwsError("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
        if any(r["RoleName"] in [x["RoleName"] for x in ip["Roles"]] for ip in ctx.state()["instance_profiles"].values()):
            raise AwsError("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
        del ctx.state()["roles"][r["RoleName"]]
        return {}

    def UpdateAssumeRolePolicy(self, ctx, p):
        self._role(ctx, p.get("RoleName"))["AssumeRolePolicyDocument"] = _policy_doc(p.get("PolicyDocument"))
        return {}

    def UpdateRole(self, ctx, p):
        r = self._role(ctx, p.get("RoleName"))
        for k in ("Description", "MaxSessionDuration"):
            if k in p:
                r[k] = p[k]
        return {}

    def TagRole(self, ctx, p):
        _tags_merge(self._role(ctx, p.get("RoleName")), p.get("Tags", []))
        return {}

    def UntagRole(self, ctx, p):
        r = self._role(ctx, p.get("RoleName"))
        r["Tags"] = [t for t in r["Tags"] if t["Key"] not in p.get("TagKeys", [])]
        return {}

    def ListRoleTags(self, ctx, p):
        return {"Tags": self._role(ctx, p.get("RoleName"))["Tags"], "IsTruncated": False}

    # ------------------------------------------------------------ instance profiles

    def _profile(self, ctx, name):
        ip = ctx.state()["instance_profiles"].get(name)
        if ip is None:
            raise AwsError("NoSuchEntity", "Instance Profile %s cannot be found." % name, 404)
        return ip

    def _profile_out(self, ctx, ip):
        roles = ctx.state()["roles"]
        return dict(ip, Roles=[self._role_out(roles[r["RoleName"]]) for r in ip["Roles"] if r["RoleName"] in roles])

    def CreateInstanceProfile(self, ctx, p):
        need(p, "InstanceProfileName")
        st = ctx.state()
        name = p["InstanceProfileName"]
        if name in st["instance_profiles"]:
            raise AwsError("EntityAlreadyExists", "Instance Profile %s already exists." % name, 409)
        path = p.get("Path", "/")
        ip = {"InstanceProfileName": name, "Path": path, "InstanceProfileId": "AIPA" + rand_upper(17),
              "Arn": "arn:aws:iam::%s:instance-profile%s%s" % (ctx.account, path, name),
              "CreateDate": now_iso(), "Roles": [], "Tags": list(p.get("Tags", []))}
        st["instance_profiles"][name] = ip
        return {"InstanceProfile": self._profile_out(ctx, ip)}

    def GetInstanceProfile(self, ctx, p):
        return {"InstanceProfile": self._profile_out(ctx, self._profile(ctx, p.get("InstanceProfileName")))}

    def AddRoleToInstanceProfile(self, ctx, p):
        ip = self._profile(ctx, p.get("InstanceProfileName"))
        self._role(ctx, p.get("RoleName"))
        if ip["Roles"]:
            raise AwsError("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)
        ip["Roles"] = [{"RoleName": p["RoleName"]}]
        return {}

    def RemoveRoleFromInstanceProfile(self, ctx, p):
        ip = self._profile(ctx, p.get("InstanceProfileName"))
        if not any(r["RoleName"] == p.get("RoleName") for r in ip["Roles"]):
            raise AwsError("NoSuchEntity", "The role with name %s cannot be found." % p.get("RoleName"), 404)
        ip["Roles"] = [r for r in ip["Roles"] if r["RoleName"] != p.get("RoleName")]
        return {}

    def ListInstanceProfiles(self, ctx, p):
        return _page([self._profile_out(ctx, ip) for ip in ctx.state()["instance_profiles"].values()
                      if ip["Path"].startswith(p.get("PathPrefix", "/"))], p, "InstanceProfiles")

    def ListInstanceProfilesForRole(self, ctx, p):
        self._role(ctx, p.get("RoleName"))
        return _page([self._profile_out(ctx, ip) for ip in ctx.state()["instance_profiles"].values()
                      if any(r["RoleName"] == p["RoleName"] for r in ip["Roles"])], p, "InstanceProfiles")

    def DeleteInstanceProfile(self, ctx, p):
        ip = self._profile(ctx, p.get("InstanceProfileName"))
        if ip["Roles"]:
            raise AwsError("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
        del ctx.state()["instance_profiles"][ip["InstanceProfileName"]]
        return {}
