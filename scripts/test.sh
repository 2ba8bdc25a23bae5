#!/usr/bin/env bash
# Builds FlowChronicle twice (optimised, then with AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs the whole test suite on each. Installs the Debian packages first (scripts/setup.sh).
# Usage: scripts/test.sh            both builds
#        FC_TEST_SANITIZE=0 scripts/test.sh   the optimised build only
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$here/scripts/setup.sh" "$here/build" -DFC_WERROR=ON
echo "== tests (RelWithDebInfo)"
ctest --test-dir "$here/build" --output-on-failure -j "$jobs"

if [ "${FC_TEST_SANITIZE:-1}" = 1 ]; then
  "$here/scripts/setup.sh" "$here/build-sanitize" -DFC_SANITIZE=ON -DFC_WERROR=ON \
    -DCMAKE_BUILD_TYPE=Debug
  echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
  # The sanitizer options (and the Open MPI leak suppressions) are set per test by CMake. Tests
  # labelled slow (long mining runs) ran above and are left out here.
  read -r -a extra <<<"${FC_SANITIZE_CTEST_ARGS:-}"
  ctest --test-dir "$here/build-sanitize" --output-on-failure -j "$jobs" -LE slow "${extra[@]}"
fi
