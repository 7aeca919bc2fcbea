"""Wiring only: the reporting service's parts, built from its settings."""

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from services.reporting import handlers
from services.reporting.api import reports_router
from services.reporting.metrics import AuditGauges
from services.reporting.month_gauges import MonthGauges
from services.reporting.projector import Projector
from services.reporting.settings import ReportingSettings
from services.reporting.store import ActiveKeyspace
from shared.admin_units import UnitMap
from shared.api_keys import ApiKeys
from shared.catalogue_names import LiveNames
from shared.clock import Clock, SystemClock
from shared.feedback_categories import FeedbackCategories
from shared.http_access import install_access
from shared.rating_reasons import ReasonCategories
from shared.reference_follower import follow_reference
from shared.service_app import ServiceRuntime, wire_service


def create_app(settings: ReportingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ReportingSettings()

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        keyspace = ActiveKeyspace(runtime.redis, runtime.key_prefix)
        projector = Projector(keyspace, clock or SystemClock(), runtime.registry)
        gauges = MonthGauges(keyspace, clock or SystemClock(), runtime.registry)
        runtime.before_scrape.append(gauges.refresh)
        runtime.before_scrape.append(AuditGauges(keyspace, runtime.registry).refresh)
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, projector
        )
        runtime.state = keyspace
        names = LiveNames(follow_reference(runtime, settings))
        reasons = ReasonCategories.from_file(settings.rating_reasons_file)
        units = UnitMap.from_file(settings.units_file)
        return (
            reports_router(keyspace, settings.minimum_ratings_for_ranking, names, reasons, units,
                           clock or SystemClock(),
                           FeedbackCategories.from_file(settings.feedback_categories_file)),
        )  # fmt: skip

    app = wire_service(
        "reporting",
        settings,
        description="On-time and satisfaction reports, exports and Prometheus metrics.",
        assemble=assemble,
        rebuilt_from_kafka=True,
    )
    install_access(app, ApiKeys.from_toml(settings.api_keys_file.read_text("utf-8")))
    return app
