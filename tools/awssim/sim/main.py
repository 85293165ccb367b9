"""Command line: start the simulator, announce the port, stop on SIGTERM."""
import argparse
import json
import os
import signal
import sys
import threading

from .models import Models
from .seed import apply
from .server import Simulator, serve
from .services import all_services
from .world import World


def build(state=None, latency_ms=0):
    sim = Simulator(Models(), World(all_services()), latency_ms)
    apply(sim, state or {}, initial=True)
    return sim


def main(argv):
    ap = argparse.ArgumentParser(prog="awssim", description="local AWS simulator for irx")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--state-file")
    ap.add_argument("--latency-ms", type=int, default=0)
    a = ap.parse_args(argv)
    state = None
    if a.state_file:
        try:
            with open(a.state_file, encoding="utf-8") as f:
                state = json.load(f)
        except (OSError, ValueError) as e:
            print("awssim: cannot read state file '%s': %s" % (a.state_file, e), file=sys.stderr)
            return 2
    sim = build(state, a.latency_ms)
    httpd = serve(sim, a.port)
    port = httpd.server_address[1]
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    print(port, flush=True)
    httpd.serve_forever(poll_interval=0.2)
    httpd.server_close()
    return 0
