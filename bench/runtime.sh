#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/runtime.sh [-n N] — container start-to-exit time of cell against runc and crun.
#
# What is measured: for each runtime, N times (default 100),
#     RUNTIME --root STATE run --bundle BUNDLE ID
# of the same busybox bundle (scripts/make-bundle.sh) whose process is /bin/true,
# with a fresh ID each time. `run` creates, starts, waits and deletes the container,
# so one iteration is the whole life of a container, cgroup included. The runtimes
# take turns (cell, runc, crun, cell, runc, crun, ...) so that any drift of the
# machine during the run is shared by all of them, and each gets one unmeasured
# warm-up run first. Wall time is taken with bash's $EPOCHREALTIME around the
# runtime's process (no extra fork). Peak RSS is measured in min(N, 10) separate
# runs under GNU time (`/usr/bin/time -f %M`, Debian package `time`; python3's
# getrusage as a fallback): it is the largest maximum RSS of any process of the
# runtime's tree (the runtime, its helper/init process, and /bin/true), in KiB.
#
# The configuration: one config.json, made by `runc spec` (or `crun spec`, or
# `cell spec` when runc is absent) and edited with jq: process.terminal=false,
# process.args=["/bin/true"], and resource limits in linux.resources: memory limit
# 256 MiB (swap the same), pids limit 128, besides runc's deny-all device rule with
# its default allow list. Everything else is runc's default: the pid, network, ipc,
# uts and mount namespaces, the read-only rootfs, masked/read-only paths and
# RLIMIT_NOFILE 1024/1024. The same file is used by all three runtimes, so every
# runtime creates a cgroup, writes the limits and removes it on delete.
#
# Choices forced by this kind of machine, and why the comparison stays fair:
#
# - cgroups. On a hybrid host (v1 controllers under a tmpfs /sys/fs/cgroup, cgroup2
#   at /sys/fs/cgroup/unified holding only hugetlb) the memory and pids controllers
#   exist only in cgroup v1, and crun 1.8 refuses hybrid mode ("cgroups in hybrid
#   mode not supported, drop all controllers from cgroupv2"). So the script
#   re-executes itself in a private mount namespace (unshare -m) and unmounts
#   /sys/fs/cgroup/unified there: all three runtimes then see a plain cgroup v1
#   ("legacy") layout and do the same v1 work in the same hierarchies (a cgroup in
#   each, the memory and pids limits, the device list, the pid moved in, the
#   cgroups removed). The host's mounts are untouched; the namespace disappears
#   when the script ends. On a pure cgroup v2 host nothing is changed and every
#   runtime takes its v2 path (and, for the device rules, an eBPF program).
#
# - RLIMIT_MEMLOCK. On cgroup v2, crun 1.8 raises RLIMIT_MEMLOCK to unlimited
#   before loading its device eBPF program and gives up when that fails
#   ("setrlimit (RLIM_MEMLOCK): Operation not permitted"), which it does in a
#   sandbox without CAP_SYS_RESOURCE. Since Linux 5.11 BPF memory is charged to the
#   memory cgroup, not to RLIMIT_MEMLOCK, so the raise is useless there. When the
#   warm-up run of crun fails this way and a C compiler is at hand, the script
#   builds a 10-line LD_PRELOAD shim (in its temporary directory) that turns
#   exactly that EPERM into success, and runs crun with it; crun then does its
#   normal work, device filter included. The report says when the shim was used.
#
# With -H nothing is unmounted and every runtime sees the host's layout (on a
# hybrid host: hybrid cgroups for runc and cell, and crun is skipped).
#
# Usage: bench/runtime.sh [-n N] [-H]      (as root)
# Environment: CELL=path of the cell binary (default: build/cli/cell in the
# project); runc and crun are taken from PATH. A runtime that is missing or that
# fails its warm-up run is skipped with the reason printed. All containers, state
# directories and the bundle it creates are removed on exit.
#
# Output: a markdown table (runtime | median ms | p90 ms | peak RSS KiB | ratio vs
# cell) followed by the command line and the versions, to paste into
# docs/performance.md.
set -euo pipefail
export LC_ALL=C # $EPOCHREALTIME must use a '.' decimal point

prog=${0##*/}
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$prog
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
        echo "$prog: $*" >&2
        exit 1
}

