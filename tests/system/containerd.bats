#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Debian's containerd (1.6) with its runc shim (containerd-shim-runc-v2) uses
# cell as its runc binary: `ctr run --runc-binary $CELL` runs a container from a
# plain rootfs directory (--rootfs, no image or snapshotter), and ctr execs into,
# kills and deletes it. A private containerd serves each test file on its own
# socket (clients_helpers.bash).
#
# What the shim passes to the runtime (recorded with a logging wrapper named
# `cell`; S is the task's bundle, CTD_STATE/io.containerd.runtime.v2.task/NS/ID,
# RR the --runc-root, /run/containerd/runc by default, and NS the namespace,
# `default` for ctr). Every call has the global options
#   --root RR/NS --log S/log.json --log-format json
# (and --systemd-cgroup with ctr run --runc-systemd-cgroup) before the command:
#   run        create --bundle S --pid-file S/init.pid ID
#              create --bundle S --pid-file S/init.pid --console-socket /tmp/pty.../pty.sock ID   (-t)
#              start ID
#   task exec  exec --process /tmp/runc-processNNN --detach --pid-file S/EXECID.pid ID
#              exec --process /tmp/runc-processNNN --console-socket /tmp/ptyNNN/pty.sock --detach
#                   --pid-file S/EXECID.pid ID                     (exec -t)
#   task kill  kill ID 15                                          (signal as a number)
#   task pause / resume    pause ID / resume ID
#   task ps    ps --format json ID
#   task delete            delete ID, and again delete --force ID when the
#              shim is cleaned up (that second one fails, the shim only logs it)
# `ctr task ls`, `task metrics` and the shim's exit tracking call nothing (the
# shim is a subreaper and waits for the init and exec pids itself). The runtime's
# stdio are pipes (or /dev/null) of the shim; the shim reads the last `"level":
# "error"` line of S/log.json for its error message when the runtime fails.
# The environment is containerd's own, plus TTRPC_ADDRESS, GOMAXPROCS, and
# containerd's opt dir in PATH and LD_LIBRARY_PATH.

load helpers
load clients_helpers

# A loop as the init that exits 7 on SIGTERM (a plain `sleep` as pid 1 ignores it).
LOOP='trap "exit 7" TERM; while :; do sleep 0.1; done'

setup_file() {
        containerd_setup_file
}

teardown_file() {
        containerd_teardown_file
}

