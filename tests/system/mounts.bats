#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Mounts from config.json as the container sees them.

load helpers

HOST_MOUNTS=()

teardown() {
        local m
        for m in "${HOST_MOUNTS[@]}"; do
                umount -l "$m" 2>/dev/null || true
        done
        common_teardown
}

add_mount() { # JSON object
        cfg '.mounts += [$m]' --argjson m "$1"
}

# mount_line DEST: the `cellprobe mounts` line for DEST from $output.
mount_line() {
        printf '%s\n' "$output" | awk -v d="$1" '$1 == d' | tail -n1
}

@test "mounts: tmpfs with options size, mode, nosuid, noexec" {
        add_mount '{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "noexec", "nodev", "mode=0700", "size=1m"]}'
        set_args /bin/sh -c '/cellprobe mounts; /cellprobe stat /mnt/t; df -k /mnt/t'
        run -0 run_ctr c1
        line=$(mount_line /mnt/t)
        [ -n "$line" ]
        [[ "$line" == "/mnt/t tmpfs "* ]]
        [[ "$line" == *nosuid* ]]
        [[ "$line" == *noexec* ]]
        [[ "$line" == *nodev* ]]
        assert_equal "$(output_value mode)" 0700
        assert_equal "$(output_value type)" dir
        # 1m = 1024 KiB
        assert_output_contains " 1024 "
}

@test "mounts: a read-only bind mount refuses writes" {
        mkdir "$TEST_DIR/data"
        echo host >"$TEST_DIR/data/file"
        add_mount "$(jq -n --arg s "$TEST_DIR/data" '{destination: "/data", type: "bind", source: $s, options: ["bind", "ro"]}')"
        set_args /bin/sh -c '/cellprobe read /data/file; /cellprobe write /data/new x; echo rc=$?; /cellprobe mounts'
        run -0 run_ctr c1
        assert_output_contains host
        assert_output_contains "EROFS"
        assert_output_contains "rc=1"
        [[ "$(mount_line /data)" == "/data "*" ro"* ]]
        [ ! -e "$TEST_DIR/data/new" ]
}

@test "mounts: a read-write bind mount writes through to the host" {
        mkdir "$TEST_DIR/data"
        add_mount "$(jq -n --arg s "$TEST_DIR/data" '{destination: "/data", type: "bind", source: $s, options: ["bind", "rw"]}')"
        set_args /cellprobe write /data/new from-container
        run -0 run_ctr c1
        assert_equal "$(cat "$TEST_DIR/data/new")" from-container
}

@test "mounts: a bind mount of a single file" {
        echo "file-content" >"$TEST_DIR/single"
        add_mount "$(jq -n --arg s "$TEST_DIR/single" '{destination: "/etc/single.conf", type: "bind", source: $s, options: ["bind", "ro"]}')"
        set_args /bin/sh -c '/cellprobe stat /etc/single.conf; /cellprobe read /etc/single.conf'
        run -0 run_ctr c1
        assert_equal "$(output_value type)" file
        assert_output_contains "file-content"
}

@test "mounts: rbind brings submounts along, bind does not" {
        mkdir -p "$TEST_DIR/src/sub"
        mount -t tmpfs -o size=1m tmpfs "$TEST_DIR/src/sub"
        HOST_MOUNTS+=("$TEST_DIR/src/sub")
        echo in-submount >"$TEST_DIR/src/sub/marker"
        add_mount "$(jq -n --arg s "$TEST_DIR/src" '{destination: "/r", type: "bind", source: $s, options: ["rbind"]}')"
        add_mount "$(jq -n --arg s "$TEST_DIR/src" '{destination: "/b", type: "bind", source: $s, options: ["bind"]}')"
        set_args /bin/sh -c '/cellprobe ls-escape /r/sub/marker; /cellprobe ls-escape /b/sub/marker'
        run -0 run_ctr c1
        assert_equal "${lines[0]}" visible
        assert_equal "${lines[1]}" invisible
}

@test "mounts: propagation options are accepted" {
        mkdir "$TEST_DIR/data"
        for p in rprivate rslave private slave; do
                cfg '.mounts |= map(select(.destination != "/data"))'
                add_mount "$(jq -n --arg s "$TEST_DIR/data" --arg p "$p" '{destination: "/data", type: "bind", source: $s, options: ["rbind", $p]}')"
                set_args /cellprobe write /data/$p ok
                run run_ctr "c-$p"
                assert_success
                [ -e "$TEST_DIR/data/$p" ]
        done
}

@test "mounts: rootfsPropagation is accepted" {
        cfg '.linux.rootfsPropagation = "slave"'
        set_args /cellprobe exit 0
        run -0 run_ctr c1
}

@test "mounts: a missing bind source is an error naming the mount" {
        add_mount "$(jq -n --arg s "$TEST_DIR/missing-src" '{destination: "/data", type: "bind", source: $s, options: ["bind"]}')"
        set_args /cellprobe exit 0
        run run_ctr c1
        assert_failure
        assert_output_contains "missing-src"
}

# CVE-2021-30465 class: a destination that goes through a symlink in the rootfs
# must be resolved inside the rootfs, never on the host.
@test "mounts: a destination through an absolute symlink stays inside the rootfs (CVE-2021-30465)" {
        host=$TEST_DIR/hostdir
        mkdir "$host"
        echo original >"$host/marker"
        ln -s "$host" "$BUNDLE/rootfs/link"
        echo evil >"$TEST_DIR/evil"
        add_mount '{"destination": "/link/created", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
        add_mount "$(jq -n --arg s "$TEST_DIR/evil" '{destination: "/link/marker", type: "bind", source: $s, options: ["bind"]}')"
        set_args /cellprobe mounts
        run run_ctr c1
        # Either refused or contained; never on the host.
        [ ! -e "$host/created" ]
        assert_equal "$(cat "$host/marker")" original
        if [ "$status" -eq 0 ]; then
                # the mounts landed under the rootfs at the symlink's target
                [ -n "$(mount_line "$host/created")" ]
        fi
}

@test "mounts: a destination through a symlink to .. stays inside the rootfs (CVE-2021-30465)" {
        host=$TEST_DIR/hostdir
        mkdir "$host"
        ln -s ../../../../../../../../.. "$BUNDLE/rootfs/up"
        add_mount "$(jq -n --arg d "/up$host/created" '{destination: $d, type: "tmpfs", source: "tmpfs", options: ["size=1m"]}')"
        set_args /cellprobe mounts
        run run_ctr c1
        [ ! -e "$host/created" ]
        if [ "$status" -eq 0 ]; then
                [ -n "$(mount_line "$host/created")" ]
        fi
}

@test "mounts: a destination through a symlink to /etc does not touch the host's /etc" {
        name=cell-escape-test-$$-$BATS_TEST_NUMBER
        ln -s /etc "$BUNDLE/rootfs/etclink"
        add_mount "$(jq -n --arg d "/etclink/$name" '{destination: $d, type: "tmpfs", source: "tmpfs", options: ["size=1m"]}')"
        set_args /cellprobe mounts
        run run_ctr c1
        if [ -e "/etc/$name" ]; then
                rmdir "/etc/$name" 2>/dev/null || rm -f "/etc/$name"
                echo "the runtime created /etc/$name on the host" >&2
                return 1
        fi
        if [ "$status" -eq 0 ]; then
                [ -n "$(mount_line "/etc/$name")" ]
                [ -d "$BUNDLE/rootfs/etc/$name" ]
        fi
}
