"""The processing table and its lists, two implementations of README's "Definitions": the SQL
functions of services/reporting/sql/ (PostgreSQL) and the pure Python of
services/reporting/projections.py (the in-memory twin). Over random lifecycles delivered out
of order and twice (late events, restarts, pauses, refusals, withdrawals), every table of every
grouping and every list behind every cell are equal. And the suite has teeth: a schema whose
one column's SQL is changed is caught."""

import asyncio
import random
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.dossier_facts import FactsUpdate, update_of
from services.reporting.periods import Period
from services.reporting.pg_store import PostgresReportingStore, connect, migrate
from services.reporting.projections import COUNT_COLUMNS, GROUPINGS
from services.reporting.store import InMemoryReportingStore
from services.reporting.where import DossierFilter
from shared.events.envelope import Event
from tests.lifecycles import history

pytestmark = pytest.mark.integration

periods = st.builds(
    lambda first, length: Period(first, first + timedelta(days=length)),
    st.dates(min_value=date(2025, 12, 20), max_value=date(2026, 6, 30)),
    st.sampled_from([0, 6, 13, 29, 30, 90, 181]),
)


class Database:
    """One event loop, one pool and one fresh schema for the module's examples."""

    def __init__(self, url: str) -> None:
        self.runner = asyncio.Runner()
        self.schema = f"contract-{uuid.uuid4().hex[:10]}"
        self.pool: asyncpg.Pool[Any] = self.run(connect(url, max_size=2))
        self.run(migrate(self.pool, self.schema))
        self.store = PostgresReportingStore(self.pool, self.schema)

    def run(self, work: Any) -> Any:
        return self.runner.run(work)

    def close(self) -> None:
        self.run(self.pool.execute(f'DROP SCHEMA "{self.schema}" CASCADE'))
        self.run(self.pool.close())
        self.runner.close()


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[Database]:
    found = Database(postgres_url)
    yield found
    found.close()


def delivered(events: list[Event], seed: int) -> list[list[FactsUpdate]]:
    """The events shuffled, a third of them twice, in batches of 1 to 40."""
    rng = random.Random(seed)
    again = events + rng.sample(events, len(events) // 3)
    rng.shuffle(again)
    updates = [update for event in again if (update := update_of(event)) is not None]
    batches, first = [], 0
    while first < len(updates):
        size = rng.randint(1, 40)
        batches.append(updates[first : first + size])
        first += size
    return batches


async def fill(store: Any, batches: list[list[FactsUpdate]]) -> None:
    for batch in batches:
        await store.apply(batch)


async def differences(sql: Any, python: Any, period: Period, lists: bool = True) -> list[str]:
    """Every table, grouping and (with `lists`) cell list where the two answers differ."""
    found: list[str] = []
    for grouping in GROUPINGS:
        for where in (
            DossierFilter(),
            DossierFilter(agencies=frozenset({"STP"}), level="district"),
        ):
            ours, theirs = (
                await sql.processing_table(period, grouping, where),
                await python.processing_table(period, grouping, where),
            )
            if [asdict(r) for r in ours[0]] != [asdict(r) for r in theirs[0]] or ours[1] != theirs[
                1
            ]:
                found.append(f"table {grouping} {where}: {ours} != {theirs}")
            if not lists or where.agencies:
                continue
            for group in [None, *(row.group for row in theirs[0])]:
                for column in COUNT_COLUMNS:
                    listed = await sql.processing_list(period, grouping, group, column, limit=None)
                    expected = await python.processing_list(
                        period, grouping, group, column, limit=None
                    )
                    if listed != expected:
                        found.append(f"list {grouping}/{group}/{column}")
                    count = await sql.processing_count(period, grouping, group, column)
                    if count != len(expected):
                        found.append(
                            f"count {grouping}/{group}/{column}: {count} != {len(expected)}"
                        )
    return found


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 10**6), dossiers=st.integers(1, 40), period=periods, other=periods)
def test_the_sql_and_the_python_definitions_give_the_same_tables_and_lists(
    database: Database, seed: int, dossiers: int, period: Period, other: Period
) -> None:
    events = history(seed, dossiers)
    batches = delivered(events, seed)
    python = InMemoryReportingStore()
    database.run(database.pool.execute(f'TRUNCATE "{database.schema}".dossier'))
    database.run(fill(database.store, batches))
    database.run(fill(python, batches))
    assert database.run(differences(database.store, python, period)) == []
    assert database.run(differences(database.store, python, other, lists=False)) == []


def test_keyset_pages_walk_a_list_once(database: Database) -> None:
    events = history(seed=11, dossiers=60)
    database.run(database.pool.execute(f'TRUNCATE "{database.schema}".dossier'))
    database.run(fill(database.store, delivered(events, 11)))
    period = Period(date(2026, 1, 1), date(2026, 6, 30))
    everything = database.run(
        database.store.processing_list(period, "agency", None, "received_total", limit=None)
    )
    pages, after = [], None
    while page := database.run(
        database.store.processing_list(
            period, "agency", None, "received_total", after=after, limit=7
        )
    ):
        pages.append(page)
        after = page[-1].code
    assert [facts for page in pages for facts in page] == everything
    assert len(everything) > 7


SABOTAGE = """CREATE OR REPLACE FUNCTION {schema}.paused(
    d {schema}.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT {schema}.pending_total(d, s, e) AND d.paused @> e
$$"""  # forgets that an overdue dossier is overdue even while paused


def test_a_column_whose_sql_is_changed_is_caught(database: Database, postgres_url: str) -> None:
    sabotaged = Database(postgres_url)
    try:
        sabotaged.run(sabotaged.pool.execute(SABOTAGE.format(schema=f'"{sabotaged.schema}"')))
        found: list[str] = []
        for seed in range(40):  # lives with a pause after the due instant are common
            events = history(seed, 30)
            python = InMemoryReportingStore()
            sabotaged.run(sabotaged.pool.execute(f'TRUNCATE "{sabotaged.schema}".dossier'))
            sabotaged.run(fill(sabotaged.store, delivered(events, seed)))
            sabotaged.run(fill(python, delivered(events, seed)))
            period = Period(date(2026, 1, 1), date(2026, 3, 31))
            found = sabotaged.run(differences(sabotaged.store, python, period, lists=False))
            if found:
                break
        assert found, "a changed definition went unnoticed"
        assert "paused=" in found[0]
    finally:
        sabotaged.close()
