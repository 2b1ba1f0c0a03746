#!/usr/bin/env bash
# Builds and runs mtb's libFuzzer targets (tests/fuzz/, docs/fuzzing.md): one per reader of outside input.
#
#   scripts/fuzz.sh TARGET SECONDS    fuzz one target (gguf_info, hf_config, ...) for SECONDS
#   scripts/fuzz.sh --all SECONDS     every target for SECONDS each, two at a time
#   scripts/fuzz.sh --list            the targets
#
# A crash, a sanitizer report (ASan, UBSan), a leak or a timeout (an input taking over a second) fails
# the run: the input is kept in BUILD/findings/TARGET/ and the log in BUILD/logs/TARGET.log. Each
# target ends with one line: its executions, exec/s and corpus size. The seeds in
# tests/fuzz/corpus/TARGET are read, never written; what the fuzzer finds new goes to BUILD/corpus/TARGET.
#
# Environment: MTB_FUZZ_BUILD_DIR (default build-fuzz), MTB_FUZZ_JOBS (targets at once with --all,
# default 2), MTB_FUZZ_ARGS (more libFuzzer flags, e.g. -runs=10000000 to stop after that many, -fork=2
# for two processes on one corpus), MTB_FUZZ_ASAN (more ASan options, e.g. malloc_context_size=2:
# shorter allocation stacks in a report, a faster run where the target allocates much).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${MTB_FUZZ_BUILD_DIR:-build-fuzz}
TARGETS=(gguf_info safetensors_header safetensors_index hf_config ancestor_import results_jsonl event_stream
         server_timings prompt_tokens axis_list)
# Longer inputs only slow a target down without reaching new code: a results line or a CSV is a few
# KB; the tokenizer's cost grows with the text, and 128 bytes already hold several words and scripts.
declare -A MAX_LEN=([prompt_tokens]=128 [gguf_info]=4096 [results_jsonl]=4096 [ancestor_import]=4096)

say() { printf '\033[1m[fuzz]\033[0m %s\n' "$*"; }
die() { printf '[fuzz] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,16p' "$0"; exit "${1:-0}"; }

# Instruments the whole tree (mtb and llama.cpp) for libFuzzer, ASan and UBSan; ccache and ninja make
# a second run only check.
build() {
  command -v clang++ >/dev/null || die "clang is missing: scripts/setup.sh --tests installs it (Debian clang, libclang-rt-14-dev)"
  [ -f third_party/llama.cpp/CMakeLists.txt ] || die "llama.cpp is missing: run scripts/setup.sh first"
  if ! grep -q '^MTB_FUZZ:[A-Z]*=ON' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    local flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -gline-tables-only"
    local args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
                -DMTB_FUZZ=ON -DMTB_BUILD_TESTS=ON -DMTB_TORCH=OFF -DMTB_CUDA=OFF
                "-DCMAKE_C_FLAGS=$flags" "-DCMAKE_CXX_FLAGS=$flags")
    if command -v ccache >/dev/null; then
      export CCACHE_BASEDIR="$ROOT"
      args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fi
    say "configuring $BUILD_DIR (clang, libFuzzer + ASan + UBSan)"
    mkdir -p "$BUILD_DIR"
    cmake -S . -B "$BUILD_DIR" "${args[@]}" >"$BUILD_DIR/configure.log" 2>&1 \
      || { cat "$BUILD_DIR/configure.log" >&2; die "cmake configure failed (log above)"; }
  fi
  cmake --build "$BUILD_DIR" --target "$@" -j "${MTB_JOBS:-2}" >"$BUILD_DIR/build.log" 2>&1 \
    || { tail -40 "$BUILD_DIR/build.log" >&2; die "build failed (log: $BUILD_DIR/build.log)"; }
}

# Fuzzes one target for $2 seconds; prints its summary line; fails on any finding.
run_one() {
  local t=$1 seconds=$2
  local work="$BUILD_DIR/corpus/$t" findings="$BUILD_DIR/findings/$t" log="$BUILD_DIR/logs/$t.log"
  mkdir -p "$work" "$findings" "$(dirname "$log")"
  local flags=(-max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -print_final_stats=1
               -artifact_prefix="$findings/")
  [ -n "${MAX_LEN[$t]:-}" ] && flags+=(-max_len="${MAX_LEN[$t]}")
  # shellcheck disable=SC2206
  flags+=(${MTB_FUZZ_ARGS:-})
  local rc=0 t0; t0=$(date +%s)
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0${MTB_FUZZ_ASAN:+:$MTB_FUZZ_ASAN} UBSAN_OPTIONS=print_stacktrace=1 \
    "$BUILD_DIR/fuzz/${t}_fuzz" "${flags[@]}" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  local execs rate
  # -fork=N: the last "#N:" line counts every finished job's executions (a job's own final stats
  # count only its own), the rate from the clock.
  execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
  if [ -n "$execs" ]; then rate=$(( execs / ( $(date +%s) - t0 + 1 ) ))
  else
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  fi
  local found; found=$(find "$findings" -type f | wc -l)
  if [ "$rc" != 0 ] || [ "$found" != 0 ]; then
    printf '%-19s FAILED (exit %s): %s executions; inputs in %s; log %s\n' "$t" "$rc" "${execs:-?}" "$findings" "$log"
    grep -m3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/    /' || true
    return 1
  fi
  printf '%-19s %12s executions %9s exec/s  corpus %5s files  no findings\n' "$t" "${execs:-?}" "${rate:-?}" \
    "$(find "$work" "tests/fuzz/corpus/$t" -type f | wc -l)"
}

[ $# -ge 1 ] || usage 2
case "$1" in
  -h|--help) usage ;;
  --list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
esac
[ $# -eq 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage 2
seconds=$2

if [ "$1" != --all ]; then
  [[ " ${TARGETS[*]} " == *" $1 "* ]] || die "unknown target '$1' (--list names them)"
  build "$1_fuzz"
  run_one "$1" "$seconds"
  exit
fi

build mtb_fuzz
jobs_at_once=${MTB_FUZZ_JOBS:-2}
say "${#TARGETS[@]} targets, ${seconds} s each, $jobs_at_once at a time"
failed=0 running=0
for t in "${TARGETS[@]}"; do
  if [ "$running" -ge "$jobs_at_once" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_one "$t" "$seconds" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
[ "$failed" = 0 ] || die "a target had findings (above)"
say "every target ran clean"
