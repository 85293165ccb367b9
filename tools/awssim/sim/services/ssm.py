"""SSM: documents (incl. AWS-managed AWS-StopEC2Instance, AWS-RunShellScript), automation
executions that progress a step per GetAutomationExecution poll, Run Command invocations,
managed-instance information, and Parameter Store."""
import json
import uuid

from ..errors import AwsError
from ..world import now_iso
from . import Service, need

AWS_DOCS = {
    "AWS-StopEC2Instance": ("Automation", {"schemaVersion": "0.3", "parameters": {"InstanceId": {"type": "StringList"}, "AutomationAssumeRole": {"type": "String", "default": ""}},
                                           "mainSteps": [{"name": "stopInstances", "action": "aws:changeInstanceState", "inputs": {"InstanceIds": "{{ InstanceId }}", "DesiredState": "stopped"}}]}),
    "AWS-RunShellScript": ("Command", {"schemaVersion": "2.2", "parameters": {"commands": {"type": "StringList"}},
                                       "mainSteps": [{"action": "aws:runShellScript", "name": "runShellScript", "inputs": {"runCommand": "{{ commands }}"}}]}),
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

    def _managed(self, ctx):
        ec2 = ctx.state("ec2")
        return {iid: i for iid, i in ec2["instances"].items()
                if i["State"]["Name"] == "running" and ctx.world.services["ec2"]._association_for(ec2, iid)}

    def DescribeInstanceInformation(self, ctx, p):
        out = []
        for iid, i in self._managed(ctx).items():
            out.append({"InstanceId": iid, "PingStatus": "Online", "LastPingDateTime": now_iso(), "AgentVersion": "3.3.0.0",
                        "IsLatestVersion": True, "PlatformType": "Linux", "PlatformName": "Amazon Linux",
                        "PlatformVersion": "2023", "ResourceType": "EC2Instance", "IPAddress": i["PrivateIpAddress"],
                        "ComputerName": "ip-%s" % i["PrivateIpAddress"].replace(".", "-")})
        for f in p.get("Filters", []):
            if f.get("Key") == "InstanceIds":
                out = [o for o in out if o["InstanceId"] in f.get("Values", [])]
        return {"InstanceInformationList": out}

    def SendCommand(self, ctx, p):
        need(p, "DocumentName")
        d = self._doc(ctx, p["DocumentName"])
        ids = p.get("InstanceIds", [])
        managed = self._managed(ctx)
        for iid in ids:
            if iid not in managed:
                raise AwsError("InvalidInstanceId", "Instances [[%s]] not in a valid state for account %s" % (iid, ctx.account))
        cid = str(uuid.uuid4())
        cmd = {"CommandId": cid, "DocumentName": d["Name"], "DocumentVersion": "1", "Comment": p.get("Comment", ""),
               "Parameters": p.get("Parameters", {}), "InstanceIds": ids, "RequestedDateTime": now_iso(),
               "Status": "Pending", "TargetCount": len(ids), "CompletedCount": 0, "ErrorCount": 0,
               "OutputS3BucketName": p.get("OutputS3BucketName"), "_polls": {i: 0 for i in ids}}
        ctx.state()["commands"][cid] = cmd
        return {"Command": cmd}

    def GetCommandInvocation(self, ctx, p):
        need(p, "CommandId", "InstanceId")
        cmd = ctx.state()["commands"].get(p["CommandId"])
        if cmd is None:
            raise AwsError("InvalidCommandId", "")
        if p["InstanceId"] not in cmd["_polls"]:
            raise AwsError("InvocationDoesNotExist", "")
        cmd["_polls"][p["InstanceId"]] += 1
        done = cmd["_polls"][p["InstanceId"]] > int(ctx.world.settings["command_polls"])
        if done:
            cmd["CompletedCount"] = sum(1 for n in cmd["_polls"].values() if n > int(ctx.world.settings["command_polls"]))
            if cmd["CompletedCount"] == cmd["TargetCount"]:
                cmd["Status"] = "Success"
        lines = cmd["Parameters"].get("commands", [])
        return {"CommandId": cmd["CommandId"], "InstanceId": p["InstanceId"], "DocumentName": cmd["DocumentName"],
                "Status": "Success" if done else "InProgress", "StatusDetails": "Success" if done else "InProgress",
                "ResponseCode": 0 if done else -1,
                "StandardOutputContent": ("awssim ran %d command line(s)\n" % len(lines)) if done else "",
                "StandardErrorContent": "", "ExecutionStartDateTime": cmd["RequestedDateTime"]}

    def ListCommands(self, ctx, p):
        cmds = list(ctx.state()["commands"].values())
        if p.get("CommandId"):
            cmds = [c for c in cmds if c["CommandId"] == p["CommandId"]]
        return {"Commands": cmds}

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
