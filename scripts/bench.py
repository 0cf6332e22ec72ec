#!/usr/bin/env python3
"""Runs every vpcrouter benchmark and writes bench/results.json and bench/results.md (make bench).

Usage: bench.py [--only NAME[,NAME...]] [--trials N] [--routes N,N,...] [--output DIR] [--build DIR]

Benchmarks (each prints what it measured as it goes):
  plan        PlanBenchmark: plan() for 1,000 CIDRs x 200 tables, 1,000 routers
  ec2         EC2Bench: 100 route writes through the EC2-rate fault proxy; calls per VPC read
  health      HealthBench: icmpecho CPU per probe at 10,000 targets (and fping's), tcp at 5,000
  failover    router death -> route visible in moto, p50/p99, default and fast health settings,
              and an IPv6 route (routers named by their ENIs' IPv6 addresses, ICMPv6) at the fast ones
  lossy       route moves per minute with 5 % of probes lost at random on both routers (fall 3, 0.2 s)
  nroutes     N-route failover (N = 10, 100, 500) through the proxy emulating EC2's write bucket
  prefixlists --prefix-lists: 500 CIDRs in 1 and in 10 groups x 3 tables, death -> all moved, through
              the same proxy (--per-route also measures the same spec one route per CIDR and table)
  steady      EC2 calls and writes per steady-state recheck, counted at the proxy; the idle daemon's
              memory, and DependencyFloor's: the design's libraries and packages, no vpcrouter code
  memory      VmRSS/VmHWM of the daemon at 1,000 routes and 1,000 routers
  startup     process start -> first completed reconcile
  leader      LeaderBench: leader SIGKILLed -> first write by the other replica (etcd lease, TTL 5 s),
              and the route writes made by a non-leader (must be 0)

With --only, the figures not re-measured are kept from the existing results.json (each benchmark's
date is in its "measured" entry).

The daemon is the release build; EC2 is moto on loopback; routers are network namespaces made by
scripts/vpclab.py (the demo's environment). Run as root after `swift build -c release`.
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import select
import subprocess
import sys
import time

import vpclab
from vpclab import LabError, percentile, wait_until

CIDR = "10.55.0.0/16"
CIDR_V6 = "2600:1f18::/56"
EC2_WRITE_BUCKET = {"throttle": {"mutating": {"burst": 50, "rate": 5}, "describe": {"burst": 100, "rate": 20}}}
# The original vpc-router at best: one 2 s health round, then its 1 s main-loop tick.
ORIGINAL_BEST_FAILOVER_S = 3.0


def log(text):
    print("bench: " + text, flush=True)


# ---- the Swift benchmark executables --------------------------------------------------------

def run_swift_benchmark(name, arguments=()):
    """Runs .build/release/NAME, echoes its output, returns its `BENCH {json}` line as a dict."""
    log("running %s %s" % (name, " ".join(arguments)))
    process = subprocess.Popen([os.path.join(vpclab.RELEASE, name)] + list(arguments), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=vpclab.ROOT)
    summary = None
    for line in process.stdout:
        print("  " + line.rstrip(), flush=True)
        if line.startswith("BENCH "):
            summary = json.loads(line[len("BENCH "):])
    if process.wait() != 0 or summary is None:
        raise LabError("%s failed (exit %s) or printed no BENCH line" % (name, process.returncode))
    return summary


def bench_plan():
    return run_swift_benchmark("PlanBenchmark")


def bench_ec2():
    return run_swift_benchmark("EC2Bench")


def bench_health():
    return run_swift_benchmark("HealthBench", ["bench"])


def bench_leader():
    return run_swift_benchmark("LeaderBench", ["--ttl", "5", "--runs", "3"])


# ---- failover latency ------------------------------------------------------------------------

def both_tables_on(lab, enis, cidr=CIDR):
    tables = (lab.fixture["routeTableA"], lab.fixture["routeTableB"])
    targets = set(vpclab.route_targets(lab.ec2(), tables, cidr).values())
    return len(targets) == 1 and next(iter(targets)) in enis and next(iter(targets))


def eligible(daemon, address):
    ips = daemon.get_json("/ips")
    return address not in ips.get("failed_ips", []) and address not in ips.get("questionable_ips", [])


def failover_trials(interval, fall, trials, extra_options=(), ipv6=False):
    """Kills the carrying router `trials` times (alternating A and B, one daemon) and times how long
    the route takes to show the other router in both moto tables. With `ipv6`, the route is an
    IPv6 CIDR whose routers are named by their ENIs' IPv6 addresses (probed with ICMPv6)."""
    cidr = CIDR_V6 if ipv6 else CIDR
    with vpclab.Lab() as lab:
        lab.start_moto()
        fixture = lab.build_vpc()
        suffix = "6" if ipv6 else ""
        routers = {fixture["eniA"]: fixture["addressA" + suffix], fixture["eniB"]: fixture["addressB" + suffix]}
        for eni, name in ((fixture["eniA"], "A"), (fixture["eniB"], "B")):
            lab.routers.add(fixture["address" + name], fixture["address%s6" % name])
        # Hold-down only decides when a revived router may carry routes again, not how fast a dead
        # one is detected; 2 rounds keeps the trials short. fixedconf takes IPv4 CIDRs only (an ABI
        # 1.0 CIDR option): the IPv6 route comes from a spec file.
        if ipv6:
            spec = os.path.join(lab.directory, "spec.json")
            with open(spec, "w") as file:
                json.dump({cidr: list(routers.values())}, file)
            mode = ["-m", "configfile", "-f", spec]
        else:
            mode = ["-m", "fixedconf", "--fixed_cidr", cidr, "--fixed_hosts", "%s:%s" % tuple(routers.values())]
        options = mode + [
                   "-H", "icmpecho", "--icmp_check_interval", str(interval), "--health-fall", str(fall),
                   "--health-hold-down", str(2 * interval)] + list(extra_options)
        daemon = lab.start_daemon(options)
        carrier = wait_until(lambda: both_tables_on(lab, set(routers), cidr), 60)
        if not carrier:
            raise LabError("routes were not created:\n" + daemon.output()[-3000:])
        samples, logs, send_ms = [], [], []
        for trial in range(trials):
            other = next(eni for eni in routers if eni != carrier)
            if not wait_until(lambda: eligible(daemon, routers[other]), 60, 0.05):
                raise LabError("router %s did not become eligible again" % routers[other])
            # Die at a random point of the probe cycle, not in step with it.
            time.sleep(random.uniform(0, interval))
            log_start = len(daemon.output())
            killed = time.monotonic()
            lab.routers.kill(routers[carrier])
            if not wait_until(lambda: both_tables_on(lab, {other}, cidr), 60, 0.01):
                raise LabError("trial %d: the route did not move:\n%s" % (trial, daemon.output()[-3000:]))
            samples.append(time.monotonic() - killed)
            # The daemon's own measure of the first move: health change -> write sent to EC2.
            wait_until(lambda: "failover written" in daemon.output()[log_start:], 10, 0.05)
            logs.append(daemon.output()[log_start:])
            sends = re.findall(r"latency\.detection_to_send_ms=(\d+)", logs[-1])
            if sends:
                send_ms.append(int(sends[0]))
            lab.routers.revive(routers[carrier])
            print("  trial %2d: %s -> %s in %.3f s" % (trial + 1, routers[carrier], routers[other], samples[-1]), flush=True)
            carrier = other
        slowest = max(range(trials), key=lambda index: samples[index])
        print("  the daemon's log during the slowest trial (%d, %.3f s):" % (slowest + 1, samples[slowest]))
        for line in logs[slowest].splitlines()[:80]:
            print("    " + line)
        figures = {"interval_s": interval, "fall": fall, "trials": trials, "samples_s": samples, "cidr": cidr,
                   "p50_s": percentile(samples, 0.5), "p99_s": percentile(samples, 0.99), "max_s": max(samples)}
        if send_ms:
            figures.update(send_ms=send_ms, send_p50_ms=percentile(send_ms, 0.5), send_p99_ms=percentile(send_ms, 0.99))
        return figures


