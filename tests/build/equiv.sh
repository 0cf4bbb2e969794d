#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Equivalence of `cell build` with `docker build`: every case of
# tests/build/corpus/ is built by a private dockerd (BuildKit) and by cell,
# both results are saved as docker-archive tars and tests/build/compare.py
# compares their file trees and configs.
#
# Usage: tests/build/equiv.sh [-k] [-v] [CASE-NAME...]
#   -k   keep the work directory (printed at the end)
#   -v   print compare.py's full listings for differing cases
#
# Environment: CELL (default build/cli/cell of this tree), BUSYBOX (a static
# busybox, default /bin/busybox), DOCKER_CLIENT (default /usr/bin/docker, the
# Debian client with buildx; not /usr/local/bin/docker), EQUIV_TIMEOUT
# (seconds per build, default 180). Runs as root. Exit status: 0 when every
# case is the same, 1 when some differ, 77 when dockerd or busybox is
# missing (a skip), 2 on a setup error.
#
# A case is a directory tests/build/corpus/NN-name/ that is the build context
# (Dockerfile and the files it copies) with a one-line file `args`: the extra
# build flags, evaluated by bash with $T set to a fresh directory of the case
# and side (for --iidfile $T/iid). When the case has a file `stdin`, it is
# the build's standard input (for -f -). Git keeps no modes but the
# executable bit, so a case that needs others has a file `prepare`, a bash
# script run in the copy of the case that both sides build from (each case
# is copied to the work directory first). Every build gets `--network host`
# (dockerd runs without a bridge, BuildKit's RUN needs a network) and
# `-t equiv/NAME:latest`, the name the result is saved under. Checked besides
# the images: every -t of the args names the built image, -q prints only
# its id, --iidfile holds it.
#
# Here-documents (RUN <<EOF) need a `# syntax=` frontend image from Docker
# Hub, which this machine's docker cannot fetch: the corpus has none (cell's
# own tests, tests/system/build.bats, cover them).

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
CELL=${CELL:-$REPO_ROOT/build/cli/cell}
BUSYBOX=${BUSYBOX:-/bin/busybox}
DOCKER=${DOCKER_CLIENT:-/usr/bin/docker}
TIMEOUT=${EQUIV_TIMEOUT:-180}
BASE=localhost/equiv-base:1

keep=0
verbose=0
while [ $# -gt 0 ]; do
        case $1 in
        -k) keep=1 ;;
        -v) verbose=1 ;;
        -*) echo "equiv: unknown option $1" >&2; exit 2 ;;
        *) break ;;
        esac
        shift
done
ONLY=" $* "

if ! command -v dockerd >/dev/null || [ ! -x "$DOCKER" ]; then
        echo "equiv: SKIP: dockerd or $DOCKER is not installed (Debian's docker.io: scripts/deps.sh)"
        exit 77
fi
if [ ! -x "$BUSYBOX" ]; then
        echo "equiv: SKIP: no static busybox at $BUSYBOX (busybox-static: scripts/deps.sh)"
        exit 77
fi
if [ ! -x "$CELL" ]; then
        echo "equiv: cell binary not found at $CELL (meson setup build && ninja -C build)" >&2
        exit 2
fi
if [ "$(id -u)" != 0 ]; then
        echo "equiv: runs as root" >&2
        exit 2
fi

