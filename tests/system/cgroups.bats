#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# linux.resources and cgroupsPath on the machine's cgroup v1 (or hybrid)
# hierarchies: the container's cgroup, its limits, OOM kills, the device
# list, pause/resume, update, ps, events, and removal on delete.
#
# cgroup2.bats covers the unified (v2) path in a private mount namespace.

load helpers

setup() {
        common_setup
        CG=/sys/fs/cgroup
        [ "$(stat -f -c %T $CG)" != cgroup2fs ] || skip "this file is for cgroup v1/hybrid machines; cgroup2.bats covers v2"
        [ -d $CG/memory ] || skip "no v1 memory hierarchy at $CG/memory"
        # A path of its own per test, so that a leftover shows up as a failure.
        CGPATH=/cell-test-$$-$BATS_TEST_NUMBER
        cfg '.linux.cgroupsPath = $p' --arg p "$CGPATH"
}

teardown() {
        common_teardown
        local h
        for h in $CG/*/; do
                [ -d "$h$CGPATH" ] && rmdir "$h$CGPATH" 2>/dev/null || true
        done
        return 0
}

start_sleeper() {
        set_args /cellprobe sleep 60
        create_ctr c1 "$@"
        cell start c1
        INIT=$(ctr_pid c1)
}

@test "cgroups: the init is in the container's cgroup in every hierarchy" {
        start_sleeper
        for h in memory pids cpu,cpuacct cpu devices freezer blkio; do
                line=$(grep -E "^[0-9]+:$h:" /proc/$INIT/cgroup) || continue
                assert_equal "${line#*:*:}" "$CGPATH"
        done
        grep -q "^.*:memory:$CGPATH\$" /proc/$INIT/cgroup
        grep -qx "$INIT" $CG/memory$CGPATH/cgroup.procs
}

@test "cgroups: without cgroupsPath the cgroup is /cell/<id>" {
        cfg 'del(.linux.cgroupsPath)'
        start_sleeper
        grep -q ":memory:/cell/c1\$" /proc/$INIT/cgroup
        cell delete -f c1
        [ ! -d $CG/memory/cell/c1 ]
}

@test "cgroups: a relative cgroupsPath is taken from the hierarchy's root" {
        cfg '.linux.cgroupsPath = $p' --arg p "${CGPATH#/}"
        start_sleeper
        grep -q ":memory:$CGPATH\$" /proc/$INIT/cgroup
}

@test "cgroups: --systemd-cgroup takes slice:prefix:name" {
        cfg '.linux.cgroupsPath = $p' --arg p "celltest.slice:cell:$$-sd"
        set_args /cellprobe sleep 60
        "$CELL" --root "$STATE_ROOT" --systemd-cgroup create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>&1
        INIT=$(ctr_pid c1)
        grep -q ":memory:/celltest.slice/cell-$$-sd.scope\$" /proc/$INIT/cgroup
        "$CELL" --root "$STATE_ROOT" delete -f c1
        [ ! -d "$CG/memory/celltest.slice/cell-$$-sd.scope" ]
        rmdir $CG/*/celltest.slice 2>/dev/null || true
}

