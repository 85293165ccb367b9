"""What the SSM agent on a simulated instance answers to Run Command: a small, explicit emulator.

NOTHING IS EXECUTED ON THE HOST. A script (the document's "commands", joined by newlines as the
agent writes _script.sh / _script.ps1) is read line by line against a table of known commands with
canned, realistic outputs; an unknown line succeeds and prints nothing. Two things are recognised
beyond single lines:

  * the memory capture script of runbooks/ec2-forensic-capture.yaml (its first line is
    CAPTURE_MARKER): its values (tool, src, dst) are read from the script and its checks are
    replayed against the simulator's S3: SRC/SHA256SUMS and the tool must exist, the tool must be
    listed there with the SHA-256 of its body; then a small deterministic "image" (a LiME header
    and filler, a few KiB) and its .sha256 are written to DST, and the script's last line is
    printed. A failed check prints the script's own "irx: ..." message on stderr, exit code 1.
  * a failure marker: a line containing "#awssim-fail" (or "#awssim-fail=N") ends the script
    there with exit code N (default 1) and "awssim: simulated failure (exit N)" on stderr. It is
    a shell and PowerShell comment, so a script carrying it does no harm on a real host.

Platforms: aws:runShellScript runs on Linux only, aws:runPowerShellScript on Windows only (no
pwsh on the simulated Linux images); the other way round the invocation fails (exit 1) with an
awssim message. The Linux images have bash; Amazon Linux has the AWS CLI, Ubuntu does not.
The instance's IAM permissions for S3 are not checked.
"""
import datetime
import hashlib
import re

CAPTURE_MARKER = "# irx ec2-forensic-capture: memory to S3"
FAIL_MARKER = re.compile(r"#awssim-fail(?:=(\d{1,3}))?")

# uname -r by image name prefix; the first match wins (seeded images: by architecture)
KERNELS = [("al2023-ami-", "arm64", "6.1.115-126.197.amzn2023.aarch64"),
           ("al2023-ami-", "x86_64", "6.1.115-126.197.amzn2023.x86_64"),
           ("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64", "x86_64", "6.8.0-1018-aws"),
           ("", "arm64", "6.1.115-126.197.amzn2023.aarch64"),
           ("", "x86_64", "6.1.115-126.197.amzn2023.x86_64")]


class Host:
    """The facts about one instance the emulator answers from."""

    def __init__(self, instance_id, private_ip, platform, image_name, arch):
        self.instance_id = instance_id
        self.private_ip = private_ip
        self.windows = platform == "Windows"
        self.ubuntu = "ubuntu" in image_name.lower()
        self.arch = "arm64" if arch == "arm64" else "x86_64"
        self.kernel = next(k for prefix, a, k in KERNELS if image_name.startswith(prefix) and a == self.arch)
        self.has_aws_cli = not self.windows and not self.ubuntu
        octets = private_ip.split(".")
        self.hostname = ("EC2AMAZ-%s" % hashlib.sha256(instance_id.encode()).hexdigest()[:7].upper()
                         if self.windows else "ip-%s.ec2.internal" % "-".join(octets))


class Result:
    def __init__(self):
        self.code = 0
        self.stdout = ""
        self.stderr = ""
        self.puts = []          # (bucket, key, bytes) to write to S3 when the invocation ends


def _workdir(host, command_id, plugin):
    if host.windows:
        return "C:\\ProgramData\\Amazon\\SSM\\InstanceData\\%s\\document\\orchestration\\%s\\%s\\0.%s" % (
            host.instance_id, command_id, plugin, plugin)
    return "/var/lib/amazon/ssm/%s/document/orchestration/%s/%s/0.%s" % (host.instance_id, command_id, plugin, plugin)


def _echo(arg):
    arg = arg.strip()
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"":
        return arg[1:-1]
    return arg


def _linux_line(host, line, when, command_id, script):
    arch = "aarch64" if host.arch == "arm64" else "x86_64"
    known = {
        "uname -r": host.kernel,
        "uname -m": arch,
        "uname -a": "Linux %s %s #1 SMP PREEMPT_DYNAMIC Tue Nov  5 00:30:16 UTC 2024 %s %s %s GNU/Linux" % (
            host.hostname, host.kernel, arch, arch, arch),
        "id": "uid=0(root) gid=0(root) groups=0(root)",
        "whoami": "root",
        "hostname": host.hostname,
        "pwd": _workdir(host, command_id, "awsrunShellScript"),
        "ls": "_script.sh",
        "date": when.strftime("%a %b %e %H:%M:%S UTC %Y"),
    }
    if line in known:
        return known[line] + "\n"
    if line.startswith("echo "):
        return _echo(line[5:]) + "\n"
    return ""


