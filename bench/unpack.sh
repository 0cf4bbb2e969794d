#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/unpack.sh [-n N] [DIR...] — a layer through cell's layer cache against
# a plain `tar -x`.
#
# One layer is made from DIR... (default: a few hundred MB of /usr/share, about
# the size of a Debian base layer's tree) as an uncompressed and a gzip'd tar.
# For each, N times (default 3), in turns: build/tests/layers_ensure_bench puts
# it into a fresh image store and times storage_layers_ensure alone (the sweep,
# the chain-id lock, layer_apply into a temporary directory with the diffID
# computed on the way, meta.json, syncfs, the rename); GNU tar extracts it with
# `tar -xpf` (`-xzpf`), timed with and without a `sync` after it, since ensure
# syncs before the layer gets its name; and build/tests/layer_apply_bench
# applies it alone (no cache, no sync), to tell the cache's own cost from the
# unpacker's. Prints the median wall times and the ratios. The disk of the
# development VM is noisy: compare figures of one run only. Needs root.
# BUILD_DIR overrides build/.
set -euo pipefail
n=3
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
src=$(cd "$(dirname "$0")/.." && pwd)
bench=${BUILD_DIR:-$src/build}/tests/layers_ensure_bench
apply=${BUILD_DIR:-$src/build}/tests/layer_apply_bench
[ -x "$bench" ] && [ -x "$apply" ] || { echo "unpack.sh: build first (ninja -C build)" >&2; exit 2; }
if [ $# -eq 0 ]; then
        set -- /usr/share/locale /usr/share/doc /usr/share/man /usr/share/go-1.19
fi
work=$(mktemp -d /var/tmp/cell-bench-unpack.XXXXXX)
trap 'rm -rf "$work"' EXIT

tar -C / -cf "$work/layer.tar" "${@#/}" 2>/dev/null || true
gzip -c "$work/layer.tar" >"$work/layer.tar.gz"
diffid=sha256:$(sha256sum <"$work/layer.tar" | cut -d' ' -f1)
echo "layer: $(du -m "$work/layer.tar" | cut -f1) MB tar, $(du -m "$work/layer.tar.gz" | cut -f1) MB gz;" \
        "$(tar -tf "$work/layer.tar" | wc -l) entries; $n runs each"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { echo "$EPOCHREALTIME"; }

for form in tar gz; do
        f=$work/layer.tar
        topt=(-xpf)
        [ $form = gz ] && { f=$f.gz; topt=(-xzpf); }
        cat "$f" >/dev/null
        : >"$work/cell.t"; : >"$work/tar.t"; : >"$work/tarsync.t"; : >"$work/apply.t"
        for ((i = 0; i < n; i++)); do
                rm -rf "$work/store" "$work/storage"; sync
                "$bench" "$f" "$diffid" "$work/store" "$work/storage" | cut -d' ' -f2 >>"$work/cell.t"
                rm -rf "$work/out"; mkdir "$work/out"; sync
                t0=$(now); tar -C "$work/out" "${topt[@]}" "$f"; t1=$(now); sync; t2=$(now)
                echo "$t1 - $t0" | bc >>"$work/tar.t"
                echo "$t2 - $t0" | bc >>"$work/tarsync.t"
                rm -rf "$work/out"; mkdir "$work/out"; sync
                t0=$(now); "$apply" "$f" "$work/out" >/dev/null; t1=$(now)
                echo "$t1 - $t0" | bc >>"$work/apply.t"
        done
        c=$(median <"$work/cell.t"); t=$(median <"$work/tar.t"); ts=$(median <"$work/tarsync.t")
        a=$(median <"$work/apply.t")
        printf '%-4s ensure %6.2fs  tar -x %6.2fs (%.2fx)  tar -x + sync %6.2fs (%.2fx)  layer_apply %6.2fs\n' \
                "$form" "$c" "$t" "$(echo "$c / $t" | bc -l)" "$ts" "$(echo "$c / $ts" | bc -l)" "$a"
done
