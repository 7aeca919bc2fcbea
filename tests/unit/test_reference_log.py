"""The catalogue log's fold and the admin edits, on the seed files, without Kafka."""

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from services.intake.service import catalogue_admin as edits
from shared.domain.catalogue import CatalogueError, Procedure
from shared.domain.reference_log import (
    ENTRY,
    Entry,
    Period,
    ProcedureEntry,
    Reference,
    ReferenceBook,
    encode,
    seed_entries,
)
from shared.events.dossier import TimeLimit
from shared.events.vocabulary import TimeUnit

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MARRIAGE_STATUS = "1.004873"


def seeded() -> ReferenceBook:
    book = ReferenceBook()
    catalogue = (ROOT / "config" / "catalogue.toml").read_text()
    overrides = (ROOT / "config" / "calendar_overrides.toml").read_text()
    entries = seed_entries(catalogue, overrides, AT, "seed")
    book.add_batch((offset, *encode(entry)) for offset, entry in enumerate(entries))
    return book


def publish(book: ReferenceBook, entry: Entry) -> Reference:
    book.add(book.revision, *encode(entry))
    return book.reference()


def period(start: int, end: int) -> Period:
    return Period(start=time(start), end=time(end))


def days(amount: int) -> TimeLimit:
    return TimeLimit(amount=amount, unit=TimeUnit.WORKING_DAYS)


def test_the_seed_folds_into_the_catalogue_and_calendar_of_the_files() -> None:
    reference = seeded().reference()
    assert len(reference.catalogue.agencies) >= 20
    assert reference.catalogue.fields["land"].name
    assert reference.revision == len(seeded().entries)
    assert reference.calendar.is_working_day(date(2026, 3, 2))


def test_a_bad_record_is_skipped_and_the_rest_applies() -> None:
    book = seeded()
    good = book.reference().catalogue.procedure(MARRIAGE_STATUS, date(2026, 3, 2))
    orphan = good.model_copy(update={"code": "T.orphan", "agencies": ("NOWHERE",)})
    bad = ProcedureEntry(code="T.orphan", versions=(orphan,))
    ok = ProcedureEntry(code="T.ok", versions=(good.model_copy(update={"code": "T.ok"}),))
    start = book.revision
    book.add_batch([
        (start, *encode(bad)),  # names an unknown agency
        (start + 1, b"procedure:T.junk", b"{not json"),
        (start + 2, b"procedure:T.other", encode(ok)[1]),  # the key names another entity
        (start + 3, *encode(ok)),
    ])  # fmt: skip
    assert book.skipped == 3
    assert book.revision == start + 4
    reference = book.reference()
    assert [v.code for v in reference.catalogue.versions("T.ok")] == ["T.ok"]
    assert not reference.catalogue.versions("T.orphan")
    book.add(book.revision, b"procedure:T.ok", None)  # a tombstone removes the entity
    assert not book.reference().catalogue.versions("T.ok")


def test_a_new_version_closes_the_open_one_and_an_overlap_is_a_conflict() -> None:
    book = seeded()
    reference = book.reference()
    current = reference.catalogue.procedure(MARRIAGE_STATUS, date(2026, 3, 2))
    newer = current.model_copy(update={"effective_from": date(2027, 1, 1), "time_limit": days(2)})
    reference = publish(book, edits.add_version(reference, newer, "admin", AT))
    versions = reference.catalogue.versions(MARRIAGE_STATUS)
    assert versions[-2].effective_to == date(2027, 1, 1)
    assert reference.catalogue.procedure(MARRIAGE_STATUS, date(2027, 1, 4)).time_limit.amount == 2
    assert reference.procedure_changes[MARRIAGE_STATUS][-1].what.endswith(
        f"version {current.version} ends then"
    )
    between = current.model_copy(
        update={"effective_from": date(2026, 6, 1), "effective_to": date(2027, 6, 1)}
    )
    with pytest.raises(edits.CatalogueConflictError, match="in force until 2027-01-01"):
        edits.add_version(reference, between, "admin", AT)


