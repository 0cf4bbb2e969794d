#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# process.terminal: the pty master goes to --console-socket; the process has a tty.

load helpers

RECEIVER_PID=

teardown() {
        common_teardown
        if [ -n "$RECEIVER_PID" ]; then
                kill "$RECEIVER_PID" 2>/dev/null || true
                wait "$RECEIVER_PID" 2>/dev/null || true
        fi
}

start_receiver() { # [INPUT]
        SOCK=$TEST_DIR/console.sock
        python3 "$BATS_TEST_DIRNAME/console_receiver.py" "$SOCK" "$TEST_DIR/console.out" "$@" \
                </dev/null >/dev/null 2>"$TEST_DIR/receiver.log" &
        RECEIVER_PID=$!
        for i in $(seq 1 100); do
                [ -S "$SOCK" ] && return 0
                sleep 0.05
        done
        echo "receiver did not come up" >&2
        cat "$TEST_DIR/receiver.log" >&2
        return 1
}

wait_receiver() {
        local rc=0
        wait "$RECEIVER_PID" || rc=$?
        RECEIVER_PID=
        [ "$rc" -eq 0 ] || { cat "$TEST_DIR/receiver.log" >&2; return 1; }
}

@test "terminal: the pty master is sent to --console-socket and the process sees a tty" {
        cfg '.process.terminal = true'
        set_args /bin/sh -c 'tty; test -t 0 && echo stdin-tty; test -t 1 && echo stdout-tty; /cellprobe stat /dev/console'
        start_receiver
        create_ctr c1 --console-socket "$SOCK"
        cell start c1
        wait_receiver
        assert_equal "$(head -n1 "$TEST_DIR/console.out.err")" fd-received
        out=$(tr -d '\r' <"$TEST_DIR/console.out")
        [[ "$out" == *"/dev/pts/"* || "$out" == *"/dev/console"* ]] || { echo "tty: $out" >&2; return 1; }
        [[ "$out" == *stdin-tty* ]] || { echo "$out" >&2; return 1; }
        [[ "$out" == *stdout-tty* ]] || { echo "$out" >&2; return 1; }
}

@test "terminal: /dev/console is the container's pty" {
        cfg '.process.terminal = true'
        set_args /bin/sh -c '/cellprobe stat /dev/console; /cellprobe stat "$(readlink /proc/self/fd/0)"'
        start_receiver
        create_ctr c1 --console-socket "$SOCK"
        cell start c1
        wait_receiver
        out=$(tr -d '\r' <"$TEST_DIR/console.out")
        # /dev/console exists and is a character device on a devpts major (136..143)
        console_rdev=$(printf '%s\n' "$out" | sed -n 's/^rdev=//p' | head -n1)
        console_type=$(printf '%s\n' "$out" | sed -n 's/^type=//p' | head -n1)
        assert_equal "$console_type" chr
        major=${console_rdev%%:*}
        [ "$major" -ge 136 ] && [ "$major" -le 143 ] || { echo "/dev/console rdev $console_rdev: $out" >&2; return 1; }
        # and it is the same pty as stdin
        stdin_rdev=$(printf '%s\n' "$out" | sed -n 's/^rdev=//p' | sed -n 2p)
        assert_equal "$stdin_rdev" "$console_rdev"
}

@test "terminal: input written to the master reaches the process" {
        cfg '.process.terminal = true'
        set_args /bin/sh -c 'read line; echo "got:$line"'
        start_receiver $'hello-pty\n'
        create_ctr c1 --console-socket "$SOCK"
        cell start c1
        wait_receiver
        grep -q 'got:hello-pty' "$TEST_DIR/console.out"
}

@test "terminal: without terminal the process has no tty" {
        set_args /bin/sh -c 'test -t 0 && echo stdin-tty; test -t 1 && echo stdout-tty; echo done'
        run -0 run_ctr c1
        assert_equal "$output" done
}

@test "terminal: create with terminal true and no --console-socket is an error" {
        cfg '.process.terminal = true'
        set_args /cellprobe exit 0
        run try_create c1
        assert_failure
        assert_output_contains "console"
        run cell list -q
        assert_equal "$output" ""
}

@test "terminal: run in the foreground with terminal true under script(1)" {
        cfg '.process.terminal = true'
        set_args /bin/sh -c 'tty; test -t 0 && echo stdin-tty; exit 5'
        run script -qec "$CELL --root $STATE_ROOT run --bundle $BUNDLE c1" /dev/null </dev/null
        assert_equal "$status" 5
        out=$(tr -d '\r' <<<"$output")
        [[ "$out" == *"/dev/pts/"* || "$out" == *"/dev/console"* ]] || { echo "$out" >&2; return 1; }
        [[ "$out" == *stdin-tty* ]] || { echo "$out" >&2; return 1; }
}
