#!/usr/bin/env bash
# A real, single-node Slurm cluster on this machine, for testing `dpl submit` (docs/scaling.md).
#
#   bash scripts/slurm-local.sh start     install slurm-wlm and munge if missing, start the daemons,
#                                         wait until the node is idle
#   bash scripts/slurm-local.sh status    sinfo and squeue, and the SLURM_CONF line to export
#   bash scripts/slurm-local.sh stop      stop the daemons this script started
#
# Everything lives under $DPL_SLURM_DIR (default /tmp/dpl-slurm): slurm.conf, the munge key and
# socket, state, spool, logs and pid files. /etc/slurm is not touched, so clients need
#   export SLURM_CONF=$DPL_SLURM_DIR/slurm.conf
# The plugins are the ones that work without systemd or cgroups (containers, CI runners):
# proctrack/linuxproc and task/none; accounting is off and job completions go to a text file, so
# `sacct` does not work here — use `scontrol show job`, `squeue` and the jobs' output files.
#
# The daemons run at nice 19 and Slurm jobs inherit slurmd's priority, so the jobs never take
# the CPU from interactive work on a shared machine. Exit status: 0 started/stopped, 1 failed,
# 3 (start only) this machine cannot run the daemons (no root, no apt, or they die at once).
set -euo pipefail

DIR="${DPL_SLURM_DIR:-${TMPDIR:-/tmp}/dpl-slurm}"
CONF="$DIR/slurm.conf"
WAIT_SECONDS="${DPL_SLURM_WAIT:-60}"
export SLURM_CONF="$CONF"

say() { printf 'slurm-local: %s\n' "$*"; }
fail() { printf 'slurm-local: %s\n' "$*" >&2; exit 1; }
cannot_run() { printf 'slurm-local: %s\n' "$*" >&2; exit 3; }

# The pid in $DIR/run/NAME.pid, when that process is still alive and is NAME: after a reboot
# the number may belong to another program, which `stop` must not kill.
running_pid() {
    local file="$DIR/run/$1.pid" pid
    [[ -f "$file" ]] || return 1
    pid=$(<"$file")
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    # Right after the start the process may still be `nice` or `setsid`, not yet the daemon.
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in "$1" | nice | setsid) echo "$pid" ;; *) return 1 ;; esac
}

install_if_missing() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
        && command -v sbatch >/dev/null; then
        return 0
    fi
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || cannot_run "slurm-wlm and munge are not installed and there is no sudo; install them (apt-get install slurm-wlm munge) and start again"
        sudo="sudo"
    fi
    command -v apt-get >/dev/null || cannot_run "slurm-wlm and munge are not installed and apt-get is missing; install Slurm and munge with this system's package manager and start again"
    say "installing slurm-wlm and munge with apt-get"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge >"$DIR/log/apt.log" 2>&1 \
        || { $sudo apt-get update >>"$DIR/log/apt.log" 2>&1 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge >>"$DIR/log/apt.log" 2>&1; } \
        || cannot_run "apt-get could not install slurm-wlm and munge (see $DIR/log/apt.log); install them by hand and start again"
}

write_config() {
    local host cpus mem_mb
    host=$(hostname -s)
    cpus=$(nproc)
    # Slurm drains a node that reports less memory than slurm.conf says; leave 5% headroom.
    mem_mb=$(free -m | awk '/^Mem:/ { printf "%d", $2 * 0.95 }')
    cat >"$CONF" <<EOF
# Written by scripts/slurm-local.sh: one node, no cgroups, no accounting database.
ClusterName=dpl-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=5
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.daemon.pid
SlurmdPidFile=$DIR/run/slurmd.daemon.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=600
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
    if running_pid munged >/dev/null; then return 0; fi
    local key="$DIR/munge/munge.key"
    if [[ ! -s "$key" ]]; then
        if command -v mungekey >/dev/null; then mungekey --create --keyfile="$key" --force >/dev/null 2>&1 || true; fi
        [[ -s "$key" ]] || dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
    fi
    chmod 0400 "$key"
    # --force: munged refuses a world-writable /tmp ancestry otherwise; the socket folder is 0700.
    nice -n 19 setsid munged --foreground --force --key-file="$key" --socket="$DIR/munge/munge.socket" \
        --pid-file="$DIR/run/munged.daemon.pid" --log-file="$DIR/log/munged.log" \
        --seed-file="$DIR/munge/munged.seed" </dev/null >>"$DIR/log/munged.out" 2>&1 &
    echo $! >"$DIR/run/munged.pid"
    record_daemon_pid munged "munged --foreground --force --key-file=$key"
    local i
    for i in $(seq 1 50); do
        [[ -S "$DIR/munge/munge.socket" ]] && return 0
        running_pid munged >/dev/null || cannot_run "munged exited at once (see $DIR/log/munged.log and $DIR/log/munged.out), so this machine cannot run Slurm"
        sleep 0.2
    done
    fail "munged did not create its socket within 10 seconds (see $DIR/log/munged.log); run stop, then start again"
}

