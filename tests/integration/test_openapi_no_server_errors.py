"""schemathesis against the OpenAPI documents of intake, survey and reporting: whatever it
sends, never a 5xx.

Runs each service as a real process (uvicorn, real Kafka and Redis); intake with a key that has
every scope, so that generated requests reach the decision code rather than stopping at 403."""

import asyncio
import dataclasses
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from shared.events.topics import CATALOGUE_EVENTS, topic_spec
from shared.messaging.kafka_access import KafkaAccess
from shared.messaging.topic_admin import ensure_topics
from shared.web.api_keys import hash_key

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
KEY = "schemathesis-key"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def own_catalogue(bootstrap: str, suffix: str) -> dict[str, str]:
    """The fuzzer changes intake's catalogue and calendar at random through the admin routes,
    so its intake keeps them on a topic of its own (created here; intake runs as the `admin`
    principal, which may read and write it) and the rest of the test run is unaffected."""
    topic = f"{CATALOGUE_EVENTS}.fuzz-{suffix}"
    spec = dataclasses.replace(topic_spec(CATALOGUE_EVENTS), name=topic)
    asyncio.run(ensure_topics(KafkaAccess.resolve(bootstrap, "admin"), [spec]))
    return {"CATALOGUE_TOPIC": topic, "KAFKA_USERNAME": "admin"}


@pytest.fixture(scope="module", params=["intake", "survey", "reporting"])
def service_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, kafka_topics: str
) -> Iterator[str]:
    service: str = request.param
    folder = tmp_path_factory.mktemp(f"{service}-openapi")
    keys = folder / "api_keys.toml"
    keys.write_text(
        f'[[client]]\nid = "fuzz"\nkey_sha256 = "{hash_key(KEY)}"\n'
        'scopes = ["frontend", "postal", "import", "admin", "rating", "reports"]\n'
        'agencies = ["*"]\n'
    )
    port = free_port()
    suffix = os.urandom(4).hex()
    env = os.environ | {
        **(own_catalogue(kafka_topics, suffix) if service == "intake" else {}),
        f"{service.upper()}_PORT": str(port),
        "RATING_HTTP_WAIT_SECONDS": "0",
        "API_KEYS_FILE": str(keys),
        "REDIS_KEY_PREFIX": f"test-openapi-{suffix}",
        "CONSUMER_GROUP": f"{service}-test-openapi-{suffix}",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_topics,
        "LOG_LEVEL": "WARNING",
    }
    log = (folder / "service.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", f"services.{service}"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, (folder / "service.log").read_text()[-2000:]
        assert time.monotonic() < deadline, f"{service} did not become healthy"
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_never_a_server_error(service_url: str, mode: GenerationMode) -> None:
    # schemathesis' pytest plugin does not run under pytest 9, so its strategies are driven
    # with hypothesis directly: every operation, valid (positive) and invalid (negative) input.
    schema = schemathesis.openapi.from_url(f"{service_url}/openapi.json")
    failures: list[str] = []
    exercised = 0
    statuses: dict[int, int] = {}
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 4
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def never_5xx(case: Any) -> None:
            response = case.call(base_url=service_url, headers={"X-API-Key": KEY})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")

        try:
            never_5xx()
            exercised += 1
        except Unsatisfiable:
            continue  # nothing invalid can be sent to it (e.g. no parameters, no body)
    assert exercised >= 2
    assert sum(statuses.values()) >= 10 * len(operations), statuses
    assert failures == [], statuses
