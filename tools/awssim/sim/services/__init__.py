"""Stateful services: one module per service, each a Service subclass with a method per operation."""
from ..errors import AwsError


class Context:
    """One call: who made it, where, and access to the world's state."""

    def __init__(self, world, service, operation, account, region, cred, request_id):
        self.world = world
        self.service = service
        self.operation = operation
        self.account = account
        self.region = region
        self.cred = cred
        self.request_id = request_id

    def state(self, service=None, account=None, region=None):
        return self.world.state(account or self.account, region or self.region, service or self.service)


class Service:
    NAME = ""
    GLOBAL = False

    def initial_state(self, account, region):
        return {}

    def handler(self, operation):
        fn = getattr(type(self), operation, None)
        if fn is None or not operation[:1].isupper():
            return None
        return getattr(self, operation)


def all_services():
    from . import (autoscaling, dynamodb, ec2, elbv2, iam, kms, lambda_, resourcegroupstaggingapi, s3, sns,
                   sqs, ssm, sts)
    svcs = [m.SERVICE() for m in (autoscaling, dynamodb, ec2, elbv2, iam, kms, lambda_, resourcegroupstaggingapi,
                                  s3, sns, sqs, ssm, sts)]
    return {s.NAME: s for s in svcs}


def need(params, *names):
    for n in names:
        if params.get(n) in (None, ""):
            raise AwsError("MissingParameter", "The request must contain the parameter %s" % n)
