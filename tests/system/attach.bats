#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# cell attach, as a docker user types it: the running container's output
# (stdout and stderr apart) and its exit code; stdin of a container started
# with -i (kept open across clients, or closed with the client's for
# StdinOnce); a terminal whose window size follows the caller's, with the
# detach keys leaving the container running; signals proxied; two clients at
# once; docker's refusals. The monitor of a detached container (or a
# foreground `cell run`) serves it. One store and run root for the file.

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        [ -x /bin/busybox ] || return 0
        ATTACH_DIR=$(mktemp -d /var/tmp/cell-attach.XXXXXX)
        export ATTACH_DIR
        export CELL_STORAGE_ROOT=$ATTACH_DIR/storage
        export CELL_RUNROOT=/run/cell-attach-test.${ATTACH_DIR##*.}
        local r=$ATTACH_DIR/rootfs a
        mkdir -p "$r/bin" "$r/tmp"
        cp /bin/busybox "$r/bin/busybox"
        for a in sh echo cat sleep true stty read tr; do
                ln -s busybox "$r/bin/$a"
        done
        tar -C "$r" -cf "$ATTACH_DIR/rootfs.tar" .
        "$CELL" import --change 'CMD ["sh"]' "$ATTACH_DIR/rootfs.tar" localhost/attach:1 >/dev/null
}

teardown_file() {
        [ -n "${ATTACH_DIR:-}" ] || return 0
        local id
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
        grep -o " $ATTACH_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$ATTACH_DIR" "$CELL_RUNROOT"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${ATTACH_DIR:-}" ] || skip "busybox-static is not installed (scripts/deps.sh)"
        command -v python3 >/dev/null || skip "python3 is not installed (scripts/deps.sh)"
        TEST_DIR=$(mktemp -d /var/tmp/cell-attach-t.XXXXXX)
        PTY=$BATS_TEST_DIRNAME/pty_drive.py
}

teardown() {
        rm -rf "${TEST_DIR:-/nonexistent}"
}

c() {
        "$CELL" "$@"
}

# Wait (at most 10 s) until the container's log holds TEXT.
wait_log() {
        local i
        for i in $(seq 1 200); do
                c logs "$1" 2>&1 | grep -q -- "$2" && return 0
                sleep 0.05
        done
        echo "log of $1 never showed '$2': $(c logs "$1" 2>&1)" >&2
        return 1
}

@test "attach: the container's stdout and stderr, apart, from the moment of attaching; its exit code" {
        c run -d --name out1 localhost/attach:1 sh -c 'echo before; sleep 1; echo out; echo err >&2; exit 3' >/dev/null
        wait_log out1 before
        run c attach out1
        local st=0
        c attach out1 >"$TEST_DIR/o" 2>"$TEST_DIR/e" || st=$?
        # The first attach saw the whole rest of the run; the second came
        # after the exit: docker's refusal.
        assert_equal "$status" 3
        assert_output_contains "out"
        assert_output_contains "err"
        assert_output_not_contains "before"
        assert_equal "$st" 1
        assert_equal "$(cat "$TEST_DIR/e")" "You cannot attach to a stopped container, start it first"
        # The record says it exited by the time attach returned.
        c run -d --name out2 localhost/attach:1 sh -c 'sleep 1; echo o2; echo e2 >&2; exit 4' >/dev/null
        st=0
        c attach out2 >"$TEST_DIR/o" 2>"$TEST_DIR/e" || st=$?
        assert_equal "$st" 4
        assert_equal "$(cat "$TEST_DIR/o")" "o2"
        assert_equal "$(cat "$TEST_DIR/e")" "e2"
        run -0 c inspect -f '{{.State.Status}} {{.State.ExitCode}}' out2
        assert_equal "$output" "exited 4"
}

@test "attach: docker's refusals for a paused, a missing container, bad detach keys, no argument" {
        c run -d --name ref1 localhost/attach:1 sleep 100 >/dev/null
        c pause ref1
        run -1 c attach ref1
        assert_equal "$output" "You cannot attach to a paused container, unpause it first"
        c unpause ref1
        run -1 c attach no-such-container
        assert_equal "$output" "Error response from daemon: No such container: no-such-container"
        run -1 c attach --detach-keys=ctrlx ref1
        assert_output_contains "Invalid detach keys (ctrlx) provided"
        run -1 c attach
        assert_output_contains '"cell attach" requires exactly 1 argument.'
        c rm -f ref1 >/dev/null
}

@test "attach: stdin of a run -d -i container reaches it and stays open for the next client" {
        c run -d -i --name in1 localhost/attach:1 sh -c 'while read l; do echo "got $l"; done; echo stdin-ended' >/dev/null
        (echo one; sleep 1) | timeout -s KILL 3 "$CELL" attach in1 >"$TEST_DIR/o" || true
        assert_equal "$(cat "$TEST_DIR/o")" "got one"
        # The first client's EOF did not close the container's stdin
        # (StdinOnce is false for run -d -i, as docker's).
        (echo two; sleep 1) | timeout -s KILL 3 "$CELL" attach in1 >"$TEST_DIR/o" || true
        assert_equal "$(cat "$TEST_DIR/o")" "got two"
        run -0 c inspect -f '{{.State.Running}} {{.Config.StdinOnce}}' in1
        assert_equal "$output" "true false"
        # --no-stdin: the input stays with the caller.
        (echo three; sleep 1) | timeout -s KILL 3 "$CELL" attach --no-stdin in1 >"$TEST_DIR/o" || true
        assert_equal "$(cat "$TEST_DIR/o")" ""
        run -0 c logs in1
        assert_equal "$output" "got one
got two"
        c rm -f in1 >/dev/null
}

