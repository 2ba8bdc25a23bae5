#!/usr/bin/env bash
# A mine job longer than its time limit, on the local Slurm cluster: jobs/mine.slurm submitted
# with --time=1 (minute) and --signal=B:USR1@15 gets Slurm's pre-timeout signal, passes it to
# mine, which saves its checkpoint; the job requeues itself, the next run resumes, and so on
# until the search converges. Checks that this happened (restart count, log lines, no TIMEOUT)
# and that the model is the one of an uninterrupted run (show --json byte for byte), that a job
# depending on the mine job (as generate does in the pipeline) waits through the requeues and
# runs once, after it, and that the checkpoint is gone at the end.
# The data must take mine longer than the first signal (at most 45 s into a run): three weeks of
# demo data mined without the window cache (about 80 s with 2 threads, more while the reference
# runs beside it), or two days under the sanitizers (about 6 times slower). The reference run
# keeps the cache, which never changes the model, so the comparison also checks that.
# Usage: test_slurm_requeue.sh FLOWCHRONICLE BUILD_DIR
# ctest-labels: slow
set -euo pipefail
fc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# shellcheck source=tests/slurm_cluster.sh
. "$(dirname "$0")/slurm_cluster.sh"
n_ok=0
ok() { n_ok=$((n_ok + 1)); }
cd "$work"

days=21
[ -z "${ASAN_OPTIONS:-}" ] || days=2
"$fc" demo-data --days "$days" -o flows.csv 2>/dev/null
"$fc" ingest --format flows -o data.h5 flows.csv 2>/dev/null
mkdir out

id=$(FC_BIN=$fc FC_DATASET=$work/data.h5 FC_MODEL=$work/out/model.h5 FC_MINE_ARGS="--window-cache 0" \
  sbatch --parsable --time=1 --signal=B:USR1@15 --cpus-per-task=2 --output="$work/out/%x-%j.out" \
  "$src/jobs/mine.slurm")
after=$(sbatch --parsable --dependency="afterok:$id" --kill-on-invalid-dep=yes \
  --output="$work/out/after-%j.out" --wrap "date -u +%FT%TZ >$work/out/after-ran")

# The uninterrupted reference, meanwhile.
"$fc" mine -i data.h5 -o ref.h5 2>ref.txt || { cat ref.txt; fail "the reference mine run"; }
"$fc" show --json ref.h5 >ref.json

rc=0
timeout 840 "$src/jobs/wait.sh" --poll 1 "$id" "$after" || rc=$?
log=out/fc-mine-$id.out
cat "$log"
[ $rc = 0 ] || fail "wait.sh exited $rc"
ok

restarts=$(job_field "$id" Restarts)
[ "$restarts" -ge 1 ] ||
  fail "mine finished without a requeue (the data is too small to outlast the pre-timeout signal)"
[ "$(grep -c 'USR1 received' "$log")" -ge "$restarts" ] || fail "not every run was stopped by USR1"
[ "$(grep -c 'job requeued, the next run resumes' "$log")" = "$restarts" ] || fail "requeue lines"
[ "$(grep -c 'resumed from .*model.h5.ckpt' "$log")" = "$restarts" ] || fail "not every restart resumed"
grep -q "run $((restarts + 1)), 2 threads" "$log" || fail "the last run is not run $((restarts + 1))"
! grep -q "DUE TO TIME LIMIT" "$log" || fail "a run hit the time limit"
grep -q "model written: $work/out/model.h5" "$log" || fail "no model line"
ok

"$fc" show --json out/model.h5 >model.json
cmp -s ref.json model.json || fail "the model after $restarts requeue(s) differs from the uninterrupted one"
[ ! -e out/model.h5.ckpt ] || fail "the checkpoint is left after convergence"
ok

# The dependent job ran once, after the final run of mine.
[ "$(job_field "$after" JobState)" = COMPLETED ] || fail "the dependent job: $(job_field "$after" JobState)"
[ "$(job_field "$after" Restarts)" = 0 ] || fail "the dependent job ran more than once"
[[ ! "$(job_field "$after" StartTime)" < "$(job_field "$id" EndTime)" ]] ||
  fail "the dependent job started before mine ended"
ok

echo "mine converged after $restarts requeue(s)"
echo "$n_ok passed, 0 failed"
