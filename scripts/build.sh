#!/bin/bash
# build.sh [DIR [meson options...]] — configure (once) and build cell with Meson.
# The default DIR is build/; tests use build-asan/ (ASan + UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
echo "build.sh: built $dir/cli/cell"
