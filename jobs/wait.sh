#!/usr/bin/env bash
# Waits until Slurm jobs have ended, printing each change of state, then a line per job with its
# final state; exits 0 only if every job COMPLETED. Works without accounting (no sacct): it polls
# 'scontrol show job', keeps the last state it saw of a job whose record has expired, and counts
# a requeued job as still running. A job array counts as ended when all its tasks have.
# Usage: jobs/wait.sh [--poll SECONDS] [--timeout SECONDS] JOBID...
# Exit: 0 all completed, 1 some job ended otherwise, 2 usage, 124 timeout.
set -euo pipefail

poll=10
timeout=0
while [ $# -gt 0 ]; do
  case $1 in
    --poll) poll=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "wait.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: jobs/wait.sh [--poll S] [--timeout S] JOBID..." >&2; exit 2; }

# state_of ID: one line "STATE REASON NAME EXITCODE" for the job; of an array's tasks, a running
# one first, then a failed one. Nothing if Slurm no longer knows the job.
state_of() {
  local out
  out=$(scontrol show job -o "$1" 2>/dev/null) || return 0
  awk '
    function field(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
    BEGIN { brank = -1 }
    {
      s = field("JobState"); r = field("Reason")
      # A job that can never start because of a failed dependency has ended too.
      if (s == "PENDING" && r == "DependencyNeverSatisfied") s = "NEVER_STARTS"
      rank = s == "COMPLETED" ? 0 : s ~ /^(FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE|REQUEUE_HOLD|SPECIAL_EXIT|NEVER_STARTS)$/ ? 1 : 2
      if (rank > brank) { best = s " " r " " field("JobName") " " field("ExitCode"); brank = rank }
    }
    END { if (best != "") print best }' <<<"$out"
}

is_final() {
  case $1 in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | PREEMPTED | BOOT_FAIL | \
      DEADLINE | REQUEUE_HOLD | SPECIAL_EXIT | NEVER_STARTS) return 0 ;;
    *) return 1 ;;
  esac
}

declare -A last done_
start=$SECONDS
while :; do
  pending=0
  for id in "$@"; do
    [ -n "${done_[$id]:-}" ] && continue
    line=$(state_of "$id")
    if [ -z "$line" ]; then
      # The record expired (MinJobAge) or never existed: keep what was last seen.
      done_[$id]=1
      [ -n "${last[$id]:-}" ] || last[$id]="UNKNOWN None ? ?"
      is_final "${last[$id]%% *}" || last[$id]="GONE ${last[$id]#* }"
      continue
    fi
    if [ "$line" != "${last[$id]:-}" ]; then
      read -r s r n _ <<<"$line"
      echo "wait.sh: $(date -u +%T) job $id ($n): $s${r:+ ($r)}"
    fi
    last[$id]=$line
    if is_final "${line%% *}"; then done_[$id]=1; else pending=1; fi
  done
  [ $pending = 1 ] || break
  if [ "$timeout" -gt 0 ] && [ $((SECONDS - start)) -ge "$timeout" ]; then
    echo "wait.sh: timeout after ${timeout}s" >&2
    exit 124
  fi
  sleep "$poll"
done

rc=0
for id in "$@"; do
  read -r s r n e <<<"${last[$id]}"
  printf 'wait.sh: %-8s %-14s %-14s exit %-6s %s\n' "$id" "$n" "$s" "$e" "$r"
  [ "$s" = COMPLETED ] || rc=1
done
exit $rc
