#!/usr/bin/env bash
# Builds one libFuzzer target of Fuzz/ (outside the main package graph) and runs it.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options…]
#
# TARGET is one of: safetensors idx csv rundir numberlist. The corpus grows in
# Fuzz/corpus/TARGET (seeded from Fuzz/seeds/TARGET), crashing inputs land in
# Fuzz/crashes/TARGET; both are git-ignored. One in-process fuzzing loop on one core (no -jobs
# fork mode, which would move the log into fuzz-0.log). See docs/reliability.md.
set -euo pipefail
# Swift's crash backtracer reads memory that AddressSanitizer flags; libFuzzer and ASan report.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}

usage() { echo "usage: $0 {safetensors|idx|csv|rundir|numberlist} SECONDS [libFuzzer options…]" >&2; exit 64; }
[[ $# -ge 2 ]] || usage
target=$1 seconds=$2
shift 2
case $target in safetensors|idx|csv|rundir|numberlist) ;; *) usage ;; esac
[[ $seconds =~ ^[0-9]+$ ]] || usage

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz=$root/Fuzz
# Every Swift module gets AddressSanitizer and libFuzzer's coverage instrumentation (what
# -sanitize=fuzzer adds: inline 8-bit edge counters, PC table, comparison tracing); the targets
# link libFuzzer without its main (libclang_rt.fuzzer_no_main), because SwiftPM gives each
# executable its own main, which calls LLVMFuzzerRunDriver (Fuzz/Sources/FuzzSupport).
# `-sanitize=fuzzer` itself would link libFuzzer's main too: a duplicate symbol.
swiftc=$(command -v swiftc)
libfuzzer=$(ls "$(dirname "$swiftc")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -n 1)
flags=(-c release
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
    -Xlinker "$libfuzzer" -Xlinker -lstdc++)
swift build --package-path "$fuzz" "${flags[@]}" --product "fuzz-$target" >&2
binary=$(swift build --package-path "$fuzz" "${flags[@]}" --show-bin-path)/fuzz-$target

corpus=$fuzz/corpus/$target crashes=$fuzz/crashes/$target
mkdir -p "$corpus" "$crashes"
python3 "$(dirname "$0")/fuzz-seeds.py"   # the binary seeds are generated, not committed
seeds=()
[[ -d $fuzz/seeds/$target ]] && seeds=("$fuzz/seeds/$target")
dictionary=()
[[ -f $fuzz/dictionaries/$target.dict ]] && dictionary=("-dict=$fuzz/dictionaries/$target.dict")

exec "$binary" "$corpus" "${seeds[@]}" "${dictionary[@]}" -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$crashes/" -rss_limit_mb=4096 -timeout=10 "$@"
