"""End-to-end benchmark: lifecycle events per second through intake, deadline, survey and
reporting, with the lag from intake to the report; and, in the same run, a raw aiokafka
produce-consume of the same messages as the baseline.

    scripts/infra.sh up && .venv/bin/python -m shared.messaging.topic_admin
    .venv/bin/python -m bench.end_to_end [--rate 500] [--seconds 30]

The four services run as processes started by the launcher (`scripts/stack.sh services-up`,
their own namespace and ports 18401-18404, consumer groups starting at the end of the topics).
The online portal, emulated here, files dossiers on `intake.submissions.v1` (as the `portal`
principal), learns each code from its `DossierReceived` (see `Receipts`), then resolves and
returns it, and rates it for the citizen on `survey.submissions.v1` with its key. Each dossier
yields six events that reporting applies: received, deadline set, resolved, classified,
returned, rated.

Phase 1 offers `--rate` dossiers/s for `--seconds`: the events reporting applied per second.
Phase 2 offers half the rate phase 1 sustained: the lag from each event's `occurred_at`
(stamped by the service that made it: intake, deadline or survey) to its being applied to
the reports, as p50/p99 of reporting's `reporting_projection_lag_seconds` histogram
(interpolated in its buckets, as Prometheus' histogram_quantile does).
`--profile DIR`: py-spy samples each service through phase 1 (`DIR/<service>.txt`, collapsed
stacks; `python -m bench.profile_table DIR` sums them by where the CPU goes).
Phase 2 also prints, for each event type, the time from its `occurred_at` to its send to
Kafka (the record's timestamp): where the lag accrues before reporting (deadline's events take
their cause's time, so theirs includes intake's hop and the transport).
`--lag-at RATE [--rounds N] [--instances 2]`: phase 2 alone at RATE dossiers/s, N rounds on
one stack (the spread from run to run, to compare two versions at the same load); each round
prints the rate offered and the events applied per second, so a rate above what the stack
sustains shows as such. Issue 17's lag target is at half of 2,500 events/s: `--lag-at 208`.
Baseline: the events of both phases, read back from the topics, produced again to a scratch
topic and consumed by a plain aiokafka consumer.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from demo.traffic import PORTAL, Portal, applicant
from shared.events.envelope import derived_event_id
from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS, SURVEY_EVENTS, SURVEY_SUBMISSIONS
from shared.messaging.history import partitions_of
from shared.messaging.kafka_access import KafkaAccess
from tests.support.kafka_clients import kafka_options
from tests.support.service_process import ROOT
from tests.support.stack import Stack, launched_stack
from tests.support.waiting import wait_for

EVENTS_PER_DOSSIER = 6
SERVICES = ("intake", "deadline", "survey", "reporting")
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


async def projection_lag(client: httpx.AsyncClient, reporting: list[str]) -> Histogram:
    """The projection-lag histogram, summed over the reporting instances."""
    buckets: dict[float, float] = {}
    count = 0.0
    for url in reporting:
        for line in (await client.get(f"{url}/metrics")).text.splitlines():
            if line.startswith("reporting_projection_lag_seconds_bucket"):
                le = float(line.split('le="')[1].split('"')[0])
                buckets[le] = buckets.get(le, 0.0) + float(line.rsplit(" ", 1)[1])
            elif line.startswith("reporting_projection_lag_seconds_count"):
                count += float(line.rsplit(" ", 1)[1])
    return Histogram(buckets, count)


class Receipts:
    """Learns each filing's dossier code from its `DossierReceived` on `dossier.events.v1`
    (read as the operator; the event id is derived from the submission id), so the emulated
    portal need not poll intake's HTTP API for every receipt: at a few hundred filings a
    second the polls would cost intake more than the filings."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            DOSSIER_EVENTS, **kafka_options(bootstrap), group_id=f"bench-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="latest", enable_auto_commit=False,
        )  # fmt: skip
        self.waiting: dict[str, asyncio.Future[str]] = {}
        self.reading: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "Receipts":
        await self.consumer.start()

        async def assigned() -> bool:
            return bool(self.consumer.assignment())

        await wait_for(assigned, within=60, what="the receipts reader's partitions")
        for partition in self.consumer.assignment():
            await self.consumer.position(partition)
        self.reading = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.reading is not None:
            self.reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reading
        await self.consumer.stop()

    def expect(self, submission_id: str) -> "asyncio.Future[str]":
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiting[derived_event_id("intake", submission_id)] = future
        return future

    async def _read(self) -> None:
        while True:
            for records in (await self.consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    event = json.loads(record.value or b"{}")
                    future = self.waiting.pop(event.get("event_id", ""), None)
                    if future is not None and not future.done():
                        future.set_result(event["body"]["dossier_code"])


async def one_life(portal: Portal, receipts: Receipts) -> None:
    filing = {
        "submission_id": uuid.uuid4().hex, "procedure_code": "1.001756", "agency_code": "STP",
        "channel": "online", "clerk_id": None, "applicant": APPLICANT, "return_method": "online",
    }  # fmt: skip
    received = receipts.expect(str(filing["submission_id"]))
    await portal.send({"type": "ReceiveDossier", **filing})
    code = await asyncio.wait_for(received, timeout=600)
    for kind, extra in (("ResolveDossier", {"outcome": "approved"}), ("ReturnResult", {})):
        await portal.send(
            {"type": kind, "submission_id": uuid.uuid4().hex, "dossier_code": code, **extra}
        )
    # rated by the portal for the citizen, with its key (a frontend of the agency)
    await portal.send(
        {"type": "SubmitRating", "submission_id": uuid.uuid4().hex, "dossier_code": code,
         "level": "satisfied", "channel": "online"},
        topic=SURVEY_SUBMISSIONS,
    )  # fmt: skip


async def offer(portal: Portal, receipts: Receipts, rate: float, seconds: float) -> int:
    """Start `rate` dossier lives per second for `seconds`; wait for every request to be sent."""
    lives: list[asyncio.Task[None]] = []
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate) + 1
        while len(lives) < due:
            lives.append(asyncio.create_task(one_life(portal, receipts)))
        await asyncio.sleep(0.01)
    await asyncio.gather(*lives)
    return len(lives)


