#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Regression tests for known container breakouts. Each must fail if the
# protection breaks. (The CVE-2021-30465 mount symlink tests live in mounts.bats.)

load helpers

ATTACK_PID=

teardown() {
        if [ -n "$ATTACK_PID" ]; then
                kill "$ATTACK_PID" 2>/dev/null || true
                wait "$ATTACK_PID" 2>/dev/null || true
        fi
        common_teardown
}

# --- CVE-2024-21626: a leaked host directory fd as the process cwd -------------------

@test "CVE-2024-21626: cwd /proc/self/fd/N never lands outside the rootfs" {
        marker=$TEST_DIR/host-marker
        echo host >"$marker"
        up=$(printf '../%.0s' $(seq 1 30))
        rel=$up${marker#/}
        for n in $(seq 3 12); do
                cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
                set_args /bin/sh -c "/cellprobe cwd; /cellprobe ls-escape '$rel'"
                run run_ctr "c$n"
                if [ "$status" -eq 0 ]; then
                        if printf '%s\n' "$output" | grep -qx visible; then
                                echo "fd $n: the host marker is visible from the cwd: $output" >&2
                                return 1
                        fi
                fi
                cell delete --force "c$n" >/dev/null 2>&1 || true
        done
}

@test "CVE-2024-21626: cwd /proc/self/fd/N with create and start" {
        marker=$TEST_DIR/host-marker
        echo host >"$marker"
        up=$(printf '../%.0s' $(seq 1 30))
        rel=$up${marker#/}
        for n in $(seq 3 12); do
                cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
                set_args /bin/sh -c "/cellprobe ls-escape '$rel' >/tmp/escape-$n"
                rm -f "$BUNDLE/rootfs/tmp/escape-$n"
                if create_ctr "c$n" && cell start "c$n" 2>/dev/null; then
                        wait_status "c$n" stopped || true
                        if [ -e "$BUNDLE/rootfs/tmp/escape-$n" ] && grep -qx visible "$BUNDLE/rootfs/tmp/escape-$n"; then
                                echo "fd $n: the host marker is visible from the cwd" >&2
                                return 1
                        fi
                fi
                cell delete --force "c$n" >/dev/null 2>&1 || true
        done
}

@test "CVE-2024-21626: the process gets only fds 0, 1 and 2 (run)" {
        set_args /cellprobe fds
        run -0 run_ctr c1
        fds=$(printf '%s\n' "$output" | awk '{print $1}' | paste -sd, -)
        assert_equal "$fds" "0,1,2"
}

@test "CVE-2024-21626: the process gets only fds 0, 1 and 2 (create and start)" {
        set_args /bin/sh -c 'exec /cellprobe fds'
        # extra descriptors open in the caller must not reach the container
        create_ctr c1 7</etc/hostname 9<"$BUNDLE/config.json"
        cell start c1
        wait_status c1 stopped
        fds=$(awk '{print $1}' "$TEST_DIR/c1.out" | paste -sd, -)
        assert_equal "$fds" "0,1,2"
}

# --- CVE-2019-5736: overwriting the runtime binary through /proc/PID/exe -------------

@test "CVE-2019-5736: a process in the container cannot open the host's cell binary for writing" {
        # The attacker is a process of the container (joined with `cell exec`,
        # with the container's capabilities) that looks at pid 1 while it is
        # still cell's init, before start, and tries to write the binary once
        # the init has executed the user's program.
        sum_before=$(sha256sum "$(readlink -f "$CELL")" | cut -d' ' -f1)
        set_args /cellprobe sleep 2
        create_ctr c1
        cell exec --detach c1 /cellprobe exe-attack 1 /tmp/out \
                </dev/null >"$TEST_DIR/attack.out" 2>"$TEST_DIR/attack.err"
        wait_file "$BUNDLE/rootfs/tmp/out" ready
        cell start c1
        wait_file "$TEST_DIR/attack.out" "open="
        result=$(cat "$TEST_DIR/attack.out")
        echo "attack: $result $(cat "$TEST_DIR/attack.err")" >&2
        if [[ "$result" == open=ok* && "$result" != *fstype=memfd* ]]; then
                echo "the container got a writable handle on the runtime binary: $result" >&2
                return 1
        fi
        sum_after=$(sha256sum "$(readlink -f "$CELL")" | cut -d' ' -f1)
        assert_equal "$sum_after" "$sum_before"
}

@test "CVE-2019-5736: the container's view of /proc/1/exe before start is not the host binary" {
        set_args /cellprobe sleep 2
        create_ctr c1
        pid=$(ctr_pid c1)
        target=$(readlink "/proc/$pid/exe" || true)
        real=$(readlink -f "$CELL")
        # Either the init runs from a sealed memfd copy, or (non-dumpable) its
        # exe is out of reach of the container's processes.
        if [ "$target" = "$real" ]; then
                assert_equal "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" 0
                run cell exec c1 /cellprobe read /proc/1/exe
                assert_failure
                assert_output_contains EACCES
        fi
}

@test "CVE-2019-5736: a container with CAP_SYS_PTRACE gets an init from the sealed copy" {
        cfg '.process.capabilities.bounding += ["CAP_SYS_PTRACE"]'
        set_args /cellprobe sleep 2
        create_ctr c1
        pid=$(ctr_pid c1)
        [[ "$(readlink "/proc/$pid/exe")" == /memfd:* ]] || { readlink "/proc/$pid/exe" >&2; return 1; }
}

@test "CVE-2019-5736: a container sharing the host's pid namespace gets an init from the sealed copy" {
        cfg '.linux.namespaces = [.linux.namespaces[] | select(.type != "pid")]'
        set_args /cellprobe sleep 2
        create_ctr c1
        pid=$(ctr_pid c1)
        [[ "$(readlink "/proc/$pid/exe")" == /memfd:* ]] || { readlink "/proc/$pid/exe" >&2; return 1; }
}

@test "CVE-2019-5736: exec with CAP_SYS_PTRACE into an unstarted container whose init is not sealed is refused" {
        set_args /cellprobe sleep 5
        create_ctr c1
        [[ "$(readlink "/proc/$(ctr_pid c1)/exe")" != /memfd:* ]] || skip "the init runs from the sealed copy here"
        run cell exec --cap CAP_SYS_PTRACE c1 /cellprobe read /proc/1/exe
        assert_failure
        assert_output_contains "CAP_SYS_PTRACE"
        cell start c1
        run cell exec --cap CAP_SYS_PTRACE c1 /bin/true
        assert_success
}

# --- CVE-2022-0492: cgroup v1 release_agent written from a container ---------------

@test "CVE-2022-0492: a container with default capabilities cannot set a cgroup v1 release_agent" {
        ls /sys/fs/cgroup/*/release_agent >/dev/null 2>&1 || skip "no cgroup v1 hierarchy here (release_agent is v1 only)"
        before=$(cat /sys/fs/cgroup/*/release_agent | md5sum)
        # Every way in: the cgroup mounts the container has, a new mount of a
        # hierarchy, and a new user (+ mount) namespace where the
        # process is root again.
        set_args /bin/sh -c '
                for f in /sys/fs/cgroup/*/release_agent /sys/fs/cgroup/release_agent; do
                        [ -e "$f" ] && echo /tmp/evil >"$f" 2>/dev/null && echo "WROTE $f"
                done
                mkdir -p /tmp/cg
                for c in memory rdma pids; do
                        mount -t cgroup -o $c cgroup /tmp/cg 2>/dev/null && echo "MOUNTED $c" &&
                                { echo /tmp/evil >/tmp/cg/release_agent 2>/dev/null && echo "WROTE $c"; umount /tmp/cg; }
                done
                unshare -U -r -m sh -c "
                        for c in memory rdma pids; do
                                mount -t cgroup -o \$c cgroup /tmp/cg 2>/dev/null &&
                                        { echo /tmp/evil >/tmp/cg/release_agent 2>/dev/null && echo WROTE-USERNS-\$c; umount /tmp/cg; }
                        done; echo userns-tried" || echo userns-refused
                echo done'
        run run_ctr c1
        assert_output_contains done
        assert_output_not_contains WROTE
        assert_output_not_contains MOUNTED
        assert_equal "$(cat /sys/fs/cgroup/*/release_agent | md5sum)" "$before"
}
