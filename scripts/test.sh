#!/usr/bin/env bash
# Sets up (scripts/setup.sh), starts a throwaway PostgreSQL on loopback (scripts/postgres.sh),
# lints, and runs the whole test suite: database tests run on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PG_ENV="$(bash scripts/postgres.sh start)"  # a failure here stops the run (set -e)
eval "$PG_ENV"
trap 'bash scripts/postgres.sh stop' EXIT
export VOICECART_REQUIRE_PG=1
python3 -m ruff check .
python3 -m pytest "$@"
