#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# A real build (the build issue's acceptance 2): FROM the Debian image cell
# makes locally (`cell image base debian`: mmdebstrap, cached under
# /var/tmp/cell-base-cache), `apt-get update && apt-get install -y
# nginx-light` from Debian's mirror in a RUN step, and the image serves a
# page with `cell run`. RUN steps and the container use the host's network
# (no bridge yet), so nginx listens on a port of its own, not 80.

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        NGINX_DIR=$(mktemp -d /var/tmp/cell-build-nginx.XXXXXX)
        export NGINX_DIR
        export CELL_STORAGE_ROOT=$NGINX_DIR/storage
        export CELL_RUNROOT=/run/cell-build-nginx.${NGINX_DIR##*.}
}

teardown_file() {
        [ -n "${NGINX_DIR:-}" ] || return 0
        local id
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
        grep -o " $NGINX_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$NGINX_DIR" "$CELL_RUNROOT"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (scripts/deps.sh)"
}

@test "build: FROM the local Debian image, apt-get install nginx-light, and the image serves a page" {
        local port=$((20000 + RANDOM % 20000)) ctx=$NGINX_DIR/ctx i
        run -0 "$CELL" image base debian
        mkdir -p "$ctx"
        cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM localhost/debian:latest
ARG PORT=8080
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light && rm -rf /var/lib/apt/lists/*
RUN sed -i -e "s/listen 80 default_server;/listen ${PORT} default_server;/" -e '/listen \[::\]:80/d' \
        /etc/nginx/sites-enabled/default && echo '<h1>built by cell</h1>' > /var/www/html/index.html
CMD ["nginx", "-g", "daemon off;"]
DOCKERFILE
        run -0 "$CELL" build --build-arg PORT=$port -t localhost/web:1 "$ctx"
        assert_output_contains "Successfully tagged localhost/web:1"
        run -0 "$CELL" run -d --name web --network host localhost/web:1
        for i in $(seq 1 100); do
                run python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$port/', timeout=2).read().decode())"
                [ "$status" -eq 0 ] && break
                sleep 0.1
        done
        assert_equal "$status" 0
        assert_equal "$output" "<h1>built by cell</h1>"
        "$CELL" rm -f web >/dev/null
}
