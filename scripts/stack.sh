#!/usr/bin/env bash
# Runs the whole system as local processes: Kafka and Redis (scripts/infra.sh), the topics,
# the five services and the national portal's stand-in. Usage: scripts/stack.sh up|down|run|status|services-up|services-down
#   up             start everything in the background; return when every /health is ok
#   down           stop every process `up` started; nothing of the project is left running
#   run            up, then stay in the foreground until Ctrl-C, then down
#   services-up    start the services that are not running (Kafka and Redis must be up)
#   services-down  stop the services, leave Kafka and Redis running
# Environment: INSTANCES=2 runs two instances of each consuming service (deadline, survey,
# reporting; the second on port + 100, same consumer group); STACK_NAMESPACE=x gives every
# service the consumer group "<service>-x" (its Kafka principal owns the groups starting
# with its name) and the Redis key prefix "x-<service>" (a stack beside another);
# INTAKE_PORT, DEADLINE_PORT, SURVEY_PORT, REPORTING_PORT, EXCHANGE_PORT, PORTAL_STANDIN_PORT,
# GATEWAY_STANDIN_PORT;
# STACK_SERVICES="intake deadline" starts only those; RUN_DIR (pids, logs, dev key);
# API_KEYS_FILE=f uses those API keys instead of the development key (DEV_API_KEY).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RUN_DIR=${RUN_DIR:-$ROOT/.run}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
READY_TIMEOUT=${READY_TIMEOUT:-180}
INSTANCES=${INSTANCES:-1}
# the portal stand-in (demo/portal_standin.py) before the exchange service that sends to it
# and the SMS and Zalo gateways' (demo/gateway_standin.py)
read -r -a SERVICES <<<"${STACK_SERVICES:-intake deadline survey reporting portal gateways exchange}"
if [ "$INSTANCES" -ge 2 ]; then SERVICES+=(deadline-2 survey-2 reporting-2); fi
cd "$ROOT"

log() { printf '[stack] %s\n' "$*" >&2; }

service_port() {
  case $1 in
    *-2) echo $(($(service_port "${1%-2}") + 100)) ;;
    intake) echo "${INTAKE_PORT:-8001}" ;;
    deadline) echo "${DEADLINE_PORT:-8002}" ;;
    survey) echo "${SURVEY_PORT:-8003}" ;;
    reporting) echo "${REPORTING_PORT:-8004}" ;;
    exchange) echo "${EXCHANGE_PORT:-8005}" ;;
    portal) echo "${PORTAL_STANDIN_PORT:-8090}" ;;
    gateways) echo "${GATEWAY_STANDIN_PORT:-8091}" ;;
  esac
}

# A process killed while no parent reaps it stays a zombie: `kill -0` alone would call it alive.
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }

healthy() { curl -fs -o /dev/null "http://127.0.0.1:$(service_port "$1")/health"; }

