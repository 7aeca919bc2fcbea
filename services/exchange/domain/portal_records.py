"""A portal record's idempotency key and the portal's dates (the record itself is the
`portal.records.v1` contract, shared/events/portal.py)."""

from datetime import datetime
from typing import Any

from shared.events.envelope import derived_event_id


def record_key(code: str, call: str, event_id: str) -> str:
    """The same event always yields the same key (and the same content)."""
    return derived_event_id("portal", code, call, event_id)


def portal_time(at: datetime | None, date_format: str, zone: Any) -> str | None:
    return None if at is None else at.astimezone(zone).strftime(date_format)
