"""Seeds: the state file and POST /__awssim/seed.

  {"settings": {...}, "accounts": {"111111111111": {"credentials": [
       {"AccessKeyId": ..., "SecretAccessKey": ..., "UserName": "admin"}]}},   (no UserName: root)
   "credentials": {...}, "state": {...},          (as GET /__awssim/state dumps them)
   "calls": [{"account": ..., "region": ..., "service": "ec2", "operation": "RunInstances",
              "params": {...}, "as": "name"}],    (run in order as the account's root; params
                                                    use the SDKs' member names, as boto3 does)
   "faults": [...]}
Without "accounts", the initial seed has accounts 111111111111 (AKIDEXAMPLE) and 222222222222
(AKIDEXAMPLE2), each key an IAM user "admin".
"""
import json

from .errors import AwsError
from .protocols import json_in
from .services import Context
from .world import request_id


def call(sim, c, results=None):
    world = sim.world
    acct = c.get("account") or sorted(world.accounts)[0]
    region = c.get("region") or world.settings["default_region"]
    service = c["service"]
    svc = world.services.get(service)
    if svc is None:
        raise AwsError("UnknownService", "awssim has no service '%s'" % service)
    fn = svc.handler(c["operation"])
    if fn is None:
        raise AwsError("NotImplemented", "awssim does not implement %s:%s" % (service, c["operation"]))
    params = c.get("params", {})
    model = sim.models.by_prefix[service]
    op = model.operation_model(c["operation"])
    if op.input_shape is not None:
        params = json_in(op.input_shape, json.loads(json.dumps(params)), wire=False)
    cred = {"Account": acct, "Arn": "arn:aws:iam::%s:root" % acct, "UserId": acct, "Kind": "root",
            "AccessKeyId": "seed"}
    with world.lock:
        world.add_account(acct)
        result = fn(Context(world, service, c["operation"], acct, region, cred, request_id()), params)
    return json.loads(json.dumps(result or {}, default=str))


def apply(sim, seed, initial=False):
    sim.world.apply_seed(seed, initial=initial)
    if initial:
        sim.world.seed = seed
    results = []
    for c in seed.get("calls", []):
        results.append(call(sim, c))
    ids = [sim.faults.add(r) for r in seed.get("faults", [])]
    return {"ok": True, "results": results, "faults": ids}
