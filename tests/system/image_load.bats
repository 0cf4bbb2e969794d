#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# cell load / save / import against the real tools: images made with umoci
# and written by skopeo into docker-archive and oci-archive load with the
# config and layer digests skopeo reports; cell's store is read by skopeo as
# it is; what cell saves loads into podman and runs there (with cell as the
# runtime); a cut archive fails cleanly; and SIGKILL at random moments of a
# load never leaves the store inconsistent. Every store lives under /var/tmp
# (--storage-root); STORE_CHECK is the store check helper (tests/store_check).

load helpers
load clients_helpers

STORE_CHECK=${STORE_CHECK:-$(dirname "$CELL")/../tests/store_check}

# img NAME: a tiny OCI layout image in $IMG_DIR/L:NAME made with umoci:
# busybox, a file, and (for "big") 8 MiB of random bytes.
make_layout_image() {
        local name=$1 b=$IMG_DIR/bundle-$1
        umoci new --image "$IMG_DIR/L:$name"
        umoci unpack --rootless --image "$IMG_DIR/L:$name" "$b" >/dev/null
        mkdir -p "$b/rootfs/bin"
        cp "${BUSYBOX:-/bin/busybox}" "$b/rootfs/bin/busybox"
        echo "hello from $name" >"$b/rootfs/hello"
        if [ "$name" = big ]; then
                head -c 8M /dev/urandom >"$b/rootfs/random"
        fi
        umoci repack --image "$IMG_DIR/L:$name" "$b"
        umoci config --image "$IMG_DIR/L:$name" --config.cmd /bin/busybox --config.cmd cat \
                --config.cmd /hello
        rm -rf "$b"
}

setup_file() {
        podman_setup_file
        IMG_DIR=$(mktemp -d /var/tmp/cell-imgload.XXXXXX)
        export IMG_DIR
        command -v umoci >/dev/null && command -v skopeo >/dev/null || return 0
        umoci init --layout "$IMG_DIR/L"
        make_layout_image small
        make_layout_image big
        skopeo copy -q oci:"$IMG_DIR/L:small" docker-archive:"$IMG_DIR/small-docker.tar":example/small:d
        skopeo copy -q oci:"$IMG_DIR/L:small" oci-archive:"$IMG_DIR/small-oci.tar":example/small:o
        skopeo copy -q oci:"$IMG_DIR/L:big" docker-archive:"$IMG_DIR/big-docker.tar":example/big:1
}

teardown_file() {
        podman_teardown_file
        rm -rf "$IMG_DIR"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -x "$STORE_CHECK" ] || skip "store_check not found at $STORE_CHECK"
        command -v umoci >/dev/null || skip "umoci is not installed"
        command -v skopeo >/dev/null || skip "skopeo is not installed"
        TEST_DIR=$(mktemp -d /var/tmp/cell-test.XXXXXX)
        SR=$TEST_DIR/storage
        STORE=$SR/images
}

teardown() {
        dockerd_stop
        if [ -n "${PODMAN_DIR:-}" ] && [ -z "${CLIENTS_SKIP:-}" ]; then
                podman_remove_all
        fi
        rm -rf "$TEST_DIR"
}

ci() {
        "$CELL" --storage-root "$SR" "$@"
}

# config_digest SKOPEO_REF: sha256 of the raw config, as skopeo reads it.
config_digest() {
        echo "sha256:$(skopeo inspect --config --raw "$1" | sha256sum | cut -d' ' -f1)"
}

store_clean() {
        run "$STORE_CHECK" "$STORE"
        [ "$status" -eq 0 ] || {
                echo "store check: $output" >&2
                return 1
        }
}

@test "load: a skopeo docker-archive gives the same config and layer digests" {
        run ci load -i "$IMG_DIR/small-docker.tar"
        assert_success
        assert_equal "$output" "Loaded image: example/small:d"
        local want_cfg got_cfg want_layers got_layers
        want_cfg=$(config_digest docker-archive:"$IMG_DIR/small-docker.tar")
        got_cfg=$(skopeo inspect --raw oci:"$STORE":docker.io/example/small:d | jq -r .config.digest)
        assert_equal "$got_cfg" "$want_cfg"
        # docker-archive layers are uncompressed: their digests are the diffIDs.
        want_layers=$(skopeo inspect docker-archive:"$IMG_DIR/small-docker.tar" | jq -c .Layers)
        got_layers=$(skopeo inspect oci:"$STORE":docker.io/example/small:d | jq -c .Layers)
        assert_equal "$got_layers" "$want_layers"
        store_clean
}

