#!/usr/bin/env bash
# Parity with llama-perplexity's KL-divergence mode: on the same GGUF files and the same text, the base
# model's log-probabilities stored by `llama-perplexity --kl-divergence-base`, each candidate scored by
# `--kl-divergence`, and `mtb quality` against the same reference (llama.cpp, the base precision).
# Prints both tools' mean KLD, same top-1 %, RMS Δp and PPL(Q)/PPL(base) per type, and their ratio.
#
#   bench/quality_parity.sh [-m MODEL] [-t q8_0,q4_0,q4_k_m] [--base f16] [-f TEXT] [-c 512] [--chunks 8]
#                           [-d cpu|cuda] [-o OUT.md]
#
# MODEL is a zoo name (its files synthesized and cached by mtb). TEXT defaults to the GPL-3 text that
# every Debian system carries (/usr/share/common-licenses/GPL-3), real English prose of ~8k tokens.
# llama-perplexity is built from the pinned tree on first use.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MTB_BUILD_DIR:-$ROOT/build}
MODEL=qwen-2.5-0.5b-it TYPES=q8_0,q4_0,q4_k_m BASE=f16 TEXT=/usr/share/common-licenses/GPL-3 CTX=512 CHUNKS=8 DEVICE=cpu OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    -m) MODEL=$2; shift 2 ;;
    -t) TYPES=$2; shift 2 ;;
    --base) BASE=$2; shift 2 ;;
    -f) TEXT=$2; shift 2 ;;
    -c) CTX=$2; shift 2 ;;
    --chunks) CHUNKS=$2; shift 2 ;;
    -d) DEVICE=$2; shift 2 ;;
    -o) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "quality_parity.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
MTB=$BUILD/mtb
LP=$BUILD/bin/llama-perplexity
[ -x "$MTB" ] || { echo "quality_parity.sh: $MTB missing: run scripts/setup.sh" >&2; exit 1; }
[ -f "$TEXT" ] || { echo "quality_parity.sh: no text at $TEXT (give one with -f)" >&2; exit 1; }
if [ ! -x "$LP" ]; then
  echo "[quality-parity] building llama-perplexity" >&2
  cmake --build "$BUILD" --target llama-perplexity >/dev/null
fi
THREADS=$("$MTB" info --json | python3 -c 'import json,sys; h=json.load(sys.stdin)["hardware_info"]["host"]; print(h["performance_cores"] or h["physical_cores"])')
NGL=0; [ "$DEVICE" != cpu ] && NGL=99

WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
IFS=, read -r -a types <<<"$TYPES"
base=$("$MTB" models --path "$MODEL" -t "$BASE")
start=$(date +%s)
echo "[quality-parity] llama-perplexity: base $BASE log-probabilities" >&2
"$LP" -m "$base" -f "$TEXT" -c "$CTX" --chunks "$CHUNKS" -t "$THREADS" -ngl "$NGL" --kl-divergence-base "$WORK/base.kld" \
  > "$WORK/lp-base.log" 2>&1 || { tail -20 "$WORK/lp-base.log" >&2; exit 1; }
for t in "${types[@]}"; do
  echo "[quality-parity] llama-perplexity: $t" >&2
  "$LP" -m "$("$MTB" models --path "$MODEL" -t "$t")" -c "$CTX" --chunks "$CHUNKS" -t "$THREADS" -ngl "$NGL" \
    --kl-divergence-base "$WORK/base.kld" --kl-divergence > "$WORK/lp-$t.log" 2>&1 || { tail -20 "$WORK/lp-$t.log" >&2; exit 1; }
done
lp_s=$(( $(date +%s) - start )); start=$(date +%s)
echo "[quality-parity] mtb quality" >&2
"$MTB" quality -m "$MODEL" -b llamacpp -d "$DEVICE" -t "$TYPES" --reference "llamacpp:$BASE:$DEVICE" --prompt-file "$TEXT" \
  --ctx "$CTX" --chunks "$CHUNKS" --threads "$THREADS" --cooldown 0 --no-report --measurements "$WORK/m" -o jsonl \
  > "$WORK/mtb.jsonl" 2> "$WORK/mtb.log" || { tail -20 "$WORK/mtb.log" >&2; exit 1; }
mtb_s=$(( $(date +%s) - start ))

python3 - "$WORK" "$MODEL" "$BASE" "$TEXT" "$CTX" "$DEVICE" "$THREADS" "$lp_s" "$mtb_s" "$OUT" "${types[@]}" <<'PY'
import json, re, sys
work, model, base, text, ctx, device, threads, lp_s, mtb_s, out, *types = sys.argv[1:]
def grab(log, label):
    m = re.search(re.escape(label) + r"\s*:\s*([-\d.]+)(?:\s*±\s*([-\d.]+))?", log)
    if not m: sys.exit(f"'{label}' not in llama-perplexity's output")
    return float(m.group(1)), float(m.group(2) or 0)
mtb = {}
for line in open(f"{work}/mtb.jsonl"):
    r = json.loads(line)
    if r["status"] != "ok": sys.exit(f"mtb case {r['precision']} failed: {r['error']}")
    if not r["reference"]: mtb[r["precision"]] = r["metrics"]
rows = ["| type | tokens | mean KLD: llama-perplexity | mtb | mtb / lp | same top-1 %: lp | mtb | Δ points | RMS Δp %: lp | mtb | PPL ratio: lp | mtb |",
        "| ---- | -----: | -------------------------: | --: | -------: | ---------------: | --: | -------: | -----------: | --: | ------------: | --: |"]
for t in types:
    log = open(f"{work}/lp-{t}.log", encoding="utf-8", errors="replace").read()
    kld, kld_u = grab(log, "Mean    KLD")
    top, top_u = grab(log, "Same top p")
    rms, _ = grab(log, "RMS Δp    ")
    ratio, _ = grab(log, "Mean PPL(Q)/PPL(base)")
    m = mtb[t]
    rows.append(f"| {t} | {m['n_scored']} | {kld:.6f} ± {kld_u:.6f} | {m['kld']['value']:.6f} ± {m['kld']['uncertainty']:.6f} | "
                f"{m['kld']['value'] / kld:.4f} | {top:.3f} | {m['same_top1_pct']['value']:.3f} | {m['same_top1_pct']['value'] - top:+.3f} | "
                f"{rms:.3f} | {m['dp_rms_pct']['value']:.3f} | {ratio:.4f} | {m['ppl_ratio']['value']:.4f} |")
head = (f"model {model} (reference: llama.cpp {base}), text {text}, --ctx {ctx}, device {device}, threads {threads}; "
        f"llama-perplexity {lp_s} s (base + candidates), mtb quality {mtb_s} s")
text_out = head + "\n\n" + "\n".join(rows)
print(text_out)
if out: open(out, "w").write(text_out + "\n")
PY
