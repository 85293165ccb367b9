"""SQS: standard queues with visibility timeouts, redelivery and long polling.

The json protocol with awsQueryCompatible: errors carry the query-era code in x-amzn-query-error
("AWS.SimpleQueueService.NonExistentQueue;Sender"), which SDKs report as the error code.

ReceiveMessage with WaitTimeSeconds blocks on a condition built on the world lock, so the lock
is released while it waits (other calls go on) and a SendMessage, or a message's visibility
timeout running out, wakes it. Deleted messages are kept (as "deleted") for inspection.
"""
import hashlib
import struct
import threading
import time
import uuid

from ..errors import AwsError
from . import Service, need

DEFAULT_ATTRIBUTES = {"VisibilityTimeout": "30", "DelaySeconds": "0", "MaximumMessageSize": "262144",
                      "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0"}
SYSTEM_ATTRIBUTES = ("ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SentTimestamp", "SenderId")


def sqs_error(code, query_code, message):
    return AwsError(code, message, 400, query_error=query_code)


def no_queue():
    return sqs_error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
                     "The specified queue does not exist.")


def bad_value(message):
    return sqs_error("InvalidParameterValue", "InvalidParameterValue", message)


def md5_attributes(attrs):
    """The MD5 SQS computes over message attributes (names sorted, lengths big-endian)."""
    if not attrs:
        return None
    buf = b""
    for name in sorted(attrs):
        a = attrs[name]
        dtype = a.get("DataType", "String")
        buf += struct.pack(">I", len(name.encode())) + name.encode()
        buf += struct.pack(">I", len(dtype.encode())) + dtype.encode()
        if "BinaryValue" in a and a["BinaryValue"] is not None:
            v = a["BinaryValue"]
            v = v if isinstance(v, bytes) else v.encode()
            buf += b"\x02" + struct.pack(">I", len(v)) + v
        else:
            v = (a.get("StringValue") or "").encode()
            buf += b"\x01" + struct.pack(">I", len(v)) + v
    return hashlib.md5(buf).hexdigest()


def int_param(p, name, lo, hi, default):
    v = p.get(name)
    if v is None:
        return default
    if not lo <= int(v) <= hi:
        raise bad_value("Value %s for parameter %s is invalid. Reason: Must be between %d and %d, if provided."
                        % (v, name, lo, hi))
    return int(v)


