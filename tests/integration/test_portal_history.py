"""The history command on the real Kafka and Redis: a period's dossiers the exchange service
never saw are folded and queued for the portal; those of another period are not; a second run
queues nothing again."""

from datetime import datetime, timedelta

import pytest

from services.exchange.settings import ExchangeSettings
from services.exchange.store import RedisExchangeStore
from services.exchange.tools.history import run
from shared.domain.business_calendar import VIETNAM
from shared.events.envelope import Event
from shared.persistence.redis_factory import build_redis
from tests.support import dossier_events as ev
from tests.support.publishing import publish

pytestmark = pytest.mark.integration
MAY = datetime(2018, 5, 10, 9, tzinfo=VIETNAM)


async def test_a_periods_dossiers_are_queued_once_and_others_not(
    kafka_topics: str, redis_url: str, unique: str
) -> None:
    agency = f"H{unique[:8].upper()}"
    inside = [f"{agency}-180510-{n:04d}" for n in range(1, 4)]
    outside = f"{agency}-180410-0001"
    events: list[Event] = [ev.received(outside, MAY - timedelta(days=30))]
    for code in inside:
        events += [ev.received(code, MAY), ev.resolved(code, MAY + timedelta(days=2))]
    await publish(kafka_topics, events)
    prefix = f"history-{unique}"
    settings = ExchangeSettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_topics,
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": prefix,
        }
    )
    since, until = datetime(2018, 5, 1, tzinfo=VIETNAM), datetime(2018, 6, 1, tzinfo=VIETNAM)
    first = await run(since, until, 1000.0, settings)
    assert first["dossiers"] >= 3
    redis = build_redis(redis_url)
    store = RedisExchangeStore(redis, prefix)
    try:
        states = [await store.state(code) for code in inside]
        # received and resolved: a dossier record and a progress record each
        assert [s.queued for s in states] == [4, 4, 4]
        assert (await store.state(outside)).queued == 0
        head = await store.head(inside[0])
        assert head is not None
        assert head.record.payload["TrangThaiHoSo"] == 2
        again = await run(since, until, 1000.0, settings)
        assert again["dossiers"] == first["dossiers"]
        assert [(await store.state(code)).queued for code in inside] == [4, 4, 4]
    finally:
        await redis.aclose()
