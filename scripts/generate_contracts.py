"""Writes the committed contracts: one JSON Schema per topic and the AsyncAPI document.

python scripts/generate_contracts.py          # regenerate contracts/
python scripts/generate_contracts.py --check  # exit 1 if contracts/ is stale (CI, tests)
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.specification import AsyncAPI

from services.deadline.app import create_app as create_deadline
from services.exchange.app import create_app as create_exchange
from services.intake.app import create_app as create_intake
from services.reporting.app import create_app as create_reporting
from services.survey.app import create_app as create_survey
from shared.events.contracts import REFERENCE_CONTRACTS, TOPIC_CONTRACTS, json_schema_of

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"


def render() -> dict[Path, str]:
    files = {
        CONTRACTS / "schemas" / f"{topic}.json": json.dumps(
            json_schema_of(topic), indent=2, ensure_ascii=False, sort_keys=True
        )
        + "\n"
        for topic in TOPIC_CONTRACTS | REFERENCE_CONTRACTS
    }
    # Building an app connects to nothing; its broker carries the subscribers and publishers.
    # The document names the development broker, whichever one this process was given (the
    # tests run on a broker of their own).
    os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    brokers = [app.state.runtime.broker for app in (
        create_intake(), create_deadline(), create_survey(), create_reporting(),
        create_exchange(),
    )]  # fmt: skip
    spec = AsyncAPI(
        *brokers,
        title="Một cửa: dossier event backbone",
        version="1",
        description="Kafka topics of the one-stop desk system; generated, do not edit.",
    ).to_specification()
    document = spec.to_jsonable()
    _describe_batch_payloads(document, brokers)
    files[CONTRACTS / "asyncapi.json"] = (
        json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )
    return files


def _describe_batch_payloads(document: dict[str, Any], brokers: list[KafkaBroker]) -> None:
    """A batch subscriber parses its records itself (one bad record is dead-lettered alone), so
    FastStream sees no payload type: point it at the topic's JSON Schema (one event a record)."""
    batch_titles = {
        f"{topic} ({subscriber.group_id}):SubscribeMessage": topic
        for broker in brokers
        for subscriber in broker.subscribers
        if isinstance(subscriber, BatchSubscriber)
        for topic in subscriber.topic_names
    }
    for message in document["components"]["messages"].values():
        if (topic := batch_titles.get(message.get("title", ""))) is not None:
            message["payload"] = {"$ref": f"schemas/{topic}.json"}
            message["description"] = "One event per record; this consumer reads them in batches."


def stale_files() -> list[Path]:
    return [
        path
        for path, text in render().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main() -> int:
    if "--check" in sys.argv:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(CONTRACTS.parent)}", file=sys.stderr)
        if stale:
            print("run `make contracts` and commit the result", file=sys.stderr)
        return 1 if stale else 0
    for path, text in render().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
