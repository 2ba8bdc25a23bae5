#!/usr/bin/env bash
# Ingest throughput on the UGR'16 half day (628,319 unidirectional records): the whole command
# (parse, session rule, encode, HDF5 write) and the parse alone, with CPU time and peak memory.
# Usage: bench/ingest.sh [BUILD_DIR]   (needs ../shared/data; prints one table row per run)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
fc="$build/flowchronicle"
data="$here/../shared/data/flows/ugr16-2016-04-11-00-12h.csv.gz"
[ -r "$data" ] || { echo "bench/ingest.sh: $data is absent" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mb=$(zcat "$data" | wc -c)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc --all) cores"
echo "| run | wall s | parse records/s | parse MB/s | session rule s | encode s | write s | records/s overall | peak MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for run in 1 2 3; do
  t0=$(date +%s.%N)
  "$fc" ingest --format ugr16 -o "$work/u.h5" "$data" 2>"$work/log" >/dev/null
  t1=$(date +%s.%N)
  read_s=$(sed -n 's/.*records in \([0-9.]*\) s.*/\1/p' "$work/log" | head -1)
  recs=$(sed -n 's/.*read .*: \([0-9]*\) records in.*/\1/p' "$work/log" | head -1)
  peak=$(sed -n 's/.*peak memory \([0-9]*\) MB.*/\1/p' "$work/log")
  sess=$(sed -n 's/.*sessions in \([0-9.]*\) s.*/\1/p' "$work/log")
  enc=$(sed -n 's/.*encode \([0-9.]*\) s.*/\1/p' "$work/log")
  wr=$(sed -n 's/.*write \([0-9.]*\) s).*/\1/p' "$work/log")
  awk -v r="$run" -v a="$t0" -v b="$t1" -v rs="$read_s" -v n="$recs" -v mb="$mb" -v p="$peak" \
    -v se="$sess" -v en="$enc" -v wr="$wr" \
    'BEGIN { w = b - a; printf "| %d | %.2f | %.0f | %.0f | %s | %s | %s | %.0f | %s |\n", r, w, n / rs, mb / 1e6 / rs, se, en, wr, n / w, p }'
done
"$fc" info "$work/u.h5" | head -3
