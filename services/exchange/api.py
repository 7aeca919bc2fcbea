"""HTTP: a dossier's sync state with the national portal, for operators (the `admin` scope).
No personal data: the owner is added to a record only when it is sent."""

from typing import Any

from fastapi import APIRouter, HTTPException

from services.exchange.service.portal_sync import PortalSync
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
