#!/usr/bin/env bash
# The main job on the embedded default data, run the way a user runs it on a cluster: makes the
# demo week of an office network, starts the local single-node Slurm cluster (slurm/start.sh),
# submits the pipeline with jobs/pipeline.sh (sbatch: ingest -> mine -> generate -> merge, each
# stage after the one before it), waits for the jobs, shows the results and stops the cluster.
# While 'flowchronicle generate' does not exist yet the pipeline stops after mine and says so.
# Installs and builds first (scripts/setup.sh). Results and job logs go to $FC_OUT (default
# out/demo).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${FC_OUT:-"$here/out/demo"}
"$here/scripts/setup.sh" "$here/build"
fc="$here/build/flowchronicle"
mkdir -p "$out"
out=$(cd "$out" && pwd)

"$fc" demo-data -o "$out/office-week.csv"

# The cluster lives in a short temporary directory (unix socket paths are limited); its logs
# are copied next to the results when it stops.
cluster_top=$(mktemp -d)
cluster=$cluster_top/slurm
stop_cluster() {
  "$here/slurm/stop.sh" "$cluster" || true
  rm -rf "$out/slurm-logs"
  if [ -d "$cluster/log" ]; then cp -r "$cluster/log" "$out/slurm-logs"; fi
  rm -rf "$cluster_top"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$here/slurm/start.sh" "$cluster"
# shellcheck source=/dev/null
. "$cluster/env.sh"

stages="ingest mine generate merge"
if ! "$fc" generate --help >/dev/null 2>&1; then
  stages="ingest mine"
  echo "demo: 'flowchronicle generate' is not available yet: the pipeline stops after mine"
fi
cpus=$(nproc)
rc=0
FC_BIN=$fc FC_INPUT="$out/office-week.csv" FC_FORMAT=flows FC_WORKDIR=$out FC_STAGES=$stages \
  FC_MINE_SBATCH="--cpus-per-task=$cpus" FC_GENERATE_SBATCH="--ntasks=$cpus --cpus-per-task=1" \
  FC_START=2024-03-04 FC_END=2024-03-11 FC_SEED=1 FC_POLL=2 \
  "$here/jobs/pipeline.sh" --wait || rc=$?
if [ $rc != 0 ]; then
  echo "demo: the pipeline failed; job logs:" >&2
  for f in "$out"/logs/*.out; do echo "---- $f" >&2; tail -n 20 "$f" >&2; done
  exit 1
fi

echo
"$fc" info "$out/dataset.h5"
echo
"$fc" show "$out/model.h5" >"$out/model.txt"
head -n 40 "$out/model.txt"
echo
echo "demo flows:      $out/office-week.csv"
echo "dataset:         $out/dataset.h5"
echo "model:           $out/model.h5   (its patterns in words: $out/model.txt)"
if [ "$stages" = "ingest mine generate merge" ]; then
  echo "generated flows: $out/generated.csv ($(($(wc -l <"$out/generated.csv") - 1)) flows; parts in $out/generated.parts)"
else
  echo "generated flows: none yet ('flowchronicle generate' is not available; the pipeline stopped after mine)"
fi
echo "job logs:        $out/logs/"
