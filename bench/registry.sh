#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/registry.sh [-n N] — pushing and pulling a Debian image through a local
# registry: cell against docker and skopeo, in one run.
#
# The image: `cell image base debian` (mmdebstrap minbase of bookworm, one layer,
# cached under /var/tmp), saved once with `cell save` as a docker-archive for the
# tools whose local side is a file. The registry: Debian's docker-registry
# (Distribution) on 127.0.0.1, plain http (tests/system/registry_helpers.bash).
#
# push — each push goes to a registry started for it with empty storage (started
# before and stopped after the timing), so every blob is uploaded:
#   cell    cell --storage-root SRC push REF 127.0.0.1:PORT/bench/debian:bookworm
#           (the store's blobs as they are: cell's store keeps this layer as an
#           uncompressed tar, so nothing is compressed)
#   docker  docker push from a private dockerd that loaded the archive once
#           (--insecure-registry 127.0.0.1:PORT; docker compresses the layer with
#           gzip on the way, as it always does)
#   skopeo  skopeo copy --dest-tls-verify=false docker-archive:IMAGE.tar docker://…
#           (skopeo compresses the layer with gzip too)
# pull — from one registry holding the image twice: as cell pushed it (`raw`: the
# uncompressed OCI layer) and as docker pushed it (`gzip`: what registries mostly
# serve). Each pull starts from an empty store:
#   cell    cell --storage-root FRESH pull REF (stored, verified and unpacked into
#           the layer cache: ready to run)
#   docker  docker pull REF against a private dockerd with a FRESH data root
#           (overlay2; started before and stopped after the timing; unpacked)
#   skopeo  skopeo copy --src-tls-verify=false docker://REF oci:FRESH:bookworm
#           (blobs only, verified; skopeo does not unpack)
# Nothing is deleted until the end (ext4 allocates inodes slowly for a while after
# a mass delete, which would charge one tool for the clean-up of the one before).
# The tools take turns (cell, docker, skopeo, cell, …), N times each (default 3),
# after one unmeasured warm-up each. Wall time with $EPOCHREALTIME. A tool that is
# missing or fails its warm-up is skipped with the reason printed.
#
# Output: markdown tables (tool | median s | ratio vs cell) for push and each pull,
# the command line and the versions, for docs/performance.md. Everything it makes
# is removed on exit; registries and dockerds are stopped by their pids.
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
command -v docker-registry >/dev/null || { echo "$prog: docker-registry is missing (scripts/deps.sh)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/cell-bench-registry.XXXXXX)
REG_DIR=$work/reg
mkdir -p "$REG_DIR"
# shellcheck source=../tests/system/registry_helpers.bash
. "$project/tests/system/registry_helpers.bash"

declare -A dockerd_pids
registry_stop() { # NAME
        local f=$REG_DIR/$1/pid pid
        [ -f "$f" ] || return 0
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        rm -f "$f"
}
cleanup() {
        local k f
        for k in "${!dockerd_pids[@]}"; do docker_stop "$k"; done
        for f in "$REG_DIR"/*/pid; do [ -f "$f" ] && registry_stop "$(basename "$(dirname "$f")")"; done
        { grep -o " ${work}[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
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

# The registry the pulls read from.
PULLREG=127.0.0.1:$(start_registry pull)

# A private dockerd under $work/docker-KEY, trusting every registry of this run
# (a new port per push: the ports are not known in advance, so the whole
# loopback range of ports is not an option; 127.0.0.0/8 as a CIDR is).
docker_start() { # KEY
        local d=$work/docker-$1
        mkdir -p "$d"
        dockerd --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/pid" -H "unix://$d/sock" \
                --bridge=none --iptables=false --ip6tables=false --insecure-registry 127.0.0.0/8 \
                --containerd-namespace "cell-bench-$1" --containerd-plugins-namespace "cell-bench-p-$1" \
                >"$d/log" 2>&1 &
        dockerd_pids[$1]=$!
        for _ in $(seq 1 150); do
                docker -H "unix://$d/sock" info >/dev/null 2>&1 && return 0
                sleep 0.2
        done
        return 1
}
docker_stop() { # KEY
        local pid=${dockerd_pids[$1]:-}
        [ -n "$pid" ] || return 0
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        unset "dockerd_pids[$1]"
}
dkr() { # KEY ARGS...
        local k=$1
        shift
        docker -H "unix://$work/docker-$k/sock" "$@"
}

declare -A skipped version
tools=(cell docker skopeo)
version[cell]=$("$cell" --version | head -n 1 | sed 's/^cell version //')
driver=
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
        if docker_start src && dkr src load -q -i "$work/image.tar" >/dev/null 2>"$work/docker.err"; then
                driver=$(dkr src info -f '{{.Driver}}' 2>/dev/null || echo "?")
                version[docker]="$(dkr src version -f '{{.Server.Version}}' 2>/dev/null) ($driver)"
        else
                skipped[docker]="dockerd did not start or load: $(tail -n 2 "$work/docker-src/log" "$work/docker.err" | tr '\n' ' ')"
        fi
else
        skipped[docker]="docker is not installed (Debian's docker.io: scripts/deps.sh)"
fi
if command -v skopeo >/dev/null; then
        version[skopeo]=$(skopeo --version | sed 's/^skopeo version //')
else
        skipped[skopeo]="skopeo is not installed (scripts/deps.sh)"
fi

# The pull sources: cell's push (raw) and docker's (gzip, when docker is here).
"$cell" --storage-root "$work/src" push -q "$ref" "$PULLREG/raw/debian:bookworm" >/dev/null
sources=(raw)
if [ -z "${skipped[docker]:-}" ]; then
        dkr src tag "$ref" "$PULLREG/gzip/debian:bookworm"
        if dkr src push "$PULLREG/gzip/debian:bookworm" >"$work/docker.err" 2>&1; then
                sources+=(gzip)
        else
                echo "$prog: docker could not push the gzip source: $(tail -n 2 "$work/docker.err")" >&2
        fi
fi

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

push_once() { # TOOL I -> appends seconds to $work/push-TOOL.s
        local tool=$1 i=$2 t0 t1 rc=0 reg dest
        reg=127.0.0.1:$(start_registry "push-$tool-$i") || return 1
        dest=$reg/bench/debian:bookworm
        case $tool in
        cell)
                t0=$EPOCHREALTIME
                "$cell" --storage-root "$work/src" push -q "$ref" "$dest" >/dev/null 2>"$work/cell.err" || rc=$?
                t1=$EPOCHREALTIME
                ;;
        docker)
                dkr src tag "$ref" "$dest"
                t0=$EPOCHREALTIME
                dkr src push "$dest" >/dev/null 2>"$work/docker.err" || rc=$?
                t1=$EPOCHREALTIME
                ;;
        skopeo)
                t0=$EPOCHREALTIME
                skopeo copy -q --dest-tls-verify=false "docker-archive:$work/image.tar" "docker://$dest" \
                        >/dev/null 2>"$work/skopeo.err" || rc=$?
                t1=$EPOCHREALTIME
                ;;
        esac
        registry_stop "push-$tool-$i"
        [ "$rc" -eq 0 ] || return "$rc"
        elapsed "$t0" "$t1" >>"$work/push-$tool.s"
}

pull_once() { # TOOL SOURCE I -> appends seconds to $work/pull-SOURCE-TOOL.s
        local tool=$1 src=$2 i=$3 t0 t1 rc=0 from=$PULLREG/$2/debian:bookworm
        case $tool in
        cell)
                t0=$EPOCHREALTIME
                "$cell" --storage-root "$work/cell-$src-$i" pull -q "$from" >/dev/null 2>"$work/cell.err" || rc=$?
                t1=$EPOCHREALTIME
                ;;
        docker)
                docker_start "$src-$i" || { echo "dockerd did not start" >"$work/docker.err"; return 1; }
                t0=$EPOCHREALTIME
                dkr "$src-$i" pull -q "$from" >/dev/null 2>"$work/docker.err" || rc=$?
                t1=$EPOCHREALTIME
                docker_stop "$src-$i"
                ;;
        skopeo)
                t0=$EPOCHREALTIME
                skopeo copy -q --src-tls-verify=false "docker://$from" "oci:$work/skopeo-$src-$i:bookworm" \
                        >/dev/null 2>"$work/skopeo.err" || rc=$?
                t1=$EPOCHREALTIME
                ;;
        esac
        [ "$rc" -eq 0 ] || return "$rc"
        elapsed "$t0" "$t1" >>"$work/pull-$src-$tool.s"
}

fail() { # TOOL WHAT
        skipped[$1]="$1 failed $2: $(tail -n 3 "$work/$1.err" | tr '\n' ' ')"
}

for tool in "${tools[@]}"; do
        [ -z "${skipped[$tool]:-}" ] || continue
        push_once "$tool" warmup || { fail "$tool" "its push warm-up"; continue; }
        for src in "${sources[@]}"; do
                pull_once "$tool" "$src" warmup || { fail "$tool" "its $src pull warm-up"; continue 2; }
                : >"$work/pull-$src-$tool.s"
        done
        : >"$work/push-$tool.s"
done
echo "$prog: $n pushes and $n pulls of each source, each tool, of a ${size} MB image ..." >&2
for ((i = 1; i <= n; i++)); do
        for tool in "${tools[@]}"; do
                [ -z "${skipped[$tool]:-}" ] || continue
                push_once "$tool" "$i" || { fail "$tool" "push $i"; continue; }
        done
        for src in "${sources[@]}"; do
                for tool in "${tools[@]}"; do
                        [ -z "${skipped[$tool]:-}" ] || continue
                        pull_once "$tool" "$src" "$i" || fail "$tool" "$src pull $i"
                done
        done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
table() { # TITLE FILE-PREFIX
        local tool ratio
        declare -A med=()
        for tool in "${tools[@]}"; do
                [ -z "${skipped[$tool]:-}" ] && [ -s "$work/$2-$tool.s" ] && med[$tool]=$(median "$work/$2-$tool.s")
        done
        echo
        echo "**$1**"
        echo
        echo "| tool | median s | ratio vs cell |"
        echo "|---|---:|---:|"
        for tool in "${tools[@]}"; do
                [ -n "${med[$tool]:-}" ] || continue
                ratio=n/a
                [ -n "${med[cell]:-}" ] && ratio=$(awk -v a="${med[$tool]}" -v b="${med[cell]}" 'BEGIN { printf "%.2f", a / b }')
                echo "| $tool ${version[$tool]:-} | ${med[$tool]} | $ratio |"
        done
}
table "push (cell: the stored uncompressed layer; docker, skopeo: gzip on the way), to an empty registry" push
table "pull of cell's push (one uncompressed OCI layer), into an empty store" pull-raw
[[ " ${sources[*]} " == *" gzip "* ]] &&
        table "pull of docker's push (one gzip layer, docker's schema 2 manifest), into an empty store" pull-gzip
echo
echo "Command: \`bench/registry.sh -n $n\` — a ${size} MB one-layer Debian bookworm minbase image" \
        "(\`cell image base debian\`) through Debian's docker-registry $(docker-registry --version 2>&1 | awk '{print $3}')" \
        "on 127.0.0.1 (plain http); $n runs each, taking turns, after a warm-up; docker's storage driver:" \
        "${driver:-n/a}; skopeo's local side: docker-archive (push) and oci: (pull, not unpacked)."
for tool in "${tools[@]}"; do
        [ -z "${skipped[$tool]:-}" ] || echo "- $tool: skipped — ${skipped[$tool]}"
done