@test "load: a skopeo oci-archive keeps its manifest, config and layer digests" {
        run ci load -i "$IMG_DIR/small-oci.tar"
        assert_success
        assert_equal "$output" "Loaded image: example/small:o"
        local want got
        want=$(skopeo inspect oci-archive:"$IMG_DIR/small-oci.tar" | jq -c '[.Digest, .Layers]')
        got=$(skopeo inspect oci:"$STORE":docker.io/example/small:o | jq -c '[.Digest, .Layers]')
        assert_equal "$got" "$want"
        assert_equal "$(skopeo inspect --raw oci:"$STORE":docker.io/example/small:o | jq -r .config.digest)" \
                "$(config_digest oci-archive:"$IMG_DIR/small-oci.tar")"
        store_clean
}

@test "load: from stdin, gzip and zstd compressed, and -q prints nothing" {
        gzip -c "$IMG_DIR/small-docker.tar" | ci load >"$TEST_DIR/out"
        assert_equal "$(cat "$TEST_DIR/out")" "Loaded image: example/small:d"
        zstd -q -c "$IMG_DIR/small-oci.tar" | ci image load -q >"$TEST_DIR/out"
        assert_equal "$(cat "$TEST_DIR/out")" ""
        skopeo inspect oci:"$STORE":docker.io/example/small:o >/dev/null
        store_clean
}

@test "load: an image without a name is kept under its id" {
        skopeo copy -q oci:"$IMG_DIR/L:small" docker-archive:"$TEST_DIR/noname.tar"
        run ci load -i "$TEST_DIR/noname.tar"
        assert_success
        local id
        id=$(config_digest docker-archive:"$TEST_DIR/noname.tar")
        assert_equal "$output" "Loaded image ID: $id"
        assert_equal "$(jq -r --arg id "$id" '.manifests[] | select(.annotations["io.cell.image.id"] == $id) | .digest' \
                "$STORE/index.json" | wc -l)" 1
        store_clean
}

@test "load: a truncated archive fails with a clear error and the store stays clean" {
        ci load -q -i "$IMG_DIR/small-oci.tar"
        head -c 1500000 "$IMG_DIR/big-docker.tar" >"$TEST_DIR/cut.tar"
        run ci load -i "$TEST_DIR/cut.tar"
        assert_failure
        assert_output_contains "cell load: archive:"
        echo "$output"
        store_clean
        # Nothing of the cut image is named.
        run jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$STORE/index.json"
        assert_equal "$output" "docker.io/example/small:o"
}

@test "load: a layer whose content does not match the config's diffID is refused" {
        mkdir "$TEST_DIR/x"
        tar -C "$TEST_DIR/x" -xf "$IMG_DIR/small-docker.tar"
        local layer
        layer=$(jq -r '.[0].Layers[0]' "$TEST_DIR/x/manifest.json")
        # Same name, other content: the member is not named by a digest then.
        echo junk >>"$TEST_DIR/x/$layer"
        mv "$TEST_DIR/x/$layer" "$TEST_DIR/x/layer.tar"
        jq '.[0].Layers[0] = "layer.tar"' "$TEST_DIR/x/manifest.json" >"$TEST_DIR/x/m" && mv "$TEST_DIR/x/m" "$TEST_DIR/x/manifest.json"
        tar -C "$TEST_DIR/x" -cf "$TEST_DIR/bad.tar" .
        run ci load -i "$TEST_DIR/bad.tar"
        assert_failure
        assert_output_contains "its content has diffID"
        store_clean
}

