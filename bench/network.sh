#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/network.sh [-n N] [-t SECONDS] — cell's bridge network and published
# ports against docker's, in one run (the networks issue's acceptance 3 and the
# timing of its acceptance 2).
#
# The images, made with cell and kept in a cache (CELL_BENCH_CACHE, default
# /var/tmp/cell-bench-network-cache: a cell storage root and the `cell save`
# tarballs, keyed by image id), so a re-run builds nothing:
#   localhost/busybox:latest          `cell image base busybox`
#   localhost/bench-iperf3:latest     FROM localhost/debian:latest (`cell image
#                                     base debian`) + Debian's iperf3, ENTRYPOINT
#                                     iperf3, built with `cell build`
#   localhost/bench-postgres:latest   tests/system/postgres (postgresql-15; its
#                                     entrypoint initdb's a cluster on the first
#                                     start), built with `cell build`
# docker gets the same images with `cell save IMAGE | docker load`. Delete the
# cache directory to rebuild them.
#
# The peers:
#   docker  a private dockerd started here (Debian's docker.io): its own
#           --data-root, --exec-root, pidfile and unix socket under the work
#           directory and its own containerd namespace, with docker's normal
#           networking: the bridge driver's default network, iptables NAT
#           (DNAT for published ports, MASQUERADE) and the userland proxy
#           (docker-proxy) on, as users have them. The one change from a stock
#           dockerd: its bridge is a device made here (-b cbnet-docker0, with
#           a free 172.31.x.0/24), so a dockerd of someone else on this machine
#           (docker0) is not touched. Stopped by its pid at the end; its
#           iptables rules, its chains (when they were not there before) and
#           the bridge are removed then. Its start is not timed.
#   cell    build/cli/cell (or $CELL): the cached storage root and a run root
#           under the work directory; the default network is cell's bridge
#           (cell0 on 10.87.0.0/16, the host's, shared by every root; CNI bridge
#           + host-local, portmap for published ports, no userland proxy). It
#           is left up at the end, as docker0 is.
#
# The measures (wall time with bash's $EPOCHREALTIME around the client's process):
# a. `run --rm busybox true` on the default (bridge) network and with
#    `--network none`, N times each (default 10), the four kinds taking turns
#    (cell bridge, cell none, docker bridge, docker none) after one unmeasured
#    warm-up each: medians, and bridge − none, the cost of the network's setup and
#    teardown. Goal: cell's bridge adds < 10 ms.
# b. Throughput through a published port from the host via 127.0.0.1: an iperf3
#    server in a container (`run -d -p HOSTPORT:5201 bench-iperf3 -s`, cell and
#    docker each with its own host port, both running), Debian's iperf3 client on
#    the host (`iperf3 -c 127.0.0.1 -p HOSTPORT -t SECONDS -O 1 -J`, one TCP
#    stream), N runs each way (host → container; container → host with -R),
#    tools taking turns: median MB/s (10^6 bytes/s, the receiver's count) and the
#    ratio cell/docker. Goal: cell ≥ docker.
# c. PostgreSQL: from the start of `run -d -p 55432:5432 -e POSTGRES_PASSWORD=…
#    bench-postgres` to the first answer of the host's
#    `psql -h 127.0.0.1 -p 55432 -U postgres -tAc 'select 41+1'` (42), polled every
#    20 ms; N times each, tools taking turns, each container removed (rm -f)
#    before the next. The time includes the entrypoint's initdb (same image, same
#    work for both). Median, min, and `run -d`'s own time.
#
# Output: markdown tables, then the command line and the versions. A tool that is
# missing or fails its warm-up is skipped with the reason printed. Everything it
# makes is removed on exit: containers, the dockerd (by its pid) and its bridge
# and iptables rules, the mounts under the work directory and the work
# directory; the cache stays.
set -euo pipefail
export LC_ALL=C # $EPOCHREALTIME must use a '.' decimal point

