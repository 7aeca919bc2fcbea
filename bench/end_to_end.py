"""End-to-end benchmark: lifecycle events per second through intake, deadline, survey and
reporting, with the lag from intake to the report; and, in the same run, a raw aiokafka
produce-consume of the same messages as the baseline.

    scripts/infra.sh up && .venv/bin/python -m shared.topic_admin
    .venv/bin/python -m bench.end_to_end [--rate 500] [--seconds 30]

The four services run as processes started by the launcher (`scripts/stack.sh services-up`,
their own namespace and ports 18401-18404, consumer groups starting at the end of the
topics). The online portal, emulated here, files dossiers on `intake.submissions.v1`, learns
each code and rating token from its receipt (`GET /v1/submissions/{id}`), then resolves and
returns it, and rates it on `survey.submissions.v1`. Each dossier yields six events that
reporting applies: received, deadline set, resolved, classified, returned, rated.

Phase 1 offers `--rate` dossiers/s for `--seconds`: the events reporting applied per second.
Phase 2 offers half the rate phase 1 sustained: the lag from each event's `occurred_at`
(stamped by the service that made it: intake, deadline or survey) to its being applied to
the reports, as p50/p99 of reporting's `reporting_projection_lag_seconds` histogram
(interpolated in its buckets, as Prometheus' histogram_quantile does).
Baseline: the events of both phases, read back from the topics, produced again to a scratch
topic and consumed by a plain aiokafka consumer.
"""

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from demo.traffic import PORTAL, Portal, applicant
from shared.history import partitions_of
from shared.kafka_access import KafkaAccess
from shared.topics import DEADLINE_EVENTS, DOSSIER_EVENTS, SURVEY_EVENTS, SURVEY_SUBMISSIONS
from tests.e2e.conftest import Stack, launched_stack
from tests.kafka_clients import kafka_options
from tests.waiting import wait_for

EVENTS_PER_DOSSIER = 6
RAW_TOPIC = "bench.raw.v1"
APPLICANT = applicant(random.Random(0))  # made up


@dataclass
class Histogram:
    buckets: dict[float, float]  # upper bound -> cumulative count
    count: float

    def minus(self, earlier: "Histogram") -> "Histogram":
        return Histogram(
            {le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
            self.count - earlier.count,
        )

    def quantile(self, q: float) -> float:
        rank, lower, below = q * self.count, 0.0, 0.0
        for le, cumulative in sorted(self.buckets.items()):
            if cumulative >= rank:
                if le == float("inf"):
                    return lower
                share = (rank - below) / (cumulative - below) if cumulative > below else 1.0
                return lower + (le - lower) * share
            lower, below = le, cumulative
        return lower


async def projection_lag(client: httpx.AsyncClient, reporting: str) -> Histogram:
    text = (await client.get(f"{reporting}/metrics")).text
    buckets, count = {}, 0.0
    for line in text.splitlines():
        if line.startswith("reporting_projection_lag_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            buckets[float(le)] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("reporting_projection_lag_seconds_count"):
            count = float(line.rsplit(" ", 1)[1])
    return Histogram(buckets, count)


async def one_life(portal: Portal, key: str) -> None:
    filing = {
        "submission_id": uuid.uuid4().hex, "procedure_code": "1.001756", "agency_code": "STP",
        "channel": "online", "clerk_id": None, "applicant": APPLICANT, "return_method": "online",
    }  # fmt: skip
    receipt = await portal.file(filing, within=120)
    if receipt is None:
        raise RuntimeError("a filing got no receipt within 120 s")
    code = receipt["code"]
    for kind, extra in (("ResolveDossier", {"outcome": "approved"}), ("ReturnResult", {})):
        await portal.send(
            {"type": kind, "submission_id": uuid.uuid4().hex, "dossier_code": code, **extra}
        )
    await portal.send(
        {"type": "SubmitRating", "submission_id": uuid.uuid4().hex, "dossier_code": code,
         "level": "satisfied", "channel": "online", "rating_token": receipt["rating_token"]},
        topic=SURVEY_SUBMISSIONS,
    )  # fmt: skip


async def offer(portal: Portal, key: str, rate: float, seconds: float) -> int:
    """Start `rate` dossier lives per second for `seconds`; wait for every request to be sent."""
    lives: list[asyncio.Task[None]] = []
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate) + 1
        while len(lives) < due:
            lives.append(asyncio.create_task(one_life(portal, key)))
        await asyncio.sleep(0.01)
    await asyncio.gather(*lives)
    return len(lives)


async def phase(
    stack: Stack, portal: Portal, client: httpx.AsyncClient, rate: float, seconds: float
) -> tuple[int, float, Histogram]:
    """Dossiers offered, events applied per second (until all were applied), lag histogram."""
    reporting = stack.url("reporting")
    before = await projection_lag(client, reporting)
    began = time.monotonic()
    dossiers = await offer(portal, stack.key, rate, seconds)
    expected = before.count + dossiers * EVENTS_PER_DOSSIER

    async def all_applied() -> Histogram | None:
        now = await projection_lag(client, reporting)
        return now if now.count >= expected else None

    after = await wait_for(all_applied, within=600, what="reporting to apply every event")
    elapsed = time.monotonic() - began
    lag = after.minus(before)
    return dossiers, lag.count / elapsed, lag


async def raw_baseline(bootstrap: str, starts: dict[TopicPartition, int]) -> tuple[int, float]:
    """The run's events read back from the topics, produced to a scratch topic and consumed by
    a plain consumer: messages per second from the first send to the last receipt."""
    messages = await read_since(bootstrap, starts)
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(RAW_TOPIC, 12, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()
    group = f"bench-raw-{uuid.uuid4().hex[:8]}"
    consumer = AIOKafkaConsumer(RAW_TOPIC, **kafka_options(bootstrap), group_id=group,
                                auto_offset_reset="latest")  # fmt: skip
    producer = AIOKafkaProducer(**kafka_options(bootstrap), enable_idempotence=True,
                                linger_ms=5)  # fmt: skip
    await consumer.start()
    await producer.start()
    try:

        async def assigned() -> bool:
            return bool(consumer.assignment())

        await wait_for(assigned, within=60, what="the raw consumer's partitions")
        for partition in consumer.assignment():
            await consumer.position(partition)
        began = time.monotonic()
        sending = asyncio.gather(
            *[await producer.send(RAW_TOPIC, value, key=key) for key, value in messages]
        )
        received = 0
        while received < len(messages):
            batches = await consumer.getmany(timeout_ms=500)
            received += sum(len(records) for records in batches.values())
        await sending
        return len(messages), len(messages) / (time.monotonic() - began)
    finally:
        await producer.stop()
        await consumer.stop()


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap))
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for topic in (DOSSIER_EVENTS, DEADLINE_EVENTS, SURVEY_EVENTS)
            for p in await partitions_of(consumer, topic)
        ]  # fmt: skip
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def read_since(
    bootstrap: str, starts: dict[TopicPartition, int]
) -> list[tuple[bytes | None, bytes]]:
    ends = await end_offsets(bootstrap)
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(starts))
        for partition, offset in starts.items():
            consumer.seek(partition, offset)
        messages: list[tuple[bytes | None, bytes]] = []
        while any([await consumer.position(tp) < ends[tp] for tp in starts]):
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                messages += [(record.key, record.value or b"") for record in records]
        return messages
    finally:
        await consumer.stop()