usage() {
        echo "usage: $prog [-n N] [-H]   (N containers per runtime, default 100;" \
                "-H: keep the host's cgroup layout, see the header)" >&2
        exit 2
}

orig_args=("$@")
n=100
host_cgroups=false
while getopts "n:Hh" opt; do
        case $opt in
        n) n=$OPTARG ;;
        H) host_cgroups=true ;;
        *) usage ;;
        esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[[ $n =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number, not '$n'"

if [ "${CELL_BENCH_INNER:-}" != 1 ]; then
        [ "$(id -u)" -eq 0 ] || die "run it as root: the runtimes create namespaces and cgroups"
        command -v jq >/dev/null || die "jq is missing (run scripts/deps.sh)"
        command -v unshare >/dev/null || die "unshare is missing (util-linux; run scripts/deps.sh)"
        [ "${BASH_VERSINFO[0]}" -ge 5 ] || die "needs bash 5 (for \$EPOCHREALTIME)"
        cmdline=$(printf '%q ' "$0" "${orig_args[@]}")
        if [ -n "${CELL:-}" ]; then
                cmdline="CELL=$(printf '%q' "$CELL") $cmdline"
        fi
        export CELL_BENCH_CMDLINE=${cmdline% }
        export CELL_BENCH_INNER=1
        # A private mount namespace, so that the cgroup2 mount below is ours alone.
        exec unshare --mount --propagation private "$self" "${orig_args[@]}"
fi

# ---- from here on we are in our own mount namespace -------------------------------------

cell=${CELL:-$project/build/cli/cell}
work=$(mktemp -d /tmp/cell-bench.XXXXXX)
bundle=$work/bundle
prefix=bench-$$
notes=()

declare -A bin preload state skipped
order=(cell runc crun)
active=()

cleanup() {
        local name id
        for name in "${active[@]}"; do
                [ -d "${state[$name]:-/nonexistent}" ] || continue
                # Whatever is left (an interrupted run): delete it, then the state dir.
                while read -r id; do
                        [ -n "$id" ] || continue
                        LD_PRELOAD=${preload[$name]:-} "${bin[$name]}" --root "${state[$name]}" \
                                delete -f "$id" >/dev/null 2>&1 || true
                done < <(LD_PRELOAD=${preload[$name]:-} "${bin[$name]}" --root "${state[$name]}" \
                        list -q 2>/dev/null || true)
        done
        # cgroups of runs that failed half way (crun leaves one behind when it fails).
        if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
                rmdir /sys/fs/cgroup/"$prefix"-* 2>/dev/null || true
        else
                rmdir /sys/fs/cgroup/*/"$prefix"-* 2>/dev/null || true
        fi
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cgroups: see the header. On hybrid hosts give this namespace a plain v1 view.
cgroup_mode=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null || echo unknown)
if [ "$cgroup_mode" = cgroup2fs ]; then
        cgroup_note="cgroup v2 (host is unified)"
elif $host_cgroups; then
        cgroup_note="the host's cgroup layout ($cgroup_mode on /sys/fs/cgroup, -H)"
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        if umount /sys/fs/cgroup/unified 2>"$work/mount.err"; then
                cgroup_note="cgroup v1: the host is hybrid; /sys/fs/cgroup/unified is unmounted in a private mount namespace so that all three runtimes see the same v1 layout"
        else
                cgroup_note="host cgroups (hybrid): unmounting /sys/fs/cgroup/unified failed: $(cat "$work/mount.err")"
        fi
else
        cgroup_note="cgroup v1 ($cgroup_mode on /sys/fs/cgroup)"
fi

for name in "${order[@]}"; do
        case $name in
        cell)
                if [ -x "$cell" ]; then
                        bin[cell]=$cell
                else
                        skipped[cell]="cell is missing: $cell does not exist (build it, or set CELL=)"
                fi
                ;;
        *)
                if p=$(command -v "$name"); then
                        bin[$name]=$p
                else
                        skipped[$name]="$name is not installed (run scripts/deps.sh)"
                fi
                ;;
        esac
done

"$project/scripts/make-bundle.sh" "$bundle"

# The one config.json: runc's defaults, with /bin/true and no terminal.
spec_by=
for name in runc crun cell; do
        [ -n "${bin[$name]:-}" ] || continue
        if (cd "$bundle" && rm -f config.json && "${bin[$name]}" spec >/dev/null 2>&1) && [ -s "$bundle/config.json" ]; then
                spec_by=$name
                break
        fi
done
[ -n "$spec_by" ] || die "no runtime could write a config.json (is any of runc, crun, cell installed?)"
jq '.process.terminal = false | .process.args = ["/bin/true"]
    | .linux.resources.memory = {"limit": 268435456, "swap": 268435456}
    | .linux.resources.pids = {"limit": 128}' "$bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$bundle/config.json"

# Time one `run`; appends microseconds to $work/NAME.us. Returns the runtime's status.
run_once() { # NAME ID
        local name=$1 id=$2 t0 t1 rc=0
        t0=$EPOCHREALTIME
        LD_PRELOAD=${preload[$name]:-} "${bin[$name]}" --root "${state[$name]}" run --bundle "$bundle" "$id" \
                </dev/null >/dev/null 2>"$work/$name.err" || rc=$?
        t1=$EPOCHREALTIME
        if [ -e "${state[$name]}/$id" ]; then
                LD_PRELOAD=${preload[$name]:-} "${bin[$name]}" --root "${state[$name]}" delete -f "$id" \
                        >/dev/null 2>&1 || true
        fi
        [ "$rc" -eq 0 ] || return "$rc"
        echo $((${t1/./} - ${t0/./})) >>"$work/$name.us"
}

# The LD_PRELOAD shim for crun's RLIMIT_MEMLOCK raise (see the header).
build_memlock_shim() {
        local cc
        cc=$(command -v cc || command -v gcc || command -v clang) || return 1
        cat >"$work/memlock-shim.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/resource.h>
/* Let a refused raise of RLIMIT_MEMLOCK pass: BPF is charged to memcg (Linux >= 5.11). */
int setrlimit(__rlimit_resource_t r, const struct rlimit *l)
{
        int (*real)(__rlimit_resource_t, const struct rlimit *) =
                (int (*)(__rlimit_resource_t, const struct rlimit *))dlsym(RTLD_NEXT, "setrlimit");
        int ret = real(r, l);
        if (ret < 0 && errno == EPERM && r == RLIMIT_MEMLOCK)
                return 0;
        return ret;
}
EOF
        "$cc" -shared -fPIC -O2 -o "$work/memlock-shim.so" "$work/memlock-shim.c" -ldl 2>"$work/shim.err"
}

# Warm-up: one unmeasured run, which also tells whether the runtime works here.
for name in "${order[@]}"; do
        [ -n "${bin[$name]:-}" ] || continue
        state[$name]=$work/state-$name
        mkdir -p "${state[$name]}"
        active+=("$name")
        rc=0
        run_once "$name" "$prefix-$name-warmup" || rc=$?
        if [ "$rc" -eq 0 ]; then
                : >"$work/$name.us"
                continue
        fi
        if [ "$name" = crun ] && grep -q 'setrlimit (RLIM_MEMLOCK)' "$work/crun.err"; then
                first_err=$(grep -m1 'setrlimit (RLIM_MEMLOCK)' "$work/crun.err")
                why="crun fails here with \"$first_err\" (it raises RLIMIT_MEMLOCK to unlimited"
                why+=" for its device eBPF filter; this host does not let it raise the hard limit)"
                if build_memlock_shim; then
                        preload[crun]=$work/memlock-shim.so
                        if run_once crun "$prefix-crun-warmup2"; then
                                : >"$work/crun.us"
                                notes+=("$why: crun was run with an LD_PRELOAD shim that ignores that EPERM (BPF memory is charged to memcg since Linux 5.11), so it still does its full work, device filter included.")
                                continue
                        fi
                        why+="; with the LD_PRELOAD shim: $(tail -n 3 "$work/crun.err" | tr '\n' ' ')"
                else
                        why+="; and there is no C compiler to build the LD_PRELOAD workaround"
                fi
                skipped[crun]=$why
        else
                skipped[$name]="$name failed its warm-up run (exit $rc): $(tail -n 3 "$work/$name.err" | tr '\n' ' ')"
        fi
        unset 'active[-1]'
done

measured=()
for name in "${active[@]}"; do
        [ -n "${skipped[$name]:-}" ] || measured+=("$name")
done
[ "${#measured[@]}" -gt 0 ] || {
        for name in "${order[@]}"; do
                echo "$prog: skipped $name: ${skipped[$name]:-}" >&2
        done
        die "no runtime could run the bundle"
}

echo "$prog: ${measured[*]}: $n containers each ..." >&2
for ((i = 1; i <= n; i++)); do
        for name in "${measured[@]}"; do
                [ -z "${skipped[$name]:-}" ] || continue
                if ! run_once "$name" "$prefix-$name-$i"; then
                        skipped[$name]="$name failed at run $i: $(tail -n 3 "$work/$name.err" | tr '\n' ' ')"
                fi
        done
done

# Peak RSS (KiB) over a few runs under GNU time, or python3's getrusage.
rss_tool=
if /usr/bin/time --version 2>&1 | grep -q GNU; then
        rss_tool="GNU time %M"
elif command -v python3 >/dev/null; then
        rss_tool="python3 getrusage(RUSAGE_CHILDREN)"
fi
declare -A rss
rss_runs=$((n < 10 ? n : 10))
for name in "${measured[@]}"; do
        [ -z "${skipped[$name]:-}" ] || continue
        [ -n "$rss_tool" ] || break
        max=0
        for ((i = 1; i <= rss_runs; i++)); do
                id=$prefix-$name-rss-$i
                args=("${bin[$name]}" --root "${state[$name]}" run --bundle "$bundle" "$id")
                if [ "$rss_tool" = "GNU time %M" ]; then
                        LD_PRELOAD=${preload[$name]:-} /usr/bin/time -o "$work/rss" -f %M "${args[@]}" \
                                </dev/null >/dev/null 2>&1 || true
                else
                        LD_PRELOAD=${preload[$name]:-} python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "${args[@]}" >"$work/rss" 2>/dev/null || true
                fi
                if [ -e "${state[$name]}/$id" ]; then
                        LD_PRELOAD=${preload[$name]:-} "${bin[$name]}" --root "${state[$name]}" delete -f "$id" \
                                >/dev/null 2>&1 || true
                fi
                v=$(tail -n 1 "$work/rss" 2>/dev/null || true)
                if [[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt "$max" ]; then
                        max=$v
                fi
        done
        [ "$max" -eq 0 ] || rss[$name]=$max
done

# median and p90 (nearest rank) in ms, from a file of microseconds.
stats() { # FILE -> "median p90"
        sort -n "$1" | awk '{ v[NR] = $1 }
                END {
                        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                        r = int(0.9 * NR); if (r < 0.9 * NR) r++
                        printf "%.2f %.2f\n", m / 1000, v[r] / 1000
                }'
}

declare -A median p90
for name in "${measured[@]}"; do
        [ -z "${skipped[$name]:-}" ] || continue
        read -r "median[$name]" "p90[$name]" < <(stats "$work/$name.us")
done

version_of() {
        LD_PRELOAD=${preload[$1]:-} "${bin[$1]}" --version 2>/dev/null | head -n 1 || true
}

echo
echo "| runtime | median ms | p90 ms | peak RSS KiB | ratio vs cell |"
echo "|---|---:|---:|---:|---:|"
for name in "${order[@]}"; do
        [ -n "${median[$name]:-}" ] || continue
        if [ -n "${median[cell]:-}" ]; then
                ratio=$(awk -v a="${median[$name]}" -v b="${median[cell]}" 'BEGIN { printf "%.2f", a / b }')
        else
                ratio="n/a"
        fi
        echo "| $name | ${median[$name]} | ${p90[$name]} | ${rss[$name]:-n/a} | $ratio |"
done
echo
echo "Command: \`${CELL_BENCH_CMDLINE:-$0}\` — $n containers per runtime, interleaved, each" \
        "\`RUNTIME --root STATE run --bundle B ID\` of busybox /bin/true (config.json from \`$spec_by spec\`," \
        "terminal false, memory limit 256 MiB, pids limit 128); ratio = median / cell's median; peak RSS = max over $rss_runs runs (${rss_tool:-not measured})."
echo
echo "Machine: $(uname -sr), $(nproc) CPUs; $cgroup_note."
for name in "${order[@]}"; do
        if [ -n "${median[$name]:-}" ]; then
                echo "- $name: ${bin[$name]} ($(version_of "$name"))"
        else
                echo "- $name: skipped — ${skipped[$name]:-not measured}"
        fi
done
for note in "${notes[@]}"; do
        echo "- Note: $note"
done
