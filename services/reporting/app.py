"""Wiring only: the reporting service's parts, built from its settings."""

import uuid
from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from services.reporting import handlers
from services.reporting.api import reports_router
from services.reporting.metrics import AuditGauges
from services.reporting.service.month_gauges import MonthGauges
from services.reporting.service.portal_sync_source import PortalSyncSource
from services.reporting.service.projector import Projector
from services.reporting.settings import ReportingSettings
from services.reporting.store.postgres import PostgresKeyspace, PostgresMarker, pool_for
from shared.domain.admin_units import UnitMap
from shared.domain.catalogue_names import LiveNames
from shared.domain.clock import Clock, SystemClock
from shared.domain.feedback_categories import FeedbackCategories
from shared.domain.rating_reasons import ReasonCategories
from shared.runtime.reference import follow_reference
from shared.runtime.service_app import ServiceRuntime, wire_service
from shared.runtime.state_guard import StateGuard
from shared.web.api_keys import ApiKeys
from shared.web.http_access import install_access


def create_app(settings: ReportingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or ReportingSettings()

    def assemble(runtime: ServiceRuntime) -> Sequence[APIRouter]:
        size = settings.database_pool_size
        pool = pool_for(settings.database(), max_size=size)
        keyspace = PostgresKeyspace(pool, settings.read_model_schema)
        reads = keyspace
        if settings.read_database_url is not None:  # report queries on a replica
            reads = PostgresKeyspace(pool_for(settings.database(read=True), max_size=size),
                                     settings.read_model_schema)  # fmt: skip
        runtime.startup.append(lambda: _open(keyspace, reads))
        runtime.shutdown.append(lambda: _close(keyspace, reads))
        runtime.checks["postgres"] = lambda: pool.fetchval("SELECT 1")
        projector = Projector(keyspace, clock or SystemClock(), runtime.registry)
        gauges = MonthGauges(reads, clock or SystemClock(), runtime.registry)
        runtime.before_scrape.append(gauges.refresh)
        runtime.before_scrape.append(AuditGauges(reads, runtime.registry).refresh)
        runtime.subscribers = handlers.register_handlers(
            runtime.broker, runtime.consumer_group, projector
        )
        marker = PostgresMarker(keyspace, f"{settings.instance_id}-{uuid.uuid4().hex[:8]}")
        runtime.background.append(StateGuard(marker, runtime.subscribers, settings.replay_from).run)
        runtime.state = keyspace
        names = LiveNames(follow_reference(runtime, settings))
        reasons = ReasonCategories.from_file(settings.rating_reasons_file)
        units = UnitMap.from_file(settings.units_file)
        return (
            reports_router(reads, settings.minimum_ratings_for_ranking, names, reasons, units,
                           clock or SystemClock(),
                           FeedbackCategories.from_file(settings.feedback_categories_file),
                           PortalSyncSource(settings.exchange_url)),
        )  # fmt: skip

    app = wire_service(
        "reporting",
        settings,
        description="On-time and satisfaction reports, exports and Prometheus metrics.",
        assemble=assemble,
        uses_redis=False,  # the read model is in PostgreSQL
    )
    install_access(app, ApiKeys.from_toml(settings.api_keys_file.read_text("utf-8")))
    return app


async def _open(keyspace: PostgresKeyspace, reads: PostgresKeyspace) -> None:
    """The pools, and the live schema migrated, before the consumers start."""
    for pool in {id(k.pool): k.pool for k in (keyspace, reads)}.values():
        await pool
    await keyspace.prepare()


async def _close(keyspace: PostgresKeyspace, reads: PostgresKeyspace) -> None:
    for pool in {id(k.pool): k.pool for k in (keyspace, reads)}.values():
        await pool.close()
