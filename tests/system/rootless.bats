#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Rootless: cell run by an unprivileged user on a `cell spec --rootless`
# bundle. The tests run as root and drive cell through runuser as the user
# $CELL_ROOTLESS_USER (default cell-rootless). When that user does not exist
# it is made here with `useradd -m`, which on Debian also grants it a range
# in /etc/subuid and /etc/subgid, and removed again in teardown_file; a user
# that already existed is left alone.
#
# The user must be able to execute $CELL. When it cannot (a build tree in a
# directory only root may enter), the binary is copied to a temporary
# directory under /var/tmp for this file and removed afterwards.

load helpers

ROOTLESS_USER=${CELL_ROOTLESS_USER:-cell-rootless}

setup_file() {
        [ "$(id -u)" -eq 0 ] || skip "needs root (to make the test user and run as it)"
        command -v runuser >/dev/null || skip "runuser (util-linux) not found"
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        if ! id -u "$ROOTLESS_USER" >/dev/null 2>&1; then
                useradd -m "$ROOTLESS_USER"
                touch "$BATS_FILE_TMPDIR/user-created-here"
        fi
        if ! runuser -u "$ROOTLESS_USER" -- test -x "$CELL"; then
                local dir
                dir=$(mktemp -d /var/tmp/cell-rootless-bin.XXXXXX)
                chmod 0755 "$dir"
                cp "$CELL" "$dir/cell"
                echo "$dir" >"$BATS_FILE_TMPDIR/bin-dir"
        fi
}

teardown_file() {
        if [ -f "$BATS_FILE_TMPDIR/bin-dir" ]; then
                rm -rf "$(cat "$BATS_FILE_TMPDIR/bin-dir")"
        fi
        if [ -f "$BATS_FILE_TMPDIR/user-created-here" ]; then
                userdel -r "$ROOTLESS_USER" 2>/dev/null || userdel "$ROOTLESS_USER"
        fi
}

setup() {
        common_setup
        USER_CELL=$CELL
        if [ -f "$BATS_FILE_TMPDIR/bin-dir" ]; then
                USER_CELL=$(cat "$BATS_FILE_TMPDIR/bin-dir")/cell
        fi
        USER_UID=$(id -u "$ROOTLESS_USER")
        USER_GID=$(id -g "$ROOTLESS_USER")
        XDG=$TEST_DIR/xdg
        mkdir -m 0700 "$XDG"
        # The bundle as its user would have it: every file theirs, and the
        # config from `cell spec --rootless` run as them.
        rm -f "$BUNDLE/config.json"
        chown -R "$ROOTLESS_USER:" "$TEST_DIR"
        ucell spec --rootless --bundle "$BUNDLE"
        cfg '.process.terminal = false | .process.args = ["/cellprobe", "report"]'
        chown "$ROOTLESS_USER:" "$BUNDLE/config.json"
}

teardown() {
        local id
        if [ -n "${STATE_ROOT:-}" ] && [ -d "$STATE_ROOT" ]; then
                for id in $(ucell list -q 2>/dev/null); do
                        ucell delete --force "$id" >/dev/null 2>&1 || true
                done
        fi
        if [ -d "${XDG:-}/cell" ]; then
                for id in $(as_user "$USER_CELL" list -q 2>/dev/null); do
                        as_user "$USER_CELL" delete --force "$id" >/dev/null 2>&1 || true
                done
        fi
        common_teardown
}

# as_user CMD...: run as the test user with its own runtime directory.
as_user() {
        runuser -u "$ROOTLESS_USER" -- env XDG_RUNTIME_DIR="$XDG" ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} "$@"
}

# ucell ARGS...: cell as the test user, state in $STATE_ROOT.
ucell() {
        as_user "$USER_CELL" --root "$STATE_ROOT" "$@"
}

urun() {
        ucell run --bundle "$BUNDLE" "$@" </dev/null
}

ucreate() {
        local id=$1
        shift
        ucell create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TEST_DIR/$id.out" 2>"$TEST_DIR/$id.err"
}

ustatus() {
        ucell state "$1" | jq -r .status
}