async def profiled(stack: Stack, seconds: float, out: Path) -> None:
    """py-spy on each service process for `seconds` (collapsed stacks, 100 samples/s)."""
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the run)
    spies = []
    spy = str(Path(sys.executable).parent / "py-spy")
    pids = {s: (stack.run_dir / f"{s}.pid").read_text().strip() for s in SERVICES}
    infra = Path(os.environ.get("RUN_DIR", ROOT / ".run"))
    others = {"kafka": (infra / "kafka.pid").read_text().strip(),
              "redis": (infra / "redis.pid").read_text().strip(),
              "benchmark driver": str(os.getpid())}  # fmt: skip
    before = {s: cpu_seconds(pid) for s, pid in (pids | others).items()}
    began = time.monotonic()
    for service, pid in pids.items():
        spies.append(await asyncio.create_subprocess_exec(
            spy, "record", "--pid", pid, "--duration", str(int(seconds)), "--rate", "100",
            "--format", "raw", "--nonblocking", "--output", str(out / f"{service}.txt"),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        ))  # fmt: skip
    await asyncio.gather(*(spy.wait() for spy in spies))
    elapsed = time.monotonic() - began
    used = {s: (cpu_seconds(pid) - before[s]) / elapsed for s, pid in (pids | others).items()}
    (out / "cpu.json").write_text(json.dumps(used))


