#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# cp (both ways, files and directories, docker's path rules, tar streams on
# stdin and stdout, -a, -L, and symlinks in the container that point out of
# it: absolute ones and chains of ".." — reading and writing through them
# stays inside the container's root), commit (then run the new image), top,
# stats --no-stream and port. One store and run root for the file.

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        [ -x /bin/busybox ] || return 0
        MORE_DIR=$(mktemp -d /var/tmp/cell-more.XXXXXX)
        export MORE_DIR
        export CELL_STORAGE_ROOT=$MORE_DIR/storage
        export CELL_RUNROOT=/run/cell-more-test.${MORE_DIR##*.}
        local r=$MORE_DIR/rootfs
        mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/data"
        cp /bin/busybox "$r/bin/busybox"
        for a in sh echo cat ls sleep true stat mkdir ping; do
                ln -s busybox "$r/bin/$a"
        done
        echo "image content" >"$r/data/file"
        echo "container marker" >"$r/etc/marker"
        # The hostile links: an absolute path that exists on the host (and
        # inside the container too, with other content), and ".." enough
        # to climb out of any root.
        mkdir -p "$MORE_DIR/hostside" "$r$MORE_DIR/hostside"
        echo "host secret" >"$MORE_DIR/hostside/secret"
        echo "inside" >"$r$MORE_DIR/hostside/secret"
        ln -s "$MORE_DIR/hostside" "$r/abs"
        ln -s "$MORE_DIR/hostside/secret" "$r/absfile"
        ln -s ../../../../../../../../../.. "$r/up"
        tar -C "$r" -cf "$MORE_DIR/rootfs.tar" .
        "$CELL" import --change 'CMD ["sh"]' "$MORE_DIR/rootfs.tar" localhost/more:1 >/dev/null
}

teardown_file() {
        [ -n "${MORE_DIR:-}" ] || return 0
        local id
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
        grep -o " $MORE_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$MORE_DIR" "$CELL_RUNROOT"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${MORE_DIR:-}" ] || skip "busybox-static is not installed (scripts/deps.sh)"
        TEST_DIR=$(mktemp -d /var/tmp/cell-more-t.XXXXXX)
}

teardown() {
        rm -rf "${TEST_DIR:-/nonexistent}"
}

c() {
        "$CELL" "$@"
}

# A created (never started) container: its root is mounted all the same.
new_ctr() {
        c rm -f "$1" >/dev/null 2>&1 || true
        c create --name "$1" localhost/more:1 sleep 1000 >/dev/null
}

host_secret_intact() {
        assert_equal "$(cat "$MORE_DIR/hostside/secret")" "host secret"
        assert_equal "$(ls "$MORE_DIR/hostside")" "secret"
}

# ---- cp ----

@test "cp: a file into a stopped container and back keeps content, mode and mtime; owner root, or the source's with -a" {
        new_ctr cp1
        echo hello >"$TEST_DIR/f"
        chmod 0751 "$TEST_DIR/f"
        touch -d '2020-01-02 03:04:05' "$TEST_DIR/f"
        chown 1234:4321 "$TEST_DIR/f"
        run -0 c cp "$TEST_DIR/f" cp1:/tmp/f
        assert_equal "$output" ""
        run -0 c cp cp1:/tmp/f "$TEST_DIR/back"
        assert_equal "$(cat "$TEST_DIR/back")" "hello"
        assert_equal "$(stat -c '%a %Y' "$TEST_DIR/back")" "$(stat -c '%a %Y' "$TEST_DIR/f")"
        # In the container: root's; with -a: the source's.
        assert_equal "$(c cp cp1:/tmp/f - | tar -tvf - | awk '{print $1, $2}')" "-rwxr-x--x 0/0"
        run -0 c cp -a "$TEST_DIR/f" cp1:/tmp/f
        assert_equal "$(c cp cp1:/tmp/f - | tar -tvf - | awk '{print $1, $2}')" "-rwxr-x--x 1234/4321"
        # Into an existing directory: under the source's name.
        run -0 c cp "$TEST_DIR/f" cp1:/data
        assert_equal "$(c cp cp1:/data/f - | tar -xOf - f)" "hello"
}

