#!/bin/bash
# Interleaved rounds of `pareto-bench hvp --batch 256`, two binaries (BEFORE, AFTER) in four
# configurations: Haswell forced, nothing set (OpenBLAS detects), Prescott forced, one core in
# thread CPU time. One JSON line per process; summarise with hvp-rounds-summary.py.
# usage: BEFORE=path/to/old/pareto-bench [AFTER=…] [ROUNDS=6] scripts/experiments/hvp-rounds.sh > rounds.jsonl
cd "$(dirname "$0")/../.."
for round in $(seq 1 ${ROUNDS:-6}); do
  for bin in before after; do
    B=${AFTER:-.build/release/pareto-bench}; [ $bin = before ] && B=${BEFORE:?path of the before binary}
    for cfg in haswell nothing prescott cpu1; do
      case $cfg in
        haswell)  line=$(OPENBLAS_CORETYPE=Haswell $B hvp --batch 256 --tape-repeats 0 --json | tail -1);;
        nothing)  line=$(env -u OPENBLAS_CORETYPE $B hvp --batch 256 --tape-repeats 0 --json | tail -1);;
        prescott) line=$(OPENBLAS_CORETYPE=Prescott $B hvp --batch 256 --tape-repeats 0 --json | tail -1);;
        cpu1)     line=$(OPENBLAS_CORETYPE=Haswell $B hvp --batch 256 --tape-repeats 0 --threads 1 --tasks 1 --clock thread-cpu --json | tail -1);;
      esac
      echo "{\"round\":$round,\"bin\":\"$bin\",\"cfg\":\"$cfg\",\"load\":$(cut -d' ' -f1 /proc/loadavg),\"time\":\"$(date -u +%T)\",\"r\":$line}"
    done
  done
done
