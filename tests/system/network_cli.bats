#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The network commands' shapes as a docker user reads them: network create
# (with and without --subnet, its refusals), ls (-q, --no-trunc, --format,
# --filter), inspect (Containers of a running container, a missing one),
# rm (refused for a network with a running container and for the
# predefined ones), connect and disconnect of a running container, prune
# (an unused network goes, a used one stays), port and ps's PORTS. Real
# bridges and iptables rules: every test removes its containers and prunes,
# and the file checks that none of its bridges is left.

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        [ -x /bin/busybox ] || return 0
        [ -x /usr/lib/cni/bridge ] || return 0
        NCLI_DIR=$(mktemp -d /var/tmp/cell-ncli.XXXXXX)
        export NCLI_DIR
        local r=$NCLI_DIR/rootfs
        mkdir -p "$r/bin" "$r/tmp"
        cp /bin/busybox "$r/bin/busybox"
        for a in sh echo cat true sleep ls ip; do
                ln -s busybox "$r/bin/$a"
        done
        tar -C "$r" -cf "$NCLI_DIR/rootfs.tar" .
        : >"$NCLI_DIR/bridges"
}

teardown_file() {
        [ -n "${NCLI_DIR:-}" ] || return 0
        local br left=
        # No bridge of this file's networks is left on the host.
        while read -r br; do
                if ip -o link show "$br" 2>/dev/null | grep -q .; then
                        left="$left $br"
                fi
        done <"$NCLI_DIR/bridges"
        rm -rf "$NCLI_DIR"
        if [ -n "$left" ]; then
                echo "bridges left on the host:$left" >&2
                return 1
        fi
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        [ -n "${NCLI_DIR:-}" ] || skip "busybox-static or the CNI plugins are not installed (scripts/deps.sh)"
        TEST_DIR=$(mktemp -d /var/tmp/cell-ncli-t.XXXXXX)
        export CELL_STORAGE_ROOT=$TEST_DIR/storage
        export CELL_RUNROOT=/run/cell-ncli-test.${TEST_DIR##*.}
        c import --change 'CMD ["sh"]' "$NCLI_DIR/rootfs.tar" localhost/ncli:1 >/dev/null
}

teardown() {
        [ -n "${TEST_DIR:-}" ] || return 0
        local id
        for id in $(c ps -aq --no-trunc 2>/dev/null); do
                c rm -f "$id" >/dev/null 2>&1 || true
        done
        # Bounded: a prune that hangs fails the test instead of the run.
        timeout 60 "$CELL" network prune -f >/dev/null 2>&1 || true
        grep -o " $TEST_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$TEST_DIR" "${CELL_RUNROOT:-/nonexistent}"
}

c() {
        "$CELL" "$@"
}

# mknet NAME [create options]: network create, its bridge noted for
# teardown_file's check; the id on stdout.
mknet() {
        local id
        id=$(c network create "$@") || return 1
        c network inspect "$id" | jq -r '.[0].Options["com.docker.network.bridge.name"]' >>"$NCLI_DIR/bridges"
        echo "$id"
}

# A subnet no other network of the host has: 10.201-250.x.0/24.
free_subnet() {
        local i s
        for i in $(seq 1 200); do
                s=10.$((201 + RANDOM % 50)).$((RANDOM % 256)).0/24
                ip -4 -o addr | grep -q " ${s%.0/24}\." || {
                        echo "$s"
                        return 0
                }
        done
        return 1
}

@test "network create: the full id; --subnet, --gateway, --label, --internal as inspect shows them; refusals" {
        local subnet gw id
        subnet=$(free_subnet)
        gw=${subnet%.0/24}.254
        run -0 mknet --subnet "$subnet" --gateway "$gw" --label team=a --internal -o com.example=x ncli-a
        [[ $output =~ ^[0-9a-f]{64}$ ]]
        id=$output
        run -0 c network inspect -f '{{.Id}} {{.Driver}} {{.Scope}} {{.Internal}} {{.Labels.team}} {{json .IPAM.Config}}' ncli-a
        assert_equal "$output" "$id bridge local true a [{\"Subnet\":\"$subnet\",\"Gateway\":\"$gw\"}]"
        # Without --subnet: a free /24, its first address the gateway.
        run -0 mknet ncli-b
        run -0 c network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' ncli-b
        [[ $output =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.0/24\ ([0-9.]+)$ ]]
        assert_equal "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}.1"
        run -1 c network create ncli-a
        assert_equal "$output" "Error response from daemon: network with name ncli-a already exists"
        run -1 c network create --gateway 10.1.2.3 ncli-c
        assert_equal "$output" "every ip-range or gateway must have a corresponding subnet"
        run -1 c network create --ipv6 ncli-c
        assert_equal "$output" "Error response from daemon: IPv6 is not supported"
        run -1 c network create -d overlay ncli-c
        assert_output_contains "Error response from daemon: plugin \"overlay\" not found"
        run -1 c network create
        assert_output_contains "\"cell network create\" requires exactly 1 argument."
        # --attachable is accepted (every network is).
        run -0 mknet --attachable ncli-d
}

@test "network ls: docker's table, -q, --no-trunc, --format, --filter" {
        local id
        id=$(mknet --label env=test ncli-ls)
        run -0 c network ls
        assert_equal "${lines[0]}" "NETWORK ID     NAME      DRIVER    SCOPE"
        assert_output_contains "   bridge    bridge    local"
        assert_output_contains "${id:0:12}   ncli-ls   bridge    local"
        assert_output_contains "   host      host      local"
        assert_output_contains "   none      null      local"
        # Sorted by name.
        run -0 c network ls --format '{{.Name}}'
        assert_equal "$output" "bridge
host
ncli-ls
none"
        run -0 c network ls -q -f type=custom
        assert_equal "$output" "${id:0:12}"
        run -0 c network ls -q --no-trunc -f type=custom
        assert_equal "$output" "$id"
        run -0 c network ls -f label=env=test --format '{{.ID}} {{.Name}} {{.Driver}} {{.Labels}} {{.Internal}}'
        assert_equal "$output" "${id:0:12} ncli-ls bridge env=test false"
        run -0 c network ls -f name=ls -f driver=bridge --format '{{.Name}}'
        assert_equal "$output" "ncli-ls"
        run -0 c network ls -f type=builtin --format '{{.Name}}'
        assert_equal "$output" "bridge
host
none"
        run -0 c network ls -f "id=${id:0:8}" --format 'table {{.Name}}\t{{.Scope}}'
        assert_equal "$output" "NAME      SCOPE
ncli-ls   local"
        run -1 c network ls -f type=other
        assert_equal "$output" "Error response from daemon: invalid filter: 'type'='other'"
        run -1 c network ls -f color=red
        assert_equal "$output" "Error response from daemon: invalid filter 'color'"
}

@test "network inspect: docker's JSON, Containers of a running container, a missing network" {
        mknet ncli-in >/dev/null
        run -0 c run -d --name ncli-web --network ncli-in localhost/ncli:1 sleep 300
        local cid=$output
        run -0 c network inspect ncli-in
        # docker's keys in docker's order, four spaces.
        assert_equal "${lines[0]}" "["
        assert_equal "${lines[1]}" "    {"
        assert_equal "${lines[2]}" "        \"Name\": \"ncli-in\","
        run -0 jq -r '.[0] | keys_unsorted | join(",")' <<<"$output"
        assert_equal "$output" "Name,Id,Created,Scope,Driver,EnableIPv6,IPAM,Internal,Attachable,Ingress,ConfigFrom,ConfigOnly,Containers,Options,Labels"
        run -0 c network inspect ncli-in
        run -0 jq -r --arg c "$cid" '.[0].Containers[$c] | [.Name, (.IPv4Address | test("^[0-9.]+/24$")), (.MacAddress | length > 0)] | @tsv' <<<"$output"
        assert_equal "$output" "ncli-web	true	true"
        # The address is the one the container has.
        local ip
        ip=$(c network inspect ncli-in | jq -r --arg c "$cid" '.[0].Containers[$c].IPv4Address')
        run -0 c exec ncli-web ip -o -4 addr show eth0
        assert_output_contains "inet $ip "
        run -1 c network inspect ncli-in ncli-nosuch
        assert_output_contains "Error: No such network: ncli-nosuch"
        run -1 --separate-stderr c network inspect ncli-nosuch
        assert_equal "$output" "[]"
}

@test "network rm: a network with a running container and a predefined one refused; names printed" {
        local id
        id=$(mknet ncli-rm)
        mknet ncli-rm2 >/dev/null
        run -0 c run -d --name ncli-busy --network ncli-rm localhost/ncli:1 sleep 300
        run -1 c network rm ncli-rm
        assert_equal "$output" "Error response from daemon: error while removing network: network ncli-rm id $id has active endpoints"
        run -1 c network rm bridge
        assert_equal "$output" "Error response from daemon: bridge is a pre-defined network and cannot be removed"
        run -1 c network rm ncli-gone
        assert_equal "$output" "Error: No such network: ncli-gone"
        run -0 c network rm ncli-rm2
        assert_equal "$output" "ncli-rm2"
        c rm -f ncli-busy >/dev/null
        # By id prefix too, printed as given.
        run -0 c network remove "${id:0:12}"
        assert_equal "$output" "${id:0:12}"
        run -0 c network ls -q -f type=custom
        assert_equal "$output" ""
}

@test "network connect, disconnect: a running container gets eth1 on the network and loses it" {
        local subnet
        subnet=$(free_subnet)
        mknet ncli-front >/dev/null
        mknet --subnet "$subnet" ncli-back >/dev/null
        run -0 c run -d --name ncli-app --network ncli-front localhost/ncli:1 sleep 300
        run -0 c network connect --alias db --ip "${subnet%.0/24}.7" ncli-back ncli-app
        assert_equal "$output" ""
        run -0 c exec ncli-app ip -o -4 addr show eth1
        assert_output_contains "inet ${subnet%.0/24}.7/24"
        run -0 c inspect -f '{{json .NetworkSettings.Networks}}' ncli-app
        run -0 jq -r '.["ncli-back"].IPAddress' <<<"$output"
        assert_equal "$output" "${subnet%.0/24}.7"
        run -0 c ps --format '{{.Networks}}'
        assert_equal "$output" "ncli-back,ncli-front"
        run -1 c network connect ncli-back ncli-app
        assert_equal "$output" "Error response from daemon: endpoint with name ncli-app already exists in network ncli-back"
        run -1 c network connect ncli-back ncli-nosuch
        assert_equal "$output" "Error response from daemon: No such container: ncli-nosuch"
        run -0 c network disconnect ncli-back ncli-app
        run -1 c exec ncli-app ip -o -4 addr show eth1
        run -0 c exec ncli-app ip -o link
        assert_output_not_contains "eth1"
        run -0 c network inspect -f '{{json .Containers}}' ncli-back
        assert_equal "$output" "{}"
        run -1 c network disconnect ncli-back ncli-app
        assert_equal "$output" "Error response from daemon: container ncli-app is not connected to network ncli-back"
        # Gone from the network: it can be removed while the container runs.
        run -0 c network rm ncli-back
}

@test "network prune: docker's prompt; an unused network goes, a used one stays" {
        mknet ncli-used >/dev/null
        mknet ncli-idle >/dev/null
        run -0 c run -d --name ncli-user --network ncli-used localhost/ncli:1 sleep 300
        run -0 timeout 60 "$CELL" network prune <<<"n"
        assert_equal "$output" "WARNING! This will remove all custom networks not used by at least one container.
Are you sure you want to continue? [y/N] "
        run -0 c network ls -q -f name=ncli-idle
        [ -n "$output" ]
        run -0 timeout 60 "$CELL" network prune <<<"y"
        assert_equal "$output" "WARNING! This will remove all custom networks not used by at least one container.
Are you sure you want to continue? [y/N] Deleted Networks:
ncli-idle"
        run -0 c network ls --format '{{.Name}}' -f type=custom
        assert_equal "$output" "ncli-used"
        # Nothing to remove: nothing printed.
        run -0 timeout 60 "$CELL" network prune -f
        assert_equal "$output" ""
        # system prune takes unused networks too.
        c rm -f ncli-user >/dev/null
        run -0 timeout 60 "$CELL" system prune -f
        assert_output_contains "Deleted Networks:
ncli-used"
        run -0 c network ls -q -f type=custom
        assert_equal "$output" ""
}

@test "port and ps: a published port as docker prints it" {
        run -0 c run -d --name ncli-pub -p 18080:80 --expose 443 localhost/ncli:1 sleep 300
        run -0 c port ncli-pub
        assert_equal "$output" "80/tcp -> 0.0.0.0:18080"
        run -0 c port ncli-pub 80
        assert_equal "$output" "0.0.0.0:18080"
        run -0 c port ncli-pub 80/tcp
        assert_equal "$output" "0.0.0.0:18080"
        run -1 c port ncli-pub 443
        assert_equal "$output" "Error: No public port '443' published for ncli-pub"
        run -1 c port ncli-pub 80/udp
        assert_equal "$output" "Error: No public port '80/udp' published for ncli-pub"
        run -0 c ps --format '{{.Ports}}'
        assert_equal "$output" "443/tcp, 0.0.0.0:18080->80/tcp"
        run -0 c ps
        assert_output_contains "   PORTS   "
        assert_output_contains "443/tcp, 0.0.0.0:18080->80/tcp   ncli-pub"
        # Same private and public number: grouped as docker does.
        run -0 c run -d --name ncli-same -p 18081:18081 -p 18082:18082 localhost/ncli:1 sleep 300
        run -0 c ps -f name=ncli-same --format '{{.Ports}}'
        assert_equal "$output" "0.0.0.0:18081-18082->18081-18082/tcp"
}
