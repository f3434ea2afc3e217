#!/usr/bin/env bash
# stop-slurm.sh — stop the cluster that start-slurm.sh started in $PQ_SLURM_SANDBOX.
#
# Cancels what is still queued, kills job processes that outlived slurmd, then stops the daemons
# named by the pid files in $PQ_SLURM_SANDBOX/run — each one only after checking it is that daemon
# and belongs to this sandbox. Nothing is killed by name. Removes /etc/slurm/slurm.conf only when it
# is our link. Safe to run twice. `--purge` also deletes the sandbox directory.
set -uo pipefail
export PATH="${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin"

SANDBOX=${PQ_SLURM_SANDBOX:-/tmp/pq-slurm}
SANDBOX=${SANDBOX%/}
CONF=$SANDBOX/etc/slurm.conf
RUN=$SANDBOX/run
export SLURM_CONF=$CONF
purge=0
case "${1:-}" in
  '') ;;
  --purge) purge=1 ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac
say() { printf '[pq-slurm] %s\n' "$*" >&2; }

. "$(dirname "${BASH_SOURCE[0]}")/daemons.sh"

halt() { # name pid
  kill -TERM "$2" 2>/dev/null || return 0
  local i
  for i in $(seq 300); do
    [ -d "/proc/$2" ] || { say "stopped $1 ($2)"; return 0; }
    [ "$(awk '{ print $3 }' "/proc/$2/stat" 2>/dev/null)" != Z ] || { say "stopped $1 ($2)"; return 0; }
    sleep 0.1
  done
  say "$1 ($2) ignored SIGTERM for 30 s; sending SIGKILL"
  kill -KILL "$2" 2>/dev/null || true
}

ctld=$(mine slurmctld) || ctld=
if [ -n "$ctld" ] && [ -f "$CONF" ]; then
  jobs=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    say "cancelling $jobs"
    scancel $jobs 2>/dev/null || true
    for _ in $(seq 100); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.1; done
  fi
fi
# slurmstepd outlives slurmd, so the job processes are found through scontrol listpids first
if [ -f "$CONF" ] && [ -d "$SANDBOX/spool" ]; then
  left=$(scontrol listpids 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' | sort -u | tr '\n' ' ')
  if [ -n "${left// /}" ]; then say "killing left-over job processes $left"; kill -KILL $left 2>/dev/null || true; fi
fi

any=0
for d in slurmd slurmctld slurmdbd mariadbd munged; do
  if pid=$(mine "$d"); then halt "$d" "$pid"; any=1; fi
done
[ $any = 1 ] || say "nothing of $SANDBOX was running"
rm -f "$RUN"/*.pid 2>/dev/null || true
if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$CONF" ]; then rm -f /etc/slurm/slurm.conf; fi
if [ $purge = 1 ]; then
  case "$SANDBOX" in /tmp | / | /etc* | /usr* | /var | /root | /home) say "refusing to delete $SANDBOX" ;; *) rm -rf "$SANDBOX" && say "deleted $SANDBOX" ;; esac
fi
exit 0
