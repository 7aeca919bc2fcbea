"""Group-commit numbering: receipts that arrive together share the round trips that hand out
their agency's daily numbers (codes stay unique and gapless)."""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from services.intake.store.protocol import NewDossier, parse_code
from shared.persistence.outbox import (
    Committed,
)


@dataclass
class _Numbering:
    """A receipt waiting for its number (`RedisIntakeStore.receive`)."""

    client_id: str
    submission_id: str
    build: Callable[[str], NewDossier]
    answered: "asyncio.Future[Committed]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _fail(waiting: _Numbering, error: BaseException) -> None:
    """A receipt that cannot be committed now: its caller gets the error (a transient one
    when the commit was interrupted, so the caller tries again)."""
    if not waiting.answered.done():
        waiting.answered.set_exception(
            error if isinstance(error, Exception)
            else ConnectionError("the receipt's commit was interrupted")
        )  # fmt: skip


@dataclass(frozen=True)
class _Issued:
    """A receipt whose commit script was issued with its number."""

    waiting: _Numbering
    commit: "asyncio.Future[Committed]"


def restored_sequences(codes: Mapping[str, object]) -> dict[tuple[str, str], int]:
    """The last number the log holds for each agency and day."""
    sequences: dict[tuple[str, str], int] = {}
    for code in codes:
        agency, day, number = parse_code(code)
        sequences[(agency, day)] = max(number, sequences.get((agency, day), 0))
    return sequences
