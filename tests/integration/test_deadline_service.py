"""The deadline service on real Kafka and Redis, with a clock the tests move."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.deadline.app import create_app
from services.deadline.service.tracker import DeadlineTracker
from services.deadline.settings import DeadlineSettings
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import ManualClock
from shared.events import dossier as lifecycle
from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS, dead_letter_topic
from shared.events.vocabulary import SupplementPolicy, TimeUnit
from tests.support import dossier_events as ev
from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import TopicTail, start_group_at_end
from tests.support.running_service import running
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def vn(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


class Deadline:
    """One running deadline instance: its HTTP client, its tracker and its clock."""

    def __init__(self, client: httpx.AsyncClient, tracker: DeadlineTracker, clock: ManualClock):
        self.client, self.tracker, self.clock = client, tracker, clock


@pytest.fixture
async def deadline_env(kafka_topics: str, redis_url: str, unique: str) -> dict[str, Any]:
    await start_group_at_end(kafka_topics, f"deadline-test-{unique}", DOSSIER_EVENTS)
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_topics,
        "REDIS_URL": redis_url,
        "CONSUMER_GROUP": f"deadline-test-{unique}",
        "REDIS_KEY_PREFIX": f"test-{unique}-deadline",
        "TIMER_SWEEP_INTERVAL_SECONDS": 0.2,
        "OUT_OF_ORDER_PARK_SECONDS": 30,
    }


@asynccontextmanager
async def deadline_instance(
    env: dict[str, Any], clock: ManualClock, instance: str = "0"
) -> AsyncIterator[Deadline]:
    app = create_app(DeadlineSettings.model_validate(env | {"INSTANCE_ID": instance}), clock)
    async with running(app) as client:
        yield Deadline(client, app.state.runtime.state, clock)


async def publish(bootstrap: str, *events: lifecycle.DossierEvent) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap), enable_idempotence=True)
    async with asyncio.timeout(60):  # a stuck broker connection: TimeoutError, not a hang
        await producer.start()
        try:
            for event in events:
                key = event.body.dossier_code.encode()
                value = event.model_dump_json().encode()
                await producer.send_and_wait(DOSSIER_EVENTS, value, key=key)
        finally:
            await producer.stop()


def code_for(unique: str, n: int) -> str:
    return f"T{unique[:6].upper()}-260302-{n:04d}"


async def events_of(tail: TopicTail, code: str, kind: str, count: int = 1) -> list[Any]:
    async def arrived() -> list[Any] | None:
        await tail.poll()
        found = [v for v in tail.values_for(code) if v["type"] == kind]
        return found if len(found) >= count else None

    return await wait_for(arrived, within=30, what=f"{count} {kind} for {code}")


async def view(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    async def tracked() -> dict[str, Any] | None:
        response = await client.get(f"/v1/deadlines/{code}")
        return response.json() if response.status_code == 200 else None

    return await wait_for(tracked, within=30, what=f"deadline of {code}")


async def settle(tail: TopicTail, tracker: DeadlineTracker, sweeps: int = 3) -> None:
    for _ in range(sweeps):
        await tracker.sweep()
    await tail.poll()


async def test_due_soon_and_overdue_fire_once_each(
    kafka_topics: str, deadline_env: dict[str, Any], unique: str
) -> None:
    clock = ManualClock(vn(3, 2, 8))
    code = code_for(unique, 1)
    async with (
        TopicTail(kafka_topics, DEADLINE_EVENTS) as tail,
        deadline_instance(deadline_env, clock) as svc,
    ):
        await publish(kafka_topics, ev.received(code, vn(3, 2, 9), appointment_at=vn(3, 5, 9)))
        assert (await view(svc.client, code))["state"] == "within"
        clock.set(vn(3, 4, 9, 1))
        [due_soon] = await events_of(tail, code, "DossierDueSoon")
        assert datetime.fromisoformat(due_soon["body"]["due_at"]) == vn(3, 5, 9)
        assert (await view(svc.client, code))["state"] == "due_soon"
        clock.set(vn(3, 5, 9, 1))
        await events_of(tail, code, "DossierOverdue")
        clock.set(vn(3, 20))
        await settle(tail, svc.tracker)
        kinds = [v["type"] for v in tail.values_for(code)]
        assert kinds.count("DossierDueSoon") == 1
        assert kinds.count("DossierOverdue") == 1
        assert kinds.count("ApologyReminder") == 1
        assert (await view(svc.client, code))["state"] == "overdue"
        metrics = (await svc.client.get("/metrics")).text
        assert 'deadline_open_dossiers{agency="UBND.Q1",state="overdue"} 1.0' in metrics
        assert 'deadline_timers_fired_total{kind="overdue"} 1.0' in metrics
        assert "deadline_timer_lag_seconds_count 3.0" in metrics


@pytest.mark.parametrize(
    ("policy", "expected_due"),
    [(SupplementPolicy.RESTART, vn(3, 13, 14)), (SupplementPolicy.RESUME, vn(3, 12, 14))],
)
async def test_pause_then_restart_or_resume_moves_the_due_instant(
    kafka_topics: str,
    deadline_env: dict[str, Any],
    unique: str,
    policy: SupplementPolicy,
    expected_due: datetime,
) -> None:
    clock = ManualClock(vn(3, 2, 8))
    code = code_for(unique, 2)
    async with (
        TopicTail(kafka_topics, DEADLINE_EVENTS) as tail,
        deadline_instance(deadline_env, clock) as svc,
    ):
        await publish(
            kafka_topics,
            ev.received(code, vn(3, 2, 9)),
            ev.supplement_requested(code, vn(3, 3, 9)),
        )
        paused = await wait_for(
            lambda: _state_is(svc.client, code, "paused"), within=30, what="paused"
        )
        assert paused["paused"] is True
        await events_of(tail, code, "DeadlineSet")
        clock.set(vn(3, 9, 9))  # past the original due instant: a paused dossier fires nothing
        await settle(tail, svc.tracker)
        assert [v["type"] for v in tail.values_for(code)] == ["DeadlineSet"]
        await publish(kafka_topics, ev.supplement_received(code, vn(3, 10, 14), policy))
        [_, moved] = await events_of(tail, code, "DeadlineSet", count=2)
        assert datetime.fromisoformat(moved["body"]["due_at"]) == expected_due
        assert (await view(svc.client, code))["state"] == "within"


async def _state_is(client: httpx.AsyncClient, code: str, state: str) -> dict[str, Any] | None:
    response = await client.get(f"/v1/deadlines/{code}")
    body: dict[str, Any] = response.json()
    return body if response.status_code == 200 and body["state"] == state else None


CLASSIFY_CASES: list[tuple[str, Callable[[str], list[lifecycle.DossierEvent]], str, bool]] = [
    ("early", lambda c: [ev.received(c, vn(3, 2, 9)), ev.resolved(c, vn(3, 4, 9))], "early", False),
    (
        "on time",
        lambda c: [ev.received(c, vn(3, 2, 9)), ev.resolved(c, vn(3, 5, 16))],
        "on_time",
        False,
    ),
    ("late", lambda c: [ev.received(c, vn(3, 2, 9)), ev.resolved(c, vn(3, 6, 9))], "late", False),
    (
        "late with apology",
        lambda c: [
            ev.received(c, vn(3, 2, 9), appointment_at=vn(3, 5, 9)),
            ev.delayed(c, vn(3, 4, 9), previous=vn(3, 5, 9), new=vn(3, 10, 9)),
            ev.resolved(c, vn(3, 9, 9)),
        ],
        "late",
        True,
    ),
]


async def test_classification_on_resolution(
    kafka_topics: str, deadline_env: dict[str, Any], unique: str
) -> None:
    clock = ManualClock(vn(3, 2, 8))
    async with (
        TopicTail(kafka_topics, DEADLINE_EVENTS) as tail,
        deadline_instance(deadline_env, clock) as svc,
    ):
        for n, (_, history, _, _) in enumerate(CLASSIFY_CASES):
            await publish(kafka_topics, *history(code_for(unique, 10 + n)))
        for n, (name, _, classification, apology) in enumerate(CLASSIFY_CASES):
            code = code_for(unique, 10 + n)
            [classified] = await events_of(tail, code, "DossierClassified")
            assert classified["body"]["classification"] == classification, name
            assert classified["body"]["apology_sent"] is apology, name
            assert (await view(svc.client, code))["state"] == "resolved"


async def test_timers_missed_while_down_fire_once_on_return(
    kafka_topics: str, deadline_env: dict[str, Any], unique: str
) -> None:
    clock = ManualClock(vn(3, 2, 8))
    code = code_for(unique, 3)
    async with TopicTail(kafka_topics, DEADLINE_EVENTS) as tail:
        async with deadline_instance(deadline_env, clock) as svc:
            await publish(
                kafka_topics,
                ev.received(code, vn(3, 2, 9), amount=4, unit=TimeUnit.WORKING_HOURS),
            )
            await view(svc.client, code)
        clock.set(vn(3, 3, 12))  # the service was down through the due instant (3/2 14:30)
        async with deadline_instance(deadline_env, clock) as svc:
            [overdue] = await events_of(tail, code, "DossierOverdue")
            assert datetime.fromisoformat(overdue["occurred_at"]) == vn(3, 2, 14, 30)
            await settle(tail, svc.tracker)
        kinds = [v["type"] for v in tail.values_for(code)]
        assert kinds.count("DossierOverdue") == 1
        assert kinds.count("DossierDueSoon") == 1


async def test_event_before_its_receipt_is_parked_then_applied(
    kafka_topics: str, deadline_env: dict[str, Any], unique: str
) -> None:
    clock = ManualClock(vn(3, 2, 8))
    late_receipt, never_received = code_for(unique, 4), code_for(unique, 5)
    async with (
        TopicTail(kafka_topics, DEADLINE_EVENTS) as tail,
        TopicTail(kafka_topics, dead_letter_topic(DOSSIER_EVENTS)) as letters,
        deadline_instance(deadline_env, clock) as svc,
    ):
        await publish(kafka_topics, ev.resolved(late_receipt, vn(3, 4, 9)))
        await publish(kafka_topics, ev.resolved(never_received, vn(3, 4, 9)))
        await publish(kafka_topics, ev.received(late_receipt, vn(3, 2, 9)))
        [classified] = await events_of(tail, late_receipt, "DossierClassified")
        assert classified["body"]["classification"] == "early"
        clock.advance(timedelta(seconds=31))

        async def dead_lettered() -> list[Any] | None:
            await letters.poll()
            found = [r for r in letters.records if r.key == never_received.encode()]
            return found or None

        [letter] = await wait_for(dead_lettered, within=30, what="the parked event's dead letter")
        reason = dict(letter.headers)["x-dlq-reason"].decode()
        assert reason.startswith(f"out of order: no DossierReceived for {never_received}")
        assert (await svc.client.get(f"/v1/deadlines/{never_received}")).status_code == 404


async def test_two_instances_fire_each_of_1000_timers_exactly_once(
    kafka_topics: str, deadline_env: dict[str, Any], unique: str
) -> None:
    clock = ManualClock(vn(3, 2, 8))
    codes = [code_for(unique, 1000 + n) for n in range(1000)]
    async with AsyncExitStack() as stack:
        tail = await stack.enter_async_context(TopicTail(kafka_topics, DEADLINE_EVENTS))
        first = await stack.enter_async_context(deadline_instance(deadline_env, clock, "a"))
        second = await stack.enter_async_context(deadline_instance(deadline_env, clock, "b"))
        await publish(kafka_topics, *(ev.received(code, vn(3, 2, 9), amount=1) for code in codes))
        await wait_for(
            lambda: _all_tracked(first.tracker, codes), within=120, what="1000 dossiers tracked"
        )
        clock.set(vn(3, 10))  # every dossier is past due: 3 timers each

        async def all_overdue() -> bool:
            await tail.poll()
            wanted = set(codes)
            overdue = {r.key.decode() for r in tail.records if b'"DossierOverdue"' in r.value}
            return wanted <= overdue

        await wait_for(all_overdue, within=120, what="1000 overdue events")
        await settle(tail, first.tracker)
        await settle(tail, second.tracker)
    timer_kinds = {b'"DossierDueSoon"', b'"DossierOverdue"', b'"ApologyReminder"'}
    wanted = {code.encode() for code in codes}
    fired = [
        (record.key, kind)
        for record in tail.records
        if record.key in wanted
        for kind in timer_kinds
        if kind in record.value
    ]
    assert len(fired) == 3000
    assert len(set(fired)) == 3000


async def _all_tracked(tracker: DeadlineTracker, codes: list[str]) -> bool:
    return len(await tracker.store.load_many(codes)) == len(codes)


async def test_step_timers_fire_once_each_with_two_instances(
    kafka_topics: str, deadline_env: dict[str, Any], unique: str
) -> None:
    """An interconnected dossier (3 + 7 + 5 working days): each step's due-soon and overdue
    fire once, for the step that held the dossier, whichever instance claims them."""
    clock = ManualClock(vn(3, 2, 8))
    codes = [code_for(unique, 2000 + n) for n in range(20)]
    async with AsyncExitStack() as stack:
        tail = await stack.enter_async_context(TopicTail(kafka_topics, DEADLINE_EVENTS))
        first = await stack.enter_async_context(deadline_instance(deadline_env, clock, "a"))
        second = await stack.enter_async_context(deadline_instance(deadline_env, clock, "b"))
        steps = ev.bundle_steps(3, 7, 5)
        received = [ev.received(code, vn(3, 2, 9), amount=15, steps=steps, agency="UBND.P.SG")
                    for code in codes]  # fmt: skip
        await publish(kafka_topics, *received)
        await wait_for(lambda: _all_tracked(first.tracker, codes), within=60, what="tracked")
        clock.set(vn(3, 6, 9))  # the desk's step (due 5 March 09:00) overran

        def overdue_at(index: int) -> Callable[[], Awaitable[bool]]:
            async def fired() -> bool:
                await tail.poll()
                return all(
                    any(v["type"] == "StepOverdue" and v["body"]["step_index"] == index
                        for v in tail.values_for(code))
                    for code in codes
                )  # fmt: skip

            return fired

        await wait_for(overdue_at(0), within=60, what="the desk's step overdue for every dossier")
        await publish(kafka_topics, *(
            ev.transferred(code, vn(3, 6, 9), "CA.P.SG", "UBND.P.SG", 1) for code in codes
        ))  # fmt: skip

        async def step_one_started() -> bool:
            held = await first.tracker.store.load_many(codes)
            return len(held) == len(codes) and all(d.step_index == 1 for d in held.values())

        await wait_for(step_one_started, within=60, what="every dossier at the police")
        clock.set(vn(3, 18, 9))  # the police's step (due 17 March 09:00) overran too
        await wait_for(overdue_at(1), within=60, what="the police's step overdue for every one")
        await settle(tail, first.tracker)
        await settle(tail, second.tracker)
    for code in codes:
        fired = [(v["type"], v["body"]["step_index"], v["body"]["agency_code"])
                 for v in tail.values_for(code)
                 if v["type"] in ("StepDueSoon", "StepOverdue")]  # fmt: skip
        assert sorted(fired) == [
            ("StepDueSoon", 0, "UBND.P.SG"), ("StepDueSoon", 1, "CA.P.SG"),
            ("StepOverdue", 0, "UBND.P.SG"), ("StepOverdue", 1, "CA.P.SG"),
        ], code  # fmt: skip
        [closed] = [v for v in tail.values_for(code) if v["type"] == "StepClosed"]
        assert (closed["body"]["step"]["agency_code"], closed["body"]["step"]["on_time"]) == (
            "UBND.P.SG", False)  # fmt: skip
