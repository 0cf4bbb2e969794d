#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The process section: args, env, cwd, user, umask, rlimits, capabilities,
# noNewPrivileges, oomScoreAdj, and linux.sysctl.

load helpers

@test "process: args are passed as given" {
        set_args /bin/sh -c 'printf "%s|" "$@"' argv0 "one two" "" three
        run -0 run_ctr c1
        assert_equal "$output" "one two||three|"
}

@test "process: env is exactly the configured environment" {
        cfg '.process.env = ["FOO=bar baz", "PATH=/bin", "EMPTY="]'
        set_args /cellprobe env
        run -0 run_ctr c1
        assert_output_contains "FOO=bar baz"
        assert_output_contains "EMPTY="
        assert_output_contains "PATH=/bin"
        # nothing from the caller's environment leaks in
        assert_output_not_contains "BATS_"
        assert_output_not_contains "STATE_ROOT"
}

@test "process: args[0] is looked up in the configured PATH" {
        cfg '.process.env = ["PATH=/bin"]'
        set_args cellprobe-nope
        run run_ctr c1
        assert_failure
        cp "$BUNDLE/rootfs/cellprobe" "$BUNDLE/rootfs/bin/cellprobe"
        set_args cellprobe exit 4
        run -4 run_ctr c2
}

@test "process: a missing executable is an error naming it" {
        set_args /no/such/binary
        run run_ctr c1
        assert_failure
        assert_output_contains "/no/such/binary"
}

@test "process: cwd is the configured directory" {
        mkdir -p "$BUNDLE/rootfs/work/dir"
        cfg '.process.cwd = "/work/dir"'
        set_args /cellprobe cwd
        run -0 run_ctr c1
        assert_equal "$output" /work/dir
}

@test "process: user uid, gid and additionalGids" {
        cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 2001]}'
        set_args /cellprobe ids
        run -0 run_ctr c1
        assert_equal "$(output_value uid)" 1000
        assert_equal "$(output_value euid)" 1000
        assert_equal "$(output_value gid)" 1001
        assert_equal "$(output_value egid)" 1001
        groups=$(output_value groups)
        [[ ",$groups," == *",2000,"* ]]
        [[ ",$groups," == *",2001,"* ]]
        # the host's supplementary groups (root's) are not kept
        [[ ",$groups," != *",0,"* ]]
}

@test "process: umask from process.user.umask" {
        cfg '.process.user.umask = 63'
        set_args /bin/sh -c '/cellprobe umask; /cellprobe write /tmp/f x; /cellprobe stat /tmp/f'
        run -0 run_ctr c1
        assert_equal "${lines[0]}" 0077
        assert_equal "$(output_value mode)" 0600
}

@test "process: the default umask is 0022" {
        set_args /cellprobe umask
        run -0 run_ctr c1
        assert_equal "$output" 0022
}

@test "process: rlimits are applied (soft and hard)" {
        hard=$(ulimit -Hn)
        [ "$hard" = unlimited ] && hard=1048576
        soft=$((hard / 2))
        cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $s, "hard": $h},
                                 {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]' \
                --argjson s "$soft" --argjson h "$hard"
        set_args /bin/sh -c '/cellprobe rlimit NOFILE; /cellprobe rlimit CORE'
        run -0 run_ctr c1
        assert_equal "${lines[0]}" "soft=$soft hard=$hard"
        assert_equal "${lines[1]}" "soft=0 hard=0"
}

@test "process: an rlimit above the hard limit fails naming the rlimit" {
        hard=$(ulimit -Hn)
        [ "$hard" != unlimited ] || skip "no hard limit on RLIMIT_NOFILE here"
        more=$((hard * 2))
        cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $m, "hard": $m}]' --argjson m "$more"
        set_args /cellprobe rlimit NOFILE
        run run_ctr c1
        assert_failure
        assert_output_contains "RLIMIT_NOFILE"
}

@test "process: an unknown rlimit type is refused" {
        cfg '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
        set_args /cellprobe exit 0
        run run_ctr c1
        assert_failure
        assert_output_contains "RLIMIT_BOGUS"
}

# CAP_CHOWN = bit 0, CAP_KILL = bit 5, CAP_NET_BIND_SERVICE = bit 10.
# For uid 0 the kernel makes effective = permitted at execve, so the root test
# gives the two the same value; the non-root test shows that only ambient
# capabilities survive execve.
@test "process: capability sets are exactly as given" {
        cfg '.process.capabilities = {
                "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                "permitted": ["CAP_CHOWN", "CAP_KILL"],
                "effective": ["CAP_CHOWN", "CAP_KILL"],
                "inheritable": ["CAP_KILL"],
                "ambient": []}'
        set_args /cellprobe caps
        run -0 run_ctr c1
        assert_equal "$(output_value CapBnd)" 0000000000000421
        assert_equal "$(output_value CapPrm)" 0000000000000021
        assert_equal "$(output_value CapEff)" 0000000000000021
        assert_equal "$(output_value CapInh)" 0000000000000020
        assert_equal "$(output_value CapAmb)" 0000000000000000
}

@test "process: the default spec's capabilities are the only ones" {
        set_args /cellprobe caps
        run -0 run_ctr c1
        # CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
        assert_equal "$(output_value CapBnd)" 0000000020000420
        assert_equal "$(output_value CapEff)" 0000000020000420
}

