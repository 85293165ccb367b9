"""EC2: VPCs and subnets, instances with several ENIs, security groups and their rules,
connection tracking, instance attributes, volumes, snapshots and their permissions, tags,
Elastic IPs, IAM instance profile associations, and AMIs (a public catalogue in every region plus
any an account's seed adds under "images").

A new instance is "pending" until settings["instance_polls"] DescribeInstances or
DescribeInstanceStatus calls have seen it (default 2: the first still pending, the second running),
as snapshots progress with DescribeSnapshots; instances made by a seed's calls start running."""
import fnmatch
import ipaddress

from ..errors import AwsError
from ..world import now_iso, rand_id
from . import Service, need

ALL_TRAFFIC = "-1"


def _nf(kind, ident):
    names = {"instance": ("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist"),
             "eni": ("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist"),
             "sg": ("InvalidGroup.NotFound", "The security group '%s' does not exist"),
             "volume": ("InvalidVolume.NotFound", "The volume '%s' does not exist."),
             "snapshot": ("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist."),
             "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist"),
             "vpc": ("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist"),
             "allocation": ("InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist"),
             "association": ("InvalidAssociationID.NotFound", "The association ID '%s' does not exist")}
    code, msg = names[kind]
    return AwsError(code, msg % ident)


def _filters_match(filters, values_of):
    for f in filters or []:
        name = f.get("Name")
        have = values_of(name)
        if have is None:
            raise AwsError("InvalidParameterValue", "The filter '%s' is invalid" % name)
        have = [str(h).lower() if isinstance(h, bool) else str(h) for h in have]
        if not any(fnmatch.fnmatchcase(h, w) for h in have for w in f.get("Values", [])):
            return False
    return True


def _tag_values(tags, name):
    if name.startswith("tag:"):
        return [tags[name[4:]]] if name[4:] in tags else []
    if name == "tag-key":
        return list(tags)
    if name == "tag-value":
        return list(tags.values())
    return None


AMAZON = "801119661308"
CANONICAL = "099720109477"
AMAZON_LINUX = "137112412989"


def _image(iid, name, owner, desc, arch="x86_64", windows=False, date="2024-11-13T07:12:05.000Z"):
    root = "/dev/sda1" if windows else "/dev/xvda"
    img = {"ImageId": iid, "ImageLocation": "%s/%s" % ("amazon" if owner != CANONICAL else owner, name),
           "State": "available", "OwnerId": owner, "CreationDate": date, "Public": True,
           "Architecture": arch, "ImageType": "machine", "Name": name, "Description": desc,
           "RootDeviceType": "ebs", "RootDeviceName": root, "VirtualizationType": "hvm",
           "Hypervisor": "xen", "EnaSupport": True, "SriovNetSupport": "simple",
           "PlatformDetails": "Windows" if windows else "Linux/UNIX",
           "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
           "BlockDeviceMappings": [{"DeviceName": root, "Ebs": {
               "DeleteOnTermination": True, "SnapshotId": "snap-" + iid[4:], "VolumeSize": 30 if windows else 8,
               "VolumeType": "gp2" if windows else "gp3", "Encrypted": False}}]}
    if owner != CANONICAL:
        img["ImageOwnerAlias"] = "amazon"
    if windows:
        img["Platform"] = "windows"
    return img


# The public AMIs every account sees in every region. Exactly one Windows Server 2022 Full Base,
# so the AWS documentation's example ("Windows_Server-2022-English-Full-Base*") finds one image.
PUBLIC_IMAGES = [
    _image("ami-0a1b2c3d4e5f60001", "Windows_Server-2022-English-Full-Base-2024.11.13", AMAZON,
           "Microsoft Windows Server 2022 Full Locale English AMI provided by Amazon", windows=True),
    _image("ami-0a1b2c3d4e5f60002", "Windows_Server-2022-English-Core-Base-2024.11.13", AMAZON,
           "Microsoft Windows Server 2022 Core Locale English AMI provided by Amazon", windows=True),
    _image("ami-0a1b2c3d4e5f60003", "Windows_Server-2019-English-Full-Base-2024.11.13", AMAZON,
           "Microsoft Windows Server 2019 with Desktop Experience Locale English AMI provided by Amazon",
           windows=True),
    _image("ami-0a1b2c3d4e5f60004", "al2023-ami-2023.6.20241121.0-kernel-6.1-x86_64", AMAZON_LINUX,
           "Amazon Linux 2023 AMI 2023.6.20241121.0 x86_64 HVM kernel-6.1", date="2024-11-21T19:12:41.000Z"),
    _image("ami-0a1b2c3d4e5f60005", "al2023-ami-2023.6.20241121.0-kernel-6.1-arm64", AMAZON_LINUX,
           "Amazon Linux 2023 AMI 2023.6.20241121.0 arm64 HVM kernel-6.1", arch="arm64",
           date="2024-11-21T19:12:43.000Z"),
    _image("ami-0a1b2c3d4e5f60006", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241119",
           CANONICAL, "Canonical, Ubuntu, 24.04, amd64 noble image", date="2024-11-19T12:20:10.000Z"),
]

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64,
               "stopped": 80}


def _page(items, p, key):
    start = int(p.get("NextToken") or 0)
    n = int(p.get("MaxResults") or 1000)
    out = {key: items[start:start + n]}
    if start + n < len(items):
        out["NextToken"] = str(start + n)
    return out


