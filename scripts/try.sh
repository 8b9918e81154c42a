#!/usr/bin/env bash
# The main job on an embedded default: sets up the project, then runs `fargate-mirror demo` — the
# whole system on this machine without AWS or root (aws-local, the controller, the receiver, two
# services exchanging real HTTP and DNS, mirrored as VXLAN) — and reads the shipped capture of real
# kernel-mirrored traffic with `fargate-mirror read`. Outputs go under ./fargate-mirror-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
ensure_node
install_and_build
out=fargate-mirror-out
mkdir -p "$out" && chmod 700 "$out"
npx --no-install fargate-mirror demo --duration "${DEMO_SECONDS:-20}" --out "$out"
echo
echo "== fargate-mirror read fixtures/sample-mirror.pcap (real traffic mirrored by the Linux kernel)"
npx --no-install fargate-mirror read fixtures/sample-mirror.pcap \
  --records "$out/sample-records.jsonl" --pcap-out "$out/sample-decapsulated.pcap"
echo "records: $out/sample-records.jsonl; decapsulated frames: $out/sample-decapsulated.pcap (raw payload: sensitive)"
