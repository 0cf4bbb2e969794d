#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# cell's registry client against docker, skopeo and podman on one registry:
# Debian's docker-registry on 127.0.0.1 (registry_helpers.bash), a private
# dockerd (tests/lib/private_dockerd.bash, with --insecure-registry for it),
# skopeo with TLS verification off (plain http), podman with its own
# storage and configuration under a temporary directory and runc as its
# runtime. An image pushed by one is pulled by the other, keeps its
# manifest digest, and runs. The image is `cell image base busybox`.
# Skipped, with the reason, when a tool is missing.

load helpers
load registry_helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        command -v docker-registry >/dev/null || return 0
        [ -x /bin/busybox ] || return 0
        REG_DIR=$(mktemp -d /var/tmp/cell-interop.XXXXXX)
        export REG_DIR
        REG=127.0.0.1:$(start_registry plain)
        export REG
        export CELL_RUNROOT=/run/cell-interop-test.${REG_DIR##*.}
        # The image every test starts from, made once.
        CELL_STORAGE_ROOT=$REG_DIR/base "$CELL" image base busybox >/dev/null
        CELL_STORAGE_ROOT=$REG_DIR/base "$CELL" save -o "$REG_DIR/busybox.tar" localhost/busybox
        if command -v dockerd >/dev/null && command -v docker >/dev/null; then
                export DOCKER_DIR=$REG_DIR/docker
                # shellcheck source=../lib/private_dockerd.bash
                . "$BATS_TEST_DIRNAME/../lib/private_dockerd.bash"
                DOCKERD_EXTRA_ARGS="--insecure-registry $REG" TIMEOUT=120 dockerd_start cell-interop &&
                        echo "$DOCKERD_PID" >"$REG_DIR/dockerd.pid"
        fi
        if command -v podman >/dev/null && command -v runc >/dev/null; then
                mkdir -p "$REG_DIR/podman"
                # podman's default rlimits (nofile 1048576) are above this
                # sandbox's hard limits; no systemd, no network stack.
                cat >"$REG_DIR/podman/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$REG_DIR/podman/events.log"
tmp_dir = "$REG_DIR/podman/tmp"
volume_path = "$REG_DIR/podman/volumes"
lock_type = "file"

[network]
network_config_dir = "$REG_DIR/podman/networks"
EOC
                cat >"$REG_DIR/podman/storage.conf" <<EOC
[storage]
driver = "vfs"
runroot = "$REG_DIR/podman/runroot"
graphroot = "$REG_DIR/podman/root"
EOC
                echo 'unqualified-search-registries = []' >"$REG_DIR/podman/registries.conf"
        fi
}

teardown_file() {
        [ -n "${REG_DIR:-}" ] || return 0
        local f pid
        if [ -f "$REG_DIR/dockerd.pid" ]; then
                export DOCKER_DIR=$REG_DIR/docker
                . "$BATS_TEST_DIRNAME/../lib/private_dockerd.bash"
                DOCKERD_PID=$(cat "$REG_DIR/dockerd.pid")
                dockerd_stop
        fi
        if [ -d "$REG_DIR/podman" ] && command -v podman >/dev/null; then
                pm rm --all --force --time 0 >/dev/null 2>&1 || true
        fi
        for f in "$REG_DIR"/*/pid; do
                [ -f "$f" ] || continue
                pid=$(cat "$f")
                kill "$pid" 2>/dev/null || true
                while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
        done
        awk -v d="$REG_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
                while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$REG_DIR" "${CELL_RUNROOT:-/nonexistent}"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${REG_DIR:-}" ] || skip "docker-registry or busybox-static missing (scripts/deps.sh)"
        TEST_DIR=$(mktemp -d "$REG_DIR/t.XXXXXX")
        export CELL_STORAGE_ROOT=$TEST_DIR/storage
        export DOCKER_DIR=$REG_DIR/docker
        . "$BATS_TEST_DIRNAME/../lib/private_dockerd.bash"
        TIMEOUT=120
}

teardown() {
        local id
        [ -n "${TEST_DIR:-}" ] || return 0
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
}

need_docker() {
        [ -f "$REG_DIR/dockerd.pid" ] || skip "docker/dockerd missing or the private dockerd did not start"
}

need_skopeo() {
        command -v skopeo >/dev/null || skip "skopeo missing"
}

pm() {
        CONTAINERS_CONF=$REG_DIR/podman/containers.conf CONTAINERS_STORAGE_CONF=$REG_DIR/podman/storage.conf \
                CONTAINERS_REGISTRIES_CONF=$REG_DIR/podman/registries.conf \
                timeout -k 5 120 podman "$@"
}

# cell pull's "Digest: sha256:..." line.
pulled_digest() {
        sed -n 's/^Digest: //p' <<<"$1"
}

# "TAG: digest: sha256:... size: N" (docker push and cell push alike).
pushed_digest() {
        sed -n 's/^.*: digest: \(sha256:[0-9a-f]*\) size: .*/\1/p' <<<"$1"
}

