#!/usr/bin/env bash
# A real single-node Slurm on this machine, running examples/slurm end to end.
#
# Starts munged, slurmctld and slurmd (Debian's munge and slurm-wlm, installed with apt-get if
# missing) as root from a minimal configuration in a temporary directory — no cgroups
# (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none), SelectType=select/cons_tres, one
# node (this host, `hostname -s`, at 127.0.0.1) with 2 CPUs, ports on loopback only. Then
# submits examples/slurm/submit.sh on the small analytic seed list (three ZDT2 expansions,
# n = 30, from x₁ = 0.2, 0.5, 0.8: a 3-task array) and the dependent stitch job, waits for
# them (at most SLURM_SMOKE_TIMEOUT seconds, default 600), and checks the stitched front:
# method "stitched", points mutually non-dominated, t ∈ [0, 1], the same hypervolume
# reference as every input run, and a hypervolume ≥ every input run's (− 1e-12). The daemons
# it started are stopped by their pid files on every exit, success or failure.
#
# Usage: scripts/slurm-smoke.sh   (as root, from anywhere in the checkout)
# Environment: PARETO (default: .build/release/pareto of this checkout, built if missing),
#   SLURM_SMOKE_TIMEOUT (seconds, default 600), SLURM_SMOKE_KEEP=1 keeps the temporary directory.
set -euo pipefail

