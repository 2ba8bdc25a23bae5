#!/usr/bin/env bash
# The distributed miner gives the same model whatever the number of MPI ranks and OpenMP
# threads (compared as a canonical dump: show --json and every dataset of the model file, no
# attributes, so no timestamps or command lines); a checkpoint written with 2 ranks resumes with
# 3 and ends with the same model; a rank that cannot read its data stops every rank with an
# error instead of a hang.
# Usage: test_mine_ranks.sh FLOWCHRONICLE BUILD_DIR
# ctest-labels: slow
set -euo pipefail
fc=$1
command -v mpiexec >/dev/null || { echo "SKIP: mpiexec not found"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
n_ok=0
"$fc" -q demo-data --days 1 -o demo.csv
"$fc" -q ingest --format flows -o demo.h5 demo.csv

dump() { # canonical content of a model: patterns in words and JSON, and every dataset
  "$fc" show --json "$1"
  h5dump -A 0 "$1" | tail -n +2
}

run() { # ranks threads output [extra mine options]
  local n=$1 t=$2 out=$3
  shift 3
  OMP_NUM_THREADS=$t timeout 900 mpiexec -n "$n" "$fc" mine -i demo.h5 -o "$out" "$@" 2>"$out.log" ||
    { cat "$out.log" >&2; fail "mine with $n ranks and $t threads"; }
}

run 1 1 ref.h5
dump ref.h5 >ref.dump
grep -q '"patterns"' ref.dump || fail "no model dump"
for nt in "1 2" "2 1" "2 2" "3 1"; do
  set -- $nt
  run "$1" "$2" "m$1$2.h5"
  dump "m$1$2.h5" >"m$1$2.dump"
  cmp -s ref.dump "m$1$2.dump" || { diff ref.dump "m$1$2.dump" | head -20 >&2; fail "$1 ranks x $2 threads differ from 1 x 1"; }
  n_ok=$((n_ok + 1))
done

# A checkpoint from 2 ranks, resumed on 3.
run 2 1 part.h5 --max-iterations 4 --checkpoint part.ckpt
[ -e part.ckpt ] || fail "no checkpoint after --max-iterations"
run 3 1 resumed.h5 --checkpoint part.ckpt --resume
grep -q "resumed from part.ckpt" resumed.h5.log || fail "did not resume"
dump resumed.h5 >resumed.dump
cmp -s ref.dump resumed.dump || fail "resuming on 3 ranks from a 2-rank checkpoint changes the model"
n_ok=$((n_ok + 1))

# Every rank fails cleanly when the data cannot be read (no hang: the timeout would fire).
rc=0
timeout 120 mpiexec -n 3 "$fc" mine -i missing.h5 -o x.h5 2>err.txt || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "a missing dataset gave status $rc"
grep -q "missing.h5" err.txt || fail "the error does not name the file"
[ ! -e x.h5 ] || fail "a failed run left a model"
n_ok=$((n_ok + 1))
echo "$n_ok passed, 0 failed"
