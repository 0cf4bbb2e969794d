#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Volumes and prune as a docker user types them: volume create, ls (-q,
# --filter, --format), inspect, rm (refused while a container names the
# volume), prune; a named volume made by run -v; container prune, system
# prune (-a, --volumes); rmi refused for an image a container was made
# from. Prune is global, so every test has a store and run root of its own.

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        [ -x /bin/busybox ] || return 0
        VOL_DIR=$(mktemp -d /var/tmp/cell-vol.XXXXXX)
        export VOL_DIR
        local r=$VOL_DIR/rootfs
        mkdir -p "$r/bin" "$r/tmp"
        cp /bin/busybox "$r/bin/busybox"
        for a in sh echo cat true sleep ls; do
                ln -s busybox "$r/bin/$a"
        done
        tar -C "$r" -cf "$VOL_DIR/rootfs.tar" .
}

teardown_file() {
        [ -n "${VOL_DIR:-}" ] || return 0
        rm -rf "$VOL_DIR"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${VOL_DIR:-}" ] || skip "busybox-static is not installed (scripts/deps.sh)"
        TEST_DIR=$(mktemp -d /var/tmp/cell-vol-t.XXXXXX)
        export CELL_STORAGE_ROOT=$TEST_DIR/storage
        export CELL_RUNROOT=/run/cell-vol-test.${TEST_DIR##*.}
        c import --change 'CMD ["sh"]' "$VOL_DIR/rootfs.tar" localhost/vol:1 >/dev/null
        IMAGE_ID=$(image_id localhost/vol:1)
}

teardown() {
        [ -n "${TEST_DIR:-}" ] || return 0
        local id
        for id in $(c ps -aq --no-trunc 2>/dev/null); do
                c rm -f "$id" >/dev/null 2>&1 || true
        done
        grep -o " $TEST_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$TEST_DIR" "${CELL_RUNROOT:-/nonexistent}"
}

c() {
        "$CELL" "$@"
}

image_id() {
        c image inspect "$1" | jq -r '.[0].Id'
}

# Every image's REPOSITORY:TAG, sorted.
image_names() {
        c images --format json | jq -r '.Repository + ":" + .Tag' | sort
}

@test "volume create, ls, inspect, rm: docker's output, a generated 64-hex name when none is given" {
        run -0 c volume create --label team=a --label bare myvol
        assert_equal "$output" "myvol"
        run -0 c volume create
        [[ $output =~ ^[0-9a-f]{64}$ ]]
        local gen=$output
        # create is idempotent, as docker's
        run -0 c volume create --name myvol
        assert_equal "$output" "myvol"
        run -0 c volume ls
        assert_equal "$output" "DRIVER    VOLUME NAME
local     $gen
local     myvol"
        run -0 c volume ls -q
        assert_equal "$output" "$gen
myvol"
        run -0 c volume inspect myvol
        jq -e --arg mp "$CELL_STORAGE_ROOT/volumes/myvol/_data" '
                length == 1 and (.[0] | keys == ["CreatedAt","Driver","Labels","Mountpoint","Name","Options","Scope"])
                and .[0].Name == "myvol" and .[0].Driver == "local" and .[0].Scope == "local"
                and .[0].Mountpoint == $mp and .[0].Labels == {"team":"a","bare":""} and .[0].Options == {}
                and (.[0].CreatedAt | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))' <<<"$output"
        [ -d "$CELL_STORAGE_ROOT/volumes/myvol/_data" ]
        run -0 c volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}}' myvol
        assert_equal "$output" "myvol local local"
        # docker's inspect: the (empty) list on stdout, the error on stderr
        run -1 --separate-stderr c volume inspect nosuch
        assert_equal "$output" "[]"
        assert_equal "$stderr" "Error: No such volume: nosuch"
        run -0 c volume rm myvol "$gen"
        assert_equal "$output" "myvol
$gen"
        run -0 c volume ls
        assert_equal "$output" "DRIVER    VOLUME NAME"
        [ ! -e "$CELL_STORAGE_ROOT/volumes/myvol" ]
        run -1 c volume rm myvol
        assert_equal "$output" "Error: No such volume: myvol"
        run -0 c volume rm -f myvol
        assert_equal "$output" ""
}

@test "volume create: a name with a slash is refused, a driver other than local too" {
        run -1 c volume create a/b
        assert_equal "$output" 'Error response from daemon: create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'
        run -1 c volume create -d nfs v1
        assert_equal "$output" 'Error response from daemon: create v1: error looking up volume plugin nfs: plugin "nfs" not found'
        run -0 c volume ls -q
        assert_equal "$output" ""
}

