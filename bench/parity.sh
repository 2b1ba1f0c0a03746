#!/usr/bin/env bash
# Parity with llama-bench: runs llama-bench (built from the same pinned llama.cpp tree) and
# `mtb llm` on the same GGUF, prompt and generation lengths, threads and device, alternating
# between the two tools, and prints both with their ratio.
#
#   bench/parity.sh [-m MODEL] [-t TYPES] [-p 512] [-n 128] [-r 5] [--pp-reps R] [-d cpu|cuda|metal] [--rounds 2]
#
# MODEL is a zoo name (synthesized, cached) or a GGUF path; TYPES a comma list (zoo models only).
# llama-bench measures pp (prompt only, from an empty cache) and tg (generation only, from an
# empty cache) as separate tests, so mtb runs the same two shapes: -p N -n 0 and -p 0 -n N.
# --pp-reps (default: -r) repeats the prompt test more often than generation: a small model's
# 512-token pass on a GPU takes ~5 ms and varies by 25-30% between passes in both tools, so its
# median needs more samples than a generation run's, and they cost little.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MTB_BUILD_DIR:-$ROOT/build}
MODEL=qwen-2.5-0.5b-it TYPES=bf16,q4_0 P=512 N=128 R=5 RP="" DEVICE=cpu ROUNDS=2 OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    -m) MODEL=$2; shift 2 ;;
    -t) TYPES=$2; shift 2 ;;
    -p) P=$2; shift 2 ;;
    -n) N=$2; shift 2 ;;
    -r) R=$2; shift 2 ;;
    --pp-reps) RP=$2; shift 2 ;;
    -d) DEVICE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -o) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "parity.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
RP=${RP:-$R}

MTB=$BUILD/mtb
LB=$BUILD/bin/llama-bench
[ -x "$MTB" ] || { echo "parity.sh: $MTB missing: run scripts/setup.sh" >&2; exit 1; }
if [ ! -x "$LB" ]; then
  echo "[parity] building llama-bench" >&2
  cmake --build "$BUILD" --target llama-bench >/dev/null
fi
command -v python3 >/dev/null || { echo "parity.sh: python3 is needed to tabulate" >&2; exit 1; }

# Same thread count for both: physical cores, as both default to.
THREADS=$("$MTB" info --json | python3 -c 'import json,sys; h=json.load(sys.stdin)["hardware_info"]["host"]; print(h["performance_cores"] or h["physical_cores"])')
NGL=99; FA=auto
[ "$DEVICE" = cpu ] && NGL=0
[ "$DEVICE" != cpu ] && FA=1

WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
IFS=, read -r -a types <<<"$TYPES"
# The two tests as two shapes with their own repetitions, the same for both tools.
shapes=("-p $P -n 0 -r $RP" "-p 0 -n $N -r $R")
for t in "${types[@]}"; do
  if [ -f "$MODEL" ]; then gguf=$MODEL; prec=file; else gguf=$("$MTB" models --path "$MODEL" -t "$t"); prec=$t; fi
  for round in $(seq "$ROUNDS"); do
    echo "[parity] $MODEL $t round $round/$ROUNDS: llama-bench" >&2
    for shape in "${shapes[@]}"; do
      # shellcheck disable=SC2086
      "$LB" -m "$gguf" $shape -t "$THREADS" -ngl "$NGL" -fa "$FA" -o jsonl \
        >> "$WORK/lb-$t-$round.jsonl" 2>"$WORK/lb.log" || { cat "$WORK/lb.log" >&2; exit 1; }
    done
    echo "[parity] $MODEL $t round $round/$ROUNDS: mtb" >&2
    for shape in "${shapes[@]}"; do
      # shellcheck disable=SC2086
      "$MTB" llm -b llamacpp -m "$gguf" -t file -d "$DEVICE" $shape --threads "$THREADS" --cooldown 0 --no-report \
        --measurements "$WORK/m" -o jsonl 2>>"$WORK/mtb.log" >> "$WORK/mtb-$t-$round.jsonl"
    done
  done
done

python3 - "$WORK" "$MODEL" "$P" "$N" "$THREADS" "$DEVICE" "$OUT" <<'EOF'
import glob, json, os, statistics, sys
work, model, p, n, threads, device, out = sys.argv[1:8]
p, n = int(p), int(n)
rows = []
types = sorted({os.path.basename(f).split("-")[1] for f in glob.glob(f"{work}/lb-*.jsonl")})
for t in types:
    lb = {"pp": [], "tg": []}; mt = {"pp": [], "tg": []}
    for f in glob.glob(f"{work}/lb-{t}-*.jsonl"):
        for line in open(f):
            r = json.loads(line)
            key = "pp" if r["n_prompt"] > 0 else "tg"
            lb[key] += r["samples_ts"]
    for f in glob.glob(f"{work}/mtb-{t}-*.jsonl"):
        for line in open(f):
            r = json.loads(line)
            if r["status"] != "ok":
                sys.exit(f"mtb case failed: {r['error']}")
            if r["n_prompt"] > 0:
                mt["pp"] += [r["n_prompt"] / s for s in r["samples_prompt_s"]]
            else:
                mt["tg"] += [r["n_gen"] / s for s in r["samples_gen_s"]]
    for key, size in (("pp", p), ("tg", n)):
        a, b = lb[key], mt[key]
        ma, mb = statistics.median(a), statistics.median(b)
        # noise: the larger of the two tools' coefficients of variation
        noise = max(statistics.stdev(a) / statistics.mean(a), statistics.stdev(b) / statistics.mean(b))
        rows.append((t, f"{key}{size}", ma, statistics.stdev(a), mb, statistics.stdev(b), mb / ma, noise))
lines = [f"model {model}, device {device}, threads {threads}, {len(glob.glob(work + '/lb-*.jsonl')) // max(1, len(types))} rounds",
         "",
         "| type | test | llama-bench t/s | mtb t/s | mtb / llama-bench | noise (max CV) |",
         "| ---- | ---- | --------------: | ------: | ----------------: | -------------: |"]
for t, test, ma, sa, mb, sb, ratio, noise in rows:
    lines.append(f"| {t} | {test} | {ma:.2f} ± {sa:.2f} | {mb:.2f} ± {sb:.2f} | {ratio:.3f} | {100 * noise:.1f}% |")
text = "\n".join(lines)
print(text)
if out:
    open(out, "w").write(text + "\n")
EOF
