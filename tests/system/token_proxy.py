#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Bearer-token front for a registry, for registry.bats.

token_proxy.py PORT_FILE UPSTREAM_PORT USER PASSWORD

Listens on a free loopback port (written to PORT_FILE) and forwards every
/v2/ request to the registry on UPSTREAM_PORT when it carries the token this
proxy issued for a scope that covers it; otherwise it answers 401 with
`WWW-Authenticate: Bearer realm=".../token",service="cell-test",scope=...`,
as Docker Hub does. /token hands out a token: for pull scopes to anyone, for
push scopes only with Basic credentials USER:PASSWORD (a wrong password is
401). Tokens are random and remembered with their scope, so a client that
uses a pull token to push is refused. Requests are logged to stderr.
"""
import base64
import http.client
import http.server
import secrets
import sys
import urllib.parse

PORT_FILE, UPSTREAM, USER, PASSWORD = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
TOKENS = {}  # token -> set of actions granted, per repository


def needed(method, path):
    parts = path.split("/")
    # /v2/NAME.../(manifests|blobs|tags)/...
    for i, p in enumerate(parts):
        if p in ("manifests", "blobs", "tags") and i > 2:
            repo = "/".join(parts[2:i])
            return repo, "pull" if method in ("GET", "HEAD") else "push"
    return None, None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("token_proxy: " + (fmt % args) + "\n")

    def deny(self, repo, action):
        scope = f"repository:{repo}:pull" if action == "pull" else f"repository:{repo}:pull,push"
        host = self.headers.get("Host")
        challenge = f'Bearer realm="http://{host}/token",service="cell-test"'
        if repo:
            challenge += f',scope="{scope}"'
        body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.send_response(401)
        self.send_header("WWW-Authenticate", challenge)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def token(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        scope = q.get("scope", [""])[0]
        auth = self.headers.get("Authorization", "")
        user_ok = auth == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if auth and not user_ok:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        grants = set()
        if scope.startswith("repository:"):
            repo, _, actions = scope[len("repository:"):].rpartition(":")
            for a in actions.split(","):
                if a == "pull" or user_ok:
                    grants.add((repo, a))
        elif q.get("service") and not scope:
            grants.add(("", "login"))
        tok = secrets.token_hex(16)
        TOKENS[tok] = grants
        body = ('{"token":"%s","expires_in":300}' % tok).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self):
        if self.path.startswith("/token"):
            return self.token()
        repo, action = needed(self.command, urllib.parse.urlparse(self.path).path)
        auth = self.headers.get("Authorization", "")
        grants = TOKENS.get(auth[len("Bearer "):], None) if auth.startswith("Bearer ") else None
        if grants is None or (repo and (repo, action) not in grants):
            return self.deny(repo, action)
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402

os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
