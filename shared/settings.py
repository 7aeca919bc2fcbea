"""The settings base every service extends (pydantic-settings: environment variables)."""

from pydantic import AwareDatetime, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Read once, in each service's `app.py`; frozen so nothing changes it at run time."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", alias="KAFKA_BOOTSTRAP_SERVERS")
    redis_url: str = Field("redis://127.0.0.1:6379/0", alias="REDIS_URL")
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    http_host: str = Field("127.0.0.1", alias="HTTP_HOST")
    http_workers: int = Field(1, ge=1, alias="HTTP_WORKERS")
    # Overridable so that tests (and blue/green rebuilds) can use a fresh consumer group.
    consumer_group: str | None = Field(None, alias="CONSUMER_GROUP")
    instance_id: str = Field("0", alias="INSTANCE_ID")
    # Every Redis key a service writes starts with this (default: the service name).
    redis_key_prefix: str | None = Field(None, alias="REDIS_KEY_PREFIX")
    # Where this deployment's history starts in its topics (default: their start): what a
    # consuming service replays if Redis comes back empty (`shared/state_guard.py`).
    replay_from: AwareDatetime | None = Field(None, alias="REPLAY_FROM")
