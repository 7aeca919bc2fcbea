"""Running a service as a real process (uvicorn) on a free port, for tests that need HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def service_process(service: str, folder: Path, env: dict[str, str]) -> Iterator[str]:
    """Start `python -m services.<service>`; yield its base URL once /health answers 200."""
    port = free_port()
    settings = os.environ | env | {f"{service.upper()}_PORT": str(port), "LOG_LEVEL": "WARNING"}
    log_path = folder / f"{service}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            cwd=ROOT, env=settings, stdout=log, stderr=log,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while not _healthy(url):
                assert process.poll() is None, log_path.read_text()[-2000:]
                assert time.monotonic() < deadline, f"{service} did not become healthy"
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # Never leave it behind: a stray consumer would take part in later tests'
                # groups and topics. (Stopping within seconds on SIGTERM is issue 17's work.)
                process.kill()
                process.wait(timeout=30)
                print(f"{service} ignored SIGTERM for 30 s and was killed", file=sys.stderr)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
