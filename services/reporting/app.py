"""Wiring only: the reporting service's parts, built from its settings."""

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from services.reporting import handlers
from services.reporting.settings import ReportingSettings
from shared.last_seen import RedisLastSeenStore
from shared.service_app import ServiceRuntime, wire_service

NAME = "reporting"


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        store = RedisLastSeenStore(runtime.redis, runtime.key_prefix)
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, store
        )
        return ()

    return wire_service(
        NAME,
        settings or ReportingSettings(),
        description="On-time and satisfaction reports, exports and Prometheus metrics.",
        assemble=assemble,
    )
