#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# `cell build` where docker cannot be the reference on this machine
# (tests/build/equiv.sh compares the rest with docker build): here-documents,
# a tar context on standard input, errors that leave no image and no
# container, the build cache, SOURCE_DATE_EPOCH reproducibility, secrets
# that stay out of the layers. One store and run root for the file.

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        [ -x /bin/busybox ] || return 0
        BUILD_DIR=$(mktemp -d /var/tmp/cell-build.XXXXXX)
        export BUILD_DIR
        export CELL_STORAGE_ROOT=$BUILD_DIR/storage
        export CELL_RUNROOT=/run/cell-build-test.${BUILD_DIR##*.}
        local r=$BUILD_DIR/rootfs a
        mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root"
        cp /bin/busybox "$r/bin/busybox"
        for a in sh echo cat ls id true false env wc test rm mkdir; do
                ln -s busybox "$r/bin/$a"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
        printf 'root:x:0:\n' >"$r/etc/group"
        tar -C "$r" -cf "$BUILD_DIR/rootfs.tar" .
        "$CELL" import --change 'CMD ["sh"]' "$BUILD_DIR/rootfs.tar" localhost/build-base:1 >/dev/null
}

teardown_file() {
        [ -n "${BUILD_DIR:-}" ] || return 0
        local id m
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
        grep -o " $BUILD_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$BUILD_DIR" "$CELL_RUNROOT"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${BUILD_DIR:-}" ] || skip "busybox-static is not installed (scripts/deps.sh)"
        TEST_DIR=$(mktemp -d /var/tmp/cell-build-t.XXXXXX)
        cd "$TEST_DIR"
}

teardown() {
        cd /
        rm -rf "${TEST_DIR:-/nonexistent}"
}

c() {
        "$CELL" "$@"
}

# The number of containers in the store.
n_containers() {
        c ps -aq | wc -l
}

@test "build: RUN <<EOF runs the here-document as the script, and a here-document feeds a command" {
        printf '%s\n' 'FROM localhost/build-base:1' 'RUN <<EOF' 'echo one > /h1' 'echo two >> /h1' 'EOF' \
                'RUN cat <<BODY > /h2' 'home is $HOME' 'BODY' >Dockerfile
        run c build -q -t localhost/heredoc:1 .
        assert_success
        run c run --rm localhost/heredoc:1 cat /h1 /h2
        assert_success
        assert_equal "$output" "$(printf 'one\ntwo\nhome is /root')"
}

@test "build: COPY <<EOF writes each here-document as a file (expanded unless its delimiter is quoted)" {
        printf '%s\n' 'FROM localhost/build-base:1' 'ENV WHO=world' 'COPY <<EOF /etc/greeting' 'hello $WHO' 'EOF' \
                "COPY <<'RAW' <<TWO /docs/" 'literal $WHO' 'RAW' 'second' 'TWO' >Dockerfile
        run c build -q -t localhost/heredoc-copy:1 .
        assert_success
        run c run --rm localhost/heredoc-copy:1 sh -c 'cat /etc/greeting /docs/RAW /docs/TWO; stat -c %a /etc/greeting'
        assert_success
        assert_equal "$output" "$(printf 'hello world\nliteral $WHO\nsecond\n644')"
}

@test "build: 'cell build -' reads a tar context (with its Dockerfile) from standard input" {
        mkdir ctx
        echo from-tar >ctx/f
        printf 'FROM localhost/build-base:1\nCOPY f /f\n' >ctx/Dockerfile
        tar -C ctx -cf ctx.tar .
        run c build -q -t localhost/tarctx:1 - <ctx.tar
        assert_success
        run c run --rm localhost/tarctx:1 cat /f
        assert_equal "$output" "from-tar"
}

