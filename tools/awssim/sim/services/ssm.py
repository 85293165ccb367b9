"""SSM: documents (incl. AWS-managed AWS-StopEC2Instance, AWS-RunShellScript,
AWS-RunPowerShellScript), automation executions that progress a step per GetAutomationExecution
poll, Run Command (commands whose invocations progress in time, outputs from the agent emulator in
sim/ssm_agent.py), managed-instance information, and Parameter Store."""
import json
import re
import time
import uuid

from .. import ssm_agent
from ..errors import AwsError
from ..world import now_iso
from . import Context, Service, need


def _shell_doc(plugin, what):
    """AWS-RunShellScript / AWS-RunPowerShellScript as AWS publishes them (schema 1.2)."""
    return {"schemaVersion": "1.2", "description": "Run a %s script or specify the commands to run." % what,
            "parameters": {
                "commands": {"type": "StringList", "description": "(Required) Specify a %s script or a command to run." % what,
                             "minItems": 1, "displayType": "textarea"},
                "workingDirectory": {"type": "String", "default": "",
                                     "description": "(Optional) The path to the working directory on your instance.",
                                     "maxChars": 4096},
                "executionTimeout": {"type": "String", "default": "3600",
                                     "description": "(Optional) The time in seconds for a command to complete before it is "
                                                    "considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).",
                                     "allowedPattern": "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)"}},
            "runtimeConfig": {plugin: {"properties": [{"id": "0." + plugin, "runCommand": "{{ commands }}",
                                                       "workingDirectory": "{{ workingDirectory }}",
                                                       "timeoutSeconds": "{{ executionTimeout }}"}]}}}


def _iso(ts):
    """Epoch seconds as SSM writes times: 2024-11-21T19:12:41.123Z."""
    d = ssm_agent.utc(ts)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)

AWS_DOCS = {
    "AWS-StopEC2Instance": ("Automation", {"schemaVersion": "0.3", "parameters": {"InstanceId": {"type": "StringList"}, "AutomationAssumeRole": {"type": "String", "default": ""}},
                                           "mainSteps": [{"name": "stopInstances", "action": "aws:changeInstanceState", "inputs": {"InstanceIds": "{{ InstanceId }}", "DesiredState": "stopped"}}]}),
    "AWS-RunShellScript": ("Command", _shell_doc("aws:runShellScript", "shell")),
    "AWS-RunPowerShellScript": ("Command", _shell_doc("aws:runPowerShellScript", "PowerShell")),
}


