#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Debian's podman (4.3, with conmon 2.1) runs containers with `--runtime $CELL`:
# run, run -d, exec, stop, rm, and the limits podman writes into config.json
# (--memory, --pids-limit, --cap-drop, a Docker-format seccomp profile). The
# image is the test rootfs (static busybox + /cellprobe) imported into a private
# vfs storage; see clients_helpers.bash for the private configuration.
#
# What podman/conmon pass to the runtime (recorded with a logging wrapper named
# `cell`; ID is the 64-hex container id, U is the container's userdata dir under
# graphroot, R the one under runroot, E an exec session dir under U). No global
# option at all: no --root (cell's default state dir is used), no --log, no
# --log-format, unless containers.conf lists the runtime's name in
# runtime_supports_json, when create and exec get `--log-format=json --log
# R/oci-log` (exec: E/oci-log) before the command:
#   run/start  create --bundle U --pid-file R/pidfile ID          (conmon)
#              create --bundle U --pid-file R/pidfile --console-socket /tmp/conmon-term.XXXXXX ID   (-t)
#              start ID                                            (podman)
#   exec       exec --pid-file E/exec_pid --process E/exec-process-NNN --detach ID          (conmon)
#              exec --pid-file E/exec_pid --process E/exec-process-NNN --detach --tty
#                   --console-socket /tmp/conmon-term.XXXXXX ID   (exec -t)
#   stop       kill ID 15, then (after -t seconds) kill ID 9; then delete --force ID
#   kill -s    kill ID 10                                          (signal as a number)
#   rm -f      kill ID 15 (or 9 with -t 0), then delete --force ID
#   run --rm   delete --force ID after the container exited
#   pause      pause ID;  unpause: resume ID
# podman never calls `state` in these flows (conmon reports the exit through its
# exit file) nor `update` (podman 4.3 has no `podman update`). conmon runs
# `create` with _OCI_SYNCPIPE=3 and _OCI_STARTPIPE=4 in the environment (its own
# pipes, inherited as fds 3 and 4) and only the variables of conmon_env_vars;
# podman runs kill/delete/start with an environment of just XDG_RUNTIME_DIR=
# (no PATH). config.json from podman has cgroupsPath
# "/libpod_parent/libpod-ID" (cgroupfs), linux.resources.devices of just
# [{"allow":false,"access":"rwm"}] (the runtime adds its default devices),
# memory {limit, swap = 2 x limit}, pids {limit} (2048 unless --pids-limit),
# podman's default seccomp profile (/usr/share/containers/seccomp.json) unless
# --security-opt seccomp=..., a cgroup mount at /sys/fs/cgroup, and binds of
# /etc/hosts, /etc/hostname, /run/.containerenv and /dev/shm.

load helpers
load clients_helpers

# A loop as the init that exits 0 on SIGTERM (a plain `sleep` as pid 1 ignores it).
LOOP='trap "exit 0" TERM; while :; do sleep 0.1; done'

setup_file() {
        podman_setup_file
}

teardown_file() {
        podman_teardown_file
}

setup() {
        clients_skip_if_missing
        TEST_DIR=$(mktemp -d /var/tmp/cell-test.XXXXXX)
}

teardown() {
        podman_remove_all
        rm -rf "$TEST_DIR"
}

# run_detached NAME: a container running $LOOP, started with podman run -d.
run_detached() {
        pm run -d --pull=never --name "$1" "$CLIENTS_IMAGE" /bin/sh -c "$LOOP" >/dev/null
}

pm_state() {
        pm inspect --format '{{.State.Status}}' "$1"
}

@test "podman run: the container's output and exit code reach the caller" {
        run pm run --rm --pull=never "$CLIENTS_IMAGE" /bin/sh -c 'echo hello from cell; exit 3'
        [ "$status" -eq 3 ] || {
                echo "status $status, output: $output" >&2
                return 1
        }
        assert_output_contains "hello from cell"
}

@test "podman run -d: the container runs detached, with cell as its runtime" {
        run run_detached cell-detached
        assert_success
        run pm inspect --format '{{.OCIRuntime}} {{.State.Status}} {{.State.Pid}}' cell-detached
        assert_success
        read -r runtime state pid <<<"$output"
        assert_equal "$runtime" "$CELL"
        assert_equal "$state" running
        # The init podman reports is a live process running the container's shell.
        [ "$pid" -gt 0 ]
        grep -q 'exit 0' "/proc/$pid/cmdline"
}

@test "podman exec: output and exit code of a process in the running container" {
        run_detached cell-exec
        run pm exec cell-exec /bin/sh -c 'echo in-exec; exit 4'
        [ "$status" -eq 4 ] || {
                echo "status $status, output: $output" >&2
                return 1
        }
        assert_output_contains in-exec
        # The exec'd process is in the container's pid namespace: pid 1 is the loop.
        run pm exec cell-exec /bin/cat /proc/1/cmdline
        assert_success
        assert_output_contains 'trap'
}

