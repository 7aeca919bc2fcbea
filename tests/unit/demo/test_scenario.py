"""The scenario's arithmetic: published percentages to counts, and the planned history."""

from collections import Counter
from datetime import date
from pathlib import Path

from demo.scenario import Scenario, calendar, derive_targets, largest_remainder, plan_history

SCENARIO = Path(__file__).resolve().parents[3] / "scenarios" / "province-2019.toml"


def test_largest_remainder_adds_up_to_the_total() -> None:
    # 8,483 x share / 100.06: 7034.12, 1191.15, 223.82, 33.91 -> floors 7034, 1191, 223, 33
    # (8,481); the two largest remainders (0.91, 0.82) get the two missing dossiers.
    assert largest_remainder(8483, [82.97, 14.05, 2.64, 0.40]) == [7034, 1191, 224, 34]
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]


def test_the_2019_counts_as_the_scenario_file_says() -> None:
    targets = derive_targets(Scenario.load(SCENARIO))
    assert (targets.early, targets.on_time, targets.late, targets.open_overdue) == (
        7034, 1191, 224, 34,
    )  # fmt: skip
    assert targets.due == 8483
    assert targets.open_within == 9079 - 8483
    assert (targets.new_online, targets.new_postal, targets.new_counter) == (510, 1000, 7569)
    assert (targets.agency_satisfied, targets.clerk_satisfied) == (2406, 1244)
    for count, published in ((7034, 82.97), (1191, 14.05), (224, 2.64), (34, 0.40)):
        assert abs(100 * count / 8483 - published) <= 0.1
    assert abs(100 * 2406 / 2500 - 96.24) <= 0.1
    assert abs(100 * 1244 / 1250 - 99.52) <= 0.1


def test_the_history_has_every_count_and_fits_the_year() -> None:
    scenario = Scenario.load(SCENARIO)
    targets = derive_targets(scenario)
    history = plan_history(scenario, targets, calendar())
    dossiers = history.dossiers
    assert len(dossiers) == targets.new_received
    fates = Counter(d.fate for d in dossiers)
    assert fates == {"early": 7034, "on_time": 1191, "late": 224, "open_overdue": 34,
                     "open_within": 596}  # fmt: skip
    channels = Counter(d.channel for d in dossiers)
    assert channels == {"counter": 7569, "postal": 1000, "online": 510}
    assert all(d.fate == "early" for d in dossiers if d.channel == "online")
    assert {d.agency for d in dossiers} == {agency for agency, _ in scenario.desks}
    assert len({d.clerk for d in dossiers if d.clerk}) == 32
    rated = [d for d in dossiers if d.rating]
    assert len(rated) == 2500
    assert sum(1 for d in rated if d.clerk) == 1250
    assert sum(1 for d in rated if d.rating != "dissatisfied") == 2406
    assert all(d.fate in ("early", "on_time", "late") for d in rated)
    for dossier in dossiers:
        day = dossier.received_at.date()
        assert calendar().is_working_day(day)
        if dossier.fate == "open_within":
            assert day >= date(2019, 12, 26)
        else:
            assert date(2019, 1, 2) <= day <= date(2019, 11, 8)
    # deterministic: the same file plans the same history
    again = plan_history(scenario, targets, calendar()).dossiers
    assert [(d.received_at, d.rating) for d in again] == [
        (d.received_at, d.rating) for d in dossiers
    ]