@test "volume ls: --filter name=, label=, dangling=, and --format" {
        c volume create --label env=prod web-data >/dev/null
        c volume create --label env=dev db-data >/dev/null
        c volume create other >/dev/null
        c create --name holder -v db-data:/d localhost/vol:1 true >/dev/null
        run -0 c volume ls -q --filter name=data
        assert_equal "$output" "db-data
web-data"
        run -0 c volume ls -q --filter label=env
        assert_equal "$output" "db-data
web-data"
        run -0 c volume ls -q --filter label=env=prod
        assert_equal "$output" "web-data"
        run -0 c volume ls -q --filter dangling=true
        assert_equal "$output" "other
web-data"
        run -0 c volume ls -q --filter dangling=false
        assert_equal "$output" "db-data"
        run -0 c volume ls -q --filter dangling=true --filter label=env
        assert_equal "$output" "web-data"
        run -0 c volume ls --format '{{.Name}}|{{.Driver}}|{{.Labels}}|{{.Mountpoint}}' --filter name=web
        assert_equal "$output" "web-data|local|env=prod|$CELL_STORAGE_ROOT/volumes/web-data/_data"
        run -1 c volume ls --filter color=red
        assert_equal "$output" "Error response from daemon: invalid filter 'color'"
}

@test "volume rm: refused while a container names the volume, running or stopped" {
        c volume create shared >/dev/null
        c create --name made -v shared:/data localhost/vol:1 true >/dev/null
        local made
        made=$(c inspect -f '{{.Id}}' made)
        run -1 c volume rm shared
        assert_equal "$output" "Error response from daemon: remove shared: volume is in use - [$made]"
        # -f does not force it: docker's force is about the driver
        run -1 c volume rm -f shared
        assert_equal "$output" "Error response from daemon: remove shared: volume is in use - [$made]"
        c run -d --name runner -v shared:/data localhost/vol:1 sleep 300 >/dev/null
        local runner
        runner=$(c inspect -f '{{.Id}}' runner)
        run -1 c volume rm shared
        [[ $output == "Error response from daemon: remove shared: volume is in use - ["*"]" ]]
        assert_output_contains "$made"
        assert_output_contains "$runner"
        c rm -f made runner >/dev/null
        run -0 c volume rm shared
        assert_equal "$output" "shared"
}

@test "volume from run -v NAME:/x: in ls and inspect, its data kept after the container goes" {
        run -0 c run --name writer -v fromrun:/data localhost/vol:1 sh -c 'echo kept > /data/f'
        run -0 c volume ls -q
        assert_equal "$output" "fromrun"
        run -0 c volume inspect fromrun
        jq -e --arg mp "$CELL_STORAGE_ROOT/volumes/fromrun/_data" '
                .[0].Name == "fromrun" and .[0].Mountpoint == $mp and .[0].Labels == null
                and .[0].Options == null and (.[0].CreatedAt | endswith("Z"))' <<<"$output"
        c rm writer >/dev/null
        run -0 c run --rm -v fromrun:/data localhost/vol:1 cat /data/f
        assert_equal "$output" "kept"
}

@test "volume prune: removes only the volumes no container names, with docker's report" {
        c volume create unused >/dev/null
        c volume create used >/dev/null
        printf '12345' >"$CELL_STORAGE_ROOT/volumes/unused/_data/f"
        c create --name user -v used:/d localhost/vol:1 true >/dev/null
        run -0 c volume prune -f
        assert_equal "$output" "Deleted Volumes:
unused

Total reclaimed space: 5B"
        run -0 c volume ls -q
        assert_equal "$output" "used"
        # nothing to do: just the total
        run -0 c volume prune -f
        assert_equal "$output" "Total reclaimed space: 0B"
        # without -f it asks; "n" keeps everything
        c rm user >/dev/null
        run -0 bash -c "echo n | '$CELL' volume prune"
        assert_equal "$output" "WARNING! This will remove all local volumes not used by at least one container.
Are you sure you want to continue? [y/N] "
        run -0 c volume ls -q
        assert_equal "$output" "used"
}

@test "container prune: removes created and exited containers, keeps a running one" {
        c run --name exited1 localhost/vol:1 sh -c 'echo abcd > /f' >/dev/null
        c create --name created1 localhost/vol:1 true >/dev/null
        c run -d --name live localhost/vol:1 sleep 300 >/dev/null
        local e1 c1
        e1=$(c inspect -f '{{.Id}}' exited1)
        c1=$(c inspect -f '{{.Id}}' created1)
        run -0 c container prune -f
        assert_equal "${lines[0]}" "Deleted Containers:"
        assert_equal "${#lines[@]}" 4
        assert_equal "$(printf '%s\n' "${lines[1]}" "${lines[2]}" | sort)" "$(printf '%s\n' "$e1" "$c1" | sort)"
        [[ ${lines[3]} =~ ^Total\ reclaimed\ space:\ [0-9.]+k?B$ ]]
        [[ ${lines[3]} != "Total reclaimed space: 0B" ]]
        run -0 c ps -a --format '{{.Names}} {{.State}}'
        assert_equal "$output" "live running"
        run -0 c container prune -f
        assert_equal "$output" "Total reclaimed space: 0B"
}

