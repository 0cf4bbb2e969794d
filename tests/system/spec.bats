#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0

load helpers

@test "spec: writes a valid config.json" {
        d=$TEST_DIR/specdir
        mkdir "$d"
        run -0 cell spec --bundle "$d"
        [ -f "$d/config.json" ]
        jq -e '.ociVersion and .process and .root.path == "rootfs" and (.linux.namespaces | length > 0)' "$d/config.json"
}

@test "spec: the default config runs as is once terminal is false" {
        rm "$BUNDLE/config.json"
        cell spec --bundle "$BUNDLE"
        cfg '.process.terminal = false'
        # the default process is `sh`, which exits at once with stdin at EOF
        run run_ctr c1
        assert_success
        run cell state c1
        assert_failure
}

@test "spec: without --bundle it writes in the current directory" {
        d=$TEST_DIR/cwdspec
        mkdir "$d"
        cd "$d"
        run -0 cell spec
        jq -e . "$d/config.json" >/dev/null
}

@test "spec --rootless: a user namespace with uid and gid mappings" {
        d=$TEST_DIR/rootless
        mkdir "$d"
        run -0 cell spec --rootless --bundle "$d"
        jq -e '.linux.namespaces | map(.type) | index("user") != null' "$d/config.json"
        jq -e '.linux.uidMappings | length >= 1' "$d/config.json"
        jq -e '.linux.gidMappings | length >= 1' "$d/config.json"
        jq -e '.linux.uidMappings[0].containerID == 0 and .linux.uidMappings[0].hostID == $u' \
                --argjson u "$(id -u)" "$d/config.json"
        jq -e '.linux.gidMappings[0].containerID == 0 and .linux.gidMappings[0].hostID == $g' \
                --argjson g "$(id -g)" "$d/config.json"
        # no network namespace without a network helper: rootless runc leaves it out too
        jq -e '.linux.namespaces | map(.type) | index("network") == null' "$d/config.json"
}

@test "spec: refuses to overwrite an existing config.json" {
        echo '{"keep": true}' >"$BUNDLE/config.json"
        run cell spec --bundle "$BUNDLE"
        assert_failure
        assert_output_contains "config.json"
        assert_equal "$(cat "$BUNDLE/config.json")" '{"keep": true}'
}
