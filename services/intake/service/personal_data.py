"""Personal data's lifetime, and people's requests about theirs (Law 91/2025/QH15).

An ended dossier's applicant data is erased a configurable time
after it ended (`APPLICANT_DATA_KEPT_DAYS`), in Redis and on Kafka.

Each erasure publishes a tombstone to the compacted `intake.applicants.v1` first, then deletes
the Redis copy: a crash in between leaves the data in Redis and the erasure still due, so it
is done again (a second tombstone changes nothing). Kafka drops the erased value when it
compacts the topic (`min.compaction.lag.ms`, `delete.retention.ms`; see shared/events/topics.py)."""

import asyncio
import json
import logging
from typing import Any

from services.intake.domain.views import view_of
from services.intake.service.changelog import applicant_tombstone
from services.intake.store import ENDED, IntakeStore, person_hash
from shared.domain.clock import Clock
from shared.errors import ConflictingError
from shared.messaging.publishing import JSON_HEADER, EventPublisher, RawRecord

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


class ErasureRefusedError(ConflictingError):
    """The data is still needed: a dossier of the person is open (HTTP 409)."""


class DataSubjectRequests:
    """What the system holds on a person, found by their ID number; and its erasure, which the
    law allows once none of their dossiers is open (the data is needed to process and return
    them). Logged with the client, the outcome and the number of dossiers: never the data."""

    def __init__(self, store: IntakeStore, publisher: EventPublisher) -> None:
        self.store = store
        self.publisher = publisher

    async def export(self, identity: str, client_id: str) -> dict[str, Any]:
        person = person_hash(identity)
        dossiers = []
        for code in await self.store.person_codes(person):
            applicant = await self.store.applicant(code)
            stored = await self.store.load(code)
            if applicant is None or stored is None:
                continue  # erased meanwhile
            view = view_of(stored.record).model_dump(mode="json")
            dossiers.append({"code": code, "applicant": json.loads(applicant), "dossier": view})
        log.info("data subject export", extra={"client": client_id, "dossiers": len(dossiers)})
        return {"dossiers": dossiers}

    async def erase(self, identity: str, client_id: str) -> dict[str, Any]:
        person = person_hash(identity)
        codes = await self.store.person_codes(person)
        held = [code for code in codes if await self.store.applicant(code) is not None]
        open_codes = []
        for code in held:
            stored = await self.store.load(code)
            if stored is not None and stored.record.status not in ENDED:
                open_codes.append(code)
        if open_codes:
            log.info("data subject erasure refused",
                     extra={"client": client_id, "open_dossiers": len(open_codes)})  # fmt: skip
            raise ErasureRefusedError(
                f"{len(open_codes)} of the person's dossiers are open ({', '.join(open_codes)}); "
                "their data is needed until they end"
            )
        if held:
            await self.publisher.publish_raw_many([_tombstone(code) for code in held])
            await self.store.erase_applicants(held)
        await self.store.forget_person(person, codes)
        log.info("data subject erasure", extra={"client": client_id, "dossiers": len(held)})
        return {"erased": held}
