# Sourced by start-slurm.sh and stop-slurm.sh, after they set SANDBOX, CONF and RUN.

# A pid file can outlive its process and the pid be reused, so a pid counts as ours only if the
# process has the expected name and mentions this sandbox on its command line or in SLURM_CONF.
mine() { # name -> prints the pid of our live daemon
  local pid cmd env
  pid=$(tr -dc 0-9 2>/dev/null <"$RUN/$1.pid") || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  cmd=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null) || true
  env=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null) || true
  # slurmdbd has no option naming its config, so only its environment says which sandbox it serves
  if [[ "$cmd" == *"$SANDBOX/"* || $'\n'"$env"$'\n' == *$'\n'"SLURM_CONF=$CONF"$'\n'* ]]; then
    echo "$pid"
    return 0
  fi
  return 1
}
