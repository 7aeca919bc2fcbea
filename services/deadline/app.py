"""Wiring only: the deadline service's parts, built from its settings."""

from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis

from services.deadline import handlers
from services.deadline.settings import DeadlineSettings
from shared.last_seen import RedisLastSeenStore
from shared.service_app import wire_service

NAME = "deadline"


def create_app(settings: DeadlineSettings | None = None) -> FastAPI:
    def register(broker: KafkaBroker, group: str, redis: "Redis") -> list[Any]:
        return handlers.register_handlers(broker, group, RedisLastSeenStore(redis, NAME))

    return wire_service(
        NAME,
        settings or DeadlineSettings(),
        description="Due dates on Vietnam's working-time calendar; due-soon and overdue tracking.",
        register_handlers=register,
    )
