#!/usr/bin/env bash
# Regenerates fixtures/sample-mirror*.pcap, fixtures/sample-task.pcap and
# fixtures/sample-mirror.truth.json from a short real session in the network-namespace lab
# (docs/design.md §6; packages/testkit/lab.ts). Needs root and: iproute2 ethtool tcpdump tshark dnsmasq-base
# dnsutils curl openssl iputils-ping python3-scapy. Usage: sudo scripts/make-sample-capture.sh [OUT_DIR]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${1:-${repo_root}/fixtures}"

if [[ "$(id -u)" -ne 0 ]]; then
  echo "make-sample-capture.sh: needs root (network namespaces, tcpdump): run it with sudo" >&2
  exit 1
fi

cd "${repo_root}"
# Node 22.6+ runs the TypeScript test kit directly (type stripping; Node 24 does it by default).
node --experimental-strip-types --no-warnings packages/testkit/make-sample.ts "${out_dir}"
