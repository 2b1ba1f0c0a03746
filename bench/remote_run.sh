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
