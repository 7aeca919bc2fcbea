"""What an outside system's answer to one record means for its delivery, for every courier
(the national portal, the notification channels)."""

from dataclasses import dataclass

ACKNOWLEDGED, REFUSED, FAILED, UNREACHABLE = "acknowledged", "refused", "failed", "unreachable"


@dataclass(frozen=True)
class Answer:
    """`acknowledged`: done. `refused`: the other side will never take it as it is (a 4xx, an
    error code it sets): dead-lettered at once. `failed` (a timeout, a 5xx, a 429): retried
    with a backoff, counted. `unreachable` (no connection, a 503): the other side is down for
    everyone, no fault of the record: retried without counting."""

    outcome: str
    text: str  # the other side's answer (its body), or what went wrong; never a message's text

    @property
    def retriable(self) -> bool:
        return self.outcome in (FAILED, UNREACHABLE)
