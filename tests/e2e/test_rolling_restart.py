"""Rolling restarts of two instances of each consuming service, under steady traffic (issue 35).

Each instance of deadline, survey and reporting is restarted in turn, three rounds, half with
SIGTERM and half with kill -9, with no pause between rounds (the next one goes as soon as the
launcher finds the stack healthy again). Then every consumer group's committed offsets reach
the end of every partition within 60 s (no group left behind by a rebalance), every dossier a
desk was answered for is in the reports exactly once, and the independent audit passes."""

import asyncio
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.domain.business_calendar import VIETNAM
from shared.events.topics import TOPICS
from tests.support.desk_traffic import DESKS, Traffic, at_least
from tests.support.kafka_clients import kafka_options
from tests.support.provable import assert_reports_provable
from tests.support.stack import Stack, launched_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
CONSUMERS = ("deadline", "survey", "reporting")
ROUNDS = 3


@pytest.fixture(scope="module")
async def two_of_each(
    kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    run_dir = tmp_path_factory.mktemp("rolling")
    namespace = f"roll{os.getpid()}-{run_dir.name}"
    async for launched in launched_stack(
        kafka_topics, namespace, run_dir, instances=2, base_port=18400
    ):
        yield launched


@pytest.mark.timeout(900)
@pytest.mark.budget(840)
async def test_rolling_restarts_lose_nothing_and_leave_no_group_behind(
    two_of_each: Stack, redis_url: str
) -> None:
    stack = two_of_each
    instances = [name for service in CONSUMERS for name in (service, f"{service}-2")]
    traffic = Traffic(stack, pace=0.3)
    desks = [asyncio.create_task(traffic.desk(n)) for n in range(DESKS)]
    restarts: list[tuple[str, str]] = []
    try:
        await wait_for(lambda: at_least(traffic, 20), within=120, what="traffic before")
        for n in range(ROUNDS * len(instances)):
            name = instances[n % len(instances)]
            # alternate, and shift by one each round: every instance gets both kinds
            sig = signal.SIGTERM if (n + n // len(instances)) % 2 == 0 else signal.SIGKILL
            await stack.kill(name, sig)
            await stack.launcher("services-up")  # starts it again; returns once all are healthy
            restarts.append((name, sig.name))
        before = len(traffic.answered)
        await wait_for(lambda: at_least(traffic, before + 10), within=120, what="traffic after")
    finally:
        traffic.stop.set()
        await asyncio.gather(*desks)
    signals = Counter(sig for _, sig in restarts)
    assert signals == {"SIGTERM": 9, "SIGKILL": 9}, restarts

    behind: list[str] = []

    async def caught_up() -> bool:
        behind[:] = await groups_behind(stack)
        return not behind

    try:
        await wait_for(caught_up, within=60, what="every group at its partitions' end")
    except AssertionError as error:
        raise AssertionError(
            f"{error}; behind (group topic[partition] committed/end): {behind}"
        ) from error
    today = datetime.now(VIETNAM)
    period = f"{today.year}-M{today.month:02d}"
    await assert_reports_provable(stack, redis_url, period)
    listed = await listed_codes(stack, period)
    assert [code for code, times in Counter(listed).items() if times > 1] == []
    assert set(listed) == set(traffic.answered)


async def groups_behind(stack: Stack) -> list[str]:
    """Each partition a consuming group reads (the subscribers its /health lists) whose
    committed offset is short of the partition's end."""
    admin = AIOKafkaAdminClient(**kafka_options(stack.bootstrap))
    consumer = AIOKafkaConsumer(**kafka_options(stack.bootstrap))
    await admin.start()
    await consumer.start()
    behind = []
    try:
        for service in CONSUMERS:
            group = f"{service}-{stack.namespace}"
            partitions = [
                TopicPartition(spec.name, p)
                for spec in TOPICS
                if spec.name in await subscribed_topics(stack, service)
                for p in range(spec.partitions)
            ]
            ends = await consumer.end_offsets(partitions)
            committed = await admin.list_consumer_group_offsets(group)
            for tp in partitions:
                done = committed[tp].offset if tp in committed else -1
                if done < ends[tp]:
                    behind.append(f"{group} {tp.topic}[{tp.partition}] {done}/{ends[tp]}")
        return behind
    finally:
        await consumer.stop()
        await admin.close()


async def subscribed_topics(stack: Stack, service: str) -> set[str]:
    async with httpx.AsyncClient(timeout=30) as client:
        health = (await client.get(f"{stack.url(service)}/health")).json()
    return {topic for name in health["consumers"] for topic in name.split(",")}


async def listed_codes(stack: Stack, period: str) -> list[str]:
    """Every dossier the processing report counts as received in the period, page by page."""
    url = f"{stack.url('reporting')}/v1/reports/processing/dossiers"
    codes: list[str] = []
    after: str | None = None
    async with httpx.AsyncClient(timeout=60) as client:
        while True:
            query = {"period": period, "column": "new_total", "page_size": "1000"}
            answer = await client.get(url, params=query | ({"after": after} if after else {}))
            assert answer.status_code == 200, answer.text
            body = answer.json()
            codes += [line["code"] for line in body["dossiers"]]
            after = body["next_after"]
            if after is None:
                return codes