def bench_failover(trials, settings=("default", "fast", "fast-ipv6")):
    results = {}
    for name, interval, fall in (("default", 2.0, 1), ("fast", 0.2, 3), ("fast-ipv6", 0.2, 3)):
        if name not in settings:
            continue
        log("failover latency, %s settings (--icmp_check_interval %g --health-fall %d), %d trials" % (name, interval, fall, trials))
        results[name] = failover_trials(interval, fall, trials, ipv6=name.endswith("ipv6"))
        log("failover %s: p50 %.3f s, p99 %.3f s" % (name, results[name]["p50_s"], results[name]["p99_s"]))
    return results


# ---- lossy links ------------------------------------------------------------------------------

def bench_lossy(minutes=2.0, percent=5, interval=0.2, fall=3):
    """Both routers lose `percent` % of probes at random; counts the route's moves (a replace in
    each table is one move) over `minutes`. With fall 3 a move needs three lost probes in a row."""
    with vpclab.Lab() as lab:
        lab.start_moto()
        fixture = lab.build_vpc()
        routers = {fixture["eniA"]: fixture["addressA"], fixture["eniB"]: fixture["addressB"]}
        for address in routers.values():
            lab.routers.add(address)
        options = ["-m", "fixedconf", "--fixed_cidr", CIDR, "--fixed_hosts", "%s:%s" % tuple(routers.values()),
                   "-H", "icmpecho", "--icmp_check_interval", str(interval), "--health-fall", str(fall)]
        daemon = lab.start_daemon(options)
        if not wait_until(lambda: both_tables_on(lab, set(routers)), 60):
            raise LabError("routes were not created:\n" + daemon.output()[-3000:])
        for address in routers.values():
            lab.routers.lose(address, percent)
        log_start = len(daemon.output())
        log("lossy links: %d %% loss on both routers, --icmp_check_interval %g --health-fall %d, %.1f minutes"
            % (percent, interval, fall, minutes))
        time.sleep(minutes * 60)
        during = daemon.output()[log_start:]
        replaces = len(re.findall(r"NOTICE vpcrouter: replace ", during))
        suspect = len(re.findall(r"health\.to=suspect", during))
        failed = len(re.findall(r"health\.to=failed", during))
        moves = replaces / 2.0
        log("lossy links: %d moves (%d replace writes), %d suspect and %d failed transitions" % (moves, replaces, suspect, failed))
        if daemon.stop() != 0:
            raise LabError("the daemon did not stop cleanly")
        return {"percent": percent, "interval_s": interval, "fall": fall, "minutes": minutes, "moves": moves,
                "moves_per_minute": moves / minutes, "suspect_transitions": suspect, "failed_transitions": failed}


