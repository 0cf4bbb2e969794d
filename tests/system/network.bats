#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Networks as a docker user meets them (the networks issue's acceptance 1):
# the default bridge with an address and a way out, containers on a user
# network finding each other by name and by --network-alias, a published port
# answering on 127.0.0.1, an internal network with no way out, --network none
# with only a loopback, container:NAME sharing a namespace, the files a
# container gets (/etc/hosts, /etc/resolv.conf, --add-host, --dns,
# --hostname), --ip, -P, a port already taken refused — and after everything
# is removed, the host's interfaces and firewall rules as they were, leases
# released, and a container whose monitor was killed reclaimed by `network
# prune`. Real bridges, veths and iptables rules: the file runs alone and
# cleans up after itself.

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        [ -x /bin/busybox ] || return 0
        [ -x /usr/lib/cni/bridge ] || return 0
        NET_DIR=$(mktemp -d /var/tmp/cell-net.XXXXXX)
        export NET_DIR
        local r=$NET_DIR/rootfs
        mkdir -p "$r/bin" "$r/tmp" "$r/www"
        cp /bin/busybox "$r/bin/busybox"
        for a in sh echo cat true sleep ls ip ping nc nslookup httpd wget hostname grep; do
                ln -s busybox "$r/bin/$a"
        done
        echo served-by-cell >"$r/www/index.html"
        tar -C "$r" -cf "$NET_DIR/rootfs.tar" .
        export CELL_STORAGE_ROOT=$NET_DIR/storage
        export CELL_RUNROOT=/run/cell-net-test.${NET_DIR##*.}
        "$CELL" import --change 'CMD ["sh"]' "$NET_DIR/rootfs.tar" localhost/net:1 >/dev/null
        # The host as it was: an idle default bridge other tests left is
        # taken down first, so "as before" means before any of cell's.
        "$CELL" network prune -f >/dev/null 2>&1 || true
        host_state >"$NET_DIR/before"
}

teardown_file() {
        [ -n "${NET_DIR:-}" ] || return 0
        local id
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
        "$CELL" network prune -f >/dev/null 2>&1 || true
        grep -o " $NET_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$NET_DIR" "${CELL_RUNROOT:-/nonexistent}"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${NET_DIR:-}" ] || skip "busybox-static or the CNI plugins (containernetworking-plugins) are not installed (scripts/deps.sh)"
}

teardown() {
        local id
        for id in $(c ps -aq --no-trunc 2>/dev/null); do
                c rm -f "$id" >/dev/null 2>&1 || true
        done
}

c() {
        "$CELL" "$@"
}

# Interface names and firewall rules (counters and comments dropped), sorted.
host_state() {
        ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
        iptables-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | sort
}

no_dnsmasq() {
        ! pgrep -f 'dnsmasq.*dnsname/cell-' >/dev/null
}

state_is_before() {
        diff <(host_state) "$NET_DIR/before"
}

# Poll (up to 5 s) until "$@" succeeds.
eventually() {
        local i
        for i in $(seq 1 50); do
                "$@" && return 0
                sleep 0.1
        done
        "$@"
}

@test "network: the default bridge gives an address, a default route and a way out through NAT" {
        run -0 c run --rm localhost/net:1 sh -c 'ip -4 -o addr show eth0; ip route; ip -o link | wc -l'
        assert_output_contains "inet 10.87."
        assert_output_contains "default via 10.87.0.1 dev eth0"
        # lo and eth0, nothing else.
        assert_equal "${lines[${#lines[@]} - 1]}" 2
        # Out through the masquerade: the host's own address, reached from
        # the container's subnet, sees the bridge's gateway as the peer.
        local hostip
        hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v '^10\.8[67]\.' | head -1)
        [ -n "$hostip" ] || skip "no global IPv4 address on the host"
        run -0 c run --rm localhost/net:1 ping -c1 -W2 "$hostip"
        assert_output_contains "1 packets received"
        run -0 bash -c "$CELL inspect \$($CELL create localhost/net:1 true) | jq -r '.[0] | .HostConfig.NetworkMode + \" \" + (.NetworkSettings.Networks | keys | join(\",\"))'"
        assert_equal "$output" "default bridge"
}

