"""STS role chaining (a hub account's role, then the member account's) and session tags."""
import json

from simtest import ACCOUNT, ACCOUNT2, KEY, KEY2, SimTestCase

HUB = "444444444444"
KEY4 = ("AKIDEXAMPLE4", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY4")
HUB_ROLE = "arn:aws:iam::%s:role/irx-hub" % HUB
MEMBER_ROLE = "arn:aws:iam::%s:role/irx-responder" % ACCOUNT2


def trust(principal, actions=("sts:AssumeRole",), condition=None):
    st = {"Effect": "Allow", "Action": list(actions), "Principal": {"AWS": principal}}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


class RoleChainTest(SimTestCase):
    def setUp(self):
        super().setUp()
        status, _ = self.sim.control("POST", "seed", {"accounts": {HUB: {"credentials": [
            {"AccessKeyId": KEY4[0], "SecretAccessKey": KEY4[1], "UserName": "admin"}]}}})
        self.assertEqual(status, 200)
        self.client("iam", key=KEY4).create_role(
            RoleName="irx-hub", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % ACCOUNT))
        self.assertEqual(self.sim.control("DELETE", "requests")[0], 200)  # the log outlives a reset

    def member(self, doc):
        self.client("iam", key=KEY2).create_role(RoleName="irx-responder", AssumeRolePolicyDocument=doc)

    def hub_session(self, **kw):
        c = self.client("sts").assume_role(RoleArn=HUB_ROLE, RoleSessionName="irx-hop1", **kw)["Credentials"]
        return (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"]

    def test_chain_trusted_by_hub_role_arn(self):
        self.member(trust(HUB_ROLE, condition={"StringEquals": {"sts:ExternalId": "ext-7"}}))
        key, token = self.hub_session()
        hub = self.client("sts", key=key, token=token)
        self.assertEqual(hub.get_caller_identity()["Arn"], "arn:aws:sts::%s:assumed-role/irx-hub/irx-hop1" % HUB)
        self.assertAwsError("AccessDenied", hub.assume_role, RoleArn=MEMBER_ROLE, RoleSessionName="irx-hop2")
        out = hub.assume_role(RoleArn=MEMBER_ROLE, RoleSessionName="irx-hop2", ExternalId="ext-7")
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         "arn:aws:sts::%s:assumed-role/irx-responder/irx-hop2" % ACCOUNT2)
        c = out["Credentials"]
        me = self.client("sts", key=(c["AccessKeyId"], c["SecretAccessKey"]),
                         token=c["SessionToken"]).get_caller_identity()
        self.assertEqual((me["Account"], me["Arn"]), (ACCOUNT2, out["AssumedRoleUser"]["Arn"]))
        log = self.sim.control("GET", "requests?operation=AssumeRole")[1]["requests"]
        self.assertEqual([(e["account"], e["principal"], e["status"]) for e in log], [
            (ACCOUNT, "arn:aws:iam::%s:user/admin" % ACCOUNT, 200),
            (HUB, "arn:aws:sts::%s:assumed-role/irx-hub/irx-hop1" % HUB, 403),
            (HUB, "arn:aws:sts::%s:assumed-role/irx-hub/irx-hop1" % HUB, 200)])

    def test_chain_trusted_by_hub_account(self):
        self.member(trust(HUB))
        key, token = self.hub_session()
        out = self.client("sts", key=key, token=token).assume_role(RoleArn=MEMBER_ROLE, RoleSessionName="hop2")
        self.assertTrue(out["Credentials"]["AccessKeyId"].startswith("ASIA"))

    def test_chain_refused_when_member_trusts_another_principal(self):
        # the member trusts the first account, not the hub: the hub's session is refused
        self.member(trust("arn:aws:iam::%s:root" % ACCOUNT))
        key, token = self.hub_session()
        r = self.assertAwsError("AccessDenied", self.client("sts", key=key, token=token).assume_role,
                                RoleArn=MEMBER_ROLE, RoleSessionName="hop2")
        self.assertEqual(r["Error"]["Message"],
                         "User: arn:aws:sts::%s:assumed-role/irx-hub/irx-hop1 is not authorized to perform: "
                         "sts:AssumeRole on resource: %s" % (HUB, MEMBER_ROLE))
        # a different role of the hub is not the trusted one either
        self.client("iam", key=KEY2).update_assume_role_policy(
            RoleName="irx-responder", PolicyDocument=trust("arn:aws:iam::%s:role/other" % HUB))
        self.assertAwsError("AccessDenied", self.client("sts", key=key, token=token).assume_role,
                            RoleArn=MEMBER_ROLE, RoleSessionName="hop2")

    def test_chained_session_is_capped_at_one_hour(self):
        self.member(trust(HUB_ROLE))
        key, token = self.hub_session()
        hub = self.client("sts", key=key, token=token)
        r = self.assertAwsError("ValidationError", hub.assume_role, RoleArn=MEMBER_ROLE,
                                RoleSessionName="hop2", DurationSeconds=7200)
        self.assertIn("1 hour session limit for roles assumed by role chaining", r["Error"]["Message"])
        hub.assume_role(RoleArn=MEMBER_ROLE, RoleSessionName="hop2", DurationSeconds=3600)

    def test_session_tags_recorded_and_need_tag_session(self):
        self.member(trust(HUB_ROLE))
        key, token = self.hub_session()
        hub = self.client("sts", key=key, token=token)
        tags = [{"Key": "Purpose", "Value": "incident-response"}, {"Key": "Team", "Value": "security"}]
        r = self.assertAwsError("AccessDenied", hub.assume_role, RoleArn=MEMBER_ROLE,
                                RoleSessionName="hop2", Tags=tags)
        self.assertEqual(r["Error"]["Message"],
                         "User: arn:aws:sts::%s:assumed-role/irx-hub/irx-hop1 is not authorized to perform: "
                         "sts:TagSession on resource: %s" % (HUB, MEMBER_ROLE))
        self.client("iam", key=KEY2).update_assume_role_policy(
            RoleName="irx-responder", PolicyDocument=trust(HUB_ROLE, ("sts:AssumeRole", "sts:TagSession")))
        out = hub.assume_role(RoleArn=MEMBER_ROLE, RoleSessionName="hop2", Tags=tags)
        creds = self.sim.control("GET", "state")[1]["credentials"]
        rec = creds[out["Credentials"]["AccessKeyId"]]
        self.assertEqual(rec["SessionTags"], {"Purpose": "incident-response", "Team": "security"})
        self.assertEqual(rec["Arn"], "arn:aws:sts::%s:assumed-role/irx-responder/hop2" % ACCOUNT2)
        # the hub's own session has none
        self.assertEqual(creds[key[0]]["SessionTags"], {})

    def test_session_tag_conditions_and_validation(self):
        self.member(trust(HUB_ROLE, ("sts:AssumeRole", "sts:TagSession"),
                          {"StringEquals": {"aws:RequestTag/Team": "security"}}))
        key, token = self.hub_session()
        hub = self.client("sts", key=key, token=token)
        self.assertAwsError("AccessDenied", hub.assume_role, RoleArn=MEMBER_ROLE, RoleSessionName="hop2",
                            Tags=[{"Key": "Team", "Value": "finance"}])
        hub.assume_role(RoleArn=MEMBER_ROLE, RoleSessionName="hop2", Tags=[{"Key": "Team", "Value": "security"}])
        self.assertAwsError("InvalidParameterValue", hub.assume_role, RoleArn=MEMBER_ROLE, RoleSessionName="hop2",
                            Tags=[{"Key": "Team", "Value": "security"}, {"Key": "team", "Value": "x"}])


if __name__ == "__main__":
    import unittest
    unittest.main()