@test "save: docker-archive and oci-archive read back by skopeo and by cell with the same digests" {
        ci load -q -i "$IMG_DIR/small-oci.tar"
        ci save -o "$TEST_DIR/d.tar" example/small:o
        ci save --format oci-archive -o "$TEST_DIR/o.tar" example/small:o
        ci save example/small:o >"$TEST_DIR/stdout.tar"
        cmp "$TEST_DIR/d.tar" "$TEST_DIR/stdout.tar" # deterministic, and stdout works
        local cfg
        cfg=$(skopeo inspect --raw oci:"$STORE":docker.io/example/small:o | jq -r .config.digest)
        assert_equal "$(config_digest docker-archive:"$TEST_DIR/d.tar")" "$cfg"
        assert_equal "$(skopeo inspect oci-archive:"$TEST_DIR/o.tar" | jq -r .Digest)" \
                "$(skopeo inspect oci:"$STORE":docker.io/example/small:o | jq -r .Digest)"
        tar -xOf "$TEST_DIR/d.tar" manifest.json | jq -e '.[0].RepoTags == ["docker.io/example/small:o"]'
        SR=$TEST_DIR/second STORE=$TEST_DIR/second/images
        run ci load -i "$TEST_DIR/d.tar"
        assert_equal "$output" "Loaded image: example/small:o"
        assert_equal "$(skopeo inspect --raw oci:"$STORE":docker.io/example/small:o | jq -r .config.digest)" "$cfg"
        store_clean
}

@test "save: refuses a terminal and an unknown image" {
        ci load -q -i "$IMG_DIR/small-oci.tar"
        run ci save -o "$TEST_DIR/x.tar" example/nope:1
        assert_failure
        assert_output_contains "no such image: docker.io/example/nope:1"
        [ ! -e "$TEST_DIR/x.tar" ]
        if command -v script >/dev/null; then
                run script -qec "$CELL --storage-root $SR save example/small:o" /dev/null
                assert_output_contains "refusing to write to a terminal"
        fi
}

@test "import: a rootfs tarball with --change and -m becomes a one-layer image" {
        local tar id
        tar=$(clients_rootfs_tar)
        run ci import -c 'CMD ["/bin/sh", "-c", "echo hi"]' -c 'ENV A=1 B="two words"' -c 'EXPOSE 8080 53/udp' \
                -c 'LABEL org.example=yes' -c 'WORKDIR /srv' -c 'USER 1000' -c 'VOLUME /data' -c 'STOPSIGNAL SIGINT' \
                -c 'ENTRYPOINT exec me' -m "made by a test" "$tar" example/imp:1
        assert_success
        id=$output
        [[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]]
        skopeo inspect --config --raw oci:"$STORE":docker.io/example/imp:1 >"$TEST_DIR/c.json"
        assert_equal "sha256:$(sha256sum <"$TEST_DIR/c.json" | cut -d' ' -f1)" "$id"
        jq -e '.os == "linux" and .config.Cmd == ["/bin/sh", "-c", "echo hi"]
               and .config.Env == ["A=1", "B=two words"]
               and (.config.ExposedPorts | keys) == ["53/udp", "8080/tcp"]
               and .config.Labels["org.example"] == "yes" and .config.WorkingDir == "/srv"
               and .config.User == "1000" and (.config.Volumes | keys) == ["/data"]
               and .config.StopSignal == "SIGINT" and .config.Entrypoint == ["/bin/sh", "-c", "exec me"]
               and .history[0].comment == "made by a test"
               and .rootfs.diff_ids[0] == ("sha256:" + $sum)' --arg sum "$(sha256sum <"$tar" | cut -d' ' -f1)" \
                "$TEST_DIR/c.json"
        # From stdin, compressed, without a name: kept by id, and a default comment.
        id=$(gzip -c "$tar" | SOURCE_DATE_EPOCH=0 ci image import -)
        skopeo inspect --config --raw oci:"$STORE":docker.io/example/imp:1 >/dev/null
        assert_equal "$(jq -r --arg id "$id" '[.manifests[] | select(.annotations["io.cell.image.id"] == $id)] | length' \
                "$STORE/index.json")" 1
        store_clean
}

