"""AMIs, launching instances (pending until described, then running) and instance status, through
boto3; and the server's TCP_NODELAY (no delayed-ACK stall on a reused connection)."""
import http.client
import time

from simtest import ACCOUNT, KEY2, SimTestCase

WIN2022 = "ami-0a1b2c3d4e5f60001"
AL2023 = "ami-0a1b2c3d4e5f60004"


class ImagesTest(SimTestCase):
    def test_name_filter_with_wildcard_finds_the_one_windows_2022_full_base(self):
        ec2 = self.client("ec2")
        imgs = ec2.describe_images(Filters=[{"Name": "name", "Values": ["Windows_Server-2022-English-Full-Base*"]}])["Images"]
        self.assertEqual([i["ImageId"] for i in imgs], [WIN2022])
        img = imgs[0]
        self.assertEqual(img["Name"], "Windows_Server-2022-English-Full-Base-2024.11.13")
        self.assertEqual((img["Platform"], img["PlatformDetails"], img["Architecture"]), ("windows", "Windows", "x86_64"))
        self.assertEqual((img["OwnerId"], img["ImageOwnerAlias"], img["Public"], img["State"]), ("801119661308", "amazon", True, "available"))
        self.assertEqual(img["BlockDeviceMappings"][0]["DeviceName"], "/dev/sda1")
        self.assertEqual(img["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"], 30)
        # "*" anywhere, several values, several filters (all must match)
        both = ec2.describe_images(Filters=[{"Name": "name", "Values": ["Windows_Server-2022-*", "al2023-*-arm64"]}])["Images"]
        self.assertEqual(sorted(i["ImageId"] for i in both), ["ami-0a1b2c3d4e5f60001", "ami-0a1b2c3d4e5f60002", "ami-0a1b2c3d4e5f60005"])
        arm = ec2.describe_images(Filters=[{"Name": "name", "Values": ["*"]}, {"Name": "architecture", "Values": ["arm64"]}])["Images"]
        self.assertEqual([i["ImageId"] for i in arm], ["ami-0a1b2c3d4e5f60005"])
        self.assertEqual(ec2.describe_images(Filters=[{"Name": "name", "Values": ["Windows_Server-2025*"]}])["Images"], [])
        # a name filter is exact without a wildcard
        self.assertEqual(ec2.describe_images(Filters=[{"Name": "name", "Values": ["Windows_Server-2022-English-Full-Base"]}])["Images"], [])

    def test_owners_ids_and_errors(self):
        ec2 = self.client("ec2")
        self.assertEqual(len(ec2.describe_images()["Images"]), 6)
        self.assertEqual(len(ec2.describe_images(Owners=["amazon"])["Images"]), 5)
        self.assertEqual([i["ImageId"] for i in ec2.describe_images(Owners=["099720109477"])["Images"]], ["ami-0a1b2c3d4e5f60006"])
        self.assertEqual(ec2.describe_images(Owners=["self"])["Images"], [])
        self.assertEqual(ec2.describe_images(Filters=[{"Name": "platform", "Values": ["windows"]}], Owners=["amazon"])["Images"][2]["ImageId"],
                         "ami-0a1b2c3d4e5f60003")
        self.assertEqual(ec2.describe_images(ImageIds=[AL2023])["Images"][0]["Name"], "al2023-ami-2023.6.20241121.0-kernel-6.1-x86_64")
        r = self.assertAwsError("InvalidAMIID.NotFound", ec2.describe_images, ImageIds=["ami-0000000000000000f"])
        self.assertEqual(r["Error"]["Message"], "The image id '[ami-0000000000000000f]' does not exist")
        r = self.assertAwsError("InvalidAMIID.Malformed", ec2.describe_images, ImageIds=["ami-1"])
        self.assertEqual(r["Error"]["Message"], 'Invalid id: "ami-1" (expecting "ami-...")')
        r = self.assertAwsError("InvalidParameterValue", ec2.describe_images, Filters=[{"Name": "colour", "Values": ["x"]}])
        self.assertEqual(r["Error"]["Message"], "The filter 'colour' is invalid")
        page = ec2.describe_images(MaxResults=5)
        self.assertEqual((len(page["Images"]), page["NextToken"]), (5, "5"))
        self.assertEqual(len(ec2.describe_images(MaxResults=5, NextToken=page["NextToken"])["Images"]), 1)

    def test_an_accounts_own_images_from_its_seed(self):
        key = "%s/us-east-1/ec2" % ACCOUNT
        ec2 = self.client("ec2")
        ec2.describe_vpcs()  # the region's state exists once used
        st = self.state(key)
        st["images"]["ami-0123456789abcdef0"] = {
            "ImageId": "ami-0123456789abcdef0", "Name": "golden-web-2024", "State": "available", "Public": False,
            "Architecture": "x86_64", "ImageType": "machine", "Description": "golden", "RootDeviceType": "ebs",
            "RootDeviceName": "/dev/xvda", "VirtualizationType": "hvm", "Hypervisor": "xen", "EnaSupport": True,
            "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 16}}]}
        self.assertEqual(self.sim.control("POST", "seed", {"state": {key: st}})[0], 200)
        mine = ec2.describe_images(Owners=["self"])["Images"]
        self.assertEqual([(i["ImageId"], i["OwnerId"]) for i in mine], [("ami-0123456789abcdef0", ACCOUNT)])
        iid = ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        vols = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"]
        self.assertEqual([v["Size"] for v in vols], [16])
        # another account does not see it
        self.assertEqual(self.client("ec2", key=KEY2).describe_images(Owners=[ACCOUNT])["Images"], [])


class LaunchTest(SimTestCase):
    def test_run_instances_pending_then_running(self):
        ec2 = self.client("ec2")
        r = ec2.run_instances(ImageId=WIN2022, MinCount=1, MaxCount=1)
        inst = r["Instances"][0]
        iid = inst["InstanceId"]
        self.assertEqual(inst["State"], {"Code": 0, "Name": "pending"})
        self.assertEqual((inst["ImageId"], inst["Platform"], inst["RootDeviceName"]), (WIN2022, "windows", "/dev/sda1"))
        # one ENI in the default subnet, with the default VPC's default group
        subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [inst["VpcId"]]}])["Subnets"][0]
        self.assertTrue(subnet["DefaultForAz"])
        self.assertEqual(len(inst["NetworkInterfaces"]), 1)
        eni = inst["NetworkInterfaces"][0]
        self.assertEqual((eni["SubnetId"], eni["Attachment"]["DeviceIndex"], eni["Status"]), (subnet["SubnetId"], 0, "in-use"))
        self.assertEqual([g["GroupName"] for g in eni["Groups"]], ["default"])
        self.assertEqual(inst["PrivateIpAddress"], eni["PrivateIpAddress"])
        self.assertEqual(inst["BlockDeviceMappings"][0]["DeviceName"], "/dev/sda1")
        # the first describe still sees it pending; the second running (instance_polls = 2)
        states = [ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"] for _ in range(3)]
        self.assertEqual(states, [{"Code": 0, "Name": "pending"}, {"Code": 16, "Name": "running"}, {"Code": 16, "Name": "running"}])
        self.assertEqual(self.state("%s/us-east-1/ec2" % ACCOUNT)["instances"][iid]["State"]["Name"], "running")

    def test_run_instances_errors(self):
        ec2 = self.client("ec2")
        r = self.assertAwsError("InvalidAMIID.NotFound", ec2.run_instances, ImageId="ami-0000000000000000f", MinCount=1, MaxCount=1)
        self.assertEqual(r["Error"]["Message"], "The image id '[ami-0000000000000000f]' does not exist")
        self.assertAwsError("InvalidAMIID.Malformed", ec2.run_instances, ImageId="ami-1", MinCount=1, MaxCount=1)
        r = self.assertAwsError("MissingParameter", ec2.run_instances, MinCount=1, MaxCount=1)
        self.assertEqual(r["Error"]["Message"], "The request must contain the parameter ImageId")
        self.assertEqual(self.state("%s/us-east-1/ec2" % ACCOUNT)["instances"], {})

    def test_instance_status(self):
        ec2 = self.client("ec2")
        ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=AL2023, MinCount=2, MaxCount=2)["Instances"]]
        # pending: left out unless IncludeAllInstances
        self.assertEqual(ec2.describe_instance_status(InstanceIds=ids[:1])["InstanceStatuses"], [])
        self.assertEqual(ec2.describe_instance_status(InstanceIds=ids[1:], IncludeAllInstances=True)["InstanceStatuses"], [{
            "InstanceId": ids[1], "AvailabilityZone": "us-east-1a", "Events": [],
            "InstanceState": {"Code": 0, "Name": "pending"},
            "InstanceStatus": {"Status": "not-applicable"}, "SystemStatus": {"Status": "not-applicable"}}])
        # each has now been seen once; the next look finds both running
        got = ec2.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
        self.assertEqual([(s["InstanceId"], s["InstanceState"]["Name"]) for s in got], [(ids[0], "running"), (ids[1], "running")])
        self.assertEqual(got[0]["InstanceStatus"], {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]})
        self.assertEqual(got[0]["SystemStatus"]["Status"], "ok")
        ec2.stop_instances(InstanceIds=[ids[0]])
        self.assertEqual([s["InstanceId"] for s in ec2.describe_instance_status()["InstanceStatuses"]], [ids[1]])
        got = ec2.describe_instance_status(IncludeAllInstances=True, Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}])
        self.assertEqual([(s["InstanceId"], s["InstanceState"]) for s in got["InstanceStatuses"]], [(ids[0], {"Code": 80, "Name": "stopped"})])
        r = self.assertAwsError("InvalidInstanceID.NotFound", ec2.describe_instance_status, InstanceIds=["i-0000000000000000f"])
        self.assertEqual(r["Error"]["Message"], "The instance ID 'i-0000000000000000f' does not exist")
        self.assertAwsError("InvalidParameterValue", ec2.describe_instance_status, Filters=[{"Name": "tag:x", "Values": ["y"]}])

    def test_seeded_instances_run_at_once_and_instance_polls_setting(self):
        _, r = self.sim.control("POST", "seed", {"calls": [{"service": "ec2", "operation": "RunInstances",
                                                            "params": {"ImageId": AL2023, "MinCount": 1, "MaxCount": 1}}]})
        seeded = r["results"][0]["Instances"][0]
        self.assertEqual(seeded["State"]["Name"], "running")
        self.sim.control("POST", "seed", {"settings": {"instance_polls": 0}})
        ec2 = self.client("ec2")
        self.assertEqual(ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1)["Instances"][0]["State"]["Name"], "running")
        self.sim.control("POST", "seed", {"settings": {"instance_polls": 3}})
        iid = ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        names = [ec2.describe_instance_status(InstanceIds=[iid], IncludeAllInstances=True)["InstanceStatuses"][0]["InstanceState"]["Name"]
                 for _ in range(3)]
        self.assertEqual(names, ["pending", "pending", "running"])


