"""Scenarios from published reports: play a history that yields a period's published figures
through the public interfaces (intake with the `import` scope, survey), then check that the
reporting service reproduces the published table.

    python -m demo.scenario scenarios/province-2019.toml [--plan] [--key dev-local-key]

A scenario file (see `scenarios/province-2019.toml`) holds the published figures, the
assumptions the publication leaves open, and how percentages become counts. The history is
deterministic (seeded; submission ids derived from the scenario), so playing it twice against
the same stack changes nothing: intake answers a repeated submission with the same dossier.
"""

import argparse
import asyncio
import math
import random
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from demo.traffic import applicant
from shared.domain.business_calendar import VIETNAM, BusinessCalendar, CalendarOverrides

INTAKE, SURVEY, REPORTING = (
    "http://127.0.0.1:8001",
    "http://127.0.0.1:8003",
    "http://127.0.0.1:8004",
)
OVERRIDES = Path(__file__).resolve().parents[1] / "config" / "calendar_overrides.toml"
RETRY_FOR_SECONDS = 120.0
TOLERANCE_PP = 0.1  # each published percentage is reproduced within 0.1 percentage point


class Published(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_received: int
    due_in_period: int
    early_percent: float
    on_time_percent: float
    late_percent: float
    open_overdue_percent: float
    fully_online: int
    agencies: int
    agencies_satisfied_percent: float
    clerks: int
    clerks_satisfied_percent: float


class Assumptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carried_over: int = 0
    new_postal: int
    agency_ratings: int
    clerk_ratings: int
    very_satisfied_share: float = 0.6
    seed: int = 1


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    period: str
    published: Published
    assumptions: Assumptions
    desks: list[tuple[str, str]]  # (agency, procedure)

    @classmethod
    def load(cls, path: Path) -> "Scenario":
        return cls.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))

    @property
    def year(self) -> int:
        return int(self.period.split("-")[0])


@dataclass(frozen=True)
class Targets:
    """The exact counts the history must yield (derived from the published figures)."""

    new_received: int
    carried_over: int
    new_online: int
    new_postal: int
    new_counter: int
    early: int
    on_time: int
    late: int
    open_overdue: int
    open_within: int
    agency_ratings: int
    agency_satisfied: int
    clerk_ratings: int
    clerk_satisfied: int

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def due(self) -> int:
        return self.resolved + self.open_overdue