WORK=$(mktemp -d /var/tmp/cell-equiv.XXXXXX)
export CELL_STORAGE_ROOT=$WORK/cell-storage
export CELL_RUNROOT=/run/cell-equiv.${WORK##*.}
DOCKER_DIR=$WORK/docker
export DOCKER_BUILDKIT=1

# The private dockerd and its helpers (dk, dockerd_start, dockerd_stop,
# umount_under).
. "$REPO_ROOT/tests/lib/private_dockerd.bash"

cell_clean() {
        local id
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
}

cleanup() {
        cell_clean
        dockerd_stop
        umount_under "$WORK"
        if [ "$keep" = 1 ]; then
                echo "equiv: kept $WORK"
        else
                rm -rf "$WORK"
        fi
        rm -rf "$CELL_RUNROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The base image, the same bytes on both sides: static busybox, a passwd
# and group with a user "app" (1000) and a group "extra" (2000), a file in
# /data, an ENV, a CMD and a WORKDIR (the parity test's image).
build_base() {
        local r=$WORK/rootfs a
        mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/home/app" "$r/data" "$r/root"
        chmod 1777 "$r/tmp"
        cp "$BUSYBOX" "$r/bin/busybox"
        for a in sh echo cat ls id sleep true false env pwd touch mkdir rm sed grep wc chmod chown ln cp mv \
                head tail printf test tar stat; do
                ln -s busybox "$r/bin/$a"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
        printf 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n' >"$r/etc/group"
        echo "image content" >"$r/data/file"
        tar --numeric-owner -C "$r" -cf "$WORK/rootfs.tar" . || return 1
        "$CELL" import --change 'CMD ["sh"]' --change 'ENV FROM_IMAGE=yes' --change 'WORKDIR /' \
                "$WORK/rootfs.tar" "$BASE" >/dev/null || return 1
        "$CELL" save -o "$WORK/base.tar" "$BASE" || return 1
        dk load -q -i "$WORK/base.tar" >/dev/null || return 1
        local a b
        a=$("$CELL" image inspect "$BASE" 2>/dev/null | grep -m1 '"Id"' | cut -d'"' -f4)
        b=$(dk image inspect --format '{{.Id}}' "$BASE")
        if [ -n "$a" ] && [ "$a" != "$b" ]; then
                echo "equiv: the base image differs: cell $a, docker $b" >&2
                return 1
        fi
}

image_id() { # SIDE REF
        if [ "$1" = docker ]; then
                dk image inspect --format '{{.Id}}' "$2" 2>/dev/null
        else
                "$CELL" image inspect "$2" 2>/dev/null | grep -m1 '"Id"' | cut -d'"' -f4
        fi
}

# build_side SIDE CASE-DIR NAME: builds and saves to $WORK/out/NAME.SIDE.tar;
# prints problems other than the image's content on stdout.
build_side() {
        local side=$1 dir=$2 name=$3 t args rc id tag stdin=/dev/null
        local base=$WORK/out/$name.$side
        t=$WORK/t/$name.$side
        mkdir -p "$t" "$WORK/out"
        [ -f "$dir/stdin" ] && stdin=$dir/stdin
        args=$(T=$t bash -c "printf '%s\n' $(cat "$dir/args" 2>/dev/null)") || { echo "bad args file"; return 1; }
        local -a argv=()
        [ -n "$args" ] && mapfile -t argv <<<"$args"
        (
                cd "$dir" || exit 2
                if [ "$side" = docker ]; then
                        dk build --network host -t "equiv/$name:latest" "${argv[@]}" . 
                else
                        timeout -k 5 "$TIMEOUT" "$CELL" build --network host -t "equiv/$name:latest" "${argv[@]}" .
                fi
        ) <"$stdin" >"$base.stdout" 2>"$base.stderr"
        rc=$?
        if [ "$rc" != 0 ]; then
                echo "$side build failed ($rc): $(tail -n 5 "$base.stderr" "$base.stdout" | tr '\n' ' ' | head -c 900)"
                return 1
        fi
        id=$(image_id "$side" "equiv/$name:latest")
        [ -n "$id" ] || { echo "$side: no image equiv/$name:latest"; return 1; }
        # Every -t names the image.
        local i
        for ((i = 0; i < ${#argv[@]}; i++)); do
                case ${argv[i]} in
                -t | --tag) tag=${argv[i + 1]}
                        [ "$(image_id "$side" "$tag")" = "$id" ] || echo "$side: -t $tag does not name $id" ;;
                --iidfile) [ "$(cat "${argv[i + 1]}" 2>/dev/null)" = "$id" ] ||
                        echo "$side: --iidfile holds '$(cat "${argv[i + 1]}" 2>/dev/null)', not $id" ;;
                -q | --quiet) [ "$(cat "$base.stdout")" = "$id" ] ||
                        echo "$side: -q printed '$(head -c 300 "$base.stdout")', not only $id" ;;
                esac
        done
        if [ "$side" = docker ]; then
                dk save -o "$base.tar" "equiv/$name:latest"
        else
                "$CELL" save -o "$base.tar" "equiv/$name:latest"
        fi || { echo "$side: save failed"; return 1; }
}

dockerd_start cell-equiv || exit 2
build_base || {
        echo "equiv: could not build and load the base image" >&2
        exit 2
}

n=0
same=0
failed=
for dir in "$HERE"/corpus/*/; do
        dir=${dir%/}
        name=${dir##*/}
        case $ONLY in
        '  ') ;;
        *" $name "*) ;;
        *) continue ;;
        esac
        n=$((n + 1))
        mkdir -p "$WORK/ctx"
        cp -a "$dir" "$WORK/ctx/$name"
        dir=$WORK/ctx/$name
        if [ -f "$dir/prepare" ]; then
                (cd "$dir" && bash -e ./prepare) || echo "equiv: $name: prepare failed" >&2
        fi
        problems=$(build_side docker "$dir" "$name"; build_side cell "$dir" "$name")
        cell_clean
        report=
        if [ -f "$WORK/out/$name.docker.tar" ] && [ -f "$WORK/out/$name.cell.tar" ]; then
                report=$(python3 "$HERE/compare.py" "$WORK/out/$name.docker.tar" "$WORK/out/$name.cell.tar" 2>&1)
                [ $? = 0 ] || [ -n "$report" ] || report="compare.py failed"
        fi
        if [ -z "$problems" ] && [ -z "$report" ]; then
                same=$((same + 1))
                echo "SAME $name ($(cat "$dir/args" 2>/dev/null))"
                if [ "$verbose" = 1 ]; then
                        python3 "$HERE/compare.py" --list "$WORK/out/$name.docker.tar" "$WORK/out/$name.cell.tar" |
                                sed 's/^/    /'
                fi
        else
                failed="$failed $name"
                echo "DIFF $name ($(cat "$dir/args" 2>/dev/null))"
                [ -n "$problems" ] && printf '%s\n' "$problems" | sed 's/^/    /'
                [ -n "$report" ] && printf '%s\n' "$report" | sed 's/^/    /'
                if [ "$verbose" = 1 ] && [ -f "$WORK/out/$name.cell.tar" ]; then
                        python3 "$HERE/compare.py" --list "$WORK/out/$name.docker.tar" "$WORK/out/$name.cell.tar" |
                                sed 's/^/    /'
                fi
        fi
done

echo "equiv: $n cases, $same same${failed:+ (different:}${failed}${failed:+)}"
[ "$n" -gt 0 ] && [ "$same" = "$n" ]
