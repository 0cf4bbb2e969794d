# SPDX-License-Identifier: Apache-2.0
#
# Debian's docker-registry (Distribution) for the registry tests and
# bench/registry.sh: start_registry NAME [HTPASSWD [TLSDIR]] runs one on a
# free loopback port with its storage in $REG_DIR/NAME/data and its pid in
# $REG_DIR/NAME/pid, and prints the port.

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [HTPASSWD [TLSDIR]]: prints the port it listens on.
# TLSDIR holds server.crt and server.key (and ca.crt, to check it is up).
start_registry() {
        local name=$1 htpasswd=${2:-} tls=${3:-} dir=$REG_DIR/$1 port i scheme=http curlopt=()
        port=$(free_port)
        mkdir -p "$dir/data"
        cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
EOC
        if [ -n "$tls" ]; then
                printf '  tls:\n    certificate: %s\n    key: %s\n' "$tls/server.crt" "$tls/server.key" >>"$dir/config.yml"
                scheme=https
                curlopt=(--cacert "$tls/ca.crt")
        fi
        if [ -n "$htpasswd" ]; then
                printf 'auth:\n  htpasswd:\n    realm: cell-test\n    path: %s\n' "$htpasswd" >>"$dir/config.yml"
        fi
        # More configuration from the caller (token auth, ...).
        if [ -n "${REG_EXTRA_CONFIG:-}" ]; then
                printf '%s\n' "$REG_EXTRA_CONFIG" >>"$dir/config.yml"
        fi
        # fd 3 closed: bats waits for whoever holds it.
        docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 3>&- &
        echo $! >"$dir/pid"
        for i in $(seq 100); do
                if curl -s -o /dev/null "${curlopt[@]}" --resolve "$(hostname):$port:127.0.0.1" \
                        "$scheme://$([ -n "$tls" ] && hostname || echo 127.0.0.1):$port/v2/"; then
                        echo "$port"
                        return 0
                fi
                sleep 0.1
        done
        echo "docker-registry did not start: $(cat "$dir/log")" >&2
        return 1
}

