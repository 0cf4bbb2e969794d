# SPDX-License-Identifier: Apache-2.0
#
# Shared setup for the real-client interop tests (podman.bats, containerd.bats):
# Debian's podman and containerd/ctr drive cell ($CELL) as their OCI runtime.
# Load it after helpers.bash (for CELL, CELLPROBE, MAKE_BUNDLE and the asserts).
#
#   clients_missing CMD...     why the tests cannot run: cell not built, or a
#                              client that scripts/deps.sh could not install
#   clients_skip_if_missing    in setup: skip with that reason (CLIENTS_SKIP)
#   clients_rootfs_tar         print the path of a tar of the test rootfs (static
#                              busybox + /cellprobe), cached under $CLIENTS_CACHE
#                              and keyed by the content it is made from
#   clients_umount_under DIR   lazily unmount every mount point under DIR
#   clients_wrap_runtime DIR   with CELL_ARGV_LOG=FILE set, point CELL at a
#                              wrapper (named cell) that logs each argv to FILE
#   podman_setup_file          private podman config + storage, image imported
#   pm ARGS...                 podman --runtime $CELL ARGS... with that config
#   containerd_setup_file      a private containerd on its own socket
#   ctrc ARGS...               ctr --address $CTD_SOCK ARGS...
#
# Every client call is bounded by `timeout` ($CELL_CLIENT_TIMEOUT seconds, 60 by
# default), so a runtime that hangs fails a test instead of the whole run. No
# file under /etc is read for our settings or written: podman gets its own
# containers.conf, storage.conf and registries.conf through CONTAINERS_CONF,
# CONTAINERS_STORAGE_CONF and CONTAINERS_REGISTRIES_CONF; containerd gets its
# own --config.

CLIENTS_CACHE=${CELL_CLIENTS_CACHE:-/var/tmp/cell-clients-cache}
CLIENT_TIMEOUT=${CELL_CLIENT_TIMEOUT:-60}

# The clients drive the runc-compatible command set: cell under the name
# cell-runtime (a symlink the build makes next to it), as a user points
# podman's --runtime or containerd's BinaryName at it.
if [ -e "$(dirname "$CELL")/cell-runtime" ]; then
        CELL=$(dirname "$CELL")/cell-runtime
fi
CLIENTS_IMAGE=localhost/cell-clients:latest

# clients_missing CMD...: print why the tests cannot run (cell not built, a
# client not installed) and fail; succeed quietly when everything is there.
# Bats 1.8 cannot skip from setup_file, so setup_file records the reason in
# CLIENTS_SKIP and each test's setup skips with it (clients_skip_if_missing).
clients_missing() {
        local c
        if [ ! -x "$CELL" ]; then
                echo "cell binary not found at $CELL (build it with ninja -C build)"
                return 1
        fi
        if [ ! -x "$CELLPROBE" ]; then
                echo "cellprobe not found at $CELLPROBE"
                return 1
        fi
        for c in "$@"; do
                if ! command -v "$c" >/dev/null 2>&1; then
                        echo "$c is not installed and scripts/deps.sh could not install it"
                        return 1
                fi
        done
}

clients_skip_if_missing() {
        [ -z "${CLIENTS_SKIP:-}" ] || skip "$CLIENTS_SKIP"
}

clients_rootfs_tar() {
        local key tar tmp
        key=$(cat "${BUSYBOX:-/bin/busybox}" "$CELLPROBE" "$MAKE_BUNDLE" | sha256sum | cut -c1-16)
        tar=$CLIENTS_CACHE/rootfs-$key.tar
        if [ ! -s "$tar" ]; then
                mkdir -p "$CLIENTS_CACHE"
                tmp=$(mktemp -d "$CLIENTS_CACHE/build.XXXXXX")
                "$MAKE_BUNDLE" "$tmp/bundle" --probe "$CELLPROBE" >/dev/null || {
                        rm -rf "$tmp"
                        return 1
                }
                tar --numeric-owner -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" . || {
                        rm -rf "$tmp"
                        return 1
                }
                # A rename, so that a concurrent run never reads half a tar.
                mv -f "$tmp/rootfs.tar" "$tar"
                rm -rf "$tmp"
                # Tars of an older busybox/cellprobe are not needed any more.
                find "$CLIENTS_CACHE" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -mmin +60 \
                        -delete 2>/dev/null || true
        fi
        echo "$tar"
}

