"""Medians (and ratio ranges) per configuration and binary of hvp-rounds.sh's JSON lines.

usage: python3 scripts/experiments/hvp-rounds-summary.py rounds.jsonl
"""
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = ["sgemm_gflops", "grad_ms", "hvp_ms", "hvp_prepared_ms", "hvp_over_grad", "hvp_fraction_of_sgemm", "prep_frac"]
for r in rows:
    d = r["r"]; d["prep_frac"] = d["hvp_prepared_gflops"] / d["sgemm_gflops"]
print("loads", min(r["load"] for r in rows), max(r["load"] for r in rows), "rounds", max(r["round"] for r in rows))
for cfg in ["haswell", "nothing", "cpu1", "prescott"]:
    for b in ["before", "after"]:
        sel = [r["r"] for r in rows if r["cfg"] == cfg and r["bin"] == b]
        if not sel: continue
        med = {k: st.median(s[k] for s in sel) for k in keys}
        rng = {k: (min(s[k] for s in sel), max(s[k] for s in sel)) for k in ["hvp_fraction_of_sgemm", "prep_frac", "hvp_over_grad"]}
        print(f"{cfg:9s} {b:6s} core={sel[0]['blas_core']:10s} sgemm {med['sgemm_gflops']:6.1f} grad {med['grad_ms']:6.2f} hvp {med['hvp_ms']:6.2f} prep {med['hvp_prepared_ms']:6.2f} hvp/grad {med['hvp_over_grad']:.2f} hvp/sgemm {100*med['hvp_fraction_of_sgemm']:.0f}% prep/sgemm {100*med['prep_frac']:.0f}%  ranges " + " ".join(f"{k}:{a:.2f}-{b2:.2f}" for k,(a,b2) in rng.items()))
