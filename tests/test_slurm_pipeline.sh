#!/usr/bin/env bash
# The whole pipeline as a user runs it, on the local Slurm cluster: jobs/pipeline.sh submits
# ingest -> mine -> generate -> merge with sbatch on two days of demo data and waits. Checks the
# jobs completed in order, each result (dataset rows, a readable model mined with the job's
# cpus-per-task as its thread count, the generated parts and the merged, time-ordered flows),
# the logs, and that the jobs' scratch directories are gone; the flows of the 2-rank generate job
# equal those of one direct 'generate --merge' run. Then generate again as a job array of 3
# tasks (FC_GEN_ARRAY=0-2, one shard each) and merge: the merge job starts after every task, the
# parts are named by shard, stale parts of other layouts in FC_PARTS are gone, and the merged
# flows are the same bytes as the one-job run's. generate and merge are left out, with a
# message, while 'flowchronicle generate --help' fails (the command is not there yet).
# Usage: test_slurm_pipeline.sh FLOWCHRONICLE BUILD_DIR
set -euo pipefail
fc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# shellcheck source=tests/slurm_cluster.sh
. "$(dirname "$0")/slurm_cluster.sh"
n_ok=0
ok() { n_ok=$((n_ok + 1)); }
cd "$work"

"$fc" demo-data --days 2 -o flows.csv 2>/dev/null
stages="ingest mine generate merge"
if ! "$fc" generate --help >/dev/null 2>&1; then
  echo "SKIP stages generate and merge: 'flowchronicle generate --help' fails (generate is not built yet)"
  stages="ingest mine"
fi

mkdir scratch
rc=0
FC_BIN=$fc FC_INPUT=$work/flows.csv FC_WORKDIR=run FC_STAGES=$stages FC_SCRATCH_BASE=$work/scratch \
  FC_MINE_SBATCH="--cpus-per-task=1" FC_GENERATE_SBATCH="--ntasks=2 --cpus-per-task=1" \
  FC_START="2024-03-04" FC_END="2024-03-05" FC_SLICE=1h FC_SEED=7 FC_POLL=1 \
  timeout 840 "$src/jobs/pipeline.sh" --wait >pipeline.txt 2>&1 || rc=$?
cat pipeline.txt
for f in run/logs/*.out; do echo "---- $f"; cat "$f"; done
[ $rc = 0 ] || fail "jobs/pipeline.sh --wait exited $rc"
[ "$(cut -d' ' -f1 run/jobs.txt | tr '\n' ' ')" = "$stages " ] || fail "run/jobs.txt lists $(cat run/jobs.txt)"
grep -q "model            $work/run/model.h5" pipeline.txt || fail "pipeline.sh does not say where the model is"
ok

# Every stage completed, after the one it depends on.
prev_end=""
while read -r stage id; do
  [ "$(job_field "$id" JobState)" = COMPLETED ] || fail "$stage job $id: $(job_field "$id" JobState)"
  start=$(job_field "$id" StartTime)
  [ -z "$prev_end" ] || [[ ! "$start" < "$prev_end" ]] || fail "$stage started ($start) before its dependency ended ($prev_end)"
  prev_end=$(job_field "$id" EndTime)
  [ -s "run/logs/fc-$stage-$id.out" ] || fail "no log run/logs/fc-$stage-$id.out"
done <run/jobs.txt
ok

# ingest: all flows, written atomically (no staged copy left).
"$fc" info run/dataset.h5 >info.txt
grep -q "^rows      $(($(wc -l <flows.csv) - 1)) flows" info.txt || { cat info.txt; fail "dataset rows"; }
! ls run/dataset.h5.tmp* >/dev/null 2>&1 || fail "ingest left a temporary file"
ok

# mine: a model with patterns, mined by one task with the job's CPUs as OpenMP threads.
"$fc" show --json run/model.h5 >model.json
python3 - model.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["patterns"]) >= 5, len(d["patterns"])
assert d["bits"]["model"] + d["bits"]["data"] < d["bits"]["empty"]
PY
h5attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): *//p'; }
[ "$(h5attr run/model.h5 threads)" = 1 ] || fail "mine ran with $(h5attr run/model.h5 threads) threads, not cpus-per-task=1"
[ "$(h5attr run/model.h5 ranks)" = 1 ] || fail "mine ran on $(h5attr run/model.h5 ranks) ranks"
[ ! -e run/model.h5.ckpt ] || fail "a converged mine job left its checkpoint"
grep -q "model written: $work/run/model.h5" run/logs/fc-mine-*.out || fail "mine log"
ok