clients_umount_under() {
        local dir=$1 m
        [ -n "$dir" ] && [ -d "$dir" ] || return 0
        # Deepest first; mountinfo escapes blanks as \040, which printf %b undoes.
        awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
                while read -r m; do
                        umount -l "$(printf '%b' "$m")" 2>/dev/null || true
                done
}

# With CELL_ARGV_LOG=FILE, the clients get a wrapper named `cell-runtime` (podman names
# a runtime after its file name) that appends each argv to FILE and then execs
# the real binary: how the argv lists in podman.bats and containerd.bats were
# recorded. For example: CELL_ARGV_LOG=/tmp/argv bats tests/system/podman.bats
clients_wrap_runtime() {
        local dir=$1
        [ -n "${CELL_ARGV_LOG:-}" ] || return 0
        mkdir -p "$dir/argv-bin"
        cat >"$dir/argv-bin/cell-runtime" <<EOF
#!/bin/sh
printf '%s\\n' "\$*" >>"$CELL_ARGV_LOG"
exec "$CELL" "\$@"
EOF
        chmod 0755 "$dir/argv-bin/cell-runtime"
        export CELL=$dir/argv-bin/cell-runtime
}

# wait_for DESCRIPTION COMMAND...: poll (up to ~10 s) until COMMAND succeeds.
wait_for() {
        local what=$1 i
        shift
        for i in $(seq 1 200); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        echo "timed out waiting for $what" >&2
        return 1
}

# ---- podman -------------------------------------------------------------------------------

# From $PODMAN_DIR: conmon writes an `oom` file into its working directory
# when the container is OOM-killed.
pm() {
        (cd "$PODMAN_DIR" && timeout -k 5 "$CLIENT_TIMEOUT" podman --runtime "$CELL" "$@")
}

# podman_setup_file: a private podman (config, storage, locks, events, tmp dir
# under $PODMAN_DIR) with the test rootfs imported as $CLIENTS_IMAGE.
podman_setup_file() {
        local env_vars='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"' v
        CLIENTS_SKIP=$(clients_missing podman conmon) || {
                export CLIENTS_SKIP
                return 0
        }
        PODMAN_DIR=$(mktemp -d /var/tmp/cell-podman.XXXXXX)
        chmod 0755 "$PODMAN_DIR"
        clients_wrap_runtime "$PODMAN_DIR"
        # conmon starts the runtime with only the variables listed here: pass the
        # sanitizer settings of a sanitized build of cell through.
        for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
                if [ -n "${!v:-}" ]; then
                        env_vars+=", \"$v=${!v}\""
                fi
        done
        # This sandbox lacks CAP_SYS_RESOURCE, so podman's default rlimits (nofile
        # 1048576) cannot be set: ask for ones within the hard limits here. There
        # is no systemd: cgroupfs, and events in a file. No network stack (no
        # netavark/CNI plugins are installed): containers get a bare network ns.
        cat >"$PODMAN_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
conmon_env_vars = [$env_vars]
events_logger = "file"
events_logfile_path = "$PODMAN_DIR/events.log"
tmp_dir = "$PODMAN_DIR/tmp"
volume_path = "$PODMAN_DIR/volumes"
lock_type = "file"

[network]
network_config_dir = "$PODMAN_DIR/networks"
EOF
        cat >"$PODMAN_DIR/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$PODMAN_DIR/runroot"
graphroot = "$PODMAN_DIR/root"
EOF
        cat >"$PODMAN_DIR/registries.conf" <<EOF
unqualified-search-registries = []
EOF
        export PODMAN_DIR
        export CONTAINERS_CONF=$PODMAN_DIR/containers.conf
        export CONTAINERS_STORAGE_CONF=$PODMAN_DIR/storage.conf
        export CONTAINERS_REGISTRIES_CONF=$PODMAN_DIR/registries.conf
        local tar
        tar=$(clients_rootfs_tar)
        timeout -k 5 "$CLIENT_TIMEOUT" podman import "$tar" "$CLIENTS_IMAGE" >"$PODMAN_DIR/import.log" 2>&1 || {
                cat "$PODMAN_DIR/import.log" >&2
                return 1
        }
}

