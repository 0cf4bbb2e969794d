#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The engine's container commands as a docker user types them: run (output,
# exit codes 0/N/125/126/127, --rm, -d, -e, --env-file, -w, -u, -h,
# --entrypoint, -v, --tmpfs, --read-only, limits, --restart), ps, logs,
# stop, kill, start, restart, wait, inspect, exec, pause, unpause, rename,
# diff, rm; the secure defaults (Docker's capability set, unshare, mount,
# keyctl and kexec_load refused, a Docker-format seccomp profile applied,
# --privileged); a monitor killed with SIGKILL; concurrent runs. One store
# and run root for the file, under /var/tmp and /run.

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        [ -x /bin/busybox ] || return 0
        ENGINE_DIR=$(mktemp -d /var/tmp/cell-engine.XXXXXX)
        export ENGINE_DIR
        export CELL_STORAGE_ROOT=$ENGINE_DIR/storage
        export CELL_RUNROOT=/run/cell-engine-test.${ENGINE_DIR##*.}
        local r=$ENGINE_DIR/rootfs
        mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/home/app" "$r/data"
        cp /bin/busybox "$r/bin/busybox"
        cp "$CELLPROBE" "$r/bin/cellprobe"
        for a in sh echo cat ls id sleep true false env pwd hostname touch mkdir rm sed grep wc kill chmod \
                head tail date uname; do
                ln -s busybox "$r/bin/$a"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
        printf 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n' >"$r/etc/group"
        echo "image content" >"$r/data/file"
        printf 'not a program\n' >"$r/bin/notexec"
        chmod 0644 "$r/bin/notexec"
        tar -C "$r" -cf "$ENGINE_DIR/rootfs.tar" .
        "$CELL" import --change 'CMD ["sh"]' --change 'ENV FROM_IMAGE=yes' --change 'WORKDIR /' \
                "$ENGINE_DIR/rootfs.tar" localhost/probe:1 >/dev/null
}

teardown_file() {
        [ -n "${ENGINE_DIR:-}" ] || return 0
        local id
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
        grep -o " $ENGINE_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$ENGINE_DIR" "$CELL_RUNROOT"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${ENGINE_DIR:-}" ] || skip "busybox-static is not installed (scripts/deps.sh)"
        TEST_DIR=$(mktemp -d /var/tmp/cell-engine-t.XXXXXX)
}

teardown() {
        rm -rf "${TEST_DIR:-/nonexistent}"
}

c() {
        "$CELL" "$@"
}

# ---- run: output and exit codes ----

@test "run: the container's stdout and stderr reach the caller, and its exit code is cell's" {
        run c run --rm localhost/probe:1 sh -c 'echo to-out; echo to-err >&2; exit 7'
        assert_equal "$status" 7
        assert_output_contains "to-out"
        assert_output_contains "to-err"
        c run --rm localhost/probe:1 sh -c 'echo only-out; echo only-err >&2' 2>"$TEST_DIR/err" >"$TEST_DIR/out"
        assert_equal "$(cat "$TEST_DIR/out")" "only-out"
        assert_equal "$(cat "$TEST_DIR/err")" "only-err"
}

@test "run: exit codes as docker's: 125 (cell's error), 126 (cannot run), 127 (not found), 128+N (signal)" {
        run c run --rm localhost/no-such-image:1 true
        assert_equal "$status" 125
        assert_output_contains "Unable to find image 'localhost/no-such-image:1' locally"
        run c run --rm --bogus-flag localhost/probe:1 true
        assert_equal "$status" 125
        assert_output_contains "unknown flag: --bogus-flag"
        run -127 c run --rm localhost/probe:1 /bin/no-such-program
        run c run --rm localhost/probe:1 /bin/notexec
        assert_equal "$status" 126
}

