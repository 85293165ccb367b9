"""Lambda: functions (by name, ARN, partial ARN or qualified ARN), aliases, reserved concurrency,
event source mappings, tags."""
import re
import uuid

from ..errors import AwsError
from ..world import now_iso
from . import Service, need

FN_REF = re.compile(r"^(?:arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:|\d{12}:function:)?([\w-]+)(?::([\w$-]+))?$")


def _nf(what):
    return AwsError("ResourceNotFoundException", what, 404)


class SERVICE(Service):
    NAME = "lambda"

    def initial_state(self, account, region):
        return {"functions": {}, "mappings": {}}

    def _fn(self, ctx, ref):
        m = FN_REF.match(ref or "")
        if not m:
            raise AwsError("ValidationException", "1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint" % ref)
        f = ctx.state()["functions"].get(m.group(1))
        arn = "arn:aws:lambda:%s:%s:function:%s" % (ctx.region, ctx.account, m.group(1))
        if f is None or (m.group(2) and m.group(2) != "$LATEST" and m.group(2) not in f["_aliases"]):
            raise _nf("Function not found: %s" % (arn + (":" + m.group(2) if m.group(2) else "")))
        return f

    def _config(self, f):
        return {k: v for k, v in f.items() if not k.startswith("_")}

    def CreateFunction(self, ctx, p):
        need(p, "FunctionName", "Role")
        st = ctx.state()
        if p["FunctionName"] in st["functions"]:
            raise AwsError("ResourceConflictException", "Function already exist: %s" % p["FunctionName"], 409)
        f = {"FunctionName": p["FunctionName"],
             "FunctionArn": "arn:aws:lambda:%s:%s:function:%s" % (ctx.region, ctx.account, p["FunctionName"]),
             "Runtime": p.get("Runtime", "python3.12"), "Role": p["Role"], "Handler": p.get("Handler", "index.handler"),
             "CodeSize": 0, "Description": p.get("Description", ""), "Timeout": int(p.get("Timeout", 3)),
             "MemorySize": int(p.get("MemorySize", 128)), "LastModified": now_iso().replace("Z", "+0000"),
             "Version": "$LATEST", "State": "Active", "PackageType": "Zip", "RevisionId": str(uuid.uuid4()),
             "Environment": p.get("Environment"), "Architectures": p.get("Architectures", ["x86_64"]),
             "_tags": dict(p.get("Tags", {})), "_aliases": {}, "_concurrency": None}
        st["functions"][f["FunctionName"]] = f
        return self._config(f)

    def GetFunction(self, ctx, p):
        f = self._fn(ctx, p.get("FunctionName"))
        out = {"Configuration": self._config(f), "Tags": f["_tags"],
               "Code": {"RepositoryType": "S3", "Location": "https://awslambda.invalid/%s" % f["FunctionName"]}}
        if f["_concurrency"] is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": f["_concurrency"]}
        return out

    def GetFunctionConfiguration(self, ctx, p):
        return self._config(self._fn(ctx, p.get("FunctionName")))

    def ListFunctions(self, ctx, p):
        return {"Functions": [self._config(f) for f in ctx.state()["functions"].values()]}

    def DeleteFunction(self, ctx, p):
        f = self._fn(ctx, p.get("FunctionName"))
        del ctx.state()["functions"][f["FunctionName"]]
        return {}

    def CreateAlias(self, ctx, p):
        f = self._fn(ctx, p.get("FunctionName"))
        need(p, "Name", "FunctionVersion")
        a = {"AliasArn": f["FunctionArn"] + ":" + p["Name"], "Name": p["Name"], "FunctionVersion": p["FunctionVersion"],
             "Description": p.get("Description", ""), "RevisionId": str(uuid.uuid4())}
        f["_aliases"][p["Name"]] = a
        return a

    def GetAlias(self, ctx, p):
        f = self._fn(ctx, p.get("FunctionName"))
        a = f["_aliases"].get(p.get("Name"))
        if a is None:
            raise _nf("Alias not found: %s:%s" % (f["FunctionArn"], p.get("Name")))
        return a

    def PutFunctionConcurrency(self, ctx, p):
        f = self._fn(ctx, p.get("FunctionName"))
        if FN_REF.match(p["FunctionName"]).group(2):
            raise AwsError("InvalidParameterValueException", "Concurrency cannot be set on a qualified function", 400)
        n = p.get("ReservedConcurrentExecutions")
        if n is None or int(n) < 0:
            raise AwsError("InvalidParameterValueException", "ReservedConcurrentExecutions must be >= 0")
        f["_concurrency"] = int(n)
        return {"ReservedConcurrentExecutions": int(n)}

    def GetFunctionConcurrency(self, ctx, p):
        f = self._fn(ctx, p.get("FunctionName"))
        return {} if f["_concurrency"] is None else {"ReservedConcurrentExecutions": f["_concurrency"]}

    def DeleteFunctionConcurrency(self, ctx, p):
        self._fn(ctx, p.get("FunctionName"))["_concurrency"] = None
        return {}

    def CreateEventSourceMapping(self, ctx, p):
        f = self._fn(ctx, p.get("FunctionName"))
        uid = str(uuid.uuid4())
        m = {"UUID": uid, "EventSourceArn": p.get("EventSourceArn"), "FunctionArn": f["FunctionArn"],
             "State": "Enabled" if p.get("Enabled", True) else "Disabled", "BatchSize": int(p.get("BatchSize", 10)),
             "LastModified": now_iso(), "StateTransitionReason": "USER_INITIATED"}
        ctx.state()["mappings"][uid] = m
        return m

    def _mapping(self, ctx, uid):
        m = ctx.state()["mappings"].get(uid)
        if m is None:
            raise _nf("The resource you requested does not exist.")
        return m

    def GetEventSourceMapping(self, ctx, p):
        return self._mapping(ctx, p.get("UUID"))

    def UpdateEventSourceMapping(self, ctx, p):
        m = self._mapping(ctx, p.get("UUID"))
        if "Enabled" in p:
            m["State"] = "Enabled" if p["Enabled"] else "Disabled"
        if "BatchSize" in p:
            m["BatchSize"] = int(p["BatchSize"])
        m["LastModified"] = now_iso()
        return m

    def ListEventSourceMappings(self, ctx, p):
        ms = list(ctx.state()["mappings"].values())
        if p.get("FunctionName"):
            arn = self._fn(ctx, p["FunctionName"])["FunctionArn"]
            ms = [m for m in ms if m["FunctionArn"] == arn]
        return {"EventSourceMappings": ms}

    def DeleteEventSourceMapping(self, ctx, p):
        m = self._mapping(ctx, p.get("UUID"))
        del ctx.state()["mappings"][m["UUID"]]
        return dict(m, State="Deleting")

    def TagResource(self, ctx, p):
        self._fn(ctx, p.get("Resource"))["_tags"].update(p.get("Tags", {}))
        return {}

    def UntagResource(self, ctx, p):
        f = self._fn(ctx, p.get("Resource"))
        for k in p.get("TagKeys", []):
            f["_tags"].pop(k, None)
        return {}

    def ListTags(self, ctx, p):
        return {"Tags": self._fn(ctx, p.get("Resource"))["_tags"]}
