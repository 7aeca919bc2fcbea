"""Desks filing and moving dossiers through intake while a test disturbs the stack: each
request is retried with its submission_id until answered (never decided twice), and every
answer is kept, to be found again afterwards."""

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.intake_fixtures import receipt
from tests.support.stack import Stack

DESKS = 3  # desks filing at once
RETRY_FOR = 180.0  # seconds a desk keeps retrying one request (503 while intake rebuilds)


@dataclass
class Traffic:
    stack: Stack
    answered: dict[str, str] = field(default_factory=dict)  # code -> status answered
    unavailable: int = 0  # 503s and refused connections seen (the rebuild's window)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    # seconds each desk waits between two dossiers: steady traffic rather than a flood (an
    # agency's codes of one day end at 9999)
    pace: float = 0.0

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.stack.key}

    async def send(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
        """One request, retried with the same submission_id until answered (never re-decided)."""
        url = f"{self.stack.url('intake')}{path}"
        async with asyncio.timeout(RETRY_FOR):
            while True:
                try:
                    answer = await client.post(
                        url, json=body, headers={"X-API-Key": self.stack.key}
                    )
                except httpx.TransportError:
                    answer = None
                if answer is not None and answer.status_code < 500:
                    assert answer.status_code in (200, 201), (path, answer.text)
                    return answer.json()
                self.unavailable += 1
                await asyncio.sleep(0.2)

    async def desk(self, n: int) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            while not self.stop.is_set():
                tag = f"chaos-{n}-{uuid.uuid4().hex[:8]}"
                view = await self.send(client, "/v1/dossiers", receipt(submission_id=tag))
                code = view["code"]
                self.answered[code] = view["status"]
                steps = int(tag[-8:], 16) % 3  # 0: stays open, 1: resolved, 2: returned
                for action, body in (("resolve", {"outcome": "approved"}), ("return", {}))[:steps]:
                    body = body | {"submission_id": f"{tag}-{action}"}
                    view = await self.send(client, f"/v1/dossiers/{code}/{action}", body)
                    self.answered[code] = view["status"]
                if self.pace:
                    await asyncio.sleep(self.pace)


async def at_least(traffic: Traffic, count: int) -> bool:
    return len(traffic.answered) >= count