@test "cp: errors as docker's: a missing source, a missing parent, no container path" {
        new_ctr cp2
        run -1 c cp cp2:/nope "$TEST_DIR/x"
        assert_equal "$output" "Error response from daemon: Could not find the file /nope in container cp2"
        echo x >"$TEST_DIR/x"
        run -1 c cp "$TEST_DIR/x" cp2:/no/such/dir/x
        assert_equal "$output" "Error response from daemon: Could not find the file /no/such/dir in container cp2"
        run -1 c cp "$TEST_DIR/x" "$TEST_DIR/y"
        assert_equal "$output" "must specify at least one container source"
        run -1 c cp "$TEST_DIR/nothing" cp2:/tmp
        assert_equal "$output" "lstat $TEST_DIR/nothing: no such file or directory"
        run -1 c cp "$TEST_DIR/x" cp2:/nodir/
        assert_equal "$output" "no such directory"
        run -1 c cp cp2:/data/file "$TEST_DIR/nodir/"
        assert_equal "$output" "no such directory"
        run -1 c cp cp2:/data/file/ "$TEST_DIR/z"
        assert_equal "$output" "Error response from daemon: /data/file/: not a directory"
}

@test "cp: directories both ways: into an existing one, as a new one, and SRC/. for the content" {
        new_ctr cp3
        mkdir -p "$TEST_DIR/d/sub"
        echo a >"$TEST_DIR/d/a"
        echo b >"$TEST_DIR/d/sub/b"
        ln -s a "$TEST_DIR/d/link"
        chmod 0700 "$TEST_DIR/d/sub"
        run -0 c cp "$TEST_DIR/d" cp3:/tmp
        run -0 c cp "$TEST_DIR/d" cp3:/tmp/new
        run -0 c cp "$TEST_DIR/d/." cp3:/data
        assert_equal "$(c cp cp3:/tmp - | tar -tf - | sort | tr '\n' ' ')" \
                "tmp/ tmp/d/ tmp/d/a tmp/d/link tmp/d/sub/ tmp/d/sub/b tmp/new/ tmp/new/a tmp/new/link tmp/new/sub/ tmp/new/sub/b "
        assert_equal "$(c cp cp3:/data - | tar -tf - | sort | tr '\n' ' ')" "data/ data/a data/file data/link data/sub/ data/sub/b "
        # And out again: a directory keeps its mode, a symlink stays a symlink.
        run -0 c cp cp3:/tmp/new "$TEST_DIR/out"
        assert_equal "$(cat "$TEST_DIR/out/sub/b")" "b"
        assert_equal "$(stat -c %a "$TEST_DIR/out/sub")" "700"
        assert_equal "$(readlink "$TEST_DIR/out/link")" "a"
        mkdir "$TEST_DIR/exist"
        run -0 c cp cp3:/tmp/new/. "$TEST_DIR/exist"
        assert_equal "$(ls "$TEST_DIR/exist" | tr '\n' ' ')" "a link sub "
        # A directory onto a file is refused.
        run -1 c cp "$TEST_DIR/d" cp3:/data/file
        assert_equal "$output" "cannot copy directory"
}

@test "cp: '-' is a tar stream: out on stdout, in from stdin" {
        new_ctr cp4
        run -0 bash -c "'$CELL' cp cp4:/data - | tar -xOf - data/file"
        assert_equal "$output" "image content"
        mkdir -p "$TEST_DIR/t/x"
        echo streamed >"$TEST_DIR/t/x/y"
        tar -C "$TEST_DIR/t" -cf "$TEST_DIR/t.tar" .
        run -0 c cp - cp4:/tmp <"$TEST_DIR/t.tar"
        run -0 c cp cp4:/tmp/x/y "$TEST_DIR/y"
        assert_equal "$(cat "$TEST_DIR/y")" "streamed"
        run -1 c cp - cp4:/data/file <"$TEST_DIR/t.tar"
        assert_equal "$output" 'destination "cp4:/data/file" must be a directory'
        run -1 c cp - cp4:/nope <"$TEST_DIR/t.tar"
        assert_equal "$output" 'destination "cp4:/nope" must be a directory'
        # A member with ".." is refused.
        (cd "$TEST_DIR/t" && tar -cf "$TEST_DIR/dots.tar" --transform 's,^,../,' x/y)
        run -1 c cp - cp4:/tmp <"$TEST_DIR/dots.tar"
        assert_equal "$output" "Error response from daemon: archive entry \"../x/y\": a path with \"..\""
}

