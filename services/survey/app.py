"""Wiring only: the survey service's parts, built from its settings."""

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from services.survey import handlers
from services.survey.settings import SurveySettings
from shared.last_seen import RedisLastSeenStore
from shared.service_app import ServiceRuntime, wire_service

NAME = "survey"


def create_app(settings: SurveySettings | None = None) -> FastAPI:
    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        store = RedisLastSeenStore(runtime.redis, runtime.key_prefix)
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, store
        )
        return ()

    return wire_service(
        NAME,
        settings or SurveySettings(),
        description="Collects citizens' satisfaction ratings and periodic surveys.",
        assemble=assemble,
    )
