"""SigV4 verification with botocore's own signer, and AWS's answers when it fails.

The received request is rebuilt as a botocore AWSRequest and signed again with the secret the
simulator holds for the access key, over exactly the headers the client listed in SignedHeaders
and at the client's X-Amz-Date; the result must equal the client's signature.
"""
import datetime
import hashlib
import hmac
import re
from urllib.parse import quote

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from .errors import AwsError

SKEW = datetime.timedelta(minutes=15)
AUTH_RX = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)")

# (what went wrong, protocol or service) -> (code, status, message)
_MESSAGES = {
    "missing": "Request is missing Authentication Token",
    "unknown": "The security token included in the request is invalid.",
    "signature": ("The request signature we calculated does not match the signature you provided. "
                  "Check your AWS Secret Access Key and signing method. Consult the service "
                  "documentation for details."),
    "expired": "The security token included in the request is expired",
}
_CODES = {
    "ec2": {"missing": ("AuthFailure", 401), "unknown": ("AuthFailure", 401),
            "signature": ("AuthFailure", 401), "skew": ("RequestExpired", 400),
            "expired": ("RequestExpired", 400)},
    "query": {"missing": ("MissingAuthenticationToken", 403), "unknown": ("InvalidClientTokenId", 403),
              "signature": ("SignatureDoesNotMatch", 403), "skew": ("SignatureDoesNotMatch", 403),
              "expired": ("ExpiredToken", 403)},
    "json": {"missing": ("MissingAuthenticationTokenException", 400),
             "unknown": ("UnrecognizedClientException", 400),
             "signature": ("InvalidSignatureException", 400),
             "skew": ("InvalidSignatureException", 400), "expired": ("ExpiredTokenException", 400)},
    "rest-json": {"missing": ("MissingAuthenticationTokenException", 403),
                  "unknown": ("UnrecognizedClientException", 403),
                  "signature": ("InvalidSignatureException", 403),
                  "skew": ("InvalidSignatureException", 403), "expired": ("ExpiredTokenException", 403)},
    "rest-xml": {"missing": ("AccessDenied", 403), "unknown": ("InvalidAccessKeyId", 403),
                 "signature": ("SignatureDoesNotMatch", 403), "skew": ("RequestTimeTooSkewed", 403),
                 "expired": ("ExpiredToken", 400)},
}


def auth_error(protocol, what, message=None):
    code, status = _CODES.get(protocol, _CODES["query"])[what]
    if message is None:
        if what == "unknown" and protocol == "rest-xml":
            message = "The AWS Access Key Id you provided does not exist in our records."
        elif what in ("unknown", "missing", "signature") and protocol == "ec2":
            message = "AWS was not able to validate the provided access credentials"
        else:
            message = _MESSAGES.get(what, "Signature expired")
    return AwsError(code, message, status)


class Signed:
    """What the Authorization header (or presigned query) says."""

    def __init__(self, access_key, date, region, service, signed_headers, signature, amz_date,
                 presigned=False, expires=None):
        self.access_key = access_key
        self.date = date
        self.region = region
        self.service = service
        self.signed_headers = signed_headers
        self.signature = signature
        self.amz_date = amz_date
        self.presigned = presigned
        self.expires = expires


def parse_signed(req):
    """The credential scope and signature of a request, or None when it carries none."""
    auth = req.headers.get("authorization")
    if auth:
        m = AUTH_RX.match(auth.strip())
        if not m:
            return None
        scope = m.group(1).split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            return None
        amz_date = req.headers.get("x-amz-date") or ""
        return Signed(scope[0], scope[1], scope[2], scope[3], m.group(2).lower().split(";"),
                      m.group(3).lower(), amz_date)
    q = dict(req.query_pairs)
    if "X-Amz-Credential" in q and "X-Amz-Signature" in q:
        scope = q["X-Amz-Credential"].split("/")
        if len(scope) != 5:
            return None
        return Signed(scope[0], scope[1], scope[2], scope[3], q.get("X-Amz-SignedHeaders", "host").lower().split(";"),
                      q["X-Amz-Signature"].lower(), q.get("X-Amz-Date", ""), True,
                      int(q.get("X-Amz-Expires", "3600")))
    return None


def _headers_for(req, names):
    class _Verifier:
        def headers_to_sign(self, request):
            hm = HTTPHeaders()
            for n in names:
                for v in req.header_all(n):
                    hm[n] = v
            return hm
    return _Verifier


def verify(req, signed, cred, protocol, now=None):
    """Raise the protocol's AwsError unless the request is signed with cred's secret."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    try:
        ts = datetime.datetime.strptime(signed.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise auth_error(protocol, "signature", "Invalid or missing X-Amz-Date: '%s'" % signed.amz_date)
    if signed.presigned:
        if now > ts + datetime.timedelta(seconds=signed.expires):
            raise AwsError("AccessDenied" if protocol == "rest-xml" else "ExpiredToken",
                           "Request has expired", 403)
    elif abs(now - ts) > SKEW:
        if protocol == "ec2":
            raise auth_error(protocol, "skew", "Request has expired.")
        if protocol == "rest-xml":
            raise auth_error(protocol, "skew", "The difference between the request time and the current time is too large.")
        raise auth_error(protocol, "skew", "Signature expired: %s is now earlier than %s (%s - 15 min.)" % (
            signed.amz_date, (now - SKEW).strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%dT%H%M%SZ")))
    if signed.date != signed.amz_date[:8]:
        raise auth_error(protocol, "signature", "Credential should be scoped to a valid date: '%s'" % signed.date)
    if "host" not in signed.signed_headers and not signed.presigned:
        raise auth_error(protocol, "signature", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    for n in signed.signed_headers:
        if not req.header_all(n) and n != "host":
            raise auth_error(protocol, "signature")
    sha = req.headers.get("x-amz-content-sha256")
    if sha and not signed.presigned:
        if sha.startswith("STREAMING-"):
            raise AwsError("NotImplemented", "awssim does not accept aws-chunked payloads (%s)" % sha, 501)
        if sha != "UNSIGNED-PAYLOAD" and sha != hashlib.sha256(req.body).hexdigest():
            raise AwsError("XAmzContentSHA256Mismatch",
                           "The provided 'x-amz-content-sha256' header does not match what was computed.", 400)
    base = S3SigV4Auth if signed.service == "s3" else SigV4Auth
    cls = type("Verifier", (_headers_for(req, signed.signed_headers), base), {})
    signer = cls(Credentials(cred["AccessKeyId"], cred["SecretAccessKey"], cred.get("SessionToken")),
                 signed.service, signed.region)
    pairs = [(k, v) for k, v in req.query_pairs if not (signed.presigned and k == "X-Amz-Signature")]
    query = "&".join("%s=%s" % (quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    url = "http://%s%s%s" % (req.headers.get("host", "localhost"), req.raw_path, "?" + query if query else "")
    areq = AWSRequest(method=req.method, url=url, data=req.body)
    for k in req.header_names():
        for v in req.header_all(k):
            areq.headers[k] = v
    areq.context["timestamp"] = signed.amz_date
    if signed.presigned and signed.service == "s3":
        signer.payload = lambda request: "UNSIGNED-PAYLOAD"
        if "X-Amz-Content-SHA256" in areq.headers:
            del areq.headers["X-Amz-Content-SHA256"]
    canonical = signer.canonical_request(areq)
    expected = signer.signature(signer.string_to_sign(areq, canonical), areq)
    if not hmac.compare_digest(expected, signed.signature):
        raise auth_error(protocol, "signature")
