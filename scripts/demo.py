#!/usr/bin/env python3
"""vpcrouter doing its job, narrated: make demo (or make sandbox, which keeps the lab up).

Usage: demo.py [--sandbox] [-- VPCROUTER OPTION ...]

moto plays EC2 on loopback with a VPC of two subnets in two AZs, three routers (network
namespaces owning 10.251.1.10, 10.251.2.20 and 10.251.1.30) and two route tables. The release
vpcrouter runs in configfile mode with icmpecho. The demo checks each step against moto's route
tables and exits 0 only if every step happened; otherwise it exits 1 naming the failed step.
Everything it made is removed at the end, also on Ctrl-C.
"""
import json
import os
import signal
import sys
import time

import vpclab
from vpclab import LabError, wait_until

FIRST_CIDR = "10.55.0.0/16"
ADDED_CIDR = "10.66.0.0/16"
DEFAULT_OPTIONS = ["--icmp_check_interval", "0.2", "--route_recheck_interval", "5"]


class StepFailed(Exception):
    def __init__(self, step, detail):
        super().__init__("%s: %s" % (step, detail))
        self.step = step


def say(text):
    print("[%6.2f s] %s" % (time.monotonic() - STARTED, text), flush=True)


STARTED = time.monotonic()


def write_spec(path, spec):
    # Atomic replace, as a configuration manager would do it; configfile follows renames.
    temporary = path + ".new"
    with open(temporary, "w") as file:
        json.dump(spec, file, indent=2)
    os.rename(temporary, path)


def build(lab, options):
    """moto, the VPC, the three routers, the spec file and the daemon. Returns (daemon, names, spec path)."""
    step = "start moto as EC2"
    say("starting moto (the EC2 API on loopback) and building the demo VPC")
    try:
        lab.start_moto()
        fixture = lab.build_vpc()
    except Exception as error:
        raise StepFailed(step, error)
    say("moto on %s: %s with subnets %s (us-east-1a) and %s (us-east-1b), route tables %s and %s"
        % (lab.moto_endpoint, fixture["vpcId"], fixture["subnetA"], fixture["subnetB"],
           fixture["routeTableA"], fixture["routeTableB"]))
    names = {fixture["eniA"]: ("A", fixture["addressA"]), fixture["eniB"]: ("B", fixture["addressB"]),
             fixture["eniC"]: ("C", fixture["addressC"])}
    try:
        for _, address in names.values():
            lab.routers.add(address)
    except LabError as error:
        raise StepFailed("create the router namespaces", error)
    say("routers A %s, B %s, C %s: network namespaces on veth pairs, answering ping"
        % (fixture["addressA"], fixture["addressB"], fixture["addressC"]))

    spec_path = os.path.join(lab.directory, "spec.json")
    write_spec(spec_path, {FIRST_CIDR: [fixture["addressA"], fixture["addressB"]]})
    daemon = lab.start_daemon(["-m", "configfile", "-f", spec_path, "-H", "icmpecho"] + DEFAULT_OPTIONS + options)
    say("vpcrouter started (pid %d), spec %s = %s; status page: %s"
        % (daemon.pid, FIRST_CIDR, [fixture["addressA"], fixture["addressB"]], daemon.url("/")))
    return daemon, names, spec_path


def carrier_of(lab, cidr, enis):
    """The one ENI both route tables point cidr at, if they agree and it is in enis."""
    tables = (lab.fixture["routeTableA"], lab.fixture["routeTableB"])
    targets = set(vpclab.route_targets(lab.ec2(), tables, cidr).values())
    if len(targets) == 1:
        (target,) = targets
        if target in enis:
            return target
    return None


