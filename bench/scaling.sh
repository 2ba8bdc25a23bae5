#!/usr/bin/env bash
# Strong scaling of `mine` on the full UGR'16 half day (628,319 records, 279,745 flows): a fixed
# amount of search (FC_BENCH_ITERATIONS iterations, default 40) with 1 and 2 ranks x 1 and 2
# threads, and 4 ranks oversubscribed. Wall time, speed-up and efficiency against 1 x 1, bytes
# communicated and peak memory per rank (from mine's summary line); also checks that every run
# produced the same model.
# Usage: bench/scaling.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
fc="$build/flowchronicle"
data="$here/../shared/data/flows/ugr16-2016-04-11-00-12h.csv.gz"
[ -r "$data" ] || { echo "bench/scaling.sh: $data is absent" >&2; exit 77; }
its=${FC_BENCH_ITERATIONS:-40}
read -r -a mine_args <<<"${FC_BENCH_MINE_ARGS:-}" # more mine options, e.g. "--window-cache 4096"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
"$fc" -q ingest --format ugr16 -o "$work/u.h5" "$data"
echo "$its iterations, mine options: ${FC_BENCH_MINE_ARGS:-none}; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc --all) cores"
echo "| ranks x threads | wall s | speed-up | efficiency | MB communicated | peak MB per rank | same model |"
echo "|---|---:|---:|---:|---:|---:|---|"
base=""
for cfg in "1 1" "1 2" "2 1" "2 2" "4 1"; do
  set -- $cfg
  t0=$(date +%s.%N)
  OMP_NUM_THREADS=$2 mpiexec -n "$1" "$fc" mine -i "$work/u.h5" -o "$work/m$1$2.h5" \
    --max-iterations "$its" --progress 600s "${mine_args[@]}" 2>"$work/log"
  t1=$(date +%s.%N)
  line=$(grep "wrote $work/m$1$2.h5" "$work/log")
  mb=$(sed -n 's/.*, \([0-9.]*\) MB communicated.*/\1/p' <<<"$line")
  peak=$(sed -n 's/.*peak memory \([0-9]*\) MB per rank.*/\1/p' <<<"$line")
  "$fc" show --json "$work/m$1$2.h5" >"$work/d$1$2"
  h5dump -A 0 "$work/m$1$2.h5" | tail -n +2 >>"$work/d$1$2"
  same=yes
  [ -z "$base" ] || cmp -s "$work/d11" "$work/d$1$2" || same=NO
  w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  [ -n "$base" ] || base=$w
  awk -v c="$1 x $2" -v w="$w" -v b="$base" -v p="$(($1 * $2))" -v mb="$mb" -v pk="$peak" -v s="$same" \
    'BEGIN { printf "| %s | %.1f | %.2f | %.0f%% | %s | %s | %s |\n", c, w, b / w, 100 * b / w / p, mb, pk, s }'
done