@test "run in the foreground forwards SIGTERM to the container (docker's --sig-proxy)" {
        "$CELL" run --rm localhost/probe:1 sh -c 'trap "exit 3" TERM; echo ready; while true; do sleep 0.1; done' \
                >"$TEST_DIR/out" &
        local pid=$! st=0 i
        for i in $(seq 1 100); do
                grep -q ready "$TEST_DIR/out" 2>/dev/null && break
                sleep 0.05
        done
        kill -TERM "$pid"
        wait "$pid" || st=$?
        assert_equal "$st" 3
}

@test "run: the image's Cmd, Env and WorkingDir; -e, --env-file, -w, -h and --entrypoint" {
        run -0 c run --rm localhost/probe:1 sh -c 'echo $FROM_IMAGE'
        assert_equal "$output" "yes"
        printf 'A=from-file\n# a comment\nB=two words\n' >"$TEST_DIR/env"
        run -0 c run --rm -e X=1 --env=Y=2 --env-file "$TEST_DIR/env" -w /tmp -h myhost localhost/probe:1 \
                sh -c 'echo $X $Y $A "$B"; pwd; hostname'
        assert_equal "$output" "1 2 from-file two words
/tmp
myhost"
        run -0 c run --rm --entrypoint /bin/echo localhost/probe:1 from entrypoint
        assert_equal "$output" "from entrypoint"
        # No command at all: the image's Cmd (sh) reads an empty stdin and ends.
        run -0 c run --rm localhost/probe:1
}

@test "run -u: names and numbers resolved in the image's /etc/passwd and /etc/group" {
        run -0 c run --rm -u app localhost/probe:1 cellprobe ids
        assert_output_contains "uid=1000"
        assert_output_contains "gid=1000"
        assert_output_contains "2000"
        run -0 c run --rm -u 4242:4343 localhost/probe:1 cellprobe ids
        assert_output_contains "uid=4242"
        assert_output_contains "gid=4343"
        run c run --rm -u nosuchuser localhost/probe:1 true
        assert_equal "$status" 125
        assert_output_contains "unable to find user nosuchuser"
}

@test "run -v and --mount: a bind mount, read-only, a named volume kept between containers, --tmpfs, --read-only" {
        mkdir "$TEST_DIR/host"
        echo from-host >"$TEST_DIR/host/f"
        run -0 c run --rm -v "$TEST_DIR/host:/mnt" localhost/probe:1 sh -c 'cat /mnt/f; echo back >/mnt/g'
        assert_equal "$output" "from-host"
        assert_equal "$(cat "$TEST_DIR/host/g")" "back"
        run c run --rm -v "$TEST_DIR/host:/mnt:ro" localhost/probe:1 sh -c 'echo x >/mnt/h'
        [ "$status" -ne 0 ]
        [ ! -e "$TEST_DIR/host/h" ]
        run -0 c run --rm -v vol1:/v localhost/probe:1 sh -c 'echo kept >/v/k'
        run -0 c run --rm --mount type=volume,source=vol1,target=/w localhost/probe:1 cat /w/k
        assert_equal "$output" "kept"
        run -0 c run --rm --tmpfs /scratch --read-only localhost/probe:1 sh -c \
                'echo t >/scratch/t && cat /scratch/t && (touch /ro 2>/dev/null && echo writable || echo read-only)'
        assert_equal "$output" "t
read-only"
}

@test "run -m and --pids-limit: the limits reach the container's cgroup" {
        run -0 c run --rm -m 64m --pids-limit 50 localhost/probe:1 sh -c \
                'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max;
                 cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
        assert_equal "$output" "67108864
50"
}

# ---- detached containers ----