@test "import: a bad --change names the instruction" {
        local tar
        tar=$(clients_rootfs_tar)
        run ci import -c 'RUN echo' "$tar"
        assert_failure
        assert_output_contains 'change "RUN echo": RUN is not an instruction import can apply'
        run ci import -c 'EXPOSE 70000' "$tar"
        assert_output_contains 'invalid port "70000"'
        run ci import -c 'LABEL novalue' "$tar"
        assert_output_contains 'LABEL needs KEY=VALUE, not "novalue"'
        run ci import /etc/hostname
        assert_output_contains "not a tar archive"
}

@test "save -> podman load -> podman run (cell as the runtime)" {
        clients_skip_if_missing
        local tar
        tar=$(clients_rootfs_tar)
        ci import -c 'CMD ["/bin/sh", "-c", "echo saved by cell"]' "$tar" example/fromcell:1 >/dev/null
        ci load -q -i "$IMG_DIR/small-docker.tar"
        ci save -o "$TEST_DIR/s.tar" example/fromcell:1 example/small:d
        run pm load -i "$TEST_DIR/s.tar"
        assert_success
        assert_output_contains "Loaded image: docker.io/example/fromcell:1"
        assert_output_contains "Loaded image: docker.io/example/small:d"
        run pm run --rm --pull=never docker.io/example/fromcell:1
        assert_success
        assert_output_contains "saved by cell"
        run pm run --rm --pull=never docker.io/example/small:d
        assert_output_contains "hello from small"
        # The same image id in both stores.
        assert_equal "sha256:$(pm image inspect --format '{{.Id}}' docker.io/example/small:d)" \
                "$(skopeo inspect --raw oci:"$STORE":docker.io/example/small:d | jq -r .config.digest)"
        # And the oci-archive form.
        ci save --format oci-archive -o "$TEST_DIR/o.tar" example/fromcell:1
        pm rmi -f docker.io/example/fromcell:1 >/dev/null
        run pm load -i "$TEST_DIR/o.tar"
        assert_success
        run pm run --rm --pull=never docker.io/example/fromcell:1
        assert_output_contains "saved by cell"
}

# chain_ids CONFIG_JSON_FILE: the chain id hex of each layer, one per line.
chain_ids() {
        local prev="" d c
        for d in $(jq -r '.rootfs.diff_ids[]' "$1"); do
                if [ -z "$prev" ]; then
                        c=$d
                else
                        c="sha256:$(printf '%s %s' "$prev" "$d" | sha256sum | cut -d' ' -f1)"
                fi
                echo "${c#sha256:}"
                prev=$c
        done
}

@test "load: every layer is unpacked while it loads, from the same read of the archive" {
        run ci load -i "$IMG_DIR/big-docker.tar"
        assert_success
        skopeo inspect --config oci:"$STORE":docker.io/example/big:1 >"$TEST_DIR/config.json"
        local n=0 hex
        for hex in $(chain_ids "$TEST_DIR/config.json"); do
                n=$((n + 1))
                [ -f "$SR/layers/$hex/meta.json" ] || {
                        echo "layer $hex is not unpacked after load" >&2
                        ls -la "$SR/layers" >&2
                        return 1
                }
                assert_equal "$(jq -r .chain_id "$SR/layers/$hex/meta.json")" "sha256:$hex"
        done
        [ "$n" -ge 1 ]
        # The 8 MiB file of the image is there, whole.
        [ "$(find "$SR/layers" -name random -size 8M | wc -l)" -ge 1 ]
        # No staging directory is left behind.
        [ -z "$(find "$SR/layers" -maxdepth 1 -name '.tmp-*')" ]
        # image unpack finds them all and unpacks nothing again.
        run ci image unpack example/big:1
        assert_success
        store_clean
}

@test "load: a layer with an entry that climbs out of it fails the load, names the entry, tags nothing" {
        mkdir "$TEST_DIR/x"
        python3 - "$TEST_DIR/x" <<'PY'
import hashlib, io, json, sys, tarfile
d = sys.argv[1]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("ok", b"fine\n"), ("../../escaped-by-load", b"pwned\n")):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
layer = buf.getvalue()
diff = "sha256:" + hashlib.sha256(layer).hexdigest()
open(f"{d}/layer.tar", "wb").write(layer)
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
cid = hashlib.sha256(cfg).hexdigest()
open(f"{d}/{cid}.json", "wb").write(cfg)
json.dump([{"Config": f"{cid}.json", "RepoTags": ["example/climb:1"], "Layers": ["layer.tar"]}],
          open(f"{d}/manifest.json", "w"))
