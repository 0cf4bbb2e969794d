#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# User namespaces as root: id maps with several ranges, and idmapped mounts
# (mounts[].uidMappings/gidMappings, "idmap", "ridmap").
#
# Direction of a mount's mapping (as in runc, crun and podman): a file whose
# owner on disk is containerID shows as hostID to the host, and the
# container's own user namespace (if any) then translates hostID as usual.

load helpers

SUBMOUNT=

teardown() {
        if [ -n "$SUBMOUNT" ]; then
                umount "$SUBMOUNT" 2>/dev/null || true
        fi
        common_teardown
}

# user_ns MAPS_JSON: a new user namespace with the same uid and gid maps.
user_ns() {
        set_namespace user
        cfg '.linux.uidMappings = $m | .linux.gidMappings = $m' --argjson m "$1"
}

THREE_RANGES='[{"containerID": 0, "hostID": 100000, "size": 1000},
               {"containerID": 1000, "hostID": 200000, "size": 10},
               {"containerID": 2000, "hostID": 300000, "size": 100}]'

# the usual 0 -> 100000 x 65536 map, and a rootfs its root can use
default_user_ns() {
        user_ns '[{"containerID": 0, "hostID": 100000, "size": 65536}]'
        chown -R 100000:100000 "$BUNDLE/rootfs"
}

# add_mount JSON: append one mount to the config.
add_mount() {
        cfg '.mounts += [$m]' --argjson m "$1"
}

@test "userns: three uid and gid ranges show in /proc/self/uid_map and gid_map as configured" {
        user_ns "$THREE_RANGES"
        chown -R 100000:100000 "$BUNDLE/rootfs"
        set_args /bin/sh -c 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map'
        run -0 run_ctr c1
        want=$(printf '%s\n' "0 100000 1000" "1000 200000 10" "2000 300000 100")
        uid_map=$(sed -n '1,/^--$/p' <<<"$output" | grep -v -- -- | awk '{print $1, $2, $3}')
        gid_map=$(sed -n '/^--$/,$p' <<<"$output" | grep -v -- -- | awk '{print $1, $2, $3}')
        assert_equal "$uid_map" "$want"
        assert_equal "$gid_map" "$want"
}

@test "userns: files owned by host ids in each range show with the container ids" {
        user_ns "$THREE_RANGES"
        chown -R 100000:100000 "$BUNDLE/rootfs"
        for f in a b c; do touch "$BUNDLE/rootfs/tmp/$f"; done
        chown 100007:100008 "$BUNDLE/rootfs/tmp/a"
        chown 200005:200009 "$BUNDLE/rootfs/tmp/b"
        chown 300050:300099 "$BUNDLE/rootfs/tmp/c"
        set_args /bin/sh -c 'for f in a b c; do /cellprobe stat /tmp/$f | grep -E "^(uid|gid)=" | tr "\n" " "; echo; done'
        run -0 run_ctr c1
        assert_equal "$(sed -n 1p <<<"$output")" "uid=7 gid=8 "
        assert_equal "$(sed -n 2p <<<"$output")" "uid=1005 gid=1009 "
        assert_equal "$(sed -n 3p <<<"$output")" "uid=2050 gid=2099 "
}

@test "userns: a host id outside every range shows as the overflow id" {
        user_ns "$THREE_RANGES"
        chown -R 100000:100000 "$BUNDLE/rootfs"
        touch "$BUNDLE/rootfs/tmp/outside"
        chown 250000:250000 "$BUNDLE/rootfs/tmp/outside"
        set_args /cellprobe stat /tmp/outside
        run -0 run_ctr c1
        assert_equal "$(output_value uid)" "$(cat /proc/sys/kernel/overflowuid)"
        assert_equal "$(output_value gid)" "$(cat /proc/sys/kernel/overflowgid)"
}

