#!/usr/bin/env bash
# Sets up everything the tests need (Node.js 22+, Debian packages, npm dependencies), then runs
# lint, format check, type checks and the whole test suite. Needs root for the network-namespace
# tests (they fail with a clear message without it). `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
ensure_test_packages
ensure_node
install_and_build
echo "test: lint and format (biome)" >&2
npx --no-install biome ci .
echo "test: shell scripts (shellcheck)" >&2
shellcheck -x scripts/*.sh .ci/run
echo "test: type-check tests" >&2
npx --no-install tsc -p tsconfig.tests.json
echo "test: vitest" >&2
npx --no-install vitest run "$@"
