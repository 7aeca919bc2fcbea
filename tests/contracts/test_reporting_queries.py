"""The processing table and its lists, two implementations of README's "Definitions": the SQL
functions of services/reporting/sql/ (PostgreSQL) and the pure Python of
services/reporting/domain/projections.py (the in-memory twin). Over random lifecycles delivered out
of order and twice (late events, restarts, pauses, refusals, withdrawals), every table of every
grouping and every list behind every cell are equal. And the suite has teeth: a schema whose
one column's SQL is changed is caught."""

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.domain.digital_reports import DIGITAL_COLUMNS
from services.reporting.domain.dossier_facts import FactsUpdate, update_of
from services.reporting.domain.periods import Period
from services.reporting.domain.projections import COUNT_COLUMNS, GROUPINGS, RATING_GROUPINGS
from services.reporting.domain.where import EVERYTHING, DossierFilter
from services.reporting.store import InMemoryReportingStore, postgres
from services.reporting.store.postgres import PostgresReportingStore, connect, migrate
from shared.events import deadline as deadline_events
from shared.events import dossier as dossier_events
from shared.events.deadline import StepOutcome
from shared.events.envelope import Event
from shared.events.survey import RatingAccepted, RatingAcceptedBody
from shared.events.vocabulary import Level, PaymentMethod, RatingChannel, RatingLevel
from tests.support.lifecycles import AGENCIES, history

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

    async def truncate(self) -> None:
        await self.pool.execute(f'TRUNCATE "{self.schema}".dossier, "{self.schema}".rating')

    def close(self) -> None:
        self.run(self.pool.execute(f'DROP SCHEMA "{self.schema}" CASCADE'))
        self.run(self.pool.close())
        self.runner.close()


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[Database]:
    found = Database(postgres_url)
    yield found
    found.close()


def enriched(events: list[Event], seed: int) -> list[Event]:
    """The lives with what the other reports read: the service index's optional facts (some
    recorded, some not), closed interconnected steps, and ratings (a later one replacing an
    earlier one now and then)."""
    rng, out = random.Random(seed), []
    received: dict[str, datetime] = {}
    for event in events:
        match event:
            case dossier_events.DossierReceived(body=body):
                received[body.dossier_code] = event.occurred_at
                flags = {"fully_online": rng.choice([None, True, False]),
                         "papers_digitised": rng.choice([None, True, False])}  # fmt: skip
                event = event.model_copy(update={"body": body.model_copy(update=flags)})
            case dossier_events.PaymentReceived(body=body):
                method = rng.choice([None, *PaymentMethod])
                event = event.model_copy(
                    update={"body": body.model_copy(update={"method": method})}
                )
            case dossier_events.DossierResolved(body=body):
                result = {"electronic_result": rng.choice([None, True, False])}
                event = event.model_copy(update={"body": body.model_copy(update=result)})
                out += steps_closed(body.dossier_code, received[body.dossier_code],
                                    event.occurred_at, rng)  # fmt: skip
                out += ratings(body.dossier_code, event.occurred_at, rng)
        out.append(event)
    return out


def steps_closed(code: str, start: datetime, end: datetime, rng: random.Random) -> list[Event]:
    found: list[Event] = []
    for index in range(rng.choice([0, 0, 1, 2])):
        ended = start + (end - start) * (index + 1) / 2
        outcome = StepOutcome(
            step_index=index, agency_code=rng.choice(AGENCIES), started_at=start,
            due_at=start + timedelta(days=2), ended_at=ended,
            on_time=ended <= start + timedelta(days=2),
            overrun_minutes=0 if ended <= start + timedelta(days=2) else rng.randrange(1, 900),
        )  # fmt: skip
        body = deadline_events.StepClosedBody(
            dossier_code=code, agency_code=AGENCIES[0], step=outcome
        )
        found.append(
            deadline_events.StepClosed(
                event_id=f"{code}/step/{index}",
                occurred_at=ended,
                recorded_at=ended,
                source="test",
                body=body,
            )
        )
    return found


