#!/usr/bin/env bash
# Builds a libFuzzer harness straight from the sources it exercises (swiftc, no SwiftPM) and runs it.
#
#   scripts/fuzz.sh routespec 600     # route spec parser and validator, 10 minutes
#   scripts/fuzz.sh ec2xml 600        # EC2 answer XML and item decoders
#
# Seeds are the bad-input corpora of the tests; new inputs libFuzzer finds stay in
# .build/fuzz/TARGET/corpus, crashes go to .build/fuzz/TARGET/crashes. It runs at low priority
# (nice 10) on one core: the build machines are shared. Exit status: 0 when the harness ran at least
# one input and found no crash.
set -euo pipefail

target=${1:?usage: scripts/fuzz.sh routespec|ec2xml SECONDS}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/.build/fuzz/$target"

routemodel=("$root"/Sources/Host/RouteModel/*.swift)
case "$target" in
    routespec)
        sources=("${routemodel[@]}" "$root/Fuzz/RouteSpecFuzz.swift")
        seeds="$root/Tests/RouteModelTests/corpus/routespec"
        ;;
    ec2xml)
        ec2="$root/Sources/Host/EC2"
        sources=("${routemodel[@]}" "$ec2/XMLTreeNode.swift" "$ec2/XMLDocumentParser.swift" "$ec2/XMLSyntaxError.swift" "$ec2/RouteTable.swift"
                 "$ec2/NetworkInterface.swift" "$ec2/Instance.swift" "$ec2/Subnet.swift" "$ec2/VPC.swift"
                 "$root/Fuzz/EC2AnswerFuzz.swift")
        seeds="$root/Tests/EC2Tests/corpus/answers"
        ;;
    *)
        echo "unknown fuzz target '$target' (routespec or ec2xml)" >&2
        exit 2
        ;;
esac

mkdir -p "$work/src" "$work/corpus" "$work/crashes"
# One module: the RouteModel sources join the harness, so their import lines go.
rm -f "$work"/src/*.swift
for file in "${sources[@]}"; do
    sed '/^import RouteModel$/d' "$file" > "$work/src/$(basename "$file")"
done
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name "Fuzz_$target" \
    "$work"/src/*.swift -o "$work/fuzz-$target" 2>&1 | grep -v "Cannot export local symbol" || true
test -x "$work/fuzz-$target"
find "$seeds" -type f ! -name '*.tsv' -exec cp -n {} "$work/corpus/" \;

LSAN_OPTIONS="suppressions=$root/Fuzz/lsan-suppressions.txt:print_suppressions=0" \
    nice -n 10 "$work/fuzz-$target" "$work/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/crashes/" -print_final_stats=1 2>&1 | tee "$work/last-run.log" | grep -E "^(#[0-9]+ +DONE|stat::|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)" || true
crashes=$(find "$work/crashes" -type f | wc -l)
executions=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$work/last-run.log" | grep -oE '[0-9]+$' | tail -n 1 || true)
echo "fuzz $target: ${executions:-?} executions in ${seconds} s, $crashes crash file(s) in $work/crashes"
test "$crashes" -eq 0
# A harness that ran nothing (it failed to start, or the run ended before its first input) tested nothing.
if [[ -z "$executions" || "$executions" -eq 0 ]]; then
    echo "fuzz $target: no executions; see $work/last-run.log" >&2
    exit 1
fi
