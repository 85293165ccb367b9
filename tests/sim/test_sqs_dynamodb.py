"""SQS (visibility, redelivery, long polling, batches, query-compatible errors) and DynamoDB
(tables, conditional writes) through boto3, asserting results and the simulator's state."""
import hashlib
import threading
import time

from simtest import ACCOUNT, SimTestCase


class SqsTest(SimTestCase):
    def _queue(self, name="irx-events", **attrs):
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]
        return sqs, url

    def test_create_get_url_and_errors(self):
        sqs, url = self._queue()
        self.assertEqual(url, "https://sqs.us-east-1.amazonaws.com/%s/irx-events" % ACCOUNT)
        self.assertEqual(sqs.create_queue(QueueName="irx-events")["QueueUrl"], url)
        self.assertEqual(sqs.get_queue_url(QueueName="irx-events")["QueueUrl"], url)
        r = self.assertAwsError("AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_url, QueueName="nope")
        self.assertEqual(r["Error"]["Message"], "The specified queue does not exist.")
        self.assertEqual(r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"],
                         "AWS.SimpleQueueService.NonExistentQueue;Sender")
        self.assertAwsError("AWS.SimpleQueueService.NonExistentQueue", sqs.send_message,
                            QueueUrl=url + "x", MessageBody="b")
        self.assertAwsError("QueueAlreadyExists", sqs.create_queue, QueueName="irx-events",
                            Attributes={"VisibilityTimeout": "5"})
        self.assertAwsError("InvalidParameterValue", sqs.create_queue, QueueName="bad name")

    def test_send_receive_delete(self):
        sqs, url = self._queue()
        r = sqs.send_message(QueueUrl=url, MessageBody="hello",
                             MessageAttributes={"ExternalId": {"DataType": "String", "StringValue": "x-1"}})
        self.assertEqual(r["MD5OfMessageBody"], hashlib.md5(b"hello").hexdigest())
        # SQS's digest: length-prefixed name, type, transport byte 1 (string), value
        wire = b"\0\0\0\x0aExternalId" + b"\0\0\0\x06String" + b"\x01" + b"\0\0\0\x03x-1"
        self.assertEqual(r["MD5OfMessageAttributes"], hashlib.md5(wire).hexdigest())
        got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
        m = got["Messages"][0]
        self.assertEqual((m["Body"], m["MessageId"]), ("hello", r["MessageId"]))
        self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "1")
        self.assertEqual(m["MessageAttributes"]["ExternalId"]["StringValue"], "x-1")
        self.assertEqual(m["MD5OfMessageAttributes"], r["MD5OfMessageAttributes"])
        # in flight: not received again, counted as not visible
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url))
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]), ("0", "1"))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        q = self.state("%s/us-east-1/sqs" % ACCOUNT)["queues"]["irx-events"]
        self.assertEqual(q["messages"], [])
        self.assertEqual(q["deleted"], [{"MessageId": r["MessageId"], "Body": "hello", "ReceiveCount": 1}])
        self.assertAwsError("ReceiptHandleIsInvalid", sqs.delete_message, QueueUrl=url, ReceiptHandle="garbage")

    def test_visibility_timeout_redelivers_and_stale_handles(self):
        sqs, url = self._queue(VisibilityTimeout=1)
        sqs.send_message(QueueUrl=url, MessageBody="m")
        first = sqs.receive_message(QueueUrl=url)["Messages"][0]
        time.sleep(1.2)
        second = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"][0]
        self.assertEqual(second["MessageId"], first["MessageId"])
        self.assertEqual(second["Attributes"], {"ApproximateReceiveCount": "2"})
        # the first receiver's handle is stale: visibility cannot be changed, delete is a no-op
        self.assertAwsError("AWS.SimpleQueueService.MessageNotInflight", sqs.change_message_visibility,
                            QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=30)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
        self.assertEqual(len(self.state("%s/us-east-1/sqs" % ACCOUNT)["queues"]["irx-events"]["messages"]), 1)
        # extending visibility keeps it in flight past the original timeout
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=5)
        time.sleep(1.2)
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(a, {"ApproximateNumberOfMessages": "0"})
        # visibility 0 releases a message at once
        sqs.send_message(QueueUrl=url, MessageBody="n")
        h = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=h, VisibilityTimeout=0)
        self.assertEqual(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"], "n")

    def test_long_poll_wakes_on_send_without_blocking_others(self):
        sqs, url = self._queue()
        got = {}

        def poll():
            t0 = time.time()
            got["r"] = self.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=10)
            got["s"] = time.time() - t0

        th = threading.Thread(target=poll)
        th.start()
        time.sleep(0.5)
        # other calls are answered while the poll waits (the world lock is not held)
        t0 = time.time()
        self.client("sts").get_caller_identity()
        self.assertLess(time.time() - t0, 1.0)
        sqs.send_message(QueueUrl=url, MessageBody="wake")
        th.join(5)
        self.assertEqual(got["r"]["Messages"][0]["Body"], "wake")
        self.assertLess(got["s"], 3.0)
        # an empty long poll waits its time out
        t0 = time.time()
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1))
        self.assertGreaterEqual(time.time() - t0, 0.95)
        self.assertAwsError("InvalidParameterValue", sqs.receive_message, QueueUrl=url, WaitTimeSeconds=21)
        self.assertAwsError("InvalidParameterValue", sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)

    def test_long_poll_wakes_when_visibility_runs_out(self):
        sqs, url = self._queue(VisibilityTimeout=1)
        sqs.send_message(QueueUrl=url, MessageBody="again")
        sqs.receive_message(QueueUrl=url)
        t0 = time.time()
        m = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
        self.assertEqual(m["Body"], "again")
        self.assertLess(time.time() - t0, 2.0)

    def test_batch(self):
        sqs, url = self._queue()
        r = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "b%d" % i} for i in range(3)]
                                   + [{"Id": "e", "MessageBody": ""}])
        self.assertEqual(sorted(s["Id"] for s in r["Successful"]), ["0", "1", "2"])
        self.assertEqual([(f["Id"], f["Code"], f["SenderFault"]) for f in r["Failed"]],
                         [("e", "InvalidParameterValue", True)])
        self.assertAwsError("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", sqs.send_message_batch, QueueUrl=url,
                            Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
        self.assertAwsError("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", sqs.send_message_batch,
                            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)])
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in got), ["b0", "b1", "b2"])


