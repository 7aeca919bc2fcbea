"""Wiring only: the intake service's parts, built from its settings."""

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from services.intake import handlers
from services.intake.settings import IntakeSettings
from services.intake.store import RedisIntakeStore
from shared.service_app import ServiceRuntime, wire_service


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        store = RedisIntakeStore(runtime.redis, runtime.key_prefix)
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, store
        )
        return ()

    return wire_service(
        "intake",
        settings or IntakeSettings(),
        description="Receives dossiers on every channel and drives their lifecycle.",
        assemble=assemble,
    )
