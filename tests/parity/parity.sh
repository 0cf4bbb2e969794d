#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Parity of cell's engine commands with docker's: every case of cases.txt runs
# once against a private dockerd on this machine and once against cell, and
# the exit codes and (masked) standard outputs are compared; standard error
# only for cases marked #stderr, since the wording of errors differs.
#
# Usage: tests/parity/parity.sh [-k] [-v] [CASES-FILE] [CASE-NUMBER...]
#   -k   keep the work directory (printed at the end)
#   -v   print the masked outputs of passing cases as well
#
# Environment: CELL (default build/cli/cell of this tree), BUSYBOX (a static
# busybox, default /bin/busybox), PARITY_TIMEOUT (seconds per case and side,
# default 60). Runs as root. Exit status: 0 when every case is the same,
# 1 when some differ, 77 when dockerd or busybox is missing (a skip), 2 on a
# setup error.
#
# Case lines (cases.txt): a shell command line run with `bash -o pipefail -c`
# in which these are set:
#   $X    the CLI: `docker -H unix://<private socket>` or the cell binary
#   $IMG  the test image (localhost/parity:1 on both sides, identical: built
#         by `cell import`, moved to docker with `cell save | docker load`)
#   $T    a fresh, empty directory of the case and side (masked as <T>)
# Several commands may be joined with ; or && to build up state. A case ends
# at the end of its line; markers after a final ` #` are:
#   #stderr   compare the standard error too
# Lines that are empty or start with # are comments. Between cases every
# container on both sides is removed.
#
# Masked before comparing (both sides alike): 64- and 12-hex ids, the case's
# $T, timestamps (RFC 3339 and Go's "2006-01-02 15:04:05 -0700 MST"),
# durations ("3 seconds ago", "Up 2 seconds", "About a minute ago"), sizes
# ("1.2kB", "0B (virtual 5MB)"), docker's generated names (adjective_name),
# and runs of two or more blanks (table columns are padded to the widest,
# masked, cell) collapse to two.
#
# Docker's network: dockerd runs with --bridge=none (nothing of the host's
# networking touched), so docker's default network has no bridge to attach to
# and a container gets only a loopback interface, where cell's gets an address
# on cell0: a case that shows the network (/etc/hosts) says `--network none`
# on both sides. tests/system/network*.bats test the bridge.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
CELL=${CELL:-$REPO_ROOT/build/cli/cell}
BUSYBOX=${BUSYBOX:-/bin/busybox}
TIMEOUT=${PARITY_TIMEOUT:-60}
IMG=localhost/parity:1

keep=0
verbose=0
while [ $# -gt 0 ]; do
        case $1 in
        -k) keep=1 ;;
        -v) verbose=1 ;;
        -*) echo "parity: unknown option $1" >&2; exit 2 ;;
        *) break ;;
        esac
        shift
