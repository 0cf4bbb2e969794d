#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The networks issue's acceptance 2: a Debian-based PostgreSQL image built by
# `cell build` (tests/system/postgres: FROM the Debian image `cell image base
# debian` makes, cached under /var/tmp/cell-base-cache; postgresql-15 from
# Debian's mirror), started with `cell run -d -p 55432:5432` on the default
# bridge network, answers a query from the host's psql on 127.0.0.1 with a
# password (scram-sha-256 from POSTGRES_PASSWORD), and stops on `cell stop`
# (STOPSIGNAL SIGINT, postgres' fast shutdown, exit 0).

load helpers

setup_file() {
        [ -x "$CELL" ] || return 0
        PG_DIR=$(mktemp -d /var/tmp/cell-network-postgres.XXXXXX)
        export PG_DIR
        export CELL_STORAGE_ROOT=$PG_DIR/storage
        export CELL_RUNROOT=/run/cell-network-postgres.${PG_DIR##*.}
}

teardown_file() {
        [ -n "${PG_DIR:-}" ] || return 0
        local id
        for id in $("$CELL" ps -aq --no-trunc 2>/dev/null); do
                "$CELL" rm -f "$id" >/dev/null 2>&1 || true
        done
        # The default bridge, now unused, off the host.
        "$CELL" network prune -f >/dev/null 2>&1 || true
        grep -o " $PG_DIR[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$PG_DIR" "$CELL_RUNROOT"
}

setup() {
        [ -x "$CELL" ] || skip "cell binary not found at $CELL"
        command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (scripts/deps.sh)"
        command -v psql >/dev/null || skip "psql is not installed (postgresql-client: scripts/deps.sh)"
}

@test "network: a PostgreSQL image built by cell, run -d -p 55432:5432, answers the host's psql on 127.0.0.1" {
        local deadline
        run -0 "$CELL" image base debian
        run -0 "$CELL" build -q -t localhost/postgres:test "$REPO_ROOT/tests/system/postgres"
        run -0 "$CELL" run -d --name pg -p 55432:5432 -e POSTGRES_PASSWORD=cell-test localhost/postgres:test
        export PGPASSWORD=cell-test PGCONNECT_TIMEOUT=2
        # 60 s by the clock: a try can take seconds (a connect with no answer).
        deadline=$((SECONDS + 60))
        while :; do
                run psql -X -h 127.0.0.1 -p 55432 -U postgres -tAc 'select 41+1'
                [ "$status" -eq 0 ] || [ "$SECONDS" -ge "$deadline" ] && break
                sleep 0.2
        done
        if [ "$status" -ne 0 ]; then
                echo "# psql: $output" >&3
                "$CELL" logs pg >&3 2>&1 || true
        fi
        assert_equal "$status" 0
        assert_equal "$output" 42
        # The password is checked: the published port is not a way around it.
        PGPASSWORD=wrong run psql -X -h 127.0.0.1 -p 55432 -U postgres -tAc 'select 1'
        assert_equal "$status" 2
        assert_output_contains "password authentication failed"
        run -0 "$CELL" stop pg
        run -0 "$CELL" inspect -f '{{.State.ExitCode}}' pg
        assert_equal "$output" 0
        run -0 "$CELL" rm -f pg
}
