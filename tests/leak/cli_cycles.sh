#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# cli_cycles.sh — N container life cycles through the `cell` binary, then a
# check that nothing was left behind on the host. Run by tests/system/leak.bats.
#
# Input comes from the environment rather than the command line, so that no
# process of this script matches the search for processes whose command
# line mentions the state root or the bundle:
#   CELL              the cell binary
#   LEAK_BUNDLE       a bundle whose process exits by itself (/bin/true)
#   LEAK_STATE_ROOT   cell --root
#   LEAK_N            number of cycles (default 500)
#
# Of every 25 cycles, 21 are `cell run` (create, start, wait, delete in one
# command) and one each is: create/start/wait for stopped/delete; a
# long-running process killed with SIGKILL, then delete; `run -d` and
# delete --force while running; create and delete --force, never started.
# Once every 100 (i % 100 == 20): `run -d`, `exec` of /bin/true, `exec -d`
# of a sleep, pause and resume, delete --force (the commands that cell has:
# `cell --help` lists them). Few, because the init of the container cannot
# finish dying before the host's init has reaped the orphaned exec'd
# process, which can take a second or two.
# Ids are leakcli-<pid>-<n>. Counted before and after, host-wide:
#   mountinfo lines   of this script's mount namespace: a private copy of the
#                     host's, made at start, so that nothing else running on
#                     the machine changes the count (set LEAK_HOST_MOUNTNS=1
#                     to count in the caller's namespace instead)
#   cgroup dirs       named leakcli-<pid>-* under every cgroup mount
#   marked processes  CELL_LEAK_MARK=<prefix> is in the environment of every
#                     cell command and of every container process
#   cmdline processes whose command line mentions the state root or bundle
#   fds               of any process, pointing into the state root or bundle
#   zombies           host-wide: new ones named true, sleep or cell
#   state entries     of the state root
# Exit 0 when every count is back, 1 naming what leaked, 2 when a cycle fails.
set -uo pipefail

if [ -z "${LEAK_HOST_MOUNTNS:-}" ] && [ -z "${LEAK_IN_MOUNTNS:-}" ]; then
        LEAK_IN_MOUNTNS=1 exec unshare --mount --propagation private "$BASH" "$0"
fi

prog=cli_cycles
: "${CELL:?}" "${LEAK_BUNDLE:?}" "${LEAK_STATE_ROOT:?}"
n=${LEAK_N:-500}
prefix=leakcli-$$-
mark=CELL_LEAK_MARK=$prefix
bundle=$(realpath "$LEAK_BUNDLE")
root=$LEAK_STATE_ROOT
mkdir -p "$root"
root=$(realpath "$root")
work=$(mktemp -d "$(dirname "$root")/leakcli.XXXXXX")
trap 'cleanup' EXIT

# Two bundles sharing the caller's rootfs: the bundle's own process, and a
# long-running one; both carry the marker in process.env.
mkdir -p "$work/true" "$work/sleep"
jq --arg m "$mark" --arg r "$bundle/rootfs" \
        '.process.env += [$m] | .process.terminal = false | .root.path = $r' \
        "$bundle/config.json" >"$work/true/config.json" || exit 2
jq '.process.args = ["/bin/sleep", "600"]' "$work/true/config.json" >"$work/sleep/config.json" || exit 2

c() { # cell with the marker in its environment only
        env "$mark" "$CELL" --root "$root" "$@" </dev/null
}

cleanup() {
        local id
        for id in $(c list -q 2>/dev/null); do
                [[ $id == "$prefix"* ]] && c delete --force "$id" >/dev/null 2>&1
        done
        rm -rf "$work"
}

# A regex for a path that does not match the command line of the grep that
# searches for it: "[/]var/tmp/..." matches "/var/tmp/..." but not itself.
path_re() {
        printf '[%s]%s' "${1:0:1}" "$(printf '%s' "${1:1}" | sed 's/[][\.*^$+?(){}|]/\\&/g')"
}