start_service() {
  local name=$1 pidfile=$RUN_DIR/$1.pid
  if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
    log "$name already running (pid $(cat "$pidfile"))"; return
  fi
  if healthy "$name" || (exec 3<>"/dev/tcp/127.0.0.1/$(service_port "$name")") 2>/dev/null; then
    log "port $(service_port "$name") for $name is taken by a process this script did not start"
    return 1
  fi
  log "starting $name on port $(service_port "$name")"
  local module=${name%-2} instance=1
  [ "$module" != "$name" ] && instance=2
  (
    if [ -n "${STACK_NAMESPACE:-}" ]; then
      export CONSUMER_GROUP="$module-$STACK_NAMESPACE" REDIS_KEY_PREFIX="$STACK_NAMESPACE-$module"
    fi
    export INSTANCE_ID=$instance "${module^^}_PORT=$(service_port "$name")"
    export PORTAL_URL=${PORTAL_URL:-http://127.0.0.1:$(service_port portal)/lgsp}
    export EXCHANGE_URL=${EXCHANGE_URL:-http://127.0.0.1:$(service_port exchange)}
    export SMS_GATEWAY_URL=${SMS_GATEWAY_URL:-http://127.0.0.1:$(service_port gateways)/sms}
    export ZALO_URL=${ZALO_URL:-http://127.0.0.1:$(service_port gateways)/message/template}
    local package=services.$module
    if [ "$module" = portal ]; then
      package=demo.portal_standin
      export PORTAL_STANDIN_PORT=$(service_port portal)
    elif [ "$module" = gateways ]; then
      package=demo.gateway_standin
      export GATEWAY_STANDIN_PORT=$(service_port gateways)
    fi
    exec nohup "$PYTHON" -m "$package" </dev/null >>"$RUN_DIR/$name.log" 2>&1
  ) &
  echo $! >"$pidfile"
}

wait_healthy() {
  local deadline=$((SECONDS + READY_TIMEOUT)) name
  for name in "${SERVICES[@]}"; do
    until healthy "$name"; do
      if ! alive "$(cat "$RUN_DIR/$name.pid")"; then
        log "$name exited; last lines of $RUN_DIR/$name.log:"; tail -20 "$RUN_DIR/$name.log" >&2; return 1
      fi
      if [ $SECONDS -ge $deadline ]; then log "timed out waiting for $name to be healthy"; return 1; fi
      sleep 0.5
    done
    log "$name healthy: http://127.0.0.1:$(service_port "$name")/health"
  done
}

stop_service() {
  local name=$1 pidfile=$RUN_DIR/$1.pid
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if alive "$pid"; then
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while alive "$pid"; do
      if [ $SECONDS -ge $deadline ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
      sleep 0.2
    done
  fi
  rm -f "$pidfile"
}

DEV_API_KEY=${DEV_API_KEY:-dev-local-key}

provision_dev_key() { # a development client with every scope, for local use only
  if [ -n "${API_KEYS_FILE:-}" ]; then log "API keys from $API_KEYS_FILE"; return; fi
  local hash
  hash=$(printf '%s' "$DEV_API_KEY" | sha256sum | cut -d' ' -f1)
  cat >"$RUN_DIR/api_keys.toml" <<KEYS
# Written by scripts/stack.sh for local development; never used by compose.yaml.
[[client]]
id = "dev"
key_sha256 = "$hash"
scopes = ["frontend", "postal", "import", "admin", "rating", "reports"]
agencies = ["*"]
KEYS
  export API_KEYS_FILE="$RUN_DIR/api_keys.toml"
}

up() {
  mkdir -p "$RUN_DIR"
  "$ROOT/scripts/infra.sh" up
  "$PYTHON" -m shared.messaging.topic_admin
  services_up
}

services_up() {
  mkdir -p "$RUN_DIR"
  provision_dev_key
  for name in "${SERVICES[@]}"; do start_service "$name"; done
  wait_healthy
}

services_down() {
  local name
  for name in intake deadline survey reporting exchange portal gateways deadline-2 survey-2 \
    reporting-2; do
    stop_service "$name"
  done
}

down() {
  services_down
  "$ROOT/scripts/infra.sh" down
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  services-up) services_up ;;
  services-down) services_down ;;
  run)
    trap 'down; exit 0' INT TERM
    up
    log "running: OpenAPI docs at http://127.0.0.1:8001/docs (intake), :8002, :8003, :8004, :8005/docs"
    log "national portal stand-in: http://127.0.0.1:$(service_port portal)/received"
    log "SMS and Zalo gateway stand-in: http://127.0.0.1:$(service_port gateways)/received"
    log "report page: http://127.0.0.1:8004/v1/reports/page?period=$(date +%Y-M%m); metrics: /metrics"
    log "demo traffic starts now (python -m demo.traffic); Ctrl-C stops everything"
    "$PYTHON" -m demo.traffic --rate "${DEMO_RATE:-2}" || true
    while true; do sleep 1; done
    ;;
  status)
    "$ROOT/scripts/infra.sh" status
    for name in "${SERVICES[@]}"; do
      if healthy "$name"; then echo "$name: healthy"; else echo "$name: down"; fi
    done
    ;;
  *) echo "usage: $0 up|down|run|status|services-up|services-down" >&2; exit 2 ;;
esac
