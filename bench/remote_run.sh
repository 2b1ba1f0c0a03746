# Sourced by bench/gpu.sh and bench/mlx-cuda.sh: what a script run on a rented GPU machine needs
# besides its stages. Where synthesized models go, and running detached from the remote shell (whose
# commands are cut after minutes) with a way to read the detached run's state.

# MTB_CACHE_DIR, unless set: the RAM disk /dev/shm where it has room for two models' files (up to
# ~30 GB per model at bf16 + q8_0 + q4_0), else /tmp (the calibration goes with them; both are per
# machine). On the H100 the RAM disk did not shorten synthesis much: it is bound by the CPU
# (llama.cpp's quantizer making q8_0 and q4_0), not the disk.
pick_model_cache() {
  if [ -z "${MTB_CACHE_DIR:-}" ]; then
    local shm_gb
    shm_gb=$(df -BG --output=avail /dev/shm 2>/dev/null | tail -1 | tr -dc 0-9)
    if [ "${shm_gb:-0}" -ge 48 ]; then MTB_CACHE_DIR=/dev/shm/mtb-cache; else MTB_CACHE_DIR=/tmp/mtb-cache; fi
  fi
  export MTB_CACHE_DIR
}

# remote_control NAME LOG DONE FAILED EXPORT -- "$@": answers --detach (the script again in a new
# process session, its output in LOG) and --status [SECS] (waits up to SECS for DONE or FAILED, prints
# LOG's tail and the state, runs EXPORT to copy results out) and exits; otherwise returns.
remote_control() {
  local name=$1 log=$2 done_file=$3 failed_file=$4 export_fn=$5
  shift 6
  case "${1:-}" in
    --detach)
      shift
      rm -f "$done_file" "$failed_file"
      setsid nohup bash "$0" "$@" >"$log" 2>&1 </dev/null &
      echo "$name: started (pid $!), log $log; follow with: $0 --status [SECS]"
      exit 0 ;;
    --status)
      local end=$(( $(date +%s) + ${2:-0} ))
      while [ ! -f "$done_file" ] && [ ! -f "$failed_file" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 10; done
      if [ ! -f "$log" ]; then echo "$name: no run beside $log"
      else
        tail -n 25 "$log"
        if [ -f "$done_file" ]; then echo "$name: FINISHED: $(cat "$done_file")"
        elif [ -f "$failed_file" ]; then echo "$name: FAILED: $(cat "$failed_file")"
        else echo "$name: still running"; fi
      fi
      "$export_fn"
      exit 0 ;;
  esac
}

# Stages: `has NAME` (asked for: the `stages` array), `say TITLE` (a heading with the time), and
# `stage NAME [TITLE]`, which closes the previous stage's seconds into STAGES_FILE ("build 312") and
# opens NAME (`stage ""` closes the last). Call start_stages STAGES_FILE first.
has() { local s; for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
say() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
start_stages() {
  STAGES_FILE=$1 stage_name="" stage_t0=$(date +%s)
  : >"$STAGES_FILE"
}
stage() {
  [ -n "$stage_name" ] && echo "$stage_name $(( $(date +%s) - stage_t0 ))" >>"$STAGES_FILE"
  stage_name=$1 stage_t0=$(date +%s)
  [ -n "$1" ] && say "${2:-$1}"
  return 0
}

# mtb's dependencies from the packed .device/ (bench/pack-device.sh) where the machine has no package
# registry: the -dev packages' files, llama.cpp's tree, the commit the tree was copied at (its own
# git history may lag it), the vocabularies and plotly.js.
use_packed_dependencies() {
  if [ -d .device/debs ] && { [ ! -f /usr/include/brotli/decode.h ] || [ ! -f /usr/include/xxhash.h ]; }; then
    for deb in .device/debs/*.deb; do dpkg -x "$deb" /; done
  fi
  if [ ! -f third_party/llama.cpp/CMakeLists.txt ]; then
    [ -f .device/llama.cpp.tar.gz ] || { echo "$0: no llama.cpp tree: run scripts/setup.sh or bench/pack-device.sh" >&2; exit 1; }
    mkdir -p third_party/llama.cpp
    tar -xzf .device/llama.cpp.tar.gz -C third_party/llama.cpp
    cp .device/llama.cpp.commit third_party/llama.cpp/.mtb-commit
  fi
  if [ -f .device/mtb.commit ]; then MTB_COMMIT=$(cat .device/mtb.commit); export MTB_COMMIT; fi
  export MTB_VOCAB_DIR=$ROOT/third_party/llama.cpp/models
  if [ -f .device/plotly.min.js ]; then export MTB_PLOTLY_JS=$ROOT/.device/plotly.min.js; fi
}
