"""A running intake service with test clients, and helpers to talk to it."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake.app import create_app
from services.intake.service.desk import Desk
from services.intake.settings import IntakeSettings
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import ManualClock
from shared.web.api_keys import hash_key
from tests.support.kafka_probe import start_group_at_end
from tests.support.running_service import running

KEYS = {
    "desk": ("frontend", ["UBND.P.SG", "CA.P.SG", "BHXH.HCM", "STP"]),
    "importer": ("frontend,import", ["*"]),
    "postal": ("postal", []),
    "admin": ("admin", []),
    "outsider": ("frontend", ["UBND.P.TD"]),
    "police": ("frontend", ["CA.P.SG"]),  # one agency of the interconnected bundle
}
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=VIETNAM)  # a Monday
ROOT = Path(__file__).resolve().parents[2]


def keys_file(folder: Path, unique: str) -> Path:
    lines = []
    for name, (scopes, agencies) in KEYS.items():
        lines += [
            "[[client]]",
            f'id = "{name}-{unique}"',
            f'key_sha256 = "{hash_key(api_key(name, unique))}"',
            "scopes = [" + ", ".join(f'"{s}"' for s in scopes.split(",")) + "]",
            "agencies = [" + ", ".join(f'"{a}"' for a in agencies) + "]",
            "",
        ]
    path = folder / "api_keys.toml"
    path.write_text("\n".join(lines))
    return path


def api_key(name: str, unique: str) -> str:
    return f"{name}-key-{unique}"


@dataclass
class Intake:
    client: httpx.AsyncClient
    desk: Desk
    clock: ManualClock
    unique: str

    def headers(self, who: str = "desk") -> dict[str, str]:
        return {"X-API-Key": api_key(who, self.unique)}

    async def receive(self, who: str = "desk", **fields: Any) -> httpx.Response:
        return await self.client.post(
            "/v1/dossiers", json=receipt(**fields), headers=self.headers(who)
        )

    async def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """A catalogue admin route (the catalogue log is shared by the whole test run: a test
        changes only procedures and dates of its own)."""
        return await self.client.request(
            method, f"/v1/admin/{path}", json=body, headers=self.headers("admin")
        )

    async def act(self, code: str, action: str, who: str = "desk", **body: Any) -> httpx.Response:
        body.setdefault("submission_id", f"{action}-{uuid.uuid4().hex}")
        return await self.client.post(
            f"/v1/dossiers/{code}/{action}", json=body, headers=self.headers(who)
        )


APPLICANT: dict[str, Any] = {
    "name": "Nguyễn Thị Bình",
    "id_number": "079190001234",
    "phone": "0903123456",
    "address": {"province": "TP. Hồ Chí Minh", "district": "Quận 1", "commune": "Bến Nghé",
                "street": "12 Nguyễn Huệ"},
}  # fmt: skip


def receipt(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "submission_id": "s-default",
        "procedure_code": "1.001193",
        "agency_code": "UBND.P.SG",
        "channel": "counter",
        "clerk_id": "clerk-7",
        "applicant": APPLICANT,
        "return_method": "counter",
    }
    body.update(fields)
    return body


@pytest.fixture
async def intake(
    kafka_topics: str, redis_url: str, unique: str, tmp_path: Path
) -> AsyncIterator[Intake]:
    group = f"intake-test-{unique}"
    await start_group_at_end(kafka_topics, group, "intake.submissions.v1", "postal.status.v1")
    clock = ManualClock(NOW)
    settings = IntakeSettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_topics,
            "REDIS_URL": redis_url,
            "CONSUMER_GROUP": group,
            "REDIS_KEY_PREFIX": f"intake-test-{unique}",
            "API_KEYS_FILE": str(keys_file(tmp_path, unique)),
            "OUTBOX_RELAY_SECONDS": 0.2,
            # this deployment's history starts now: a rebuild reads no other test's dossiers
            "REPLAY_FROM": datetime.now(UTC).isoformat(),
        }
    )
    app = create_app(settings, clock)
    async with running(app) as client:
        yield Intake(client, app.state.runtime.state, clock, unique)
