#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine for the tests, the demo and CI: a munge
# key and munged, a slurm.conf made from slurm/slurm.conf.in with this host's name, CPUs (nproc)
# and memory, then slurmctld and slurmd; returns once the node is idle. Everything (config,
# key, state, spool, logs, pid files, munge socket) lives under DIR, the ports are free ones
# chosen here, so it neither needs nor touches a system Slurm or munge set-up.
# Usage: slurm/start.sh [DIR]        DIR defaults to $FC_SLURM_DIR, then out/slurm
# Then:  . DIR/env.sh                sets SLURM_CONF (and the Open MPI settings for this machine)
#        slurm/stop.sh DIR           stops it and everything it ran
# Environment: FC_SLURM_CRED_EXPIRE (default 5 s: how long a requeued job waits before it
# restarts), FC_SLURM_MPI (srun's default MPI plugin, default pmix), FC_SLURM_TIMEOUT
# (seconds to wait for the node, default 60). Running it again while the cluster is up is a no-op.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${FC_SLURM_DIR:-"$here/../out/slurm"}}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/etc/slurm.conf
timeout=${FC_SLURM_TIMEOUT:-60}
export SLURM_CONF=$conf

die() { echo "slurm/start.sh: $*" >&2; exit 1; }

for tool in munged slurmctld slurmd sinfo scontrol sbatch; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found: install slurm-wlm and munge (scripts/setup.sh)"
done

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() { sinfo -h -N -o %T 2>/dev/null | head -n 1; }

show_logs() {
  local f
  for f in "$dir"/log/*.log; do
    [ -e "$f" ] || continue
    echo "---- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}

fail_start() {
  echo "slurm/start.sh: $*" >&2
  show_logs
  "$here/stop.sh" "$dir" >&2 || true
  exit 1
}

if [ -e "$conf" ] && alive "$dir/run/munged.pid" && alive "$dir/run/slurmctld.pid" &&
  alive "$dir/run/slurmd.pid" && [ "$(node_state)" != "" ]; then
  echo "slurm/start.sh: already running under $dir (node $(node_state))"
  exit 0
fi
# A half-running instance (a daemon died) is stopped first so the start below is clean.
if [ -e "$conf" ]; then "$here/stop.sh" "$dir" >/dev/null 2>&1 || true; fi

# Unix socket paths are limited to 108 bytes; slurmd's step sockets are the longest.
host=$(hostname -s)
[ ${#dir} -le 60 ] || die "$dir is too long for the daemons' unix sockets (at most 60 characters)"

mkdir -p "$dir"/{etc,munge,run,log,state,spool,tmp}
chmod 0700 "$dir/munge"
chmod 0755 "$dir/run"

key=$dir/munge/munge.key
if [ ! -s "$key" ]; then
  if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --keyfile="$key" --force
  else
    dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
  fi
fi
chmod 0400 "$key"

# Two free TCP ports (nothing answers on them) from a range away from Slurm's defaults.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p tries=0
  while [ $tries -lt 200 ]; do
    p=$((20000 + RANDOM % 30000))
    if port_free "$p" && port_free "$((p + 1))"; then
      echo "$p"
      return 0
    fi
    tries=$((tries + 1))
  done
  return 1
}
port=$(pick_port) || die "no free TCP port pair found"

cpus=$(nproc)
mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
mem_mb=$((mem_kb * 95 / 100 / 1024))
user=$(id -un)
sed -e "s|@DIR@|$dir|g" -e "s|@HOST@|$host|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM_MB@|$mem_mb|g" \
  -e "s|@USER@|$user|g" -e "s|@CTLD_PORT@|$port|g" -e "s|@SLURMD_PORT@|$((port + 1))|g" \
  -e "s|@FIRST_JOB_ID@|$((port * 1000))|g" -e "s|@CRED_EXPIRE@|${FC_SLURM_CRED_EXPIRE:-5}|g" -e "s|@MPI_DEFAULT@|${FC_SLURM_MPI:-pmix}|g" \
  "$here/slurm.conf.in" >"$conf.tmp"
mv "$conf.tmp" "$conf"
# The PMIx plugin's per-step directories are named by job and step id only: keep them here,
# not in the shared /tmp.
echo "PMIxCliTmpDirBase=$dir/tmp" >"$dir/etc/mpi.conf"

# What a shell needs to use this cluster. The Open MPI lines are this machine's (root in CI,
# 2 cores), never the job scripts': they reach the jobs through sbatch's default --export=ALL.
cat >"$dir/env.sh" <<EOF
# Source this file to use the local Slurm cluster under $dir.
export SLURM_CONF=$conf
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
EOF

munged --force --socket="$dir/run/munge.socket" --key-file="$key" \
  --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
  --seed-file="$dir/munge/munged.seed" ||
  fail_start "munged did not start"
for _ in $(seq 50); do [ -S "$dir/run/munge.socket" ] && break; sleep 0.1; done
munge -n -S "$dir/run/munge.socket" | unmunge -S "$dir/run/munge.socket" >/dev/null ||
  fail_start "munge credentials do not round-trip"

slurmctld -f "$conf" || fail_start "slurmctld did not start"
slurmd -f "$conf" -N "$host" || fail_start "slurmd did not start"

start=$SECONDS
state=""
while [ $((SECONDS - start)) -lt "$timeout" ]; do
  state=$(node_state)
  case $state in
    idle) break ;;
    *drain* | *down* | *fail*)
      # A node registering for the first time can pass through down; give it a nudge.
      scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
  esac
  alive "$dir/run/slurmctld.pid" || fail_start "slurmctld exited"
  [ $((SECONDS - start)) -lt 5 ] || alive "$dir/run/slurmd.pid" || fail_start "slurmd exited"
  sleep 0.5
done
[ "$state" = idle ] || fail_start "node $host is '${state:-unknown}' after ${timeout}s, not idle"
echo "slurm/start.sh: cluster up under $dir: node $host, $cpus CPUs, $mem_mb MB, port $port"
echo "slurm/start.sh: use it with '. $dir/env.sh'; stop it with '$here/stop.sh $dir'"
