#!/usr/bin/env bash
# Stop the single-node Slurm that scripts/slurm-up.sh started in DIR: cancel every job, wait for an
# empty queue (killing slurmd with jobs running leaves slurmstepd processes behind), then stop the
# daemons by their pids.
set -uo pipefail
dir=${1:?usage: slurm-down.sh DIR}
export SLURM_CONF=$dir/slurm.conf
if [ -f "$SLURM_CONF" ]; then
  scancel --full --quiet "--user=$(id -un)" 2>/dev/null || true
  for _ in $(seq 1 100); do
    [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
    sleep 0.1
  done
fi
stop() { # pid file
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
stop "$dir/slurmd.daemon.pid"
stop "$dir/slurmctld.daemon.pid"
stop "$dir/munge/munged.pid"
exit 0
