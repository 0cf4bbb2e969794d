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
if ! out=$(ninja -C "$dir" 2>&1); then
        printf '%s\n' "$out" | grep -E "error|FAILED" >&2 || printf '%s\n' "$out" >&2
        echo "build.sh: building $dir failed" >&2
        exit 1
fi
echo "build.sh: built $dir/cli/cell"
