#!/usr/bin/env bash
# start-slurm.sh — bring up a one-node Slurm cluster on this machine for the executor tests.
#
# Owns: installing Debian's Slurm and munge (and MariaDB for accounting) when missing, writing a
# private config under $PQ_SLURM_SANDBOX, and starting munged, mariadbd, slurmdbd, slurmctld and
# slurmd from it. It never uses systemd or cgroups and never touches daemons it did not start.
#
# Usage (as root):   eval "$(bash tests/slurm/start-slurm.sh)"
# stdout is only `export SLURM_CONF=...` (also written to $PQ_SLURM_SANDBOX/env.sh); progress
# goes to stderr. Running it again while the cluster is up only prints that line again; if one
# daemon died, the others are stopped and the cluster starts over with empty job state.
#
# Settings (environment):
#   PQ_SLURM_SANDBOX      state directory                                   [/tmp/pq-slurm]
#   PQ_SLURM_ACCOUNTING   slurmdbd: MariaDB + slurmdbd so plain `sacct` works as on a real
#                         cluster; none: no accounting (sacct then says it is disabled) [slurmdbd]
#   PQ_SLURM_CPUS         CPU slots of the node (may exceed nproc so tests run side by side) [8]
#   PQ_SLURM_PARTITIONS   comma-separated; the first is the default              [debug,long]
#   PQ_SLURM_INSTALL      0: never run apt-get                                          [auto]
#   PQ_SLURM_WAIT         seconds to wait for each daemon                                 [60]
set -euo pipefail

# daemons live in sbin, which a CI PATH may lack
export PATH="${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin"

SANDBOX=${PQ_SLURM_SANDBOX:-/tmp/pq-slurm}
SANDBOX=${SANDBOX%/}
ACCOUNTING=${PQ_SLURM_ACCOUNTING:-slurmdbd}
CPUS=${PQ_SLURM_CPUS:-8}
PARTITIONS=${PQ_SLURM_PARTITIONS:-debug,long}
INSTALL=${PQ_SLURM_INSTALL:-auto}
WAIT=${PQ_SLURM_WAIT:-60}

