#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0

load helpers

@test "preserve-fds: --preserve-fds 2 passes fds 3 and 4 and nothing else" {
        echo three >"$TEST_DIR/pf-three"
        echo four >"$TEST_DIR/pf-four"
        echo five >"$TEST_DIR/pf-five"
        set_args /cellprobe fds
        run -0 run_ctr --preserve-fds 2 c1 3<"$TEST_DIR/pf-three" 4<"$TEST_DIR/pf-four" 5<"$TEST_DIR/pf-five"
        fds=$(printf '%s\n' "$output" | awk '{print $1}' | paste -sd, -)
        assert_equal "$fds" "0,1,2,3,4"
        printf '%s\n' "$output" | grep -q '^3 .*pf-three$'
        printf '%s\n' "$output" | grep -q '^4 .*pf-four$'
        assert_output_not_contains pf-five
}

@test "preserve-fds: the preserved fds are readable in the container" {
        echo content-three >"$TEST_DIR/pf-three"
        echo content-four >"$TEST_DIR/pf-four"
        set_args /bin/sh -c 'cat <&3; cat <&4'
        run -0 run_ctr --preserve-fds 2 c1 3<"$TEST_DIR/pf-three" 4<"$TEST_DIR/pf-four"
        assert_equal "${lines[0]}" content-three
        assert_equal "${lines[1]}" content-four
}

@test "preserve-fds: with create and start the fds are kept until start" {
        echo three >"$TEST_DIR/pf-three"
        set_args /bin/sh -c 'exec /cellprobe fds'
        create_ctr c1 --preserve-fds 1 3<"$TEST_DIR/pf-three" 4<"$TEST_DIR/pf-three"
        cell start c1
        wait_status c1 stopped
        fds=$(awk '{print $1}' "$TEST_DIR/c1.out" | paste -sd, -)
        assert_equal "$fds" "0,1,2,3"
        grep -q '^3 .*pf-three$' "$TEST_DIR/c1.out"
}

@test "preserve-fds: without the option no extra fd is passed" {
        set_args /cellprobe fds
        run -0 run_ctr c1 3<"$TEST_DIR/../" 4</dev/null
        fds=$(printf '%s\n' "$output" | awk '{print $1}' | paste -sd, -)
        assert_equal "$fds" "0,1,2"
}

@test "preserve-fds: a negative or non-numeric count is refused" {
        set_args /cellprobe exit 0
        run run_ctr --preserve-fds -1 c1
        assert_failure
        run run_ctr --preserve-fds abc c2
        assert_failure
}