say() { echo "slurm-smoke: $*"; }
fail() { echo "slurm-smoke: FAILED: $*" >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
timeout=${SLURM_SMOKE_TIMEOUT:-600}
started=$SECONDS

[[ $(id -u) -eq 0 ]] || fail "must run as root (it starts munged, slurmctld and slurmd)"
command -v python3 >/dev/null 2>&1 || fail "python3 is needed to check the fronts"

# --- the pareto binary ------------------------------------------------------------------------
pareto=${PARETO:-$repo/.build/release/pareto}
if [[ ! -x $pareto ]]; then
    [[ -z ${PARETO:-} ]] || fail "PARETO=$PARETO is not executable"
    say "building $pareto (swift build -c release --product pareto)"
    (cd "$repo" && swift build -c release --product pareto) || fail "swift build -c release --product pareto failed"
fi
[[ -x $pareto ]] || fail "$pareto is missing after the build"
if ! "$pareto" stitch --help >/dev/null 2>&1; then
    fail "$pareto has no 'stitch' subcommand (pareto stitch RUN_DIR... --out DIR); rebuild it from a checkout that has it"
fi

# --- Debian's slurm-wlm and munge -------------------------------------------------------------
missing=0
for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
    command -v "$tool" >/dev/null 2>&1 || missing=1
done
if (( missing )); then
    say "installing slurm-wlm and munge with apt-get"
    apt-get update -qq || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
        || fail "apt-get install slurm-wlm munge failed"
fi
for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found after installing slurm-wlm and munge"
done

# --- the temporary cluster --------------------------------------------------------------------
dir=$(mktemp -d /tmp/paretokit-slurm.XXXXXX)
chmod 755 "$dir"   # munged requires every directory above its socket to be searchable by all
mkdir -p "$dir/munge" "$dir/slurm/state" "$dir/slurm/spool" "$dir/slurm/log" "$dir/work"
chmod 755 "$dir/munge"   # the key itself is 0600 (mungekey)
host=$(hostname -s)
export SLURM_CONF="$dir/slurm/slurm.conf"
unset SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID
ok=0

pid_of() { [[ -s $1 ]] && cat "$1"; }
alive() {  # PIDFILE: false once the daemon that wrote it has died (true while it is not written yet)
    local pid
    pid=$(pid_of "$1") || return 0
    kill -0 "$pid" 2>/dev/null
}
stop_daemon() {  # NAME PIDFILE: TERM, then KILL after 10 s
    local name=$1 pidfile=$2 pid i
    pid=$(pid_of "$pidfile") || return 0
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || { say "stopped $name (pid $pid)"; return 0; }
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    say "killed $name (pid $pid) after 10 s"
}
cleanup() {
    local status=$?
    set +e
    if [[ -s $dir/slurm/slurmctld.pid ]]; then
        # Jobs of this private cluster (a timeout or failure can leave some): cancel, let them end.
        local jobs i
        jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
        if [[ -n $jobs ]]; then
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null
            for ((i = 0; i < 50; i++)); do
                [[ -z $(squeue -h -o %A 2>/dev/null) ]] && break
                sleep 0.2
            done
        fi
    fi
    stop_daemon slurmd "$dir/slurm/slurmd.pid"
    stop_daemon slurmctld "$dir/slurm/slurmctld.pid"
    stop_daemon munged "$dir/munge/munged.pid"
    if (( ok )) && [[ ${SLURM_SMOKE_KEEP:-0} != 1 ]]; then
        rm -rf "$dir"
    else
        say "kept $dir (configuration, daemon logs, runs, job logs)"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

daemon_logs() {
    local f
    for f in "$dir/munge/munged.log" "$dir/slurm/log/slurmctld.log" "$dir/slurm/log/slurmd.log"; do
        [[ -f $f ]] || continue
        echo "----- last lines of $f"
        tail -n 25 "$f"
    done >&2
}
diagnose() {
    {
        echo "----- squeue"
        squeue -a -o '%.12i %.16j %.10T %.10M %R' 2>&1
        echo "----- scontrol show job"
        scontrol show job 2>&1
        echo "----- finished jobs ($dir/slurm/log/jobcomp.txt)"
        cat "$dir/slurm/log/jobcomp.txt" 2>&1
        local f
        for f in "$dir"/work/runs/logs/*; do
            [[ -f $f ]] || continue
            echo "----- job output $f"
            tail -n 40 "$f"
        done
    } >&2
    daemon_logs
}

# munged: its own key, socket, pid and log files.
mungekey --create --keyfile="$dir/munge/munge.key" || fail "mungekey --create failed"
munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed" || { daemon_logs; fail "munged did not start"; }
munge -n --socket="$dir/munge/munge.socket" | unmunge --socket="$dir/munge/munge.socket" >/dev/null \
    || { daemon_logs; fail "munge credentials do not round-trip through munged"; }

# Two free loopback ports for slurmctld and slurmd: the first bindable pair from 6817 (Slurm's
# default) up, below the ephemeral range, so that no client connection of this or an earlier
# run (in TIME_WAIT) holds them.
read -r ctld_port slurmd_port < <(python3 - <<'PY'
import socket
free = []
for port in range(6817, 7817):
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port))
        free.append(port)
    except OSError:
        pass
    finally:
        s.close()
    if len(free) == 2:
        break
print(*free)
PY
)
[[ -n ${slurmd_port:-} ]] || fail "no two free TCP ports between 6817 and 7816"

cat > "$SLURM_CONF" <<EOF
# Written by scripts/slurm-smoke.sh: a one-node cluster on loopback, without cgroups.
ClusterName=paretokit-smoke
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/slurm/state
SlurmdSpoolDir=$dir/slurm/spool
SlurmctldPidFile=$dir/slurm/slurmctld.pid
SlurmdPidFile=$dir/slurm/slurmd.pid
SlurmctldLogFile=$dir/slurm/log/slurmctld.log
SlurmdLogFile=$dir/slurm/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/slurm/log/jobcomp.txt
DependencyParameters=kill_invalid_depend
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=smoke Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld || { daemon_logs; fail "slurmctld did not start"; }
up=0
for ((i = 0; i < 150; i++)); do
    if scontrol ping 2>/dev/null | grep -q 'is UP'; then up=1; break; fi
    alive "$dir/slurm/slurmctld.pid" || break
    sleep 0.2
done
(( up )) || { daemon_logs; fail "slurmctld died or did not answer scontrol ping within 30 s"; }
slurmd -N "$host" || { daemon_logs; fail "slurmd did not start"; }
up=0
for ((i = 0; i < 150; i++)); do
    state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
    if [[ $state == idle ]]; then up=1; break; fi
    alive "$dir/slurm/slurmd.pid" || break
    sleep 0.2
done
(( up )) || { daemon_logs; fail "slurmd died or node $host did not become idle within 30 s (state: '${state:-none}')"; }
say "cluster up in $((SECONDS - started)) s: munged, slurmctld (port $ctld_port), slurmd (port $slurmd_port), node $host with 2 CPUs"

# --- submit the 3-task array and the dependent stitch -----------------------------------------
cd "$dir/work"
submitted=$SECONDS
ids=$("$repo/examples/slurm/submit.sh" --runs runs --pareto "$pareto" "$repo/examples/slurm/seeds/zdt2.txt") \
    || { diagnose; fail "examples/slurm/submit.sh failed"; }
array_id=$(sed -nE 's/.*array=([0-9]+).*/\1/p' <<< "$ids")
stitch_id=$(sed -nE 's/.*stitch=([0-9]+).*/\1/p' <<< "$ids")
[[ -n $array_id && -n $stitch_id ]] || fail "could not read the job ids from submit.sh's output: '$ids'"
say "submitted: expansion array $array_id (3 tasks), stitch $stitch_id (afterok:$array_id)"

last_report=-10
while true; do
    queue=$(squeue -h -o '%i %T %R' 2>&1) || { diagnose; fail "squeue failed: $queue"; }
    [[ -z $queue ]] && break
    waited=$((SECONDS - submitted))
    if (( waited >= timeout )); then
        diagnose
        fail "jobs still queued or running after ${timeout} s"
    fi
    if (( waited - last_report >= 10 )); then
        say "after ${waited} s: $(tr '\n' ';' <<< "$queue" | sed 's/;$//; s/;/; /g')"
        last_report=$waited
    fi
    sleep 1
done
jobs_seconds=$((SECONDS - submitted))

# Every job finished COMPLETED with exit code 0, and the stitch began after the whole array ended.
python3 - "$dir/slurm/log/jobcomp.txt" "$array_id" "$stitch_id" <<'PY' || { diagnose; fail "the jobs did not all complete (see above)"; }
import sys
path, array_id, stitch_id = sys.argv[1:]
records = []
for line in open(path):
    fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
    if fields:
        records.append(fields)
tasks = [r for r in records if r.get("ArrayJobId") == array_id]
stitch = [r for r in records if r.get("JobId") == stitch_id]
problems = []
if sorted(r.get("ArrayTaskId") for r in tasks) != ["0", "1", "2"]:
    problems.append(f"expected array tasks 0, 1, 2 of job {array_id}, found {[r.get('ArrayTaskId') for r in tasks]}")
if len(stitch) != 1:
    problems.append(f"expected one record of the stitch job {stitch_id}, found {len(stitch)}")
for r in tasks + stitch:
    name = f"job {r['JobId']}" + (f" (array task {r['ArrayTaskId']})" if "ArrayTaskId" in r else " (stitch)")
    if r.get("JobState") != "COMPLETED" or r.get("ExitCode") != "0:0":
        problems.append(f"{name}: state {r.get('JobState')}, exit code {r.get('ExitCode')}")
    print(f"  {name}: {r.get('JobState')} exit {r.get('ExitCode')}, {r.get('StartTime')} -> {r.get('EndTime')}")
if tasks and len(stitch) == 1 and stitch[0].get("StartTime", "") < max(r.get("EndTime", "") for r in tasks):
    problems.append("the stitch started before the last array task ended (afterok not honoured)")
for p in problems:
    print("  problem:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

# --- check the stitched front -----------------------------------------------------------------
python3 - runs/stitched runs/seed-0 runs/seed-1 runs/seed-2 <<'PY' || { diagnose; fail "the stitched front does not pass its checks (see above)"; }
import json, math, os, sys
stitched_dir, inputs = sys.argv[1], sys.argv[2:]
problems = []
def load(d):
    path = os.path.join(d, "front.json")
    if not os.path.isfile(path):
        problems.append(f"{path} is missing")
        return None
    with open(path) as f:
        return json.load(f)
stitched = load(stitched_dir)
runs = {d: load(d) for d in inputs}
if stitched is None or any(r is None for r in runs.values()):
    for p in problems: print("  problem:", p, file=sys.stderr)
    sys.exit(1)
if not os.path.isfile(os.path.join(stitched_dir, "front.csv")):
    problems.append(f"{stitched_dir}/front.csv is missing")
if stitched.get("method") != "stitched":
    problems.append(f"method is {stitched.get('method')!r}, not 'stitched'")
stitch = stitched.get("stitch")
families = stitch.get("families") if isinstance(stitch, dict) else None
if not isinstance(families, list):
    problems.append("no 'stitch' object with its list of families (per-family hypervolumes, crossings, gaps)")
    families = []
elif len(families) != len(runs):
    problems.append(f"{len(families)} families in 'stitch', expected one per input run ({len(runs)})")
points = stitched.get("points") or []
if any(not isinstance(p.get("family"), int) or not 0 <= p["family"] < max(len(families), 1) for p in points):
    problems.append("a point whose family is missing or not an index into stitch.families")
if len(points) < 2:
    problems.append(f"{len(points)} points")
objs = [p.get("objectives") for p in points]
if any(not isinstance(o, list) or not o or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in o) for o in objs):
    problems.append("a point without finite objectives")
else:
    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))
    dominated = []
    if all(len(o) == 2 for o in objs):
        # Two objectives: after sorting by (f1, f2) and merging equal points, a point is
        # dominated exactly when an earlier one has f2 <= its f2.
        best = None
        for o in sorted(set(map(tuple, objs))):
            if best is not None and best[1] <= o[1]:
                dominated.append((best, o))
            if best is None or o[1] < best[1]:
                best = o
    else:
        dominated = [(a, b) for a in objs for b in objs if dominates(a, b)]
    if dominated:
        a, b = dominated[0]
        problems.append(f"{len(dominated)} dominated points, e.g. {list(b)} (dominated by {list(a)})")
ts = [p.get("t") for p in points]
if any(not isinstance(t, (int, float)) or not (0 <= t <= 1) for t in ts):
    problems.append("a point whose t is missing or outside [0, 1]")
reference = stitched.get("reference")
hv = stitched.get("hypervolume")
if not isinstance(hv, (int, float)):
    problems.append("no hypervolume")
for d, run in runs.items():
    if run.get("reference") != reference:
        problems.append(f"{d}: reference {run.get('reference')} differs from the stitched front's {reference}")
    if isinstance(hv, (int, float)) and hv < run["hypervolume"] - 1e-12:
        problems.append(f"stitched hypervolume {hv} < {d}'s {run['hypervolume']}")
gaps = stitch.get("gaps", []) if isinstance(stitch, dict) else []
print(f"  stitched: {len(points)} points, hypervolume {hv} (reference {reference}), {len(families)} families, {len(gaps)} gaps")
for d, run in runs.items():
    print(f"  {d}: {len(run.get('points', []))} points, hypervolume {run['hypervolume']}")
for p in problems:
    print("  problem:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

ok=1
say "passed: 3-task array + afterok stitch in ${jobs_seconds} s, $((SECONDS - started)) s in all"