@test "cgroups: delete removes the cgroup from every hierarchy" {
        start_sleeper
        [ -d $CG/memory$CGPATH ]
        cell delete -f c1
        for h in $CG/*/; do
                [ ! -d "$h$CGPATH" ] || { echo "left behind: $h$CGPATH" >&2; return 1; }
        done
}

@test "cgroups: memory limit, reservation, swap and swappiness are written" {
        cfg '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728, "swappiness": 10}'
        start_sleeper
        assert_equal "$(cat $CG/memory$CGPATH/memory.limit_in_bytes)" 67108864
        assert_equal "$(cat $CG/memory$CGPATH/memory.soft_limit_in_bytes)" 33554432
        assert_equal "$(cat $CG/memory$CGPATH/memory.swappiness)" 10
        if [ -e $CG/memory$CGPATH/memory.memsw.limit_in_bytes ]; then
                assert_equal "$(cat $CG/memory$CGPATH/memory.memsw.limit_in_bytes)" 134217728
        fi
}

@test "cgroups: an allocation past the memory limit is OOM-killed: exit 137" {
        cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
        set_args /cellprobe alloc 128
        run run_ctr c1
        [ "$status" -eq 137 ] || { echo "status $status: $output" >&2; return 1; }
}

@test "cgroups: events reports an OOM kill" {
        cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
        set_args /bin/sh -c 'read x </tmp/go; /cellprobe alloc 128; sleep 5'
        mkfifo "$BUNDLE/rootfs/tmp/go"
        create_ctr c1
        cell start c1
        cell events --interval 60s c1 >"$TEST_DIR/events" 2>&1 &
        EV=$!
        sleep 0.3
        echo go >"$BUNDLE/rootfs/tmp/go"
        wait_file "$TEST_DIR/events" '"type":"oom"'
        kill "$EV" 2>/dev/null || true
        wait "$EV" 2>/dev/null || true
        grep -q '"id":"c1"' "$TEST_DIR/events"
}

@test "cgroups: cpu shares, quota, period and cpuset are written" {
        cfg '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}'
        start_sleeper
        cpu=$CG/cpu$CGPATH
        [ -d "$cpu" ] || cpu=$CG/cpu,cpuacct$CGPATH
        assert_equal "$(cat $cpu/cpu.shares)" 512
        assert_equal "$(cat $cpu/cpu.cfs_quota_us)" 50000
        assert_equal "$(cat $cpu/cpu.cfs_period_us)" 100000
        assert_equal "$(cat $CG/cpuset$CGPATH/cpuset.cpus)" 0
        assert_equal "$(cat $CG/cpuset$CGPATH/cpuset.mems)" 0
        grep -E '^Cpus_allowed_list:' /proc/$INIT/status | grep -qw 0
}

@test "cgroups: the pids limit stops forks past it" {
        cfg '.linux.resources.pids = {"limit": 10}'
        set_args /cellprobe forks 20
        run run_ctr c1
        assert_output_contains "failed="
        failed=$(grep -o 'failed=[0-9]*' <<<"$output" | cut -d= -f2)
        [ "$failed" -gt 0 ]
        assert_output_contains "error=EAGAIN"
}

@test "cgroups: blkio weight and throttling are written" {
        [ -e $CG/blkio/blkio.throttle.read_bps_device ] || skip "no blkio throttling here"
        dev=$(cat /sys/dev/block/7:0/dev 2>/dev/null || echo)
        [ -n "$dev" ] || skip "no block device 7:0 to throttle"
        cfg '.linux.resources.blockIO = {"throttleReadBpsDevice": [{"major": 7, "minor": 0, "rate": 1048576}],
             "throttleWriteIOPSDevice": [{"major": 7, "minor": 0, "rate": 100}]}'
        start_sleeper
        grep -qx "7:0 1048576" $CG/blkio$CGPATH/blkio.throttle.read_bps_device
        grep -qx "7:0 100" $CG/blkio$CGPATH/blkio.throttle.write_iops_device
}

@test "cgroups: a bad value is an error naming the resource, and nothing is left behind" {
        cfg '.linux.resources.cpu = {"cpus": "4096-4097"}'
        set_args /bin/true
        run try_create c1
        assert_failure
        assert_output_contains "linux.resources.cpu.cpus"
        for h in $CG/*/; do
                [ ! -d "$h$CGPATH" ] || { echo "left behind: $h$CGPATH" >&2; return 1; }
        done
        run cell state c1
        assert_failure
}