class SERVICE(Service):
    NAME = "sqs"

    def __init__(self):
        self._conds = {}
        self._conds_lock = threading.Lock()

    def initial_state(self, account, region):
        return {"queues": {}}

    def _cond(self, ctx):
        """One condition per world, on the world's lock (wait releases it)."""
        with self._conds_lock:
            c = self._conds.get(id(ctx.world))
            if c is None:
                c = self._conds[id(ctx.world)] = threading.Condition(ctx.world.lock)
            return c

    def _queue(self, ctx, url):
        need({"QueueUrl": url}, "QueueUrl")
        parts = url.rstrip("/").split("/")
        if len(parts) < 2:
            raise no_queue()
        acct, name = parts[-2], parts[-1]
        if acct not in ctx.world.accounts:
            raise no_queue()
        q = ctx.state(account=acct)["queues"].get(name)
        if q is None:
            raise no_queue()
        return q

    # ------------------------------------------------------------------ queues

    def CreateQueue(self, ctx, p):
        need(p, "QueueName")
        name = p["QueueName"]
        if len(name) > 80 or not all(c.isalnum() or c in "-_" for c in name):
            raise bad_value("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        attrs = dict(DEFAULT_ATTRIBUTES)
        attrs.update(p.get("Attributes") or {})
        int_param(attrs, "VisibilityTimeout", 0, 43200, 30)
        queues = ctx.state()["queues"]
        q = queues.get(name)
        if q is not None:
            if any(q["Attributes"].get(k) != v for k, v in (p.get("Attributes") or {}).items()):
                raise sqs_error("QueueNameExists", "QueueAlreadyExists",
                                "A queue already exists with the same name and a different value for attribute(s)")
            return {"QueueUrl": q["QueueUrl"]}
        queues[name] = {
            "QueueName": name,
            "QueueUrl": "https://sqs.%s.amazonaws.com/%s/%s" % (ctx.region, ctx.account, name),
            "QueueArn": "arn:aws:sqs:%s:%s:%s" % (ctx.region, ctx.account, name),
            "Attributes": attrs, "Tags": dict(p.get("tags") or {}),
            "CreatedTimestamp": int(time.time()), "messages": [], "deleted": []}
        return {"QueueUrl": queues[name]["QueueUrl"]}

    def GetQueueUrl(self, ctx, p):
        need(p, "QueueName")
        acct = p.get("QueueOwnerAWSAccountId") or ctx.account
        q = ctx.state(account=acct)["queues"].get(p["QueueName"]) if acct in ctx.world.accounts else None
        if q is None:
            raise no_queue()
        return {"QueueUrl": q["QueueUrl"]}

    def ListQueues(self, ctx, p):
        prefix = p.get("QueueNamePrefix") or ""
        return {"QueueUrls": [q["QueueUrl"] for n, q in sorted(ctx.state()["queues"].items()) if n.startswith(prefix)]}

    def DeleteQueue(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        ctx.state()["queues"].pop(q["QueueName"], None)
        return {}

    def PurgeQueue(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        q["messages"] = []
        return {}

    def GetQueueAttributes(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        t = time.time()
        visible = sum(1 for m in q["messages"] if m["visible_at"] <= t)
        inflight = sum(1 for m in q["messages"] if m["visible_at"] > t and m["ReceiveCount"] > 0)
        delayed = sum(1 for m in q["messages"] if m["visible_at"] > t and m["ReceiveCount"] == 0)
        every = dict(q["Attributes"], QueueArn=q["QueueArn"], CreatedTimestamp=str(q["CreatedTimestamp"]),
                     LastModifiedTimestamp=str(q["CreatedTimestamp"]),
                     ApproximateNumberOfMessages=str(visible),
                     ApproximateNumberOfMessagesNotVisible=str(inflight),
                     ApproximateNumberOfMessagesDelayed=str(delayed))
        names = p.get("AttributeNames") or []
        if "All" in names:
            return {"Attributes": every}
        for n in names:
            if n not in every:
                raise sqs_error("InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s." % n)
        return {"Attributes": {n: every[n] for n in names}} if names else {}

    def SetQueueAttributes(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        q["Attributes"].update(p.get("Attributes") or {})
        return {}

    # ------------------------------------------------------------------ messages

    def _send(self, ctx, q, body, delay, attrs):
        if not body:
            raise bad_value("The request must contain the parameter MessageBody.")
        if len(body.encode()) > int(q["Attributes"]["MaximumMessageSize"]):
            raise bad_value("One or more parameters are invalid. Reason: Message must be shorter than %s bytes."
                            % q["Attributes"]["MaximumMessageSize"])
        t = time.time()
        m = {"MessageId": str(uuid.uuid4()), "Body": body, "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),
             "MessageAttributes": attrs or {}, "MD5OfMessageAttributes": md5_attributes(attrs),
             "SentTimestamp": int(t * 1000), "SenderId": ctx.cred["UserId"], "delay_until": t + delay,
             "visible_at": t + delay, "ReceiveCount": 0, "FirstReceiveTimestamp": None, "handle": None}
        q["messages"].append(m)
        self._cond(ctx).notify_all()
        return m

    def SendMessage(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        delay = int_param(p, "DelaySeconds", 0, 900, int(q["Attributes"]["DelaySeconds"]))
        m = self._send(ctx, q, p.get("MessageBody"), delay, p.get("MessageAttributes"))
        out = {"MessageId": m["MessageId"], "MD5OfMessageBody": m["MD5OfBody"]}
        if m["MD5OfMessageAttributes"]:
            out["MD5OfMessageAttributes"] = m["MD5OfMessageAttributes"]
        return out

    def SendMessageBatch(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        entries = p.get("Entries") or []
        if not entries:
            raise sqs_error("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
                            "There should be at least one SendMessageBatchRequestEntry in the request.")
        if len(entries) > 10:
            raise sqs_error("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                            "Maximum number of entries per request are 10. You have sent %d." % len(entries))
        ids = [e.get("Id") for e in entries]
        if len(set(ids)) != len(ids):
            raise sqs_error("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                            "Id %s repeated." % next(i for i in ids if ids.count(i) > 1))
        ok, failed = [], []
        for e in entries:
            try:
                delay = int_param(e, "DelaySeconds", 0, 900, int(q["Attributes"]["DelaySeconds"]))
                m = self._send(ctx, q, e.get("MessageBody"), delay, e.get("MessageAttributes"))
            except AwsError as err:
                failed.append({"Id": e["Id"], "SenderFault": True, "Code": err.code, "Message": err.message})
                continue
            r = {"Id": e["Id"], "MessageId": m["MessageId"], "MD5OfMessageBody": m["MD5OfBody"]}
            if m["MD5OfMessageAttributes"]:
                r["MD5OfMessageAttributes"] = m["MD5OfMessageAttributes"]
            ok.append(r)
        return {"Successful": ok, "Failed": failed}

    def ReceiveMessage(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        n = int_param(p, "MaxNumberOfMessages", 1, 10, 1)
        wait = int_param(p, "WaitTimeSeconds", 0, 20, int(q["Attributes"]["ReceiveMessageWaitTimeSeconds"]))
        vis = int_param(p, "VisibilityTimeout", 0, 43200, int(q["Attributes"]["VisibilityTimeout"]))
        names = set((p.get("MessageSystemAttributeNames") or []) + (p.get("AttributeNames") or []))
        want_attrs = set(p.get("MessageAttributeNames") or [])
        deadline = time.time() + wait
        cond = self._cond(ctx)
        while True:
            q = self._queue(ctx, p.get("QueueUrl"))  # it may have been deleted while we waited
            t = time.time()
            ready = [m for m in q["messages"] if m["visible_at"] <= t][:n]
            if ready or t >= deadline:
                break
            pending = [m["visible_at"] for m in q["messages"] if m["visible_at"] > t]
            cond.wait(min([deadline - t] + [v - t + 0.01 for v in pending]))
        out = []
        for m in ready:
            m["ReceiveCount"] += 1
            m["FirstReceiveTimestamp"] = m["FirstReceiveTimestamp"] or int(t * 1000)
            m["visible_at"] = t + vis
            m["handle"] = "%s#%d#%s" % (m["MessageId"], m["ReceiveCount"], uuid.uuid4().hex)
            r = {"MessageId": m["MessageId"], "ReceiptHandle": m["handle"], "MD5OfBody": m["MD5OfBody"],
                 "Body": m["Body"]}
            every = {"ApproximateReceiveCount": str(m["ReceiveCount"]), "SentTimestamp": str(m["SentTimestamp"]),
                     "ApproximateFirstReceiveTimestamp": str(m["FirstReceiveTimestamp"]), "SenderId": m["SenderId"]}
            attrs = every if "All" in names else {k: v for k, v in every.items() if k in names}
            if attrs:
                r["Attributes"] = attrs
            ma = {k: v for k, v in m["MessageAttributes"].items()
                  if "All" in want_attrs or ".*" in want_attrs or k in want_attrs}
            if ma:
                r["MessageAttributes"] = ma
                r["MD5OfMessageAttributes"] = md5_attributes(ma)
            out.append(r)
        return {"Messages": out} if out else {}

    def _by_handle(self, q, handle):
        if not handle or handle.count("#") != 2:
            raise sqs_error("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
                            'The input receipt handle "%s" is not a valid receipt handle.' % handle)
        mid = handle.split("#", 1)[0]
        return next((m for m in q["messages"] if m["MessageId"] == mid), None)

    def DeleteMessage(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        m = self._by_handle(q, p.get("ReceiptHandle"))
        # As in SQS, a handle from an earlier receive succeeds without deleting the message.
        if m is not None and m["handle"] == p["ReceiptHandle"]:
            q["messages"].remove(m)
            q["deleted"].append({"MessageId": m["MessageId"], "Body": m["Body"], "ReceiveCount": m["ReceiveCount"]})
        return {}

    def ChangeMessageVisibility(self, ctx, p):
        q = self._queue(ctx, p.get("QueueUrl"))
        vis = int_param(p, "VisibilityTimeout", 0, 43200, None)
        m = self._by_handle(q, p.get("ReceiptHandle"))
        t = time.time()
        if m is None or m["handle"] != p["ReceiptHandle"] or m["visible_at"] <= t:
            raise sqs_error("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
                            "Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist "
                            "or is not available for visibility timeout change." % p.get("ReceiptHandle"))
        m["visible_at"] = t + vis
        self._cond(ctx).notify_all()
        return {}
