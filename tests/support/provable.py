"""What every end-to-end test of the reports checks at its end: every row of every grouping
balances, the drill-down lists have their counts' lengths, and the independent audit passes."""

import asyncio
import os
import sys
from typing import Any

import httpx

from tests.support.stack import ROOT, Stack

GROUPINGS = ("agency", "level", "field", "procedure")
COUNTS = (
    "received_total", "carried_over", "new_total", "new_online", "new_counter", "new_postal",
    "refused_at_receipt", "resolved_total", "resolved_early", "resolved_on_time",
    "resolved_late", "late_with_apology", "withdrawn", "stopped", "pending_total",
    "pending_within", "pending_overdue", "paused",
)  # fmt: skip


def balances(row: dict[str, Any]) -> bool:
    came_in: int = row["carried_over"] + row["new_total"]
    went: int = row["resolved_total"] + row["withdrawn"] + row["stopped"] + row["pending_total"]
    return bool(came_in == row["received_total"] == went)


async def listed(client: httpx.AsyncClient, stack: Stack, query: dict[str, str]) -> int:
    answer = await client.get(
        f"{stack.url('reporting')}/v1/reports/processing/dossiers",
        params=query | {"page_size": "1"},
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


async def assert_rows_balance_and_lists_match(
    stack: Stack, period: str, *, rows_listed: int = 3
) -> None:
    """Every row balances in every grouping; every count of the total row, and of the first
    `rows_listed` agency rows, lists exactly that many dossiers."""
    url = f"{stack.url('reporting')}/v1/reports/processing"
    async with httpx.AsyncClient(timeout=60) as client:
        for grouping in GROUPINGS:
            body = (await client.get(url, params={"period": period, "group_by": grouping})).json()
            for row in [*body["rows"], body["total"]]:
                assert balances(row), (grouping, row)
        body = (await client.get(url, params={"period": period, "group_by": "agency"})).json()
        for row in [body["total"], *body["rows"][:rows_listed]]:
            group = {} if row["group"] == "total" else {"group": row["group"]}
            for column in COUNTS:
                query = {"period": period, "group_by": "agency", "column": column} | group
                assert await listed(client, stack, query) == row[column], (row["group"], column)
        await assert_step_reports_match(client, stack, period)


async def assert_step_reports_match(client: httpx.AsyncClient, stack: Stack, period: str) -> None:
    """Late while held by: its total is the processing table's resolved_late, each row's count
    lists that many dossiers; the steps table: each count lists that many steps."""
    reports = f"{stack.url('reporting')}/v1/reports"
    processing = (await client.get(f"{reports}/processing", params={"period": period})).json()
    held = (await client.get(f"{reports}/late-held-by", params={"period": period})).json()
    assert held["total"]["late_total"] == processing["total"]["resolved_late"]
    for row in [held["total"], *held["rows"]]:
        group = {} if row["group"] == "total" else {"group": row["group"]}
        answer = await client.get(
            f"{reports}/late-held-by/dossiers", params={"period": period, "page_size": "1"} | group
        )
        assert answer.json()["count"] == row["late_total"], row
    steps = (await client.get(f"{reports}/steps", params={"period": period})).json()
    for row in [steps["total"], *steps["rows"]]:
        assert row["closed_total"] == row["closed_on_time"] + row["closed_late"], row
        group = {} if row["group"] == "total" else {"group": row["group"]}
        for column in ("closed_total", "closed_late"):
            query = {"period": period, "column": column, "page_size": "1"} | group
            answer = await client.get(f"{reports}/steps/dossiers", params=query)
            assert answer.json()["count"] == row[column], (row["group"], column)


async def run_audit(stack: Stack, redis_url: str, period: str) -> tuple[int, str]:
    env = os.environ | {
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap, "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"{stack.namespace}-reporting",
        "CONSUMER_GROUP": f"reporting-{stack.namespace}", "REPLAY_FROM": stack.env["REPLAY_FROM"],
        "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.reporting.tools.audit", "--period", period,
        "--url", stack.url("reporting"), "--key", stack.key, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(300):
        output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def assert_reports_provable(stack: Stack, redis_url: str, period: str) -> None:
    """The audit first: it waits until reporting's group has consumed every event, so the
    table and the lists read next are of the same, settled projection (read while events
    still arrive, a count and its list can be taken a moment apart and differ)."""
    code, output = await run_audit(stack, redis_url, period)
    if code != 0:  # the service's own view of its consumers, for the failure's message
        async with httpx.AsyncClient(timeout=30) as client:
            metrics = (await client.get(f"{stack.url('reporting')}/metrics")).text
            health = (await client.get(f"{stack.url('reporting')}/health")).text
        seen = [line for line in metrics.splitlines()
                if line.startswith(("kafka_consumer_lag", "delivery_"))]  # fmt: skip
        output += "\nreporting health: " + health + "\n" + "\n".join(seen[-60:])
    assert code == 0, output[-8000:]
    assert " 0 differences" in output
    await assert_rows_balance_and_lists_match(stack, period)


async def assert_index_traces(stack: Stack, period: str) -> dict[str, Any]:
    """The 766 index: five groups per agency; every measured sub-indicator's cells are the
    named reports' cells, and its points are its maximum times their ratio; every other one
    has no points (never 0) and says what it would need. Returns the index."""
    reports = f"{stack.url('reporting')}/v1/reports"
    async with httpx.AsyncClient(timeout=60) as client:
        index = (await client.get(f"{reports}/index766", params={"period": period})).json()
        tables: dict[str, dict[str, dict[str, Any]]] = {}

        async def cell(report: str, group: str, column: str) -> Any:
            if report.startswith("http") and report not in tables:  # another service's table
                body = (await client.get(report)).json()
                tables[report] = {row["agency"]: row for row in body["rows"]}
            if report not in tables:
                separator = "&" if "?" in report else "?"
                body = (await client.get(f"{reports}/{report}{separator}period={period}")).json()
                rows = [*body["rows"], body["total"] | {"group": "total"}]
                tables[report] = {row["group"]: row for row in rows}
            return tables[report].get(group, {}).get(column, 0)

        assert index["agencies"], index
        for agency in index["agencies"]:
            groups = agency["groups"]
            assert [g["code"] for g in groups] == [
                "publicity", "progress", "online", "satisfaction", "digitisation"
            ]  # fmt: skip
            assert sum(g["max_points"] for g in groups) == 100
            for group in groups:
                for sub in group["sub_indicators"]:
                    assert sub["formula"]
                    assert sub["source"]
                    if not sub["measured"]:
                        assert (sub["points"], sub["value"]) == (None, None), sub
                        assert sub["needs"], sub
                        continue
                    for traced in sub["cells"]:
                        got = await cell(traced["report"], traced["group"], traced["column"])
                        assert got == traced["value"], (agency["agency"], sub["code"], traced)
                    assert 0 <= sub["points"] <= sub["max_points"]
                    assert (
                        sub["points"] == round(sub["max_points"] * sub["value"], 2)
                        or abs(sub["points"] - sub["max_points"] * sub["value"]) < 0.01
                    )
    return dict(index)
