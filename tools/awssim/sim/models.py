"""Service models: the aws-sdk@2 .min.json files in tools/models/apis, loaded into botocore.

The .min.json form inlines shapes (operation input/output, members, list members, map keys and
values) and writes a bare string member as {}. botocore.model.ServiceModel wants every shape
reference to name a shape, so inline shapes are given names of their own here. An inline shape's
serialization traits (locationName, location, flattened, ...) stay on the new shape, which is used
by exactly that one reference, so botocore merges them exactly as it would from the reference.
"""
import glob
import json
import os

from botocore.model import ServiceModel

APIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "apis")


class Normaliser:
    def __init__(self, shapes):
        self.shapes = dict(shapes)
        self.count = 0

    def ref(self, node, hint):
        """Return a reference ({"shape": name, ...traits}) for an inline shape or a reference."""
        if "shape" in node:
            return node
        self.count += 1
        name = "Inline_%s_%d" % (hint, self.count)
        self.shapes[name] = self.shape(dict(node), name)
        return {"shape": name}

    def shape(self, body, hint):
        body.setdefault("type", "string")
        t = body["type"]
        if t == "structure":
            body["members"] = {k: self.ref(v, k) for k, v in body.get("members", {}).items()}
        elif t == "list":
            body["member"] = self.ref(body.get("member", {}), hint + "Member")
        elif t == "map":
            body["key"] = self.ref(body.get("key", {}), hint + "Key")
            body["value"] = self.ref(body.get("value", {}), hint + "Value")
        return body


def normalise(doc):
    n = Normaliser({})
    for name, body in doc.get("shapes", {}).items():
        n.shapes[name] = n.shape(dict(body), name)
    ops = {}
    for name, op in doc.get("operations", {}).items():
        op = dict(op)
        op["name"] = name
        if "http" in op or doc["metadata"]["protocol"].startswith("rest"):
            op["http"] = dict(op.get("http", {}))
            op["http"].setdefault("method", "POST")
            op["http"].setdefault("requestUri", "/")
        for key in ("input", "output"):
            if key in op:
                op[key] = n.ref(op[key], name + key.capitalize())
        if "errors" in op:
            op["errors"] = [n.ref(e, name + "Error") for e in op["errors"]]
        ops[name] = op
    out = dict(doc)
    out["operations"] = ops
    out["shapes"] = n.shapes
    return out


class Models:
    """Every model in APIS, by signing name (the credential scope's service) and endpoint prefix."""

    def __init__(self, apis=APIS):
        self.by_signing = {}
        self.by_prefix = {}
        paths = sorted(glob.glob(os.path.join(apis, "*.min.json")))
        if not paths:
            raise SystemExit("awssim: no service models in %s" % apis)
        for path in paths:
            with open(path, encoding="utf-8") as f:
                doc = normalise(json.load(f))
            meta = doc["metadata"]
            model = ServiceModel(doc, service_name=meta["endpointPrefix"])
            self.by_prefix[meta["endpointPrefix"]] = model
            self.by_signing[meta.get("signingName", meta["endpointPrefix"])] = model

    def for_scope(self, service):
        return self.by_signing.get(service) or self.by_prefix.get(service)


BOTOCORE_NAMES = {"elasticloadbalancingv2": "elbv2"}


def write_data_path(root, apis=APIS):
    """Write the normalised models as a botocore data path (AWS_DATA_PATH) so boto3 clients speak
    the same models as the simulator rather than Debian botocore's older copies."""
    for path in sorted(glob.glob(os.path.join(apis, "*.min.json"))):
        base = os.path.basename(path)[:-len(".min.json")]
        name, version = base[:-11], base[-10:]
        with open(path, encoding="utf-8") as f:
            doc = normalise(json.load(f))
        out = os.path.join(root, BOTOCORE_NAMES.get(name, name), version)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "service-2.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f)
    return root
