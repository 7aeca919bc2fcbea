"""Reports over HTTP: JSON, CSV and XLSX; every count can be listed (the drill-down routes).
One module per report family; what they share is in `route_parts.py`."""

from fastapi import APIRouter

from services.reporting.api import (
    digital,
    feedback,
    index,
    page,
    processing,
    satisfaction,
    steps,
    surveys,
)
from services.reporting.api.route_parts import ReportContext
from services.reporting.service.portal_sync_source import PortalSyncSource
from services.reporting.service.queries import Reports
from services.reporting.store.postgres import PostgresKeyspace
from shared.domain.admin_units import UnitMap
from shared.domain.catalogue_names import Names
from shared.domain.clock import Clock
from shared.domain.feedback_categories import FeedbackCategories
from shared.domain.rating_reasons import ReasonCategories
from shared.web.request_context import router_with

FAMILIES = (feedback, processing, steps, satisfaction, surveys, page, digital, index)


def reports_router(
    keyspace: PostgresKeyspace,
    minimum_ratings: int,
    names: Names,
    reasons: ReasonCategories,
    units: UnitMap,
    clock: Clock,
    categories: FeedbackCategories | None = None,
    portal_sync: PortalSyncSource | None = None,
) -> APIRouter:
    """Every report route under /v1/reports, each given the service's reports (`Context`)."""
    context = ReportContext(
        Reports(keyspace, names, reasons, units, clock, portal_sync or PortalSyncSource(None)),
        minimum_ratings,
        categories or FeedbackCategories.from_file(),
    )

    router = router_with(context, prefix="/v1/reports", tags=["reports"])
    for family in FAMILIES:
        router.include_router(family.router)
    return router