@test "run -d, ps, logs, stop, start, rm: a detached container's life as docker shows it" {
        run -0 c run -d --name life localhost/probe:1 sh -c 'trap "echo got-term; exit 3" TERM; echo started; while true; do sleep 0.1; done'
        [[ $output =~ ^[0-9a-f]{64}$ ]]
        local id=$output
        run -0 c ps --format '{{.ID}} {{.Names}} {{.State}}'
        assert_output_contains "${id:0:12} life running"
        run -0 c ps
        assert_output_contains "CONTAINER ID"
        assert_output_contains "Up "
        sleep 0.3
        run -0 c logs life
        assert_equal "$output" "started"
        run -0 c stop -t 5 life
        assert_equal "$output" "life"
        run -0 c inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' life
        assert_equal "$output" "exited 3 false"
        run -0 c logs life
        assert_equal "$output" "started
got-term"
        run -0 c ps -a --filter status=exited --format '{{.Names}}'
        assert_output_contains "life"
        run -0 c ps -q
        [[ $output != *"${id:0:12}"* ]]
        run -0 c start life
        run -0 c inspect -f '{{.State.Running}}' life
        assert_equal "$output" "true"
        run c rm life
        assert_equal "$status" 1
        assert_output_contains "You cannot remove a running container"
        run -0 c rm -f life
        assert_equal "$output" "life"
        # docker inspect looks for a container, then an image: "No such
        # object"; with --type container, docker's daemon error.
        run c inspect life
        assert_equal "$status" 1
        assert_output_contains "Error: No such object: life"
        run c inspect --type container life
        assert_equal "$status" 1
        assert_output_contains "Error response from daemon: No such container: life"
}

@test "logs: --tail, -t, --since and -f" {
        c run -d --name logs1 localhost/probe:1 sh -c 'for i in 1 2 3 4 5; do echo line$i; done; sleep 1; echo late' >/dev/null
        sleep 0.5
        run -0 c logs --tail 2 logs1
        assert_equal "$output" "line4
line5"
        run -0 c logs -t --tail 1 logs1
        [[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ line5$ ]]
        run -0 c logs --since 1h logs1
        assert_output_contains "line1"
        run -0 c logs --since 2100-01-01T00:00:00Z logs1
        assert_equal "$output" ""
        # -f follows until the container ends.
        run -0 timeout 10 "$CELL" logs -f logs1
        assert_output_contains "late"
        c rm -f logs1 >/dev/null
}

@test "wait, kill, restart, pause, unpause, rename" {
        c run -d --name w1 localhost/probe:1 sh -c 'sleep 0.5; exit 4' >/dev/null
        run -0 c wait w1
        assert_equal "$output" "4"
        c run -d --name k1 localhost/probe:1 sleep 100 >/dev/null
        run -0 c kill k1
        run -0 c wait k1
        assert_equal "$output" "137"
        run -0 c restart k1
        run -0 c inspect -f '{{.State.Running}}' k1
        assert_equal "$output" "true"
        run -0 c pause k1
        run -0 c inspect -f '{{.State.Status}} {{.State.Paused}}' k1
        assert_equal "$output" "paused true"
        run -0 c ps --format '{{.Status}}' --filter name=k1
        assert_output_contains "(Paused)"
        run -0 c unpause k1
        run -0 c rename k1 k2
        run -0 c inspect -f '{{.Name}}' k2
        assert_equal "$output" "/k2"
        run c inspect k1
        assert_equal "$status" 1
        run c run -d --name k2 localhost/probe:1 true
        assert_equal "$status" 125
        assert_output_contains 'The container name "/k2" is already in use'
        c rm -f w1 k2 >/dev/null
}

@test "exec: output, exit code, -e, -w, -u, and a stopped container refused" {
        c run -d --name ex1 localhost/probe:1 sleep 100 >/dev/null
        run c exec ex1 sh -c 'echo in-container; exit 5'
        assert_equal "$status" 5
        assert_equal "$output" "in-container"
        run -0 c exec -e E=1 -w /tmp -u app ex1 sh -c 'echo $E; pwd; cellprobe ids'
        assert_output_contains "1"
        assert_output_contains "/tmp"
        assert_output_contains "uid=1000"
        # 126, not run's 127: docker's exec of a missing command.
        run -126 c exec ex1 /bin/no-such
        c stop -t 1 ex1 >/dev/null
        run c exec ex1 true
        assert_equal "$status" 1
        assert_output_contains "is not running"
        c rm ex1 >/dev/null
}

