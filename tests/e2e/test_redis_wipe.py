"""Redis restarted with its data wiped, and reporting's read model dropped from PostgreSQL, on
the launcher's stack: deadline, survey and reporting notice their state is gone and rebuild it
from Kafka; the reports come back equal to the history's counts. (intake rebuilds from its
changelogs too: tests/e2e/test_chaos.py wipes Redis under traffic.)"""

import httpx
import pytest

from demo.scenario import checks, derive_targets, play_and_check, reproduced_figures
from tests.support.provable import assert_reports_provable
from tests.support.small_scenario import failed, small_scenario
from tests.support.stack import Stack
from tests.support.store_faults import drop_read_model, restart_redis_empty
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def test_services_rebuild_from_kafka_after_redis_is_wiped(
    stack: Stack, redis_url: str, postgres_url: str
) -> None:
    scenario = small_scenario()
    results = await play_and_check(
        scenario, stack.key, name=f"{stack.namespace}-wipe", within=240,
        intake=stack.url("intake"), survey=stack.url("survey"),
        reporting=stack.url("reporting"),
    )  # fmt: skip
    assert failed(results) == []

    await restart_redis_empty(redis_url)
    await drop_read_model(postgres_url, f"{stack.namespace}-reporting".lower())
    targets = derive_targets(scenario)
    async with httpx.AsyncClient(timeout=30) as client:

        async def rebuilt() -> bool:
            try:
                got = await reproduced_figures(client, scenario, stack.key, stack.url("reporting"))
            except httpx.HTTPError:
                return False
            return not failed(checks(scenario, targets, got))

        await wait_for(rebuilt, within=240, what="the reports rebuilt from Kafka")
    for service in ("deadline", "survey", "reporting"):
        assert "replaying its topics" in stack.log_tail(service, 200_000), service
    await assert_reports_provable(stack, redis_url, scenario.period)
