"""Every stateful service through boto3, asserting parsed results and the simulator's state."""
import json
from urllib.parse import unquote

from simtest import ACCOUNT, ACCOUNT2, KEY2, SimTestCase

AMI = "ami-0a1b2c3d4e5f60004"  # seeded: Amazon Linux 2023, x86_64


class Ec2Test(SimTestCase):
    def _instance(self, enis=3):
        ec2 = self.client("ec2")
        sub = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        web = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
        r = ec2.run_instances(MinCount=1, MaxCount=1, ImageId=AMI, NetworkInterfaces=[
            {"DeviceIndex": i, "SubnetId": sub, "Groups": [web]} for i in range(enis)],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "suspect"}]}])
        return ec2, r["Instances"][0], web

    def test_instance_with_several_enis(self):
        ec2, inst, web = self._instance()
        got = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["susp*"]}])["Reservations"][0]["Instances"][0]
        self.assertEqual(got["InstanceId"], inst["InstanceId"])
        self.assertEqual(len(got["NetworkInterfaces"]), 3)
        self.assertEqual(got["NetworkInterfaces"][1]["Groups"], [{"GroupName": "web", "GroupId": web}])
        self.assertEqual(sorted(n["Attachment"]["DeviceIndex"] for n in got["NetworkInterfaces"]), [0, 1, 2])
        r = self.assertAwsError("InvalidInstanceID.NotFound", ec2.describe_instances, InstanceIds=["i-0000000000000000f"])
        self.assertEqual(r["Error"]["Message"], "The instance ID 'i-0000000000000000f' does not exist")

    def test_groups_conntrack_and_rules(self):
        ec2, inst, web = self._instance()
        iso = ec2.create_security_group(GroupName="isolation", Description="irx")["GroupId"]
        g = ec2.describe_security_groups(GroupIds=[iso])["SecurityGroups"][0]
        self.assertEqual(g["IpPermissions"], [])
        self.assertEqual(g["IpPermissionsEgress"], [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                                     "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}])
        ec2.revoke_security_group_egress(GroupId=iso, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.assertEqual(ec2.describe_security_groups(GroupIds=[iso])["SecurityGroups"][0]["IpPermissionsEgress"], [])
        self.assertAwsError("InvalidPermission.NotFound", ec2.revoke_security_group_egress, GroupId=iso,
                            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        r = ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}]}])
        self.assertTrue(r["SecurityGroupRules"][0]["SecurityGroupRuleId"].startswith("sgr-"))
        self.assertAwsError("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress, GroupId=web, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        for n in inst["NetworkInterfaces"]:
            ec2.modify_network_interface_attribute(NetworkInterfaceId=n["NetworkInterfaceId"], Groups=[iso])
            ec2.modify_network_interface_attribute(NetworkInterfaceId=n["NetworkInterfaceId"], ConnectionTrackingSpecification={
                "TcpEstablishedTimeout": 60, "UdpStreamTimeout": 60, "UdpTimeout": 30})
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [inst["InstanceId"]]}])["NetworkInterfaces"]
        self.assertEqual([e["Groups"] for e in enis], [[{"GroupName": "isolation", "GroupId": iso}]] * 3)
        self.assertEqual(enis[0]["ConnectionTrackingConfiguration"], {"TcpEstablishedTimeout": 60, "UdpStreamTimeout": 60, "UdpTimeout": 30})
        self.assertAwsError("InvalidParameterValue", ec2.modify_network_interface_attribute, NetworkInterfaceId=enis[0]["NetworkInterfaceId"],
                            ConnectionTrackingSpecification={"UdpTimeout": 5})
        r = self.assertAwsError("InvalidInstanceID", ec2.modify_instance_attribute, InstanceId=inst["InstanceId"], Groups=[web])
        self.assertEqual(r["Error"]["Message"], "There are multiple interfaces attached to instance '%s'. Please specify an interface ID for the operation instead." % inst["InstanceId"])
        self.assertAwsError("DependencyViolation", ec2.delete_security_group, GroupId=iso)

    def test_instance_attributes_and_termination_protection(self):
        ec2, inst, web = self._instance(enis=1)
        iid = inst["InstanceId"]
        ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": True})
        ec2.modify_instance_attribute(InstanceId=iid, InstanceInitiatedShutdownBehavior={"Value": "stop"})
        ec2.modify_instance_attribute(InstanceId=iid, BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": False}}])
        self.assertEqual(ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")["DisableApiTermination"], {"Value": True})
        bdm = ec2.describe_instance_attribute(InstanceId=iid, Attribute="blockDeviceMapping")["BlockDeviceMappings"]
        self.assertEqual([(b["DeviceName"], b["Ebs"]["DeleteOnTermination"]) for b in bdm], [("/dev/xvda", False)])
        self.assertAwsError("OperationNotPermitted", ec2.terminate_instances, InstanceIds=[iid])
        ec2.modify_instance_attribute(InstanceId=iid, Groups=[web])  # one ENI: allowed

    def test_snapshots_sharing_and_tags(self):
        ec2, inst, web = self._instance(enis=1)
        snaps = ec2.create_snapshots(InstanceSpecification={"InstanceId": inst["InstanceId"]},
                                     TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "irx:execution", "Value": "e1"}]}])["Snapshots"]
        sid = snaps[0]["SnapshotId"]
        states = [ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]["State"] for _ in range(2)]
        self.assertEqual(states, ["pending", "completed"])
        self.assertEqual(ec2.describe_snapshots(Filters=[{"Name": "tag:irx:execution", "Values": ["e1"]}], OwnerIds=["self"])["Snapshots"][0]["SnapshotId"], sid)
        ec2.modify_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission", OperationType="add", UserIds=[ACCOUNT2])
        self.assertEqual(ec2.describe_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")["CreateVolumePermissions"], [{"UserId": ACCOUNT2}])
        other = self.client("ec2", key=KEY2)
        self.assertEqual(other.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]["OwnerId"], ACCOUNT)
        vol = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True)
        self.assertTrue(vol["KmsKeyId"].startswith("arn:aws:kms:us-east-1:%s:key/" % ACCOUNT))
        esnap = ec2.create_snapshot(VolumeId=vol["VolumeId"])["SnapshotId"]
        self.assertAwsError("InvalidParameter", ec2.modify_snapshot_attribute, SnapshotId=esnap, Attribute="createVolumePermission",
                            OperationType="add", UserIds=[ACCOUNT2])
        ec2.create_tags(Resources=[inst["InstanceId"]], Tags=[{"Key": "irx:case", "Value": "c9"}])
        tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [inst["InstanceId"]]}])["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("Name", "suspect"), ("irx:case", "c9")])
        self.assertAwsError("InvalidID", ec2.create_tags, Resources=["i-00000000000000000"], Tags=[{"Key": "a", "Value": "b"}])

    def test_addresses_and_profile_associations(self):
        ec2, inst, web = self._instance(enis=1)
        iam = self.client("iam")
        iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
        ip = iam.create_instance_profile(InstanceProfileName="app")["InstanceProfile"]
        iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
        a = ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": "app"}, InstanceId=inst["InstanceId"])["IamInstanceProfileAssociation"]
        self.assertEqual(a["IamInstanceProfile"]["Arn"], ip["Arn"])
        got = ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": [inst["InstanceId"]]}])
        self.assertEqual(got["IamInstanceProfileAssociations"][0]["AssociationId"], a["AssociationId"])
        alloc = ec2.allocate_address(Domain="vpc")
        assoc = ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=inst["InstanceId"])
        self.assertEqual(ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [inst["InstanceId"]]}])["Addresses"][0]["AssociationId"], assoc["AssociationId"])
        ec2.disassociate_address(AssociationId=assoc["AssociationId"])
        self.assertNotIn("AssociationId", ec2.describe_addresses()["Addresses"][0])


