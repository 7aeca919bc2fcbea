"""Indicator 1.4 of the 766 index (dossiers synchronised with the national portal) comes from
the exchange service, which alone knows what the portal acknowledged: its table
(`GET /v1/reports/portal-sync`) is read over HTTP when the index is asked for. An exchange
service that does not answer leaves 1.4 "not measured", with the reason; never 0."""

from datetime import datetime

import httpx

from services.reporting.domain.sync_figures import SyncCounts, SyncFigures


class PortalSyncSource:
    def __init__(self, exchange_url: str | None, timeout_seconds: float = 3.0) -> None:
        self.exchange_url = exchange_url.rstrip("/") if exchange_url else None
        self.timeout = timeout_seconds

    async def figures(self, since: datetime, until: datetime, agency: str | None) -> SyncFigures:
        if self.exchange_url is None:
            return SyncFigures({}, "", "the exchange service's sync table (EXCHANGE_URL unset)")
        url = f"{self.exchange_url}/v1/reports/portal-sync"
        params = {"since": since.isoformat(), "until": until.isoformat()}
        if agency:
            params["agency"] = agency
        source = str(httpx.URL(url, params=params))  # the table, as a link that answers it
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                answer = await client.get(url, params=params)
                answer.raise_for_status()
                rows = answer.json()["rows"]
        except (httpx.HTTPError, KeyError, ValueError) as error:
            reason = f"the exchange service's sync table ({type(error).__name__} at {url})"
            return SyncFigures({}, source, reason)
        counts = {row["agency"]: SyncCounts(int(row["received"]), int(row["synchronised"]))
                  for row in rows}  # fmt: skip
        return SyncFigures(counts, source)
