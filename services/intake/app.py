"""Wiring only: the intake service's parts, built from its settings."""

from collections.abc import Sequence
from datetime import timedelta

from fastapi import APIRouter, FastAPI

from services.intake import handlers
from services.intake.api import error_handlers, intake_router
from services.intake.catalogue import Catalogue
from services.intake.desk import CatalogueHolder, Desk
from services.intake.personal_data import ApplicantLifetime, DataSubjectRequests
from services.intake.rebuild import IntakeRebuild
from services.intake.settings import IntakeSettings
from services.intake.store import RedisIntakeStore
from shared.api_keys import ApiKeys
from shared.business_calendar import BusinessCalendar, CalendarOverrides
from shared.clock import Clock, SystemClock
from shared.http_access import install_access
from shared.service_app import ServiceRuntime, wire_service


def create_app(settings: IntakeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    keys = ApiKeys.from_toml(settings.api_keys_file.read_text("utf-8"))
    overrides = CalendarOverrides.from_toml(settings.calendar_overrides.read_text("utf-8"))

    def load_catalogue() -> Catalogue:
        return Catalogue.from_toml(settings.catalogue_file.read_text("utf-8"))

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        store = RedisIntakeStore(
            runtime.redis,
            runtime.key_prefix,
            settings.idempotency_window,
            applicant_kept_for=timedelta(days=settings.applicant_data_kept_days),
        )
        desk = Desk(
            store,
            CatalogueHolder(load_catalogue()),
            BusinessCalendar(overrides=overrides),
            clock or SystemClock(),
            runtime.publisher,
        )
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, desk, keys
        )

        async def outbox_relay() -> None:
            await desk.outbox.relay(settings.outbox_relay_seconds)

        rebuild = IntakeRebuild(
            store,
            settings.kafka_access("intake"),
            desk.clock,
            replay_from=settings.replay_from,
            answer_window=settings.idempotency_window,
            # a publish in flight when Redis lost its data has landed or failed by then
            grace_seconds=2 * settings.kafka_request_timeout_ms / 1000 + 2,
        )
        lifetime = ApplicantLifetime(store, runtime.publisher, desk.clock)

        async def applicant_erasure() -> None:
            await lifetime.run(settings.erasure_interval_seconds)

        runtime.background += [outbox_relay, rebuild.run, applicant_erasure]
        runtime.ready = store.is_ready
        runtime.state = desk
        return (intake_router(desk, load_catalogue, DataSubjectRequests(store, runtime.publisher)),)

    app = wire_service(
        "intake",
        settings,
        description="Receives dossiers on every channel and drives their lifecycle.",
        assemble=assemble,
    )
    install_access(app, keys)
    error_handlers(app)
    return app
