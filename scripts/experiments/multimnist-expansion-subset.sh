#!/bin/sh
# docs/network-expansion.md, "Measured" (first part): tangent, gradient and two weighted-sum
# runs from the LS checkpoint with the objectives on the first 2,000 training composites and
# HVPs on 1,024 images (N = 21, k = 50, s = 0.1, damping 0.1, 20 seed MGDA steps); the
# weighted-sum budget, 1,551 gradient steps, is the tangent run's evaluation count.
#
# Usage: scripts/experiments/multimnist-expansion-subset.sh LS_CHECKPOINT OUT_DIR   (from the
# repository root, after `swift build -c release`; LS_CHECKPOINT from
# scripts/experiments/multimnist-ls-checkpoint.sh). Run directories: OUT_DIR/tangent, gradient,
# weighted-sum, weighted-sum-0.005.
set -eu
checkpoint=$(realpath "${1:?usage: $0 LS_CHECKPOINT OUT_DIR}")
out=${2:?usage: $0 LS_CHECKPOINT OUT_DIR}
pareto=${PARETO:-$(pwd)/.build/release/pareto}
mkdir -p "$out"
cd "$out"
COMMON="--from $checkpoint --dataset multimnist --train-size 2000 --test-size 10000 \
  --hvp-batch 1024 --directions 1 --points 21 --step-size 0.1 --minres-iterations 50 --minres-tolerance 1e-5 \
  --damping 0.1 --optimize-steps 5 --optimize-step-size 0.1 --seed-steps 20 --seed 1 \
  --optimize-method mgda --force"  # the documented figures: full-set corrections, seed as it is
"$pareto" expand $COMMON --method tangent --out tangent
"$pareto" expand $COMMON --method gradient --out gradient
"$pareto" expand $COMMON --method weighted-sum --budget 1551 --weighted-sum-step-size 0.05 --out weighted-sum
"$pareto" expand $COMMON --method weighted-sum --budget 1551 --weighted-sum-step-size 0.005 --out weighted-sum-0.005
