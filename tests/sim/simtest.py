"""Shared fixture: one simulator process per test module, reset before each test."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import boto3
import botocore.config
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWSSIM = os.path.join(ROOT, "tools", "awssim", "awssim")
ACCOUNT = "111111111111"
ACCOUNT2 = "222222222222"
KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
KEY2 = ("AKIDEXAMPLE2", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY2")

# boto3 speaks the simulator's models (aws-sdk@2.1693.0), not Debian botocore's older ones.
sys.path.insert(0, os.path.join(ROOT, "tools", "awssim"))
from sim.models import write_data_path  # noqa: E402

_DATA = tempfile.TemporaryDirectory(prefix="awssim-models-")
os.environ["AWS_DATA_PATH"] = write_data_path(_DATA.name)


class Sim:
    def __init__(self, args=()):
        self.dir = tempfile.TemporaryDirectory()
        pf = os.path.join(self.dir.name, "port")
        self.proc = subprocess.Popen([sys.executable, AWSSIM, "--port-file", pf] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(200):
            if os.path.exists(pf):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("awssim exited: %s" % self.proc.stderr.read().decode())
            time.sleep(0.05)
        with open(pf) as f:
            self.port = int(f.read())
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        """Stop the simulator; answer what it wrote on stderr (tracebacks of simulator bugs)."""
        self.proc.terminate()
        try:
            self.proc.wait(10)
            return self.proc.stderr.read().decode()
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()
            self.dir.cleanup()

    def control(self, method, path, doc=None):
        data = json.dumps(doc).encode() if doc is not None else None
        req = urllib.request.Request(self.url + "/__awssim/" + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def client(self, service, key=KEY, token=None, region="us-east-1", retries=0, **cfg):
        return boto3.client(service, endpoint_url=self.url, region_name=region,
                            aws_access_key_id=key[0], aws_secret_access_key=key[1], aws_session_token=token,
                            config=botocore.config.Config(retries={"total_max_attempts": retries + 1, "mode": "standard"}, **cfg))


class SimTestCase(unittest.TestCase):
    sim = None
    args = ()

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(cls.args)

    @classmethod
    def tearDownClass(cls):
        err = cls.sim.stop()
        if "Traceback" in err:
            raise AssertionError("awssim crashed during %s:\n%s" % (cls.__name__, err))

    def setUp(self):
        status, _ = self.sim.control("POST", "reset")
        self.assertEqual(status, 200)

    def client(self, service, **kw):
        return self.sim.client(service, **kw)

    def assertAwsError(self, code, fn, *args, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception.response)
        return cm.exception.response

    def state(self, key):
        return self.sim.control("GET", "state")[1]["state"][key]
