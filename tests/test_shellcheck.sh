#!/usr/bin/env bash
# Static check of the project's shell code with Debian's shellcheck: the Slurm job scripts
# (jobs/*.slurm, jobs/*.sh), the local cluster (slurm/*.sh), the entry points (scripts/*.sh)
# and the Slurm tests with their helper. Any finding, even a note, fails the test.
# Usage: test_shellcheck.sh FLOWCHRONICLE BUILD_DIR
set -euo pipefail
src=${FC_SOURCE_DIR:?}
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "SKIP: shellcheck is not installed (scripts/setup.sh installs it)"
  exit 77
fi
cd "$src"
files=(jobs/*.slurm jobs/*.sh slurm/*.sh scripts/*.sh tests/test_slurm_*.sh tests/slurm_cluster.sh
  tests/test_shellcheck.sh)
for f in "${files[@]}"; do [ -e "$f" ] || { echo "FAIL: $f is missing" >&2; exit 1; }; done
[ ${#files[@]} -ge 14 ] || { echo "FAIL: only ${#files[@]} files found" >&2; exit 1; }
shellcheck --version | sed -n 2p
if ! shellcheck --external-sources --shell=bash "${files[@]}"; then
  echo "FAIL: shellcheck findings above" >&2
  exit 1
fi
echo "shellcheck: ${#files[@]} files clean"
echo "${#files[@]} passed, 0 failed"
