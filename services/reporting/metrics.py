"""The last independent audit's result as gauges (`python -m services.reporting.tools.audit` records
it; read at scrape time). Never audited: differences 0 and last run at 0, so the staleness
alert fires until an audit runs."""

import json

from prometheus_client import CollectorRegistry, Gauge

from services.reporting.store.postgres import PostgresKeyspace


class AuditGauges:
    def __init__(self, keyspace: PostgresKeyspace, registry: CollectorRegistry) -> None:
        self.keyspace = keyspace
        self.differences = Gauge(
            "reporting_audit_differences",
            "Cells where the last audit's figures differ from the service's",
            registry=registry,
        )
        self.cells = Gauge(
            "reporting_audit_cells_compared", "Cells the last audit compared", registry=registry
        )
        self.last_run = Gauge(
            "reporting_audit_last_run_timestamp_seconds",
            "When the last audit finished (Unix time; 0: never)",
            registry=registry,
        )

    async def refresh(self) -> None:
        found = await self.keyspace.store(self.keyspace.base).last_audit()
        result = json.loads(found) if found else {}
        self.differences.set(result.get("differences", 0))
        self.cells.set(result.get("cells", 0))
        self.last_run.set(result.get("finished_at", 0))
