#!/usr/bin/env bash
# The main job on an embedded default: sets up the project, then reads the shipped capture of real
# mirrored traffic into flow records and a decapsulated pcap under ./fargate-mirror-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
ensure_node
install_and_build
out=fargate-mirror-out
mkdir -p "$out" && chmod 700 "$out"
npx --no-install fargate-mirror read fixtures/sample-mirror.pcap \
  --records "$out/records.jsonl" --pcap-out "$out/sample-decapsulated.pcap"
echo
echo "First records ($out/records.jsonl):"
head -n 3 "$out/records.jsonl"
echo
echo "Decapsulated inner frames: $out/sample-decapsulated.pcap (raw payload: treat as sensitive)"
