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
