"""Wiring only: the intake service's parts, built from its settings."""

from collections.abc import Sequence
from datetime import timedelta

from fastapi import APIRouter, FastAPI

from services.intake import handlers
from services.intake.api.catalogue import catalogue_router
from services.intake.api.dossiers import error_handlers, intake_router
from services.intake.service.catalogue_admin import CatalogueAdmin, check_agency_on_map
from services.intake.service.consent import ConsentDesk
from services.intake.service.desk import Desk
from services.intake.service.personal_data import ApplicantLifetime, DataSubjectRequests
from services.intake.service.rebuild import IntakeRebuild
from services.intake.settings import IntakeSettings
from services.intake.store import RedisIntakeStore
from shared.domain.admin_units import UnitMap
from shared.domain.clock import Clock, SystemClock
from shared.domain.reference_log import seed_from_files
from shared.messaging.reference_follower import ReferenceFollower
from shared.runtime.reference import follow_reference
from shared.runtime.service_app import ServiceRuntime, wire_service
from shared.web.api_keys import ApiKeys
from shared.web.http_access import install_access


def create_app(settings: IntakeSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    keys = ApiKeys.from_toml(settings.api_keys_file.read_text("utf-8"))
    units = UnitMap.from_file(settings.units_file)
    seed_catalogue = settings.catalogue_file.read_text("utf-8")
    seed_overrides = settings.calendar_overrides.read_text("utf-8")
    seed = seed_from_files(seed_catalogue, seed_overrides)  # a bad seed fails at start, not later
    for agency in seed.catalogue.agencies.values():
        check_agency_on_map(agency, units)
    clock = clock or SystemClock()

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        store = RedisIntakeStore(
            runtime.require_redis(),
            runtime.key_prefix,
            settings.idempotency_window,
            applicant_kept_for=timedelta(days=settings.applicant_data_kept_days),
        )
        follower = follow_reference(runtime, settings)
        admin = _catalogue_admin(runtime, follower, seed_catalogue, seed_overrides, clock)
        desk = Desk(store, follower, clock, runtime.publisher)
        consent = ConsentDesk(store, desk.outbox)
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, desk, keys, consent
        )
        _run_in_background(runtime, settings, store, desk, clock)

        async def ready() -> bool:
            return follower.current.loaded and await store.is_ready()

        runtime.ready = ready
        runtime.state = desk
        return (
            intake_router(
                desk, DataSubjectRequests(store, runtime.publisher), settings.public_url, consent
            ),
            catalogue_router(follower, admin, units, clock),
        )

    app = wire_service(
        "intake",
        settings,
        description="Receives dossiers on every channel and drives their lifecycle.",
        assemble=assemble,
    )
    install_access(app, keys)
    error_handlers(app)
    return app


def _catalogue_admin(
    runtime: ServiceRuntime,
    follower: ReferenceFollower,
    seed_catalogue: str,
    seed_overrides: str,
    clock: Clock,
) -> CatalogueAdmin:
    """The catalogue's admin, seeding an empty log from the files once the follower read it."""
    admin = CatalogueAdmin(
        follower,
        runtime.publisher,
        lambda: runtime.require_redis().lock(
            f"{runtime.key_prefix}:catalogue-admin", timeout=60, blocking_timeout=30
        ),
    )

    async def seed_catalogue_if_empty() -> None:
        await admin.seed_if_empty(seed_catalogue, seed_overrides, clock.now())

    runtime.startup.append(seed_catalogue_if_empty)  # after the follower's first read
    return admin


def _run_in_background(
    runtime: ServiceRuntime,
    settings: IntakeSettings,
    store: RedisIntakeStore,
    desk: Desk,
    clock: Clock,
) -> None:
    """The outbox's relay, the rebuild of a lost Redis, and the erasure of applicants' data."""

    async def outbox_relay() -> None:
        await desk.outbox.relay(settings.outbox_relay_seconds)

    rebuild = IntakeRebuild(
        store,
        settings.kafka_access("intake"),
        clock,
        replay_from=settings.replay_from,
        answer_window=settings.idempotency_window,
        # a publish in flight when Redis lost its data has landed or failed by then
        grace_seconds=2 * settings.kafka_request_timeout_ms / 1000 + 2,
    )
    lifetime = ApplicantLifetime(store, runtime.publisher, desk.clock)

    async def applicant_erasure() -> None:
        await lifetime.run(settings.erasure_interval_seconds)

    runtime.background += [outbox_relay, rebuild.run, applicant_erasure]
