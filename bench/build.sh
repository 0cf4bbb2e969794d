#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/build.sh [-n N] [--no-nginx] — `cell build` against `docker build` and
# `buildah bud`, in one run, on the same Dockerfiles and base images.
#
# The images: `cell image base busybox` (localhost/busybox:latest) and, for the
# nginx build, `cell image base debian` (localhost/debian:latest, mmdebstrap of
# bookworm, cached under /var/tmp/cell-base-cache), saved with `cell save` and
# loaded into docker and buildah, so every tool starts from the same layers.
#
# The peers:
#   docker   a private dockerd started here (Debian's docker.io 20.10: own
#            --data-root/--exec-root/socket under the work directory,
#            --bridge=none, overlay2), driven by Debian's client /usr/bin/docker
#            with DOCKER_BUILDKIT=1 (BuildKit, docker's default builder) and
#            --network host (there is no bridge); stopped by its pid at the end.
#   buildah  `buildah bud --layers` (its step cache on, as docker's and cell's)
#            with --root/--runroot under the work directory, --network host and
#            --runtime runc (Debian's crun 1.8 refuses hybrid cgroups), and a
#            containers.conf (CONTAINERS_CONF) with ulimits within this
#            sandbox's hard limits.
#   cell     build/cli/cell (or $CELL) with its own storage and run roots. Its
#            RUN steps have the host's network (no bridge yet), like the others
#            here.
#
# The measures (wall time of the client's process, $EPOCHREALTIME):
# 1. cold small build: FROM busybox, COPY a file, RUN a command (3 steps) with
#    --no-cache, N times each (default 10), tools taking turns: median ms.
# 2. fully cached rebuild of the same Dockerfile (after one unmeasured build
#    with the cache): median ms of N.
# 3. nginx: FROM debian, `apt-get update && apt-get install -y nginx-light`
#    (from Debian's mirror), a page, CMD: once each, --no-cache, after one
#    unmeasured build by the first tool (so no tool is the one that fills the
#    mirror's and the network's caches). Skipped with --no-nginx. Mirror
#    speed still moves this figure.
# Output: markdown tables with ratios to cell, the command line and versions.
set -euo pipefail
export LC_ALL=C

prog=${0##*/}
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cell=${CELL:-$project/build/cli/cell}
n=10
nginx=1
orig_args=("$@")
while [ $# -gt 0 ]; do
        case $1 in
        -n) n=$2; shift 2 ;;
        --no-nginx) nginx=0; shift ;;
        *) echo "usage: $prog [-n N] [--no-nginx]" >&2; exit 2 ;;
        esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$prog: -n wants a positive number" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$prog: run it as root" >&2; exit 1; }
[ -x "$cell" ] || { echo "$prog: $cell is missing (build it, or set CELL=)" >&2; exit 1; }
cmdline=$(printf '%q ' "bench/$prog" "${orig_args[@]}")
cmdline=${cmdline% }

work=$(mktemp -d /var/tmp/cell-bench-build.XXXXXX)
chmod 0755 "$work"
dockerd_pid=
tools=(cell docker buildah)
declare -A skipped version
say() { echo "$prog: $*" >&2; }