def ratings(code: str, resolved: datetime, rng: random.Random) -> list[Event]:
    found: list[Event] = []
    for n in range(rng.choice([0, 1, 1, 2])):
        at = resolved + timedelta(hours=rng.choice([1, 30, 24 * 20]) + n)
        level = rng.choice(list(RatingLevel))
        reason = rng.choice([None, "waiting_time", "attitude"]) if level == "dissatisfied" else None
        found.append(RatingAccepted(
            event_id=f"{code}/rating/{n}", occurred_at=at, recorded_at=at, source="test",
            body=RatingAcceptedBody(
                dossier_code=code, agency_code=rng.choice(AGENCIES),
                clerk_id=rng.choice([None, "", "clerk-1", "clerk-2"]),
                procedure_code=rng.choice(["1.001", "2.002"]), level=Level.DISTRICT,
                rating=level, channel=RatingChannel.ONLINE, reason_category=reason,
            ),
        ))  # fmt: skip
    return found


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
    found = await processing_differences(sql, python, period, lists)
    for grouping in RATING_GROUPINGS:
        for agency in (None, "STP"):
            ours = await sql.satisfaction_table(period, grouping, agency)
            theirs = await python.satisfaction_table(period, grouping, agency)
            if ours != theirs:
                found.append(f"satisfaction {grouping} {agency}: {ours} != {theirs}")
    for where in (EVERYTHING, ONE_AGENCY_AT_DISTRICT_LEVEL):
        ours_digital = await sql.digital_table(period, where)
        theirs_digital = await python.digital_table(period, where)
        if ours_digital != theirs_digital:
            found.append(f"digital {where}: {ours_digital} != {theirs_digital}")
    if lists:
        rows, _ = await python.digital_table(period)
        for group in ["total", *(row.group for row in rows)]:
            for column in DIGITAL_COLUMNS:
                if await sql.digital_list(period, group, column) != await python.digital_list(
                    period, group, column
                ):
                    found.append(f"digital list {group}/{column}")
    if await sql.held_late_table(period) != await python.held_late_table(period):
        found.append("late held by")
    held, _ = await python.held_late_table(period)
    for group in [None, *(row.group for row in held)]:
        if await sql.held_late_list(period, group) != await python.held_late_list(period, group):
            found.append(f"late held by list {group}")
    stepped = [facts.code for facts in await sql.with_steps_closed(period)]
    if stepped != [facts.code for facts in await python.with_steps_closed(period)]:
        found.append("with steps closed")
    return found


async def processing_differences(sql: Any, python: Any, period: Period, lists: bool) -> list[str]:
    found: list[str] = []
    for grouping in GROUPINGS:
        for where in (EVERYTHING, ONE_AGENCY_AT_DISTRICT_LEVEL):
            ours = await sql.processing_table(period, grouping, where)
            theirs = await python.processing_table(period, grouping, where)
            if ours != theirs:
                found.append(f"table {grouping} {where}: {ours} != {theirs}")
            if not lists or where.agencies:
                continue
            for group in [None, *(row.group for row in theirs[0])]:
                for column in COUNT_COLUMNS:
                    cell = (period, grouping, group, column)
                    expected = await python.processing_list(*cell, limit=None)
                    if await sql.processing_list(*cell, limit=None) != expected:
                        found.append(f"list {grouping}/{group}/{column}")
                    if await sql.processing_count(*cell) != len(expected):
                        found.append(f"count {grouping}/{group}/{column}")
    return found


ONE_AGENCY_AT_DISTRICT_LEVEL = DossierFilter(agencies=frozenset({"STP"}), level="district")

ROLLUP_COUNTS = (
    "new_online", "new_counter", "new_postal", "refused_at_receipt", "resolved_total",
    "resolved_early", "resolved_on_time", "resolved_late", "late_with_apology", "withdrawn",
    "stopped", "pending", "overdue", "paused",
)  # fmt: skip