@test "attach: with StdinOnce (create -i, then start) the client's EOF ends the container's stdin" {
        c create -i --name once1 localhost/attach:1 sh -c 'cat; echo cat-ended; exit 6' >/dev/null
        run -0 c inspect -f '{{.Config.StdinOnce}}' once1
        assert_equal "$output" "true"
        c start once1 >/dev/null
        run bash -c "printf 'line\n' | timeout -s KILL 5 '$CELL' attach once1"
        assert_equal "$status" 6
        assert_equal "$output" "line
cat-ended"
}

@test "attach: a terminal (run -dit): typed commands run, the window size follows, ctrl-p ctrl-q detaches" {
        c run -dit --name tty1 localhost/attach:1 sh >/dev/null
        run -0 python3 "$PTY" 30x100 'wait:0.5' 'send:stty size\r' 'until:30 100' 'resize:41x120' 'wait:0.3' \
                'send:stty size; echo $((6*7))\r' 'until:42' 'send:\x10\x11' -- "$CELL" attach tty1
        assert_output_contains "30 100"
        assert_output_contains "41 120"
        assert_output_contains "read escape sequence"
        assert_output_contains "exit=1"
        run -0 c inspect -f '{{.State.Running}}' tty1
        assert_equal "$output" "true"
        # Other detach keys; the default pair then is plain input.
        run -0 python3 "$PTY" 24x80 'wait:0.5' 'send:echo a-\x10\x11-b\r' 'until:a-' 'send:\x18' \
                -- "$CELL" attach --detach-keys=ctrl-x tty1
        assert_output_contains "read escape sequence"
        run -0 c inspect -f '{{.State.Running}}' tty1
        assert_equal "$output" "true"
        # Leaving the shell ends the attach with its exit code.
        run -0 python3 "$PTY" 24x80 'wait:0.5' 'send:exit 5\r' -- "$CELL" attach tty1
        assert_output_contains "exit=5"
        run -0 c inspect -f '{{.State.Status}} {{.State.ExitCode}}' tty1
        assert_equal "$output" "exited 5"
}

@test "attach: signals reach the container (--sig-proxy), not with --sig-proxy=false" {
        c run -d --name sig1 localhost/attach:1 sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while true; do sleep 0.1; done' >/dev/null
        wait_log sig1 ready
        "$CELL" attach sig1 >"$TEST_DIR/o" &
        local pid=$! st=0
        sleep 0.5
        kill -TERM "$pid"
        wait "$pid" || st=$?
        assert_equal "$st" 9
        assert_equal "$(cat "$TEST_DIR/o")" "got-term"
        c run -d --name sig2 localhost/attach:1 sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while true; do sleep 0.1; done' >/dev/null
        wait_log sig2 ready
        "$CELL" attach --sig-proxy=false sig2 >"$TEST_DIR/o" &
        pid=$!
        st=0
        sleep 0.5
        kill -TERM "$pid"
        wait "$pid" || st=$?
        assert_equal "$st" 143
        run -0 c inspect -f '{{.State.Running}}' sig2
        assert_equal "$output" "true"
        c rm -f sig2 >/dev/null
}

@test "attach: two clients at once both get the output; a restarted container takes new clients" {
        c run -d --name two1 --restart on-failure:1 localhost/attach:1 sh -c 'sleep 1; echo tick; exit 2' >/dev/null
        "$CELL" attach two1 >"$TEST_DIR/a" &
        local p1=$! s1=0 s2=0
        "$CELL" attach two1 >"$TEST_DIR/b" &
        local p2=$!
        wait "$p1" || s1=$?
        wait "$p2" || s2=$?
        assert_equal "$s1 $s2" "2 2"
        assert_equal "$(cat "$TEST_DIR/a") $(cat "$TEST_DIR/b")" "tick tick"
        # The policy restarts it once: a new client sees the second run.
        local i
        for i in $(seq 1 100); do
                [ "$(c inspect -f '{{.State.Running}}' two1)" = true ] && break
                sleep 0.05
        done
        run c attach two1
        assert_equal "$status" 2
        assert_equal "$output" "tick"
}

@test "attach: a container run in the foreground can be attached from elsewhere" {
        "$CELL" run --name fg1 localhost/attach:1 sh -c 'sleep 1; echo from-fg; exit 3' >"$TEST_DIR/fg" &
        local fg=$! st=0
        local i
        for i in $(seq 1 100); do
                [ "$(c inspect -f '{{.State.Running}}' fg1 2>/dev/null)" = true ] && break
                sleep 0.02
        done
        run c attach fg1
        wait "$fg" || st=$?
        assert_equal "$status" 3
        assert_equal "$output" "from-fg"
        assert_equal "$st" 3
}

@test "attach: a container whose monitor was killed is refused with the reason; rm -f removes its socket" {
        c run -d --name dead1 localhost/attach:1 sleep 100 >/dev/null
        local id mon
        id=$(c inspect -f '{{.Id}}' dead1)
        [ -S "$CELL_RUNROOT/attach/$id" ]
        mon=$(jq -r .MonitorPid "$CELL_STORAGE_ROOT/containers/$id/container.json")
        kill -KILL "$mon"
        # The container's process outlives its monitor until rm: attach says
        # why it cannot serve.
        run -1 c attach dead1
        assert_output_contains "its monitor is gone"
        c rm -f dead1 >/dev/null
        [ ! -e "$CELL_RUNROOT/attach/$id" ]
}
