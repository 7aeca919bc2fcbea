"""Rating rules, pure."""

from datetime import datetime, timedelta

import pytest

from services.survey.domain.rating_rules import (
    DossierFacts,
    RatingConflictError,
    RatingRejectedError,
    StoredRating,
    Windows,
    accept_rating,
    authorize_rating,
    check_rating,
    kiosk_dossier,
    masked_comment,
)
from shared.domain.business_calendar import VIETNAM
from shared.domain.rating_reasons import ReasonCategories
from shared.domain.rating_tokens import new_token, token_hash
from shared.events.survey import SubmitRating
from shared.events.vocabulary import Level, RatingChannel, RatingLevel
from shared.web.api_keys import AccessDeniedError, Client, Scope, UnauthenticatedError

NOW = datetime(2026, 3, 2, 9, tzinfo=VIETNAM)
TOKEN = new_token()
REASONS = ReasonCategories.from_file()
KIOSK_Q1 = Client(
    id="kiosk-q1", key_sha256="0" * 64, scopes=frozenset({Scope.RATING}),
    agencies=frozenset({"UBND.Q1"}),
)  # fmt: skip
KIOSK_Q3 = KIOSK_Q1.model_copy(update={"id": "kiosk-q3", "agencies": frozenset({"UBND.Q3"})})
IMPORTER = KIOSK_Q1.model_copy(update={"scopes": frozenset({Scope.RATING, Scope.IMPORT})})
FACTS = DossierFacts(
    code="UBND.Q1-260302-0001",
    agency_code="UBND.Q1",
    procedure_code="1.001",
    level=Level.DISTRICT,
    clerk_id="c7",
    received_at=NOW - timedelta(minutes=5),
    rating_token_sha256=token_hash(TOKEN),
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
        check_rating(rating(**fields), KIOSK_Q1, REASONS)


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


def test_anonymous_ratings_need_the_receipts_token() -> None:
    backdated = rating(channel="online", occurred_at="2019-06-01T09:00:00+07:00")
    with pytest.raises(UnauthenticatedError, match="rating_token"):
        check_rating(backdated, None, REASONS)
    with pytest.raises(UnauthenticatedError):  # a clerk's kiosk rating needs the kiosk's key
        check_rating(rating(dossier_code=None, clerk_id="c7", rating_token=TOKEN), None, REASONS)
    check_rating(rating(channel="online", rating_token=TOKEN), None, REASONS)


def test_only_the_import_scope_sets_a_ratings_time() -> None:
    backdated = rating(occurred_at="2019-06-01T09:00:00+07:00")
    with pytest.raises(RatingRejectedError, match="import scope"):
        check_rating(backdated, KIOSK_Q1, REASONS)
    with pytest.raises(RatingRejectedError, match="import scope"):
        check_rating(backdated.model_copy(update={"rating_token": TOKEN}), None, REASONS)
    check_rating(backdated, IMPORTER, REASONS)


def test_the_token_must_be_the_dossiers_and_a_key_must_act_for_its_agency() -> None:
    authorize_rating(rating(rating_token=TOKEN), None, FACTS)
    with pytest.raises(AccessDeniedError, match="not the one"):
        authorize_rating(rating(rating_token=new_token()), None, FACTS)
    with pytest.raises(AccessDeniedError, match="not the one"):  # received before tokens
        authorize_rating(rating(rating_token=TOKEN), None, FACTS.model_copy(
            update={"rating_token_sha256": None}))  # fmt: skip
    authorize_rating(rating(), KIOSK_Q1, FACTS)
    with pytest.raises(AccessDeniedError, match=r"may not act for UBND\.Q1"):
        authorize_rating(rating(), KIOSK_Q3, FACTS)
    frontend_only = KIOSK_Q1.model_copy(update={"scopes": frozenset({Scope.FRONTEND})})
    with pytest.raises(AccessDeniedError, match="'rating' scope"):
        authorize_rating(rating(), frontend_only, FACTS)


def test_a_dissatisfied_ratings_reason_is_kept_masked_with_its_category() -> None:
    unhappy = rating(level="dissatisfied", reason="chờ lâu, gọi 0912345678",
                     reason_category="waiting_time")  # fmt: skip
    check_rating(unhappy, KIOSK_Q1, REASONS)
    event, _ = accept_rating(unhappy, FACTS, None, NOW, Windows())
    assert event.body.reason_category == "waiting_time"
    assert event.body.reason == "chờ lâu, gọi <phone>"
    uncategorised = rating(level="dissatisfied", reason="không rõ")
    event, _ = accept_rating(uncategorised, FACTS, None, NOW, Windows())
    assert event.body.reason_category == "other"
    with pytest.raises(RatingRejectedError, match="unknown reason_category 'rude'"):
        check_rating(unhappy.model_copy(update={"reason_category": "rude"}), KIOSK_Q1, REASONS)
    with pytest.raises(RatingRejectedError, match="dissatisfied ratings only"):
        check_rating(rating(reason_category="waiting_time"), KIOSK_Q1, REASONS)
    happy, _ = accept_rating(rating(), FACTS, None, NOW, Windows())
    assert happy.body.reason_category is None
    assert happy.body.reason is None
