#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/engine.sh [-n N] [-c COUNT] — the engine's container commands: cell against
# docker and podman, in one run, on the same busybox image.
#
# The image: `cell image base busybox` (localhost/busybox:latest, busybox-static),
# saved with `cell save` and loaded into docker (`docker load`) and podman
# (`podman load`), so all three run the same layer. Every container gets
# `--network none`: the bare cost of a container; the bridge network's is
# bench/network.sh's (every tool gets the same bare network namespace here).
#
# The peers:
#   docker  a private dockerd started by this script (Debian's docker.io: its own
#           --data-root, --exec-root, pidfile and unix socket under the work
#           directory, --bridge=none --iptables=false --ip6tables=false, its own
#           containerd namespace; overlay2; runc), stopped by its pid at the end.
#           Its start is not timed.
#   podman  podman --root/--runroot/--tmpdir under the work directory, with a
#           containers.conf written here (CONTAINERS_CONF): default_ulimits within
#           this sandbox's hard limits, cgroupfs, events in a file. Debian's crun
#           1.8 refuses hybrid cgroups ("cgroups in hybrid mode not supported"),
#           which is what this machine has; when its warm-up fails so, podman is
#           run with --runtime runc (the runtime docker uses too) and the report
#           says so. podman's `rm -f` is given `-t 0`: without it podman 4.3 sends
#           the stop signal and waits 10 s (sleep as pid 1 ignores SIGTERM), while
#           docker and cell kill at once.
#   cell    build/cli/cell (or $CELL) with --storage-root and --runroot under the
#           work directory; daemonless: a detached container has a monitor process.
#
# The measures (wall time with bash's $EPOCHREALTIME around the client's process):
# 1. `run --rm IMAGE true`, N times each (default 20), the tools taking turns
#    (cell, docker, podman, cell, ...) after one unmeasured warm-up each: median and
#    p90 (nearest rank) in ms, ratio of medians vs cell.
# 2. `run -d IMAGE sleep 1000` then `rm -f ID`, N times each, taking turns: median
#    ms of each step and of the pair (per-iteration sums).
# 3. Density: COUNT (default 200) idle containers (`run -d IMAGE sleep 100000`,
#    one after the other) with each tool in turn, never two tools' at once. Wall
#    time to start them all; host memory per container = the growth of used memory
#    (MemTotal - MemAvailable from /proc/meminfo, after 3 s of settling before and
#    after; no cache drop) / COUNT; and the sum of PSS (/proc/PID/smaps_rollup) of
#    each container's process (`inspect -f {{.State.Pid}}`) and of its parent,
#    which is the tool's per-container process (cell: the monitor; docker:
#    containerd-shim-runc-v2; podman: conmon) / COUNT. For docker, the growth of the
#    PSS of dockerd + containerd is shown apart (it is in the used-memory figure,
#    not in the per-container PSS). Then one `rm -f ID...` with all of them: its
#    wall time.
# 4. 50 containers at once: `run --rm IMAGE sh -c 'exit K'`, K = 0..49, started
#    in the background together; every one must exit with its K. A correctness
#    check for cell (the goal), done for the peers too; the wall time is reported.
#
# Caveats: the used-memory growth is host-wide, so anything else running on the
# machine moves it (and includes kernel memory: namespaces, cgroups, overlay
# mounts, page cache of the container logs); the PSS sum is what the tool's own
# processes hold. A 2-core VM: COUNT can be lowered with -c when the peers take
# too long; the report prints the count used.
#
# Output: one markdown table per measure, then the command line and the versions,
# for docs/performance.md. A tool that is missing or fails its warm-up is skipped
# with the reason printed. Everything it makes is removed on exit: the containers
# of the three tools, the dockerd (by its pid), the mounts under the work
# directory and the work directory.
set -euo pipefail
export LC_ALL=C # $EPOCHREALTIME must use a '.' decimal point

