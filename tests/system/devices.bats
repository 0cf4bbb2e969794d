#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# /dev inside the container: default nodes, extra devices, ptmx and fd links.

load helpers

@test "devices: the default device nodes exist with the right major:minor" {
        set_args /bin/sh -c 'for d in null zero full random urandom tty; do echo "== $d"; /cellprobe stat /dev/$d; done'
        run -0 run_ctr c1
        expect() { # NAME RDEV
                block=$(printf '%s\n' "$output" | sed -n "/^== $1\$/,/^rdev=/p")
                [[ "$block" == *"type=chr"* ]] || { echo "/dev/$1 is not a char device: $block" >&2; return 1; }
                [[ "$block" == *"rdev=$2"* ]] || { echo "/dev/$1: expected rdev=$2: $block" >&2; return 1; }
                [[ "$block" == *"mode=0666"* ]] || { echo "/dev/$1: expected mode 0666: $block" >&2; return 1; }
        }
        expect null 1:3
        expect zero 1:5
        expect full 1:7
        expect random 1:8
        expect urandom 1:9
        expect tty 5:0
}

@test "devices: /dev/null works as a sink and /dev/zero reads zeros" {
        set_args /bin/sh -c 'echo x >/dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1'
        run -0 run_ctr c1
        assert_output_contains null-ok
        assert_output_contains "00 00 00 00"
}

@test "devices: linux.devices adds a node with its mode, uid and gid" {
        cfg '.linux.devices = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3,
                                "fileMode": 416, "uid": 1234, "gid": 5678}]'
        set_args /cellprobe stat /dev/mydev
        run -0 run_ctr c1
        assert_equal "$(output_value type)" chr
        assert_equal "$(output_value rdev)" 1:3
        assert_equal "$(output_value mode)" 0640
        assert_equal "$(output_value uid)" 1234
        assert_equal "$(output_value gid)" 5678
}

@test "devices: linux.devices can add a block device and a fifo" {
        cfg '.linux.devices = [{"path": "/dev/myblk", "type": "b", "major": 7, "minor": 0, "fileMode": 432},
                               {"path": "/dev/myfifo", "type": "p", "fileMode": 420}]'
        set_args /bin/sh -c '/cellprobe stat /dev/myblk; /cellprobe stat /dev/myfifo'
        run -0 run_ctr c1
        assert_equal "${lines[0]}" type=blk
        assert_equal "${lines[4]}" rdev=7:0
        assert_equal "${lines[5]}" type=fifo
}

@test "devices: a device path outside /dev or relative is refused" {
        cfg '.linux.devices = [{"path": "dev/rel", "type": "c", "major": 1, "minor": 3}]'
        set_args /cellprobe exit 0
        run run_ctr c1
        assert_failure
        assert_output_contains "linux.devices"
}

@test "devices: /dev/ptmx is a symlink to pts/ptmx" {
        set_args /bin/sh -c '/cellprobe stat /dev/ptmx; readlink /dev/ptmx'
        run -0 run_ctr c1
        assert_equal "$(output_value type)" symlink
        assert_equal "${lines[-1]}" pts/ptmx
}

@test "devices: /dev/fd, stdin, stdout and stderr are symlinks into /proc/self/fd" {
        set_args /bin/sh -c 'for l in fd stdin stdout stderr; do echo "$l=$(readlink /dev/$l)"; done'
        run -0 run_ctr c1
        assert_equal "$(output_value fd)" /proc/self/fd
        assert_equal "$(output_value stdin)" /proc/self/fd/0
        assert_equal "$(output_value stdout)" /proc/self/fd/1
        assert_equal "$(output_value stderr)" /proc/self/fd/2
}

@test "devices: /dev/pts is a fresh devpts instance" {
        set_args /cellprobe mounts
        run -0 run_ctr c1
        printf '%s\n' "$output" | grep -q '^/dev/pts devpts '
}

@test "devices: /dev/shm and /dev/mqueue are mounted" {
        set_args /cellprobe mounts
        run -0 run_ctr c1
        printf '%s\n' "$output" | grep -q '^/dev/shm tmpfs '
        printf '%s\n' "$output" | grep -q '^/dev/mqueue mqueue '
}
