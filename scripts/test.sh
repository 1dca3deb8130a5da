#!/usr/bin/env bash
# Runs DPL's whole test suite (release build: numeric tests are many times slower in debug).
set -euo pipefail
cd "$(dirname "$0")/.."
DPL_SKIP_BUILD=1 bash scripts/setup.sh
# Built by `swift build` with the flags of scripts/setup.sh's build, so a tree the quickstart
# built is reused and only the test targets are compiled (`swift test` building for itself
# recompiled every module: its build differs from `swift build`'s even with these flags).
swift build -c release --build-tests -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing --skip-build
