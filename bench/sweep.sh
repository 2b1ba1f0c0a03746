#!/usr/bin/env bash
# The sweep: every model of a list at every precision, prompt length and backend, one model after
# another, with model k+1's files made on the spare CPU cores while model k is measured, so that
# synthesis leaves the critical path (it was 249 of the H100's 921 s when it ran in line).
#
#   bench/sweep.sh [-d cpu|cuda|metal] [-o DIR] [--name NAME]
#
# Writes DIR/NAME.md (one table per model), DIR/NAME-time.txt (where the time went, rewritten
# after every model), DIR/NAME.log (mtb's stderr) and run folders under DIR/measurements.
# Knobs (environment): SWEEP_MODELS (default: every zoo model up to 8B, smallest first),
# SWEEP_TYPES (bf16,q8_0,q4_0), SWEEP_PROMPTS (64,256,1024,4096), SWEEP_GEN (100, the ancestor's
# default), SWEEP_BACKENDS (llama.cpp, and torch where the build has it), SWEEP_BUDGET_S (900: no
# model starts after it; the time file names those left out), SWEEP_KEEP=1 keeps each model's files
# in MTB_CACHE_DIR afterwards (by default they are deleted: a 64 GB disk does not hold them all).
#
# Synthesis in the background runs at the lowest priority on every core but the first two
# (taskset), which the measuring worker keeps; it starts only where MTB_CACHE_DIR has room for both
# models' files, else it waits for the measured model's files to go.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MTB_BUILD_DIR:-$ROOT/build}
MTB=$BUILD/mtb
DEVICE=cpu OUTDIR=. NAME=sweep
while [ $# -gt 0 ]; do
  case "$1" in
    -d) DEVICE=$2; shift 2 ;;
    -o) OUTDIR=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "sweep.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$MTB" ] || { echo "sweep.sh: $MTB missing: run scripts/setup.sh" >&2; exit 1; }
CACHE=${MTB_CACHE_DIR:-$HOME/.cache/mtb}
mkdir -p "$OUTDIR/measurements" "$CACHE/models"
md=$OUTDIR/$NAME.md log=$OUTDIR/$NAME.log timefile=$OUTDIR/$NAME-time.txt
types=${SWEEP_TYPES:-bf16,q8_0,q4_0}
budget=${SWEEP_BUDGET_S:-900}
backends=${SWEEP_BACKENDS:-$("$MTB" info --json | grep -q '"torch"' && echo llamacpp,torch || echo llamacpp)}

# The zoo, once: the model list and each model's file sizes at the swept precisions.
zoo=$("$MTB" models --json)
read -r -a models <<<"${SWEEP_MODELS:-$(python3 -c '
import json, sys
ms = sorted(json.loads(sys.argv[1]), key=lambda m: m["n_params"])  # smallest first: the most models within the budget
print(" ".join(m["name"] for m in ms if m["n_params"] <= 8.5e9))' "$zoo")}"
files_bytes() {  # the bytes of model $1's files at the swept precisions
  python3 -c '
import json, sys
m = {m["name"]: m for m in json.loads(sys.argv[1])}.get(sys.argv[2])
print(sum(m["bytes"][t] for t in sys.argv[3].split(",")) if m else 0)' "$zoo" "$1" "$types"
}
free_bytes() { df -B1 --output=avail "$CACHE" | tail -1 | tr -dc 0-9; }

# Background synthesis on cores 2.. at nice 19, where the machine has four cores or more.
synth_cmd=(nice -n 19)
ncpu=$(nproc)
if [ "$ncpu" -ge 4 ] && command -v taskset >/dev/null; then synth_cmd+=(taskset -c "2-$((ncpu - 1))"); fi
synth_pid="" synth_model=""
start_synth() {  # model: make its files in the background, its seconds written beside the log
  synth_model=$1
  ( t0=$(date +%s)
    "${synth_cmd[@]}" "$MTB" models --path "$1" -t "$types" >/dev/null 2>>"$log" || { echo "could not make $1's files" >>"$log"; exit 1; }
    echo $(( $(date +%s) - t0 )) >"$OUTDIR/.synth-$1.s" ) &
  synth_pid=$!
}
wait_synth() {  # waits for the background synthesis; returns its status
  [ -n "$synth_pid" ] || return 0
  local rc=0; wait "$synth_pid" || rc=$?
  synth_pid=""
  return $rc
}

