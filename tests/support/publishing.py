"""Events put on their topics as the services publish them, keyed by dossier."""

from aiokafka import AIOKafkaProducer

from shared.events.envelope import Event
from tests.support.kafka_clients import kafka_options
from tests.support.report_scenario import topic_of


async def publish(bootstrap: str, events: list[Event]) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap), enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            key = event.body.dossier_code.encode()  # type: ignore[attr-defined]
            await producer.send_and_wait(topic_of(event), event.model_dump_json().encode(), key=key)
    finally:
        await producer.stop()
