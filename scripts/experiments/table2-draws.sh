#!/bin/sh
# Ma et al.'s Table 2 (the k and s sweeps, pareto-bench table2) repeated with several draws
# (--seed 1, 2, 3: the seed phase's and the corrections' mini-batch streams and the HVP batch;
# with K = 1 the two chains' β are e₁ and e₂, so --seed is the run's only randomness), and the
# mean and range of each setting's HV. docs/tables.md ("Table 2, three draws") has the result.
#
# Usage: scripts/experiments/table2-draws.sh SEED_CHECKPOINT OUT_DIR [DRAW ...]
# from the repository root, after `swift build -c release`; resumable (pareto-bench skips what
# exists). Default draws: 1 2 3. EXPAND_OPTIONS (default "--seed-steps 500", protocol B of
# docs/tables.md) is passed on; nice -n 19 unless NICE is set.
set -eu
from=${1:?usage: $0 SEED_CHECKPOINT OUT_DIR [DRAW ...]}
out=${2:?usage: $0 SEED_CHECKPOINT OUT_DIR [DRAW ...]}
shift 2
draws=${*:-1 2 3}
bench=${PARETO_BENCH:-.build/release/pareto-bench}
nice=${NICE-nice -n 19}
expand_options=${EXPAND_OPTIONS:---seed-steps 500}
mkdir -p "$out"
for s in $draws; do
    $nice "$bench" table2 --from "$from" --dataset multimnist --hvp-batch 1024 --curve-samples 3 \
        --expand-options="$expand_options" --seed "$s" --out "$out/seed-$s" > "$out/seed-$s.md" 2> "$out/seed-$s.log"
done
python3 - "$out" $draws <<'EOF'
import json, os, statistics, sys
out, draws = sys.argv[1], sys.argv[2:]
runs = {}
for s in draws:
    for r in json.load(open(os.path.join(out, f"seed-{s}", "table2.json")))["runs"]:
        runs.setdefault((r["sweep"], r["k"] if r["sweep"] == "k" else r["s"]), []).append(r)
for sweep, title in (("k", "k (s = 0.1, N = 5)"), ("s", "s (k = 50, N = 1/s)")):
    keys = sorted(v for (w, v) in runs if w == sweep)
    print(f"| {title} | " + " | ".join(f"{v:g}" for v in keys) + " |")
    print("|---|" + "---:|" * len(keys))
    rows = {"HV per draw": [], "mean HV": [], "range (max − min)": [], "accepted / N per draw": [], "EXPAND per draw": []}
    for v in keys:
        rs = runs[(sweep, v)]
        hv = [r["hypervolume"] for r in rs]
        rows["HV per draw"].append(" / ".join(f"{x:.4f}" for x in hv))
        rows["mean HV"].append(f"{statistics.mean(hv):.4f}")
        rows["range (max − min)"].append(f"{max(hv) - min(hv):.4f}")
        rows["accepted / N per draw"].append(" / ".join(f"{r['accepted']}" for r in rs) + f" of {rs[0]['points']}")
        rows["EXPAND per draw"].append(" / ".join(f"{r['expand_evaluations']}" for r in rs))
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")
    best = max(keys, key=lambda v: statistics.mean(r["hypervolume"] for r in runs[(sweep, v)]))
    per_draw = []
    for i, s in enumerate(draws):
        hv = {v: runs[(sweep, v)][i]["hypervolume"] for v in keys}
        per_draw.append(f"draw {s}: {max(hv, key=hv.get):g}")
    print(f"\nbest {sweep} by mean HV: {best:g}; best per draw: {', '.join(per_draw)}\n")
EOF
