"""Dead letters for operators: list them, show one, redrive them to the topic they came from.

    python -m shared.messaging.dead_letters list    --topic intake.submissions.v1 [filters]
    python -m shared.messaging.dead_letters show --topic intake.submissions.v1 \
        --partition 0 --offset 7
    python -m shared.messaging.dead_letters redrive --topic intake.submissions.v1 \
        [filters] [--dry-run]

Filters: `--reason TEXT` (a case-insensitive part of the reason), `--since` and `--until`
(ISO instants, on when the message failed). `--topic` names the source topic or its `.dlq`.

`list` prints one line per dead letter (where, when, why), never the message itself; `show`
prints one record with its headers and value (which may hold personal data: it is for the
operator's terminal, not for logs).

`redrive` publishes each selected record, with its key, value and headers, to its source
topic again, as Kafka's `admin` principal and with the admin-scope API key in
`REDRIVE_API_KEY`. A dead letter keeps only the hash of the key the message came with
(`x-dlq-api-key-sha256`); the redriven message names it in `x-redrive-for-key-sha256`, and the
service handles it with that original client's rights (`ApiKeys.message_client`). Requests keep
their `submission_id`, so a redrive handled twice changes nothing the first did not.

Credentials: `KAFKA_USERNAME`/`KAFKA_PASSWORD` (or development passwords on a loopback broker);
`list` and `show` need only the operator's read rights.
"""

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.events.topics import dead_letter_topic
from shared.messaging.history import partitions_of, seek_to_history
from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.kafka_principals import ADMIN, OPERATOR
from shared.messaging.publishing import API_KEY_HEADER, DLQ_KEY_HASH_HEADER, REDRIVE_FOR_HEADER
from shared.messaging.publishing import REDRIVE_OF_HEADER as REDRIVE_OF

SOURCE_TOPIC = "x-dlq-source-topic"
DLQ_SUFFIX = dead_letter_topic("")


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the dead-letter topic
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def reason(self) -> str:
        return self.headers.get("x-dlq-reason", "")

    @property
    def failed_at(self) -> datetime | None:
        text = self.headers.get("x-dlq-failed-at")
        return datetime.fromisoformat(text) if text else None

    @property
    def source_topic(self) -> str:
        return self.headers.get(SOURCE_TOPIC) or self.topic.removesuffix(DLQ_SUFFIX)


@dataclass(frozen=True)
class Selection:
    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, letter: DeadLetter) -> bool:
        if self.reason and self.reason.lower() not in letter.reason.lower():
            return False
        failed_at = letter.failed_at
        if self.since and (failed_at is None or failed_at < self.since):
            return False
        return not (self.until and (failed_at is None or failed_at >= self.until))


def dlq_of(topic: str) -> str:
    return topic if topic.endswith(DLQ_SUFFIX) else dead_letter_topic(topic)


async def read_dead_letters(
    access: KafkaAccess, topic: str, since: datetime | None = None
) -> list[DeadLetter]:
    """Every record the dead-letter topic holds now (from `since`, by record time), in
    partition and offset order."""
    consumer = AIOKafkaConsumer(**access.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(await partitions_of(consumer, topic))
        ]
        if not partitions:
            raise LookupError(f"no topic {topic} (or no right to read it)")
        consumer.assign(partitions)
        await seek_to_history(consumer, partitions, since)
        ends = await consumer.end_offsets(partitions)
        letters: list[DeadLetter] = []
        remaining = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                letters += [_letter(record) for record in records if record.offset < ends[tp]]
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        return sorted(letters, key=lambda letter: (letter.partition, letter.offset))
    finally:
        await consumer.stop()


def _letter(record: Any) -> DeadLetter:
    headers = {name: (value or b"").decode("utf-8", "replace") for name, value in record.headers}
    return DeadLetter(
        record.topic, record.partition, record.offset, record.key, record.value, headers
    )