@test "network: containers on a user network reach each other by name and by alias" {
        run -0 c network create appnet
        run -0 c run -d --name db --network appnet --network-alias database localhost/net:1 \
                httpd -f -p 8080 -h /www
        run -0 c run --rm --network appnet localhost/net:1 sh -c \
                'wget -q -O- http://db:8080/index.html; wget -q -O- http://database:8080/index.html; cat /etc/resolv.conf'
        assert_equal "${lines[0]}" "served-by-cell"
        assert_equal "${lines[1]}" "served-by-cell"
        assert_output_contains "search dns.cell"
        # Not from the default bridge: another network, isolated.
        local ip
        ip=$(c inspect -f '{{(index .NetworkSettings.Networks "appnet").IPAddress}}' db)
        [[ "$ip" == 10.86.* ]]
        run c run --rm localhost/net:1 sh -c "nc -w 2 $ip 8080 </dev/null && echo reached"
        assert_output_not_contains "reached"
        c rm -f db >/dev/null
        run -0 c network rm appnet
}

@test "network: a published port answers from the host on 127.0.0.1 and the host's address; -P and port" {
        local port=$((20000 + RANDOM % 20000)) hostip
        run -0 c run -d --name web -p "$port:8080" --expose 9000 localhost/net:1 httpd -f -p 8080 -h /www
        run -0 eventually curl -fsS -m 2 "http://127.0.0.1:$port/index.html"
        assert_equal "$output" "served-by-cell"
        hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v '^10\.8[67]\.' | head -1)
        if [ -n "$hostip" ]; then
                run -0 curl -fsS -m 2 "http://$hostip:$port/index.html"
                assert_equal "$output" "served-by-cell"
        fi
        run -0 c port web 8080
        assert_equal "$output" "0.0.0.0:$port"
        run -0 c inspect -f '{{json .NetworkSettings.Ports}}' web
        assert_equal "$output" "{\"8080/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$port\"}],\"9000/tcp\":null}"
        # The same host port again: docker's refusal.
        run c run -d -p "$port:80" localhost/net:1 sleep 10
        assert_failure
        assert_output_contains "port is already allocated"
        # -P: every exposed port on a port the kernel picked.
        run -0 c run -d --name pub --expose 8080 -P localhost/net:1 httpd -f -p 8080 -h /www
        local hp
        hp=$(c inspect -f '{{(index (index .NetworkSettings.Ports "8080/tcp") 0).HostPort}}' pub)
        [ "$hp" -gt 0 ]
        run -0 eventually curl -fsS -m 2 "http://127.0.0.1:$hp/index.html"
        assert_equal "$output" "served-by-cell"
}

@test "network: an internal network has no way out, but its containers reach each other" {
        run -0 c network create --internal shut
        run -0 c run -d --name inner --network shut localhost/net:1 httpd -f -p 8080 -h /www
        run -0 c run --rm --network shut localhost/net:1 sh -c \
                'wget -q -O- http://inner:8080/index.html; ip route; ping -c1 -W1 10.87.0.1 || echo no-way-out'
        assert_equal "${lines[0]}" "served-by-cell"
        assert_output_not_contains "default via"
        assert_output_contains "no-way-out"
        local hostip
        hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v '^10\.8[67]\.' | head -1)
        if [ -n "$hostip" ]; then
                run c run --rm --network shut localhost/net:1 ping -c1 -W1 "$hostip"
                assert_failure
        fi
        c rm -f inner >/dev/null
        run -0 c network rm shut
}

@test "network: --network none has only a loopback (up); container:NAME shares another's" {
        run -0 c run --rm --network none localhost/net:1 sh -c 'ip -o link | cut -d: -f2; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up'
        assert_equal "${lines[0]}" " lo"
        assert_equal "${lines[1]}" "lo-up"
        assert_equal "${#lines[@]}" 2
        run -0 c run -d --name holder localhost/net:1 sleep 100
        local ip
        ip=$(c inspect -f '{{.NetworkSettings.IPAddress}}' holder)
        run -0 c run --rm --network container:holder localhost/net:1 ip -4 -o addr show eth0
        assert_output_contains "inet $ip/"
}

