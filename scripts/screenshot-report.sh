#!/usr/bin/env bash
# Renders report pages to PNG with headless Chromium and checks the PNGs are not blank.
#
#   scripts/screenshot-report.sh REPORT.html OUT.png [WIDTH HEIGHT]
#
# Needs Debian's `chromium` (scripts/screenshot-report.sh --install runs apt-get for it).
# Root needs --no-sandbox, which is passed when running as root. The page is local and
# self-contained; Chromium is told not to touch the network anyway.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ "${1:-}" == "--install" ]]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
    exit 0
fi
if [[ $# -lt 2 ]]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTH HEIGHT]  |  $0 --install" >&2
    exit 2
fi
html="$(realpath "$1")"
png="$(realpath -m "$2")"
width="${3:-1200}"
height="${4:-3600}"
[[ -f "$html" ]] || { echo "$0: no such file: $html" >&2; exit 2; }
browser="$(command -v chromium || command -v chromium-browser || true)"
[[ -n "$browser" ]] || { echo "$0: chromium not found (run $0 --install)" >&2; exit 2; }

flags=(--headless --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
       --disable-background-networking --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>'
       --force-device-scale-factor=1 "--window-size=${width},${height}" "--screenshot=${png}")
[[ "$(id -u)" == 0 ]] && flags+=(--no-sandbox)
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
mkdir -p "$(dirname "$png")"
rm -f "$png"
"$browser" "${flags[@]}" "--user-data-dir=${profile}" "file://${html}" >/dev/null 2>"${profile}/stderr" || {
    cat "${profile}/stderr" >&2
    exit 1
}
[[ -s "$png" ]] || { echo "$0: chromium wrote no screenshot" >&2; cat "${profile}/stderr" >&2; exit 1; }
python3 "${here}/check-png-not-blank.py" "$png"
