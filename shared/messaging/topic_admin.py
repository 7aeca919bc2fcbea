"""Creates the registry's topics on a broker, waiting for the broker to answer first.

Run as `python -m shared.messaging.topic_admin`; it is idempotent and used by the launcher and
tests.
"""

import asyncio
import logging
import time
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError

from shared.events.topics import TOPICS, TopicSpec
from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.kafka_principals import ADMIN

log = logging.getLogger(__name__)


async def _connected_admin(access: KafkaAccess, timeout_s: float) -> AIOKafkaAdminClient:
    deadline = time.monotonic() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(**access.client_options())
        try:
            await admin.start()
            await admin.describe_cluster()
            return admin
        except (KafkaConnectionError, KafkaError, OSError) as error:
            await admin.close()
            if time.monotonic() > deadline:
                raise TimeoutError(f"Kafka ({access!r}) not ready: {error!r}") from error
            await asyncio.sleep(0.5)


async def ensure_topics(
    access: KafkaAccess, specs: Iterable[TopicSpec] = TOPICS, timeout_s: float = 120.0
) -> list[str]:
    """Create the missing topics (as the `admin` principal); return the names created."""
    admin = await _connected_admin(access, timeout_s)
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        name=spec.name,
                        num_partitions=spec.partitions,
                        replication_factor=1,
                        topic_configs=spec.configs,
                    )
                    for spec in missing
                ]
            )
        await _wait_for_leaders(admin, [spec.name for spec in missing], timeout_s)
        return [spec.name for spec in missing]
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while names:
        described = await admin.describe_topics(names)
        ready = all(
            topic["error_code"] == 0 and all(p["leader"] >= 0 for p in topic["partitions"])
            for topic in described
        )
        if ready:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics without leaders after {timeout_s}s: {names}")
        await asyncio.sleep(0.2)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[topics] %(message)s")
    created = asyncio.run(ensure_topics(KafkaAccess.from_env(ADMIN)))
    log.info("created %d topic(s): %s", len(created), ", ".join(created) or "none missing")


if __name__ == "__main__":
    main()
