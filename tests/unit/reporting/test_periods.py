from datetime import date

import pytest

from services.reporting.domain.periods import PeriodError, named_period, period_from


@pytest.mark.parametrize(
    ("name", "regime", "first", "last"),
    [
        ("2026-M03", False, date(2026, 3, 1), date(2026, 3, 31)),
        ("2026-M02", False, date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-Q1", False, date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-H2", False, date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-9M", False, date(2026, 1, 1), date(2026, 9, 30)),
        ("2026-Y", False, date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Y", True, date(2025, 12, 15), date(2026, 12, 14)),
        ("2026-M03", True, date(2026, 2, 15), date(2026, 3, 14)),
        ("2026-Q2", True, date(2026, 3, 15), date(2026, 6, 14)),
    ],
)
def test_named_periods(name: str, regime: bool, first: date, last: date) -> None:
    period = named_period(name, regime=regime)
    assert (period.first_day, period.last_day) == (first, last)


@pytest.mark.parametrize("name", ["2026-M13", "2026-Q5", "26-Y", "2026"])
def test_unknown_period_names_are_refused(name: str) -> None:
    with pytest.raises(PeriodError):
        named_period(name)


def test_explicit_dates_need_both_ends_in_order() -> None:
    assert period_from(date(2026, 3, 1), date(2026, 3, 31), None, regime=False).label
    with pytest.raises(PeriodError):
        period_from(date(2026, 3, 1), None, None, regime=False)
    with pytest.raises(PeriodError):
        period_from(date(2026, 3, 31), date(2026, 3, 1), None, regime=False)


def test_a_period_outside_what_the_read_model_holds_is_refused() -> None:
    with pytest.raises(PeriodError, match="between 1900-01-01 and 9998-12-31"):
        period_from(date(1, 1, 1), date(1, 1, 2), None, regime=False)
    with pytest.raises(PeriodError, match="between"):
        period_from(None, None, "9999-Y", regime=False)
    assert period_from(None, None, "2016-Y", regime=False).first_day == date(2016, 1, 1)
