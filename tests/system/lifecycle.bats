#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The create/start/state/kill/delete life cycle as a user sees it.

load helpers

# A process that exits on SIGTERM: pid 1 of a pid namespace ignores signals it
# has no handler for, so a plain sleep would not die of SIGTERM.
trap_term_args() {
        set_args /bin/sh -c 'trap "exit 143" TERM; echo up; while :; do sleep 0.05; done'
}

@test "create: state says created with the init pid" {
        set_args /cellprobe sleep 30
        create_ctr c1
        run cell state c1
        assert_success
        assert_equal "$(jq -r .status <<<"$output")" created
        assert_equal "$(jq -r .id <<<"$output")" c1
        assert_equal "$(jq -r .bundle <<<"$output")" "$BUNDLE"
        pid=$(jq -r .pid <<<"$output")
        [ "$pid" -gt 1 ]
        [ -d "/proc/$pid" ]
}

@test "start: a created container becomes running, then stopped when its process exits, and delete removes it" {
        set_args /bin/sh -c 'read x </tmp/fifo; exit 0'
        mkfifo "$BUNDLE/rootfs/tmp/fifo"
        create_ctr c1
        assert_equal "$(ctr_status c1)" created
        run cell start c1
        assert_success
        assert_equal "$(ctr_status c1)" running
        echo go >"$BUNDLE/rootfs/tmp/fifo"
        wait_status c1 stopped
        run cell delete c1
        assert_success
        run cell state c1
        assert_failure
        run cell list -q
        assert_success
        assert_equal "$output" ""
}

@test "start: the process runs only after start" {
        set_args /cellprobe write /tmp/started yes
        create_ctr c1
        [ ! -e "$BUNDLE/rootfs/tmp/started" ]
        cell start c1
        wait_file "$BUNDLE/rootfs/tmp/started" yes
}

@test "list: shows the container in the table and in json" {
        set_args /cellprobe sleep 30
        create_ctr c1
        pid=$(ctr_pid c1)
        run cell list
        assert_success
        [[ "${lines[0]}" == ID* ]]
        assert_output_contains "c1"
        assert_output_contains "$pid"
        assert_output_contains "created"
        run cell list --format json
        assert_success
        assert_equal "$(jq -r '.[] | select(.id == "c1") | .status' <<<"$output")" created
        assert_equal "$(jq -r '.[] | select(.id == "c1") | .pid' <<<"$output")" "$pid"
        run cell list -q
        assert_equal "$output" c1
}

@test "list: json is an empty array when there are no containers" {
        run cell list --format json
        assert_success
        assert_equal "$(jq -c . <<<"$output")" "[]"
}

@test "run: foreground returns the process's exit code" {
        set_args /cellprobe exit 7
        run -7 run_ctr c1
}

@test "run: foreground exit code 0 and output reaches the caller" {
        set_args /cellprobe hostname
        cfg '.hostname = "lifecycle-host"'
        run -0 run_ctr c1
        assert_equal "$output" lifecycle-host
}

@test "run: a process killed by a signal gives 128+signal" {
        set_args /cellprobe sleep 30
        run_ctr c1 >"$TEST_DIR/out" 2>&1 &
        runpid=$!
        wait_status c1 running
        cell kill c1 KILL
        rc=0
        wait "$runpid" || rc=$?
        assert_equal "$rc" 137
}

@test "run --detach: returns at once and the container is running" {
        set_args /cellprobe sleep 30
        cell run --detach --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/out" 2>&1
        assert_equal "$(ctr_status c1)" running
        pid=$(ctr_pid c1)
        [ -d "/proc/$pid" ]
}

@test "kill: by name KILL stops the container" {
        set_args /cellprobe sleep 30
        create_ctr c1
        cell start c1
        run cell kill c1 KILL
        assert_success
        wait_status c1 stopped
}

@test "kill: by name SIGTERM reaches the process" {
        trap_term_args
        create_ctr c1
        cell start c1
        wait_file "$TEST_DIR/c1.out" up
        run cell kill c1 SIGTERM
        assert_success
        wait_status c1 stopped
}

@test "kill: the default signal is SIGTERM" {
        trap_term_args
        create_ctr c1
        cell start c1
        wait_file "$TEST_DIR/c1.out" up
        run cell kill c1
        assert_success
        wait_status c1 stopped
}

