#!/usr/bin/env bash
# MLX on a CUDA machine that reaches no network: builds MLX's CUDA backend from .device/mlx-cuda/
# (bench/pack-mlx-cuda.sh: MLX's sources and every FetchContent source its CMake would download,
# pointed at with FETCHCONTENT_SOURCE_DIR_<NAME>), installs it, builds mtb against it beside
# llama.cpp and torch (bench/gpu.sh's CUDA configuration plus MLX_ROOT), then runs MLX on the GPU:
# the op verification (`mtb ops`), `mtb check` against llama.cpp and torch on the tiny models, and
# `mtb llm` of llama.cpp, torch and MLX on qwen-2.5-0.5b-it. Run from the repository root there.
#
#   bench/mlx-cuda.sh [STAGE...]          in the foreground (default: mlx mtb ops check llm summary)
#   bench/mlx-cuda.sh --detach [STAGE...] in a new process session (the MLX build outlasts a
#                                         10-minute command); then:
#   bench/mlx-cuda.sh --status [SECS]     waits up to SECS (default 0) for the detached run to end,
#                                         prints the log's tail, copies the results to $OUT when set
#
# Stages: mlx (unpack, configure, build, install; build seconds in mlx-build-time.txt), mtb (the
# build-mlx-cuda folder), ops, check, llm, ctest (the suite's Mlx tests: CPU paths, needs MLX's CPU
# backend), summary (mlx-cuda.md). Results: $GPU_RESULTS (default /tmp/mtb-gpu), every file named
# mlx-*, and run folders under measurements-mlx; each stage's seconds in mlx-stages.txt.
# Knobs: MLX_WORK (/tmp/mlx-cuda: sources, MLX's build), MLX_PREFIX (/tmp/mlx-cuda-install),
# MTB_BUILD_DIR (build-mlx-cuda), MLX_CUDA_ARCHS (90a: MLX's own pick on an H100/H200; wgmma
# kernels need the "a"), CUDA_ARCHS (90, mtb's), MLX_CPU (auto: ON where lapacke.h and cblas.h are
# found), CUDNN_ROOT (a dir with include/cudnn.h and lib/; default: the toolkit's, else pip's
# nvidia-cudnn), LLM_MODELS, LLM_TYPES, LLM_PROMPTS, LLM_NGEN, LLM_REPS, CHECK_MODELS.
# While MLX builds, llama.cpp's libraries build beside it at low priority (MLX's last CUTLASS
# kernels compile on a few cores only).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RES=${GPU_RESULTS:-/tmp/mtb-gpu}
PKG=$ROOT/.device/mlx-cuda
WORK=${MLX_WORK:-/tmp/mlx-cuda}
PREFIX=${MLX_PREFIX:-/tmp/mlx-cuda-install}
BUILD=${MTB_BUILD_DIR:-$ROOT/build-mlx-cuda}
MTB=$BUILD/mtb
source "$ROOT/bench/remote_run.sh"
pick_model_cache
mkdir -p "$RES"

