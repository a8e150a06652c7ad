#!/bin/sh
# docs/mini-lenet-front.md and docs/network-expansion.md ("Null space of MiniLeNet"): the
# null-space study of MiniLeNet on 2,048 14×14 composites, the 101-weight empirical front by
# L-BFGS (cold start on 11 weights, warm start on all 101) and the expansion's distance to it.
#
# Usage: scripts/experiments/mini-lenet-front.sh   (from the repository root). About 45 min on
# the 2-core machine.
set -eu
swift build -c release --product null-space-example
.build/release/null-space-example 2048 1500 101 600 --cold-weights=11