class NoDelayTest(SimTestCase):
    def test_reused_connection_has_no_delayed_ack_stall(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=5)
        try:
            conn.request("GET", "/__awssim/health")
            conn.getresponse().read()
            t0 = time.monotonic()
            for _ in range(10):
                conn.request("GET", "/__awssim/health")
                r = conn.getresponse()
                self.assertEqual(r.read(), b'{\n "ok": true\n}')
            # with Nagle on, each response's body waits for the client's delayed ACK (~40 ms)
            self.assertLess(time.monotonic() - t0, 0.3)
        finally:
            conn.close()


class ControlCallTest(SimTestCase):
    def test_calls_take_the_sdk_member_names(self):
        # ec2's CreateSecurityGroup: Description on the SDK side, GroupDescription on the wire
        status, r = self.sim.control("POST", "call", {"service": "ec2", "operation": "CreateSecurityGroup",
                                                      "params": {"GroupName": "web", "Description": "web tier"}})
        self.assertEqual(status, 200, r)
        g = self.client("ec2").describe_security_groups(GroupIds=[r["result"]["GroupId"]])["SecurityGroups"][0]
        self.assertEqual((g["GroupName"], g["Description"]), ("web", "web tier"))
        status, r = self.sim.control("POST", "call", {"service": "ec2", "operation": "CreateSecurityGroup",
                                                      "params": {"GroupName": "db", "GroupDescription": "wire name"}})
        self.assertEqual((status, r), (400, {"error": "MissingParameter", "message": "The request must contain the parameter Description"}))