def _powershell_line(host, line, when, command_id, script):
    low = line.lower()
    if low in ("ls", "dir", "get-childitem", "gci"):
        return ("\n\n    Directory: %s\n\n\nMode                 LastWriteTime         Length Name\n"
                "----                 -------------         ------ ----\n"
                "-a----        %s %8s             %d _script.ps1\n\n\n") % (
                    _workdir(host, command_id, "awsrunPowerShellScript"),
                    when.strftime("%m/%d/%Y"), when.strftime("%-I:%M %p"), len(script.encode()))
    if low in ("date", "get-date"):
        return "\n%s\n\n\n" % when.strftime("%A, %B %-d, %Y %-I:%M:%S %p")
    if low == "whoami":
        return "nt authority\\system\n"
    if low == "hostname":
        return host.hostname + "\n"
    for verb in ("write-output ", "echo "):
        if low.startswith(verb):
            return _echo(line[len(verb):]) + "\n"
    return ""


def _s3_split(url):
    rest = url[len("s3://"):]
    bucket, _, key = rest.partition("/")
    return bucket, key


def _capture(host, script, s3, res):
    """The irx memory capture, replayed: its checks, in its order, with its messages."""
    def value(name):
        m = re.search(r"^\s*%s='([^']*)'\s*$" % name, script, re.M)
        return m.group(1) if m else ""

    def die(msg, aws_error=None):
        if aws_error:
            res.stderr += aws_error + "\n"
        res.stderr += "irx: %s\n" % msg
        res.code = 1

    tool, src, dst = value("tool"), value("src").rstrip("/"), value("dst")
    if not host.has_aws_cli:
        return die("no AWS CLI on the instance: cannot fetch the capture tool (nothing was installed)")
    name = "lime-%s.ko" % host.kernel if tool == "lime" else "avml"
    sums = s3.get(*_s3_split(src + "/SHA256SUMS"))
    if sums is None:
        return die("cannot read %s/SHA256SUMS" % src,
                   "fatal error: An error occurred (404) when calling the HeadObject operation: Not Found")
    body = s3.get(*_s3_split(src + "/" + name))
    if body is None:
        return die("no prebuilt %s at %s/: build it offline for kernel %s (never compile on the suspect host)"
                   % (name, src, host.kernel),
                   "fatal error: An error occurred (404) when calling the HeadObject operation: Not Found")
    listed = [ln.split() for ln in sums.decode("latin-1").splitlines()]
    expected = [f[0] for f in listed if len(f) == 2 and f[1] in (name, "*" + name)]
    if not expected:
        return die("%s is not listed in %s/SHA256SUMS: refusing to run it" % (name, src))
    if any(e.lower() != hashlib.sha256(body).hexdigest() for e in expected):
        res.stderr += "sha256sum: WARNING: 1 computed checksum did NOT match\n"
        return die("%s does not match its SHA-256 in %s/SHA256SUMS: refusing to run it" % (name, src))
    bucket, key = _s3_split(dst)
    if not s3.bucket_exists(bucket):
        res.stderr += ("upload failed: - to %s An error occurred (NoSuchBucket) when calling the PutObject "
                       "operation: The specified bucket does not exist\n" % dst)
        res.code = 1
        return
    seed = hashlib.sha256(("awssim memory of %s" % host.instance_id).encode()).digest()
    image = b"EMiL" + b"\x01\x00\x00\x00" + b"".join(
        hashlib.sha256(seed + bytes([i])).digest() for i in range(128))
    digest = hashlib.sha256(image).hexdigest()
    res.puts.append((bucket, key, image))
    res.puts.append((bucket, key + ".sha256", ("%s  %s\n" % (digest, key.rsplit("/", 1)[-1])).encode()))
    res.stdout += "memory image %s sha256 %s (tool %s, kernel %s)\n" % (dst, digest, name, host.kernel)


def run(host, plugin, commands, command_id, when, s3):
    """One invocation: plugin "aws:runShellScript" or "aws:runPowerShellScript", commands the
    document's list. s3: get(bucket, key) -> bytes or None, bucket_exists(bucket). A Result."""
    res = Result()
    if plugin == "aws:runShellScript" and host.windows:
        res.code = 1
        res.stderr = "awssim: aws:runShellScript does not run on Windows instances (use AWS-RunPowerShellScript)\n"
        return res
    if plugin == "aws:runPowerShellScript" and not host.windows:
        res.code = 1
        res.stderr = "awssim: aws:runPowerShellScript needs PowerShell (pwsh), which this Linux image lacks\n"
        return res
    script = "\n".join(commands)
    if not host.windows and script.lstrip().startswith(CAPTURE_MARKER):
        _capture(host, script, s3, res)
        return res
    for raw in script.splitlines():
        m = FAIL_MARKER.search(raw)
        if m:
            res.code = int(m.group(1) or 1)
            res.stderr += "awssim: simulated failure (exit %d)\n" % res.code
            return res
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        res.stdout += (_powershell_line if host.windows else _linux_line)(host, line, when, command_id, script)
    return res


def utc(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
