"""Operations and faults the containment plugins' integration tests (tests/unit/test_containment_sim.c)
need: AWS error faults with a code, ec2:DescribeInstanceTypes, iam:ListMFADevices."""
from simtest import ACCOUNT, SimTestCase


class AwsErrorFaultTest(SimTestCase):
    def test_error_with_code_status_and_message(self):
        _, r = self.sim.control("POST", "faults", {
            "kind": "error", "code": "UnauthorizedOperation", "status": 403, "count": 1,
            "message": "You are not authorized to perform this operation.",
            "service": "ec2", "operation": "DescribeVpcs"})
        self.assertEqual(r["ids"], ["f1"])
        ec2 = self.client("ec2")
        r = self.assertAwsError("UnauthorizedOperation", ec2.describe_vpcs)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertEqual(r["Error"]["Message"], "You are not authorized to perform this operation.")
        ec2.describe_vpcs()  # count 1: used up
        log = self.sim.control("GET", "requests?operation=DescribeVpcs")[1]["requests"]
        self.assertEqual([e["error"] for e in log], ["UnauthorizedOperation", None])

    def test_default_status_and_message_in_query_and_json_protocols(self):
        self.sim.control("POST", "faults", [{"kind": "error", "code": "AccessDenied", "service": "iam"},
                                            {"kind": "error", "code": "AccessDeniedException", "service": "lambda",
                                             "status": 403}])
        r = self.assertAwsError("AccessDenied", self.client("iam").list_users)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(r["Error"]["Message"], "awssim fault f1: injected AccessDenied")
        r = self.assertAwsError("AccessDeniedException", self.client("lambda").list_functions)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 403)

    def test_after_lets_the_first_calls_through(self):
        self.sim.control("POST", "faults", {"kind": "error", "code": "AccessDenied", "status": 403,
                                            "operation": "GetCallerIdentity", "after": 2, "count": 1})
        sts = self.client("sts")
        sts.get_caller_identity()
        sts.get_caller_identity()
        self.assertAwsError("AccessDenied", sts.get_caller_identity)
        sts.get_caller_identity()

    def test_bad_rules(self):
        status, body = self.sim.control("POST", "faults", {"kind": "error", "code": "X", "status": 200})
        self.assertEqual((status, body["error"]),
                         (400, "ValueError: an error fault with a code has a status from 400 to 599"))
        status, body = self.sim.control("POST", "faults", {"kind": "error", "code": ""})
        self.assertEqual((status, body["error"]), (400, "ValueError: an error fault's code is a non-empty string"))


class StandbyMinSizeTest(SimTestCase):
    def test_decrement_below_min_size_refused(self):
        ec2, asg = self.client("ec2"), self.client("autoscaling")
        iid = ec2.run_instances(ImageId="ami-0a1b2c3d4e5f60004", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        # the simulator attaches the instance and counts it: desired 1, at the minimum
        asg.create_auto_scaling_group(AutoScalingGroupName="g", MinSize=1, MaxSize=3, DesiredCapacity=0, InstanceId=iid)
        for fn, verb in ((asg.enter_standby, "place into standby"), (asg.detach_instances, "detach")):
            r = self.assertAwsError("ValidationError", fn, AutoScalingGroupName="g", InstanceIds=[iid],
                                    ShouldDecrementDesiredCapacity=True)
            self.assertEqual(r["Error"]["Message"], "AutoScalingGroup g has min-size=1, max-size=3, and desired-size=1. "
                             "To %s 1 instances, please update the AutoScalingGroup sizes appropriately." % verb)
        # without the decrement the group would launch a replacement: allowed
        asg.enter_standby(AutoScalingGroupName="g", InstanceIds=[iid], ShouldDecrementDesiredCapacity=False)
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]
        self.assertEqual((g["DesiredCapacity"], g["Instances"][0]["LifecycleState"]), (1, "Standby"))

    def test_update_sizes(self):
        asg = self.client("autoscaling")
        asg.create_auto_scaling_group(AutoScalingGroupName="g", MinSize=1, MaxSize=3, DesiredCapacity=2)
        asg.update_auto_scaling_group(AutoScalingGroupName="g", MinSize=0)
        asg.update_auto_scaling_group(AutoScalingGroupName="g", MaxSize=1)  # desired follows the bounds
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]
        self.assertEqual((g["MinSize"], g["MaxSize"], g["DesiredCapacity"]), (0, 1, 1))
        r = self.assertAwsError("ValidationError", asg.update_auto_scaling_group, AutoScalingGroupName="g", DesiredCapacity=5)
        self.assertEqual(r["Error"]["Message"], "Desired capacity:5 must be between the specified min size:0 and max size:1")
        r = self.assertAwsError("ValidationError", asg.update_auto_scaling_group, AutoScalingGroupName="g", MinSize=4)
        self.assertEqual(r["Error"]["Message"], "Max bound, 1, must be greater than or equal to min bound, 4")


class InstanceTypesTest(SimTestCase):
    def test_instance_store_or_not(self):
        ec2 = self.client("ec2")
        r = ec2.describe_instance_types(InstanceTypes=["t3.micro", "m5d.large"])["InstanceTypes"]
        self.assertEqual([t["InstanceType"] for t in r], ["t3.micro", "m5d.large"])
        self.assertFalse(r[0]["InstanceStorageSupported"])
        self.assertNotIn("InstanceStorageInfo", r[0])
        self.assertTrue(r[1]["InstanceStorageSupported"])
        self.assertEqual(r[1]["InstanceStorageInfo"]["TotalSizeInGB"], 75)
        r = self.assertAwsError("InvalidInstanceType", ec2.describe_instance_types, InstanceTypes=["x9.huge"])
        self.assertEqual(r["Error"]["Message"], "The following supplied instance types do not exist: [x9.huge]")


class MfaDevicesTest(SimTestCase):
    def test_none_unless_seeded(self):
        iam = self.client("iam")
        iam.create_user(UserName="bob")
        self.assertEqual(iam.list_mfa_devices(UserName="bob")["MFADevices"], [])
        st = self.state("%s/iam" % ACCOUNT)
        st["users"]["bob"]["_mfa"] = [{"SerialNumber": "arn:aws:iam::%s:mfa/bob" % ACCOUNT,
                                       "EnableDate": "2026-01-02T03:04:05Z"}]
        self.sim.control("POST", "seed", {"state": {"%s/iam" % ACCOUNT: st}})
        d = iam.list_mfa_devices(UserName="bob")["MFADevices"]
        self.assertEqual([(x["UserName"], x["SerialNumber"]) for x in d], [("bob", "arn:aws:iam::%s:mfa/bob" % ACCOUNT)])
        self.assertAwsError("NoSuchEntity", iam.list_mfa_devices, UserName="nobody")