t() { # TOOL ARGS... — the tool with its private roots
        local tool=$1
        shift
        case $tool in
        cell) "$cell" --storage-root "$work/cell" --runroot "$work/cell-run" "$@" ;;
        docker) DOCKER_BUILDKIT=1 /usr/bin/docker -H "unix://$work/docker/sock" "$@" ;;
        buildah) CONTAINERS_CONF=$work/buildah.conf buildah --root "$work/buildah/root" \
                --runroot "$work/buildah/run" "$@" ;;
        esac
}
build() { # TOOL DIR FILE TAG [--no-cache]
        local tool=$1 dir=$2 file=$3 tag=$4
        shift 4
        case $tool in
        cell) t cell build -q "$@" -f "$dir/$file" -t "$tag" "$dir" ;;
        docker) t docker build -q --network host "$@" -f "$dir/$file" -t "$tag" "$dir" ;;
        buildah) t buildah bud -q --layers --runtime runc --network host "$@" -f "$dir/$file" -t "$tag" "$dir" ;;
        esac
}
cleanup() {
        set +e
        if [ -n "$dockerd_pid" ]; then
                kill "$dockerd_pid" 2>/dev/null
                for _ in $(seq 1 200); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
                wait "$dockerd_pid" 2>/dev/null
        fi
        { grep -o " ${work}[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null || true
        done
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "making the base images ..."
t cell image base busybox >/dev/null
t cell save -o "$work/busybox.tar" localhost/busybox:latest
if [ "$nginx" = 1 ]; then
        t cell image base debian >/dev/null
        t cell save -o "$work/debian.tar" localhost/debian:latest
fi
version[cell]=$("$cell" --version | head -n 1 | sed 's/^cell version //')

if [ -x /usr/bin/docker ] && command -v dockerd >/dev/null; then
        mkdir -p "$work/docker"
        dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" --pidfile "$work/docker/pid" \
                -H "unix://$work/docker/sock" --bridge=none --iptables=false --ip6tables=false \
                --containerd-namespace "cell-bench-build-$$" --containerd-plugins-namespace "cell-bench-build-p-$$" \
                >"$work/docker/log" 2>&1 &
        dockerd_pid=$!
        for _ in $(seq 1 150); do
                t docker info >/dev/null 2>&1 && break
                sleep 0.2
        done
        if ! t docker info >/dev/null 2>&1; then
                skipped[docker]="dockerd did not start"
        else
                for f in "$work"/*.tar; do t docker load -q -i "$f" >/dev/null; done
                version[docker]="$(t docker version -f '{{.Server.Version}}') (BuildKit, $(t docker info -f '{{.Driver}}'))"
        fi
else
        skipped[docker]="docker is not installed (Debian's docker.io: scripts/deps.sh)"
fi
if command -v buildah >/dev/null; then
        mkdir -p "$work/buildah"
        printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$work/buildah.conf"
        for f in "$work"/*.tar; do t buildah pull -q "docker-archive:$f" >/dev/null; done
        version[buildah]="$(buildah --version | sed 's/^buildah version //') (overlay, runc)"
else
        skipped[buildah]="buildah is not installed (scripts/deps.sh)"
fi

# The small build's context.
mkdir -p "$work/small"
echo "a file for COPY" >"$work/small/hello.txt"
cat >"$work/small/Dockerfile" <<'EOF'
FROM localhost/busybox:latest
COPY hello.txt /hello.txt
RUN echo built > /built
EOF
mkdir -p "$work/nginx"
cat >"$work/nginx/Dockerfile" <<'EOF'
FROM localhost/debian:latest
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light && rm -rf /var/lib/apt/lists/*
RUN echo '<h1>bench</h1>' > /var/www/html/index.html
CMD ["nginx", "-g", "daemon off;"]
EOF

active=()
for tool in "${tools[@]}"; do
        [ -n "${skipped[$tool]:-}" ] && continue
        if build "$tool" "$work/small" Dockerfile warm:1 >/dev/null 2>"$work/$tool.err"; then
                active+=("$tool")
        else
                skipped[$tool]="$tool failed its warm-up build: $(tail -n 3 "$work/$tool.err" | tr '\n' ' ')"
        fi
done

us() { echo $((${2/./} - ${1/./})); }
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "n/a"), (b > 0 ? a / b : 0) }'; }

measure() { # NAME EXTRA-ARGS...
        local name=$1 tool i t0
        shift
        for tool in "${active[@]}"; do : >"$work/$tool.$name"; done
        for ((i = 1; i <= n; i++)); do
                for tool in "${active[@]}"; do
                        t0=$EPOCHREALTIME
                        build "$tool" "$work/small" Dockerfile "bench-$name:$i" "$@" >/dev/null 2>"$work/$tool.err" ||
                                { say "$tool failed ($name): $(tail -n 3 "$work/$tool.err")"; exit 1; }
                        us "$t0" "$EPOCHREALTIME" >>"$work/$tool.$name"
                done
        done
}
say "1. cold small build (--no-cache), $n each ..."
measure cold --no-cache
say "2. cached rebuild, $n each ..."
measure cached

declare -A nginx_ms
if [ "$nginx" = 1 ]; then
        say "3. nginx build, once each (after one unmeasured build that warms the mirror's caches) ..."
        build "${active[0]}" "$work/nginx" Dockerfile bench-nginx:warm --no-cache >/dev/null 2>&1 || true
        for tool in "${active[@]}"; do
                t0=$EPOCHREALTIME
                if build "$tool" "$work/nginx" Dockerfile bench-nginx:1 --no-cache >/dev/null 2>"$work/$tool.err"; then
                        nginx_ms[$tool]=$(($(us "$t0" "$EPOCHREALTIME") / 1000))
                else
                        nginx_ms[$tool]="failed: $(tail -n 1 "$work/$tool.err")"
                fi
        done
fi

echo
echo "| tool | cold small build (3 steps), median ms | vs cell | cached rebuild, median ms | vs cell | nginx build, ms | vs cell |"
echo "|---|---|---|---|---|---|---|"
cc=$(median "$work/cell.cold")
ck=$(median "$work/cell.cached")
for tool in "${active[@]}"; do
        c=$(median "$work/$tool.cold")
        k=$(median "$work/$tool.cached")
        ng=${nginx_ms[$tool]:-n/a}
        nr=n/a
        [[ $ng =~ ^[0-9]+$ ]] && [[ ${nginx_ms[cell]:-} =~ ^[0-9]+$ ]] && nr=$(ratio "$ng" "${nginx_ms[cell]}")
        echo "| $tool | $c | $(ratio "$c" "$cc") | $k | $(ratio "$k" "$ck") | $ng | $nr |"
done
echo
for tool in "${tools[@]}"; do
        [ -n "${skipped[$tool]:-}" ] && echo "- $tool skipped: ${skipped[$tool]}"
done
echo "- command: \`$cmdline\` (n=$n)"
for tool in "${active[@]}"; do echo "- $tool: ${version[$tool]}"; done
echo "- machine: $(nproc) cores, $(uname -r)"
