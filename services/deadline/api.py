"""HTTP: a dossier's deadline, for frontends and citizens (no personal data here)."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from services.deadline.domain.tracking import state_of
from services.deadline.service.tracker import DeadlineTracker
from shared.events.envelope import DossierCode
from shared.events.vocabulary import Classification


class DeadlineView(BaseModel):
    code: str
    agency_code: str
    due_at: datetime
    appointment_at: datetime
    late_due_at: datetime | None = Field(
        description="The due instant it passed while running, if it did: it stays late"
    )
    state: Literal["within", "due_soon", "overdue", "paused", "resolved"]
    classification: Classification | None
    paused: bool
    apology_sent: bool
    step_index: int
    step_due_at: datetime | None
    ended: str | None


def deadline_router(tracker: DeadlineTracker) -> APIRouter:
    router = APIRouter(prefix="/v1/deadlines", tags=["deadlines"])

    @router.get(
        "/{code}",
        response_model=DeadlineView,
        responses={404: {"description": "No dossier with this code is tracked"}},
    )
    async def get_deadline(code: DossierCode) -> DeadlineView:
        dossier = await tracker.store.load(code)
        if dossier is None:
            raise HTTPException(404, detail=f"no dossier {code} is tracked by the deadline service")
        state = state_of(dossier, tracker.clock.now(), tracker.calendar, tracker.config.windows)
        return DeadlineView(
            code=dossier.code,
            agency_code=dossier.agency_code,
            due_at=dossier.due_at,
            appointment_at=dossier.appointment_at,
            late_due_at=dossier.clock.late_due_at,
            state=state,
            classification=dossier.classification,
            paused=dossier.paused,
            apology_sent=dossier.apology_sent,
            step_index=dossier.step_index,
            step_due_at=dossier.step_due_at,
            ended=dossier.ended,
        )

    return router
