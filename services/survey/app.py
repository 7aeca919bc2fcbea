"""Wiring only: the survey service's parts, built from its settings."""

from collections.abc import Sequence
from datetime import timedelta

from fastapi import APIRouter, FastAPI

from services.survey import handlers
from services.survey.api import error_handlers, feedback_router, survey_router
from services.survey.domain.rating_rules import Windows
from services.survey.service.feedback import FeedbackDesk
from services.survey.service.satisfaction import Satisfaction
from services.survey.settings import SurveySettings
from services.survey.store import RedisSurveyStore
from shared.domain.clock import Clock, SystemClock
from shared.domain.feedback_categories import FeedbackCategories
from shared.domain.rating_reasons import ReasonCategories
from shared.runtime.service_app import ServiceRuntime, wire_service
from shared.web.api_keys import ApiKeys
from shared.web.http_access import install_access


def create_app(settings: SurveySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or SurveySettings()
    keys = ApiKeys.from_toml(settings.api_keys_file.read_text("utf-8"))

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        store = RedisSurveyStore(
            runtime.require_redis(), runtime.key_prefix, settings.idempotency_window
        )
        satisfaction = Satisfaction(
            store,
            clock or SystemClock(),
            runtime.publisher,
            runtime.registry,
            Windows(kiosk=timedelta(minutes=settings.kiosk_window_minutes)),
            timedelta(seconds=settings.hold_seconds),
            runtime.consumer_group,
            keys,
            ReasonCategories.from_file(settings.rating_reasons_file),
        )
        desk = FeedbackDesk(
            store,
            clock or SystemClock(),
            satisfaction.outbox,
            FeedbackCategories.from_file(settings.feedback_categories_file),
        )
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, satisfaction, desk
        )

        async def outbox_relay() -> None:
            await satisfaction.outbox.relay(settings.outbox_relay_seconds)

        async def held_ratings_expiry() -> None:
            await satisfaction.expire_held(1.0)

        runtime.background += [outbox_relay, held_ratings_expiry]
        runtime.state = satisfaction
        return (survey_router(satisfaction, settings.http_wait_seconds), feedback_router(desk))

    app = wire_service(
        "survey",
        settings,
        description="Collects citizens' satisfaction ratings, periodic surveys, and feedback "
        "and complaints with their answers.",
        assemble=assemble,
        rebuilt_from_kafka=True,
    )
    install_access(app, keys)
    error_handlers(app)
    return app