setup() {
        clients_skip_if_missing
        TEST_DIR=$(mktemp -d /var/tmp/cell-test.XXXXXX)
        chmod 0755 "$TEST_DIR"
        ROOTFS=$TEST_DIR/rootfs
        mkdir "$ROOTFS"
        tar -C "$ROOTFS" -xf "$(clients_rootfs_tar)"
        # cell's state dir for the shim's containers: --runc-root, then /NS.
        # Container ids end with this run's tag: ctr puts a container in the
        # cgroup /NS/ID, which two runs of the suite at once would share.
        TAG=${CTD_DIR##*.}
        RUNC_ROOT=$TEST_DIR/runc
        CELL_STATE=$RUNC_ROOT/default
}

teardown() {
        containerd_remove_all
        clients_umount_under "$TEST_DIR"
        rm -rf "$TEST_DIR"
}

# ctr_run [ctr run options...] -- ID CMD...: ctr run with cell as the runc binary.
ctr_run() {
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                opts+=("$1")
                shift
        done
        shift
        ctrc run "${opts[@]}" --runc-binary "$CELL" --runc-root "$RUNC_ROOT" --fifo-dir "$TEST_DIR/fifo" \
                --rootfs "$ROOTFS" "$@" </dev/null
}

# task_status ID: RUNNING, STOPPED, ... as `ctr task ls` shows it.
task_status() {
        ctrc task ls | awk -v id="$1" '$1 == id { print $3 }'
}

task_is() {
        [ "$(task_status "$1")" = "$2" ]
}

@test "ctr run: the container's output and exit code reach ctr" {
        run ctr_run --rm -- cell-run-$TAG /bin/sh -c 'echo hello from cell; exit 5'
        [ "$status" -eq 5 ] || {
                echo "status $status, output: $output" >&2
                return 1
        }
        assert_output_contains "hello from cell"
}

@test "ctr run -d: the task runs, and cell holds it in the shim's state dir" {
        run ctr_run -d -- cell-detached-$TAG /bin/sh -c "$LOOP"
        assert_success
        run task_status cell-detached-$TAG
        assert_equal "$output" RUNNING
        local pid
        pid=$(ctrc task ls | awk -v id="cell-detached-$TAG" '$1 == id { print $2 }')
        # cell's own view of the container the shim made through it.
        run "$CELL" --root "$CELL_STATE" state cell-detached-$TAG
        assert_success
        assert_equal "$(jq -r .status <<<"$output")" running
        assert_equal "$(jq -r .pid <<<"$output")" "$pid"
}

@test "ctr task exec: output and exit code of a process in the running task" {
        ctr_run -d -- cell-exec-$TAG /bin/sh -c "$LOOP"
        run ctrc task exec --fifo-dir "$TEST_DIR/fifo" --exec-id e1 cell-exec-$TAG /bin/sh -c 'echo in-exec; exit 3' </dev/null
        [ "$status" -eq 3 ] || {
                echo "status $status, output: $output" >&2
                return 1
        }
        assert_output_contains in-exec
        # The exec'd process is in the task's pid namespace: pid 1 is the loop.
        run ctrc task exec --fifo-dir "$TEST_DIR/fifo" --exec-id e2 cell-exec-$TAG /bin/cat /proc/1/cmdline </dev/null
        assert_success
        assert_output_contains trap
}

@test "ctr task kill: SIGTERM ends the task with the init's exit code" {
        ctr_run -d -- cell-kill-$TAG /bin/sh -c "$LOOP"
        run ctrc task kill cell-kill-$TAG
        assert_success
        wait_for "task cell-kill-$TAG to stop" task_is cell-kill-$TAG STOPPED
        # ctr task delete reports the task's exit status (as a warning when non-zero).
        run ctrc task delete cell-kill-$TAG
        assert_success
        assert_output_contains "exit code 7"
}

@test "ctr task kill -s SIGKILL: a task that ignores SIGTERM is killed (137)" {
        ctr_run -d -- cell-kill9-$TAG /bin/sleep 1000
        run ctrc task kill --signal SIGKILL cell-kill9-$TAG
        assert_success
        wait_for "task cell-kill9-$TAG to stop" task_is cell-kill9-$TAG STOPPED
        run ctrc task delete cell-kill9-$TAG
        assert_success
        assert_output_contains "exit code 137"
}

@test "ctr task delete and container delete: the container is gone from containerd and cell" {
        ctr_run -d -- cell-delete-$TAG /bin/sh -c "$LOOP"
        ctrc task kill cell-delete-$TAG
        wait_for "task cell-delete-$TAG to stop" task_is cell-delete-$TAG STOPPED
        run ctrc task delete cell-delete-$TAG
        assert_success
        assert_output_contains "exit code 7"
        run ctrc container delete cell-delete-$TAG
        assert_success
        run ctrc container ls -q
        assert_success
        assert_output_not_contains cell-delete-$TAG
        # cell has no container of that name left in the shim's state dir.
        run "$CELL" --root "$CELL_STATE" state cell-delete-$TAG
        assert_failure
        run "$CELL" --root "$CELL_STATE" list -q
        assert_output_not_contains cell-delete-$TAG
        # Nor a cgroup (ctr's cgroupsPath is /default/ID) in any hierarchy.
        run compgen -G "/sys/fs/cgroup/*/default/cell-delete-$TAG"
        assert_equal "$output" ""
}
