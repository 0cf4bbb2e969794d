#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Test helper for attach.bats: run a command on a new pseudo-terminal and
type into it, as a person at a terminal would.

usage: pty_drive.py ROWSxCOLS STEP... -- COMMAND [ARG...]

Steps, in order:
  wait:SECONDS        read the terminal for that long
  send:TEXT           type TEXT (Python escapes: \\r, \\x10 ...)
  resize:ROWSxCOLS    change the window size (the command gets SIGWINCH)
  until:TEXT          read until TEXT was printed (at most 10 s)

After the steps, reads until the command exits (at most 10 s). Prints what
the terminal showed (carriage returns removed) and, last, "exit=N"
("exit=timeout" when it did not end; it is then killed).
"""
import codecs
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def set_size(fd, spec):
    rows, cols = (int(x) for x in spec.split("x"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    args = sys.argv[1:]
    if "--" not in args or len(args) < 3:
        sys.stderr.write(__doc__)
        return 2
    sep = args.index("--")
    size, steps, cmd = args[0], args[1:sep], args[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    set_size(fd, size)
    out = bytearray()

    def read_for(seconds, until=None):
        end = time.time() + seconds
        while time.time() < end:
            if until is not None and until in out:
                return True
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return False
                if not data:
                    return False
                out.extend(data)
        return until is not None and until in out

    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "wait":
            read_for(float(arg))
        elif kind == "send":
            os.write(fd, codecs.decode(arg, "unicode_escape").encode("latin-1"))
        elif kind == "resize":
            set_size(fd, arg)
            os.kill(pid, signal.SIGWINCH)
        elif kind == "until":
            read_for(10, arg.encode())
        else:
            sys.stderr.write("pty_drive: unknown step %r\n" % step)
            return 2
    status = None
    end = time.time() + 10
    while time.time() < end:
        read_for(0.1)
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
    read_for(0.2)
    sys.stdout.write(out.decode("utf-8", "replace").replace("\r", ""))
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        print("\nexit=timeout")
    else:
        print("\nexit=%d" % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