@test "cp: reading through a container symlink never leaves the container's root (absolute, ..)" {
        new_ctr cp5
        run -0 c cp cp5:/abs/secret "$TEST_DIR/s1"
        assert_equal "$(cat "$TEST_DIR/s1")" "inside"
        run -0 c cp cp5:/up/etc/marker "$TEST_DIR/s2"
        assert_equal "$(cat "$TEST_DIR/s2")" "container marker"
        run -0 c cp "cp5:/up$MORE_DIR/hostside/secret" "$TEST_DIR/s3"
        assert_equal "$(cat "$TEST_DIR/s3")" "inside"
        # Without -L the link itself is copied; with -L what it names in the container.
        run -0 c cp cp5:/absfile "$TEST_DIR/s4"
        assert_equal "$(readlink "$TEST_DIR/s4")" "$MORE_DIR/hostside/secret"
        run -0 c cp -L cp5:/absfile "$TEST_DIR/s5"
        assert_equal "$(cat "$TEST_DIR/s5")" "inside"
        run -0 bash -c "'$CELL' cp cp5:/up/. - | tar -tf - | grep -c '^\./etc/marker\$'"
        assert_equal "$output" "1"
        host_secret_intact
}

@test "cp: writing through a container symlink never leaves the container's root (absolute, .., tar members)" {
        new_ctr cp6
        echo new >"$TEST_DIR/n"
        run -0 c cp "$TEST_DIR/n" cp6:/abs/secret
        run -0 c cp "$TEST_DIR/n" cp6:/absfile
        run -0 c cp "$TEST_DIR/n" "cp6:/up$MORE_DIR/hostside/added"
        run -0 c cp "$TEST_DIR/n" cp6:/abs/
        host_secret_intact
        assert_equal "$(c cp "cp6:$MORE_DIR/hostside" - | tar -tf - | sort | tr '\n' ' ')" "hostside/ hostside/added hostside/n hostside/secret "
        assert_equal "$(c cp "cp6:$MORE_DIR/hostside/secret" - | tar -xOf -)" "new"
        # Tar streams whose symlink member points at the host path, or up
        # with "..", then a file under it: resolved with the destination as
        # the root, never on the host.
        mkdir -p "$TEST_DIR/t1" "$TEST_DIR/t2/esc" "$TEST_DIR/t3/up$MORE_DIR/hostside"
        ln -s "$MORE_DIR/hostside" "$TEST_DIR/t1/esc"
        ln -s ../../../../../../../../../.. "$TEST_DIR/t1/up"
        echo pwned >"$TEST_DIR/t2/esc/pwn"
        echo pwned >"$TEST_DIR/t3/up$MORE_DIR/hostside/pwn2"
        tar -C "$TEST_DIR/t1" -cf "$TEST_DIR/evil.tar" esc
        tar -C "$TEST_DIR/t2" -rf "$TEST_DIR/evil.tar" esc/pwn
        run -1 c cp - cp6:/tmp <"$TEST_DIR/evil.tar"
        assert_equal "$output" "Error response from daemon: open /esc in the container root: No such file or directory"
        tar -C "$TEST_DIR/t1" -cf "$TEST_DIR/evil2.tar" up
        tar -C "$TEST_DIR/t3" -rf "$TEST_DIR/evil2.tar" "up$MORE_DIR/hostside/pwn2"
        run -0 c cp - cp6:/tmp <"$TEST_DIR/evil2.tar"
        host_secret_intact
        assert_equal "$(c cp "cp6:/tmp$MORE_DIR/hostside/pwn2" - | tar -xOf -)" "pwned"
}