@test "inspect: Docker's fields; diff lists the container's changes" {
        c run --name in1 -e Z=9 --label team=core localhost/probe:1 sh -c 'echo new >/tmp/created; rm /data/file' >/dev/null
        run -0 c inspect in1
        local j=$output
        assert_equal "$(jq -r '.[0].Name' <<<"$j")" "/in1"
        assert_equal "$(jq -r '.[0].State.Status' <<<"$j")" "exited"
        assert_equal "$(jq -r '.[0].Config.Image' <<<"$j")" "localhost/probe:1"
        assert_equal "$(jq -r '.[0].Config.Labels.team' <<<"$j")" "core"
        assert_equal "$(jq -r '.[0].Config.Env | index("Z=9") != null' <<<"$j")" "true"
        assert_equal "$(jq -r '.[0].Config.Env | index("FROM_IMAGE=yes") != null' <<<"$j")" "true"
        [[ $(jq -r '.[0].Image' <<<"$j") =~ ^sha256:[0-9a-f]{64}$ ]]
        assert_equal "$(jq -r '.[0].HostConfig.AutoRemove' <<<"$j")" "false"
        run -0 c diff in1
        assert_output_contains "A /tmp/created"
        assert_output_contains "D /data/file"
        c rm in1 >/dev/null
}

@test "--restart on-failure:2 restarts a failing container twice, then leaves it exited" {
        c run -d --name rs1 --restart on-failure:2 localhost/probe:1 sh -c 'echo run; exit 1' >/dev/null
        local i
        for i in $(seq 1 100); do
                [ "$(c inspect -f '{{.RestartCount}} {{.State.Status}}' rs1)" = "2 exited" ] && break
                sleep 0.1
        done
        assert_equal "$(c inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' rs1)" "2 exited 1"
        assert_equal "$(c logs rs1 | wc -l)" 3
        c rm rs1 >/dev/null
}

@test "--rm removes the container when it ends, also a detached one" {
        run -0 c run --rm --name gone1 localhost/probe:1 true
        run c inspect gone1
        assert_equal "$status" 1
        c run -d --rm --name gone2 localhost/probe:1 sh -c 'sleep 0.2' >/dev/null
        sleep 1.5
        run c inspect gone2
        assert_equal "$status" 1
}

# ---- secure defaults ----

@test "security: Docker's default capabilities; unshare, mount, keyctl, kexec_load refused with EPERM" {
        run -0 c run --rm localhost/probe:1 sh -c 'grep CapEff /proc/self/status'
        # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
        # NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
        assert_output_contains "00000000a80425fb"
        local s
        for s in unshare mount keyctl kexec_load; do
                run -0 c run --rm localhost/probe:1 cellprobe try "$s"
                assert_equal "$output" "EPERM"
        done
        run -0 c run --rm localhost/probe:1 cat /proc/self/status
        assert_output_contains "NoNewPrivs:	0"
        run -0 c run --rm --security-opt no-new-privileges localhost/probe:1 cat /proc/self/status
        assert_output_contains "NoNewPrivs:	1"
        # Masked paths: empty (bound from /dev/null) where the host has them.
        run -0 c run --rm localhost/probe:1 sh -c 'wc -c </proc/timer_list'
        assert_equal "$output" "0"
}

