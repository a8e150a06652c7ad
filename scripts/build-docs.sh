#!/usr/bin/env bash
# Builds the DocC documentation of ParetoKit's library modules with the Swift-DocC plugin
# (swiftlang/swift-docc-plugin, a package dependency).
#
#   scripts/build-docs.sh [--static DIR] [TARGET …]
#
# Without --static: one .doccarchive per target under .build/plugins/Swift-DocC/outputs/
# (open with `xcrun docc preview` on a Mac, or serve the static form). With --static DIR: a
# static website per target in DIR/TARGET (open DIR/TARGET/documentation/<target>/index.html
# through any static web server). Default targets: every module with a catalog
# (Sources/<Module>/<Module>.docc). Exits non-zero when a build fails or when DocC warns about
# a module's overview page (the catalogs' own links); warnings in doc comments are counted.
set -euo pipefail
cd "$(dirname "$0")/.."

static=""
if [[ "${1:-}" == "--static" ]]; then
    static="${2:?--static needs a directory}"
    shift 2
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for catalog in Sources/*/*.docc; do
        targets+=("$(basename "$(dirname "$catalog")")")
    done
fi

status=0
for target in "${targets[@]}"; do
    log="$(mktemp)"
    if [[ -n "$static" ]]; then
        mkdir -p "$static"
        command=(swift package --allow-writing-to-directory "$static" generate-documentation --target "$target"
                 --output-path "$static/$target" --transform-for-static-hosting --hosting-base-path "$target")
    else
        command=(swift package generate-documentation --target "$target")
    fi
    if ! "${command[@]}" >"$log" 2>&1; then
        echo "$target: documentation build failed" >&2
        tail -n 20 "$log" >&2
        status=1
    fi
    warnings=$(grep -c "warning:" "$log" || true)
    overview=$(grep -E "warning: .* at '/$target'$" "$log" || true)
    echo "$target: $warnings warning(s)${static:+, site in $static/$target}"
    if [[ -n "$overview" ]]; then
        echo "$overview" >&2
        status=1
    fi
    rm -f "$log"
done
exit $status
