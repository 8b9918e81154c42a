#!/usr/bin/env bash
# Regenerates the pictures in docs/images from code, never by hand: the deployment diagram from
# `cdk synth` of the example app (scripts/deployment-diagram.mjs), and the live page as Debian's
# headless chromium shows it during the demo (the ui lab test keeps it in test-artifacts/ui/).
# Needs a build (npm run build) and chromium (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/deployment-diagram.mjs
npx --no-install vitest run packages/ui/test/lab/live-page-demo.test.ts
cp test-artifacts/ui/live-page.png docs/images/live-page.png
echo "docs-images: docs/images/deployment.svg, deployment.png, live-page.png" >&2