# ---- N-route failover through the EC2-rate proxy ----------------------------------------------

def n_route_cidrs(count):
    return ["172.%d.%d.0/24" % (16 + index // 256, index % 256) for index in range(count)]


def table_targets(ec2, table):
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    return {route["DestinationCidrBlock"]: route.get("NetworkInterfaceId") for route in routes if "DestinationCidrBlock" in route}


def bench_n_routes(counts=(10, 100, 500)):
    """N routes on router A fail over to router C when A dies; the daemon writes through the fault
    proxy holding EC2's mutating bucket (50 burst, 5/s), so N > 50 cannot take less than (N-50)/5 s."""
    results = {}
    with vpclab.Lab() as lab:
        lab.start_moto()
        fixture = lab.build_vpc()
        proxy = lab.start_fault_proxy(lab.moto_endpoint)
        ec2 = lab.ec2()
        a, c = fixture["addressA"], fixture["addressC"]
        lab.routers.add(a)
        lab.routers.add(c)
        table = fixture["routeTableA"]
        previous = []
        for count in counts:
            log("N-route failover, N = %d" % count)
            lab.routers.revive(a)
            for cidr in previous:
                ec2.delete_route(RouteTableId=table, DestinationCidrBlock=cidr)
            cidrs = n_route_cidrs(count)
            # The routes exist on A before the daemon starts, as after a long quiet period: the
            # daemon adopts them without writing, and its write bucket is full when A dies.
            for cidr in cidrs:
                ec2.create_route(RouteTableId=table, DestinationCidrBlock=cidr, NetworkInterfaceId=fixture["eniA"])
            spec_path = os.path.join(lab.directory, "spec-%d.json" % count)
            with open(spec_path, "w") as file:
                json.dump({cidr: [a, c] for cidr in cidrs}, file)
            daemon = lab.start_daemon(["-m", "configfile", "-f", spec_path, "--route-table", table, "-H", "icmpecho",
                                       "--icmp_check_interval", "0.2", "--health-fall", "3"], ec2_endpoint=proxy,
                                      name="vpcrouter-n%d" % count)
            if not wait_until(lambda: daemon.completed_reconciles() >= 1, 60, 0.05):
                raise LabError("no reconcile:\n" + daemon.output()[-3000:])
            vpclab.http_post(proxy + "/__fault", EC2_WRITE_BUCKET)  # full buckets
            vpclab.http_post(proxy + "/__stats/reset", {})
            time.sleep(random.uniform(0, 0.2))
            killed = time.monotonic()
            lab.routers.kill(a)
            done = wait_until(lambda: all(target == fixture["eniC"] for cidr, target in table_targets(ec2, table).items()
                                          if cidr in set(cidrs)), 300, 0.05)
            elapsed = time.monotonic() - killed
            if not done:
                raise LabError("N = %d: routes did not all move within 300 s:\n%s" % (count, daemon.output()[-3000:]))
            stats = json.loads(vpclab.http_get(proxy + "/__stats")[1])
            mutating = stats.get("categories", {}).get("mutating", {})
            limit = max(0.0, (count - 50) / 5.0)
            results[str(count)] = {
                "routes": count, "seconds": elapsed, "physical_limit_s": limit,
                "ratio_to_limit": elapsed / limit if limit else None,
                "writes_forwarded": mutating.get("forwarded", 0), "writes_throttled": mutating.get("throttled", 0),
            }
            log("N = %d: %.2f s (limit %.1f s), %d writes, %d throttled by the proxy"
                % (count, elapsed, limit, mutating.get("forwarded", 0), mutating.get("throttled", 0)))
            if daemon.stop() != 0:
                raise LabError("the daemon did not stop cleanly")
            previous = cidrs
    return results


def list_route_targets(ec2, tables):
    """Per table, {prefix list id: ENI} of its routes to prefix lists."""
    found = {}
    for table in ec2.describe_route_tables(RouteTableIds=tables)["RouteTables"]:
        found[table["RouteTableId"]] = {route["DestinationPrefixListId"]: route.get("NetworkInterfaceId")
                                        for route in table["Routes"] if "DestinationPrefixListId" in route}
    return found


def bench_prefix_lists(count=500, group_counts=(1, 10), per_route=False):
    """--prefix-lists: COUNT CIDRs in G groups (routers in order of preference, A first, so every
    group starts on A) in all three tables; A dies; the time until every table's route to every list
    points at C, through the fault proxy holding EC2's write bucket (full when A dies). Groups differ
    by a third router listed after A and C that is not in the VPC (so never chosen). The per-route
    figure for the same spec is COUNT x 3 writes through the same bucket: measured with per_route,
    else its physical limit, (3 x COUNT - 50) / 5 s."""
    results = {}
    with vpclab.Lab() as lab:
        lab.start_moto(completing_prefix_list_routes=True)
        fixture = lab.build_vpc()
        proxy = lab.start_fault_proxy(lab.moto_endpoint)
        ec2 = lab.ec2()
        a, c = fixture["addressA"], fixture["addressC"]
        lab.routers.add(a)
        lab.routers.add(c)
        tables = [fixture["routeTableA"], fixture["routeTableB"], fixture["mainRouteTable"]]
        cidrs = n_route_cidrs(count)
        runs = [(groups, True) for groups in group_counts] + ([(group_counts[0], False)] if per_route else [])
        for groups, lists in runs:
            name = "%d-%s" % (groups, "lists" if lists else "per-route")
            log("prefix lists: %d CIDRs in %d group%s x %d tables, %s" % (count, groups, "" if groups == 1 else "s", len(tables),
                                                                        "--prefix-lists" if lists else "one route per CIDR and table"))
            vpclab.http_post(proxy + "/__fault", {})  # no throttling while the daemon sets up
            lab.routers.revive(a)
            spec = {}
            for index, cidr in enumerate(cidrs):
                group = index % groups
                spec[cidr] = {"routers": [a, c] + ([vpclab.address("9.%d" % (group + 1))] if groups > 1 else []), "order": "preference"}
            spec_path = os.path.join(lab.directory, "spec-%s.json" % name)
            with open(spec_path, "w") as file:
                json.dump(spec, file)
            arguments = ["-m", "configfile", "-f", spec_path, "-H", "icmpecho", "--icmp_check_interval", "0.2", "--health-fall", "3",
                         "--route_recheck_interval", "5", "--route-table-quota", "1000"]
            for table in tables:
                arguments += ["--route-table", table]
            if lists:
                arguments.append("--prefix-lists")
            daemon = lab.start_daemon(arguments, ec2_endpoint=proxy, name="vpcrouter-pl-%s" % name)

            def carriers():
                """The ENIs carrying the spec: the lists' routes, or the per-CIDR routes (None until all are there)."""
                if lists:
                    targets = list_route_targets(ec2, tables)
                    if any(len(routes) != groups for routes in targets.values()) \
                            or any(r in spec for table in tables for r in table_targets(ec2, table)):
                        return None
                    return {eni for routes in targets.values() for eni in routes.values()}
                enis = set()
                for table in tables:
                    routes = {r: eni for r, eni in table_targets(ec2, table).items() if r in spec}
                    if len(routes) != count:
                        return None
                    enis |= set(routes.values())
                return enis
            # Every group starts on A, unless A missed a probe while the daemon set up: then on C.
            if not wait_until(lambda: (carriers() or set()) in ({fixture["eniA"]}, {fixture["eniC"]}), 300, 0.5):
                raise LabError("%s: did not settle:\n%s" % (name, daemon.output()[-3000:]))
            carrier = carriers().pop()
            dead, survivor = (a, fixture["eniC"]) if carrier == fixture["eniA"] else (c, fixture["eniA"])
            time.sleep(1.0)
            vpclab.http_post(proxy + "/__fault", EC2_WRITE_BUCKET)  # full buckets
            vpclab.http_post(proxy + "/__stats/reset", {})
            time.sleep(random.uniform(0, 0.2))
            killed = time.monotonic()
            lab.routers.kill(dead)

            def moved():
                if lists:
                    return all(all(eni == survivor for eni in routes.values()) for routes in list_route_targets(ec2, tables).values())
                return all(all(eni == survivor for r, eni in table_targets(ec2, table).items() if r in spec) for table in tables)
            done = wait_until(moved, 600, 0.02)
            elapsed = time.monotonic() - killed
            if not done:
                raise LabError("%s: routes did not all move within 600 s:\n%s" % (name, daemon.output()[-3000:]))
            stats = json.loads(vpclab.http_get(proxy + "/__stats")[1])
            mutating = stats.get("categories", {}).get("mutating", {})
            per_route_limit = max(0.0, (count * len(tables) - 50) / 5.0)
            results[name] = {
                "cidrs": count, "groups": groups, "tables": len(tables), "prefix_lists": lists, "seconds": elapsed,
                "writes_forwarded": mutating.get("forwarded", 0), "writes_throttled": mutating.get("throttled", 0),
                "per_route_physical_limit_s": per_route_limit,
            }
            log("%s: %.2f s, %d writes, %d throttled (one route per CIDR and table: physical limit %.0f s)"
                % (name, elapsed, mutating.get("forwarded", 0), mutating.get("throttled", 0), per_route_limit))
            if daemon.stop() != 0:
                raise LabError("the daemon did not stop cleanly")
            # The next run starts from clean tables.
            lab.routers.revive(dead)
            for table in tables:
                for destination, _ in table_targets(ec2, table).items():
                    if destination in spec:
                        ec2.delete_route(RouteTableId=table, DestinationCidrBlock=destination)
                for list_id in list_route_targets(ec2, [table])[table]:
                    ec2.delete_route(RouteTableId=table, DestinationPrefixListId=list_id)
            for listed in ec2.describe_managed_prefix_lists(Filters=[{"Name": "tag:vpcrouter:vpc", "Values": [fixture["vpcId"]]}])["PrefixLists"]:
                if not listed["State"].startswith("delete"):
                    ec2.delete_managed_prefix_list(PrefixListId=listed["PrefixListId"])
    return results


# ---- steady state, start-up, idle memory -------------------------------------------------------

def bench_steady_and_startup(start_trials=5, rechecks=3):
    results = {}
    with vpclab.Lab() as lab:
        lab.start_moto()
        fixture = lab.build_vpc()
        proxy = lab.start_fault_proxy(lab.moto_endpoint)
        lab.routers.add(fixture["addressA"])
        lab.routers.add(fixture["addressB"])
        options = ["-m", "fixedconf", "--fixed_cidr", CIDR, "--fixed_hosts", "%s:%s" % (fixture["addressA"], fixture["addressB"]),
                   "-H", "icmpecho", "--route_recheck_interval", "5"]
        daemon = lab.start_daemon(options, ec2_endpoint=proxy)
        if not wait_until(lambda: both_tables_on(lab, {fixture["eniA"], fixture["eniB"]}), 60):
            raise LabError("routes were not created:\n" + daemon.output()[-3000:])
        # Let the pass that wrote finish its re-reads, then count only periodic rechecks.
        wait_until(lambda: daemon.completed_reconciles() >= 1, 30)
        time.sleep(1)
        log("steady state: counting EC2 calls at the proxy over %d rechecks (--route_recheck_interval 5)" % rechecks)
        before = daemon.metrics().get("vpcrouter_reconciles_total", 0)
        vpclab.http_post(proxy + "/__stats/reset", {})
        time.sleep(5 * rechecks + 1)
        stats = json.loads(vpclab.http_get(proxy + "/__stats")[1])
        passes = daemon.metrics().get("vpcrouter_reconciles_total", 0) - before
        if passes < 1:
            raise LabError("no recheck happened in %d s" % (5 * rechecks + 1))
        categories = stats.get("categories", {})
        results["steady"] = {
            "rechecks": int(passes), "calls": stats.get("total", 0),
            "calls_per_recheck": stats.get("total", 0) / passes,
            "writes": categories.get("mutating", {}).get("count", 0),
            "actions": {name: entry["count"] for name, entry in stats.get("actions", {}).items()},
        }
        log("steady state: %d calls over %d rechecks (%s), %d writes"
            % (results["steady"]["calls"], passes, results["steady"]["actions"], results["steady"]["writes"]))
        memory = daemon.memory_kb()
        results["idle_memory_kib"] = memory
        log("idle daemon (1 route, 2 routers, 2 tables): VmRSS %d KiB, VmHWM %d KiB, RssAnon %d KiB, RssFile %d KiB"
            % (memory["VmRSS"], memory["VmHWM"], memory["RssAnon"], memory["RssFile"]))
        memory["largest_mapped_files_kib"] = daemon.largest_mapped_files()
        log("largest mapped files (KiB resident): %s" % memory["largest_mapped_files_kib"])
        daemon.stop()
        floor = dependency_floor_memory()
        if floor:
            results["floor_memory_kib"] = floor
            log("DependencyFloor (the design's dependencies, no vpcrouter code), idle: VmRSS %d KiB, RssAnon %d KiB, RssFile %d KiB"
                % (floor["VmRSS"], floor["RssAnon"], floor["RssFile"]))

        log("start -> first completed reconcile, %d starts (routes already in place, icmpecho at 2 s)" % start_trials)
        samples = []
        for trial in range(start_trials):
            daemon = lab.start_daemon(options, name="vpcrouter-start%d" % trial)
            if not wait_until(lambda: daemon.completed_reconciles() >= 1 or not daemon.running(), 60, 0.005) or not daemon.running():
                raise LabError("no completed reconcile:\n" + daemon.output()[-3000:])
            samples.append(time.monotonic() - daemon.started)
            print("  start %d: %.3f s" % (trial + 1, samples[-1]), flush=True)
            daemon.stop()
        results["startup"] = {"samples_s": samples, "median_s": percentile(samples, 0.5), "max_s": max(samples)}
    return results


def dependency_floor_memory(settle=16, timeout=30):
    """The memory of DependencyFloor (Swift runtime, FoundationEssentials, Hummingbird, service
    lifecycle, argument parser, metrics, libcurl, libcrypto, each used once; nothing of vpcrouter),
    read `settle` seconds after it is ready, as the idle daemon is. None for a build without it."""
    binary = os.path.join(vpclab.RELEASE, "DependencyFloor")
    if not os.path.exists(binary):
        log("no DependencyFloor in %s: the floor is not measured" % vpclab.RELEASE)
        return None
    process = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("ready"):
            raise LabError("DependencyFloor did not become ready in %d s: %r" % (timeout, line))
        time.sleep(settle)
        return vpclab.process_status(process.pid)
    finally:
        process.terminate()
        process.wait(10)


# ---- memory at 1,000 routes and 1,000 routers ------------------------------------------------

def many_router_addresses(count):
    return [vpclab.address("%d.%d" % (16 + index // 200, 10 + index % 200)) for index in range(count)]


def bench_memory(count=1000, per_interface=50):
    """1,000 router addresses as private IPs of 20 ENIs in moto (all answering ping from one
    namespace with a local route), 1,000 CIDRs each on two of them, the routes already in place."""
    with vpclab.Lab() as lab:
        lab.start_moto()
        fixture = lab.build_vpc()
        ec2 = lab.ec2()
        block = vpclab.address("16.0/20")
        subnet = ec2.create_subnet(VpcId=fixture["vpcId"], CidrBlock=block, AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=fixture["vpcId"])["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        addresses = many_router_addresses(count)
        eni_of = {}
        log("memory: %d routers on %d instances, %d CIDRs" % (count, count // per_interface, count))
        for start in range(0, count, per_interface):
            group = addresses[start:start + per_interface]
            instance = ec2.run_instances(ImageId=fixture["imageId"], MinCount=1, MaxCount=1, InstanceType="m5.24xlarge",
                                         SubnetId=subnet, PrivateIpAddress=group[0])["Instances"][0]
            eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
            ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=group[1:])
            for address in group:
                eni_of[address] = eni
        lab.routers.add_block(block)
        cidrs = n_route_cidrs(count)
        spec = {}
        for index, cidr in enumerate(cidrs):
            first, second = addresses[index], addresses[(index + 1) % count]
            spec[cidr] = [first, second]
            ec2.create_route(RouteTableId=table, DestinationCidrBlock=cidr, NetworkInterfaceId=eni_of[first])
        spec_path = os.path.join(lab.directory, "spec-1000.json")
        with open(spec_path, "w") as file:
            json.dump(spec, file)
        daemon = lab.start_daemon(["-m", "configfile", "-f", spec_path, "-H", "icmpecho", "--route_recheck_interval", "5"])
        if not wait_until(lambda: daemon.completed_reconciles() >= 1 or not daemon.running(), 120, 0.1) or not daemon.running():
            raise LabError("no completed reconcile at 1,000 routes:\n" + daemon.output()[-3000:])
        # A few more health rounds and rechecks, then read the figures.
        time.sleep(12)
        metrics = daemon.metrics()
        working = int(metrics.get('vpcrouter_routers{verdict="healthy"}', 0))
        writes = sum(value for key, value in metrics.items() if key.startswith("vpcrouter_route_writes_total"))
        memory = daemon.memory_kb()
        result = dict(memory, routes=count, routers=count, working_routers=working,
                      reconciles=metrics.get("vpcrouter_reconciles_total", 0), writes=writes)
        log("1,000 routes, 1,000 routers: VmRSS %d KiB, VmHWM %d KiB, RssAnon %d KiB, RssFile %d KiB; %d routers healthy, %d passes, %d writes"
            % (memory["VmRSS"], memory["VmHWM"], memory["RssAnon"], memory["RssFile"], working, result["reconciles"], writes))
        if daemon.stop() != 0:
            raise LabError("the daemon did not stop cleanly")
        return result


# ---- the report --------------------------------------------------------------------------------

def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()
    return {"host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(), "cpu": cpu,
            "swift": swift[0] if swift else "unknown",
            "load_average_at_end": os.getloadavg()[0]}


def ms(seconds):
    return "%d ms" % round(seconds * 1000)


def table_rows(results):
    """(figure, value, target, alternative, ratio) for every figure measured."""
    rows = []
    failover = results.get("failover")
    if failover:
        for name, label in (("fast", "`--icmp_check_interval 0.2 --health-fall 3`"), ("default", "defaults: icmp 2 s, fall 1"),
                            ("fast-ipv6", "IPv6 route, routers by IPv6 address (ICMPv6), `--icmp_check_interval 0.2 --health-fall 3`")):
            figures = failover.get(name)
            if not figures:
                continue
            # A setting re-measured alone (--failover-settings) says when, beside the others' date.
            when = figures.get("measured")
            if when and when != results.get("measured", {}).get("failover"):
                load = figures.get("machine", {}).get("load_average_at_end")
                label += " (%s%s)" % (when, ", load %.1f" % load if load is not None else "")
            rows.append(("Router death → route moved in moto, %s, %d trials" % (label, figures["trials"]),
                         "p50 %s, p99 %s" % (ms(figures["p50_s"]), ms(figures["p99_s"])),
                         "p99 < 1 s" if name == "fast" else "",
                         "vpc-router: ≥ 3 s (one 2 s round + 1 s loop tick, best case)",
                         "%.2f" % (figures["p99_s"] / ORIGINAL_BEST_FAILOVER_S)))
            if "send_p50_ms" in figures:
                rows.append(("Health change → failover write sent to EC2 (the daemon's log), %s, %d moves" % (label, len(figures["send_ms"])),
                             "p50 %d ms, p99 %d ms" % (figures["send_p50_ms"], figures["send_p99_ms"]), "< 50 ms", "", ""))
    lossy = results.get("lossy")
    if lossy:
        rows.append(("Route moves per minute, %d %% of probes lost on both routers, `--icmp_check_interval %g --health-fall %d` (%.0f min)"
                     % (lossy["percent"], lossy["interval_s"], lossy["fall"], lossy["minutes"]),
                     "%.1f (%d routers judged failed)" % (lossy["moves_per_minute"], lossy["failed_transitions"]),
                     "≤ 1", "before fall held routes: 12 (issue #13)", ""))
    for count, figures in sorted((results.get("nroutes") or {}).items(), key=lambda item: int(item[0])):
        limit = figures["physical_limit_s"]
        rows.append(("%s-route failover through EC2's write bucket (50 burst, 5/s), death → all moved" % count,
                     "%.2f s" % figures["seconds"],
                     "physical limit %.0f s" % limit if limit else "no limit (within the burst): absolute time",
                     "", "%.2f × limit" % figures["ratio_to_limit"] if figures["ratio_to_limit"] else "—"))
    for name, figures in sorted((results.get("prefixlists") or {}).items(), key=lambda item: (not item[1]["prefix_lists"], item[1]["groups"])):
        how = ("`--prefix-lists`, %d group%s" % (figures["groups"], "" if figures["groups"] == 1 else "s")) if figures["prefix_lists"] \
            else "one route per CIDR and table"
        rows.append(("%d CIDRs × %d tables, %s, through EC2's write bucket, `--icmp_check_interval 0.2 --health-fall 3`: death → all moved (%d writes)"
                     % (figures["cidrs"], figures["tables"], how, figures["writes_forwarded"]),
                     "%.2f s" % figures["seconds"], "< 1 s" if figures["prefix_lists"] and figures["groups"] == 1 else "",
                     "one route per CIDR and table: physical limit %.0f s" % figures["per_route_physical_limit_s"] if figures["prefix_lists"] else "",
                     "%.3f" % (figures["seconds"] / figures["per_route_physical_limit_s"]) if figures["prefix_lists"] else ""))
    steady = results.get("steady")
    if steady:
        rows.append(("EC2 calls per steady-state recheck (at the proxy)", "%.1f" % steady["calls_per_recheck"], "≤ 3", "", ""))
        rows.append(("EC2 writes per steady-state recheck", "%d" % steady["writes"], "0", "", ""))
    def memory_text(memory):
        return ("VmRSS %.1f MB, VmHWM %.1f MB (private RssAnon %.1f MB; RssFile %.1f MB is mapped libraries)"
                % (memory["VmRSS"] / 1024, memory["VmHWM"] / 1024, memory["RssAnon"] / 1024, memory["RssFile"] / 1024))
    floor = results.get("floor_memory_kib")
    if results.get("idle_memory_kib"):
        rows.append(("Daemon memory at idle (1 route, 2 routers)", memory_text(results["idle_memory_kib"]), "< 25 MB",
                     "dependencies alone (next row): %.1f MB" % (floor["VmRSS"] / 1024) if floor else "", ""))
    if floor:
        rows.append(("DependencyFloor at idle: the design's libraries and packages, each used once, no vpcrouter code",
                     memory_text(floor), "", "", ""))
    big = results.get("memory")
    if big:
        rows.append(("Daemon memory at 1,000 routes and 1,000 routers (%d healthy, %d writes)" % (big["working_routers"], big["writes"]),
                     memory_text(big), "< 35 MB", "", ""))
    startup = results.get("startup")
    if startup:
        rows.append(("Process start → first completed reconcile (%d starts)" % len(startup["samples_s"]),
                     "median %s, max %s" % (ms(startup["median_s"]), ms(startup["max_s"])), "median < 60 ms", "", ""))
    plan = results.get("plan")
    if plan:
        rows.append(("plan() for 1,000 CIDRs × 200 tables, 1,000 routers", "median %.1f ms, p99 %.1f ms, peak RSS %d MB"
                     % (plan["wall_median_ms"], plan["wall_p99_ms"], plan["peak_rss_kib"] // 1024), "< 50 ms, < 50 MB", "", ""))
    ec2 = results.get("ec2")
    if ec2:
        rows.append(("%d route writes through the EC2-rate proxy (EC2Bench)" % ec2["writes"], "%.2f s" % ec2["write_seconds"],
                     "ideal %.0f s + 10 %%" % ec2["write_ideal_seconds"], "", "%.2f × ideal" % (ec2["write_seconds"] / ec2["write_ideal_seconds"])))
        rows.append(("EC2 calls per steady-state VPC read (EC2Bench)", "%.1f" % ec2["steady_calls_per_read"], "≤ 3", "", ""))
    leader = results.get("leader")
    if leader:
        rows.append(("Leader SIGKILLed → first route write by the other replica (etcd lease TTL %d s, %d runs)" % (leader["ttl_s"], leader["runs"]),
                     "median %.2f s, max %.2f s" % (leader["takeover_median_s"], leader["takeover_max_s"]),
                     "≈ TTL + one reconcile", "", ""))
        rows.append(("Route writes by a non-leader (%d runs with a stable leader)" % leader["counted_runs"],
                     "%d" % leader["non_leader_writes"], "0", "", ""))
    health = results.get("health")
    if health:
        fping = health.get("fping_cpu_us_per_probe")
        rows.append(("icmpecho CPU per probe, %d targets" % health["icmp_targets"], "%.1f µs" % health["icmp_cpu_us_per_probe"], "≤ fping",
                     "fping: %.1f µs" % fping if fping else "fping not installed",
                     "%.2f" % (health["icmp_cpu_us_per_probe"] / fping) if fping else ""))
        rows.append(("tcp CPU per probe, %d targets (one poll loop)" % health["tcp_targets"], "%.1f µs" % health["tcp_cpu_us_per_probe"], "", "", ""))
    return rows


def markdown(results):
    host = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        "`make bench` on %s: %s, %d CPUs (%s), Linux %s, %s; load average %.1f at the end (the machine is shared)."
        % (results["date"], host["host"], host["cpus"], host["cpu"], host["kernel"], host["swift"], host["load_average_at_end"]),
        "Release build; EC2 is moto on loopback, routers are network namespaces. Ratios: value ÷ alternative, or ÷ the limit.",
    ]
    measured = results.get("measured", {})
    if len(set(measured.values())) > 1:
        lines.append("Measured at different times: " + "; ".join("%s %s" % (name, measured[name]) for name in BENCHMARKS if name in measured) + ".")
    lines += [
        "",
        "| Figure | Value | Target | Alternative | Ratio |",
        "|---|---|---|---|---|",
    ]
    for row in table_rows(results):
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "Failover trials kill the router carrying the route (link down inside its namespace) at a random point of the "
        "probe cycle and poll moto every 10 ms until both route tables point at the other router; one daemon, "
        "alternating routers, `--health-hold-down` of two rounds so a revived router is eligible again soon. "
        "p99 is the nearest rank (the maximum for 20 trials). N-route runs include detection at the fast settings.",
        "",
    ]
    # Figures measured by hand outside make bench (scripts/memory_map.py) are kept beside results.md.
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "memory-map.md")
    if os.path.exists(notes):
        with open(notes) as file:
            lines += [file.read().rstrip("\n"), ""]
    return "\n".join(lines)


BENCHMARKS = ["plan", "ec2", "health", "failover", "lossy", "nroutes", "prefixlists", "steady", "memory", "leader"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--trials", type=int, default=20, help="failover trials per setting (at least 20 for the results)")
    parser.add_argument("--routes", default="10,100,500", help="route counts for the N-route failover")
    parser.add_argument("--per-route", action="store_true", help="prefixlists: also measure the same spec one route per CIDR and table (minutes)")
    parser.add_argument("--failover-settings", default="default,fast,fast-ipv6",
                        help="which failover rows to measure (default, fast, fast-ipv6); the others are kept from results.json")
    parser.add_argument("--output", default=os.path.join(vpclab.ROOT, "bench"))
    parser.add_argument("--build", default=vpclab.RELEASE,
                        help="the folder of the vpcrouter release build and its plugins (another build to compare with)")
    args = parser.parse_args()
    vpclab.RELEASE = os.path.abspath(args.build)
    selected = args.only.split(",")
    unknown = [name for name in selected if name not in BENCHMARKS]
    if unknown:
        parser.error("unknown benchmark %s" % ", ".join(unknown))
    started = time.monotonic()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results = {}
    existing = os.path.join(args.output, "results.json")
    if set(selected) != set(BENCHMARKS) and os.path.exists(existing):
        with open(existing) as file:
            results = json.load(file)
    measured = results.setdefault("measured", {})
    for name in BENCHMARKS:
        if name in results and name not in measured and "date" in results:
            measured[name] = results["date"]
    results["date"] = now
    steps = {
        "plan": lambda: results.update(plan=bench_plan()),
        "ec2": lambda: results.update(ec2=bench_ec2()),
        "health": lambda: results.update(health=bench_health()),
        "failover": lambda: results.update(failover=dict(results.get("failover") or {}, **{
            # Each setting keeps the date of the run it was measured in: the table dates a setting
            # whose run is not the one the failover benchmark's date is from.
            name: dict(figures, measured=now) for name, figures in bench_failover(args.trials, args.failover_settings.split(",")).items()})),
        "lossy": lambda: results.update(lossy=bench_lossy()),
        "nroutes": lambda: results.update(nroutes=bench_n_routes([int(count) for count in args.routes.split(",")])),
        "prefixlists": lambda: results.update(prefixlists=bench_prefix_lists(per_route=args.per_route)),
        "steady": lambda: results.update(bench_steady_and_startup()),
        "memory": lambda: results.update(memory=bench_memory()),
        "leader": lambda: results.update(leader=bench_leader()),
    }
    try:
        for name in BENCHMARKS:
            if name in selected:
                step_started = time.monotonic()
                steps[name]()
                # A subset of the failover rows keeps the others' date (each row has its own "measured").
                if name != "failover" or set(args.failover_settings.split(",")) >= {"default", "fast", "fast-ipv6"}:
                    measured[name] = now
                log("%s done in %.0f s" % (name, time.monotonic() - step_started))
    except LabError as error:
        print("bench FAILED: %s" % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; nothing written", file=sys.stderr)
        return 130
    results["machine"] = machine()
    results["total_seconds"] = time.monotonic() - started
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "results.json"), "w") as file:
        json.dump(results, file, indent=2, sort_keys=True)
        file.write("\n")
    text = markdown(results)
    with open(os.path.join(args.output, "results.md"), "w") as file:
        file.write(text)
    print(text)
    log("wrote %s/results.json and results.md in %.0f s" % (args.output, results["total_seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
