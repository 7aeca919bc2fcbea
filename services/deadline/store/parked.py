"""Parked (out-of-order) lifecycle events, written once for both stores: the shared parking
lot, one JSON entry per event, waiting for its dossier's receipt."""

import json
from datetime import datetime

from services.deadline.store.protocol import Parked
from shared.persistence.parking import Parking


class ParkedEvents:
    """Mixed into the Redis store and its in-memory twin; each gives its own `parking`."""

    parking: Parking

    async def park(self, code: str, parked: Parked, expires_at: datetime) -> None:
        entry = {"raw": parked.raw, "partition": parked.partition, "offset": parked.offset}
        await self.parking.park(code, json.dumps(entry), expires_at)

    async def parked(self, code: str) -> list[Parked]:
        return [Parked(**json.loads(entry)) for entry in await self.parking.waiting(code)]

    async def drop_parked(self, code: str) -> None:
        await self.parking.release(code)

    async def expired_parked(self, now: datetime, limit: int = 100) -> list[str]:
        return await self.parking.expired(now, limit)
