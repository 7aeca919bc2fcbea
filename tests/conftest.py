import os
import uuid

import pytest

from shared.kafka_access import KafkaAccess
from shared.kafka_principals import ADMIN
from shared.topic_admin import ensure_topics


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
async def kafka_topics(kafka_bootstrap: str) -> str:
    """The real broker with the registry's topics; fails (never skips) when Kafka is absent."""
    await ensure_topics(KafkaAccess.resolve(kafka_bootstrap, ADMIN), timeout_s=30)
    return kafka_bootstrap


@pytest.fixture
def unique() -> str:
    """A fresh suffix for consumer groups, topics and keys, so tests run in any order."""
    return uuid.uuid4().hex[:10]
