"""A postal delivery partner speaking Kafka, as a real one would: it takes return orders from
`postal.returns.v1` (its own consumer group) and reports `picked_up`, then `delivered` or,
with probability `failure_rate`, `failed`, on `postal.status.v1` with its intake API key.

    python -m demo.postal_partner [--failure-rate 0.1] [--key dev-local-key]

Orders carry the recipient's personal data: this partner keeps none of it and logs none.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.events.topics import POSTAL_RETURNS, POSTAL_STATUS
from shared.messaging.kafka_access import KafkaAccess

PARTNER = "postal-vnpost"  # the development partner's Kafka principal (config/kafka_clients.toml)


@dataclass
class PostalPartner:
    kafka: KafkaAccess  # its own principal: reads postal.returns.v1, writes postal.status.v1
    key: str
    group: str = "postal-vnpost"  # within the groups its principal owns
    failure_rate: float = 0.1
    seed: int = 11
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    delivered: int = 0
    failed: int = 0

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Serve orders until `stop` is set (or forever); commits after reporting each batch."""
        rng = random.Random(self.seed)
        consumer = AIOKafkaConsumer(
            POSTAL_RETURNS, **self.kafka.client_options(), group_id=self.group,
            enable_auto_commit=False, auto_offset_reset="earliest",
        )  # fmt: skip
        producer = AIOKafkaProducer(**self.kafka.client_options(), enable_idempotence=True)
        await consumer.start()
        await producer.start()
        try:
            while stop is None or not stop.is_set():
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        await self._deliver(producer, json.loads(record.value or b"{}"), rng)
                if batches:
                    await consumer.commit()
        finally:
            await consumer.stop()
            await producer.stop()

    async def _deliver(
        self, producer: AIOKafkaProducer, order: dict[str, object], rng: random.Random
    ) -> None:
        body = order.get("body")
        if order.get("type") != "PostalReturnRequested" or not isinstance(body, dict):
            return
        code = str(body["dossier_code"])
        outcome = "failed" if rng.random() < self.failure_rate else "delivered"
        # A return ordered in the past (history being imported) is delivered within 4 hours of
        # its order; a live one now. Statuses are never in the future.
        ordered = datetime.fromisoformat(str(order["occurred_at"]))
        picked_up = min(ordered + timedelta(hours=1), self.now())
        finished = min(ordered + timedelta(hours=4), self.now())
        for n, (status, at) in enumerate((("picked_up", picked_up), (outcome, finished))):
            report = {
                "type": "ReportDeliveryStatus", "submission_id": f"{order['event_id']}-{n}",
                "dossier_code": code, "status": status, "occurred_at": at.isoformat(),
                "reason": "không có người nhận" if status == "failed" else None,
            }  # fmt: skip
            await producer.send_and_wait(
                POSTAL_STATUS, json.dumps(report).encode(), key=code.encode(),
                headers=[("x-api-key", self.key.encode())],
            )  # fmt: skip
        if outcome == "failed":
            self.failed += 1
        else:
            self.delivered += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--failure-rate", type=float, default=0.1)
    parser.add_argument("--key", default=os.environ.get("DEV_API_KEY", "dev-local-key"))
    arguments = parser.parse_args()
    partner = PostalPartner(
        KafkaAccess.from_env(PARTNER),
        arguments.key,
        failure_rate=arguments.failure_rate,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(partner.run())


if __name__ == "__main__":
    main()
