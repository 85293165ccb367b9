"""The control and inspection endpoint, under /__awssim/ where no AWS API lives.

  GET    /__awssim/health                        {"ok": true}
  GET    /__awssim/state[?account=A&service=S]   every state (or one account's, one service's)
  GET    /__awssim/requests[?since=N&service=S&operation=O&account=A]   the request log
  DELETE /__awssim/requests                      clear the request log
  POST   /__awssim/reset   [seed JSON]           back to the initial seed (or to the one given)
  POST   /__awssim/seed    seed JSON             add accounts, credentials, state, calls, faults
  GET    /__awssim/faults                        the fault rules
  POST   /__awssim/faults  rule or [rules]       add rules; answers their ids
  DELETE /__awssim/faults[?id=F]                 remove one rule or all
  POST   /__awssim/call    {"account","region","service","operation","params"}  run an operation
                                                 as the account's root, without signing
"""
import json
from urllib.parse import parse_qsl, urlsplit

from .errors import AwsError
from .seed import apply


def control(sim, method, target, body):
    split = urlsplit(target)
    path = split.path[len("/__awssim/"):].strip("/")
    q = dict(parse_qsl(split.query))
    try:
        doc = json.loads(body.decode("utf-8")) if body.strip() else None
    except ValueError as e:
        return 400, {"error": "request body is not JSON: %s" % e}
    try:
        if path == "health" and method == "GET":
            return 200, {"ok": True}
        if path == "state" and method == "GET":
            dump = sim.world.dump()
            if "account" in q or "service" in q:
                dump["state"] = {k: v for k, v in dump["state"].items()
                                 if ("account" not in q or k.split("/")[0] == q["account"])
                                 and ("service" not in q or k.split("/")[-1] == q["service"])}
            return 200, dump
        if path == "requests":
            if method == "GET":
                since = int(q.get("since", 0))
                log = [e for e in sim.world.requests(since)
                       if all(e.get(k) == q[k] for k in ("service", "operation", "account") if k in q)]
                return 200, {"requests": log, "count": len(log)}
            if method == "DELETE":
                sim.world.clear_log()
                return 200, {"ok": True}
        if path == "reset" and method == "POST":
            sim.faults.clear()
            seed = doc if doc is not None else sim.world.seed
            sim.world.reset({})
            out = apply(sim, seed, initial=True)
            return 200, out
        if path == "seed" and method == "POST":
            if not isinstance(doc, dict):
                return 400, {"error": "seed must be a JSON object"}
            return 200, apply(sim, doc)
        if path == "faults":
            if method == "GET":
                return 200, {"faults": sim.faults.list()}
            if method == "POST":
                rules = doc if isinstance(doc, list) else [doc]
                return 200, {"ids": [sim.faults.add(r) for r in rules]}
            if method == "DELETE":
                sim.faults.clear(q.get("id"))
                return 200, {"ok": True}
        if path == "call" and method == "POST":
            from .seed import call
            return 200, {"result": call(sim, doc)}
    except AwsError as e:
        return 400, {"error": e.code, "message": e.message}
    except (ValueError, KeyError, TypeError) as e:
        return 400, {"error": "%s: %s" % (type(e).__name__, e)}
    return 404, {"error": "no control endpoint %s %s" % (method, split.path)}