# Remove whatever containers a test left (podman rm -f: kill, then delete
# --force through cell), so that the next test starts clean.
podman_remove_all() {
        [ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR" ] || return 0
        pm rm --all --force --time 0 >/dev/null 2>&1 || true
}

podman_teardown_file() {
        [ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR" ] || return 0
        podman_remove_all
        clients_umount_under "$PODMAN_DIR"
        rm -rf "$PODMAN_DIR"
}

# ---- containerd ---------------------------------------------------------------------------

ctrc() {
        timeout -k 5 "$CLIENT_TIMEOUT" ctr --address "$CTD_SOCK" "$@"
}

# containerd_setup_file: a containerd of our own, with root, state, socket and
# plugin dirs under $CTD_DIR and the CRI plugin off; its pid in $CTD_PID.
containerd_setup_file() {
        CLIENTS_SKIP=$(clients_missing containerd ctr containerd-shim-runc-v2) || {
                export CLIENTS_SKIP
                return 0
        }
        CTD_DIR=$(mktemp -d /var/tmp/cell-ctd.XXXXXX)
        chmod 0755 "$CTD_DIR"
        clients_wrap_runtime "$CTD_DIR"
        CTD_SOCK=$CTD_DIR/containerd.sock
        cat >"$CTD_DIR/config.toml" <<EOF
version = 2
root = "$CTD_DIR/root"
state = "$CTD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$CTD_SOCK"

[ttrpc]
  address = "$CTD_SOCK.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD_DIR/opt"
EOF
        # fd 3 is bats' own: a daemon holding it would keep bats waiting.
        containerd --config "$CTD_DIR/config.toml" </dev/null >"$CTD_DIR/containerd.log" 2>&1 3>&- &
        CTD_PID=$!
        export CTD_DIR CTD_SOCK CTD_PID
        if ! wait_for "containerd to serve on $CTD_SOCK" ctrc version; then
                tail -n 20 "$CTD_DIR/containerd.log" >&2
                return 1
        fi
}

# Kill and delete every task and container left in our containerd.
containerd_remove_all() {
        local id
        [ -n "${CTD_SOCK:-}" ] && [ -S "$CTD_SOCK" ] || return 0
        for id in $(ctrc task ls -q 2>/dev/null); do
                ctrc task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
                ctrc task delete --force "$id" >/dev/null 2>&1 || true
        done
        for id in $(ctrc container ls -q 2>/dev/null); do
                ctrc container delete "$id" >/dev/null 2>&1 || true
        done
}

containerd_teardown_file() {
        local i
        containerd_remove_all
        if [ -n "${CTD_PID:-}" ] && kill -0 "$CTD_PID" 2>/dev/null; then
                kill -TERM "$CTD_PID" 2>/dev/null || true
                for i in $(seq 1 100); do
                        kill -0 "$CTD_PID" 2>/dev/null || break
                        sleep 0.1
                done
                kill -KILL "$CTD_PID" 2>/dev/null || true
                wait "$CTD_PID" 2>/dev/null || true
        fi
        if [ -n "${CTD_DIR:-}" ] && [ -d "$CTD_DIR" ]; then
                clients_umount_under "$CTD_DIR"
                rm -rf "$CTD_DIR"
        fi
}