# ---- commit ----

@test "commit: a new image with the container's changes; run it and see them" {
        c rm -f cm1 >/dev/null 2>&1 || true
        run -0 c run --name cm1 localhost/more:1 sh -c 'echo committed >/data/new'
        run -0 c commit -m "a message" -a "someone" -c 'CMD ["cat", "/data/new"]' -c 'ENV ADDED=yes' cm1 localhost/committed:1
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        local id=$output
        run -0 c run --rm localhost/committed:1
        assert_equal "$output" "committed"
        run -0 c run --rm localhost/committed:1 sh -c 'echo $ADDED; cat /data/file'
        assert_equal "$output" "yes
image content"
        run -0 c image inspect localhost/committed:1
        assert_output_contains "\"Id\": \"$id\""
        assert_output_contains '"Author": "someone"'
        assert_output_contains '"Comment": "a message"'
        # One layer more than the image it came from.
        assert_equal "$(c image inspect localhost/committed:1 | grep -c '^ *"sha256:')" 2
        c rm -f cm1 >/dev/null
}

@test "commit: a running container (frozen while its layer is read) keeps running; the image has no name without REPO" {
        c rm -f cm2 >/dev/null 2>&1 || true
        c run -d --name cm2 localhost/more:1 sh -c 'echo live >/tmp/live; sleep 1000' >/dev/null
        local i
        for i in $(seq 1 100); do
                c cp cm2:/tmp/live - >/dev/null 2>&1 && break
                sleep 0.05
        done
        run -0 c commit cm2
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        local id=$output
        assert_equal "$(c inspect --format '{{.State.Status}}' cm2)" "running"
        run -0 c run --rm "${id#sha256:}" cat /tmp/live
        assert_equal "$output" "live"
        c rm -f cm2 >/dev/null
        run -1 c commit cm2
        assert_equal "$output" "Error response from daemon: No such container: cm2"
}

# ---- top, stats, port ----

@test "top: the container's processes in ps -ef's columns; ps options pass through" {
        c rm -f top1 >/dev/null 2>&1 || true
        c run -d --name top1 localhost/more:1 sleep 1000 >/dev/null
        local pid
        pid=$(c inspect --format '{{.State.Pid}}' top1)
        run -0 c top top1
        assert_equal "${lines[0]}" "UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD"
        assert_equal "${#lines[@]}" 2
        assert_equal "$(echo "${lines[1]}" | awk '{print $1, $2}')" "root $pid"
        [[ "${lines[1]}" == *" sleep 1000" ]]
        run -0 c top top1 -o pid,comm
        assert_equal "${lines[0]}" "PID                 COMMAND"
        assert_equal "${lines[1]}" "$(printf '%-20s%s' "$pid" sleep)"
        run -1 c top top1 -o bogus
        assert_equal "$output" 'Error response from daemon: ps: error: unknown user-defined format specifier "bogus"'
        c rm -f top1 >/dev/null
        c create --name top1 localhost/more:1 sleep 1000 >/dev/null
        local id
        id=$(c inspect --format '{{.Id}}' top1)
        run -1 c top top1
        assert_equal "$output" "Error response from daemon: Container $id is not running"
        c rm -f top1 >/dev/null
        run -1 c top top1
        assert_equal "$output" "Error response from daemon: No such container: top1"
}

