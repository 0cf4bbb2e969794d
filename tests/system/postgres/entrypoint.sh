#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The postgres image's entrypoint (see Dockerfile): initdb when $PGDATA has no
# cluster, then exec the command as the user postgres. Arguments that start with
# '-' are postgres' own (`IMAGE -c port=5433`).
set -eu
case ${1:-postgres} in
-*) set -- postgres "$@" ;;
esac
[ $# -gt 0 ] || set -- postgres
as_postgres() {
        setpriv --reuid=postgres --regid=postgres --init-groups "$@"
}
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
        mkdir -p "$PGDATA" /run/postgresql
        chown postgres:postgres "$PGDATA" /run/postgresql
        chmod 0700 "$PGDATA"
        if [ ! -s "$PGDATA/PG_VERSION" ]; then
                pwfile=
                auth=trust
                if [ -n "${POSTGRES_PASSWORD:-}" ]; then
                        pwfile=$(mktemp)
                        printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
                        chown postgres "$pwfile"
                        auth=scram-sha-256
                else
                        echo "entrypoint: POSTGRES_PASSWORD is empty: every host is trusted" >&2
                fi
                as_postgres initdb --username=postgres --auth-local=trust --auth-host="$auth" \
                        ${pwfile:+--pwfile="$pwfile"} >/dev/null
                [ -z "$pwfile" ] || rm -f "$pwfile"
                # Any address: the container's own network is the boundary.
                printf 'host all all 0.0.0.0/0 %s\nhost all all ::/0 %s\n' "$auth" "$auth" >>"$PGDATA/pg_hba.conf"
                printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
        fi
        exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
fi
exec "$@"
