"""Structured (JSON-lines) logging, set up once per process, with personal data masked.

Nothing in the code logs payloads; the masking filter is the second line of defence against a
phone or ID number slipping into a message or an exception text.
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_PERSONAL_PATTERNS = (
    (re.compile(r"(?<!\d)\d{12}(?!\d)"), "<id-number>"),
    (re.compile(r"(?<![\d+])(?:\+84|0)[35789]\d{8}(?!\d)"), "<phone>"),
)
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def mask_personal_data(text: str) -> str:
    for pattern, replacement in _PERSONAL_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": mask_personal_data(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = mask_personal_data(str(value))
        if record.exc_info:
            entry["exc"] = mask_personal_data(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


# aiokafka's group membership, one INFO line each: joined, left, and the partitions a
# rebalance gave (the rest of its INFO lines, several per rebalance, stay out).
GROUP_MEMBERSHIP = ("Joined group", "LeaveGroup request succeeded", "Setting newly assigned")
GROUP_COORDINATOR = "aiokafka.consumer.group_coordinator"


class GroupMembershipOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or str(record.msg).startswith(GROUP_MEMBERSHIP)


class NoDuplicateAssignment(logging.Filter):
    """FastStream logs each assignment too ("Consumer … assigned to partitions"), from the
    broker's logger: aiokafka's line says it already."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.INFO
            and record.name.endswith(".broker")
            and " assigned to partitions: " in str(record.msg)
        )


def configure_logging(service: str, level: str = "INFO") -> None:
    """Idempotent: replaces the root handlers, so calling it twice does not double lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(NoDuplicateAssignment())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    coordinator = logging.getLogger(GROUP_COORDINATOR)
    coordinator.setLevel(logging.INFO)
    coordinator.filters[:] = [GroupMembershipOnly()]
