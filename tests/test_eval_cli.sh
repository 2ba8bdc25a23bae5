#!/usr/bin/env bash
# flowchronicle eval end to end on real CIDDS-001 flows: usage errors, the table and the JSON
# document, the identities of a set compared with itself, and identical results for 1 and 2
# OpenMP threads. Skips when the tool has no eval command or ../shared/data is absent.
set -euo pipefail
TOOL=${1:?tool path}
SHARED=${FC_SHARED_DATA:-}
CIDDS="$SHARED/flows/cidds001-week3-sample-8k.csv"

if ! "$TOOL" eval --help > /dev/null 2>&1; then
  echo "SKIP: $TOOL has no eval command"
  exit 77
fi
if [ ! -r "$CIDDS" ]; then
  echo "SKIP: $CIDDS is absent"
  exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fc_eval_cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# Two halves of the sample: rows are spread over the week in random order.
head -n 1 "$CIDDS" > "$TMP/a.csv"
cp "$TMP/a.csv" "$TMP/b.csv"
tail -n +2 "$CIDDS" | awk -v a="$TMP/a.csv" -v b="$TMP/b.csv" 'NR % 2 { print >> a; next } { print >> b }'

fail() { echo "FAIL: $*"; exit 1; }

# Usage errors exit 2, help exits 0.
"$TOOL" eval --help | grep -q -- "--holdout" || fail "help does not mention --holdout"
set +e
"$TOOL" eval --real "$TMP/a.csv" > /dev/null 2>&1; [ $? -eq 2 ] || fail "missing --synthetic not a usage error"
"$TOOL" eval --real "$TMP/a.csv" --synthetic "$TMP/b.csv" --format nope > /dev/null 2>&1
[ $? -eq 2 ] || fail "unknown format not a usage error"
"$TOOL" eval --real "$TMP/a.csv" --synthetic "$TMP/b.csv" --internal 10.0.0.0/40 > /dev/null 2>&1
[ $? -eq 2 ] || fail "bad CIDR not a usage error"
"$TOOL" eval --real "$TMP/a.csv" --synthetic "$TMP/missing.csv" --format cidds > /dev/null 2>&1
[ $? -eq 1 ] || fail "missing input not a failure"
set -e

# A set against itself with samples covering it: JSD, EMD and CMD exactly 0. Coverage is not
# quite 1 on real flows: a flow with k or more exact duplicates has a k-NN radius of 0, and
# prdc's strict "<" leaves such a ball empty (docs/eval.md).
"$TOOL" -q eval --real "$TMP/a.csv" --synthetic "$TMP/a.csv" --format cidds --runs 2 \
  --sample 100000 --json > "$TMP/self.json"
for key in jsd emd emd_w1 cmd; do
  grep -A1 "\"$key\": {" "$TMP/self.json" | head -2 | grep -q '"mean": 0.0' ||
    fail "$key of a set against itself is not 0"
done
cov=$(grep -A1 '"coverage": {' "$TMP/self.json" | sed -n 's/.*"mean": \([0-9.]*\).*/\1/p')
awk -v c="$cov" 'BEGIN { exit !(c > 0.95 && c <= 1) }' || fail "self coverage $cov not near 1"
grep -q '"reference": null' "$TMP/self.json" || fail "reference row without holdout"

# With a holdout: every metric defined in both rows; the table lists the 21 rules.
OMP_NUM_THREADS=1 "$TOOL" -q eval --real "$TMP/a.csv" --synthetic "$TMP/b.csv" \
  --holdout "$TMP/b.csv" --format cidds --runs 3 --sample 2000 > "$TMP/t1.txt"
OMP_NUM_THREADS=2 "$TOOL" -q eval --real "$TMP/a.csv" --synthetic "$TMP/b.csv" \
  --holdout "$TMP/b.csv" --format cidds --runs 3 --sample 2000 > "$TMP/t2.txt"
grep -q "^21 non-zero duration with exactly one packet" "$TMP/t1.txt" || fail "rule 21 missing"
grep -q "^MD " "$TMP/t1.txt" || fail "MD row missing"
if grep -E "^(Density|Coverage|JSD|CMD|PCD|MD|ACF|Prediction)" "$TMP/t1.txt" | grep -q "n/a"; then
  fail "a metric is undefined with a holdout"
fi
diff <(grep -v '^Time:' "$TMP/t1.txt") <(grep -v '^Time:' "$TMP/t2.txt") ||
  fail "results differ between 1 and 2 threads"
echo "eval CLI: OK"
