#!/usr/bin/env bash
# Builds mtb with its tests (installing what is missing, like setup.sh) and runs the whole suite.
# Fast when already built: setup.sh is idempotent and the build is incremental (ccache + ninja).
# --torch: the suite always covers the libtorch backend (and `mtb check` against llama.cpp).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/setup.sh --tests --no-bench --torch
ctest --test-dir "${MTB_BUILD_DIR:-build}" --output-on-failure -j "${MTB_TEST_JOBS:-2}" "$@"