class IamTest(SimTestCase):
    def test_user_lockdown_sequence(self):
        iam = self.client("iam")
        iam.create_user(UserName="bob", Path="/dev/", Tags=[{"Key": "team", "Value": "x"}])
        k = iam.create_access_key(UserName="bob")["AccessKey"]
        iam.create_login_profile(UserName="bob", Password="Passw0rd!")
        iam.attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/AWSDenyAll")
        iam.put_user_policy(UserName="bob", PolicyName="revoke", PolicyDocument=json.dumps({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}))
        iam.update_access_key(UserName="bob", AccessKeyId=k["AccessKeyId"], Status="Inactive")
        iam.delete_login_profile(UserName="bob")
        self.assertEqual(iam.get_user(UserName="bob")["User"]["Arn"], "arn:aws:iam::%s:user/dev/bob" % ACCOUNT)
        self.assertEqual([(m["AccessKeyId"], m["Status"]) for m in iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]], [(k["AccessKeyId"], "Inactive")])
        self.assertAwsError("NoSuchEntity", iam.get_login_profile, UserName="bob")
        self.assertEqual(iam.list_attached_user_policies(UserName="bob")["AttachedPolicies"], [{"PolicyName": "AWSDenyAll", "PolicyArn": "arn:aws:iam::aws:policy/AWSDenyAll"}])
        self.assertEqual(json.loads(unquote(iam.get_user_policy(UserName="bob", PolicyName="revoke")["PolicyDocument"]))["Statement"][0]["Effect"], "Deny")
        self.assertAwsError("DeleteConflict", iam.delete_user, UserName="bob")
        r = self.assertAwsError("NoSuchEntity", iam.get_user, UserName="nobody")
        self.assertEqual(r["Error"]["Message"], "The user with name nobody cannot be found.")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 404)

    def test_account_summary_counts(self):
        iam = self.client("iam")
        m = iam.get_account_summary()["SummaryMap"]
        self.assertEqual((m["Users"], m["Roles"], m["Policies"], m["InstanceProfiles"]), (1, 0, 0, 0))  # the seed's admin
        self.assertEqual((m["UsersQuota"], m["AccessKeysPerUserQuota"]), (5000, 2))
        iam.create_user(UserName="carol")
        iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
        iam.create_policy(PolicyName="p", PolicyDocument=json.dumps({"Statement": []}))
        iam.create_instance_profile(InstanceProfileName="app")
        iam.attach_user_policy(UserName="carol", PolicyArn="arn:aws:iam::aws:policy/AWSDenyAll")
        m = iam.get_account_summary()["SummaryMap"]
        self.assertEqual((m["Users"], m["Roles"], m["Policies"], m["InstanceProfiles"], m["PolicyVersionsInUse"]), (2, 1, 1, 1, 1))
        # another account counts its own
        self.assertEqual(self.client("iam", key=KEY2).get_account_summary()["SummaryMap"]["Users"], 1)

    def test_roles_with_paths_and_policies(self):
        iam = self.client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName="fn", Path="/service/x/", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        self.assertEqual(role["Arn"], "arn:aws:iam::%s:role/service/x/fn" % ACCOUNT)
        # AWS sends policy documents URL-encoded; boto3 decodes them only for shapes named
        # policyDocumentType, which the .min.json models inline, so decode here.
        self.assertEqual(json.loads(unquote(iam.get_role(RoleName="fn")["Role"]["AssumeRolePolicyDocument"])), trust)
        pol = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps({"Statement": []}))["Policy"]
        iam.attach_role_policy(RoleName="fn", PolicyArn=pol["Arn"])
        self.assertEqual(iam.get_policy(PolicyArn=pol["Arn"])["Policy"]["AttachmentCount"], 1)
        iam.detach_role_policy(RoleName="fn", PolicyArn=pol["Arn"])
        self.assertAwsError("NoSuchEntity", iam.detach_role_policy, RoleName="fn", PolicyArn=pol["Arn"])
        self.assertAwsError("EntityAlreadyExists", iam.create_role, RoleName="fn", AssumeRolePolicyDocument="{}")
        self.assertAwsError("MalformedPolicyDocument", iam.put_role_policy, RoleName="fn", PolicyName="x", PolicyDocument="{not json")
        iam.tag_role(RoleName="fn", Tags=[{"Key": "a", "Value": "1"}])
        self.assertEqual(iam.list_role_tags(RoleName="fn")["Tags"], [{"Key": "a", "Value": "1"}])
        self.assertEqual([r["RoleName"] for r in iam.list_roles(PathPrefix="/service/")["Roles"]], ["fn"])


