#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A token issuer for Distribution's token authentication, for registry.bats.

jwt_issuer.py PORT_FILE KEY CERT USER PASSWORD

Serves /token on a free loopback port (written to PORT_FILE) as Docker
Hub's auth service does: GET /token?service=S&scope=repository:NAME:ACTIONS
answers {"token": JWT} — a JWT signed RS256 with KEY (openssl does the
signing), its header carrying CERT as x5c, which the registry checks against
its rootcertbundle. Pull is granted to anyone; push only with Basic
credentials USER:PASSWORD (a wrong password is 401).
"""
import base64
import http.server
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.parse

PORT_FILE, KEY, CERT, USER, PASSWORD = sys.argv[1:6]


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cert_der():
    pem = open(CERT).read()
    body = "".join(l for l in pem.splitlines() if "-----" not in l)
    return base64.b64decode(body)


X5C = base64.b64encode(cert_der()).decode()


def sign(data):
    p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=data, capture_output=True, check=True)
    return p.stdout


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("jwt_issuer: " + (fmt % args) + "\n")

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path != "/token":
            self.send_error(404)
            return
        q = urllib.parse.parse_qs(u.query)
        authed = False
        h = self.headers.get("Authorization", "")
        if h.startswith("Basic "):
            user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
            if user != USER or pw != PASSWORD:
                body = b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}'
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            authed = True
        access = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3 or parts[0] != "repository":
                    continue
                name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
                granted = [a for a in actions if a == "pull" or (a in ("push", "delete") and authed)]
                access.append({"type": "repository", "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
        claims = {"iss": "cell-test-issuer", "sub": USER if authed else "", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        token = signing.decode() + "." + b64url(sign(signing))
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