def largest_remainder(total: int, shares: list[float]) -> list[int]:
    """Counts proportional to `shares` (normalised to their sum) adding up to `total`."""
    exact = [total * share / sum(shares) for share in shares]
    counts = [math.floor(value) for value in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def derive_targets(scenario: Scenario) -> Targets:
    published, assumed = scenario.published, scenario.assumptions
    early, on_time, late, open_overdue = largest_remainder(
        published.due_in_period,
        [published.early_percent, published.on_time_percent, published.late_percent,
         published.open_overdue_percent],
    )  # fmt: skip
    online = published.fully_online
    if online > early:
        raise ValueError("fully online dossiers are resolved early: more than the early count")
    return Targets(
        new_received=published.new_received,
        carried_over=assumed.carried_over,
        new_online=online,
        new_postal=assumed.new_postal,
        new_counter=published.new_received - online - assumed.new_postal,
        early=early,
        on_time=on_time,
        late=late,
        open_overdue=open_overdue,
        open_within=assumed.carried_over + published.new_received - published.due_in_period,
        agency_ratings=assumed.agency_ratings,
        agency_satisfied=round(published.agencies_satisfied_percent / 100 * assumed.agency_ratings),
        clerk_ratings=assumed.clerk_ratings,
        clerk_satisfied=round(published.clerks_satisfied_percent / 100 * assumed.clerk_ratings),
    )


def calendar() -> BusinessCalendar:
    """The services' calendar (their default working hours and the operators' overrides)."""
    return BusinessCalendar(overrides=CalendarOverrides.from_toml(OVERRIDES.read_text("utf-8")))


# The history ------------------------------------------------------------------------------

FATES = ("early", "on_time", "late", "open_overdue", "open_within")


@dataclass
class DossierPlan:
    index: int
    agency: str
    procedure: str
    channel: str  # counter | online | postal
    clerk: str | None
    received_at: datetime
    fate: str
    rating: str | None = None  # very_satisfied | satisfied | dissatisfied


@dataclass
class History:
    dossiers: list[DossierPlan] = field(default_factory=list)


def plan_history(scenario: Scenario, targets: Targets, calendar: BusinessCalendar) -> History:
    """Every dossier's agency, channel, clerk, receipt time, fate and rating. Dossiers due in the
    period are received by 8 November (the longest limit, 30 working days, is then due before
    the year ends, late ones included); those still within their deadline at the end are
    received from 26 December (the shortest limit, 5 working days, is due in the next year)."""
    rng = random.Random(scenario.assumptions.seed)
    year = scenario.year
    fates = (
        ["early"] * targets.early + ["on_time"] * targets.on_time + ["late"] * targets.late
        + ["open_overdue"] * targets.open_overdue + ["open_within"] * targets.open_within
    )  # fmt: skip
    early_days = _working_days(calendar, date(year, 1, 2), date(year, 11, 8))
    late_days = _working_days(calendar, date(year, 12, 26), date(year, 12, 31))
    # Fully online dossiers are early ones; the postal ones are drawn from the rest.
    channels = ["online"] * targets.new_online + ["counter"] * (len(fates) - targets.new_online)
    others = list(range(targets.new_online, len(fates)))
    for i in rng.sample(others, targets.new_postal):
        channels[i] = "postal"
    history = History()
    counter_seen = 0
    for index, (fate, channel) in enumerate(zip(fates, channels, strict=True)):
        agency, procedure = scenario.desks[index % len(scenario.desks)]
        days = late_days if fate == "open_within" else early_days
        day = days[rng.randrange(len(days))]
        received_at = datetime.combine(day, time(8, 0), VIETNAM) + timedelta(
            minutes=rng.randrange(150)
        )
        clerk = None
        if channel == "counter":
            clerk = f"GDV-{counter_seen % scenario.published.clerks + 1:02d}"
            counter_seen += 1
        history.dossiers.append(
            DossierPlan(index, agency, procedure, channel, clerk, received_at, fate)
        )
    _plan_ratings(history, targets, scenario.assumptions.very_satisfied_share, rng)
    return history


def _plan_ratings(
    history: History, targets: Targets, very_share: float, rng: random.Random
) -> None:
    resolved = [d for d in history.dossiers if d.fate in ("early", "on_time", "late")]
    with_clerk = [d for d in resolved if d.clerk is not None][: targets.clerk_ratings]
    without = [d for d in resolved if d.clerk is None]
    others = rng.sample(without, targets.agency_ratings - targets.clerk_ratings)
    for group, satisfied in (
        (with_clerk, targets.clerk_satisfied),
        (others, targets.agency_satisfied - targets.clerk_satisfied),
    ):
        if len(group) < satisfied:
            raise ValueError("not enough resolved dossiers to rate")
        levels = ["dissatisfied"] * (len(group) - satisfied)
        very = round(satisfied * very_share)
        levels += ["very_satisfied"] * very + ["satisfied"] * (satisfied - very)
        rng.shuffle(levels)
        for dossier, level in zip(group, levels, strict=True):
            dossier.rating = level


def _working_days(calendar: BusinessCalendar, first: date, last: date) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if calendar.is_working_day(day)]


def resolution_time(fate: str, due_at: datetime, plan_index: int) -> datetime:
    """Early: the day before the due date; on time: on the due date; late: 1-3 days after."""
    if fate == "early":
        return due_at - timedelta(days=1)
    if fate == "on_time":
        return due_at - timedelta(minutes=1)
    return due_at + timedelta(days=1 + plan_index % 3)


# Playing it through the public interfaces ---------------------------------------------------


