"""The report page, rendered by a real headless Chromium (Debian's), shows the figures."""

import asyncio
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from shared.events.topics import DEADLINE_EVENTS, DOSSIER_EVENTS, SURVEY_EVENTS
from tests.support.chromium import chromium
from tests.support.kafka_probe import start_group_at_end
from tests.support.publishing import publish
from tests.support.report_scenario import MARCH_TOTAL, march_events
from tests.support.service_process import service_process

pytestmark = pytest.mark.integration


def test_report_page_shows_the_figures_in_a_real_browser(tmp_path: Path, kafka_topics: str) -> None:
    unique = os.urandom(3).hex().upper()
    group = f"reporting-test-page-{unique}"
    asyncio.run(
        start_group_at_end(kafka_topics, group, DOSSIER_EVENTS, DEADLINE_EVENTS, SURVEY_EVENTS)
    )
    env = {"CONSUMER_GROUP": group, "REDIS_KEY_PREFIX": f"test-page-{unique}"}
    with service_process("reporting", tmp_path, env) as url:
        events, _ = march_events(f"W{unique}")
        asyncio.run(publish(kafka_topics, events))
        report = f"{url}/v1/reports/processing?period=2026-M03"
        deadline = time.monotonic() + 60
        while httpx.get(report, timeout=5).json()["total"] != MARCH_TOTAL:
            assert time.monotonic() < deadline, "the report never reached the expected figures"
            time.sleep(0.3)
        page = f"{url}/v1/reports/page?period=2026-M03"
        dom = chromium("--dump-dom", page, profile=tmp_path / "profile-dom")
        screenshot = tmp_path / "report-page.png"
        chromium(f"--screenshot={screenshot}", page, profile=tmp_path / "profile-shot")
    for figure in ("Tổng số hồ sơ tiếp nhận", "Giải quyết trước hạn", "66.67%", "33.33%",
                   "Tỷ lệ giải quyết đúng hạn", "<svg"):  # fmt: skip
        assert figure in dom
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
    shutil.copy(screenshot, Path(os.environ.get("REPORT_SCREENSHOT", tmp_path / "copy.png")))
