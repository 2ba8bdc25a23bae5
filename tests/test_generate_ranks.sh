#!/usr/bin/env bash
# generate and merge end to end: the merged output is byte-identical for mpiexec -n 1, 2, 3 and
# OMP_NUM_THREADS 1 and 2, in every format (csv, cidds, h5: compared through 'export'); parts are
# in byte order; the outputs ingest again (flows CSV round trip, CIDDS through the session rule,
# the HDF5 file is a dataset equal to the CSV); bad options are usage errors (exit 2); bad models
# and failing runs exit 1 and leave no part; merge refuses parts of other runs, missing parts and
# unordered input.
# Usage: test_generate_ranks.sh FLOWCHRONICLE BUILD_DIR
set -euo pipefail
fc=$1
# shellcheck source=tests/generate_common.sh
. "$(dirname "$0")/generate_common.sh"

"$fc" generate --help | grep -q "^Usage: flowchronicle generate" || fail "generate --help"
"$fc" merge --help | grep -q "^Usage: flowchronicle merge" || fail "merge --help"
"$fc" --help | grep -q "generate" || fail "generate missing from --help"

# --- byte-identical merged output for any rank and thread count
period=(--start 2024-03-11 --end "2024-03-12 12:00:00" --seed 7 --slice 20m)
for fmt in csv cidds h5; do
  ext=$fmt
  [ "$fmt" = cidds ] && ext=cidds.csv
  ref=""
  for n in 1 2 3; do
    for t in 1 2; do
      out=g-$n-$t.$ext
      if [ "$n" = 2 ]; then
        OMP_NUM_THREADS=$t mpi "$n" "$fc" -q generate -m model.h5 -o "$out" --format "$fmt" "${period[@]}"
        parts=$(ls g-$n-$t*.part-*-of-0002*)
        [ "$(echo "$parts" | wc -l)" = 2 ] || fail "$fmt: -n 2 wrote $(echo "$parts" | wc -w) parts"
        if [ "$fmt" != h5 ]; then
          for p in $parts; do
            tail -n +2 "$p" | LC_ALL=C sort -c || fail "$fmt: part $p is not in byte order"
          done
        fi
        "$fc" -q merge -o "$out" $parts
        rm -f $parts
      else
        OMP_NUM_THREADS=$t mpi "$n" "$fc" -q generate -m model.h5 -o "$out" --format "$fmt" \
          "${period[@]}" --merge
        ! ls g-$n-$t*.part-* >/dev/null 2>&1 || fail "--merge left the parts"
      fi
      if [ "$fmt" = h5 ]; then
        "$fc" -q export "$out" -o "$out.csv"
        sum=$(sha256sum <"$out.csv" | cut -c1-64)
      else
        sum=$(sha256sum <"$out" | cut -c1-64)
      fi
      [ -n "$ref" ] || ref=$sum
      [ "$sum" = "$ref" ] || fail "$fmt: -n $n OMP_NUM_THREADS=$t differs from -n 1 OMP_NUM_THREADS=1"
    done
  done
  echo "$fmt: identical for -n 1, 2, 3 x OMP_NUM_THREADS 1, 2 ($ref)"
  ok
done
lines=$(($(wc -l <g-1-1.csv) - 1))
[ "$lines" -gt 5000 ] || fail "only $lines flows in 1.5 days"
tail -n +2 g-1-1.csv | LC_ALL=C sort -c || fail "merged CSV is not in byte order"

# --- the outputs read back
"$fc" -q ingest --format flows -o back.h5 g-1-1.csv
"$fc" -q export back.h5 -o back.csv
cmp -s back.csv g-1-1.csv || fail "flows CSV: ingest + export is not the same file"
cmp -s g-1-1.h5.csv g-1-1.csv || fail "h5: export differs from the CSV of the same run"
"$fc" info g-1-1.h5 | grep -q "format generate" || fail "info on the HDF5 output"
h5dump -a /generate/run_id g-1-1.h5 >/dev/null || fail "h5dump /generate"
"$fc" -q ingest --format cidds -o cidds.h5 g-1-1.cidds.csv
sessions=$("$fc" info cidds.h5 | awk '/^rows/ {print $2}')
# The session rule merges flows sharing a 5-tuple within 120 s and splits ICMP answers.
[ "$sessions" -gt $((lines * 9 / 10)) ] && [ "$sessions" -le $((lines * 11 / 10)) ] ||
  fail "cidds: $sessions sessions from $lines flows"
grep -q '^Date first seen,Duration,Proto,Src IP Addr,Src Pt,Dst IP Addr,Dst Pt,Packets,Bytes,Flows,Flags,Tos,class,attackType,attackID,attackDescription$' g-1-1.cidds.csv ||
  fail "cidds header"
