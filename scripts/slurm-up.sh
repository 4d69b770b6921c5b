#!/usr/bin/env bash
# Start a single-node Slurm (munged, slurmctld, slurmd) from Debian's packages, without systemd, with
# everything under one folder: its config, state, logs, pids and munge socket. Needs root.
#
#   dir=$(mktemp -d) && scripts/slurm-up.sh "$dir" && export SLURM_CONF=$dir/slurm.conf
#   ... sbatch, squeue, mat sweep --executor slurm ...
#   scripts/slurm-down.sh "$dir"
#
# Ports are chosen free at random, so several of these clusters can run on one machine.
set -euo pipefail
dir=${1:?usage: slurm-up.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
for cmd in munged slurmctld slurmd sbatch squeue scontrol runuser; do
  command -v "$cmd" >/dev/null || { echo "slurm-up: $cmd not found (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "slurm-up: needs root (munged runs as the munge user, slurmd as root)" >&2; exit 3; }

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
# A port nothing listens on (bash's /dev/tcp connects when something does).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done

# munged refuses a socket folder that others can write: one owned by munge, mode 0700.
mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
chown munge:munge "$dir/munge"
chmod 0700 "$dir/munge"
chmod 0755 "$dir"
runuser -u munge -- munged --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" --force

cat >"$dir/slurm.conf" <<EOF
ClusterName=mat
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
EnforcePartLimits=ALL
MailProg=/bin/true
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

export SLURM_CONF=$dir/slurm.conf
slurmctld -D -f "$SLURM_CONF" >>"$dir/slurmctld.out" 2>&1 &
echo $! >"$dir/slurmctld.daemon.pid"
slurmd -D -f "$SLURM_CONF" >>"$dir/slurmd.out" 2>&1 &
echo $! >"$dir/slurmd.daemon.pid"

# Up when the node is idle (about a second).
for _ in $(seq 1 100); do
  if state=$(scontrol show node "$host" 2>/dev/null | grep -o 'State=[A-Z+_]*') && [[ $state == State=IDLE* ]]; then
    echo "slurm-up: node $host idle ($cpus CPUs); export SLURM_CONF=$SLURM_CONF" >&2
    exit 0
  fi
  sleep 0.1
done
echo "slurm-up: the node did not become idle; see $dir/slurmctld.log and $dir/slurmd.log" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
