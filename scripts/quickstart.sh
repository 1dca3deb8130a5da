#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build, and run DPL's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The main job. Until the language and the shipped models land it is the engine benchmark.
swift run -c release dpl-bench
