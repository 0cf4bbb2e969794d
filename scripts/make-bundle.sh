#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# make-bundle.sh DIR [--probe PATH]
#
# Makes (or refreshes) a minimal OCI bundle root filesystem at DIR/rootfs from the
# host's static busybox (Debian package busybox-static):
#
#   bin/busybox and one symlink per applet (`busybox --list`) in bin/,
#   sbin/ with links for the applets busybox itself installs under (usr/)sbin,
#   etc/passwd (root, nobody 65534), etc/group, etc/hostname,
#   tmp (1777), proc, sys, dev, root (0700),
#   and with --probe, a copy of the test helper at DIR/rootfs/cellprobe.
#
# It does not write DIR/config.json: the caller runs `cell spec --bundle DIR` (or
# `runc spec`) and edits it. Running it again on the same DIR is cheap and puts
# the fixture files back to their known content; links and binaries that are
# already right are left alone. Environment: BUSYBOX overrides /bin/busybox.
set -euo pipefail
umask 022

prog=${0##*/}

die() {
        echo "$prog: $*" >&2
        exit 1
}

usage() {
        echo "usage: $prog DIR [--probe PATH]" >&2
        exit 2
}

dir=
probe=
while [ $# -gt 0 ]; do
        case $1 in
        --probe)
                [ $# -ge 2 ] || usage
                probe=$2
                shift 2
                ;;
        --probe=*)
                probe=${1#--probe=}
                shift
                ;;
        -h | --help)
                usage
                ;;
        -*)
                echo "$prog: unknown option $1" >&2
                usage
                ;;
        *)
                [ -z "$dir" ] || usage
                dir=$1
                shift
                ;;
        esac
done
[ -n "$dir" ] || usage

busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "$busybox not found: install busybox-static (run scripts/deps.sh)"
# The rootfs has no dynamic loader or libc, so the dynamic busybox (package
# `busybox`) would not run in it.
if LC_ALL=C ldd "$busybox" >/dev/null 2>&1; then
        die "$busybox is dynamically linked: install busybox-static (run scripts/deps.sh)"
fi
if [ -n "$probe" ]; then
        [ -f "$probe" ] || die "probe $probe not found (build it: ninja -C build tests/helper/cellprobe)"
fi

rootfs=$dir/rootfs
mkdir -p "$rootfs"/{bin,sbin,etc,proc,sys,dev,root,tmp}
chmod 0755 "$dir" "$rootfs"
chmod 0700 "$rootfs/root"
chmod 1777 "$rootfs/tmp"

# Copy a file only when it differs, through a temporary name and a rename, so
# that a container still running the old binary never sees a half-written one.
install_file() { # SRC DEST MODE
        if ! cmp -s "$1" "$2"; then
                cp "$1" "$2.tmp.$$"
                chmod "$3" "$2.tmp.$$"
                mv -f "$2.tmp.$$" "$2"
        else
                chmod "$3" "$2"
        fi
}

install_file "$busybox" "$rootfs/bin/busybox" 0755

mapfile -t applets < <("$busybox" --list)
[ "${#applets[@]}" -gt 0 ] || die "$busybox --list printed no applets"
mapfile -t sbin_applets < <("$busybox" --list-full | sed -n -E 's#^(usr/)?sbin/##p')

# One link per applet. perl is Essential in Debian (perl-base) and makes all the
# links in one process (a fork of ln per applet costs over half a second);
# links that already point at busybox are kept, anything else is replaced.
make_links() { # DIR TARGET NAME...
        local d=$1 target=$2
        shift 2
        if command -v perl >/dev/null 2>&1; then
                perl -e '
                        my ($d, $t) = (shift, shift);
                        for my $n (@ARGV) {
                                next if $n eq "busybox";
                                my $p = "$d/$n";
                                my $cur = readlink($p);
                                next if defined($cur) && $cur eq $t;
                                unlink($p) if -e $p || -l $p;
                                symlink($t, $p) or die "symlink $p: $!\n";
                        }' "$d" "$target" "$@"
        else
                local n
                for n in "$@"; do
                        [ "$n" != busybox ] || continue
                        [ "$(readlink "$d/$n" 2>/dev/null)" = "$target" ] || ln -sfn "$target" "$d/$n"
                done
        fi
}

make_links "$rootfs/bin" busybox "${applets[@]}"
make_links "$rootfs/sbin" ../bin/busybox "${sbin_applets[@]}"

write_file() { # DEST MODE CONTENT
        printf '%s' "$3" >"$1"
        chmod "$2" "$1"
}

write_file "$rootfs/etc/passwd" 0644 'root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
'
write_file "$rootfs/etc/group" 0644 'root:x:0:
nobody:x:65534:
'
write_file "$rootfs/etc/hostname" 0644 'cell
'

if [ -n "$probe" ]; then
        install_file "$probe" "$rootfs/cellprobe" 0755
fi
