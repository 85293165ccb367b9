"""Wire protocols: requests into parameter dicts and results into responses, driven by the model.

Parameter and result dicts use the model's member names, the same shape boto3 shows. Results may
carry extra keys (state kept by a service): only the output shape's members are written.
"""
import base64
import calendar
import datetime
import email.utils
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

from .errors import AwsError


# ---------------------------------------------------------------- values

def to_datetime(v):
    if isinstance(v, datetime.datetime):
        return v if v.tzinfo else v.replace(tzinfo=datetime.timezone.utc)
    if isinstance(v, (int, float)):
        return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
    s = str(v).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", s):
        return datetime.datetime.fromtimestamp(float(s), datetime.timezone.utc)
    if re.match(r"^[A-Z][a-z]{2},", s):
        return email.utils.parsedate_to_datetime(s)
    s = s.replace("Z", "+00:00")
    d = datetime.datetime.fromisoformat(s)
    return d if d.tzinfo else d.replace(tzinfo=datetime.timezone.utc)


def iso8601(v):
    d = to_datetime(v).astimezone(datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def epoch(v):
    d = to_datetime(v)
    secs = calendar.timegm(d.utctimetuple()) + d.microsecond / 1e6
    return int(secs) if secs == int(secs) else round(secs, 3)


def rfc822(v):
    return email.utils.format_datetime(to_datetime(v).astimezone(datetime.timezone.utc), usegmt=True)


def format_timestamp(shape, v, default):
    fmt = shape.serialization.get("timestampFormat", default)
    if fmt == "iso8601":
        return iso8601(v)
    if fmt == "rfc822":
        return rfc822(v)
    return epoch(v)


def scalar_in(shape, s, where):
    """A string from a form, query string, header or XML text, as the shape's Python value."""
    t = shape.type_name
    try:
        if t in ("integer", "long", "short", "byte"):
            return int(s)
        if t in ("float", "double", "bigdecimal"):
            return float(s)
        if t == "boolean":
            if s.lower() not in ("true", "false"):
                raise ValueError(s)
            return s.lower() == "true"
        if t == "timestamp":
            return to_datetime(s)
        if t == "blob":
            return base64.b64decode(s) if where != "payload" else s
    except (ValueError, TypeError, OverflowError) as e:
        raise AwsError("ValidationError" if where != "json" else "SerializationException",
                       "Value '%s' is not a valid %s: %s" % (s, t, e))
    return s


def json_in(shape, v, wire=True):
    """Coerce a decoded JSON value to Python values of the shape (blobs, timestamps). Keys are the
    members' wire names (json protocols), or with wire=False their names in the model, as the SDKs
    and the control endpoint's calls write them (ec2's Description, not GroupDescription)."""
    if v is None:
        return None
    t = shape.type_name
    if t == "structure":
        if not isinstance(v, dict):
            raise AwsError("SerializationException", "Expected an object for %s" % shape.name)
        out = {}
        for name, m in shape.members.items():
            key = m.serialization.get("name", name) if wire else name
            if key in v:
                out[name] = json_in(m, v[key], wire)
        return out
    if t == "list":
        if not isinstance(v, list):
            raise AwsError("SerializationException", "Expected a list for %s" % shape.name)
        return [json_in(shape.member, x, wire) for x in v]
    if t == "map":
        if not isinstance(v, dict):
            raise AwsError("SerializationException", "Expected an object for %s" % shape.name)
        return {k: json_in(shape.value, x, wire) for k, x in v.items()}
    if t == "blob":
        return base64.b64decode(v)
    if t == "timestamp":
        return to_datetime(v)
    return v


def json_out(shape, v, ts_default="unixTimestamp"):
    t = shape.type_name
    if t == "structure":
        out = {}
        for name, m in shape.members.items():
            if name in v and v[name] is not None and m.serialization.get("location") is None:
                out[m.serialization.get("name", name)] = json_out(m, v[name], ts_default)
        return out
    if t == "list":
        return [json_out(shape.member, x, ts_default) for x in v]
    if t == "map":
        return {k: json_out(shape.value, x, ts_default) for k, x in v.items()}
    if t == "blob":
        return base64.b64encode(v if isinstance(v, bytes) else str(v).encode()).decode()
    if t == "timestamp":
        return format_timestamp(shape, v, ts_default)
    if t in ("integer", "long"):
        return int(v)
    if t in ("float", "double"):
        return float(v)
    if t == "boolean":
        return bool(v)
    return v


# ---------------------------------------------------------------- query and ec2 requests

class FormParams:
    def __init__(self, pairs):
        self.values = {}
        self.prefixes = set()
        for k, v in pairs:
            self.values[k] = v
            parts = k.split(".")
            for i in range(1, len(parts)):
                self.prefixes.add(".".join(parts[:i]))

    def has(self, key):
        return key in self.values or key in self.prefixes


def _form_member_key(name, m, ec2):
    if ec2:
        q = m.serialization.get("queryName")
        if q:
            return q
        ln = m.serialization.get("name")
        if ln:
            return ln[0].upper() + ln[1:]
        return name
    return m.serialization.get("name", name)


def _form_value(shape, key, p, ec2):
    t = shape.type_name
    if t == "structure":
        if not p.has(key):
            return None
        out = {}
        for name, m in shape.members.items():
            v = _form_value(m, key + "." + _form_member_key(name, m, ec2), p, ec2)
            if v is not None:
                out[name] = v
        return out
    if t == "list":
        if ec2:
            lp = key
        elif shape.serialization.get("flattened"):
            lp = key
            if shape.member.serialization.get("name"):
                lp = ".".join(key.split(".")[:-1] + [shape.member.serialization["name"]])
        else:
            lp = key + "." + shape.member.serialization.get("name", "member")
        if p.values.get(key) == "" and not p.has(lp + ".1"):
            return []
        items = []
        i = 1
        while p.has("%s.%d" % (lp, i)):
            items.append(_form_value(shape.member, "%s.%d" % (lp, i), p, ec2))
            i += 1
        return items if items else None
    if t == "map":
        flat = shape.serialization.get("flattened")
        ep = key if flat else key + ".entry"
        kn = shape.key.serialization.get("name", "key")
        vn = shape.value.serialization.get("name", "value")
        out = {}
        i = 1
        while p.has("%s.%d" % (ep, i)):
            k = p.values.get("%s.%d.%s" % (ep, i, kn))
            out[k] = _form_value(shape.value, "%s.%d.%s" % (ep, i, vn), p, ec2)
            i += 1
        return out if out or p.has(key) else None
    if key not in p.values:
        return None
    return scalar_in(shape, p.values[key], "form")


def parse_form(op, pairs, ec2):
    shape = op.input_shape
    if shape is None:
        return {}
    p = FormParams(pairs)
    out = {}
    for name, m in shape.members.items():
        v = _form_value(m, _form_member_key(name, m, ec2), p, ec2)
        if v is not None:
            out[name] = v
    return out


# ---------------------------------------------------------------- XML

def _xml_scalar(shape, v):
    t = shape.type_name
    if t == "timestamp":
        return format_timestamp(shape, v, "iso8601")
    if t == "boolean":
        return "true" if v else "false"
    if t == "blob":
        return base64.b64encode(v if isinstance(v, bytes) else str(v).encode()).decode()
    return str(v)


def xml_element(shape, v, name, ec2=False, attrs=""):
    """One element <name>...</name> for value v of shape (lists flattened write several)."""
    t = shape.type_name
    if t == "structure":
        inner = xml_members(shape, v, ec2)
        return "<%s%s>%s</%s>" % (name, attrs, inner, name)
    if t == "list":
        mname = shape.member.serialization.get("name", "item" if ec2 else "member")
        if shape.serialization.get("flattened"):
            return "".join(xml_element(shape.member, x, shape.member.serialization.get("name", name), ec2)
                           for x in v)
        items = "".join(xml_element(shape.member, x, mname, ec2) for x in v)
        return "<%s%s>%s</%s>" % (name, attrs, items, name)
    if t == "map":
        kn = shape.key.serialization.get("name", "key")
        vn = shape.value.serialization.get("name", "value")
        entries = ["<%s>%s</%s>%s" % (kn, escape(str(k)), kn, xml_element(shape.value, x, vn, ec2))
                   for k, x in v.items()]
        if shape.serialization.get("flattened"):
            return "".join("<%s>%s</%s>" % (name, e, name) for e in entries)
        return "<%s%s>%s</%s>" % (name, attrs, "".join("<entry>%s</entry>" % e for e in entries), name)
    return "<%s%s>%s</%s>" % (name, attrs, escape(_xml_scalar(shape, v)), name)


def xml_members(shape, v, ec2=False):
    parts = []
    for mname, m in shape.members.items():
        if mname not in v or v[mname] is None or m.serialization.get("location"):
            continue
        parts.append(xml_element(m, v[mname], m.serialization.get("name", mname), ec2))
    return "".join(parts)


def _strip_ns(tag):
    return tag.split("}", 1)[1] if "}" in tag else tag


def xml_in(shape, el):
    t = shape.type_name
    if t == "structure":
        out = {}
        children = list(el)
        for name, m in shape.members.items():
            key = m.serialization.get("name", name)
            if m.type_name == "list" and m.serialization.get("flattened"):
                key = m.member.serialization.get("name", key)
                found = [c for c in children if _strip_ns(c.tag) == key]
                if found:
                    out[name] = [xml_in(m.member, c) for c in found]
                continue
            for c in children:
                if _strip_ns(c.tag) == key:
                    out[name] = xml_in(m, c)
                    break
        return out
    if t == "list":
        return [xml_in(shape.member, c) for c in el]
    if t == "map":
        out = {}
        kn = shape.key.serialization.get("name", "key")
        vn = shape.value.serialization.get("name", "value")
        for entry in el:
            k = v = None
            for c in entry:
                if _strip_ns(c.tag) == kn:
                    k = c.text or ""
                elif _strip_ns(c.tag) == vn:
                    v = xml_in(shape.value, c)
            out[k] = v
        return out
    return scalar_in(shape, el.text or "", "xml")


# ---------------------------------------------------------------- rest routing

class Route:
    def __init__(self, op):
        self.op = op
        http = op.http
        self.method = http.get("method", "POST").upper()
        uri = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        self.query = dict(parse_qsl(query, keep_blank_values=True))
        self.labels = []
        rx = ""
        for tok in re.split(r"(\{[^}]+\})", path):
            if tok.startswith("{"):
                label = tok[1:-1]
                greedy = label.endswith("+")
                label = label.rstrip("+")
                self.labels.append(label)
                rx += "(.+)" if greedy else "([^/]+)"
            else:
                rx += re.escape(tok)
        if path.endswith("/") and path != "/":
            rx += "?"
        self.rx = re.compile("^" + rx + "$")
        shape = op.input_shape
        self.headers = [shape.members[n].serialization.get("name", n).lower() for n in
                        (shape.required_members if shape is not None else [])
                        if shape.members[n].serialization.get("location") == "header"]
        # required query members tell apart operations on one URI (s3 DeleteObject and
        # AbortMultipartUpload, which needs ?uploadId)
        self.required_query = [shape.members[n].serialization.get("name", n) for n in
                               (shape.required_members if shape is not None else [])
                               if shape.members[n].serialization.get("location") == "querystring"]
        self.weight = (len(self.query) + len(self.required_query), len(self.headers),
                       len(re.sub(r"\{[^}]+\}", "", path)))

    def match(self, method, path, query, headers=None):
        if method != self.method:
            return None
        if any(h not in (headers or {}) for h in self.headers) or any(q not in query for q in self.required_query):
            return None
        for k, v in self.query.items():
            if k not in query or (v and query[k] != v):
                return None
        m = self.rx.match(path)
        if not m:
            return None
        return {label: unquote(val) for label, val in zip(self.labels, m.groups())}


class Router:
    def __init__(self, model):
        self.routes = sorted((Route(model.operation_model(n)) for n in model.operation_names),
                             key=lambda r: r.weight, reverse=True)

    def find(self, method, path, query, headers=None):
        for r in self.routes:
            labels = r.match(method, path, query, headers)
            if labels is not None:
                return r.op, labels
        return None, None


def parse_rest(op, labels, query_pairs, headers, body, protocol):
    shape = op.input_shape
    if shape is None:
        return {}
    out = {}
    query = {}
    for k, v in query_pairs:
        query.setdefault(k, []).append(v)
    payload = shape.serialization.get("payload")
    body_members = {}
    for name, m in shape.members.items():
        loc = m.serialization.get("location")
        key = m.serialization.get("name", name)
        if loc == "uri":
            if key in labels:
                out[name] = scalar_in(m, labels[key], "uri")
        elif loc == "querystring":
            if m.type_name == "map":
                taken = {mm.serialization.get("name") for mm in shape.members.values()}
                rest = {k: (v if m.value.type_name == "list" else v[0])
                        for k, v in query.items() if k not in taken}
                if rest:
                    out[name] = rest
            elif key in query:
                out[name] = ([scalar_in(m.member, x, "query") for x in query[key]]
                             if m.type_name == "list" else scalar_in(m, query[key][0], "query"))
        elif loc == "header":
            if key.lower() in headers:
                h = headers[key.lower()]
                if m.type_name == "list":
                    out[name] = [x.strip() for x in h.split(",")]
                elif m.type_name == "timestamp":
                    out[name] = to_datetime(h)
                elif m.serialization.get("jsonvalue"):
                    out[name] = json.loads(base64.b64decode(h))
                else:
                    out[name] = scalar_in(m, h, "header")
        elif loc == "headers":
            pre = key.lower()
            got = {k[len(pre):]: v for k, v in headers.items() if k.startswith(pre)}
            if got:
                out[name] = got
        elif payload is None:
            body_members[name] = m
    if payload:
        m = shape.members[payload]
        if m.type_name in ("blob", "string"):
            if body:
                out[payload] = body if m.type_name == "blob" else body.decode("utf-8")
        elif body:
            if protocol == "rest-xml":
                out[payload] = xml_in(m, _parse_xml(body))
            else:
                out[payload] = json_in(m, _parse_json(body))
    elif body_members and body:
        if protocol == "rest-xml":
            out.update(xml_in(shape, _parse_xml(body)))
        else:
            out.update(json_in(shape, _parse_json(body)))
    return out


def _parse_json(body):
    try:
        return json.loads(body.decode("utf-8")) if body.strip() else {}
    except (ValueError, UnicodeDecodeError) as e:
        raise AwsError("SerializationException", "Malformed JSON body: %s" % e)


def _parse_xml(body):
    try:
        return ET.fromstring(body)
    except ET.ParseError as e:
        raise AwsError("MalformedXML", "The XML you provided was not well-formed: %s" % e)


def parse_json_request(op, body):
    shape = op.input_shape
    if shape is None:
        return {}
    return json_in(shape, _parse_json(body))


# ---------------------------------------------------------------- responses

class Response:
    def __init__(self, status=200, headers=None, body=b""):
        self.status = status
        self.headers = headers or {}
        self.body = body


def serialize(model, op, result, request_id):
    proto = model.metadata["protocol"]
    shape = op.output_shape
    result = result or {}
    ns = model.metadata.get("xmlNamespace", "")
    if proto == "ec2":
        inner = xml_members(shape, result, True) if shape is not None else ""
        body = '<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s"><requestId>%s</requestId>%s</%sResponse>' % (
            op.name, ns, request_id, inner, op.name)
        return Response(200, {"Content-Type": "text/xml;charset=UTF-8"}, body.encode())
    if proto == "query":
        res = ""
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", op.name + "Result")
            res = "<%s>%s</%s>" % (wrapper, xml_members(shape, result), wrapper)
        body = '<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>' % (
            op.name, ns, res, request_id, op.name)
        return Response(200, {"Content-Type": "text/xml"}, body.encode())
    if proto == "json":
        body = json.dumps(json_out(shape, result) if shape is not None else {})
        return Response(200, {"Content-Type": "application/x-amz-json-%s" % model.metadata.get("jsonVersion", "1.0"),
                              "x-amzn-RequestId": request_id}, body.encode())
    # rest-json and rest-xml
    headers = {"x-amzn-RequestId": request_id, "x-amz-request-id": request_id}
    status = op.http.get("responseCode", 200)
    body = b""
    if shape is not None:
        payload = shape.serialization.get("payload")
        for name, m in shape.members.items():
            loc = m.serialization.get("location")
            if name not in result or result[name] is None:
                continue
            v = result[name]
            key = m.serialization.get("name", name)
            if loc == "header":
                if m.type_name == "timestamp":
                    headers[key] = format_timestamp(m, v, "rfc822")
                elif m.type_name == "boolean":
                    headers[key] = "true" if v else "false"
                elif m.type_name == "list":
                    headers[key] = ",".join(str(x) for x in v)
                elif m.serialization.get("jsonvalue"):
                    headers[key] = base64.b64encode(json.dumps(v).encode()).decode()
                else:
                    headers[key] = str(v)
            elif loc == "headers":
                for k, x in v.items():
                    headers[key + k] = str(x)
            elif loc == "statusCode":
                status = int(v)
        if payload:
            m = shape.members[payload]
            v = result.get(payload)
            if v is None:
                body = b""
            elif m.type_name == "blob":
                body = v if isinstance(v, bytes) else str(v).encode()
            elif m.type_name == "string":
                body = str(v).encode()
            elif proto == "rest-xml":
                root = m.serialization.get("name", m.name)
                body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml_element(m, v, root, attrs=' xmlns="%s"' % ns if ns else "")).encode()
            else:
                body = json.dumps(json_out(m, v)).encode()
        elif proto == "rest-xml":
            if any(m.serialization.get("location") is None for m in shape.members.values()):
                root = shape.serialization.get("name", op.name + "Result")
                body = ('<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="%s">%s</%s>' % (
                    root, ns or "http://s3.amazonaws.com/doc/2006-03-01/", xml_members(shape, result), root)).encode()
        else:
            body = json.dumps(json_out(shape, result)).encode()
    elif proto == "rest-json":
        body = b"{}"
    headers.setdefault("Content-Type", "application/xml" if proto == "rest-xml" else "application/json")
    return Response(status, headers, body)