@test "network: /etc/hosts and resolv.conf: the address under the hostname, --add-host, --dns, --dns-search, --hostname" {
        run -0 c run --rm --hostname box --add-host db.example:192.0.2.7 --dns 192.0.2.53 --dns-search example.org \
                localhost/net:1 sh -c 'cat /etc/hosts; cat /etc/resolv.conf; hostname'
        assert_output_contains "192.0.2.7	db.example"
        assert_output_contains "nameserver 192.0.2.53"
        assert_output_contains "search example.org"
        assert_equal "${lines[${#lines[@]} - 1]}" "box"
        local addr
        addr=$(printf '%s\n' "${lines[@]}" | awk '$2 == "box" {print $1}')
        [[ "$addr" == 10.87.* ]]
        run -0 c network create --subnet 10.86.200.0/24 fixed
        run -0 c run --rm --network fixed --ip 10.86.200.77 localhost/net:1 ip -4 -o addr show eth0
        assert_output_contains "inet 10.86.200.77/24"
        run c run --rm --ip 10.87.9.9 localhost/net:1 true
        assert_failure
        assert_output_contains "user specified IP address is supported on user defined networks only"
        run c run --rm --network nosuchnet localhost/net:1 true
        assert_failure
        assert_output_contains "network nosuchnet not found"
        run -0 c network rm fixed
}

# Run NAME detached, then kill its monitor and its init at once (a crash:
# nothing undoes its network); its address, whose lease is still held, on
# stdout.
run_and_kill() {
        local ip mpid pid
        c run -d --name "$1" localhost/net:1 sleep 100 >/dev/null || return 1
        ip=$(c inspect -f '{{.NetworkSettings.IPAddress}}' "$1")
        [ -e "/run/cell-networks/ipam/cell-bridge/$ip" ] || return 1
        mpid=$(jq -r .MonitorPid "$CELL_STORAGE_ROOT/containers/$(c inspect -f '{{.Id}}' "$1")/container.json")
        pid=$(c inspect -f '{{.State.Pid}}' "$1")
        kill -9 "$mpid" "$pid"
        sleep 0.2
        [ -e "/run/cell-networks/ipam/cell-bridge/$ip" ] || return 1
        echo "$ip"
}

@test "network: a container whose monitor was killed is reclaimed by its next start" {
        local ip
        ip=$(run_and_kill victim2)
        run -0 c start victim2
        [ ! -e "/run/cell-networks/ipam/cell-bridge/$ip" ]
        run -0 c exec victim2 ip -4 -o addr show eth0
        assert_output_contains "inet 10.87."
}

@test "network: a container whose monitor was killed is reclaimed by network prune; its lease goes" {
        local ip
        ip=$(run_and_kill victim)
        run -0 c network prune -f
        [ ! -e "/run/cell-networks/ipam/cell-bridge/$ip" ]
        [ ! -e "$CELL_RUNROOT/networks/attached/$(c inspect -f '{{.Id}}' victim).json" ]
}

@test "network: after rm -f of everything and network prune, the host's interfaces and rules are as before" {
        local port=$((20000 + RANDOM % 20000))
        run -0 c network create n1
        run -0 c network create --internal n2
        run -0 c run -d --name ca --network n1 -p "$port:8080" localhost/net:1 httpd -f -p 8080 -h /www
        run -0 c run -d --name cb --network n2 localhost/net:1 sleep 100
        run -0 c run -d --name cd -p "$((port + 1)):80/udp" localhost/net:1 sleep 100
        run -0 c network connect n2 ca
        run -0 c exec ca ip -o link
        assert_output_contains "eth1"
        run -0 c rm -f ca cb cd
        run -0 c network rm n1 n2
        run -0 c network prune -f
        run eventually state_is_before
        [ "$status" -eq 0 ] || {
                echo "$output"
                false
        }
        run -0 bash -c "ls /run/cell-networks/ipam/*/ 2>/dev/null | grep -c '^[0-9]' || true"
        assert_equal "$output" 0
        # dnsname stops a network's dnsmasq with its last container.
        run eventually no_dnsmasq
        assert_success
}
