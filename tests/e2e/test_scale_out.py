"""Scale-out on the launcher's stack: two instances of each consuming service (deadline, survey,
reporting) in one consumer group each; both instances hold partitions, and the reports
equal the history's derived counts, as with one instance."""

import os
from collections.abc import AsyncIterator

import httpx
import pytest

from demo.scenario import play_and_check
from tests.support.small_scenario import failed, small_scenario
from tests.support.stack import Stack, launched_stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def stack_of_two(
    kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    run_dir = tmp_path_factory.mktemp("stack-of-two")
    namespace = f"two{os.getpid()}-{run_dir.name}"
    async for launched in launched_stack(
        kafka_topics, namespace, run_dir, instances=2, base_port=18200
    ):
        yield launched


async def test_two_instances_of_each_consumer_give_the_same_figures(stack_of_two: Stack) -> None:
    stack = stack_of_two
    async with httpx.AsyncClient(timeout=10) as client:
        for service in ("deadline", "survey", "reporting"):
            for port in (stack.port(service), stack.port(service) + 100):
                health = (await client.get(f"http://127.0.0.1:{port}/health")).json()
                assigned = [c["assigned_partitions"] for c in health["consumers"].values()]
                assert all(count > 0 for count in assigned), (service, port, health)
    results = await play_and_check(
        small_scenario(), stack.key, name=f"{stack.namespace}-scale", within=300,
        intake=stack.url("intake"), survey=stack.url("survey"),
        reporting=stack.url("reporting"),
    )  # fmt: skip
    assert failed(results) == []