def run_demo(lab, options):
    daemon, names, spec_path = build(lab, options)
    fixture = lab.fixture

    step = "routes created"
    first = wait_until(lambda: carrier_of(lab, FIRST_CIDR, {fixture["eniA"], fixture["eniB"]}) or not daemon.running(), 30)
    if not daemon.running():
        raise StepFailed(step, "vpcrouter exited with status %s:\n%s" % (daemon.process.returncode, daemon.output()[-3000:]))
    if not first:
        raise StepFailed(step, "no route to %s on router A or B in both tables within 30 s\n%s" % (FIRST_CIDR, daemon.output()[-3000:]))
    carrier, carrier_address = names[first]
    say("routes created: %s -> router %s (%s) in %s and %s (%.2f s after start)"
        % (FIRST_CIDR, carrier, first, fixture["routeTableA"], fixture["routeTableB"], time.monotonic() - daemon.started))

    step = "router killed, route moved"
    other = fixture["eniB"] if first == fixture["eniA"] else fixture["eniA"]
    killed = time.monotonic()
    lab.routers.kill(carrier_address)
    say("router %s (%s) killed: link down" % (carrier, carrier_address))
    moved = wait_until(lambda: carrier_of(lab, FIRST_CIDR, {other}), 30, 0.01)
    if not moved:
        raise StepFailed(step, "the route did not move to router %s within 30 s\n%s" % (names[other][0], daemon.output()[-3000:]))
    failover_ms = (time.monotonic() - killed) * 1000
    say("route moved to router %s in %d ms (router death to the route visible in both moto tables)"
        % (names[other][0], failover_ms))

    step = "spec file edited, route added"
    spec = {FIRST_CIDR: [fixture["addressA"], fixture["addressB"]], ADDED_CIDR: [fixture["addressC"]]}
    edited = time.monotonic()
    write_spec(spec_path, spec)
    say("spec file edited: %s -> [%s]" % (ADDED_CIDR, fixture["addressC"]))
    if not wait_until(lambda: carrier_of(lab, ADDED_CIDR, {fixture["eniC"]}), 30):
        raise StepFailed(step, "no route to %s on router C within 30 s\n%s" % (ADDED_CIDR, daemon.output()[-3000:]))
    say("route added: %s -> router C in both tables, %d ms after the edit" % (ADDED_CIDR, (time.monotonic() - edited) * 1000))

    step = "status pages"
    def shows_both(route_info):
        return all(cidr in route_info.get("routes", {}) for cidr in (FIRST_CIDR, ADDED_CIDR))
    try:
        # The status is updated once the daemon has seen its writes in a re-read.
        route_info = wait_until(lambda: (lambda info: shows_both(info) and info)(daemon.get_json("/route_info")), 10)
        ips = daemon.get_json("/ips")
    except (LabError, ValueError) as error:
        raise StepFailed(step, error)
    if not route_info:
        raise StepFailed(step, "/route_info does not show both routes")
    say("GET /ips: failed %s, questionable %s, checked %s"
        % (ips.get("failed_ips"), ips.get("questionable_ips"), ips.get("working_set")))
    say("GET /route_info (per CIDR):")
    for cidr, entry in sorted(route_info.get("cidrs", {}).items()):
        print("    %s -> %s (%s, %s) in %s; last action %s: %s"
              % (cidr, entry.get("router"), entry.get("eni"), entry.get("instance"), ", ".join(entry.get("tables", [])),
                 entry.get("last_action"), entry.get("reason")))
    metrics = daemon.metrics()
    if metrics.get("vpcrouter_failovers_total", 0) < 1:
        raise StepFailed(step, "/metrics shows no failover")
    say("GET /metrics (excerpt):")
    for key in sorted(metrics):
        if key.startswith(("vpcrouter_failovers_total", "vpcrouter_route_writes_total", "vpcrouter_reconciles_total",
                           "vpcrouter_failover_detection_to_visible_seconds_count",
                           "vpcrouter_failover_detection_to_visible_seconds_sum", "vpcrouter_routers")):
            print("    %s %g" % (key, metrics[key]))

    step = "clean stop"
    status = daemon.stop()
    if status != 0:
        raise StepFailed(step, "vpcrouter exited %s\n%s" % (status, daemon.output()[-2000:]))
    say("vpcrouter stopped cleanly (exit 0)")
    return failover_ms


def run_sandbox(lab, options):
    daemon, names, spec_path = build(lab, options)
    fixture = lab.fixture
    daemon.wait_ready()
    moto_cli = ("AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --region %s --endpoint-url %s"
                % (vpclab.REGION, lab.moto_endpoint))
    a, b, c = fixture["addressA"], fixture["addressB"], fixture["addressC"]
    print("""
The sandbox is up; Ctrl-C tears it down. Try:

  open %(url)s/ in a browser: the status page (routes per table, routers, recent decisions)
  curl %(url)s/vpc          # per table, per CIDR: state, router, last action, reason
  curl %(url)s/route_info   # spec, routes with router, instance and ENI
  curl %(url)s/ips          # failed, questionable and working routers
  curl %(url)s/metrics
  tail -f %(log)s

  # kill / revive router A (%(a)s), B (%(b)s), C (%(c)s): their link, inside their namespace
  %(kill_a)s
  %(revive_a)s
  %(kill_b)s
  %(revive_b)s
  %(kill_c)s
  %(revive_c)s

  # edit the spec (configfile follows edits, renames and re-creation)
  ${EDITOR:-vi} %(spec)s

  # the route tables as moto has them
  %(cli)s ec2 describe-route-tables --route-table-ids %(rtb_a)s %(rtb_b)s

  # the running daemon (pid %(pid)d), to stop it and run it by hand:
  kill %(pid)d
  %(command)s
""" % {"url": daemon.url(""), "log": daemon.log_path, "a": a, "b": b, "c": c, "spec": spec_path, "cli": moto_cli,
       "kill_a": lab.routers.kill_command(a), "revive_a": lab.routers.revive_command(a),
       "kill_b": lab.routers.kill_command(b), "revive_b": lab.routers.revive_command(b),
       "kill_c": lab.routers.kill_command(c), "revive_c": lab.routers.revive_command(c),
       "rtb_a": fixture["routeTableA"], "rtb_b": fixture["routeTableB"], "pid": daemon.pid,
       "command": daemon.command_line()}, flush=True)
    while True:
        signal.pause()


def main():
    arguments = sys.argv[1:]
    sandbox = "--sandbox" in arguments
    options = [argument for argument in arguments if argument not in ("--sandbox", "--")]
    try:
        with vpclab.Lab() as lab:
            if sandbox:
                run_sandbox(lab, options)
            failover_ms = run_demo(lab, options)
        say("demo passed: every step happened; failover took %d ms; everything it made is removed" % failover_ms)
        return 0
    except StepFailed as failure:
        print("demo FAILED at step \"%s\": %s" % (failure.step, failure), file=sys.stderr)
        return 1
    except LabError as error:
        print("demo FAILED: %s" % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; everything the demo made is removed", file=sys.stderr)
        return 0 if sandbox else 130


if __name__ == "__main__":
    sys.exit(main())
