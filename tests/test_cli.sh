#!/usr/bin/env bash
# End to end through the command line: help texts, the demo data through ingest, info, export and
# back (byte-identical round trip), every kind of bad input (clear message naming the file and
# line, non-zero exit, no output left), mine + show on the demo data, limits, and resume from a
# checkpoint giving the same model as an uninterrupted run.
# Usage: test_cli.sh FLOWCHRONICLE BUILD_DIR
set -euo pipefail
fc=$1
fixtures=${FC_FIXTURES:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
n_ok=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { n_ok=$((n_ok + 1)); }

# expect_error STATUS PATTERN OUTPUT -- command...: the command must exit with STATUS, print
# PATTERN on stderr and leave no OUTPUT (nor a temporary file next to it).
expect_error() {
  local want=$1 pattern=$2 output=$3
  shift 4
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  [ "$rc" = "$want" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $want"; }
  grep -q -- "$pattern" err.txt || { cat err.txt >&2; fail "'$*': message lacks '$pattern'"; }
  [ -z "$output" ] || [ ! -e "$output" ] || fail "'$*' left $output behind"
  ! ls "$output".tmp* >/dev/null 2>&1 || fail "'$*' left a temporary file for $output"
  ok
}

# --- help and version
"$fc" --help | grep -q "Commands:" || fail "--help"
"$fc" --version | grep -q "^flowchronicle [0-9]" || fail "--version"
for cmd in demo-data ingest info export mine show; do
  "$fc" "$cmd" --help | grep -q "^Usage: flowchronicle $cmd" || fail "$cmd --help"
done
expect_error 2 "unknown command" "" -- "$fc" frobnicate
expect_error 2 "is required" "" -- "$fc" ingest -o x.h5 in.csv
ok

# --- demo data -> dataset -> CSV -> dataset -> CSV: the second export equals the first
"$fc" demo-data --days 2 -o demo.csv 2>/dev/null
[ "$(head -1 demo.csv)" = "ts,duration,proto,src_ip,src_port,dst_ip,dst_port,fwd_pkts,bwd_pkts,fwd_bytes,bwd_bytes,flags,label" ] ||
  fail "demo-data header"
"$fc" demo-data --days 2 -o demo2.csv 2>/dev/null
cmp -s demo.csv demo2.csv || fail "demo-data is not deterministic"
"$fc" ingest --format flows -o demo.h5 demo.csv 2>/dev/null
"$fc" info demo.h5 >info.txt
grep -q "^rows      $(($(wc -l <demo.csv) - 1)) flows" info.txt || { cat info.txt; fail "info rows"; }
grep -q "sha256 $(sha256sum demo.csv | cut -c1-64)" info.txt || fail "info: input digest"
grep -q "dst_port .* top: 443" info.txt || fail "info: top ports"
"$fc" export demo.h5 -o back.csv 2>/dev/null
cmp -s demo.csv back.csv || fail "export differs from the ingested CSV"
"$fc" ingest --format flows -o back.h5 back.csv.gz 2>/dev/null && fail "a missing input must fail"
gzip -k back.csv
"$fc" ingest --format flows -o back.h5 back.csv.gz 2>/dev/null
"$fc" export back.h5 -o back2.csv 2>/dev/null
cmp -s demo.csv back2.csv || fail "round trip through .gz differs"
h5dump -H demo.h5 >/dev/null || fail "h5dump cannot read the dataset"
ok

# --- bad inputs
cp "$fixtures/ingest/cidds_bad.csv" bad.csv
expect_error 1 "bad.csv:3" bad.h5 -- "$fc" ingest --format cidds -o bad.h5 bad.csv
"$fc" ingest --format cidds --skip-bad -o bad.h5 bad.csv 2>err.txt || fail "--skip-bad"
grep -q "bad.csv:3" err.txt && grep -q "malformed rows skipped" err.txt || fail "--skip-bad report"
[ -e bad.h5 ] || fail "--skip-bad wrote no dataset"
expect_error 2 "unknown format" x.h5 -- "$fc" ingest --format nonsense -o x.h5 bad.csv
expect_error 1 "try --format" x.h5 -- "$fc" ingest --format ugr16 -o x.h5 "$fixtures/ingest/zeek_conn.log"
expect_error 1 "no column 'Dst Pt'" x.h5 -- "$fc" ingest --format cidds -o x.h5 "$fixtures/ingest/cidds_missing_col.csv"
head -c 4000 back.csv.gz >trunc.csv.gz
expect_error 1 "trunc.csv.gz" x.h5 -- "$fc" ingest --format flows -o x.h5 trunc.csv.gz
echo "not an HDF5 file" >junk.h5
expect_error 1 "junk.h5" "" -- "$fc" info junk.h5
expect_error 1 "junk.h5" out.csv -- "$fc" export junk.h5 -o out.csv
# A failing ingest must not replace an existing dataset.
cp demo.h5 keep.h5
expect_error 1 "bad.csv:3" "" -- "$fc" ingest --format cidds -o keep.h5 bad.csv
cmp -s demo.h5 keep.h5 || fail "a failed ingest changed an existing dataset"

# --- mine and show
"$fc" mine -i demo.h5 -o model.h5 2>mine.txt || { cat mine.txt; fail "mine"; }
grep -q "converged" mine.txt || fail "mine did not report convergence"
[ ! -e model.h5.ckpt ] || fail "a converged run leaves its checkpoint"
"$fc" show model.h5 >show.txt
grep -q "flow 2, typically .* later: TCP from A port 443" show.txt || { cat show.txt; fail "show: DNS then HTTPS"; }
grep -q "UDP from ?A to 192.168.100.3 port 53" show.txt || fail "show: placeholders"
"$fc" show --json model.h5 >show.json
python3 - show.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["columns"][:5] == ["proto", "src_ip", "dst_ip", "dst_port", "flags"], d["columns"]
b = d["bits"]
assert b["model"] > 0 and b["data"] > 0 and b["model"] + b["data"] < b["empty"]
multi = [p for p in d["patterns"] if len(p["rows"]) > 1]
assert multi, "no multi-row pattern"
uses = [c for p in multi for r in p["rows"] for c in r["cells"].values() if "use" in c]
assert uses, "no placeholder reuse"
for p in d["patterns"]:
    assert p["usage"] > 0 and "bits_saved" in p
    for r in p["rows"]:
        for col, cell in r["cells"].items():
            assert col in d["columns"] and len(cell) == 1 and list(cell)[0] in ("fix", "set", "use")
        assert r["delay_median_s"] >= 0
PY
ok

# --- limits still write a valid model; resume gives the uninterrupted model
"$fc" mine -i demo.h5 -o short.h5 --max-iterations 4 2>/dev/null
"$fc" show short.h5 >/dev/null || fail "a model stopped by --max-iterations is not readable"
[ -e short.h5.ckpt ] || fail "an unfinished run keeps its checkpoint"
cp short.h5.ckpt resumed.h5.ckpt
"$fc" mine -i demo.h5 -o resumed.h5 --resume 2>resume.txt
grep -q "resumed from resumed.h5.ckpt" resume.txt || fail "did not resume"
"$fc" show --json resumed.h5 >resumed.json
cmp -s show.json resumed.json || fail "the resumed model differs from the uninterrupted one"
"$fc" mine -i demo.h5 -o quick.h5 --time-limit 1ms 2>/dev/null
"$fc" show quick.h5 >/dev/null || fail "a model stopped by --time-limit is not readable"
# A signal stops the search with a checkpoint (status 3); resuming ends with the same model.
rc=0
"$fc" mine -i demo.h5 -o sig.h5 --checkpoint sig.ckpt 2>/dev/null &
pid=$!
sleep 2
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || rc=$?
if [ "$rc" = 3 ]; then
  [ -e sig.ckpt ] && [ ! -e sig.h5 ] || fail "a signalled run must leave its checkpoint and no model"
  "$fc" mine -i demo.h5 -o sig.h5 --checkpoint sig.ckpt --resume 2>/dev/null
fi
"$fc" show --json sig.h5 >sig.json
cmp -s show.json sig.json || fail "the model after a signal and resume differs"
echo "not a model" >bad_model.h5
expect_error 1 "bad_model.h5" "" -- "$fc" show bad_model.h5
expect_error 1 "is not a FlowChronicle model" "" -- "$fc" show demo.h5
ok

echo "$n_ok passed, 0 failed"