@dataclass
class Player:
    client: httpx.AsyncClient
    key: str
    name: str
    intake: str = INTAKE
    survey: str = SURVEY
    done: int = 0

    async def play(
        self, history: History, concurrency: int = 24, pace: float | None = None
    ) -> None:
        """Play every dossier's life, `concurrency` at a time; with `pace`, start at most that
        many dossiers per second."""
        queue: asyncio.Queue[DossierPlan] = asyncio.Queue()
        for dossier in history.dossiers:
            queue.put_nowait(dossier)
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def worker() -> None:
            while not queue.empty():
                plan = queue.get_nowait()
                if pace is not None:
                    await asyncio.sleep(max(0.0, started + plan.index / pace - loop.time()))
                await self.one(plan)
                self.done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def one(self, plan: DossierPlan) -> None:
        submission = f"{self.name}-{plan.index}"
        receipt = await self._post(f"{self.intake}/v1/dossiers", {
            "submission_id": f"{submission}-receive",
            "procedure_code": plan.procedure, "agency_code": plan.agency,
            "channel": plan.channel, "clerk_id": plan.clerk,
            "applicant": applicant(random.Random(plan.index)),  # made up, the same each time
            "return_method": plan.channel,  # returned the way it came
            "received_at": plan.received_at.isoformat(),
            "fully_online": plan.channel == "online",  # the publication's "toàn trình"
        })  # fmt: skip
        code, due_at = receipt["code"], datetime.fromisoformat(receipt["appointment_at"])
        if plan.fate in ("open_overdue", "open_within"):
            return
        resolved_at = resolution_time(plan.fate, due_at, plan.index)
        steps = [
            ("resolve", resolved_at, {"outcome": "approved"}),
            ("return", resolved_at + timedelta(minutes=30), {}),
        ]
        for action, at, body in steps:
            await self._post(f"{self.intake}/v1/dossiers/{code}/{action}", {
                "submission_id": f"{submission}-{action}", "occurred_at": at.isoformat(), **body,
            })  # fmt: skip
        if plan.rating is not None:
            await self._post(f"{self.survey}/v1/ratings", {
                "submission_id": f"{submission}-rating", "dossier_code": code,
                "level": plan.rating, "channel": "kiosk" if plan.clerk else "online",
                "reason": "chờ lâu" if plan.rating == "dissatisfied" else None,
                "occurred_at": (resolved_at + timedelta(hours=1)).isoformat(),
            }, retry_on=(404, 409))  # fmt: skip
            # The history's importer: its key has the rating and import scopes (past times).
            # 404: survey has not seen the dossier yet (it may be catching up after a restart)

    async def _post(
        self,
        url: str,
        body: dict[str, Any],
        *,
        authenticated: bool = True,
        retry_on: tuple[int, ...] = (409,),
    ) -> dict[str, Any]:
        """POST, retried while the service is unreachable, restarting or answers 5xx or a
        status in `retry_on` (the submission id makes a retry safe: the service answers it
        with the first outcome)."""
        headers = {"X-API-Key": self.key} if authenticated else {}
        give_up = asyncio.get_running_loop().time() + RETRY_FOR_SECONDS
        problem = ""
        while asyncio.get_running_loop().time() < give_up:
            try:
                answer = await self.client.post(url, json=body, headers=headers)
            except httpx.TransportError as error:
                problem = repr(error)
            else:
                if answer.status_code in (200, 201):
                    return dict(answer.json())
                problem = f"{answer.status_code} {answer.text[:300]}"
                if answer.status_code < 500 and answer.status_code not in retry_on:
                    break
            await asyncio.sleep(0.5)
        raise RuntimeError(f"POST {url}: {problem}")


# Checking the reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    figure: str
    published: str
    expected: float
    reproduced: float | None
    tolerance: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reproduced is not None and abs(self.reproduced - self.expected) <= (
            self.tolerance + 1e-9
        )


async def reproduced_figures(
    client: httpx.AsyncClient, scenario: Scenario, key: str, reporting: str = REPORTING
) -> dict[str, float]:
    """The published figures; by clerk with `key` (it names people: the reports scope)."""
    query = f"period={scenario.period}"
    processing = await client.get(f"{reporting}/v1/reports/processing?{query}&group_by=agency")
    by_agency = await client.get(f"{reporting}/v1/reports/satisfaction?{query}&group_by=agency")
    by_clerk = await client.get(f"{reporting}/v1/reports/satisfaction?{query}&group_by=clerk",
                                headers={"X-API-Key": key})  # fmt: skip
    digital = await client.get(f"{reporting}/v1/reports/digital?{query}")
    for answer in (processing, by_agency, by_clerk, digital):
        answer.raise_for_status()
    total = processing.json()["total"]
    due = total["resolved_total"] + total["pending_overdue"]
    agencies = by_agency.json()
    clerks = [row for row in by_clerk.json()["rows"] if row["group"] != "-"]
    clerk_total = sum(row["ratings_total"] for row in clerks)
    clerk_happy = sum(row["very_satisfied"] + row["satisfied"] for row in clerks)
    return {
        "received_total": total["received_total"],
        "carried_over": total["carried_over"],
        "new_online": total["new_online"],
        "fully_online": digital.json()["total"]["fully_online"],
        "new_postal": total["new_postal"],
        "new_counter": total["new_counter"],
        "due": due,
        "resolved_early": total["resolved_early"],
        "resolved_on_time": total["resolved_on_time"],
        "resolved_late": total["resolved_late"],
        "pending_overdue": total["pending_overdue"],
        "pending_within": total["pending_within"],
        "early_percent": _percent(total["resolved_early"], due),
        "on_time_percent": _percent(total["resolved_on_time"], due),
        "late_percent": _percent(total["resolved_late"], due),
        "open_overdue_percent": _percent(total["pending_overdue"], due),
        "agencies": len([row for row in agencies["rows"] if row["ratings_total"]]),
        "agency_ratings": agencies["total"]["ratings_total"],
        "agencies_satisfied_percent": _percent(
            agencies["total"]["very_satisfied"] + agencies["total"]["satisfied"],
            agencies["total"]["ratings_total"],
        ),
        "clerks": len(clerks),
        "clerk_ratings": clerk_total,
        "clerks_satisfied_percent": _percent(clerk_happy, clerk_total),
    }


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 4) if whole else 0.0


