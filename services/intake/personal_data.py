"""Personal data's lifetime: an ended dossier's applicant data is erased a configurable time
after it ended (`APPLICANT_DATA_KEPT_DAYS`), in Redis and on Kafka.

Each erasure publishes a tombstone to the compacted `intake.applicants.v1` first, then deletes
the Redis copy: a crash in between leaves the data in Redis and the erasure still due, so it
is done again (a second tombstone changes nothing). Kafka drops the erased value when it
compacts the topic (`min.compaction.lag.ms`, `delete.retention.ms`; see shared/topics.py)."""

import asyncio
import logging

from services.intake.changelog import applicant_tombstone
from services.intake.store import IntakeStore
from shared.clock import Clock
from shared.outbox import JSON_HEADER
from shared.publishing import EventPublisher, RawRecord

log = logging.getLogger(__name__)


class ApplicantLifetime:
    def __init__(self, store: IntakeStore, publisher: EventPublisher, clock: Clock) -> None:
        self.store = store
        self.publisher = publisher
        self.clock = clock

    async def erase_due(self, limit: int = 500) -> int:
        """Erase the applicant data whose time has come; returns how many dossiers'."""
        codes = await self.store.erasures_due(self.clock.now(), limit)
        if codes:
            await self.publisher.publish_raw_many([_tombstone(code) for code in codes])
            await self.store.erase_applicants(codes)
        return len(codes)

    async def run(self, interval_seconds: float) -> None:
        while True:
            try:
                erased = await self.erase_due()
            except (ConnectionError, TimeoutError) as error:  # NotReadyError included
                log.warning("applicant erasure postponed", extra={"error": repr(error)})
                erased = 0
            if erased:
                log.info("applicant data erased", extra={"dossiers": erased})
            else:
                await asyncio.sleep(interval_seconds)


def _tombstone(code: str) -> RawRecord:
    entry = applicant_tombstone(code)
    return (entry.topic, entry.key.encode(), None, JSON_HEADER)
