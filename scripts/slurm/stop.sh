#!/usr/bin/env bash
# Stop the daemons that scripts/slurm/setup.sh started, and nothing else.
#   scripts/slurm/stop.sh [LIST]
# LIST (default "$SHALLOWNC_SLURM_DIR/started") has one line per thing setup.sh started:
# "<daemon> <pid>" or "link <path>". Each pid is signalled only if it still runs that daemon
# (/proc/<pid>/comm); the link is removed only if it is still a symlink. Stopped lines are
# removed from the started list. Daemons setup.sh found already running were never listed, so
# they are left alone. Jobs are not cancelled here: tests cancel their own job ids.
set -euo pipefail
DIR="${SHALLOWNC_SLURM_DIR:-/tmp/shallownc-slurm}"
STARTED="$DIR/started"
LIST="${1:-$STARTED}"
[[ -s "$LIST" ]] || { echo "[slurm-stop] nothing recorded in $LIST" >&2; exit 0; }
mapfile -t lines <"$LIST"
# reverse start order: slurmd, slurmctld, the config link, munged
for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
  read -r name pid <<<"${lines[i]}"
  [[ -n "${pid:-}" ]] || continue
  if [[ "$name" == link ]]; then
    [[ -L "$pid" ]] && rm -f "$pid" && echo "[slurm-stop] removed link $pid" >&2
  elif [[ -r /proc/$pid/comm && "$(cat "/proc/$pid/comm")" == "$name" ]]; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "[slurm-stop] stopped $name (pid $pid)" >&2
  else
    echo "[slurm-stop] $name (pid $pid) no longer running" >&2
  fi
  # forget this line in the started list
  if [[ -f "$STARTED" ]]; then
    grep -vxF -- "${lines[i]}" "$STARTED" >"$STARTED.tmp" || true
    mv "$STARTED.tmp" "$STARTED"
  fi
done
