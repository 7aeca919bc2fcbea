#!/usr/bin/env bash
# Makes the secrets compose.yaml needs, in infra/secrets/ (git-ignored; never committed):
#   kafka-ca.pem, kafka-ca.key   a certificate authority for the broker's TLS (10 years);
#   kafka-broker.pem             the broker's key and certificate (DNS kafka, localhost);
#   kafka-<principal>            a random SCRAM password per Kafka principal
#                                (python -m shared.messaging.kafka_principals names);
#   reporting-db                 the password of reporting's PostgreSQL role;
#   api_keys.toml, operator-api-key  one API client with every scope; its key is printed once.
# Idempotent: what exists is kept, so running it again rotates nothing.
# Usage: scripts/make_compose_secrets.sh   (needs openssl and python3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${SECRETS_DIR:-$ROOT/infra/secrets}
mkdir -p "$OUT" && chmod 700 "$OUT"
cd "$OUT"

if [ ! -f kafka-ca.pem ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=motcua Kafka CA" \
    -keyout kafka-ca.key -out kafka-ca.pem 2>/dev/null
fi
if [ ! -f kafka-broker.pem ]; then
  openssl req -newkey rsa:3072 -nodes -subj "/CN=kafka" -keyout broker.key -out broker.csr 2>/dev/null
  printf 'subjectAltName=DNS:kafka,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >broker.ext
  openssl x509 -req -in broker.csr -CA kafka-ca.pem -CAkey kafka-ca.key -CAcreateserial \
    -days 825 -extfile broker.ext -out broker.crt 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.pk8
  cat broker.pk8 broker.crt kafka-ca.pem >kafka-broker.pem  # Kafka's PEM keystore: key, chain
  rm -f broker.key broker.pk8 broker.csr broker.ext broker.crt kafka-ca.srl
fi
for principal in $(cd "$ROOT" && python3 -m shared.messaging.kafka_principals names); do
  [ -f "kafka-$principal" ] || openssl rand -base64 32 | tr -d '\n=/+' >"kafka-$principal"
done
[ -f reporting-db ] || openssl rand -base64 32 | tr -d '\n=/+' >reporting-db
[ -f portal-token ] || openssl rand -hex 32 >portal-token  # the LGSP session token (demo stand-in)
if [ ! -f api_keys.toml ]; then
  key=$(openssl rand -hex 24)
  printf '%s' "$key" >operator-api-key
  cat >api_keys.toml <<KEYS
# Made by scripts/make_compose_secrets.sh; add your frontends' keys (hashes only).
[[client]]
id = "operator"
key_sha256 = "$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"
scopes = ["frontend", "postal", "import", "admin", "rating", "reports"]
agencies = ["*"]
KEYS
  echo "operator API key (every scope; keep it safe): $key (also in $OUT/operator-api-key)"
fi
chmod 600 "$OUT"/*
echo "compose secrets in $OUT"
