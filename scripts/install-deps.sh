#!/usr/bin/env bash
# Installs what building and testing vpcrouter needs on a fresh Debian 12 machine (run as root).
# Idempotent: packages already present are not fetched again.
set -euo pipefail

apt_packages=(
    libssl-dev libcurl4-openssl-dev   # SigV4 (libcrypto) and the HTTPS transport (libcurl)
    iproute2 nftables iputils-ping    # network namespaces for router hosts in tests
    pkg-config
    fping                             # the health benchmark's comparison (make bench)
    etcd-server etcd-client           # the etcd mode, the Romana example and leader election
)

missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The EC2 emulator used by the tests, the demo and the benchmarks (boto3 comes with it); the
# reference Prometheus text parser.
if ! command -v moto_server >/dev/null 2>&1; then
    python3 -m pip install --quiet 'moto[server]'
fi
python3 -c 'import prometheus_client' 2>/dev/null || python3 -m pip install --quiet prometheus_client
# Checks the live HTTP API against docs/openapi.yaml (pinned: its CLI and reports change between releases).
schemathesis_version=4.32.5
installed=$(python3 -m pip show schemathesis 2>/dev/null | sed -n 's/^Version: //p' || true)
[[ "$installed" == "$schemathesis_version" ]] || python3 -m pip install --quiet "schemathesis==$schemathesis_version"

command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6.x is required)" >&2; exit 1; }
echo "dependencies ready"
