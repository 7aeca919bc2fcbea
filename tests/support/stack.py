"""The real stack, started by the project's own launcher (`scripts/stack.sh services-up`) on
the Kafka and Redis of the test run, as processes on their own ports. Each stack has its own
namespace (consumer groups and Redis key prefixes "<namespace>-<service>"), and its groups
start at the current end of the topics, so it sees only the traffic its test makes."""

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shared.events.topics import TOPICS
from tests.support.kafka_probe import start_group_at_end
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "deadline", "survey", "reporting")  # what a stack runs unless told
# "portal": the national portal's stand-in; "gateways": the SMS and Zalo gateways' stand-in
EVERY_SERVICE = (*SERVICES, "exchange", "portal", "gateways")
CONSUMERS = ("intake", "deadline", "survey", "reporting", "exchange")
DEV_KEY = "e2e-dev-key"
SOURCE_TOPICS = [spec.name for spec in TOPICS if not spec.name.endswith(".dlq")]


@dataclass
class Stack:
    namespace: str
    run_dir: Path
    bootstrap: str
    instances: int = 1
    base_port: int = 18000
    services: tuple[str, ...] = SERVICES
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = os.environ | {
            "RUN_DIR": str(self.run_dir), "STACK_NAMESPACE": self.namespace,
            "INSTANCES": str(self.instances), "DEV_API_KEY": DEV_KEY, "LOG_LEVEL": "WARNING",
            "PYTHON": str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists()
            else os.environ.get("PYTHON", "python"),
            "STACK_SERVICES": " ".join(self.services),
            "PORTAL_STANDIN_PORT": str(self.port("portal")),
            "PORTAL_STANDIN_FILE": str(self.run_dir / "portal-standin.jsonl"),
            "GATEWAY_STANDIN_PORT": str(self.port("gateways")),
            "GATEWAY_STANDIN_FILE": str(self.run_dir / "gateway-standin.jsonl"),
        } | {f"{name.upper()}_PORT": str(self.port(name)) for name in EVERY_SERVICE}  # fmt: skip

    def port(self, service: str) -> int:
        return self.base_port + 1 + EVERY_SERVICE.index(service)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    @property
    def key(self) -> str:
        return DEV_KEY

    async def launcher(self, command: str) -> None:
        process = await asyncio.create_subprocess_exec(
            str(ROOT / "scripts" / "stack.sh"), command, env=self.env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        async with asyncio.timeout(240):
            output, _ = await process.communicate()
        assert process.returncode == 0, f"stack.sh {command} failed:\n{output.decode()[-3000:]}"

    async def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal one service process (`deadline`, `reporting-2`, ...): kill -9 unless told
        otherwise (SIGTERM: a clean stop), and wait for its end."""
        pid = int((self.run_dir / f"{name}.pid").read_text())
        os.kill(pid, sig)

        async def gone() -> bool:
            return not _alive(pid)

        await wait_for(gone, within=30, what=f"{name} (pid {pid}) to exit")

    def log_tail(self, name: str, characters: int = 3000) -> str:
        path = self.run_dir / f"{name}.log"
        return path.read_text(errors="replace")[-characters:] if path.exists() else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of the launcher's shell is a zombie until reaped: look at its state.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


async def launched_stack(
    bootstrap: str,
    namespace: str,
    run_dir: Path,
    *,
    instances: int = 1,
    base_port: int = 18000,
    env: dict[str, str] | None = None,
    services: tuple[str, ...] = SERVICES,
) -> AsyncIterator[Stack]:
    stack = Stack(namespace, run_dir, bootstrap, instances, base_port, services)
    stack.env |= env or {}
    # The stack's history starts now: its groups start at the topics' end, and a service that
    # finds Redis empty replays from here (shared/runtime/state_guard.py), not others' history.
    stack.env["REPLAY_FROM"] = datetime.now(UTC).isoformat()
    for service in (s for s in services if s in CONSUMERS):
        await start_group_at_end(bootstrap, f"{service}-{namespace}", *SOURCE_TOPICS)
    try:
        await stack.launcher("services-up")
        yield stack
    finally:
        await stack.launcher("services-down")  # also when start-up failed half way
