#!/usr/bin/env bash
# `mtb ops` on a CUDA machine, after bench/gpu.sh build (same build folder): ceilings, the op test
# suite on the GPU, the quick default on cuda (torch eager, torch CUDA graph, ggml-cuda), the
# ancestor's layer sweep, and the outside references: PyTorch in Python (bench/torch_ops_ref.py) and
# ggml's test-backend-ops (bench/ops_vs_test_backend_ops.sh), each alternated with mtb on the same shapes.
#
#   bench/gpu_ops.sh [test] [quick] [torchref] [tbo] [sweep]      (default: test quick torchref)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/gpu-out}
BUILD=${MTB_BUILD_DIR:-$ROOT/build-cuda}
MTB=$BUILD/mtb
export MTB_CACHE_DIR=${MTB_CACHE_DIR:-/tmp/mtb-cache}
mkdir -p "$OUT"
stages=("$@"); [ ${#stages[@]} -eq 0 ] && stages=(test quick torchref)
has() { local s; for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
say() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
[ -x "$MTB" ] || { echo "gpu_ops.sh: no $MTB: run bench/gpu.sh build first" >&2; exit 1; }
# Calibrates only where no ceilings are cached: inside bench/gpu.sh the sweep's records were computed
# against the calibration its own stage made, and the summary must show those ceilings.
if "$MTB" info 2>/dev/null | grep -q '^ceilings   not measured'; then
  "$MTB" info --calibrate > "$OUT/ops-info.txt" 2>&1 || true
else
  "$MTB" info > "$OUT/ops-info.txt" 2>&1 || true
fi

if has test; then
  say "op tests (CPU and CUDA)"
  ctest --test-dir "$BUILD" -R '^(Op|GgmlOps|TorchOps|OpsE2E)' --output-on-failure 2>&1 | tee "$OUT/ops-tests.log" | tail -15
fi
if has quick; then
  say "mtb ops quick default on cuda"
  "$MTB" ops -d cuda --measurements "$OUT/measurements" --no-report -o md 2>"$OUT/ops-quick.log" | tee "$OUT/ops-quick.md"
fi
if has torchref; then
  # The same four torch ops, mtb then Python, twice, at the ancestor's largest shape.
  say "torch: mtb vs a Python loop (bench/torch_ops_ref.py)"
  for round in 1 2; do
    "$MTB" ops -b torch -d cuda --ops linear,layer_norm,softmax,sdpa --mask causal --batch 64 --seq 512 \
      --measurements "$OUT/measurements" --no-report -o md 2>>"$OUT/ops-torchref.log" | tee -a "$OUT/ops-torchref.md"
    python3 bench/torch_ops_ref.py --device cuda --batch 64 --seq 512 | tee -a "$OUT/ops-torchref.md"
  done
fi
if has tbo; then
  say "ggml: mtb vs test-backend-ops -m perf on CUDA0 (builds test-backend-ops in a scratch folder)"
  MTB=$MTB TBO_BUILD=${TBO_BUILD:-/tmp/tbo-build-cuda} bench/ops_vs_test_backend_ops.sh --device cuda --batch 64 --seq 512 \
    | tee "$OUT/ops-tbo.md"
fi
if has sweep; then
  say "the ancestor's layer sweep on cuda"
  "$MTB" ops -d cuda --ops layer_norm,linear,softmax,sdpa,mhsa,encoder_layer,decoder_layer \
    --batch 64,32,16,8,1 --seq 512,256,128,64 --heads 1,8 --mask none,causal --dtype float32,bfloat16 \
    --time-cap 0.5 --measurements "$OUT/measurements" --no-report -o md 2>"$OUT/ops-sweep.log" > "$OUT/ops-sweep.md"
  tail -5 "$OUT/ops-sweep.log"
fi