@test "process: ambient capabilities survive execve for a non-root user" {
        cfg '.process.user = {"uid": 1000, "gid": 1000}
             | .process.capabilities = {
                "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                "inheritable": ["CAP_NET_BIND_SERVICE"],
                "ambient": ["CAP_NET_BIND_SERVICE"]}'
        set_args /cellprobe caps
        run -0 run_ctr c1
        assert_equal "$(output_value CapBnd)" 0000000000000420
        assert_equal "$(output_value CapInh)" 0000000000000400
        assert_equal "$(output_value CapAmb)" 0000000000000400
        assert_equal "$(output_value CapPrm)" 0000000000000400
        assert_equal "$(output_value CapEff)" 0000000000000400
}

@test "process: no capabilities at all" {
        cfg '.process.capabilities = {"bounding": [], "permitted": [], "effective": [], "inheritable": [], "ambient": []}'
        set_args /bin/sh -c '/cellprobe caps; /cellprobe write /proc/sys/kernel/nope x 2>/dev/null; true'
        run -0 run_ctr c1
        assert_equal "$(output_value CapBnd)" 0000000000000000
        assert_equal "$(output_value CapEff)" 0000000000000000
}

@test "process: an unknown capability name is refused" {
        cfg '.process.capabilities.bounding += ["CAP_NOT_A_CAP"]'
        set_args /cellprobe exit 0
        run run_ctr c1
        assert_failure
        assert_output_contains "CAP_NOT_A_CAP"
}

@test "process: noNewPrivileges true sets no_new_privs" {
        cfg '.process.noNewPrivileges = true'
        set_args /cellprobe nnp
        run -0 run_ctr c1
        assert_equal "$output" 1
}

@test "process: noNewPrivileges false leaves no_new_privs unset" {
        cfg '.process.noNewPrivileges = false'
        set_args /cellprobe nnp
        run -0 run_ctr c1
        assert_equal "$output" 0
}

@test "process: oomScoreAdj raises the score" {
        cfg '.process.oomScoreAdj = 500'
        set_args /cellprobe oomscore
        run -0 run_ctr c1
        assert_equal "$output" 500
}

@test "process: lowering oomScoreAdj without CAP_SYS_RESOURCE is a clear error" {
        if grep -q '^CapEff:.*' /proc/self/status && (( 0x$(awk '/^CapEff/ {print $2}' /proc/self/status) & (1 << 24) )); then
                skip "this host has CAP_SYS_RESOURCE: lowering would succeed"
        fi
        cur=$(cat /proc/self/oom_score_adj)
        cfg '.process.oomScoreAdj = $v' --argjson v $((cur - 100))
        set_args /cellprobe oomscore
        run run_ctr c1
        assert_failure
        [[ "$output" == *oomScoreAdj* || "$output" == *oom_score_adj* ]]
}

@test "sysctl: kernel.shmmax is set in the new ipc namespace" {
        host=$(cat /proc/sys/kernel/shmmax)
        cfg '.linux.sysctl = {"kernel.shmmax": "123456789"}'
        set_args /cellprobe sysctl kernel.shmmax
        run run_ctr c1
        assert_success
        assert_equal "$output" 123456789
        assert_equal "$(cat /proc/sys/kernel/shmmax)" "$host"
}

@test "sysctl: net.ipv4.ip_forward is set in the new network namespace" {
        host=$(cat /proc/sys/net/ipv4/ip_forward)
        want=$((1 - host))
        cfg '.linux.sysctl = {"net.ipv4.ip_forward": $v}' --arg v "$want"
        set_args /cellprobe sysctl net.ipv4.ip_forward
        run run_ctr c1
        assert_success
        assert_equal "$output" "$want"
        assert_equal "$(cat /proc/sys/net/ipv4/ip_forward)" "$host"
}

@test "sysctl: a net.* sysctl without a new network namespace is refused" {
        # ask for the host's current value, so that a runtime that wrongly writes
        # the host's sysctl changes nothing
        host=$(cat /proc/sys/net/ipv4/ip_forward)
        cfg '.linux.namespaces |= map(select(.type != "network"))
             | .linux.sysctl = {"net.ipv4.ip_forward": $v}' --arg v "$host"
        set_args /cellprobe exit 0
        run run_ctr c1
        assert_failure
        assert_output_contains "net.ipv4.ip_forward"
}

@test "sysctl: an ipc sysctl without a new ipc namespace is refused" {
        # the host's current value, so that a runtime that wrongly writes the
        # host's sysctl changes nothing
        host=$(cat /proc/sys/kernel/shmmax)
        cfg '.linux.namespaces |= map(select(.type != "ipc"))
             | .linux.sysctl = {"kernel.shmmax": $v}' --arg v "$host"
        set_args /cellprobe exit 0
        run run_ctr c1
        assert_failure
        assert_output_contains "kernel.shmmax"
}

@test "sysctl: a sysctl that is not namespaced is refused" {
        host=$(cat /proc/sys/vm/overcommit_memory)
        cfg '.linux.sysctl = {"vm.overcommit_memory": $v}' --arg v "$host"
        set_args /cellprobe exit 0
        run run_ctr c1
        assert_failure
        assert_output_contains "vm.overcommit_memory"
}
