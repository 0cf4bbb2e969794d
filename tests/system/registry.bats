#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# cell pull, push, login and logout against a real registry: Debian's
# docker-registry (Distribution) on 127.0.0.1, one with plain HTTP and no
# auth, one with htpasswd (Basic) auth, each on a free port with its storage
# under a temporary directory, started in setup_file and stopped by pid in
# teardown_file. Images are made on this machine (`cell image base busybox`,
# `cell import`, `cell build`); every test has its own store.

load helpers
load registry_helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        command -v docker-registry >/dev/null || return 0
        command -v htpasswd >/dev/null || return 0
        [ -x /bin/busybox ] || return 0
        REG_DIR=$(mktemp -d /var/tmp/cell-registry.XXXXXX)
        export REG_DIR
        htpasswd -Bbn alice 's3cret!' >"$REG_DIR/htpasswd"
        PLAIN=127.0.0.1:$(start_registry plain)
        AUTHREG=127.0.0.1:$(start_registry auth "$REG_DIR/htpasswd")
        # Bearer tokens as Docker Hub hands them out, in front of the plain
        # registry (token_proxy.py).
        mkdir -p "$REG_DIR/token"
        python3 "$BATS_TEST_DIRNAME/token_proxy.py" "$REG_DIR/token/port" "${PLAIN#*:}" bob 'pw:1' \
                2>"$REG_DIR/token/log" 3>&- &
        echo $! >"$REG_DIR/token/pid"
        for _ in $(seq 100); do
                [ -s "$REG_DIR/token/port" ] && break
                sleep 0.1
        done
        TOKENREG=127.0.0.1:$(cat "$REG_DIR/token/port")
        export PLAIN AUTHREG TOKENREG
        export CELL_RUNROOT=/run/cell-registry-test.${REG_DIR##*.}
}

teardown_file() {
        [ -n "${REG_DIR:-}" ] || return 0
        local f
        for f in "$REG_DIR"/*/pid; do
                [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
        done
        for f in "$REG_DIR"/*/pid; do
                [ -f "$f" ] || continue
                while kill -0 "$(cat "$f")" 2>/dev/null; do sleep 0.05; done
        done
        grep -o " $REG_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$REG_DIR" "${CELL_RUNROOT:-/nonexistent}"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${REG_DIR:-}" ] || skip "docker-registry, htpasswd (apache2-utils) or busybox-static missing (scripts/deps.sh)"
        TEST_DIR=$(mktemp -d "$REG_DIR/t.XXXXXX")
        export CELL_STORAGE_ROOT=$TEST_DIR/storage
        export CELL_AUTH_FILE=$TEST_DIR/auth.json
}

teardown() {
        local id
        if [ -n "${TEST_DIR:-}" ]; then
                for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                        "$CELL" rm -f "$id" >/dev/null 2>&1 || true
                done
        fi
}

image_id() {
        "$CELL" image inspect --format '{{.Id}}' "$1"
}

