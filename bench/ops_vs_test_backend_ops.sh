#!/usr/bin/env bash
# mtb ops against llama.cpp's own op benchmark, test-backend-ops -m perf, on the same pinned ggml and
# the same shapes: matmul_quant (q8_0, q4_0) = MUL_MAT, softmax = SOFT_MAX, rms_norm = RMS_NORM + MUL.
# test-backend-ops is built in a scratch folder outside the repo; both run alternately, --rounds times.
#
#   bench/ops_vs_test_backend_ops.sh [--batch 16] [--seq 512] [--feature 768] [--rounds 2] [--device cpu]
#
# Matching what test-backend-ops does: one thread on this 2-core VM (it uses hardware_concurrency/2),
# warm inputs (--rotate 0: it reuses one buffer), and its figure is a mean over copies of the op in
# one graph, so mtb's median of one-graph-per-call also carries ggml's per-graph overhead.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
batch=16 seq=512 feature=768 rounds=2 device=cpu
scratch="${TBO_BUILD:-/work/tbo-build}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch) batch="$2"; shift 2 ;;
    --seq) seq="$2"; shift 2 ;;
    --feature) feature="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 1 ;;
  esac
done
llama="$here/third_party/llama.cpp"
mtb="${MTB:-$here/build/mtb}"
if [[ ! -x "$scratch/bin/test-backend-ops" ]]; then
  cuda=OFF; [[ "$device" == cuda ]] && cuda=ON
  cmake -S "$llama" -B "$scratch" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=ON -DLLAMA_BUILD_TOOLS=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DGGML_NATIVE=ON \
    -DBUILD_SHARED_LIBS=OFF -DGGML_CUDA=$cuda -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" >/dev/null
  cmake --build "$scratch" --target test-backend-ops -j"$(nproc)" >/dev/null
fi
tbo="$scratch/bin/test-backend-ops"
gen="$scratch/tbo_cases"
c++ -std=c++17 -O1 -I"$llama/ggml/include" "$here/bench/tbo_cases.cpp" "$scratch/ggml/src/libggml-base.a" -fopenmp -lpthread -lm -o "$gen"
cases="$scratch/mtb_cases.txt"
"$gen" "$batch" "$seq" "$feature" > "$cases"
backend=CPU; [[ "$device" == cuda ]] && backend=CUDA0
threads=$(( $(nproc) / 2 )); (( threads < 1 )) && threads=1
[[ "$device" == cuda ]] && threads=0

out="$(mktemp -d)"
# Alternate op by op (test-backend-ops, then mtb, on the same shape), so a busy machine's drift hits
# both sides of each ratio alike.
# ggml (CPU and CUDA) fuses RMS_NORM + MUL into one pass; test-backend-ops times the nodes one by one,
# so the comparison runs mtb unfused (GGML_{CPU,CUDA}_DISABLE_FUSION=1), its fused rms_norm beside it.
common=(ops -b ggml -d "$device" --batch "$batch" --seq "$seq" --feature "$feature" --threads "$threads" --rotate 0
        --time-cap 2 --target-ci 0.01 --no-report -o csv)
for r in $(seq "$rounds"); do
  for op in matmul_q8_0 matmul_q4_0 softmax rms_norm; do
    "$tbo" perf -b "$backend" --test-file "$cases" -p "name=mtb_${op}" >> "$out/tbo_$r.txt" 2>/dev/null
    case "$op" in
      matmul_*) args=(--ops matmul_quant --quant "${op#matmul_}") ;;
      *) args=(--ops "$op") ;;
    esac
    GGML_CPU_DISABLE_FUSION=1 GGML_CUDA_DISABLE_FUSION=1 "$mtb" "${common[@]}" "${args[@]}" --measurements "$out/m" >> "$out/mtb_$r.csv" 2>/dev/null || true
  done
  "$mtb" "${common[@]}" --ops rms_norm --measurements "$out/f" > "$out/fused_$r.csv" 2>/dev/null || true
done
python3 - "$out" "$rounds" "$batch" "$seq" "$feature" "$threads" <<'PY'
import csv, glob, statistics, sys
out, rounds, b, t, d, th = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
import re
tbo = {}   # node name -> [us per run, one per round]: its console lines "name=...): N runs - X us/run"
for f in sorted(glob.glob(f"{out}/tbo_*.txt")):
    for m in re.finditer(r"name=(mtb_\w+),.*?:\s+\d+ runs -\s+([\d.]+) us/run", open(f).read()):
        tbo.setdefault(m.group(1), []).append(float(m.group(2)))
mtb = {}
for pattern, suffix in ((f"{out}/mtb_*.csv", ""), (f"{out}/fused_*.csv", "_fused")):
    for f in sorted(glob.glob(pattern)):
        for row in csv.DictReader(open(f)):  # repeated header lines read as rows whose status is "status"
            if row.get("status") != "ok": continue
            key = {"matmul_quant": f"mtb_matmul_{row['quant']}", "softmax": "mtb_softmax", "rms_norm": "mtb_rms_norm"}[row["op"]]
            mtb.setdefault(key + suffix, []).append(float(row["median_ms"]) * 1e3)
print(f"ggml ops, batch {b} x seq {t} x feature {d}, {th} thread(s), {rounds} rounds (median of rounds)\n")
print("| mtb op | test-backend-ops node(s) | test-backend-ops us | mtb us | mtb / tbo |")
print("| --- | --- | ---: | ---: | ---: |")
rows = [("matmul_quant q8_0", ["mtb_matmul_q8_0"], "mtb_matmul_q8_0"), ("matmul_quant q4_0", ["mtb_matmul_q4_0"], "mtb_matmul_q4_0"),
        ("softmax", ["mtb_softmax"], "mtb_softmax"), ("rms_norm (unfused)", ["mtb_rms_norm", "mtb_rms_norm_weight"], "mtb_rms_norm"),
        ("rms_norm (ggml fuses it)", ["mtb_rms_norm", "mtb_rms_norm_weight"], "mtb_rms_norm_fused")]
for label, nodes, key in rows:
    if not all(n in tbo for n in nodes) or key not in mtb:
        print(f"| {label} | missing | | | |"); continue
    t_us = sum(statistics.median(tbo[n]) for n in nodes)
    m_us = statistics.median(mtb[key])
    names = " + ".join({"mtb_matmul_q8_0": "MUL_MAT q8_0", "mtb_matmul_q4_0": "MUL_MAT q4_0", "mtb_softmax": "SOFT_MAX",
                        "mtb_rms_norm": "RMS_NORM", "mtb_rms_norm_weight": "MUL"}[n] for n in nodes)
    print(f"| {label} | {names} | {t_us:.1f} | {m_us:.1f} | {m_us / t_us:.3f} |")
PY
rm -rf "$out"
