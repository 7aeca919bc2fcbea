"""Benchmark: dossier receipts per second over HTTP, with latency percentiles.

    .venv/bin/python -m bench.intake_receipts [--seconds 15] [--concurrency 32]

Starts a real intake process (uvicorn) against the running Kafka and Redis
(`scripts/infra.sh up`), with a bench-only key and Redis prefix, and posts receipts with
`wrk` (Debian's package; installed if missing; bench/receipts.lua makes each request a new
receipt) from `--concurrency` connections for `--seconds`. Every receipt is a full one: validated,
given a code, stored in Redis and published to `dossier.events.v1` (acks=all) before the
201 is sent. Prints a table.
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from shared.events.topics import INTAKE_SUBMISSIONS, POSTAL_STATUS
from shared.web.api_keys import hash_key
from tests.support.kafka_probe import start_group_at_end

INTAKE_TOPICS = (INTAKE_SUBMISSIONS, POSTAL_STATUS)

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


def start_intake(port: int, folder: Path, workers: int) -> subprocess.Popen[bytes]:
    keys = folder / "keys.toml"
    keys.write_text(
        f'[[client]]\nid = "bench"\nkey_sha256 = "{hash_key(KEY)}"\n'
        'scopes = ["frontend", "import"]\nagencies = ["*"]\n'
    )
    suffix = os.urandom(4).hex()
    # its consumers start at the end of its topics (earlier runs' requests are not its load)
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    asyncio.run(start_group_at_end(bootstrap, f"intake-bench-{suffix}", *INTAKE_TOPICS))
    env = os.environ | {
        "INTAKE_PORT": str(port),
        "API_KEYS_FILE": str(keys),
        "REDIS_KEY_PREFIX": f"bench-intake-{suffix}",
        "CONSUMER_GROUP": f"intake-bench-{suffix}",  # its principal may use groups "intake*"
        "LOG_LEVEL": "WARNING",
        "HTTP_WORKERS": str(workers),
        # its history starts now: a fresh prefix is an empty store, rebuilt from here on
        "REPLAY_FROM": datetime.now(UTC).isoformat(),
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


def run_wrk(url: str, seconds: float, connections: int) -> str:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    command = [
        "wrk", "--latency", "-t2", f"-c{connections}", f"-d{int(seconds)}s",
        "-s", str(ROOT / "bench" / "receipts.lua"), url, "--", os.urandom(4).hex(), KEY,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def measure(
    process: "subprocess.Popen[bytes]", port: int, seconds: float, connections: int
) -> dict[str, float]:
    """Once `process` answers on `port`: a warm-up, then wrk's figures; then stop it."""
    try:
        url = f"http://127.0.0.1:{port}"
        asyncio.run(wait_healthy(url))
        run_wrk(url, 3, connections)  # warm-up
        return parse_wrk(run_wrk(url, seconds, connections))
    finally:
        process.terminate()
        process.wait(timeout=30)


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, latency percentiles (ms) and non-2xx count from wrk's --latency report."""
    figures = {"non_2xx": 0.0}
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in {"50%", "90%", "99%"}:
            figures[parts[0]] = _milliseconds(parts[1])
        elif "requests in" in line:
            figures["requests"] = float(parts[0])
        elif line.strip().startswith("Non-2xx"):
            figures["non_2xx"] = float(parts[-1])
    return figures


def _milliseconds(value: str) -> float:
    for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * factor
    raise ValueError(value)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=18001)
    parser.add_argument("--workers", type=int, default=2, help="intake's uvicorn workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        process = start_intake(args.port, Path(folder), args.workers)
        figures = measure(process, args.port, args.seconds, args.concurrency)
    print(f"intake                      {args.workers} uvicorn worker(s)")
    print(f"load generator              wrk, 2 threads, {args.concurrency} connections")
    failed = figures["non_2xx"]
    print(f"receipts                    {figures['requests']:>10,.0f}  ({failed:.0f} not 2xx)")
    print(f"receipts/s                  {figures['rps']:>10,.0f}   target >= 3,000")
    print(f"latency p50 (ms)            {figures['50%']:>10.1f}")
    print(f"latency p90 (ms)            {figures['90%']:>10.1f}")
    print(f"latency p99 (ms)            {figures['99%']:>10.1f}   target <= 50")


if __name__ == "__main__":
    main()
