"""Every service stops within seconds of SIGTERM, whatever state Kafka and Redis are in: here
both are frozen (SIGSTOP: connections open, nothing answers, the worst case for a client)
when the service is told to stop. Kafka and Redis are thawed at the end of each test."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from shared.events.topics import DOSSIER_EVENTS, SURVEY_SUBMISSIONS
from tests.support.kafka_probe import start_group_at_end
from tests.support.service_process import ROOT, free_port

pytestmark = pytest.mark.integration
RUN_DIR = Path(os.environ.get("RUN_DIR", ROOT / ".run"))
STOPS_WITHIN = 15.0  # seconds: uvicorn's 2 for open connections, then STOP_WITHIN_SECONDS (6)


@contextmanager
def frozen(*names: str) -> Iterator[None]:
    """The named infrastructure processes (`.run/<name>.pid`) stopped, then continued."""
    pids = [int((RUN_DIR / f"{name}.pid").read_text()) for name in names]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize(
    ("service", "infrastructure"),
    [
        ("intake", ("kafka", "redis")),
        ("deadline", ("kafka", "redis")),
        ("survey", ("kafka", "redis")),
        ("reporting", ("kafka", "redis")),
        ("reporting", ("kafka",)),  # `make run` stopped after Kafka: reporting hung
    ],
)
def test_a_service_stops_within_seconds_of_sigterm_with_kafka_or_redis_frozen(
    service: str, infrastructure: tuple[str, ...], tmp_path: Path, kafka_topics: str
) -> None:
    unique = os.urandom(3).hex()
    group = f"{service}-test-stop-{unique}"
    asyncio.run(start_group_at_end(kafka_topics, group, DOSSIER_EVENTS, SURVEY_SUBMISSIONS))
    port = free_port()
    env = os.environ | {
        f"{service.upper()}_PORT": str(port), "CONSUMER_GROUP": group,
        "REDIS_KEY_PREFIX": f"test-stop-{unique}", "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    env.pop("STOP_WITHIN_SECONDS", None)  # the default of `python -m services.<name>`
    log_path = tmp_path / f"{service}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"], cwd=ROOT, env=env, stdout=log,
            stderr=log,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        while not healthy(url):
            assert process.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() - started < 60, f"{service} did not become healthy"
            time.sleep(0.2)
        with frozen(*infrastructure):
            asked = time.monotonic()
            process.terminate()
            try:
                process.wait(timeout=STOPS_WITHIN)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{service} still running {STOPS_WITHIN:.0f} s after SIGTERM")
            took = time.monotonic() - asked
        print(f"{service} stopped {took:.1f} s after SIGTERM, {'+'.join(infrastructure)} frozen")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
