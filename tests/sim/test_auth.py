"""Signature verification, credentials and their AWS error codes per protocol; STS."""
import datetime
import json
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from simtest import ACCOUNT, ACCOUNT2, KEY, KEY2, SimTestCase

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT},
         "Condition": {"StringEquals": {"sts:ExternalId": "case-42"}}}]}


class AuthTest(SimTestCase):
    def test_caller_identity_of_each_seeded_account(self):
        me = self.client("sts").get_caller_identity()
        self.assertEqual(me["Account"], ACCOUNT)
        self.assertEqual(me["Arn"], "arn:aws:iam::%s:user/admin" % ACCOUNT)
        self.assertTrue(me["UserId"].startswith("AIDA"))
        other = self.client("sts", key=KEY2).get_caller_identity()
        self.assertEqual(other["Account"], ACCOUNT2)

    def test_wrong_secret_per_protocol(self):
        bad = (KEY[0], "not-the-secret")
        r = self.assertAwsError("SignatureDoesNotMatch", self.client("sts", key=bad).get_caller_identity)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 403)
        r = self.assertAwsError("AuthFailure", self.client("ec2", key=bad).describe_instances)
        self.assertEqual(r["Error"]["Message"], "AWS was not able to validate the provided access credentials")
        self.assertAwsError("InvalidSignatureException", self.client("kms", key=bad).list_keys)
        self.assertAwsError("InvalidSignatureException", self.client("lambda", key=bad).list_functions)
        self.assertAwsError("SignatureDoesNotMatch", self.client("s3", key=bad).list_buckets)

    def test_unknown_access_key_per_protocol(self):
        bad = ("AKIANOTKNOWN00000000", KEY[1])
        r = self.assertAwsError("InvalidClientTokenId", self.client("iam", key=bad).list_users)
        self.assertEqual(r["Error"]["Message"], "The security token included in the request is invalid.")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertAwsError("UnrecognizedClientException", self.client("ssm", key=bad).describe_instance_information)
        self.assertAwsError("AuthFailure", self.client("ec2", key=bad).describe_instances)
        self.assertAwsError("InvalidAccessKeyId", self.client("s3", key=bad).list_buckets)

    def _signed(self, when, body=b"Action=GetCallerIdentity&Version=2011-06-15"):
        creds = botocore.credentials.Credentials(*KEY)
        req = botocore.awsrequest.AWSRequest("POST", self.sim.url + "/", data=body,
                                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        signer = botocore.auth.SigV4Auth(creds, "sts", "us-east-1")
        real = datetime.datetime.utcnow
        class Fixed(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return when
        botocore.auth.datetime.datetime = Fixed
        try:
            signer.add_auth(req)
        finally:
            botocore.auth.datetime.datetime = real.__self__
        prepared = req.prepare()
        r = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
        try:
            with urllib.request.urlopen(r) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_clock_skew(self):
        status, body = self._signed(datetime.datetime.utcnow() - datetime.timedelta(minutes=14))
        self.assertEqual(status, 200, body)
        status, body = self._signed(datetime.datetime.utcnow() - datetime.timedelta(minutes=16))
        self.assertEqual(status, 403)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        self.assertIn("Signature expired:", body)

    def test_missing_authentication(self):
        r = urllib.request.Request(self.sim.url + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(r)
        self.assertEqual(cm.exception.code, 403)
        self.assertIn("<Code>MissingAuthenticationToken</Code>", cm.exception.read().decode())

    def test_tampered_body_fails(self):
        # A body changed after signing must not verify.
        creds = botocore.credentials.Credentials(*KEY)
        req = botocore.awsrequest.AWSRequest("POST", self.sim.url + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15")
        botocore.auth.SigV4Auth(creds, "sts", "us-east-1").add_auth(req)
        p = req.prepare()
        r = urllib.request.Request(p.url, data=b"Action=GetCallerIdentity&Version=2011-06-16", headers=dict(p.headers), method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(r)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", cm.exception.read().decode())

    def test_presigned_url(self):
        s3 = self.client("s3", signature_version="s3v4")
        s3.create_bucket(Bucket="evidence")
        s3.put_object(Bucket="evidence", Key="a/b.txt", Body=b"hello")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "evidence", "Key": "a/b.txt"})
        with urllib.request.urlopen(url) as r:
            self.assertEqual(r.read(), b"hello")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
        self.assertEqual(cm.exception.code, 403)

    def _role(self, account_key, trust):
        iam = self.client("iam", key=account_key)
        return iam.create_role(RoleName="IrxResponder", Path="/security/",
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    def test_assume_role_cross_account_with_external_id(self):
        arn = self._role(KEY2, TRUST)
        self.assertEqual(arn, "arn:aws:iam::%s:role/security/IrxResponder" % ACCOUNT2)
        sts = self.client("sts")
        r = self.assertAwsError("AccessDenied", sts.assume_role, RoleArn=arn, RoleSessionName="irx-1")
        self.assertEqual(r["Error"]["Message"], "User: arn:aws:iam::%s:user/admin is not authorized to perform: sts:AssumeRole on resource: %s" % (ACCOUNT, arn))
        self.assertAwsError("AccessDenied", sts.assume_role, RoleArn=arn, RoleSessionName="irx-1", ExternalId="wrong")
        out = sts.assume_role(RoleArn=arn, RoleSessionName="irx-1", ExternalId="case-42", DurationSeconds=900)
        c = out["Credentials"]
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        self.assertEqual(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/IrxResponder/irx-1" % ACCOUNT2)
        left = (c["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        self.assertTrue(880 < left <= 900, left)
        temp = self.client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
        me = temp.get_caller_identity()
        self.assertEqual(me["Account"], ACCOUNT2)
        self.assertEqual(me["Arn"], out["AssumedRoleUser"]["Arn"])
        # the session acts in the target account's world
        ec2 = self.client("ec2", key=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
        ec2.create_security_group(GroupName="only-in-2", Description="d")
        names = [g["GroupName"] for g in self.client("ec2").describe_security_groups()["SecurityGroups"]]
        self.assertNotIn("only-in-2", names)
        # the session token is checked
        no_token = self.client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"]))
        self.assertAwsError("InvalidClientTokenId", no_token.get_caller_identity)
        wrong = self.client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"] + "x")
        self.assertAwsError("InvalidClientTokenId", wrong.get_caller_identity)

    def test_assume_role_checks_path_and_principal(self):
        self._role(KEY2, {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                          "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}]})
        sts = self.client("sts")
        self.assertAwsError("AccessDenied", sts.assume_role, RoleArn="arn:aws:iam::%s:role/security/IrxResponder" % ACCOUNT2, RoleSessionName="s1")
        self.assertAwsError("AccessDenied", sts.assume_role, RoleArn="arn:aws:iam::%s:role/IrxResponder" % ACCOUNT2, RoleSessionName="s1")
        self.assertAwsError("ValidationError", sts.assume_role, RoleArn="arn:aws:iam::%s:role/security/IrxResponder" % ACCOUNT2, RoleSessionName="bad name!")

    def test_role_chaining_by_role_arn_principal(self):
        first = self._role(KEY2, {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNT}}]})
        c = self.client("sts").assume_role(RoleArn=first, RoleSessionName="hop1")["Credentials"]
        iam2 = self.client("iam", key=KEY2)
        iam2.create_role(RoleName="Second", AssumeRolePolicyDocument=json.dumps(
            {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": first}}]}))
        hop = self.client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
        out = hop.assume_role(RoleArn="arn:aws:iam::%s:role/Second" % ACCOUNT2, RoleSessionName="hop2")
        self.assertEqual(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/Second/hop2" % ACCOUNT2)

    def test_iam_access_keys_sign_requests_until_deactivated(self):
        iam = self.client("iam")
        iam.create_user(UserName="alice")
        k = iam.create_access_key(UserName="alice")["AccessKey"]
        alice = self.client("sts", key=(k["AccessKeyId"], k["SecretAccessKey"]))
        self.assertEqual(alice.get_caller_identity()["Arn"], "arn:aws:iam::%s:user/alice" % ACCOUNT)
        iam.update_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"], Status="Inactive")
        self.assertAwsError("InvalidClientTokenId", alice.get_caller_identity)
        iam.update_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"], Status="Active")
        alice.get_caller_identity()
        iam.delete_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"])
        self.assertAwsError("InvalidClientTokenId", alice.get_caller_identity)

    def test_unimplemented_operation_is_a_clear_error(self):
        r = self.assertAwsError("NotImplemented", self.client("ec2").describe_vpn_gateways)
        self.assertEqual(r["Error"]["Message"], "awssim does not implement ec2:DescribeVpnGateways")
        r = self.assertAwsError("NotImplemented", self.client("guardduty").list_detectors)
        self.assertEqual(r["Error"]["Message"], "awssim does not implement guardduty:ListDetectors")
