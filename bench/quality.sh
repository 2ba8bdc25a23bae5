#!/usr/bin/env bash
# Quality of synthetic flows on real data, the paper's protocol on the UGR'16 half day: the
# first 6 hours are the training data (ingest, mine), `generate` makes the next 6 hours, and
# `eval` compares them with the real next 6 hours (the holdout) and the training data.
# Usage: bench/quality.sh [BUILD_DIR]   (prints eval's table; FC_BENCH_TIME_LIMIT bounds mining)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
fc="$build/flowchronicle"
data="$here/../shared/data/flows/ugr16-2016-04-11-00-12h.csv.gz"
[ -r "$data" ] || { echo "bench/quality.sh: $data is absent" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Records are sorted by end time; a record belongs to the first half when it ends before 06:00.
zcat "$data" | awk -F, 'NR == 1 { print > "'"$work"'/train.csv"; print > "'"$work"'/test.csv"; next }
  $1 < "2016-04-11 06:00:00" { print > "'"$work"'/train.csv"; next } { print > "'"$work"'/test.csv" }'
"$fc" -q ingest --format ugr16 -o "$work/train.h5" "$work/train.csv"
"$fc" -q ingest --format ugr16 -o "$work/test.h5" "$work/test.csv"
"$fc" info "$work/train.h5" | sed -n '2,3p'
"$fc" info "$work/test.h5" | sed -n '2,3p'
t0=$(date +%s)
mpiexec -n 2 "$fc" mine -i "$work/train.h5" -o "$work/model.h5" \
  --time-limit "${FC_BENCH_TIME_LIMIT:-20m}" --progress 60s 2>&1 | tail -2
t1=$(date +%s)
echo "mining: $((t1 - t0)) s"
"$fc" show "$work/model.h5" | sed -n 1,3p
mpiexec -n 2 "$fc" generate -m "$work/model.h5" -o "$work/gen.csv" --merge \
  --start "2016-04-11 06:00:00" --end "2016-04-11 12:00:00" --seed 1 2>&1 | tail -2
"$fc" eval --real "$work/train.h5" --synthetic "$work/gen.csv" --holdout "$work/test.h5" \
  --runs "${FC_BENCH_RUNS:-20}"
