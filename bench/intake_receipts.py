"""Benchmark: dossier receipts per second over HTTP, with latency percentiles.

    .venv/bin/python -m bench.intake_receipts [--seconds 15] [--concurrency 32]

Starts a real intake process (uvicorn) against the running Kafka and Redis
(`scripts/infra.sh up`), with a bench-only key and Redis prefix, and posts receipts from
`--concurrency` concurrent clients for `--seconds`. Every receipt is a full one: validated,
given a code, stored in Redis and published to `dossier.events.v1` (acks=all) before the
201 is sent. Prints a table.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from services.intake.access import hash_key
from shared.business_calendar import VIETNAM

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
AGENCIES = ("UBND.P.BN", "UBND.P.DK")  # commune desks receiving the birth registration


def start_intake(port: int, folder: Path) -> subprocess.Popen[bytes]:
    keys = folder / "keys.toml"
    keys.write_text(
        f'[[client]]\nid = "bench"\nkey_sha256 = "{hash_key(KEY)}"\n'
        'scopes = ["frontend", "import"]\nagencies = ["*"]\n'
    )
    suffix = os.urandom(4).hex()
    env = os.environ | {
        "INTAKE_PORT": str(port),
        "API_KEYS_FILE": str(keys),
        "REDIS_KEY_PREFIX": f"bench-intake-{suffix}",
        "CONSUMER_GROUP": f"bench-intake-{suffix}",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "services.intake"], cwd=ROOT, env=env)


async def wait_healthy(url: str) -> None:
    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("intake did not become healthy")


def receipt(worker: int, n: int) -> dict[str, object]:
    # Each worker files on its own past days, so no agency's daily sequence (9,999) runs out.
    day = datetime(2025, 12, 1, 8, tzinfo=VIETNAM) - timedelta(days=worker * 40 + n // 5000)
    return {
        "submission_id": f"bench-{worker}-{n}",
        "procedure_code": "1.001193",
        "agency_code": AGENCIES[n % 2],
        "channel": "online",
        "applicant": {
            "name": "Trần Văn Bench",
            "id_number": "079200000001",
            "phone": "0900000001",
            "address": {"province": "HCM", "district": "Q1", "commune": "BN", "street": "1"},
        },
        "return_method": "online",
        "received_at": day.isoformat(),
    }


async def worker(
    url: str, index: int, stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        n = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = await client.post(
                "/v1/dossiers", json=receipt(index, n), headers={"X-API-Key": KEY}
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                errors.append(response.status_code)
                if len(errors) == 1:
                    print("first failure:", response.status_code, response.text[:300])
            n += 1


async def run(url: str, seconds: float, concurrency: int) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.monotonic()
    stop_at = started + seconds
    await asyncio.gather(*(worker(url, i, stop_at, latencies, errors) for i in range(concurrency)))
    return latencies, errors, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=18001)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        process = start_intake(args.port, Path(folder))
        try:
            url = f"http://127.0.0.1:{args.port}"
            asyncio.run(wait_healthy(url))
            asyncio.run(run(url, 2, args.concurrency))  # warm-up
            latencies, errors, elapsed = asyncio.run(run(url, args.seconds, args.concurrency))
        finally:
            process.terminate()
            process.wait(timeout=30)
    ordered = sorted(latencies)
    print(f"concurrent clients          {args.concurrency:>10}")
    print(f"receipts                    {len(latencies):>10,}  ({len(errors)} not 201)")
    print(f"receipts/s                  {len(latencies) / elapsed:>10,.0f}   target >= 2,000")
    print(f"latency p50 (ms)            {statistics.median(ordered) * 1000:>10.1f}")
    p99 = ordered[int(0.99 * len(ordered))] * 1000
    print(f"latency p99 (ms)            {p99:>10.1f}   target <= 50")


if __name__ == "__main__":
    main()
