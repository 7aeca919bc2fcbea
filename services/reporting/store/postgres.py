"""Reporting's read model in PostgreSQL (asyncpg): the facts each event sets, merged in one
transaction per batch, and the reports as queries (`sql/*.sql` holds the schema and the
definitions, one SQL function per count column).

A keyspace is a PostgreSQL schema: the live one is named in `reporting_keyspace` (one row per
base name); a rebuild fills a fresh schema and switches that row to it. Each schema's
migrations (`sql/NNN_*.sql`, in order) are applied once, under an advisory lock, and recorded
in its `schema_migrations`.

Every write is an order-free merge, so redelivery, late events and several instances give the
facts one pass in order would: `facts || new facts` (keys say what set them), the earliest
ending wins (derived from the facts), the latest rating wins; a batch's rows are locked in
code order, so two instances never deadlock."""

import json
import re
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from services.reporting.domain.buckets import Buckets, days_before, days_in
from services.reporting.domain.digital_reports import DIGITAL_COLUMNS, DigitalRow
from services.reporting.domain.dossier_facts import (
    DossierFacts,
    FactsUpdate,
    FeedbackFacts,
    RatingFacts,
    SurveyFacts,
    facts_from,
    feedback_from,
    rating_from,
)
from services.reporting.domain.periods import Period
from services.reporting.domain.projections import (
    COUNT_COLUMNS,
    GROUPINGS,
    RATING_COLUMNS,
    RATING_GROUPINGS,
    ProcessingRow,
    SatisfactionRow,
)
from services.reporting.domain.step_reports import HeldLateRow
from services.reporting.domain.where import EVERYTHING, DossierFilter
from shared.domain.rating_reasons import OTHER
from shared.events.vocabulary import RatingLevel

MIGRATIONS = Path(__file__).resolve().parents[1] / "sql"
MIGRATION_SECONDS = 3600
PARALLEL_SETUP_COST = "50000"  # the planner's estimate of starting workers (default 1000)
_SCHEMA_NAME = re.compile(r"^[a-z0-9_-]{1,60}$")
_KEYSPACES = """CREATE TABLE IF NOT EXISTS public.reporting_keyspace (
    base text PRIMARY KEY, active text NOT NULL)"""
_AUDITS = """CREATE TABLE IF NOT EXISTS public.reporting_audit (
    base text PRIMARY KEY, result text NOT NULL)"""

# Codes a drill-down page is looked for among before the cell's own plan (_page_by_window).
PAGE_WINDOW = 10_000


def quoted(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"not a keyspace name: {schema!r} (lower-case letters, digits, - and _)")
    return f'"{schema}"'


