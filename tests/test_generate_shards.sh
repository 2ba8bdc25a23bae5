#!/usr/bin/env bash
# generate --shard end to end: the period cut into 3 shards, each run as its own mpiexec with
# its own rank count (1, 2, 3), merges into the same bytes as one whole run, in every format
# (csv, cidds, h5: compared through 'export'); so do 5 shards of a 2-slice period (empty shards
# still write valid parts). Parts are named by shard and rank; HDF5 parts carry shard and
# n_shards and the run_id of the whole generation. Bad --shard values are usage errors (exit 2,
# nothing written); merge refuses HDF5 parts with a missing part of a shard, a missing shard, a
# part given twice, or another shard count, naming the file.
# Usage: test_generate_shards.sh FLOWCHRONICLE BUILD_DIR
set -euo pipefail
fc=$1
# shellcheck source=tests/generate_common.sh
. "$(dirname "$0")/generate_common.sh"
h5attr() { h5dump -a "/generate/$2" "$1" | sed -n 's/^ *(0): *//p'; }
"$fc" generate --help | grep -q -- "--shard T/N" || fail "generate --help does not document --shard"

# sum FILE FORMAT: SHA-256 of the flows (HDF5 through export)
sum() {
  if [ "$2" = h5 ]; then
    "$fc" -q export "$1" -o "$1.csv"
    sha256sum <"$1.csv" | cut -c1-64
  else
    sha256sum <"$1" | cut -c1-64
  fi
}

# --- 3 shards on 1, 2 and 3 ranks = one whole run (20-min slices: instances spill past the
# shards' ends, 12:00 and 00:00)
period=(--start 2024-03-11 --end "2024-03-12 12:00:00" --seed 7 --slice 20m)
for fmt in csv cidds h5; do
  ext=$fmt
  [ "$fmt" = cidds ] && ext=cidds.csv
  "$fc" -q generate -m model.h5 -o whole.$ext --format "$fmt" "${period[@]}" --merge
  for t in 0 1 2; do
    mpi $((t + 1)) "$fc" generate -m model.h5 -o s.$ext --format "$fmt" "${period[@]}" \
      --shard "$t/3" 2>log-$t.txt || { cat log-$t.txt >&2; fail "$fmt: shard $t/3"; }
  done
  grep -q "shard 1 of 3: slices \[36, 72) of 108" log-1.txt || { cat log-1.txt; fail "no shard in the log"; }
  grep -q "shard 1 of 3: generated" log-1.txt || { cat log-1.txt; fail "no shard in the summary"; }
  stem=s
  [ "$fmt" = cidds ] && stem=s.cidds
  want=""
  for p in 0000-of-0003.part-0000-of-0001 0001-of-0003.part-0000-of-0002 0001-of-0003.part-0001-of-0002 \
    0002-of-0003.part-0000-of-0003 0002-of-0003.part-0001-of-0003 0002-of-0003.part-0002-of-0003; do
    want+="$stem.shard-$p.${ext##*.}"$'\n'
  done
  want=${want%$'\n'}
  got=$(ls s.*shard-*)
  [ "$got" = "$want" ] || fail "$fmt: parts are
$got
expected
$want"
  parts=(s.*shard-*)
  "$fc" -q merge -o merged.$ext "${parts[@]}"
  ref=$(sum whole.$ext "$fmt")
  got=$(sum merged.$ext "$fmt")
  [ "$got" = "$ref" ] || fail "$fmt: 3 shards on 1, 2, 3 ranks differ from the whole run"
  echo "$fmt: 3 shards on 1, 2, 3 ranks = the whole run ($ref)"
  [ "$fmt" = h5 ] || rm -f "${parts[@]}"
  ok
done
lines=$(($(wc -l <whole.csv) - 1))
[ "$lines" -gt 5000 ] || fail "only $lines flows in 1.5 days"

# --- HDF5 attributes: the shard, and one run_id for the generation
[ "$(h5attr s.shard-0002-of-0003.part-0001-of-0003.h5 shard)" = 2 ] || fail "shard attribute"
[ "$(h5attr s.shard-0002-of-0003.part-0001-of-0003.h5 n_shards)" = 3 ] || fail "n_shards attribute"
[ "$(h5attr s.shard-0002-of-0003.part-0001-of-0003.h5 n_parts)" = 3 ] || fail "n_parts attribute"
id=$(h5attr whole.h5 run_id)
for p in s.shard-*.h5; do
  [ "$(h5attr "$p" run_id)" = "$id" ] || fail "$p: run_id $(h5attr "$p" run_id), the whole run's is $id"
