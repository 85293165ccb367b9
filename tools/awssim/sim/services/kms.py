"""placeholder replaced below"""
from . import Service


class SERVICE(Service):
    NAME = "kms"
