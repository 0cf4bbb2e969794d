#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A slow front for a registry, for registry.bats' fault tests.

slow_proxy.py PORT UPSTREAM_PORT BYTES_PER_SECOND PORT_FILE

Listens on 127.0.0.1:PORT (0: a free one, written to PORT_FILE) and forwards
every request to the registry on 127.0.0.1:UPSTREAM_PORT, sending response
bodies at most BYTES_PER_SECOND (0: no limit). Killing it in the middle of
a pull is a registry that dies mid-pull; starting it again on the same port
is the registry back.
"""
import http.client
import http.server
import sys
import time

PORT, UPSTREAM, RATE, PORT_FILE = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
CHUNK = 32 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("slow_proxy: " + (fmt % args) + "\n")

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        up = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        headers["Host"] = "127.0.0.1:%d" % UPSTREAM
        up.request(self.command, self.path, body=body, headers=headers)
        resp = up.getresponse()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "transfer-encoding"):
                continue
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        start, sent = time.monotonic(), 0
        while True:
            data = resp.read(CHUNK)
            if not data:
                break
            self.wfile.write(data)
            self.wfile.flush()
            sent += len(data)
            if RATE > 0:
                ahead = sent / RATE - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


srv = Server(("127.0.0.1", PORT), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os  # noqa: E402

os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