class OtherServicesTest(SimTestCase):
    def test_lambda_concurrency_mappings_tags(self):
        lam = self.client("lambda")
        f = lam.create_function(FunctionName="worker", Role="arn:aws:iam::%s:role/fn" % ACCOUNT, Runtime="python3.12",
                                Handler="h.h", Code={"ZipFile": b"PK"}, Tags={"app": "w"})
        lam.create_alias(FunctionName="worker", Name="live", FunctionVersion="1")
        self.assertEqual(lam.get_function_concurrency(FunctionName="worker").get("ReservedConcurrentExecutions"), None)
        lam.put_function_concurrency(FunctionName=f["FunctionArn"], ReservedConcurrentExecutions=0)
        self.assertEqual(lam.get_function_concurrency(FunctionName="worker")["ReservedConcurrentExecutions"], 0)
        self.assertEqual(lam.get_function(FunctionName=f["FunctionArn"] + ":live")["Concurrency"], {"ReservedConcurrentExecutions": 0})
        lam.delete_function_concurrency(FunctionName="worker")
        self.assertNotIn("Concurrency", lam.get_function(FunctionName="worker"))
        m = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn="arn:aws:sqs:us-east-1:%s:q" % ACCOUNT)
        lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
        self.assertEqual(lam.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"][0]["State"], "Disabled")
        self.assertEqual(lam.list_tags(Resource=f["FunctionArn"])["Tags"], {"app": "w"})
        r = self.assertAwsError("ResourceNotFoundException", lam.get_function, FunctionName="nope")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 404)

    def test_autoscaling_and_elbv2(self):
        ec2 = self.client("ec2")
        iid = ec2.run_instances(MinCount=1, MaxCount=1, ImageId=AMI)["Instances"][0]["InstanceId"]
        asg = self.client("autoscaling")
        asg.create_auto_scaling_group(AutoScalingGroupName="web", MinSize=0, MaxSize=2, LaunchConfigurationName="lc")
        asg.attach_instances(AutoScalingGroupName="web", InstanceIds=[iid])
        asg.enter_standby(AutoScalingGroupName="web", InstanceIds=[iid], ShouldDecrementDesiredCapacity=True)
        self.assertEqual(asg.describe_auto_scaling_instances(InstanceIds=[iid])["AutoScalingInstances"][0]["LifecycleState"], "Standby")
        self.assertAwsError("ValidationError", asg.enter_standby, AutoScalingGroupName="web", InstanceIds=[iid], ShouldDecrementDesiredCapacity=True)
        asg.exit_standby(AutoScalingGroupName="web", InstanceIds=[iid])
        asg.detach_instances(AutoScalingGroupName="web", InstanceIds=[iid], ShouldDecrementDesiredCapacity=True)
        self.assertEqual(asg.describe_auto_scaling_instances(InstanceIds=[iid])["AutoScalingInstances"], [])
        elb = self.client("elbv2")
        tg = elb.create_target_group(Name="tg1", Protocol="HTTP", Port=80, VpcId="vpc-1")["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
        self.assertEqual(elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]["Target"], {"Id": iid, "Port": 80})
        elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
        self.assertEqual(elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"], [])
        self.assertAwsError("InvalidTarget", elb.register_targets, TargetGroupArn=tg, Targets=[{"Id": "i-00000000000000000"}])

    def test_ssm_automation_commands_parameters(self):
        ec2 = self.client("ec2")
        iam = self.client("iam")
        iam.create_instance_profile(InstanceProfileName="ssm")
        iid = ec2.run_instances(MinCount=1, MaxCount=1, ImageId=AMI, IamInstanceProfile={"Name": "ssm"})["Instances"][0]["InstanceId"]
        ssm = self.client("ssm")
        self.assertEqual(ssm.describe_instance_information()["InstanceInformationList"], [])  # still pending
        for _ in range(2):
            ec2.describe_instances(InstanceIds=[iid])
        self.assertEqual([i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]], [iid])
        eid = ssm.start_automation_execution(DocumentName="AWS-StopEC2Instance", Parameters={"InstanceId": [iid]})["AutomationExecutionId"]
        statuses = [ssm.get_automation_execution(AutomationExecutionId=eid)["AutomationExecution"]["AutomationExecutionStatus"] for _ in range(2)]
        self.assertEqual(statuses, ["Success", "Success"])
        self.assertEqual(ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"], "stopped")
        ec2.start_instances(InstanceIds=[iid])
        cid = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[iid], Parameters={"commands": ["uname -a"]})["Command"]["CommandId"]
        # invocations progress in time (tests/sim/test_ssm_commands.py has the details)
        self.assertAwsError("InvocationDoesNotExist", ssm.get_command_invocation, CommandId=cid, InstanceId=iid)
        ssm.put_parameter(Name="/irx/slack", Value="https://hooks.invalid/x", Type="SecureString")
        self.assertEqual(ssm.get_parameter(Name="/irx/slack", WithDecryption=True)["Parameter"]["Value"], "https://hooks.invalid/x")
        self.assertAwsError("ParameterNotFound", ssm.get_parameter, Name="/nope")
        self.assertAwsError("InvalidDocument", ssm.start_automation_execution, DocumentName="Nope")

    def test_sns_kms_s3(self):
        sns = self.client("sns")
        arn = sns.create_topic(Name="alerts")["TopicArn"]
        sns.publish(TopicArn=arn, Subject="contained", Message="i-123 isolated")
        msgs = self.state("%s/us-east-1/sns" % ACCOUNT)["topics"][arn]["messages"]
        self.assertEqual([(m["Subject"], m["Message"]) for m in msgs], [("contained", "i-123 isolated")])
        self.assertAwsError("NotFound", sns.publish, TopicArn=arn + "x", Message="m")
        kms = self.client("kms")
        key = kms.create_key(Description="forensics")["KeyMetadata"]
        kms.create_alias(AliasName="alias/forensics", TargetKeyId=key["KeyId"])
        self.assertEqual(kms.describe_key(KeyId="alias/forensics")["KeyMetadata"]["KeyManager"], "CUSTOMER")
        self.assertEqual(kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyManager"], "AWS")
        blob = kms.encrypt(KeyId="alias/forensics", Plaintext=b"secret")["CiphertextBlob"]
        self.assertEqual(kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"secret")
        self.assertAwsError("NotFoundException", kms.describe_key, KeyId="alias/none")
        s3 = self.client("s3")
        s3.create_bucket(Bucket="evidence")
        s3.put_object(Bucket="evidence", Key="case/1.txt", Body=b"data", Metadata={"case": "1"})
        o = s3.get_object(Bucket="evidence", Key="case/1.txt")
        self.assertEqual((o["Body"].read(), o["Metadata"]), (b"data", {"case": "1"}))
        self.assertEqual([c["Key"] for c in s3.list_objects_v2(Bucket="evidence", Prefix="case/")["Contents"]], ["case/1.txt"])
        self.assertAwsError("NoSuchKey", s3.get_object, Bucket="evidence", Key="nope")
        self.assertAwsError("NoSuchBucket", s3.list_objects_v2, Bucket="nobucket")