uwait_status() {
        local i s
        for i in $(seq 1 100); do
                s=$(ustatus "$1" 2>/dev/null) || s=
                [ "$s" = "$2" ] && return 0
                sleep 0.05
        done
        echo "container $1: status is '$s', expected '$2'" >&2
        return 1
}

# subid FILE: "start count" of the user's first range in /etc/subuid or
# /etc/subgid; skips the test when there is none.
subid() {
        local line
        line=$(grep -m1 "^$ROOTLESS_USER:" "$1" 2>/dev/null) || skip "$ROOTLESS_USER has no range in $1"
        IFS=: read -r _ start count <<<"$line"
        echo "$start $count"
}

need_newuidmap() {
        [ -x /usr/bin/newuidmap ] && [ -x /usr/bin/newgidmap ] || skip "newuidmap/newgidmap not installed (package uidmap)"
}

add_chown_cap() {
        cfg '.process.capabilities |= with_entries(if .key != "ambient" then .value += ["CAP_CHOWN"] else . end)'
}

@test "rootless: a cell spec --rootless bundle runs as an unprivileged user" {
        run -0 urun c1
        assert_equal "$(output_value hostname)" cell
        # the caller really was unprivileged: its state belongs to it
        [ "$(stat -c %u "$STATE_ROOT")" = "$USER_UID" ]
}

@test "rootless: the process is uid 0 and gid 0 in the container" {
        set_args /cellprobe ids
        run -0 urun c1
        assert_equal "$(output_value uid)" 0
        assert_equal "$(output_value gid)" 0
        assert_equal "$(output_value euid)" 0
}

@test "rootless: the host sees the container's process as the user's uid" {
        set_args /cellprobe sleep 30
        ucreate c1
        pid=$(ucell state c1 | jq -r .pid)
        read -r _ ruid euid suid fsuid < <(grep '^Uid:' "/proc/$pid/status")
        assert_equal "$ruid $euid $suid $fsuid" "$USER_UID $USER_UID $USER_UID $USER_UID"
        read -r _ rgid _ < <(grep '^Gid:' "/proc/$pid/status")
        assert_equal "$rgid" "$USER_GID"
        # and uid 0 inside is that uid outside
        assert_equal "$(awk '{print $1, $2, $3}' "/proc/$pid/uid_map")" "0 $USER_UID 1"
}

@test "rootless: create, start, state, kill and delete as the user" {
        set_args /cellprobe sleep 30
        ucreate c1
        assert_equal "$(ustatus c1)" created
        run -0 ucell state c1
        assert_equal "$(jq -r .owner <<<"$output")" "$USER_UID"
        ucell start c1
        assert_equal "$(ustatus c1)" running
        run -0 ucell list -q
        assert_equal "$output" c1
        ucell kill c1 KILL
        uwait_status c1 stopped
        ucell delete c1
        run -0 ucell list -q
        assert_equal "$output" ""
        [ ! -e "$STATE_ROOT/c1" ]
}

@test "rootless: the state root defaults to \$XDG_RUNTIME_DIR/cell" {
        set_args /cellprobe sleep 30
        as_user "$USER_CELL" create --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/c1.out" 2>"$TEST_DIR/c1.err"
        [ -d "$XDG/cell/c1" ]
        assert_equal "$(stat -c '%u %a' "$XDG/cell")" "$USER_UID 700"
        as_user "$USER_CELL" delete --force c1
        [ ! -e "$XDG/cell/c1" ]
}