export_results() {
  [ -n "${OUT:-}" ] && [ "$OUT" != "$RES" ] || return 0
  mkdir -p "$OUT"
  for f in mlx-cuda.md mlx-cuda.log mlx-stages.txt mlx-build-time.txt; do if [ -f "$RES/$f" ]; then cp "$RES/$f" "$OUT/"; fi; done
  local keep=(); mapfile -t keep < <(cd "$RES" && ls -d mlx-* measurements-mlx 2>/dev/null)
  [ ${#keep[@]} -eq 0 ] || tar -czf "$OUT/mlx-cuda-results.tar.gz" -C "$RES" "${keep[@]}" || true
  return 0
}

remote_control mlx-cuda.sh "$RES/mlx-cuda.log" "$RES/mlx-done" "$RES/mlx-failed" export_results -- "$@"
case "${1:-}" in
  -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
esac

stages=("$@"); [ ${#stages[@]} -eq 0 ] && stages=(mlx mtb ops check llm summary)
T0=$(date +%s)
failed_stages=()
trap 'echo "stage ${stage_name:-?} failed at line $LINENO after $(( $(date +%s) - T0 )) s" > "$RES/mlx-failed"; export_results' ERR
start_stages "$RES/mlx-stages.txt"

# --- the toolchain and mtb's own packed dependencies (as bench/gpu.sh) -------------------------
[ -x /usr/local/cuda/bin/nvcc ] && ! command -v nvcc >/dev/null && export PATH=/usr/local/cuda/bin:$PATH
command -v nvcc >/dev/null || { echo "mlx-cuda.sh: no nvcc on PATH or in /usr/local/cuda/bin" >&2; exit 1; }
export CUDA_HOME=${CUDA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")}  # MLX's NVRTC finds headers there
nvcc_version=$(nvcc --version | grep -o 'release [0-9.]*' | cut -d' ' -f2)
use_packed_dependencies
# cuDNN (MLX's FindCUDNN needs it, at MLX's build and at mtb's configure through MLXConfig): the
# toolkit's, else pip's nvidia-cudnn-cu13 (torch's). Passed as CMake's search paths, not MLX's
# CUDNN_*_PATH: torch's own FindCUDNN reads CUDNN_LIBRARY_PATH as a library file.
cudnn=${CUDNN_ROOT:-}
[ -z "$cudnn" ] && [ -f "$CUDA_HOME/include/cudnn.h" ] && cudnn=$CUDA_HOME
[ -z "$cudnn" ] && cudnn=$(python3 -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null || true)
search=()
[ -n "$cudnn" ] && [ "$cudnn" != "$CUDA_HOME" ] && search=(-DCMAKE_INCLUDE_PATH="$cudnn/include" -DCMAKE_LIBRARY_PATH="$cudnn/lib;$cudnn/lib64")
echo "nvcc $nvcc_version at $CUDA_HOME; $(cmake --version | head -1); cuDNN at ${cudnn:-NOT FOUND}; model cache $MTB_CACHE_DIR"

llamacpp_pid=""
configure_mtb() {  # bench/gpu.sh's CUDA configuration, MLX_ROOT added
  local torch_prefix; torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG -g1" \
        -DMTB_CUDA=ON -DMTB_BUILD_TESTS=ON -DMTB_TORCH=AUTO -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" \
        ${torch_prefix:+-DCMAKE_PREFIX_PATH="$torch_prefix"} -DMLX_ROOT="$PREFIX" "${search[@]}"
}

if has mlx; then
  stage mlx-configure "MLX: unpack and configure (MLX_BUILD_CUDA, $(sed -n 2p "$PKG/manifest.txt" | awk '{print $2}'))"
  [ -f "$PKG/manifest.txt" ] || { echo "mlx-cuda.sh: no $PKG: run bench/pack-mlx-cuda.sh where the mirrors are, carry .device" >&2; false; }
  case "$nvcc_version" in 13.1|13.1.*) echo "mlx-cuda.sh: MLX refuses CUDA 13.1 (its CMakeLists: not supported)" >&2; false ;; esac
  [ -f "$cudnn/include/cudnn.h" ] || { echo "mlx-cuda.sh: no cudnn.h (set CUDNN_ROOT)" >&2; false; }
  rm -rf "$WORK/src" && mkdir -p "$WORK/src"
  fc=()
  while read -r name _ ref commit _ file; do
    tar -xzf "$PKG/$file" -C "$WORK/src"
    [ "$name" = mlx ] || fc+=("-DFETCHCONTENT_SOURCE_DIR_${name^^}=$WORK/src/$name")
    echo "  $name $ref ($commit)"
  done < <(grep -v '^#' "$PKG/manifest.txt")
  cpu=${MLX_CPU:-auto}
  if [ "$cpu" = auto ]; then
    cpu=OFF
    find /usr/include /usr/local/include -name lapacke.h 2>/dev/null | grep -q . \
      && find /usr/include /usr/local/include -name cblas.h 2>/dev/null | grep -q . && cpu=ON
  fi
  echo "MLX_BUILD_CPU=$cpu" | tee "$RES/mlx-cpu.txt"
  cmake -S "$WORK/src/mlx" -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
        -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_RPATH_USE_LINK_PATH=ON -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
        -DMLX_BUILD_CUDA=ON -DMLX_BUILD_METAL=OFF -DMLX_BUILD_CPU="$cpu" -DMLX_BUILD_TESTS=OFF -DMLX_BUILD_EXAMPLES=OFF \
        -DMLX_BUILD_BENCHMARKS=OFF -DMLX_BUILD_PYTHON_BINDINGS=OFF -DMLX_BUILD_GGUF=OFF -DMLX_BUILD_SAFETENSORS=OFF \
        -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" -DMLX_CUDA_ARCHITECTURES="${MLX_CUDA_ARCHS:-90a}" \
        -DFETCHCONTENT_FULLY_DISCONNECTED=ON "${fc[@]}" "${search[@]}" \
        >"$RES/mlx-configure.log" 2>&1 || { tail -40 "$RES/mlx-configure.log"; false; }
  # llama.cpp's libraries (mtb's longest build) on the cores MLX's build leaves idle.
  if has mtb; then
    ( configure_mtb >"$RES/mlx-mtb-preconfigure.log" 2>&1 \
        && nice -n 19 cmake --build "$BUILD" --target llama -j "$(nproc)" >"$RES/mlx-llamacpp-build.log" 2>&1 ) &
    llamacpp_pid=$!
  fi
  stage mlx-build "MLX: build and install ($(nproc) jobs)"
  t=$(date +%s)
  cmake --build "$WORK/build" -j "$(nproc)" >"$RES/mlx-build.log" 2>&1 \
    || { grep -E "error|Error" "$RES/mlx-build.log" | head -40; false; }
  echo $(( $(date +%s) - t )) >"$RES/mlx-build-time.txt"
  cmake --install "$WORK/build" >"$RES/mlx-install.log" 2>&1
  echo "MLX built in $(cat "$RES/mlx-build-time.txt") s, installed to $PREFIX"
fi

if has mtb; then
  stage mtb "mtb: build-mlx-cuda against $PREFIX"
  if [ -n "$llamacpp_pid" ]; then wait "$llamacpp_pid" || echo "mlx-cuda.sh: llama.cpp's early build failed (mlx-llamacpp-build.log); building it now"; fi
  configure_mtb >"$RES/mlx-mtb-configure.log" 2>&1 || { tail -40 "$RES/mlx-mtb-configure.log"; false; }
  grep -q "mtb: MLX backend ON" "$RES/mlx-mtb-configure.log" \
    || { grep -i -A3 "mlx" "$RES/mlx-mtb-configure.log" | head -20; echo "mlx-cuda.sh: mtb did not find MLX at $PREFIX" >&2; false; }
  targets=(mtb); has ctest && targets+=(mtb_tests)
  cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc)" >"$RES/mlx-mtb-build.log" 2>&1 \
    || { grep -E "error|Error" "$RES/mlx-mtb-build.log" | head -40; false; }
  "$MTB" info >"$RES/mlx-info.txt" 2>&1 || true
  grep -A12 '^backends' "$RES/mlx-info.txt" || true
fi
with_torch() { "$MTB" info --json 2>/dev/null | grep -q '"torch"' && echo "$1,torch" || echo "$1"; }

if has ops; then
  stage ops "MLX's ops on cuda, verified against float64 (beside ggml and torch)"
  b=$(with_torch ggml),mlx
  { "$MTB" ops -b "$b" -d cuda --dtype float32,bfloat16 --batch 1 --seq 16 --feature 64 --heads 2 --time-cap 0.02 \
      --warmup 1 --min-reps 2 --measurements "$RES/measurements-mlx" --no-report -o md 2>"$RES/mlx-ops-verify.log" \
      | tee "$RES/mlx-ops-verify.md"; } || failed_stages+=(ops-verify)
  { "$MTB" ops -b "$b" -d cuda --measurements "$RES/measurements-mlx" --no-report -o md 2>"$RES/mlx-ops-quick.log" \
      | tee "$RES/mlx-ops-quick.md"; } || failed_stages+=(ops-quick)
fi

if has check; then
  stage check "mtb check: MLX on cuda against llama.cpp and torch, tiny models"
  echo "| reference | model | type | exit | result |" >"$RES/mlx-check.md"
  echo "| --- | --- | --- | ---: | --- |" >>"$RES/mlx-check.md"
  : >"$RES/mlx-check.log"
  run_check() {  # REF MODEL TYPE [extra args]
    local rc=0 out
    out=$("$MTB" check -b "$1,mlx" -d cuda -m "$2" -t "$3" -p 24 -n 4 --batch 2 "${@:4}" 2>&1) || rc=$?
    printf '\n### %s vs mlx, %s, %s\n%s\n' "$1" "$2" "$3" "$out" >>"$RES/mlx-check.log"
    echo "| $1 | $2 | $3 | $rc | $(grep -o -m1 -E 'PASS|FAIL' <<<"$out" || echo '?') |" | tee -a "$RES/mlx-check.md"
    [ "$rc" -eq 0 ] || failed_stages+=("check:$1:$2:$3")
  }
  for ref in $(with_torch llamacpp | tr , ' '); do
    for m in ${CHECK_MODELS:-tiny tiny-qwen3 tiny-llama tiny-gemma3}; do run_check "$ref" "$m" f32; done
  done
  run_check llamacpp tiny bf16
  run_check llamacpp tiny q8_0 --rtol 0.12 --top1 0.75  # MLX requantizes q8_0 (tests/e2e/mlx_e2e_test.cpp)
fi

if has llm; then
  stage llm "mtb llm: llama.cpp, torch and MLX on cuda"
  { "$MTB" llm -b "$(with_torch llamacpp),mlx" -d cuda -m "${LLM_MODELS:-qwen-2.5-0.5b-it}" -t "${LLM_TYPES:-bf16,q8_0,q4_0}" \
      -p "${LLM_PROMPTS:-64,1024}" -n "${LLM_NGEN:-100}" -r "${LLM_REPS:-5}" --cooldown 0 \
      --measurements "$RES/measurements-mlx" --no-report -o md 2>"$RES/mlx-llm.log" | tee "$RES/mlx-llm.md"; } || failed_stages+=(llm)
fi

if has ctest; then
  stage ctest "the suite's Mlx tests (CPU paths)"
  ctest --test-dir "$BUILD" -R Mlx --output-on-failure >"$RES/mlx-tests.log" 2>&1 || failed_stages+=(ctest)
  grep -E "tests passed|tests failed" "$RES/mlx-tests.log" || true
fi

stage ""
if has summary; then
  say summary
  {
    echo "# MLX on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1), $(date -u +%Y-%m-%d)"
    echo
    echo "nvcc $nvcc_version, cuDNN at ${cudnn:-?}, $(cat "$RES/mlx-cpu.txt" 2>/dev/null), MLX build $(cat "$RES/mlx-build-time.txt" 2>/dev/null || echo '?') s"
    echo; echo "Stages (s): $(paste -sd' ' "$RES/mlx-stages.txt")"
    echo; echo '```'; grep -v '^#' "$PKG/manifest.txt"; echo '```'
    if [ -f "$RES/mlx-info.txt" ]; then
      echo; awk '/^(gpu|mtb|backends)/ {b = /^backends/; print; next} b && /^  / {print; next} {b = 0}' "$RES/mlx-info.txt" | sed 's/^/    /'
    fi
    for f in ops-verify ops-quick check llm; do
      if [ -f "$RES/mlx-$f.md" ]; then echo; echo "## $f"; echo; cat "$RES/mlx-$f.md"; fi
    done
    if [ ${#failed_stages[@]} -gt 0 ]; then echo; echo "Failed: ${failed_stages[*]}"; fi
  } >"$RES/mlx-cuda.md"
  echo "summary: $RES/mlx-cuda.md"
fi
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "failed: ${failed_stages[*]} (the other stages ran) after $(( $(date +%s) - T0 )) s" | tee "$RES/mlx-failed"
  export_results
  exit 1
fi
echo "mlx-cuda.sh: done in $(( $(date +%s) - T0 )) s" | tee "$RES/mlx-done"
export_results
