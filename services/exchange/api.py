"""HTTP: a dossier's sync state with the national portal, for operators (the `admin` scope).
No personal data: the owner is added to a record only when it is sent."""

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime

from services.exchange.service.notice_report import notice_list, notice_table
from services.exchange.service.notifications import Notifications
from services.exchange.service.portal_sync import PortalSync
from services.exchange.service.sync_report import sync_list, sync_table
from shared.events.envelope import DossierCode
from shared.web.api_keys import Scope
from shared.web.http_access import Authenticated


def sync_router(sync: PortalSync) -> APIRouter:
    router = APIRouter(prefix="/v1/sync", tags=["national portal"])

    @router.get(
        "/{code}",
        summary="The last record sent to the portal, its answer and any error; what waits",
        responses={404: {"description": "No record of this dossier was ever queued"}},
    )
    async def get_sync(code: DossierCode, caller: Authenticated) -> dict[str, Any]:
        caller.require(Scope.ADMIN)
        view = await sync.sync_view(code)
        if view["last"] is None and view["next"] is None:
            raise HTTPException(404, detail=f"no portal record of dossier {code} was queued")
        return view

    return router


def report_router(sync: PortalSync) -> APIRouter:
    """Counts and dossier codes, no personal data: open like reporting's tables."""
    router = APIRouter(prefix="/v1/reports/portal-sync", tags=["national portal"])

    def checked(since: datetime, until: datetime) -> None:
        if until <= since:
            raise HTTPException(422, detail="`until` must be after `since`")

    @router.get("", summary="The share of a period's dossiers synchronised, by agency (1.4)")
    async def table(
        since: AwareDatetime, until: AwareDatetime, agency: str | None = None
    ) -> dict[str, Any]:
        checked(since, until)
        return await sync_table(sync.store, since, until, agency)

    @router.get("/dossiers", summary="The dossiers behind one count of the table")
    async def dossiers(
        since: AwareDatetime,
        until: AwareDatetime,
        agency: str,
        column: Literal["received", "synchronised", "not_synchronised"],
        limit: int = Query(100, ge=1, le=10_000),
        offset: int = Query(0, ge=0),
    ) -> dict[str, Any]:
        checked(since, until)
        codes = await sync_list(sync.store, since, until, agency, column)
        return {"agency": agency, "column": column, "count": len(codes),
                "dossiers": codes[offset : offset + limit]}  # fmt: skip

    return router


def notifications_router(notifications: Notifications) -> APIRouter:
    router = APIRouter(tags=["notifications"])
    store = notifications.store

    @router.get("/v1/reports/notifications", summary="By agency: sent, failed, apologies told")
    async def notice_report(
        since: AwareDatetime, until: AwareDatetime, agency: str | None = None
    ) -> dict[str, Any]:
        if until <= since:
            raise HTTPException(422, detail="`until` must be after `since`")
        return await notice_table(store, since, until, agency)

    @router.get("/v1/reports/notifications/dossiers", summary="The dossiers behind one count")
    async def notice_dossiers(
        since: AwareDatetime,
        until: AwareDatetime,
        agency: str,
        column: Literal["dossiers", "sent", "failed", "apologies", "apologies_reached"],
    ) -> dict[str, Any]:
        codes = await notice_list(store, since, until, agency, column)
        return {"agency": agency, "column": column, "count": len(codes), "dossiers": codes}

    @router.get(
        "/v1/notifications/{code}",
        summary="A dossier's messages: channel, template, status; never their text or address",
    )
    async def get_messages(code: DossierCode, caller: Authenticated) -> dict[str, Any]:
        caller.require(Scope.ADMIN)
        return {"dossier_code": code, "messages": await notifications.messages(code)}

    return router