@test "docker push of a cell image (cell save | docker load): cell pulls the same digest and runs it" {
        need_docker
        run -0 dk load -i "$REG_DIR/busybox.tar"
        run -0 dk tag localhost/busybox:latest "$REG/from-docker:1"
        run -0 dk push "$REG/from-docker:1"
        digest=$(pushed_digest "$output")
        [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]
        run -0 "$CELL" pull "$REG/from-docker:1"
        [ "$(pulled_digest "$output")" = "$digest" ]
        run -0 "$CELL" run --rm --network none "$REG/from-docker:1" /bin/busybox echo pulled-from-docker
        [ "$output" = pulled-from-docker ]
}

@test "skopeo copy docker-archive: to the registry: cell pulls it and runs it" {
        need_skopeo
        run -0 skopeo copy --dest-tls-verify=false "docker-archive:$REG_DIR/busybox.tar" \
                "docker://$REG/from-skopeo:1"
        digest=$(skopeo inspect --tls-verify=false "docker://$REG/from-skopeo:1" | jq -r .Digest)
        run -0 "$CELL" pull "$REG/from-skopeo:1"
        [ "$(pulled_digest "$output")" = "$digest" ]
        run -0 "$CELL" run --rm --network none "$REG/from-skopeo:1" /bin/busybox echo pulled-from-skopeo
        [ "$output" = pulled-from-skopeo ]
}

@test "cell push: docker pulls the same digest and runs it" {
        need_docker
        "$CELL" load -i "$REG_DIR/busybox.tar" >/dev/null
        run -0 "$CELL" push localhost/busybox "$REG/from-cell:docker"
        digest=$(pushed_digest "$output")
        [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]
        run -0 dk pull "$REG/from-cell:docker"
        [[ "$output" == *"Digest: $digest"* ]]
        run -0 dk image inspect --format '{{index .RepoDigests 0}}' "$REG/from-cell:docker"
        [ "$output" = "$REG/from-cell@$digest" ]
        run -0 dk run --rm --network none "$REG/from-cell:docker" /bin/busybox echo docker-ran-it
        [ "$output" = docker-ran-it ]
        # docker's pull changed nothing in the registry.
        run -0 curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
                -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
                "http://$REG/v2/from-cell/manifests/docker"
        [[ "${output,,}" == *"docker-content-digest: $digest"* ]]
}

@test "cell push: skopeo inspects the same digest and copies it to an oci: directory" {
        need_skopeo
        "$CELL" load -i "$REG_DIR/busybox.tar" >/dev/null
        run -0 "$CELL" push localhost/busybox "$REG/from-cell:skopeo"
        digest=$(pushed_digest "$output")
        run -0 skopeo inspect --tls-verify=false "docker://$REG/from-cell:skopeo"
        [ "$(jq -r .Digest <<<"$output")" = "$digest" ]
        # --raw: the bytes as the registry serves them hash to the digest.
        [ "$(skopeo inspect --raw --tls-verify=false "docker://$REG/from-cell:skopeo" | sha256sum | cut -d' ' -f1)" = "${digest#sha256:}" ]
        # --preserve-digests: a docker manifest would be converted to OCI's
        # (a new digest) otherwise; preserved, the layout's entry is ours.
        run -0 skopeo copy --preserve-digests --src-tls-verify=false "docker://$REG/from-cell:skopeo" \
                "oci:$TEST_DIR/oci:bb"
        run -0 jq -r '.manifests[0].digest' "$TEST_DIR/oci/index.json"
        [ "$output" = "$digest" ]
}

@test "cell push: podman pulls the same digest and runs it (runc)" {
        command -v podman >/dev/null && command -v runc >/dev/null || skip "podman or runc missing"
        "$CELL" load -i "$REG_DIR/busybox.tar" >/dev/null
        run -0 "$CELL" push localhost/busybox "$REG/from-cell:podman"
        digest=$(pushed_digest "$output")
        run -0 pm pull --tls-verify=false "$REG/from-cell:podman"
        run -0 pm image inspect --format '{{.Digest}}' "$REG/from-cell:podman"
        [ "$output" = "$digest" ]
        run -0 pm run --rm --runtime runc --network none --cgroup-manager cgroupfs "$REG/from-cell:podman" \
                /bin/busybox echo podman-ran-it
        [ "$output" = podman-ran-it ]
}
