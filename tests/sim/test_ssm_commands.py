"""SSM Run Command in the simulator, through boto3: managed instances, documents and parameters
checked, invocations that appear, wait Pending, run and end in time, the agent emulator's outputs
(sim/ssm_agent.py) and effects, failures, targets, cancellation."""
import hashlib
import time

from botocore.exceptions import ClientError
from simtest import ACCOUNT, SimTestCase

AL2023 = "ami-0a1b2c3d4e5f60004"
UBUNTU = "ami-0a1b2c3d4e5f60006"
WINDOWS = "ami-0a1b2c3d4e5f60001"
KERNEL = "6.1.115-126.197.amzn2023.x86_64"
# the timing the tests run with: registered after 0.1 s, running after 0.3 s, done after 0.6 s
FAST = {"command_register_seconds": 0.1, "command_pending_seconds": 0.2, "command_run_seconds": 0.3}


class Base(SimTestCase):
    """A fast timing, an instance profile 'ssm', helpers."""

    def setUp(self):
        super().setUp()
        self.assertEqual(self.sim.control("POST", "seed", {"settings": FAST})[0], 200)
        self.ec2, self.ssm, self.s3 = self.client("ec2"), self.client("ssm"), self.client("s3")
        self.client("iam").create_instance_profile(InstanceProfileName="ssm")

    def instance(self, image=AL2023, profile=True, agent=None, tags=()):
        kw = {"IamInstanceProfile": {"Name": "ssm"}} if profile else {}
        tags = list(tags) + ([{"Key": "awssim:ssm-agent", "Value": agent}] if agent else [])
        if tags:
            kw["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tags}]
        iid = self.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, **kw)["Instances"][0]["InstanceId"]
        for _ in range(2):  # boots after two looks
            self.ec2.describe_instances(InstanceIds=[iid])
        return iid

    def wait(self, cid, iid, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            try:
                r = self.ssm.get_command_invocation(CommandId=cid, InstanceId=iid)
                if r["Status"] not in ("Pending", "InProgress", "Delayed"):
                    return r
            except ClientError as e:  # the min.json models carry no error shapes
                self.assertEqual(e.response["Error"]["Code"], "InvocationDoesNotExist")
            time.sleep(0.05)
        self.fail("command %s did not end" % cid)

    def send(self, iid, *commands, doc="AWS-RunShellScript", **kw):
        return self.ssm.send_command(DocumentName=doc, InstanceIds=[iid], Parameters={"commands": list(commands)},
                                     **kw)["Command"]


class RunCommandTest(Base):
    # ------------------------------------------------------------ progression

    def test_invocation_appears_waits_runs_and_succeeds(self):
        iid = self.instance()
        cmd = self.send(iid, "uname -r", "id", "ls", "echo 'hello world'", Comment="c1")
        self.assertEqual((cmd["Status"], cmd["TargetCount"], cmd["CompletedCount"]), ("Pending", 1, 0))
        self.assertEqual(cmd["Parameters"], {"commands": ["uname -r", "id", "ls", "echo 'hello world'"],
                                             "workingDirectory": [""], "executionTimeout": ["3600"]})
        cid = cmd["CommandId"]
        # not registered yet: what GetCommandInvocation answers right after the send
        self.assertAwsError("InvocationDoesNotExist", self.ssm.get_command_invocation, CommandId=cid, InstanceId=iid)
        self.assertEqual(self.ssm.list_command_invocations(CommandId=cid)["CommandInvocations"], [])
        seen = []
        while not seen or seen[-1] not in ("Success", "Failed"):
            try:
                s = self.ssm.get_command_invocation(CommandId=cid, InstanceId=iid)["Status"]
            except ClientError as e:
                self.assertEqual(e.response["Error"]["Code"], "InvocationDoesNotExist")
                s = "-"
            if not seen or seen[-1] != s:
                seen.append(s)
            time.sleep(0.02)
        self.assertEqual(seen, ["-", "Pending", "InProgress", "Success"])
        r = self.ssm.get_command_invocation(CommandId=cid, InstanceId=iid)
        self.assertEqual(r["StandardOutputContent"], "%s\nuid=0(root) gid=0(root) groups=0(root)\n_script.sh\n"
                                                     "hello world\n" % KERNEL)
        self.assertEqual((r["ResponseCode"], r["StatusDetails"], r["StandardErrorContent"], r["PluginName"],
                          r["Comment"]), (0, "Success", "", "aws:runShellScript", "c1"))
        self.assertRegex(r["ExecutionElapsedTime"], r"^PT0\.3\d\dS$")
        c = self.ssm.list_commands(CommandId=cid)["Commands"][0]
        self.assertEqual((c["Status"], c["CompletedCount"], c["ErrorCount"]), ("Success", 1, 0))

    def test_list_command_invocations_details(self):
        iid = self.instance()
        cid = self.send(iid, "hostname", "#awssim-fail=3", "id")["CommandId"]
        self.wait(cid, iid)
        bare = self.ssm.list_command_invocations(CommandId=cid)["CommandInvocations"][0]
        self.assertEqual((bare["InstanceId"], bare["Status"], bare["CommandPlugins"]), (iid, "Failed", []))
        plug = self.ssm.list_command_invocations(CommandId=cid, Details=True)["CommandInvocations"][0]["CommandPlugins"][0]
        host = "ip-%s.ec2.internal" % self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0][
            "PrivateIpAddress"].replace(".", "-")
        self.assertEqual((plug["Name"], plug["Status"], plug["ResponseCode"]), ("aws:runShellScript", "Failed", 3))
        self.assertEqual(plug["Output"], "%s\n\n----------ERROR-------\nawssim: simulated failure (exit 3)\n" % host)
        c = self.ssm.list_commands(CommandId=cid)["Commands"][0]
        self.assertEqual((c["Status"], c["ErrorCount"]), ("Failed", 1))
        self.assertEqual(self.ssm.list_commands(Filters=[{"key": "Status", "value": "Success"}])["Commands"], [])
        self.assertEqual(len(self.ssm.list_commands(InstanceId=iid)["Commands"]), 1)

    def test_failure_marker_default_exit_code(self):
        iid = self.instance()
        cid = self.send(iid, "echo before", "false #awssim-fail", "echo after")["CommandId"]
        r = self.wait(cid, iid)
        self.assertEqual((r["Status"], r["StatusDetails"], r["ResponseCode"]), ("Failed", "Failed", 1))
        self.assertEqual((r["StandardOutputContent"], r["StandardErrorContent"]),
                         ("before\n", "awssim: simulated failure (exit 1)\n"))

    def test_cancel(self):
        iid = self.instance()
        cid = self.send(iid, "id")["CommandId"]
        self.assertAwsError("InvalidInstanceId", self.ssm.cancel_command, CommandId=cid, InstanceIds=["i-0123456789abcdef0"])
        self.ssm.cancel_command(CommandId=cid)
        time.sleep(0.7)  # past when it would have ended
        r = self.ssm.get_command_invocation(CommandId=cid, InstanceId=iid)
        self.assertEqual((r["Status"], r["StandardOutputContent"]), ("Cancelled", ""))
        self.assertEqual(self.ssm.list_commands(CommandId=cid)["Commands"][0]["Status"], "Cancelled")
        self.assertAwsError("InvalidCommandId", self.ssm.cancel_command, CommandId="5fca865b-49a8-4d53-8fe9-dbf2949786f8")
        self.assertAwsError("InvalidCommandId", self.ssm.get_command_invocation,
                            CommandId="5fca865b-49a8-4d53-8fe9-dbf2949786f8", InstanceId=iid)

    # ------------------------------------------------------------ what SendCommand refuses

    def test_unmanaged_instances(self):
        no_profile = self.instance(profile=False)
        no_agent = self.instance(agent="none")
        for iid in (no_profile, no_agent, "i-0123456789abcdef0"):
            r = self.assertAwsError("InvalidInstanceId", self.send, iid, "id")
            self.assertEqual(r["Error"]["Message"], "Instances [[%s]] not in a valid state for account %s" % (iid, ACCOUNT))
        self.assertEqual(self.ssm.describe_instance_information()["InstanceInformationList"], [])
        stopped = self.instance()
        self.ec2.stop_instances(InstanceIds=[stopped])
        self.assertAwsError("InvalidInstanceId", self.send, stopped, "id")

    def test_offline_agent_stays_pending(self):
        iid = self.instance(agent="offline")
        info = self.ssm.describe_instance_information(
            InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [iid]}])["InstanceInformationList"]
        self.assertEqual([i["PingStatus"] for i in info], ["ConnectionLost"])
        cid = self.send(iid, "id")["CommandId"]
        time.sleep(0.8)
        r = self.ssm.get_command_invocation(CommandId=cid, InstanceId=iid)
        self.assertEqual((r["Status"], r["ResponseCode"]), ("Pending", -1))

    def test_documents_and_parameters(self):
        iid = self.instance()
        r = self.assertAwsError("InvalidDocument", self.send, iid, "id", doc="Nope")
        self.assertEqual(r["Error"]["Message"], "Document with name Nope does not exist.")
        r = self.assertAwsError("InvalidDocument", self.ssm.send_command, DocumentName="AWS-StopEC2Instance",
                                InstanceIds=[iid])
        self.assertEqual(r["Error"]["Message"], "Document AWS-StopEC2Instance of type Automation cannot be used with SendCommand.")
        r = self.assertAwsError("InvalidParameters", self.ssm.send_command, DocumentName="AWS-RunShellScript",
                                InstanceIds=[iid], Parameters={"commands": ["id"], "shell": ["bash"]})
        self.assertEqual(r["Error"]["Message"], 'Parameter "shell" is not allowed by document AWS-RunShellScript.')
        r = self.assertAwsError("InvalidParameters", self.ssm.send_command, DocumentName="AWS-RunShellScript",
                                InstanceIds=[iid])
        self.assertEqual(r["Error"]["Message"], 'Parameter "commands" is required by document AWS-RunShellScript.')
        r = self.assertAwsError("InvalidParameters", self.ssm.send_command, DocumentName="AWS-RunShellScript",
                                InstanceIds=[iid], Parameters={"commands": ["id"], "executionTimeout": ["172801"]})
        self.assertIn('Parameter "executionTimeout" "172801" fails to match the allowed pattern', r["Error"]["Message"])
        self.assertAwsError("InvalidDocumentVersion", self.send, iid, "id", DocumentVersion="7")
        r = self.assertAwsError("ValidationException", self.send, iid, "id", TimeoutSeconds=10)
        self.assertEqual(r["Error"]["Message"], "1 validation error detected: Value '10' at 'timeoutSeconds' failed to "
                                                "satisfy constraint: Member must have value greater than or equal to 30")
        self.assertAwsError("ValidationException", self.ssm.send_command, DocumentName="AWS-RunShellScript",
                            Parameters={"commands": ["id"]})
        self.assertEqual(self.ssm.list_commands()["Commands"], [])

    # ------------------------------------------------------------ targets, platforms, output to S3

    def test_targets_by_tag(self):
        a = self.instance(tags=[{"Key": "role", "Value": "web"}])
        self.instance(tags=[{"Key": "role", "Value": "db"}])
        self.instance(profile=False, tags=[{"Key": "role", "Value": "web"}])  # not managed: not a target
        cmd = self.ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:role", "Values": ["web"]}],
                                    Parameters={"commands": ["whoami"]})["Command"]
        self.assertEqual((cmd["TargetCount"], cmd["InstanceIds"]), (1, []))
        self.wait(cmd["CommandId"], a)
        invs = self.ssm.list_command_invocations(CommandId=cmd["CommandId"], Details=True)["CommandInvocations"]
        self.assertEqual([(i["InstanceId"], i["CommandPlugins"][0]["Output"]) for i in invs], [(a, "root\n")])
        self.assertAwsError("ValidationException", self.ssm.send_command, DocumentName="AWS-RunShellScript",
                            InstanceIds=[a], Targets=[{"Key": "tag:role", "Values": ["web"]}],
                            Parameters={"commands": ["id"]})

    def test_platforms(self):
        win, ubuntu = self.instance(WINDOWS), self.instance(UBUNTU)
        info = {i["InstanceId"]: (i["PlatformType"], i["PlatformName"])
                for i in self.ssm.describe_instance_information()["InstanceInformationList"]}
        self.assertEqual(info, {win: ("Windows", "Microsoft Windows Server 2022 Datacenter"), ubuntu: ("Linux", "Ubuntu")})
        r = self.wait(self.send(win, "whoami", doc="AWS-RunPowerShellScript")["CommandId"], win)
        self.assertEqual((r["Status"], r["StandardOutputContent"], r["PluginName"]),
                         ("Success", "nt authority\\system\n", "aws:runPowerShellScript"))
        r = self.wait(self.send(win, "ls")["CommandId"], win)
        self.assertEqual((r["Status"], r["ResponseCode"]), ("Failed", 1))
        self.assertEqual(r["StandardErrorContent"],
                         "awssim: aws:runShellScript does not run on Windows instances (use AWS-RunPowerShellScript)\n")
        r = self.wait(self.send(ubuntu, "uname -r")["CommandId"], ubuntu)
        self.assertEqual(r["StandardOutputContent"], "6.8.0-1018-aws\n")

    def test_output_to_s3(self):
        iid = self.instance()
        self.s3.create_bucket(Bucket="out")
        cid = self.send(iid, "id", OutputS3BucketName="out", OutputS3KeyPrefix="runs")["CommandId"]
        r = self.wait(cid, iid)
        key = "runs/%s/%s/awsrunShellScript/0.awsrunShellScript/stdout" % (cid, iid)
        self.assertEqual(r["StandardOutputUrl"], "https://s3.us-east-1.amazonaws.com/out/" + key)
        self.assertEqual(self.s3.get_object(Bucket="out", Key=key)["Body"].read(),
                         b"uid=0(root) gid=0(root) groups=0(root)\n")


