"""Wiring only: the intake service's parts, built from its settings."""

from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.intake import handlers
from services.intake.settings import IntakeSettings
from services.intake.store import RedisIntakeStore
from shared.service_app import wire_service


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    def register(broker: KafkaBroker, group: str, redis: "Redis") -> list[Any]:
        return handlers.register_handlers(broker, group, RedisIntakeStore(redis))

    return wire_service(
        "intake",
        settings or IntakeSettings(),
        description="Receives dossiers on every channel and drives their lifecycle.",
        register_handlers=register,
    )
