"""KMS: customer and AWS-managed keys (aws/ebs and friends), aliases, key policies, tags, and an
Encrypt/Decrypt that round-trips (not real cryptography: ciphertext names the key)."""
import base64
import json
import uuid

from ..errors import AwsError
from ..world import now_iso
from . import Service, need

AWS_ALIASES = ("aws/ebs", "aws/s3", "aws/lambda", "aws/sns", "aws/ssm", "aws/secretsmanager")


class SERVICE(Service):
    NAME = "kms"

    def initial_state(self, account, region):
        st = {"keys": {}, "aliases": {}}
        for alias in AWS_ALIASES:
            k = self._new_key(st, account, region, "Default key for %s" % alias.split("/")[1], "AWS")
            st["aliases"]["alias/" + alias] = k["KeyId"]
        return st

    def _new_key(self, st, account, region, desc, manager):
        kid = str(uuid.uuid4())
        st["keys"][kid] = {"KeyId": kid, "Arn": "arn:aws:kms:%s:%s:key/%s" % (region, account, kid),
                           "AWSAccountId": account, "CreationDate": now_iso(), "Enabled": True,
                           "Description": desc, "KeyUsage": "ENCRYPT_DECRYPT", "KeyState": "Enabled",
                           "Origin": "AWS_KMS", "KeyManager": manager, "KeySpec": "SYMMETRIC_DEFAULT",
                           "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "MultiRegion": False,
                           "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "_tags": [],
                           "_policy": json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
                               {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::%s:root" % account}, "Action": "kms:*", "Resource": "*"}]})}
        return st["keys"][kid]

    # for EC2
    def default_ebs_key(self, ctx):
        st = ctx.state("kms")
        return st["keys"][st["aliases"]["alias/aws/ebs"]]["Arn"]

    def find(self, ctx, ref, must=True):
        st = ctx.state("kms")
        kid = ref or ""
        if ":alias/" in kid:
            kid = "alias/" + kid.split(":alias/", 1)[1]
        if kid.startswith("alias/"):
            kid = st["aliases"].get(kid, "")
        if ":key/" in kid:
            kid = kid.split(":key/", 1)[1]
        key = st["keys"].get(kid)
        if key is None and must:
            raise AwsError("NotFoundException", "Key '%s' does not exist" % ref)
        return key

    def resolve_arn(self, ctx, ref):
        return self.find(ctx, ref)["Arn"]

    def is_aws_managed(self, ctx, ref):
        key = self.find(ctx, ref, must=False)
        return key is not None and key["KeyManager"] == "AWS"

    # ------------------------------------------------------------ API

    def CreateKey(self, ctx, p):
        k = self._new_key(ctx.state(), ctx.account, ctx.region, p.get("Description", ""), "CUSTOMER")
        if p.get("Policy"):
            k["_policy"] = p["Policy"]
        k["_tags"] = list(p.get("Tags", []))
        return {"KeyMetadata": k}

    def DescribeKey(self, ctx, p):
        need(p, "KeyId")
        return {"KeyMetadata": self.find(ctx, p["KeyId"])}

    def ListKeys(self, ctx, p):
        return {"Keys": [{"KeyId": k["KeyId"], "KeyArn": k["Arn"]} for k in ctx.state()["keys"].values()], "Truncated": False}

    def CreateAlias(self, ctx, p):
        need(p, "AliasName", "TargetKeyId")
        st = ctx.state()
        if not p["AliasName"].startswith("alias/") or p["AliasName"].startswith("alias/aws/"):
            raise AwsError("ValidationException" if not p["AliasName"].startswith("alias/aws/") else "NotAuthorizedException",
                           "Alias must start with the prefix \"alias/\" and not \"alias/aws/\"")
        if p["AliasName"] in st["aliases"]:
            raise AwsError("AlreadyExistsException", "An alias with the name arn:aws:kms:%s:%s:%s already exists" % (ctx.region, ctx.account, p["AliasName"]))
        st["aliases"][p["AliasName"]] = self.find(ctx, p["TargetKeyId"])["KeyId"]
        return {}

    def DeleteAlias(self, ctx, p):
        if ctx.state()["aliases"].pop(p.get("AliasName"), None) is None:
            raise AwsError("NotFoundException", "Alias %s is not found." % p.get("AliasName"))
        return {}

    def ListAliases(self, ctx, p):
        st = ctx.state()
        out = [{"AliasName": a, "AliasArn": "arn:aws:kms:%s:%s:%s" % (ctx.region, ctx.account, a), "TargetKeyId": k}
               for a, k in sorted(st["aliases"].items())]
        if p.get("KeyId"):
            kid = self.find(ctx, p["KeyId"])["KeyId"]
            out = [a for a in out if a["TargetKeyId"] == kid]
        return {"Aliases": out, "Truncated": False}

    def GetKeyPolicy(self, ctx, p):
        return {"Policy": self.find(ctx, p.get("KeyId"))["_policy"], "PolicyName": "default"}

    def PutKeyPolicy(self, ctx, p):
        need(p, "Policy")
        self.find(ctx, p.get("KeyId"))["_policy"] = p["Policy"]
        return {}

    def _state(self, ctx, p, enabled):
        k = self.find(ctx, p.get("KeyId"))
        k["Enabled"], k["KeyState"] = enabled, "Enabled" if enabled else "Disabled"
        return {}

    def EnableKey(self, ctx, p):
        return self._state(ctx, p, True)

    def DisableKey(self, ctx, p):
        return self._state(ctx, p, False)

    def ScheduleKeyDeletion(self, ctx, p):
        k = self.find(ctx, p.get("KeyId"))
        if k["KeyManager"] == "AWS":
            raise AwsError("NotAuthorizedException", "You cannot delete an AWS managed key")
        k["Enabled"], k["KeyState"], k["DeletionDate"] = False, "PendingDeletion", now_iso()
        return {"KeyId": k["Arn"], "KeyState": "PendingDeletion", "PendingWindowInDays": int(p.get("PendingWindowInDays", 30))}

    def TagResource(self, ctx, p):
        k = self.find(ctx, p.get("KeyId"))
        cur = {t["TagKey"]: t["TagValue"] for t in k["_tags"]}
        cur.update({t["TagKey"]: t["TagValue"] for t in p.get("Tags", [])})
        k["_tags"] = [{"TagKey": a, "TagValue": b} for a, b in cur.items()]
        return {}

    def ListResourceTags(self, ctx, p):
        return {"Tags": self.find(ctx, p.get("KeyId"))["_tags"], "Truncated": False}

    def Encrypt(self, ctx, p):
        need(p, "KeyId", "Plaintext")
        k = self.find(ctx, p["KeyId"])
        if not k["Enabled"]:
            raise AwsError("DisabledException", "%s is disabled." % k["Arn"])
        blob = b"awssim:" + k["KeyId"].encode() + b":" + base64.b64encode(p["Plaintext"])
        return {"CiphertextBlob": blob, "KeyId": k["Arn"], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}

    def Decrypt(self, ctx, p):
        need(p, "CiphertextBlob")
        parts = p["CiphertextBlob"].split(b":", 2)
        if len(parts) != 3 or parts[0] != b"awssim":
            raise AwsError("InvalidCiphertextException", "The ciphertext is invalid.")
        k = self.find(ctx, parts[1].decode())
        return {"Plaintext": base64.b64decode(parts[2]), "KeyId": k["Arn"], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
