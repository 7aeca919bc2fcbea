"""Who a dead letter and a redriven message act for (no Kafka)."""

import pytest

from shared.messaging.dead_letters import DeadLetter, redriven_headers
from shared.messaging.publishing import carried_headers
from shared.web.api_keys import (
    AccessDeniedError,
    ApiKeys,
    Client,
    Scope,
    UnauthenticatedError,
    hash_key,
)

DESK = Client(id="desk", key_sha256=hash_key("desk-key"), scopes=frozenset({Scope.FRONTEND}))
ADMIN = Client(id="ops", key_sha256=hash_key("admin-key"), scopes=frozenset({Scope.ADMIN}))
KEYS = ApiKeys([DESK, ADMIN])


def letter(headers: dict[str, str]) -> DeadLetter:
    return DeadLetter("intake.submissions.v1.dlq", 1, 7, b"k", b"{}", headers)


def test_a_dead_letter_keeps_the_headers_but_only_the_hash_of_the_key() -> None:
    carried = carried_headers([("x-api-key", b"desk-key"), ("traceparent", b"00-abc")])
    assert carried == {"x-dlq-api-key-sha256": hash_key("desk-key"), "traceparent": "00-abc"}


def test_a_redriven_message_acts_for_its_original_client() -> None:
    dead = letter({"x-dlq-api-key-sha256": DESK.key_sha256, "x-dlq-reason": "unknown procedure"})
    headers = redriven_headers(dead, "admin-key")
    as_dict = {name: value.decode() for name, value in headers}
    assert as_dict["x-redrive-of"] == "intake.submissions.v1.dlq:1:7"
    assert "x-dlq-reason" not in as_dict
    assert KEYS.message_client(as_dict) == DESK


def test_a_redriven_message_that_fails_again_still_names_the_original_client() -> None:
    redriven = [("x-api-key", b"admin-key"), ("x-redrive-for-key-sha256", DESK.key_sha256.encode())]
    assert carried_headers(redriven) == {"x-dlq-api-key-sha256": DESK.key_sha256}


def test_only_an_admin_key_may_redrive_and_only_for_a_key_still_held() -> None:
    with pytest.raises(AccessDeniedError):
        KEYS.message_client({"x-api-key": "desk-key", "x-redrive-for-key-sha256": ADMIN.key_sha256})
    with pytest.raises(UnauthenticatedError):
        KEYS.message_client({"x-api-key": "admin-key", "x-redrive-for-key-sha256": "0" * 64})
    keyless = {"x-api-key": "admin-key", "x-redrive-for-key-sha256": ""}
    assert KEYS.message_client_optional(keyless) is None  # a rating that came with its token
    with pytest.raises(UnauthenticatedError):
        KEYS.message_client(keyless)