def cpu_seconds(pid: str) -> float:
    """User and system CPU a process used so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def phase(
    driven: "Driven", rate: float, seconds: float, profile: Path | None = None
) -> tuple[int, float, Histogram, int]:
    """Dossiers offered, events applied per second (until all were applied), lag histogram,
    events that never reached the reports."""
    stack, client = driven.stack, driven.client
    # every reporting instance applies its share of the partitions: their histograms add up
    reporting = [
        f"http://127.0.0.1:{stack.port('reporting') + 100 * i}" for i in range(stack.instances)
    ]
    before = await projection_lag(client, reporting)
    began = time.monotonic()
    spying = asyncio.create_task(profiled(stack, seconds, profile)) if profile else None
    dossiers = await offer(driven.portal, driven.receipts, rate, seconds)
    if spying is not None:
        await spying
    expected = before.count + dossiers * EVENTS_PER_DOSSIER

    # Polled once a second: a scrape refreshes reporting's month gauges, which reads the
    # month's dossiers, so scraping faster would load the service the benchmark measures.
    # Ends when every event was applied, or when none was for 20 s (then some are missing:
    # the table says how many, and the run fails).
    after = await projection_lag(client, reporting)
    progressed = time.monotonic()
    while after.count < expected and time.monotonic() - progressed < 20:
        await asyncio.sleep(1.0)
        now = await projection_lag(client, reporting)
        if now.count > after.count:
            after, progressed = now, time.monotonic()
    finished = time.monotonic() if after.count >= expected else progressed
    missing = int(expected - after.count)
    lag = after.minus(before)
    return dossiers, lag.count / (finished - began), lag, missing


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
    return [(record.key, record.value or b"") for record in await records_since(bootstrap, starts)]


async def records_since(
    bootstrap: str, starts: dict[TopicPartition, int], ends: dict[TopicPartition, int] | None = None
) -> list[Any]:
    """The records of the three event topics from `starts` to `ends` (default: now)."""
    ends = ends or await end_offsets(bootstrap)
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(starts))
        for partition, offset in starts.items():
            consumer.seek(partition, offset)
        found: list[Any] = []
        while any([await consumer.position(tp) < ends[tp] for tp in starts]):
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                found += [
                    record
                    for record in records
                    if record.offset < ends[TopicPartition(record.topic, record.partition)]
                ]
        return found
    finally:
        await consumer.stop()


async def hops(
    bootstrap: str, starts: dict[TopicPartition, int], ends: dict[TopicPartition, int]
) -> dict[str, tuple[int, float, float]]:
    """Where the lag accrues before reporting: for each event type, from its `occurred_at` to
    its send to Kafka (the record's timestamp, stamped by the producer), p50 and p99 in ms.
    An event that takes its cause's time (deadline's) includes the hops before it."""
    delays: dict[str, list[float]] = {}
    for record in await records_since(bootstrap, starts, ends):
        event = json.loads(record.value or b"{}")
        occurred = datetime.fromisoformat(event["occurred_at"]).timestamp() * 1000
        delays.setdefault(event["type"], []).append(record.timestamp - occurred)
    return {
        kind: (len(found), _percentile(found, 0.5), _percentile(found, 0.99))
        for kind, found in delays.items()
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@asynccontextmanager
async def second_intake(stack: Stack) -> AsyncIterator[None]:
    """Another intake process in the stack's consumer group (the launcher's INSTANCES=2 adds
    second instances of deadline, survey and reporting only)."""
    port = stack.base_port + 101
    env = stack.env | {
        "INSTANCE_ID": "2", "INTAKE_PORT": str(port), "CONSUMER_GROUP": f"intake-{stack.namespace}",
        "REDIS_KEY_PREFIX": f"{stack.namespace}-intake",
        "API_KEYS_FILE": str(stack.run_dir / "api_keys.toml"),
    }  # fmt: skip
    with (stack.run_dir / "intake-2.log").open("w") as log:
        process = await asyncio.create_subprocess_exec(
            env["PYTHON"], "-m", "services.intake", env=env, stdout=log, stderr=log, cwd=ROOT
        )
    try:
        async with httpx.AsyncClient(timeout=2) as client:

            async def healthy() -> bool:
                try:
                    return (await client.get(f"http://127.0.0.1:{port}/health")).is_success
                except httpx.HTTPError:
                    return False

            await wait_for(healthy, within=120, what="the second intake")
        yield
    finally:
        process.terminate()
        await process.wait()


@dataclass
class Driven:
    """A launched stack and what drives it: the portal that files, the reader of its
    receipts, and an HTTP client for reporting's metrics."""

    stack: Stack
    portal: Portal
    receipts: Receipts
    client: httpx.AsyncClient


@asynccontextmanager
async def driven_stack(bootstrap: str, instances: int) -> AsyncIterator[Driven]:
    """The four services launched (`instances` of each), with a second intake process when
    there are two; their logs are kept in a temporary folder, printed first."""
    run_dir = tempfile.mkdtemp(prefix="bench-e2e-")  # kept: the services' logs
    print(f"machine: {os.cpu_count()} cores; services, Kafka, Redis and this driver share them")
    print(f"instances of each service: {instances}")
    print(f"the services' logs: {run_dir}")
    async for stack in launched_stack(
        bootstrap, f"bench-e2e-{os.getpid()}", Path(run_dir), base_port=18400, instances=instances
    ):
        async with (
            second_intake(stack) if instances > 1 else contextlib.nullcontext(),
            httpx.AsyncClient(timeout=30) as client,
            Portal(
                KafkaAccess.resolve(bootstrap, PORTAL), stack.key, stack.url("intake")
            ) as portal,
            Receipts(bootstrap) as receipts,
        ):
            yield Driven(stack, portal, receipts, client)


