"""The share of a period's dossiers whose records all reached the national portal, by the
agency that received them, with the dossiers behind each count: indicator 1.4 of the 766
index (reporting's /v1/reports/index766 scores it from this)."""

from datetime import datetime
from typing import Any

from services.exchange.store import ExchangeStore

SYNCHRONISED, NOT_SYNCHRONISED = "synchronised", "not_synchronised"


async def sync_table(
    store: ExchangeStore, since: datetime, until: datetime, agency: str | None
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for name, codes in (await store.received_between(since, until, agency)).items():
        synced = sum(await store.synchronised(codes))
        rows.append({"agency": name, "received": len(codes), SYNCHRONISED: synced,
                     "share": round(synced / len(codes), 4)})  # fmt: skip
    received = sum(int(row["received"]) for row in rows)
    synced_total = sum(int(row[SYNCHRONISED]) for row in rows)
    total = {"received": received, SYNCHRONISED: synced_total,
             "share": round(synced_total / received, 4) if received else None}  # fmt: skip
    return {"since": since.isoformat(), "until": until.isoformat(), "rows": rows, "total": total}


async def sync_list(
    store: ExchangeStore, since: datetime, until: datetime, agency: str, column: str
) -> list[str]:
    """The dossiers behind one count: `received`, `synchronised` or `not_synchronised`."""
    codes = (await store.received_between(since, until, agency)).get(agency, [])
    if column == "received":
        return codes
    flags = await store.synchronised(codes)
    return [code for code, synced in zip(codes, flags, strict=True)
            if synced == (column == SYNCHRONISED)]  # fmt: skip