@test "podman stop: SIGTERM ends the container and its exit code is recorded" {
        run_detached cell-stop
        run pm stop --time 20 cell-stop
        assert_success
        run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' cell-stop
        assert_success
        assert_equal "$output" "exited 0"
}

@test "podman stop: a container that ignores SIGTERM is killed after the timeout (137)" {
        pm run -d --pull=never --name cell-stop-kill "$CLIENTS_IMAGE" /bin/sleep 1000 >/dev/null
        run pm stop --time 1 cell-stop-kill
        assert_success
        run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' cell-stop-kill
        assert_success
        assert_equal "$output" "exited 137"
}

@test "podman rm: a stopped container is removed, rm -f removes a running one" {
        local id id_f
        run_detached cell-rm
        id=$(pm inspect --format '{{.Id}}' cell-rm)
        pm stop --time 20 cell-rm >/dev/null
        run pm rm cell-rm
        assert_success
        run pm container exists cell-rm
        [ "$status" -eq 1 ]
        run_detached cell-rm-f
        id_f=$(pm inspect --format '{{.Id}}' cell-rm-f)
        run pm rm --force --time 0 cell-rm-f
        assert_success
        run pm container exists cell-rm-f
        [ "$status" -eq 1 ]
        # No cgroup of either is left (cgroupsPath /libpod_parent/libpod-ID).
        run compgen -G "/sys/fs/cgroup/*/libpod_parent/libpod-$id"
        assert_equal "$output" ""
        run compgen -G "/sys/fs/cgroup/*/libpod_parent/libpod-$id_f"
        assert_equal "$output" ""
}

@test "podman --memory: an allocation past the limit is OOM-killed (exit 137)" {
        # Within the limit, the same allocator finishes.
        run pm run --rm --pull=never --memory 32m "$CLIENTS_IMAGE" /cellprobe alloc 8
        assert_success
        assert_output_contains allocated=8
        run pm run --rm --pull=never --memory 32m "$CLIENTS_IMAGE" /cellprobe alloc 256
        [ "$status" -eq 137 ] || {
                echo "expected exit 137 (OOM kill), got $status; output: $output" >&2
                return 1
        }
        assert_output_not_contains allocated=
}

@test "podman --pids-limit: forks past the limit fail with EAGAIN" {
        run pm run --rm --pull=never --pids-limit 10 "$CLIENTS_IMAGE" /cellprobe forks 20
        assert_success
        local forked
        forked=$(printf '%s\n' "$output" | sed -n 's/^forked=\([0-9]*\) .*/\1/p')
        [ -n "$forked" ] && [ "$forked" -lt 10 ] || {
                echo "expected fewer than 10 forks under --pids-limit 10; output: $output" >&2
                return 1
        }
        assert_output_contains error=EAGAIN
}

@test "podman --cap-drop CHOWN: the capability is gone and chown fails" {
        run pm run --rm --pull=never --cap-drop CHOWN "$CLIENTS_IMAGE" /cellprobe caps
        assert_success
        local eff bnd
        eff=$(output_value CapEff)
        bnd=$(output_value CapBnd)
        [ -n "$eff" ] && [ -n "$bnd" ]
        # Bit 0 is CAP_CHOWN; podman's default set has it, minus --cap-drop.
        [ $((0x$eff & 1)) -eq 0 ] || {
                echo "CAP_CHOWN still effective: CapEff=$eff" >&2
                return 1
        }
        [ $((0x$bnd & 1)) -eq 0 ] || {
                echo "CAP_CHOWN still in the bounding set: CapBnd=$bnd" >&2
                return 1
        }
        # Another default capability is still there (the drop is not "drop all").
        [ $((0x$eff & (1 << 1))) -ne 0 ] # CAP_DAC_OVERRIDE
        run pm run --rm --pull=never --cap-drop CHOWN "$CLIENTS_IMAGE" /bin/sh -c 'touch /tmp/f && chown 1:1 /tmp/f'
        assert_failure
        assert_output_contains "Operation not permitted"
}

@test "podman --security-opt seccomp=PROFILE: a Docker-format profile makes mkdir fail with EPERM" {
        # Docker's format (names, action, errnoRet), which podman converts to
        # linux.seccomp in config.json: mkdir(2) and mkdirat(2) fail with EPERM (1),
        # everything else is allowed.
        cat >"$TEST_DIR/seccomp.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {
      "names": ["mkdir", "mkdirat"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 1
    }
  ]
}
EOF
        run pm run --rm --pull=never --security-opt "seccomp=$TEST_DIR/seccomp.json" "$CLIENTS_IMAGE" \
                /bin/sh -c 'touch /tmp/file && echo touch-ok; mkdir /tmp/dir'
        assert_failure
        # Other syscalls still work; only mkdir is refused, with the profile's errno.
        assert_output_contains touch-ok
        assert_output_contains "can't create directory '/tmp/dir': Operation not permitted"
}
