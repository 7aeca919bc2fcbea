"""A real Prometheus (Debian's) scrapes the running services; every dashboard query and every
alert expression must then return data. promtool checks the rules and the config."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer

from shared.events import deadline as deadline_events
from shared.events.topics import (
    DEADLINE_EVENTS,
    DOSSIER_EVENTS,
    FEEDBACK_DEADLINES,
    FEEDBACK_EVENTS,
    INTAKE_APPLICANTS,
    NOTIFICATIONS,
    PORTAL_RECORDS,
    SURVEY_EVENTS,
)
from shared.events.vocabulary import Classification, RatingLevel
from tests.support import dossier_events as ev
from tests.support.kafka_clients import kafka_options
from tests.support.kafka_probe import start_group_at_end
from tests.support.report_scenario import classified, deadline_set, rating
from tests.support.service_process import ROOT, free_port, service_process

pytestmark = pytest.mark.integration
RULES = ROOT / "infra/prometheus/alerts.yml"
# what the scraped services read, so that each group starts at the topics' end
CONSUMED = (DOSSIER_EVENTS, DEADLINE_EVENTS, SURVEY_EVENTS, INTAKE_APPLICANTS, PORTAL_RECORDS,
            NOTIFICATIONS, FEEDBACK_EVENTS, FEEDBACK_DEADLINES)  # fmt: skip
DASHBOARD = ROOT / "infra/grafana/dashboards/motcua-overview.json"


def test_promtool_accepts_the_alert_rules() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: scripts/infra.sh up installs Debian's prometheus package"
    check = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True,
                           text=True, check=False)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    assert len(rules) >= 10  # every rule the file holds is one promtool read
    assert f"{len(rules)} rules found" in check.stdout


def test_the_alerts_fire_on_their_series_and_only_then() -> None:
    """promtool's unit tests (infra/prometheus/alerts_test.yml): a subscriber that stays
    stalled, a lag that does not move; and the cases that must not fire (a stall its watchdog
    ended, a lag draining, a service just started)."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: scripts/infra.sh up installs Debian's prometheus package"
    tests = ROOT / "infra/prometheus/alerts_test.yml"
    run = subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def alert_selectors() -> list[str]:
    """Each alert's expression up to its threshold: the part that must have data."""
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    return [re.split(r"\s(?:>|<|==)\s", rule["expr"])[0] for rule in rules]


async def seed_current_month(bootstrap: str, prefix: str) -> None:
    now = datetime.now(UTC)
    late, rated = f"{prefix}-{now:%y%m%d}-0001", f"{prefix}-{now:%y%m%d}-0002"
    events: list[tuple[str, Any]] = [
        (DOSSIER_EVENTS, ev.received(late, now - timedelta(days=10))),
        (DEADLINE_EVENTS, deadline_set(late, now - timedelta(days=1), now - timedelta(days=10))),
        (DOSSIER_EVENTS, ev.received(rated, now - timedelta(hours=2))),
        (DOSSIER_EVENTS, ev.resolved(rated, now - timedelta(hours=1))),
        (DEADLINE_EVENTS, classified(rated, now - timedelta(hours=1), Classification.EARLY)),
        (SURVEY_EVENTS, rating(rated, RatingLevel.SATISFIED, now - timedelta(minutes=30))),
    ]
    producer = AIOKafkaProducer(**kafka_options(bootstrap))
    await producer.start()
    try:
        for topic, event in events:
            key = event.body.dossier_code.encode()
            await producer.send_and_wait(topic, event.model_dump_json().encode(), key=key)
    finally:
        await producer.stop()
    assert isinstance(events[1][1], deadline_events.DeadlineSet)


def prometheus_config(folder: Path, targets: dict[str, str]) -> Path:
    jobs = [
        {"targets": [url.removeprefix("http://")], "labels": {"service": service}}
        for service, url in targets.items()
    ]
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [{"job_name": "motcua", "static_configs": jobs}],
    }
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory, kafka_topics: str) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("prometheus")
    unique = os.urandom(3).hex().upper()
    services = ("reporting", "deadline", "exchange")
    groups = {service: f"{service}-test-prom-{unique}" for service in services}
    for group in groups.values():
        asyncio.run(start_group_at_end(kafka_topics, group, *CONSUMED))
    env = {
        service: {"REDIS_KEY_PREFIX": group, "CONSUMER_GROUP": group}
        for service, group in groups.items()
    }
    with (
        service_process("reporting", folder, env["reporting"]) as rep,
        service_process("deadline", folder, env["deadline"]) as dead,
        service_process("exchange", folder, env["exchange"]) as exchange,
    ):
        asyncio.run(seed_current_month(kafka_topics, f"P{unique}"))
        targets = {"reporting": rep, "deadline": dead, "exchange": exchange}
        config = prometheus_config(folder, targets)
        port = free_port()
        command = [
            shutil.which("prometheus") or "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        with (folder / "prometheus.log").open("w") as log:
            server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                server.terminate()
                server.wait(timeout=30)


def query(prometheus: str, expr: str) -> list[Any]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5)
    if response.status_code == 503:
        return []  # still starting
    assert response.status_code == 200, response.text
    result: list[Any] = response.json()["data"]["result"]
    return result


def wait_for_data(prometheus: str, expr: str, within: float = 90) -> list[Any]:
    deadline = time.monotonic() + within
    while True:
        try:
            result = query(prometheus, expr)
        except httpx.HTTPError:
            result = []
        if result:
            return result
        assert time.monotonic() < deadline, f"no data for {expr!r}"
        time.sleep(0.5)


@pytest.mark.parametrize("expr", dashboard_queries() + alert_selectors())
def test_every_dashboard_query_and_alert_expression_returns_data(scraped: str, expr: str) -> None:
    assert wait_for_data(scraped, expr)


def test_seeded_figures_reach_prometheus(scraped: str) -> None:
    [overdue] = wait_for_data(scraped, 'sum(reporting_open_dossiers{state="overdue"})')
    assert float(overdue["value"][1]) >= 1
    [on_time] = wait_for_data(scraped, "max(reporting_month_on_time_rate)")
    assert float(on_time["value"][1]) == 1.0
