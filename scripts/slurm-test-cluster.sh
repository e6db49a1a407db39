#!/usr/bin/env bash
# A one-node Slurm cluster for FundusLab's Slurm tests (Debian's slurm-wlm + munge, run as root).
#   scripts/slurm-test-cluster.sh start <dir>   writes <dir>/slurm.conf, starts munged, slurmctld and
#                                               slurmd, waits until the node is idle; prints SLURM_CONF
#   scripts/slurm-test-cluster.sh stop <dir>    stops the daemons started by `start`
# Tests find the cluster through SLURM_CONF=<dir>/slurm.conf.
set -euo pipefail
cmd=${1:?usage: slurm-test-cluster.sh start|stop <dir>}
dir=$(mkdir -p "${2:?usage: slurm-test-cluster.sh start|stop <dir>}" && cd "$2" && pwd)
conf="$dir/slurm.conf"

stop() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
  done
  if [ -f "$dir/munged.started" ] && [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    rm -f "$dir/munged.started"
  fi
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "unknown command $cmd (start|stop)" >&2; exit 2; }

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$dir/state" "$dir/spool"
cat > "$conf" <<CONF
ClusterName=funduslab-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
MinJobAge=300
KillWait=30
SchedulerParameters=bf_interval=1,sched_min_interval=100000
NodeName=$host CPUs=$cpus RealMemory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 )) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# munge: a key if none, the daemon if not running
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
fi
if ! munge -n >/dev/null 2>&1; then
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
  munged --force 2>/dev/null || munged --force
  touch "$dir/munged.started"
fi

export SLURM_CONF="$conf"
slurmctld -f "$conf"
slurmd -f "$conf"
for _ in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then echo "SLURM_CONF=$conf"; exit 0; fi
  sleep 1
done
echo "The test cluster did not come up: sinfo says $(sinfo -h -o '%T' 2>&1 || true)" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1
