"""Fault injection and the control endpoint."""
import time

import botocore.exceptions

from simtest import ACCOUNT, ACCOUNT2, KEY2, SimTestCase


class FaultTest(SimTestCase):
    def test_throttle_every_nth_call_in_protocol_codes(self):
        _, r = self.sim.control("POST", "faults", {"kind": "throttle", "every": 2, "service": "ec2"})
        self.assertEqual(r["ids"], ["f1"])
        ec2 = self.client("ec2")
        ec2.describe_instances()
        r = self.assertAwsError("RequestLimitExceeded", ec2.describe_instances)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 503)
        ec2.describe_instances()
        self.client("sts").get_caller_identity()  # other services unaffected
        self.sim.control("POST", "faults", [{"kind": "throttle", "every": 1, "service": "iam"},
                                            {"kind": "throttle", "every": 1, "service": "ssm"},
                                            {"kind": "throttle", "every": 1, "service": "lambda"}])
        self.assertAwsError("Throttling", self.client("iam").list_users)
        self.assertAwsError("ThrottlingException", self.client("ssm").describe_instance_information)
        self.assertAwsError("TooManyRequestsException", self.client("lambda").list_functions)

    def test_token_bucket(self):
        self.sim.control("POST", "faults", {"kind": "throttle", "rate": 0.001, "burst": 3, "operation": "GetCallerIdentity"})
        sts = self.client("sts")
        for _ in range(3):
            sts.get_caller_identity()
        self.assertAwsError("Throttling", sts.get_caller_identity)

    def test_errors_per_account_with_count_and_sdk_retry(self):
        self.sim.control("POST", "faults", {"kind": "error", "status": 503, "account": ACCOUNT, "count": 2})
        self.assertAwsError("ServiceUnavailable", self.client("sts").get_caller_identity)
        self.client("sts", key=KEY2).get_caller_identity()  # other account unaffected
        # one left: boto3's standard retry gets through
        r = self.client("sts", retries=2).get_caller_identity()
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 1)
        self.sim.control("POST", "faults", {"kind": "error", "status": 500, "service": "ec2"})
        r = self.assertAwsError("InternalError", self.client("ec2").describe_instances)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 500)
        status, body = self.sim.control("POST", "faults", {"kind": "error", "status": 404})
        self.assertEqual((status, body["error"]), (400, "ValueError: an error fault's status is 500 or 503"))

    def test_drop_connection(self):
        self.sim.control("POST", "faults", {"kind": "drop", "operation": "GetCallerIdentity"})
        with self.assertRaises(botocore.exceptions.ConnectionClosedError):
            self.client("sts").get_caller_identity()

    def test_latency_and_slow(self):
        self.sim.control("POST", "faults", {"kind": "latency", "latency_ms": 300, "service": "sts"})
        t = time.monotonic()
        self.client("sts").get_caller_identity()
        self.assertGreaterEqual(time.monotonic() - t, 0.3)
        self.sim.control("DELETE", "faults")
        self.sim.control("POST", "faults", {"kind": "slow", "delay_ms": 2000, "service": "sts"})
        with self.assertRaises(botocore.exceptions.ReadTimeoutError):
            self.client("sts", read_timeout=0.5).get_caller_identity()

    def test_request_log_state_dump_and_reset(self):
        self.sim.control("DELETE", "requests")
        self.client("sts").get_caller_identity()
        self.assertAwsError("NotImplemented", self.client("ec2").describe_vpn_gateways)
        _, log = self.sim.control("GET", "requests")
        self.assertEqual([(e["service"], e["operation"], e["account"], e["status"], e["error"]) for e in log["requests"]],
                         [("sts", "GetCallerIdentity", ACCOUNT, 200, None),
                          ("ec2", "DescribeVpnGateways", ACCOUNT, 400, "NotImplemented")])
        _, log = self.sim.control("GET", "requests?service=ec2")
        self.assertEqual(log["count"], 1)
        self.client("sns").create_topic(Name="alerts")
        _, dump = self.sim.control("GET", "state?service=sns&account=" + ACCOUNT)
        self.assertEqual(list(dump["state"]), [ACCOUNT + "/us-east-1/sns"])
        self.sim.control("POST", "reset")
        self.assertEqual(self.client("sns").list_topics()["Topics"], [])

    def test_seed_calls_and_accounts(self):
        status, r = self.sim.control("POST", "seed", {
            "accounts": {"333333333333": {"credentials": [{"AccessKeyId": "AKIDTHREE", "SecretAccessKey": "s3cr3t"}]}},
            "calls": [{"account": "333333333333", "service": "sns", "operation": "CreateTopic", "params": {"Name": "t"}}]})
        self.assertEqual(status, 200, r)
        self.assertEqual(r["results"], [{"TopicArn": "arn:aws:sns:us-east-1:333333333333:t"}])
        sns = self.client("sns", key=("AKIDTHREE", "s3cr3t"))
        self.assertEqual(sns.list_topics()["Topics"], [{"TopicArn": "arn:aws:sns:us-east-1:333333333333:t"}])
        self.assertEqual(self.client("sts", key=("AKIDTHREE", "s3cr3t")).get_caller_identity()["Arn"], "arn:aws:iam::333333333333:root")
        status, r = self.sim.control("GET", "nothing")
        self.assertEqual((status, r["error"]), (404, "no control endpoint GET /__awssim/nothing"))
