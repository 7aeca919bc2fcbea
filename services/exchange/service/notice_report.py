"""Notifications by agency and period (the dossiers the agency received in it): messages sent
and failed, and the apologies (a delay's letter, a legal duty) that reached the applicant,
that is with at least one message of theirs sent. Every count lists its dossiers."""

from datetime import datetime
from typing import Any

from services.exchange.domain.notices import NOTICE
from services.exchange.store import ExchangeStore

COLUMNS = ("dossiers", "sent", "failed", "apologies", "apologies_reached")
FAILED = ("failed", "dead_lettered")


def _counts(journal: dict[str, dict[str, str]]) -> dict[str, int]:
    messages = [e for e in journal.values() if e["channel"] != NOTICE]
    apologies = {
        k for k, e in journal.items() if e["channel"] == NOTICE and e["template"] == "delayed"
    }
    reached = {e["notice"] for e in messages if e["status"] == "sent"} & apologies
    return {
        "dossiers": 1, "sent": sum(e["status"] == "sent" for e in messages),
        "failed": sum(e["status"] in FAILED for e in messages),
        "apologies": len(apologies), "apologies_reached": len(reached),
    }  # fmt: skip


async def _by_dossier(
    store: ExchangeStore, since: datetime, until: datetime, agency: str | None
) -> dict[str, dict[str, dict[str, int]]]:
    found = await store.received_between(since, until, agency)
    return {
        name: {code: _counts(await store.journal_of(code)) for code in codes}
        for name, codes in found.items()
    }


async def notice_table(
    store: ExchangeStore, since: datetime, until: datetime, agency: str | None
) -> dict[str, Any]:
    rows = []
    for name, dossiers in (await _by_dossier(store, since, until, agency)).items():
        row: dict[str, Any] = {"agency": name}
        row |= {column: sum(c[column] for c in dossiers.values()) for column in COLUMNS}
        row["apologies_reached_share"] = (
            round(row["apologies_reached"] / row["apologies"], 4) if row["apologies"] else None
        )  # never 0% for a period without apologies
        rows.append(row)
    total = {column: sum(row[column] for row in rows) for column in COLUMNS}
    return {"since": since.isoformat(), "until": until.isoformat(), "rows": rows, "total": total}


async def notice_list(
    store: ExchangeStore, since: datetime, until: datetime, agency: str, column: str
) -> list[str]:
    """The dossiers behind one count (those with at least one of it)."""
    dossiers = (await _by_dossier(store, since, until, agency)).get(agency, {})
    return sorted(code for code, counts in dossiers.items() if counts[column] > 0)