async def main(rate: float, seconds: float, profile: Path | None, instances: int) -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    async with driven_stack(bootstrap, instances) as driven:
        starts = await end_offsets(bootstrap)
        full = await phase(driven, rate, seconds, profile)
        half_rate = full[1] / 2 / EVENTS_PER_DOSSIER  # half the sustained rate
        half_starts = await end_offsets(bootstrap)
        half = await phase(driven, half_rate, seconds)
        half_hops = await hops(bootstrap, half_starts, await end_offsets(bootstrap))
    raw_messages, raw_rate = await raw_baseline(bootstrap, starts)
    dossiers, events_per_second, lag, missing = full
    half_dossiers, half_events, half_lag, half_missing = half
    print(f"{'measure':<58}{'figure':>14}   target")
    print(f"{'phase 1: dossiers offered (x6 events), ' + f'{rate:g}/s for {seconds:g} s':<58}"
          f"{dossiers:>14,}")  # fmt: skip
    print(f"{'  events applied by reporting per second, end to end':<58}"
          f"{events_per_second:>14,.0f}   >= 2,500")  # fmt: skip
    print(f"{'  lag p50 / p99 (ms)':<58}"
          f"{lag.quantile(0.5) * 1000:>6,.0f} / {lag.quantile(0.99) * 1000:>5,.0f}")  # fmt: skip
    print(f"{'phase 2: half the sustained rate, ' + f'{half_rate:.0f} dossiers/s':<58}"
          f"{half_dossiers:>14,}")  # fmt: skip
    print(f"{'  events applied per second':<58}{half_events:>14,.0f}")
    print(f"{'  lag p50 / p99 (ms), intake to the report':<58}"
          f"{half_lag.quantile(0.5) * 1000:>6,.0f} / {half_lag.quantile(0.99) * 1000:>5,.0f}"
          f"   p99 <= 250")  # fmt: skip
    for kind, (count, p50, p99) in sorted(half_hops.items(), key=lambda item: item[1][1]):
        print(f"{f'    {kind}: occurred to sent, p50 / p99 (ms), of {count:,}':<58}"
              f"{p50:>6,.0f} / {p99:>5,.0f}")  # fmt: skip
    print(f"{'raw aiokafka produce+consume of the same ' + f'{raw_messages:,} messages/s':<58}"
          f"{raw_rate:>14,.0f}")  # fmt: skip
    print(f"{'ratio end to end / raw':<58}{events_per_second / raw_rate:>14.2f}")
    print(f"{'events that never reached the reports (phase 1, phase 2)':<58}"
          f"{missing:>6,} / {half_missing:>5,}   0")  # fmt: skip
    if missing or half_missing:
        raise SystemExit("events were lost")


async def lag_rounds(rate: float, seconds: float, rounds: int, instances: int) -> None:
    """Phase 2 alone, at a set rate, `rounds` times on one launched stack after a 5 s warm-up:
    the lag's spread from run to run, for comparing two versions at the same load."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    async with driven_stack(bootstrap, instances) as driven:
        print(
            f"{rate:g} dossiers/s for {seconds:g} s a round; "
            "lag to the report, then occurred to sent"
        )
        await phase(driven, rate, 5)
        for round_number in range(1, rounds + 1):
            starts = await end_offsets(bootstrap)
            offered, applied, lag, missing = await phase(driven, rate, seconds)
            by_type = await hops(bootstrap, starts, await end_offsets(bootstrap))
            print(f"round {round_number}: lag p50 / p99 (ms) "
                  f"{lag.quantile(0.5) * 1000:,.0f} / {lag.quantile(0.99) * 1000:,.0f}"
                  f"   (p99 <= 250; events missing: {missing}); "
                  f"{offered / seconds:,.0f} dossiers/s offered, "
                  f"{applied:,.0f} events applied per second")  # fmt: skip
            for kind, (_, p50, p99) in sorted(by_type.items(), key=lambda item: item[1][1]):
                print(f"    {kind:<20}{p50:>6,.0f} / {p99:>5,.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500, help="dossiers per second (x6 events)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--profile", type=Path, help="py-spy each service in phase 1, into DIR")
    parser.add_argument("--instances", type=int, default=1, choices=(1, 2))
    parser.add_argument(
        "--lag-at", type=float, metavar="RATE", help="phase 2 alone at RATE dossiers/s, --rounds"
    )
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.lag_at is not None and arguments.lag_at <= 0:
        parser.error("--lag-at: a rate above 0 dossiers/s")
    if arguments.lag_at is not None:
        asyncio.run(
            lag_rounds(arguments.lag_at, arguments.seconds, arguments.rounds, arguments.instances)
        )
    else:
        asyncio.run(main(arguments.rate, arguments.seconds, arguments.profile, arguments.instances))
