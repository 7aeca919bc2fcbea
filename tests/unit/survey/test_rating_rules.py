"""Rating rules, pure."""

from datetime import datetime, timedelta

import pytest

from services.survey.rating_rules import (
    DossierFacts,
    RatingConflictError,
    RatingRejectedError,
    StoredRating,
    Windows,
    accept_rating,
    check_rating,
    kiosk_dossier,
    masked_comment,
)
from shared.business_calendar import VIETNAM
from shared.events.survey import SubmitRating
from shared.events.vocabulary import Level, RatingChannel, RatingLevel

NOW = datetime(2026, 3, 2, 9, tzinfo=VIETNAM)
FACTS = DossierFacts(
    code="UBND.Q1-260302-0001",
    agency_code="UBND.Q1",
    procedure_code="1.001",
    level=Level.DISTRICT,
    clerk_id="c7",
    received_at=NOW - timedelta(minutes=5),
)


def rating(**fields: object) -> SubmitRating:
    values: dict[str, object] = {
        "submission_id": "s",
        "dossier_code": FACTS.code,
        "level": "satisfied",
        "channel": "counter",
    }
    return SubmitRating.model_validate(values | fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"level": "dissatisfied"}, "reason is required"),
        ({"dossier_code": None}, "needs a dossier_code"),
        ({"dossier_code": None, "clerk_id": "c7", "channel": "online"}, "only a kiosk"),
    ],
)
def test_ratings_refused_before_any_lookup(fields: dict[str, object], message: str) -> None:
    with pytest.raises(RatingRejectedError, match=message):
        check_rating(rating(**fields))


def test_kiosk_window_is_ten_minutes() -> None:
    assert kiosk_dossier("c7", FACTS, NOW, Windows()) == FACTS
    with pytest.raises(RatingRejectedError):
        kiosk_dossier("c7", FACTS, NOW + timedelta(minutes=6), Windows())


def test_replacement_keeps_the_first_rating_time_and_names_what_it_replaces() -> None:
    first, stored = accept_rating(rating(), FACTS, None, NOW, Windows())
    second, restored = accept_rating(
        rating(submission_id="t", level="very_satisfied"), FACTS, stored, NOW + timedelta(hours=5),
        Windows(),
    )  # fmt: skip
    assert second.body.replaces_event_id == first.event_id
    assert restored.first_rated_at == NOW
    assert restored.rating is RatingLevel.VERY_SATISFIED
    late = StoredRating(
        event_id="x", channel=RatingChannel.COUNTER, first_rated_at=NOW - timedelta(hours=25),
        rating=RatingLevel.SATISFIED,
    )  # fmt: skip
    with pytest.raises(RatingConflictError):
        accept_rating(rating(), FACTS, late, NOW, Windows())


def test_comment_masking() -> None:
    assert masked_comment("số 0912345678") == "số <phone>"
    assert masked_comment(None) is None
