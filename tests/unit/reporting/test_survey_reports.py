"""The periodic survey report from known answers (pure)."""

from datetime import datetime, timedelta

from services.reporting.domain.dossier_facts import fold_surveys
from services.reporting.domain.periods import named_period
from services.reporting.domain.survey_reports import answers_in, survey_report
from shared.domain.business_calendar import VIETNAM
from shared.events.survey import SurveyAnswered, SurveyAnsweredBody
from shared.events.vocabulary import SurveyAspect, SurveyLevel

MARCH = named_period("2026-M03")
RESULT, ACCESS = SurveyAspect.RESULT, SurveyAspect.ACCESS
VS, S, N, D, VD = (
    SurveyLevel.VERY_SATISFIED, SurveyLevel.SATISFIED, SurveyLevel.NEUTRAL,
    SurveyLevel.DISSATISFIED, SurveyLevel.VERY_DISSATISFIED,
)  # fmt: skip


def answered(
    n: int, agency: str, answers: dict[SurveyAspect, SurveyLevel], days: int = 0
) -> SurveyAnswered:
    at = datetime(2026, 3, 10, 9, tzinfo=VIETNAM) + timedelta(days=days, minutes=n)
    return SurveyAnswered(
        event_id=f"survey-{n}", occurred_at=at, recorded_at=at, source="test",
        body=SurveyAnsweredBody(dossier_code=None, agency_code=agency, period="2026-Q1",
                                answers=answers),
    )  # fmt: skip


EVENTS = [
    answered(1, "STP", {RESULT: VS, ACCESS: S}),
    answered(2, "STP", {RESULT: S, ACCESS: N}),
    answered(3, "STP", {RESULT: D, ACCESS: S}),
    answered(4, "STP", {RESULT: VD}),
    answered(5, "UBND.P.SG", {RESULT: S}),
    answered(6, "STP", {RESULT: VS}, days=22),  # 1 April: another period
]


def test_each_aspect_shows_its_distribution_over_the_five_levels() -> None:
    rows, totals = survey_report(fold_surveys(EVENTS + EVENTS[:2]), MARCH, minimum=4)
    by_group = {row.group: row for row in rows}
    result = by_group["STP/result"]
    levels = (result.very_satisfied, result.satisfied, result.neutral, result.dissatisfied,
              result.very_dissatisfied)  # fmt: skip
    assert (result.answers_total, levels) == (4, (1, 1, 0, 1, 1))
    assert result.satisfied_rate == 0.5
    assert not result.below_minimum
    access = by_group["STP/access"]
    assert (access.answers_total, access.satisfied, access.neutral) == (3, 2, 1)
    assert access.satisfied_rate == 0.6667
    assert access.below_minimum  # 3 answers, fewer than the minimum sample of 4
    assert by_group["UBND.P.SG/result"].satisfied == 1
    total = {row.aspect: row for row in totals}
    assert total["result"].answers_total == 5
    assert total["civil_servants"].answers_total == 0
    assert total["civil_servants"].satisfied_rate is None  # nothing answered: no rate, not 0


def test_each_count_lists_its_surveys() -> None:
    surveys = fold_surveys(EVENTS)
    dissatisfied = answers_in(surveys, MARCH, "STP/result", "dissatisfied")
    assert [s.survey_id for s in dissatisfied] == ["survey-3"]
    assert len(answers_in(surveys, MARCH, "total/result", "answers_total")) == 5
    assert len(answers_in(surveys, MARCH, "STP/access", "answers_total")) == 3
