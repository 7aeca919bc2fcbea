"""The rebuild command replays the topics into a fresh keyspace and switches to it; its
reports are identical to the live ones."""

from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings
from services.reporting.store.postgres import PostgresKeyspace
from services.reporting.tools.rebuild import TOPICS, rebuild
from shared.web.api_keys import hash_key
from tests.support.kafka_clients import kafka_options
from tests.support.publishing import publish
from tests.support.report_scenario import late_events, march_events
from tests.support.running_service import running
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
KEY = "province-reports-key"
AUTH = {"X-API-Key": KEY}
REPORTS = [
    "/v1/reports/processing?period=2026-M03&group_by=agency",
    "/v1/reports/processing?period=2026-Q1&group_by=procedure",
    "/v1/reports/processing?from=2026-02-15&to=2026-03-14&group_by=level",
    "/v1/reports/processing?period=2026-Y&regime=true&group_by=field",
    "/v1/reports/satisfaction?period=2026-M03&group_by=clerk&minimum=1",
]


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(*TOPICS, **kafka_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(list(consumer.assignment())))
    finally:
        await consumer.stop()


async def committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items()}


@pytest.mark.parametrize("workers", [1, 2])  # in this process; partitions shared by two
async def test_rebuilt_reports_equal_the_live_ones(
    kafka_topics: str, redis_url: str, unique: str, tmp_path: Path, workers: int
) -> None:
    keys = tmp_path / "api_keys.toml"  # the table by clerk names people: a reports key
    keys.write_text(f'[[client]]\nid = "province"\nkey_sha256 = "{hash_key(KEY)}"\n'
                    'scopes = ["reports"]\nagencies = ["*"]\n')  # fmt: skip
    events, codes = march_events(f"B{unique[:6].upper()}")
    await publish(kafka_topics, events + late_events(codes))
    env: dict[str, Any] = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_topics, "REDIS_URL": redis_url,
        "CONSUMER_GROUP": f"reporting-test-{unique}-live", "REDIS_KEY_PREFIX": f"test-{unique}-rep",
        "API_KEYS_FILE": str(keys),
    }  # fmt: skip
    settings = ReportingSettings.model_validate(env)
    async with running(create_app(settings)) as live:
        ends = await end_offsets(kafka_topics)  # a fresh group reads the topics from the start

        behind: dict[str, tuple[int, int]] = {}  # partition: (committed, end), for a failure

        async def caught_up() -> bool:
            done = await committed(kafka_topics, env["CONSUMER_GROUP"])
            behind.clear()
            behind.update(
                {f"{tp.topic}[{tp.partition}]": (done.get(tp, 0), end)
                 for tp, end in ends.items() if done.get(tp, 0) < end}
            )  # fmt: skip
            return not behind

        try:
            await wait_for(caught_up, within=300, what="the live projection to catch up")
        except AssertionError as error:
            raise AssertionError(f"{error}; behind (committed, end): {behind}") from None
        before = [(await live.get(path, headers=AUTH)).json() for path in REPORTS]
        summary = await rebuild(settings, workers)
        keyspace: PostgresKeyspace = live._transport.app.state.runtime.state  # type: ignore[attr-defined]
        assert (await keyspace.current()).schema == summary["keyspace"]
        assert summary["events"] >= len(events)
        after = [(await live.get(path, headers=AUTH)).json() for path in REPORTS]
    assert after == before
    assert before[0]["total"]["received_total"] >= 8