async def rollup_drift(database: Database) -> list[str]:
    """Where the roll-up, kept batch by batch, differs from the dossiers' contributions summed
    afresh: by day, and each month and year against the sum of its days."""
    schema = f'"{database.schema}"'
    unpivoted = ", ".join(f"('{name}', r.{name})" for name in ROLLUP_COUNTS)
    held = await database.pool.fetch(
        "SELECT r.grain::text, r.bucket, r.agency, r.level, r.field, r.procedure, v.count, "
        f"v.value "
        f"FROM {schema}.rollup r CROSS JOIN LATERAL (VALUES {unpivoted}) AS v(count, value) "
        "WHERE v.value <> 0"
    )
    afresh = await database.pool.fetch(
        "SELECT c.agency, c.level, c.field, c.procedure, c.day, c.count, sum(c.delta) "
        f"FROM {schema}.dossier d CROSS JOIN LATERAL {schema}.changes_of(d, 1) AS c "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )
    column = {"resolved": "resolved_total"}
    by_grain: dict[str, dict[tuple[Any, ...], int]] = {"D": {}, "M": {}, "Y": {}}
    for agency, level, field, procedure, day, count, delta in afresh:
        for grain, bucket in (("D", day), ("M", day.replace(day=1)), ("Y", date(day.year, 1, 1))):
            key = (bucket, agency, level, field, procedure, column.get(count, count))
            by_grain[grain][key] = by_grain[grain].get(key, 0) + delta
    expected = {
        (grain, *key): value
        for grain, sums in by_grain.items()
        for key, value in sums.items()
        if value
    }
    found = {(*row[:6], row[6]): row[7] for row in held}
    return [
        f"{key}: held {found.get(key)}, afresh {expected.get(key)}"
        for key in sorted(set(found) | set(expected), key=str)
        if found.get(key) != expected.get(key)
    ]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 10**6), dossiers=st.integers(1, 40), period=periods, other=periods)
def test_the_sql_and_the_python_definitions_give_the_same_tables_and_lists(
    database: Database, seed: int, dossiers: int, period: Period, other: Period
) -> None:
    events = enriched(history(seed, dossiers), seed)
    batches = delivered(events, seed)
    python = InMemoryReportingStore()
    database.run(database.truncate())
    database.run(fill(database.store, batches))
    database.run(fill(python, batches))
    assert database.run(differences(database.store, python, period)) == []
    assert database.run(differences(database.store, python, other, lists=False)) == []
    assert database.run(rollup_drift(database)) == []


