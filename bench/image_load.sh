#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/image_load.sh [-n N] — loading and unpacking a Debian image: cell against
# `docker load` and `podman load`, in one run.
#
# The image: `cell image base debian` (mmdebstrap minbase of bookworm, one layer,
# cached under /var/tmp) saved once with `cell save` as a docker-archive, so all
# three read the same file. Each iteration starts from an empty store and ends with
# the layer unpacked where the tool runs containers from:
#   cell    cell --storage-root FRESH load -i IMAGE.tar && cell … image unpack REF
#           (the blobs into the OCI layout store, the layer into the unpacked cache)
#   docker  docker load -i IMAGE.tar against a private dockerd with a FRESH data
#           root (overlay2; its own exec root and socket under the work directory;
#           no bridge, no iptables), started before and stopped after the timing
#   podman  podman --root FRESH --runroot FRESH load -i IMAGE.tar (overlay driver,
#           a private containers.conf/storage.conf; nothing under /etc is read)
# Nothing is deleted until the end: ext4 allocates inodes slowly for a while after
# a mass delete (recently_deleted), which would charge one tool for the clean-up of
# the one before it.
# The tools take turns (cell, docker, podman, cell, …), N times each (default 3),
# after one unmeasured warm-up each; the page cache holds IMAGE.tar for all of them.
# Wall time with $EPOCHREALTIME. A tool that is missing or fails its warm-up is
# skipped with the reason printed.
#
# Output: a markdown table (tool | median s | ratio vs cell) and the command line,
# for docs/performance.md. Everything it makes is removed on exit; dockerd is
# stopped by its pid.
set -euo pipefail
export LC_ALL=C

prog=${0##*/}
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cell=${CELL:-$project/build/cli/cell}
n=3
while getopts "n:h" opt; do
        case $opt in
        n) n=$OPTARG ;;
        *)
                echo "usage: $prog [-n N]" >&2
                exit 2
                ;;
        esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$prog: -n wants a positive number" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$prog: run it as root" >&2; exit 1; }