@test "rootless: a subuid range through newuidmap lets root in the container chown a file to 1000" {
        need_newuidmap
        read -r suid scount < <(subid /etc/subuid)
        read -r sgid gcount < <(subid /etc/subgid)
        cfg '.root.readonly = false
             | .linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1},
                                     {"containerID": 1, "hostID": $su, "size": $sc}]
             | .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1},
                                     {"containerID": 1, "hostID": $sg, "size": $gc}]' \
                --argjson u "$USER_UID" --argjson g "$USER_GID" --argjson su "$suid" --argjson sc "$scount" \
                --argjson sg "$sgid" --argjson gc "$gcount"
        add_chown_cap
        set_args /bin/sh -c 'cat /proc/self/uid_map; /cellprobe write /tmp/f x && /cellprobe chown /tmp/f 1000 1000 && /cellprobe stat /tmp/f'
        run -0 urun c1
        assert_equal "$(grep -c '^ *[0-9]' <<<"$output")" 2
        assert_equal "$(output_value uid)" 1000
        assert_equal "$(output_value gid)" 1000
        # uid 1000 in the container is the 1000th id of the subordinate range
        assert_equal "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/f")" "$((suid + 999)):$((sgid + 999))"
}

@test "rootless: root in the container may be a subordinate id rather than the user" {
        need_newuidmap
        read -r suid scount < <(subid /etc/subuid)
        read -r sgid gcount < <(subid /etc/subgid)
        cfg '.linux.uidMappings = [{"containerID": 0, "hostID": $su, "size": $sc}]
             | .linux.gidMappings = [{"containerID": 0, "hostID": $sg, "size": $gc}]' \
                --argjson su "$suid" --argjson sc "$scount" --argjson sg "$sgid" --argjson gc "$gcount"
        set_args /cellprobe sleep 30
        ucreate c1
        pid=$(ucell state c1 | jq -r .pid)
        read -r _ ruid _ < <(grep '^Uid:' "/proc/$pid/status")
        assert_equal "$ruid" "$suid"
        # exec.fifo belongs to the user, yet the init (another uid) opened it
        ucell start c1
        assert_equal "$(ustatus c1)" running
        ucell kill c1 KILL
        uwait_status c1 stopped
}

@test "rootless: with newgidmap the user's own groups do not follow the process in" {
        need_newuidmap
        read -r sgid gcount < <(subid /etc/subgid)
        cfg '.linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1},
                                   {"containerID": 1, "hostID": $sg, "size": $gc}]' \
                --argjson g "$USER_GID" --argjson sg "$sgid" --argjson gc "$gcount"
        set_args /cellprobe ids
        run -0 urun c1
        assert_equal "$(output_value groups)" ""
}

@test "rootless: a range /etc/subuid does not grant is refused, naming newuidmap and what it said" {
        need_newuidmap
        read -r suid scount < <(subid /etc/subuid)
        beyond=$((suid + scount))
        cfg '.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1},
                                   {"containerID": 1, "hostID": $b, "size": 10}]' \
                --argjson u "$USER_UID" --argjson b "$beyond"
        run ucell create --bundle "$BUNDLE" c1 </dev/null
        assert_failure
        assert_output_contains "linux.uidMappings: newuidmap "
        assert_output_contains " 0 $USER_UID 1 1 $beyond 10: newuidmap: "
        assert_output_contains "not allowed"
        run -0 ucell list -q
        assert_equal "$output" ""
}

@test "rootless: a gid range /etc/subgid does not grant is refused, naming newgidmap" {
        need_newuidmap
        cfg '.linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
        run ucell create --bundle "$BUNDLE" c1 </dev/null
        assert_failure
        assert_output_contains "linux.gidMappings: newgidmap "
        assert_output_contains " 0 0 1: newgidmap: "
}

@test "rootless: a config written for root runs once a user namespace maps the user" {
        rm "$BUNDLE/config.json"
        ucell spec --bundle "$BUNDLE"
        # network namespace, sysfs, a cgroup mount, devpts with gid=5 (not
        # mapped here); no resources: rootless cgroups are not asked for
        cfg '.process.terminal = false | .process.args = ["/cellprobe", "report"]
             | del(.linux.resources)
             | .linux.namespaces += [{"type": "user"}]
             | .linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}]
             | .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}]' \
                --argjson u "$USER_UID" --argjson g "$USER_GID"
        run -0 urun c1
        grep -q '^/dev/pts devpts ' <<<"$output"
        grep -q '^/sys sysfs ' <<<"$output"
}

