#!/usr/bin/env bash
# Runs DPL's whole test suite (release build: numeric tests are many times slower in debug).
set -euo pipefail
cd "$(dirname "$0")/.."
DPL_SKIP_BUILD=1 bash scripts/setup.sh
swift test -c release
