#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0

load helpers

@test "log: --log-format json writes an error line with the message when a command fails" {
        run cell --log "$TEST_DIR/log.json" --log-format json state nosuch
        assert_failure
        [ -s "$TEST_DIR/log.json" ]
        line=$(grep -m1 '"error"' "$TEST_DIR/log.json")
        [ -n "$line" ]
        jq -e . <<<"$line" >/dev/null
        assert_equal "$(jq -r .level <<<"$line")" error
        jq -r '.msg // .message' <<<"$line" | grep -q nosuch
}

@test "log: every line of the json log is valid JSON" {
        run cell --log "$TEST_DIR/log.json" --log-format json --debug state nosuch
        assert_failure
        [ -s "$TEST_DIR/log.json" ]
        while IFS= read -r l; do
                jq -e . <<<"$l" >/dev/null
        done <"$TEST_DIR/log.json"
}

@test "log: --log with the text format writes the error message" {
        run cell --log "$TEST_DIR/log.txt" --log-format text state nosuch
        assert_failure
        grep -q nosuch "$TEST_DIR/log.txt"
}