done
CASES=$HERE/cases.txt
if [ $# -gt 0 ] && [ -f "$1" ]; then
        CASES=$1
        shift
fi
ONLY=" $* "

if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
        echo "parity: SKIP: dockerd/docker is not installed (Debian's docker.io: scripts/deps.sh)"
        exit 77
fi
if [ ! -x "$BUSYBOX" ]; then
        echo "parity: SKIP: no static busybox at $BUSYBOX (busybox-static: scripts/deps.sh)"
        exit 77
fi
if [ ! -x "$CELL" ]; then
        echo "parity: cell binary not found at $CELL (meson setup build && ninja -C build)" >&2
        exit 2
fi
if [ "$(id -u)" != 0 ]; then
        echo "parity: runs as root" >&2
        exit 2
fi

WORK=$(mktemp -d /var/tmp/cell-parity.XXXXXX)
export CELL_STORAGE_ROOT=$WORK/cell-storage
export CELL_RUNROOT=/run/cell-parity.${WORK##*.}
DOCKER_DIR=$WORK/docker

# The private dockerd and its helpers (dk, dockerd_start, dockerd_stop,
# umount_under).
. "$REPO_ROOT/tests/lib/private_dockerd.bash"

cell_clean() {
        local id
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
}

docker_clean() {
        local id
        for id in $(dk ps -aq 2>/dev/null); do
                dk rm -f "$id" >/dev/null 2>&1 || true
        done
}

cleanup() {
        cell_clean
        dockerd_stop
        umount_under "$WORK"
        if [ "$keep" = 1 ]; then
                echo "parity: kept $WORK"
        else
                rm -rf "$WORK"
        fi
        rm -rf "$CELL_RUNROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The test image: static busybox, a passwd and group with a user "app" (1000)
# and a group "extra" (2000, app a member), a file in /data, a file that is
# not executable, an ENV and a WORKDIR.
build_image() {
        local r=$WORK/rootfs a
        mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/home/app" "$r/data" "$r/root"
        chmod 1777 "$r/tmp"
        cp "$BUSYBOX" "$r/bin/busybox"
        for a in sh echo cat ls id sleep true false env pwd hostname touch mkdir rm sed grep wc kill chmod \
                head tail date uname sort cut tr stat mount umask printf test seq; do
                ln -s busybox "$r/bin/$a"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
        printf 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n' >"$r/etc/group"
        echo "image content" >"$r/data/file"
        printf 'not a program\n' >"$r/bin/notexec"
        chmod 0644 "$r/bin/notexec"
        tar --numeric-owner -C "$r" -cf "$WORK/rootfs.tar" . || return 1
        "$CELL" import --change 'CMD ["sh"]' --change 'ENV FROM_IMAGE=yes' --change 'WORKDIR /' \
                "$WORK/rootfs.tar" "$IMG" >/dev/null || return 1
        "$CELL" save -o "$WORK/image.tar" "$IMG" || return 1
        dk load -q -i "$WORK/image.tar" >/dev/null || return 1
        local a b
        # (cell image inspect has no --format: its JSON's first "Id".)
        a=$("$CELL" image inspect "$IMG" 2>/dev/null | grep -m1 '"Id"' | cut -d'"' -f4)
        b=$(dk image inspect --format '{{.Id}}' "$IMG")
        if [ -n "$a" ] && [ "$a" != "$b" ]; then
                echo "parity: the image differs: cell $a, docker $b" >&2
                return 1
        fi
}

mask() {
        local t=$1
        sed -E \
                -e "s#$t#<T>#g" \
                -e 's/[0-9a-f]{64}/<ID>/g' \
                -e 's/(^|[^0-9a-zA-Z])[0-9a-f]{12}($|[^0-9a-zA-Z])/\1<ID>\2/g' \
                -e 's/(^|[^0-9a-zA-Z])[0-9a-f]{12}($|[^0-9a-zA-Z])/\1<ID>\2/g' \
                -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?/<TIME>/g' \
                -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)? [+-][0-9]{4} [A-Z]+/<TIME>/g' \
                -e 's/(About (a|an)|Less than a|[0-9]+|an?) (second|minute|hour|day|week|month|year)s? ago/<AGO>/g' \
                -e 's/Up (About (a|an)|Less than a|[0-9]+|an?) (second|minute|hour|day|week|month|year)s?/Up <DUR>/g' \
                -e 's/[0-9]+(\.[0-9]+)? ?(B|kB|KB|MB|GB)( \(virtual [0-9]+(\.[0-9]+)? ?(B|kB|KB|MB|GB)\))?/<SIZE>/g' \
                -e 's/(^|[^A-Za-z0-9_])[a-z]+_[a-z]+[0-9]*($|[^A-Za-z0-9_])/\1<NAME>\2/g' \
                -e 's/  +/  /g' \
                -e 's/ +$//'
}

# run_side SIDE N LINE: runs LINE with $X of SIDE, leaves exit code and masked
# outputs in $WORK/out/N.SIDE.{rc,out,err}.
run_side() {
        local side=$1 n=$2 line=$3 x t
        if [ "$side" = docker ]; then
                x="docker -H unix://$DOCKER_DIR/sock"
        else
                x=$CELL
        fi
        t=$WORK/t/$n.$side
        mkdir -p "$t" "$WORK/out"
        local base=$WORK/out/$n.$side rc
        (
                cd "$t" || exit 2
                X=$x IMG=$IMG T=$t timeout -k 5 "$TIMEOUT" bash -o pipefail -c "$line" \
                        </dev/null >"$base.rawout" 2>"$base.rawerr"
        )
        rc=$?
        [ "$rc" = 124 ] && echo "(timed out after ${TIMEOUT}s)" >>"$base.rawerr"
        echo "$rc" >"$base.rc"
        mask "$t" <"$base.rawout" >"$base.out"
        mask "$t" <"$base.rawerr" >"$base.err"
        # The cell binary's path in its own messages.
        sed -i "s#$CELL#<X>#g; s#^cell: #<X>: #" "$base.err"
        sed -i "s#^docker: #<X>: #" "$base.err"
}

# The combined view of one side that is compared.
view() {
        local base=$1 with_err=$2
        echo "exit code: $(cat "$base.rc")"
        echo "--- stdout"
        cat "$base.out"
        if [ "$with_err" = 1 ]; then
                echo "--- stderr"
                cat "$base.err"
        fi
}

dockerd_start cell-parity || exit 2
build_image || {
        echo "parity: could not build and load the test image" >&2
        exit 2
}

n=0
same=0
diff=0
failed=
while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        '' | '#'*) continue ;;
        esac
        n=$((n + 1))
        case $ONLY in
        '  ') ;;
        *" $n "*) ;;
        *) continue ;;
        esac
        with_err=0
        cmd=$line
        if [[ $line =~ ^(.*[^ ])\ +#([a-z ]+)$ ]]; then
                cmd=${BASH_REMATCH[1]}
                [[ " ${BASH_REMATCH[2]} " == *" stderr "* ]] && with_err=1
        fi
        run_side docker "$n" "$cmd"
        docker_clean
        run_side cell "$n" "$cmd"
        cell_clean
        view "$WORK/out/$n.docker" "$with_err" >"$WORK/out/$n.docker.view"
        view "$WORK/out/$n.cell" "$with_err" >"$WORK/out/$n.cell.view"
        if cmp -s "$WORK/out/$n.docker.view" "$WORK/out/$n.cell.view"; then
                same=$((same + 1))
                echo "PASS $n: $cmd"
                if [ "$verbose" = 1 ]; then
                        sed 's/^/    /' "$WORK/out/$n.cell.view"
                fi
        else
                diff=$((diff + 1))
                failed="$failed $n"
                echo "FAIL $n: $cmd"
                diff -u --label docker --label cell "$WORK/out/$n.docker.view" "$WORK/out/$n.cell.view" |
                        sed 's/^/    /'
                if [ "$with_err" = 0 ]; then
                        echo "    (stderr, not compared: docker: $(head -c 300 "$WORK/out/$n.docker.err" | tr '\n' ' ')| cell: $(head -c 300 "$WORK/out/$n.cell.err" | tr '\n' ' '))"
                fi
        fi
done <"$CASES"

echo "parity: $((same + diff)) cases, $same same, $diff different${failed:+ (}${failed# }${failed:+)}"
[ "$diff" = 0 ]
