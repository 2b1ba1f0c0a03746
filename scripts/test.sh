#!/usr/bin/env bash
# Builds mtb with its tests (installing what is missing, like setup.sh) and runs the whole suite.
# Fast when already built: setup.sh is idempotent and the build is incremental (ccache + ninja).
# --torch: the suite always covers the libtorch backend (and `mtb check` against llama.cpp).
# Then the same code under ASan + UBSan (scripts/sanitize.sh: the unit, golden, report and fast
# end-to-end tests) and every fuzz target for 30 s (scripts/fuzz.sh). Arguments go to ctest
# (scripts/test.sh -R Report), and then only that suite runs; so it does with MTB_TEST_QUICK=1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${MTB_BUILD_DIR:-build}
scripts/setup.sh --tests --no-bench --torch
log=$(mktemp)
set +e
ctest --test-dir "$BUILD" --output-on-failure -j "${MTB_TEST_JOBS:-2}" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# Tests that could not run here (no GPU, no browser, a machine too busy to compare timings) say why.
skips=$(grep -h -A1 ': Skipped$' "$BUILD/Testing/Temporary/LastTest.log" 2>/dev/null | grep -v -e '^--$' -e ': Skipped$' | sort -u || true)
if [ -n "$skips" ]; then
  echo; echo "Skipped, and why:"; echo "$skips" | sed 's/^/  - /'
  # ctest's own summary last, so it stays the closing lines of the run
  summary=$(grep -n "tests passed" "$log" | tail -1 | cut -d: -f1)
  [ -n "$summary" ] && { echo; tail -n +"$summary" "$log"; }
fi
rm -f "$log"
if [ "${MTB_TEST_QUICK:-0}" != 1 ] && [ $# -eq 0 ]; then
  echo; echo "=== the sanitizer build (scripts/sanitize.sh)"
  scripts/sanitize.sh || status=1
  echo; echo "=== every fuzz target for 30 s (scripts/fuzz.sh --all 30)"
  scripts/fuzz.sh --all 30 || status=1
fi
exit "$status"
