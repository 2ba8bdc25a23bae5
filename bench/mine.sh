#!/usr/bin/env bash
# Mining to convergence on the first 10k, 50k, 100k and all records of the UGR'16 half day and
# on the embedded demo week: wall time, iterations, patterns, compression (total / empty model)
# and peak memory, one table row each. OMP_NUM_THREADS defaults to 1 (one core).
# Usage: bench/mine.sh [BUILD_DIR] [SIZES...]   e.g. bench/mine.sh build 10000 50000
# FC_BENCH_TIME_LIMIT (default 30m) bounds each run; a run that hits it says so.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 50000 100000 all demo)
fc="$build/flowchronicle"
data="$here/../shared/data/flows/ugr16-2016-04-11-00-12h.csv.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
limit=${FC_BENCH_TIME_LIMIT:-30m}
echo "threads $OMP_NUM_THREADS, load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc --all) cores"
echo "| input | records | flows | wall s | iterations | patterns | candidates | total / empty | peak MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  if [ "$n" = demo ]; then
    "$fc" -q demo-data -o "$work/in.csv"
    "$fc" -q ingest --format flows -o "$work/in.h5" "$work/in.csv"
    recs=$(($(wc -l <"$work/in.csv") - 1))
    name="demo week"
  else
    [ -r "$data" ] || { echo "bench/mine.sh: $data is absent" >&2; exit 77; }
    if [ "$n" = all ]; then zcat "$data" >"$work/in.csv"; else zcat "$data" | head -n $((n + 1)) >"$work/in.csv" || true; fi
    "$fc" -q ingest --format ugr16 -o "$work/in.h5" "$work/in.csv"
    recs=$(($(wc -l <"$work/in.csv") - 1))
    name="UGR'16 first $n"
  fi
  flows=$("$fc" info "$work/in.h5" | sed -n 's/^rows *\([0-9]*\) flows/\1/p')
  t0=$(date +%s.%N)
  "$fc" mine -i "$work/in.h5" -o "$work/m.h5" --time-limit "$limit" --progress 60s 2>"$work/log" || {
    cat "$work/log" >&2
    exit 1
  }
  t1=$(date +%s.%N)
  line=$(grep "wrote $work/m.h5" "$work/log")
  pats=$(sed -n 's/.*: \([0-9]*\) patterns,.*/\1/p' <<<"$line")
  pct=$(sed -n 's/.*bits = \([0-9.]*\)% of the empty model.*/\1/p' <<<"$line")
  its=$(sed -n 's/.*, \([0-9]*\) iterations.*/\1/p' <<<"$line")
  cands=$(sed -n 's/.*iterations, \([0-9]*\) candidates.*/\1/p' <<<"$line")
  peak=$(sed -n 's/.*peak memory \([0-9]*\) MB.*/\1/p' <<<"$line")
  grep -q "time limit reached" "$work/log" && name="$name (stopped at $limit)"
  awk -v nm="$name" -v r="$recs" -v f="$flows" -v a="$t0" -v b="$t1" -v it="$its" -v p="$pats" \
    -v c="$cands" -v pc="$pct" -v pk="$peak" \
    'BEGIN { printf "| %s | %d | %d | %.1f | %s | %s | %s | %.2f%% | %s |\n", nm, r, f, b - a, it, p, c, pc, pk }'
done
