"""The one exception a service raises to answer with an AWS error."""


class AwsError(Exception):
    def __init__(self, code, message, status=400, **extra):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra


def not_found(code, message):
    return AwsError(code, message, 404)