@test "security: a Docker-format seccomp profile that refuses chmod makes chmod fail; unconfined lifts the default" {
        cat >"$TEST_DIR/profile.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
 "syscalls": [{"names": ["chmod", "fchmodat", "fchmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
        run -0 c run --rm --security-opt "seccomp=$TEST_DIR/profile.json" localhost/probe:1 cellprobe try chmod
        assert_equal "$output" "EPERM"
        run -0 c run --rm localhost/probe:1 cellprobe try chmod
        assert_equal "$output" "ok"
        run -0 c run --rm --cap-add SYS_ADMIN --security-opt seccomp=unconfined localhost/probe:1 cellprobe try unshare
        assert_equal "$output" "ok"
}

@test "security: --privileged gives every capability and the host's devices" {
        # Every capability this process holds in its bounding set (a sandbox
        # may lack some, which no one can grant).
        local want
        want=$(awk '/^CapBnd/ { print $2 }' /proc/self/status)
        run -0 c run --rm --privileged localhost/probe:1 sh -c 'grep CapEff /proc/self/status; ls /dev'
        assert_output_contains "$want"
        assert_output_contains "loop"
        run -0 c run --rm --privileged localhost/probe:1 cellprobe try mount
        assert_equal "$output" "ok"
}

# ---- daemonless ----

@test "a monitor killed with SIGKILL: ps tells the truth and rm removes the container" {
        c run -d --name mon1 localhost/probe:1 sleep 1000 >/dev/null
        local mpid cpid
        mpid=$(jq -r .MonitorPid "$CELL_STORAGE_ROOT/containers/$(c inspect -f '{{.Id}}' mon1)/container.json")
        cpid=$(c inspect -f '{{.State.Pid}}' mon1)
        kill -KILL "$mpid"
        # The container's processes outlive their monitor: still running.
        run -0 c inspect -f '{{.State.Running}}' mon1
        assert_equal "$output" "true"
        kill -KILL "$cpid"
        for _ in $(seq 1 50); do
                kill -0 "$cpid" 2>/dev/null || break
                sleep 0.1
        done
        run -0 c ps -a --filter name=mon1 --format '{{.State}} {{.Status}}'
        assert_output_contains "exited Exited (255)"
        run -0 c rm mon1
        run c inspect mon1
        assert_equal "$status" 1
}

@test "20 parallel run --rm all succeed with their own exit codes, and leave nothing behind" {
        local i pids=()
        for i in $(seq 1 20); do
                "$CELL" run --rm localhost/probe:1 sh -c "exit $i" &
                pids+=($!)
        done
        for i in $(seq 1 20); do
                local st=0
                wait "${pids[$((i - 1))]}" || st=$?
                assert_equal "$st" "$i"
        done
        run -0 c ps -aq
        assert_equal "$output" ""
}

@test "run -it is a real terminal with the host's window size; run -i reads the caller's stdin" {
        command -v script >/dev/null || skip "script (bsdutils) is not installed"
        run timeout 20 script -eqc "stty cols 91 rows 33; $CELL run -it --rm localhost/probe:1 sh -c 'tty; stty size; echo \$TERM; exit 4'" /dev/null
        assert_equal "$status" 4
        assert_output_contains "/dev/pts/0"
        assert_output_contains "33 91"
        assert_output_contains "xterm"
        run bash -c "printf 'echo from-stdin\nexit 5\n' | '$CELL' run -i --rm localhost/probe:1 sh"
        assert_equal "$status" 5
        assert_equal "$output" "from-stdin"
}

@test "--health-cmd: starting, unhealthy after the retries, healthy once the check passes; ps shows it" {
        c run -d --name hc1 --health-cmd 'test -f /tmp/ok' --health-interval 200ms --health-retries 2 \
                localhost/probe:1 sleep 100 >/dev/null
        run -0 c ps --filter name=hc1 --format '{{.Status}}'
        assert_output_contains "(health: starting)"
        local i
        for i in $(seq 1 50); do
                [ "$(c inspect -f '{{.State.Health.Status}}' hc1)" = unhealthy ] && break
                sleep 0.1
        done
        assert_equal "$(c inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' hc1)" "unhealthy 2"
        c exec hc1 touch /tmp/ok
        for i in $(seq 1 50); do
                [ "$(c inspect -f '{{.State.Health.Status}}' hc1)" = healthy ] && break
                sleep 0.1
        done
        run -0 c ps --filter name=hc1 --format '{{.Status}}'
        assert_output_contains "(healthy)"
        c rm -f hc1 >/dev/null
}