# Another seed gives other flows; the same seed the same.
"$fc" -q generate -m model.h5 -o s8.csv --start 2024-03-11 --end 2024-03-11T06:00:00 --seed 8 --merge
"$fc" -q generate -m model.h5 -o s8b.csv --start 2024-03-11 --end 2024-03-11T06:00:00 --seed 8 --merge
"$fc" -q generate -m model.h5 -o s9.csv --start 2024-03-11 --end 2024-03-11T06:00:00 --seed 9 --merge
cmp -s s8.csv s8b.csv || fail "same seed, different output"
! cmp -s s8.csv s9.csv || fail "another seed, same output"
# --end: nothing starts at or after it; the time zone moves the period
"$fc" -q generate -m model.h5 -o tz.csv --start "2024-03-11 09:00:00" --end "2024-03-11 10:00:00" \
  --tz +02:00 --merge
awk -F, 'NR > 1 && ($1 < "2024-03-11 07:00:00" || $1 >= "2024-03-11 08:00:00") {bad++} END {exit bad > 0}' \
  tz.csv || fail "--tz +02:00: flows outside 07:00-08:00 UTC"
ok

# --- usage errors: exit 2, nothing written
g=(generate -m model.h5 -o bad.csv)
expect_error 2 "is not after" -- "$fc" "${g[@]}" --start 2024-03-12 --end 2024-03-11
expect_error 2 "is not after" -- "$fc" "${g[@]}" --start 2024-03-12 --end 2024-03-12
expect_error 2 "--scale" -- "$fc" "${g[@]}" --scale 0
expect_error 2 "--scale" -- "$fc" "${g[@]}" --scale 2e6
expect_error 2 "--scale" -- "$fc" "${g[@]}" --scale -1
expect_error 2 "--start" -- "$fc" "${g[@]}" --start 2024-02-30
expect_error 2 "--start" -- "$fc" "${g[@]}" --start "2024-03-11 25:00:00"
expect_error 2 "--end" -- "$fc" "${g[@]}" --end yesterday
expect_error 2 "--tz" -- "$fc" "${g[@]}" --tz +15:00
expect_error 2 "--format" -- "$fc" "${g[@]}" --format xml
expect_error 2 "--slice" -- "$fc" "${g[@]}" --slice 10us
expect_error 2 "is required" -- "$fc" generate -o bad.csv
expect_error 2 "is required" -- "$fc" merge bad.csv
expect_error 2 "is not after" -- mpi 2 "$fc" "${g[@]}" --start 2024-03-12 --end 2024-03-11

# --- bad models and failing runs: exit 1, no part left
expect_error 1 "nope.h5" -- "$fc" generate -m nope.h5 -o bad.csv
expect_error 1 "nope.h5" -- mpi 3 "$fc" generate -m nope.h5 -o bad.csv
[ "$(grep -c "nope.h5" err.txt)" = 1 ] || { cat err.txt >&2; fail "a missing model is reported $(grep -c nope.h5 err.txt) times"; }
head -c 3000 model.h5 >trunc.h5
expect_error 1 "trunc.h5" -- mpi 2 "$fc" generate -m trunc.h5 -o bad.csv
expect_error 1 "train.h5" -- "$fc" generate -m train.h5 -o bad.csv
expect_error 1 "bad.dir" -- mpi 2 "$fc" generate -m model.h5 -o bad.dir/x.csv
mkdir ro && chmod 500 ro
if [ "$(id -u)" != 0 ]; then
  expect_error 1 "ro/" -- "$fc" generate -m model.h5 -o ro/x.csv
fi

# --- merge refuses what it cannot merge
mpi 2 "$fc" -q generate -m model.h5 -o r1.h5 --format h5 --start 2024-03-11 --end 2024-03-11T03:00:00
mpi 2 "$fc" -q generate -m model.h5 -o r2.h5 --format h5 --start 2024-03-11 --end 2024-03-11T03:00:00 --seed 2
expect_error 1 "another generation run" -- "$fc" merge -o bad.h5 r1.part-0000-of-0002.h5 r2.part-0001-of-0002.h5
expect_error 1 "exactly once" -- "$fc" merge -o bad.h5 r1.part-0000-of-0002.h5
expect_error 1 "exactly once" -- "$fc" merge -o bad.h5 r1.part-0000-of-0002.h5 r1.part-0000-of-0002.h5
expect_error 1 "is HDF5" -- "$fc" merge -o bad.csv r1.part-0000-of-0002.h5 g-1-1.csv
"$fc" -q merge -o r1.h5 r1.part-0001-of-0002.h5 r1.part-0000-of-0002.h5
h5dump -a /generate/merged_parts r1.h5 | grep -q "(0): 2" || fail "merged_parts"
tail -n +2 g-1-1.csv | sort -r >reversed.csv
(head -1 g-1-1.csv; sed -n 1,20p reversed.csv) >unordered.csv
expect_error 1 "unordered.csv:3" -- "$fc" merge -o bad.csv unordered.csv g-1-1.csv
expect_error 1 "header" -- "$fc" merge -o bad.csv g-1-1.csv g-1-1.cidds.csv
expect_error 1 "also an input" -- "$fc" merge -o g-1-1.csv g-1-1.csv

echo "test_generate_ranks: $n_ok checks passed"
