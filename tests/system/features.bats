#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0

load helpers

@test "features: prints valid JSON" {
        run -0 cell features
        jq -e . <<<"$output" >/dev/null
}

@test "features: ociVersionMin and ociVersionMax are present" {
        run -0 cell features
        jq -e '.ociVersionMin | test("^1\\.")' <<<"$output"
        jq -e '.ociVersionMax | test("^1\\.")' <<<"$output"
}

@test "features: lists all six hooks" {
        run -0 cell features
        for h in prestart createRuntime createContainer startContainer poststart poststop; do
                jq -e --arg h "$h" '.hooks | index($h) != null' <<<"$output"
        done
}

@test "features: lists the namespaces" {
        run -0 cell features
        for ns in cgroup ipc mount network pid user uts; do
                jq -e --arg n "$ns" '.linux.namespaces | index($n) != null' <<<"$output"
        done
}

@test "features: seccomp is enabled with every action, operator and flag" {
        run cell features
        assert_success
        assert_equal "$(jq -r .linux.seccomp.enabled <<<"$output")" true
        for a in SCMP_ACT_ERRNO SCMP_ACT_KILL_PROCESS SCMP_ACT_NOTIFY SCMP_ACT_LOG; do
                jq -e --arg a "$a" '.linux.seccomp.actions | index($a) != null' <<<"$output" >/dev/null
        done
        jq -e '.linux.seccomp.operators | index("SCMP_CMP_MASKED_EQ") != null' <<<"$output" >/dev/null
        jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_LOG") != null' <<<"$output" >/dev/null
        assert_equal "$(jq -r '.linux.cgroup.v1, .linux.cgroup.v2' <<<"$output" | tr '\n' ' ')" "true true "
}
