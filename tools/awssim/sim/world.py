"""Accounts, their credentials and every service's state: the simulator's whole world.

Each account is a separate world. Regional services keep one state per (account, region), global
ones (IAM, S3 buckets' names aside) one per account. States are plain JSON-able dicts so a dump
can be loaded back as a seed. One lock serialises every API call: calls are quick, and it keeps
each service simple.
"""
import copy
import datetime
import secrets
import string
import threading
import time
import uuid

DEFAULT_ACCOUNTS = {
    "111111111111": {"credentials": [
        {"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
         "UserName": "admin"}]},
    "222222222222": {"credentials": [
        {"AccessKeyId": "AKIDEXAMPLE2", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY2",
         "UserName": "admin"}]},
}

DEFAULT_SETTINGS = {
    "snapshot_polls": 2,        # DescribeSnapshots calls before a new snapshot is completed
    "instance_polls": 2,        # DescribeInstances/DescribeInstanceStatus calls before a new instance runs
    "automation_polls": 1,      # GetAutomationExecution calls per automation step
    "command_polls": 1,         # GetCommandInvocation calls before a command is Success
    "default_region": "us-east-1",
}


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def now_iso():
    return now().strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now().microsecond // 1000)


def rand_id(prefix, n=17, alphabet="0123456789abcdef"):
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def rand_upper(n):
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


class World:
    def __init__(self, services):
        self.services = services        # endpoint prefix -> service object
        self.lock = threading.RLock()
        self.log = []
        self.log_lock = threading.Lock()
        self.seq = 0
        self.reset({})

    # ------------------------------------------------------------ accounts and credentials

    def reset(self, seed):
        with self.lock:
            self.settings = dict(DEFAULT_SETTINGS)
            self.accounts = {}
            self.creds = {}
            self.states = {}
            self.seed = copy.deepcopy(seed or {})
            self.apply_seed(self.seed, initial=True)

    def apply_seed(self, seed, initial=False):
        with self.lock:
            self.settings.update(seed.get("settings", {}))
            accounts = seed.get("accounts")
            if accounts is None and initial:
                accounts = DEFAULT_ACCOUNTS
            for acct, spec in (accounts or {}).items():
                self.add_account(acct)
                for c in spec.get("credentials", []):
                    self.add_root_or_user_key(acct, c)
            for key, st in seed.get("state", {}).items():
                self.states[key] = copy.deepcopy(st)
            for akid, rec in seed.get("credentials", {}).items():
                self.creds[akid] = dict(rec)

    def add_account(self, acct):
        self.accounts.setdefault(acct, {"Id": acct})

    def add_root_or_user_key(self, acct, c):
        user = c.get("UserName")
        rec = {"AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"], "Account": acct,
               "Arn": "arn:aws:iam::%s:root" % acct, "UserId": acct, "Kind": "root", "UserName": None,
               "IssuedAt": now_iso()}
        if user:
            iam = self.state(acct, None, "iam")
            u = self.services["iam"].ensure_user(iam, acct, user, c.get("Path", "/"))
            u["_keys"][c["AccessKeyId"]] = {"UserName": user, "AccessKeyId": c["AccessKeyId"],
                                            "Status": "Active", "CreateDate": now_iso()}
            rec.update(Arn=u["Arn"], UserId=u["UserId"], Kind="user", UserName=user)
        self.creds[c["AccessKeyId"]] = rec

    def credential(self, access_key):
        return self.creds.get(access_key)

    def temporary_credentials(self, acct, arn, user_id, duration, source=None):
        akid = "ASIA" + rand_upper(16)
        rec = {"AccessKeyId": akid, "SecretAccessKey": secrets.token_urlsafe(30)[:40],
               "SessionToken": "FwoGZXIvYXdzE" + secrets.token_urlsafe(90), "Account": acct, "Arn": arn,
               "UserId": user_id, "Kind": "assumed-role", "IssuedAt": now_iso(),
               "Expiration": (now() + datetime.timedelta(seconds=duration)).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "Source": source}
        self.creds[akid] = rec
        return rec

    # ------------------------------------------------------------ service state

    def state_key(self, acct, region, service):
        svc = self.services[service]
        return "%s/%s" % (acct, service) if svc.GLOBAL else "%s/%s/%s" % (acct, region, service)

    def state(self, acct, region, service):
        key = self.state_key(acct, region or self.settings["default_region"], service)
        st = self.states.get(key)
        if st is None:
            st = self.services[service].initial_state(acct, region or self.settings["default_region"])
            self.states[key] = st
        return st

    def dump(self):
        with self.lock:
            return {"settings": self.settings, "accounts": self.accounts,
                    "credentials": {k: dict(v) for k, v in self.creds.items()},
                    "state": copy.deepcopy(self.states)}

    # ------------------------------------------------------------ request log

    def record(self, entry):
        with self.log_lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
            if len(self.log) > 100000:
                del self.log[:10000]

    def requests(self, since=0):
        with self.log_lock:
            return [e for e in self.log if e["seq"] > since]

    def clear_log(self):
        with self.log_lock:
            self.log = []


def request_id():
    return str(uuid.uuid4())


def monotonic():
    return time.monotonic()
