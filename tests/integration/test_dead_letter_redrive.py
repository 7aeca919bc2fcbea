"""Dead letters an operator can redrive: a receipt refused for an unknown procedure is accepted
once the catalogue has it and its dead letter is redriven; redriving it again changes nothing."""

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.events.envelope import derived_event_id
from shared.events.topics import DOSSIER_EVENTS, INTAKE_SUBMISSIONS, dead_letter_topic
from shared.messaging.dead_letters import run
from shared.web.api_keys import hash_key
from tests.support.intake_fixtures import Intake, api_key, intake, receipt
from tests.support.kafka_probe import TopicTail, committed_offset
from tests.support.kafka_requests import dead_letter_for, send
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
__all__ = ["intake"]


def new_procedure(code: str) -> dict[str, object]:
    return {"code": code, "name": "Thủ tục mới ban hành", "field": "civil_status",
            "level": "commune", "time_limit": {"amount": 3, "unit": "working_days"},
            "effective_from": "2020-01-01"}  # fmt: skip


async def tool(*argv: str) -> str:
    out = io.StringIO()
    assert await run(list(argv), out) == 0
    return out.getvalue()


async def test_a_redriven_submission_is_accepted_once_as_its_original_client(
    kafka_topics: str, intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    procedure = f"9.{int(intake.unique[:6], 16) % 1_000_000:06d}"
    submission = f"redrive-{intake.unique}"
    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    desk_key = api_key("desk", intake.unique)
    async with (
        TopicTail(kafka_topics, dead_letter_topic(INTAKE_SUBMISSIONS)) as dlq,
        TopicTail(kafka_topics, DOSSIER_EVENTS) as events,
    ):
        request = {"type": "ReceiveDossier",
                   **receipt(submission_id=submission, procedure_code=procedure)}  # fmt: skip
        await send(kafka_topics, INTAKE_SUBMISSIONS, submission, request, desk_key)
        headers = await dead_letter_for(dlq, submission)
        assert headers["x-dlq-reason"] == f"unknown procedure '{procedure}'"
        assert "x-api-key" not in headers  # the key itself never lands on a dead letter
        assert headers["x-dlq-api-key-sha256"] == hash_key(desk_key)

        added = await intake.admin("POST", "catalogue/procedures", new_procedure(procedure))
        assert added.status_code == 201, added.text

        filters = ["--topic", INTAKE_SUBMISSIONS, "--bootstrap", kafka_topics,
                   "--reason", procedure, "--since", since]  # fmt: skip
        listed = await tool("list", *filters)
        assert "1 of " in listed
        assert "Nguyễn" not in listed  # a listing shows where and why, never the message

        monkeypatch.setenv("REDRIVE_API_KEY", api_key("admin", intake.unique))
        first = await tool("redrive", *filters)
        expected_id = derived_event_id("intake", submission)

        async def receipts() -> list[dict[str, Any]] | None:
            await events.poll()
            found = [json.loads(r.value) for r in events.records]
            return [e for e in found if e["event_id"] == expected_id] or None

        [received] = await wait_for(receipts, within=30, what="the redriven receipt")
        assert received["body"]["procedure_code"] == procedure
        answer = await intake.client.get(
            f"/v1/submissions/{submission}", headers=intake.headers("desk")
        )
        assert answer.status_code == 200, answer.text  # filed as the desk, not as the admin
        code = received["body"]["dossier_code"]

        second = await tool("redrive", *filters)
        topic, partition, offset = second.splitlines()[0].split(" -> ")[1].split(":")
        assert topic == INTAKE_SUBMISSIONS
        group = f"intake-test-{intake.unique}"

        async def handled() -> bool:
            return await committed_offset(kafka_topics, group, topic, int(partition)) > int(offset)

        await wait_for(handled, within=30, what="the second redrive to be handled")
        await events.poll()
        assert len(await receipts() or []) == 1  # redriving twice: one receipt, one code
        again = await intake.client.get(
            f"/v1/submissions/{submission}", headers=intake.headers("desk")
        )
        assert again.json()["code"] == code
        assert first != second