prog=${0##*/}
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cell=${CELL:-$project/build/cli/cell}
n=20
count=200
par=50
orig_args=("$@")
while getopts "n:c:h" opt; do
        case $opt in
        n) n=$OPTARG ;;
        c) count=$OPTARG ;;
        *)
                echo "usage: $prog [-n N] [-c COUNT]   (N runs per measure, default 20;" \
                        "COUNT idle containers for the density measure, default 200)" >&2
                exit 2
                ;;
        esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$prog: -n wants a positive number" >&2; exit 2; }
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "$prog: -c wants a positive number" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$prog: run it as root" >&2; exit 1; }
[ "${BASH_VERSINFO[0]}" -ge 5 ] || { echo "$prog: needs bash 5 (\$EPOCHREALTIME)" >&2; exit 1; }
[ -x "$cell" ] || { echo "$prog: $cell is missing (build it, or set CELL=)" >&2; exit 1; }
cmdline=$(printf '%q ' "bench/$prog" "${orig_args[@]}")
cmdline=${cmdline% }

work=$(mktemp -d /var/tmp/cell-bench-engine.XXXXXX)
chmod 0755 "$work"
image=localhost/busybox:latest
dockerd_pid=
tools=(cell docker podman)
declare -A skipped version
notes=()
podman_rt=()

say() { echo "$prog: $*" >&2; }

t() { # TOOL ARGS... — the tool's client with its private roots
        local tool=$1
        shift
        case $tool in
        cell) "$cell" --storage-root "$work/cell" --runroot "$work/cell-run" "$@" ;;
        docker) docker -H "unix://$work/docker/sock" "$@" ;;
        podman)
                CONTAINERS_CONF=$work/podman/containers.conf podman --root "$work/podman/root" \
                        --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" --storage-driver overlay \
                        "${podman_rt[@]}" "$@"
                ;;
        esac
}
rmf() { # TOOL ID... — docker's rm -f (podman: no grace period, see the header)
        local tool=$1
        shift
        if [ "$tool" = podman ]; then
                t podman rm -f -t 0 "$@"
        else
                t "$tool" rm -f "$@"
        fi
}