@test "system prune: stopped containers and dangling images; volumes only with --volumes; -a every unused image" {
        # a dangling image: an index entry without a name (as another tool
        # may leave one), made from a second import
        c import --change 'CMD ["true"]' "$VOL_DIR/rootfs.tar" localhost/dang:1 >/dev/null
        local dang
        dang=$(image_id localhost/dang:1)
        jq '.manifests |= map(if .annotations["org.opencontainers.image.ref.name"] == "localhost/dang:1"
                then del(.annotations) else . end)' "$CELL_STORAGE_ROOT/images/index.json" >"$TEST_DIR/index.json"
        cp "$TEST_DIR/index.json" "$CELL_STORAGE_ROOT/images/index.json"
        c import --change 'CMD ["echo"]' "$VOL_DIR/rootfs.tar" localhost/unused:1 >/dev/null
        local unused
        unused=$(image_id localhost/unused:1)
        c volume create spare >/dev/null
        c run --name stopped -v held:/d localhost/vol:1 true >/dev/null
        c run -d --name live localhost/vol:1 sleep 300 >/dev/null
        local stopped
        stopped=$(c inspect -f '{{.Id}}' stopped)

        run -0 c system prune -f
        assert_equal "${lines[0]}" "Deleted Containers:"
        assert_equal "${lines[1]}" "$stopped"
        assert_equal "${lines[2]}" "Deleted Images:"
        assert_equal "${lines[3]}" "deleted: $dang"
        [[ ${lines[4]} =~ ^Total\ reclaimed\ space:\ [0-9.]+[kM]?B$ ]]
        assert_equal "${#lines[@]}" 5
        # the volumes stay (held's container is gone, but no --volumes)
        run -0 c volume ls -q
        assert_equal "$output" "held
spare"
        run -0 image_names
        assert_equal "$output" "localhost/unused:1
localhost/vol:1"
        run -0 c ps -a --format '{{.Names}}'
        assert_equal "$output" "live"

        run -0 c system prune -f --volumes
        assert_equal "$output" "Deleted Volumes:
held
spare

Total reclaimed space: 0B"

        # -a: every image no container was made from; live's stays
        run -0 c system prune -a -f
        assert_equal "${lines[0]}" "Deleted Images:"
        assert_equal "${lines[1]}" "untagged: localhost/unused:1"
        assert_equal "${lines[2]}" "deleted: $unused"
        assert_equal "${#lines[@]}" 4
        run -0 image_names
        assert_equal "$output" "localhost/vol:1"
        run -0 c ps -a --format '{{.Names}}'
        assert_equal "$output" "live"
        # system df is still there
        run -0 c system df
        assert_equal "${lines[0]%% *}" "TYPE"
}

@test "rmi: refused for an image a container was made from, stopped or running, with docker's messages" {
        c create --name user localhost/vol:1 true >/dev/null
        local cid short=${IMAGE_ID#sha256:}
        cid=$(c inspect -f '{{.Id}}' user)
        short=${short:0:12}
        run -1 c rmi localhost/vol:1
        assert_equal "$output" "cell rmi: conflict: unable to remove repository reference \"localhost/vol:1\" (must force) - container ${cid:0:12} is using its referenced image $short"
        run -1 c rmi "$short"
        assert_equal "$output" "cell rmi: conflict: unable to delete $short (must be forced) - image is being used by stopped container ${cid:0:12}"
        run -1 c image rm localhost/vol:1
        assert_output_contains "must force"
        # a second name is only untagged: no conflict
        c tag localhost/vol:1 localhost/vol:2
        run -0 c rmi localhost/vol:2
        assert_equal "$output" "Untagged: localhost/vol:2"
        # image prune -a keeps it too
        run -0 c image prune -a -f
        assert_equal "$output" "Total reclaimed space: 0B"
        # running: not even -f deletes it by id
        c rm user >/dev/null
        c run -d --name live localhost/vol:1 sleep 300 >/dev/null
        cid=$(c inspect -f '{{.Id}}' live)
        run -1 c rmi -f "$short"
        assert_equal "$output" "cell rmi: conflict: unable to delete $short (cannot be forced) - image is being used by running container ${cid:0:12}"
        c rm -f live >/dev/null
        run -0 c rmi localhost/vol:1
        assert_equal "${lines[0]}" "Untagged: localhost/vol:1"
        assert_equal "${lines[1]}" "Deleted: $IMAGE_ID"
}

@test "cp reaches the container's volumes and bind mounts (their sources), refuses a read-only one" {
        mkdir -p "$TEST_DIR/host"
        echo "from the host dir" >"$TEST_DIR/host/h"
        c run -d --name cpvol -v cpdata:/data -v "$TEST_DIR/host:/host:ro" localhost/vol:1 sleep 100 >/dev/null
        echo "copied in" >"$TEST_DIR/in.txt"
        run -0 c cp "$TEST_DIR/in.txt" cpvol:/data/in.txt
        run -0 c exec cpvol cat /data/in.txt
        assert_equal "$output" "copied in"
        run -0 c cp cpvol:/host/h "$TEST_DIR/h.out"
        assert_equal "$(cat "$TEST_DIR/h.out")" "from the host dir"
        run -1 c cp "$TEST_DIR/in.txt" cpvol:/host/x
        assert_output_contains "mounted volume is marked read-only"
        [ ! -e "$TEST_DIR/host/x" ]
        c rm -f -v cpvol >/dev/null
        c volume rm cpdata >/dev/null
}