def migrations() -> list[tuple[int, str]]:
    """The versioned migrations, in order: (version, SQL with `@schema@` to fill in)."""
    found = sorted(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql"))
    return [(int(path.name[:3]), path.read_text("utf-8")) for path in found]


async def migrate(pool: "asyncpg.Pool[Any]", schema: str) -> None:
    """Creates the schema if needed and applies its missing migrations, each in a transaction,
    under an advisory lock (several instances starting at once apply each once)."""
    name = quoted(schema)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", schema)
        await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {name}")
        await connection.execute(
            f"CREATE TABLE IF NOT EXISTS {name}.schema_migrations ("
            "version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            row[0]
            for row in await connection.fetch(f"SELECT version FROM {name}.schema_migrations")
        }
        for version, sql in migrations():
            if version not in done:
                # a migration may rewrite a large table: bounded by its own limit, not a query's
                await connection.execute(sql.replace("@schema@", name), timeout=MIGRATION_SECONDS)
                await connection.execute(
                    f"INSERT INTO {name}.schema_migrations (version) VALUES ($1)", version
                )


def _merged(updates: Sequence[FactsUpdate]) -> dict[str, dict[str, str]]:
    """A batch's facts per code, in batch order (one row is written once per statement)."""
    merged: dict[str, dict[str, str]] = {}
    for update in updates:
        if update.fields:
            merged.setdefault(update.code, {}).update(update.fields)
    return dict(sorted(merged.items()))


def _column_check(column: str) -> str:
    if column not in COUNT_COLUMNS:
        raise ValueError(f"unknown column {column!r}")
    return column


# the roll-up's flow columns, summed over a period's days (sql/006_rollup.sql)
_FLOWS = (
    "new_online", "new_counter", "new_postal", "refused_at_receipt", "resolved_total",
    "resolved_early", "resolved_on_time", "resolved_late", "late_with_apology", "withdrawn",
    "stopped",
)  # fmt: skip


def _buckets_condition(runs: list[Buckets], args: list[Any]) -> str:
    """The roll-up rows of these buckets, as a condition (its bounds appended to `args`)."""
    parts = []
    for run in runs:
        args += [run.first, run.end]
        parts.append(
            f"(r.grain = '{run.grain}' AND r.bucket >= ${len(args) - 1} "
            f"AND r.bucket < ${len(args)})"
        )
    return f"({' OR '.join(parts)})" if parts else "false"


def _processing_row(sums: Any) -> ProcessingRow:
    """A group's row from the roll-up's sums: the rest follows from README's Definitions
    (received = carried over + new, new = online + counter + postal, pending = overdue +
    paused + within)."""
    counts: dict[str, Any] = {name: int(sums[name] or 0) for name in _FLOWS}
    carried_over = int(sums["carried_over"] or 0)
    pending, overdue, paused = (
        int(sums[name] or 0) for name in ("pending_total", "pending_overdue", "paused")
    )
    new_total = counts["new_online"] + counts["new_counter"] + counts["new_postal"]
    return ProcessingRow(
        str(sums["grp"]),
        **counts,
        carried_over=carried_over,
        new_total=new_total,
        received_total=carried_over + new_total,
        pending_total=pending,
        pending_overdue=overdue,
        paused=paused,
        pending_within=pending - overdue - paused,
    )


def _grouping_check(grouping: str) -> str:
    if grouping not in GROUPINGS:
        raise ValueError(f"unknown grouping {grouping!r}")
    return grouping


class PostgresReportingStore:
    def __init__(self, pool: "asyncpg.Pool[Any]", schema: str, base: str | None = None) -> None:
        self.pool = pool
        self.schema = schema
        self.base = base or schema
        self.name = quoted(schema)

    # Writes ---------------------------------------------------------------------------------

    async def apply(self, updates: Sequence[FactsUpdate]) -> None:
        """A batch of updates in one transaction: dossiers' and feedback's facts merged, the
        latest rating of each dossier kept, each survey once."""
        dossiers = _merged([u for u in updates if not u.feedback])
        feedback = _merged([u for u in updates if u.feedback])
        answered: dict[str, datetime] = {}
        for update in updates:
            if update.feedback and update.closed_at is not None:
                known = answered.get(update.code)
                answered[update.code] = min(known, update.closed_at) if known else update.closed_at
        ratings: dict[str, tuple[datetime, dict[str, str]]] = {}
        for update in updates:
            if update.rating is not None and update.rated_at is not None:
                current = ratings.get(update.code)
                if current is None or current[0] <= update.rated_at:
                    ratings[update.code] = (update.rated_at, update.rating)
        surveys = {u.survey.survey_id: u.survey for u in updates if u.survey is not None}
        async with self.pool.acquire() as connection, connection.transaction():
            if dossiers:
                # the facts merged and the roll-up moved with them, in one statement
                await connection.execute(
                    f"SELECT {self.name}.merge_dossiers($1::text[], $2::text[]::jsonb[])",
                    list(dossiers),
                    [json.dumps(f, ensure_ascii=False) for f in dossiers.values()],
                )
            if feedback:
                codes = list(feedback)
                await connection.execute(
                    f"INSERT INTO {self.name}.feedback AS f (code, facts, closed_at) "
                    "SELECT * FROM unnest($1::text[], $2::text[]::jsonb[], $3::timestamptz[]) "
                    "ON CONFLICT (code) DO UPDATE SET facts = f.facts || excluded.facts, "
                    "closed_at = least(f.closed_at, excluded.closed_at)",
                    codes,
                    [json.dumps(feedback[c], ensure_ascii=False) for c in codes],
                    [answered.get(c) for c in codes],
                )
            if ratings:
                codes = sorted(ratings)
                await connection.execute(
                    f"INSERT INTO {self.name}.rating AS r (code, rated_at, facts) "
                    "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[]::jsonb[]) "
                    "ON CONFLICT (code) DO UPDATE SET rated_at = excluded.rated_at, "
                    "facts = excluded.facts WHERE r.rated_at <= excluded.rated_at",
                    codes,
                    [ratings[c][0] for c in codes],
                    [json.dumps(ratings[c][1], ensure_ascii=False) for c in codes],
                )
            if surveys:
                ids = sorted(surveys)
                await connection.execute(
                    f"INSERT INTO {self.name}.survey (survey_id, answered_at, facts) "
                    "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[]::jsonb[]) "
                    "ON CONFLICT (survey_id) DO NOTHING",
                    ids,
                    [surveys[i].answered_at for i in ids],
                    [surveys[i].model_dump_json() for i in ids],
                )

    # Facts, for the reports not yet written as queries ----------------------------------------

    async def dossiers_relevant_to(self, start: datetime) -> list[DossierFacts]:
        rows = await self.pool.fetch(
            f"SELECT code, facts::text FROM {self.name}.dossier WHERE received_at IS NOT NULL "
            "AND (ended_at IS NULL OR ended_at >= $1) ORDER BY code",
            start,
        )
        return [facts for row in rows if (facts := facts_from(row[0], json.loads(row[1])))]

    async def ratings_between(self, start: datetime, end: datetime) -> list[RatingFacts]:
        rows = await self.pool.fetch(
            f"SELECT code, facts::text FROM {self.name}.rating "
            "WHERE rated_at >= $1 AND rated_at < $2 ORDER BY code",
            start,
            end,
        )
        return [rating_from(row[0], json.loads(row[1])) for row in rows]

    async def surveys_between(self, start: datetime, end: datetime) -> list[SurveyFacts]:
        rows = await self.pool.fetch(
            f"SELECT facts::text FROM {self.name}.survey "
            "WHERE answered_at >= $1 AND answered_at < $2 ORDER BY survey_id",
            start,
            end,
        )
        return [SurveyFacts.model_validate_json(row[0]) for row in rows]

    async def feedback_relevant_to(self, start: datetime) -> list[FeedbackFacts]:
        rows = await self.pool.fetch(
            f"SELECT code, facts::text FROM {self.name}.feedback "
            "WHERE closed_at IS NULL OR closed_at >= $1 ORDER BY code",
            start,
        )
        return [facts for row in rows if (facts := feedback_from(row[0], json.loads(row[1])))]

    # The processing table and its lists, as queries ------------------------------------------

    def _where(self, period: Period, where: DossierFilter) -> tuple[str, list[Any]]:
        """The dossiers a period's table reads (their life meets the period), filtered."""
        clauses = ["d.life && tstzrange($1, $2, '[)')"]
        args: list[Any] = [period.start, period.end]
        if where.agencies is not None:
            args.append(sorted(where.agencies))
            clauses.append(f"d.agency = ANY(${len(args)}::text[])")
        if where.level is not None:
            args.append(where.level)
            clauses.append(f"d.level = ${len(args)}")
        return " AND ".join(clauses), args

    async def processing_table(
        self, period: Period, grouping: str, where: DossierFilter = EVERYTHING
    ) -> tuple[list[ProcessingRow], ProcessingRow]:
        """One row per group with any count, and the total (rates computed): the roll-up's
        sums, and the rare dossiers it leaves out (ended before their receipt) counted by
        the definitions."""
        rows: dict[str, ProcessingRow] = {}
        for row in await self._rolled_up(period, grouping, where):
            rows[row.group] = row
        for odd in await self._ended_before_receipt(period, grouping, where):
            rows.setdefault(odd.group, ProcessingRow(odd.group)).add(odd)
        counted = sorted(rows.items())
        shown = [row for _, row in counted if row.received_total or row.refused_at_receipt]
        total = ProcessingRow("total")
        for row in shown:
            total.add(row)
        return [row.finish() for row in shown], total.finish()

    async def _rolled_up(
        self, period: Period, grouping: str, where: DossierFilter, group: str | None = None
    ) -> list[ProcessingRow]:
        """The roll-up's buckets summed: flows over the period's days, stocks over every day
        before its start (carried over) and before its end (pending)."""
        column = _grouping_check(grouping)
        args: list[Any] = []
        flows = _buckets_condition(days_in(period.first_day, period.last_day), args)
        at_start = _buckets_condition(days_before(period.first_day), args)
        at_end = _buckets_condition(days_before(period.last_day + timedelta(days=1)), args)
        filters = ""
        if where.agencies is not None:
            args.append(sorted(where.agencies))
            filters += f" AND r.agency = ANY(${len(args)}::text[])"
        if where.level is not None:
            args.append(where.level)
            filters += f" AND r.level = ${len(args)}"
        if group is not None:
            args.append(group)
            filters += f" AND r.{column} = ${len(args)}"
        sums = ", ".join(f"sum(r.{name}) FILTER (WHERE {flows}) AS {name}" for name in _FLOWS)
        found = await self.pool.fetch(
            f"SELECT nullif(r.{column}, '') AS grp, {sums}, "
            f"sum(r.pending) FILTER (WHERE {at_start}) AS carried_over, "
            f"sum(r.pending) FILTER (WHERE {at_end}) AS pending_total, "
            f"sum(r.overdue) FILTER (WHERE {at_end}) AS pending_overdue, "
            f"sum(r.paused) FILTER (WHERE {at_end}) AS paused "
            f"FROM {self.name}.rollup r WHERE ({flows} OR {at_start} OR {at_end}){filters} "
            "GROUP BY 1",
            *args,
        )
        return [_processing_row(row) for row in found]

    async def _ended_before_receipt(
        self, period: Period, grouping: str, where: DossierFilter, group: str | None = None
    ) -> list[ProcessingRow]:
        """The dossiers the roll-up leaves out, counted by the definitions (001)."""
        column = _grouping_check(grouping)
        condition, args = self._where(period, where)
        if group is not None:
            args.append(group)
            condition += f" AND d.{column} = ${len(args)}"
        counts = ", ".join(
            f"count(*) FILTER (WHERE {self.name}.{name}(d, $1, $2)) AS {name}"
            for name in COUNT_COLUMNS
        )
        found = await self.pool.fetch(
            f"SELECT d.{column} AS grp, {counts} FROM {self.name}.dossier d WHERE {condition} "
            "AND d.ended_at < d.received_at AND d.ending <> 'refused_at_receipt' "
            f"GROUP BY d.{column}",
            *args,
        )
        return [
            ProcessingRow(str(row["grp"]), **{n: row[n] for n in COUNT_COLUMNS}) for row in found
        ]

    def _cell(
        self, period: Period, grouping: str, group: str | None, column: str, where: DossierFilter
    ) -> tuple[str, list[Any]]:
        condition, args = self._where(period, where)
        condition += f" AND {self.name}.{_column_check(column)}(d, $1, $2)"
        if group is not None:
            args.append(group)
            condition += f" AND d.{_grouping_check(grouping)} = ${len(args)}"
        return condition, args

    async def processing_count(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = EVERYTHING,
    ) -> int:  # fmt: skip
        """The count of one cell: the table's, read from the roll-up for that group alone
        (the contract suite holds every list to its count)."""
        _column_check(column)
        rows = await self._rolled_up(period, grouping, where, group)
        rows.extend(await self._ended_before_receipt(period, grouping, where, group))
        return sum(int(getattr(row, column)) for row in rows)

    async def processing_list(
        self, period: Period, grouping: str, group: str | None, column: str,
        where: DossierFilter = EVERYTHING, after: str | None = None, limit: int | None = 100,
        offset: int = 0,
    ) -> list[DossierFacts]:  # fmt: skip
        """The dossiers behind one cell, by code: the page after the code `after`."""
        condition, args = self._cell(period, grouping, group, column, where)
        if limit is not None and not offset:
            rows = await self._page_by_window(condition, args, after or "", limit)
        else:
            rows = await self._listed(condition, args, after, limit, offset)
        return [facts for row in rows if (facts := facts_from(row[0], json.loads(row[1])))]

    async def _listed(
        self, condition: str, args: list[Any], after: str | None, limit: int | None,
        offset: int = 0, upto: str | None = None,
    ) -> list[asyncpg.Record]:  # fmt: skip
        """The cell's rows by code, after `after` (and up to `upto`), a page's worth."""
        args = list(args)
        for bound, operator in ((after, ">"), (upto, "<=")):
            if bound is not None:
                args.append(bound)
                condition += f" AND d.code {operator} ${len(args)}"
        paging = ""
        if limit is not None:
            args.append(limit)
            paging = f" LIMIT ${len(args)}"
        if offset:
            args.append(offset)
            paging += f" OFFSET ${len(args)}"
        return await self.pool.fetch(
            f"SELECT code, facts::text FROM {self.name}.dossier d WHERE {condition} "
            f"ORDER BY code{paging}",
            *args,
        )

    async def _page_by_window(
        self, condition: str, args: list[Any], after: str, limit: int
    ) -> list[asyncpg.Record]:
        """A keyset page, looked for first among the next PAGE_WINDOW codes, then past them.

        The planner multiplies the definitions' conditions as if independent and expects a
        few dozen of a month's dossiers in a cell where tens of thousands are: it then reads
        the whole month by the `life` index and sorts it for a page of 100 (70-120 ms at a
        province's year). A window of the key bounds that read: a dense cell fills its page
        there, and a sparse one (fewer than a page in the window) asks past the window as
        before."""
        bounds = await self.pool.fetchrow(
            f"SELECT (SELECT code FROM {self.name}.dossier WHERE code > $1 ORDER BY code "
            f"OFFSET {PAGE_WINDOW - 1} LIMIT 1) AS edge, "
            f"(SELECT max(code) FROM {self.name}.dossier) AS last",
            after,
        )
        edge, last = (bounds["edge"], bounds["last"]) if bounds else (None, None)
        found = await self._listed(condition, args, after, limit, upto=edge or last)
        if len(found) < limit and edge is not None:
            found += await self._listed(condition, args, edge, limit - len(found))
        return found

    async def agencies(self) -> list[str]:
        """Every receiving agency held, by a skip scan of the (agency, code) index."""
        rows = await self.pool.fetch(
            f"WITH RECURSIVE a(agency) AS ((SELECT agency FROM {self.name}.dossier "
            "WHERE agency IS NOT NULL ORDER BY agency LIMIT 1) "
            f"UNION ALL SELECT (SELECT d.agency FROM {self.name}.dossier d "
            "WHERE d.agency > a.agency ORDER BY d.agency LIMIT 1) FROM a "
            "WHERE a.agency IS NOT NULL) SELECT agency FROM a WHERE agency IS NOT NULL"
        )
        return [row[0] for row in rows]

    # Satisfaction, digital, steps ------------------------------------------------------------

    async def satisfaction_table(
        self, period: Period, grouping: str, agency: str | None = None
    ) -> tuple[list[SatisfactionRow], SatisfactionRow]:
        """Each group's ratings in the period by level, and the dissatisfied by reason."""
        if grouping not in RATING_GROUPINGS:
            raise ValueError(f"unknown grouping {grouping!r}")
        group = f"coalesce(nullif(r.facts ->> '{grouping}', ''), '-')"
        condition = "r.rated_at >= $1 AND r.rated_at < $2"
        args: list[Any] = [period.start, period.end]
        if agency is not None:
            condition += " AND r.facts ->> 'agency' = $3"
            args.append(agency)
        levels = ", ".join(
            f"count(*) FILTER (WHERE r.facts ->> 'rating' = '{level.value}') AS {level.value}"
            for level in RatingLevel
        )
        found = await self.pool.fetch(
            f"SELECT {group} AS grp, count(*) AS ratings_total, {levels} "
            f"FROM {self.name}.rating r WHERE {condition} GROUP BY 1 "
            f'ORDER BY {group} COLLATE "C"',
            *args,
        )
        reasons = await self.pool.fetch(
            f"SELECT {group} AS grp, coalesce(nullif(r.facts ->> 'reason_category', ''), "
            f"'{OTHER}') AS reason, count(*) AS n FROM {self.name}.rating r WHERE {condition} "
            "AND r.facts ->> 'rating' = 'dissatisfied' GROUP BY 1, 2 ORDER BY 1, 2",
            *args,
        )
        rows = {
            row["grp"]: SatisfactionRow(
                row["grp"], ratings_total=row["ratings_total"],
                **{level.value: row[level.value] for level in RatingLevel},
            )
            for row in found
        }  # fmt: skip
        total = SatisfactionRow("total")
        for row in rows.values():
            for name in RATING_COLUMNS:
                setattr(total, name, getattr(total, name) + getattr(row, name))
        for reason in reasons:
            rows[reason["grp"]].dissatisfied_by_reason[reason["reason"]] = reason["n"]
            by_reason = total.dissatisfied_by_reason
            by_reason[reason["reason"]] = by_reason.get(reason["reason"], 0) + reason["n"]
        return [row.finish() for row in rows.values()], total.finish()

    async def digital_table(
        self, period: Period, where: DossierFilter = EVERYTHING
    ) -> tuple[list[DigitalRow], DigitalRow]:
        condition, args = self._where(period, where)
        counts = ", ".join(
            f"count(*) FILTER (WHERE {self.name}.{name}(d, $1, $2)) AS {name}"
            for name in DIGITAL_COLUMNS
        )
        anything = " OR ".join(f"{self.name}.{name}(d, $1, $2)" for name in DIGITAL_COLUMNS)
        found = await self.pool.fetch(
            f"SELECT d.agency AS grp, {counts} FROM {self.name}.dossier d WHERE {condition} "
            f"AND ({anything}) GROUP BY d.agency ORDER BY 1",
            *args,
        )
        rows = [DigitalRow(r["grp"], **{n: r[n] for n in DIGITAL_COLUMNS}) for r in found]
        total = DigitalRow("total")
        for row in rows:
            for name in DIGITAL_COLUMNS:
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return [row.finish() for row in rows], total.finish()

    async def digital_list(
        self, period: Period, group: str, column: str, limit: int | None = None, offset: int = 0
    ) -> tuple[int, list[DossierFacts]]:
        """The dossiers behind one cell of the digital table, by receipt then code."""
        if column not in DIGITAL_COLUMNS:
            raise ValueError(f"unknown column {column!r}")
        condition, args = self._where(period, EVERYTHING)
        condition += f" AND {self.name}.{column}(d, $1, $2)"
        if group != "total":
            args.append(group)
            condition += f" AND d.agency = ${len(args)}"
        return await self._counted_page(condition, args, "received_at, code", limit, offset)

    async def with_steps_closed(self, period: Period) -> list[DossierFacts]:
        """The dossiers with an interconnected step handed on in the period."""
        rows = await self.pool.fetch(
            f"SELECT code, facts::text FROM {self.name}.dossier d WHERE d.received_at IS NOT "
            "NULL AND d.step_ends && tstzrange($1, $2, '[)') ORDER BY code",
            period.start,
            period.end,
        )
        found = (facts_from(row[0], json.loads(row[1])) for row in rows)
        return [
            facts
            for facts in found
            if facts and any(period.start <= s.ended_at < period.end for s in facts.steps)
        ]

    async def held_late_table(self, period: Period) -> tuple[list[HeldLateRow], HeldLateRow]:
        """Late while held by: per agency the late dossiers attributed to it, and its steps of
        them that overran; the total counts each dossier once."""
        late = (
            f"SELECT d.code, d.facts, d.step_ends, {self.name}.held_by(d) AS agencies FROM "
            f"{self.name}.dossier d WHERE d.life && tstzrange($1, $2, '[)') "
            f"AND {self.name}.resolved_late(d, $1, $2)"
        )
        found = await self.pool.fetch(
            f"WITH late AS ({late}) SELECT h.agency AS grp, count(*) AS late_total, "
            "coalesce(sum(o.steps), 0) AS overran_steps, "
            "coalesce(sum(o.minutes), 0) AS overrun_minutes "
            "FROM late CROSS JOIN unnest(late.agencies) AS h(agency) LEFT JOIN LATERAL "
            f"{self.name}.overran(late.facts, h.agency) AS o ON late.step_ends IS NOT NULL "
            'GROUP BY h.agency ORDER BY h.agency COLLATE "C"',
            period.start, period.end,
        )  # fmt: skip
        rows = [
            HeldLateRow(r["grp"], late_total=r["late_total"], overran_steps=int(r["overran_steps"]),
                        overrun_minutes=int(r["overrun_minutes"]))
            for r in found
        ]  # fmt: skip
        total = HeldLateRow("total")
        total.late_total = await self.processing_count(period, "agency", None, "resolved_late")
        total.overran_steps = sum(row.overran_steps for row in rows)
        total.overrun_minutes = sum(row.overrun_minutes for row in rows)
        return rows, total

    async def held_late_list(
        self, period: Period, group: str | None, limit: int | None = None, offset: int = 0
    ) -> tuple[int, list[DossierFacts]]:
        """The dossiers behind a row of late while held by (None: the total), by code."""
        condition, args = self._cell(period, "agency", None, "resolved_late", EVERYTHING)
        if group is not None:
            args.append(group)
            condition += f" AND ${len(args)} = ANY({self.name}.held_by(d))"
        return await self._counted_page(condition, args, "code", limit, offset)

    async def _counted_page(
        self, condition: str, args: list[Any], order: str, limit: int | None, offset: int
    ) -> tuple[int, list[DossierFacts]]:
        """The dossiers meeting `condition`: how many, and a page of them in `order`."""
        count = await self.pool.fetchval(
            f"SELECT count(*) FROM {self.name}.dossier d WHERE {condition}", *args
        )
        paged = [*args, limit, offset]
        rows = await self.pool.fetch(
            f"SELECT code, facts::text FROM {self.name}.dossier d WHERE {condition} "
            f"ORDER BY {order} LIMIT ${len(paged) - 1} OFFSET ${len(paged)}",
            *paged,
        )
        return int(count), [f for r in rows if (f := facts_from(r[0], json.loads(r[1])))]

    # The last audit ---------------------------------------------------------------------------

    async def last_audit(self) -> str | None:
        found = await self.pool.fetchval(
            "SELECT result FROM public.reporting_audit WHERE base = $1", self.base
        )
        return None if found is None else str(found)

    async def record_audit(self, result_json: str) -> None:
        await self.pool.execute(
            "INSERT INTO public.reporting_audit (base, result) VALUES ($1, $2) "
            "ON CONFLICT (base) DO UPDATE SET result = excluded.result",
            self.base,
            result_json,
        )


POINTER_REFRESH_SECONDS = 1.0


class PostgresKeyspace:
    """Which schema the reports are read from and events applied to. A rebuild fills a fresh
    schema and then switches `reporting_keyspace.active` to it."""

    def __init__(self, pool: "asyncpg.Pool[Any]", base: str = "reporting") -> None:
        self.pool = pool
        self.base = base
        quoted(base)
        self._stores: dict[str, PostgresReportingStore] = {}
        self._writer: PostgresReportingStore | None = None
        self._writer_read_at = 0.0

    async def prepare(self) -> None:
        """The keyspace table, the audit table and the live schema's migrations."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('reporting_keyspace'))")
            await connection.execute(_KEYSPACES)
            await connection.execute(_AUDITS)
        await migrate(self.pool, (await self.current()).schema)

    def store(self, schema: str) -> PostgresReportingStore:
        if schema not in self._stores:
            self._stores[schema] = PostgresReportingStore(self.pool, schema, self.base)
        return self._stores[schema]

    async def current(self) -> PostgresReportingStore:
        try:
            active = await self.pool.fetchval(
                "SELECT active FROM public.reporting_keyspace WHERE base = $1", self.base
            )
        except asyncpg.UndefinedTableError:
            active = None  # a database wiped: the base schema, until `prepare` runs again
        return self.store(str(active) if active else self.base)

    async def writing_to(self) -> PostgresReportingStore:
        """The schema events are applied to: the pointer, read at most once per
        `POINTER_REFRESH_SECONDS` (a rebuild waits that long after switching before its
        last catch-up, so no event is applied only to the old schema)."""
        now = time.monotonic()
        if self._writer is None or now - self._writer_read_at >= POINTER_REFRESH_SECONDS:
            self._writer, self._writer_read_at = await self.current(), now
        return self._writer

    async def switch(self, schema: str) -> None:
        """Reports and writes go to `schema` from now on. The running instances' markers move
        with the pointer, in the same transaction: without them each instance would take the
        switch for a wiped database and replay its topics into the fresh schema (a replay
        over facts already applied puts older values of a conflicting fact back on top)."""
        current = await self.current()
        async with self.pool.acquire() as connection, connection.transaction():
            if current.schema != schema:
                await connection.execute(
                    f"INSERT INTO {quoted(schema)}.alive SELECT * FROM {current.name}.alive "
                    "ON CONFLICT DO NOTHING"
                )
            await connection.execute(
                "INSERT INTO public.reporting_keyspace (base, active) VALUES ($1, $2) "
                "ON CONFLICT (base) DO UPDATE SET active = excluded.active",
                self.base, schema,
            )  # fmt: skip

    async def present(self, instance: str) -> bool:
        """This instance's marker is in the live schema (gone: the database was wiped)."""
        store = await self.current()
        try:
            found = await self.pool.fetchval(
                f"SELECT 1 FROM {store.name}.alive WHERE instance = $1", instance
            )
        except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
            return False
        return found is not None

    async def mark(self, instance: str) -> None:
        await self.prepare()
        store = await self.current()
        await self.pool.execute(
            f"INSERT INTO {store.name}.alive (instance) VALUES ($1) ON CONFLICT DO NOTHING",
            instance,
        )


def pool_for(url: str, *, min_size: int = 1, max_size: int = 10) -> "asyncpg.Pool[Any]":
    """A pool to the read model's database, opened by awaiting it (statements bounded, so a
    stuck query fails; JIT off: it cost more than it saved on these short queries; parallel
    workers only for scans as long as a year's: on a month's they cost more than they saved,
    BENCHMARKS.md)."""
    return asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=60,
        server_settings={
            "application_name": "reporting",
            "jit": "off",
            "parallel_setup_cost": PARALLEL_SETUP_COST,
            # each report's plan made for its own period: a generic plan (chosen after five runs
            # of a prepared statement) cannot know how long the period is
            "plan_cache_mode": "force_custom_plan",
        },
    )


async def connect(url: str, *, min_size: int = 1, max_size: int = 10) -> "asyncpg.Pool[Any]":
    return await pool_for(url, min_size=min_size, max_size=max_size)


class PostgresMarker:
    """The state guard's marker for this instance: a row of the live schema."""

    def __init__(self, keyspace: PostgresKeyspace, instance: str) -> None:
        self.keyspace, self.instance = keyspace, instance

    async def present(self) -> bool:
        return await self.keyspace.present(self.instance)

    async def mark(self) -> None:
        await self.keyspace.mark(self.instance)
