#!/bin/bash
# test.sh — install what is needed, build, and run every test: the cmocka unit
# tests and the bats system tests against an ASan/UBSan build, a short fuzz run
# of every parser of untrusted input, and the format check. Ends with the line
# "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
passed=0 failed=0 skipped=0
log=$(mktemp -d /var/tmp/cell-test.XXXXXX)

count() { # count NAME RC: one aggregate test
        if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $1"; fi
}

scripts/deps.sh || { echo "test.sh: installing dependencies failed"; exit 1; }
scripts/build.sh build || exit 1
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false || exit 1

# Tier 1: unit tests (each meson test is one program with many cmocka cases;
# the counts below are cmocka's own).
echo "== unit tests (ASan/UBSan)"
if meson test -C build-asan --suite unit --print-errorlogs >"$log/unit.txt" 2>&1; then urc=0; else urc=1; fi
tail -n 15 "$log/unit.txt"
u_ok=$(grep -hoE '^\[  PASSED  \] [0-9]+' build-asan/meson-logs/testlog.txt 2>/dev/null | awk '{s+=$4} END {print s+0}')
u_fail=$(grep -hoE '^\[  FAILED  \] [0-9]+' build-asan/meson-logs/testlog.txt 2>/dev/null | awk '{s+=$4} END {print s+0}')
if [ "$urc" -ne 0 ] && [ "$u_fail" -eq 0 ]; then u_fail=1; fi
passed=$((passed + u_ok)) failed=$((failed + u_fail))

# Tier 2: system tests, as root (namespaces, mounts).
echo "== system tests (bats, ASan/UBSan build)"
if [ "$(id -u)" -eq 0 ]; then
        # leak.bats runs the ASan build of leak_cycles with detect_leaks=1 on
        # its own, so that heap leaks of the library fail it too.
        CELL="$root/build-asan/cli/cell" CELLPROBE="$root/build/tests/cellprobe" \
                LEAK_CYCLES="$root/build-asan/tests/leak_cycles" \
                ASAN_OPTIONS=detect_leaks=0 bats --tap tests/system >"$log/bats.tap" 2>&1
        cat "$log/bats.tap" | grep -E '^(not ok|ok .*# skip)' || true
        b_ok=$(grep -cE '^ok ' "$log/bats.tap" | tr -d ' ')
        b_skip=$(grep -cE '^ok .*# skip' "$log/bats.tap" | tr -d ' ')
        b_fail=$(grep -cE '^not ok ' "$log/bats.tap" | tr -d ' ')
        passed=$((passed + b_ok - b_skip)) skipped=$((skipped + b_skip)) failed=$((failed + b_fail))
        # The default bridge the tests' containers shared (cell0 is the
        # host's and stays up after them, as docker0 does): taken down with
        # its rules, now that nothing is on it.
        t=$(mktemp -d)
        "$root/build/cli/cell" --storage-root "$t/s" --runroot "$t/r" network prune -f >/dev/null 2>&1 || true
        rm -rf "$t"
else
        echo "SKIPPED: system tests need root (namespaces, mounts, devices)"
        skipped=$((skipped + 1))
fi

# Tier 3: fuzzing, briefly: every parser of untrusted input.
for target in spec seccomp ref manifest image_config imgarchive layer units passwd dockerfile registry; do
        echo "== fuzz ($target, ${CELL_FUZZ_SECONDS:-30} s)"
        if [ -x scripts/fuzz.sh ]; then
                scripts/fuzz.sh "${CELL_FUZZ_SECONDS:-30}" "$target" >"$log/fuzz-$target.txt" 2>&1
                frc=$?
                tail -n 3 "$log/fuzz-$target.txt"
                count "fuzz_$target" "$frc"
        fi
done

echo "== format"
scripts/check-format.sh
count format "$?"

echo "logs: $log"
if [ "$skipped" -gt 0 ]; then
        echo "$passed passed, $failed failed, $skipped skipped"
else
        echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
