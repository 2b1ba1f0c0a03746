#!/usr/bin/env bash
# Everything mtb checks and measures on a GPU machine: the CUDA build (llama.cpp, and the torch
# backend from the pip torch there), the GPU tests, the device ceilings, llama-bench parity, a short
# sweep, the op benchmark, and a summary table (summary.md) naming the date, the GPU and the commit.
# The default run fits a 15-minute rental; the full sweep is a stage of its own (bench/sweep.sh).
#
#   bench/gpu.sh [STAGE...]       run in the foreground (default: build test calibrate parity short ops summary)
#   bench/gpu.sh sweep            the full sweep: every zoo model up to 8B (builds first when not built)
#   bench/gpu.sh --detach [STAGE...]
#                                 run in a new process session and return at once: the run outlives
#                                 the command that started it (a remote shell's time limit, say)
#   bench/gpu.sh --status [SECS]  waits up to SECS for the detached run, shows its progress; copies its results to $OUT when set
#
# Stages: build test calibrate parity short llm quality sweep ops summary. `test` runs the GPU tests
# (names matching Cuda, Gpu or Torch: the CUDA ops, the GPU end-to-end run, and everything that
# runs the pip torch, which CI's Debian libtorch 1.13 is not); TESTS=all runs the whole suite (CI
# runs it on every change). `short` is the sweep of the parity models at prompts 64 and 1024. `llm`
# (torch beside llama.cpp at p512/tg128) and `quality` (KL divergence on the GPU) are asked for by
# name. Results go to $GPU_RESULTS (default /tmp/mtb-gpu); each stage's output is a file there, so
# a rerun of one stage replaces only its own. summary.md is rewritten after every stage (and every
# sweep model), so a run cut short keeps the tables of what finished. Every stage's seconds go to
# stages.txt.
# Knobs: CUDA_ARCHS (90), GPU_TARGETS (mtb mtb_tests llama-bench), TESTS (gpu|all), PARITY_MODELS,
# PARITY_ROUNDS (3), PARITY_PP_REPS (20: the prompt test's repetitions; generation's are 5), SWEEP_*
# (bench/sweep.sh --help; the sweep stage's SWEEP_BUDGET_S defaults to 900), OPS_STAGES,
# MTB_CACHE_DIR (/dev/shm/mtb-cache where it has 48 GB free, else /tmp/mtb-cache).
# On a machine without a package registry, run bench/pack-device.sh beforehand where there is one
# and carry .device/ along: the script unpacks it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RES=${GPU_RESULTS:-/tmp/mtb-gpu}
BUILD=${MTB_BUILD_DIR:-$ROOT/build-cuda}
source "$ROOT/bench/remote_run.sh"
pick_model_cache
mkdir -p "$RES"

# Copies what a reader needs (small files only) to $OUT, where a remote runner collects them.
export_results() {
  [ -n "${OUT:-}" ] && [ "$OUT" != "$RES" ] || return 0
  mkdir -p "$OUT"
  for f in summary.md gpu.log tests.log sweep-time.txt short-time.txt stages.txt stacks.txt quality.log; do [ -f "$RES/$f" ] && cp "$RES/$f" "$OUT/"; done
  # Every run folder (CSV, JSONL, settings), for `mtb report` / `mtb compare` elsewhere.
  [ -d "$RES/measurements" ] && tar -czf "$OUT/measurements.tar.gz" -C "$RES" measurements
  return 0
}

remote_control gpu.sh "$RES/gpu.log" "$RES/done" "$RES/failed" export_results -- "$@"
case "${1:-}" in
  -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
esac

