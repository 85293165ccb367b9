"""Fault injection: rules matched per call by account, service and operation.

A rule is a dict:
  {"id": "t1", "kind": "latency"|"throttle"|"error"|"drop"|"slow",
   "account": "111111111111", "service": "ec2", "operation": "DescribeInstances",  (all optional)
   "latency_ms": 20,                      latency: added before the answer is sent (the call
                                            itself has already run: a race window)
   "every": 3,                            throttle: every Nth matching call is throttled, or
   "rate": 5.0, "burst": 10,              throttle: token bucket (calls per second, bucket size)
   "status": 500|503,                     error: InternalError/ServiceUnavailable in the protocol, or
   "code": "AccessDenied", "status": 403, error: that AWS error (status 400-599, default 400) with
   "message": "..."                         this message (default "awssim fault F: injected CODE")
   "delay_ms": 5000,                      slow: headers sent, then the body this much later
   "after": 4,                            optional: the first 4 matching calls pass untouched
   "count": 2,                            optional: the rule applies to that many calls, then ends
   "probability": 0.3, "seed": 7}         optional: each matching call is hit with this chance
                                          (on top of a throttle's every or rate, if any); the rule
                                          draws from its own generator, seeded with 'seed' when
                                          given, so the same sequence of calls gets the same faults
"drop" closes the connection without any response.
"""
import random
import threading
import time

KINDS = ("latency", "throttle", "error", "drop", "slow")


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.next_id = 1

    def add(self, rule):
        rule = dict(rule)
        if rule.get("kind") not in KINDS:
            raise ValueError("unknown fault kind %r (expected one of %s)" % (rule.get("kind"), ", ".join(KINDS)))
        if rule["kind"] == "throttle" and not rule.get("every") and not rule.get("rate") and \
                rule.get("probability") is None:
            raise ValueError("a throttle fault needs 'every', 'rate' or 'probability'")
        if rule.get("probability") is not None:
            p = rule["probability"]
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p <= 1:
                raise ValueError("a fault's probability is a number above 0, at most 1")
        if rule.get("seed") is not None:
            if isinstance(rule["seed"], bool) or not isinstance(rule["seed"], int):
                raise ValueError("a fault's seed is an integer")
            if rule.get("probability") is None:
                raise ValueError("a fault's seed needs a probability")
        if rule["kind"] == "error" and rule.get("code") is not None:
            if not isinstance(rule["code"], str) or not rule["code"]:
                raise ValueError("an error fault's code is a non-empty string")
            if not 400 <= int(rule.get("status", 400)) <= 599:
                raise ValueError("an error fault with a code has a status from 400 to 599")
        elif rule["kind"] == "error" and int(rule.get("status", 500)) not in (500, 503):
            raise ValueError("an error fault's status is 500 or 503")
        with self.lock:
            if "id" not in rule:
                rule["id"] = "f%d" % self.next_id
                self.next_id += 1
            rule["_calls"] = 0
            rule["_passed"] = 0
            rule["_applied"] = 0
            if rule.get("rate"):
                rule["_tokens"] = float(rule.get("burst", 1))
                rule["_t"] = time.monotonic()
            if rule.get("probability") is not None:
                rule["_rng"] = random.Random(rule.get("seed"))
            self.rules.append(rule)
        return rule["id"]

    def clear(self, rid=None):
        with self.lock:
            self.rules = [r for r in self.rules if rid is not None and r["id"] != rid]
            if rid is None:
                self.next_id = 1

    def list(self):
        with self.lock:
            return [{k: v for k, v in r.items() if not k.startswith(("_t", "_rng"))} for r in self.rules]

    def match(self, account, service, operation):
        """The actions for this call: [(kind, rule)], counting it against each matching rule."""
        out = []
        with self.lock:
            for r in self.rules:
                if any(r.get(k) not in (None, v) for k, v in
                       (("account", account), ("service", service), ("operation", operation))):
                    continue
                if r.get("count") is not None and r["_applied"] >= int(r["count"]):
                    continue
                if r["_passed"] < int(r.get("after") or 0):
                    r["_passed"] += 1
                    continue
                r["_calls"] += 1
                if r.get("probability") is not None and r["_rng"].random() >= float(r["probability"]):
                    continue
                if r["kind"] == "throttle" and (r.get("every") or r.get("rate")):
                    if r.get("every"):
                        if r["_calls"] % int(r["every"]) != 0:
                            continue
                    else:
                        t = time.monotonic()
                        r["_tokens"] = min(float(r.get("burst", 1)), r["_tokens"] + (t - r["_t"]) * float(r["rate"]))
                        r["_t"] = t
                        if r["_tokens"] >= 1:
                            r["_tokens"] -= 1
                            continue
                r["_applied"] += 1
                out.append((r["kind"], {k: v for k, v in r.items() if k != "_rng"}))
        return out


THROTTLE = {"ec2": ("RequestLimitExceeded", 503, "Request limit exceeded."),
            "query": ("Throttling", 400, "Rate exceeded"),
            "json": ("ThrottlingException", 400, "Rate exceeded"),
            "rest-json": ("TooManyRequestsException", 429, "Rate exceeded"),
            "rest-xml": ("SlowDown", 503, "Please reduce your request rate.")}
SERVER = {500: {"ec2": "InternalError", "query": "InternalFailure", "json": "InternalFailure",
                "rest-json": "ServiceException", "rest-xml": "InternalError"},
          503: {"ec2": "Unavailable", "query": "ServiceUnavailable", "json": "ServiceUnavailable",
                "rest-json": "ServiceException", "rest-xml": "ServiceUnavailable"}}