@test "kill: by number 9" {
        set_args /cellprobe sleep 30
        create_ctr c1
        cell start c1
        run cell kill c1 9
        assert_success
        wait_status c1 stopped
}

@test "kill: by number 15 and by short name TERM" {
        trap_term_args
        create_ctr c1
        cell start c1
        wait_file "$TEST_DIR/c1.out" up
        run cell kill c1 15
        assert_success
        wait_status c1 stopped

        create_ctr c2
        cell start c2
        wait_file "$TEST_DIR/c2.out" up
        run cell kill c2 TERM
        assert_success
        wait_status c2 stopped
}

@test "kill: an unknown signal name is refused" {
        set_args /cellprobe sleep 30
        create_ctr c1
        run cell kill c1 SIGNOPE
        assert_failure
        assert_equal "$(ctr_status c1)" created
}

@test "kill --all: kills every process of the container" {
        set_args /bin/sh -c '/cellprobe sleep 30 & echo $! >/tmp/child; wait'
        cell run --detach --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/out" 2>&1
        wait_file "$BUNDLE/rootfs/tmp/child"
        run cell kill --all c1 KILL
        assert_success
        wait_status c1 stopped
}

@test "delete: a running container is refused without --force" {
        set_args /cellprobe sleep 30
        cell run --detach --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/out" 2>&1
        pid=$(ctr_pid c1)
        run cell delete c1
        assert_failure
        assert_output_contains "running"
        assert_equal "$(ctr_status c1)" running
        [ -d "/proc/$pid" ]
}

@test "delete --force: removes a running container and kills its process" {
        set_args /cellprobe sleep 30
        cell run --detach --bundle "$BUNDLE" c1 </dev/null >"$TEST_DIR/out" 2>&1
        pid=$(ctr_pid c1)
        run cell delete --force c1
        assert_success
        run cell state c1
        assert_failure
        for i in $(seq 1 100); do
                [ -d "/proc/$pid" ] || break
                sleep 0.05
        done
        [ ! -d "/proc/$pid" ]
}

@test "delete: a created (never started) container can be deleted" {
        set_args /cellprobe write /tmp/ran yes
        create_ctr c1
        pid=$(ctr_pid c1)
        # like runc: a created container's init is only waiting, delete kills it
        run cell delete c1
        assert_success
        run cell state c1
        assert_failure
        for i in $(seq 1 100); do
                [ -d "/proc/$pid" ] || break
                sleep 0.05
        done
        [ ! -d "/proc/$pid" ]
        [ ! -e "$BUNDLE/rootfs/tmp/ran" ]
}

@test "create: a duplicate id is refused" {
        set_args /cellprobe sleep 30
        create_ctr c1
        pid=$(ctr_pid c1)
        run try_create c1
        assert_failure
        assert_output_contains "already exists"
        assert_equal "$(ctr_pid c1)" "$pid"
}

@test "create: invalid ids are refused" {
        set_args /cellprobe exit 0
        for id in 'bad/id' '..' '.' 'has space' "$(printf 'a\nb')"; do
                run try_create "$id"
                assert_failure
                assert_output_contains "id"
        done
        run cell list -q
        assert_equal "$output" ""
}

@test "start: a running container cannot be started again" {
        set_args /cellprobe sleep 30
        create_ctr c1
        cell start c1
        run cell start c1
        assert_failure
        assert_output_contains "running"
}

@test "state: a missing container fails with a clear message" {
        run cell state nosuch
        assert_failure
        assert_output_contains "nosuch"
        [[ "$output" == *"does not exist"* || "$output" == *"not found"* || "$output" == *"No such"* ]]
}

@test "create --pid-file: the file holds the pid that state reports" {
        set_args /cellprobe sleep 30
        create_ctr c1 --pid-file "$TEST_DIR/pidfile"
        [ -s "$TEST_DIR/pidfile" ]
        assert_equal "$(cat "$TEST_DIR/pidfile")" "$(ctr_pid c1)"
}

@test "state: the pid is pid 1 inside the container" {
        set_args /cellprobe pid
        run -0 run_ctr c1
        assert_equal "$output" 1
}
