#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The cgroup v2 path. On a pure v2 host these run against the host's
# hierarchy; on a hybrid or v1 host each cell command runs in a private
# mount namespace with cgroup2 mounted on /sys/fs/cgroup, which is the
# machine's unified hierarchy (with whatever controllers it holds: only
# hugetlb on a hybrid host, so memory and pids limits are checked for their
# error there).

load helpers

setup() {
        common_setup
        V2_PRIVATE=false
        if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
                HOST_V2=/sys/fs/cgroup
        elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
                HOST_V2=/sys/fs/cgroup/unified
                V2_PRIVATE=true
        else
                skip "no cgroup2 hierarchy on this machine"
        fi
        CGPATH=/cell-v2-test-$$-$BATS_TEST_NUMBER
        cfg '.linux.cgroupsPath = $p' --arg p "$CGPATH"
}

teardown() {
        if [ -n "${STATE_ROOT:-}" ] && [ -d "$STATE_ROOT" ]; then
                for id in $(v2 list -q 2>/dev/null); do
                        v2 delete -f "$id" >/dev/null 2>&1 || true
                done
        fi
        [ -z "${HOST_V2:-}" ] || rmdir "$HOST_V2$CGPATH" 2>/dev/null || true
        common_teardown
}

# v2 ARGS...: cell with the v2 view of /sys/fs/cgroup.
v2() {
        if $V2_PRIVATE; then
                unshare --mount --propagation private /bin/sh -c \
                        'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"' sh "$CELL" --root "$STATE_ROOT" "$@"
        else
                "$CELL" --root "$STATE_ROOT" "$@"
        fi
}

v2_start() { # ID
        v2 create --bundle "$BUNDLE" "$1" </dev/null >"$TEST_DIR/$1.out" 2>"$TEST_DIR/$1.err" || {
                cat "$TEST_DIR/$1.err" >&2
                return 1
        }
        v2 start "$1"
        INIT=$(v2 state "$1" | jq -r .pid)
}

@test "cgroup v2: the init is in its cgroup, the state records v2, delete removes it" {
        set_args /cellprobe sleep 60
        v2_start c1
        assert_equal "$(jq -r .cgroup.version "$STATE_ROOT/c1/state.json")" 2
        grep -qx "0::$CGPATH" /proc/$INIT/cgroup
        grep -qx "$INIT" "$HOST_V2$CGPATH/cgroup.procs"
        v2 delete -f c1
        [ ! -d "$HOST_V2$CGPATH" ]
}

@test "cgroup v2: the container sees its own cgroup as / through the cgroup namespace" {
        set_namespace cgroup
        set_args /bin/sh -c 'cat /proc/self/cgroup; ls /sys/fs/cgroup/cgroup.procs && echo has-cgroupfs'
        v2 run --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/out" 2>&1
        grep -qx "0::/" "$TEST_DIR/out" || { cat "$TEST_DIR/out" >&2; return 1; }
        grep -q has-cgroupfs "$TEST_DIR/out"
}

@test "cgroup v2: pause and resume freeze through cgroup.freeze" {
        set_args /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.02; done'
        v2_start c1
        wait_file "$BUNDLE/rootfs/tmp/count"
        v2 pause c1
        assert_equal "$(v2 state c1 | jq -r .status)" paused
        grep -qx "frozen 1" "$HOST_V2$CGPATH/cgroup.events"
        a=$(cat "$BUNDLE/rootfs/tmp/count")
        sleep 0.3
        assert_equal "$(cat "$BUNDLE/rootfs/tmp/count")" "$a"
        v2 resume c1
        assert_equal "$(v2 state c1 | jq -r .status)" running
        sleep 0.3
        [ "$(cat "$BUNDLE/rootfs/tmp/count")" -gt "$a" ]
}

