#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Test helper for terminal.bats: a --console-socket receiver.

usage: console_receiver.py SOCKET OUTFILE [INPUT]

Listens on the unix socket SOCKET, accepts one connection, receives the pty
master with SCM_RIGHTS, optionally writes INPUT to it, and copies everything the
container writes to OUTFILE until the pty closes (EIO) or 10 seconds pass.
Writes "fd-received" as the first line of OUTFILE.err when it got a descriptor.
"""
import array
import os
import select
import socket
import sys
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    data = sys.argv[3].encode() if len(sys.argv) > 3 else b""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(10)
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, ancdata, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, ctype, cdata in ancdata:
        if level == socket.SOL_SOCKET and ctype == socket.SCM_RIGHTS:
            fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
    with open(out + ".err", "w") as err:
        if not fds:
            err.write("no fd received\n")
            return 1
        err.write("fd-received\n")
    master = fds[0]
    for extra in fds[1:]:
        os.close(extra)
    if data:
        os.write(master, data)
    deadline = time.monotonic() + 10
    with open(out, "wb") as f:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if not r:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break  # EIO: every slave end is closed
            if not chunk:
                break
            f.write(chunk)
            f.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