@test "rootless: without a pid namespace of its own, /proc is the host's, bound" {
        cfg '.linux.namespaces |= map(select(.type != "pid"))'
        set_args /bin/sh -c 'readlink /proc/self/ns/pid; test -e /proc/1/status && echo proc-ok'
        run -0 urun c1
        assert_equal "$(sed -n 1p <<<"$output")" "$(readlink /proc/self/ns/pid)"
        assert_output_contains proc-ok
}

@test "rootless: without an ipc namespace of its own, /dev/mqueue is the host's, or the error says why" {
        cfg '.linux.namespaces |= map(select(.type != "ipc"))'
        set_args /bin/true
        if grep -q ' /dev/mqueue .* - mqueue ' /proc/self/mountinfo; then
                run -0 urun c1
        else
                run urun c1
                assert_failure
                assert_output_contains "mount mqueue: Operation not permitted (in a user namespace; binding the host's /dev/mqueue instead failed"
        fi
}

@test "rootless: a terminal in the foreground under script(1)" {
        cfg '.process.terminal = true'
        set_args /bin/sh -c 'tty; test -t 0 && echo stdin-tty; exit 5'
        run as_user script -qec "$USER_CELL --root $STATE_ROOT run --bundle $BUNDLE c1" /dev/null </dev/null
        assert_equal "$status" 5
        out=$(tr -d '\r' <<<"$output")
        [[ "$out" == *"/dev/pts/"* ]] || { echo "$out" >&2; return 1; }
        [[ "$out" == *stdin-tty* ]] || { echo "$out" >&2; return 1; }
}

@test "rootless: an idmapped mount of a host directory is refused with the reason" {
        mkdir "$TEST_DIR/src"
        chown "$ROOTLESS_USER:" "$TEST_DIR/src"
        cfg '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["bind", "idmap"],
                          "uidMappings": [{"containerID": 0, "hostID": $u, "size": 1}],
                          "gidMappings": [{"containerID": 0, "hostID": $g, "size": 1}]}]' \
                --arg s "$TEST_DIR/src" --argjson u "$USER_UID" --argjson g "$USER_GID"
        run ucell create --bundle "$BUNDLE" c1 </dev/null
        assert_failure
        assert_output_contains "(/data): idmapped mount of $TEST_DIR/src: Operation not permitted"
        assert_output_contains "needs root"
}

@test "rootless: kill --all reaches the processes of the container beyond its init" {
        cfg '.root.readonly = false'
        # sh is pid 1 and has no TERM handler, so only the child dies of TERM;
        # its end lets sh write the marker.
        set_args /bin/sh -c '/cellprobe sleep 30 & echo $! >/tmp/child; wait; echo gone >/tmp/done; exec /cellprobe sleep 30'
        ucell run --detach --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/out" 2>&1
        wait_file "$BUNDLE/rootfs/tmp/child"
        run -0 ucell kill --all c1 TERM
        wait_file "$BUNDLE/rootfs/tmp/done" gone
        assert_equal "$(ustatus c1)" running
}

@test "rootless: kill --all also when the container's processes run as a subordinate uid" {
        need_newuidmap
        read -r suid scount < <(subid /etc/subuid)
        read -r sgid gcount < <(subid /etc/subgid)
        cfg '.root.readonly = false
             | .linux.uidMappings = [{"containerID": 0, "hostID": $su, "size": $sc}]
             | .linux.gidMappings = [{"containerID": 0, "hostID": $sg, "size": $gc}]' \
                --argjson su "$suid" --argjson sc "$scount" --argjson sg "$sgid" --argjson gc "$gcount"
        set_args /bin/sh -c '/cellprobe sleep 30 & echo $! >/tmp/child; wait; echo gone >/tmp/done; exec /cellprobe sleep 30'
        ucell run --detach --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/out" 2>&1
        wait_file "$BUNDLE/rootfs/tmp/child"
        run -0 ucell kill --all c1 TERM
        wait_file "$BUNDLE/rootfs/tmp/done" gone
        # the marker belongs to the subordinate uid that is root inside
        assert_equal "$(stat -c %u "$BUNDLE/rootfs/tmp/done")" "$suid"
}
