# Shared by the test_slurm_*.sh tests (sourced, not a test itself): starts the local cluster of
# slurm/ in a fresh temporary directory, stops it when the test exits and then checks that
# nothing of it is left running (munged, slurmctld, slurmd, any slurmstepd) and that a second
# stop is a harmless no-op. Skips (77) only when Slurm or munge is not installed.
# Expects: fc (the tool) and FC_SOURCE_DIR. Sets: src, work, cluster, and SLURM_CONF.
# shellcheck shell=bash

src=${FC_SOURCE_DIR:?}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for tool in munged munge slurmctld slurmd sbatch squeue scontrol; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: '$tool' is not installed (scripts/setup.sh installs slurm-wlm and munge)"
    exit 77
  fi
done

work=$(mktemp -d)
cluster=$work/c
cluster_pids=""
cluster_cleanup() {
  local rc=$? p d f left=""
  trap - EXIT
  if [ -d "$cluster/run" ]; then
    if [ $rc != 0 ]; then
      for f in "$cluster"/log/slurmctld.log "$cluster"/log/slurmd.log; do
        [ -e "$f" ] && { echo "---- $f (last 30 lines)" >&2; tail -n 30 "$f" >&2; }
      done
    fi
    "$src/slurm/stop.sh" "$cluster" >/dev/null || { echo "FAIL: slurm/stop.sh failed" >&2; rc=1; }
    for p in $cluster_pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
    for d in /proc/[0-9]*; do
      [ "$(cat "$d/comm" 2>/dev/null)" = slurmstepd ] || continue
      { tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$cluster/etc/slurm.conf" &&
        left="$left ${d#/proc/}"
    done
    [ -z "$left" ] || { echo "FAIL: still running after slurm/stop.sh:$left" >&2; rc=1; }
    "$src/slurm/stop.sh" "$cluster" >/dev/null || { echo "FAIL: a second slurm/stop.sh failed" >&2; rc=1; }
  fi
  rm -rf "$work"
  exit $rc
}
trap cluster_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$src/slurm/start.sh" "$cluster" || fail "the local cluster did not start (logs above)"
# shellcheck source=/dev/null
. "$cluster/env.sh"
for d in munged slurmctld slurmd; do cluster_pids="$cluster_pids $(cat "$cluster/run/$d.pid")"; done
[ "$(sinfo -h -N -o %T)" = idle ] || fail "the node is not idle after slurm/start.sh"
"$src/slurm/start.sh" "$cluster" | grep -q "already running" || fail "a second start is not a no-op"

# job_field ID FIELD: a field of 'scontrol show job' (works without accounting).
job_field() {
  scontrol show job -o "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