[ -x "$cell" ] || { echo "$prog: $cell is missing (build it, or set CELL=)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/cell-bench-load.XXXXXX)
dockerd_pid=
cleanup() {
        docker_stop 2>/dev/null || true
        umount -R "$work"/*/ 2>/dev/null || true
        { grep -o " $work[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ref=localhost/bench-debian:bookworm
echo "$prog: making the Debian image (mmdebstrap, cached) ..." >&2
"$cell" --storage-root "$work/src" image base debian "$ref" >/dev/null
"$cell" --storage-root "$work/src" save -o "$work/image.tar" "$ref"
size=$(du -m "$work/image.tar" | cut -f1)
cat "$work/image.tar" >/dev/null

declare -A skipped
tools=(cell docker podman)

# docker: a private daemon per iteration, so that each load starts from an empty
# data root without a deletion before it.
docker_start() { # I
        mkdir -p "$work/docker-$1"
        dockerd --data-root "$work/docker-$1/data" --exec-root "$work/docker-$1/exec" \
                --pidfile "$work/docker-$1/pid" -H "unix://$work/docker-$1/sock" --bridge=none --iptables=false \
                --ip6tables=false --containerd-namespace "cell-bench-$1" --containerd-plugins-namespace "cell-bench-p-$1" \
                >"$work/docker-$1/log" 2>&1 &
        dockerd_pid=$!
        for _ in $(seq 1 150); do
                docker -H "unix://$work/docker-$1/sock" info >/dev/null 2>&1 && return 0
                sleep 0.2
        done
        return 1
}
docker_stop() {
        [ -n "$dockerd_pid" ] || return 0
        kill "$dockerd_pid" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
        dockerd_pid=
}
driver=
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
        if docker_start probe; then
                driver=$(docker -H "unix://$work/docker-probe/sock" info -f '{{.Driver}}' 2>/dev/null || echo "?")
        else
                skipped[docker]="dockerd did not start: $(tail -n 2 "$work/docker-probe/log" | tr '\n' ' ')"
        fi
        docker_stop
else
        skipped[docker]="docker is not installed (Debian's docker.io: scripts/deps.sh)"
fi
command -v podman >/dev/null || skipped[podman]="podman is not installed (scripts/deps.sh)"
mkdir -p "$work/podman"
cat >"$work/podman/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

run_once() { # TOOL I -> appends seconds to $work/TOOL.s
        local tool=$1 i=$2 t0 t1 rc=0
        case $tool in
        cell)
                t0=$EPOCHREALTIME
                { "$cell" --storage-root "$work/cell-$i" load -q -i "$work/image.tar" &&
                        "$cell" --storage-root "$work/cell-$i" image unpack "$ref" >/dev/null; } \
                        2>"$work/cell.err" || rc=$?
                t1=$EPOCHREALTIME
                ;;
        docker)
                docker_start "$i" || { echo "dockerd did not start" >"$work/docker.err"; return 1; }
                t0=$EPOCHREALTIME
                docker -H "unix://$work/docker-$i/sock" load -q -i "$work/image.tar" >/dev/null 2>"$work/docker.err" ||
                        rc=$?
                t1=$EPOCHREALTIME
                docker_stop
                ;;
        podman)
                printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' \
                        "$work/podman/root-$i" "$work/podman/run-$i" >"$work/podman/storage.conf"
                t0=$EPOCHREALTIME
                CONTAINERS_CONF=$work/podman/containers.conf CONTAINERS_STORAGE_CONF=$work/podman/storage.conf \
                        podman --root "$work/podman/root-$i" --runroot "$work/podman/run-$i" load -q -i "$work/image.tar" \
                        >/dev/null 2>"$work/podman.err" || rc=$?
                t1=$EPOCHREALTIME
                ;;
        esac
        [ "$rc" -eq 0 ] || return "$rc"
        awk -v a="${t0}" -v b="${t1}" 'BEGIN { printf "%.3f\n", b - a }' >>"$work/$tool.s"
}

for tool in "${tools[@]}"; do
        [ -z "${skipped[$tool]:-}" ] || continue
        if ! run_once "$tool" warmup; then
                skipped[$tool]="$tool failed its warm-up: $(tail -n 3 "$work/$tool.err" | tr '\n' ' ')"
                continue
        fi
        : >"$work/$tool.s"
done
echo "$prog: $n loads each of a ${size} MB image ..." >&2
for ((i = 1; i <= n; i++)); do
        for tool in "${tools[@]}"; do
                [ -z "${skipped[$tool]:-}" ] || continue
                run_once "$tool" "$i" || skipped[$tool]="$tool failed at run $i: $(tail -n 3 "$work/$tool.err" | tr '\n' ' ')"
        done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med
for tool in "${tools[@]}"; do
        [ -z "${skipped[$tool]:-}" ] && [ -s "$work/$tool.s" ] && med[$tool]=$(median "$work/$tool.s")
done
echo
echo "| tool | median s | ratio vs cell |"
echo "|---|---:|---:|"
for tool in "${tools[@]}"; do
        [ -n "${med[$tool]:-}" ] || continue
        ratio=n/a
        [ -n "${med[cell]:-}" ] && ratio=$(awk -v a="${med[$tool]}" -v b="${med[cell]}" 'BEGIN { printf "%.2f", a / b }')
        echo "| $tool | ${med[$tool]} | $ratio |"
done
echo
echo "Command: \`bench/image_load.sh -n $n\` — a ${size} MB docker-archive of a one-layer Debian bookworm" \
        "minbase image (from \`cell image base debian\`), loaded and unpacked from an empty store each time;" \
        "docker's storage driver: ${driver:-n/a}; podman: overlay."
for tool in "${tools[@]}"; do
        [ -z "${skipped[$tool]:-}" ] || echo "- $tool: skipped — ${skipped[$tool]}"
done