stages=("$@"); [ ${#stages[@]} -eq 0 ] && stages=(build test calibrate parity short ops summary)
# Every stage but summary runs mtb: where it is not built (a fresh machine), build first, whatever
# else is named (`sweep summary` there once ran nothing for want of a build).
if [ "${stages[*]}" != summary ] && [[ " ${stages[*]} " != *" build "* ]] && [ ! -x "$BUILD/mtb" ]; then stages=(build "${stages[@]}"); fi
rm -f "$RES/info-head.txt"  # an earlier run's build may differ
echo "stages: ${stages[*]}; model cache: $MTB_CACHE_DIR"
T0=$(date +%s)
failed_stages=()
trap 'echo "stage failed at line $LINENO after $(( $(date +%s) - T0 )) s" > "$RES/failed"; export_results' ERR

use_packed_dependencies
MTB=$BUILD/mtb

# The frames of every "mtb: fatal signal" call stack in a log, as function and source line; words of
# the stack that point into a shared library, as that library and offset (from the code mappings the
# crash report prints).
resolve_stacks() {
  grep -q "mtb: fatal signal" "$1" 2>/dev/null || return 0
  echo "--- call stacks in $(basename "$1"), resolved:"
  grep -o 'mtb(+0x[0-9a-f]*)' "$1" | sed 's/mtb(+\(0x[0-9a-f]*\))/\1/' | awk '!seen[$0]++' | head -40 \
    | xargs -r addr2line -f -C -i -e "$MTB" | paste - - | head -60
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
maps = [(int(a, 16), int(b, 16), int(off, 16), path) for a, b, off, path in
        re.findall(r"^([0-9a-f]+)-([0-9a-f]+) r-xp ([0-9a-f]+) \S+ \d+\s+(\S+)$", text, re.M)]
for label, word in re.findall(r"^(pc|stack) 0x([0-9a-f]+)$", text, re.M):
    v = int(word, 16)
    for lo, hi, off, path in maps:
        if lo <= v < hi:
            print(f"{label} 0x{v:x} = {path} +0x{v - lo + off:x}")
PY
}

# summary.md from what the stages so far have written: rewritten after every stage, so a run cut
# short (the machine's time spent, say) still leaves the tables of the stages that finished.
write_summary() {
  {
    echo "# mtb on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1), $(date -u +%Y-%m-%d)"
    echo
    # The GPU, ceilings, versions and every backend (the indented lines after "backends"), read
    # once per build and calibration, not at every sweep model (a CUDA start each time).
    [ -s "$RES/info-head.txt" ] || "$MTB" info >"$RES/info-head.txt" 2>/dev/null || echo "mtb not built" >"$RES/info-head.txt"
    awk '/^(gpu|ceilings|mtb|llama.cpp|backends)/ {b = /^backends/; print; next} b && /^  / {print; next} {b = 0}' "$RES/info-head.txt" \
      | sed 's/^/    /'
    [ -f "$RES/stages.txt" ] && { echo; echo "Stages (s): $(paste -sd' ' "$RES/stages.txt")"; }
    # The suite runs in two ctest calls (GpuE2E alone, after the rest): one line for both.
    [ -f "$RES/tests.log" ] && { echo; grep -E "tests passed.* out of" "$RES/tests.log" | python3 -c '
import re, sys
runs = [re.search(r"(?:(\d+) tests failed )?out of (\d+)", l) for l in sys.stdin]
failed = sum(int(m[1] or 0) for m in runs if m); total = sum(int(m[2]) for m in runs if m)
which = "the whole suite" if sys.argv[1] == "all" else "the GPU tests: names matching Cuda, Gpu or Torch"
print(f"Tests: {total - failed} of {total} passed ({which})" + (f", {failed} FAILED" if failed else ""))' "${TESTS:-gpu}"; }
    for f in "$RES"/parity-*.md; do [ -f "$f" ] && { echo; echo "## llama-bench parity: $(basename "$f" .md | sed 's/parity-//')"; echo; cat "$f"; }; done
    [ -f "$RES/llm.md" ] && { echo; echo "## torch beside llama.cpp: p512, tg128, batch 1"; echo; cat "$RES/llm.md"; }
    [ -f "$RES/quality.md" ] && { echo; echo "## Speed and quality: p512, tg128, then KL divergence against ${QUALITY_REFERENCE:-llamacpp:bf16:cuda}"; echo; cat "$RES/quality.md"; }
    [ -f "$RES/short.md" ] && { echo; echo "## Short sweep: the parity models, prompts 64 and 1024, 100 generated tokens"; echo; cat "$RES/short-time.txt" 2>/dev/null; echo; cat "$RES/short.md"; }
    [ -f "$RES/sweep.md" ] && { echo; echo "## Sweep (one table per model)"; echo; cat "$RES/sweep-time.txt" 2>/dev/null; echo; cat "$RES/sweep.md"; }
    for f in "$RES"/ops-quick.md "$RES"/ops-torchref.md; do [ -f "$f" ] && { echo; echo "## $(basename "$f" .md)"; echo; cat "$f"; }; done
  } >"$RES/summary.md"
  return 0
}

# The measured backends: llama.cpp, and torch where the build has it.
gpu_backends() { "$MTB" info --json | grep -q '"torch"' && echo llamacpp,torch || echo llamacpp; }

# Each stage's seconds, in stages.txt ("build 312"), closed when the next one starts.
start_stages "$RES/stages.txt"

# The parity models' files, made in the background (lowest priority, cores 2..) from the end of the
# build, so that synthesis overlaps the GPU tests rather than waiting in line before parity.
PARITY_MODELS=${PARITY_MODELS:-qwen-2.5-0.5b-it qwen-2.5-7b-it}
SHORT_TYPES=${SHORT_TYPES:-bf16,q8_0,q4_0}
prefetch_pid=""
prefetch_models() {
  { has parity || has short; } || return 0
  local pin=(); [ "$(nproc)" -ge 4 ] && command -v taskset >/dev/null && pin=(taskset -c "2-$(( $(nproc) - 1 ))")
  ( for m in $PARITY_MODELS; do nice -n 19 "${pin[@]}" "$MTB" models --path "$m" -t "$SHORT_TYPES" >/dev/null || exit 1; done ) \
    2>"$RES/prefetch.log" &
  prefetch_pid=$!
}
wait_prefetch() {
  [ -n "$prefetch_pid" ] || return 0
  local t0; t0=$(date +%s)
  wait "$prefetch_pid" || { echo "gpu.sh: making the parity models' files failed:"; tail -5 "$RES/prefetch.log"; }
  prefetch_pid=""
  echo "waited $(( $(date +%s) - t0 )) s for the parity models' files"
}

if has build; then
  stage build "build (CUDA ${CUDA_ARCHS:-90})"
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
  # -g1: line tables only (no change to the code), so a crash's call stack resolves (resolve_stacks).
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG -g1" \
        -DMTB_CUDA=ON -DMTB_BUILD_TESTS=ON -DMTB_TORCH=AUTO \
        -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" ${torch_prefix:+-DCMAKE_PREFIX_PATH="$torch_prefix"} \
        >"$RES/configure.log" 2>&1 || { tail -40 "$RES/configure.log"; false; }
  # Only what the asked stages run: the test binaries for `test`, llama-bench for `parity`.
  # (`|| true`: an assignment takes its last substitution's status, which set -e would act on.)
  default_targets="mtb$(has test && echo ' mtb_tests' || true)$(has parity && echo ' llama-bench' || true)"
  read -r -a targets <<<"${GPU_TARGETS:-$default_targets}"
  if ! cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc)" >"$RES/build.log" 2>&1; then
    grep -E "error|Error" "$RES/build.log" | head -40
    [ -n "$torch_prefix" ] || false
    # A torch build error must not cost the llama.cpp measurements: say so loudly, build without it.
    echo "gpu.sh: BUILD WITH TORCH FAILED (log: build-torch-failed.log); building without the torch backend"
    cp "$RES/build.log" "$RES/build-torch-failed.log"
    cmake -S . -B "$BUILD" -DMTB_TORCH=OFF >>"$RES/configure.log" 2>&1
    cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc)" >"$RES/build.log" 2>&1 \
      || { grep -E "error|Error" "$RES/build.log" | head -40; false; }
  fi
  echo "built ${targets[*]} in $(( $(date +%s) - T0 )) s"
fi
prefetch_models

if has test; then
  stage test "tests (${TESTS:-gpu})"
  # GpuE2E checks device memory by NVML's device-wide count, so it runs alone, after the rest.
  # A failing test is reported (and fails the run at its end), but the measuring stages still run.
  # TESTS=all: the slowest end-to-end tests drive the CPU backends only (CI runs them on every
  # change) and took 95-190 s each here under -j8 (their default 16 threads each oversubscribe the
  # cores): left out unless TEST_EXCLUDE='^$'.
  cpu_only_slow='LlmE2E\.(TinyRunWrites|ResumeCompletes|SameSeedSame|BatchAndDepth|CtrlCStops)'
  only='Cuda|Gpu|Torch'; [ "${TESTS:-gpu}" = all ] && only='.'
  { ctest --test-dir "$BUILD" -j 8 --output-on-failure -E "${TEST_EXCLUDE:-$cpu_only_slow}|GpuE2E" -R "$only" \
      && ctest --test-dir "$BUILD" --output-on-failure -R GpuE2E; } >"$RES/tests.log" 2>&1 \
    || { grep -B2 -A12 "FAILED\|Failure\|mtb: fatal" "$RES/tests.log" | head -120; failed_stages+=(test); }
  grep -E "tests passed|tests failed|Total Test time" "$RES/tests.log"
  resolve_stacks "$RES/tests.log" | tee "$RES/stacks.txt"
  write_summary
fi

if has calibrate; then
  stage calibrate "device ceilings (mtb info --calibrate)"
  # On a quiet machine: the host's ceilings too, which the background synthesis would lower.
  wait_prefetch
  "$MTB" info --calibrate | tee "$RES/info.txt"
  rm -f "$RES/info-head.txt"  # the summary's head shows the new ceilings
  write_summary
fi

if has parity; then
  stage parity "llama-bench parity"
  wait_prefetch
  for m in $PARITY_MODELS; do
    MTB_BUILD_DIR=$BUILD bench/parity.sh -d cuda -m "$m" -t "${PARITY_TYPES:-bf16,q4_0}" -p 512 -n 128 -r 5 \
      --pp-reps "${PARITY_PP_REPS:-20}" --rounds "${PARITY_ROUNDS:-3}" -o "$RES/parity-$m.md"
  done
  write_summary
fi

if has llm; then
  stage llm "torch beside llama.cpp (decode, batch 1)"
  "$MTB" llm -d cuda -b "$(gpu_backends)" -m "${LLM_MODELS:-qwen-2.5-0.5b-it,qwen-2.5-7b-it}" -t "${LLM_TYPES:-bf16,q8_0,q4_0}" \
    -p 512 -n 128 -r 5 --cooldown 0 --measurements "$RES/measurements" --no-report -o md 2>"$RES/llm.log" | tee "$RES/llm.md"
  write_summary
fi

if has quality; then
  stage quality "speed and quality (mtb llm --quality)"
  # Each precision's speed, then its KL divergence against llama.cpp on the GPU, on the same models:
  # torch's int8 / int4 (weight-only, its own kernels) beside llama.cpp's q8_0 / q4_0. The reference
  # is bf16 by default here: a 7B model's f32 file (30 GB) beside its bf16, q8_0 and q4_0 files would
  # not fit the RAM disk the cache lives on, and synthesizing it costs a minute of the rental.
  "$MTB" llm -d cuda -b "$(gpu_backends)" -m "${QUALITY_MODELS:-qwen-2.5-7b-it}" -t "${QUALITY_TYPES:-bf16,q8_0,q4_0}" \
    -p 512 -n 128 -r 3 --cooldown 0 --quality --quality-reference "${QUALITY_REFERENCE:-llamacpp:bf16:cuda}" \
    --measurements "$RES/measurements" --no-report -o md 2>"$RES/quality.log" \
    | tee "$RES/quality.md" || failed_stages+=(quality)
  write_summary
fi

if has short; then
  stage short "short sweep (the parity models, prompts 64 and 1024)"
  wait_prefetch
  MTB_BUILD_DIR=$BUILD SWEEP_MODELS=$PARITY_MODELS SWEEP_TYPES=$SHORT_TYPES SWEEP_PROMPTS=${SHORT_PROMPTS:-64,1024} \
    bench/sweep.sh -d cuda -o "$RES" --name short | tail -1 || failed_stages+=(short)
  write_summary
fi

if has sweep; then
  stage sweep "GPU sweep: every zoo model up to 8B"
  # One worker per (model, backend) runs the three precisions, each file loaded once for its four
  # prompt lengths; prompt and generation each stop repeating once their median's 95% interval is
  # within 2% (at least 2 repetitions). Model k+1's files are made while model k is measured.
  MTB_BUILD_DIR=$BUILD bench/sweep.sh -d cuda -o "$RES" --name sweep | tail -1 || failed_stages+=(sweep)
  write_summary
fi

if has ops; then
  stage ops "op benchmark (bench/gpu_ops.sh)"
  # The op tests already ran with the suite; ggml's test-backend-ops comparison (OPS_STAGES=tbo)
  # compiles ggml-cuda a second time, ~5 minutes, so it is not in the default run.
  read -r -a ops_stages <<<"${OPS_STAGES:-quick torchref}"
  MTB_BUILD_DIR=$BUILD OUT=$RES bench/gpu_ops.sh "${ops_stages[@]}" || failed_stages+=(ops)
  for f in "$RES"/ops-*.log; do resolve_stacks "$f"; done | tee -a "$RES/stacks.txt"
  write_summary
fi

stage ""
if has summary; then
  say "summary"
  write_summary
  echo "summary: $RES/summary.md"
fi
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "stages failed: ${failed_stages[*]} (the others ran) after $(( $(date +%s) - T0 )) s" | tee "$RES/failed"
  export_results
  exit 1
fi
echo "gpu.sh: done in $(( $(date +%s) - T0 )) s" | tee "$RES/done"
export_results