def checks(scenario: Scenario, targets: Targets, got: dict[str, float]) -> list[Check]:
    published = scenario.published
    pp = TOLERANCE_PP
    counts = [
        Check("received (total)", f"{published.new_received:,} new",
              targets.carried_over + targets.new_received, got.get("received_total")),
        Check("carried over", "(assumed)", targets.carried_over, got.get("carried_over")),
        Check("new online (fully online)", f"{published.fully_online:,}", targets.new_online,
              got.get("new_online")),
        Check("recorded fully online", f"{published.fully_online:,}", targets.new_online,
              got.get("fully_online")),
        Check("new by post", "(assumed)", targets.new_postal, got.get("new_postal")),
        Check("new at the counter", "(the rest)", targets.new_counter, got.get("new_counter")),
        Check("due in the period", f"{published.due_in_period:,}", targets.due, got.get("due")),
        Check("resolved early", "", targets.early, got.get("resolved_early")),
        Check("resolved on time", "", targets.on_time, got.get("resolved_on_time")),
        Check("resolved late", "", targets.late, got.get("resolved_late")),
        Check("open, overdue", "", targets.open_overdue, got.get("pending_overdue")),
        Check("open, within deadline", "", targets.open_within, got.get("pending_within")),
        Check("agencies rated", f"{published.agencies}", published.agencies, got.get("agencies")),
        Check("ratings (agencies)", "(assumed)", targets.agency_ratings,
              got.get("agency_ratings")),
        Check("clerks rated", f"{published.clerks}", published.clerks, got.get("clerks")),
        Check("ratings (clerks)", "(assumed)", targets.clerk_ratings, got.get("clerk_ratings")),
    ]  # fmt: skip
    shares = [
        Check(f"{name.replace('_', ' ')}", f"{getattr(published, name)}%",
              getattr(published, name), got.get(name), pp)
        for name in ("early_percent", "on_time_percent", "late_percent", "open_overdue_percent",
                     "agencies_satisfied_percent", "clerks_satisfied_percent")
    ]  # fmt: skip
    return counts + shares


def print_checks(results: list[Check]) -> None:
    print(f"{'figure':<34}{'published':>12}{'expected':>12}{'reproduced':>12}  ok")
    for check in results:
        got = "-" if check.reproduced is None else f"{check.reproduced:,.2f}".rstrip("0")
        want = f"{check.expected:,.2f}".rstrip("0")
        print(
            f"{check.figure:<34}{check.published:>12}{want.rstrip('.'):>12}"
            f"{got.rstrip('.'):>12}  {'yes' if check.ok else 'NO'}"
        )


async def play_and_check(
    scenario: Scenario, key: str, *, name: str, within: float = 300.0,
    intake: str = INTAKE, survey: str = SURVEY, reporting: str = REPORTING,
    watch: Callable[[Player], None] | None = None, pace: float | None = None,
) -> list[Check]:  # fmt: skip
    """Play the scenario, then wait (up to `within` s) for the reports to match; the checks.
    `watch` is handed the player (its `done` counts the dossiers played so far); `pace`
    limits the dossiers started per second."""
    targets = derive_targets(scenario)
    history = plan_history(scenario, targets, calendar())
    # Connections kept open for every worker: at httpx's default of 20 kept, a third of the
    # requests opened a new connection (24 workers), each costing both ends CPU.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        player = Player(client, key, name, intake=intake, survey=survey)
        if watch is not None:
            watch(player)
        progress = asyncio.create_task(_show_progress(player, len(history.dossiers)))
        try:
            await player.play(history, pace=pace)
        finally:
            progress.cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            try:
                got = await reproduced_figures(client, scenario, key, reporting)
            except httpx.HTTPError:
                got = {}  # reporting restarting: the checks fail until it answers again
            results = checks(scenario, targets, got)
            if all(check.ok for check in results) or loop.time() > deadline:
                return results
            await asyncio.sleep(1)


async def _show_progress(player: Player, total: int) -> None:
    while True:
        await asyncio.sleep(5)
        print(f"[scenario] {player.done:,} of {total:,} dossiers played", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--plan", action="store_true", help="print the derived counts only")
    parser.add_argument("--key", default="dev-local-key", help="an intake key with `import`")
    parser.add_argument("--within", type=float, default=300, help="seconds to wait for reports")
    arguments = parser.parse_args()
    scenario = Scenario.load(arguments.scenario)
    targets = derive_targets(scenario)
    print(scenario.title)
    if arguments.plan:
        for name, value in vars(targets).items():
            print(f"  {name:<18}{value:>8,}")
        return 0
    results = asyncio.run(
        play_and_check(scenario, arguments.key, name=arguments.scenario.stem,
                       within=arguments.within)
    )  # fmt: skip
    print_checks(results)
    return 0 if all(check.ok for check in results) else 1


if __name__ == "__main__":
    sys.exit(main())