class DynamoDbTest(SimTestCase):
    def _table(self):
        ddb = self.client("dynamodb")
        d = ddb.create_table(TableName="irx-dedupe", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")["TableDescription"]
        self.assertEqual((d["TableStatus"], d["TableArn"]),
                         ("ACTIVE", "arn:aws:dynamodb:us-east-1:%s:table/irx-dedupe" % ACCOUNT))
        return ddb

    def test_conditional_claim(self):
        ddb = self._table()
        claim = dict(TableName="irx-dedupe", ConditionExpression="attribute_not_exists(pk)")
        ddb.put_item(Item={"pk": {"S": "k1"}, "owner": {"S": "a"}}, **claim)
        r = self.assertAwsError("ConditionalCheckFailedException", ddb.put_item,
                                Item={"pk": {"S": "k1"}, "owner": {"S": "b"}}, **claim)
        self.assertEqual(r["Error"]["Message"], "The conditional request failed")
        self.assertEqual(ddb.get_item(TableName="irx-dedupe", Key={"pk": {"S": "k1"}})["Item"],
                         {"pk": {"S": "k1"}, "owner": {"S": "a"}})
        self.assertNotIn("Item", ddb.get_item(TableName="irx-dedupe", Key={"pk": {"S": "k2"}}))
        ddb.delete_item(TableName="irx-dedupe", Key={"pk": {"S": "k1"}})
        ddb.put_item(Item={"pk": {"S": "k1"}, "owner": {"S": "b"}}, **claim)
        self.assertResourceErrors(ddb)

    def assertResourceErrors(self, ddb):
        self.assertAwsError("ResourceNotFoundException", ddb.get_item, TableName="nope", Key={"pk": {"S": "x"}})
        self.assertAwsError("ResourceInUseException", ddb.create_table, TableName="irx-dedupe",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        r = self.assertAwsError("ValidationException", ddb.put_item, TableName="irx-dedupe", Item={"x": {"S": "1"}})
        self.assertEqual(r["Error"]["Message"], "One or more parameter values were invalid: Missing the key pk in the item")

    def test_expressions_with_names_values_and_expiry(self):
        ddb = self._table()
        cond = dict(TableName="irx-dedupe", ConditionExpression="attribute_not_exists(#k) OR #e < :now",
                    ExpressionAttributeNames={"#k": "pk", "#e": "expiresAt"})
        ddb.put_item(Item={"pk": {"S": "k"}, "expiresAt": {"N": "100"}}, ExpressionAttributeValues={":now": {"N": "50"}}, **cond)
        self.assertAwsError("ConditionalCheckFailedException", ddb.put_item, Item={"pk": {"S": "k"}, "expiresAt": {"N": "200"}},
                            ExpressionAttributeValues={":now": {"N": "99"}}, **cond)
        ddb.put_item(Item={"pk": {"S": "k"}, "expiresAt": {"N": "200"}}, ExpressionAttributeValues={":now": {"N": "101"}}, **cond)
        self.assertEqual(ddb.get_item(TableName="irx-dedupe", Key={"pk": {"S": "k"}})["Item"]["expiresAt"], {"N": "200"})
        # owner-conditioned renewals and deletes
        ddb.put_item(TableName="irx-dedupe", Item={"pk": {"S": "k"}, "owner": {"S": "w1"}})
        self.assertAwsError("ConditionalCheckFailedException", ddb.delete_item, TableName="irx-dedupe",
                            Key={"pk": {"S": "k"}}, ConditionExpression="owner = :me AND NOT attribute_not_exists(pk)",
                            ExpressionAttributeValues={":me": {"S": "w2"}})
        ddb.delete_item(TableName="irx-dedupe", Key={"pk": {"S": "k"}}, ConditionExpression="(owner = :me)",
                        ExpressionAttributeValues={":me": {"S": "w1"}})
        self.assertAwsError("ValidationException", ddb.put_item, TableName="irx-dedupe", Item={"pk": {"S": "z"}},
                            ConditionExpression="attribute_not_exists(pk) OR", ExpressionAttributeValues=None or {":u": {"S": "1"}})
        r = self.assertAwsError("ValidationException", ddb.put_item, TableName="irx-dedupe", Item={"pk": {"S": "z"}},
                                ConditionExpression="attribute_not_exists(pk)", ExpressionAttributeValues={":u": {"S": "1"}})
        self.assertEqual(r["Error"]["Message"], "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}")


if __name__ == "__main__":
    import unittest
    unittest.main()
