"""Redis restarted with its data wiped, and reporting's read model dropped from PostgreSQL, on
the launcher's stack: deadline, survey and reporting notice their state is gone and rebuild it
from Kafka; the reports come back equal to the history's counts. (intake rebuilds from its
changelogs too: tests/e2e/test_chaos.py wipes Redis under traffic.)"""

import asyncio
import contextlib
import os

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from demo.scenario import checks, derive_targets, play_and_check, reproduced_figures
from services.reporting.pg_store import connect
from tests.support.provable import assert_reports_provable
from tests.support.small_scenario import failed, small_scenario
from tests.support.stack import ROOT, Stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def restart_redis_empty(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushall()
    with contextlib.suppress(RedisConnectionError):
        await redis.shutdown(nosave=True)  # the AOF ends with the flush: it restarts empty
    await redis.aclose()
    infra = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts" / "infra.sh"), "up", env=dict(os.environ), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output = (await infra.communicate())[0].decode()
    assert infra.returncode == 0, output


async def drop_read_model(postgres_url: str, base: str) -> None:
    """Reporting's schemas gone, as after a lost database (its pointer row with them)."""
    pool = await connect(postgres_url, max_size=1)
    try:
        found = await pool.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", f"{base}%"
        )
        assert found, f"no schema {base} to drop"
        for (name,) in found:
            await pool.execute(f'DROP SCHEMA "{name}" CASCADE')
        await pool.execute("DELETE FROM public.reporting_keyspace WHERE base = $1", base)
    finally:
        await pool.close()


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
