#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the tests and benchmarks, and prints
# its URL. Usage: eval "$(bash scripts/postgres.sh start)"; bash scripts/postgres.sh stop
# Installs Debian's postgresql first if it is missing.
set -euo pipefail
PGDATA_DIR="${VOICECART_PG_DIR:-/tmp/voicecart-pg}"
PORT="${VOICECART_PG_PORT:-54329}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_postgres() {
    # PostgreSQL refuses to run as root: run its tools as the postgres user.
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
    if [ -z "$(bin_dir)" ]; then
        $SUDO apt-get update -q
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql >&2
    fi
    BIN="$(bin_dir)"
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        mkdir -p "$PGDATA_DIR"
        [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGDATA_DIR"
        as_postgres "$BIN/initdb" -D "$PGDATA_DIR" -U voicecart --auth=trust -E UTF8 >&2
    fi
    if ! as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
        as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" -w -l "$PGDATA_DIR/server.log" \
            -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDATA_DIR -c max_connections=200 -c fsync=off" start >&2
    fi
    as_postgres "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U voicecart -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='voicecart'" | grep -q 1 \
        || as_postgres "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U voicecart voicecart >&2
    echo "export VOICECART_TEST_PG_URL=postgresql+psycopg://voicecart@127.0.0.1:$PORT/voicecart"
    ;;
stop)
    BIN="$(bin_dir)"
    as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >&2 || true
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
