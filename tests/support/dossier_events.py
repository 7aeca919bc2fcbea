"""Builders of lifecycle events for tests (no personal data; codes are made up)."""

from datetime import datetime
from typing import Any

from shared.events import dossier as de
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
    steps: tuple[de.ProcessingStep, ...] = (),
    agency: str = AGENCY,
) -> de.DossierReceived:
    return de.DossierReceived(
        **_envelope(f"{code}/received", at),
        body=de.DossierReceivedBody(
            dossier_code=code,
            agency_code=agency,
            procedure_code="1.001",
            procedure_version="2026-01-01",
            level=Level.DISTRICT,
            field="civil_status",
            channel=Channel.COUNTER,
            clerk_id="clerk-7",
            return_method=ReturnMethod.COUNTER,
            time_limit=de.TimeLimit(amount=amount, unit=unit),
            supplement_policy=policy,
            steps=steps,
            appointment_at=appointment_at or at,
        ),
    )


def supplement_requested(code: str, at: datetime) -> de.SupplementRequested:
    return de.SupplementRequested(
        **_envelope(f"{code}/supplement-requested/{at.isoformat()}", at),
        body=de.ReasonBody(dossier_code=code, agency_code=AGENCY, reason="missing form"),
    )


def supplement_received(
    code: str, at: datetime, policy: SupplementPolicy = SupplementPolicy.RESTART
) -> de.SupplementReceived:
    return de.SupplementReceived(
        **_envelope(f"{code}/supplement-received/{at.isoformat()}", at),
        body=de.SupplementReceivedBody(dossier_code=code, agency_code=AGENCY, policy=policy),
    )


def delayed(code: str, at: datetime, previous: datetime, new: datetime) -> de.DossierDelayed:
    return de.DossierDelayed(
        **_envelope(f"{code}/delayed/{at.isoformat()}", at),
        body=de.DossierDelayedBody(
            dossier_code=code,
            agency_code=AGENCY,
            reason="site inspection needed",
            previous_appointment_at=previous,
            new_appointment_at=new,
        ),
    )


def resolved(code: str, at: datetime) -> de.DossierResolved:
    return de.DossierResolved(
        **_envelope(f"{code}/resolved", at),
        body=de.DossierResolvedBody(
            dossier_code=code, agency_code=AGENCY, outcome=Outcome.APPROVED
        ),
    )


def withdrawn(code: str, at: datetime) -> de.DossierWithdrawn:
    return de.DossierWithdrawn(
        **_envelope(f"{code}/withdrawn", at),
        body=de.ReasonBody(dossier_code=code, agency_code=AGENCY, reason="citizen request"),
    )


def stopped(code: str, at: datetime) -> de.DossierStopped:
    return de.DossierStopped(
        **_envelope(f"{code}/stopped", at),
        body=de.ReasonBody(dossier_code=code, agency_code=AGENCY, reason="no legal basis"),
    )


def receipt_refused(code: str, at: datetime) -> de.DossierReceiptRefused:
    return de.DossierReceiptRefused(
        **_envelope(f"{code}/refused", at),
        body=de.ReasonBody(dossier_code=code, agency_code=AGENCY, reason="incomplete filing"),
    )


def payment_requested(code: str, at: datetime) -> de.PaymentRequested:
    return de.PaymentRequested(
        **_envelope(f"{code}/payment-requested/{at.isoformat()}", at),
        body=de.PaymentRequestedBody(
            dossier_code=code, agency_code=AGENCY, amount_vnd=50_000, reason="fee"
        ),
    )


def payment_received(code: str, at: datetime) -> de.PaymentReceived:
    return de.PaymentReceived(
        **_envelope(f"{code}/payment-received/{at.isoformat()}", at),
        body=de.PaymentReceivedBody(dossier_code=code, agency_code=AGENCY),
    )


def transferred(
    code: str, at: datetime, to_agency: str, from_agency: str, step_index: int
) -> de.DossierTransferred:
    return de.DossierTransferred(
        **_envelope(f"{code}/transferred/{step_index}", at),
        body=de.DossierTransferredBody(
            dossier_code=code,
            agency_code=to_agency,
            from_agency_code=from_agency,
            step_index=step_index,
        ),
    )


def bundle_steps(*days: int) -> tuple[de.ProcessingStep, ...]:
    """The birth + residence + insurance bundle's three agencies, with these working days."""
    agencies = ("UBND.P.SG", "CA.P.SG", "BHXH.HCM")
    return tuple(
        de.ProcessingStep(
            agency_code=agency, time_limit=de.TimeLimit(amount=n, unit=TimeUnit.WORKING_DAYS)
        )
        for agency, n in zip(agencies, days, strict=True)
    )