# flip_byte FILE OFFSET: change one byte in place, to another value than it
# had (the byte there may be anything: readdir orders a layer's tar).
flip_byte() {
        local b
        b=$(dd if="$1" bs=1 skip="$2" count=1 status=none)
        if [ "$b" = X ]; then b=Y; else b=X; fi
        printf '%s' "$b" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# A one-layer image whose layer no other test has: 64 KiB of random bytes.
unique_image() {
        mkdir -p "$TEST_DIR/u/bin"
        cp /bin/busybox "$TEST_DIR/u/bin/busybox"
        head -c 65536 /dev/urandom >"$TEST_DIR/u/random"
        tar -C "$TEST_DIR/u" -cf "$TEST_DIR/u.tar" .
        "$CELL" import "$TEST_DIR/u.tar" "$1" >/dev/null
}

@test "push to a plain HTTP registry, rmi, pull: the same image id, and it runs" {
        "$CELL" image base busybox >/dev/null
        id=$(image_id localhost/busybox)
        run -0 "$CELL" tag localhost/busybox "$PLAIN/bb:1"
        run -0 "$CELL" push "$PLAIN/bb:1"
        [ "${lines[0]}" = "The push refers to repository [$PLAIN/bb]" ]
        [[ "${lines[1]}" =~ ^[0-9a-f]{12}:\ Pushed$ ]]
        [[ "${lines[-1]}" =~ ^1:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+$ ]]
        pushed=${lines[-1]#1: digest: }
        pushed=${pushed%% *}
        run -0 "$CELL" rmi "$PLAIN/bb:1" localhost/busybox
        run -0 "$CELL" pull "$PLAIN/bb:1"
        [ "${lines[0]}" = "1: Pulling from bb" ]
        [[ "$output" =~ [0-9a-f]{12}:\ Pull\ complete ]]
        [ "${lines[-3]}" = "Digest: $pushed" ]
        [ "${lines[-2]}" = "Status: Downloaded newer image for $PLAIN/bb:1" ]
        [ "${lines[-1]}" = "$PLAIN/bb:1" ]
        [ "$(image_id "$PLAIN/bb:1")" = "$id" ]
        run -0 "$CELL" run --rm "$PLAIN/bb:1" echo hello from the registry
        [ "$output" = "hello from the registry" ]
        run -0 "$CELL" image check
}

@test "pull again: up to date, nothing downloaded; push again: every layer already exists" {
        "$CELL" image base busybox >/dev/null
        "$CELL" tag localhost/busybox "$PLAIN/again:1"
        run -0 "$CELL" push "$PLAIN/again:1"
        run -0 "$CELL" push "$PLAIN/again:1"
        [[ "${lines[1]}" =~ ^[0-9a-f]{12}:\ Layer\ already\ exists$ ]]
        run -0 "$CELL" pull "$PLAIN/again:1"
        [[ "${lines[1]}" =~ ^[0-9a-f]{12}:\ Already\ exists$ ]]
        [[ "$output" != *"Pull complete"* ]]
        [ "${lines[-2]}" = "Status: Image is up to date for $PLAIN/again:1" ]
}

@test "pull by digest; -q prints only the reference" {
        "$CELL" image base busybox >/dev/null
        id=$(image_id localhost/busybox)
        "$CELL" tag localhost/busybox "$PLAIN/bydigest:1"
        run -0 "$CELL" push -q "$PLAIN/bydigest:1"
        [ "$output" = "$PLAIN/bydigest:1" ]
        run -0 "$CELL" push "$PLAIN/bydigest:1"
        digest=${lines[-1]#1: digest: }
        digest=${digest%% *}
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull -q "$PLAIN/bydigest@$digest"
        [ "$output" = "$PLAIN/bydigest@$digest" ]
        [ "$(image_id "$PLAIN/bydigest@$digest")" = "$id" ]
        # A digest the registry does not have.
        run -1 "$CELL" pull "$PLAIN/bydigest@sha256:$(printf '%064d' 0)"
        [[ "$output" == *"HTTP 404"* ]]
}

@test "an index is resolved to this machine's platform; the name points at the index" {
        [ "$(uname -m)" = x86_64 ] || skip "the index below offers linux/amd64 and linux/arm64 only"
        "$CELL" image base busybox >/dev/null
        unique_image localhost/other:1
        "$CELL" tag localhost/busybox "$PLAIN/multi:amd64"
        "$CELL" tag localhost/other:1 "$PLAIN/multi:arm64"
        run -0 "$CELL" push "$PLAIN/multi:amd64"
        amd=${lines[-1]#amd64: digest: }
        amd_size=${amd##* }
        amd=${amd%% *}
        run -0 "$CELL" push "$PLAIN/multi:arm64"
        arm=${lines[-1]#arm64: digest: }
        arm_size=${arm##* }
        arm=${arm%% *}
        # arm64 first: taking the first entry would be wrong.
        jq -nc --arg a "$amd" --argjson asz "$amd_size" --arg r "$arm" --argjson rsz "$arm_size" '{
                schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
                manifests: [
                        {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $r, size: $rsz,
                         platform: {os: "linux", architecture: "arm64"}},
                        {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $a, size: $asz,
                         platform: {os: "linux", architecture: "amd64"}}]}' | tr -d '\n' >"$TEST_DIR/index.json"
        curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
                --data-binary @"$TEST_DIR/index.json" "http://$PLAIN/v2/multi/manifests/both"
        index_digest=sha256:$(sha256sum <"$TEST_DIR/index.json" | cut -d' ' -f1)
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull "$PLAIN/multi:both"
        [ "${lines[-3]}" = "Digest: $index_digest" ]
        [ "$(image_id "$PLAIN/multi:both")" = "$(CELL_STORAGE_ROOT=$TEST_DIR/storage image_id localhost/busybox)" ]
        run -0 jq -r --arg n "$PLAIN/multi:both" \
                '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' \
                "$CELL_STORAGE_ROOT/images/index.json"
        [ "$output" = "$index_digest" ]
        run -0 "$CELL" image check
        # Pushing it sends this machine's manifest.
        run -0 "$CELL" push "$PLAIN/multi:both" "$PLAIN/multi:again"
        [ "${lines[-1]}" = "again: digest: $amd size: $amd_size" ]
}

@test "pull of a tag the registry does not have fails with the registry's error" {
        run -1 "$CELL" pull "$PLAIN/nosuch:1"
        [[ "$output" == *"cell pull: pulling $PLAIN/nosuch:1"*"HTTP 404"*"MANIFEST_UNKNOWN"* ]] ||
                [[ "$output" == *"HTTP 404"*"NAME_UNKNOWN"* ]]
        run -0 "$CELL" images -q
        [ -z "$output" ]
}

@test "basic auth: push without login fails clearly; login, push, pull; logout" {
        "$CELL" image base busybox >/dev/null
        "$CELL" tag localhost/busybox "$AUTHREG/private:1"
        run -1 "$CELL" push "$AUTHREG/private:1"
        [[ "$output" == *"unauthorized: authentication required"*"cell login $AUTHREG"* ]]
        run -1 "$CELL" login -u alice -p wrong "$AUTHREG"
        [[ "$output" == *"incorrect username or password"* ]]
        [ ! -e "$CELL_AUTH_FILE" ]
        run -0 "$CELL" login -u alice --password-stdin "$AUTHREG" <<<'s3cret!'
        [ "$output" = "Login Succeeded" ]
        [ "$(stat -c %a "$CELL_AUTH_FILE")" = 600 ]
        [ "$(jq -r --arg h "$AUTHREG" '.auths[$h].auth' "$CELL_AUTH_FILE" | base64 -d)" = 'alice:s3cret!' ]
        run -0 "$CELL" push "$AUTHREG/private:1"
        [[ "$output" == *"1: digest: sha256:"* ]]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull "$AUTHREG/private:1"
        [ "${lines[-1]}" = "$AUTHREG/private:1" ]
        run -0 "$CELL" logout "$AUTHREG"
        [ "$output" = "Removing login credentials for $AUTHREG" ]
        run -0 "$CELL" logout "$AUTHREG"
        [ "$output" = "Not logged in to $AUTHREG" ]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage3
        run -1 "$CELL" pull "$AUTHREG/private:1"
        [[ "$output" == *"unauthorized: authentication required"* ]]
}

@test "bearer tokens: anonymous pull with a token, push refused without login, allowed after it" {
        "$CELL" image base busybox >/dev/null
        "$CELL" tag localhost/busybox "$PLAIN/viatoken:1"
        run -0 "$CELL" push "$PLAIN/viatoken:1"
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull "$TOKENREG/viatoken:1"
        [ "${lines[-1]}" = "$TOKENREG/viatoken:1" ]
        grep -q 'GET /token?service=cell-test&scope=repository%3Aviatoken%3Apull ' "$REG_DIR/token/log"
        run -1 "$CELL" push "$TOKENREG/viatoken:1" "$TOKENREG/mine:1"
        [[ "$output" == *"HTTP 401: UNAUTHORIZED: authentication required"* ]]
        run -1 "$CELL" login -u bob --password-stdin "$TOKENREG" <<<'wrong'
        [[ "$output" == *"incorrect username or password"* ]]
        run -0 "$CELL" login -u bob --password-stdin "$TOKENREG" <<<'pw:1'
        run -0 "$CELL" push "$TOKENREG/viatoken:1" "$TOKENREG/mine:1"
        [[ "${lines[-1]}" == "1: digest: sha256:"* ]]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage3
        run -0 "$CELL" pull -q "$TOKENREG/mine:1"
        [ "$(image_id "$TOKENREG/mine:1")" = "$(CELL_STORAGE_ROOT=$TEST_DIR/storage image_id localhost/busybox)" ]
}

@test "https with a private CA from certs.d/HOST:PORT/ca.crt; without it the certificate is refused" {
        command -v openssl >/dev/null || skip "openssl not found"
        host=$(hostname)
        getent hosts "$host" | grep -q '^127\.' || skip "$host does not resolve to a loopback address"
        tls=$TEST_DIR/tls
        mkdir -p "$tls"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/ca.key" -out "$tls/ca.crt" -days 2 \
                -subj "/CN=cell test CA" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout "$tls/server.key" -out "$tls/server.csr" \
                -subj "/CN=$host" 2>/dev/null
        printf 'subjectAltName=DNS:%s\n' "$host" >"$tls/ext"
        openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
                -out "$tls/server.crt" -days 2 -extfile "$tls/ext" 2>/dev/null
        port=$(start_registry "tls-${TEST_DIR##*.}" "" "$tls")
        reg=$host:$port
        "$CELL" image base busybox >/dev/null
        "$CELL" tag localhost/busybox "$reg/secure:1"
        export CELL_CONFIG_DIR=$TEST_DIR/config
        run -1 "$CELL" push "$reg/secure:1"
        [[ "$output" == *"https://$reg"*"certificate"* ]]
        mkdir -p "$CELL_CONFIG_DIR/certs.d/$reg"
        cp "$tls/ca.crt" "$CELL_CONFIG_DIR/certs.d/$reg/ca.crt"
        run -0 "$CELL" push "$reg/secure:1"
        [[ "${lines[-1]}" == "1: digest: sha256:"* ]]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull -q "$reg/secure:1"
        [ "$output" = "$reg/secure:1" ]
        kill "$(cat "$REG_DIR/tls-${TEST_DIR##*.}/pid")"
}

@test "a registry named in CELL_INSECURE_REGISTRIES is reached with plain http, others with https" {
        host=$(hostname)
        getent hosts "$host" | grep -q '^127\.' || skip "$host does not resolve to a loopback address"
        reg=$host:${PLAIN#*:}
        "$CELL" image base busybox >/dev/null
        "$CELL" tag localhost/busybox "$reg/insecure:1"
        run -1 "$CELL" push "$reg/insecure:1"
        [[ "$output" == *"https://$reg"* ]]
        CELL_INSECURE_REGISTRIES=other:1,$reg run -0 "$CELL" push "$reg/insecure:1"
        [[ "${lines[-1]}" == "1: digest: sha256:"* ]]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        CELL_INSECURE_REGISTRIES=$reg run -0 "$CELL" pull -q "$reg/insecure:1"
        [ "$output" = "$reg/insecure:1" ]
}

@test "credentials are read from ~/.docker/config.json too" {
        "$CELL" image base busybox >/dev/null
        "$CELL" tag localhost/busybox "$AUTHREG/fromhome:1"
        unset CELL_AUTH_FILE
        export HOME=$TEST_DIR/home XDG_RUNTIME_DIR=$TEST_DIR/xdg
        mkdir -p "$HOME/.docker"
        printf '{"auths":{"http://%s/":{"auth":"%s"}}}\n' "$AUTHREG" "$(printf 'alice:s3cret!' | base64)" \
                >"$HOME/.docker/config.json"
        run -0 "$CELL" push "$AUTHREG/fromhome:1"
        run -0 "$CELL" logout "$AUTHREG"
        [ "$(jq -c .auths "$HOME/.docker/config.json")" = '{}' ]
}

@test "a blob tampered with in the registry is refused: digest mismatch, nothing stored" {
        unique_image localhost/tamper:1
        "$CELL" tag localhost/tamper:1 "$PLAIN/tamper:1"
        run -0 "$CELL" push "$PLAIN/tamper:1"
        layer=$("$CELL" image inspect localhost/tamper:1 | jq -r '.[0].RootFS.Layers[0]')
        # An imported layer is stored uncompressed: its digest is its diffID.
        f=$REG_DIR/plain/data/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data
        [ -f "$f" ]
        flip_byte "$f" 4000
        [ "sha256:$(sha256sum <"$f" | cut -d' ' -f1)" != "$layer" ]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -1 "$CELL" pull "$PLAIN/tamper:1"
        [[ "$output" == *"layer $layer"*"digest mismatch: expected $layer, got sha256:"* ]]
        run -0 "$CELL" images -q
        [ -z "$output" ]
        run -0 "$CELL" image check
        [ ! -e "$CELL_STORAGE_ROOT/images/blobs/sha256/${layer#sha256:}" ]
}

@test "layers are reused: a second image on the same base downloads only its own layer" {
        "$CELL" image base busybox >/dev/null
        mkdir -p "$TEST_DIR/ctx"
        echo "the top layer" >"$TEST_DIR/ctx/hi"
        printf 'FROM localhost/busybox\nCOPY hi /hi\n' >"$TEST_DIR/ctx/Dockerfile"
        "$CELL" build -q -t localhost/withhi "$TEST_DIR/ctx" >/dev/null
        "$CELL" tag localhost/busybox "$PLAIN/reuse:base"
        "$CELL" tag localhost/withhi "$PLAIN/reuse:hi"
        run -0 "$CELL" push "$PLAIN/reuse:base"
        run -0 "$CELL" push "$PLAIN/reuse:hi"
        [ "$(grep -c 'Layer already exists' <<<"$output")" = 1 ]
        [ "$(grep -c 'Pushed' <<<"$output")" = 1 ]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull "$PLAIN/reuse:base"
        [ "$(grep -c 'Pull complete' <<<"$output")" = 1 ]
        base_layer=$(grep 'Pull complete' <<<"$output" | cut -d: -f1)
        run -0 "$CELL" pull "$PLAIN/reuse:hi"
        [ "$(grep -c 'Pull complete' <<<"$output")" = 1 ]
        [ "$(grep -c 'Already exists' <<<"$output")" = 1 ]
        [[ "$output" == *"$base_layer: Already exists"* ]]
        run -0 "$CELL" run --rm "$PLAIN/reuse:hi" cat /hi
        [ "$output" = "the top layer" ]
        run -0 "$CELL" image check
}

@test "six layers download three at a time, each unpacked as it arrives; a bad one fails the pull cleanly" {
        "$CELL" image base busybox >/dev/null
        mkdir -p "$TEST_DIR/ml"
        printf 'FROM localhost/busybox\n' >"$TEST_DIR/ml/Dockerfile"
        for i in 1 2 3 4 5; do
                head -c $((i * 300000)) /dev/urandom >"$TEST_DIR/ml/f$i"
                echo "COPY f$i /f$i" >>"$TEST_DIR/ml/Dockerfile"
        done
        "$CELL" build -q -t "$PLAIN/many:1" "$TEST_DIR/ml" >/dev/null
        run -0 "$CELL" push "$PLAIN/many:1"
        [ "$(grep -c ': Pushed$' <<<"$output")" = 6 ]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" --debug pull "$PLAIN/many:1"
        [ "$(grep -c ': Pull complete$' <<<"$output")" = 6 ]
        # Every layer went through the stage (unpacked from the stream).
        [ "$(grep -c 'staging sha256:' <<<"$output")" = 6 ]
        [[ "$output" != *"not kept"* ]]
        run -0 "$CELL" run --rm "$PLAIN/many:1" sh -c 'cd / && sha256sum f1 f2 f3 f4 f5'
        [ "$output" = "$(cd "$TEST_DIR/ml" && sha256sum f1 f2 f3 f4 f5)" ]
        run -0 "$CELL" image check

        # The fourth layer damaged in the registry: the pull fails, no name,
        # no layer directory left half-made.
        layer=$("$CELL" image inspect "$PLAIN/many:1" | jq -r '.[0].RootFS.Layers[3]')
        f=$REG_DIR/plain/data/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data
        [ -f "$f" ]
        flip_byte "$f" 2000
        export CELL_STORAGE_ROOT=$TEST_DIR/storage3
        run -1 "$CELL" pull "$PLAIN/many:1"
        [[ "$output" == *"digest mismatch"* ]]
        run -0 "$CELL" images -q
        [ -z "$output" ]
        run -0 "$CELL" image check
        [ -z "$(find "$CELL_STORAGE_ROOT/layers" -maxdepth 1 -name '.tmp-*')" ]
}

@test "neither cell nor its image module links libcurl (the module loads it for pull, push, login)" {
        command -v ldd >/dev/null || skip "ldd not found"
        run -0 ldd "$CELL"
        [[ "$output" != *libcurl* ]]
        module=$(dirname "$CELL")/cell-image.so
        [ -f "$module" ] || skip "no cell-image.so beside $CELL"
        run -0 ldd "$module"
        [[ "$output" != *libcurl* ]]
}

@test "mirrors (registries.json): tried first, a dead one passed over; insecure-registries and --tls-verify=false; a malformed file is an error naming it" {
        unique_image localhost/mirrored:1
        id=$(image_id localhost/mirrored:1)
        run -0 "$CELL" tag localhost/mirrored:1 "$PLAIN/mirrored:1"
        run -0 "$CELL" push "$PLAIN/mirrored:1"
        run -0 "$CELL" rmi localhost/mirrored:1 "$PLAIN/mirrored:1"
        # The "registry" 127.0.0.1:1 does not exist; its first mirror is
        # dead too, its second one has the image.
        export CELL_CONFIG_DIR=$TEST_DIR/conf
        mkdir -p "$CELL_CONFIG_DIR"
        run -1 "$CELL" pull 127.0.0.1:1/mirrored:1
        printf '{"mirrors": {"127.0.0.1:1": ["http://127.0.0.1:2", "http://%s"]}}\n' "$PLAIN" \
                >"$CELL_CONFIG_DIR/registries.json"
        run -0 "$CELL" pull 127.0.0.1:1/mirrored:1
        assert_output_contains "Pulling from the mirror http://$PLAIN"
        [ "$(image_id 127.0.0.1:1/mirrored:1)" = "$id" ]
        run -0 "$CELL" run --rm 127.0.0.1:1/mirrored:1 /bin/busybox test -s /random
        # insecure-registries: a name that is not loopback's is reached with
        # plain http when the file says so (https otherwise).
        local host
        host=$(hostname)
        if getent hosts "$host" | grep -q '^127\.'; then
                run -1 "$CELL" pull "$host:${PLAIN#*:}/mirrored:1"
                # Or for one command: podman's --tls-verify=false.
                run -0 "$CELL" pull --tls-verify=false "$host:${PLAIN#*:}/mirrored:1"
                run -0 "$CELL" push --tls-verify=false "$host:${PLAIN#*:}/mirrored:1" "$host:${PLAIN#*:}/mirrored:2"
                printf '{"insecure-registries": ["%s:%s"]}\n' "$host" "${PLAIN#*:}" >"$CELL_CONFIG_DIR/registries.json"
                run -0 "$CELL" pull "$host:${PLAIN#*:}/mirrored:1"
        fi
        echo '{"mirrors": 3}' >"$CELL_CONFIG_DIR/registries.json"
        run -1 "$CELL" pull "$PLAIN/mirrored:1"
        assert_output_contains "registries.json: mirrors: expected an object"
}

# slow_proxy PORT RATE NAME: a slow front for the plain registry (see
# slow_proxy.py); prints the port once it listens.
slow_proxy() {
        local dir=$TEST_DIR/$3 i
        mkdir -p "$dir"
        rm -f "$dir/port"
        python3 "$BATS_TEST_DIRNAME/slow_proxy.py" "$1" "${PLAIN#*:}" "$2" "$dir/port" >/dev/null 2>"$dir/log" 3>&- &
        echo $! >"$dir/pid"
        for i in $(seq 100); do
                [ -s "$dir/port" ] && break
                sleep 0.05
        done
        cat "$dir/port"
}

@test "a registry that dies mid-pull: a clear error, nothing tagged, the store clean; the next pull resumes and fetches only what is missing" {
        "$CELL" image base busybox >/dev/null
        mkdir -p "$TEST_DIR/ctx"
        printf '%s\n' 'FROM localhost/busybox' 'RUN head -c 6000000 /dev/urandom > /a' \
                'RUN head -c 6000000 /dev/urandom > /b' >"$TEST_DIR/ctx/Dockerfile"
        run -0 "$CELL" build -q -t "$PLAIN/big:1" "$TEST_DIR/ctx"
        run -0 "$CELL" push "$PLAIN/big:1"
        # An empty store pulls it (rmi would leave the blobs until gc).
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        # 2 MB/s: the small base layer is in at once, the 6 MB ones take 3 s.
        local port
        port=$(slow_proxy 0 2000000 p1)
        "$CELL" pull "127.0.0.1:$port/big:1" >"$TEST_DIR/pull1.out" 2>&1 &
        local pull=$! st=0 i
        for i in $(seq 200); do
                grep -q "Pull complete" "$TEST_DIR/pull1.out" && break
                sleep 0.05
        done
        sleep 0.5
        kill -KILL "$(cat "$TEST_DIR/p1/pid")"
        wait "$pull" || st=$?
        [ "$st" -ne 0 ]
        run cat "$TEST_DIR/pull1.out"
        assert_output_contains "pulling 127.0.0.1:$port/big:1"
        run "$CELL" image inspect "127.0.0.1:$port/big:1"
        assert_failure
        run -0 "$CELL" image check
        # The registry is back: what came in whole is not fetched again,
        # and a layer that stopped half-way goes on from where it stopped
        # (a Range request, answered 206 by the registry).
        slow_proxy "$port" 0 p2 >/dev/null
        run -0 "$CELL" pull "127.0.0.1:$port/big:1"
        assert_output_contains "Already exists"
        assert_output_contains "Resuming download"
        assert_output_contains "Pull complete"
        grep -q '" 206 ' "$REG_DIR/plain/log"
        run -0 "$CELL" run --rm "127.0.0.1:$port/big:1" sh -c 'test -s /a && test -s /b && echo whole'
        assert_equal "$output" "whole"
        kill "$(cat "$TEST_DIR/p2/pid")"
}

@test "pull --all-tags pulls every tag the registry lists, each runnable" {
        "$CELL" image base busybox >/dev/null
        unique_image "$PLAIN/alltags:two"
        run -0 "$CELL" push localhost/busybox "$PLAIN/alltags:one"
        run -0 "$CELL" push "$PLAIN/alltags:two"
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull --all-tags "$PLAIN/alltags"
        [[ "$output" == *"one: Pulling from alltags"* ]]
        [[ "$output" == *"two: Pulling from alltags"* ]]
        [ "${lines[-1]}" = "$PLAIN/alltags" ]
        run -0 "$CELL" images
        [[ "$output" =~ $PLAIN/alltags\ +one ]]
        [[ "$output" =~ $PLAIN/alltags\ +two ]]
        run -0 "$CELL" run --rm --network none "$PLAIN/alltags:two" /bin/busybox test -f /random
        run -2 "$CELL" pull -a "$PLAIN/alltags:one"
        [[ "$output" == *"tag can't be used with --all-tags/-a"* ]]
        run -1 "$CELL" pull --all-tags "$PLAIN/no-such-repo"
        [[ "$output" == *"listing the tags of $PLAIN/no-such-repo"*"404"* ]]
}

@test "search lists the catalog's repositories that contain the term, with docker's columns" {
        "$CELL" image base busybox >/dev/null
        run -0 "$CELL" push localhost/busybox "$PLAIN/searchme/one:1"
        run -0 "$CELL" push localhost/busybox "$PLAIN/searchme-two:1"
        run -0 "$CELL" search "$PLAIN/searchme"
        [[ "${lines[0]}" =~ ^NAME\ +DESCRIPTION\ +STARS\ +OFFICIAL$ ]]
        [ "${#lines[@]}" -eq 3 ]
        [[ "${lines[1]}" =~ ^$PLAIN/searchme/one\ +0\ *$ ]]
        [[ "${lines[2]}" =~ ^$PLAIN/searchme-two\ +0\ *$ ]]
        run -0 "$CELL" search --limit 1 "$PLAIN/searchme"
        [ "${#lines[@]}" -eq 2 ]
        run -0 "$CELL" search "$PLAIN/nothing-is-called-this"
        [ "${#lines[@]}" -eq 1 ]
        run -2 "$CELL" search --limit 0 "$PLAIN/x"
        [[ "$output" == *"invalid limit"* ]]
}

@test "search: a registry that does not offer its catalog is named in the error" {
        # A plain web server stands for a registry without /v2/_catalog
        # (Docker Hub answers 401 to it, hosted registries 404).
        mkdir -p "$TEST_DIR/www/v2"
        port=$(free_port)
        python3 -m http.server -b 127.0.0.1 -d "$TEST_DIR/www" "$port" >/dev/null 2>&1 3>&- &
        pid=$!
        for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
        run -1 "$CELL" search "127.0.0.1:$port/x"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        [[ "$output" == *"127.0.0.1:$port does not offer its catalog (/v2/_catalog)"*"HTTP 404"* ]]
        # The htpasswd registry refuses it to a client without credentials.
        run -1 "$CELL" search "$AUTHREG/x"
        [[ "$output" == *"$AUTHREG does not offer its catalog (/v2/_catalog)"*"cell login"* ]]
}

@test "Distribution's token mode: tokens signed with a key the test makes; anonymous pull, push only after login, a wrong password refused" {
        local dir=$REG_DIR/jwt idir=$REG_DIR/jwtissuer port tport i
        mkdir -p "$idir"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$idir/key.pem" -out "$idir/cert.pem" -days 2 \
                -subj "/CN=cell-test-token" 2>/dev/null
        python3 "$BATS_TEST_DIRNAME/jwt_issuer.py" "$idir/port" "$idir/key.pem" "$idir/cert.pem" carol 'pw:2' \
                >/dev/null 2>"$idir/log" 3>&- &
        echo $! >"$idir/pid"
        for i in $(seq 100); do
                [ -s "$idir/port" ] && break
                sleep 0.05
        done
        tport=$(cat "$idir/port")
        port=$(REG_EXTRA_CONFIG=$(printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: cell-test\n    issuer: cell-test-issuer\n    rootcertbundle: %s' \
                "$tport" "$idir/cert.pem") start_registry jwt)
        local reg=127.0.0.1:$port
        "$CELL" image base busybox >/dev/null
        run -0 "$CELL" tag localhost/busybox "$reg/tok:1"
        run -1 "$CELL" push "$reg/tok:1"
        assert_output_contains "no credentials for $reg: cell login"
        run -1 "$CELL" login -u carol -p wrong "$reg"
        assert_output_contains "incorrect username or password"
        run -0 "$CELL" login -u carol -p 'pw:2' "$reg"
        assert_output_contains "Login Succeeded"
        run -0 "$CELL" push "$reg/tok:1"
        run -0 "$CELL" logout "$reg"
        # Anonymous pull into an empty store, with a pull-only token.
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull "$reg/tok:1"
        assert_output_contains "Status: Downloaded newer image for $reg/tok:1"
        run -0 "$CELL" run --rm "$reg/tok:1" echo signed
        assert_equal "$output" "signed"
        # The registry saw the tokens: every request was authorised by one.
        grep -q 'GET /v2/tok/manifests/1' "$dir/log"
}

@test "pull on a terminal draws a bar per layer with bytes and rate; without one, plain lines" {
        "$CELL" image base busybox >/dev/null
        mkdir -p "$TEST_DIR/ctx"
        printf '%s\n' 'FROM localhost/busybox' 'RUN head -c 3000000 /dev/urandom > /a' >"$TEST_DIR/ctx/Dockerfile"
        run -0 "$CELL" build -q -t "$PLAIN/bars:1" "$TEST_DIR/ctx"
        run -0 "$CELL" push "$PLAIN/bars:1"
        local port
        port=$(slow_proxy 0 3000000 bars)
        export CELL_STORAGE_ROOT=$TEST_DIR/storage-tty
        run -0 python3 "$BATS_TEST_DIRNAME/pty_drive.py" 24x120 -- "$CELL" pull "127.0.0.1:$port/bars:1"
        assert_output_contains "Downloading ["
        assert_output_contains "MB/s"
        assert_output_contains "Pull complete"
        assert_output_contains "exit=0"
        export CELL_STORAGE_ROOT=$TEST_DIR/storage-plain
        run -0 "$CELL" pull "127.0.0.1:$port/bars:1"
        assert_output_not_contains "Downloading"
        assert_output_not_contains $'\033['
        assert_output_contains "Pull complete"
        kill "$(cat "$TEST_DIR/bars/pid")"
        # A push on a terminal: a row per layer, "Preparing" redrawn as
        # "Pushed" in place.
        unique_image "$PLAIN/bars-tty:1"
        run -0 python3 "$BATS_TEST_DIRNAME/pty_drive.py" 24x120 -- "$CELL" push "$PLAIN/bars-tty:1"
        assert_output_contains ": Preparing"
        assert_output_contains $'\033[1A'
        assert_output_contains ": Pushed"
        assert_output_contains "exit=0"
}

@test "push in chunks (PATCH with Content-Range, then PUT with the digest) when a blob is bigger than the chunk size" {
        "$CELL" image base busybox >/dev/null
        mkdir -p "$TEST_DIR/ctx"
        printf '%s\n' 'FROM localhost/busybox' 'RUN head -c 2500000 /dev/urandom > /a' >"$TEST_DIR/ctx/Dockerfile"
        run -0 "$CELL" build -q -t "$PLAIN/chunked:1" "$TEST_DIR/ctx"
        local id
        id=$(image_id "$PLAIN/chunked:1")
        local before
        before=$(grep -c '"PATCH /v2/chunked/blobs/uploads/' "$REG_DIR/plain/log" || true)
        CELL_PUSH_CHUNK_SIZE=1000000 run -0 "$CELL" push "$PLAIN/chunked:1"
        # The 2.5 MB layer: three chunks of at most 1 MB.
        [ "$(grep -c '"PATCH /v2/chunked/blobs/uploads/' "$REG_DIR/plain/log")" -ge $((before + 3)) ]
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull "$PLAIN/chunked:1"
        [ "$(image_id "$PLAIN/chunked:1")" = "$id" ]
        run -0 "$CELL" run --rm "$PLAIN/chunked:1" sh -c 'wc -c < /a'
        assert_equal "$output" "2500000"
}

@test "push to another repository of the same registry mounts the layers it has (cross-repository mount), pushed or pulled before" {
        unique_image "$PLAIN/mount-src:1"
        run -0 "$CELL" push "$PLAIN/mount-src:1"
        [[ "$output" == *": Pushed"* ]]
        run -0 "$CELL" tag "$PLAIN/mount-src:1" "$PLAIN/mount-dst:1"
        local before
        before=$(grep -c 'mount=sha256' "$REG_DIR/plain/log" || true)
        run -0 "$CELL" push "$PLAIN/mount-dst:1"
        [[ "${lines[1]}" =~ ^[0-9a-f]{12}:\ Mounted\ from\ mount-src$ ]]
        [[ "$output" != *": Pushed"* ]]
        [ "$(grep -c 'mount=sha256' "$REG_DIR/plain/log")" -gt "$before" ]
        # A pulled image remembers where its layers came from too.
        export CELL_STORAGE_ROOT=$TEST_DIR/storage2
        run -0 "$CELL" pull "$PLAIN/mount-src:1"
        run -0 "$CELL" tag "$PLAIN/mount-src:1" "$PLAIN/mount-third:1"
        run -0 "$CELL" push "$PLAIN/mount-third:1"
        [[ "${lines[1]}" =~ Mounted\ from\ mount-src ]]
        # The mounted image pulls whole.
        export CELL_STORAGE_ROOT=$TEST_DIR/storage3
        run -0 "$CELL" pull "$PLAIN/mount-third:1"
        run -0 "$CELL" run --rm "$PLAIN/mount-third:1" /bin/busybox test -s /random
}