class SERVICE(Service):
    NAME = "ssm"

    def initial_state(self, account, region):
        st = {"documents": {}, "automations": {}, "commands": {}, "parameters": {}}
        for name, (dtype, content) in AWS_DOCS.items():
            st["documents"][name] = {"Name": name, "DocumentType": dtype, "DocumentFormat": "JSON", "Owner": "Amazon",
                                     "Status": "Active", "DocumentVersion": "1", "SchemaVersion": content["schemaVersion"],
                                     "CreatedDate": "2018-01-01T00:00:00Z", "_content": json.dumps(content)}
        return st

    def _doc(self, ctx, name):
        d = ctx.state()["documents"].get(name)
        if d is None:
            raise AwsError("InvalidDocument", "Document with name %s does not exist." % name)
        return d

    def CreateDocument(self, ctx, p):
        need(p, "Name", "Content")
        st = ctx.state()
        if p["Name"] in st["documents"]:
            raise AwsError("DocumentAlreadyExists", "Document with same name %s already exists" % p["Name"])
        fmt = p.get("DocumentFormat", "JSON")
        if fmt == "JSON":
            try:
                content = json.loads(p["Content"])
            except ValueError:
                raise AwsError("InvalidDocumentContent", "JSON not well-formed")
        else:
            content = {}
        d = {"Name": p["Name"], "DocumentType": p.get("DocumentType", "Command"), "DocumentFormat": fmt,
             "Owner": ctx.account, "Status": "Active", "DocumentVersion": "1",
             "SchemaVersion": str(content.get("schemaVersion", "")), "CreatedDate": now_iso(),
             "Tags": list(p.get("Tags", [])), "_content": p["Content"]}
        st["documents"][p["Name"]] = d
        return {"DocumentDescription": d}

    def DescribeDocument(self, ctx, p):
        return {"Document": self._doc(ctx, p.get("Name"))}

    def GetDocument(self, ctx, p):
        d = self._doc(ctx, p.get("Name"))
        return dict(d, Content=d["_content"])

    def ListDocuments(self, ctx, p):
        return {"DocumentIdentifiers": list(ctx.state()["documents"].values())}

    def DeleteDocument(self, ctx, p):
        d = self._doc(ctx, p.get("Name"))
        if d["Owner"] == "Amazon":
            raise AwsError("InvalidDocumentOperation", "You cannot delete an AWS-owned document")
        del ctx.state()["documents"][d["Name"]]
        return {}

    # ------------------------------------------------------------ automation

    def StartAutomationExecution(self, ctx, p):
        need(p, "DocumentName")
        d = self._doc(ctx, p["DocumentName"])
        if d["DocumentType"] != "Automation":
            raise AwsError("InvalidAutomationExecutionParameters", "Document %s is not an Automation document" % d["Name"])
        content = json.loads(d["_content"]) if d["DocumentFormat"] == "JSON" else {"mainSteps": [{"name": "step1", "action": "aws:sleep"}]}
        eid = str(uuid.uuid4())
        steps = [{"StepName": s.get("name"), "Action": s.get("action"), "StepStatus": "Pending", "StepExecutionId": str(uuid.uuid4()),
                  "Inputs": {k: json.dumps(v) for k, v in (s.get("inputs") or {}).items()}} for s in content.get("mainSteps", [])]
        ctx.state()["automations"][eid] = {
            "AutomationExecutionId": eid, "DocumentName": d["Name"], "DocumentVersion": p.get("DocumentVersion", "1"),
            "ExecutionStartTime": now_iso(), "AutomationExecutionStatus": "InProgress",
            "Parameters": p.get("Parameters", {}), "StepExecutions": steps, "Outputs": {}, "Mode": p.get("Mode", "Auto"),
            "ExecutedBy": ctx.cred["Arn"], "TargetLocations": p.get("TargetLocations"), "_polls": 0}
        return {"AutomationExecutionId": eid}

    def _advance(self, ctx, ex):
        if ex["AutomationExecutionStatus"] != "InProgress":
            return
        ex["_polls"] += 1
        per = max(1, int(ctx.world.settings["automation_polls"]))
        done = min(len(ex["StepExecutions"]), ex["_polls"] // per)
        for i, s in enumerate(ex["StepExecutions"]):
            if i < done and s["StepStatus"] != "Success":
                s.update(StepStatus="Success", ExecutionStartTime=now_iso(), ExecutionEndTime=now_iso())
                self._effect(ctx, ex, s)
            elif i == done and s["StepStatus"] == "Pending":
                s.update(StepStatus="InProgress", ExecutionStartTime=now_iso())
        if done >= len(ex["StepExecutions"]):
            ex["AutomationExecutionStatus"] = "Success"
            ex["ExecutionEndTime"] = now_iso()

    def _effect(self, ctx, ex, step):
        # AWS-StopEC2Instance really stops the instances, so drills can assert it.
        if step["Action"] == "aws:changeInstanceState":
            ec2 = ctx.state("ec2")
            for iid in ex["Parameters"].get("InstanceId", []):
                if iid in ec2["instances"]:
                    ec2["instances"][iid]["State"] = {"Code": 80, "Name": "stopped"}

    def GetAutomationExecution(self, ctx, p):
        ex = ctx.state()["automations"].get(p.get("AutomationExecutionId"))
        if ex is None:
            raise AwsError("AutomationExecutionNotFoundException", "Automation Execution %s is not found" % p.get("AutomationExecutionId"))
        self._advance(ctx, ex)
        return {"AutomationExecution": ex}

    def DescribeAutomationExecutions(self, ctx, p):
        return {"AutomationExecutionMetadataList": list(ctx.state()["automations"].values())}

    def StopAutomationExecution(self, ctx, p):
        ex = ctx.state()["automations"].get(p.get("AutomationExecutionId"))
        if ex is None:
            raise AwsError("AutomationExecutionNotFoundException", "Automation Execution %s is not found" % p.get("AutomationExecutionId"))
        if ex["AutomationExecutionStatus"] == "InProgress":
            ex["AutomationExecutionStatus"] = "Cancelled"
        return {}

    # ------------------------------------------------------------ run command
    #
    # A managed instance: running, with an IAM instance profile associated (the agent's
    # credentials), and an agent: the tag "awssim:ssm-agent" says which (absent or "online": an
    # agent online; "offline": registered but not answering, PingStatus ConnectionLost, commands
    # stay Pending until their delivery timeout; "none": no agent, not managed at all).
    #
    # SendCommand makes a Command with one invocation per instance; each invocation, measured from
    # the send in wall-clock seconds (settings, so waiting code is exercised):
    #   [0, command_register_seconds)      not there yet: GetCommandInvocation answers
    #                                      InvocationDoesNotExist, ListCommandInvocations omits it
    #   [.., + command_pending_seconds)    Pending (the agent has not picked it up)
    #   [.., + command_run_seconds)        InProgress
    #   after                              Success, or Failed with the emulated exit code
    # Outputs come from sim/ssm_agent.py (an emulator: nothing runs on the host). Effects (the
    # emulated S3 writes, the OutputS3BucketName copies) happen when the invocation ends.

    TIMING = {"command_register_seconds": 0.2, "command_pending_seconds": 0.3, "command_run_seconds": 0.8}
    PLUGINS = {"AWS-RunShellScript": "aws:runShellScript", "AWS-RunPowerShellScript": "aws:runPowerShellScript"}
    FINAL = ("Success", "Failed", "Cancelled", "TimedOut")
    AGENT_TAG = "awssim:ssm-agent"

    def _setting(self, ctx, name):
        return float(ctx.world.settings.get(name, self.TIMING[name]))

    def _agent(self, ctx, ec2, iid, inst):
        """'online', 'offline' or None (not managed)."""
        if inst["State"]["Name"] != "running" or not ctx.world.services["ec2"]._association_for(ec2, iid):
            return None
        agent = ec2["tags"].get(iid, {}).get(self.AGENT_TAG, "online")
        return agent if agent in ("online", "offline") else None

    def _managed(self, ctx):
        ec2 = ctx.state("ec2")
        out = {}
        for iid, i in ec2["instances"].items():
            agent = self._agent(ctx, ec2, iid, i)
            if agent:
                out[iid] = (i, agent)
        return out

    def _platform(self, ctx, inst):
        """(PlatformType, PlatformName, PlatformVersion, image name, architecture)."""
        ec2svc = ctx.world.services["ec2"]
        name = ""
        for img in ec2svc._images(ctx, ctx.state("ec2")):
            if img["ImageId"] == inst["ImageId"]:
                name = img.get("Name", "")
        if inst.get("Platform") == "windows":
            year = "2019" if "2019" in name else "2016" if "2016" in name else "2022"
            build = {"2016": "10.0.14393", "2019": "10.0.17763", "2022": "10.0.20348"}[year]
            return "Windows", "Microsoft Windows Server %s Datacenter" % year, build, name, inst["Architecture"]
        if "ubuntu" in name.lower():
            return "Linux", "Ubuntu", "24.04", name, inst["Architecture"]
        return "Linux", "Amazon Linux", "2023", name, inst["Architecture"]

    def _info(self, ctx, iid, inst, agent):
        ptype, pname, pver, _, _ = self._platform(ctx, inst)
        ip = inst["PrivateIpAddress"]
        return {"InstanceId": iid, "PingStatus": "Online" if agent == "online" else "ConnectionLost",
                "LastPingDateTime": now_iso(), "AgentVersion": "3.3.1142.0", "IsLatestVersion": True,
                "PlatformType": ptype, "PlatformName": pname, "PlatformVersion": pver, "ResourceType": "EC2Instance",
                "IPAddress": ip, "ComputerName": ssm_agent.Host(iid, ip, ptype, "", "x86_64").hostname,
                "AssociationStatus": "Success", "SourceId": iid, "SourceType": "AWS::EC2::Instance"}

    def DescribeInstanceInformation(self, ctx, p):
        out = [self._info(ctx, iid, i, agent) for iid, (i, agent) in self._managed(ctx).items()]
        filters = [(f.get("key"), f.get("valueSet", [])) for f in p.get("InstanceInformationFilterList", [])]
        filters += [(f.get("Key"), f.get("Values", [])) for f in p.get("Filters", [])]
        fields = {"InstanceIds": "InstanceId", "PingStatus": "PingStatus", "PlatformTypes": "PlatformType",
                  "ResourceType": "ResourceType", "AgentVersion": "AgentVersion"}
        tags = ctx.state("ec2")["tags"]
        for key, values in filters:
            if key in fields:
                out = [o for o in out if o[fields[key]] in values]
            elif key and key.startswith("tag:"):
                out = [o for o in out if tags.get(o["InstanceId"], {}).get(key[4:]) in values]
            elif key == "tag-key":
                out = [o for o in out if any(v in tags.get(o["InstanceId"], {}) for v in values)]
            else:
                raise AwsError("InvalidInstanceInformationFilterValue", "The filter key %s is not valid." % key)
        return self._page(out, p, "InstanceInformationList", 50)

    def _page(self, items, p, key, limit):
        n = int(p.get("MaxResults") or limit)
        if not 1 <= n <= limit:
            raise AwsError("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to "
                           "satisfy constraint: Member must have value less than or equal to %d" % (n, limit))
        start = int(p.get("NextToken") or 0)
        out = {key: items[start:start + n]}
        if start + n < len(items):
            out["NextToken"] = str(start + n)
        return out

    def _check_parameters(self, d, params):
        """SendCommand's Parameters against the document's; the values with defaults filled."""
        spec = json.loads(d["_content"]).get("parameters", {}) if d["DocumentFormat"] == "JSON" else {}
        unknown = sorted(set(params) - set(spec))
        if unknown:
            raise AwsError("InvalidParameters", "Parameter \"%s\" is not allowed by document %s." % (unknown[0], d["Name"]))
        out = {}
        for name, s in spec.items():
            vals = params.get(name)
            if vals is None:
                if "default" not in s:
                    raise AwsError("InvalidParameters", "Parameter \"%s\" is required by document %s." % (name, d["Name"]))
                vals = s["default"] if isinstance(s["default"], list) else [s["default"]]
            if s.get("type") == "String" and len(vals) != 1:
                raise AwsError("InvalidParameters", "Parameter \"%s\" takes one value, got %d." % (name, len(vals)))
            if s.get("type") == "StringList" and len(vals) < int(s.get("minItems", 0)):
                raise AwsError("InvalidParameters", "Parameter \"%s\" needs at least %d value(s)." % (name, s["minItems"]))
            pattern = s.get("allowedPattern")
            if pattern and params.get(name) is not None and not all(re.fullmatch(pattern, v) for v in vals):
                raise AwsError("InvalidParameters", "Parameter \"%s\" \"%s\" fails to match the allowed pattern %s." % (
                    name, vals[0], pattern))
            out[name] = list(vals)
        return out

    def _resolve_targets(self, ctx, targets, managed):
        tags = ctx.state("ec2")["tags"]
        if len(targets) != 1:
            raise AwsError("InvalidTarget", "Only one target key is supported by awssim.")
        key, values = targets[0].get("Key", ""), targets[0].get("Values", [])
        if key == "InstanceIds":
            return [v for v in values if v in managed]
        if key.startswith("tag:"):
            return sorted(i for i in managed if tags.get(i, {}).get(key[4:]) in values)
        if key == "tag-key":
            return sorted(i for i in managed if any(v in tags.get(i, {}) for v in values))
        raise AwsError("InvalidTarget", "Target key %s is not supported." % key)

    def SendCommand(self, ctx, p):
        need(p, "DocumentName")
        d = ctx.state()["documents"].get(p["DocumentName"])
        if d is None:
            raise AwsError("InvalidDocument", "Document with name %s does not exist." % p["DocumentName"])
        if d["DocumentType"] != "Command":
            raise AwsError("InvalidDocument", "Document %s of type %s cannot be used with SendCommand." % (
                d["Name"], d["DocumentType"]))
        if p.get("DocumentVersion") not in (None, "$DEFAULT", "$LATEST", d["DocumentVersion"]):
            raise AwsError("InvalidDocumentVersion", "The document version is not valid or does not exist.")
        ids, targets = p.get("InstanceIds") or [], p.get("Targets") or []
        if bool(ids) == bool(targets):
            raise AwsError("ValidationException", "Exactly one of InstanceIds or Targets must be specified." if ids
                           else "Either InstanceIds or Targets must be specified.")
        timeout = p.get("TimeoutSeconds", 3600)
        if not 30 <= int(timeout) <= 2592000:
            raise AwsError("ValidationException", "1 validation error detected: Value '%d' at 'timeoutSeconds' failed "
                           "to satisfy constraint: Member must have value %s" % (
                               int(timeout), "greater than or equal to 30" if int(timeout) < 30
                               else "less than or equal to 2592000"))
        managed = self._managed(ctx)
        if ids:
            bad = [i for i in ids if i not in managed]
            if bad:
                raise AwsError("InvalidInstanceId", "Instances [[%s]] not in a valid state for account %s" % (
                    ", ".join(bad), ctx.account))
        else:
            ids = self._resolve_targets(ctx, targets, managed)
        params = self._check_parameters(d, p.get("Parameters") or {})
        cid = str(uuid.uuid4())
        sent = time.time()
        reg = sent + self._setting(ctx, "command_register_seconds")
        start = reg + self._setting(ctx, "command_pending_seconds")
        end = start + self._setting(ctx, "command_run_seconds")
        invs = {}
        for iid in ids:
            inst = managed[iid][0]
            invs[iid] = {"InstanceId": iid, "InstanceName": "", "Status": "Pending", "StatusDetails": "Pending",
                         "ResponseCode": -1, "stdout": "", "stderr": "", "_agent": managed[iid][1],
                         "_reg": reg, "_start": start, "_end": end, "_private_ip": inst["PrivateIpAddress"]}
        cmd = {"CommandId": cid, "DocumentName": d["Name"], "DocumentVersion": p.get("DocumentVersion", "$DEFAULT"),
               "Comment": p.get("Comment", ""), "ExpiresAfter": _iso(sent + int(timeout)),
               "Parameters": params, "InstanceIds": list(p.get("InstanceIds") or []), "Targets": targets,
               "RequestedDateTime": _iso(sent), "Status": "Pending", "StatusDetails": "Pending",
               "OutputS3Region": p.get("OutputS3Region", ctx.region) if p.get("OutputS3BucketName") else None,
               "OutputS3BucketName": p.get("OutputS3BucketName"), "OutputS3KeyPrefix": p.get("OutputS3KeyPrefix"),
               "MaxConcurrency": p.get("MaxConcurrency", "50"), "MaxErrors": p.get("MaxErrors", "0"),
               "TargetCount": len(ids), "CompletedCount": 0, "ErrorCount": 0, "DeliveryTimedOutCount": 0,
               "TimeoutSeconds": int(timeout), "ServiceRole": p.get("ServiceRoleArn"),
               "_sent": sent, "_invocations": invs, "_cancelled": False}
        ctx.state()["commands"][cid] = cmd
        self._refresh(ctx, cmd)
        return {"Command": cmd}

    def _host(self, ctx, iid, inv):
        inst = ctx.state("ec2")["instances"].get(iid)
        if inst is None:
            return ssm_agent.Host(iid, inv["_private_ip"], "Linux", "", "x86_64")
        ptype, _, _, name, arch = self._platform(ctx, inst)
        return ssm_agent.Host(iid, inst["PrivateIpAddress"], ptype, name, arch)

    def _finish(self, ctx, cmd, iid, inv):
        """Runs the emulator once, when the invocation ends, and applies its effects."""
        s3svc = ctx.world.services["s3"]
        s3ctx = Context(ctx.world, "s3", "SendCommand", ctx.account, ctx.region, ctx.cred, ctx.request_id)
        buckets = s3ctx.state()["buckets"]

        class S3:
            @staticmethod
            def get(bucket, key):
                o = buckets.get(bucket, {}).get("objects", {}).get(key)
                return o["Body"].encode("latin-1") if o else None

            @staticmethod
            def bucket_exists(bucket):
                return bucket in buckets

        plugin = self.PLUGINS.get(cmd["DocumentName"], "aws:runShellScript")
        res = ssm_agent.run(self._host(ctx, iid, inv), plugin, cmd["Parameters"].get("commands", []),
                            cmd["CommandId"], ssm_agent.utc(inv["_start"]), S3)
        puts = list(res.puts)
        if cmd.get("OutputS3BucketName"):
            prefix = "/".join(x for x in (cmd.get("OutputS3KeyPrefix") or "", cmd["CommandId"], iid,
                                          plugin.replace(":", ""), "0." + plugin.replace(":", "")) if x)
            for stream, text in (("stdout", res.stdout), ("stderr", res.stderr)):
                if text:
                    puts.append((cmd["OutputS3BucketName"], prefix + "/" + stream, text.encode()))
            url = "https://s3.%s.amazonaws.com/%s/%s/" % (cmd["OutputS3Region"], cmd["OutputS3BucketName"], prefix)
            inv["StandardOutputUrl"], inv["StandardErrorUrl"] = url + "stdout", url + "stderr"
        for bucket, key, body in puts:
            if bucket in buckets:
                s3svc.PutObject(s3ctx, {"Bucket": bucket, "Key": key, "Body": body})
        status = "Success" if res.code == 0 else "Failed"
        inv.update(Status=status, StatusDetails=status, ResponseCode=res.code, stdout=res.stdout, stderr=res.stderr)

    def _refresh(self, ctx, cmd):
        """Brings the command's invocations to the present."""
        now = time.time()
        for iid, inv in cmd["_invocations"].items():
            if inv["Status"] in self.FINAL:
                continue
            if inv["_agent"] != "online":
                if now >= cmd["_sent"] + cmd["TimeoutSeconds"]:
                    inv.update(Status="TimedOut", StatusDetails="Delivery Timed Out", _end=now)
                continue
            if now >= inv["_end"]:
                self._finish(ctx, cmd, iid, inv)
            elif now >= inv["_start"]:
                inv.update(Status="InProgress", StatusDetails="InProgress")
        invs = list(cmd["_invocations"].values())
        final = [i for i in invs if i["Status"] in self.FINAL]
        cmd["CompletedCount"] = len(final)
        cmd["ErrorCount"] = sum(1 for i in invs if i["Status"] == "Failed" or i["StatusDetails"] == "Execution Timed Out")
        cmd["DeliveryTimedOutCount"] = sum(1 for i in invs if i["StatusDetails"] == "Delivery Timed Out")
        if len(final) == len(invs):
            statuses = {i["Status"] for i in invs}
            status = ("Cancelled" if "Cancelled" in statuses else "Failed" if "Failed" in statuses
                      else "TimedOut" if "TimedOut" in statuses else "Success")
        elif cmd["_cancelled"]:
            status = "Cancelling"
        else:
            status = "InProgress" if any(i["Status"] != "Pending" for i in invs) or now >= min(
                i["_start"] for i in invs) else "Pending"
        cmd["Status"] = cmd["StatusDetails"] = status

    def _command(self, ctx, cid):
        cmd = ctx.state()["commands"].get(cid)
        if cmd is None:
            raise AwsError("InvalidCommandId", "")
        self._refresh(ctx, cmd)
        return cmd

    def GetCommandInvocation(self, ctx, p):
        need(p, "CommandId", "InstanceId")
        cmd = self._command(ctx, p["CommandId"])
        inv = cmd["_invocations"].get(p["InstanceId"])
        if inv is None or time.time() < inv["_reg"]:
            raise AwsError("InvocationDoesNotExist", "")
        plugin = self.PLUGINS.get(cmd["DocumentName"], "aws:runShellScript")
        if p.get("PluginName") not in (None, plugin):
            raise AwsError("InvalidPluginName", "")
        ran = inv["Status"] in ("InProgress", "Success", "Failed") or (
            inv["Status"] == "Cancelled" and time.time() >= inv["_start"])
        done = inv["Status"] in ("Success", "Failed")
        return {"CommandId": cmd["CommandId"], "InstanceId": inv["InstanceId"], "Comment": cmd["Comment"],
                "DocumentName": cmd["DocumentName"], "DocumentVersion": cmd["DocumentVersion"], "PluginName": plugin,
                "ResponseCode": inv["ResponseCode"],
                "ExecutionStartDateTime": _iso(inv["_start"]) if ran else "",
                "ExecutionElapsedTime": "PT%.3fS" % ((inv["_end"] if done else time.time()) - inv["_start"]) if ran else "",
                "ExecutionEndDateTime": _iso(inv["_end"]) if done else "",
                "Status": inv["Status"], "StatusDetails": inv["StatusDetails"],
                "StandardOutputContent": inv["stdout"][:24000], "StandardOutputUrl": inv.get("StandardOutputUrl", ""),
                "StandardErrorContent": inv["stderr"][:8000], "StandardErrorUrl": inv.get("StandardErrorUrl", ""),
                "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False}}

    def _filtered(self, cmds, p):
        for f in p.get("Filters") or []:
            key, value = f.get("key"), f.get("value", "")
            if key == "Status":
                cmds = [c for c in cmds if c["Status"] == value]
            elif key == "DocumentName":
                cmds = [c for c in cmds if c["DocumentName"] == value]
            elif key in ("InvokedAfter", "InvokedBefore"):
                cmds = [c for c in cmds if (c["RequestedDateTime"] >= value) == (key == "InvokedAfter")]
            elif key == "ExecutionStage":
                if value not in ("Executing", "Complete"):
                    raise AwsError("InvalidFilterValue", "ExecutionStage must be Executing or Complete.")
                cmds = [c for c in cmds if (c["Status"] in self.FINAL) == (value == "Complete")]
            else:
                raise AwsError("InvalidFilterKey", "")
        return cmds

    def ListCommands(self, ctx, p):
        if p.get("CommandId"):
            cmds = [self._command(ctx, p["CommandId"])]
        else:
            cmds = list(ctx.state()["commands"].values())
            for c in cmds:
                self._refresh(ctx, c)
        if p.get("InstanceId"):
            cmds = [c for c in cmds if p["InstanceId"] in c["_invocations"]]
        cmds = sorted(self._filtered(cmds, p), key=lambda c: c["_sent"], reverse=True)
        return self._page(cmds, p, "Commands", 50)

    def ListCommandInvocations(self, ctx, p):
        if p.get("CommandId"):
            cmds = [self._command(ctx, p["CommandId"])]
        else:
            cmds = sorted(ctx.state()["commands"].values(), key=lambda c: c["_sent"], reverse=True)
            for c in cmds:
                self._refresh(ctx, c)
        out, now = [], time.time()
        for cmd in self._filtered(cmds, p):
            plugin = self.PLUGINS.get(cmd["DocumentName"], "aws:runShellScript")
            for iid, inv in cmd["_invocations"].items():
                if now < inv["_reg"] or (p.get("InstanceId") and iid != p["InstanceId"]):
                    continue
                ci = {"CommandId": cmd["CommandId"], "InstanceId": iid, "InstanceName": "", "Comment": cmd["Comment"],
                      "DocumentName": cmd["DocumentName"], "DocumentVersion": cmd["DocumentVersion"],
                      "RequestedDateTime": cmd["RequestedDateTime"], "Status": inv["Status"],
                      "StatusDetails": inv["StatusDetails"], "TraceOutput": "",
                      "StandardOutputUrl": inv.get("StandardOutputUrl", ""),
                      "StandardErrorUrl": inv.get("StandardErrorUrl", ""), "CommandPlugins": [],
                      "ServiceRole": cmd.get("ServiceRole") or "",
                      "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False}}
                if p.get("Details"):
                    text = inv["stdout"] + ("\n----------ERROR-------\n" + inv["stderr"] if inv["stderr"] else "")
                    done = inv["Status"] in ("Success", "Failed")
                    plug = {"Name": plugin, "Status": inv["Status"], "StatusDetails": inv["StatusDetails"],
                            "ResponseCode": inv["ResponseCode"], "Output": text[:2500],
                            "StandardOutputUrl": inv.get("StandardOutputUrl", ""),
                            "StandardErrorUrl": inv.get("StandardErrorUrl", ""),
                            "OutputS3Region": cmd.get("OutputS3Region") or ctx.region,
                            "OutputS3BucketName": cmd.get("OutputS3BucketName") or "",
                            "OutputS3KeyPrefix": cmd.get("OutputS3KeyPrefix") or ""}
                    if inv["Status"] != "Pending":
                        plug["ResponseStartDateTime"] = _iso(inv["_start"])
                    if done:
                        plug["ResponseFinishDateTime"] = _iso(inv["_end"])
                    ci["CommandPlugins"] = [plug]
                out.append(ci)
        return self._page(out, p, "CommandInvocations", 50)

    def CancelCommand(self, ctx, p):
        need(p, "CommandId")
        cmd = self._command(ctx, p["CommandId"])
        ids = p.get("InstanceIds") or list(cmd["_invocations"])
        bad = [i for i in ids if i not in cmd["_invocations"]]
        if bad:
            raise AwsError("InvalidInstanceId", "Instances [[%s]] not in a valid state for account %s" % (
                ", ".join(bad), ctx.account))
        now = time.time()
        for iid in ids:
            inv = cmd["_invocations"][iid]
            if inv["Status"] not in self.FINAL:
                inv.update(Status="Cancelled", StatusDetails="Cancelled", _end=now)
        if not p.get("InstanceIds"):
            cmd["_cancelled"] = True
        self._refresh(ctx, cmd)
        return {}

    # ------------------------------------------------------------ parameters

    def PutParameter(self, ctx, p):
        need(p, "Name", "Value")
        st = ctx.state()
        cur = st["parameters"].get(p["Name"])
        if cur and not p.get("Overwrite"):
            raise AwsError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
        version = (cur["Version"] + 1) if cur else 1
        st["parameters"][p["Name"]] = {"Name": p["Name"], "Type": p.get("Type", cur["Type"] if cur else "String"),
                                       "Value": p["Value"], "Version": version, "LastModifiedDate": now_iso(),
                                       "ARN": "arn:aws:ssm:%s:%s:parameter/%s" % (ctx.region, ctx.account, p["Name"].lstrip("/")),
                                       "DataType": "text"}
        return {"Version": version, "Tier": "Standard"}

    def GetParameter(self, ctx, p):
        prm = ctx.state()["parameters"].get(p.get("Name"))
        if prm is None:
            raise AwsError("ParameterNotFound", "")
        return {"Parameter": prm}

    def GetParameters(self, ctx, p):
        st = ctx.state()["parameters"]
        names = p.get("Names", [])
        return {"Parameters": [st[n] for n in names if n in st], "InvalidParameters": [n for n in names if n not in st]}

    def DeleteParameter(self, ctx, p):
        if ctx.state()["parameters"].pop(p.get("Name"), None) is None:
            raise AwsError("ParameterNotFound", "")
        return {}
