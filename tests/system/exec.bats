#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# exec: another process in a running container, in its namespaces, cgroup,
# capabilities and seccomp filter, with runc exec's flags.

load helpers

RECEIVER_PID=

setup() {
        common_setup
        set_args /cellprobe sleep 60
        create_ctr c1
        cell start c1
        INIT=$(ctr_pid c1)
}

teardown() {
        common_teardown
        if [ -n "$RECEIVER_PID" ]; then
                kill "$RECEIVER_PID" 2>/dev/null || true
                wait "$RECEIVER_PID" 2>/dev/null || true
        fi
}

# exec_d ARGS...: a detached exec whose pid lands in $EPID.
exec_d() {
        cell exec --detach --pid-file "$TEST_DIR/exec.pid" c1 "$@" </dev/null >/dev/null 2>&1
        EPID=$(cat "$TEST_DIR/exec.pid")
}

@test "exec: the process joins every namespace of the container" {
        exec_d /cellprobe sleep 30
        for ns in mnt pid net ipc uts; do
                assert_equal "$(readlink /proc/$EPID/ns/$ns)" "$(readlink /proc/$INIT/ns/$ns)"
        done
        [ "$(readlink /proc/$EPID/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
}

@test "exec: output and the exit code come back" {
        run cell exec c1 /bin/sh -c 'echo out; echo err >&2; exit 7'
        [ "$status" -eq 7 ]
        assert_output_contains out
        assert_output_contains err
}

@test "exec: a process killed by a signal exits 128+signal" {
        run cell exec c1 /bin/sh -c 'kill -9 $$'
        [ "$status" -eq 137 ]
}

@test "exec: it sees the container's hostname, root and pid namespace" {
        run cell exec c1 /bin/sh -c 'hostname; ls /; echo pid=$$'
        assert_success
        assert_output_contains cellprobe
        [ "$(output_value pid)" -gt 1 ]
}

@test "exec: --env, --cwd and --user change the process, the container's env stays" {
        run cell exec --env FOO=bar --env HOME=/tmp --cwd /tmp --user 1000:1001 c1 \
                /bin/sh -c 'echo foo=$FOO; echo home=$HOME; echo path=$PATH; echo cwd=$(pwd); echo uid=$(id -u) gid=$(id -g)'
        assert_success
        assert_equal "$(output_value foo)" bar
        assert_equal "$(output_value home)" /tmp
        [ -n "$(output_value path)" ]
        assert_equal "$(output_value cwd)" /tmp
        assert_output_contains "uid=1000 gid=1001"
}

@test "exec: --process runs the process described in a JSON file" {
        cat >"$TEST_DIR/process.json" <<'EOF'
{"args": ["/bin/sh", "-c", "echo json=$X; id -u"], "cwd": "/", "env": ["X=42", "PATH=/bin"],
 "user": {"uid": 5, "gid": 5}}
EOF
        run cell exec --process "$TEST_DIR/process.json" c1
        assert_success
        assert_equal "$(output_value json)" 42
        assert_output_contains 5
}

@test "exec: a bad --process file is an error that names the field" {
        echo '{"args": [], "cwd": "/"}' >"$TEST_DIR/process.json"
        run cell exec --process "$TEST_DIR/process.json" c1
        assert_failure
        assert_output_contains "process.args"
}

@test "exec: the container's capabilities by default, --cap adds one" {
        run cell exec c1 /cellprobe caps
        assert_success
        eff=$(output_value CapEff)
        # CAP_SYS_ADMIN (21) is not in the default set.
        (( (0x$eff & (1 << 21)) == 0 ))
        run cell exec --cap CAP_SYS_ADMIN c1 /cellprobe caps
        assert_success
        eff=$(output_value CapEff)
        (( (0x$eff & (1 << 21)) != 0 ))
}

@test "exec: --no-new-privs sets no_new_privs" {
        cell delete -f c1
        cfg '.process.noNewPrivileges = false'
        create_ctr c1
        cell start c1
        run cell exec c1 /cellprobe nnp
        assert_equal "$output" 0
        run cell exec --no-new-privs c1 /cellprobe nnp
        assert_success
        assert_equal "$output" 1
}

@test "exec: no descriptor of the runtime leaks into the process" {
        run cell exec c1 /cellprobe fds
        assert_success
        fds=$(awk '{print $1}' <<<"$output" | tr '\n' ' ')
        assert_equal "$fds" "0 1 2 "
}

@test "exec: --preserve-fds passes descriptors 3.. on" {
        run cell exec --preserve-fds 1 c1 /bin/sh -c 'echo kept >&3' 3>"$TEST_DIR/fd3"
        assert_success
        assert_equal "$(cat "$TEST_DIR/fd3")" kept
}

@test "exec: --detach returns at once and --pid-file names the running process" {
        exec_d /cellprobe sleep 30
        [ -d "/proc/$EPID" ]
        assert_equal "$(readlink /proc/$EPID/ns/pid)" "$(readlink /proc/$INIT/ns/pid)"
        run cell ps --format json c1
        assert_success
        [[ "$output" == *"$EPID"* ]]
}

@test "exec: -t with --console-socket gives the process a terminal" {
        SOCK=$TEST_DIR/console.sock
        python3 "$BATS_TEST_DIRNAME/console_receiver.py" "$SOCK" "$TEST_DIR/console.out" \
                </dev/null >/dev/null 2>"$TEST_DIR/receiver.log" &
        RECEIVER_PID=$!
        wait_file "$SOCK"
        cell exec -t --console-socket "$SOCK" --detach c1 /bin/sh -c 'tty; test -t 0 && echo stdin-tty'
        wait "$RECEIVER_PID"
        RECEIVER_PID=
        out=$(tr -d '\r' <"$TEST_DIR/console.out")
        [[ "$out" == *"/dev/pts/"* ]] || { echo "$out" >&2; return 1; }
        [[ "$out" == *stdin-tty* ]] || { echo "$out" >&2; return 1; }
}

@test "exec: -t --detach without --console-socket is refused" {
        run cell exec -t --detach c1 /bin/true
        assert_failure
        assert_output_contains "console-socket"
}

@test "exec: a missing program is an error naming it" {
        run cell exec c1 no-such-program
        assert_failure
        assert_output_contains 'exec "no-such-program": executable file not found'
}

@test "exec: into a stopped container is refused" {
        cell kill c1 KILL
        wait_status c1 stopped
        run cell exec c1 /bin/true
        assert_failure
        assert_output_contains "stopped"
}

@test "exec: the process is in the container's cgroup" {
        [ -n "$(jq -r '.cgroup // empty' "$STATE_ROOT/c1/state.json")" ] || skip "the container has no cgroup here"
        exec_d /cellprobe sleep 30
        assert_equal "$(cat /proc/$EPID/cgroup)" "$(cat /proc/$INIT/cgroup)"
}

@test "exec: the process gets the container's seccomp filter" {
        cell delete -f c1
        cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
        create_ctr c1
        cell start c1
        run cell exec c1 /bin/mkdir /tmp/x
        assert_failure
        assert_output_contains "Permission denied"
        run cell exec c1 /bin/sh -c 'grep ^Seccomp: /proc/self/status'
        assert_output_contains "2"
}