prog=${0##*/}
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cell=${CELL:-$project/build/cli/cell}
n=10
secs=3
orig_args=("$@")
while getopts "n:t:h" opt; do
        case $opt in
        n) n=$OPTARG ;;
        t) secs=$OPTARG ;;
        *)
                echo "usage: $prog [-n N] [-t SECONDS]   (N runs per measure, default 10;" \
                        "SECONDS of each iperf3 run, default 3)" >&2
                exit 2
                ;;
        esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$prog: -n wants a positive number" >&2; exit 2; }
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "$prog: -t wants a positive number of seconds" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$prog: run it as root" >&2; exit 1; }
[ "${BASH_VERSINFO[0]}" -ge 5 ] || { echo "$prog: needs bash 5 (\$EPOCHREALTIME)" >&2; exit 1; }
[ -x "$cell" ] || { echo "$prog: $cell is missing (build it, or set CELL=)" >&2; exit 1; }
for c in iperf3 psql jq; do
        command -v "$c" >/dev/null || { echo "$prog: $c is missing (scripts/deps.sh)" >&2; exit 1; }
done
cmdline=$(printf '%q ' "bench/$prog" "${orig_args[@]}")
cmdline=${cmdline% }

cache=${CELL_BENCH_CACHE:-/var/tmp/cell-bench-network-cache}
mkdir -p "$cache"
exec 9>"$cache/lock"
flock -n 9 || { echo "$prog: another $prog uses $cache" >&2; exit 1; }
work=$(mktemp -d /var/tmp/cell-bench-network.XXXXXX)
chmod 0755 "$work"

busybox=localhost/busybox:latest
iperf_img=localhost/bench-iperf3:latest
pg_img=localhost/bench-postgres:latest
pg_port=55432
pg_password='cell-bench'
declare -A iperf_port=([cell]=55201 [docker]=55202)
tools=(cell docker)
declare -A skipped version
notes=()
dockerd_pid=
dbr=cbnet-docker0
dbr_made=
dnet=
docker_chains_before=
fwd_policy=
nf_call=
docker_bin=$(command -v /usr/bin/docker docker | head -n 1 || true)

say() { echo "$prog: $*" >&2; }

t() { # TOOL ARGS... — the tool's client with its private roots
        local tool=$1
        shift
        case $tool in
        cell) "$cell" --storage-root "$cache/cell" --runroot "$work/cell-run" "$@" ;;
        docker) "$docker_bin" -H "unix://$work/docker/sock" "$@" ;;
        esac
}

