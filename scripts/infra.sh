#!/usr/bin/env bash
# Starts and stops the real infrastructure the system runs on, without Docker:
#   - Apache Kafka (KRaft, single node), jars resolved from Maven Central by infra/kafka/pom.xml;
#   - Redis from Debian's redis-server;
#   - PostgreSQL from Debian's postgresql (15): reporting's read model, in its own data directory
#     under $RUN_DIR (never the system's cluster), run as the `postgres` user (initdb and postgres
#     refuse root), with the `reporting` role and database (password auth, as in production).
# Kafka runs as production does: SASL/SCRAM-SHA-512 principals and ACLs (StandardAuthorizer),
# provisioned from shared/messaging/kafka_principals.py by infra/kafka/Provision.java on every `up`,
# with the development passwords (`<principal>-dev-secret`, loopback only).
# Usage: scripts/infra.sh up|down|status
# Everything lives under $RUN_DIR (default .run/); `down` stops only what `up` started here.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN_DIR=${RUN_DIR:-$ROOT/.run}
KAFKA_LIB=${KAFKA_LIB:-$ROOT/.cache/kafka-lib}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
REDIS_PORT=${REDIS_PORT:-6379}
POSTGRES_PORT=${POSTGRES_PORT:-5432}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
REPORTING_DB_PASSWORD=reporting-dev-secret  # development only; compose.yaml uses a secret
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
READY_TIMEOUT=${READY_TIMEOUT:-120}
PYTHON=${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python3)}
ADMIN_PASSWORD=admin-dev-secret  # = shared.messaging.kafka_principals.development_password("admin")
SASL_MARKER=.sasl-scram-sha-512  # in the data directory: formatted with the admin's SCRAM user

log() { printf '[infra] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_until() { # wait_until DESCRIPTION COMMAND...: poll COMMAND until it succeeds or time runs out
  local what=$1; shift
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then log "timed out waiting for $what"; return 1; fi
    sleep 0.2
  done
}

ensure_redis_installed() {
  command -v redis-server >/dev/null && return
  log "installing Debian's redis-server"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
}

ensure_promtool() { # the tests validate the Prometheus config and alert rules with promtool
  command -v promtool >/dev/null && return
  log "installing Debian's prometheus package (for promtool)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
}

ensure_kafka_jars() {
  [ -f "$KAFKA_LIB/.complete" ] && return
  command -v java >/dev/null || { log "java is required to run Kafka"; exit 1; }
  command -v mvn >/dev/null || { log "Maven (mvn) is required to resolve Kafka's jars"; exit 1; }
  log "resolving Kafka's jars from Maven Central into $KAFKA_LIB"
  rm -rf "$KAFKA_LIB" && mkdir -p "$KAFKA_LIB"
  mvn -q -B -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIB" -DincludeScope=runtime
  touch "$KAFKA_LIB/.complete"
}

redis_ready() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  if redis_ready; then log "redis already answering on $REDIS_PORT"; return; fi
  ensure_redis_installed
  mkdir -p "$RUN_DIR/redis"
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  # AOF on, so a restart keeps the services' working state, as in production.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN_DIR/redis" \
    --appendonly yes --save "" --daemonize yes \
    --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log"
  wait_until "redis" redis_ready
}