PY
        tar -C "$TEST_DIR/x" -cf "$TEST_DIR/climb.tar" .
        run ci load -i "$TEST_DIR/climb.tar"
        assert_failure
        echo "$output"
        assert_output_contains "escaped-by-load"
        [ ! -e "$SR/escaped-by-load" ] && [ ! -e "$TEST_DIR/escaped-by-load" ] && [ ! -e /var/tmp/escaped-by-load ]
        [ -z "$(find "$SR/layers" -maxdepth 1 -name '.tmp-*')" ]
        run jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | map(select(. != null)) | length' \
                "$STORE/index.json"
        assert_equal "$output" "0"
        store_clean
}

@test "load killed with SIGKILL at random moments, 25 times: the store stays consistent" {
        local pid kills=0 attempts=0 complete_before want_small
        ci load -q -i "$IMG_DIR/small-docker.tar"
        ci load -q -i "$IMG_DIR/small-oci.tar"
        complete_before=$(jq -cS '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] != null)]' \
                "$STORE/index.json")
        want_small=$(skopeo inspect oci:"$STORE":docker.io/example/small:d | jq -c '[.Digest, .Layers]')
        # How long a whole load takes here, to kill within it.
        local t0 t1 span st
        t0=$(date +%s%N)
        "$CELL" --storage-root "$TEST_DIR/timing" load -q -i "$IMG_DIR/big-docker.tar"
        t1=$(date +%s%N)
        span=$(((t1 - t0) / 1000000))
        [ "$span" -ge 5 ] || span=5
        echo "# a whole load takes ${span} ms" >&3
        # Until 25 loads were killed while running (a kill that lands after
        # the end counts as an attempt only), at most 80 attempts.
        while [ "$kills" -lt 25 ] && [ "$attempts" -lt 80 ]; do
                attempts=$((attempts + 1))
                # The binary itself in the background (not the ci function, whose
                # subshell would take the signal instead).
                "$CELL" --storage-root "$SR" load -q -i "$IMG_DIR/big-docker.tar" 2>/dev/null &
                pid=$!
                sleep "$(awk -v ms=$((RANDOM % (span * 9 / 10 + 1))) 'BEGIN { printf "%.3f", ms / 1000 }')"
                kill -KILL "$pid" 2>/dev/null || true
                st=0
                wait "$pid" || st=$?
                if [ "$st" -eq 137 ]; then
                        kills=$((kills + 1))
                fi
                store_clean
                # Earlier images intact: same entries, readable, same digests.
                assert_equal "$(jq -cS '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] != null and .annotations["org.opencontainers.image.ref.name"] != "docker.io/example/big:1")]' \
                        "$STORE/index.json")" "$complete_before"
                assert_equal "$(skopeo inspect oci:"$STORE":docker.io/example/small:d | jq -c '[.Digest, .Layers]')" \
                        "$want_small"
                # A name for the big image only once it is complete.
                if jq -e '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "docker.io/example/big:1")' \
                        "$STORE/index.json" >/dev/null; then
                        skopeo inspect oci:"$STORE":docker.io/example/big:1 >/dev/null
                fi
        done
        echo "# $kills loads killed while running, in $attempts attempts" >&3
        [ "$kills" -ge 25 ]
        ci load -q -i "$IMG_DIR/big-docker.tar"
        store_clean
        # The staging directories of the killed loads are gone (swept by the
        # last load), and the layer is in place.
        [ -z "$(find "$SR/layers" -maxdepth 1 -name '.tmp-*')" ]
        skopeo inspect --config oci:"$STORE":docker.io/example/big:1 >"$TEST_DIR/config.json"
        local hex
        for hex in $(chain_ids "$TEST_DIR/config.json"); do
                [ -f "$SR/layers/$hex/meta.json" ]
        done
        assert_equal "$(skopeo inspect --raw oci:"$STORE":docker.io/example/big:1 | jq -r .config.digest)" \
                "$(config_digest docker-archive:"$IMG_DIR/big-docker.tar")"
}

