#!/usr/bin/env bash
# Submits the FlowChronicle pipeline to Slurm: ingest -> mine -> generate -> merge, each stage
# a job of jobs/<stage>.slurm that starts only if the one before it COMPLETED
# (--dependency=afterok, --kill-on-invalid-dep=yes: a failing stage cancels all that follow).
# Prints the job ids, the logs and where the results will be; with --wait also waits for the
# jobs (jobs/wait.sh) and exits 0 only if all completed.
#
#   FC_INPUT="flows/*.csv.gz" FC_FORMAT=nfdump FC_WORKDIR=$SCRATCH/run1 jobs/pipeline.sh
#   FC_SBATCH_ARGS="--partition=compute --account=proj42" FC_MINE_SBATCH="--time=2-00:00:00" ...
#   FC_STAGES="generate merge" FC_GEN_ARRAY=0-7 FC_GENERATE_SBATCH="--ntasks=16" jobs/pipeline.sh
#
# Usage: jobs/pipeline.sh [--wait]
# Environment (default):
#   FC_INPUT        (required with ingest)  flow files for ingest (see jobs/ingest.slurm)
#   FC_STAGES       (ingest mine generate merge)  the stages to submit, in this order
#   FC_WORKDIR      (./fc-run)              results and logs (logs/ inside)
#   FC_DATASET      (FC_WORKDIR/dataset.h5), FC_MODEL (FC_WORKDIR/model.h5),
#   FC_PARTS        (FC_WORKDIR/generated.parts), FC_FLOWS (FC_WORKDIR/generated.csv, or
#                   generated.h5 when FC_GEN_FORMAT=h5)
#   FC_BIN          (build/flowchronicle of this checkout if built, else flowchronicle on PATH)
#   FC_SBATCH_ARGS  (none)                  sbatch options for every stage (partition, account, qos)
#   FC_INGEST_SBATCH, FC_MINE_SBATCH, FC_GENERATE_SBATCH, FC_MERGE_SBATCH (none)
#                                           sbatch options for one stage, e.g. "--cpus-per-task=32"
#   FC_GEN_ARRAY    (none)                  submit generate as a job array of these task ids, e.g.
#                                           "0-7": task T of N generates shard T of the period on
#                                           its own ranks (jobs/generate.slurm); merge waits for
#                                           all tasks (afterok on the array job); logs
#                                           fc-generate-<job>_<task>.out
#   FC_POLL         (10)                    seconds between polls with --wait
# Every other variable of the job scripts (FC_FORMAT, FC_MINE_ARGS, FC_START, FC_END, FC_SEED,
# FC_MODULES, FC_SRUN_ARGS, ...) reaches the jobs unchanged. Relative paths are relative to the
# directory this is run from, which is the jobs' working directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
wait_for_jobs=0
case ${1:-} in
  --wait) wait_for_jobs=1 ;;
  "") ;;
  -h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "pipeline.sh: unknown argument '$1' (usage: jobs/pipeline.sh [--wait])" >&2; exit 2 ;;
esac

command -v sbatch >/dev/null 2>&1 || { echo "pipeline.sh: sbatch not found: is Slurm set up here?" >&2; exit 1; }

read -r -a stages <<<"${FC_STAGES:-ingest mine generate merge}"
workdir=${FC_WORKDIR:-fc-run}
mkdir -p "$workdir/logs"
workdir=$(cd "$workdir" && pwd)
export FC_DATASET=${FC_DATASET:-$workdir/dataset.h5}
export FC_MODEL=${FC_MODEL:-$workdir/model.h5}
export FC_PARTS=${FC_PARTS:-$workdir/generated.parts}
if [ "${FC_GEN_FORMAT:-csv}" = h5 ]; then
  export FC_FLOWS=${FC_FLOWS:-$workdir/generated.h5}
else
  export FC_FLOWS=${FC_FLOWS:-$workdir/generated.csv}
fi
if [ -z "${FC_BIN:-}" ]; then
  if [ -x "$here/../build/flowchronicle" ]; then
    FC_BIN=$(cd "$here/../build" && pwd)/flowchronicle
  else
    FC_BIN=flowchronicle
  fi
fi
export FC_BIN
read -r -a common <<<"${FC_SBATCH_ARGS:-}"

for stage in "${stages[@]}"; do
  case $stage in
    ingest | mine | generate | merge) ;;
    *) echo "pipeline.sh: unknown stage '$stage' in FC_STAGES" >&2; exit 2 ;;
  esac
  if [ "$stage" = ingest ] && [ -z "${FC_INPUT:-}" ]; then
    echo "pipeline.sh: set FC_INPUT to the flow files to ingest (or leave ingest out of FC_STAGES)" >&2
    exit 2
  fi
done

ids=()
cancel_submitted() {
  if [ ${#ids[@]} -gt 0 ]; then scancel "${ids[@]}" 2>/dev/null || true; fi
}
prev=""
: >"$workdir/jobs.txt"
for stage in "${stages[@]}"; do
  var="FC_${stage^^}_SBATCH"
  read -r -a own <<<"${!var:-}"
  dep=()
  [ -z "$prev" ] || dep=(--dependency="afterok:$prev" --kill-on-invalid-dep=yes)
  # generate as a job array: the next stage's afterok on the array job waits for every task.
  array=()
  log="$workdir/logs/%x-%j.out"
  if [ "$stage" = generate ] && [ -n "${FC_GEN_ARRAY:-}" ]; then
    array=(--array="$FC_GEN_ARRAY")
    log="$workdir/logs/%x-%A_%a.out"
  fi
  if ! out=$(sbatch --parsable --export=ALL --output="$log" \
    "${common[@]}" "${dep[@]}" "${array[@]}" "${own[@]}" "$here/$stage.slurm"); then
    echo "pipeline.sh: submitting $stage failed; cancelling the stages already submitted" >&2
    cancel_submitted
    exit 1
  fi
  id=${out%%;*}
  ids+=("$id")
  prev=$id
  echo "$stage $id" >>"$workdir/jobs.txt"
  if [ ${#array[@]} -gt 0 ]; then
    printf 'pipeline.sh: %-8s job %-8s array %s, logs %s/logs/fc-%s-%s_<task>.out\n' "$stage" "$id" \
      "$FC_GEN_ARRAY" "$workdir" "$stage" "$id"
  else
    printf 'pipeline.sh: %-8s job %-8s log %s/logs/fc-%s-%s.out\n' "$stage" "$id" "$workdir" "$stage" "$id"
  fi
done

echo "pipeline.sh: results in $workdir:"
for stage in "${stages[@]}"; do
  case $stage in
    ingest) echo "  dataset          $FC_DATASET" ;;
    mine) echo "  model            $FC_MODEL" ;;
    generate) echo "  generated parts  $FC_PARTS" ;;
    merge) echo "  generated flows  $FC_FLOWS" ;;
  esac
done
echo "pipeline.sh: follow with 'squeue -j $(IFS=,; echo "${ids[*]}")'; cancel with 'scancel ${ids[*]}'"

if [ $wait_for_jobs = 1 ]; then
  exec "$here/wait.sh" --poll "${FC_POLL:-10}" "${ids[@]}"
fi
