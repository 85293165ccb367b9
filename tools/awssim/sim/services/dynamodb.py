"""DynamoDB: tables with a key schema and items; PutItem, GetItem, DeleteItem with condition
expressions (what a dedupe claim needs: attribute_not_exists / attribute_exists, comparisons,
AND / OR / NOT, parentheses, #names and :values)."""
import re
import time

from ..errors import AwsError
from . import Service, need

PREFIX = "com.amazonaws.dynamodb.v20120810#"


def validation(message):
    return AwsError("ValidationException", message, 400)


def not_found():
    return AwsError("ResourceNotFoundException", "Requested resource not found", 400)


def key_of(table, item, what="item"):
    key = {}
    for k in table["KeySchema"]:
        name = k["AttributeName"]
        v = item.get(name)
        if v is None:
            raise validation("One or more parameter values were invalid: Missing the key %s in the %s" % (name, what))
        want = next(a["AttributeType"] for a in table["AttributeDefinitions"] if a["AttributeName"] == name)
        if list(v) != [want]:
            raise validation("One or more parameter values were invalid: Type mismatch for key %s expected: %s "
                             "actual: %s" % (name, want, next(iter(v), "")))
        key[name] = v
    return key


def key_str(key):
    return "|".join("%s=%s" % (k, list(v.values())[0]) for k, v in sorted(key.items()))


TOKEN = re.compile(r"\s*(?:(?P<op><>|<=|>=|=|<|>|\(|\)|,)|(?P<word>[#:]?[A-Za-z0-9_.]+))")


class Condition:
    """A recursive-descent evaluator over the tokens of a ConditionExpression."""

    def __init__(self, expr, names, values):
        self.toks, pos = [], 0
        while pos < len(expr):
            m = TOKEN.match(expr, pos)
            if not m or m.end() == pos:
                if expr[pos:].strip() == "":
                    break
                raise validation("Invalid ConditionExpression: Syntax error; token: \"%s\"" % expr[pos:pos + 1])
            self.toks.append(m.group("op") or m.group("word"))
            pos = m.end()
        self.i = 0
        self.names = names or {}
        self.values = values or {}
        self.used_names, self.used_values = set(), set()

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want=None):
        t = self.peek()
        if t is None or (want and t.upper() != want):
            raise validation("Invalid ConditionExpression: Syntax error; token: \"%s\", near: \"%s\""
                             % (t or "<EOF>", " ".join(self.toks)))
        self.i += 1
        return t

    def path(self):
        t = self.take()
        if t.startswith("#"):
            if t not in self.names:
                raise validation("Value provided in ExpressionAttributeNames unused in expressions: "
                                 "An expression attribute name used in the document path is not defined; "
                                 "attribute name: %s" % t)
            self.used_names.add(t)
            return self.names[t]
        return t

    def operand(self, item):
        t = self.peek()
        if t and t.startswith(":"):
            self.take()
            if t not in self.values:
                raise validation("Invalid ConditionExpression: An expression attribute value used in expression "
                                 "is not defined; attribute value: %s" % t)
            self.used_values.add(t)
            return self.values[t]
        return item.get(self.path())

    def evaluate(self, item):
        r = self.disjunction(item)
        if self.peek() is not None:
            self.take("<EOF>")
        return r

    def disjunction(self, item):
        r = self.conjunction(item)
        while self.peek() and self.peek().upper() == "OR":
            self.take()
            r = self.conjunction(item) or r
        return r

    def conjunction(self, item):
        r = self.negation(item)
        while self.peek() and self.peek().upper() == "AND":
            self.take()
            r = self.negation(item) and r
        return r

    def negation(self, item):
        if self.peek() and self.peek().upper() == "NOT":
            self.take()
            return not self.negation(item)
        return self.primary(item)

    def primary(self, item):
        t = self.peek()
        if t == "(":
            self.take()
            r = self.disjunction(item)
            self.take(")")
            return r
        if t and t.lower() in ("attribute_exists", "attribute_not_exists"):
            self.take()
            self.take("(")
            name = self.path()
            self.take(")")
            return (name in item) == (t.lower() == "attribute_exists")
        left = self.operand(item)
        op = self.take()
        if op not in ("=", "<>", "<", "<=", ">", ">="):
            raise validation("Invalid ConditionExpression: Syntax error; token: \"%s\"" % op)
        right = self.operand(item)
        if left is None or right is None:
            return op == "<>" and left != right
        (lt, lv), (rt, rv) = next(iter(left.items())), next(iter(right.items()))
        if op in ("=", "<>"):
            same = lt == rt and (float(lv) == float(rv) if lt == "N" else lv == rv)
            return same if op == "=" else not same
        if lt != rt or lt not in ("N", "S", "B"):
            return False
        if lt == "N":
            lv, rv = float(lv), float(rv)
        return {"<": lv < rv, "<=": lv <= rv, ">": lv > rv, ">=": lv >= rv}[op]


