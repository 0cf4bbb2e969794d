#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/layer.sh [-n N] [DIR...] — cell's layer apply against a plain `tar -x`.
#
# One layer is made from DIR... (default: a few hundred MB of /usr/share) as an
# uncompressed tar, a gzip'd tar and a zstd'd tar. For each form, N times
# (default 3), the layer is applied into a fresh directory by
# build/tests/layer_apply_bench (layer_apply: decompression, sha256 of the
# uncompressed stream, in-root resolution of every entry, owners, modes,
# xattrs, times) and by GNU tar (`tar -xpf`, `-xzpf`, `--zstd -xpf`: the
# physical reference; its decompressor runs as a separate process, in
# parallel). The two take turns; the page cache is warm for both (the layer
# file is read once before). Prints the median wall times and their ratio.
# Needs root (both keep owners and device files). BUILD_DIR overrides build/.
set -euo pipefail
n=3
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
src=$(cd "$(dirname "$0")/.." && pwd)
bench=${BUILD_DIR:-$src/build}/tests/layer_apply_bench
[ -x "$bench" ] || { echo "layer.sh: build first (ninja -C build)" >&2; exit 2; }
if [ $# -eq 0 ]; then
        set -- /usr/share/locale /usr/share/doc /usr/share/man /usr/share/go-1.19
fi
work=$(mktemp -d /var/tmp/cell-bench-layer.XXXXXX)
trap 'rm -rf "$work"' EXIT

tar -C / -cf "$work/layer.tar" "${@#/}" 2>/dev/null || true
gzip -c "$work/layer.tar" >"$work/layer.tar.gz"
zstd -q -c "$work/layer.tar" >"$work/layer.tar.zst"
echo "layer: $(du -m "$work/layer.tar" | cut -f1) MB tar, $(du -m "$work/layer.tar.gz" | cut -f1) MB gz," \
        "$(du -m "$work/layer.tar.zst" | cut -f1) MB zst; $(tar -tf "$work/layer.tar" | wc -l) entries; $n runs each"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { echo "$EPOCHREALTIME"; }

for form in tar gz zst; do
        f=$work/layer.tar
        case $form in
        tar) topt=(-xpf) ;;
        gz) f=$f.gz; topt=(-xzpf) ;;
        zst) f=$f.zst; topt=(--zstd -xpf) ;;
        esac
        cat "$f" >/dev/null
        : >"$work/cell.t"; : >"$work/tar.t"
        for ((i = 0; i < n; i++)); do
                rm -rf "$work/out"; mkdir "$work/out"; sync
                t0=$(now); "$bench" "$f" "$work/out" >"$work/diffid"; t1=$(now)
                echo "$t1 - $t0" | bc >>"$work/cell.t"
                rm -rf "$work/out"; mkdir "$work/out"; sync
                t0=$(now); tar -C "$work/out" "${topt[@]}" "$f"; t1=$(now)
                echo "$t1 - $t0" | bc >>"$work/tar.t"
        done
        c=$(median <"$work/cell.t"); t=$(median <"$work/tar.t")
        printf '%-4s cell %6.2fs  tar -x %6.2fs  ratio %.2fx\n' "$form" "$c" "$t" "$(echo "$c / $t" | bc -l)"
done
want=$(sha256sum <"$work/layer.tar" | cut -d' ' -f1)
got=$(cut -d' ' -f1 <"$work/diffid")
[ "$got" = "sha256:$want" ] && echo "diffID matches sha256sum of the tar" || { echo "diffID MISMATCH: $got vs $want"; exit 1; }
