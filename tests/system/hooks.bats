#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# OCI hooks: when each kind runs, what it receives, and what a failure does.

load helpers

# The hook script logs "KIND <state json on one line>" to hooks.log in the
# rootfs' /tmp. startContainer hooks run inside the container (their path
# resolves there, and the host path of the log does not), so the script falls
# back to /tmp/hooks.log, which is the same file.
setup() {
        common_setup
        HOOK=$BUNDLE/rootfs/hook.sh
        LOG=$BUNDLE/rootfs/tmp/hooks.log
        cat >"$HOOK" <<'SH'
#!/bin/sh
kind=$1
log=$2
state=$(cat)
[ -d "${log%/*}" ] || log=/tmp/hooks.log
printf '%s %s\n' "$kind" "$(printf '%s' "$state" | tr -d '\n')" >>"$log"
SH
        chmod 0755 "$HOOK"
}

# hook_entry KIND: a hook object for this kind.
hook_entry() {
        local path=$HOOK
        [ "$1" = startContainer ] && path=/hook.sh
        jq -n --arg p "$path" --arg k "$1" --arg l "$LOG" '{path: $p, args: ["hook.sh", $k, $l]}'
}

add_all_hooks() {
        local k
        for k in prestart createRuntime createContainer startContainer poststart poststop; do
                cfg '.hooks[$k] += [$h]' --arg k "$k" --argjson h "$(hook_entry "$k")"
        done
}

logged_kinds() {
        [ -e "$LOG" ] || return 0
        awk '{print $1}' "$LOG" | paste -sd' ' -
}

# state_of KIND: the state JSON the hook of that kind received.
state_of() {
        grep "^$1 " "$LOG" | head -n1 | cut -d' ' -f2-
}

