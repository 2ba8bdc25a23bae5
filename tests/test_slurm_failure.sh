#!/usr/bin/env bash
# Failures in the pipeline, on the local Slurm cluster (job states read with scontrol: there is
# no accounting). A mine job whose dataset is missing FAILS and generate and merge, chained
# after it by jobs/pipeline.sh, are CANCELLED without running; a failing ingest cancels the three
# stages after it; a stage that sbatch refuses makes pipeline.sh cancel the stages it already
# submitted; generate submitted as a job array whose task ids are not contiguous (0-4:2) stops
# with its message. No result file appears in any case.
# Usage: test_slurm_failure.sh FLOWCHRONICLE BUILD_DIR
set -euo pipefail
fc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# shellcheck source=tests/slurm_cluster.sh
. "$(dirname "$0")/slurm_cluster.sh"
n_ok=0
ok() { n_ok=$((n_ok + 1)); }
cd "$work"

# expect_state DIR STAGE STATE [REASON]: the stage's job in DIR/jobs.txt ended so.
expect_state() {
  local id state reason
  id=$(sed -n "s/^$2 //p" "$1/jobs.txt")
  [ -n "$id" ] || fail "$1: no $2 job"
  state=$(job_field "$id" JobState)
  reason=$(job_field "$id" Reason)
  [ "$state" = "$3" ] || fail "$1: $2 job $id is $state ($reason), expected $3"
  [ -z "${4:-}" ] || [ "$reason" = "$4" ] || fail "$1: $2 job $id: reason $reason, expected $4"
  if [ "$3" = CANCELLED ]; then
    [ "$(job_field "$id" RunTime)" = 00:00:00 ] || fail "$1: the cancelled $2 job $id ran"
  fi
}

# run_pipeline DIR [--wait]: the pipeline with this test's settings; its exit status.
run_pipeline() {
  local dir=$1
  shift
  FC_BIN=$fc FC_WORKDIR=$dir FC_POLL=1 FC_MINE_SBATCH=${FC_MINE_SBATCH:---cpus-per-task=1} \
    FC_GENERATE_SBATCH="--ntasks=2 --cpus-per-task=1" timeout 300 "$src/jobs/pipeline.sh" "$@" >"$dir.txt" 2>&1
}

# --- mine fails (no dataset): generate and merge never run
rc=0
FC_STAGES="mine generate merge" FC_DATASET=$work/missing.h5 run_pipeline nodata --wait || rc=$?
cat nodata.txt
[ $rc = 1 ] || fail "pipeline.sh --wait exited $rc for a failing mine, expected 1"
expect_state nodata mine FAILED
expect_state nodata generate CANCELLED DependencyNeverSatisfied
expect_state nodata merge CANCELLED DependencyNeverSatisfied
grep -q "missing.h5" nodata/logs/fc-mine-*.out || fail "the mine log does not name the missing dataset"
for f in model.h5 generated.parts generated.csv; do
  [ ! -e "nodata/$f" ] || fail "a failed pipeline left nodata/$f"
done
! ls nodata/logs/fc-generate-* nodata/logs/fc-merge-* >/dev/null 2>&1 || fail "a cancelled stage ran"
ok

# --- ingest fails (malformed input): mine, generate and merge never run
printf 'ts,duration\nnot a flow\n' >bad.csv
rc=0
FC_INPUT=$work/bad.csv run_pipeline badinput --wait || rc=$?
cat badinput.txt
[ $rc = 1 ] || fail "pipeline.sh --wait exited $rc for a failing ingest, expected 1"
expect_state badinput ingest FAILED
for stage in mine generate merge; do expect_state badinput "$stage" CANCELLED DependencyNeverSatisfied; done
[ ! -e badinput/dataset.h5 ] || fail "a failed ingest left a dataset"
ok

# --- sbatch refuses a stage (more CPUs than the node has): the stages before it are cancelled
# (held, so that ingest cannot have finished before pipeline.sh cancels it)
"$fc" demo-data --days 1 -o flows.csv 2>/dev/null
rc=0
FC_INPUT=$work/flows.csv FC_SBATCH_ARGS="--hold" FC_MINE_SBATCH="--cpus-per-task=$(($(nproc) + 64))" \
  run_pipeline refused || rc=$?
cat refused.txt
[ $rc = 1 ] || fail "pipeline.sh exited $rc when sbatch refused a stage, expected 1"
grep -q "submitting mine failed" refused.txt || fail "pipeline.sh does not say which stage failed"
ingest_id=$(sed -n 's/^ingest //p' refused/jobs.txt)
for _ in $(seq 50); do
  case $(job_field "$ingest_id" JobState) in PENDING | RUNNING | COMPLETING) sleep 0.2 ;; *) break ;; esac
done
[ "$(job_field "$ingest_id" JobState)" = CANCELLED ] ||
  fail "the ingest job submitted before the refused stage is $(job_field "$ingest_id" JobState)"
ok

# --- generate as a stepped job array: refused with a message (task ids 0, 2, 4 are not the
# consecutive shards 0, 1, 2)
mkdir array
id=$(FC_BIN=$fc FC_MODEL=$work/missing.h5 FC_PARTS=$work/array/parts \
  sbatch --parsable --array=0-4:2 --ntasks=1 --cpus-per-task=1 --output="$work/array/%x-%A_%a.out" \
  "$src/jobs/generate.slurm")
rc=0
timeout 120 "$src/jobs/wait.sh" --poll 1 "$id" >/dev/null || rc=$?
[ $rc = 1 ] || fail "a stepped generate job array ended with wait.sh status $rc, expected 1 (failed)"
for task in 0 2 4; do
  grep -q "task ids are not contiguous (3 tasks from 0 to 4, step 2)" "array/fc-generate-${id}_$task.out" ||
    { cat "array/fc-generate-${id}_$task.out"; fail "array task $task: no message"; }
done
[ ! -e array/parts ] || fail "the refused array wrote parts"
ok

echo "$n_ok passed, 0 failed"
