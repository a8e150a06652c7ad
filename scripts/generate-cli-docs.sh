#!/usr/bin/env bash
# Regenerates docs/cli.md from the commands' --help texts (the single source of truth).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product pareto >/dev/null
swift build -c release --product pareto-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
{
    echo '# Command-line reference'
    echo
    echo 'Generated from `--help` by `scripts/generate-cli-docs.sh`; the commands themselves are the reference.'
    for c in "" expand stitch evaluate train report; do
        echo; echo "## pareto $c"; echo; echo '```'; "$bin/pareto" $c --help 2>&1; echo '```'
    done
    for c in hvp minres hypervolume zdt2 tangent-step table1 table2; do
        echo; echo "## pareto-bench $c"; echo; echo '```'; "$bin/pareto-bench" $c --help 2>&1; echo '```'
    done
} > docs/cli.md
echo "wrote docs/cli.md"
