#!/usr/bin/env bash
# mtb llm --batch B against llama-batched-bench, both from the pinned llama.cpp, on the same GGUF,
# threads, device and flash attention (auto), alternating the two tools in rounds as parity.sh does,
# so drift of the machine falls on both. Reports generation (batched-bench's S_TG: all sequences'
# tokens over the decode time) and prompt (S_PP) aggregates, mtb / batched-bench, per batch; with
# PER_ROW=1 also mtb with an argmax per sequence (MTB_LLAMACPP_ARGMAX_PER_ROW: llama.cpp's own greedy
# sampler's graph), to show what mtb's one argmax over all rows saves.
#
#   bench/batched_parity.sh [MODEL]     (default qwen-2.5-0.5b-it; a zoo name, synthesized once)
# Environment: TYPES (q4_0), BATCHES (1,4,8), PP (64), TG (32), ROUNDS (3), REPS (3), DEVICE (cpu),
# THREADS (the physical cores), PER_ROW (0), MTB (build/mtb), BATCHED_BENCH (build/bin/llama-batched-bench),
# OUT (a markdown table is printed and, when set, written to $OUT/batched-parity-<model>.md).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MTB=${MTB:-$ROOT/build/mtb}
BB=${BATCHED_BENCH:-$(dirname "$MTB")/bin/llama-batched-bench}
MODEL=${1:-qwen-2.5-0.5b-it}
TYPES=${TYPES:-q4_0} BATCHES=${BATCHES:-1,4,8} PP=${PP:-64} TG=${TG:-32} ROUNDS=${ROUNDS:-3} REPS=${REPS:-3}
DEVICE=${DEVICE:-cpu} PER_ROW=${PER_ROW:-0}
THREADS=${THREADS:-$("$MTB" info --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["hardware_info"]["host"]["physical_cores"])' 2>/dev/null || nproc)}
for f in "$MTB" "$BB"; do [ -x "$f" ] || { echo "batched_parity.sh: $f not built (cmake --build build --target mtb llama-batched-bench)" >&2; exit 1; }; done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
max_b=$(echo "$BATCHES" | tr ',' '\n' | sort -n | tail -1)
ngl=0; [ "$DEVICE" != cpu ] && ngl=99
for t in ${TYPES//,/ }; do
  gguf=$("$MTB" models --path "$MODEL" -t "$t" 2>/dev/null | head -1)
  for round in $(seq "$ROUNDS"); do
    echo "[batched-parity] $MODEL $t round $round/$ROUNDS" >&2
    "$BB" -m "$gguf" -npp "$PP" -ntg "$TG" -npl "$BATCHES" -t "$THREADS" -ngl "$ngl" -fa auto \
      -c $(( (PP + TG + 1) * max_b )) --output-format jsonl 2>/dev/null | grep '^{' >> "$WORK/bb-$t.jsonl"
    run_mtb() {
      "$MTB" llm -b llamacpp -m "$gguf" -t file -d "$DEVICE" -p "$PP" -n "$TG" --batch "$BATCHES" --threads "$THREADS" \
        -r "$REPS" --cooldown 0 --no-report --measurements "$WORK/m" -o jsonl 2>>"$WORK/mtb.log"
    }
    run_mtb >> "$WORK/mtb-$t.jsonl"
    [ "$PER_ROW" = 1 ] && MTB_LLAMACPP_ARGMAX_PER_ROW=1 run_mtb >> "$WORK/row-$t.jsonl"
  done
done
python3 - "$WORK" "$MODEL" "$TYPES" "$PP" "$TG" "$THREADS" "$DEVICE" "$ROUNDS" "${OUT:-}" <<'PY'
import glob, json, os, statistics, sys
work, model, types, pp, tg, threads, device, rounds, out = sys.argv[1:10]
def load(path):
    return [json.loads(l) for l in open(path)] if os.path.exists(path) else []
lines = [f"{model}, `-p {pp} -n {tg}` (`-npp {pp} -ntg {tg}`), {threads} threads, {device}, flash attention auto, "
         f"medians of {rounds} alternating rounds; generation and prompt are aggregates over all sequences", "",
         "| type | batch | tg t/s: mtb / batched-bench | pp t/s: mtb / batched-bench |" + (" tg, argmax per row |" if glob.glob(f"{work}/row-*") else ""),
         "| --- | ---: | --- | --- |" + (" ---: |" if glob.glob(f"{work}/row-*") else "")]
for t in types.split(","):
    bb, m, row = load(f"{work}/bb-{t}.jsonl"), load(f"{work}/mtb-{t}.jsonl"), load(f"{work}/row-{t}.jsonl")
    for b in sorted({r["pl"] for r in bb}):
        btg = statistics.median(r["speed_tg"] for r in bb if r["pl"] == b)
        bpp = statistics.median(r["speed_pp"] for r in bb if r["pl"] == b)
        mtg = statistics.median(r["gen_tps"]["mean"] for r in m if r["batch_size"] == b)
        mpp = statistics.median(r["prompt_tps"]["mean"] for r in m if r["batch_size"] == b)
        cell = f"| {t} | {b} | {mtg:.1f} / {btg:.1f} = **{mtg / btg:.3f}** | {mpp:.1f} / {bpp:.1f} = {mpp / bpp:.3f} |"
        if row:
            rtg = statistics.median(r["gen_tps"]["mean"] for r in row if r["batch_size"] == b)
            cell += f" {rtg:.1f} ({rtg / btg:.3f}) |"
        lines.append(cell)
text = "\n".join(lines) + "\n"
print(text)
if out:
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, f"batched-parity-{model}.md"), "w").write(text)
PY
