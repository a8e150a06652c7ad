#!/usr/bin/env bash
# Submits a many-seeds expansion to Slurm: a job array with one task per seed (expand.sbatch),
# then the stitch (stitch.sbatch) as a job that runs only after every task of the array
# succeeded (--dependency=afterok:<array job id>). With --train-ls, first an array that trains
# the seed checkpoints (train-ls.sbatch); the expansion array then waits task by task
# (--dependency=aftercorr:<training array>).
#
# Usage: examples/slurm/submit.sh [--runs DIR] [--pareto PATH] [--train-ls] SEEDS_FILE
#
#   SEEDS_FILE     one line of `pareto expand` arguments per seed (seeds/zdt2.txt, seeds/multimnist-ls.txt)
#   --runs DIR     run directories DIR/seed-N, the stitch in DIR/stitched, job logs in DIR/logs
#                  (default: runs, under the directory you submit from)
#   --pareto PATH  the pareto binary the jobs run (default: pareto on PATH, else this checkout's
#                  .build/release/pareto); it must be reachable from every node
#   --train-ls     network version: train one LS checkpoint per seed first, into ./checkpoints
#
# Other sbatch settings come from sbatch's own environment variables, e.g. SBATCH_PARTITION,
# SBATCH_ACCOUNT, SBATCH_TIMELIMIT. Jobs run in the directory you submit from. Prints the job ids
# as one line: `array=ID stitch=ID` (and `train=ID` first with --train-ls).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage="usage: $0 [--runs DIR] [--pareto PATH] [--train-ls] SEEDS_FILE"
die() { echo "submit.sh: $*" >&2; exit 2; }

runs=runs
pareto=
train=0
seeds=
while (( $# > 0 )); do
    case $1 in
        --runs) [[ $# -ge 2 ]] || die "--runs needs a directory"; runs=$2; shift 2 ;;
        --pareto) [[ $# -ge 2 ]] || die "--pareto needs a path"; pareto=$2; shift 2 ;;
        --train-ls) train=1; shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        -*) die "unknown option $1; $usage" ;;
        *) [[ -z $seeds ]] || die "one seed list only; $usage"; seeds=$1; shift ;;
    esac
done
[[ -n $seeds ]] || die "$usage"
[[ -r $seeds ]] || die "cannot read the seed list $seeds"
command -v sbatch >/dev/null 2>&1 || die "sbatch not found: run this on a Slurm login node"

if [[ -z $pareto ]]; then
    if command -v pareto >/dev/null 2>&1; then
        pareto=$(command -v pareto)
    else
        pareto="$here/../../.build/release/pareto"
    fi
fi
[[ -x $pareto ]] || die "$pareto is not an executable pareto binary (build it: swift build -c release; or pass --pareto)"

absolute() { if [[ $1 == /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }
PARETO=$(absolute "$pareto")
PARETO_SEEDS=$(absolute "$seeds")
PARETO_RUNS=$(absolute "$runs")
export PARETO PARETO_SEEDS PARETO_RUNS

count=$(grep -cvE '^[[:space:]]*(#|$)' "$seeds" || true)
(( count > 0 )) || die "$seeds lists no seed"
logs="$PARETO_RUNS/logs"
mkdir -p "$logs"   # Slurm does not create the directories of --output

# sbatch --parsable prints "jobid" or "jobid;cluster".
job_id() { local id; id=$(cat); echo "${id%%;*}"; }

after=()
ids=""
if (( train )); then
    train_id=$(sbatch --parsable --array="0-$((count - 1))" --output="$logs/%x-%A_%a.out" \
        "$here/train-ls.sbatch" | job_id)
    after=(--dependency="aftercorr:$train_id" --kill-on-invalid-dep=yes)
    ids="train=$train_id "
fi
array_id=$(sbatch --parsable --array="0-$((count - 1))" --output="$logs/%x-%A_%a.out" \
    "${after[@]}" "$here/expand.sbatch" | job_id)
stitch_id=$(sbatch --parsable --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
    --output="$logs/%x-%j.out" "$here/stitch.sbatch" | job_id)
[[ $array_id =~ ^[0-9]+$ && $stitch_id =~ ^[0-9]+$ ]] || die "sbatch returned no job id (array '$array_id', stitch '$stitch_id')"
echo "${ids}array=$array_id stitch=$stitch_id"
