#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/images.sh [-n N] — the image commands' own timings.
#
# N times (default 20) each, into a fresh --storage-root under /var/tmp:
#   base busybox   `cell image base busybox` into an empty store (the goal:
#                  well under a second)
#   images         `cell images` with the busybox image and 20 more names
#   inspect        `cell image inspect` of it
#   layers         `cell image layers` of it (reads the 2 MB layer tar)
# and, when a cached Debian tarball exists (`cell image base debian` made
# it), one `cell image base debian` from the cache. Prints the median wall
# time of each in milliseconds. BUILD_DIR overrides build/.
set -euo pipefail
n=20
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
src=$(cd "$(dirname "$0")/.." && pwd)
cell=${BUILD_DIR:-$src/build}/cli/cell
[ -x "$cell" ] || { echo "images.sh: build first (ninja -C build)" >&2; exit 2; }
work=$(mktemp -d /var/tmp/cell-bench-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

ms() { # ms CMD...: wall time of one run in ms
        local s e
        s=$(date +%s%N)
        "$@" >/dev/null
        e=$(date +%s%N)
        echo $(((e - s) / 1000000))
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

t=$(for ((i = 0; i < n; i++)); do rm -rf "$work/s"; ms "$cell" --storage-root "$work/s" image base busybox; done | median)
printf '%-16s %6s ms\n' "base busybox" "$t"
for i in $(seq 1 20); do "$cell" --storage-root "$work/s" tag localhost/busybox "localhost/t$i:1"; done
for c in "images" "image inspect localhost/busybox" "image layers localhost/busybox"; do
        # shellcheck disable=SC2086
        t=$(for ((i = 0; i < n; i++)); do ms "$cell" --storage-root "$work/s" $c; done | median)
        printf '%-16s %6s ms\n' "${c%% localhost*}" "$t"
done
if ls /var/tmp/cell-base-cache/debian-*.tar >/dev/null 2>&1; then
        t=$(ms "$cell" --storage-root "$work/s" image base debian)
        printf '%-16s %6s ms (from the cached tarball; 1 run)\n' "base debian" "$t"
fi
