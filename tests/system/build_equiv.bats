#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# `cell build` against `docker build`: tests/build/equiv.sh builds every case
# of tests/build/corpus/ with a private dockerd (BuildKit) and with cell and
# compares the images' file trees and configs (tests/build/compare.py); any
# difference fails this test, with the script's report as its output.

load helpers

@test "build equivalence: the corpus builds to the same files and config as docker build (tests/build/corpus)" {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        command -v dockerd >/dev/null || skip "dockerd is not installed (Debian's docker.io: scripts/deps.sh)"
        [ -x /usr/bin/docker ] || skip "Debian's docker client is not installed (scripts/deps.sh)"
        [ -x "${BUSYBOX:-/bin/busybox}" ] || skip "busybox-static is not installed (scripts/deps.sh)"
        run env CELL="$CELL" "$REPO_ROOT/tests/build/equiv.sh"
        if [ "$status" -eq 77 ]; then
                skip "$output"
        fi
        if [ "$status" -ne 0 ]; then
                printf '%s\n' "$output" | grep -v '^SAME '
                return 1
        fi
}