say() { printf '[pq-slurm] %s\n' "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root: slurmd must be able to start jobs as their submitter"
case "$SANDBOX" in
  /tmp | /tmp/ | / | /etc* | /usr* | /var | /root | /home) fail "PQ_SLURM_SANDBOX=$SANDBOX is not a dedicated directory" ;;
  /*[[:space:]]*) fail "PQ_SLURM_SANDBOX must not contain spaces: slurm.conf cannot quote them" ;;
  /*) ;;
  *) fail "PQ_SLURM_SANDBOX must be absolute" ;;
esac
case "$ACCOUNTING" in slurmdbd | none) ;; *) fail "PQ_SLURM_ACCOUNTING must be slurmdbd or none" ;; esac

CONF=$SANDBOX/etc/slurm.conf
RUN=$SANDBOX/run
LOG=$SANDBOX/log
MUNGE_SOCKET=$SANDBOX/munge/socket
export SLURM_CONF=$CONF
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

. "$(dirname "${BASH_SOURCE[0]}")/daemons.sh"

halt() { # name pid: TERM, then KILL after 20 s; a zombie has stopped already
  kill -TERM "$2" 2>/dev/null || return 0
  local i
  for i in $(seq 200); do
    [ -d "/proc/$2" ] || return 0
    [ "$(awk '{ print $3 }' "/proc/$2/stat" 2>/dev/null)" != Z ] || return 0
    sleep 0.1
  done
  kill -KILL "$2" 2>/dev/null || true
}

until_ok() { # what command...
  local what=$1 end=$((SECONDS + WAIT))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { say "gave up after ${WAIT}s waiting for $what"; return 1; }
    sleep 0.1
  done
}

dump_logs() {
  local f
  for f in "$LOG"/*.log; do
    [ -f "$f" ] || continue
    printf -- '--- %s (last 20 lines)\n' "$f" >&2
    tail -n 20 "$f" >&2
  done
}

DAEMONS="munged slurmctld slurmd"
[ "$ACCOUNTING" = slurmdbd ] && DAEMONS="munged mariadbd slurmdbd slurmctld slurmd"

# Matching on captured text, not through a pipe into grep -q: under pipefail a grep that exits
# early makes the writer die of SIGPIPE and the test fail at random.
controller_up() { local out; out=$(scontrol ping 2>/dev/null) || true; [[ "$out" == *"is UP"* ]]; }
all_up() {
  local d
  for d in $DAEMONS; do mine "$d" >/dev/null || return 1; done
  controller_up
}

if [ -f "$CONF" ] && all_up; then
  say "already running in $SANDBOX"
  printf 'export SLURM_CONF=%q\n' "$CONF"
  exit 0
fi

# Left-overs of an earlier, half-dead start. Job processes outlive slurmd, so they go first.
if [ -f "$CONF" ] && mine slurmd >/dev/null; then
  left=$(scontrol listpids 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' | sort -u | tr '\n' ' ') || true
  [ -z "${left// /}" ] || kill -KILL $left 2>/dev/null || true
fi
for d in slurmd slurmctld slurmdbd mariadbd munged; do
  if pid=$(mine "$d"); then say "stopping left-over $d ($pid)"; halt "$d" "$pid"; fi
done

# ---- packages
need=""
have() { command -v "$1" >/dev/null 2>&1; }
have munged && have mungekey && have munge && have unmunge || need="$need munge"
have slurmctld || need="$need slurmctld"
have slurmd || need="$need slurmd"
for b in sbatch squeue sacct scancel scontrol sinfo sacctmgr; do have "$b" || { need="$need slurm-client"; break; }; done
if [ "$ACCOUNTING" = slurmdbd ]; then
  have slurmdbd || need="$need slurmdbd"
  have mariadbd && have mariadb-install-db && have mariadb || need="$need mariadb-server"
fi
if [ -n "$need" ]; then
  [ "$INSTALL" != 0 ] || fail "missing:$need (and PQ_SLURM_INSTALL=0)"
  have apt-get || fail "missing:$need and there is no apt-get"
  mkdir -p "$LOG"
  say "installing$need (apt-get; log in $LOG/apt.log)"
  t_apt=$(date +%s.%N)
  # Package scripts would start the system-wide services with /etc configs; a policy-rc.d that
  # answers 101 stops them. Only one we created is removed again.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need; } >"$LOG/apt.log" 2>&1 || rc=$?
  [ $own_policy = 0 ] || rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || { tail -n 30 "$LOG/apt.log" >&2; fail "apt-get failed ($rc)"; }
  say "installed in $(since "$t_apt") s"
fi

# ---- a clean state for every fresh start (job ids restart at 1, so the database goes too)
rm -rf "$SANDBOX/state" "$SANDBOX/spool" "$SANDBOX/db" "$RUN"
mkdir -p "$SANDBOX/etc" "$LOG" "$SANDBOX/state" "$SANDBOX/spool" "$RUN" "$SANDBOX/munge"
chmod 755 "$SANDBOX" "$SANDBOX/etc" "$LOG" "$SANDBOX/spool" "$RUN" "$SANDBOX/munge"
chmod 700 "$SANDBOX/state"

# ---- ports: the first free one from a start value, never one already handed out
GIVEN=" "
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # variable first
  local p=$2
  while in_use "$p" || [[ "$GIVEN" == *" $p "* ]]; do p=$((p + 1)); done
  GIVEN="$GIVEN$p "
  printf -v "$1" '%s' "$p" # not $(...): GIVEN must survive
}
pick_port CTLD_PORT 6817
pick_port SLURMD_PORT 6818

# ---- munge: our own key and socket, run as root, so the system munge user is never needed
[ -s "$SANDBOX/munge/key" ] || mungekey --create --keyfile="$SANDBOX/munge/key" 2>/dev/null ||
  dd if=/dev/urandom of="$SANDBOX/munge/key" bs=128 count=1 status=none
chown root:root "$SANDBOX/munge/key"
chmod 600 "$SANDBOX/munge/key"
rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
# --force: /tmp is world-writable, which munged otherwise refuses
munged --force --socket="$MUNGE_SOCKET" --key-file="$SANDBOX/munge/key" --pid-file="$RUN/munged.pid" \
  --log-file="$LOG/munged.log" --seed-file="$SANDBOX/munge/seed" || { dump_logs; fail "munged did not start"; }
until_ok munged sh -c "munge -S '$MUNGE_SOCKET' -n | unmunge -S '$MUNGE_SOCKET'" || { dump_logs; fail "munged does not answer"; }

HOST=$(hostname -s 2>/dev/null || cut -d. -f1 /proc/sys/kernel/hostname)
NODE=$HOST
MEM=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)

# ---- accounting database
if [ "$ACCOUNTING" = slurmdbd ]; then
  pick_port DBD_PORT 6819
  pick_port DB_PORT 3307
  DB=$SANDBOX/db
  mkdir -p "$DB/data" && chmod 700 "$DB"
  mariadb-install-db --no-defaults --user=root --datadir="$DB/data" --skip-test-db \
    --auth-root-authentication-method=socket >"$LOG/mariadb-install.log" 2>&1 ||
    { tail -n 20 "$LOG/mariadb-install.log" >&2; fail "mariadb-install-db failed"; }
  # --no-defaults keeps /etc/mysql out; setsid and /dev/null keep it off the caller's terminal
  # and pipes. The InnoDB sizes are the smallest slurmdbd accepts without complaining.
  setsid mariadbd --no-defaults --user=root --datadir="$DB/data" --socket="$DB/sock" \
    --pid-file="$RUN/mariadbd.pid" --bind-address=127.0.0.1 --port="$DB_PORT" \
    --log-error="$LOG/mariadb.log" --skip-log-bin --innodb-flush-log-at-trx-commit=0 \
    --innodb-buffer-pool-size=512M --innodb-log-file-size=64M --innodb-lock-wait-timeout=900 \
    </dev/null >/dev/null 2>&1 &
  until_ok mariadbd mariadb-admin --no-defaults --socket="$DB/sock" -uroot ping || { dump_logs; fail "mariadbd did not start"; }
  until_ok "mariadbd pid file" mine mariadbd || { dump_logs; fail "mariadbd wrote no pid file"; }
  DB_PASS=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
  mariadb --no-defaults --socket="$DB/sock" -uroot -e "
    CREATE USER 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
    CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';" || { dump_logs; fail "could not create the database user"; }
  # slurmdbd reads slurmdbd.conf from the directory of $SLURM_CONF and refuses one others can read
  umask 077
  cat >"$SANDBOX/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
LogFile=$LOG/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
  umask 022
  slurmdbd -s || { dump_logs; fail "slurmdbd did not start"; }
  until_ok "slurmdbd on port $DBD_PORT" in_use "$DBD_PORT" || { dump_logs; fail "slurmdbd is not listening"; }
  until_ok "slurmdbd pid file" mine slurmdbd || { dump_logs; fail "slurmdbd wrote no pid file"; }
fi

# ---- slurm.conf
{
  cat <<EOF
ClusterName=pqlab
# slurmctld insists on the short host name; the address avoids any need for DNS
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$SANDBOX/state
SlurmdSpoolDir=$SANDBOX/spool
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
# this machine has neither systemd nor usable cgroups
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
# more CPU slots than the hardware must not drain the node
SlurmdParameters=config_overrides
ReturnToService=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# Queued jobs start on slurmctld's once-a-second pass; without batch_sched_delay=0 only every 3 s.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1,default_queue_depth=1000
# Any epilog makes slurmd report EPILOG_COMPLETE, which runs the scheduler at once, so a freed
# slot (and an afterok child) starts within milliseconds instead of at the next pass.
Epilog=$(type -P true)
MailProg=$(type -P true)
MinJobAge=600
KillWait=2
OverTimeLimit=0
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
MessageTimeout=10
EOF
  if [ "$ACCOUNTING" = slurmdbd ]; then
    cat <<EOF
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
# the connection to slurmdbd takes its munge socket from here, not from AuthInfo
AccountingStoragePass=socket=$MUNGE_SOCKET
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
EOF
  else
    echo "AccountingStorageType=accounting_storage/none"
  fi
  echo "NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN"
  default=YES
  IFS=, read -r -a parts <<<"$PARTITIONS"
  for p in "${parts[@]}"; do
    [ -n "$p" ] || continue
    echo "PartitionName=$p Nodes=$NODE Default=$default MaxTime=INFINITE State=UP"
    default=NO
  done
} >"$CONF.new"
mv -f "$CONF.new" "$CONF"
chmod 644 "$CONF"
printf 'export SLURM_CONF=%q\n' "$CONF" >"$SANDBOX/env.sh"

# Child processes that lose SLURM_CONF (e.g. a server started elsewhere) still find the cluster
# through /etc/slurm/slurm.conf; a real file there, or a link to another live config, is left alone.
if [ -L /etc/slurm/slurm.conf ] || [ ! -e /etc/slurm/slurm.conf ]; then
  target=$(readlink /etc/slurm/slurm.conf 2>/dev/null || true)
  if [ -z "$target" ] || [ "$target" = "$CONF" ] || [ ! -e "$target" ]; then
    mkdir -p /etc/slurm && ln -sfn "$CONF" /etc/slurm/slurm.conf
  fi
fi

if [ "$ACCOUNTING" = slurmdbd ]; then
  sacctmgr -i add cluster pqlab >/dev/null || { dump_logs; fail "sacctmgr could not register the cluster"; }
fi

slurmctld -f "$CONF" || { dump_logs; fail "slurmctld did not start"; }
until_ok slurmctld controller_up || { dump_logs; fail "slurmctld does not answer"; }
slurmd -f "$CONF" -N "$NODE" || { dump_logs; fail "slurmd did not start"; }
node_idle() { local s; s=$(sinfo -h -n "$NODE" -o %T 2>/dev/null) || return 1; [ "${s%%$'\n'*}" = idle ]; }
until_ok "node $NODE idle" node_idle || { sinfo -N -l >&2 || true; dump_logs; fail "node $NODE never became idle"; }

say "up in $(since "$t0") s: node $NODE, $CPUS CPUs, ${MEM} MB, partitions $PARTITIONS, accounting $ACCOUNTING, slurmctld port $CTLD_PORT"
printf 'export SLURM_CONF=%q\n' "$CONF"
