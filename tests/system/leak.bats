#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Resource leaks: 500 create/start/delete cycles leave no mount, cgroup, file
# descriptor or process behind. Both tests count before and after and fail
# naming what grew; their full report is printed when they fail.
#   LEAK_CYCLES  the in-process driver (default build/tests/leak_cycles; an
#                ASan build of it also fails on heap leaks: detect_leaks=1)
#   LEAK_N       cycles per test (default 500)

load helpers

LEAK_CYCLES=${LEAK_CYCLES:-$REPO_ROOT/build/tests/leak_cycles}
LEAK_N=${LEAK_N:-500}

setup() {
        common_setup
        set_args /bin/true
}

@test "leak: 500 create/start/delete cycles through the library, in process, leave nothing behind" {
        [ -x "$LEAK_CYCLES" ] || skip "leak_cycles not found at $LEAK_CYCLES (ninja -C build)"
        local rc=0
        # The container's stdio is this program's: a file, so that nothing a
        # leaked process holds can keep bats waiting on a pipe.
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" \
                "$LEAK_CYCLES" "$BUNDLE" "$STATE_ROOT" "$LEAK_N" </dev/null >"$TEST_DIR/leak.log" 2>&1 || rc=$?
        cat "$TEST_DIR/leak.log"
        [ "$rc" -eq 0 ]
}

@test "leak: 500 cell run/create/start/kill/delete cycles through the CLI leave nothing behind" {
        local rc=0
        CELL="$CELL" LEAK_BUNDLE="$BUNDLE" LEAK_STATE_ROOT="$STATE_ROOT" LEAK_N="$LEAK_N" \
                "$REPO_ROOT/tests/leak/cli_cycles.sh" </dev/null >"$TEST_DIR/leak.log" 2>&1 || rc=$?
        cat "$TEST_DIR/leak.log"
        [ "$rc" -eq 0 ]
}