@test "cgroup v2: the eBPF device program denies what the rules do not allow" {
        cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
             | .process.capabilities.permitted += ["CAP_MKNOD"]
             | .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
        set_args /bin/sh -c 'echo x >/dev/null && echo null-ok; mknod /tmp/kmsg c 1 11 && echo mknod-ok;
                /cellprobe write /tmp/kmsg cell-device-test || echo kmsg-denied'
        v2 run --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/out" 2>&1 || true
        out=$(cat "$TEST_DIR/out")
        [[ "$out" == *null-ok* && "$out" == *mknod-ok* && "$out" == *kmsg-denied* && "$out" == *EPERM* ]] ||
                { echo "$out" >&2; return 1; }
}

@test "cgroup v2: exec joins the container's cgroup, ps lists both, kill --all uses the cgroup" {
        cfg '.linux.namespaces = [.linux.namespaces[] | select(.type != "pid")]'
        set_args /cellprobe sleep 60
        v2_start c1
        v2 exec --detach --pid-file "$TEST_DIR/e.pid" c1 /cellprobe sleep 60
        epid=$(cat "$TEST_DIR/e.pid")
        grep -qx "0::$CGPATH" /proc/$epid/cgroup
        run v2 ps --format json c1
        [ "$(jq length <<<"$output")" -eq 2 ]
        v2 kill --all c1 KILL
        for i in $(seq 1 50); do
                [ -s "$HOST_V2$CGPATH/cgroup.procs" ] || break
                sleep 0.1
        done
        [ ! -s "$HOST_V2$CGPATH/cgroup.procs" ]
}

@test "cgroup v2: hugetlb limits and the unified map are written" {
        grep -qw hugetlb "$HOST_V2/cgroup.controllers" || skip "no hugetlb controller in the v2 hierarchy"
        [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages"
        cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 6291456}]
             | .linux.resources.unified = {"hugetlb.1GB.max": "1073741824"}'
        set_args /cellprobe sleep 60
        v2_start c1
        assert_equal "$(cat "$HOST_V2$CGPATH/hugetlb.2MB.max")" 6291456
        if [ -e "$HOST_V2$CGPATH/hugetlb.1GB.max" ]; then
                assert_equal "$(cat "$HOST_V2$CGPATH/hugetlb.1GB.max")" 1073741824
        fi
}

@test "cgroup v2: a limit whose controller the hierarchy lacks is an error naming both" {
        grep -qw memory "$HOST_V2/cgroup.controllers" && skip "the memory controller is available in v2 here"
        cfg '.linux.resources.memory = {"limit": 67108864}'
        set_args /bin/true
        run v2 create --bundle "$BUNDLE" c1
        assert_failure
        assert_output_contains "linux.resources.memory"
        assert_output_contains "memory controller"
        [ ! -d "$HOST_V2$CGPATH" ]
}

@test "cgroup v2: memory and pids limits (where the controllers are available)" {
        grep -qw memory "$HOST_V2/cgroup.controllers" || skip "no memory controller in the v2 hierarchy (hybrid host: cgroups.bats covers v1)"
        grep -qw pids "$HOST_V2/cgroup.controllers" || skip "no pids controller in the v2 hierarchy"
        cfg '.linux.resources.memory = {"limit": 67108864, "swap": 134217728} | .linux.resources.pids = {"limit": 20}'
        set_args /cellprobe sleep 60
        v2_start c1
        assert_equal "$(cat "$HOST_V2$CGPATH/memory.max")" 67108864
        assert_equal "$(cat "$HOST_V2$CGPATH/memory.swap.max")" 67108864
        assert_equal "$(cat "$HOST_V2$CGPATH/pids.max")" 20
        run v2 events --stats c1
        [ "$(jq -r .data.pids.current <<<"$output")" -ge 1 ]
}

@test "cgroup v2: update writes the unified files" {
        grep -qw hugetlb "$HOST_V2/cgroup.controllers" || skip "no hugetlb controller in the v2 hierarchy"
        [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages"
        set_args /cellprobe sleep 60
        v2_start c1
        echo '{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}' >"$TEST_DIR/res.json"
        v2 update --resources "$TEST_DIR/res.json" c1
        assert_equal "$(cat "$HOST_V2$CGPATH/hugetlb.2MB.max")" 2097152
}
