#!/usr/bin/env bash
# Everything mtb checks and measures on a GPU machine, in one script: CUDA build, the test suite
# (GPU tests included), device ceilings, llama-bench parity and a GPU benchmark plan. Writes logs,
# run folders and a summary to $OUT (default ./gpu-out). Rerunnable: each stage skips finished work.
#
#   bench/gpu.sh [build] [test] [parity] [sweep]     (default: all four)
#
# On a machine without a package registry, run bench/pack-device.sh beforehand where there is one
# and carry .device/ along: the script unpacks it. CUDA_ARCHS (default 90) picks the GPU targets.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/gpu-out}
BUILD=${MTB_BUILD_DIR:-$ROOT/build-cuda}
export MTB_CACHE_DIR=${MTB_CACHE_DIR:-/tmp/mtb-cache}
mkdir -p "$OUT"
stages=("$@"); [ ${#stages[@]} -eq 0 ] && stages=(build test parity sweep)
has() { local s; for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
say() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
T0=$(date +%s)

# --- dependencies: from the packed .device/ where the machine has no registry --------------------
if [ -d .device/debs ] && [ ! -f /usr/include/brotli/decode.h ]; then
  for deb in .device/debs/*.deb; do dpkg -x "$deb" /; done
fi
if [ ! -f third_party/llama.cpp/CMakeLists.txt ]; then
  [ -f .device/llama.cpp.tar.gz ] || { echo "gpu.sh: no llama.cpp tree: run scripts/setup.sh or bench/pack-device.sh" >&2; exit 1; }
  mkdir -p third_party/llama.cpp
  tar -xzf .device/llama.cpp.tar.gz -C third_party/llama.cpp
  cp .device/llama.cpp.commit third_party/llama.cpp/.mtb-commit
fi
export MTB_VOCAB_DIR=$ROOT/third_party/llama.cpp/models
[ -f .device/plotly.min.js ] && export MTB_PLOTLY_JS=$ROOT/.device/plotly.min.js

if has build; then
  say "build (CUDA ${CUDA_ARCHS:-90})"
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMTB_CUDA=ON -DMTB_BUILD_TESTS=ON -DMTB_TORCH=AUTO \
        -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" ${torch_prefix:+-DCMAKE_PREFIX_PATH="$torch_prefix"} \
        >"$OUT/configure.log" 2>&1 || { tail -40 "$OUT/configure.log"; exit 1; }
  read -r -a targets <<<"${GPU_TARGETS:-mtb mtb_tests llama-bench}"
  if ! cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc)" >"$OUT/build.log" 2>&1; then
    grep -E "error|Error" "$OUT/build.log" | head -40
    [ -n "$torch_prefix" ] || exit 1
    # A torch build error must not cost the llama.cpp measurements: say so loudly, build without it.
    echo "gpu.sh: BUILD WITH TORCH FAILED (log: build.log); building without the torch backend"
    cp "$OUT/build.log" "$OUT/build-torch-failed.log"
    cmake -S . -B "$BUILD" -DMTB_TORCH=OFF >>"$OUT/configure.log" 2>&1
    cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc)" >"$OUT/build.log" 2>&1 \
      || { grep -E "error|Error" "$OUT/build.log" | head -40; exit 1; }
  fi
  echo "built in $(( $(date +%s) - T0 )) s"
fi
MTB=$BUILD/mtb

if has test; then
  say "tests"
  ctest --test-dir "$BUILD" -j 8 --output-on-failure >"$OUT/tests.log" 2>&1 || { tail -60 "$OUT/tests.log"; exit 1; }
  tail -3 "$OUT/tests.log"
  grep -h "Skipped\|SKIPPED" "$OUT/tests.log" | head -5 || true
  "$MTB" info --calibrate | tee "$OUT/info.txt"
fi

if has parity; then
  say "llama-bench parity"
  for m in ${PARITY_MODELS:-qwen-2.5-0.5b-it qwen-2.5-7b-it}; do
    MTB_BUILD_DIR=$BUILD bench/parity.sh -d cuda -m "$m" -t "${PARITY_TYPES:-bf16,q4_0}" -p 512 -n 128 -r 5 \
      --rounds "${PARITY_ROUNDS:-2}" -o "$OUT/parity-$m.md"
  done
fi

if has sweep; then
  say "GPU plan"
  backends=llamacpp
  "$MTB" info --json | grep -q '"torch"' && backends=llamacpp,torch
  "$MTB" llm -d cuda -b "${SWEEP_BACKENDS:-$backends}" -m "${SWEEP_MODELS:-qwen-2.5-0.5b-it,qwen-2.5-7b-it}" \
    -t "${SWEEP_TYPES:-bf16,q4_0}" -p "${SWEEP_PROMPTS:-64,256,1024,4096}" -n 128 -r 5 --cooldown 0 \
    --measurements "$OUT/measurements" -o md | tee "$OUT/sweep.md"
fi
echo "gpu.sh: done in $(( $(date +%s) - T0 )) s"