# A private dockerd for one test: its own data root, exec root, pid file and
# socket under $TEST_DIR, no bridge, no iptables; stopped by its pid. On
# failure DOCKER_SKIP says why.
dockerd_start() {
        command -v dockerd >/dev/null || {
                DOCKER_SKIP="dockerd is not installed (Debian's docker.io: scripts/deps.sh)"
                return 1
        }
        DOCKER_DIR=$TEST_DIR/docker
        mkdir -p "$DOCKER_DIR"
        dockerd --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" --pidfile "$DOCKER_DIR/pid" \
                -H "unix://$DOCKER_DIR/sock" --bridge=none --iptables=false --ip6tables=false \
                --storage-driver=vfs --containerd-namespace cell-test --containerd-plugins-namespace cell-test-p \
                >"$DOCKER_DIR/log" 2>&1 &
        DOCKERD_PID=$!
        local i
        for i in $(seq 1 100); do
                if dk version >/dev/null 2>&1; then
                        return 0
                fi
                kill -0 "$DOCKERD_PID" 2>/dev/null || break
                sleep 0.2
        done
        DOCKER_SKIP="dockerd did not start: $(tail -3 "$DOCKER_DIR/log")"
        dockerd_stop
        return 1
}

dockerd_stop() {
        [ -n "${DOCKERD_PID:-}" ] || return 0
        kill "$DOCKERD_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 100); do
                kill -0 "$DOCKERD_PID" 2>/dev/null || break
                sleep 0.2
        done
        wait "$DOCKERD_PID" 2>/dev/null || true
        DOCKERD_PID=
        clients_umount_under "$DOCKER_DIR"
}

dk() {
        timeout -k 5 "$CLIENT_TIMEOUT" docker -H "unix://$DOCKER_DIR/sock" "$@"
}

@test "docker: docker save -> cell load and cell save -> docker load -> docker run" {
        dockerd_start || skip "$DOCKER_SKIP"
        local tar
        tar=$(clients_rootfs_tar)
        ci import -c 'CMD ["/bin/sh", "-c", "echo saved by cell"]' "$tar" example/fromcell:1 >/dev/null
        ci load -q -i "$IMG_DIR/small-docker.tar"
        ci save -o "$TEST_DIR/s.tar" example/fromcell:1 example/small:d
        run dk load -i "$TEST_DIR/s.tar"
        assert_success
        assert_output_contains "Loaded image: example/fromcell:1"
        assert_output_contains "Loaded image: example/small:d"
        assert_equal "$(dk image inspect --format '{{.Id}}' example/small:d)" \
                "$(skopeo inspect --raw oci:"$STORE":docker.io/example/small:d | jq -r .config.digest)"
        run dk run --rm --network none example/fromcell:1
        dockerd_run_status=$status
        if [ "$dockerd_run_status" -eq 0 ]; then
                assert_output_contains "saved by cell"
        else
                echo "# docker run failed here (not an image problem?): $output" >&3
        fi
        # docker save (the 20.10 layout: <id>/layer.tar, <id>.json) -> cell load.
        dk save -o "$TEST_DIR/d.tar" example/small:d example/fromcell:1
        SR=$TEST_DIR/second STORE=$TEST_DIR/second/images
        run ci load -i "$TEST_DIR/d.tar"
        assert_success
        assert_output_contains "Loaded image: example/small:d"
        local img
        for img in example/small:d example/fromcell:1; do
                assert_equal "$(skopeo inspect --raw oci:"$STORE":docker.io/$img | jq -r .config.digest)" \
                        "$(dk image inspect --format '{{.Id}}' "$img")"
                assert_equal "$(skopeo inspect oci:"$STORE":docker.io/$img | jq -c .Layers)" \
                        "$(dk image inspect --format '{{json .RootFS.Layers}}' "$img")"
        done
        store_clean
        dockerd_stop
        [ "$dockerd_run_status" -eq 0 ]
}
