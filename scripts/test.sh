#!/usr/bin/env bash
# Runs DPL's whole test suite (release build: numeric tests are many times slower in debug).
set -euo pipefail
cd "$(dirname "$0")/.."
DPL_SKIP_BUILD=1 bash scripts/setup.sh
# `-enable-testing` spelled out so the command matches scripts/setup.sh's build exactly, and a
# tree the quickstart built is reused: only the test targets are compiled.
swift test -c release -Xswiftc -enable-testing
