#!/usr/bin/env python3
"""What the idle daemon's resident memory is, mapping by mapping (bench.py's idle memory row, alone).

Usage:
  memory_map.py [--build DIR] [--settle SECONDS] [--output FILE.json]
      Starts the release daemon from DIR (default .build/release) in the benchmark's idle set-up
      (moto, 1 route, 2 routers in namespaces, fixedconf + icmpecho, recheck 5 s), waits for the
      first completed reconcile and SECONDS more, then reads /proc/PID/status and /proc/PID/smaps:
      VmRSS, VmHWM, RssAnon, RssFile and, for each mapped file (and the anonymous mappings as one),
      its resident and private KiB. Prints a table; writes the JSON to FILE when given.
  memory_map.py --compare BEFORE.json AFTER.json
      A markdown table of both runs side by side, largest change first.

Run as root after `swift build -c release` (the lab uses network namespaces).
"""
import argparse
import json
import os
import re
import sys
import time

import vpclab
from vpclab import LabError, wait_until

CIDR = "10.55.0.0/16"


def smaps_by_mapping(pid):
    """{name: {"rss": KiB, "private": KiB, "dirty": KiB}}: one entry per mapped file; anonymous memory
    as "[anon]". Dirty pages of a file mapping are the loader's relocations and written data: they
    stay resident whatever the page cache does; clean pages are code and read-only data that were
    touched (or mapped around a touched page) and can be dropped under memory pressure."""
    totals, current = {}, None
    with open("/proc/%d/smaps" % pid) as smaps:
        for line in smaps:
            parts = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = parts[5] if len(parts) > 5 else ""
                current = os.path.basename(name) if name.startswith("/") else "[anon]"
                totals.setdefault(current, {"rss": 0, "private": 0, "dirty": 0})
            elif parts[0] == "Rss:":
                totals[current]["rss"] += int(parts[1])
            elif parts[0] in ("Private_Clean:", "Private_Dirty:"):
                totals[current]["private"] += int(parts[1])
                if parts[0] == "Private_Dirty:":
                    totals[current]["dirty"] += int(parts[1])
    return totals


def measure(build, settle):
    vpclab.RELEASE = os.path.abspath(build)
    with vpclab.Lab() as lab:
        lab.start_moto()
        fixture = lab.build_vpc()
        lab.routers.add(fixture["addressA"])
        lab.routers.add(fixture["addressB"])
        options = ["-m", "fixedconf", "--fixed_cidr", CIDR, "--fixed_hosts", "%s:%s" % (fixture["addressA"], fixture["addressB"]),
                   "-H", "icmpecho", "--route_recheck_interval", "5"]
        daemon = lab.start_daemon(options)
        if not wait_until(lambda: daemon.completed_reconciles() >= 1, 60):
            raise LabError("no completed reconcile:\n" + daemon.output()[-3000:])
        time.sleep(settle)
        # A file written moments ago (a fresh build) has dirty page-cache pages, which smaps would
        # count as the process's dirty memory; write them back first.
        os.sync()
        result = {"build": vpclab.RELEASE, "status_kib": vpclab.process_status(daemon.pid, vpclab.MEMORY_FIELDS + ("Threads",)), "mappings_kib": smaps_by_mapping(daemon.pid)}
        daemon.stop()
    return result


def print_run(result):
    status = result["status_kib"]
    print("VmRSS %d KiB, VmHWM %d KiB, RssAnon %d KiB, RssFile %d KiB, %d threads"
          % (status["VmRSS"], status["VmHWM"], status["RssAnon"], status["RssFile"], status.get("Threads", 0)))
    rows = sorted(result["mappings_kib"].items(), key=lambda item: -item[1]["rss"])
    print("%-48s %9s %9s %9s" % ("mapping", "Rss KiB", "Private", "Dirty"))
    for name, entry in rows:
        if entry["rss"]:
            print("%-48s %9d %9d %9d" % (name, entry["rss"], entry["private"], entry.get("dirty", 0)))


def compare(before_path, after_path):
    before, after = (json.load(open(path)) for path in (before_path, after_path))
    print("| | before | after | change |")
    print("|---|---|---|---|")
    for field in ("VmRSS", "RssAnon", "RssFile"):
        old, new = before["status_kib"][field], after["status_kib"][field]
        print("| %s | %.1f MB | %.1f MB | %+.1f MB |" % (field, old / 1024, new / 1024, (new - old) / 1024))
    names = set(before["mappings_kib"]) | set(after["mappings_kib"])
    empty = {"rss": 0, "private": 0}
    rows = []
    for name in names:
        old = before["mappings_kib"].get(name, empty)["rss"]
        new = after["mappings_kib"].get(name, empty)["rss"]
        if old or new:
            rows.append((new - old, name, old, new))
    for change, name, old, new in sorted(rows, key=lambda row: (row[0], -row[2])):
        if abs(change) >= 64 or max(old, new) >= 1024:
            print("| `%s` | %.2f MB | %.2f MB | %+.2f MB |" % (name, old / 1024, new / 1024, change / 1024))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=vpclab.RELEASE)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--output")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    arguments = parser.parse_args()
    if arguments.compare:
        compare(*arguments.compare)
        return 0
    result = measure(arguments.build, arguments.settle)
    print_run(result)
    if arguments.output:
        with open(arguments.output, "w") as output:
            json.dump(result, output, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