@test "cgroups: the device list denies what it does not allow" {
        # The standard devices are always allowed (as with runc); a node
        # made inside for another device (1:11, /dev/kmsg, which root may
        # open for writing without any capability) is not.
        cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
             | .process.capabilities.permitted += ["CAP_MKNOD"]'
        cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"},
             {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
             {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
             {"allow": true, "type": "c", "major": 136, "access": "rwm"},
             {"allow": true, "type": "c", "major": 5, "minor": 2, "access": "rwm"},
             {"allow": true, "type": "c", "major": 1, "minor": 7, "access": "m"}]'
        set_args /bin/sh -c 'echo x >/dev/null && echo null-ok; mknod /tmp/kmsg c 1 11 && echo mknod-ok; /cellprobe write /tmp/kmsg cell-device-test || echo kmsg-denied'
        run run_ctr c1
        assert_output_contains null-ok
        assert_output_contains mknod-ok
        assert_output_contains kmsg-denied
        assert_output_contains "EPERM"
}

@test "cgroups: hugetlb limits are written (v1 hugetlb or the hybrid unified hierarchy)" {
        [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages"
        cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
        start_sleeper
        if [ -d $CG/hugetlb ]; then
                assert_equal "$(cat $CG/hugetlb$CGPATH/hugetlb.2MB.limit_in_bytes)" 4194304
        else
                assert_equal "$(cat $CG/unified$CGPATH/hugetlb.2MB.max)" 4194304
        fi
}

@test "pause and resume: the processes freeze and thaw, state says paused" {
        set_args /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.02; done'
        create_ctr c1
        cell start c1
        wait_file "$BUNDLE/rootfs/tmp/count"
        run cell pause c1
        assert_success
        assert_equal "$(ctr_status c1)" paused
        a=$(cat "$BUNDLE/rootfs/tmp/count")
        sleep 0.3
        b=$(cat "$BUNDLE/rootfs/tmp/count")
        assert_equal "$b" "$a"
        run cell resume c1
        assert_success
        assert_equal "$(ctr_status c1)" running
        sleep 0.3
        c=$(cat "$BUNDLE/rootfs/tmp/count")
        [ "$c" -gt "$b" ]
}

@test "pause: a paused container can be killed and deleted" {
        start_sleeper
        cell pause c1
        run cell delete -f c1
        assert_success
        [ ! -d /proc/$INIT ] || [ "$(awk '{print $3}' /proc/$INIT/stat 2>/dev/null)" = Z ]
        [ ! -d $CG/memory$CGPATH ]
}

@test "resume: a running container is not paused: clear error" {
        start_sleeper
        run cell resume c1
        assert_failure
        assert_output_contains "not paused"
}

@test "update: flags change memory, pids and cpu of a running container" {
        start_sleeper
        run cell update --memory 96m --pids-limit 33 --cpu-share 300 c1
        assert_success
        assert_equal "$(cat $CG/memory$CGPATH/memory.limit_in_bytes)" $((96 << 20))
        assert_equal "$(cat $CG/pids$CGPATH/pids.max)" 33
        cpu=$CG/cpu$CGPATH
        [ -d "$cpu" ] || cpu=$CG/cpu,cpuacct$CGPATH
        assert_equal "$(cat $cpu/cpu.shares)" 300
}

@test "update: --resources reads an OCI resources object (file or stdin)" {
        start_sleeper
        echo '{"memory": {"limit": 50331648}, "pids": {"limit": 44}}' >"$TEST_DIR/res.json"
        run cell update --resources "$TEST_DIR/res.json" c1
        assert_success
        assert_equal "$(cat $CG/memory$CGPATH/memory.limit_in_bytes)" 50331648
        assert_equal "$(cat $CG/pids$CGPATH/pids.max)" 44
        echo '{"pids": {"limit": 55}}' | cell update -r - c1
        assert_equal "$(cat $CG/pids$CGPATH/pids.max)" 55
}

@test "update: a bad resources document is refused with the field named" {
        start_sleeper
        echo '{"memory": {"limit": "lots"}}' >"$TEST_DIR/res.json"
        run cell update --resources "$TEST_DIR/res.json" c1
        assert_failure
        assert_output_contains "linux.resources.memory.limit"
}

@test "ps: lists the container's processes (json and table)" {
        start_sleeper
        cell exec --detach --pid-file "$TEST_DIR/e.pid" c1 /cellprobe sleep 30
        epid=$(cat "$TEST_DIR/e.pid")
        run cell ps --format json c1
        assert_success
        [ "$(jq length <<<"$output")" -eq 2 ]
        jq -e --argjson p "$INIT" 'index($p) != null' <<<"$output"
        jq -e --argjson p "$epid" 'index($p) != null' <<<"$output"
        run cell ps c1
        assert_success
        assert_output_contains PID
        [ "$(wc -l <<<"$output")" -eq 3 ]
}

@test "events --stats: memory, cpu and pids usage" {
        cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}'
        start_sleeper
        run cell events --stats c1
        assert_success
        assert_equal "$(jq -r .type <<<"$output")" stats
        [ "$(jq -r .data.memory.usage.usage <<<"$output")" -gt 0 ]
        assert_equal "$(jq -r .data.memory.usage.limit <<<"$output")" 67108864
        [ "$(jq -r .data.pids.current <<<"$output")" -ge 1 ]
        assert_equal "$(jq -r .data.pids.limit <<<"$output")" 50
        [ "$(jq -r .data.cpu.usage.total <<<"$output")" -gt 0 ]
}

@test "events: stats come every --interval and the stream ends when the container stops" {
        start_sleeper
        timeout 10 "$CELL" --root "$STATE_ROOT" events --interval 200ms c1 >"$TEST_DIR/events" &
        EV=$!
        sleep 1
        cell kill c1 KILL
        wait "$EV"
        n=$(grep -c '"type":"stats"' "$TEST_DIR/events")
        [ "$n" -ge 3 ] || { cat "$TEST_DIR/events" >&2; return 1; }
}

@test "kill --all: reaches every process of the cgroup without a pid namespace" {
        cfg '.linux.namespaces = [.linux.namespaces[] | select(.type != "pid")]'
        set_args /bin/sh -c '/cellprobe sleep 60 & /cellprobe sleep 60 & wait'
        create_ctr c1
        cell start c1
        sleep 0.2
        run cell ps --format json c1
        [ "$(jq length <<<"$output")" -eq 3 ]
        pids=$(jq -r '.[]' <<<"$output")
        cell kill --all c1 KILL
        for i in $(seq 1 50); do
                alive=0
                for p in $pids; do [ -d /proc/$p ] && [ "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" != Z ] && alive=1; done
                [ $alive -eq 0 ] && break
                sleep 0.1
        done
        [ $alive -eq 0 ]
}