if [ "$stages" = "ingest mine generate merge" ]; then
  n=$(find run/generated.parts -type f | wc -l)
  [ "$n" -ge 1 ] || fail "generate wrote no part file"
  ! ls -d run/generated.parts.tmp-* >/dev/null 2>&1 || fail "generate left its staging directory"
  [ -s run/generated.csv ] || fail "merge wrote no flows"
  python3 - run/generated.csv <<'PY' || fail "the merged flows are not time-ordered canonical flows in [start, end)"
import csv, sys
from datetime import datetime, timezone
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows, "no flows"
lo = datetime(2024, 3, 4, tzinfo=timezone.utc).timestamp()
hi = datetime(2024, 3, 5, tzinfo=timezone.utc).timestamp()
def ts(r):
    v = r["ts"]
    try:
        return float(v)
    except ValueError:
        return datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp()
t = [ts(r) for r in rows]
assert all(a <= b for a, b in zip(t, t[1:])), "not time-ordered"
assert lo <= t[0] and t[-1] < hi, (t[0], t[-1])
PY
  "$fc" ingest --format flows -o back.h5 run/generated.csv 2>/dev/null || fail "the merged flows do not ingest back"
  # The same options in one process, outside Slurm, give the same bytes as the 2-rank job.
  "$fc" generate -m run/model.h5 -o direct.csv --start 2024-03-04 --end 2024-03-05 --slice 1h \
    --seed 7 --merge 2>direct.txt || { cat direct.txt; fail "generate outside Slurm"; }
  cmp -s direct.csv run/generated.csv || fail "the job's flows differ from one direct generate run"
  ok

  # generate as a job array of 3 tasks, one shard each, then merge. FC_PARTS holds parts of
  # earlier layouts (one job, another shard count, this shard count with other rank counts) that
  # must not be merged, and a file that is not a part.
  mkdir -p arr/generated.parts
  for f in flows.part-0000-of-0002.csv flows.shard-0000-of-0002.part-0000-of-0001.csv \
    flows.shard-0001-of-0003.part-0002-of-0003.csv; do
    echo "stale,not a part" >"arr/generated.parts/$f"
  done
  echo "not a part" >arr/generated.parts/notes.txt
  rc=0
  FC_BIN=$fc FC_WORKDIR=arr FC_STAGES="generate merge" FC_MODEL=$work/run/model.h5 FC_GEN_ARRAY=0-2 \
    FC_SCRATCH_BASE=$work/scratch FC_GENERATE_SBATCH="--ntasks=1 --cpus-per-task=1" \
    FC_START="2024-03-04" FC_END="2024-03-05" FC_SLICE=1h FC_SEED=7 FC_POLL=1 \
    timeout 600 "$src/jobs/pipeline.sh" --wait >arr.txt 2>&1 || rc=$?
  cat arr.txt
  for f in arr/logs/*.out; do echo "---- $f"; cat "$f"; done
  [ $rc = 0 ] || fail "jobs/pipeline.sh --wait with FC_GEN_ARRAY=0-2 exited $rc"
  grep -q "generate .* array 0-2" arr.txt || fail "pipeline.sh does not say generate is an array"
  gen=$(sed -n 's/^generate //p' arr/jobs.txt)
  merge=$(sed -n 's/^merge //p' arr/jobs.txt)
  merge_start=$(job_field "$merge" StartTime)
  for task in 0 1 2; do
    [ "$(job_field "${gen}_$task" JobState)" = COMPLETED ] || fail "array task $task: $(job_field "${gen}_$task" JobState)"
    [[ ! "$merge_start" < "$(job_field "${gen}_$task" EndTime)" ]] || fail "merge started before array task $task ended"
    grep -q "shard $task of 3" "arr/logs/fc-generate-${gen}_$task.out" || fail "array task $task: its log does not name its shard"
  done
  want=$'flows.shard-0000-of-0003.part-0000-of-0001.csv\nflows.shard-0001-of-0003.part-0000-of-0001.csv\nflows.shard-0002-of-0003.part-0000-of-0001.csv\nnotes.txt'
  got=$(cd arr/generated.parts && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
  [ "$got" = "$want" ] || fail "the array left in FC_PARTS: $got"
  ! ls -d arr/generated.parts.tmp-* >/dev/null 2>&1 || fail "an array task left its staging directory"
  cmp -s arr/generated.csv run/generated.csv || fail "the array's merged flows differ from the one-job run's"
  ok
fi

# The jobs' scratch directories were removed by their traps.
[ -z "$(ls -A scratch)" ] || fail "scratch directories left behind: $(ls scratch)"
ok

echo "$n_ok passed, 0 failed"
