#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# An invalid config.json is refused with an error that names the offending field.

load helpers

# The container must not be left behind after a refused config.
assert_no_container() {
        run cell list -q
        assert_equal "$output" ""
}

@test "config: a relative process.cwd is refused naming process.cwd" {
        cfg '.process.cwd = "tmp"'
        run run_ctr c1
        assert_failure
        assert_output_contains "process.cwd"
        assert_no_container
}

@test "config: an unknown namespace type is refused naming linux.namespaces" {
        cfg '.linux.namespaces += [{"type": "bogus"}]'
        run run_ctr c1
        assert_failure
        assert_output_contains "linux.namespaces"
        assert_output_contains "bogus"
        assert_no_container
}

@test "config: a relative mount destination is refused naming mounts[N].destination" {
        cfg '.mounts += [{"destination": "rel/x", "type": "tmpfs", "source": "tmpfs"}]'
        n=$(jq '.mounts | length - 1' "$BUNDLE/config.json")
        run run_ctr c1
        assert_failure
        assert_output_contains "mounts[$n].destination"
        assert_no_container
}

@test "config: bad JSON is reported with its line and column" {
        printf '{\n  "ociVersion": "1.2.0",\n  "process": {,\n}\n' >"$BUNDLE/config.json"
        run run_ctr c1
        assert_failure
        assert_output_contains "line 3"
        assert_output_contains "column"
        assert_no_container
}

@test "config: a wrong type is refused naming the field" {
        cfg '.process.args = "not-an-array"'
        run run_ctr c1
        assert_failure
        assert_output_contains "process.args"
        assert_no_container
}

@test "config: a missing config.json is a clear error" {
        rm "$BUNDLE/config.json"
        run run_ctr c1
        assert_failure
        assert_output_contains "config.json"
        assert_no_container
}

@test "config: unknown annotations and unknown top-level properties are ignored" {
        cfg '.annotations = {"org.example.unknown": "x", "io.cell.nope": "y"}
             | .fooBarUnknown = {"a": 1}
             | .process.args = ["/cellprobe", "exit", "3"]'
        run -3 run_ctr c1
}

@test "config: annotations are reported by state" {
        cfg '.annotations = {"org.example.key": "value"} | .process.args = ["/cellprobe", "sleep", "30"]'
        create_ctr c1
        run cell state c1
        assert_success
        assert_equal "$(jq -r '.annotations["org.example.key"]' <<<"$output")" value
}