start=$(date +%s); waited_s=0 synth_s=0 bench_s=0 ok=1 left=() done_models=()
before=$(find "$OUTDIR/measurements" -name results.jsonl | sort)
write_time() {  # where the time went, from the script's clocks and the records' own
  local inside
  inside=$(comm -13 <(echo "$before") <(find "$OUTDIR/measurements" -name results.jsonl | sort) | python3 -c '
import json, sys
recs = [json.loads(l) for f in sys.stdin.read().split() for l in open(f) if l.strip()]
wall = sum(r.get("wall_s", 0) for r in recs)
gen = sum(sum(r.get("samples_gen_s", [])) for r in recs)
prompt = sum(sum(r.get("samples_prompt_s", [])) for r in recs)
load = sum(r.get("load_s", 0) for r in recs)
print("%.0f s inside %d cases: %.0f timed generation, %.0f timed prompt passes, %.0f loads and KV caches, %.0f warm-ups and the rest"
      % (wall, len(recs), gen, prompt, load, wall - gen - prompt - load))')
  echo "$NAME: $(( $(date +%s) - start )) s = ${waited_s} s waiting for models' files + ${bench_s} s benchmarking ($inside; outside them, worker and device starts); synthesis took ${synth_s} s in all, the rest of it beside the benchmarks; models: ${done_models[*]:-none}; not started (budget ${budget} s): ${left[*]:-none}${1:-}" >"$timefile"
}

: >"$md"
# The first model's files: nothing to overlap with yet.
[ ${#models[@]} -gt 0 ] && start_synth "${models[0]}"
for i in "${!models[@]}"; do
  m=${models[$i]}
  if [ $(( $(date +%s) - start )) -ge "$budget" ]; then left+=("$m"); continue; fi
  echo "--- $m ($(( $(date +%s) - start )) s into the $NAME)" | tee -a "$log"
  t0=$(date +%s)
  synth_ok=1; wait_synth || synth_ok=0
  t1=$(date +%s); waited_s=$(( waited_s + t1 - t0 ))
  [ -f "$OUTDIR/.synth-$m.s" ] && { synth_s=$(( synth_s + $(cat "$OUTDIR/.synth-$m.s") )); rm -f "$OUTDIR/.synth-$m.s"; }
  # The next model's files while this one is measured, where both fit the cache's disk.
  next=${models[$((i + 1))]:-}
  if [ -n "$next" ] && [ "$(free_bytes)" -gt $(( $(files_bytes "$next") + (2 << 30) )) ]; then start_synth "$next"; fi
  if [ "$synth_ok" = 1 ]; then
    # A failed case (exit 3) is in the table and the records; the sweep goes on to the next model.
    "$MTB" llm -d "$DEVICE" -b "$backends" -m "$m" -t "$types" -p "${SWEEP_PROMPTS:-64,256,1024,4096}" \
      -n "${SWEEP_GEN:-100}" -r 10 --ci-stop 2 --cooldown 0 --measurements "$OUTDIR/measurements" --no-report -o md \
      2>>"$log" | tee -a "$md" || ok=0
  else
    echo "could not make $m's files (see $log)" | tee -a "$md"; ok=0
  fi
  bench_s=$(( bench_s + $(date +%s) - t1 ))
  done_models+=("$m")
  [ "${SWEEP_KEEP:-0}" = 1 ] || rm -f "$CACHE/models/$m".*
  # The next model's files had no room beside this one's: made now, in line.
  if [ -n "$next" ] && [ -z "$synth_pid" ] && [ $(( $(date +%s) - start )) -lt "$budget" ]; then start_synth "$next"; fi
  write_time ", still running"
done
wait_synth || true
# A model left out by the budget may have had its files made already.
[ "${SWEEP_KEEP:-0}" = 1 ] || for m in "${left[@]}"; do rm -f "$CACHE/models/$m".*; done
write_time
cat "$timefile"
[ "$ok" = 1 ]
