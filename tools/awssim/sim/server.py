"""The HTTP server: one request in, routed by credential scope and protocol, one response out."""
import http.server
import json
import socket
import time
from urllib.parse import parse_qsl, urlsplit

from . import auth, faults, inspect, protocols
from .errors import AwsError
from .services import Context
from .world import now, request_id

CONTROL = "/__awssim/"


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method
        split = urlsplit(target)
        self.raw_path = split.path or "/"
        self.raw_query = split.query
        self.query_pairs = parse_qsl(split.query, keep_blank_values=True)
        self._headers = headers
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def header_all(self, name):
        return self._headers.get_all(name) or []

    def header_names(self):
        seen = []
        for k in self._headers.keys():
            if k.lower() not in seen:
                seen.append(k.lower())
        return seen


class Simulator:
    def __init__(self, models, world, latency_ms=0):
        self.models = models
        self.world = world
        self.faults = faults.Faults()
        self.latency_ms = latency_ms
        self.routers = {}

    def router(self, model):
        name = model.metadata["endpointPrefix"]
        if name not in self.routers:
            self.routers[name] = protocols.Router(model)
        return self.routers[name]

    def operation(self, model, req):
        proto = model.metadata["protocol"]
        if proto in ("query", "ec2"):
            pairs = list(req.query_pairs)
            ctype = req.headers.get("content-type", "")
            if req.body and (not ctype or "x-www-form-urlencoded" in ctype):
                pairs += parse_qsl(req.body.decode("utf-8"), keep_blank_values=True)
            form = dict(pairs)
            action = form.get("Action")
            if not action:
                raise AwsError("MissingAction", "Missing Action", 400)
            if action not in model.operation_names:
                raise AwsError("InvalidAction", "Could not find operation %s for version %s" % (
                    action, form.get("Version", "NO_VERSION_SPECIFIED")), 400)
            op = model.operation_model(action)
            return op, lambda: protocols.parse_form(op, pairs, proto == "ec2")
        if proto == "json":
            target = req.headers.get("x-amz-target", "")
            prefix, _, name = target.rpartition(".")
            if prefix != model.metadata.get("targetPrefix") or name not in model.operation_names:
                raise AwsError("UnknownOperationException", "Unknown operation %s" % target, 400)
            op = model.operation_model(name)
            return op, lambda: protocols.parse_json_request(op, req.body)
        op, labels = self.router(model).find(req.method, req.raw_path, dict(req.query_pairs), req.headers)
        if op is None:
            if proto == "rest-xml":
                raise AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
            raise AwsError("UnknownOperationException", "No operation matches %s %s" % (req.method, req.raw_path), 404)
        return op, lambda: protocols.parse_rest(op, labels, req.query_pairs, req.headers, req.body, proto)

    def handle(self, req):
        """Return (Response, actions) where actions are fault kinds to apply while answering."""
        rid = request_id()
        t0 = time.time()
        entry = {"time": now().isoformat(), "service": None, "operation": None, "account": None,
                 "region": None, "access_key": None, "status": None, "error": None, "request_id": rid}
        model = None
        actions = []
        try:
            signed = auth.parse_signed(req)
            if signed is None:
                model = self.guess_model(req)
                raise auth.auth_error(model.metadata["protocol"] if model else "query", "missing")
            model = self.models.for_scope(signed.service)
            if model is None:
                raise AwsError("UnknownService", "awssim has no model for service '%s'" % signed.service, 400)
            proto = model.metadata["protocol"]
            entry.update(service=model.metadata["endpointPrefix"], region=signed.region, access_key=signed.access_key)
            op, parse = self.operation(model, req)
            entry["operation"] = op.name
            with self.world.lock:
                cred = self.world.credential(signed.access_key)
                if cred is None:
                    raise auth.auth_error(proto, "unknown")
            auth.verify(req, signed, cred, proto)
            with self.world.lock:
                self.check_credential(cred, req, signed, proto)
            entry["account"] = cred["Account"]
            entry["principal"] = cred["Arn"]
            if cred.get("SessionTags"):
                entry["session_tags"] = cred["SessionTags"]
            actions = self.faults.match(cred["Account"], entry["service"], op.name)
            for kind, rule in actions:
                if kind == "drop":
                    entry["status"] = "dropped"
                    return None, actions, entry
                if kind == "throttle":
                    code, status, msg = faults.THROTTLE[proto]
                    raise AwsError(code, msg, status)
                if kind == "error" and rule.get("code"):
                    raise AwsError(rule["code"], rule.get("message") or "awssim fault %s: injected %s" % (
                        rule["id"], rule["code"]), int(rule.get("status", 400)))
                if kind == "error":
                    st = int(rule.get("status", 500))
                    raise AwsError(faults.SERVER[st][proto], "awssim fault %s: injected %d" % (rule["id"], st), st)
            params = parse()
            svc = self.world.services.get(entry["service"])
            fn = svc.handler(op.name) if svc else None
            if fn is None:
                raise AwsError("NotImplemented", "awssim does not implement %s:%s" % (entry["service"], op.name), 400)
            with self.world.lock:
                ctx = Context(self.world, entry["service"], op.name, cred["Account"], signed.region, cred, rid)
                result = fn(ctx, params)
            resp = protocols.serialize(model, op, result, rid)
        except AwsError as e:
            entry["error"] = e.code
            resp = protocols.serialize_error(model, e, rid)
        except Exception as e:  # a simulator bug: answer 500 and say what broke
            import traceback
            traceback.print_exc()
            entry["error"] = "InternalError"
            resp = protocols.serialize_error(model, AwsError("InternalError", "awssim: %s: %s" % (type(e).__name__, e), 500), rid)
        entry["status"] = resp.status
        entry["ms"] = round((time.time() - t0) * 1000, 1)
        return resp, actions, entry

    def check_credential(self, cred, req, signed, proto):
        if cred.get("SessionToken"):
            token = req.headers.get("x-amz-security-token") or dict(req.query_pairs).get("X-Amz-Security-Token")
            if token != cred["SessionToken"]:
                raise auth.auth_error(proto, "unknown")
            if cred.get("Expiration") and now().strftime("%Y-%m-%dT%H:%M:%SZ") >= cred["Expiration"]:
                raise auth.auth_error(proto, "expired")
        if cred["Kind"] == "user":
            iam = self.world.state(cred["Account"], None, "iam")
            u = iam["users"].get(cred["UserName"])
            key = (u or {}).get("_keys", {}).get(cred["AccessKeyId"])
            if key is None or key["Status"] != "Active":
                raise auth.auth_error(proto, "unknown")

    def guess_model(self, req):
        target = req.headers.get("x-amz-target", "")
        for m in self.models.by_prefix.values():
            if target and target.startswith(m.metadata.get("targetPrefix", "\0") + "."):
                return m
        return None


def make_handler(sim):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "awssim"
        # TCP_NODELAY: headers and body go out as two writes; with Nagle on, the second waits
        # for the client's delayed ACK (40 ms) on every reused connection.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):
            pass

        def _body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _serve(self):
            body = self._body()
            if self.path.startswith(CONTROL):
                status, obj = inspect.control(sim, self.command, self.path, body)
                data = json.dumps(obj, indent=1, default=str).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            req = Request(self.command, self.path, self.headers, body)
            resp, actions, entry = sim.handle(req)
            delay = sim.latency_ms / 1000.0
            slow = 0.0
            for kind, rule in actions:
                if kind == "latency":
                    delay += float(rule.get("latency_ms", 0)) / 1000.0
                elif kind == "slow":
                    slow += float(rule.get("delay_ms", 0)) / 1000.0
            if delay:
                time.sleep(delay)
            sim.world.record(entry)
            if resp is None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self.send_response(resp.status)
            if resp.status in (204, 304):
                resp.body = b""
            for k, v in resp.headers.items():
                if k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if slow:
                self.wfile.flush()
                time.sleep(slow)
            if self.command != "HEAD":
                self.wfile.write(resp.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(sim, port=0):
    return Server(("127.0.0.1", port), make_handler(sim))
