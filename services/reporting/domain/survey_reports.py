"""The periodic survey results (five levels over five aspects), and the answers behind each
count. Pure.

One row per agency and aspect, and a total per aspect: how many answered it, the distribution
over the five levels, and the satisfied share ((very satisfied + satisfied) / answers). A survey
counts in the period it was answered in. As for ratings, a row with fewer answers than the
minimum sample is listed with its figures but marked `below_minimum`: too few to judge by."""

from collections.abc import Iterable
from dataclasses import dataclass

from services.reporting.domain.dossier_facts import SurveyFacts
from services.reporting.domain.periods import Period
from shared.events.vocabulary import SurveyAspect, SurveyLevel

LEVELS = tuple(level.value for level in SurveyLevel)
SURVEY_COLUMNS = ("answers_total", *LEVELS)
SATISFIED = (SurveyLevel.VERY_SATISFIED.value, SurveyLevel.SATISFIED.value)


@dataclass
class SurveyRow:
    group: str  # agency/aspect, or total/aspect
    agency: str | None
    aspect: str
    agency_name: str | None = None
    aspect_name: str | None = None
    answers_total: int = 0
    very_satisfied: int = 0
    satisfied: int = 0
    neutral: int = 0
    dissatisfied: int = 0
    very_dissatisfied: int = 0
    satisfied_rate: float | None = None
    below_minimum: bool = True

    def count(self, level: SurveyLevel) -> None:
        self.answers_total += 1
        setattr(self, level.value, getattr(self, level.value) + 1)

    def finish(self, minimum: int) -> "SurveyRow":
        if self.answers_total:
            happy = sum(getattr(self, level) for level in SATISFIED)
            self.satisfied_rate = round(happy / self.answers_total, 4)
        self.below_minimum = self.answers_total < minimum
        return self


def in_period(survey: SurveyFacts, period: Period) -> bool:
    return period.start <= survey.answered_at < period.end


def survey_report(
    surveys: Iterable[SurveyFacts], period: Period, minimum: int
) -> tuple[list[SurveyRow], list[SurveyRow]]:
    """The rows by agency and aspect, and the totals by aspect (every aspect, even unanswered)."""
    rows: dict[tuple[str, str], SurveyRow] = {}
    totals = {aspect.value: SurveyRow(f"total/{aspect.value}", None, aspect.value)
              for aspect in SurveyAspect}  # fmt: skip
    for survey in surveys:
        if not in_period(survey, period):
            continue
        for aspect, level in survey.answers.items():
            key = (survey.agency, aspect.value)
            row = rows.setdefault(key, SurveyRow(f"{key[0]}/{key[1]}", key[0], key[1]))
            row.count(level)
            totals[aspect.value].count(level)
    ordered = [rows[key].finish(minimum) for key in sorted(rows)]
    return ordered, [total.finish(minimum) for total in totals.values()]


def answers_in(
    surveys: Iterable[SurveyFacts], period: Period, group: str, column: str
) -> list[SurveyFacts]:
    """The surveys behind one count: `group` is a row's agency/aspect (or total/aspect),
    `column` answers_total or a level."""
    agency, _, aspect = group.rpartition("/")
    found = [
        survey
        for survey in surveys
        if in_period(survey, period)
        and agency in ("total", survey.agency)
        and (level := survey.answers.get(SurveyAspect(aspect))) is not None
        and column in ("answers_total", level.value)
    ]
    return sorted(found, key=lambda survey: (survey.answered_at, survey.survey_id))