@test "build: a bad Dockerfile line is 'Dockerfile:N: ...', and no image or tag is made" {
        printf 'FROM localhost/build-base:1\nRUN true\nBOGUS x\n' >Dockerfile
        local before
        before=$(c images -aq | wc -l)
        run c build -t localhost/bad:1 .
        assert_equal "$status" 1
        assert_output_contains "Dockerfile:3: unknown instruction: BOGUS"
        run c image inspect localhost/bad:1
        assert_failure
        assert_equal "$(c images -aq | wc -l)" "$before"
}

@test "build: a failing RUN stops the build with its exit code in the message, no tag, no container left" {
        printf 'FROM localhost/build-base:1\nRUN echo before-failing; exit 3\nRUN echo never-ran\n' >Dockerfile
        local before
        before=$(n_containers)
        run c build -t localhost/failing:1 .
        assert_equal "$status" 1
        assert_output_contains "before-failing"
        assert_output_contains "returned a non-zero code: 3"
        assert_output_not_contains "Step 3/3"
        run c image inspect localhost/failing:1
        assert_failure
        assert_equal "$(n_containers)" "$before"
}

@test "build: a rebuild says 'Using cache' for every step and runs nothing; --no-cache runs again" {
        # A cache mount counts the runs: it outlives the builds.
        printf '%s\n' 'FROM localhost/build-base:1' \
                'RUN --mount=type=cache,id=runs,target=/c echo ran >> /c/count' 'COPY Dockerfile /df' >Dockerfile
        printf '%s\n' 'FROM localhost/build-base:1' \
                'RUN --mount=type=cache,id=runs,target=/c wc -l < /c/count > /n' 'CMD ["cat", "/n"]' >Count
        run c build -t localhost/cached:1 .
        assert_success
        run c build -t localhost/cached:1 .
        assert_success
        assert_equal "$(grep -c 'Using cache' <<<"$output")" 2
        c build -q --no-cache -f Count -t localhost/count:1 . >/dev/null
        run c run --rm localhost/count:1
        assert_equal "$output" "1"
        run c build --no-cache -t localhost/cached:1 .
        assert_success
        assert_output_not_contains "Using cache"
        c build -q --no-cache -f Count -t localhost/count:1 . >/dev/null
        run c run --rm localhost/count:1
        assert_equal "$output" "2"
}

@test "build: with SOURCE_DATE_EPOCH the same Dockerfile gives the same image id, cached or not" {
        printf 'FROM localhost/build-base:1\nRUN echo data > /d\nCOPY Dockerfile /\nENV X=1\n' >Dockerfile
        local a b c3
        a=$(SOURCE_DATE_EPOCH=1700000000 c build -q --no-cache .)
        b=$(SOURCE_DATE_EPOCH=1700000000 c build -q --no-cache .)
        c3=$(SOURCE_DATE_EPOCH=1700000000 c build -q .)
        [ -n "$a" ]
        assert_equal "$b" "$a"
        assert_equal "$c3" "$a"
        b=$(c build -q --no-cache --build-arg SOURCE_DATE_EPOCH=1700000000 .)
        assert_equal "$b" "$a"
        run c image inspect "$a"
        assert_output_contains '"Created": "2023-11-14T22:13:20Z"'
}

@test "build: a secret is readable by its RUN and is in no layer of the image" {
        printf 'the-secret-value-%s\n' "$RANDOM$RANDOM" >secret.txt
        printf 'secret.txt\n' >.dockerignore
        printf '%s\n' 'FROM localhost/build-base:1' \
                'RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /len' \
                'RUN --mount=type=secret,id=tok,target=/etc/tok test -s /etc/tok' >Dockerfile
        run c build -q --secret id=tok,src=secret.txt -t localhost/secret:1 .
        assert_success
        run c run --rm localhost/secret:1 sh -c 'cat /len; test -e /run/secrets/tok || echo gone; test -e /etc/tok || echo gone'
        assert_equal "$output" "$(printf '%s\ngone\ngone' "$(wc -c <secret.txt)")"
        c save -o image.tar localhost/secret:1
        mkdir x l
        tar -C x -xf image.tar
        local f value
        value=$(cat secret.txt)
        for f in $(cd x && find . -name '*.tar'); do
                mkdir -p "l/$f"
                tar -C "l/$f" -xf "x/$f"
        done
        # The layers were read: the file the RUN wrote is there.
        [ -n "$(find l -name len)" ]
        run grep -rl -- "$value" x l
        assert_failure
}