@pytest.mark.parametrize("window", [1, 5, 20, 10_000])
def test_keyset_pages_walk_a_list_once(
    database: Database, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page is looked for among the next `window` codes first, then past them: whatever the
    window, a dense list and a sparse one are walked once, in code order."""
    monkeypatch.setattr(postgres, "PAGE_WINDOW", window)
    events = history(seed=11, dossiers=60)
    database.run(database.truncate())
    database.run(fill(database.store, delivered(events, 11)))
    period = Period(date(2026, 1, 1), date(2026, 6, 30))
    for column in ("received_total", "resolved_late", "pending_overdue"):
        cell = (period, "agency", None, column)
        everything = database.run(database.store.processing_list(*cell, limit=None))
        pages, after = [], None
        while page := database.run(database.store.processing_list(*cell, after=after, limit=7)):
            pages.append(page)
            after = page[-1].code
        assert [facts for page in pages for facts in page] == everything, column
        assert len(everything) > (7 if column == "received_total" else 0), column
        assert all(len(page) == 7 for page in pages[:-1]), column


def test_any_write_to_the_facts_moves_the_roll_up(database: Database) -> None:
    """The projection merges a batch in one statement; an operator's UPDATE, a DELETE or a
    plain INSERT move the roll-up a row at a time: it stays the sum of the contributions."""
    database.run(database.truncate())
    database.run(fill(database.store, delivered(enriched(history(5, 30), 5), 5)))
    table = f'"{database.schema}".dossier'
    codes = database.run(database.pool.fetch(f"SELECT code FROM {table} ORDER BY code"))
    first, second, third = (row[0] for row in codes[:3])
    writes = [
        (f"UPDATE {table} SET facts = facts || '{{\"pause:1767225600.0\": \"p\"}}'::jsonb "
         "WHERE code = $1", first),
        (f"UPDATE {table} SET facts = facts - 'classification' WHERE code = $1", second),
        (f"DELETE FROM {table} WHERE code = $1", third),
        (f"INSERT INTO {table} (code, facts) SELECT 'copy-' || code, facts FROM {table} "
         "WHERE code = $1", first),
    ]  # fmt: skip
    for statement, code in writes:
        database.run(database.pool.execute(statement, code))
        assert database.run(rollup_drift(database)) == [], statement
    assert database.run(database.pool.fetchval(f"SELECT count(*) FROM {table}")) == len(codes)


async def at_once(store: PostgresReportingStore, batches: list[list[FactsUpdate]]) -> None:
    await asyncio.gather(*(store.apply(batch) for batch in batches))


def test_batches_of_one_dossier_applied_at_once_count_it_once(database: Database) -> None:
    """The service applies each topic's batches on its own connection, so two batches of one
    dossier (its receipt from one topic, its due instant from another) are merged at the same
    moment; each must read the other's row as its old contribution, never count it twice."""
    events = enriched(history(23, 120), 23)
    python = InMemoryReportingStore()
    database.run(database.truncate())
    for round_ in range(4):
        halves: list[list[FactsUpdate]] = [[], []]
        rng = random.Random(round_)
        for event in events:
            if (update := update_of(event)) is not None:
                halves[rng.randrange(2)].append(update)

        database.run(at_once(database.store, halves))
        database.run(fill(python, halves))
        assert database.run(rollup_drift(database)) == [], f"round {round_}"
    period = Period(date(2026, 1, 1), date(2026, 6, 30))
    assert database.run(processing_differences(database.store, python, period, False)) == []


def test_a_batch_naming_one_dossier_twice_is_refused_not_retried(database: Database) -> None:
    """A merge inserts what it did not read and runs again when another batch inserted first;
    a batch that names one dossier twice would collide with itself forever, so it is refused."""
    merge = f'SELECT "{database.schema}".merge_dossiers($1::text[], $2::text[]::jsonb[])'
    facts = ['{"agency": "A"}', '{"agency": "B"}']
    with pytest.raises(asyncpg.RaiseError, match="given twice"):
        database.run(database.pool.execute(merge, ["X-1", "X-1"], facts))


# Each forgets that an overdue dossier is overdue even while paused: the first in the
# definitions the lists read (001), the second in the roll-up the tables sum (006).
SABOTAGED_LIST = """CREATE OR REPLACE FUNCTION {schema}.paused(
    d {schema}.dossier, s timestamptz, e timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT {schema}.pending_total(d, s, e) AND d.paused @> e
$$"""
SABOTAGED_TABLE = """CREATE OR REPLACE FUNCTION {schema}.paused_spans(
    received_at timestamptz, ended_at timestamptz, ending text, late_since timestamptz,
    paused tstzmultirange) RETURNS TABLE (since timestamptz, until timestamptz)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT since, until FROM (
        SELECT greatest(received_at, lower(pause)) AS since,
               least(ended_at, upper(pause)) AS until
        FROM unnest(paused) AS pause
        WHERE {schema}.rolled_up(received_at, ended_at, ending)
    ) AS cut WHERE until IS NULL OR since < until
$$"""


@pytest.mark.parametrize(
    ("sabotage", "lists", "caught"),
    [(SABOTAGED_LIST, True, "list "), (SABOTAGED_TABLE, False, "paused=")],
    ids=["a definition the lists read", "the roll-up the tables sum"],
)
def test_a_column_whose_sql_is_changed_is_caught(
    database: Database, postgres_url: str, sabotage: str, lists: bool, caught: str
) -> None:
    sabotaged = Database(postgres_url)
    try:
        sabotaged.run(sabotaged.pool.execute(sabotage.format(schema=f'"{sabotaged.schema}"')))
        found: list[str] = []
        for seed in range(40):  # lives with a pause after the due instant are common
            events = enriched(history(seed, 30), seed)
            python = InMemoryReportingStore()
            sabotaged.run(sabotaged.truncate())
            sabotaged.run(fill(sabotaged.store, delivered(events, seed)))
            sabotaged.run(fill(python, delivered(events, seed)))
            period = Period(date(2026, 1, 1), date(2026, 3, 31))
            found = sabotaged.run(processing_differences(sabotaged.store, python, period, lists))
            if found:
                break
        assert found, "a changed definition went unnoticed"
        assert caught in found[0]
    finally:
        sabotaged.close()
