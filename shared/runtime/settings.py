"""The settings base every service extends (pydantic-settings: environment variables)."""

from datetime import timedelta
from pathlib import Path

from pydantic import AwareDatetime, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.events.topics import CATALOGUE_EVENTS
from shared.messaging.kafka_access import KafkaAccess

CONFIG = Path(__file__).resolve().parents[2] / "config"


class ServiceSettings(BaseSettings):
    """Read once, in each service's `app.py`; frozen so nothing changes it at run time."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", alias="KAFKA_BOOTSTRAP_SERVERS")
    # The service's Kafka principal (default: its name) and password
    # (shared/messaging/kafka_access.py).
    kafka_username: str | None = Field(None, alias="KAFKA_USERNAME")
    kafka_password: SecretStr | None = Field(None, alias="KAFKA_PASSWORD")
    kafka_password_file: str | None = Field(None, alias="KAFKA_PASSWORD_FILE")
    kafka_ssl_cafile: str | None = Field(None, alias="KAFKA_SSL_CAFILE")
    redis_url: str = Field("redis://127.0.0.1:6379/0", alias="REDIS_URL")
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    http_host: str = Field("127.0.0.1", alias="HTTP_HOST")
    http_workers: int = Field(1, ge=1, alias="HTTP_WORKERS")
    # A request body over this many bytes gets 413 before it is read whole.
    http_max_body_bytes: int = Field(1_000_000, ge=1024, alias="HTTP_MAX_BODY_BYTES")
    # Overridable so that tests (and blue/green rebuilds) can use a fresh consumer group.
    consumer_group: str | None = Field(None, alias="CONSUMER_GROUP")
    instance_id: str = Field("0", alias="INSTANCE_ID")
    # API clients and their scopes (shared/web/api_keys.py), hashes only.
    api_keys_file: Path = Field(CONFIG / "api_keys.toml", alias="API_KEYS_FILE")
    # Every Redis key a service writes starts with this (default: the service name).
    redis_key_prefix: str | None = Field(None, alias="REDIS_KEY_PREFIX")
    # Where this deployment's history starts in its topics (default: their start): what a
    # consuming service replays if Redis comes back empty (`shared/runtime/state_guard.py`).
    replay_from: AwareDatetime | None = Field(None, alias="REPLAY_FROM")
    # The reference data's log (shared/domain/reference_log.py); a deployment of its own (a staging
    # copy, a test) may keep it on another topic of the same shape.
    catalogue_topic: str = Field(CATALOGUE_EVENTS, alias="CATALOGUE_TOPIC")
    # How long a submission's answer is kept, so a retry with the same submission_id gets it.
    idempotency_window_days: float = Field(7, gt=0, alias="IDEMPOTENCY_WINDOW_DAYS")
    # A publish not acknowledged by Kafka within twice this fails (and its request with it).
    kafka_request_timeout_ms: int = Field(8000, ge=1000, alias="KAFKA_REQUEST_TIMEOUT_MS")
    # A stop (SIGTERM) taking longer ends the process anyway (shared/runtime/service_app.py); unset,
    # never. `python -m services.<name>` sets 6 unless given; apps run in-process do not.
    stop_within_seconds: float | None = Field(None, gt=0, alias="STOP_WITHIN_SECONDS")
    # A subscriber with records waiting and no batch handled for this long is restarted, and
    # /health answers 503 meanwhile (shared/messaging/subscriber_watchdog.py).
    subscriber_stalled_after_seconds: float = Field(
        60, gt=0, alias="SUBSCRIBER_STALLED_AFTER_SECONDS"
    )

    @property
    def idempotency_window(self) -> timedelta:
        return timedelta(days=self.idempotency_window_days)

    def kafka_access(self, service: str) -> KafkaAccess:
        return KafkaAccess.resolve(
            self.kafka_bootstrap_servers,
            self.kafka_username or service,
            self.kafka_password.get_secret_value() if self.kafka_password else None,
            self.kafka_password_file,
            self.kafka_ssl_cafile,
        )
