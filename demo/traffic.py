"""Demo traffic: counter and online frontends file dossiers, clerks move them through their
lives, kiosks rate them; progress and the month's report are printed every few seconds.

    python -m demo.traffic [--rate 2] [--duration 0] [--key dev-local-key]

Talks to the services over HTTP only, as the frontends would (intake 8001, survey 8003,
reporting 8004). `--duration 0` runs until Ctrl-C. Names, phones and ID numbers are made up.
"""

import argparse
import asyncio
import contextlib
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

DESKS = [  # (agency, procedure it files)
    ("UBND.P.BN", "1.001193"), ("UBND.P.BN", "2.000908"), ("UBND.P.DK", "1.004873"),
    ("UBND.Q1", "1.001612"), ("UBND.Q1", "2.000889"), ("UBND.Q3", "1.009994"),
    ("STP", "1.001756"), ("SKHDT", "2.001610"),
]  # fmt: skip
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Minh", "Nam", "Thảo"]


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, what: str) -> None:
        self.counts[what] += 1


def applicant(rng: random.Random) -> dict[str, object]:
    return {
        "name": f"{rng.choice(SURNAMES)} Văn {rng.choice(GIVEN)}",
        "id_number": f"0{rng.randrange(10**10, 10**11)}",
        "phone": f"09{rng.randrange(10**7, 10**8)}",
        "address": {"province": "TP. Hồ Chí Minh", "district": "Quận 1",
                    "commune": "Bến Nghé", "street": f"{rng.randrange(1, 300)} Lê Lợi"},
    }  # fmt: skip


INTAKE, SURVEY, REPORTING = (
    "http://127.0.0.1:8001",
    "http://127.0.0.1:8003",
    "http://127.0.0.1:8004",
)


async def one_dossier(
    client: httpx.AsyncClient, key: str, rng: random.Random, tally: Tally
) -> None:
    agency, procedure = rng.choice(DESKS)
    channel = rng.choice(["counter", "counter", "online", "postal"])
    clerk = f"clerk-{rng.randrange(1, 9)}" if channel == "counter" else None
    filing = {
        "submission_id": uuid.uuid4().hex,
        "procedure_code": procedure,
        "agency_code": agency,
        "channel": channel,
        "clerk_id": clerk,
        "applicant": applicant(rng),
        "return_method": "counter",
    }
    headers = {"X-API-Key": key}
    received = await client.post(f"{INTAKE}/v1/dossiers", json=filing, headers=headers)
    if received.status_code != 201:
        tally.add(f"refused {received.status_code}")
        return
    tally.add("received")
    code = received.json()["code"]
    steps: list[tuple[str, dict[str, object]]] = []
    if rng.random() < 0.15:
        steps += [("request-supplement", {"reason": "thiếu giấy tờ"}), ("receive-supplement", {})]
    steps += [("resolve", {"outcome": "approved"}), ("return", {})]
    for action, body in steps:
        await asyncio.sleep(rng.uniform(0.5, 3))
        step = {"submission_id": uuid.uuid4().hex, **body}
        url = f"{INTAKE}/v1/dossiers/{code}/{action}"
        if (await client.post(url, json=step, headers=headers)).status_code == 200:
            tally.add(action)
    level = rng.choices(["very_satisfied", "satisfied", "dissatisfied"], [5, 4, 1])[0]
    rating = {
        "submission_id": uuid.uuid4().hex,
        "dossier_code": code,
        "level": level,
        "channel": "kiosk",
        "reason": "chờ lâu" if level == "dissatisfied" else None,
    }
    if (await client.post(f"{SURVEY}/v1/ratings", json=rating)).status_code == 201:
        tally.add("rated")


async def report_progress(client: httpx.AsyncClient, tally: Tally, started: float) -> None:
    while True:
        await asyncio.sleep(5)
        month = time.strftime("%Y-M%m")
        try:
            url = f"{REPORTING}/v1/reports/processing?period={month}"
            total = (await client.get(url)).json()["total"]
            received, resolved = total["received_total"], total["resolved_total"]
            figures = f"report {month}: received {received}, resolved {resolved}"
        except (httpx.HTTPError, KeyError, ValueError):
            figures = "report: not available yet"
        done = ", ".join(f"{name} {count}" for name, count in sorted(tally.counts.items()))
        print(f"[demo {time.monotonic() - started:5.0f}s] {done} | {figures}", flush=True)


async def main(rate: float, duration: float, key: str, seed: int) -> None:
    rng = random.Random(seed)
    tally = Tally()
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        progress = asyncio.create_task(report_progress(client, tally, started))
        lives: set[asyncio.Task[None]] = set()
        while duration <= 0 or time.monotonic() - started < duration:
            life = asyncio.create_task(one_dossier(client, key, rng, tally))
            lives.add(life)
            life.add_done_callback(lives.discard)
            await asyncio.sleep(rng.expovariate(rate))
        await asyncio.gather(*lives, return_exceptions=True)
        progress.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=2.0, help="new dossiers per second")
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0 = until Ctrl-C")
    parser.add_argument("--key", default=os.environ.get("DEV_API_KEY", "dev-local-key"))
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(arguments.rate, arguments.duration, arguments.key, arguments.seed))