def serialize_error(model, err, request_id):
    proto = model.metadata["protocol"] if model is not None else "query"
    code, msg = err.code, err.message
    if proto == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>'
                % (escape(code), escape(msg), request_id))
        return Response(err.status, {"Content-Type": "text/xml;charset=UTF-8"}, body.encode())
    if proto == "query":
        ns = model.metadata.get("xmlNamespace", "") if model is not None else ""
        body = ('<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>'
                % (ns, "Sender" if err.status < 500 else "Receiver", escape(code), escape(msg), request_id))
        return Response(err.status, {"Content-Type": "text/xml"}, body.encode())
    if proto == "rest-xml":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>'
                % (escape(code), escape(msg), request_id))
        return Response(err.status, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, body.encode())
    headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
    extra = dict(err.extra)
    query_error = extra.pop("query_error", None)
    if query_error and model is not None and "awsQueryCompatible" in model.metadata:
        headers["x-amzn-query-error"] = "%s;%s" % (query_error, "Sender" if err.status < 500 else "Receiver")
    if proto == "json":
        headers["Content-Type"] = "application/x-amz-json-%s" % model.metadata.get("jsonVersion", "1.0")
        body = {"__type": code, "message": msg}
    else:
        headers["Content-Type"] = "application/json"
        body = {"Type": "User" if err.status < 500 else "Service", "message": msg}
    body.update(extra)
    return Response(err.status, headers, json.dumps(body).encode())