# before A B: A was logged before B
before() {
        local a b
        a=$(grep -n "^$1 " "$LOG" | head -n1 | cut -d: -f1)
        b=$(grep -n "^$2 " "$LOG" | head -n1 | cut -d: -f1)
        [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || {
                echo "expected $1 before $2 in: $(logged_kinds)" >&2
                return 1
        }
}

@test "hooks: createRuntime, prestart and createContainer run at create, in order" {
        add_all_hooks
        set_args /cellprobe sleep 30
        create_ctr c1
        kinds=$(logged_kinds)
        for k in prestart createRuntime createContainer; do
                [[ " $kinds " == *" $k "* ]] || { echo "$k missing from: $kinds" >&2; return 1; }
        done
        for k in startContainer poststart poststop; do
                [[ " $kinds " != *" $k "* ]] || { echo "$k ran at create: $kinds" >&2; return 1; }
        done
        before createRuntime createContainer
        before prestart createContainer
}

@test "hooks: startContainer and poststart run at start, in order, poststop at delete" {
        add_all_hooks
        set_args /cellprobe sleep 30
        create_ctr c1
        cell start c1
        kinds=$(logged_kinds)
        [[ " $kinds " == *" startContainer "* ]] || { echo "no startContainer: $kinds" >&2; return 1; }
        [[ " $kinds " == *" poststart "* ]] || { echo "no poststart: $kinds" >&2; return 1; }
        [[ " $kinds " != *" poststop "* ]] || { echo "poststop ran at start: $kinds" >&2; return 1; }
        before createContainer startContainer
        before startContainer poststart
        cell kill c1 KILL
        wait_status c1 stopped
        cell delete c1
        assert_equal "$(awk '{print $1}' "$LOG" | tail -n1)" poststop
        assert_equal "$(grep -c '^poststop ' "$LOG")" 1
}

@test "hooks: each hook receives the state JSON with the right id, pid and bundle" {
        add_all_hooks
        set_args /cellprobe sleep 30
        create_ctr c1
        pid=$(ctr_pid c1)
        cell start c1
        cell kill c1 KILL
        wait_status c1 stopped
        cell delete c1
        for k in prestart createRuntime createContainer startContainer poststart poststop; do
                st=$(state_of "$k")
                [ -n "$st" ] || { echo "$k: no state logged" >&2; return 1; }
                jq -e . <<<"$st" >/dev/null || { echo "$k: not JSON: $st" >&2; return 1; }
                assert_equal "$(jq -r .id <<<"$st")" c1
                assert_equal "$(jq -r .bundle <<<"$st")" "$BUNDLE"
                jq -e '.ociVersion | type == "string"' <<<"$st" >/dev/null
                if [ "$k" != poststop ]; then
                        assert_equal "$(jq -r .pid <<<"$st")" "$pid"
                fi
        done
}

@test "hooks: args and env are passed to the hook" {
        cat >"$TEST_DIR/envhook.sh" <<SH
#!/bin/sh
echo "\$1 \$2 \$HOOKVAR" >"$TEST_DIR/envhook.out"
SH
        chmod +x "$TEST_DIR/envhook.sh"
        cfg '.hooks.createRuntime = [{path: $p, args: ["envhook", "first", "second"], env: ["HOOKVAR=hello"]}]' \
                --arg p "$TEST_DIR/envhook.sh"
        set_args /cellprobe sleep 30
        create_ctr c1
        assert_equal "$(cat "$TEST_DIR/envhook.out")" "first second hello"
}

@test "hooks: a failing createRuntime hook makes create fail and leaves no container" {
        cfg '.hooks.createRuntime = [{path: "/bin/false", args: ["false"]}]'
        set_args /cellprobe write /tmp/ran yes
        run try_create c1
        assert_failure
        assert_output_contains "createRuntime"
        run cell list -q
        assert_equal "$output" ""
        run cell state c1
        assert_failure
        [ ! -e "$BUNDLE/rootfs/tmp/ran" ]
}

@test "hooks: a failing poststart hook only warns" {
        cfg '.hooks.poststart = [{path: "/bin/false", args: ["false"]}]'
        set_args /cellprobe sleep 30
        create_ctr c1
        run cell start c1
        assert_success
        assert_output_contains "poststart"
        assert_equal "$(ctr_status c1)" running
}

@test "hooks: a failing poststop hook does not stop delete" {
        cfg '.hooks.poststop = [{path: "/bin/false", args: ["false"]}]'
        set_args /cellprobe exit 0
        run -0 run_ctr c1
        run cell state c1
        assert_failure
}

@test "hooks: a hook that outlives its timeout is killed and create fails" {
        cat >"$TEST_DIR/slowhook.sh" <<SH
#!/bin/sh
echo \$\$ >"$TEST_DIR/slowhook.pid"
exec sleep 30
SH
        chmod +x "$TEST_DIR/slowhook.sh"
        cfg '.hooks.createRuntime = [{path: $p, args: ["slowhook"], timeout: 1}]' --arg p "$TEST_DIR/slowhook.sh"
        set_args /cellprobe exit 0
        run try_create c1
        assert_failure
        [[ "$output" == *timeout* || "$output" == *"timed out"* ]]
        hookpid=$(cat "$TEST_DIR/slowhook.pid")
        for i in $(seq 1 100); do
                [ -d "/proc/$hookpid" ] || break
                # a zombie that is not ours to reap also counts as killed
                [ "$(awk '{print $3}' "/proc/$hookpid/stat" 2>/dev/null)" = Z ] && break
                sleep 0.05
        done
        if [ -d "/proc/$hookpid" ] && [ "$(awk '{print $3}' "/proc/$hookpid/stat" 2>/dev/null)" != Z ]; then
                echo "the hook (pid $hookpid) is still running" >&2
                return 1
        fi
        run cell list -q
        assert_equal "$output" ""
}

@test "hooks: a hook path that does not exist fails create naming it" {
        cfg '.hooks.createRuntime = [{path: "/no/such/hook", args: ["x"]}]'
        set_args /cellprobe exit 0
        run try_create c1
        assert_failure
        assert_output_contains "/no/such/hook"
}
