import asyncio
import functools
import inspect
import os
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.kafka_principals import ADMIN
from shared.messaging.topic_admin import ensure_topics

# Every async test runs under this budget, below pytest-timeout's last-resort 600 s. Going over
# cancels the test's task, so its `async with` blocks unwind: the services it started stop. When
# pytest-timeout interrupts the shared event loop instead, a test's services keep running in the
# loop and consume the next tests' events (a CI run once failed three later tests that way).
# A test whose work is long by nature says so: `@pytest.mark.budget(seconds)`, with its own
# `@pytest.mark.timeout` above it.
TEST_BUDGET_SECONDS = 480


def _within_budget(
    test: Callable[..., Coroutine[Any, Any, None]], seconds: float
) -> Callable[..., Coroutine[Any, Any, None]]:
    @functools.wraps(test)
    async def bounded(*args: Any, **kwargs: Any) -> None:
        async with asyncio.timeout(seconds):
            await test(*args, **kwargs)

    return bounded


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj):
            marker = item.get_closest_marker("budget")
            seconds = float(marker.args[0]) if marker else TEST_BUDGET_SECONDS
            item.obj = _within_budget(item.obj, seconds)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


DEVELOPMENT_DATABASE = "postgresql://reporting:reporting-dev-secret@127.0.0.1:5432/reporting"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """Reporting's database, started by scripts/infra.sh (each test uses schemas of its own)."""
    return os.environ.get("REPORTING_DATABASE_URL", DEVELOPMENT_DATABASE)


@pytest.fixture(scope="session")
async def kafka_topics(kafka_bootstrap: str) -> str:
    """The real broker with the registry's topics; fails (never skips) when Kafka is absent."""
    await ensure_topics(KafkaAccess.resolve(kafka_bootstrap, ADMIN), timeout_s=30)
    return kafka_bootstrap


@pytest.fixture
def unique() -> str:
    """A fresh suffix for consumer groups, topics and keys, so tests run in any order."""
    return uuid.uuid4().hex[:10]