CAPTURE = """# irx ec2-forensic-capture: memory to S3 with a prebuilt, checksummed tool.
command -v bash >/dev/null || exit 1
cat >"$script" <<'IRX_CAPTURE'
set -euo pipefail
tool='%s'
src='s3://ev/tools/'
dst='s3://ev/evidence/exec-1/%s-memory.lime'
IRX_CAPTURE
bash "$script"
"""


class CaptureEmulationTest(Base):
    """The memory capture script of runbooks/ec2-forensic-capture.yaml, replayed against S3."""

    def put_tool(self, name, body, listed=None):
        self.s3.put_object(Bucket="ev", Key="tools/" + name, Body=body)
        self.s3.put_object(Bucket="ev", Key="tools/SHA256SUMS",
                           Body="%s  %s\n" % (listed or hashlib.sha256(body).hexdigest(), name))

    def capture(self, iid, tool="lime"):
        return self.wait(self.send(iid, CAPTURE % (tool, iid))["CommandId"], iid)

    def test_lime_capture_writes_image_and_digest(self):
        iid = self.instance()
        self.s3.create_bucket(Bucket="ev")
        self.put_tool("lime-%s.ko" % KERNEL, b"\x7fELF lime")
        r = self.capture(iid)
        image = self.s3.get_object(Bucket="ev", Key="evidence/exec-1/%s-memory.lime" % iid)["Body"].read()
        digest = hashlib.sha256(image).hexdigest()
        self.assertEqual(image[:4], b"EMiL")
        self.assertEqual((r["Status"], r["StandardErrorContent"]), ("Success", ""))
        self.assertEqual(r["StandardOutputContent"], "memory image s3://ev/evidence/exec-1/%s-memory.lime sha256 %s "
                                                     "(tool lime-%s.ko, kernel %s)\n" % (iid, digest, KERNEL, KERNEL))
        self.assertEqual(self.s3.get_object(Bucket="ev", Key="evidence/exec-1/%s-memory.lime.sha256" % iid)["Body"].read(),
                         ("%s  %s-memory.lime\n" % (digest, iid)).encode())

    def test_capture_refusals(self):
        iid = self.instance()
        self.s3.create_bucket(Bucket="ev")
        r = self.capture(iid, "avml")
        self.assertEqual((r["Status"], r["ResponseCode"]), ("Failed", 1))
        self.assertEqual(r["StandardErrorContent"], "fatal error: An error occurred (404) when calling the HeadObject "
                                                    "operation: Not Found\nirx: cannot read s3://ev/tools/SHA256SUMS\n")
        self.put_tool("avml", b"avml", listed="0" * 64)
        r = self.capture(iid, "avml")
        self.assertEqual(r["StandardErrorContent"], "sha256sum: WARNING: 1 computed checksum did NOT match\n"
                                                    "irx: avml does not match its SHA-256 in s3://ev/tools/SHA256SUMS: "
                                                    "refusing to run it\n")
        r = self.capture(iid, "lime")
        self.assertEqual(r["StandardErrorContent"], "fatal error: An error occurred (404) when calling the HeadObject "
                         "operation: Not Found\nirx: no prebuilt lime-%s.ko at s3://ev/tools/: build it offline for kernel "
                         "%s (never compile on the suspect host)\n" % (KERNEL, KERNEL))
        self.assertEqual(self.s3.list_objects_v2(Bucket="ev", Prefix="evidence/")["KeyCount"], 0)
        ubuntu = self.instance(UBUNTU)
        r = self.capture(ubuntu, "avml")
        self.assertEqual(r["StandardErrorContent"], "irx: no AWS CLI on the instance: cannot fetch the capture tool "
                                                    "(nothing was installed)\n")