def test_an_amendment_splits_the_version_in_force_and_a_retirement_ends_it() -> None:
    book = seeded()
    amendment = edits.AmendTimeLimit(effective_from=date(2026, 7, 1), time_limit=days(10))
    reference = publish(
        book, edits.amend_time_limit(book.reference(), MARRIAGE_STATUS, amendment, "a", AT)
    )
    catalogue = reference.catalogue
    old = catalogue.procedure(MARRIAGE_STATUS, date(2026, 6, 30)).time_limit.amount
    assert catalogue.procedure(MARRIAGE_STATUS, date(2026, 7, 1)).time_limit.amount == 10
    assert old != 10
    with pytest.raises(edits.CatalogueConflictError, match="after 2026-05-01"):
        edits.retire(reference, MARRIAGE_STATUS, edits.Retire(effective_from=date(2026, 5, 1)),
                     "a", AT)  # fmt: skip
    retirement = edits.Retire(effective_from=date(2026, 9, 1), decision="QĐ 9")
    reference = publish(book, edits.retire(reference, MARRIAGE_STATUS, retirement, "a", AT))
    assert not [p for p in reference.catalogue.current(date(2026, 9, 1))
                if p.code == MARRIAGE_STATUS]  # fmt: skip
    assert reference.procedure_changes[MARRIAGE_STATUS][-1].what == "retired from 2026-09-01 (QĐ 9)"


def test_calendar_days_and_hours_change_what_is_computed() -> None:
    book = seeded()
    tuesday = date(2031, 6, 3)
    day_off = edits.CalendarDay(kind="day_off", note="bridge")
    reference = publish(book, edits.set_day(book.reference(), tuesday, day_off, "a", AT))
    assert not reference.calendar.is_working_day(tuesday)
    saturday = date(2031, 6, 7)
    worked = edits.CalendarDay(kind="working_day", note="swap")
    reference = publish(book, edits.set_day(reference, saturday, worked, "a", AT))
    assert reference.calendar.is_working_day(saturday)
    reference = publish(book, edits.clear_day(reference, tuesday, "a", AT))
    assert reference.calendar.is_working_day(tuesday)
    hours = edits.WorkingHours(periods=(period(8, 12), period(13, 17)), same_day_cutoff=time(16))
    reference = publish(book, edits.set_hours(reference, hours, "a", AT))
    assert reference.calendar.periods[0].start == time(8)
    assert [c.what for c in reference.calendar_entry.changes][-1] == (
        "working hours 08:00-12:00, 13:00-17:00, same-day cutoff 16:00"
    )
    overlapping = edits.WorkingHours(
        periods=(period(8, 14), period(13, 17)), same_day_cutoff=time(16)
    )
    entry = edits.set_hours(reference, overlapping, "a", AT)
    with pytest.raises(ValueError, match="overlap"):
        book.with_entries([entry])


def test_an_entry_round_trips_through_its_json() -> None:
    entry = seeded().entries["calendar"]
    assert ENTRY.validate_json(entry.model_dump_json()) == entry
    assert isinstance(Procedure, type)


def test_a_calendar_no_deadline_could_count_with_is_refused() -> None:
    reference = seeded().reference()
    with pytest.raises(ValueError, match="to the minute"):
        Period(start=time(7, 30, 1), end=time(11, 30))
    with pytest.raises(ValueError, match="at least 30 minutes"):
        period(7, 7)
    short = edits.WorkingHours(periods=(period(8, 9),), same_day_cutoff=time(8, 30))
    with pytest.raises(CatalogueError, match="at least 4 working hours"):
        edits.set_hours(reference, short, "a", AT)
    with pytest.raises(CatalogueError, match="overrides are for 2000 to 2100"):
        edits.set_day(reference, date(106, 2, 9), edits.CalendarDay(kind="day_off"), "a", AT)
