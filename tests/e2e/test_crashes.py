"""Crash test on the launcher's stack: while a history is being played, each service in turn is
killed with SIGKILL and started again by the launcher. At the end the reports equal the
history's derived counts, which an undisturbed run yields: nothing lost, nothing counted
twice."""

import asyncio

import pytest

from demo.scenario import Player, derive_targets, play_and_check
from tests.support.provable import assert_reports_provable
from tests.support.small_scenario import failed, small_scenario
from tests.support.stack import SERVICES, Stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


async def test_killing_each_service_mid_traffic_loses_and_doubles_nothing(
    stack: Stack, redis_url: str
) -> None:
    scenario = small_scenario()
    targets = derive_targets(scenario)
    players: list[Player] = []
    played = asyncio.create_task(
        play_and_check(
            scenario,
            stack.key,
            name=f"{stack.namespace}-crash",
            within=300,
            intake=stack.url("intake"),
            survey=stack.url("survey"),
            reporting=stack.url("reporting"),
            watch=players.append,
            pace=12,  # about two minutes of traffic: time for four kills and restarts
        )
    )
    killed = []
    for n, service in enumerate(SERVICES, start=1):

        async def progressed(enough: int = 100 * n) -> bool:
            return bool(players) and players[0].done >= enough

        await wait_for(progressed, within=120, what=f"{100 * n} dossiers played")
        assert not played.done(), "the history finished before every service was killed"
        await stack.kill(service)
        killed.append(service)
        await stack.launcher("services-up")  # starts what is not running; waits until healthy
    results = await played
    assert killed == list(SERVICES)
    assert failed(results) == []
    reproduced = {check.figure: check.reproduced for check in results}
    assert reproduced["received (total)"] == targets.new_received
    assert reproduced["ratings (agencies)"] == targets.agency_ratings
    await assert_reports_provable(stack, redis_url, scenario.period)
