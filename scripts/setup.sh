#!/usr/bin/env bash
# Installs the Debian 12 packages FlowChronicle builds and tests with, then configures and
# builds it. Idempotent: packages already present are skipped by apt-get, the build directory
# is reused. Usage: scripts/setup.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
shift || true

pkgs=(
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev
  libhdf5-openmpi-dev hdf5-tools
  libpcap-dev zlib1g-dev
  libcmocka-dev libjansson-dev librandom123-dev libxxhash-dev
  # tests/test_eval_report_cli.sh renders the eval report in headless Chromium (large:
  # about 350 MB installed) and checks the screenshot with Python.
  chromium fonts-dejavu-core python3
  slurm-wlm munge shellcheck
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build" -j "$(nproc)"