done
for a in shard:0 n_shards:1 part:0 n_parts:1 merged_parts:6; do
  [ "$(h5attr merged.h5 "${a%%:*}")" = "${a#*:}" ] || fail "merged file: ${a%%:*} is $(h5attr merged.h5 "${a%%:*}")"
done
ok

# --- more shards than slices: empty shards write valid empty parts
short=(--start 2024-03-11 --end "2024-03-11 02:00:00" --seed 3)
for fmt in csv h5; do
  "$fc" -q generate -m model.h5 -o short.$fmt --format "$fmt" "${short[@]}" --merge
  for t in 0 1 2 3 4; do
    mpi 2 "$fc" generate -m model.h5 -o e.$fmt --format "$fmt" "${short[@]}" --shard "$t/5" 2>log.txt ||
      { cat log.txt >&2; fail "$fmt: shard $t/5"; }
    if [ "$t" = 0 ]; then
      grep -q "shard 0 of 5: no slice" log.txt || { cat log.txt; fail "an empty shard is not reported"; }
    fi
  done
  parts=(e.shard-*."$fmt")
  [ ${#parts[@]} = 10 ] || fail "$fmt: ${#parts[@]} parts for 5 shards x 2 ranks"
  [ "$fmt" = h5 ] || [ "$(cat e.shard-0000-of-0005.part-0000-of-0002.csv)" = "$(sed -n 1p short.csv)" ] ||
    fail "an empty CSV part is not just the header"
  "$fc" -q merge -o e-merged.$fmt "${parts[@]}"
  [ "$(sum e-merged.$fmt "$fmt")" = "$(sum short.$fmt "$fmt")" ] || fail "$fmt: 5 shards of 2 slices differ from the whole run"
  ok
done

# --- usage errors: exit 2, nothing written
g=(generate -m model.h5 -o bad.csv)
expect_error 2 "T must be below N" -- "$fc" "${g[@]}" --shard 3/3
expect_error 2 "T must be below N" -- mpi 2 "$fc" "${g[@]}" --shard 3/3
expect_error 2 "N must be at least 1" -- "$fc" "${g[@]}" --shard 0/0
expect_error 2 "is not T/N" -- "$fc" "${g[@]}" --shard 1
expect_error 2 "is not T/N" -- "$fc" "${g[@]}" --shard -1/3
expect_error 2 "is not T/N" -- "$fc" "${g[@]}" --shard 1/3x
expect_error 2 "is not T/N" -- "$fc" "${g[@]}" --shard /3
expect_error 2 "at most" -- "$fc" "${g[@]}" --shard 1/99999999999
expect_error 2 "merge the parts of all 2 shards" -- "$fc" "${g[@]}" --shard 1/2 --merge

# --- merge checks HDF5 parts per shard, naming the file
all=(s.shard-*.h5)
[ ${#all[@]} = 6 ] || fail "${#all[@]} HDF5 parts"
expect_error 1 "s.shard-0002-of-0003.part-0002-of-0003.h5 is part 2 of 3 of shard 2 of 3, but part 1 of shard 2 of 3 is missing" -- \
  "$fc" merge -o bad.h5 "${all[@]:0:4}" "${all[@]:5}"
expect_error 1 "no part of shard 1 was given" -- \
  "$fc" merge -o bad.h5 s.shard-0000-of-0003.part-0000-of-0001.h5 s.shard-0002-of-0003.part-000*.h5
expect_error 1 "no part of shard 2 was given" -- \
  "$fc" merge -o bad.h5 s.shard-0000-of-0003.part-0000-of-0001.h5 s.shard-0001-of-0003.part-000*.h5
expect_error 1 "exactly once" -- "$fc" merge -o bad.h5 "${all[@]}" s.shard-0001-of-0003.part-0000-of-0002.h5
mpi 2 "$fc" -q generate -m model.h5 -o u.h5 --format h5 "${period[@]}"
expect_error 1 "u.part-0000-of-0002.h5 is a part of shard 0 of 1, s.shard-0000-of-0003.part-0000-of-0001.h5 of shard 0 of 3" -- \
  "$fc" merge -o bad.h5 "${all[@]}" u.part-0000-of-0002.h5
"$fc" -q generate -m model.h5 -o t.h5 --format h5 "${period[@]}" --shard 1/2
expect_error 1 "is a part of shard 1 of 2" -- "$fc" merge -o bad.h5 s.shard-0000-of-0003.part-0000-of-0001.h5 t.shard-0001-of-0002.part-0000-of-0001.h5
"$fc" -q merge -o u-merged.h5 u.part-0001-of-0002.h5 u.part-0000-of-0002.h5
[ "$(sum u-merged.h5 h5)" = "$(sum whole.h5 h5)" ] || fail "an unsharded 2-rank run no longer merges"

echo "test_generate_shards: $n_ok checks passed"