start_daemon() {
    local name="$1"; shift
    if running_pid "$name" >/dev/null; then return 0; fi
    # -D: stay in the foreground so $! is the daemon itself and `stop` ends exactly it.
    nice -n 19 setsid "$name" -D -f "$CONF" "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
    echo $! >"$DIR/run/$name.pid"
    record_daemon_pid "$name" "$name -D -f $CONF"
}

# setsid forks when it is started as a process-group leader (a shell with job control, as
# CI may be), so $! can be a process that exits at once while the daemon runs on: record the
# daemon's own pid, found by its command line, once it appears.
record_daemon_pid() {
    local name="$1" pattern="$2" pid i
    for i in $(seq 1 50); do
        pid=$(pgrep -n -f -x "$pattern.*" 2>/dev/null || true)
        if [[ -n "$pid" ]]; then echo "$pid" >"$DIR/run/$name.pid"; return 0; fi
        sleep 0.1
    done
}

node_state() { sinfo --noheader --nodes="$(hostname -s)" --format='%T' 2>/dev/null | head -n1; }

start() {
    mkdir -p "$DIR"/{state,spool,log,run,munge}
    chmod 0700 "$DIR/munge"
    [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null || cannot_run "slurmd must run as root and this user is not root and has no sudo"
    [[ $(id -u) -eq 0 ]] || cannot_run "run scripts/slurm-local.sh as root (slurmd starts job steps as other users); e.g. sudo bash scripts/slurm-local.sh start"
    install_if_missing
    write_config
    start_munge
    start_daemon slurmctld -i
    start_daemon slurmd
    local waited=0 state=""
    while (( waited < WAIT_SECONDS )); do
        for name in slurmctld slurmd; do
            running_pid "$name" >/dev/null || cannot_run "$name exited at once (last lines of $DIR/log/$name.log below), so this machine cannot run Slurm:
$(tail -n 5 "$DIR/log/$name.log" 2>/dev/null; tail -n 5 "$DIR/log/$name.out" 2>/dev/null)"
        done
        state=$(node_state || true)
        if [[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]]; then
            say "node $(hostname -s) is $state after ${waited}s ($(nproc) CPUs); export SLURM_CONF=$CONF"
            return 0
        fi
        # A node left down or drained by an earlier run comes back once resumed.
        if [[ "$state" == down* || "$state" == drain* ]]; then
            scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true
        fi
        sleep 1
        waited=$((waited + 1))
    done
    fail "node $(hostname -s) is not idle after ${WAIT_SECONDS}s (sinfo says '${state:-nothing}'); see $DIR/log/slurmctld.log and $DIR/log/slurmd.log, then run stop"
}

stop() {
    local name pid stopped="" jobs
    # Job steps outlive slurmd under proctrack/linuxproc, so cancel this cluster's jobs first;
    # otherwise a `dpl run` would keep computing after stop.
    if running_pid slurmctld >/dev/null; then
        jobs=$(squeue --noheader --format='%A' 2>/dev/null | tr '\n' ' ')
        if [[ -n "${jobs// /}" ]]; then
            say "cancelling jobs $jobs"
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null || true
            for _ in $(seq 1 30); do [[ -z "$(squeue --noheader 2>/dev/null)" ]] && break; sleep 0.5; done
        fi
    fi
    # slurmd first, so no job is started on a node whose controller is gone.
    for name in slurmd slurmctld munged; do
        if pid=$(running_pid "$name"); then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
            stopped+=" $name"
        fi
        rm -f "$DIR/run/$name.pid"
    done
    say "stopped${stopped:- nothing (no daemon of this script was running)}"
}

status() {
    local name pid
    for name in munged slurmctld slurmd; do
        if pid=$(running_pid "$name"); then say "$name running (pid $pid)"; else say "$name not running"; fi
    done
    if running_pid slurmctld >/dev/null; then
        sinfo
        squeue
    fi
    echo "export SLURM_CONF=$CONF"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: bash scripts/slurm-local.sh start|stop|status" >&2; exit 2 ;;
esac
