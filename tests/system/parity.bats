#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The engine's parity with docker: tests/parity/parity.sh runs every command
# line of tests/parity/cases.txt against a private dockerd and against cell and
# compares exit codes and masked outputs; any difference fails this test (the
# script's report, with a diff per differing case, is the test's output).

load helpers

@test "parity: cell's engine commands give docker's exit codes and output (tests/parity/cases.txt)" {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        command -v dockerd >/dev/null || skip "dockerd is not installed (Debian's docker.io: scripts/deps.sh)"
        command -v docker >/dev/null || skip "the docker client is not installed (scripts/deps.sh)"
        [ -x "${BUSYBOX:-/bin/busybox}" ] || skip "busybox-static is not installed (scripts/deps.sh)"
        run env CELL="$CELL" "$REPO_ROOT/tests/parity/parity.sh"
        if [ "$status" -eq 77 ]; then
                skip "$output"
        fi
        if [ "$status" -ne 0 ]; then
                # bats shows a failed test's output: the differing cases only.
                printf '%s\n' "$output" | grep -v '^PASS '
                return 1
        fi
}
