#!/usr/bin/env bash
# The main job on the embedded default data: makes the demo week of an office network, ingests
# it into an HDF5 dataset and summarises it. Installs and builds first (scripts/setup.sh).
# Results go to $FC_OUT (default out/demo).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${FC_OUT:-"$here/out/demo"}
"$here/scripts/setup.sh" "$here/build"
fc="$here/build/flowchronicle"
mkdir -p "$out"

"$fc" demo-data -o "$out/office-week.csv"
"$fc" ingest --format flows -o "$out/office-week.h5" "$out/office-week.csv"
"$fc" info "$out/office-week.h5"
echo
echo "demo flows:   $out/office-week.csv"
echo "demo dataset: $out/office-week.h5"