remove_all() { # TOOL — every container the tool has in our roots
        local ids
        ids=$(t "$1" ps -aq --no-trunc 2>/dev/null) || return 0
        [ -z "$ids" ] || t "$1" rm -f $ids >/dev/null 2>&1 || true
}
docker_stop() {
        [ -n "$dockerd_pid" ] || return 0
        kill "$dockerd_pid" 2>/dev/null || true
        for _ in $(seq 1 200); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
        wait "$dockerd_pid" 2>/dev/null || true
        dockerd_pid=
}
ipt_delete() { # TABLE ERE — delete the table's rules that match ERE
        local rule
        iptables -t "$1" -S 2>/dev/null | grep '^-A ' | grep -E -- "$2" | while read -r rule; do
                eval "iptables -t $1 -D ${rule#-A }" 2>/dev/null || true
        done
}
docker_net_cleanup() {
        [ -n "$dbr_made" ] || return 0
        local table chain
        for table in filter nat; do
                ipt_delete "$table" "(^| )(-i|-o) $dbr( |\$)|${dnet//./\\.}"
        done
        if [ -z "$docker_chains_before" ]; then
                for table in filter nat; do
                        ipt_delete "$table" " -j DOCKER(-USER|-ISOLATION-STAGE-[12])?( |\$)"
                        for chain in DOCKER DOCKER-USER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2; do
                                iptables -t "$table" -F "$chain" 2>/dev/null || true
                                iptables -t "$table" -X "$chain" 2>/dev/null || true
                        done
                done
        fi
        [ -z "$fwd_policy" ] || iptables -P FORWARD "$fwd_policy" 2>/dev/null || true
        [ -z "$nf_call" ] || echo "$nf_call" >/proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || true
        ip link del "$dbr" 2>/dev/null || true
        dbr_made=
}
cleanup() {
        set +e
        remove_all cell
        [ -z "$dockerd_pid" ] || remove_all docker
        docker_stop
        docker_net_cleanup
        { grep -o " ${work}[^ ]*\| ${cache}/cell[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null || true
        done
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }
for p in "$pg_port" "${iperf_port[@]}"; do
        port_free "$p" || { say "host port $p is in use; this bench publishes on it"; exit 1; }
done

# ---- the images (cached) ---------------------------------------------------------------

say "making the images (cached in $cache) ..."
t cell image base busybox >/dev/null
t cell image base debian >/dev/null
mkdir -p "$work/iperf3"
cat >"$work/iperf3/Dockerfile" <<'EOF'
FROM localhost/debian:latest
RUN apt-get update && apt-get install -y --no-install-recommends iperf3 && rm -rf /var/lib/apt/lists/*
EXPOSE 5201
ENTRYPOINT ["iperf3"]
EOF
# A cached build is a no-op; a new Dockerfile or base is built once.
build_img() { # IMAGE DIR — its warnings shown only when it fails
        if ! t cell build -q -t "$1" "$2" >/dev/null 2>"$work/build.err"; then
                cat "$work/build.err" >&2
                say "cell build of $1 failed"
                exit 1
        fi
}
build_img "$iperf_img" "$work/iperf3"
build_img "$pg_img" "$project/tests/system/postgres"
version[cell]=$("$cell" --version | head -n 1 | sed 's/^cell version //')

tarball() { # IMAGE -> path of its `cell save` tarball in the cache, made once per image id
        local id f
        id=$(t cell inspect -f '{{.Id}}' "$1")
        id=${id#sha256:}
        f=$cache/${1//[\/:]/_}-${id:0:12}.tar
        if [ ! -s "$f" ]; then
                rm -f "$cache/${1//[\/:]/_}"-*.tar
                t cell save -o "$f.tmp" "$1"
                mv -f "$f.tmp" "$f"
        fi
        echo "$f"
}

# ---- docker, with its bridge -------------------------------------------------------------

free_subnet() { # -> a 172.31.X.0/24 that no route of this host covers
        local x
        for x in 251 252 253 249 247 243; do
                if ! ip -4 route show | grep -q "^172\.31\.$x\.\|^172\.16\.0\.0/12"; then
                        echo "172.31.$x"
                        return 0
                fi
        done
        return 1
}
if [ -n "$docker_bin" ] && command -v dockerd >/dev/null; then
        mkdir -p "$work/docker"
        if ip link show "$dbr" >/dev/null 2>&1; then
                skipped[docker]="the bridge $dbr exists already (another $prog?)"
        elif ! dnet=$(free_subnet); then
                skipped[docker]="no free 172.31.x.0/24 for docker's bridge"
        else
                iptables -S DOCKER >/dev/null 2>&1 && docker_chains_before=1
                fwd_policy=$(iptables -S FORWARD | sed -n 's/^-P FORWARD //p')
                nf_call=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || true)
                ip link add "$dbr" type bridge
                dbr_made=1
                ip addr add "$dnet.1/24" dev "$dbr"
                ip link set "$dbr" up
                dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" --pidfile "$work/docker/pid" \
                        -H "unix://$work/docker/sock" --bridge="$dbr" \
                        --containerd-namespace "cell-bench-network-$$" \
                        --containerd-plugins-namespace "cell-bench-network-p-$$" \
                        >"$work/docker/log" 2>&1 &
                dockerd_pid=$!
                for _ in $(seq 1 150); do
                        t docker info >/dev/null 2>&1 && break
                        kill -0 "$dockerd_pid" 2>/dev/null || break
                        sleep 0.2
                done
                if ! t docker info >/dev/null 2>&1; then
                        skipped[docker]="dockerd did not start: $(tail -n 2 "$work/docker/log" | tr '\n' ' ')"
                        docker_stop
                else
                        say "loading the images into docker ..."
                        for img in "$busybox" "$iperf_img" "$pg_img"; do
                                if ! t docker load -q -i "$(tarball "$img")" >/dev/null 2>"$work/docker.err"; then
                                        skipped[docker]="docker load $img failed: $(tail -n 2 "$work/docker.err" | tr '\n' ' ')"
                                        break
                                fi
                        done
                        version[docker]="$(t docker version -f '{{.Server.Version}}' 2>/dev/null)"
                        version[docker]+=" ($(t docker info -f '{{.Driver}}, {{.DefaultRuntime}}' 2>/dev/null), bridge $dbr $dnet.0/24, iptables, userland-proxy)"
                fi
        fi
else
        skipped[docker]="docker is not installed (Debian's docker.io: scripts/deps.sh)"
fi

us() { echo $((${2/./} - ${1/./})); } # T0 T1 -> microseconds
# median and p90 (nearest rank) in ms, from a file of microseconds.
stats() { # FILE -> "median p90 min"
        sort -n "$1" | awk '{ v[NR] = $1 }
                END {
                        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                        r = int(0.9 * NR); if (r < 0.9 * NR) r++
                        printf "%.2f %.2f %.2f\n", m / 1000, v[r] / 1000, v[1] / 1000
                }'
}
fmedian() { # FILE of numbers -> median, 1 decimal
        sort -g "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m }'
}
ratio() { # A B -> A/B
        if [ -n "${2:-}" ] && [ -n "${1:-}" ]; then
                awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "n/a"), (b > 0 ? a / b : 0) }'
        else
                echo n/a
        fi
}
fail() { # TOOL WHAT
        skipped[$1]="$1 failed ($2): $(tail -n 3 "$work/$1.err" 2>/dev/null | tr '\n' ' ')"
        say "${skipped[$1]}"
}
ok() { [ -z "${skipped[$1]:-}" ]; }

# Warm-up: one unmeasured run of each kind, which also tells whether the tool works.
# A tool whose default network fails is still measured with --network none (a.)
# and the failure is reported; b. and c. need the bridge and skip it.
declare -A bridge_ok
for tool in "${tools[@]}"; do
        ok "$tool" || continue
        if ! t "$tool" run --rm --network none "$busybox" true >/dev/null 2>"$work/$tool.err"; then
                fail "$tool" "warm-up run --network none"
        elif t "$tool" run --rm "$busybox" true >/dev/null 2>"$work/$tool.err"; then
                bridge_ok[$tool]=1
        else
                notes+=("$tool: \`run --rm $busybox true\` on its default network failed, so only --network none was measured: $(tail -n 3 "$work/$tool.err" | tr '\n' ' ')")
                say "${notes[-1]}"
        fi
done
active=()
for tool in "${tools[@]}"; do
        ! ok "$tool" || active+=("$tool")
done
[ ${#active[@]} -gt 0 ] || { say "no tool could run a container: ${skipped[*]}"; exit 1; }

# ---- a. run --rm busybox true, bridge and none ------------------------------------------

say "a. run --rm busybox true, bridge and --network none: $n each, interleaved (${active[*]}) ..."
for tool in "${active[@]}"; do : >"$work/$tool.bridge" && : >"$work/$tool.none"; done
for ((i = 1; i <= n; i++)); do
        for tool in "${active[@]}"; do
                for kind in bridge none; do
                        ok "$tool" || continue
                        [ "$kind" = none ] || [ -n "${bridge_ok[$tool]:-}" ] || continue
                        net=()
                        [ "$kind" = bridge ] || net=(--network none)
                        t0=$EPOCHREALTIME
                        if ! t "$tool" run --rm "${net[@]}" "$busybox" true >/dev/null 2>"$work/$tool.err"; then
                                fail "$tool" "run --rm ($kind), iteration $i"
                                continue
                        fi
                        us "$t0" "$EPOCHREALTIME" >>"$work/$tool.$kind"
                done
        done
done

# ---- b. iperf3 through a published port ---------------------------------------------------

iperf_mbs() { # JSON file -> MB/s received
        jq -r '.end.sum_received.bits_per_second / 8 / 1e6' "$1"
}
say "b. iperf3 through 127.0.0.1:PORT -> container, ${secs} s a run, $n each way, interleaved ..."
declare -A iperf_ready
for tool in "${active[@]}"; do
        ok "$tool" && [ -n "${bridge_ok[$tool]:-}" ] || continue
        p=${iperf_port[$tool]}
        if ! t "$tool" run -d --name bench-iperf3 -p "$p:5201" "$iperf_img" -s >/dev/null 2>"$work/$tool.err"; then
                fail "$tool" "run -d -p $p:5201 iperf3 -s"
                continue
        fi
        # Ready when a tiny transfer goes through (docker-proxy accepts before the server listens).
        for _ in $(seq 1 300); do
                if iperf3 -c 127.0.0.1 -p "$p" -n 1K >/dev/null 2>&1; then
                        iperf_ready[$tool]=1
                        break
                fi
                sleep 0.1
        done
        if [ -z "${iperf_ready[$tool]:-}" ]; then
                iperf3 -c 127.0.0.1 -p "$p" -n 1K >"$work/$tool.err" 2>&1 || true
                t "$tool" logs bench-iperf3 >>"$work/$tool.err" 2>&1 || true
                fail "$tool" "iperf3 through 127.0.0.1:$p did not answer in 30 s"
        fi
done
for tool in "${active[@]}"; do : >"$work/$tool.up" && : >"$work/$tool.down"; done
for ((i = 1; i <= n; i++)); do
        for tool in "${active[@]}"; do
                for dir in up down; do
                        ok "$tool" && [ -n "${iperf_ready[$tool]:-}" ] || continue
                        rev=()
                        [ "$dir" = up ] || rev=(-R)
                        if ! iperf3 -c 127.0.0.1 -p "${iperf_port[$tool]}" -t "$secs" -O 1 -J "${rev[@]}" \
                                >"$work/$tool.json" 2>"$work/$tool.err"; then
                                jq -r '.error // empty' "$work/$tool.json" >>"$work/$tool.err" 2>/dev/null || true
                                fail "$tool" "iperf3 $dir, iteration $i"
                                continue
                        fi
                        iperf_mbs "$work/$tool.json" >>"$work/$tool.$dir"
                done
        done
done
for tool in "${active[@]}"; do
        t "$tool" rm -f bench-iperf3 >/dev/null 2>&1 || true
done

# ---- c. PostgreSQL: run -d -p to the first answered query ----------------------------------

say "c. PostgreSQL: run -d -p $pg_port:5432 to the first answer of psql, $n each, interleaved ..."
export PGPASSWORD=$pg_password PGCONNECT_TIMEOUT=2
for tool in "${active[@]}"; do : >"$work/$tool.pgrun" && : >"$work/$tool.pg"; done
for ((i = 1; i <= n; i++)); do
        for tool in "${active[@]}"; do
                ok "$tool" && [ -n "${bridge_ok[$tool]:-}" ] || continue
                answered=
                t0=$EPOCHREALTIME
                if ! id=$(t "$tool" run -d -p "$pg_port:5432" -e "POSTGRES_PASSWORD=$pg_password" "$pg_img" 2>"$work/$tool.err"); then
                        fail "$tool" "run -d -p $pg_port:5432 postgres, iteration $i"
                        continue
                fi
                t1=$EPOCHREALTIME
                deadline=$((${t0%.*} + 60))
                while [ "${EPOCHREALTIME%.*}" -lt "$deadline" ]; do
                        if out=$(psql -X -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc 'select 41+1' 2>"$work/psql.err") &&
                                [ "$out" = 42 ]; then
                                answered=$EPOCHREALTIME
                                break
                        fi
                        sleep 0.02
                done
                if [ -z "$answered" ]; then
                        { cat "$work/psql.err"; t "$tool" logs "$id"; } >"$work/$tool.err" 2>&1 || true
                        fail "$tool" "psql had no answer in 60 s, iteration $i"
                else
                        us "$t0" "$t1" >>"$work/$tool.pgrun"
                        us "$t0" "$answered" >>"$work/$tool.pg"
                fi
                t "$tool" rm -f "$id" >/dev/null 2>&1 || true
                # The next run publishes the same host port: wait until it is let go.
                for _ in $(seq 1 100); do port_free "$pg_port" && break; sleep 0.05; done
        done
done

# ---- report -------------------------------------------------------------------------------

label() { echo "$1 ${version[$1]:-}"; }
declare -A mb mn pb pn diff
echo
echo "**a. \`run --rm busybox true\`: default bridge network vs \`--network none\`**, $n each, interleaved"
echo
echo "| tool | bridge median ms | bridge p90 ms | none median ms | none p90 ms | bridge − none ms | bridge ratio vs cell |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for tool in "${active[@]}"; do
        [ -s "$work/$tool.none" ] || continue
        read -r "mn[$tool]" "pn[$tool]" _ < <(stats "$work/$tool.none")
        [ -s "$work/$tool.bridge" ] || continue
        read -r "mb[$tool]" "pb[$tool]" _ < <(stats "$work/$tool.bridge")
        diff[$tool]=$(awk -v a="${mb[$tool]}" -v b="${mn[$tool]}" 'BEGIN { printf "%.2f", a - b }')
done
for tool in "${active[@]}"; do
        [ -n "${mn[$tool]:-}" ] || continue
        echo "| $(label "$tool") | ${mb[$tool]:-failed} | ${pb[$tool]:-—} | ${mn[$tool]} | ${pn[$tool]} | ${diff[$tool]:-—} |" \
                "$(ratio "${mb[$tool]:-}" "${mb[cell]:-}") |"
done
if [ -n "${diff[cell]:-}" ]; then
        echo
        if awk -v d="${diff[cell]}" 'BEGIN { exit !(d < 10) }'; then
                echo "cell's bridge adds ${diff[cell]} ms to \`run --rm\` (goal < 10 ms): met."
        else
                echo "cell's bridge adds ${diff[cell]} ms to \`run --rm\` (goal < 10 ms): NOT met."
        fi
fi

declare -A up down
echo
echo "**b. Throughput through a published port, host ↔ container via 127.0.0.1** (iperf3, one TCP stream," \
        "${secs} s after 1 s omitted, $n runs each way, interleaved; median MB/s received)"
echo
echo "| tool | host → container MB/s | container → host MB/s | ratio vs docker (→ / ←) |"
echo "|---|---:|---:|---:|"
for tool in "${active[@]}"; do
        [ -s "$work/$tool.up" ] && [ -s "$work/$tool.down" ] || continue
        up[$tool]=$(fmedian "$work/$tool.up")
        down[$tool]=$(fmedian "$work/$tool.down")
done
for tool in "${active[@]}"; do
        [ -n "${up[$tool]:-}" ] || continue
        echo "| $(label "$tool") | ${up[$tool]} | ${down[$tool]} |" \
                "$(ratio "${up[$tool]}" "${up[docker]:-}") / $(ratio "${down[$tool]}" "${down[docker]:-}") |"
done
if [ -n "${up[cell]:-}" ] && [ -n "${up[docker]:-}" ]; then
        echo
        if awk -v a="${up[cell]}" -v b="${up[docker]}" -v c="${down[cell]}" -v d="${down[docker]}" \
                'BEGIN { exit !(a >= b && c >= d) }'; then
                echo "cell's published port carries at least docker's throughput both ways (goal cell ≥ docker): met."
        else
                echo "cell's published port carries less than docker's throughput in at least one direction (goal cell ≥ docker): NOT met."
        fi
fi

declare -A pm pmin pr pp9
echo
echo "**c. PostgreSQL: \`run -d -p $pg_port:5432 bench-postgres\` to the first answer of the host's psql**" \
        "(polled every 20 ms; includes initdb), $n each, interleaved"
echo
echo "| tool | run -d median ms | to first answer median ms | min ms | p90 ms | ratio vs cell |"
echo "|---|---:|---:|---:|---:|---:|"
for tool in "${active[@]}"; do
        [ -s "$work/$tool.pg" ] || continue
        read -r "pm[$tool]" p9 "pmin[$tool]" < <(stats "$work/$tool.pg")
        read -r "pr[$tool]" _ _ < <(stats "$work/$tool.pgrun")
        pp9[$tool]=$p9
done
for tool in "${active[@]}"; do
        [ -n "${pm[$tool]:-}" ] || continue
        echo "| $(label "$tool") | ${pr[$tool]} | ${pm[$tool]} | ${pmin[$tool]} | ${pp9[$tool]} | $(ratio "${pm[$tool]}" "${pm[cell]:-}") |"
done

echo
echo "Command: \`$cmdline\` (as root) — images built with \`cell build\` FROM \`cell image base debian\`" \
        "(and \`cell image base busybox\`), given to docker with \`cell save | docker load\`; client tools on the host:" \
        "iperf3 $(iperf3 --version 2>/dev/null | sed -n '1s/^iperf \([^ ]*\).*/\1/p'), psql $(psql --version | awk '{ print $3 }')."
echo
echo "Machine: $(uname -sr), $(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)."
for tool in "${tools[@]}"; do
        if ok "$tool"; then
                echo "- $tool: ${version[$tool]:-}"
        else
                echo "- $tool: skipped — ${skipped[$tool]}"
        fi
done
for note in "${notes[@]}"; do
        echo "- Note: $note"
done
