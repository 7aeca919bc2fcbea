"""Reporting's read model: the Protocol and its in-memory twin (the PostgreSQL store is
services/reporting/store/postgres.py).

Every update is a merge that gives the same result in any order and any number of times (set a
field keyed by what set it; keep the earliest closing; keep the latest rating), so redelivery,
late events and several instances leave exactly the facts one pass in order would. The twin
answers the report queries with the pure definitions (projections.py); the contract suites
(tests/contracts/test_reporting_store.py, test_reporting_queries.py) hold the two stores to
the same answers.

The PostgreSQL store is `services.reporting.store.postgres` (its migrations in
services/reporting/sql/)."""

from services.reporting.store.memory import FixedKeyspace, InMemoryReportingStore
from services.reporting.store.protocol import OPEN, PREFIX, Keyspace, ReportingStore

__all__ = [
    "OPEN",
    "PREFIX",
    "FixedKeyspace",
    "InMemoryReportingStore",
    "Keyspace",
    "ReportingStore",
]
