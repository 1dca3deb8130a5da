#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build, and run DPL's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The main job: evaluate the shipped defense on real Fashion-MNIST test images (clean accuracy,
# robust accuracy under an adaptive attack, fixed vs fresh purification randomness).
.build/release/dpl run examples/quickstart.dpl
