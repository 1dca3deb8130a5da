#!/usr/bin/env bash
# Installs what DPL needs on a Debian machine that has the Swift toolchain, then builds it.
# Safe to run again: it installs only packages that are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libedit-dev zlib1g-dev pkg-config dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

if ! command -v swift >/dev/null; then
    echo "setup: the Swift toolchain (6.0 or newer) is not on PATH; install it from swift.org first." >&2
    exit 1
fi

if [ "${DPL_SKIP_BUILD:-0}" != 1 ]; then
    echo "setup: building DPL (release)"
    # With the flag `swift test` compiles the modules with (testable imports), so that
    # `bash scripts/test.sh` afterwards compiles only the tests instead of every module again.
    swift build -c release -Xswiftc -enable-testing
fi
