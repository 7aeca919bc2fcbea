"""Wiring only: the reporting service's parts, built from its settings."""

from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.reporting import handlers
from services.reporting.settings import ReportingSettings
from shared.last_seen import RedisLastSeenStore
from shared.service_app import wire_service

NAME = "reporting"


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    def register(broker: KafkaBroker, group: str, redis: "Redis") -> list[Any]:
        return handlers.register_handlers(broker, group, RedisLastSeenStore(redis, NAME))

    return wire_service(
        NAME,
        settings or ReportingSettings(),
        description="On-time and satisfaction reports, exports and Prometheus metrics.",
        register_handlers=register,
    )
