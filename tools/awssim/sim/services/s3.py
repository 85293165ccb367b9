"""S3: buckets and objects (bodies, metadata, tags), enough for evidence and artifacts."""
import hashlib

from ..errors import AwsError
from ..world import now_iso
from . import Service, need


def _no_bucket(name):
    return AwsError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=name)


class SERVICE(Service):
    NAME = "s3"
    GLOBAL = True

    def initial_state(self, account, region):
        return {"buckets": {}}

    def _bucket(self, ctx, name):
        b = ctx.state()["buckets"].get(name)
        if b is None:
            raise _no_bucket(name)
        return b

    def _object(self, ctx, p):
        b = self._bucket(ctx, p.get("Bucket"))
        o = b["objects"].get(p.get("Key"))
        if o is None:
            raise AwsError("NoSuchKey", "The specified key does not exist.", 404)
        return o

    def CreateBucket(self, ctx, p):
        need(p, "Bucket")
        st = ctx.state()
        if p["Bucket"] in st["buckets"]:
            raise AwsError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409)
        region = (p.get("CreateBucketConfiguration") or {}).get("LocationConstraint") or "us-east-1"
        st["buckets"][p["Bucket"]] = {"Name": p["Bucket"], "CreationDate": now_iso(), "Region": region, "objects": {}, "Tags": []}
        return {"Location": "/" + p["Bucket"]}

    def HeadBucket(self, ctx, p):
        b = self._bucket(ctx, p.get("Bucket"))
        return {"BucketRegion": b["Region"]}

    def ListBuckets(self, ctx, p):
        return {"Buckets": [{"Name": b["Name"], "CreationDate": b["CreationDate"]} for b in ctx.state()["buckets"].values()],
                "Owner": {"ID": ctx.account, "DisplayName": "awssim"}}

    def DeleteBucket(self, ctx, p):
        b = self._bucket(ctx, p.get("Bucket"))
        if b["objects"]:
            raise AwsError("BucketNotEmpty", "The bucket you tried to delete is not empty", 409)
        del ctx.state()["buckets"][b["Name"]]
        return {}

    def PutObject(self, ctx, p):
        b = self._bucket(ctx, p.get("Bucket"))
        need(p, "Key")
        body = p.get("Body") or b""
        if isinstance(body, str):
            body = body.encode()
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        b["objects"][p["Key"]] = {"Key": p["Key"], "Body": body.decode("latin-1"), "ETag": etag, "Size": len(body),
                                  "LastModified": now_iso(), "ContentType": p.get("ContentType", "binary/octet-stream"),
                                  "Metadata": p.get("Metadata", {}), "StorageClass": "STANDARD", "TagSet": []}
        if p.get("Tagging"):
            from urllib.parse import parse_qsl
            b["objects"][p["Key"]]["TagSet"] = [{"Key": k, "Value": v} for k, v in parse_qsl(p["Tagging"])]
        return {"ETag": etag}

    def GetObject(self, ctx, p):
        o = self._object(ctx, p)
        return dict(o, Body=o["Body"].encode("latin-1"), ContentLength=o["Size"])

    def HeadObject(self, ctx, p):
        o = self._object(ctx, p)
        return dict(o, ContentLength=o["Size"])

    def DeleteObject(self, ctx, p):
        b = self._bucket(ctx, p.get("Bucket"))
        b["objects"].pop(p.get("Key"), None)
        return {}

    def ListObjectsV2(self, ctx, p):
        b = self._bucket(ctx, p.get("Bucket"))
        keys = sorted(k for k in b["objects"] if k.startswith(p.get("Prefix", "")))
        start = p.get("ContinuationToken") or p.get("StartAfter") or ""
        keys = [k for k in keys if k > start] if start else keys
        n = int(p.get("MaxKeys", 1000))
        page = keys[:n]
        out = {"Name": b["Name"], "Prefix": p.get("Prefix", ""), "KeyCount": len(page), "MaxKeys": n,
               "IsTruncated": len(keys) > n,
               "Contents": [{k: b["objects"][key][k] for k in ("Key", "ETag", "Size", "LastModified", "StorageClass")} for key in page]}
        if out["IsTruncated"]:
            out["NextContinuationToken"] = page[-1]
        return out

    def PutObjectTagging(self, ctx, p):
        self._object(ctx, p)["TagSet"] = (p.get("Tagging") or {}).get("TagSet", [])
        return {}

    def GetObjectTagging(self, ctx, p):
        return {"TagSet": self._object(ctx, p)["TagSet"]}