docker_stop() {
        [ -n "$dockerd_pid" ] || return 0
        kill "$dockerd_pid" 2>/dev/null || true
        for _ in $(seq 1 200); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
        wait "$dockerd_pid" 2>/dev/null || true
        dockerd_pid=
}
remove_all() { # TOOL — every container the tool has in our roots
        local ids
        ids=$(t "$1" ps -aq --no-trunc 2>/dev/null) || return 0
        [ -z "$ids" ] || rmf "$1" $ids >/dev/null 2>&1 || true
}
cleanup() {
        set +e
        remove_all cell
        [ -z "$dockerd_pid" ] || remove_all docker
        command -v podman >/dev/null && [ -d "$work/podman" ] && remove_all podman
        docker_stop
        { grep -o " ${work}[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null || true
        done
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image and the peers ----------------------------------------------------------

say "making the busybox image ..."
t cell image base busybox >/dev/null
version[cell]=$("$cell" --version | head -n 1 | sed 's/^cell version //')
t cell save -o "$work/image.tar" "$image"

if command -v dockerd >/dev/null && command -v docker >/dev/null; then
        mkdir -p "$work/docker"
        dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" --pidfile "$work/docker/pid" \
                -H "unix://$work/docker/sock" --bridge=none --iptables=false --ip6tables=false \
                --containerd-namespace "cell-bench-engine-$$" --containerd-plugins-namespace "cell-bench-engine-p-$$" \
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
        elif ! t docker load -q -i "$work/image.tar" >/dev/null 2>"$work/docker.err"; then
                skipped[docker]="docker load failed: $(tail -n 2 "$work/docker.err" | tr '\n' ' ')"
        else
                version[docker]="$(t docker version -f '{{.Server.Version}}' 2>/dev/null)"
                version[docker]+=" ($(t docker info -f '{{.Driver}}, {{.DefaultRuntime}}' 2>/dev/null))"
        fi
else
        skipped[docker]="docker is not installed (Debian's docker.io: scripts/deps.sh)"
fi

if command -v podman >/dev/null; then
        mkdir -p "$work/podman/tmp"
        cat >"$work/podman/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
        if ! t podman load -q -i "$work/image.tar" >/dev/null 2>"$work/podman.err"; then
                skipped[podman]="podman load failed: $(tail -n 2 "$work/podman.err" | tr '\n' ' ')"
        fi
        version[podman]=$(podman --version | sed 's/^podman version //')
else
        skipped[podman]="podman is not installed (scripts/deps.sh)"
fi

us() { # T0 T1 -> microseconds
        echo $((${2/./} - ${1/./}))
}

# Warm-up: one unmeasured run each, which also tells whether the tool works here.
for tool in "${tools[@]}"; do
        [ -z "${skipped[$tool]:-}" ] || continue
        if t "$tool" run --rm --network none "$image" true >/dev/null 2>"$work/$tool.err"; then
                continue
        fi
        if [ "$tool" = podman ] && grep -q 'hybrid mode not supported' "$work/podman.err"; then
                hybrid=$(grep -m1 -o 'cgroups in hybrid mode not supported[^"]*' "$work/podman.err" || true)
                remove_all podman
                podman_rt=(--runtime runc)
                if t podman run --rm --network none "$image" true >/dev/null 2>"$work/podman.err"; then
                        notes+=("podman: its default runtime, crun $(crun --version 2>/dev/null | sed -n '1s/^crun version //p'), refuses this machine's hybrid cgroups (\"$hybrid\"): podman was run with --runtime runc ($(runc --version 2>/dev/null | sed -n '1s/^runc version //p')), as docker is.")
                        version[podman]+=" (overlay, runc)"
                        continue
                fi
        fi
        skipped[$tool]="$tool failed its warm-up run: $(tail -n 3 "$work/$tool.err" | tr '\n' ' ')"
done
[ -n "${version[podman]:-}" ] && [ ${#podman_rt[@]} -eq 0 ] && version[podman]+=" (overlay, $(t podman info -f '{{.Host.OCIRuntime.Name}}' 2>/dev/null || echo default))"
active=()
for tool in "${tools[@]}"; do
        [ -n "${skipped[$tool]:-}" ] || active+=("$tool")
done
[ ${#active[@]} -gt 0 ] || { say "no tool could run a container: ${skipped[*]}"; exit 1; }

# median and p90 (nearest rank) in ms, from a file of microseconds.
stats() { # FILE -> "median p90"
        sort -n "$1" | awk '{ v[NR] = $1 }
                END {
                        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                        r = int(0.9 * NR); if (r < 0.9 * NR) r++
                        printf "%.2f %.2f\n", m / 1000, v[r] / 1000
                }'
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
}
ok() { [ -z "${skipped[$1]:-}" ]; }

# ---- 1. run --rm IMAGE true ----------------------------------------------------------

say "1. run --rm: $n each, interleaved (${active[*]}) ..."
for tool in "${active[@]}"; do : >"$work/$tool.run"; done
for ((i = 1; i <= n; i++)); do
        for tool in "${active[@]}"; do
                ok "$tool" || continue
                t0=$EPOCHREALTIME
                if ! t "$tool" run --rm --network none "$image" true >/dev/null 2>"$work/$tool.err"; then
                        fail "$tool" "run --rm, iteration $i"
                        continue
                fi
                t1=$EPOCHREALTIME
                us "$t0" "$t1" >>"$work/$tool.run"
        done
done

# ---- 2. run -d, then rm -f -----------------------------------------------------------

say "2. run -d / rm -f: $n each, interleaved ..."
for tool in "${active[@]}"; do
        : >"$work/$tool.d"
        : >"$work/$tool.rm"
        : >"$work/$tool.pair"
done
for ((i = 1; i <= n; i++)); do
        for tool in "${active[@]}"; do
                ok "$tool" || continue
                t0=$EPOCHREALTIME
                if ! id=$(t "$tool" run -d --network none "$image" sleep 1000 2>"$work/$tool.err"); then
                        fail "$tool" "run -d, iteration $i"
                        continue
                fi
                t1=$EPOCHREALTIME
                if ! rmf "$tool" "$id" >/dev/null 2>"$work/$tool.err"; then
                        fail "$tool" "rm -f, iteration $i"
                        continue
                fi
                t2=$EPOCHREALTIME
                a=$(us "$t0" "$t1") b=$(us "$t1" "$t2")
                echo "$a" >>"$work/$tool.d"
                echo "$b" >>"$work/$tool.rm"
                echo $((a + b)) >>"$work/$tool.pair"
        done
done

# ---- 3. density ----------------------------------------------------------------------

used_kib() {
        awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo
}
pss_kib() { # PID... -> sum of Pss in KiB (processes that are gone count 0)
        local p sum=0 v
        for p in "$@"; do
                v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true)
                sum=$((sum + ${v:-0}))
        done
        echo "$sum"
}
daemon_pids() {
        [ -n "$dockerd_pid" ] || return 0
        echo "$dockerd_pid"
        pgrep -P "$dockerd_pid" -x containerd || true
}
declare -A d_start d_used d_pss d_parent d_daemon d_rm d_left
for tool in "${active[@]}"; do
        ok "$tool" || continue
        say "3. density: $count idle containers with $tool ..."
        sleep 3
        used0=$(used_kib)
        daemon0=0
        mapfile -t dpids < <(daemon_pids)
        [ "$tool" != docker ] || daemon0=$(pss_kib "${dpids[@]}")
        : >"$work/$tool.ids"
        t0=$EPOCHREALTIME
        for ((i = 1; i <= count; i++)); do
                if ! t "$tool" run -d --network none "$image" sleep 100000 >>"$work/$tool.ids" 2>"$work/$tool.err"; then
                        fail "$tool" "density, container $i"
                        break
                fi
        done
        t1=$EPOCHREALTIME
        mapfile -t ids <"$work/$tool.ids"
        if ok "$tool"; then
                d_start[$tool]=$(us "$t0" "$t1")
                sleep 3
                used1=$(used_kib)
                d_used[$tool]=$(((used1 - used0) / count))
                mapfile -t dpids < <(daemon_pids)
                [ "$tool" != docker ] || d_daemon[$tool]=$(($(pss_kib "${dpids[@]}") - daemon0))
                mapfile -t pids < <(t "$tool" inspect -f '{{.State.Pid}}' "${ids[@]}")
                procs=() parents=()
                for p in "${pids[@]}"; do
                        [[ $p =~ ^[1-9][0-9]*$ ]] || continue
                        pp=$(ps -o ppid= -p "$p" | tr -d ' ' || true)
                        mapfile -t kids < <(pgrep -P "$p" || true)
                        procs+=("$p" "${kids[@]}")
                        [ -z "$pp" ] || [ "$pp" -le 1 ] || parents+=("$pp")
                done
                d_pss[$tool]=$((($(pss_kib "${procs[@]}") + $(pss_kib "${parents[@]}")) / count))
                [ ${#parents[@]} -eq 0 ] || d_parent[$tool]=$(ps -o comm= -p "${parents[0]}" || true)
        fi
        t0=$EPOCHREALTIME
        [ ${#ids[@]} -eq 0 ] || rmf "$tool" "${ids[@]}" >/dev/null 2>"$work/$tool.err" || fail "$tool" "rm -f of the density containers"
        t1=$EPOCHREALTIME
        d_rm[$tool]=$(us "$t0" "$t1")
        d_left[$tool]=$(t "$tool" ps -aq | wc -l)
done

# ---- 4. 50 at once --------------------------------------------------------------------

declare -A p_wall p_ok
for tool in "${active[@]}"; do
        ok "$tool" || continue
        say "4. $par containers at once with $tool ..."
        sleep 2
        declare -a bg=()
        t0=$EPOCHREALTIME
        for ((k = 0; k < par; k++)); do
                t "$tool" run --rm --network none "$image" sh -c "exit $k" >/dev/null 2>"$work/$tool.par.$k" &
                bg[k]=$!
        done
        good=0 bad=()
        for ((k = 0; k < par; k++)); do
                rc=0
                wait "${bg[k]}" || rc=$?
                if [ "$rc" -eq "$k" ]; then
                        good=$((good + 1))
                else
                        bad+=("K=$k:exit $rc$(head -c 200 "$work/$tool.par.$k" | tr '\n' ' ' | sed 's/^./ &/')")
                fi
        done
        t1=$EPOCHREALTIME
        p_wall[$tool]=$(us "$t0" "$t1")
        p_ok[$tool]="$good/$par"
        left=$(t "$tool" ps -aq | wc -l)
        if [ ${#bad[@]} -eq 0 ] && [ "$left" -eq 0 ]; then
                echo "$prog: $tool: all $par parallel runs exited with their own code (0..$((par - 1))), none left behind" >&2
                p_ok[$tool]+=" right"
        else
                p_ok[$tool]+=" right, $left left behind"
                notes+=("$tool, $par at once: wrong or failed: ${bad[*]:0:5}")
        fi
done

# ---- report -----------------------------------------------------------------------------

label() { echo "$1 ${version[$1]:-}"; }
declare -A med p9
echo
echo "**1. \`run --rm --network none IMAGE true\`**, $n each, interleaved"
echo
echo "| tool | median ms | p90 ms | ratio vs cell |"
echo "|---|---:|---:|---:|"
for tool in "${active[@]}"; do
        [ -s "$work/$tool.run" ] || continue
        read -r "med[$tool]" "p9[$tool]" < <(stats "$work/$tool.run")
done
for tool in "${active[@]}"; do
        [ -n "${med[$tool]:-}" ] || continue
        echo "| $(label "$tool") | ${med[$tool]} | ${p9[$tool]} | $(ratio "${med[$tool]}" "${med[cell]:-}") |"
done

echo
echo "**2. \`run -d --network none IMAGE sleep 1000\`, then \`rm -f ID\`**, $n each, interleaved (medians)"
echo
echo "| tool | run -d ms | rm -f ms | pair ms | pair ratio vs cell |"
echo "|---|---:|---:|---:|---:|"
declare -A md mr mp
for tool in "${active[@]}"; do
        [ -s "$work/$tool.pair" ] || continue
        read -r "md[$tool]" _ < <(stats "$work/$tool.d")
        read -r "mr[$tool]" _ < <(stats "$work/$tool.rm")
        read -r "mp[$tool]" _ < <(stats "$work/$tool.pair")
done
for tool in "${active[@]}"; do
        [ -n "${mp[$tool]:-}" ] || continue
        echo "| $(label "$tool") | ${md[$tool]} | ${mr[$tool]} | ${mp[$tool]} | $(ratio "${mp[$tool]}" "${mp[cell]:-}") |"
done

echo
echo "**3. Density: $count idle containers (\`run -d --network none IMAGE sleep 100000\`), one tool at a time**"
echo
echo "| tool | start all s | per container ms | used memory KiB/container | PSS KiB/container (process + its parent) | ratio vs cell (used / PSS) | daemons' PSS growth KiB | \`rm -f\` all s | left |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for tool in "${active[@]}"; do
        [ -n "${d_start[$tool]:-}" ] || continue
        s=$(awk -v u="${d_start[$tool]}" 'BEGIN { printf "%.2f", u / 1e6 }')
        per=$(awk -v u="${d_start[$tool]}" -v c="$count" 'BEGIN { printf "%.1f", u / 1e3 / c }')
        r=$(awk -v u="${d_rm[$tool]}" 'BEGIN { printf "%.2f", u / 1e6 }')
        echo "| $(label "$tool") | $s | $per | ${d_used[$tool]} | ${d_pss[$tool]} (${d_parent[$tool]:-?}) |" \
                "$(ratio "${d_used[$tool]}" "${d_used[cell]:-}") / $(ratio "${d_pss[$tool]}" "${d_pss[cell]:-}") |" \
                "${d_daemon[$tool]:-—} | $r | ${d_left[$tool]} |"
done

echo
echo "**4. $par at once: \`run --rm --network none IMAGE sh -c 'exit K'\`, K = 0..$((par - 1))**"
echo
echo "| tool | wall s | exit codes |"
echo "|---|---:|---|"
for tool in "${active[@]}"; do
        [ -n "${p_wall[$tool]:-}" ] || continue
        echo "| $(label "$tool") | $(awk -v u="${p_wall[$tool]}" 'BEGIN { printf "%.2f", u / 1e6 }') | ${p_ok[$tool]} |"
done
case ${p_ok[cell]:-} in
*" right") echo; echo "cell: all $par parallel runs succeeded with the right exit codes." ;;
"") ;;
*) echo; echo "cell: the parallel runs were NOT all right: ${p_ok[cell]}." ;;
esac

echo
echo "Command: \`$cmdline\` (as root) — image $image from \`cell image base busybox\`, \`cell save\` into" \
        "\`docker load\` / \`podman load\`; every container with --network none; docker: a private dockerd;" \
        "podman: private roots and containers.conf; rm -f for podman is \`rm -f -t 0\`."
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
