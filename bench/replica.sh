#!/usr/bin/env bash
# A streaming replica of the development PostgreSQL (scripts/infra.sh's, port 5432), for
# bench/read_replica.py: a hot standby on port 5433 with its data under .run/postgres-replica,
# cloned by pg_basebackup and following the primary's WAL, as a production read replica does.
# Usage: bench/replica.sh up|down
# Then point reporting's report queries at it:
#   REPORTING_READ_DATABASE_URL=postgresql://reporting:reporting-dev-secret@127.0.0.1:5433/reporting
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN_DIR=${RUN_DIR:-$ROOT/.run}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PRIMARY=$RUN_DIR/postgres  # scripts/infra.sh's data directory (its socket lives there)
PRIMARY_PORT=${POSTGRES_PORT:-5432}
REPLICA=$RUN_DIR/postgres-replica
REPLICA_PORT=${REPLICA_PORT:-5433}

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
log() { printf '[replica] %s\n' "$*" >&2; }

up() {
  if [ ! -f "$REPLICA/standby.signal" ]; then
    log "cloning the primary (port $PRIMARY_PORT) into $REPLICA"
    rm -rf "$REPLICA" && mkdir -p "$REPLICA"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$REPLICA"; chmod 700 "$REPLICA"; fi
    # -R: standby.signal and primary_conninfo written; -X stream: the WAL of the copy itself
    as_postgres "$PG_BIN/pg_basebackup" -h "$PRIMARY" -p "$PRIMARY_PORT" -U postgres \
      -D "$REPLICA" -R -X stream -c fast
  fi
  touch "$REPLICA.log"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$REPLICA.log"; fi
  log "starting the replica on 127.0.0.1:$REPLICA_PORT"
  # hot_standby_feedback: a report running on the replica is not cancelled by the vacuum of
  # rows it still reads (the primary keeps them a little longer instead)
  as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA" -l "$REPLICA.log" -w -t 120 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$REPLICA_PORT -c unix_socket_directories=$REPLICA \
     -c shared_buffers=512MB -c work_mem=32MB -c max_connections=300 \
     -c hot_standby=on -c hot_standby_feedback=on -c jit=off" >/dev/null
}

down() {
  [ -f "$REPLICA/postmaster.pid" ] || return 0
  log "stopping the replica"
  as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA" -m fast -w -t 60 stop >/dev/null || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