def redriven_headers(letter: DeadLetter, admin_key: str) -> list[tuple[str, bytes]]:
    """The message's own headers again, with the admin's key and the original client's hash."""
    kept = {
        name: value
        for name, value in letter.headers.items()
        if not name.startswith(("x-dlq-", "x-redrive-")) and name != API_KEY_HEADER
    }
    kept[API_KEY_HEADER] = admin_key
    kept[REDRIVE_FOR_HEADER] = letter.headers.get(DLQ_KEY_HASH_HEADER, "")
    kept[REDRIVE_OF] = letter.where
    return [(name, value.encode()) for name, value in kept.items()]


async def redrive(
    access: KafkaAccess, letters: Sequence[DeadLetter], admin_key: str
) -> list[tuple[str, int, int]]:
    """Publish each letter to its source topic; returns (topic, partition, offset) of each."""
    producer = AIOKafkaProducer(**access.client_options(), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send(
                letter.source_topic,
                letter.value,
                key=letter.key,
                headers=redriven_headers(letter, admin_key),
            )
            for letter in letters
        ]
        metadata = await asyncio.gather(*sent)
        return [(m.topic, m.partition, m.offset) for m in metadata]
    finally:
        await producer.stop()


def _line(letter: DeadLetter) -> str:
    failed = letter.failed_at.isoformat() if letter.failed_at else "-"
    reason = " ".join(letter.reason.split())
    return f"{letter.partition}\t{letter.offset}\t{failed}\t{reason[:160]}"


def _show(letter: DeadLetter) -> str:
    lines = [f"dead letter {letter.where}", f"key: {(letter.key or b'').decode(errors='replace')}"]
    lines += [f"{name}: {value}" for name, value in sorted(letter.headers.items())]
    lines.append("value:")
    lines.append((letter.value or b"").decode("utf-8", "replace"))
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared.messaging.dead_letters",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "show", "redrive"):
        command = commands.add_parser(name)
        command.add_argument("--topic", required=True, help="the source topic or its .dlq")
        command.add_argument("--bootstrap", default=None, help="default: KAFKA_BOOTSTRAP_SERVERS")
        if name == "show":
            command.add_argument("--partition", type=int, required=True)
            command.add_argument("--offset", type=int, required=True)
            continue
        command.add_argument("--reason", default=None, help="a part of the reason text")
        command.add_argument("--since", type=datetime.fromisoformat, default=None)
        command.add_argument("--until", type=datetime.fromisoformat, default=None)
        if name == "redrive":
            command.add_argument("--dry-run", action="store_true", help="list what would go")
    return parser


async def run(argv: Sequence[str], out: Any = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    topic = dlq_of(args.topic)
    for bound in (getattr(args, "since", None), getattr(args, "until", None)):
        if bound is not None and bound.tzinfo is None:
            print("--since and --until need a time zone (e.g. +07:00)", file=sys.stderr)
            return 2
    principal = ADMIN if args.command == "redrive" else OPERATOR
    access = KafkaAccess.from_env(principal, args.bootstrap)
    letters = await read_dead_letters(access, topic, getattr(args, "since", None))
    if args.command == "show":
        found = [x for x in letters if (x.partition, x.offset) == (args.partition, args.offset)]
        if not found:
            print(f"no dead letter at {topic}:{args.partition}:{args.offset}", file=sys.stderr)
            return 1
        print(_show(found[0]), file=out)
        return 0
    selected = [x for x in letters if Selection(args.reason, args.since, args.until).matches(x)]
    if args.command == "list" or args.dry_run:
        print("partition\toffset\tfailed_at\treason", file=out)
        for letter in selected:
            print(_line(letter), file=out)
        print(f"{len(selected)} of {len(letters)} dead letters in {topic}", file=out)
        return 0
    admin_key = os.environ.get("REDRIVE_API_KEY")
    if not admin_key:
        print("set REDRIVE_API_KEY to an API key with the admin scope", file=sys.stderr)
        return 2
    sent = await redrive(access, selected, admin_key)
    for letter, (to_topic, partition, offset) in zip(selected, sent, strict=True):
        print(f"{letter.where} -> {to_topic}:{partition}:{offset}", file=out)
    print(f"redrove {len(sent)} of {len(letters)} dead letters in {topic}", file=out)
    return 0


def main() -> None:
    sys.exit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
