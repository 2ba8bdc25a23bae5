#!/usr/bin/env bash
# Stops the local cluster that slurm/start.sh started under DIR: cancels its jobs and waits for
# them to end, stops slurmd, slurmctld and munged by the pids in their pid files, then ends any
# slurmstepd of this cluster still alive. Idempotent: stopping a stopped cluster says so and
# succeeds. Exits non-zero if something of this cluster is still running afterwards.
# Usage: slurm/stop.sh [DIR]     DIR defaults to $FC_SLURM_DIR, then out/slurm
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${FC_SLURM_DIR:-"$here/../out/slurm"}}
if [ ! -d "$dir" ]; then
  echo "slurm/stop.sh: no cluster under $dir"
  exit 0
fi
dir=$(cd "$dir" && pwd)
conf=$dir/etc/slurm.conf
export SLURM_CONF=$conf

pid_of() { [ -s "$dir/run/$1.pid" ] && cat "$dir/run/$1.pid"; }
alive() { local p; p=$(pid_of "$1") && kill -0 "$p" 2>/dev/null; }

# wait_gone SECONDS PID...: true once none of the processes exists.
wait_gone() {
  local limit=$1 t=0 p left
  shift
  while :; do
    left=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ $left = 0 ] && return 0
    [ $t -ge $((limit * 10)) ] && return 1
    sleep 0.1
    t=$((t + 1))
  done
}

# The slurmstepd processes of this cluster: they inherit slurmd's SLURM_CONF.
steps() {
  local d p
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$(cat "$d/comm" 2>/dev/null)" = slurmstepd ] || continue
    { tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$conf" && echo "$p"
  done
  return 0
}

was_running=0
if alive slurmctld; then
  was_running=1
  ids=$(squeue -h -o %A 2>/dev/null || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # one argument per job id
    scancel $ids 2>/dev/null || true
    for _ in $(seq 100); do
      [ -z "$(squeue -h -o %A 2>/dev/null || true)" ] && break
      sleep 0.2
    done
  fi
fi

for d in slurmd slurmctld munged; do
  if alive "$d"; then
    was_running=1
    p=$(pid_of "$d")
    kill -TERM "$p" 2>/dev/null || true
    if ! wait_gone 20 "$p"; then
      echo "slurm/stop.sh: $d ($p) ignored SIGTERM, killing it" >&2
      kill -KILL "$p" 2>/dev/null || true
      wait_gone 5 "$p" || true
    fi
  fi
done

# Job steps whose slurmd is gone end with their tasks; any still here after a grace period
# is ended by pid.
left=$(steps)
if [ -n "$left" ]; then
  # shellcheck disable=SC2086 # one argument per pid
  wait_gone 10 $left || {
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
  }
fi

still=""
for d in slurmd slurmctld munged; do alive "$d" && still="$still $d($(pid_of "$d"))"; done
for p in $(steps); do still="$still slurmstepd($p)"; done
if [ -n "$still" ]; then
  echo "slurm/stop.sh: still running under $dir:$still" >&2
  exit 1
fi
rm -f "$dir"/run/*.pid "$dir/run/munge.socket" "$dir/run/munge.socket.lock"
if [ $was_running = 1 ]; then
  echo "slurm/stop.sh: stopped the cluster under $dir"
else
  echo "slurm/stop.sh: the cluster under $dir was not running"
fi