@test "stats --no-stream: docker's columns, the container's name and pids" {
        c rm -f st1 >/dev/null 2>&1 || true
        c run -d --name st1 localhost/more:1 sh -c 'sleep 1000 & sleep 1000 & wait' >/dev/null
        run -0 c stats --no-stream st1
        assert_equal "${#lines[@]}" 2
        assert_equal "$(echo "${lines[0]}" | sed 's/   */|/g')" "CONTAINER ID|NAME|CPU %|MEM USAGE / LIMIT|MEM %|NET I/O|BLOCK I/O|PIDS"
        local id
        id=$(c inspect --format '{{.Id}}' st1)
        assert_equal "$(echo "${lines[1]}" | sed 's/   */|/g' | cut -d'|' -f1,2,8)" "${id:0:12}|st1|3"
        [[ "$(echo "${lines[1]}" | sed 's/   */|/g' | cut -d'|' -f6)" =~ ^[0-9.]+[kMG]?B\ /\ [0-9.]+[kMG]?B$ ]]
        run -0 c stats --no-stream --format '{{.Name}} {{.PIDs}}' st1
        assert_equal "$output" "st1 3"
        # NET I/O counts the container's interfaces, not its loopback: none
        # on --network none, the bytes of a ping on the bridge.
        c rm -f st3 st4 >/dev/null 2>&1 || true
        c run -d --name st3 --network none localhost/more:1 sh -c 'ping -c 3 -i 0.1 127.0.0.1; sleep 1000' >/dev/null
        c run -d --name st4 localhost/more:1 sh -c 'ping -c 3 -i 0.1 10.87.0.1; sleep 1000' >/dev/null
        sleep 1
        run -0 c stats --no-stream --format '{{.Name}} {{.NetIO}}' st3 st4
        assert_output_contains "st3 0B / 0B"
        [[ "$output" =~ st4\ [0-9.]+[kM]?B\ / ]]
        [[ ! "$output" =~ st4\ 0B ]]
        c rm -f st3 st4 >/dev/null
        # Without names: the running containers; -a adds the others, with zeros.
        c rm -f st2 >/dev/null 2>&1 || true
        c create --name st2 localhost/more:1 true >/dev/null
        run -0 c stats --no-stream --format '{{.Name}}'
        assert_output_contains "st1"
        assert_output_not_contains "st2"
        run -0 c stats --no-stream -a --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}'
        assert_output_contains "st2 0.00% 0B / 0B 0"
        c rm -f st2 >/dev/null
        c rm -f st1 >/dev/null
}

@test "port: nothing is published: no output, and docker's error for a port" {
        c rm -f pt1 >/dev/null 2>&1 || true
        c create --name pt1 localhost/more:1 sleep 1000 >/dev/null
        run -0 c port pt1
        assert_equal "$output" ""
        run -1 c port pt1 80/tcp
        assert_equal "$output" "Error: No public port '80/tcp' published for pt1"
        run -1 c port pt1 53/udp
        assert_equal "$output" "Error: No public port '53/udp' published for pt1"
        run -1 c port pt1 80
        assert_equal "$output" "Error: No public port '80' published for pt1"
        run -1 c port nope
        assert_equal "$output" "Error response from daemon: No such container: nope"
        c rm -f pt1 >/dev/null
}

@test "stop -s SIGNAL sends that signal instead of the StopSignal; --stop-signal is used without it" {
        c run -d --name sigs1 localhost/more:1 sh -c 'trap "exit 7" USR1; trap "exit 8" TERM; echo ready; while true; do sleep 0.1; done' >/dev/null
        local i
        for i in $(seq 1 100); do
                c logs sigs1 2>/dev/null | grep -q ready && break
                sleep 0.05
        done
        run -0 c stop -s USR1 sigs1
        run -0 c inspect -f '{{.State.ExitCode}}' sigs1
        assert_equal "$output" "7"
        c run -d --name sigs2 --stop-signal USR1 localhost/more:1 sh -c 'trap "exit 9" USR1; echo ready; while true; do sleep 0.1; done' >/dev/null
        for i in $(seq 1 100); do
                c logs sigs2 2>/dev/null | grep -q ready && break
                sleep 0.05
        done
        run -0 c stop sigs2
        run -0 c inspect -f '{{.State.ExitCode}}' sigs2
        assert_equal "$output" "9"
        c rm sigs1 sigs2 >/dev/null
}