class SERVICE(Service):
    NAME = "dynamodb"

    def initial_state(self, account, region):
        return {"tables": {}}

    def _table(self, ctx, name):
        need({"TableName": name}, "TableName")
        t = ctx.state()["tables"].get(name)
        if t is None:
            raise not_found()
        return t

    def _describe(self, t):
        return {k: v for k, v in t.items() if k != "items"} | {"ItemCount": len(t["items"])}

    def CreateTable(self, ctx, p):
        need(p, "TableName", "KeySchema", "AttributeDefinitions")
        tables = ctx.state()["tables"]
        if p["TableName"] in tables:
            raise AwsError("ResourceInUseException", "Table already exists: %s" % p["TableName"], 400)
        defined = {a["AttributeName"] for a in p["AttributeDefinitions"]}
        for k in p["KeySchema"]:
            if k["AttributeName"] not in defined:
                raise validation("One or more parameter values were invalid: Some index key attributes are not "
                                 "defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]"
                                 % (k["AttributeName"], ", ".join(sorted(defined))))
        if [k["KeyType"] for k in p["KeySchema"]] not in (["HASH"], ["HASH", "RANGE"]):
            raise validation("Invalid KeySchema: the first key must be HASH, an optional second RANGE")
        t = {"TableName": p["TableName"], "KeySchema": p["KeySchema"],
             "AttributeDefinitions": p["AttributeDefinitions"], "TableStatus": "ACTIVE",
             "TableArn": "arn:aws:dynamodb:%s:%s:table/%s" % (ctx.region, ctx.account, p["TableName"]),
             "CreationDateTime": time.time(), "BillingModeSummary": {"BillingMode": p.get("BillingMode", "PROVISIONED")},
             "items": {}}
        tables[p["TableName"]] = t
        return {"TableDescription": self._describe(t)}

    def DescribeTable(self, ctx, p):
        return {"Table": self._describe(self._table(ctx, p.get("TableName")))}

    def DeleteTable(self, ctx, p):
        t = self._table(ctx, p.get("TableName"))
        del ctx.state()["tables"][t["TableName"]]
        return {"TableDescription": dict(self._describe(t), TableStatus="DELETING")}

    def _check(self, p, old):
        expr = p.get("ConditionExpression")
        if not expr:
            return
        c = Condition(expr, p.get("ExpressionAttributeNames"), p.get("ExpressionAttributeValues"))
        ok = c.evaluate(old or {})
        unused = set(p.get("ExpressionAttributeValues") or {}) - c.used_values
        if unused:
            raise validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}"
                             % ", ".join(sorted(unused)))
        if not ok:
            extra = {}
            if p.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and old:
                extra["Item"] = old
            raise AwsError("ConditionalCheckFailedException", "The conditional request failed", 400, **extra)

    def PutItem(self, ctx, p):
        need(p, "Item")
        t = self._table(ctx, p.get("TableName"))
        k = key_str(key_of(t, p["Item"]))
        old = t["items"].get(k)
        self._check(p, old)
        t["items"][k] = p["Item"]
        return {"Attributes": old} if p.get("ReturnValues") == "ALL_OLD" and old else {}

    def GetItem(self, ctx, p):
        need(p, "Key")
        t = self._table(ctx, p.get("TableName"))
        if len(p["Key"]) != len(t["KeySchema"]):
            raise validation("The provided key element does not match the schema")
        item = t["items"].get(key_str(key_of(t, p["Key"], "key")))
        return {"Item": item} if item is not None else {}

    def DeleteItem(self, ctx, p):
        need(p, "Key")
        t = self._table(ctx, p.get("TableName"))
        if len(p["Key"]) != len(t["KeySchema"]):
            raise validation("The provided key element does not match the schema")
        k = key_str(key_of(t, p["Key"], "key"))
        old = t["items"].get(k)
        self._check(p, old)
        t["items"].pop(k, None)
        return {"Attributes": old} if p.get("ReturnValues") == "ALL_OLD" and old else {}