@test "build: a build killed during a RUN leaves the store consistent; the next build removes its step container" {
        printf '%s\n' 'FROM localhost/build-base:1' 'RUN echo started && sleep 60' >Dockerfile
        "$CELL" build -t localhost/killed:1 . >"$TEST_DIR/killed.out" 2>&1 &
        local pid=$! i
        for i in $(seq 1 200); do
                grep -q started "$TEST_DIR/killed.out" && break
                sleep 0.05
        done
        grep -q started "$TEST_DIR/killed.out"
        kill -KILL "$pid"
        wait "$pid" || true
        # Its step container is still there, and nothing was tagged.
        [ "$(n_containers)" -ge 1 ]
        run c image inspect localhost/killed:1
        assert_failure
        run -0 c image check
        printf '%s\n' 'FROM localhost/build-base:1' 'RUN true' >Dockerfile
        run -0 c build -q -t localhost/after:1 .
        assert_equal "$(n_containers)" "0"
        run -0 c image check
}

@test "build: advice with line numbers (unpinned base, secret-looking ARG/ENV, ADD of a plain file, root, setuid); --check fails and tags nothing" {
        echo plain >plain.txt
        run -0 c tag localhost/build-base:1 localhost/build-base:latest
        printf '%s\n' 'FROM localhost/build-base' 'ARG DB_PASSWORD=hunter2' 'ENV TOKEN_X=ghp_abcdefghijklmnop1234' \
                'ADD plain.txt /plain.txt' 'RUN chmod u+s /bin/busybox' >Dockerfile
        run c build -q -t localhost/advice:1 .
        assert_success
        assert_output_contains "Dockerfile:1: warning: FROM localhost/build-base: the base image is not pinned"
        assert_output_contains "Dockerfile:2: warning: ARG DB_PASSWORD: a secret-looking value"
        assert_output_contains "Dockerfile:3: warning: ENV TOKEN_X: a secret-looking value"
        assert_output_contains "Dockerfile:4: warning: ADD of files that are not archives"
        assert_output_contains "warning: the image runs as root"
        assert_output_contains "1 setuid or setgid file in the image (/bin/busybox)"
        run c build -q --check -t localhost/advice:2 .
        assert_failure
        assert_output_contains "6 warnings (--check)"
        run c image inspect localhost/advice:2
        assert_failure
        # Pinned, no secrets, COPY, a user, no set-id bits: no advice.
        printf '%s\n' 'FROM localhost/build-base:1' 'COPY plain.txt /plain.txt' 'USER 1000' >Dockerfile
        run -0 c build -q --check -t localhost/advice:3 .
        assert_output_not_contains "warning:"
}

@test "build: intermediate images are hidden from images (shown with -a); the result is listed, tagged or not" {
        printf '%s\n' 'FROM localhost/build-base:1' 'ENV A=1' 'RUN echo x > /x' 'CMD ["cat", "/x"]' >Dockerfile
        local id
        id=$(c build -q -t localhost/layers:1 . 2>/dev/null)
        run -0 c images -q
        local shown=$(echo "$output" | wc -l)
        run -0 c images -a -q
        [ "$(echo "$output" | wc -l)" -gt "$shown" ]
        # An untagged result is listed (as <none>), its steps are not.
        printf '%s\n' 'LABEL extra=1' >>Dockerfile
        local untagged
        untagged=$(c build -q . 2>/dev/null)
        [ "$untagged" != "$id" ]
        run -0 c images --no-trunc -q
        assert_output_contains "$untagged"
        assert_output_contains "$id"
        assert_equal "$(echo "$output" | wc -l)" "$((shown + 1))"
}
