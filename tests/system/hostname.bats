#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0

load helpers

@test "hostname: the container sees the configured hostname" {
        cfg '.hostname = "box-one"'
        set_args /cellprobe hostname
        run -0 run_ctr c1
        assert_equal "$output" box-one
}

@test "hostname: the host's hostname is unchanged" {
        before=$(hostname)
        cfg '.hostname = "box-two"'
        set_args /cellprobe hostname
        run -0 run_ctr c1
        assert_equal "$(hostname)" "$before"
}

@test "domainname: the container sees the configured domainname" {
        cfg '.hostname = "h" | .domainname = "example.test"'
        set_args /cellprobe domainname
        run -0 run_ctr c1
        assert_equal "$output" example.test
}

@test "hostname: setting it without a uts namespace is an error" {
        cfg '.hostname = "nope" | .linux.namespaces |= map(select(.type != "uts"))'
        set_args /cellprobe hostname
        run run_ctr c1
        assert_failure
        assert_output_contains "hostname"
        assert_output_contains "uts"
        run cell list -q
        assert_equal "$output" ""
}
