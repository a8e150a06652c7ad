#!/bin/sh
# docs/network-expansion.md, "Reference setting: gradients on the whole training split
# (K = 1, N = 11, k = 50)": objectives on all 20,000 training composites, HVPs on 2,048,
# 5 seed MGDA steps; the tangent run and the same command with `--method gradient`.
#
# Usage: scripts/experiments/multimnist-expansion-full.sh LS_CHECKPOINT OUT_DIR   (from the
# repository root, after `swift build -c release`). Run directories: OUT_DIR/tangent-full,
# gradient-full.
set -eu
checkpoint=$(realpath "${1:?usage: $0 LS_CHECKPOINT OUT_DIR}")
out=${2:?usage: $0 LS_CHECKPOINT OUT_DIR}
pareto=${PARETO:-$(pwd)/.build/release/pareto}
mkdir -p "$out"
cd "$out"
FULL="--from $checkpoint --dataset multimnist --train-size 20000 --test-size 10000 \
  --hvp-batch 2048 --directions 1 --points 11 --step-size 0.1 --minres-iterations 50 --minres-tolerance 1e-5 \
  --damping 0.1 --optimize-steps 5 --optimize-step-size 0.1 --seed-steps 5 --curve-samples 11 --seed 1 \
  --optimize-method mgda --force"  # the documented figures: full-set corrections, seed as it is
"$pareto" expand $FULL --method tangent --out tangent-full
"$pareto" expand $FULL --method gradient --out gradient-full
