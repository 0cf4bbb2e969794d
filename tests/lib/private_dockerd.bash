# SPDX-License-Identifier: Apache-2.0
#
# A private dockerd for the tests that compare cell with docker
# (tests/parity/parity.sh, tests/build/equiv.sh): Debian's docker.io with its
# own data root, exec root, pidfile and unix socket under $DOCKER_DIR, no
# bridge and no iptables (nothing of the host's networking is touched), vfs
# storage and its own containerd namespaces; stopped by its pid.
#
# Set before sourcing or calling: DOCKER_DIR (a directory of the test's),
# DOCKER (the client; default docker), TIMEOUT (seconds per client call);
# optionally DOCKERD_EXTRA_ARGS (more dockerd arguments, split on blanks:
# "--insecure-registry 127.0.0.1:5000").
# dockerd_start NAME (the containerd namespace and the messages' prefix),
# dockerd_stop, dk ARGS... (the client on the private socket),
# umount_under DIR (every mount below DIR, deepest first).

DOCKERD_PID=

umount_under() {
        local dir=$1 m
        [ -n "$dir" ] && [ -d "$dir" ] || return 0
        # Deepest first; mountinfo escapes blanks as \040, which printf %b undoes.
        awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
                while read -r m; do
                        umount -l "$(printf '%b' "$m")" 2>/dev/null || true
                done
}

dk() {
        timeout -k 5 "${TIMEOUT:-60}" "${DOCKER:-docker}" -H "unix://$DOCKER_DIR/sock" "$@"
}

dockerd_start() {
        local name=$1 i extra=()
        mkdir -p "$DOCKER_DIR"
        read -r -a extra <<<"${DOCKERD_EXTRA_ARGS:-}"
        dockerd --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" --pidfile "$DOCKER_DIR/pid" \
                -H "unix://$DOCKER_DIR/sock" --bridge=none --iptables=false --ip6tables=false \
                --storage-driver=vfs --containerd-namespace "$name" --containerd-plugins-namespace "$name-p" \
                "${extra[@]}" >"$DOCKER_DIR/log" 2>&1 3>&- &
        DOCKERD_PID=$!
        for i in $(seq 1 150); do
                if dk version >/dev/null 2>&1; then
                        return 0
                fi
                kill -0 "$DOCKERD_PID" 2>/dev/null || break
                sleep 0.2
        done
        echo "$name: dockerd did not start: $(tail -3 "$DOCKER_DIR/log")" >&2
        return 1
}

dockerd_stop() {
        [ -n "$DOCKERD_PID" ] || return 0
        local id i
        for id in $(dk ps -aq 2>/dev/null); do
                dk rm -f "$id" >/dev/null 2>&1 || true
        done
        kill "$DOCKERD_PID" 2>/dev/null || true
        for i in $(seq 1 100); do
                kill -0 "$DOCKERD_PID" 2>/dev/null || break
                sleep 0.2
        done
        kill -0 "$DOCKERD_PID" 2>/dev/null && kill -9 "$DOCKERD_PID" 2>/dev/null
        wait "$DOCKERD_PID" 2>/dev/null || true
        DOCKERD_PID=
        umount_under "$DOCKER_DIR"
}
