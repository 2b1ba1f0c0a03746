#!/bin/bash
# Submits a plan to Slurm: a job array of N shards (mtb-shard.sbatch) and, after it whatever its tasks'
# ends, the report job (mtb-report.sbatch). Prints both job ids.
#
#   deploy/slurm/submit.sh PLAN MEASUREMENTS_ROOT N [--tasks LIST] [-- SBATCH OPTIONS]
#
#   deploy/slurm/submit.sh plan.json /shared/measurements 4 -- --gres=gpu:1 --partition=gpu --time=2:00:00
#   deploy/slurm/submit.sh plan.json /shared/measurements 4 --tasks 2     resubmit shard 2 of 4 (it resumes)
#
# The measurement root must be a folder every node sees (NFS, Lustre ...); PLAN too. MTB names the mtb
# binary the tasks run (default: mtb on PATH); the sbatch options go to both jobs (--chdir, --partition)
# except GPU requests, which only the array needs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: submit.sh PLAN MEASUREMENTS_ROOT N [--tasks LIST] [-- SBATCH OPTIONS]"
plan=${1:?$usage}; root=${2:?$usage}; n=${3:?$usage}; shift 3
tasks="0-$((n - 1))"
if [ "${1:-}" = --tasks ]; then tasks=${2:?$usage}; shift 2; fi
[ "${1:-}" = -- ] && shift
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N '$n' is not a shard count (1 or more)" >&2; exit 1; }
[ -f "$plan" ] || { echo "submit.sh: no plan file $plan (write one with mtb llm ... --plan-out $plan)" >&2; exit 1; }
plan=$(realpath "$plan"); mkdir -p "$root"; root=$(realpath "$root")
array_opts=() common_opts=()
for o in "$@"; do
  case "$o" in --gres=*|--gpus=*|--gpus-per-task=*|--gpus-per-node=*) array_opts+=("$o") ;; *) common_opts+=("$o") ;; esac
done
export MTB_SHARDS=$n
array=$(sbatch --parsable --array="$tasks" "${common_opts[@]}" "${array_opts[@]}" "$here/mtb-shard.sbatch" "$plan" "$root")
array=${array%%;*}
report=$(sbatch --parsable --dependency="afterany:$array" "${common_opts[@]}" "$here/mtb-report.sbatch" "$plan" "$root")
echo "array job $array (tasks $tasks of $n shards), report job ${report%%;*}"
