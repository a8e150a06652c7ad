#!/bin/sh
# Many seeds (Ma et al. 2020, Figure 7 analogue) and the hybrid's parts on MultiMNIST:
# LS checkpoints with weights k/6 (k = 1…5), a tangent expansion from each, PaLoRA from the
# (½, ½) checkpoint, the hybrid from it, and the stitches. All fronts use the same
# hypervolume reference (1, 1) on test loss.
#
# Usage: scripts/experiments/multimnist-many-seeds.sh OUT_DIR   (from the repository root,
# after `swift build -c release`). Data: the default MultiMNIST sources (docs/training.md).
set -eu
out=${1:?usage: $0 OUT_DIR}
pareto=${PARETO:-$(pwd)/.build/release/pareto}
mkdir -p "$out"
cd "$out"
for k in 1 2 3 4 5; do
    w=$(echo "scale=6; $k/6" | bc)
    v=$(echo "scale=6; 1-$k/6" | bc)
    [ -f "ls-$k.safetensors" ] || "$pareto" train --dataset multimnist --method ls --weights "0$w,0$v" \
        --epochs 10 --train-size 20000 --seed 1 --out "ls-$k.safetensors"
done
TANGENT="--dataset multimnist --directions 1 --points 7 --step-size 0.1 \
  --minres-iterations 50 --hvp-batch 2048 --seed 1 --reference 1,1 \
  --optimize-method mgda --force"  # as recorded: full-set corrections, seeds as they are
for k in 1 2 3 4 5; do
    [ -f "tangent-$k/front.json" ] || "$pareto" expand --from "ls-$k.safetensors" $TANGENT --method tangent --out "tangent-$k"
done
# The five seeds' chains stitched into one front (Figure 7 analogue).
"$pareto" stitch tangent-1 tangent-2 tangent-3 tangent-4 tangent-5 --out stitched
# The hybrid from the (½, ½) checkpoint: PaLoRA segment + chains from the checkpoint and from
# the segment's two ends, stitched; the same chain settings and reference as above.
[ -f hybrid/front.json ] || "$pareto" expand --from ls-3.safetensors $TANGENT --method hybrid --out hybrid
