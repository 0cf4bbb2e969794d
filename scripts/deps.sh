#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# deps.sh [--check] — install what building, testing and benchmarking cell needs on
# Debian 12 (bookworm), with apt-get. Only missing packages are installed, so it is
# safe to run again. As root it runs apt-get directly; otherwise through sudo.
#
#   --check   list the missing packages and exit 1 if there are any; install nothing.
set -euo pipefail

prog=${0##*/}

# Build: the compiler, Meson, and the libraries of the house plan.
build_pkgs=(meson ninja-build pkg-config gcc clang libjansson-dev libcap-dev libseccomp-dev libcmocka-dev
        libarchive-dev libssl-dev zlib1g-dev libcurl4-openssl-dev)
# Run: what `cell run` uses for its networks (docs/design/network.md): the CNI
# plugins (bridge, host-local, portmap), dnsname with dnsmasq for names on user
# networks, and iptables (the networks' rules, and portmap's).
run_pkgs=(containernetworking-plugins golang-github-containernetworking-plugin-dnsname dnsmasq-base iptables)
# Tests: bats system tests, jq for config.json edits, a static busybox for test
# rootfs (scripts/make-bundle.sh), unshare/nsenter, ip, the sanitizer runtime for
# clang's ASan/UBSan build, the formatter check, GNU time for bench RSS, and
# tini (its static build is what `cell run --init` binds as /sbin/docker-init;
# the parity test uses it); for the registry tests Debian's docker-registry,
# htpasswd (apache2-utils), curl and openssl (a test CA, a token signing key);
# for the networks: psql (postgresql-client) asks the PostgreSQL container behind a
# published port (network_postgres.bats, bench/network.sh) and iperf3 is the
# client of bench/network.sh's throughput through a published port; pgrep
# (procps) looks for a network's dnsmasq left behind (network.bats).
test_pkgs=(bats jq busybox-static util-linux iproute2 libclang-rt-14-dev clang-format time python3 mmdebstrap
        tini docker-registry apache2-utils curl openssl postgresql-client iperf3 procps)
# Peers that bench/runtime.sh compares cell with.
# Real clients of the runtime in the interop tests (podman, containerd + ctr), the
# uid mapping helpers for rootless containers, the peers bench/ compares with, and
# dockerd (docker.io) for the docker load/save interop test (image_load.bats) and
# the registry interop tests (registry_interop.bats: docker, skopeo, podman).
peer_pkgs=(runc crun podman containerd uidmap skopeo umoci zstd docker.io buildah)

check_only=false
case ${1:-} in
"") ;;
--check) check_only=true ;;
*)
        echo "usage: $prog [--check]" >&2
        exit 2
        ;;
esac

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
        echo "$prog: this script is for Debian (dpkg-query and apt-get not found)" >&2
        exit 1
fi

installed() {
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for group in build run test peer; do
        declare -n pkgs=${group}_pkgs
        for p in "${pkgs[@]}"; do
                if ! installed "$p"; then
                        missing+=("$p")
                        echo "$prog: missing ($group): $p"
                fi
        done
done

if [ "${#missing[@]}" -eq 0 ]; then
        echo "$prog: all $((${#build_pkgs[@]} + ${#run_pkgs[@]} + ${#test_pkgs[@]} + ${#peer_pkgs[@]})) packages are installed"
        exit 0
fi
if $check_only; then
        exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then
                sudo=(sudo)
        else
                echo "$prog: not root and sudo is not installed; as root run: apt-get install ${missing[*]}" >&2
                exit 1
        fi
fi

echo "$prog: installing: ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends "${missing[@]}"

still=()
for p in "${missing[@]}"; do
        installed "$p" || still+=("$p")
done
if [ "${#still[@]}" -gt 0 ]; then
        echo "$prog: still missing after apt-get: ${still[*]}" >&2
        exit 1
fi
echo "$prog: installed: ${missing[*]}"