class SERVICE(Service):
    NAME = "ec2"

    def initial_state(self, account, region):
        vpc = "vpc-" + rand_id("", 17)
        subnet = "subnet-" + rand_id("", 17)
        sg = "sg-" + rand_id("", 17)
        st = {"vpcs": {}, "subnets": {}, "instances": {}, "enis": {}, "security_groups": {}, "volumes": {},
              "snapshots": {}, "addresses": {}, "tags": {}, "profile_associations": {}, "images": {},
              "next_ip": 10}
        st["vpcs"][vpc] = {"VpcId": vpc, "CidrBlock": "172.31.0.0/16", "IsDefault": True, "State": "available",
                           "OwnerId": account, "InstanceTenancy": "default"}
        st["subnets"][subnet] = {"SubnetId": subnet, "VpcId": vpc, "CidrBlock": "172.31.0.0/20",
                                 "AvailabilityZone": region + "a", "State": "available", "DefaultForAz": True,
                                 "AvailableIpAddressCount": 4091, "OwnerId": account,
                                 "SubnetArn": "arn:aws:ec2:%s:%s:subnet/%s" % (region, account, subnet)}
        st["security_groups"][sg] = self._new_sg(account, sg, "default", "default VPC security group", vpc)
        st["security_groups"][sg]["_rules"].append(
            {"id": rand_id("sgr-", 17), "egress": False, "IpProtocol": ALL_TRAFFIC, "FromPort": -1, "ToPort": -1,
             "kind": "group", "value": sg, "Description": None})
        return st

    # ------------------------------------------------------------ helpers

    def _tags(self, st, rid):
        return [{"Key": k, "Value": v} for k, v in st["tags"].get(rid, {}).items()]

    def _apply_tag_specs(self, st, rid, specs, rtype):
        for spec in specs or []:
            if spec.get("ResourceType") in (None, rtype):
                st["tags"].setdefault(rid, {}).update({t["Key"]: t.get("Value", "") for t in spec.get("Tags", [])})

    def _get(self, st, coll, kind, rid):
        obj = st[coll].get(rid)
        if obj is None:
            raise _nf(kind, rid)
        return obj

    def _next_ip(self, st, subnet):
        st["next_ip"] += 1
        net = ipaddress.ip_network(st["subnets"][subnet]["CidrBlock"])
        return str(net.network_address + st["next_ip"])

    def _groups(self, st, ids, vpc):
        out = []
        for gid in ids:
            sg = st["security_groups"].get(gid)
            if sg is None:
                raise _nf("sg", gid)
            if sg["VpcId"] != vpc:
                raise AwsError("InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'" % (gid, vpc))
            out.append({"GroupId": gid, "GroupName": sg["GroupName"]})
        return out

    def _default_sg(self, st, vpc):
        for sg in st["security_groups"].values():
            if sg["VpcId"] == vpc and sg["GroupName"] == "default":
                return sg["GroupId"]
        raise AwsError("InvalidGroup.NotFound", "No default security group in VPC '%s'" % vpc)

    # ------------------------------------------------------------ VPCs and subnets

    def DescribeVpcs(self, ctx, p):
        st = ctx.state()
        ids = p.get("VpcIds") or list(st["vpcs"])
        out = []
        for i in ids:
            v = self._get(st, "vpcs", "vpc", i)
            tags = st["tags"].get(i, {})
            if _filters_match(p.get("Filters"), lambda n: {"vpc-id": [i], "is-default": [v["IsDefault"]],
                                                           "cidr": [v["CidrBlock"]]}.get(n, _tag_values(tags, n))):
                out.append(dict(v, Tags=self._tags(st, i)))
        return {"Vpcs": out}

    def CreateVpc(self, ctx, p):
        need(p, "CidrBlock")
        st = ctx.state()
        vpc = rand_id("vpc-", 17)
        st["vpcs"][vpc] = {"VpcId": vpc, "CidrBlock": p["CidrBlock"], "IsDefault": False, "State": "available",
                           "OwnerId": ctx.account, "InstanceTenancy": "default"}
        sg = rand_id("sg-", 17)
        st["security_groups"][sg] = self._new_sg(ctx.account, sg, "default", "default VPC security group", vpc)
        self._apply_tag_specs(st, vpc, p.get("TagSpecifications"), "vpc")
        return {"Vpc": dict(st["vpcs"][vpc], Tags=self._tags(st, vpc))}

    def DescribeSubnets(self, ctx, p):
        st = ctx.state()
        out = []
        for i in p.get("SubnetIds") or list(st["subnets"]):
            s = self._get(st, "subnets", "subnet", i)
            tags = st["tags"].get(i, {})
            if _filters_match(p.get("Filters"), lambda n: {"subnet-id": [i], "vpc-id": [s["VpcId"]],
                                                           "availability-zone": [s["AvailabilityZone"]]}.get(n, _tag_values(tags, n))):
                out.append(dict(s, Tags=self._tags(st, i)))
        return {"Subnets": out}

    def CreateSubnet(self, ctx, p):
        need(p, "VpcId", "CidrBlock")
        st = ctx.state()
        self._get(st, "vpcs", "vpc", p["VpcId"])
        sid = rand_id("subnet-", 17)
        st["subnets"][sid] = {"SubnetId": sid, "VpcId": p["VpcId"], "CidrBlock": p["CidrBlock"],
                              "AvailabilityZone": p.get("AvailabilityZone", ctx.region + "a"), "State": "available",
                              "DefaultForAz": False, "AvailableIpAddressCount": 251, "OwnerId": ctx.account,
                              "SubnetArn": "arn:aws:ec2:%s:%s:subnet/%s" % (ctx.region, ctx.account, sid)}
        self._apply_tag_specs(st, sid, p.get("TagSpecifications"), "subnet")
        return {"Subnet": st["subnets"][sid]}

    # ------------------------------------------------------------ network interfaces

    def _new_eni(self, ctx, st, subnet, groups, description=""):
        if subnet not in st["subnets"]:
            raise _nf("subnet", subnet)
        sn = st["subnets"][subnet]
        eid = rand_id("eni-", 17)
        ip = self._next_ip(st, subnet)
        gids = groups or [self._default_sg(st, sn["VpcId"])]
        st["enis"][eid] = {
            "NetworkInterfaceId": eid, "SubnetId": subnet, "VpcId": sn["VpcId"],
            "AvailabilityZone": sn["AvailabilityZone"], "Description": description, "OwnerId": ctx.account,
            "Groups": self._groups(st, gids, sn["VpcId"]), "PrivateIpAddress": ip,
            "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": True}], "Ipv6Addresses": [],
            "MacAddress": "0a:%02x:%02x:%02x:%02x:%02x" % tuple(int(rand_id("", 2), 16) for _ in range(5)),
            "Status": "available", "SourceDestCheck": True, "InterfaceType": "interface",
            "RequesterManaged": False}
        return st["enis"][eid]

    def _attach_eni(self, ctx, eni, instance_id, index, delete_on_termination):
        eni["Status"] = "in-use"
        eni["Attachment"] = {"AttachmentId": rand_id("eni-attach-", 17), "DeviceIndex": index,
                             "NetworkCardIndex": 0, "InstanceId": instance_id, "InstanceOwnerId": ctx.account,
                             "Status": "attached", "DeleteOnTermination": delete_on_termination,
                             "AttachTime": now_iso()}

    def _eni_out(self, st, eni):
        out = dict(eni, TagSet=self._tags(st, eni["NetworkInterfaceId"]))
        assoc = self._eip_for(st, eni_id=eni["NetworkInterfaceId"])
        if assoc:
            out["Association"] = {"PublicIp": assoc["PublicIp"], "AllocationId": assoc["AllocationId"],
                                  "AssociationId": assoc["AssociationId"], "IpOwnerId": "amazon",
                                  "PublicDnsName": ""}
        return out

    def DescribeNetworkInterfaces(self, ctx, p):
        st = ctx.state()
        out = []
        for i in p.get("NetworkInterfaceIds") or list(st["enis"]):
            e = self._get(st, "enis", "eni", i)
            tags = st["tags"].get(i, {})
            att = e.get("Attachment", {})
            vals = {"network-interface-id": [i], "vpc-id": [e["VpcId"]], "subnet-id": [e["SubnetId"]],
                    "attachment.instance-id": [att["InstanceId"]] if att else [],
                    "group-id": [g["GroupId"] for g in e["Groups"]], "status": [e["Status"]],
                    "private-ip-address": [e["PrivateIpAddress"]]}
            if _filters_match(p.get("Filters"), lambda n: vals.get(n, _tag_values(tags, n))):
                out.append(self._eni_out(st, e))
        return _page(out, p, "NetworkInterfaces")

    def CreateNetworkInterface(self, ctx, p):
        need(p, "SubnetId")
        st = ctx.state()
        eni = self._new_eni(ctx, st, p["SubnetId"], p.get("Groups"), p.get("Description", ""))
        self._apply_tag_specs(st, eni["NetworkInterfaceId"], p.get("TagSpecifications"), "network-interface")
        return {"NetworkInterface": self._eni_out(st, eni)}

    def AttachNetworkInterface(self, ctx, p):
        need(p, "NetworkInterfaceId", "InstanceId")
        st = ctx.state()
        eni = self._get(st, "enis", "eni", p["NetworkInterfaceId"])
        inst = self._get(st, "instances", "instance", p["InstanceId"])
        if eni.get("Attachment"):
            raise AwsError("InvalidNetworkInterface.InUse", "Interface: [%s] in use." % eni["NetworkInterfaceId"])
        if any(st["enis"][e]["Attachment"]["DeviceIndex"] == p.get("DeviceIndex") for e in inst["_enis"]):
            raise AwsError("InvalidParameterValue", "Instance '%s' already has an interface attached at device index '%s'." % (inst["InstanceId"], p.get("DeviceIndex")))
        self._attach_eni(ctx, eni, inst["InstanceId"], int(p.get("DeviceIndex", len(inst["_enis"]))), False)
        inst["_enis"].append(eni["NetworkInterfaceId"])
        return {"AttachmentId": eni["Attachment"]["AttachmentId"], "NetworkCardIndex": 0}

    def DetachNetworkInterface(self, ctx, p):
        need(p, "AttachmentId")
        st = ctx.state()
        for eni in st["enis"].values():
            att = eni.get("Attachment")
            if att and att["AttachmentId"] == p["AttachmentId"]:
                if att["DeviceIndex"] == 0:
                    raise AwsError("OperationNotPermitted", "The network interface at device index 0 cannot be detached.")
                inst = st["instances"][att["InstanceId"]]
                inst["_enis"].remove(eni["NetworkInterfaceId"])
                del eni["Attachment"]
                eni["Status"] = "available"
                return {}
        raise AwsError("InvalidAttachmentID.NotFound", "Interface attachment '%s' does not exist." % p["AttachmentId"])

    def DeleteNetworkInterface(self, ctx, p):
        st = ctx.state()
        eni = self._get(st, "enis", "eni", p.get("NetworkInterfaceId"))
        if eni.get("Attachment"):
            raise AwsError("InvalidNetworkInterface.InUse", "The network interface '%s' is currently in use." % eni["NetworkInterfaceId"])
        del st["enis"][eni["NetworkInterfaceId"]]
        return {}

    def ModifyNetworkInterfaceAttribute(self, ctx, p):
        need(p, "NetworkInterfaceId")
        st = ctx.state()
        eni = self._get(st, "enis", "eni", p["NetworkInterfaceId"])
        changed = False
        if "Groups" in p:
            if not p["Groups"]:
                raise AwsError("InvalidParameterValue", "Value () for parameter groupId is invalid. The value cannot be empty")
            eni["Groups"] = self._groups(st, p["Groups"], eni["VpcId"])
            changed = True
        if "ConnectionTrackingSpecification" in p:
            spec = p["ConnectionTrackingSpecification"]
            limits = {"TcpEstablishedTimeout": (60, 432000), "UdpStreamTimeout": (60, 180), "UdpTimeout": (30, 60)}
            cur = eni.setdefault("ConnectionTrackingConfiguration", {})
            for k, (lo, hi) in limits.items():
                if k in spec:
                    if not lo <= int(spec[k]) <= hi:
                        raise AwsError("InvalidParameterValue", "%s must be between %d and %d seconds" % (k, lo, hi))
                    cur[k] = int(spec[k])
            changed = True
        if "SourceDestCheck" in p:
            eni["SourceDestCheck"] = bool(p["SourceDestCheck"].get("Value"))
            changed = True
        if "Description" in p:
            eni["Description"] = p["Description"].get("Value", "")
            changed = True
        if "Attachment" in p:
            att = eni.get("Attachment")
            if not att or att["AttachmentId"] != p["Attachment"].get("AttachmentId"):
                raise AwsError("InvalidAttachmentID.NotFound", "Interface attachment '%s' does not exist." % p["Attachment"].get("AttachmentId"))
            att["DeleteOnTermination"] = bool(p["Attachment"].get("DeleteOnTermination"))
            changed = True
        if not changed:
            raise AwsError("MissingParameter", "You must specify exactly one attribute.")
        return {}

    # ------------------------------------------------------------ instances

    # ------------------------------------------------------------ AMIs

    def _images(self, ctx, st):
        """Every image the caller may see: the public catalogue, then its account's own."""
        return PUBLIC_IMAGES + [dict(i, OwnerId=i.get("OwnerId", ctx.account)) for i in st.get("images", {}).values()]

    def _find_image(self, ctx, st, iid):
        if not iid.startswith("ami-") or not all(c in "0123456789abcdef" for c in iid[4:]) or len(iid) not in (12, 21):
            raise AwsError("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")" % iid)
        for img in self._images(ctx, st):
            if img["ImageId"] == iid:
                return img
        raise AwsError("InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % iid)

    def DescribeImages(self, ctx, p):
        st = ctx.state()
        images = self._images(ctx, st)
        if p.get("ImageIds"):
            images = [self._find_image(ctx, st, i) for i in p["ImageIds"]]
        owners = p.get("Owners") or []
        if owners:
            def owned(img):
                return any(o == img["OwnerId"] or (o == "self" and img["OwnerId"] == ctx.account) or
                           (o == "amazon" and img.get("ImageOwnerAlias") == "amazon") for o in owners)
            images = [i for i in images if owned(i)]
        out = []
        for img in images:
            tags = st["tags"].get(img["ImageId"], {})
            vals = {"name": [img["Name"]], "image-id": [img["ImageId"]], "owner-id": [img["OwnerId"]],
                    "owner-alias": [img["ImageOwnerAlias"]] if img.get("ImageOwnerAlias") else [],
                    "state": [img["State"]], "architecture": [img["Architecture"]],
                    "platform": [img["Platform"]] if img.get("Platform") else [],
                    "platform-details": [img["PlatformDetails"]], "is-public": [img["Public"]],
                    "image-type": [img["ImageType"]], "root-device-type": [img["RootDeviceType"]],
                    "virtualization-type": [img["VirtualizationType"]], "description": [img["Description"]],
                    "hypervisor": [img["Hypervisor"]], "ena-support": [img["EnaSupport"]]}
            if _filters_match(p.get("Filters"), lambda n: vals.get(n, _tag_values(tags, n))):
                out.append(dict(img, Tags=self._tags(st, img["ImageId"])) if tags else dict(img))
        return _page(out, p, "Images")

    # ------------------------------------------------------------ instances

    def RunInstances(self, ctx, p):
        need(p, "MinCount", "MaxCount")
        st = ctx.state()
        if not p.get("ImageId") and not p.get("LaunchTemplate"):
            raise AwsError("MissingParameter", "The request must contain the parameter ImageId")
        image = self._find_image(ctx, st, p["ImageId"]) if p.get("ImageId") else PUBLIC_IMAGES[3]
        # a seed's instances already exist when the world starts; API-launched ones boot first
        booted = ctx.cred.get("AccessKeyId") == "seed" or int(ctx.world.settings.get("instance_polls", 2)) <= 0
        count = int(p["MaxCount"])
        if count < 1 or int(p["MinCount"]) > count:
            raise AwsError("InvalidParameterValue", "Invalid MinCount/MaxCount")
        profile = self._profile(ctx, p["IamInstanceProfile"]) if p.get("IamInstanceProfile") else None
        rid = rand_id("r-", 17)
        out = []
        for n in range(count):
            iid = rand_id("i-", 17)
            specs = p.get("NetworkInterfaces") or [{"DeviceIndex": 0, "SubnetId": p.get("SubnetId"),
                                                    "Groups": p.get("SecurityGroupIds"), "DeleteOnTermination": True}]
            enis = []
            for spec in sorted(specs, key=lambda s: int(s.get("DeviceIndex", 0))):
                if spec.get("NetworkInterfaceId"):
                    eni = self._get(st, "enis", "eni", spec["NetworkInterfaceId"])
                else:
                    subnet = spec.get("SubnetId") or p.get("SubnetId") or next(
                        s for s in st["subnets"] if st["subnets"][s].get("DefaultForAz"))
                    eni = self._new_eni(ctx, st, subnet, spec.get("Groups"), spec.get("Description", ""))
                self._attach_eni(ctx, eni, iid, int(spec.get("DeviceIndex", 0)), bool(spec.get("DeleteOnTermination", True)))
                enis.append(eni["NetworkInterfaceId"])
            primary = st["enis"][enis[0]]
            state = "running" if booted else "pending"
            inst = {"InstanceId": iid, "ImageId": image["ImageId"],
                    "InstanceType": p.get("InstanceType", "t3.micro"),
                    "State": {"Code": STATE_CODES[state], "Name": state}, "_polls": 0,
                    "LaunchTime": now_iso(), "Placement": {"AvailabilityZone": primary["AvailabilityZone"], "Tenancy": "default"},
                    "SubnetId": primary["SubnetId"], "VpcId": primary["VpcId"],
                    "PrivateIpAddress": primary["PrivateIpAddress"], "Architecture": image["Architecture"],
                    "PlatformDetails": image["PlatformDetails"], "UsageOperation": image["UsageOperation"],
                    "RootDeviceName": image["RootDeviceName"], "RootDeviceType": "ebs", "Hypervisor": "xen",
                    "VirtualizationType": "hvm", "AmiLaunchIndex": n, "KeyName": p.get("KeyName"),
                    "Monitoring": {"State": "disabled"}, "EbsOptimized": False,
                    "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled", "State": "applied"},
                    "_reservation": rid, "_enis": enis,
                    "_attrs": {"disableApiTermination": bool(p.get("DisableApiTermination", False)),
                               "instanceInitiatedShutdownBehavior": p.get("InstanceInitiatedShutdownBehavior", "stop"),
                               "userData": p.get("UserData")}}
            if image.get("Platform"):
                inst["Platform"] = image["Platform"]
            st["instances"][iid] = inst
            root = image["RootDeviceName"]
            mappings = p.get("BlockDeviceMappings") or []
            if not any(m.get("DeviceName") == root for m in mappings):
                mappings = [{"DeviceName": root, "Ebs": dict(image["BlockDeviceMappings"][0]["Ebs"])}] + mappings
            for m in mappings:
                if "Ebs" not in m:
                    continue
                vol = self._new_volume(ctx, st, int(m["Ebs"].get("VolumeSize", 8)), primary["AvailabilityZone"],
                                       m["Ebs"].get("Encrypted", False), m["Ebs"].get("KmsKeyId"),
                                       m["Ebs"].get("VolumeType", "gp3"), m["Ebs"].get("SnapshotId"))
                vol["State"] = "in-use"
                vol["Attachments"] = [{"VolumeId": vol["VolumeId"], "InstanceId": iid, "Device": m["DeviceName"],
                                       "State": "attached", "AttachTime": now_iso(),
                                       "DeleteOnTermination": bool(m["Ebs"].get("DeleteOnTermination", True))}]
            self._apply_tag_specs(st, iid, p.get("TagSpecifications"), "instance")
            for e in enis:
                self._apply_tag_specs(st, e, p.get("TagSpecifications"), "network-interface")
            if profile:
                self._associate(ctx, st, iid, profile)
            out.append(self._instance_out(ctx, st, inst))
        return {"ReservationId": rid, "OwnerId": ctx.account, "Groups": [], "Instances": out}

    def _instance_out(self, ctx, st, inst):
        enis = [st["enis"][e] for e in inst["_enis"]]
        groups, seen = [], set()
        for e in enis:
            for g in e["Groups"]:
                if g["GroupId"] not in seen:
                    seen.add(g["GroupId"])
                    groups.append(g)
        out = dict(inst, SecurityGroups=groups, Tags=self._tags(st, inst["InstanceId"]),
                   NetworkInterfaces=[self._eni_out(st, e) for e in enis],
                   SourceDestCheck=enis[0]["SourceDestCheck"] if enis else True,
                   BlockDeviceMappings=[{"DeviceName": a["Device"], "Ebs": {
                       "VolumeId": v["VolumeId"], "Status": a["State"], "AttachTime": a["AttachTime"],
                       "DeleteOnTermination": a["DeleteOnTermination"]}}
                       for v in st["volumes"].values() for a in v["Attachments"] if a["InstanceId"] == inst["InstanceId"]])
        assoc = self._association_for(st, inst["InstanceId"])
        if assoc:
            out["IamInstanceProfile"] = assoc["IamInstanceProfile"]
        eip = self._eip_for(st, eni_id=inst["_enis"][0]) if inst["_enis"] else None
        if eip:
            out["PublicIpAddress"] = eip["PublicIp"]
        return out

    def DescribeInstances(self, ctx, p):
        st = ctx.state()
        ids = p.get("InstanceIds") or list(st["instances"])
        missing = [i for i in ids if i not in st["instances"]]
        if missing:
            raise AwsError("InvalidInstanceID.NotFound", "The instance ID%s '%s' does not exist" % (
                "s" if len(missing) > 1 else "", ", ".join(missing)))
        res = {}
        for i in ids:
            inst = st["instances"][i]
            self._observe(ctx, inst)
            tags = st["tags"].get(i, {})
            enis = [st["enis"][e] for e in inst["_enis"]]
            assoc = self._association_for(st, i)
            vals = {"instance-id": [i], "instance-state-name": [inst["State"]["Name"]], "vpc-id": [inst["VpcId"]],
                    "subnet-id": [inst["SubnetId"]], "instance-type": [inst["InstanceType"]],
                    "network-interface.network-interface-id": [e["NetworkInterfaceId"] for e in enis],
                    "instance.group-id": [g["GroupId"] for e in enis for g in e["Groups"]],
                    "private-ip-address": [inst["PrivateIpAddress"]],
                    "iam-instance-profile.arn": [assoc["IamInstanceProfile"]["Arn"]] if assoc else []}
            if not _filters_match(p.get("Filters"), lambda n: vals.get(n, _tag_values(tags, n))):
                continue
            r = res.setdefault(inst["_reservation"], {"ReservationId": inst["_reservation"], "OwnerId": ctx.account,
                                                      "Groups": [], "Instances": []})
            r["Instances"].append(self._instance_out(ctx, st, inst))
        return _page(list(res.values()), p, "Reservations")

    def _observe(self, ctx, inst):
        """A describe call saw the instance: a pending one boots after instance_polls of them."""
        if inst["State"]["Name"] != "pending":
            return
        inst["_polls"] = inst.get("_polls", 0) + 1
        if inst["_polls"] >= int(ctx.world.settings.get("instance_polls", 2)):
            inst["State"] = {"Code": STATE_CODES["running"], "Name": "running"}

    def DescribeInstanceStatus(self, ctx, p):
        st = ctx.state()
        ids = p.get("InstanceIds") or list(st["instances"])
        missing = [i for i in ids if i not in st["instances"]]
        if missing:
            raise AwsError("InvalidInstanceID.NotFound", "The instance ID%s '%s' does not exist" % (
                "s" if len(missing) > 1 else "", ", ".join(missing)))
        out = []
        for i in ids:
            inst = st["instances"][i]
            self._observe(ctx, inst)
            name = inst["State"]["Name"]
            # AWS: only running instances unless IncludeAllInstances
            if name != "running" and not p.get("IncludeAllInstances"):
                continue
            if name == "running":
                status = {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}
            else:
                status = {"Status": "not-applicable"}
            az = inst["Placement"]["AvailabilityZone"]
            vals = {"availability-zone": [az], "instance-state-name": [name],
                    "instance-state-code": [inst["State"]["Code"]],
                    "instance-status.status": [status["Status"]], "system-status.status": [status["Status"]],
                    "instance-status.reachability": [d["Status"] for d in status.get("Details", [])],
                    "system-status.reachability": [d["Status"] for d in status.get("Details", [])]}
            if _filters_match(p.get("Filters"), lambda n: vals.get(n)):
                out.append({"InstanceId": i, "AvailabilityZone": az, "Events": [],
                            "InstanceState": dict(inst["State"]), "InstanceStatus": dict(status),
                            "SystemStatus": dict(status)})
        return _page(out, p, "InstanceStatuses")

    def _set_state(self, ctx, p, name, code, check=None):
        st = ctx.state()
        out = []
        for i in p.get("InstanceIds", []):
            inst = self._get(st, "instances", "instance", i)
            if check:
                check(inst)
            prev = dict(inst["State"])
            inst["State"] = {"Code": code, "Name": name}
            out.append({"InstanceId": i, "PreviousState": prev, "CurrentState": inst["State"]})
        return out

    def StopInstances(self, ctx, p):
        return {"StoppingInstances": self._set_state(ctx, p, "stopped", 80)}

    def StartInstances(self, ctx, p):
        return {"StartingInstances": self._set_state(ctx, p, "running", 16)}

    def TerminateInstances(self, ctx, p):
        def check(inst):
            if inst["_attrs"]["disableApiTermination"]:
                raise AwsError("OperationNotPermitted", "The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again." % inst["InstanceId"])
        st = ctx.state()
        for i in p.get("InstanceIds", []):
            check(self._get(st, "instances", "instance", i))
        return {"TerminatingInstances": self._set_state(ctx, p, "terminated", 48)}

    ATTRS = {"instanceType": "InstanceType", "disableApiTermination": "DisableApiTermination",
             "instanceInitiatedShutdownBehavior": "InstanceInitiatedShutdownBehavior",
             "blockDeviceMapping": "BlockDeviceMappings", "groupSet": "Groups", "userData": "UserData",
             "sourceDestCheck": "SourceDestCheck", "rootDeviceName": "RootDeviceName"}

    def DescribeInstanceAttribute(self, ctx, p):
        need(p, "InstanceId", "Attribute")
        st = ctx.state()
        inst = self._get(st, "instances", "instance", p["InstanceId"])
        a = p["Attribute"]
        if a not in self.ATTRS:
            raise AwsError("InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute." % a)
        out = {"InstanceId": inst["InstanceId"]}
        view = self._instance_out(ctx, st, inst)
        if a in ("disableApiTermination", "instanceInitiatedShutdownBehavior"):
            out[self.ATTRS[a]] = {"Value": inst["_attrs"][a]}
        elif a == "blockDeviceMapping":
            out["BlockDeviceMappings"] = view["BlockDeviceMappings"]
        elif a == "groupSet":
            out["Groups"] = view["SecurityGroups"]
        elif a == "userData":
            out["UserData"] = {"Value": inst["_attrs"].get("userData")} if inst["_attrs"].get("userData") else {}
        elif a == "sourceDestCheck":
            out["SourceDestCheck"] = {"Value": view["SourceDestCheck"]}
        else:
            out[self.ATTRS[a]] = {"Value": inst[self.ATTRS[a]]}
        return out

    def ModifyInstanceAttribute(self, ctx, p):
        need(p, "InstanceId")
        st = ctx.state()
        inst = self._get(st, "instances", "instance", p["InstanceId"])
        done = False
        if p.get("Attribute"):
            a = p["Attribute"]
            v = p.get("Value")
            if a == "disableApiTermination":
                p["DisableApiTermination"] = {"Value": str(v).lower() == "true"}
            elif a == "instanceInitiatedShutdownBehavior":
                p["InstanceInitiatedShutdownBehavior"] = {"Value": v}
            elif a == "instanceType":
                p["InstanceType"] = {"Value": v}
            else:
                raise AwsError("InvalidParameterValue", "Value (%s) for parameter attribute is invalid." % a)
        if "DisableApiTermination" in p:
            inst["_attrs"]["disableApiTermination"] = bool(p["DisableApiTermination"].get("Value"))
            done = True
        if "InstanceInitiatedShutdownBehavior" in p:
            v = p["InstanceInitiatedShutdownBehavior"].get("Value")
            if v not in ("stop", "terminate"):
                raise AwsError("InvalidParameterValue", "Value (%s) for parameter instanceInitiatedShutdownBehavior is invalid." % v)
            inst["_attrs"]["instanceInitiatedShutdownBehavior"] = v
            done = True
        if "InstanceType" in p:
            inst["InstanceType"] = p["InstanceType"].get("Value")
            done = True
        if "SourceDestCheck" in p:
            for e in inst["_enis"]:
                st["enis"][e]["SourceDestCheck"] = bool(p["SourceDestCheck"].get("Value"))
            done = True
        if "BlockDeviceMappings" in p:
            for m in p["BlockDeviceMappings"]:
                found = False
                for v in st["volumes"].values():
                    for a in v["Attachments"]:
                        if a["InstanceId"] == inst["InstanceId"] and a["Device"] == m.get("DeviceName"):
                            if "DeleteOnTermination" in m.get("Ebs", {}):
                                a["DeleteOnTermination"] = bool(m["Ebs"]["DeleteOnTermination"])
                            found = True
                if not found:
                    raise AwsError("InvalidInstanceAttributeValue", "No device is currently mapped at %s" % m.get("DeviceName"))
            done = True
        if "Groups" in p:
            if len(inst["_enis"]) > 1:
                raise AwsError("InvalidInstanceID", "There are multiple interfaces attached to instance '%s'. Please specify an interface ID for the operation instead." % inst["InstanceId"])
            eni = st["enis"][inst["_enis"][0]]
            eni["Groups"] = self._groups(st, p["Groups"], eni["VpcId"])
            done = True
        if not done:
            raise AwsError("MissingParameter", "The request must contain the parameter attribute")
        return {}

    # ------------------------------------------------------------ security groups

    def _new_sg(self, account, gid, name, desc, vpc):
        return {"GroupId": gid, "GroupName": name, "Description": desc, "VpcId": vpc, "OwnerId": account, "_rules": []}

    def _sg_out(self, st, sg):
        def perms(egress):
            grouped = {}
            for r in sg["_rules"]:
                if r["egress"] != egress:
                    continue
                key = (r["IpProtocol"], r["FromPort"], r["ToPort"])
                perm = grouped.setdefault(key, {"IpProtocol": r["IpProtocol"], "IpRanges": [], "Ipv6Ranges": [],
                                                "UserIdGroupPairs": [], "PrefixListIds": []})
                if r["IpProtocol"] != ALL_TRAFFIC:
                    perm["FromPort"], perm["ToPort"] = r["FromPort"], r["ToPort"]
                d = {"Description": r["Description"]} if r.get("Description") else {}
                if r["kind"] == "cidr":
                    perm["IpRanges"].append(dict(d, CidrIp=r["value"]))
                elif r["kind"] == "cidr6":
                    perm["Ipv6Ranges"].append(dict(d, CidrIpv6=r["value"]))
                elif r["kind"] == "group":
                    perm["UserIdGroupPairs"].append(dict(d, GroupId=r["value"], UserId=sg["OwnerId"]))
                else:
                    perm["PrefixListIds"].append(dict(d, PrefixListId=r["value"]))
            return list(grouped.values())
        return dict(sg, IpPermissions=perms(False), IpPermissionsEgress=perms(True), Tags=self._tags(st, sg["GroupId"]))

    def _atomic(self, perms, egress):
        out = []
        for perm in perms or []:
            proto = str(perm.get("IpProtocol", "")).lower()
            proto = {"all": ALL_TRAFFIC, "6": "tcp", "17": "udp", "1": "icmp"}.get(proto, proto)
            if proto not in ("tcp", "udp", "icmp", "icmpv6", ALL_TRAFFIC):
                raise AwsError("InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol." % perm.get("IpProtocol"))
            lo, hi = (-1, -1) if proto == ALL_TRAFFIC else (int(perm.get("FromPort", -1)), int(perm.get("ToPort", -1)))
            items = ([("cidr", r["CidrIp"], r.get("Description")) for r in perm.get("IpRanges", [])] +
                     [("cidr6", r["CidrIpv6"], r.get("Description")) for r in perm.get("Ipv6Ranges", [])] +
                     [("group", r["GroupId"], r.get("Description")) for r in perm.get("UserIdGroupPairs", [])] +
                     [("prefix", r["PrefixListId"], r.get("Description")) for r in perm.get("PrefixListIds", [])])
            for kind, value, desc in items:
                if kind in ("cidr", "cidr6"):
                    try:
                        ipaddress.ip_network(value, strict=False)
                    except ValueError:
                        raise AwsError("InvalidParameterValue", "Value (%s) for parameter cidrIp is invalid. This is not a valid CIDR block." % value)
                out.append({"egress": egress, "IpProtocol": proto, "FromPort": lo, "ToPort": hi,
                            "kind": kind, "value": value, "Description": desc})
        return out

    def _sg(self, ctx, p):
        st = ctx.state()
        if p.get("GroupId"):
            return self._get(st, "security_groups", "sg", p["GroupId"])
        for sg in st["security_groups"].values():
            if sg["GroupName"] == p.get("GroupName"):
                return sg
        raise AwsError("InvalidGroup.NotFound", "The security group '%s' does not exist" % p.get("GroupName"))

    @staticmethod
    def _same(a, b):
        return all(a[k] == b[k] for k in ("egress", "IpProtocol", "FromPort", "ToPort", "kind", "value"))

    def _authorize(self, ctx, p, egress):
        sg = self._sg(ctx, p)
        new = self._atomic(p.get("IpPermissions"), egress)
        if not new:
            raise AwsError("MissingParameter", "The request must contain the parameter ipPermissions")
        for r in new:
            if any(self._same(r, x) for x in sg["_rules"]):
                raise AwsError("InvalidPermission.Duplicate", "the specified rule \"peer: %s, %s, ALLOW\" already exists" % (r["value"], r["IpProtocol"].upper() if r["IpProtocol"] != ALL_TRAFFIC else "ALL"))
        out = []
        for r in new:
            r["id"] = rand_id("sgr-", 17)
            sg["_rules"].append(r)
            out.append(self._rule_out(sg, r))
        return {"Return": True, "SecurityGroupRules": out}

    def _revoke(self, ctx, p, egress):
        sg = self._sg(ctx, p)
        gone = [r for r in sg["_rules"] if r["egress"] == egress and r["id"] in (p.get("SecurityGroupRuleIds") or [])]
        for r in self._atomic(p.get("IpPermissions"), egress):
            match = [x for x in sg["_rules"] if self._same(r, x)]
            if not match:
                raise AwsError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
            gone += match
        if not gone:
            raise AwsError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
        sg["_rules"] = [x for x in sg["_rules"] if not any(x is g for g in gone)]
        return {"Return": True}

    def AuthorizeSecurityGroupIngress(self, ctx, p):
        return self._authorize(ctx, p, False)

    def AuthorizeSecurityGroupEgress(self, ctx, p):
        return self._authorize(ctx, p, True)

    def RevokeSecurityGroupIngress(self, ctx, p):
        return self._revoke(ctx, p, False)

    def RevokeSecurityGroupEgress(self, ctx, p):
        return self._revoke(ctx, p, True)

    def _rule_out(self, sg, r):
        out = {"SecurityGroupRuleId": r["id"], "GroupId": sg["GroupId"], "GroupOwnerId": sg["OwnerId"],
               "IsEgress": r["egress"], "IpProtocol": r["IpProtocol"], "FromPort": r["FromPort"], "ToPort": r["ToPort"]}
        if r.get("Description"):
            out["Description"] = r["Description"]
        key = {"cidr": "CidrIpv4", "cidr6": "CidrIpv6", "prefix": "PrefixListId"}.get(r["kind"])
        if key:
            out[key] = r["value"]
        else:
            out["ReferencedGroupInfo"] = {"GroupId": r["value"], "UserId": sg["OwnerId"]}
        return out

    def DescribeSecurityGroupRules(self, ctx, p):
        st = ctx.state()
        out = []
        for sg in st["security_groups"].values():
            for r in sg["_rules"]:
                vals = {"group-id": [sg["GroupId"]], "security-group-rule-id": [r["id"]]}
                if p.get("SecurityGroupRuleIds") and r["id"] not in p["SecurityGroupRuleIds"]:
                    continue
                if _filters_match(p.get("Filters"), lambda n: vals.get(n, [])):
                    out.append(self._rule_out(sg, r))
        return _page(out, p, "SecurityGroupRules")

    def CreateSecurityGroup(self, ctx, p):
        need(p, "GroupName", "Description")
        st = ctx.state()
        vpc = p.get("VpcId") or next(v for v in st["vpcs"] if st["vpcs"][v]["IsDefault"])
        self._get(st, "vpcs", "vpc", vpc)
        if any(s["GroupName"] == p["GroupName"] and s["VpcId"] == vpc for s in st["security_groups"].values()):
            raise AwsError("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'" % (p["GroupName"], vpc))
        gid = rand_id("sg-", 17)
        sg = self._new_sg(ctx.account, gid, p["GroupName"], p["Description"], vpc)
        sg["_rules"].append({"id": rand_id("sgr-", 17), "egress": True, "IpProtocol": ALL_TRAFFIC, "FromPort": -1,
                             "ToPort": -1, "kind": "cidr", "value": "0.0.0.0/0", "Description": None})
        st["security_groups"][gid] = sg
        self._apply_tag_specs(st, gid, p.get("TagSpecifications"), "security-group")
        return {"GroupId": gid, "Tags": self._tags(st, gid),
                "SecurityGroupArn": "arn:aws:ec2:%s:%s:security-group/%s" % (ctx.region, ctx.account, gid)}

    def DeleteSecurityGroup(self, ctx, p):
        st = ctx.state()
        sg = self._sg(ctx, p)
        if sg["GroupName"] == "default":
            raise AwsError("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user" % sg["GroupId"])
        if any(g["GroupId"] == sg["GroupId"] for e in st["enis"].values() for g in e["Groups"]):
            raise AwsError("DependencyViolation", "resource %s has a dependent object" % sg["GroupId"])
        del st["security_groups"][sg["GroupId"]]
        return {"Return": True, "GroupId": sg["GroupId"]}

    def DescribeSecurityGroups(self, ctx, p):
        st = ctx.state()
        ids = p.get("GroupIds") or list(st["security_groups"])
        out = []
        for i in ids:
            sg = self._get(st, "security_groups", "sg", i)
            tags = st["tags"].get(i, {})
            vals = {"group-id": [i], "group-name": [sg["GroupName"]], "vpc-id": [sg["VpcId"]],
                    "description": [sg["Description"]]}
            if p.get("GroupNames") and sg["GroupName"] not in p["GroupNames"]:
                continue
            if _filters_match(p.get("Filters"), lambda n: vals.get(n, _tag_values(tags, n))):
                out.append(self._sg_out(st, sg))
        return _page(out, p, "SecurityGroups")

    # ------------------------------------------------------------ volumes and snapshots

    def _new_volume(self, ctx, st, size, az, encrypted, kms, vtype, snapshot=None):
        vid = rand_id("vol-", 17)
        if encrypted and not kms:
            kms = ctx.world.services["kms"].default_ebs_key(ctx)
        st["volumes"][vid] = {"VolumeId": vid, "Size": size, "AvailabilityZone": az, "State": "available",
                              "VolumeType": vtype, "Encrypted": bool(encrypted), "KmsKeyId": kms,
                              "CreateTime": now_iso(), "Attachments": [], "SnapshotId": snapshot or "",
                              "Iops": 3000, "MultiAttachEnabled": False}
        return st["volumes"][vid]

    def CreateVolume(self, ctx, p):
        st = ctx.state()
        size = p.get("Size")
        if p.get("SnapshotId"):
            snap = self._snapshot(ctx, p["SnapshotId"])
            size = size or snap["VolumeSize"]
        if not size:
            raise AwsError("MissingParameter", "The request must contain the parameter size or snapshotId")
        vol = self._new_volume(ctx, st, int(size), p.get("AvailabilityZone", ctx.region + "a"), p.get("Encrypted"),
                               p.get("KmsKeyId"), p.get("VolumeType", "gp3"), p.get("SnapshotId"))
        self._apply_tag_specs(st, vol["VolumeId"], p.get("TagSpecifications"), "volume")
        return dict(vol, Tags=self._tags(st, vol["VolumeId"]))

    def DescribeVolumes(self, ctx, p):
        st = ctx.state()
        out = []
        for i in p.get("VolumeIds") or list(st["volumes"]):
            v = self._get(st, "volumes", "volume", i)
            tags = st["tags"].get(i, {})
            vals = {"volume-id": [i], "attachment.instance-id": [a["InstanceId"] for a in v["Attachments"]],
                    "status": [v["State"]], "attachment.device": [a["Device"] for a in v["Attachments"]],
                    "encrypted": [v["Encrypted"]]}
            if _filters_match(p.get("Filters"), lambda n: vals.get(n, _tag_values(tags, n))):
                out.append(dict(v, Tags=self._tags(st, i)))
        return _page(out, p, "Volumes")

    def AttachVolume(self, ctx, p):
        need(p, "VolumeId", "InstanceId", "Device")
        st = ctx.state()
        v = self._get(st, "volumes", "volume", p["VolumeId"])
        self._get(st, "instances", "instance", p["InstanceId"])
        if v["Attachments"]:
            raise AwsError("VolumeInUse", "%s is already attached to an instance" % v["VolumeId"])
        a = {"VolumeId": v["VolumeId"], "InstanceId": p["InstanceId"], "Device": p["Device"], "State": "attached",
             "AttachTime": now_iso(), "DeleteOnTermination": False}
        v["Attachments"] = [a]
        v["State"] = "in-use"
        return a

    def DetachVolume(self, ctx, p):
        st = ctx.state()
        v = self._get(st, "volumes", "volume", p.get("VolumeId"))
        if not v["Attachments"]:
            raise AwsError("IncorrectState", "Volume '%s' is in the 'available' state." % v["VolumeId"])
        a = dict(v["Attachments"][0], State="detaching")
        v["Attachments"] = []
        v["State"] = "available"
        return a

    def DeleteVolume(self, ctx, p):
        st = ctx.state()
        v = self._get(st, "volumes", "volume", p.get("VolumeId"))
        if v["Attachments"]:
            raise AwsError("VolumeInUse", "Volume %s is currently attached to %s" % (v["VolumeId"], v["Attachments"][0]["InstanceId"]))
        del st["volumes"][v["VolumeId"]]
        return {}

    def _new_snapshot(self, ctx, st, vol, desc, specs, extra_tags=None, encrypted=None, kms=None):
        sid = rand_id("snap-", 17)
        snap = {"SnapshotId": sid, "VolumeId": vol["VolumeId"] if vol else "vol-ffffffff",
                "VolumeSize": vol["Size"] if vol else 8, "State": "pending", "Progress": "0%",
                "StartTime": now_iso(), "OwnerId": ctx.account, "Description": desc or "",
                "Encrypted": bool(vol["Encrypted"] if encrypted is None else encrypted),
                "KmsKeyId": kms if kms else (vol or {}).get("KmsKeyId"), "StorageTier": "standard",
                "_polls": 0, "_permissions": []}
        if not snap["Encrypted"]:
            snap.pop("KmsKeyId")
        st["snapshots"][sid] = snap
        if extra_tags:
            st["tags"].setdefault(sid, {}).update(extra_tags)
        self._apply_tag_specs(st, sid, specs, "snapshot")
        return snap

    def CreateSnapshot(self, ctx, p):
        need(p, "VolumeId")
        st = ctx.state()
        vol = self._get(st, "volumes", "volume", p["VolumeId"])
        snap = self._new_snapshot(ctx, st, vol, p.get("Description"), p.get("TagSpecifications"))
        return dict(snap, Tags=self._tags(st, snap["SnapshotId"]))

    def CreateSnapshots(self, ctx, p):
        spec = p.get("InstanceSpecification") or {}
        need(spec, "InstanceId")
        st = ctx.state()
        inst = self._get(st, "instances", "instance", spec["InstanceId"])
        out = []
        for v in st["volumes"].values():
            for a in v["Attachments"]:
                if a["InstanceId"] != inst["InstanceId"]:
                    continue
                if spec.get("ExcludeBootVolume") and a["Device"] == inst["RootDeviceName"]:
                    continue
                extra = dict(st["tags"].get(v["VolumeId"], {})) if p.get("CopyTagsFromSource") == "volume" else None
                snap = self._new_snapshot(ctx, st, v, p.get("Description"), p.get("TagSpecifications"), extra)
                out.append({"SnapshotId": snap["SnapshotId"], "VolumeId": v["VolumeId"], "State": "pending",
                            "Progress": "0%", "StartTime": snap["StartTime"], "VolumeSize": v["Size"],
                            "OwnerId": ctx.account, "Encrypted": snap["Encrypted"], "Description": snap["Description"],
                            "Tags": self._tags(st, snap["SnapshotId"])})
        return {"Snapshots": out}

    def _snapshot(self, ctx, sid, region=None):
        """A snapshot this account owns or may create volumes from (shared by another account)."""
        st = ctx.state(region=region)
        if sid in st["snapshots"]:
            return st["snapshots"][sid]
        for acct in ctx.world.accounts:
            if acct == ctx.account:
                continue
            other = ctx.world.states.get("%s/%s/ec2" % (acct, region or ctx.region))
            snap = (other or {}).get("snapshots", {}).get(sid)
            if snap and (ctx.account in snap["_permissions"] or "all" in snap["_permissions"]):
                return snap
        raise _nf("snapshot", sid)

    def DescribeSnapshots(self, ctx, p):
        st = ctx.state()
        polls = int(ctx.world.settings["snapshot_polls"])
        if p.get("SnapshotIds"):
            snaps = [self._snapshot(ctx, i) for i in p["SnapshotIds"]]
        else:
            owners = p.get("OwnerIds") or []
            snaps = [s for s in st["snapshots"].values() if not owners or "self" in owners or ctx.account in owners]
            if p.get("RestorableByUserIds") or (owners and ctx.account not in owners and "self" not in owners):
                snaps = []
                for key, other in ctx.world.states.items():
                    if key.endswith("/%s/ec2" % ctx.region):
                        snaps += [s for s in other["snapshots"].values()
                                  if (not owners or s["OwnerId"] in owners) and (s["OwnerId"] == ctx.account or ctx.account in s["_permissions"])]
        out = []
        for s in snaps:
            if s["State"] == "pending":
                s["_polls"] += 1
                if s["_polls"] >= polls:
                    s["State"], s["Progress"] = "completed", "100%"
                else:
                    s["Progress"] = "%d%%" % (100 * s["_polls"] // polls)
            owner_state = ctx.world.states.get("%s/%s/ec2" % (s["OwnerId"], ctx.region), st)
            tags = owner_state["tags"].get(s["SnapshotId"], {})
            vals = {"snapshot-id": [s["SnapshotId"]], "volume-id": [s["VolumeId"]], "status": [s["State"]],
                    "owner-id": [s["OwnerId"]], "encrypted": [s["Encrypted"]], "description": [s["Description"]]}
            if _filters_match(p.get("Filters"), lambda n: vals.get(n, _tag_values(tags, n))):
                out.append(dict(s, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]))
        return _page(out, p, "Snapshots")

    def CopySnapshot(self, ctx, p):
        need(p, "SourceSnapshotId", "SourceRegion")
        st = ctx.state()
        src = self._snapshot(ctx, p["SourceSnapshotId"], p["SourceRegion"])
        if src["State"] != "completed":
            raise AwsError("IncorrectState", "Snapshot '%s' is not in 'completed' state." % src["SnapshotId"])
        encrypted = bool(p.get("Encrypted")) or src["Encrypted"]
        kms = p.get("KmsKeyId")
        if encrypted and not kms:
            kms = src.get("KmsKeyId") if p["SourceRegion"] == ctx.region and src["OwnerId"] == ctx.account else None
            kms = kms or ctx.world.services["kms"].default_ebs_key(ctx)
        if kms:
            kms = ctx.world.services["kms"].resolve_arn(ctx, kms)
        vol = {"VolumeId": src["VolumeId"], "Size": src["VolumeSize"], "Encrypted": encrypted, "KmsKeyId": kms}
        snap = self._new_snapshot(ctx, st, vol, p.get("Description", src["Description"]), p.get("TagSpecifications"),
                                  encrypted=encrypted, kms=kms)
        return {"SnapshotId": snap["SnapshotId"], "Tags": self._tags(st, snap["SnapshotId"])}

    def DeleteSnapshot(self, ctx, p):
        st = ctx.state()
        s = self._get(st, "snapshots", "snapshot", p.get("SnapshotId"))
        del st["snapshots"][s["SnapshotId"]]
        return {}

    def ModifySnapshotAttribute(self, ctx, p):
        need(p, "SnapshotId")
        st = ctx.state()
        s = self._get(st, "snapshots", "snapshot", p["SnapshotId"])
        add = [x.get("UserId") or x.get("Group") for x in (p.get("CreateVolumePermission") or {}).get("Add", [])]
        remove = [x.get("UserId") or x.get("Group") for x in (p.get("CreateVolumePermission") or {}).get("Remove", [])]
        ids = (p.get("UserIds") or []) + (p.get("GroupNames") or [])
        if p.get("OperationType") == "add":
            add += ids
        elif p.get("OperationType") == "remove":
            remove += ids
        if p.get("Attribute", "createVolumePermission") != "createVolumePermission":
            raise AwsError("InvalidParameterValue", "Value (%s) for parameter attribute is invalid." % p["Attribute"])
        if add and s["Encrypted"] and ctx.world.services["kms"].is_aws_managed(ctx, s.get("KmsKeyId")):
            raise AwsError("InvalidParameter", "Snapshots encrypted with the AWS Managed CMK can't be shared. Specify another snapshot.")
        for a in add:
            if a not in s["_permissions"]:
                s["_permissions"].append(a)
        s["_permissions"] = [x for x in s["_permissions"] if x not in remove]
        return {}

    def DescribeSnapshotAttribute(self, ctx, p):
        need(p, "SnapshotId", "Attribute")
        s = self._get(ctx.state(), "snapshots", "snapshot", p["SnapshotId"])
        return {"SnapshotId": s["SnapshotId"], "CreateVolumePermissions": [
            {"Group": x} if x == "all" else {"UserId": x} for x in s["_permissions"]]}

    # ------------------------------------------------------------ tags

    def _exists(self, st, rid):
        colls = {"i-": "instances", "eni-": "enis", "sg-": "security_groups", "vol-": "volumes", "snap-": "snapshots",
                 "vpc-": "vpcs", "subnet-": "subnets", "eipalloc-": "addresses", "ami-": "images"}
        for pre, coll in colls.items():
            if rid.startswith(pre):
                public = pre == "ami-" and any(i["ImageId"] == rid for i in PUBLIC_IMAGES)
                return public or rid in st.get(coll, {})
        return True

    def CreateTags(self, ctx, p):
        need(p, "Resources", "Tags")
        st = ctx.state()
        for r in p["Resources"]:
            if not self._exists(st, r):
                raise AwsError("InvalidID", "The ID '%s' is not valid" % r)
        for r in p["Resources"]:
            st["tags"].setdefault(r, {}).update({t["Key"]: t.get("Value", "") for t in p["Tags"]})
        return {}

    def DeleteTags(self, ctx, p):
        st = ctx.state()
        for r in p.get("Resources", []):
            tags = st["tags"].get(r, {})
            for t in p.get("Tags") or [{"Key": k} for k in list(tags)]:
                if t["Key"] in tags and ("Value" not in t or t["Value"] == tags[t["Key"]]):
                    del tags[t["Key"]]
        return {}

    def DescribeTags(self, ctx, p):
        st = ctx.state()
        types = {"i-": "instance", "eni-": "network-interface", "sg-": "security-group", "vol-": "volume",
                 "snap-": "snapshot", "vpc-": "vpc", "subnet-": "subnet", "eipalloc-": "elastic-ip",
                 "ami-": "image"}
        out = []
        for rid, tags in st["tags"].items():
            rtype = next((t for pre, t in types.items() if rid.startswith(pre)), "other")
            for k, v in tags.items():
                vals = {"resource-id": [rid], "resource-type": [rtype], "key": [k], "value": [v]}
                if _filters_match(p.get("Filters"), lambda n: vals.get(n)):
                    out.append({"ResourceId": rid, "ResourceType": rtype, "Key": k, "Value": v})
        return _page(out, p, "Tags")

    # ------------------------------------------------------------ Elastic IPs

    def _eip_for(self, st, eni_id=None):
        for a in st["addresses"].values():
            if eni_id and a.get("NetworkInterfaceId") == eni_id:
                return a
        return None

    def AllocateAddress(self, ctx, p):
        st = ctx.state()
        aid = rand_id("eipalloc-", 17)
        n = len(st["addresses"]) + 10
        st["addresses"][aid] = {"AllocationId": aid, "PublicIp": "198.51.100.%d" % n, "Domain": "vpc",
                                "NetworkBorderGroup": ctx.region, "PublicIpv4Pool": "amazon"}
        self._apply_tag_specs(st, aid, p.get("TagSpecifications"), "elastic-ip")
        return dict(st["addresses"][aid])

    def AssociateAddress(self, ctx, p):
        st = ctx.state()
        a = self._address(st, p)
        if p.get("NetworkInterfaceId"):
            eni = self._get(st, "enis", "eni", p["NetworkInterfaceId"])
        else:
            need(p, "InstanceId")
            inst = self._get(st, "instances", "instance", p["InstanceId"])
            eni = st["enis"][inst["_enis"][0]]
        if a.get("AssociationId") and not p.get("AllowReassociation", True):
            raise AwsError("Resource.AlreadyAssociated", "resource %s is already associated" % a["AllocationId"])
        a.update(AssociationId=rand_id("eipassoc-", 17), NetworkInterfaceId=eni["NetworkInterfaceId"],
                 NetworkInterfaceOwnerId=ctx.account, PrivateIpAddress=eni["PrivateIpAddress"],
                 InstanceId=eni.get("Attachment", {}).get("InstanceId"))
        return {"AssociationId": a["AssociationId"]}

    def _address(self, st, p):
        if p.get("AllocationId"):
            return self._get(st, "addresses", "allocation", p["AllocationId"])
        for a in st["addresses"].values():
            if a["PublicIp"] == p.get("PublicIp"):
                return a
        raise AwsError("InvalidAddress.NotFound", "Address '%s' not found." % p.get("PublicIp"))

    def DisassociateAddress(self, ctx, p):
        st = ctx.state()
        for a in st["addresses"].values():
            if (p.get("AssociationId") and a.get("AssociationId") == p["AssociationId"]) or \
                    (p.get("PublicIp") and a["PublicIp"] == p["PublicIp"] and a.get("AssociationId")):
                for k in ("AssociationId", "NetworkInterfaceId", "NetworkInterfaceOwnerId", "PrivateIpAddress", "InstanceId"):
                    a.pop(k, None)
                return {}
        raise _nf("association", p.get("AssociationId") or p.get("PublicIp"))

    def ReleaseAddress(self, ctx, p):
        st = ctx.state()
        a = self._address(st, p)
        if a.get("AssociationId"):
            raise AwsError("InvalidIPAddress.InUse", "Address %s is in use." % a["PublicIp"])
        del st["addresses"][a["AllocationId"]]
        return {}

    def DescribeAddresses(self, ctx, p):
        st = ctx.state()
        out = []
        for a in st["addresses"].values():
            if p.get("AllocationIds") and a["AllocationId"] not in p["AllocationIds"]:
                continue
            if p.get("PublicIps") and a["PublicIp"] not in p["PublicIps"]:
                continue
            tags = st["tags"].get(a["AllocationId"], {})
            vals = {k: [a[v]] if a.get(v) else [] for k, v in (
                ("instance-id", "InstanceId"), ("network-interface-id", "NetworkInterfaceId"),
                ("allocation-id", "AllocationId"), ("association-id", "AssociationId"), ("public-ip", "PublicIp"))}
            vals["domain"] = ["vpc"]
            if _filters_match(p.get("Filters"), lambda n: vals.get(n, _tag_values(tags, n))):
                out.append(dict(a, Tags=self._tags(st, a["AllocationId"])))
        return {"Addresses": out}

    # ------------------------------------------------------------ IAM instance profile associations

    def _profile(self, ctx, spec):
        iam = ctx.state("iam")
        for ip in iam["instance_profiles"].values():
            if ip["Arn"] == spec.get("Arn") or ip["InstanceProfileName"] == spec.get("Name"):
                return ip
        raise AwsError("InvalidParameterValue", "Value (%s) for parameter iamInstanceProfile.%s is invalid. Invalid IAM Instance Profile %s" % (
            spec.get("Arn") or spec.get("Name"), "arn" if spec.get("Arn") else "name", "ARN" if spec.get("Arn") else "name"))

    def _association_for(self, st, iid):
        for a in st["profile_associations"].values():
            if a["InstanceId"] == iid and a["State"] == "associated":
                return a
        return None

    def _associate(self, ctx, st, iid, ip):
        aid = rand_id("iip-assoc-", 17)
        st["profile_associations"][aid] = {"AssociationId": aid, "InstanceId": iid, "State": "associated",
                                           "IamInstanceProfile": {"Arn": ip["Arn"], "Id": ip["InstanceProfileId"]},
                                           "Timestamp": now_iso()}
        return st["profile_associations"][aid]

    def AssociateIamInstanceProfile(self, ctx, p):
        need(p, "IamInstanceProfile", "InstanceId")
        st = ctx.state()
        self._get(st, "instances", "instance", p["InstanceId"])
        ip = self._profile(ctx, p["IamInstanceProfile"])
        if self._association_for(st, p["InstanceId"]):
            raise AwsError("IncorrectState", "There is an existing association for instance %s" % p["InstanceId"])
        return {"IamInstanceProfileAssociation": self._associate(ctx, st, p["InstanceId"], ip)}

    def _assoc(self, st, aid):
        a = st["profile_associations"].get(aid)
        if a is None or a["State"] != "associated":
            raise _nf("association", aid)
        return a

    def DisassociateIamInstanceProfile(self, ctx, p):
        a = self._assoc(ctx.state(), p.get("AssociationId"))
        a["State"] = "disassociated"
        return {"IamInstanceProfileAssociation": dict(a, State="disassociating")}

    def ReplaceIamInstanceProfileAssociation(self, ctx, p):
        st = ctx.state()
        a = self._assoc(st, p.get("AssociationId"))
        ip = self._profile(ctx, p.get("IamInstanceProfile") or {})
        a["State"] = "disassociated"
        return {"IamInstanceProfileAssociation": self._associate(ctx, st, a["InstanceId"], ip)}

    def DescribeIamInstanceProfileAssociations(self, ctx, p):
        st = ctx.state()
        out = []
        for a in st["profile_associations"].values():
            if p.get("AssociationIds") and a["AssociationId"] not in p["AssociationIds"]:
                continue
            vals = {"instance-id": [a["InstanceId"]], "state": [a["State"]]}
            if a["State"] == "associated" or p.get("AssociationIds") or p.get("Filters"):
                if _filters_match(p.get("Filters"), lambda n: vals.get(n)):
                    out.append(a)
        return {"IamInstanceProfileAssociations": out}

    # ------------------------------------------------------------ instance types

    def DescribeInstanceTypes(self, ctx, p):
        """A few types, enough for callers that ask whether a type has instance store."""
        types = p.get("InstanceTypes") or sorted(INSTANCE_TYPES)
        unknown = [t for t in types if t not in INSTANCE_TYPES]
        if unknown:
            raise AwsError("InvalidInstanceType", "The following supplied instance types do not exist: [%s]" %
                           ", ".join(unknown))
        out = []
        for t in types:
            vcpus, mem, store = INSTANCE_TYPES[t]
            it = {"InstanceType": t, "CurrentGeneration": True, "FreeTierEligible": t == "t3.micro",
                  "SupportedRootDeviceTypes": ["ebs"], "SupportedVirtualizationTypes": ["hvm"],
                  "Hypervisor": "nitro", "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]},
                  "VCpuInfo": {"DefaultVCpus": vcpus}, "MemoryInfo": {"SizeInMiB": mem},
                  "InstanceStorageSupported": store > 0, "EbsInfo": {"EbsOptimizedSupport": "default",
                                                                   "EncryptionSupport": "supported",
                                                                   "NvmeSupport": "required"}}
            if store:
                it["InstanceStorageInfo"] = {"TotalSizeInGB": store, "Disks": [
                    {"SizeInGB": store, "Count": 1, "Type": "ssd"}], "NvmeSupport": "required"}
            out.append(it)
        return {"InstanceTypes": out}


# type -> (vCPUs, MiB, instance store GB)
INSTANCE_TYPES = {"t3.micro": (2, 1024, 0), "t3.medium": (2, 4096, 0), "m5.large": (2, 8192, 0),
                  "m5d.large": (2, 8192, 75), "c5.xlarge": (4, 8192, 0), "c5d.xlarge": (4, 8192, 100)}
