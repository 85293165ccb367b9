"""ELBv2: target groups, target registration and health."""
from ..errors import AwsError
from ..world import rand_id
from . import Service, need


class SERVICE(Service):
    NAME = "elasticloadbalancing"

    def initial_state(self, account, region):
        return {"target_groups": {}}

    def _tg(self, ctx, arn):
        tg = ctx.state()["target_groups"].get(arn)
        if tg is None:
            raise AwsError("TargetGroupNotFound", "Target groups '%s' not found" % arn)
        return tg

    def CreateTargetGroup(self, ctx, p):
        need(p, "Name")
        for tg in ctx.state()["target_groups"].values():
            if tg["TargetGroupName"] == p["Name"]:
                raise AwsError("DuplicateTargetGroupName", "A target group with the same name '%s' exists" % p["Name"])
        arn = "arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s" % (ctx.region, ctx.account, p["Name"], rand_id("", 16))
        tg = {"TargetGroupArn": arn, "TargetGroupName": p["Name"], "Protocol": p.get("Protocol", "HTTP"),
              "Port": int(p.get("Port", 80)), "VpcId": p.get("VpcId"), "TargetType": p.get("TargetType", "instance"),
              "HealthCheckEnabled": True, "HealthCheckPath": "/", "LoadBalancerArns": [], "_targets": []}
        ctx.state()["target_groups"][arn] = tg
        return {"TargetGroups": [tg]}

    def DescribeTargetGroups(self, ctx, p):
        tgs = list(ctx.state()["target_groups"].values())
        if p.get("TargetGroupArns"):
            tgs = [self._tg(ctx, a) for a in p["TargetGroupArns"]]
        if p.get("Names"):
            tgs = [t for t in tgs if t["TargetGroupName"] in p["Names"]]
        return {"TargetGroups": tgs}

    def RegisterTargets(self, ctx, p):
        tg = self._tg(ctx, p.get("TargetGroupArn"))
        ec2 = ctx.state("ec2")
        for t in p.get("Targets", []):
            if tg["TargetType"] == "instance" and t["Id"] not in ec2["instances"]:
                raise AwsError("InvalidTarget", "The following targets are not valid instances: '%s'" % t["Id"])
            port = int(t.get("Port", tg["Port"]))
            if not any(x["Id"] == t["Id"] and x["Port"] == port for x in tg["_targets"]):
                tg["_targets"].append({"Id": t["Id"], "Port": port})
        return {}

    def DeregisterTargets(self, ctx, p):
        tg = self._tg(ctx, p.get("TargetGroupArn"))
        for t in p.get("Targets", []):
            port = int(t.get("Port", tg["Port"]))
            tg["_targets"] = [x for x in tg["_targets"] if not (x["Id"] == t["Id"] and x["Port"] == port)]
        return {}

    def DescribeTargetHealth(self, ctx, p):
        tg = self._tg(ctx, p.get("TargetGroupArn"))
        wanted = p.get("Targets")
        out = []
        for t in (wanted or tg["_targets"]):
            port = int(t.get("Port", tg["Port"]))
            registered = any(x["Id"] == t["Id"] and x["Port"] == port for x in tg["_targets"])
            health = {"State": "healthy"} if registered else {
                "State": "unused", "Reason": "Target.NotRegistered", "Description": "Target is not registered to the target group"}
            out.append({"Target": {"Id": t["Id"], "Port": port}, "HealthCheckPort": str(port), "TargetHealth": health})
        return {"TargetHealthDescriptions": out}
