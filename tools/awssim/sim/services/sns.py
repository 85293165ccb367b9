"""SNS: topics and published messages, kept for inspection (GET /__awssim/state?service=sns)."""
import uuid

from ..errors import AwsError
from ..world import now_iso
from . import Service, need


class SERVICE(Service):
    NAME = "sns"

    def initial_state(self, account, region):
        return {"topics": {}}

    def _topic(self, ctx, arn):
        t = ctx.state()["topics"].get(arn)
        if t is None:
            raise AwsError("NotFound", "Topic does not exist", 404)
        return t

    def CreateTopic(self, ctx, p):
        need(p, "Name")
        arn = "arn:aws:sns:%s:%s:%s" % (ctx.region, ctx.account, p["Name"])
        ctx.state()["topics"].setdefault(arn, {"TopicArn": arn, "Attributes": dict(p.get("Attributes", {})),
                                               "Tags": list(p.get("Tags", [])), "messages": []})
        return {"TopicArn": arn}

    def ListTopics(self, ctx, p):
        return {"Topics": [{"TopicArn": a} for a in ctx.state()["topics"]]}

    def DeleteTopic(self, ctx, p):
        ctx.state()["topics"].pop(p.get("TopicArn"), None)
        return {}

    def GetTopicAttributes(self, ctx, p):
        t = self._topic(ctx, p.get("TopicArn"))
        return {"Attributes": dict(t["Attributes"], TopicArn=t["TopicArn"], Owner=ctx.account,
                                   SubscriptionsConfirmed="0", SubscriptionsPending="0")}

    def Publish(self, ctx, p):
        need(p, "Message")
        t = self._topic(ctx, p.get("TopicArn") or p.get("TargetArn"))
        mid = str(uuid.uuid4())
        t["messages"].append({"MessageId": mid, "Subject": p.get("Subject"), "Message": p["Message"],
                              "MessageAttributes": {k: v.get("StringValue") for k, v in (p.get("MessageAttributes") or {}).items()},
                              "Time": now_iso(), "Publisher": ctx.cred["Arn"]})
        return {"MessageId": mid}

    def TagResource(self, ctx, p):
        self._topic(ctx, p.get("ResourceArn"))["Tags"] += p.get("Tags", [])
        return {}

    def ListTagsForResource(self, ctx, p):
        return {"Tags": self._topic(ctx, p.get("ResourceArn"))["Tags"]}
