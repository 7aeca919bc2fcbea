"""Intake's service layer on the in-memory store, with a publisher that records what reached
"Kafka"."""

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from services.intake.service.desk import Desk
from services.intake.store import InMemoryIntakeStore
from shared.domain.business_calendar import VIETNAM
from shared.domain.catalogue import Catalogue
from shared.domain.clock import ManualClock
from shared.domain.reference_source import FixedReference
from shared.events import intake_requests
from shared.messaging.publishing import RawRecord
from shared.web.api_keys import Client, Scope
from tests.support.intake_fixtures import receipt

CATALOGUE = Catalogue.from_toml(
    (Path(__file__).resolve().parents[2] / "config/catalogue.toml").read_text()
)
NOW = datetime(2026, 3, 2, 8, tzinfo=VIETNAM)
DESK = Client(id="desk", key_sha256="0" * 64, scopes=frozenset({Scope.FRONTEND}),
              agencies=frozenset({"UBND.P.SG"}))  # fmt: skip


class RecordingPublisher:
    """What reached "Kafka"; `down` makes every publish fail, as an unreachable broker."""

    def __init__(self) -> None:
        self.records: list[RawRecord] = []
        self.down = False

    async def publish_raw_many(self, records: Sequence[RawRecord]) -> None:
        if self.down:
            raise ConnectionError("Kafka is unreachable")
        self.records += records

    def topics(self) -> list[str]:
        return [record[0] for record in self.records]


def desk(store: InMemoryIntakeStore, publisher: RecordingPublisher) -> Desk:
    return Desk(store, FixedReference.of(CATALOGUE), ManualClock(NOW), publisher)  # type: ignore[arg-type]  # fmt: skip


def filing(submission: str = "s1") -> intake_requests.ReceiveDossier:
    return intake_requests.ReceiveDossier.model_validate(receipt(submission_id=submission))
