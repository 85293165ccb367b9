"""Auto Scaling: groups with EC2 instances, standby, detach."""
from ..errors import AwsError
from ..world import now_iso, rand_id
from . import Service, need


class SERVICE(Service):
    NAME = "autoscaling"

    def initial_state(self, account, region):
        return {"groups": {}}

    def _group(self, ctx, name):
        g = ctx.state()["groups"].get(name)
        if g is None:
            raise AwsError("ValidationError", "AutoScalingGroup name not found - AutoScalingGroup %s not found" % name)
        return g

    def _instance(self, ctx, g, iid):
        ec2 = ctx.state("ec2")
        inst = ec2["instances"].get(iid)
        return {"InstanceId": iid, "AutoScalingGroupName": g["AutoScalingGroupName"],
                "AvailabilityZone": inst["Placement"]["AvailabilityZone"] if inst else ctx.region + "a",
                "LifecycleState": g["_members"][iid], "HealthStatus": "HEALTHY", "ProtectedFromScaleIn": False,
                "InstanceType": inst["InstanceType"] if inst else "t3.micro"}

    def CreateAutoScalingGroup(self, ctx, p):
        need(p, "AutoScalingGroupName")
        st = ctx.state()
        name = p["AutoScalingGroupName"]
        if name in st["groups"]:
            raise AwsError("AlreadyExists", "AutoScalingGroup by this name already exists - A group with the name %s already exists" % name)
        st["groups"][name] = {"AutoScalingGroupName": name,
                              "AutoScalingGroupARN": "arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s" % (ctx.region, ctx.account, rand_id("", 8), name),
                              "MinSize": int(p.get("MinSize", 0)), "MaxSize": int(p.get("MaxSize", 10)),
                              "DesiredCapacity": int(p.get("DesiredCapacity", 0)), "DefaultCooldown": 300,
                              "AvailabilityZones": p.get("AvailabilityZones", [ctx.region + "a"]),
                              "HealthCheckType": "EC2", "CreatedTime": now_iso(),
                              "TargetGroupARNs": p.get("TargetGroupARNs", []), "Tags": [], "_members": {}}
        for iid in p.get("InstanceId", "").split() if p.get("InstanceId") else []:
            self._attach(ctx, st["groups"][name], [iid])
        return {}

    def _attach(self, ctx, g, ids):
        ec2 = ctx.state("ec2")
        for iid in ids:
            if iid not in ec2["instances"]:
                raise AwsError("ValidationError", "Instance ID(s) [%s] are not valid" % iid)
            for other in ctx.state()["groups"].values():
                if iid in other["_members"]:
                    raise AwsError("ValidationError", "The instance %s is already part of the Auto Scaling group %s." % (iid, other["AutoScalingGroupName"]))
            g["_members"][iid] = "InService"
        g["DesiredCapacity"] += len(ids)
        g["MaxSize"] = max(g["MaxSize"], g["DesiredCapacity"])

    def UpdateAutoScalingGroup(self, ctx, p):
        need(p, "AutoScalingGroupName")
        g = self._group(ctx, p["AutoScalingGroupName"])
        size = {k: int(p[k]) if k in p else g[k] for k in ("MinSize", "MaxSize", "DesiredCapacity")}
        if size["MinSize"] > size["MaxSize"]:
            raise AwsError("ValidationError", "Max bound, %d, must be greater than or equal to min bound, %d" % (
                size["MaxSize"], size["MinSize"]))
        if "DesiredCapacity" not in p:
            # as AWS: a new minimum or maximum moves the desired capacity into the bounds
            size["DesiredCapacity"] = min(max(size["DesiredCapacity"], size["MinSize"]), size["MaxSize"])
        elif not size["MinSize"] <= size["DesiredCapacity"] <= size["MaxSize"]:
            raise AwsError("ValidationError", "Desired capacity:%d must be between the specified min size:%d and max size:%d" % (
                size["DesiredCapacity"], size["MinSize"], size["MaxSize"]))
        g.update(size)
        return {}

    def AttachInstances(self, ctx, p):
        self._attach(ctx, self._group(ctx, p.get("AutoScalingGroupName")), p.get("InstanceIds", []))
        return {}

    def DescribeAutoScalingGroups(self, ctx, p):
        names = p.get("AutoScalingGroupNames") or list(ctx.state()["groups"])
        out = []
        for n in names:
            g = ctx.state()["groups"].get(n)
            if g:
                out.append(dict(g, Instances=[self._instance(ctx, g, i) for i in g["_members"]]))
        return {"AutoScalingGroups": out}

    def DescribeAutoScalingInstances(self, ctx, p):
        out = []
        for g in ctx.state()["groups"].values():
            for iid in g["_members"]:
                if not p.get("InstanceIds") or iid in p["InstanceIds"]:
                    out.append(self._instance(ctx, g, iid))
        return {"AutoScalingInstances": out}

    def _activity(self, ctx, g, desc, cause):
        return {"ActivityId": rand_id("", 8) + "-" + rand_id("", 4) + "-" + rand_id("", 4) + "-" + rand_id("", 4) + "-" + rand_id("", 12),
                "AutoScalingGroupName": g["AutoScalingGroupName"], "Description": desc, "Cause": cause,
                "StartTime": now_iso(), "StatusCode": "InProgress", "Progress": 50}

    def _members(self, g, ids, state):
        for iid in ids:
            if iid not in g["_members"]:
                raise AwsError("ValidationError", "The instance %s is not part of Auto Scaling group %s." % (iid, g["AutoScalingGroupName"]))
            if state and g["_members"][iid] != state:
                raise AwsError("ValidationError", "The instance %s is not in %s." % (iid, state))

    def _above_min(self, g, ids, p, verb):
        """AWS refuses to decrement the desired capacity below the group's minimum size."""
        if p["ShouldDecrementDesiredCapacity"] and g["DesiredCapacity"] - len(ids) < g["MinSize"]:
            raise AwsError("ValidationError", "AutoScalingGroup %s has min-size=%d, max-size=%d, and desired-size=%d. "
                           "To %s %d instances, please update the AutoScalingGroup sizes appropriately." % (
                               g["AutoScalingGroupName"], g["MinSize"], g["MaxSize"], g["DesiredCapacity"], verb,
                               len(ids)))

    def EnterStandby(self, ctx, p):
        need(p, "AutoScalingGroupName", "ShouldDecrementDesiredCapacity")
        g = self._group(ctx, p["AutoScalingGroupName"])
        ids = p.get("InstanceIds", [])
        self._members(g, ids, "InService")
        self._above_min(g, ids, p, "place into standby")
        acts = []
        for iid in ids:
            g["_members"][iid] = "Standby"
            if p["ShouldDecrementDesiredCapacity"]:
                g["DesiredCapacity"] -= 1
            acts.append(self._activity(ctx, g, "Moving EC2 instance to Standby: %s" % iid, "User request"))
        return {"Activities": acts}

    def ExitStandby(self, ctx, p):
        g = self._group(ctx, p.get("AutoScalingGroupName"))
        ids = p.get("InstanceIds", [])
        self._members(g, ids, "Standby")
        acts = []
        for iid in ids:
            g["_members"][iid] = "InService"
            g["DesiredCapacity"] += 1
            acts.append(self._activity(ctx, g, "Moving EC2 instance out of Standby: %s" % iid, "User request"))
        return {"Activities": acts}

    def DetachInstances(self, ctx, p):
        need(p, "AutoScalingGroupName", "ShouldDecrementDesiredCapacity")
        g = self._group(ctx, p["AutoScalingGroupName"])
        ids = p.get("InstanceIds", [])
        self._members(g, ids, None)
        self._above_min(g, ids, p, "detach")
        acts = []
        for iid in ids:
            del g["_members"][iid]
            if p["ShouldDecrementDesiredCapacity"]:
                g["DesiredCapacity"] -= 1
            acts.append(self._activity(ctx, g, "Detaching EC2 instance: %s" % iid, "User request"))
        return {"Activities": acts}
