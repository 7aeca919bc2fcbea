"""The reports of interconnected steps, and the dossiers behind each count. Pure.

- **Steps on time**: one row per procedure, step (numbered from 1) and agency; a step counts
  in the period its hand-off (or the dossier's resolution, for the last step) falls in, on time
  or late against its own due instant (deadline's `StepClosed`).
- **Late while held by**: the dossiers resolved late in the period (the processing table's
  `resolved_late`), each under every agency its lateness is attributed to (deadline's
  `late_held_by`: the agencies whose steps overran, else the agency holding it when its due
  instant passed). A dossier may count under several agencies; the total counts it once, so
  the total's `late_total` equals the processing table's `resolved_late`. A classification
  that names no agency (events from before steps were tracked) counts under the receiving
  agency."""

from collections.abc import Iterable
from dataclasses import dataclass

from services.reporting.domain.dossier_facts import DossierFacts
from services.reporting.domain.periods import Period
from services.reporting.domain.projections import columns_of
from shared.events.deadline import StepOutcome

STEP_COLUMNS = ("closed_total", "closed_on_time", "closed_late")
HELD_LATE_COLUMNS = ("late_total",)


def step_group(facts: DossierFacts, step: StepOutcome) -> str:
    """A step row's key: procedure/step number/agency."""
    return f"{facts.procedure}/{step.step_index + 1}/{step.agency_code}"


def step_columns_of(step: StepOutcome, period: Period) -> list[str]:
    if not period.start <= step.ended_at < period.end:
        return []
    return ["closed_total", "closed_on_time" if step.on_time else "closed_late"]


@dataclass
class StepRow:
    group: str
    procedure: str
    step: int
    agency: str
    procedure_name: str | None = None
    agency_name: str | None = None
    closed_total: int = 0
    closed_on_time: int = 0
    closed_late: int = 0
    overrun_minutes: int = 0  # working minutes past the steps' due instants, summed
    on_time_rate: float | None = None

    def count(self, step: StepOutcome, columns: list[str]) -> None:
        for name in columns:
            setattr(self, name, getattr(self, name) + 1)
        self.overrun_minutes += step.overrun_minutes

    def finish(self) -> "StepRow":
        if self.closed_total:
            self.on_time_rate = round(self.closed_on_time / self.closed_total, 4)
        return self


def step_report(dossiers: Iterable[DossierFacts], period: Period) -> tuple[list[StepRow], StepRow]:
    rows: dict[str, StepRow] = {}
    total = StepRow("total", "", 0, "")
    for facts in dossiers:
        for step in facts.steps:
            columns = step_columns_of(step, period)
            if not columns:
                continue
            key = step_group(facts, step)
            row = rows.setdefault(
                key, StepRow(key, facts.procedure, step.step_index + 1, step.agency_code)
            )
            row.count(step, columns)
            total.count(step, columns)
    ordered = sorted(rows.values(), key=lambda row: (row.procedure, row.step, row.agency))
    return [row.finish() for row in ordered], total.finish()


def steps_in(
    dossiers: Iterable[DossierFacts], period: Period, group: str | None, column: str
) -> list[tuple[DossierFacts, StepOutcome]]:
    """The steps behind one cell (`group` None: the total row), by dossier code and step."""
    found = [
        (facts, step)
        for facts in dossiers
        for step in facts.steps
        if (group is None or step_group(facts, step) == group)
        and column in step_columns_of(step, period)
    ]
    return sorted(found, key=lambda pair: (pair[0].code, pair[1].step_index))


def resolved_late_in(facts: DossierFacts, period: Period) -> bool:
    return "resolved_late" in columns_of(facts, period)


def held_by(facts: DossierFacts) -> tuple[str, ...]:
    return facts.late_held_by or (facts.agency,)


@dataclass
class HeldLateRow:
    group: str
    group_name: str | None = None
    late_total: int = 0  # dossiers resolved late in the period, attributed to this agency
    overran_steps: int = 0  # this agency's steps of those dossiers that overran
    overrun_minutes: int = 0  # their working minutes past the steps' due instants


def held_late_report(
    dossiers: Iterable[DossierFacts], period: Period
) -> tuple[list[HeldLateRow], HeldLateRow]:
    rows: dict[str, HeldLateRow] = {}
    total = HeldLateRow("total")
    for facts in dossiers:
        if not resolved_late_in(facts, period):
            continue
        total.late_total += 1
        for agency in held_by(facts):
            row = rows.setdefault(agency, HeldLateRow(agency))
            row.late_total += 1
            for step in facts.steps:
                if step.agency_code == agency and not step.on_time:
                    row.overran_steps += 1
                    row.overrun_minutes += step.overrun_minutes
                    total.overran_steps += 1
                    total.overrun_minutes += step.overrun_minutes
    return [rows[agency] for agency in sorted(rows)], total


def held_late_in(
    dossiers: Iterable[DossierFacts], period: Period, group: str | None
) -> list[DossierFacts]:
    """The dossiers behind a row's `late_total` (`group` None: the total, each dossier once)."""
    found = [
        facts
        for facts in dossiers
        if resolved_late_in(facts, period) and (group is None or group in held_by(facts))
    ]
    return sorted(found, key=lambda facts: facts.code)
