#!/usr/bin/env bash
# Builds the multi health plugin with the thread sanitizer (swiftc, no SwiftPM) and probes it from
# a small C host (Tests/Tools/tsan_multi_driver.c) whose three fake children answer on multi's
# child threads at the same time. Exit status 0 when every round gave the right verdicts and
# ThreadSanitizer reported nothing.
#
#   scripts/tsan-multi.sh [ROUNDS]
set -euo pipefail

rounds=${1:-200}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/.build/tsan-multi"
toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")
runtime="$toolchain/../lib/swift/linux"

mkdir -p "$work/abi"
cp "$root/Sources/PluginABI/include/vpcrouter_plugin.h" "$work/abi/"
printf 'module PluginABI {\n    header "vpcrouter_plugin.h"\n    export *\n}\n' > "$work/abi/module.modulemap"
swiftc -sanitize=thread -g -emit-library -parse-as-library -module-name MultiHealth -I "$work/abi" \
    "$root"/Plugins/MultiHealth/*.swift -o "$work/libMultiHealth.so"
# The host carries the sanitizer runtime (exported for the plugin) and libdispatch, which it intercepts.
"$toolchain/clang" -fsanitize=thread -rdynamic -g -I "$work/abi" "$root/Tests/Tools/tsan_multi_driver.c" \
    -o "$work/driver" -ldl -L"$runtime" -ldispatch -lBlocksRuntime -Wl,-rpath,"$runtime"
TSAN_OPTIONS="halt_on_error=0 exitcode=66" "$work/driver" "$work/libMultiHealth.so" "$rounds"
