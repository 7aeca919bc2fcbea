"""Builders of lifecycle events for tests (no personal data; codes are made up)."""

from datetime import datetime
from typing import Any

from shared.events import dossier as dossier_events
from shared.events.vocabulary import (
    Channel,
    Level,
    Outcome,
    ReturnMethod,
    SupplementPolicy,
    TimeUnit,
)

AGENCY = "UBND.Q1"


def _envelope(event_id: str, at: datetime) -> dict[str, Any]:
    return {"event_id": event_id, "occurred_at": at, "recorded_at": at, "source": "test"}


def received(
    code: str,
    at: datetime,
    *,
    amount: int = 3,
    unit: TimeUnit = TimeUnit.WORKING_DAYS,
    policy: SupplementPolicy = SupplementPolicy.RESTART,
    appointment_at: datetime | None = None,
    steps: tuple[dossier_events.ProcessingStep, ...] = (),
    agency: str = AGENCY,
) -> dossier_events.DossierReceived:
    return dossier_events.DossierReceived(
        **_envelope(f"{code}/received", at),
        body=dossier_events.DossierReceivedBody(
            dossier_code=code,
            agency_code=agency,
            procedure_code="1.001",
            procedure_version="2026-01-01",
            level=Level.DISTRICT,
            field="civil_status",
            channel=Channel.COUNTER,
            clerk_id="clerk-7",
            return_method=ReturnMethod.COUNTER,
            time_limit=dossier_events.TimeLimit(amount=amount, unit=unit),
            supplement_policy=policy,
            steps=steps,
            appointment_at=appointment_at or at,
        ),
    )


def supplement_requested(code: str, at: datetime) -> dossier_events.SupplementRequested:
    return dossier_events.SupplementRequested(
        **_envelope(f"{code}/supplement-requested/{at.isoformat()}", at),
        body=dossier_events.ReasonBody(
            dossier_code=code, agency_code=AGENCY, reason="missing form"
        ),
    )


def supplement_received(
    code: str, at: datetime, policy: SupplementPolicy = SupplementPolicy.RESTART
) -> dossier_events.SupplementReceived:
    return dossier_events.SupplementReceived(
        **_envelope(f"{code}/supplement-received/{at.isoformat()}", at),
        body=dossier_events.SupplementReceivedBody(
            dossier_code=code, agency_code=AGENCY, policy=policy
        ),
    )


def delayed(
    code: str, at: datetime, previous: datetime, new: datetime
) -> dossier_events.DossierDelayed:
    return dossier_events.DossierDelayed(
        **_envelope(f"{code}/delayed/{at.isoformat()}", at),
        body=dossier_events.DossierDelayedBody(
            dossier_code=code,
            agency_code=AGENCY,
            reason="site inspection needed",
            previous_appointment_at=previous,
            new_appointment_at=new,
        ),
    )


def resolved(code: str, at: datetime) -> dossier_events.DossierResolved:
    return dossier_events.DossierResolved(
        **_envelope(f"{code}/resolved", at),
        body=dossier_events.DossierResolvedBody(
            dossier_code=code, agency_code=AGENCY, outcome=Outcome.APPROVED
        ),
    )


def withdrawn(code: str, at: datetime) -> dossier_events.DossierWithdrawn:
    return dossier_events.DossierWithdrawn(
        **_envelope(f"{code}/withdrawn", at),
        body=dossier_events.ReasonBody(
            dossier_code=code, agency_code=AGENCY, reason="citizen request"
        ),
    )


def stopped(code: str, at: datetime) -> dossier_events.DossierStopped:
    return dossier_events.DossierStopped(
        **_envelope(f"{code}/stopped", at),
        body=dossier_events.ReasonBody(
            dossier_code=code, agency_code=AGENCY, reason="no legal basis"
        ),
    )


def receipt_refused(code: str, at: datetime) -> dossier_events.DossierReceiptRefused:
    return dossier_events.DossierReceiptRefused(
        **_envelope(f"{code}/refused", at),
        body=dossier_events.ReasonBody(
            dossier_code=code, agency_code=AGENCY, reason="incomplete filing"
        ),
    )


def payment_requested(code: str, at: datetime) -> dossier_events.PaymentRequested:
    return dossier_events.PaymentRequested(
        **_envelope(f"{code}/payment-requested/{at.isoformat()}", at),
        body=dossier_events.PaymentRequestedBody(
            dossier_code=code, agency_code=AGENCY, amount_vnd=50_000, reason="fee"
        ),
    )


def payment_received(code: str, at: datetime) -> dossier_events.PaymentReceived:
    return dossier_events.PaymentReceived(
        **_envelope(f"{code}/payment-received/{at.isoformat()}", at),
        body=dossier_events.PaymentReceivedBody(dossier_code=code, agency_code=AGENCY),
    )


def transferred(
    code: str, at: datetime, to_agency: str, from_agency: str, step_index: int
) -> dossier_events.DossierTransferred:
    return dossier_events.DossierTransferred(
        **_envelope(f"{code}/transferred/{step_index}", at),
        body=dossier_events.DossierTransferredBody(
            dossier_code=code,
            agency_code=to_agency,
            from_agency_code=from_agency,
            step_index=step_index,
        ),
    )


def bundle_steps(*days: int) -> tuple[dossier_events.ProcessingStep, ...]:
    """The birth + residence + insurance bundle's three agencies, with these working days."""
    agencies = ("UBND.P.SG", "CA.P.SG", "BHXH.HCM")
    return tuple(
        dossier_events.ProcessingStep(
            agency_code=agency,
            time_limit=dossier_events.TimeLimit(amount=n, unit=TimeUnit.WORKING_DAYS),
        )
        for agency, n in zip(agencies, days, strict=True)
    )
