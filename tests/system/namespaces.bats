#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# New and joined namespaces, compared with the host's through /proc/self/ns.

load helpers

NETNS_NAME=

teardown() {
        common_teardown
        if [ -n "$NETNS_NAME" ]; then
                ip netns del "$NETNS_NAME" 2>/dev/null || true
        fi
}

host_ns() { # NAME
        readlink "/proc/self/ns/$1"
}

# ns_of_ctr: run `cellprobe ns` in a container and set $output.
probe_ns() {
        set_args /cellprobe ns
        run -0 run_ctr "${1:-c1}"
}

# every namespace that the default spec makes new differs from the host's
@test "namespaces: pid, network, ipc, uts, mount and cgroup are new" {
        probe_ns
        for pair in pid:pid net:network ipc:ipc uts:uts mnt:mount cgroup:cgroup; do
                name=${pair%%:*}
                inside=$(output_value "$name")
                [ -n "$inside" ]
                if [ "$inside" = "$(host_ns "$name")" ]; then
                        echo "namespace $name is the host's: $inside" >&2
                        return 1
                fi
        done
}

@test "namespaces: without a user namespace the user ns is the host's" {
        probe_ns
        assert_equal "$(output_value user)" "$(host_ns user)"
}

@test "namespaces: a namespace left out of the config is shared with the host" {
        cfg '.linux.namespaces |= map(select(.type != "ipc" and .type != "network"))'
        probe_ns
        assert_equal "$(output_value ipc)" "$(host_ns ipc)"
        assert_equal "$(output_value net)" "$(host_ns net)"
        [ "$(output_value uts)" != "$(host_ns uts)" ]
}

@test "namespaces: a new user namespace with mappings" {
        set_namespace user
        cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
             | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
        # the rootfs must be reachable by the mapped root
        chown -R 100000:100000 "$BUNDLE/rootfs"
        set_args /bin/sh -c '/cellprobe ns; cat /proc/self/uid_map'
        run -0 run_ctr c1
        [ "$(output_value user)" != "$(host_ns user)" ]
        assert_output_contains "100000"
}

@test "namespaces: a new time namespace" {
        [ -e /proc/self/ns/time ] || skip "no time namespaces on this kernel"
        set_namespace time
        probe_ns
        [ "$(output_value time)" != "$(host_ns time)" ]
}

@test "namespaces: the process is pid 1 in its pid namespace" {
        set_args /cellprobe pid
        run -0 run_ctr c1
        assert_equal "$output" 1
}

@test "namespaces: joining a network namespace by path (ip netns)" {
        NETNS_NAME=celltest-$$-$BATS_TEST_NUMBER
        ip netns add "$NETNS_NAME" || skip "ip netns add failed"
        ino=$(stat -L -c %i "/run/netns/$NETNS_NAME")
        set_namespace network "/run/netns/$NETNS_NAME"
        probe_ns
        assert_equal "$(output_value net)" "net:[$ino]"
}

@test "namespaces: joining the network and ipc namespaces of another running container" {
        set_args /cellprobe sleep 30
        create_ctr first
        pid=$(ctr_pid first)
        first_net=$(readlink "/proc/$pid/ns/net")
        first_ipc=$(readlink "/proc/$pid/ns/ipc")
        [ "$first_net" != "$(host_ns net)" ]
        set_namespace network "/proc/$pid/ns/net"
        set_namespace ipc "/proc/$pid/ns/ipc"
        probe_ns second
        assert_equal "$(output_value net)" "$first_net"
        assert_equal "$(output_value ipc)" "$first_ipc"
        # and the others stay its own
        [ "$(output_value uts)" != "$(readlink "/proc/$pid/ns/uts")" ]
}

@test "namespaces: a namespace path that does not exist is an error" {
        set_namespace network "$TEST_DIR/no-such-ns"
        set_args /cellprobe ns
        run run_ctr c1
        assert_failure
        assert_output_contains "no-such-ns"
}

@test "namespaces: a path that is not a namespace of that type is refused" {
        # an ipc namespace given as the network namespace
        set_namespace network /proc/self/ns/ipc
        set_args /cellprobe ns
        run run_ctr c1
        assert_failure
}