@test "userns: a file a container user makes lands with the host id of its range" {
        user_ns "$THREE_RANGES"
        chown -R 100000:100000 "$BUNDLE/rootfs"
        cfg '.process.user = {"uid": 1003, "gid": 2001}'
        set_args /cellprobe write /tmp/made-inside hello
        run -0 run_ctr c1
        assert_equal "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/made-inside")" "200003:300001"
}

@test "userns: the process has no supplementary groups of the runtime" {
        default_user_ns
        set_args /cellprobe ids
        run -0 run_ctr c1
        assert_equal "$(output_value uid)" 0
        assert_equal "$(output_value groups)" ""
}

@test "userns: overlapping ranges are refused, naming the entry" {
        user_ns '[{"containerID": 0, "hostID": 100000, "size": 1000},
                  {"containerID": 500, "hostID": 200000, "size": 10}]'
        run try_create c1
        assert_failure
        assert_output_contains "linux.uidMappings[1]: its containerID range overlaps entry 0"
}

@test "userns: a range past the last id is refused" {
        user_ns '[{"containerID": 0, "hostID": 4294967000, "size": 1000}]'
        run try_create c1
        assert_failure
        assert_output_contains "linux.uidMappings[0]: hostID + size must not exceed 4294967295"
}

# ---- idmapped mounts ----

# a source directory with files owned on disk by the given ids
make_source() {
        mkdir -p "$TEST_DIR/src"
        touch "$TEST_DIR/src/file"
}

@test "idmap: a file owned by host uid 101000 shows as 1000 through a mount mapping 100000.. on disk to 0.." {
        make_source
        chown 100000:100000 "$TEST_DIR/src"
        chown 101000:101000 "$TEST_DIR/src/file"
        add_mount '{"destination": "/data", "type": "bind", "source": "'"$TEST_DIR/src"'",
                    "options": ["bind", "idmap"],
                    "uidMappings": [{"containerID": 100000, "hostID": 0, "size": 65536}],
                    "gidMappings": [{"containerID": 100000, "hostID": 0, "size": 65536}]}'
        set_args /bin/sh -c '/cellprobe stat /data/file && /cellprobe write /data/new x && /cellprobe stat /data/new'
        run -0 run_ctr c1
        assert_equal "$(output_value uid)" 1000
        assert_equal "$(output_value gid)" 1000
        # the container's root made it: on disk it is the mapped host id
        assert_equal "$(stat -c %u:%g "$TEST_DIR/src/new")" "100000:100000"
        # and the mount is the only view that moved
        assert_equal "$(stat -c %u "$TEST_DIR/src/file")" 101000
}

@test "idmap: with the container's user namespace map, an unshifted tree shows its on-disk owners" {
        default_user_ns
        make_source
        chown 1000:1000 "$TEST_DIR/src/file"
        add_mount '{"destination": "/data", "type": "bind", "source": "'"$TEST_DIR/src"'",
                    "options": ["bind"],
                    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}'
        set_args /bin/sh -c '/cellprobe stat /data/file; /cellprobe write /data/new x'
        run -0 run_ctr c1
        assert_equal "$(output_value uid)" 1000
        assert_equal "$(output_value gid)" 1000
        # root in the container writes as on-disk root through the mount
        assert_equal "$(stat -c %u:%g "$TEST_DIR/src/new")" "0:0"
}

@test "idmap: the option alone takes the container's user namespace" {
        default_user_ns
        make_source
        chown 1000:1000 "$TEST_DIR/src/file"
        add_mount '{"destination": "/data", "type": "bind", "source": "'"$TEST_DIR/src"'", "options": ["rbind", "idmap"]}'
        # and the same directory without idmap, for comparison
        add_mount '{"destination": "/plain", "type": "bind", "source": "'"$TEST_DIR/src"'", "options": ["rbind"]}'
        set_args /bin/sh -c '/cellprobe stat /data/file | grep ^uid=; /cellprobe stat /plain/file | grep ^uid='
        run -0 run_ctr c1
        assert_equal "$(sed -n 1p <<<"$output")" "uid=1000"
        assert_equal "$(sed -n 2p <<<"$output")" "uid=$(cat /proc/sys/kernel/overflowuid)"
}

