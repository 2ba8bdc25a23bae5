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
  # Open MPI and its plugins keep allocations until exit by design: suppress those leaks only.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    LSAN_OPTIONS=suppressions=$here/tests/lsan.supp:print_suppressions=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$here/build-sanitize" --output-on-failure -j "$jobs" ${FC_SANITIZE_CTEST_ARGS:-}
fi
