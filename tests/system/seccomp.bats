#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# linux.seccomp: the filter the process runs under, loaded after the
# runtime's own set-up, and clear errors for a bad one.

load helpers

setup() {
        common_setup
}

@test "seccomp: a rule's errnoRet is what the syscall returns" {
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
              "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
        set_args /bin/sh -c 'mkdir /tmp/x 2>&1; echo rc=$?; grep ^Seccomp: /proc/self/status'
        run run_ctr c1
        assert_output_contains "Permission denied"
        assert_output_contains "rc=1"
        assert_output_contains "Seccomp:	2"
}

@test "seccomp: defaultAction ERRNO with defaultErrnoRet, an allow list lets the program run" {
        # Everything busybox sh and mkdir need is allowed, except mkdir itself.
        allowed=$(printf '"%s",' read write openat open close fstat newfstatat stat lstat mmap mprotect munmap brk \
                rt_sigaction rt_sigprocmask rt_sigreturn ioctl access execve exit exit_group getpid getppid \
                getuid geteuid getgid getegid arch_prctl set_tid_address set_robust_list prlimit64 wait4 \
                clone clone3 fork vfork fcntl dup2 dup3 getcwd chdir uname lseek readlink statx getrandom \
                rseq futex sysinfo kill tgkill pipe pipe2 getdents64 poll umask faccessat faccessat2 setpgid \
                getpgrp getpgid newuname)
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
              "syscalls": [{"names": $a, "action": "SCMP_ACT_ALLOW"}]}' --argjson a "[${allowed%,}]"
        set_args /bin/sh -c 'echo running; mkdir /tmp/y 2>&1; echo rc=$?'
        run run_ctr c1
        assert_output_contains running
        assert_output_contains "Operation not permitted"
}

@test "seccomp: argument comparisons select the calls" {
        # kill(pid, 0) (the existence probe) is refused; kill(pid, SIGCONT) is not.
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                            "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
        set_args /bin/sh -c 'kill -0 $$ 2>/dev/null && echo probe-ok || echo probe-refused; kill -s CONT $$ && echo cont-ok'
        run run_ctr c1
        assert_output_contains probe-refused
        assert_output_contains cont-ok
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills with SIGSYS (exit 159)" {
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
        set_args /bin/mkdir /tmp/z
        run run_ctr c1
        [ "$status" -eq 159 ] || { echo "status $status: $output" >&2; return 1; }
}

@test "seccomp: the runtime's own set-up is not filtered" {
        # Every call the runtime makes to build the container is denied; the
        # container still starts because the filter is loaded last.
        cfg '.process.noNewPrivileges = true
             | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mount", "umount2", "pivot_root", "sethostname", "open_tree", "move_mount",
                                      "fsopen", "fsconfig", "fsmount", "mount_setattr", "setresuid", "setresgid",
                                      "setgroups", "capset", "prctl", "chdir", "mknodat", "symlinkat", "close_range"],
                            "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
        set_args /bin/sh -c 'hostname; echo started'
        run run_ctr c1
        assert_success
        assert_output_contains started
}

@test "seccomp: without no_new_privileges the filter still loads (before the uid change)" {
        cfg '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}
             | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}]}'
        set_args /bin/sh -c 'id -u; /cellprobe nnp; mkdir /tmp/w 2>&1'
        run run_ctr c1
        assert_output_contains 1000
        assert_output_contains "Read-only file system"
}

@test "seccomp: an unknown syscall name is an error naming it, and nothing is left" {
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mkdir_typo"], "action": "SCMP_ACT_ERRNO"}]}'
        run try_create c1
        assert_failure
        assert_output_contains "linux.seccomp.syscalls[0].names[0]"
        assert_output_contains mkdir_typo
        run cell state c1
        assert_failure
        assert_equal "$(ls "$STATE_ROOT")" ""
}

@test "seccomp: an unknown action is an error naming it" {
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOPE"}'
        run try_create c1
        assert_failure
        assert_output_contains "linux.seccomp.defaultAction"
}

@test "seccomp: a listener goes to listenerPath with the container's state" {
        SOCK=$TEST_DIR/agent.sock
        python3 "$BATS_TEST_DIRNAME/seccomp_agent.py" "$SOCK" "$TEST_DIR/agent.out" \
                </dev/null >/dev/null 2>"$TEST_DIR/agent.log" &
        AGENT=$!
        wait_file "$SOCK"
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $s, "listenerMetadata": "cell-test",
              "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' --arg s "$SOCK"
        set_args /bin/sh -c 'mkdir /tmp/n 2>&1; echo rc=$?'
        run run_ctr c1
        wait "$AGENT"
        assert_output_contains "Function not implemented"
        assert_equal "$(jq -r '.fds[0]' "$TEST_DIR/agent.out")" seccompFd
        assert_equal "$(jq -r .metadata "$TEST_DIR/agent.out")" cell-test
        assert_equal "$(jq -r .state.id "$TEST_DIR/agent.out")" c1
        [ "$(jq -r .pid "$TEST_DIR/agent.out")" -gt 0 ]
        grep -q 'fd=anon_inode:seccomp notify' "$TEST_DIR/agent.out.fd"
}
