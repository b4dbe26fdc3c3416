#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the tests and benchmarks, in a fresh
# directory of its own on a free port, and prints the environment to eval:
#
#   eval "$(bash scripts/postgres.sh start)"   # sets VOICECART_TEST_PG_URL and VOICECART_PG_DIR
#   ...
#   bash scripts/postgres.sh stop              # stops the server in $VOICECART_PG_DIR, only it
#
# Two runs on one machine each get their own server, so neither sees nor stops the other's.
# `stop` stops the server of the directory it is given (an argument, else $VOICECART_PG_DIR)
# and removes that directory when this script created it; with neither, it stops nothing.
# VOICECART_PG_DIR and VOICECART_PG_PORT, set before `start`, pick a directory and port
# instead (a directory that already holds a server is started again, not re-created).
# Installs Debian's postgresql first if it is missing.
set -euo pipefail
MARKER=".voicecart-throwaway"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_postgres() {
    # PostgreSQL refuses to run as root: run its tools as the postgres user.
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    # A port nobody listens on now; the server may still lose a race for it (start retries).
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {  # BIN DIR PORT: 0 when the server runs
    as_postgres "$1/pg_ctl" -D "$2" -w -t 60 -l "$2/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $3 -k $2 -c max_connections=200 -c fsync=off" \
        start >&2
}

case "${1:-start}" in
start)
    if [ -z "$(bin_dir)" ]; then
        $SUDO apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql >&2
    fi
    BIN="$(bin_dir)"
    if [ -n "${VOICECART_PG_DIR:-}" ] && [ -d "$VOICECART_PG_DIR" ]; then
        PGDATA_DIR="$VOICECART_PG_DIR"
    elif [ -n "${VOICECART_PG_DIR:-}" ]; then
        PGDATA_DIR="$VOICECART_PG_DIR"
        mkdir -p "$PGDATA_DIR"
        touch "$PGDATA_DIR/$MARKER"
    else
        PGDATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/voicecart-pg.XXXXXXXX")"
        touch "$PGDATA_DIR/$MARKER"
    fi
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGDATA_DIR"
    DATA="$PGDATA_DIR/data"  # the server's own files; the run's directory holds the marker
    if [ ! -f "$DATA/PG_VERSION" ]; then
        as_postgres mkdir -p "$DATA"
        as_postgres "$BIN/initdb" -D "$DATA" -U voicecart --auth=trust -E UTF8 >/dev/null
    fi
    if as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        PORT="$(sed -n 4p "$DATA/postmaster.pid")"
    else
        started=""
        for _ in 1 2 3 4 5; do
            PORT="${VOICECART_PG_PORT:-$(free_port)}"
            if start_server "$BIN" "$DATA" "$PORT"; then started=1; break; fi
            [ -n "${VOICECART_PG_PORT:-}" ] && break  # a chosen port is not replaced
        done
        if [ -z "$started" ]; then
            echo "postgres.sh: the server did not start; see $DATA/server.log" >&2
            exit 1
        fi
    fi
    as_postgres "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U voicecart -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='voicecart'" | grep -q 1 \
        || as_postgres "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U voicecart voicecart >&2
    echo "export VOICECART_PG_DIR=$PGDATA_DIR"
    echo "export VOICECART_TEST_PG_URL=postgresql+psycopg://voicecart@127.0.0.1:$PORT/voicecart"
    ;;
stop)
    PGDATA_DIR="${2:-${VOICECART_PG_DIR:-}}"
    if [ -z "$PGDATA_DIR" ]; then
        echo "postgres.sh stop: which server? Give its directory or set VOICECART_PG_DIR" \
             "(printed by start); nothing stopped" >&2
        exit 2
    fi
    BIN="$(bin_dir)"
    if [ -f "$PGDATA_DIR/data/PG_VERSION" ]; then
        as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR/data" -m fast stop >&2 || true
    fi
    if [ -f "$PGDATA_DIR/$MARKER" ]; then
        rm -rf -- "$PGDATA_DIR"
    fi
    ;;
*)
    echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
