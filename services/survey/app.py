"""Wiring only: the survey service's parts, built from its settings."""

from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.survey import handlers
from services.survey.settings import SurveySettings
from shared.last_seen import RedisLastSeenStore
from shared.service_app import wire_service

NAME = "survey"


def create_app(settings: SurveySettings | None = None) -> FastAPI:
    def register(broker: KafkaBroker, group: str, redis: "Redis") -> list[Any]:
        return handlers.register_handlers(broker, group, RedisLastSeenStore(redis, NAME))

    return wire_service(
        NAME,
        settings or SurveySettings(),
        description="Collects citizens' satisfaction ratings and periodic surveys.",
        register_handlers=register,
    )