@test "idmap: a relative source is relative to the bundle" {
        mkdir -p "$BUNDLE/vol"
        touch "$BUNDLE/vol/file"
        chown 100005:100005 "$BUNDLE/vol/file"
        add_mount '{"destination": "/data", "type": "bind", "source": "vol", "options": ["bind", "idmap"],
                    "uidMappings": [{"containerID": 100000, "hostID": 0, "size": 65536}],
                    "gidMappings": [{"containerID": 100000, "hostID": 0, "size": 65536}]}'
        set_args /cellprobe stat /data/file
        run -0 run_ctr c1
        assert_equal "$(output_value uid)" 5
}

@test "idmap: ridmap maps the submounts of an rbind too, idmap only the top" {
        make_source
        mkdir -p "$TEST_DIR/src/sub"
        SUBMOUNT=$TEST_DIR/src/sub
        mount -t tmpfs -o mode=755 celltest "$SUBMOUNT"
        touch "$SUBMOUNT/file"
        chown 100007:100007 "$SUBMOUNT/file" "$TEST_DIR/src/file"
        local maps='"uidMappings": [{"containerID": 100000, "hostID": 0, "size": 65536}],
                    "gidMappings": [{"containerID": 100000, "hostID": 0, "size": 65536}]'
        add_mount '{"destination": "/r", "type": "bind", "source": "'"$TEST_DIR/src"'",
                    "options": ["rbind", "ridmap"], '"$maps"'}'
        add_mount '{"destination": "/t", "type": "bind", "source": "'"$TEST_DIR/src"'",
                    "options": ["rbind", "idmap"], '"$maps"'}'
        set_args /bin/sh -c 'for f in /r/file /r/sub/file /t/file /t/sub/file; do /cellprobe stat $f | grep ^uid=; done'
        run -0 run_ctr c1
        assert_equal "$(tr '\n' ' ' <<<"$output")" "uid=7 uid=7 uid=7 uid=100007 "
}

@test "idmap: a file system without idmapped mounts is an error naming the mount" {
        add_mount '{"destination": "/data", "type": "bind", "source": "/sys/kernel", "options": ["bind", "idmap"],
                    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}'
        n=$(($(jq '.mounts | length' "$BUNDLE/config.json") - 1))
        run try_create c1
        assert_failure
        assert_output_contains "mounts[$n] (/data): idmapped mount of /sys/kernel"
        assert_output_contains "the file system does not support idmapped mounts"
        # nothing is left behind
        run -0 cell list -q
        assert_equal "$output" ""
}

@test "idmap: on a mount that is not a bind mount is refused" {
        add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"],
                    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}'
        run try_create c1
        assert_failure
        assert_output_contains "an idmapped mount must be a bind mount"
}

@test "idmap: without mappings and without a user namespace is refused" {
        make_source
        add_mount '{"destination": "/data", "type": "bind", "source": "'"$TEST_DIR/src"'", "options": ["bind", "idmap"]}'
        run try_create c1
        assert_failure
        assert_output_contains "idmap without uidMappings and gidMappings takes the container's user namespace"
}

@test "idmap: uidMappings without gidMappings is refused" {
        make_source
        add_mount '{"destination": "/data", "type": "bind", "source": "'"$TEST_DIR/src"'", "options": ["bind", "idmap"],
                    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}'
        run try_create c1
        assert_failure
        assert_output_contains ".gidMappings: missing"
}

@test "idmap: features says idmapped mounts are supported" {
        run -0 cell features
        assert_equal "$(jq -r '.linux.mountExtensions.idmap.enabled' <<<"$output")" true
        jq -e '.mountOptions | index("idmap") and index("ridmap")' <<<"$output" >/dev/null
}
