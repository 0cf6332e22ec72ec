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
    prometheus                        # promtool: the end-to-end suite checks a live daemon's /metrics
    chromium                          # the status page is checked in a real (headless) browser
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

# Python tools of the tests, the demo and the benchmarks, pinned to the versions the suite was
# proven with (their behaviour and output change between releases): moto is the EC2 emulator
# (boto3 and Flask come with its server), prometheus_client the reference Prometheus text parser,
# schemathesis checks the live HTTP API against docs/openapi.yaml, websocket-client drives headless
# Chromium over its DevTools protocol (Tests/Tools/browserdriver.py).
python_packages=(
    moto==5.2.1 boto3==1.43.11 botocore==1.43.11 Flask==3.1.3 flask-cors==6.0.2 Werkzeug==3.1.8
    prometheus_client==0.26.0 schemathesis==4.32.5 websocket-client==1.8.0
)
installed=$(python3 -m pip list --format=freeze 2>/dev/null | tr '[:upper:]_' '[:lower:]-' || true)
wanted=()
for requirement in "${python_packages[@]}"; do
    normalized=$(tr '[:upper:]_' '[:lower:]-' <<<"$requirement")
    grep -qxF "$normalized" <<<"$installed" || wanted+=("$requirement")
done
if ((${#wanted[@]})); then
    echo "installing: ${wanted[*]}"
    python3 -m pip install --quiet "moto[server]==5.2.1" "${wanted[@]}"
fi

command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6.x is required)" >&2; exit 1; }
echo "dependencies ready"
