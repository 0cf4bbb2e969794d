# SPDX-License-Identifier: Apache-2.0
#
# Shared setup for the cell system tests (bats). Each test gets:
#   TEST_DIR    a fresh temporary directory under /var/tmp (removed in teardown)
#   STATE_ROOT  a fresh `cell --root` state directory inside it
#   BUNDLE      a bundle made by scripts/make-bundle.sh with the probe at
#               /cellprobe and a config.json from `cell spec`, edited to run
#               `/cellprobe report` without a terminal and with a writable root
# and these helpers:
#   cell ARGS...          the cell binary ($CELL) with --root $STATE_ROOT
#   cfg JQ_EXPR [ARGS]    edit $BUNDLE/config.json in place with jq
#   set_args ARG...       set process.args
#   create_ctr ID [OPTS]  `cell create` with the container's stdio in files
#   run_ctr ARGS...       `cell run` with stdin from /dev/null
#   wait_status ID STATUS wait until `cell state` reports STATUS
# Teardown force-deletes every container left in $STATE_ROOT; it never signals
# any process it did not start.

bats_require_minimum_version 1.5.0

REPO_ROOT=${CELL_REPO_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
CELL=${CELL:-$REPO_ROOT/build/cli/cell}
CELLPROBE=${CELLPROBE:-$REPO_ROOT/build/tests/cellprobe}
MAKE_BUNDLE=$REPO_ROOT/scripts/make-bundle.sh

cell() {
        "$CELL" --root "$STATE_ROOT" "$@"
}

# cfg JQ_EXPR [extra jq args...]: edit config.json in place.
cfg() {
        local expr=$1
        shift
        jq "$expr" "$@" <"$BUNDLE/config.json" >"$BUNDLE/config.json.new" || {
                echo "cfg: jq failed on: $expr" >&2
                return 1
        }
        mv -f "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARG...: set process.args to exactly these strings.
set_args() {
        # jq 1.6 parses options (e.g. -c) even after --args, so build the array
        # one --arg at a time.
        local a json='[]'
        for a in "$@"; do
                json=$(jq -c --arg x "$a" '. + [$x]' <<<"$json")
        done
        cfg '.process.args = $a' --argjson a "$json"
}

# add_namespace TYPE [PATH]: replace (or add) a namespace entry.
set_namespace() {
        local type=$1 path=${2:-}
        if [ -n "$path" ]; then
                cfg '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t, path: $p}])' \
                        --arg t "$type" --arg p "$path"
        else
                cfg '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t}])' --arg t "$type"
        fi
}

# create_ctr ID [create options...]: create with the container's stdio going to
# $TEST_DIR/ID.out / ID.err so that no pipe of bats stays open in the container.
create_ctr() {
        local id=$1
        shift
        cell create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TEST_DIR/$id.out" 2>"$TEST_DIR/$id.err"
}

# try_create ID [create options...]: like create_ctr, but prints cell's own
# messages, for `run try_create` in tests that expect create to fail. The
# container's stdio is a file, so a create that wrongly succeeds cannot keep
# bats waiting on a pipe.
try_create() {
        local id=$1 rc=0
        shift
        cell create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TEST_DIR/try_create.log" 2>&1 || rc=$?
        cat "$TEST_DIR/try_create.log"
        return "$rc"
}

# run_ctr ARGS...: `cell run --bundle $BUNDLE ARGS...` with stdin closed off.
run_ctr() {
        cell run --bundle "$BUNDLE" "$@" </dev/null
}

# ctr_status ID: the status field of `cell state ID`.
ctr_status() {
        cell state "$1" | jq -r .status
}

ctr_pid() {
        cell state "$1" | jq -r .pid
}

# wait_status ID STATUS: poll (up to ~5 s) until the container reaches STATUS.
wait_status() {
        local i s
        for i in $(seq 1 100); do
                s=$(ctr_status "$1" 2>/dev/null) || s=
                [ "$s" = "$2" ] && return 0
                sleep 0.05
        done
        echo "container $1: status is '$s', expected '$2'" >&2
        return 1
}

# wait_file PATH [PATTERN]: poll (up to ~5 s) until PATH exists (and matches).
wait_file() {
        local i
        for i in $(seq 1 100); do
                if [ -e "$1" ] && { [ -z "${2:-}" ] || grep -q -- "$2" "$1"; }; then
                        return 0
                fi
                sleep 0.05
        done
        echo "timed out waiting for $1 ${2:+to contain $2}" >&2
        return 1
}

# Small assertions (bats-assert is not a dependency).
assert_success() {
        if [ "$status" -ne 0 ]; then
                echo "expected success, got status $status; output:" >&2
                echo "$output" >&2
                return 1
        fi
}

assert_failure() {
        if [ "$status" -eq 0 ]; then
                echo "expected failure, got status 0; output:" >&2
                echo "$output" >&2
                return 1
        fi
}

assert_output_contains() {
        if [[ "$output" != *"$1"* ]]; then
                echo "expected output to contain: $1" >&2
                echo "actual output:" >&2
                echo "$output" >&2
                return 1
        fi
}

assert_output_not_contains() {
        if [[ "$output" == *"$1"* ]]; then
                echo "expected output NOT to contain: $1" >&2
                echo "actual output:" >&2
                echo "$output" >&2
                return 1
        fi
}

assert_equal() {
        if [ "$1" != "$2" ]; then
                echo "expected: '$2'" >&2
                echo "actual:   '$1'" >&2
                return 1
        fi
}

# A value from `key=value` lines in $output.
output_value() {
        printf '%s\n' "$output" | sed -n "s/^$1=//p" | head -n1
}

common_setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL (build it with ninja -C build)"
        [ -x "$CELLPROBE" ] || skip "cellprobe not found at $CELLPROBE"
        # /var/tmp rather than $BATS_TEST_TMPDIR: the bundle must be reachable by
        # a container root mapped to an unprivileged host uid (user namespace
        # tests), and bats makes its own directories 0700; a short path also
        # keeps console socket paths under the 108-byte limit.
        TEST_DIR=$(mktemp -d "${CELL_TEST_TMPDIR:-/var/tmp}/cell-test.XXXXXX")
        chmod 0755 "$TEST_DIR"
        STATE_ROOT=$TEST_DIR/state
        BUNDLE=$TEST_DIR/bundle
        mkdir -p "$STATE_ROOT"
        "$MAKE_BUNDLE" "$BUNDLE" --probe "$CELLPROBE" >/dev/null
        cell spec --bundle "$BUNDLE"
        cfg '.process.terminal = false
             | .process.args = ["/cellprobe", "report"]
             | .root.readonly = false'
}

common_teardown() {
        local id
        if [ -n "${STATE_ROOT:-}" ] && [ -d "$STATE_ROOT" ]; then
                for id in $("$CELL" --root "$STATE_ROOT" list -q 2>/dev/null); do
                        "$CELL" --root "$STATE_ROOT" delete --force "$id" >/dev/null 2>&1 || true
                done
        fi
        if [ -n "${TEST_DIR:-}" ] && [ -d "$TEST_DIR" ]; then
                rm -rf "$TEST_DIR"
        fi
}

setup() {
        common_setup
}

teardown() {
        common_teardown
}
