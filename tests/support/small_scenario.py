"""A smaller history shaped like the 2019 one (same shares, 18 agencies, 32 clerks), for the
crash and scale-out tests: its reports must equal its derived counts, which an undisturbed
run reproduces (as the 2019 scenario test shows for the full one)."""

from pathlib import Path

from demo.scenario import Check, Scenario

SCENARIO_2019 = Path(__file__).resolve().parents[2] / "scenarios" / "province-2019.toml"


def small_scenario() -> Scenario:
    full = Scenario.load(SCENARIO_2019)
    return full.model_copy(
        update={
            "published": full.published.model_copy(
                update={"new_received": 1500, "due_in_period": 1400, "fully_online": 80}
            ),
            "assumptions": full.assumptions.model_copy(
                update={"new_postal": 200, "agency_ratings": 400, "clerk_ratings": 200}
            ),
        }
    )


def failed(results: list[Check]) -> list[str]:
    return [
        f"{check.figure}: expected {check.expected}, got {check.reproduced}"
        for check in results
        if not check.ok
    ]