proc_line() { # PID: "pid state comm"
        local s
        s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
        local rest=${s##*) }
        printf '%s %s %s\n' "$1" "${rest%% *}" "$(cat "/proc/$1/comm" 2>/dev/null)"
}

list_mounts() { cat /proc/self/mountinfo; }
list_cgroups() {
        local m
        for m in $(awk '{ split($0, a, " - "); split(a[2], b, " ");
                          if (b[1] == "cgroup" || b[1] == "cgroup2") print $5 }' /proc/self/mountinfo | sort -u); do
                find "$m" -type d -name "$prefix*" 2>/dev/null
        done
}
list_marked() {
        local f
        for f in $(grep -lzxF -- "$mark" /proc/[0-9]*/environ 2>/dev/null); do
                f=${f#/proc/}
                proc_line "${f%/environ}"
        done
}
list_cmdline() {
        local f
        for f in $(grep -lzE -- "$(path_re "$root")|$(path_re "$bundle")" /proc/[0-9]*/cmdline 2>/dev/null); do
                f=${f#/proc/}
                proc_line "${f%/cmdline}"
        done
}
list_fds() {
        find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 \( -lname "$root/*" -o -lname "$bundle/*" \) \
                -printf '%p -> %l\n' 2>/dev/null
}
starttime() { # /proc/PID/stat: field 22, counted after the comm's ')'
        local f
        read -r -a f <<<"${1##*) }"
        echo "${f[19]}"
}
t_start=$(starttime "$(cat /proc/$$/stat)")
# Zombies that started after this script and are what the cycles run: the
# container processes, and cell (from its sealed copy, or not) or an init
# that never reached execve. Other zombies on a busy machine are not ours.
zombie_comms=" true sleep memfd:cell ${CELL##*/} "
list_zombies() {
        local s p rest comm
        for s in /proc/[0-9]*/stat; do
                p=$(cat "$s" 2>/dev/null) || continue
                rest=${p##*) }
                [ "${rest%% *}" = Z ] || continue
                comm=${p#*(}
                comm=${comm%)*}
                [[ $zombie_comms == *" $comm "* ]] || continue
                [ "$(starttime "$p")" -ge "$t_start" ] && proc_line "$(basename "$(dirname "$s")")"
        done
}
list_state() { ls -A "$root" | grep -vx "#seccomp" || true; } # the runtime's filter cache: one entry per profile

kinds=(mounts cgroups marked cmdline fds zombies state)
declare -A label=([mounts]="mountinfo lines" [cgroups]="cgroup dirs" [marked]="processes marked CELL_LEAK_MARK"
        [cmdline]="processes naming the state root or bundle" [fds]="fds into the state root or bundle"
        [zombies]="zombies (host-wide, new)" [state]="state root entries")

snapshot() { # DIR: one file per kind
        local k
        mkdir -p "$1"
        for k in "${kinds[@]}"; do
                "list_$k" >"$1/$k" 2>/dev/null
        done
}

counts() { # DIR LABEL
        local k out="$2:"
        for k in "${kinds[@]}"; do
                out+=" ${label[$k]} $(wc -l <"$1/$k"),"
        done
        echo "${out%,}"
}

leaked() { # BEFORE AFTER: true when some count grew
        local k
        for k in "${kinds[@]}"; do
                [ "$(wc -l <"$2/$k")" -gt "$(wc -l <"$1/$k")" ] && return 0
        done
        return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

fail_cycle() {
        echo "$prog: cycle $i ($id, $1): failed; cell said:" >&2
        cat "$work/err" >&2
        exit 2
}

state_is() { # ID STATUS
        local out
        out=$(c state "$1" 2>/dev/null) || return 1
        [[ $out =~ \"status\":\ *\"$2\" ]]
}

wait_stopped() { # ID
        local t
        for t in $(seq 1 500); do
                state_is "$1" stopped && return 0
                sleep 0.01
        done
        echo "$1: not stopped after 5 s" >"$work/err"
        return 1
}

help=$("$CELL" --help 2>&1)
have_exec=$(grep -E '^ +exec ' <<<"$help")
have_pause=$(grep -E '^ +pause ' <<<"$help")
echo "$prog: $n cycles through $CELL, ids $prefix*, state root $root," \
        "${LEAK_IN_MOUNTNS:+private }mount namespace${have_exec:+, with exec}${have_pause:+, with pause}"
snapshot "$work/before"
counts "$work/before" before
t0=$(now_ms)
for ((i = 0; i < n; i++)); do
        id=$prefix$i
        : >"$work/err"
        k=$((i % 25))
        [ $((i % 100)) -eq 20 ] && k=exec
        case $k in
        exec)
                c run -d --bundle "$work/sleep" "$id" >/dev/null 2>"$work/err" || fail_cycle "run -d"
                if [ -n "$have_exec" ]; then
                        c exec "$id" /bin/true >/dev/null 2>>"$work/err" || fail_cycle "exec /bin/true"
                        c exec -d "$id" /bin/sleep 600 >/dev/null 2>>"$work/err" || fail_cycle "exec -d"
                fi
                if [ -n "$have_pause" ]; then
                        c pause "$id" 2>>"$work/err" || fail_cycle pause
                        state_is "$id" paused || fail_cycle "state after pause"
                        c resume "$id" 2>>"$work/err" || fail_cycle resume
                fi
                c delete --force "$id" 2>>"$work/err" || fail_cycle "delete --force (running)"
                ;;
        21)
                c create --bundle "$work/true" "$id" >/dev/null 2>"$work/err" || fail_cycle create
                c start "$id" 2>>"$work/err" || fail_cycle start
                wait_stopped "$id" || fail_cycle "wait for stopped"
                c delete "$id" 2>>"$work/err" || fail_cycle delete
                ;;
        22)
                c create --bundle "$work/sleep" "$id" >/dev/null 2>"$work/err" || fail_cycle create
                c start "$id" 2>>"$work/err" || fail_cycle start
                c kill "$id" KILL 2>>"$work/err" || fail_cycle kill
                wait_stopped "$id" || fail_cycle "wait for stopped after kill"
                c delete "$id" 2>>"$work/err" || fail_cycle delete
                ;;
        23)
                c run -d --bundle "$work/sleep" "$id" >/dev/null 2>"$work/err" || fail_cycle "run -d"
                c delete --force "$id" 2>>"$work/err" || fail_cycle "delete --force (running)"
                ;;
        24)
                c create --bundle "$work/sleep" "$id" >/dev/null 2>"$work/err" || fail_cycle create
                c delete --force "$id" 2>>"$work/err" || fail_cycle "delete --force (created)"
                ;;
        *)
                c run --bundle "$work/true" "$id" >/dev/null 2>"$work/err" || fail_cycle run
                ;;
        esac
        if (((i + 1) % 100 == 0)); then
                echo "$prog: $((i + 1))/$n cycles, $(($(now_ms) - t0)) ms," \
                        "mountinfo lines $(wc -l </proc/self/mountinfo), state entries $(list_state | wc -l)"
        fi
done
t1=$(now_ms)
echo "$prog: $n cycles in $((t1 - t0)) ms ($(((t1 - t0) / n)) ms each)"

# What the runtime ends asynchronously gets up to 2 s to go.
for t in $(seq 1 20); do
        rm -rf "$work/after"
        snapshot "$work/after"
        leaked "$work/before" "$work/after" || break
        sleep 0.1
done
counts "$work/after" after
leak=0
for k in "${kinds[@]}"; do
        b=$(wc -l <"$work/before/$k") a=$(wc -l <"$work/after/$k")
        if [ "$a" -gt "$b" ]; then
                echo "LEAK: ${label[$k]}: $b before, $a after (+$((a - b)))"
                grep -vxF -f "$work/before/$k" "$work/after/$k" | head -n 20 | sed 's/^/  new: /'
                leak=1
        fi
done
if [ "$leak" -ne 0 ]; then
        echo "$prog: FAILED: resources leaked over $n cycles (see LEAK lines above)"
        exit 1
fi
echo "$prog: ok: nothing left behind after $n cycles"
