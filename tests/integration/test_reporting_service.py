"""Reporting on real Kafka and Redis: from events to each report, against hand-computed
tables, with a late event, a redelivered event, and two instances."""

import csv
import io
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from services.reporting.app import create_app
from services.reporting.service import queries as reporting_queries
from services.reporting.settings import ReportingSettings
from services.reporting.tools.rebuild import TOPICS as REPORTING_TOPICS
from shared.domain.business_calendar import VIETNAM
from shared.domain.clock import ManualClock
from tests.support import dossier_events as ev
from tests.support.kafka_probe import start_group_at_end
from tests.support.publishing import publish
from tests.support.report_scenario import (
    MARCH_SATISFACTION_TOTAL,
    MARCH_TOTAL,
    MARCH_TOTAL_AFTER_LATE_EVENT,
    late_events,
    march_events,
)
from tests.support.running_service import running
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
MARCH = "/v1/reports/processing?period=2026-M03&group_by=agency"


@pytest.fixture
async def reporting_pair(
    kafka_topics: str, redis_url: str, unique: str
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two reporting instances in one consumer group, sharing one read model."""
    group = f"reporting-test-{unique}"
    # every topic reporting reads (feedback too: earlier runs' feedback must not count here)
    await start_group_at_end(kafka_topics, group, *REPORTING_TOPICS)
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_topics, "REDIS_URL": redis_url,
           "CONSUMER_GROUP": group, "REDIS_KEY_PREFIX": f"test-{unique}-reporting",
           "MINIMUM_RATINGS_FOR_RANKING": 2}  # fmt: skip
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                running(
                    create_app(
                        ReportingSettings.model_validate(env | {"INSTANCE_ID": n}),
                        ManualClock(datetime(2026, 3, 31, 12, tzinfo=VIETNAM)),  # "this month"
                    )
                )
            )
            for n in ("a", "b")
        ]
        yield clients


async def total_becomes(client: httpx.AsyncClient, path: str, expected: dict[str, Any]) -> None:
    async def matches() -> bool:
        return bool((await client.get(path)).json()["total"] == expected)

    try:
        await wait_for(matches, within=60, what=f"{path} to reach the expected total")
    except AssertionError:
        assert (await client.get(path)).json()["total"] == expected  # show the difference
        raise


async def test_events_to_reports_with_late_and_redelivered_events_on_two_instances(
    kafka_topics: str, reporting_pair: list[httpx.AsyncClient], unique: str
) -> None:
    first, second = reporting_pair
    events, codes = march_events(f"R{unique[:6].upper()}")
    await publish(kafka_topics, events + events[6:9])  # C's events delivered twice
    await total_becomes(first, MARCH, MARCH_TOTAL)
    assert (await second.get(MARCH)).json() == (await first.get(MARCH)).json()

    await publish(kafka_topics, late_events(codes))
    await total_becomes(second, MARCH, MARCH_TOTAL_AFTER_LATE_EVENT)

    satisfaction = "/v1/reports/satisfaction?period=2026-M03&group_by=agency"
    await total_becomes(first, satisfaction, MARCH_SATISFACTION_TOTAL)
    body = (await first.get(satisfaction)).json()
    assert body["rows"][0]["rank"] == 1
    assert body["minimum_for_ranking"] == 2
    unranked = (await first.get(satisfaction + "&minimum=30")).json()
    assert unranked["not_ranked"] == ["UBND.Q1"]

    index = (await first.get("/v1/reports/index766?period=2026-M03")).json()
    [agency] = index["agencies"]
    groups = {group["code"]: group for group in agency["groups"]}
    # (early 1 + on time 1 + pending within 1 + paused 1) / (resolved 4 + pending 3) x 20
    assert (agency["agency"], groups["progress"]["points"]) == ("UBND.Q1", 11.43)
    measured = {s["code"]: s for s in groups["satisfaction"]["sub_indicators"]}
    assert measured["procedure_satisfaction"]["points"] == 6.0  # every rating satisfied
    assert measured["feedback_on_time"]["measured"] is False  # no feedback: never 0
    assert groups["digitisation"]["not_measured_points"] == 22
    assert "766/QĐ-TTg" in index["decision"]

    metrics = (await first.get("/metrics")).text
    assert 'reporting_month_on_time_rate{agency="UBND.Q1"} 0.5' in metrics
    assert 'reporting_open_dossiers{agency="UBND.Q1",state="paused"} 1.0' in metrics
    assert 'reporting_month_received{agency="UBND.Q1",channel="online"} 2.0' in metrics
    assert 'reporting_month_satisfied_rate{agency="UBND.Q1"} 1.0' in metrics
    assert 'kafka_consumer_lag{partition="' in metrics
    assert "reporting_projection_lag_seconds_count" in metrics


async def test_csv_and_xlsx_exports_carry_vietnamese_headings(
    kafka_topics: str, reporting_pair: list[httpx.AsyncClient], unique: str
) -> None:
    client = reporting_pair[0]
    events, _ = march_events(f"X{unique[:6].upper()}")
    await publish(kafka_topics, events)
    await total_becomes(client, MARCH, MARCH_TOTAL)
    exported = await client.get(MARCH + "&format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert table[0][:4] == ["Mã đơn vị / nhóm", "Tên đơn vị / nhóm", "Tổng số hồ sơ tiếp nhận",
                            "Kỳ trước chuyển qua"]  # fmt: skip
    assert table[-1][:4] == ["total", "", "8", "2"]
    workbook = load_workbook(io.BytesIO((await client.get(MARCH + "&format=xlsx")).content))
    sheet = workbook.active
    assert sheet.cell(1, 11).value == "Giải quyết trước hạn"
    assert sheet.cell(sheet.max_row, 3).value == 8


async def test_a_list_exported_streams_from_the_database_a_page_at_a_time(
    kafka_topics: str, reporting_pair: list[httpx.AsyncClient], unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    client = reporting_pair[0]
    events, _ = march_events(f"L{unique[:6].upper()}")
    await publish(kafka_topics, events)
    await total_becomes(client, MARCH, MARCH_TOTAL)
    monkeypatch.setattr(reporting_queries, "EXPORT_PAGE", 3)  # 8 dossiers: three pages
    listing = "/v1/reports/processing/dossiers?period=2026-M03&column=received_total"
    pages, after = [], None
    while True:  # the JSON list by keyset, 3 at a time
        page = await client.get(listing + "&page_size=3" + (f"&after={after}" if after else ""))
        body = page.json()
        pages += [line["code"] for line in body["dossiers"]]
        if body["next_after"] is None:
            break
        after = body["next_after"]
    assert len(pages) == body["count"] == 8
    exported = await client.get(listing + "&format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == pages
    workbook = load_workbook(io.BytesIO((await client.get(listing + "&format=xlsx")).content))
    codes = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert codes == pages


async def test_bad_periods_are_422(reporting_pair: list[httpx.AsyncClient]) -> None:
    client = reporting_pair[0]
    assert (await client.get("/v1/reports/processing?period=2026-M13")).status_code == 422
    assert (await client.get("/v1/reports/processing?from=2026-03-01")).status_code == 422
    regime = await client.get("/v1/reports/processing?period=2026-Y&regime=true")
    assert regime.json()["period"] == "2025-12-15..2026-12-14"


async def test_month_gauges_follow_the_day_in_vietnam_not_utc(
    kafka_topics: str, redis_url: str, unique: str
) -> None:
    """At 02:00 on 1 April in Vietnam it is still 31 March in UTC: the gauges show April."""
    group = f"reporting-test-{unique}-month"
    await start_group_at_end(kafka_topics, group, *REPORTING_TOPICS)
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_topics, "REDIS_URL": redis_url,
           "CONSUMER_GROUP": group, "REDIS_KEY_PREFIX": f"test-{unique}-month"}  # fmt: skip
    clock = ManualClock(datetime(2026, 3, 31, 19, tzinfo=UTC))  # as the system clock gives it
    code = f"M{unique[:6].upper()}-260401-0001"
    async with running(create_app(ReportingSettings.model_validate(env), clock)) as client:
        await publish(kafka_topics, [ev.received(code, datetime(2026, 4, 1, 1, tzinfo=VIETNAM))])
        wanted = f'reporting_month_received{{agency="{ev.AGENCY}",channel="counter"}} 1.0'

        async def shown() -> bool:
            return wanted in (await client.get("/metrics")).text

        await wait_for(shown, within=60, what="April's receipt in the month gauges")
