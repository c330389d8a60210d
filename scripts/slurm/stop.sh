#!/usr/bin/env bash
# Stop the daemons that scripts/slurm/setup.sh started (and nothing else): it reads the pid
# list "$SHALLOWNC_SLURM_DIR/started" and signals exactly those pids, if they still run the
# daemon named there. Daemons that setup.sh found already running are not touched. Jobs are
# not cancelled here: tests cancel their own job ids (never "scancel -u").
set -euo pipefail
DIR="${SHALLOWNC_SLURM_DIR:-/tmp/shallownc-slurm}"
STARTED="$DIR/started"
[[ -f "$STARTED" ]] || { echo "[slurm-stop] nothing recorded in $STARTED" >&2; exit 0; }
# stop in reverse start order: slurmd, slurmctld, munged
tac "$STARTED" | while read -r name pid; do
  [[ -n "${pid:-}" ]] || continue
  if [[ "$name" == link ]]; then   # the /etc/slurm/slurm.conf symlink setup.sh created
    [[ -L "$pid" ]] && rm -f "$pid" && echo "[slurm-stop] removed link $pid" >&2
    continue
  fi
  if [[ -r /proc/$pid/comm && "$(cat /proc/$pid/comm)" == "$name" ]]; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "[slurm-stop] stopped $name (pid $pid)" >&2
  else
    echo "[slurm-stop] $name (pid $pid) no longer running" >&2
  fi
done
: >"$STARTED"
