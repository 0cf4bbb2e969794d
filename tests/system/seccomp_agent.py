#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Test helper for seccomp.bats: a seccomp notification agent stand-in.

usage: seccomp_agent.py SOCKET OUTFILE

Listens on the unix socket SOCKET, accepts one connection, receives the
container process state (JSON) with the listener fd by SCM_RIGHTS, writes the
JSON to OUTFILE and "fd=<kind>" (what the fd is, from /proc/self/fd) to
OUTFILE.fd, then closes the listener: the kernel answers every notified call
of the container with ENOSYS from then on.
"""
import array
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(20)
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, ancdata, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, ctype, cdata in ancdata:
        if level == socket.SOL_SOCKET and ctype == socket.SCM_RIGHTS:
            fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
    with open(out, "wb") as f:
        f.write(msg)
    kind = os.readlink("/proc/self/fd/%d" % fds[0]) if fds else "none"
    with open(out + ".fd", "w") as f:
        f.write("fd=%s\n" % kind)
    for fd in fds:
        os.close(fd)
    conn.close()


if __name__ == "__main__":
    main()