async def main(rate: float, seconds: float) -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    namespace = f"bench-e2e-{os.getpid()}"
    with tempfile.TemporaryDirectory() as run_dir:
        async for stack in launched_stack(bootstrap, namespace, Path(run_dir), base_port=18400):
            async with (
                httpx.AsyncClient(timeout=30) as client,
                Portal(
                    KafkaAccess.resolve(bootstrap, PORTAL), stack.key, stack.url("intake")
                ) as portal,
            ):
                starts = await end_offsets(bootstrap)
                full = await phase(stack, portal, client, rate, seconds)
                half_rate = full[1] / 2 / EVENTS_PER_DOSSIER  # half the sustained rate
                half = await phase(stack, portal, client, half_rate, seconds)
            raw_messages, raw_rate = await raw_baseline(bootstrap, starts)
    dossiers, events_per_second, lag = full
    half_dossiers, half_events, half_lag = half
    print(f"machine: {os.cpu_count()} cores; services, Kafka, Redis and this driver share them")
    print(f"{'measure':<58}{'figure':>14}   target")
    print(f"{'phase 1: dossiers offered (x6 events), ' + f'{rate:g}/s for {seconds:g} s':<58}"
          f"{dossiers:>14,}")  # fmt: skip
    print(f"{'  events applied by reporting per second, end to end':<58}"
          f"{events_per_second:>14,.0f}   >= 3,000")  # fmt: skip
    print(f"{'  lag p50 / p99 (ms)':<58}"
          f"{lag.quantile(0.5) * 1000:>6,.0f} / {lag.quantile(0.99) * 1000:>5,.0f}")  # fmt: skip
    print(f"{'phase 2: half the sustained rate, ' + f'{half_rate:.0f} dossiers/s':<58}"
          f"{half_dossiers:>14,}")  # fmt: skip
    print(f"{'  events applied per second':<58}{half_events:>14,.0f}")
    print(f"{'  lag p50 / p99 (ms), intake to the report':<58}"
          f"{half_lag.quantile(0.5) * 1000:>6,.0f} / {half_lag.quantile(0.99) * 1000:>5,.0f}"
          f"   p99 <= 250")  # fmt: skip
    print(f"{'raw aiokafka produce+consume of the same ' + f'{raw_messages:,} messages/s':<58}"
          f"{raw_rate:>14,.0f}")  # fmt: skip
    print(f"{'ratio end to end / raw':<58}{events_per_second / raw_rate:>14.2f}   >= 0.25")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500, help="dossiers per second (x6 events)")
    parser.add_argument("--seconds", type=float, default=30)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rate, arguments.seconds))
