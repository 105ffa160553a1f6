#!/usr/bin/env bash
# Renders the run's HTML report in headless Chromium (Debian's `chromium` package: apt-get install chromium)
# into a PNG, the one the README shows. Refresh it from a real run of the main job:
#   mvn -B -q install -DskipTests && mvn -B -pl examples verify && bash docs/screenshot-report.sh
# Usage: docs/screenshot-report.sh [report.html] [out.png] [width] [height]
set -euo pipefail
cd "$(dirname "$0")/.."
report=${1:-examples/target/ratelimit-report/ratelimit-report.html}
out=${2:-docs/report.png}
width=${3:-1400}
height=${4:-2300}
[ -f "$report" ] || { echo "no report at $report: run the main job first" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "needs Chromium: apt-get install chromium" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# the page has no scripts and no external references: nothing to wait for
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --force-device-scale-factor=1 --window-size="$width,$height" \
  --screenshot="$(realpath -m "$out")" "file://$(realpath "$report")" 2>/dev/null
echo "wrote $out ($width x $height) from $report"