ensure_postgres_installed() {
  [ -x "$PG_BIN/postgres" ] && return
  log "installing Debian's postgresql"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

as_postgres() { # run a PostgreSQL binary as the postgres user (root is refused)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_ready() { as_postgres "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT"; }

pg_data() { # under $RUN_DIR when the postgres user can reach it, else in its own home
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$RUN_DIR"; then echo "$RUN_DIR/postgres"
  else echo "/var/lib/postgresql/motcua-$(printf %s "$RUN_DIR" | md5sum | cut -c1-12)"; fi
}

start_postgres() {
  if postgres_ready; then log "postgres already answering on $POSTGRES_PORT"; return; fi
  ensure_postgres_installed
  local data; data=$(pg_data)
  mkdir -p "$data"
  touch "$data.log"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$data" "$data.log"; chmod 700 "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL in $data"
    as_postgres "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  log "starting postgres on 127.0.0.1:$POSTGRES_PORT"
  # Bulk upserts of facts: durable commits, but the WAL flushed in groups (commit_delay) and
  # checkpoints spread out; shared_buffers sized for a report's working set on a small machine.
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$data.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$POSTGRES_PORT -c unix_socket_directories=$data \
     -c shared_buffers=512MB -c work_mem=32MB -c max_wal_size=4GB -c checkpoint_timeout=15min \
     -c max_connections=300 -c max_parallel_workers_per_gather=2 -c jit=off" >/dev/null
  wait_until "postgres" postgres_ready
  provision_postgres
}

provision_postgres() { # the reporting role and database (idempotent)
  local psql=(as_postgres "$PG_BIN/psql" -q -h "$(pg_data)" -p "$POSTGRES_PORT" -U postgres -v ON_ERROR_STOP=1)
  "${psql[@]}" -d postgres -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reporting') THEN
        CREATE ROLE reporting LOGIN PASSWORD '$REPORTING_DB_PASSWORD';
      END IF; END \$\$;"
  if ! "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'reporting'" | grep -q 1; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE reporting OWNER reporting"
  fi
}

stop_postgres() {
  local data; data=$(pg_data)
  [ -f "$data/postmaster.pid" ] || return 0
  log "stopping postgres"
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null || true
}

kafka_cp() { echo "$KAFKA_LIB/*"; }

start_kafka() {
  if port_open "$KAFKA_PORT"; then
    if pid_alive "$RUN_DIR/kafka.pid"; then provision_kafka; return; fi
    log "something already listens on $KAFKA_PORT; using it as Kafka"; return
  fi
  ensure_kafka_jars
  mkdir -p "$RUN_DIR/kafka-logs"
  local props=$RUN_DIR/server.properties
  sed -e "s#@RUN_DIR@#$RUN_DIR#g" -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
      -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" -e "s#@ADMIN_PASSWORD@#$ADMIN_PASSWORD#g" \
      "$ROOT/infra/kafka/server.properties.in" >"$props"
  chmod 600 "$props"
  if [ -f "$RUN_DIR/kafka-data/meta.properties" ] && [ ! -f "$RUN_DIR/kafka-data/$SASL_MARKER" ]; then
    log "$RUN_DIR/kafka-data was formatted before Kafka had authentication;"
    log "its admin user is missing. Remove it (scripts/infra.sh down && rm -rf $RUN_DIR/kafka-data)"
    exit 1
  fi
  local jvm_log=(-Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" -Dkafka.logs.dir="$RUN_DIR/kafka-logs")
  if [ ! -f "$RUN_DIR/kafka-data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
    log "formatting Kafka storage (cluster $cluster_id)"
    java "${jvm_log[@]}" -cp "$(kafka_cp)" kafka.tools.StorageTool format --cluster-id="$cluster_id" \
      --config "$props" --add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]" >/dev/null
    touch "$RUN_DIR/kafka-data/$SASL_MARKER"
  fi
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true "${jvm_log[@]}" \
    -cp "$(kafka_cp)" kafka.Kafka "$props" </dev/null >"$RUN_DIR/kafka.out" 2>&1 &
  echo $! >"$RUN_DIR/kafka.pid"
  wait_until "Kafka's port" port_open "$KAFKA_PORT"
  provision_kafka
}

provision_kafka() { # SCRAM users and exactly the ACLs of shared/messaging/kafka_principals.py
  command -v javac >/dev/null || { log "a JDK (javac) is needed to run Provision.java"; exit 1; }
  log "provisioning Kafka's principals and ACLs"
  (cd "$ROOT" && "$PYTHON" -m shared.messaging.kafka_principals plan) |
    KAFKA_ADMIN_PASSWORD=$ADMIN_PASSWORD java -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" \
      -Dkafka.logs.dir="$RUN_DIR/kafka-logs" -cp "$(kafka_cp)" "$ROOT/infra/kafka/Provision.java" "127.0.0.1:$KAFKA_PORT" >&2
}

stop_pidfile() { # stop_pidfile NAME FILE: TERM, wait, then KILL
  local name=$1 file=$2
  pid_alive "$file" || { rm -f "$file"; return 0; }
  local pid; pid=$(cat "$file")
  log "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
    sleep 0.2
  done
  rm -f "$file"
}

case "${1:-}" in
  up)
    mkdir -p "$RUN_DIR"
    start_redis
    start_postgres
    start_kafka
    ensure_promtool
    ;;
  down)
    stop_pidfile kafka "$RUN_DIR/kafka.pid"
    stop_pidfile redis "$RUN_DIR/redis.pid"
    stop_postgres
    ;;
  status)
    redis_ready && echo "redis: up on $REDIS_PORT" || echo "redis: down"
    port_open "$KAFKA_PORT" && echo "kafka: up on $KAFKA_PORT" || echo "kafka: down"
    postgres_ready && echo "postgres: up on $POSTGRES_PORT" || echo "postgres: down"
    ;;
  jars) ensure_kafka_jars ;;
  provision) provision_kafka ;;
  *) echo "usage: $0 up|down|status|jars|provision" >&2; exit 2 ;;
esac
