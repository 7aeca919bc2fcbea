"""Kafka clients of the tests themselves: they act as the operator-administrator (`admin`, the
super user) unless a test is about another principal's rights (tests/e2e/test_security.py)."""

from typing import Any

from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.kafka_principals import ADMIN


def kafka_options(bootstrap: str, principal: str = ADMIN) -> dict[str, Any]:
    """aiokafka keyword arguments: the broker, and the principal's development credentials."""
    return KafkaAccess.resolve(bootstrap, principal).client_options()
