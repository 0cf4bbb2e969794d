#!/bin/bash
# demo.sh — cell's main job, from nothing: install what is needed, build, make a
# busybox bundle locally, and run a container that prints what it sees inside
# (its hostname, its pid, its user and its mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
        echo "demo.sh: run as root (containers need namespaces and mounts)" >&2
        exit 1
fi
scripts/deps.sh
scripts/build.sh build
bundle=/var/tmp/cell-demo
scripts/make-bundle.sh "$bundle" --probe build/tests/cellprobe
rm -f "$bundle/config.json"
build/cli/cell spec --bundle "$bundle"
jq '.process.terminal = false | .process.args = ["/cellprobe", "report"]' "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"
echo "demo.sh: cell run --bundle $bundle demo"
exec build/cli/cell --root /run/cell run --bundle "$bundle" "demo-$$"
