#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# linux.maskedPaths, linux.readonlyPaths and root.readonly.

load helpers

@test "masked: a masked file reads empty" {
        echo secret >"$BUNDLE/rootfs/etc/secret"
        cfg '.linux.maskedPaths += ["/etc/secret"]'
        set_args /bin/sh -c 'echo "[$(/cellprobe read /etc/secret)]"'
        run -0 run_ctr c1
        assert_equal "$output" "[]"
}

@test "masked: a masked directory is empty" {
        mkdir "$BUNDLE/rootfs/private"
        echo secret >"$BUNDLE/rootfs/private/file"
        cfg '.linux.maskedPaths += ["/private"]'
        set_args /bin/sh -c 'echo "[$(ls -A /private)]"; /cellprobe ls-escape /private/file'
        run -0 run_ctr c1
        assert_equal "${lines[0]}" "[]"
        assert_equal "${lines[1]}" invisible
}

@test "masked: /proc/kcore from the default spec is masked" {
        set_args /cellprobe stat /proc/kcore
        run run_ctr c1
        # masked with /dev/null (chr 1:3) or absent; never the real kcore
        if [ "$status" -eq 0 ]; then
                assert_equal "$(output_value rdev)" 1:3
        fi
}

@test "masked: a masked path that does not exist is ignored" {
        cfg '.linux.maskedPaths += ["/no/such/path"]'
        set_args /cellprobe exit 0
        run -0 run_ctr c1
}

@test "readonly: a readonly path refuses writes" {
        mkdir "$BUNDLE/rootfs/ro"
        cfg '.linux.readonlyPaths += ["/ro"]'
        set_args /bin/sh -c '/cellprobe write /ro/x data; echo rc=$?; /cellprobe write /tmp/y data; echo rc2=$?'
        run -0 run_ctr c1
        assert_output_contains EROFS
        assert_output_contains "rc=1"
        assert_output_contains "rc2=0"
        [ ! -e "$BUNDLE/rootfs/ro/x" ]
}

@test "readonly: /proc/sys from the default spec is read-only" {
        set_args /bin/sh -c '/cellprobe write /proc/sys/kernel/hostname x; echo rc=$?'
        run -0 run_ctr c1
        assert_output_contains "rc=1"
        assert_output_contains EROFS
}

@test "root.readonly: / is read-only" {
        cfg '.root.readonly = true'
        set_args /bin/sh -c '/cellprobe write /newfile x; echo rc=$?; /cellprobe mounts'
        run -0 run_ctr c1
        assert_output_contains "rc=1"
        assert_output_contains EROFS
        printf '%s\n' "$output" | grep -q '^/ [^ ]* ro'
        [ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "root.readonly: mounts on top stay writable" {
        cfg '.root.readonly = true'
        set_args /bin/sh -c '/cellprobe write /dev/shm/x y; echo rc=$?'
        run -0 run_ctr c1
        assert_output_contains "rc=0"
}

@test "root.readonly false: / is writable" {
        set_args /cellprobe write /newfile x
        run -0 run_ctr c1
        assert_equal "$(cat "$BUNDLE/rootfs/newfile")" x
}
