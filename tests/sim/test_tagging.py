"""Resource Groups Tagging API GetResources over EC2, IAM and Lambda state, through boto3."""
from simtest import ACCOUNT, ACCOUNT2, KEY2, SimTestCase

AMI = "ami-0a1b2c3d4e5f60004"
TRUST = '{"Version":"2012-10-17","Statement":[]}'


class TaggingTest(SimTestCase):
    def run_instance(self, tags, key=None, region="us-east-1"):
        kw = {"key": key} if key else {}
        ec2 = self.client("ec2", region=region, **kw)
        spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
        r = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, TagSpecifications=spec)
        return r["Instances"][0]["InstanceId"]

    def arns(self, resp):
        return [m["ResourceARN"] for m in resp["ResourceTagMappingList"]]

    def test_instances_by_tag_across_services(self):
        a = self.run_instance({"env": "prod", "team": "web"})
        b = self.run_instance({"env": "dev"})
        self.run_instance({})
        iam = self.client("iam")
        iam.create_user(UserName="mallory", Tags=[{"Key": "env", "Value": "prod"}])
        iam.create_role(RoleName="ops", Path="/ops/", AssumeRolePolicyDocument=TRUST,
                        Tags=[{"Key": "env", "Value": "prod"}])
        lam = self.client("lambda")
        iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)
        lam.create_function(FunctionName="miner", Runtime="python3.12", Handler="i.h",
                            Role="arn:aws:iam::%s:role/fn" % ACCOUNT, Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
                            Tags={"env": "prod"})
        tag = self.client("resourcegroupstaggingapi")
        r = tag.get_resources(TagFilters=[{"Key": "env", "Values": ["prod"]}])
        self.assertEqual(sorted(self.arns(r)), sorted([
            "arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, a),
            "arn:aws:iam::%s:role/ops/ops" % ACCOUNT,
            "arn:aws:iam::%s:user/mallory" % ACCOUNT,
            "arn:aws:lambda:us-east-1:%s:function:miner" % ACCOUNT]))
        self.assertEqual(r["PaginationToken"], "")
        inst = [m for m in r["ResourceTagMappingList"] if ":instance/" in m["ResourceARN"]][0]
        self.assertEqual(inst["Tags"], [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "web"}])
        r = tag.get_resources(TagFilters=[{"Key": "env", "Values": ["prod"]}], ResourceTypeFilters=["ec2:instance"])
        self.assertEqual(self.arns(r), ["arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, a)])
        # a key without values matches any value; several filters must all match
        r = tag.get_resources(TagFilters=[{"Key": "env"}], ResourceTypeFilters=["ec2"])
        self.assertEqual(len(self.arns(r)), 2)
        r = tag.get_resources(TagFilters=[{"Key": "env", "Values": ["prod", "dev"]}, {"Key": "team"}])
        self.assertEqual(self.arns(r), ["arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, a)])
        r = tag.get_resources(TagFilters=[{"Key": "env"}], ResourceTypeFilters=["iam:user"])
        self.assertEqual(self.arns(r), ["arn:aws:iam::%s:user/mallory" % ACCOUNT])
        r = tag.get_resources(ResourceARNList=["arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, b)])
        self.assertEqual(r["ResourceTagMappingList"][0]["Tags"], [{"Key": "env", "Value": "dev"}])

    def test_tags_added_later_terminated_instances_and_scope(self):
        ec2 = self.client("ec2")
        a = self.run_instance({})
        tag = self.client("resourcegroupstaggingapi")
        self.assertEqual(tag.get_resources(TagFilters=[{"Key": "quarantine"}])["ResourceTagMappingList"], [])
        ec2.create_tags(Resources=[a], Tags=[{"Key": "quarantine", "Value": "yes"}])
        self.assertEqual(len(tag.get_resources(TagFilters=[{"Key": "quarantine"}])["ResourceTagMappingList"]), 1)
        ec2.terminate_instances(InstanceIds=[a])
        self.assertEqual(tag.get_resources(TagFilters=[{"Key": "quarantine"}])["ResourceTagMappingList"], [])
        # the other account and another region see only their own resources; IAM only in us-east-1
        b = self.run_instance({"quarantine": "yes"}, key=KEY2)
        c = self.run_instance({"quarantine": "yes"}, region="eu-west-1")
        self.client("iam").create_user(UserName="u", Tags=[{"Key": "quarantine", "Value": "yes"}])
        other = self.client("resourcegroupstaggingapi", key=KEY2)
        self.assertEqual(self.arns(other.get_resources(TagFilters=[{"Key": "quarantine"}])),
                         ["arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT2, b)])
        eu = self.client("resourcegroupstaggingapi", region="eu-west-1")
        self.assertEqual(self.arns(eu.get_resources(TagFilters=[{"Key": "quarantine"}])),
                         ["arn:aws:ec2:eu-west-1:%s:instance/%s" % (ACCOUNT, c)])

    def test_pages(self):
        ids = sorted(self.run_instance({"fleet": "x"}) for _ in range(5))
        tag = self.client("resourcegroupstaggingapi")
        seen, token, pages = [], "", 0
        while True:
            r = tag.get_resources(TagFilters=[{"Key": "fleet"}], ResourcesPerPage=2, PaginationToken=token)
            seen += self.arns(r)
            pages += 1
            token = r["PaginationToken"]
            if not token:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(seen, ["arn:aws:ec2:us-east-1:%s:instance/%s" % (ACCOUNT, i) for i in ids])
        # boto3's paginator follows the same tokens
        pg = tag.get_paginator("get_resources").paginate(TagFilters=[{"Key": "fleet"}], ResourcesPerPage=2)
        self.assertEqual(sum(len(p["ResourceTagMappingList"]) for p in pg), 5)

    def test_bad_input(self):
        tag = self.client("resourcegroupstaggingapi")
        r = self.assertAwsError("InvalidParameterException", tag.get_resources, ResourceTypeFilters=["ec2:bucket"])
        self.assertEqual(r["Error"]["Message"], "Unsupported resource type filter: ec2:bucket")
        r = self.assertAwsError("InvalidParameterException", tag.get_resources, ResourcesPerPage=101)
        self.assertEqual(r["Error"]["Message"], "ResourcesPerPage must be between 1 and 100")
        r = self.assertAwsError("InvalidParameterException", tag.get_resources,
                                ResourceARNList=["arn:aws:ec2:us-east-1:%s:instance/i-1" % ACCOUNT],
                                TagFilters=[{"Key": "a"}])
        self.assertEqual(r["Error"]["Message"],
                         "ResourceARNList cannot be used with TagFilters or ResourceTypeFilters")
        self.assertAwsError("PaginationTokenExpiredException", tag.get_resources, PaginationToken="zz")
