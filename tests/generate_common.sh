# Sourced by the generate test scripts: a work directory (removed at exit, the current
# directory), checks, and a small model to generate from. Expects fc set to the tool.
: "${fc:?generate_common.sh: set fc to the tool first}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
mpi() { mpiexec -n "$1" "${@:2}"; }
n_ok=0
ok() { n_ok=$((n_ok + 1)); }

# expect_error STATUS PATTERN -- command...: exit status, message, and no part or output left.
expect_error() {
  local want=$1 pattern=$2
  shift 3
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  [ "$rc" = "$want" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $want"; }
  grep -q -- "$pattern" err.txt || { cat err.txt >&2; fail "'$*': message lacks '$pattern'"; }
  ! ls bad* >/dev/null 2>&1 || fail "'$*' left $(ls bad*) behind"
  ok
}

# model.h5: the demo office week (train.h5), a short search.
"$fc" -q demo-data -o train.csv
"$fc" -q ingest --format flows -o train.h5 train.csv
"$fc" -q mine -i train.h5 -o model.h5 --max-iterations 8
